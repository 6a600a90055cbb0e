/*
 * divide.c - dividing one region into parts within bounds.
 *
 * The engine under `gridsmith partition`, for a whole community and, in a
 * re-division, for a grid to split or a cluster to redesign.
 *
 *   1. Faces. The region's boundary and the barrier lines inside it are
 *      noded and polygonized (faces.c); the faces inside the region tile
 *      it, and any union of faces follows barriers and never leaves the
 *      region.
 *   2. Units. Groups (a building's households) go to the face holding
 *      their point. At level 0 each face is one unit; at level 1 faces
 *      holding more than half the minimum are cut into the Voronoi cells of
 *      their buildings, at level 2 every face with two or more buildings
 *      (building_cells.c). A unit is indivisible, so a building is never
 *      split.
 *   3. Graph. Units sharing boundary are joined by an arc weighted by the
 *      shared length (piece_graph.c); an arc between two faces lies on a
 *      barrier. Components of a multipart region are joined by zero-length
 *      arcs.
 *   4. Bisection (bisection.c): random spanning trees, cut where both
 *      sides can hold their share of parts and the cut is cheapest, then
 *      repair by single moves (repair.c), and on small graphs an
 *      exhaustive search as the last resort (exact_search.c).
 *   5. Levels. Level 0 first (follows barriers only); finer levels only
 *      when it misses the bounds. The first division without misses wins;
 *      its parts become polygons (part_shapes.c).
 *
 * Deterministic: the random trees come from a splitmix64 stream of the
 * caller's seed (seeds.c), and every choice breaks ties by index.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "piece_graph.h"

/* Fresh draws of the trees per level and part count before going finer. */
#define RETRIES 4
/* Boundaries are polished on graphs up to this many units. */
#define POLISH_UNITS 20000

