/*
 * test_partition.c - the partition on hand-built models.
 *
 * Each case builds a model in metres (as the readers would after
 * projection): a 1,000 m x 600 m community with buildings of households on
 * a lattice, and checks the grids against the standard and the tiling
 * (areas add up to the community's, no two grids overlap), that a road is
 * followed, that no building is split, and the undersize case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "harness.h"
#include "model.h"
#include "partition.h"

static gs_ctx *ctx;

static const char *const rect =
    "POLYGON((0 0, 1000 0, 1000 600, 0 600, 0 0))";

static void add_community(gs__model *m, const char *code, const char *wkt) {
    gs__community *c;
    m->communities = realloc(m->communities,
                             (m->n_communities + 1) * sizeof *m->communities);
    c = &m->communities[m->n_communities++];
    memset(c, 0, sizeof *c);
    c->code = gs__arena_strdup(&m->strings, code);
    c->name = c->code;
    c->geom = gs__geom_from_wkt(m->geos, wkt);
}

static void add_barrier(gs__model *m, const char *wkt) {
    gs__barrier *b;
    m->barriers =
        realloc(m->barriers, (m->n_barriers + 1) * sizeof *m->barriers);
    b = &m->barriers[m->n_barriers++];
    memset(b, 0, sizeof *b);
    b->kind = "road";
    b->name = "";
    b->geom = gs__geom_from_wkt(m->geos, wkt);
}

/* `n` households of `persons` each in building `bid`, spread over a 20 m
 * square around (x, y). */
static void add_building(gs__model *m, const char *bid, double x, double y,
                         int n, long persons) {
    m->households = realloc(m->households,
                            (m->n_households + (size_t)n) *
                                sizeof *m->households);
    for (int i = 0; i < n; i++) {
        gs__household *h = &m->households[m->n_households++];
        char id[64];
        memset(h, 0, sizeof *h);
        snprintf(id, sizeof id, "%s-%d", bid, i);
        h->id = gs__arena_strdup(&m->strings, id);
        h->building_id = gs__arena_strdup(&m->strings, bid);
        h->care_type = "";
        h->x = x - 10 + (i % 10) * 2;
        h->y = y - 10 + (i / 10 % 10) * 2;
        h->persons = persons;
        h->persons_ok = 1;
    }
}

/* Ten buildings of 100 households: two rows of five, 200 m apart. */
static void ten_buildings(gs__model *m) {
    for (int b = 0; b < 10; b++) {
        char bid[16];
        snprintf(bid, sizeof bid, "B%02d", b);
        add_building(m, bid, 100 + 200 * (b % 5), 150 + 300 * (b / 5), 100,
                     3);
    }
}

/* Checks the tiling and the standard; returns the number of grids. */
static size_t check_tiling(const gs__model *m, const gs__partres *r,
                           int expect_ok) {
    GEOSContextHandle_t h = m->geos;
    double sum = 0, carea = gs__geom_area(h, m->communities[0].geom);
    long hh = 0;
    for (size_t i = 0; i < r->n_grids; i++) {
        const gs__pgrid *g = &r->grids[i];
        CHECK(GEOSGeomTypeId_r(h, g->geom) == GEOS_POLYGON);
        CHECK(GEOSisValid_r(h, g->geom) == 1);
        CHECK(strlen(g->code) == strlen(m->communities[0].code) + 3);
        sum += gs__geom_area(h, g->geom);
        hh += g->households;
        if (expect_ok) {
            CHECK(g->households >= 300 && g->households <= 500);
            CHECK(g->persons <= 2500);
            CHECK(g->note[0] == '\0');
        }
        for (size_t j = i + 1; j < r->n_grids; j++) {
            GEOSGeometry *x = GEOSIntersection_r(h, g->geom,
                                                 r->grids[j].geom);
            CHECK(gs__geom_area(h, x) < 1e-6);
            GEOSGeom_destroy_r(h, x);
            CHECK(strcmp(g->code, r->grids[j].code) != 0);
        }
    }
    CHECK_NEAR(sum, carea, 1e-3);
    CHECK(hh == (long)m->n_households);
    return r->n_grids;
}

/* Every household of a building lies in the same grid. */
static int buildings_whole(const gs__model *m, const gs__partres *r) {
    GEOSContextHandle_t h = m->geos;
    for (size_t i = 0; i < m->n_households; i++) {
        const gs__household *a = &m->households[i];
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, a->x, a->y);
        long gi = -1;
        for (size_t g = 0; g < r->n_grids; g++)
            if (GEOSCovers_r(h, r->grids[g].geom, p) == 1) {
                gi = (long)g;
                break;
            }
        GEOSGeom_destroy_r(h, p);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->households[j].building_id, a->building_id)) {
                GEOSGeometry *q = GEOSGeom_createPointFromXY_r(
                    h, m->households[j].x, m->households[j].y);
                int same = gi >= 0 &&
                           GEOSCovers_r(h, r->grids[gi].geom, q) == 1;
                GEOSGeom_destroy_r(h, q);
                if (!same) return 0;
                break;
            }
    }
    return 1;
}

