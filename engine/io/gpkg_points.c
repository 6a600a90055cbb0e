/*
 * gpkg_points.c - reading a GeoPackage point layer's rows straight from
 * SQLite, beside OGR.
 *
 * A city's million households cost OGR a feature object, a geometry
 * object and a copy of every field each; the rows themselves are a point
 * blob and a few short texts. This reader steps through the table with
 * one SQLite statement and decodes the GeoPackage geometry header and the
 * WKB point itself. It claims only what it can decode beyond doubt:
 *
 *   - the layer: a plain GeoPackage table (a file, not /vsi... or PG:)
 *     whose OGR geometry type is Point, whose FID column is its integer
 *     primary key, without a spatial filter (a shard's), with the fields
 *     read of types OGR reads verbatim (text; integer, real or text for a
 *     count). Anything else is read through OGR, as before.
 *   - a row: a standard (not extended) GeoPackage blob, version 0, an
 *     envelope of 0, 4, 6 or 8 doubles, not flagged empty, holding a 2D
 *     WKB Point (either byte order) with finite coordinates and nothing
 *     after it; its texts stored as UTF-8 text or NULL; its count stored
 *     in the column's own kind. Any other row (no geometry, an empty or
 *     NaN point, Point Z, another geometry type, a number in a text
 *     column, bytes that are not UTF-8...) is marked for its caller to
 *     read through OGR (OGR_L_GetFeature), which then judges and words it
 *     exactly as the OGR path does.
 *
 * Rows come in FID order, which is the order OGR's table scan gives.
 * The configuration option (or environment variable) GS_GPKG_DIRECT=NO
 * turns the direct read off, for a comparison or should a file ever
 * read differently.
 */
#include <cpl_conv.h>
#include <cpl_string.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

/* Rows decoded directly, over the process: for tests and profiles. */
static size_t rows_direct;

size_t gs__gpkg_rows_direct(void) { return rows_direct; }

struct gs__gpkg_points {
    size_t direct; /* rows decoded here */
    sqlite3 *db;
    sqlite3_stmt *st;
    int n_text;      /* text columns after fid and geom */
    int count_col;   /* column of the count field, or -1 */
    int count_type;  /* its OGR field type */
    int text_col[8]; /* column of each text field, or -1 */
    const char *text_name[8];
};

/* `name` as an SQL identifier in double quotes (quotes doubled) into b. */
static void quote_ident(gs__buf *b, const char *name) {
    gs__buf_quote(b, name, '"');
}

/* 1 when `col` of `table` is its only primary key column and an INTEGER
 * one: an alias of the rowid, so that ordering by it is the table's
 * scan order. */
static int fid_is_rowid(sqlite3 *db, const char *table, const char *col) {
    sqlite3_stmt *st = NULL;
    int ok = 0, n_pk = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, type, pk FROM pragma_table_info(?)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (sqlite3_column_int(st, 2) == 0) continue;
        n_pk++;
        ok = name && type && strcmp(name, col) == 0 &&
             sqlite3_stricmp(type, "INTEGER") == 0;
    }
    sqlite3_finalize(st);
    return ok && n_pk == 1;
}

/* 1 when `table` is a table (not a view) listed as features in
 * gpkg_contents. */
