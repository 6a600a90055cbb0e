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
 * An output given as "PG:<connection>" goes into PostgreSQL/PostGIS through
 * OGR's PostgreSQL driver instead, in the context's schema (--schema,
 * default public), with the same layers and fields plus one: `shard`, the
 * shard key of the run that wrote the row ("110108,110109"; "" for a run
 * without --shard). The whole command is one transaction: a failed or
 * killed run rolls back and leaves nothing. Each writer deletes the rows
 * of its own shard key before inserting (COPY), so re-running a shard
 * replaces exactly its rows; a run without --shard replaces all rows.
 *
 * Many shards write the same tables at once. Deleting and copying their
 * own rows needs no lock; creating the tables does, or two first writers
 * would both try. So a writer that finds the schema not yet complete (no
 * committed run_metadata table, which every command writes after its
 * layers) takes a session advisory lock keyed by the schema, looks again
 * once it has it (the writer before may have committed everything in the
 * meantime: then it lets go at once), and otherwise keeps it until its
 * commit closes the connection. Only the first writers of a fresh schema
 * queue; later ones run fully in parallel. Styles go into
 * public.layer_styles, where QGIS looks for them, shared by all schemas:
 * they are written last under one transaction-scoped lock for all
 * writers, held from there to the commit. No writer waits for the schema
 * lock while holding that one, so the two cannot deadlock.
 */
#define _POSIX_C_SOURCE 200809L
#include "writer.h"

#include <geos_c.h>
#include <proj.h>

#include "provenance.h"
#include "shard.h"
#include "testhook.h"

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
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LAYERS 32
#define MAX_FIELDS 64

struct gs__olayer {
    OGRLayerH lyr;
    char name[64];
    gs__geom_kind geom;
    const gs__layer_schema *schema; /* NULL: created from a field list */
    size_t ndyn;                    /* fields in the schema's middle */
    char *fields[MAX_FIELDS];       /* owned copies of the names */
    char *aliases[MAX_FIELDS];      /* owned; NULL: the built-in alias */
    size_t nfields;
};

/* The advisory lock of public.layer_styles for all gridsmith writers (the
 * first bytes of "gridsmith" as a number). Schema locks are keyed by
 * hashtext('gridsmith:' || schema). */
#define PG_LOCK_KEY "7453464845435251"

struct gs__out {
    gs_ctx *ctx;
    int pg;          /* writing into PostgreSQL, not a GeoPackage */
    char schema[64]; /* pg: the schema, quoted-safe ([a-z0-9_]) */
    char *path;
    char *tmp;
    GDALDatasetH ds;
    OGRCoordinateTransformationH to_output;
    GEOSWKBWriter *wkb;
    gs__olayer layers[MAX_LAYERS];
    int nlayers;
    gs__olayer *meta;
};

int gs__out_check_inputs(gs_ctx *ctx, const char *path,
                         const char *const *inputs, size_t n) {
    int rc = gs__out_check(ctx, path);
    for (size_t i = 0; !rc && i < n; i++)
        if (inputs[i] && gs__same_file(inputs[i], path))
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "-o %s is also an input; write the output to "
                         "another file",
                         path);
    return rc;
}

int gs__out_check(gs_ctx *ctx, const char *path) {
    struct stat st;
    char *copy, *dir;
    int rc = GS_OK;
    if (!path || !*path)
        return gs__err(ctx, GS_ERR_USAGE, "no output file given (-o)");
    if (gs__out_is_pg(path)) return GS_OK;
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
    if (o->pg) CPLSetThreadLocalConfigOption("PG_USE_COPY", NULL);
    for (int i = 0; i < o->nlayers; i++)
        for (size_t k = 0; k < o->layers[i].nfields; k++) {
            free(o->layers[i].fields[k]);
            free(o->layers[i].aliases[k]);
        }
    if (o->wkb) GEOSWKBWriter_destroy_r(o->ctx->geos, o->wkb);
    if (o->to_output) OCTDestroyCoordinateTransformation(o->to_output);
    free(o->path);
    free(o->tmp);
    free(o);
}

int gs__out_is_pg(const char *path) {
    return path && strncmp(path, "PG:", 3) == 0;
}

int gs__pg_exec(gs_ctx *ctx, GDALDatasetH ds, const char *sql) {
    OGRLayerH res;
    gs__libmsg_clear(ctx);
    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res) GDALDatasetReleaseResultSet(ds, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return gs__err_lib(ctx, GS_ERR_IO, "PostgreSQL output: %s failed", sql);
    return GS_OK;
}

