/*
 * ledger.c - the weekly history (电子化台账) kept across runs.
 *
 * The ledger is one GeoPackage, so QGIS opens it and plain SQL queries it.
 * Each table mirrors an output layer (grid_status <- validate's grids,
 * member_day and member_week <- patrol, grid_events <- hotspots) with a
 * leading `week` field, created from the layer's schema (schema.c, which
 * names the table a layer becomes), plus a `runs` table: when, what
 * command line, which parameters and inputs (with checksums), which
 * engine version. Reading it back is ledger_read.c's.
 *
 * Recording a week is one SQLite transaction (GDAL's GeoPackage driver
 * maps dataset transactions onto SQLite's): delete the week's rows from
 * every table, copy the new ones, append the run. A process killed at any
 * point leaves the journal to roll the ledger back to the previous state;
 * re-running a week replaces it, so the job is idempotent. A table missing
 * in an existing ledger (a command added later) is created in the same
 * transaction, and a table gains the cat_N columns a later week has. A
 * new ledger is made in a temporary file and linked into place, which
 * fails rather than replaces when another run made one meanwhile; writers
 * of one ledger (recording, and the QGIS project stored in it) take turns
 * on a lock of its folder, held from the check for the ledger to the
 * commit, and each write transaction holds SQLite's write lock from its
 * start (ledger_lock.c says why). A ledger another program holds locked
 * longer than five seconds is GS_ERR_IO, "locked by another program"; a
 * full disk is named as such, with the ledger.
 */
#define _POSIX_C_SOURCE 200809L
#include "ledger.h"

#include <cpl_error.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <ogr_api.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_lock.h"
#include "redact.h"
#include "shard.h"
#include "testhook.h"
#include "tmpfiles.h"
#include "writer.h"

/* Creates an empty ledger with its runs table at `path`, unless one is
 * there: made beside it under a name of its own, then linked into place,
 * which fails (EEXIST) rather than replaces a ledger another run made
 * meanwhile; the loser uses the winner's. */
static int create_ledger(gs_ctx *ctx, const char *path) {
    gs__out *o = NULL;
    gs__olayer *l;
    char *fresh = NULL, *c1 = gs__strdup(path), *c2 = gs__strdup(path);
    size_t n = strlen(path) + 48;
    int rc;
    fresh = gs__malloc(n);
    if (!fresh || !c1 || !c2) {
        free(fresh);
        free(c1);
        free(c2);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    /* Named as the writer's temporaries are, so that a later run sweeps it
     * away when this one is killed before the link. */
    snprintf(fresh, n, "%s/.%s.%ld.tmp-new.gpkg", dirname(c1), basename(c2),
             (long)getpid());
    free(c1);
    free(c2);
    unlink(fresh);
    if ((rc = gs__out_open(ctx, fresh, NULL, NULL, &o))) goto done;
    rc = gs__out_layer_schema(o, GS__LS_LEDGER_RUNS, &l);
    if (rc) {
        gs__out_abort(o);
        goto done;
    }
    if ((rc = gs__out_commit(o))) goto done;
    if (link(fresh, path) != 0 && errno != EEXIST)
        rc = errno == ENOSPC
                 ? gs__out_write_failed(ctx, path, NULL, "creating the ledger")
                 : gs__err(ctx, GS_ERR_IO, "%s: cannot create the ledger: %s",
                           path, strerror(errno));
    unlink(fresh);
done:
    free(fresh);
    return rc;
}

/* A failed step of recording: the ledger locked by another program, a
 * full disk, or the library's message, always naming the ledger. */
static int ledger_failed(gs_ctx *ctx, const char *ledger_path,
                         const char *what) {
    if (strstr(ctx->libmsg, "database is locked") ||
        strstr(ctx->libmsg, "database table is locked"))
        return gs__err(ctx, GS_ERR_IO,
                       "%s: the ledger is locked by another program (%s); "
                       "close it there and run again",
                       ledger_path, what);
    return gs__out_write_failed(ctx, ledger_path, ledger_path, what);
}

/* Adds field `name` of type `t` to ledger table `l`. */
static int add_field(OGRLayerH l, const char *name, OGRFieldType t) {
    OGRFieldDefnH f = OGR_Fld_Create(name, t);
    OGRErr e = OGR_L_CreateField(l, f, 1);
    OGR_Fld_Destroy(f);
    return e == OGRERR_NONE ? GS_OK : GS_ERR_IO;
}

/* Adds the fields of `src` in the dynamic middle of schema `s` (cat_1...),
 * in the source's order. */
static int add_middle(OGRLayerH l, const gs__layer_schema *s, OGRLayerH src) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(src);
    for (int i = 0; i < OGR_FD_GetFieldCount(fd); i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        if (gs__schema_is_dynamic(s, name) &&
            add_field(l, name, gs__out_ftype(s->dyn_type)))
            return GS_ERR_IO;
    }
    return GS_OK;
}

