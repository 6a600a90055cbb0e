/*
 * bisection.c - dividing a graph of units into k parts by recursive
 * spanning-tree bisection (after the districting literature).
 *
 * For a set of units to become k parts: draw a random spanning tree that
 * prefers arcs inside faces (Kruskal on random weights, arcs on barriers
 * weighted one more); removing one tree edge leaves two connected sides;
 * keep the edge, over a few trees, whose sides can hold k1 and k - k1
 * parts within the bounds and whose cut is cheapest (the arcs' costs, in
 * typical part widths, plus the distance from the target share). Recurse
 * on both sides. The cut of every subtree comes at once from the
 * difference rule: each arc adds its cost at both ends and takes it twice
 * at their lowest common ancestor. Every choice breaks ties by index, and
 * the random draws come from the caller's seed, so a division repeats.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "piece_graph.h"

/* Weight of the distance from the target share against the cut, which is
 * measured in typical part widths. */
#define BALANCE_WEIGHT 0.5

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

/* The state of a bisection; the arrays are sized for the whole graph and
 * indexed by a unit's place in the current set (loc). */
typedef struct bis {
    const graph *gr;
    const gs__partition_bounds *b;
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

/* The set of units being divided into k parts, and its totals. */
typedef struct uset {
    long *ids;
    size_t n, nl; /* units; arcs inside the set (in s->larc) */
    long k, mtot, ptot;
    double scale; /* a typical part's width */
} uset;

/* The best cut so far: its violation, score, and the parts on side A. */
typedef struct cut {
    double v, score;
    long k1; /* 0: none yet */
} cut;

static long uf_find(long *uf, long x) {
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

/* A set too small to divide: one part (and the parts it cannot make
 * counted as misses). */
static void one_part(bis *s, const long *ids, size_t n, long k, long first) {
    long mm = 0, pp = 0;
    for (size_t i = 0; i < n; i++) {
        s->part[ids[i]] = first;
        mm += gs__unit_measure(s->b, &s->gr->u[ids[i]]);
        pp += s->gr->u[ids[i]].persons;
    }
    if (gs__violation(s->b, mm, pp, 1) > 0) s->misses++;
    s->misses += k > 1 ? k - 1 : 0; /* parts that could not be made */
}

/* Marks the set's units (loc), sums its totals and lists its arcs. */
static void enter_set(bis *s, uset *u) {
    const graph *gr = s->gr;
    double area = 0;
    u->mtot = u->ptot = 0;
    u->nl = 0;
    for (size_t i = 0; i < u->n; i++) {
        s->loc[u->ids[i]] = (long)i;
        u->mtot += gs__unit_measure(s->b, &gr->u[u->ids[i]]);
        u->ptot += gr->u[u->ids[i]].persons;
        area += gr->u[u->ids[i]].area;
    }
    u->scale = sqrt(area / (double)u->k);
    if (!(u->scale > 0)) u->scale = 1;
    for (size_t i = 0; i < u->n; i++) {
        size_t v = (size_t)u->ids[i];
        for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            if (e->a == (long)v && s->loc[e->b] >= 0)
                s->larc[u->nl++] = gr->adj[q];
        }
    }
}

static void leave_set(bis *s, const uset *u) {
    for (size_t i = 0; i < u->n; i++) s->loc[u->ids[i]] = -1;
}

/* A random spanning tree of the set preferring arcs inside faces
 * (Kruskal), as the CSR toff/tadj. -1 when the set is not connected
 * (cannot happen: arcs join every component). */
static int random_tree(bis *s, const uset *u) {
    const graph *gr = s->gr;
    size_t n = u->n, nl = u->nl, nt = 0;
    size_t *te = s->tadj + 2 * n; /* tree edges as pairs, second half */
    for (size_t e = 0; e < nl; e++) {
        s->w[e].w = gs__uniform(&s->rng) + (double)gr->arcs[s->larc[e]].barrier;
        s->w[e].e = e;
    }
    qsort(s->w, nl, sizeof *s->w, cmp_warc);
    for (size_t i = 0; i < n; i++) {
        s->uf[i] = (long)i;
        s->toff[i + 1] = 0;
    }
    s->toff[0] = 0;
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
    if (nt + 1 < n) return -1;
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
    return 0;
}

/* BFS of the tree from a random root: order, parents, depths. */
static void tree_order(bis *s, size_t n) {
    size_t head = 0, tail = 0;
    long root = (long)(gs__splitmix(&s->rng) % n);
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

/* Each subtree's measure, persons and cut (the difference rule). */
static void subtree_sums(bis *s, const uset *u) {
    const graph *gr = s->gr;
    for (size_t i = 0; i < u->n; i++) {
        const unit *x = &gr->u[u->ids[i]];
        s->sub_m[i] = gs__unit_measure(s->b, x);
        s->sub_p[i] = x->persons;
        s->sub_c[i] = 0;
    }
    for (size_t q = 0; q < u->nl; q++) {
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
    for (size_t i = u->n; i-- > 1;) {
        long v = s->order[i], p = s->parent[v];
        s->sub_m[p] += s->sub_m[v];
        s->sub_p[p] += s->sub_p[v];
        s->sub_c[p] += s->sub_c[v];
    }
}

/* The tree edge (above a subtree) and part count k1 of side A that beat
 * *best; when one does, its side is remembered in s->best_a. */
static void best_cut(bis *s, const uset *u, cut *best) {
    long best_v_here = -1, k = u->k;
    for (size_t i = 1; i < u->n; i++) {
        long v = s->order[i];
        long ma = s->sub_m[v], pa = s->sub_p[v];
        for (long k1 = 1; k1 < k; k1++) {
            double vio =
                gs__violation(s->b, ma, pa, k1) +
                gs__violation(s->b, u->mtot - ma, u->ptot - pa, k - k1);
            double share = (double)u->mtot / (double)k;
            double dev =
                share > 0 ? fabs((double)ma - (double)k1 * share) / share : 0;
            double sc = s->sub_c[v] / u->scale + BALANCE_WEIGHT * dev;
            if (vio < best->v || (vio == best->v && sc < best->score)) {
                best->v = vio;
                best->score = sc;
                best->k1 = k1;
                best_v_here = v;
            }
        }
    }
    if (best_v_here < 0) return;
    /* Remember the side: the subtree of best_v_here. */
    for (size_t i = 0; i < u->n; i++) s->in_a[i] = 0;
    s->in_a[best_v_here] = 1;
    for (size_t i = 0; i < u->n; i++) {
        long v = s->order[i];
        if (s->parent[v] >= 0 && s->in_a[s->parent[v]]) s->in_a[v] = 1;
    }
    memcpy(s->best_a, s->in_a, u->n);
}

/* Splits ids in place into side A then side B, keeping their order;
 * *na on side A. -1 when out of memory. */
static int split_ids(const bis *s, long *ids, size_t n, size_t *na) {
    long *tmp = gs__malloc(n * sizeof *tmp);
    size_t nb = 0;
    *na = 0;
    if (!tmp) return -1;
    for (size_t i = 0; i < n; i++)
        if (s->best_a[i]) tmp[(*na)++] = ids[i];
    for (size_t i = 0; i < n; i++)
        if (!s->best_a[i]) tmp[*na + nb++] = ids[i];
    memcpy(ids, tmp, n * sizeof *ids);
    free(tmp);
    return 0;
}

/* Divides the units ids[0..n) into k parts numbered from `first`: 0, -1
 * out of memory, -2 no cut found. */
static int divide(bis *s, long *ids, size_t n, long k, long first) {
    uset u = {ids, n, 0, k, 0, 0, 0};
    cut best = {INFINITY, INFINITY, 0};
    size_t na, tries = n < 400 ? 16 : n < 2000 ? 8 : 4;
    int rc;

    if (k <= 1 || n <= 1) {
        one_part(s, ids, n, k, first);
        return 0;
    }
    enter_set(s, &u);
    for (size_t t = 0; t < tries; t++) {
        if (random_tree(s, &u)) {
            leave_set(s, &u);
            return -2;
        }
        tree_order(s, n);
        subtree_sums(s, &u);
        best_cut(s, &u, &best);
    }
    leave_set(s, &u);
    if (best.k1 == 0) return -2;
    if (split_ids(s, ids, n, &na)) return -1;
    rc = divide(s, ids, na, best.k1, first);
    if (!rc) rc = divide(s, ids + na, n - na, k - best.k1, first + best.k1);
    return rc;
}

long gs__bisect(const graph *gr, const gs__partition_bounds *b, long k,
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
