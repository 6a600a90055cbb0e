/*
 * bulk.h - where most of a layer's coordinates lie, and which lie far
 * outside it (bulk.c).
 *
 * One bad coordinate in an export, a vertex or a point at (0, 0) or ten
 * degrees off, must not move everything computed from the layer's extent:
 * the metric CRS, a density bandwidth, a raster's extent. Readers describe
 * each spatial layer's coordinates with a gs__bulk and report those far
 * outside it as located problems; the CRS and extents are taken from the
 * bulk.
 *
 * The rule, stated in run_metadata: the bulk is the box of the layer's
 * quartiles of x and of y; a coordinate lies far outside when it is more
 * than max(5 x the larger interquartile range, 100 km) outside that box,
 * distances in metres (longitudes and latitudes scaled at the median
 * latitude). The quartiles hold while fewer than a quarter of the
 * coordinates are bad; the margin keeps a real suburb or village far from
 * a dense centre inside, and lets through no slip of a degree or more.
 */
#ifndef GS_BULK_H
#define GS_BULK_H

#include <stddef.h>

/* The rule as run_metadata states it. */
#define GS__BULK_RULE                                                     \
    "a coordinate more than max(5 x the larger interquartile range, 100 " \
    "km) outside the box of its layer's quartiles of x and y (lon/lat "   \
    "scaled to metres at the median latitude), or outside its CRS's "     \
    "range, is left out as a located problem"

/* The least margin, in metres. */
#define GS__BULK_MIN_MARGIN_M 100000.0

typedef struct gs__bulk {
    int ok;                /* 0: too few coordinates to judge (< 4) */
    int geographic;        /* lon/lat degrees */
    double x0, y0, x1, y1; /* the quartile box, in the layer's units */
    double cx, cy;         /* the medians: the bulk's centre */
    double mx, my;         /* metres per unit along x and y */
    double margin_m;       /* how far outside the box is too far */
    size_t n;              /* coordinates described */
} gs__bulk;

/* Describes n coordinates (x of coordinate k at byte offset k * stride
 * from x, likewise y; non-finite ones are ignored) of a layer in a
 * geographic CRS (degrees) or a projected one whose unit is
 * `metres_per_unit` metres. At most a million coordinates are looked at,
 * evenly spaced, so a week of GPS fixes costs little; the result depends
 * only on the coordinates and their order. GS_OK, or GS_ERR_NOMEM. */
int gs__bulk_describe(const double *x, const double *y, size_t stride, size_t n,
                      int geographic, double metres_per_unit, gs__bulk *out);

/* 0 when (x, y) is not far outside the bulk (or the bulk could not be
 * judged), else how far outside the quartile box it lies, in metres
 * (> margin_m; INFINITY for a non-finite coordinate). */
double gs__bulk_far_m(const gs__bulk *b, double x, double y);

/* 1 when (x, y) cannot be a longitude and latitude (|lat| > 90, lon
 * outside -180..360) in a geographic CRS; always 0 in a projected one. */
int gs__bulk_outside_crs(const gs__bulk *b, double x, double y);

/* "lon 116.280..116.420, lat 39.880..39.960" (or "x ..., y ...") and the
 * margin, for messages: into buf. */
const char *gs__bulk_describe_text(const gs__bulk *b, char *buf, size_t size);

#endif /* GS_BULK_H */
