/*
 * building_cells.c - cutting crowded faces into the cells of their
 * buildings, the finer units of levels 1 and 2 of a division.
 *
 * A face is cut into the Voronoi cells of its groups' places (one per
 * building; points within 1 mm are one), each clipped to the face and cut
 * again by the lines inside the face that close nothing, so a cell does
 * not straddle a dead-end wall. Every group then lies in one cell and a
 * building is never split. Where GEOS cannot cut a face, or it holds one
 * place only, the face stays whole: a coarser unit, never a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>

#include "piece_graph.h"

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
                        const GEOSGeometry *dangles, gs__building_group *groups,
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
            if (gs__graph_add_polygons(gr, x, face)) goto done;
            for (size_t u = before; u < gr->n; u++) gr->u[u].cell = gr->n_cells;
            gr->n_cells++;
        }
    }
    if (gr->n == first) {
        rc = 1;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        groups[gi[i]].unit = gs__graph_locate(gr, first, gr->n, groups[gi[i]].x,
                                              groups[gi[i]].y);
    rc = 0;
done:
    for (size_t i = 0; i < np; i++) GEOSGeom_destroy_r(h, pts[i]);
    free(pts);
    free(r);
    GEOSGeom_destroy_r(h, mp);
    GEOSGeom_destroy_r(h, vd);
    return rc;
}

int gs__graph_cells(graph *gr, graph *faces, gs__building_group *groups,
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
            if (!c || gs__graph_add_unit(gr, c, (long)f)) return -1;
            for (size_t i = 0; i < n; i++) groups[gi[i]].unit = (long)gr->n - 1;
        }
    }
    for (size_t i = 0; i < n_groups; i++) {
        const gs__building_group *g = &groups[i];
        if (g->unit < 0) continue;
        gr->u[g->unit].hh += g->hh;
        gr->u[g->unit].persons += g->persons;
    }
    return 0;
}
