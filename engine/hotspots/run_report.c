/*
 * run_report.c - the report of a hotspots run: the same figures as JSON
 * (for scripts) and as a few lines of text (for a person), from the
 * results and the density raster's description.
 *
 * Hot and cold spots are counted as docs/design.md says they pass: |bin| >= 2,
 * Benjamini-Hochberg at 0.05 (stats.h); the 90 % bins are told apart.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "report.h"
#include "run_hotspots.h"

/* What the report is made of, and the figures both forms share. */
typedef struct report_in {
    const gs_hotspots_opts *opts;
    const gs__model *m;
    const gs__events *ev;
    const gs__hsresult *r;
    const gs__hs_params *p;
    const gs__hs_kde_file *k;
    long kinds[3];                /* trouble spots per kind */
    long classes[GS__EHSA_COUNT]; /* hexagons per emerging class */
    char d0[11], d1[11];          /* the period */
    char w0[9], w1[9];            /* the history's first and last week */
} report_in;

/* A Gi* as the report gives it: units, computed, note, units per bin. */
static json_object *gi_json(const gs__hs_gi *g, size_t n, const char *what) {
    json_object *o = json_object_new_object();
    long b[7];
    gs__hs_gi_count_bins(g, n, b);
    json_object_object_add(o, what, json_object_new_int64((int64_t)n));
    json_object_object_add(o, "computed", json_object_new_boolean(g->done));
    json_object_object_add(o, "note",
                           g->done ? NULL : json_object_new_string(g->note));
    json_object_object_add(o, "hot_99", json_object_new_int64(b[6]));
    json_object_object_add(o, "hot_95", json_object_new_int64(b[5]));
    json_object_object_add(o, "hot_90", json_object_new_int64(b[4]));
    json_object_object_add(o, "cold_99", json_object_new_int64(b[0]));
    json_object_object_add(o, "cold_95", json_object_new_int64(b[1]));
    json_object_object_add(o, "cold_90", json_object_new_int64(b[2]));
    return o;
}

/* A Gi* as a line of the text. */
static void gi_text(gs__buf *t, const gs__hs_gi *g, size_t n,
                    const char *what) {
    long b[7];
    gs__hs_gi_count_bins(g, n, b);
    if (!g->done) {
        /* TRANSLATORS: a label and what it says, as "  grids: 22 grids,
         * fewer than the 30 Gi* needs: counts only". */
        gs__buf_printf(t, gs__tr("  %s: %s\n"), what, g->text);
        return;
    }
    gs__buf_printf(
        t,
        /* TRANSLATORS: the first %s is "grids" or "hexagons (100 m)". */
        gs__tr("  %s: %zu; %ld hot spots (%ld at 99%%), %ld cold, "
               "passing FDR 0.05; %ld more at 90%%\n"),
        what, n, b[5] + b[6], b[6], b[0] + b[1], b[4] + b[2]);
}

/* The emerging hot spots object: computed, note, hexagons per class. */
static json_object *emerging_json(const report_in *in) {
    const gs__hsresult *r = in->r;
    json_object *em = json_object_new_object(), *cl;
    json_object_object_add(em, "computed",
                           json_object_new_boolean(r->ehsa_done));
    json_object_object_add(
        em, "note", r->ehsa_done ? NULL : json_object_new_string(r->ehsa_note));
    cl = json_object_new_object();
    for (int c = 0; c < GS__EHSA_COUNT; c++)
        if (in->classes[c])
            json_object_object_add(cl, gs__ehsa_class_name(c),
                                   json_object_new_int64(in->classes[c]));
    json_object_object_add(em, "classes", cl);
    return em;
}

/* The categories with their events in the period, in the run's order. */
static json_object *categories_json(const gs__hsresult *r) {
    json_object *cats = json_object_new_array();
    for (size_t c = 0; c < r->ncats; c++) {
        json_object *x = json_object_new_object();
        json_object_object_add(
            x, "category",
            json_object_new_string(gs__hs_category_label(r->cats[c])));
        json_object_object_add(x, "events",
                               json_object_new_int64(r->cat_events[c]));
        json_object_array_add(cats, x);
    }
    return cats;
}

