/*
 * test_assess.c - the monthly assessment's arithmetic, by hand.
 *
 * A member's sub-scores and tier from known inputs (the arithmetic in the
 * comments), stated defaults, tier boundaries, the month's period, a visit
 * checked against fixes (positive: a fix 30 m away 10 min later; negative:
 * 60 m away, or 40 min later), care windows and an overdue target, the
 * [assess] config keys, and gs_assess_run's errors on bad inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assess.h"
#include "harness.h"
#include "datetime.h"

#define MIN_MS INT64_C(60000)

static gs_ctx *ctx;

static void no_offline(gs__ainput *in) {
    memset(in, 0, sizeof *in);
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) in->offline_pct[k] = NAN;
}

static int has(const char *s, const char *part) {
    return s && strstr(s, part) != NULL;
}

/* The weeks of a month are those whose Thursday is in it. */
TEST(period_of_a_month) {
    gs__aperiod p;
    char w[9], d[11];
    REQUIRE(gs__assess_period("2026-11", &p) == GS_OK);
    /* 2026-11-01 is a Sunday: its week (Thursday 10-29) is October's. */
    CHECK(p.nweeks == 4);
    gs__isoweek_format(p.monday[0], w);
    CHECK_STR(w, "2026-W45");
    gs__isoweek_format(p.monday[3], w);
    CHECK_STR(w, "2026-W48");
    gs__date_format(p.day0, d);
    CHECK_STR(d, "2026-11-02");
    gs__date_format(p.day1, d);
    CHECK_STR(d, "2026-11-29");
    /* October 2026 starts on a Thursday: five weeks, W40 to W44. */
    REQUIRE(gs__assess_period("2026-10", &p) == GS_OK);
    CHECK(p.nweeks == 5);
    gs__date_format(p.day0, d);
    CHECK_STR(d, "2026-09-28");
    gs__date_format(p.day1, d);
    CHECK_STR(d, "2026-11-01");
    /* December 2026 keeps 2026-W53 (Thursday 12-31). */
    REQUIRE(gs__assess_period("2026-12", &p) == GS_OK);
    gs__isoweek_format(p.monday[p.nweeks - 1], w);
    CHECK_STR(w, "2026-W53");
    CHECK(gs__assess_period("2026-13", &p) == GS_ERR_INPUT_VALUE);
    CHECK(gs__assess_period("2026-1", &p) == GS_ERR_INPUT_VALUE);
    CHECK(gs__assess_period("26-11", &p) == GS_ERR_INPUT_VALUE);
    CHECK(gs__assess_period("2026-11-01", &p) == GS_ERR_INPUT_VALUE);
    CHECK(gs__assess_period(NULL, &p) == GS_ERR_INPUT_VALUE);
}

/*
 * The hand-computed member, default weights:
 *   patrol  = 25 x (0.5 x 15/18 + 0.5 x 3/4) = 25 x 0.7916667 = 19.7916667
 *   information = 10 x 90/100 = 9
 *   visits  = 15 x 4/6 care windows met      = 10
 *   events  = 10 x 80/100                    = 8
 *   basic   = 19.7916667 + 9 + 10 + 8        = 46.7916667
 *   special = 20 x 90/100                    = 18
 *   awareness = 8 x 75/100 = 6; satisfaction = 12 x 90/100 = 10.8
 *   residents = 16.8
 *   total   = 46.7916667 + 18 + 16.8         = 81.5916667 -> 良好
 */
TEST(hand_computed_member) {
    gs_rules r;
    gs__ainput in;
    gs__ascore s;
    gs_rules_init(&r);
    no_offline(&in);
    in.workdays = 18;
    in.workdays_ok = 15;
    in.weeks = 4;
    in.weeks_ok = 3;
    in.offline_pct[GS_ASSESS_INFORMATION] = 90;
    in.offline_pct[GS_ASSESS_EVENTS] = 80;
    in.offline_pct[GS_ASSESS_SPECIAL] = 90;
    in.offline_pct[GS_ASSESS_AWARENESS] = 75;
    in.offline_pct[GS_ASSESS_SATISFACTION] = 90;
    in.have_visits = 1;
    in.care_due = 6;
    in.care_met = 4;
    in.visits = 9; /* ignored: care windows come first */
    in.visits_verified = 1;
    gs__assess_score(&r, &in, &s);
    CHECK_NEAR(s.points[GS_ASSESS_PATROL], 19.7916667, 1e-6);
    CHECK_NEAR(s.points[GS_ASSESS_INFORMATION], 9, 1e-9);
    CHECK_NEAR(s.points[GS_ASSESS_VISITS], 10, 1e-9);
    CHECK_NEAR(s.points[GS_ASSESS_EVENTS], 8, 1e-9);
    CHECK_NEAR(s.basic, 46.7916667, 1e-6);
    CHECK_NEAR(s.points[GS_ASSESS_SPECIAL], 18, 1e-9);
    CHECK_NEAR(s.points[GS_ASSESS_AWARENESS], 6, 1e-9);
    CHECK_NEAR(s.points[GS_ASSESS_SATISFACTION], 10.8, 1e-9);
    CHECK_NEAR(s.residents, 16.8, 1e-9);
    CHECK_NEAR(s.total, 81.5916667, 1e-6);
    CHECK_STR(s.tier, "良好");
    CHECK_STR(s.defaults_used, "");
}

