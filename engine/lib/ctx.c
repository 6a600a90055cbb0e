/*
 * ctx.c - the context: error state, hooks, library handles, measurements.
 *
 * Every public call takes a gs_ctx. Errors are sticky on it (after
 * sqlite3_errmsg): the first failure sets code and message, and the CLI
 * prints gs_ctx_errmsg(). Libraries report into the context rather than to
 * stderr: GEOS through its reentrant message handler, GDAL/OGR (and through
 * it PROJ and SQLite, whose failures GDAL turns into CPLError calls) through
 * an error handler pushed for the duration of each public call, SQLite
 * through its log hook (SQLITE_CONFIG_LOG, set before GDAL starts SQLite),
 * PROJ through the per-context error state of the PROJ contexts crs.c
 * makes for bulk transforms. Their last
 * message is kept in ctx->libmsg and appended to ours when a library call
 * fails, so the user reads both what we were doing and what the library
 * said.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "internal.h"

const char *gs_version(void) { return GS_VERSION_STRING; }

static pthread_once_t kill_once = PTHREAD_ONCE_INIT;
static char kill_point[64];
static long kill_nth;
static atomic_long kill_seen;

/* Reads GS_TEST_KILL_AT once: "POINT" or "POINT:N". */
static void kill_init(void) {
    const char *e = getenv("GS_TEST_KILL_AT");
    const char *colon;
    size_t n;
    if (!e || !*e) return;
    colon = strchr(e, ':');
    n = colon ? (size_t)(colon - e) : strlen(e);
    if (n >= sizeof kill_point) return;
    memcpy(kill_point, e, n);
    kill_point[n] = '\0';
    kill_nth = colon ? strtol(colon + 1, NULL, 10) : 1;
    if (kill_nth < 1) kill_nth = 1;
}

void gs__crash_point(const char *point) {
    pthread_once(&kill_once, kill_init);
    if (!kill_point[0] || strcmp(point, kill_point) != 0) return;
    if (atomic_fetch_add(&kill_seen, 1) + 1 >= kill_nth) raise(SIGKILL);
}

static void geos_message(const char *msg, void *user) {
    gs_ctx *ctx = user;
    snprintf(ctx->libmsg, sizeof ctx->libmsg, "%s", msg);
}

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

/* The context of the public call running on this thread, for the SQLite
 * log hook, which is process-wide and has no user pointer per call. */
static _Thread_local gs_ctx *current_ctx;

/* SQLite's log (through GDAL's GeoPackage driver and the ledger): errors
 * become the context's library message, shown when our call fails.
 * Warnings and notices (automatic indexes, WAL recovery) are SQLite's
 * housekeeping, not the user's business, and are dropped. */
static void sqlite_message(void *unused, int code, const char *msg) {
    gs_ctx *ctx = current_ctx;
    (void)unused;
    if (!ctx || !msg) return;
    if ((code & 0xff) == SQLITE_WARNING || (code & 0xff) == SQLITE_NOTICE)
        return;
    snprintf(ctx->libmsg, sizeof ctx->libmsg, "SQLite: %s", msg);
}

static void gdal_init(void) {
    /* Must precede SQLite's initialisation, which GDAL may trigger. */
    sqlite3_config(SQLITE_CONFIG_LOG, sqlite_message, NULL);
    GDALAllRegister();
    /* Outputs are written with their own temporary-file discipline; GDAL
     * must not keep sidecar .aux.xml files next to inputs either. */
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    /* The CSV driver should report strings as they are in the file. */
    CPLSetConfigOption("OGR_CSV_MAX_LINE_SIZE", "10000000");
}

int gs_ctx_create(gs_ctx **out_ctx) {
    gs_ctx *ctx;
    if (!out_ctx) return GS_ERR_USAGE;
    *out_ctx = NULL;
    ctx = gs__calloc(1, sizeof *ctx);
    if (!ctx) return GS_ERR_NOMEM;
    ctx->geos = GEOS_init_r();
    if (!ctx->geos) {
        free(ctx);
        return GS_ERR_NOMEM;
    }
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
    pthread_once(&gdal_once, gdal_init);
    *out_ctx = ctx;
    return GS_OK;
}

void gs_ctx_destroy(gs_ctx *ctx) {
    if (!ctx) return;
    if (ctx->geos) GEOS_finish_r(ctx->geos);
    CPLFree(ctx->shard_wkt);
    free(ctx);
}

