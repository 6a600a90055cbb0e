/*
 * job.h - checking a job file without running it (job.c).
 */
#ifndef GS_JOB_H
#define GS_JOB_H

#include "ctx.h"

/* Parses and checks the job file at `path` exactly as gs_run_job does
 * before its first stage, and runs nothing. GS_OK, or GS_ERR_CONFIG
 * naming the file, line and key (GS_ERR_NOMEM). For tests and fuzzing. */
int gs__job_check(gs_ctx *ctx, const char *path);

#endif /* GS_JOB_H */
