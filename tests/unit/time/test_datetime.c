/*
 * test_datetime.c - time parsing, zones, days, ISO weeks, months, the
 * period options and the workday calendar (datetime.h, calendar.h).
 *
 * Expected instants are computed by hand from the Unix epoch: 2026-11-16
 * is day 20773 (56 years of 365 days + 14 leap days from 1970 to 2025,
 * plus 319 days into 2026), so 2026-11-16T00:00:00Z = 20773 * 86400 s =
 * 1,794,787,200 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "harness.h"
#include "datetime.h"

static gs_ctx *ctx;
static gs__tz *sh;  /* Asia/Shanghai */
static gs__tz *chi; /* America/Chicago */

#define NOV16_UTC_MS INT64_C(1794787200000) /* 2026-11-16T00:00:00Z */
#define H_MS INT64_C(3600000)

static int64_t parse_ok(const char *s) {
    int64_t t = -1;
    char why[80] = "";
    int rc = gs__time_parse(sh, s, &t, why, sizeof why);
    if (rc != GS_OK) printf("  '%s' rejected: %s\n", s, why);
    return rc == GS_OK ? t : INT64_MIN;
}

/* The reason a parse fails, or "(accepted)". */
static const char *parse_why(const char *s) {
    static char why[80];
    int64_t t = 0;
    snprintf(why, sizeof why, "(accepted)");
    if (gs__time_parse(sh, s, &t, why, sizeof why) == GS_OK)
        snprintf(why, sizeof why, "(accepted)");
    else
        CHECK(t == 0);
    return why;
}

TEST(civil_days) {
    int y, m, d;
    CHECK(gs__days_from_civil(1970, 1, 1) == 0);
    CHECK(gs__days_from_civil(2026, 11, 16) == 20773);
    CHECK(gs__days_from_civil(1969, 12, 31) == -1);
    CHECK(gs__days_from_civil(2000, 3, 1) - gs__days_from_civil(2000, 2, 28) ==
          2); /* 2000 is a leap year */
    CHECK(gs__days_from_civil(1900, 3, 1) - gs__days_from_civil(1900, 2, 28) ==
          1); /* 1900 is not */
    for (int32_t day = -800000; day < 800000; day += 997) {
        gs__civil_from_days(day, &y, &m, &d);
        if (gs__days_from_civil(y, m, d) != day) {
            CHECK(gs__days_from_civil(y, m, d) == day);
            return;
        }
    }
    gs__civil_from_days(20773, &y, &m, &d);
    CHECK(y == 2026 && m == 11 && d == 16);
}

TEST(iso_formats_with_offsets) {
    int64_t want = NOV16_UTC_MS + 30 * 60000; /* 00:30Z */
    CHECK(parse_ok("2026-11-16T08:30:00+08:00") == want);
    CHECK(parse_ok("2026-11-16T08:30:00+0800") == want);
    CHECK(parse_ok("2026-11-16T08:30:00+08") == want);
    CHECK(parse_ok("2026-11-16T00:30:00Z") == want);
    CHECK(parse_ok("2026-11-16T00:30:00z") == want);
    CHECK(parse_ok("2026-11-15T19:30:00-05:00") == want);
    CHECK(parse_ok("2026-11-16T06:00:00+05:30") == want);
    CHECK(parse_ok("2026-11-16T00:30Z") == want); /* no seconds */
    CHECK(parse_ok("  2026-11-16T00:30:00Z  ") == want);
    CHECK(parse_ok("2026-11-16 08:30:00 +0800") == want);
    CHECK(parse_ok("2026-11-16 00:30:00 UTC") == want);
    CHECK(parse_ok("2026-11-16 00:30:00GMT") == want);
}

TEST(local_formats_in_shanghai) {
    int64_t want = NOV16_UTC_MS + 30 * 60000; /* 08:30 +08:00 */
    CHECK(parse_ok("2026-11-16T08:30:00") == want);
    CHECK(parse_ok("2026-11-16 08:30:00") == want);
    CHECK(parse_ok("2026/11/16 08:30:00") == want);
    CHECK(parse_ok("2026/11/16 8:30") == want); /* as Excel writes it */
    CHECK(parse_ok("2026-11-16 08:30") == want);
    CHECK(parse_ok("2026-11-16  08:30:00") == want);
}

