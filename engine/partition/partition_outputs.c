/*
 * partition_outputs.c - what `gridsmith partition` writes: the layers
 * through the atomic GeoPackage writer (out/writer.c), and the report.
 *
 *   grids         one polygon per grid with its code, figures and note;
 *                 a grid kept in a re-division is written with its stored
 *                 bytes
 *   summary       per community: grids, households, persons, units, the
 *                 share of inner boundary on barriers, compactness
 *   changes       re-division only: each old grid's fate, on its stored
 *                 geometry
 *   run_metadata  command line, rules, inputs with SHA-256, versions
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "report.h"
#include "rules.h"
#include "run_partition.h"

#define NF(a) (sizeof(a) / sizeof((a)[0]))

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
                                      {"straddling", GS__F_INT},
                                      {"cut_footprints", GS__F_INT},
                                      {"note", GS__F_STR}};

static const gs__fdef change_fields[] = {
    {"old_code", GS__F_STR},         {"community_code", GS__F_STR},
    {"change", GS__F_STR},           {"households_before", GS__F_INT},
    {"households_after", GS__F_INT}, {"moved", GS__F_INT},
    {"new_codes", GS__F_STR},        {"repairs", GS__F_STR}};

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

static int community_figures(const gs__partition_result *r, const char *code,
                             int target, cfig *f) {
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

static int write_grids(gs_ctx *ctx, gs__out *o, gs__olayer *l,
                       const gs_rules *rules, const gs__partition_result *r) {
    int rc = GS_OK;
    for (size_t i = 0; !rc && i < r->n_grids; i++) {
        const gs__partition_grid *g = &r->grids[i];
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
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
        OGR_F_SetFieldString(f, 8,
                             gs__partition_grid_ok(g) ? "ok" : "violation");
        if (g->note[0] && g->remark[0]) {
            char both[520];
            snprintf(both, sizeof both, "%s; %s", g->note, g->remark);
            OGR_F_SetFieldString(f, 9, both);
        } else {
            OGR_F_SetFieldString(f, 9, g->note[0] ? g->note : g->remark);
        }
        rc = g->src_wkb ? gs__out_wkb(o, f, g->src_wkb, g->src_wkb_len)
             : g->geom  ? gs__out_geos(o, l, f, g->geom)
                        : GS_OK;
        if (rc) {
            OGR_F_Destroy(f);
            return rc;
        }
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_summary(gs_ctx *ctx, gs__out *o, gs__olayer *l,
                         const gs_rules *rules, const gs__partition_result *r) {
    int rc = GS_OK;
    for (size_t i = 0; !rc && i < r->n_sums; i++) {
        const gs__partition_sum *s = &r->sums[i];
        OGRFeatureH f = gs__out_feature(l);
        cfig fig;
        if (!f) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        if (community_figures(r, s->community_code, rules->target_households,
                              &fig)) {
            OGR_F_Destroy(f);
            return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
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
        OGR_F_SetFieldInteger64(f, 13, s->straddling);
        OGR_F_SetFieldInteger64(f, 14, s->cut_footprints);
        OGR_F_SetFieldString(f, 15, s->note);
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_changes(gs_ctx *ctx, gs__out *o, gs__olayer *l,
                         const gs__partition_result *r, const gs__model *m) {
    int rc = GS_OK;
    for (size_t i = 0; !rc && i < r->n_changes; i++) {
        const gs__partition_change *c = &r->changes[i];
        const gs__grid *old = &m->grids[c->grid];
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldString(f, 0, c->old_code);
        OGR_F_SetFieldString(f, 1, c->community_code);
        OGR_F_SetFieldString(f, 2, c->change);
        OGR_F_SetFieldInteger64(f, 3, c->households_before);
        OGR_F_SetFieldInteger64(f, 4, c->households_after);
        OGR_F_SetFieldInteger64(f, 5, c->moved);
        OGR_F_SetFieldString(f, 6, c->new_codes);
        OGR_F_SetFieldString(f, 7, c->repairs);
        rc = old->src_wkb ? gs__out_wkb(o, f, old->src_wkb, old->src_wkb_len)
                          : gs__out_geos(o, l, f, old->geom);
        if (rc) {
            OGR_F_Destroy(f);
            return rc;
        }
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

/* run_metadata, with the rules that shape the division. */
static int write_meta(gs__out *o, const gs_partition_opts *opts,
                      const gs_rules *rules, const gs__crsinfo *crs,
                      const gs__inputs *info, const char *started) {
    char buf[768];
    snprintf(
        buf, sizeof buf,
        "{\"min_households\": %d, \"max_households\": %d, "
        "\"max_persons\": %d, \"target_households\": %d, "
        "\"target_persons\": %d, \"infeasible\": \"%s\", "
        "\"m2_per_household\": %g, \"default_levels\": %g, "
        "\"persons_per_household\": %g, \"barrier_tolerance_m\": %g, "
        "\"seed\": %llu}",
        rules->min_households, rules->max_households, rules->max_persons,
        rules->target_households, rules->target_persons,
        rules->partition_policy == GS_POLICY_OVERSIZE ? "oversize" : "persons",
        rules->m2_per_household, rules->default_levels,
        rules->persons_per_household, rules->barrier_tolerance_m, opts->seed);
    return gs__out_meta_run(o, "partition", opts->common.command_line, started,
                            buf, crs->metric_name, info);
}

