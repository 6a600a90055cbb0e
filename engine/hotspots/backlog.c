/*
 * backlog.c - the event backlog per grid: what was reported, resolved and
 * self-resolved during the period, and what stood open (and overdue) at
 * its end, whatever week it was reported in.
 *
 * grid_events counts the events reported in the period and their state at
 * its end; a director also needs the backlog: an event reported five weeks
 * ago and still open is as much this week's business as one reported
 * today. Both use one definition of an event's state (event_state.c), so
 * the overdue events here are exactly the overdue trouble spots
 * (trouble_spots.c). An event resolved in the period is one whose
 * resolved_at falls in it; an event resolved without a resolved_at counts
 * as resolved in the period it was reported in (self-resolved events are
 * often handled on the spot and recorded without a time). Events whose
 * status is unknown (no status column) are counted as reported and as
 * status_unknown, never as open or overdue.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>

#include "analysis.h"

int gs__hs_count_backlog(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *r) {
    size_t ng = m->n_grids;
    int rc = GS_OK;
    r->backlog = gs__calloc(ng + 1, sizeof *r->backlog);
    if (!r->backlog) NOMEM();
    for (size_t g = 0; g <= ng; g++) r->backlog[g].oldest_open = INT32_MAX;
    for (size_t i = 0; i < ev->n; i++) {
        const gs__event *e = &ev->v[i];
        long g = r->ev_grid[i];
        gs__hs_backlog *b = &r->backlog[g >= 0 ? (size_t)g : ng];
        int in_period = (r->ev_flag[i] & GS__EVF_PERIOD) != 0;
        gs__hs_evstate s;
        if (e->day > p->day1) continue;
        if (in_period) b->reported++;
        if (e->status == GS__EV_UNKNOWN) {
            b->status_unknown += in_period;
            continue;
        }
        s = gs__hs_state_of(e, p);
        if (s.resolved) {
            int now = e->resolved_ms == GS__NO_TIME
                          ? in_period
                          : e->resolved_ms >= p->from_ms &&
                                e->resolved_ms < p->as_of_ms;
            b->resolved += now;
            b->self_resolved += now && s.self;
            continue;
        }
        b->open++;
        if (e->day < b->oldest_open) b->oldest_open = e->day;
        if (s.overdue) {
            int n = gs__hs_deadline_workdays(p->rules, e->category);
            int late = gs__hs_workdays_between(
                p->cal, gs__hs_deadline(p->cal, e->day, n), p->day1);
            b->overdue++;
            if (late > b->max_workdays_overdue) b->max_workdays_overdue = late;
        }
    }
    for (size_t g = 0; g <= ng; g++) {
        gs__hs_backlog *b = &r->backlog[g], *t = &r->backlog_total;
        t->reported += b->reported;
        t->resolved += b->resolved;
        t->self_resolved += b->self_resolved;
        t->status_unknown += b->status_unknown;
        t->open += b->open;
        t->overdue += b->overdue;
        if (b->max_workdays_overdue > t->max_workdays_overdue)
            t->max_workdays_overdue = b->max_workdays_overdue;
        if (!g || b->oldest_open < t->oldest_open)
            t->oldest_open = b->oldest_open;
    }
done:
    return rc;
}