/* Adds to the existing ledger table `l` the fields it lacks: a field the
 * schema gained since the table was made (an older ledger), or a
 * category of `src`'s dynamic middle no earlier week had. Their rows of
 * earlier weeks stay NULL. */
static int widen(OGRLayerH l, const gs__layer_schema *s, OGRLayerH src) {
    OGRFeatureDefnH have = OGR_L_GetLayerDefn(l);
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(src);
    for (size_t k = 0; k < s->nfields; k++)
        if (strcmp(s->fields[k].name, "week") &&
            OGR_FD_GetFieldIndex(have, s->fields[k].name) < 0 &&
            add_field(l, s->fields[k].name, gs__out_ftype(s->fields[k].type)))
            return GS_ERR_IO;
    for (int i = 0; s->dyn_prefix && i < OGR_FD_GetFieldCount(fd); i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        if (gs__schema_is_dynamic(s, name) &&
            OGR_FD_GetFieldIndex(have, name) < 0 &&
            add_field(l, name, gs__out_ftype(s->dyn_type)))
            return GS_ERR_IO;
    }
    return GS_OK;
}

/* The ledger table of layer `s`: found (and widened), or created as the schema
 * says (a leading `week`, then the layer's fields less its own week, with its
 * dynamic middle as `src` has it) with the geometry type and CRS of `src`,
 * the stage's layer. NULL with the context's error (GS_ERR_IO), also when
 * `src` lacks one of the schema's fields. */
static OGRLayerH ledger_table(gs_ctx *ctx, GDALDatasetH ds, const char *path,
                              const gs__layer_schema *s, OGRLayerH src) {
    OGRLayerH l = GDALDatasetGetLayerByName(ds, s->ledger_table);
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(src);
    char **lco = NULL;
    for (size_t k = 0; k < s->nfields; k++)
        if (OGR_FD_GetFieldIndex(fd, s->fields[k].name) < 0) {
            gs__err(ctx, GS_ERR_IO,
                    "%s: layer %s has no field %s to record in the ledger",
                    path, s->layer, s->fields[k].name);
            return NULL;
        }
    if (l) {
        gs__libmsg_clear(ctx);
        if (widen(l, s, src) == GS_OK) return l;
        gs__out_write_failed(ctx, path, NULL, "adding new fields to a table");
        return NULL;
    }
    lco = CSLSetNameValue(lco, "FID", "fid");
    if (OGR_L_GetGeomType(src) != wkbNone)
        lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    gs__libmsg_clear(ctx);
    l = GDALDatasetCreateLayer(ds, s->ledger_table, OGR_L_GetSpatialRef(src),
                               OGR_L_GetGeomType(src), lco);
    CSLDestroy(lco);
    if (l && add_field(l, "week", OFTString)) l = NULL;
    for (size_t k = 0; l && k < s->nfields; k++) {
        /* A layer's own week field is the ledger's week. */
        if (s->dyn_prefix && k == s->dyn_at && add_middle(l, s, src)) l = NULL;
        if (l && strcmp(s->fields[k].name, "week") &&
            add_field(l, s->fields[k].name, gs__out_ftype(s->fields[k].type)))
            l = NULL;
    }
    if (!l)
        gs__err_lib(ctx, GS_ERR_IO, "%s: cannot create table %s", path,
                    s->ledger_table);
    return l;
}

/* Copies every feature of `src` (at `where`) into ledger table `dst` of
 * the ledger at `ledger_path`, matching fields by name, with `week` set. A
 * failed write names the ledger, and says so when the disk is full. */
