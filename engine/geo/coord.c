/*
 * coord.c - GCJ-02 and BD-09: the offset datums of China's map SDKs.
 *
 * Phones in China report positions through map SDKs that give GCJ-02
 * ("Mars coordinates", every map licensed in China) or BD-09 (Baidu), not
 * WGS84: the points are shifted by 100-700 m by a published nonlinear
 * formula, so a trace read as WGS84 lands in the wrong grid. Here are the
 * forward transforms, as the public formula defines them:
 *
 *   WGS84 --(Krasovsky ellipsoid + the transformLat/transformLon
 *            polynomials, only inside China's rectangle)--> GCJ-02
 *   GCJ-02 --(polar stretch and rotation, x_pi = pi*3000/180)--> BD-09
 *
 * and their inverses. Neither forward transform has a closed-form inverse
 * (the usual "2*x - f(x)" inverse is off by up to a few metres), so the
 * inverses iterate: x <- x + (target - f(x)). The forward maps are a small
 * perturbation of the identity (their derivative differs from 1 by about
 * 0.5%), so each step shrinks the error about 200-fold and four or five
 * forward evaluations reach the 1e-9 degree (0.1 mm) stopping tolerance.
 * An iteration cap guards the places where the map is not a contraction
 * (the edge of the rectangle, where GCJ-02 jumps from offset to none); the
 * best estimate seen is returned there.
 */
#include "coord.h"

#include <math.h>

/* The Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it. */
#define KRASOVSKY_A 6378245.0
#define KRASOVSKY_EE 0.00669342162296594323
#define PI 3.14159265358979323846
#define X_PI (PI * 3000.0 / 180.0)

/* 1e-9 degrees is 0.11 mm of latitude; the inverse stops there. */
#define INVERSE_TOL_DEG 1e-9
/* Four or five steps suffice; the cap only bounds pathological input. */
#define INVERSE_MAX_STEPS 40

int gs__gcj02_outside_china(double lon, double lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 &&
             lat <= 55.8271);
}

/* sin(k * pi * v / 60) for the multiples k the formula uses, from one
 * sine and cosine: powers of z = exp(i * pi * v / 60). The polynomials
 * need fourteen sines per point, and the inverse evaluates them four
 * times per fix, eleven million fixes a week; this is three times faster
 * than calling sin() for each, and the rounding it adds (some 1e-14 of a
 * radian at z^360) moves a point by less than a nanometre. */
typedef struct multiples {
    double s2, s5, s20, s60, s120, s360;
} multiples;

static void cmul(double ar, double ai, double br, double bi, double *cr,
                 double *ci) {
    *cr = ar * br - ai * bi;
    *ci = ar * bi + ai * br;
}

static void sine_multiples(double v, multiples *m) {
    double t = v * PI / 60.0;
    double r1 = cos(t), i1 = sin(t), r2, i2, r4, i4, r5, i5, r10, i10, r20, i20,
           r40, i40, r60, i60, r120, i120, r240, i240, r360, i360;
    cmul(r1, i1, r1, i1, &r2, &i2);
    cmul(r2, i2, r2, i2, &r4, &i4);
    cmul(r4, i4, r1, i1, &r5, &i5);
    cmul(r5, i5, r5, i5, &r10, &i10);
    cmul(r10, i10, r10, i10, &r20, &i20);
    cmul(r20, i20, r20, i20, &r40, &i40);
    cmul(r40, i40, r20, i20, &r60, &i60);
    cmul(r60, i60, r60, i60, &r120, &i120);
    cmul(r120, i120, r120, i120, &r240, &i240);
    cmul(r240, i240, r120, i120, &r360, &i360);
    (void)r360;
    m->s2 = i2;     /* sin(pi v / 30) */
    m->s5 = i5;     /* sin(pi v / 12) */
    m->s20 = i20;   /* sin(pi v / 3) */
    m->s60 = i60;   /* sin(pi v) */
    m->s120 = i120; /* sin(2 pi v) */
    m->s360 = i360; /* sin(6 pi v) */
}

/* The formula's transformLat and transformLon at x = lon - 105,
 * y = lat - 35, with the sines above. */
