/*
 * run_patrol.c - gs_patrol_run: read, project, analyse, write, report.
 *
 * The public entry of `gridsmith patrol`. Phases (measured for the
 * benchmark): read (grids, roster, households, calendar, traces: io.c,
 * traces.c), project (fixes to the metric CRS in batches, bucketed per
 * member in file order), analyse (patrol.c) and write (out.c).
 *
 * Local days come from a table of the period's day starts built once from
 * the zone (ptime.c, ICU), so the analysis' workers, which share it, never
 * touch ICU. Before projecting, a sample of the fixes is tested against the
 * grids as given and as if they were GCJ-02: traces exported by a Chinese
 * map SDK sit 100-700 m off the grids, and the warning says which
 * --trace-crs would fix it instead of letting every member look absent.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "clip.h"
#include "coord.h"
#include "crs.h"
#include "io.h"
#include "writer.h"
#include "patrol.h"
#include "datetime.h"
#include "report.h"
#include "traces.h"
#include "shard.h"
#include "rules.h"

void gs_patrol_opts_init(gs_patrol_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* ---- the clock: a table of local day starts ------------------------------ */

typedef struct clock_tab {
    int32_t first; /* day of start[0] */
    int n;         /* start[0..n] */
    int64_t *start;
    const gs__calendar *cal;
} clock_tab;

