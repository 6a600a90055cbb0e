/*
 * run_patrol.c - gs_patrol_run: read, project, analyse, write, report.
 *
 * The public entry of `gridsmith patrol`, a list of steps over one run
 * state (prun): check the options and the period, read (grids, roster,
 * households and calendar on the calling thread while the traces are read
 * on a worker: engine/io), project (fixes to the metric CRS in
 * batches, bucketed per member in file order), analyse (patrol.c), write
 * (write_patrol.c), and commit once the report exists. Each phase is
 * measured for the benchmark.
 *
 * Local days come from a table of the period's day starts built once from
 * the zone (engine/time/zone.c, ICU), so the analysis' workers, which share it,
 * never touch ICU. Before projecting, a sample of the fixes is tested against
 * the grids as given and as if they were GCJ-02: traces exported by a Chinese
 * map SDK sit 100-700 m off the grids, and the warning says which
 * {trace_crs} would fix it instead of letting every member look absent.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <gdal.h>
#include <json-c/json.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "pool.h"
#include "run_patrol.h"
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

static int64_t tab_day_start(void *u, int32_t d) {
    const gs__clock *c = u;
    if (d < c->first)
        return c->start[0] - (int64_t)(c->first - d) * GS__MS_PER_DAY;
    if (d > c->first + c->n)
        return c->start[c->n] + (int64_t)(d - c->first - c->n) * GS__MS_PER_DAY;
    return c->start[d - c->first];
}

static int tab_workday(void *u, int32_t d) {
    const gs__clock *c = u;
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

/* ---- grouping the fixes per member -------------------------------------- */

/* The members' tracks: track k's fixes are the traces' fixes
 * idx[start[k] .. start[k+1]), in file order. The fixes stay where the
 * reader put them; each worker of the analysis copies a member's into a
 * buffer of its own and projects them there (fill_track), just before it
 * analyses the member. */
typedef struct tracks {
    gs__patrol_track *v;
    size_t n;
    size_t *idx, *start;
    const gs__traces *tr;
    char *from_wkt, *to_wkt; /* WGS84 and the metric CRS, for PROJ */
} tracks;

static void tracks_free(tracks *t) {
    free(t->v);
    free(t->idx);
    free(t->start);
    CPLFree(t->from_wkt);
    CPLFree(t->to_wkt);
    memset(t, 0, sizeof *t);
}

/* Groups the fixes per member, in file order (a counting sort of their
 * indices), and checks that PROJ can transform WGS84 to the metric CRS.
 * The pass that counts each member's fixes also counts those in days
 * [day0, day1] of `clock` (*out_n_period): one pass over the gigabyte of
 * fixes, not two. */
static int group_tracks(gs_ctx *ctx, const gs__traces *tr,
                        const gs__crsinfo *crs, gs__clock *clock, int32_t day0,
                        int32_t day1, size_t *out_n_period, tracks *out) {
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    size_t nm = tr->n_members, n = tr->n_fixes, *fill = NULL;
    gs__proj *check;
    char err[256];
    int rc = GS_OK;
    memset(out, 0, sizeof *out);
    out->tr = tr;
    out->v = gs__calloc(nm ? nm : 1, sizeof *out->v);
    out->idx = gs__malloc((n ? n : 1) * sizeof *out->idx);
    out->start = gs__calloc(nm + 1, sizeof *out->start);
    fill = gs__malloc((nm ? nm : 1) * sizeof *fill);
    if (!wgs || !out->v || !out->idx || !out->start || !fill) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    out->from_wkt = gs__crs_wkt2(wgs);
    out->to_wkt = gs__crs_wkt2(crs->metric);
    if (!out->from_wkt || !out->to_wkt) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS, "cannot describe a CRS for PROJ");
        goto done;
    }
    check = gs__proj_create(out->from_wkt, out->to_wkt, err, sizeof err);
    if (!check) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "PROJ has no transformation between the CRSes: %s", err);
        goto done;
    }
    gs__proj_destroy(check);
    for (size_t i = 0; i < n; i++) {
        int32_t day = gs__clock_day_of(clock, tr->fixes[i].t_ms);
        *out_n_period += day >= day0 && day <= day1;
        out->start[tr->fixes[i].member + 1]++;
    }
    for (size_t k = 0; k < nm; k++) out->start[k + 1] += out->start[k];
    memcpy(fill, out->start, nm * sizeof *fill);
    for (size_t i = 0; i < n; i++) out->idx[fill[tr->fixes[i].member]++] = i;
    for (size_t k = 0; k < nm; k++) {
        out->v[k].member_id = tr->member_ids[k];
        out->v[k].fix = NULL; /* filled by the analysis (fill_track) */
        out->v[k].n = out->start[k + 1] - out->start[k];
    }
    out->n = nm;
