/*
 * traces.c - reading GPS traces: CSV through libcsv, anything else through
 * OGR.
 *
 * A week of traces for a city is some eleven million rows (700 MB of CSV),
 * so the CSV path avoids OGR's per-feature objects and streams the bytes
 * through libcsv (an RFC 4180 parser: quotes, embedded delimiters and
 * newlines, CRLF) with per-field callbacks that parse each value where it
 * lies, without copying rows:
 *
 *   file --pread 1 MiB--> libcsv --field--> time (ptime.c), numbers (a
 *   hand-written decimal parser with strtod as the fallback), member id
 *   (interned by its raw bytes) --row end--> a 40-byte gs__fix, or a bad
 *   row with its line, field and reason
 *
 * Large files are cut into one part per core at line starts and parsed in
 * parallel, each part with its own parser, zone cache, member table and
 * arrays. A cut is right when the previous part ends at a row boundary,
 * i.e. when its parser has no unfinished row at the end (a quoted field
 * with a newline can straddle a cut); otherwise the file is parsed again
 * in one part. Parts are then merged in file order: member tables are
 * unified (first-seen order of usable fixes, as one pass would give), line
 * numbers made absolute (each part counts its line breaks, including
 * those inside quoted fields), arrays concatenated.
 *
 * Text: member ids are the only text kept, and are decoded once per
 * distinct id, not per row. The encoding is --encoding if given (recoded
 * with glibc's iconv), else sniffed from the first megabyte: UTF-8 when its
 * non-ASCII bytes are valid UTF-8, GB18030 (a superset of GBK, what Excel
 * writes on Chinese Windows) when they are not but form valid GB18030
 * sequences. A file whose first megabyte is all ASCII is decided from the
 * distinct member ids at the end. A member id that cannot be decoded makes
 * its rows bad rows.
 *
 * Other formats (GPX, GeoPackage, GeoJSON, Shapefile) are read feature by
 * feature through OGR into the same part structure: member id from a
 * field (for GPX the file's base name when there is none), time from a
 * DateTime field honouring its time zone flag or from text, position from
 * the point geometry.
 *
 * Coordinates end in WGS84: an OGR CRS (the layer's, or --trace-crs
 * EPSG:n) is transformed in batches through OGR/PROJ; GCJ-02 and BD-09 are
 * inverted (coord.c), in parallel since each inversion costs 0.4-0.7 us.
 * No row is dropped silently: every unusable one is in `bad`, sorted by
 * line.
 *
 * Memory: a fix is 40 bytes and nothing else is kept per row. The parts'
 * arrays are sized from the byte count (untouched capacity costs no
 * memory) and merged into the first part's array, giving each copied
 * stretch of the others back to the system at once, so the peak stays
 * near the final array's size.
 */
#define _GNU_SOURCE /* pread, strnlen, strcasecmp with -std=c11 */
#include "traces.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <iconv.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord.h"
#include "csvread.h"
#include "crs.h"
#include "io.h"
#include "pgcopy.h"

#define CHUNK ((size_t)1 << 20)           /* read size, and the sniffed head */
#define MEMBER_MAX 255                    /* bytes of a member id */
#define AUTO_PART_MIN ((int64_t)32 << 20) /* bytes per part, automatic */
#define MAX_PARTS 4
#define NO_ENTRY UINT32_MAX
#define BAD_MEMBER_FLAG UINT32_C(0x80000000)

/* "a, b, c" into buf, cut to fit; "none" for no names. */
static void join_names(char *buf, size_t size, const char *const *names,
                       size_t n) {
    size_t off = 0;
    snprintf(buf, size, "%s", n ? "" : "none");
    for (size_t i = 0; i < n && off + 2 < size; i++) {
        int w =
            snprintf(buf + off, size - off, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
}

/* ---- numbers ------------------------------------------------------------- */

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses a decimal number (sign, digits, fraction, exponent), spaces
 * around allowed. With at most 15 digits and no exponent the value is
 * m / 10^k with both exact, hence correctly rounded (Clinger's fast path);
 * anything else goes to strtod. 0, or -1 with *why. */
static int parse_num(const char *s, size_t len, double *out, const char **why) {
    const char *p = s, *e = s + len, *start;
    uint64_t m = 0;
    int frac = 0, digits_seen = 0, slow = 0, neg = 0;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (p == e) {
        *why = "empty";
        return -1;
    }
    start = p;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    for (; p < e && is_digit(*p); p++, digits_seen++)
        if (digits_seen < 19) m = m * 10 + (uint64_t)(*p - '0');
    if (p < e && *p == '.') {
        for (p++; p < e && is_digit(*p); p++, digits_seen++, frac++)
            if (digits_seen < 19) m = m * 10 + (uint64_t)(*p - '0');
    }
    if (digits_seen > 15) slow = 1; /* m may be inexact as a double */
    if (!digits_seen) {
        size_t n = (size_t)(e - start);
        *why =
            (n == 3 && !strncasecmp(start, "nan", 3)) ? "NaN" : "not a number";
        return -1;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '-' || *p == '+')) p++;
        if (p == e || !is_digit(*p)) {
            *why = "not a number";
            return -1;
        }
        while (p < e && is_digit(*p)) p++;
        slow = 1;
    }
    if (p != e) {
        *why = "not a number";
        return -1;
    }
    if (slow) {
        char tmp[64];
        size_t n = (size_t)(e - start);
        if (n >= sizeof tmp) {
            *why = "not a number (too long)";
            return -1;
        }
        memcpy(tmp, start, n);
        tmp[n] = '\0';
        *out = strtod(tmp, NULL);
    } else {
        double v = (double)m / pow10_exact[frac];
        *out = neg ? -v : v;
    }
    if (!isfinite(*out)) {
        *why = "not a finite number";
        return -1;
    }
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

enum { ENC_UNDECIDED = 0, ENC_UTF8, ENC_ICONV };

static int has_high(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 1;
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF). With
 * `trunc_ok`, a sequence cut by the end of the buffer is accepted. */
static int valid_utf8(const char *str, size_t n, int trunc_ok) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n) return trunc_ok;
            if (s[i + j] < (j == 1 ? lo : 0x80) ||
                s[i + j] > (j == 1 ? hi : 0xBF))
                return 0;
        }
        i += k + 1;
    }
    return 1;
}

/* Byte structure of GB18030: ASCII, two bytes (81-FE, 40-7E|80-FE) or four
 * (81-FE, 30-39, 81-FE, 30-39). */
