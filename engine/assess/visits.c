/*
 * visits.c - service visits checked against the members' GPS traces.
 *
 * Visits are checked against fixes, not against the straight line between
 * fixes, so that a verified visit always rests on a recorded position; the
 * closest fix is written with each visit so a disputed one can be looked
 * at. Only the fixes inside some visit's time window are kept and
 * projected (in one call), which keeps a city's month of traces cheap.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_assess.h"

size_t gs__lower_bound(const void *key, const void *base, size_t n, size_t size,
                       int (*cmp)(const void *, const void *)) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp((const char *)base + mid * size, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_vfix_t(const void *a, const void *b) {
    int64_t x = ((const gs__vfix *)a)->t_ms, y = ((const gs__vfix *)b)->t_ms;
    return (x > y) - (x < y);
}

/* The index of the first fix at or after t_ms in f[0..n) (sorted). */
static size_t first_fix_from(const gs__vfix *f, size_t n, int64_t t_ms) {
    gs__vfix key;
    key.t_ms = t_ms;
    return gs__lower_bound(&key, f, n, sizeof *f, cmp_vfix_t);
}

void gs__visit_check(const gs__vfix *f, size_t n, double hx, double hy,
                     int64_t t_ms, const gs_rules *r, gs__vcheck *out) {
    int64_t w = (int64_t)llround(r->visit_window_s * 1000.0);
    int64_t best_dt = 0;
    memset(out, 0, sizeof *out);
    out->dist_m = NAN;
    for (size_t i = first_fix_from(f, n, t_ms - w);
         i < n && f[i].t_ms <= t_ms + w; i++) {
        double d;
        int64_t dt = f[i].t_ms > t_ms ? f[i].t_ms - t_ms : t_ms - f[i].t_ms;
        if (isfinite(f[i].accuracy_m) && f[i].accuracy_m > r->low_accuracy_m)
            continue;
        d = hypot(f[i].x - hx, f[i].y - hy);
        if (!isfinite(d)) continue;
        if (!out->found || d < out->dist_m ||
            (d == out->dist_m && dt < best_dt)) {
            out->found = 1;
            out->dist_m = d;
            out->fix_t_ms = f[i].t_ms;
            best_dt = dt;
        }
    }
    out->verified = out->found && out->dist_m <= r->visit_radius_m;
}

/* ---- checking the visits ------------------------------------------------- */