static int pg_exec(gs__out *o, const char *sql) {
    return gs__pg_exec(o->ctx, o->ds, sql);
}

/* The integer a one-row query `sql` returns (0 or 1 here); -1 with the
 * context's error set. */
static int pg_flag(gs__out *o, const char *sql) {
    OGRLayerH res;
    OGRFeatureH f;
    int v = 0;
    gs__libmsg_clear(o->ctx);
    res = GDALDatasetExecuteSQL(o->ds, sql, NULL, NULL);
    if (!res) {
        gs__err_lib(o->ctx, GS_ERR_IO, "%s: cannot look at schema %s", o->path,
                    o->schema);
        return -1;
    }
    f = OGR_L_GetNextFeature(res);
    if (f) {
        v = OGR_F_GetFieldAsInteger(f, 0);
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(o->ds, res);
    return v;
}

/* *out_ready: 1 when the schema holds a committed run_metadata table, so
 * an earlier writer of this command created all its tables. */
static int pg_complete(gs__out *o, int *out_ready) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN to_regclass('\"%s\".run_metadata') IS NULL "
             "THEN 0 ELSE 1 END AS ready",
             o->schema);
    *out_ready = pg_flag(o, sql);
    return *out_ready < 0 ? GS_ERR_IO : GS_OK;
}

/* Opens the database, starts the transaction, takes the writers' lock and
 * makes sure the schema exists. */

