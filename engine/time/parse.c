/*
 * parse.c - reading times, dates, ISO weeks and months from text.
 *
 * gs__time_parse runs for every row of a trace file (eleven million a
 * week), so it is a hand-written digit parser, not sscanf or strptime: it
 * reads the civil fields and an offset if one is given, checks them
 * strictly (no day 31 in November, no hour 24), and leaves the zone's
 * offset to zone.c. The other parsers read command options and calendar
 * files and share its digit reader.
 */
#include <stdio.h>
#include <string.h>

#include "datetime_int.h"

static void set_why(char *why, size_t size, const char *msg) {
    if (why && size) snprintf(why, size, "%s", msg);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Skips spaces; returns a pointer to the first other character. */
static const char *skip_spaces(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Reads min..max digits at *p (a digit after them is left for the caller
 * to reject); -1 when there are fewer than min. */
static int digits(const char **p, int min, int max) {
    const char *s = *p;
    int v = 0, n = 0;
    while (n < max && is_digit(s[n])) v = v * 10 + (s[n++] - '0');
    if (n < min) return -1;
    *p = s + n;
    return v;
}

/* Epoch seconds (9-10 digits, optional fraction) or ms (12-13 digits):
 * `s` starts with `n` digits; a fraction and spaces may follow. */
static int parse_epoch(const char *s, size_t n, int64_t *out, char *why,
                       size_t size) {
    int64_t v = 0, ms = 0;
    const char *p = s + n;
    int k = 0;
    for (size_t i = 0; i < n && i < 18; i++) v = v * 10 + (s[i] - '0');
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            set_why(why, size, "not a time");
            return -1;
        }
        for (; is_digit(*p); p++, k++)
            if (k < 3) ms = ms * 10 + (*p - '0');
        for (int j = k; j < 3; j++) ms *= 10;
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p) {
        set_why(why, size, "not a time");
        return -1;
    }
    if (n == 9 || n == 10) {
        *out = v * 1000 + ms;
        return 0;
    }
    if ((n == 12 || n == 13) && k == 0) {
        *out = v;
        return 0;
    }
    if (n == 12 || n == 13) {
        set_why(why, size, "not a time (epoch milliseconds with a fraction)");
        return -1;
    }
    if (why && size)
        snprintf(why, size,
                 "not a time (%zu digits: epoch seconds have 9-10, "
                 "milliseconds 12-13)",
                 n);
    return -1;
}

/* Reads an optional zone at *pp: Z, +hh:mm, +hhmm, +hh, or UTC/GMT as
 * databases write; spaces before it are allowed ("08:30:00 +0800").
 * *out_has is 1 and *out_zone_ms its offset when one is there; *pp moves
 * past it. -1 with why for an offset that cannot be read or is out of
 * range. */
static int parse_zone(const char **pp, int *out_has, int64_t *out_zone_ms,
                      char *why, size_t size) {
    const char *p = skip_spaces(*pp);
    if (*p == 'Z' || *p == 'z') {
        *out_has = 1;
        p++;
    } else if (!strncmp(p, "UTC", 3) || !strncmp(p, "GMT", 3)) {
        *out_has = 1;
        p += 3;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if ((oh = digits(&p, 2, 2)) < 0) goto not_a_time;
        if (*p == ':') {
            p++;
            if ((om = digits(&p, 2, 2)) < 0) goto not_a_time;
        } else if (is_digit(*p)) {
            if ((om = digits(&p, 2, 2)) < 0) goto not_a_time;
        }
        if (oh > 18 || om > 59) {
            if (why && size)
                snprintf(why, size, "offset %c%02d:%02d", sign < 0 ? '-' : '+',
                         oh, om);
            return -1;
        }
        *out_has = 1;
        *out_zone_ms = sign * (oh * MS_PER_HOUR + om * INT64_C(60000));
    }
    *pp = p;
    return 0;
not_a_time:
    set_why(why, size, "not a time");
    return -1;
}

