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
#include "writer.h"
#include "partition.h"
#include "report.h"
#include "rules.h"

void gs_partition_opts_init(gs_partition_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

static const gs__fdef grid_fields[] = {
    {"grid_code", GS__F_STR},      {"community_code", GS__F_STR},
    {"grid_type", GS__F_STR},      {"households", GS__F_INT},
    {"persons", GS__F_INT},        {"deviation", GS__F_INT},
    {"polsby_popper", GS__F_REAL}, {"barrier_share", GS__F_REAL},
    {"status", GS__F_STR},         {"note", GS__F_STR}};

static const gs__fdef sum_fields[] = {{"community_code", GS__F_STR},
                                      {"name", GS__F_STR},
                                      {"grids", GS__F_INT},
                                      {"compliant", GS__F_INT},
                                      {"feasible", GS__F_INT},
                                      {"households", GS__F_INT},
                                      {"persons", GS__F_INT},
                                      {"units", GS__F_INT},
                                      {"barrier_share", GS__F_REAL},
                                      {"median_polsby_popper", GS__F_REAL},
                                      {"mean_abs_deviation", GS__F_REAL},
                                      {"reassigned", GS__F_INT},
                                      {"changed", GS__F_INT},
                                      {"note", GS__F_STR}};

static const gs__fdef change_fields[] = {
    {"old_code", GS__F_STR},         {"community_code", GS__F_STR},
    {"change", GS__F_STR},           {"households_before", GS__F_INT},
    {"households_after", GS__F_INT}, {"moved", GS__F_INT},
    {"new_codes", GS__F_STR}};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A community's figures over its grids: the share of inner boundary on
 * barriers (-1: no inner boundary), the median Polsby-Popper and the mean
 * absolute deviation from the target. */
typedef struct cfig {
    double barrier_share, median_pp, mean_dev;
} cfig;

static int community_figures(const gs__partres *r, const char *code, int target,
                             cfig *f) {
    double len = 0, bar = 0, dev = 0;
    double *pp = gs__malloc((r->n_grids ? r->n_grids : 1) * sizeof *pp);
    size_t n = 0;
    if (!pp) return -1;
    for (size_t i = 0; i < r->n_grids; i++)
        if (!strcmp(r->grids[i].community_code, code)) {
            len += r->grids[i].cut_len;
            bar += r->grids[i].cut_barrier;
            dev += labs(r->grids[i].households - target);
            pp[n++] = r->grids[i].polsby_popper;
        }
    f->barrier_share = len > 0 ? bar / len : -1;
    f->median_pp = median(pp, n);
    f->mean_dev = n ? dev / (double)n : 0;
    free(pp);
    return 0;
}

/* Writes every layer into the temporary output and hands it over in
 * *out_o, not yet committed (the caller commits or aborts it); on failure
 * the temporary file is removed and *out_o is NULL. */
static int write_outputs(gs_ctx *ctx, const gs_partition_opts *opts,
                         const gs_rules *rules, const gs__crsinfo *crs,
                         const gs__inputs *info, const gs__partres *r,
                         const gs__model *m, const char *started,
                         gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *lg, *ls, *lc = NULL;
    int rc;

    *out_o = NULL;
    rc = gs__out_open(ctx, opts->common.output, crs->output, crs->metric, &o);
    if (rc) return rc;
    rc = gs__out_layer(o, "grids", GS__GEOM_POLYGON, grid_fields,
                       sizeof grid_fields / sizeof grid_fields[0], &lg);
    if (!rc)
        rc = gs__out_layer(o, "summary", GS__GEOM_NONE, sum_fields,
                           sizeof sum_fields / sizeof sum_fields[0], &ls);
    if (!rc && opts->existing)
        rc = gs__out_layer(o, "changes", GS__GEOM_POLYGON, change_fields,
                           sizeof change_fields / sizeof change_fields[0], &lc);
    if (rc) goto fail;
    for (size_t i = 0; i < r->n_grids; i++) {
        const gs__pgrid *g = &r->grids[i];
        OGRFeatureH f = gs__out_feature(lg);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, 0, g->code);
        OGR_F_SetFieldString(f, 1, g->community_code);
        OGR_F_SetFieldString(f, 2, g->grid_type ? g->grid_type : "basic");
        OGR_F_SetFieldInteger64(f, 3, g->households);
        OGR_F_SetFieldInteger64(f, 4, g->persons);
        OGR_F_SetFieldInteger64(f, 5, g->households - rules->target_households);
        OGR_F_SetFieldDouble(f, 6, g->polsby_popper);
        if (g->cut_len > 0)
            OGR_F_SetFieldDouble(f, 7, g->cut_barrier / g->cut_len);
        else
            OGR_F_SetFieldNull(f, 7);
        /* As validate's grids: ok within the standard (or the policy). */
        OGR_F_SetFieldString(f, 8, gs__pgrid_ok(g) ? "ok" : "violation");
        OGR_F_SetFieldString(f, 9, g->note);
        rc = g->src_wkb ? gs__out_wkb(o, f, g->src_wkb, g->src_wkb_len)
             : g->geom  ? gs__out_geos(o, lg, f, g->geom)
                        : GS_OK;
        if (rc) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if ((rc = gs__out_put(o, lg, f))) goto fail;
    }
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__psum *s = &r->sums[i];
        OGRFeatureH f = gs__out_feature(ls);
        cfig fig;
        if (!f) goto nomem;
        if (community_figures(r, s->community_code, rules->target_households,
                              &fig)) {
            OGR_F_Destroy(f);
            goto nomem;
        }
        OGR_F_SetFieldString(f, 0, s->community_code);
        OGR_F_SetFieldString(f, 1, s->name ? s->name : "");
        OGR_F_SetFieldInteger64(f, 2, s->grids);
        OGR_F_SetFieldInteger64(f, 3, s->compliant);
        OGR_F_SetFieldInteger64(f, 4, s->feasible);
        OGR_F_SetFieldInteger64(f, 5, s->households);
        OGR_F_SetFieldInteger64(f, 6, s->persons);
        OGR_F_SetFieldInteger64(f, 7, s->atoms);
        if (fig.barrier_share >= 0)
            OGR_F_SetFieldDouble(f, 8, fig.barrier_share);
        else
            OGR_F_SetFieldNull(f, 8);
        OGR_F_SetFieldDouble(f, 9, fig.median_pp);
        OGR_F_SetFieldDouble(f, 10, fig.mean_dev);
        OGR_F_SetFieldInteger64(f, 11, s->reassigned);
        OGR_F_SetFieldInteger64(f, 12, s->changed);
        OGR_F_SetFieldString(f, 13, s->note);
        if ((rc = gs__out_put(o, ls, f))) goto fail;
    }
    for (size_t i = 0; lc && i < r->n_changes; i++) {
        const gs__pchange *c = &r->changes[i];
        const gs__grid *old = &m->grids[c->grid];
        OGRFeatureH f = gs__out_feature(lc);
        if (!f) goto nomem;
        OGR_F_SetFieldString(f, 0, c->old_code);
        OGR_F_SetFieldString(f, 1, c->community_code);
        OGR_F_SetFieldString(f, 2, c->change);
        OGR_F_SetFieldInteger64(f, 3, c->households_before);
        OGR_F_SetFieldInteger64(f, 4, c->households_after);
        OGR_F_SetFieldInteger64(f, 5, c->moved);
        OGR_F_SetFieldString(f, 6, c->new_codes);
        rc = old->src_wkb ? gs__out_wkb(o, f, old->src_wkb, old->src_wkb_len)
                          : gs__out_geos(o, lc, f, old->geom);
        if (rc) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if ((rc = gs__out_put(o, lc, f))) goto fail;
    }
    {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "{\"min_households\": %d, \"max_households\": %d, "
                 "\"max_persons\": %d, \"target_households\": %d, "
                 "\"target_persons\": %d, \"infeasible\": \"%s\", "
                 "\"seed\": %llu}",
                 rules->min_households, rules->max_households,
                 rules->max_persons, rules->target_households,
                 rules->target_persons,
                 rules->partition_policy == GS_POLICY_OVERSIZE ? "oversize"
                                                               : "persons",
                 opts->seed);
        rc = gs__out_meta_run(o, "partition", opts->common.command_line,
                              started, buf, crs->metric_name, info);
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