static int copy_rows(gs_ctx *ctx, OGRLayerH src, OGRLayerH dst,
                     const char *week, const char *ledger_path,
                     const char *where) {
    OGRFeatureDefnH sfd = OGR_L_GetLayerDefn(src);
    OGRFeatureDefnH dfd = OGR_L_GetLayerDefn(dst);
    int n = OGR_FD_GetFieldCount(sfd), wi = OGR_FD_GetFieldIndex(dfd, "week");
    int *map = gs__malloc(sizeof *map * (size_t)(n ? n : 1));
    OGRFeatureH f;
    int rc = GS_OK;
    if (!map) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        map[i] = OGR_FD_GetFieldIndex(
            dfd, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(sfd, i)));
    OGR_L_ResetReading(src);
    while ((f = OGR_L_GetNextFeature(src)) != NULL) {
        OGRFeatureH g = OGR_F_Create(dfd);
        OGRErr e;
        if (!g) {
            OGR_F_Destroy(f);
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            break;
        }
        OGR_F_SetFromWithMap(g, f, 1, map);
        OGR_F_SetFID(g, OGRNullFID);
        OGR_F_SetFieldString(g, wi, week);
        e = OGR_L_CreateFeature(dst, g);
        OGR_F_Destroy(g);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            char what[700];
            snprintf(what, sizeof what, "cannot write table %s, copying %s",
                     OGR_L_GetName(dst), where);
            rc = ledger_failed(ctx, ledger_path, what);
            break;
        }
        gs__crash_point("ledger.row");
        if (gs__tmp_pending()) { /* SIGINT or SIGTERM: roll back */
            rc = gs__err(ctx, GS_ERR_IO,
                         "%s: interrupted; the ledger is left as it was",
                         ledger_path);
            break;
        }
    }
    free(map);
    return rc;
}

/* Replaces week `week` of the ledger table of `part` with the rows of its
 * stage layer, inside the open transaction of `ds`. */
static int record_part(gs_ctx *ctx, GDALDatasetH ds, const char *ledger_path,
                       const char *week, const gs__ledger_part *part) {
    const gs__layer_schema *ls = gs__schema(part->layer);
    const char *path = part->path;
    GDALDatasetH src = GDALOpenEx(
        path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, NULL,
        NULL, NULL);
    OGRLayerH sl = src ? GDALDatasetGetLayerByName(src, ls->layer) : NULL;
    OGRLayerH dl;
    char where[600], *sql;
    int rc = GS_OK;
    if (!sl) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s: no layer %s to record in the ledger", path,
                         ls->layer);
        goto done;
    }
    if (!(dl = ledger_table(ctx, ds, ledger_path, ls, sl))) {
        rc = ctx->errcode;
        goto done;
    }
    /* Re-running a week replaces it: the week's rows of this shard (the
     * shard's stage wrote only the rows it owns: by community_code where
     * the table has one, else by the member's grid_code), all of them
     * without a shard. The name and the week are quoted the way SQLite
     * wants them (%w, %q), whatever they hold. */
    if (gs__shard_active(ctx)) {
        OGRFeatureDefnH dfd = OGR_L_GetLayerDefn(dl);
        char *own = gs__shard_filter(
            ctx, OGR_FD_GetFieldIndex(dfd, "community_code") >= 0
                     ? "community_code"
                     : "grid_code");
        sql = own ? sqlite3_mprintf(
                        "DELETE FROM \"%w\" WHERE week = '%q' "
                        "AND (%s)",
                        ls->ledger_table, week, own)
                  : NULL;
        free(own);
    } else {
        sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE week = '%q'",
                              ls->ledger_table, week);
    }
    if (!sql) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    GDALDatasetReleaseResultSet(ds, GDALDatasetExecuteSQL(ds, sql, NULL, NULL));
    sqlite3_free(sql);
    if (CPLGetLastErrorType() >= CE_Failure) {
        char what[160];
        snprintf(what, sizeof what, "cannot replace week %s in table %s", week,
                 ls->ledger_table);
        rc = ledger_failed(ctx, ledger_path, what);
        goto done;
    }
    gs__crash_point("ledger.delete");
    snprintf(where, sizeof where, "%s, layer %s", path, ls->layer);
    rc = copy_rows(ctx, sl, dl, week, ledger_path, where);
done:
    if (src) GDALClose(src);
    return rc;
}

