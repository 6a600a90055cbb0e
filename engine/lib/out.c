/*
 * out.c - writing a command's layers into one GeoPackage, atomically.
 *
 * Every output is written to a temporary GeoPackage beside the target
 * (".NAME.<pid>.tmp.gpkg", same directory so rename() is atomic), inside
 * one transaction, then closed, fsync'ed and renamed over the target. A
 * failed or killed run therefore leaves the previous output as it was; at
 * worst a stray temporary file remains, never a half-written output.
 *
 * Each layer gets a QGIS style (style.c) stored in `layer_styles` the way
 * QGIS stores styles in a GeoPackage, marked as default so QGIS applies it
 * on opening. Run metadata (command line, parameters, inputs and their
 * checksums, engine version) goes into the `run_metadata` table.
 */
#define _POSIX_C_SOURCE 200809L
#include "out.h"

#include <geos_c.h>
#include <proj.h>

#include "io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <json-c/json.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LAYERS 32
#define MAX_FIELDS 64

struct gs__olayer {
    OGRLayerH lyr;
    char name[64];
    gs__geom_kind geom;
    const char *fields[MAX_FIELDS];
    char *aliases[MAX_FIELDS]; /* owned; NULL: the built-in alias */
    size_t nfields;
};

struct gs__out {
    gs_ctx *ctx;
    char *path;
    char *tmp;
    GDALDatasetH ds;
    OGRCoordinateTransformationH to_output;
    GEOSWKBWriter *wkb;
    gs__olayer layers[MAX_LAYERS];
    int nlayers;
    OGRLayerH meta;
};

int gs__out_check(gs_ctx *ctx, const char *path) {
    struct stat st;
    char *copy, *dir;
    int rc = GS_OK;
    if (!path || !*path)
        return gs__err(ctx, GS_ERR_USAGE, "no output file given (-o)");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_IO,
                       "%s: the output is a directory; give a file name "
                       "such as %s/out.gpkg",
                       path, path);
    copy = gs__strdup(path);
    if (!copy) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    dir = dirname(copy);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = gs__err(ctx, GS_ERR_IO, "%s: the directory %s does not exist",
                     path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot write in directory %s: %s",
                     path, dir, strerror(errno));
    free(copy);
    return rc;
}

