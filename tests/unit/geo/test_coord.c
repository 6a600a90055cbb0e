/*
 * test_coord.c - GCJ-02 and BD-09 transforms and their inverses.
 *
 * Forward transforms are checked against values published with widely
 * used implementations of the public formula; inverses by round trips in
 * metres at points all over China, including the far west (Urumqi), north
 * (Harbin, Mohe) and south (Sanya), where the polynomials differ most.
 */
#include <math.h>
#include <stdio.h>

#include "coord.h"
#include "harness.h"

/* Distance in metres between two nearby lon/lat points (equirectangular;
 * exact enough below a kilometre). */
static double dist_m(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8, rad = 3.14159265358979323846 / 180.0;
    double x = (lon2 - lon1) * rad * cos((lat1 + lat2) / 2 * rad) * r;
    double y = (lat2 - lat1) * rad * r;
    return sqrt(x * x + y * y);
}

static const double places[][2] = {
    {116.397, 39.909},   /* Beijing, Tiananmen */
    {87.617, 43.826},    /* Urumqi */
    {126.535, 45.803},   /* Harbin */
    {109.512, 18.252},   /* Sanya */
    {121.4737, 31.2304}, /* Shanghai */
    {104.066, 30.572},   /* Chengdu */
    {91.117, 29.647},    /* Lhasa */
    {122.53, 52.97},     /* Mohe */
    {113.264, 23.129},   /* Guangzhou */
    {105.0, 35.0},       /* the formula's origin */
};
#define N_PLACES (sizeof places / sizeof places[0])

/* The public formula as it is usually written, one sin() per term: the
 * library computes the sines by multiple angles and must agree. */
