/*
 * density.c - the quartic kernel density of the period's events, per
 * km^2, on a raster of square metric cells (stats.c computes it).
 *
 * The bandwidth is the configured one, else the ArcGIS default search
 * radius over the period's points, else the hexagon size (when there are
 * no events, or all lie at one place); run_metadata says which. The raster
 * covers the clip area's extent and every event's, widened by the
 * bandwidth so that it holds every kernel whole and integrates to the
 * event count; its cells are aligned on multiples of the cell size, and
 * the cell size doubles until the raster fits its hard maximum.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis.h"

/* The most cells of the density raster. */
#define MAX_KDE_CELLS ((size_t)16000000)

/* 1, 2 or 5 times a power of ten, the nearest at or below v (v > 0). */
static double nice_step(double v) {
    double e = pow(10, floor(log10(v))), f = v / e;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * e;
}

/* The period's points into x, y (*n of them), their extent widened by the
 * clip polygons' into b (xmin, ymin, xmax, ymax); the unit square when
 * there is nothing at all. */
static void period_points(GEOSContextHandle_t h, const gs__model *m,
                          const gs__events *ev, const gs__hsresult *r,
                          double *x, double *y, size_t *n, double b[4]) {
    b[0] = b[1] = INFINITY;
    b[2] = b[3] = -INFINITY;
    *n = 0;
    for (size_t i = 0; i < ev->n; i++)
        if (r->ev_flag[i] & GS__EVF_PERIOD) {
            x[*n] = ev->v[i].x;
            y[(*n)++] = ev->v[i].y;
            b[0] = fmin(b[0], ev->v[i].x);
            b[1] = fmin(b[1], ev->v[i].y);
            b[2] = fmax(b[2], ev->v[i].x);
            b[3] = fmax(b[3], ev->v[i].y);
        }
    gs__hs_clip_extent(h, m, b);
    if (!(b[0] <= b[2] && b[1] <= b[3])) {
        b[0] = b[1] = 0;
        b[2] = b[3] = 1;
    }
}

/* The bandwidth r->kde_h and the rule that gave it, r->kde_rule. */
static void pick_bandwidth(const gs__hs_params *p, const double *x,
                           const double *y, size_t n, gs__hsresult *r) {
    const gs_rules *ru = p->rules;
    if (ru->kde_bandwidth_m > 0) {
        r->kde_h = ru->kde_bandwidth_m;
        snprintf(r->kde_rule, sizeof r->kde_rule,
                 "configured (kde_bandwidth_m = %g)", ru->kde_bandwidth_m);
    } else if (n > 0 && gs__kde_bandwidth(x, y, NULL, n, &r->kde_h, &r->kde_sd,
                                          &r->kde_dm) == GS_OK) {
        snprintf(r->kde_rule, sizeof r->kde_rule,
                 "0.9 min(SD %.1f m, sqrt(1/ln 2) Dm %.1f m) n^-0.2, n = %zu "
                 "(ArcGIS default search radius)",
                 r->kde_sd, sqrt(1 / log(2.0)) * r->kde_dm, n);
    } else {
        r->kde_h = p->hex_size_m;
        snprintf(r->kde_rule, sizeof r->kde_rule, "the hexagon size: %s",
                 n ? "the default rule needs points "
                     "at two or more places"
                   : "no events in the period");
    }
}

/* The raster r->kde_grid over extent b (xmin, ymin, xmax, ymax) widened
 * by the bandwidth: the cell size, its origin and size. */
static void lay_raster(const gs_rules *ru, const double b[4], gs__hsresult *r) {
    double x0 = b[0], y0 = b[1], x1 = b[2], y1 = b[3], c;
    c = ru->kde_cell_m > 0 ? ru->kde_cell_m : nice_step(fmax(r->kde_h / 10, 1));
    x0 -= r->kde_h;
    y0 -= r->kde_h;
    x1 += r->kde_h;
    y1 += r->kde_h;
    for (;;) {
        double nx = ceil((x1 - x0) / c), ny = ceil((y1 - y0) / c);
        if (nx * ny <= (double)MAX_KDE_CELLS) break;
        c *= 2; /* keep the raster within its hard maximum */
    }
    /* Cells aligned on multiples of the cell size. */
    x0 = floor(x0 / c) * c;
    y1 = ceil(y1 / c) * c;
    r->kde_grid.x0 = x0;
    r->kde_grid.y0 = y1;
    r->kde_grid.cell = c;
    r->kde_grid.nx = (size_t)ceil((x1 - x0) / c);
    r->kde_grid.ny = (size_t)ceil((y1 - y0) / c);
    if (!r->kde_grid.nx) r->kde_grid.nx = 1;
    if (!r->kde_grid.ny) r->kde_grid.ny = 1;
}

/* The density's progress, for the context's hook. */
static void kde_progress(void *user, double fraction) {
    gs__progress(user, "density", fraction);
}

int gs__hs_density(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                   const gs__hs_params *p, gs__hsresult *r) {
    size_t n, cells;
    double *x = gs__malloc((ev->n ? ev->n : 1) * sizeof *x);
    double *y = gs__malloc((ev->n ? ev->n : 1) * sizeof *y), *d = NULL;
    double b[4];
    int rc = GS_OK;
    if (!x || !y) NOMEM();
    period_points(ctx->geos, m, ev, r, x, y, &n, b);
    pick_bandwidth(p, x, y, n, r);
    lay_raster(p->rules, b, r);
    cells = r->kde_grid.nx * r->kde_grid.ny;
    d = gs__malloc(cells * sizeof *d);
    r->kde = gs__malloc(cells * sizeof *r->kde);
    if (!d || !r->kde) NOMEM();
    if ((rc = gs__kde_quartic_mt(x, y, NULL, n, r->kde_h, &r->kde_grid, d,
                                 p->threads, kde_progress, ctx))) {
        rc = gs__err(ctx, rc, "kernel density failed");
        goto done;
    }
    for (size_t k = 0; k < cells; k++) r->kde[k] = (float)(d[k] * 1e6);
done:
    free(x);
    free(y);
    free(d);
    return rc;
}