done:
    free(fill);
    if (wgs) OSRDestroySpatialReference(wgs);
    if (rc) tracks_free(out);
    return rc;
}

/* gs__patrol_source: a worker's PROJ context, and a member's fixes
 * copied and projected into the worker's buffer. */
static void *fill_begin(void *user) {
    const tracks *tk = user;
    char err[256];
    return gs__proj_create(tk->from_wkt, tk->to_wkt, err, sizeof err);
}

static int fill_track(void *user, void *state, size_t t, gs__patrol_fix *out) {
    const tracks *tk = user;
    const gs__fix *all = tk->tr->fixes;
    size_t a = tk->start[t], n = tk->start[t + 1] - a;
    for (size_t i = 0; i < n; i++) {
        const gs__fix *f = &all[tk->idx[a + i]];
        gs__patrol_fix *p = &out[i];
        p->t_ms = f->t_ms;
        p->x = p->lon = f->lon;
        p->y = p->lat = f->lat;
        p->accuracy_m = f->accuracy_m;
        p->line = f->line;
    }
    gs__proj_points(state, &out[0].x, &out[0].y, sizeof *out, n);
    return GS_OK;
}

static void fill_end(void *user, void *state) {
    (void)user;
    gs__proj_destroy(state);
}

static const char *fill_errmsg(void *user) {
    (void)user;
    return "out of memory";
}

/* ---- the traces of a shard ------------------------------------------------
 */

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
                           gs__patrol_result *res, gs__clock *clock) {
    for (size_t k = 0; k < tr->n_bad; k++) {
        const gs__badrow *b = &tr->bad[k];
        int32_t day;
        if (b->t_ms == GS__TIME_UNKNOWN || !b->member_id[0]) continue;
        day = gs__clock_day_of(clock, b->t_ms);
        if (day < res->day0 || day >= res->day0 + res->ndays) continue;
        for (size_t e = 0; e < res->n_entries; e++) {
            const gs__patrol_entry *en = &res->entries[e];
            if (en->track < 0 ||
                strcmp(tk->v[en->track].member_id, b->member_id) != 0)
                continue;
            res->out[e].days[day - res->day0].bad_fixes++;
        }
    }
}

/* ---- the run ---------------------------------------------------------- */

/* One gs_patrol_run: its options (rules defaulted), inputs, model,
 * traces and results, freed at once by prun_free. */
typedef struct prun {
    gs_ctx *ctx;
    gs_patrol_opts o;
    const gs_input_opts *in;
    gs_input_opts in_default;
    gs_rules rules_default;
    gs__patrol_rules prules;
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__traces tr;
    gs__patrol_result res;
    tracks tk;
    gs__tz *tz;
    gs__calendar *cal;
    gs__clock clock;
    int32_t day0, day1;
    size_t n_fixes, n_period; /* fixes read; of them in the period */
    char *shard_where;        /* the shard's roster members, for its traces */
    char started[32], warning[600];
    json_object *weeks;
} prun;

static void prun_free(prun *R) {
    if (R->weeks) json_object_put(R->weeks);
    free(R->shard_where);
    gs__patrol_result_free(&R->res);
    tracks_free(&R->tk);
    gs__traces_free(&R->tr);
    gs__calendar_free(R->cal);
    free(R->clock.start);
    gs__tz_close(R->tz);
    gs__model_free(&R->m);
    gs__crsinfo_free(&R->crs);
    gs__inputs_free(&R->info);
}

/* The options, the period (gs__period_parse: {week} or {from}/{to}) and
 * the clock of local day starts around it. */
