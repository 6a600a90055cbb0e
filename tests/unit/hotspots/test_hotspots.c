/*
 * test_hotspots.c - the hotspots analysis (analyse.c and its steps) on
 * hand-built models.
 *
 * The models are lattices of 100 m square grids in metres (as the readers
 * leave them after projection) and events placed by hand, so every figure
 * can be worked out in the comments: counts per grid and category, queen
 * contiguity from the polygons, Gi* with self on a 4 x 4 lattice, the join
 * by location and the reporting of a disagreeing grid_code, repeat
 * locations, overdue events in working days, rising grids, emerging hot
 * spots' minimum history, the density's integral and the summaries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "harness.h"
#include "hotspot.h"
#include "layers.h"
#include "datetime.h"

static gs_ctx *ctx;

#define X0 500000.0
#define Y0 4400000.0
#define DAY GS__MS_PER_DAY

/* 2026-11-16, a Monday: the period of most cases is its ISO week. */
static int32_t monday(void) { return gs__days_from_civil(2026, 11, 16); }

/*
 * A w x h lattice of `size` m squares, row 0 at the bottom; grid k = row
 * * w + col has code 110108001 + community (3 digits) + k + 1 (3 digits):
 * columns left of w/2 in community 001, the others in 002 (one street,
 * 110108001). `gap` m is left between neighbouring squares.
 */
static void lattice(gs__model *m, int w, int h, double size, double gap) {
    m->n_grids = (size_t)(w * h);
    m->grids = calloc(m->n_grids, sizeof *m->grids);
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            gs__grid *g = &m->grids[r * w + c];
            char code[32], wkt[256];
            double x = X0 + c * (size + gap), y = Y0 + r * (size + gap);
            snprintf(code, sizeof code, "110108001%03d%03d", c < w / 2 ? 1 : 2,
                     r * w + c + 1);
            g->code = gs__arena_strdup(&m->strings, code);
            code[12] = '\0';
            g->community_code = gs__arena_strdup(&m->strings, code);
            g->grid_type = "basic";
            g->name = "";
            snprintf(wkt, sizeof wkt,
                     "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f "
                     "%.3f))",
                     x, y, x + size, y, x + size, y + size, x, y + size, x, y);
            g->geom = gs__geom_from_wkt(m->geos, wkt);
            g->nparts = 1;
        }
}

/* Appends an event at (x, y) reported on `day` at hour `hour` (UTC). */
static gs__event *add_event(gs__events *ev, const char *cat, double x, double y,
                            int32_t day, int hour, int status) {
    gs__event *e;
    char id[16];
    ev->v = realloc(ev->v, (ev->n + 1) * sizeof *ev->v);
    e = &ev->v[ev->n++];
    memset(e, 0, sizeof *e);
    snprintf(id, sizeof id, "E%03zu", ev->n);
    e->id = gs__arena_strdup(&ev->strings, id);
    e->category = gs__arena_strdup(&ev->strings, cat);
    e->grid_code = "";
    e->x = x;
    e->y = y;
    e->day = day;
    e->reported_ms = (int64_t)day * DAY + (int64_t)hour * 3600000;
    e->status = status;
    e->resolved_ms =
        status == GS__EV_OPEN ? GS__NO_TIME : e->reported_ms + 2 * 3600000;
    e->origin.fid = (long)ev->n;
    return e;
}

/* The centre of lattice cell (col, row) of 100 m squares. */
static double cx(int col) { return X0 + 100 * col + 50; }
static double cy(int row) { return Y0 + 100 * row + 50; }

typedef struct fixture {
    gs__model m;
    gs__events ev;
    gs_rules rules;
    gs__hs_params p;
    gs__hsresult r;
} fixture;

static void fixture_init(fixture *f) {
    memset(f, 0, sizeof *f);
    gs__model_init(&f->m, ctx->geos);
    gs__arena_init(&f->ev.strings);
    gs_rules_init(&f->rules);
}

/* Analyses the week of monday() with history from `first` (a day). */
static int analyse(fixture *f, int32_t first) {
    int32_t d0 = monday(), d1 = d0 + 6;
    gs__hs_params_init(&f->p, &f->rules, d0, d1, (int64_t)(d1 + 1) * DAY,
                       first);
    return gs__hotspots_analyse(ctx, &f->m, &f->ev, &f->p, &f->r);
}

static void fixture_free(fixture *f) {
    gs__hsresult_free(ctx->geos, &f->r);
    gs__model_free(&f->m);
    gs__events_free(&f->ev);
}

