/*
 * partition.c - dividing each community into grids of 300-500 households.
 *
 * Data flow, one community at a time:
 *
 *   1. Atoms. The community boundary and the barrier lines clipped to the
 *      community are noded together and polygonized; the faces inside the
 *      community are the atoms. They tile the community, so any union of
 *      atoms follows barriers and never leaves the community.
 *   2. Groups. Households are grouped by building_id (no building: a group
 *      of one) and a group is placed at its mean point, so a building is
 *      never split. Each group goes to the atom containing its point.
 *   3. Splits. An atom with more households than a threshold is cut by a
 *      straight line perpendicular to the principal axis of its groups,
 *      between two groups, so that the pieces hold balanced shares.
 *   4. Regions. k regions (k chosen so that the average is feasible and
 *      nearest 400) are grown over the atom adjacency graph: a seed at the
 *      west-most free atom, then the free neighbour sharing the most
 *      boundary, until the region reaches the remaining average. Left-over
 *      atoms join the neighbour region sharing the most boundary, so each
 *      region stays connected.
 *   5. Retry. When a region misses the bounds, the attempt is repeated with
 *      a lower split threshold (more, smaller atoms), and the attempt with
 *      the fewest misses wins.
 *
 * Grids are unions of their atoms, numbered in reading order (rows north to
 * south, west to east within a row). Everything is deterministic: no
 * randomness, and every choice breaks ties by index.
 */
#define _POSIX_C_SOURCE 200809L
#include "partition.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"

/* A building's households (or one household without building). */
typedef struct group {
    double x, y;
    long hh, persons;
    long atom;
} group;

typedef struct atom {
    GEOSGeometry *g;
    double cx, cy, perim;
    long hh, persons;
    long region;
} atom;

typedef struct edge {
    long a, b;
    double len;
} edge;

/* The state of one community's attempt. */
typedef struct work {
    GEOSContextHandle_t h;
    atom *atoms;
    size_t n_atoms, cap_atoms;
    group *groups;  /* borrowed from the community */
    size_t n_groups;
    edge *edges;
    size_t n_edges, cap_edges;
} work;

static void work_free(work *w) {
    for (size_t i = 0; i < w->n_atoms; i++)
        GEOSGeom_destroy_r(w->h, w->atoms[i].g);
    free(w->atoms);
    free(w->edges);
    w->atoms = NULL;
    w->edges = NULL;
    w->n_atoms = w->cap_atoms = w->n_edges = w->cap_edges = 0;
}

/* Appends an atom taking `g`; 0 or -1 when out of memory (g destroyed). */
static int add_atom(work *w, GEOSGeometry *g) {
    atom *a;
    if (w->n_atoms == w->cap_atoms) {
        size_t nc = w->cap_atoms ? 2 * w->cap_atoms : 16;
        atom *na = gs__realloc(w->atoms, nc * sizeof *na);
        if (!na) {
            GEOSGeom_destroy_r(w->h, g);
            return -1;
        }
        w->atoms = na;
        w->cap_atoms = nc;
    }
    a = &w->atoms[w->n_atoms++];
    memset(a, 0, sizeof *a);
    a->g = g;
    a->region = -1;
    {
        GEOSGeometry *c = GEOSGetCentroid_r(w->h, g);
        if (c) {
            GEOSGeomGetX_r(w->h, c, &a->cx);
            GEOSGeomGetY_r(w->h, c, &a->cy);
            GEOSGeom_destroy_r(w->h, c);
        }
        GEOSLength_r(w->h, g, &a->perim);
    }
    return 0;
}

/* Adds each polygon of `g` (taken) as an atom when it has area. */
static int add_polygons(work *w, GEOSGeometry *g) {
    int n, rc = 0;
    if (!g) return -1;
    n = GEOSGetNumGeometries_r(w->h, g);
    for (int i = 0; i < n && !rc; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(w->h, g, i);
        double area = 0;
        if (GEOSGeomTypeId_r(w->h, p) != GEOS_POLYGON) continue;
        GEOSArea_r(w->h, p, &area);
        if (area <= 1e-6) continue;
        rc = add_atom(w, GEOSGeom_clone_r(w->h, p));
    }
    GEOSGeom_destroy_r(w->h, g);
    return rc;
}

