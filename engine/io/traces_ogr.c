/*
 * traces_ogr.c - reading traces from a GIS file through OGR: GPX,
 * GeoPackage, GeoJSON, Shapefile, or a PostGIS layer traces_pg.c leaves
 * to OGR.
 *
 * Features are read one by one into a single part, as a CSV's rows are:
 * the member id from a field (for GPX the file's base name when there is
 * none), the time from a DateTime field honouring its time zone flag or
 * from text, the position from the point geometry; a feature's "line" is
 * its feature id plus one.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <cpl_error.h>
#include <cpl_string.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "io.h"
#include "text.h"
#include "traces_int.h"

/* The layer to read: {layers} traces=NAME, a layer named "traces", for GPX
 * the first non-empty of track_points, route_points, waypoints, else the
 * only layer. */
int gs__tr_pick_layer(gs__tr_reader *r, GDALDatasetH ds, int gpx,
                      OGRLayerH *out) {
    const char *want = gs__io_mapped_layer(r->o->input, "traces");
    int n = GDALDatasetGetLayerCount(ds);
    const char *layers[32] = {NULL};
    char names[400];
    *out = NULL;
    if (want) {
        *out = GDALDatasetGetLayerByName(ds, want);
        if (*out) return GS_OK;
    } else {
        *out = GDALDatasetGetLayerByName(ds, "traces");
        if (!*out && gpx) {
            static const char *const gl[] = {"track_points", "route_points",
                                             "waypoints"};
            for (size_t i = 0; i < 3 && !*out; i++) {
                OGRLayerH l = GDALDatasetGetLayerByName(ds, gl[i]);
                if (l && OGR_L_GetFeatureCount(l, 1) > 0) *out = l;
            }
        }
        if (!*out && n == 1) *out = GDALDatasetGetLayer(ds, 0);
        if (*out) return GS_OK;
    }
    for (int i = 0; i < n && i < 32; i++)
        layers[i] = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
    gs__join_names(names, sizeof names, layers, n < 32 ? (size_t)n : 32);
    if (want)
        return gs__err(r->ctx, GS_ERR_INPUT_OPEN,
                       "%s: no layer '%s' (traces; layers: %s)", r->o->path,
                       want, names);
    return gs__err(r->ctx, GS_ERR_INPUT_OPEN,
                   "%s: %s, and none is named 'traces'; choose one with "
                   "{layers} traces=NAME (layers: %s)",
                   r->o->path, n ? "several layers" : "no layers", names);
}

/* The time of field `i`: DateTime fields honour their zone flag (0, 1:
 * local time in the zone; 100: UTC; 100+k: UTC + 15k minutes); text and
 * numbers (epochs) go through gs__time_parse. */
static int feature_time(gs__tr_part *p, OGRFeatureH f, int i, int64_t *out,
                        char *why, size_t size) {
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i));
    *out = GS__TIME_UNKNOWN;
    if (!OGR_F_IsFieldSetAndNotNull(f, i)) {
        snprintf(why, size, "empty");
        return -1;
    }
    if (t == OFTDateTime) {
        int y, mo, d, h, mi, tzf;
        float s;
        int64_t local;
        if (!OGR_F_GetFieldAsDateTimeEx(f, i, &y, &mo, &d, &h, &mi, &s, &tzf) ||
            mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
            mi > 59 || !(s >= 0 && s < 61)) {
            snprintf(why, size, "not a time");
            return -1;
        }
        if (tzf < 100) { /* unknown or local: the zone's wall time */
            if (gs__tz_local_to_utc(p->tz, y, mo, d, h, mi,
                                    s >= 60 ? 59.999 : s, out) == GS_OK)
                return 0;
            *out = GS__TIME_UNKNOWN;
            snprintf(why, size, "not a time");
            return -1;
        }
        local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
                (int64_t)h * 3600000 + (int64_t)mi * 60000 +
                (int64_t)floor((double)s * 1000.0 + 0.5);
        *out = local - (int64_t)(tzf - 100) * 15 * 60000;
        return 0;
    }
    if (t == OFTDate) {
        snprintf(why, size, "a date without a time of day");
        return -1;
    }
    if (gs__time_parse(p->tz, OGR_F_GetFieldAsString(f, i), out, why, size) !=
        GS_OK) {
        *out = GS__TIME_UNKNOWN;
        return -1;
    }
    return 0;
}

/* The member's entry of feature `f` (field `i`); NO_ENTRY when the id is
 * empty or too long, recorded as a bad row at `line`. */
static uint32_t feature_member(gs__tr_part *p, OGRFeatureH f, int i,
                               uint32_t line) {
    const char *m =
        OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsString(f, i) : "";
    uint32_t entry = NO_ENTRY;
    size_t n;
    while (*m == ' ') m++;
    n = strlen(m);
    while (n && m[n - 1] == ' ') n--;
    if (n > MEMBER_MAX) {
        gs__tr_add_bad(p, line, NO_ENTRY, "member_id", "longer than 255 bytes",
                       0, GS__TIME_UNKNOWN);
        return NO_ENTRY;
    }
    if (n) entry = gs__tr_intern_member(p, m, n);
    if ((!n || entry == NO_ENTRY) && !p->rc)
        gs__tr_add_bad(p, line, NO_ENTRY, "member_id", "empty", 0,
                       GS__TIME_UNKNOWN);
    return entry;
}

