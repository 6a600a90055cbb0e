/*
 * period.c - the period of a command's options: an ISO week, a month, or
 * a range of days.
 *
 * Commands that report on time take one of {week}, {month} or
 * {from}/{to}; this turns whichever was given into an inclusive range of
 * days, with messages naming the option.
 */
#include "datetime_int.h"

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
