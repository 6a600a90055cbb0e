/*
 * traces_csv.c - reading a CSV of traces: its header, its encoding, and
 * its rows cut into parts parsed in parallel.
 *
 * The header is the first line (a name with a quoted newline is not
 * supported); the file's first megabyte decides the delimiter and, unless
 * {encoding} gives it, the encoding. Large files are cut into one part
 * per core at line starts and parsed in parallel (gs__parallel), each part
 * with its own parser, zone cache, member table and arrays. A cut is right
 * when the previous part ends at a row boundary, i.e. when its parser has
 * no unfinished row at the end (a quoted field with a newline can
 * straddle a cut); otherwise the file is parsed again in one part.
 */
#define _GNU_SOURCE /* sysconf */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "traces_int.h"

/* Collects the header's fields. */
typedef struct headrow {
    char **names;
    size_t n;
    int failed;
} headrow;

/* libcsv's field callback for the header: copies each name; sets
 * h->failed when out of memory. */
static void hr_field(void *s, size_t len, void *data) {
    headrow *h = data;
    char **nv;
    if (h->failed) return;
    nv = gs__realloc(h->names, (h->n + 1) * sizeof *nv);
    if (!nv) {
        h->failed = 1;
        return;
    }
    h->names = nv;
    h->names[h->n] = gs__malloc(len + 1);
    if (!h->names[h->n]) {
        h->failed = 1;
        return;
    }
    memcpy(h->names[h->n], s, len);
    h->names[h->n][len] = '\0';
    h->n++;
}

static void headrow_free(headrow *h) {
    for (size_t i = 0; i < h->n; i++) free(h->names[i]);
    free(h->names);
    memset(h, 0, sizeof *h);
}

/* Cuts [start, end) into up to `want` parts at line starts. */
static int plan_parts(gs__tr_reader *r, int fd, int64_t start, int64_t end,
                      int want, unsigned char delim, const gs__tr_cols *c) {
    int64_t cuts[MAX_PARTS + 1];
    int n = 0;
    char probe[65536];
    cuts[n++] = start;
    for (int k = 1; k < want; k++) {
        int64_t at = start + (end - start) * k / want;
        ssize_t got;
        char *nl;
        if (at <= cuts[n - 1]) continue;
        got = gs__file_pread(fd, probe, sizeof probe, at);
        if (got <= 0) break;
        nl = memchr(probe, '\n', (size_t)got);
        if (!nl) continue;
        at += (nl - probe) + 1;
        if (at >= end || at <= cuts[n - 1]) continue;
        cuts[n++] = at;
    }
    cuts[n] = end;
    r->parts = gs__calloc((size_t)n, sizeof *r->parts);
    if (!r->parts) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    r->n_parts = n;
    for (int k = 0; k < n; k++) {
        gs__tr_part *p = &r->parts[k];
        gs__tr_part_init(p);
        p->fd = fd;
        p->start = cuts[k];
        p->end = cuts[k + 1];
        p->delim = delim;
        p->cols = c;
        p->check_range = r->crs_mode != CRS_OGR;
        if (k == 0) {
            p->tz = r->o->tz;
            p->progress = r->ctx;
        } else {
            int rc = gs__tz_open(r->ctx, gs__tz_id(r->o->tz), &p->tz);
            if (rc) return rc;
            p->own_tz = 1;
        }
        {
            /* Rows are some 60 bytes; untouched capacity costs no
             * memory, and this saves most regrowth. */
            size_t guess = (size_t)((p->end - p->start) / 48) + 1024;
            p->fix = gs__malloc(guess * sizeof *p->fix);
            if (p->fix) p->cap_fix = guess;
        }
    }
    return GS_OK;
}

/* Runs the parts, the first in this thread, and reports the first
 * part's failure. */
static int run_parts(gs__tr_reader *r) {
    gs__parallel(gs__tr_part_run, r->parts, sizeof *r->parts, r->n_parts);
    for (int k = 0; k < r->n_parts; k++)
        if (r->parts[k].rc)
            return gs__err(r->ctx, r->parts[k].rc, "%s: %s", r->o->path,
                           r->parts[k].err);
    return GS_OK;
}

/* Finds the header line in the head (`got` bytes of a `size`-byte file;
 * a BOM of `hl` bytes first): *out_end where it ends, *out_data where the
 * rows start. GS_ERR_INPUT_EMPTY for a file of white space,
 * GS_ERR_INPUT_FIELD for a blank first line or one over 1 MiB. */
static int find_header(gs__tr_reader *r, const char *head, size_t got,
                       int64_t size, size_t hl, size_t *out_end,
                       int64_t *out_data) {
    const char *path = r->o->path;
    size_t i = hl, line_end;
    int blank_line = 0;
    /* Only white space: empty. A blank first line: no header. */
    while (i < got && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' ||
                       head[i] == '\n'))
        blank_line |= head[i++] <= '\r';
    if (i == got)
        return gs__err(r->ctx, GS_ERR_INPUT_EMPTY,
                       "%s (traces): empty file; expected a header line "
                       "member_id,time,lon,lat,accuracy_m and rows",
                       path);
    if (blank_line)
        return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                       "%s, line 1 (traces): the header line is empty; "
                       "expected member_id,time,lon,lat,accuracy_m",
                       path);
    /* The header is the first line; a name with a quoted newline is not
     * supported. */
    for (line_end = hl;
         line_end < got && head[line_end] != '\n' && head[line_end] != '\r';
         line_end++)
        ;
    if (line_end == got && (int64_t)got < size)
        return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                       "%s (traces): the first line is longer than 1 MiB; "
                       "not a CSV header",
                       path);
    *out_data = (int64_t)line_end;
    if (line_end < got) {
        (*out_data)++;
        if (head[line_end] == '\r' && line_end + 1 < got &&
            head[line_end + 1] == '\n')
            (*out_data)++;
    }
    *out_end = line_end;
    return GS_OK;
}

