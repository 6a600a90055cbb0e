/*
 * test_gpkg_points.c - the direct GeoPackage read of the households
 * (gpkg_points.c) gives what the OGR read gives.
 *
 * The fixtures are GeoPackages the test writes with OGR and then edits
 * through SQLite, blob by blob: envelopes of every size, big-endian
 * headers and WKB, an empty point, NULL geometries, a NaN coordinate, a
 * Point Z, a MultiPoint in the Point layer, a stray point at (0, 0), text
 * in the integer persons column, a number in a text column, bytes that
 * are not UTF-8. Each file is read twice, directly and with the direct
 * read turned off (GS_GPKG_DIRECT=NO), and everything the readers leave
 * in the model is compared: households with their fields, points and
 * origins, skipped features with reasons, the far-coordinate bulk in the
 * run's metadata, and the error message when the run stops.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "io.h"
#include "source.h"

#define MINI GS_TEST_DATA "/mini/"

static gs_ctx *ctx;
static char tmpdir[64];

typedef struct city {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    int rc;
    char msg[1024];
} city;

/* A household row of the fixture: its point and fields, NULL for SQL
 * NULL. */
typedef struct row {
    double x, y;
    const char *id, *persons, *building, *care;
} row;

/* ---- writing blobs -------------------------------------------------- */

static void put_u32(unsigned char *b, uint32_t v, int le) {
    for (int i = 0; i < 4; i++) b[le ? i : 3 - i] = (unsigned char)(v >> 8 * i);
}

static void put_f64(unsigned char *b, double d, int le) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    for (int i = 0; i < 8; i++) b[le ? i : 7 - i] = (unsigned char)(u >> 8 * i);
}

/* A GeoPackage blob: header with envelope code `env` (0..7) in byte order
 * hle, flags `extra` (0x10 empty), then WKB of `type` in byte order wle
 * with coordinates c[0..nc). Returns its size. */
static size_t blob(unsigned char *b, int env, int hle, int extra, int wle,
                   uint32_t type, const double *c, int nc) {
    static const int env_n[8] = {0, 4, 6, 6, 8, 0, 0, 0};
    size_t k = 8;
    b[0] = 'G';
    b[1] = 'P';
    b[2] = 0;
    b[3] = (unsigned char)(hle | env << 1 | extra);
    put_u32(b + 4, 4490, hle);
    for (int i = 0; i < env_n[env]; i++, k += 8)
        put_f64(b + k, i % 2 ? c[0] : c[i / 2 % 2], hle);
    b[k++] = (unsigned char)wle;
    put_u32(b + k, type, wle);
    k += 4;
    for (int i = 0; i < nc; i++, k += 8) put_f64(b + k, c[i], wle);
    return k;
}

/* ---- the fixture ------------------------------------------------------ */

/* Writes households.gpkg-like file `name` with the rows, persons as an
 * INTEGER column (OFTInteger), no spatial index (so that SQLite alone may
 * edit it). */
static const char *write_gpkg(const char *name, const row *rows, int n) {
    static char path[160];
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    const char *lco[] = {"SPATIAL_INDEX=NO", NULL};
    OGRLayerH l;
    int failed = 0;
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    unlink(path);
    OSRImportFromEPSG(srs, 4490);
    ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) return NULL;
    l = GDALDatasetCreateLayer(ds, "households", srs, wkbPoint, (char **)lco);
    OSRDestroySpatialReference(srs);
    if (!l) return NULL;
    {
        const char *names[4] = {"household_id", "persons", "building_id",
                                "care_type"};
        for (int i = 0; i < 4; i++) {
            OGRFieldDefnH fd =
                OGR_Fld_Create(names[i], i == 1 ? OFTInteger : OFTString);
            OGR_L_CreateField(l, fd, 1);
            OGR_Fld_Destroy(fd);
        }
    }
    for (int i = 0; i < n; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, rows[i].x, rows[i].y);
        OGR_F_SetGeometryDirectly(f, g);
        if (rows[i].id) OGR_F_SetFieldString(f, 0, rows[i].id);
        if (rows[i].persons) OGR_F_SetFieldString(f, 1, rows[i].persons);
        if (rows[i].building) OGR_F_SetFieldString(f, 2, rows[i].building);
        if (rows[i].care) OGR_F_SetFieldString(f, 3, rows[i].care);
        if (OGR_L_CreateFeature(l, f) != OGRERR_NONE) failed = 1;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return failed ? NULL : path;
}