static void reference_gcj02(double lon, double lat, double *out_lon,
                            double *out_lat) {
    const double pi = 3.14159265358979323846, a = 6378245.0,
                 ee = 0.00669342162296594323;
    double x = lon - 105.0, y = lat - 35.0, dlat, dlon, rad, magic, sm;
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
           0.2 * sqrt(fabs(x));
    dlat += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0;
    dlat += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0;
    dlat +=
        (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0;
    dlon =
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    dlon += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0;
    dlon += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0;
    dlon +=
        (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0;
    rad = lat / 180.0 * pi;
    magic = 1.0 - ee * sin(rad) * sin(rad);
    sm = sqrt(magic);
    *out_lat = lat + (dlat * 180.0) / ((a * (1.0 - ee)) / (magic * sm) * pi);
    *out_lon = lon + (dlon * 180.0) / (a / sm * cos(rad) * pi);
}

TEST(forward_matches_the_formula_everywhere) {
    double worst = 0;
    for (double lon = 72.1; lon < 137.8; lon += 0.173)
        for (double lat = 0.9; lat < 55.8; lat += 0.171) {
            double a_lon, a_lat, b_lon, b_lat, d;
            gs__wgs84_to_gcj02(lon, lat, &a_lon, &a_lat);
            reference_gcj02(lon, lat, &b_lon, &b_lat);
            d = fmax(fabs(a_lon - b_lon), fabs(a_lat - b_lat));
            if (d > worst) worst = d;
        }
    printf("  largest difference from the formula: %.3g degrees\n", worst);
    CHECK(worst < 1e-12); /* 0.1 micrometre */
}

/* Published: wgs84togcj02(116.404, 39.915) and gcj02tobd09(116.404,
 * 39.915) as printed by the coordtransform project's tests. */
TEST(forward_matches_published_values) {
    double lon, lat;
    gs__wgs84_to_gcj02(116.404, 39.915, &lon, &lat);
    CHECK_NEAR(lon, 116.41024449916938, 1e-11);
    CHECK_NEAR(lat, 39.91640428150164, 1e-11);
    gs__gcj02_to_bd09(116.404, 39.915, &lon, &lat);
    CHECK_NEAR(lon, 116.41036949371029, 1e-11);
    CHECK_NEAR(lat, 39.92133699351021, 1e-11);
}

/* In Beijing GCJ-02 moves points a few hundred metres east and a little
 * north: the magnitude users see on every map. */
TEST(beijing_offset_magnitude_and_direction) {
    double lon, lat, d;
    gs__wgs84_to_gcj02(116.397, 39.909, &lon, &lat);
    d = dist_m(116.397, 39.909, lon, lat);
    printf("  GCJ-02 offset at Tiananmen: %.1f m (dlon %.6f, dlat %.6f)\n", d,
           lon - 116.397, lat - 39.909);
    CHECK(d > 100 && d < 700);
    CHECK(lon > 116.397);                /* east */
    CHECK(lat > 39.909);                 /* north */
    CHECK(lon - 116.397 > lat - 39.909); /* mostly east */
}

TEST(offset_everywhere_in_china_is_100_to_700_m) {
    for (size_t i = 0; i < N_PLACES; i++) {
        double lon, lat, d;
        gs__wgs84_to_gcj02(places[i][0], places[i][1], &lon, &lat);
        d = dist_m(places[i][0], places[i][1], lon, lat);
        if (!(d > 10 && d < 1000)) printf("  place %zu: offset %.1f m\n", i, d);
        CHECK(d > 10 && d < 1000);
    }
}

TEST(gcj02_round_trip_below_1mm) {
    double worst = 0;
    /* The named places and a 0.37-degree lattice over the whole
     * rectangle (inside China's main territory and the sea around it). */
    for (size_t i = 0; i < N_PLACES; i++) {
        double g_lon, g_lat, w_lon, w_lat, d;
        gs__wgs84_to_gcj02(places[i][0], places[i][1], &g_lon, &g_lat);
        gs__gcj02_to_wgs84(g_lon, g_lat, &w_lon, &w_lat);
        d = dist_m(places[i][0], places[i][1], w_lon, w_lat);
        if (d > worst) worst = d;
        CHECK(d < 0.001);
    }
    for (double lon = 73.5; lon < 135.0; lon += 0.37)
        for (double lat = 18.0; lat < 53.5; lat += 0.37) {
            double g_lon, g_lat, w_lon, w_lat, d;
            gs__wgs84_to_gcj02(lon, lat, &g_lon, &g_lat);
            gs__gcj02_to_wgs84(g_lon, g_lat, &w_lon, &w_lat);
            d = dist_m(lon, lat, w_lon, w_lat);
            if (d > worst) worst = d;
            if (d >= 0.001) {
                printf("  round trip at %.3f %.3f: %.6f m\n", lon, lat, d);
                CHECK(d < 0.001);
                return;
            }
        }
    printf("  worst GCJ-02 round trip: %.3g m\n", worst);
}

TEST(bd09_round_trips_below_1mm) {
    for (size_t i = 0; i < N_PLACES; i++) {
        double b_lon, b_lat, lon, lat, d;
        gs__gcj02_to_bd09(places[i][0], places[i][1], &b_lon, &b_lat);
        gs__bd09_to_gcj02(b_lon, b_lat, &lon, &lat);
        d = dist_m(places[i][0], places[i][1], lon, lat);
        CHECK(d < 0.001);
        gs__wgs84_to_bd09(places[i][0], places[i][1], &b_lon, &b_lat);
        CHECK(dist_m(places[i][0], places[i][1], b_lon, b_lat) > 100);
        gs__bd09_to_wgs84(b_lon, b_lat, &lon, &lat);
        d = dist_m(places[i][0], places[i][1], lon, lat);
        if (d >= 0.001) printf("  place %zu: BD-09 round trip %.6f m\n", i, d);
        CHECK(d < 0.001);
    }
}

/* The usual closed-form BD-09 inverse is an approximation; ours must land
 * near its published value yet be far more exact. */
TEST(bd09_inverse_beats_the_closed_form) {
    double lon, lat, f_lon, f_lat;
    gs__bd09_to_gcj02(116.404, 39.915, &lon, &lat);
    /* coordtransform's bd09togcj02(116.404, 39.915). */
    CHECK(dist_m(lon, lat, 116.39762729119315, 39.90865673957631) < 1.0);
    gs__gcj02_to_bd09(lon, lat, &f_lon, &f_lat);
    CHECK(dist_m(f_lon, f_lat, 116.404, 39.915) < 0.0002);
    {
        double ours = dist_m(f_lon, f_lat, 116.404, 39.915);
        gs__gcj02_to_bd09(116.39762729119315, 39.90865673957631, &f_lon,
                          &f_lat);
        printf(
            "  BD-09 -> GCJ-02 -> BD-09: the closed-form inverse misses "
            "by %.4f m, ours by %.6f m\n",
            dist_m(f_lon, f_lat, 116.404, 39.915), ours);
        CHECK(ours < dist_m(f_lon, f_lat, 116.404, 39.915));
    }
}

TEST(outside_china_unchanged) {
    static const double out[][2] = {
        {2.3522, 48.8566},   /* Paris */
        {139.6917, 35.6895}, /* Tokyo: east of the rectangle */
        {-74.006, 40.7128},  /* New York */
        {151.2093, -33.8688} /* Sydney */
    };
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        double lon, lat;
        CHECK(gs__gcj02_outside_china(out[i][0], out[i][1]));
        gs__wgs84_to_gcj02(out[i][0], out[i][1], &lon, &lat);
        CHECK(lon == out[i][0] && lat == out[i][1]);
        gs__gcj02_to_wgs84(out[i][0], out[i][1], &lon, &lat);
        CHECK(lon == out[i][0] && lat == out[i][1]);
    }
    CHECK(!gs__gcj02_outside_china(116.397, 39.909));
}

TEST(nan_passes_through) {
    double lon, lat;
    gs__gcj02_to_wgs84(NAN, 39.9, &lon, &lat);
    CHECK(isnan(lon));
    gs__bd09_to_wgs84(116.4, NAN, &lon, &lat);
    CHECK(isnan(lat) || isnan(lon));
}

int main(void) {
    RUN(forward_matches_published_values);
    RUN(forward_matches_the_formula_everywhere);
    RUN(beijing_offset_magnitude_and_direction);
    RUN(offset_everywhere_in_china_is_100_to_700_m);
    RUN(gcj02_round_trip_below_1mm);
    RUN(bd09_round_trips_below_1mm);
    RUN(bd09_inverse_beats_the_closed_form);
    RUN(outside_china_unchanged);
    RUN(nan_passes_through);
    return HARNESS_END();
}