static int32_t tab_day_of(void *u, int64_t t) {
    const clock_tab *c = u;
    int lo = 0, hi = c->n;
    if (t < c->start[0])
        return c->first - 1 - (int32_t)((c->start[0] - 1 - t) / GS__MS_PER_DAY);
    if (t >= c->start[c->n])
        return c->first + c->n +
               (int32_t)((t - c->start[c->n]) / GS__MS_PER_DAY);
    while (hi - lo > 1) { /* start[lo] <= t < start[hi] */
        int mid = (lo + hi) / 2;
        if (c->start[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return c->first + lo;
}

static int64_t tab_day_start(void *u, int32_t d) {
    const clock_tab *c = u;
    if (d < c->first)
        return c->start[0] - (int64_t)(c->first - d) * GS__MS_PER_DAY;
    if (d > c->first + c->n)
        return c->start[c->n] + (int64_t)(d - c->first - c->n) * GS__MS_PER_DAY;
    return c->start[d - c->first];
}

static int tab_workday(void *u, int32_t d) {
    const clock_tab *c = u;
    return gs__calendar_is_workday(c->cal, d);
}

/* ---- GCJ-02 offset detection ------------------------------------------------
 */

/* Share of about 4,000 sample fixes that fall in their member's own grid
 * (within the tolerance) when read as WGS84 [0], as GCJ-02 [1] and as
 * BD-09 [2]. The member's own grid, not any grid: next to each other,
 * grids catch offset fixes too, and only the own grid shows the shift. */
static int check_offset(gs_ctx *ctx, const gs__traces *tr, const gs__model *m,
                        const gs__crsinfo *crs, const gs_rules *rules,
                        double out_share[3]) {
    GEOSContextHandle_t h = ctx->geos;
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    gs__clip **clips = gs__calloc(m->n_grids ? m->n_grids : 1, sizeof *clips);
    gs__strix *gv = gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof *gv);
    gs__strix *rv = gs__malloc((m->n_members ? m->n_members : 1) * sizeof *rv);
    long *own = gs__malloc((tr->n_members ? tr->n_members : 1) * sizeof *own);
    size_t step, ns = 0, hits[3] = {0, 0, 0};
    int rc = GS_OK;
    out_share[0] = out_share[1] = out_share[2] = 0;
    if (!wgs || !clips || !gv || !rv || !own) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    rc = gs__crs_transform(ctx, wgs, crs->metric, &ct);
    if (rc) goto done;
    for (size_t i = 0; i < m->n_grids; i++)
        gv[i] = (gs__strix){m->grids[i].code, i};
    for (size_t i = 0; i < m->n_members; i++)
        rv[i] = (gs__strix){m->members[i].member_id, i};
    qsort(gv, m->n_grids, sizeof *gv, gs__strix_cmp);
    qsort(rv, m->n_members, sizeof *rv, gs__strix_cmp);
    for (size_t k = 0; k < tr->n_members; k++) {
        long r = gs__strix_lookup(rv, m->n_members, tr->member_ids[k]);
        long g =
            r < 0 ? -1
                  : gs__strix_lookup(gv, m->n_grids, m->members[r].grid_code);
        own[k] = g;
        if (g >= 0 && !clips[g]) {
            GEOSGeometry *b =
                GEOSBuffer_r(h, m->grids[g].geom, rules->tolerance_m, 4);
            if (!b || gs__clip_create(h, b, 0, &clips[g])) {
                if (b) GEOSGeom_destroy_r(h, b);
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            GEOSGeom_destroy_r(h, b);
        }
    }
    step = tr->n_fixes / 4000 + 1;
    for (size_t k = 0; k < tr->n_fixes; k += step) {
        const gs__fix *f = &tr->fixes[k];
        long g = own[f->member];
        double xs[3], ys[3];
        if (g < 0) continue;
        xs[0] = f->lon;
        ys[0] = f->lat;
        gs__gcj02_to_wgs84(f->lon, f->lat, &xs[1], &ys[1]);
        gs__bd09_to_wgs84(f->lon, f->lat, &xs[2], &ys[2]);
        if (!OCTTransform(ct, 3, xs, ys, NULL)) continue;
        ns++;
        for (int v = 0; v < 3; v++)
            hits[v] += (size_t)gs__clip_contains(clips[g], xs[v], ys[v]);
    }
    for (int v = 0; v < 3; v++)
        out_share[v] = ns ? (double)hits[v] / (double)ns : 0;
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (wgs) OSRDestroySpatialReference(wgs);
    for (size_t i = 0; clips && i < m->n_grids; i++) gs__clip_destroy(clips[i]);
    free(clips);
    free(gv);
    free(rv);
    free(own);
    return rc;
}

/* ---- projecting and bucketing the fixes ---------------------------------- */

typedef struct tracks {
    gs__ptrack *v;
    size_t n;
    gs__pfix *all; /* one block; tracks point into it */
} tracks;

static void tracks_free(tracks *t) {
    free(t->v);
    free(t->all);
    memset(t, 0, sizeof *t);
}

/* Projects every fix to the metric CRS and groups them per member, each
 * member's fixes in file order: a sequential pass places them, then
 * `threads` workers project them in place. Frees the traces' fixes. */
static int make_tracks(gs_ctx *ctx, gs__traces *tr, const gs__crsinfo *crs,
                       int threads, tracks *out) {
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    size_t nm = tr->n_members, n = tr->n_fixes, *fill = NULL;
    int rc = GS_OK;
    memset(out, 0, sizeof *out);
    out->v = gs__calloc(nm ? nm : 1, sizeof *out->v);
    out->all = gs__malloc((n ? n : 1) * sizeof *out->all);
    fill = gs__calloc(nm + 1, sizeof *fill);
    if (!wgs || !out->v || !out->all || !fill) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    for (size_t i = 0; i < n; i++) fill[tr->fixes[i].member + 1]++;
    for (size_t k = 0; k < nm; k++) fill[k + 1] += fill[k];
    for (size_t k = 0; k < nm; k++) {
        out->v[k].member_id = tr->member_ids[k];
        out->v[k].fix = out->all + fill[k];
        out->v[k].n = fill[k + 1] - fill[k];
    }
    out->n = nm;
    for (size_t i = 0; i < n; i++) {
        const gs__fix *f = &tr->fixes[i];
        gs__pfix *p = &out->all[fill[f->member]++];
        p->t_ms = f->t_ms;
        p->x = p->lon = f->lon;
        p->y = p->lat = f->lat;
        p->accuracy_m = f->accuracy_m;
        p->line = f->line;
    }
    free(tr->fixes);
    tr->fixes = NULL;
    rc = gs__crs_transform_points(ctx, wgs, crs->metric, &out->all[0].x,
                                  &out->all[0].y, sizeof *out->all, n, threads);
done:
    free(fill);
    if (wgs) OSRDestroySpatialReference(wgs);
    if (rc) tracks_free(out);
    return rc;
}

/* Moves the line work (WGS84 lon/lat, as the fixes) of every entry into the
 * output CRS before writing: all vertices are gathered into one array,
 * transformed by workers, and put back, so the writer only copies them. */
static int lines_to_output(gs_ctx *ctx, gs__presult *res,
                           const gs__crsinfo *crs, int threads) {
    size_t total = 0, k = 0;
    double *all;
    int rc;
    for (size_t e = 0; e < res->n_entries; e++)
        for (size_t l = 0; l < res->out[e].n_lines; l++)
            total += res->out[e].lines[l].npts;
    if (total == 0) return GS_OK;
    all = gs__malloc(total * 2 * sizeof *all);
    if (!all) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t e = 0; e < res->n_entries; e++)
        for (size_t l = 0; l < res->out[e].n_lines; l++) {
            const gs__pline *pl = &res->out[e].lines[l];
            memcpy(all + 2 * k, pl->xy, pl->npts * 2 * sizeof *all);
            k += pl->npts;
        }
    {
        OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
        if (!wgs) {
            free(all);
            return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        }
        OSRImportFromEPSG(wgs, 4326);
        OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
        rc = gs__crs_transform_points(ctx, wgs, crs->output, all, all + 1,
                                      2 * sizeof *all, total, threads);
        OSRDestroySpatialReference(wgs);
    }
    k = 0;
    for (size_t e = 0; !rc && e < res->n_entries; e++)
        for (size_t l = 0; l < res->out[e].n_lines; l++) {
            gs__pline *pl = &res->out[e].lines[l];
            memcpy(pl->xy, all + 2 * k, pl->npts * 2 * sizeof *all);
            k += pl->npts;
        }
    free(all);
    return rc;
}

/* ---- writing ----------------------------------------------------------------
 */

/* Summary row being summed. */
typedef struct srow {
    const char *community;
    int week;
    long members, compliant, missed;
    double hours, coverage;
    long n_cov;
} srow;

static int cmp_srow(const void *a, const void *b) {
    const srow *x = a, *y = b;
    int c = strcmp(x->community, y->community);
    if (c) return c;
    return x->week - y->week;
}

typedef struct wctx {
    gs_ctx *ctx;
    gs__out *o;
    const gs__model *m;
    const gs__presult *res;
    const gs__traces *tr;
    clock_tab *clock;
    int has_households;
} wctx;

static int write_days(wctx *w, gs__olayer *l) {
    const gs__presult *res = w->res;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__pentry *en = &res->entries[e];
        for (int d = 0; d < res->ndays; d++) {
            const gs__pday *pd = &res->out[e].days[d];
            char date[11];
            OGRFeatureH f = gs__out_feature(l);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__date_format(pd->day, date);
            OGR_F_SetFieldString(f, GS__MD_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__MD_GRID_CODE, en->grid_code);
            OGR_F_SetFieldString(f, GS__MD_DATE, date);
            OGR_F_SetFieldInteger64(f, GS__MD_WORKDAY, pd->workday);
            OGR_F_SetFieldDouble(f, GS__MD_IN_GRID_S, pd->in_grid_s);
            OGR_F_SetFieldDouble(f, GS__MD_IN_GRID_TOLERANT_S, pd->in_tol_s);
            OGR_F_SetFieldDouble(f, GS__MD_TRACKED_S, pd->tracked_s);
            OGR_F_SetFieldDouble(f, GS__MD_GAP_S, pd->gap_s);
            OGR_F_SetFieldDouble(f, GS__MD_OUT_GRID_S,
                                 pd->tracked_s - pd->in_grid_s);
            OGR_F_SetFieldDouble(f, GS__MD_DISTANCE_M, pd->distance_m);
            OGR_F_SetFieldInteger64(f, GS__MD_FIXES, pd->fixes);
            OGR_F_SetFieldInteger64(f, GS__MD_BAD_FIXES, pd->bad_fixes);
            OGR_F_SetFieldInteger64(f, GS__MD_DAILY_OK, pd->daily_ok);
            OGR_F_SetFieldString(f, GS__MD_NOTE, en->note);
            if ((rc = gs__out_put(w->o, l, f))) return rc;
        }
    }
    return rc;
}

static int write_weeks(wctx *w, gs__olayer *l, gs__olayer *lu, gs__olayer *lh) {
    const gs__presult *res = w->res;
    const gs__model *m = w->m;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__pentry *en = &res->entries[e];
        const gs__pout *po = &res->out[e];
        for (int k = 0; k < res->nweeks; k++) {
            const gs__pweek *wk = &po->weeks[k];
            char week[9];
            OGRFeatureH f = gs__out_feature(l);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__isoweek_format(wk->monday, week);
            OGR_F_SetFieldString(f, GS__MW_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__MW_GRID_CODE, en->grid_code);
            OGR_F_SetFieldString(f, GS__MW_WEEK, week);
            OGR_F_SetFieldDouble(f, GS__MW_IN_GRID_TOLERANT_S, wk->in_tol_s);
            OGR_F_SetFieldInteger64(f, GS__MW_WORKDAYS, wk->workdays);
            OGR_F_SetFieldInteger64(f, GS__MW_WORKDAYS_OK, wk->workdays_ok);
            OGR_F_SetFieldInteger64(f, GS__MW_WEEKLY_OK, wk->weekly_ok);
            if (isfinite(wk->coverage_pct))
                OGR_F_SetFieldDouble(f, GS__MW_COVERAGE_PCT, wk->coverage_pct);
            else
                OGR_F_SetFieldNull(f, GS__MW_COVERAGE_PCT);
            if (w->has_households && en->grid >= 0) {
                OGR_F_SetFieldInteger64(f, GS__MW_HOUSEHOLDS, wk->households);
                OGR_F_SetFieldInteger64(f, GS__MW_HOUSEHOLDS_REACHED,
                                        wk->reached);
                OGR_F_SetFieldInteger64(f, GS__MW_CARE_HOUSEHOLDS, wk->care);
                OGR_F_SetFieldInteger64(f, GS__MW_CARE_REACHED,
                                        wk->care_reached);
            } else {
                for (int q = GS__MW_HOUSEHOLDS; q <= GS__MW_CARE_REACHED; q++)
                    OGR_F_SetFieldNull(f, q);
            }
            OGR_F_SetFieldInteger64(f, GS__MW_COMPLIANT, wk->compliant);
            OGR_F_SetFieldString(f, GS__MW_NOTE, en->note);
            if (en->grid >= 0 &&
                (rc = gs__out_wkb(w->o, f, m->grids[en->grid].src_wkb,
                                  m->grids[en->grid].src_wkb_len))) {
                OGR_F_Destroy(f);
                return rc;
            }
            if ((rc = gs__out_put(w->o, l, f))) return rc;
            if (wk->uncovered_wkb) {
                OGRGeometryH g = NULL;
                double area = 0;
                if (OGR_G_CreateFromWkbEx(wk->uncovered_wkb, NULL, &g,
                                          wk->uncovered_len) == OGRERR_NONE) {
                    area = OGR_G_Area(g);
                    OGR_G_DestroyGeometry(g);
                }
                f = gs__out_feature(lu);
                if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
                OGR_F_SetFieldString(f, GS__PU_MEMBER_ID, en->member_id);
                OGR_F_SetFieldString(f, GS__PU_GRID_CODE, en->grid_code);
                OGR_F_SetFieldString(f, GS__PU_WEEK, week);
                OGR_F_SetFieldDouble(f, GS__PU_AREA_M2, area);
                if ((rc = gs__out_metric_wkb(w->o, lu, f, wk->uncovered_wkb,
                                             wk->uncovered_len))) {
                    OGR_F_Destroy(f);
                    return rc;
                }
                if ((rc = gs__out_put(w->o, lu, f))) return rc;
            }
        }
        if (!w->has_households) continue;
        for (size_t q = 0; q < po->n_unreached; q++) {
            const gs__household *hh = &m->households[po->unreached[q]];
            char week[9];
            OGRFeatureH f = gs__out_feature(lh);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__isoweek_format(res->mondays[po->unreached_week[q]], week);
            OGR_F_SetFieldString(f, GS__PH_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__PH_GRID_CODE, en->grid_code);
            OGR_F_SetFieldString(f, GS__PH_WEEK, week);
            OGR_F_SetFieldString(f, GS__PH_HOUSEHOLD_ID, hh->id);
            OGR_F_SetFieldString(f, GS__PH_BUILDING_ID, hh->building_id);
            OGR_F_SetFieldString(f, GS__PH_CARE_TYPE, hh->care_type);
            if ((rc = gs__out_point(w->o, f, hh->x, hh->y))) {
                OGR_F_Destroy(f);
                return rc;
            }
            if ((rc = gs__out_put(w->o, lh, f))) return rc;
        }
    }
    return rc;
}

