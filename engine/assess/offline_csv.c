/*
 * offline_csv.c - the offline scores and service visits CSVs of assess.
 *
 * Both files are small and hand-made: member_id,item,score (scores of the
 * items the engine cannot measure, percent of the item's points) and
 * member_id,household_id,time,kind (visits recorded by the members).
 * Columns are found by name in the header; values are trimmed and recoded
 * from {encoding} to UTF-8. A bad row stops the run with its file, line
 * and field (or, with {on_error}=skip, is left out and listed in
 * bad_rows), because a mistyped score silently changes a tier.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "run_assess.h"
#include "csvread.h"
#include "rules.h"

/* Records a bad row (reason formatted into the arena). */
static int bad_row(gs__arun *R, const char *source, const char *path,
                   uint32_t line, const char *member_id, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int bad_row(gs__arun *R, const char *source, const char *path,
                   uint32_t line, const char *member_id, const char *field,
                   const char *fmt, ...) {
    char reason[300];
    va_list ap;
    gs__abadrow *b;
    int rc =
        gs__arun_grow(R, (void **)&R->bad, &R->cap_bad, R->n_bad, sizeof *b);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    b = &R->bad[R->n_bad];
    b->source = source;
    b->path = path;
    b->line = line;
    b->member_id = gs__arun_keep(R, member_id ? member_id : "");
    b->field = field;
    b->reason = gs__arun_keep(R, reason);
    if (!b->member_id || !b->reason) return gs__arun_nomem(R);
    R->n_bad++;
    return GS_OK;
}

#define MAX_COLS 4

/* A CSV of this command: its wanted columns, found by name in the header,
 * and what takes each row's values (trimmed UTF-8, recoded from
 * --encoding). */
typedef struct table_spec {
    const char *source, *hint;
    const char *cols[MAX_COLS]; /* wanted; NULL-terminated if fewer */
    unsigned optional;          /* bitmask over cols */
    int (*row)(gs__arun *R, uint32_t line, const char *const *val);
} table_spec;

/* One read of a table_spec. */
typedef struct table {
    gs__arun *R;
    const table_spec *s;
    const char *path;
    int idx[MAX_COLS];
    size_t ncols;
    int have_header;
} table;

static char *trim(char *p) {
    char *e;
    while (*p == ' ' || *p == '\t') p++;
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    return p;
}

static int table_header(gs_ctx *ctx, table *t, const gs__csvrow *row) {
    char names[400] = "";
    size_t off = 0;
    t->have_header = 1;
    t->ncols = row->n;
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++) {
        t->idx[c] = -1;
        for (size_t i = 0; i < row->n && t->idx[c] < 0; i++)
            if (!strcasecmp(trim(row->f[i]), t->s->cols[c])) t->idx[c] = (int)i;
    }
    for (size_t i = 0; i < row->n && off + 2 < sizeof names; i++) {
        int w = snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         row->f[i]);
        if (w > 0) off += (size_t)w;
    }
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++)
        if (t->idx[c] < 0 && !(t->s->optional & (1u << c)))
            return gs__err(ctx, GS_ERR_INPUT_FIELD,
                           "%s (%s): missing column '%s' (columns: %s); %s",
                           t->path, t->s->source, t->s->cols[c], names,
                           t->s->hint);
    return GS_OK;
}

static int table_row(gs_ctx *ctx, void *user, const gs__csvrow *row) {
    table *t = user;
    gs__arun *R = t->R;
    const char *val[MAX_COLS] = {"", "", "", ""};
    if (!t->have_header) return table_header(ctx, t, row);
    if (row->n != t->ncols)
        return bad_row(R, t->s->source, t->path, row->line, NULL, "",
                       "%zu field%s where the header has %zu", row->n,
                       row->n == 1 ? "" : "s", t->ncols);
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++) {
        char *raw;
        if (t->idx[c] < 0) continue;
        raw = trim(row->f[t->idx[c]]);
        if (R->in->encoding && *raw) {
            char *u = CPLRecode(raw, R->in->encoding, CPL_ENC_UTF8);
            val[c] = u ? gs__arun_keep(R, u) : NULL;
            CPLFree(u);
        } else if (!CPLIsUTF8(raw, -1)) {
            return bad_row(R, t->s->source, t->path, row->line, NULL,
                           t->s->cols[c],
                           "not UTF-8 text (give the file's encoding, e.g. "
                           "GB18030)");
        } else {
            val[c] = gs__arun_keep(R, raw);
        }
        if (!val[c]) return gs__arun_nomem(R);
    }
    return t->s->row(R, row->line, val);
}

/* Reads the CSV at `path` as `spec` says; an empty file is an error naming
 * it, and so are bad rows unless --on-error=skip (check_bad). */
static int check_bad(gs__arun *R, const char *source);

static int table_read(gs__arun *R, const table_spec *spec, const char *path) {
    table t;
    int rc;
    memset(&t, 0, sizeof t);
    t.R = R;
    t.s = spec;
    t.path = path;
    rc = gs__csv_read(R->ctx, path, table_row, &t);
    if (rc == GS_ERR_INPUT_EMPTY || (!rc && !t.have_header))
        return gs__err(R->ctx, GS_ERR_INPUT_EMPTY, "%s (%s): empty file; %s",
                       path, spec->source, spec->hint);
    return rc ? rc : check_bad(R, spec->source);
}