/* ---- queen contiguity ---------------------------------------------------- */

/* 3 x 3 squares sharing edges: a corner touches 3 (two by an edge, one at
 * a vertex), an edge cell 5, the centre 8; self is never listed. With a
 * 0.5 m gap between the squares (more than edge_snap_m) nobody touches. */
TEST(queen_from_polygons) {
    gs__model m;
    size_t *start = NULL, *nbr = NULL;
    static const size_t want[9] = {3, 5, 3, 5, 8, 5, 3, 5, 3};
    gs__model_init(&m, ctx->geos);
    lattice(&m, 3, 3, 100, 0);
    REQUIRE(gs__hs_queen(ctx, &m, 0.001, &start, &nbr) == GS_OK);
    for (size_t i = 0; i < 9; i++) {
        CHECK(start[i + 1] - start[i] == want[i]);
        for (size_t k = start[i]; k < start[i + 1]; k++) CHECK(nbr[k] != i);
    }
    /* Corner 0 (bottom left): 1 (right), 3 (above), 4 (diagonal). */
    CHECK(nbr[start[0]] == 1 && nbr[start[0] + 1] == 3 &&
          nbr[start[0] + 2] == 4);
    free(start);
    free(nbr);
    gs__model_free(&m);

    gs__model_init(&m, ctx->geos);
    lattice(&m, 3, 3, 100, 0.5);
    REQUIRE(gs__hs_queen(ctx, &m, 0.001, &start, &nbr) == GS_OK);
    CHECK(start[9] == 0);
    free(start);
    free(nbr);
    /* A snap of 1 m bridges the 0.5 m gaps again. */
    REQUIRE(gs__hs_queen(ctx, &m, 1.0, &start, &nbr) == GS_OK);
    CHECK(start[9] == 40);
    free(start);
    free(nbr);
    gs__model_free(&m);
}

/* ---- Gi* by hand --------------------------------------------------------- */

/*
 * 4 x 4 lattice of equal squares, 8 events in the bottom-left corner grid
 * (index 0), none elsewhere; min_units 3 so 16 units are enough. Gi* on
 * per_km2 equals Gi* on counts (z is unchanged by scaling all values):
 *   n = 16, Xbar = 8/16 = 0.5, sum x^2 = 64,
 *   S = sqrt(64/16 - 0.25) = sqrt(3.75) = 1.9364917.
 * Corner 0: self + 3 queen neighbours, W = S1 = 4, sum w x = 8:
 *   z = (8 - 0.5 * 4) / (S sqrt((16 * 4 - 16) / 15))
 *     = 6 / (1.9364917 * 1.7888544) = 6 / 3.4641016 = 1.7320508 (sqrt 3).
 * Grid 5 (row 1, col 1): self + 8 neighbours including grid 0, W = 9:
 *   z = (8 - 4.5) / (S sqrt((144 - 81) / 15)) = 3.5 / 3.9686270
 *     = 0.8819171.
 * Grid 15 (far corner): W = 4, sum w x = 0: z = -2 / 3.4641016
 *   = -0.5773503.
 * Grid 1 (row 0, col 1): self + 5 neighbours with grid 0, W = 6:
 *   z = (8 - 3) / (S sqrt((96 - 36) / 15)) = 5 / 3.8729833 = 1.2909944.
 * The p of sqrt 3 is 0.0833: not below BH's 0.10 x 1/16, so every bin is 0.
 */
TEST(gistar_lattice_by_hand) {
    fixture f;
    fixture_init(&f);
    lattice(&f.m, 4, 4, 100, 0);
    f.rules.min_units = 3;
    for (int k = 0; k < 8; k++)
        add_event(&f.ev, "环境卫生", cx(0) - 20 + 5 * k, cy(0), monday() + 1, 9,
                  GS__EV_RESOLVED);
    REQUIRE(analyse(&f, monday()) == GS_OK);
    REQUIRE(f.r.grid_gi.done);
    CHECK_NEAR(f.r.grid_gi.z[0], 1.7320508, 1e-6);
    CHECK_NEAR(f.r.grid_gi.z[5], 0.8819171, 1e-6);
    CHECK_NEAR(f.r.grid_gi.z[15], -0.5773503, 1e-6);
    CHECK_NEAR(f.r.grid_gi.z[1], 1.2909944, 1e-6);
    CHECK_NEAR(f.r.grid_gi.p[0], 0.0832645, 1e-6);
    for (int i = 0; i < 16; i++) CHECK(f.r.grid_gi.bin[i] == 0);
    /* Per km^2: 8 events on 0.01 km^2. */
    CHECK_NEAR(f.r.grids[0].value, 800, 1e-9);
    fixture_free(&f);
}

