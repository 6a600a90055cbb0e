/*
 * grid_fixes.c - the changes that bring one grid of a re-division within
 * the bounds, the smallest first, escalating only when one fails:
 *
 *   split       an oversize grid into the nearest-target number of grids
 *               (divide.c on the grid alone); the piece with most
 *               households keeps the code;
 *   merge       an undersize grid into the neighbour sharing most boundary
 *               that can take it; the neighbour keeps its code;
 *   shift       the boundary with a neighbour: building cells pass across
 *               it, the smallest first, until both are within the bounds
 *               (gs__partition_prebalance);
 *   redesign    the grid and its unlocked neighbours divided afresh.
 *
 * A division is applied only when it has no misses, so a change never
 * makes a grid worse. Neighbours are tried most shared boundary first,
 * ties by index; locked and dedicated grids are never touched.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "redivision.h"

int gs__wstate_add(wstate *s, GEOSGeometry *geom, long old, int fixed) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        wgrid *ng = gs__realloc(s->g, nc * sizeof *ng);
        if (!ng) {
            GEOSGeom_destroy_r(s->h, geom);
            return -1;
        }
        s->g = ng;
        s->cap = nc;
    }
    memset(&s->g[s->n], 0, sizeof s->g[0]);
    s->g[s->n].geom = geom;
    s->g[s->n].old = old;
    s->g[s->n].fixed = fixed;
    s->g[s->n].alive = 1;
    s->n++;
    return 0;
}

int gs__wstate_within(const wstate *s, long hh, long persons) {
    return hh >= s->b.lo && hh <= s->b.hi && persons <= s->b.pmax;
}

void gs__wstate_tally(wstate *s) {
    for (size_t i = 0; i < s->n; i++) s->g[i].hh = s->g[i].persons = 0;
    for (size_t i = 0; i < s->n_groups; i++)
        if (s->gw[i] >= 0) {
            s->g[s->gw[i]].hh += s->groups[i].hh;
            s->g[s->gw[i]].persons += s->groups[i].persons;
        }
}

/* Length of boundary grids a and b share (0 when apart). */
static double shared(const wstate *s, size_t a, size_t b) {
    GEOSGeometry *x;
    double len = 0;
    if (GEOSIntersects_r(s->h, s->g[a].geom, s->g[b].geom) != 1) return 0;
    x = GEOSIntersection_r(s->h, s->g[a].geom, s->g[b].geom);
    if (x) {
        GEOSLength_r(s->h, x, &len);
        GEOSGeom_destroy_r(s->h, x);
    }
    return len;
}

/* The groups of the grids in `set` (k of them) as copies, and their
 * indices in s->groups. */
static gs__building_group *groups_of(const wstate *s, const long *set, long k,
                                     long **idx, size_t *n) {
    gs__building_group *g =
        gs__malloc((s->n_groups ? s->n_groups : 1) * sizeof *g);
    *idx = gs__malloc((s->n_groups ? s->n_groups : 1) * sizeof **idx);
    *n = 0;
    if (!g || !*idx) {
        free(g);
        free(*idx);
        *idx = NULL;
        return NULL;
    }
    for (size_t i = 0; i < s->n_groups; i++)
        for (long q = 0; q < k; q++)
            if (s->gw[i] == set[q]) {
                (*idx)[*n] = (long)i;
                g[(*n)++] = s->groups[i];
                break;
            }
    return g;
}

/* The grids in `set` (k) as one geometry. */
static GEOSGeometry *union_of(const wstate *s, const long *set, long k) {
    GEOSGeometry **parts = gs__malloc((size_t)k * sizeof *parts), *coll, *u;
    if (!parts) return NULL;
    for (long q = 0; q < k; q++) {
        parts[q] = GEOSGeom_clone_r(s->h, s->g[set[q]].geom);
        if (!parts[q]) {
            while (q-- > 0) GEOSGeom_destroy_r(s->h, parts[q]);
            free(parts);
            return NULL;
        }
    }
    coll = GEOSGeom_createCollection_r(s->h, GEOS_GEOMETRYCOLLECTION, parts,
                                       (unsigned)k);
    free(parts);
    if (!coll) return NULL;
    u = GEOSUnaryUnion_r(s->h, coll);
    GEOSGeom_destroy_r(s->h, coll);
    return u ? gs__geom_polygonal(s->h, u) : NULL;
}

