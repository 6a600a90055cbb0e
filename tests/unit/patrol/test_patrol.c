/*
 * test_patrol.c - patrol time on hand-built tracks, arithmetic in comments.
 *
 * The clock is UTC+8 with no daylight saving (Asia/Shanghai). Coordinates
 * are metres. Each case builds one grid, one roster row and one track, runs
 * the analysis for the week of Monday 2026-11-16 and checks the figures
 * worked out by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "harness.h"
#include "model.h"
#include "patrol.h"

#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define OFFSET (8 * HOUR)

static gs_ctx *ctx;
static int holiday_wednesday; /* 2026-11-18 off, Saturday 11-21 worked */

/* 2026-11-16, a Monday, is day 20773 since 1970-01-01. */
#define MON 20773

static int32_t day_of(void *u, int64_t t) {
    (void)u;
    int64_t l = t + OFFSET;
    return (int32_t)(l >= 0 ? l / DAY : (l - DAY + 1) / DAY);
}

static int64_t day_start(void *u, int32_t d) {
    (void)u;
    return (int64_t)d * DAY - OFFSET;
}

static int workday(void *u, int32_t d) {
    int wd = (int)(((d + 3) % 7 + 7) % 7) + 1;
    (void)u;
    if (holiday_wednesday && d == MON + 2) return 0;
    if (holiday_wednesday && d == MON + 5) return 1;
    return wd <= 5;
}

/* Local wall time on a day of the test week -> UTC ms. */
static int64_t at(int day_index, int h, int mi, int s) {
    return (int64_t)(MON + day_index) * DAY - OFFSET +
           ((int64_t)h * 3600 + mi * 60 + s) * 1000;
}

typedef struct fixture {
    gs__model m;
    gs__patrol_track track;
    gs__patrol_fix fix[4096];
    gs__patrol_result res;
} fixture;

static void setup(fixture *f, const char *grid_wkt) {
    gs__grid *g;
    gs__member *mb;
    memset(f, 0, sizeof *f);
    gs__model_init(&f->m, ctx->geos);
    f->m.grids = calloc(1, sizeof *f->m.grids);
    g = &f->m.grids[0];
    g->code = "110108001001001";
    g->community_code = "110108001001";
    g->grid_type = "basic";
    g->name = "";
    g->geom = gs__geom_from_wkt(ctx->geos, grid_wkt);
    f->m.n_grids = 1;
    f->m.members = calloc(1, sizeof *f->m.members);
    mb = &f->m.members[0];
    mb->member_id = "M1";
    mb->grid_code = "110108001001001";
    mb->name = "";
    f->m.n_members = 1;
    f->m.have_members = 1;
    f->track.member_id = "M1";
    f->track.fix = f->fix;
}

static void fix(fixture *f, int64_t t, double x, double y) {
    gs__patrol_fix *p = &f->fix[f->track.n];
    p->t_ms = t;
    p->x = p->lon = x;
    p->y = p->lat = y;
    p->accuracy_m = 5;
    p->line = (uint32_t)f->track.n + 2; /* after a header line */
    f->track.n++;
}

static int run(fixture *f) {
    gs_rules rules;
    gs__patrol_rules pr;
    gs__patrol_clock pt = {day_of, day_start, workday, NULL};
    int rc;
    gs_rules_init(&rules);
    gs__patrol_rules_from(&rules, &pr);
    rc = gs__patrol_entries(ctx, &f->m, &f->track, 1, &f->res);
    if (rc) return rc;
    return gs__patrol_analyse(ctx, &f->m, &f->track, 1, &pt, &pr, MON, 7, 1,
                              NULL, &f->res);
}

static void teardown(fixture *f) {
    gs__patrol_result_free(&f->res);
    gs__model_free(&f->m);
}

static const gs__patrol_day *day(fixture *f, int i) {
    return &f->res.out[0].days[i];
}

static int count_issues(fixture *f, int kind) {
    int n = 0;
    for (size_t i = 0; i < f->res.out[0].n_issues; i++)
        n += f->res.out[0].issues[i].kind == kind;
    return n;
}

#define SQUARE "POLYGON((0 0, 100 0, 100 100, 0 100, 0 0))"

/* A straight walk at 1 m/s along y = 50 from x = -50 to 150, a fix every
 * 10 s: 20 segments, 200 s, 200 m. Inside the square x in [0,100]: 100 s.
 * Inside the square buffered 15 m, x in [-15,115] (the rounded corners lie
 * outside y in [0,100]): 130 s. out_grid = 200 - 100 = 100 s. */