/* Fewer units than min_units (30 by default), or no events: no Gi*, a
 * note, never NaN-filled results marked as computed. */
TEST(gistar_not_computed) {
    fixture f;
    fixture_init(&f);
    lattice(&f.m, 4, 4, 100, 0);
    add_event(&f.ev, "其他", cx(1), cy(1), monday(), 9, GS__EV_OPEN);
    REQUIRE(analyse(&f, monday()) == GS_OK);
    CHECK(!f.r.grid_gi.done);
    CHECK(strstr(f.r.grid_gi.note, "16 grids, fewer than the 30") != NULL);
    /* No translation in the tests' C locale: the console's text is the
     * note, word for word. */
    CHECK(!strcmp(f.r.grid_gi.text, f.r.grid_gi.note));
    CHECK(f.r.grid_gi.z == NULL);
    fixture_free(&f);

    fixture_init(&f);
    lattice(&f.m, 4, 4, 100, 0);
    f.rules.min_units = 3;
    /* One event, a week before the period: none in the period. */
    add_event(&f.ev, "其他", cx(1), cy(1), monday() - 7, 9, GS__EV_OPEN);
    REQUIRE(analyse(&f, monday() - 7) == GS_OK);
    CHECK(f.r.n_period == 0);
    CHECK(!f.r.grid_gi.done && !f.r.hex_gi.done);
    CHECK(strstr(f.r.grid_gi.note, "no events in the period") != NULL);
    CHECK(!strcmp(f.r.hex_gi.text, f.r.hex_gi.note));
    CHECK(f.r.grids[5].c.events == 0);
    fixture_free(&f);
}

/* ---- the join, counts per grid, mismatches ------------------------------- */

/*
 * Two grids overlapping by a 10 m strip: A = 110108001001002 (x 0..100),
 * B = 110108001001001 (x 90..190). Events:
 *   E001 at x 95 (the overlap), no code      -> B (lower code), no flag
 *   E002 at x 50, code B                      -> A by location, mismatch
 *   E003 at x 150, code 110108001001999       -> B, unknown code (mismatch)
 *   E004 at x 300 (in no grid), code A        -> A by code, outside
 *   E005 at x 300, no code                    -> no grid, outside
 *   E006 at x 50, code A                      -> A, no flag
 */
TEST(join_by_location_and_mismatch) {
    fixture f;
    static const char *const codes[2] = {"110108001001002", "110108001001001"};
    long grid[6], loc[6];
    unsigned char fl[6] = {0};
    fixture_init(&f);
    f.m.n_grids = 2;
    f.m.grids = calloc(2, sizeof *f.m.grids);
    for (int i = 0; i < 2; i++) {
        char wkt[200];
        double x = X0 + 90 * i;
        snprintf(wkt, sizeof wkt, "POLYGON((%f %f,%f %f,%f %f,%f %f,%f %f))", x,
                 Y0, x + 100, Y0, x + 100, Y0 + 100, x, Y0 + 100, x, Y0);
        f.m.grids[i].code = codes[i];
        f.m.grids[i].community_code = "110108001001";
        f.m.grids[i].name = "";
        f.m.grids[i].geom = gs__geom_from_wkt(ctx->geos, wkt);
    }
    add_event(&f.ev, "a", X0 + 95, Y0 + 50, monday(), 9, GS__EV_OPEN);
    add_event(&f.ev, "a", X0 + 50, Y0 + 50, monday(), 9, GS__EV_OPEN)
        ->grid_code = codes[1];
    add_event(&f.ev, "a", X0 + 150, Y0 + 50, monday(), 9, GS__EV_OPEN)
        ->grid_code = "110108001001999";
    add_event(&f.ev, "a", X0 + 300, Y0 + 50, monday(), 9, GS__EV_OPEN)
        ->grid_code = codes[0];
    add_event(&f.ev, "a", X0 + 300, Y0 + 50, monday(), 9, GS__EV_OPEN);
    add_event(&f.ev, "a", X0 + 50, Y0 + 50, monday(), 9, GS__EV_OPEN)
        ->grid_code = codes[0];
    REQUIRE(gs__hs_join(ctx, &f.m, &f.ev, 2, grid, loc, fl) == GS_OK);
    CHECK(grid[0] == 1 && fl[0] == 0);
    CHECK(grid[1] == 0 && loc[1] == 0 && fl[1] == GS__EVF_MISMATCH);
    CHECK(grid[2] == 1 && fl[2] == (GS__EVF_MISMATCH | GS__EVF_UNKNOWN_CODE));
    CHECK(grid[3] == 0 && loc[3] == -1 && fl[3] == GS__EVF_OUTSIDE);
    CHECK(grid[4] == -1 && fl[4] == GS__EVF_OUTSIDE);
    CHECK(grid[5] == 0 && fl[5] == 0);
    fixture_free(&f);
}

