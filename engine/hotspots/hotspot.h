/*
 * hotspot.h - the hotspots analysis on the in-memory model.
 *
 * Takes the grids (and optionally communities and households) of a model,
 * the events, the period and the rules; returns plain arrays the writer
 * turns into layers. No OGR handle, no file: tests build models from WKT.
 * The numbers come from stats.c (Gi*, BH, Mann-Kendall, emerging classes,
 * DBSCAN, quartic KDE) and hexgrid.c (the lattice); the analysis decides
 * what is counted where and when, as analyse.c's top comment explains,
 * one step per file (analysis.h lists them).
 */
#ifndef GS_HOTSPOT_H
#define GS_HOTSPOT_H

#include <stdint.h>

#include "calendar.h"
#include "events.h"
#include "hexgrid.h"
#include "model.h"
#include "stats.h"

/* The period and the clock of a run. Days are local days since 1970. */
typedef struct gs__hs_params {
    const gs_rules *rules;
    double hex_size_m;       /* hexagons across flats */
    int32_t day0, day1;      /* the period, inclusive */
    int64_t as_of_ms;        /* the period's end: start of day1 + 1 (UTC) */
    int64_t from_ms;         /* the period's start: start of day0 (UTC) */
    int32_t week0;           /* Monday of the first week of history */
    int nweeks;              /* weeks of history, week0 .. day1's week */
    const gs__calendar *cal; /* workdays; NULL: Monday to Friday */
    int have_households;     /* the model's households were given */
    int threads;
} gs__hs_params;

/* Per-event flags (gs__hsresult.ev_flag). */
enum {
    GS__EVF_PERIOD = 1,       /* reported in the period */
    GS__EVF_MISMATCH = 2,     /* grid_code given, another grid by location */
    GS__EVF_UNKNOWN_CODE = 4, /* grid_code given, no grid has it */
    GS__EVF_OUTSIDE = 8,      /* in no grid by location */
    GS__EVF_HISTORY = 16      /* reported in a history week, by as_of */
};

/* Gi* of one set of units. */
typedef struct gs__hs_gi {
    int done;      /* 0: not computed, `note` says why; fields NULL */
    double *z, *p; /* per unit, when done */
    signed char *bin;
    char note[200]; /* English: the layers and the JSON keep it */
    char text[400]; /* the note in the user's language, for the console */
} gs__hs_gi;

/* What became of a set of events by the period's end. */
typedef struct gs__hs_counts {
    long events;
    long open;          /* not resolved at as_of */
    long overdue;       /* open and past the category's deadline */
    long resolved;      /* resolved by as_of (incl. self-resolved) */
    long self_resolved; /* handled on the spot, by as_of */
    double resolve_h;   /* sum of hours to resolve, over n_resolve_h */
    long n_resolve_h;   /* resolved events with a resolved_at */
} gs__hs_counts;

typedef struct gs__hs_grid {
    gs__hs_counts c; /* of the events in the period */
    long mismatch;   /* counted here by location, given another code */
    long households; /* -1 without households */
    double area_m2;
    double value; /* what Gi* was computed on */
} gs__hs_grid;

typedef struct gs__hs_cluster {
    long events, core;
    int category; /* dominant category index */
    long category_events;
    int64_t first_ms, last_ms;
    long grid;          /* the grid most of its events count in, or -1 */
    GEOSGeometry *geom; /* hull buffered by eps/10, metric; owned */
    double x, y;        /* mean point */
} gs__hs_cluster;

typedef enum gs__trouble_kind {
    GS__TROUBLE_REPEAT = 0,  /* repeat location */
    GS__TROUBLE_OVERDUE = 1, /* open past its deadline */
    GS__TROUBLE_RISING = 2   /* a grid whose weekly counts rise */
} gs__trouble_kind;

typedef struct gs__hs_trouble {
    gs__trouble_kind kind;
    double x, y;  /* metric */
    long grid;    /* -1 when none */
    int category; /* the event's, or the dominant; -1 for rising */
    long events;  /* events of the spot (rising: in the history) */
    int64_t first_ms, last_ms;
    long event;           /* overdue: the event's index; else -1 */
    int32_t deadline_day; /* overdue */
    int deadline_workdays;
    int workdays_overdue;
    double trend_tau, trend_z, trend_p; /* rising */
    char *detail; /* owned: event ids or the weekly counts */
} gs__hs_trouble;

/* The backlog of a grid (backlog.c): events reported, resolved and
 * self-resolved in the period, reported with no status, and open and
 * overdue at its end whatever week they were reported in. */
