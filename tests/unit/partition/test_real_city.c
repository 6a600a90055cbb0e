/*
 * test_real_city.c - what a real city asks of a division, on hand-built
 * models in metres: footprints kept whole (one across a road, households
 * spread over a building), no grid across a major road where the blocks
 * allow a division within the bounds, a dual carriageway's median split
 * down its middle, and the barrier share measured on the grids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "harness.h"
#include "model.h"
#include "partition.h"

static gs_ctx *ctx;

static void community(gs__model *m, const char *wkt) {
    m->communities = calloc(1, sizeof *m->communities);
    m->communities[0].code = "110108001001";
    m->communities[0].name = "c";
    m->communities[0].geom = gs__geom_from_wkt(m->geos, wkt);
    m->n_communities = 1;
}

static void barrier(gs__model *m, const char *wkt, int cls) {
    gs__barrier *b;
    m->barriers =
        realloc(m->barriers, (m->n_barriers + 1) * sizeof *m->barriers);
    b = &m->barriers[m->n_barriers++];
    memset(b, 0, sizeof *b);
    b->kind = "road";
    b->name = "";
    b->cls = cls;
    b->geom = gs__geom_from_wkt(m->geos, wkt);
}

/* n households of building bid at points spread over [x0,x1] x [y0,y1]
 * (a lattice), and, with `foot`, its footprint that rectangle. */
static void building(gs__model *m, const char *bid, double x0, double y0,
                     double x1, double y1, int n, int foot) {
    int cols = 10;
    m->households = realloc(
        m->households, (m->n_households + (size_t)n) * sizeof *m->households);
    for (int i = 0; i < n; i++) {
        gs__household *h = &m->households[m->n_households++];
        char id[64];
        memset(h, 0, sizeof *h);
        snprintf(id, sizeof id, "%s-%d", bid, i);
        h->id = gs__arena_strdup(&m->strings, id);
        h->building_id = gs__arena_strdup(&m->strings, bid);
        h->care_type = "";
        h->x = x0 + 0.5 + (x1 - x0 - 1) * (double)(i % cols) / (cols - 1);
        h->y = y0 + 0.5 + (y1 - y0 - 1) * (double)(i / cols % 10) / 9;
        h->persons = 2;
        h->persons_ok = 1;
    }
    if (foot) {
        char wkt[200];
        gs__building *b;
        GEOSGeometry *p;
        m->buildings =
            realloc(m->buildings, (m->n_buildings + 1) * sizeof *m->buildings);
        b = &m->buildings[m->n_buildings++];
        memset(b, 0, sizeof *b);
        snprintf(wkt, sizeof wkt,
                 "POLYGON((%g %g, %g %g, %g %g, %g %g, %g %g))", x0, y0, x1, y0,
                 x1, y1, x0, y1, x0, y0);
        b->id = gs__arena_strdup(&m->strings, bid);
        b->name = "";
        b->type = "";
        b->geom = gs__geom_from_wkt(m->geos, wkt);
        b->area = gs__geom_area(m->geos, b->geom);
        p = GEOSPointOnSurface_r(m->geos, b->geom);
        GEOSGeomGetX_r(m->geos, p, &b->x);
        GEOSGeomGetY_r(m->geos, p, &b->y);
        GEOSGeom_destroy_r(m->geos, p);
        b->households = b->persons = -1;
    }
}

static int run(gs__model *m, gs__partition_result *r) {
    gs_rules rules;
    gs__partition_opts o;
    gs_rules_init(&rules);
    memset(&o, 0, sizeof o);
    o.threads = 1;
    if (gs__partition_analyse(ctx, m, &rules, &o, r)) return -1;
    return gs__partition_measure_barriers(ctx, m, &rules, r);
}

/* The grid covering point (x, y) in its interior; -1 none or several. */
static long interior_grid(const gs__model *m, const gs__partition_result *r,
                          double x, double y) {
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(m->geos, x, y);
    long found = -1;
    for (size_t g = 0; g < r->n_grids; g++)
        if (GEOSIntersects_r(m->geos, r->grids[g].geom, p) == 1) {
            if (found >= 0 ||
                GEOSContains_r(m->geos, r->grids[g].geom, p) != 1) {
                found = -1;
                break;
            }
            found = (long)g;
        }
    GEOSGeom_destroy_r(m->geos, p);
    return found;
}