/*
 * Counts per grid and category on a 2 x 1 lattice (grid 0 left, 1 right):
 * in the period, grid 0 gets 3 环境卫生 (one open, one resolved, one
 * self-resolved) and 1 占道经营; grid 1 gets 1 占道经营 given grid 0's
 * code (a mismatch counted in grid 1). One more 环境卫生 in grid 0 the
 * week before is outside the period. Categories: 环境卫生 (3 in the period)
 * before 占道经营 (2).
 */
TEST(counts_per_grid_and_category) {
    fixture f;
    int hj, zd;
    fixture_init(&f);
    lattice(&f.m, 2, 1, 100, 0);
    add_event(&f.ev, "环境卫生", cx(0), cy(0), monday(), 9, GS__EV_OPEN);
    add_event(&f.ev, "环境卫生", cx(0), cy(0), monday() + 1, 9,
              GS__EV_RESOLVED);
    add_event(&f.ev, "环境卫生", cx(0), cy(0), monday() + 2, 9,
              GS__EV_SELF_RESOLVED);
    add_event(&f.ev, "占道经营", cx(0), cy(0), monday() + 3, 9,
              GS__EV_RESOLVED);
    add_event(&f.ev, "占道经营", cx(1), cy(0), monday() + 3, 9, GS__EV_RESOLVED)
        ->grid_code = f.m.grids[0].code;
    add_event(&f.ev, "环境卫生", cx(0), cy(0), monday() - 3, 9,
              GS__EV_RESOLVED);
    REQUIRE(analyse(&f, monday() - 3) == GS_OK);
    REQUIRE(f.r.ncats == 2);
    CHECK_STR(f.r.cats[0], "环境卫生");
    CHECK_STR(f.r.cats[1], "占道经营");
    CHECK(f.r.cat_events[0] == 3 && f.r.cat_events[1] == 2);
    hj = 0;
    zd = 1;
    CHECK(f.r.n_period == 5);
    CHECK(f.r.grids[0].c.events == 4 && f.r.grids[1].c.events == 1);
    CHECK(f.r.grid_cat[0 * 2 + hj] == 3 && f.r.grid_cat[0 * 2 + zd] == 1);
    CHECK(f.r.grid_cat[1 * 2 + hj] == 0 && f.r.grid_cat[1 * 2 + zd] == 1);
    CHECK(f.r.grids[0].c.open == 1 && f.r.grids[0].c.resolved == 3);
    CHECK(f.r.grids[0].c.self_resolved == 1);
    /* Each resolved event took 2 h. */
    CHECK_NEAR(f.r.grids[0].c.resolve_h / (double)f.r.grids[0].c.n_resolve_h, 2,
               1e-9);
    CHECK(f.r.grids[1].mismatch == 1 && f.r.n_mismatch == 1);
    CHECK(f.r.grids[0].households == -1);
    fixture_free(&f);
}

/* ---- trouble spots ------------------------------------------------------- */

static size_t count_kind(const gs__hsresult *r, gs__trouble_kind k) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_trouble; i++) n += r->trouble[i].kind == k;
    return n;
}

/*
 * Repeat locations: >= 3 events within 30 m in the 28 days to the period
 * end (Sunday 2026-11-22, so from 2026-10-26).
 *   Spot A, grid 0: 3 events 10 m apart (all within 30 m of the middle
 *   one), on 11-17, 11-10 and 10-27: a repeat location of 3.
 *   Spot B, grid 1: 3 events as close, but one on 10-20, 33 days before
 *   the end: only 2 in the window, no repeat location.
 *   Spot C, grid 2: 3 events in the window but 40 m apart (the middle one
 *   is within 40 m of each end, not 30): no core point, nothing.
 */
