/*
 * io.c - reading communities, grids, households and members into the model.
 *
 * Any OGR-readable source works (GeoPackage, Shapefile, GeoJSON, CSV,
 * PostGIS). A reader opens the source, picks the layer for its role (the
 * one named with --layer ROLE=NAME, else the layer named like the role, else
 * the only layer), finds each field by our name or by the user's mapping
 * (--field ROLE.FIELD=SOURCE), and reads every feature:
 *
 *   OGR feature -> checked strings (UTF-8, or recoded from --encoding)
 *               -> geometry checked (present, right type, finite)
 *               -> projected to the metric CRS -> GEOS (polygons) or x/y
 *
 * Setup problems (cannot open, no such layer, missing field, no CRS, empty
 * layer, text in another encoding) stop the run with a message naming the
 * file, layer, feature or line, and field. Per-feature problems (no
 * geometry, NaN coordinates) stop it too, unless --on-error=skip, which
 * records them in the model for the outputs to report.
 *
 * CSV sources are read with every column as text (so codes keep their
 * leading zeros) and point geometry from lon/lat-style columns; a CSV's
 * line number is its feature id plus one (the header line).
 */
#define _DEFAULT_SOURCE /* realpath */
#define _POSIX_C_SOURCE 200809L
#include "io.h"

#include <ctype.h>
#include <errno.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <iconv.h>
#include <math.h>
#include <ogr_api.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crs.h"
#include "geom.h"
#include "datetime.h"
#include "shard.h"

/* ---- roles and their fields -------------------------------------------- */

typedef struct field_spec {
    const char *name;
    int required;
} field_spec;

typedef struct role_spec {
    const char *role;
    const field_spec *fields;
} role_spec;

static const field_spec community_fields[] = {
    {"community_code", 1}, {"name", 0}, {NULL, 0}};
static const field_spec grid_fields[] = {{"grid_code", 1},
                                         {"community_code", 1},
                                         {"grid_type", 0},
                                         {"name", 0},
                                         {NULL, 0}};
static const field_spec household_fields[] = {{"household_id", 0},
                                              {"persons", 1},
                                              {"building_id", 0},
                                              {"care_type", 0},
                                              {NULL, 0}};
static const field_spec member_fields[] = {
    {"member_id", 1}, {"grid_code", 1}, {"name", 0}, {NULL, 0}};
/* Read by traces.c (its own CSV reader, and OGR for other formats). */
static const field_spec trace_fields[] = {{"member_id", 1},  {"time", 1},
                                          {"lon", 1},        {"lat", 1},
                                          {"accuracy_m", 0}, {NULL, 0}};

/* Read by gs__io_read_events; grid_code optional (joined by location). */
static const field_spec event_fields[] = {
    {"event_id", 1}, {"category", 1},  {"reported_at", 1}, {"resolved_at", 0},
    {"status", 0},   {"grid_code", 0}, {NULL, 0}};

/* Read by gs__io_read_barriers: the roads, rivers, walls and rails that
 * partition follows. */
static const field_spec barrier_fields[] = {
    {"kind", 1}, {"name", 0}, {NULL, 0}};

static const role_spec roles[] = {
    {"communities", community_fields}, {"grids", grid_fields},
    {"households", household_fields},  {"members", member_fields},
    {"traces", trace_fields},          {"events", event_fields},
    {"barriers", barrier_fields},      {NULL, NULL}};

static const role_spec *find_role(const char *name, size_t len) {
    for (const role_spec *r = roles; r->role; r++)
        if (strlen(r->role) == len && strncmp(r->role, name, len) == 0)
            return r;
    return NULL;
}

int gs__io_check_opts(gs_ctx *ctx, const gs_input_opts *opts) {
    if (!opts) return GS_OK;
    /* Checked here, before any work, not when an input first needs them:
     * a misspelt encoding or CRS must not pass unnoticed because this run
     * happened not to use it. */
    if (opts->encoding) {
        iconv_t cd = iconv_open("UTF-8", opts->encoding);
        if (cd == (iconv_t)-1)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{encoding} '%s': unknown encoding (e.g. GB18030, "
                           "GBK, UTF-8)",
                           opts->encoding);
        iconv_close(cd);
    }
    if (opts->assume_crs) {
        OGRSpatialReferenceH srs;
        int rc = gs__srs_from_user(ctx, opts->assume_crs, &srs);
        if (rc) return rc;
        OSRDestroySpatialReference(srs);
    }
    for (size_t i = 0; i < opts->n_layers; i++) {
        const char *s = opts->layers[i];
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq || eq == s || !eq[1])
            return gs__err(ctx, GS_ERR_USAGE,
                           "{layers} '%s': expected ROLE=LAYER, e.g. "
                           "grids=wangge",
                           s ? s : "");
        if (!find_role(s, (size_t)(eq - s)))
            return gs__err(ctx, GS_ERR_USAGE,
                           "{layers} '%s': unknown role '%.*s' (known: "
                           "communities, grids, households, members, "
                           "traces, events, barriers)",
                           s, (int)(eq - s), s);
    }
    for (size_t i = 0; i < opts->n_fields; i++) {
        const char *s = opts->fields[i];
        const char *dot = s ? strchr(s, '.') : NULL;
        const char *eq = s ? strchr(s, '=') : NULL;
        const role_spec *r;
        const field_spec *f;
        size_t flen;
        if (!dot || !eq || dot > eq || dot == s || eq == dot + 1 || !eq[1])
            return gs__err(ctx, GS_ERR_USAGE,
                           "{fields} '%s': expected ROLE.FIELD=SOURCE, e.g. "
                           "households.persons=renkou",
                           s ? s : "");
        r = find_role(s, (size_t)(dot - s));
        if (!r)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{fields} '%s': unknown role '%.*s' (known: "
                           "communities, grids, households, members, "
                           "traces, events, barriers)",
                           s, (int)(dot - s), s);
        flen = (size_t)(eq - dot - 1);
        for (f = r->fields; f->name; f++)
            if (strlen(f->name) == flen && !strncmp(f->name, dot + 1, flen))
                break;
        if (!f->name)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{fields} '%s': %s has no field '%.*s'", s, r->role,
                           (int)flen, dot + 1);
    }
    return GS_OK;
}

/* ---- sources ------------------------------------------------------------ */

typedef struct src {
    gs_ctx *ctx;
    const gs_input_opts *opts;
    const char *role;
    const char *path;
    GDALDatasetH ds;
    OGRLayerH lyr;
    char layer[256];
    int is_csv;
    int recode;               /* text is recoded from opts->encoding */
    OGRSpatialReferenceH srs; /* GIS axis order, owned; NULL if none */
    gs__arena *arena;
    int lines; /* read_polys reads (Multi)LineStrings, not polygons */
    char tmp[512];
} src;

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

