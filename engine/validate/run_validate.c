/*
 * run_validate.c - gs_validate_run: read, analyse, write, report.
 *
 * The public entry of `gridsmith validate`, as its steps: check the
 * options, read the inputs (engine/io) into the model, run the analysis
 * (validate.c), write the layers through the atomic GeoPackage writer
 * (writer.c, the layers' schemas in schema.c), and commit once the report
 * exists. Each phase is measured for the benchmark. The layers:
 *
 *   grids         the grids as stored, with their figures, status, issues
 *   issues        one feature per problem and grid, with the problem's
 *                 polygon (overlap, gap, outside part...) or none
 *   issue_points  problems that are places: orphan households, the spot
 *                 where a polygon is invalid, skipped features
 *   summary       counts per community and for the whole run ("total")
 *   run_metadata  command line, rules, inputs with SHA-256, versions
 *
 * Point and polygon problems are two layers because a GeoPackage layer has
 * one geometry type and QGIS styles one type per layer.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <geos_c.h>
#include <json-c/json.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "io.h"
#include "pool.h"
#include "writer.h"
#include "report.h"
#include "shard.h"
#include "validate.h"
#include "rules.h"

void gs_validate_opts_init(gs_validate_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* The summary holds one n_<kind> count per issue kind, in kind order. */
_Static_assert(GS__VS_N - GS__VS_N_KIND == GS__K_COUNT,
               "validate.summary has one count per issue kind");

/* One validate run: its options (defaults filled in), the model read,
 * the analysis' result. */
typedef struct vrun {
    gs_ctx *ctx;
    const gs_validate_opts *opts;
    const gs_input_opts *in;
    const gs_rules *rules;
    gs_input_opts in_default;
    gs_rules rules_default;
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__vresult r;
    gs__vchecks *pre; /* the checks run beside the households' reading */
    int have_result;
    char started[32];
} vrun;

/* The grids as stored, with their figures, status and issues; a shard
 * writes its own grids, not the halo's. */
static int write_grids(vrun *R, gs__out *o, gs__olayer *lg) {
    const gs__model *m = &R->m;
    int rc;
    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__grid *g = &m->grids[i];
        const gs__vgrid *v = &R->r.grids[i];
        char issues[600];
        OGRFeatureH f;
        if (!gs__shard_owns(R->ctx, g->community_code)) continue; /* halo */
        f = gs__out_feature(lg);
        if (!f) return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
        gs__vgrid_issues(v, issues, sizeof issues);
        OGR_F_SetFieldString(f, GS__VG_GRID_CODE, g->code);
        OGR_F_SetFieldString(f, GS__VG_COMMUNITY_CODE, g->community_code);
        OGR_F_SetFieldString(f, GS__VG_GRID_TYPE, g->grid_type);
        OGR_F_SetFieldString(f, GS__VG_NAME, g->name);
        OGR_F_SetFieldInteger64(f, GS__VG_HOUSEHOLDS, v->households);
        OGR_F_SetFieldInteger64(f, GS__VG_PERSONS, v->persons);
        if (v->members >= 0)
            OGR_F_SetFieldInteger64(f, GS__VG_MEMBERS, v->members);
        else
            OGR_F_SetFieldNull(f, GS__VG_MEMBERS);
        OGR_F_SetFieldDouble(f, GS__VG_AREA_M2, v->area_m2);
        OGR_F_SetFieldDouble(f, GS__VG_POLSBY_POPPER, v->polsby_popper);
        OGR_F_SetFieldString(f, GS__VG_STATUS, v->kinds ? "violation" : "ok");
        OGR_F_SetFieldString(f, GS__VG_ISSUES, issues);
        if ((rc = gs__out_wkb(o, f, g->src_wkb, g->src_wkb_len))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, lg, f))) return rc;
    }
    return GS_OK;
}

/* One feature per problem: points (a household, a spot) to issue_points,
 * areas or no place to issues. */