static void transform(double x, double y, double *out_dlat, double *out_dlon) {
    multiples mx, my;
    double common;
    sine_multiples(x, &mx);
    sine_multiples(y, &my);
    common = (20.0 * mx.s360 + 20.0 * mx.s120) * 2.0 / 3.0;
    *out_dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
                0.2 * sqrt(fabs(x)) + common +
                (20.0 * my.s60 + 40.0 * my.s20) * 2.0 / 3.0 +
                (160.0 * my.s5 + 320.0 * my.s2) * 2.0 / 3.0;
    *out_dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
                0.1 * sqrt(fabs(x)) + common +
                (20.0 * mx.s60 + 40.0 * mx.s20) * 2.0 / 3.0 +
                (150.0 * mx.s5 + 300.0 * mx.s2) * 2.0 / 3.0;
}

void gs__wgs84_to_gcj02(double lon, double lat, double *out_lon,
                        double *out_lat) {
    double dlat, dlon, radlat, magic, sqrt_magic;
    if (gs__gcj02_outside_china(lon, lat)) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    transform(lon - 105.0, lat - 35.0, &dlat, &dlon);
    radlat = lat / 180.0 * PI;
    magic = sin(radlat);
    magic = 1.0 - KRASOVSKY_EE * magic * magic;
    sqrt_magic = sqrt(magic);
    dlat = (dlat * 180.0) /
           ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * cos(radlat) * PI);
    *out_lon = lon + dlon;
    *out_lat = lat + dlat;
}

void gs__gcj02_to_bd09(double lon, double lat, double *out_lon,
                       double *out_lat) {
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * X_PI);
    *out_lon = z * cos(theta) + 0.0065;
    *out_lat = z * sin(theta) + 0.006;
}

void gs__wgs84_to_bd09(double lon, double lat, double *out_lon,
                       double *out_lat) {
    double glon, glat;
    gs__wgs84_to_gcj02(lon, lat, &glon, &glat);
    gs__gcj02_to_bd09(glon, glat, out_lon, out_lat);
}

typedef void (*forward_fn)(double lon, double lat, double *out_lon,
                           double *out_lat);

/* Solves f(x) = (lon, lat) by fixed-point iteration from (x0, y0); see the
 * comment at the top. Non-finite input is returned as is. */
static void invert(forward_fn f, double lon, double lat, double x0, double y0,
                   double *out_lon, double *out_lat) {
    double x = x0, y = y0, best_x = x0, best_y = y0, best = INFINITY;
    if (!isfinite(lon) || !isfinite(lat)) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    for (int i = 0; i < INVERSE_MAX_STEPS; i++) {
        double fx, fy, dx, dy, e;
        f(x, y, &fx, &fy);
        dx = lon - fx;
        dy = lat - fy;
        e = fmax(fabs(dx), fabs(dy));
        if (e < best) {
            best = e;
            best_x = x;
            best_y = y;
        }
        if (e <= INVERSE_TOL_DEG) break;
        x += dx;
        y += dy;
    }
    *out_lon = best_x;
    *out_lat = best_y;
}

void gs__gcj02_to_wgs84(double lon, double lat, double *out_lon,
                        double *out_lat) {
    if (gs__gcj02_outside_china(lon, lat)) {
        *out_lon = lon;
        *out_lat = lat;
        return;
    }
    invert(gs__wgs84_to_gcj02, lon, lat, lon, lat, out_lon, out_lat);
}

void gs__bd09_to_gcj02(double lon, double lat, double *out_lon,
                       double *out_lat) {
    /* The closed-form approximation as the starting point: within metres,
     * so two or three steps finish. */
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * X_PI);
    invert(gs__gcj02_to_bd09, lon, lat, z * cos(theta), z * sin(theta), out_lon,
           out_lat);
}

void gs__bd09_to_wgs84(double lon, double lat, double *out_lon,
                       double *out_lat) {
    double glon, glat;
    gs__bd09_to_gcj02(lon, lat, &glon, &glat);
    gs__gcj02_to_wgs84(glon, glat, out_lon, out_lat);
}
