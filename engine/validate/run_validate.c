/*
 * run_validate.c - gs_validate_run: read, analyse, write, report.
 *
 * The public entry of `gridsmith validate`. It measures four phases (read,
 * index, analyse, write) for the benchmark, reads the inputs (io.c) into
 * the model, runs the analysis (validate.c) and writes the layers through
 * the atomic GeoPackage writer (out.c):
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

#include "io.h"
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

/* Writes every layer into the temporary output and hands it over in
 * *out_o, not yet committed (the caller commits or aborts it); on failure
 * the temporary file is removed and *out_o is NULL. */
static int write_outputs(gs_ctx *ctx, const gs_validate_opts *opts,
                         const gs_rules *rules, const gs__model *m,
                         const gs__crsinfo *crs, const gs__inputs *info,
                         const gs__vresult *r, const char *started,
                         gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *lg, *li, *lp, *ls;
    int rc;

    *out_o = NULL;
    rc = gs__out_open(ctx, opts->common.output, crs->output, crs->metric, &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_VALIDATE_GRIDS, &lg)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_ISSUES, &li)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_ISSUE_POINTS, &lp)) ||
        (rc = gs__out_layer_schema(o, GS__LS_VALIDATE_SUMMARY, &ls)))
        goto fail;

    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__grid *g = &m->grids[i];
        const gs__vgrid *v = &r->grids[i];
        char issues[600];
        OGRFeatureH f;
        if (!gs__shard_owns(ctx, g->community_code)) continue; /* halo */
        f = gs__out_feature(lg);
        if (!f) goto nomem;
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
            goto fail;
        }
        if ((rc = gs__out_put(o, lg, f))) goto fail;
    }
    for (size_t i = 0; i < r->n_issues; i++) {
        const gs__issue *is = &r->issues[i];
        int point =
            is->geom && GEOSGeomTypeId_r(ctx->geos, is->geom) == GEOS_POINT;
        gs__olayer *l = point ? lp : li;
        OGRFeatureH f = gs__out_feature(l);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, GS__VI_KIND, gs__kind_name(is->kind));
        OGR_F_SetFieldString(f, GS__VI_GRID_CODE, is->grid_code);
        OGR_F_SetFieldString(f, GS__VI_DETAIL, is->detail);
        if ((rc = gs__out_geos(o, l, f, is->geom))) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if ((rc = gs__out_put(o, l, f))) goto fail;
    }
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__vsum *s = &r->sums[i];
        OGRFeatureH f = gs__out_feature(ls);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, GS__VS_COMMUNITY_CODE, s->community_code);
        OGR_F_SetFieldString(f, GS__VS_NAME, s->name);
        OGR_F_SetFieldInteger64(f, GS__VS_GRIDS, s->grids);
        OGR_F_SetFieldInteger64(f, GS__VS_HOUSEHOLDS, s->households);
        OGR_F_SetFieldInteger64(f, GS__VS_PERSONS, s->persons);
        OGR_F_SetFieldInteger64(f, GS__VS_VIOLATIONS, s->violations);
        for (int k = 0; k < GS__K_COUNT; k++)
            OGR_F_SetFieldInteger64(f, GS__VS_N_KIND + k, s->n[k]);
        if ((rc = gs__out_put(o, ls, f))) goto fail;
    }

    /* Run metadata. */
    {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "{\"min_households\": %d, \"max_households\": %d, "
                 "\"max_persons\": %d, \"exempt_dedicated\": %s, "
                 "\"sliver_m2\": %g, \"shared_edge_m\": %g, "
                 "\"edge_snap_m\": %g}",
                 rules->min_households, rules->max_households,
                 rules->max_persons, rules->exempt_dedicated ? "true" : "false",
                 rules->sliver_m2, rules->shared_edge_m, rules->edge_snap_m);
        rc = gs__out_meta_run(o, "validate", opts->common.command_line, started,
                              buf, crs->metric_name, info);
        if (rc) goto fail;
    }
    *out_o = o;
    return GS_OK;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
fail:
    gs__out_abort(o);
    return rc;
}

