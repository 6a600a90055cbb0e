/*
 * traces_csvpart.c - parsing one part of a CSV: libcsv's callbacks turn
 * each field into a value where it lies and each row into a fix or a bad
 * row.
 *
 * Per field: the member id is copied (at most 255 bytes), the time parsed
 * in the part's own zone (datetime.h; not thread-safe, so one per part),
 * coordinates and accuracy by the hand-written number parser (text.c).
 * The first problem of each field is kept; at the row's end the first
 * problem in field order becomes the row's reason. Line numbers come from
 * the shared line counter (csvread.h), which counts the line breaks inside
 * quoted fields too, so they are the file's own.
 */
#define _GNU_SOURCE /* strnlen with -std=c11 */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "traces_int.h"

static void row_reset(gs__tr_part *p) {
    p->row.nonempty = 0;
    p->row.errs = 0;
    p->row.member_len = 0;
    p->row.member_long = 0;
    p->row.t = GS__TIME_UNKNOWN;
    p->row.acc = NAN;
}

/* Records the first problem of a field; the value (len bytes, 0 for none)
 * is quoted in the reason. */
static void row_error(gs__tr_part *p, int role, const char *why, const char *s,
                      size_t len) {
    char v[48];
    if (p->row.errs & (1u << role)) return;
    p->row.errs |= 1u << role;
    if (!s || !len) {
        snprintf(p->row.why[role], sizeof p->row.why[role], "%s", why);
        return;
    }
    gs__sanitize(s, len, v, sizeof v, 40);
    /* A reason too long for the row's slot is cut there: the value quoted
     * is only a reminder of what the field held. */
    if (snprintf(p->row.why[role], sizeof p->row.why[role], "%s ('%s')", why,
                 v) < 0)
        p->row.why[role][0] = '\0';
}

/* libcsv's field callback: parses the field of the current column into
 * the row being read, by the column's role; the first problem of each
 * field is kept for finish_row. */
static void tr_field(void *data, size_t len, void *user) {
    gs__tr_part *p = user;
    const char *s = data;
    size_t col = p->lines.nf;
    const char *why;
    double v;
    /* A field's line breaks (inside quotes) are counted, except in a
     * number parsed from all its bytes, which holds none. */
    gs__csvlines_begin(&p->lines);
    if (len) p->row.nonempty++;
    if (col >= p->cols->n ||
        (p->cols->role[col] != R_LON && p->cols->role[col] != R_LAT &&
         p->cols->role[col] != R_ACC))
        gs__csvlines_count(&p->lines, s, len);
    if (col >= p->cols->n) return;
    switch (p->cols->role[col]) {
        case R_MEMBER: {
            while (len && (*s == ' ' || *s == '\t')) s++, len--;
            while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
            len = strnlen(s, len);
            if (len > MEMBER_MAX) {
                p->row.member_long = 1;
                len = MEMBER_MAX;
            }
            memcpy(p->row.member, s, len);
            p->row.member_len = len;
            return;
        }
        case R_TIME: {
            char why_buf[96];
            if (gs__time_parse(p->tz, s, &p->row.t, why_buf, sizeof why_buf) !=
                GS_OK) {
                p->row.t = GS__TIME_UNKNOWN;
                row_error(p, R_TIME, why_buf, s,
                          strcmp(why_buf, "empty") ? len : 0);
            }
            return;
        }
        case R_LON:
        case R_LAT:
            if (gs__parse_num(s, len, &v, &why)) {
                gs__csvlines_count(&p->lines, s, len);
                row_error(p, p->cols->role[col], why, s,
                          strcmp(why, "empty") ? len : 0);
                v = NAN;
            }
            if (p->cols->role[col] == R_LON)
                p->row.lon = v;
            else
                p->row.lat = v;
            return;
        case R_ACC:
            if (gs__parse_num(s, len, &v, &why)) {
                gs__csvlines_count(&p->lines, s, len);
                if (strcmp(why, "empty")) row_error(p, R_ACC, why, s, len);
            } else if (v < 0) {
                row_error(p, R_ACC, "negative", s, len);
            } else {
                p->row.acc = (float)v;
            }
            return;
        default: return;
    }
}

