/*
 * geometry.c - checking a feature's geometry, projecting it, and reading
 * a polygon or line layer whole.
 *
 * A geometry is usable when it is present, not empty, of the role's type
 * and finite; an unusable one is reported through gs__src_report (an
 * error, or with {on_error}=skip a skipped feature). Polygon layers are
 * read in two passes, features first (for their envelope, from which the
 * metric CRS is picked) and geometry second, so the features are kept in
 * between; point layers are read in one pass by their readers.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <cpl_error.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source.h"

/* ---- geometry checks ----------------------------------------------------- */

/* 1 when every coordinate of `g` (and of its parts and rings) is finite. */
static int geom_finite(OGRGeometryH g) {
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (!geom_finite(OGR_G_GetGeometryRef(g, i))) return 0;
        return 1;
    }
    n = OGR_G_GetPointCount(g);
    for (int i = 0; i < n; i++)
        if (!isfinite(OGR_G_GetX(g, i)) || !isfinite(OGR_G_GetY(g, i)))
            return 0;
    return 1;
}

/* NULL when the geometry is usable as a polygon (or, with `lines`, as a
 * line), else why not. */
static const char *polygon_problem(OGRGeometryH g, int lines) {
    OGRwkbGeometryType t;
    if (!g) return "has no geometry";
    if (OGR_G_IsEmpty(g)) return "has an empty geometry";
    t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (lines && t != wkbLineString && t != wkbMultiLineString &&
        t != wkbCircularString && t != wkbCompoundCurve && t != wkbMultiCurve)
        return "geometry is not a line";
    if (!lines && t != wkbPolygon && t != wkbMultiPolygon &&
        t != wkbCurvePolygon && t != wkbMultiSurface)
        return "geometry is not a polygon";
    if (!geom_finite(g)) return "geometry has a NaN or infinite coordinate";
    return NULL;
}

