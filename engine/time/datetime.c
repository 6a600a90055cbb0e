/*
 * ptime.c - instants, time zones, calendar days and ISO weeks.
 *
 * Time zones come from ICU's database (a UCalendar per gs__tz), never from
 * hand-written rules: zones change by government decree and ICU follows
 * the tz database. ICU is slow per call (a UCalendar recomputes all its
 * fields on every setMillis, about a microsecond), and patrol parses some
 * eleven million timestamps a week, so ICU is asked only through a small
 * direct-mapped cache of offsets per UTC hour:
 *
 *   text --hand-written digit parser--> civil fields (+ offset if given)
 *        --days_from_civil--> local ms --offset cache (ICU on a miss)--> UTC
 *
 * An hour is cached as "uniform" when ICU gives the same offset at its
 * first and last millisecond; an hour holding a transition is marked
 * non-uniform and every lookup in it goes to ICU, so the cache never
 * changes an answer, only its cost. A week of traces touches 168 hours.
 *
 * Local wall time to UTC looks at the offsets a day before and after: when
 * they agree (the common case, and always in Asia/Shanghai since 1991) the
 * answer is immediate; around a transition both candidate instants are
 * checked, the earlier kept when both exist (clocks set back), and a wall
 * time inside a gap (clocks set forward) is read with the offset before
 * the change. Dates are proleptic Gregorian, converted with the
 * days-from-civil algorithms (Howard Hinnant's, public domain), which are
 * exact for every int32 day.
 */
#include "datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/utypes.h>

#define MS_PER_HOUR INT64_C(3600000)
#define TZ_CACHE_SLOTS 1024 /* a power of two; 42 days of hours */
#define TZ_ID_MAX 64

typedef struct tz_slot {
    int64_t hour; /* UTC hour index, INT64_MIN when empty */
    int32_t offset_ms;
    int32_t uniform; /* the offset holds for the whole hour */
} tz_slot;

struct gs__tz {
    UCalendar *cal;
    char id[TZ_ID_MAX];
    tz_slot cache[TZ_CACHE_SLOTS];
};

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* ---- zones --------------------------------------------------------------- */

int gs__tz_open(gs_ctx *ctx, const char *zone, gs__tz **out_tz) {
    UChar uid[TZ_ID_MAX], canon[TZ_ID_MAX];
    UErrorCode st = U_ZERO_ERROR;
    UBool is_system = 0;
    gs__tz *tz = NULL;
    size_t n;
    int rc = GS_OK;

    *out_tz = NULL;
    if (!zone) zone = "Asia/Shanghai";
    n = strlen(zone);
    if (n == 0 || n >= TZ_ID_MAX)
        return gs__err(ctx, GS_ERR_USAGE,
                       "time zone '%s': not a zone name (use an IANA name "
                       "such as Asia/Shanghai)",
                       zone);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)zone[i] < 0x20 || (unsigned char)zone[i] > 0x7e)
            return gs__err(ctx, GS_ERR_USAGE,
                           "time zone '%s': not a zone name (use an IANA "
                           "name such as Asia/Shanghai)",
                           zone);
        uid[i] = (UChar)zone[i];
    }
    /* ucal_open quietly falls back to GMT ("Etc/Unknown") for a name it
     * does not know; canonicalising first is how ICU says "unknown". */
    ucal_getCanonicalTimeZoneID(uid, (int32_t)n, canon, TZ_ID_MAX, &is_system,
                                &st);
    if (U_FAILURE(st))
        return gs__err(ctx, GS_ERR_USAGE,
                       "time zone '%s': unknown to ICU's time zone "
                       "database (use an IANA name such as Asia/Shanghai)",
                       zone);
    tz = gs__calloc(1, sizeof *tz);
    if (!tz) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    st = U_ZERO_ERROR;
    tz->cal = ucal_open(uid, (int32_t)n, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || !tz->cal) {
        rc = gs__err(ctx, GS_ERR_INTERNAL,
                     "time zone '%s': ICU cannot open a calendar (%s)", zone,
                     u_errorName(st));
        goto done;
    }
    memcpy(tz->id, zone, n + 1);
    for (size_t i = 0; i < TZ_CACHE_SLOTS; i++) tz->cache[i].hour = INT64_MIN;
    *out_tz = tz;
    tz = NULL;
