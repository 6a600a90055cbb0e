/*
 * repair.c - moving single units between parts: repair, which brings the
 * parts of a division closer to the bounds, and polish, which straightens
 * the boundaries of parts already within them.
 *
 * A move takes a unit to a neighbouring part and never leaves its part
 * empty or in pieces. Repair makes the move that lowers the total
 * violation of the bounds most (ties: the smaller unit, then the cheaper
 * cut); when none does, on small graphs, a pair of moves whose sum does
 * (the first may cost). Polish makes, in unit order, moves that shorten
 * the cut and keep both parts within the bounds, for a few passes: what
 * random trees leave ragged (a cell whose empty far side lies across a
 * river) is straightened.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>

#include "piece_graph.h"

/* Pairs of moves are searched only on graphs this small. */
#define PAIR_UNITS 150

/* Parts outside the bounds. */
static long count_misses(const gs__partition_bounds *b, long k, const long *pm,
                         const long *pp, const long *pn) {
    long miss = 0;
    for (long p = 0; p < k; p++)
        if (pn[p] == 0 || gs__violation(b, pm[p], pp[p], 1) > 0) miss++;
    return miss;
}

/* The parts' figures during a repair. */
typedef struct rstate {
    const graph *gr;
    const gs__partition_bounds *b;
    long k;
    long *part, *pm, *pp, *pn;
    size_t *queue;
    unsigned char *seen;
} rstate;

static long unit_measure(const rstate *r, size_t u) {
    return gs__unit_measure(r->b, &r->gr->u[u]);
}

/* Sets up the parts' figures of `part`; -1 when out of memory (free the
 * state with rstate_free in every case). */
static int rstate_init(rstate *r, const graph *gr,
                       const gs__partition_bounds *b, long k, long *part) {
    size_t n = gr->n;
    r->gr = gr;
    r->b = b;
    r->k = k;
    r->part = part;
    r->pm = gs__calloc((size_t)k, sizeof *r->pm);
    r->pp = gs__calloc((size_t)k, sizeof *r->pp);
    r->pn = gs__calloc((size_t)k, sizeof *r->pn);
    r->queue = gs__malloc((n ? n : 1) * sizeof *r->queue);
    r->seen = gs__malloc(n ? n : 1);
    if (!r->pm || !r->pp || !r->pn || !r->queue || !r->seen) return -1;
    for (size_t i = 0; i < n; i++) {
        r->pm[part[i]] += unit_measure(r, i);
        r->pp[part[i]] += gr->u[i].persons;
        r->pn[part[i]]++;
    }
    return 0;
}

static void rstate_free(rstate *r) {
    free(r->pm);
    free(r->pp);
    free(r->pn);
    free(r->queue);
    free(r->seen);
}

static void move_unit(rstate *r, size_t u, long to) {
    long from = r->part[u], um = unit_measure(r, u);
    r->pm[from] -= um;
    r->pp[from] -= r->gr->u[u].persons;
    r->pn[from]--;
    r->pm[to] += um;
    r->pp[to] += r->gr->u[u].persons;
    r->pn[to]++;
    r->part[u] = to;
}

/* The best single move of a unit to a neighbouring part that keeps its
 * part connected and gains more than `floor` (the drop in total
 * violation; ties: the smaller unit, then the cheaper cut). Returns the
 * gain, or -INFINITY when there is none; sets *bu and *bto. */
static double best_move(rstate *r, double floor, long *bu, long *bto) {
    const graph *gr = r->gr;
    const gs__partition_bounds *b = r->b;
    long best_um = 0;
    double best_gain = -INFINITY, best_dc = INFINITY;
    *bu = *bto = -1;
    for (size_t u = 0; u < gr->n; u++) {
        long from = r->part[u], um = unit_measure(r, u);
        long up = gr->u[u].persons;
        double before_from = gs__violation(b, r->pm[from], r->pp[from], 1);
        int checked = 0, ok = 0;
        for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            long o = e->a == (long)u ? e->b : e->a, to = r->part[o];
            double gain, dc = 0;
            if (to == from) continue;
            gain = before_from + gs__violation(b, r->pm[to], r->pp[to], 1) -
                   gs__violation(b, r->pm[from] - um, r->pp[from] - up, 1) -
                   gs__violation(b, r->pm[to] + um, r->pp[to] + up, 1);
            if (gain <= floor + 1e-9 || gain < best_gain - 1e-9) continue;
            /* The cut changes by the arcs of u to `from` (now cut) minus
             * those to `to` (no longer cut). */
            for (size_t t = gr->off[u]; t < gr->off[u + 1]; t++) {
                const arc *f = &gr->arcs[gr->adj[t]];
                long w = f->a == (long)u ? f->b : f->a;
                if (r->part[w] == from)
                    dc += f->cost;
                else if (r->part[w] == to)
                    dc -= f->cost;
            }
            if (gain < best_gain + 1e-9 &&
                (um > best_um || (um == best_um && dc >= best_dc)))
                continue;
            if (!checked) {
                ok = gs__partition_connected(gr, r->part, from, u, r->queue,
                                             r->seen);
                checked = 1;
            }
            if (!ok) break;
            best_gain = gain;
            best_dc = dc;
            best_um = um;
            *bu = (long)u;
            *bto = to;
        }
    }
    return best_gain;
}