/* Puts division d of the grids in `set` (k of them) in their place: its
 * parts take the set's slots as try_division says, new slots for the
 * others; the groups idx[0..n) follow their parts. 1, or -1 when out of
 * memory. */
static int apply_division(wstate *s, const long *set, long k, int mode,
                          int keep_code, gs__division *d, const long *idx,
                          size_t n) {
    long keep = -1, *slot = gs__malloc((size_t)d->k * sizeof *slot);
    if (!slot) return -1;
    if (mode == 0 && keep_code) {
        keep = 0;
        for (long p = 1; p < d->k; p++)
            if (d->hh[p] > d->hh[keep]) keep = p;
    }
    for (long q = 0; q < k; q++) {
        s->g[set[q]].alive = 0;
        s->g[set[q]].touched = 1;
    }
    for (long p = 0; p < d->k; p++) {
        long at = mode == 1 ? set[p] : p == keep ? set[0] : -1;
        if (at < 0) {
            if (gs__wstate_add(s, d->geom[p], -1, 0)) {
                d->geom[p] = NULL;
                free(slot);
                return -1;
            }
            at = (long)s->n - 1;
        } else {
            GEOSGeom_destroy_r(s->h, s->g[at].geom);
            s->g[at].geom = d->geom[p];
        }
        d->geom[p] = NULL;
        s->g[at].alive = 1;
        s->g[at].touched = 1;
        s->g[at].old = -1;
        s->g[at].cut_len = d->cut_len[p];
        s->g[at].cut_barrier = d->cut_barrier[p];
        slot[p] = at;
    }
    for (size_t i = 0; i < n; i++) s->gw[idx[i]] = slot[d->group_part[i]];
    free(slot);
    gs__wstate_tally(s);
    return 1;
}

/* Runs a division of the grids in `set` and applies it when it has no
 * misses: 1 applied, 0 not, -1 failure. `mode` 0 divide into ks, 1 shift
 * between the set's grids. keep_code: the largest part keeps set[0]'s
 * slot (split); shift keeps every slot. */
static int try_division(wstate *s, const long *set, long k, int mode,
                        const long *ks, int n_ks, int keep_code) {
    GEOSGeometry *region = union_of(s, set, k);
    GEOSGeometry **lines = NULL;
    const GEOSGeometry **owners = NULL;
    gs__building_group *g = NULL;
    long *idx = NULL;
    size_t n = 0, nl = 0;
    gs__division d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (!region) return -1;
    g = groups_of(s, set, k, &idx, &n);
    lines = gs__malloc((s->n_lines + (size_t)k) * sizeof *lines);
    owners = gs__malloc((size_t)k * sizeof *owners);
    if (!g || !lines || !owners) goto done;
    for (size_t i = 0; i < s->n_lines; i++) lines[nl++] = s->lines[i];
    if (mode == 1) {
        for (long q = 0; q < k; q++) {
            owners[q] = s->g[set[q]].geom;
            lines[nl] = GEOSBoundary_r(s->h, s->g[set[q]].geom);
            if (!lines[nl]) goto done;
            nl++;
        }
        if (gs__partition_prebalance(s->h, region,
                                     (const GEOSGeometry *const *)lines, nl,
                                     owners, k, g, n, &s->b, &d))
            goto done;
    } else if (gs__divide_region(s->h, region,
                                 (const GEOSGeometry *const *)lines,
                                 s->line_cls, nl, g, n, ks, n_ks, &s->b,
                                 s->seed + (uint64_t)set[0], &d)) {
        goto done;
    }
    rc = d.misses == 0 && d.k > 0
             ? apply_division(s, set, k, mode, keep_code, &d, idx, n)
             : 0;
done:
    if (mode == 1 && lines)
        for (size_t i = s->n_lines; i < nl; i++)
            GEOSGeom_destroy_r(s->h, lines[i]);
    free(lines);
    free(owners);
    free(g);
    free(idx);
    gs__division_free(s->h, &d);
    GEOSGeom_destroy_r(s->h, region);
    return rc;
}

typedef struct nb {
    long g;
    double len;
} nb;