/* The accuracy of feature `f` (field `i`, -1 for none) in *out, NaN when
 * empty; -1 when it is not a number >= 0, recorded as a bad row. */
static int feature_accuracy(gs__tr_part *p, OGRFeatureH f, int i, uint32_t line,
                            uint32_t entry, int64_t t, float *out) {
    const char *v, *w = "negative";
    char sv[48], full[160];
    double a;
    int bad;
    *out = NAN;
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return 0;
    v = OGR_F_GetFieldAsString(f, i);
    bad = gs__parse_num(v, strlen(v), &a, &w);
    /* Empty text is no accuracy, as in a CSV: accuracy_m may be empty. */
    if (bad && !strcmp(w, "empty")) return 0;
    if (bad || a < 0) {
        gs__sanitize(v, strlen(v), sv, sizeof sv, 40);
        snprintf(full, sizeof full, "%s ('%s')", w, sv);
        gs__tr_add_bad(p, line, entry, "accuracy_m", full, 1, t);
        return -1;
    }
    *out = (float)a;
    return 0;
}

/* Reads one OGR feature into the part: a fix, or a bad row naming the
 * first field that cannot be used. `fixed_member` is the entry of every
 * feature's member (a GPX file's), or NO_ENTRY to read it from a field. */
static void read_feature(gs__tr_part *p, OGRFeatureH f, const int idx[R_COUNT],
                         uint32_t fixed_member) {
    GIntBig fid = OGR_F_GetFID(f);
    uint32_t line =
        fid >= 0 && fid < (GIntBig)UINT32_MAX ? (uint32_t)fid + 1 : 0;
    uint32_t entry = fixed_member;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    char why[96], full[160];
    int64_t t;
    gs__fix fx;
    if (entry == NO_ENTRY &&
        (entry = feature_member(p, f, idx[R_MEMBER], line)) == NO_ENTRY)
        return;
    if (feature_time(p, f, idx[R_TIME], &t, why, sizeof why)) {
        const char *v = OGR_F_IsFieldSetAndNotNull(f, idx[R_TIME])
                            ? OGR_F_GetFieldAsString(f, idx[R_TIME])
                            : "";
        char sv[48];
        gs__sanitize(v, strlen(v), sv, sizeof sv, 40);
        if (*v)
            snprintf(full, sizeof full, "%s ('%s')", why, sv);
        else
            snprintf(full, sizeof full, "%s", why);
        gs__tr_add_bad(p, line, entry, "time", full, 1, GS__TIME_UNKNOWN);
        return;
    }
    if (feature_accuracy(p, f, idx[R_ACC], line, entry, t, &fx.accuracy_m))
        return;
    if (!g || OGR_G_IsEmpty(g)) {
        gs__tr_add_bad(p, line, entry, "geometry", "no point", 0, t);
        return;
    }
    if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
        snprintf(full, sizeof full, "a %s, not a point",
                 OGR_G_GetGeometryName(g));
        gs__tr_add_bad(p, line, entry, "geometry", full, 1, t);
        return;
    }
    fx.lon = OGR_G_GetX(g, 0);
    fx.lat = OGR_G_GetY(g, 0);
    if (!isfinite(fx.lon) || !isfinite(fx.lat)) {
        gs__tr_add_bad(p, line, entry, "geometry", "NaN or infinite coordinate",
                       0, t);
        return;
    }
    fx.t_ms = t;
    fx.member = entry;
    fx.line = line;
    gs__tr_add_fix(p, &fx);
}

/* 1 when `path` is a Shapefile, whose text {encoding} applies to. */
static int is_shapefile(const char *path) {
    return gs__has_suffix(path, ".shp") || gs__has_suffix(path, ".dbf");
}

/* Opens the file, picks its layer (*out_lyr, of *out_ds, which the caller
 * closes) and applies the shard's attribute filter. GS_ERR_INPUT_OPEN,
 * GS_ERR_INPUT_FIELD when OGR refuses the filter. */