TEST(straight_walk_across_a_square) {
    fixture f;
    setup(&f, SQUARE);
    for (int k = 0; k <= 20; k++)
        fix(&f, at(0, 9, 0, 10 * k), -50 + 10 * k, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 100.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->in_tol_s, 130.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->tracked_s, 200.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->distance_m, 200.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->gap_s, 0.0, 1e-9);
    CHECK(day(&f, 0)->fixes == 21);
    CHECK(day(&f, 0)->daily_ok == 0);
    CHECK(f.res.out[0].n_lines == 1);
    CHECK(f.res.out[0].lines[0].npts == 21);
    teardown(&f);
}

/* Two fixes inside, 400 s apart: 400 > 300 s, a gap of 400 s, no credit. */
TEST(gap_longer_than_300s) {
    fixture f;
    setup(&f, SQUARE);
    fix(&f, at(0, 9, 0, 0), 50, 50);
    fix(&f, at(0, 9, 6, 40), 60, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->gap_s, 400.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->tracked_s, 0.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 0.0, 1e-9);
    CHECK(f.res.out[0].n_gaps == 1);
    teardown(&f);
    /* Exactly 300 s is credited: 0 < dt <= 300. */
    setup(&f, SQUARE);
    fix(&f, at(0, 9, 0, 0), 50, 50);
    fix(&f, at(0, 9, 5, 0), 60, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 300.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->gap_s, 0.0, 1e-9);
    teardown(&f);
}

/* A U-shaped grid (notch x 100..200, y 100..300). Fixes at (50,200) and
 * (250,200), 100 s apart (2 m/s): both inside, but the chord crosses the
 * notch, so only 100 of its 200 m are inside: 100 s x 100/200 = 50 s.
 * The 15 m buffer narrows the notch to x 115..185: 130 m inside, 65 s. */
TEST(u_shaped_grid_chord_crosses_the_notch) {
    fixture f;
    setup(&f,
          "POLYGON((0 0, 300 0, 300 300, 200 300, 200 100, 100 100, "
          "100 300, 0 300, 0 0))");
    fix(&f, at(1, 10, 0, 0), 50, 200);
    fix(&f, at(1, 10, 1, 40), 250, 200);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 1)->in_grid_s, 50.0, 1e-9);
    CHECK_NEAR(day(&f, 1)->in_tol_s, 65.0, 1e-9);
    CHECK_NEAR(day(&f, 1)->tracked_s, 100.0, 1e-9);
    teardown(&f);
}

/* Local 23:59:00 Monday at (10,50) to 00:01:00 Tuesday at (90,50): 120 s,
 * split at midnight after 60 s, at the position reached then, (50,50):
 * Monday 60 s and 40 m, Tuesday 60 s and 40 m, all inside. */
TEST(walk_across_local_midnight) {
    fixture f;
    setup(&f, SQUARE);
    fix(&f, at(0, 23, 59, 0), 10, 50);
    fix(&f, at(1, 0, 1, 0), 90, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 60.0, 1e-9);
    CHECK_NEAR(day(&f, 1)->in_grid_s, 60.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->distance_m, 40.0, 1e-9);
    CHECK_NEAR(day(&f, 1)->distance_m, 40.0, 1e-9);
    CHECK(day(&f, 0)->fixes == 1);
    CHECK(day(&f, 1)->fixes == 1);
    /* Each day's line ends or starts at the midnight position. */
    REQUIRE(f.res.out[0].n_lines == 2);
    CHECK_NEAR(f.res.out[0].lines[0].xy[2], 50.0, 1e-9);
    CHECK_NEAR(f.res.out[0].lines[1].xy[0], 50.0, 1e-9);
    teardown(&f);
}

/* A gap across midnight is split too: 23:58 to 00:08 = 600 s, 120 s on
 * Monday and 480 s on Tuesday. */
TEST(gap_across_midnight_is_split) {
    fixture f;
    setup(&f, SQUARE);
    fix(&f, at(0, 23, 58, 0), 10, 50);
    fix(&f, at(1, 0, 8, 0), 90, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->gap_s, 120.0, 1e-9);
    CHECK_NEAR(day(&f, 1)->gap_s, 480.0, 1e-9);
    teardown(&f);
}

/* Rows 2,3,4,5: t = 0, 10, 10, 20 s. Row 4 repeats t = 10 at a far point:
 * it is dropped (the first in file order stays), so the track is 20 s at
 * 1 m/s inside: in_grid 20 s, 3 fixes, 1 bad fix, 1 duplicate issue. */
