/*
 * ledger_read.c - reading weeks back from the ledger (ledger.h).
 *
 * The monthly assessment (assess) and the weekly report (report_*.c) read
 * the same tables the job records (ledger.c): grid_status, member_week,
 * member_day, grid_events and runs. This file is their one reader, so the
 * tables' field names come from the layer schemas (schema.c) and nowhere
 * else, and the shard's filter is applied in one place.
 *
 * Rows are handed to a callback one at a time as plain structs, strings
 * borrowed for the call: a city's member_week of a month is a few
 * thousand rows, a province shard's tens of thousands, and each caller
 * keeps only what it needs in its own arrays. Rows are selected in the
 * database (an OGR attribute filter: week, the shard's grid codes, the
 * missed days), which a GeoPackage runs as SQLite's WHERE and a PostGIS
 * ledger as the server's. The weekly tallies of the report's trend are
 * two grouped queries in SQL that SQLite and PostgreSQL read alike,
 * merged here; SQLite would join them by nested loops, seconds for a
 * city.
 *
 * Weeks are spelt "2026-W47" everywhere in the ledger, so a span of weeks
 * is a BETWEEN of strings; a week holding anything but digits, 'W' and
 * '-' is refused before it goes into a filter.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_error.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "ledger.h"
#include "shard.h"
#include "writer.h"

/* Fields of a schema looked up at most: far above any layer's. */
#define MAX_FIELDS 64

struct gs__ledger {
    gs_ctx *ctx;
    char *path;
    GDALDatasetH ds;
    /* " AND (grid_code LIKE '110108%' OR ...)" with a shard, else "": the
     * rows of the grids (and members on the grids) the shard owns. */
    char *shard_sql;
    /* A PostGIS ledger with a shard: " AND (...)" selecting the runs whose
     * shard covers the shard asked for or lies inside it; else "". */
    char *runs_sql;
};

void gs__ledger_close(gs__ledger *l) {
    if (!l) return;
    if (l->ds) GDALClose(l->ds);
    free(l->path);
    free(l->shard_sql);
    free(l->runs_sql);
    free(l);
}

/* Builds the shard's filters of `l` (none without a shard). */
static int shard_filters(gs__ledger *l) {
    gs_ctx *ctx = l->ctx;
    gs__buf runs;
    char *f;
    size_t n;
    if (!gs__shard_active(ctx)) {
        l->shard_sql = gs__strdup("");
        l->runs_sql = gs__strdup("");
        return l->shard_sql && l->runs_sql ? GS_OK : GS_ERR_NOMEM;
    }
    f = gs__shard_filter(ctx, "grid_code");
    if (!f) return GS_ERR_NOMEM;
    n = strlen(f) + 8;
    l->shard_sql = gs__malloc(n);
    if (l->shard_sql) snprintf(l->shard_sql, n, " AND (%s)", f);
    free(f);
    if (!l->shard_sql) return GS_ERR_NOMEM;
    gs__buf_init(&runs, 0);
    /* A GeoPackage ledger's runs have no shard: all of the week's. */
    if (gs__out_is_pg(l->path)) {
        for (int i = 0; i < gs__shard_count(ctx); i++)
            gs__buf_printf(&runs,
                           "%s'%s' LIKE shard || '%%' OR shard LIKE '%s%%'",
                           i ? " OR " : " AND (", gs__shard_prefix(ctx, i),
                           gs__shard_prefix(ctx, i));
        gs__buf_puts(&runs, ")");
    } else {
        gs__buf_puts(&runs, "");
    }
    l->runs_sql = runs.failed ? NULL : gs__buf_steal(&runs);
    gs__buf_free(&runs);
    return l->runs_sql ? GS_OK : GS_ERR_NOMEM;
}

