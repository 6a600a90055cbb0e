/*
 * source.c - opening an input for a role, choosing its layer and CRS, and
 * naming the places of its features in messages.
 *
 * Opening does every check that needs no feature: the path exists and is
 * a file, OGR can open it, the role's layer is there (named with {layers},
 * named like the role, or the only one), it has geometry and a CRS when
 * the reader needs points or polygons, and it is not empty. The input is
 * recorded on the way (path, layer, feature count, SHA-256 of its files)
 * for the run's metadata. source.h tells the whole reading path.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crs.h"
#include "shard.h"
#include "text.h"
#include "vsi.h"

const char *gs__src_mapped(const gs__src *s, const char *field) {
    return gs__io_mapped_field(s->opts, s->role, field);
}

static const char *mapped_layer(const gs__src *s) {
    return gs__io_mapped_layer(s->opts, s->role);
}

void gs__src_close(gs__src *s) {
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

gs__origin gs__src_origin(const gs__src *s, OGRFeatureH f) {
    gs__origin o;
    o.fid = (long)OGR_F_GetFID(f);
    o.line = s->is_csv && o.fid >= 0 ? o.fid + 1 : 0;
    return o;
}

const char *gs__src_where(gs__src *s, gs__origin o) {
    where_str(s->path, s->layer, s->is_csv, o, s->tmp, sizeof s->tmp);
    return s->tmp;
}

static int sha256_files(gs_ctx *ctx, GDALDatasetH ds, char out[65]) {
    char **files = GDALGetFileList(ds);
    int rc = gs__sha256_paths(ctx, (const char *const *)files, out);
    CSLDestroy(files);
    return rc;
}

/* The path exists and is not a folder (a folder would open as a set of
 * CSV layers). A PG: connection string is left to OGR; a path in one of
 * GDAL's virtual file systems (/vsizip/, /vsigzip/, /vsicurl/...) is
 * looked up through it. */
static int check_path(gs_ctx *ctx, const char *path, const char *role) {
    struct stat st;
    if (strncmp(path, "PG:", 3) == 0) return GS_OK;
    if (strncmp(path, "/vsi", 4) == 0) return gs__vsi_check(ctx, path, role);
    if (stat(path, &st) != 0)
        return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (%s): %s", path, role,
                       strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_INPUT_OPEN,
                       "%s (%s): is a directory, not a file", path, role);
    return GS_OK;
}

/* Opens s->path with OGR: a CSV with every column as text and points
 * from the usual coordinate columns, a Shapefile in {encoding}.
 * GS_ERR_INPUT_OPEN with GDAL's message. */
static int open_dataset(gs__src *s) {
    const gs_input_opts *opts = s->opts;
    char **oo = NULL;
    s->is_csv = gs__is_csv_path(s->path);
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
    } else if (gs__has_suffix(s->path, ".shp") ||
               gs__has_suffix(s->path, ".dbf")) {
        if (opts && opts->encoding)
            oo = CSLSetNameValue(oo, "ENCODING", opts->encoding);
    }
    gs__libmsg_clear(s->ctx);
    s->ds = GDALOpenEx(
        s->path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        s->is_csv ? (const char *const[]){"CSV", NULL} : NULL,
        (const char *const *)oo, NULL);
    CSLDestroy(oo);
    if (!s->ds)
        return gs__err_lib(s->ctx, GS_ERR_INPUT_OPEN,
                           "%s (%s): cannot open as a vector dataset "
                           "(truncated, damaged or not a GIS file?)",
                           s->path, s->role);
    return GS_OK;
}

/* The layer of the role: the one named with {layers}, else the one named
 * like the role, else the only one. GS_ERR_INPUT_OPEN listing the layers
 * when none fits. */
static int choose_layer(gs__src *s) {
    const char *lname = mapped_layer(s);
    int n;
    if (lname) {
        s->lyr = GDALDatasetGetLayerByName(s->ds, lname);
        if (!s->lyr)
            return gs__err(s->ctx, GS_ERR_INPUT_OPEN, "%s: no layer '%s' (%s)",
                           s->path, lname, s->role);
        return GS_OK;
    }
    n = GDALDatasetGetLayerCount(s->ds);
    s->lyr = GDALDatasetGetLayerByName(s->ds, s->role);
    if (!s->lyr && n == 1) s->lyr = GDALDatasetGetLayer(s->ds, 0);
    if (!s->lyr) {
        char names[400] = "";
        size_t off = 0;
        for (int i = 0; i < n && off + 2 < sizeof names; i++) {
            int w =
                snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         OGR_L_GetName(GDALDatasetGetLayer(s->ds, i)));
            if (w < 0) break;
            off += (size_t)w;
        }
        return gs__err(s->ctx, GS_ERR_INPUT_OPEN,
                       "%s: %s, and no layer is named '%s'; choose one "
                       "with {layers} %s=NAME (layers: %s)",
                       s->path, n ? "several layers" : "no layers", s->role,
                       s->role, n ? names : "none");
    }
    return GS_OK;
}

/* 1 when a CSV's points come from columns named for longitude and
 * latitude (lon, lng, longitude, 经度; lat, latitude, 纬度): degrees, whatever
 * CRS is assumed for the run's other layers. Points from x/y or WKT
 * columns carry no such promise. */
