/*
 * memo.c - a job's memo of the inputs its steps read: each table read
 * once per job.
 *
 * The weekly job (job.c) runs validate, patrol and hotspots one after the
 * other, each through its public entry point, and each reads the same
 * households: a million points three times, from a file or, slower, from
 * PostGIS. With a memo on the context (gs__io_memo_begin), the first
 * step's read is kept and the later steps take a copy of it instead of
 * reading again. A copy, not the read itself: each step owns its model
 * and frees it. What the read told the user is kept with it and told
 * again, so a step that takes the copy reports exactly what it would have
 * read: the rows left out ({on_error}=skip, far points), the warnings,
 * the input's entry in the run's metadata (path, layer, count, SHA-256,
 * coordinate bulk).
 *
 * A read is the same read when everything that shapes its result is the
 * same: the path, the input options (layers, fields, encoding, assumed
 * CRS, on_error), the metric CRS the points are projected into and the
 * shard's extent. Anything else is read afresh. Strings are copied into
 * the memo's own arena, which lives until gs__io_memo_end: a step's
 * households point into it, so the memo outlives every step of the job.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo.h"
#include "shard.h"

/* A warning the read gave. */
typedef struct memo_warn {
    int level;
    char *msg;
} memo_warn;

/* One read kept: its key and what it gave. */
typedef struct memo_entry {
    char role[24];
    char *key;
    gs__household *hh;
    size_t n_hh;
    gs__skipped *skipped;
    size_t n_skipped;
    gs__input_info items[4];
    int n_items;
    memo_warn *warn;
    size_t n_warn;
} memo_entry;

/* Few roles are memoised and a job reads each once. */
#define MEMO_MAX 8

struct gs__io_memo {
    gs__arena strings;
    memo_entry e[MEMO_MAX];
    int n;
};

int gs__io_memo_begin(gs_ctx *ctx) {
    if (ctx->io_memo) return GS_OK;
    ctx->io_memo = gs__calloc(1, sizeof *ctx->io_memo);
    if (!ctx->io_memo) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    gs__arena_init(&ctx->io_memo->strings);
    return GS_OK;
}

static void entry_free(memo_entry *e) {
    free(e->key);
    free(e->hh);
    free(e->skipped);
    for (int i = 0; i < e->n_items; i++) {
        free(e->items[i].path);
        free(e->items[i].layer);
    }
    for (size_t i = 0; i < e->n_warn; i++) free(e->warn[i].msg);
    free(e->warn);
    memset(e, 0, sizeof *e);
}

void gs__io_memo_end(gs_ctx *ctx) {
    gs__io_memo *mm = ctx ? ctx->io_memo : NULL;
    if (!mm) return;
    for (int i = 0; i < mm->n; i++) entry_free(&mm->e[i]);
    gs__arena_free(&mm->strings);
    free(mm);
    ctx->io_memo = NULL;
}

/* The key of a read: every input that shapes its result, as one string
 * (fields separated by a unit separator no option holds). NULL without
 * memory. */
static char *make_key(gs_ctx *ctx, const char *role, const char *path,
                      const gs_input_opts *o, const gs__crsinfo *crs) {
    gs__buf b;
    double ext[4];
    const char *ewkt = NULL;
    char *wkt = NULL;
    gs__buf_init(&b, 0);
    gs__buf_printf(&b, "%s\x1f%s\x1f", role, path);
    if (o) {
        for (size_t i = 0; i < o->n_layers; i++)
            gs__buf_printf(&b, "L%s\x1f", o->layers[i]);
        for (size_t i = 0; i < o->n_fields; i++)
            gs__buf_printf(&b, "F%s\x1f", o->fields[i]);
        gs__buf_printf(&b,
                       "E%s\x1f"
                       "A%s\x1f"
                       "O%d\x1f",
                       o->encoding ? o->encoding : "",
                       o->assume_crs ? o->assume_crs : "", o->on_error);
    }
    if (crs && crs->metric && OSRExportToWkt(crs->metric, &wkt) == OGRERR_NONE)
        gs__buf_printf(&b, "M%s\x1f", wkt);
    CPLFree(wkt);
    if (gs__shard_extent(ctx, ext, &ewkt))
        gs__buf_printf(&b, "S%.17g %.17g %.17g %.17g %s\x1f", ext[0], ext[1],
                       ext[2], ext[3], ewkt ? ewkt : "");
    if (b.failed) {
        gs__buf_free(&b);
        return NULL;
    }
    return gs__buf_steal(&b);
}

/* Copies a kept input entry (path and layer duplicated). */
static int item_copy(gs__input_info *dst, const gs__input_info *src) {
    *dst = *src;
    dst->path = src->path ? gs__strdup(src->path) : NULL;
    dst->layer = src->layer ? gs__strdup(src->layer) : NULL;
    if ((src->path && !dst->path) || (src->layer && !dst->layer)) {
        free(dst->path);
        free(dst->layer);
        dst->path = dst->layer = NULL;
        return GS_ERR_NOMEM;
    }
    return GS_OK;
}