/* Every household strictly inside the grid holding its building's first
 * household, and the grids' households add up to that. */
static int households_agree(const gs__model *m, const gs__partition_result *r) {
    long *count = calloc(r->n_grids + 1, sizeof *count);
    int ok = 1;
    for (size_t i = 0; i < m->n_households; i++) {
        const gs__household *a = &m->households[i];
        long g = interior_grid(m, r, a->x, a->y);
        if (g < 0) {
            ok = 0;
            break;
        }
        count[g]++;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->households[j].building_id, a->building_id)) {
                ok &= interior_grid(m, r, m->households[j].x,
                                    m->households[j].y) == g;
                break;
            }
    }
    for (size_t g = 0; ok && g < r->n_grids; g++)
        ok = count[g] == r->grids[g].households;
    free(count);
    return ok;
}

/* Ten buildings of 100 households on two rows; a road at x = 500 runs
 * through building B02's footprint (470-530). */
TEST(footprint_across_a_road_stays_whole) {
    gs__model m;
    gs__partition_result r;
    gs__model_init(&m, ctx->geos);
    community(&m, "POLYGON((0 0, 1000 0, 1000 600, 0 600, 0 0))");
    barrier(&m, "LINESTRING(500 -10, 500 610)", GS__BARRIER_MEDIUM);
    for (int b = 0; b < 10; b++) {
        char bid[8];
        double cx = 100 + 200 * (b % 5), cy = 150 + 300 * (b / 5);
        snprintf(bid, sizeof bid, "B%02d", b);
        if (b == 2) cx = 500;
        building(&m, bid, cx - 30, cy - 15, cx + 30, cy + 15, 100, 1);
    }
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.n_grids >= 2);
    for (size_t b = 0; b < m.n_buildings; b++) {
        double best = 0, a = m.buildings[b].area;
        for (size_t g = 0; g < r.n_grids; g++) {
            GEOSGeometry *x = GEOSIntersection_r(m.geos, m.buildings[b].geom,
                                                 r.grids[g].geom);
            double ax = gs__geom_area(m.geos, x);
            if (ax > best) best = ax;
            GEOSGeom_destroy_r(m.geos, x);
        }
        CHECK(best > a - 1e-3); /* one grid holds all of it */
    }
    CHECK(households_agree(&m, &r));
    gs__partition_result_free(m.geos, &r);
    gs__model_free(&m);
}

/* No footprints: eight buildings of 100 households in a row, 80 m
 * apart, wide ones (households spread over 100 m) and compact ones (10 m)
 * in turn, so the line between two grids (after the fourth) falls where
 * a wide building's households reach past the midpoint of the two
 * buildings' points: a division by their mean points alone would cut
 * it. */
TEST(spread_households_stay_together) {
    gs__model m;
    gs__partition_result r;
    gs__model_init(&m, ctx->geos);
    community(&m, "POLYGON((0 0, 700 0, 700 100, 0 100, 0 0))");
    for (int b = 0; b < 8; b++) {
        char bid[8];
        double cx = 60 + 80 * b, w = b % 2 ? 5 : 50;
        snprintf(bid, sizeof bid, "S%02d", b);
        building(&m, bid, cx - w, 20, cx + w, 80, 100, 0);
    }
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.n_grids == 2);
    CHECK(households_agree(&m, &r));
    gs__partition_result_free(m.geos, &r);
    gs__model_free(&m);
}

/* A major road at x = 400: 800 households west, 1200 east. The blocks
 * allow 2 + 3 grids within the bounds: no grid crosses the road. */
TEST(major_road_is_not_straddled) {
    gs__model m;
    gs__partition_result r;
    gs__model_init(&m, ctx->geos);
    community(&m, "POLYGON((0 0, 1000 0, 1000 600, 0 600, 0 0))");
    barrier(&m, "LINESTRING(400 -10, 400 610)", GS__BARRIER_MAJOR);
    for (int b = 0; b < 20; b++) {
        char bid[8];
        double cx = b < 8 ? 50 + 100 * (b % 4) : 450 + 100 * ((b - 8) % 6),
               cy = b < 8 ? 150 + 300 * (b / 4) : 100 + 200 * ((b - 8) / 6);
        snprintf(bid, sizeof bid, "M%02d", b);
        building(&m, bid, cx - 10, cy - 10, cx + 10, cy + 10, 100, 1);
    }
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.n_grids == 5);
    CHECK(r.sums[0].straddling == 0);
    for (size_t g = 0; g < r.n_grids; g++) {
        double xmin, xmax;
        GEOSGeom_getXMin_r(m.geos, r.grids[g].geom, &xmin);
        GEOSGeom_getXMax_r(m.geos, r.grids[g].geom, &xmax);
        CHECK(xmax <= 400 + 1e-6 || xmin >= 400 - 1e-6);
        CHECK(r.grids[g].households >= 300 && r.grids[g].households <= 500);
        CHECK(r.grids[g].remark[0] == '\0');
    }
    gs__partition_result_free(m.geos, &r);
    gs__model_free(&m);
}