/* Builds the community's atoms: its faces cut by the barriers. */
static int make_atoms(work *w, const GEOSGeometry *comm,
                      const gs__model *m) {
    GEOSContextHandle_t h = w->h;
    GEOSGeometry **parts = NULL, *coll = NULL, *noded = NULL, *faces = NULL;
    const GEOSPreparedGeometry *pc = NULL;
    size_t np = 0;
    int rc = -1;

    parts = gs__malloc((m->n_barriers + 1) * sizeof *parts);
    if (!parts) goto done;
    parts[np] = GEOSBoundary_r(h, comm);
    if (!parts[np]) goto done;
    np++;
    pc = GEOSPrepare_r(h, comm);
    if (!pc) goto done;
    for (size_t i = 0; i < m->n_barriers; i++) {
        GEOSGeometry *cl;
        if (!m->barriers[i].geom ||
            !GEOSPreparedIntersects_r(h, pc, m->barriers[i].geom))
            continue;
        cl = GEOSIntersection_r(h, m->barriers[i].geom, comm);
        if (!cl) goto done;
        if (GEOSisEmpty_r(h, cl)) {
            GEOSGeom_destroy_r(h, cl);
            continue;
        }
        parts[np++] = cl;
    }
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
            int inside = p && GEOSPreparedContains_r(h, pc, p) == 1;
            GEOSGeom_destroy_r(h, p);
            GEOSArea_r(h, f, &area);
            if (!inside || area <= 1e-6) continue;
            rc = add_atom(w, GEOSGeom_clone_r(h, f));
        }
    }
    if (!rc && w->n_atoms == 0) /* degenerate: keep the community whole */
        rc = add_polygons(w, GEOSGeom_clone_r(h, comm));
done:
    for (size_t i = 0; i < np; i++) GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    GEOSGeom_destroy_r(h, coll);
    GEOSGeom_destroy_r(h, noded);
    GEOSGeom_destroy_r(h, faces);
    if (pc) GEOSPreparedGeom_destroy_r(h, pc);
    return rc;
}

/* Puts each group in the atom containing its point, or the nearest. */
static void place_groups(work *w, const long *gi, size_t n) {
    GEOSContextHandle_t h = w->h;
    for (size_t k = 0; k < n; k++) {
        group *g = &w->groups[gi[k]];
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, g->x, g->y);
        long best = -1;
        double bd = INFINITY;
        for (size_t a = 0; a < w->n_atoms && p; a++) {
            double d;
            if (w->atoms[a].g == NULL) continue;
            if (GEOSIntersects_r(h, w->atoms[a].g, p) == 1) {
                best = (long)a;
                break;
            }
            if (GEOSDistance_r(h, w->atoms[a].g, p, &d) && d < bd) {
                bd = d;
                best = (long)a;
            }
        }
        GEOSGeom_destroy_r(h, p);
        g->atom = best;
    }
}

static void tally(work *w) {
    for (size_t a = 0; a < w->n_atoms; a++)
        w->atoms[a].hh = w->atoms[a].persons = 0;
    for (size_t i = 0; i < w->n_groups; i++) {
        group *g = &w->groups[i];
        if (g->atom < 0) continue;
        w->atoms[g->atom].hh += g->hh;
        w->atoms[g->atom].persons += g->persons;
    }
}

typedef struct proj {
    double t;
    long gi;
} proj;

static int cmp_proj(const void *a, const void *b) {
    const proj *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->gi < y->gi ? -1 : x->gi > y->gi;
}

/* Splits atom `ai` in two by a straight cut perpendicular to the principal
 * axis of its groups, between two groups, the first side holding about
 * `share` of its households. 1 when split, 0 when it cannot be (one place
 * only), -1 on failure. The atom's slot is reused for one piece. */
