/*
 * writer.h - the GeoPackage writer every command uses (writer.c).
 */
#ifndef GS_OUT_H
#define GS_OUT_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "ctx.h"
#include "style.h"

typedef struct gs__out gs__out;
typedef struct gs__olayer gs__olayer;

/* A field of a layer created without a schema (its alias, if any, comes
 * from style.c's table by name). */
typedef struct gs__fdef {
    const char *name;
    gs__ftype type;
} gs__fdef;

/* 1 when `path` names a PostgreSQL database ("PG:..."): the layers then
 * go into the context's schema in one transaction (writer_pg.c). */
int gs__out_is_pg(const char *path);

/* Runs one SQL statement on a PostgreSQL dataset (inside its transaction,
 * if one is open); a result set is discarded. GS_ERR_IO with the server's
 * message. */
int gs__pg_exec(gs_ctx *ctx, GDALDatasetH ds, const char *sql);

/* Checks that the GeoPackage output `path` can be written before any work
 * is done: gs__out_check_file, and a name ending in .gpkg (GS_ERR_USAGE
 * otherwise: a GeoPackage named x.shp fools every program that goes by
 * the extension). A PG: output passes. */
int gs__out_check(gs_ctx *ctx, const char *path);

/* Checks that the file `path` can be written (not a directory, parent
 * exists and is writable): GS_ERR_IO with the reason. For files other
 * than GeoPackages (the HTML report). */
int gs__out_check_file(gs_ctx *ctx, const char *path);

/* 1 when `path` ends in ".gpkg" (any case) after a file name. */
int gs__gpkg_name(const char *path);

/* 1 when writing `path` (a file or, for a new one, beside it) failed for
 * want of space: the last library message or errno says so, or its
 * device has less than 1 MiB free. */
int gs__out_disk_full(gs_ctx *ctx, const char *path);

/* The error of a failed write to `path` (an output, or the ledger) while
 * doing `what`: GS_ERR_IO "PATH: the disk is full: no space left to
 * write FILE (WHAT)..." when it was for want of space (FILE: the file
 * actually written, e.g. the temporary, or NULL), else PATH and WHAT
 * with the library's message. */
int gs__out_write_failed(gs_ctx *ctx, const char *path, const char *file,
                         const char *what);

/* gs__out_check, then that `path` is none of the `n` inputs (NULL entries
 * skipped): writing over an input would destroy it. GS_ERR_USAGE. */
int gs__out_check_inputs(gs_ctx *ctx, const char *path,
                         const char *const *inputs, size_t n);

/* Removes the temporaries that killed runs left beside `path`
 * (".NAME.<pid>.tmp" and ".NAME.<pid>.tmp.gpkg" with its SQLite journals,
 * NAME the base name of `path`) when process <pid> no longer exists; a
 * live process's, such as a concurrent run's, are left alone. Best
 * effort: nothing is reported. gs__out_open and gs__out_file call it. */
void gs__out_sweep(const char *path);

/* Creates the temporary GeoPackage next to `path`. `output` is the CRS
 * geometries are written in, `metric` the CRS GEOS geometries handed to
 * gs__out_geos are in; both are borrowed and must outlive the writer. */
int gs__out_open(gs_ctx *ctx, const char *path, OGRSpatialReferenceH output,
                 OGRSpatialReferenceH metric, gs__out **out);

/* Adds a layer with the given fields; its QGIS style is written at commit.
 * The field names are copied; the layer handle belongs to the writer. */
int gs__out_layer(gs__out *o, const char *name, gs__geom_kind geom,
                  const gs__fdef *fields, size_t nfields,
                  gs__olayer **out_layer);

/* Adds layer `id` of the schema table (schema.h) with its fields, types,
 * aliases and style; the layer handle belongs to the writer. Fields are
 * then addressed by the schema's field enums. GS_ERR_INTERNAL for a
 * schema with a dynamic middle (gs__out_layer_schema_dyn). */
int gs__out_layer_schema(gs__out *o, gs__layer_id id, gs__olayer **out_layer);

/* The same for a schema with a dynamic middle (hotspots' grid_events): the
 * `nmiddle` fields `middle` (names with the schema's prefix; their names
 * and aliases are copied) go between its head and its tail. A tail field
 * is then written at gs__out_index(l, field). */
int gs__out_layer_schema_dyn(gs__out *o, gs__layer_id id,
                             const gs__field *middle, size_t nmiddle,
                             gs__olayer **out_layer);