static int check_opts(prun *R, const gs_patrol_opts *opts) {
    gs_ctx *ctx = R->ctx;
    int given, rc;
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    if (!opts->grids || !opts->members || !opts->traces || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "patrol needs {grids}, {members}, {traces} and "
                       "{output}");
    gs_input_opts_init(&R->in_default);
    gs_rules_init(&R->rules_default);
    R->o = *opts;
    if (!R->o.common.rules) R->o.common.rules = &R->rules_default;
    R->in = opts->common.input ? opts->common.input : &R->in_default;
    gs__patrol_rules_from(R->o.common.rules, &R->prules);
    if ((rc = gs__period_parse(ctx, opts->week, NULL, opts->from, opts->to,
                               &given, &R->day0, &R->day1)))
        return rc;
    if (!given)
        return gs__err(ctx, GS_ERR_USAGE,
                       "patrol needs a period: {week} 2026-W47, or {from} "
                       "DATE {to} DATE");
    if ((rc = gs__io_check_opts(ctx, R->in)) ||
        (rc = gs__out_check(ctx, opts->common.output)) ||
        (rc = gs__tz_open(ctx, opts->tz, &R->tz)))
        return rc;
    R->clock.first = R->day0 - 2;
    R->clock.n = R->day1 - R->day0 + 5;
    R->clock.start =
        gs__malloc(((size_t)R->clock.n + 1) * sizeof *R->clock.start);
    if (!R->clock.start) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i <= R->clock.n; i++)
        R->clock.start[i] = gs__day_start_utc(R->tz, R->clock.first + i);
    return GS_OK;
}

/* The grids, the roster (and, with a shard, the filter of its members'
 * traces): what the traces of a shard wait for. */
