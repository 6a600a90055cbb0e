/*
 * test_crs.c - the metric CRS a run picks, and the transforms into it
 * (geo/crs.h).
 *
 * The zone choice is checked against the CGCS2000 3-degree Gauss-Kruger
 * zones as EPSG numbers them (EPSG:4534 = CM 75E ... EPSG:4554 = CM 135E,
 * each zone 3 degrees wide around its central meridian). Transforms are
 * checked against PROJ called directly here, against a fact of the
 * projection (a point on the central meridian has easting 500,000 m),
 * and by round trips, all within a millimetre.
 */
#include <math.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "harness.h"

static gs_ctx *ctx;
static OGRSpatialReferenceH cgcs; /* EPSG:4490, lon/lat order */

/* Metres between two nearby lon/lat points (equirectangular; exact
 * enough below a kilometre). */
static double dist_m(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8, rad = 3.14159265358979323846 / 180.0;
    double x = (lon2 - lon1) * rad * cos((lat1 + lat2) / 2 * rad) * r;
    double y = (lat2 - lat1) * rad * r;
    return sqrt(x * x + y * y);
}

/* Picks the metric CRS for a centre (cx, cy) in `src` with a clean
 * context, as a public call would; *out_cm is its central meridian, and
 * `epsg` its EPSG code ("" when it has none). */
static int pick(OGRSpatialReferenceH src, double cx, double cy,
                OGRSpatialReferenceH *out, char **name, double *out_cm,
                char epsg[16]) {
    int rc;
    const char *code;
    gs__gdal_enter(ctx);
    rc = gs__crs_pick_metric(ctx, src, cx, cy, out, name);
    gs__gdal_leave(ctx);
    if (rc) return rc;
    *out_cm = OSRGetProjParm(*out, SRS_PP_CENTRAL_MERIDIAN, NAN, NULL);
    code = OSRGetAuthorityCode(*out, NULL);
    snprintf(epsg, 16, "%s", code ? code : "");
    return rc;
}

/* A zone picked for a lon/lat centre is the expected EPSG code and
 * central meridian, named so in the metadata. */
static int zone_is(double lon, double lat, const char *epsg_want,
                   double cm_want) {
    OGRSpatialReferenceH m = NULL;
    char *name = NULL, epsg[16], piece[64];
    double cm = NAN;
    int ok = pick(cgcs, lon, lat, &m, &name, &cm, epsg) == GS_OK;
    snprintf(piece, sizeof piece, "EPSG:%s CGCS2000 / 3-degree Gauss-Kruger",
             epsg_want);
    ok = ok && !strcmp(epsg, epsg_want) && cm == cm_want &&
         strstr(name, piece) != NULL;
    if (!ok)
        printf("  %.4f, %.4f: EPSG:%s, CM %g, '%s'\n", lon, lat, epsg, cm,
               name ? name : "(none)");
    if (m) OSRDestroySpatialReference(m);
    free(name);
    return ok;
}

TEST(picks_the_zone_of_the_centre_longitude) {
    CHECK(zone_is(116.3, 39.9, "4548", 117));   /* Beijing */
    CHECK(zone_is(121.47, 31.23, "4549", 120)); /* Shanghai */
    CHECK(zone_is(113.26, 23.13, "4547", 114)); /* Guangzhou */
    /* The border between CM 117 and CM 120 is 118.5E. */
    CHECK(zone_is(118.49, 32.0, "4548", 117));
    CHECK(zone_is(118.51, 32.0, "4549", 120));
    /* A longitude exactly on a border belongs to the zone east of it, as
     * with the usual zone number int((L + 1.5) / 3): 121.5E is CM 123E. */
    CHECK(zone_is(121.5, 31.2, "4550", 123));
    CHECK(zone_is(118.5, 32.0, "4549", 120));
    /* The first and last zones. */
    CHECK(zone_is(75.99, 39.47, "4534", 75)); /* Kashgar */
    CHECK(zone_is(134.3, 47.7, "4554", 135)); /* Fuyuan */
}

