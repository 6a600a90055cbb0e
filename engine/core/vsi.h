/*
 * vsi.h - inputs in GDAL's virtual file systems (vsi.c): /vsizip/,
 * /vsigzip/, /vsitar/, /vsicurl/, /vsis3/... as GDAL users name them.
 *
 * Readers that go through OGR open such paths as they are; the checks
 * before opening and the readers that read bytes themselves (the CSV
 * readers of traces and calendars, checksums) come here.
 */
#ifndef GS_VSI_H
#define GS_VSI_H

#include <stdint.h>

#include "ctx.h"

/* 1 when `path` names a file in one of GDAL's virtual file systems. */
int gs__is_vsi(const char *path);

/* The file exists there and is not a directory: GS_OK, else
 * GS_ERR_INPUT_OPEN naming `path` and `what` it is for. */
int gs__vsi_check(gs_ctx *ctx, const char *path, const char *what);

/* The file's bytes in an unnamed temporary file (already unlinked, in
 * $TMPDIR or /tmp), for readers that work on a file descriptor: *out_fd
 * (the caller closes it) and *out_size. GS_ERR_INPUT_OPEN when it cannot
 * be read, GS_ERR_IO when the copy cannot be written. */
int gs__vsi_to_fd(gs_ctx *ctx, const char *path, const char *what, int *out_fd,
                  int64_t *out_size);

#endif /* GS_VSI_H */