/* At a row's end: a blank row is counted, a row with a problem becomes a
 * bad row (the wrong number of fields, else the first problem in field
 * order, else a position out of range), any other a fix. */
static void finish_row(gs__tr_part *p) {
    uint32_t line = p->lines.row_line, entry = NO_ENTRY;
    size_t nf = p->lines.nf;
    if (p->row.nonempty == 0) {
        p->n_blank++;
        return;
    }
    if (p->row.member_len)
        entry = gs__tr_intern_member(p, p->row.member, p->row.member_len);
    if (nf != p->cols->n) {
        char why[96];
        snprintf(why, sizeof why, "%zu field%s where the header has %zu", nf,
                 nf == 1 ? "" : "s", p->cols->n);
        gs__tr_add_bad(p, line, entry, "", why, 1, GS__TIME_UNKNOWN);
        return;
    }
    if (!p->row.member_len) {
        gs__tr_add_bad(p, line, entry, "member_id", "empty", 0, p->row.t);
        return;
    }
    if (p->row.member_long) {
        gs__tr_add_bad(p, line, entry, "member_id", "longer than 255 bytes", 0,
                       p->row.t);
        return;
    }
    if (p->row.errs) {
        for (int r = R_MEMBER; r < R_COUNT; r++)
            if (p->row.errs & (1u << r)) {
                gs__tr_add_bad(p, line, entry, gs__tr_role_field[r],
                               p->row.why[r], 1, p->row.t);
                return;
            }
    }
    if (p->check_range) {
        char why[96];
        const char *field =
            gs__tr_check_degrees(p->row.lon, p->row.lat, why, sizeof why);
        if (field) {
            gs__tr_add_bad(p, line, entry, field, why, 1, p->row.t);
            return;
        }
    }
    if (entry != NO_ENTRY) {
        gs__fix f;
        f.t_ms = p->row.t;
        f.lon = p->row.lon;
        f.lat = p->row.lat;
        f.accuracy_m = p->row.acc;
        f.member = entry;
        f.line = line;
        gs__tr_add_fix(p, &f);
    }
}

static void tr_end(int c, void *user) {
    gs__tr_part *p = user;
    if (p->lines.nf) {
        if (c == -1) p->ended_mid_row = 1;
        if (!p->rc) finish_row(p);
        row_reset(p);
    }
    gs__csvlines_end(&p->lines, c);
}

/* Parses the part's byte range; results and failures stay in the part. */
void *gs__tr_part_run(void *arg) {
    gs__tr_part *p = arg;
    struct csv_parser cp;
    char *buf = gs__malloc(CHUNK);
    int64_t off = p->start;
    if (!buf || gs__csv_init(&cp, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        free(buf);
        gs__tr_part_nomem(p);
        return NULL;
    }
    csv_set_delim(&cp, p->delim);
    row_reset(p);
    while (off < p->end && !p->rc) {
        size_t want =
            (size_t)(p->end - off) < CHUNK ? (size_t)(p->end - off) : CHUNK;
        ssize_t n = gs__file_pread(p->fd, buf, want, off);
        if (n != (ssize_t)want) {
            p->rc = GS_ERR_INPUT_OPEN;
            snprintf(p->err, sizeof p->err, "read error at byte %lld (%s)",
                     (long long)off,
                     n < 0 ? strerror(errno) : "the file got shorter");
            break;
        }
        if (csv_parse(&cp, buf, (size_t)n, tr_field, tr_end, p) != (size_t)n) {
            if (!p->rc) {
                p->rc = GS_ERR_NOMEM;
                snprintf(p->err, sizeof p->err, "%s",
                         csv_strerror(csv_error(&cp)));
            }
            break;
        }
        off += n;
        if (p->progress && p->end > p->start)
            gs__progress(
                p->progress, "read traces",
                (double)(off - p->start) / (double)(p->end - p->start));
    }
    if (!p->rc) csv_fini(&cp, tr_field, tr_end, p);
    csv_free(&cp);
    free(buf);
    p->breaks = p->lines.line - 1;
    return NULL;
}