void gs__out_sweep(const char *path) {
    char *c1 = gs__strdup(path), *c2 = gs__strdup(path);
    const char *dir, *base;
    size_t blen, dlen;
    DIR *d = NULL;
    struct dirent *e;
    if (!c1 || !c2) goto done;
    dir = dirname(c1);
    base = basename(c2);
    blen = strlen(base);
    dlen = strlen(dir);
    d = opendir(dir);
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name, *p;
        char *end;
        long pid;
        char victim[4096];
        if (n[0] != '.' || strncmp(n + 1, base, blen) != 0 ||
            n[1 + blen] != '.')
            continue;
        p = n + 2 + blen;
        if (*p < '0' || *p > '9') continue;
        pid = strtol(p, &end, 10);
        if (strncmp(end, ".tmp", 4) != 0 || pid <= 0) continue;
        /* Ours (a leftover with our pid) or a process that is gone. */
        if (pid != (long)getpid() &&
            (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        if (dlen + strlen(n) + 2 > sizeof victim) continue;
        snprintf(victim, sizeof victim, "%s/%s", dir, n);
        unlink(victim);
    }
done:
    if (d) closedir(d);
    free(c1);
    free(c2);
}

static void out_free(gs__out *o) {
    if (!o) return;
    for (int i = 0; i < o->nlayers; i++)
        for (size_t k = 0; k < o->layers[i].nfields; k++)
            free(o->layers[i].aliases[k]);
    if (o->wkb) GEOSWKBWriter_destroy_r(o->ctx->geos, o->wkb);
    if (o->to_output) OCTDestroyCoordinateTransformation(o->to_output);
    free(o->path);
    free(o->tmp);
    free(o);
}

int gs__out_open(gs_ctx *ctx, const char *path, OGRSpatialReferenceH output,
                 OGRSpatialReferenceH metric, gs__out **out) {
    gs__out *o;
    GDALDriverH drv;
    char *copy = NULL, *base, *dir;
    size_t n;
    int rc;

    *out = NULL;
    rc = gs__out_check(ctx, path);
    if (rc) return rc;
    o = calloc(1, sizeof *o);
    if (!o) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    o->ctx = ctx;
    o->path = gs__strdup(path);
    copy = gs__strdup(path);
    if (!o->path || !copy) goto nomem;
    base = basename(copy);
    {
        char *copy2 = gs__strdup(path);
        if (!copy2) goto nomem;
        dir = dirname(copy2);
        n = strlen(dir) + strlen(base) + 64;
        o->tmp = malloc(n);
        if (!o->tmp) {
            free(copy2);
            goto nomem;
        }
        snprintf(o->tmp, n, "%s/.%s.%ld.tmp.gpkg", dir, base, (long)getpid());
        free(copy2);
    }
    free(copy);
    copy = NULL;
    gs__out_sweep(path); /* leftovers of earlier killed runs */

    o->wkb = GEOSWKBWriter_create_r(ctx->geos);
    if (!o->wkb) goto nomem;
    GEOSWKBWriter_setByteOrder_r(ctx->geos, o->wkb, GEOS_WKB_NDR);
    if (output && metric) {
        gs__libmsg_clear(ctx);
        o->to_output = OCTNewCoordinateTransformation(metric, output);
        if (!o->to_output) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "no transformation from the metric CRS back to "
                             "the output CRS");
            out_free(o);
            return rc;
        }
    }
    drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        out_free(o);
        return gs__err(ctx, GS_ERR_INTERNAL,
                       "GDAL was built without the GeoPackage driver");
    }
    gs__libmsg_clear(ctx);
    o->ds = GDALCreate(drv, o->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!o->ds) {
        rc = gs__err_lib(ctx, GS_ERR_IO,
                         "%s: cannot create the output (its temporary file "
                         "%s)",
                         o->path, o->tmp);
        out_free(o);
        return rc;
    }
    if (GDALDatasetStartTransaction(o->ds, 0) != OGRERR_NONE) {
        rc = gs__err_lib(ctx, GS_ERR_IO, "%s: cannot start a transaction",
                         o->tmp);
        gs__out_abort(o);
        return rc;
    }
    gs__crash_point("out.open");
    *out = o;
    return GS_OK;
nomem:
    free(copy);
    out_free(o);
    return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
}

static OGRwkbGeometryType ogr_type(gs__geom_kind k) {
    switch (k) {
        case GS__GEOM_POINT:
            return wkbPoint;
        case GS__GEOM_LINE:
            return wkbMultiLineString;
        case GS__GEOM_POLYGON:
            return wkbMultiPolygon;
        default:
            return wkbNone;
    }
}

