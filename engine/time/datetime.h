/*
 * datetime.h - instants, time zones, calendar days, ISO weeks and periods
 * (zone.c, civil.c, parse.c, period.c; datetime_int.h is theirs).
 *
 * Instants are int64 milliseconds since 1970-01-01T00:00:00Z (leap seconds
 * ignored, as everywhere). Calendar days are int32 days since 1970-01-01
 * (day 0 is a Thursday), proleptic Gregorian.
 *
 * Return codes: the parsers and gs__tz_local_to_utc take no context (they
 * run millions of times on row data); they return GS_OK or
 * GS_ERR_INPUT_VALUE, set their out-parameters to 0 on failure, and
 * gs__time_parse says why in a caller's buffer, for the row's report.
 */
#ifndef GS_DATETIME_H
#define GS_DATETIME_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

#define GS__MS_PER_DAY INT64_C(86400000)

/* A time zone from ICU's database with a cache of its offsets. Opaque; not
 * thread-safe: one per thread. */
typedef struct gs__tz gs__tz;

/* Opens the zone `zone` (an IANA id such as "Asia/Shanghai"; NULL means
 * "Asia/Shanghai"). GS_ERR_USAGE naming the zone when ICU does not know it
 * (ICU itself would silently fall back to GMT); GS_ERR_NOMEM.
 * The caller closes *out_tz with gs__tz_close(). */
int gs__tz_open(gs_ctx *ctx, const char *zone, gs__tz **out_tz);

/* Frees the zone. Accepts NULL. */
void gs__tz_close(gs__tz *tz);

/* The zone's id as opened (e.g. "Asia/Shanghai"); borrowed, valid until
 * gs__tz_close. For opening the same zone in another thread. */
const char *gs__tz_id(const gs__tz *tz);

/* Zone plus daylight-saving offset in force at the instant, in ms (east
 * positive: +28,800,000 for Asia/Shanghai). Cached per UTC hour. */
int64_t gs__tz_offset_ms(gs__tz *tz, int64_t utc_ms);

/* The instant of a local wall time (month 1-12, second 0 <= s < 60,
 * rounded to the millisecond).
 * A wall time that occurs twice (clocks set back) gives the earlier
 * instant; one that never occurs (clocks set forward) is read with the
 * offset before the change, so 02:30 on a spring-forward day in Chicago is
 * 03:30 daylight time (both as java.time does). GS_ERR_INPUT_VALUE for an
 * invalid date or time of day. */
int gs__tz_local_to_utc(gs__tz *tz, int y, int mo, int d, int h, int mi,
                        double s, int64_t *out_utc_ms);

/* The local calendar day of an instant, as days since 1970-01-01. */
int32_t gs__local_day(gs__tz *tz, int64_t utc_ms);

/* The first instant of local day `day` (its 00:00, or the end of a
 * daylight-saving gap that swallows midnight). */
int64_t gs__day_start_utc(gs__tz *tz, int32_t day);

/* Parses a time field. Accepted: ISO 8601 "2026-11-16T08:30:00+08:00",
 * "...Z", "...+0800", "...+08", "... UTC" (a space before the offset is
 * fine); without an offset (local time in `tz`): "2026-11-16T08:30:00",
 * "2026-11-16 08:30:00", "2026/11/16 08:30:00" (month, day and hour may
 * have one digit; seconds may be left out; fractional seconds after '.'
 * or ',' are truncated to the millisecond); epoch seconds (9-10 digits,
 * optionally with a fraction) or milliseconds (12-13 digits). Surrounding
 * spaces are ignored. Strict: trailing text, day 31 in November, hour 24,
 * second 60 are errors. `tz` may be NULL: local times are then errors.
 * GS_OK and *out_utc_ms, or GS_ERR_INPUT_VALUE with a short reason in
 * why[why_size] ("month 13", "not a time"); `why` may be NULL. */
int gs__time_parse(gs__tz *tz, const char *text, int64_t *out_utc_ms, char *why,
                   size_t why_size);

/* Days since 1970-01-01 of a valid proleptic Gregorian date, and back. */
int32_t gs__days_from_civil(int y, int mo, int d);
void gs__civil_from_days(int32_t day, int *out_y, int *out_mo, int *out_d);

/* "YYYY-MM-DD" (exactly; surrounding spaces ignored) -> day.
 * GS_OK or GS_ERR_INPUT_VALUE. */
int gs__date_parse(const char *text, int32_t *out_day);

/* day -> "YYYY-MM-DD" (years 0000-9999; others are clamped). */
void gs__date_format(int32_t day, char out[11]);

/* "YYYY-Www" (e.g. "2026-W47"; 'w' accepted) -> the day of that ISO week's
 * Monday. Week 53 only in years that have one. GS_OK or
 * GS_ERR_INPUT_VALUE. */
int gs__isoweek_parse(const char *text, int32_t *out_monday);

/* day -> its ISO week "YYYY-Www" (the ISO year, which differs from the
 * calendar year around New Year: 2025-12-29 is "2026-W01"). */
void gs__isoweek_format(int32_t day, char out[9]);

/* 1 = Monday .. 7 = Sunday. */
int gs__weekday(int32_t day);

/* An instant as ISO 8601 UTC with 'Z': "2026-11-16T00:30:00Z". */
void gs__utc_format(int64_t utc_ms, char out[21]);

/* "YYYY-MM" (e.g. "2026-11") -> its first and last day. GS_OK or
 * GS_ERR_INPUT_VALUE. */
int gs__month_parse(const char *text, int32_t *out_first, int32_t *out_last);

/*
 * The period of a command's options: --week W, --month M or --from D
 * --to D (inclusive, forwards, at most 370 days); `month` may be NULL for
 * a command without --month. *out_given is 0 (and the days 0) when none
 * was given. GS_ERR_USAGE naming the option for a bad or conflicting one.
 */
int gs__period_parse(gs_ctx *ctx, const char *week, const char *month,
                     const char *from, const char *to, int *out_given,
                     int32_t *out_day0, int32_t *out_day1);

#endif /* GS_DATETIME_H */
