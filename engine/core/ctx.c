/*
 * ctx.c - the context: its life, hooks, and the routing of the libraries'
 * messages into it.
 *
 * Every public call takes a gs_ctx; its error state is error.c's.
 * Libraries report into the context rather than to
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

#include "ctx.h"
#include "shard.h"

const char *gs_version(void) { return GS_VERSION_STRING; }

const char *gs_err_name(int code) {
    switch (code) {
        case GS_OK: return "ok";
        case GS_ERR_USAGE: return "usage";
        case GS_ERR_CONFIG: return "config";
        case GS_ERR_CANCELLED: return "cancelled";
        case GS_ERR_INPUT: return "input";
        case GS_ERR_INPUT_OPEN: return "input_open";
        case GS_ERR_INPUT_FIELD: return "input_field";
        case GS_ERR_INPUT_CRS: return "input_crs";
        case GS_ERR_INPUT_GEOMETRY: return "input_geometry";
        case GS_ERR_INPUT_ENCODING: return "input_encoding";
        case GS_ERR_INPUT_EMPTY: return "input_empty";
        case GS_ERR_INPUT_VALUE: return "input_value";
        case GS_ERR_IO: return "io";
        case GS_ERR_NOMEM: return "nomem";
        case GS_ERR_INTERNAL: return "internal";
        default: return "unknown";
    }
}

int gs_set_config_option(const char *key, const char *value) {
    if (!key || !*key || strpbrk(key, "= \t\r\n")) return GS_ERR_USAGE;
    CPLSetConfigOption(key, value);
    return GS_OK;
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
    gs__shard_free(ctx);
    for (int i = 0; i < ctx->n_sha_cache; i++) free(ctx->sha_cache[i].key);
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
    ctx->progress_cancel = NULL;
    ctx->progress_user = user;
    ctx->cancelled = 0;
}

void gs_ctx_set_progress_cancel(gs_ctx *ctx, gs_progress_cancel_fn fn,
                                void *user) {
    if (!ctx) return;
    ctx->progress = NULL;
    ctx->progress_cancel = fn;
    ctx->progress_user = user;
    ctx->cancelled = 0;
}

int gs__ctx_create_worker(const gs_ctx *parent, gs_ctx **out_ctx) {
    int rc = gs_ctx_create(out_ctx);
    if (rc) return rc;
    (*out_ctx)->log = parent->log;
    (*out_ctx)->log_user = parent->log_user;
    (*out_ctx)->optname = parent->optname;
    (*out_ctx)->optname_user = parent->optname_user;
    return GS_OK;
}

void gs_ctx_set_optname(gs_ctx *ctx, gs_optname_fn fn, void *user) {
    if (!ctx) return;
    ctx->optname = fn;
    ctx->optname_user = user;
}

void gs_ctx_set_log(gs_ctx *ctx, gs_log_fn fn, void *user) {
    if (!ctx) return;
    ctx->log = fn;
    ctx->log_user = user;
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
    ctx->n_steps = ctx->phase_step0 = 0;
}

void gs__gdal_leave(gs_ctx *ctx) {
    if (current_ctx == ctx) current_ctx = NULL;
    CPLPopErrorHandler();
}
