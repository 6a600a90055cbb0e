/*
 * hexagons.c - the hexagon lattice of a run: the cells overlapping the
 * communities (or the grids without them), clipped to them, and the cell
 * each event lies in.
 *
 * The lattice's origin is the metric CRS's (0, 0), so a cell names the
 * same ground in every run and weekly histories join on (q, r). A cell
 * wholly inside one community is kept whole (no GEOS intersection); a cell
 * on a boundary becomes the union of its pieces above the sliver area and
 * belongs to the community holding most of it. Cells stay in the (r, q)
 * order gs__hexgrid_cover gives, so an event finds its cell by binary
 * search and the merge of shards (merge_units.c) can sort its cells alike.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "geom.h"

/* The most hexagons a run may build: a wrong unit or CRS must not allocate
 * gigabytes (a 100 m lattice over a 100 km square is about 1.2 million). */
#define MAX_HEXES ((size_t)2000000)

static GEOSGeometry *hex_polygon(GEOSContextHandle_t h, const gs__hexgrid *g,
                                 gs__hex x) {
    double v[12];
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 7, 2);
    GEOSGeometry *ring;
    if (!cs) return NULL;
    gs__hex_vertices(g, x, v);
    for (unsigned k = 0; k < 7; k++)
        GEOSCoordSeq_setXY_r(h, cs, k, v[2 * (k % 6)], v[2 * (k % 6) + 1]);
    ring = GEOSGeom_createLinearRing_r(h, cs);
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

/*
 * The part of hexagon `poly` (taken) inside the clip polygons: the whole
 * hexagon when one polygon contains it or the pieces add up to it, else the
 * union of the pieces above the sliver area. *out_comm is the polygon
 * holding most of it. NULL with *out_area 0 when nothing is left (poly is
 * then destroyed); on failure NULL with *failed set to GS_ERR_NOMEM or
 * GS_ERR_INTERNAL (GEOS could not intersect or unite).
 */
static GEOSGeometry *clip_hex(GEOSContextHandle_t h, GEOSGeometry *poly,
                              double full, const gs__hs_polyindex *ix,
                              GEOSGeometry *const *clip, double sliver,
                              gs__cands *c, long *out_comm, double *out_area,
                              int *failed) {
    GEOSGeometry **pieces = NULL, *res = NULL;
    unsigned np = 0;
    double best = 0, total = 0;
    *out_comm = -1;
    *out_area = 0;
    *failed = gs__strtree_query(h, ix->tree, poly, c);
    if (!*failed && !(pieces = gs__malloc((c->n ? c->n : 1) * sizeof *pieces)))
        *failed = GS_ERR_NOMEM;
    for (size_t k = 0; !*failed && k < c->n; k++) {
        size_t j = c->v[k];
        GEOSGeometry *piece;
        double a;
        if (GEOSPreparedContains_r(h, ix->prep[j], poly) == 1) {
            *out_comm = (long)j;
            total = full;
            break;
        }
        if (GEOSPreparedIntersects_r(h, ix->prep[j], poly) != 1) continue;
        piece = gs__geom_polygonal(h, GEOSIntersection_r(h, poly, clip[j]));
        if (!piece) {
            *failed = GS_ERR_INTERNAL;
            break;
        }
        a = gs__geom_area(h, piece);
        if (a <= sliver) {
            GEOSGeom_destroy_r(h, piece);
            continue;
        }
        if (a > best) {
            best = a;
            *out_comm = (long)j;
        }
        total += a;
        pieces[np++] = piece;
    }
    if (!*failed && total >= full * (1 - 1e-9)) { /* all of it */
        res = poly;
        *out_area = full;
    } else if (!*failed && np == 1) {
        res = pieces[0];
        np = 0;
        *out_area = total;
    } else if (!*failed && np > 1) {
        GEOSGeometry *coll =
            GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, pieces, np);
        if (coll) {
            np = 0; /* the collection owns them */
            res = gs__geom_polygonal(h, GEOSUnaryUnion_r(h, coll));
            GEOSGeom_destroy_r(h, coll);
        }
        if (!res) *failed = GS_ERR_INTERNAL;
        *out_area = res ? gs__geom_area(h, res) : 0;
    }
    for (unsigned q = 0; q < np; q++) GEOSGeom_destroy_r(h, pieces[q]);
    free(pieces);
    if (res != poly) GEOSGeom_destroy_r(h, poly);
    return res;
}

/* Index of hexagon x in the sorted list, or -1. */
static long find_hex(const gs__hex *v, size_t n, gs__hex x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gs__hex_cmp(&v[mid], &x) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !gs__hex_cmp(&v[lo], &x) ? (long)lo : -1;
}

GEOSGeometry *const *gs__hs_clip_polys(const gs__model *m, size_t *n,
                                       size_t *stride) {
    if (m->n_communities > 0) {
        *n = m->n_communities;
        *stride = sizeof m->communities[0];
        return &m->communities[0].geom;
    }
    *n = m->n_grids;
    *stride = sizeof m->grids[0];
    return m->n_grids ? &m->grids[0].geom : NULL;
}

