/*
 * pdivide.c - dividing one region into parts within bounds.
 *
 * The engine under `gridsmith partition`, for a whole community and, in a
 * re-division, for a grid to split or a cluster to redesign.
 *
 *   1. Faces. The region's boundary and the barrier lines inside it are
 *      noded and polygonized; the faces inside the region tile it, and any
 *      union of faces follows barriers and never leaves the region.
 *   2. Units. Groups (a building's households) go to the face holding
 *      their point. At level 0 each face is one unit; at level 1 faces
 *      holding more than half the minimum are cut into the Voronoi cells of
 *      their buildings, at level 2 every face with two or more buildings.
 *      A unit is indivisible, so a building is never split.
 *   3. Graph. Units sharing boundary are joined by an arc weighted by the
 *      shared length; an arc between two faces lies on a barrier.
 *      Components of a multipart region are joined by zero-length arcs.
 *   4. Bisection (after the recursive spanning-tree bisection of the
 *      districting literature). For a set of units to become k parts, draw
 *      random spanning trees that prefer arcs inside faces; removing one
 *      tree edge leaves two connected sides; keep the edge whose sides can
 *      hold k1 and k - k1 parts within the bounds and whose cut is
 *      cheapest (boundary off barriers counts fully, on barriers a tenth;
 *      plus the distance from the target share). Recurse on both sides.
 *   5. Levels. Level 0 first (follows barriers only); finer levels only
 *      when it misses the bounds. The first division without misses wins.
 *
 * Deterministic: the random trees come from a splitmix64 stream of the
 * caller's seed, and every choice breaks ties by index.
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "partition.h"

/* A cut along a barrier costs this share of its length. */
#define BARRIER_COST 0.1
/* Weight of the distance from the target share against the cut, which is
 * measured in typical part widths. */
#define BALANCE_WEIGHT 0.5
/* Fresh draws of the trees per level and part count before going finer. */
#define RETRIES 4

typedef struct unit {
    GEOSGeometry *g;
    double x, y, area;
    double env[4];
    long hh, persons, face;
    long cell;                 /* the Voronoi cell it was cut from, or -1 */
    GEOSGeometry *dangles;     /* faces only: lines inside that close nothing */
    GEOSGeometry *dangles_buf; /* ... within 1 mm, to measure along them */
} unit;

typedef struct arc {
    long a, b;
    double len, cost;
    double blen; /* the part of len along a barrier */
    int barrier; /* mostly along a barrier */
} arc;

typedef struct graph graph;
struct graph {
    GEOSContextHandle_t h;
    unit *u;
    size_t n, cap;
    arc *arcs;
    size_t m, cap_m;
    size_t *off; /* CSR over arcs: unit i's arcs are adj[off[i]..off[i+1]) */
    size_t *adj;
    GEOSGeometry *noded; /* faces only: the region's noded lines */
    long n_cells;
    const graph *faces; /* units only: the faces they come from */
};

/* ------------------------------------------------------------------------
 * Random numbers and seeds
 * ------------------------------------------------------------------------ */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) {
    return (double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t gs__pseed(uint64_t seed, const char *code) {
    uint64_t hsh = 1469598103934665603ull, s;
    for (const unsigned char *p = (const unsigned char *)(code ? code : ""); *p;
         p++) {
        hsh ^= *p;
        hsh *= 1099511628211ull;
    }
    s = seed ^ hsh;
    return splitmix(&s);
}

/* ------------------------------------------------------------------------
 * Faces and units
 * ------------------------------------------------------------------------ */

static void graph_free(graph *g) {
    for (size_t i = 0; i < g->n; i++) {
        GEOSGeom_destroy_r(g->h, g->u[i].g);
        GEOSGeom_destroy_r(g->h, g->u[i].dangles);
        GEOSGeom_destroy_r(g->h, g->u[i].dangles_buf);
    }
    free(g->u);
    free(g->arcs);
    free(g->off);
    free(g->adj);
    GEOSGeom_destroy_r(g->h, g->noded);
    g->noded = NULL;
    g->n_cells = 0;
    g->u = NULL;
    g->arcs = NULL;
    g->off = g->adj = NULL;
    g->n = g->cap = g->m = g->cap_m = 0;
}

/* Appends a unit taking `p` (a polygon); -1 when out of memory. */
static int add_unit(graph *g, GEOSGeometry *p, long face) {
    GEOSContextHandle_t h = g->h;
    unit *u;
    GEOSGeometry *pt;
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 32;
        unit *nu = gs__realloc(g->u, nc * sizeof *nu);
        if (!nu) {
            GEOSGeom_destroy_r(h, p);
            return -1;
        }
        g->u = nu;
        g->cap = nc;
    }
    u = &g->u[g->n++];
    memset(u, 0, sizeof *u);
    u->g = p;
    u->face = face;
    u->cell = -1;
    GEOSArea_r(h, p, &u->area);
    GEOSGeom_getXMin_r(h, p, &u->env[0]);
    GEOSGeom_getYMin_r(h, p, &u->env[1]);
    GEOSGeom_getXMax_r(h, p, &u->env[2]);
    GEOSGeom_getYMax_r(h, p, &u->env[3]);
    pt = GEOSPointOnSurface_r(h, p);
    if (pt) {
        GEOSGeomGetX_r(h, pt, &u->x);
        GEOSGeomGetY_r(h, pt, &u->y);
        GEOSGeom_destroy_r(h, pt);
    }
    return 0;
}

/* Adds each polygon of `g` (taken) with area as a unit of `face`. */
static int add_polygons(graph *gr, GEOSGeometry *g, long face) {
    GEOSContextHandle_t h = gr->h;
    int n, rc = 0;
    if (!g) return -1;
    n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < n && !rc; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        double area = 0;
        if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON) continue;
        GEOSArea_r(h, p, &area);
        if (area <= 1e-6) continue;
        rc = add_unit(gr, GEOSGeom_clone_r(h, p), face);
    }
    GEOSGeom_destroy_r(h, g);
    return rc;
}

/* The region's faces cut by the lines, as units of level 0 (face = own
 * index). -1 on failure. */
static int make_faces(graph *gr, const GEOSGeometry *region,
                      const GEOSGeometry *const *lines, size_t n_lines) {
    GEOSContextHandle_t h = gr->h;
    GEOSGeometry **parts = NULL, *coll = NULL, *noded = NULL, *faces = NULL;
    const GEOSPreparedGeometry *pr = NULL;
    size_t np = 0;
    int rc = -1;

    parts = gs__malloc((n_lines + 1) * sizeof *parts);
    if (!parts) goto done;
    parts[np] = GEOSBoundary_r(h, region);
    if (!parts[np]) goto done;
    np++;
    pr = GEOSPrepare_r(h, region);
    if (!pr) goto done;
    for (size_t i = 0; i < n_lines; i++) {
        GEOSGeometry *cl;
        if (!lines[i] || GEOSPreparedIntersects_r(h, pr, lines[i]) != 1)
            continue;
        cl = GEOSIntersection_r(h, lines[i], region);
        if (!cl) goto done;
        if (GEOSisEmpty_r(h, cl)) {
            GEOSGeom_destroy_r(h, cl);
            continue;
        }
        parts[np++] = cl;
    }
    if (np > 1) {
        coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts,
                                           (unsigned)np);
        if (!coll) goto done;
        np = 0; /* the collection owns them */
        noded = GEOSUnaryUnion_r(h, coll);
        if (!noded) goto done;
        {
            const GEOSGeometry *in[1] = {noded};
            faces = GEOSPolygonize_r(h, in, 1);
        }
        if (!faces) goto done;
        {
            int n = GEOSGetNumGeometries_r(h, faces);
            rc = 0;
            for (int i = 0; i < n && !rc; i++) {
                const GEOSGeometry *f = GEOSGetGeometryN_r(h, faces, i);
                GEOSGeometry *p = GEOSPointOnSurface_r(h, f);
                double area = 0;
                int inside = p && GEOSPreparedContains_r(h, pr, p) == 1;
                GEOSGeom_destroy_r(h, p);
                GEOSArea_r(h, f, &area);
                if (!inside || area <= 1e-6) continue;
                rc = add_unit(gr, GEOSGeom_clone_r(h, f), (long)gr->n);
            }
        }
    } else {
        rc = 0;
    }
    if (!rc && gr->n == 0) { /* no lines, or degenerate: the region */
        GEOSGeometry *c = GEOSGeom_clone_r(h, region);
        int n;
        if (!c) goto done;
        n = GEOSGetNumGeometries_r(h, c);
        for (int i = 0; i < n && !rc; i++) {
            const GEOSGeometry *p = GEOSGetGeometryN_r(h, c, i);
            if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON) continue;
            rc = add_unit(gr, GEOSGeom_clone_r(h, p), (long)gr->n);
        }
        GEOSGeom_destroy_r(h, c);
    }