static int write_lines(wctx *w, gs__olayer *lt, gs__olayer *lg,
                       gs__olayer *li) {
    const gs__presult *res = w->res;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__pentry *en = &res->entries[e];
        const gs__pout *po = &res->out[e];
        for (size_t k = 0; k < po->n_lines; k++) {
            const gs__pline *pl = &po->lines[k];
            char date[11];
            OGRFeatureH f = gs__out_feature(lt);
            int di = (int)(pl->day - res->day0);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__date_format(pl->day, date);
            OGR_F_SetFieldString(f, GS__PT_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__PT_GRID_CODE, en->grid_code);
            OGR_F_SetFieldString(f, GS__PT_DATE, date);
            OGR_F_SetFieldDouble(f, GS__PT_TRACKED_S, po->days[di].tracked_s);
            OGR_F_SetFieldDouble(f, GS__PT_DISTANCE_M, po->days[di].distance_m);
            if ((rc = gs__out_lines(w->o, lt, f, pl->xy, pl->starts, pl->nparts,
                                    1))) {
                OGR_F_Destroy(f);
                return rc;
            }
            if ((rc = gs__out_put(w->o, lt, f))) return rc;
        }
        for (size_t k = 0; k < po->n_gaps; k++) {
            const gs__pgap *g = &po->gaps[k];
            char t0[32], t1[32], date[11];
            double xy[4] = {g->x0, g->y0, g->x1, g->y1};
            size_t st[2] = {0, 2};
            OGRFeatureH f = gs__out_feature(lg);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__utc_format(g->t0, t0);
            gs__utc_format(g->t1, t1);
            gs__date_format(tab_day_of(w->clock, g->t0), date);
            OGR_F_SetFieldString(f, GS__PG_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__PG_DATE, date);
            OGR_F_SetFieldString(f, GS__PG_START_TIME, t0);
            OGR_F_SetFieldString(f, GS__PG_END_TIME, t1);
            OGR_F_SetFieldDouble(f, GS__PG_DURATION_S,
                                 (double)(g->t1 - g->t0) / 1000.0);
            OGR_F_SetFieldDouble(f, GS__PG_DISTANCE_M,
                                 hypot(g->x1 - g->x0, g->y1 - g->y0));
            if ((rc = gs__out_lines(w->o, lg, f, xy, st, 1, 0))) {
                OGR_F_Destroy(f);
                return rc;
            }
            if ((rc = gs__out_put(w->o, lg, f))) return rc;
        }
        for (size_t k = 0; k < po->n_issues; k++) {
            const gs__pissue *is = &po->issues[k];
            char t[32], date[11];
            OGRFeatureH f = gs__out_feature(li);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__utc_format(is->t_ms, t);
            gs__date_format(tab_day_of(w->clock, is->t_ms), date);
            OGR_F_SetFieldString(f, GS__PI_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__PI_KIND, gs__gps_kind_name(is->kind));
            OGR_F_SetFieldString(f, GS__PI_TIME, t);
            OGR_F_SetFieldString(f, GS__PI_DATE, date);
            OGR_F_SetFieldInteger64(f, GS__PI_LINE, is->line);
            OGR_F_SetFieldString(f, GS__PI_DETAIL, is->detail);
            if (isfinite(is->x) && isfinite(is->y) &&
                (rc = gs__out_point(w->o, f, is->x, is->y))) {
                OGR_F_Destroy(f);
                return rc;
            }
            if ((rc = gs__out_put(w->o, li, f))) return rc;
        }
    }
    return rc;
}

