/*
 * error.c - the context's sticky error, warnings and progress.
 *
 * Errors are sticky on the context (after sqlite3_errmsg): the first
 * failure sets code and message, and the CLI prints gs_ctx_errmsg(). The
 * last message a library reported (ctx->libmsg, filled by the handlers in
 * ctx.c) is appended by gs__err_lib, so the user reads both what we were
 * doing and what the library said. Messages are made valid UTF-8, since
 * they quote file contents.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "redact.h"

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

/* Copies the format `fmt` into out[size] with each {NAME} ([a-z_]+ in
 * braces) replaced by the option's shown name (the context's hook, or
 * NAME); a '%' in a shown name is doubled, so the result stays a format
 * with the same arguments. Only format strings are rendered, never the
 * values formatted into them, so braces in user data are left alone. */
const char *gs__optfmt(const gs_ctx *ctx, const char *fmt, char *out,
                       size_t size) {
    size_t o = 0;
    if (!strchr(fmt, '{')) return fmt;
    for (const char *p = fmt; *p && o + 1 < size; p++) {
        size_t n = 0;
        if (*p == '{')
            while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_') n++;
        if (n && n < 64 && p[1 + n] == '}') {
            char name[64];
            const char *shown = NULL;
            memcpy(name, p + 1, n);
            name[n] = '\0';
            if (ctx->optname) shown = ctx->optname(ctx->optname_user, name);
            if (!shown) shown = name;
            for (; *shown && o + 2 < size; shown++) {
                if (*shown == '%') out[o++] = '%';
                out[o++] = *shown;
            }
            p += n + 1;
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
    return out;
}

static int verr(gs_ctx *ctx, int code, int with_lib, const char *fmt,
                va_list ap) {
    char rendered[GS__ERRMSG_MAX];
    size_t n;
    /* Sticky: the first failure is the one the user needs to read. */
    if (ctx->errcode != GS_OK) return ctx->errcode;
    ctx->errcode = code;
    fmt = gs__optfmt(ctx, fmt, rendered, sizeof rendered);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    n = strlen(ctx->errmsg);
    if (with_lib && ctx->libmsg[0] && n + 3 < sizeof ctx->errmsg) {
        size_t room = sizeof ctx->errmsg - n - 3, l = strlen(ctx->libmsg);
        if (l > room) l = room;
        memcpy(ctx->errmsg + n, ": ", 2);
        memcpy(ctx->errmsg + n + 2, ctx->libmsg, l);
        ctx->errmsg[n + 2 + l] = '\0';
    }
    /* Messages name inputs and outputs, which may be connection strings
     * with a password. */
    gs__redact_buf(ctx->errmsg, sizeof ctx->errmsg);
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
    char msg[GS__ERRMSG_MAX], rendered[GS__ERRMSG_MAX];
    va_list ap;
    if (!ctx->log) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, gs__optfmt(ctx, fmt, rendered, sizeof rendered),
              ap);
    va_end(ap);
    gs__redact_buf(msg, sizeof msg);
    utf8_sanitise(msg);
    ctx->log(ctx->log_user, GS_LOG_WARNING, msg);
}

int gs__progress(gs_ctx *ctx, const char *phase, double fraction) {
    if (ctx->cancelled) return 1;
    if (ctx->progress_cancel) {
        if (ctx->progress_cancel(ctx->progress_user, phase, fraction) !=
            GS_PROGRESS_CONTINUE)
            ctx->cancelled = 1;
    } else if (ctx->progress) {
        ctx->progress(ctx->progress_user, phase, fraction);
    }
    return ctx->cancelled;
}

int gs__check_cancel(gs_ctx *ctx) {
    if (!ctx->cancelled) return GS_OK;
    return gs__err(ctx, GS_ERR_CANCELLED,
                   "cancelled: the progress hook asked the run to stop; "
                   "earlier outputs are untouched");
}