const char *gs__io_mapped_field(const gs_input_opts *opts, const char *role,
                                const char *field) {
    size_t rl = strlen(role), fl = strlen(field);
    if (!opts) return NULL;
    for (size_t i = 0; i < opts->n_fields; i++) {
        const char *spec = opts->fields[i];
        if (strncmp(spec, role, rl) == 0 && spec[rl] == '.' &&
            strncmp(spec + rl + 1, field, fl) == 0 && spec[rl + 1 + fl] == '=')
            return spec + rl + 1 + fl + 1;
    }
    return NULL;
}

const char *gs__io_mapped_layer(const gs_input_opts *opts, const char *role) {
    size_t rl = strlen(role);
    if (!opts) return NULL;
    for (size_t i = 0; i < opts->n_layers; i++) {
        const char *spec = opts->layers[i];
        if (strncmp(spec, role, rl) == 0 && spec[rl] == '=')
            return spec + rl + 1;
    }
    return NULL;
}

static const char *mapped_name(const src *s, const char *field) {
    return gs__io_mapped_field(s->opts, s->role, field);
}

static const char *mapped_layer(const src *s) {
    return gs__io_mapped_layer(s->opts, s->role);
}

static void src_close(src *s) {
    if (s->srs) OSRDestroySpatialReference(s->srs);
    if (s->ds) GDALClose(s->ds);
    s->srs = NULL;
    s->ds = NULL;
}

/* "file, line N" for CSV, "file, layer L, feature N" otherwise. */
static void where_str(const char *path, const char *layer, int is_csv,
                      gs__origin o, char *buf, size_t size) {
    if (is_csv && o.line > 0)
        snprintf(buf, size, "%s, line %ld", path, o.line);
    else if (o.fid >= 0)
        snprintf(buf, size, "%s, layer %s, feature %ld", path, layer, o.fid);
    else
        snprintf(buf, size, "%s, layer %s", path, layer);
}

static gs__origin feature_origin(const src *s, OGRFeatureH f) {
    gs__origin o;
    o.fid = (long)OGR_F_GetFID(f);
    o.line = s->is_csv && o.fid >= 0 ? o.fid + 1 : 0;
    return o;
}

static const char *where(src *s, gs__origin o) {
    where_str(s->path, s->layer, s->is_csv, o, s->tmp, sizeof s->tmp);
    return s->tmp;
}

static int sha256_files(gs_ctx *ctx, GDALDatasetH ds, char out[65]) {
    char **files = GDALGetFileList(ds);
    int rc = gs__sha256_paths(ctx, (const char *const *)files, out);
    CSLDestroy(files);
    return rc;
}

/* Sets the shard's extent (with its halo) as the layer's spatial filter,
 * transformed into the layer's CRS when it differs. */
static int shard_spatial_filter(src *s) {
    gs_ctx *ctx = s->ctx;
    double e[4], x0, y0, x1, y1;
    const char *ewkt = NULL;
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(s->lyr), esrs;
    gs__shard_extent(ctx, e, &ewkt);
    x0 = e[0], y0 = e[1], x1 = e[2], y1 = e[3];
    esrs = OSRNewSpatialReference(ewkt);
    if (!esrs) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    OSRSetAxisMappingStrategy(esrs, OAMS_TRADITIONAL_GIS_ORDER);
    if (lsrs && !OSRIsSame(lsrs, esrs)) {
        OGRSpatialReferenceH l = gs__srs_clone_gis(lsrs);
        OGRCoordinateTransformationH ct =
            l ? OCTNewCoordinateTransformation(esrs, l) : NULL;
        int ok = ct && OCTTransformBounds(ct, e[0], e[1], e[2], e[3], &x0, &y0,
                                          &x1, &y1, 21);
        if (ct) OCTDestroyCoordinateTransformation(ct);
        if (l) OSRDestroySpatialReference(l);
        if (!ok) {
            OSRDestroySpatialReference(esrs);
            return gs__err_lib(ctx, GS_ERR_INPUT_CRS,
                               "%s, layer %s (%s): cannot transform the "
                               "shard's extent into the layer's CRS",
                               s->path, s->layer, s->role);
        }
    }
    OSRDestroySpatialReference(esrs);
    OGR_L_SetSpatialFilterRect(s->lyr, x0, y0, x1, y1);
    return GS_OK;
}

/* Widens the shard's extent by the envelope of the role's features whose
 * community_code has a shard prefix. */
static int shard_envelope(gs_ctx *ctx, const gs_input_opts *opts,
                          const char *role, const char *path, gs__inputs *info);

