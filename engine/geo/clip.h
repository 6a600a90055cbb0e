/*
 * clip.h - how much of a segment lies inside a polygon, fast (clip.c).
 */
#ifndef GS_CLIP_H
#define GS_CLIP_H

#include "ctx.h"

typedef struct gs__clip gs__clip;

/* Prepares polygon `poly` (Polygon or MultiPolygon, metric) for segment
 * and point queries. `cell` is the index cell size in metres (0 picks one
 * from the polygon's size). The clip owns copies of the edges; `poly` may
 * be freed afterwards. GS_ERR_NOMEM on failure. */
int gs__clip_create(GEOSContextHandle_t h, const GEOSGeometry *poly,
                    double cell, gs__clip **out);

void gs__clip_destroy(gs__clip *c);

/* 1 when (x, y) lies in the closed polygon (boundary included), else 0. */
int gs__clip_contains(const gs__clip *c, double x, double y);

/* Length of the segment (x0,y0)-(x1,y1) lying in the closed polygon. For a
 * zero-length segment, 0 (callers use gs__clip_contains). */
double gs__clip_inside_length(const gs__clip *c, double x0, double y0,
                              double x1, double y1);

/* Fills row[0..nx-1] with 1 for the cells of a raster row whose centres
 * (x0 + (i + 0.5) * cell, y) lie inside the polygon (even-odd rule; a
 * centre exactly on the boundary may go either way), else leaves them.
 * O(edges + nx): a scanline, for rasters. */
void gs__clip_scanline(const gs__clip *c, double y, double x0, double cell,
                       int nx, unsigned char *row);

/* The polygon's bounding box. */
void gs__clip_bounds(const gs__clip *c, double *minx, double *miny,
                     double *maxx, double *maxy);

#endif /* GS_CLIP_H */