static int valid_gb18030(const char *str, size_t n, int trunc_ok) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c == 0x80 || c == 0xFF) return 0;
        if (i + 1 >= n) return trunc_ok;
        if ((s[i + 1] >= 0x40 && s[i + 1] <= 0x7E) ||
            (s[i + 1] >= 0x80 && s[i + 1] <= 0xFE)) {
            i += 2;
        } else if (s[i + 1] >= 0x30 && s[i + 1] <= 0x39) {
            if (i + 3 >= n) return trunc_ok;
            if (s[i + 2] < 0x81 || s[i + 2] > 0xFE || s[i + 3] < 0x30 ||
                s[i + 3] > 0x39)
                return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* ASCII with other bytes as '?', at most `max` bytes: for quoting a bad
 * value in a reason without putting invalid text into outputs. */
static void sanitize(const char *s, size_t n, char *out, size_t size,
                     size_t max) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size && k < max; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    if (n > max && k + 4 < size) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* ---- member tables ------------------------------------------------------- */

typedef struct mentry {
    const char *raw; /* NUL-terminated bytes as in the file */
    uint32_t len;
    uint32_t hash;
    uint32_t order;   /* local: order of the first usable fix; global: the
                       * member index; NO_ENTRY when none */
    const char *text; /* global: decoded UTF-8, or NULL if undecodable */
} mentry;

typedef struct mtab {
    uint32_t *slot; /* entry index + 1; 0 is empty */
    size_t nslot;   /* a power of two */
    mentry *e;
    size_t n, cap;
} mtab;

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static void mtab_free(mtab *t) {
    free(t->slot);
    free(t->e);
    memset(t, 0, sizeof t[0]);
}

static int mtab_grow(mtab *t) {
    size_t ns = t->nslot ? t->nslot * 2 : 1024;
    uint32_t *slot = gs__calloc(ns, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = t->e[i].hash & (ns - 1);
        while (slot[j]) j = (j + 1) & (ns - 1);
        slot[j] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = ns;
    return 0;
}

/* The entry of `s` (n bytes, n <= MEMBER_MAX), added if new with its bytes
 * copied to `arena` (or borrowed when `arena` is NULL: the caller keeps
 * them alive). -1 when out of memory. */
static int mtab_intern(mtab *t, gs__arena *arena, const char *s, size_t n,
                       uint32_t *out) {
    uint32_t h = hash_bytes(s, n);
    size_t j;
    mentry *e;
    if ((t->n + 1) * 2 > t->nslot && mtab_grow(t)) return -1;
    j = h & (t->nslot - 1);
    while (t->slot[j]) {
        e = &t->e[t->slot[j] - 1];
        if (e->hash == h && e->len == n && !memcmp(e->raw, s, n)) {
            *out = t->slot[j] - 1;
            return 0;
        }
        j = (j + 1) & (t->nslot - 1);
    }
    if (t->n == t->cap) {
        mentry *nv = gs__grow_array(t->e, &t->cap, sizeof *nv, 256);
        if (!nv) return -1;
        t->e = nv;
    }
    e = &t->e[t->n];
    if (arena) {
        char tmp[MEMBER_MAX + 1];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        e->raw = gs__arena_strdup(arena, tmp);
        if (!e->raw) return -1;
    } else {
        e->raw = s;
    }
    e->len = (uint32_t)n;
    e->hash = h;
    e->order = NO_ENTRY;
    e->text = NULL;
    t->slot[j] = (uint32_t)t->n + 1;
    *out = (uint32_t)t->n++;
    return 0;
}

/* ---- parts: what one reader thread (or the OGR reader) produces ---------- */

enum { R_NONE = 0, R_MEMBER, R_TIME, R_LON, R_LAT, R_ACC, R_COUNT };

static const char *const role_field[R_COUNT] = {
    "", "member_id", "time", "lon", "lat", "accuracy_m"};

/* The aliases each field is found by when not mapped with --field; the
 * first present wins. Compared case-insensitively. */
static const char *const role_alias[R_COUNT][8] = {
    {NULL},
    {"member_id", "member", "memberid", "网格员编号", NULL},
    {"time", "timestamp", "datetime", "gps_time", "时间", "定位时间", NULL},
    {"lon", "lng", "longitude", "x", "经度", NULL},
    {"lat", "latitude", "y", "纬度", NULL},
    {"accuracy_m", "accuracy", "精度", NULL}};

/* Where the fields are in a CSV's columns. */
typedef struct cols {
    size_t n;            /* header columns */
    unsigned char *role; /* per column */
    int idx[R_COUNT];    /* per role: column, or -1 */
} cols;

typedef struct rawbad {
    uint32_t line;
    uint32_t entry; /* local member entry, or NO_ENTRY */
    const char *field;
    const char *reason; /* static, or in the part's arena */
    int64_t t_ms;
} rawbad;

typedef struct part {
    /* setup */
    int fd;
    int64_t start, end; /* byte range of a CSV part */
    unsigned char delim;
    const cols *cols;
    gs__tz *tz;
    int own_tz;
    int check_range;  /* lon/lat are degrees: check their range here */
    gs_ctx *progress; /* set on the part the calling thread runs */
    /* results */
    gs__fix *fix; /* member = local entry; line relative to the part */
    size_t n_fix, cap_fix;
    rawbad *bad;
    size_t n_bad, cap_bad;
    mtab members;
    uint32_t *good; /* entries in order of their first usable fix */
    size_t n_good, cap_good;
    gs__arena arena;
    size_t n_blank;
    uint32_t breaks; /* line breaks read */
    int rc;
    char err[240];
    int ended_mid_row;
    /* the row being read */
    gs__csvlines lines;
    struct {
        int64_t t;
        double lon, lat;
        float acc;
        size_t nonempty;
        unsigned errs; /* bit per role */
        size_t member_len;
        int member_long;
        char member[MEMBER_MAX + 1];
        char why[R_COUNT][128];
    } row;
    uint32_t last_entry; /* a shortcut: rows often repeat the member */
} part;

static void part_init(part *p) {
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->lines.line = 1;
    p->last_entry = NO_ENTRY;
    gs__arena_init(&p->arena);
}

static void part_free(part *p) {
    free(p->fix);
    free(p->bad);
    free(p->good);
    mtab_free(&p->members);
    gs__arena_free(&p->arena);
    if (p->own_tz) gs__tz_close(p->tz);
    part_init(p);
}

static void part_nomem(part *p) {
    if (!p->rc) {
        p->rc = GS_ERR_NOMEM;
        snprintf(p->err, sizeof p->err, "out of memory");
    }
}

/* Records a bad row; `reason` is copied when `copy`. */
static void add_bad(part *p, uint32_t line, uint32_t entry, const char *field,
                    const char *reason, int copy, int64_t t) {
    rawbad *b;
    if (p->n_bad == p->cap_bad) {
        rawbad *nv = gs__grow_array(p->bad, &p->cap_bad, sizeof *nv, 64);
        if (!nv) {
            part_nomem(p);
            return;
        }
        p->bad = nv;
    }
    b = &p->bad[p->n_bad];
    b->line = line;
    b->entry = entry;
    b->field = field;
    b->reason = copy ? gs__arena_strdup(&p->arena, reason) : reason;
    b->t_ms = t;
    if (!b->reason) {
        part_nomem(p);
        return;
    }
    p->n_bad++;
}

static void add_fix(part *p, const gs__fix *f) {
    mentry *e = &p->members.e[f->member];
    if (p->n_fix == p->cap_fix) {
        gs__fix *nv = gs__grow_array(p->fix, &p->cap_fix, sizeof *nv, 4096);
        if (!nv) {
            part_nomem(p);
            return;
        }
        p->fix = nv;
    }
    if (e->order == NO_ENTRY) {
        if (p->n_good == p->cap_good) {
            uint32_t *nv =
                gs__grow_array(p->good, &p->cap_good, sizeof *nv, 256);
            if (!nv) {
                part_nomem(p);
                return;
            }
            p->good = nv;
        }
        e->order = (uint32_t)p->n_good;
        p->good[p->n_good++] = f->member;
    }
    p->fix[p->n_fix++] = *f;
}

/* The member's entry, or NO_ENTRY (out of memory is recorded). */
static uint32_t intern_member(part *p, const char *s, size_t n) {
    uint32_t e;
    if (p->last_entry != NO_ENTRY) {
        const mentry *l = &p->members.e[p->last_entry];
        if (l->len == n && !memcmp(l->raw, s, n)) return p->last_entry;
    }
    if (mtab_intern(&p->members, &p->arena, s, n, &e)) {
        part_nomem(p);
        return NO_ENTRY;
    }
    p->last_entry = e;
    return e;
}

/* Checks a position in degrees; NULL when fine, else the field and a
 * reason in buf. */
static const char *check_degrees(double lon, double lat, char *buf,
                                 size_t size) {
    if (lon < -180.0 || lon > 180.0) {
        snprintf(buf, size, "longitude %.9g is out of range (-180..180)", lon);
        return "lon";
    }
    if (lat < -90.0 || lat > 90.0) {
        snprintf(buf, size, "latitude %.9g is out of range (-90..90)", lat);
        return "lat";
    }
    if (lon == 0.0 && lat == 0.0) {
        snprintf(buf, size,
                 "0, 0: the position phones write without a "
                 "GPS fix");
        return "lon";
    }
    return NULL;
}

/* ---- the CSV part reader ------------------------------------------------- */

static void row_reset(part *p) {
    p->row.nonempty = 0;
    p->row.errs = 0;
    p->row.member_len = 0;
    p->row.member_long = 0;
    p->row.t = GS__TIME_UNKNOWN;
    p->row.acc = NAN;
}

/* Records the first problem of a field; the value (len bytes, 0 for none)
 * is quoted in the reason. */
static void row_error(part *p, int role, const char *why, const char *s,
                      size_t len) {
    char v[48];
    if (p->row.errs & (1u << role)) return;
    p->row.errs |= 1u << role;
    if (!s || !len) {
        snprintf(p->row.why[role], sizeof p->row.why[role], "%s", why);
        return;
    }
    sanitize(s, len, v, sizeof v, 40);
    snprintf(p->row.why[role], sizeof p->row.why[role], "%s ('%s')", why, v);
}

static void tr_field(void *data, size_t len, void *user) {
    part *p = user;
    const char *s = data;
    size_t col = p->lines.nf;
    const char *why;
    double v;
    gs__csvlines_field(&p->lines, s, len);
    if (len) p->row.nonempty++;
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
            if (parse_num(s, len, &v, &why)) {
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
            if (parse_num(s, len, &v, &why)) {
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

static void finish_row(part *p) {
    uint32_t line = p->lines.row_line, entry = NO_ENTRY;
    size_t nf = p->lines.nf;
    if (p->row.nonempty == 0) {
        p->n_blank++;
        return;
    }
    if (p->row.member_len)
        entry = intern_member(p, p->row.member, p->row.member_len);
    if (nf != p->cols->n) {
        char why[96];
        snprintf(why, sizeof why, "%zu field%s where the header has %zu", nf,
                 nf == 1 ? "" : "s", p->cols->n);
        add_bad(p, line, entry, "", why, 1, GS__TIME_UNKNOWN);
        return;
    }
    if (!p->row.member_len) {
        add_bad(p, line, entry, "member_id", "empty", 0, p->row.t);
        return;
    }
    if (p->row.member_long) {
        add_bad(p, line, entry, "member_id", "longer than 255 bytes", 0,
                p->row.t);
        return;
    }
    if (p->row.errs) {
        for (int r = R_MEMBER; r < R_COUNT; r++)
            if (p->row.errs & (1u << r)) {
                add_bad(p, line, entry, role_field[r], p->row.why[r], 1,
                        p->row.t);
                return;
            }
    }
    if (p->check_range) {
        char why[96];
        const char *field =
            check_degrees(p->row.lon, p->row.lat, why, sizeof why);
        if (field) {
            add_bad(p, line, entry, field, why, 1, p->row.t);
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
        add_fix(p, &f);
    }
}

static void tr_end(int c, void *user) {
    part *p = user;
    if (p->lines.nf) {
        if (c == -1) p->ended_mid_row = 1;
        if (!p->rc) finish_row(p);
        row_reset(p);
    }
    gs__csvlines_end(&p->lines, c);
}

/* Parses the part's byte range; results and failures stay in the part. */
static void *part_run(void *arg) {
    part *p = arg;
    struct csv_parser cp;
    char *buf = gs__malloc(CHUNK);
    int64_t off = p->start;
    if (!buf || csv_init(&cp, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        free(buf);
        part_nomem(p);
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

/* ---- the read as a whole ------------------------------------------------- */

enum { CRS_WGS84 = 0, CRS_GCJ02, CRS_BD09, CRS_OGR };

typedef struct rd {
    gs_ctx *ctx;
    const gs__trace_opts *o;
    gs__traces *out;
    int crs_mode;
    OGRSpatialReferenceH srs; /* the coordinates' CRS for CRS_OGR */
    int enc;                  /* ENC_* */
    iconv_t cd;               /* for ENC_ICONV */
    part *parts;
    int n_parts;
    uint32_t first_line; /* absolute line of each part's relative line 1 */
} rd;

static int is_utf8_name(const char *e) {
    return !strcasecmp(e, "UTF-8") || !strcasecmp(e, "UTF8");
}

/* Opens the decoder for `name` (an iconv encoding name). */
static int use_encoding(rd *r, const char *name) {
    r->cd = iconv_open("UTF-8", name);
    if (r->cd == (iconv_t)-1)
        return gs__err(r->ctx, GS_ERR_USAGE,
                       "{encoding} %s: unknown encoding (e.g. GB18030, GBK, "
                       "UTF-8)",
                       name);
    r->enc = ENC_ICONV;
    snprintf(r->out->encoding, sizeof r->out->encoding, "%s", name);
    return GS_OK;
}

/* Decodes member or column text into the traces' arena; NULL when it is
 * not valid in the encoding (or out of memory: *nomem set). */
static const char *decode(rd *r, const char *s, size_t n, int *nomem) {
    const char *out;
    if (!has_high(s, n) || r->enc != ENC_ICONV) {
        if (has_high(s, n) && !valid_utf8(s, n, 0)) return NULL;
        out = gs__arena_strdup(&r->out->strings, s);
    } else {
        char tmp[4 * MEMBER_MAX + 4], *in = (char *)s, *o = tmp;
        size_t inleft = n, outleft = sizeof tmp - 1;
        iconv(r->cd, NULL, NULL, NULL, NULL);
        if (n > MEMBER_MAX ||
            iconv(r->cd, &in, &inleft, &o, &outleft) == (size_t)-1 || inleft)
            return NULL;
        *o = '\0';
        if (!valid_utf8(tmp, (size_t)(o - tmp), 0)) return NULL;
        out = gs__arena_strdup(&r->out->strings, tmp);
    }
    if (!out) *nomem = 1;
    return out;
}

/* Finds the column of each field among `names` (case-insensitive): the
 * --field mapping, else the aliases. Missing required ones are
 * GS_ERR_INPUT_FIELD naming `where`, the field and the columns present. */
static int resolve_cols(rd *r, const char *where, const char *what,
                        const char *const *names, size_t n, int need_member,
                        int need_lonlat, int idx[R_COUNT]) {
    const gs_input_opts *in = r->o->input;
    for (int role = R_MEMBER; role < R_COUNT; role++) {
        const char *mapped =
            gs__io_mapped_field(in, "traces", role_field[role]);
        int required = role == R_TIME || (role == R_MEMBER && need_member) ||
                       ((role == R_LON || role == R_LAT) && need_lonlat);
        idx[role] = -1;
        if (!need_lonlat && (role == R_LON || role == R_LAT)) continue;
        if (mapped) {
            for (size_t i = 0; i < n && idx[role] < 0; i++)
                if (!strcasecmp(names[i], mapped)) idx[role] = (int)i;
        } else {
            for (int a = 0; role_alias[role][a] && idx[role] < 0; a++)
                for (size_t i = 0; i < n && idx[role] < 0; i++)
                    if (!strcasecmp(names[i], role_alias[role][a]))
                        idx[role] = (int)i;
        }
        if (idx[role] < 0 && (required || mapped)) {
            char list[600], looked[160];
            size_t n_alias = 0;
            join_names(list, sizeof list, names, n);
            if (mapped)
                return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                               "%s: %s '%s' (mapped to traces.%s with "
                               "{fields}) does not exist (%ss: %s)",
                               where, what, mapped, role_field[role], what,
                               list);
            while (role_alias[role][n_alias + 1]) n_alias++;
            join_names(looked, sizeof looked, role_alias[role] + 1, n_alias);
            return gs__err(r->ctx, GS_ERR_INPUT_FIELD,
                           "%s: missing required %s '%s' of traces (also "
                           "looked for %s; %ss: %s); map yours with {fields} "
                           "traces.%s=NAME",
                           where, what, role_field[role], looked, what, list,
                           role_field[role]);
        }
    }
    return GS_OK;
}

/* Collects the header's fields. */
typedef struct headrow {
    char **names;
    size_t n;
    int failed;
} headrow;

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

/* Decides the encoding from the head of the file when not given. */
static int sniff_encoding(rd *r, const char *head, size_t n, int bom) {
    const char *given = r->o->input ? r->o->input->encoding : NULL;
    if (bom) {
        if (given && !is_utf8_name(given))
            gs__warn(r->ctx,
                     "%s: the file starts with a UTF-8 byte-order mark; "
                     "reading it as UTF-8, not %s",
                     r->o->path, given);
        r->enc = ENC_UTF8;
        return GS_OK;
    }
    if (given) {
        if (is_utf8_name(given)) {
            r->enc = ENC_UTF8;
            return GS_OK;
        }
        return use_encoding(r, given);
    }
    if (!has_high(head, n)) return GS_OK; /* decided at the end */
    if (valid_utf8(head, n, 1)) {
        r->enc = ENC_UTF8;
        return GS_OK;
    }
    if (valid_gb18030(head, n, 1)) {
        /* UTF-8 text is valid GB18030 byte for byte: read as GB18030, the
         * UTF-8 rows of a file that mixes both would silently become
         * other characters. */
        long line = 1, utf8_line = 0, other_line = 0;
        for (size_t a = 0, b; a < n; a = b + 1, line++) {
            for (b = a; b < n && head[b] != '\n'; b++) continue;
            if (b == n) break; /* a line cut by the end of the head */
            if (!has_high(head + a, b - a)) continue;
            if (valid_utf8(head + a, b - a, 0)) {
                if (!utf8_line) utf8_line = line;
            } else if (!other_line) {
                other_line = line;
            }
        }
        if (utf8_line && other_line)
            return gs__err(r->ctx, GS_ERR_INPUT_ENCODING,
                           "%s, line %ld: text is not UTF-8, but line %ld is "
                           "UTF-8: the file mixes encodings (rows pasted "
                           "from a GBK file?); save it in one encoding",
                           r->o->path, other_line, utf8_line);
        return use_encoding(r, "GB18030");
    }
    r->enc = ENC_UTF8; /* neither: rows with bad text are reported */
    return GS_OK;
}

/* Cuts [start, end) into up to `want` parts at line starts. */
static int plan_parts(rd *r, int fd, int64_t start, int64_t end, int want,
                      unsigned char delim, const cols *c) {
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
        part *p = &r->parts[k];
        part_init(p);
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

static void free_parts(rd *r) {
    for (int k = 0; k < r->n_parts; k++) part_free(&r->parts[k]);
    free(r->parts);
    r->parts = NULL;
    r->n_parts = 0;
}

/* Runs the parts, the first in this thread. */
static int run_parts(rd *r) {
    pthread_t th[MAX_PARTS];
    int started[MAX_PARTS] = {0};
    for (int k = 1; k < r->n_parts; k++)
        started[k] = pthread_create(&th[k], NULL, part_run, &r->parts[k]) == 0;
    part_run(&r->parts[0]);
    for (int k = 1; k < r->n_parts; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            part_run(&r->parts[k]); /* no thread: do it here */
    }
    for (int k = 0; k < r->n_parts; k++)
        if (r->parts[k].rc)
            return gs__err(r->ctx, r->parts[k].rc, "%s: %s", r->o->path,
                           r->parts[k].err);
    return GS_OK;
}

static int read_csv(rd *r) {
    gs_ctx *ctx = r->ctx;
    const char *path = r->o->path;
    char *head = NULL;
    headrow hr = {NULL, 0, 0};
    cols c = {0, NULL, {0}};
    const char **names = NULL;
    struct csv_parser hp;
    int have_hp = 0, fd = -1, bom, rc, want;
    int64_t size, data_start;
    ssize_t got;
    size_t hl, line_end;
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
    hl = (size_t)bom;
    {
        /* Only white space: empty. A blank first line: no header. */
        size_t i = hl;
        int blank_line = 0;
        while (i < (size_t)got && (head[i] == ' ' || head[i] == '\t' ||
                                   head[i] == '\r' || head[i] == '\n'))
            blank_line |= head[i++] <= '\r';
        if (i == (size_t)got) {
            rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                         "%s (traces): empty file; expected a header line "
                         "member_id,time,lon,lat,accuracy_m and rows",
                         path);
            goto done;
        }
        if (blank_line) {
            rc = gs__err(ctx, GS_ERR_INPUT_FIELD,
                         "%s, line 1 (traces): the header line is empty; "
                         "expected member_id,time,lon,lat,accuracy_m",
                         path);
            goto done;
        }
    }
    /* The header is the first line; a name with a quoted newline is not
     * supported. */
    for (line_end = hl; line_end < (size_t)got && head[line_end] != '\n' &&
                        head[line_end] != '\r';
         line_end++)
        ;
    if (line_end == (size_t)got && (int64_t)got < size) {
        rc = gs__err(ctx, GS_ERR_INPUT_FIELD,
                     "%s (traces): the first line is longer than 1 MiB; "
                     "not a CSV header",
                     path);
        goto done;
    }
    data_start = (int64_t)line_end;
    if (line_end < (size_t)got) {
        data_start++;
        if (head[line_end] == '\r' && line_end + 1 < (size_t)got &&
            head[line_end + 1] == '\n')
            data_start++;
    }
    rc = sniff_encoding(r, head + bom, (size_t)got - (size_t)bom, bom);
    if (rc) goto done;
    if (r->enc == ENC_UTF8 && !r->out->encoding[0])
        snprintf(r->out->encoding, sizeof r->out->encoding, "UTF-8");

    if (csv_init(&hp, CSV_APPEND_NULL) != 0) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    have_hp = 1;
    csv_set_delim(&hp, delim);
    csv_parse(&hp, head + hl, line_end - hl, hr_field, NULL, &hr);
    csv_fini(&hp, hr_field, NULL, &hr);
    names = gs__calloc(hr.n + 1, sizeof *names);
    c.role = gs__calloc(hr.n + 1, 1);
    if (hr.failed || !names || !c.role) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < hr.n; i++) {
        int nomem = 0;
        char *t = hr.names[i];
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) t[--n] = '\0';
        while (*t == ' ' || *t == '\t') t++, n--;
        names[i] = r->enc == ENC_ICONV ? decode(r, t, n, &nomem) : NULL;
        if (nomem) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (!names[i]) names[i] = t;
    }
    c.n = hr.n;
    rc = resolve_cols(r, path, "column", names, hr.n, 1, 1, c.idx);
    if (rc) goto done;
    for (int role = R_MEMBER; role < R_COUNT; role++)
        if (c.idx[role] >= 0) c.role[c.idx[role]] = (unsigned char)role;

    r->first_line = 2;
    want = r->o->threads;
    if (want <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int64_t by_size = (size - data_start) / AUTO_PART_MIN;
        want = cpus > 0 ? (int)cpus : 1;
        if (by_size < want) want = (int)(by_size > 0 ? by_size : 1);
    }
    if (want > MAX_PARTS) want = MAX_PARTS;
    if (data_start < size) {
        rc = plan_parts(r, fd, data_start, size, want, delim, &c);
        if (rc) goto done;
        rc = run_parts(r);
        if (rc) goto done;
        for (int k = 0; k + 1 < r->n_parts; k++) {
            if (r->parts[k].ended_mid_row) {
                /* A quoted field straddles a cut: read it in one go. */
                free_parts(r);
                rc = plan_parts(r, fd, data_start, size, 1, delim, &c);
                if (rc) goto done;
                rc = run_parts(r);
                if (rc) goto done;
                break;
            }
        }
    }
done:
    if (rc) free_parts(r);
    if (have_hp) csv_free(&hp);
    headrow_free(&hr);
    free((void *)names);
    free(c.role);
    free(head);
    if (fd >= 0) close(fd); /* the parts have finished with it */
    for (int k = 0; k < r->n_parts; k++) {
        r->parts[k].fd = -1;
        r->parts[k].cols = NULL; /* `c` ends here */
    }
    return rc;
}

/* ---- OGR sources --------------------------------------------------------- */

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* The layer to read: --layer traces=NAME, a layer named "traces", for GPX
 * the first non-empty of track_points, route_points, waypoints, else the
 * only layer. */
static int pick_layer(rd *r, GDALDatasetH ds, int gpx, OGRLayerH *out) {
    const char *want = gs__io_mapped_layer(r->o->input, "traces");
    int n = GDALDatasetGetLayerCount(ds);
    const char *layers[32] = {NULL};
    char names[400];
    *out = NULL;
    if (want) {
        *out = GDALDatasetGetLayerByName(ds, want);
        if (*out) return GS_OK;
    } else {
        *out = GDALDatasetGetLayerByName(ds, "traces");
        if (!*out && gpx) {
            static const char *const gl[] = {"track_points", "route_points",
                                             "waypoints"};
            for (size_t i = 0; i < 3 && !*out; i++) {
                OGRLayerH l = GDALDatasetGetLayerByName(ds, gl[i]);
                if (l && OGR_L_GetFeatureCount(l, 1) > 0) *out = l;
            }
        }
        if (!*out && n == 1) *out = GDALDatasetGetLayer(ds, 0);
        if (*out) return GS_OK;
    }
    for (int i = 0; i < n && i < 32; i++)
        layers[i] = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
    join_names(names, sizeof names, layers, n < 32 ? (size_t)n : 32);
    if (want)
        return gs__err(r->ctx, GS_ERR_INPUT_OPEN,
                       "%s: no layer '%s' (traces; layers: %s)", r->o->path,
                       want, names);
    return gs__err(r->ctx, GS_ERR_INPUT_OPEN,
                   "%s: %s, and none is named 'traces'; choose one with "
                   "{layers} traces=NAME (layers: %s)",
                   r->o->path, n ? "several layers" : "no layers", names);
}

/* The field names of layer `lyr` (*out_names, NULL-terminated, borrowed
 * from the layer; free the array) and the columns of the roles (idx), as
 * resolve_cols finds them. */
static int layer_cols(rd *r, OGRLayerH lyr, const char *where, int need_member,
                      const char ***out_names, int *out_n, int idx[R_COUNT]) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(fd);
    const char **names = gs__calloc((size_t)nf + 1, sizeof *names);
    *out_names = names;
    *out_n = nf;
    if (!names) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nf; i++)
        names[i] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
    return resolve_cols(r, where, "field", names, (size_t)nf, need_member, 0,
                        idx);
}

/* The time of field `i`: DateTime fields honour their zone flag (0, 1:
 * local time in the zone; 100: UTC; 100+k: UTC + 15k minutes); text and
 * numbers (epochs) go through gs__time_parse. */
static int feature_time(part *p, OGRFeatureH f, int i, int64_t *out, char *why,
                        size_t size) {
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i));
    *out = GS__TIME_UNKNOWN;
    if (!OGR_F_IsFieldSetAndNotNull(f, i)) {
        snprintf(why, size, "empty");
        return -1;
    }
    if (t == OFTDateTime) {
        int y, mo, d, h, mi, tzf;
        float s;
        int64_t local;
        if (!OGR_F_GetFieldAsDateTimeEx(f, i, &y, &mo, &d, &h, &mi, &s, &tzf) ||
            mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
            mi > 59 || !(s >= 0 && s < 61)) {
            snprintf(why, size, "not a time");
            return -1;
        }
        if (tzf < 100) { /* unknown or local: the zone's wall time */
            if (gs__tz_local_to_utc(p->tz, y, mo, d, h, mi,
                                    s >= 60 ? 59.999 : s, out) == GS_OK)
                return 0;
            *out = GS__TIME_UNKNOWN;
            snprintf(why, size, "not a time");
            return -1;
        }
        local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
                (int64_t)h * 3600000 + (int64_t)mi * 60000 +
                (int64_t)floor((double)s * 1000.0 + 0.5);
        *out = local - (int64_t)(tzf - 100) * 15 * 60000;
        return 0;
    }
    if (t == OFTDate) {
        snprintf(why, size, "a date without a time of day");
        return -1;
    }
    if (gs__time_parse(p->tz, OGR_F_GetFieldAsString(f, i), out, why, size) !=
        GS_OK) {
        *out = GS__TIME_UNKNOWN;
        return -1;
    }
    return 0;
}

/* Reads one OGR feature into the part. */
static void read_feature(part *p, OGRFeatureH f, const int idx[R_COUNT],
                         uint32_t fixed_member) {
    GIntBig fid = OGR_F_GetFID(f);
    uint32_t line =
        fid >= 0 && fid < (GIntBig)UINT32_MAX ? (uint32_t)fid + 1 : 0;
    uint32_t entry = fixed_member;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    char why[96], full[160];
    int64_t t;
    gs__fix fx;
    if (entry == NO_ENTRY) {
        const char *m = OGR_F_IsFieldSetAndNotNull(f, idx[R_MEMBER])
                            ? OGR_F_GetFieldAsString(f, idx[R_MEMBER])
                            : "";
        size_t n;
        while (*m == ' ') m++;
        n = strlen(m);
        while (n && m[n - 1] == ' ') n--;
        if (n > MEMBER_MAX) {
            add_bad(p, line, NO_ENTRY, "member_id", "longer than 255 bytes", 0,
                    GS__TIME_UNKNOWN);
            return;
        }
        if (n) entry = intern_member(p, m, n);
        if (!n || entry == NO_ENTRY) {
            if (!p->rc)
                add_bad(p, line, NO_ENTRY, "member_id", "empty", 0,
                        GS__TIME_UNKNOWN);
            return;
        }
    }
    if (feature_time(p, f, idx[R_TIME], &t, why, sizeof why)) {
        const char *v = OGR_F_IsFieldSetAndNotNull(f, idx[R_TIME])
                            ? OGR_F_GetFieldAsString(f, idx[R_TIME])
                            : "";
        char sv[48];
        sanitize(v, strlen(v), sv, sizeof sv, 40);
        if (*v)
            snprintf(full, sizeof full, "%s ('%s')", why, sv);
        else
            snprintf(full, sizeof full, "%s", why);
        add_bad(p, line, entry, "time", full, 1, GS__TIME_UNKNOWN);
        return;
    }
    fx.accuracy_m = NAN;
    if (idx[R_ACC] >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx[R_ACC])) {
        const char *v = OGR_F_GetFieldAsString(f, idx[R_ACC]);
        const char *w = "negative";
        double a;
        int bad = parse_num(v, strlen(v), &a, &w);
        /* Empty text is no accuracy, as in a CSV: accuracy_m may be
         * empty. */
        if (bad && !strcmp(w, "empty")) {
            a = NAN;
        } else if (bad || a < 0) {
            char sv[48];
            sanitize(v, strlen(v), sv, sizeof sv, 40);
            snprintf(full, sizeof full, "%s ('%s')", w, sv);
            add_bad(p, line, entry, "accuracy_m", full, 1, t);
            return;
        }
        fx.accuracy_m = (float)a;
    }
    if (!g || OGR_G_IsEmpty(g)) {
        add_bad(p, line, entry, "geometry", "no point", 0, t);
        return;
    }
    if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
        snprintf(full, sizeof full, "a %s, not a point",
                 OGR_G_GetGeometryName(g));
        add_bad(p, line, entry, "geometry", full, 1, t);
        return;
    }
    fx.lon = OGR_G_GetX(g, 0);
    fx.lat = OGR_G_GetY(g, 0);
    if (!isfinite(fx.lon) || !isfinite(fx.lat)) {
        add_bad(p, line, entry, "geometry", "NaN or infinite coordinate", 0, t);
        return;
    }
    fx.t_ms = t;
    fx.member = entry;
    fx.line = line;
    add_fix(p, &fx);
}

