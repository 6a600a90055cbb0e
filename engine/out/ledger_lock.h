/*
 * ledger_lock.h - taking turns on the GeoPackage ledger: the folder lock
 * every writer holds, and a write transaction that holds SQLite's write
 * lock from its start (ledger_lock.c).
 */
#ifndef GS_LEDGER_LOCK_H
#define GS_LEDGER_LOCK_H

#include <gdal.h>

#include "ctx.h"

/* Takes the turn of writing the GeoPackage ledger at `path`: a lock on its
 * folder (flock, so no lock file is left beside it), blocking until
 * another gridsmith run writing a ledger there has committed. Every
 * writer of the ledger (recording a week, storing the week's QGIS
 * project) holds it from its first look at the ledger to its commit.
 * *out_fd is -1 when the folder takes no lock (the writes are then kept
 * apart by SQLite's lock alone); gs__ledger_unlock gives the turn back
 * (accepts -1). GS_ERR_NOMEM is the only failure. */
int gs__ledger_lock(gs_ctx *ctx, const char *path, int *out_fd);
void gs__ledger_unlock(int fd);

/* Starts the write transaction of the GeoPackage ledger `ds` holding
 * SQLite's write lock from its start, as BEGIN IMMEDIATE does: waiting
 * for another program's write goes through a five-second busy timeout
 * instead of failing at once on the upgrade from reading to writing.
 * 0 when started; -1 when not (GDAL's message in the context's libmsg,
 * "database is locked" when the wait ran out; no transaction is left
 * open), for the caller to say what it was doing. */
int gs__ledger_begin(gs_ctx *ctx, GDALDatasetH ds);

#endif
