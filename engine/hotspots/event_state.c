/*
 * event_state.c - the state of an event at the end of the period: open or
 * resolved (by itself or not), and when open, past its deadline or not.
 *
 * A deadline is a number of working days (the category's, from the rules,
 * else the default) after the day the event was reported, on the run's
 * calendar (calendar.c; Monday to Friday without one). State is taken as
 * of the period's end, so an event resolved after it counts as open, and
 * a rerun of an old period gives the same figures. An event whose status
 * is unknown (the layer has no status field) is neither open nor
 * resolved, so never overdue.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "analysis.h"

int32_t gs__hs_deadline(const gs__calendar *cal, int32_t day, int n) {
    int32_t d = day;
    /* A year of holidays in a row would be a broken calendar: stop. */
    for (int k = 0; k < n && d - day < 3660;)
        if (gs__calendar_is_workday(cal, ++d)) k++;
    return d;
}

int gs__hs_deadline_workdays(const gs_rules *r, const char *category) {
    for (int k = 0; k < r->n_deadlines; k++)
        if (!strcmp(r->deadlines[k].category, category))
            return r->deadlines[k].workdays;
    return r->deadline_workdays;
}

int gs__hs_workdays_between(const gs__calendar *cal, int32_t a, int32_t b) {
    int n = 0;
    for (int32_t d = a + 1; d <= b; d++) n += gs__calendar_is_workday(cal, d);
    return n;
}

gs__hs_evstate gs__hs_state_of(const gs__event *e, const gs__hs_params *p) {
    gs__hs_evstate s = {0, 0, 0, 0, NAN};
    if (e->status == GS__EV_UNKNOWN) {
        s.unknown = 1;
        return s;
    }
    s.resolved = e->status != GS__EV_OPEN && (e->resolved_ms == GS__NO_TIME ||
                                              e->resolved_ms <= p->as_of_ms);
    s.self = s.resolved && e->status == GS__EV_SELF_RESOLVED;
    if (s.resolved && e->resolved_ms != GS__NO_TIME)
        s.resolve_h = (double)(e->resolved_ms - e->reported_ms) / 3600000.0;
    if (!s.resolved) {
        int n = gs__hs_deadline_workdays(p->rules, e->category);
        s.overdue = gs__hs_deadline(p->cal, e->day, n) < p->day1;
    }
    return s;
}

void gs__hs_count_event(gs__hs_counts *c, const gs__event *e,
                        const gs__hs_params *p) {
    gs__hs_evstate s = gs__hs_state_of(e, p);
    c->events++;
    c->resolved += s.resolved;
    c->self_resolved += s.self;
    c->open += !s.resolved && !s.unknown;
    c->overdue += s.overdue;
    if (!isnan(s.resolve_h)) {
        c->resolve_h += s.resolve_h;
        c->n_resolve_h++;
    }
}
