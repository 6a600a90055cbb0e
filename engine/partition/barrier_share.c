/*
 * barrier_share.c - the share of each grid's inner boundary that runs
 * along a barrier, measured on the grids as written.
 *
 * A grid's inner boundary is its boundary off its community's boundary
 * (farther than EDGE_M from it: the grids' vertices are on a 1 mm grid);
 * the part of it within the rules' barrier_tolerance_m of a barrier line
 * is on a barrier. This is what a planner measures in a GIS (boundary
 * within a metre of a road), so the figure is the grids' own, not the
 * division's graph: footprints kept whole and corridors split down their
 * middle count as they lie. Per community the sums over its grids (a
 * line between two grids counts for both, as each grid sees it).
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "partition.h"

/* Boundary this near the community's boundary is the community's. */
#define EDGE_M 0.01

/* The zone within `tol` of the barriers near geometry g; NULL when there
 * are none (or on failure, *failed set). */
static GEOSGeometry *barrier_zone(GEOSContextHandle_t h, const gs__model *m,
                                  GEOSSTRtree *tree, gs__cands *c,
                                  const GEOSGeometry *g, double tol,
                                  int *failed) {
    GEOSGeometry **v, *coll, *u, *z, *env;
    unsigned n = 0;
    *failed = 0;
    env = GEOSEnvelope_r(h, g);
    if (!env) goto fail;
    {
        GEOSGeometry *wide = GEOSBuffer_r(h, env, tol + 1.0, 1);
        GEOSGeom_destroy_r(h, env);
        env = wide;
        if (!env) goto fail;
    }
    if (gs__strtree_query(h, tree, env, c)) goto fail;
    if (c->n == 0) {
        GEOSGeom_destroy_r(h, env);
        return NULL;
    }
    v = gs__malloc(c->n * sizeof *v);
    if (!v) goto fail;
    for (size_t k = 0; k < c->n; k++) {
        GEOSGeometry *x = GEOSIntersection_r(h, m->barriers[c->v[k]].geom, env);
        if (!x) {
            while (n > 0) GEOSGeom_destroy_r(h, v[--n]);
            free(v);
            goto fail;
        }
        v[n++] = x;
    }
    GEOSGeom_destroy_r(h, env);
    env = NULL;
    coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, v, n);
    free(v);
    if (!coll) goto fail;
    u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    if (!u) goto fail;
    z = tol > 0 ? GEOSBuffer_r(h, u, tol, 4) : NULL;
    GEOSGeom_destroy_r(h, u);
    if (tol > 0 && !z) goto fail;
    return z;
fail:
    GEOSGeom_destroy_r(h, env);
    *failed = 1;
    return NULL;
}

/* Grid g's inner boundary length and the part of it in `zone` (may be
 * NULL); -1 on failure. */
static int measure(GEOSContextHandle_t h, const GEOSGeometry *geom,
                   const GEOSGeometry *edge, const GEOSPreparedGeometry *pzone,
                   const GEOSGeometry *zone, double *len, double *on) {
    GEOSGeometry *b = GEOSBoundary_r(h, geom), *in, *x;
    *len = *on = 0;
    if (!b) return -1;
    in = edge ? GEOSDifference_r(h, b, edge) : GEOSGeom_clone_r(h, b);
    GEOSGeom_destroy_r(h, b);
    if (!in) return -1;
    GEOSLength_r(h, in, len);
    if (zone && *len > 0 && GEOSPreparedIntersects_r(h, pzone, in) == 1) {
        x = GEOSIntersection_r(h, in, zone);
        if (!x) {
            GEOSGeom_destroy_r(h, in);
            return -1;
        }
        GEOSLength_r(h, x, on);
        GEOSGeom_destroy_r(h, x);
    }
    GEOSGeom_destroy_r(h, in);
    return 0;
}

int gs__partition_measure_barriers(gs_ctx *ctx, const gs__model *m,
                                   const gs_rules *rules,
                                   gs__partition_result *r) {
    GEOSContextHandle_t h = ctx->geos;
    size_t *ids = NULL;
    GEOSSTRtree *tree = NULL;
    gs__cands c;
    int rc = GS_OK;
    memset(&c, 0, sizeof c);
    if (m->n_barriers) {
        tree =
            gs__strtree_of(h, m->barriers, m->n_barriers, sizeof *m->barriers,
                           offsetof(gs__barrier, geom), &ids);
        if (!tree) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (size_t ci = 0; ci < m->n_communities && !rc; ci++) {
        const gs__community *cm = &m->communities[ci];
        GEOSGeometry *edge = NULL, *zone = NULL, *bnd;
        const GEOSPreparedGeometry *pz = NULL;
        int failed = 0;
        if (!cm->geom) continue;
        bnd = GEOSBoundary_r(h, cm->geom);
        edge = bnd ? GEOSBuffer_r(h, bnd, EDGE_M, 2) : NULL;
        GEOSGeom_destroy_r(h, bnd);
        if (tree)
            zone = barrier_zone(h, m, tree, &c, cm->geom,
                                rules->barrier_tolerance_m, &failed);
        if (zone) pz = GEOSPrepare_r(h, zone);
        if (!edge || failed || (zone && !pz)) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "barrier share of community %s failed in GEOS",
                             cm->code);
        }
        for (size_t i = 0; !rc && i < r->n_grids; i++) {
            gs__partition_grid *g = &r->grids[i];
            if (!g->geom || strcmp(g->community_code, cm->code)) continue;
            if (measure(h, g->geom, edge, pz, zone, &g->cut_len,
                        &g->cut_barrier))
                rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                                 "barrier share of grid %s failed in GEOS",
                                 g->code);
        }
        if (pz) GEOSPreparedGeom_destroy_r(h, pz);
        GEOSGeom_destroy_r(h, zone);
        GEOSGeom_destroy_r(h, edge);
    }
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    free(ids);
    gs__cands_free(&c);
    return rc;
}