int gs__out_layer(gs__out *o, const char *name, gs__geom_kind geom,
                  const gs__fdef *fields, size_t nfields,
                  gs__olayer **out_layer) {
    gs__olayer *l;
    OGRSpatialReferenceH srs = NULL;
    char **lco = NULL;
    *out_layer = NULL;
    if (o->nlayers >= MAX_LAYERS || nfields > MAX_FIELDS)
        return gs__err(o->ctx, GS_ERR_INTERNAL, "too many output layers");
    l = &o->layers[o->nlayers];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->geom = geom;
    if (geom != GS__GEOM_NONE && o->to_output)
        srs = OCTGetTargetCS(o->to_output);
    lco = CSLSetNameValue(lco, "FID", "fid");
    if (geom != GS__GEOM_NONE)
        lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    gs__libmsg_clear(o->ctx);
    l->lyr = GDALDatasetCreateLayer(o->ds, name, srs, ogr_type(geom), lco);
    CSLDestroy(lco);
    if (!l->lyr)
        return gs__err_lib(o->ctx, GS_ERR_IO, "%s: cannot create layer %s",
                           o->path, name);
    for (size_t i = 0; i < nfields; i++) {
        OGRFieldType t = fields[i].type == GS__F_INT    ? OFTInteger64
                         : fields[i].type == GS__F_REAL ? OFTReal
                                                        : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, t);
        OGRErr e = OGR_L_CreateField(l->lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gs__err_lib(o->ctx, GS_ERR_IO,
                               "%s: cannot create field %s.%s", o->path,
                               name, fields[i].name);
        l->fields[i] = fields[i].name;
    }
    l->nfields = nfields;
    o->nlayers++;
    *out_layer = l;
    return GS_OK;
}

int gs__out_alias(gs__out *o, gs__olayer *l, const char *field,
                  const char *alias) {
    for (size_t k = 0; k < l->nfields; k++) {
        if (strcmp(l->fields[k], field) != 0) continue;
        free(l->aliases[k]);
        l->aliases[k] = gs__strdup(alias);
        if (!l->aliases[k])
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        return GS_OK;
    }
    return gs__err(o->ctx, GS_ERR_INTERNAL, "layer %s has no field %s",
                   l->name, field);
}

OGRFeatureH gs__out_feature(gs__olayer *l) {
    return OGR_F_Create(OGR_L_GetLayerDefn(l->lyr));
}

int gs__out_geos(gs__out *o, gs__olayer *l, OGRFeatureH f,
                 const GEOSGeometry *metric) {
    GEOSContextHandle_t h = o->ctx->geos;
    unsigned char *wkb;
    size_t n = 0;
    int rc;
    if (!metric || GEOSisEmpty_r(h, metric)) return GS_OK;
    wkb = GEOSWKBWriter_write_r(h, o->wkb, metric, &n);
    if (!wkb) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    rc = gs__out_metric_wkb(o, l, f, wkb, n);
    GEOSFree_r(h, wkb);
    return rc;
}

/* Transforms a metric OGR geometry (taken) to the output CRS, promotes it
 * to the layer's type and sets it on the feature. */
static int set_metric(gs__out *o, gs__olayer *l, OGRFeatureH f,
                      OGRGeometryH g) {
    OGRwkbGeometryType want = ogr_type(l->geom);
    if (o->to_output && OGR_G_Transform(g, o->to_output) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(g);
        return gs__err_lib(o->ctx, GS_ERR_INTERNAL,
                           "cannot transform a result to the output CRS");
    }
    if (want == wkbMultiPolygon) g = OGR_G_ForceToMultiPolygon(g);
    if (want == wkbMultiLineString) g = OGR_G_ForceToMultiLineString(g);
    if (!g) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_F_SetGeometryDirectly(f, g);
    return GS_OK;
}

int gs__out_metric_wkb(gs__out *o, gs__olayer *l, OGRFeatureH f,
                       const unsigned char *wkb, size_t len) {
    OGRGeometryH g = NULL;
    if (!wkb) return GS_OK;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, len) != OGRERR_NONE)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "cannot convert a result geometry");
    return set_metric(o, l, f, g);
}

int gs__out_lines(gs__out *o, gs__olayer *l, OGRFeatureH f, const double *xy,
                  const size_t *starts, size_t nparts, int in_output_crs) {
    OGRGeometryH multi = OGR_G_CreateGeometry(wkbMultiLineString);
    if (!multi) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nparts; k++) {
        size_t a = starts[k], b = starts[k + 1];
        OGRGeometryH ls;
        if (b - a < 2) continue;
        ls = OGR_G_CreateGeometry(wkbLineString);
        if (!ls) {
            OGR_G_DestroyGeometry(multi);
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        }
        OGR_G_SetPoints(ls, (int)(b - a), xy + 2 * a, 2 * sizeof(double),
                        xy + 2 * a + 1, 2 * sizeof(double), NULL, 0);
        OGR_G_AddGeometryDirectly(multi, ls);
    }
    if (in_output_crs) {
        OGR_F_SetGeometryDirectly(f, multi);
        return GS_OK;
    }
    return set_metric(o, l, f, multi);
}