int gs__ledger_probe(gs_ctx *ctx, const char *path, int write) {
    sqlite3 *db = NULL;
    int rc = GS_OK, s;
    if (gs__out_is_pg(path)) return GS_OK;
    s = sqlite3_open_v2(
        path, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL);
    if (s == SQLITE_OK) {
        /* A short transaction elsewhere is waited for. */
        sqlite3_busy_timeout(db, 5000);
        s = sqlite3_exec(db,
                         write ? "BEGIN IMMEDIATE; ROLLBACK"
                               : "SELECT count(*) FROM sqlite_master",
                         NULL, NULL, NULL);
    }
    if (s == SQLITE_BUSY || s == SQLITE_LOCKED)
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: the ledger is locked by another program (a "
                     "transaction is open in it: QGIS editing it, a "
                     "database tool, another gridsmith run?); close it "
                     "there and run again",
                     path);
    /* Anything else (not a database, no such file) is for GDAL to say. */
    sqlite3_close(db);
    return rc;
}

int gs__ledger_open(gs_ctx *ctx, const char *path, gs__ledger **out) {
    gs__ledger *l;
    struct stat st;
    int rc;
    *out = NULL;
    if (!gs__out_is_pg(path) && stat(path, &st) != 0)
        return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: cannot open the ledger: %s",
                       path, strerror(errno));
    /* A ledger held locked is not bad input: the input is fine, it is
     * busy (exit 4, not 3). */
    if ((rc = gs__ledger_probe(ctx, path, 0))) return rc;
    l = gs__calloc(1, sizeof *l);
    if (!l || !(l->path = gs__strdup(path))) {
        free(l);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    l->ctx = ctx;
    gs__libmsg_clear(ctx);
    l->ds = GDALOpenEx(
        path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        (const char *const[]){"GPKG", "PostgreSQL", NULL}, NULL, NULL);
    if (!l->ds) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s: cannot open the ledger (a GeoPackage written "
                         "by gridsmith run)",
                         path);
        gs__ledger_close(l);
        return rc;
    }
    /* A run committing its week meanwhile holds the file for a moment:
     * reading waits for it instead of failing. */
    if (!gs__out_is_pg(path))
        GDALDatasetReleaseResultSet(
            l->ds, GDALDatasetExecuteSQL(l->ds, "PRAGMA busy_timeout = 5000",
                                         NULL, NULL));
    if (shard_filters(l)) {
        gs__ledger_close(l);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    *out = l;
    return GS_OK;
}

const char *gs__ledger_path(const gs__ledger *l) { return l->path; }

int gs__ledger_has(const gs__ledger *l, const char *table) {
    return GDALDatasetGetLayerByName(l->ds, table) != NULL;
}

int gs__ledger_has_fields(const gs__ledger *l, gs__layer_id id,
                          unsigned long mask, const char **out_missing) {
    const gs__layer_schema *s = gs__schema(id);
    OGRLayerH lyr = GDALDatasetGetLayerByName(l->ds, s->ledger_table);
    OGRFeatureDefnH fd = lyr ? OGR_L_GetLayerDefn(lyr) : NULL;
    *out_missing = NULL;
    for (size_t k = 0; k < s->nfields; k++)
        if ((mask & (1ul << k)) &&
            (!fd || OGR_FD_GetFieldIndex(fd, s->fields[k].name) < 0)) {
            *out_missing = s->fields[k].name;
            return 0;
        }
    return 1;
}

