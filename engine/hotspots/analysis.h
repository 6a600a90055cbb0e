/*
 * analysis.h - what the files of the hotspots analysis share.
 *
 * gs__hotspots_analyse (analyse.c) runs the steps declared here in order,
 * each in the file named for what it computes, each filling its part of
 * the gs__hsresult and saying on the context what went wrong. The helpers
 * after the steps serve more than one of them: the state of an event at
 * the period's end (event_state.c), an index of polygons and their
 * bounds (gi_units.c), the polygons hexagons are clipped to (hexagons.c)
 * and the list of trouble spots (trouble_spots.c).
 */
#ifndef GS_HS_ANALYSIS_H
#define GS_HS_ANALYSIS_H

#include "hotspot.h"

/* The steps' common way out of memory: the message, then the one exit. */
#define NOMEM()                                           \
    do {                                                  \
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory"); \
        goto done;                                        \
    } while (0)

/* ---- the steps, in the order they run ------------------------------------ */

/* Flags each event's period and history, places it in a grid
 * (gs__hs_join) and indexes the categories (place_events.c). */
int gs__hs_place_events(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r);

/* Counts per grid and category, households per grid (grids.c). */
int gs__hs_grid_counts(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                       const gs__hs_params *p, gs__hsresult *r);

/* Gi* of the grids on the value the rules name (grids.c). GS_ERR_USAGE
 * for per_100hh without households. */
int gs__hs_grid_gi(gs_ctx *ctx, const gs__model *m, const gs__hs_params *p,
                   gs__hsresult *r);

/* The lattice cells overlapping the clip polygons, clipped to them, and
 * each event's cell (hexagons.c). GS_ERR_USAGE for a bad size or a
 * lattice over MAX_HEXES cells. */
int gs__hs_hexagons(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                    const gs__hs_params *p, gs__hsresult *r);

/* Gi* of the period's hexagon counts, each history week's, and every
 * cell's emerging class (emerging.c). */
int gs__hs_emerging(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                    gs__hsresult *r);

/* DBSCAN clusters of the period's events (clusters.c). */
int gs__hs_clusters(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                    gs__hsresult *r);

/* Repeat locations: DBSCAN with the repeat radius over the repeat_days
 * ending with the period, appended as trouble spots (clusters.c). */
int gs__hs_repeat_spots(gs_ctx *ctx, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r, size_t *tcap);

/* Open events past their deadline, most working days overdue first
 * (trouble_spots.c). */
int gs__hs_overdue_spots(gs_ctx *ctx, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *r, size_t *tcap);

/* Grids whose weekly counts rise (trouble_spots.c). */
int gs__hs_rising_spots(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r, size_t *tcap);

/* The backlog per grid at the period's end (backlog.c). */
int gs__hs_count_backlog(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *r);

/* The quartic kernel density of the period's events (density.c). */
int gs__hs_density(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                   const gs__hs_params *p, gs__hsresult *r);

/* The weekly and monthly summaries (summaries.c). */
int gs__hs_summaries(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                     const gs__hs_params *p, gs__hsresult *r);

/* ---- the state of an event at the period's end (event_state.c) ---------- */

typedef struct gs__hs_evstate {
    int resolved;     /* by as_of */
    int self;         /* self-resolved by as_of */
    int overdue;      /* open at as_of, past the deadline */
    int unknown;      /* no status recorded: neither open nor resolved */
    double resolve_h; /* NaN when unknown */
} gs__hs_evstate;

/* Event e as it stood at the period's end. */
gs__hs_evstate gs__hs_state_of(const gs__event *e, const gs__hs_params *p);

/* Adds event e, as it stood at the period's end, to c. */
void gs__hs_count_event(gs__hs_counts *c, const gs__event *e,
                        const gs__hs_params *p);

/* Working days in (a, b]. */
int gs__hs_workdays_between(const gs__calendar *cal, int32_t a, int32_t b);

/* ---- polygons: bounds and an index (gi_units.c) -------------------------- */

/* The polygon at `geoms + i * stride` bytes (a GEOSGeometry pointer). */
#define GS__HS_GEOM_AT(geoms, stride, i) \
    (*(GEOSGeometry *const *)((const char *)(geoms) + (i) * (stride)))

/* 1 with g's bounds in b (xmin, ymin, xmax, ymax); 0 when g is NULL, empty
 * or has none. */
int gs__hs_bounds(GEOSContextHandle_t h, const GEOSGeometry *g, double b[4]);

/* An STRtree over n polygons and their prepared forms (NULL for a NULL or
 * empty polygon); the tree's items point to ids[i] == i. */
typedef struct gs__hs_polyindex {
    GEOSSTRtree *tree;
    const GEOSPreparedGeometry **prep;
    size_t *ids;
    size_t n;
} gs__hs_polyindex;

/* Builds the index of n polygons, polygon i at GS__HS_GEOM_AT(g, stride,
 * i). GS_ERR_NOMEM; free with gs__hs_polyindex_free in every case. */
int gs__hs_polyindex_build(GEOSContextHandle_t h, GEOSGeometry *const *g,
                           size_t stride, size_t n, gs__hs_polyindex *x);

void gs__hs_polyindex_free(GEOSContextHandle_t h, gs__hs_polyindex *x);

/* ---- the clip polygons (hexagons.c) -------------------------------------- */

/* The polygons hexagons and the density raster cover: the communities,
 * or the grids without them. n and stride as GS__HS_GEOM_AT takes them. */
GEOSGeometry *const *gs__hs_clip_polys(const gs__model *m, size_t *n,
                                       size_t *stride);

/* Widens the extent b (xmin, ymin, xmax, ymax; +-INFINITY for none) by
 * every clip polygon's bounds. */
void gs__hs_clip_extent(GEOSContextHandle_t h, const gs__model *m, double b[4]);

/* ---- trouble spots (trouble_spots.c) ------------------------------------- */

/* Appends trouble spot t with the text of `detail` (taken, and emptied)
 * as its detail; *cap is the capacity of r->trouble. GS_ERR_NOMEM, with
 * the text freed. */
int gs__hs_add_trouble(gs__hsresult *r, size_t *cap, gs__hs_trouble *t,
                       gs__buf *detail);

#endif /* GS_HS_ANALYSIS_H */