/* Appends the run to the ledger's runs table. */
static int record_run(gs_ctx *ctx, GDALDatasetH ds, const char *ledger_path,
                      const char *week, const char *command_line,
                      const char *started, const char *run_json) {
    OGRLayerH runs = GDALDatasetGetLayerByName(ds, "runs");
    OGRFeatureH f = runs ? OGR_F_Create(OGR_L_GetLayerDefn(runs)) : NULL;
    char finished[32];
    /* The command line and the stages' outputs may hold a password. */
    char *cl = gs__redact(command_line ? command_line : "");
    char *rj = gs__redact(run_json ? run_json : "{}");
    int rc = GS_OK;
    if (!f || !cl || !rj) {
        if (f) OGR_F_Destroy(f);
        free(cl);
        free(rj);
        if (f || !runs) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        return gs__err(ctx, GS_ERR_IO, "%s: the ledger has no runs table",
                       ledger_path);
    }
    gs__utc_now(finished, sizeof finished);
    OGR_F_SetFieldString(f, GS__LR_WEEK, week);
    OGR_F_SetFieldString(f, GS__LR_STARTED_AT, started);
    OGR_F_SetFieldString(f, GS__LR_FINISHED_AT, finished);
    OGR_F_SetFieldString(f, GS__LR_ENGINE_VERSION, GS_VERSION_STRING);
    OGR_F_SetFieldString(f, GS__LR_COMMAND_LINE, cl);
    OGR_F_SetFieldString(f, GS__LR_RUN, rj);
    if (OGR_L_CreateFeature(runs, f) != OGRERR_NONE)
        rc = ledger_failed(ctx, ledger_path, "cannot record the run");
    OGR_F_Destroy(f);
    free(cl);
    free(rj);
    return rc;
}

int gs__ledger_record(gs_ctx *ctx, const char *ledger_path, const char *week,
                      const gs__ledger_part *parts, size_t n_parts,
                      const char *command_line, const char *started,
                      const char *run_json) {
    GDALDatasetH ds = NULL;
    struct stat st;
    int rc = GS_OK, in_tx = 0, lock_fd = -1, deferred = 0;

    if ((rc = gs__ledger_lock(ctx, ledger_path, &lock_fd))) return rc;
    gs__out_sweep(ledger_path); /* a killed run's half-made ledger */
    if (stat(ledger_path, &st) != 0) {
        gs__crash_point("ledger.create");
        if ((rc = create_ledger(ctx, ledger_path))) goto done;
    }
    if ((rc = gs__ledger_probe(ctx, ledger_path, 1))) goto done;
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(ledger_path,
                    GDAL_OF_VECTOR | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR,
                    (const char *const[]){"GPKG", NULL}, NULL, NULL);
    if (!ds) {
        rc = strstr(ctx->libmsg, "locked")
                 ? ledger_failed(ctx, ledger_path, "cannot open it")
                 : gs__err_lib(ctx, GS_ERR_IO,
                               "%s: cannot open the ledger for update (not a "
                               "GeoPackage?)",
                               ledger_path);
        goto done;
    }
    /* SIGINT or SIGTERM from here to the close waits for the rollback (or
     * the commit): the ledger is never left with a hot journal. */
    gs__tmp_defer_begin();
    deferred = 1;
    if (gs__ledger_begin(ctx, ds)) {
        rc = ledger_failed(ctx, ledger_path, "cannot start a transaction");
        goto done;
    }
    in_tx = 1;
    gs__crash_point("ledger.begin");
    for (size_t i = 0; i < n_parts; i++)
        if ((rc = record_part(ctx, ds, ledger_path, week, &parts[i])))
            goto done;
    if ((rc = record_run(ctx, ds, ledger_path, week, command_line, started,
                         run_json)))
        goto done;
    gs__crash_point("ledger.commit");
    if (gs__tmp_pending()) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: interrupted; the ledger is left as it was",
                     ledger_path);
        goto done;
    }
    gs__libmsg_clear(ctx);
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        rc = ledger_failed(ctx, ledger_path, "cannot commit the week");
        goto done;
    }
    in_tx = 0;
    gs__crash_point("ledger.committed");
done:
    if (in_tx) GDALDatasetRollbackTransaction(ds);
    if (ds) GDALClose(ds);
    gs__ledger_unlock(lock_fd);
    if (deferred) gs__tmp_defer_end(); /* a signal meanwhile: now */
    return rc;
}

/* ---- the ledger in PostgreSQL ------------------------------------------ */

/* Appends `s` as an SQL string literal (standard_conforming_strings, the
 * server's default since 9.1: only the quote is doubled). */
static void pg_literal(gs__buf *b, const char *s) { gs__buf_quote(b, s, '\''); }

/* The columns of table schema.name, in order, as "name\ttype\n" lines
 * (type spelt by format_type: geometry(MultiPolygon,4490)), without the
 * writer's own key `fid` and a source's own `week` (the ledger's week).
 * Empty when the table does not exist. */