static int src_open(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                    const char *path, int want_geom, gs__arena *arena, src *s,
                    gs__inputs *info) {
    struct stat st;
    char **oo = NULL;
    const char *lname;
    double ext[4];
    int rc = GS_OK;

    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->opts = opts;
    s->role = role;
    s->path = path;
    s->arena = arena;

    if (strncmp(path, "PG:", 3) != 0) {
        if (stat(path, &st) != 0)
            return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (%s): %s", path, role,
                           strerror(errno));
        if (S_ISDIR(st.st_mode))
            return gs__err(ctx, GS_ERR_INPUT_OPEN,
                           "%s (%s): is a directory, not a file", path, role);
    }
    s->is_csv = has_suffix(path, ".csv") || has_suffix(path, ".tsv") ||
                has_suffix(path, ".txt");
    if (s->is_csv) {
        /* Every column as text, so that codes keep their leading zeros;
         * point geometry from the usual coordinate column names. */
        oo = CSLAddString(oo, "X_POSSIBLE_NAMES=lon,lng,longitude,x,经度");
        oo = CSLAddString(oo, "Y_POSSIBLE_NAMES=lat,latitude,y,纬度");
        oo = CSLAddString(oo, "GEOM_POSSIBLE_NAMES=wkt,geometry,geom");
        oo = CSLAddString(oo, "KEEP_GEOM_COLUMNS=YES");
        oo = CSLAddString(oo, "AUTODETECT_TYPE=NO");
        oo = CSLAddString(oo, "EMPTY_STRING_AS_NULL=NO");
        if (opts && opts->encoding) s->recode = 1;
    } else if (has_suffix(path, ".shp") || has_suffix(path, ".dbf")) {
        if (opts && opts->encoding)
            oo = CSLSetNameValue(oo, "ENCODING", opts->encoding);
    }
    gs__libmsg_clear(ctx);
    s->ds = GDALOpenEx(
        path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        s->is_csv ? (const char *const[]){"CSV", NULL} : NULL,
        (const char *const *)oo, NULL);
    CSLDestroy(oo);
    if (!s->ds) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s (%s): cannot open as a vector dataset "
                         "(truncated, damaged or not a GIS file?)",
                         path, role);
        goto fail;
    }
    lname = mapped_layer(s);
    if (lname) {
        s->lyr = GDALDatasetGetLayerByName(s->ds, lname);
        if (!s->lyr) {
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: no layer '%s' (%s)", path,
                         lname, role);
            goto fail;
        }
    } else {
        int n = GDALDatasetGetLayerCount(s->ds);
        s->lyr = GDALDatasetGetLayerByName(s->ds, role);
        if (!s->lyr && n == 1) s->lyr = GDALDatasetGetLayer(s->ds, 0);
        if (!s->lyr) {
            char names[400] = "";
            size_t off = 0;
            for (int i = 0; i < n && off + 2 < sizeof names; i++) {
                int w = snprintf(names + off, sizeof names - off, "%s%s",
                                 i ? ", " : "",
                                 OGR_L_GetName(GDALDatasetGetLayer(s->ds, i)));
                if (w < 0) break;
                off += (size_t)w;
            }
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                         "%s: %s, and no layer is named '%s'; choose one "
                         "with {layers} %s=NAME (layers: %s)",
                         path, n ? "several layers" : "no layers", role, role,
                         n ? names : "none");
            goto fail;
        }
    }
    snprintf(s->layer, sizeof s->layer, "%s", OGR_L_GetName(s->lyr));
    if (want_geom) {
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(s->lyr);
        if (OGR_L_GetGeomType(s->lyr) == wkbNone && !s->is_csv) {
            rc = gs__err(ctx, GS_ERR_INPUT_GEOMETRY,
                         "%s, layer %s (%s): has no geometry column", path,
                         s->layer, role);
            goto fail;
        }
        if (lsrs) {
            s->srs = gs__srs_clone_gis(lsrs);
        } else if (opts && opts->assume_crs) {
            rc = gs__srs_from_user(ctx, opts->assume_crs, &s->srs);
            if (rc) goto fail;
        } else if (s->is_csv) {
            /* Coordinates in a CSV are lon/lat as phones and platforms
             * export them: WGS84 (within centimetres of CGCS2000). */
            rc = gs__srs_from_user(ctx, "EPSG:4326", &s->srs);
            if (rc) goto fail;
        } else {
            rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                         "%s, layer %s (%s): declares no coordinate "
                         "reference system (missing or unreadable .prj?); "
                         "give it with {assume_crs} EPSG:4490 (CGCS2000 "
                         "lon/lat) or the right EPSG code",
                         path, s->layer, role);
            goto fail;
        }
    }
    if (want_geom && gs__shard_extent(ctx, ext, NULL) && !s->is_csv &&
        (rc = shard_spatial_filter(s)))
        goto fail;
    if (info && info->n < (int)(sizeof info->items / sizeof info->items[0])) {
        gs__input_info *ii = &info->items[info->n];
        int read_failed;
        memset(ii, 0, sizeof *ii);
        snprintf(ii->role, sizeof ii->role, "%s", role);
        ii->path = gs__strdup(path);
        ii->layer = gs__strdup(s->layer);
        gs__libmsg_clear(ctx);
        CPLErrorReset();
        ii->features = (long)OGR_L_GetFeatureCount(s->lyr, 1);
        /* A count cut short by a read error (a CSV line over GDAL's
         * maximum) is that error, not an empty layer. */
        read_failed = CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0];
        if (!ii->path || !ii->layer) {
            free(ii->path);
            free(ii->layer);
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        info->n++;
        rc = sha256_files(ctx, s->ds, ii->sha256);
        if (rc) goto fail;
        if (ii->features == 0 && read_failed) {
            rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                             "%s, layer %s (%s): reading stopped after 0 "
                             "features",
                             path, s->layer, role);
            goto fail;
        }
        if (ii->features == 0) {
            rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                         "%s, layer %s (%s): the layer has no features", path,
                         s->layer, role);
            goto fail;
        }
    }
    return GS_OK;
fail:
    src_close(s);
    return rc;
}

static int shard_envelope(gs_ctx *ctx, const gs_input_opts *opts,
                          const char *role, const char *path,
                          gs__inputs *info) {
    src s;
    OGREnvelope env;
    OGRSpatialReferenceH esrs = NULL;
    char *q = NULL, *wkt = NULL;
    const char *field, *ewkt = NULL;
    double ext[4];
    int rc = src_open(ctx, opts, role, path, 1, NULL, &s, NULL);
    (void)info;
    if (rc) return rc;
    if (s.is_csv) goto done;             /* no polygons in a CSV */
    OGR_L_SetSpatialFilter(s.lyr, NULL); /* the extent is being made */
    field = mapped_name(&s, "community_code");
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
    src_close(&s);
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

/* Finds the field `name` of the role, through the user's mapping if any.
 * *out_idx is -1 for an optional field that is absent. */
static int src_field(src *s, const char *name, int required, int *out_idx) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    const char *mapped = mapped_name(s, name);
    const char *look = mapped ? mapped : name;
    int idx = OGR_FD_GetFieldIndex(fd, look);
    *out_idx = -1;
    if (idx < 0) {
        /* Case-insensitive second chance: Excel and DBF like capitals. */
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n; i++)
            if (!strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)),
                            look)) {
                idx = i;
                break;
            }
    }
    if (idx < 0 && !mapped && strlen(look) > 10) {
        /* DBF cuts names to 10 characters: community_code is stored as
         * community_ by every Shapefile writer. */
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n; i++) {
            const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
            if (strlen(fn) == 10 && !strncasecmp(fn, look, 10)) {
                idx = i;
                break;
            }
        }
    }
    if (idx < 0 && (required || mapped)) {
        char names[600] = "";
        size_t off = 0;
        int n = OGR_FD_GetFieldCount(fd);
        for (int i = 0; i < n && off + 2 < sizeof names; i++) {
            int w =
                snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)));
            if (w < 0) break;
            off += (size_t)w;
        }
        if (mapped)
            return gs__err(s->ctx, GS_ERR_INPUT_FIELD,
                           "%s, layer %s: field '%s' (mapped to %s.%s with "
                           "{fields}) does not exist (fields: %s)",
                           s->path, s->layer, mapped, s->role, name,
                           n ? names : "none");
        return gs__err(s->ctx, GS_ERR_INPUT_FIELD,
                       "%s, layer %s: missing required field '%s' of %s "
                       "(fields: %s); map yours with {fields} %s.%s=NAME",
                       s->path, s->layer, name, s->role, n ? names : "none",
                       s->role, name);
    }
    *out_idx = idx;
    return GS_OK;
}

static char *trim(char *p) {
    char *e;
    while (*p && isspace((unsigned char)*p)) p++;
    e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return p;
}

