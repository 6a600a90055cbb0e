/*
 * run_assess.c - gs_assess_run: the monthly assessment of grid members
 * (月考核).
 *
 * What. This command computes the weighted monthly score (score.c) of
 * every member the ledger holds for a month and writes it as a GeoPackage
 * a street office can defend line by line: each sub-score, the inputs it
 * came from, and every default taken for an input the member lacks
 * (`defaults_used`), never a silent zero.
 *
 * How data flows.
 *
 *   month -> its ISO weeks (by their Thursday) -> period [day0, day1]
 *   ledger member_week, member_day of those weeks -> per member: workdays,
 *        workdays with daily_ok, weeks, weeks with weekly_ok, grid shape
 *        (the latest week's) and grid codes                (read_ledger.c)
 *   offline CSV (member_id,item,score) -> per member and item: mean score
 *   visits CSV                                             (offline_csv.c)
 *   + traces + households -> each visit checked against the member's
 *        fixes (point to fix distance, metric CRS)             (visits.c)
 *   care targets (households of a care type with a visit interval, in a
 *        member's grid, assigned as validate does) -> care windows met or
 *        missed                                                  (care.c)
 *   -> gs__assess_score per member -> layers assessment, visits,
 *        care_overdue, bad_rows                         (write_assess.c)
 *
 * The run is a list of steps over one gs__arun (run_assess.h): check the
 * options, read the inputs, analyse, write the outputs, and commit them
 * once the run's report exists.
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_assess.h"
#include "io.h"
#include "rules.h"

void gs_assess_opts_init(gs_assess_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

static void run_free(gs__arun *R) {
    for (size_t i = 0; i < R->n_rows; i++)
        if (R->rows[i].geom) OGR_G_DestroyGeometry(R->rows[i].geom);
    for (size_t i = 0; i < R->n_m; i++)
        if (R->m[i].geom) OGR_G_DestroyGeometry(R->m[i].geom);
    free(R->rows);
    free(R->m);
    free(R->bad);
    free(R->v);
    free(R->duties);
    free(R->tracks);
    free(R->fixes);
    gs__model_free(&R->hm);
    gs__crsinfo_free(&R->crs);
    gs__inputs_free(&R->info);
    gs__tz_close(R->tz);
    gs__arena_free(&R->strings);
}

/* Weights must add up to 100 (tiers are marks out of 100) and tiers must
 * rise. */
static int check_rules(gs_ctx *ctx, const gs_rules *r) {
    double sum = 0;
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) sum += r->assess_weight[k];
    if (fabs(sum - 100.0) > 1e-6)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "the assessment weights ([assess] weight.*) add up to "
                       "%g, not 100",
                       sum);
    if (!(r->tier_pass <= r->tier_good && r->tier_good <= r->tier_excellent))
        return gs__err(ctx, GS_ERR_CONFIG,
                       "[assess] tiers out of order: tier_pass %g, tier_good "
                       "%g, tier_excellent %g must rise",
                       r->tier_pass, r->tier_good, r->tier_excellent);
    return GS_OK;
}

/* The options and the period: the month's weeks and its UTC bounds. */
static int check_opts(gs_ctx *ctx, const gs_assess_opts *opts, gs__arun *R,
                      const gs_rules *rules_default,
                      const gs_input_opts *in_default) {
    int rc;
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    if (!opts->ledger || !opts->month || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "assess needs {ledger}, {month} and {output}");
    if (opts->visits ? !opts->traces || !opts->households
                     : opts->traces || opts->households)
        return gs__err(ctx, GS_ERR_USAGE,
                       "{visits}, {traces} and {households} go together: the "
                       "visits are checked against the traces at the "
                       "households");
    R->r = opts->common.rules ? opts->common.rules : rules_default;
    R->in = opts->common.input ? opts->common.input : in_default;
    if (gs__assess_period(opts->month, &R->per) != GS_OK)
        return gs__err(ctx, GS_ERR_USAGE,
                       "{month} '%s': expected a month such as 2026-11",
                       opts->month);
    for (int k = 0; k < R->per.nweeks; k++)
        gs__isoweek_format(R->per.monday[k], R->weeks[k]);
    if ((rc = check_rules(ctx, R->r)) || (rc = gs__io_check_opts(ctx, R->in)) ||
        (rc = gs__out_check(ctx, opts->common.output)) ||
        (rc = gs__tz_open(ctx, opts->tz, &R->tz)))
        return rc;
    R->t0 = gs__day_start_utc(R->tz, R->per.day0);
    R->t1 = gs__day_start_utc(R->tz, R->per.day1 + 1);
    return GS_OK;
}

/* The visits and what they are checked against: the households and the
 * traces (into *tr). */