TEST(duplicate_timestamps_keep_the_first) {
    fixture f;
    setup(&f, SQUARE);
    fix(&f, at(0, 9, 0, 0), 10, 50);
    fix(&f, at(0, 9, 0, 10), 20, 50);
    fix(&f, at(0, 9, 0, 10), 900, 900);
    fix(&f, at(0, 9, 0, 20), 30, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 20.0, 1e-9);
    CHECK(day(&f, 0)->fixes == 3);
    CHECK(day(&f, 0)->bad_fixes == 1);
    CHECK(count_issues(&f, GS__GPS_DUPLICATE) == 1);
    CHECK(count_issues(&f, GS__GPS_JUMP) == 0);
    teardown(&f);
}

/* The straight walk given in reverse row order gives the same figures, and
 * the unsorted rows are noted. */
TEST(unsorted_rows) {
    fixture f;
    setup(&f, SQUARE);
    for (int k = 20; k >= 0; k--)
        fix(&f, at(0, 9, 0, 10 * k), -50 + 10 * k, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 100.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->in_tol_s, 130.0, 1e-9);
    CHECK(count_issues(&f, GS__GPS_OUT_OF_ORDER) >= 1);
    CHECK(day(&f, 0)->bad_fixes == 0); /* order is not a fault of a fix */
    teardown(&f);
}

/* (50,50) t=0, (650,50) t=10: 600 m in 10 s = 60 m/s > 8: a jump; back to
 * (50,50) at t=20: another jump; (60,50) at t=30: 10 s credited. */
TEST(jump_of_600m_is_not_credited) {
    fixture f;
    setup(&f, SQUARE);
    fix(&f, at(0, 9, 0, 0), 50, 50);
    fix(&f, at(0, 9, 0, 10), 650, 50);
    fix(&f, at(0, 9, 0, 20), 50, 50);
    fix(&f, at(0, 9, 0, 30), 60, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->tracked_s, 10.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 10.0, 1e-9);
    CHECK_NEAR(day(&f, 0)->gap_s, 0.0, 1e-9);
    CHECK(count_issues(&f, GS__GPS_JUMP) == 2);
    CHECK(day(&f, 0)->bad_fixes == 2);
    teardown(&f);
}

/* A member standing still for 2 h 10 min at (40,40), a fix every 10 s with
 * 0.3 m of jitter: each segment is inside, 7,800 s in all: daily_ok.
 * Zero-length segments count too: two fixes at the same point 10 s apart
 * add 10 s. No mock warning, since the positions jitter. */
TEST(stationary_member_counts) {
    fixture f;
    setup(&f, SQUARE);
    for (int k = 0; k <= 780; k++)
        fix(&f, at(0, 8, 0, 0) + (int64_t)k * 10000, 40 + 0.3 * (k % 3),
            40 + 0.3 * (k % 2));
    fix(&f, at(0, 8, 0, 0) + 781 * 10000, 40 + 0.3 * (780 % 3),
        40 + 0.3 * (780 % 2));
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 7810.0, 1e-6);
    CHECK(day(&f, 0)->daily_ok == 1);
    CHECK(count_issues(&f, GS__GPS_SUSPECTED_MOCK) == 0);
    teardown(&f);
}

/* 40 fixes at exactly the same position: a suspected mock location. */
TEST(zero_jitter_run_is_suspected_mock) {
    fixture f;
    setup(&f, SQUARE);
    for (int k = 0; k < 40; k++) fix(&f, at(0, 8, 0, 10 * k), 40, 40);
    REQUIRE(run(&f) == GS_OK);
    CHECK(count_issues(&f, GS__GPS_SUSPECTED_MOCK) == 1);
    CHECK(day(&f, 0)->bad_fixes == 40 - 30 + 30);
    CHECK_NEAR(day(&f, 0)->in_grid_s, 390.0, 1e-9); /* still credited */
    teardown(&f);
}

/* 2 h = 7,200 s exactly on every workday complies (the limit complies), so
 * 5 x 7,200 = 36,000 s: weekly_ok too. A holiday week: Wednesday off and
 * Saturday a make-up workday; patrolling Mon, Tue, Thu, Fri, Sat 2 h each
 * is compliant, while the Wednesday patrol is not a workday. */
