/*
 * clock.c - the local day of an instant from the run's table of local day
 * starts (gs__clock, run_patrol.h): a binary search, used for every fix and
 * segment, so it must not ask the time zone each time. Below both the run
 * (run_patrol.c, which builds the table) and its writers (write_patrol.c).
 */
#include "run_patrol.h"

int32_t gs__clock_day_of(void *u, int64_t t) {
    const gs__clock *c = u;
    int lo = 0, hi = c->n;
    if (t < c->start[0])
        return c->first - 1 - (int32_t)((c->start[0] - 1 - t) / GS__MS_PER_DAY);
    if (t >= c->start[c->n])
        return c->first + c->n +
               (int32_t)((t - c->start[c->n]) / GS__MS_PER_DAY);
    while (hi - lo > 1) { /* start[lo] <= t < start[hi] */
        int mid = (lo + hi) / 2;
        if (c->start[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return c->first + lo;
}
