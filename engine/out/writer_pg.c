/*
 * writer_pg.c - the writer's PostgreSQL/PostGIS specifics (writer.c).
 *
 * An output given as "PG:<connection>" goes into PostgreSQL/PostGIS through
 * OGR's PostgreSQL driver rather than into a GeoPackage, in the context's
 * schema ({schema}, default public), with the same layers and fields plus
 * one: `shard`, the shard key of the run that wrote the row
 * ("110108,110109"; "" for a run without a shard). The whole command is
 * one transaction: a failed or killed run rolls back and leaves nothing.
 * Each writer deletes the rows of its own shard key before inserting
 * (COPY), so re-running a shard replaces exactly its rows; a run without
 * a shard replaces all rows.
 *
 * Many shards write the same tables at once. Deleting and copying their
 * own rows needs no lock; creating the tables does, or two first writers
 * would both try. So a writer that finds the schema not yet complete (no
 * committed run_metadata table, which every command writes after its
 * layers) takes a session advisory lock keyed by the schema, looks again
 * once it has it (the writer before may have committed everything in the
 * meantime: then it lets go at once), and otherwise keeps it until its
 * commit closes the connection. Only the first writers of a fresh schema
 * queue; later ones run fully in parallel. Styles go into
 * public.layer_styles, where QGIS looks for them, shared by all schemas:
 * they are written last under one transaction-scoped lock for all
 * writers, held from there to the commit. No writer waits for the schema
 * lock while holding that one, so the two cannot deadlock.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <stdio.h>
#include <string.h>

#include "shard.h"
#include "writer_int.h"

int gs__out_is_pg(const char *path) {
    return path && strncmp(path, "PG:", 3) == 0;
}

int gs__pg_exec(gs_ctx *ctx, GDALDatasetH ds, const char *sql) {
    OGRLayerH res;
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res) GDALDatasetReleaseResultSet(ds, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return gs__err_lib(ctx, GS_ERR_IO, "PostgreSQL output: %s failed", sql);
    return GS_OK;
}

static int pg_exec(gs__out *o, const char *sql) {
    return gs__pg_exec(o->ctx, o->ds, sql);
}

/* The integer a one-row query `sql` returns (0 or 1 here); -1 with the
 * context's error set. */
static int pg_flag(gs__out *o, const char *sql) {
    OGRLayerH res;
    OGRFeatureH f;
    int v = 0;
    gs__libmsg_clear(o->ctx);
    res = GDALDatasetExecuteSQL(o->ds, sql, NULL, NULL);
    if (!res) {
        gs__err_lib(o->ctx, GS_ERR_IO, "%s: cannot look at schema %s", o->path,
                    o->schema);
        return -1;
    }
    f = OGR_L_GetNextFeature(res);
    if (f) {
        v = OGR_F_GetFieldAsInteger(f, 0);
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(o->ds, res);
    return v;
}

/* *out_ready: 1 when the schema holds a committed run_metadata table, so
 * an earlier writer of this command created all its tables. */
static int pg_complete(gs__out *o, int *out_ready) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN to_regclass('\"%s\".run_metadata') IS NULL "
             "THEN 0 ELSE 1 END AS ready",
             o->schema);
    *out_ready = pg_flag(o, sql);
    return *out_ready < 0 ? GS_ERR_IO : GS_OK;
}

int gs__out_pg_open(gs__out *o) {
    gs_ctx *ctx = o->ctx;
    char sql[256];
    double t0;
    int rc, ready;
    snprintf(o->schema, sizeof o->schema, "%s", gs__ctx_schema(ctx, "public"));
    /* COPY, not one INSERT per row, also into tables that already exist
     * (the driver's default only for tables it has just created). The
     * option is per thread; out_free clears it. */
    CPLSetThreadLocalConfigOption("PG_USE_COPY", "YES");
    gs__libmsg_clear(ctx);
    o->ds = GDALOpenEx(o->path,
                       GDAL_OF_VECTOR | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR,
                       (const char *const[]){"PostgreSQL", NULL}, NULL, NULL);
    if (!o->ds)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot connect to the output database",
                           o->path);
    if (GDALDatasetStartTransaction(o->ds, 0) != OGRERR_NONE)
        return gs__err_lib(ctx, GS_ERR_IO, "%s: cannot start a transaction",
                           o->path);
    if ((rc = pg_complete(o, &ready)) || ready) return rc;
    t0 = gs__now();
    snprintf(sql, sizeof sql,
             "SELECT pg_advisory_lock(hashtext('gridsmith:%s'))", o->schema);
    if ((rc = pg_exec(o, sql))) return rc;
    gs__phase_note(ctx, "lock_wait", gs__now() - t0);
    if ((rc = pg_complete(o, &ready))) return rc;
    if (ready) {
        snprintf(sql, sizeof sql,
                 "SELECT pg_advisory_unlock(hashtext('gridsmith:%s'))",
                 o->schema);
        return pg_exec(o, sql);
    }
    /* Kept until the connection closes, after the commit. */
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS \"%s\"", o->schema);
    return pg_exec(o, sql);
}