void gs__hs_clip_extent(GEOSContextHandle_t h, const gs__model *m,
                        double b[4]) {
    size_t nclip, stride;
    GEOSGeometry *const *clip = gs__hs_clip_polys(m, &nclip, &stride);
    for (size_t i = 0; i < nclip; i++) {
        double e[4];
        if (!gs__hs_bounds(h, GS__HS_GEOM_AT(clip, stride, i), e)) continue;
        b[0] = fmin(b[0], e[0]);
        b[1] = fmin(b[1], e[1]);
        b[2] = fmax(b[2], e[2]);
        b[3] = fmax(b[3], e[3]);
    }
}

/* The covering cells clipped to the clip polygons, in (r, q) order: the
 * hex arrays of r. GS_ERR_USAGE when the lattice would be too large. */
static int clip_cells(gs_ctx *ctx, const gs__model *m, const gs__hs_params *p,
                      gs__hsresult *r) {
    GEOSContextHandle_t h = ctx->geos;
    size_t nclip, stride, ncov = 0, w = 0;
    GEOSGeometry *const *clip = gs__hs_clip_polys(m, &nclip, &stride);
    GEOSGeometry **cg = NULL;
    gs__hex *cov = NULL;
    gs__hs_polyindex ix;
    gs__cands c = {0};
    double e[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    double full = sqrt(3.0) / 2.0 * p->hex_size_m * p->hex_size_m;
    int rc = GS_OK, failed = 0;
    memset(&ix, 0, sizeof ix);
    cg = gs__malloc((nclip ? nclip : 1) * sizeof *cg);
    if (!cg) NOMEM();
    for (size_t i = 0; i < nclip; i++) cg[i] = GS__HS_GEOM_AT(clip, stride, i);
    gs__hs_clip_extent(h, m, e);
    if (!(e[0] < e[2] && e[1] < e[3])) goto done; /* nothing to cover */
    rc = gs__hexgrid_cover(&r->lattice, e[0], e[1], e[2], e[3], MAX_HEXES, &cov,
                           &ncov);
    if (rc == GS_ERR_NOMEM) NOMEM();
    if (rc) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "%g m hexagons over %.0f x %.0f m would be more than %zu "
                     "cells; set a larger hex_size_m",
                     p->hex_size_m, e[2] - e[0], e[3] - e[1], MAX_HEXES);
        goto done;
    }
    if (gs__hs_polyindex_build(h, cg, sizeof *cg, nclip, &ix)) NOMEM();
    r->hex_geom = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_geom);
    r->hex_area = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_area);
    r->hex_comm = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_comm);
    if (!r->hex_geom || !r->hex_area || !r->hex_comm) NOMEM();
    for (size_t k = 0; k < ncov; k++) {
        GEOSGeometry *poly = hex_polygon(h, &r->lattice, cov[k]), *g;
        long comm;
        double area;
        if (!poly) NOMEM();
        g = clip_hex(h, poly, full, &ix, cg, p->rules->sliver_m2, &c, &comm,
                     &area, &failed);
        if (failed == GS_ERR_NOMEM) NOMEM();
        if (failed) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "GEOS cannot clip hexagon %lld_%lld to the "
                             "communities",
                             (long long)cov[k].q, (long long)cov[k].r);
            goto done;
        }
        if (!g) continue;
        cov[w] = cov[k];
        r->hex_geom[w] = g;
        r->hex_area[w] = area;
        r->hex_comm[w] = comm;
        r->n_hex = ++w;
    }
    r->hex = cov;
    cov = NULL;
done:
    free(cov);
    free(cg);
    free(c.v);
    gs__hs_polyindex_free(h, &ix);
    return rc;
}

/* Each event's cell (-1 for none) and each cell's events in the period
 * and in the history. */
static int place_in_cells(gs_ctx *ctx, const gs__events *ev, gs__hsresult *r) {
    int rc = GS_OK;
    r->ev_hex = gs__malloc((ev->n ? ev->n : 1) * sizeof *r->ev_hex);
    r->hex_events = gs__calloc(r->n_hex ? r->n_hex : 1, sizeof *r->hex_events);
    r->hex_history =
        gs__calloc(r->n_hex ? r->n_hex : 1, sizeof *r->hex_history);
    if (!r->ev_hex || !r->hex_events || !r->hex_history) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        gs__hex x;
        r->ev_hex[i] = -1;
        if (gs__hex_from_point(&r->lattice, ev->v[i].x, ev->v[i].y, &x) ==
            GS_OK)
            r->ev_hex[i] = find_hex(r->hex, r->n_hex, x);
        if (r->ev_hex[i] >= 0) {
            r->hex_events[r->ev_hex[i]] +=
                (r->ev_flag[i] & GS__EVF_PERIOD) != 0;
            r->hex_history[r->ev_hex[i]] +=
                (r->ev_flag[i] & GS__EVF_HISTORY) != 0;
        } else if (r->ev_flag[i] & GS__EVF_PERIOD) {
            r->n_outside_hexes++;
        }
    }
done:
    return rc;
}

int gs__hs_hexagons(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                    const gs__hs_params *p, gs__hsresult *r) {
    int rc;
    /* The origin (0, 0): see the top of this file. */
    if (gs__hexgrid_init(&r->lattice, p->hex_size_m, 0, 0, GS__HEX_POINTY))
        return gs__err(ctx, GS_ERR_USAGE, "hex_size_m %g is not a valid size",
                       p->hex_size_m);
    if ((rc = clip_cells(ctx, m, p, r))) return rc;
    return place_in_cells(ctx, ev, r);
}