/* Reads field `idx` as trimmed UTF-8 text into the arena ("" when absent or
 * null). Text that is not UTF-8 is an error naming the line and field,
 * unless --encoding says what it is. */
static int src_str(src *s, OGRFeatureH f, int idx, const char *field,
                   const char **out) {
    const char *raw;
    char small[256], *buf = small, *t;
    size_t n;
    int rc = GS_OK;
    *out = "";
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return GS_OK;
    raw = OGR_F_GetFieldAsString(f, idx);
    if (s->recode && !CPLIsASCII(raw, strlen(raw))) {
        char *u, *back = NULL;
        int same;
        gs__libmsg_clear(s->ctx);
        /* CPLRecode skips bytes it cannot convert; only a round trip to
         * the same bytes proves the text really was in that encoding (a
         * UTF-8 file read as GB18030 would otherwise come out mangled). */
        u = CPLRecode(raw, s->opts->encoding, CPL_ENC_UTF8);
        if (u && CPLIsUTF8(u, -1))
            back = CPLRecode(u, CPL_ENC_UTF8, s->opts->encoding);
        same = back && strcmp(back, raw) == 0;
        CPLFree(back);
        if (!same) {
            CPLFree(u);
            return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, field %s: the text is not valid %s (is the "
                           "file in another encoding, e.g. UTF-8?)",
                           where(s, feature_origin(s, f)), field,
                           s->opts->encoding);
        }
        n = strlen(u);
        if (n + 1 > sizeof small) buf = gs__malloc(n + 1);
        if (!buf) {
            CPLFree(u);
            return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        }
        memcpy(buf, u, n + 1);
        CPLFree(u);
    } else {
        if (!CPLIsUTF8(raw, -1))
            return gs__err(s->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, field %s: text is not valid UTF-8 (a CSV "
                           "saved by Excel is often GBK/GB18030); re-run "
                           "with {encoding} GB18030 or save it as UTF-8",
                           where(s, feature_origin(s, f)), field);
        n = strlen(raw);
        if (n + 1 > sizeof small) buf = gs__malloc(n + 1);
        if (!buf) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        memcpy(buf, raw, n + 1);
    }
    t = trim(buf);
    *out = gs__arena_strdup(s->arena, t);
    if (!*out) rc = gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    if (buf != small) free(buf);
    return rc;
}

/* persons: an integer >= 0. *ok is 0 for missing, negative, non-integer or
 * unparsable values (the `bad_persons` rule), never an error. */
static void src_persons(src *s, OGRFeatureH f, int idx, long *value, int *ok) {
    OGRFieldDefnH fd;
    *value = 0;
    *ok = 0;
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return;
    fd = OGR_F_GetFieldDefnRef(f, idx);
    switch (OGR_Fld_GetType(fd)) {
        case OFTInteger:
        case OFTInteger64: {
            long long v = OGR_F_GetFieldAsInteger64(f, idx);
            if (v >= 0 && v <= 1000000) {
                *value = (long)v;
                *ok = 1;
            }
            return;
        }
        case OFTReal: {
            double v = OGR_F_GetFieldAsDouble(f, idx);
            if (isfinite(v) && v >= 0 && v <= 1e6 && v == floor(v)) {
                *value = (long)v;
                *ok = 1;
            }
            return;
        }
        default: {
            const char *raw = OGR_F_GetFieldAsString(f, idx);
            char *end;
            double v;
            while (isspace((unsigned char)*raw)) raw++;
            if (!*raw) return;
            errno = 0;
            v = strtod(raw, &end);
            while (isspace((unsigned char)*end)) end++;
            if (errno || *end || !isfinite(v) || v < 0 || v > 1e6 ||
                v != floor(v))
                return;
            *value = (long)v;
            *ok = 1;
            return;
        }
    }
    (void)s;
}

/* ---- geometry checks ----------------------------------------------------- */

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

static int report_problem(src *s, gs__model *m, gs__origin o,
                          const char *problem) {
    if (!s->opts || s->opts->on_error != GS_ON_ERROR_SKIP)
        return gs__err(s->ctx, GS_ERR_INPUT_GEOMETRY,
                       "%s: %s (use {on_error}=skip to leave such features "
                       "out and list them in the output)",
                       where(s, o), problem);
    if (gs__model_skip(m, s->role, problem, o, NAN, NAN))
        return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

/* OGR geometry in the source CRS -> polygonal GEOS geometry in metres,
 * 2D. NULL on failure with the context's error set. */
static GEOSGeometry *to_metric_geos(src *s, OGRGeometryH g,
                                    OGRCoordinateTransformationH ct,
                                    gs__origin o) {
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
                    where(s, o));
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
                    "%s: GEOS cannot read the geometry", where(s, o));
done:
    free(wkb);
    OGR_G_DestroyGeometry(c);
    return out;
}

/* ---- polygon layers ------------------------------------------------------ */

typedef struct raw_poly {
    OGRFeatureH f;
    gs__origin origin;
} raw_poly;

/* Reads every feature of a polygon layer, checking geometry; features with
 * problems are skipped (recorded) or fail. The caller destroys features. */
