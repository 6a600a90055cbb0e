/*
 * summaries.c - weekly_summary and monthly_summary: per community, per
 * street (the first 9 digits of the community code) and in total, for
 * each ISO week and each month overlapping the period.
 *
 * Each row has the counts of its events as they stood at the period's end
 * (event_state.c), the three categories with most events, the hexagons
 * that were a 95 % hot spot in a week overlapping it (when weekly Gi* ran)
 * and the events of the week or month before, for the change. The units
 * are every community code of the grids and the communities, sorted, so
 * the rows come in one order whatever the input order.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "datetime.h"

typedef struct acc {
    gs__hs_counts c;
    long hot;
} acc;

typedef struct units {
    gs__strix *code; /* communities (sorted), streets (sorted), "total" */
    size_t ncomm, nstreet, n;
    long *grid_comm;   /* per grid: its community unit */
    long *grid_street; /* per grid: its street unit */
    char *street_buf;  /* the street codes' storage */
} units;

static void units_free(units *u) {
    free(u->code);
    free(u->grid_comm);
    free(u->grid_street);
    free(u->street_buf);
    memset(u, 0, sizeof *u);
}

/* Sorts v[0..n-1] and drops repeated strings; returns the new count. */
static size_t unique_strs(gs__strix *v, size_t n) {
    size_t w = 0;
    qsort(v, n, sizeof *v, gs__strix_cmp);
    for (size_t k = 0; k < n; k++)
        if (w == 0 || strcmp(v[w - 1].s, v[k].s)) v[w++] = v[k];
    return w;
}

/* The unit of community `code` (comm: 1) or of its street (comm: 0), or
 * -1 when it has none. */
static long unit_of(const units *u, const char *code, int comm) {
    char s9[16];
    size_t k;
    if (comm) {
        k = gs__strix_find(u->code, u->ncomm, code);
        return k < u->ncomm ? (long)k : -1;
    }
    snprintf(s9, sizeof s9, "%.9s", code);
    k = gs__strix_find(u->code + u->ncomm, u->nstreet, s9);
    return k < u->nstreet ? (long)(u->ncomm + k) : -1;
}

/* The units of the summaries: every community code of the grids and the
 * communities, their streets (first 9 digits) and the total. */
static int build_units(const gs__model *m, units *u) {
    size_t nc = m->n_grids + m->n_communities, ns;
    gs__strix *v = gs__malloc((nc ? nc : 1) * sizeof *v);
    memset(u, 0, sizeof *u);
    if (!v) return GS_ERR_NOMEM;
    for (size_t g = 0; g < m->n_grids; g++)
        v[g] = (gs__strix){m->grids[g].community_code, g};
    for (size_t c = 0; c < m->n_communities; c++)
        v[m->n_grids + c] = (gs__strix){m->communities[c].code, c};
    nc = unique_strs(v, nc);
    u->street_buf = gs__malloc(nc * 16 + 1);
    u->code = gs__malloc((2 * nc + 1) * sizeof *u->code);
    u->grid_comm = gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof(long));
    u->grid_street = gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof(long));
    if (!u->street_buf || !u->code || !u->grid_comm || !u->grid_street) {
        free(v);
        units_free(u);
        return GS_ERR_NOMEM;
    }
    memcpy(u->code, v, nc * sizeof *v);
    for (size_t k = 0; k < nc; k++) {
        snprintf(u->street_buf + 16 * k, 16, "%.9s", v[k].s);
        u->code[nc + k] = (gs__strix){u->street_buf + 16 * k, k};
    }
    ns = unique_strs(u->code + nc, nc);
    u->code[nc + ns] = (gs__strix){"total", 0};
    u->ncomm = nc;
    u->nstreet = ns;
    u->n = nc + ns + 1;
    for (size_t g = 0; g < m->n_grids; g++) {
        u->grid_comm[g] = unit_of(u, m->grids[g].community_code, 1);
        u->grid_street[g] = unit_of(u, m->grids[g].community_code, 0);
    }
    free(v);
    return GS_OK;
}

/* The community code a hexagon belongs to. */
static const char *hex_code(const gs__model *m, const gs__hsresult *r,
                            size_t k) {
    long c = r->hex_comm[k];
    if (c < 0) return NULL;
    return m->n_communities ? m->communities[c].code
                            : m->grids[c].community_code;
}

