/*
 * crs.c - coordinate reference systems: which metric CRS, and transforms.
 *
 * All metric work (areas, lengths, buffers) is done in one projected CRS
 * picked from the data: the CGCS2000 3-degree Gauss-Kruger zone whose
 * central meridian is nearest the centre of the grids (EPSG:4534..4554, CM
 * 75E..135E, without the zone prefix in the false easting). Data outside
 * China's zones gets the same projection built from a PROJ string on the
 * GRS80 ellipsoid (CGCS2000's), so tests with foreign data still measure in
 * metres. Transforms are OGR coordinate transformations, which run PROJ;
 * every SRS uses the traditional GIS axis order (x = easting/longitude), so
 * EPSG:4490's latitude-first definition never swaps our coordinates.
 */
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>

#include "crs.h"

OGRSpatialReferenceH gs__srs_clone_gis(OGRSpatialReferenceH srs) {
    OGRSpatialReferenceH c = OSRClone(srs);
    if (c) OSRSetAxisMappingStrategy(c, OAMS_TRADITIONAL_GIS_ORDER);
    return c;
}

int gs__srs_from_user(gs_ctx *ctx, const char *def,
                      OGRSpatialReferenceH *out_srs) {
    OGRSpatialReferenceH s;
    *out_srs = NULL;
    s = OSRNewSpatialReference(NULL);
    if (!s) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    gs__libmsg_clear(ctx);
    if (OSRSetFromUserInput(s, def) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return gs__err_lib(ctx, GS_ERR_USAGE,
                           "cannot understand the CRS '%s' (use e.g. "
                           "EPSG:4490 for CGCS2000 lon/lat)",
                           def);
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    *out_srs = s;
    return GS_OK;
}

int gs__crs_pick_metric(gs_ctx *ctx, OGRSpatialReferenceH src, double cx,
                        double cy, OGRSpatialReferenceH *out_metric,
                        char **out_name) {
    OGRSpatialReferenceH geo = NULL, metric = NULL;
    OGRCoordinateTransformationH ct = NULL;
    double lon = cx, lat = cy, cm;
    int rc = GS_OK, zone;
    char name[160];

    *out_metric = NULL;
    *out_name = NULL;
    geo = OSRNewSpatialReference(NULL);
    metric = OSRNewSpatialReference(NULL);
    if (!geo || !metric) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OSRImportFromEPSG(geo, 4490);
    OSRSetAxisMappingStrategy(geo, OAMS_TRADITIONAL_GIS_ORDER);
    gs__libmsg_clear(ctx);
    ct = OCTNewCoordinateTransformation(src, geo);
    if (!ct || !OCTTransform(ct, 1, &lon, &lat, NULL) || !isfinite(lon) ||
        !isfinite(lat)) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_CRS,
                         "cannot find the longitude of the data's centre "
                         "(%.6f, %.6f)",
                         cx, cy);
        goto done;
    }
    cm = 3.0 * floor(lon / 3.0 + 0.5);
    zone = (int)cm;
    if (cm >= 75.0 && cm <= 135.0) {
        int epsg = 4534 + (zone - 75) / 3;
        if (OSRImportFromEPSG(metric, epsg) != OGRERR_NONE) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "PROJ has no definition of EPSG:%d", epsg);
            goto done;
        }
        snprintf(name, sizeof name,
                 "EPSG:%d CGCS2000 / 3-degree Gauss-Kruger CM %dE", epsg,
                 zone);
    } else {
        char proj4[200];
        snprintf(proj4, sizeof proj4,
                 "+proj=tmerc +lat_0=0 +lon_0=%d +k=1 +x_0=500000 +y_0=0 "
                 "+ellps=GRS80 +units=m +no_defs",
                 zone);
        if (OSRImportFromProj4(metric, proj4) != OGRERR_NONE) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "cannot build the metric CRS '%s'", proj4);
            goto done;
        }
        snprintf(name, sizeof name,
                 "Gauss-Kruger 3-degree CM %d on GRS80 (outside CGCS2000 "
                 "zones)",
                 zone);
    }
    OSRSetAxisMappingStrategy(metric, OAMS_TRADITIONAL_GIS_ORDER);
    *out_name = gs__strdup(name);
    if (!*out_name) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    *out_metric = metric;
    metric = NULL;
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (geo) OSRDestroySpatialReference(geo);
    if (metric) OSRDestroySpatialReference(metric);
    return rc;
}

int gs__crs_transform(gs_ctx *ctx, OGRSpatialReferenceH from,
                      OGRSpatialReferenceH to,
                      OGRCoordinateTransformationH *out_ct) {
    *out_ct = NULL;
    gs__libmsg_clear(ctx);
    *out_ct = OCTNewCoordinateTransformation(from, to);
    if (!*out_ct)
        return gs__err_lib(ctx, GS_ERR_INPUT_CRS,
                           "no coordinate transformation between the "
                           "input CRS and the metric CRS");
    return GS_OK;
}