static int read_polys(src *s, gs__model *m, raw_poly **out, size_t *out_n,
                      OGREnvelope *env) {
    size_t n = 0, cap = 0;
    raw_poly *v = NULL;
    OGRFeatureH f;
    int rc = GS_OK, have_env = 0;
    OGR_L_ResetReading(s->lyr);
    while ((f = OGR_L_GetNextFeature(s->lyr)) != NULL) {
        gs__origin o = feature_origin(s, f);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        const char *problem = polygon_problem(g, s->lines);
        if (problem) {
            OGR_F_Destroy(f);
            rc = report_problem(s, m, o, problem);
            if (rc) goto fail;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            raw_poly *nv = gs__realloc(v, nc * sizeof *nv);
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

static void free_polys(raw_poly *v, size_t n) {
    for (size_t i = 0; i < n; i++) OGR_F_Destroy(v[i].f);
    free(v);
}

/* Geographic data must lie within lon/lat bounds; anything else is
 * projected data with a wrong CRS label. */
static int check_geographic(src *s, const OGREnvelope *e) {
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

void gs__crsinfo_free(gs__crsinfo *c) {
    if (c->metric) OSRDestroySpatialReference(c->metric);
    if (c->output) OSRDestroySpatialReference(c->output);
    free(c->metric_name);
    memset(c, 0, sizeof *c);
}

/* Picks the metric CRS from the centre of `env` (in the source's CRS) and
 * makes the source's CRS the output one. */
static int pick_crs(src *s, const OGREnvelope *env, gs__crsinfo *crs) {
    int rc = gs__crs_pick_metric(s->ctx, s->srs, (env->MinX + env->MaxX) / 2,
                                 (env->MinY + env->MaxY) / 2, &crs->metric,
                                 &crs->metric_name);
    if (rc) return rc;
    crs->output = OSRClone(s->srs);
    if (!crs->output) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    OSRSetAxisMappingStrategy(crs->output, OAMS_TRADITIONAL_GIS_ORDER);
    return GS_OK;
}

int gs__io_pick_crs(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                    const char *path, gs__crsinfo *crs) {
    src s;
    gs__arena scratch;
    OGREnvelope env;
    int rc;
    gs__arena_init(&scratch);
    rc = src_open(ctx, opts, role, path, 1, &scratch, &s, NULL);
    if (rc) goto done;
    if (OGR_L_GetExtent(s.lyr, &env, 1) != OGRERR_NONE)
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (%s): the layer has no geometry", path,
                     s.layer, role);
    if (!rc) rc = check_geographic(&s, &env);
    if (!rc) rc = pick_crs(&s, &env, crs);
    src_close(&s);
done:
    gs__arena_free(&scratch);
    return rc;
}

int gs__io_read_grids(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                      gs__model *m, gs__crsinfo *crs, gs__inputs *info) {
    src s;
    raw_poly *raw = NULL;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_code, i_comm, i_type, i_name;
    GEOSContextHandle_t h = ctx->geos;

    rc = src_open(ctx, opts, "grids", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = src_field(&s, "grid_code", 1, &i_code)) ||
        (rc = src_field(&s, "community_code", 1, &i_comm)) ||
        (rc = src_field(&s, "grid_type", 0, &i_type)) ||
        (rc = src_field(&s, "name", 0, &i_name)))
        goto done;
    rc = read_polys(&s, m, &raw, &n, &env);
    if (rc) goto done;
    rc = check_geographic(&s, &env);
    if (rc) goto done;
    /* A metric CRS chosen beforehand (the merge of shard outputs picks
     * the one of all the shards' grids) is kept. */
    if (!crs->metric) rc = pick_crs(&s, &env, crs);
    if (rc) goto done;
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;

    m->grids = gs__calloc(n, sizeof *m->grids);
    if (!m->grids) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        OGRFeatureH f = raw[i].f;
        gs__grid *g = &m->grids[m->n_grids];
        OGRGeometryH src_g = OGR_F_GetGeometryRef(f), multi;
        GEOSGeometry *geos;
        g->origin = raw[i].origin;
        if ((rc = src_str(&s, f, i_code, "grid_code", &g->code)) ||
            (rc = src_str(&s, f, i_comm, "community_code",
                          &g->community_code)) ||
            (rc = src_str(&s, f, i_type, "grid_type", &g->grid_type)) ||
            (rc = src_str(&s, f, i_name, "name", &g->name)))
            goto done;
        if (!g->grid_type[0]) g->grid_type = "basic";
        {
            OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(src_g));
            g->nparts = (t == wkbMultiPolygon || t == wkbMultiSurface)
                            ? OGR_G_GetGeometryCount(src_g)
                            : 1;
        }
        /* The stored geometry, as MultiPolygon WKB in the output CRS. */
        multi = OGR_G_Clone(src_g);
        if (multi) {
            OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(multi));
            if (t == wkbCurvePolygon || t == wkbMultiSurface) {
                OGRGeometryH lin = OGR_G_GetLinearGeometry(multi, 0, NULL);
                OGR_G_DestroyGeometry(multi);
                multi = lin;
            }
        }
        if (multi) multi = OGR_G_ForceToMultiPolygon(multi);
        if (!multi) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        OGR_G_FlattenTo2D(multi);
        g->src_wkb_len = (size_t)OGR_G_WkbSize(multi);
        g->src_wkb = gs__malloc(g->src_wkb_len);
        if (!g->src_wkb) {
            OGR_G_DestroyGeometry(multi);
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        OGR_G_ExportToWkb(multi, wkbNDR, g->src_wkb);
        OGR_G_DestroyGeometry(multi);

        geos = to_metric_geos(&s, src_g, ct, g->origin);
        if (!geos) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            free(g->src_wkb);
            g->src_wkb = NULL;
            goto done;
        }
        g->geom = gs__geom_check_repair(h, geos, &g->invalid, g->invalid_reason,
                                        sizeof g->invalid_reason, &g->invalid_x,
                                        &g->invalid_y);
        m->n_grids++; /* counted before a failure so it is freed */
        if (!g->geom) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free_polys(raw, n);
    src_close(&s);
    return rc;
}

int gs__io_read_communities(gs_ctx *ctx, const gs_input_opts *opts,
                            const char *path, gs__model *m,
                            const gs__crsinfo *crs, gs__inputs *info) {
    src s;
    raw_poly *raw = NULL;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_code, i_name;
    GEOSContextHandle_t h = ctx->geos;

    rc = src_open(ctx, opts, "communities", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = src_field(&s, "community_code", 1, &i_code)) ||
        (rc = src_field(&s, "name", 0, &i_name)))
        goto done;
    rc = read_polys(&s, m, &raw, &n, &env);
    if (rc) goto done;
    rc = check_geographic(&s, &env);
    if (rc) goto done;
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;
    m->communities = gs__calloc(n, sizeof *m->communities);
    if (!m->communities) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gs__community *c = &m->communities[m->n_communities];
        GEOSGeometry *geos;
        int invalid = 0;
        char reason[160];
        double lx, ly;
        c->origin = raw[i].origin;
        if ((rc = src_str(&s, raw[i].f, i_code, "community_code", &c->code)) ||
            (rc = src_str(&s, raw[i].f, i_name, "name", &c->name)))
            goto done;
        geos =
            to_metric_geos(&s, OGR_F_GetGeometryRef(raw[i].f), ct, c->origin);
        if (!geos) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            goto done;
        }
        c->geom = gs__geom_check_repair(h, geos, &invalid, reason,
                                        sizeof reason, &lx, &ly);
        if (!c->geom) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        m->n_communities++;
        if (invalid)
            gs__warn(ctx,
                     "%s: community %s is not a valid polygon (%s); its "
                     "repaired shape is used",
                     where(&s, c->origin), c->code, reason);
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free_polys(raw, n);
    src_close(&s);
    return rc;
}

