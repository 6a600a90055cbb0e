/*
 * part_shapes.c - the result of a division: each part's polygon, its
 * households and persons, and its boundary with the other parts.
 *
 * A part's polygon is the union of its units. Where the exact union
 * pinches on the hair-wide slivers left by barriers that run along the
 * community border, the union on a 1 micrometre grid is taken instead when
 * it is better; parts and holes of 1 m^2 or less are dropped when a larger
 * part stays; the result is put on a 1 mm grid (neighbours share their
 * vertices, so they snap alike and still tile) and repaired if still not
 * OGC-valid.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "piece_graph.h"

void gs__division_free(GEOSContextHandle_t h, gs__division *d) {
    if (!d) return;
    if (d->geom)
        for (long i = 0; i < d->k; i++) GEOSGeom_destroy_r(h, d->geom[i]);
    free(d->geom);
    free(d->hh);
    free(d->persons);
    free(d->cut_len);
    free(d->cut_barrier);
    free(d->group_part);
    free(d->straddle);
    memset(d, 0, sizeof *d);
}

/* A polygon rebuilt without its holes of 1 m^2 or less; NULL on failure. */
static GEOSGeometry *without_small_holes(GEOSContextHandle_t h,
                                         const GEOSGeometry *p) {
    int nh = GEOSGetNumInteriorRings_r(h, p);
    GEOSGeometry *shell,
        **holes = gs__malloc((size_t)(nh > 0 ? nh : 1) * sizeof *holes);
    unsigned nk = 0;
    if (!holes) return NULL;
    shell = GEOSGeom_clone_r(h, GEOSGetExteriorRing_r(h, p));
    for (int i = 0; shell && i < nh; i++) {
        const GEOSGeometry *r = GEOSGetInteriorRingN_r(h, p, i);
        GEOSGeometry *ring = GEOSGeom_clone_r(h, r), *hp;
        double a = 0;
        if (!ring) continue;
        hp = GEOSGeom_createPolygon_r(h, GEOSGeom_clone_r(h, ring), NULL, 0);
        if (hp) GEOSArea_r(h, hp, &a);
        GEOSGeom_destroy_r(h, hp);
        if (a > 1.0)
            holes[nk++] = ring;
        else
            GEOSGeom_destroy_r(h, ring);
    }
    if (!shell) {
        for (unsigned i = 0; i < nk; i++) GEOSGeom_destroy_r(h, holes[i]);
        free(holes);
        return NULL;
    }
    {
        GEOSGeometry *out = GEOSGeom_createPolygon_r(h, shell, holes, nk);
        free(holes);
        return out;
    }
}

/* A part's polygon made clean (takes `u`): parts and holes of 1 m^2 or
 * less (numerical slivers of the union) are dropped when a larger part
 * stays, and what is still not OGC-valid is repaired. */
static GEOSGeometry *clean_polygonal(GEOSContextHandle_t h, GEOSGeometry *u) {
    int n = GEOSGetNumGeometries_r(h, u), big = 0;
    GEOSGeometry **keep = gs__malloc((size_t)(n > 0 ? n : 1) * sizeof *keep);
    GEOSGeometry *out = NULL;
    unsigned nk = 0;
    if (!keep) {
        GEOSGeom_destroy_r(h, u);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (gs__geom_area(h, GEOSGetGeometryN_r(h, u, i)) > 1.0) big++;
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *q = GEOSGetGeometryN_r(h, u, i);
        GEOSGeometry *c;
        if (big && gs__geom_area(h, q) <= 1.0) continue;
        if (GEOSGeomTypeId_r(h, q) != GEOS_POLYGON) continue;
        c = without_small_holes(h, q);
        if (!c) { /* out of memory: no half-cleaned grid */
            for (unsigned j = 0; j < nk; j++) GEOSGeom_destroy_r(h, keep[j]);
            free(keep);
            GEOSGeom_destroy_r(h, u);
            return NULL;
        }
        keep[nk++] = c;
    }
    if (nk == 1)
        out = keep[0];
    else if (nk > 1)
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, keep, nk);
    free(keep);
    if (!out) return u; /* nothing better: the union as it was */
    GEOSGeom_destroy_r(h, u);
    /* On a 1 mm grid: near-touching vertices (a pinch a nanometre wide)
     * would cross once the grid is written in degrees and read back.
     * Neighbours share their vertices, so they snap alike and still tile;
     * the result is valid by construction. */
    {
        GEOSGeometry *q = GEOSGeom_setPrecision_r(h, out, 1e-3, 0);
        if (q) {
            GEOSGeom_destroy_r(h, out);
            out = gs__geom_polygonal(h, q);
            if (!out) return NULL;
        }
    }
    if (GEOSisValid_r(h, out) != 1) {
        GEOSGeometry *v = GEOSMakeValid_r(h, out);
        if (v) {
            GEOSGeom_destroy_r(h, out);
            out = gs__geom_polygonal(h, v);
        }
    }
    return out;
}

