/*
 * crs.h - picking the metric CRS and building transforms (crs.c).
 */
#ifndef GS_CRS_H
#define GS_CRS_H

#include <ogr_srs_api.h>

#include "ctx.h"

/* A clone of `srs` set to the traditional GIS axis order (x = lon/east);
 * NULL when out of memory. The caller destroys it. */
OGRSpatialReferenceH gs__srs_clone_gis(OGRSpatialReferenceH srs);

/* Parses a user's CRS ("EPSG:4490", WKT, PROJ string) into a new SRS in
 * GIS axis order; GS_ERR_USAGE with the text when it is not understood. */
int gs__srs_from_user(gs_ctx *ctx, const char *def,
                      OGRSpatialReferenceH *out_srs);

/* Picks the metric CRS for data whose centre is (cx, cy) in `src`: the
 * CGCS2000 3-degree Gauss-Kruger zone of the centre's longitude. The caller
 * destroys *out_metric and frees *out_name (a description for metadata). */
int gs__crs_pick_metric(gs_ctx *ctx, OGRSpatialReferenceH src, double cx,
                        double cy, OGRSpatialReferenceH *out_metric,
                        char **out_name);

/* A transformation from `from` to `to`; GS_ERR_INPUT_CRS when PROJ has
 * none. The caller destroys it with OCTDestroyCoordinateTransformation. */
int gs__crs_transform(gs_ctx *ctx, OGRSpatialReferenceH from,
                      OGRSpatialReferenceH to,
                      OGRCoordinateTransformationH *out_ct);

/* Transforms n points in place, x and y of point i at byte offsets
 * i * stride in `xs` and `ys`, with `threads` workers (each its own
 * transformation: they are not thread-safe). A point that cannot be
 * transformed becomes NaN. GS_ERR_INPUT_CRS when no transformation
 * exists, GS_ERR_NOMEM. */
int gs__crs_transform_points(gs_ctx *ctx, OGRSpatialReferenceH from,
                             OGRSpatialReferenceH to, double *xs, double *ys,
                             size_t stride, size_t n, int threads);

/* The same transform for one thread that projects many small batches (a
 * worker projecting each member's fixes as it takes the member): a PROJ
 * context and operation of its own, made from the CRSes' WKT2
 * (gs__crs_wkt2). gs__proj_points gives exactly what
 * gs__crs_transform_points gives for the same points. NULL when no
 * transformation exists or out of memory, PROJ's reason in err. */
typedef struct gs__proj gs__proj;
gs__proj *gs__proj_create(const char *from_wkt, const char *to_wkt, char *err,
                          size_t err_size);
void gs__proj_points(gs__proj *p, double *xs, double *ys, size_t stride,
                     size_t n);
void gs__proj_destroy(gs__proj *p);
/* The CRS as WKT2 (2019) for gs__proj_create; CPLFree it. NULL when OGR
 * cannot describe it. */
char *gs__crs_wkt2(OGRSpatialReferenceH srs);

#endif /* GS_CRS_H */