done:
    for (size_t i = 0; i < np; i++) GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    GEOSGeom_destroy_r(h, coll);
    if (!rc && noded)
        gr->noded = noded; /* dangling lines cut cells */
    else
        GEOSGeom_destroy_r(h, noded);
    GEOSGeom_destroy_r(h, faces);
    if (pr) GEOSPreparedGeom_destroy_r(h, pr);
    return rc;
}

static int env_has(const double *e, double x, double y) {
    return x >= e[0] - 1e-9 && x <= e[2] + 1e-9 && y >= e[1] - 1e-9 &&
           y <= e[3] + 1e-9;
}

/* The unit among [first, last) holding (x, y), else the nearest. */
static long locate(const graph *gr, size_t first, size_t last, double x,
                   double y) {
    GEOSContextHandle_t h = gr->h;
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, x, y);
    long best = first < last ? (long)first : -1;
    double bd = INFINITY;
    if (!p) return best;
    for (size_t i = first; i < last; i++)
        if (env_has(gr->u[i].env, x, y) &&
            GEOSIntersects_r(h, gr->u[i].g, p) == 1) {
            GEOSGeom_destroy_r(h, p);
            return (long)i;
        }
    for (size_t i = first; i < last; i++) {
        double d;
        if (GEOSDistance_r(h, gr->u[i].g, p, &d) && d < bd) {
            bd = d;
            best = (long)i;
        }
    }
    GEOSGeom_destroy_r(h, p);
    return best;
}

typedef struct gref {
    double x, y;
    long gi;
} gref;

static int cmp_gref(const void *a, const void *b) {
    const gref *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return p->gi < q->gi ? -1 : p->gi > q->gi;
}

/* The barrier lines inside face `f` that do not bound it (a river broken
 * by a bridge gap, a dead-end wall): they close no face, so they cut the
 * building cells instead. NULL when there are none. */
static GEOSGeometry *face_dangles(GEOSContextHandle_t h, const GEOSGeometry *f,
                                  const GEOSGeometry *noded) {
    GEOSGeometry *in, *bnd, *d = NULL;
    double len = 0;
    if (!noded || GEOSIntersects_r(h, f, noded) != 1) return NULL;
    in = GEOSIntersection_r(h, noded, f);
    bnd = GEOSBoundary_r(h, f);
    if (in && bnd) d = GEOSDifference_r(h, in, bnd);
    GEOSGeom_destroy_r(h, in);
    GEOSGeom_destroy_r(h, bnd);
    if (d) GEOSLength_r(h, d, &len);
    if (len <= 1.0) {
        GEOSGeom_destroy_r(h, d);
        return NULL;
    }
    return d;
}

/* Cell `x` (taken) cut by the lines crossing it: the faces of its
 * boundary noded with them. `x` itself when they cut nothing; NULL on
 * failure. */
static GEOSGeometry *cut_by_lines(GEOSContextHandle_t h, GEOSGeometry *x,
                                  const GEOSGeometry *lines) {
    GEOSGeometry *parts[2], *coll, *noded, *faces = NULL, *out = NULL;
    const GEOSPreparedGeometry *px = GEOSPrepare_r(h, x);
    parts[0] = GEOSBoundary_r(h, x);
    parts[1] = GEOSIntersection_r(h, lines, x);
    if (!px || !parts[0] || !parts[1]) {
        GEOSGeom_destroy_r(h, parts[0]);
        GEOSGeom_destroy_r(h, parts[1]);
        if (px) GEOSPreparedGeom_destroy_r(h, px);
        return x;
    }
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, 2);
    noded = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (noded) {
        const GEOSGeometry *in[1] = {noded};
        faces = GEOSPolygonize_r(h, in, 1);
    }
    if (faces && GEOSGetNumGeometries_r(h, faces) > 1) {
        int n = GEOSGetNumGeometries_r(h, faces);
        GEOSGeometry **keep = gs__malloc((size_t)n * sizeof *keep);
        unsigned nk = 0;
        for (int i = 0; keep && i < n; i++) {
            const GEOSGeometry *q = GEOSGetGeometryN_r(h, faces, i);
            GEOSGeometry *pt = GEOSPointOnSurface_r(h, q);
            if (pt && GEOSPreparedContains_r(h, px, pt) == 1)
                keep[nk++] = GEOSGeom_clone_r(h, q);
            GEOSGeom_destroy_r(h, pt);
        }
        if (keep && nk > 1)
            out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, keep, nk);
        else if (keep)
            for (unsigned i = 0; i < nk; i++) GEOSGeom_destroy_r(h, keep[i]);
        free(keep);
    }
    GEOSGeom_destroy_r(h, coll);
    GEOSGeom_destroy_r(h, noded);
    GEOSGeom_destroy_r(h, faces);
    GEOSPreparedGeom_destroy_r(h, px);
    if (!out) return x;
    GEOSGeom_destroy_r(h, x);
    return out;
}

/* Cuts face `f` (its geometry borrowed) into the Voronoi cells of its
 * groups' places, appended as units. 0 done, 1 not possible (the caller
 * keeps the face whole), -1 out of memory. */