static int write_bad_rows(wctx *w, gs__olayer *l) {
    int rc = GS_OK;
    for (size_t k = 0; k < w->tr->n_bad; k++) {
        const gs__badrow *b = &w->tr->bad[k];
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldInteger64(f, GS__PB_LINE, b->line);
        OGR_F_SetFieldString(f, GS__PB_MEMBER_ID, b->member_id);
        OGR_F_SetFieldString(f, GS__PB_FIELD, b->field);
        OGR_F_SetFieldString(f, GS__PB_REASON, b->reason);
        if ((rc = gs__out_put(w->o, l, f))) return rc;
    }
    return rc;
}

/* Summary rows per (community, week) and per week for the whole run. The
 * community of an entry is its grid's community_code. */
static int summarise(wctx *w, gs__olayer *l, json_object *js) {
    const gs__presult *res = w->res;
    size_t cap = (res->n_entries + 1) * (size_t)res->nweeks, n = 0;
    srow *rows = gs__calloc(cap ? cap : 1, sizeof *rows);
    srow *tot = gs__calloc((size_t)res->nweeks, sizeof *tot);
    int rc = GS_OK;
    if (!rows || !tot) {
        free(rows);
        free(tot);
        return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < res->nweeks; k++) {
        tot[k].community = "total";
        tot[k].week = k;
    }
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__pentry *en = &res->entries[e];
        if (en->grid < 0) continue;
        for (int k = 0; k < res->nweeks; k++) {
            const gs__pweek *wk = &res->out[e].weeks[k];
            srow *r = &rows[n++], *t = &tot[k];
            r->community = w->m->grids[en->grid].community_code;
            r->week = k;
            r->members = 1;
            r->compliant = wk->compliant;
            r->missed = wk->workdays - wk->workdays_ok;
            r->hours = wk->in_tol_s / 3600.0;
            r->coverage = isfinite(wk->coverage_pct) ? wk->coverage_pct : 0;
            r->n_cov = isfinite(wk->coverage_pct);
            t->members++;
            t->compliant += r->compliant;
            t->missed += r->missed;
            t->hours += r->hours;
            t->coverage += r->coverage;
            t->n_cov += r->n_cov;
        }
    }
    qsort(rows, n, sizeof *rows, cmp_srow);
    /* Fold equal (community, week) rows together. */
    {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (o > 0 && !cmp_srow(&rows[o - 1], &rows[i])) {
                srow *p = &rows[o - 1];
                p->members += rows[i].members;
                p->compliant += rows[i].compliant;
                p->missed += rows[i].missed;
                p->hours += rows[i].hours;
                p->coverage += rows[i].coverage;
                p->n_cov += rows[i].n_cov;
            } else {
                rows[o++] = rows[i];
            }
        }
        n = o;
    }
    for (size_t i = 0; i < n + (size_t)res->nweeks && !rc; i++) {
        const srow *r = i < n ? &rows[i] : &tot[i - n];
        char week[9];
        OGRFeatureH f = gs__out_feature(l);
        if (!f) {
            rc = gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            break;
        }
        gs__isoweek_format(res->mondays[r->week], week);
        OGR_F_SetFieldString(f, GS__PS_COMMUNITY_CODE, r->community);
        OGR_F_SetFieldString(f, GS__PS_WEEK, week);
        OGR_F_SetFieldInteger64(f, GS__PS_MEMBERS, r->members);
        OGR_F_SetFieldInteger64(f, GS__PS_COMPLIANT, r->compliant);
        OGR_F_SetFieldDouble(f, GS__PS_MEAN_HOURS,
                             r->members ? r->hours / r->members : 0);
        OGR_F_SetFieldDouble(f, GS__PS_MEAN_COVERAGE_PCT,
                             r->n_cov ? r->coverage / r->n_cov : 0);
        OGR_F_SetFieldInteger64(f, GS__PS_WORKDAYS_MISSED, r->missed);
        rc = gs__out_put(w->o, l, f);
    }
    for (int k = 0; js && k < res->nweeks; k++) {
        json_object *o = json_object_new_object();
        char week[9];
        gs__isoweek_format(res->mondays[k], week);
        json_object_object_add(o, "week", json_object_new_string(week));
        json_object_object_add(o, "members",
                               json_object_new_int64(tot[k].members));
        json_object_object_add(o, "compliant",
                               json_object_new_int64(tot[k].compliant));
        json_object_object_add(
            o, "mean_hours",
            json_object_new_double(
                tot[k].members ? tot[k].hours / tot[k].members : 0));
        json_object_object_add(
            o, "mean_coverage_pct",
            json_object_new_double(tot[k].n_cov ? tot[k].coverage / tot[k].n_cov
                                                : 0));
        json_object_object_add(o, "workdays_missed",
                               json_object_new_int64(tot[k].missed));
        json_object_array_add(js, o);
    }
    free(rows);
    free(tot);
    return rc;
}