done:
    gs__tz_close(tz);
    return rc;
}

void gs__tz_close(gs__tz *tz) {
    if (!tz) return;
    if (tz->cal) ucal_close(tz->cal);
    free(tz);
}

const char *gs__tz_id(const gs__tz *tz) { return tz->id; }

/* The offset straight from ICU. ICU fails only for instants outside its
 * range (beyond +-5.8 million years), which no caller produces; 0 then. */
static int32_t icu_offset(gs__tz *tz, int64_t utc_ms) {
    UErrorCode st = U_ZERO_ERROR;
    int32_t zone, dst;
    ucal_setMillis(tz->cal, (UDate)utc_ms, &st);
    zone = ucal_get(tz->cal, UCAL_ZONE_OFFSET, &st);
    dst = ucal_get(tz->cal, UCAL_DST_OFFSET, &st);
    return U_FAILURE(st) ? 0 : zone + dst;
}

int64_t gs__tz_offset_ms(gs__tz *tz, int64_t utc_ms) {
    int64_t hour = floor_div(utc_ms, MS_PER_HOUR);
    tz_slot *s = &tz->cache[(uint64_t)hour & (TZ_CACHE_SLOTS - 1)];
    if (s->hour != hour) {
        int32_t a = icu_offset(tz, hour * MS_PER_HOUR);
        int32_t b = icu_offset(tz, hour * MS_PER_HOUR + MS_PER_HOUR - 1);
        s->hour = hour;
        s->offset_ms = a;
        s->uniform = a == b;
    }
    return s->uniform ? s->offset_ms : icu_offset(tz, utc_ms);
}

/* Local wall-clock ms (as if the zone were UTC) -> instant; see the top. */
static int64_t local_ms_to_utc(gs__tz *tz, int64_t local_ms) {
    int64_t before = gs__tz_offset_ms(tz, local_ms - GS__MS_PER_DAY);
    int64_t after = gs__tz_offset_ms(tz, local_ms + GS__MS_PER_DAY);
    int64_t u1 = local_ms - before, u2 = local_ms - after;
    int ok1 = gs__tz_offset_ms(tz, u1) == before;
    int ok2;
    if (before == after && ok1) return u1;
    ok2 = gs__tz_offset_ms(tz, u2) == after;
    if (ok1 && ok2) return u1 < u2 ? u1 : u2; /* repeated: the earlier */
    if (ok1) return u1;
    if (ok2) return u2;
    return u1; /* skipped: read with the offset before the change */
}

/* ---- civil dates --------------------------------------------------------- */

int32_t gs__days_from_civil(int y, int mo, int d) {
    int64_t yy = (int64_t)y - (mo <= 2);
    int64_t era = floor_div(yy, 400);
    int64_t yoe = yy - era * 400;
    int64_t mp = (mo + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void gs__civil_from_days(int32_t day, int *out_y, int *out_mo, int *out_d) {
    int64_t z = (int64_t)day + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t mo = mp < 10 ? mp + 3 : mp - 9;
    *out_y = (int)(yoe + era * 400 + (mo <= 2));
    *out_mo = (int)mo;
    *out_d = (int)d;
}

static int is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int mo) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mo == 2 && is_leap(y) ? 29 : dim[mo - 1];
}

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

static void set_why(char *why, size_t size, const char *msg) {
    if (why && size) snprintf(why, size, "%s", msg);
}

/* Checks y-mo-d and h:mi:s (s may be absent as 0); on failure writes why
 * ("month 13", "day 31 in November") and returns -1. */
