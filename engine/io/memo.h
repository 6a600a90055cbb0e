/*
 * memo.h - a job's memo of the inputs its steps read (memo.c), for the
 * readers of this folder. The job itself uses gs__io_memo_begin and
 * gs__io_memo_end (io.h).
 */
#ifndef GS_IO_MEMO_H
#define GS_IO_MEMO_H

#include <cpl_conv.h>

#include "ctx.h"
#include "io.h"

/* A read being recorded for the memo: where the model's skipped rows and
 * the run's inputs stood before it, and the warnings it gave. */
typedef struct gs__memo_rec {
    int on, failed;
    size_t skipped0;
    int items0;
    gs_log_fn log;
    void *log_user;
    struct memo_warn *warn;
    size_t n_warn;
} gs__memo_rec;

/* With a memo on the context and an earlier read of `role` at `path` with
 * the same options, metric CRS and shard, gives its result to `m` (the
 * households: a copy; the skipped rows), its entries to `info` (may be
 * NULL) and its warnings to the log again, and sets *out_hit. Without one,
 * does nothing. GS_ERR_NOMEM. */
int gs__io_memo_take(gs_ctx *ctx, const char *role, const char *path,
                     const gs_input_opts *opts, const gs__crsinfo *crs,
                     gs__model *m, gs__inputs *info, int *out_hit);

/* Starts recording a read into `m` and `info` (may be NULL): nothing
 * without a memo on the context. The context's log hook passes through
 * the recording until gs__io_memo_rec_end, which every begun recording
 * must reach. */
void gs__io_memo_rec_begin(gs_ctx *ctx, gs__memo_rec *r, const gs__model *m,
                           const gs__inputs *info);

/* Ends the recording; with rc GS_OK keeps what the read gave in the memo
 * (a copy). Never fails: a read the memo cannot keep is read again by the
 * next step. */
void gs__io_memo_rec_end(gs_ctx *ctx, gs__memo_rec *r, int rc, const char *role,
                         const char *path, const gs_input_opts *opts,
                         const gs__crsinfo *crs, const gs__model *m,
                         const gs__inputs *info);

#endif /* GS_IO_MEMO_H */