static gs_report *make_report(gs_ctx *ctx, const gs_partition_opts *opts,
                              const gs__partres *r) {
    json_object *o = json_object_new_object(), *comms;
    gs__buf text;
    long grids = 0, compliant = 0, hh = 0, findings, feasible = 0,
         feasible_ok = 0, reassigned = 0, changed = 0;
    double *pp = gs__malloc((r->n_grids ? r->n_grids : 1) * sizeof *pp);
    double med, len = 0, bar = 0, rate;
    if (!o || !pp) {
        json_object_put(o);
        free(pp);
        return NULL;
    }
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__psum *s = &r->sums[i];
        grids += s->grids;
        compliant += s->compliant;
        hh += s->households;
        reassigned += s->reassigned;
        changed += s->changed;
        if (s->feasible) {
            feasible++;
            feasible_ok += s->compliant == s->grids;
        }
    }
    for (size_t i = 0; i < r->n_grids; i++) {
        pp[i] = r->grids[i].polsby_popper;
        len += r->grids[i].cut_len;
        bar += r->grids[i].cut_barrier;
    }
    med = median(pp, r->n_grids);
    free(pp);
    rate = feasible ? 100.0 * (double)feasible_ok / (double)feasible : 100;
    findings = grids - compliant + (r->unplaced > 0);
    json_object_object_add(o, "command", json_object_new_string("partition"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "communities",
                           json_object_new_int64((int64_t)r->n_sums));
    json_object_object_add(o, "feasible_communities",
                           json_object_new_int64(feasible));
    json_object_object_add(o, "feasible_compliant",
                           json_object_new_int64(feasible_ok));
    json_object_object_add(o, "compliance_pct", json_object_new_double(rate));
    json_object_object_add(o, "grids", json_object_new_int64(grids));
    json_object_object_add(o, "compliant_grids",
                           json_object_new_int64(compliant));
    json_object_object_add(o, "households", json_object_new_int64(hh));
    json_object_object_add(o, "median_polsby_popper",
                           json_object_new_double(med));
    json_object_object_add(o, "barrier_share",
                           len > 0 ? json_object_new_double(bar / len) : NULL);
    json_object_object_add(o, "unplaced_households",
                           json_object_new_int64(r->unplaced));
    if (opts->existing) {
        json_object_object_add(o, "grids_changed",
                               json_object_new_int64(changed));
        json_object_object_add(o, "households_reassigned",
                               json_object_new_int64(reassigned));
    }
    comms = json_object_new_array();
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__psum *s = &r->sums[i];
        json_object *c = json_object_new_object();
        json_object_object_add(c, "community_code",
                               json_object_new_string(s->community_code));
        json_object_object_add(c, "grids", json_object_new_int64(s->grids));
        json_object_object_add(c, "compliant",
                               json_object_new_int64(s->compliant));
        json_object_object_add(c, "feasible",
                               json_object_new_boolean(s->feasible));
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
    gs__buf_printf(&text,
                   "  feasible communities fully compliant: %ld of %ld "
                   "(%.1f %%); median Polsby-Popper %.3f; inner boundary on "
                   "barriers %.1f %%\n",
                   feasible_ok, feasible, rate, med,
                   len > 0 ? 100 * bar / len : 0.0);
    if (opts->existing)
        gs__buf_printf(&text,
                       "  re-division: %ld grids changed, %ld "
                       "households reassigned\n",
                       changed, reassigned);
    for (size_t i = 0; i < r->n_sums; i++)
        if (r->sums[i].note[0])
            gs__buf_printf(&text, "  %s: %s\n", r->sums[i].community_code,
                           r->sums[i].note);
    if (r->unplaced)
        gs__buf_printf(&text, "  %ld households lie in no community\n",
                       r->unplaced);
    gs__buf_printf(&text,
                   "  wrote %s (layers grids, summary, %srun_metadata)\n",
                   opts->common.output, opts->existing ? "changes, " : "");
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
    gs__out *out = NULL;
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
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if (!opts->communities || !opts->households || !opts->common.output) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "partition needs {communities}, {households} and "
                     "{output}");
        goto done;
    }
    gs_input_opts_init(&in_default);
    gs_rules_init(&rules_default);
    in = opts->common.input ? opts->common.input : &in_default;
    rules = opts->common.rules ? opts->common.rules : &rules_default;
    if ((rc = gs__io_check_opts(ctx, in))) goto done;
    {
        const char *inputs[4] = {opts->communities, opts->households,
                                 opts->barriers, opts->existing};
        if ((rc = gs__out_check_inputs(ctx, opts->common.output, inputs, 4)))
            goto done;
    }

    gs__phase_begin(ctx);
    if (opts->existing) { /* the output is in the existing grids' CRS */
        gs__progress(ctx, "read grids", -1);
        rc = gs__io_read_grids(ctx, in, opts->existing, &m, &crs, &info);
    } else {
        rc = gs__io_pick_crs(ctx, in, "communities", opts->communities, &crs);
    }
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
    {
        gs__popts po;
        memset(&po, 0, sizeof po);
        po.seed = opts->seed;
        po.threads = opts->common.threads > 0 ? opts->common.threads : 1;
        po.lock = opts->lock;
        po.n_lock = opts->n_lock;
        rc = opts->existing ? gs__repartition_analyse(ctx, &m, rules, &po, &r)
                            : gs__partition_analyse(ctx, &m, rules, &po, &r);
    }
    if (rc) goto done;
    gs__partres_keep_shard(ctx, &r);
    gs__phase_end(ctx, "partition");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    rc = write_outputs(ctx, opts, rules, &crs, &info, &r, &m, started, &out);
    if (rc) goto done;
    gs__phase_end(ctx, "write");

    /* The report before the output moves into place (as validate): a run
     * that fails, even for want of memory for its report, never replaces
     * an earlier output. */
    rc =
        gs__out_commit_report(ctx, out, make_report(ctx, opts, &r), out_report);
    out = NULL;
done:
    gs__out_abort(out);
    gs__partres_free(ctx->geos, &r);
    gs__model_free(&m);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    gs__gdal_leave(ctx);
    return rc;
}
