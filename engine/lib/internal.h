/*
 * internal.h - what the library's subsystems share and the CLI never sees.
 *
 * The context (struct gs_ctx) is defined here so that every subsystem can
 * set its error, reach the thread's GEOS handle and report progress. Helpers
 * for growable strings and a string arena live here too, because every
 * reader and writer needs them.
 */
#ifndef GS_INTERNAL_H
#define GS_INTERNAL_H

#ifndef GEOS_USE_ONLY_R_API
#define GEOS_USE_ONLY_R_API
#endif
#include <geos_c.h>
#include <stdarg.h>
#include <stddef.h>

#include "gridsmith/gridsmith.h"

#define GS__ERRMSG_MAX 2048

/* One measured phase of a run: wall time and the peak RSS so far. */
typedef struct gs__phase {
    char name[48];
    double wall_s;
    double peak_rss_mb;
} gs__phase;

#define GS__MAX_PHASES 16

struct gs_ctx {
    int errcode;
    char errmsg[GS__ERRMSG_MAX];
    /* The last message a library (GDAL, GEOS, SQLite) reported, appended
     * to our own message when a call into that library fails. */
    char libmsg[GS__ERRMSG_MAX];
    GEOSContextHandle_t geos;
    gs_progress_fn progress;
    void *progress_user;
    gs_log_fn log;
    void *log_user;
    /* Phase timing, filled by gs__phase_begin/end. */
    gs__phase phases[GS__MAX_PHASES];
    int n_phases;
    double phase_t0;
    /* gs_ctx_set_shards: the prefixes (NUL-terminated digits) and their
     * ','-joined key stored with every row of a PG: output. */
    char shards[GS_MAX_SHARDS][13];
    int n_shards;
    char shard_key[GS_MAX_SHARDS * 13 + 1];
    /* The shard's extent with its halo (gs__io_shard_extent): minx, miny,
     * maxx, maxy in the CRS whose WKT is shard_wkt (owned, CPLFree). */
    int have_shard_ext;
    double shard_ext[4];
    char *shard_wkt;
    /* gs_ctx_set_schema: the schema of PG: outputs. */
    char schema[64];
};

/* 1 when `code` (a community or grid code) belongs to the context's shard,
 * or when no shard is set. NULL belongs to no shard. */
int gs__shard_owns(const gs_ctx *ctx, const char *code);

/* Sets the context's error and returns `code`, so callers can write
 * `return gs__err(ctx, GS_ERR_INPUT, "...")`. */