static int csv_lonlat(gs__src *s) {
    static const char *const lon[] = {"lon", "lng", "longitude", "经度"};
    static const char *const lat[] = {"lat", "latitude", "纬度"};
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(s->lyr);
    int has_lon = 0, has_lat = 0, n = OGR_FD_GetFieldCount(fd);
    for (int i = 0; i < n; i++) {
        const char *f = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        for (size_t k = 0; k < sizeof lon / sizeof lon[0]; k++)
            has_lon |= !strcasecmp(f, lon[k]);
        for (size_t k = 0; k < sizeof lat / sizeof lat[0]; k++)
            has_lat |= !strcasecmp(f, lat[k]);
    }
    return has_lon && has_lat;
}

/* The layer has geometry and a CRS: its own; for a CSV with lon/lat
 * columns WGS84 (the role's own CRS option, {trace_crs} or {event_crs},
 * may say otherwise later); else {assume_crs}; else WGS84 for a CSV.
 * GS_ERR_INPUT_GEOMETRY, GS_ERR_INPUT_CRS. */
static int source_crs(gs__src *s) {
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(s->lyr);
    const gs_input_opts *opts = s->opts;
    if (OGR_L_GetGeomType(s->lyr) == wkbNone && !s->is_csv)
        return gs__err(s->ctx, GS_ERR_INPUT_GEOMETRY,
                       "%s, layer %s (%s): has no geometry column", s->path,
                       s->layer, s->role);
    if (lsrs) {
        s->srs = gs__srs_clone_gis(lsrs);
        return GS_OK;
    }
    /* Longitudes and latitudes are what their names say: a CRS assumed
     * for a Shapefile without .prj must not move them to Arkansas. */
    if (s->is_csv && csv_lonlat(s))
        return gs__srs_from_user(s->ctx, "EPSG:4326", &s->srs);
    if (opts && opts->assume_crs)
        return gs__srs_from_user(s->ctx, opts->assume_crs, &s->srs);
    /* Coordinates in a CSV are lon/lat as phones and platforms export
     * them: WGS84 (within centimetres of CGCS2000). */
    if (s->is_csv) return gs__srs_from_user(s->ctx, "EPSG:4326", &s->srs);
    return gs__err(s->ctx, GS_ERR_INPUT_CRS,
                   "%s, layer %s (%s): declares no coordinate "
                   "reference system (missing or unreadable .prj?); "
                   "give it with {assume_crs} EPSG:4490 (CGCS2000 "
                   "lon/lat) or the right EPSG code",
                   s->path, s->layer, s->role);
}

/* Records the input in `info` (when there is room): path, layer, feature
 * count and the SHA-256 of its files. A layer without features is
 * GS_ERR_INPUT_EMPTY, or GS_ERR_INPUT_OPEN when counting failed on a read
 * error (a CSV line over GDAL's maximum). */
static int note_input(gs__src *s, gs__inputs *info) {
    gs_ctx *ctx = s->ctx;
    gs__input_info *ii, spare;
    int read_failed, rc, full;
    /* With no room left the input is not recorded, but it is checked all
     * the same: an empty layer is an error however many inputs came
     * before it. */
    full = info->n >= (int)(sizeof info->items / sizeof info->items[0]);
    ii = full ? &spare : &info->items[info->n];
    memset(ii, 0, sizeof *ii);
    snprintf(ii->role, sizeof ii->role, "%s", s->role);
    ii->path = gs__strdup(s->path);
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
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    if (full) {
        free(ii->path);
        free(ii->layer);
    } else {
        info->n++;
        rc = sha256_files(ctx, s->ds, ii->sha256);
        if (rc) return rc;
    }
    if (ii->features == 0 && read_failed)
        return gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                           "%s, layer %s (%s): reading stopped after 0 "
                           "features",
                           s->path, s->layer, s->role);
    if (ii->features == 0)
        return gs__err(ctx, GS_ERR_INPUT_EMPTY,
                       "%s, layer %s (%s): the layer has no features", s->path,
                       s->layer, s->role);
    return GS_OK;
}

int gs__src_open(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                 const char *path, int want_geom, gs__arena *arena, gs__src *s,
                 gs__inputs *info) {
    double ext[4];
    int rc;

    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->opts = opts;
    s->role = role;
    s->path = path;
    s->arena = arena;
    if ((rc = gs__check_cancel(ctx)) || (rc = check_path(ctx, path, role)))
        return rc;
    if ((rc = open_dataset(s)) || (rc = choose_layer(s))) goto fail;
    snprintf(s->layer, sizeof s->layer, "%s", OGR_L_GetName(s->lyr));
    if (want_geom && (rc = source_crs(s))) goto fail;
    if (want_geom && gs__shard_extent(ctx, ext, NULL) && !s->is_csv &&
        (rc = gs__src_shard_filter(s)))
        goto fail;
    if (info && (rc = note_input(s, info))) goto fail;
    return GS_OK;
fail:
    gs__src_close(s);
    return rc;
}

void gs__io_where(const gs__inputs *info, const char *role, gs__origin o,
                  char *buf, size_t size) {
    for (int i = 0; i < info->n; i++) {
        const gs__input_info *ii = &info->items[i];
        if (strcmp(ii->role, role) == 0) {
            where_str(ii->path, ii->layer, gs__is_csv_path(ii->path), o, buf,
                      size);
            return;
        }
    }
    snprintf(buf, size, "%s feature %ld", role, o.fid);
}