/*
 * Nothing but the ledger, one workday-free week met: the daily part and
 * every other item take the default 60 %, and each is named.
 *   patrol = 25 x (0.5 x 60 + 0.5 x 100) / 100 = 20
 *   others = 60 % of 10, 15, 10, 20, 8, 12 = 6 + 9 + 6 + 12 + 4.8 + 7.2 = 45
 *   total  = 65 -> 合格
 */
TEST(defaults_are_stated_not_zero) {
    gs_rules r;
    gs__ainput in;
    gs__ascore s;
    gs_rules_init(&r);
    no_offline(&in);
    in.weeks = 1;
    in.weeks_ok = 1;
    gs__assess_score(&r, &in, &s);
    CHECK_NEAR(s.points[GS_ASSESS_PATROL], 20, 1e-9);
    CHECK_NEAR(s.points[GS_ASSESS_VISITS], 9, 1e-9);
    CHECK_NEAR(s.total, 65, 1e-9);
    CHECK_STR(s.tier, "合格");
    CHECK(has(s.defaults_used, "patrol.daily=60% (no workday"));
    CHECK(!has(s.defaults_used, "patrol.weekly"));
    CHECK(has(s.defaults_used,
              "visits=60% (no visit records and no offline score)"));
    CHECK(has(s.defaults_used, "information=60% (no offline score)"));
    CHECK(has(s.defaults_used, "satisfaction=60% (no offline score)"));
    CHECK(s.defaulted[GS_ASSESS_PATROL] && s.defaulted[GS_ASSESS_VISITS] &&
          s.defaulted[GS_ASSESS_EVENTS]);

    /* With visits given but neither targets nor visits: said so. An offline
     * visits score is used only without care targets and visits. */
    in.have_visits = 1;
    gs__assess_score(&r, &in, &s);
    CHECK(has(s.defaults_used, "visits=60% (no care target and no visit"));
    in.offline_pct[GS_ASSESS_VISITS] = 100;
    gs__assess_score(&r, &in, &s);
    CHECK_NEAR(s.points[GS_ASSESS_VISITS], 15, 1e-9);
    CHECK(!has(s.defaults_used, "visits="));
    /* Recorded visits without targets: 15 x 3/4 verified = 11.25. */
    in.visits = 4;
    in.visits_verified = 3;
    gs__assess_score(&r, &in, &s);
    CHECK_NEAR(s.points[GS_ASSESS_VISITS], 11.25, 1e-9);

    /* A configured default of 0 is still stated. */
    r.assess_default_pct[GS_ASSESS_EVENTS] = 0;
    gs__assess_score(&r, &in, &s);
    CHECK_NEAR(s.points[GS_ASSESS_EVENTS], 0, 1e-12);
    CHECK(has(s.defaults_used, "events=0% (no offline score)"));
}

TEST(tier_boundaries) {
    gs_rules r;
    gs_rules_init(&r);
    CHECK_STR(gs__assess_tier(&r, 100), "优秀");
    CHECK_STR(gs__assess_tier(&r, 90), "优秀");
    /* Sums of thirds may land a hair below a boundary. */
    CHECK_STR(gs__assess_tier(&r, 90 - 1e-12), "优秀");
    CHECK_STR(gs__assess_tier(&r, 89.99), "良好");
    CHECK_STR(gs__assess_tier(&r, 80), "良好");
    CHECK_STR(gs__assess_tier(&r, 79.999), "合格");
    CHECK_STR(gs__assess_tier(&r, 60), "合格");
    CHECK_STR(gs__assess_tier(&r, 59.99), "不合格");
    CHECK_STR(gs__assess_tier(&r, 0), "不合格");
    r.tier_pass = 50;
    CHECK_STR(gs__assess_tier(&r, 55), "合格");
}

/* A household at the origin, a visit recorded at T; fixes every minute
 * far away, plus the fix under test. */