TEST(fractional_seconds_truncate_to_ms) {
    int64_t base = NOV16_UTC_MS + 30 * 60000;
    CHECK(parse_ok("2026-11-16T08:30:00.5+08:00") == base + 500);
    CHECK(parse_ok("2026-11-16T08:30:00.123+08:00") == base + 123);
    CHECK(parse_ok("2026-11-16T00:30:00.123999Z") == base + 123);
    CHECK(parse_ok("2026-11-16 08:30:00,25") == base + 250);
}

TEST(epoch_seconds_and_ms) {
    CHECK(parse_ok("1794789000") == NOV16_UTC_MS + 30 * 60000);
    CHECK(parse_ok("1794789000.25") == NOV16_UTC_MS + 30 * 60000 + 250);
    CHECK(parse_ok("1794789000123") == NOV16_UTC_MS + 30 * 60000 + 123);
    CHECK(parse_ok("999999999") == INT64_C(999999999000));    /* 9 digits */
    CHECK(parse_ok("100000000000") == INT64_C(100000000000)); /* 12 */
    CHECK(strstr(parse_why("17947890001"), "11 digits") != NULL);
    CHECK(strstr(parse_why("12345"), "5 digits") != NULL);
}

/* Each text and the reason it is refused with. */
static const char *const invalid[][2] = {
    {"2026-13-01 08:00:00", "month 13"},
    {"2026-00-01 08:00:00", "month 0"},
    {"2026-11-31 08:00:00", "day 31 in November"},
    {"2026-04-00 08:00:00", "day 0 in April"},
    {"2026-11-16 25:00:00", "hour 25"},
    {"2026-11-16 24:00:00", "hour 24"},
    {"2026-11-16 08:60:00", "minute 60"},
    {"2026-11-16 08:30:60", "second 60"},
    {"2026-11-16T08:30:00+25:00", "offset +25:00"},
    {"2026-11-16 08:30:00x", "not a time (text after it)"},
    {"2026-11-16T08:30:00+08:00 extra", "not a time (text after it)"},
    {"2026-11-16", "a date without a time of day"},
    {"2026-11-16  ", "a date without a time of day"},
    {"2026-11-16 08:30:00 UT", "not a time (text after it)"},
    {"yesterday", "not a time"},
    {"", "empty"},
    {"   ", "empty"},
    {"2026-11/16 08:30:00", "not a time"},
    {"2026-11-16T8:3:00", "not a time"},
    {"NaN", "not a time"},
    {"2026-11-16T08:30:00.", "not a time"},
    {"2026-11-16T08:30:00+080", "not a time"},
    {"1794789000123.5", "not a time (epoch milliseconds with a fraction)"},
};

TEST(invalid_values_name_the_problem) {
    int64_t t = 1;
    char why[80];
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        CHECK_STR(parse_why(invalid[i][0]), invalid[i][1]);
    /* No zone: local times cannot be read, offsets and epochs can. */
    CHECK(gs__time_parse(NULL, "2026-11-16 08:30:00", &t, why, sizeof why) ==
          GS_ERR_INPUT_VALUE);
    CHECK(t == 0);
    CHECK_STR(why, "a local time, and no time zone to read it");
    CHECK(gs__time_parse(NULL, "2026-11-16T00:30:00Z", &t, NULL, 0) == GS_OK);
    CHECK(gs__time_parse(NULL, "1794789000", &t, NULL, 0) == GS_OK);
}