int gs__io_memo_take(gs_ctx *ctx, const char *role, const char *path,
                     const gs_input_opts *opts, const gs__crsinfo *crs,
                     gs__model *m, gs__inputs *info, int *out_hit) {
    gs__io_memo *mm = ctx->io_memo;
    memo_entry *e = NULL;
    char *key;
    *out_hit = 0;
    if (!mm) return GS_OK;
    key = make_key(ctx, role, path, opts, crs);
    if (!key) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < mm->n && !e; i++)
        if (!strcmp(mm->e[i].key, key)) e = &mm->e[i];
    free(key);
    if (!e) return GS_OK;
    /* The rows left out, the input's entry, the warnings: as read. */
    for (size_t i = 0; i < e->n_skipped; i++) {
        const gs__skipped *s = &e->skipped[i];
        if (gs__model_skip(m, s->role, s->reason, s->origin, s->x, s->y))
            return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    if (info)
        for (int i = 0; i < e->n_items; i++) {
            int full =
                info->n >= (int)(sizeof info->items / sizeof info->items[0]);
            if (full) break;
            if (item_copy(&info->items[info->n], &e->items[i]))
                return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            info->n++;
        }
    for (size_t i = 0; i < e->n_warn; i++)
        if (ctx->log) ctx->log(ctx->log_user, e->warn[i].level, e->warn[i].msg);
    if (!strcmp(role, "households")) {
        m->households = gs__malloc((e->n_hh ? e->n_hh : 1) * sizeof *e->hh);
        if (!m->households) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        if (e->n_hh) memcpy(m->households, e->hh, e->n_hh * sizeof *e->hh);
        m->n_households = e->n_hh;
    }
    *out_hit = 1;
    return GS_OK;
}

/* The log hook while a read is recorded: keeps each message, then passes
 * it on. A message that cannot be kept is still passed on; the memo then
 * keeps nothing of the read (rec->failed). */
static void rec_log(void *user, int level, const char *msg) {
    gs__memo_rec *r = user;
    if (!r->failed) {
        memo_warn *nv = gs__realloc(r->warn, (r->n_warn + 1) * sizeof *nv);
        char *copy = gs__strdup(msg);
        if (nv) r->warn = nv;
        if (!nv || !copy) {
            free(copy);
            r->failed = 1;
        } else {
            r->warn[r->n_warn].level = level;
            r->warn[r->n_warn++].msg = copy;
        }
    }
    if (r->log) r->log(r->log_user, level, msg);
}

void gs__io_memo_rec_begin(gs_ctx *ctx, gs__memo_rec *r, const gs__model *m,
                           const gs__inputs *info) {
    memset(r, 0, sizeof *r);
    if (!ctx->io_memo) return;
    r->on = 1;
    r->skipped0 = m->n_skipped;
    r->items0 = info ? info->n : 0;
    r->log = ctx->log;
    r->log_user = ctx->log_user;
    /* Only while a log hook listens are there warnings to keep. */
    if (ctx->log) {
        ctx->log = rec_log;
        ctx->log_user = r;
    }
}

/* Gives the context its log hook back. */
static void rec_stop(gs_ctx *ctx, gs__memo_rec *r) {
    if (ctx->log == rec_log && ctx->log_user == r) {
        ctx->log = r->log;
        ctx->log_user = r->log_user;
    }
}

void gs__io_memo_rec_end(gs_ctx *ctx, gs__memo_rec *r, int rc, const char *role,
                         const char *path, const gs_input_opts *opts,
                         const gs__crsinfo *crs, const gs__model *m,
                         const gs__inputs *info) {
    gs__io_memo *mm = ctx->io_memo;
    memo_entry *e;
    int ok = 1;
    if (!r->on) return;
    rec_stop(ctx, r);
    /* A failed read is not kept (the job stops); nor one the memo has
     * no room or memory for: the next step reads again. */
    if (rc || r->failed || !mm || mm->n >= MEMO_MAX) goto drop;
    e = &mm->e[mm->n];
    memset(e, 0, sizeof *e);
    snprintf(e->role, sizeof e->role, "%s", role);
    e->key = make_key(ctx, role, path, opts, crs);
    ok = e->key != NULL;
    if (ok && !strcmp(role, "households")) {
        e->n_hh = m->n_households;
        e->hh = gs__malloc((e->n_hh ? e->n_hh : 1) * sizeof *e->hh);
        ok = e->hh != NULL;
        for (size_t i = 0; ok && i < e->n_hh; i++) {
            gs__household *h = &e->hh[i];
            *h = m->households[i];
            h->id = gs__arena_strdup(&mm->strings, h->id ? h->id : "");
            h->building_id = gs__arena_strdup(
                &mm->strings, h->building_id ? h->building_id : "");
            h->care_type = gs__arena_strdup(&mm->strings,
                                            h->care_type ? h->care_type : "");
            ok = h->id && h->building_id && h->care_type;
        }
    }
    if (ok && m->n_skipped > r->skipped0) {
        e->n_skipped = m->n_skipped - r->skipped0;
        e->skipped = gs__malloc(e->n_skipped * sizeof *e->skipped);
        ok = e->skipped != NULL;
        for (size_t i = 0; ok && i < e->n_skipped; i++) {
            gs__skipped *s = &e->skipped[i];
            *s = m->skipped[r->skipped0 + i];
            s->role = gs__arena_strdup(&mm->strings, s->role);
            s->reason = gs__arena_strdup(&mm->strings, s->reason);
            ok = s->role && s->reason;
        }
    }
    for (int i = r->items0; ok && info && i < info->n; i++) {
        if (e->n_items >= (int)(sizeof e->items / sizeof e->items[0])) {
            ok = 0;
            break;
        }
        ok = item_copy(&e->items[e->n_items], &info->items[i]) == GS_OK;
        if (ok) e->n_items++;
    }
    if (!ok) {
        /* Without memory for the copy, later steps read again. */
        entry_free(e);
        goto drop;
    }
    e->warn = r->warn;
    e->n_warn = r->n_warn;
    r->warn = NULL;
    r->n_warn = 0;
    mm->n++;
drop:
    for (size_t i = 0; i < r->n_warn; i++) free(r->warn[i].msg);
    free(r->warn);
    r->warn = NULL;
    r->n_warn = 0;
    r->on = 0;
}
