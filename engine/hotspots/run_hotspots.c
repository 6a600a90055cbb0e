/*
 * run_hotspots.c - gs_hotspots_run: check the options, read, analyse,
 * write, place the outputs with the report.
 *
 * The public entry of `gridsmith hotspots`. Phases (measured for the
 * benchmark): read (grids, communities, households, calendar, events:
 * engine/io, calendar.c), analyse (analyse.c) and write (write_outputs.c, and
 * the density raster, density_raster.c). The layers:
 *
 *   grid_events      the grids as stored: events in the period, one
 *                    count per category present (cat_1, cat_2... most
 *                    frequent first, each with the category as its
 *                    Chinese alias, listed in `categories`), rates, open,
 *                    overdue, resolved, resolution time, Gi*
 *   hex_hotspots     hexagons clipped to the communities, counts and Gi*
 *   emerging         the same hexagons with their emerging hot spot class
 *   clusters         DBSCAN clusters as buffered hulls
 *   trouble_spots    repeat locations, overdue events, rising grids
 *   weekly_summary, monthly_summary   per community, street and in total
 *   categories       cat_k field <-> category, with the period's counts
 *   event_issues     events whose grid_code disagrees with their place,
 *                    names no grid, or that lie in no grid
 *   bad_rows         event rows left out, with feature or line and field
 *
 * With {merge}, the run is instead the reduce step of sharded runs
 * (merge.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "merge.h"
#include "report.h"
#include "rules.h"
#include "run_hotspots.h"
#include "shard.h"

void gs_hotspots_opts_init(gs_hotspots_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* Everything a run owns, freed together by run_free. */
typedef struct hs_run {
    gs_hotspots_opts opts; /* the caller's, with the default rules if none */
    gs_rules rules_default;
    gs_input_opts in_default;
    const gs_input_opts *in; /* the caller's, or in_default */
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__events ev;
    gs__hsresult res;
    int have_res;
    gs__hs_params p;
    gs__tz *tz;
    gs__calendar *cal;
    gs__hs_kde_file kf;
    gs__hs_wctx w;
    int given;          /* a period was given */
    int32_t day0, day1; /* ... and its days */
    char started[32];
} hs_run;

static void run_init(gs_ctx *ctx, const gs_hotspots_opts *opts, hs_run *r) {
    memset(r, 0, sizeof *r);
    gs__model_init(&r->m, ctx->geos);
    gs__utc_now(r->started, sizeof r->started);
    gs_input_opts_init(&r->in_default);
    gs_rules_init(&r->rules_default);
    r->opts = *opts;
    if (!r->opts.common.rules) r->opts.common.rules = &r->rules_default;
    r->in = r->opts.common.input ? r->opts.common.input : &r->in_default;
}

static void run_free(gs_ctx *ctx, hs_run *r) {
    if (r->have_res) gs__hsresult_free(ctx->geos, &r->res);
    gs__events_free(&r->ev);
    gs__calendar_free(r->cal);
    gs__tz_close(r->tz);
    gs__hs_kde_file_free(&r->kf);
    gs__model_free(&r->m);
    gs__crsinfo_free(&r->crs);
    gs__inputs_free(&r->info);
}

/* What can be checked before reading: required inputs, the period, the
 * mappings, the output (writable, not an input), the zone. */