static int cmp_visit(const void *a, const void *b) {
    const gs__avisit *x = a, *y = b;
    int c = strcmp(x->member_id, y->member_id);
    if (c) return c;
    if (x->t_ms != y->t_ms) return x->t_ms < y->t_ms ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_vfix(const void *a, const void *b) {
    const gs__vfix *x = a, *y = b;
    if (x->t_ms != y->t_ms) return x->t_ms < y->t_ms ? -1 : 1;
    if (x->x != y->x) return x->x < y->x ? -1 : 1;
    return (x->y > y->y) - (x->y < y->y);
}

/* A name and where it stands, for lookups by bisection. */
typedef struct idref {
    const char *id;
    long i;
} idref;

static int cmp_idref(const void *a, const void *b) {
    const idref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first entry named `id` in refs (sorted with cmp_idref), or -1. */
static long find_ref(const idref *refs, size_t n, const char *id) {
    idref key = {id, LONG_MIN};
    size_t k = gs__lower_bound(&key, refs, n, sizeof *refs, cmp_idref);
    return k < n && !strcmp(refs[k].id, id) ? refs[k].i : -1;
}

/* Keeps, per member with a visit, the fixes that can matter (the period
 * widened by the visit window), sorted by time, and points each visit at
 * its member's; frees the traces. */
static int keep_tracks(gs__arun *R, gs__traces *tr) {
    int64_t w = (int64_t)llround(R->r->visit_window_s * 1000.0);
    size_t nm = tr->n_members, *fill = gs__calloc(nm + 1, sizeof *fill), total;
    unsigned char *need = gs__calloc(nm + 1, 1);
    idref *refs = gs__malloc((nm + 1) * sizeof *refs);
    int rc = GS_OK;
    R->tracks = gs__calloc(nm + 1, sizeof *R->tracks);
    if (!fill || !need || !refs || !R->tracks) {
        rc = gs__arun_nomem(R);
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        refs[k].id = R->tracks[k].id = tr->member_ids[k];
        refs[k].i = (long)k;
    }
    qsort(refs, nm, sizeof *refs, cmp_idref);
    for (size_t i = 0; i < R->n_v; i++) {
        R->v[i].trace = find_ref(refs, nm, R->v[i].member_id);
        if (R->v[i].trace >= 0) need[R->v[i].trace] = 1;
    }
    for (size_t i = 0; i < tr->n_fixes; i++) {
        const gs__fix *f = &tr->fixes[i];
        if (need[f->member] && f->t_ms >= R->t0 - w && f->t_ms < R->t1 + w)
            fill[f->member + 1]++;
    }
    for (size_t k = 0; k < nm; k++) fill[k + 1] += fill[k];
    total = fill[nm];
    R->fixes = gs__malloc((total ? total : 1) * sizeof *R->fixes);
    if (!R->fixes) {
        rc = gs__arun_nomem(R);
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        R->tracks[k].f = R->fixes + fill[k];
        R->tracks[k].n = fill[k + 1] - fill[k];
    }
    for (size_t i = 0; i < tr->n_fixes; i++) {
        const gs__fix *f = &tr->fixes[i];
        gs__vfix *p;
        if (!need[f->member] || f->t_ms < R->t0 - w || f->t_ms >= R->t1 + w)
            continue;
        p = &R->fixes[fill[f->member]++];
        p->t_ms = f->t_ms;
        p->x = f->lon;
        p->y = f->lat;
        p->accuracy_m = f->accuracy_m;
    }
    R->n_tracks = nm;
    for (size_t k = 0; k < nm; k++)
        if (R->tracks[k].n > 1)
            qsort(R->tracks[k].f, R->tracks[k].n, sizeof *R->tracks[k].f,
                  cmp_vfix);
done:
    free(fill);
    free(need);
    free(refs);
    gs__traces_free(tr);
    return rc;
}

/* The household of each visit, by household_id (the first of duplicates
 * in input order). */
static int match_households(gs__arun *R) {
    const gs__household *hh = R->hm.households;
    idref *refs = gs__malloc((R->hm.n_households + 1) * sizeof *refs);
    size_t n = 0;
    if (!refs) return gs__arun_nomem(R);
    for (size_t i = 0; i < R->hm.n_households; i++)
        if (hh[i].id && hh[i].id[0]) {
            refs[n].id = hh[i].id;
            refs[n++].i = (long)i;
        }
    qsort(refs, n, sizeof *refs, cmp_idref);
    if (n == 0 && R->n_v > 0) {
        free(refs);
        return gs__err(R->ctx, GS_ERR_INPUT_FIELD,
                       "%s (households): no household has a household_id, "
                       "so visits cannot be matched; map the field with "
                       "{fields} households.household_id=NAME",
                       R->o->households);
    }
    for (size_t i = 0; i < R->n_v; i++)
        R->v[i].household = find_ref(refs, n, R->v[i].household_id);
    free(refs);
    return GS_OK;
}

/* Checks every visit: the fixes in its window are gathered into one
 * buffer, projected to the metric CRS in one call, and searched. */
static int check_visits(gs__arun *R) {
    int64_t w = (int64_t)llround(R->r->visit_window_s * 1000.0);
    OGRSpatialReferenceH wgs = NULL;
    gs__vfix *buf = NULL;
    size_t total = 0;
    int rc = GS_OK;
    for (size_t i = 0; i < R->n_v; i++) {
        gs__avisit *a = &R->v[i];
        const gs__amtrace *t;
        size_t lo, hi;
        if (a->trace < 0 || a->household < 0) continue;
        t = &R->tracks[a->trace];
        lo = first_fix_from(t->f, t->n, a->t_ms - w);
        hi = lo;
        while (hi < t->n && t->f[hi].t_ms <= a->t_ms + w) hi++;
        a->off = (size_t)(t->f + lo - R->fixes);
        a->len = hi - lo;
        total += a->len;
    }
    buf = gs__malloc((total ? total : 1) * sizeof *buf);
    wgs = OSRNewSpatialReference(NULL);
    if (!buf || !wgs) {
        rc = gs__arun_nomem(R);
        goto done;
    }
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    total = 0;
    for (size_t i = 0; i < R->n_v; i++) {
        gs__avisit *a = &R->v[i];
        if (!a->len) {
            a->off = 0;
            continue;
        }
        memcpy(buf + total, R->fixes + a->off, a->len * sizeof *buf);
        a->off = total;
        total += a->len;
    }
    if (total && (rc = gs__crs_transform_points(
                      R->ctx, wgs, R->crs.metric, &buf[0].x, &buf[0].y,
                      sizeof *buf, total, R->o->common.threads)))
        goto done;
    for (size_t i = 0; i < R->n_v; i++) {
        gs__avisit *a = &R->v[i];
        const gs__household *h;
        if (a->household < 0) {
            snprintf(a->detail, sizeof a->detail,
                     "household not in the households layer");
            continue;
        }
        if (a->trace < 0) {
            snprintf(a->detail, sizeof a->detail, "no GPS trace of the member");
            continue;
        }
        h = &R->hm.households[a->household];
        gs__visit_check(buf + a->off, a->len, h->x, h->y, a->t_ms, R->r,
                        &a->chk);
        if (!a->chk.found)
            snprintf(a->detail, sizeof a->detail,
                     "no usable GPS fix within %g min",
                     R->r->visit_window_s / 60);
        else if (!a->chk.verified)
            snprintf(a->detail, sizeof a->detail,
                     "closest fix %.0f m away (more than %g m)", a->chk.dist_m,
                     R->r->visit_radius_m);
    }
    for (size_t i = 0; i < R->n_v; i++) {
        const gs__avisit *a = &R->v[i];
        if (a->member < 0) {
            R->visits_unknown++;
            continue;
        }
        R->m[a->member].in.visits++;
        R->m[a->member].in.visits_verified += a->chk.verified;
    }
done:
    free(buf);
    if (wgs) OSRDestroySpatialReference(wgs);
    return rc;
}

int gs__arun_check_visits(gs__arun *R, gs__traces *tr) {
    int rc;
    if (R->n_v > 1) qsort(R->v, R->n_v, sizeof *R->v, cmp_visit);
    for (size_t i = 0; i < R->n_v; i++)
        R->v[i].member = gs__arun_find_member(R, R->v[i].member_id);
    if ((rc = keep_tracks(R, tr)) || (rc = match_households(R))) return rc;
    return check_visits(R);
}
