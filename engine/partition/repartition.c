/*
 * repartition.c - re-dividing existing grids with minimal change: the
 * whole model.
 *
 * Households are grouped by building (building_groups.c) and each group
 * is placed in the grid covering its mean point, the lowest code first,
 * by the rule every command assigns households with (gs__assign_points).
 * Every community is then handled on its own with the groups of its
 * grids (redivide_community.c), and the groups in no existing grid that
 * lie in it: the repair fills gaps (grid_repair.c), and what is still in
 * no grid is told in the community's note.
 * Grids of no known community are written as they are.
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "households.h"
#include "redivision.h"

/* The groups and where they are, for every community's re-division. */
typedef struct model_groups {
    gs__building_group *groups;
    size_t n;
    long *gcomm; /* per group: its community, or -1 */
    long *gold;  /* per group: its old grid, or -1 */
    GEOSSTRtree *barriers;
    size_t *barrier_ids;
} model_groups;

static void model_groups_free(GEOSContextHandle_t h, model_groups *g) {
    if (g->barriers) GEOSSTRtree_destroy_r(h, g->barriers);
    free(g->barrier_ids);
    gs__building_groups_free(h, g->groups, g->n);
    free(g->gcomm);
    free(g->gold);
}

/* Each group's old grid: among the grids covering its point, the lowest
 * code (model order on ties), as every command assigns households; -1
 * none. */
static int groups_to_grids(gs_ctx *ctx, const gs__model *m,
                           const gs__building_group *g, size_t ng, int threads,
                           long *gold) {
    double *x = gs__malloc((ng ? ng : 1) * sizeof *x);
    double *y = gs__malloc((ng ? ng : 1) * sizeof *y);
    int rc;
    if (!x || !y) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ng; i++) {
        x[i] = g[i].x;
        y[i] = g[i].y;
    }
    rc = gs__assign_points(ctx, m, x, y, ng, threads, gold);
done:
    free(x);
    free(y);
    return rc;
}

/* The groups, their communities and old grids, and an index of the
 * barriers. */
static int find_groups(gs_ctx *ctx, const gs__model *m,
                       const gs__partition_opts *opts,
                       gs__partition_result *out, model_groups *g) {
    int rc = gs__building_groups_make(ctx, m, &g->groups, &g->n, &g->gcomm,
                                      &out->unplaced);
    if (rc) return rc;
    g->gold = gs__malloc((g->n ? g->n : 1) * sizeof *g->gold);
    g->barriers = gs__strtree_of(ctx->geos, m->barriers, m->n_barriers,
                                 sizeof *m->barriers,
                                 offsetof(gs__barrier, geom), &g->barrier_ids);
    if (!g->gold || !g->barriers)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    return groups_to_grids(ctx, m, g->groups, g->n, opts ? opts->threads : 1,
                           g->gold);
}

/* Community c's share: the groups of its grids (by the grid's community
 * code) into in->groups and in->gold, the barriers near it into
 * in->lines (arrays sized for every group and barrier), the households of
 * its groups in no grid into *orphans. GS_ERR_NOMEM, no message. */
static int community_share(GEOSContextHandle_t h, const gs__model *m,
                           const model_groups *g, size_t c, gs__cands *cands,
                           gs__redivide_in *in, long *gold, long *orphans) {
    const gs__community *cm = &m->communities[c];
    in->n_groups = in->n_lines = 0;
    *orphans = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->gold[i] >= 0) {
            const char *gc = m->grids[g->gold[i]].community_code;
            if (!gc || strcmp(gc, cm->code)) continue;
        } else if (g->gcomm[i] != (long)c) {
            continue;
        } else { /* in a gap: the repair may fill it */
            *orphans += g->groups[i].hh;
        }
        in->groups[in->n_groups] = g->groups[i];
        gold[in->n_groups++] = g->gold[i];
    }
    if (m->n_barriers && cm->geom) {
        if (gs__strtree_query(h, g->barriers, cm->geom, cands))
            return GS_ERR_NOMEM;
        for (size_t k = 0; k < cands->n; k++) {
            in->line_cls[in->n_lines] = m->barriers[cands->v[k]].cls;
            in->lines[in->n_lines++] = m->barriers[cands->v[k]].geom;
        }
    }
    return GS_OK;
}

