/*
 * clusters.c - DBSCAN groups of events: the clusters of the period and the
 * repeat locations among the trouble spots.
 *
 * Both are DBSCAN (stats.c) over a subset of the events, with their own
 * radius and minimum: clusters over the period's events with cluster_eps_m
 * and cluster_min_events, repeat locations over the repeat_days ending
 * with the period with repeat_radius_m and repeat_min_events. A group is
 * described the same way for both: its dominant category, the grid most
 * of its events count in, its time span and mean point. Groups and their
 * members keep input order, so runs are repeatable.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Events grouped by DBSCAN: the members of group k (of n) are the events
 * mem[start[k] .. start[k+1]-1], in input order. */
typedef struct groups {
    size_t n;
    size_t *start;       /* n + 1 */
    size_t *mem;         /* event indices */
    unsigned char *core; /* per member */
} groups;

static void groups_free(groups *g) {
    free(g->start);
    free(g->mem);
    free(g->core);
    memset(g, 0, sizeof *g);
}

/* The events idx[0..n-1] grouped by DBSCAN (eps, min_pts) into *out.
 * GS_ERR_NOMEM, or gs__dbscan's code; no message. */
static int dbscan_groups(const gs__events *ev, const size_t *idx, size_t n,
                         double eps, size_t min_pts, groups *out) {
    double *x = gs__malloc((n ? n : 1) * sizeof *x);
    double *y = gs__malloc((n ? n : 1) * sizeof *y);
    long *lab = gs__malloc((n ? n : 1) * sizeof *lab);
    unsigned char *core = gs__malloc(n ? n : 1);
    size_t ng = 0, *fill = NULL;
    int rc = GS_ERR_NOMEM;
    memset(out, 0, sizeof *out);
    if (!x || !y || !lab || !core) goto done;
    for (size_t k = 0; k < n; k++) {
        x[k] = ev->v[idx[k]].x;
        y[k] = ev->v[idx[k]].y;
    }
    if (n > 0 && (rc = gs__dbscan(x, y, n, eps, min_pts, lab, core, &ng)))
        goto done;
    rc = GS_ERR_NOMEM;
    out->start = gs__calloc(ng + 1, sizeof *out->start);
    fill = gs__calloc(ng + 1, sizeof *fill);
    out->mem = gs__malloc((n ? n : 1) * sizeof *out->mem);
    out->core = gs__malloc(n ? n : 1);
    if (!out->start || !fill || !out->mem || !out->core) goto done;
    for (size_t k = 0; k < n; k++)
        if (lab[k] >= 0) out->start[lab[k] + 1]++;
    for (size_t g = 0; g < ng; g++) out->start[g + 1] += out->start[g];
    memcpy(fill, out->start, (ng + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++) {
        if (lab[k] < 0) continue;
        out->core[fill[lab[k]]] = core[k];
        out->mem[fill[lab[k]]++] = idx[k];
    }
    out->n = ng;
    rc = GS_OK;
done:
    if (rc) groups_free(out);
    free(x);
    free(y);
    free(lab);
    free(core);
    free(fill);
    return rc;
}

typedef struct group_sum {
    long events, core;
    int category;
    long category_events;
    int64_t first_ms, last_ms;
    long grid;
    double x, y;
} group_sum;

/* Figures of group k: the dominant category (ties: the more frequent
 * overall), the grid most members count in (ties: the first), the time
 * span, the mean point. `cat_n` (ncats zeros) and `grid_n` (one zero per
 * grid) are work space, left zeroed. */
static group_sum sum_group(const gs__events *ev, const gs__hsresult *r,
                           const groups *gr, size_t k, long *cat_n,
                           long *grid_n) {
    group_sum s;
    size_t a = gr->start[k], b = gr->start[k + 1];
    long best_n = 0;
    memset(&s, 0, sizeof s);
    s.category = -1;
    s.grid = -1;
    s.first_ms = INT64_MAX;
    s.last_ms = INT64_MIN;
    for (size_t q = a; q < b; q++) {
        size_t i = gr->mem[q];
        const gs__event *e = &ev->v[i];
        int c = r->ev_cat[i];
        s.events++;
        s.core += gr->core[q];
        s.x += e->x;
        s.y += e->y;
        if (e->reported_ms < s.first_ms) s.first_ms = e->reported_ms;
        if (e->reported_ms > s.last_ms) s.last_ms = e->reported_ms;
        if (++cat_n[c] > s.category_events ||
            (cat_n[c] == s.category_events && c < s.category)) {
            s.category_events = cat_n[c];
            s.category = c;
        }
        if (r->ev_grid[i] >= 0) grid_n[r->ev_grid[i]]++;
    }
    for (size_t q = a; q < b; q++) {
        long g = r->ev_grid[gr->mem[q]];
        cat_n[r->ev_cat[gr->mem[q]]] = 0;
        if (g < 0) continue;
        if (grid_n[g] > best_n || (grid_n[g] == best_n && g < s.grid)) {
            best_n = grid_n[g];
            s.grid = g;
        }
    }
    for (size_t q = a; q < b; q++)
        if (r->ev_grid[gr->mem[q]] >= 0) grid_n[r->ev_grid[gr->mem[q]]] = 0;
    if (s.events) {
        s.x /= (double)s.events;
        s.y /= (double)s.events;
    }
    return s;
}

typedef struct hpt {
    double x, y;
} hpt;

static int cmp_hpt(const void *a, const void *b) {
    const hpt *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

/* Twice the signed area of o, a, b: > 0 for a left turn. */
static double cross(const hpt *o, const hpt *a, const hpt *b) {
    return (a->x - o->x) * (b->y - o->y) - (a->y - o->y) * (b->x - o->x);
}

/* The points of v[0..n) (sorted, distinct) on the boundary of their
 * convex hull, collinear ones included, into out (room for 2n); their
 * number. Andrew's monotone chain: O(n) after the sort. */
static size_t hull_candidates(const hpt *v, size_t n, hpt *out) {
    size_t k = 0, lower;
    if (n < 3) {
        memcpy(out, v, n * sizeof *v);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        while (k >= 2 && cross(&out[k - 2], &out[k - 1], &v[i]) < 0) k--;
        out[k++] = v[i];
    }
    lower = k + 1;
    for (size_t i = n - 1; i-- > 0;) {
        while (k >= lower && cross(&out[k - 2], &out[k - 1], &v[i]) < 0) k--;
        out[k++] = v[i];
    }
    return k;
}

/* Keeps the points of v[0..n) that are not strictly inside the octagon of
 * their extreme points (least and greatest x, y, x + y, x - y), which
 * therefore holds every vertex of their hull (Akl and Toussaint's
 * heuristic): a large cluster keeps a few hundred of its points. Returns
 * how many are kept, moved to the front in their order. */
static size_t octagon_filter(hpt *v, size_t n) {
    size_t ext[8] = {0}, m = 0;
    hpt o[8];
    if (n < 64) return n;
    for (size_t i = 1; i < n; i++) {
        double x = v[i].x, y = v[i].y;
        if (x < v[ext[0]].x) ext[0] = i;
        if (x + y < v[ext[1]].x + v[ext[1]].y) ext[1] = i;
        if (y < v[ext[2]].y) ext[2] = i;
        if (x - y > v[ext[3]].x - v[ext[3]].y) ext[3] = i;
        if (x > v[ext[4]].x) ext[4] = i;
        if (x + y > v[ext[5]].x + v[ext[5]].y) ext[5] = i;
        if (y > v[ext[6]].y) ext[6] = i;
        if (x - y < v[ext[7]].x - v[ext[7]].y) ext[7] = i;
    }
    /* West, south-west, south, south-east, east...: counter-clockwise. */
    for (int k = 0; k < 8; k++) o[k] = v[ext[k]];
    for (size_t i = 0; i < n; i++) {
        int inside = 1;
        for (int k = 0; k < 8 && inside; k++) {
            const hpt *a = &o[k], *b = &o[(k + 1) % 8];
            if (a->x == b->x && a->y == b->y) continue; /* a corner twice */
            double ex = b->x - a->x, ey = b->y - a->y;
            double px = v[i].x - a->x, py = v[i].y - a->y;
            /* Strictly inside, by more than rounding could err. */
            inside = ex * py - ey * px >
                     1e-9 * (fabs(ex) + fabs(ey)) * (fabs(px) + fabs(py));
        }
        if (!inside) v[m++] = v[i];
    }
    return m;
}

/* Convex hull of the group's points, buffered by `pad` metres. GEOS's
 * hull keeps a set of every coordinate, which for a cluster of a dense
 * week (millions of events) took seconds; the octagon filter and the
 * monotone chain first keep only the points on the hull's boundary, from
 * which GEOS builds the same hull. NULL when out of memory. */
static GEOSGeometry *group_hull(GEOSContextHandle_t h, const gs__events *ev,
                                const groups *gr, size_t k, double pad) {
    size_t a = gr->start[k], n = gr->start[k + 1] - a, u = 0, m;
    hpt *v = gs__malloc(n * sizeof *v), *c = gs__malloc(2 * n * sizeof *c);
    GEOSCoordSequence *cs = NULL;
    GEOSGeometry *mp = NULL, *hull, *out = NULL;
    if (!v || !c) goto done;
    for (size_t q = 0; q < n; q++)
        v[q] = (hpt){ev->v[gr->mem[a + q]].x, ev->v[gr->mem[a + q]].y};
    n = octagon_filter(v, n);
    qsort(v, n, sizeof *v, cmp_hpt);
    for (size_t q = 0; q < n; q++)
        if (u == 0 || cmp_hpt(&v[u - 1], &v[q]) != 0) v[u++] = v[q];
    m = hull_candidates(v, u, c);
    if (m >= 2) {
        cs = GEOSCoordSeq_create_r(h, (unsigned)m, 2);
        if (!cs) goto done;
        for (size_t q = 0; q < m; q++)
            GEOSCoordSeq_setXY_r(h, cs, (unsigned)q, c[q].x, c[q].y);
        mp = GEOSGeom_createLineString_r(h, cs); /* hull of its points */
    } else {
        mp = GEOSGeom_createPointFromXY_r(h, c[0].x, c[0].y);
    }
    if (!mp) goto done;
    hull = GEOSConvexHull_r(h, mp);
    if (!hull) goto done;
    out = GEOSBuffer_r(h, hull, pad, 8);
    GEOSGeom_destroy_r(h, hull);
done:
    if (mp) GEOSGeom_destroy_r(h, mp);
    free(v);
    free(c);
    return out;
}

/* Event ids of group k joined by ", " into b, at most 20, then "... (N in
 * all)". */
static void group_ids(const gs__events *ev, const groups *gr, size_t k,
                      gs__buf *b) {
    size_t a = gr->start[k], e = gr->start[k + 1];
    gs__buf_init(b, 1 << 16);
    for (size_t q = a; q < e && q < a + 20; q++)
        gs__buf_printf(b, "%s%s", q > a ? ", " : "",
                       ev->v[gr->mem[q]].id[0] ? ev->v[gr->mem[q]].id : "?");
    if (e - a > 20) gs__buf_printf(b, " ... (%zu in all)", e - a);
}

/* The work space of a grouping: the chosen events, their groups, and what
 * sum_group needs (cat_n: ncats zeros; grid_n: one zero per grid). */
typedef struct scratch {
    size_t *idx, n;
    long *cat_n, *grid_n;
    groups gr;
} scratch;

static void scratch_free(scratch *w) {
    groups_free(&w->gr);
    free(w->idx);
    free(w->cat_n);
    free(w->grid_n);
}

/* GS_ERR_NOMEM, no message; free with scratch_free in every case. */
static int scratch_init(scratch *w, const gs__events *ev,
                        const gs__hsresult *r) {
    long ng = 0;
    memset(w, 0, sizeof *w);
    w->idx = gs__malloc((ev->n ? ev->n : 1) * sizeof *w->idx);
    w->cat_n = gs__calloc(r->ncats ? r->ncats : 1, sizeof *w->cat_n);
    for (size_t i = 0; i < ev->n; i++)
        if (r->ev_grid[i] >= ng) ng = r->ev_grid[i] + 1;
    w->grid_n = gs__calloc(ng ? (size_t)ng : 1, sizeof *w->grid_n);
    return w->idx && w->cat_n && w->grid_n ? GS_OK : GS_ERR_NOMEM;
}

int gs__hs_clusters(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                    gs__hsresult *r) {
    const gs_rules *ru = p->rules;
    scratch w;
    int rc = GS_OK;
    if (scratch_init(&w, ev, r)) NOMEM();
    for (size_t i = 0; i < ev->n; i++)
        if (r->ev_flag[i] & GS__EVF_PERIOD) w.idx[w.n++] = i;
    if ((rc = dbscan_groups(ev, w.idx, w.n, ru->cluster_eps_m,
                            (size_t)ru->cluster_min_events, &w.gr))) {
        rc = gs__err(ctx, rc, "DBSCAN of the events failed");
        goto done;
    }
    r->clusters = gs__calloc(w.gr.n ? w.gr.n : 1, sizeof *r->clusters);
    if (!r->clusters) NOMEM();
    for (size_t k = 0; k < w.gr.n; k++) {
        group_sum s = sum_group(ev, r, &w.gr, k, w.cat_n, w.grid_n);
        gs__hs_cluster *c = &r->clusters[k];
        c->events = s.events;
        c->core = s.core;
        c->category = s.category;
        c->category_events = s.category_events;
        c->first_ms = s.first_ms;
        c->last_ms = s.last_ms;
        c->grid = s.grid;
        c->x = s.x;
        c->y = s.y;
        c->geom = group_hull(ctx->geos, ev, &w.gr, k, ru->cluster_eps_m / 10);
        r->n_clusters = k + 1;
        if (!c->geom) NOMEM();
    }
done:
    scratch_free(&w);
    return rc;
}

int gs__hs_repeat_spots(gs_ctx *ctx, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r, size_t *tcap) {
    const gs_rules *ru = p->rules;
    scratch w;
    int rc = GS_OK;
    if (scratch_init(&w, ev, r)) NOMEM();
    for (size_t i = 0; i < ev->n; i++)
        if (ev->v[i].day <= p->day1 &&
            ev->v[i].day > p->day1 - (int32_t)ru->repeat_days)
            w.idx[w.n++] = i;
    if ((rc = dbscan_groups(ev, w.idx, w.n, ru->repeat_radius_m,
                            (size_t)ru->repeat_min_events, &w.gr))) {
        rc = gs__err(ctx, rc, "DBSCAN of the repeat locations failed");
        goto done;
    }
    for (size_t k = 0; k < w.gr.n; k++) {
        group_sum s = sum_group(ev, r, &w.gr, k, w.cat_n, w.grid_n);
        gs__hs_trouble t;
        gs__buf b;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_REPEAT;
        t.x = s.x;
        t.y = s.y;
        t.grid = s.grid;
        t.category = s.category;
        t.events = s.events;
        t.first_ms = s.first_ms;
        t.last_ms = s.last_ms;
        t.event = -1;
        group_ids(ev, &w.gr, k, &b);
        if (gs__hs_add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    scratch_free(&w);
    return rc;
}