/* Runs `sql` on the file with `fid` and blob b[0..n) bound (n 0: NULL). */
static int edit(const char *path, const char *sql, long fid,
                const unsigned char *b, size_t n) {
    sqlite3 *db;
    sqlite3_stmt *st;
    int ok;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 0;
    ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        if (n)
            sqlite3_bind_blob(st, 1, b, (int)n, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 1);
        sqlite3_bind_int64(st, 2, fid);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    if (!ok) printf("  sqlite: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return ok;
}

static int set_geom(const char *path, long fid, const unsigned char *b,
                    size_t n) {
    return edit(path, "UPDATE households SET geom = ? WHERE fid = ?2", fid, b,
                n);
}

/* ---- reading both ways ------------------------------------------------ */

/* Reads the mini city's grids (for the metric CRS), then the households
 * of `path`, directly or through OGR; the ids checked after. */
static void read_city(const char *path, const gs_input_opts *in, int direct,
                      city *c) {
    gs__model_init(&c->m, ctx->geos);
    memset(&c->crs, 0, sizeof c->crs);
    memset(&c->info, 0, sizeof c->info);
    CPLSetConfigOption("GS_GPKG_DIRECT", direct ? NULL : "NO");
    gs__gdal_enter(ctx);
    c->rc = gs__io_read_grids(ctx, NULL, MINI "grids.geojson", &c->m, &c->crs,
                              &c->info);
    if (!c->rc)
        c->rc = gs__io_read_households(ctx, in, path, &c->m, &c->crs, &c->info);
    if (!c->rc) c->rc = gs__io_check_household_ids(ctx, in, &c->m, &c->info);
    gs__gdal_leave(ctx);
    CPLSetConfigOption("GS_GPKG_DIRECT", NULL);
    snprintf(c->msg, sizeof c->msg, "%s", c->rc ? gs_ctx_errmsg(ctx) : "");
}

static void city_free(city *c) {
    gs__model_free(&c->m);
    gs__crsinfo_free(&c->crs);
    gs__inputs_free(&c->info);
}

static int same_double(double a, double b) {
    return a == b || (isnan(a) && isnan(b));
}

/* Everything the two reads left is the same; prints the first difference. */
static int same_city(const city *a, const city *b) {
    const gs__input_info *ia, *ib;
    if (a->rc != b->rc || strcmp(a->msg, b->msg) != 0) {
        printf("  rc %d \"%s\"\n  vs %d \"%s\"\n", a->rc, a->msg, b->rc,
               b->msg);
        return 0;
    }
    if (a->rc) return 1;
    if (a->m.n_households != b->m.n_households) {
        printf("  %zu vs %zu households\n", a->m.n_households,
               b->m.n_households);
        return 0;
    }
    for (size_t i = 0; i < a->m.n_households; i++) {
        const gs__household *p = &a->m.households[i], *q = &b->m.households[i];
        if (strcmp(p->id, q->id) || strcmp(p->building_id, q->building_id) ||
            strcmp(p->care_type, q->care_type) || p->x != q->x ||
            p->y != q->y || p->persons != q->persons ||
            p->persons_ok != q->persons_ok || p->origin.fid != q->origin.fid ||
            p->origin.line != q->origin.line) {
            printf(
                "  household %zu differs: '%s' '%s' '%s' %.17g %.17g %ld "
                "%d fid %ld\n  vs '%s' '%s' '%s' %.17g %.17g %ld %d fid "
                "%ld\n",
                i, p->id, p->building_id, p->care_type, p->x, p->y, p->persons,
                p->persons_ok, p->origin.fid, q->id, q->building_id,
                q->care_type, q->x, q->y, q->persons, q->persons_ok,
                q->origin.fid);
            return 0;
        }
    }
    if (a->m.n_skipped != b->m.n_skipped) {
        printf("  %zu vs %zu skipped\n", a->m.n_skipped, b->m.n_skipped);
        return 0;
    }
    for (size_t i = 0; i < a->m.n_skipped; i++) {
        const gs__skipped *p = &a->m.skipped[i], *q = &b->m.skipped[i];
        if (strcmp(p->role, q->role) || strcmp(p->reason, q->reason) ||
            p->origin.fid != q->origin.fid || !same_double(p->x, q->x) ||
            !same_double(p->y, q->y)) {
            printf("  skipped %zu: %s fid %ld %s\n  vs %s fid %ld %s\n", i,
                   p->role, p->origin.fid, p->reason, q->role, q->origin.fid,
                   q->reason);
            return 0;
        }
    }
    ia = gs__inputs_find((gs__inputs *)&a->info, "households");
    ib = gs__inputs_find((gs__inputs *)&b->info, "households");
    if (!ia || !ib || ia->checked != ib->checked || ia->far != ib->far ||
        memcmp(ia->bulk, ib->bulk, sizeof ia->bulk) != 0 ||
        ia->margin_m != ib->margin_m || ia->features != ib->features ||
        strcmp(ia->sha256, ib->sha256) != 0) {
        printf("  the households' metadata differs\n");
        return 0;
    }
    return 1;
}

/* Reads `path` both ways with `in`; checks they agree and that the direct
 * read decoded at least `min_direct` rows itself. The direct read is
 * left in *out (free with city_free). */
static void both_ways(const char *path, const gs_input_opts *in,
                      size_t min_direct, city *out) {
    city ogr;
    size_t before = gs__gpkg_rows_direct();
    read_city(path, in, 1, out);
    CHECK(gs__gpkg_rows_direct() - before >= min_direct);
    before = gs__gpkg_rows_direct();
    read_city(path, in, 0, &ogr);
    CHECK(gs__gpkg_rows_direct() == before);
    CHECK(same_city(out, &ogr));
    city_free(&ogr);
}

/* ---- the tests ---------------------------------------------------------- */

/* The mini city lies about (117.0, 39.7) in lon/lat. */
#define N_GOOD 24

static void good_rows(row *r) {
    static char ids[N_GOOD][16], persons[N_GOOD][8];
    for (int i = 0; i < N_GOOD; i++) {
        snprintf(ids[i], sizeof ids[i], "H%02d", i);
        snprintf(persons[i], sizeof persons[i], "%d", i % 5);
        r[i].x = 117.0 + 0.0007 * (i % 6);
        r[i].y = 39.70 + 0.0005 * (i / 6);
        r[i].id = ids[i];
        r[i].persons = persons[i];
        r[i].building = i % 3 ? "B1" : NULL;
        r[i].care = i % 4 ? " 低保 " : "";
    }
}

TEST(blob_decoder_takes_only_plain_2d_points) {
    unsigned char b[128];
    double c[3] = {117.25, 39.5, 12.0}, x, y;
    size_t n;
    for (int env = 0; env <= 4; env++)
        for (int hle = 0; hle <= 1; hle++)
            for (int wle = 0; wle <= 1; wle++) {
                x = y = 0;
                n = blob(b, env, hle, 0, wle, 1, c, 2);
                CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 1);
                CHECK(x == 117.25 && y == 39.5);
            }
    n = blob(b, 0, 1, 0x10, 1, 1, (double[]){NAN, NAN}, 2); /* empty */
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
    n = blob(b, 0, 1, 0x20, 1, 1, c, 2); /* extended */
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
    n = blob(b, 5, 1, 0, 1, 1, c, 2); /* envelope code 5 is invalid */
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
    n = blob(b, 0, 1, 0, 1, 1001, c, 3); /* Point Z */
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
    n = blob(b, 0, 1, 0, 1, 1, (double[]){NAN, 39.5}, 2);
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
    n = blob(b, 0, 1, 0, 1, 1, c, 2);
    CHECK(gs__gpkg_point_blob(b, n - 1, &x, &y) == 0); /* cut short */
    b[0] = 'X';
    CHECK(gs__gpkg_point_blob(b, n, &x, &y) == 0);
}

