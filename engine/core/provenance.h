/*
 * provenance.h - the inputs a run read, for its run metadata
 * (provenance.c).
 */
#ifndef GS_PROVENANCE_H
#define GS_PROVENANCE_H

#include "ctx.h"

/* One input file as read: its path, layer, feature count and SHA-256, for
 * the run metadata. */
typedef struct gs__input_info {
    char role[24];
    char *path;
    char *layer;
    long features;
    char sha256[65]; /* of all the dataset's files, in order */
    /* The coordinate check (geo/bulk.h), when the reader made one: the
     * bulk's box in the layer's CRS, the margin, and how many features
     * (or rows) had a coordinate far outside it. */
    int checked;
    int geographic;
    double bulk[4]; /* x0, y0, x1, y1 */
    double margin_m;
    long far;
} gs__input_info;

typedef struct gs__inputs {
    gs__input_info items[16];
    int n;
} gs__inputs;

/* The latest input recorded for `role`, or NULL. */
gs__input_info *gs__inputs_find(gs__inputs *info, const char *role);

void gs__inputs_free(gs__inputs *in);

/* SHA-256 of the concatenated bytes of the NULL-terminated `paths`
 * (unreadable ones, such as a PG: source, add nothing), as 64 hex digits.
 * GS_ERR_NOMEM. */
int gs__sha256_paths(gs_ctx *ctx, const char *const *paths, char out[65]);

/* Records a plain input file (read by another reader) with its SHA-256. */
int gs__inputs_note_file(gs_ctx *ctx, gs__inputs *info, const char *role,
                         const char *path, const char *layer, long features);

/* 1 when `a` and `b` name the same existing file (an output that is also
 * an input would destroy it). */
int gs__same_file(const char *a, const char *b);

#endif /* GS_PROVENANCE_H */
