/*
 * writer.c - writing a command's layers into one GeoPackage, atomically.
 *
 * Every output is written to a temporary GeoPackage beside the target
 * (".NAME.<pid>.tmp.gpkg", same directory so rename() is atomic), inside
 * one transaction, then closed, fsync'ed and renamed over the target. A
 * failed or killed run therefore leaves the previous output as it was; at
 * worst a stray temporary file remains, never a half-written output.
 *
 * A layer is created from its schema (schema.c: fields, types, aliases,
 * style), or, for commands not yet in the schema table, from the fields
 * its writer lists. Each layer gets a QGIS style (style.c) stored in
 * `layer_styles` the way
 * QGIS stores styles in a GeoPackage, marked as default so QGIS applies it
 * on opening. Run metadata (command line, parameters, inputs and their
 * checksums, engine version) goes into the `run_metadata` table.
 *
 * An output given as "PG:<connection>" goes into PostgreSQL/PostGIS
 * instead (writer_pg.c), in one transaction. The checks of an output path
 * before a run, the sweep of killed runs' temporaries and the atomic
 * writing of a plain file are in writer_file.c; the run metadata rows in
 * writer_meta.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "writer_int.h"

#include <geos_c.h>

#include "qgis_project.h"
#include "shard.h"
#include "testhook.h"
#include "tmpfiles.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void gs__out_free(gs__out *o) {
    if (!o) return;
    if (o->pg) CPLSetThreadLocalConfigOption("PG_USE_COPY", NULL);
    for (int i = 0; i < o->nlayers; i++)
        for (size_t k = 0; k < o->layers[i].nfields; k++) {
            free(o->layers[i].fields[k]);
            free(o->layers[i].aliases[k]);
        }
    for (int i = 0; i < o->nrasters; i++)
        for (int k = 0; k < 4; k++) free(o->rasters[i][k]);
    if (o->wkb) GEOSWKBWriter_destroy_r(o->ctx->geos, o->wkb);
    if (o->to_output) OCTDestroyCoordinateTransformation(o->to_output);
    if (o->tmp && !o->pg) gs__tmp_forget(o->tmp);
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
    if ((rc = gs__check_cancel(ctx)) || (rc = gs__out_check(ctx, path)))
        return rc;
    o = gs__calloc(1, sizeof *o);
    if (!o) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    o->ctx = ctx;
    o->path = gs__strdup(path);
    copy = gs__strdup(path);
    if (!o->path || !copy) goto nomem;
    o->pg = gs__out_is_pg(path);
    base = basename(copy);
    {
        char *copy2 = gs__strdup(path);
        if (!copy2) goto nomem;
        dir = dirname(copy2);
        n = strlen(dir) + strlen(base) + 64;
        o->tmp = gs__malloc(n);
        if (!o->tmp) {
            free(copy2);
            goto nomem;
        }
        snprintf(o->tmp, n, "%s/.%s.%ld.tmp.gpkg", dir, base, (long)getpid());
        free(copy2);
    }
    free(copy);
    copy = NULL;
    if (!o->pg) {
        gs__out_sweep(path); /* leftovers of earlier killed runs */
        gs__tmp_add(o->tmp); /* removed on SIGINT or SIGTERM */
    }

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
            gs__out_free(o);
            return rc;
        }
    }
    if (o->pg) {
        rc = gs__out_pg_open(o);
        if (rc) {
            gs__out_abort(o);
            return rc;
        }
        *out = o;
        return GS_OK;
    }
    drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        gs__out_free(o);
        return gs__err(ctx, GS_ERR_INTERNAL,
                       "GDAL was built without the GeoPackage driver");
    }
    gs__libmsg_clear(ctx);
    o->ds = GDALCreate(drv, o->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!o->ds) {
        rc = gs__out_write_failed(ctx, o->path, o->tmp,
                                  "cannot create the output's temporary file");
        gs__out_free(o);
        return rc;
    }
    if (GDALDatasetStartTransaction(o->ds, 0) != OGRERR_NONE) {
        rc = gs__out_write_failed(ctx, o->path, o->tmp,
                                  "cannot start a transaction");
        gs__out_abort(o);
        return rc;
    }
    gs__crash_point("out.open");
    *out = o;
    return GS_OK;
nomem:
    free(copy);
    gs__out_free(o);
    return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
}

static OGRwkbGeometryType ogr_type(gs__geom_kind k) {
    switch (k) {
        case GS__GEOM_POINT: return wkbPoint;
        case GS__GEOM_LINE: return wkbMultiLineString;
        case GS__GEOM_POLYGON: return wkbMultiPolygon;
        default: return wkbNone;
    }
}

OGRFieldType gs__out_ftype(gs__ftype t) {
    return t == GS__F_INT    ? OFTInteger64
           : t == GS__F_REAL ? OFTReal
                             : OFTString;
}

