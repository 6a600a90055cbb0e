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

#include "geom.h"
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

/* Each group in the face holding its point, and the faces' households
 * (faces->u[f].hh). */
static void place_in_faces(graph *faces, gs__building_group *groups,
                           size_t n_groups) {
    for (size_t f = 0; f < faces->n; f++) faces->u[f].hh = 0;
    for (size_t i = 0; i < n_groups; i++) {
        groups[i].face =
            gs__graph_locate(faces, 0, faces->n, groups[i].x, groups[i].y);
        if (groups[i].face >= 0) faces->u[groups[i].face].hh += groups[i].hh;
    }
}

/* Faces of the region cut by the lines, with their blocks, road
 * corridors shared out, each group placed in one. */
static int layout_make(GEOSContextHandle_t h, const GEOSGeometry *region,
                       const GEOSGeometry *const *lines, const int *cls,
                       size_t n_lines, gs__building_group *groups,
                       size_t n_groups, layout *l) {
    graph *faces = &l->faces;
    long *fill, *fhh;
    int changed = 0;
    memset(l, 0, sizeof *l);
    faces->h = h;
    l->groups = groups;
    l->n_groups = n_groups;
    if (gs__graph_faces(faces, region, lines, n_lines) ||
        gs__faces_blocks(faces, region, lines, cls, n_lines))
        return GS_ERR_INTERNAL;
    place_in_faces(faces, groups, n_groups);
    fhh = gs__malloc((faces->n ? faces->n : 1) * sizeof *fhh);
    if (!fhh) return GS_ERR_NOMEM;
    for (size_t f = 0; f < faces->n; f++) fhh[f] = faces->u[f].hh;
    if (gs__faces_absorb_corridors(faces, fhh, &changed)) {
        free(fhh);
        return GS_ERR_INTERNAL;
    }
    free(fhh);
    l->start = gs__calloc(faces->n + 1, sizeof *l->start);
    l->groups_of = gs__malloc((n_groups ? n_groups : 1) * sizeof *l->groups_of);
    fill = gs__malloc((faces->n + 1) * sizeof *fill);
    if (!l->start || !l->groups_of || !fill) {
        free(fill);
        return GS_ERR_NOMEM;
    }
    if (changed) place_in_faces(faces, groups, n_groups);
    for (size_t i = 0; i < n_groups; i++) {
        groups[i].unit = -1;
        if (groups[i].face >= 0) l->start[groups[i].face + 1]++;
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

static int units_finish(layout *l, const gs__partition_bounds *b,
                        const GEOSGeometry *region, graph *gr);

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
    return units_finish(l, b, region, gr);
}

/* Every group's shape whole in its unit (keep_whole.c), the units'
 * figures, the units over the maximum on their own, and the arcs. */
static int units_finish(layout *l, const gs__partition_bounds *b,
                        const GEOSGeometry *region, graph *gr) {
    gs__building_group *groups = l->groups;
    if (gs__graph_keep_whole(gr, region, groups, l->n_groups))
        return GS_ERR_INTERNAL;
    for (size_t u = 0; u < gr->n; u++) gr->u[u].hh = gr->u[u].persons = 0;
    for (size_t i = 0; i < l->n_groups; i++)
        if (groups[i].unit >= 0) {
            gr->u[groups[i].unit].hh += groups[i].hh;
            gr->u[groups[i].unit].persons += groups[i].persons;
        }
    /* a building over the maximum on its own makes its unit "big": the
     * unit is clamped to the maximum, so a part holding it holds nothing
     * else (a unit with other households keeps its figures: it can be
     * cut finer) */
    for (size_t i = 0; i < l->n_groups; i++) {
        unit *x;
        long gm = b->by_persons ? groups[i].persons : groups[i].hh;
        if (groups[i].unit < 0 || gm <= b->hi) continue;
        x = &gr->u[groups[i].unit];
        if (gs__unit_measure(b, x) != gm) continue; /* others with it */
        x->big = 1;
        if (b->by_persons)
            x->persons = b->hi;
        else
            x->hh = b->hi;
        if (x->persons > b->pmax) x->persons = b->pmax;
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

/* The parts outside the bounds, a part that is one unit over the maximum
 * on its own (a building too big for any grid) aside: no division can do
 * better there. -1 when out of memory. */
static long misses_of(const graph *gr, const gs__partition_bounds *b,
                      const long *part, long k) {
    long *m = gs__calloc((size_t)k, sizeof *m),
         *p = gs__calloc((size_t)k, sizeof *p);
    long *rest = gs__calloc((size_t)k, sizeof *rest),
         *n = gs__calloc((size_t)k, sizeof *n);
    unsigned char *big = gs__calloc((size_t)k, 1);
    long miss = -1;
    if (!m || !p || !rest || !n || !big) goto done;
    for (size_t i = 0; i < gr->n; i++) {
        long q = part[i], um = gs__unit_measure(b, &gr->u[i]);
        if (q < 0 || q >= k) continue;
        m[q] += um;
        p[q] += gr->u[i].persons;
        n[q]++;
        if (gr->u[i].big)
            big[q] = 1;
        else
            rest[q] += um;
    }
    miss = 0;
    for (long q = 0; q < k; q++) {
        if (n[q] == 0) {
            miss++;
            continue;
        }
        if (gs__violation(b, m[q], p[q], 1) <= 0) continue;
        if (big[q] && rest[q] == 0) continue;
        miss++;
    }
done:
    free(m);
    free(p);
    free(rest);
    free(n);
    free(big);
    return miss;
}

/* Keeps part[] (k parts, `miss` misses) as d->out when better than the
 * best so far. 0, or an error code. */
static int keep_best(division *d, int level, const long *part, long k,
                     long miss) {
    if (d->best_miss >= 0 && miss >= d->best_miss) return GS_OK;
    gs__division_free(d->gr.h, d->out);
    if (gs__division_parts(&d->gr, d->region, d->l.groups, d->l.n_groups, part,
                           k, d->out))
        return GS_ERR_INTERNAL;
    d->out->misses = miss;
    d->out->level = level;
    d->best_miss = miss;
    return GS_OK;
}

/* ---- blocks between major barriers --------------------------------------- */

static long uf_root(long *p, long i) {
    while (p[i] != i) i = p[i] = p[p[i]];
    return i;
}

/* The units' blocks: the blocks between major barriers (the faces' blk1),
 * a block without households joined to the neighbour it shares most
 * boundary with, a block too small (or too large) for a whole number of
 * parts within the bounds (units over the maximum aside) to its neighbour
 * that makes it fit, else the one sharing most boundary. ub[u] per unit, dense
 * from 0; the count, or -1 when out of memory. */
static long unit_blocks(const graph *gr, const gs__partition_bounds *b,
                        long *ub) {
    size_t n = gr->n;
    long nb = 0, *par = NULL, *m = NULL, *hh = NULL, out = -1;
    double *shared = NULL;
    unsigned char *stuck = NULL;
    for (size_t i = 0; i < n; i++) {
        long x = gr->faces && gr->u[i].face >= 0
                     ? gr->faces->u[gr->u[i].face].blk1
                     : 0;
        ub[i] = x < 0 ? 0 : x;
        if (ub[i] + 1 > nb) nb = ub[i] + 1;
    }
    if (nb <= 1) return nb;
    par = gs__malloc((size_t)nb * sizeof *par);
    m = gs__calloc((size_t)nb, sizeof *m);
    hh = gs__calloc((size_t)nb, sizeof *hh);
    shared = gs__calloc((size_t)nb, sizeof *shared);
    stuck = gs__calloc((size_t)nb, 1);
    if (!par || !m || !hh || !shared || !stuck) goto done;
    for (long i = 0; i < nb; i++) par[i] = i;
    for (size_t i = 0; i < n; i++) {
        long um = gs__unit_measure(b, &gr->u[i]);
        /* a unit over the maximum on its own (a building too big for any
         * grid) is a part of its own: the rest must fit */
        if (!gr->u[i].big) m[ub[i]] += um;
        hh[ub[i]] += gr->u[i].hh;
    }
    for (int pass = 0; pass < 2; pass++)
        for (;;) {
            long pick = -1, best = -1, ks[1];
            double bl = 0;
            int fits_best = 0;
            /* pass 0: blocks without households; pass 1: blocks that no
             * whole number of parts fits, the smallest first */
            for (long i = 0; i < nb; i++) {
                if (uf_root(par, i) != i || stuck[i]) continue;
                if (pass == 0 ? hh[i] != 0
                              : hh[i] == 0 || m[i] == 0 ||
                                    gs__partition_pick_ks(m[i], b, ks, 1) > 0)
                    continue;
                if (pick < 0 || m[i] < m[pick]) pick = i;
                if (pass == 0) break;
            }
            if (pick < 0) break;
            for (long i = 0; i < nb; i++) shared[i] = 0;
            for (size_t e = 0; e < gr->m; e++) {
                long x = uf_root(par, ub[gr->arcs[e].a]),
                     y = uf_root(par, ub[gr->arcs[e].b]);
                if (x == y || (x != pick && y != pick)) continue;
                shared[x == pick ? y : x] += gr->arcs[e].len + 1e-9;
            }
            for (long i = 0; i < nb; i++) {
                int fits;
                if (shared[i] <= 0) continue;
                fits = pass == 1 &&
                       gs__partition_pick_ks(m[i] + m[pick], b, ks, 1) > 0;
                if (best < 0 || fits > fits_best ||
                    (fits == fits_best && shared[i] > bl)) {
                    best = i;
                    bl = shared[i];
                    fits_best = fits;
                }
            }
            if (best < 0) { /* nothing borders it: it stays alone */
                stuck[pick] = 1;
                continue;
            }
            par[pick] = best;
            m[best] += m[pick];
            hh[best] += hh[pick];
        }
    {
        long *dense = m; /* reuse */
        long nd = 0;
        for (long i = 0; i < nb; i++) dense[i] = -1;
        for (size_t i = 0; i < n; i++) {
            long r = uf_root(par, ub[i]);
            if (dense[r] < 0) dense[r] = nd++;
            ub[i] = dense[r];
        }
        out = nd;
    }
done:
    free(par);
    free(m);
    free(hh);
    free(shared);
    free(stuck);
    return out;
}

/* One block's division (units ids[0..n)) into its own number of parts:
 * the trees and repair, more on the finest level, then the exhaustive
 * search. Its parts from 0 into bpart[i] per id; *out_k, *out_miss. -1
 * when out of memory. */
static int divide_block(division *d, const long *ids, size_t n, int level,
                        int finest, long blk, long *bpart, long *out_k,
                        long *out_miss) {
    graph sub;
    long ks[3], mtot = 0, best = -1, *part = NULL, bestk = 1;
    int n_ks, tries, rc = -1;
    if (gs__graph_sub(&d->gr, ids, n, &sub)) goto done;
    {
        /* a part for each unit over the maximum on its own (a building
         * too big for any grid), the others for the rest */
        long nbig = 0;
        for (size_t i = 0; i < n; i++) {
            if (sub.u[i].big)
                nbig++;
            else
                mtot += gs__unit_measure(d->b, &sub.u[i]);
        }
        n_ks = gs__partition_pick_ks(mtot, d->b, ks, 3);
        if (n_ks == 0) {
            ks[0] = d->b->target > 0 ? lround((double)mtot / d->b->target) : 1;
            if (ks[0] < 1 && nbig == 0) ks[0] = 1;
            n_ks = 1;
        }
        for (int i = 0; i < n_ks; i++) ks[i] += nbig;
    }
    tries = (finest ? 4 * RETRIES : RETRIES) * n_ks;
    part = gs__malloc((n ? n : 1) * sizeof *part);
    if (!part) goto done;
    for (int t = 0; t < tries + (finest ? n_ks : 0) && best != 0; t++) {
        long k = ks[t % n_ks], miss;
        int exact = t >= tries;
        if (exact) {
            int x = gs__exact(&sub, d->b, k, part);
            if (x < 0) goto done;
            if (x == 0) continue;
            miss = 0;
        } else {
            miss = gs__bisect(
                &sub, d->b, k,
                d->seed + (uint64_t)(level * 64 + t) + (uint64_t)blk * 7919u,
                part);
            if (miss > 0) miss = gs__repair(&sub, d->b, k, part);
        }
        if (miss < 0) goto done;
        if (miss > 0 && (miss = misses_of(&sub, d->b, part, k)) < 0) goto done;
        if (miss == 0 && sub.n <= POLISH_UNITS &&
            gs__partition_polish(&sub, d->b, k, part))
            goto done;
        if (best >= 0 && miss >= best) continue;
        best = miss;
        bestk = k;
        memcpy(bpart, part, n * sizeof *bpart);
    }
    *out_k = bestk;
    *out_miss = best < 0 ? bestk : best;
    rc = 0;
done:
    free(part);
    gs__graph_sub_free(&sub);
    return rc;
}

/* The division of the current level block by block: GS_OK with the
 * result kept when better; 1 when there is one block only. */
static int divide_by_blocks(division *d, int level, int finest) {
    size_t n = d->gr.n;
    long *ub = gs__malloc((n ? n : 1) * sizeof *ub), nb, *part = NULL,
         *ids = NULL, *bpart = NULL, k = 0, miss = 0;
    int rc = GS_ERR_NOMEM;
    if (!ub) return rc;
    nb = unit_blocks(&d->gr, d->b, ub);
    if (nb < 0) goto done;
    if (nb <= 1) {
        rc = 1;
        goto done;
    }
    part = gs__malloc((n ? n : 1) * sizeof *part);
    ids = gs__malloc((n ? n : 1) * sizeof *ids);
    bpart = gs__malloc((n ? n : 1) * sizeof *bpart);
    if (!part || !ids || !bpart) goto done;
    for (long blk = 0; blk < nb; blk++) {
        size_t ni = 0;
        long bk, bm;
        for (size_t i = 0; i < n; i++)
            if (ub[i] == blk) ids[ni++] = (long)i;
        if (ni == 0) continue;
        if (divide_block(d, ids, ni, level, finest, blk, bpart, &bk, &bm))
            goto done;
        for (size_t i = 0; i < ni; i++) part[ids[i]] = k + bpart[i];
        k += bk;
        miss += bm;
    }
    rc = keep_best(d, level, part, k, miss);
done:
    free(ub);
    free(part);
    free(ids);
    free(bpart);
    return rc;
}

/* The tries of one level (the finest gets more, and the exhaustive search
 * last), each better result kept in d->out. Where major barriers cut the
 * region into blocks, the blocks are divided on their own first; the
 * whole region only when that misses. */
static int divide_level(division *d, int level, int finest) {
    int n_ks = d->n_ks, tries = (finest ? 4 * RETRIES : RETRIES) * n_ks;
    long *part = NULL;
    int rc;
    if ((rc = layout_units(&d->l, d->b, level, d->region, &d->gr))) return rc;
    rc = divide_by_blocks(d, level, finest);
    if (rc < 0 || (rc != 1 && rc != GS_OK)) return rc;
    if (rc == GS_OK && d->best_miss == 0) return GS_OK;
    rc = GS_OK;
    part = gs__malloc((d->gr.n ? d->gr.n : 1) * sizeof *part);
    if (!part) return GS_ERR_NOMEM;
    for (int t = 0; t < tries + (finest ? n_ks : 0) && d->best_miss != 0; t++) {
        long k = d->ks[t % n_ks];
        long miss = try_once(d, k, d->seed + (uint64_t)(level * 64 + t),
                             t >= tries, part);
        if (miss == -2) continue;
        if (miss > 0) miss = misses_of(&d->gr, d->b, part, k);
        if (miss < 0) {
            rc = GS_ERR_NOMEM;
            break;
        }
        if ((rc = keep_best(d, level, part, k, miss))) break;
    }
    free(part);
    return rc;
}

/* ---- two parts re-divided on a finer lattice ----------------------------- */

/* The side of the lattice squares (m), and at most this many squares in
 * the two parts (the side grows beyond). */
#define LATTICE_M 5.0
#define LATTICE_SQUARES 8000.0
/* Fresh trees tried on the lattice of two parts. */
#define PAIR_TRIES 8

/* The building cells of every face with a building (level 2) cut by a
 * square lattice of side `s` into gr (emptied first): a building reaches
 * its neighbours through a strip narrower than the cells (the space
 * between two other buildings), as the lattice squares off the footprints
 * are units of their own. Footprints stay whole (units_finish). */
static int lattice_units(layout *l, const gs__partition_bounds *b,
                         const GEOSGeometry *region, double s, graph *gr) {
    GEOSContextHandle_t h = l->faces.h;
    gs__building_group *groups = l->groups;
    graph cells;
    size_t *first = NULL;
    int rc = GS_ERR_INTERNAL;
    memset(&cells, 0, sizeof cells);
    cells.h = h;
    cells.faces = &l->faces;
    gs__graph_free(gr);
    gr->h = h;
    gr->faces = &l->faces;
    for (size_t i = 0; i < l->n_groups; i++) groups[i].unit = -1;
    if (gs__graph_cells(&cells, &l->faces, groups, l->n_groups, l->start,
                        l->groups_of, 0))
        goto done;
    first = gs__malloc((cells.n + 1) * sizeof *first);
    if (!first) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    for (size_t c = 0; c < cells.n; c++) {
        const unit *u = &cells.u[c];
        first[c] = gr->n;
        for (double x0 = floor(u->env[0] / s) * s; x0 < u->env[2]; x0 += s)
            for (double y0 = floor(u->env[1] / s) * s; y0 < u->env[3];
                 y0 += s) {
                GEOSGeometry *sq =
                    GEOSGeom_createRectangle_r(h, x0, y0, x0 + s, y0 + s);
                GEOSGeometry *x = sq ? GEOSIntersection_r(h, u->g, sq) : NULL;
                size_t before = gr->n;
                GEOSGeom_destroy_r(h, sq);
                if (gs__graph_add_polygons(gr, x, u->face)) goto done;
                for (size_t k = before; k < gr->n; k++) gr->u[k].cell = u->cell;
            }
    }
    first[cells.n] = gr->n;
    for (size_t i = 0; i < l->n_groups; i++) {
        long c = groups[i].unit;
        if (c < 0) continue;
        groups[i].unit = gs__graph_locate(gr, first[c], first[c + 1],
                                          groups[i].x, groups[i].y);
    }
    rc = units_finish(l, b, region, gr);
done:
    free(first);
    gs__graph_free(&cells);
    return rc;
}

/* A part's measure and whether it holds a building over the maximum. */
static long part_measure(const gs__division *d, const gs__partition_bounds *b,
                         long p) {
    return b->by_persons ? d->persons[p] : d->hh[p];
}

static int part_has_big(const gs__division *d, const gs__partition_bounds *b,
                        const gs__building_group *groups, size_t n_groups,
                        long p) {
    for (size_t i = 0; i < n_groups; i++)
        if (d->group_part[i] == p &&
            (b->by_persons ? groups[i].persons : groups[i].hh) > b->hi)
            return 1;
    return 0;
}

/* At most this many units with households for the search by subsets of
 * two parts, and the subsets tried. */
#define SUBSET_UNITS 20
#define SUBSET_TRIES 64

/* Grows side `s` of side[] (-1 free) until all its units are connected:
 * from its first unit, the nearest unconnected unit of the side is
 * reached by the shortest path through units not of the other side, and
 * the path joins the side. 1 connected, 0 not possible, -1 out of
 * memory. */
static int connect_side(const graph *gr, long *side, long s) {
    size_t n = gr->n, *queue = gs__malloc((n ? n : 1) * sizeof *queue);
    long *from = gs__malloc((n ? n : 1) * sizeof *from);
    unsigned char *in = gs__calloc(n ? n : 1, 1);
    int rc = -1;
    if (!queue || !from || !in) goto done;
    for (size_t i = 0; i < n; i++)
        if (side[i] == s) {
            in[i] = 1;
            break;
        }
    for (;;) {
        size_t head = 0, tail = 0;
        long hit = -1;
        for (size_t i = 0; i < n; i++) {
            from[i] = in[i] ? (long)i : -2;
            if (in[i]) queue[tail++] = i;
        }
        while (head < tail && hit < 0) {
            size_t u = queue[head++];
            for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
                const arc *e = &gr->arcs[gr->adj[q]];
                long v = e->a == (long)u ? e->b : e->a;
                if (from[v] != -2 || (side[v] >= 0 && side[v] != s)) continue;
                from[v] = (long)u;
                if (side[v] == s) {
                    hit = v;
                    break;
                }
                queue[tail++] = (size_t)v;
            }
        }
        if (hit < 0) {
            rc = 1;
            for (size_t i = 0; i < n; i++)
                if (side[i] == s && !in[i]) rc = 0;
            goto done;
        }
        for (long v = hit; !in[v]; v = from[v]) {
            in[v] = 1;
            side[v] = s;
        }
    }
done:
    free(queue);
    free(from);
    free(in);
    return rc;
}

/* Units not yet on a side go to the side reaching them first (a
 * breadth-first search from both at once), so each side stays
 * connected. -1 out of memory. */
static int grow_sides(const graph *gr, long *side) {
    size_t n = gr->n, head = 0, tail = 0;
    size_t *queue = gs__malloc((n ? n : 1) * sizeof *queue);
    if (!queue) return -1;
    for (size_t i = 0; i < n; i++)
        if (side[i] >= 0) queue[tail++] = i;
    while (head < tail) {
        size_t u = queue[head++];
        for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            long v = e->a == (long)u ? e->b : e->a;
            if (side[v] >= 0) continue;
            side[v] = side[u];
            queue[tail++] = (size_t)v;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (side[i] < 0) side[i] = 0;
    free(queue);
    return 0;
}

typedef struct subset {
    long moved;
    uint32_t mask;
} subset;

static int cmp_subset(const void *a, const void *b) {
    const subset *x = a, *y = b;
    if (x->moved != y->moved) return x->moved < y->moved ? -1 : 1;
    return x->mask < y->mask ? -1 : x->mask > y->mask;
}

/* Two parts by the units holding households: every split of them into
 * two sets within the bounds, the fewest households moved from `cur`
 * (per unit, the side it held) first; a split is taken when each set can
 * be joined through the units holding none (connect_side). 1 and part[]
 * set when found, 0 not, -1 out of memory. */
static int subset_search(const graph *gr, const gs__partition_bounds *b,
                         const long *cur, long *part) {
    long idx[SUBSET_UNITS], mtot = 0, ptot = 0;
    size_t nb = 0, ns = 0;
    subset *cand = NULL;
    int rc = 0;
    for (size_t i = 0; i < gr->n; i++)
        if (gr->u[i].hh > 0 || gr->u[i].persons > 0) {
            if (nb == SUBSET_UNITS || gr->u[i].big) return 0;
            idx[nb++] = (long)i;
            mtot += gs__unit_measure(b, &gr->u[i]);
            ptot += gr->u[i].persons;
        }
    if (nb < 2) return 0;
    cand = gs__malloc(((size_t)1 << nb) * sizeof *cand);
    if (!cand) return -1;
    for (uint32_t mask = 1; mask + 1 < (1u << nb); mask++) {
        long m = 0, p = 0, moved = 0;
        for (size_t j = 0; j < nb; j++) {
            const unit *u = &gr->u[idx[j]];
            long side = (mask >> j) & 1 ? 0 : 1;
            if (side == 0) {
                m += gs__unit_measure(b, u);
                p += u->persons;
            }
            if (side != cur[idx[j]]) moved += gs__unit_measure(b, u);
        }
        if (gs__violation(b, m, p, 1) > 0 ||
            gs__violation(b, mtot - m, ptot - p, 1) > 0)
            continue;
        cand[ns++] = (subset){moved, mask};
    }
    qsort(cand, ns, sizeof *cand, cmp_subset);
    for (size_t c = 0; c < ns && c < SUBSET_TRIES && rc == 0; c++) {
        int r0, r1;
        for (size_t i = 0; i < gr->n; i++) part[i] = -1;
        for (size_t j = 0; j < nb; j++)
            part[idx[j]] = (cand[c].mask >> j) & 1 ? 0 : 1;
        r0 = connect_side(gr, part, 0);
        r1 = r0 == 1 ? connect_side(gr, part, 1) : r0;
        if (r0 < 0 || r1 < 0 || (r1 == 1 && grow_sides(gr, part))) {
            rc = -1;
            break;
        }
        if (r1 == 1) rc = 1;
    }
    free(cand);
    return rc;
}

/* Parts p and q of `out` divided afresh as two on the lattice; taken when
 * both then lie within the bounds and no more of them straddles a major
 * barrier. 1 taken, 0 not, or an error code (negated). */
static int refine_pair(GEOSContextHandle_t h, const GEOSGeometry *const *lines,
                       const int *cls, size_t n_lines,
                       gs__building_group *groups, size_t n_groups,
                       const gs__partition_bounds *b, uint64_t seed, long p,
                       long q, gs__division *out) {
    GEOSGeometry *pair[2] = {NULL, NULL}, *coll, *region = NULL;
    gs__building_group *sub = NULL;
    long *ids = NULL, *part = NULL, miss = -1;
    size_t ns = 0;
    layout l;
    graph gr;
    gs__division sd;
    int rc = -GS_ERR_NOMEM;
    double area, side;
    memset(&l, 0, sizeof l);
    memset(&gr, 0, sizeof gr);
    memset(&sd, 0, sizeof sd);
    gr.h = h;
    pair[0] = GEOSGeom_clone_r(h, out->geom[p]);
    pair[1] = GEOSGeom_clone_r(h, out->geom[q]);
    if (!pair[0] || !pair[1]) {
        GEOSGeom_destroy_r(h, pair[0]);
        GEOSGeom_destroy_r(h, pair[1]);
        return -GS_ERR_INTERNAL;
    }
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, pair, 2);
    if (!coll) {
        GEOSGeom_destroy_r(h, pair[0]);
        GEOSGeom_destroy_r(h, pair[1]);
        return -GS_ERR_INTERNAL;
    }
    region = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    region = region ? gs__geom_polygonal(h, region) : NULL;
    if (!region) return -GS_ERR_INTERNAL;
    sub = gs__malloc((n_groups ? n_groups : 1) * sizeof *sub);
    ids = gs__malloc((n_groups ? n_groups : 1) * sizeof *ids);
    if (!sub || !ids) goto done;
    for (size_t i = 0; i < n_groups; i++)
        if (out->group_part[i] == p || out->group_part[i] == q) {
            sub[ns] = groups[i]; /* shapes borrowed */
            ids[ns++] = (long)i;
        }
    area = gs__geom_area(h, region);
    side = sqrt(area / LATTICE_SQUARES);
    if (side < LATTICE_M) side = LATTICE_M;
    rc = layout_make(h, region, lines, cls, n_lines, sub, ns, &l);
    if (!rc) rc = lattice_units(&l, b, region, side, &gr);
    if (rc) {
        rc = -rc;
        goto done;
    }
    rc = -GS_ERR_NOMEM;
    part = gs__malloc((gr.n ? gr.n : 1) * sizeof *part);
    if (!part) goto done;
    for (int t = 0; t < PAIR_TRIES && miss != 0; t++) {
        miss = gs__bisect(&gr, b, 2, seed + (uint64_t)t * 7919u, part);
        if (miss > 0) miss = gs__repair(&gr, b, 2, part);
        if (miss < 0) goto done;
    }
    if (miss != 0) {
        /* each unit's side now: 0 when it holds households of p (only
         * the units holding households count) */
        long *cur = gs__malloc((gr.n ? gr.n : 1) * sizeof *cur);
        int x;
        if (!cur) goto done;
        for (size_t i = 0; i < gr.n; i++) cur[i] = 1;
        for (size_t j = 0; j < ns; j++)
            if (sub[j].unit >= 0 && out->group_part[ids[j]] == p)
                cur[sub[j].unit] = 0;
        x = subset_search(&gr, b, cur, part);
        free(cur);
        if (x < 0) goto done;
        if (x == 1) miss = 0;
    }
    rc = 0;
    if (miss != 0) goto done;
    if (gr.n <= POLISH_UNITS && gs__partition_polish(&gr, b, 2, part)) {
        rc = -GS_ERR_NOMEM;
        goto done;
    }
    if (gs__division_parts(&gr, region, sub, ns, part, 2, &sd)) {
        rc = -GS_ERR_INTERNAL;
        goto done;
    }
    for (long x = 0; x < 2; x++)
        if (gs__violation(b, part_measure(&sd, b, x), sd.persons[x], 1) > 0 ||
            GEOSGetNumGeometries_r(h, sd.geom[x]) != 1)
            goto done;
    if (sd.straddle[0] + sd.straddle[1] > out->straddle[p] + out->straddle[q])
        goto done;
    {
        long to[2] = {p, q};
        for (long x = 0; x < 2; x++) {
            GEOSGeom_destroy_r(h, out->geom[to[x]]);
            out->geom[to[x]] = sd.geom[x];
            sd.geom[x] = NULL;
            out->hh[to[x]] = sd.hh[x];
            out->persons[to[x]] = sd.persons[x];
            out->straddle[to[x]] = sd.straddle[x];
        }
        /* the boundary between the two is the new one; the rest as
         * before (barrier_share.c measures the grids as written) */
        for (long x = 0; x < 2; x++) {
            out->cut_len[to[x]] = sd.cut_len[x];
            out->cut_barrier[to[x]] = sd.cut_barrier[x];
        }
        for (size_t j = 0; j < ns; j++)
            out->group_part[ids[j]] = to[sd.group_part[j]];
    }
    rc = 1;
done:
    gs__division_free(h, &sd);
    layout_free(&l);
    gs__graph_free(&gr);
    GEOSGeom_destroy_r(h, region);
    free(part);
    free(sub);
    free(ids);
    return rc;
}

/* The parts outside the bounds (a building over the maximum aside), each
 * re-divided with a neighbour on the lattice when that brings both within
 * the bounds: a strip between two other buildings too narrow for the
 * building cells, or a single building better on the other side of a
 * boundary. GS_OK or an error code. */
static int refine_pairs(GEOSContextHandle_t h, const GEOSGeometry *const *lines,
                        const int *cls, size_t n_lines,
                        gs__building_group *groups, size_t n_groups,
                        const gs__partition_bounds *b, uint64_t seed,
                        gs__division *out) {
    for (long p = 0; p < out->k && out->misses > 0; p++) {
        long mp = part_measure(out, b, p);
        if (gs__violation(b, mp, out->persons[p], 1) <= 0 ||
            part_has_big(out, b, groups, n_groups, p))
            continue;
        for (long q = 0; q < out->k; q++) {
            long mq = part_measure(out, b, q);
            int q_missed, r;
            double len = 0;
            GEOSGeometry *x;
            if (q == p || part_has_big(out, b, groups, n_groups, q) ||
                gs__violation(b, mp + mq, out->persons[p] + out->persons[q],
                              2) > 0 ||
                GEOSIntersects_r(h, out->geom[p], out->geom[q]) != 1)
                continue;
            x = GEOSIntersection_r(h, out->geom[p], out->geom[q]);
            if (x) GEOSLength_r(h, x, &len);
            GEOSGeom_destroy_r(h, x);
            if (len < 1.0) continue; /* a corner only */
            q_missed = gs__violation(b, mq, out->persons[q], 1) > 0;
            r = refine_pair(h, lines, cls, n_lines, groups, n_groups, b,
                            seed + (uint64_t)(p * 131 + q), p, q, out);
            if (r < 0) return -r;
            if (r == 1) {
                out->misses -= 1 + q_missed;
                if (out->misses < 0) out->misses = 0;
                break;
            }
        }
    }
    return GS_OK;
}

int gs__divide_region(GEOSContextHandle_t h, const GEOSGeometry *region,
                      const GEOSGeometry *const *lines, const int *cls,
                      size_t n_lines, gs__building_group *groups,
                      size_t n_groups, const long *ks, int n_ks,
                      const gs__partition_bounds *b, uint64_t seed,
                      gs__division *out) {
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
    rc = layout_make(h, region, lines, cls, n_lines, groups, n_groups, &d.l);
    for (int level = 0; !rc && level < 3; level++)
        if (level_cuts(&d.l, b, level)) last = level;
    for (int level = 0; !rc && level < 3 && d.best_miss != 0; level++)
        if (level_cuts(&d.l, b, level))
            rc = divide_level(&d, level, level == last);
    if (!rc && d.best_miss > 0 && out->k > 1)
        rc = refine_pairs(h, lines, cls, n_lines, groups, n_groups, b,
                          seed ^ 0x9e3779b97f4a7c15ULL, out);
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
    rc = layout_make(h, region, lines, NULL, n_lines, groups, n_groups, &l);
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
