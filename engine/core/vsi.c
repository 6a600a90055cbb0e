/*
 * vsi.c - inputs in GDAL's virtual file systems (vsi.h).
 *
 * A GDAL user names a zipped Shapefile /vsizip/city.zip/grids.shp, a
 * gzipped CSV /vsigzip/traces.csv.gz and a file on a web server
 * /vsicurl/https://...; OGR opens them as they are. The checks before
 * opening use VSIStatExL instead of stat(), and the readers that parse
 * bytes themselves with positioned reads in parallel (the CSV traces)
 * get the file's content in an unnamed temporary file: one sequential
 * read through GDAL, then the same fast path as a plain file. Copying is
 * simpler and safer than teaching every reader GDAL's VSILFILE, and
 * costs one pass over a file that is about to be read anyway.
 */
#define _POSIX_C_SOURCE 200809L
#define _LARGEFILE64_SOURCE /* VSIStatBufL is a struct stat64 */
#include "vsi.h"

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gs__is_vsi(const char *path) {
    return path && strncmp(path, "/vsi", 4) == 0 && strchr(path + 1, '/');
}

int gs__vsi_check(gs_ctx *ctx, const char *path, const char *what) {
    VSIStatBufL st;
    if (VSIStatExL(path, &st, VSI_STAT_EXISTS_FLAG | VSI_STAT_NATURE_FLAG) != 0)
        return gs__err(ctx, GS_ERR_INPUT_OPEN,
                       "%s (%s): no such file in GDAL's virtual file system",
                       path, what);
    if (VSI_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_INPUT_OPEN,
                       "%s (%s): is a directory, not a file", path, what);
    return GS_OK;
}

int gs__vsi_to_fd(gs_ctx *ctx, const char *path, const char *what, int *out_fd,
                  int64_t *out_size) {
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    char *buf = NULL;
    VSILFILE *in = NULL;
    int fd = -1, rc;
    int64_t total = 0;
    *out_fd = -1;
    *out_size = 0;
    if ((rc = gs__vsi_check(ctx, path, what))) return rc;
    in = VSIFOpenL(path, "rb");
    if (!in)
        return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (%s): cannot open", path,
                       what);
    snprintf(tmpl, sizeof tmpl, "%s/.gridsmith-vsi-XXXXXX",
             dir && *dir ? dir : "/tmp");
    fd = mkstemp(tmpl);
    if (fd < 0) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot make a temporary copy of %s: %s", tmpl, path,
                     strerror(errno));
        goto done;
    }
    unlink(tmpl); /* nameless: gone when closed, whatever happens */
    buf = gs__malloc(1 << 20);
    if (!buf) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    CPLErrorReset();
    for (;;) {
        size_t n = VSIFReadL(buf, 1, 1 << 20, in), off = 0;
        while (off < n) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                rc = gs__err(ctx, GS_ERR_IO,
                             "cannot make a temporary copy of %s: %s", path,
                             strerror(errno));
                goto done;
            }
            off += (size_t)w;
        }
        total += (int64_t)n;
        if (n < (size_t)1 << 20) break;
    }
    if (CPLGetLastErrorType() >= CE_Failure) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                     "%s (%s): read error (a damaged archive?)", path, what);
        goto done;
    }
    *out_fd = fd;
    *out_size = total;
    fd = -1;
    rc = GS_OK;
done:
    free(buf);
    if (fd >= 0) close(fd);
    VSIFCloseL(in);
    return rc;
}