/* Copies the names and aliases of the layer's fields into the writer and
 * hands the layer out. */
static int copy_names(gs__out *o, gs__olayer *l, const gs__field *fields,
                      size_t nfields, gs__olayer **out_layer) {
    for (size_t i = 0; i < nfields; i++) {
        l->fields[i] = gs__strdup(fields[i].name);
        if (!l->fields[i])
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        l->nfields = i + 1;
        if (fields[i].alias && !(l->aliases[i] = gs__strdup(fields[i].alias)))
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    }
    *out_layer = l;
    return GS_OK;
}

/* Creates layer `name` with `fields` (names and aliases copied: the
 * styles are written at commit, when the caller's names, often on its
 * stack, may be gone), remembering `schema` (or NULL) for its style. In
 * PostgreSQL an existing table of the same columns is reused (pg_reuse)
 * and a `shard` column follows ours. */
static int add_layer(gs__out *o, const char *name, gs__geom_kind geom,
                     const gs__field *fields, size_t nfields,
                     const gs__layer_schema *schema, size_t ndyn,
                     gs__olayer **out_layer) {
    gs__olayer *l;
    OGRSpatialReferenceH srs = NULL;
    char **lco = NULL;
    int rc;
    *out_layer = NULL;
    if (o->nlayers >= MAX_LAYERS)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "%s: too many output layers (at most %d)", o->path,
                       MAX_LAYERS);
    if (nfields > MAX_FIELDS)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "%s, layer %s: too many fields (%zu; at most %d)",
                       o->path, name, nfields, MAX_FIELDS);
    l = &o->layers[o->nlayers];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->geom = geom;
    l->schema = schema;
    l->ndyn = ndyn;
    if (o->pg) {
        rc = gs__out_pg_reuse(o, name, fields, nfields, &l->lyr);
        if (rc) return rc;
        if (l->lyr) {
            o->nlayers++; /* so out_free frees the names copied so far */
            return copy_names(o, l, fields, nfields, out_layer);
        }
        lco = CSLSetNameValue(lco, "SCHEMA", o->schema);
    }
    if (geom != GS__GEOM_NONE && o->to_output)
        srs = OCTGetTargetCS(o->to_output);
    lco = CSLSetNameValue(lco, "FID", "fid");
    if (geom != GS__GEOM_NONE)
        lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    gs__libmsg_clear(o->ctx);
    l->lyr = GDALDatasetCreateLayer(o->ds, name, srs, ogr_type(geom), lco);
    CSLDestroy(lco);
    if (!l->lyr) {
        char what[128];
        snprintf(what, sizeof what, "cannot create layer %s", name);
        return o->pg ? gs__err_lib(o->ctx, GS_ERR_IO, "%s: %s", o->path, what)
                     : gs__out_write_failed(o->ctx, o->path, o->tmp, what);
    }
    /* Counted from here, so out_free frees the names copied so far. */
    o->nlayers++;
    for (size_t i = 0; i <= nfields; i++) {
        OGRFieldDefnH fd;
        OGRErr e;
        if (i == nfields && !o->pg) break;
        fd = OGR_Fld_Create(
            i < nfields ? fields[i].name : "shard",
            i < nfields ? gs__out_ftype(fields[i].type) : OFTString);
        e = OGR_L_CreateField(l->lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gs__err_lib(o->ctx, GS_ERR_IO,
                               "%s: cannot create field %s.%s", o->path, name,
                               i < nfields ? fields[i].name : "shard");
    }
    return copy_names(o, l, fields, nfields, out_layer);
}

int gs__out_layer(gs__out *o, const char *name, gs__geom_kind geom,
                  const gs__fdef *fields, size_t nfields,
                  gs__olayer **out_layer) {
    gs__field f[MAX_FIELDS];
    *out_layer = NULL;
    if (nfields > MAX_FIELDS)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "%s, layer %s: too many fields (%zu; at most %d)",
                       o->path, name, nfields, MAX_FIELDS);
    for (size_t i = 0; i < nfields; i++)
        f[i] = (gs__field){fields[i].name, fields[i].type, NULL};
    return add_layer(o, name, geom, f, nfields, NULL, 0, out_layer);
}

int gs__out_layer_schema_dyn(gs__out *o, gs__layer_id id,
                             const gs__field *middle, size_t nmiddle,
                             gs__olayer **out_layer) {
    const gs__layer_schema *s = gs__schema(id);
    gs__field f[MAX_FIELDS];
    size_t n = 0, at = s->dyn_prefix ? s->dyn_at : s->nfields;
    *out_layer = NULL;
    if (nmiddle && !s->dyn_prefix)
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "layer %s has no dynamic fields", s->name);
    if (s->nfields + nmiddle > MAX_FIELDS)
        return gs__err(o->ctx, GS_ERR_INTERNAL, "layer %s: too many fields",
                       s->name);
    for (size_t i = 0; i < at; i++) f[n++] = s->fields[i];
    for (size_t i = 0; i < nmiddle; i++) f[n++] = middle[i];
    for (size_t i = at; i < s->nfields; i++) f[n++] = s->fields[i];
    return add_layer(o, s->layer, s->geom, f, n, s, nmiddle, out_layer);
}