TEST(leap_years) {
    CHECK(parse_ok("2024-02-29 12:00:00") != INT64_MIN);
    CHECK(parse_ok("2000-02-29 12:00:00") != INT64_MIN);
    CHECK_STR(parse_why("2026-02-29 12:00:00"),
              "day 29 in February 2026 (not a leap year)");
    CHECK_STR(parse_why("1900-02-29 12:00:00"),
              "day 29 in February 1900 (not a leap year)");
    CHECK_STR(parse_why("2024-02-30 12:00:00"), "day 30 in February");
    /* 2024-02-29T00:00Z: day 19782. */
    CHECK(parse_ok("2024-02-29T00:00:00Z") == INT64_C(19782) * 86400000);
}

TEST(dates_and_weekdays) {
    int32_t d;
    char buf[11];
    CHECK(gs__date_parse("2026-11-16", &d) == GS_OK && d == 20773);
    CHECK(gs__date_parse(" 2026-11-16 ", &d) == GS_OK && d == 20773);
    CHECK(gs__date_parse("2026-11-31", &d) == GS_ERR_INPUT_VALUE && d == 0);
    CHECK(gs__date_parse("2026-1-5", &d) == GS_ERR_INPUT_VALUE);
    CHECK(gs__date_parse("2026-11-16x", &d) == GS_ERR_INPUT_VALUE);
    CHECK(gs__date_parse("", &d) == GS_ERR_INPUT_VALUE);
    gs__date_format(20773, buf);
    CHECK_STR(buf, "2026-11-16");
    gs__date_format(-1, buf);
    CHECK_STR(buf, "1969-12-31");
    CHECK(gs__weekday(0) == 4);     /* 1970-01-01, a Thursday */
    CHECK(gs__weekday(20773) == 1); /* 2026-11-16, a Monday */
    CHECK(gs__weekday(20779) == 7); /* 2026-11-22, a Sunday */
    CHECK(gs__weekday(-1) == 3);    /* 1969-12-31, a Wednesday */
    CHECK(gs__weekday(-4) == 7);    /* 1969-12-28, a Sunday */
}

TEST(iso_weeks) {
    int32_t mon, d;
    char buf[9];
    /* 2026-W01 starts on Monday 2025-12-29. */
    CHECK(gs__isoweek_parse("2026-W01", &mon) == GS_OK);
    CHECK(mon == gs__days_from_civil(2025, 12, 29));
    gs__isoweek_format(gs__days_from_civil(2025, 12, 29), buf);
    CHECK_STR(buf, "2026-W01");
    gs__isoweek_format(gs__days_from_civil(2025, 12, 28), buf);
    CHECK_STR(buf, "2025-W52");
    /* 2026-W47 is 16-22 November. */
    CHECK(gs__isoweek_parse("2026-W47", &mon) == GS_OK && mon == 20773);
    gs__isoweek_format(20779, buf);
    CHECK_STR(buf, "2026-W47");
    /* 2020 has 53 weeks (it starts on a Wednesday and is a leap year);
     * 2021 does not; 2026 (starts on a Thursday) does. */
    CHECK(gs__isoweek_parse("2020-W53", &mon) == GS_OK);
    CHECK(mon == gs__days_from_civil(2020, 12, 28));
    gs__isoweek_format(gs__days_from_civil(2021, 1, 3), buf);
    CHECK_STR(buf, "2020-W53");
    CHECK(gs__isoweek_parse("2021-W53", &mon) == GS_ERR_INPUT_VALUE);
    CHECK(mon == 0);
    CHECK(gs__isoweek_parse("2026-W53", &mon) == GS_OK);
    CHECK(gs__isoweek_parse("2026-W54", &mon) == GS_ERR_INPUT_VALUE);
    CHECK(gs__isoweek_parse("2026-W00", &mon) == GS_ERR_INPUT_VALUE);
    CHECK(gs__isoweek_parse("2026-W7", &mon) == GS_ERR_INPUT_VALUE);
    CHECK(gs__isoweek_parse("2026W47", &mon) == GS_ERR_INPUT_VALUE);
    CHECK(gs__isoweek_parse("2026-w47", &mon) == GS_OK && mon == 20773);
    /* Every day of several years round-trips through its week. */
    for (d = gs__days_from_civil(2018, 1, 1);
         d < gs__days_from_civil(2031, 1, 1); d++) {
        gs__isoweek_format(d, buf);
        if (gs__isoweek_parse(buf, &mon) != GS_OK || d - mon < 0 ||
            d - mon > 6 || gs__weekday(mon) != 1) {
            printf("  day %d -> %s -> %d\n", d, buf, mon);
            CHECK(0);
            return;
        }
    }
}

