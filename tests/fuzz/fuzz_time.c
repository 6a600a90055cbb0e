/*
 * fuzz_time.c - the time parsers of engine/time.
 *
 * The whole input is one time field, parsed in Asia/Shanghai and in a zone
 * with daylight saving (America/Chicago) and without a zone. Cut at
 * newlines, its first four lines are also a --week, --month, --from and
 * --to (an empty line: the option is not given) for gs__period_parse, and
 * each line goes through the date, ISO week and month parsers.
 * Invariants: what parses formats back to something that parses to the
 * same value.
 */
#include "fuzz.h"
#include "datetime.h"

static gs__tz *zone(int k) {
    static gs__tz *tz[2];
    static const char *const ids[2] = {"Asia/Shanghai", "America/Chicago"};
    if (!tz[k] && gs__tz_open(fuzz_ctx(), ids[k], &tz[k]) != GS_OK) abort();
    return tz[k];
}

static void check_instant(int64_t t) {
    char text[21];
    int64_t back;
    /* The format has four-digit years: 0001-01-01 to 9999-12-31. */
    if (t < INT64_C(-62135596800000) || t > INT64_C(253402300799000)) return;
    gs__utc_format(t, text);
    FUZZ_ASSERT(gs__time_parse(NULL, text, &back, NULL, 0) == GS_OK);
    /* The format keeps whole seconds. */
    FUZZ_ASSERT(back <= t && t - back < 1000);
}

static void check_line(const char *s) {
    int32_t day, back, first, last;
    char text[11], week[9];
    if (gs__date_parse(s, &day) == GS_OK) {
        gs__date_format(day, text);
        FUZZ_ASSERT(gs__date_parse(text, &back) == GS_OK && back == day);
    }
    if (gs__isoweek_parse(s, &day) == GS_OK) {
        FUZZ_ASSERT(gs__weekday(day) == 1);
        gs__isoweek_format(day, week);
        FUZZ_ASSERT(gs__isoweek_parse(week, &back) == GS_OK && back == day);
    }
    if (gs__month_parse(s, &first, &last) == GS_OK) {
        FUZZ_ASSERT(last - first >= 27 && last - first <= 30);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *lines[4], *whole, why[128];
    size_t n;
    int64_t t;
    int given;
    int32_t d0, d1;
    gs_ctx *ctx = fuzz_ctx();

    whole = malloc(size + 1);
    if (!whole) abort();
    memcpy(whole, data, size);
    whole[size] = '\0';
    for (int k = 0; k < 2; k++)
        if (gs__time_parse(zone(k), whole, &t, why, sizeof why) == GS_OK)
            check_instant(t);
    if (gs__time_parse(NULL, whole, &t, why, sizeof why) == GS_OK)
        check_instant(t);
    free(whole);

    whole = fuzz_lines(data, size, lines, 4, &n);
    for (size_t i = 0; i < n; i++) check_line(lines[i]);
    while (n < 4) lines[n++] = "";
    if (gs__period_parse(
            ctx, lines[0][0] ? lines[0] : NULL, lines[1][0] ? lines[1] : NULL,
            lines[2][0] ? lines[2] : NULL, lines[3][0] ? lines[3] : NULL,
            &given, &d0, &d1) == GS_OK &&
        given)
        FUZZ_ASSERT(d0 <= d1 && d1 - d0 <= 370);
    free(whole);
    return 0;
}