static int voronoi_face(graph *gr, const GEOSGeometry *f, long face,
                        const GEOSGeometry *dangles, gs__pgroup *groups,
                        const long *gi, size_t n) {
    GEOSContextHandle_t h = gr->h;
    gref *r = gs__malloc((n ? n : 1) * sizeof *r);
    GEOSGeometry **pts = gs__malloc((n ? n : 1) * sizeof *pts);
    GEOSGeometry *mp = NULL, *vd = NULL;
    size_t np = 0, first = gr->n;
    int rc = -1;

    if (!r || !pts) goto done;
    for (size_t i = 0; i < n; i++)
        r[i] = (gref){groups[gi[i]].x, groups[gi[i]].y, gi[i]};
    qsort(r, n, sizeof *r, cmp_gref);
    for (size_t i = 0; i < n; i++) {
        if (np && fabs(r[i].x - r[i - 1].x) < 1e-3 &&
            fabs(r[i].y - r[i - 1].y) < 1e-3)
            continue;
        pts[np] = GEOSGeom_createPointFromXY_r(h, r[i].x, r[i].y);
        if (!pts[np]) goto done;
        np++;
    }
    if (np < 2) {
        rc = 1;
        goto done;
    }
    mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, (unsigned)np);
    if (!mp) goto done;
    np = 0;
    vd = GEOSVoronoiDiagram_r(h, mp, f, 0.0, 0);
    if (!vd) {
        rc = 1;
        goto done;
    }
    {
        int nc = GEOSGetNumGeometries_r(h, vd);
        for (int i = 0; i < nc; i++) {
            size_t before = gr->n;
            GEOSGeometry *x =
                GEOSIntersection_r(h, GEOSGetGeometryN_r(h, vd, i), f);
            if (x && dangles && GEOSIntersects_r(h, x, dangles) == 1)
                x = cut_by_lines(h, x, dangles);
            if (!x) { /* a robustness failure: keep the face whole */
                while (gr->n > first) GEOSGeom_destroy_r(h, gr->u[--gr->n].g);
                rc = 1;
                goto done;
            }
            if (add_polygons(gr, x, face)) goto done;
            for (size_t u = before; u < gr->n; u++) gr->u[u].cell = gr->n_cells;
            gr->n_cells++;
        }
    }
    if (gr->n == first) {
        rc = 1;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        groups[gi[i]].unit =
            locate(gr, first, gr->n, groups[gi[i]].x, groups[gi[i]].y);
    rc = 0;
done:
    for (size_t i = 0; i < np; i++) GEOSGeom_destroy_r(h, pts[i]);
    free(pts);
    free(r);
    GEOSGeom_destroy_r(h, mp);
    GEOSGeom_destroy_r(h, vd);
    return rc;
}

/* The units of `level` from the faces: faces holding more than
 * `threshold` households with two or more groups become building cells.
 * Sets each group's unit and the units' figures. -1 on failure. */
static int make_units(graph *gr, graph *faces, gs__pgroup *groups,
                      size_t n_groups, const long *face_start,
                      const long *face_groups, long threshold) {
    GEOSContextHandle_t h = gr->h;
    for (size_t f = 0; f < faces->n; f++) {
        const long *gi = face_groups + face_start[f];
        size_t n = (size_t)(face_start[f + 1] - face_start[f]);
        int r = 1;
        if (faces->u[f].hh > threshold && n >= 2) {
            if (!faces->u[f].dangles) {
                faces->u[f].dangles =
                    face_dangles(h, faces->u[f].g, faces->noded);
                if (faces->u[f].dangles)
                    faces->u[f].dangles_buf =
                        GEOSBuffer_r(h, faces->u[f].dangles, 1e-3, 2);
            }
            r = voronoi_face(gr, faces->u[f].g, (long)f, faces->u[f].dangles,
                             groups, gi, n);
            if (r < 0) return -1;
        }
        if (r == 1) {
            GEOSGeometry *c = GEOSGeom_clone_r(h, faces->u[f].g);
            if (!c || add_unit(gr, c, (long)f)) return -1;
            for (size_t i = 0; i < n; i++) groups[gi[i]].unit = (long)gr->n - 1;
        }
    }
    for (size_t i = 0; i < n_groups; i++) {
        const gs__pgroup *g = &groups[i];
        if (g->unit < 0) continue;
        gr->u[g->unit].hh += g->hh;
        gr->u[g->unit].persons += g->persons;
    }
    return 0;
}

typedef struct envref {
    double xmin;
    size_t i;
} envref;

