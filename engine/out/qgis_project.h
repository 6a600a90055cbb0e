/*
 * qgis_project.h - QGIS projects of gridsmith's outputs (qgis_project.c).
 *
 * Every GeoPackage a command writes carries a QGIS project in its
 * `qgis_projects` table (where QGIS itself keeps projects stored in a
 * GeoPackage: Browser -> GeoPackage -> the file -> the project), with the
 * layers grouped, ordered and styled as their `layer_styles` say, and the
 * density raster of hotspots. The weekly job writes one project for the
 * week, DIR/gridsmith-WEEK.qgz beside its outputs and the same in the
 * ledger's `qgis_projects`: the stages' layers and the ledger's tables,
 * whose rows the Temporal Controller steps through week by week.
 */
#ifndef GS_QGIS_PROJECT_H
#define GS_QGIS_PROJECT_H

#include <gdal.h>
#include <stdint.h>

#include "ctx.h"

/** A project being put together. */
typedef struct gs__qgs gs__qgs;

/* A new, empty project titled `title` (copied). GS_ERR_NOMEM. */
int gs__qgs_create(gs_ctx *ctx, const char *title, gs__qgs **out);

/* Frees the project; accepts NULL. */
void gs__qgs_destroy(gs__qgs *p);

/* How the layers of gs__qgs_add_gpkg start out. */
enum {
    GS__QGS_SHOWN = 0,      /* as the layer's kind says */
    GS__QGS_HIDE_AREAS = 1, /* lines and areas unticked, points ticked
                               (another group's areas are on top) */
    GS__QGS_HIDE_ALL = 2    /* every layer unticked */
};

/* Adds the layers of the GeoPackage `ds` (open, possibly inside its
 * writing transaction) to group `group` (made on first use; groups are
 * listed in the order they are first named): map layers drawn points over
 * lines over areas, attribute tables in a sub-group. QGIS reads each from
 * `source`, the GeoPackage's path relative to the project's folder
 * ("./validate-2026-W47.gpkg"), styled as its default `layer_styles` row
 * says; a text `week` or `date` field gets a date twin (week_start, day)
 * as a virtual field. `flags`: GS__QGS_*. GS_ERR_NOMEM. */
int gs__qgs_add_gpkg(gs__qgs *p, GDALDatasetH ds, const char *source,
                     const char *group, int flags);

/* Adds the raster read from `read_path` (its extent and CRS; it may be a
 * temporary file), which QGIS opens as `source`, styled with the QML file
 * `qml_path` (NULL: QGIS's default), titled `title`, to `group`, ticked
 * when `visible`. GS_ERR_INPUT_OPEN when it cannot be read. */
int gs__qgs_add_raster(gs__qgs *p, const char *read_path, const char *source,
                       const char *qml_path, const char *title,
                       const char *group, int visible);

/* The project's time range for the Temporal Controller: days first..last
 * (days since 1970-01-01, inclusive), stepping by days or, with `weekly`,
 * by weeks. */
void gs__qgs_time(gs__qgs *p, int32_t first, int32_t last, int weekly);

/* The time range of the layers of `ds` with a text `week` or `date`
 * field, into the project (gs__qgs_time); nothing when none has one. */
void gs__qgs_time_from(gs__qgs *p, GDALDatasetH ds);

/* The project as QGIS project XML (.qgs); NULL when out of memory. The
 * caller frees it. */
char *gs__qgs_xml(gs__qgs *p);

/* Stores the project in the GeoPackage `ds` as QGIS does (table
 * qgis_projects: name, metadata, content = the zipped project as hex),
 * replacing a project of the same `name`. GS_ERR_IO naming `where`. */
int gs__qgs_store(gs__qgs *p, GDALDatasetH ds, const char *name,
                  const char *where);

/* Writes the project as a .qgz file (zipped) at `path`, atomically.
 * GS_ERR_IO. */
int gs__qgs_write(gs__qgs *p, const char *path);

/* The project of the GeoPackage output being written to `ds` (which will
 * be renamed to `path`), with the rasters beside it (`rasters`: n entries
 * of read path, final path, QML path, title), stored in it. Nothing when
 * it has no map layer. */
typedef struct gs__qgs_raster {
    const char *read_path, *path, *qml_path, *title;
} gs__qgs_raster;
int gs__qgs_output_project(gs_ctx *ctx, GDALDatasetH ds, const char *path,
                           const gs__qgs_raster *rasters, size_t n);

/* Gives every ledger table of the open ledger `ds` its default QGIS style
 * (the layer's look, Chinese aliases, and the Temporal Controller by
 * week), replacing the one before. GS_ERR_IO. */
int gs__qgs_ledger_styles(gs_ctx *ctx, GDALDatasetH ds, const char *path);

/* The weekly job's project for `week`: the layers of the `n` stage
 * outputs (GeoPackages in the job's folder, the first one's areas
 * ticked), the density raster `kde` (or NULL) with its QML beside it, and
 * the ledger's tables, styled for the Temporal Controller
 * (gs__qgs_ledger_styles). Stored in the ledger's qgis_projects as
 * `week` and written to `qgz`, both beside the outputs (paths are
 * relative). GS_ERR_IO, GS_ERR_INPUT_OPEN, GS_ERR_NOMEM. */
int gs__qgs_job_project(gs_ctx *ctx, const char *week,
                        const char *const *stages, size_t n, const char *kde,
                        const char *ledger, const char *qgz);

#endif /* GS_QGIS_PROJECT_H */
