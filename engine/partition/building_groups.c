/*
 * building_groups.c - the indivisible pieces of a partition: households
 * grouped by building, each group placed in a community.
 *
 * A building's households are never split: they become one group at
 * their mean point (a household without a building is a group of its
 * own). Groups come in building-id order (then input order), so a run is
 * repeatable whatever the input order of the households; each is placed
 * in the first community, in model order, whose polygon holds its point.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "partition.h"

/* The groups of the sorted keys: households with one building id are one
 * group; a household without one is a group of its own. Returns the count
 * of groups written to g. */
static size_t group_keys(const gs__model *m, const gs__strix *keys, size_t n,
                         gs__building_group *g) {
    size_t ng = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        gs__building_group *q = &g[ng++];
        memset(q, 0, sizeof *q);
        if (keys[i].s[0]) {
            while (j < n && !strcmp(keys[j].s, keys[i].s)) j++;
            q->building = keys[i].s;
        }
        for (size_t k = i; k < j; k++) {
            const gs__household *hh = &m->households[keys[k].i];
            q->x += hh->x;
            q->y += hh->y;
            q->hh++;
            if (hh->persons_ok) q->persons += hh->persons;
        }
        q->x /= (double)q->hh;
        q->y /= (double)q->hh;
        i = j;
    }
    return ng;
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

int gs__building_groups_make(gs_ctx *ctx, const gs__model *m,
                             gs__building_group **groups, size_t *n_groups,
                             long **gcomm, long *unplaced) {
    size_t n = m->n_households, ng;
    gs__strix *keys = gs__malloc((n ? n : 1) * sizeof *keys);
    gs__building_group *g = gs__malloc((n ? n : 1) * sizeof *g);
    long *gc = gs__malloc((n ? n : 1) * sizeof *gc);
    int rc = GS_OK;

    *groups = NULL;
    *gcomm = NULL;
    *n_groups = 0;
    *unplaced = 0;
    if (!keys || !g || !gc) goto nomem;
    for (size_t i = 0; i < n; i++) {
        const char *b = m->households[i].building_id;
        keys[i] = (gs__strix){b ? b : "", i};
    }
    qsort(keys, n, sizeof *keys, gs__strix_cmp);
    ng = group_keys(m, keys, n, g);
    if (place_groups(ctx->geos, m, g, ng, gc, unplaced)) goto nomem;
    *groups = g;
    *gcomm = gc;
    *n_groups = ng;
    g = NULL;
    gc = NULL;
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    free(keys);
    free(g);
    free(gc);
    return rc;
}
