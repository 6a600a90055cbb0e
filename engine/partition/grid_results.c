/*
 * grid_results.c - the result of a partition or re-division: its grids,
 * summary rows and changes, how grids are numbered, and what a shard
 * keeps.
 *
 * Grids are numbered per community in reading order: rows of the typical
 * grid size from north to south, west to east within a row, so a code
 * says roughly where its grid lies and the numbering does not depend on
 * the order parts were made in.
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition.h"
#include "shard.h"

int gs__partition_grid_ok(const gs__partition_grid *g) {
    return !g->note[0] || !strncmp(g->note, "persons criterion", 17) ||
           !strncmp(g->note, "oversize allowed", 16);
}

int gs__partition_result_push(gs__partition_result *r, size_t *cap,
                              const gs__partition_grid *g) {
    if (r->n_grids == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        gs__partition_grid *ng = gs__realloc(r->grids, nc * sizeof *ng);
        if (!ng) return GS_ERR_NOMEM;
        r->grids = ng;
        *cap = nc;
    }
    r->grids[r->n_grids++] = *g;
    return GS_OK;
}

int gs__partition_result_push_change(gs__partition_result *r, size_t *cap,
                                     const gs__partition_change *c) {
    if (r->n_changes == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        gs__partition_change *n = gs__realloc(r->changes, nc * sizeof *n);
        if (!n) return GS_ERR_NOMEM;
        r->changes = n;
        *cap = nc;
    }
    r->changes[r->n_changes++] = *c;
    return GS_OK;
}

/* A grid's place in the reading order. */
typedef struct outgrid {
    double cx, cy;
    long row;
    size_t idx;
} outgrid;

static int cmp_reading(const void *a, const void *b) {
    const outgrid *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->cx != y->cx) return x->cx < y->cx ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int gs__partition_grids_number(GEOSContextHandle_t h, gs__partition_result *r,
                               size_t first, const char *community_code,
                               double area, long next) {
    size_t n = r->n_grids - first;
    outgrid *og = gs__malloc((n ? n : 1) * sizeof *og);
    double band = sqrt(area / (double)(n ? n : 1));
    if (!og) return GS_ERR_NOMEM;
    if (!(band > 0)) band = 1;
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *ct = GEOSPointOnSurface_r(h, r->grids[first + i].geom);
        og[i].idx = first + i;
        og[i].cx = og[i].cy = 0;
        if (ct) {
            GEOSGeomGetX_r(h, ct, &og[i].cx);
            GEOSGeomGetY_r(h, ct, &og[i].cy);
            GEOSGeom_destroy_r(h, ct);
        }
        og[i].row = lround(floor(-og[i].cy / band));
    }
    qsort(og, n, sizeof *og, cmp_reading);
    for (size_t i = 0; i < n; i++)
        snprintf(r->grids[og[i].idx].code, sizeof r->grids[0].code, "%s%03ld",
                 community_code, next + (long)i);
    free(og);
    return GS_OK;
}

void gs__partition_result_keep_shard(gs_ctx *ctx, gs__partition_result *r) {
    size_t k = 0;
    if (!gs__shard_active(ctx)) return;
    for (size_t i = 0; i < r->n_grids; i++) {
        if (gs__shard_owns(ctx, r->grids[i].community_code))
            r->grids[k++] = r->grids[i];
        else
            GEOSGeom_destroy_r(ctx->geos, r->grids[i].geom);
    }
    r->n_grids = k;
    k = 0;
    for (size_t i = 0; i < r->n_sums; i++)
        if (gs__shard_owns(ctx, r->sums[i].community_code))
            r->sums[k++] = r->sums[i];
    r->n_sums = k;
    k = 0;
    for (size_t i = 0; i < r->n_changes; i++)
        if (gs__shard_owns(ctx, r->changes[i].community_code))
            r->changes[k++] = r->changes[i];
    r->n_changes = k;
    r->unplaced = 0;
}

void gs__partition_result_free(GEOSContextHandle_t h, gs__partition_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_grids; i++)
        GEOSGeom_destroy_r(h, r->grids[i].geom);
    free(r->grids);
    free(r->sums);
    free(r->changes);
    memset(r, 0, sizeof *r);
}