static int open_layer(gs__tr_reader *r, int gpx, GDALDatasetH *out_ds,
                      OGRLayerH *out_lyr) {
    gs_ctx *ctx = r->ctx;
    const char *path = r->o->path;
    const gs_input_opts *in = r->o->input;
    char **oo = NULL;
    int rc;
    if (in && in->encoding && is_shapefile(path))
        oo = CSLSetNameValue(oo, "ENCODING", in->encoding);
    gs__libmsg_clear(ctx);
    *out_ds = GDALOpenEx(
        path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, NULL,
        (const char *const *)oo, NULL);
    CSLDestroy(oo);
    if (!*out_ds)
        return gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                           "%s (traces): cannot open as a vector dataset "
                           "(truncated, damaged or not a GIS file?)",
                           path);
    rc = gs__tr_pick_layer(r, *out_ds, gpx, out_lyr);
    if (rc) return rc;
    snprintf(r->out->layer, sizeof r->out->layer, "%s",
             OGR_L_GetName(*out_lyr));
    if (r->o->where) {
        gs__libmsg_clear(ctx);
        if (OGR_L_SetAttributeFilter(*out_lyr, r->o->where) != OGRERR_NONE)
            return gs__err_lib(ctx, GS_ERR_INPUT_FIELD,
                               "%s, layer %s (traces): cannot select the "
                               "shard's members",
                               path, r->out->layer);
    }
    snprintf(r->out->encoding, sizeof r->out->encoding, "%s",
             in && in->encoding && is_shapefile(path) ? in->encoding : "UTF-8");
    return GS_OK;
}

/* The coordinates' CRS: the layer's, else {assume_crs}; none (WGS84) when
 * neither is given. A CRS named by {trace_crs} is kept as it is. */
static int layer_crs(gs__tr_reader *r, OGRLayerH lyr) {
    OGRSpatialReferenceH lsrs;
    const gs_input_opts *in = r->o->input;
    if (r->crs_mode == CRS_OGR) return GS_OK;
    lsrs = OGR_L_GetSpatialRef(lyr);
    if (lsrs) {
        r->srs = gs__srs_clone_gis(lsrs);
        return GS_OK;
    }
    if (in && in->assume_crs)
        return gs__srs_from_user(r->ctx, in->assume_crs, &r->srs);
    return GS_OK;
}

/* A GPX file without a member field is one device's log: its member is
 * the file's base name without ".gpx". *out is its entry in `p`. */
static int gpx_member(gs__tr_reader *r, gs__tr_part *p, uint32_t *out) {
    const char *path = r->o->path, *base = strrchr(path, '/');
    char name[MEMBER_MAX + 1];
    size_t n;
    base = base ? base + 1 : path;
    n = strlen(base) - 4; /* ".gpx" */
    if (n > MEMBER_MAX) n = MEMBER_MAX;
    memcpy(name, base, n);
    name[n] = '\0';
    *out = gs__tr_intern_member(p, name, n);
    if (*out == NO_ENTRY) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

/* Tells OGR to read only the fields we use (best effort). */
static void ignore_unused(OGRLayerH lyr, const char **names, int nf,
                          const int idx[R_COUNT]) {
    const char **ignored = gs__calloc((size_t)nf + 2, sizeof *ignored);
    int k = 0;
    if (!ignored) return;
    for (int i = 0; i < nf; i++)
        if (i != idx[R_MEMBER] && i != idx[R_TIME] && i != idx[R_ACC])
            ignored[k++] = names[i];
    ignored[k] = NULL;
    OGR_L_SetIgnoredFields(lyr, ignored);
    free((void *)ignored);
}

int gs__tr_read_ogr(gs__tr_reader *r) {
    gs_ctx *ctx = r->ctx;
    const char *path = r->o->path;
    GDALDatasetH ds = NULL;
    OGRLayerH lyr = NULL;
    OGRFeatureH f;
    const char **names = NULL;
    int rc, nf, gpx = gs__has_suffix(path, ".gpx"), idx[R_COUNT];
    uint32_t fixed = NO_ENTRY;
    char where[600];
    gs__tr_part *p;

    rc = open_layer(r, gpx, &ds, &lyr);
    if (rc) goto done;
    snprintf(where, sizeof where, "%s, layer %s", path, r->out->layer);
    if (OGR_L_GetGeomType(lyr) == wkbNone) {
        rc = gs__err(ctx, GS_ERR_INPUT_GEOMETRY,
                     "%s (traces): has no geometry; give points, or a CSV "
                     "with lon and lat columns",
                     where);
        goto done;
    }
    rc = gs__tr_layer_cols(r, lyr, where, !gpx, &names, &nf, idx);
    if (rc) goto done;
    rc = layer_crs(r, lyr);
    if (rc) goto done;
    r->parts = gs__calloc(1, sizeof *r->parts);
    if (!r->parts) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    r->n_parts = 1;
    p = &r->parts[0];
    gs__tr_part_init(p);
    p->tz = r->o->tz;
    r->first_line = 1; /* lines are feature ids + 1 already */
    if (gpx && idx[R_MEMBER] < 0 && (rc = gpx_member(r, p, &fixed))) goto done;
    ignore_unused(lyr, names, nf, idx);
    OGR_L_ResetReading(lyr);
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        read_feature(p, f, idx, fixed);
        OGR_F_Destroy(f);
        if (p->rc) {
            rc = gs__err(ctx, p->rc, "%s: %s", where, p->err);
            goto done;
        }
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0])
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s: reading stopped after %zu features", where,
                         p->n_fix + p->n_bad);
done:
    free((void *)names);
    if (ds) GDALClose(ds);
    return rc;
}
