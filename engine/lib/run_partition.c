/*
 * run_partition.c - gs_partition_run: read, divide, write, report.
 *
 * The public entry of `gridsmith partition`. Reads the communities, the
 * households and (optionally) the barriers into the model (io.c), picks the
 * metric and output CRS from the communities layer, divides every
 * community (partition.c) and writes through the atomic GeoPackage writer
 * (out.c):
 *
 *   grids         one polygon per grid with its code, figures and note
 *   summary       per community: grids, households, persons, atoms
 *   run_metadata  command line, rules, inputs with SHA-256, versions
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <geos_c.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "out.h"
#include "partition.h"
#include "report.h"

void gs_partition_opts_init(gs_partition_opts *o) { memset(o, 0, sizeof *o); }

static const gs__fdef grid_fields[] = {
    {"grid_code", GS__F_STR},     {"community_code", GS__F_STR},
    {"grid_type", GS__F_STR},     {"households", GS__F_INT},
    {"persons", GS__F_INT},       {"polsby_popper", GS__F_REAL},
    {"note", GS__F_STR}};

static const gs__fdef sum_fields[] = {
    {"community_code", GS__F_STR}, {"name", GS__F_STR},
    {"grids", GS__F_INT},          {"compliant", GS__F_INT},
    {"households", GS__F_INT},     {"persons", GS__F_INT},
    {"atoms", GS__F_INT},          {"note", GS__F_STR}};

static int write_outputs(gs_ctx *ctx, const gs_partition_opts *opts,
                         const gs_rules *rules, const gs__crsinfo *crs,
                         const gs__inputs *info, const gs__partres *r,
                         const char *started) {
    gs__out *o = NULL;
    gs__olayer *lg, *ls;
    int rc;

    rc = gs__out_open(ctx, opts->output, crs->output, crs->metric, &o);
    if (rc) return rc;
    rc = gs__out_layer(o, "grids", GS__GEOM_POLYGON, grid_fields,
                       sizeof grid_fields / sizeof grid_fields[0], &lg);
    if (!rc)
        rc = gs__out_layer(o, "summary", GS__GEOM_NONE, sum_fields,
                           sizeof sum_fields / sizeof sum_fields[0], &ls);
    if (rc) goto fail;
    for (size_t i = 0; i < r->n_grids; i++) {
        const gs__pgrid *g = &r->grids[i];
        OGRFeatureH f = gs__out_feature(lg);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, 0, g->code);
        OGR_F_SetFieldString(f, 1, g->community_code);
        OGR_F_SetFieldString(f, 2, "basic");
        OGR_F_SetFieldInteger64(f, 3, g->households);
        OGR_F_SetFieldInteger64(f, 4, g->persons);
        OGR_F_SetFieldDouble(f, 5, g->polsby_popper);
        OGR_F_SetFieldString(f, 6, g->note);
        if ((rc = gs__out_geos(o, lg, f, g->geom))) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if ((rc = gs__out_put(o, lg, f))) goto fail;
    }
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__psum *s = &r->sums[i];
        OGRFeatureH f = gs__out_feature(ls);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, 0, s->community_code);
        OGR_F_SetFieldString(f, 1, s->name ? s->name : "");
        OGR_F_SetFieldInteger64(f, 2, s->grids);
        OGR_F_SetFieldInteger64(f, 3, s->compliant);
        OGR_F_SetFieldInteger64(f, 4, s->households);
        OGR_F_SetFieldInteger64(f, 5, s->persons);
        OGR_F_SetFieldInteger64(f, 6, s->atoms);
        OGR_F_SetFieldString(f, 7, s->note);
        if ((rc = gs__out_put(o, ls, f))) goto fail;
    }
    {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "{\"min_households\": %d, \"max_households\": %d, "
                 "\"max_persons\": %d}",
                 rules->min_households, rules->max_households,
                 rules->max_persons);
        rc = gs__out_meta_run(o, "partition", opts->command_line, started,
                              buf, crs->metric_name, info);
        if (rc) goto fail;
    }
    return gs__out_commit(o);
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
fail:
    gs__out_abort(o);
    return rc;
}

static gs_report *make_report(gs_ctx *ctx, const gs_partition_opts *opts,
                              const gs__partres *r) {
    json_object *o = json_object_new_object(), *comms;
    gs__buf text;
    long grids = 0, compliant = 0, hh = 0, findings;
    if (!o) return NULL;
    for (size_t i = 0; i < r->n_sums; i++) {
        grids += r->sums[i].grids;
        compliant += r->sums[i].compliant;
        hh += r->sums[i].households;
    }
    findings = grids - compliant + (r->unplaced > 0);
    json_object_object_add(o, "command", json_object_new_string("partition"));
    json_object_object_add(o, "output", json_object_new_string(opts->output));
    json_object_object_add(o, "communities",
                           json_object_new_int64((int64_t)r->n_sums));
    json_object_object_add(o, "grids", json_object_new_int64(grids));
    json_object_object_add(o, "compliant_grids",
                           json_object_new_int64(compliant));
    json_object_object_add(o, "households", json_object_new_int64(hh));
    json_object_object_add(o, "unplaced_households",
                           json_object_new_int64(r->unplaced));
    comms = json_object_new_array();
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__psum *s = &r->sums[i];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "community_code",
                               json_object_new_string(s->community_code));
        json_object_object_add(c, "grids", json_object_new_int64(s->grids));
        json_object_object_add(c, "compliant",
                               json_object_new_int64(s->compliant));
        json_object_object_add(c, "households",
                               json_object_new_int64(s->households));
        json_object_object_add(c, "note", json_object_new_string(s->note));
        json_object_array_add(comms, c);
    }
    json_object_object_add(o, "by_community", comms);
    gs__buf_init(&text, 0);
    gs__buf_printf(&text,
                   "partition: %zu communities, %ld households -> %ld grids, "
                   "%ld within the standard\n",
                   r->n_sums, hh, grids, compliant);
    for (size_t i = 0; i < r->n_sums; i++)
        if (r->sums[i].note[0])
            gs__buf_printf(&text, "  %s: %s\n", r->sums[i].community_code,
                           r->sums[i].note);
    if (r->unplaced)
        gs__buf_printf(&text, "  %ld households lie in no community\n",
                       r->unplaced);
    gs__buf_printf(&text, "  wrote %s (layers grids, summary, "
                   "run_metadata)\n", opts->output);
    return gs__report_from_buf(ctx, o, &text, findings);
}

int gs_partition_run(gs_ctx *ctx, const gs_partition_opts *opts,
                     gs_report **out_report) {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__partres r;
    gs_input_opts in_default;
    gs_rules rules_default;
    const gs_input_opts *in;
    const gs_rules *rules;
    char started[32];
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    gs__model_init(&m, ctx->geos);
    memset(&crs, 0, sizeof crs);
    memset(&info, 0, sizeof info);
    memset(&r, 0, sizeof r);
    gs__utc_now(started, sizeof started);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_partition_run: missing argument");
        goto done;
    }
    if (!opts->communities || !opts->households || !opts->output) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "partition needs --communities, --households and "
                     "-o OUT.gpkg");
        goto done;
    }
    gs_input_opts_init(&in_default);
    gs_rules_init(&rules_default);
    in = opts->input ? opts->input : &in_default;
    rules = opts->rules ? opts->rules : &rules_default;
    if ((rc = gs__io_check_opts(ctx, in))) goto done;
    if ((rc = gs__out_check(ctx, opts->output))) goto done;
    {
        const char *inputs[3] = {opts->communities, opts->households,
                                 opts->barriers};
        for (int i = 0; i < 3; i++)
            if (inputs[i] && gs__io_same_file(inputs[i], opts->output)) {
                rc = gs__err(ctx, GS_ERR_USAGE,
                             "-o %s is also an input; write the output to "
                             "another file",
                             opts->output);
                goto done;
            }
    }

    gs__phase_begin(ctx);
    rc = gs__io_pick_crs(ctx, in, "communities", opts->communities, &crs);
    if (rc) goto done;
    gs__progress(ctx, "read communities", -1);
    rc = gs__io_read_communities(ctx, in, opts->communities, &m, &crs, &info);
    if (rc) goto done;
    gs__progress(ctx, "read households", 0);
    rc = gs__io_read_households(ctx, in, opts->households, &m, &crs, &info);
    if (rc) goto done;
    rc = gs__io_check_household_ids(ctx, in, &m, &info);
    if (rc) goto done;
    {
        /* Such a household counts as a household but adds no persons to
         * its grid's sum, which the persons limit is checked on: say so,
         * as validate's bad_persons does. */
        size_t bad = 0, first = 0;
        for (size_t k = 0; k < m.n_households; k++)
            if (!m.households[k].persons_ok && bad++ == 0) first = k;
        if (bad) {
            const gs__household *hh = &m.households[first];
            gs__warn(ctx,
                     "%s: %zu household(s) with a missing, negative or "
                     "non-integer persons value, counted as households "
                     "but not as persons (first: household %s, %s %ld)",
                     opts->households, bad, hh->id[0] ? hh->id : "(no id)",
                     hh->origin.line > 0 ? "line" : "feature",
                     hh->origin.line > 0 ? hh->origin.line : hh->origin.fid);
        }
    }
    if (opts->barriers) {
        gs__progress(ctx, "read barriers", -1);
        rc = gs__io_read_barriers(ctx, in, opts->barriers, &m, &crs, &info);
        if (rc) goto done;
    }
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    rc = gs__partition_analyse(ctx, &m, rules, &r);
    if (rc) goto done;
    gs__phase_end(ctx, "partition");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    rc = write_outputs(ctx, opts, rules, &crs, &info, &r, started);
    if (rc) goto done;
    gs__phase_end(ctx, "write");

    *out_report = make_report(ctx, opts, &r);
    if (!*out_report) rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    gs__partres_free(ctx->geos, &r);
    gs__model_free(&m);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    gs__gdal_leave(ctx);
    return rc;
}
