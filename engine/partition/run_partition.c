/*
 * run_partition.c - gs_partition_run: check the options, read, divide,
 * write, place the output with the report.
 *
 * The public entry of `gridsmith partition`. Reads the communities, the
 * households and (optionally) the barriers into the model (engine/io), picks
 * the metric and output CRS from the communities layer (or, for a re-division,
 * the existing grids'), divides every community (partition.c) or
 * re-divides the existing grids (repartition.c), and writes the layers and
 * the report (partition_outputs.c). A shard keeps only its communities.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rules.h"
#include "run_partition.h"

void gs_partition_opts_init(gs_partition_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* Everything a run owns, freed together by run_free. */
typedef struct part_run {
    const gs_partition_opts *opts;
    gs_input_opts in_default;
    gs_rules rules_default;
    const gs_input_opts *in; /* the caller's, or in_default */
    const gs_rules *rules;   /* the caller's, or rules_default */
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__partition_result r;
    long estimated; /* buildings whose households were estimated */
    gs__out *out;   /* written, not yet committed */
    char started[32];
} part_run;

static void run_init(gs_ctx *ctx, const gs_partition_opts *opts, part_run *r) {
    memset(r, 0, sizeof *r);
    r->opts = opts;
    gs__model_init(&r->m, ctx->geos);
    gs__utc_now(r->started, sizeof r->started);
    gs_input_opts_init(&r->in_default);
    gs_rules_init(&r->rules_default);
    r->in = &r->in_default;
    r->rules = &r->rules_default;
    if (opts && opts->common.input) r->in = opts->common.input;
    if (opts && opts->common.rules) r->rules = opts->common.rules;
}

static void run_free(gs_ctx *ctx, part_run *r) {
    gs__out_abort(r->out);
    gs__partition_result_free(ctx->geos, &r->r);
    gs__model_free(&r->m);
    gs__crsinfo_free(&r->crs);
    gs__inputs_free(&r->info);
}

/* What can be checked before reading: the version, required inputs, the
 * mappings, the output (writable, not an input). */
static int check_options(gs_ctx *ctx, const part_run *r) {
    const gs_partition_opts *opts = r->opts;
    const char *inputs[5] = {opts->communities, opts->households,
                             opts->barriers, opts->existing, NULL};
    int rc;
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    inputs[4] = opts->buildings;
    if (!opts->communities || (!opts->households && !opts->buildings) ||
        !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "partition needs {communities}, {households} (or "
                       "{buildings}) and {output}");
    if ((rc = gs__io_check_opts(ctx, r->in))) return rc;
    return gs__out_check_inputs(ctx, opts->common.output, inputs, 5);
}

/* Such a household counts as a household but adds no persons to its
 * grid's sum, which the persons limit is checked on: say so, as
 * validate's bad_persons does. */
static void warn_bad_persons(gs_ctx *ctx, const part_run *r) {
    const gs__model *m = &r->m;
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < m->n_households; k++)
        if (!m->households[k].persons_ok && bad++ == 0) first = k;
    if (bad) {
        const gs__household *hh = &m->households[first];
        gs__warn(ctx,
                 "%s: %zu household(s) with a missing, negative or "
                 "non-integer persons value, counted as households "
                 "but not as persons (first: household %s, %s %ld)",
                 r->opts->households, bad, hh->id[0] ? hh->id : "(no id)",
                 hh->origin.line > 0 ? "line" : "feature",
                 hh->origin.line > 0 ? hh->origin.line : hh->origin.fid);
    }
}

/* Community codes follow the code rule (6 district + 3 street + 3
 * community digits) and are unique: every grid code is made from one, and
 * validate refuses grid codes that are not 15 digits. */
static int check_community_codes(gs_ctx *ctx, part_run *r) {
    const gs__model *m = &r->m;
    for (size_t i = 0; i < m->n_communities; i++) {
        const char *c = m->communities[i].code;
        size_t n = strlen(c), k;
        char where[600];
        for (k = 0; k < n && c[k] >= '0' && c[k] <= '9'; k++) {
        }
        if (n != 12 || k != n) {
            gs__io_where(&r->info, "communities", m->communities[i].origin,
                         where, sizeof where);
            return gs__err(ctx, GS_ERR_INPUT_VALUE,
                           "%s, field community_code: '%s' is not a "
                           "community code (12 digits: 6 district, 3 "
                           "street, 3 community), so its grids could not "
                           "have 15-digit codes; map a field holding such "
                           "codes with {fields} "
                           "communities.community_code=FIELD",
                           where, c);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->communities[j].code, c)) {
                gs__io_where(&r->info, "communities", m->communities[i].origin,
                             where, sizeof where);
                return gs__err(ctx, GS_ERR_INPUT_VALUE,
                               "%s, field community_code: '%s' is given "
                               "to two communities; each needs its own",
                               where, c);
            }
    }
    return GS_OK;
}

