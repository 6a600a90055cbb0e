/*
 * datetime_int.h - what the files behind datetime.h share (zone.c,
 * civil.c, parse.c, period.c).
 */
#ifndef GS_TIME_DATETIME_INT_H
#define GS_TIME_DATETIME_INT_H

#include <stddef.h>
#include <stdint.h>

#include "datetime.h"

#define MS_PER_HOUR INT64_C(3600000)

/* a / b rounded towards minus infinity (b > 0). */
static inline int64_t gs__floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* civil.c: checks y-mo-d and h:mi:s (s may be absent as 0); on failure
 * writes why ("month 13", "day 31 in November"; `why` may be NULL) and
 * returns -1. */
int gs__civil_check(int y, int mo, int d, int h, int mi, int s, char *why,
                    size_t size);

/* civil.c: the ISO year and week of a day. */
void gs__iso_week(int32_t day, int *out_year, int *out_week);

/* zone.c: local wall-clock ms (as if the zone were UTC) -> instant: the
 * earlier of two candidates for a repeated wall time, the offset before
 * the change for one in a gap. */
int64_t gs__tz_local_ms_to_utc(gs__tz *tz, int64_t local_ms);

#endif /* GS_TIME_DATETIME_INT_H */