/* The sums of one summary: per unit and bucket, the counts and hot cells
 * (a[unit * nb + bucket]) and the events per category (nc per cell of a,
 * in cats). Bucket b holds the days [start[b], start[b+1]); bucket 0 is
 * the week or month before the period, for the change. */
typedef struct sums {
    const units *u;
    const int32_t *start; /* nb + 1 */
    size_t nb, nc;
    acc *a;
    long *cats;
} sums;

/* Adds every event up to the period's end to its bucket, in its
 * community's, its street's and the total's unit. */
static void add_events(sums *s, const gs__events *ev, const gs__hs_params *p,
                       const gs__hsresult *r) {
    const units *u = s->u;
    const int32_t *start = s->start;
    size_t nb = s->nb, nu = u->n;
    for (size_t i = 0; i < ev->n; i++) {
        const gs__event *e = &ev->v[i];
        long g = r->ev_grid[i], us[3];
        size_t b = 0, lo = 0, hi = nb, nus = 0;
        if (e->day > p->day1 || e->day < start[0] || e->day >= start[nb])
            continue;
        while (hi - lo > 1) { /* start[lo] <= day < start[hi] */
            size_t mid = (lo + hi) / 2;
            if (start[mid] <= e->day)
                lo = mid;
            else
                hi = mid;
        }
        b = lo;
        if (g >= 0 && u->grid_comm[g] >= 0) us[nus++] = u->grid_comm[g];
        if (g >= 0 && u->grid_street[g] >= 0) us[nus++] = u->grid_street[g];
        us[nus++] = (long)nu - 1;
        for (size_t k = 0; k < nus; k++) {
            gs__hs_count_event(&s->a[(size_t)us[k] * nb + b].c, e, p);
            s->cats[((size_t)us[k] * nb + b) * s->nc + (size_t)r->ev_cat[i]]++;
        }
    }
}

/* Counts, per unit and bucket, the cells that were a 95 % hot spot in a
 * week overlapping the bucket; `hot` is work space of n_hex bytes. */
static void add_hot_cells(sums *s, const gs__model *m, const gs__hs_params *p,
                          const gs__hsresult *r, unsigned char *hot) {
    const units *u = s->u;
    const int32_t *start = s->start;
    size_t nb = s->nb, nu = u->n;
    for (size_t b = 1; b < nb; b++) {
        memset(hot, 0, r->n_hex ? r->n_hex : 1);
        for (int w = 0; w < p->nweeks; w++) {
            int32_t mon = p->week0 + 7 * w;
            if (mon + 6 < start[b] || mon >= start[b + 1]) continue;
            for (size_t k = 0; k < r->n_hex; k++)
                hot[k] |= r->week_bin[(size_t)w * r->n_hex + k] >= 2;
        }
        for (size_t k = 0; k < r->n_hex; k++) {
            const char *cc = hex_code(m, r, k);
            long cu = cc ? unit_of(u, cc, 1) : -1,
                 su = cc ? unit_of(u, cc, 0) : -1;
            if (!hot[k]) continue;
            if (cu >= 0) s->a[(size_t)cu * nb + b].hot++;
            if (su >= 0) s->a[(size_t)su * nb + b].hot++;
            s->a[(nu - 1) * nb + b].hot++;
        }
    }
}

/* row->top: the three categories with most events among cn[0..ncats-1],
 * "环境卫生 12; 占道经营 5; 安全隐患 3", ties to the first. */
static void top_categories(gs__hs_sum *row, const long *cn,
                           const gs__hsresult *r) {
    size_t off = 0;
    int used[3] = {-1, -1, -1};
    for (int t = 0; t < 3; t++) {
        long best = 0;
        for (size_t c = 0; c < r->ncats; c++)
            if (cn[c] > best && (int)c != used[0] && (int)c != used[1]) {
                best = cn[c];
                used[t] = (int)c;
            }
        if (used[t] < 0) break;
        off += (size_t)snprintf(
            row->top + off, off < sizeof row->top ? sizeof row->top - off : 0,
            "%s%s %ld", t ? "; " : "", gs__hs_category_label(r->cats[used[t]]),
            best);
        if (off >= sizeof row->top) break;
    }
}

