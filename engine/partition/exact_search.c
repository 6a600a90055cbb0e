/*
 * exact_search.c - an exhaustive search for a division within the bounds
 * on small graphs, the last resort when the trees and the repair leave
 * misses.
 *
 * Parts are grown in index order, each from the lowest unit not yet in a
 * part, by adding later units while the sum stays within the upper bound;
 * a part within the bounds and connected leads to the next. The search is
 * bounded in units and steps, so it ends quickly or gives up.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "piece_graph.h"

/* Graphs up to this many units are searched exhaustively when the trees
 * and the repair leave misses. */
#define EXACT_UNITS 40
#define EXACT_STEPS 4000000L

typedef struct xsearch {
    const graph *gr;
    const gs__partition_bounds *b;
    long *part; /* -1: not yet in a part */
    long *pick; /* the units of the part being built */
    size_t *queue;
    unsigned char *seen;
    long steps;
} xsearch;

static long x_measure(const xsearch *x, size_t u) {
    return gs__unit_measure(x->b, &x->gr->u[u]);
}

/* 1 when the units with part == p are connected. */
static int x_connected(xsearch *x, long p) {
    return gs__partition_connected(x->gr, x->part, p, (size_t)-1, x->queue,
                                   x->seen);
}

static int x_parts(xsearch *x, long p, long parts);

/* Grows part p from the units after `from` (in index order), its sum so
 * far `m` (measure) and `pe` (persons); on a sum within the bounds and a
 * connected part, goes on to the next part. */
static int x_grow(xsearch *x, long p, long parts, size_t from, long m,
                  long pe) {
    const gs__partition_bounds *b = x->b;
    if (++x->steps > EXACT_STEPS) return 0;
    if (m >= b->lo && m <= b->hi && pe <= b->pmax && x_connected(x, p) &&
        x_parts(x, p + 1, parts - 1))
        return 1;
    for (size_t u = from; u < x->gr->n; u++) {
        long um = x_measure(x, u);
        if (x->part[u] != -1 || m + um > b->hi) continue;
        x->part[u] = p;
        if (x_grow(x, p, parts, u + 1, m + um, pe + x->gr->u[u].persons))
            return 1;
        x->part[u] = -1;
        if (x->steps > EXACT_STEPS) return 0;
    }
    return 0;
}

/* Makes `parts` more parts, numbered from p, of the unassigned units:
 * each starts at the lowest unassigned unit. */
static int x_parts(xsearch *x, long p, long parts) {
    long left = 0, lp = 0;
    size_t r = (size_t)-1;
    for (size_t i = 0; i < x->gr->n; i++)
        if (x->part[i] == -1) {
            if (r == (size_t)-1) r = i;
            left += x_measure(x, i);
            lp += x->gr->u[i].persons;
        }
    if (parts == 0) return r == (size_t)-1;
    if (r == (size_t)-1 || left < parts * x->b->lo || left > parts * x->b->hi ||
        lp > parts * x->b->pmax)
        return 0;
    x->part[r] = p;
    if (x_grow(x, p, parts, r + 1, x_measure(x, r), x->gr->u[r].persons))
        return 1;
    x->part[r] = -1;
    return 0;
}

int gs__exact(const graph *gr, const gs__partition_bounds *b, long k,
              long *part) {
    xsearch x;
    int r;
    if (gr->n > EXACT_UNITS) return 0;
    memset(&x, 0, sizeof x);
    x.gr = gr;
    x.b = b;
    x.part = gs__malloc((gr->n ? gr->n : 1) * sizeof *x.part);
    x.queue = gs__malloc((gr->n ? gr->n : 1) * sizeof *x.queue);
    x.seen = gs__malloc(gr->n ? gr->n : 1);
    if (!x.part || !x.queue || !x.seen) {
        r = -1;
        goto done;
    }
    for (size_t i = 0; i < gr->n; i++) x.part[i] = -1;
    r = x_parts(&x, 0, k);
    if (r == 1) memcpy(part, x.part, gr->n * sizeof *part);
done:
    free(x.part);
    free(x.queue);
    free(x.seen);
    return r;
}