static int offline_row(gs__arun *R, uint32_t line, const char *const *v) {
    const char *path = R->o->offline;
    char *end;
    double x;
    long mi;
    int k;
    if (!v[0][0])
        return bad_row(R, "offline", path, line, v[0], "member_id", "empty");
    k = strcmp(v[1], "training") ? gs__assess_item_find(v[1])
                                 : GS_ASSESS_SPECIAL;
    if (k < 0)
        return bad_row(R, "offline", path, line, v[0], "item",
                       "unknown item '%.40s' (known: information, visits, "
                       "events, special, training, awareness, satisfaction)",
                       v[1]);
    if (k == GS_ASSESS_PATROL)
        return bad_row(R, "offline", path, line, v[0], "item",
                       "patrol is scored from the ledger, not offline");
    errno = 0;
    x = strtod(v[2], &end);
    if (!v[2][0] || *end || errno || !isfinite(x) || x < 0 || x > 100)
        return bad_row(R, "offline", path, line, v[0], "score",
                       "'%.40s' is not a number from 0 to 100 (percent of "
                       "the item's points)",
                       v[2]);
    R->offline_rows++;
    mi = gs__arun_find_member(R, v[0]);
    if (mi < 0) {
        if (!R->offline_unknown++)
            snprintf(R->unknown_example, sizeof R->unknown_example,
                     "%s (line %u)", v[0], line);
        return GS_OK;
    }
    R->m[mi].off_sum[k] += x;
    R->m[mi].off_n[k]++;
    return GS_OK;
}

static int visit_row(gs__arun *R, uint32_t line, const char *const *v) {
    const char *path = R->o->visits;
    char why[96];
    int64_t t;
    gs__avisit *a;
    int rc;
    if (!v[0][0])
        return bad_row(R, "visits", path, line, v[0], "member_id", "empty");
    if (!v[1][0])
        return bad_row(R, "visits", path, line, v[0], "household_id", "empty");
    if (gs__time_parse(R->tz, v[2], &t, why, sizeof why) != GS_OK)
        return bad_row(R, "visits", path, line, v[0], "time",
                       "'%.40s' is not a time (%s)", v[2], why);
    if (t < R->t0 || t >= R->t1) {
        R->visits_outside++;
        return GS_OK;
    }
    if ((rc = gs__arun_grow(R, (void **)&R->v, &R->cap_v, R->n_v, sizeof *a)))
        return rc;
    a = &R->v[R->n_v++];
    memset(a, 0, sizeof *a);
    a->member_id = v[0];
    a->household_id = v[1];
    a->kind = v[3];
    a->t_ms = t;
    a->line = line;
    a->member = gs__arun_find_member(R, v[0]);
    a->household = a->trace = -1;
    return GS_OK;
}

/* With --on-error=fail, the bad rows of one source stop the run: the
 * first is named with its line and field, the others counted. */
static int check_bad(gs__arun *R, const char *source) {
    const gs__abadrow *first = NULL;
    char more[160] = "", fmt[160];
    long n = 0;
    for (size_t i = 0; i < R->n_bad; i++)
        if (!strcmp(R->bad[i].source, source) && !n++) first = &R->bad[i];
    if (!n || R->in->on_error == GS_ON_ERROR_SKIP) return GS_OK;
    if (n > 1)
        snprintf(more, sizeof more,
                 gs__optfmt(R->ctx,
                            " (and %ld more bad row%s; {on_error}=skip leaves "
                            "them out and lists them in bad_rows)",
                            fmt, sizeof fmt),
                 n - 1, n == 2 ? "" : "s");
    return gs__err(R->ctx, GS_ERR_INPUT_VALUE, "%s, line %u%s%s: %s%s",
                   first->path, first->line, first->field[0] ? ", field " : "",
                   first->field, first->reason, more);
}

static const table_spec offline_spec = {
    "offline",
    "offline scores have the columns member_id,item,score, e.g. "
    "M0001,satisfaction,92",
    {"member_id", "item", "score", NULL},
    0,
    offline_row};

static const table_spec visits_spec = {
    "visits",
    "service visits have the columns member_id,household_id,time,kind, e.g. "
    "M0001,H0000123,2026-11-18T10:05:00+08:00,elderly",
    {"member_id", "household_id", "time", "kind"},
    1u << 3, /* kind may be left out */
    visit_row};

int gs__arun_read_offline(gs__arun *R) {
    int rc = table_read(R, &offline_spec, R->o->offline);
    if (rc) return rc;
    for (size_t i = 0; i < R->n_m; i++)
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            if (R->m[i].off_n[k])
                R->m[i].in.offline_pct[k] =
                    R->m[i].off_sum[k] / (double)R->m[i].off_n[k];
    if (R->offline_unknown)
        gs__warn(R->ctx,
                 "%s: %ld row%s for members the ledger does not hold for "
                 "the month, e.g. %s; left out",
                 R->o->offline, R->offline_unknown,
                 R->offline_unknown == 1 ? "" : "s", R->unknown_example);
    return gs__inputs_note_file(R->ctx, &R->info, "offline", R->o->offline, "",
                                R->offline_rows);
}

int gs__arun_read_visits(gs__arun *R) {
    int rc = table_read(R, &visits_spec, R->o->visits);
    if (rc) return rc;
    return gs__inputs_note_file(R->ctx, &R->info, "visits", R->o->visits, "",
                                (long)R->n_v);
}