static int write_outputs(wctx *w, const gs_patrol_opts *opts,
                         const gs__crsinfo *crs, const gs__inputs *info,
                         const char *started, json_object *weeks_js) {
    gs__olayer *ld, *lw, *lt, *lg, *li, *lb, *lu, *lh, *ls;
    int rc;
    rc = gs__out_open(w->ctx, opts->common.output, crs->output, crs->metric,
                      &w->o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(w->o, GS__LS_PATROL_MEMBER_DAY, &ld)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_MEMBER_WEEK, &lw)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_TRACKS, &lt)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_GAPS, &lg)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_GPS_ISSUES, &li)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_BAD_ROWS, &lb)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_UNCOVERED, &lu)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_HOUSEHOLDS_UNREACHED,
                                   &lh)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_PATROL_SUMMARY, &ls)))
        goto fail;
    if ((rc = write_days(w, ld)) || (rc = write_weeks(w, lw, lu, lh)) ||
        (rc = write_lines(w, lt, lg, li)) || (rc = write_bad_rows(w, lb)) ||
        (rc = summarise(w, ls, weeks_js)))
        goto fail;
    {
        char buf[1024];
        const gs_rules *r = opts->common.rules;
        snprintf(buf, sizeof buf,
                 "{\"max_gap_s\": %g, \"max_speed_mps\": %g, "
                 "\"tolerance_m\": %g, \"daily_min_s\": %g, "
                 "\"weekly_min_s\": %g, \"coverage_m\": %g, \"reach_m\": %g, "
                 "\"raster_m\": %g, \"low_accuracy_m\": %g, "
                 "\"mock_min_fixes\": %d}",
                 r->max_gap_s, r->max_speed_mps, r->tolerance_m, r->daily_min_s,
                 r->weekly_min_s, r->coverage_m, r->reach_m, r->raster_m,
                 r->low_accuracy_m, r->mock_min_fixes);
        rc = gs__out_meta_run(w->o, "patrol", opts->common.command_line,
                              started, buf, crs->metric_name, info);
        if (!rc)
            rc = gs__out_meta(w->o, "trace_crs",
                              opts->trace_crs ? opts->trace_crs : "wgs84");
        if (!rc)
            rc = gs__out_meta(w->o, "time_zone",
                              opts->tz ? opts->tz : "Asia/Shanghai");
        if (!rc) rc = gs__out_meta(w->o, "trace_encoding", w->tr->encoding);
        if (rc) goto fail;
    }
    return GS_OK; /* w->o, not yet committed: the caller commits it */
fail:
    gs__out_abort(w->o);
    w->o = NULL;
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