int gs__io_read_barriers(gs_ctx *ctx, const gs_input_opts *opts,
                         const char *path, gs__model *m, const gs__crsinfo *crs,
                         gs__inputs *info) {
    src s;
    raw_poly *raw = NULL;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_kind, i_name;

    rc = src_open(ctx, opts, "barriers", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    s.lines = 1;
    if ((rc = src_field(&s, "kind", 1, &i_kind)) ||
        (rc = src_field(&s, "name", 0, &i_name)) ||
        (rc = read_polys(&s, m, &raw, &n, &env)) ||
        (rc = check_geographic(&s, &env)) ||
        (rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct)))
        goto done;
    m->barriers = gs__calloc(n, sizeof *m->barriers);
    if (!m->barriers) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gs__barrier *b = &m->barriers[m->n_barriers];
        b->origin = raw[i].origin;
        if ((rc = src_str(&s, raw[i].f, i_kind, "kind", &b->kind)) ||
            (rc = src_str(&s, raw[i].f, i_name, "name", &b->name)))
            goto done;
        b->geom =
            to_metric_geos(&s, OGR_F_GetGeometryRef(raw[i].f), ct, b->origin);
        if (!b->geom) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            goto done;
        }
        m->n_barriers++;
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free_polys(raw, n);
    src_close(&s);
    return rc;
}

static const char *const xs[] = {"lon", "lng", "longitude", "x", "经度"};
static const char *const ys[] = {"lat", "latitude", "y", "纬度"};

static int is_coord_name(const char *name) {
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        if (!strcasecmp(name, xs[i])) return 1;
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++)
        if (!strcasecmp(name, ys[i])) return 1;
    return 0;
}

/* Why a CSV row has no point: names the coordinate columns and values. */
static void csv_coord_problem(src *s, OGRFeatureH f, char *buf, size_t size) {
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
    (void)s;
}

/* NULL and the point's coordinates (source CRS) when the feature has a
 * usable point, else why not (in buf, or static). */
static const char *point_problem(src *s, OGRFeatureH f, double *x, double *y,
                                 char *buf, size_t size) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if ((!g || OGR_G_IsEmpty(g)) && s->is_csv) {
        csv_coord_problem(s, f, buf, size);
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

int gs__io_read_households(gs_ctx *ctx, const gs_input_opts *opts,
                           const char *path, gs__model *m,
                           const gs__crsinfo *crs, gs__inputs *info) {
    src s;
    OGRCoordinateTransformationH ct = NULL;
    OGRFeatureH f;
    int rc, i_id, i_persons, i_bld, i_care;
    size_t cap = 0, n = 0, out_of_range = 0;
    int *ok = NULL;
    long total;

    rc = src_open(ctx, opts, "households", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = src_field(&s, "household_id", 0, &i_id)) ||
        (rc = src_field(&s, "persons", 1, &i_persons)) ||
        (rc = src_field(&s, "building_id", 0, &i_bld)) ||
        (rc = src_field(&s, "care_type", 0, &i_care)))
        goto done;
    {
        /* Read only the fields we use: much faster on wide layers. */
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s.lyr);
        int nf = OGR_FD_GetFieldCount(fd), k = 0;
        const char **ignored = gs__calloc((size_t)nf + 2, sizeof *ignored);
        if (ignored) {
            for (int i = 0; i < nf; i++) {
                const char *fn = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
                if (i == i_id || i == i_persons || i == i_bld || i == i_care)
                    continue;
                /* A CSV's coordinate columns are kept for messages. */
                if (s.is_csv && is_coord_name(fn)) continue;
                ignored[k++] = fn;
            }
            ignored[k++] = "OGR_STYLE";
            ignored[k] = NULL;
            OGR_L_SetIgnoredFields(s.lyr, ignored);
            free(ignored);
        }
    }
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;
    total = (long)OGR_L_GetFeatureCount(s.lyr, 0);
    cap = total > 0 ? (size_t)total : 1024;
    m->households = gs__malloc(cap * sizeof *m->households);
    if (!m->households) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    OGR_L_ResetReading(s.lyr);
    while ((f = OGR_L_GetNextFeature(s.lyr)) != NULL) {
        gs__household *hh;
        gs__origin o = feature_origin(&s, f);
        char problem_buf[300];
        double x = 0, y = 0;
        const char *problem =
            point_problem(&s, f, &x, &y, problem_buf, sizeof problem_buf);
        if (problem) {
            OGR_F_Destroy(f);
            rc = report_problem(&s, m, o, problem);
            if (rc) goto done;
            continue;
        }
        if (n == cap) {
            size_t nc = cap * 2;
            gs__household *nv = gs__realloc(m->households, nc * sizeof *nv);
            if (!nv) {
                OGR_F_Destroy(f);
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            m->households = nv;
            cap = nc;
        }
        hh = &m->households[n];
        memset(hh, 0, sizeof *hh);
        hh->origin = o;
        hh->x = x;
        hh->y = y;
        if (s.srs && OSRIsGeographic(s.srs) &&
            (x < -180 || x > 360 || y < -90 || y > 90))
            out_of_range++;
        rc = src_str(&s, f, i_id, "household_id", &hh->id);
        if (!rc) rc = src_str(&s, f, i_bld, "building_id", &hh->building_id);
        if (!rc) rc = src_str(&s, f, i_care, "care_type", &hh->care_type);
        src_persons(&s, f, i_persons, &hh->persons, &hh->persons_ok);
        OGR_F_Destroy(f);
        if (rc) goto done;
        n++;
        if ((n & 0xffff) == 0 && total > 0)
            gs__progress(ctx, "read households", (double)n / (double)total);
    }
    m->n_households = n;
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0]) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s, layer %s: reading stopped after %zu features",
                         path, s.layer, n);
        goto done;
    }
    if (n == 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (households): no feature has a usable "
                     "point",
                     path, s.layer);
        goto done;
    }
    if (out_of_range * 2 > n) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (households): %zu of %zu points are not "
                     "longitudes and latitudes, yet the layer's CRS is "
                     "geographic; the data is probably projected and its "
                     "CRS declared wrongly",
                     path, s.layer, out_of_range, n);
        goto done;
    }
    /* Project in batches: one PROJ call per batch, not per point. */
    ok = gs__malloc(4096 * sizeof *ok);
    if (!ok) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    {
        double xs[4096], ys[4096];
        size_t w = 0;
        for (size_t i = 0; i < n; i += 4096) {
            size_t k = n - i < 4096 ? n - i : 4096;
            for (size_t j = 0; j < k; j++) {
                xs[j] = m->households[i + j].x;
                ys[j] = m->households[i + j].y;
            }
            OCTTransformEx(ct, (int)k, xs, ys, NULL, ok);
            for (size_t j = 0; j < k; j++) {
                gs__household hh = m->households[i + j];
                if (!ok[j] || !isfinite(xs[j]) || !isfinite(ys[j])) {
                    rc = report_problem(&s, m, hh.origin,
                                        "point cannot be projected to the "
                                        "metric CRS (outside its range)");
                    if (rc) goto done;
                    continue;
                }
                hh.x = xs[j];
                hh.y = ys[j];
                m->households[w++] = hh;
            }
        }
        m->n_households = w;
    }
