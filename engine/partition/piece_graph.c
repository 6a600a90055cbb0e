/*
 * piece_graph.c - the arcs of a division's graph: units sharing boundary
 * are joined by an arc weighted by the shared length.
 *
 * An arc between two faces lies on a barrier; inside a face, the part of
 * the boundary along a line that closes nothing counts as barrier too. A
 * cut along a barrier costs a tenth of its length, so divisions follow
 * barriers. The components of a multipart region are joined by
 * zero-length arcs to the nearest unit of an earlier component, so every
 * part can be reached. Arcs are sorted, whatever order the sweep met them
 * in, and the CSR lists each unit's arcs in that order.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "piece_graph.h"

/* A cut along a barrier costs this share of its length, by strength (1
 * minor .. 3 major): the stronger the barrier, the cheaper the cut. */
static const double barrier_cost[4] = {1.0, 0.2, 0.1, 0.05};

typedef struct envref {
    double xmin;
    size_t i;
} envref;

static int cmp_envref(const void *a, const void *b) {
    const envref *p = a, *q = b;
    if (p->xmin != q->xmin) return p->xmin < q->xmin ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static int cmp_arc(const void *x, const void *y) {
    const arc *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

static int add_arc(graph *gr, long a, long b, double len, double blen,
                   int strength) {
    if (gr->m == gr->cap_m) {
        size_t nc = gr->cap_m ? 2 * gr->cap_m : 64;
        arc *na = gs__realloc(gr->arcs, nc * sizeof *na);
        if (!na) return -1;
        gr->arcs = na;
        gr->cap_m = nc;
    }
    if (blen > len) blen = len;
    if (!(blen > 0.5 * len)) strength = 0;
    gr->arcs[gr->m++] =
        (arc){a,    b,
              len,  (len - blen) + barrier_cost[strength ? strength : 1] * blen,
              blen, strength};
    return 0;
}

/* The strength of the barrier between units of two faces: 3 when the
 * faces lie on two sides of a major barrier, 2 of a medium one, else 1. */
static int strength_between(const graph *gr, const unit *a, const unit *b) {
    const unit *fa, *fb;
    if (!gr->faces || a->face < 0 || b->face < 0) return 2;
    fa = &gr->faces->u[a->face];
    fb = &gr->faces->u[b->face];
    if (fa->blk1 != fb->blk1) return 3;
    if (fa->blk2 != fb->blk2) return 2;
    return 1;
}

/* The length of boundary x (shared by units a and b) that lies on a
 * barrier: all of it between faces, inside a face what runs along the
 * face's lines that close nothing. */
static double barrier_length(const graph *gr, const unit *a, const unit *b,
                             const GEOSGeometry *x, double len) {
    GEOSContextHandle_t h = gr->h;
    double blen = a->face != b->face ? len : 0;
    const GEOSGeometry *dg = a->face == b->face && gr->faces && a->face >= 0
                                 ? gr->faces->u[a->face].dangles_buf
                                 : NULL;
    if (dg && GEOSIntersects_r(h, x, dg) == 1) {
        GEOSGeometry *on = GEOSIntersection_r(h, x, dg);
        if (on) GEOSLength_r(h, on, &blen);
        GEOSGeom_destroy_r(h, on);
    }
    return blen;
}

/* Arcs between units sharing more than 1 cm of boundary, found by a sweep
 * over the envelopes, then sorted. -1 when out of memory. */
static int find_arcs(graph *gr) {
    GEOSContextHandle_t h = gr->h;
    size_t n = gr->n;
    envref *order = gs__malloc((n ? n : 1) * sizeof *order);
    int rc = -1;

    if (!order) return -1;
    for (size_t i = 0; i < n; i++) order[i] = (envref){gr->u[i].env[0], i};
    qsort(order, n, sizeof *order, cmp_envref);
    for (size_t p = 0; p < n; p++) {
        const unit *a = &gr->u[order[p].i];
        for (size_t q = p + 1; q < n; q++) {
            const unit *b = &gr->u[order[q].i];
            GEOSGeometry *x;
            double len = 0, e = 1e-6;
            size_t i = order[p].i, j = order[q].i;
            if (b->env[0] > a->env[2] + e) break;
            if (b->env[1] > a->env[3] + e || a->env[1] > b->env[3] + e)
                continue;
            x = GEOSIntersection_r(h, a->g, b->g);
            if (!x) continue; /* a robustness failure: not adjacent */
            GEOSLength_r(h, x, &len);
            if (len > 0.01 &&
                add_arc(gr, (long)(i < j ? i : j), (long)(i < j ? j : i), len,
                        barrier_length(gr, a, b, x, len),
                        a->face != b->face ? strength_between(gr, a, b) : 1)) {
                GEOSGeom_destroy_r(h, x);
                goto done;
            }
            GEOSGeom_destroy_r(h, x);
        }
    }
    /* Arcs in a fixed order whatever the sweep met first. */
    if (gr->m > 1) qsort(gr->arcs, gr->m, sizeof *gr->arcs, cmp_arc);
    rc = 0;
done:
    free(order);
    return rc;
}

/* The CSR of the arcs (gr->off, gr->adj), built afresh. -1 when out of
 * memory. */
static int build_csr(graph *gr) {
    size_t n = gr->n, *fill;
    free(gr->off);
    free(gr->adj);
    gr->off = gs__calloc(n + 1, sizeof *gr->off);
    gr->adj = gs__malloc((gr->m ? 2 * gr->m : 1) * sizeof *gr->adj);
    if (!gr->off || !gr->adj) return -1;
    for (size_t e = 0; e < gr->m; e++) {
        gr->off[gr->arcs[e].a + 1]++;
        gr->off[gr->arcs[e].b + 1]++;
    }
    for (size_t i = 0; i < n; i++) gr->off[i + 1] += gr->off[i];
    fill = gs__malloc((n ? n : 1) * sizeof *fill);
    if (!fill) return -1;
    memcpy(fill, gr->off, n * sizeof *fill);
    for (size_t e = 0; e < gr->m; e++) {
        gr->adj[fill[gr->arcs[e].a]++] = e;
        gr->adj[fill[gr->arcs[e].b]++] = e;
    }
    free(fill);
    return 0;
}

/* Adds a zero-length arc from the nearest unit of component nc to the
 * nearest unit of an earlier component. -1 when out of memory. */
static int join_nearest(graph *gr, const long *comp, long nc) {
    size_t n = gr->n, bi = 0, bj = 0;
    double bd = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (comp[i] != nc) continue;
        for (size_t j = 0; j < n; j++) {
            double d;
            if (comp[j] < 0 || comp[j] >= nc) continue;
            d = hypot(gr->u[i].x - gr->u[j].x, gr->u[i].y - gr->u[j].y);
            if (d < bd) {
                bd = d;
                bi = i;
                bj = j;
            }
        }
    }
    return add_arc(gr, (long)(bi < bj ? bi : bj), (long)(bi < bj ? bj : bi), 0,
                   0, 0);
}

/* Finds the components (BFS over the CSR) and joins each after the first
 * to an earlier one; *joined when an arc was added (the CSR is then out of
 * date). -1 when out of memory. */
static int join_components(graph *gr, int *joined) {
    size_t n = gr->n;
    long *comp = gs__malloc((n ? n : 1) * sizeof *comp), nc = 0;
    size_t *queue = gs__malloc((n ? n : 1) * sizeof *queue);
    int rc = -1;
    *joined = 0;
    if (!comp || !queue) goto done;
    for (size_t i = 0; i < n; i++) comp[i] = -1;
    for (size_t s = 0; s < n; s++) {
        size_t head = 0, tail = 0;
        if (comp[s] >= 0) continue;
        comp[s] = nc;
        queue[tail++] = s;
        while (head < tail) {
            size_t v = queue[head++];
            for (size_t k = gr->off[v]; k < gr->off[v + 1]; k++) {
                const arc *e = &gr->arcs[gr->adj[k]];
                size_t o = (size_t)(e->a == (long)v ? e->b : e->a);
                if (comp[o] >= 0) continue;
                comp[o] = nc;
                queue[tail++] = o;
            }
        }
        if (nc > 0) {
            if (join_nearest(gr, comp, nc)) goto done;
            *joined = 1;
        }
        nc++;
    }
    rc = 0;
done:
    free(comp);
    free(queue);
    return rc;
}

int gs__graph_sub(const graph *gr, const long *ids, size_t n, graph *out) {
    long *loc = gs__malloc((gr->n ? gr->n : 1) * sizeof *loc);
    int joined;
    memset(out, 0, sizeof *out);
    out->h = gr->h;
    out->faces = gr->faces;
    out->u = gs__malloc((n ? n : 1) * sizeof *out->u);
    if (!loc || !out->u) {
        free(loc);
        return -1;
    }
    out->n = out->cap = n;
    for (size_t i = 0; i < gr->n; i++) loc[i] = -1;
    for (size_t i = 0; i < n; i++) {
        out->u[i] = gr->u[ids[i]];
        loc[ids[i]] = (long)i;
    }
    for (size_t e = 0; e < gr->m; e++) {
        const arc *a = &gr->arcs[e];
        long x = loc[a->a], y = loc[a->b];
        if (x < 0 || y < 0 || a->len <= 0) continue;
        if (out->m == out->cap_m) {
            size_t nc = out->cap_m ? 2 * out->cap_m : 64;
            arc *na = gs__realloc(out->arcs, nc * sizeof *na);
            if (!na) {
                free(loc);
                return -1;
            }
            out->arcs = na;
            out->cap_m = nc;
        }
        out->arcs[out->m] = *a;
        out->arcs[out->m].a = x < y ? x : y;
        out->arcs[out->m].b = x < y ? y : x;
        out->m++;
    }
    free(loc);
    if (out->m > 1) qsort(out->arcs, out->m, sizeof *out->arcs, cmp_arc);
    if (build_csr(out) || join_components(out, &joined)) return -1;
    return joined ? build_csr(out) : 0;
}

void gs__graph_sub_free(graph *g) {
    free(g->u);
    free(g->arcs);
    free(g->off);
    free(g->adj);
    memset(g, 0, sizeof *g);
}

int gs__graph_arcs(graph *gr) {
    int joined;
    if (find_arcs(gr) || build_csr(gr) || join_components(gr, &joined))
        return -1;
    return joined ? build_csr(gr) : 0;
}