/* A dual carriageway: major lines at y = 290 and y = 310, 800 households
 * each side. The median between them is split down its middle (y = 300):
 * no grid reaches across it, and no grid is a thin arm along it. */
TEST(median_is_split_down_its_middle) {
    gs__model m;
    gs__partition_result r;
    gs__model_init(&m, ctx->geos);
    community(&m, "POLYGON((0 0, 1000 0, 1000 600, 0 600, 0 0))");
    barrier(&m, "LINESTRING(-10 290, 1010 290)", GS__BARRIER_MAJOR);
    barrier(&m, "LINESTRING(-10 310, 1010 310)", GS__BARRIER_MAJOR);
    for (int b = 0; b < 16; b++) {
        char bid[8];
        double cx = 100 + 200 * (b % 4 + (b % 8 >= 4 ? 0.5 : 0)),
               cy = b < 8 ? (b < 4 ? 80 : 200) : (b < 12 ? 400 : 520);
        snprintf(bid, sizeof bid, "D%02d", b);
        building(&m, bid, cx - 10, cy - 10, cx + 10, cy + 10, 100, 1);
    }
    REQUIRE(run(&m, &r) == GS_OK);
    CHECK(r.n_grids == 4);
    for (size_t g = 0; g < r.n_grids; g++) {
        double ymin, ymax;
        GEOSGeom_getYMin_r(m.geos, r.grids[g].geom, &ymin);
        GEOSGeom_getYMax_r(m.geos, r.grids[g].geom, &ymax);
        /* each grid ends at the median's middle line, on its side */
        CHECK(ymax <= 300 + 1e-3 || ymin >= 300 - 1e-3);
        CHECK(r.grids[g].households >= 300);
    }
    gs__partition_result_free(m.geos, &r);
    gs__model_free(&m);
}

/* The barrier share is the grids' inner boundary within 1 m of a
 * barrier: a division along one road has share 1 on both grids. */
TEST(barrier_share_measured_on_the_grids) {
    gs__model m;
    gs__partition_result r;
    gs__model_init(&m, ctx->geos);
    community(&m, "POLYGON((0 0, 1000 0, 1000 600, 0 600, 0 0))");
    barrier(&m, "LINESTRING(500 -10, 500 610)", GS__BARRIER_MEDIUM);
    for (int b = 0; b < 8; b++) {
        char bid[8];
        double cx = 100 + 100 * (b % 4) + (b % 4 >= 2 ? 300 : 0),
               cy = 150 + 300 * (b / 4);
        snprintf(bid, sizeof bid, "R%02d", b);
        building(&m, bid, cx - 10, cy - 10, cx + 10, cy + 10, 100, 0);
    }
    REQUIRE(run(&m, &r) == GS_OK);
    REQUIRE(r.n_grids == 2);
    for (size_t g = 0; g < r.n_grids; g++) {
        /* the line along the road, less the 1 cm at each end that lies
         * on the community's boundary */
        CHECK_NEAR(r.grids[g].cut_len, 600, 0.05);
        CHECK_NEAR(r.grids[g].cut_barrier, r.grids[g].cut_len, 1e-6);
    }
    gs__partition_result_free(m.geos, &r);
    gs__model_free(&m);
}

int main(void) {
    if (gs_ctx_create(&ctx) != GS_OK) return 1;
    RUN(footprint_across_a_road_stays_whole);
    RUN(spread_households_stay_together);
    RUN(major_road_is_not_straddled);
    RUN(median_is_split_down_its_middle);
    RUN(barrier_share_measured_on_the_grids);
    gs_ctx_destroy(ctx);
    return HARNESS_END();
}
