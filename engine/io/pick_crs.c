/*
 * pick_crs.c - the CRSes of a run: the metric one, picked from the centre
 * of a layer, and the output one, the layer's own.
 *
 * Grids decide both (gs__io_read_grids); a run that reads no grids asks
 * here with another role's layer. Either way the centre is that of the
 * layer's good vertices (coords.c): one vertex at (0, 0) must not move
 * the CRS sixty degrees west.
 */
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "source.h"

void gs__crsinfo_free(gs__crsinfo *c) {
    if (c->metric) OSRDestroySpatialReference(c->metric);
    if (c->output) OSRDestroySpatialReference(c->output);
    free(c->metric_name);
    memset(c, 0, sizeof *c);
}

/* Picks the metric CRS from the centre of `env` (in the source's CRS) and
 * makes the source's CRS the output one. */
int gs__src_pick_crs(gs__src *s, const OGREnvelope *env, gs__crsinfo *crs) {
    int rc = gs__crs_pick_metric(s->ctx, s->srs, (env->MinX + env->MaxX) / 2,
                                 (env->MinY + env->MaxY) / 2, &crs->metric,
                                 &crs->metric_name);
    if (rc) return rc;
    crs->output = OSRClone(s->srs);
    if (!crs->output) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    OSRSetAxisMappingStrategy(crs->output, OAMS_TRADITIONAL_GIS_ORDER);
    return GS_OK;
}

int gs__io_pick_crs(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                    const char *path, gs__crsinfo *crs) {
    gs__src s;
    gs__arena scratch;
    gs__model scratch_model;
    gs__rawfeat *raw = NULL;
    gs__far *far = NULL;
    gs__bulk bulk;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    int rc;
    gs__arena_init(&scratch);
    /* Features with problems are the reader's to report, later: here they
     * are only left out. */
    gs__model_init(&scratch_model, ctx->geos);
    rc = gs__src_open(ctx, opts, role, path, 1, &scratch, &s, NULL);
    if (rc) goto done;
    rc = gs__src_read_polys(&s, &scratch_model, &raw, &n, &env);
    if (!rc && !(far = gs__calloc(n, sizeof *far)))
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if (!rc) rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, NULL);
    if (!rc) rc = gs__src_check_geographic(&s, &env);
    if (!rc) rc = gs__src_pick_crs(&s, &env, crs);
    gs__src_close(&s);
done:
    free(far);
    gs__rawfeats_free(raw, n);
    gs__model_free(&scratch_model);
    gs__arena_free(&scratch);
    return rc;
}