/* Parses the header line (`len` bytes, in the encoding decided) and finds
 * the fields' columns: c->n, c->idx, and c->role (allocated; the caller
 * frees it). GS_ERR_INPUT_FIELD for a missing column, GS_ERR_NOMEM. */
static int header_cols(gs__tr_reader *r, const char *line, size_t len,
                       unsigned char delim, gs__tr_cols *c) {
    gs_ctx *ctx = r->ctx;
    headrow hr = {NULL, 0, 0};
    const char **names = NULL;
    struct csv_parser hp;
    int rc = GS_OK;
    if (gs__csv_init(&hp, CSV_APPEND_NULL) != 0)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    csv_set_delim(&hp, delim);
    csv_parse(&hp, line, len, hr_field, NULL, &hr);
    csv_fini(&hp, hr_field, NULL, &hr);
    names = gs__calloc(hr.n + 1, sizeof *names);
    c->role = gs__calloc(hr.n + 1, 1);
    if (hr.failed || !names || !c->role) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < hr.n; i++) {
        int nomem = 0;
        char *t = hr.names[i];
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) t[--n] = '\0';
        while (*t == ' ' || *t == '\t') t++, n--;
        names[i] = r->enc == ENC_ICONV ? gs__tr_decode(r, t, n, &nomem) : NULL;
        if (nomem) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (!names[i]) names[i] = t;
    }
    c->n = hr.n;
    rc =
        gs__tr_resolve_cols(r, r->o->path, "column", names, hr.n, 1, 1, c->idx);
    if (rc) goto done;
    for (int role = R_MEMBER; role < R_COUNT; role++)
        if (c->idx[role] >= 0) c->role[c->idx[role]] = (unsigned char)role;
done:
    csv_free(&hp);
    headrow_free(&hr);
    free((void *)names);
    return rc;
}

/* How many parts to cut `bytes` of rows into: the {threads} given, else
 * one per core but at least AUTO_PART_MIN bytes each; at most MAX_PARTS. */
static int part_count(const gs__tr_reader *r, int64_t bytes) {
    int want = r->o->threads;
    if (want <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int64_t by_size = bytes / AUTO_PART_MIN;
        want = cpus > 0 ? (int)cpus : 1;
        if (by_size < want) want = (int)(by_size > 0 ? by_size : 1);
    }
    return want > MAX_PARTS ? MAX_PARTS : want;
}

/* Parses the rows in [start, end) of `fd` in `want` parts, and again in
 * one part when a quoted field straddles a cut. */
static int parse_rows(gs__tr_reader *r, int fd, int64_t start, int64_t end,
                      int want, unsigned char delim, const gs__tr_cols *c) {
    int rc = plan_parts(r, fd, start, end, want, delim, c);
    if (rc) return rc;
    rc = run_parts(r);
    if (rc) return rc;
    for (int k = 0; k + 1 < r->n_parts; k++) {
        if (r->parts[k].ended_mid_row) {
            /* A quoted field straddles a cut: read it in one go. */
            gs__tr_free_parts(r);
            rc = plan_parts(r, fd, start, end, 1, delim, c);
            if (rc) return rc;
            return run_parts(r);
        }
    }
    return GS_OK;
}

int gs__tr_read_csv(gs__tr_reader *r) {
    gs_ctx *ctx = r->ctx;
    const char *path = r->o->path;
    char *head = NULL;
    gs__tr_cols c = {0, NULL, {0}};
    int fd = -1, bom, rc;
    int64_t size, data_start = 0;
    ssize_t got;
    size_t line_end = 0;
    unsigned char delim = CSV_COMMA;

    r->out->is_csv = 1;
    rc = gs__file_open_read(ctx, path, "traces", &fd, &size);
    if (rc) goto done;
    head = gs__malloc(CHUNK);
    if (!head) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    got = gs__file_pread(fd, head, CHUNK, 0);
    if (got < 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (traces): %s", path,
                     strerror(errno));
        goto done;
    }
    bom = gs__csv_sniff_head(head, (size_t)got, &delim);
    if (bom < 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_ENCODING,
                     "%s (traces): UTF-16 text; save it as UTF-8 CSV", path);
        goto done;
    }
    rc = find_header(r, head, (size_t)got, size, (size_t)bom, &line_end,
                     &data_start);
    if (rc) goto done;
    rc = gs__tr_sniff_encoding(r, head + bom, (size_t)got - (size_t)bom, bom);
    if (rc) goto done;
    if (r->enc == ENC_UTF8 && !r->out->encoding[0])
        snprintf(r->out->encoding, sizeof r->out->encoding, "UTF-8");
    rc = header_cols(r, head + bom, line_end - (size_t)bom, delim, &c);
    if (rc) goto done;
    r->first_line = 2;
    if (data_start < size)
        rc = parse_rows(r, fd, data_start, size,
                        part_count(r, size - data_start), delim, &c);
done:
    if (rc) gs__tr_free_parts(r);
    free(c.role);
    free(head);
    if (fd >= 0) close(fd); /* the parts have finished with it */
    for (int k = 0; k < r->n_parts; k++) {
        r->parts[k].fd = -1;
        r->parts[k].cols = NULL; /* `c` ends here */
    }
    return rc;
}
