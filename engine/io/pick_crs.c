/*
 * pick_crs.c - the CRSes of a run: the metric one, picked from the centre
 * of a layer, and the output one, the layer's own.
 *
 * Grids decide both (gs__io_read_grids); a run that reads no grids asks
 * here with another role's layer, reading its extent, not its features.
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
    OGREnvelope env;
    int rc;
    gs__arena_init(&scratch);
    rc = gs__src_open(ctx, opts, role, path, 1, &scratch, &s, NULL);
    if (rc) goto done;
    if (OGR_L_GetExtent(s.lyr, &env, 1) != OGRERR_NONE)
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (%s): the layer has no geometry", path,
                     s.layer, role);
    if (!rc) rc = gs__src_check_geographic(&s, &env);
    if (!rc) rc = gs__src_pick_crs(&s, &env, crs);
    gs__src_close(&s);
done:
    gs__arena_free(&scratch);
    return rc;
}