/* The backlog at the period's end, in total. */
static json_object *backlog_json(const report_in *in) {
    const gs__hs_backlog *b = &in->r->backlog_total;
    json_object *o = json_object_new_object();
    char d[11];
    json_object_object_add(o, "as_of", json_object_new_string(in->d1));
    json_object_object_add(o, "reported", json_object_new_int64(b->reported));
    json_object_object_add(o, "resolved", json_object_new_int64(b->resolved));
    json_object_object_add(o, "self_resolved",
                           json_object_new_int64(b->self_resolved));
    json_object_object_add(o, "status_unknown",
                           json_object_new_int64(b->status_unknown));
    json_object_object_add(o, "open", json_object_new_int64(b->open));
    json_object_object_add(o, "overdue", json_object_new_int64(b->overdue));
    if (b->open) gs__date_format(b->oldest_open, d);
    json_object_object_add(o, "oldest_open",
                           b->open ? json_object_new_string(d) : NULL);
    return o;
}

static void report_json(json_object *o, const report_in *in) {
    const gs__hsresult *r = in->r;
    const gs__hs_params *p = in->p;
    json_object *ts;
    json_object_object_add(o, "command", json_object_new_string("hotspots"));
    json_object_object_add(o, "output",
                           json_object_new_string(in->opts->common.output));
    json_object_object_add(o, "from", json_object_new_string(in->d0));
    json_object_object_add(o, "to", json_object_new_string(in->d1));
    json_object_object_add(o, "events",
                           json_object_new_int64((int64_t)in->ev->n));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)in->ev->n_bad));
    json_object_object_add(o, "events_in_period",
                           json_object_new_int64(r->n_period));
    json_object_object_add(o, "history_weeks", json_object_new_int(p->nweeks));
    json_object_object_add(o, "events_outside_grids",
                           json_object_new_int64(r->n_outside));
    json_object_object_add(o, "grid_mismatch",
                           json_object_new_int64(r->n_mismatch));
    json_object_object_add(o, "unknown_grid_code",
                           json_object_new_int64(r->n_unknown_code));
    json_object_object_add(o, "grid_gi",
                           gi_json(&r->grid_gi, in->m->n_grids, "grids"));
    json_object_object_add(o, "hex_gi",
                           gi_json(&r->hex_gi, r->n_hex, "hexagons"));
    json_object_object_add(o, "hex_size_m",
                           json_object_new_double(p->hex_size_m));
    json_object_object_add(o, "clusters",
                           json_object_new_int64((int64_t)r->n_clusters));
    ts = json_object_new_object();
    for (int i = 0; i < 3; i++)
        json_object_object_add(ts, gs__hs_trouble_kinds[i],
                               json_object_new_int64(in->kinds[i]));
    json_object_object_add(o, "trouble_spots", ts);
    json_object_object_add(
        o, "rising_note",
        r->rising_done ? NULL : json_object_new_string(r->rising_note));
    json_object_object_add(o, "emerging", emerging_json(in));
    json_object_object_add(o, "backlog", backlog_json(in));
    json_object_object_add(o, "status_field",
                           json_object_new_boolean(!in->ev->no_status));
    json_object_object_add(o, "categories", categories_json(r));
    json_object_object_add(o, "kde", gs__hs_kde_json(r, in->k));
}

