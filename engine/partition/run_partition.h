/*
 * run_partition.h - what a partition run writes (partition_outputs.c),
 * for the run's steps (run_partition.c).
 */
#ifndef GS_PARTITION_RUN_PARTITION_H
#define GS_PARTITION_RUN_PARTITION_H

#include "io.h"
#include "partition.h"
#include "writer.h"

/* Writes every layer and run_metadata into the temporary output and hands
 * it over in *out_o, not yet committed (the caller commits or aborts it);
 * on failure the temporary file is removed and *out_o is NULL.
 * `estimated`: footprints whose households were estimated, or -1 when
 * households were given. */
int gs__partition_write(gs_ctx *ctx, const gs_partition_opts *opts,
                        const gs_rules *rules, const gs__crsinfo *crs,
                        const gs__inputs *info, const gs__partition_result *r,
                        const gs__model *m, long estimated, const char *started,
                        gs__out **out_o);

/* The report of a run; NULL when out of memory. */
gs_report *gs__partition_report(gs_ctx *ctx, const gs_partition_opts *opts,
                                const gs_rules *rules,
                                const gs__partition_result *r);

#endif /* GS_PARTITION_RUN_PARTITION_H */
