/*
 * write_patrol.c - patrol's layers, summary and report.
 *
 * Per entry (a member on a grid): one member_day row per day of the
 * period, one member_week row per ISO week on the grid's shape with the
 * week's uncovered part and unreached households, the day's credited
 * line work (tracks), the gaps and the GPS issues; the traces' bad rows;
 * and a summary per community and week plus the whole run's per week
 * ("total"). Fields by the schema's enums (schema.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "i18n.h"
#include "datetime.h"
#include "run_patrol.h"

/* Moves the line work (WGS84 lon/lat, as the fixes) of every entry into the
 * output CRS before writing: all vertices are gathered into one array,
 * transformed by workers, and put back, so the writer only copies them. */
int gs__patrol_lines_to_output(gs_ctx *ctx, gs__patrol_result *res,
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
            const gs__patrol_line *pl = &res->out[e].lines[l];
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
            gs__patrol_line *pl = &res->out[e].lines[l];
            memcpy(pl->xy, all + 2 * k, pl->npts * 2 * sizeof *all);
            k += pl->npts;
        }
    free(all);
    return rc;
}

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

static int write_days(gs__patrol_wctx *w, gs__olayer *l) {
    const gs__patrol_result *res = w->res;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__patrol_entry *en = &res->entries[e];
        for (int d = 0; d < res->ndays; d++) {
            const gs__patrol_day *pd = &res->out[e].days[d];
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

static int write_weeks(gs__patrol_wctx *w, gs__olayer *l, gs__olayer *lu,
                       gs__olayer *lh) {
    const gs__patrol_result *res = w->res;
    const gs__model *m = w->m;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__patrol_entry *en = &res->entries[e];
        const gs__patrol_out *po = &res->out[e];
        for (int k = 0; k < res->nweeks; k++) {
            const gs__patrol_week *wk = &po->weeks[k];
            char week[9];
            OGRFeatureH f = gs__out_feature(l);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__isoweek_format(wk->monday, week);
            OGR_F_SetFieldString(f, GS__MW_MEMBER_ID, en->member_id);
            OGR_F_SetFieldString(f, GS__MW_MEMBER_NAME, en->name);
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

static int write_lines(gs__patrol_wctx *w, gs__olayer *lt, gs__olayer *lg,
                       gs__olayer *li) {
    const gs__patrol_result *res = w->res;
    int rc = GS_OK;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__patrol_entry *en = &res->entries[e];
        const gs__patrol_out *po = &res->out[e];
        for (size_t k = 0; k < po->n_lines; k++) {
            const gs__patrol_line *pl = &po->lines[k];
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
            const gs__patrol_gap *g = &po->gaps[k];
            char t0[32], t1[32], date[11];
            double xy[4] = {g->x0, g->y0, g->x1, g->y1};
            size_t st[2] = {0, 2};
            OGRFeatureH f = gs__out_feature(lg);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__utc_format(g->t0, t0);
            gs__utc_format(g->t1, t1);
            gs__date_format(gs__clock_day_of(w->clock, g->t0), date);
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
            const gs__patrol_issue *is = &po->issues[k];
            char t[32], date[11];
            OGRFeatureH f = gs__out_feature(li);
            if (!f) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            gs__utc_format(is->t_ms, t);
            gs__date_format(gs__clock_day_of(w->clock, is->t_ms), date);
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

static int write_bad_rows(gs__patrol_wctx *w, gs__olayer *l) {
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
static int summarise(gs__patrol_wctx *w, gs__olayer *l, json_object *js) {
    const gs__patrol_result *res = w->res;
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
        const gs__patrol_entry *en = &res->entries[e];
        if (en->grid < 0) continue;
        for (int k = 0; k < res->nweeks; k++) {
            const gs__patrol_week *wk = &res->out[e].weeks[k];
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

int gs__patrol_write(gs__patrol_wctx *w, const gs_patrol_opts *opts,
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

gs_report *gs__patrol_report(gs_ctx *ctx, const gs_patrol_opts *opts,
                             const gs__patrol_result *res, const gs__traces *tr,
                             size_t n_fixes, size_t n_period,
                             json_object *weeks, const char *warning) {
    json_object *o = json_object_new_object();
    gs__buf text;
    long members = 0, not_in_roster = 0, no_grid = 0, no_trace = 0;
    char d0[11], d1[11];
    long findings = 0;
    if (!o) return NULL;
    for (size_t e = 0; e < res->n_entries; e++) {
        const gs__patrol_entry *en = &res->entries[e];
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
    json_object_object_add(o, "fixes_in_period",
                           json_object_new_int64((int64_t)n_period));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)tr->n_bad));
    json_object_object_add(o, "trace_encoding",
                           json_object_new_string(tr->encoding));
    json_object_object_add(o, "warning",
                           warning ? json_object_new_string(warning) : NULL);
    gs__buf_init(&text, 0);
    /* The console text in the user's language (gs__tr); layer names and
     * notes stay as the layers spell them. */
    gs__buf_printf(&text, gs__tr("patrol: %s to %s, %ld members, %zu fixes"),
                   d0, d1, members, n_period);
    if (n_period != n_fixes)
        /* TRANSLATORS: follows "patrol: ..., N fixes" when fixes outside
         * the period were read: how many were read in all. */
        gs__buf_printf(&text, gs__tr(" (of %zu read)"), n_fixes);
    /* TRANSLATORS: ends the first line of the patrol summary; bad_rows
     * is the layer's name. */
    gs__buf_printf(&text, gs__tr(", %zu bad rows listed in bad_rows\n"),
                   tr->n_bad);
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
                       gs__tr("  %s: %ld of %ld members compliant; mean "
                              "%.1f h in their grid; mean coverage %.1f%%; "
                              "%ld workdays below 2 h\n"),
                       week, comp, mem, hours, cov, missed);
    }
    if (not_in_roster)
        gs__buf_printf(&text,
                       gs__tr("  %ld traced members are not in the roster "
                              "(rows with note 'not in roster')\n"),
                       not_in_roster);
    if (no_grid)
        gs__buf_printf(&text,
                       gs__tr("  %ld roster rows name a grid that does not "
                              "exist\n"),
                       no_grid);
    gs__buf_printf(&text, gs__tr("  wrote %s\n"), opts->common.output);
    json_object_object_add(o, "weeks", weeks);
    return gs__report_from_buf(ctx, o, &text, findings);
}
