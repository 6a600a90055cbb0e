/*
 * csvread.h - reading CSV files row by row, and the pieces the trace reader
 * builds its own parallel parser from (csvread.c).
 *
 * CSV is parsed with libcsv (Debian's libcsv), an RFC 4180 parser: quotes,
 * embedded delimiters and newlines, CRLF. libcsv reports fields and row
 * ends but not line numbers, which every message about a bad row needs;
 * gs__csvlines counts them from the events libcsv reports.
 */
#ifndef GS_CSVREAD_H
#define GS_CSVREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctx.h"

/* The most bytes in one row of the generic reader. */
#define GS__CSV_ROW_MAX ((size_t)16 << 20)

/* One row of a CSV: fields as bytes (no recoding), NUL-terminated,
 * borrowed for the duration of the callback. */
typedef struct gs__csvrow {
    uint32_t line; /* 1-based line where the row starts */
    size_t n;      /* number of fields, at least 1 */
    char *const *f;
} gs__csvrow;

/* Called for each row with at least one field, the header included; blank
 * lines are skipped. GS_OK goes on; anything else stops the read, and
 * gs__csv_read returns it. */
typedef int (*gs__csv_row_fn)(gs_ctx *ctx, void *user, const gs__csvrow *row);

/* Reads `path` as RFC 4180 CSV with libcsv: quotes, embedded delimiters and
 * newlines, CRLF; a UTF-8 byte-order mark is skipped; the delimiter is a
 * tab when the first line has more tabs than commas, else a comma.
 * GS_ERR_INPUT_OPEN (naming the file) when it cannot be read,
 * GS_ERR_INPUT_EMPTY when it holds no row, or the callback's code. */
int gs__csv_read(gs_ctx *ctx, const char *path, gs__csv_row_fn fn, void *user);

/* ---- libcsv parsers ------------------------------------------------------ */

struct csv_parser;

/* csv_init with `options`, and an entry buffer that grows geometrically:
 * libcsv asks for 128 more bytes at a time, so a field of n bytes would
 * cost n / 128 reallocations of up to n bytes each (minutes for a 10 MB
 * field under AddressSanitizer, whose realloc always copies). Here a
 * request the block already holds costs nothing and a block that must
 * grow at least doubles, so a long field parses in linear time. Returns
 * csv_init's status (0 on success); free with csv_free as usual. */
int gs__csv_init(struct csv_parser *p, unsigned char options);

/* ---- line numbers over libcsv's callbacks ------------------------------- */

/* libcsv reports fields and row ends but not lines; with CSV_REPALL_NL it
 * reports every CR and LF outside a field, so lines are counted from those
 * and from the line breaks inside quoted fields. A line ends with LF, CRLF
 * or a lone CR (universal newlines), so counting needs no state but the
 * last event: a part of a file counts its lines as the whole file does.
 * Start with line = 1 and the rest zero. */
typedef struct gs__csvlines {
    uint32_t line;     /* line of the parse position */
    uint32_t row_line; /* line where the current row started */
    size_t nf;         /* fields so far in the current row */
    int prev_cr;       /* the last event was a CR row end */
} gs__csvlines;

/* Call from libcsv's field callback with the field's bytes. */
void gs__csvlines_field(gs__csvlines *l, const char *s, size_t len);

/* gs__csvlines_field in two halves, for a caller that can skip the
 * second: gs__csvlines_begin notes the field, gs__csvlines_count counts
 * the line breaks in its bytes; a field known to hold none (a number
 * parsed from all its bytes) needs only the first. */
static inline void gs__csvlines_begin(gs__csvlines *l) {
    l->prev_cr = 0;
    if (l->nf++ == 0) l->row_line = l->line;
}
void gs__csvlines_count(gs__csvlines *l, const char *s, size_t len);

/* Call from libcsv's row-end callback with its character (CR, LF, or -1
 * at the end of the data). */
void gs__csvlines_end(gs__csvlines *l, int c);

/* Skips a UTF-8 BOM and picks the delimiter (libcsv's CSV_TAB when the
 * first line has more tabs than commas, else CSV_COMMA) from the first
 * `n` bytes. Returns the BOM length (0 or 3), or -1 for a UTF-16 BOM. */
int gs__csv_sniff_head(const char *buf, size_t n, unsigned char *out_delim);

/* ---- files --------------------------------------------------------------- */

/* Opens `path` for reading and gives its size. GS_ERR_INPUT_OPEN naming
 * the file and `what` it is for ("CSV", "traces") when it cannot be
 * opened or is a directory. A path in GDAL's virtual file systems
 * (/vsigzip/...) is read into an unnamed temporary file (vsi.h). *out_fd
 * is -1 on failure; the caller closes it otherwise. */
int gs__file_open_read(gs_ctx *ctx, const char *path, const char *what,
                       int *out_fd, int64_t *out_size);

/* pread that retries interrupted and short reads: the bytes read (fewer
 * than n only at the end of the file), or -1. */
ssize_t gs__file_pread(int fd, char *buf, size_t n, int64_t off);

/* Doubles the capacity of array `v` (elements of `size` bytes, `first` to
 * start with); NULL when out of memory, `v` and *cap unchanged then. */
void *gs__grow_array(void *v, size_t *cap, size_t size, size_t first);

#endif /* GS_CSVREAD_H */