static int cmp_envref(const void *a, const void *b) {
    const envref *p = a, *q = b;
    if (p->xmin != q->xmin) return p->xmin < q->xmin ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static int cmp_arc(const void *x, const void *y) {
    const arc *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

static int add_arc(graph *gr, long a, long b, double len, double blen) {
    if (gr->m == gr->cap_m) {
        size_t nc = gr->cap_m ? 2 * gr->cap_m : 64;
        arc *na = gs__realloc(gr->arcs, nc * sizeof *na);
        if (!na) return -1;
        gr->arcs = na;
        gr->cap_m = nc;
    }
    if (blen > len) blen = len;
    gr->arcs[gr->m++] = (arc){
        a, b, len, (len - blen) + BARRIER_COST * blen, blen, blen > 0.5 * len};
    return 0;
}

/* Arcs between units sharing more than 1 cm of boundary (a sweep over
 * the envelopes), then zero-length arcs joining the components, then the
 * CSR. -1 on failure. */
static int make_arcs(graph *gr) {
    GEOSContextHandle_t h = gr->h;
    size_t n = gr->n;
    envref *order = gs__malloc((n ? n : 1) * sizeof *order);
    long *comp = NULL;
    size_t *queue = NULL;
    int rc = -1;

    if (!order) return -1;
    for (size_t i = 0; i < n; i++) order[i] = (envref){gr->u[i].env[0], i};
    qsort(order, n, sizeof *order, cmp_envref);
    for (size_t p = 0; p < n; p++) {
        const unit *a = &gr->u[order[p].i];
        for (size_t q = p + 1; q < n; q++) {
            const unit *b = &gr->u[order[q].i];
            GEOSGeometry *x;
            double len = 0, e = 1e-6;
            size_t i = order[p].i, j = order[q].i;
            if (b->env[0] > a->env[2] + e) break;
            if (b->env[1] > a->env[3] + e || a->env[1] > b->env[3] + e)
                continue;
            x = GEOSIntersection_r(h, a->g, b->g);
            if (!x) continue; /* a robustness failure: not adjacent */
            GEOSLength_r(h, x, &len);
            if (len > 0.01) {
                /* Between faces the boundary is a barrier; inside a face,
                 * where it runs along a line that closes nothing. */
                double blen = a->face != b->face ? len : 0;
                const GEOSGeometry *dg =
                    a->face == b->face && gr->faces && a->face >= 0
                        ? gr->faces->u[a->face].dangles_buf
                        : NULL;
                if (dg && GEOSIntersects_r(h, x, dg) == 1) {
                    GEOSGeometry *on = GEOSIntersection_r(h, x, dg);
                    if (on) GEOSLength_r(h, on, &blen);
                    GEOSGeom_destroy_r(h, on);
                }
                if (add_arc(gr, (long)(i < j ? i : j), (long)(i < j ? j : i),
                            len, blen)) {
                    GEOSGeom_destroy_r(h, x);
                    goto done;
                }
            }
            GEOSGeom_destroy_r(h, x);
        }
    }
    /* Arcs in a fixed order whatever the sweep met first. */
    if (gr->m > 1) qsort(gr->arcs, gr->m, sizeof *gr->arcs, cmp_arc);

    /* Components (BFS over the arcs through a temporary CSR). */
    for (int pass = 0; pass < 2; pass++) {
        free(gr->off);
        free(gr->adj);
        gr->off = gs__calloc(n + 1, sizeof *gr->off);
        gr->adj = gs__malloc((gr->m ? 2 * gr->m : 1) * sizeof *gr->adj);
        if (!gr->off || !gr->adj) goto done;
        for (size_t e = 0; e < gr->m; e++) {
            gr->off[gr->arcs[e].a + 1]++;
            gr->off[gr->arcs[e].b + 1]++;
        }
        for (size_t i = 0; i < n; i++) gr->off[i + 1] += gr->off[i];
        {
            size_t *fill = gs__malloc((n ? n : 1) * sizeof *fill);
            if (!fill) goto done;
            memcpy(fill, gr->off, n * sizeof *fill);
            for (size_t e = 0; e < gr->m; e++) {
                gr->adj[fill[gr->arcs[e].a]++] = e;
                gr->adj[fill[gr->arcs[e].b]++] = e;
            }
            free(fill);
        }
        if (pass == 1) break;
        comp = gs__malloc((n ? n : 1) * sizeof *comp);
        queue = gs__malloc((n ? n : 1) * sizeof *queue);
        if (!comp || !queue) goto done;
        for (size_t i = 0; i < n; i++) comp[i] = -1;
        {
            long nc = 0;
            int joined = 0;
            for (size_t s = 0; s < n; s++) {
                size_t head = 0, tail = 0;
                if (comp[s] >= 0) continue;
                comp[s] = nc;
                queue[tail++] = s;
                while (head < tail) {
                    size_t v = queue[head++];
                    for (size_t k = gr->off[v]; k < gr->off[v + 1]; k++) {
                        const arc *e = &gr->arcs[gr->adj[k]];
                        size_t o = (size_t)(e->a == (long)v ? e->b : e->a);
                        if (comp[o] >= 0) continue;
                        comp[o] = nc;
                        queue[tail++] = o;
                    }
                }
                if (nc > 0) {
                    /* Join to the nearest unit of an earlier component. */
                    size_t bi = 0, bj = 0;
                    double bd = INFINITY;
                    for (size_t i = 0; i < n; i++) {
                        if (comp[i] != nc) continue;
                        for (size_t j = 0; j < n; j++) {
                            double d;
                            if (comp[j] < 0 || comp[j] >= nc) continue;
                            d = hypot(gr->u[i].x - gr->u[j].x,
                                      gr->u[i].y - gr->u[j].y);
                            if (d < bd) {
                                bd = d;
                                bi = i;
                                bj = j;
                            }
                        }
                    }
                    if (add_arc(gr, (long)(bi < bj ? bi : bj),
                                (long)(bi < bj ? bj : bi), 0, 0))
                        goto done;
                    joined = 1;
                }
                nc++;
            }
            if (!joined) break;
        }
    }
    rc = 0;
done:
    free(order);
    free(comp);
    free(queue);
    return rc;
}

/* ------------------------------------------------------------------------
 * Recursive spanning-tree bisection
 * ------------------------------------------------------------------------ */

/* A local arc and its random weight, sorted for Kruskal. */
typedef struct warc {
    double w;
    size_t e;
} warc;

static int cmp_warc(const void *a, const void *b) {
    const warc *x = a, *y = b;
    if (x->w != y->w) return x->w < y->w ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

typedef struct bis {
    const graph *gr;
    const gs__pbounds *b;
    uint64_t rng;
    long *part; /* per unit */
    long *loc;  /* per unit: index in the current set, or -1 */
    /* scratch, sized for the whole graph */
    size_t *larc; /* arcs inside the current set */
    warc *w;      /* their random weights */
    long *uf;
    size_t *toff, *tadj; /* the tree's CSR (local indices) */
    long *parent, *depth, *order;
    long *sub_m, *sub_p; /* subtree measure and persons */
    double *sub_c;       /* subtree cut accumulator */
    unsigned char *in_a, *best_a;
    long misses;
} bis;

static long measure(const bis *s, const unit *u) {
    return s->b->by_persons ? u->persons : u->hh;
}

static long uf_find(long *uf, long x) {
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

/* Violation of the bounds for `m` measure and `p` persons in `k` parts. */
static double violation(const gs__pbounds *b, long m, long p, long k) {
    double v = 0;
    if (m < k * b->lo) v += (double)(k * b->lo - m);
    if (m > k * b->hi) v += (double)(m - k * b->hi);
    if (p > k * b->pmax) v += (double)(p - k * b->pmax);
    return v;
}

/* Divides the units ids[0..n) into k parts numbered from `first`. */
static int divide(bis *s, long *ids, size_t n, long k, long first) {
    const graph *gr = s->gr;
    const gs__pbounds *b = s->b;
    size_t nl = 0, tries;
    long mtot = 0, ptot = 0, best_k1 = 0;
    double area = 0, scale, best_v = INFINITY, best_s = INFINITY;
    size_t na = 0, nb = 0;
    int rc;

    if (k <= 1 || n <= 1) {
        long mm = 0, pp = 0;
        for (size_t i = 0; i < n; i++) {
            s->part[ids[i]] = first;
            mm += measure(s, &gr->u[ids[i]]);
            pp += gr->u[ids[i]].persons;
        }
        if (violation(b, mm, pp, 1) > 0) s->misses++;
        s->misses += k > 1 ? k - 1 : 0; /* parts that could not be made */
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        s->loc[ids[i]] = (long)i;
        mtot += measure(s, &gr->u[ids[i]]);
        ptot += gr->u[ids[i]].persons;
        area += gr->u[ids[i]].area;
    }
    scale = sqrt(area / (double)k);
    if (!(scale > 0)) scale = 1;
    for (size_t i = 0; i < n; i++) {
        size_t v = (size_t)ids[i];
        for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            if (e->a == (long)v && s->loc[e->b] >= 0)
                s->larc[nl++] = gr->adj[q];
        }
    }
    tries = n < 400 ? 16 : n < 2000 ? 8 : 4;
    for (size_t t = 0; t < tries; t++) {
        size_t head = 0, tail = 0;
        /* A random spanning tree preferring arcs inside faces (Kruskal). */
        for (size_t e = 0; e < nl; e++) {
            s->w[e].w =
                uniform(&s->rng) + (gr->arcs[s->larc[e]].barrier ? 1.0 : 0.0);
            s->w[e].e = e;
        }
        qsort(s->w, nl, sizeof *s->w, cmp_warc);
        for (size_t i = 0; i < n; i++) {
            s->uf[i] = (long)i;
            s->toff[i + 1] = 0;
        }
        s->toff[0] = 0;
        {
            size_t nt = 0;
            /* tree edges kept as pairs in tadj's second half */
            size_t *te = s->tadj + 2 * n;
            for (size_t q = 0; q < nl && nt + 1 < n; q++) {
                const arc *e = &gr->arcs[s->larc[s->w[q].e]];
                long x = s->loc[e->a], y = s->loc[e->b];
                long rx = uf_find(s->uf, x), ry = uf_find(s->uf, y);
                if (rx == ry) continue;
                s->uf[rx] = ry;
                te[2 * nt] = (size_t)x;
                te[2 * nt + 1] = (size_t)y;
                nt++;
            }
            if (nt + 1 < n) { /* cannot happen: the set is connected */
                for (size_t i = 0; i < n; i++) s->loc[ids[i]] = -1;
                return -2;
            }
            for (size_t q = 0; q < nt; q++) {
                s->toff[te[2 * q] + 1]++;
                s->toff[te[2 * q + 1] + 1]++;
            }
            for (size_t i = 0; i < n; i++) s->toff[i + 1] += s->toff[i];
            for (size_t i = 0; i < n; i++) s->uf[i] = (long)s->toff[i];
            for (size_t q = 0; q < nt; q++) {
                size_t x = te[2 * q], y = te[2 * q + 1];
                s->tadj[s->uf[x]++] = y;
                s->tadj[s->uf[y]++] = x;
            }
        }
        /* BFS from a random root: order, parents, depths. */
        {
            long root = (long)(splitmix(&s->rng) % n);
            for (size_t i = 0; i < n; i++) s->parent[i] = -2;
            s->parent[root] = -1;
            s->depth[root] = 0;
            s->order[tail++] = root;
            while (head < tail) {
                long v = s->order[head++];
                for (size_t q = s->toff[v]; q < s->toff[v + 1]; q++) {
                    long o = (long)s->tadj[q];
                    if (s->parent[o] != -2) continue;
                    s->parent[o] = v;
                    s->depth[o] = s->depth[v] + 1;
                    s->order[tail++] = o;
                }
            }
        }
        /* Subtree sums; the cut of a subtree by the difference rule: each
         * arc adds its cost at both ends and takes twice at their lowest
         * common ancestor. */
        for (size_t i = 0; i < n; i++) {
            const unit *u = &gr->u[ids[i]];
            s->sub_m[i] = measure(s, u);
            s->sub_p[i] = u->persons;
            s->sub_c[i] = 0;
        }
        for (size_t q = 0; q < nl; q++) {
            const arc *e = &gr->arcs[s->larc[q]];
            long x = s->loc[e->a], y = s->loc[e->b];
            s->sub_c[x] += e->cost;
            s->sub_c[y] += e->cost;
            while (s->depth[x] > s->depth[y]) x = s->parent[x];
            while (s->depth[y] > s->depth[x]) y = s->parent[y];
            while (x != y) {
                x = s->parent[x];
                y = s->parent[y];
            }
            s->sub_c[x] -= 2 * e->cost;
        }
        for (size_t i = n; i-- > 1;) {
            long v = s->order[i], p = s->parent[v];
            s->sub_m[p] += s->sub_m[v];
            s->sub_p[p] += s->sub_p[v];
            s->sub_c[p] += s->sub_c[v];
        }
        {
            long best_v_here = -1;
            for (size_t i = 1; i < n; i++) {
                long v = s->order[i];
                long ma = s->sub_m[v], pa = s->sub_p[v];
                for (long k1 = 1; k1 < k; k1++) {
                    double vio = violation(b, ma, pa, k1) +
                                 violation(b, mtot - ma, ptot - pa, k - k1);
                    double share = (double)mtot / (double)k;
                    double dev =
                        share > 0
                            ? fabs((double)ma - (double)k1 * share) / share
                            : 0;
                    double sc = s->sub_c[v] / scale + BALANCE_WEIGHT * dev;
                    if (vio < best_v || (vio == best_v && sc < best_s)) {
                        best_v = vio;
                        best_s = sc;
                        best_k1 = k1;
                        best_v_here = v;
                    }
                }
            }
            if (best_v_here >= 0) {
                /* Remember the side: the subtree of best_v_here. */
                for (size_t i = 0; i < n; i++) s->in_a[i] = 0;
                s->in_a[best_v_here] = 1;
                for (size_t i = 0; i < n; i++) {
                    long v = s->order[i];
                    if (s->parent[v] >= 0 && s->in_a[s->parent[v]])
                        s->in_a[v] = 1;
                }
                memcpy(s->best_a, s->in_a, n);
            }
        }
    }
    for (size_t i = 0; i < n; i++) s->loc[ids[i]] = -1;
    if (best_k1 == 0) return -2;
    /* Split ids in place into A then B, keeping their order. */
    {
        long *tmp = gs__malloc(n * sizeof *tmp);
        if (!tmp) return -1;
        for (size_t i = 0; i < n; i++)
            if (s->best_a[i]) tmp[na++] = ids[i];
        for (size_t i = 0; i < n; i++)
            if (!s->best_a[i]) tmp[na + nb++] = ids[i];
        memcpy(ids, tmp, n * sizeof *ids);
        free(tmp);
    }
    rc = divide(s, ids, na, best_k1, first);
    if (!rc) rc = divide(s, ids + na, nb, k - best_k1, first + best_k1);
    return rc;
}

/* Divides the graph into k parts; part[] per unit. Returns the misses, or
 * -1 when out of memory. */
static long bisect_all(const graph *gr, const gs__pbounds *b, long k,
                       uint64_t seed, long *part) {
    bis s;
    size_t n = gr->n, m = gr->m;
    long *ids = gs__malloc((n ? n : 1) * sizeof *ids);
    long r;
    memset(&s, 0, sizeof s);
    s.gr = gr;
    s.b = b;
    s.rng = seed;
    s.part = part;
    s.loc = gs__malloc((n ? n : 1) * sizeof *s.loc);
    s.larc = gs__malloc((m ? m : 1) * sizeof *s.larc);
    s.w = gs__malloc((m ? m : 1) * sizeof *s.w);
    s.uf = gs__malloc((n + 1) * sizeof *s.uf);
    s.toff = gs__malloc((n + 2) * sizeof *s.toff);
    s.tadj = gs__malloc((4 * n + 2) * sizeof *s.tadj);
    s.parent = gs__malloc((n + 1) * sizeof *s.parent);
    s.depth = gs__malloc((n + 1) * sizeof *s.depth);
    s.order = gs__malloc((n + 1) * sizeof *s.order);
    s.sub_m = gs__malloc((n + 1) * sizeof *s.sub_m);
    s.sub_p = gs__malloc((n + 1) * sizeof *s.sub_p);
    s.sub_c = gs__malloc((n + 1) * sizeof *s.sub_c);
    s.in_a = gs__malloc(n + 1);
    s.best_a = gs__malloc(n + 1);
    if (!ids || !s.loc || !s.larc || !s.w || !s.uf || !s.toff || !s.tadj ||
        !s.parent || !s.depth || !s.order || !s.sub_m || !s.sub_p || !s.sub_c ||
        !s.in_a || !s.best_a) {
        r = -1;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = (long)i;
        s.loc[i] = -1;
        part[i] = 0;
    }
    r = divide(&s, ids, n, k, 0);
    if (r == -1) goto done;
    r = r == -2 ? k : s.misses;
done:
    free(ids);
    free(s.loc);
    free(s.larc);
    free(s.w);
    free(s.uf);
    free(s.toff);
    free(s.tadj);
    free(s.parent);
    free(s.depth);
    free(s.order);
    free(s.sub_m);
    free(s.sub_p);
    free(s.sub_c);
    free(s.in_a);
    free(s.best_a);
    return r;
}

/* ------------------------------------------------------------------------
 * Repair: single boundary moves
 * ------------------------------------------------------------------------ */

/* How far a part is outside the bounds (0 within). */
static double part_violation(const gs__pbounds *b, long m, long p) {
    return violation(b, m, p, 1);
}

/* Parts outside the bounds. */
static long count_misses(const gs__pbounds *b, long k, const long *pm,
                         const long *pp, const long *pn) {
    long miss = 0;
    for (long p = 0; p < k; p++)
        if (pn[p] == 0 || part_violation(b, pm[p], pp[p]) > 0) miss++;
    return miss;
}

/* 1 when part `p` without unit `skip` is connected and not empty. */
static int connected_without(const graph *gr, const long *part, long p,
                             size_t skip, size_t *queue, unsigned char *seen) {
    size_t head = 0, tail = 0, want = 0, start = (size_t)-1;
    for (size_t i = 0; i < gr->n; i++) {
        seen[i] = 0;
        if (i != skip && part[i] == p) {
            if (start == (size_t)-1) start = i;
            want++;
        }
    }
    if (!want) return 0;
    seen[start] = 1;
    queue[tail++] = start;
    while (head < tail) {
        size_t v = queue[head++];
        for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            size_t o = (size_t)(e->a == (long)v ? e->b : e->a);
            if (o == skip || seen[o] || part[o] != p) continue;
            seen[o] = 1;
            queue[tail++] = o;
        }
    }
    return tail == want;
}

/* Moves single units across part boundaries while a move lowers the total
 * violation of the bounds (ties: the cheaper cut), keeping every part
 * connected. Returns the misses left, -1 when out of memory. */
/* The parts' figures during a repair. */
typedef struct rstate {
    const graph *gr;
    const gs__pbounds *b;
    long k;
    long *part, *pm, *pp, *pn;
    size_t *queue;
    unsigned char *seen;
} rstate;

static long unit_measure(const rstate *r, size_t u) {
    return r->b->by_persons ? r->gr->u[u].persons : r->gr->u[u].hh;
}

/* Sets up the parts' figures of `part`; -1 when out of memory (free the
 * state with rstate_free in every case). */
static int rstate_init(rstate *r, const graph *gr, const gs__pbounds *b, long k,
                       long *part) {
    size_t n = gr->n;
    r->gr = gr;
    r->b = b;
    r->k = k;
    r->part = part;
    r->pm = gs__calloc((size_t)k, sizeof *r->pm);
    r->pp = gs__calloc((size_t)k, sizeof *r->pp);
    r->pn = gs__calloc((size_t)k, sizeof *r->pn);
    r->queue = gs__malloc((n ? n : 1) * sizeof *r->queue);
    r->seen = gs__malloc(n ? n : 1);
    if (!r->pm || !r->pp || !r->pn || !r->queue || !r->seen) return -1;
    for (size_t i = 0; i < n; i++) {
        r->pm[part[i]] += unit_measure(r, i);
        r->pp[part[i]] += gr->u[i].persons;
        r->pn[part[i]]++;
    }
    return 0;
}

static void rstate_free(rstate *r) {
    free(r->pm);
    free(r->pp);
    free(r->pn);
    free(r->queue);
    free(r->seen);
}

static void move_unit(rstate *r, size_t u, long to) {
    long from = r->part[u], um = unit_measure(r, u);
    r->pm[from] -= um;
    r->pp[from] -= r->gr->u[u].persons;
    r->pn[from]--;
    r->pm[to] += um;
    r->pp[to] += r->gr->u[u].persons;
    r->pn[to]++;
    r->part[u] = to;
}

/* The best single move of a unit to a neighbouring part that keeps its
 * part connected and gains more than `floor` (the drop in total
 * violation; ties: the smaller unit, then the cheaper cut). Returns the
 * gain, or -INFINITY when there is none; sets *bu and *bto. */
static double best_move(rstate *r, double floor, long *bu, long *bto) {
    const graph *gr = r->gr;
    const gs__pbounds *b = r->b;
    long best_um = 0;
    double best_gain = -INFINITY, best_dc = INFINITY;
    *bu = *bto = -1;
    for (size_t u = 0; u < gr->n; u++) {
        long from = r->part[u], um = unit_measure(r, u);
        long up = gr->u[u].persons;
        double before_from = part_violation(b, r->pm[from], r->pp[from]);
        int checked = 0, ok = 0;
        for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            long o = e->a == (long)u ? e->b : e->a, to = r->part[o];
            double gain, dc = 0;
            if (to == from) continue;
            gain = before_from + part_violation(b, r->pm[to], r->pp[to]) -
                   part_violation(b, r->pm[from] - um, r->pp[from] - up) -
                   part_violation(b, r->pm[to] + um, r->pp[to] + up);
            if (gain <= floor + 1e-9 || gain < best_gain - 1e-9) continue;
            /* The cut changes by the arcs of u to `from` (now cut) minus
             * those to `to` (no longer cut). */
            for (size_t t = gr->off[u]; t < gr->off[u + 1]; t++) {
                const arc *f = &gr->arcs[gr->adj[t]];
                long w = f->a == (long)u ? f->b : f->a;
                if (r->part[w] == from)
                    dc += f->cost;
                else if (r->part[w] == to)
                    dc -= f->cost;
            }
            if (gain < best_gain + 1e-9 &&
                (um > best_um || (um == best_um && dc >= best_dc)))
                continue;
            if (!checked) {
                ok = connected_without(gr, r->part, from, u, r->queue, r->seen);
                checked = 1;
            }
            if (!ok) break;
            best_gain = gain;
            best_dc = dc;
            best_um = um;
            *bu = (long)u;
            *bto = to;
        }
    }
    return best_gain;
}

/* Boundary moves that shorten the cut (off-barrier boundary first) and
 * keep every part within the bounds and connected, in unit order, for a
 * few passes: what random trees leave ragged (a cell whose empty far side
 * lies across a river) is straightened. -1 when out of memory. */
static int polish(const graph *gr, const gs__pbounds *b, long k, long *part) {
    size_t n = gr->n;
    rstate r;
    int rc = -1;
    if (rstate_init(&r, gr, b, k, part)) goto done;
    for (int pass = 0; pass < 4; pass++) {
        int moved = 0;
        for (size_t u = 0; u < n; u++) {
            long from = part[u], um = unit_measure(&r, u);
            long up = gr->u[u].persons, best_to = -1;
            double best_dc = -1e-6;
            int checked = 0, ok = 0;
            if (r.pn[from] < 2) continue;
            for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
                const arc *e = &gr->arcs[gr->adj[q]];
                long o = e->a == (long)u ? e->b : e->a, to = part[o];
                double dc = 0;
                if (to == from || to == best_to) continue;
                if (part_violation(b, r.pm[from] - um, r.pp[from] - up) > 0 ||
                    part_violation(b, r.pm[to] + um, r.pp[to] + up) > 0)
                    continue;
                for (size_t t = gr->off[u]; t < gr->off[u + 1]; t++) {
                    const arc *f = &gr->arcs[gr->adj[t]];
                    long w = f->a == (long)u ? f->b : f->a;
                    if (part[w] == from)
                        dc += f->cost;
                    else if (part[w] == to)
                        dc -= f->cost;
                }
                if (dc >= best_dc) continue;
                if (!checked) {
                    ok = connected_without(gr, part, from, u, r.queue, r.seen);
                    checked = 1;
                }
                if (!ok) break;
                best_dc = dc;
                best_to = to;
            }
            if (best_to >= 0) {
                move_unit(&r, u, best_to);
                moved = 1;
            }
        }
        if (!moved) break;
    }
    rc = 0;
done:
    rstate_free(&r);
    return rc;
}