/* The polygons of the parts: the union of their units; parts of a union
 * at or below 1 m^2 (numerical slivers) are dropped when a larger one is
 * kept. NULL entries on failure. */
static GEOSGeometry *part_union(const graph *gr, const long *part, long p) {
    GEOSContextHandle_t h = gr->h;
    GEOSGeometry **parts = gs__malloc((gr->n ? gr->n : 1) * sizeof *parts);
    GEOSGeometry *coll, *u;
    unsigned np = 0;
    if (!parts) return NULL;
    for (size_t i = 0; i < gr->n; i++)
        if (part[i] == p) {
            parts[np] = GEOSGeom_clone_r(h, gr->u[i].g);
            if (!parts[np]) {
                for (unsigned j = 0; j < np; j++)
                    GEOSGeom_destroy_r(h, parts[j]);
                free(parts);
                return NULL;
            }
            np++;
        }
    if (np == 0) {
        free(parts);
        return GEOSGeom_createEmptyPolygon_r(h);
    }
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, np);
    free(parts);
    if (!coll) return NULL;
    /* The exact union; where it pinches on the hair-wide slivers left by
     * barriers that run along the community border (invalid, or in
     * parts), the union on a 1 micrometre grid instead, if better. */
    u = GEOSUnaryUnion_r(h, coll);
    if (u && (GEOSisValid_r(h, u) != 1 || GEOSGetNumGeometries_r(h, u) > 1)) {
        GEOSGeometry *q = GEOSUnaryUnionPrec_r(h, coll, 1e-6);
        if (q && GEOSisValid_r(h, q) == 1 &&
            GEOSGetNumGeometries_r(h, q) <= GEOSGetNumGeometries_r(h, u)) {
            GEOSGeom_destroy_r(h, u);
            u = q;
        } else {
            GEOSGeom_destroy_r(h, q);
        }
    }
    GEOSGeom_destroy_r(h, coll);
    u = u ? gs__geom_polygonal(h, u) : NULL;
    return u ? clean_polygonal(h, u) : NULL;
}

static int division_fill(const graph *gr, const GEOSGeometry *region,
                         gs__building_group *groups, size_t n_groups,
                         const long *part, long k, gs__division *out);

/* Units of part p lying off the largest polygon of its union (a piece
 * joined to the rest only at a corner, or by the arc that joins a graph's
 * components) go to the neighbouring part they share most boundary with,
 * so every grid is one polygon. 1 when a unit moved, 0 none, -1 failure. */