int gs__out_layer_schema(gs__out *o, gs__layer_id id, gs__olayer **out_layer) {
    if (gs__schema(id)->dyn_prefix) {
        *out_layer = NULL;
        return gs__err(o->ctx, GS_ERR_INTERNAL,
                       "layer %s needs its dynamic fields",
                       gs__schema(id)->name);
    }
    return gs__out_layer_schema_dyn(o, id, NULL, 0, out_layer);
}

int gs__out_index(const gs__olayer *l, int field) {
    const gs__layer_schema *s = l->schema;
    return s && s->dyn_prefix && (size_t)field >= s->dyn_at
               ? field + (int)l->ndyn
               : field;
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
    return gs__err(o->ctx, GS_ERR_INTERNAL, "layer %s has no field %s", l->name,
                   field);
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
    if (o->pg) OGR_F_SetFieldString(f, (int)l->nfields, gs__shard_key(o->ctx));
    gs__libmsg_clear(o->ctx);
    e = OGR_L_CreateFeature(l->lyr, f);
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE) {
        char what[128];
        snprintf(what, sizeof what, "cannot write a feature of layer %s",
                 l->name);
        return o->pg ? gs__err_lib(o->ctx, GS_ERR_IO, "%s: %s", o->path, what)
                     : gs__out_write_failed(o->ctx, o->path, o->tmp, what);
    }
    gs__crash_point("out.feature");
    return GS_OK;
}

/* Sets a layer_styles column by its name in any case, if the table has
 * it. */
static void style_set(OGRFeatureH f, const char *name, const char *value) {
    OGRFeatureDefnH fd = OGR_F_GetDefnRef(f);
    int n = OGR_FD_GetFieldCount(fd);
    for (int i = 0; i < n; i++) {
        OGRFieldDefnH d = OGR_FD_GetFieldDefn(fd, i);
        if (strcasecmp(OGR_Fld_GetNameRef(d), name) != 0) continue;
        if (OGR_Fld_GetType(d) == OFTInteger)
            OGR_F_SetFieldInteger(f, i, value[0] == '1');
        else
            OGR_F_SetFieldString(f, i, value);
        return;
    }
}

