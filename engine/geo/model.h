/*
 * model.h - the in-memory model the analyses work on.
 *
 * Readers (io/read_*.c) fill these structs from OGR sources, already projected
 * to the metric CRS (crs.c) and turned into GEOS geometries (geom.c). The
 * analyses take the model, never an OGR handle, so tests can build a model
 * from WKT without touching a file. Strings live in the model's arena and
 * are freed with it; GEOS geometries belong to the model's GEOS handle.
 */
#ifndef GS_MODEL_H
#define GS_MODEL_H

#include <stddef.h>

#include "ctx.h"

/* Where a feature came from, for messages: "grids.gpkg, layer grids,
 * feature 12" or "members.csv, line 7". */
typedef struct gs__origin {
    long fid;  /* OGR feature id, or -1 */
    long line; /* 1-based line for CSV sources, or 0 */
} gs__origin;

typedef struct gs__community {
    const char *code;
    const char *name;
    GEOSGeometry *geom; /* metric, repaired, polygonal */
    gs__origin origin;
    /* Vertices far outside the layer or its CRS (io/coords.c): geom is
     * the community without them; far_reason says which (else ""). */
    int far;
    char far_reason[300];
} gs__community;

typedef struct gs__grid {
    const char *code;
    const char *community_code;
    const char *grid_type;
    const char *name;
    GEOSGeometry *geom;     /* metric, repaired, polygonal */
    unsigned char *src_wkb; /* the geometry as stored, as MultiPolygon
                             * WKB in the output CRS; may be NULL */
    size_t src_wkb_len;
    int nparts;                  /* polygon parts as stored */
    int invalid;                 /* not OGC-valid as stored */
    char invalid_reason[160];    /* GEOS's reason, when invalid */
    double invalid_x, invalid_y; /* metric location of the problem */
    gs__origin origin;
    /* Vertices far outside the layer or its CRS (io/coords.c): geom is
     * the grid without them; far_reason says which (else ""). */
    int far;
    char far_reason[300];
} gs__grid;

typedef struct gs__household {
    const char *id;
    const char *building_id;
    const char *care_type;
    double x, y;  /* metric */
    long persons; /* valid only when persons_ok */
    int persons_ok;
    gs__origin origin;
} gs__household;

typedef struct gs__member {
    const char *member_id;
    const char *grid_code;
    const char *name;
    gs__origin origin;
} gs__member;

/* A feature the reader could not use and, with {on_error}=skip, left out. */
typedef struct gs__skipped {
    const char *role; /* "grids", "households"... */
    const char *reason;
    gs__origin origin;
    double x, y; /* metric location when known, else NaN */
} gs__skipped;

/* A road, river, wall or rail that grid boundaries should follow. */
typedef struct gs__barrier {
    const char *kind; /* "road", "river", "wall", "rail" or the user's */
    const char *name;
    GEOSGeometry *geom; /* metric, lineal */
    gs__origin origin;
} gs__barrier;

typedef struct gs__model {
    GEOSContextHandle_t geos; /* borrowed from the context */
    gs__arena strings;

    gs__community *communities;
    size_t n_communities;
    gs__grid *grids;
    size_t n_grids;
    gs__household *households;
    size_t n_households;
    gs__member *members;
    size_t n_members;
    int have_members; /* a roster was given */
    gs__skipped *skipped;
    size_t n_skipped, cap_skipped;
    gs__barrier *barriers;
    size_t n_barriers;

    /* CRS: the metric one the analyses use and the output one (the grids'
     * input CRS), as WKT. */
    char *metric_wkt;
    char *metric_name;
    char *output_wkt;
} gs__model;

void gs__model_init(gs__model *m, GEOSContextHandle_t geos);
void gs__model_free(gs__model *m);

/* Records a skipped feature; GS_ERR_NOMEM on failure. */
int gs__model_skip(gs__model *m, const char *role, const char *reason,
                   gs__origin origin, double x, double y);

#endif /* GS_MODEL_H */