int gs__partition_polish(const graph *gr, const gs__partition_bounds *b, long k,
                         long *part) {
    size_t n = gr->n;
    rstate r;
    int rc = -1;
    if (rstate_init(&r, gr, b, k, part)) goto done;
    for (int pass = 0; pass < 4; pass++) {
        int moved = 0;
        for (size_t u = 0; u < n; u++) {
            long from = part[u], um = unit_measure(&r, u);
            long up = gr->u[u].persons, best_to = -1;
            double best_dc = -1e-6;
            int checked = 0, ok = 0;
            if (r.pn[from] < 2) continue;
            for (size_t q = gr->off[u]; q < gr->off[u + 1]; q++) {
                const arc *e = &gr->arcs[gr->adj[q]];
                long o = e->a == (long)u ? e->b : e->a, to = part[o];
                double dc = 0;
                if (to == from || to == best_to) continue;
                if (gs__violation(b, r.pm[from] - um, r.pp[from] - up, 1) > 0 ||
                    gs__violation(b, r.pm[to] + um, r.pp[to] + up, 1) > 0)
                    continue;
                for (size_t t = gr->off[u]; t < gr->off[u + 1]; t++) {
                    const arc *f = &gr->arcs[gr->adj[t]];
                    long w = f->a == (long)u ? f->b : f->a;
                    if (part[w] == from)
                        dc += f->cost;
                    else if (part[w] == to)
                        dc -= f->cost;
                }
                if (dc >= best_dc) continue;
                if (!checked) {
                    ok = gs__partition_connected(gr, part, from, u, r.queue,
                                                 r.seen);
                    checked = 1;
                }
                if (!ok) break;
                best_dc = dc;
                best_to = to;
            }
            if (best_to >= 0) {
                move_unit(&r, u, best_to);
                moved = 1;
            }
        }
        if (!moved) break;
    }
    rc = 0;
done:
    rstate_free(&r);
    return rc;
}

/* A pair of moves whose sum lowers the total violation, the first of
 * unit v to a neighbouring part (it may cost), made: 1, else 0 with
 * nothing moved. */
static int pair_move(rstate *r, size_t v) {
    const graph *gr = r->gr;
    const gs__partition_bounds *b = r->b;
    long from = r->part[v];
    for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
        const arc *e = &gr->arcs[gr->adj[q]];
        long o = e->a == (long)v ? e->b : e->a, t = r->part[o];
        double g1, before, after;
        long u2, to2;
        if (t == from || r->pn[from] < 2 ||
            !gs__partition_connected(gr, r->part, from, v, r->queue, r->seen))
            continue;
        before = gs__violation(b, r->pm[from], r->pp[from], 1) +
                 gs__violation(b, r->pm[t], r->pp[t], 1);
        move_unit(r, v, t);
        after = gs__violation(b, r->pm[from], r->pp[from], 1) +
                gs__violation(b, r->pm[t], r->pp[t], 1);
        g1 = before - after;
        if (best_move(r, -g1, &u2, &to2) > -g1 && u2 != (long)v) {
            move_unit(r, (size_t)u2, to2);
            return 1;
        }
        move_unit(r, v, from); /* undo */
    }
    return 0;
}

long gs__repair(const graph *gr, const gs__partition_bounds *b, long k,
                long *part) {
    size_t n = gr->n;
    rstate r;
    long miss = -1;
    if (rstate_init(&r, gr, b, k, part)) goto done;
    for (size_t iter = 0; iter < 4 * n + 64; iter++) {
        long u, to;
        int found = 0;
        if (count_misses(b, k, r.pm, r.pp, r.pn) == 0) break;
        if (best_move(&r, 0, &u, &to) > 0) {
            move_unit(&r, (size_t)u, to);
            continue;
        }
        if (n > PAIR_UNITS) break;
        for (size_t v = 0; v < n && !found; v++) found = pair_move(&r, v);
        if (!found) break;
    }
    miss = count_misses(b, k, r.pm, r.pp, r.pn);
done:
    rstate_free(&r);
    return miss;
}

int gs__partition_connected(const graph *gr, const long *part, long p,
                            size_t skip, size_t *queue, unsigned char *seen) {
    size_t head = 0, tail = 0, want = 0, start = (size_t)-1;
    for (size_t i = 0; i < gr->n; i++) {
        seen[i] = 0;
        if (i != skip && part[i] == p) {
            if (start == (size_t)-1) start = i;
            want++;
        }
    }
    if (!want) return 0;
    seen[start] = 1;
    queue[tail++] = start;
    while (head < tail) {
        size_t v = queue[head++];
        for (size_t q = gr->off[v]; q < gr->off[v + 1]; q++) {
            const arc *e = &gr->arcs[gr->adj[q]];
            size_t o = (size_t)(e->a == (long)v ? e->b : e->a);
            if (o == skip || seen[o] || part[o] != p) continue;
            seen[o] = 1;
            queue[tail++] = o;
        }
    }
    return tail == want;
}
