/*
 * care.c - care targets and their visit windows (关爱对象走访).
 *
 * A care target is a household of a care type with a visit interval, in a
 * member's grid of the latest week of the month, assigned to grids as
 * validate assigns households (gs__assign_households, on the ledger's grid
 * shapes projected to the metric CRS). The month is cut into windows of
 * the interval; a window is met by a verified visit of that member to
 * that household on one of its days.
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_assess.h"
#include "households.h"

static int windows_due(int ndays, int interval) {
    int n = interval > 0 ? ndays / interval : 1;
    return n < 1 ? 1 : n;
}

void gs__care_window_days(int32_t day0, int ndays, int interval, int k,
                          int32_t *out_first, int32_t *out_last) {
    int due = windows_due(ndays, interval);
    *out_first = day0 + k * interval;
    *out_last = k == due - 1 ? day0 + ndays - 1 : *out_first + interval - 1;
}

void gs__care_windows(int32_t day0, int ndays, int interval,
                      const int32_t *visit_days, size_t n, int *out_due,
                      int *out_met, int *out_first_missed) {
    int due = windows_due(ndays, interval), met = 0;
    *out_first_missed = -1;
    for (int k = 0; k < due; k++) {
        int32_t a, b;
        int hit = 0;
        gs__care_window_days(day0, ndays, interval, k, &a, &b);
        for (size_t i = 0; i < n && !hit; i++)
            hit = visit_days[i] >= a && visit_days[i] <= b;
        met += hit;
        if (!hit && *out_first_missed < 0) *out_first_missed = k;
    }
    *out_due = due;
    *out_met = met;
}

/* One grid of the ledger as a metric GEOS geometry. */
static GEOSGeometry *to_metric(gs__arun *R, OGRGeometryH g,
                               OGRCoordinateTransformationH ct,
                               GEOSWKBReader *rd) {
    OGRGeometryH c = OGR_G_Clone(g);
    unsigned char *wkb = NULL;
    GEOSGeometry *out = NULL;
    size_t len;
    if (!c || OGR_G_Transform(c, ct) != OGRERR_NONE) goto done;
    len = (size_t)OGR_G_WkbSize(c);
    wkb = gs__malloc(len ? len : 1);
    if (!wkb) goto done;
    OGR_G_ExportToWkb(c, wkbNDR, wkb);
    out = GEOSWKBReader_read_r(R->ctx->geos, rd, wkb, len);
done:
    free(wkb);
    if (c) OGR_G_DestroyGeometry(c);
    return out;
}

/* The grids of the members' latest weeks, in the metric CRS, and the
 * (member, grid code) pairs, as a model gs__assign_households takes. */