int gs__out_point(gs__out *o, OGRFeatureH f, double x, double y) {
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    if (!g) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_G_SetPoint_2D(g, 0, x, y);
    if (o->to_output && OGR_G_Transform(g, o->to_output) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(g);
        return gs__err_lib(o->ctx, GS_ERR_INTERNAL,
                           "cannot transform a result to the output CRS");
    }
    OGR_F_SetGeometryDirectly(f, g);
    return GS_OK;
}

int gs__out_wkb(gs__out *o, OGRFeatureH f, const unsigned char *wkb,
                size_t len) {
    OGRGeometryH g = NULL;
    if (!wkb) return GS_OK;
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &g, len) != OGRERR_NONE)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "cannot convert a stored geometry");
    OGR_F_SetGeometryDirectly(f, g);
    return GS_OK;
}

int gs__out_put(gs__out *o, gs__olayer *l, OGRFeatureH f) {
    OGRErr e;
    gs__libmsg_clear(o->ctx);
    e = OGR_L_CreateFeature(l->lyr, f);
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE)
        return gs__err_lib(o->ctx, GS_ERR_IO,
                           "%s: cannot write a feature of layer %s", o->path,
                           l->name);
    gs__crash_point("out.feature");
    return GS_OK;
}

int gs__out_meta(gs__out *o, const char *key, const char *value) {
    OGRFeatureH f;
    if (!o->meta) {
        static const gs__fdef fields[] = {{"key", GS__F_STR},
                                          {"value", GS__F_STR}};
        gs__olayer *l;
        int rc = gs__out_layer(o, "run_metadata", GS__GEOM_NONE, fields, 2, &l);
        if (rc) return rc;
        o->meta = l->lyr;
    }
    f = OGR_F_Create(OGR_L_GetLayerDefn(o->meta));
    if (!f) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_F_SetFieldString(f, 0, key);
    OGR_F_SetFieldString(f, 1, value ? value : "");
    gs__libmsg_clear(o->ctx);
    if (OGR_L_CreateFeature(o->meta, f) != OGRERR_NONE) {
        OGR_F_Destroy(f);
        return gs__err_lib(o->ctx, GS_ERR_IO,
                           "%s: cannot write run metadata", o->path);
    }
    OGR_F_Destroy(f);
    return GS_OK;
}

