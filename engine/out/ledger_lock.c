/*
 * ledger_lock.c - taking turns on the GeoPackage ledger.
 *
 * Two things keep writers of one ledger apart. Between gridsmith runs, a
 * lock on the ledger's folder (flock on the folder itself, so no lock
 * file is left beside the ledger), held from the first look at the
 * ledger to the commit: blocking, so a second run waits its turn however
 * long the first takes. Against any other program, SQLite's own locks:
 * the write transaction takes the write lock at its start, because GDAL
 * begins transactions DEFERRED, and a transaction that has read cannot
 * wait to write (SQLite returns busy at once there, busy timeout or not,
 * since waiting could deadlock). Apart from ledger.c and qgis_project.c,
 * which both write the ledger, so that neither needs the other.
 */
#define _POSIX_C_SOURCE 200809L
#include "ledger_lock.h"

#include <cpl_error.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "mem.h"

int gs__ledger_lock(gs_ctx *ctx, const char *path, int *out_fd) {
    char *copy = gs__strdup(path);
    int fd;
    *out_fd = -1;
    if (!copy) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    while (fd >= 0 && flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    *out_fd = fd;
    return GS_OK;
}

void gs__ledger_unlock(int fd) {
    if (fd >= 0) close(fd); /* releases the lock */
}

int gs__ledger_begin(gs_ctx *ctx, GDALDatasetH ds) {
    /* Another program's short transaction is waited for, not failed. */
    GDALDatasetReleaseResultSet(
        ds,
        GDALDatasetExecuteSQL(ds, "PRAGMA busy_timeout = 5000", NULL, NULL));
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    if (GDALDatasetStartTransaction(ds, 0) != OGRERR_NONE) return -1;
    /* A write first, before any read, takes the write lock at the start
     * (what BEGIN IMMEDIATE does), and waiting for it goes through the
     * busy timeout. It changes nothing: no row matches. */
    GDALDatasetReleaseResultSet(
        ds, GDALDatasetExecuteSQL(ds,
                                  "UPDATE gpkg_contents SET last_change = "
                                  "last_change WHERE 0",
                                  NULL, NULL));
    if (CPLGetLastErrorType() >= CE_Failure) {
        GDALDatasetRollbackTransaction(ds);
        return -1;
    }
    return GS_OK;
}
