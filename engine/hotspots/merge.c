/*
 * merge.c - `gridsmith hotspots --merge`: the reduce step of sharded
 * hotspots runs.
 *
 * A shard (`--shard PREFIX`) analyses its communities and a 1 km halo and
 * writes the rows it owns: the grids and hexagons whose community code has
 * the prefix, and in `categories` the period's events it owns (counted in
 * one of its grids, or, in no grid, lying in one of its hexagons). Counts
 * are then exact, but what depends on the whole study area is not: the
 * order of the categories (cat_1 is the most frequent) and Gi*, whose mean,
 * variance and Benjamini-Hochberg ranks run over every unit.
 *
 * The merge reads only the shards' small output tables, never events:
 *
 *   categories    summed over the sources, ordered as a run orders
 *                 them (most events first, then by text), which fixes
 *                 cat_1..cat_N and cat_other as in a single run;
 *   grid_events   the sources' rows (disjoint: a community code in two
 *                 sources is refused), the cat columns re-mapped through
 *                 each source's `categories`, top_category recomputed from
 *                 them, and Gi* recomputed over all grids on the value the
 *                 rules name (read back from events, events_per_km2 or
 *                 events_per_100hh, which are the very doubles Gi* used),
 *                 with queen contiguity rebuilt by gs__hs_queen_geoms from
 *                 the grid polygons, read through gs__io_read_grids in the
 *                 metric CRS a single run picks (the centre of all grids);
 *   hex_hotspots  the sources' hexagons (each once: a (q, r) in two sources
 *                 is refused), sorted by (r, q) as a run sorts them, Gi*
 *                 recomputed on the counts with ring-1 lattice neighbours
 *                 found from q and r, without geometry;
 *   run_metadata  the period, zone and rules the sources agree on (they
 *                 must), this merge's Gi* notes and the sources merged.
 *
 * The same functions as in a run compute Gi* (gs__hs_gi_run), so a merge
 * equals a single run to the bit when the units come in the same order;
 * the grids come in source order, then each source's order, so a grids
 * layer stored district by district gives the same sums in the same
 * order. Emerging classes, clusters, trouble spots, summaries, event
 * issues and the density raster are not merged: they stay per shard.
 *
 * Everything is read and checked before the writer opens, and the writer
 * commits once (out/writer.c): a failed merge writes nothing. This file
 * runs the steps: merge_read.c reads and checks the sources,
 * merge_units.c recomputes the categories' order and Gi*, merge_write.c
 * writes the layers and the report.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "merge_state.h"
#include "report.h"
#include "shard.h"

/* The most sources one merge takes (a province has ~3,000 streets). */
#define MAX_SOURCES 10000

/* Features before their datasets: a feature uses its layer's definition. */
static void merge_free(gs__hs_merge *M) {
    for (size_t k = 0; k < M->nhex; k++) OGR_F_Destroy(M->hex[k].f);
    free(M->hex);
    for (size_t i = 0; i < M->ns; i++) {
        gs__hs_msrc *s = &M->s[i];
        for (size_t k = 0; k < GS__HS_N_SAME; k++) free(s->meta[k]);
        for (size_t k = 0; k < s->ncats; k++) {
            free(s->cats[k].label);
            free(s->cats[k].field);
        }
        free(s->cats);
        for (size_t k = 0; k < s->n_grid_f; k++) OGR_F_Destroy(s->grid_f[k]);
        free(s->grid_f);
        gs__model_free(&s->m);
        if (s->ds) GDALClose(s->ds);
        free(s->path);
    }
    free(M->s);
    free(M->cats);
    free(M->grids);
    gs__hs_gi_free(&M->grid_gi);
    gs__hs_gi_free(&M->hex_gi);
    gs__crsinfo_free(&M->crs);
    free(M->rules);
}

/* What can be checked before reading: the output, no inputs of a run, no
 * shard, not too many sources, none of them the output. */
static int check_options(gs_ctx *ctx, const gs_hotspots_opts *opts) {
    if (!opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE, "hotspots {merge} needs {output}");
    if (opts->grids || opts->events || opts->communities || opts->households)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots {merge} reads the shards' outputs; it takes "
                       "no {grids}, {events}, {communities} or {households}");
    if (gs__shard_active(ctx))
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots {merge} goes without {shard}");
    if (opts->n_merge > MAX_SOURCES)
        return gs__err(ctx, GS_ERR_USAGE, "more than %d {merge} sources",
                       MAX_SOURCES);
    return gs__out_check_inputs(ctx, opts->common.output,
                                (const char *const *)opts->merge,
                                opts->n_merge);
}

/* The read phase: the sources, and the categories merged. */
static int read_inputs(gs_ctx *ctx, gs__hs_merge *M) {
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "read shard outputs", -1);
    if ((rc = gs__hs_merge_read(M)) || (rc = gs__hs_merge_categories(M)))
        return rc;
    gs__phase_end(ctx, "read");
    return GS_OK;
}

/* The analyse phase: Gi* of the grids and of the hexagons. */
static int analyse(gs_ctx *ctx, gs__hs_merge *M) {
    int rc;
    gs__phase_begin(ctx);
    if ((rc = gs__hs_merge_grid_gi(M)) || (rc = gs__hs_merge_hexes(M)))
        return rc;
    gs__phase_end(ctx, "analyse");
    return GS_OK;
}

/* The write phase: the layers into the output, not yet committed
 * (*out_o); on failure nothing is left and *out_o is NULL. */
static int write_outputs(gs_ctx *ctx, gs__hs_merge *M, gs__out **out_o) {
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    if ((rc = gs__out_open(ctx, M->opts->common.output, M->crs.output,
                           M->crs.metric, out_o)))
        return rc;
    if ((rc = gs__hs_merge_write(M, *out_o))) {
        gs__out_abort(*out_o);
        *out_o = NULL;
        return rc;
    }
    gs__phase_end(ctx, "write");
    return GS_OK;
}

int gs__hotspots_merge(gs_ctx *ctx, const gs_hotspots_opts *opts,
                       gs_report **out_report) {
    gs__hs_merge M;
    gs__out *o = NULL;
    int rc;
    memset(&M, 0, sizeof M);
    M.ctx = ctx;
    M.opts = opts;
    gs__utc_now(M.started, sizeof M.started);
    if ((rc = check_options(ctx, opts))) return rc;
    M.ns = opts->n_merge;
    if (!(M.s = gs__calloc(M.ns, sizeof *M.s)))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M.ns; i++) {
        M.s[i].name = opts->merge[i];
        gs__model_init(&M.s[i].m, ctx->geos);
    }
    if ((rc = read_inputs(ctx, &M)) || (rc = analyse(ctx, &M)) ||
        (rc = write_outputs(ctx, &M, &o)))
        goto done;
    /* The report before the output moves into place, as a run. */
    rc = gs__out_commit_report(ctx, o, gs__hs_merge_report(&M), out_report);
done:
    merge_free(&M);
    return rc;
}