static int check_fields(int y, int mo, int d, int h, int mi, int s, char *why,
                        size_t size) {
    if (y < 1) {
        set_why(why, size, "year 0");
        return -1;
    }
    if (mo < 1 || mo > 12) {
        if (why && size) snprintf(why, size, "month %d", mo);
        return -1;
    }
    if (d < 1 || d > days_in_month(y, mo)) {
        if (why && size) {
            if (mo == 2 && d == 29)
                snprintf(why, size,
                         "day 29 in February %d (not a leap "
                         "year)",
                         y);
            else
                snprintf(why, size, "day %d in %s", d, month_names[mo - 1]);
        }
        return -1;
    }
    if (h < 0 || h > 23) {
        if (why && size) snprintf(why, size, "hour %d", h);
        return -1;
    }
    if (mi < 0 || mi > 59) {
        if (why && size) snprintf(why, size, "minute %d", mi);
        return -1;
    }
    if (s < 0 || s > 59) {
        if (why && size) snprintf(why, size, "second %d", s);
        return -1;
    }
    return 0;
}

int gs__tz_local_to_utc(gs__tz *tz, int y, int mo, int d, int h, int mi,
                        double s, int64_t *out_utc_ms) {
    int64_t local;
    *out_utc_ms = 0;
    if (!(s >= 0.0 && s < 60.0) || y > 9999 ||
        check_fields(y, mo, d, h, mi, 0, NULL, 0))
        return GS_ERR_INPUT_VALUE;
    local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
            h * MS_PER_HOUR + mi * INT64_C(60000) +
            (int64_t)floor(s * 1000.0 + 0.5);
    *out_utc_ms = local_ms_to_utc(tz, local);
    return GS_OK;
}

int32_t gs__local_day(gs__tz *tz, int64_t utc_ms) {
    return (int32_t)floor_div(utc_ms + gs__tz_offset_ms(tz, utc_ms),
                              GS__MS_PER_DAY);
}

int64_t gs__day_start_utc(gs__tz *tz, int32_t day) {
    return local_ms_to_utc(tz, (int64_t)day * GS__MS_PER_DAY);
}

/* ---- parsing ------------------------------------------------------------- */

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
    /* The zone: Z, +hh:mm, +hhmm, +hh, or UTC/GMT as databases write;
     * spaces before it are allowed ("08:30:00 +0800"). */
    p = skip_spaces(p);
    if (*p == 'Z' || *p == 'z') {
        has_zone = 1;
        p++;
    } else if (!strncmp(p, "UTC", 3) || !strncmp(p, "GMT", 3)) {
        has_zone = 1;
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
            if (why && why_size)
                snprintf(why, why_size, "offset %c%02d:%02d",
                         sign < 0 ? '-' : '+', oh, om);
            return GS_ERR_INPUT_VALUE;
        }
        has_zone = 1;
        zone_ms = sign * (oh * MS_PER_HOUR + om * INT64_C(60000));
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p) {
        set_why(why, why_size, "not a time (text after it)");
        return GS_ERR_INPUT_VALUE;
    }
    if (check_fields(y, mo, d, h, mi, s, why, why_size))
        return GS_ERR_INPUT_VALUE;
    if (!has_zone && !tz) {
        set_why(why, why_size, "a local time, and no time zone to read it");
        return GS_ERR_INPUT_VALUE;
    }
    local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
            h * MS_PER_HOUR + mi * INT64_C(60000) + s * INT64_C(1000) + ms;
    *out_utc_ms = has_zone ? local - zone_ms : local_ms_to_utc(tz, local);
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
    if (*p || check_fields(y, mo, d, 0, 0, 0, NULL, 0))
        return GS_ERR_INPUT_VALUE;
    *out_day = gs__days_from_civil(y, mo, d);
    return GS_OK;
}