static size_t track(gs__vfix *f, int64_t t, int64_t fix_dt_ms, double fix_x,
                    float accuracy) {
    size_t n = 0;
    for (int k = -90; k <= 90; k += 1) {
        int64_t tk = t + k * MIN_MS;
        if (fix_dt_ms >= 0 && tk > t + fix_dt_ms && n &&
            f[n - 1].t_ms <= t + fix_dt_ms) {
            f[n].t_ms = t + fix_dt_ms;
            f[n].x = fix_x;
            f[n].y = 0;
            f[n++].accuracy_m = accuracy;
        }
        f[n].t_ms = tk;
        f[n].x = 500; /* well out of reach */
        f[n].y = 500;
        f[n++].accuracy_m = NAN;
    }
    return n;
}

#define T0 INT64_C(1779000000000) /* the recorded time of the visits */

/* Checks a visit at T0 to a household at the origin against a track with
 * one fix `fix_x` metres east, `fix_dt_ms` after T0, default rules. */
static gs__vcheck check_one(int64_t fix_dt_ms, double fix_x, float accuracy) {
    gs_rules r;
    gs__vfix f[200];
    gs__vcheck c;
    size_t n = track(f, T0, fix_dt_ms, fix_x, accuracy);
    gs_rules_init(&r);
    gs__visit_check(f, n, 0, 0, T0, &r, &c);
    return c;
}

/* Positive: the fix 30 m away 10 minutes after the recorded time. */
TEST(visit_verified_by_a_fix_30m_10min_later) {
    gs__vcheck c = check_one(10 * MIN_MS, 30, 5.0f);
    CHECK(c.found);
    CHECK(c.verified);
    CHECK_NEAR(c.dist_m, 30, 1e-9);
    CHECK(c.fix_t_ms == T0 + 10 * MIN_MS);
    /* Exactly at the radius and the window's edge still counts. */
    c = check_one(30 * MIN_MS, 50, NAN);
    CHECK(c.verified);
    CHECK_NEAR(c.dist_m, 50, 1e-9);
}

/* Negative: 60 m away (found, not verified); 40 minutes later (not in the
 * window at all); close but too inaccurate (left out). */
TEST(visit_not_verified_60m_or_40min) {
    gs_rules r;
    gs__vfix f[1];
    gs__vcheck c = check_one(10 * MIN_MS, 60, 5.0f);
    CHECK(c.found);
    CHECK(!c.verified);
    CHECK_NEAR(c.dist_m, 60, 1e-9);

    c = check_one(40 * MIN_MS, 30, 5.0f);
    CHECK(!c.verified);
    CHECK(c.found); /* the far fixes of the window */
    CHECK(c.dist_m > 700);

    c = check_one(10 * MIN_MS, 10, 80.0f);
    CHECK(!c.verified);

    /* No fix at all within the window. */
    gs_rules_init(&r);
    f[0].t_ms = T0 + 31 * MIN_MS;
    f[0].x = f[0].y = 0;
    f[0].accuracy_m = NAN;
    gs__visit_check(f, 1, 0, 0, T0, &r, &c);
    CHECK(!c.found);
    CHECK(!c.verified);
    gs__visit_check(f, 0, 0, 0, T0, &r, &c);
    CHECK(!c.found);
}

/* Care windows over a 28-day period (2026-11-02 to 2026-11-29). */
TEST(care_windows_and_overdue) {
    int32_t d0 = gs__days_from_civil(2026, 11, 2), a, b;
    int due, met, miss;
    /* Weekly: 4 windows; visits on 11-04 and 11-18 meet windows 0 and 2;
     * 11-09..11-15 is the first missed: the target is overdue. */
    int32_t v1[] = {d0 + 2, d0 + 16, d0 - 3, d0 + 40};
    gs__care_windows(d0, 28, 7, v1, 4, &due, &met, &miss);
    CHECK(due == 4);
    CHECK(met == 2);
    CHECK(miss == 1);
    gs__care_window_days(d0, 28, 7, miss, &a, &b);
    CHECK(a == gs__days_from_civil(2026, 11, 9));
    CHECK(b == gs__days_from_civil(2026, 11, 15));
    /* Every window met: not overdue. */
    {
        int32_t v[] = {d0, d0 + 13, d0 + 14, d0 + 27};
        gs__care_windows(d0, 28, 7, v, 4, &due, &met, &miss);
        CHECK(due == 4 && met == 4 && miss == -1);
    }
    /* 14 days over a 35-day month: 2 windows, the last of 21 days. */
    {
        int32_t v[] = {d0 + 30};
        gs__care_windows(d0, 35, 14, v, 1, &due, &met, &miss);
        CHECK(due == 2 && met == 1 && miss == 0);
        gs__care_window_days(d0, 35, 14, 1, &a, &b);
        CHECK(a == d0 + 14 && b == d0 + 34);
    }
    /* 30 days over 28: one visit in the period is due. */
    gs__care_windows(d0, 28, 30, NULL, 0, &due, &met, &miss);
    CHECK(due == 1 && met == 0 && miss == 0);
}

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    FILE *fp;
    snprintf(path, sizeof path, "/tmp/gs_test_assess_%ld_%s", (long)getpid(),
             name);
    fp = fopen(path, "w");
    if (!fp) return NULL;
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* Loads `text` as a config file into r with a fresh context (errors are
 * sticky on a context); the message, if any, into msg. */