int gs__out_meta_run(gs__out *o, const char *command, const char *command_line,
                     const char *started, const char *rules_json,
                     const char *metric_crs, const gs__inputs *info) {
    char buf[512], finished[32];
    int rc;
    gs__utc_now(finished, sizeof finished);
    snprintf(buf, sizeof buf, "GDAL %s, GEOS %s, PROJ %d.%d.%d",
             GDALVersionInfo("RELEASE_NAME"), GEOSversion(), PROJ_VERSION_MAJOR,
             PROJ_VERSION_MINOR, PROJ_VERSION_PATCH);
    if ((rc = gs__out_meta(o, "engine", "gridsmith")) ||
        (rc = gs__out_meta(o, "engine_version", GS_VERSION_STRING)) ||
        (rc = gs__out_meta(o, "command", command)) ||
        (rc = gs__out_meta(o, "command_line",
                           command_line ? command_line : "")) ||
        (rc = gs__out_meta(o, "started_at", started)) ||
        (rc = gs__out_meta(o, "finished_at", finished)) ||
        (rc = gs__out_meta(o, "rules", rules_json)) ||
        (rc = gs__out_meta(o, "metric_crs", metric_crs)) ||
        (rc = gs__out_meta(o, "libraries", buf)))
        return rc;
    for (int i = 0; info && i < info->n; i++) {
        const gs__input_info *ii = &info->items[i];
        json_object *j = json_object_new_object();
        char key[64];
        if (!j) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        json_object_object_add(j, "path", json_object_new_string(ii->path));
        json_object_object_add(j, "layer", json_object_new_string(ii->layer));
        json_object_object_add(j, "features",
                               json_object_new_int64(ii->features));
        json_object_object_add(j, "sha256", json_object_new_string(ii->sha256));
        snprintf(key, sizeof key, "input.%s", ii->role);
        rc = gs__out_meta(o, key,
                          json_object_to_json_string_ext(
                              j, JSON_C_TO_STRING_PLAIN |
                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        if (rc) return rc;
    }
    return GS_OK;
}

/* Stores each layer's QML in layer_styles, as QGIS does, marked default. */
static int write_styles(gs__out *o) {
    static const gs__fdef fields[] = {
        {"f_table_catalog", GS__F_STR}, {"f_table_schema", GS__F_STR},
        {"f_table_name", GS__F_STR},    {"f_geometry_column", GS__F_STR},
        {"styleName", GS__F_STR},       {"styleQML", GS__F_STR},
        {"styleSLD", GS__F_STR},        {"useAsDefault", GS__F_INT},
        {"description", GS__F_STR},     {"owner", GS__F_STR},
        {"ui", GS__F_STR},              {"update_time", GS__F_STR}};
    OGRLayerH lyr;
    char **lco = NULL;
    char now[32];
    int n = o->nlayers;
    gs__utc_now(now, sizeof now);
    lco = CSLSetNameValue(lco, "FID", "id");
    lyr = GDALDatasetCreateLayer(o->ds, "layer_styles", NULL, wkbNone, lco);
    CSLDestroy(lco);
    if (!lyr)
        return gs__err_lib(o->ctx, GS_ERR_IO,
                           "%s: cannot create the layer_styles table",
                           o->path);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        OGRFieldType ft = fields[i].type == GS__F_INT ? OFTInteger
                          : strcmp(fields[i].name, "update_time") == 0
                              ? OFTDateTime
                              : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, ft);
        if (fields[i].type == GS__F_INT) OGR_Fld_SetSubType(fd, OFSTBoolean);
        OGRErr e = OGR_L_CreateField(lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gs__err_lib(o->ctx, GS_ERR_IO,
                               "%s: cannot create layer_styles.%s", o->path,
                               fields[i].name);
    }
    for (int i = 0; i < n; i++) {
        gs__olayer *l = &o->layers[i];
        char *qml = gs__style_qml_aliased(l->name, l->geom, l->fields,
                                          (const char *const *)l->aliases,
                                          l->nfields);
        OGRFeatureH f;
        OGRErr e;
        if (!qml) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        if (!f) {
            free(qml);
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        }
        OGR_F_SetFieldString(f, 0, "");
        OGR_F_SetFieldString(f, 1, "");
        OGR_F_SetFieldString(f, 2, l->name);
        /* QGIS finds the style by table and geometry column: "" for an
         * attribute table, never NULL. */
        OGR_F_SetFieldString(f, 3, l->geom == GS__GEOM_NONE
                                       ? ""
                                       : OGR_L_GetGeometryColumn(l->lyr));
        OGR_F_SetFieldString(f, 4, l->name);
        OGR_F_SetFieldString(f, 5, qml);
        OGR_F_SetFieldString(f, 6, "");
        OGR_F_SetFieldInteger(f, 7, 1);
        OGR_F_SetFieldString(f, 8, "gridsmith " GS_VERSION_STRING);
        OGR_F_SetFieldString(f, 9, "");
        OGR_F_SetFieldString(f, 11, now);
        e = OGR_L_CreateFeature(lyr, f);
        OGR_F_Destroy(f);
        free(qml);
        if (e != OGRERR_NONE)
            return gs__err_lib(o->ctx, GS_ERR_IO,
                               "%s: cannot write the style of layer %s",
                               o->path, l->name);
    }
    return GS_OK;
}

static int fsync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    int rc;
    if (fd < 0) return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int gs__out_commit(gs__out *o) {
    gs_ctx *ctx = o->ctx;
    int rc = write_styles(o);
    char *copy;
    if (rc) goto fail;
    gs__crash_point("out.commit");
    gs__libmsg_clear(ctx);
    if (GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE) {
        rc = gs__err_lib(ctx, GS_ERR_IO, "%s: cannot commit the output",
                         o->path);
        goto fail;
    }
    gs__crash_point("out.committed");
    CPLErrorReset();
    GDALClose(o->ds);
    if (CPLGetLastErrorType() >= CE_Failure) {
        o->ds = NULL;
        rc = gs__err_lib(ctx, GS_ERR_IO, "%s: cannot finish the output",
                         o->path);
        goto fail;
    }
    o->ds = NULL;
    gs__crash_point("out.closed");
    if (fsync_path(o->tmp, 0) != 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot flush the output: %s",
                     o->tmp, strerror(errno));
        goto fail;
    }
    gs__crash_point("out.rename");
    if (rename(o->tmp, o->path) != 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot move the output into "
                     "place: %s", o->path, strerror(errno));
        goto fail;
    }
    gs__crash_point("out.renamed");
    copy = gs__strdup(o->path);
    if (copy) {
        fsync_path(dirname(copy), 1); /* best effort: the rename itself */
        free(copy);
    }
    out_free(o);
    return GS_OK;