static int split_atom(work *w, size_t ai, double share) {
    GEOSContextHandle_t h = w->h;
    proj *pr = NULL;
    size_t n = 0;
    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0, tot = 0, ux, uy;
    double xmin, ymin, xmax, ymax, big, cut = 0, acc = 0, bestd = INFINITY;
    long *moved = NULL;
    size_t n_moved = 0, first_new;
    GEOSGeometry *half = NULL, *a = NULL, *b = NULL;
    int rc = -1, found = 0;

    for (size_t i = 0; i < w->n_groups; i++)
        if (w->groups[i].atom == (long)ai) {
            mx += w->groups[i].x * w->groups[i].hh;
            my += w->groups[i].y * w->groups[i].hh;
            tot += w->groups[i].hh;
            n++;
        }
    if (n < 2 || tot <= 0) return 0;
    mx /= tot;
    my /= tot;
    pr = gs__malloc(n * sizeof *pr);
    moved = gs__malloc(n * sizeof *moved);
    if (!pr || !moved) goto done;
    n = 0;
    for (size_t i = 0; i < w->n_groups; i++)
        if (w->groups[i].atom == (long)ai) {
            double dx = w->groups[i].x - mx, dy = w->groups[i].y - my;
            sxx += dx * dx * w->groups[i].hh;
            syy += dy * dy * w->groups[i].hh;
            sxy += dx * dy * w->groups[i].hh;
            pr[n++].gi = (long)i;
        }
    {
        double th = 0.5 * atan2(2 * sxy, sxx - syy);
        ux = cos(th);
        uy = sin(th);
    }
    for (size_t k = 0; k < n; k++) {
        const group *g = &w->groups[pr[k].gi];
        pr[k].t = (g->x - mx) * ux + (g->y - my) * uy;
    }
    qsort(pr, n, sizeof *pr, cmp_proj);
    for (size_t k = 0; k + 1 < n; k++) {
        double d;
        acc += w->groups[pr[k].gi].hh;
        if (pr[k + 1].t - pr[k].t < 1e-6) continue; /* same place */
        d = fabs(acc - share * tot);
        if (d < bestd) {
            bestd = d;
            cut = 0.5 * (pr[k].t + pr[k + 1].t);
            found = 1;
        }
    }
    if (!found) {
        rc = 0;
        goto done;
    }
    if (!GEOSGeom_getXMin_r(h, w->atoms[ai].g, &xmin) ||
        !GEOSGeom_getYMin_r(h, w->atoms[ai].g, &ymin) ||
        !GEOSGeom_getXMax_r(h, w->atoms[ai].g, &xmax) ||
        !GEOSGeom_getYMax_r(h, w->atoms[ai].g, &ymax))
        goto done;
    big = 2 * (hypot(xmax - xmin, ymax - ymin) + hypot(mx - xmin, my - ymin));
    {
        /* The half plane t < cut as a big rectangle around the atom. */
        double vx = -uy, vy = ux;
        double px = mx + ux * cut, py = my + uy * cut;
        double cx[5], cy[5];
        GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, 5, 2);
        GEOSGeometry *ring;
        cx[0] = px + vx * big;
        cy[0] = py + vy * big;
        cx[1] = px - vx * big;
        cy[1] = py - vy * big;
        cx[2] = cx[1] - ux * big;
        cy[2] = cy[1] - uy * big;
        cx[3] = cx[0] - ux * big;
        cy[3] = cy[0] - uy * big;
        cx[4] = cx[0];
        cy[4] = cy[0];
        if (!s) goto done;
        for (unsigned k = 0; k < 5; k++)
            GEOSCoordSeq_setXY_r(h, s, k, cx[k], cy[k]);
        ring = GEOSGeom_createLinearRing_r(h, s);
        if (!ring) goto done;
        half = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
        if (!half) goto done;
    }
    a = GEOSIntersection_r(h, w->atoms[ai].g, half);
    b = GEOSDifference_r(h, w->atoms[ai].g, half);
    if (!a || !b) goto done;
    if (GEOSisEmpty_r(h, a) || GEOSisEmpty_r(h, b)) {
        rc = 0;
        goto done;
    }
    /* Replace the atom by the pieces: destroy the old one, append all. */
    GEOSGeom_destroy_r(h, w->atoms[ai].g);
    w->atoms[ai].g = NULL;
    first_new = w->n_atoms;
    if (add_polygons(w, a)) {
        a = NULL;
        goto done;
    }
    a = NULL;
    if (add_polygons(w, b)) {
        b = NULL;
        goto done;
    }
    b = NULL;
    /* Move the last piece into the old slot so indices stay dense. */
    if (w->n_atoms > first_new) {
        w->atoms[ai] = w->atoms[w->n_atoms - 1];
        w->n_atoms--;
    }
    for (size_t k = 0; k < n; k++) moved[n_moved++] = pr[k].gi;
    if (w->n_atoms == first_new && w->atoms[ai].g == NULL) goto done;
    {
        /* Re-place the groups among the pieces only. */
        for (size_t k = 0; k < n_moved; k++) {
            group *g = &w->groups[moved[k]];
            GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, g->x, g->y);
            long best = -1;
            double bd = INFINITY;
            for (size_t q = 0; q <= w->n_atoms - first_new; q++) {
                size_t idx = q == 0 ? ai : first_new + q - 1;
                double d;
                if (idx >= w->n_atoms) continue;
                if (p && GEOSDistance_r(h, w->atoms[idx].g, p, &d) &&
                    d < bd) {
                    bd = d;
                    best = (long)idx;
                }
            }
            GEOSGeom_destroy_r(h, p);
            g->atom = best;
        }
    }
    rc = 1;
done:
    GEOSGeom_destroy_r(h, half);
    GEOSGeom_destroy_r(h, a);
    GEOSGeom_destroy_r(h, b);
    free(pr);
    free(moved);
    return rc;
}