static int read_roster(prun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_patrol_opts *opts = &R->o;
    int rc;
    if (opts->calendar &&
        (rc = gs__calendar_load(ctx, opts->calendar, &R->cal)))
        return rc;
    R->clock.cal = R->cal;
    if ((rc = gs__io_shard_extent(ctx, R->in, opts->grids, NULL,
                                  GS__SHARD_HALO_M, &R->info)))
        return rc;
    gs__progress(ctx, "read grids", -1);
    if ((rc = gs__io_read_grids(ctx, R->in, opts->grids, &R->m, &R->crs,
                                &R->info)))
        return rc;
    gs__progress(ctx, "read members", -1);
    if ((rc = gs__io_read_members(ctx, R->in, opts->members, 1, &R->m,
                                  &R->info)))
        return rc;
    if (gs__shard_active(ctx) &&
        !(R->shard_where = members_filter(R->in, &R->m)))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

/* One of the two readers that run side by side: the model (on the run's
 * context) or the traces (on a worker context of their own, with their
 * own zone: ICU calendars are not thread-safe). They share nothing but
 * the input options. */
typedef struct read_job {
    prun *R;
    gs_ctx *ctx;          /* the traces' worker context */
    int traces;           /* 1: this job reads the traces */
    int roster;           /* the model job reads the roster too */
    gs__traces tr;        /* what the traces job read */
    double wall_s, cpu_s; /* the job's own wall and thread CPU time */
    int rc;
} read_job;

static void read_job_do(read_job *j);

/* A reader, timed: its wall time and its thread's CPU time become steps of
 * the read phase. */
static void *read_job_run(void *arg) {
    read_job *j = arg;
    double t0 = gs__now(), c0 = gs__thread_cpu();
    read_job_do(j);
    j->wall_s = gs__now() - t0;
    j->cpu_s = gs__thread_cpu() - c0;
    return NULL;
}

static void read_job_do(read_job *j) {
    prun *R = j->R;
    if (!j->traces) {
        if (j->roster && (j->rc = read_roster(R))) return;
        if (R->o.households) {
            gs__progress(R->ctx, "read households", 0);
            if ((j->rc = gs__io_read_households(R->ctx, R->in, R->o.households,
                                                &R->m, &R->crs, &R->info)))
                return;
        }
        gs__progress(R->ctx, "read traces", -1);
    } else {
        gs__tz *tz = NULL;
        gs__trace_opts to;
        gs__gdal_enter(j->ctx);
        j->rc = gs__tz_open(j->ctx, R->o.tz, &tz);
        if (!j->rc) {
            memset(&to, 0, sizeof to);
            to.path = R->o.traces;
            to.input = R->in;
            to.trace_crs = R->o.trace_crs;
            to.tz = tz;
            to.threads = 0;
            to.where = R->shard_where;
            j->rc = gs__traces_read(j->ctx, &to, &j->tr);
        }
        gs__tz_close(tz);
        gs__gdal_leave(j->ctx);
    }
}

/* Reads the model and the traces side by side. A shard reads its
 * members' traces only, so it reads the roster first; a whole run reads
 * the traces while it reads everything else. */
static int read_model_and_traces(prun *R) {
    gs_ctx *ctx = R->ctx;
    read_job jobs[2];
    int rc;
    memset(jobs, 0, sizeof jobs);
    jobs[0].R = jobs[1].R = R;
    jobs[1].traces = 1;
    jobs[0].roster = !gs__shard_active(ctx);
    if (gs__ctx_create_worker(ctx, &jobs[1].ctx) != GS_OK)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if (!jobs[0].roster && (rc = read_roster(R))) goto done;
    if (!jobs[0].roster) gs__phase_step(ctx, "grids and roster");
    gs__parallel(read_job_run, jobs, sizeof jobs[0], 2);
    gs__phase_step_thread(
        ctx, jobs[0].roster ? "grids, roster, households" : "households",
        jobs[0].wall_s, jobs[0].cpu_s);
    gs__phase_step_thread(ctx, "traces", jobs[1].wall_s, jobs[1].cpu_s);
    gs__phase_step(ctx, "model beside traces");
    R->tr = jobs[1].tr;
    memset(&jobs[1].tr, 0, sizeof jobs[1].tr);
    if ((rc = jobs[0].rc)) goto done;
    if (jobs[1].rc)
        rc = gs__err(ctx, jobs[1].rc, "%s", gs_ctx_errmsg(jobs[1].ctx));
done:
    gs__traces_free(&jobs[1].tr);
    gs_ctx_destroy(jobs[1].ctx);
    return rc;
}

/* The warning for traces that look like GCJ-02 or BD-09 coordinates read
 * as WGS84 (into R->warning, and logged), when no {trace_crs} was given. */
static int check_trace_crs(prun *R) {
    gs_ctx *ctx = R->ctx;
    double share[3];
    char fmt[300];
    int rc;
    if (R->o.trace_crs && strcmp(R->o.trace_crs, "wgs84")) return GS_OK;
    if ((rc = check_offset(ctx, &R->tr, &R->m, &R->crs, R->o.common.rules,
                           share)))
        return rc;
    if (share[1] > 0.2 && share[1] > 2 * share[0] + 0.05)
        snprintf(R->warning, sizeof R->warning,
                 gs__optfmt(ctx,
                            "%s: only %.0f%% of the fixes fall in a grid "
                            "as WGS84, but %.0f%% would as GCJ-02: the "
                            "traces look like a Chinese map SDK's "
                            "coordinates; re-run with {trace_crs} gcj02",
                            fmt, sizeof fmt),
                 R->o.traces, 100 * share[0], 100 * share[1]);
    else if (share[2] > 0.2 && share[2] > 2 * share[0] + 0.05)
        snprintf(R->warning, sizeof R->warning,
                 gs__optfmt(ctx,
                            "%s: only %.0f%% of the fixes fall in a grid "
                            "as WGS84, but %.0f%% would as BD-09 (Baidu); "
                            "re-run with {trace_crs} bd09",
                            fmt, sizeof fmt),
                 R->o.traces, 100 * share[0], 100 * share[2]);
    if (R->warning[0]) gs__warn(ctx, "%s", R->warning);
    return GS_OK;
}

/* The read phase: the model and the traces, then what is checked of the
 * traces (a shard's kept to its roster, their encoding, at least one fix,
 * their coordinates). */
static int read_inputs(prun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_patrol_opts *opts = &R->o;
    gs__traces *tr = &R->tr;
    int rc;
    gs__phase_begin(ctx);
    if ((rc = read_model_and_traces(R))) return rc;
    if (gs__shard_active(ctx) && (rc = keep_roster_traces(ctx, &R->m, tr)))
        return rc;
    if ((rc = gs__inputs_note_file(ctx, &R->info, "traces", opts->traces,
                                   tr->layer, (long)(tr->n_fixes + tr->n_bad))))
        return rc;
    {
        /* The coordinate check of the fixes, for run_metadata. */
        gs__input_info *ii = gs__inputs_find(&R->info, "traces");
        if (ii) {
            ii->checked = tr->bulk.ok;
            ii->geographic = 1;
            ii->bulk[0] = tr->bulk.x0, ii->bulk[1] = tr->bulk.y0;
            ii->bulk[2] = tr->bulk.x1, ii->bulk[3] = tr->bulk.y1;
            ii->margin_m = tr->bulk.margin_m;
            ii->far = (long)tr->n_far;
        }
    }
    if (opts->calendar && (rc = gs__inputs_note_file(ctx, &R->info, "calendar",
                                                     opts->calendar, "", -1)))
        return rc;
    if (!R->in->encoding && strcmp(tr->encoding, "UTF-8") != 0)
        gs__warn(ctx,
                 "%s: the text is not UTF-8; read it as %s (say {encoding} "
                 "%s to make this explicit)",
                 opts->traces, tr->encoding, tr->encoding);
    if (tr->n_fixes == 0)
        return gs__err(ctx, GS_ERR_INPUT_EMPTY,
                       "%s: no usable GPS fix in %zu rows (see the first bad "
                       "row: line %u, %s: %s)",
                       opts->traces, tr->n_bad, tr->n_bad ? tr->bad[0].line : 0,
                       tr->n_bad ? tr->bad[0].field : "",
                       tr->n_bad ? tr->bad[0].reason : "none");
    if ((rc = check_trace_crs(R))) return rc;
    gs__phase_step(ctx, "checks of the traces");
    gs__phase_end(ctx, "read");
    return GS_OK;
}

/* The group phase (the fixes' indices per member), then the analyse
 * phase (patrol.c), whose workers project each member's fixes as they
 * take the member. */
static int analyse(prun *R) {
    gs_ctx *ctx = R->ctx;
    gs__patrol_clock pt;
    gs__patrol_source src;
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "group fixes", -1);
    R->n_fixes = R->tr.n_fixes;
    /* A traces file may hold more weeks than the period: say how many
     * fixes the period has, which the layers count. */
    R->n_period = 0;
    if ((rc = group_tracks(ctx, &R->tr, &R->crs, &R->clock, R->day0, R->day1,
                           &R->n_period, &R->tk)))
        return rc;
    gs__phase_end(ctx, "group");

    gs__phase_begin(ctx);
    gs__progress(ctx, "patrol time and coverage", -1);
    if ((rc = gs__patrol_entries(ctx, &R->m, R->tk.v, R->tk.n, &R->res)))
        return rc;
    pt.day_of = gs__clock_day_of;
    pt.day_start = tab_day_start;
    pt.workday = tab_workday;
    pt.user = &R->clock;
    src.begin = fill_begin;
    src.fill = fill_track;
    src.end = fill_end;
    src.errmsg = fill_errmsg;
    src.user = &R->tk;
    if ((rc = gs__patrol_analyse(ctx, &R->m, R->tk.v, R->tk.n, &pt, &R->prules,
                                 R->day0, R->day1 - R->day0 + 1,
                                 R->o.common.threads, &src, &R->res)))
        return rc;
    /* The fixes are no longer needed: the writer has the results. */
    free(R->tr.fixes);
    R->tr.fixes = NULL;
    R->tr.n_fixes = 0;
    count_bad_rows(&R->tr, &R->tk, &R->res, &R->clock);
    gs__phase_end(ctx, "analyse");
    return GS_OK;
}

