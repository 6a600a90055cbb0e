/*
 * merge_state.h - what the files of `gridsmith hotspots --merge` share:
 * the sources, the merged categories, grids and hexagons, and the steps
 * merge.c runs (merge_read.c reads and checks the sources, merge_units.c
 * merges the categories and recomputes Gi*, merge_write.c writes the
 * layers and the report).
 */
#ifndef GS_HS_MERGE_STATE_H
#define GS_HS_MERGE_STATE_H

#include <gdal.h>
#include <ogr_api.h>

#include "hotspot.h"
#include "io.h"
#include "layers.h"
#include "writer.h"

/* run_metadata keys the sources must agree on; "rules" last. */
#define GS__HS_N_SAME 6
extern const char *const gs__hs_same_keys[GS__HS_N_SAME];

/* A category of one source, as its categories layer lists it. */
typedef struct gs__hs_scat {
    char *label; /* as written (未分类 for the empty category) */
    char *field; /* cat_K, cat_other or "" */
    long events;
    size_t global; /* index in the merged order */
} gs__hs_scat;

/* One source: a shard's output. */
typedef struct gs__hs_msrc {
    const char *name; /* as given */
    char *path;       /* what GDAL opens */
    GDALDatasetH ds;
    char *meta[GS__HS_N_SAME];
    gs__hs_scat *cats;
    size_t ncats;
    OGRFeatureH *grid_f; /* grid_events features, sorted by fid */
    size_t n_grid_f;
    gs__model m; /* grid_events read as grids: metric geometries */
} gs__hs_msrc;

/* A category of the merge. */
typedef struct gs__hs_gcat {
    const char *label; /* borrowed from a source */
    const char *raw;   /* the text a run sorts: "" for 未分类 */
    long events;
} gs__hs_gcat;

/* A grid of the merge, in source order, then each source's order. */
typedef struct gs__hs_mgrid {
    GEOSGeometry *geom; /* borrowed from its source's model */
    const gs__grid *g;
    OGRFeatureH f; /* borrowed */
    size_t src;
} gs__hs_mgrid;

/* A hexagon of the merge, in a run's (r, q) order. */
typedef struct gs__hs_mhex {
    int64_t q, r;
    OGRFeatureH f; /* owned */
    size_t src;
} gs__hs_mhex;

/* The merge, from reading to writing. */
typedef struct gs__hs_merge {
    gs_ctx *ctx;
    const gs_hotspots_opts *opts;
    gs__hs_msrc *s;
    size_t ns;
    gs__hs_gcat *cats;
    size_t ncats, nf; /* categories; those with a field */
    int other;        /* cat_other written */
    char names[GS__HS_MAX_CAT_FIELDS][32];
    gs__hs_mgrid *grids;
    size_t ngrids;
    gs__hs_mhex *hex;
    size_t nhex;
    gs__hs_gi grid_gi, hex_gi;
    gs__crsinfo crs;
    char *rules;
    char started[32];
    long events;
} gs__hs_merge;

/* ---- the steps ----------------------------------------------------------- */

/* Opens and reads every source, checking that they fit together: the
 * run_metadata they must share, the categories, the grids in the metric
 * CRS a single run would pick (merge_read.c). */
int gs__hs_merge_read(gs__hs_merge *M);

/* The union of the sources' categories in a run's order (merge_units.c).
 * GS_ERR_INPUT when a source summed in cat_other a category that gets a
 * field of its own here. */
int gs__hs_merge_categories(gs__hs_merge *M);

/* Gi* of all grids, on the value the rules name (merge_units.c). */
int gs__hs_merge_grid_gi(gs__hs_merge *M);

/* Every source's hexagons in a run's order, and their Gi*
 * (merge_units.c). GS_ERR_INPUT when two sources hold one hexagon. */
int gs__hs_merge_hexes(gs__hs_merge *M);

/* grid_events, hex_hotspots, categories and run_metadata into o
 * (merge_write.c). */
int gs__hs_merge_write(gs__hs_merge *M, gs__out *o);

/* The report of the merge; NULL when out of memory (merge_write.c). */
gs_report *gs__hs_merge_report(gs__hs_merge *M);

/* ---- reading a source's layers (merge_read.c) ---------------------------- */

/* Layer `layer` of source s, or NULL with *rc set and the message. */
OGRLayerH gs__hs_need_layer(gs__hs_merge *M, gs__hs_msrc *s, const char *layer,
                            int *rc);

/* GS_OK when layer l has the field, else GS_ERR_INPUT_FIELD. */
int gs__hs_need_field(gs__hs_merge *M, gs__hs_msrc *s, OGRLayerH l,
                      const char *field);

/* Field `field` of f as text, "" when absent or NULL. */
const char *gs__hs_fstr(OGRFeatureH f, const char *field);

/* Field `field` of f as an integer, 0 when absent or NULL. */
long long gs__hs_fint(OGRFeatureH f, const char *field);

#endif /* GS_HS_MERGE_STATE_H */
