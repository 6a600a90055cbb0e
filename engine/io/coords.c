/*
 * coords.c - coordinate sanity for the polygon and line layers: which
 * vertices lie far outside their layer, and the features without them.
 *
 * A grid exported with one vertex at (0, 0) used to move the metric CRS
 * sixty degrees west and stretch every area and patrol time with it. The
 * layer's vertices are described by their bulk (geo/bulk.h); a vertex far
 * outside it, or outside its CRS's range, makes its feature a located
 * problem, the metric CRS is picked from the other vertices, and the
 * feature is computed without the bad vertices (a ring left with fewer
 * than four points is dropped), so that nothing else bends. The bulk and
 * the count go into the run's metadata with the rule. Point layers check
 * their points in their own readers with the same rule.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "source.h"

/* Growable coordinate arrays. */
typedef struct xy {
    double *x, *y;
    size_t n, cap;
    int failed;
} xy;

static void xy_add(xy *v, double x, double y) {
    if (v->failed) return;
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 1024;
        double *nx = gs__realloc(v->x, nc * sizeof *nx), *ny;
        if (!nx) {
            v->failed = 1;
            return;
        }
        v->x = nx;
        ny = gs__realloc(v->y, nc * sizeof *ny);
        if (!ny) {
            v->failed = 1;
            return;
        }
        v->y = ny;
        v->cap = nc;
    }
    v->x[v->n] = x;
    v->y[v->n++] = y;
}

/* The geometry with curves made linear: a new geometry to destroy, or g
 * itself (*owned 0). */
static OGRGeometryH linear(OGRGeometryH g, int *owned) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    *owned = 0;
    if (t == wkbCurvePolygon || t == wkbMultiSurface ||
        t == wkbCircularString || t == wkbCompoundCurve || t == wkbMultiCurve) {
        OGRGeometryH l = OGR_G_GetLinearGeometry(g, 0, NULL);
        if (l) {
            *owned = 1;
            return l;
        }
    }
    return g;
}

/* Every vertex of g (and of its parts and rings) into v. */
static void add_vertices(OGRGeometryH g, xy *v) {
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++) add_vertices(OGR_G_GetGeometryRef(g, i), v);
        return;
    }
    n = OGR_G_GetPointCount(g);
    for (int i = 0; i < n; i++) xy_add(v, OGR_G_GetX(g, i), OGR_G_GetY(g, i));
}

/* 1 when (x, y) is a bad vertex: outside the CRS's range, or far outside
 * the bulk; *d gets the distance outside (INFINITY outside the CRS). */
static int bad_vertex(const gs__bulk *b, double x, double y, double *d) {
    if (gs__bulk_outside_crs(b, x, y)) {
        *d = INFINITY;
        return 1;
    }
    *d = gs__bulk_far_m(b, x, y);
    return *d > 0;
}

/* Counts the bad vertices of g into f (the first one kept). */
static void find_far(OGRGeometryH g, const gs__bulk *b, gs__far *f) {
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++) find_far(OGR_G_GetGeometryRef(g, i), b, f);
        return;
    }
    n = OGR_G_GetPointCount(g);
    for (int i = 0; i < n; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i), d;
        if (!bad_vertex(b, x, y, &d)) continue;
        if (f->n++ == 0) {
            f->x = x;
            f->y = y;
            f->dist_m = d;
        }
    }
}

int gs__src_poly_bulk(gs__src *s, const gs__rawfeat *raw, size_t n, gs__bulk *b,
                      gs__far *far, OGREnvelope *env, gs__inputs *info) {
    xy v = {0};
    size_t out_of_range = 0, kept = 0, n_far = 0;
    int geographic = s->srs && OSRIsGeographic(s->srs), rc = GS_OK;
    double unit = 1.0;
    if (!geographic && s->srs) unit = OSRGetLinearUnits(s->srs, NULL);
    for (size_t i = 0; i < n; i++) {
        int owned;
        OGRGeometryH g = linear(OGR_F_GetGeometryRef(raw[i].f), &owned);
        add_vertices(g, &v);
        if (owned) OGR_G_DestroyGeometry(g);
    }
    if (v.failed) {
        rc = gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; geographic && k < v.n; k++)
        out_of_range +=
            v.y[k] < -90 || v.y[k] > 90 || v.x[k] < -180 || v.x[k] > 360;
    if (out_of_range * 2 > v.n) {
        rc = gs__err(s->ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (%s): %zu of %zu coordinates are not "
                     "longitudes and latitudes, yet the layer's CRS is "
                     "geographic; the data is probably projected and its "
                     "CRS declared wrongly",
                     s->path, s->layer, s->role, out_of_range, v.n);
        goto done;
    }
    if ((rc = gs__bulk_describe(v.x, v.y, sizeof *v.x, v.n, geographic, unit,
                                b))) {
        rc = gs__err(s->ctx, rc, "out of memory");
        goto done;
    }
    /* The envelope of the good vertices: the metric CRS comes from it. */
    for (size_t k = 0; k < v.n; k++) {
        double d;
        if (bad_vertex(b, v.x[k], v.y[k], &d)) continue;
        if (kept++ == 0) {
            env->MinX = env->MaxX = v.x[k];
            env->MinY = env->MaxY = v.y[k];
        }
        env->MinX = fmin(env->MinX, v.x[k]);
        env->MaxX = fmax(env->MaxX, v.x[k]);
        env->MinY = fmin(env->MinY, v.y[k]);
        env->MaxY = fmax(env->MaxY, v.y[k]);
    }
    if (!kept) {
        rc = gs__err(s->ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (%s): no coordinate is usable in the "
                     "layer's CRS",
                     s->path, s->layer, s->role);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int owned;
        OGRGeometryH g = linear(OGR_F_GetGeometryRef(raw[i].f), &owned);
        memset(&far[i], 0, sizeof far[i]);
        find_far(g, b, &far[i]);
        n_far += far[i].n > 0;
        if (owned) OGR_G_DestroyGeometry(g);
    }
    gs__src_bulk_record(s, info, b, geographic, n_far);
done:
    free(v.x);
    free(v.y);
    return rc;
}

