/*
 * shard.h - the context's shard and output schema (shard.c).
 *
 * gs_ctx_set_shards and gs_ctx_set_schema are public; every other file
 * reaches the shard through these functions, never the context's fields.
 */
#ifndef GS_SHARD_H
#define GS_SHARD_H

#include "ctx.h"

/* 1 when a shard is set on the context. */
int gs__shard_active(const gs_ctx *ctx);

/* The number of prefixes, and prefix i (0 <= i < count; borrowed). */
int gs__shard_count(const gs_ctx *ctx);
const char *gs__shard_prefix(const gs_ctx *ctx, int i);

/* The prefixes ','-joined ("" without a shard), the key stored with every
 * row of a PG: output; borrowed. */
const char *gs__shard_key(const gs_ctx *ctx);

/* 1 when `code` (a community or grid code) belongs to the context's shard,
 * or when no shard is set. NULL belongs to no shard. */
int gs__shard_owns(const gs_ctx *ctx, const char *code);

/* The OGR attribute filter `"FIELD" LIKE 'P1%' OR ...` selecting the
 * shard's codes in `field`, as a string for a PG: attribute filter or
 * OGR SQL; caller frees. NULL when out of memory. */
char *gs__shard_filter(const gs_ctx *ctx, const char *field);

/* The schema of PG: outputs (gs_ctx_set_schema), or `dflt` when none was
 * set; borrowed. */
const char *gs__ctx_schema(const gs_ctx *ctx, const char *dflt);

/* The shard's extent (minx, miny, maxx, maxy) into out and its CRS as WKT
 * into *out_wkt (borrowed; may be NULL): 1, or 0 when it is not known. */
int gs__shard_extent(const gs_ctx *ctx, double out[4], const char **out_wkt);

/* Forgets the extent. */
void gs__shard_extent_reset(gs_ctx *ctx);

/* Widens the extent by `e` (in the extent's CRS); the first call sets it
 * and its CRS, `wkt`, which the context takes (CPLFree'd; later calls
 * free theirs). */
void gs__shard_extent_add(gs_ctx *ctx, const double e[4], char *wkt);

/* Widens the extent by dx, dy on each side (the halo). */
void gs__shard_extent_grow(gs_ctx *ctx, double dx, double dy);

/* Frees what the shard owns (gs_ctx_destroy). */
void gs__shard_free(gs_ctx *ctx);

#endif /* GS_SHARD_H */
