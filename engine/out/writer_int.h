/*
 * writer_int.h - the writer's state, shared by its files (internal).
 *
 * writer.c holds the writer proper (layers, features, styles, commit),
 * writer_pg.c what differs in PostgreSQL, writer_file.c the checks and
 * atomic writing of output files, writer_meta.c the run metadata.
 */
#ifndef GS_WRITER_INT_H
#define GS_WRITER_INT_H

#include <geos_c.h>

#include "writer.h"

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
    /* Rasters written beside the GeoPackage, for its QGIS project: read
     * path (a temporary), final path, QML path, title; owned copies. */
    char *rasters[4][4];
    int nrasters;
};

/* Frees the writer's memory (the dataset must be closed). */
void gs__out_free(gs__out *o);

/* fsync of a file, or of a directory when `dir`: 0, or -1. */
int gs__out_fsync(const char *path, int dir);

/* PostgreSQL (writer_pg.c): opens the database, starts the transaction,
 * takes the writers' lock and makes sure the schema exists. */
int gs__out_pg_open(gs__out *o);

/* PostgreSQL: reuses the table `schema.name` when an earlier run or
 * another shard created it (its columns must be ours, in our order, then
 * `shard`) and deletes the rows of this run's shard key (all rows without
 * a shard). *out_lyr stays NULL when the table does not exist yet. */
int gs__out_pg_reuse(gs__out *o, const char *name, const gs__field *fields,
                     size_t nfields, OGRLayerH *out_lyr);

/* PostgreSQL: the database's name (QGIS matches styles on it) into
 * catalog, and public.layer_styles into *out_lyr if it exists, after
 * deleting the styles of this schema's layers that are about to be
 * written again. */
int gs__out_pg_styles(gs__out *o, char *catalog, size_t size,
                      OGRLayerH *out_lyr);

#endif /* GS_WRITER_INT_H */
