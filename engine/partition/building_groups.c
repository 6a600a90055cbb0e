/*
 * building_groups.c - the indivisible pieces of a partition: households
 * grouped by building, each group with the shape it must be kept whole
 * in, placed in a community.
 *
 * A building's households are never split, wherever their points stand:
 *
 *   - with footprints (m->buildings), a household belongs to the
 *     footprint its building_id names, else to the footprint holding its
 *     point; each footprint is a group, with households or none, placed
 *     at a point inside it, and its shape is the footprint (plus a small
 *     square around each of its households standing outside it, an
 *     entrance on the street);
 *   - without, households sharing a building_id are one group at their
 *     mean point, and where their points differ its shape is their convex
 *     hull, widened by SHAPE_MARGIN;
 *   - a household without a building is a group of its own.
 *
 * Groups whose shapes overlap (footprints drawn over each other, a
 * building's households standing in another's footprint) become one
 * group: no line can run between them. A division then keeps every
 * shape inside the grid of its group (keep_whole.c), so the grid
 * polygons hold every point of their households, as validate counts
 * them. Groups come in key order (then input order), so a run is
 * repeatable whatever the input order; each is placed in the first
 * community, in model order, whose polygon holds its point.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "partition.h"

/* Households this far from their building's points still lie inside its
 * shape: a grid boundary never runs closer to a household it leaves out. */
#define SHAPE_MARGIN 0.5

/* One entry to group: a household (i < n_households) or a footprint. */
typedef struct gkey {
    const char *s;
    size_t i;
} gkey;

static int cmp_gkey(const void *a, const void *b) {
    const gkey *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The footprint holding household point (x, y), or -1. */
static long footprint_at(GEOSContextHandle_t h, const gs__model *m,
                         GEOSSTRtree *tree, gs__cands *c, double x, double y) {
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, x, y);
    long found = -1;
    if (!p) return -1;
    if (!gs__strtree_query(h, tree, p, c))
        for (size_t k = 0; k < c->n && found < 0; k++)
            if (GEOSIntersects_r(h, m->buildings[c->v[k]].geom, p) == 1)
                found = (long)c->v[k];
    GEOSGeom_destroy_r(h, p);
    return found;
}

/* The keys: each household's building (its building_id when a footprint
 * has it, else the footprint holding its point, else its building_id),
 * then one per footprint. GS_ERR_NOMEM. */
static int make_keys(GEOSContextHandle_t h, const gs__model *m, gkey *keys) {
    size_t nh = m->n_households, nb = m->n_buildings, *ids = NULL;
    gs__strix *bix = gs__malloc((nb ? nb : 1) * sizeof *bix);
    GEOSSTRtree *tree = NULL;
    gs__cands c;
    int rc = GS_ERR_NOMEM;
    memset(&c, 0, sizeof c);
    if (!bix) return rc;
    for (size_t b = 0; b < nb; b++) bix[b] = (gs__strix){m->buildings[b].id, b};
    qsort(bix, nb, sizeof *bix, gs__strix_cmp);
    if (nb) {
        tree = gs__strtree_of(h, m->buildings, nb, sizeof *m->buildings,
                              offsetof(gs__building, geom), &ids);
        if (!tree) goto done;
    }
    for (size_t i = 0; i < nh; i++) {
        const gs__household *hh = &m->households[i];
        const char *b = hh->building_id ? hh->building_id : "";
        keys[i] = (gkey){b, i};
        if (!nb) continue;
        if (b[0] && gs__strix_lookup(bix, nb, b) >= 0) continue;
        if (!b[0]) {
            long f = footprint_at(h, m, tree, &c, hh->x, hh->y);
            if (f >= 0) keys[i].s = m->buildings[f].id;
        }
    }
    for (size_t b = 0; b < nb; b++)
        keys[nh + b] = (gkey){m->buildings[b].id, nh + b};
    rc = GS_OK;
done:
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    free(ids);
    gs__cands_free(&c);
    free(bix);
    return rc;
}

