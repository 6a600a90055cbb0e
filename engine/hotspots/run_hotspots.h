/*
 * run_hotspots.h - what the files of a hotspots run share: the writing
 * context, the writers of the layers (write_units.c, write_findings.c,
 * write_outputs.c), the density raster beside the GeoPackage
 * (density_raster.c) and the report (run_report.c). run_hotspots.c runs
 * them in order.
 */
#ifndef GS_HS_RUN_HOTSPOTS_H
#define GS_HS_RUN_HOTSPOTS_H

#include <json-c/json.h>
#include <ogr_api.h>

#include "datetime.h"
#include "hotspot.h"
#include "io.h"
#include "layers.h"
#include "writer.h"

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* What the writers read: the model, events and results, and what the
 * layers decided (the categories with a field of their own). */
typedef struct gs__hs_wctx {
    gs_ctx *ctx;
    gs__out *o;
    const gs__model *m;
    const gs__events *ev;
    const gs__hsresult *r;
    const gs__hs_params *p;
    gs__tz *tz;
    size_t ncat_fields; /* categories with a field of their own */
    int cat_other;      /* 1: cat_other holds the rest */
    char cat_names[GS__HS_MAX_CAT_FIELDS][32];
} gs__hs_wctx;

/* A new feature of layer l into f, or return GS_ERR_NOMEM with the
 * message (in a writer with a gs__hs_wctx *w). */
#define NEW_FEATURE(f, l)                                                \
    do {                                                                 \
        (f) = gs__out_feature(l);                                        \
        if (!(f)) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory"); \
    } while (0)

/* ---- the density raster (density_raster.c) ------------------------------- */

/* OUT_kde.tif and its QGIS style OUT_kde.qml, with temporaries beside
 * them; the four paths live in one allocation, `path` its start. */
typedef struct gs__hs_kde_file {
    char *path, *tmp;         /* OUT_kde.tif and its temporary */
    char *qml_path, *qml_tmp; /* its QGIS style, OUT_kde.qml */
} gs__hs_kde_file;

/* The paths for output OUT.gpkg; sweeps leftovers of earlier killed runs.
 * GS_ERR_NOMEM, no message. */
int gs__hs_kde_paths(const char *output, gs__hs_kde_file *k);

void gs__hs_kde_file_free(gs__hs_kde_file *k);

/* Removes the temporaries (after a failure). */
void gs__hs_kde_abort(gs__hs_kde_file *k);

/* Writes the density as a Float32 GeoTIFF (events per km^2, metric CRS)
 * and its style into the temporaries. GS_ERR_IO, GS_ERR_INTERNAL with
 * the context's message. */
int gs__hs_kde_write(gs_ctx *ctx, const gs__hsresult *r, const gs__crsinfo *crs,
                     const gs__hs_kde_file *k);

/* The raster as run_metadata and the report describe it: path (null
 * without a raster), bandwidth_m, bandwidth_rule, cell_m. */
json_object *gs__hs_kde_json(const gs__hsresult *r, const gs__hs_kde_file *k);

/* ---- the layers ---------------------------------------------------------- */

/* grid_events (the categories' fields decided here), categories,
 * hex_hotspots and emerging, weekly_summary and monthly_summary
 * (write_units.c). */
int gs__hs_write_grids(gs__hs_wctx *w);
int gs__hs_write_categories(gs__hs_wctx *w);
int gs__hs_write_hexes(gs__hs_wctx *w);
int gs__hs_write_summaries(gs__hs_wctx *w);

/* grid_backlog and grid_categories (write_backlog.c). */
int gs__hs_write_backlog(gs__hs_wctx *w);

/* clusters, trouble_spots, event_issues and bad_rows
 * (write_findings.c). */
int gs__hs_write_clusters(gs__hs_wctx *w);
int gs__hs_write_trouble(gs__hs_wctx *w);
int gs__hs_write_event_issues(gs__hs_wctx *w);
int gs__hs_write_bad_rows(gs__hs_wctx *w);

/* The kind of a trouble spot as written: repeat_location, overdue,
 * rising_grid (gs__trouble_kind order). */
extern const char *const gs__hs_trouble_kinds[3];

/* Writes the feature with a metric GEOS geometry (may be NULL); destroys
 * f on failure (write_outputs.c). */
int gs__hs_put_geos(gs__hs_wctx *w, gs__olayer *l, OGRFeatureH f,
                    const GEOSGeometry *g);

/* The community code of grid g, or "" for -1. */
const char *gs__hs_grid_community(const gs__hs_wctx *w, long g);

/* The label of category c, or "" for -1. */
const char *gs__hs_category(const gs__hs_wctx *w, int c);

/* Opens the output and writes every layer, the raster's temporaries
 * when k->tmp is set, and run_metadata; the output stays open in w->o,
 * not yet committed. On failure everything written is removed and w->o
 * is NULL (write_outputs.c). */
int gs__hs_write_outputs(gs__hs_wctx *w, const gs_hotspots_opts *opts,
                         const gs__crsinfo *crs, const gs__inputs *info,
                         const char *started, gs__hs_kde_file *k);

/* Moves the outputs into place once the report exists (takes it): the
 * GeoPackage (gs__out_commit_report), then the raster and its style. */
int gs__hs_place_outputs(gs__hs_wctx *w, const gs_hotspots_opts *opts,
                         gs__hs_kde_file *k, gs_report *report,
                         gs_report **out_report);

/* ---- the report (run_report.c) ------------------------------------------- */

/* The report of a run; NULL when out of memory. */
gs_report *gs__hs_make_report(gs_ctx *ctx, const gs_hotspots_opts *opts,
                              const gs__model *m, const gs__events *ev,
                              const gs__hsresult *r, const gs__hs_params *p,
                              const gs__hs_kde_file *k);

#endif /* GS_HS_RUN_HOTSPOTS_H */