/* The write phase, then the commit once the report exists: a run that
 * fails, even for want of memory for its report, never replaces an
 * earlier output. */
static int write_outputs(prun *R, gs_report **out_report) {
    gs_ctx *ctx = R->ctx;
    gs__patrol_wctx w;
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    if ((rc = gs__patrol_lines_to_output(ctx, &R->res, &R->crs,
                                         R->o.common.threads)))
        return rc;
    R->weeks = json_object_new_array();
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.m = &R->m;
    w.res = &R->res;
    w.tr = &R->tr;
    w.clock = &R->clock;
    w.has_households = R->o.households != NULL;
    if ((rc = gs__patrol_write(&w, &R->o, &R->crs, &R->info, R->started,
                               R->weeks)))
        return rc;
    gs__phase_end(ctx, "write");
    rc = gs__out_commit_report(
        ctx, w.o,
        gs__patrol_report(ctx, &R->o, &R->res, &R->tr, R->n_fixes, R->n_period,
                          R->weeks, R->warning[0] ? R->warning : NULL),
        out_report);
    R->weeks = NULL; /* taken by the report */
    return rc;
}

int gs_patrol_run(gs_ctx *ctx, const gs_patrol_opts *opts,
                  gs_report **out_report) {
    prun R;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "gs_patrol_run: missing argument");
    gs__gdal_enter(ctx);
    memset(&R, 0, sizeof R);
    R.ctx = ctx;
    gs__model_init(&R.m, ctx->geos);
    gs__utc_now(R.started, sizeof R.started);
    if ((rc = check_opts(&R, opts)) || (rc = read_inputs(&R)) ||
        (rc = analyse(&R)))
        goto done;
    rc = write_outputs(&R, out_report);
done:
    prun_free(&R);
    gs__gdal_leave(ctx);
    return rc;
}
