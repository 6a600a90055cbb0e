/*
 * patrol.h - patrol time, coverage and compliance on the model (patrol.c).
 */
#ifndef GS_PATROL_H
#define GS_PATROL_H

#include <stdint.h>

#include "model.h"

/* One GPS fix as the analysis sees it: metric, UTC, and its lon/lat as
 * read (for the line work written out). */
typedef struct gs__patrol_fix {
    int64_t t_ms;
    double x, y;
    double lon, lat;
    float accuracy_m; /* NaN when unknown */
    uint32_t line;    /* where it came from, for messages */
} gs__patrol_fix;

/* Workday calendar: a callback so the analysis needs no file. */
typedef int (*gs__workday_fn)(void *user, int32_t day);
/* Local day of an instant, and the UTC start of a local day. */
typedef int32_t (*gs__day_of_fn)(void *user, int64_t utc_ms);
typedef int64_t (*gs__day_start_fn)(void *user, int32_t day);

typedef struct gs__patrol_clock {
    gs__day_of_fn day_of;
    gs__day_start_fn day_start;
    gs__workday_fn workday;
    void *user;
} gs__patrol_clock;

/* A member's traces: fixes in file order. `fix` may be NULL with n > 0:
 * the analysis then has the source fill them (gs__patrol_source). */
typedef struct gs__patrol_track {
    const char *member_id;
    gs__patrol_fix *fix;
    size_t n;
} gs__patrol_track;

/* Where the fixes of a track without `fix` come from: each worker of the
 * analysis has the source fill the track into a buffer of its own just
 * before analysing it, so that gathering a member's fixes, projecting
 * them and clipping their segments are one pass over memory that stays
 * in cache, on every core, and the fixes are never held twice. `begin`
 * makes a worker's state (its PROJ context: NULL on failure), `fill`
 * writes track t's n fixes (file order, metric x and y) and returns
 * GS_OK or an error code whose words `errmsg` gives, `end` frees the
 * state. */
typedef struct gs__patrol_source {
    void *(*begin)(void *user);
    int (*fill)(void *user, void *state, size_t track, gs__patrol_fix *out);
    void (*end)(void *user, void *state);
    const char *(*errmsg)(void *user);
    void *user;
} gs__patrol_source;

/* A (member, grid) pair the outputs have rows for: one per roster row
 * (distinct member and grid code), plus members seen only in traces. */
typedef struct gs__patrol_entry {
    const char *member_id;
    const char *name;      /* the roster's name, "" when none */
    const char *grid_code; /* "" for members not in the roster */
    long grid;             /* model grid index, or -1 */
    long track;            /* index into the tracks, or -1: no trace */
    const char *note;      /* "", "not in roster", "grid does not exist" */
} gs__patrol_entry;

enum {
    GS__GPS_JUMP = 0,
    GS__GPS_DUPLICATE,
    GS__GPS_OUT_OF_ORDER,
    GS__GPS_LOW_ACCURACY,
    GS__GPS_SUSPECTED_MOCK,
    GS__GPS_KINDS
};

const char *gs__gps_kind_name(int kind);

typedef struct gs__patrol_day {
    int32_t day;
    int workday;
    double in_grid_s, in_tol_s, tracked_s, gap_s, distance_m;
    long fixes, bad_fixes;
    int daily_ok;
} gs__patrol_day;

typedef struct gs__patrol_week {
    int32_t monday;
    double in_tol_s;
    int workdays, workdays_ok, weekly_ok, compliant;
    double coverage_pct; /* NaN without a grid */
    long households, reached, care, care_reached;
    unsigned char *uncovered_wkb; /* metric MultiPolygon, or NULL */
    size_t uncovered_len;
} gs__patrol_week;

typedef struct gs__patrol_line { /* credited line work of one member-day */
    int32_t day;
    double *xy; /* npts lon/lat pairs (WGS84, as the fixes) */
    size_t npts;
    size_t *starts; /* part k is points starts[k] .. starts[k+1]-1 */
    size_t nparts;
} gs__patrol_line;

typedef struct gs__patrol_gap {
    int64_t t0, t1;
    double x0, y0, x1, y1;
} gs__patrol_gap;

typedef struct gs__patrol_issue {
    int kind;
    int64_t t_ms;
    double x, y;
    uint32_t line;
    char detail[120];
} gs__patrol_issue;

/* Everything computed for one entry. */
typedef struct gs__patrol_out {
    gs__patrol_day *days;   /* one per day of the period */
    gs__patrol_week *weeks; /* one per ISO week touching the period */
    gs__patrol_line *lines; /* per day with credited segments */
    size_t n_lines;
    gs__patrol_gap *gaps;
    size_t n_gaps, cap_gaps;
    gs__patrol_issue *issues;
    size_t n_issues, cap_issues;
    size_t *unreached; /* household indices, per week: see unreached_week */
    int32_t *unreached_week;
    size_t n_unreached, cap_unreached;
} gs__patrol_out;

typedef struct gs__patrol_result {
    gs__patrol_entry *entries;
    size_t n_entries;
    gs__patrol_out *out; /* per entry */
    int32_t day0;        /* the period, local days inclusive */
    int ndays;
    int nweeks;
    int32_t *mondays;     /* per week */
    long *household_grid; /* per household: grid or -1 */
} gs__patrol_result;

typedef struct gs__patrol_rules {
    double max_gap_s, max_speed_mps, tolerance_m, daily_min_s, weekly_min_s;
    double coverage_m, reach_m, raster_m, low_accuracy_m;
    int mock_min_fixes;
} gs__patrol_rules;

void gs__patrol_rules_from(const gs_rules *r, gs__patrol_rules *out);

/* Builds the entries from the roster and the tracks (members of traces
 * not in the roster get an entry with no grid). */
int gs__patrol_entries(gs_ctx *ctx, const gs__model *m,
                       const gs__patrol_track *tracks, size_t n_tracks,
                       gs__patrol_result *res);

/* Runs the analysis for the period [day0, day0 + ndays). Fixes of each
 * track are sorted in place. `threads` workers. `src` fills the tracks
 * without fixes (NULL when every track has its fixes). */
int gs__patrol_analyse(gs_ctx *ctx, const gs__model *m,
                       gs__patrol_track *tracks, size_t n_tracks,
                       const gs__patrol_clock *pt,
                       const gs__patrol_rules *rules, int32_t day0, int ndays,
                       int threads, const gs__patrol_source *src,
                       gs__patrol_result *res);

void gs__patrol_result_free(gs__patrol_result *res);

#endif /* GS_PATROL_H */
