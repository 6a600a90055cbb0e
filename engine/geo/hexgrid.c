/*
 * hexgrid.c - the hexagon lattice: point to hexagon, centres, vertices,
 * neighbours, the hexagons covering an extent, and their ring-1 contiguity.
 *
 * Data flow: `hotspots` picks a lattice (100 m across flats by default,
 * fixed origin), enumerates the hexagons covering the communities' extent
 * (gs__hexgrid_cover), builds each one's polygon from gs__hex_vertices and
 * clips it to the communities with GEOS, bins events with
 * gs__hex_from_point, and hands gs__hex_adjacency's CSR arrays to
 * gs__gistar (stats.h).
 *
 * Why this way: axial coordinates make the lattice arithmetic exact and the
 * neighbours a fixed table, and (q, r) is a stable name for a hexagon
 * across weekly runs. Points go to hexagons by cube rounding (Red Blob
 * Games' formulation), which is the nearest-centre rule without searching.
 * Vertices come from an integer lattice of half steps rather than from
 * cos/sin, so neighbouring hexagons share their vertices exactly and the
 * clipped cells tile without slivers or gaps. The extent cover tests each
 * candidate with the separating-axis theorem, so hexagons that only touch
 * the extent's border are left out.
 */
#include "hexgrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

/* q and r stay below 2^50, so the half-step indices (at most 3 x 2^50 + 2)
 * stay below 2^53 and convert to double exactly. */
static const double kMaxAxial = 1125899906842624.0; /* 2^50 */

/* Vertex offsets in half steps from the centre, counter-clockwise. */
static const int kPointyVert[6][2] = {{1, 1},   {0, 2},  {-1, 1},
                                      {-1, -1}, {0, -2}, {1, -1}};
static const int kFlatVert[6][2] = {{2, 0},  {1, 1},   {-1, 1},
                                    {-2, 0}, {-1, -1}, {1, -1}};
static const int kNeighbor[6][2] = {{1, 0},  {1, -1}, {0, -1},
                                    {-1, 0}, {-1, 1}, {0, 1}};

int gs__hexgrid_init(gs__hexgrid *g, double size, double x0, double y0,
                     gs__hex_orient orient) {
    if (!g) return GS_ERR_USAGE;
    memset(g, 0, sizeof *g);
    if (!(size > 0 && isfinite(size)) || !isfinite(x0) || !isfinite(y0) ||
        (orient != GS__HEX_POINTY && orient != GS__HEX_FLAT))
        return GS_ERR_USAGE;
    g->size = size;
    g->radius = size / sqrt(3.0);
    g->x0 = x0;
    g->y0 = y0;
    g->orient = orient;
    g->hx = orient == GS__HEX_POINTY ? size / 2 : g->radius / 2;
    g->hy = orient == GS__HEX_POINTY ? g->radius / 2 : size / 2;
    return GS_OK;
}

/* The centre of h in half steps. */
static void center_index(const gs__hexgrid *g, gs__hex h, int64_t *i,
                         int64_t *j) {
    if (g->orient == GS__HEX_POINTY) {
        *i = 2 * h.q + h.r;
        *j = 3 * h.r;
    } else {
        *i = 3 * h.q;
        *j = 2 * h.r + h.q;
    }
}

void gs__hex_center(const gs__hexgrid *g, gs__hex h, double *out_x,
                    double *out_y) {
    int64_t i, j;
    center_index(g, h, &i, &j);
    *out_x = g->x0 + (double)i * g->hx;
    *out_y = g->y0 + (double)j * g->hy;
}

void gs__hex_vertices(const gs__hexgrid *g, gs__hex h, double out_xy[12]) {
    const int(*off)[2] = g->orient == GS__HEX_POINTY ? kPointyVert : kFlatVert;
    int64_t i, j;
    center_index(g, h, &i, &j);
    for (int k = 0; k < 6; k++) {
        out_xy[2 * k] = g->x0 + (double)(i + off[k][0]) * g->hx;
        out_xy[2 * k + 1] = g->y0 + (double)(j + off[k][1]) * g->hy;
    }
}

void gs__hex_neighbors(gs__hex h, gs__hex out[6]) {
    for (int k = 0; k < 6; k++) {
        out[k].q = h.q + kNeighbor[k][0];
        out[k].r = h.r + kNeighbor[k][1];
    }
}

int64_t gs__hex_distance(gs__hex a, gs__hex b) {
    int64_t dq = a.q - b.q, dr = a.r - b.r, ds = -dq - dr;
    return (llabs(dq) + llabs(dr) + llabs(ds)) / 2;
}

