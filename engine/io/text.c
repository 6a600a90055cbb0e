/*
 * text.c - bytes as text: suffixes, name lists, the byte structure of
 * encodings, quoting, decimal numbers.
 *
 * Both readers of this folder need these (the layer readers for file
 * kinds, the trace reader for everything else); they hold no state and
 * allocate nothing, so the trace reader's threads call them freely. The
 * number parser is on the trace reader's hot path (three numbers a row,
 * eleven million rows a week), hence hand-written rather than strtod.
 */
#define _DEFAULT_SOURCE /* strcasecmp with -std=c11 */
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gs__has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int gs__is_csv_path(const char *path) {
    /* A gzipped one read through GDAL's /vsigzip/ is one too. */
    if (strncmp(path, "/vsigzip/", 9) == 0)
        return gs__has_suffix(path, ".csv.gz") ||
               gs__has_suffix(path, ".tsv.gz") ||
               gs__has_suffix(path, ".txt.gz") ||
               gs__has_suffix(path, ".csv") || gs__has_suffix(path, ".tsv") ||
               gs__has_suffix(path, ".txt");
    return gs__has_suffix(path, ".csv") || gs__has_suffix(path, ".tsv") ||
           gs__has_suffix(path, ".txt");
}

void gs__join_names(char *buf, size_t size, const char *const *names,
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
int gs__parse_num(const char *s, size_t len, double *out, const char **why) {
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

int gs__has_high(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 1;
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF). With
 * `trunc_ok`, a sequence cut by the end of the buffer is accepted. */
int gs__utf8_valid(const char *str, size_t n, int trunc_ok) {
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
int gs__gb18030_valid(const char *str, size_t n, int trunc_ok) {
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
void gs__sanitize(const char *s, size_t n, char *out, size_t size, size_t max) {
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
