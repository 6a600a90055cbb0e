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
#include <stdlib.h>
#include <cpl_conv.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <stdio.h>
#include <string.h>

#include "crs.h"
#include "pool.h"

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
    /* Longitudes past 180 (0..360 data) name the same meridians; anything
     * else cannot be a place on Earth, and would build a zone around it. */
    if (lon > 180.0 && lon <= 360.0) lon -= 360.0;
    if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "the data's centre (%.6f, %.6f) is at longitude %.6f, "
                     "latitude %.6f: not a place on Earth; is the layer's "
                     "CRS right?",
                     cx, cy, lon, lat);
        goto done;
    }
    cm = 3.0 * floor(lon / 3.0 + 0.5);
    if (cm >= 180.0) cm -= 360.0; /* 178.5..180 is zone -180's */
    zone = (int)cm;
    if (cm >= 75.0 && cm <= 135.0) {
        int epsg = 4534 + (zone - 75) / 3;
        if (OSRImportFromEPSG(metric, epsg) != OGRERR_NONE) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "PROJ has no definition of EPSG:%d", epsg);
            goto done;
        }
        snprintf(name, sizeof name,
                 "EPSG:%d CGCS2000 / 3-degree Gauss-Kruger CM %dE", epsg, zone);
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

/* Bulk transforms go to PROJ directly (proj_trans_generic on strided
 * arrays): OGR's per-point bookkeeping would double the cost of projecting
 * ten million GPS fixes. Each worker has its own PROJ context and operation,
 * as PROJ objects are not thread-safe. */
typedef struct xf_job {
    const char *from_wkt, *to_wkt;
    char *xs, *ys;
    size_t stride, a, b;
    int rc;
    char err[256];
} xf_job;

struct gs__proj {
    PJ_CONTEXT *pc;
    PJ *src, *dst, *op, *norm;
};

void gs__proj_destroy(gs__proj *p) {
    if (!p) return;
    if (p->norm) proj_destroy(p->norm);
    if (p->op) proj_destroy(p->op);
    if (p->src) proj_destroy(p->src);
    if (p->dst) proj_destroy(p->dst);
    if (p->pc) proj_context_destroy(p->pc);
    free(p);
}

gs__proj *gs__proj_create(const char *from_wkt, const char *to_wkt, char *err,
                          size_t err_size) {
    gs__proj *p = gs__calloc(1, sizeof *p);
    if (err_size) err[0] = '\0';
    if (!p || !(p->pc = proj_context_create())) {
        snprintf(err, err_size,
                 "out of memory: PROJ could not create a context");
        free(p);
        return NULL;
    }
    proj_log_level(p->pc, PJ_LOG_NONE);
    p->src = proj_create(p->pc, from_wkt);
    p->dst = proj_create(p->pc, to_wkt);
    p->op = p->src && p->dst ? proj_create_crs_to_crs_from_pj(
                                   p->pc, p->src, p->dst, NULL, NULL)
                             : NULL;
    p->norm = p->op ? proj_normalize_for_visualization(p->pc, p->op) : NULL;
    if (!p->norm) {
        snprintf(err, err_size, "%s",
                 proj_context_errno_string(p->pc, proj_context_errno(p->pc)));
        gs__proj_destroy(p);
        return NULL;
    }
    return p;
}

void gs__proj_points(gs__proj *p, double *xs, double *ys, size_t stride,
                     size_t n) {
    if (n == 0) return;
    proj_trans_generic(p->norm, PJ_FWD, xs, stride, n, ys, stride, n, NULL, 0,
                       0, NULL, 0, 0);
    /* PROJ marks failures with HUGE_VAL; the engine uses NaN. */
    for (size_t i = 0; i < n; i++) {
        double *px = (double *)((char *)xs + i * stride);
        double *py = (double *)((char *)ys + i * stride);
        if (!isfinite(*px) || !isfinite(*py) || *px == HUGE_VAL) {
            *px = NAN;
            *py = NAN;
        }
    }
}

char *gs__crs_wkt2(OGRSpatialReferenceH srs) {
    static const char *const wkt2[] = {"FORMAT=WKT2_2019", NULL};
    char *w = NULL;
    if (OSRExportToWktEx(srs, &w, wkt2) != OGRERR_NONE) {
        CPLFree(w);
        return NULL;
    }
    return w;
}

/* Projects points [a, b) of one job with its own PROJ context; a
 * gs__parallel job. Failure (no transformation) is left in j->rc, j->err. */
static void *xf_worker(void *arg) {
    xf_job *j = arg;
    gs__proj *p =
        gs__proj_create(j->from_wkt, j->to_wkt, j->err, sizeof j->err);
    if (!p) {
        j->rc = strncmp(j->err, "out of memory", 13) == 0 ? GS_ERR_NOMEM
                                                          : GS_ERR_INPUT_CRS;
        return NULL;
    }
    if (j->b > j->a)
        gs__proj_points(p, (double *)(j->xs + j->a * j->stride),
                        (double *)(j->ys + j->a * j->stride), j->stride,
                        j->b - j->a);
    gs__proj_destroy(p);
    return NULL;
}

int gs__crs_transform_points(gs_ctx *ctx, OGRSpatialReferenceH from,
                             OGRSpatialReferenceH to, double *xs, double *ys,
                             size_t stride, size_t n, int threads) {
    static const char *const wkt2[] = {"FORMAT=WKT2_2019", NULL};
    xf_job jobs[GS__POOL_MAX];
    int rc = GS_OK;
    char *wf = NULL, *wt = NULL;
    if (OSRExportToWktEx(from, &wf, wkt2) != OGRERR_NONE ||
        OSRExportToWktEx(to, &wt, wkt2) != OGRERR_NONE) {
        CPLFree(wf);
        CPLFree(wt);
        return gs__err(ctx, GS_ERR_INPUT_CRS, "cannot describe a CRS for PROJ");
    }
    /* At least 65,536 points a worker: fewer do not repay a thread and a
     * PROJ context. */
    threads = gs__pool_workers(threads, n, 65536);
    for (int t = 0; t < threads; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].from_wkt = wf;
        jobs[t].to_wkt = wt;
        jobs[t].xs = (char *)xs;
        jobs[t].ys = (char *)ys;
        jobs[t].stride = stride;
        jobs[t].a = n * (size_t)t / (size_t)threads;
        jobs[t].b = n * (size_t)(t + 1) / (size_t)threads;
    }
    gs__parallel(xf_worker, jobs, sizeof *jobs, threads);
    for (int t = 0; t < threads && !rc; t++) {
        if (jobs[t].rc == GS_ERR_NOMEM)
            rc = gs__err(ctx, GS_ERR_NOMEM, "%s", jobs[t].err);
        else if (jobs[t].rc)
            rc = gs__err(ctx, jobs[t].rc,
                         "PROJ has no transformation between the CRSes: %s",
                         jobs[t].err[0] ? jobs[t].err : "no reason given");
    }
    CPLFree(wf);
    CPLFree(wt);
    return rc;
}