static int pg_open(gs__out *o) {
    gs_ctx *ctx = o->ctx;
    char sql[256];
    double t0;
    int rc, ready;
    snprintf(o->schema, sizeof o->schema, "%s", gs__ctx_schema(ctx, "public"));
    /* COPY, not one INSERT per row, also into tables that already exist
     * (the driver's default only for tables it has just created). The
     * option is per thread; out_free clears it. */
    CPLSetThreadLocalConfigOption("PG_USE_COPY", "YES");
    gs__libmsg_clear(ctx);
    o->ds = GDALOpenEx(o->path,
                       GDAL_OF_VECTOR | GDAL_OF_UPDATE | GDAL_OF_VERBOSE_ERROR,
                       (const char *const[]){"PostgreSQL", NULL}, NULL, NULL);
    if (!o->ds)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot connect to the output database",
                           o->path);
    if (GDALDatasetStartTransaction(o->ds, 0) != OGRERR_NONE)
        return gs__err_lib(ctx, GS_ERR_IO, "%s: cannot start a transaction",
                           o->path);
    if ((rc = pg_complete(o, &ready)) || ready) return rc;
    t0 = gs__now();
    snprintf(sql, sizeof sql,
             "SELECT pg_advisory_lock(hashtext('gridsmith:%s'))", o->schema);
    if ((rc = pg_exec(o, sql))) return rc;
    gs__phase_note(ctx, "lock_wait", gs__now() - t0);
    if ((rc = pg_complete(o, &ready))) return rc;
    if (ready) {
        snprintf(sql, sizeof sql,
                 "SELECT pg_advisory_unlock(hashtext('gridsmith:%s'))",
                 o->schema);
        return pg_exec(o, sql);
    }
    /* Kept until the connection closes, after the commit. */
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS \"%s\"", o->schema);
    return pg_exec(o, sql);
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
    if (!o->pg) gs__out_sweep(path); /* leftovers of earlier killed runs */

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
    if (o->pg) {
        rc = pg_open(o);
        if (rc) {
            gs__out_abort(o);
            return rc;
        }
        *out = o;
        return GS_OK;
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

/* PostgreSQL: reuses the table `schema.name` when an earlier run or
 * another shard created it (its columns must be ours, in our order, then
 * `shard`) and deletes the rows of this run's shard key (all rows without
 * --shard). *out_lyr stays NULL when the table does not exist yet. */
static int pg_reuse(gs__out *o, const char *name, const gs__field *fields,
                    size_t nfields, OGRLayerH *out_lyr) {
    char full[160], sql[1200];
    OGRLayerH lyr;
    OGRFeatureDefnH fd;
    int n;
    *out_lyr = NULL;
    snprintf(full, sizeof full, "%s.%s", o->schema, name);
    /* Asked first: the driver's own look-up of a missing table fails a
     * statement, which aborts the whole transaction (a table dropped by
     * hand, or a layer a later version adds). */
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN to_regclass('\"%s\".\"%s\"') IS NULL THEN 0 "
             "ELSE 1 END AS present",
             o->schema, name);
    if ((n = pg_flag(o, sql)) < 0) return GS_ERR_IO;
    if (!n) return GS_OK;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    lyr = GDALDatasetGetLayerByName(o->ds, full);
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!lyr) return GS_OK;
    fd = OGR_L_GetLayerDefn(lyr);
    n = OGR_FD_GetFieldCount(fd);
    for (size_t i = 0; i <= nfields; i++) {
        const char *want = i < nfields ? fields[i].name : "shard";
        if ((int)i >= n ||
            strcmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, (int)i)), want) !=
                0)
            return gs__err(o->ctx, GS_ERR_IO,
                           "%s: table %s exists with other columns than "
                           "this version of gridsmith writes (expected %s "
                           "as column %zu); drop it or write into another "
                           "{schema}",
                           o->path, full, want, i + 1);
    }
    if (gs__shard_active(o->ctx))
        snprintf(sql, sizeof sql,
                 "DELETE FROM \"%s\".\"%s\" WHERE shard = '%s'", o->schema,
                 name, gs__shard_key(o->ctx));
    else
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\".\"%s\"", o->schema, name);
    *out_lyr = lyr;
    return pg_exec(o, sql);
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
    if (o->nlayers >= MAX_LAYERS || nfields > MAX_FIELDS)
        return gs__err(o->ctx, GS_ERR_INTERNAL, "too many output layers");
    l = &o->layers[o->nlayers];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->geom = geom;
    l->schema = schema;
    l->ndyn = ndyn;
    if (o->pg) {
        rc = pg_reuse(o, name, fields, nfields, &l->lyr);
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
    if (!l->lyr)
        return gs__err_lib(o->ctx, GS_ERR_IO, "%s: cannot create layer %s",
                           o->path, name);
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
        return gs__err(o->ctx, GS_ERR_INTERNAL, "too many output layers");
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
        int rc = gs__out_layer_schema(o, GS__LS_RUN_METADATA, &o->meta);
        if (rc) return rc;
    }
    f = gs__out_feature(o->meta);
    if (!f) return gs__err(o->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_F_SetFieldString(f, GS__RM_KEY, key);
    OGR_F_SetFieldString(f, GS__RM_VALUE, value ? value : "");
    return gs__out_put(o, o->meta, f);
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
        rc = gs__out_meta(
            o, key,
            json_object_to_json_string_ext(
                j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        if (rc) return rc;
    }
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

/* PostgreSQL: the database's name (QGIS matches styles on it), and
 * public.layer_styles if it exists, after deleting the styles of this
 * schema's layers that are about to be written again. */
static int pg_styles(gs__out *o, char *catalog, size_t size,
                     OGRLayerH *out_lyr) {
    OGRLayerH res, lyr;
    OGRFeatureH f;
    double t0 = gs__now();
    int rc;
    *out_lyr = NULL;
    /* Held to the commit, which follows. */
    if ((rc = pg_exec(o, "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")")))
        return rc;
    gs__phase_note(o->ctx, "styles_lock_wait", gs__now() - t0);
    res = GDALDatasetExecuteSQL(o->ds, "SELECT current_database()", NULL, NULL);
    if (res) {
        f = OGR_L_GetNextFeature(res);
        if (f) {
            snprintf(catalog, size, "%s", OGR_F_GetFieldAsString(f, 0));
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(o->ds, res);
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    lyr = GDALDatasetGetLayerByName(o->ds, "public.layer_styles");
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!lyr) return GS_OK;
    for (int i = 0; i < o->nlayers; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "DELETE FROM public.layer_styles WHERE f_table_schema = "
                 "'%s' AND f_table_name = '%s'",
                 o->schema, o->layers[i].name);
        if ((rc = pg_exec(o, sql))) return rc;
    }
    *out_lyr = lyr;
    return GS_OK;
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
    if (o->pg && (rc = pg_styles(o, catalog, sizeof catalog, &lyr))) return rc;
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
    if (o->pg) {
        out_free(o);
        return GS_OK;
    }
    if (fsync_path(o->tmp, 0) != 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot flush the output: %s", o->tmp,
                     strerror(errno));
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
    out_free(o);
}

int gs__out_file(gs_ctx *ctx, const char *path, const char *data, size_t len) {
    char *copy = NULL, *copy2 = NULL, *tmp = NULL;
    FILE *fp = NULL;
    size_t n;
    int rc = gs__out_check(ctx, path);
    if (rc) return rc;
    copy = gs__strdup(path);
    copy2 = gs__strdup(path);
    n = strlen(path) + 64;
    tmp = gs__malloc(n);
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
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot write (its temporary file "
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
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot move the output into "
                     "place: %s",
                     path, strerror(errno));
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
