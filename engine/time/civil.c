/*
 * civil.c - calendar days: proleptic Gregorian dates, weekdays, ISO weeks,
 * and their text forms.
 *
 * Dates are converted with the days-from-civil algorithms (Howard
 * Hinnant's, public domain), which are exact for every int32 day; dates
 * and weeks are written as fixed-width digits without printf, as outputs
 * write them per row.
 */
#include <stdio.h>
#include <string.h>

#include "datetime_int.h"

int32_t gs__days_from_civil(int y, int mo, int d) {
    int64_t yy = (int64_t)y - (mo <= 2);
    int64_t era = gs__floor_div(yy, 400);
    int64_t yoe = yy - era * 400;
    int64_t mp = (mo + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void gs__civil_from_days(int32_t day, int *out_y, int *out_mo, int *out_d) {
    int64_t z = (int64_t)day + 719468;
    int64_t era = gs__floor_div(z, 146097);
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

/* Checks y-mo-d and h:mi:s (s may be absent as 0); on failure writes why
 * ("month 13", "day 31 in November") and returns -1. */
int gs__civil_check(int y, int mo, int d, int h, int mi, int s, char *why,
                    size_t size) {
    if (y < 1) {
        if (why && size) snprintf(why, size, "year 0");
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
    return (int)(((int64_t)day + 3) - gs__floor_div((int64_t)day + 3, 7) * 7) +
           1;
}

/* The ISO year and week of a day. */
void gs__iso_week(int32_t day, int *out_year, int *out_week) {
    int32_t thursday = day - (gs__weekday(day) - 1) + 3;
    int y, mo, d;
    gs__civil_from_days(thursday, &y, &mo, &d);
    *out_year = y;
    *out_week = (thursday - gs__days_from_civil(y, 1, 1)) / 7 + 1;
}

void gs__isoweek_format(int32_t day, char out[9]) {
    int y, w;
    gs__iso_week(day, &y, &w);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    put_digits(out, y, 4);
    out[4] = '-';
    out[5] = 'W';
    put_digits(out + 6, w, 2);
    out[8] = '\0';
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