static gs_report *make_report(gs_ctx *ctx, const gs_patrol_opts *opts,
                              const gs__presult *res, const gs__traces *tr,
                              size_t n_fixes, json_object *weeks,
                              const char *warning) {
    json_object *o = json_object_new_object();
    gs__buf text;
    long members = 0, not_in_roster = 0, no_grid = 0, no_trace = 0;
    char d0[11], d1[11];
    long findings = 0;
    if (!o) return NULL;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__pentry *en = &res->entries[e];
        if (en->grid >= 0) {
            members++;
            for (int k = 0; k < res->nweeks; k++)
                findings += !res->out[e].weeks[k].compliant;
        }
        not_in_roster += en->grid < 0 && !en->grid_code[0];
        no_grid += en->grid < 0 && en->grid_code[0];
        no_trace += en->track < 0;
    }
    gs__date_format(res->day0, d0);
    gs__date_format(res->day0 + res->ndays - 1, d1);
    json_object_object_add(o, "command", json_object_new_string("patrol"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "from", json_object_new_string(d0));
    json_object_object_add(o, "to", json_object_new_string(d1));
    json_object_object_add(o, "members", json_object_new_int64(members));
    json_object_object_add(o, "members_without_traces",
                           json_object_new_int64(no_trace));
    json_object_object_add(o, "trace_members_not_in_roster",
                           json_object_new_int64(not_in_roster));
    json_object_object_add(o, "roster_grids_missing",
                           json_object_new_int64(no_grid));
    json_object_object_add(o, "fixes", json_object_new_int64((int64_t)n_fixes));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)tr->n_bad));
    json_object_object_add(o, "trace_encoding",
                           json_object_new_string(tr->encoding));
    json_object_object_add(o, "warning",
                           warning ? json_object_new_string(warning) : NULL);
    gs__buf_init(&text, 0);
    gs__buf_printf(&text,
                   "patrol: %s to %s, %ld members, %zu fixes (%zu bad "
                   "rows listed in bad_rows)\n",
                   d0, d1, members, n_fixes, tr->n_bad);
    for (size_t k = 0; k < json_object_array_length(weeks); k++) {
        json_object *w = json_object_array_get_idx(weeks, k), *v;
        const char *week = "";
        long mem = 0, comp = 0, missed = 0;
        double hours = 0, cov = 0;
        if (json_object_object_get_ex(w, "week", &v))
            week = json_object_get_string(v);
        if (json_object_object_get_ex(w, "members", &v))
            mem = (long)json_object_get_int64(v);
        if (json_object_object_get_ex(w, "compliant", &v))
            comp = (long)json_object_get_int64(v);
        if (json_object_object_get_ex(w, "mean_hours", &v))
            hours = json_object_get_double(v);
        if (json_object_object_get_ex(w, "mean_coverage_pct", &v))
            cov = json_object_get_double(v);
        if (json_object_object_get_ex(w, "workdays_missed", &v))
            missed = (long)json_object_get_int64(v);
        gs__buf_printf(&text,
                       "  %s: %ld of %ld members compliant; mean %.1f h in "
                       "their grid; mean coverage %.1f%%; %ld workdays "
                       "below 2 h\n",
                       week, comp, mem, hours, cov, missed);
    }
    if (not_in_roster)
        gs__buf_printf(&text,
                       "  %ld traced members are not in the roster "
                       "(rows with note 'not in roster')\n",
                       not_in_roster);
    if (no_grid)
        gs__buf_printf(&text,
                       "  %ld roster rows name a grid that does not "
                       "exist\n",
                       no_grid);
    gs__buf_printf(&text, "  wrote %s\n", opts->common.output);
    json_object_object_add(o, "weeks", weeks);
    return gs__report_from_buf(ctx, o, &text, findings);
}

/* The traces are read in a thread of their own while the main thread reads
 * the grids, roster and households: the two readers share nothing but the
 * input options. The thread has its own context (errors, GDAL handler) and
 * zone (ICU calendars are not thread-safe); its error is copied over. */
typedef struct trace_job {
    gs_ctx *ctx;
    const gs_patrol_opts *opts;
    const gs_input_opts *in;
    const char *where; /* the shard's members, or NULL */
    gs__traces tr;
    int rc;
} trace_job;

static void *read_traces(void *arg) {
    trace_job *j = arg;
    gs__tz *tz = NULL;
    gs__trace_opts to;
    gs__gdal_enter(j->ctx);
    j->rc = gs__tz_open(j->ctx, j->opts->tz, &tz);
    if (!j->rc) {
        memset(&to, 0, sizeof to);
        to.path = j->opts->traces;
        to.input = j->in;
        to.trace_crs = j->opts->trace_crs;
        to.tz = tz;
        to.threads = 0;
        to.where = j->where;
        j->rc = gs__traces_read(j->ctx, &to, &j->tr);
    }
    gs__tz_close(tz);
    gs__gdal_leave(j->ctx);
    return NULL;
}

/* `"member_id" IN ('a', 'b', ...)` over the roster's members, for a
 * shard's traces in a GIS layer or PG: table (ids with a quote are
 * doubled as SQL wants); caller frees, NULL when out of memory. */
static char *members_filter(const gs_input_opts *in, const gs__model *m) {
    const char *field = gs__io_mapped_field(in, "traces", "member_id");
    gs__buf b;
    gs__buf_init(&b, 0);
    gs__buf_printf(&b, "\"%s\" IN (", field ? field : "member_id");
    for (size_t i = 0; i < m->n_members; i++) {
        gs__buf_printf(&b, "%s'", i ? ", " : "");
        for (const char *p = m->members[i].member_id; *p; p++)
            if (*p == '\'')
                gs__buf_puts(&b, "''");
            else
                gs__buf_add(&b, p, 1);
        gs__buf_printf(&b, "'");
    }
    if (m->n_members == 0) gs__buf_printf(&b, "''");
    gs__buf_printf(&b, ")");
    return gs__buf_steal(&b);
}

/* Keeps the fixes and bad rows of the roster's members only: a shard's
 * traces read from a CSV hold every member's. Member indices are
 * renumbered; the dropped members' ids stay in the arena. */
static int keep_roster_traces(gs_ctx *ctx, const gs__model *m, gs__traces *tr) {
    gs__strix *rv = malloc((m->n_members ? m->n_members : 1) * sizeof *rv);
    uint32_t *map = malloc((tr->n_members ? tr->n_members : 1) * sizeof *map);
    size_t nm = 0, k = 0;
    if (!rv || !map) {
        free(rv);
        free(map);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->n_members; i++)
        rv[i] = (gs__strix){m->members[i].member_id, i};
    qsort(rv, m->n_members, sizeof *rv, gs__strix_cmp);
    for (size_t i = 0; i < tr->n_members; i++) {
        if (gs__strix_lookup(rv, m->n_members, tr->member_ids[i]) < 0) {
            map[i] = UINT32_MAX;
            continue;
        }
        map[i] = (uint32_t)nm;
        tr->member_ids[nm++] = tr->member_ids[i];
    }
    tr->n_members = nm;
    for (size_t i = 0; i < tr->n_fixes; i++) {
        uint32_t to = map[tr->fixes[i].member];
        if (to == UINT32_MAX) continue;
        tr->fixes[k] = tr->fixes[i];
        tr->fixes[k++].member = to;
    }
    tr->n_fixes = k;
    k = 0;
    for (size_t i = 0; i < tr->n_bad; i++)
        if (gs__strix_lookup(rv, m->n_members, tr->bad[i].member_id) >= 0)
            tr->bad[k++] = tr->bad[i];
    tr->n_bad = k;
    free(rv);
    free(map);
    return GS_OK;
}

