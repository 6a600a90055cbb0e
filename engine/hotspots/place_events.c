/*
 * place_events.c - what each event is to the analysis: in the period or
 * the history or neither, the grid it counts in, and its category.
 *
 * An event counts in the grid its location falls in, by the households'
 * rule (gs__assign_points), so that a typo in grid_code cannot move it;
 * the given code only places an event that lies in no grid, and every
 * disagreement is flagged for event_issues. Categories are numbered most
 * frequent in the period first, then by text, which is the order of the
 * cat_1.. fields (and of a merge of shards, merge_units.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "households.h"

/* ---- placing events ------------------------------------------------------ */

int gs__hs_join(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                int threads, long *out_grid, long *out_loc,
                unsigned char *out_flags) {
    double *x = gs__malloc((ev->n ? ev->n : 1) * sizeof *x);
    double *y = gs__malloc((ev->n ? ev->n : 1) * sizeof *y);
    long *loc =
        out_loc ? out_loc : gs__malloc((ev->n ? ev->n : 1) * sizeof *loc);
    gs__strix *codes =
        gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof *codes);
    int rc = GS_OK;
    if (!x || !y || !loc || !codes) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        x[i] = ev->v[i].x;
        y[i] = ev->v[i].y;
    }
    if ((rc = gs__assign_points(ctx, m, x, y, ev->n, threads, loc))) goto done;
    for (size_t i = 0; i < m->n_grids; i++)
        codes[i] = (gs__strix){m->grids[i].code, i};
    qsort(codes, m->n_grids, sizeof *codes, gs__strix_cmp);
    for (size_t i = 0; i < ev->n; i++) {
        const char *given = ev->v[i].grid_code;
        long known = given[0] ? gs__strix_lookup(codes, m->n_grids, given) : -1;
        unsigned char fl =
            out_flags[i] &
            ~(GS__EVF_MISMATCH | GS__EVF_UNKNOWN_CODE | GS__EVF_OUTSIDE);
        if (given[0] && known < 0) fl |= GS__EVF_UNKNOWN_CODE;
        if (loc[i] >= 0) {
            out_grid[i] = loc[i];
            if (given[0] && strcmp(given, m->grids[loc[i]].code) != 0)
                fl |= GS__EVF_MISMATCH;
        } else {
            out_grid[i] = known;
            fl |= GS__EVF_OUTSIDE;
        }
        out_flags[i] = fl;
    }
done:
    free(x);
    free(y);
    free(codes);
    if (loc != out_loc) free(loc);
    return rc;
}

/* ---- categories ---------------------------------------------------------- */

typedef struct cat_order {
    const char *s;
    long n;
    int old;
} cat_order;

