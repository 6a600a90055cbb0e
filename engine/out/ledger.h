/*
 * ledger.h - the weekly history in one GeoPackage: recording a week
 * (ledger.c) and reading weeks back (ledger_read.c).
 */
#ifndef GS_LEDGER_H
#define GS_LEDGER_H

#include <ogr_api.h>

#include "ctx.h"
#include "schema.h"

/* One output layer to keep in the ledger: the rows of layer `layer` (a
 * schema with a ledger table) in the GeoPackage `path` go to its ledger
 * table, tagged with the week. */
typedef struct gs__ledger_part {
    gs__layer_id layer;
    const char *path;
} gs__ledger_part;

/* Replaces week `week` ("2026-W47") in the ledger at `ledger_path` with the
 * given parts, and appends a row to its `runs` table (run_json: the run's
 * parameters and inputs). One transaction: a run killed at any moment
 * leaves the ledger as it was. Creates the ledger (atomically) when absent.
 * GS_ERR_IO when the ledger cannot be written, GS_ERR_INPUT_OPEN when a
 * part cannot be read. */
int gs__ledger_record(gs_ctx *ctx, const char *ledger_path, const char *week,
                      const gs__ledger_part *parts, size_t n_parts,
                      const char *command_line, const char *started,
                      const char *run_json);

/* The same for a ledger in PostgreSQL/PostGIS: schema `schema` of the
 * database `conn` ("PG:..."). Each part's `path` is the schema a stage
 * wrote into (in the same database), holding the layer's table; the rows of the
 * context's shard key (all rows without --shard) are copied inside the
 * server. The week's earlier rows of this shard (of the whole week without
 * --shard) are replaced, and `runs` gets a row with the shard. A ledger
 * table is created from its stage table's columns (plus `week`) and gains
 * any column a later stage table adds (a shard with more categories). One
 * transaction, serialized with other shards' ledger writes by an advisory
 * lock on the schema: a failed run leaves the ledger as it was. */
int gs__ledger_record_pg(gs_ctx *ctx, const char *conn, const char *schema,
                         const char *week, const gs__ledger_part *parts,
                         size_t n_parts, const char *command_line,
                         const char *started, const char *run_json);

/* ---- reading the ledger (ledger_read.c) --------------------------------- */

/* A ledger open for reading: a GeoPackage written by `gridsmith run`, or
 * the PostGIS ledger of `run -o PG:` ("PG:... active_schema=SCHEMA").
 * Every row read is limited to the context's shard (the rows whose
 * grid_code starts with one of its prefixes; all rows without one). */
typedef struct gs__ledger gs__ledger;

/* GS_ERR_IO "locked by another program" when another program holds the
 * GeoPackage ledger at `path` locked against reading (`write` 0) or
 * writing (`write` 1) for more than five seconds; GS_OK otherwise,
 * including for a PG: ledger and for anything that is no database (GDAL
 * then says what it is). */
int gs__ledger_probe(gs_ctx *ctx, const char *path, int write);

/* Opens the ledger at `path` (not a GeoPackage file that does not exist:
 * GS_ERR_INPUT_OPEN naming it, as for one GDAL cannot open). The handle
 * is the caller's: gs__ledger_close. */
int gs__ledger_open(gs_ctx *ctx, const char *path, gs__ledger **out);

/* Closes the ledger; accepts NULL. */
void gs__ledger_close(gs__ledger *l);

/* The path the ledger was opened with (borrowed). */
const char *gs__ledger_path(const gs__ledger *l);

/* 1 when the ledger holds table `table` (a stage that never ran has
 * none). */
int gs__ledger_has(const gs__ledger *l, const char *table);

/* 1 when the ledger table of layer `id` has every field of the schema
 * whose bit (1ul << field) is set in `mask`; else 0 with the first one
 * missing in *out_missing (the table must exist). */
int gs__ledger_has_fields(const gs__ledger *l, gs__layer_id id,
                          unsigned long mask, const char **out_missing);

/* One ISO week as the ledger spells it ("2026-W47"). */
typedef struct gs__lweek {
    char week[16];
} gs__lweek;

/* The distinct weeks of `table`, ascending, of every shard (the weeks the
 * ledger holds, for messages and the default week): *out_weeks is the
 * caller's (free), NULL and 0 when there is none or no such table. */
int gs__ledger_weeks(gs__ledger *l, const char *table, gs__lweek **out_weeks,
                     size_t *out_n);

/* Which rows to read: the weeks from..to (inclusive, ISO weeks as the
 * ledger spells them), with or without geometries, and the fields of the
 * layer's schema that must be there (bits 1ul << field; a missing one is
 * GS_ERR_INPUT_FIELD naming the ledger, table and field). Fields not
 * required and absent read as empty, 0 or NAN. */
typedef struct gs__ledger_query {
    const char *from, *to;
    int geometry;           /* read the rows' geometries */
    unsigned long required; /* schema fields that must exist */
} gs__ledger_query;