const char *gs_ctx_errmsg(const gs_ctx *ctx) {
    return ctx ? ctx->errmsg : "no context";
}

int gs_ctx_errcode(const gs_ctx *ctx) {
    return ctx ? ctx->errcode : GS_ERR_USAGE;
}

void gs_ctx_set_progress(gs_ctx *ctx, gs_progress_fn fn, void *user) {
    if (!ctx) return;
    ctx->progress = fn;
    ctx->progress_user = user;
}

int gs_ctx_set_shards(gs_ctx *ctx, const char *const *prefixes, size_t n) {
    size_t off = 0;
    if (!ctx) return GS_ERR_USAGE;
    ctx->n_shards = 0;
    ctx->shard_key[0] = '\0';
    if (n > GS_MAX_SHARDS || (n && !prefixes))
        return gs__err(ctx, GS_ERR_USAGE, "at most %d shards", GS_MAX_SHARDS);
    for (size_t i = 0; i < n; i++) {
        const char *p = prefixes[i];
        size_t len = p ? strlen(p) : 0;
        int digits = len >= 1 && len <= 12;
        for (size_t k = 0; digits && k < len; k++)
            if (p[k] < '0' || p[k] > '9') digits = 0;
        if (!digits) {
            ctx->n_shards = 0;
            ctx->shard_key[0] = '\0';
            return gs__err(ctx, GS_ERR_USAGE,
                           "--shard '%s': give 1 to 12 digits of a community "
                           "code (district 6, street 9, community 12)",
                           p ? p : "");
        }
        memcpy(ctx->shards[i], p, len + 1);
        off +=
            (size_t)snprintf(ctx->shard_key + off, sizeof ctx->shard_key - off,
                             "%s%s", i ? "," : "", p);
    }
    ctx->n_shards = (int)n;
    return GS_OK;
}