/* Writes v as exactly `width` digits. */
static void put_digits(char *out, int v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void gs__date_format(int32_t day, char out[11]) {
    int y, mo, d;
    gs__civil_from_days(day, &y, &mo, &d);
    if (y < 0) {
        y = 0;
        mo = d = 1;
    } else if (y > 9999) {
        y = 9999;
        mo = 12;
        d = 31;
    }
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, mo, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

int gs__weekday(int32_t day) {
    return (int)(((int64_t)day + 3) - floor_div((int64_t)day + 3, 7) * 7) + 1;
}

/* The ISO year and week of a day. */
static void iso_week(int32_t day, int *out_year, int *out_week) {
    int32_t thursday = day - (gs__weekday(day) - 1) + 3;
    int y, mo, d;
    gs__civil_from_days(thursday, &y, &mo, &d);
    *out_year = y;
    *out_week = (thursday - gs__days_from_civil(y, 1, 1)) / 7 + 1;
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
    iso_week(gs__days_from_civil(y, 12, 28), &wy, &weeks);
    if (w < 1 || w > weeks) return GS_ERR_INPUT_VALUE;
    jan4 = gs__days_from_civil(y, 1, 4); /* always in week 1 */
    monday1 = jan4 - (gs__weekday(jan4) - 1);
    *out_monday = monday1 + (w - 1) * 7;
    return GS_OK;
}

void gs__isoweek_format(int32_t day, char out[9]) {
    int y, w;
    iso_week(day, &y, &w);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    put_digits(out, y, 4);
    out[4] = '-';
    out[5] = 'W';
    put_digits(out + 6, w, 2);
    out[8] = '\0';
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

int gs__period_parse(gs_ctx *ctx, const char *week, const char *month,
                     const char *from, const char *to, int *out_given,
                     int32_t *out_day0, int32_t *out_day1) {
    int kinds = (week != NULL) + (month != NULL) + (from || to);
    *out_given = 0;
    *out_day0 = *out_day1 = 0;
    if (kinds > 1 && month)
        return gs__err(ctx, GS_ERR_USAGE,
                       "give one period: {week}, {month} or {from}/{to}");
    if (kinds > 1)
        return gs__err(ctx, GS_ERR_USAGE,
                       "give one period: {week} or {from}/{to}");
    if (week) {
        if (gs__isoweek_parse(week, out_day0))
            return gs__err(ctx, GS_ERR_USAGE,
                           "{week} '%s': expected an ISO week such as "
                           "2026-W47",
                           week);
        *out_day1 = *out_day0 + 6;
    } else if (month) {
        if (gs__month_parse(month, out_day0, out_day1))
            return gs__err(ctx, GS_ERR_USAGE,
                           "{month} '%s': expected a month such as 2026-11",
                           month);
    } else if (from || to) {
        if (!from || !to || gs__date_parse(from, out_day0) ||
            gs__date_parse(to, out_day1))
            return gs__err(ctx, GS_ERR_USAGE,
                           "{from}/{to}: expected two dates such as "
                           "2026-11-16, got '%s' and '%s'",
                           from ? from : "", to ? to : "");
        if (*out_day1 < *out_day0 || *out_day1 - *out_day0 > 370)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{from} %s {to} %s: the period must run forwards "
                           "and last at most a year",
                           from, to);
    } else {
        return GS_OK;
    }
    *out_given = 1;
    return GS_OK;
}

void gs__utc_format(int64_t utc_ms, char out[21]) {
    int64_t s = utc_ms >= 0 ? utc_ms / 1000 : (utc_ms - 999) / 1000;
    int32_t day = (int32_t)(s >= 0 ? s / 86400 : (s - 86399) / 86400);
    int64_t sec = s - (int64_t)day * 86400;
    int y, mo, d;
    gs__civil_from_days(day, &y, &mo, &d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
             (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    memcpy(out, tmp, 20);
    out[20] = '\0';
}