static int write_issues(vrun *R, gs__out *o, gs__olayer *li, gs__olayer *lp) {
    int rc;
    for (size_t i = 0; i < R->r.n_issues; i++) {
        const gs__issue *is = &R->r.issues[i];
        int point =
            is->geom && GEOSGeomTypeId_r(R->ctx->geos, is->geom) == GEOS_POINT;
        gs__olayer *l = point ? lp : li;
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldString(f, GS__VI_KIND, gs__kind_name(is->kind));
        OGR_F_SetFieldString(f, GS__VI_GRID_CODE, is->grid_code);
        OGR_F_SetFieldString(f, GS__VI_DETAIL, is->detail);
        if ((rc = gs__out_geos(o, l, f, is->geom))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

/* Counts per community and for the whole run ("total"). */
static int write_summary(vrun *R, gs__out *o, gs__olayer *ls) {
    int rc;
    for (size_t i = 0; i < R->r.n_sums; i++) {
        const gs__vsum *s = &R->r.sums[i];
        OGRFeatureH f = gs__out_feature(ls);
        if (!f) return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldString(f, GS__VS_COMMUNITY_CODE, s->community_code);
        OGR_F_SetFieldString(f, GS__VS_NAME, s->name);
        OGR_F_SetFieldInteger64(f, GS__VS_GRIDS, s->grids);
        OGR_F_SetFieldInteger64(f, GS__VS_HOUSEHOLDS, s->households);
        OGR_F_SetFieldInteger64(f, GS__VS_PERSONS, s->persons);
        OGR_F_SetFieldInteger64(f, GS__VS_VIOLATIONS, s->violations);
        for (int k = 0; k < GS__K_COUNT; k++)
            OGR_F_SetFieldInteger64(f, GS__VS_N_KIND + k, s->n[k]);
        if ((rc = gs__out_put(o, ls, f))) return rc;
    }
    return GS_OK;
}

/* The run metadata: command line, rules, inputs with SHA-256, versions. */
static int write_meta(vrun *R, gs__out *o) {
    const gs_rules *rules = R->rules;
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"min_households\": %d, \"max_households\": %d, "
             "\"max_persons\": %d, \"exempt_dedicated\": %s, "
             "\"sliver_m2\": %g, \"shared_edge_m\": %g, "
             "\"edge_snap_m\": %g}",
             rules->min_households, rules->max_households, rules->max_persons,
             rules->exempt_dedicated ? "true" : "false", rules->sliver_m2,
             rules->shared_edge_m, rules->edge_snap_m);
    return gs__out_meta_run(o, "validate", R->opts->common.command_line,
                            R->started, buf, R->crs.metric_name, &R->info);
}

/* Writes every layer into the temporary output and hands it over in
 * *out_o, not yet committed (the caller commits or aborts it); on failure
 * the temporary file is removed and *out_o is NULL. */
static int write_layers(vrun *R, gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *lg, *li, *lp, *ls;
    int rc;
    *out_o = NULL;
    rc = gs__out_open(R->ctx, R->opts->common.output, R->crs.output,
                      R->crs.metric, &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_VALIDATE_GRIDS, &lg)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_ISSUES, &li)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_ISSUE_POINTS, &lp)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_SUMMARY, &ls)) ||
        (rc = write_grids(R, o, lg)) || (rc = write_issues(R, o, li, lp)) ||
        (rc = write_summary(R, o, ls)) || (rc = write_meta(R, o))) {
        gs__out_abort(o);
        return rc;
    }
    *out_o = o;
    return GS_OK;
}

