/*
 * test_traces.c - reading GPS traces: CSV shapes, encodings, bad rows,
 * GPX, GeoPackage, coordinate conversions and the parallel reader.
 *
 * Fixtures in data/traces/ are written by make_fixtures.py there; files
 * that need computed values (GCJ-02 coordinates, projected points, a
 * GeoPackage, a file of more than a megabyte) are written by the tests in
 * a temporary directory. All times are on Monday 2026-11-16; 08:00 in
 * Asia/Shanghai is 00:00Z = 1,794,787,200 s after the epoch.
 */
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord.h"
#include "harness.h"
#include "io.h"
#include "datetime.h"
#include "traces.h"

#define DATA GS_TEST_DATA "/traces/"
#define T0 INT64_C(1794787200000) /* 2026-11-16T08:00:00+08:00 */

static gs_ctx *ctx;
static gs__tz *tz;
static char tmpdir[64];

/* Reads `path` with the options given; the context's error is reset
 * first, as a public call does. */
static int read_traces(const char *path, const gs_input_opts *in,
                       const char *crs, int threads, gs__traces *t) {
    gs__trace_opts o;
    int rc;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.input = in;
    o.trace_crs = crs;
    o.tz = tz;
    o.threads = threads;
    gs__gdal_enter(ctx);
    rc = gs__traces_read(ctx, &o, t);
    gs__gdal_leave(ctx);
    return rc;
}