/* Pairs of moves are searched only on graphs this small; boundaries are
 * polished on graphs up to POLISH_UNITS. */
#define PAIR_UNITS 150
#define POLISH_UNITS 20000

/* Moves single units across part boundaries while a move lowers the total
 * violation of the bounds, keeping every part connected; when none does,
 * on small graphs, a pair of moves whose sum does (the first may cost).
 * Returns the misses left, -1 when out of memory. */
static long repair(const graph *gr, const gs__pbounds *b, long k, long *part) {
    size_t n = gr->n;
    rstate r;
    long miss = -1;
    if (rstate_init(&r, gr, b, k, part)) goto done;
    for (size_t iter = 0; iter < 4 * n + 64; iter++) {
        long u, to;
        if (count_misses(b, k, r.pm, r.pp, r.pn) == 0) break;
        if (best_move(&r, 0, &u, &to) > 0) {
            move_unit(&r, (size_t)u, to);
            continue;
        }
        if (n > PAIR_UNITS) break;
        {
            int found = 0;
            for (size_t v = 0; v < n && !found; v++) {
                long from = part[v];
                for (size_t q = gr->off[v]; q < gr->off[v + 1] && !found; q++) {
                    const arc *e = &gr->arcs[gr->adj[q]];
                    long o = e->a == (long)v ? e->b : e->a, t = part[o];
                    double g1, before, after;
                    long u2, to2;
                    if (t == from || r.pn[from] < 2 ||
                        !connected_without(gr, part, from, v, r.queue, r.seen))
                        continue;
                    before = part_violation(b, r.pm[from], r.pp[from]) +
                             part_violation(b, r.pm[t], r.pp[t]);
                    move_unit(&r, v, t);
                    after = part_violation(b, r.pm[from], r.pp[from]) +
                            part_violation(b, r.pm[t], r.pp[t]);
                    g1 = before - after;
                    if (best_move(&r, -g1, &u2, &to2) > -g1 && u2 != (long)v) {
                        move_unit(&r, (size_t)u2, to2);
                        found = 1;
                    } else {
                        move_unit(&r, v, from); /* undo */
                    }
                }
            }
            if (!found) break;
        }
    }
    miss = count_misses(b, k, r.pm, r.pp, r.pn);
done:
    rstate_free(&r);
    return miss;
}