void gs__src_bulk_record(const gs__src *s, gs__inputs *info, const gs__bulk *b,
                         int geographic, size_t n_far) {
    gs__input_info *ii = gs__inputs_find(info, s->role);
    if (!ii) return;
    ii->checked = b->ok;
    ii->geographic = geographic;
    ii->bulk[0] = b->x0, ii->bulk[1] = b->y0;
    ii->bulk[2] = b->x1, ii->bulk[3] = b->y1;
    ii->margin_m = b->margin_m;
    ii->far = (long)n_far;
}

/* A copy of the points of `part` (a LineString or LinearRing) without
 * the bad ones, closed again for a ring; NULL when fewer than `min`
 * points are left. */
static OGRGeometryH keep_points(OGRGeometryH part, const gs__bulk *b, int ring,
                                int min) {
    int n = OGR_G_GetPointCount(part), k = 0;
    OGRGeometryH out =
        OGR_G_CreateGeometry(ring ? wkbLinearRing : wkbLineString);
    if (!out) return NULL;
    for (int i = 0; i < n; i++) {
        double x = OGR_G_GetX(part, i), y = OGR_G_GetY(part, i), d;
        if (bad_vertex(b, x, y, &d)) continue;
        OGR_G_AddPoint_2D(out, x, y);
        k++;
    }
    if (ring && k > 0 &&
        (OGR_G_GetX(out, 0) != OGR_G_GetX(out, k - 1) ||
         OGR_G_GetY(out, 0) != OGR_G_GetY(out, k - 1))) {
        OGR_G_AddPoint_2D(out, OGR_G_GetX(out, 0), OGR_G_GetY(out, 0));
        k++;
    }
    if (k < min) {
        OGR_G_DestroyGeometry(out);
        return NULL;
    }
    return out;
}

/* Polygon p without its bad vertices; NULL when its outer ring is lost. */
static OGRGeometryH polygon_without(OGRGeometryH p, const gs__bulk *b) {
    int n = OGR_G_GetGeometryCount(p);
    OGRGeometryH out = NULL;
    for (int i = 0; i < n; i++) {
        OGRGeometryH r = keep_points(OGR_G_GetGeometryRef(p, i), b, 1, 4);
        if (!r && i == 0) return NULL;
        if (!r) continue;
        if (!out) out = OGR_G_CreateGeometry(wkbPolygon);
        if (out) OGR_G_AddGeometryDirectly(out, r);
    }
    return out;
}

OGRGeometryH gs__geom_without_far(OGRGeometryH g, const gs__bulk *b) {
    int owned;
    OGRGeometryH l = linear(g, &owned), out = NULL;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(l));
    if (t == wkbPolygon) {
        out = polygon_without(l, b);
    } else if (t == wkbMultiPolygon || t == wkbMultiLineString) {
        int n = OGR_G_GetGeometryCount(l);
        out = OGR_G_CreateGeometry(t);
        for (int i = 0; out && i < n; i++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(l, i), kept;
            kept = t == wkbMultiPolygon ? polygon_without(part, b)
                                        : keep_points(part, b, 0, 2);
            if (kept) OGR_G_AddGeometryDirectly(out, kept);
        }
    } else if (t == wkbLineString) {
        out = keep_points(l, b, 0, 2);
    }
    if (!out) /* nothing usable is left: an empty geometry of the kind */
        out = OGR_G_CreateGeometry(t == wkbLineString || t == wkbMultiLineString
                                       ? wkbLineString
                                       : wkbPolygon);
    if (owned) OGR_G_DestroyGeometry(l);
    return out;
}

void gs__far_text(const gs__src *s, const gs__bulk *b, const gs__far *f,
                  char *buf, size_t size) {
    char bulk[200];
    if (isinf(f->dist_m))
        snprintf(buf, size,
                 "%ld vertex%s outside the range of the layer's CRS, the "
                 "first at (%.6g, %.6g)",
                 f->n, f->n == 1 ? "" : "es", f->x, f->y);
    else
        snprintf(buf, size,
                 "%ld vertex%s far outside the layer's other coordinates, "
                 "the first at (%.6g, %.6g), %.0f km outside (%s)",
                 f->n, f->n == 1 ? "" : "es", f->x, f->y, f->dist_m / 1000,
                 gs__bulk_describe_text(b, bulk, sizeof bulk));
    (void)s;
}