static const char *tmp_path(const char *name) {
    static char path[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static const char *write_tmp(const char *name, const char *data, size_t n) {
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    fwrite(data, 1, n, f);
    fclose(f);
    return p;
}

/* Metres between two nearby lon/lat points. */
static double dist_m(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8, rad = 3.14159265358979323846 / 180.0;
    double x = (lon2 - lon1) * rad * cos((lat1 + lat2) / 2 * rad) * r;
    double y = (lat2 - lat1) * rad * r;
    return sqrt(x * x + y * y);
}

static const gs__badrow *bad_at(const gs__traces *t, uint32_t line) {
    for (size_t i = 0; i < t->n_bad; i++)
        if (t->bad[i].line == line) return &t->bad[i];
    return NULL;
}

/* The bad row of `line` has this field and a reason containing `piece`. */
static int bad_is(const gs__traces *t, uint32_t line, const char *field,
                  const char *piece) {
    const gs__badrow *b = bad_at(t, line);
    int ok = b && !strcmp(b->field, field) && strstr(b->reason, piece);
    if (!ok) printf("  line %u: %s\n", line, b ? b->reason : "(not a bad row)");
    if (b && strcmp(b->field, field))
        printf("  line %u: field '%s', expected '%s'\n", line, b->field, field);
    return ok;
}

/* ---- CSV shapes ---------------------------------------------------------- */

TEST(unsorted_and_duplicates_stay_in_file_order) {
    gs__traces t;
    REQUIRE(read_traces(DATA "basic.csv", NULL, NULL, 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == 6);
    CHECK(t.n_bad == 0);
    CHECK(t.is_csv);
    CHECK_STR(t.encoding, "UTF-8");
    REQUIRE(t.n_members == 2);
    CHECK_STR(t.member_ids[0], "M2"); /* first seen */
    CHECK_STR(t.member_ids[1], "M1");
    {
        static const int64_t dt[6] = {10000, 0, 30000, 20000, 20000, 5000};
        static const uint32_t mem[6] = {0, 1, 1, 1, 1, 0};
        for (size_t i = 0; i < 6; i++) {
            CHECK(t.fixes[i].t_ms == T0 + dt[i]);
            CHECK(t.fixes[i].member == mem[i]);
            CHECK(t.fixes[i].line == i + 2);
        }
    }
    CHECK(isnan(t.fixes[1].accuracy_m));
    CHECK_NEAR(t.fixes[2].accuracy_m, 3.5, 1e-6);
    CHECK(t.fixes[1].lon == 116.397 && t.fixes[1].lat == 39.909);
    CHECK(t.fixes[2].lon == 116.3971); /* correctly rounded */
    gs__traces_free(&t);
    CHECK(t.fixes == NULL && t.n_fixes == 0);
    gs__traces_free(NULL);
}

TEST(bom_crlf_quotes_and_line_breaks_in_fields) {
    gs__traces t;
    REQUIRE(read_traces(DATA "bom_crlf.csv", NULL, NULL, 0, &t) == GS_OK);
    CHECK(t.n_bad == 0);
    REQUIRE(t.n_fixes == 4);
    REQUIRE(t.n_members == 2);
    CHECK_STR(t.member_ids[0], "M1");
    CHECK_STR(t.member_ids[1], "M,2");
    /* The row of line 3 has a quoted CRLF: the next row is on line 5. */
    CHECK(t.fixes[0].line == 2);
    CHECK(t.fixes[1].line == 3);
    CHECK(t.fixes[2].line == 5);
    CHECK(t.fixes[3].line == 6);
    CHECK(t.fixes[2].member == 1);
    CHECK(t.fixes[3].t_ms == T0 + 30000);
    gs__traces_free(&t);
}

TEST(tab_separated_with_aliases) {
    gs__traces t;
    REQUIRE(read_traces(DATA "tabs.tsv", NULL, NULL, 0, &t) == GS_OK);
    CHECK(t.n_bad == 0);
    REQUIRE(t.n_fixes == 2);
    CHECK(t.fixes[1].t_ms == T0 + 10000);
    CHECK(t.fixes[1].lon == 116.3971 && t.fixes[1].lat == 39.9091);
    CHECK(isnan(t.fixes[0].accuracy_m)); /* no accuracy column */
    gs__traces_free(&t);
}

TEST(epoch_seconds_and_milliseconds) {
    gs__traces t;
    REQUIRE(read_traces(DATA "epoch.csv", NULL, NULL, 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == 3);
    CHECK(t.fixes[0].t_ms == T0 + 1800000); /* 08:30 local */
    CHECK(t.fixes[1].t_ms == T0 + 1800123);
    CHECK(t.fixes[2].t_ms == T0 + 1800500);
    gs__traces_free(&t);
}

TEST(field_mapping) {
    gs__traces t;
    gs_input_opts in;
    static const char *const fields[] = {"traces.member_id=yonghu",
                                         "traces.time=shijian", "traces.lon=jd",
                                         "traces.lat=wd"};
    gs_input_opts_init(&in);
    in.fields = fields;
    in.n_fields = 4;
    /* The CLI checks the specs first: traces is a known role. */
    gs__gdal_enter(ctx);
    CHECK(gs__io_check_opts(ctx, &in) == GS_OK);
    gs__gdal_leave(ctx);
    REQUIRE(read_traces(DATA "mapped.csv", &in, NULL, 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == 1);
    CHECK_STR(t.member_ids[0], "U7");
    gs__traces_free(&t);
    /* A mapping to a column that is not there is named. */
    in.n_fields = 2;
    {
        static const char *const bad[] = {"traces.time=zeit"};
        in.fields = bad;
        in.n_fields = 1;
    }
    CHECK(read_traces(DATA "basic.csv", &in, NULL, 0, &t) ==
          GS_ERR_INPUT_FIELD);
    CHECK(strstr(gs_ctx_errmsg(ctx), "'zeit' (mapped to traces.time") != NULL);
    CHECK(t.n_fixes == 0 && t.fixes == NULL);
    {
        static const char *const unknown[] = {"traces.speed=v"};
        in.fields = unknown;
        gs__gdal_enter(ctx);
        CHECK(gs__io_check_opts(ctx, &in) == GS_ERR_USAGE);
        CHECK(strstr(gs_ctx_errmsg(ctx), "traces has no field 'speed'") !=
              NULL);
        gs__gdal_leave(ctx);
    }
}

/* ---- encodings ----------------------------------------------------------- */

TEST(gbk_detected_and_decoded) {
    gs__traces t;
    REQUIRE(read_traces(DATA "gbk.csv", NULL, NULL, 0, &t) == GS_OK);
    CHECK_STR(t.encoding, "GB18030");
    CHECK(t.n_bad == 0);
    REQUIRE(t.n_fixes == 3);
    REQUIRE(t.n_members == 2);
    CHECK_STR(t.member_ids[0], "张三");
    CHECK_STR(t.member_ids[1], "李四");
    CHECK(t.fixes[2].member == 0);
    CHECK_NEAR(t.fixes[2].accuracy_m, 6, 0);
    CHECK(isnan(t.fixes[1].accuracy_m));
    gs__traces_free(&t);
}

TEST(gbk_with_encoding_option) {
    static const char *const names[] = {"GB18030", "GBK", "CP936"};
    gs__traces t;
    gs_input_opts in;
    gs_input_opts_init(&in);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        in.encoding = names[i];
        REQUIRE(read_traces(DATA "gbk.csv", &in, NULL, 0, &t) == GS_OK);
        CHECK_STR(t.encoding, names[i]);
        CHECK(t.n_fixes == 3 && t.n_members == 2 && t.n_bad == 0);
        if (t.n_members == 2) CHECK_STR(t.member_ids[1], "李四");
        gs__traces_free(&t);
    }
    in.encoding = "NO-SUCH-CODE";
    CHECK(read_traces(DATA "gbk.csv", &in, NULL, 0, &t) == GS_ERR_USAGE);
    CHECK(strstr(gs_ctx_errmsg(ctx), "NO-SUCH-CODE") != NULL);
}

/* The first megabyte is ASCII; the GBK names come later and decide. */
TEST(gbk_detected_after_the_first_megabyte) {
    gs__buf b;
    gs__traces t;
    const char *p;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,lon,lat\n");
    for (int i = 0; b.len < (1 << 20) + 1000; i++)
        gs__buf_printf(&b, "A%d,2026-11-16 08:%02d:%02d,116.397,39.909\n",
                       i % 7, i / 60 % 60, i % 60);
    gs__buf_puts(&b, "\xd5\xc5\xc8\xfd,2026-11-16 09:00:00,116.4,39.9\n");
    REQUIRE(!b.failed);
    p = write_tmp("late_gbk.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 1, &t) == GS_OK);
    CHECK_STR(t.encoding, "GB18030");
    CHECK(t.n_bad == 0);
    REQUIRE(t.n_members == 8);
    CHECK_STR(t.member_ids[7], "张三");
    gs__traces_free(&t);
}

TEST(utf8_names_and_undecodable_member) {
    static const char text[] =
        "网格员编号,时间,经度,纬度\n"
        "张三,2026-11-16 08:00:00,116.397,39.909\n"
        "\xff\xfe,2026-11-16 08:00:05,116.397,39.909\n"
        "李四,2026-11-16 08:00:10,116.397,39.909\n";
    gs__traces t;
    const char *p = write_tmp("utf8.csv", text, sizeof text - 1);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 0, &t) == GS_OK);
    CHECK_STR(t.encoding, "UTF-8");
    REQUIRE(t.n_members == 2);
    CHECK_STR(t.member_ids[0], "张三");
    CHECK_STR(t.member_ids[1], "李四");
    REQUIRE(t.n_fixes == 2);
    CHECK(t.fixes[1].line == 4 && t.fixes[1].member == 1);
    REQUIRE(t.n_bad == 1);
    CHECK(bad_is(&t, 3, "member_id", "not valid UTF-8"));
    CHECK_STR(t.bad[0].member_id, "??");
    CHECK(t.bad[0].t_ms == T0 + 5000);
    gs__traces_free(&t);
}

TEST(utf16_rejected) {
    static const char text[] = "\xff\xfem\0e\0m\0";
    gs__traces t;
    const char *p = write_tmp("utf16.csv", text, sizeof text - 1);
    REQUIRE(p);
    CHECK(read_traces(p, NULL, NULL, 0, &t) == GS_ERR_INPUT_ENCODING);
    CHECK(strstr(gs_ctx_errmsg(ctx), "UTF-16") != NULL);
}

/* ---- bad rows and setup errors ------------------------------------------- */

TEST(bad_rows_reported_by_line_field_and_reason) {
    gs__traces t;
    REQUIRE(read_traces(DATA "bad.csv", NULL, NULL, 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == 2);
    CHECK(t.fixes[0].line == 2 && t.fixes[1].line == 15);
    CHECK(t.n_blank == 1); /* line 13, only commas; empty line 12 is no
                            * row at all */
    REQUIRE(t.n_members == 1);
    CHECK_STR(t.member_ids[0], "M1");
    CHECK(t.n_bad == 11);
    CHECK(bad_is(&t, 3, "time", "month 13 ('2026-13-16 08:00:00')"));
    CHECK(bad_is(&t, 4, "time", "day 31 in November"));
    CHECK(bad_is(&t, 5, "time", "not a time ('yesterday')"));
    CHECK(bad_is(&t, 6, "lon", "NaN"));
    CHECK(bad_is(&t, 7, "lat", "latitude 95.5 is out of range"));
    CHECK(bad_is(&t, 8, "member_id", "empty"));
    CHECK(bad_is(&t, 9, "", "3 fields where the header has 5"));
    CHECK(bad_is(&t, 10, "accuracy_m", "not a number ('abc')"));
    CHECK(bad_is(&t, 11, "lon", "0, 0"));
    CHECK(bad_is(&t, 14, "lat", "empty"));
    CHECK(bad_is(&t, 16, "", "6 fields where the header has 5"));
    /* Sorted by line; the member and, when readable, the time kept. */
    for (size_t i = 1; i < t.n_bad; i++)
        CHECK(t.bad[i - 1].line < t.bad[i].line);
    CHECK_STR(bad_at(&t, 14)->member_id, "M2");
    CHECK_STR(bad_at(&t, 8)->member_id, "");
    CHECK(bad_at(&t, 6)->t_ms == T0 + 60000);
    CHECK(bad_at(&t, 3)->t_ms == GS__TIME_UNKNOWN);
    gs__traces_free(&t);
}

TEST(missing_column_names_file_column_and_columns) {
    gs__traces t;
    const char *msg;
    CHECK(read_traces(DATA "missing_lat.csv", NULL, NULL, 0, &t) ==
          GS_ERR_INPUT_FIELD);
    msg = gs_ctx_errmsg(ctx);
    CHECK(strstr(msg, "missing_lat.csv") != NULL);
    CHECK(strstr(msg, "missing required column 'lat'") != NULL);
    CHECK(strstr(msg, "columns: member_id, time, lon, acc") != NULL);
    CHECK(strstr(msg, "map yours with fields traces.lat=NAME") != NULL);
    if (!strstr(msg, "columns: member_id")) printf("  %s\n", msg);
    CHECK(t.n_fixes == 0 && t.n_bad == 0 && t.member_ids == NULL);
}

TEST(empty_and_header_only_files) {
    gs__traces t;
    CHECK(read_traces(DATA "empty.csv", NULL, NULL, 0, &t) ==
          GS_ERR_INPUT_EMPTY);
    CHECK(strstr(gs_ctx_errmsg(ctx), "empty.csv") != NULL);
    CHECK(read_traces(DATA "header_only.csv", NULL, NULL, 0, &t) ==
          GS_ERR_INPUT_EMPTY);
    CHECK(strstr(gs_ctx_errmsg(ctx), "header_only.csv (traces): no rows") !=
          NULL);
    {
        const char *p = write_tmp("blank_rows.csv",
                                  "member_id,time,lon,lat\n\n,,,\n\n", 29);
        CHECK(read_traces(p, NULL, NULL, 0, &t) == GS_ERR_INPUT_EMPTY);
    }
    CHECK(read_traces(DATA "no_such_file.csv", NULL, NULL, 0, &t) ==
          GS_ERR_INPUT_OPEN);
    CHECK(strstr(gs_ctx_errmsg(ctx), "no_such_file.csv") != NULL);
    CHECK(read_traces(DATA "basic.csv", NULL, "EPSG:999999", 0, &t) ==
          GS_ERR_USAGE);
    CHECK(strstr(gs_ctx_errmsg(ctx), "EPSG:999999") != NULL);
}

/* ---- GIS formats --------------------------------------------------------- */

TEST(gpx_track_points) {
    gs__traces t;
    REQUIRE(read_traces(DATA "walk.gpx", NULL, NULL, 0, &t) == GS_OK);
    CHECK(!t.is_csv);
    CHECK_STR(t.layer, "track_points");
    REQUIRE(t.n_fixes == 3);
    REQUIRE(t.n_members == 1);
    CHECK_STR(t.member_ids[0], "walk"); /* the file's name */
    CHECK(t.fixes[0].t_ms == T0);
    CHECK(t.fixes[1].t_ms == T0 + 10000);
    CHECK(t.fixes[2].t_ms == T0 + 20500);
    CHECK(t.fixes[0].line == 1); /* feature id 0, plus one */
    CHECK(dist_m(t.fixes[2].lon, t.fixes[2].lat, 116.3972, 39.9092) < 1e-6);
    gs__traces_free(&t);
}

/* Writes a GeoPackage point layer in UTM 50N with DateTime fields of each
 * time zone kind, an empty member and a missing geometry. */
static const char *write_gpkg(void) {
    const char *path = tmp_path("traces.gpkg");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds;
    OGRSpatialReferenceH utm = OSRNewSpatialReference(NULL),
                         wgs = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct;
    OGRLayerH lyr;
    OGRFieldDefnH fd;
    static const struct {
        const char *member;
        int sec, tzflag, has_geom;
        double lon, lat;
    } rows[] = {
        {"G1", 0, 100 + 32, 1, 116.397, 39.909}, /* 08:00:00+08 */
        {"G1", 10, 1, 1, 116.3971, 39.9091},     /* 08:00:10 local */
        {"G1", 20, 100, 1, 116.3972, 39.9092},   /* 00:00:20Z */
        {"", 30, 100, 1, 116.3973, 39.9093},     /* no member */
        {"G1", 40, 100, 0, 0, 0},                /* no geometry */
    };
    OSRImportFromEPSG(utm, 32650);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(wgs, utm);
    ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds || !ct) return NULL;
    lyr = GDALDatasetCreateLayer(ds, "traces", utm, wkbPoint, NULL);
    fd = OGR_Fld_Create("member_id", OFTString);
    OGR_L_CreateField(lyr, fd, 1);
    OGR_Fld_Destroy(fd);
    fd = OGR_Fld_Create("time", OFTDateTime);
    OGR_L_CreateField(lyr, fd, 1);
    OGR_Fld_Destroy(fd);
    fd = OGR_Fld_Create("accuracy_m", OFTReal);
    OGR_L_CreateField(lyr, fd, 1);
    OGR_Fld_Destroy(fd);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        int hour = rows[i].tzflag == 100 ? 0 : 8;
        OGR_F_SetFieldString(f, 0, rows[i].member);
        OGR_F_SetFieldDateTimeEx(f, 1, 2026, 11, 16, hour, 0,
                                 (float)rows[i].sec, rows[i].tzflag);
        OGR_F_SetFieldDouble(f, 2, 4.5);
        if (rows[i].has_geom) {
            double x = rows[i].lon, y = rows[i].lat;
            OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
            OCTTransform(ct, 1, &x, &y, NULL);
            OGR_G_SetPoint_2D(g, 0, x, y);
            OGR_F_SetGeometryDirectly(f, g);
        }
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) path = NULL;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(wgs);
    return path;
}

TEST(geopackage_point_layer_in_utm) {
    gs__traces t;
    const char *p = write_gpkg();
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 0, &t) == GS_OK);
    CHECK_STR(t.layer, "traces");
    REQUIRE(t.n_fixes == 3);
    REQUIRE(t.n_members == 1);
    CHECK_STR(t.member_ids[0], "G1");
    CHECK(t.fixes[0].t_ms == T0);
    CHECK(t.fixes[1].t_ms == T0 + 10000);
    CHECK(t.fixes[2].t_ms == T0 + 20000);
    CHECK(t.fixes[0].line == 2); /* GeoPackage ids start at 1 */
    CHECK_NEAR(t.fixes[0].accuracy_m, 4.5, 0);
    CHECK(dist_m(t.fixes[0].lon, t.fixes[0].lat, 116.397, 39.909) < 0.001);
    CHECK(dist_m(t.fixes[2].lon, t.fixes[2].lat, 116.3972, 39.9092) < 0.001);
    REQUIRE(t.n_bad == 2);
    CHECK(bad_is(&t, 5, "member_id", "empty"));
    CHECK(bad_is(&t, 6, "geometry", "no point"));
    CHECK(t.bad[1].t_ms == T0 + 40000);
    gs__traces_free(&t);
    {
        /* --layer traces=NAME naming a layer that is not there. */
        static const char *const layers[] = {"traces=patrol"};
        gs_input_opts in;
        gs_input_opts_init(&in);
        in.layers = layers;
        in.n_layers = 1;
        CHECK(read_traces(p, &in, NULL, 0, &t) == GS_ERR_INPUT_OPEN);
        CHECK(strstr(gs_ctx_errmsg(ctx),
                     "no layer 'patrol' (traces; layers: traces)") != NULL);
    }
}

