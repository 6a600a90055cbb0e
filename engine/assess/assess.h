/*
 * assess.h - the monthly assessment's arithmetic (score.c, visits.c, care.c).
 *
 * The pieces gs_assess_run is built from that need no file: the month's
 * period, a member's sub-scores and tier, the check of one service visit
 * against a trace, and the care windows of one care target. Tests call
 * them on hand-built data.
 */
#ifndef GS_ASSESS_H
#define GS_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "rules.h"

/* The most ISO weeks whose Thursday falls in one month. */
#define GS__MONTH_WEEKS 5

/* A month's assessment period: its ISO weeks (a week belongs to the
 * month of its Thursday), days since 1970-01-01. */
typedef struct gs__aperiod {
    int year, month;
    int nweeks;                      /* 4 or 5 */
    int32_t monday[GS__MONTH_WEEKS]; /* each week's Monday */
    int32_t day0, day1;              /* first Monday, last Sunday */
} gs__aperiod;

/* Parses "YYYY-MM" (exactly) into its period. GS_OK, or
 * GS_ERR_INPUT_VALUE for anything else (out zeroed). */
int gs__assess_period(const char *month, gs__aperiod *out);

/* What is known of one member for the month. Offline means are NAN when
 * the member has no row of that item. */
typedef struct gs__ainput {
    long workdays, workdays_ok; /* member_day rows on workdays / daily_ok */
    long weeks, weeks_ok;       /* member_week rows / weekly_ok */
    double offline_pct[GS_ASSESS_ITEMS]; /* mean score 0-100, or NAN */
    int have_visits;                     /* visits were given for the run */
    long care_due, care_met;      /* care windows of the member's targets */
    long visits, visits_verified; /* the member's recorded visits */
} gs__ainput;

/* A member's result. points[] and pct[] per item: pct is the share of
 * the item's weight earned (0-100), points = weight x pct / 100. */
typedef struct gs__ascore {
    double pct[GS_ASSESS_ITEMS];
    double points[GS_ASSESS_ITEMS];
    double basic;     /* patrol + information + visits + events */
    double residents; /* awareness + satisfaction */
    double total;     /* basic + special + residents */
    const char *tier; /* "优秀", "良好", "合格", "不合格" (static) */
    int defaulted[GS_ASSESS_ITEMS]; /* 1: the item took a default */
    /* Every default taken, "; "-joined, e.g. "information=60% (no offline
     * score)"; "" when none. */
    char defaults_used[640];
} gs__ascore;

/* Scores one member (see gs_assess_run for the definitions). Never
 * fails. */
void gs__assess_score(const gs_rules *r, const gs__ainput *in, gs__ascore *out);

/* The tier of a total, static text. */
const char *gs__assess_tier(const gs_rules *r, double total);

/* One fix of a member's trace, metric. */
typedef struct gs__vfix {
    int64_t t_ms;
    double x, y;
    float accuracy_m; /* NaN when unknown */
} gs__vfix;

/* The check of one visit against a trace. */
typedef struct gs__vcheck {
    int verified;     /* a fix within the radius and the window */
    int found;        /* any usable fix within the window */
    double dist_m;    /* the closest usable fix in the window (found) */
    int64_t fix_t_ms; /* its time (found) */
} gs__vcheck;

/* Checks a visit to the household at (hx, hy) recorded at t_ms against
 * the fixes f[0..n) (sorted by time): the closest fix (point to fix
 * distance; ties: the one nearer in time) among those within
 * r->visit_window_s of t_ms, leaving out fixes less accurate than
 * r->low_accuracy_m; verified when it is within r->visit_radius_m. */
void gs__visit_check(const gs__vfix *f, size_t n, double hx, double hy,
                     int64_t t_ms, const gs_rules *r, gs__vcheck *out);

/* The care windows of a target over the period [day0, day0 + ndays): with
 * an interval of `interval` days (1 or more), max(1, ndays / interval)
 * windows of `interval` days from day0, the last taking the rest of the
 * period. visit_days: the local days of the target's verified visits (any
 * order; days outside the period are ignored). Sets the windows due, met
 * (with a visit), and the first window without one (-1 when none). */
void gs__care_windows(int32_t day0, int ndays, int interval,
                      const int32_t *visit_days, size_t n, int *out_due,
                      int *out_met, int *out_first_missed);

/* The first and last day of window k (as gs__care_windows cuts them). */
void gs__care_window_days(int32_t day0, int ndays, int interval, int k,
                          int32_t *out_first, int32_t *out_last);

#endif /* GS_ASSESS_H */