done:
    free(ok);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    src_close(&s);
    return rc;
}

int gs__io_read_members(gs_ctx *ctx, const gs_input_opts *opts,
                        const char *path, int shard_rows, gs__model *m,
                        gs__inputs *info) {
    src s;
    OGRFeatureH f;
    int rc, i_id, i_grid, i_name;
    size_t cap = 0;

    rc = src_open(ctx, opts, "members", path, 0, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = src_field(&s, "member_id", 1, &i_id)) ||
        (rc = src_field(&s, "grid_code", 1, &i_grid)) ||
        (rc = src_field(&s, "name", 0, &i_name)))
        goto done;
    if (shard_rows && gs__shard_active(ctx)) {
        char *q =
            gs__shard_filter(ctx, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(
                                      OGR_L_GetLayerDefn(s.lyr), i_grid)));
        OGRErr e;
        if (!q) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        gs__libmsg_clear(ctx);
        e = OGR_L_SetAttributeFilter(s.lyr, q);
        free(q);
        if (e != OGRERR_NONE) {
            rc = gs__err_lib(ctx, GS_ERR_INPUT_FIELD,
                             "%s, layer %s (members): cannot select the "
                             "shard's rows",
                             path, s.layer);
            goto done;
        }
    }
    m->have_members = 1;
    OGR_L_ResetReading(s.lyr);
    while ((f = OGR_L_GetNextFeature(s.lyr)) != NULL) {
        gs__member *mb;
        if (m->n_members == cap) {
            size_t nc = cap ? cap * 2 : 256;
            gs__member *nv = gs__realloc(m->members, nc * sizeof *nv);
            if (!nv) {
                OGR_F_Destroy(f);
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            m->members = nv;
            cap = nc;
        }
        mb = &m->members[m->n_members];
        memset(mb, 0, sizeof *mb);
        mb->origin = feature_origin(&s, f);
        rc = src_str(&s, f, i_id, "member_id", &mb->member_id);
        if (!rc) rc = src_str(&s, f, i_grid, "grid_code", &mb->grid_code);
        if (!rc) rc = src_str(&s, f, i_name, "name", &mb->name);
        OGR_F_Destroy(f);
        if (rc) goto done;
        if (!mb->member_id[0] && !mb->grid_code[0]) continue; /* blank */
        if (!mb->member_id[0]) {
            rc = report_problem(&s, m, mb->origin, "member_id is empty");
            if (rc) goto done;
            continue;
        }
        m->n_members++;
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0]) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s, layer %s: reading stopped after %zu rows", path,
                         s.layer, m->n_members);
        goto done;
    }
done:
    src_close(&s);
    return rc;
}

void gs__io_where(const gs__inputs *info, const char *role, gs__origin o,
                  char *buf, size_t size) {
    for (int i = 0; i < info->n; i++) {
        const gs__input_info *ii = &info->items[i];
        if (strcmp(ii->role, role) == 0) {
            where_str(ii->path, ii->layer,
                      has_suffix(ii->path, ".csv") ||
                          has_suffix(ii->path, ".tsv") ||
                          has_suffix(ii->path, ".txt"),
                      o, buf, size);
            return;
        }
    }
    snprintf(buf, size, "%s feature %ld", role, o.fid);
}

/* ---- events ------------------------------------------------------------- */

void gs__events_free(gs__events *ev) {
    if (!ev) return;
    free(ev->v);
    free(ev->bad);
    gs__arena_free(&ev->strings);
    memset(ev, 0, sizeof *ev);
}

/* Records an unusable row; the reason is copied. GS_ERR_NOMEM. */
static int event_bad(gs_ctx *ctx, gs__events *ev, gs__origin o, const char *id,
                     const char *field, const char *reason) {
    gs__evbad *b;
    if (ev->n_bad == ev->cap_bad) {
        size_t nc = ev->cap_bad ? ev->cap_bad * 2 : 64;
        gs__evbad *nv = gs__realloc(ev->bad, nc * sizeof *nv);
        if (!nv) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        ev->bad = nv;
        ev->cap_bad = nc;
    }
    b = &ev->bad[ev->n_bad];
    b->origin = o;
    b->event_id = gs__arena_strdup(&ev->strings, id);
    b->field = field;
    b->reason = gs__arena_strdup(&ev->strings, reason);
    if (!b->event_id || !b->reason)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    ev->n_bad++;
    return GS_OK;
}

/* The row's times and status, or the field and reason it cannot be used
 * (reason in buf). Status: empty means open, or resolved when resolved_at
 * is given; otherwise open, resolved or self_resolved (any case). */
static const char *event_times(gs__tz *tz, const char *rep, const char *res,
                               const char *status, gs__event *e, char *buf,
                               size_t size) {
    char why[160];
    e->resolved_ms = GS__NO_TIME;
    if (!rep[0]) {
        snprintf(buf, size, "empty");
        return "reported_at";
    }
    if (gs__time_parse(tz, rep, &e->reported_ms, why, sizeof why)) {
        snprintf(buf, size, "%s ('%.60s')", why, rep);
        return "reported_at";
    }
    if (res[0] && gs__time_parse(tz, res, &e->resolved_ms, why, sizeof why)) {
        snprintf(buf, size, "%s ('%.60s')", why, res);
        return "resolved_at";
    }
    if (!status[0])
        e->status = res[0] ? GS__EV_RESOLVED : GS__EV_OPEN;
    else if (!strcasecmp(status, "open"))
        e->status = GS__EV_OPEN;
    else if (!strcasecmp(status, "resolved"))
        e->status = GS__EV_RESOLVED;
    else if (!strcasecmp(status, "self_resolved"))
        e->status = GS__EV_SELF_RESOLVED;
    else {
        snprintf(buf, size, "'%.60s' is not open, resolved or self_resolved",
                 status);
        return "status";
    }
    if (e->status == GS__EV_OPEN && res[0]) {
        snprintf(buf, size, "status is open but resolved_at is %.40s", res);
        return "status";
    }
    if (res[0] && e->resolved_ms < e->reported_ms) {
        snprintf(buf, size, "%.40s is before reported_at %.40s", res, rep);
        return "resolved_at";
    }
    return NULL;
}

static int cmp_evbad(const void *a, const void *b) {
    const gs__evbad *x = a, *y = b;
    return x->origin.fid < y->origin.fid ? -1 : x->origin.fid > y->origin.fid;
}

/* Drops events whose point cannot be projected and every repeat of an
 * event_id (the first in file order stays), recording them as bad rows. */