static gs_report *make_report(gs_ctx *ctx, const gs_validate_opts *opts,
                              const gs__model *m, const gs__crsinfo *crs,
                              const gs__vresult *r) {
    json_object *o = json_object_new_object(), *kinds, *comms;
    gs__buf text;
    const gs__vsum *t = &r->sums[r->n_sums - 1];
    long findings = (long)r->n_issues;
    /* Issues by kind as the layers hold them (issues and issue_points
     * together), so that they add up to the total: a grid with three
     * households of bad persons has one area and three points. The
     * summary layer counts grids per kind instead. */
    long by_kind[GS__K_COUNT] = {0};
    for (size_t i = 0; i < r->n_issues; i++) by_kind[r->issues[i].kind]++;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("validate"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "metric_crs",
                           json_object_new_string(crs->metric_name));
    json_object_object_add(o, "communities",
                           json_object_new_int64((int64_t)m->n_communities));
    json_object_object_add(o, "grids", json_object_new_int64(t->grids));
    /* Households and persons on one basis: those in the grids (the
     * summary layer's total row); the ones in no grid apart. */
    json_object_object_add(o, "households",
                           json_object_new_int64(t->households));
    json_object_object_add(o, "persons", json_object_new_int64(t->persons));
    json_object_object_add(o, "households_read",
                           json_object_new_int64((int64_t)m->n_households));
    json_object_object_add(
        o, "members",
        m->have_members ? json_object_new_int64((int64_t)m->n_members) : NULL);
    json_object_object_add(o, "violations",
                           json_object_new_int64(r->violations));
    json_object_object_add(o, "issues",
                           json_object_new_int64((int64_t)r->n_issues));
    json_object_object_add(o, "orphan_households",
                           json_object_new_int64(r->orphans));
    json_object_object_add(o, "skipped_features",
                           json_object_new_int64((int64_t)m->n_skipped));
    kinds = json_object_new_object();
    for (int k = 0; k < GS__K_COUNT; k++)
        json_object_object_add(kinds, gs__kind_name(k),
                               json_object_new_int64(by_kind[k]));
    json_object_object_add(o, "by_kind", kinds);
    comms = json_object_new_array();
    for (size_t i = 0; i + 1 < r->n_sums; i++) {
        const gs__vsum *s = &r->sums[i];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "community_code",
                               json_object_new_string(s->community_code));
        json_object_object_add(c, "name", json_object_new_string(s->name));
        for (size_t k = 0; k < m->n_communities; k++)
            if (!strcmp(m->communities[k].code, s->community_code) &&
                m->communities[k].street_name &&
                m->communities[k].street_name[0]) {
                json_object_object_add(
                    c, "street_name",
                    json_object_new_string(m->communities[k].street_name));
                break;
            }
        json_object_object_add(c, "grids", json_object_new_int64(s->grids));
        json_object_object_add(c, "households",
                               json_object_new_int64(s->households));
        json_object_object_add(c, "violations",
                               json_object_new_int64(s->violations));
        json_object_array_add(comms, c);
    }
    json_object_object_add(o, "by_community", comms);

    gs__buf_init(&text, 0);
    /* The console text in the user's language (gs__tr); the kind codes
     * and the layer names stay as the layers spell them. */
    gs__buf_printf(&text,
                   gs__tr("validate: %ld grids in %zu communities; in the "
                          "grids %ld households (%ld persons)"),
                   t->grids, m->n_communities, t->households, t->persons);
    if (r->orphans)
        /* TRANSLATORS: appended to "validate: ... households (... persons)"
         * when some households lie in no grid. */
        gs__buf_printf(&text, gs__tr(", %ld more in no grid"), r->orphans);
    gs__buf_puts(&text, "\n");
    gs__buf_printf(&text,
                   gs__tr("  %ld of %ld grids violate the standard; %zu "
                          "issues\n"),
                   r->violations, t->grids, r->n_issues);
    for (int k = 0; k < GS__K_COUNT; k++)
        if (by_kind[k])
            gs__buf_printf(&text, "    %-22s %ld\n", gs__kind_name(k),
                           by_kind[k]);
    gs__buf_printf(&text,
                   gs__tr("  wrote %s (layers grids, issues, issue_points, "
                          "summary, run_metadata)\n"),
                   opts->common.output);
    return gs__report_from_buf(ctx, o, &text, findings);
}

/* The options: the inputs given, none of them the output. */
static int check_opts(vrun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_validate_opts *opts = R->opts;
    const char *inputs[5] = {opts->communities, opts->grids, opts->households,
                             opts->members, NULL};
    int rc;
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    inputs[4] = opts->buildings;
    if (!opts->communities || !opts->grids ||
        (!opts->households && !opts->buildings) || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "validate needs {communities}, {grids}, {households} "
                       "(or {buildings}) and {output}");
    gs_input_opts_init(&R->in_default);
    gs_rules_init(&R->rules_default);
    R->in = opts->common.input ? opts->common.input : &R->in_default;
    R->rules = opts->common.rules ? opts->common.rules : &R->rules_default;
    if ((rc = gs__io_check_opts(ctx, R->in))) return rc;
    return gs__out_check_inputs(ctx, opts->common.output, inputs, 5);
}

static int read_people(vrun *R);

/* One of the two jobs of the read phase that run side by side: the
 * households and roster (on the calling thread, which holds GDAL's error
 * handler), or the checks that need no household (validate.c). */
typedef struct pre_job {
    vrun *R;
    int checks;
    double wall_s, cpu_s;
    int rc;
} pre_job;

static void *pre_job_run(void *arg) {
    pre_job *j = arg;
    double t0 = gs__now(), c0 = gs__thread_cpu();
    if (j->checks) {
        gs__validate_checks_work(j->R->pre);
    } else {
        j->rc = read_people(j->R);
        j->wall_s = gs__now() - t0;
        j->cpu_s = gs__thread_cpu() - c0;
        /* Done with the households, this thread takes the checks' tasks
         * that are left: the two threads finish together. */
        if (!j->rc) gs__validate_checks_work(j->R->pre);
        return NULL;
    }
    j->wall_s = gs__now() - t0;
    j->cpu_s = gs__thread_cpu() - c0;
    return NULL;
}

/* The households, the roster and the check that no household is counted
 * twice. */
static int read_people(vrun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_validate_opts *opts = R->opts;
    int rc;
    if (opts->households) {
        gs__progress(ctx, "read households", 0);
        if ((rc = gs__io_read_households(ctx, R->in, opts->households, &R->m,
                                         &R->crs, &R->info)))
            return rc;
    } else { /* the households partition takes from the same footprints */
        gs__progress(ctx, "read buildings", -1);
        if ((rc = gs__io_read_buildings(ctx, R->in, opts->buildings, &R->m,
                                        &R->crs, &R->info)))
            return rc;
        gs__io_estimate_buildings(&R->m, R->rules, NULL);
        if ((rc = gs__io_households_from_buildings(ctx, &R->m))) return rc;
    }
    if (opts->members) {
        gs__progress(ctx, "read members", -1);
        if ((rc = gs__io_read_members(ctx, R->in, opts->members, 0, &R->m,
                                      &R->info)))
            return rc;
    }
    return gs__io_check_household_ids(ctx, R->in, &R->m, &R->info);
}

