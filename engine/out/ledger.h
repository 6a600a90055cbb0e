/*
 * ledger.h - the weekly history in one GeoPackage (ledger.c).
 */
#ifndef GS_LEDGER_H
#define GS_LEDGER_H

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

#endif /* GS_LEDGER_H */