TEST(plain_file_is_read_directly_and_alike) {
    row r[N_GOOD];
    const char *p;
    city c;
    good_rows(r);
    p = write_gpkg("plain.gpkg", r, N_GOOD);
    REQUIRE(p);
    both_ways(p, NULL, N_GOOD, &c);
    CHECK(c.rc == GS_OK);
    CHECK(c.m.n_households == N_GOOD);
    CHECK(c.m.n_households > 0 && !strcmp(c.m.households[1].care_type, "低保"));
    city_free(&c);
}

/* Every odd blob the file can hold, read with on_error=skip. */
TEST(odd_blobs_and_values_read_alike) {
    row r[N_GOOD + 1];
    unsigned char b[128];
    const char *p;
    gs_input_opts skip;
    city c;
    size_t n;
    int ok = 1;
    double at[2] = {117.0021, 39.7013};
    good_rows(r);
    r[N_GOOD] = r[0]; /* a duplicate id, left out as one */
    p = write_gpkg("odd.gpkg", r, N_GOOD + 1);
    REQUIRE(p);
    /* fid 1..: envelopes of every size, big-endian header and WKB */
    for (int env = 0; env <= 4; env++) {
        n = blob(b, env, env % 2, 0, env < 2, 1, at, 2);
        ok &= set_geom(p, 1 + env, b, n);
    }
    n = blob(b, 1, 0, 0x10, 1, 1, (double[]){NAN, NAN}, 2); /* empty */
    ok &= set_geom(p, 6, b, n);
    ok &= set_geom(p, 7, NULL, 0);                   /* NULL geometry */
    n = blob(b, 0, 1, 0, 1, 1, (double[]){0, 0}, 2); /* stray (0, 0) */
    ok &= set_geom(p, 8, b, n);
    n = blob(b, 0, 1, 0, 0, 1001, (double[]){117.001, 39.701, 50}, 3);
    ok &= set_geom(p, 9, b, n); /* Point Z: read by OGR, a household */
    n = blob(b, 0, 1, 0, 1, 1, (double[]){NAN, 39.701}, 2);
    ok &= set_geom(p, 10, b, n);
    {
        /* a MultiPoint of one point in the Point layer */
        unsigned char *w;
        n = blob(b, 0, 1, 0, 1, 4, NULL, 0);
        put_u32(b + n, 1, 1);
        w = b + n + 4;
        w[0] = 1;
        put_u32(w + 1, 1, 1);
        put_f64(w + 5, 117.002, 1);
        put_f64(w + 13, 39.702, 1);
        ok &= set_geom(p, 11, b, n + 4 + 21);
    }
    ok &= edit(p,
               "UPDATE households SET persons = 'abc' WHERE ?1 IS NULL "
               "AND fid = ?2",
               12, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET persons = -3 WHERE ?1 IS NULL "
               "AND fid = ?2",
               13, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET persons = NULL WHERE ?1 IS NULL "
               "AND fid = ?2",
               14, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET persons = 2.5 WHERE ?1 IS NULL "
               "AND fid = ?2",
               15, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET household_id = 4711 WHERE ?1 IS "
               "NULL AND fid = ?2",
               16, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET building_id = NULL, care_type = "
               "'  ' WHERE ?1 IS NULL AND fid = ?2",
               17, NULL, 0);
    ok &= edit(p,
               "UPDATE households SET persons = 5000000000 WHERE ?1 IS "
               "NULL AND fid = ?2",
               18, NULL, 0);
    REQUIRE(ok);
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    both_ways(p, &skip, 10, &c);
    REQUIRE(c.rc == GS_OK);
    /* 25 rows: empty, NULL, NaN, MultiPoint skipped; (0, 0) far; one
     * duplicate id */
    CHECK(c.m.n_households == N_GOOD + 1 - 6);
    CHECK(c.m.n_skipped == 6);
    {
        const gs__input_info *ii = gs__inputs_find(&c.info, "households");
        CHECK(ii && ii->far == 1);
    }
    city_free(&c);
    /* Without skip the run stops on the first, the empty point: alike. */
    both_ways(p, NULL, 0, &c);
    CHECK(c.rc == GS_ERR_INPUT_GEOMETRY);
    CHECK(strstr(c.msg,
                 "odd.gpkg, layer households, feature 6: has no "
                 "point geometry") != NULL);
    city_free(&c);
}

