/*
 * test_hexgrid.c - the hexagon lattice (hexgrid.c): geometry worked by hand,
 * round trips, the nearest-centre rule against brute force, the extent
 * cover and the ring-1 contiguity feeding Gi*.
 *
 * Both orientations run every check. Size is across flats: F = 100 gives
 * R = 100/sqrt 3 = 57.735027 m from centre to vertex.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "hexgrid.h"

static const double kF = 100, kR = 57.735026918962576;

static double dist(double ax, double ay, double bx, double by) {
    return hypot(ax - bx, ay - by);
}

/* Whether (x, y) is inside or on the convex hexagon h (within tol). */
static int in_hex(const gs__hexgrid *g, gs__hex h, double x, double y,
                  double tol) {
    double v[12];
    gs__hex_vertices(g, h, v);
    for (int k = 0; k < 6; k++) {
        int n = (k + 1) % 6;
        double ex = v[2 * n] - v[2 * k], ey = v[2 * n + 1] - v[2 * k + 1];
        double cross = ex * (y - v[2 * k + 1]) - ey * (x - v[2 * k]);
        /* Counter-clockwise ring: inside is left of every edge. */
        if (cross / hypot(ex, ey) < -tol) return 0;
    }
    return 1;
}

static const gs__hex_orient kOrients[2] = {GS__HEX_POINTY, GS__HEX_FLAT};

/*
 * Pointy, origin (1000, 2000): hex (1, 0) is F = 100 east, at (1100, 2000);
 * hex (0, 1) is at x + F/2, y + 3R/2 = (1050, 2086.602540); vertex 1 (90
 * degrees) of hex (0, 0) is R north, (1000, 2057.735027).
 * Flat: hex (1, 0) at (1000 + 3R/2, 2000 + F/2) = (1086.602540, 2050);
 * hex (0, 1) at (1000, 2100); vertex 0 (east) of hex (0, 0) is
 * (1057.735027, 2000).
 */
TEST(hex_geometry_by_hand) {
    gs__hexgrid g;
    double x, y, v[12];
    gs__hex h10 = {1, 0}, h01 = {0, 1}, h00 = {0, 0};
    REQUIRE(gs__hexgrid_init(&g, kF, 1000, 2000, GS__HEX_POINTY) == GS_OK);
    CHECK_NEAR(g.radius, kR, 1e-12);
    gs__hex_center(&g, h10, &x, &y);
    CHECK_NEAR(x, 1100, 1e-9);
    CHECK_NEAR(y, 2000, 1e-9);
    gs__hex_center(&g, h01, &x, &y);
    CHECK_NEAR(x, 1050, 1e-9);
    CHECK_NEAR(y, 2000 + 1.5 * kR, 1e-9);
    gs__hex_vertices(&g, h00, v);
    CHECK_NEAR(v[2], 1000, 1e-9);
    CHECK_NEAR(v[3], 2000 + kR, 1e-9);

    REQUIRE(gs__hexgrid_init(&g, kF, 1000, 2000, GS__HEX_FLAT) == GS_OK);
    gs__hex_center(&g, h10, &x, &y);
    CHECK_NEAR(x, 1000 + 1.5 * kR, 1e-9);
    CHECK_NEAR(y, 2050, 1e-9);
    gs__hex_center(&g, h01, &x, &y);
    CHECK_NEAR(x, 1000, 1e-9);
    CHECK_NEAR(y, 2100, 1e-9);
    gs__hex_vertices(&g, h00, v);
    CHECK_NEAR(v[0], 1000 + kR, 1e-9);
    CHECK_NEAR(v[1], 2000, 1e-9);
}

/* Every vertex is R from the centre, the ring is counter-clockwise with
 * area (sqrt 3 / 2) F^2 = 8660.254 m^2, and each of the six neighbours
 * is F away, shares exactly two vertices bit for bit, and is one step
 * away. */
