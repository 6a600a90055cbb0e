/*
 * households.c - which grid each household belongs to.
 *
 * docs/design.md, "The household rule": among the grids whose closed (repaired)
 * polygon covers the point (on an edge, at a vertex, inside an overlap), the
 * one with the lowest grid_code in string order, ties by input order; none: the
 * household is an orphan. validate, patrol, hotspots and assess all count
 * households this way, so it lives below them; hotspots places its events and a
 * re-division its buildings by the same rule (gs__assign_points).
 *
 * An STRtree on grid envelopes finds candidates, prepared geometries
 * answer covers. Workers split the households; each has its own GEOS
 * handle, clones, tree and prepared geometries, because GEOS builds trees
 * and prepared indexes lazily and they must not be shared.
 */
#define _POSIX_C_SOURCE 200809L
#include "households.h"

#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "pool.h"

/* The points to place: point k is at x[k], y[k], each array `stride`
 * bytes a step (the households' fields, or plain arrays). */
typedef struct points {
    const double *x, *y;
    size_t stride, n;
} points;

typedef struct assign_job {
    const gs__model *m;
    const points *pts;
    size_t from, to;
    long *out; /* point -> grid or -1 */
    int rc;
} assign_job;

static double coord(const double *v, size_t stride, size_t k) {
    return *(const double *)((const char *)v + k * stride);
}

static void *assign_worker(void *arg) {
    assign_job *job = arg;
    const gs__model *m = job->m;
    GEOSContextHandle_t h = GEOS_init_r();
    GEOSGeometry **geoms = NULL;
    const GEOSPreparedGeometry **prep = NULL;
    GEOSSTRtree *tree = NULL;
    size_t *ids = NULL, n = m->n_grids;
    gs__cands c = {0};
    job->rc = GS_OK;
    if (!h) {
        job->rc = GS_ERR_NOMEM;
        return NULL;
    }
    geoms = gs__calloc(n ? n : 1, sizeof *geoms);
    prep = gs__calloc(n ? n : 1, sizeof *prep);
    ids = gs__calloc(n ? n : 1, sizeof *ids);
    tree = GEOSSTRtree_create_r(h, 10);
    if (!geoms || !prep || !ids || !tree) goto nomem;
    for (size_t i = 0; i < n; i++) {
        ids[i] = i;
        geoms[i] =
            m->grids[i].geom ? GEOSGeom_clone_r(h, m->grids[i].geom) : NULL;
        if (!geoms[i]) goto nomem;
        if (GEOSisEmpty_r(h, geoms[i])) continue;
        prep[i] = GEOSPrepare_r(h, geoms[i]);
        if (!prep[i]) goto nomem;
        GEOSSTRtree_insert_r(h, tree, geoms[i], &ids[i]);
    }
    for (size_t k = job->from; k < job->to; k++) {
        const points *p = job->pts;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(
            h, coord(p->x, p->stride, k), coord(p->y, p->stride, k));
        long best = -1;
        if (!pt || gs__strtree_query(h, tree, pt, &c)) {
            if (pt) GEOSGeom_destroy_r(h, pt);
            goto nomem;
        }
        for (size_t j = 0; j < c.n; j++) {
            size_t i = c.v[j];
            /* For a point, intersects == covered by the closed polygon. */
            if (GEOSPreparedIntersects_r(h, prep[i], pt) != 1) continue;
            if (best < 0 || strcmp(m->grids[i].code, m->grids[best].code) < 0)
                best = (long)i; /* candidates ascend: ties keep the first */
        }
        job->out[k] = best;
        GEOSGeom_destroy_r(h, pt);
    }
    goto done;
nomem:
    job->rc = GS_ERR_NOMEM;
done:
    free(c.v);
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    for (size_t i = 0; prep && i < n; i++)
        if (prep[i]) GEOSPreparedGeom_destroy_r(h, prep[i]);
    for (size_t i = 0; geoms && i < n; i++)
        if (geoms[i]) GEOSGeom_destroy_r(h, geoms[i]);
    free(prep);
    free(geoms);
    free(ids);
    GEOS_finish_r(h);
    return NULL;
}

/* Places the points on `threads` workers, each with its own GEOS handle:
 * out[k] for point k. GS_ERR_NOMEM with the context's message. */
static int assign(gs_ctx *ctx, const gs__model *m, const points *pts,
                  int threads, long *out) {
    assign_job jobs[GS__POOL_MAX];
    size_t n = pts->n;
    int rc = GS_OK;
    threads = gs__pool_workers(threads, n, 1000);
    for (int t = 0; t < threads; t++) {
        jobs[t].m = m;
        jobs[t].pts = pts;
        jobs[t].from = n * (size_t)t / (size_t)threads;
        jobs[t].to = n * (size_t)(t + 1) / (size_t)threads;
        jobs[t].out = out;
        jobs[t].rc = GS_OK;
    }
    gs__parallel(assign_worker, jobs, sizeof jobs[0], threads);
    for (int t = 0; t < threads; t++)
        if (jobs[t].rc) rc = jobs[t].rc;
    if (rc) return gs__err(ctx, rc, "out of memory assigning households");
    return GS_OK;
}

int gs__assign_households(gs_ctx *ctx, const gs__model *m, int threads,
                          long *out) {
    points pts = {NULL, NULL, sizeof *m->households, m->n_households};
    if (m->n_households > 0) {
        pts.x = &m->households[0].x;
        pts.y = &m->households[0].y;
    }
    return assign(ctx, m, &pts, threads, out);
}

int gs__assign_points(gs_ctx *ctx, const gs__model *m, const double *x,
                      const double *y, size_t n, int threads, long *out) {
    points pts = {x, y, sizeof *x, n};
    return assign(ctx, m, &pts, threads, out);
}