/* ------------------------------------------------------------------------
 * Exact search on small graphs
 * ------------------------------------------------------------------------ */

/* Graphs up to this many units are searched exhaustively when the trees
 * and the repair leave misses. */
#define EXACT_UNITS 40
#define EXACT_STEPS 4000000L

typedef struct xsearch {
    const graph *gr;
    const gs__pbounds *b;
    long *part; /* -1: not yet in a part */
    long *pick; /* the units of the part being built */
    size_t *queue;
    unsigned char *seen;
    long steps;
} xsearch;

static long x_measure(const xsearch *x, size_t u) {
    return x->b->by_persons ? x->gr->u[u].persons : x->gr->u[u].hh;
}

/* 1 when the units with part == p are connected. */
static int x_connected(xsearch *x, long p) {
    const graph *gr = x->gr;
    size_t head = 0, tail = 0, want = 0, start = (size_t)-1;
    for (size_t i = 0; i < gr->n; i++) {
        x->seen[i] = 0;
        if (x->part[i] == p) {
            if (start == (size_t)-1) start = i;
            want++;
        }
    }
    if (!want) return 0;
    x->seen[start] = 1;
    x->queue[tail++] = start;
    while (head < tail) {
        size_t v = x->queue[head++];
        for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            size_t o = (size_t)(e->a == (long)v ? e->b : e->a);
            if (x->seen[o] || x->part[o] != p) continue;
            x->seen[o] = 1;
            x->queue[tail++] = o;
        }
    }
    return tail == want;
}