/* Splits every atom over `limit` households until none is (or cannot be). */
static int split_atoms(work *w, long limit) {
    for (int round = 0; round < 64; round++) {
        int any = 0;
        tally(w);
        for (size_t i = 0; i < w->n_atoms; i++) {
            long hh = w->atoms[i].hh;
            int r;
            long k;
            if (hh <= limit) continue;
            k = lround((double)hh / (double)limit + 0.499);
            if (k < 2) k = 2;
            r = split_atom(w, i, (double)(k / 2) / (double)k);
            if (r < 0) return -1;
            if (r > 0) {
                any = 1;
                tally(w);
            }
        }
        if (!any) break;
    }
    tally(w);
    return 0;
}

static int add_edge(work *w, long a, long b, double len) {
    if (w->n_edges == w->cap_edges) {
        size_t nc = w->cap_edges ? 2 * w->cap_edges : 64;
        edge *ne = gs__realloc(w->edges, nc * sizeof *ne);
        if (!ne) return -1;
        w->edges = ne;
        w->cap_edges = nc;
    }
    w->edges[w->n_edges++] = (edge){a, b, len};
    return 0;
}

/* The adjacency graph: atoms sharing more than 1 cm of boundary. */
static int make_edges(work *w) {
    GEOSContextHandle_t h = w->h;
    size_t n = w->n_atoms;
    double *env = gs__malloc(4 * (n ? n : 1) * sizeof *env);
    if (!env) return -1;
    for (size_t i = 0; i < n; i++) {
        GEOSGeom_getXMin_r(h, w->atoms[i].g, &env[4 * i]);
        GEOSGeom_getYMin_r(h, w->atoms[i].g, &env[4 * i + 1]);
        GEOSGeom_getXMax_r(h, w->atoms[i].g, &env[4 * i + 2]);
        GEOSGeom_getYMax_r(h, w->atoms[i].g, &env[4 * i + 3]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            GEOSGeometry *x;
            double len = 0, e = 1e-6;
            if (env[4 * i] > env[4 * j + 2] + e ||
                env[4 * j] > env[4 * i + 2] + e ||
                env[4 * i + 1] > env[4 * j + 3] + e ||
                env[4 * j + 1] > env[4 * i + 3] + e)
                continue;
            x = GEOSIntersection_r(h, w->atoms[i].g, w->atoms[j].g);
            if (!x) continue;
            GEOSLength_r(h, x, &len);
            GEOSGeom_destroy_r(h, x);
            if (len > 0.01 && add_edge(w, (long)i, (long)j, len)) {
                free(env);
                return -1;
            }
        }
    free(env);
    return 0;
}

/* Shared boundary between atom `a` and region `r`. */
static double shared_with(const work *w, size_t a, long r) {
    double s = 0;
    for (size_t e = 0; e < w->n_edges; e++) {
        const edge *ed = &w->edges[e];
        long o = ed->a == (long)a ? ed->b : ed->b == (long)a ? ed->a : -1;
        if (o >= 0 && w->atoms[o].region == r) s += ed->len;
    }
    return s;
}

/* The seed key of an atom for direction `dir` (0 west, 1 north, 2 east,
 * 3 south first): the lowest key seeds. */
static double seed_key(const atom *t, int dir) {
    switch (dir) {
        case 1: return -t->cy;
        case 2: return -t->cx;
        case 3: return t->cy;
        default: return t->cx;
    }
}

/* Grows k regions over the atoms, each seeded at the free atom furthest
 * in direction `dir`; returns the number of regions made. */
static long grow(work *w, long k, long total, const gs_rules *rules,
                 int dir) {
    long made = 0, rem_hh = total;
    for (size_t a = 0; a < w->n_atoms; a++) w->atoms[a].region = -1;
    while (made < k) {
        long seed = -1, r = made, hh = 0, persons = 0;
        double target = (double)rem_hh / (double)(k - made);
        int last = made == k - 1;
        for (size_t a = 0; a < w->n_atoms; a++) {
            const atom *t = &w->atoms[a];
            if (t->region >= 0) continue;
            if (seed < 0 ||
                seed_key(t, dir) < seed_key(&w->atoms[seed], dir) - 1e-9)
                seed = (long)a;
        }
        if (seed < 0) break;
        w->atoms[seed].region = r;
        hh = w->atoms[seed].hh;
        persons = w->atoms[seed].persons;
        made++;
        for (;;) {
            long best = -1;
            double bs = -1;
            if (!last && hh >= target) break;
            for (size_t a = 0; a < w->n_atoms; a++) {
                const atom *t = &w->atoms[a];
                double s, score;
                if (t->region >= 0) continue;
                s = shared_with(w, a, r);
                if (s <= 0) continue;
                if (!last && (hh + t->hh > rules->max_households ||
                              persons + t->persons > rules->max_persons))
                    continue;
                score = s / (t->perim > 0 ? t->perim : 1);
                if (score > bs) {
                    bs = score;
                    best = (long)a;
                }
            }
            if (best < 0) break;
            if (!last && hh >= rules->min_households &&
                (double)(hh + w->atoms[best].hh) - target > target - (double)hh)
                break;
            w->atoms[best].region = r;
            hh += w->atoms[best].hh;
            persons += w->atoms[best].persons;
        }
        rem_hh -= hh;
    }
    /* Left-overs join the neighbour region sharing the most boundary. */
    for (int pass = 0; pass < 1000; pass++) {
        int changed = 0, left = 0;
        for (size_t a = 0; a < w->n_atoms; a++) {
            long best = -1;
            double bs = 0;
            if (w->atoms[a].region >= 0) continue;
            left = 1;
            for (size_t e = 0; e < w->n_edges; e++) {
                const edge *ed = &w->edges[e];
                long o = ed->a == (long)a ? ed->b
                         : ed->b == (long)a ? ed->a : -1;
                if (o < 0 || w->atoms[o].region < 0) continue;
                if (ed->len > bs) {
                    bs = ed->len;
                    best = w->atoms[o].region;
                }
            }
            if (best >= 0) {
                w->atoms[a].region = best;
                changed = 1;
            }
        }
        if (!left) break;
        if (!changed) {
            /* An island (a multipart community): the first region. */
            for (size_t a = 0; a < w->n_atoms; a++)
                if (w->atoms[a].region < 0) w->atoms[a].region = 0;
            break;
        }
    }
    return made;
}

/* 1 when region r's atoms, without atom `skip`, are connected (and not
 * empty). -1 when out of memory. */
static int connected_without(const work *w, long r, size_t skip) {
    size_t n = w->n_atoms, head = 0, tail = 0, want = 0;
    size_t *queue = gs__malloc((n ? n : 1) * sizeof *queue);
    unsigned char *seen = gs__calloc(n ? n : 1, 1);
    int ok;
    if (!queue || !seen) {
        free(queue);
        free(seen);
        return -1;
    }
    for (size_t a = 0; a < n; a++)
        if (a != skip && w->atoms[a].region == r) {
            if (!want) {
                queue[tail++] = a;
                seen[a] = 1;
            }
            want++;
        }
    while (head < tail) {
        size_t a = queue[head++];
        for (size_t e = 0; e < w->n_edges; e++) {
            const edge *ed = &w->edges[e];
            long o = ed->a == (long)a ? ed->b : ed->b == (long)a ? ed->a : -1;
            if (o < 0 || (size_t)o == skip || seen[o] ||
                w->atoms[o].region != r)
                continue;
            seen[o] = 1;
            queue[tail++] = (size_t)o;
        }
    }
    ok = want > 0 && tail == want;
    free(queue);
    free(seen);
    return ok;
}

/* Boundary moves: an atom passes from one region to a neighbouring one
 * when that brings a region missing the bounds closer to them, keeps the
 * other within them and both connected. Deterministic: the first useful
 * move in atom and edge order, repeated until none helps. */
static int repair(work *w, long k, const gs_rules *rules) {
    long *hh = gs__calloc((size_t)k, sizeof *hh),
         *pp = gs__calloc((size_t)k, sizeof *pp);
    int rc = 0;
    if (!hh || !pp) {
        rc = -1;
        goto done;
    }
    for (int pass = 0; pass < 200; pass++) {
        int moved = 0;
        memset(hh, 0, (size_t)k * sizeof *hh);
        memset(pp, 0, (size_t)k * sizeof *pp);
        for (size_t a = 0; a < w->n_atoms; a++)
            if (w->atoms[a].region >= 0 && w->atoms[a].region < k) {
                hh[w->atoms[a].region] += w->atoms[a].hh;
                pp[w->atoms[a].region] += w->atoms[a].persons;
            }
        for (size_t e = 0; e < 2 * w->n_edges && !moved; e++) {
            const edge *ed = &w->edges[e / 2];
            size_t a = (size_t)(e % 2 ? ed->b : ed->a);
            long from = w->atoms[a].region;
            long to = w->atoms[e % 2 ? ed->a : ed->b].region;
            long ah = w->atoms[a].hh, ap = w->atoms[a].persons;
            int helps, c;
            if (from == to || from < 0 || to < 0 || ah == 0) continue;
            /* Helps: the receiver is under, or the donor is over. */
            helps = (hh[to] < rules->min_households &&
                     hh[from] - ah >= rules->min_households) ||
                    (hh[from] > rules->max_households &&
                     hh[to] + ah <= rules->max_households) ||
                    (pp[from] > rules->max_persons &&
                     pp[to] + ap <= rules->max_persons);
            if (!helps || hh[to] + ah > rules->max_households ||
                pp[to] + ap > rules->max_persons)
                continue;
            if (hh[from] - ah < rules->min_households &&
                hh[from] <= rules->max_households)
                continue;
            c = connected_without(w, from, a);
            if (c < 0) {
                rc = -1;
                goto done;
            }
            if (!c) continue;
            w->atoms[a].region = to;
            moved = 1;
        }
        if (!moved) break;
    }
done:
    free(hh);
    free(pp);
    return rc;
}

/* Misses of the bounds over regions 0..k-1 (households, persons). */
static long misses(const work *w, long k, const gs_rules *rules) {
    long bad = 0;
    for (long r = 0; r < k; r++) {
        long hh = 0, p = 0;
        for (size_t a = 0; a < w->n_atoms; a++)
            if (w->atoms[a].region == r) {
                hh += w->atoms[a].hh;
                p += w->atoms[a].persons;
            }
        if (hh < rules->min_households || hh > rules->max_households ||
            p > rules->max_persons)
            bad++;
    }
    return bad;
}

/* The feasible numbers of grids for `total` households, nearest the
 * middle of the bounds first, at most `max` of them; 0 when no whole
 * number fits. */
static int pick_ks(long total, const gs_rules *rules, long *ks, int max) {
    long lo = (total + rules->max_households - 1) / rules->max_households;
    long hi = total / rules->min_households;
    double mid = 0.5 * (rules->min_households + rules->max_households);
    int n = 0;
    if (lo < 1) lo = 1;
    /* Feasible counts form a range; the best lie around total / mid. */
    for (long k = lo; k <= hi && n < max; k++) ks[n++] = k;
    for (long k = lo + max; k <= hi; k++) {
        int worst = 0;
        for (int i = 1; i < n; i++)
            if (fabs((double)total / (double)ks[i] - mid) >
                fabs((double)total / (double)ks[worst] - mid))
                worst = i;
        if (fabs((double)total / (double)k - mid) <
            fabs((double)total / (double)ks[worst] - mid))
            ks[worst] = k;
    }
    for (int i = 1; i < n; i++) /* insertion sort by distance, then k */
        for (int j = i; j > 0; j--) {
            double dj = fabs((double)total / (double)ks[j] - mid);
            double dp = fabs((double)total / (double)ks[j - 1] - mid);
            if (dj < dp || (dj == dp && ks[j] < ks[j - 1])) {
                long t = ks[j];
                ks[j] = ks[j - 1];
                ks[j - 1] = t;
            }
        }
    return n;
}

/* A grid's place in reading order: its row (bands of the typical grid
 * size, north first), then west to east. */
typedef struct outgrid {
    double cx, cy;
    long row;
    size_t idx;
} outgrid;

static int cmp_reading(const void *a, const void *b) {
    const outgrid *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->cx != y->cx) return x->cx < y->cx ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int push_grid(gs__partres *r, size_t *cap, gs__pgrid *g) {
    if (r->n_grids == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        gs__pgrid *ng = gs__realloc(r->grids, nc * sizeof *ng);
        if (!ng) return -1;
        r->grids = ng;
        *cap = nc;
    }
    r->grids[r->n_grids++] = *g;
    return 0;
}

/* One community: atoms, attempts, grids appended to `out`. */
static int do_community(gs_ctx *ctx, const gs__model *m,
                        const gs_rules *rules, size_t ci, group *groups,
                        size_t n_groups, gs__partres *out, size_t *cap) {
    GEOSContextHandle_t h = ctx->geos;
    const gs__community *c = &m->communities[ci];
    gs__psum *sum = &out->sums[ci];
    work w;
    long total = 0, persons = 0, k, best_bad = -1, ks[8];
    int n_ks = 0, best_t = 0, best_q = 0, best_dir = 0;
    long limits[5];
    long *all = NULL;
    int rc = GS_OK;

    memset(&w, 0, sizeof w);
    w.h = h;
    w.groups = groups;
    w.n_groups = n_groups;
    for (size_t i = 0; i < n_groups; i++) {
        total += groups[i].hh;
        persons += groups[i].persons;
    }
    sum->community_code = c->code;
    sum->name = c->name;
    sum->households = total;
    sum->persons = persons;
    n_ks = total < rules->min_households ? 0 : pick_ks(total, rules, ks, 8);
    if (total < rules->min_households) {
        ks[n_ks++] = 1;
        snprintf(sum->note, sizeof sum->note,
                 "undersize: %ld households, under %d for one grid", total,
                 rules->min_households);
    } else if (n_ks == 0) {
        ks[n_ks++] = (total + rules->max_households - 1) /
                     rules->max_households;
        snprintf(sum->note, sizeof sum->note,
                 "no whole number of grids fits %ld households", total);
    }
    limits[0] = rules->max_households;
    limits[1] = rules->max_households / 2;
    limits[2] = rules->max_households / 4;
    limits[3] = rules->max_households / 8;
    limits[4] = rules->max_households / 16;
    all = gs__malloc((n_groups ? n_groups : 1) * sizeof *all);
    if (!all) goto nomem;
    for (size_t i = 0; i < n_groups; i++) all[i] = (long)i;

    /* Attempts: split thresholds from coarse to fine (coarse atoms follow
     * the barriers best), and for each the feasible grid counts nearest
     * the middle first. The first attempt within the bounds wins, else the
     * one with the fewest misses. */
    for (int t = 0; t < 5 && best_bad != 0; t++) {
        work_free(&w);
        if (make_atoms(&w, c->geom, m)) goto geos;
        place_groups(&w, all, n_groups);
        tally(&w);
        if (ks[0] > 1 && split_atoms(&w, limits[t])) goto geos;
        if (make_edges(&w)) goto nomem;
        for (int q = 0; q < 4 * n_ks && best_bad != 0; q++) {
            long bad;
            int dir = q % 4;
            grow(&w, ks[q / 4], total, rules, dir);
            if (ks[q / 4] > 1 && repair(&w, ks[q / 4], rules)) goto nomem;
            bad = ks[q / 4] == 1 && total < rules->min_households
                      ? 0
                      : misses(&w, ks[q / 4], rules);
            if (best_bad < 0 || bad < best_bad) {
                best_bad = bad;
                best_t = t;
                best_q = q / 4;
                best_dir = dir;
            }
        }
        if (ks[0] == 1 && total < rules->min_households) break;
    }
    k = ks[best_q];
    /* Rebuild the winning attempt when it was not the last one tried. */
    if (best_bad > 0) {
        work_free(&w);
        if (make_atoms(&w, c->geom, m)) goto geos;
        place_groups(&w, all, n_groups);
        tally(&w);
        if (k > 1 && split_atoms(&w, limits[best_t])) goto geos;
        if (make_edges(&w)) goto nomem;
        grow(&w, k, total, rules, best_dir);
        if (k > 1 && repair(&w, k, rules)) goto nomem;
    }
    sum->atoms = (long)w.n_atoms;

    {
        size_t first = out->n_grids;
        outgrid *og = NULL;
        double area = 0;
        for (long r = 0; r < k; r++) {
            gs__pgrid g;
            GEOSGeometry **parts =
                gs__malloc((w.n_atoms ? w.n_atoms : 1) * sizeof *parts);
            GEOSGeometry *coll, *u;
            unsigned np = 0;
            if (!parts) goto nomem;
            memset(&g, 0, sizeof g);
            g.community_code = c->code;
            for (size_t a = 0; a < w.n_atoms; a++)
                if (w.atoms[a].region == r) {
                    parts[np++] = GEOSGeom_clone_r(h, w.atoms[a].g);
                    g.households += w.atoms[a].hh;
                    g.persons += w.atoms[a].persons;
                }
            if (np == 0) {
                free(parts);
                continue;
            }
            coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                               parts, np);
            free(parts);
            if (!coll) goto geos;
            u = GEOSUnaryUnion_r(h, coll);
            GEOSGeom_destroy_r(h, coll);
            if (!u) goto geos;
            g.geom = u;
            g.polsby_popper = gs__geom_polsby_popper(h, u);
            if (total < rules->min_households)
                snprintf(g.note, sizeof g.note, "undersize community");
            else if (g.households < rules->min_households)
                snprintf(g.note, sizeof g.note, "undersize");
            else if (g.households > rules->max_households)
                snprintf(g.note, sizeof g.note, "oversize");
            else if (g.persons > rules->max_persons)
                snprintf(g.note, sizeof g.note, "persons_over");
            if (push_grid(out, cap, &g)) {
                GEOSGeom_destroy_r(h, u);
                goto nomem;
            }
            if (!g.note[0]) sum->compliant++;
            sum->grids++;
        }
        /* Codes in reading order. */
        og = gs__malloc((out->n_grids - first + 1) * sizeof *og);
        if (!og) goto nomem;
        for (size_t i = first; i < out->n_grids; i++) {
            GEOSGeometry *ct = GEOSGetCentroid_r(h, out->grids[i].geom);
            og[i - first].idx = i;
            og[i - first].cx = og[i - first].cy = 0;
            if (ct) {
                GEOSGeomGetX_r(h, ct, &og[i - first].cx);
                GEOSGeomGetY_r(h, ct, &og[i - first].cy);
                GEOSGeom_destroy_r(h, ct);
            }
        }
        GEOSArea_r(h, c->geom, &area);
        {
            double band = sqrt(area / (double)(k > 0 ? k : 1));
            if (!(band > 0)) band = 1;
            for (size_t i = 0; i < out->n_grids - first; i++)
                og[i].row = lround(floor(-og[i].cy / band));
        }
        qsort(og, out->n_grids - first, sizeof *og, cmp_reading);
        for (size_t i = 0; i < out->n_grids - first; i++)
            snprintf(out->grids[og[i].idx].code,
                     sizeof out->grids[og[i].idx].code, "%s%03zu", c->code,
                     i + 1);
        free(og);
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    goto done;
geos:
    rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                     "partition of community %s failed in GEOS", c->code);
done:
    work_free(&w);
    free(all);
    return rc;
}

