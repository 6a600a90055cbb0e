/*
 * text.h - bytes as text, shared by the readers of this folder (text.c):
 * file suffixes, name lists for messages, the byte structure of UTF-8 and
 * GB18030, quoting a bad value, and decimal numbers.
 *
 * None of these take a context: they run per row or per field and say
 * what went wrong through their return value.
 */
#ifndef GS_IO_TEXT_H
#define GS_IO_TEXT_H

#include <stddef.h>

/* 1 when `s` ends with `suffix`, compared case-insensitively. */
int gs__has_suffix(const char *s, const char *suffix);

/* 1 when `path` names a delimited text file (.csv, .tsv, .txt; also
 * .csv.gz... under /vsigzip/), which the readers take as CSV: line
 * numbers instead of feature ids. */
int gs__is_csv_path(const char *path);

/* "a, b, c" into buf, cut to fit; "none" for no names. */
void gs__join_names(char *buf, size_t size, const char *const *names, size_t n);

/* Parses a decimal number (sign, digits, fraction, exponent), spaces
 * around allowed. With at most 15 digits and no exponent the value is
 * m / 10^k with both exact, hence correctly rounded (Clinger's fast path);
 * anything else goes to strtod. 0, or -1 with *why ("empty", "NaN", "not
 * a number"...; static text). A number parsed holds no byte but spaces,
 * tabs, a sign, digits, a point and an exponent: the trace reader counts
 * no line breaks in it. */
int gs__parse_num(const char *s, size_t len, double *out, const char **why);

/* 1 when any of the n bytes is not ASCII. */
int gs__has_high(const char *s, size_t n);

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF). With
 * `trunc_ok`, a sequence cut by the end of the buffer is accepted. */
int gs__utf8_valid(const char *s, size_t n, int trunc_ok);

/* Byte structure of GB18030: ASCII, two bytes (81-FE, 40-7E|80-FE) or four
 * (81-FE, 30-39, 81-FE, 30-39). With `trunc_ok` as gs__utf8_valid. */
int gs__gb18030_valid(const char *s, size_t n, int trunc_ok);

/* ASCII with other bytes as '?', at most `max` bytes (then "..."): for
 * quoting a bad value in a reason without putting invalid text into
 * outputs. */
void gs__sanitize(const char *s, size_t n, char *out, size_t size, size_t max);

#endif /* GS_IO_TEXT_H */
