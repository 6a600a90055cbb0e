/*
 * calendar.c - which days are workdays: Monday-Friday plus overrides.
 *
 * Patrol compliance counts workdays (docs/design.md, "Patrol time"), and
 * China's public holidays move every year by State Council notice, with weekend
 * make-up workdays (调休) around them, so no rule can compute them: the
 * street office supplies a small CSV `date,workday` of the days that
 * differ from Monday-Friday. It is read with the shared CSV reader
 * (csvread.c, libcsv) into a sorted array of (day, workday) pairs that
 * lookups search by bisection. The file is small and hand-edited, so any
 * bad row is an error naming the line and field rather than a row skipped:
 * a mistyped holiday would silently change every member's compliance.
 */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datetime.h"
#include "csvread.h"

typedef struct override {
    int32_t day;
    int32_t workday; /* 0 or 1 */
    uint32_t line;   /* where it was given, for duplicate messages */
} override;

struct gs__calendar {
    override *days; /* sorted by day, distinct */
    size_t n;
};

/* While loading: where the columns are and what was read so far. */
typedef struct loader {
    const char *path;
    int have_header;
    size_t ncols;
    int i_date, i_workday;
    override *v;
    size_t n, cap;
} loader;

static int header(gs_ctx *ctx, loader *l, const gs__csvrow *row) {
    char cols[400] = "";
    size_t off = 0;
    l->have_header = 1;
    l->ncols = row->n;
    l->i_date = l->i_workday = -1;
    for (size_t i = 0; i < row->n; i++) {
        const char *name = row->f[i];
        int w;
        if (!strcasecmp(name, "date") && l->i_date < 0) l->i_date = (int)i;
        if (!strcasecmp(name, "workday") && l->i_workday < 0)
            l->i_workday = (int)i;
        if (off + 2 < sizeof cols) {
            w = snprintf(cols + off, sizeof cols - off, "%s%s", i ? ", " : "",
                         name);
            if (w > 0) off += (size_t)w;
        }
    }
    if (l->i_date < 0 || l->i_workday < 0)
        return gs__err(ctx, GS_ERR_INPUT_FIELD,
                       "%s: missing column '%s' (columns: %s); a calendar "
                       "has the columns date,workday, e.g. 2026-10-01,0",
                       l->path, l->i_date < 0 ? "date" : "workday", cols);
    return GS_OK;
}

static int on_row(gs_ctx *ctx, void *user, const gs__csvrow *row) {
    loader *l = user;
    const char *date, *wd;
    int32_t day;
    int workday;
    if (!l->have_header) return header(ctx, l, row);
    if (row->n != l->ncols)
        return gs__err(ctx, GS_ERR_INPUT_VALUE,
                       "%s, line %u: %zu field%s where the header has %zu",
                       l->path, row->line, row->n, row->n == 1 ? "" : "s",
                       l->ncols);
    date = row->f[l->i_date];
    wd = row->f[l->i_workday];
    if (gs__date_parse(date, &day) != GS_OK)
        return gs__err(ctx, GS_ERR_INPUT_VALUE,
                       "%s, line %u, field date: '%.40s' is not a date "
                       "(YYYY-MM-DD)",
                       l->path, row->line, date);
    if (!strcmp(wd, "1")) {
        workday = 1;
    } else if (!strcmp(wd, "0")) {
        workday = 0;
    } else {
        return gs__err(ctx, GS_ERR_INPUT_VALUE,
                       "%s, line %u, field workday: '%.40s' is neither 1 "
                       "(a workday) nor 0 (a day off)",
                       l->path, row->line, wd);
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        override *nv;
        if (nc > ((size_t)1 << 20))
            return gs__err(ctx, GS_ERR_INPUT_VALUE,
                           "%s, line %u: more than %zu days; a calendar "
                           "lists only the exceptions",
                           l->path, row->line, l->cap);
        nv = gs__realloc(l->v, nc * sizeof *nv);
        if (!nv) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n].day = day;
    l->v[l->n].workday = workday;
    l->v[l->n].line = row->line;
    l->n++;
    return GS_OK;
}

static int cmp_override(const void *a, const void *b) {
    const override *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

int gs__calendar_load(gs_ctx *ctx, const char *path, gs__calendar **out_cal) {
    loader l;
    gs__calendar *cal = NULL;
    int rc;

    *out_cal = NULL;
    memset(&l, 0, sizeof l);
    l.path = path;
    rc = gs__csv_read(ctx, path, on_row, &l);
    if (rc == GS_ERR_INPUT_EMPTY || (rc == GS_OK && !l.have_header)) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s: empty file; a calendar has the header "
                     "date,workday and one row per exception",
                     path);
        goto done;
    }
    if (rc) goto done;
    if (l.n) qsort(l.v, l.n, sizeof *l.v, cmp_override);
    for (size_t i = 1; i < l.n; i++) {
        if (l.v[i].day == l.v[i - 1].day) {
            char d[11];
            gs__date_format(l.v[i].day, d);
            rc = gs__err(ctx, GS_ERR_INPUT_VALUE,
                         "%s, line %u, field date: %s already given on "
                         "line %u",
                         path, l.v[i].line, d, l.v[i - 1].line);
            goto done;
        }
    }
    cal = gs__calloc(1, sizeof *cal);
    if (!cal) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    cal->days = l.v;
    cal->n = l.n;
    l.v = NULL;
    *out_cal = cal;
done:
    free(l.v);
    return rc;
}

int gs__calendar_is_workday(const gs__calendar *cal, int32_t day) {
    if (cal) {
        size_t lo = 0, hi = cal->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cal->days[mid].day < day)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < cal->n && cal->days[lo].day == day)
            return cal->days[lo].workday;
    }
    return gs__weekday(day) <= 5;
}

void gs__calendar_free(gs__calendar *cal) {
    if (!cal) return;
    free(cal->days);
    free(cal);
}