static int read_ogr(rd *r) {
    gs_ctx *ctx = r->ctx;
    const char *path = r->o->path;
    const gs_input_opts *in = r->o->input;
    GDALDatasetH ds = NULL;
    OGRLayerH lyr;
    OGRFeatureH f;
    char **oo = NULL;
    const char **names = NULL;
    int rc = GS_OK, nf, gpx = has_suffix(path, ".gpx"), idx[R_COUNT];
    uint32_t fixed = NO_ENTRY;
    char where[600];
    part *p;

    if (in && in->encoding &&
        (has_suffix(path, ".shp") || has_suffix(path, ".dbf")))
        oo = CSLSetNameValue(oo, "ENCODING", in->encoding);
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(path,
                    GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                    NULL, (const char *const *)oo, NULL);
    CSLDestroy(oo);
    if (!ds) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s (traces): cannot open as a vector dataset "
                         "(truncated, damaged or not a GIS file?)",
                         path);
        goto done;
    }
    rc = pick_layer(r, ds, gpx, &lyr);
    if (rc) goto done;
    snprintf(r->out->layer, sizeof r->out->layer, "%s", OGR_L_GetName(lyr));
    if (r->o->where) {
        gs__libmsg_clear(ctx);
        if (OGR_L_SetAttributeFilter(lyr, r->o->where) != OGRERR_NONE) {
            rc = gs__err_lib(ctx, GS_ERR_INPUT_FIELD,
                             "%s, layer %s (traces): cannot select the "
                             "shard's members",
                             path, r->out->layer);
            goto done;
        }
    }
    snprintf(r->out->encoding, sizeof r->out->encoding, "%s",
             in && in->encoding &&
                     (has_suffix(path, ".shp") || has_suffix(path, ".dbf"))
                 ? in->encoding
                 : "UTF-8");
    snprintf(where, sizeof where, "%s, layer %s", path, r->out->layer);
    if (OGR_L_GetGeomType(lyr) == wkbNone) {
        rc = gs__err(ctx, GS_ERR_INPUT_GEOMETRY,
                     "%s (traces): has no geometry; give points, or a CSV "
                     "with lon and lat columns",
                     where);
        goto done;
    }
    rc = layer_cols(r, lyr, where, !gpx, &names, &nf, idx);
    if (rc) goto done;

    /* The layer's CRS, unless --trace-crs names one (kept as is). */
    if (r->crs_mode != CRS_OGR) {
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(lyr);
        if (lsrs) {
            r->srs = gs__srs_clone_gis(lsrs);
        } else if (in && in->assume_crs) {
            rc = gs__srs_from_user(ctx, in->assume_crs, &r->srs);
            if (rc) goto done;
        }
    }

    r->parts = gs__calloc(1, sizeof *r->parts);
    if (!r->parts) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    r->n_parts = 1;
    p = &r->parts[0];
    part_init(p);
    p->tz = r->o->tz;
    r->first_line = 1; /* lines are feature ids + 1 already */
    if (gpx && idx[R_MEMBER] < 0) {
        /* A GPX file is one device's log: the member is its name. */
        const char *base = strrchr(path, '/');
        char name[MEMBER_MAX + 1];
        size_t n;
        base = base ? base + 1 : path;
        n = strlen(base) - 4; /* ".gpx" */
        if (n > MEMBER_MAX) n = MEMBER_MAX;
        memcpy(name, base, n);
        name[n] = '\0';
        fixed = intern_member(p, name, n);
        if (fixed == NO_ENTRY) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    {
        /* Read only the fields we use. */
        const char **ignored = gs__calloc((size_t)nf + 2, sizeof *ignored);
        int k = 0;
        if (ignored) {
            for (int i = 0; i < nf; i++)
                if (i != idx[R_MEMBER] && i != idx[R_TIME] && i != idx[R_ACC])
                    ignored[k++] = names[i];
            ignored[k] = NULL;
            OGR_L_SetIgnoredFields(lyr, ignored);
            free((void *)ignored);
        }
    }
    OGR_L_ResetReading(lyr);
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        read_feature(p, f, idx, fixed);
        OGR_F_Destroy(f);
        if (p->rc) {
            rc = gs__err(ctx, p->rc, "%s: %s", where, p->err);
            goto done;
        }
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0]) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s: reading stopped after %zu features", where,
                         p->n_fix + p->n_bad);
        goto done;
    }