static int is_feature_table(sqlite3 *db, const char *table) {
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(
            db,
            "SELECT 1 FROM sqlite_master m JOIN gpkg_contents c ON "
            "c.table_name = m.name WHERE m.type = 'table' AND m.name = ? "
            "AND lower(c.data_type) = 'features'",
            -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

/* 1 when the source may be read directly (see the file's comment). */
static int layer_ok(const gs__src *s, const int *text, int n_text, int count) {
    GDALDriverH drv = GDALGetDatasetDriver(s->ds);
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    const char *fid = OGR_L_GetFIDColumn(s->lyr);
    const char *geom = OGR_L_GetGeometryColumn(s->lyr);
    if (!CPLTestBool(CPLGetConfigOption("GS_GPKG_DIRECT", "YES"))) return 0;
    if (s->is_csv || s->recode || !drv ||
        strcmp(GDALGetDriverShortName(drv), "GPKG") != 0)
        return 0;
    if (strncmp(s->path, "/vsi", 4) == 0 || strncmp(s->path, "PG:", 3) == 0)
        return 0;
    if (OGR_L_GetGeomType(s->lyr) != wkbPoint ||
        OGR_L_GetSpatialFilter(s->lyr) != NULL)
        return 0;
    if (!fid || !fid[0] || !geom || !geom[0]) return 0;
    for (int k = 0; k < n_text; k++)
        if (!gs__src_field_plain(fd, text[k], 0, 0)) return 0;
    /* the count: an integer, a real or text */
    return gs__src_field_plain(fd, count, 1, 1);
}

int gs__gpkg_points_open(gs__src *s, const int *text, const char *const *names,
                         int n_text, int count, gs__gpkg_points **out) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    const char *fid = OGR_L_GetFIDColumn(s->lyr);
    const char *geom = OGR_L_GetGeometryColumn(s->lyr);
    gs__gpkg_points *p;
    gs__buf sql;
    char *q;
    int col = 2, rc;
    *out = NULL;
    if (n_text > 8 || !layer_ok(s, text, n_text, count)) return GS_OK;
    p = gs__calloc(1, sizeof *p);
    if (!p) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    if (sqlite3_open_v2(s->path, &p->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        !is_feature_table(p->db, s->layer) ||
        !fid_is_rowid(p->db, s->layer, fid)) {
        gs__gpkg_points_close(p); /* OGR reads it */
        return GS_OK;
    }
    gs__buf_init(&sql, 0);
    gs__buf_puts(&sql, "SELECT ");
    quote_ident(&sql, fid);
    gs__buf_puts(&sql, ", ");
    quote_ident(&sql, geom);
    p->n_text = n_text;
    for (int k = 0; k < n_text; k++) {
        p->text_name[k] = names[k];
        p->text_col[k] = -1;
        if (text[k] < 0) continue;
        gs__buf_puts(&sql, ", ");
        quote_ident(&sql, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, text[k])));
        p->text_col[k] = col++;
    }
    p->count_col = -1;
    if (count >= 0) {
        OGRFieldDefnH f = OGR_FD_GetFieldDefn(fd, count);
        gs__buf_puts(&sql, ", ");
        quote_ident(&sql, OGR_Fld_GetNameRef(f));
        p->count_col = col++;
        p->count_type = (int)OGR_Fld_GetType(f);
    }
    gs__buf_puts(&sql, " FROM ");
    quote_ident(&sql, s->layer);
    gs__buf_puts(&sql, " ORDER BY ");
    quote_ident(&sql, fid);
    q = gs__buf_steal(&sql);
    if (!q) {
        gs__gpkg_points_close(p);
        return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    }
    rc = sqlite3_prepare_v2(p->db, q, -1, &p->st, NULL);
    free(q);
    if (rc != SQLITE_OK) { /* a column OGR knows and SQLite does not: OGR */
        gs__gpkg_points_close(p);
        return GS_OK;
    }
    *out = p;
    return GS_OK;
}

void gs__gpkg_points_close(gs__gpkg_points *p) {
    if (!p) return;
    __atomic_add_fetch(&rows_direct, p->direct, __ATOMIC_RELAXED);
    if (p->st) sqlite3_finalize(p->st);
    if (p->db) sqlite3_close(p->db);
    free(p);
}