int gs__src_report(gs__src *s, gs__model *m, gs__origin o,
                   const char *problem) {
    if (!s->opts || s->opts->on_error != GS_ON_ERROR_SKIP)
        return gs__err(s->ctx, GS_ERR_INPUT_GEOMETRY,
                       "%s: %s (use {on_error}=skip to leave such features "
                       "out and list them in the output)",
                       gs__src_where(s, o), problem);
    if (gs__model_skip(m, s->role, problem, o, NAN, NAN))
        return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

/* OGR geometry in the source CRS -> polygonal GEOS geometry in metres,
 * 2D. NULL on failure with the context's error set. */
GEOSGeometry *gs__src_to_metric(gs__src *s, OGRGeometryH g,
                                OGRCoordinateTransformationH ct, gs__origin o) {
    OGRGeometryH c = OGR_G_Clone(g);
    unsigned char *wkb = NULL;
    GEOSGeometry *out = NULL;
    size_t n;
    OGRwkbGeometryType t;
    if (!c) {
        gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t = wkbFlatten(OGR_G_GetGeometryType(c));
    if (t == wkbCurvePolygon || t == wkbMultiSurface ||
        t == wkbCircularString || t == wkbCompoundCurve || t == wkbMultiCurve) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(c, 0, NULL);
        OGR_G_DestroyGeometry(c);
        c = lin;
        if (!c) {
            gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
            return NULL;
        }
    }
    OGR_G_FlattenTo2D(c);
    gs__libmsg_clear(s->ctx);
    if (OGR_G_Transform(c, ct) != OGRERR_NONE) {
        gs__err_lib(s->ctx, GS_ERR_INPUT_CRS,
                    "%s: cannot project the geometry to the metric CRS",
                    gs__src_where(s, o));
        goto done;
    }
    n = (size_t)OGR_G_WkbSize(c);
    wkb = gs__malloc(n ? n : 1);
    if (!wkb) {
        gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OGR_G_ExportToWkb(c, wkbNDR, wkb);
    out = GEOSGeomFromWKB_buf_r(s->ctx->geos, wkb, n);
    if (!out)
        gs__err_lib(s->ctx, GS_ERR_INPUT_GEOMETRY,
                    "%s: GEOS cannot read the geometry", gs__src_where(s, o));
done:
    free(wkb);
    OGR_G_DestroyGeometry(c);
    return out;
}

/* ---- polygon layers ------------------------------------------------------ */

/* Reads every feature of a polygon layer, checking geometry; features with
 * problems are skipped (recorded) or fail. The caller destroys features. */
int gs__src_read_polys(gs__src *s, gs__model *m, gs__rawfeat **out,
                       size_t *out_n, OGREnvelope *env) {
    size_t n = 0, cap = 0;
    gs__rawfeat *v = NULL;
    OGRFeatureH f;
    int rc = GS_OK, have_env = 0;
    OGR_L_ResetReading(s->lyr);
    while ((f = OGR_L_GetNextFeature(s->lyr)) != NULL) {
        gs__origin o = gs__src_origin(s, f);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        const char *problem = polygon_problem(g, s->lines);
        if (problem) {
            OGR_F_Destroy(f);
            rc = gs__src_report(s, m, o, problem);
            if (rc) goto fail;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            gs__rawfeat *nv = gs__realloc(v, nc * sizeof *nv);
            if (!nv) {
                OGR_F_Destroy(f);
                rc = gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
                goto fail;
            }
            v = nv;
            cap = nc;
        }
        {
            OGREnvelope e;
            OGR_G_GetEnvelope(g, &e);
            if (!have_env) {
                *env = e;
                have_env = 1;
            } else {
                if (e.MinX < env->MinX) env->MinX = e.MinX;
                if (e.MinY < env->MinY) env->MinY = e.MinY;
                if (e.MaxX > env->MaxX) env->MaxX = e.MaxX;
                if (e.MaxY > env->MaxY) env->MaxY = e.MaxY;
            }
        }
        v[n].f = f;
        v[n].origin = o;
        n++;
    }
    if (CPLGetLastErrorType() >= CE_Failure && s->ctx->libmsg[0]) {
        rc = gs__err_lib(s->ctx, GS_ERR_INPUT_OPEN,
                         "%s, layer %s: reading stopped after %zu features",
                         s->path, s->layer, n);
        goto fail;
    }
    if (n == 0) {
        rc = gs__err(s->ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (%s): no feature has a usable %s", s->path,
                     s->layer, s->role, s->lines ? "line" : "polygon");
        goto fail;
    }
    *out = v;
    *out_n = n;
    return GS_OK;
fail:
    for (size_t i = 0; i < n; i++) OGR_F_Destroy(v[i].f);
    free(v);
    *out = NULL;
    *out_n = 0;
    return rc;
}

void gs__rawfeats_free(gs__rawfeat *v, size_t n) {
    for (size_t i = 0; i < n; i++) OGR_F_Destroy(v[i].f);
    free(v);
}

/* Geographic data must lie within lon/lat bounds; anything else is
 * projected data with a wrong CRS label. */
int gs__src_check_geographic(gs__src *s, const OGREnvelope *e) {
    if (!s->srs || !OSRIsGeographic(s->srs)) return GS_OK;
    if (e->MinX < -180.0 || e->MaxX > 360.0 || e->MinY < -90.0 ||
        e->MaxY > 90.0)
        return gs__err(s->ctx, GS_ERR_INPUT_CRS,
                       "%s, layer %s (%s): coordinates (x %.1f..%.1f, y "
                       "%.1f..%.1f) are not longitudes and latitudes, yet "
                       "the layer's CRS is geographic; the data is "
                       "probably projected and its CRS declared wrongly",
                       s->path, s->layer, s->role, e->MinX, e->MaxX, e->MinY,
                       e->MaxY);
    return GS_OK;
}

static const char *const xs[] = {"lon", "lng", "longitude", "x", "经度"};
static const char *const ys[] = {"lat", "latitude", "y", "纬度"};

int gs__is_coord_name(const char *name) {
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        if (!strcasecmp(name, xs[i])) return 1;
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++)
        if (!strcasecmp(name, ys[i])) return 1;
    return 0;
}

/* Why a CSV row has no point: names the coordinate columns and values. */
static void csv_coord_problem(OGRFeatureH f, char *buf, size_t size) {
    OGRFeatureDefnH fd = OGR_F_GetDefnRef(f);
    int ix = -1, iy = -1;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0] && ix < 0; i++)
        ix = OGR_FD_GetFieldIndex(fd, xs[i]);
    for (size_t i = 0; i < sizeof ys / sizeof ys[0] && iy < 0; i++)
        iy = OGR_FD_GetFieldIndex(fd, ys[i]);
    if (ix < 0 || iy < 0) {
        snprintf(buf, size,
                 "has no point: the CSV needs lon and lat columns (or WKT)");
        return;
    }
    {
        /* GetFieldAsString reuses one buffer: copy before the next call.
         * The CSV driver leaves a coordinate it cannot parse (NaN, text)
         * unset. */
        char vx[48], vy[48];
        snprintf(vx, sizeof vx, "%s",
                 OGR_F_IsFieldSetAndNotNull(f, ix)
                     ? OGR_F_GetFieldAsString(f, ix)
                     : "not a number");
        snprintf(vy, sizeof vy, "%s",
                 OGR_F_IsFieldSetAndNotNull(f, iy)
                     ? OGR_F_GetFieldAsString(f, iy)
                     : "not a number");
        snprintf(buf, size,
                 "fields %s, %s: (%s, %s) is not a finite longitude and "
                 "latitude (empty, NaN or text)",
                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, ix)),
                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, iy)), vx, vy);
    }
}

/* NULL and the point's coordinates (source CRS) when the feature has a
 * usable point, else why not (in buf, or static). */
const char *gs__src_point_problem(gs__src *s, OGRFeatureH f, double *x,
                                  double *y, char *buf, size_t size) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if ((!g || OGR_G_IsEmpty(g)) && s->is_csv) {
        csv_coord_problem(f, buf, size);
        return buf;
    }
    if (!g || OGR_G_IsEmpty(g)) return "has no point geometry";
    if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint)
        return "geometry is not a point";
    *x = OGR_G_GetX(g, 0);
    *y = OGR_G_GetY(g, 0);
    if (!isfinite(*x) || !isfinite(*y))
        return "point has a NaN or infinite coordinate";
    return NULL;
}