TEST(repeat_locations_by_hand) {
    fixture f;
    int32_t d = monday();
    const gs__hs_trouble *t = NULL;
    fixture_init(&f);
    lattice(&f.m, 3, 1, 100, 0);
    add_event(&f.ev, "安全隐患", cx(0) - 10, cy(0), d + 1, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "安全隐患", cx(0), cy(0), d - 6, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "矛盾纠纷", cx(0) + 10, cy(0), d - 20, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(1) - 10, cy(0), d + 1, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(1), cy(0), d - 6, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(1) + 10, cy(0), d - 27, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(2) - 40, cy(0), d + 1, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(2), cy(0), d + 1, 9, GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(2) + 40, cy(0), d + 1, 9, GS__EV_RESOLVED);
    REQUIRE(analyse(&f, d - 27) == GS_OK);
    REQUIRE(count_kind(&f.r, GS__TROUBLE_REPEAT) == 1);
    for (size_t i = 0; i < f.r.n_trouble; i++)
        if (f.r.trouble[i].kind == GS__TROUBLE_REPEAT) t = &f.r.trouble[i];
    CHECK(t->events == 3 && t->grid == 0);
    CHECK_STR(f.r.cats[t->category], "安全隐患");
    CHECK_NEAR(t->x, cx(0), 1e-6);
    CHECK(t->first_ms == (int64_t)(d - 20) * DAY + 9 * 3600000);
    CHECK(t->last_ms == (int64_t)(d + 1) * DAY + 9 * 3600000);
    CHECK(strstr(t->detail, "E001") && strstr(t->detail, "E003"));
    fixture_free(&f);
}

/*
 * Deadlines in working days, Monday to Friday (no calendar):
 *   reported Friday 11-13, 2 workdays -> Tuesday 11-17;
 *   reported Monday 11-16, 2 workdays -> Wednesday 11-18.
 * Period end Sunday 11-22: the Monday 安全隐患 (2 days) still open is
 * overdue by Thursday and Friday, 2 working days; a 违章搭建 (10 days) from
 * the same Monday is not yet due (12-01). An event resolved after the
 * period's end was open then: overdue too (the Friday one, by 11-18..11-20,
 * 3 working days). A resolved one is not.
 */
TEST(overdue_by_hand) {
    fixture f;
    int32_t d = monday();
    gs__event *e;
    fixture_init(&f);
    CHECK(gs__hs_deadline(NULL, d - 3, 2) == d + 1);
    CHECK(gs__hs_deadline(NULL, d, 2) == d + 2);
    CHECK(gs__hs_deadline_workdays(&f.rules, "安全隐患") == 2);
    CHECK(gs__hs_deadline_workdays(&f.rules, "违章搭建") == 10);
    CHECK(gs__hs_deadline_workdays(&f.rules, "不在表里") == 5);
    lattice(&f.m, 2, 1, 100, 0);
    add_event(&f.ev, "安全隐患", cx(0), cy(0), d, 9, GS__EV_OPEN);
    add_event(&f.ev, "违章搭建", cx(0), cy(0), d, 9, GS__EV_OPEN);
    e = add_event(&f.ev, "安全隐患", cx(1), cy(0), d - 3, 9, GS__EV_RESOLVED);
    e->resolved_ms = (int64_t)(d + 8) * DAY; /* after the period */
    add_event(&f.ev, "安全隐患", cx(1), cy(0), d - 3, 9, GS__EV_RESOLVED);
    REQUIRE(analyse(&f, d - 3) == GS_OK);
    REQUIRE(count_kind(&f.r, GS__TROUBLE_OVERDUE) == 2);
    /* Most working days overdue first: the Friday event (3), then 2. */
    CHECK(f.r.trouble[0].kind == GS__TROUBLE_OVERDUE &&
          f.r.trouble[0].event == 2 && f.r.trouble[0].workdays_overdue == 3);
    CHECK(f.r.trouble[0].deadline_day == d + 1);
    CHECK(f.r.trouble[1].event == 0 && f.r.trouble[1].workdays_overdue == 2);
    CHECK(f.r.trouble[1].deadline_day == d + 2);
    /* In the period: grid 0 has 2 open, 1 overdue. */
    CHECK(f.r.grids[0].c.open == 2 && f.r.grids[0].c.overdue == 1);
    fixture_free(&f);
}

/*
 * Rising grids over 8 weeks (2026-09-28 .. 11-22): grid 0 has 1, 2, ... 8
 * events in its weeks (Mann-Kendall S = 28, Var S = 8 * 7 * 21 / 18 =
 * 65.33, Z = 27 / 8.083 = 3.340, p = 0.00084); grid 1 has 3 every week
 * (all tied, p = 1). BH over the 2 tested grids at 0.10: 0.00084 <= 0.05,
 * so grid 0 rises and grid 1 does not. With 7 weeks of history there is no
 * rising grid and a note.
 */