TEST(months) {
    int32_t first, last;
    CHECK(gs__month_parse("2026-11", &first, &last) == GS_OK);
    CHECK(first == gs__days_from_civil(2026, 11, 1) && last == first + 29);
    CHECK(gs__month_parse(" 2026-12  ", &first, &last) == GS_OK);
    CHECK(first == gs__days_from_civil(2026, 12, 1));
    CHECK(last == gs__days_from_civil(2026, 12, 31)); /* across the year */
    CHECK(gs__month_parse("2024-02", &first, &last) == GS_OK);
    CHECK(last - first == 28); /* 29 days: 2024 is a leap year */
    CHECK(gs__month_parse("2026-02", &first, &last) == GS_OK);
    CHECK(last - first == 27);
    CHECK(gs__month_parse("2026-13", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(first == 0 && last == 0);
    CHECK(gs__month_parse("2026-00", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(gs__month_parse("2026-1", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(gs__month_parse("2026/11", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(gs__month_parse("2026-11-01", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(gs__month_parse("2026-W47", &first, &last) == GS_ERR_INPUT_VALUE);
    CHECK(gs__month_parse("", &first, &last) == GS_ERR_INPUT_VALUE);
}

/* gs__period_parse with a fresh context: the code, and the message when
 * it fails (options shown by their API names: no option-name hook). */
static int period(const char *week, const char *month, const char *from,
                  const char *to, int *given, int32_t *d0, int32_t *d1,
                  char *msg, size_t size) {
    gs_ctx *c = NULL;
    int rc;
    if (gs_ctx_create(&c) != GS_OK) return -1;
    rc = gs__period_parse(c, week, month, from, to, given, d0, d1);
    snprintf(msg, size, "%s", rc ? gs_ctx_errmsg(c) : "");
    gs_ctx_destroy(c);
    return rc;
}

TEST(period_options) {
    int given = -1;
    int32_t d0 = -1, d1 = -1;
    char msg[300];
    /* Nothing given: no period, no error. */
    CHECK(period(NULL, NULL, NULL, NULL, &given, &d0, &d1, msg, sizeof msg) ==
          GS_OK);
    CHECK(given == 0 && d0 == 0 && d1 == 0);
    /* A week: Monday to Sunday. */
    CHECK(period("2026-W47", NULL, NULL, NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_OK);
    CHECK(given == 1 && d0 == 20773 && d1 == 20779);
    /* A month: its first to last day. */
    CHECK(period(NULL, "2026-11", NULL, NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_OK);
    CHECK(given == 1 && d0 == gs__days_from_civil(2026, 11, 1));
    CHECK(d1 == gs__days_from_civil(2026, 11, 30));
    /* From and to, inclusive; one day is a period. */
    CHECK(period(NULL, NULL, "2026-11-16", "2026-11-18", &given, &d0, &d1, msg,
                 sizeof msg) == GS_OK);
    CHECK(given == 1 && d0 == 20773 && d1 == 20775);
    CHECK(period(NULL, NULL, "2026-11-16", "2026-11-16", &given, &d0, &d1, msg,
                 sizeof msg) == GS_OK);
    CHECK(d0 == 20773 && d1 == 20773);
    /* Errors name the options. */
    CHECK(period("2026-W47", "2026-11", NULL, NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "give one period: week, month or from/to") != NULL);
    CHECK(given == 0 && d0 == 0 && d1 == 0);
    CHECK(period("2026-W47", NULL, "2026-11-16", "2026-11-18", &given, &d0, &d1,
                 msg, sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "give one period: week or from/to") != NULL);
    CHECK(period("2026-W54", NULL, NULL, NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "week '2026-W54': expected an ISO week") != NULL);
    CHECK(period(NULL, "2026-13", NULL, NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "month '2026-13': expected a month") != NULL);
    CHECK(period(NULL, NULL, "2026-11-16", NULL, &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "from/to: expected two dates") != NULL);
    CHECK(strstr(msg, "got '2026-11-16' and ''") != NULL);
    CHECK(period(NULL, NULL, "2026-11-31", "2026-12-01", &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(period(NULL, NULL, "2026-11-18", "2026-11-16", &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg,
                 "from 2026-11-18 to 2026-11-16: the period must run "
                 "forwards") != NULL);
    /* At most 370 days. */
    CHECK(period(NULL, NULL, "2026-01-01", "2027-01-06", &given, &d0, &d1, msg,
                 sizeof msg) == GS_OK);
    CHECK(d1 - d0 == 370);
    CHECK(period(NULL, NULL, "2026-01-01", "2027-01-07", &given, &d0, &d1, msg,
                 sizeof msg) == GS_ERR_USAGE);
    CHECK(strstr(msg, "last at most a year") != NULL);
}

TEST(utc_format) {
    char buf[21];
    gs__utc_format(0, buf);
    CHECK_STR(buf, "1970-01-01T00:00:00Z");
    gs__utc_format(NOV16_UTC_MS + 30 * 60000 + 59999, buf);
    CHECK_STR(buf, "2026-11-16T00:30:59Z"); /* milliseconds dropped */
    gs__utc_format(-1, buf);
    CHECK_STR(buf, "1969-12-31T23:59:59Z"); /* rounded down, not to 0 */
    gs__utc_format(-86400000, buf);
    CHECK_STR(buf, "1969-12-31T00:00:00Z");
}

TEST(shanghai_offset_and_midnight) {
    int64_t start;
    CHECK(gs__tz_offset_ms(sh, NOV16_UTC_MS) == 8 * H_MS);
    /* Local day 2026-11-16 starts at 2026-11-15T16:00:00Z. */
    start = gs__day_start_utc(sh, 20773);
    CHECK(start == NOV16_UTC_MS - 8 * H_MS);
    CHECK(gs__local_day(sh, start) == 20773);
    CHECK(gs__local_day(sh, start - 1) == 20772);
    CHECK(gs__local_day(sh, start + 24 * H_MS - 1) == 20773);
    CHECK(gs__local_day(sh, start + 24 * H_MS) == 20774);
    CHECK(parse_ok("2026-11-16 00:00:00") == start);
    CHECK(parse_ok("2026-11-15 23:59:59.999") == start - 1);
    /* China kept daylight saving time 1986-1991: 1988-07-01 was +09:00. */
    CHECK(gs__tz_offset_ms(sh, INT64_C(583718400000)) == 9 * H_MS);
}

TEST(chicago_daylight_saving) {
    int64_t t;
    int32_t mar8 = gs__days_from_civil(2026, 3, 8);  /* spring forward */
    int32_t nov1 = gs__days_from_civil(2026, 11, 1); /* fall back */
    int64_t mar8_utc = (int64_t)mar8 * 86400000;
    int64_t nov1_utc = (int64_t)nov1 * 86400000;
    /* Before: CST -6; after 02:00 local on 8 March: CDT -5. */
    CHECK(gs__tz_local_to_utc(chi, 2026, 3, 8, 1, 30, 0, &t) == GS_OK);
    CHECK(t == mar8_utc + 7 * H_MS + 30 * 60000);
    CHECK(gs__tz_local_to_utc(chi, 2026, 3, 8, 3, 30, 0, &t) == GS_OK);
    CHECK(t == mar8_utc + 8 * H_MS + 30 * 60000);
    /* 02:30 does not exist: read with CST, i.e. 08:30Z = 03:30 CDT. */
    CHECK(gs__tz_local_to_utc(chi, 2026, 3, 8, 2, 30, 0, &t) == GS_OK);
    CHECK(t == mar8_utc + 8 * H_MS + 30 * 60000);
    /* 01:30 on 1 November happens twice (CDT, then CST): the earlier. */
    CHECK(gs__tz_local_to_utc(chi, 2026, 11, 1, 1, 30, 0, &t) == GS_OK);
    CHECK(t == nov1_utc + 6 * H_MS + 30 * 60000);
    CHECK(gs__tz_local_to_utc(chi, 2026, 11, 1, 2, 30, 0, &t) == GS_OK);
    CHECK(t == nov1_utc + 8 * H_MS + 30 * 60000);
    /* Day starts: midnight CST on 8 March, CDT on 1 November; the spring
     * day lasts 23 hours and the autumn day 25. */
    CHECK(gs__day_start_utc(chi, mar8) == mar8_utc + 6 * H_MS);
    CHECK(gs__day_start_utc(chi, mar8 + 1) == mar8_utc + 24 * H_MS + 5 * H_MS);
    CHECK(gs__day_start_utc(chi, nov1) == nov1_utc + 5 * H_MS);
    CHECK(gs__day_start_utc(chi, nov1 + 1) - gs__day_start_utc(chi, nov1) ==
          25 * H_MS);
    CHECK(gs__local_day(chi, nov1_utc + 5 * H_MS) == nov1);
    CHECK(gs__local_day(chi, nov1_utc + 5 * H_MS - 1) == nov1 - 1);
    CHECK(gs__tz_offset_ms(chi, mar8_utc + 8 * H_MS - 1) == -6 * H_MS);
    CHECK(gs__tz_offset_ms(chi, mar8_utc + 8 * H_MS) == -5 * H_MS);
    CHECK(gs__tz_local_to_utc(chi, 2026, 2, 30, 1, 0, 0, &t) ==
          GS_ERR_INPUT_VALUE);
    CHECK(t == 0);
    CHECK(gs__tz_local_to_utc(chi, 2026, 3, 8, 1, 0, 60.0, &t) ==
          GS_ERR_INPUT_VALUE);
}

/* Offsets through the cache agree with ICU at every hour boundary and
 * around transitions, for a zone with half-hour DST (Lord Howe). */
TEST(cache_agrees_at_transitions) {
    gs__tz *lh = NULL;
    REQUIRE(gs__tz_open(ctx, "Australia/Lord_Howe", &lh) == GS_OK);
    /* 2026-04-05 02:00 local: +11:00 -> +10:30 (at 15:00Z on 4 April). */
    {
        int64_t tr =
            (int64_t)gs__days_from_civil(2026, 4, 4) * 86400000 + 15 * H_MS;
        CHECK(gs__tz_offset_ms(lh, tr - 1) == 11 * H_MS);
        CHECK(gs__tz_offset_ms(lh, tr) == 10 * H_MS + 30 * 60000);
        CHECK(gs__tz_offset_ms(lh, tr - 1) == 11 * H_MS); /* cached */
    }
    gs__tz_close(lh);
}

TEST(unknown_zone_rejected) {
    gs__tz *tz = (gs__tz *)1;
    gs_ctx *c = NULL;
    REQUIRE(gs_ctx_create(&c) == GS_OK);
    CHECK(gs__tz_open(c, "Asia/Shangai", &tz) == GS_ERR_USAGE);
    CHECK(tz == NULL);
    CHECK(strstr(gs_ctx_errmsg(c), "Asia/Shangai") != NULL);
    CHECK(strstr(gs_ctx_errmsg(c), "unknown") != NULL);
    gs_ctx_destroy(c);
    REQUIRE(gs_ctx_create(&c) == GS_OK);
    CHECK(gs__tz_open(c, "", &tz) == GS_ERR_USAGE);
    gs_ctx_destroy(c);
    REQUIRE(gs_ctx_create(&c) == GS_OK);
    CHECK(gs__tz_open(c, NULL, &tz) == GS_OK);
    CHECK_STR(gs__tz_id(tz), "Asia/Shanghai");
    gs__tz_close(tz);
    CHECK(gs__tz_open(c, "UTC", &tz) == GS_OK);
    CHECK(gs__tz_offset_ms(tz, NOV16_UTC_MS) == 0);
    gs__tz_close(tz);
    gs__tz_close(NULL);
    gs_ctx_destroy(c);
}

/* ---- workday calendar ---------------------------------------------------- */

static char tmpdir[64];

static const char *write_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static const char *write_file(const char *name, const char *text) {
    const char *path = write_path(name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(calendar_overrides_weekdays) {
    gs__calendar *cal = NULL;
    gs_ctx *c = NULL;
    const char *p;
    int32_t oct1 = gs__days_from_civil(2026, 10, 1);
    REQUIRE(gs_ctx_create(&c) == GS_OK);
    /* 2026 National Day: 1-7 October off (Thu-Wed), Saturday 10 October a
     * make-up workday (调休); a BOM and CRLF as Excel writes. */
    p = write_file("cal.csv",
                   "\xEF\xBB\xBF"
                   "date,workday,name\r\n"
                   "2026-10-01,0,国庆节\r\n2026-10-02,0,\r\n"
                   "2026-10-05,0,\r\n\r\n2026-10-10,1,调休\r\n");
    REQUIRE(p);
    REQUIRE(gs__calendar_load(c, p, &cal) == GS_OK);
    CHECK(!gs__calendar_is_workday(cal, oct1));      /* Thursday off */
    CHECK(!gs__calendar_is_workday(cal, oct1 + 1));  /* Friday off */
    CHECK(!gs__calendar_is_workday(cal, oct1 + 2));  /* Saturday */
    CHECK(!gs__calendar_is_workday(cal, oct1 + 4));  /* Monday 5th off */
    CHECK(gs__calendar_is_workday(cal, oct1 + 5));   /* Tuesday 6th */
    CHECK(gs__calendar_is_workday(cal, oct1 + 9));   /* Saturday 10th */
    CHECK(!gs__calendar_is_workday(cal, oct1 + 10)); /* Sunday 11th */
    CHECK(gs__calendar_is_workday(cal, oct1 + 11));  /* Monday 12th */
    gs__calendar_free(cal);
    /* No calendar: Monday to Friday. */
    CHECK(gs__calendar_is_workday(NULL, 20773));  /* Monday */
    CHECK(gs__calendar_is_workday(NULL, 20777));  /* Friday */
    CHECK(!gs__calendar_is_workday(NULL, 20778)); /* Saturday */
    CHECK(!gs__calendar_is_workday(NULL, 20779)); /* Sunday */
    gs__calendar_free(NULL);
    gs_ctx_destroy(c);
}

/* Loads `text` as a calendar, expecting failure `code` with `piece` in
 * the message. */
static int calendar_fails(const char *text, int code, const char *piece) {
    gs__calendar *cal = (gs__calendar *)1;
    gs_ctx *c = NULL;
    const char *p = write_file("bad.csv", text);
    int ok;
    if (!p || gs_ctx_create(&c) != GS_OK) return 0;
    ok = gs__calendar_load(c, p, &cal) == code && cal == NULL &&
         strstr(gs_ctx_errmsg(c), piece) != NULL;
    if (!ok) printf("  message: %s\n", gs_ctx_errmsg(c));
    gs_ctx_destroy(c);
    return ok;
}

/* Bad calendars: the text, the code and a piece of the message. */
static const struct {
    const char *text;
    int code;
    const char *piece;
} bad_calendars[] = {
    {"date,workday\n2026-10-01,0\n2026-10-32,0\n", GS_ERR_INPUT_VALUE,
     "bad.csv, line 3, field date: '2026-10-32' is not a date"},
    {"date,workday\n2026-10-01,yes\n", GS_ERR_INPUT_VALUE,
     "line 2, field workday: 'yes'"},
    {"date,workday\n2026-10-01,\n", GS_ERR_INPUT_VALUE,
     "line 2, field workday"},
    {"date,workday\n2026-10-01,0\n2026-10-01,1\n", GS_ERR_INPUT_VALUE,
     "line 3, field date: 2026-10-01 already given on line 2"},
    {"day,off\n2026-10-01,0\n", GS_ERR_INPUT_FIELD,
     "missing column 'date' (columns: day, off)"},
    {"date,workday\n2026-10-01\n", GS_ERR_INPUT_VALUE,
     "line 2: 1 field where the header has 2"},
    {"", GS_ERR_INPUT_EMPTY, "bad.csv: empty file"},
};

TEST(calendar_errors_name_line_and_field) {
    for (size_t i = 0; i < sizeof bad_calendars / sizeof bad_calendars[0]; i++)
        CHECK(calendar_fails(bad_calendars[i].text, bad_calendars[i].code,
                             bad_calendars[i].piece));
    {
        gs__calendar *cal = (gs__calendar *)1;
        gs_ctx *c = NULL;
        REQUIRE(gs_ctx_create(&c) == GS_OK);
        CHECK(gs__calendar_load(c, "/nonexistent/cal.csv", &cal) ==
              GS_ERR_INPUT_OPEN);
        CHECK(cal == NULL);
        CHECK(strstr(gs_ctx_errmsg(c), "/nonexistent/cal.csv") != NULL);
        gs_ctx_destroy(c);
    }
}

/* ---- speed --------------------------------------------------------------- */

/* A week of local times, one every 0.6 s, as patrol reads them. */
TEST(parse_speed) {
    enum { N = 1000000 };
    static char text[N][24];
    int64_t t, sum = 0, first = 0;
    double t0, dt;
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int sec = (int)((int64_t)i * 6 / 10), d = 16 + sec / 86400 % 7;
        sec %= 86400;
        snprintf(text[i], sizeof text[i], "2026-11-%02d %02d:%02d:%02d", d,
                 sec / 3600, sec / 60 % 60, sec % 60);
    }
    t0 = gs__now();
    for (int i = 0; i < N; i++) {
        if (gs__time_parse(sh, text[i], &t, NULL, 0) == GS_OK)
            sum += t - first;
        else
            bad++;
        if (i == 0) first = t;
    }
    dt = gs__now() - t0;
    printf("  %d local times parsed in %.3f s (%.0f ns each)\n", N, dt,
           dt / N * 1e9);
    CHECK(bad == 0);
    CHECK(sum > 0);
}

int main(void) {
    char tmpl[] = "/tmp/gs_test_datetime_XXXXXX";
    int rc;
    if (gs_ctx_create(&ctx) != GS_OK || !mkdtemp(tmpl)) return 1;
    snprintf(tmpdir, sizeof tmpdir, "%s", tmpl);
    if (gs__tz_open(ctx, "Asia/Shanghai", &sh) != GS_OK ||
        gs__tz_open(ctx, "America/Chicago", &chi) != GS_OK) {
        printf("cannot open zones: %s\n", gs_ctx_errmsg(ctx));
        return 1;
    }
    RUN(civil_days);
    RUN(iso_formats_with_offsets);
    RUN(local_formats_in_shanghai);
    RUN(fractional_seconds_truncate_to_ms);
    RUN(epoch_seconds_and_ms);
    RUN(invalid_values_name_the_problem);
    RUN(leap_years);
    RUN(dates_and_weekdays);
    RUN(iso_weeks);
    RUN(months);
    RUN(period_options);
    RUN(utc_format);
    RUN(shanghai_offset_and_midnight);
    RUN(chicago_daylight_saving);
    RUN(cache_agrees_at_transitions);
    RUN(unknown_zone_rejected);
    RUN(calendar_overrides_weekdays);
    RUN(calendar_errors_name_line_and_field);
    RUN(parse_speed);
    gs__tz_close(sh);
    gs__tz_close(chi);
    gs_ctx_destroy(ctx);
    /* The calendar tests write cal.csv and bad.csv. */
    remove(write_path("cal.csv"));
    remove(write_path("bad.csv"));
    if (rmdir(tmpdir) != 0) printf("  could not remove %s\n", tmpdir);
    rc = HARNESS_END();
    return rc;
}