TEST(hex_vertices_and_neighbors) {
    for (int o = 0; o < 2; o++) {
        gs__hexgrid g;
        gs__hex h = {3, -7}, nb[6];
        double cx, cy, v[12], area = 0;
        REQUIRE(gs__hexgrid_init(&g, kF, 432100.5, 3512345.25, kOrients[o]) ==
                GS_OK);
        gs__hex_center(&g, h, &cx, &cy);
        gs__hex_vertices(&g, h, v);
        for (int k = 0; k < 6; k++) {
            int n = (k + 1) % 6;
            CHECK_NEAR(dist(v[2 * k], v[2 * k + 1], cx, cy), kR, 1e-6);
            area += v[2 * k] * v[2 * n + 1] - v[2 * n] * v[2 * k + 1];
        }
        CHECK_NEAR(area / 2, sqrt(3.0) / 2 * kF * kF, 1e-3);
        gs__hex_neighbors(h, nb);
        for (int k = 0; k < 6; k++) {
            double nx, ny, w[12];
            int shared = 0;
            gs__hex_center(&g, nb[k], &nx, &ny);
            CHECK_NEAR(dist(nx, ny, cx, cy), kF, 1e-6);
            CHECK(gs__hex_distance(h, nb[k]) == 1);
            gs__hex_vertices(&g, nb[k], w);
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                    if (v[2 * a] == w[2 * b] && v[2 * a + 1] == w[2 * b + 1])
                        shared++;
            CHECK(shared == 2);
        }
        CHECK(gs__hex_distance(h, (gs__hex){5, -9}) == 2);
    }
}

/* Centre -> hexagon -> centre, for a block of hexagons, and points well
 * inside each (0.45 F from the centre in 12 directions) map back too. */
TEST(hex_round_trip) {
    for (int o = 0; o < 2; o++) {
        gs__hexgrid g;
        REQUIRE(gs__hexgrid_init(&g, kF, -250, 730, kOrients[o]) == GS_OK);
        for (int64_t q = -6; q <= 6; q++)
            for (int64_t r = -6; r <= 6; r++) {
                gs__hex h = {q, r}, back;
                double cx, cy;
                gs__hex_center(&g, h, &cx, &cy);
                REQUIRE(gs__hex_from_point(&g, cx, cy, &back) == GS_OK);
                CHECK(back.q == q && back.r == r);
                for (int k = 0; k < 12; k++) {
                    double a = k * 3.14159265358979323846 / 6;
                    REQUIRE(gs__hex_from_point(&g, cx + 0.45 * kF * cos(a),
                                               cy + 0.45 * kF * sin(a),
                                               &back) == GS_OK);
                    CHECK(back.q == q && back.r == r);
                }
            }
    }
}

/* Every point of a 1,000 x 700 m extent, on a 7.3 m mesh, lies in the
 * hexagon whose centre is nearest (brute force over the cover of the
 * extent) and inside that hexagon's polygon. */
TEST(hex_nearest_centre) {
    for (int o = 0; o < 2; o++) {
        gs__hexgrid g;
        gs__hex *all = NULL;
        size_t n = 0;
        int bad = 0;
        REQUIRE(gs__hexgrid_init(&g, kF, 0, 0, kOrients[o]) == GS_OK);
        REQUIRE(gs__hexgrid_cover(&g, -200, -200, 1200, 900, 100000, &all,
                                  &n) == GS_OK);
        for (double x = 0.1; x < 1000; x += 7.3)
            for (double y = 0.2; y < 700; y += 7.3) {
                gs__hex h;
                double hx, hy, best = INFINITY;
                REQUIRE(gs__hex_from_point(&g, x, y, &h) == GS_OK);
                gs__hex_center(&g, h, &hx, &hy);
                for (size_t i = 0; i < n; i++) {
                    double cx, cy;
                    gs__hex_center(&g, all[i], &cx, &cy);
                    best = fmin(best, dist(x, y, cx, cy));
                }
                if (!(dist(x, y, hx, hy) <= best + 1e-9) ||
                    !in_hex(&g, h, x, y, 1e-9))
                    bad++;
            }
        CHECK(bad == 0);
        free(all);
    }
}