done:
    free((void *)names);
    if (ds) GDALClose(ds);
    return rc;
}

/* ---- PostgreSQL sources: COPY into the CSV reader ----------------------- */

/* Appends `name` as an SQL identifier; "schema.table" as two. */
static void pg_ident(gs__buf *b, const char *name, int split_dot) {
    const char *dot = split_dot ? strchr(name, '.') : NULL;
    if (dot) {
        gs__buf_printf(b, "\"%.*s\".", (int)(dot - name), name);
        name = dot + 1;
    }
    gs__buf_quote(b, name, '"');
}

/* A PostGIS table of points in a geographic CRS (or none): its columns are
 * found through OGR as for any layer, then the rows are fetched with COPY
 * (pgcopy.c) as member_id,time,lon,lat[,accuracy_m] CSV into an unlinked
 * temporary file, which read_csv parses. A layer OGR shows with another
 * geometry or a projected CRS is read through OGR instead. A bad row's
 * line is its place in the query's result plus one, which is OGR's line
 * (feature id + 1) for a table whose ids number its rows. GS_PG_TRACES_OGR
 * in the environment reads through OGR instead (tests compare the two). */
static int read_pg(rd *r) {
    gs_ctx *ctx = r->ctx;
    const gs__trace_opts *o = r->o;
    gs__trace_opts csv = *o;
    GDALDatasetH ds;
    OGRLayerH lyr = NULL;
    OGRSpatialReferenceH lsrs;
    gs__buf sql;
    const char **names = NULL, *geom;
    char where[600], fdpath[64], tmpl[4096];
    const char *tmpdir = getenv("TMPDIR");
    int rc, nf, idx[R_COUNT], fd_tmp = -1, split;

    gs__buf_init(&sql, 0);
    gs__libmsg_clear(ctx);
    ds = GDALOpenEx(o->path,
                    GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                    (const char *const[]){"PostgreSQL", NULL}, NULL, NULL);
    if (!ds) return read_ogr(r); /* which says why */
    rc = pick_layer(r, ds, 0, &lyr);
    if (rc) goto done;
    geom = OGR_L_GetGeometryColumn(lyr);
    lsrs = OGR_L_GetSpatialRef(lyr);
    if (wkbFlatten(OGR_L_GetGeomType(lyr)) != wkbPoint || !geom || !geom[0] ||
        (lsrs && !OSRIsGeographic(lsrs))) {
        GDALClose(ds);
        return read_ogr(r);
    }
    snprintf(r->out->layer, sizeof r->out->layer, "%s", OGR_L_GetName(lyr));
    snprintf(where, sizeof where, "%s, layer %s", o->path, r->out->layer);
    rc = layer_cols(r, lyr, where, 1, &names, &nf, idx);
    if (rc) goto done;
    /* The layer's CRS, unless --trace-crs names one, as read_ogr. */
    if (r->crs_mode != CRS_OGR && lsrs) r->srs = gs__srs_clone_gis(lsrs);

    /* Text as the CSV reader wants it: times cast to text (a timestamptz
     * in UTC, see pgcopy.c), a point's coordinates, anything else in
     * place of a point no coordinates (a bad row, as through OGR). */
    gs__buf_puts(&sql, "SELECT ");
    pg_ident(&sql, names[idx[R_MEMBER]], 0);
    gs__buf_puts(&sql, "::text AS member_id, ");
    pg_ident(&sql, names[idx[R_TIME]], 0);
    gs__buf_puts(&sql,
                 "::text AS time, ST_X(p.gs__pt) AS lon, "
                 "ST_Y(p.gs__pt) AS lat");
    if (idx[R_ACC] >= 0) {
        gs__buf_puts(&sql, ", ");
        pg_ident(&sql, names[idx[R_ACC]], 0);
        gs__buf_puts(&sql, "::text AS accuracy_m");
    }
    gs__buf_puts(&sql, " FROM ");
    /* OGR names a table outside the search path "schema.table". */
    split = strchr(r->out->layer, '.') != NULL;
    pg_ident(&sql, r->out->layer, split);
    gs__buf_puts(&sql, " t, LATERAL (SELECT CASE WHEN GeometryType(t.");
    pg_ident(&sql, geom, 0);
    gs__buf_puts(&sql, ") = 'POINT' THEN t.");
    pg_ident(&sql, geom, 0);
    gs__buf_puts(&sql, " END AS gs__pt) p");
    if (o->where) gs__buf_printf(&sql, " WHERE %s", o->where);
    if (sql.failed) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    GDALClose(ds);
    ds = NULL;

    /* Unlinked at once: the rows vanish with the process, however it
     * ends. */
    snprintf(tmpl, sizeof tmpl, "%s/gridsmith-traces-XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    fd_tmp = mkstemp(tmpl);
    if (fd_tmp < 0) {
        rc = gs__err(ctx, GS_ERR_IO, "%s: cannot make a temporary file: %s",
                     tmpl, strerror(errno));
        goto done;
    }
    unlink(tmpl);
    rc = gs__pg_copy_csv(ctx, o->path, sql.data, fd_tmp, where);
    if (rc) goto done;
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd_tmp);
    csv.path = fdpath;
    csv.input = NULL; /* the columns carry their role's names now */
    r->o = &csv;
    rc = read_csv(r);
    r->o = o;
    r->out->is_csv = 0;
    r->first_line = 1; /* the header is not counted: row k is line k + 1 */
done:
    free((void *)names);
    if (ds) GDALClose(ds);
    if (fd_tmp >= 0) close(fd_tmp);
    gs__buf_free(&sql);
    return rc;
}

