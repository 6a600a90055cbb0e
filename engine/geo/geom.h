/*
 * geom.h - GEOS helpers shared by the analyses (geom.c).
 */
#ifndef GS_GEOM_H
#define GS_GEOM_H

#include "ctx.h"

/* Keeps only the polygonal part of `g` (takes ownership): polygons and
 * multipolygons pass; from a collection, its polygons are kept; anything
 * else becomes an empty polygon. NULL when out of memory. */
GEOSGeometry *gs__geom_polygonal(GEOSContextHandle_t h, GEOSGeometry *g);

/* Planar area, 0 for NULL or on failure. */
double gs__geom_area(GEOSContextHandle_t h, const GEOSGeometry *g);

/* Polsby-Popper compactness 4*pi*A/P^2 (1 for a disc), 0 when P is 0. */
double gs__geom_polsby_popper(GEOSContextHandle_t h, const GEOSGeometry *g);

/* A geometry from WKT, for tests and fixtures; NULL on a parse error. */
GEOSGeometry *gs__geom_from_wkt(GEOSContextHandle_t h, const char *wkt);

/* Normalised WKT with `decimals` digits, for comparisons in tests; the
 * caller frees it with GEOSFree_r. */
char *gs__geom_to_wkt(GEOSContextHandle_t h, const GEOSGeometry *g,
                      int decimals);

/* Checks OGC validity of `g` (taken); when invalid sets *invalid, GEOS's
 * reason and location, and returns the repaired (MakeValid, polygonal)
 * shape. Returns the geometry to use, NULL when out of memory. */
GEOSGeometry *gs__geom_check_repair(GEOSContextHandle_t h, GEOSGeometry *g,
                                    int *invalid, char *reason,
                                    size_t reason_size, double *lx, double *ly);

/* Candidates of an STRtree query: the size_t ids the tree's items point
 * to. Zero-initialise; free v with free() (or gs__cands_free). */
typedef struct gs__cands {
    size_t *v;
    size_t n, cap;
    int failed;
} gs__cands;

/* Queries the tree, whose items point to size_t ids, with the envelope of
 * `g` and returns the ids in c->v sorted, so that every result built from
 * them is in input order whatever the tree's layout. GS_ERR_NOMEM. */
int gs__strtree_query(GEOSContextHandle_t h, GEOSSTRtree *t,
                      const GEOSGeometry *g, gs__cands *c);

void gs__cands_free(gs__cands *c);

/* An STRtree over the geometries of `n` structs of `stride` bytes at
 * `items`, the geometry pointer `geom_offset` bytes into each (NULL and
 * empty ones left out); its items point to the ids 0..n-1 in *ids, which
 * the caller frees after the tree. NULL when out of memory. Built trees
 * are queried with gs__strtree_query. */
GEOSSTRtree *gs__strtree_of(GEOSContextHandle_t h, const void *items, size_t n,
                            size_t stride, size_t geom_offset, size_t **ids);

#endif /* GS_GEOM_H */