/* A point exactly on the edge between (0,0) and (1,0) (pointy, x = 50)
 * goes to one of the two, the same one every time. */
TEST(hex_edge_points) {
    gs__hexgrid g;
    gs__hex a, b;
    REQUIRE(gs__hexgrid_init(&g, kF, 0, 0, GS__HEX_POINTY) == GS_OK);
    REQUIRE(gs__hex_from_point(&g, 50, 0, &a) == GS_OK);
    REQUIRE(gs__hex_from_point(&g, 50, 0, &b) == GS_OK);
    CHECK(a.q == b.q && a.r == b.r);
    CHECK(a.r == 0 && (a.q == 0 || a.q == 1));
    CHECK(gs__hex_from_point(&g, NAN, 0, &a) == GS_ERR_INPUT_VALUE);
    CHECK(a.q == 0 && a.r == 0);
    CHECK(gs__hex_from_point(&g, 1e300, 0, &a) == GS_ERR_INPUT_VALUE);
}

/*
 * Pointy, origin (0, 0), F = 100:
 *  - [-10, 10] x [-10, 10] lies inside hex (0, 0): one hexagon;
 *  - [0, 100] x [-1, 1] runs from the centre of (0, 0) to the centre of
 *    (1, 0), crossing their shared edge x = 50 far from its ends (y = +-R/2
 *    = +-28.9): exactly those two;
 *  - [50, 60] x [-1, 1] touches (0, 0) only along the edge x = 50: just
 *    (1, 0).
 */
TEST(hex_cover_by_hand) {
    gs__hexgrid g;
    gs__hex *v = NULL;
    size_t n = 0;
    REQUIRE(gs__hexgrid_init(&g, kF, 0, 0, GS__HEX_POINTY) == GS_OK);
    REQUIRE(gs__hexgrid_cover(&g, -10, -10, 10, 10, 100, &v, &n) == GS_OK);
    CHECK(n == 1 && v[0].q == 0 && v[0].r == 0);
    free(v);
    REQUIRE(gs__hexgrid_cover(&g, 0, -1, 100, 1, 100, &v, &n) == GS_OK);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(v[0].q == 0 && v[0].r == 0);
        CHECK(v[1].q == 1 && v[1].r == 0);
    }
    free(v);
    REQUIRE(gs__hexgrid_cover(&g, 50, -1, 60, 1, 100, &v, &n) == GS_OK);
    CHECK(n == 1 && v[0].q == 1 && v[0].r == 0);
    free(v);
    /* Errors: empty rectangle, and the hard maximum. */
    CHECK(gs__hexgrid_cover(&g, 10, 0, 0, 10, 100, &v, &n) == GS_ERR_USAGE);
    CHECK(v == NULL && n == 0);
    CHECK(gs__hexgrid_cover(&g, 0, 0, 100000, 100000, 1000, &v, &n) ==
          GS_ERR_USAGE);
}

/* Over a 2.3 x 1.7 km extent: every sampled point's hexagon is in the
 * cover, the cover is sorted by (r, q) without repeats, and each of its
 * hexagons has a point inside the extent (its centre clamped into the
 * extent lies inside it, or one of its vertices lies inside the extent). */