/* How many footprints had their households estimated (area x levels),
 * when footprints stood in for households. */
static int write_estimated(gs__out *o, long estimated) {
    char buf[32];
    if (estimated < 0) return GS_OK;
    snprintf(buf, sizeof buf, "%ld", estimated);
    return gs__out_meta(o, "estimated_buildings", buf);
}

int gs__partition_write(gs_ctx *ctx, const gs_partition_opts *opts,
                        const gs_rules *rules, const gs__crsinfo *crs,
                        const gs__inputs *info, const gs__partition_result *r,
                        const gs__model *m, long estimated, const char *started,
                        gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *lg, *ls, *lc = NULL;
    int rc;
    *out_o = NULL;
    rc = gs__out_open(ctx, opts->common.output, crs->output, crs->metric, &o);
    if (rc) return rc;
    /* The layers in the order a reader finds them: grids, summary, then
     * the changes of a re-division; created before their features. */
    if ((rc = gs__out_layer(o, "grids", GS__GEOM_POLYGON, grid_fields,
                            NF(grid_fields), &lg)) ||
        (rc = gs__out_layer(o, "summary", GS__GEOM_NONE, sum_fields,
                            NF(sum_fields), &ls)) ||
        (opts->existing &&
         (rc = gs__out_layer(o, "changes", GS__GEOM_POLYGON, change_fields,
                             NF(change_fields), &lc))) ||
        (rc = write_grids(ctx, o, lg, rules, r)) ||
        (rc = write_summary(ctx, o, ls, rules, r)) ||
        (lc && (rc = write_changes(ctx, o, lc, r, m))) ||
        (rc = write_meta(o, opts, rules, crs, info, started)) ||
        (rc = write_estimated(o, estimated))) {
        gs__out_abort(o);
        return rc;
    }
    *out_o = o;
    return GS_OK;
}

/* ---- the report ---------------------------------------------------------- */

/* The run's totals over its communities and grids. */
typedef struct totals {
    long grids, compliant, hh, findings, feasible, feasible_ok, reassigned,
        changed, straddling;
    double med, len, bar; /* median Polsby-Popper; inner and barrier cut */
    double rate;          /* % of feasible communities fully compliant */
} totals;

/* -1 when out of memory. */
static int sum_up(const gs__partition_result *r, totals *t) {
    double *pp = gs__malloc((r->n_grids ? r->n_grids : 1) * sizeof *pp);
    if (!pp) return -1;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__partition_sum *s = &r->sums[i];
        t->grids += s->grids;
        t->compliant += s->compliant;
        t->hh += s->households;
        t->reassigned += s->reassigned;
        t->changed += s->changed;
        t->straddling += s->straddling;
        if (s->feasible) {
            t->feasible++;
            t->feasible_ok += s->compliant == s->grids;
        }
    }
    for (size_t i = 0; i < r->n_grids; i++) {
        pp[i] = r->grids[i].polsby_popper;
        t->len += r->grids[i].cut_len;
        t->bar += r->grids[i].cut_barrier;
    }
    t->med = median(pp, r->n_grids);
    free(pp);
    t->rate = t->feasible ? 100.0 * (double)t->feasible_ok / (double)t->feasible
                          : -1; /* no rate over nothing */
    t->findings = t->grids - t->compliant + (r->unplaced > 0);
    return 0;
}