int gs__hex_from_point(const gs__hexgrid *g, double x, double y,
                       gs__hex *out_hex) {
    double qf, rf, sf, rq, rr, rs, dq, dr, ds;
    if (!out_hex) return GS_ERR_USAGE;
    out_hex->q = out_hex->r = 0;
    if (!g || !(g->size > 0)) return GS_ERR_USAGE;
    if (!isfinite(x) || !isfinite(y)) return GS_ERR_INPUT_VALUE;
    if (g->orient == GS__HEX_POINTY) {
        rf = (y - g->y0) / (1.5 * g->radius);
        qf = (x - g->x0) / g->size - rf / 2;
    } else {
        qf = (x - g->x0) / (1.5 * g->radius);
        rf = (y - g->y0) / g->size - qf / 2;
    }
    if (!(fabs(qf) < kMaxAxial && fabs(rf) < kMaxAxial))
        return GS_ERR_INPUT_VALUE;
    /* Cube rounding: round all three cube coordinates, then recompute
     * the one that moved most from the other two (q + r + s = 0). */
    sf = -qf - rf;
    rq = round(qf);
    rr = round(rf);
    rs = round(sf);
    dq = fabs(rq - qf);
    dr = fabs(rr - rf);
    ds = fabs(rs - sf);
    if (dq > dr && dq > ds)
        rq = -rr - rs;
    else if (dr > ds)
        rr = -rq - rs;
    out_hex->q = (int64_t)rq;
    out_hex->r = (int64_t)rr;
    return GS_OK;
}

/* Whether hexagon h and the rectangle share an area wider than a
 * nanometre-scale tolerance: the separating-axis theorem for two convex
 * polygons, on the rectangle's two axes and the hexagon's three edge
 * normals. Touching (zero overlap on some axis) is not sharing. */
static int overlaps(const gs__hexgrid *g, gs__hex h, double xmin, double ymin,
                    double xmax, double ymax) {
    double v[12], tol = 1e-9 * g->size;
    double corner[4][2] = {
        {xmin, ymin}, {xmax, ymin}, {xmax, ymax}, {xmin, ymax}};
    gs__hex_vertices(g, h, v);
    for (int axis = 0; axis < 5; axis++) {
        double nx, ny, hmin = INFINITY, hmax = -INFINITY, rmin = INFINITY,
                       rmax = -INFINITY;
        if (axis < 2) {
            nx = axis == 0;
            ny = axis == 1;
        } else {
            int k = axis - 2; /* edge v[k] -> v[k+1]; its length is R */
            nx = -(v[2 * k + 3] - v[2 * k + 1]) / g->radius;
            ny = (v[2 * k + 2] - v[2 * k]) / g->radius;
        }
        for (int k = 0; k < 6; k++) {
            double t = v[2 * k] * nx + v[2 * k + 1] * ny;
            hmin = fmin(hmin, t);
            hmax = fmax(hmax, t);
        }
        for (int k = 0; k < 4; k++) {
            double t = corner[k][0] * nx + corner[k][1] * ny;
            rmin = fmin(rmin, t);
            rmax = fmax(rmax, t);
        }
        if (fmin(hmax, rmax) - fmax(hmin, rmin) <= tol) return 0;
    }
    return 1;
}

int gs__hex_cmp(const void *a, const void *b) {
    const gs__hex *x = a, *y = b;
    if (x->r != y->r) return x->r < y->r ? -1 : 1;
    return x->q < y->q ? -1 : x->q > y->q;
}

