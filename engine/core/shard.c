/*
 * shard.c - the shard a context is restricted to, and the PostgreSQL
 * schema of its outputs.
 *
 * A shard is a set of community code prefixes (gs_ctx_set_shards). Every
 * layer asks the same questions of it: is there one, does it own this
 * code, what is its key (stored with every row of a PG: output), which
 * SQL filter selects its rows, and what is its extent with the halo (set
 * by the readers (engine/io) and used as every later read's spatial filter).
 * The state lives in the context; only this file touches it.
 */
#define _POSIX_C_SOURCE 200809L
#include "shard.h"

#include <cpl_conv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gs_ctx_set_shards(gs_ctx *ctx, const char *const *prefixes, size_t n) {
    size_t off = 0;
    if (!ctx) return GS_ERR_USAGE;
    ctx->shard.n = 0;
    ctx->shard.key[0] = '\0';
    if (n > GS_MAX_SHARDS || (n && !prefixes))
        return gs__err(ctx, GS_ERR_USAGE, "at most %d shards", GS_MAX_SHARDS);
    for (size_t i = 0; i < n; i++) {
        const char *p = prefixes[i];
        size_t len = p ? strlen(p) : 0;
        int digits = len >= 1 && len <= 12;
        for (size_t k = 0; digits && k < len; k++)
            if (p[k] < '0' || p[k] > '9') digits = 0;
        if (!digits) {
            ctx->shard.n = 0;
            ctx->shard.key[0] = '\0';
            return gs__err(ctx, GS_ERR_USAGE,
                           "{shard} '%s': give 1 to 12 digits of a community "
                           "code (district 6, street 9, community 12)",
                           p ? p : "");
        }
        memcpy(ctx->shard.prefixes[i], p, len + 1);
        off +=
            (size_t)snprintf(ctx->shard.key + off, sizeof ctx->shard.key - off,
                             "%s%s", i ? "," : "", p);
    }
    ctx->shard.n = (int)n;
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
                       "{schema} '%s': give a lower-case SQL name "
                       "([a-z_][a-z0-9_]*, at most 63 characters)",
                       schema);
    memcpy(ctx->schema, schema, len + 1);
    return GS_OK;
}

int gs__shard_owns(const gs_ctx *ctx, const char *code) {
    if (ctx->shard.n == 0) return 1;
    if (!code) return 0;
    for (int i = 0; i < ctx->shard.n; i++)
        if (strncmp(code, ctx->shard.prefixes[i],
                    strlen(ctx->shard.prefixes[i])) == 0)
            return 1;
    return 0;
}

char *gs__shard_filter(const gs_ctx *ctx, const char *field) {
    size_t n = 32 + (size_t)ctx->shard.n * (strlen(field) + 32), off = 0;
    char *q = malloc(n);
    if (!q) return NULL;
    q[0] = '\0';
    for (int i = 0; i < ctx->shard.n; i++)
        off += (size_t)snprintf(q + off, n - off, "%s\"%s\" LIKE '%s%%'",
                                i ? " OR " : "", field, ctx->shard.prefixes[i]);
    return q;
}

int gs__shard_active(const gs_ctx *ctx) { return ctx->shard.n > 0; }

int gs__shard_count(const gs_ctx *ctx) { return ctx->shard.n; }

const char *gs__shard_prefix(const gs_ctx *ctx, int i) {
    return ctx->shard.prefixes[i];
}

const char *gs__shard_key(const gs_ctx *ctx) { return ctx->shard.key; }

const char *gs__ctx_schema(const gs_ctx *ctx, const char *dflt) {
    return ctx->schema[0] ? ctx->schema : dflt;
}

int gs__shard_extent(const gs_ctx *ctx, double out[4], const char **out_wkt) {
    if (!ctx->shard.have_extent) return 0;
    memcpy(out, ctx->shard.extent, sizeof ctx->shard.extent);
    if (out_wkt) *out_wkt = ctx->shard.extent_wkt;
    return 1;
}

void gs__shard_extent_reset(gs_ctx *ctx) {
    ctx->shard.have_extent = 0;
    CPLFree(ctx->shard.extent_wkt);
    ctx->shard.extent_wkt = NULL;
}

void gs__shard_extent_add(gs_ctx *ctx, const double e[4], char *wkt) {
    gs__shard *s = &ctx->shard;
    if (!s->have_extent) {
        s->extent_wkt = wkt;
        memcpy(s->extent, e, sizeof s->extent);
        s->have_extent = 1;
        return;
    }
    CPLFree(wkt);
    if (e[0] < s->extent[0]) s->extent[0] = e[0];
    if (e[1] < s->extent[1]) s->extent[1] = e[1];
    if (e[2] > s->extent[2]) s->extent[2] = e[2];
    if (e[3] > s->extent[3]) s->extent[3] = e[3];
}

void gs__shard_extent_grow(gs_ctx *ctx, double dx, double dy) {
    ctx->shard.extent[0] -= dx;
    ctx->shard.extent[1] -= dy;
    ctx->shard.extent[2] += dx;
    ctx->shard.extent[3] += dy;
}

void gs__shard_free(gs_ctx *ctx) { gs__shard_extent_reset(ctx); }