/* Stores each layer's QML in layer_styles, as QGIS does, marked default. */
static int write_styles(gs__out *o) {
    static const gs__fdef fields[] = {{"f_table_catalog", GS__F_STR},
                                      {"f_table_schema", GS__F_STR},
                                      {"f_table_name", GS__F_STR},
                                      {"f_geometry_column", GS__F_STR},
                                      {"styleName", GS__F_STR},
                                      {"styleQML", GS__F_STR},
                                      {"styleSLD", GS__F_STR},
                                      {"useAsDefault", GS__F_INT},
                                      {"description", GS__F_STR},
                                      {"owner", GS__F_STR},
                                      {"ui", GS__F_STR},
                                      {"update_time", GS__F_STR}};
    OGRLayerH lyr = NULL;
    char **lco = NULL;
    char now[32], catalog[128] = "";
    int n = o->nlayers, rc;
    gs__utc_now(now, sizeof now);
    if (o->pg && (rc = gs__out_pg_styles(o, catalog, sizeof catalog, &lyr)))
        return rc;
    if (lyr) goto fill;
    lco = CSLSetNameValue(lco, "FID", "id");
    if (o->pg) lco = CSLSetNameValue(lco, "SCHEMA", "public");
    lyr = GDALDatasetCreateLayer(o->ds, "layer_styles", NULL, wkbNone, lco);
    CSLDestroy(lco);
    if (!lyr)
        return gs__err_lib(o->ctx, GS_ERR_IO,
                           "%s: cannot create the layer_styles table", o->path);
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
fill:
    for (int i = 0; i < n; i++) {
        gs__olayer *l = &o->layers[i];
        const char *const *names = (const char *const *)l->fields;
        const char *const *aliases = (const char *const *)l->aliases;
        char *qml = l->schema ? gs__style_qml_schema(l->schema, names, aliases,
                                                     l->nfields)
                              : gs__style_qml_aliased(l->name, l->geom, names,
                                                      aliases, l->nfields);
        OGRFeatureH f;
        OGRErr e;
        if (!qml) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        if (!f) {
            free(qml);
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        }
        /* By name: a layer_styles table QGIS created has its own column
         * order (and lower-case names in PostgreSQL). */
        style_set(f, "f_table_catalog", catalog);
        style_set(f, "f_table_schema", o->pg ? o->schema : "");
        style_set(f, "f_table_name", l->name);
        /* QGIS finds the style by table and geometry column: "" for an
         * attribute table, never NULL. */
        style_set(
            f, "f_geometry_column",
            l->geom == GS__GEOM_NONE ? "" : OGR_L_GetGeometryColumn(l->lyr));
        style_set(f, "styleName", l->name);
        style_set(f, "styleQML", qml);
        style_set(f, "styleSLD", "");
        style_set(f, "useAsDefault", "1");
        style_set(f, "description", "gridsmith " GS_VERSION_STRING);
        style_set(f, "owner", "");
        style_set(f, "update_time", now);
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

int gs__out_add_raster(gs__out *o, const char *read_path, const char *path,
                       const char *qml_path, const char *title) {
    const char *v[4] = {read_path, path, qml_path, title};
    if (o->nrasters >= 4)
        return gs__err(o->ctx, GS_ERR_INTERNAL, "too many rasters");
    for (int k = 0; k < 4; k++)
        if (v[k] && !(o->rasters[o->nrasters][k] = gs__strdup(v[k]))) {
            for (int j = 0; j < k; j++) free(o->rasters[o->nrasters][j]);
            memset(o->rasters[o->nrasters], 0, sizeof o->rasters[0]);
            return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
        }
    o->nrasters++;
    return GS_OK;
}

/* The output's QGIS project, stored in it (qgis_project.c). */
static int write_project(gs__out *o) {
    gs__qgs_raster r[4];
    for (int i = 0; i < o->nrasters; i++) {
        r[i].read_path = o->rasters[i][0];
        r[i].path = o->rasters[i][1];
        r[i].qml_path = o->rasters[i][2];
        r[i].title = o->rasters[i][3];
    }
    return gs__qgs_output_project(o->ctx, o->ds, o->path, r,
                                  (size_t)o->nrasters);
}

int gs__out_commit(gs__out *o) {
    gs_ctx *ctx = o->ctx;
    int rc = gs__check_cancel(ctx);
    char *copy;
    if (rc || (rc = write_styles(o))) goto fail;
    if (!o->pg && (rc = write_project(o))) goto fail;
    gs__crash_point("out.commit");
    gs__libmsg_clear(ctx);
    if (GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE) {
        rc = o->pg ? gs__err_lib(ctx, GS_ERR_IO, "%s: cannot commit the output",
                                 o->path)
                   : gs__out_write_failed(ctx, o->path, o->tmp,
                                          "cannot commit the output");
        goto fail;
    }
    gs__crash_point("out.committed");
    CPLErrorReset();
    GDALClose(o->ds);
    if (CPLGetLastErrorType() >= CE_Failure) {
        o->ds = NULL;
        rc = o->pg ? gs__err_lib(ctx, GS_ERR_IO, "%s: cannot finish the output",
                                 o->path)
                   : gs__out_write_failed(ctx, o->path, o->tmp,
                                          "cannot finish the output");
        goto fail;
    }
    o->ds = NULL;
    gs__crash_point("out.closed");
    if (o->pg) {
        gs__out_free(o);
        return GS_OK;
    }
    if (gs__out_fsync(o->tmp, 0) != 0) {
        rc = errno == ENOSPC
                 ? gs__out_write_failed(ctx, o->path, o->tmp,
                                        "cannot flush the output")
                 : gs__err(ctx, GS_ERR_IO, "%s: cannot flush the output: %s",
                           o->tmp, strerror(errno));
        goto fail;
    }
    gs__crash_point("out.rename");
    if (rename(o->tmp, o->path) != 0) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot move the output into "
                     "place: %s",
                     o->path, strerror(errno));
        goto fail;
    }
    gs__crash_point("out.renamed");
    copy = gs__strdup(o->path);
    if (copy) {
        gs__out_fsync(dirname(copy), 1); /* best effort: the rename itself */
        free(copy);
    }
    gs__out_free(o);
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
    if (o->tmp && !o->pg) {
        char side[4096];
        unlink(o->tmp);
        snprintf(side, sizeof side, "%s-wal", o->tmp);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", o->tmp);
        unlink(side);
        snprintf(side, sizeof side, "%s-journal", o->tmp);
        unlink(side);
    }
    gs__out_free(o);
}

int gs__out_commit_report(gs_ctx *ctx, gs__out *o, gs_report *report,
                          gs_report **out_report) {
    int rc;
    if (!report) {
        gs__out_abort(o);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    rc = gs__out_commit(o);
    if (rc) {
        gs_report_destroy(report);
        return rc;
    }
    *out_report = report;
    return GS_OK;
}