/* The position at which the layer holds field `field` of its schema: the
 * field itself in the head, moved past the dynamic middle in the tail. */
int gs__out_index(const gs__olayer *l, int field);

/* The OGR type a field of type `t` is written as. */
OGRFieldType gs__out_ftype(gs__ftype t);

/* Sets the Chinese alias of one of the layer's fields in its QGIS style,
 * over the built-in one: for fields named at run time, such as one count
 * per event category (cat_1 -> 环境卫生). `alias` is copied. */
int gs__out_alias(gs__out *o, gs__olayer *l, const char *field,
                  const char *alias);

/* A new feature of the layer; NULL when out of memory. Put it with
 * gs__out_put, which takes it. */
OGRFeatureH gs__out_feature(gs__olayer *l);

/* Sets the feature's geometry from a metric GEOS geometry (transformed to
 * the output CRS, promoted to the layer's type). NULL geometry is allowed. */
int gs__out_geos(gs__out *o, gs__olayer *l, OGRFeatureH f,
                 const GEOSGeometry *metric);

/* Sets the feature's geometry from WKB already in the output CRS. */
int gs__out_wkb(gs__out *o, OGRFeatureH f, const unsigned char *wkb,
                size_t len);

/* Sets the feature's geometry from WKB in the metric CRS (transformed to
 * the output CRS, promoted to the layer's type). */
int gs__out_metric_wkb(gs__out *o, gs__olayer *l, OGRFeatureH f,
                       const unsigned char *wkb, size_t len);

/* Sets a MultiLineString geometry: part k is points starts[k] ..
 * starts[k+1]-1 of xy (x, y pairs), in metres unless in_output_crs. */
int gs__out_lines(gs__out *o, gs__olayer *l, OGRFeatureH f, const double *xy,
                  const size_t *starts, size_t nparts, int in_output_crs);

/* Sets a point geometry from metric coordinates. */
int gs__out_point(gs__out *o, OGRFeatureH f, double x, double y);

/* Writes the feature and destroys it. */
int gs__out_put(gs__out *o, gs__olayer *l, OGRFeatureH f);

/* Adds a row to the run_metadata table. */
int gs__out_meta(gs__out *o, const char *key, const char *value);

struct gs__inputs;

/* Writes the run metadata every command records: engine and version, the
 * command and its line, start and finish times (UTC), the rules (JSON text),
 * the metric CRS, the libraries' versions, and each input with its layer,
 * feature count and SHA-256. */
int gs__out_meta_run(gs__out *o, const char *command, const char *command_line,
                     const char *started, const char *rules_json,
                     const char *metric_crs, const struct gs__inputs *info);

/* Adds a raster that goes beside the GeoPackage (the density raster) to
 * its QGIS project: read from `read_path` now (its temporary), opened by
 * QGIS as `path` (its final name, in the same folder), styled with the QML
 * file `qml_path` (NULL: none), titled `title`. The strings are copied.
 * GS_ERR_NOMEM; GS_ERR_INTERNAL beyond four rasters. */
int gs__out_add_raster(gs__out *o, const char *read_path, const char *path,
                       const char *qml_path, const char *title);

/* Writes styles, metadata and, for a GeoPackage with map layers, its QGIS
 * project (qgis_project.h), closes the file, and renames it into place.
 * Frees the writer, also on failure (then the temporary file is removed and
 * an earlier output is untouched). */
int gs__out_commit(gs__out *o);

/* Commits `o` only once the run's `report` exists, so that a run failing
 * even for want of memory for its report never replaces an earlier
 * output: with no report the writer is aborted (GS_ERR_NOMEM); after a
 * commit the report goes to *out_report, after a failed one it is freed.
 * Takes both `o` and `report`. */
int gs__out_commit_report(gs_ctx *ctx, gs__out *o, gs_report *report,
                          gs_report **out_report);

/* Drops everything written: closes and removes the temporary file. Accepts
 * NULL. */
void gs__out_abort(gs__out *o);

/* Writes `len` bytes of `data` (a report, not a GeoPackage) to `path` the
 * same way: a temporary file beside it, fsync'ed and renamed into place.
 * On failure the temporary file is removed and an earlier `path` is
 * untouched. GS_OK or GS_ERR_IO. */
int gs__out_file(gs_ctx *ctx, const char *path, const char *data, size_t len);

#endif /* GS_OUT_H */
