/*
 * run_assess.h - the state of one gs_assess_run and its steps (internal).
 *
 * The monthly assessment is one run (run_assess.c) over a gs__arun: the
 * ledger's weeks of the month (read_ledger.c), the offline scores and
 * visits CSVs (offline_csv.c), the visits checked against the traces
 * (visits.c), the care targets and their windows (care.c), the scores
 * (score.c) and the outputs with the run's report (write_assess.c).
 */
#ifndef GS_RUN_ASSESS_H
#define GS_RUN_ASSESS_H

#include <ogr_api.h>
#include <stddef.h>
#include <stdint.h>

#include "assess.h"
#include "crs.h"
#include "datetime.h"
#include "io.h"
#include "model.h"
#include "provenance.h"
#include "report.h"
#include "traces.h"
#include "writer.h"

/* A row of the offline or visits CSV that could not be used. */
typedef struct gs__abadrow {
    const char *source; /* "offline" or "visits" */
    const char *path;
    uint32_t line;
    const char *member_id;
    const char *field;
    const char *reason;
} gs__abadrow;

/* A member_week row of the period. */
typedef struct gs__awrow {
    const char *member_id, *grid_code, *week, *note;
    int weekly_ok;
    OGRGeometryH geom; /* owned, output CRS; NULL when none */
} gs__awrow;

typedef struct gs__amember {
    const char *id;
    const char *grid_code; /* the latest week's codes, ';'-joined */
    const char *note;      /* the ledger's notes, and ours */
    OGRGeometryH geom;     /* owned: the latest week's grid shape(s) */
    gs__ainput in;
    double off_sum[GS_ASSESS_ITEMS];
    long off_n[GS_ASSESS_ITEMS];
    long care_targets;
    gs__ascore score;
} gs__amember;

/* A recorded visit inside the period. */
typedef struct gs__avisit {
    const char *member_id, *household_id, *kind;
    int64_t t_ms;
    uint32_t line;
    long member;     /* index into the members, or -1 */
    long household;  /* index into the households, or -1 */
    long trace;      /* index into the traces, or -1 */
    size_t off, len; /* its fixes in the projected buffer */
    gs__vcheck chk;
    char detail[96];
} gs__avisit;

/* A care target of a member and how the month went. */
typedef struct gs__aduty {
    long member, household;
    int type, due, met, first_missed;
    long verified;
    int64_t last_t; /* the last verified visit, or INT64_MIN */
} gs__aduty;

/* A member's fixes near the period, sorted by time (x, y: lon, lat). */
typedef struct gs__amtrace {
    const char *id;
    gs__vfix *f;
    size_t n;
} gs__amtrace;

typedef struct gs__arun {
    gs_ctx *ctx;
    const gs_assess_opts *o;
    const gs_input_opts *in;
    const gs_rules *r;
    gs__aperiod per;
    int64_t t0, t1; /* the period in UTC: [t0, t1) */
    gs__tz *tz;
    gs__arena strings;
    gs__crsinfo crs;
    gs__inputs info;
    gs__awrow *rows;
    size_t n_rows, cap_rows;
    char weeks[GS__MONTH_WEEKS][9]; /* the period's weeks */
    int have_week[GS__MONTH_WEEKS]; /* ... held by the ledger */
    gs__amember *m;
    size_t n_m;
    gs__abadrow *bad;
    size_t n_bad, cap_bad;
    gs__avisit *v;
    size_t n_v, cap_v;
    gs__aduty *duties;
    size_t n_duties;
    gs__model hm; /* grids (from the ledger), roster pairs, households */
    gs__amtrace *tracks;
    size_t n_tracks;
    gs__vfix *fixes; /* one block the tracks point into */
    /* counts for the report */
    long offline_rows, offline_unknown, visits_outside, visits_unknown;
    long care_no_grid, care_unknown_type, overdue;
    char unknown_example[64], care_type_example[64];
} gs__arun;

/* ---- helpers (run_assess.c) -------------------------------------------- */

/* A copy of `s` in the run's arena; NULL when out of memory. */
char *gs__arun_keep(gs__arun *R, const char *s);

/* GS_ERR_NOMEM with the context's message. */
int gs__arun_nomem(gs__arun *R);

/* Grows *v (of element size `size`, *cap allocated, n used) to hold one
 * more; hard maximum of 2^28 elements, far above a city's month. */
int gs__arun_grow(gs__arun *R, void **v, size_t *cap, size_t n, size_t size);

/* The index of member `id` among the run's members (sorted), or -1. */
long gs__arun_find_member(const gs__arun *R, const char *id);

/* `list` with `s` appended (`sep`-joined) unless it is there already, in
 * the arena; NULL when out of memory. */
const char *gs__arun_join(gs__arun *R, const char *list, const char *s,
                          const char *sep);

/* The index of the first of the n elements of `base` (sorted by cmp) that
 * is not below `key`; n when none. cmp(element, key), as qsort's. */
size_t gs__lower_bound(const void *key, const void *base, size_t n, size_t size,
                       int (*cmp)(const void *, const void *));

/* ---- the steps ---------------------------------------------------------- */

/* read_ledger.c: the month's member_week and member_day rows into the
 * members, with the output CRS (member_week's) and a metric CRS. */
int gs__arun_read_ledger(gs__arun *R);

/* offline_csv.c: the offline scores (means per member and item) and the
 * recorded visits of the period; bad rows stop the run with their file,
 * line and field unless {on_error}=skip (then they go to bad_rows). */
int gs__arun_read_offline(gs__arun *R);
int gs__arun_read_visits(gs__arun *R);

/* visits.c: every visit matched to its member, household and trace, and
 * checked against the fixes around it (takes the traces). */
int gs__arun_check_visits(gs__arun *R, gs__traces *tr);

/* care.c: the care targets of every member (households of a care type in
 * the member's grid of the latest week) and their windows met. */
int gs__arun_care(gs__arun *R);

/* write_assess.c: every layer into the temporary output, handed over in
 * *out_o not yet committed (NULL on failure, nothing left); and the run's
 * report (NULL when out of memory). */
int gs__arun_write(gs__arun *R, const char *started, gs__out **out_o);
gs_report *gs__arun_report(gs__arun *R);

#endif /* GS_RUN_ASSESS_H */