TEST(rising_grids_by_hand) {
    fixture f;
    int32_t d = monday(), w0 = d - 7 * 7;
    fixture_init(&f);
    lattice(&f.m, 2, 1, 100, 0);
    for (int w = 0; w < 8; w++) {
        for (int k = 0; k <= w; k++)
            add_event(&f.ev, "占道经营", cx(0), cy(0), w0 + 7 * w + 2, 9,
                      GS__EV_RESOLVED);
        for (int k = 0; k < 3; k++)
            add_event(&f.ev, "其他", cx(1), cy(0), w0 + 7 * w + 3, 9,
                      GS__EV_RESOLVED);
    }
    REQUIRE(analyse(&f, w0) == GS_OK);
    CHECK(f.p.nweeks == 8 && f.r.rising_done);
    REQUIRE(count_kind(&f.r, GS__TROUBLE_RISING) == 1);
    for (size_t i = 0; i < f.r.n_trouble; i++)
        if (f.r.trouble[i].kind == GS__TROUBLE_RISING) {
            CHECK(f.r.trouble[i].grid == 0);
            CHECK_NEAR(f.r.trouble[i].trend_z, 3.3403, 1e-4);
            CHECK_NEAR(f.r.trouble[i].trend_tau, 1, 1e-12);
            CHECK(strstr(f.r.trouble[i].detail, "1,2,3,4,5,6,7,8") != NULL);
        }
    fixture_free(&f);

    fixture_init(&f);
    lattice(&f.m, 2, 1, 100, 0);
    for (int w = 1; w < 8; w++)
        for (int k = 0; k <= w; k++)
            add_event(&f.ev, "占道经营", cx(0), cy(0), w0 + 7 * w + 2, 9,
                      GS__EV_RESOLVED);
    REQUIRE(analyse(&f, w0 + 7) == GS_OK);
    CHECK(f.p.nweeks == 7 && !f.r.rising_done);
    CHECK(count_kind(&f.r, GS__TROUBLE_RISING) == 0);
    CHECK(strstr(f.r.rising_note, "only 7 weeks") != NULL);
    CHECK(!strcmp(f.r.rising_text, f.r.rising_note));
    fixture_free(&f);
}

/* ---- hexagons, emerging, density, summaries ------------------------------ */

/*
 * A 10 x 10 lattice (1 km square) under 100 m hexagons: n cells (about
 * 130) clipped to the square, their areas adding up to 1,000,000 m^2. Every
 * week 4 events fall in one interior cell and none elsewhere. That cell and its
 * 6 neighbours each see the 4 events in their window (W = 7), so all 7
 * have the same Gi*, and with x = 4 in one cell out of n:
 *   Xbar = 4/n, S = 4 sqrt(n - 1)/n, z = (4 - 7 Xbar) / (S sqrt((7n - 49)
 *   / (n - 1))) = (n - 7) / sqrt(7 (n - 7)) = sqrt((n - 7) / 7),
 * about 4.2 (p about 0.00003); the other cells have lower z, so BH's
 * cut-off for these 7 is 7 q / n, about 0.0005 at q = 0.01: bin 3 for
 * those 7 cells every week. With 7 weeks of
 * history every cell is insufficient_history and the note says so; with
 * 8 the 7 cells are persistent hot spots (hot every week, z constant: no
 * trend).
 */
/* A 10 x 10 lattice and 4 events a week in one interior cell over the
 * `weeks` weeks ending with the period, analysed with that history. */
static int weekly_spot(fixture *f, int weeks) {
    int32_t d = monday();
    fixture_init(f);
    lattice(&f->m, 10, 10, 100, 0);
    for (int w = 0; w < weeks; w++)
        for (int k = 0; k < 4; k++)
            add_event(&f->ev, "环境卫生", cx(4) + 20 + k, cy(4), d - 7 * w + 1,
                      9, GS__EV_RESOLVED);
    return analyse(f, d - 7 * (weeks - 1));
}