/* The read phase: grids, communities, households, the roster. A shard
 * reads what intersects its extent: every grid, community and household
 * its own grids' checks can meet. */
static int read_inputs(vrun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_validate_opts *opts = R->opts;
    int rc;
    gs__phase_begin(ctx);
    if ((rc = gs__io_shard_extent(ctx, R->in, opts->grids, opts->communities,
                                  GS__SHARD_HALO_M, &R->info)))
        return rc;
    gs__progress(ctx, "read grids", -1);
    if ((rc = gs__io_read_grids(ctx, R->in, opts->grids, &R->m, &R->crs,
                                &R->info)))
        return rc;
    gs__phase_step(ctx, "grids");
    gs__progress(ctx, "read communities", -1);
    if ((rc = gs__io_read_communities(ctx, R->in, opts->communities, &R->m,
                                      &R->crs, &R->info)))
        return rc;
    gs__phase_step(ctx, "communities");
    if (opts->common.threads == 1) {
        if ((rc = read_people(R))) return rc;
        gs__phase_step(ctx, "households and roster");
    } else {
        /* The checks that need no household run on a worker while this
         * thread reads the households, and this thread joins them when it
         * is done: a million points take about half a second, the checks
         * somewhat longer on one core. */
        pre_job jobs[2];
        int crc = gs__validate_checks_begin(&R->m, R->rules, &R->pre);
        if (crc) return gs__err(ctx, crc, "out of memory");
        memset(jobs, 0, sizeof jobs);
        jobs[0].R = jobs[1].R = R;
        jobs[1].checks = 1;
        gs__parallel(pre_job_run, jobs, sizeof jobs[0], 2);
        crc = gs__validate_checks_end(R->pre);
        gs__phase_step_thread(ctx, "households and roster", jobs[0].wall_s,
                              jobs[0].cpu_s);
        gs__phase_step_thread(ctx, "checks of grids and communities",
                              jobs[1].wall_s, jobs[1].cpu_s);
        if (crc && !jobs[0].rc) return gs__err(ctx, crc, "out of memory");
        if ((rc = jobs[0].rc)) return rc;
        gs__phase_step(ctx, "households beside the checks");
    }
    gs__phase_end(ctx, "read");
    return GS_OK;
}

/* The analyse phase (validate.c). */
static int analyse(vrun *R) {
    int rc;
    gs__phase_begin(R->ctx);
    rc = gs__validate_analyse_pre(R->ctx, &R->m, R->rules,
                                  R->opts->common.threads, R->pre, &R->r);
    R->pre = NULL; /* taken */
    if (rc) return rc;
    R->have_result = 1;
    gs__phase_end(R->ctx, "analyse");
    return GS_OK;
}

/* The write phase, then the commit. The report comes before the output
 * is moved into place, so that a run that fails, even for want of memory
 * for its report, never replaces an earlier output; the write phase thus
 * leaves out the commit (styles, the transaction, flush and rename). */
static int write_outputs(vrun *R, gs_report **out_report) {
    gs__out *out;
    int rc;
    gs__phase_begin(R->ctx);
    gs__progress(R->ctx, "write", -1);
    if ((rc = write_layers(R, &out))) return rc;
    gs__phase_end(R->ctx, "write");
    return gs__out_commit_report(
        R->ctx, out, make_report(R->ctx, R->opts, &R->m, &R->crs, &R->r),
        out_report);
}

int gs_validate_run(gs_ctx *ctx, const gs_validate_opts *opts,
                    gs_report **out_report) {
    vrun R;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "gs_validate_run: missing argument");
    gs__gdal_enter(ctx);
    memset(&R, 0, sizeof R);
    R.ctx = ctx;
    R.opts = opts;
    gs__model_init(&R.m, ctx->geos);
    gs__utc_now(R.started, sizeof R.started);
    if ((rc = check_opts(&R)) || (rc = read_inputs(&R)) || (rc = analyse(&R)))
        goto done;
    rc = write_outputs(&R, out_report);
done:
    if (R.have_result) gs__vresult_free(ctx->geos, &R.r);
    gs__vchecks_free(ctx->geos, R.pre);
    gs__model_free(&R.m);
    gs__crsinfo_free(&R.crs);
    gs__inputs_free(&R.info);
    gs__gdal_leave(ctx);
    return rc;
}