static int check_options(gs_ctx *ctx, hs_run *r) {
    const gs_hotspots_opts *opts = &r->opts;
    const char *inputs[5] = {opts->grids, opts->events, opts->communities,
                             opts->households, opts->calendar};
    int rc;
    if (!opts->grids || !opts->events || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots needs {grids}, {events} and {output}");
    if (opts->hex_size_m < 0 || !isfinite(opts->hex_size_m))
        return gs__err(ctx, GS_ERR_USAGE,
                       "{hex_size_m} must be a positive number of metres");
    if (opts->common.rules->grid_gi_value == GS_GI_PER_100HH &&
        !opts->households)
        return gs__err(ctx, GS_ERR_USAGE,
                       "grid_gi_value = per_100hh needs {households}");
    if ((rc = gs__period_parse(ctx, opts->week, opts->month, opts->from,
                               opts->to, &r->given, &r->day0, &r->day1)) ||
        (rc = gs__io_check_opts(ctx, r->in)) ||
        (rc = gs__out_check_inputs(ctx, opts->common.output, inputs, 5)))
        return rc;
    if (!gs__out_is_pg(opts->common.output) &&
        gs__hs_kde_paths(opts->common.output, &r->kf))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    return gs__tz_open(ctx, opts->tz, &r->tz);
}

/* The inputs: grids first (they fix the CRSes), then the others. An
 * events layer whose every row is unusable is bad input. */
static int read_layers(gs_ctx *ctx, hs_run *r) {
    const gs_hotspots_opts *opts = &r->opts;
    const gs_input_opts *in = r->in;
    const gs__evbad *b;
    int rc;
    if ((rc = gs__io_shard_extent(ctx, in, opts->grids, opts->communities,
                                  GS__SHARD_HALO_M, &r->info)))
        return rc;
    gs__progress(ctx, "read grids", -1);
    if ((rc =
             gs__io_read_grids(ctx, in, opts->grids, &r->m, &r->crs, &r->info)))
        return rc;
    if (opts->communities &&
        (rc = gs__io_read_communities(ctx, in, opts->communities, &r->m,
                                      &r->crs, &r->info)))
        return rc;
    if (opts->households &&
        (gs__progress(ctx, "read households", 0),
         (rc = gs__io_read_households(ctx, in, opts->households, &r->m, &r->crs,
                                      &r->info))))
        return rc;
    if (opts->calendar &&
        ((rc = gs__calendar_load(ctx, opts->calendar, &r->cal)) ||
         (rc = gs__inputs_note_file(ctx, &r->info, "calendar", opts->calendar,
                                    "", 0))))
        return rc;
    gs__progress(ctx, "read events", -1);
    if ((rc = gs__io_read_events(ctx, in, opts->events, r->tz, opts->event_crs,
                                 &r->crs, opts->common.threads, &r->ev,
                                 &r->info)))
        return rc;
    if (r->ev.n > 0) return GS_OK;
    b = r->ev.n_bad ? &r->ev.bad[0] : NULL;
    return gs__err(
        ctx, GS_ERR_INPUT_EMPTY,
        "%s, layer %s (events): no usable event in %zu rows; "
        "the first: %s %ld, field %s: %s",
        opts->events, r->ev.layer, r->ev.n_bad,
        b && b->origin.line > 0 ? "line" : "feature",
        b ? (b->origin.line > 0 ? b->origin.line : b->origin.fid) : 0L,
        b ? b->field : "", b ? b->reason : "");
}

/* The read phase. */
static int read_inputs(gs_ctx *ctx, hs_run *r) {
    int rc;
    gs__phase_begin(ctx);
    if ((rc = read_layers(ctx, r))) return rc;
    gs__phase_end(ctx, "read");
    return GS_OK;
}

/* The period (every event's days when none was given), the history from
 * the first event, and the clock. */
static void set_params(hs_run *r) {
    const gs_hotspots_opts *opts = &r->opts;
    int32_t first = r->ev.v[0].day, last = r->ev.v[0].day;
    for (size_t i = 1; i < r->ev.n; i++) {
        if (r->ev.v[i].day < first) first = r->ev.v[i].day;
        if (r->ev.v[i].day > last) last = r->ev.v[i].day;
    }
    if (!r->given) {
        r->day0 = first;
        r->day1 = last;
    }
    gs__hs_params_init(&r->p, opts->common.rules, r->day0, r->day1,
                       gs__day_start_utc(r->tz, r->day1 + 1),
                       first < r->day0 ? first : r->day0);
    if (opts->hex_size_m > 0) r->p.hex_size_m = opts->hex_size_m;
    r->p.cal = r->cal;
    r->p.have_households = opts->households != NULL;
    r->p.threads = opts->common.threads;
}

/* The analyse phase. */
static int analyse(gs_ctx *ctx, hs_run *r) {
    int rc;
    gs__phase_begin(ctx);
    set_params(r);
    if ((rc = gs__hotspots_analyse(ctx, &r->m, &r->ev, &r->p, &r->res)))
        return rc;
    r->have_res = 1;
    gs__phase_end(ctx, "analyse");
    return GS_OK;
}

/* The write phase: every output written, none yet in place. */
static int write_outputs(gs_ctx *ctx, hs_run *r) {
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    r->w.ctx = ctx;
    r->w.m = &r->m;
    r->w.ev = &r->ev;
    r->w.r = &r->res;
    r->w.p = &r->p;
    r->w.tz = r->tz;
    if ((rc = gs__hs_write_outputs(&r->w, &r->opts, &r->crs, &r->info,
                                   r->started, &r->kf)))
        return rc;
    gs__phase_end(ctx, "write");
    return GS_OK;
}

/* The report, then the outputs moved into place with it: a run that
 * fails, even for want of memory for its report, replaces nothing. */
static int place_outputs(gs_ctx *ctx, hs_run *r, gs_report **out_report) {
    gs_report *report = gs__hs_make_report(ctx, &r->opts, &r->m, &r->ev,
                                           &r->res, &r->p, &r->kf);
    return gs__hs_place_outputs(&r->w, &r->opts, &r->kf, report, out_report);
}

int gs_hotspots_run(gs_ctx *ctx, const gs_hotspots_opts *opts,
                    gs_report **out_report) {
    hs_run r;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "gs_hotspots_run: missing argument");
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    gs__gdal_enter(ctx);
    run_init(ctx, opts, &r);
    if (r.opts.n_merge > 0) {
        rc = gs__hotspots_merge(ctx, &r.opts, out_report);
        goto done;
    }
    if ((rc = check_options(ctx, &r)) || (rc = read_inputs(ctx, &r)) ||
        (rc = analyse(ctx, &r)) || (rc = write_outputs(ctx, &r)))
        goto done;
    rc = place_outputs(ctx, &r, out_report);
done:
    run_free(ctx, &r);
    gs__gdal_leave(ctx);
    return rc;
}