/* ---- coordinate conversions ---------------------------------------------- */

static const double wgs_pts[][2] = {{116.397, 39.909},
                                    {121.4737, 31.2304},
                                    {87.617, 43.826},
                                    {109.512, 18.252},
                                    {126.535, 45.803}};
#define N_PTS (sizeof wgs_pts / sizeof wgs_pts[0])

/* Writes the points converted by `fwd` as a CSV and reads it back with
 * --trace-crs `crs`: each must come back within 1 mm. */
static void check_offset_datum(const char *crs,
                               void (*fwd)(double, double, double *,
                                           double *)) {
    gs__buf b;
    gs__traces t;
    const char *p;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,lon,lat\n");
    for (size_t i = 0; i < N_PTS; i++) {
        double lon, lat;
        fwd(wgs_pts[i][0], wgs_pts[i][1], &lon, &lat);
        gs__buf_printf(&b, "M1,2026-11-16 08:00:%02zu,%.12f,%.12f\n", i, lon,
                       lat);
    }
    p = write_tmp("offset.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, crs, 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == N_PTS);
    for (size_t i = 0; i < N_PTS; i++) {
        double d = dist_m(t.fixes[i].lon, t.fixes[i].lat, wgs_pts[i][0],
                          wgs_pts[i][1]);
        if (d >= 0.001) printf("  %s point %zu: %.6f m\n", crs, i, d);
        CHECK(d < 0.001);
    }
    gs__traces_free(&t);
    /* Read as WGS84, the same file is hundreds of metres off. */
    p = tmp_path("offset.csv");
    REQUIRE(read_traces(p, NULL, "wgs84", 0, &t) == GS_OK);
    CHECK(dist_m(t.fixes[0].lon, t.fixes[0].lat, wgs_pts[0][0], wgs_pts[0][1]) >
          100);
    gs__traces_free(&t);
}

TEST(gcj02_input_converted) { check_offset_datum("gcj02", gs__wgs84_to_gcj02); }

TEST(bd09_input_converted) { check_offset_datum("bd09", gs__wgs84_to_bd09); }

/* Projected CSV coordinates (CGCS2000 3-degree Gauss-Kruger, CM 117E)
 * with --trace-crs EPSG:4548, in x/y columns. */
TEST(epsg_input_transformed) {
    OGRSpatialReferenceH gk = OSRNewSpatialReference(NULL),
                         wgs = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct;
    gs__buf b;
    gs__traces t;
    const char *p;
    OSRImportFromEPSG(gk, 4548);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(gk, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(wgs, gk);
    REQUIRE(ct);
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,x,y\n");
    for (int i = 0; i < 3; i++) {
        double x = 116.397 + i * 0.01, y = 39.909 + i * 0.01;
        OCTTransform(ct, 1, &x, &y, NULL);
        gs__buf_printf(&b, "M1,2026-11-16 08:00:%02d,%.4f,%.4f\n", i, x, y);
    }
    gs__buf_puts(&b, "M1,2026-11-16 08:00:09,1e300,1e300\n");
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(gk);
    OSRDestroySpatialReference(wgs);
    p = write_tmp("gk.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, "EPSG:4548", 0, &t) == GS_OK);
    REQUIRE(t.n_fixes == 3);
    for (int i = 0; i < 3; i++)
        CHECK(dist_m(t.fixes[i].lon, t.fixes[i].lat, 116.397 + i * 0.01,
                     39.909 + i * 0.01) < 0.001);
    REQUIRE(t.n_bad == 1);
    CHECK(t.bad[0].line == 5);
    CHECK(strstr(t.bad[0].reason, "CGCS2000") != NULL);
    gs__traces_free(&t);
}

/* ---- the parallel reader ------------------------------------------------- */

static int same_traces(const gs__traces *a, const gs__traces *b) {
    if (a->n_fixes != b->n_fixes || a->n_bad != b->n_bad ||
        a->n_members != b->n_members || a->n_blank != b->n_blank) {
        printf(
            "  counts differ: %zu/%zu fixes, %zu/%zu bad, %zu/%zu "
            "members\n",
            a->n_fixes, b->n_fixes, a->n_bad, b->n_bad, a->n_members,
            b->n_members);
        return 0;
    }
    for (size_t i = 0; i < a->n_members; i++)
        if (strcmp(a->member_ids[i], b->member_ids[i])) return 0;
    for (size_t i = 0; i < a->n_fixes; i++) {
        const gs__fix *x = &a->fixes[i], *y = &b->fixes[i];
        if (x->t_ms != y->t_ms || x->lon != y->lon || x->lat != y->lat ||
            x->member != y->member || x->line != y->line ||
            (x->accuracy_m != y->accuracy_m &&
             !(isnan(x->accuracy_m) && isnan(y->accuracy_m)))) {
            printf("  fix %zu differs (lines %u, %u)\n", i, x->line, y->line);
            return 0;
        }
    }
    for (size_t i = 0; i < a->n_bad; i++)
        if (a->bad[i].line != b->bad[i].line ||
            strcmp(a->bad[i].reason, b->bad[i].reason) ||
            strcmp(a->bad[i].member_id, b->bad[i].member_id))
            return 0;
    return 1;
}

/* A file with quoted line breaks, bad rows and CRLF, read in 1 and in 3
 * parts: the results must be identical. With `straddle`, a quoted field
 * of many lines covers the middle of the file, so every cut falls inside
 * it and the reader must notice and start again in one part. */
static void check_parallel(int straddle) {
    gs__buf b;
    gs__traces one, three;
    const char *p;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,lon,lat,accuracy_m,note\r\n");
    for (int i = 0; i < 30000; i++) {
        if (straddle && i == 5000) {
            gs__buf_puts(&b, "M1,2026-11-16 09:00:00,116.4,39.9,3,\"");
            for (int k = 0; k < 40000; k++) gs__buf_puts(&b, "line\r\n");
            gs__buf_puts(&b, "\"\r\n");
        }
        gs__buf_printf(&b, "M%d,2026-11-16 08:%02d:%02d,%.6f,%.6f,%s,%s\r\n",
                       i % 37, i / 60 % 60, i % 60, 116.3 + i * 1e-6,
                       39.9 + i * 1e-6, i % 11 ? "5.5" : "",
                       i % 97 == 0 ? "\"a,\r\nb\"" : "x");
        if (i % 1001 == 0) gs__buf_puts(&b, "M1,not a time,1,2,3,\r\n");
    }
    REQUIRE(!b.failed);
    p = write_tmp("par.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 1, &one) == GS_OK);
    REQUIRE(read_traces(p, NULL, NULL, 3, &three) == GS_OK);
    CHECK(one.n_fixes == 30000u + (straddle ? 1u : 0u));
    CHECK(one.n_bad == 30);
    CHECK(same_traces(&one, &three));
    gs__traces_free(&one);
    gs__traces_free(&three);
}

TEST(parallel_parts_match_one_part) { check_parallel(0); }

/* The last row has no line break; in two parts, the second is that row. */
TEST(last_row_without_line_break) {
    static const char text[] =
        "member_id,time,lon,lat\n"
        "M1,2026-11-16 08:00:00,116.397,39.909\n"
        "M1,2026-11-16 08:00:10,116.398,39.908\n"
        "M1,2026-11-16 08:00:20,116.399,39.907";
    gs__traces t;
    const char *p = write_tmp("no_eol.csv", text, sizeof text - 1);
    REQUIRE(p);
    for (int threads = 1; threads <= 2; threads++) {
        REQUIRE(read_traces(p, NULL, NULL, threads, &t) == GS_OK);
        CHECK(t.n_fixes == 3 && t.n_bad == 0);
        if (t.n_fixes == 3) CHECK(t.fixes[2].line == 4);
        if (t.n_fixes == 3) CHECK(t.fixes[2].t_ms == T0 + 20000);
        gs__traces_free(&t);
    }
}

TEST(parallel_cut_inside_quoted_field_falls_back) { check_parallel(1); }

/* Lines end with LF, CRLF or a lone CR, wherever they are: a lone CR late
 * in a file (a bare row end, or inside a quoted note) counts as a line
 * break in one part and in three alike, and rows after it are numbered as
 * an editor shows them. The reader once learnt "this file uses lone CRs"
 * only on meeting one, so a later part numbered its lines otherwise. */
TEST(lone_cr_counts_the_same_in_every_part) {
    gs__buf b;
    gs__traces one, three;
    const char *p;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,lon,lat,note\n");
    for (int i = 0; i < 3000; i++) {
        const char *end = i == 1500 ? "\r" : "\n";
        const char *note = i == 2700 ? "\"a\rb\"" : "x";
        if (i % 500 == 499)
            gs__buf_printf(&b, "M1,bad time,116.4,39.9,%s%s", note, end);
        else
            gs__buf_printf(&b, "M%d,2026-11-16 08:%02d:%02d,116.4,39.9,%s%s",
                           i % 7, i / 60 % 60, i % 60, note, end);
    }
    REQUIRE(!b.failed);
    p = write_tmp("lone_cr.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 1, &one) == GS_OK);
    REQUIRE(read_traces(p, NULL, NULL, 3, &three) == GS_OK);
    CHECK(same_traces(&one, &three));
    /* Row i is on line i + 2 until the lone CR of the quoted note. */
    REQUIRE(one.n_bad == 6);
    CHECK(one.bad[0].line == 501);
    CHECK(one.bad[2].line == 1501);
    CHECK(one.bad[4].line == 2501);
    CHECK(one.bad[5].line == 3002); /* row 2999, after the note's CR */
    CHECK(one.fixes[one.n_fixes - 1].line == 3001); /* row 2998 */
    gs__traces_free(&one);
    gs__traces_free(&three);
}

/* A coordinate or accuracy parsed whole holds no line break, so the
 * reader does not search it for one; a quoted one that fails to parse
 * because of a break (LF, CRLF, a lone CR, or only a break) still counts
 * it, and every row after is on the line an editor shows, in one part and
 * in three alike. */
TEST(line_breaks_in_quoted_numbers_count) {
    gs__buf b;
    gs__traces one, three;
    const char *p;
    int blocks = 3000, ok = 1;
    gs__buf_init(&b, 0);
    gs__buf_puts(&b, "member_id,time,lon,lat,accuracy_m\n");
    for (int i = 0; i < blocks; i++) {
        /* Ten lines: rows on lines +0, +2, +4, +6, +7 and +9. */
        gs__buf_printf(&b, "M1,2026-11-16 08:00:%02d,\"116.4\n\",39.9,3\n",
                       i % 60);
        gs__buf_puts(&b, "M1,2026-11-16 08:01:00,116.4,\"39.9\r\n\",3\n");
        gs__buf_puts(&b, "M1,2026-11-16 08:02:00,116.4,39.9,\"3\r\"\n");
        gs__buf_printf(&b,
                       "M1,2026-11-16 08:%02d:%02d,\" +116.4e0\t\","
                       "\"+0.399E+2\",\"\"\n",
                       i / 60 % 60, i % 60);
        gs__buf_puts(&b, "M1,2026-11-16 08:04:00,116.4,39.9,\"\n\"\n");
        gs__buf_puts(&b, "M2,2026-11-16 08:05:00,116.4,39.9,3\n");
    }
    REQUIRE(!b.failed);
    p = write_tmp("breaks_in_numbers.csv", b.data, b.len);
    gs__buf_free(&b);
    REQUIRE(p);
    REQUIRE(read_traces(p, NULL, NULL, 1, &one) == GS_OK);
    REQUIRE(read_traces(p, NULL, NULL, 3, &three) == GS_OK);
    CHECK(same_traces(&one, &three));
    REQUIRE(one.n_bad == (size_t)blocks * 4);
    REQUIRE(one.n_fixes == (size_t)blocks * 2);
    for (int i = 0; i < blocks && ok; i++) {
        uint32_t base = 2 + 10 * (uint32_t)i;
        const gs__badrow *r = &one.bad[4 * i];
        ok = r[0].line == base && !strcmp(r[0].field, "lon") &&
             r[1].line == base + 2 && !strcmp(r[1].field, "lat") &&
             r[2].line == base + 4 && !strcmp(r[2].field, "accuracy_m") &&
             r[3].line == base + 7 && !strcmp(r[3].field, "accuracy_m") &&
             one.fixes[2 * i].line == base + 6 &&
             one.fixes[2 * i + 1].line == base + 9;
        if (!ok) fprintf(stderr, "block %d: lines differ\n", i);
    }
    CHECK(ok);
    /* The quoted numbers with spaces, a sign and an exponent parse. */
    CHECK(fabs(one.fixes[0].lon - 116.4) < 1e-12);
    CHECK(fabs(one.fixes[0].lat - 39.9) < 1e-12);
    CHECK(one.fixes[0].accuracy_m != one.fixes[0].accuracy_m); /* NaN */
    gs__traces_free(&one);
    gs__traces_free(&three);
}

int main(void) {
    char tmpl[] = "/tmp/gs_test_traces_XXXXXX";
    int rc;
    if (gs_ctx_create(&ctx) != GS_OK || !mkdtemp(tmpl)) return 1;
    snprintf(tmpdir, sizeof tmpdir, "%s", tmpl);
    if (gs__tz_open(ctx, "Asia/Shanghai", &tz) != GS_OK) return 1;
    RUN(unsorted_and_duplicates_stay_in_file_order);
    RUN(bom_crlf_quotes_and_line_breaks_in_fields);
    RUN(tab_separated_with_aliases);
    RUN(epoch_seconds_and_milliseconds);
    RUN(field_mapping);
    RUN(gbk_detected_and_decoded);
    RUN(gbk_with_encoding_option);
    RUN(gbk_detected_after_the_first_megabyte);
    RUN(utf8_names_and_undecodable_member);
    RUN(utf16_rejected);
    RUN(bad_rows_reported_by_line_field_and_reason);
    RUN(missing_column_names_file_column_and_columns);
    RUN(empty_and_header_only_files);
    RUN(gpx_track_points);
    RUN(geopackage_point_layer_in_utm);
    RUN(gcj02_input_converted);
    RUN(bd09_input_converted);
    RUN(epsg_input_transformed);
    RUN(parallel_parts_match_one_part);
    RUN(last_row_without_line_break);
    RUN(parallel_cut_inside_quoted_field_falls_back);
    RUN(lone_cr_counts_the_same_in_every_part);
    RUN(line_breaks_in_quoted_numbers_count);
    gs__tz_close(tz);
    gs_ctx_destroy(ctx);
    {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) printf("  could not remove %s\n", tmpdir);
    }
    rc = HARNESS_END();
    return rc;
}