/* The read phase: the CRS (the existing grids' for a re-division, else
 * the communities'), the communities, households and barriers. */
static int read_inputs(gs_ctx *ctx, part_run *r) {
    const gs_partition_opts *opts = r->opts;
    const gs_input_opts *in = r->in;
    int rc;
    gs__phase_begin(ctx);
    if (opts->existing) { /* the output is in the existing grids' CRS */
        gs__progress(ctx, "read grids", -1);
        rc = gs__io_read_grids(ctx, in, opts->existing, &r->m, &r->crs,
                               &r->info);
    } else {
        rc =
            gs__io_pick_crs(ctx, in, "communities", opts->communities, &r->crs);
    }
    if (rc) return rc;
    gs__progress(ctx, "read communities", -1);
    if ((rc = gs__io_read_communities(ctx, in, opts->communities, &r->m,
                                      &r->crs, &r->info)))
        return rc;
    if ((rc = check_community_codes(ctx, r))) return rc;
    if (opts->households) {
        gs__progress(ctx, "read households", 0);
        if ((rc = gs__io_read_households(ctx, in, opts->households, &r->m,
                                         &r->crs, &r->info)) ||
            (rc = gs__io_check_household_ids(ctx, in, &r->m, &r->info)))
            return rc;
        warn_bad_persons(ctx, r);
    }
    if (opts->buildings) {
        gs__progress(ctx, "read buildings", -1);
        if ((rc = gs__io_read_buildings(ctx, in, opts->buildings, &r->m,
                                        &r->crs, &r->info)))
            return rc;
        if (!opts->households) {
            gs__io_estimate_buildings(&r->m, r->rules, &r->estimated);
            if ((rc = gs__io_households_from_buildings(ctx, &r->m))) return rc;
        }
    }
    if (opts->barriers) {
        gs__progress(ctx, "read barriers", -1);
        if ((rc = gs__io_read_barriers(ctx, in, opts->barriers, &r->m, &r->crs,
                                       &r->info)))
            return rc;
    }
    gs__phase_end(ctx, "read");
    return GS_OK;
}

/* The partition phase: a division, or a re-division of existing grids,
 * then what a shard keeps. */
static int analyse(gs_ctx *ctx, part_run *r) {
    const gs_partition_opts *opts = r->opts;
    gs__partition_opts po;
    int rc;
    gs__phase_begin(ctx);
    memset(&po, 0, sizeof po);
    po.seed = opts->seed;
    po.threads = opts->common.threads > 0 ? opts->common.threads : 1;
    po.lock = opts->lock;
    po.n_lock = opts->n_lock;
    rc = opts->existing
             ? gs__repartition_analyse(ctx, &r->m, r->rules, &po, &r->r)
             : gs__partition_analyse(ctx, &r->m, r->rules, &po, &r->r);
    if (rc) return rc;
    gs__partition_result_keep_shard(ctx, &r->r);
    if ((rc = gs__partition_measure_barriers(ctx, &r->m, r->rules, &r->r)))
        return rc;
    gs__phase_end(ctx, "partition");
    return GS_OK;
}

/* The write phase: the output written, not yet in place (r->out). */
static int write_outputs(gs_ctx *ctx, part_run *r) {
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    if ((rc = gs__partition_write(
             ctx, r->opts, r->rules, &r->crs, &r->info, &r->r, &r->m,
             r->opts->households ? -1 : r->estimated, r->started, &r->out)))
        return rc;
    gs__phase_end(ctx, "write");
    return GS_OK;
}

/* The report before the output moves into place (as validate): a run
 * that fails, even for want of memory for its report, never replaces an
 * earlier output. */
static int place_outputs(gs_ctx *ctx, part_run *r, gs_report **out_report) {
    gs__out *o = r->out;
    r->out = NULL; /* committed or aborted by gs__out_commit_report */
    return gs__out_commit_report(
        ctx, o, gs__partition_report(ctx, r->opts, r->rules, &r->r),
        out_report);
}

int gs_partition_run(gs_ctx *ctx, const gs_partition_opts *opts,
                     gs_report **out_report) {
    part_run r;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    run_init(ctx, opts, &r);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_partition_run: missing argument");
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