typedef struct gs__hs_backlog {
    long reported, resolved, self_resolved, status_unknown;
    long open, overdue;
    int32_t oldest_open; /* day of the oldest open event; INT32_MAX: none */
    int max_workdays_overdue;
} gs__hs_backlog;

/* One row of weekly_summary or monthly_summary. */
typedef struct gs__hs_sum {
    int level;        /* 0 community, 1 street, 2 total */
    const char *code; /* community or street code, "total" */
    int32_t start;    /* first day of the week or month */
    gs__hs_counts c;
    long hot_hexes;   /* -1 when hexagon Gi* was not computed */
    long prev_events; /* -1 when the previous period has no data */
    char top[160];    /* "环境卫生 12; 占道经营 5; 安全隐患 3" */
} gs__hs_sum;

typedef struct gs__hsresult {
    /* categories, most frequent in the period first, then by text */
    const char **cats;
    size_t ncats;
    long *cat_events; /* per category, in the period */
    /* per event */
    long *ev_grid; /* the grid it counts in, or -1 */
    long *ev_loc;  /* the grid by location, or -1 */
    long *ev_hex;  /* the hexagon, or -1 */
    int *ev_cat;
    unsigned char *ev_flag;
    long n_period, n_history, n_mismatch, n_unknown_code, n_outside;
    long n_outside_hexes; /* period events in no hexagon */
    /* grids */
    gs__hs_grid *grids;
    long *grid_cat; /* n_grids x ncats, events in the period */
    gs__hs_gi grid_gi;
    /* hexagons */
    gs__hexgrid lattice;
    gs__hex *hex;
    size_t n_hex;
    GEOSGeometry **hex_geom; /* clipped, metric; owned */
    double *hex_area;
    long *hex_comm;    /* community (or grid when none) index, or -1 */
    long *hex_events;  /* in the period */
    long *hex_history; /* in the history */
    gs__hs_gi hex_gi;
    /* emerging hot spots, per hexagon */
    int ehsa_done;       /* 0: `ehsa_note` says why; classes insufficient */
    char ehsa_note[200]; /* English, as the layers and the JSON keep it */
    char ehsa_text[400]; /* the same in the user's language (console) */
    gs__ehsa_result *ehsa;
    signed char *week_bin; /* nweeks x n_hex weekly Gi* bins, or NULL */
    /* clusters and trouble spots */
    gs__hs_cluster *clusters;
    size_t n_clusters;
    gs__hs_trouble *trouble;
    size_t n_trouble;
    int rising_done;
    char rising_note[200]; /* English, as rising_note above */
    char rising_text[400]; /* the same in the user's language */
    /* kernel density, per km^2, row 0 north */
    gs__raster kde_grid;
    float *kde;
    double kde_h, kde_sd, kde_dm;
    char kde_rule[200];
    /* the backlog per grid, then of the events in no grid (n_grids + 1),
     * and in total */
    gs__hs_backlog *backlog;
    gs__hs_backlog backlog_total;
    /* summaries */
    gs__hs_sum *weekly, *monthly;
    size_t n_weekly, n_monthly;
    char *street_codes; /* storage of the street codes the rows point to */
} gs__hsresult;

/* Fills the period and clock fields from the rules and days, the history
 * starting at the Monday of first_day's week (at most 104 weeks back). */
void gs__hs_params_init(gs__hs_params *p, const gs_rules *rules, int32_t day0,
                        int32_t day1, int64_t as_of_ms, int32_t first_day);

/* Grid of each event: by location the lowest grid_code among the grids
 * covering it (gs__assign_points); for an event in no grid, the
 * grid its grid_code names (the first in input order), else -1. Sets
 * GS__EVF_MISMATCH when a given code differs from the location's,
 * GS__EVF_UNKNOWN_CODE when no grid has it, GS__EVF_OUTSIDE when no grid
 * covers the point. out_loc (may be NULL) receives the location's grid. */
int gs__hs_join(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                int threads, long *out_grid, long *out_loc,
                unsigned char *out_flags);

/* Binary queen contiguity of the model's grids as CSR (stats.h): i and j
 * are neighbours when their repaired shapes lie within snap_m of each
 * other (a shared vertex is enough); self is not listed. Both arrays are
 * malloc'ed and freed by the caller. GS_ERR_NOMEM. */
int gs__hs_queen(gs_ctx *ctx, const gs__model *m, double snap_m,
                 size_t **out_start, size_t **out_nbr);

