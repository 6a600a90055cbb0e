/*
 * shard_extent.c - the extent of a shard, and reading only what lies in
 * it.
 *
 * A shard (gs_ctx_set_shards) is a set of community-code prefixes. Its
 * extent is the envelope of its grids and communities, found with an
 * attribute filter on community_code (one indexed query on a PG: source),
 * widened by a halo; every spatial reader then sets it as its layer's
 * spatial filter, which PostGIS answers from its index. The extent is
 * kept on the context (core/shard.h) in the CRS of the first layer that
 * gave one.
 */
#define _DEFAULT_SOURCE /* M_PI */
#include <math.h>
#include <stdlib.h>

#include "crs.h"
#include "shard.h"
#include "source.h"

/* Widens the shard's extent by the envelope of the role's features whose
 * community_code has a shard prefix (an attribute filter), transformed
 * into the extent's CRS; the first layer with such features sets that
 * CRS. A CSV adds nothing. GS_ERR_INPUT_FIELD when the filter is refused,
 * GS_ERR_INPUT_CRS. */
static int shard_envelope(gs_ctx *ctx, const gs_input_opts *opts,
                          const char *role, const char *path,
                          gs__inputs *info) {
    gs__src s;
    OGREnvelope env;
    OGRSpatialReferenceH esrs = NULL;
    char *q = NULL, *wkt = NULL;
    const char *field, *ewkt = NULL;
    double ext[4];
    int rc = gs__src_open(ctx, opts, role, path, 1, NULL, &s, NULL);
    (void)info;
    if (rc) return rc;
    if (s.is_csv) goto done;             /* no polygons in a CSV */
    OGR_L_SetSpatialFilter(s.lyr, NULL); /* the extent is being made */
    field = gs__src_mapped(&s, "community_code");
    q = gs__shard_filter(ctx, field ? field : "community_code");
    if (!q) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    gs__libmsg_clear(ctx);
    if (OGR_L_SetAttributeFilter(s.lyr, q) != OGRERR_NONE) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_FIELD,
                         "%s, layer %s (%s): cannot select the shard with %s",
                         path, s.layer, role, q);
        goto done;
    }
    /* No feature: nothing to add (some drivers still return an extent). */
    if (OGR_L_GetFeatureCount(s.lyr, 1) <= 0 ||
        OGR_L_GetExtent(s.lyr, &env, 1) != OGRERR_NONE)
        goto done;
    if (!gs__shard_extent(ctx, ext, &ewkt)) {
        if (OSRExportToWkt(s.srs, &wkt) != OGRERR_NONE) {
            rc = gs__err(ctx, GS_ERR_INPUT_CRS, "%s: unusable CRS", path);
            goto done;
        }
        ext[0] = env.MinX, ext[1] = env.MinY;
        ext[2] = env.MaxX, ext[3] = env.MaxY;
        gs__shard_extent_add(ctx, ext, wkt);
        goto done;
    }
    esrs = OSRNewSpatialReference(ewkt);
    if (!esrs) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OSRSetAxisMappingStrategy(esrs, OAMS_TRADITIONAL_GIS_ORDER);
    if (!OSRIsSame(s.srs, esrs)) {
        OGRCoordinateTransformationH ct =
            OCTNewCoordinateTransformation(s.srs, esrs);
        double x0, y0, x1, y1;
        int ok = ct && OCTTransformBounds(ct, env.MinX, env.MinY, env.MaxX,
                                          env.MaxY, &x0, &y0, &x1, &y1, 21);
        if (ct) OCTDestroyCoordinateTransformation(ct);
        if (!ok) {
            rc =
                gs__err_lib(ctx, GS_ERR_INPUT_CRS,
                            "%s (%s): cannot transform its extent", path, role);
            goto done;
        }
        env.MinX = x0, env.MinY = y0, env.MaxX = x1, env.MaxY = y1;
    }
    ext[0] = env.MinX, ext[1] = env.MinY;
    ext[2] = env.MaxX, ext[3] = env.MaxY;
    gs__shard_extent_add(ctx, ext, NULL);
done:
    if (esrs) OSRDestroySpatialReference(esrs);
    free(q);
    gs__src_close(&s);
    return rc;
}

int gs__io_shard_extent(gs_ctx *ctx, const gs_input_opts *opts,
                        const char *grids, const char *communities,
                        double halo_m, gs__inputs *info) {
    int rc;
    double dx, dy, ext[4];
    const char *ewkt = NULL;
    if (!gs__shard_active(ctx)) return GS_OK;
    gs__shard_extent_reset(ctx);
    if ((rc = shard_envelope(ctx, opts, "grids", grids, info))) return rc;
    if (communities &&
        (rc = shard_envelope(ctx, opts, "communities", communities, info)))
        return rc;
    if (!gs__shard_extent(ctx, ext, &ewkt))
        return gs__err(ctx, GS_ERR_INPUT_EMPTY,
                       "%s: no grid or community has a code starting with "
                       "the shard %s",
                       grids, gs__shard_key(ctx));
    /* The halo in the extent's own units: degrees for lon/lat (a degree of
     * latitude is 111 km; longitude degrees are shorter, so use the
     * latitude's cosine), metres otherwise. */
    dx = dy = halo_m;
    {
        OGRSpatialReferenceH e = OSRNewSpatialReference(ewkt);
        if (e && OSRIsGeographic(e)) {
            double lat =
                fabs(ext[1]) > fabs(ext[3]) ? fabs(ext[1]) : fabs(ext[3]);
            double c = cos(lat * M_PI / 180.0);
            dy = halo_m / 111000.0;
            dx = halo_m / (111000.0 * (c > 0.05 ? c : 0.05));
        }
        if (e) OSRDestroySpatialReference(e);
    }
    gs__shard_extent_grow(ctx, dx, dy);
    return GS_OK;
}
