/*
 * traces.h - reading GPS traces (traces.c and the traces_*.c files;
 * traces_int.h tells how).
 */
#ifndef GS_TRACES_H
#define GS_TRACES_H

#include <stddef.h>
#include <stdint.h>

#include "bulk.h"
#include "ctx.h"
#include "datetime.h"

/* ---- traces -------------------------------------------------------------- */

/* One usable GPS fix. 40 bytes. */
typedef struct gs__fix {
    int64_t t_ms;     /* UTC, ms since the epoch */
    double lon, lat;  /* WGS84, after the {trace_crs} conversion */
    float accuracy_m; /* NaN when empty */
    uint32_t member;  /* index into gs__traces.member_ids */
    uint32_t line;    /* 1-based line of a CSV (where the row starts); for
                       * other formats the OGR feature id + 1 (0: none) */
} gs__fix;

/* gs__badrow.t_ms when the row's time itself is unusable. */
#define GS__TIME_UNKNOWN INT64_MIN

/* A row that could not be used, and why. Strings live in the traces'
 * arena (or are static); never NULL. */
typedef struct gs__badrow {
    uint32_t line;         /* as gs__fix.line */
    const char *member_id; /* as read, UTF-8 ("" when empty; bytes that
                            * cannot be decoded shown as '?') */
    const char *field;     /* "member_id", "time", "lon", "lat",
                            * "accuracy_m", "geometry" (GIS layers), or ""
                            * for the row as a whole (wrong number of
                            * fields) */
    const char *reason;    /* e.g. "day 31 in November ('2026-11-31
                            * 08:00:00')" */
    int64_t t_ms;          /* the row's time when it was readable, for
                            * per-day counts; else GS__TIME_UNKNOWN */
} gs__badrow;

typedef struct gs__traces {
    gs__fix *fixes; /* in file order */
    size_t n_fixes;
    const char **member_ids; /* interned UTF-8, in first-seen order (of
                              * usable fixes) */
    size_t n_members;
    gs__badrow *bad; /* every unusable row, by line: never dropped */
    size_t n_bad;
    size_t n_blank;    /* rows whose fields are all empty, like ",,,"
                        * (skipped; empty lines are not rows) */
    char encoding[32]; /* the text encoding used: "UTF-8", "GB18030"...
                        * Differs from input->encoding (NULL) when it
                        * was detected: the caller should warn. */
    char layer[128];   /* the OGR layer read; "" for CSV */
    int is_csv;        /* 1: lines are CSV lines */
    gs__bulk bulk;     /* where the fixes lie (bulk.h), in WGS84 */
    size_t n_far;      /* bad rows for lying far outside it */
    gs__arena strings;
} gs__traces;

typedef struct gs__trace_opts {
    const char *path;
    /* {fields} traces.X=SOURCE, {layers} traces=NAME, {encoding}; may be
     * NULL. */
    const gs_input_opts *input;
    /* "wgs84" (NULL means this), "gcj02", "bd09", or any CRS text OGR
     * understands ("EPSG:4490", WKT, PROJ). For a GIS layer that declares
     * a CRS, "EPSG:..." overrides the declared one, gcj02/bd09 apply
     * after converting the declared CRS to WGS84. */
    const char *trace_crs;
    gs__tz *tz; /* zone of times without an offset (required) */
    /* An OGR attribute filter for a GIS layer (a shard's members, pushed
     * down to a PG: source), or NULL. A CSV is read whole. */
    const char *where;
    /* Reader threads for a large CSV: 0 picks one per core (at most 4,
     * only for files above 32 MiB); n > 1 forces n parts even for tiny
     * files (for tests). */
    int threads;
} gs__trace_opts;

/*
 * Reads GPS traces: a CSV/TSV (.csv, .tsv, .txt) with a streaming reader
 * (traces_csv.c), a PostGIS table with COPY (traces_pg.c), anything else (GPX,
 * GeoPackage, GeoJSON, Shapefile...) through OGR. Columns are found by name,
 * case-insensitively, through the user's {fields} mapping and common aliases
 * (lng, longitude, 经度; timestamp, 时间).
 *
 * Setup problems stop the read: GS_ERR_INPUT_OPEN (cannot open),
 * GS_ERR_INPUT_FIELD (a required column is missing: the message names the
 * file, the column and the columns present), GS_ERR_INPUT_EMPTY (no rows),
 * GS_ERR_INPUT_ENCODING (UTF-16), GS_ERR_USAGE (bad {trace_crs} or
 * {encoding}), GS_ERR_INPUT_CRS, GS_ERR_NOMEM. Row problems never stop it:
 * each unusable row is in out->bad with its line, field and reason.
 *
 * `out` is filled on GS_OK and left empty (all zero) on failure; the
 * caller frees it with gs__traces_free() in both cases.
 * Thread safety: uses `ctx` and o->tz; may start worker threads.
 */
int gs__traces_read(gs_ctx *ctx, const gs__trace_opts *o, gs__traces *out);

/* Frees what gs__traces_read filled and zeroes it. Accepts NULL. */
void gs__traces_free(gs__traces *t);

#endif /* GS_TRACES_H */
