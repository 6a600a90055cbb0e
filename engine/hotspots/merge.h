/*
 * merge.h - the reduce step of sharded hotspots runs (merge.c).
 */
#ifndef GS_HS_MERGE_H
#define GS_HS_MERGE_H

#include "ctx.h"

/* `gridsmith hotspots --merge`: reads the shard outputs opts->merge
 * names and writes the layers a single run over their union writes
 * identically (merge.c). Same return codes and report as
 * gs_hotspots_run. */
int gs__hotspots_merge(gs_ctx *ctx, const gs_hotspots_opts *opts,
                       gs_report **out_report);

#endif /* GS_HS_MERGE_H */
