/*
 * faces.c - the units of a division and the first of them, the faces: the
 * region's boundary and the barrier lines inside it, noded and
 * polygonized.
 *
 * The faces inside the region tile it, and any union of faces follows
 * barriers and never leaves the region. Without lines (or when noding
 * leaves nothing) the region's own polygons are the faces. The noded
 * lines are kept: those inside a face that close nothing (a river broken
 * by a bridge gap) cut its building cells later (building_cells.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "piece_graph.h"

void gs__graph_free(graph *g) {
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

int gs__graph_add_unit(graph *g, GEOSGeometry *p, long face) {
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

int gs__graph_add_polygons(graph *gr, GEOSGeometry *g, long face) {
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
        rc = gs__graph_add_unit(gr, GEOSGeom_clone_r(h, p), face);
    }
    GEOSGeom_destroy_r(h, g);
    return rc;
}

int gs__graph_faces(graph *gr, const GEOSGeometry *region,
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
                rc =
                    gs__graph_add_unit(gr, GEOSGeom_clone_r(h, f), (long)gr->n);
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
            rc = gs__graph_add_unit(gr, GEOSGeom_clone_r(h, p), (long)gr->n);
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

long gs__graph_locate(const graph *gr, size_t first, size_t last, double x,
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
