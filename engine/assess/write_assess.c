/*
 * write_assess.c - the assessment's layers and the run's report.
 *
 * Layers (schema.c): assessment (one row per member with every sub-score,
 * the inputs it came from and the defaults taken, on the member's grid
 * shape of the latest week), and with visits: visits (each checked, at
 * its household) and care_overdue (care targets with a window missed);
 * with offline scores or visits: bad_rows. The run metadata records the
 * rules and the month.
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "run_assess.h"
#include "rules.h"

/* ISO 8601 UTC with 'Z' of an instant. */
static void iso_utc(int64_t ms, char out[32]) {
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int32_t day = (int32_t)(s >= 0 ? s / 86400 : (s - 86399) / 86400);
    int sod = (int)(s - (int64_t)day * 86400), y, mo, d;
    gs__civil_from_days(day, &y, &mo, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, sod / 3600,
             sod / 60 % 60, sod % 60);
}

/* ---- writing ------------------------------------------------------------- */

static int write_assessment(gs__arun *R, gs__out *o, gs__olayer *l) {
    char month[8], from[11], to[11];
    snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
    gs__date_format(R->per.day0, from);
    gs__date_format(R->per.day1, to);
    for (size_t i = 0; i < R->n_m; i++) {
        const gs__amember *m = &R->m[i];
        const gs__ascore *s = &m->score;
        OGRFeatureH f = gs__out_feature(l);
        int rc;
        if (!f) return gs__arun_nomem(R);
        OGR_F_SetFieldString(f, GS__AA_MONTH, month);
        OGR_F_SetFieldString(f, GS__AA_PERIOD_FROM, from);
        OGR_F_SetFieldString(f, GS__AA_PERIOD_TO, to);
        OGR_F_SetFieldString(f, GS__AA_MEMBER_ID, m->id);
        OGR_F_SetFieldString(f, GS__AA_GRID_CODE, m->grid_code);
        OGR_F_SetFieldInteger64(f, GS__AA_WORKDAYS, m->in.workdays);
        OGR_F_SetFieldInteger64(f, GS__AA_WORKDAYS_OK, m->in.workdays_ok);
        OGR_F_SetFieldInteger64(f, GS__AA_WEEKS, m->in.weeks);
        OGR_F_SetFieldInteger64(f, GS__AA_WEEKS_OK, m->in.weeks_ok);
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            OGR_F_SetFieldDouble(f, GS__AA_SCORE + k, s->points[k]);
        OGR_F_SetFieldDouble(f, GS__AA_SCORE_BASIC, s->basic);
        OGR_F_SetFieldDouble(f, GS__AA_SCORE_RESIDENTS, s->residents);
        OGR_F_SetFieldDouble(f, GS__AA_TOTAL, s->total);
        OGR_F_SetFieldString(f, GS__AA_TIER, s->tier);
        if (m->in.have_visits) {
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_TARGETS, m->care_targets);
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_WINDOWS_DUE, m->in.care_due);
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_WINDOWS_MET, m->in.care_met);
            OGR_F_SetFieldInteger64(f, GS__AA_VISITS_RECORDED, m->in.visits);
            OGR_F_SetFieldInteger64(f, GS__AA_VISITS_VERIFIED,
                                    m->in.visits_verified);
        } else {
            for (int q = GS__AA_CARE_TARGETS; q <= GS__AA_VISITS_VERIFIED; q++)
                OGR_F_SetFieldNull(f, q);
        }
        OGR_F_SetFieldString(f, GS__AA_DEFAULTS_USED, s->defaults_used);
        OGR_F_SetFieldString(f, GS__AA_NOTE, m->note);
        if (m->geom) OGR_F_SetGeometry(f, m->geom);
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_visits(gs__arun *R, gs__out *o, gs__olayer *l) {
    for (size_t i = 0; i < R->n_v; i++) {
        const gs__avisit *a = &R->v[i];
        const gs__household *h =
            a->household >= 0 ? &R->hm.households[a->household] : NULL;
        OGRFeatureH f = gs__out_feature(l);
        char t[32], ft[32], date[11];
        int rc;
        if (!f) return gs__arun_nomem(R);
        iso_utc(a->t_ms, t);
        gs__date_format(gs__local_day(R->tz, a->t_ms), date);
        OGR_F_SetFieldString(f, GS__AV_MEMBER_ID, a->member_id);
        OGR_F_SetFieldString(f, GS__AV_HOUSEHOLD_ID, a->household_id);
        OGR_F_SetFieldString(f, GS__AV_KIND, a->kind);
        OGR_F_SetFieldString(f, GS__AV_TIME, t);
        OGR_F_SetFieldString(f, GS__AV_DATE, date);
        OGR_F_SetFieldString(f, GS__AV_CARE_TYPE,
                             h && h->care_type ? h->care_type : "");
        OGR_F_SetFieldInteger64(f, GS__AV_VERIFIED, a->chk.verified);
        if (a->chk.found) {
            iso_utc(a->chk.fix_t_ms, ft);
            OGR_F_SetFieldDouble(f, GS__AV_FIX_DISTANCE_M, a->chk.dist_m);
            OGR_F_SetFieldString(f, GS__AV_FIX_TIME, ft);
            OGR_F_SetFieldDouble(f, GS__AV_FIX_OFFSET_S,
                                 (double)(a->chk.fix_t_ms - a->t_ms) / 1000.0);
        } else {
            for (int q = GS__AV_FIX_DISTANCE_M; q <= GS__AV_FIX_OFFSET_S; q++)
                OGR_F_SetFieldNull(f, q);
        }
        OGR_F_SetFieldString(f, GS__AV_DETAIL, a->detail);
        OGR_F_SetFieldInteger64(f, GS__AV_LINE, a->line);
        if (h && (rc = gs__out_point(o, f, h->x, h->y))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_overdue(gs__arun *R, gs__out *o, gs__olayer *l) {
    int ndays = R->per.day1 - R->per.day0 + 1;
    for (size_t i = 0; i < R->n_duties; i++) {
        const gs__aduty *d = &R->duties[i];
        const gs__household *h = &R->hm.households[d->household];
        const gs__amember *m = &R->m[d->member];
        int interval = R->r->care_interval_days[d->type];
        char last[32], from[11], to[11];
        int32_t a, b;
        OGRFeatureH f;
        int rc;
        if (d->met >= d->due) continue;
        f = gs__out_feature(l);
        if (!f) return gs__arun_nomem(R);
        gs__care_window_days(R->per.day0, ndays, interval, d->first_missed, &a,
                             &b);
        gs__date_format(a, from);
        gs__date_format(b, to);
        OGR_F_SetFieldString(f, GS__AO_MEMBER_ID, m->id);
        OGR_F_SetFieldString(f, GS__AO_GRID_CODE, m->grid_code);
        OGR_F_SetFieldString(f, GS__AO_HOUSEHOLD_ID, h->id ? h->id : "");
        OGR_F_SetFieldString(f, GS__AO_CARE_TYPE, gs__care_types[d->type]);
        OGR_F_SetFieldInteger64(f, GS__AO_INTERVAL_DAYS, interval);
        OGR_F_SetFieldInteger64(f, GS__AO_WINDOWS_DUE, d->due);
        OGR_F_SetFieldInteger64(f, GS__AO_WINDOWS_MET, d->met);
        OGR_F_SetFieldInteger64(f, GS__AO_VISITS_VERIFIED, d->verified);
        if (d->last_t != INT64_MIN) {
            iso_utc(d->last_t, last);
            OGR_F_SetFieldString(f, GS__AO_LAST_VISIT, last);
        } else {
            OGR_F_SetFieldNull(f, GS__AO_LAST_VISIT);
        }
        OGR_F_SetFieldString(f, GS__AO_FIRST_MISSED_FROM, from);
        OGR_F_SetFieldString(f, GS__AO_FIRST_MISSED_TO, to);
        if ((rc = gs__out_point(o, f, h->x, h->y))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_bad(gs__arun *R, gs__out *o, gs__olayer *l) {
    for (size_t i = 0; i < R->n_bad; i++) {
        const gs__abadrow *b = &R->bad[i];
        OGRFeatureH f = gs__out_feature(l);
        int rc;
        if (!f) return gs__arun_nomem(R);
        OGR_F_SetFieldString(f, GS__AB_SOURCE, b->source);
        OGR_F_SetFieldString(f, GS__AB_PATH, b->path);
        OGR_F_SetFieldInteger64(f, GS__AB_LINE, b->line);
        OGR_F_SetFieldString(f, GS__AB_MEMBER_ID, b->member_id);
        OGR_F_SetFieldString(f, GS__AB_FIELD, b->field);
        OGR_F_SetFieldString(f, GS__AB_REASON, b->reason);
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

/* The rules the run used, as JSON text for the run metadata. */
static char *rules_json(const gs_rules *r) {
    json_object *j = json_object_new_object(), *w = json_object_new_object(),
                *d = json_object_new_object(), *iv = json_object_new_object();
    char *s = NULL;
    if (!j || !w || !d || !iv) goto done;
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) {
        json_object_object_add(w, gs__assess_items[k],
                               json_object_new_double(r->assess_weight[k]));
        json_object_object_add(
            d, gs__assess_items[k],
            json_object_new_double(r->assess_default_pct[k]));
    }
    for (int k = 0; k < GS_CARE_TYPES; k++)
        json_object_object_add(iv, gs__care_types[k],
                               json_object_new_int(r->care_interval_days[k]));
    json_object_object_add(j, "weight", w);
    json_object_object_add(j, "default_pct", d);
    json_object_object_add(j, "interval_days", iv);
    w = d = iv = NULL;
    json_object_object_add(j, "patrol_daily_share",
                           json_object_new_double(r->patrol_daily_share));
    json_object_object_add(j, "tier_excellent",
                           json_object_new_double(r->tier_excellent));
    json_object_object_add(j, "tier_good",
                           json_object_new_double(r->tier_good));
    json_object_object_add(j, "tier_pass",
                           json_object_new_double(r->tier_pass));
    json_object_object_add(j, "visit_radius_m",
                           json_object_new_double(r->visit_radius_m));
    json_object_object_add(j, "visit_window_s",
                           json_object_new_double(r->visit_window_s));
    json_object_object_add(j, "low_accuracy_m",
                           json_object_new_double(r->low_accuracy_m));
    s = gs__strdup(json_object_to_json_string_ext(
        j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
done:
    json_object_put(w);
    json_object_put(d);
    json_object_put(iv);
    json_object_put(j);
    return s;
}

/* Writes every layer into the temporary output and hands it over in
 * *out_o, not yet committed (gs__out_commit_report commits it once the
 * report exists); on failure *out_o is NULL and nothing is left. */
int gs__arun_write(gs__arun *R, const char *started, gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *la, *lv, *lo, *lb;
    char *rj = NULL;
    int rc;
    *out_o = NULL;
    rc = gs__out_open(R->ctx, R->o->common.output, R->crs.output, R->crs.metric,
                      &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_ASSESSMENT, &la)) ||
        (rc = write_assessment(R, o, la)))
        goto fail;
    if (R->o->visits &&
        ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_VISITS, &lv)) ||
         (rc = write_visits(R, o, lv)) ||
         (rc = gs__out_layer_schema(o, GS__LS_ASSESS_CARE_OVERDUE, &lo)) ||
         (rc = write_overdue(R, o, lo))))
        goto fail;
    if ((R->o->visits || R->o->offline) &&
        ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_BAD_ROWS, &lb)) ||
         (rc = write_bad(R, o, lb))))
        goto fail;
    rj = rules_json(R->r);
    if (!rj) {
        rc = gs__arun_nomem(R);
        goto fail;
    }
    rc = gs__out_meta_run(o, "assess", R->o->common.command_line, started, rj,
                          R->crs.metric_name ? R->crs.metric_name : "",
                          &R->info);
    free(rj);
    if (!rc) {
        char month[8];
        snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
        rc = gs__out_meta(o, "month", month);
    }
    if (rc) goto fail;
    *out_o = o;
    return GS_OK;
fail:
    gs__out_abort(o);
    return rc;
}

/* ---- the report and the run ---------------------------------------------- */

gs_report *gs__arun_report(gs__arun *R) {
    static const char *const tiers[] = {"优秀", "良好", "合格", "不合格"};
    json_object *o = json_object_new_object(), *jt, *jw, *jd, *jv;
    long nt[4] = {0, 0, 0, 0}, nd[GS_ASSESS_ITEMS + 1] = {0};
    double sum = 0;
    char month[8], from[11], to[11], held[64] = "", missing[64] = "";
    gs__buf text;
    long verified = 0;
    if (!o) return NULL;
    snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
    gs__date_format(R->per.day0, from);
    gs__date_format(R->per.day1, to);
    for (size_t i = 0; i < R->n_m; i++) {
        const gs__ascore *s = &R->m[i].score;
        for (int k = 0; k < 4; k++) nt[k] += !strcmp(s->tier, tiers[k]);
        sum += s->total;
        for (int k = 0; k < GS_ASSESS_ITEMS; k++) nd[k] += s->defaulted[k];
    }
    for (size_t i = 0; i < R->n_v; i++) verified += R->v[i].chk.verified;
    jt = json_object_new_object();
    for (int k = 0; k < 4; k++)
        json_object_object_add(jt, tiers[k], json_object_new_int64(nt[k]));
    jw = json_object_new_array();
    for (int k = 0; k < R->per.nweeks; k++) {
        char *dst = R->have_week[k] ? held : missing;
        size_t n = strlen(dst);
        snprintf(dst + n, 64 - n, "%s%s", n ? ", " : "", R->weeks[k]);
        json_object *w = json_object_new_object();
        json_object_object_add(w, "week", json_object_new_string(R->weeks[k]));
        json_object_object_add(w, "in_ledger",
                               json_object_new_boolean(R->have_week[k]));
        json_object_array_add(jw, w);
    }
    jd = json_object_new_object();
    for (int k = 0; k < GS_ASSESS_ITEMS; k++)
        json_object_object_add(jd, gs__assess_items[k],
                               json_object_new_int64(nd[k]));
    json_object_object_add(o, "command", json_object_new_string("assess"));
    json_object_object_add(o, "output",
                           json_object_new_string(R->o->common.output));
    json_object_object_add(o, "month", json_object_new_string(month));
    json_object_object_add(o, "period_from", json_object_new_string(from));
    json_object_object_add(o, "period_to", json_object_new_string(to));
    json_object_object_add(o, "weeks", jw);
    json_object_object_add(o, "members",
                           json_object_new_int64((int64_t)R->n_m));
    json_object_object_add(o, "tiers", jt);
    json_object_object_add(o, "mean_total",
                           json_object_new_double(R->n_m ? sum / R->n_m : 0));
    json_object_object_add(o, "members_with_defaults", jd);
    json_object_object_add(o, "offline_rows",
                           json_object_new_int64(R->offline_rows));
    json_object_object_add(o, "offline_rows_unknown_member",
                           json_object_new_int64(R->offline_unknown));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)R->n_bad));
    if (R->o->visits) {
        jv = json_object_new_object();
        json_object_object_add(jv, "recorded",
                               json_object_new_int64((int64_t)R->n_v));
        json_object_object_add(jv, "verified", json_object_new_int64(verified));
        json_object_object_add(jv, "outside_period",
                               json_object_new_int64(R->visits_outside));
        json_object_object_add(jv, "unknown_member",
                               json_object_new_int64(R->visits_unknown));
        json_object_object_add(jv, "care_targets",
                               json_object_new_int64((int64_t)R->n_duties));
        json_object_object_add(jv, "care_overdue",
                               json_object_new_int64(R->overdue));
        json_object_object_add(jv, "care_outside_grids",
                               json_object_new_int64(R->care_no_grid));
        json_object_object_add(o, "visits", jv);
    }
    gs__buf_init(&text, 0);
    /* The console text in the user's language (gs__tr); item codes and
     * layer names stay as the layers spell them. */
    gs__buf_printf(&text, gs__tr("assess: %s (%s to %s), %zu members\n"), month,
                   from, to, R->n_m);
    if (missing[0])
        gs__buf_printf(&text, gs__tr("  ledger weeks: %s; missing %s\n"), held,
                       missing);
    else
        gs__buf_printf(&text, gs__tr("  ledger weeks: %s\n"), held);
    gs__buf_printf(&text,
                   gs__tr("  优秀 excellent %ld, 良好 good %ld, 合格 pass %ld, "
                          "不合格 fail %ld; mean total %.1f\n"),
                   nt[0], nt[1], nt[2], nt[3], R->n_m ? sum / R->n_m : 0);
    {
        /* TRANSLATORS: followed by " item count" for each assessment item
         * (its code as the layers spell it), separated by commas. */
        const char *sep = gs__tr("  members on a default (see defaults_used):");
        int any = 0;
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            if (nd[k]) {
                gs__buf_printf(&text, "%s %s %ld", sep, gs__assess_items[k],
                               nd[k]);
                sep = ",";
                any = 1;
            }
        if (any) gs__buf_puts(&text, "\n");
    }
    if (R->o->visits)
        gs__buf_printf(&text,
                       gs__tr("  visits: %zu in the period, %ld verified; %zu "
                              "care targets, %ld overdue\n"),
                       R->n_v, verified, R->n_duties, R->overdue);
    if (R->n_bad)
        gs__buf_printf(&text,
                       gs__tr("  %zu bad rows left out (listed in "
                              "bad_rows)\n"),
                       R->n_bad);
    gs__buf_printf(&text, gs__tr("  wrote %s\n"), R->o->common.output);
    return gs__report_from_buf(R->ctx, o, &text, nt[3] + R->overdue);
}