static void report_text(gs__buf *text, const report_in *in) {
    const gs_hotspots_opts *opts = in->opts;
    const gs__hsresult *r = in->r;
    const gs__hs_params *p = in->p;
    const long *kinds = in->kinds, *classes = in->classes;
    char what[64];
    /* The console text in the user's language (gs__tr); layer, class and
     * rule names stay as the layers spell them. */
    gs__buf_printf(text,
                   gs__tr("hotspots: %s to %s, %ld events in the period (%zu "
                          "usable read, %zu bad rows listed in bad_rows)\n"),
                   in->d0, in->d1, r->n_period, in->ev->n, in->ev->n_bad);
    if (r->n_period == 0)
        gs__buf_printf(text,
                       gs__tr("  no events in the period: the layers hold "
                              "the counts (zero), Gi* is not computed\n"));
    gi_text(text, &r->grid_gi, in->m->n_grids, gs__tr("grids"));
    /* TRANSLATORS: the label of the hexagons' Gi* line; %g the size. */
    snprintf(what, sizeof what, gs__tr("hexagons (%g m)"), p->hex_size_m);
    gi_text(text, &r->hex_gi, r->n_hex, what);
    gs__buf_printf(text, gs__tr("  clusters (DBSCAN %g m, %d events): %zu\n"),
                   opts->common.rules->cluster_eps_m,
                   opts->common.rules->cluster_min_events, r->n_clusters);
    gs__buf_printf(text,
                   gs__tr("  trouble spots: %ld repeat locations, %ld overdue "
                          "events, %ld rising grids\n"),
                   kinds[0], kinds[1], kinds[2]);
    if (!r->rising_done)
        gs__buf_printf(text, gs__tr("    rising grids: %s\n"), r->rising_text);
    {
        const gs__hs_backlog *b = &r->backlog_total;
        char d[11] = "";
        if (b->open) gs__date_format(b->oldest_open, d);
        /* The oldest open event's day only when there is one: two whole
         * sentences rather than a piece to fill in. */
        if (b->open)
            gs__buf_printf(text,
                           gs__tr("  backlog at %s: %ld open events, %ld of "
                                  "them overdue (oldest reported %s); in the "
                                  "period %ld reported, %ld resolved (%ld "
                                  "self-resolved)\n"),
                           in->d1, b->open, b->overdue, d, b->reported,
                           b->resolved, b->self_resolved);
        else
            gs__buf_printf(text,
                           gs__tr("  backlog at %s: %ld open events, %ld of "
                                  "them overdue; in the period %ld reported, "
                                  "%ld resolved (%ld self-resolved)\n"),
                           in->d1, b->open, b->overdue, b->reported,
                           b->resolved, b->self_resolved);
        if (in->ev->no_status)
            gs__buf_printf(text,
                           gs__tr("  no status field: %zu events without a "
                                  "resolved_at counted as status unknown "
                                  "(never open or overdue)\n"),
                           in->ev->n_unknown);
    }
    if (r->ehsa_done) {
        gs__buf_printf(text,
                       /* TRANSLATORS: followed by " class count;" for each
                          emerging hot spot class found (the class codes as the
                          layers spell them) and " no_pattern N". */
                       gs__tr("  emerging hot spots over %d weeks (%s to %s):"),
                       p->nweeks, in->w0, in->w1);
        for (int c = 0; c < GS__EHSA_COUNT; c++)
            if (classes[c] && c != GS__EHSA_NO_PATTERN)
                gs__buf_printf(text, " %s %ld;", gs__ehsa_class_name(c),
                               classes[c]);
        gs__buf_printf(text, " no_pattern %ld\n", classes[GS__EHSA_NO_PATTERN]);
    } else {
        gs__buf_printf(text, gs__tr("  emerging hot spots: %s\n"),
                       r->ehsa_text);
    }
    if (r->n_mismatch || r->n_unknown_code || r->n_outside)
        gs__buf_printf(text,
                       gs__tr("  event_issues: %ld given grid codes disagree "
                              "with the location, %ld name no grid, %ld "
                              "events lie in no grid\n"),
                       r->n_mismatch, r->n_unknown_code, r->n_outside);
    gs__buf_printf(text,
                   gs__tr("  density: quartic kernel, bandwidth %.0f m, %g m "
                          "cells (rule in run_metadata)\n"),
                   r->kde_h, r->kde_grid.cell);
    if (in->k->path)
        gs__buf_printf(text, gs__tr("  wrote %s and %s\n"), opts->common.output,
                       in->k->path);
    else /* PostgreSQL: no raster beside it (README "Shards") */
        gs__buf_printf(text, gs__tr("  wrote %s (no density raster)\n"),
                       opts->common.output);
}

gs_report *gs__hs_make_report(gs_ctx *ctx, const gs_hotspots_opts *opts,
                              const gs__model *m, const gs__events *ev,
                              const gs__hsresult *r, const gs__hs_params *p,
                              const gs__hs_kde_file *k) {
    json_object *o = json_object_new_object();
    report_in in;
    gs__buf text;
    if (!o) return NULL;
    memset(&in, 0, sizeof in);
    in.opts = opts;
    in.m = m;
    in.ev = ev;
    in.r = r;
    in.p = p;
    in.k = k;
    for (size_t i = 0; i < r->n_trouble; i++) in.kinds[r->trouble[i].kind]++;
    for (size_t i = 0; i < r->n_hex; i++) in.classes[r->ehsa[i].cls]++;
    gs__date_format(p->day0, in.d0);
    gs__date_format(p->day1, in.d1);
    gs__isoweek_format(p->week0, in.w0);
    gs__isoweek_format(p->week0 + 7 * (p->nweeks - 1), in.w1);
    report_json(o, &in);
    gs__buf_init(&text, 0);
    report_text(&text, &in);
    return gs__report_from_buf(ctx, o, &text, (long)r->n_trouble);
}
