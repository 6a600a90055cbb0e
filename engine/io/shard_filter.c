/*
 * shard_filter.c - reading only what lies in the shard's extent: the
 * extent (shard_extent.c finds it) set as a layer's spatial filter when a
 * source is opened (source.c), which a PG: source answers from its index.
 */
#include "crs.h"
#include "shard.h"
#include "source.h"

/* Sets the shard's extent (with its halo) as the layer's spatial filter,
 * transformed into the layer's CRS when it differs. */
int gs__src_shard_filter(gs__src *s) {
    gs_ctx *ctx = s->ctx;
    double e[4], x0, y0, x1, y1;
    const char *ewkt = NULL;
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(s->lyr), esrs;
    gs__shard_extent(ctx, e, &ewkt);
    x0 = e[0], y0 = e[1], x1 = e[2], y1 = e[3];
    esrs = OSRNewSpatialReference(ewkt);
    if (!esrs) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    OSRSetAxisMappingStrategy(esrs, OAMS_TRADITIONAL_GIS_ORDER);
    if (lsrs && !OSRIsSame(lsrs, esrs)) {
        OGRSpatialReferenceH l = gs__srs_clone_gis(lsrs);
        OGRCoordinateTransformationH ct =
            l ? OCTNewCoordinateTransformation(esrs, l) : NULL;
        int ok = ct && OCTTransformBounds(ct, e[0], e[1], e[2], e[3], &x0, &y0,
                                          &x1, &y1, 21);
        if (ct) OCTDestroyCoordinateTransformation(ct);
        if (l) OSRDestroySpatialReference(l);
        if (!ok) {
            OSRDestroySpatialReference(esrs);
            return gs__err_lib(ctx, GS_ERR_INPUT_CRS,
                               "%s, layer %s (%s): cannot transform the "
                               "shard's extent into the layer's CRS",
                               s->path, s->layer, s->role);
        }
    }
    OSRDestroySpatialReference(esrs);
    OGR_L_SetSpatialFilterRect(s->lyr, x0, y0, x1, y1);
    return GS_OK;
}