static int cmp_nb(const void *a, const void *b) {
    const nb *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->g < y->g ? -1 : x->g > y->g;
}

/* The unlocked neighbours of grid v, most shared boundary first. */
static size_t neighbours(const wstate *s, size_t v, nb *out) {
    size_t n = 0;
    for (size_t j = 0; j < s->n; j++) {
        double len;
        if (j == v || !s->g[j].alive || s->g[j].fixed) continue;
        len = shared(s, v, j);
        if (len > 1.0) out[n++] = (nb){(long)j, len};
    }
    qsort(out, n, sizeof *out, cmp_nb);
    return n;
}

/* split: an oversize grid into the nearest-target number of grids. */
static int split_grid(wstate *s, size_t v) {
    const gs_rules *r = s->rules;
    const wgrid *w = &s->g[v];
    long set[1], ks[3];
    int n_ks;
    if (w->hh <= r->max_households && w->persons <= r->max_persons) return 0;
    n_ks = gs__partition_pick_ks(w->hh, &s->b, ks, 3);
    set[0] = (long)v;
    if (n_ks > 0 && ks[0] >= 2) return try_division(s, set, 1, 0, ks, n_ks, 1);
    return 0;
}

/* merge: an undersize grid into the first of its neighbours nbs[0..nn)
 * that can take it and makes one polygon with it. */
static int merge_grid(wstate *s, size_t v, const nb *nbs, size_t nn) {
    if (s->g[v].hh >= s->rules->min_households) return 0;
    for (size_t q = 0; q < nn; q++) {
        wgrid *o = &s->g[nbs[q].g];
        GEOSGeometry *u;
        long both[2];
        if (!gs__wstate_within(s, o->hh + s->g[v].hh,
                               o->persons + s->g[v].persons))
            continue;
        both[0] = nbs[q].g;
        both[1] = (long)v;
        if (!(u = union_of(s, both, 2))) return -1;
        if (GEOSGeomTypeId_r(s->h, u) != GEOS_POLYGON) {
            GEOSGeom_destroy_r(s->h, u);
            continue;
        }
        GEOSGeom_destroy_r(s->h, o->geom);
        o->geom = u;
        o->old = -1;
        o->touched = 1;
        o->cut_len = o->cut_barrier = 0;
        s->g[v].alive = 0;
        s->g[v].touched = 1;
        for (size_t i = 0; i < s->n_groups; i++)
            if (s->gw[i] == (long)v) s->gw[i] = nbs[q].g;
        gs__wstate_tally(s);
        return 1;
    }
    return 0;
}

/* shift: the boundary with the first neighbour where that works. */
static int shift_grid(wstate *s, size_t v, const nb *nbs, size_t nn) {
    for (size_t q = 0; q < nn; q++) {
        long set[2] = {(long)v, nbs[q].g};
        int rc = try_division(s, set, 2, 1, NULL, 0, 0);
        if (rc) return rc;
    }
    return 0;
}

/* redesign: the grid and its unlocked neighbours (at most 63) divided
 * afresh. */
static int redesign(wstate *s, size_t v, const nb *nbs, size_t nn) {
    long set[64], ks[3], k = 1, hh = s->g[v].hh;
    int n_ks;
    set[0] = (long)v;
    for (size_t q = 0; q < nn && k < 64; q++) {
        set[k++] = nbs[q].g;
        hh += s->g[nbs[q].g].hh;
    }
    n_ks = gs__partition_pick_ks(hh, &s->b, ks, 3);
    if (k > 1 && n_ks > 0) return try_division(s, set, k, 0, ks, n_ks, 0);
    return 0;
}

int gs__wstate_fix(wstate *s, size_t v, const char **how) {
    nb *nbs = gs__malloc((s->n ? s->n : 1) * sizeof *nbs);
    size_t nn;
    int rc;
    if (!nbs) return -1;
    if ((rc = split_grid(s, v))) {
        *how = "split";
        goto done;
    }
    nn = neighbours(s, v, nbs);
    if ((rc = merge_grid(s, v, nbs, nn)))
        *how = "merged";
    else if ((rc = shift_grid(s, v, nbs, nn)))
        *how = "shifted";
    else if ((rc = redesign(s, v, nbs, nn)))
        *how = "redesigned";
done:
    free(nbs);
    return rc;
}
