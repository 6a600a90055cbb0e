/*
 * keep_whole.c - no piece of a division crosses a building: each group's
 * shape (its footprint, or the hull of its households' points) is given
 * whole to the unit holding the group, and cut out of every other unit.
 *
 * Faces follow the barriers and building cells the Voronoi diagram of
 * the buildings' points; either may run through a footprint (a building
 * over a service road, two blocks close together). Any union of units
 * then keeps each footprint in one grid, so no grid line cuts a building
 * and every household point lies in the grid that counts it. A unit left
 * in pieces becomes one unit per piece, each group in the piece holding
 * its point; a shape reaching outside the region is clipped to it (the
 * part outside belongs to another community and is reported there).
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "piece_graph.h"

/* One unit's change: shape `s` cut out of (add 0) or given to (add 1)
 * unit `u`. */
typedef struct edit {
    size_t u;
    size_t s;
    int add;
} edit;

static int cmp_edit(const void *a, const void *b) {
    const edit *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    if (x->add != y->add) return x->add - y->add;
    return x->s < y->s ? -1 : x->s > y->s;
}

static int env_within(const double *in, const double *out) {
    return in[0] >= out[0] && in[1] >= out[1] && in[2] <= out[2] &&
           in[3] <= out[3];
}

static void env_of(GEOSContextHandle_t h, const GEOSGeometry *g, double *e) {
    GEOSGeom_getXMin_r(h, g, &e[0]);
    GEOSGeom_getYMin_r(h, g, &e[1]);
    GEOSGeom_getXMax_r(h, g, &e[2]);
    GEOSGeom_getYMax_r(h, g, &e[3]);
}

/* The union of the shapes of edits e[0..n) (borrowed); NULL on failure. */
static GEOSGeometry *union_of(GEOSContextHandle_t h, GEOSGeometry **shapes,
                              const edit *e, size_t n) {
    GEOSGeometry **v = gs__malloc(n * sizeof *v), *coll, *u;
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i] = GEOSGeom_clone_r(h, shapes[e[i].s]);
        if (!v[i]) {
            while (i-- > 0) GEOSGeom_destroy_r(h, v[i]);
            free(v);
            return NULL;
        }
    }
    coll =
        GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, v, (unsigned)n);
    free(v);
    if (!coll) return NULL;
    u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return u;
}

/* The units anew from gr's, each edited unit in its pieces; groups
 * relocated. -1 on failure. */
static int rebuild(graph *gr, GEOSGeometry **newg, gs__building_group *groups,
                   size_t n_groups) {
    GEOSContextHandle_t h = gr->h;
    graph ng;
    size_t n = gr->n, *first = gs__malloc((n + 1) * sizeof *first);
    int rc = -1;
    memset(&ng, 0, sizeof ng);
    ng.h = h;
    if (!first) return -1;
    for (size_t i = 0; i < n; i++) {
        first[i] = ng.n;
        if (!newg[i]) { /* unchanged: the unit moves over */
            if (ng.n == ng.cap) {
                size_t nc = ng.cap ? 2 * ng.cap : 32;
                unit *nu = gs__realloc(ng.u, nc * sizeof *nu);
                if (!nu) goto done;
                ng.u = nu;
                ng.cap = nc;
            }
            ng.u[ng.n++] = gr->u[i];
            gr->u[i].g = NULL;
            continue;
        }
        {
            size_t before = ng.n;
            long face = gr->u[i].face, cell = gr->u[i].cell;
            GEOSGeometry *g = newg[i], *q;
            newg[i] = NULL;
            /* on the 1 mm grid the grids are written on: a neck thinner
             * than that would part there, so the unit parts here */
            q = GEOSGeom_setPrecision_r(h, g, 1e-3, 0);
            if (q) {
                GEOSGeom_destroy_r(h, g);
                g = q;
            }
            if (gs__graph_add_polygons(&ng, gs__geom_polygonal(h, g), face))
                goto done;
            for (size_t k = before; k < ng.n; k++) ng.u[k].cell = cell;
        }
    }
    first[n] = ng.n;
    for (size_t i = 0; i < n_groups; i++) {
        long u = groups[i].unit;
        if (u < 0) continue;
        groups[i].unit = first[u + 1] == first[u] + 1
                             ? (long)first[u]
                             : gs__graph_locate(&ng, first[u], first[u + 1],
                                                groups[i].x, groups[i].y);
        if (groups[i].unit < 0) /* the unit vanished: the nearest */
            groups[i].unit =
                gs__graph_locate(&ng, 0, ng.n, groups[i].x, groups[i].y);
    }
    for (size_t i = 0; i < n; i++) GEOSGeom_destroy_r(h, gr->u[i].g);
    free(gr->u);
    gr->u = ng.u;
    gr->n = ng.n;
    gr->cap = ng.cap;
    ng.u = NULL;
    ng.n = 0;
    rc = 0;
done:
    gs__graph_free(&ng);
    free(first);
    return rc;
}

