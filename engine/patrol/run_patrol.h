/*
 * run_patrol.h - the parts of gs_patrol_run shared by its files (internal).
 *
 * run_patrol.c reads, projects and analyses; write_patrol.c writes the
 * layers and the run's report. Both see local days through the clock, a
 * table of the period's day starts built once from the zone.
 */
#ifndef GS_RUN_PATROL_H
#define GS_RUN_PATROL_H

#include <json-c/json.h>
#include <stdint.h>

#include "calendar.h"
#include "io.h"
#include "patrol.h"
#include "report.h"
#include "traces.h"
#include "writer.h"

/* The local days around the period: start[k] is the UTC start of day
 * first + k, for k in 0..n; days outside are taken as 24 hours long. */
typedef struct gs__clock {
    int32_t first; /* day of start[0] */
    int n;         /* start[0..n] */
    int64_t *start;
    const gs__calendar *cal;
} gs__clock;

/* The local day of instant t (u: a gs__clock). */
int32_t gs__clock_day_of(void *u, int64_t t);

/* What the layer writers read. */
typedef struct gs__patrol_wctx {
    gs_ctx *ctx;
    gs__out *o;
    const gs__model *m;
    const gs__patrol_result *res;
    const gs__traces *tr;
    gs__clock *clock;
    int has_households;
} gs__patrol_wctx;

/* Moves the line work (WGS84 lon/lat, as the fixes) of every entry into
 * the output CRS, with `threads` workers. */
int gs__patrol_lines_to_output(gs_ctx *ctx, gs__patrol_result *res,
                               const gs__crsinfo *crs, int threads);

/* Writes every layer (schema.c: member_day, member_week, tracks, gaps,
 * gps_issues, bad_rows, uncovered, households_unreached, summary) and the
 * run metadata into a new temporary output, handed over in w->o not yet
 * committed; on failure nothing is left and w->o is NULL. The weeks'
 * totals are appended to `weeks_js`. */
int gs__patrol_write(gs__patrol_wctx *w, const gs_patrol_opts *opts,
                     const gs__crsinfo *crs, const gs__inputs *info,
                     const char *started, json_object *weeks_js);

/* The run's report (takes `weeks`): n_fixes read, n_period of them in
 * the period; NULL when out of memory. */
gs_report *gs__patrol_report(gs_ctx *ctx, const gs_patrol_opts *opts,
                             const gs__patrol_result *res, const gs__traces *tr,
                             size_t n_fixes, size_t n_period,
                             json_object *weeks, const char *warning);

#endif /* GS_RUN_PATROL_H */