static int x_parts(xsearch *x, long p, long parts);

/* Grows part p from the units after `from` (in index order), its sum so
 * far `m` (measure) and `pe` (persons); on a sum within the bounds and a
 * connected part, goes on to the next part. */
static int x_grow(xsearch *x, long p, long parts, size_t from, long m,
                  long pe) {
    const gs__pbounds *b = x->b;
    if (++x->steps > EXACT_STEPS) return 0;
    if (m >= b->lo && m <= b->hi && pe <= b->pmax && x_connected(x, p) &&
        x_parts(x, p + 1, parts - 1))
        return 1;
    for (size_t u = from; u < x->gr->n; u++) {
        long um = x_measure(x, u);
        if (x->part[u] != -1 || m + um > b->hi) continue;
        x->part[u] = p;
        if (x_grow(x, p, parts, u + 1, m + um, pe + x->gr->u[u].persons))
            return 1;
        x->part[u] = -1;
        if (x->steps > EXACT_STEPS) return 0;
    }
    return 0;
}

/* Makes `parts` more parts, numbered from p, of the unassigned units:
 * each starts at the lowest unassigned unit. */
static int x_parts(xsearch *x, long p, long parts) {
    long left = 0, lp = 0;
    size_t r = (size_t)-1;
    for (size_t i = 0; i < x->gr->n; i++)
        if (x->part[i] == -1) {
            if (r == (size_t)-1) r = i;
            left += x_measure(x, i);
            lp += x->gr->u[i].persons;
        }
    if (parts == 0) return r == (size_t)-1;
    if (r == (size_t)-1 || left < parts * x->b->lo || left > parts * x->b->hi ||
        lp > parts * x->b->pmax)
        return 0;
    x->part[r] = p;
    if (x_grow(x, p, parts, r + 1, x_measure(x, r), x->gr->u[r].persons))
        return 1;
    x->part[r] = -1;
    return 0;
}

/* An exhaustive search for k connected parts within the bounds, on a
 * graph of at most EXACT_UNITS units and within EXACT_STEPS steps: 1 and
 * part[] set when found, 0 when none (or out of steps), -1 out of
 * memory. */
static int exact(const graph *gr, const gs__pbounds *b, long k, long *part) {
    xsearch x;
    int r;
    if (gr->n > EXACT_UNITS) return 0;
    memset(&x, 0, sizeof x);
    x.gr = gr;
    x.b = b;
    x.part = gs__malloc((gr->n ? gr->n : 1) * sizeof *x.part);
    x.queue = gs__malloc((gr->n ? gr->n : 1) * sizeof *x.queue);
    x.seen = gs__malloc(gr->n ? gr->n : 1);
    if (!x.part || !x.queue || !x.seen) {
        r = -1;
        goto done;
    }
    for (size_t i = 0; i < gr->n; i++) x.part[i] = -1;
    r = x_parts(&x, 0, k);
    if (r == 1) memcpy(part, x.part, gr->n * sizeof *part);
done:
    free(x.part);
    free(x.queue);
    free(x.seen);
    return r;
}

/* ------------------------------------------------------------------------
 * The division of a region
 * ------------------------------------------------------------------------ */

int gs__pick_ks(long total, const gs__pbounds *b, long *ks, int max) {
    long lo, hi, mid;
    int n = 0;
    if (b->hi <= 0 || b->lo <= 0 || max <= 0) return 0;
    lo = (total + b->hi - 1) / b->hi;
    hi = total / b->lo;
    if (lo < 1) lo = 1;
    /* |total / k - target| falls then rises in k: the nearest counts lie
     * around total / target. */
    mid = b->target > 0 ? lround((double)total / b->target) : lo;
    for (long k = mid - max; k <= mid + max; k++) {
        double d;
        int at;
        if (k < lo || k > hi) continue;
        d = fabs((double)total / (double)k - b->target);
        at = n;
        while (at > 0 &&
               fabs((double)total / (double)ks[at - 1] - b->target) > d)
            at--;
        if (at >= max) continue;
        if (n < max) n++;
        memmove(ks + at + 1, ks + at, (size_t)(n - 1 - at) * sizeof *ks);
        ks[at] = k;
    }
    if (n == 0 && lo <= hi) ks[n++] = total / b->target < lo ? lo : hi;
    return n;
}