static gs_report *make_report(gs_ctx *ctx, const gs_validate_opts *opts,
                              const gs__model *m, const gs__crsinfo *crs,
                              const gs__vresult *r) {
    json_object *o = json_object_new_object(), *kinds, *comms;
    gs__buf text;
    const gs__vsum *t = &r->sums[r->n_sums - 1];
    long findings = (long)r->n_issues;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("validate"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "metric_crs",
                           json_object_new_string(crs->metric_name));
    json_object_object_add(o, "communities",
                           json_object_new_int64((int64_t)m->n_communities));
    json_object_object_add(o, "grids", json_object_new_int64(t->grids));
    json_object_object_add(o, "households",
                           json_object_new_int64((int64_t)m->n_households));
    json_object_object_add(o, "persons", json_object_new_int64(t->persons));
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
                               json_object_new_int64(t->n[k]));
    json_object_object_add(o, "by_kind", kinds);
    comms = json_object_new_array();
    for (size_t i = 0; i + 1 < r->n_sums; i++) {
        const gs__vsum *s = &r->sums[i];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "community_code",
                               json_object_new_string(s->community_code));
        json_object_object_add(c, "name", json_object_new_string(s->name));
        json_object_object_add(c, "grids", json_object_new_int64(s->grids));
        json_object_object_add(c, "households",
                               json_object_new_int64(s->households));
        json_object_object_add(c, "violations",
                               json_object_new_int64(s->violations));
        json_object_array_add(comms, c);
    }
    json_object_object_add(o, "by_community", comms);

    gs__buf_init(&text, 0);
    gs__buf_printf(&text,
                   "validate: %ld grids in %zu communities, %zu households "
                   "(%ld persons)\n",
                   t->grids, m->n_communities, m->n_households, t->persons);
    gs__buf_printf(&text,
                   "  %ld of %ld grids violate the standard; %zu "
                   "issues\n",
                   r->violations, t->grids, r->n_issues);
    for (int k = 0; k < GS__K_COUNT; k++)
        if (t->n[k])
            gs__buf_printf(&text, "    %-22s %ld\n", gs__kind_name(k), t->n[k]);
    gs__buf_printf(&text,
                   "  wrote %s (layers grids, issues, issue_points, "
                   "summary, run_metadata)\n",
                   opts->common.output);
    return gs__report_from_buf(ctx, o, &text, findings);
}

int gs_validate_run(gs_ctx *ctx, const gs_validate_opts *opts,
                    gs_report **out_report) {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__vresult r;
    gs_input_opts in_default;
    gs_rules rules_default;
    const gs_input_opts *in;
    const gs_rules *rules;
    char started[32];
    gs__out *out = NULL;
    int rc, have_result = 0;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    gs__model_init(&m, ctx->geos);
    memset(&crs, 0, sizeof crs);
    memset(&info, 0, sizeof info);
    memset(&r, 0, sizeof r);
    gs__utc_now(started, sizeof started);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_validate_run: missing argument");
        goto done;
    }
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if (!opts->communities || !opts->grids || !opts->households ||
        !opts->common.output) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "validate needs {communities}, {grids}, {households} "
                     "and {output}");
        goto done;
    }
    gs_input_opts_init(&in_default);
    gs_rules_init(&rules_default);
    in = opts->common.input ? opts->common.input : &in_default;
    rules = opts->common.rules ? opts->common.rules : &rules_default;
    if ((rc = gs__io_check_opts(ctx, in))) goto done;
    {
        const char *inputs[4] = {opts->communities, opts->grids,
                                 opts->households, opts->members};
        if ((rc = gs__out_check_inputs(ctx, opts->common.output, inputs, 4)))
            goto done;
    }

    gs__phase_begin(ctx);
    /* A shard reads what intersects its extent: every grid, community and
     * household its own grids' checks can meet. */
    rc = gs__io_shard_extent(ctx, in, opts->grids, opts->communities,
                             GS__SHARD_HALO_M, &info);
    if (rc) goto done;
    gs__progress(ctx, "read grids", -1);
    rc = gs__io_read_grids(ctx, in, opts->grids, &m, &crs, &info);
    if (rc) goto done;
    gs__progress(ctx, "read communities", -1);
    rc = gs__io_read_communities(ctx, in, opts->communities, &m, &crs, &info);
    if (rc) goto done;
    gs__progress(ctx, "read households", 0);
    rc = gs__io_read_households(ctx, in, opts->households, &m, &crs, &info);
    if (rc) goto done;
    if (opts->members) {
        gs__progress(ctx, "read members", -1);
        rc = gs__io_read_members(ctx, in, opts->members, 0, &m, &info);
        if (rc) goto done;
    }
    rc = gs__io_check_household_ids(ctx, in, &m, &info);
    if (rc) goto done;
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    rc = gs__validate_analyse(ctx, &m, rules, opts->common.threads, &r);
    if (rc) goto done;
    have_result = 1;
    gs__phase_end(ctx, "analyse");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    rc = write_outputs(ctx, opts, rules, &m, &crs, &info, &r, started, &out);
    if (rc) goto done;
    gs__phase_end(ctx, "write");

    /* The report comes before the output is moved into place, so that a
     * run that fails, even for want of memory for its report, never
     * replaces an earlier output. The write phase thus leaves out the
     * commit (styles, the transaction, flush and rename). */
    rc = gs__out_commit_report(ctx, out, make_report(ctx, opts, &m, &crs, &r),
                               out_report);
    out = NULL;
done:
    gs__out_abort(out);
    if (have_result) gs__vresult_free(ctx->geos, &r);
    gs__model_free(&m);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    gs__gdal_leave(ctx);
    return rc;
}