/* The double at b in byte order `le` (1 little-endian). */
static double get_f64(const unsigned char *b, int le) {
    uint64_t u = 0;
    double d;
    for (int i = 0; i < 8; i++) u |= (uint64_t)b[le ? i : 7 - i] << (8 * i);
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint32_t get_u32(const unsigned char *b, int le) {
    uint32_t u = 0;
    for (int i = 0; i < 4; i++) u |= (uint32_t)b[le ? i : 3 - i] << (8 * i);
    return u;
}

int gs__gpkg_point_blob(const unsigned char *b, size_t n, double *x,
                        double *y) {
    static const size_t env_bytes[8] = {0, 32, 48, 48, 64, 0, 0, 0};
    size_t h;
    int flags, env, le;
    if (!b || n < 8 || b[0] != 'G' || b[1] != 'P' || b[2] != 0) return 0;
    flags = b[3];
    env = (flags >> 1) & 7;
    if ((flags & 0x20) || (flags & 0x10) || env > 4) return 0;
    h = 8 + env_bytes[env];
    if (n != h + 21) return 0;
    if (b[h] > 1) return 0;
    le = b[h] == 1;
    if (get_u32(b + h + 1, le) != 1) return 0; /* 2D Point */
    *x = get_f64(b + h + 5, le);
    *y = get_f64(b + h + 13, le);
    return isfinite(*x) && isfinite(*y);
}

/* The count of a row: 1 with *value, *ok set when its storage class is
 * the one OGR reads the field's type from, 0 to leave the row to OGR. */
static int row_count(const gs__gpkg_points *p, gs__gpkg_row *r) {
    sqlite3_stmt *st = p->st;
    int c = p->count_col, t;
    r->count = 0;
    r->count_ok = 0;
    if (c < 0) return 1;
    t = sqlite3_column_type(st, c);
    if (t == SQLITE_NULL) return 1;
    switch (p->count_type) {
        case OFTInteger: {
            sqlite3_int64 v = sqlite3_column_int64(st, c);
            if (t != SQLITE_INTEGER || v < INT32_MIN || v > INT32_MAX) return 0;
            gs__persons_int(v, &r->count, &r->count_ok);
            return 1;
        }
        case OFTInteger64:
            if (t != SQLITE_INTEGER) return 0;
            gs__persons_int(sqlite3_column_int64(st, c), &r->count,
                            &r->count_ok);
            return 1;
        case OFTReal:
            if (t != SQLITE_FLOAT) return 0;
            gs__persons_real(sqlite3_column_double(st, c), &r->count,
                             &r->count_ok);
            return 1;
        default: {
            const char *v = (const char *)sqlite3_column_text(st, c);
            if (t != SQLITE_TEXT || !v) return 0;
            gs__persons_text(v, &r->count, &r->count_ok);
            return 1;
        }
    }
}

int gs__gpkg_points_next(gs__src *s, gs__gpkg_points *p, gs__gpkg_row *r,
                         int *more) {
    sqlite3_stmt *st = p->st;
    int rc = sqlite3_step(st);
    *more = rc == SQLITE_ROW;
    if (rc == SQLITE_DONE) return GS_OK;
    if (rc != SQLITE_ROW)
        return gs__err(s->ctx, GS_ERR_INPUT_OPEN,
                       "%s, layer %s: reading stopped: %s", s->path, s->layer,
                       sqlite3_errmsg(p->db));
    r->fid = (long)sqlite3_column_int64(st, 0);
    r->direct = 0;
    if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
        !gs__gpkg_point_blob(sqlite3_column_blob(st, 1),
                             (size_t)sqlite3_column_bytes(st, 1), &r->x, &r->y))
        return GS_OK;
    for (int k = 0; k < p->n_text; k++) {
        int c = p->text_col[k], t;
        r->text[k] = "";
        if (c < 0) continue;
        t = sqlite3_column_type(st, c);
        if (t == SQLITE_NULL) continue;
        if (t != SQLITE_TEXT) return GS_OK;
        r->text[k] = (const char *)sqlite3_column_text(st, c);
        if (!r->text[k] || !CPLIsUTF8(r->text[k], -1)) return GS_OK;
    }
    r->direct = row_count(p, r);
    p->direct += (size_t)r->direct;
    return GS_OK;
}
