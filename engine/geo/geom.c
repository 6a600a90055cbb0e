/*
 * geom.c - small GEOS helpers every analysis uses.
 *
 * All geometry work goes through the reentrant GEOS C API with the
 * context's (or a worker thread's own) handle. These helpers exist so that
 * the rules about polygonal results (an intersection of two polygons may
 * contain lines and points, which have no area and must not be written as
 * problem areas) live in one place.
 */
#include "geom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

GEOSGeometry *gs__geom_polygonal(GEOSContextHandle_t h, GEOSGeometry *g) {
    int t, n, k = 0, total = 0;
    GEOSGeometry **parts, *out;
    if (!g) return NULL;
    t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) return g;
    if (t != GEOS_GEOMETRYCOLLECTION) {
        GEOSGeom_destroy_r(h, g);
        return GEOSGeom_createEmptyPolygon_r(h);
    }
    n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, p);
        if (pt == GEOS_POLYGON) total++;
        if (pt == GEOS_MULTIPOLYGON) total += GEOSGetNumGeometries_r(h, p);
    }
    if (total == 0) {
        GEOSGeom_destroy_r(h, g);
        return GEOSGeom_createEmptyPolygon_r(h);
    }
    parts = gs__malloc(sizeof *parts * (size_t)total);
    if (!parts) {
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, p);
        if (pt == GEOS_POLYGON) parts[k++] = GEOSGeom_clone_r(h, p);
        if (pt == GEOS_MULTIPOLYGON)
            for (int j = 0; j < GEOSGetNumGeometries_r(h, p); j++)
                parts[k++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, p, j));
    }
    GEOSGeom_destroy_r(h, g);
    if (k == 1) {
        out = parts[0];
        free(parts);
        return out;
    }
    /* Polygonal parts of one overlay result or MakeValid do not overlap,
     * so a MultiPolygon can hold them as they are. */
    out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)k);
    free(parts);
    return out;
}

double gs__geom_area(GEOSContextHandle_t h, const GEOSGeometry *g) {
    double a = 0;
    if (!g || GEOSArea_r(h, g, &a) != 1 || !isfinite(a)) return 0;
    return a;
}

double gs__geom_polsby_popper(GEOSContextHandle_t h, const GEOSGeometry *g) {
    double a = gs__geom_area(h, g), p = 0;
    if (!g || GEOSLength_r(h, g, &p) != 1 || !(p > 0)) return 0;
    return 4.0 * 3.14159265358979323846 * a / (p * p);
}

GEOSGeometry *gs__geom_from_wkt(GEOSContextHandle_t h, const char *wkt) {
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g;
    if (!r) return NULL;
    g = GEOSWKTReader_read_r(h, r, wkt);
    GEOSWKTReader_destroy_r(h, r);
    return g;
}

char *gs__geom_to_wkt(GEOSContextHandle_t h, const GEOSGeometry *g,
                      int decimals) {
    GEOSWKTWriter *w;
    GEOSGeometry *c;
    char *s;
    if (!g) return NULL;
    c = GEOSGeom_clone_r(h, g);
    if (!c) return NULL;
    GEOSNormalize_r(h, c);
    w = GEOSWKTWriter_create_r(h);
    if (!w) {
        GEOSGeom_destroy_r(h, c);
        return NULL;
    }
    GEOSWKTWriter_setRoundingPrecision_r(h, w, decimals);
    GEOSWKTWriter_setTrim_r(h, w, 1);
    s = GEOSWKTWriter_write_r(h, w, c);
    GEOSWKTWriter_destroy_r(h, w);
    GEOSGeom_destroy_r(h, c);
    return s;
}

/* Checks OGC validity; repairs with MakeValid when invalid. Returns the
 * geometry to use (possibly `g` itself) or NULL when out of memory. */
GEOSGeometry *gs__geom_check_repair(GEOSContextHandle_t h, GEOSGeometry *g,
                                    int *invalid, char *reason,
                                    size_t reason_size, double *lx,
                                    double *ly) {
    char *r = NULL;
    GEOSGeometry *loc = NULL, *fixed;
    char v = GEOSisValidDetail_r(h, g, 0, &r, &loc);
    *invalid = 0;
    if (v == 1) return g;
    *invalid = 1;
    snprintf(reason, reason_size, "%s", r ? r : "invalid geometry");
    *lx = *ly = NAN;
    if (loc) {
        GEOSGeomGetX_r(h, loc, lx);
        GEOSGeomGetY_r(h, loc, ly);
        GEOSGeom_destroy_r(h, loc);
    }
    if (r) GEOSFree_r(h, r);
    fixed = GEOSMakeValid_r(h, g);
    GEOSGeom_destroy_r(h, g);
    if (!fixed) return NULL;
    return gs__geom_polygonal(h, fixed);
}

/* ---- candidate collection from STRtree queries -------------------------- */

static void cand_cb(void *item, void *user) {
    gs__cands *c = user;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        size_t *nv = gs__realloc(c->v, nc * sizeof *nv);
        if (!nv) {
            c->failed = 1;
            return;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = *(const size_t *)item;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int gs__strtree_query(GEOSContextHandle_t h, GEOSSTRtree *t,
                      const GEOSGeometry *g, gs__cands *c) {
    c->n = 0;
    GEOSSTRtree_query_r(h, t, g, cand_cb, c);
    if (c->failed) return GS_ERR_NOMEM;
    if (c->n > 1) qsort(c->v, c->n, sizeof *c->v, cmp_size);
    return GS_OK;
}

GEOSSTRtree *gs__strtree_of(GEOSContextHandle_t h, const void *items, size_t n,
                            size_t stride, size_t geom_offset, size_t **ids) {
    GEOSSTRtree *t = GEOSSTRtree_create_r(h, 10);
    *ids = gs__malloc((n ? n : 1) * sizeof **ids);
    if (!t || !*ids) {
        if (t) GEOSSTRtree_destroy_r(h, t);
        free(*ids);
        *ids = NULL;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *g;
        memcpy(&g, (const char *)items + i * stride + geom_offset, sizeof g);
        (*ids)[i] = i;
        if (g && GEOSisEmpty_r(h, g) != 1)
            GEOSSTRtree_insert_r(h, t, g, &(*ids)[i]);
    }
    return t;
}

void gs__cands_free(gs__cands *c) {
    free(c->v);
    memset(c, 0, sizeof *c);
}