static int events_finish(gs_ctx *ctx, gs__events *ev) {
    size_t n = ev->n, w = 0;
    gs__strix *ix = gs__malloc((n ? n : 1) * sizeof *ix);
    unsigned char *drop = gs__calloc(n ? n : 1, 1);
    int rc = GS_OK;
    if (!ix || !drop) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ix[i] = (gs__strix){ev->v[i].id, i};
        if (isfinite(ev->v[i].x) && isfinite(ev->v[i].y)) continue;
        drop[i] = 1;
        if ((rc = event_bad(ctx, ev, ev->v[i].origin, ev->v[i].id, "geometry",
                            "point cannot be projected to the metric CRS "
                            "(outside its range)")))
            goto done;
    }
    qsort(ix, n, sizeof *ix, gs__strix_cmp);
    for (size_t k = 1, first = 0; k < n; k++) {
        char reason[96];
        const gs__origin *o;
        if (strcmp(ix[k].s, ix[first].s) != 0) first = k;
        if (!ix[k].s[0] || first == k || drop[ix[k].i]) continue;
        drop[ix[k].i] = 1;
        o = &ev->v[ix[first].i].origin;
        snprintf(reason, sizeof reason, "duplicate event_id (first at %s %ld)",
                 o->line > 0 ? "line" : "feature",
                 o->line > 0 ? o->line : o->fid);
        if ((rc = event_bad(ctx, ev, ev->v[ix[k].i].origin, ix[k].s, "event_id",
                            reason)))
            goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!drop[i]) ev->v[w++] = ev->v[i];
    ev->n = w;
    if (ev->n_bad > 1) qsort(ev->bad, ev->n_bad, sizeof *ev->bad, cmp_evbad);
done:
    free(ix);
    free(drop);
    return rc;
}

int gs__io_read_events(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                       gs__tz *tz, const gs__crsinfo *crs, int threads,
                       gs__events *out, gs__inputs *info) {
    src s;
    OGRFeatureH f;
    int rc, fi[6];
    static const char *const names[6] = {"event_id",    "category",
                                         "reported_at", "resolved_at",
                                         "status",      "grid_code"};
    size_t cap = 0, out_of_range = 0;

    memset(out, 0, sizeof *out);
    gs__arena_init(&out->strings);
    rc = src_open(ctx, opts, "events", path, 1, &out->strings, &s, info);
    if (rc) return rc;
    snprintf(out->layer, sizeof out->layer, "%s", s.layer);
    out->is_csv = s.is_csv;
    for (int k = 0; k < 6; k++)
        if ((rc = src_field(&s, names[k], k < 3, &fi[k]))) goto done;
    OGR_L_ResetReading(s.lyr);
    while ((f = OGR_L_GetNextFeature(s.lyr)) != NULL) {
        gs__event e;
        const char *txt[6], *problem, *field = "geometry";
        char buf[300];
        memset(&e, 0, sizeof e);
        e.origin = feature_origin(&s, f);
        for (int k = 0; k < 6 && !rc; k++)
            rc = src_str(&s, f, fi[k], names[k], &txt[k]);
        if (rc) {
            OGR_F_Destroy(f);
            goto done;
        }
        problem = point_problem(&s, f, &e.x, &e.y, buf, sizeof buf);
        OGR_F_Destroy(f);
        if (!problem) {
            field =
                event_times(tz, txt[2], txt[3], txt[4], &e, buf, sizeof buf);
            problem = field ? buf : NULL;
        }
        if (problem) {
            if ((rc = event_bad(ctx, out, e.origin, txt[0], field, problem)))
                goto done;
            continue;
        }
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            gs__event *nv = gs__realloc(out->v, nc * sizeof *nv);
            if (!nv) {
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            out->v = nv;
            cap = nc;
        }
        e.id = txt[0];
        e.category = txt[1];
        e.grid_code = txt[5];
        e.day = gs__local_day(tz, e.reported_ms);
        if (s.srs && OSRIsGeographic(s.srs) &&
            (e.x < -180 || e.x > 360 || e.y < -90 || e.y > 90))
            out_of_range++;
        out->v[out->n++] = e;
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0]) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s, layer %s: reading stopped after %zu features",
                         path, s.layer, out->n + out->n_bad);
        goto done;
    }
    if (out_of_range * 2 > out->n && out->n > 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (events): %zu of %zu points are not "
                     "longitudes and latitudes, yet the layer's CRS is "
                     "geographic; the data is probably projected and its "
                     "CRS declared wrongly",
                     path, s.layer, out_of_range, out->n);
        goto done;
    }
    if (out->n > 0 && (rc = gs__crs_transform_points(
                           ctx, s.srs, crs->metric, &out->v[0].x, &out->v[0].y,
                           sizeof *out->v, out->n, threads)))
        goto done;
    rc = events_finish(ctx, out);
done:
    src_close(&s);
    if (rc) gs__events_free(out);
    return rc;
}

/* ---- checks shared by the runs ------------------------------------------ */

typedef struct id_ix {
    const char *id;
    size_t i;
} id_ix;

static int cmp_id_ix(const void *a, const void *b) {
    const id_ix *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

int gs__io_check_household_ids(gs_ctx *ctx, const gs_input_opts *in,
                               gs__model *m, const gs__inputs *info) {
    size_t n = m->n_households, w = 0;
    id_ix *v;
    unsigned char *drop;
    int rc = GS_OK;
    if (n < 2) return GS_OK;
    v = gs__malloc(n * sizeof *v);
    drop = gs__calloc(n, 1);
    if (!v || !drop) {
        free(v);
        free(drop);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        v[i].id = m->households[i].id;
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, cmp_id_ix);
    for (size_t k = 1; k < n; k++) {
        char where[600], first[600];
        if (!v[k].id[0] || strcmp(v[k].id, v[k - 1].id) != 0) continue;
        gs__io_where(info, "households", m->households[v[k].i].origin, where,
                     sizeof where);
        if (in->on_error != GS_ON_ERROR_SKIP) {
            size_t f = k - 1;
            while (f > 0 && strcmp(v[f - 1].id, v[k].id) == 0) f--;
            gs__io_where(info, "households", m->households[v[f].i].origin,
                         first, sizeof first);
            rc = gs__err(ctx, GS_ERR_INPUT_VALUE,
                         "%s, field household_id: '%s' is duplicated (first "
                         "at %s); use {on_error}=skip to keep the first",
                         where, v[k].id, first);
            goto done;
        }
        drop[v[k].i] = 1;
        if (gs__model_skip(m, "households", "duplicate household_id",
                           m->households[v[k].i].origin,
                           m->households[v[k].i].x, m->households[v[k].i].y)) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!drop[i]) m->households[w++] = m->households[i];
    m->n_households = w;
done:
    free(v);
    free(drop);
    return rc;
}