TEST(text_not_utf8_stops_alike) {
    row r[N_GOOD];
    const char *p;
    city c;
    good_rows(r);
    p = write_gpkg("latin.gpkg", r, N_GOOD);
    REQUIRE(p);
    REQUIRE(edit(p,
                 "UPDATE households SET care_type = CAST(X'C4E3BAC3' AS "
                 "TEXT) WHERE ?1 IS NULL AND fid = ?2",
                 5, NULL, 0));
    both_ways(p, NULL, 4, &c);
    CHECK(c.rc == GS_ERR_INPUT_ENCODING);
    CHECK(strstr(c.msg,
                 "latin.gpkg, layer households, feature 5, field "
                 "care_type: text is not valid UTF-8") != NULL);
    city_free(&c);
}

/* A layer the direct read does not take (a REAL persons column is taken;
 * a Date one is not) is read by OGR alone. */
TEST(other_layers_are_left_to_ogr) {
    row r[N_GOOD];
    const char *p;
    city c;
    size_t before;
    good_rows(r);
    p = write_gpkg("geomtype.gpkg", r, N_GOOD);
    REQUIRE(p);
    /* A declared geometry type other than POINT. */
    REQUIRE(edit(p,
                 "UPDATE gpkg_geometry_columns SET geometry_type_name = "
                 "'GEOMETRY' WHERE ?1 IS NULL AND ?2 = 0",
                 0, NULL, 0));
    before = gs__gpkg_rows_direct();
    read_city(p, NULL, 1, &c);
    CHECK(c.rc == GS_OK && c.m.n_households == N_GOOD);
    CHECK(gs__gpkg_rows_direct() == before);
    city_free(&c);
}

int main(void) {
    char tmpl[] = "/tmp/gs_test_gpkg_XXXXXX";
    char cmd[160];
    if (gs_ctx_create(&ctx) != GS_OK || !mkdtemp(tmpl)) return 1;
    snprintf(tmpdir, sizeof tmpdir, "%s", tmpl);
    GDALAllRegister();
    RUN(blob_decoder_takes_only_plain_2d_points);
    RUN(plain_file_is_read_directly_and_alike);
    RUN(odd_blobs_and_values_read_alike);
    RUN(text_not_utf8_stops_alike);
    RUN(other_layers_are_left_to_ogr);
    gs_ctx_destroy(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    return HARNESS_END();
}
