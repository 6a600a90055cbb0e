/*
 * io.h - reading the input layers into the model (options.c, source.c,
 * fields.c, geometry.c, shard_extent.c, pick_crs.c, read_*.c; source.h
 * tells how a reader works).
 */
#ifndef GS_IO_H
#define GS_IO_H

#include <ogr_srs_api.h>

#include "events.h"
#include "model.h"
#include "provenance.h"

/* The CRSes of a run: the metric one every analysis uses and the output
 * one (the grids' input CRS). Filled by gs__io_read_grids. */
typedef struct gs__crsinfo {
    OGRSpatialReferenceH metric;
    OGRSpatialReferenceH output;
    char *metric_name;
} gs__crsinfo;

void gs__crsinfo_free(gs__crsinfo *c);

/* Checks the {layers} and {fields} specs (and {encoding}, {assume_crs}): well
 * formed, known roles and fields. GS_ERR_USAGE naming the bad spec. */
int gs__io_check_opts(gs_ctx *ctx, const gs_input_opts *opts);

/* The user's source name for ROLE.FIELD ({fields} ROLE.FIELD=SOURCE), or
 * NULL when not mapped; borrowed from opts. `opts` may be NULL. */
const char *gs__io_mapped_field(const gs_input_opts *opts, const char *role,
                                const char *field);

/* The layer named for ROLE with {layers} ROLE=NAME, or NULL; borrowed. */
const char *gs__io_mapped_layer(const gs_input_opts *opts, const char *role);

/* With a shard set on the context (gs_ctx_set_shards), finds the shard's
 * extent: the envelope of its grids and communities (an attribute filter
 * on community_code, so a PG: source answers with one indexed query),
 * widened by the halo `halo_m` metres. Every spatial reader then reads only
 * features intersecting it (a spatial filter, pushed down to PostGIS).
 * `communities` may be NULL. Without a shard it does nothing. GS_OK, or
 * GS_ERR_INPUT_* when a source cannot be read or the shard is empty. */
/* The halo around a shard's extent: beyond the 300 m of a Gi* hexagon's
 * ring and any grid's edge checks, with room for rounding. */
#define GS__SHARD_HALO_M 1000.0

int gs__io_shard_extent(gs_ctx *ctx, const gs_input_opts *opts,
                        const char *grids, const char *communities,
                        double halo_m, gs__inputs *info);

/* Reads the grids; picks the metric CRS from their centre and sets the
 * output CRS to theirs, unless crs->metric is already set: then both CRSes
 * are kept as they are (the merge of shard outputs). */
int gs__io_read_grids(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                      gs__model *m, gs__crsinfo *crs, gs__inputs *info);

/* Fills `crs` from ROLE's layer at `path` when a run reads no grids (as
 * gs__io_read_grids does: metric CRS from the layer's centre, output CRS
 * the layer's own). Reads no features. */
int gs__io_pick_crs(gs_ctx *ctx, const gs_input_opts *opts, const char *role,
                    const char *path, gs__crsinfo *crs);

/* Readers for the other roles; they need crs filled by gs__io_read_grids
 * (or gs__io_pick_crs). */
int gs__io_read_communities(gs_ctx *ctx, const gs_input_opts *opts,
                            const char *path, gs__model *m,
                            const gs__crsinfo *crs, gs__inputs *info);
int gs__io_read_households(gs_ctx *ctx, const gs_input_opts *opts,
                           const char *path, gs__model *m,
                           const gs__crsinfo *crs, gs__inputs *info);
/* Members: with a shard on the context and `shard_rows`, only the roster
 * rows whose grid_code has a shard prefix (an attribute filter, pushed
 * down to a PG: source); otherwise every row (validate needs a member's
 * rows on other shards' grids to see member_multiple_grids). */
int gs__io_read_members(gs_ctx *ctx, const gs_input_opts *opts,
                        const char *path, int shard_rows, gs__model *m,
                        gs__inputs *info);
/* Barriers: (Multi)LineStrings with `kind` (road, river, wall, rail) and
 * `name`, into m->barriers. */
int gs__io_read_barriers(gs_ctx *ctx, const gs_input_opts *opts,
                         const char *path, gs__model *m, const gs__crsinfo *crs,
                         gs__inputs *info);

/* Building footprints (role "buildings"): polygons with building_id,
 * name, households, persons, levels and an OSM building type; an .osm or
 * .pbf file is read directly (its buildings). Into m->buildings in
 * metres, households and persons -1 where not given. */
int gs__io_read_buildings(gs_ctx *ctx, const gs_input_opts *opts,
                          const char *path, gs__model *m,
                          const gs__crsinfo *crs, gs__inputs *info);

/* Fills in the households (and persons) of buildings that give none:
 * area x levels (rules->default_levels when not given) /
 * rules->m2_per_household for homes (no OSM type, or a residential one),
 * 0 for other buildings; persons households x
 * rules->persons_per_household. *out_estimated: how many were estimated.
 * Never fails. */
void gs__io_estimate_buildings(gs__model *m, const gs_rules *rules,
                               long *out_estimated);

/* Replaces m->households by each building's households as points at its
 * inner point (building_id set, persons spread evenly): for a run given
 * footprints and no household points. GS_ERR_NOMEM. */
int gs__io_households_from_buildings(gs_ctx *ctx, gs__model *m);

/* Duplicate household_ids would count one household twice: fails with
 * GS_ERR_INPUT_VALUE naming both places, or with {on_error}=skip keeps the
 * first and records the others as skipped. */
int gs__io_check_household_ids(gs_ctx *ctx, const gs_input_opts *in,
                               gs__model *m, const gs__inputs *info);

struct gs__tz;

/* Reads events (role "events"): times read in `tz` (datetime.h), points
 * read as `event_crs` says ({event_crs}: NULL or "wgs84" for the layer's
 * CRS, WGS84 for a CSV's lon/lat; "gcj02" or "bd09" for lon/lat shifted
 * by China's map SDKs, inverted here; or a CRS that overrides the
 * layer's) and projected to crs->metric with `threads` workers. Setup
 * problems fail (cannot open, missing field, empty layer, text not UTF-8,
 * wrong CRS, GS_ERR_USAGE for a bad {event_crs}); rows that cannot be used
 * go to out->bad. The caller frees `out` with gs__events_free() in every
 * case. */
int gs__io_read_events(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                       struct gs__tz *tz, const char *event_crs,
                       const gs__crsinfo *crs, int threads, gs__events *out,
                       gs__inputs *info);

/* A job's memo of its inputs (memo.c): with one on the context, a later
 * step takes a copy of what an earlier one read of the same input (the
 * households) instead of reading it again, with the same skipped rows,
 * warnings and metadata. gs__io_memo_begin: GS_ERR_NOMEM;
 * gs__io_memo_end frees it (after every step's model is freed, which may
 * point into it) and accepts a context without one. */
typedef struct gs__io_memo gs__io_memo;
int gs__io_memo_begin(gs_ctx *ctx);
void gs__io_memo_end(gs_ctx *ctx);

/* "households.gpkg, layer households, feature 12" or "members.csv, line 7"
 * for a feature of a role read earlier. */
void gs__io_where(const gs__inputs *info, const char *role, gs__origin o,
                  char *buf, size_t size);

#endif /* GS_IO_H */