/* ---- merging, conversion, checks ----------------------------------------- */

/* The global member table and each part's local -> global map. */
typedef struct merged {
    mtab g;
    uint32_t **map;
    int n_map;
} merged;

/* Unifies the parts' member tables, decides an undecided encoding from the
 * distinct ids, decodes them and numbers the members in first-seen order
 * of usable fixes. */
static int merge_members(rd *r, merged *mg) {
    gs__traces *out = r->out;
    size_t cap = 0;
    mg->map = gs__calloc((size_t)r->n_parts, sizeof *mg->map);
    if (!mg->map) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    mg->n_map = r->n_parts;
    for (int k = 0; k < r->n_parts; k++) {
        part *p = &r->parts[k];
        mg->map[k] = gs__malloc((p->members.n + 1) * sizeof **mg->map);
        if (!mg->map[k]) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        for (size_t e = 0; e < p->members.n; e++)
            if (mtab_intern(&mg->g, NULL, p->members.e[e].raw,
                            p->members.e[e].len, &mg->map[k][e]))
                return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    }
    if (r->enc == ENC_UNDECIDED) {
        int any = 0, all_utf8 = 1, all_gb = 1;
        for (size_t i = 0; i < mg->g.n; i++) {
            const mentry *e = &mg->g.e[i];
            if (!has_high(e->raw, e->len)) continue;
            any = 1;
            if (!valid_utf8(e->raw, e->len, 0)) all_utf8 = 0;
            if (!valid_gb18030(e->raw, e->len, 0)) all_gb = 0;
        }
        r->enc = ENC_UTF8;
        snprintf(out->encoding, sizeof out->encoding, "UTF-8");
        if (any && !all_utf8 && all_gb) {
            int rc = use_encoding(r, "GB18030");
            if (rc) return rc;
        }
    }
    for (size_t i = 0; i < mg->g.n; i++) {
        int nomem = 0;
        mg->g.e[i].text = decode(r, mg->g.e[i].raw, mg->g.e[i].len, &nomem);
        if (nomem) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < r->n_parts; k++) {
        part *p = &r->parts[k];
        for (size_t j = 0; j < p->n_good; j++) {
            mentry *e = &mg->g.e[mg->map[k][p->good[j]]];
            if (e->order != NO_ENTRY || !e->text) continue;
            if (out->n_members == cap) {
                const char **nv = gs__grow_array((void *)out->member_ids, &cap,
                                                 sizeof *nv, 256);
                if (!nv) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
                out->member_ids = nv;
            }
            e->order = (uint32_t)out->n_members;
            out->member_ids[out->n_members++] = e->text;
        }
    }
    return GS_OK;
}

