/*
 * bulk.c - the bulk of a layer's coordinates and the ones far outside it
 * (the rule is in bulk.h).
 *
 * Quartiles, not the extent or the mean: they move by at most one rank
 * for each bad coordinate, so a handful of slips anywhere on Earth leaves
 * the box where the data is. They come from quickselect on a copy of at
 * most a million evenly spaced coordinates, linear in the sample.
 */
#include "bulk.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"

#define MAX_SAMPLE ((size_t)1000000)

static const double kPi = 3.14159265358979323846;

/* Moves the k-th smallest of v[0..n) to v[k] (quickselect with a
 * three-way partition, so that many equal coordinates, a building's
 * households or a phone lying still, cost no more than distinct ones;
 * pivots from a fixed-seed generator: expected linear, the same every
 * run). */
static double select_k(double *v, size_t n, size_t k) {
    size_t lo = 0, hi = n;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    while (hi - lo > 1) {
        size_t lt = lo, i = lo, gt = hi;
        double pivot, t;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        pivot = v[lo + (size_t)(seed % (hi - lo))];
        /* v[lo..lt) < pivot, v[lt..i) == pivot, v[gt..hi) > pivot */
        while (i < gt) {
            if (v[i] < pivot) {
                t = v[i], v[i] = v[lt], v[lt] = t;
                lt++, i++;
            } else if (v[i] > pivot) {
                gt--;
                t = v[i], v[i] = v[gt], v[gt] = t;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return pivot;
    }
    return v[k];
}

static double at(const double *v, size_t stride, size_t k) {
    return *(const double *)((const char *)v + k * stride);
}

int gs__bulk_describe(const double *x, const double *y, size_t stride, size_t n,
                      int geographic, double metres_per_unit, gs__bulk *out) {
    size_t step = n > MAX_SAMPLE ? (n + MAX_SAMPLE - 1) / MAX_SAMPLE : 1;
    size_t m = 0;
    double *sx = gs__malloc((n / step + 1) * sizeof *sx);
    double *sy = gs__malloc((n / step + 1) * sizeof *sy);
    double wx, wy;
    gs__bulk b = {0};
    if (!sx || !sy) {
        free(sx);
        free(sy);
        return GS_ERR_NOMEM;
    }
    b.geographic = geographic;
    b.mx = b.my = metres_per_unit > 0 ? metres_per_unit : 1.0;
    for (size_t k = 0; k < n; k += step) {
        double u = at(x, stride, k), v = at(y, stride, k);
        if (!isfinite(u) || !isfinite(v)) continue;
        if (geographic && (v < -90 || v > 90 || u < -180 || u > 360)) continue;
        sx[m] = u;
        sy[m++] = v;
    }
    b.n = n;
    if (m >= 4) {
        b.ok = 1;
        b.x0 = select_k(sx, m, (m - 1) / 4);
        b.x1 = select_k(sx, m, 3 * (m - 1) / 4);
        b.cx = select_k(sx, m, (m - 1) / 2);
        b.y0 = select_k(sy, m, (m - 1) / 4);
        b.y1 = select_k(sy, m, 3 * (m - 1) / 4);
        b.cy = select_k(sy, m, (m - 1) / 2);
        if (geographic) {
            /* Metres per degree near the median latitude (WGS84). */
            b.my = 110574.0;
            b.mx = 111320.0 * cos(b.cy * kPi / 180.0);
            if (b.mx < 1000.0) b.mx = 1000.0; /* near a pole */
        }
        wx = (b.x1 - b.x0) * b.mx;
        wy = (b.y1 - b.y0) * b.my;
        b.margin_m = 5 * (wx > wy ? wx : wy);
        if (b.margin_m < GS__BULK_MIN_MARGIN_M)
            b.margin_m = GS__BULK_MIN_MARGIN_M;
    }
    free(sx);
    free(sy);
    *out = b;
    return GS_OK;
}

double gs__bulk_far_m(const gs__bulk *b, double x, double y) {
    double dx, dy, d;
    if (!isfinite(x) || !isfinite(y)) return INFINITY;
    if (!b->ok) return 0;
    dx = x < b->x0 ? b->x0 - x : x > b->x1 ? x - b->x1 : 0;
    dy = y < b->y0 ? b->y0 - y : y > b->y1 ? y - b->y1 : 0;
    dx *= b->mx;
    dy *= b->my;
    /* hypot <= dx + dy, and within an ulp of the exact value: a point
     * whose dx + dy is at most half the margin is near, whatever hypot's
     * rounding, and most of a week's fixes are; hypot costs 20 ns. */
    if (dx + dy <= 0.5 * b->margin_m) return 0;
    d = hypot(dx, dy);
    return d > b->margin_m ? d : 0;
}

int gs__bulk_outside_crs(const gs__bulk *b, double x, double y) {
    return b->geographic && (y < -90 || y > 90 || x < -180 || x > 360);
}

const char *gs__bulk_describe_text(const gs__bulk *b, char *buf, size_t size) {
    if (!b->ok)
        snprintf(buf, size, "too few coordinates to judge");
    else if (b->geographic)
        snprintf(buf, size,
                 "most lie within lon %.4f..%.4f, lat %.4f..%.4f; more "
                 "than %.0f km outside is too far",
                 b->x0, b->x1, b->y0, b->y1, b->margin_m / 1000);
    else
        snprintf(buf, size,
                 "most lie within x %.0f..%.0f, y %.0f..%.0f; more than "
                 "%.0f km outside is too far",
                 b->x0, b->x1, b->y0, b->y1, b->margin_m / 1000);
    return buf;
}