TEST(picks_from_a_projected_centre) {
    OGRSpatialReferenceH src = NULL, m = NULL;
    char *name = NULL, epsg[16];
    double cm = NAN;
    REQUIRE(gs__srs_from_user(ctx, "EPSG:4549", &src) == GS_OK);
    /* Easting 500,000 is CM 120E itself; 200 km west is 117.9E. */
    CHECK(pick(src, 500000, 3450000, &m, &name, &cm, epsg) == GS_OK);
    CHECK(cm == 120 && !strcmp(epsg, "4549"));
    OSRDestroySpatialReference(m);
    free(name);
    CHECK(pick(src, 300000, 3450000, &m, &name, &cm, epsg) == GS_OK);
    CHECK(cm == 117 && !strcmp(epsg, "4548"));
    OSRDestroySpatialReference(m);
    free(name);
    OSRDestroySpatialReference(src);
}

TEST(outside_china_a_grs80_zone_without_epsg) {
    OGRSpatialReferenceH m = NULL;
    char *name = NULL, epsg[16];
    double cm = NAN;
    REQUIRE(pick(cgcs, 2.35, 48.85, &m, &name, &cm, epsg) == GS_OK); /* Paris */
    CHECK(cm == 3);
    CHECK_STR(epsg, "");
    CHECK(strstr(name, "CM 3 on GRS80 (outside CGCS2000 zones)") != NULL);
    CHECK(OSRIsProjected(m));
    OSRDestroySpatialReference(m);
    free(name);
    REQUIRE(pick(cgcs, -87.63, 41.88, &m, &name, &cm, epsg) == GS_OK);
    CHECK(cm == -87); /* Chicago */
    OSRDestroySpatialReference(m);
    free(name);
}

/* A centre at longitude 400 is no place on Earth: refused, not a zone
 * "CM 399". Longitudes 180..360 name the western meridians. */
TEST(impossible_longitude_refused) {
    OGRSpatialReferenceH m = NULL;
    char *name = NULL, epsg[16];
    double cm = NAN;
    CHECK(pick(cgcs, 400, 40, &m, &name, &cm, epsg) == GS_ERR_INPUT_CRS);
    CHECK(m == NULL && name == NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "not a place on Earth") != NULL);
    CHECK(pick(cgcs, 116, 95, &m, &name, &cm, epsg) == GS_ERR_INPUT_CRS);
    REQUIRE(pick(cgcs, 296.3, 40, &m, &name, &cm, epsg) == GS_OK);
    CHECK(cm == -63);
    OSRDestroySpatialReference(m);
    free(name);
}

/* lon/lat -> metres through PROJ directly: the independent reference. */
static int proj_direct(const char *to, double lon, double lat, double *x,
                       double *y) {
    PJ_CONTEXT *pc = proj_context_create();
    PJ *op = proj_create_crs_to_crs(pc, "EPSG:4490", to, NULL);
    PJ *norm = op ? proj_normalize_for_visualization(pc, op) : NULL;
    PJ_COORD c;
    int ok = norm != NULL;
    if (ok) {
        c = proj_trans(norm, PJ_FWD, proj_coord(lon, lat, 0, 0));
        *x = c.xy.x;
        *y = c.xy.y;
    }
    if (norm) proj_destroy(norm);
    if (op) proj_destroy(op);
    proj_context_destroy(pc);
    return ok;
}

static const double places[][2] = {
    {116.397, 39.909}, /* Tiananmen */
    {117.0, 39.9},     /* on the central meridian */
    {115.51, 40.5},    /* 1.49 degrees west of it */
    {118.49, 38.2},    /* 1.49 degrees east */
    {116.3, 39.0},
};
#define N_PLACES (sizeof places / sizeof places[0])

