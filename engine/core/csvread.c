/*
 * csvread.c - the CSV row reader (calendars, rosters, offline scores...) and
 * the line counting and file helpers the trace reader shares.
 *
 * The generic reader streams the file through libcsv in 1 MiB reads and
 * hands each row to a callback as NUL-terminated fields, with the line it
 * starts on; a row is held only while its callback runs.
 */
#define _GNU_SOURCE /* pread with -std=c11 */
#include "csvread.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsi.h"

#define CHUNK ((size_t)1 << 20) /* read size */

/* ---- libcsv's entry buffer ---------------------------------------------- */

/* The block behind libcsv's entry buffer carries its capacity in a header
 * of one max_align_t, so that a request it already holds returns the same
 * pointer and a growth at least doubles it. libcsv never reads past the
 * size it asked for. */
typedef union csvblk {
    size_t cap;
    max_align_t align;
} csvblk;

static void *csv_grow(void *ptr, size_t size) {
    csvblk *b = ptr ? (csvblk *)ptr - 1 : NULL, *nb;
    size_t cap = b ? b->cap : 0;
    if (b && cap >= size) return ptr;
    cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap < size) cap = size;
    if (cap < 4096) cap = 4096;
    if (size > SIZE_MAX - sizeof *b) return NULL;
    if (cap > SIZE_MAX - sizeof *b) cap = size;
    nb = gs__realloc(b, sizeof *b + cap);
    if (!nb && cap > size) { /* the double does not fit: what was asked */
        cap = size;
        nb = gs__realloc(b, sizeof *b + cap);
    }
    if (!nb) return NULL;
    nb->cap = cap;
    return nb + 1;
}

static void csv_release(void *ptr) {
    if (ptr) free((csvblk *)ptr - 1);
}

int gs__csv_init(struct csv_parser *p, unsigned char options) {
    int rc = csv_init(p, options);
    if (rc == 0) {
        csv_set_realloc_func(p, csv_grow);
        csv_set_free_func(p, csv_release);
    }
    return rc;
}

/* ---- line tracking over libcsv's callbacks ------------------------------- */

/* libcsv reports fields and row ends but not lines; with CSV_REPALL_NL it
 * reports every CR and LF outside a field, so lines are counted from those
 * and from the line breaks inside quoted fields. A line ends with LF, CRLF
 * or a lone CR, wherever it is (Python's and most editors' universal
 * newlines). The rule needs no state learnt from earlier in the file, so a
 * part of a file parsed on its own numbers its lines as the whole file
 * does. */

void gs__csvlines_field(gs__csvlines *l, const char *s, size_t len) {
    gs__csvlines_begin(l);
    gs__csvlines_count(l, s, len);
}

void gs__csvlines_count(gs__csvlines *l, const char *s, size_t len) {
    if (memchr(s, '\n', len) || memchr(s, '\r', len)) {
        for (size_t i = 0; i < len; i++)
            if (s[i] == '\n' ||
                (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
                l->line++;
    }
}

void gs__csvlines_end(gs__csvlines *l, int c) {
    if (c == '\n') {
        if (!l->prev_cr) l->line++;
        l->prev_cr = 0;
    } else if (c == '\r') {
        l->line++;
        l->prev_cr = 1;
    }
    l->nf = 0;
}

/* Skips a UTF-8 BOM and picks the delimiter from the first line. Returns
 * the BOM length (0 or 3), or -1 for a UTF-16 BOM. */
int gs__csv_sniff_head(const char *buf, size_t n, unsigned char *out_delim) {
    size_t bom = 0, tabs = 0, commas = 0;
    if (n >= 2 &&
        (((unsigned char)buf[0] == 0xFF && (unsigned char)buf[1] == 0xFE) ||
         ((unsigned char)buf[0] == 0xFE && (unsigned char)buf[1] == 0xFF)))
        return -1;
    if (n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) bom = 3;
    for (size_t i = bom; i < n && buf[i] != '\n' && buf[i] != '\r'; i++) {
        if (buf[i] == '\t') tabs++;
        if (buf[i] == ',') commas++;
    }
    *out_delim = tabs > commas ? CSV_TAB : CSV_COMMA;
    return (int)bom;
}

int gs__file_open_read(gs_ctx *ctx, const char *path, const char *what,
                       int *out_fd, int64_t *out_size) {
    struct stat st;
    int fd;
    if (gs__is_vsi(path))
        return gs__vsi_to_fd(ctx, path, what, out_fd, out_size);
    fd = open(path, O_RDONLY);
    *out_fd = -1;
    *out_size = 0;
    if (fd < 0)
        return gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (%s): %s", path, what,
                       strerror(errno));
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = errno;
        close(fd);
        return gs__err(
            ctx, GS_ERR_INPUT_OPEN, "%s (%s): %s", path, what,
            S_ISDIR(st.st_mode) ? "is a directory, not a file" : strerror(e));
    }
    *out_fd = fd;
    *out_size = (int64_t)st.st_size;
    return GS_OK;
}