int gs__ledger_weeks(gs__ledger *l, const char *table, gs__lweek **out_weeks,
                     size_t *out_n) {
    char sql[160];
    OGRLayerH res;
    OGRFeatureH f;
    gs__lweek *v = NULL;
    size_t n = 0, cap = 0;
    int rc = GS_OK;
    *out_weeks = NULL;
    *out_n = 0;
    if (!gs__ledger_has(l, table)) return GS_OK;
    snprintf(sql, sizeof sql, "SELECT DISTINCT week FROM \"%s\" ORDER BY week",
             table);
    res = GDALDatasetExecuteSQL(l->ds, sql, NULL, NULL);
    while (res && (f = OGR_L_GetNextFeature(res)) != NULL) {
        if (n == cap) {
            size_t c = cap ? cap * 2 : 16;
            gs__lweek *w = gs__realloc(v, c * sizeof *v);
            if (!w) {
                OGR_F_Destroy(f);
                rc = gs__err(l->ctx, GS_ERR_NOMEM, "out of memory");
                break;
            }
            v = w;
            cap = c;
        }
        if (OGR_F_IsFieldSetAndNotNull(f, 0))
            snprintf(v[n++].week, sizeof v->week, "%s",
                     OGR_F_GetFieldAsString(f, 0));
        OGR_F_Destroy(f);
    }
    if (res) GDALDatasetReleaseResultSet(l->ds, res);
    if (rc || !n) {
        free(v);
        return rc;
    }
    *out_weeks = v;
    *out_n = n;
    return GS_OK;
}

/* ---- reading rows --------------------------------------------------------
 */

/* One read of a ledger table: its layer, filtered, and where the
 * schema's fields are in it (-1: absent). */
typedef struct scan {
    gs__ledger *l;
    const gs__layer_schema *s;
    OGRLayerH lyr;
    int week;
    int ix[MAX_FIELDS];
} scan;

/* A week fit to go into a filter. */
static int week_ok(const char *w) {
    return w && *w && strspn(w, "0123456789-W") == strlen(w);
}

/* The attribute filter of a read into *out (initialised here; the caller
 * frees it): the weeks of `q`, then `extra` and `shard_sql`. */
static void where_of(const gs__ledger_query *q, const char *extra,
                     const char *shard_sql, gs__buf *out) {
    gs__buf_init(out, 0);
    if (strcmp(q->from, q->to))
        gs__buf_printf(out, "week BETWEEN '%s' AND '%s'", q->from, q->to);
    else
        gs__buf_printf(out, "week = '%s'", q->from);
    gs__buf_printf(out, "%s%s", extra, shard_sql);
}

/* Opens table `table` for a read of the weeks of `q` (and `extra`, "" or
 * " AND <condition>"), the shard's rows only (`shard_sql`), finding the
 * fields of schema `s` (which may be NULL: no fields). */
static int scan_open(gs__ledger *l, const gs__layer_schema *s,
                     const char *table, const gs__ledger_query *q,
                     const char *extra, const char *shard_sql, scan *sc) {
    static const char *no_geometry[] = {"OGR_GEOMETRY", NULL};
    static const char *everything[] = {NULL};
    OGRFeatureDefnH fd;
    gs__buf where;
    int rc = GS_OK;
    memset(sc, 0, sizeof *sc);
    sc->l = l;
    sc->s = s;
    sc->lyr = GDALDatasetGetLayerByName(l->ds, table);
    if (!sc->lyr)
        return gs__err(l->ctx, GS_ERR_INPUT_OPEN, "%s (ledger): no table %s",
                       l->path, table);
    if (!week_ok(q->from) || !week_ok(q->to))
        return gs__err(l->ctx, GS_ERR_USAGE,
                       "week '%s' is not an ISO week such as 2026-W47",
                       week_ok(q->from) ? q->to : q->from);
    fd = OGR_L_GetLayerDefn(sc->lyr);
    sc->week = OGR_FD_GetFieldIndex(fd, "week");
    for (size_t k = 0; s && k < s->nfields && k < MAX_FIELDS; k++) {
        sc->ix[k] = OGR_FD_GetFieldIndex(fd, s->fields[k].name);
        if (sc->ix[k] < 0 && (q->required & (1ul << k)))
            return gs__err(l->ctx, GS_ERR_INPUT_FIELD,
                           "%s (ledger), table %s: no field '%s'; is this "
                           "the ledger of 'gridsmith run'?",
                           l->path, table, s->fields[k].name);
    }
    where_of(q, extra, shard_sql, &where);
    gs__libmsg_clear(l->ctx);
    if (where.failed)
        rc = gs__err(l->ctx, GS_ERR_NOMEM, "out of memory");
    else if (OGR_L_SetAttributeFilter(sc->lyr, where.data) != OGRERR_NONE)
        rc = gs__err_lib(l->ctx, GS_ERR_INPUT_OPEN,
                         "%s (ledger): cannot select weeks %s to %s of "
                         "table %s",
                         l->path, q->from, q->to, table);
    gs__buf_free(&where);
    if (rc) return rc;
    OGR_L_SetIgnoredFields(sc->lyr, q->geometry ? everything : no_geometry);
    OGR_L_ResetReading(sc->lyr);
    return GS_OK;
}