/* The communities as the report lists them. */
static json_object *communities_json(const gs__partition_result *r) {
    json_object *comms = json_object_new_array();
    for (size_t i = 0; i < r->n_sums; i++) {
        const gs__partition_sum *s = &r->sums[i];
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
    return comms;
}

static void report_json(json_object *o, const gs_partition_opts *opts,
                        const gs__partition_result *r, const totals *t) {
    json_object_object_add(o, "command", json_object_new_string("partition"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "communities",
                           json_object_new_int64((int64_t)r->n_sums));
    json_object_object_add(o, "feasible_communities",
                           json_object_new_int64(t->feasible));
    json_object_object_add(o, "feasible_compliant",
                           json_object_new_int64(t->feasible_ok));
    json_object_object_add(
        o, "compliance_pct",
        t->rate >= 0 ? json_object_new_double(t->rate) : NULL);
    json_object_object_add(o, "straddling_grids",
                           json_object_new_int64(t->straddling));
    json_object_object_add(o, "grids", json_object_new_int64(t->grids));
    json_object_object_add(o, "compliant_grids",
                           json_object_new_int64(t->compliant));
    json_object_object_add(o, "households", json_object_new_int64(t->hh));
    json_object_object_add(o, "median_polsby_popper",
                           json_object_new_double(t->med));
    json_object_object_add(
        o, "barrier_share",
        t->len > 0 ? json_object_new_double(t->bar / t->len) : NULL);
    json_object_object_add(o, "unplaced_households",
                           json_object_new_int64(r->unplaced));
    if (opts->existing) {
        json_object_object_add(o, "grids_changed",
                               json_object_new_int64(t->changed));
        json_object_object_add(o, "households_reassigned",
                               json_object_new_int64(t->reassigned));
    }
    json_object_object_add(o, "by_community", communities_json(r));
}

static void report_text(gs__buf *text, const gs_partition_opts *opts,
                        const gs__partition_result *r, const totals *t,
                        double tol) {
    /* The console text in the user's language (gs__tr); the communities'
     * notes in it too (sum->text), while the summary layer keeps them in
     * English (sum->note). */
    gs__buf_printf(text,
                   gs__tr("partition: %zu communities, %ld households -> %ld "
                          "grids, %ld within the standard\n"),
                   r->n_sums, t->hh, t->grids, t->compliant);
    if (t->feasible)
        gs__buf_printf(text,
                       gs__tr("  feasible communities fully compliant: %ld "
                              "of %ld (%.1f %%)\n"),
                       t->feasible_ok, t->feasible, t->rate);
    else
        gs__buf_printf(text,
                       gs__tr("  feasible communities fully compliant: none "
                              "is feasible (%zu communities, each noted "
                              "below)\n"),
                       r->n_sums);
    if (t->len > 0)
        gs__buf_printf(text,
                       gs__tr("  median Polsby-Popper %.3f; inner boundary "
                              "within %g m of a barrier %.1f %%\n"),
                       t->med, tol, 100 * t->bar / t->len);
    else
        gs__buf_printf(text,
                       gs__tr("  median Polsby-Popper %.3f; no inner "
                              "boundary (one grid a community)\n"),
                       t->med);
    if (t->straddling)
        gs__buf_printf(text,
                       gs__tr("  %ld grid(s) straddle a major road where the "
                              "blocks between major roads allow no division "
                              "within the bounds (noted on each)\n"),
                       t->straddling);
    if (opts->existing)
        gs__buf_printf(text,
                       gs__tr("  re-division: %ld grids changed, %ld "
                              "households reassigned\n"),
                       t->changed, t->reassigned);
    for (size_t i = 0; i < r->n_sums; i++)
        if (r->sums[i].note[0])
            /* TRANSLATORS: a community's code and its note. */
            gs__buf_printf(text, gs__tr("  %s: %s\n"),
                           r->sums[i].community_code, r->sums[i].text);
    if (r->unplaced)
        gs__buf_printf(text, gs__tr("  %ld households lie in no community\n"),
                       r->unplaced);
    if (opts->existing)
        gs__buf_printf(text,
                       gs__tr("  wrote %s (layers grids, summary, changes, "
                              "run_metadata)\n"),
                       opts->common.output);
    else
        gs__buf_printf(text,
                       gs__tr("  wrote %s (layers grids, summary, "
                              "run_metadata)\n"),
                       opts->common.output);
}

gs_report *gs__partition_report(gs_ctx *ctx, const gs_partition_opts *opts,
                                const gs_rules *rules,
                                const gs__partition_result *r) {
    json_object *o = json_object_new_object();
    totals t;
    gs__buf text;
    if (!o || sum_up(r, &t)) {
        json_object_put(o);
        return NULL;
    }
    report_json(o, opts, r, &t);
    json_object_object_add(o, "barrier_tolerance_m",
                           json_object_new_double(rules->barrier_tolerance_m));
    gs__buf_init(&text, 0);
    report_text(&text, opts, r, &t, rules->barrier_tolerance_m);
    return gs__report_from_buf(ctx, o, &text, t.findings);
}
