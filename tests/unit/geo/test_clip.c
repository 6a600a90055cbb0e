/*
 * test_clip.c - the segment clipping kernel against GEOS.
 *
 * Random segments (fixed seed) against a U-shaped grid, a square with a
 * hole, and a 15 m buffer of the U (arcs): the kernel's inside length must
 * equal the length of GEOS's intersection within 1e-6 m, and point tests
 * must agree with GEOS's "covers" (boundary inside).
 */
#include <stdlib.h>

#include "clip.h"
#include "geom.h"
#include "harness.h"

static GEOSContextHandle_t h;

/* Deterministic LCG so the cases are the same on every machine. */
static unsigned long long seed = 42;
static double rnd(double lo, double hi) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(seed >> 11) / 9007199254740992.0;
}

static double geos_inside(const GEOSGeometry *poly, double x0, double y0,
                          double x1, double y1) {
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
    GEOSGeometry *line, *in;
    double len = 0;
    GEOSCoordSeq_setXY_r(h, cs, 0, x0, y0);
    GEOSCoordSeq_setXY_r(h, cs, 1, x1, y1);
    line = GEOSGeom_createLineString_r(h, cs);
    in = GEOSIntersection_r(h, line, poly);
    GEOSLength_r(h, in, &len);
    GEOSGeom_destroy_r(h, in);
    GEOSGeom_destroy_r(h, line);
    return len;
}

static int compare(const char *wkt, int n, double lo, double hi) {
    GEOSGeometry *poly = gs__geom_from_wkt(h, wkt);
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, poly);
    gs__clip *c = NULL;
    int bad = 0;
    if (gs__clip_create(h, poly, 0, &c) != GS_OK) return -1;
    for (int i = 0; i < n; i++) {
        double x0 = rnd(lo, hi), y0 = rnd(lo, hi);
        /* Mostly short steps like GPS fixes, some long chords. */
        double r = i % 10 == 0 ? 200 : 15;
        double x1 = x0 + rnd(-r, r), y1 = y0 + rnd(-r, r);
        double a = gs__clip_inside_length(c, x0, y0, x1, y1);
        double b = geos_inside(poly, x0, y0, x1, y1);
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x0, y0);
        int pin = gs__clip_contains(c, x0, y0);
        int gin = GEOSPreparedCovers_r(h, prep, pt) == 1;
        GEOSGeom_destroy_r(h, pt);
        if (fabs(a - b) > 1e-6 || pin != gin) {
            if (bad < 5)
                printf(
                    "  segment (%.3f %.3f, %.3f %.3f): %.9f vs GEOS %.9f; "
                    "point %d vs %d\n",
                    x0, y0, x1, y1, a, b, pin, gin);
            bad++;
        }
    }
    GEOSPreparedGeom_destroy_r(h, prep);
    GEOSGeom_destroy_r(h, poly);
    gs__clip_destroy(c);
    return bad;
}

#define U_SHAPE                                                            \
    "POLYGON((0 0, 300 0, 300 300, 200 300, 200 100, 100 100, 100 300, 0 " \
    "300, 0 0))"

TEST(u_shaped_grid_matches_geos) {
    CHECK(compare(U_SHAPE, 20000, -50, 350) == 0);
}

TEST(polygon_with_hole_matches_geos) {
    CHECK(compare("POLYGON((0 0, 300 0, 300 300, 0 300, 0 0),"
                  "(100 100, 200 100, 200 200, 100 200, 100 100))",
                  20000, -50, 350) == 0);
}

TEST(buffered_grid_matches_geos) {
    GEOSGeometry *u = gs__geom_from_wkt(h, U_SHAPE);
    GEOSGeometry *b = GEOSBuffer_r(h, u, 15, 8);
    char *wkt = GEOSGeomToWKT_r(h, b);
    CHECK(compare(wkt, 20000, -50, 350) == 0);
    GEOSFree_r(h, wkt);
    GEOSGeom_destroy_r(h, b);
    GEOSGeom_destroy_r(h, u);
}

/* Hand-computed: a walk along y=50 from x=-50 to 350 crosses the U's
 * bottom bar fully inside: 300 m. At y=200 it crosses the two arms, each
 * 100 m wide: 200 m. Along the boundary x=0 from y=-10 to y=310: the 300 m
 * on the edge count as inside (closed polygon). The chord between two
 * inside fixes (50,200) and (250,200) crosses the notch: 100 of 200 m. */
TEST(hand_computed_u) {
    GEOSGeometry *u = gs__geom_from_wkt(h, U_SHAPE);
    gs__clip *c = NULL;
    REQUIRE(gs__clip_create(h, u, 0, &c) == GS_OK);
    CHECK_NEAR(gs__clip_inside_length(c, -50, 50, 350, 50), 300, 1e-9);
    CHECK_NEAR(gs__clip_inside_length(c, -50, 200, 350, 200), 200, 1e-9);
    CHECK_NEAR(gs__clip_inside_length(c, 0, -10, 0, 310), 300, 1e-9);
    CHECK_NEAR(gs__clip_inside_length(c, 50, 200, 250, 200), 100, 1e-9);
    CHECK(gs__clip_contains(c, 150, 100) == 1); /* on the notch's floor */
    CHECK(gs__clip_contains(c, 150, 150) == 0); /* in the notch */
    CHECK(gs__clip_contains(c, 300, 300) == 1); /* a vertex */
    CHECK(gs__clip_contains(c, 300.001, 150) == 0);
    gs__clip_destroy(c);
    GEOSGeom_destroy_r(h, u);
}

int main(void) {
    h = GEOS_init_r();
    RUN(u_shaped_grid_matches_geos);
    RUN(polygon_with_hole_matches_geos);
    RUN(buffered_grid_matches_geos);
    RUN(hand_computed_u);
    GEOS_finish_r(h);
    return HARNESS_END();
}