TEST(hexagons_and_emerging_history) {
    fixture f;
    double area = 0;
    size_t persistent = 0, other = 0;
    long hot = -1;
    REQUIRE(weekly_spot(&f, 7) == GS_OK);
    REQUIRE(f.r.n_hex > 30);
    for (size_t k = 0; k < f.r.n_hex; k++) area += f.r.hex_area[k];
    CHECK(fabs(area - 1e6) < 20); /* slivers of <= 1 m^2 are dropped */
    CHECK(f.r.hex_gi.done);
    CHECK(!f.r.ehsa_done);
    CHECK(strstr(f.r.ehsa_note,
                 "only 7 weeks of history (2026-W41 to "
                 "2026-W47)") != NULL);
    CHECK(!strcmp(f.r.ehsa_text, f.r.ehsa_note));
    for (size_t k = 0; k < f.r.n_hex; k++) {
        CHECK(f.r.ehsa[k].cls == GS__EHSA_INSUFFICIENT);
        if (f.r.hex_events[k] == 4) hot = (long)k;
    }
    REQUIRE(hot >= 0);
    CHECK_NEAR(f.r.hex_gi.z[hot], sqrt((f.r.n_hex - 7.0) / 7), 1e-9);
    CHECK(f.r.hex_gi.p[hot] <= 7 * 0.01 / (double)f.r.n_hex);
    CHECK(f.r.hex_gi.bin[hot] == 3);
    CHECK(f.r.hex_history[hot] == 28);
    fixture_free(&f);

    REQUIRE(weekly_spot(&f, 8) == GS_OK);
    CHECK(f.r.ehsa_done);
    for (size_t k = 0; k < f.r.n_hex; k++) {
        persistent += f.r.ehsa[k].cls == GS__EHSA_PERSISTENT_HOT;
        other += f.r.ehsa[k].cls != GS__EHSA_PERSISTENT_HOT &&
                 f.r.ehsa[k].cls != GS__EHSA_NO_PATTERN;
    }
    CHECK(persistent == 7 && other == 0);
    fixture_free(&f);
}

/* The density integrates to the number of events in the period (1 %), and
 * the summaries count per community, street and total. */
TEST(density_and_summaries) {
    fixture f;
    double sum = 0;
    int32_t d = monday();
    size_t comm1 = 0, street = 0, total = 0;
    fixture_init(&f);
    lattice(&f.m, 4, 2, 100, 0); /* columns 0-1: 001, 2-3: 002 */
    for (int k = 0; k < 10; k++)
        add_event(&f.ev, "环境卫生", cx(k % 4) + k, cy(k % 2), d + k % 7, 9,
                  GS__EV_RESOLVED);
    add_event(&f.ev, "其他", cx(0), cy(0), d - 7, 9, GS__EV_RESOLVED);
    REQUIRE(analyse(&f, d - 7) == GS_OK);
    for (size_t i = 0; i < f.r.kde_grid.nx * f.r.kde_grid.ny; i++)
        sum += f.r.kde[i];
    sum *= f.r.kde_grid.cell * f.r.kde_grid.cell / 1e6;
    CHECK(fabs(sum - 10) <= 0.1);
    CHECK(f.r.kde_h > 0 && strstr(f.r.kde_rule, "ArcGIS") != NULL);
    /* Weekly rows: one week, 2 communities + 1 street + total. */
    REQUIRE(f.r.n_weekly == 4);
    for (size_t i = 0; i < f.r.n_weekly; i++) {
        const gs__hs_sum *s = &f.r.weekly[i];
        CHECK(s->start == d);
        if (s->level == 0 && !strcmp(s->code, "110108001001")) {
            /* k = 0, 1, 4, 5, 8, 9 lie in columns 0-1. */
            comm1 = (size_t)s->c.events;
            CHECK(s->prev_events == 1);
            CHECK(strstr(s->top, "环境卫生 6") == s->top);
        }
        if (s->level == 1) street = (size_t)s->c.events;
        if (s->level == 2) total = (size_t)s->c.events;
    }
    CHECK(comm1 == 6 && street == 10 && total == 10);
    fixture_free(&f);
}

/* ---- what a run and a merge of shards share ------------------------------ */

/* Which categories get a field of their own (all that fit, else 39 and
 * cat_other), which field holds one, and a grid's top category (most
 * events, a tie to the first in the run's order). */