int gs__hs_cat_cmp(long n_a, const char *a, long n_b, const char *b) {
    if (n_a != n_b) return n_a > n_b ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_cat_order(const void *a, const void *b) {
    const cat_order *x = a, *y = b;
    return gs__hs_cat_cmp(x->n, x->s, y->n, y->s);
}

int gs__hs_top_category(const long *cn, size_t n) {
    int top = -1;
    for (size_t k = 0; k < n; k++)
        if (cn[k] > 0 && (top < 0 || cn[k] > cn[top])) top = (int)k;
    return top;
}

const char *gs__hs_category_label(const char *category) {
    return category && category[0] ? category : "未分类";
}

/* Numbers the distinct strings of the events' categories in first-seen
 * order (ev_cat per event, *out_n of them, their text in *out_s) with a
 * hash table, so a dense week's millions of events cost one hash each
 * rather than a sort of their texts. GS_ERR_NOMEM, no message. */
static int number_categories(const gs__events *ev, int *ev_cat,
                             const char ***out_s, size_t *out_n) {
    gs__strset set = {0};
    for (size_t i = 0; i < ev->n; i++) {
        size_t id;
        if (gs__strset_add(&set, ev->v[i].category, set.n, &id) < 0) {
            gs__strset_free(&set);
            return GS_ERR_NOMEM;
        }
        ev_cat[i] = (int)id;
    }
    *out_s = set.s;
    *out_n = set.n;
    set.s = NULL;
    gs__strset_free(&set);
    return GS_OK;
}

/* Distinct categories of all events, most frequent in the period first,
 * then by text; ev_cat per event. GS_ERR_NOMEM, no message. */
static int index_categories(const gs__events *ev, gs__hsresult *r) {
    size_t n = ev->n, nc = 0;
    const char **seen = NULL;
    cat_order *ord = NULL;
    int *rank = NULL, rc = GS_ERR_NOMEM;
    r->ev_cat = gs__malloc((n ? n : 1) * sizeof *r->ev_cat);
    if (!r->ev_cat || number_categories(ev, r->ev_cat, &seen, &nc)) goto done;
    ord = gs__calloc(nc ? nc : 1, sizeof *ord);
    rank = gs__malloc((nc ? nc : 1) * sizeof *rank);
    r->cats = gs__malloc((nc ? nc : 1) * sizeof *r->cats);
    r->cat_events = gs__calloc(nc ? nc : 1, sizeof *r->cat_events);
    if (!ord || !rank || !r->cats || !r->cat_events) goto done;
    for (size_t k = 0; k < nc; k++) {
        ord[k].s = seen[k];
        ord[k].old = (int)k;
    }
    for (size_t i = 0; i < n; i++)
        ord[r->ev_cat[i]].n += (r->ev_flag[i] & GS__EVF_PERIOD) != 0;
    qsort(ord, nc, sizeof *ord, cmp_cat_order);
    for (size_t k = 0; k < nc; k++) {
        rank[ord[k].old] = (int)k;
        r->cats[k] = ord[k].s;
        r->cat_events[k] = ord[k].n;
    }
    for (size_t i = 0; i < n; i++) r->ev_cat[i] = rank[r->ev_cat[i]];
    r->ncats = nc;
    rc = GS_OK;
done:
    free((void *)seen);
    free(ord);
    free(rank);
    return rc;
}

/* ---- the steps together -------------------------------------------------- */

/* The period and history flags of every event and their totals. */
static int flag_days(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                     gs__hsresult *r) {
    size_t n = ev->n;
    int rc = GS_OK;
    r->ev_flag = gs__calloc(n ? n : 1, 1);
    r->ev_grid = gs__malloc((n ? n : 1) * sizeof *r->ev_grid);
    r->ev_loc = gs__malloc((n ? n : 1) * sizeof *r->ev_loc);
    if (!r->ev_flag || !r->ev_grid || !r->ev_loc) NOMEM();
    for (size_t i = 0; i < n; i++) {
        int32_t d = ev->v[i].day;
        if (d >= p->day0 && d <= p->day1) r->ev_flag[i] |= GS__EVF_PERIOD;
        if (d >= p->week0 && d <= p->day1) r->ev_flag[i] |= GS__EVF_HISTORY;
        r->n_period += d >= p->day0 && d <= p->day1;
        r->n_history += d >= p->week0 && d <= p->day1;
    }
done:
    return rc;
}

int gs__hs_place_events(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r) {
    int rc;
    if ((rc = flag_days(ctx, ev, p, r))) goto done;
    gs__progress(ctx, "join events to grids", -1);
    if ((rc = gs__hs_join(ctx, m, ev, p->threads, r->ev_grid, r->ev_loc,
                          r->ev_flag)))
        goto done;
    for (size_t i = 0; i < ev->n; i++) {
        unsigned char f = r->ev_flag[i];
        if (!(f & GS__EVF_PERIOD)) continue;
        r->n_mismatch += (f & GS__EVF_MISMATCH) != 0;
        r->n_unknown_code += (f & GS__EVF_UNKNOWN_CODE) != 0;
        r->n_outside += (f & GS__EVF_OUTSIDE) != 0;
    }
    if (index_categories(ev, r)) NOMEM();
done:
    return rc;
}