int gs__graph_keep_whole(graph *gr, const GEOSGeometry *region,
                         gs__building_group *groups, size_t n_groups) {
    GEOSContextHandle_t h = gr->h;
    GEOSGeometry **shapes = NULL, **newg = NULL;
    const GEOSPreparedGeometry *preg = NULL;
    GEOSSTRtree *tree = NULL;
    size_t *ids = NULL, ns = 0, ne = 0, cap_e = 0, n_units = gr->n;
    edit *e = NULL;
    gs__cands c;
    int rc = -1;

    memset(&c, 0, sizeof c);
    shapes = gs__calloc(n_groups ? n_groups : 1, sizeof *shapes);
    if (!shapes) return -1;
    for (size_t i = 0; i < n_groups; i++) {
        const gs__building_group *g = &groups[i];
        const unit *u;
        double se[4];
        GEOSGeometry *s;
        size_t si;
        if (!g->shape || g->unit < 0) continue;
        u = &gr->u[g->unit];
        env_of(h, g->shape, se);
        if (env_within(se, u->env) && GEOSContains_r(h, u->g, g->shape) == 1)
            continue;
        if (!preg && !(preg = GEOSPrepare_r(h, region))) goto done;
        s = GEOSPreparedContains_r(h, preg, g->shape) == 1
                ? GEOSGeom_clone_r(h, g->shape)
                : GEOSIntersection_r(h, g->shape, region);
        if (!s) goto done;
        if (gs__geom_area(h, s) <= 1e-9) {
            GEOSGeom_destroy_r(h, s);
            continue;
        }
        /* owned by shapes[] from here, so a failure below frees it */
        si = ns;
        shapes[ns++] = s;
        if (!tree) {
            tree = gs__strtree_of(h, gr->u, gr->n, sizeof *gr->u,
                                  offsetof(unit, g), &ids);
            if (!tree) goto done;
        }
        if (gs__strtree_query(h, tree, s, &c)) goto done;
        for (size_t k = 0; k <= c.n; k++) {
            size_t v = k < c.n ? c.v[k] : (size_t)g->unit;
            int add = k == c.n;
            if (!add) {
                GEOSGeometry *x;
                double a = 0;
                if (v == (size_t)g->unit ||
                    GEOSIntersects_r(h, gr->u[v].g, s) != 1)
                    continue;
                x = GEOSIntersection_r(h, gr->u[v].g, s);
                if (x) GEOSArea_r(h, x, &a);
                GEOSGeom_destroy_r(h, x);
                if (a <= 1e-9) continue;
            }
            if (ne == cap_e) {
                size_t nc = cap_e ? 2 * cap_e : 64;
                edit *n2 = gs__realloc(e, nc * sizeof *n2);
                if (!n2) goto done;
                e = n2;
                cap_e = nc;
            }
            e[ne++] = (edit){v, si, add};
        }
    }
    if (ne == 0) {
        rc = 0;
        goto done;
    }
    qsort(e, ne, sizeof *e, cmp_edit);
    newg = gs__calloc(gr->n, sizeof *newg);
    if (!newg) goto done;
    for (size_t a = 0; a < ne;) {
        size_t b = a, mid;
        GEOSGeometry *g;
        while (b < ne && e[b].u == e[a].u) b++;
        for (mid = a; mid < b && !e[mid].add; mid++) {
        }
        g = GEOSGeom_clone_r(h, gr->u[e[a].u].g);
        if (!g) goto done;
        if (mid > a) { /* cut the others' shapes out */
            GEOSGeometry *cut = union_of(h, shapes, e + a, mid - a), *d;
            if (!cut) {
                GEOSGeom_destroy_r(h, g);
                goto done;
            }
            d = GEOSDifference_r(h, g, cut);
            GEOSGeom_destroy_r(h, cut);
            GEOSGeom_destroy_r(h, g);
            if (!d) goto done;
            g = d;
        }
        if (b > mid) { /* take its own whole */
            GEOSGeometry *own = union_of(h, shapes, e + mid, b - mid), *u;
            if (!own) {
                GEOSGeom_destroy_r(h, g);
                goto done;
            }
            u = GEOSUnion_r(h, g, own);
            GEOSGeom_destroy_r(h, own);
            GEOSGeom_destroy_r(h, g);
            if (!u) goto done;
            g = u;
        }
        newg[e[a].u] = g;
        a = b;
    }
    rc = rebuild(gr, newg, groups, n_groups);
done:
    for (size_t i = 0; newg && i < n_units; i++) GEOSGeom_destroy_r(h, newg[i]);
    free(newg);
    for (size_t i = 0; i < ns; i++) GEOSGeom_destroy_r(h, shapes[i]);
    free(shapes);
    free(e);
    free(ids);
    gs__cands_free(&c);
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    if (preg) GEOSPreparedGeom_destroy_r(h, preg);
    return rc;
}