/* Counts bad rows with a member and a time into that member's days. */
static void count_bad_rows(const gs__traces *tr, const tracks *tk,
                           gs__presult *res, clock_tab *clock) {
    for (size_t k = 0; k < tr->n_bad; k++) {
        const gs__badrow *b = &tr->bad[k];
        int32_t day;
        if (b->t_ms == GS__TIME_UNKNOWN || !b->member_id[0]) continue;
        day = tab_day_of(clock, b->t_ms);
        if (day < res->day0 || day >= res->day0 + res->ndays) continue;
        for (size_t e = 0; e < res->n_entries; e++) {
            const gs__pentry *en = &res->entries[e];
            if (en->track < 0 ||
                strcmp(tk->v[en->track].member_id, b->member_id) != 0)
                continue;
            res->out[e].days[day - res->day0].bad_fixes++;
        }
    }
}

int gs_patrol_run(gs_ctx *ctx, const gs_patrol_opts *opts,
                  gs_report **out_report) {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__traces tr;
    gs__presult res;
    tracks tk;
    gs__tz *tz = NULL;
    gs__calendar *cal = NULL;
    clock_tab clock = {0, 0, NULL, NULL};
    gs_input_opts in_default;
    gs_rules rules_default;
    gs_patrol_opts o2;
    const gs_input_opts *in;
    gs__prules prules;
    gs__ptime pt;
    json_object *weeks = NULL;
    int32_t day0 = 0, day1 = 0;
    size_t n_fixes = 0;
    char started[32], warning[600] = "", fmt[300];
    int rc, tj_started = 0;
    trace_job tj;
    pthread_t tj_tid;
    wctx w;
    gs__out *pending = NULL;
    char *shard_where = NULL;

    if (!ctx) return GS_ERR_USAGE;
    memset(&tj, 0, sizeof tj);
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    gs__model_init(&m, ctx->geos);
    memset(&crs, 0, sizeof crs);
    memset(&info, 0, sizeof info);
    memset(&tr, 0, sizeof tr);
    memset(&res, 0, sizeof res);
    memset(&tk, 0, sizeof tk);
    gs__utc_now(started, sizeof started);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_patrol_run: missing argument");
        goto done;
    }
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if (!opts->grids || !opts->members || !opts->traces ||
        !opts->common.output) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "patrol needs {grids}, {members}, {traces} and "
                     "{output}");
        goto done;
    }
    gs_input_opts_init(&in_default);
    gs_rules_init(&rules_default);
    o2 = *opts;
    if (!o2.common.rules) o2.common.rules = &rules_default;
    opts = &o2;
    in = opts->common.input ? opts->common.input : &in_default;
    gs__prules_from(opts->common.rules, &prules);

    /* The period. */
    if (opts->week && (opts->from || opts->to)) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "give either {week} or {from}/{to}, not both");
        goto done;
    }
    if (opts->week) {
        if (gs__isoweek_parse(opts->week, &day0) != GS_OK) {
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "{week} '%s': expected an ISO week such as 2026-W47",
                         opts->week);
            goto done;
        }
        day1 = day0 + 6;
    } else if (opts->from && opts->to) {
        if (gs__date_parse(opts->from, &day0) != GS_OK ||
            gs__date_parse(opts->to, &day1) != GS_OK) {
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "{from}/{to}: expected dates such as 2026-11-16, got "
                         "'%s' and '%s'",
                         opts->from, opts->to);
            goto done;
        }
        if (day1 < day0 || day1 - day0 > 370) {
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "{from} %s {to} %s: the period must run forwards and "
                         "last at most a year",
                         opts->from, opts->to);
            goto done;
        }
    } else {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "patrol needs a period: {week} 2026-W47, or {from} DATE "
                     "{to} DATE");
        goto done;
    }
    if ((rc = gs__io_check_opts(ctx, in))) goto done;
    if ((rc = gs__out_check(ctx, opts->common.output))) goto done;
    if ((rc = gs__tz_open(ctx, opts->tz, &tz))) goto done;
    clock.first = day0 - 2;
    clock.n = day1 - day0 + 5;
    clock.start = gs__malloc(((size_t)clock.n + 1) * sizeof *clock.start);
    if (!clock.start) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i <= clock.n; i++)
        clock.start[i] = gs__day_start_utc(tz, clock.first + i);

    gs__phase_begin(ctx);
    memset(&tj, 0, sizeof tj);
    if (gs__ctx_create_worker(ctx, &tj.ctx) != GS_OK) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    tj.opts = opts;
    tj.in = in;
    /* A shard reads its members' traces only, so it needs the roster
     * first; a whole run reads the traces while it reads the rest. */
    if (!gs__shard_active(ctx)) {
        tj_started = pthread_create(&tj_tid, NULL, read_traces, &tj) == 0;
        if (!tj_started) read_traces(&tj);
    }
    if (opts->calendar && (rc = gs__calendar_load(ctx, opts->calendar, &cal)))
        goto done;
    clock.cal = cal;
    if ((rc = gs__io_shard_extent(ctx, in, opts->grids, NULL, GS__SHARD_HALO_M,
                                  &info)))
        goto done;
    gs__progress(ctx, "read grids", -1);
    if ((rc = gs__io_read_grids(ctx, in, opts->grids, &m, &crs, &info)))
        goto done;
    gs__progress(ctx, "read members", -1);
    if ((rc = gs__io_read_members(ctx, in, opts->members, 1, &m, &info)))
        goto done;
    if (gs__shard_active(ctx)) {
        shard_where = members_filter(in, &m);
        if (!shard_where) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        tj.where = shard_where;
        tj_started = pthread_create(&tj_tid, NULL, read_traces, &tj) == 0;
        if (!tj_started) read_traces(&tj);
    }
    if (opts->households) {
        gs__progress(ctx, "read households", 0);
        if ((rc = gs__io_read_households(ctx, in, opts->households, &m, &crs,
                                         &info)))
            goto done;
    }
    gs__progress(ctx, "read traces", -1);
    if (tj_started) pthread_join(tj_tid, NULL);
    tj_started = 0;
    tr = tj.tr;
    memset(&tj.tr, 0, sizeof tj.tr);
    if (tj.rc) {
        rc = gs__err(ctx, tj.rc, "%s", gs_ctx_errmsg(tj.ctx));
        goto done;
    }
    if (gs__shard_active(ctx) && (rc = keep_roster_traces(ctx, &m, &tr)))
        goto done;
    if ((rc = gs__inputs_note_file(ctx, &info, "traces", opts->traces, tr.layer,
                                   (long)(tr.n_fixes + tr.n_bad))))
        goto done;
    if (opts->calendar && (rc = gs__inputs_note_file(ctx, &info, "calendar",
                                                     opts->calendar, "", -1)))
        goto done;
    if (!in->encoding && strcmp(tr.encoding, "UTF-8") != 0)
        gs__warn(ctx,
                 "%s: the text is not UTF-8; read it as %s (say {encoding} "
                 "%s to make this explicit)",
                 opts->traces, tr.encoding, tr.encoding);
    if (tr.n_fixes == 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s: no usable GPS fix in %zu rows (see the first bad "
                     "row: line %u, %s: %s)",
                     opts->traces, tr.n_bad, tr.n_bad ? tr.bad[0].line : 0,
                     tr.n_bad ? tr.bad[0].field : "",
                     tr.n_bad ? tr.bad[0].reason : "none");
        goto done;
    }
    if (!opts->trace_crs || !strcmp(opts->trace_crs, "wgs84")) {
        double share[3];
        if ((rc = check_offset(ctx, &tr, &m, &crs, opts->common.rules, share)))
            goto done;
        if (share[1] > 0.2 && share[1] > 2 * share[0] + 0.05)
            snprintf(warning, sizeof warning,
                     gs__optfmt(ctx,
                                "%s: only %.0f%% of the fixes fall in a grid "
                                "as WGS84, but %.0f%% would as GCJ-02: the "
                                "traces look like a Chinese map SDK's "
                                "coordinates; re-run with {trace_crs} gcj02",
                                fmt, sizeof fmt),
                     opts->traces, 100 * share[0], 100 * share[1]);
        else if (share[2] > 0.2 && share[2] > 2 * share[0] + 0.05)
            snprintf(warning, sizeof warning,
                     gs__optfmt(ctx,
                                "%s: only %.0f%% of the fixes fall in a grid "
                                "as WGS84, but %.0f%% would as BD-09 (Baidu); "
                                "re-run with {trace_crs} bd09",
                                fmt, sizeof fmt),
                     opts->traces, 100 * share[0], 100 * share[2]);
        if (warning[0]) gs__warn(ctx, "%s", warning);
    }
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    gs__progress(ctx, "project fixes", -1);
    n_fixes = tr.n_fixes;
    if ((rc = make_tracks(ctx, &tr, &crs, opts->common.threads, &tk)))
        goto done;
    tr.n_fixes = 0;
    gs__phase_end(ctx, "project");

    gs__phase_begin(ctx);
    gs__progress(ctx, "patrol time and coverage", -1);
    if ((rc = gs__patrol_entries(ctx, &m, tk.v, tk.n, &res))) goto done;
    pt.day_of = tab_day_of;
    pt.day_start = tab_day_start;
    pt.workday = tab_workday;
    pt.user = &clock;
    if ((rc = gs__patrol_analyse(ctx, &m, tk.v, tk.n, &pt, &prules, day0,
                                 day1 - day0 + 1, opts->common.threads, &res)))
        goto done;
    count_bad_rows(&tr, &tk, &res, &clock);
    gs__phase_end(ctx, "analyse");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    if ((rc = lines_to_output(ctx, &res, &crs, opts->common.threads)))
        goto done;
    weeks = json_object_new_array();
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.m = &m;
    w.res = &res;
    w.tr = &tr;
    w.clock = &clock;
    w.has_households = opts->households != NULL;
    if ((rc = write_outputs(&w, opts, &crs, &info, started, weeks))) goto done;
    pending = w.o;
    w.o = NULL;
    gs__phase_end(ctx, "write");
    /* The report before the output moves into place: a run that fails,
     * even for want of memory for its report, never replaces an earlier
     * output. */
    rc = gs__out_commit_report(ctx, pending,
                               make_report(ctx, opts, &res, &tr, n_fixes, weeks,
                                           warning[0] ? warning : NULL),
                               out_report);
    weeks = NULL; /* taken by the report */
    pending = NULL;
done:
    gs__out_abort(pending);
    if (tj_started) pthread_join(tj_tid, NULL); /* an earlier step failed */
    free(shard_where);
    gs__traces_free(&tj.tr);
    gs_ctx_destroy(tj.ctx);
    if (weeks) json_object_put(weeks);
    gs__presult_free(&res);
    tracks_free(&tk);
    gs__traces_free(&tr);
    gs__calendar_free(cal);
    free(clock.start);
    gs__tz_close(tz);
    gs__model_free(&m);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    gs__gdal_leave(ctx);
    return rc;
}