int gs_ctx_set_schema(gs_ctx *ctx, const char *schema) {
    size_t len;
    if (!ctx) return GS_ERR_USAGE;
    if (!schema) {
        ctx->schema[0] = '\0';
        return GS_OK;
    }
    len = strlen(schema);
    if (len == 0 || len >= sizeof ctx->schema ||
        !((schema[0] >= 'a' && schema[0] <= 'z') || schema[0] == '_') ||
        strspn(schema, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
        return gs__err(ctx, GS_ERR_USAGE,
                       "--schema '%s': give a lower-case SQL name "
                       "([a-z_][a-z0-9_]*, at most 63 characters)",
                       schema);
    memcpy(ctx->schema, schema, len + 1);
    return GS_OK;
}

int gs__shard_owns(const gs_ctx *ctx, const char *code) {
    if (ctx->n_shards == 0) return 1;
    if (!code) return 0;
    for (int i = 0; i < ctx->n_shards; i++)
        if (strncmp(code, ctx->shards[i], strlen(ctx->shards[i])) == 0)
            return 1;
    return 0;
}

void gs_ctx_set_log(gs_ctx *ctx, gs_log_fn fn, void *user) {
    if (!ctx) return;
    ctx->log = fn;
    ctx->log_user = user;
}

/* Makes `s` valid UTF-8 in place, each byte of an invalid sequence
 * becoming '?': messages quote input (a key of a GBK job file, a file
 * name) and are cut at GS__ERRMSG_MAX, maybe inside a character, yet the
 * CLI prints them and --json embeds them. */
static void utf8_sanitise(char *str) {
    unsigned char *s = (unsigned char *)str;
    while (*s) {
        size_t k = 0, j;
        unsigned lo = 0x80, hi = 0xBF;
        if (*s < 0x80) {
            s++;
            continue;
        }
        if (*s >= 0xC2 && *s <= 0xDF) {
            k = 1;
        } else if (*s >= 0xE0 && *s <= 0xEF) {
            k = 2;
            if (*s == 0xE0) lo = 0xA0;
            if (*s == 0xED) hi = 0x9F;
        } else if (*s >= 0xF0 && *s <= 0xF4) {
            k = 3;
            if (*s == 0xF0) lo = 0x90;
            if (*s == 0xF4) hi = 0x8F;
        }
        for (j = 1; k && j <= k; j++)
            if (s[j] < (j == 1 ? lo : 0x80) || s[j] > (j == 1 ? hi : 0xBF))
                break;
        if (k && j > k) {
            s += k + 1;
        } else {
            *s++ = '?';
        }
    }
}

static int verr(gs_ctx *ctx, int code, int with_lib, const char *fmt,
                va_list ap) {
    size_t n;
    /* Sticky: the first failure is the one the user needs to read. */
    if (ctx->errcode != GS_OK) return ctx->errcode;
    ctx->errcode = code;
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    n = strlen(ctx->errmsg);
    if (with_lib && ctx->libmsg[0] && n + 3 < sizeof ctx->errmsg) {
        size_t room = sizeof ctx->errmsg - n - 3, l = strlen(ctx->libmsg);
        if (l > room) l = room;
        memcpy(ctx->errmsg + n, ": ", 2);
        memcpy(ctx->errmsg + n + 2, ctx->libmsg, l);
        ctx->errmsg[n + 2 + l] = '\0';
    }
    utf8_sanitise(ctx->errmsg);
    return code;
}

int gs__err(gs_ctx *ctx, int code, const char *fmt, ...) {
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = verr(ctx, code, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int gs__err_lib(gs_ctx *ctx, int code, const char *fmt, ...) {
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = verr(ctx, code, 1, fmt, ap);
    va_end(ap);
    return rc;
}

void gs__libmsg_clear(gs_ctx *ctx) {
    ctx->libmsg[0] = '\0';
    CPLErrorReset();
}

void gs__warn(gs_ctx *ctx, const char *fmt, ...) {
    char msg[GS__ERRMSG_MAX];
    va_list ap;
    if (!ctx->log) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_sanitise(msg);
    ctx->log(ctx->log_user, GS_LOG_WARNING, msg);
}

void gs__progress(gs_ctx *ctx, const char *phase, double fraction) {
    if (ctx->progress) ctx->progress(ctx->progress_user, phase, fraction);
}

double gs__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void gs__utc_now(char *buf, size_t size) {
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

double gs__peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB. */
}

void gs__phase_begin(gs_ctx *ctx) { ctx->phase_t0 = gs__now(); }

void gs__phase_end(gs_ctx *ctx, const char *name) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = gs__now() - ctx->phase_t0;
    p->peak_rss_mb = gs__peak_rss_mb();
}

void gs__phase_note(gs_ctx *ctx, const char *name, double wall_s) {
    gs__phase *p;
    if (ctx->n_phases >= GS__MAX_PHASES) return;
    p = &ctx->phases[ctx->n_phases++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->wall_s = wall_s;
    p->peak_rss_mb = gs__peak_rss_mb();
}

/* ---- GDAL error routing ------------------------------------------------ */

static void CPL_STDCALL gdal_message(CPLErr cls, CPLErrorNum num,
                                     const char *msg) {
    gs_ctx *ctx = CPLGetErrorHandlerUserData();
    (void)num;
    if (!ctx || !msg) return;
    if (cls >= CE_Failure) {
        snprintf(ctx->libmsg, sizeof ctx->libmsg, "%s", msg);
    } else if (cls == CE_Warning) {
        gs__warn(ctx, "GDAL: %s", msg);
    }
}

void gs__gdal_enter(gs_ctx *ctx) {
    current_ctx = ctx;
    CPLPushErrorHandlerEx(gdal_message, ctx);
    gs__libmsg_clear(ctx);
    ctx->errcode = GS_OK;
    ctx->errmsg[0] = '\0';
    ctx->n_phases = 0;
}

void gs__gdal_leave(gs_ctx *ctx) {
    if (current_ctx == ctx) current_ctx = NULL;
    CPLPopErrorHandler();
}

/* ---- allocation -------------------------------------------------------- */

/* Failure injection: while `alloc_armed`, every allocation takes a number
 * from `alloc_count`; number `alloc_fail_at` fails, and so does every
 * later one when `alloc_persistent`. Atomics, because readers and analyses
 * allocate from worker threads. */
static atomic_int alloc_armed;
static atomic_long alloc_count;
static atomic_long alloc_fail_at;
static atomic_int alloc_persistent;
static atomic_int alloc_fired;

static int alloc_should_fail(void) {
    long k, at;
    if (!atomic_load_explicit(&alloc_armed, memory_order_relaxed)) return 0;
    k = atomic_fetch_add(&alloc_count, 1) + 1;
    at = atomic_load(&alloc_fail_at);
    if (at > 0 && (k == at || (k > at && atomic_load(&alloc_persistent)))) {
        atomic_store(&alloc_fired, 1);
        return 1;
    }
    return 0;
}

long gs__alloc_fail_after(long n, int persistent, int *out_fired) {
    long counted;
    atomic_store(&alloc_armed, 0);
    counted = atomic_exchange(&alloc_count, 0);
    if (out_fired) *out_fired = atomic_load(&alloc_fired);
    atomic_store(&alloc_fired, 0);
    atomic_store(&alloc_fail_at, n > 0 ? n : -1);
    atomic_store(&alloc_persistent, persistent);
    if (n >= 0) atomic_store(&alloc_armed, 1);
    return counted;
}

void *gs__malloc(size_t size) {
    return alloc_should_fail() ? NULL : malloc(size);
}

void *gs__calloc(size_t n, size_t size) {
    return alloc_should_fail() ? NULL : calloc(n, size);
}

void *gs__realloc(void *p, size_t size) {
    return alloc_should_fail() ? NULL : realloc(p, size);
}

/* ---- buffers ----------------------------------------------------------- */

void gs__buf_init(gs__buf *b, size_t max) {
    memset(b, 0, sizeof *b);
    b->max = max ? max : (size_t)64 << 20;
}

void gs__buf_free(gs__buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

void gs__buf_add(gs__buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1) cap *= 2;
        if (cap > b->max) {
            if (b->len + n + 1 > b->max) {
                b->failed = 1;
                return;
            }
            cap = b->max;
        }
        p = gs__realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gs__buf_quote(gs__buf *b, const char *s, char q) {
    gs__buf_add(b, &q, 1);
    for (const char *p; (p = strchr(s, q)) != NULL; s = p + 1) {
        gs__buf_add(b, s, (size_t)(p - s) + 1);
        gs__buf_add(b, &q, 1);
    }
    gs__buf_puts(b, s);
    gs__buf_add(b, &q, 1);
}

void gs__buf_puts(gs__buf *b, const char *s) {
    if (s) gs__buf_add(b, s, strlen(s));
}

void gs__buf_printf(gs__buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        gs__buf_add(b, small, (size_t)n);
    } else {
        char *big = gs__malloc((size_t)n + 1);
        if (!big) {
            b->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        gs__buf_add(b, big, (size_t)n);
        free(big);
    }
}

char *gs__buf_steal(gs__buf *b) {
    char *s;
    if (b->failed) {
        gs__buf_free(b);
        return NULL;
    }
    if (!b->data) {
        s = gs__calloc(1, 1);
    } else {
        s = b->data;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- arena ------------------------------------------------------------- */

#define ARENA_BLOCK 65536

struct gs__arena_block {
    gs__arena_block *next;
    size_t used;
    size_t size;
    char data[];
};

void gs__arena_init(gs__arena *a) { a->head = NULL; }

void gs__arena_free(gs__arena *a) {
    gs__arena_block *b = a->head;
    while (b) {
        gs__arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

char *gs__arena_strdup(gs__arena *a, const char *s) {
    size_t n;
    char *p;
    if (!s) s = "";
    n = strlen(s) + 1;
    if (!a->head || a->head->size - a->head->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        gs__arena_block *b = gs__malloc(sizeof *b + size);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = size;
        a->head = b;
    }
    p = a->head->data + a->head->used;
    memcpy(p, s, n);
    a->head->used += n;
    return p;
}

char *gs__strdup(const char *s) {
    char *p;
    size_t n;
    if (!s) return NULL;
    n = strlen(s) + 1;
    p = gs__malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

int gs__strcmp_null(const char *a, const char *b) {
    if (!a) return b ? -1 : 0;
    if (!b) return 1;
    return strcmp(a, b);
}

int gs__strix_cmp(const void *a, const void *b) {
    const gs__strix *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

size_t gs__strix_find(const gs__strix *v, size_t n, const char *s) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].s, s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(v[lo].s, s) ? lo : n;
}

long gs__strix_lookup(const gs__strix *v, size_t n, const char *s) {
    size_t k = gs__strix_find(v, n, s);
    return k < n ? (long)v[k].i : -1;
}