/* pread that retries interrupted and short reads; bytes read, or -1. */
ssize_t gs__file_pread(int fd, char *buf, size_t n, int64_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + (int64_t)got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Doubles the capacity of array `v` (elements of `size` bytes, `first` to
 * start with); NULL when out of memory, `v` and *cap unchanged then. */
void *gs__grow_array(void *v, size_t *cap, size_t size, size_t first) {
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = gs__realloc(v, nc * size);
    if (nv) *cap = nc;
    return nv;
}

/* ---- the generic row reader ---------------------------------------------- */

typedef struct rowreader {
    gs_ctx *ctx;
    const char *path;
    gs__csv_row_fn fn;
    void *user;
    gs__csvlines lines;
    gs__buf bytes; /* the row's fields, each NUL-terminated */
    size_t *off;   /* field offsets into bytes */
    char **ptrs;
    size_t cap;
    int rc;
    size_t rows;
} rowreader;

static void rr_field(void *s, size_t len, void *data) {
    rowreader *r = data;
    size_t i = r->lines.nf;
    gs__csvlines_field(&r->lines, s, len);
    if (r->rc) return;
    if (i == r->cap) {
        size_t cap = r->cap;
        size_t *no = gs__grow_array(r->off, &cap, sizeof *no, 16);
        char **np;
        if (no) r->off = no;
        cap = r->cap;
        np = no ? gs__grow_array(r->ptrs, &cap, sizeof *np, 16) : NULL;
        if (!np) {
            r->rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
            return;
        }
        r->ptrs = np;
        r->cap = cap;
    }
    r->off[i] = r->bytes.len;
    gs__buf_add(&r->bytes, s, len);
    gs__buf_add(&r->bytes, "", 1);
    if (r->bytes.failed)
        r->rc = gs__err(r->ctx, GS_ERR_INPUT_VALUE,
                        "%s, line %u: a row longer than %zu bytes", r->path,
                        r->lines.row_line, GS__CSV_ROW_MAX);
}

static void rr_end(int c, void *data) {
    rowreader *r = data;
    size_t nf = r->lines.nf;
    if (nf && !r->rc) {
        gs__csvrow row;
        for (size_t i = 0; i < nf; i++) r->ptrs[i] = r->bytes.data + r->off[i];
        row.line = r->lines.row_line;
        row.n = nf;
        row.f = r->ptrs;
        r->rows++;
        r->rc = r->fn(r->ctx, r->user, &row);
    }
    r->bytes.len = 0;
    gs__csvlines_end(&r->lines, c);
}

int gs__csv_read(gs_ctx *ctx, const char *path, gs__csv_row_fn fn, void *user) {
    struct csv_parser p;
    rowreader r;
    char *buf = NULL;
    int fd = -1, rc = GS_OK, have_parser = 0;
    int64_t size, off = 0;
    unsigned char delim = CSV_COMMA;

    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.path = path;
    r.fn = fn;
    r.user = user;
    r.lines.line = 1;
    gs__buf_init(&r.bytes, GS__CSV_ROW_MAX);
    rc = gs__file_open_read(ctx, path, "CSV", &fd, &size);
    if (rc) goto done;
    buf = gs__malloc(CHUNK);
    if (!buf || gs__csv_init(&p, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    have_parser = 1;
    while (off < size && !r.rc) {
        ssize_t n = gs__file_pread(fd, buf, CHUNK, off);
        size_t skip = 0;
        if (n <= 0) {
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s: read error at byte %lld",
                         path, (long long)off);
            goto done;
        }
        if (off == 0) {
            int bom = gs__csv_sniff_head(buf, (size_t)n, &delim);
            if (bom < 0) {
                rc = gs__err(ctx, GS_ERR_INPUT_ENCODING,
                             "%s: UTF-16 text; save it as UTF-8 CSV", path);
                goto done;
            }
            skip = (size_t)bom;
            csv_set_delim(&p, delim);
        }
        if (csv_parse(&p, buf + skip, (size_t)n - skip, rr_field, rr_end, &r) !=
            (size_t)n - skip) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "%s: %s", path,
                         csv_strerror(csv_error(&p)));
            goto done;
        }
        off += n;
    }
    if (!r.rc) csv_fini(&p, rr_field, rr_end, &r);
    rc = r.rc;
    if (!rc && r.rows == 0)
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY, "%s: empty file", path);
done:
    if (have_parser) csv_free(&p);
    if (fd >= 0) close(fd);
    free(buf);
    free(r.off);
    free(r.ptrs);
    gs__buf_free(&r.bytes);
    return rc;
}