/* PostgreSQL: reuses the table `schema.name` when an earlier run or
 * another shard created it (its columns must be ours, in our order, then
 * `shard`) and deletes the rows of this run's shard key (all rows without
 * --shard). *out_lyr stays NULL when the table does not exist yet. */
int gs__out_pg_reuse(gs__out *o, const char *name, const gs__field *fields,
                     size_t nfields, OGRLayerH *out_lyr) {
    char full[160], sql[1200];
    OGRLayerH lyr;
    OGRFeatureDefnH fd;
    int n;
    *out_lyr = NULL;
    snprintf(full, sizeof full, "%s.%s", o->schema, name);
    /* Asked first: the driver's own look-up of a missing table fails a
     * statement, which aborts the whole transaction (a table dropped by
     * hand, or a layer a later version adds). */
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN to_regclass('\"%s\".\"%s\"') IS NULL THEN 0 "
             "ELSE 1 END AS present",
             o->schema, name);
    if ((n = pg_flag(o, sql)) < 0) return GS_ERR_IO;
    if (!n) return GS_OK;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    lyr = GDALDatasetGetLayerByName(o->ds, full);
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!lyr) return GS_OK;
    fd = OGR_L_GetLayerDefn(lyr);
    n = OGR_FD_GetFieldCount(fd);
    for (size_t i = 0; i <= nfields; i++) {
        const char *want = i < nfields ? fields[i].name : "shard";
        if ((int)i >= n ||
            strcmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, (int)i)), want) !=
                0)
            return gs__err(o->ctx, GS_ERR_IO,
                           "%s: table %s exists with other columns than "
                           "this version of gridsmith writes (expected %s "
                           "as column %zu); drop it or write into another "
                           "{schema}",
                           o->path, full, want, i + 1);
    }
    if (gs__shard_active(o->ctx))
        snprintf(sql, sizeof sql,
                 "DELETE FROM \"%s\".\"%s\" WHERE shard = '%s'", o->schema,
                 name, gs__shard_key(o->ctx));
    else
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\".\"%s\"", o->schema, name);
    *out_lyr = lyr;
    return pg_exec(o, sql);
}

/* PostgreSQL: the database's name (QGIS matches styles on it), and
 * public.layer_styles if it exists, after deleting the styles of this
 * schema's layers that are about to be written again. */
int gs__out_pg_styles(gs__out *o, char *catalog, size_t size,
                      OGRLayerH *out_lyr) {
    OGRLayerH res, lyr;
    OGRFeatureH f;
    double t0 = gs__now();
    int rc;
    *out_lyr = NULL;
    /* Held to the commit, which follows. */
    if ((rc = pg_exec(o, "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")")))
        return rc;
    gs__phase_note(o->ctx, "styles_lock_wait", gs__now() - t0);
    res = GDALDatasetExecuteSQL(o->ds, "SELECT current_database()", NULL, NULL);
    if (res) {
        f = OGR_L_GetNextFeature(res);
        if (f) {
            snprintf(catalog, size, "%s", OGR_F_GetFieldAsString(f, 0));
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(o->ds, res);
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    lyr = GDALDatasetGetLayerByName(o->ds, "public.layer_styles");
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!lyr) return GS_OK;
    for (int i = 0; i < o->nlayers; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "DELETE FROM public.layer_styles WHERE f_table_schema = "
                 "'%s' AND f_table_name = '%s'",
                 o->schema, o->layers[i].name);
        if ((rc = pg_exec(o, sql))) return rc;
    }
    *out_lyr = lyr;
    return GS_OK;
}