int gs__hexgrid_cover(const gs__hexgrid *g, double xmin, double ymin,
                      double xmax, double ymax, size_t max_hexes,
                      gs__hex **out_hexes, size_t *out_n) {
    int rc = GS_OK, pointy;
    gs__hex *v = NULL, *shrunk;
    size_t n = 0;
    double amin, amax, bmin, bmax, a0, b0, olo, ohi, inner, cap, step;

    if (out_hexes) *out_hexes = NULL;
    if (out_n) *out_n = 0;
    if (!g || !out_hexes || !out_n || !(g->size > 0)) return GS_ERR_USAGE;
    if (!isfinite(xmin) || !isfinite(ymin) || !isfinite(xmax) ||
        !isfinite(ymax) || !(xmin < xmax) || !(ymin < ymax))
        return GS_ERR_USAGE;
    /* Work in the frame (a, b) where the "outer" lines of hexagons (rows
     * for pointy, columns for flat) step 3R/2 along a and the hexagons of
     * one line step F along b, shifted by half a step per line. */
    pointy = g->orient == GS__HEX_POINTY;
    amin = pointy ? ymin : xmin;
    amax = pointy ? ymax : xmax;
    bmin = pointy ? xmin : ymin;
    bmax = pointy ? xmax : ymax;
    a0 = pointy ? g->y0 : g->x0;
    b0 = pointy ? g->x0 : g->y0;
    step = 1.5 * g->radius;
    olo = floor((amin - a0 - g->radius) / step);
    ohi = ceil((amax - a0 + g->radius) / step);
    inner = ceil((bmax - bmin + g->size) / g->size) + 2;
    cap = (ohi - olo + 1) * inner;
    if (!(fabs(olo) < kMaxAxial && fabs(ohi) < kMaxAxial) ||
        !(cap <= (double)max_hexes))
        return GS_ERR_USAGE;
    v = gs__malloc((size_t)cap * sizeof *v);
    if (!v) return GS_ERR_NOMEM;
    for (double o = olo; o <= ohi; o++) {
        double ilo = floor((bmin - b0 - g->size / 2) / g->size - o / 2);
        double ihi = ceil((bmax - b0 + g->size / 2) / g->size - o / 2);
        if (!(fabs(ilo) < kMaxAxial && fabs(ihi) < kMaxAxial)) {
            rc = GS_ERR_USAGE;
            goto done;
        }
        for (double i = ilo; i <= ihi; i++) {
            gs__hex h;
            h.q = (int64_t)(pointy ? i : o);
            h.r = (int64_t)(pointy ? o : i);
            if (!overlaps(g, h, xmin, ymin, xmax, ymax)) continue;
            if (n == (size_t)cap) { /* cannot happen: cap bounds the loop */
                rc = GS_ERR_INTERNAL;
                goto done;
            }
            v[n++] = h;
        }
    }
    qsort(v, n, sizeof *v, gs__hex_cmp);
    shrunk = gs__realloc(v, (n ? n : 1) * sizeof *v);
    if (shrunk) v = shrunk;
done:
    if (rc != GS_OK) {
        free(v);
        return rc;
    }
    *out_hexes = v;
    *out_n = n;
    return GS_OK;
}

/* A hexagon with its position in the caller's list, for sorting. */
typedef struct hex_ref {
    gs__hex h;
    size_t i;
} hex_ref;

static int cmp_hex_ref(const void *a, const void *b) {
    const hex_ref *x = a, *y = b;
    int c = gs__hex_cmp(&x->h, &y->h);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Compares hex_refs by hexagon only, for bsearch among distinct ones. */
static int cmp_hex_only(const void *a, const void *b) {
    return gs__hex_cmp(&((const hex_ref *)a)->h, &((const hex_ref *)b)->h);
}

/* Position of hexagon `key` in the caller's list (via the sorted refs), or
 * n when absent. */
static size_t find_hex(const hex_ref *sorted, size_t n, gs__hex key) {
    hex_ref k = {key, 0};
    const hex_ref *hit =
        n ? bsearch(&k, sorted, n, sizeof k, cmp_hex_only) : NULL;
    return hit ? hit->i : n;
}

int gs__hex_adjacency(const gs__hex *hexes, size_t n, size_t **out_start,
                      size_t **out_nbr) {
    int rc = GS_OK;
    hex_ref *sorted = NULL;
    size_t *start = NULL, *nbr = NULL, *shrunk, m = 0;

    if (out_start) *out_start = NULL;
    if (out_nbr) *out_nbr = NULL;
    if (!out_start || !out_nbr || (n > 0 && !hexes)) return GS_ERR_USAGE;
    sorted = gs__malloc((n ? n : 1) * sizeof *sorted);
    start = gs__malloc((n + 1) * sizeof *start);
    nbr = gs__malloc((n ? 6 * n : 1) * sizeof *nbr);
    if (!sorted || !start || !nbr) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i].h = hexes[i];
        sorted[i].i = i;
    }
    qsort(sorted, n, sizeof *sorted, cmp_hex_ref);
    for (size_t k = 1; k < n; k++)
        if (gs__hex_cmp(&sorted[k - 1].h, &sorted[k].h) == 0) {
            rc = GS_ERR_USAGE;
            goto done;
        }
    for (size_t i = 0; i < n; i++) {
        gs__hex nb[6];
        start[i] = m;
        gs__hex_neighbors(hexes[i], nb);
        for (int k = 0; k < 6; k++) {
            size_t j = find_hex(sorted, n, nb[k]);
            if (j < n) nbr[m++] = j;
        }
    }
    start[n] = m;
    shrunk = gs__realloc(nbr, (m ? m : 1) * sizeof *nbr);
    if (shrunk) nbr = shrunk;
done:
    free(sorted);
    if (rc != GS_OK) {
        free(start);
        free(nbr);
        return rc;
    }
    *out_start = start;
    *out_nbr = nbr;
    return GS_OK;
}
