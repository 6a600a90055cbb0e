/*
 * analyse.c - events -> counts, hot spots, clusters, density, trouble
 * spots, emerging hot spots and summaries (`gridsmith hotspots`): the
 * steps in order, each in a file named for what it computes.
 *
 * Data flow. Every usable event is first placed (place_events.c): its grid
 * is the one its location falls in, by the rule households follow (the
 * lowest grid_code among the grids covering the point,
 * gs__assign_points), so that a cluster split by a grid boundary is
 * counted where it happens and a typo in grid_code cannot move it; a given
 * grid_code that disagrees is flagged (grid_mismatch), and only an event
 * in no grid falls back to its code. Its hexagon is the lattice cell it
 * lies in (hexagons.c), its category an index into the categories
 * present. Then, for the period [day0, day1]:
 *
 *   grids     counts per grid and category, open/overdue/resolved as of
 *             the period's end (event_state.c), Gi* (gi_units.c, stats.c)
 *             on events per km^2 (or the count, or per 100 households:
 *             rules->grid_gi_value) with binary queen contiguity built
 *             with GEOS (grids.c);
 *   hexagons  the lattice cells overlapping the communities (or the grids),
 *             clipped to them with GEOS (hexagons.c), Gi* on counts with
 *             ring-1 neighbours; each history week gets its own Gi*, and
 *             the weekly bins and z-scores of a cell give its emerging
 *             class (emerging.c);
 *   clusters  DBSCAN of the period's events, as hulls buffered eps/10
 *             (clusters.c);
 *   trouble   repeat locations (DBSCAN with the repeat radius over the
 *             repeat_days ending with the period, clusters.c), open events
 *             past their deadline (working days, calendar.c), and grids
 *             whose weekly counts rise (Mann-Kendall, S > 0, BH across
 *             grids; trouble_spots.c);
 *   backlog   per grid, what was reported and resolved in the period and
 *             what stood open and overdue at its end (backlog.c);
 *   density   quartic kernel over the period's events (stats.c), bandwidth
 *             by the ArcGIS rule unless configured (density.c);
 *   summary   per community, street (first 9 digits) and in total, per ISO
 *             week and per month overlapping the period, with the previous
 *             week or month for the change (summaries.c).
 *
 * Why this way. Gi* needs enough units to mean anything: with fewer than
 * rules->min_units (30), or when every unit has the same value (no events),
 * nothing is computed and the note says so; the writer puts NULL, never
 * NaN, and never a guessed bin. Likewise fewer than min_history_weeks weeks
 * of history give the class insufficient_history. State "as of" is the end
 * of the period: an event resolved after it was open then. Results keep
 * input order wherever order is free, so runs are repeatable.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "datetime.h"

/* Emerging hot spots look back at most this many weeks. */
#define MAX_WEEKS 104

void gs__hs_params_init(gs__hs_params *p, const gs_rules *rules, int32_t day0,
                        int32_t day1, int64_t as_of_ms, int32_t first_day) {
    int32_t last = day1 - (gs__weekday(day1) - 1);
    int32_t first = first_day - (gs__weekday(first_day) - 1);
    memset(p, 0, sizeof *p);
    p->rules = rules;
    p->hex_size_m = rules->hex_size_m;
    p->day0 = day0;
    p->day1 = day1;
    p->as_of_ms = as_of_ms;
    p->from_ms = as_of_ms - (int64_t)(day1 - day0 + 1) * 86400000;
    if (first > last) first = last;
    if ((last - first) / 7 + 1 > MAX_WEEKS) first = last - (MAX_WEEKS - 1) * 7;
    p->week0 = first;
    p->nweeks = (last - first) / 7 + 1;
    p->threads = 1;
}

/* The parameters a caller could get wrong: GS_ERR_USAGE. */
static int check_params(gs_ctx *ctx, const gs__hs_params *p) {
    if (!(p->hex_size_m > 0) || p->nweeks < 1 || p->day1 < p->day0 ||
        p->week0 > p->day1)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots: bad period or hexagon "
                       "size");
    return GS_OK;
}

/* Gi* is not computed without events in the period: the notes say so
 * rather than "every value is equal". */
static void note_empty_period(gs__hsresult *r) {
    if (r->n_period != 0) return;
    gs__hs_note(r->grid_gi.note, sizeof r->grid_gi.note, r->grid_gi.text,
                sizeof r->grid_gi.text, "no events in the period: counts only");
    gs__hs_note(r->hex_gi.note, sizeof r->hex_gi.note, r->hex_gi.text,
                sizeof r->hex_gi.text, "no events in the period: counts only");
}

int gs__hotspots_analyse(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *out) {
    size_t tcap = 0; /* capacity of out->trouble */
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = check_params(ctx, p))) return rc;
    if ((rc = gs__hs_place_events(ctx, m, ev, p, out))) goto done;
    gs__progress(ctx, "grids", -1);
    if ((rc = gs__hs_grid_counts(ctx, m, ev, p, out)) ||
        (rc = gs__hs_grid_gi(ctx, m, p, out)))
        goto done;
    gs__progress(ctx, "hexagons", -1);
    if ((rc = gs__hs_hexagons(ctx, m, ev, p, out)) ||
        (rc = gs__hs_emerging(ctx, ev, p, out)))
        goto done;
    note_empty_period(out);
    gs__progress(ctx, "clusters and trouble spots", -1);
    if ((rc = gs__hs_clusters(ctx, ev, p, out)) ||
        (rc = gs__hs_repeat_spots(ctx, ev, p, out, &tcap)) ||
        (rc = gs__hs_overdue_spots(ctx, ev, p, out, &tcap)) ||
        (rc = gs__hs_rising_spots(ctx, m, ev, p, out, &tcap)) ||
        (rc = gs__hs_count_backlog(ctx, m, ev, p, out)))
        goto done;
    gs__progress(ctx, "density", -1);
    if ((rc = gs__hs_density(ctx, m, ev, p, out))) goto done;
    rc = gs__hs_summaries(ctx, m, ev, p, out);
done:
    if (rc) gs__hsresult_free(ctx->geos, out);
    return rc;
}

void gs__hsresult_free(GEOSContextHandle_t h, gs__hsresult *r) {
    free(r->cats);
    free(r->cat_events);
    free(r->ev_grid);
    free(r->ev_loc);
    free(r->ev_hex);
    free(r->ev_cat);
    free(r->ev_flag);
    free(r->grids);
    free(r->grid_cat);
    gs__hs_gi_free(&r->grid_gi);
    free(r->hex);
    for (size_t k = 0; r->hex_geom && k < r->n_hex; k++)
        GEOSGeom_destroy_r(h, r->hex_geom[k]);
    free(r->hex_geom);
    free(r->hex_area);
    free(r->hex_comm);
    free(r->hex_events);
    free(r->hex_history);
    gs__hs_gi_free(&r->hex_gi);
    free(r->ehsa);
    free(r->week_bin);
    for (size_t k = 0; k < r->n_clusters; k++)
        if (r->clusters[k].geom) GEOSGeom_destroy_r(h, r->clusters[k].geom);
    free(r->clusters);
    for (size_t k = 0; k < r->n_trouble; k++) free(r->trouble[k].detail);
    free(r->trouble);
    free(r->kde);
    free(r->backlog);
    free(r->weekly);
    free(r->monthly);
    free(r->street_codes);
    memset(r, 0, sizeof *r);
}