TEST(daily_limit_and_holiday_week) {
    fixture f;
    int days_worked[2][5] = {{0, 1, 2, 3, 4}, {0, 1, 3, 4, 5}};
    for (int variant = 0; variant < 2; variant++) {
        holiday_wednesday = variant;
        setup(&f, SQUARE);
        for (int d = 0; d < 5; d++) {
            int di = days_worked[variant][d];
            /* 721 fixes 10 s apart: 7,200 s, slowly along x. */
            for (int k = 0; k <= 720; k++)
                fix(&f, at(di, 9, 0, 0) + (int64_t)k * 10000,
                    10 + 80.0 * k / 720, 50 + (k % 2) * 0.5);
        }
        REQUIRE(run(&f) == GS_OK);
        for (int d = 0; d < 5; d++)
            CHECK_NEAR(day(&f, days_worked[variant][d])->in_tol_s, 7200.0,
                       1e-6);
        CHECK(f.res.out[0].weeks[0].workdays == 5);
        CHECK(f.res.out[0].weeks[0].workdays_ok == 5);
        CHECK(f.res.out[0].weeks[0].weekly_ok == 1);
        CHECK(f.res.out[0].weeks[0].compliant == 1);
        CHECK(day(&f, 2)->workday == (variant ? 0 : 1));
        CHECK(day(&f, 5)->workday == (variant ? 1 : 0));
        teardown(&f);
    }
    holiday_wednesday = 0;
    /* One millisecond short on Friday: not daily_ok, not compliant. */
    setup(&f, SQUARE);
    for (int d = 0; d < 5; d++)
        for (int k = 0; k <= 720; k++)
            fix(&f, at(d, 9, 0, 0) + (int64_t)k * 10000 - (d == 4 && k == 720),
                10 + 80.0 * k / 720, 50 + (k % 2) * 0.5);
    REQUIRE(run(&f) == GS_OK);
    CHECK(day(&f, 4)->daily_ok == 0);
    CHECK(f.res.out[0].weeks[0].workdays_ok == 4);
    CHECK(f.res.out[0].weeks[0].compliant == 0);
    teardown(&f);
}

/* A member with no fixes still gets a row for every day (zeros) and a week
 * row with no coverage. */
TEST(absent_member_has_rows_of_zeros) {
    fixture f;
    gs_rules rules;
    gs__patrol_rules pr;
    gs__patrol_clock pt = {day_of, day_start, workday, NULL};
    setup(&f, SQUARE);
    gs_rules_init(&rules);
    gs__patrol_rules_from(&rules, &pr);
    REQUIRE(gs__patrol_entries(ctx, &f.m, NULL, 0, &f.res) == GS_OK);
    REQUIRE(f.res.n_entries == 1);
    REQUIRE(gs__patrol_analyse(ctx, &f.m, NULL, 0, &pt, &pr, MON, 7, 1, NULL,
                               &f.res) == GS_OK);
    for (int d = 0; d < 7; d++) {
        CHECK(day(&f, d)->in_tol_s == 0);
        CHECK(day(&f, d)->daily_ok == 0);
    }
    CHECK(f.res.out[0].weeks[0].workdays == 5);
    CHECK_NEAR(f.res.out[0].weeks[0].coverage_pct, 0.0, 1e-9);
    CHECK(f.res.out[0].weeks[0].compliant == 0);
    teardown(&f);
}

/* Coverage: a walk along y = 50 across the 100 m square covers the band
 * y in [35, 65] (15 m each side): 30% of the square, within the 1 m
 * raster's resolution. */
TEST(coverage_of_a_straight_walk) {
    fixture f;
    setup(&f, SQUARE);
    for (int k = 0; k <= 20; k++)
        fix(&f, at(0, 9, 0, 10 * k), -50 + 10 * k, 50);
    REQUIRE(run(&f) == GS_OK);
    CHECK_NEAR(f.res.out[0].weeks[0].coverage_pct, 30.0, 1.0);
    CHECK(f.res.out[0].weeks[0].uncovered_wkb != NULL);
    teardown(&f);
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 2;
    RUN(straight_walk_across_a_square);
    RUN(gap_longer_than_300s);
    RUN(u_shaped_grid_chord_crosses_the_notch);
    RUN(walk_across_local_midnight);
    RUN(gap_across_midnight_is_split);
    RUN(duplicate_timestamps_keep_the_first);
    RUN(unsorted_rows);
    RUN(jump_of_600m_is_not_credited);
    RUN(stationary_member_counts);
    RUN(zero_jitter_run_is_suspected_mock);
    RUN(daily_limit_and_holiday_week);
    RUN(absent_member_has_rows_of_zeros);
    RUN(coverage_of_a_straight_walk);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