static int pg_columns(gs_ctx *ctx, GDALDatasetH ds, const char *schema,
                      const char *name, gs__buf *out) {
    char sql[512];
    OGRLayerH res;
    OGRFeatureH f;
    snprintf(sql, sizeof sql,
             "SELECT attname::text AS a, format_type(atttypid, atttypmod) "
             "AS t FROM pg_attribute WHERE attrelid = "
             "to_regclass('\"%s\".\"%s\"') AND attnum > 0 AND NOT "
             "attisdropped AND attname NOT IN ('fid', 'week') ORDER BY "
             "attnum",
             schema, name);
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!res || CPLGetLastErrorType() >= CE_Failure) {
        if (res) GDALDatasetReleaseResultSet(ds, res);
        return gs__err_lib(ctx, GS_ERR_IO, "cannot read the columns of %s.%s",
                           schema, name);
    }
    while ((f = OGR_L_GetNextFeature(res)) != NULL) {
        gs__buf_printf(out, "%s\t%s\n", OGR_F_GetFieldAsString(f, 0),
                       OGR_F_GetFieldAsString(f, 1));
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, res);
    return out->failed ? gs__err(ctx, GS_ERR_NOMEM, "out of memory") : GS_OK;
}

/* 1 when pg_columns' listing `cols` holds column `name`. */
static int has_column(const gs__buf *cols, const char *name) {
    size_t n = strlen(name);
    for (const char *l = cols->len ? cols->data : ""; *l;) {
        const char *end = strchr(l, '\n');
        if (!strncmp(l, name, n) && l[n] == '\t') return 1;
        l = end + 1;
    }
    return 0;
}

/* Copies one stage table's rows of this shard into its ledger table,
 * creating it or adding the columns it lacks. */
