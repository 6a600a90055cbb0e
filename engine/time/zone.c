/*
 * zone.c - time zones: offsets from ICU's database behind a cache, and
 * local wall time to UTC.
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
 * the change.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/utypes.h>

#include "datetime_int.h"

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
    int64_t hour = gs__floor_div(utc_ms, MS_PER_HOUR);
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
int64_t gs__tz_local_ms_to_utc(gs__tz *tz, int64_t local_ms) {
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

int gs__tz_local_to_utc(gs__tz *tz, int y, int mo, int d, int h, int mi,
                        double s, int64_t *out_utc_ms) {
    int64_t local;
    *out_utc_ms = 0;
    if (!(s >= 0.0 && s < 60.0) || y > 9999 ||
        gs__civil_check(y, mo, d, h, mi, 0, NULL, 0))
        return GS_ERR_INPUT_VALUE;
    local = (int64_t)gs__days_from_civil(y, mo, d) * GS__MS_PER_DAY +
            h * MS_PER_HOUR + mi * INT64_C(60000) +
            (int64_t)floor(s * 1000.0 + 0.5);
    *out_utc_ms = gs__tz_local_ms_to_utc(tz, local);
    return GS_OK;
}

int32_t gs__local_day(gs__tz *tz, int64_t utc_ms) {
    return (int32_t)gs__floor_div(utc_ms + gs__tz_offset_ms(tz, utc_ms),
                                  GS__MS_PER_DAY);
}

int64_t gs__day_start_utc(gs__tz *tz, int32_t day) {
    return gs__tz_local_ms_to_utc(tz, (int64_t)day * GS__MS_PER_DAY);
}