static int load(const char *text, gs_rules *r, char *msg, size_t size) {
    gs_ctx *c = NULL;
    const char *p = write_file("rules.ini", text);
    int rc;
    if (!p || gs_ctx_create(&c) != GS_OK) return -1;
    rc = gs_rules_load(c, r, p);
    snprintf(msg, size, "%s", gs_ctx_errmsg(c));
    gs_ctx_destroy(c);
    unlink(p);
    return rc;
}

TEST(assess_config_keys) {
    gs_rules r;
    char msg[512];
    gs_rules_init(&r);
    CHECK_NEAR(r.assess_weight[GS_ASSESS_PATROL], 25, 0);
    CHECK(r.care_interval_days[GS_CARE_ELDERLY_ALONE] == 7);
    REQUIRE(load("[assess]\nweight.patrol = 30\nweight.special = 15\n"
                 "default.satisfaction = 0\ninterval.key_youth = 0\n"
                 "tier_excellent = 95\nvisit_radius_m = 30\n",
                 &r, msg, sizeof msg) == GS_OK);
    CHECK_NEAR(r.assess_weight[GS_ASSESS_PATROL], 30, 0);
    CHECK_NEAR(r.assess_weight[GS_ASSESS_SPECIAL], 15, 0);
    CHECK_NEAR(r.assess_default_pct[GS_ASSESS_SATISFACTION], 0, 0);
    CHECK(r.care_interval_days[GS_CARE_KEY_YOUTH] == 0);
    CHECK_NEAR(r.tier_excellent, 95, 0);
    CHECK_NEAR(r.visit_radius_m, 30, 0);
    CHECK(load("[assess]\ninterval.lonely = 7\n", &r, msg, sizeof msg) ==
          GS_ERR_CONFIG);
    CHECK(has(msg, "line 2") && has(msg, "interval.lonely"));
    CHECK(load("[assess]\nweight.patrol = lots\n", &r, msg, sizeof msg) ==
          GS_ERR_CONFIG);
    CHECK(has(msg, "weight.patrol") && has(msg, "lots"));
    CHECK(load("[assess]\ninterval.elderly_alone = 60\n", &r, msg,
               sizeof msg) == GS_ERR_CONFIG);
    CHECK(load("[assess]\nweight.patrol = 30\nfrobnicate = 1\n", &r, msg,
               sizeof msg) == GS_ERR_CONFIG);
    CHECK(has(msg, "line 3") && has(msg, "frobnicate"));
    /* A failed load leaves the rules as they were. */
    CHECK_NEAR(r.assess_weight[GS_ASSESS_PATROL], 30, 0);
}

TEST(run_rejects_bad_setups) {
    gs_assess_opts o;
    gs_rules r;
    gs_report *rep = NULL;
    gs_assess_opts_init(&o);
    o.ledger = "/nonexistent/ledger.gpkg";
    o.month = "2026-11";
    o.common.output = "/tmp/gs_test_assess_out.gpkg";
    CHECK(gs_assess_run(ctx, &o, &rep) == GS_ERR_INPUT_OPEN);
    CHECK(has(gs_ctx_errmsg(ctx), "/nonexistent/ledger.gpkg"));
    CHECK(rep == NULL);
    o.month = "November";
    CHECK(gs_assess_run(ctx, &o, &rep) == GS_ERR_USAGE);
    CHECK(has(gs_ctx_errmsg(ctx), "November"));
    o.month = "2026-11";
    o.visits = "visits.csv"; /* without traces and households */
    CHECK(gs_assess_run(ctx, &o, &rep) == GS_ERR_USAGE);
    o.visits = NULL;
    gs_rules_init(&r);
    r.assess_weight[GS_ASSESS_EVENTS] = 5; /* sums to 95 */
    o.common.rules = &r;
    CHECK(gs_assess_run(ctx, &o, &rep) == GS_ERR_CONFIG);
    CHECK(has(gs_ctx_errmsg(ctx), "95"));
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 2;
    RUN(period_of_a_month);
    RUN(hand_computed_member);
    RUN(defaults_are_stated_not_zero);
    RUN(tier_boundaries);
    RUN(visit_verified_by_a_fix_30m_10min_later);
    RUN(visit_not_verified_60m_or_40min);
    RUN(care_windows_and_overdue);
    RUN(assess_config_keys);
    RUN(run_rejects_bad_setups);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