static int reunite_part(const graph *gr, long *part, long p) {
    GEOSContextHandle_t h = gr->h;
    GEOSGeometry *u = part_union(gr, part, p);
    const GEOSGeometry *big = NULL;
    double ba = -1;
    int n, moved = 0;
    if (!u) return -1;
    n = GEOSGetNumGeometries_r(h, u);
    if (n < 2) {
        GEOSGeom_destroy_r(h, u);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        double a = gs__geom_area(h, GEOSGetGeometryN_r(h, u, i));
        if (a > ba) {
            ba = a;
            big = GEOSGetGeometryN_r(h, u, i);
        }
    }
    for (size_t i = 0; i < gr->n; i++) {
        GEOSGeometry *x;
        double a = 0, best = 0;
        long to = -1;
        if (part[i] != p) continue;
        x = GEOSIntersection_r(h, gr->u[i].g, big);
        if (x) a = gs__geom_area(h, x);
        GEOSGeom_destroy_r(h, x);
        if (a > 0.5 * gr->u[i].area) continue; /* on the main piece */
        for (size_t q = gr->off[i]; q < gr->off[i + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            long o = e->a == (long)i ? e->b : e->a;
            if (part[o] != p && e->len > best) {
                best = e->len;
                to = part[o];
            }
        }
        if (to >= 0) {
            part[i] = to;
            moved = 1;
        }
    }
    GEOSGeom_destroy_r(h, u);
    return moved;
}

int gs__division_parts(const graph *gr, const GEOSGeometry *region,
                       gs__building_group *groups, size_t n_groups,
                       const long *part_in, long k, gs__division *out) {
    long *part = gs__malloc((gr->n ? gr->n : 1) * sizeof *part);
    int rc;
    if (!part) return -1;
    memcpy(part, part_in, gr->n * sizeof *part);
    for (int pass = 0; k > 1 && pass < 3; pass++) {
        int any = 0;
        for (long p = 0; p < k; p++) {
            int r = reunite_part(gr, part, p);
            if (r < 0) {
                free(part);
                return -1;
            }
            any |= r;
        }
        if (!any) break;
    }
    rc = division_fill(gr, region, groups, n_groups, part, k, out);
    free(part);
    return rc;
}

/* The division's figures and shapes from part[] (see gs__division_parts). */
static int division_fill(const graph *gr, const GEOSGeometry *region,
                         gs__building_group *groups, size_t n_groups,
                         const long *part, long k, gs__division *out) {
    GEOSContextHandle_t h = gr->h;
    out->k = k;
    out->geom = gs__calloc((size_t)k, sizeof *out->geom);
    out->hh = gs__calloc((size_t)k, sizeof *out->hh);
    out->persons = gs__calloc((size_t)k, sizeof *out->persons);
    out->cut_len = gs__calloc((size_t)k, sizeof *out->cut_len);
    out->cut_barrier = gs__calloc((size_t)k, sizeof *out->cut_barrier);
    out->group_part =
        gs__malloc((n_groups ? n_groups : 1) * sizeof *out->group_part);
    out->straddle = gs__calloc((size_t)k, sizeof *out->straddle);
    if (!out->geom || !out->hh || !out->persons || !out->cut_len ||
        !out->cut_barrier || !out->group_part || !out->straddle)
        return -1;
    {
        long *first = gs__malloc((size_t)k * sizeof *first);
        if (!first) return -1;
        for (long p = 0; p < k; p++) first[p] = -1;
        for (size_t i = 0; i < gr->n; i++) {
            long p = part[i], b;
            if (gr->u[i].hh <= 0 || !gr->faces || gr->u[i].face < 0) continue;
            b = gr->faces->u[gr->u[i].face].blk1;
            if (first[p] < 0)
                first[p] = b;
            else if (first[p] != b)
                out->straddle[p] = 1;
        }
        free(first);
    }
    out->units = (long)gr->n;
    for (size_t i = 0; i < n_groups; i++) {
        long u = groups[i].unit;
        long p = u >= 0 ? part[u] : 0;
        out->group_part[i] = p;
        out->hh[p] += groups[i].hh;
        out->persons[p] += groups[i].persons;
    }
    for (size_t e = 0; e < gr->m; e++) {
        const arc *a = &gr->arcs[e];
        long pa = part[a->a], pb = part[a->b];
        if (pa == pb) continue;
        out->cut_len[pa] += a->len;
        out->cut_len[pb] += a->len;
        if (a->blen > 0) {
            out->cut_barrier[pa] += a->blen;
            out->cut_barrier[pb] += a->blen;
        }
    }
    for (long p = 0; p < k; p++) {
        out->geom[p] = k == 1
                           ? gs__geom_polygonal(h, GEOSGeom_clone_r(h, region))
                           : part_union(gr, part, p);
        if (!out->geom[p]) return -1;
    }
    return 0;
}