/* The row of unit `un` and bucket b. */
static void fill_row(const sums *s, const gs__hs_params *p,
                     const gs__hsresult *r, size_t un, size_t b,
                     gs__hs_sum *row) {
    const units *u = s->u;
    const acc *x = &s->a[un * s->nb + b];
    row->level = un < u->ncomm ? 0 : un < u->ncomm + u->nstreet ? 1 : 2;
    row->code = u->code[un].s;
    row->start = s->start[b];
    row->c = x->c;
    row->hot_hexes = r->week_bin ? x->hot : -1;
    row->prev_events =
        s->start[b - 1] >= p->week0 ? s->a[un * s->nb + b - 1].c.events : -1;
    top_categories(row, &s->cats[(un * s->nb + b) * s->nc], r);
}

/* Rows for buckets 1..nb-1 of every unit, each [start[b], start[b+1]);
 * bucket 0 is the previous week or month, for the change. GS_ERR_NOMEM,
 * no message. */
static int summarise(const gs__model *m, const gs__events *ev,
                     const gs__hs_params *p, gs__hsresult *r, const units *u,
                     const int32_t *start, size_t nb, gs__hs_sum **out,
                     size_t *out_n) {
    sums s = {u, start, nb, r->ncats ? r->ncats : 1, NULL, NULL};
    unsigned char *hot = gs__malloc(r->n_hex ? r->n_hex : 1);
    gs__hs_sum *rows = gs__calloc(u->n * nb, sizeof *rows);
    size_t nr = 0;
    int rc = GS_ERR_NOMEM;
    s.a = gs__calloc(u->n * nb, sizeof *s.a);
    s.cats = gs__calloc(u->n * nb * s.nc, sizeof *s.cats);
    if (!s.a || !s.cats || !hot || !rows) goto done;
    add_events(&s, ev, p, r);
    if (r->week_bin) add_hot_cells(&s, m, p, r, hot);
    for (size_t un = 0; un < u->n; un++)
        for (size_t b = 1; b < nb; b++) fill_row(&s, p, r, un, b, &rows[nr++]);
    *out = rows;
    *out_n = nr;
    rows = NULL;
    rc = GS_OK;
done:
    free(s.a);
    free(s.cats);
    free(hot);
    free(rows);
    return rc;
}

/* The first days of the ISO weeks overlapping the period, after the week
 * before it, and the Monday after the last: *nb + 1 of them (malloc'ed;
 * NULL when out of memory). */
static int32_t *week_starts(const gs__hs_params *p, size_t *nb) {
    int32_t a = p->day0 - (gs__weekday(p->day0) - 1) - 7;
    int32_t b = p->day1 - (gs__weekday(p->day1) - 1);
    int32_t *st;
    *nb = (size_t)((b - a) / 7 + 1);
    if (!(st = gs__malloc((*nb + 1) * sizeof *st))) return NULL;
    for (size_t k = 0; k <= *nb; k++) st[k] = a + 7 * (int32_t)k;
    return st;
}

/* The first days of the months overlapping the period, after the month
 * before it, and the first of the month after the last: *nb + 1 of them
 * (malloc'ed; NULL when out of memory). */
static int32_t *month_starts(const gs__hs_params *p, size_t *nb) {
    int y, mo, d, y1, mo1;
    int32_t *st;
    gs__civil_from_days(p->day0, &y, &mo, &d);
    gs__civil_from_days(p->day1, &y1, &mo1, &d);
    if (--mo == 0) {
        mo = 12;
        y--;
    }
    *nb = (size_t)((y1 * 12 + mo1) - (y * 12 + mo) + 1);
    if (!(st = gs__malloc((*nb + 1) * sizeof *st))) return NULL;
    for (size_t k = 0; k <= *nb; k++) {
        int mm = mo - 1 + (int)k;
        st[k] = gs__days_from_civil(y + mm / 12, mm % 12 + 1, 1);
    }
    return st;
}

int gs__hs_summaries(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                     const gs__hs_params *p, gs__hsresult *r) {
    units u;
    int32_t *st = NULL;
    size_t nb;
    int rc = GS_OK;
    if (build_units(m, &u)) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if (!(st = week_starts(p, &nb)) ||
        summarise(m, ev, p, r, &u, st, nb, &r->weekly, &r->n_weekly))
        NOMEM();
    free(st);
    if (!(st = month_starts(p, &nb)) ||
        summarise(m, ev, p, r, &u, st, nb, &r->monthly, &r->n_monthly))
        NOMEM();
    r->street_codes = u.street_buf; /* the rows point into it */
    u.street_buf = NULL;
done:
    free(st);
    units_free(&u);
    return rc;
}