int gs__err(gs_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like gs__err, then appends the last library message, if any, as
 * ": <message>". */
int gs__err_lib(gs_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the last library message before a call whose failure we report. */
void gs__libmsg_clear(gs_ctx *ctx);

/* Passes a warning to the log hook, if set. */
void gs__warn(gs_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void gs__progress(gs_ctx *ctx, const char *phase, double fraction);

/* Brackets a public call that uses GDAL: routes GDAL's messages into the
 * context for its duration (the handler stack is per thread) and clears the
 * context's previous error and measurements. */
void gs__gdal_enter(gs_ctx *ctx);
void gs__gdal_leave(gs_ctx *ctx);

/* Starts and ends a measured phase; end records wall time and peak RSS. */
void gs__phase_begin(gs_ctx *ctx);
void gs__phase_end(gs_ctx *ctx, const char *name);
/* Records a measurement inside the running phase (which keeps timing),
 * e.g. the wait for the database's write lock within "write". */
void gs__phase_note(gs_ctx *ctx, const char *name, double wall_s);

/* Wall clock in seconds (monotonic). */
double gs__now(void);

/* The current time as ISO 8601 UTC with 'Z' into buf (>= 21 bytes). */
void gs__utc_now(char *buf, size_t size);

/* Peak resident set size of the process so far, in MiB. */
double gs__peak_rss_mb(void);

/* ---- allocation -------------------------------------------------------- */

/* The library allocates through these (never malloc, calloc or realloc
 * directly), so tests can make any allocation fail (after SQLite's
 * sqlite3_malloc and its fault injector). Memory is plain malloc memory:
 * free it with free(). Cheap when no failure is armed: one relaxed atomic
 * load. */
void *gs__malloc(size_t size);
void *gs__calloc(size_t n, size_t size);
void *gs__realloc(void *p, size_t size);

/* Test hook: makes the n-th allocation (1-based) through the functions
 * above, counted from this call, fail, and every later one too when
 * `persistent`; n = 0 counts allocations without failing any; n < 0
 * stops counting (the default). Returns how many allocations were counted
 * since the previous call, and in *out_fired (may be NULL) 1 when an
 * armed failure happened. Process-wide; for one test at a time. */
long gs__alloc_fail_after(long n, int persistent, int *out_fired);

/* ---- growable string buffer with a hard maximum ---------------------- */

typedef struct gs__buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard maximum; 0 means 64 MiB */
    int failed; /* sticky: set when an append failed (memory or maximum) */
} gs__buf;

void gs__buf_init(gs__buf *b, size_t max);
void gs__buf_free(gs__buf *b);
void gs__buf_add(gs__buf *b, const char *s, size_t n);
void gs__buf_puts(gs__buf *b, const char *s);
/* Appends `s` between two `q`s, each `q` inside doubled: an SQL string
 * literal ('it''s') or identifier ("a""b"). */
void gs__buf_quote(gs__buf *b, const char *s, char q);
void gs__buf_printf(gs__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Takes the string out of the buffer (NUL-terminated, caller frees with
 * free()); NULL when the buffer failed. The buffer is left empty. */
char *gs__buf_steal(gs__buf *b);

/* ---- string arena: many small strings freed at once ------------------- */

typedef struct gs__arena_block gs__arena_block;
typedef struct gs__arena {
    gs__arena_block *head;
} gs__arena;

void gs__arena_init(gs__arena *a);
void gs__arena_free(gs__arena *a);
/* Copies `s` (NULL is taken as "") into the arena; NULL when out of
 * memory. */
char *gs__arena_strdup(gs__arena *a, const char *s);

/* strdup that returns NULL for NULL. */
char *gs__strdup(const char *s);

/* Compares two strings for qsort-style ordering, NULL sorting first. */
int gs__strcmp_null(const char *a, const char *b);

/* ---- sorted string index: codes and ids looked up by binary search ---- */

/* A string (borrowed, not NULL) and its input position. */
typedef struct gs__strix {
    const char *s;
    size_t i;
} gs__strix;

/* qsort comparator: by string, then input position, so equal strings keep
 * input order and the first of them comes first. */
int gs__strix_cmp(const void *a, const void *b);

/* The index in v (sorted with gs__strix_cmp) of the first entry whose
 * string is s, or n when there is none. */
size_t gs__strix_find(const gs__strix *v, size_t n, const char *s);

/* The input position (i) of that first entry, or -1. */
long gs__strix_lookup(const gs__strix *v, size_t n, const char *s);

/* Why inih refused the INI file `path` at *line (its count): "syntax
 * error", or that a line is too long for inih, *line then set to that
 * line's real number. */
const char *gs__ini_syntax_error(const char *path, int *line);

/* ---- crash points: test-only ------------------------------------------ */

/* A named step of a writer (out.c, ledger.c) where the crash-safety tests
 * kill the process. When the environment variable GS_TEST_KILL_AT is
 * "POINT" or "POINT:N", the process raises SIGKILL the Nth time (default
 * the first) it passes POINT; otherwise this does nothing, at the cost of
 * one string comparison. Timed kills cannot hit every step reliably on a
 * loaded machine; this does. The points are listed in tests/test_crash.py. */
void gs__crash_point(const char *point);

#endif /* GS_INTERNAL_H */