/* Re-divides every community, in model order. */
static int redivide_all(gs_ctx *ctx, const gs__model *m, const gs_rules *rules,
                        const gs__partition_opts *opts, const model_groups *g,
                        gs__partition_result *out, size_t *cap,
                        size_t *cap_ch) {
    gs__redivide_in in;
    long *gold = gs__malloc((g->n ? g->n : 1) * sizeof *gold), orphans;
    gs__cands cands;
    int rc = GS_OK;
    memset(&cands, 0, sizeof cands);
    memset(&in, 0, sizeof in);
    in.groups = gs__malloc((g->n ? g->n : 1) * sizeof *in.groups);
    in.lines =
        gs__malloc((m->n_barriers ? m->n_barriers : 1) * sizeof *in.lines);
    in.line_cls =
        gs__malloc((m->n_barriers ? m->n_barriers : 1) * sizeof *in.line_cls);
    in.gold = gold;
    if (!gold || !in.groups || !in.lines || !in.line_cls) goto nomem;
    for (size_t c = 0; c < m->n_communities && !rc; c++) {
        gs__partition_sum *s = &out->sums[c];
        s->community_code = m->communities[c].code;
        s->name = m->communities[c].name;
        gs__progress(ctx, "re-division", (double)c / (double)m->n_communities);
        if (community_share(ctx->geos, m, g, c, &cands, &in, gold, &orphans))
            goto nomem;
        rc = gs__redivide_community(ctx, m, rules, opts, c, &in, out, cap,
                                    cap_ch);
        (void)orphans; /* the community's note tells those left */
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    gs__cands_free(&cands);
    free(gold);
    free(in.groups);
    free(in.lines);
    free(in.line_cls);
    return rc;
}

/* Grids of no known community, written as they are with a note. */
static int keep_unknown_grids(gs_ctx *ctx, const gs__model *m,
                              gs__partition_result *out, size_t *cap) {
    GEOSContextHandle_t h = ctx->geos;
    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__grid *g = &m->grids[i];
        int known = 0;
        gs__partition_grid pg;
        for (size_t c = 0; c < m->n_communities && !known; c++)
            known = g->community_code && g->geom &&
                    !strcmp(g->community_code, m->communities[c].code);
        if (known) continue;
        memset(&pg, 0, sizeof pg);
        snprintf(pg.code, sizeof pg.code, "%s", g->code ? g->code : "");
        pg.community_code = g->community_code ? g->community_code : "";
        pg.grid_type = g->grid_type ? g->grid_type : "basic";
        pg.src_wkb = g->src_wkb;
        pg.src_wkb_len = g->src_wkb_len;
        pg.geom = g->geom ? GEOSGeom_clone_r(h, g->geom) : NULL;
        snprintf(pg.note, sizeof pg.note,
                 "kept: community %s is not among the communities",
                 pg.community_code);
        if (gs__partition_result_push(out, cap, &pg)) {
            GEOSGeom_destroy_r(h, pg.geom);
            return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        }
    }
    return GS_OK;
}

int gs__repartition_analyse(gs_ctx *ctx, const gs__model *m,
                            const gs_rules *rules,
                            const gs__partition_opts *opts,
                            gs__partition_result *out) {
    model_groups g;
    size_t cap = 0, cap_ch = 0;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&g, 0, sizeof g);
    out->sums =
        gs__calloc(m->n_communities ? m->n_communities : 1, sizeof *out->sums);
    if (!out->sums) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    out->n_sums = m->n_communities;
    if ((rc = find_groups(ctx, m, opts, out, &g)) ||
        (rc = redivide_all(ctx, m, rules, opts, &g, out, &cap, &cap_ch)))
        goto done;
    rc = keep_unknown_grids(ctx, m, out, &cap);
done:
    model_groups_free(ctx->geos, &g);
    return rc;
}