/* A grid_status row: validate's grid of a week. */
typedef struct gs__lgrid_status {
    const char *week, *grid_code, *community_code, *name, *issues, *status;
    long members; /* the roster count; -1 when the table has no such field */
    long households, persons; /* -1 when the table has no such field */
    /* With geometry: the row's, owned by the reader; the callback may take
     * it (setting it to NULL). NULL when none. */
    OGRGeometryH geom;
} gs__lgrid_status;

/* A member_week row: a member on a grid in a week. */
typedef struct gs__lmember_week {
    const char *week, *member_id, *member_name, *grid_code, *note;
    double in_grid_tolerant_s, coverage_pct; /* NAN when null */
    long workdays, workdays_ok, weekly_ok, compliant;
    OGRGeometryH geom; /* as in gs__lgrid_status */
} gs__lmember_week;

/* A member_day row: a member on a grid on a day. */
typedef struct gs__lmember_day {
    const char *week, *member_id, *grid_code, *date;
    long workday, daily_ok;
    double in_grid_tolerant_s; /* NAN when null */
} gs__lmember_day;

/* A grid_events row: the events of a grid in a week. */
typedef struct gs__lgrid_events {
    const char *week, *grid_code;
    long events, open, overdue, self_resolved;
    int has_gi; /* Gi* was computed: gi_bin holds its bin */
    long gi_bin;
} gs__lgrid_events;

/* The member_week rows of a week and grid, counted (the weekly trend):
 * only those whose grid is in the week's grid_status, with the grid's
 * community (the least community_code of its rows). */
typedef struct gs__lweek_tally {
    const char *week, *grid_code, *community_code;
    long members, compliant, n_cov;
    double hours_s, cov_sum; /* in_grid_tolerant_s, coverage_pct summed */
} gs__lweek_tally;

/* Each read calls fn(user, row) for every row of the query in the
 * table's order, strings borrowed for the call ("" when null); a non-zero
 * return stops the read and is returned. The table must exist
 * (GS_ERR_INPUT_OPEN otherwise). */
int gs__ledger_grid_status(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lgrid_status *row),
                           void *user);
int gs__ledger_member_week(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lmember_week *row),
                           void *user);
/* `missed_only`: only the workdays without daily_ok. */
int gs__ledger_member_day(gs__ledger *l, const gs__ledger_query *q,
                          int missed_only,
                          int (*fn)(void *user, gs__lmember_day *row),
                          void *user);
int gs__ledger_grid_events(gs__ledger *l, const gs__ledger_query *q,
                           int (*fn)(void *user, gs__lgrid_events *row),
                           void *user);
/* Ordered by week and grid; nothing when member_week or grid_status is
 * missing. */
int gs__ledger_week_tallies(gs__ledger *l, const char *from, const char *to,
                            int (*fn)(void *user, gs__lweek_tally *row),
                            void *user);

/* A row of any ledger table made from a layer schema, its fields
 * addressed by the schema's enums (GS__BL_OPEN...). Strings are borrowed
 * for the callback. */
typedef struct gs__lrow gs__lrow;
const char *gs__lrow_week(const gs__lrow *r);
const char *gs__lrow_str(const gs__lrow *r, int field); /* "": none */
long gs__lrow_int(const gs__lrow *r, int field);        /* 0: none */
double gs__lrow_real(const gs__lrow *r, int field);     /* NAN: none */
int gs__lrow_null(const gs__lrow *r, int field);        /* 1: absent or NULL */
/* The row's geometry, now the caller's (NULL without one, or when the
 * query did not ask for geometries). */
OGRGeometryH gs__lrow_take_geom(gs__lrow *r);

/* Reads the rows of layer `id`'s ledger table that query `q` selects,
 * and `where` (NULL, or " AND <condition>" on its fields), limited to the
 * context's shard by grid_code, or by community_code for a table without
 * one. GS_OK without reading when the table does not exist (a stage that
 * never ran, an older ledger). */
int gs__ledger_rows(gs__ledger *l, gs__layer_id id, const gs__ledger_query *q,
                    const char *where, int (*fn)(void *user, gs__lrow *row),
                    void *user);

/* The run (its JSON text, the runs table's `run`) recorded last for
 * `week`: in PostGIS, the last of a shard covering the context's shard or
 * inside it. *out_json is the caller's (free); NULL when there is none. */
int gs__ledger_last_run(gs__ledger *l, const char *week, char **out_json);

/* The CRS of table `table` (borrowed from the ledger), or NULL when it
 * has none or there is no such table. */
OGRSpatialReferenceH gs__ledger_srs(const gs__ledger *l, const char *table);

/* The extent of the rows of layer `id`'s table that query `q` selects
 * into *out_env: 1, or 0 when it is not known. */
int gs__ledger_extent(gs__ledger *l, gs__layer_id id, const gs__ledger_query *q,
                      OGREnvelope *out_env);

#endif /* GS_LEDGER_H */