fail:
    gs__out_abort(o);
    return rc;
}

void gs__out_abort(gs__out *o) {
    if (!o) return;
    if (o->ds) {
        GDALDatasetRollbackTransaction(o->ds);
        GDALClose(o->ds);
        o->ds = NULL;
    }
    if (o->tmp) {
        char side[4096];
        unlink(o->tmp);
        snprintf(side, sizeof side, "%s-wal", o->tmp);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", o->tmp);
        unlink(side);
        snprintf(side, sizeof side, "%s-journal", o->tmp);
        unlink(side);
    }
    out_free(o);
}

int gs__out_file(gs_ctx *ctx, const char *path, const char *data,
                 size_t len) {
    char *copy = NULL, *copy2 = NULL, *tmp = NULL;
    FILE *fp = NULL;
    size_t n;
    int rc = gs__out_check(ctx, path);
    if (rc) return rc;
    copy = gs__strdup(path);
    copy2 = gs__strdup(path);
    n = strlen(path) + 64;
    tmp = malloc(n);
    if (!copy || !copy2 || !tmp) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(tmp, n, "%s/.%s.%ld.tmp", dirname(copy), basename(copy2),
             (long)getpid());
    gs__out_sweep(path); /* leftovers of earlier killed runs */
    fp = fopen(tmp, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fflush(fp) != 0 ||
        fsync(fileno(fp)) != 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot write (its temporary file "
                     "%s): %s",
                     path, tmp, strerror(errno));
        goto done;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot write: %s", tmp,
                     strerror(errno));
        goto done;
    }
    fp = NULL;
    gs__crash_point("file.rename");
    if (rename(tmp, path) != 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot move the output into "
                     "place: %s", path, strerror(errno));
        goto done;
    }
    gs__crash_point("file.renamed");
    free(copy);
    copy = gs__strdup(path);
    if (copy) fsync_path(dirname(copy), 1); /* best effort: the rename */
done:
    if (fp) fclose(fp);
    if (rc && tmp) unlink(tmp);
    free(copy);
    free(copy2);
    free(tmp);
    return rc;
}