/* The union of `n` geometries (taken); NULL on failure. */
static GEOSGeometry *union_all(GEOSContextHandle_t h, GEOSGeometry **v,
                               unsigned n) {
    GEOSGeometry *coll, *u;
    if (n == 1) return v[0];
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, v, n);
    if (!coll) {
        for (unsigned i = 0; i < n; i++) GEOSGeom_destroy_r(h, v[i]);
        return NULL;
    }
    u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return u ? gs__geom_polygonal(h, u) : NULL;
}

/* The shape of the group of keys[i..j): its footprints and a square
 * around each household outside them, or the widened hull of its
 * households' points; NULL when it has none (one point). -1 on failure. */
static int group_shape(GEOSContextHandle_t h, const gs__model *m,
                       const gkey *keys, size_t i, size_t j,
                       GEOSGeometry **out) {
    size_t nh = m->n_households, nf = 0, np = 0;
    GEOSGeometry **parts = NULL, *foot = NULL, *inner = NULL;
    const GEOSPreparedGeometry *pf = NULL;
    unsigned n = 0; /* parts[0..n) held */
    int rc = -1;
    *out = NULL;
    for (size_t k = i; k < j; k++) {
        if (keys[k].i >= nh)
            nf++;
        else
            np++;
    }
    parts = gs__malloc((j - i + 1) * sizeof *parts);
    if (!parts) return -1;
    if (nf) {
        for (size_t k = i; k < j; k++)
            if (keys[k].i >= nh) {
                parts[n] =
                    GEOSGeom_clone_r(h, m->buildings[keys[k].i - nh].geom);
                if (!parts[n]) goto done;
                n++;
            }
        foot = union_all(h, parts, n);
        n = 0; /* taken */
        if (!foot) goto done;
        /* a household within the margin of the outline (an entrance)
         * gets its square: a grid line along the wall would pass through
         * its point */
        inner = GEOSBuffer_r(h, foot, -SHAPE_MARGIN, 2);
        if (!inner) goto done;
        pf = GEOSPrepare_r(h, inner);
        if (!pf) goto done;
        n = 0;
        parts[n++] = foot;
        foot = NULL;
        for (size_t k = i; k < j; k++) {
            const gs__household *hh;
            GEOSGeometry *p;
            if (keys[k].i >= nh) continue;
            hh = &m->households[keys[k].i];
            p = GEOSGeom_createPointFromXY_r(h, hh->x, hh->y);
            if (!p) goto done;
            if (GEOSPreparedContainsProperly_r(h, pf, p) == 1) {
                GEOSGeom_destroy_r(h, p);
                continue;
            }
            GEOSGeom_destroy_r(h, p);
            parts[n] = GEOSGeom_createRectangle_r(
                h, hh->x - SHAPE_MARGIN, hh->y - SHAPE_MARGIN,
                hh->x + SHAPE_MARGIN, hh->y + SHAPE_MARGIN);
            if (!parts[n]) goto done;
            n++;
        }
        *out = union_all(h, parts, n);
        n = 0; /* taken */
        rc = *out ? 0 : -1;
        goto done;
    }
    if (np >= 2) {
        GEOSGeometry *mp, *hull;
        for (size_t k = i; k < j; k++) {
            const gs__household *hh = &m->households[keys[k].i];
            parts[n] = GEOSGeom_createPointFromXY_r(h, hh->x, hh->y);
            if (!parts[n]) goto done;
            n++;
        }
        mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, parts, n);
        if (!mp) goto done;
        n = 0; /* taken */
        hull = GEOSConvexHull_r(h, mp);
        GEOSGeom_destroy_r(h, mp);
        if (!hull) goto done;
        {
            double xmin, xmax, ymin, ymax;
            GEOSGeom_getXMin_r(h, hull, &xmin);
            GEOSGeom_getXMax_r(h, hull, &xmax);
            GEOSGeom_getYMin_r(h, hull, &ymin);
            GEOSGeom_getYMax_r(h, hull, &ymax);
            if (xmax - xmin < 1e-6 && ymax - ymin < 1e-6) {
                GEOSGeom_destroy_r(h, hull); /* one place: no shape */
                rc = 0;
                goto done;
            }
        }
        *out = GEOSBuffer_r(h, hull, SHAPE_MARGIN, 2);
        GEOSGeom_destroy_r(h, hull);
        rc = *out ? 0 : -1;
        goto done;
    }
    rc = 0;