TEST(round_trip_and_proj_agree_below_1mm) {
    OGRSpatialReferenceH m = NULL;
    OGRCoordinateTransformationH fwd = NULL, back = NULL;
    char *name = NULL, epsg[16];
    double cm;
    REQUIRE(pick(cgcs, 116.3, 39.9, &m, &name, &cm, epsg) == GS_OK);
    REQUIRE(gs__crs_transform(ctx, cgcs, m, &fwd) == GS_OK);
    REQUIRE(gs__crs_transform(ctx, m, cgcs, &back) == GS_OK);
    for (size_t i = 0; i < N_PLACES; i++) {
        double x = places[i][0], y = places[i][1], px, py, lon, lat;
        REQUIRE(OCTTransform(fwd, 1, &x, &y, NULL));
        REQUIRE(proj_direct("EPSG:4548", places[i][0], places[i][1], &px, &py));
        CHECK_NEAR(x, px, 1e-3);
        CHECK_NEAR(y, py, 1e-3);
        lon = x;
        lat = y;
        REQUIRE(OCTTransform(back, 1, &lon, &lat, NULL));
        CHECK(dist_m(lon, lat, places[i][0], places[i][1]) < 1e-3);
    }
    {
        /* A point on the central meridian: easting 500,000 m, the zone's
         * false easting (no zone prefix); northing about 4,417 km. */
        double x = 117.0, y = 39.9;
        REQUIRE(OCTTransform(fwd, 1, &x, &y, NULL));
        CHECK_NEAR(x, 500000.0, 1e-3);
        CHECK(y > 4400000 && y < 4430000);
    }
    OCTDestroyCoordinateTransformation(fwd);
    OCTDestroyCoordinateTransformation(back);
    OSRDestroySpatialReference(m);
    free(name);
}

/* A point as the events reader lays them out: x and y inside a struct. */
typedef struct pt {
    double x, y;
    int tag;
} pt;