static int read_visit_inputs(gs__arun *R, gs__traces *tr) {
    gs_ctx *ctx = R->ctx;
    const gs_assess_opts *opts = R->o;
    gs__trace_opts to;
    int rc;
    if (!R->crs.metric)
        return gs__err(ctx, GS_ERR_INPUT_CRS,
                       "%s (ledger): member_week has no CRS or no grid "
                       "shapes, so visits cannot be placed",
                       opts->ledger);
    gs__progress(ctx, "read visits", -1);
    if ((rc = gs__arun_read_visits(R))) return rc;
    gs__progress(ctx, "read households", -1);
    if ((rc = gs__io_read_households(ctx, R->in, opts->households, &R->hm,
                                     &R->crs, &R->info)))
        return rc;
    gs__progress(ctx, "read traces", -1);
    memset(&to, 0, sizeof to);
    to.path = opts->traces;
    to.input = R->in;
    to.trace_crs = opts->trace_crs;
    to.tz = R->tz;
    if ((rc = gs__traces_read(ctx, &to, tr))) return rc;
    return gs__inputs_note_file(ctx, &R->info, "traces", opts->traces,
                                tr->layer, (long)(tr->n_fixes + tr->n_bad));
}

/* The read phase: the ledger, then the offline scores and the visits
 * with their households and traces, when given. */
static int read_inputs(gs__arun *R, gs__traces *tr) {
    int rc;
    gs__phase_begin(R->ctx);
    gs__progress(R->ctx, "read ledger", -1);
    if ((rc = gs__arun_read_ledger(R))) return rc;
    if (R->o->offline) {
        gs__progress(R->ctx, "read offline scores", -1);
        if ((rc = gs__arun_read_offline(R))) return rc;
    }
    if (R->o->visits && (rc = read_visit_inputs(R, tr))) return rc;
    gs__phase_end(R->ctx, "read");
    return GS_OK;
}

/* Notes on every member the weeks of the month the ledger lacks: they
 * are said, not silently skipped. */
static int note_missing_weeks(gs__arun *R) {
    char miss[80] = "", note[160];
    size_t n = 0;
    for (int k = 0; k < R->per.nweeks; k++)
        if (!R->have_week[k])
            n += (size_t)snprintf(miss + n, sizeof miss - n, "%s%s",
                                  n ? ", " : "", R->weeks[k]);
    snprintf(note, sizeof note,
             "the ledger lacks %s: patrol from the other weeks", miss);
    for (size_t i = 0; n && i < R->n_m; i++) {
        R->m[i].note = gs__arun_join(R, R->m[i].note, note, "; ");
        if (!R->m[i].note) return gs__arun_nomem(R);
    }
    return GS_OK;
}

/* The analyse phase: visits and care windows (with visits), then every
 * member's score. Takes the traces. */
static int analyse(gs__arun *R, gs__traces *tr) {
    int rc;
    gs__phase_begin(R->ctx);
    if (R->o->visits) {
        gs__progress(R->ctx, "check visits", -1);
        if ((rc = gs__arun_check_visits(R, tr)) || (rc = gs__arun_care(R)))
            return rc;
    }
    for (size_t i = 0; i < R->n_m; i++) {
        R->m[i].in.have_visits = R->o->visits != NULL;
        gs__assess_score(R->r, &R->m[i].in, &R->m[i].score);
    }
    if ((rc = note_missing_weeks(R))) return rc;
    gs__phase_end(R->ctx, "analyse");
    return GS_OK;
}

/* The write phase, then the commit once the report exists: a run that
 * fails, even for want of memory for its report, never replaces an
 * earlier output. */
static int write_outputs(gs__arun *R, const char *started,
                         gs_report **out_report) {
    gs__out *out;
    int rc;
    gs__phase_begin(R->ctx);
    gs__progress(R->ctx, "write", -1);
    if ((rc = gs__arun_write(R, started, &out))) return rc;
    gs__phase_end(R->ctx, "write");
    return gs__out_commit_report(R->ctx, out, gs__arun_report(R), out_report);
}

int gs_assess_run(gs_ctx *ctx, const gs_assess_opts *opts,
                  gs_report **out_report) {
    gs__arun R;
    gs_rules rules_default;
    gs_input_opts in_default;
    gs__traces tr;
    char started[32];
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "gs_assess_run: missing argument");
    gs__gdal_enter(ctx);
    memset(&R, 0, sizeof R);
    memset(&tr, 0, sizeof tr);
    gs__arena_init(&R.strings);
    gs__model_init(&R.hm, ctx->geos);
    R.ctx = ctx;
    R.o = opts;
    gs__utc_now(started, sizeof started);
    gs_rules_init(&rules_default);
    gs_input_opts_init(&in_default);
    if ((rc = check_opts(ctx, opts, &R, &rules_default, &in_default)) ||
        (rc = read_inputs(&R, &tr)) || (rc = analyse(&R, &tr)))
        goto done;
    rc = write_outputs(&R, started, out_report);
done:
    gs__traces_free(&tr);
    run_free(&R);
    gs__gdal_leave(ctx);
    return rc;
}