done:
    while (n > 0) GEOSGeom_destroy_r(h, parts[--n]);
    if (pf) GEOSPreparedGeom_destroy_r(h, pf);
    GEOSGeom_destroy_r(h, inner);
    GEOSGeom_destroy_r(h, foot);
    free(parts);
    return rc;
}

/* The groups of the sorted keys into g; *ng of them. -1 on failure. */
static int group_keys(GEOSContextHandle_t h, const gs__model *m,
                      const gkey *keys, size_t n, gs__building_group *g,
                      size_t *ng) {
    size_t nh = m->n_households;
    *ng = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1, nf = 0;
        gs__building_group *q = &g[(*ng)++];
        memset(q, 0, sizeof *q);
        q->footprint = -1;
        if (keys[i].s[0]) {
            while (j < n && !strcmp(keys[j].s, keys[i].s)) j++;
            q->building = keys[i].s;
        }
        for (size_t k = i; k < j; k++) {
            if (keys[k].i >= nh) {
                const gs__building *b = &m->buildings[keys[k].i - nh];
                if (nf++ == 0) {
                    q->footprint = (long)(keys[k].i - nh);
                    q->name = b->name;
                }
                continue;
            }
            {
                const gs__household *hh = &m->households[keys[k].i];
                q->x += hh->x;
                q->y += hh->y;
                q->hh++;
                if (hh->persons_ok) q->persons += hh->persons;
            }
        }
        if (q->footprint >= 0) {
            q->x = m->buildings[q->footprint].x;
            q->y = m->buildings[q->footprint].y;
        } else {
            q->x /= (double)q->hh;
            q->y /= (double)q->hh;
        }
        if ((nf || q->hh >= 2) && group_shape(h, m, keys, i, j, &q->shape))
            return -1;
        i = j;
    }
    return 0;
}

/* Union-find over the groups. */
static size_t uf_find(size_t *p, size_t i) {
    while (p[i] != i) i = p[i] = p[p[i]];
    return i;
}

/* Groups whose shapes overlap (by more than a hundredth of a square
 * metre) merged into one: the largest keeps its place and names it. -1 on
 * failure. */
static int merge_overlaps(GEOSContextHandle_t h, gs__building_group *g,
                          size_t *ng) {
    size_t n = *ng, *ids = NULL, *par = gs__malloc((n ? n : 1) * sizeof *par);
    GEOSSTRtree *tree = NULL;
    gs__cands c;
    int rc = -1, any = 0;
    memset(&c, 0, sizeof c);
    if (!par) return -1;
    for (size_t i = 0; i < n; i++) par[i] = i;
    tree = gs__strtree_of(h, g, n, sizeof *g,
                          offsetof(gs__building_group, shape), &ids);
    if (!tree) goto done;
    for (size_t i = 0; i < n; i++) {
        if (!g[i].shape) continue;
        if (gs__strtree_query(h, tree, g[i].shape, &c)) goto done;
        for (size_t k = 0; k < c.n; k++) {
            size_t j = c.v[k];
            GEOSGeometry *x;
            double a = 0;
            if (j <= i || uf_find(par, i) == uf_find(par, j)) continue;
            if (GEOSIntersects_r(h, g[i].shape, g[j].shape) != 1) continue;
            x = GEOSIntersection_r(h, g[i].shape, g[j].shape);
            if (x) GEOSArea_r(h, x, &a);
            GEOSGeom_destroy_r(h, x);
            if (a > 0.01) {
                par[uf_find(par, j)] = uf_find(par, i);
                any = 1;
            }
        }
    }
    if (any) {
        size_t w = 0;
        /* into each root: households, persons, shapes; the largest
         * member's place and name */
        for (size_t i = 0; i < n; i++) {
            size_t r = uf_find(par, i);
            GEOSGeometry *two[2], *u;
            if (r == i) continue;
            if (g[i].hh > g[r].hh) {
                g[r].x = g[i].x;
                g[r].y = g[i].y;
                g[r].building = g[i].building;
                g[r].name = g[i].name;
                g[r].footprint = g[i].footprint;
            }
            g[r].hh += g[i].hh;
            g[r].persons += g[i].persons;
            g[r].merged += 1 + g[i].merged;
            two[0] = g[r].shape;
            two[1] = g[i].shape;
            g[r].shape = g[i].shape = NULL;
            u = union_all(h, two, 2);
            if (!u) goto done;
            g[r].shape = u;
        }
        for (size_t i = 0; i < n; i++)
            if (uf_find(par, i) == i) g[w++] = g[i];
        for (size_t i = w; i < n; i++) g[i].shape = NULL; /* moved */
        *ng = w;
    }
    rc = 0;
done:
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    free(ids);
    free(par);
    gs__cands_free(&c);
    return rc;
}