/* Field k of the schema in feature f: its text ("" when absent or null),
 * integer (0) or number (NAN). */
static const char *fstr(const scan *sc, OGRFeatureH f, int k) {
    int i = sc->ix[k];
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsString(f, i)
               : "";
}

static long fint(const scan *sc, OGRFeatureH f, int k) {
    int i = sc->ix[k];
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? (long)OGR_F_GetFieldAsInteger64(f, i)
               : 0;
}

static double freal(const scan *sc, OGRFeatureH f, int k) {
    int i = sc->ix[k];
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsDouble(f, i)
               : NAN;
}

static const char *fweek(const scan *sc, OGRFeatureH f) {
    return sc->week >= 0 && OGR_F_IsFieldSetAndNotNull(f, sc->week)
               ? OGR_F_GetFieldAsString(f, sc->week)
               : "";
}

/* The geometry of f, taken from it when the query asked for geometries. */
static OGRGeometryH take_geom(const gs__ledger_query *q, OGRFeatureH f) {
    return q->geometry ? OGR_F_StealGeometry(f) : NULL;
}

int gs__ledger_grid_status(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lgrid_status *row),
                           void *user) {
    const gs__layer_schema *s = gs__schema(GS__LS_VALIDATE_GRIDS);
    OGRFeatureH f;
    scan sc;
    int rc = scan_open(l, s, s->ledger_table, q, "", l->shard_sql, &sc);
    while (!rc && (f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        gs__lgrid_status r;
        r.week = fweek(&sc, f);
        r.grid_code = fstr(&sc, f, GS__VG_GRID_CODE);
        r.community_code = fstr(&sc, f, GS__VG_COMMUNITY_CODE);
        r.name = fstr(&sc, f, GS__VG_NAME);
        r.issues = fstr(&sc, f, GS__VG_ISSUES);
        r.status = fstr(&sc, f, GS__VG_STATUS);
        r.households =
            sc.ix[GS__VG_HOUSEHOLDS] < 0 ? -1 : fint(&sc, f, GS__VG_HOUSEHOLDS);
        r.persons =
            sc.ix[GS__VG_PERSONS] < 0 ? -1 : fint(&sc, f, GS__VG_PERSONS);
        r.members =
            sc.ix[GS__VG_MEMBERS] < 0 ? -1 : fint(&sc, f, GS__VG_MEMBERS);
        r.geom = take_geom(q, f);
        rc = fn(user, &r);
        if (r.geom) OGR_G_DestroyGeometry(r.geom);
        OGR_F_Destroy(f);
    }
    return rc;
}

int gs__ledger_member_week(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lmember_week *row),
                           void *user) {
    const gs__layer_schema *s = gs__schema(GS__LS_PATROL_MEMBER_WEEK);
    OGRFeatureH f;
    scan sc;
    int rc = scan_open(l, s, s->ledger_table, q, "", l->shard_sql, &sc);
    while (!rc && (f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        gs__lmember_week r;
        r.week = fweek(&sc, f);
        r.member_id = fstr(&sc, f, GS__MW_MEMBER_ID);
        r.member_name = fstr(&sc, f, GS__MW_MEMBER_NAME);
        r.grid_code = fstr(&sc, f, GS__MW_GRID_CODE);
        r.note = fstr(&sc, f, GS__MW_NOTE);
        r.in_grid_tolerant_s = freal(&sc, f, GS__MW_IN_GRID_TOLERANT_S);
        r.coverage_pct = freal(&sc, f, GS__MW_COVERAGE_PCT);
        r.workdays = fint(&sc, f, GS__MW_WORKDAYS);
        r.workdays_ok = fint(&sc, f, GS__MW_WORKDAYS_OK);
        r.weekly_ok = fint(&sc, f, GS__MW_WEEKLY_OK);
        r.compliant = fint(&sc, f, GS__MW_COMPLIANT);
        r.geom = take_geom(q, f);
        rc = fn(user, &r);
        if (r.geom) OGR_G_DestroyGeometry(r.geom);
        OGR_F_Destroy(f);
    }
    return rc;
}

int gs__ledger_member_day(gs__ledger *l, const gs__ledger_query *q,
                          int missed_only,
                          int (*fn)(void *user, gs__lmember_day *row),
                          void *user) {
    const gs__layer_schema *s = gs__schema(GS__LS_PATROL_MEMBER_DAY);
    OGRFeatureH f;
    scan sc;
    int rc = scan_open(l, s, s->ledger_table, q,
                       missed_only ? " AND workday = 1 AND daily_ok = 0" : "",
                       l->shard_sql, &sc);
    while (!rc && (f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        gs__lmember_day r;
        r.week = fweek(&sc, f);
        r.member_id = fstr(&sc, f, GS__MD_MEMBER_ID);
        r.grid_code = fstr(&sc, f, GS__MD_GRID_CODE);
        r.date = fstr(&sc, f, GS__MD_DATE);
        r.workday = fint(&sc, f, GS__MD_WORKDAY);
        r.daily_ok = fint(&sc, f, GS__MD_DAILY_OK);
        r.in_grid_tolerant_s = freal(&sc, f, GS__MD_IN_GRID_TOLERANT_S);
        rc = fn(user, &r);
        OGR_F_Destroy(f);
    }
    return rc;
}

int gs__ledger_grid_events(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lgrid_events *row),
                           void *user) {
    const gs__layer_schema *s = gs__schema(GS__LS_HOTSPOTS_GRID_EVENTS);
    OGRFeatureH f;
    scan sc;
    int rc = scan_open(l, s, s->ledger_table, q, "", l->shard_sql, &sc);
    while (!rc && (f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        gs__lgrid_events r;
        int bin = sc.ix[GS__GE_GI_BIN];
        r.week = fweek(&sc, f);
        r.grid_code = fstr(&sc, f, GS__GE_GRID_CODE);
        r.events = fint(&sc, f, GS__GE_EVENTS);
        r.open = fint(&sc, f, GS__GE_OPEN);
        r.overdue = fint(&sc, f, GS__GE_OVERDUE);
        r.self_resolved = fint(&sc, f, GS__GE_SELF_RESOLVED);
        r.has_gi = bin >= 0 && OGR_F_IsFieldSetAndNotNull(f, bin);
        r.gi_bin = fint(&sc, f, GS__GE_GI_BIN);
        rc = fn(user, &r);
        OGR_F_Destroy(f);
    }
    return rc;
}

/* ---- any table of a schema ----------------------------------------------- */

struct gs__lrow {
    const scan *sc;
    OGRFeatureH f;
    int geometry;
};

const char *gs__lrow_week(const gs__lrow *r) { return fweek(r->sc, r->f); }

const char *gs__lrow_str(const gs__lrow *r, int k) {
    return k >= 0 && k < MAX_FIELDS ? fstr(r->sc, r->f, k) : "";
}

long gs__lrow_int(const gs__lrow *r, int k) {
    return k >= 0 && k < MAX_FIELDS ? fint(r->sc, r->f, k) : 0;
}

double gs__lrow_real(const gs__lrow *r, int k) {
    return k >= 0 && k < MAX_FIELDS ? freal(r->sc, r->f, k) : NAN;
}

int gs__lrow_null(const gs__lrow *r, int k) {
    int i = k >= 0 && k < MAX_FIELDS ? r->sc->ix[k] : -1;
    return i < 0 || !OGR_F_IsFieldSetAndNotNull(r->f, i);
}

OGRGeometryH gs__lrow_take_geom(gs__lrow *r) {
    return r->geometry ? OGR_F_StealGeometry(r->f) : NULL;
}

int gs__ledger_rows(gs__ledger *l, gs__layer_id id, const gs__ledger_query *q,
                    const char *where, int (*fn)(void *user, gs__lrow *row),
                    void *user) {
    const gs__layer_schema *s = gs__schema(id);
    char *shard = NULL;
    OGRFeatureH f;
    scan sc;
    int rc;
    if (!s->ledger_table || !gs__ledger_has(l, s->ledger_table)) return GS_OK;
    if (gs__schema_field(s, "grid_code") < 0 && gs__shard_active(l->ctx)) {
        char *c = gs__shard_filter(l->ctx, "community_code");
        size_t n = c ? strlen(c) + 8 : 0;
        shard = c ? gs__malloc(n) : NULL;
        if (shard) snprintf(shard, n, " AND (%s)", c);
        free(c);
        if (!shard) return gs__err(l->ctx, GS_ERR_NOMEM, "out of memory");
    }
    rc = scan_open(l, s, s->ledger_table, q, where ? where : "",
                   shard ? shard : l->shard_sql, &sc);
    while (!rc && (f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        gs__lrow r = {&sc, f, q->geometry};
        rc = fn(user, &r);
        OGR_F_Destroy(f);
    }
    free(shard);
    return rc;
}

int gs__ledger_last_run(gs__ledger *l, const char *week, char **out_json) {
    const gs__layer_schema *s = gs__schema(GS__LS_LEDGER_RUNS);
    gs__ledger_query q = {week, week, 0, 0};
    OGRFeatureH f;
    scan sc;
    int rc;
    *out_json = NULL;
    if (!gs__ledger_has(l, s->layer)) return GS_OK;
    rc = scan_open(l, s, s->layer, &q, "", l->runs_sql, &sc);
    if (rc || sc.ix[GS__LR_RUN] < 0) return rc;
    while ((f = OGR_L_GetNextFeature(sc.lyr)) != NULL) {
        free(*out_json);
        *out_json = gs__strdup(OGR_F_GetFieldAsString(f, sc.ix[GS__LR_RUN]));
        OGR_F_Destroy(f);
        if (!*out_json) return gs__err(l->ctx, GS_ERR_NOMEM, "out of memory");
    }
    return GS_OK;
}

OGRSpatialReferenceH gs__ledger_srs(const gs__ledger *l, const char *table) {
    OGRLayerH lyr = GDALDatasetGetLayerByName(l->ds, table);
    return lyr ? OGR_L_GetSpatialRef(lyr) : NULL;
}

int gs__ledger_extent(gs__ledger *l, gs__layer_id id, const gs__ledger_query *q,
                      OGREnvelope *out_env) {
    OGRLayerH lyr =
        GDALDatasetGetLayerByName(l->ds, gs__schema(id)->ledger_table);
    gs__buf where;
    int ok;
    /* No error on the context: an unknown extent is an answer. */
    if (!lyr || !week_ok(q->from) || !week_ok(q->to)) return 0;
    where_of(q, "", l->shard_sql, &where);
    ok = !where.failed &&
         OGR_L_SetAttributeFilter(lyr, where.data) == OGRERR_NONE &&
         OGR_L_GetExtent(lyr, out_env, 1) == OGRERR_NONE;
    gs__buf_free(&where);
    return ok;
}

/* ---- the weekly tallies ---------------------------------------------------
 */

/* Orders two rows of the tally queries by (week, grid_code), the order
 * both queries return (SQLite's BINARY collation is strcmp's). */
static int cmp_week_grid(OGRFeatureH a, OGRFeatureH b) {
    int c = strcmp(OGR_F_GetFieldAsString(a, 0), OGR_F_GetFieldAsString(b, 0));
    return c ? c
             : strcmp(OGR_F_GetFieldAsString(a, 1),
                      OGR_F_GetFieldAsString(b, 1));
}

int gs__ledger_week_tallies(gs__ledger *l, const char *from, const char *to,
                            int (*fn)(void *user, gs__lweek_tally *row),
                            void *user) {
    gs__buf sql_g, sql_m;
    OGRLayerH rg = NULL, rm = NULL;
    OGRFeatureH fg = NULL, fm;
    int rc = GS_OK;
    if (!gs__ledger_has(l, "member_week") || !gs__ledger_has(l, "grid_status"))
        return GS_OK;
    if (!week_ok(from) || !week_ok(to))
        return gs__err(l->ctx, GS_ERR_USAGE,
                       "week '%s' is not an ISO week such as 2026-W47",
                       week_ok(from) ? to : from);
    gs__buf_init(&sql_g, 0);
    gs__buf_init(&sql_m, 0);
    gs__buf_printf(&sql_g,
                   "SELECT week, grid_code, min(community_code) FROM "
                   "grid_status WHERE week BETWEEN '%s' AND '%s'%s GROUP BY "
                   "week, grid_code ORDER BY week, grid_code",
                   from, to, l->shard_sql);
    gs__buf_printf(
        &sql_m,
        /* SQL both SQLite and PostgreSQL read alike. */
        "SELECT week, grid_code, count(*), sum(CASE WHEN compliant "
        "<> 0 THEN 1 ELSE 0 END), coalesce(sum(in_grid_tolerant_s), "
        "0.0), coalesce(sum(coverage_pct), 0.0), count(coverage_pct) "
        "FROM member_week WHERE week BETWEEN '%s' AND '%s'%s "
        "GROUP BY week, grid_code ORDER BY week, grid_code",
        from, to, l->shard_sql);
    if (sql_g.failed || sql_m.failed) {
        rc = gs__err(l->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    gs__libmsg_clear(l->ctx);
    rg = GDALDatasetExecuteSQL(l->ds, sql_g.data, NULL, NULL);
    rm = rg ? GDALDatasetExecuteSQL(l->ds, sql_m.data, NULL, NULL) : NULL;
    if (!rm) {
        rc = gs__err_lib(l->ctx, GS_ERR_INPUT,
                         "cannot read the weekly history from the ledger");
        goto done;
    }
    fg = OGR_L_GetNextFeature(rg);
    while (!rc && (fm = OGR_L_GetNextFeature(rm)) != NULL) {
        int c = 1;
        while (fg && (c = cmp_week_grid(fg, fm)) < 0) {
            OGR_F_Destroy(fg);
            fg = OGR_L_GetNextFeature(rg);
        }
        if (fg && c == 0) {
            gs__lweek_tally t;
            t.week = OGR_F_GetFieldAsString(fm, 0);
            t.grid_code = OGR_F_GetFieldAsString(fm, 1);
            t.community_code = OGR_F_GetFieldAsString(fg, 2);
            t.members = (long)OGR_F_GetFieldAsInteger64(fm, 2);
            t.compliant = (long)OGR_F_GetFieldAsInteger64(fm, 3);
            t.hours_s = OGR_F_GetFieldAsDouble(fm, 4);
            t.cov_sum = OGR_F_GetFieldAsDouble(fm, 5);
            t.n_cov = (long)OGR_F_GetFieldAsInteger64(fm, 6);
            rc = fn(user, &t);
        }
        OGR_F_Destroy(fm);
    }
done:
    if (fg) OGR_F_Destroy(fg);
    if (rm) GDALDatasetReleaseResultSet(l->ds, rm);
    if (rg) GDALDatasetReleaseResultSet(l->ds, rg);
    gs__buf_free(&sql_g);
    gs__buf_free(&sql_m);
    return rc;
}