TEST(hex_cover_extent) {
    for (int o = 0; o < 2; o++) {
        gs__hexgrid g;
        gs__hex *v = NULL;
        size_t n = 0;
        int missing = 0, outside = 0, order = 0;
        const double x0 = 431017.3, y0 = 3500003.9, x1 = x0 + 2300,
                     y1 = y0 + 1700;
        REQUIRE(gs__hexgrid_init(&g, kF, 431000, 3500000, kOrients[o]) ==
                GS_OK);
        REQUIRE(gs__hexgrid_cover(&g, x0, y0, x1, y1, 100000, &v, &n) == GS_OK);
        /* About area / hexagon area = 3.91e6 / 8660 = 451, plus a rim. */
        CHECK(n > 451 && n < 600);
        for (size_t i = 1; i < n; i++)
            if (!(v[i - 1].r < v[i].r ||
                  (v[i - 1].r == v[i].r && v[i - 1].q < v[i].q)))
                order++;
        CHECK(order == 0);
        for (double x = x0 + 0.5; x < x1; x += 9.1)
            for (double y = y0 + 0.5; y < y1; y += 9.1) {
                gs__hex h;
                int found = 0;
                REQUIRE(gs__hex_from_point(&g, x, y, &h) == GS_OK);
                for (size_t i = 0; i < n && !found; i++)
                    found = v[i].q == h.q && v[i].r == h.r;
                missing += !found;
            }
        CHECK(missing == 0);
        for (size_t i = 0; i < n; i++) {
            double cx, cy, w[12];
            int inside;
            gs__hex_center(&g, v[i], &cx, &cy);
            inside = in_hex(&g, v[i], fmin(fmax(cx, x0), x1),
                            fmin(fmax(cy, y0), y1), -1e-6);
            gs__hex_vertices(&g, v[i], w);
            for (int k = 0; k < 6 && !inside; k++)
                inside = w[2 * k] > x0 && w[2 * k] < x1 && w[2 * k + 1] > y0 &&
                         w[2 * k + 1] < y1;
            outside += !inside;
        }
        CHECK(outside == 0);
        free(v);
    }
}

/* A flower: hex (0, 0) and its six neighbours, listed ring first. The
 * centre has 6 neighbours, each petal 3 (the centre and the two petals
 * beside it). */
TEST(hex_adjacency_flower) {
    gs__hex hexes[7], ring[6];
    size_t *start = NULL, *nbr = NULL;
    gs__hex_neighbors((gs__hex){0, 0}, ring);
    for (int k = 0; k < 6; k++) hexes[k] = ring[k];
    hexes[6] = (gs__hex){0, 0};
    REQUIRE(gs__hex_adjacency(hexes, 7, &start, &nbr) == GS_OK);
    CHECK(start[7] - start[6] == 6);
    for (int k = 0; k < 6; k++) {
        int has_centre = 0;
        CHECK(start[k + 1] - start[k] == 3);
        for (size_t m = start[k]; m < start[k + 1]; m++)
            has_centre |= nbr[m] == 6;
        CHECK(has_centre);
    }
    free(start);
    free(nbr);
    /* A hexagon listed twice is the caller's mistake. */
    hexes[5] = hexes[6];
    CHECK(gs__hex_adjacency(hexes, 7, &start, &nbr) == GS_ERR_USAGE);
    CHECK(start == NULL && nbr == NULL);
}

TEST(hex_init_errors) {
    gs__hexgrid g;
    CHECK(gs__hexgrid_init(&g, 0, 0, 0, GS__HEX_POINTY) == GS_ERR_USAGE);
    CHECK(gs__hexgrid_init(&g, NAN, 0, 0, GS__HEX_POINTY) == GS_ERR_USAGE);
    CHECK(gs__hexgrid_init(&g, 100, INFINITY, 0, GS__HEX_FLAT) == GS_ERR_USAGE);
    CHECK(gs__hexgrid_init(&g, 100, 0, 0, (gs__hex_orient)7) == GS_ERR_USAGE);
}

int main(void) {
    RUN(hex_geometry_by_hand);
    RUN(hex_vertices_and_neighbors);
    RUN(hex_round_trip);
    RUN(hex_nearest_centre);
    RUN(hex_edge_points);
    RUN(hex_cover_by_hand);
    RUN(hex_cover_extent);
    RUN(hex_adjacency_flower);
    RUN(hex_init_errors);
    return HARNESS_END();
}