/* Each group's community: the first in model order holding its point, or
 * -1 (its households then count in *unplaced). GS_ERR_NOMEM, no
 * message. */
static int place_groups(GEOSContextHandle_t h, const gs__model *m,
                        const gs__building_group *g, size_t ng, long *gc,
                        long *unplaced) {
    size_t *ids = NULL;
    GEOSSTRtree *tree = gs__strtree_of(h, m->communities, m->n_communities,
                                       sizeof *m->communities,
                                       offsetof(gs__community, geom), &ids);
    gs__cands cands;
    int rc = GS_ERR_NOMEM;
    memset(&cands, 0, sizeof cands);
    if (!tree) goto done;
    for (size_t i = 0; i < ng; i++) {
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, g[i].x, g[i].y);
        gc[i] = -1;
        if (!p) goto done;
        if (gs__strtree_query(h, tree, p, &cands)) {
            GEOSGeom_destroy_r(h, p);
            goto done;
        }
        for (size_t k = 0; k < cands.n; k++)
            if (GEOSIntersects_r(h, m->communities[cands.v[k]].geom, p) == 1) {
                gc[i] = (long)cands.v[k];
                break;
            }
        GEOSGeom_destroy_r(h, p);
        if (gc[i] < 0) *unplaced += g[i].hh;
    }
    rc = GS_OK;
done:
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    gs__cands_free(&cands);
    free(ids);
    return rc;
}

void gs__building_groups_free(GEOSContextHandle_t h, gs__building_group *g,
                              size_t n) {
    for (size_t i = 0; g && i < n; i++) GEOSGeom_destroy_r(h, g[i].shape);
    free(g);
}

int gs__building_groups_make(gs_ctx *ctx, const gs__model *m,
                             gs__building_group **groups, size_t *n_groups,
                             long **gcomm, long *unplaced) {
    GEOSContextHandle_t h = ctx->geos;
    size_t n = m->n_households + m->n_buildings, ng = 0;
    gkey *keys = gs__malloc((n ? n : 1) * sizeof *keys);
    gs__building_group *g = gs__calloc(n ? n : 1, sizeof *g);
    long *gc = NULL;
    int rc = GS_OK;

    *groups = NULL;
    *gcomm = NULL;
    *n_groups = 0;
    *unplaced = 0;
    if (!keys || !g || make_keys(h, m, keys)) goto nomem;
    qsort(keys, n, sizeof *keys, cmp_gkey);
    if (group_keys(h, m, keys, n, g, &ng) || merge_overlaps(h, g, &ng))
        goto geos;
    gc = gs__malloc((ng ? ng : 1) * sizeof *gc);
    if (!gc || place_groups(h, m, g, ng, gc, unplaced)) goto nomem;
    *groups = g;
    *gcomm = gc;
    *n_groups = ng;
    g = NULL;
    gc = NULL;
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    goto done;
geos:
    rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                     "grouping households by building failed in GEOS");
done:
    free(keys);
    gs__building_groups_free(h, g, n);
    free(gc);
    return rc;
}