TEST(threads_give_the_same_bits_as_one) {
    enum { N = 300000 }; /* 4 workers of 75,000 points (at least 65,536) */
    pt *a = calloc(N, sizeof *a), *b = calloc(N, sizeof *b); /* padding 0 */
    OGRSpatialReferenceH m = NULL;
    OGRCoordinateTransformationH ct = NULL;
    char *name = NULL, epsg[16];
    double cm;
    size_t finite = 0;
    REQUIRE(a && b);
    for (size_t i = 0; i < N; i++) {
        a[i].x = 115.6 + 2.8 * (double)(i % 1000) / 1000.0;
        a[i].y = 38.5 + 3.0 * (double)(i / 1000) / (N / 1000);
        a[i].tag = (int)i;
    }
    memcpy(b, a, N * sizeof *a);
    REQUIRE(pick(cgcs, 117, 40, &m, &name, &cm, epsg) == GS_OK);
    gs__gdal_enter(ctx);
    CHECK(gs__crs_transform_points(ctx, cgcs, m, &a[0].x, &a[0].y, sizeof *a, N,
                                   1) == GS_OK);
    CHECK(gs__crs_transform_points(ctx, cgcs, m, &b[0].x, &b[0].y, sizeof *b, N,
                                   4) == GS_OK);
    gs__gdal_leave(ctx);
    CHECK(memcmp(a, b, N * sizeof *a) == 0);
    for (size_t i = 0; i < N; i++)
        finite += isfinite(b[i].x) && isfinite(b[i].y) && b[i].tag == (int)i;
    CHECK(finite == N);
    /* The values are right, not merely equal: samples against OGR. */
    REQUIRE(gs__crs_transform(ctx, cgcs, m, &ct) == GS_OK);
    for (size_t i = 0; i < N; i += 29989) {
        double x = 115.6 + 2.8 * (double)(i % 1000) / 1000.0;
        double y = 38.5 + 3.0 * (double)(i / 1000) / (N / 1000);
        REQUIRE(OCTTransform(ct, 1, &x, &y, NULL));
        CHECK_NEAR(b[i].x, x, 1e-3);
        CHECK_NEAR(b[i].y, y, 1e-3);
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(m);
    free(name);
    free(a);
    free(b);
}

TEST(nan_in_nan_out) {
    double xs[5] = {116.3, NAN, 116.5, 116.0, INFINITY};
    double ys[5] = {39.9, 39.9, NAN, 95.0, 39.9};
    OGRSpatialReferenceH m = NULL;
    char *name = NULL, epsg[16];
    double cm;
    REQUIRE(pick(cgcs, 117, 40, &m, &name, &cm, epsg) == GS_OK);
    gs__gdal_enter(ctx);
    CHECK(gs__crs_transform_points(ctx, cgcs, m, xs, ys, sizeof *xs, 5, 4) ==
          GS_OK);
    gs__gdal_leave(ctx);
    CHECK(isfinite(xs[0]) && isfinite(ys[0]));
    CHECK_NEAR(ys[0], 4418660.24, 1.0);
    /* NaN or infinite in either coordinate, or a latitude beyond the
     * pole: both come out NaN. */
    for (int i = 1; i < 5; i++) CHECK(isnan(xs[i]) && isnan(ys[i]));
    OSRDestroySpatialReference(m);
    free(name);
}

TEST(srs_from_user) {
    OGRSpatialReferenceH s = (OGRSpatialReferenceH)1;
    double x = 116.3, y = 39.9;
    OGRSpatialReferenceH m = NULL;
    OGRCoordinateTransformationH ct = NULL;
    static const char *const bad[] = {"EPSG:999999", "not a crs", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char piece[64];
        s = (OGRSpatialReferenceH)1;
        gs__gdal_enter(ctx);
        CHECK(gs__srs_from_user(ctx, bad[i], &s) == GS_ERR_USAGE);
        gs__gdal_leave(ctx);
        CHECK(s == NULL);
        snprintf(piece, sizeof piece, "cannot understand the CRS '%s'", bad[i]);
        CHECK(strstr(gs_ctx_errmsg(ctx), piece) != NULL);
        CHECK(strstr(gs_ctx_errmsg(ctx), "EPSG:4490 for CGCS2000") != NULL);
    }
    /* EPSG:4490 declares latitude first; ours is in lon/lat order. */
    REQUIRE(gs__srs_from_user(ctx, "EPSG:4490", &s) == GS_OK);
    CHECK(OSRGetAxisMappingStrategy(s) == OAMS_TRADITIONAL_GIS_ORDER);
    REQUIRE(gs__srs_from_user(ctx, "EPSG:4548", &m) == GS_OK);
    REQUIRE(gs__crs_transform(ctx, s, m, &ct) == GS_OK);
    REQUIRE(OCTTransform(ct, 1, &x, &y, NULL));
    CHECK(x > 400000 && x < 500000 && y > 4400000); /* not swapped */
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(m);
    OSRDestroySpatialReference(s);
    /* A clone keeps lon/lat order whatever the original's. */
    s = OSRNewSpatialReference(NULL);
    REQUIRE(OSRImportFromEPSG(s, 4490) == OGRERR_NONE);
    OSRSetAxisMappingStrategy(s, OAMS_AUTHORITY_COMPLIANT);
    m = gs__srs_clone_gis(s);
    REQUIRE(m);
    CHECK(OSRGetAxisMappingStrategy(m) == OAMS_TRADITIONAL_GIS_ORDER);
    OSRDestroySpatialReference(m);
    OSRDestroySpatialReference(s);
}

TEST(no_transformation_is_an_input_crs_error) {
    OGRSpatialReferenceH local = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = (OGRCoordinateTransformationH)1;
    double x = 1, y = 2;
    REQUIRE(local);
    REQUIRE(OSRSetLocalCS(local, "site grid") == OGRERR_NONE);
    gs__gdal_enter(ctx);
    CHECK(gs__crs_transform(ctx, local, cgcs, &ct) == GS_ERR_INPUT_CRS);
    gs__gdal_leave(ctx);
    CHECK(ct == NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "no coordinate transformation") != NULL);
    gs__gdal_enter(ctx);
    CHECK(gs__crs_transform_points(ctx, local, cgcs, &x, &y, sizeof x, 1, 1) ==
          GS_ERR_INPUT_CRS);
    gs__gdal_leave(ctx);
    CHECK(strstr(gs_ctx_errmsg(ctx),
                 "PROJ has no transformation between the CRSes") != NULL);
    CHECK(x == 1 && y == 2); /* untouched */
    OSRDestroySpatialReference(local);
}

int main(void) {
    int rc;
    if (gs_ctx_create(&ctx) != GS_OK ||
        gs__srs_from_user(ctx, "EPSG:4490", &cgcs) != GS_OK)
        return 1;
    RUN(picks_the_zone_of_the_centre_longitude);
    RUN(picks_from_a_projected_centre);
    RUN(outside_china_a_grs80_zone_without_epsg);
    RUN(impossible_longitude_refused);
    RUN(round_trip_and_proj_agree_below_1mm);
    RUN(threads_give_the_same_bits_as_one);
    RUN(nan_in_nan_out);
    RUN(srs_from_user);
    RUN(no_transformation_is_an_input_crs_error);
    OSRDestroySpatialReference(cgcs);
    gs_ctx_destroy(ctx);
    rc = HARNESS_END();
    return rc;
}