TEST(category_fields_and_top) {
    char names[GS__HS_MAX_CAT_FIELDS][32];
    size_t nf;
    int other;
    static const long none[2] = {0, 0}, tie[3] = {3, 5, 5}, one[1] = {2};
    gs__hs_cat_fields(0, &nf, &other);
    CHECK(nf == 0 && !other);
    gs__hs_cat_fields(GS__HS_MAX_CAT_FIELDS, &nf, &other);
    CHECK(nf == GS__HS_MAX_CAT_FIELDS && !other);
    gs__hs_cat_fields(GS__HS_MAX_CAT_FIELDS + 1, &nf, &other);
    CHECK(nf == GS__HS_MAX_CAT_FIELDS - 1 && other);
    for (size_t k = 0; k < GS__HS_MAX_CAT_FIELDS; k++)
        snprintf(names[k], sizeof names[k], "cat_%zu", k + 1);
    CHECK(!strcmp(gs__hs_cat_field(0, 2, 1, names, 7), "cat_1"));
    CHECK(!strcmp(gs__hs_cat_field(2, 2, 1, names, 7), "cat_other"));
    CHECK(!strcmp(gs__hs_cat_field(2, 2, 1, names, 0), ""));
    CHECK(!strcmp(gs__hs_cat_field(2, 2, 0, names, 7), ""));
    CHECK(gs__hs_top_category(none, 2) == -1);
    CHECK(gs__hs_top_category(tie, 3) == 1);
    CHECK(gs__hs_top_category(one, 1) == 0);
}

/* Units per Gi* bin count only units with a z-score, and none when Gi*
 * was not computed. */
TEST(gi_count_bins) {
    double z[5] = {3, 2, NAN, -1, -3}, p[5] = {0, 0, 0, 0, 0};
    signed char bin[5] = {3, 2, 0, -1, -3};
    gs__hs_gi g;
    long b[7];
    memset(&g, 0, sizeof g);
    g.done = 1;
    g.z = z;
    g.p = p;
    g.bin = bin;
    gs__hs_gi_count_bins(&g, 5, b);
    CHECK(b[6] == 1 && b[5] == 1 && b[3] == 0 && b[2] == 1 && b[0] == 1);
    g.done = 0;
    gs__hs_gi_count_bins(&g, 5, b);
    for (int k = 0; k < 7; k++) CHECK(b[k] == 0);
}

/* Gi* of hexagons as a run and a merge both compute it: the note without
 * hexagons; else ring-1 neighbours and Gi* on the counts, the same as
 * gs__hs_gi_run on gs__hex_adjacency, with the neighbours handed back. */
TEST(hexes_gi_like_a_run) {
    gs_rules rules;
    gs__hs_gi a, b;
    gs__hex hx[36];
    double x[36];
    size_t *start = NULL, *nbr = NULL, *s2 = NULL, *n2 = NULL;
    gs_rules_init(&rules);
    rules.min_units = 5;
    memset(&a, 0, sizeof a);
    REQUIRE(gs__hs_hexes_gi(ctx, NULL, NULL, 0, &rules, &a, &start, &nbr) ==
            GS_OK);
    CHECK(!a.done && strstr(a.note, "no hexagon") != NULL);
    CHECK(start == NULL && nbr == NULL);
    for (int k = 0; k < 36; k++) {
        hx[k] = (gs__hex){k % 6, k / 6};
        x[k] = k == 14 || k == 15 || k == 20 ? 9 : k % 3;
    }
    qsort(hx, 36, sizeof *hx, gs__hex_cmp);
    REQUIRE(gs__hs_hexes_gi(ctx, hx, x, 36, &rules, &a, &start, &nbr) == GS_OK);
    REQUIRE(gs__hex_adjacency(hx, 36, &s2, &n2) == GS_OK);
    REQUIRE(gs__hs_gi_run(x, NULL, 36, s2, n2, 5, "hexagons", "hexagons", &b) ==
            GS_OK);
    REQUIRE(a.done && b.done && start != NULL);
    for (int k = 0; k < 36; k++) {
        CHECK(a.z[k] == b.z[k] && a.bin[k] == b.bin[k]);
        CHECK(start[k + 1] == s2[k + 1]);
    }
    gs__hs_gi_free(&a);
    gs__hs_gi_free(&b);
    free(start);
    free(nbr);
    free(s2);
    free(n2);
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 2;
    RUN(queen_from_polygons);
    RUN(gistar_lattice_by_hand);
    RUN(gistar_not_computed);
    RUN(join_by_location_and_mismatch);
    RUN(counts_per_grid_and_category);
    RUN(repeat_locations_by_hand);
    RUN(overdue_by_hand);
    RUN(rising_grids_by_hand);
    RUN(hexagons_and_emerging_history);
    RUN(density_and_summaries);
    RUN(category_fields_and_top);
    RUN(gi_count_bins);
    RUN(hexes_gi_like_a_run);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
