/*
 * trouble_spots.c - the list of trouble spots, and two of its kinds: open
 * events past their deadline, and grids whose weekly counts rise. (The
 * third, repeat locations, are DBSCAN groups: clusters.c.)
 *
 * An event is overdue when it was open at the period's end and its
 * deadline, in working days after the day it was reported (event_state.c),
 * fell before that end; the list runs from the most working days overdue.
 * A grid rises when Mann-Kendall on its weekly counts over the history has
 * S > 0 and its p passes Benjamini-Hochberg at rising_fdr_q across the
 * grids that had any event: many grids are tested at once.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "datetime.h"

int gs__hs_add_trouble(gs__hsresult *r, size_t *cap, gs__hs_trouble *t,
                       gs__buf *detail) {
    t->detail = gs__buf_steal(detail);
    if (t->detail && r->n_trouble == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        gs__hs_trouble *nv = gs__realloc(r->trouble, nc * sizeof *nv);
        if (nv) {
            r->trouble = nv;
            *cap = nc;
        }
    }
    if (!t->detail || r->n_trouble == *cap) {
        free(t->detail);
        return GS_ERR_NOMEM;
    }
    r->trouble[r->n_trouble++] = *t;
    return GS_OK;
}

typedef struct od_ref {
    int workdays_overdue;
    size_t i;
} od_ref;

static int cmp_od(const void *a, const void *b) {
    const od_ref *x = a, *y = b;
    if (x->workdays_overdue != y->workdays_overdue)
        return x->workdays_overdue > y->workdays_overdue ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int gs__hs_overdue_spots(gs_ctx *ctx, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *r,
                         size_t *tcap) {
    od_ref *v = gs__malloc((ev->n ? ev->n : 1) * sizeof *v);
    size_t n = 0;
    int rc = GS_OK;
    if (!v) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        const gs__event *e = &ev->v[i];
        gs__hs_evstate s;
        if (e->day > p->day1) continue;
        s = gs__hs_state_of(e, p);
        if (!s.overdue) continue;
        v[n].i = i;
        v[n++].workdays_overdue = gs__hs_workdays_between(
            p->cal,
            gs__hs_deadline(p->cal, e->day,
                            gs__hs_deadline_workdays(p->rules, e->category)),
            p->day1);
    }
    qsort(v, n, sizeof *v, cmp_od);
    for (size_t k = 0; k < n; k++) {
        const gs__event *e = &ev->v[v[k].i];
        gs__hs_trouble t;
        char d0[11], d1[11];
        gs__buf b;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_OVERDUE;
        t.x = e->x;
        t.y = e->y;
        t.grid = r->ev_grid[v[k].i];
        t.category = r->ev_cat[v[k].i];
        t.events = 1;
        t.first_ms = t.last_ms = e->reported_ms;
        t.event = (long)v[k].i;
        t.deadline_workdays = gs__hs_deadline_workdays(p->rules, e->category);
        t.deadline_day = gs__hs_deadline(p->cal, e->day, t.deadline_workdays);
        t.workdays_overdue = v[k].workdays_overdue;
        gs__date_format(e->day, d0);
        gs__date_format(t.deadline_day, d1);
        gs__buf_init(&b, 4096);
        gs__buf_printf(&b,
                       "%s reported %s, open; deadline %s (%d working days), "
                       "%d working days overdue",
                       e->id[0] ? e->id : "?", d0, d1, t.deadline_workdays,
                       t.workdays_overdue);
        if (gs__hs_add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    free(v);
    return rc;
}

int gs__hs_rising_spots(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r, size_t *tcap) {
    GEOSContextHandle_t h = ctx->geos;
    size_t ng = m->n_grids, nw = (size_t)p->nweeks, nt = 0;
    double *wk = gs__calloc((ng ? ng : 1) * nw, sizeof *wk);
    double *pv = gs__malloc((ng ? ng : 1) * sizeof *pv);
    long *tested = gs__malloc((ng ? ng : 1) * sizeof *tested), *tot;
    gs__mk_result *mk = gs__malloc((ng ? ng : 1) * sizeof *mk);
    unsigned char *pass = gs__malloc(ng ? ng : 1);
    int rc = GS_OK;
    tot = gs__calloc(ng ? ng : 1, sizeof *tot);
    if (!wk || !pv || !tested || !mk || !pass || !tot) NOMEM();
    if (nw < (size_t)p->rules->min_history_weeks) {
        gs__hs_note(
            r->rising_note, sizeof r->rising_note, r->rising_text,
            sizeof r->rising_text,
            /* TRANSLATORS: the second %s only adds the English plural "s". */
            "only %zu week%s of history; rising grids need %d", nw,
            nw == 1 ? "" : "s", p->rules->min_history_weeks);
        goto done;
    }
    for (size_t i = 0; i < ev->n; i++) {
        long g = r->ev_grid[i];
        if (g < 0 || !(r->ev_flag[i] & GS__EVF_HISTORY)) continue;
        wk[(size_t)g * nw + (size_t)((ev->v[i].day - p->week0) / 7)] += 1;
        tot[g]++;
    }
    for (size_t g = 0; g < ng; g++) {
        if (!tot[g]) continue;
        if ((rc = gs__mann_kendall(wk + g * nw, nw, &mk[nt]))) {
            rc = gs__err(ctx, rc, "Mann-Kendall failed");
            goto done;
        }
        pv[nt] = mk[nt].p;
        tested[nt++] = (long)g;
    }
    if (nt > 0 &&
        (rc = gs__fdr_bh(pv, nt, p->rules->rising_fdr_q, pass, NULL))) {
        rc = gs__err(ctx, rc, "Benjamini-Hochberg failed");
        goto done;
    }
    r->rising_done = 1;
    for (size_t k = 0; k < nt; k++) {
        long g = tested[k];
        gs__hs_trouble t;
        GEOSGeometry *pt;
        gs__buf b;
        char a[9], z[9];
        if (!pass[k] || mk[k].s <= 0) continue;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_RISING;
        pt = GEOSPointOnSurface_r(h, m->grids[g].geom);
        if (!pt || GEOSisEmpty_r(h, pt) || !GEOSGeomGetX_r(h, pt, &t.x) ||
            !GEOSGeomGetY_r(h, pt, &t.y))
            t.x = t.y = NAN;
        if (pt) GEOSGeom_destroy_r(h, pt);
        t.grid = g;
        t.category = -1;
        t.events = tot[g];
        t.first_ms = t.last_ms = 0;
        t.event = -1;
        t.trend_tau = mk[k].tau;
        t.trend_z = mk[k].z;
        t.trend_p = mk[k].p;
        gs__isoweek_format(p->week0, a);
        gs__isoweek_format(p->week0 + 7 * (int32_t)(nw - 1), z);
        gs__buf_init(&b, 1 << 16);
        gs__buf_printf(&b, "weekly events %s to %s: ", a, z);
        for (size_t w = 0; w < nw; w++)
            gs__buf_printf(&b, "%s%.0f", w ? "," : "", wk[(size_t)g * nw + w]);
        if (gs__hs_add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    free(wk);
    free(pv);
    free(tested);
    free(mk);
    free(pass);
    free(tot);
    return rc;
}