static int pg_part(gs_ctx *ctx, GDALDatasetH ds, const char *schema,
                   const char *week, const gs__ledger_part *p) {
    const gs__layer_schema *ls = gs__schema(p->layer);
    const char *table = ls->ledger_table, *layer = ls->layer;
    gs__buf src, have, sql, cols;
    int rc;
    gs__buf_init(&src, 0);
    gs__buf_init(&have, 0);
    gs__buf_init(&sql, 0);
    gs__buf_init(&cols, 0);
    if ((rc = pg_columns(ctx, ds, p->path, layer, &src))) goto done;
    if (!src.len) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                     "no table %s.%s to record in the ledger", p->path, layer);
        goto done;
    }
    if ((rc = pg_columns(ctx, ds, schema, table, &have))) goto done;
    if (!have.len) {
        gs__buf_printf(&sql,
                       "CREATE TABLE \"%s\".\"%s\" (fid bigserial PRIMARY "
                       "KEY, week text NOT NULL)",
                       schema, table);
        if (sql.failed) goto nomem;
        if ((rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
        sql.len = 0;
        gs__buf_printf(&sql, "CREATE INDEX ON \"%s\".\"%s\" (week, shard)",
                       schema, table);
        if (strstr(src.data, "geom\tgeometry"))
            gs__buf_printf(&sql,
                           "; CREATE INDEX ON \"%s\".\"%s\" USING gist "
                           "(geom)",
                           schema, table);
    }
    /* Every stage column, added to the ledger when missing: ALTER TABLE
     * locks out the ledger's readers, so only a new column pays for it. */
    for (char *line = src.data; *line;) {
        char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        gs__buf alter;
        *tab = *end = '\0';
        /* A shard's category columns follow its own categories (cat_1 is
         * its most frequent): side by side with other shards' they would
         * mean different things. They stay in the stage's schema. */
        if (gs__shard_active(ctx) && !strncmp(line, "cat_", 4)) {
            line = end + 1;
            continue;
        }
        if (!has_column(&have, line)) {
            gs__buf_init(&alter, 0);
            gs__buf_printf(&alter,
                           "ALTER TABLE \"%s\".\"%s\" ADD COLUMN \"%s\" %s",
                           schema, table, line, tab + 1);
            rc = alter.failed ? gs__err(ctx, GS_ERR_NOMEM, "out of memory")
                              : gs__pg_exec(ctx, ds, alter.data);
            gs__buf_free(&alter);
            if (rc) goto done;
        }
        gs__buf_printf(&cols, ", \"%s\"", line);
        line = end + 1;
    }
    /* The index on (week, shard) needs the shard column added above. */
    if (sql.len && (rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
    sql.len = 0;
    gs__buf_printf(&sql, "DELETE FROM \"%s\".\"%s\" WHERE week = '%s'", schema,
                   table, week);
    if (gs__shard_active(ctx))
        gs__buf_printf(&sql, " AND shard = '%s'", gs__shard_key(ctx));
    if (sql.failed) goto nomem;
    if ((rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
    gs__crash_point("ledger.delete");
    sql.len = 0;
    gs__buf_printf(&sql,
                   "INSERT INTO \"%s\".\"%s\" (week%s) SELECT '%s'%s FROM "
                   "\"%s\".\"%s\" WHERE shard = '%s'",
                   schema, table, cols.data, week, cols.data, p->path, layer,
                   gs__shard_key(ctx));
    if (sql.failed) goto nomem;
    rc = gs__pg_exec(ctx, ds, sql.data);
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    gs__buf_free(&src);
    gs__buf_free(&have);
    gs__buf_free(&sql);
    gs__buf_free(&cols);
    return rc;
}

int gs__ledger_record_pg(gs_ctx *ctx, const char *conn, const char *schema,
                         const char *week, const gs__ledger_part *parts,
                         size_t n_parts, const char *command_line,
                         const char *started, const char *run_json) {
    GDALDatasetH ds;
    gs__buf sql;
    char finished[32];
    int rc = GS_OK, in_tx = 0;

    gs__buf_init(&sql, 0);
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(conn,
                    GDAL_OF_VECTOR | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR,
                    (const char *const[]){"PostgreSQL", NULL}, NULL, NULL);
    if (!ds)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot connect to the ledger's database", conn);
    if (GDALDatasetStartTransaction(ds, 0) != OGRERR_NONE) {
        rc =
            gs__err_lib(ctx, GS_ERR_IO, "%s: cannot start a transaction", conn);
        goto done;
    }
    in_tx = 1;
    gs__crash_point("ledger.begin");
    /* One ledger writer at a time: tables are created or widened without
     * racing, and a shard's delete and insert never interleave with
     * another's. Held to the commit; the copies run inside the server. */
    gs__buf_printf(&sql,
                   "SELECT pg_advisory_xact_lock(hashtext('gridsmith-ledger:"
                   "%s'))",
                   schema);
    if ((rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
    sql.len = 0;
    gs__buf_printf(&sql,
                   "CREATE SCHEMA IF NOT EXISTS \"%s\"; CREATE TABLE IF NOT "
                   "EXISTS \"%s\".runs (fid bigserial PRIMARY KEY, week "
                   "text, shard text, started_at text, finished_at text, "
                   "engine_version text, command_line text, run text)",
                   schema, schema);
    if ((rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
    for (size_t i = 0; i < n_parts; i++)
        if ((rc = pg_part(ctx, ds, schema, week, &parts[i]))) goto done;
    gs__utc_now(finished, sizeof finished);
    sql.len = 0;
    gs__buf_printf(&sql,
                   "INSERT INTO \"%s\".runs (week, shard, started_at, "
                   "finished_at, engine_version, command_line, run) VALUES "
                   "('%s', '%s', ",
                   schema, week, gs__shard_key(ctx));
    pg_literal(&sql, started);
    gs__buf_puts(&sql, ", ");
    pg_literal(&sql, finished);
    gs__buf_puts(&sql, ", ");
    pg_literal(&sql, GS_VERSION_STRING);
    gs__buf_puts(&sql, ", ");
    {
        /* The command line and the stages' outputs may hold a password. */
        char *cl = gs__redact(command_line ? command_line : "");
        char *rj = gs__redact(run_json ? run_json : "{}");
        if (!cl || !rj) sql.failed = 1;
        pg_literal(&sql, cl ? cl : "");
        gs__buf_puts(&sql, ", ");
        pg_literal(&sql, rj ? rj : "{}");
        free(cl);
        free(rj);
    }
    gs__buf_puts(&sql, ")");
    if (sql.failed) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = gs__pg_exec(ctx, ds, sql.data))) goto done;
    gs__crash_point("ledger.commit");
    gs__libmsg_clear(ctx);
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        rc = gs__err_lib(ctx, GS_ERR_IO, "%s: cannot commit the ledger", conn);
        goto done;
    }
    in_tx = 0;
    gs__crash_point("ledger.committed");
done:
    if (in_tx) GDALDatasetRollbackTransaction(ds);
    GDALClose(ds);
    gs__buf_free(&sql);
    return rc;
}