TEST(thousand_households_no_barriers) {
    gs__model m;
    gs__partres r;
    gs_rules rules;
    size_t n;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    add_community(&m, "110108001001", rect);
    ten_buildings(&m);
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &r) == GS_OK);
    n = check_tiling(&m, &r, 1);
    CHECK(n >= 2 && n <= 3);
    CHECK(buildings_whole(&m, &r));
    CHECK(r.n_sums == 1 && r.sums[0].households == 1000);
    CHECK(!strcmp(r.grids[0].code, "110108001001001") ||
          !strcmp(r.grids[1].code, "110108001001001"));
    gs__partres_free(m.geos, &r);
    gs__model_free(&m);
}

/* A road at x = 500 splits the buildings 500 / 500: the two grids are the
 * halves, so the grid boundary is the road. */
TEST(road_is_followed) {
    gs__model m;
    gs__partres r;
    gs_rules rules;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    add_community(&m, "110108001001", rect);
    ten_buildings(&m);
    /* Move the middle column's buildings off the road line: the southern
     * one west, the northern one east, so each side holds 500. */
    for (size_t i = 0; i < m.n_households; i++)
        if (m.households[i].x > 480 && m.households[i].x < 520)
            m.households[i].x += m.households[i].y < 300 ? -60 : 60;
    add_barrier(&m, "LINESTRING(500 -50, 500 650)");
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &r) == GS_OK);
    REQUIRE(check_tiling(&m, &r, 1) == 2);
    for (size_t i = 0; i < r.n_grids; i++) {
        double xmin, xmax;
        GEOSGeom_getXMin_r(m.geos, r.grids[i].geom, &xmin);
        GEOSGeom_getXMax_r(m.geos, r.grids[i].geom, &xmax);
        CHECK((fabs(xmin) < 1e-6 && fabs(xmax - 500) < 1e-6) ||
              (fabs(xmin - 500) < 1e-6 && fabs(xmax - 1000) < 1e-6));
        CHECK(r.grids[i].households == 500);
    }
    /* Reading order: the western half is 001. */
    {
        double xmin;
        size_t w = strcmp(r.grids[0].code, r.grids[1].code) < 0 ? 0 : 1;
        GEOSGeom_getXMin_r(m.geos, r.grids[w].geom, &xmin);
        CHECK(fabs(xmin) < 1e-6);
        CHECK(!strcmp(r.grids[w].code, "110108001001001"));
    }
    CHECK(buildings_whole(&m, &r));
    gs__partres_free(m.geos, &r);
    gs__model_free(&m);
}

/* Twelve buildings of 80 households in a row: 960 households, which fit
 * in 2 grids of 480 or 3 of 320 only with whole buildings. Cuts fall
 * between buildings; none is split. */
TEST(building_never_split) {
    gs__model m;
    gs__partres r;
    gs_rules rules;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    add_community(&m, "110108001002", rect);
    for (int b = 0; b < 12; b++) {
        char bid[16];
        snprintf(bid, sizeof bid, "R%02d", b);
        add_building(&m, bid, 40 + 80 * b + (b % 3) * 3, 300 + (b % 2) * 50,
                     80, 2);
    }
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &r) == GS_OK);
    check_tiling(&m, &r, 1);
    CHECK(buildings_whole(&m, &r));
    for (size_t i = 0; i < r.n_grids; i++)
        CHECK(r.grids[i].households % 80 == 0);
    gs__partres_free(m.geos, &r);
    gs__model_free(&m);
}

TEST(undersize_community_is_one_grid_with_note) {
    gs__model m;
    gs__partres r;
    gs_rules rules;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    add_community(&m, "110108001003", rect);
    add_building(&m, "A", 200, 200, 150, 2);
    add_building(&m, "B", 800, 400, 100, 2);
    add_barrier(&m, "LINESTRING(500 -50, 500 650)");
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &r) == GS_OK);
    REQUIRE(r.n_grids == 1);
    CHECK(r.grids[0].households == 250);
    CHECK(strstr(r.grids[0].note, "undersize") != NULL);
    CHECK(strstr(r.sums[0].note, "undersize") != NULL);
    CHECK(!strcmp(r.grids[0].code, "110108001003001"));
    check_tiling(&m, &r, 0);
    gs__partres_free(m.geos, &r);
    gs__model_free(&m);
}

/* Twice the same input gives the same codes, figures and shapes. */
TEST(deterministic) {
    gs__model m;
    gs__partres a, b;
    gs_rules rules;
    gs_rules_init(&rules);
    gs__model_init(&m, ctx->geos);
    add_community(&m, "110108001001", rect);
    ten_buildings(&m);
    add_barrier(&m, "LINESTRING(-10 310, 1010 290)");
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &a) == GS_OK);
    REQUIRE(gs__partition_analyse(ctx, &m, &rules, &b) == GS_OK);
    REQUIRE(a.n_grids == b.n_grids);
    for (size_t i = 0; i < a.n_grids; i++) {
        CHECK(!strcmp(a.grids[i].code, b.grids[i].code));
        CHECK(a.grids[i].households == b.grids[i].households);
        CHECK(GEOSEquals_r(m.geos, a.grids[i].geom, b.grids[i].geom) == 1);
    }
    check_tiling(&m, &a, 1);
    gs__partres_free(m.geos, &a);
    gs__partres_free(m.geos, &b);
    gs__model_free(&m);
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 1;
    RUN(thousand_households_no_barriers);
    RUN(road_is_followed);
    RUN(building_never_split);
    RUN(undersize_community_is_one_grid_with_note);
    RUN(deterministic);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