typedef struct hkey {
    const char *b;
    size_t i;
} hkey;

static int cmp_hkey(const void *a, const void *b) {
    const hkey *x = a, *y = b;
    int c = strcmp(x->b, y->b);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

int gs__partition_analyse(gs_ctx *ctx, const gs__model *m,
                          const gs_rules *rules, gs__partres *out) {
    GEOSContextHandle_t h = ctx->geos;
    hkey *keys = NULL;
    group *groups = NULL, *cg = NULL;
    long *gcomm = NULL;
    size_t ng = 0, cap = 0;
    const GEOSPreparedGeometry **prep = NULL;
    int rc = GS_OK;

    memset(out, 0, sizeof *out);
    out->sums =
        gs__calloc(m->n_communities ? m->n_communities : 1, sizeof *out->sums);
    keys = gs__malloc((m->n_households ? m->n_households : 1) * sizeof *keys);
    groups =
        gs__malloc((m->n_households ? m->n_households : 1) * sizeof *groups);
    gcomm = gs__malloc((m->n_households ? m->n_households : 1) * sizeof *gcomm);
    cg = gs__malloc((m->n_households ? m->n_households : 1) * sizeof *cg);
    prep = gs__calloc(m->n_communities ? m->n_communities : 1, sizeof *prep);
    if (!out->sums || !keys || !groups || !gcomm || !cg || !prep) goto nomem;
    out->n_sums = m->n_communities;

    /* Groups: households sorted by building, one group per building. */
    for (size_t i = 0; i < m->n_households; i++) {
        const char *b = m->households[i].building_id;
        keys[i].b = b ? b : "";
        keys[i].i = i;
    }
    qsort(keys, m->n_households, sizeof *keys, cmp_hkey);
    for (size_t i = 0; i < m->n_households;) {
        size_t j = i + 1;
        group *g = &groups[ng++];
        memset(g, 0, sizeof *g);
        if (keys[i].b[0])
            while (j < m->n_households && !strcmp(keys[j].b, keys[i].b)) j++;
        for (size_t q = i; q < j; q++) {
            const gs__household *hh = &m->households[keys[q].i];
            g->x += hh->x;
            g->y += hh->y;
            g->hh++;
            if (hh->persons_ok) g->persons += hh->persons;
        }
        g->x /= (double)g->hh;
        g->y /= (double)g->hh;
        i = j;
    }
    /* Each group's community: the first (in model order) containing it. */
    for (size_t c = 0; c < m->n_communities; c++) {
        prep[c] = GEOSPrepare_r(h, m->communities[c].geom);
        if (!prep[c]) goto geos;
    }
    for (size_t i = 0; i < ng; i++) {
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, groups[i].x,
                                                       groups[i].y);
        gcomm[i] = -1;
        if (!p) goto geos;
        for (size_t c = 0; c < m->n_communities; c++)
            if (GEOSPreparedIntersects_r(h, prep[c], p) == 1) {
                gcomm[i] = (long)c;
                break;
            }
        GEOSGeom_destroy_r(h, p);
        if (gcomm[i] < 0) out->unplaced += groups[i].hh;
    }
    for (size_t c = 0; c < m->n_communities && !rc; c++) {
        size_t n = 0;
        gs__progress(ctx, "partition", (double)c / (double)m->n_communities);
        for (size_t i = 0; i < ng; i++)
            if (gcomm[i] == (long)c) cg[n++] = groups[i];
        rc = do_community(ctx, m, rules, c, cg, n, out, &cap);
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    goto done;
geos:
    rc = gs__err_lib(ctx, GS_ERR_INTERNAL, "partition: GEOS failed");
done:
    if (prep)
        for (size_t c = 0; c < m->n_communities; c++)
            if (prep[c]) GEOSPreparedGeom_destroy_r(h, prep[c]);
    free(prep);
    free(keys);
    free(groups);
    free(gcomm);
    free(cg);
    return rc;
}

void gs__partres_free(GEOSContextHandle_t h, gs__partres *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_grids; i++)
        GEOSGeom_destroy_r(h, r->grids[i].geom);
    free(r->grids);
    free(r->sums);
    memset(r, 0, sizeof *r);
}