/* gs__hs_queen on n polygons, polygon i at geoms + i * stride bytes (a
 * pointer to a metric, repaired GEOSGeometry, or NULL/empty for none):
 * the merge of shard outputs (merge.c) rebuilds the single run's
 * contiguity through this same code. Same contract as gs__hs_queen. */
int gs__hs_queen_geoms(gs_ctx *ctx, GEOSGeometry *const *geoms, size_t stride,
                       size_t n, double snap_m, size_t **out_start,
                       size_t **out_nbr);

/* A note why something was not computed, formatted twice from the
 * English `fmt`: as it is into `note` (the layers and the JSON keep the
 * English) and translated (gs__tr) into `text`, which the console shows.
 * Either is cut to its size. */
void gs__hs_note(char *note, size_t note_size, char *text, size_t text_size,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Gi* of the units with use[i] (all when use is NULL) on values x, with
 * CSR neighbours among all n units (unused neighbours drop out): z, p
 * (NaN for unused units) and BH bins into *out, or out->done = 0 and a
 * note naming `what` ("grids"; `what_text` in the user's language) when
 * there are fewer than min_units units or every value is equal.
 * GS_ERR_NOMEM. Free with gs__hs_gi_free. */
int gs__hs_gi_run(const double *x, const unsigned char *use, size_t n,
                  const size_t *start, const size_t *nbr, int min_units,
                  const char *what, const char *what_text, gs__hs_gi *out);

/* Gi* of n grid polygons (as gs__hs_queen_geoms takes them) on values x
 * where use[i]: binary queen contiguity with the rules' edge snap, then
 * gs__hs_gi_run with the rules' min_units, into *out. The run's grid_gi
 * and the merge's (merge.c) both come from here. GS_ERR_NOMEM with the
 * context's message. */
int gs__hs_grids_gi(gs_ctx *ctx, const double *x, const unsigned char *use,
                    GEOSGeometry *const *geoms, size_t stride, size_t n,
                    const gs_rules *rules, gs__hs_gi *out);

/* Gi* of n hexagons (in (r, q) order, as gs__hex_adjacency takes them)
 * on the values x with ring-1 neighbours, into *out, or the note that no
 * hexagon overlaps the communities when n is 0. The neighbours go to
 * *out_start and *out_nbr (CSR, malloc'ed, NULL when n is 0) when those
 * are not NULL. The run's hex_gi and the merge's (merge_units.c) both
 * come from here. GS_ERR_NOMEM with the context's message. */
int gs__hs_hexes_gi(gs_ctx *ctx, const gs__hex *hx, const double *x, size_t n,
                    const gs_rules *rules, gs__hs_gi *out, size_t **out_start,
                    size_t **out_nbr);

/* The order of categories in a run, for qsort: more events in the period
 * first, then by their text. The merge of shards (merge.c) orders the
 * summed categories with it, so cat_1.. are a single run's. */
int gs__hs_cat_cmp(long n_a, const char *a, long n_b, const char *b);

/* The category with most events among counts cn[0..n-1] (in a run's
 * order, so a tie goes to the first), or -1 when all are 0: a grid's
 * top_category, in a run and in a merge of shards. */
int gs__hs_top_category(const long *cn, size_t n);

/* Frees the arrays of a gs__hs_gi and zeroes it. */
void gs__hs_gi_free(gs__hs_gi *g);

/* Units per bin of a gs__hs_gi over n units: bin b (-3..3) at out[b + 3],
 * counting those with a z-score; all 0 when Gi* was not computed. The
 * reports of a run and of a merge both count with it. */
void gs__hs_gi_count_bins(const gs__hs_gi *g, size_t n, long out[7]);

/* The day a deadline of `n` working days falls on for an event reported
 * on `day`: the n-th workday after it (the day itself not counted). */
int32_t gs__hs_deadline(const gs__calendar *cal, int32_t day, int n);

/* The category's deadline in working days (rules table, else default). */
int gs__hs_deadline_workdays(const gs_rules *r, const char *category);

/* Runs the whole analysis. GS_OK, GS_ERR_USAGE (bad parameters, a lattice
 * too large for the extent), GS_ERR_NOMEM, GS_ERR_INTERNAL; the context
 * says which. On failure `out` is freed. */
int gs__hotspots_analyse(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *out);

void gs__hsresult_free(GEOSContextHandle_t h, gs__hsresult *r);

/* A category as shown in outputs: the text, or 未分类 when it is empty. */
const char *gs__hs_category_label(const char *category);

#endif /* GS_HOTSPOT_H */