int gs__time_parse(gs__tz *tz, const char *text, int64_t *out_utc_ms, char *why,
                   size_t why_size) {
    const char *p = text;
    int y, mo, d, h, mi, s = 0, has_zone = 0;
    int64_t ms = 0, zone_ms = 0, local;
    size_t n = 0;
    char sep;

    *out_utc_ms = 0;
    if (!p) p = "";
    while (*p == ' ' || *p == '\t') p++;
    while (is_digit(p[n])) n++;
    if (n == 0) {
        set_why(why, why_size, *p ? "not a time" : "empty");
        return GS_ERR_INPUT_VALUE;
    }
    if (n != 4 || (p[4] != '-' && p[4] != '/')) {
        if (parse_epoch(p, n, out_utc_ms, why, why_size)) {
            *out_utc_ms = 0;
            return GS_ERR_INPUT_VALUE;
        }
        return GS_OK;
    }
    y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
        (p[3] - '0');
    sep = p[4];
    p += 5;
    if ((mo = digits(&p, 1, 2)) < 0 || *p++ != sep ||
        (d = digits(&p, 1, 2)) < 0)
        goto not_a_time;
    if (*p == 'T' || *p == 't') {
        p++;
    } else if (*p == ' ' || *p == '\t' || *p == '\0') {
        p = skip_spaces(p);
        if (*p == '\0') {
            set_why(why, why_size, "a date without a time of day");
            return GS_ERR_INPUT_VALUE;
        }
    } else {
        goto not_a_time;
    }
    if ((h = digits(&p, 1, 2)) < 0 || *p++ != ':' ||
        (mi = digits(&p, 2, 2)) < 0)
        goto not_a_time;
    if (*p == ':') {
        p++;
        if ((s = digits(&p, 2, 2)) < 0) goto not_a_time;
        if (*p == '.' || *p == ',') {
            int k = 0;
            p++;
            if (!is_digit(*p)) goto not_a_time;
            for (; is_digit(*p); p++, k++)
                if (k < 3) ms = ms * 10 + (*p - '0');
            for (; k < 3; k++) ms *= 10;
        }
    }
    if (parse_zone(&p, &has_zone, &zone_ms, why, why_size))
        return GS_ERR_INPUT_VALUE;
    while (*p == ' ' || *p == '\t') p++;
    if (*p) {
        set_why(why, why_size, "not a time (text after it)");
        return GS_ERR_INPUT_VALUE;
    }
    if (gs__civil_check(y, mo, d, h, mi, s, why, why_size))
        return GS_ERR_INPUT_VALUE;
    if (!has_zone && !tz) {
        set_why(why, why_size, "a local time, and no time zone to read it");
        return GS_ERR_INPUT_VALUE;
    }
    local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
            h * MS_PER_HOUR + mi * INT64_C(60000) + s * INT64_C(1000) + ms;
    *out_utc_ms =
        has_zone ? local - zone_ms : gs__tz_local_ms_to_utc(tz, local);
    return GS_OK;
not_a_time:
    set_why(why, why_size, "not a time");
    return GS_ERR_INPUT_VALUE;
}

int gs__date_parse(const char *text, int32_t *out_day) {
    const char *p = skip_spaces(text ? text : "");
    int y, mo, d;
    *out_day = 0;
    if ((y = digits(&p, 4, 4)) < 0 || *p++ != '-' ||
        (mo = digits(&p, 2, 2)) < 0 || *p++ != '-' ||
        (d = digits(&p, 2, 2)) < 0)
        return GS_ERR_INPUT_VALUE;
    p = skip_spaces(p);
    if (*p || gs__civil_check(y, mo, d, 0, 0, 0, NULL, 0))
        return GS_ERR_INPUT_VALUE;
    *out_day = gs__days_from_civil(y, mo, d);
    return GS_OK;
}

int gs__isoweek_parse(const char *text, int32_t *out_monday) {
    const char *p = skip_spaces(text ? text : "");
    int y, w, wy, weeks;
    int32_t jan4, monday1;
    *out_monday = 0;
    if ((y = digits(&p, 4, 4)) < 0 || *p++ != '-' || (*p != 'W' && *p != 'w'))
        return GS_ERR_INPUT_VALUE;
    p++;
    if ((w = digits(&p, 2, 2)) < 0) return GS_ERR_INPUT_VALUE;
    p = skip_spaces(p);
    if (*p || y < 1) return GS_ERR_INPUT_VALUE;
    /* A year has 53 ISO weeks when its December 28th is in week 53. */
    gs__iso_week(gs__days_from_civil(y, 12, 28), &wy, &weeks);
    if (w < 1 || w > weeks) return GS_ERR_INPUT_VALUE;
    jan4 = gs__days_from_civil(y, 1, 4); /* always in week 1 */
    monday1 = jan4 - (gs__weekday(jan4) - 1);
    *out_monday = monday1 + (w - 1) * 7;
    return GS_OK;
}

int gs__month_parse(const char *text, int32_t *out_first, int32_t *out_last) {
    int y, mo, n = 0;
    *out_first = *out_last = 0;
    while (*text == ' ') text++;
    if (sscanf(text, "%4d-%2d%n", &y, &mo, &n) != 2 || n != 7 ||
        text[4] != '-' || mo < 1 || mo > 12 || y < 1)
        return GS_ERR_INPUT_VALUE;
    for (const char *p = text + n; *p; p++)
        if (*p != ' ') return GS_ERR_INPUT_VALUE;
    *out_first = gs__days_from_civil(y, mo, 1);
    *out_last = (mo == 12 ? gs__days_from_civil(y + 1, 1, 1)
                          : gs__days_from_civil(y, mo + 1, 1)) -
                1;
    return GS_OK;
}