/* A member id for a message: its text, else its raw bytes sanitised. */
static const char *member_text(rd *r, const mentry *e) {
    char tmp[MEMBER_MAX + 1];
    const char *s;
    if (e->text) return e->text;
    sanitize(e->raw, e->len, tmp, sizeof tmp, MEMBER_MAX);
    s = gs__arena_strdup(&r->out->strings, tmp);
    return s ? s : "";
}

/* Gives the pages of the first `bytes` of a large array back to the
 * system once they are copied, so that merging the parts does not double
 * the memory for a moment. Only whole pages past the block's first (which
 * holds malloc's header) are released; the array is freed afterwards. */
static void release_copied(void *base, size_t bytes) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)base + page) & ~(page - 1);
    uintptr_t b = ((uintptr_t)base + bytes) & ~(page - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

/* Concatenates the parts' fixes and bad rows with absolute lines and
 * global members. Fixes of members whose id cannot be decoded keep
 * BAD_MEMBER_FLAG | global entry, for check_fixes to report. */
static int merge_rows(rd *r, merged *mg) {
    gs__traces *out = r->out;
    size_t n_fix = 0, n_bad = 0, w;
    uint64_t base = r->first_line;
    for (int k = 0; k < r->n_parts; k++) {
        n_fix += r->parts[k].n_fix;
        n_bad += r->parts[k].n_bad;
    }
    /* The first part's array becomes the result: realloc moves pages
     * without copying them. */
    out->fixes = r->parts[0].fix;
    r->parts[0].fix = NULL;
    if (n_fix > r->parts[0].cap_fix || n_fix == 0) {
        gs__fix *nv = gs__realloc(out->fixes, (n_fix ? n_fix : 1) * sizeof *nv);
        if (!nv) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        out->fixes = nv;
    }
    out->bad = gs__malloc((n_bad ? n_bad : 1) * sizeof *out->bad);
    if (!out->bad) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    w = 0;
    for (int k = 0; k < r->n_parts; k++) {
        part *p = &r->parts[k];
        const gs__fix *src = k == 0 ? out->fixes : p->fix;
        for (size_t i = 0; i < p->n_fix; i++) {
            gs__fix f = src[i];
            const mentry *e = &mg->g.e[mg->map[k][f.member]];
            f.member =
                e->text ? e->order : (BAD_MEMBER_FLAG | mg->map[k][f.member]);
            f.line = (uint32_t)(base + f.line - 1);
            out->fixes[w++] = f;
            if (k > 0 && (i & 0xfffff) == 0xfffff)
                release_copied(p->fix, (i + 1) * sizeof *p->fix);
        }
        if (k > 0) {
            free(p->fix); /* copied: give the memory back now */
            p->fix = NULL;
        }
        for (size_t i = 0; i < p->n_bad; i++) {
            const rawbad *b = &p->bad[i];
            gs__badrow *o = &out->bad[out->n_bad++];
            o->line = (uint32_t)(base + b->line - 1);
            o->member_id = b->entry == NO_ENTRY
                               ? ""
                               : member_text(r, &mg->g.e[mg->map[k][b->entry]]);
            o->field = b->field;
            o->reason = gs__arena_strdup(&out->strings, b->reason);
            o->t_ms = b->t_ms;
            if (!o->reason)
                return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        }
        out->n_blank += p->n_blank;
        base += p->breaks;
        if (base > UINT32_MAX)
            return gs__err(r->ctx, GS_ERR_INPUT, "%s: more than %u lines",
                           r->o->path, UINT32_MAX);
    }
    out->n_fixes = w;
    return GS_OK;
}

/* Transforms the fixes from r->srs to WGS84 in batches; a point PROJ
 * cannot transform becomes NaN. */
static int transform_fixes(rd *r) {
    OGRSpatialReferenceH wgs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    double xs[4096], ys[4096];
    int ok[4096], rc;
    gs__traces *out = r->out;
    rc = gs__srs_from_user(r->ctx, "EPSG:4326", &wgs);
    if (rc) return rc;
    if (OSRIsSame(r->srs, wgs)) goto done;
    rc = gs__crs_transform(r->ctx, r->srs, wgs, &ct);
    if (rc) goto done;
    for (size_t i = 0; i < out->n_fixes; i += 4096) {
        size_t k = out->n_fixes - i < 4096 ? out->n_fixes - i : 4096;
        for (size_t j = 0; j < k; j++) {
            xs[j] = out->fixes[i + j].lon;
            ys[j] = out->fixes[i + j].lat;
        }
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OCTTransformEx(ct, (int)k, xs, ys, NULL, ok);
        CPLPopErrorHandler();
        for (size_t j = 0; j < k; j++) {
            out->fixes[i + j].lon = ok[j] ? xs[j] : NAN;
            out->fixes[i + j].lat = ok[j] ? ys[j] : NAN;
        }
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    return rc;
}

/* Moves fixes that turn out unusable after merging (undecodable member,
 * untransformable or out-of-range position) to bad rows, keeping both
 * lists in line order, and drops members left without fixes. */
static int check_fixes(rd *r, merged *mg) {
    gs__traces *out = r->out;
    gs__badrow *late = NULL, *all = NULL;
    size_t n_late = 0, cap_late = 0, w = 0;
    uint32_t *count = NULL;
    int rc = GS_OK;
    const char *crs_name = r->srs ? OSRGetName(r->srs) : NULL;
    for (size_t i = 0; i < out->n_fixes; i++) {
        gs__fix f = out->fixes[i];
        const char *field = NULL, *member;
        char why[200];
        if (f.member & BAD_MEMBER_FLAG) {
            field = "member_id";
            snprintf(why, sizeof why, "text is not valid %s",
                     out->encoding[0] ? out->encoding : "UTF-8");
            member = member_text(r, &mg->g.e[f.member & ~BAD_MEMBER_FLAG]);
        } else {
            member = out->member_ids[f.member];
            if (!isfinite(f.lon) || !isfinite(f.lat)) {
                field = "lon";
                snprintf(why, sizeof why,
                         "cannot be converted from %s to WGS84",
                         crs_name ? crs_name : "its CRS");
            } else {
                field = check_degrees(f.lon, f.lat, why, sizeof why);
                if (field && r->srs) {
                    size_t l = strlen(why);
                    snprintf(why + l, sizeof why - l,
                             " after conversion from %s: wrong CRS?",
                             crs_name ? crs_name : "its CRS");
                }
            }
        }
        if (!field) {
            out->fixes[w++] = f;
            continue;
        }
        if (n_late == cap_late) {
            gs__badrow *nv = gs__grow_array(late, &cap_late, sizeof *nv, 64);
            if (!nv) {
                rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            late = nv;
        }
        late[n_late].line = f.line;
        late[n_late].member_id = member;
        late[n_late].field = field;
        late[n_late].reason = gs__arena_strdup(&out->strings, why);
        late[n_late].t_ms = f.t_ms;
        if (!late[n_late].reason) {
            rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        n_late++;
    }
    out->n_fixes = w;
    if (!n_late) goto done;
    /* Merge the two line-ordered lists. */
    all = gs__malloc((out->n_bad + n_late) * sizeof *all);
    if (!all) {
        rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    {
        size_t a = 0, b = 0, k = 0;
        while (a < out->n_bad || b < n_late)
            all[k++] = (b == n_late ||
                        (a < out->n_bad && out->bad[a].line <= late[b].line))
                           ? out->bad[a++]
                           : late[b++];
    }
    free(out->bad);
    out->bad = all;
    out->n_bad += n_late;
    all = NULL;
    /* Members left without a fix go; the others keep their order. */
    count = gs__calloc(out->n_members + 1, sizeof *count);
    if (!count) {
        rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < out->n_fixes; i++) count[out->fixes[i].member]++;
    {
        size_t m = 0;
        for (size_t i = 0; i < out->n_members; i++) {
            uint32_t c = count[i];
            count[i] = c ? (uint32_t)m : NO_ENTRY;
            if (c) out->member_ids[m++] = out->member_ids[i];
        }
        if (m != out->n_members) {
            for (size_t i = 0; i < out->n_fixes; i++)
                out->fixes[i].member = count[out->fixes[i].member];
            out->n_members = m;
        }
    }
done:
    free(late);
    free(all);
    free(count);
    return rc;
}

typedef struct invert_job {
    gs__fix *f;
    size_t n;
    int mode;
} invert_job;

static void *invert_run(void *arg) {
    invert_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        gs__fix *f = &j->f[i];
        if (j->mode == CRS_GCJ02)
            gs__gcj02_to_wgs84(f->lon, f->lat, &f->lon, &f->lat);
        else
            gs__bd09_to_wgs84(f->lon, f->lat, &f->lon, &f->lat);
    }
    return NULL;
}

/* GCJ-02 / BD-09 -> WGS84, split over the cores: about a microsecond a
 * fix, eleven seconds for a city's week on one core. */
static void invert_fixes(rd *r) {
    invert_job jobs[MAX_PARTS];
    pthread_t th[MAX_PARTS];
    int started[MAX_PARTS] = {0};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cpus > 1 ? (int)(cpus < MAX_PARTS ? cpus : MAX_PARTS) : 1;
    size_t per;
    if (r->out->n_fixes < 100000) n = 1;
    per = (r->out->n_fixes + (size_t)n - 1) / (size_t)n;
    for (int k = 0; k < n; k++) {
        size_t a = per * (size_t)k, b = a + per;
        if (a > r->out->n_fixes) a = r->out->n_fixes;
        if (b > r->out->n_fixes) b = r->out->n_fixes;
        jobs[k].f = r->out->fixes + a;
        jobs[k].n = b - a;
        jobs[k].mode = r->crs_mode;
        if (k > 0)
            started[k] =
                pthread_create(&th[k], NULL, invert_run, &jobs[k]) == 0;
    }
    invert_run(&jobs[0]);
    for (int k = 1; k < n; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            invert_run(&jobs[k]);
    }
}

static int parse_trace_crs(rd *r) {
    const char *c = r->o->trace_crs;
    if (!c || !strcasecmp(c, "wgs84") || !strcasecmp(c, "wgs-84")) {
        r->crs_mode = CRS_WGS84;
    } else if (!strcasecmp(c, "gcj02") || !strcasecmp(c, "gcj-02")) {
        r->crs_mode = CRS_GCJ02;
    } else if (!strcasecmp(c, "bd09") || !strcasecmp(c, "bd-09")) {
        r->crs_mode = CRS_BD09;
    } else {
        int rc = gs__srs_from_user(r->ctx, c, &r->srs);
        if (rc) return rc;
        r->crs_mode = CRS_OGR;
    }
    return GS_OK;
}

int gs__traces_read(gs_ctx *ctx, const gs__trace_opts *o, gs__traces *out) {
    rd r;
    merged mg;
    int rc;

    memset(out, 0, sizeof *out);
    gs__arena_init(&out->strings);
    memset(&r, 0, sizeof r);
    memset(&mg, 0, sizeof mg);
    r.ctx = ctx;
    r.o = o;
    r.out = out;
    r.cd = (iconv_t)-1;
    if (!o || !o->path || !o->tz) {
        rc = gs__err(ctx, GS_ERR_USAGE, "traces: no path or time zone");
        goto done;
    }
    rc = parse_trace_crs(&r);
    if (rc) goto done;
    if (strncmp(o->path, "PG:", 3) != 0) {
        /* A folder would open as a set of CSV layers: say what it is. */
        struct stat st;
        if (stat(o->path, &st) != 0) {
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN, "%s (traces): %s", o->path,
                         strerror(errno));
            goto done;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                         "%s (traces): is a directory, not a file", o->path);
            goto done;
        }
    }
    if (has_suffix(o->path, ".csv") || has_suffix(o->path, ".tsv") ||
        has_suffix(o->path, ".txt"))
        rc = read_csv(&r);
    else if (!strncmp(o->path, "PG:", 3) && !getenv("GS_PG_TRACES_OGR"))
        rc = read_pg(&r);
    else
        rc = read_ogr(&r);
    if (rc) goto done;
    {
        size_t rows = 0;
        for (int k = 0; k < r.n_parts; k++)
            rows += r.parts[k].n_fix + r.parts[k].n_bad;
        if (rows == 0) {
            rc = gs__err(ctx, GS_ERR_INPUT_EMPTY, "%s%s%s (traces): no rows%s",
                         o->path, out->layer[0] ? ", layer " : "", out->layer,
                         out->is_csv ? " after the header" : "");
            goto done;
        }
    }
    rc = merge_members(&r, &mg);
    if (!rc) rc = merge_rows(&r, &mg);
    if (rc) goto done;
    if (r.srs) rc = transform_fixes(&r);
    if (!rc) rc = check_fixes(&r, &mg);
    if (rc) goto done;
    if (r.crs_mode == CRS_GCJ02 || r.crs_mode == CRS_BD09) invert_fixes(&r);
    if (out->n_fixes + out->n_bad == 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY, "%s (traces): no rows", o->path);
        goto done;
    }
    {
        /* Give back the capacity estimated for the parts. */
        gs__fix *nv = gs__realloc(
            out->fixes, (out->n_fixes ? out->n_fixes : 1) * sizeof *nv);
        if (nv) out->fixes = nv;
    }
done:
    free_parts(&r);
    for (int k = 0; k < mg.n_map; k++) free(mg.map[k]);
    free(mg.map);
    mtab_free(&mg.g);
    if (r.srs) OSRDestroySpatialReference(r.srs);
    if (r.cd != (iconv_t)-1) iconv_close(r.cd);
    if (rc) gs__traces_free(out);
    return rc;
}

void gs__traces_free(gs__traces *t) {
    if (!t) return;
    free(t->fixes);
    free((void *)t->member_ids);
    free(t->bad);
    gs__arena_free(&t->strings);
    memset(t, 0, sizeof *t);
}