static int grids_to_model(gs__arun *R) {
    GEOSContextHandle_t h = R->ctx->geos;
    OGRCoordinateTransformationH ct = NULL;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    const char *who = NULL, *latest = NULL;
    size_t n = R->n_rows ? R->n_rows : 1;
    int rc = GS_OK;
    R->hm.grids = gs__calloc(n, sizeof *R->hm.grids);
    R->hm.members = gs__calloc(n, sizeof *R->hm.members);
    if (!rd || !R->hm.grids || !R->hm.members) {
        rc = gs__arun_nomem(R);
        goto done;
    }
    if ((rc = gs__crs_transform(R->ctx, R->crs.output, R->crs.metric, &ct)))
        goto done;
    for (size_t i = 0; i < R->n_rows; i++) {
        const gs__awrow *w = &R->rows[i];
        gs__member *pair;
        gs__grid *gg;
        size_t g;
        if (!who || strcmp(who, w->member_id) != 0) {
            who = w->member_id;
            latest = w->week; /* rows come latest week first */
        }
        if (strcmp(w->week, latest) != 0 || !w->grid_code[0]) continue;
        pair = &R->hm.members[R->hm.n_members++];
        pair->member_id = w->member_id;
        pair->grid_code = w->grid_code;
        pair->name = "";
        for (g = 0; g < R->hm.n_grids; g++)
            if (!strcmp(R->hm.grids[g].code, w->grid_code)) break;
        if (g < R->hm.n_grids || !w->geom) continue;
        gg = &R->hm.grids[R->hm.n_grids];
        gg->geom = to_metric(R, w->geom, ct, rd);
        if (!gg->geom) {
            rc = gs__err_lib(R->ctx, GS_ERR_INPUT_CRS,
                             "%s (ledger): grid %s of week %s cannot be "
                             "projected to the metric CRS",
                             R->o->ledger, w->grid_code, w->week);
            goto done;
        }
        gg->code = w->grid_code;
        gg->community_code = gg->grid_type = gg->name = "";
        R->hm.n_grids++;
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (rd) GEOSWKBReader_destroy_r(h, rd);
    return rc;
}

static int cmp_pair_grid(const void *a, const void *b) {
    const gs__member *x = a, *y = b;
    int c = strcmp(x->grid_code, y->grid_code);
    return c ? c : strcmp(x->member_id, y->member_id);
}

/* A verified visit as the duties look it up. */
typedef struct vkey {
    long member, household;
    int64_t t_ms;
} vkey;

static int cmp_vkey(const void *a, const void *b) {
    const vkey *x = a, *y = b;
    if (x->member != y->member) return x->member < y->member ? -1 : 1;
    if (x->household != y->household)
        return x->household < y->household ? -1 : 1;
    return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* The care targets of every member (households of a care type with an
 * interval, in the member's grid as validate assigns them) and their
 * windows met by verified visits of that member. */
static int care_duties(gs__arun *R) {
    const gs__model *m = &R->hm;
    long *hg = gs__malloc((m->n_households + 1) * sizeof *hg);
    vkey *vk = gs__malloc((R->n_v + 1) * sizeof *vk);
    int32_t *days = gs__malloc((R->n_v + 1) * sizeof *days);
    size_t nvk = 0, cap = 0;
    int ndays = R->per.day1 - R->per.day0 + 1, rc = GS_OK;
    if (!hg || !vk || !days) {
        rc = gs__arun_nomem(R);
        goto done;
    }
    if ((rc = gs__assign_households(R->ctx, m, R->o->common.threads, hg)))
        goto done;
    if (R->hm.n_members > 1)
        qsort(R->hm.members, R->hm.n_members, sizeof *R->hm.members,
              cmp_pair_grid);
    for (size_t i = 0; i < R->n_v; i++)
        if (R->v[i].chk.verified && R->v[i].member >= 0) {
            vk[nvk].member = R->v[i].member;
            vk[nvk].household = R->v[i].household;
            vk[nvk++].t_ms = R->v[i].t_ms;
        }
    qsort(vk, nvk, sizeof *vk, cmp_vkey);
    for (size_t h = 0; h < m->n_households; h++) {
        const gs__household *hh = &m->households[h];
        int type = hh->care_type ? gs__care_type_find(hh->care_type) : -1;
        gs__member key;
        const gs__member *p;
        if (type < 0) {
            if (hh->care_type && hh->care_type[0] && !R->care_unknown_type++)
                snprintf(R->care_type_example, sizeof R->care_type_example,
                         "%s", hh->care_type);
            continue;
        }
        if (R->r->care_interval_days[type] <= 0) continue;
        if (hg[h] < 0) {
            R->care_no_grid++;
            continue;
        }
        key.grid_code = m->grids[hg[h]].code;
        key.member_id = ""; /* before every member of the grid */
        p = m->members + gs__lower_bound(&key, m->members, m->n_members,
                                         sizeof *m->members, cmp_pair_grid);
        for (; p < m->members + m->n_members &&
               !strcmp(p->grid_code, key.grid_code);
             p++) {
            gs__aduty *d;
            vkey q;
            size_t nd = 0;
            long mi = gs__arun_find_member(R, p->member_id);
            if (mi < 0) continue;
            if ((rc = gs__arun_grow(R, (void **)&R->duties, &cap, R->n_duties,
                                    sizeof *d)))
                goto done;
            d = &R->duties[R->n_duties++];
            memset(d, 0, sizeof *d);
            d->member = mi;
            d->household = (long)h;
            d->type = type;
            d->last_t = INT64_MIN;
            q.member = mi;
            q.household = (long)h;
            q.t_ms = INT64_MIN;
            for (size_t k = gs__lower_bound(&q, vk, nvk, sizeof *vk, cmp_vkey);
                 k < nvk && vk[k].member == mi && vk[k].household == (long)h;
                 k++) {
                days[nd++] = gs__local_day(R->tz, vk[k].t_ms);
                d->last_t = vk[k].t_ms;
            }
            d->verified = (long)nd;
            gs__care_windows(R->per.day0, ndays, R->r->care_interval_days[type],
                             days, nd, &d->due, &d->met, &d->first_missed);
            R->m[mi].care_targets++;
            R->m[mi].in.care_due += d->due;
            R->m[mi].in.care_met += d->met;
            R->overdue += d->met < d->due;
        }
    }
    if (R->care_unknown_type)
        gs__warn(R->ctx,
                 "%s: %ld households have a care_type that is none of "
                 "elderly_alone, left_behind_child, left_behind_woman, "
                 "released_prisoner, mental_disorder, key_youth (e.g. "
                 "'%s'); they are not care targets",
                 R->o->households, R->care_unknown_type, R->care_type_example);
done:
    free(hg);
    free(vk);
    free(days);
    return rc;
}

int gs__arun_care(gs__arun *R) {
    int rc = grids_to_model(R);
    return rc ? rc : care_duties(R);
}