void gs__pdiv_free(GEOSContextHandle_t h, gs__pdiv *d) {
    if (!d) return;
    if (d->geom)
        for (long i = 0; i < d->k; i++) GEOSGeom_destroy_r(h, d->geom[i]);
    free(d->geom);
    free(d->hh);
    free(d->persons);
    free(d->cut_len);
    free(d->cut_barrier);
    free(d->group_part);
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

/* Fills `out` from the graph and the parts. -1 on failure. */
static int make_result(const graph *gr, const GEOSGeometry *region,
                       gs__pgroup *groups, size_t n_groups, const long *part,
                       long k, gs__pdiv *out) {
    GEOSContextHandle_t h = gr->h;
    out->k = k;
    out->geom = gs__calloc((size_t)k, sizeof *out->geom);
    out->hh = gs__calloc((size_t)k, sizeof *out->hh);
    out->persons = gs__calloc((size_t)k, sizeof *out->persons);
    out->cut_len = gs__calloc((size_t)k, sizeof *out->cut_len);
    out->cut_barrier = gs__calloc((size_t)k, sizeof *out->cut_barrier);
    out->group_part =
        gs__malloc((n_groups ? n_groups : 1) * sizeof *out->group_part);
    if (!out->geom || !out->hh || !out->persons || !out->cut_len ||
        !out->cut_barrier || !out->group_part)
        return -1;
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

/* A region's faces and the groups in each. */
typedef struct layout {
    graph faces;
    long *start; /* face f's groups are groups_of[start[f]..start[f+1]) */
    long *groups_of;
    gs__pgroup *groups;
    size_t n_groups;
} layout;

static void layout_free(layout *l) {
    graph_free(&l->faces);
    free(l->start);
    free(l->groups_of);
    memset(l, 0, sizeof *l);
}

/* Faces of the region cut by the lines, each group placed in one. */
static int layout_make(GEOSContextHandle_t h, const GEOSGeometry *region,
                       const GEOSGeometry *const *lines, size_t n_lines,
                       gs__pgroup *groups, size_t n_groups, layout *l) {
    graph *faces = &l->faces;
    long *fill;
    memset(l, 0, sizeof *l);
    faces->h = h;
    l->groups = groups;
    l->n_groups = n_groups;
    if (make_faces(faces, region, lines, n_lines)) return GS_ERR_INTERNAL;
    l->start = gs__calloc(faces->n + 1, sizeof *l->start);
    l->groups_of = gs__malloc((n_groups ? n_groups : 1) * sizeof *l->groups_of);
    fill = gs__malloc((faces->n + 1) * sizeof *fill);
    if (!l->start || !l->groups_of || !fill) {
        free(fill);
        return GS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_groups; i++) {
        groups[i].face = locate(faces, 0, faces->n, groups[i].x, groups[i].y);
        groups[i].unit = -1;
        if (groups[i].face >= 0) {
            l->start[groups[i].face + 1]++;
            faces->u[groups[i].face].hh += groups[i].hh;
        }
    }
    for (size_t f = 0; f < faces->n; f++) l->start[f + 1] += l->start[f];
    memcpy(fill, l->start, (faces->n + 1) * sizeof *fill);
    for (size_t i = 0; i < n_groups; i++)
        if (groups[i].face >= 0) l->groups_of[fill[groups[i].face]++] = (long)i;
    free(fill);
    return GS_OK;
}

/* The face cut thresholds of the levels (households). */
static long level_threshold(const gs__pbounds *b, int level) {
    return level == 0 ? -1 : level == 1 ? b->lo / 2 : 0;
}

/* 1 when `level` cuts some face that the level before left whole. */
static int level_cuts(const layout *l, const gs__pbounds *b, int level) {
    if (level == 0) return 1;
    for (size_t f = 0; f < l->faces.n; f++) {
        long hh = l->faces.u[f].hh;
        if (l->start[f + 1] - l->start[f] < 2) continue;
        if (level == 1 ? hh > level_threshold(b, 1)
                       : hh <= level_threshold(b, 1))
            return 1;
    }
    return 0;
}

/* The units and arcs of `level` into gr (emptied first). */
static int layout_units(layout *l, const gs__pbounds *b, int level, graph *gr) {
    GEOSContextHandle_t h = l->faces.h;
    gs__pgroup *groups = l->groups;
    graph_free(gr);
    gr->h = h;
    gr->faces = &l->faces;
    if (level == 0) {
        for (size_t f = 0; f < l->faces.n; f++) {
            GEOSGeometry *c = GEOSGeom_clone_r(h, l->faces.u[f].g);
            if (!c || add_unit(gr, c, (long)f)) return GS_ERR_INTERNAL;
            gr->u[f].hh = l->faces.u[f].hh;
        }
        for (size_t i = 0; i < l->n_groups; i++) {
            groups[i].unit = groups[i].face;
            if (groups[i].face >= 0)
                gr->u[groups[i].face].persons += groups[i].persons;
        }
    } else {
        for (size_t i = 0; i < l->n_groups; i++) groups[i].unit = -1;
        if (make_units(gr, &l->faces, groups, l->n_groups, l->start,
                       l->groups_of, level_threshold(b, level)))
            return GS_ERR_INTERNAL;
    }
    return make_arcs(gr) ? GS_ERR_NOMEM : GS_OK;
}

int gs__pdivide(GEOSContextHandle_t h, const GEOSGeometry *region,
                const GEOSGeometry *const *lines, size_t n_lines,
                gs__pgroup *groups, size_t n_groups, const long *ks, int n_ks,
                const gs__pbounds *b, uint64_t seed, gs__pdiv *out) {
    layout l;
    graph gr;
    long *part = NULL;
    long best_miss = -1;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&gr, 0, sizeof gr);
    gr.h = h;
    rc = layout_make(h, region, lines, n_lines, groups, n_groups, &l);
    int last = 0;
    for (int level = 0; !rc && level < 3; level++)
        if (level_cuts(&l, b, level)) last = level;
    for (int level = 0; !rc && level < 3 && best_miss != 0; level++) {
        /* The finest level gets more draws: nothing finer follows. */
        int tries = (level == last ? 4 * RETRIES : RETRIES) * n_ks;
        if (!level_cuts(&l, b, level)) continue;
        if ((rc = layout_units(&l, b, level, &gr))) break;
        free(part);
        part = gs__malloc((gr.n ? gr.n : 1) * sizeof *part);
        if (!part) {
            rc = GS_ERR_NOMEM;
            break;
        }
        for (int t = 0;
             t < tries + (level == last ? n_ks : 0) && best_miss != 0; t++) {
            int q = t % n_ks;
            long miss;
            if (t >= tries) { /* last resort on a small graph */
                int x = exact(&gr, b, ks[q], part);
                if (x < 0) {
                    rc = GS_ERR_NOMEM;
                    break;
                }
                if (x == 0) continue;
                miss = 0;
            } else {
                miss = bisect_all(&gr, b, ks[q],
                                  seed + (uint64_t)(level * 64 + t), part);
                if (miss > 0) miss = repair(&gr, b, ks[q], part);
            }
            if (miss == 0 && gr.n <= POLISH_UNITS &&
                polish(&gr, b, ks[q], part)) {
                rc = GS_ERR_NOMEM;
                break;
            }
            if (miss < 0) {
                rc = GS_ERR_NOMEM;
                break;
            }
            if (best_miss < 0 || miss < best_miss) {
                gs__pdiv_free(h, out);
                if (make_result(&gr, region, groups, n_groups, part, ks[q],
                                out)) {
                    rc = GS_ERR_INTERNAL;
                    break;
                }
                out->misses = miss;
                out->level = level;
                best_miss = miss;
            }
        }
    }
    layout_free(&l);
    graph_free(&gr);
    free(part);
    return rc;
}

int gs__prebalance(GEOSContextHandle_t h, const GEOSGeometry *region,
                   const GEOSGeometry *const *lines, size_t n_lines,
                   const GEOSGeometry *const *owners, long k,
                   gs__pgroup *groups, size_t n_groups, const gs__pbounds *b,
                   gs__pdiv *out) {
    layout l;
    graph gr;
    long *part = NULL, miss;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&gr, 0, sizeof gr);
    gr.h = h;
    rc = layout_make(h, region, lines, n_lines, groups, n_groups, &l);
    if (!rc) rc = layout_units(&l, b, 2, &gr);
    if (rc) goto done;
    part = gs__malloc((gr.n ? gr.n : 1) * sizeof *part);
    if (!part) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    /* Each unit starts in the owner holding its inner point. */
    for (size_t i = 0; i < gr.n; i++) {
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, gr.u[i].x, gr.u[i].y);
        double bd = INFINITY;
        part[i] = 0;
        for (long o = 0; p && o < k; o++) {
            double d;
            if (GEOSIntersects_r(h, owners[o], p) == 1) {
                part[i] = o;
                break;
            }
            if (GEOSDistance_r(h, owners[o], p, &d) && d < bd) {
                bd = d;
                part[i] = o;
            }
        }
        GEOSGeom_destroy_r(h, p);
    }
    miss = repair(&gr, b, k, part);
    if (miss < 0) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    if (make_result(&gr, region, groups, n_groups, part, k, out)) {
        rc = GS_ERR_INTERNAL;
        goto done;
    }
    out->misses = miss;
    out->level = 2;
done:
    layout_free(&l);
    graph_free(&gr);
    free(part);
    return rc;
}