int gs__partition_pick_ks(long total, const gs__partition_bounds *b, long *ks,
                          int max) {
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

/* A region's faces and the groups in each. */
typedef struct layout {
    graph faces;
    long *start; /* face f's groups are groups_of[start[f]..start[f+1]) */
    long *groups_of;
    gs__building_group *groups;
    size_t n_groups;
} layout;

static void layout_free(layout *l) {
    gs__graph_free(&l->faces);
    free(l->start);
    free(l->groups_of);
    memset(l, 0, sizeof *l);
}

/* Faces of the region cut by the lines, each group placed in one. */
static int layout_make(GEOSContextHandle_t h, const GEOSGeometry *region,
                       const GEOSGeometry *const *lines, size_t n_lines,
                       gs__building_group *groups, size_t n_groups, layout *l) {
    graph *faces = &l->faces;
    long *fill;
    memset(l, 0, sizeof *l);
    faces->h = h;
    l->groups = groups;
    l->n_groups = n_groups;
    if (gs__graph_faces(faces, region, lines, n_lines)) return GS_ERR_INTERNAL;
    l->start = gs__calloc(faces->n + 1, sizeof *l->start);
    l->groups_of = gs__malloc((n_groups ? n_groups : 1) * sizeof *l->groups_of);
    fill = gs__malloc((faces->n + 1) * sizeof *fill);
    if (!l->start || !l->groups_of || !fill) {
        free(fill);
        return GS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_groups; i++) {
        groups[i].face =
            gs__graph_locate(faces, 0, faces->n, groups[i].x, groups[i].y);
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
static long level_threshold(const gs__partition_bounds *b, int level) {
    return level == 0 ? -1 : level == 1 ? b->lo / 2 : 0;
}

/* 1 when `level` cuts some face that the level before left whole. */
static int level_cuts(const layout *l, const gs__partition_bounds *b,
                      int level) {
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

/* The units and arcs of `level` into gr (emptied first); every group's
 * shape lies whole in its unit (keep_whole.c). */
static int layout_units(layout *l, const gs__partition_bounds *b, int level,
                        const GEOSGeometry *region, graph *gr) {
    GEOSContextHandle_t h = l->faces.h;
    gs__building_group *groups = l->groups;
    gs__graph_free(gr);
    gr->h = h;
    gr->faces = &l->faces;
    if (level == 0) {
        for (size_t f = 0; f < l->faces.n; f++) {
            GEOSGeometry *c = GEOSGeom_clone_r(h, l->faces.u[f].g);
            if (!c || gs__graph_add_unit(gr, c, (long)f))
                return GS_ERR_INTERNAL;
        }
        for (size_t i = 0; i < l->n_groups; i++)
            groups[i].unit = groups[i].face;
    } else {
        for (size_t i = 0; i < l->n_groups; i++) groups[i].unit = -1;
        if (gs__graph_cells(gr, &l->faces, groups, l->n_groups, l->start,
                            l->groups_of, level_threshold(b, level)))
            return GS_ERR_INTERNAL;
    }
    if (gs__graph_keep_whole(gr, region, groups, l->n_groups))
        return GS_ERR_INTERNAL;
    for (size_t u = 0; u < gr->n; u++) gr->u[u].hh = gr->u[u].persons = 0;
    for (size_t i = 0; i < l->n_groups; i++)
        if (groups[i].unit >= 0) {
            gr->u[groups[i].unit].hh += groups[i].hh;
            gr->u[groups[i].unit].persons += groups[i].persons;
        }
    return gs__graph_arcs(gr) ? GS_ERR_NOMEM : GS_OK;
}

/* A division under way: what it divides, into how many parts, and the
 * best result so far. */
typedef struct division {
    const GEOSGeometry *region;
    const long *ks; /* the part counts to try, in order */
    int n_ks;
    const gs__partition_bounds *b;
    uint64_t seed;
    layout l;
    graph gr;       /* the units of the level being tried */
    long best_miss; /* misses of *out; -1 while there is none */
    gs__division *out;
} division;

/* One try on the current level into part[]: the trees and the repair, or
 * the exhaustive search when `exact`. The misses; -1 out of memory; -2
 * when the search found nothing. */
static long try_once(division *d, long k, uint64_t seed, int exact,
                     long *part) {
    long miss;
    if (exact) {
        int x = gs__exact(&d->gr, d->b, k, part);
        if (x <= 0) return x < 0 ? -1 : -2;
        miss = 0;
    } else {
        miss = gs__bisect(&d->gr, d->b, k, seed, part);
        if (miss > 0) miss = gs__repair(&d->gr, d->b, k, part);
    }
    if (miss == 0 && d->gr.n <= POLISH_UNITS &&
        gs__partition_polish(&d->gr, d->b, k, part))
        return -1;
    return miss;
}

/* The tries of one level (the finest gets more, and the exhaustive search
 * last), each better result kept in d->out. */
static int divide_level(division *d, int level, int finest) {
    int n_ks = d->n_ks, tries = (finest ? 4 * RETRIES : RETRIES) * n_ks;
    long *part = NULL;
    int rc;
    if ((rc = layout_units(&d->l, d->b, level, d->region, &d->gr))) return rc;
    part = gs__malloc((d->gr.n ? d->gr.n : 1) * sizeof *part);
    if (!part) return GS_ERR_NOMEM;
    for (int t = 0; t < tries + (finest ? n_ks : 0) && d->best_miss != 0; t++) {
        long k = d->ks[t % n_ks];
        long miss = try_once(d, k, d->seed + (uint64_t)(level * 64 + t),
                             t >= tries, part);
        if (miss == -2) continue;
        if (miss < 0) {
            rc = GS_ERR_NOMEM;
            break;
        }
        if (d->best_miss >= 0 && miss >= d->best_miss) continue;
        gs__division_free(d->gr.h, d->out);
        if (gs__division_parts(&d->gr, d->region, d->l.groups, d->l.n_groups,
                               part, k, d->out)) {
            rc = GS_ERR_INTERNAL;
            break;
        }
        d->out->misses = miss;
        d->out->level = level;
        d->best_miss = miss;
    }
    free(part);
    return rc;
}

int gs__divide_region(GEOSContextHandle_t h, const GEOSGeometry *region,
                      const GEOSGeometry *const *lines, size_t n_lines,
                      gs__building_group *groups, size_t n_groups,
                      const long *ks, int n_ks, const gs__partition_bounds *b,
                      uint64_t seed, gs__division *out) {
    division d;
    int rc, last = 0;
    memset(out, 0, sizeof *out);
    memset(&d, 0, sizeof d);
    d.region = region;
    d.ks = ks;
    d.n_ks = n_ks;
    d.b = b;
    d.seed = seed;
    d.gr.h = h;
    d.best_miss = -1;
    d.out = out;
    rc = layout_make(h, region, lines, n_lines, groups, n_groups, &d.l);
    for (int level = 0; !rc && level < 3; level++)
        if (level_cuts(&d.l, b, level)) last = level;
    for (int level = 0; !rc && level < 3 && d.best_miss != 0; level++)
        if (level_cuts(&d.l, b, level))
            rc = divide_level(&d, level, level == last);
    layout_free(&d.l);
    gs__graph_free(&d.gr);
    return rc;
}

/* Each unit's starting part: the owner holding its inner point, else the
 * nearest. */
static void start_in_owners(const graph *gr, const GEOSGeometry *const *owners,
                            long k, long *part) {
    GEOSContextHandle_t h = gr->h;
    for (size_t i = 0; i < gr->n; i++) {
        GEOSGeometry *p =
            GEOSGeom_createPointFromXY_r(h, gr->u[i].x, gr->u[i].y);
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
}

int gs__partition_prebalance(GEOSContextHandle_t h, const GEOSGeometry *region,
                             const GEOSGeometry *const *lines, size_t n_lines,
                             const GEOSGeometry *const *owners, long k,
                             gs__building_group *groups, size_t n_groups,
                             const gs__partition_bounds *b, gs__division *out) {
    layout l;
    graph gr;
    long *part = NULL, miss;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&gr, 0, sizeof gr);
    gr.h = h;
    rc = layout_make(h, region, lines, n_lines, groups, n_groups, &l);
    if (!rc) rc = layout_units(&l, b, 2, region, &gr);
    if (rc) goto done;
    part = gs__malloc((gr.n ? gr.n : 1) * sizeof *part);
    if (!part) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    start_in_owners(&gr, owners, k, part);
    miss = gs__repair(&gr, b, k, part);
    if (miss < 0) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    if (gs__division_parts(&gr, region, groups, n_groups, part, k, out)) {
        rc = GS_ERR_INTERNAL;
        goto done;
    }
    out->misses = miss;
    out->level = 2;
done:
    layout_free(&l);
    gs__graph_free(&gr);
    free(part);
    return rc;
}
