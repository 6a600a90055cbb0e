/*
 * test_stats.c - the hotspot statistics (stats.c) on figures worked by hand.
 *
 * Each case states its arithmetic in a comment: Gi* on 3 x 3 lattices with
 * one high value, Benjamini-Hochberg on the example of Benjamini and
 * Hochberg (1995), the per-level Gi_Bin, Mann-Kendall on monotone, tied and
 * trendless series, one constructed weekly history per emerging class,
 * DBSCAN with border points and the min_pts threshold exactly, and the
 * quartic kernel's peak, integral and default bandwidth. Larger random
 * cases are checked against slow textbook implementations written here.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "hexgrid.h"
#include "stats.h"

/* ---- helpers ------------------------------------------------------------- */

/* CSR adjacency of a w x h lattice (row-major), rook or queen. */
typedef struct lattice {
    size_t n;
    size_t start[64 + 1];
    size_t nbr[64 * 8];
} lattice;

static void make_lattice(lattice *l, int w, int h, int queen) {
    size_t m = 0;
    l->n = (size_t)(w * h);
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            l->start[r * w + c] = m;
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if ((!dr && !dc) || rr < 0 || rr >= h || cc < 0 || cc >= w)
                        continue;
                    if (!queen && dr && dc) continue;
                    l->nbr[m++] = (size_t)(rr * w + cc);
                }
        }
    l->start[l->n] = m;
}

/* A small deterministic pseudo-random generator (LCG), in [0, 1). */
static unsigned long rng_state = 12345;
static double rnd(void) {
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* ---- Gi* ----------------------------------------------------------------- */

/*
 * 3 x 3 rook lattice, values 0 except the centre (index 4) = 9.
 * n = 9, Xbar = 9/9 = 1, sum x^2 = 81,
 * S = sqrt(81/9 - 1^2) = sqrt 8 = 2 sqrt 2.
 * Centre: self + 4 rook neighbours, W = 5, sum w x = 9:
 *   z = (9 - 1*5) / (2 sqrt2 * sqrt((9*5 - 25)/8)) = 4 / (2 sqrt2 sqrt 2.5)
 *     = 4 / (2 sqrt 5) = 2/sqrt5 = 0.894427; p = erfc(z/sqrt2) = 0.371093.
 * Corner 0: self + {1, 3}, W = 3, sum = 0:
 *   z = (0 - 3) / (2 sqrt2 * sqrt((27 - 9)/8)) = -3 / (2 sqrt2 * 1.5)
 *     = -1/sqrt2 = -0.707107; p = 0.479500.
 * Edge 1: self + {0, 2, 4}, W = 4, sum = 9:
 *   z = (9 - 4) / (2 sqrt2 * sqrt((36 - 16)/8)) = 5 / (2 sqrt 5) = sqrt5/2
 *     = 1.118034; p = 0.263552.
 */
TEST(gistar_rook_3x3) {
    lattice l;
    double x[9] = {0, 0, 0, 0, 9, 0, 0, 0, 0}, z[9], p[9];
    gs__gi_status st = GS__GI_TOO_FEW;
    make_lattice(&l, 3, 3, 0);
    REQUIRE(gs__gistar(x, 9, l.start, l.nbr, z, p, &st) == GS_OK);
    CHECK(st == GS__GI_OK);
    CHECK_NEAR(z[4], 2 / sqrt(5.0), 1e-12);
    CHECK_NEAR(p[4], 0.37109336952269767, 1e-12);
    CHECK_NEAR(z[0], -1 / sqrt(2.0), 1e-12);
    CHECK_NEAR(p[0], 0.47950012218695354, 1e-12);
    CHECK_NEAR(z[1], sqrt(5.0) / 2, 1e-12);
    CHECK_NEAR(p[1], 0.26355247728297276, 1e-12);
    /* By symmetry, the four corners and the four edges are alike. */
    CHECK_NEAR(z[8], z[0], 1e-12);
    CHECK_NEAR(z[7], z[1], 1e-12);
}

/*
 * Same values, queen contiguity.
 * Corner 0: self + {1, 3, 4}, W = 4, sum = 9: z = sqrt5/2 = 1.118034, as the
 *   rook edge above.
 * Centre: self + all 8 others, W = 9 = n: n W - W^2 = 81 - 81 = 0, no
 *   variance, so z = 0 and p = 1 by definition.
 * Edge 1: self + {0, 2, 3, 4, 5}, W = 6, sum = 9:
 *   z = (9 - 6) / (2 sqrt2 * sqrt((54 - 36)/8)) = 3 / (2 sqrt2 * 1.5)
 *     = 1/sqrt2 = 0.707107.
 */
TEST(gistar_queen_3x3) {
    lattice l;
    double x[9] = {0, 0, 0, 0, 9, 0, 0, 0, 0}, z[9], p[9];
    make_lattice(&l, 3, 3, 1);
    REQUIRE(gs__gistar(x, 9, l.start, l.nbr, z, p, NULL) == GS_OK);
    CHECK_NEAR(z[0], sqrt(5.0) / 2, 1e-12);
    CHECK_NEAR(z[4], 0, 0);
    CHECK_NEAR(p[4], 1, 0);
    CHECK_NEAR(z[1], 1 / sqrt(2.0), 1e-12);
}

/* Gi* on a 7 x 7 queen lattice with random counts against the textbook
 * formula written out with a dense weight matrix. */
TEST(gistar_matches_dense_formula) {
    lattice l;
    double x[49], z[49], p[49], sx = 0, sx2 = 0, xbar, s;
    static double w[49][49];
    make_lattice(&l, 7, 7, 1);
    for (int i = 0; i < 49; i++) x[i] = floor(rnd() * 20);
    /* A hot 3 x 3 block around the centre (index 24 = row 3, col 3). */
    for (size_t k = l.start[24]; k < l.start[25]; k++) x[l.nbr[k]] = 40;
    x[24] = 40;
    for (int i = 0; i < 49; i++) {
        sx += x[i];
        sx2 += x[i] * x[i];
    }
    xbar = sx / 49;
    s = sqrt(sx2 / 49 - xbar * xbar);
    memset(w, 0, sizeof w);
    for (size_t i = 0; i < 49; i++) {
        w[i][i] = 1;
        for (size_t k = l.start[i]; k < l.start[i + 1]; k++) w[i][l.nbr[k]] = 1;
    }
    REQUIRE(gs__gistar(x, 49, l.start, l.nbr, z, p, NULL) == GS_OK);
    for (int i = 0; i < 49; i++) {
        double swx = 0, sw = 0, sw2 = 0, zi;
        for (int j = 0; j < 49; j++) {
            swx += w[i][j] * x[j];
            sw += w[i][j];
            sw2 += w[i][j] * w[i][j];
        }
        zi = (swx - xbar * sw) / (s * sqrt((49 * sw2 - sw * sw) / 48));
        CHECK_NEAR(z[i], zi, 1e-9);
        CHECK_NEAR(p[i], erfc(fabs(zi) / sqrt(2.0)), 1e-9);
    }
    CHECK(z[24] > 2.58); /* the hot block is significant at 99 % */
}

TEST(gistar_degenerate) {
    lattice l;
    double x[9], z[9], p[9];
    gs__gi_status st = GS__GI_OK;
    size_t start2[3] = {0, 1, 2}, nbr2[2] = {1, 0};
    make_lattice(&l, 3, 3, 1);
    /* All equal: S = 0, every z = 0 and p = 1. */
    for (int i = 0; i < 9; i++) x[i] = 0.1;
    REQUIRE(gs__gistar(x, 9, l.start, l.nbr, z, p, &st) == GS_OK);
    CHECK(st == GS__GI_CONSTANT);
    for (int i = 0; i < 9; i++) {
        CHECK(z[i] == 0);
        CHECK(p[i] == 1);
    }
    /* Two units: too few. */
    x[0] = 1;
    x[1] = 5;
    REQUIRE(gs__gistar(x, 2, start2, nbr2, z, p, &st) == GS_OK);
    CHECK(st == GS__GI_TOO_FEW);
    CHECK(z[0] == 0 && z[1] == 0 && p[0] == 1);
    /* None at all. */
    REQUIRE(gs__gistar(NULL, 0, start2, NULL, NULL, NULL, &st) == GS_OK);
    CHECK(st == GS__GI_TOO_FEW);
}

TEST(gistar_bad_input) {
    double x[3] = {1, 2, 3}, z[3], p[3], zs[3], ps[3];
    size_t start[4] = {0, 1, 2, 2}, out_of_range[2] = {1, 3};
    size_t dup_start[4] = {0, 2, 2, 2}, dup[2] = {1, 1};
    size_t self_start[4] = {0, 2, 3, 4}, self[4] = {1, 0, 0, 2};
    size_t plain_start[4] = {0, 1, 2, 2}, plain[2] = {1, 0};
    CHECK(gs__gistar(x, 3, start, out_of_range, z, p, NULL) == GS_ERR_USAGE);
    CHECK(gs__gistar(x, 3, dup_start, dup, z, p, NULL) == GS_ERR_USAGE);
    CHECK(gs__gistar(x, 3, NULL, plain, z, p, NULL) == GS_ERR_USAGE);
    x[1] = NAN;
    CHECK(gs__gistar(x, 3, plain_start, plain, z, p, NULL) ==
          GS_ERR_INPUT_VALUE);
    x[1] = 2;
    /* A unit listed among its own neighbours is counted once, as self. */
    REQUIRE(gs__gistar(x, 3, self_start, self, zs, ps, NULL) == GS_OK);
    REQUIRE(gs__gistar(x, 3, plain_start, plain, z, p, NULL) == GS_OK);
    for (int i = 0; i < 3; i++) CHECK_NEAR(zs[i], z[i], 1e-15);
}

/* ---- Benjamini-Hochberg -------------------------------------------------- */

/*
 * The example of Benjamini and Hochberg (1995, section 4.2): 15 p-values,
 * q = 0.05. Sorted, p_(k) <= k q / 15 = k/300 holds up to k = 4
 * (0.0095 <= 0.01333) and never after (0.0201 > 0.01667, 0.0278 > 0.02,
 * 0.0298 > 0.02333, 0.0344 > 0.02667, 0.0459 > 0.03, then p >= 0.324), so
 * the four smallest are discoveries (Bonferroni, 0.05/15 = 0.00333, would
 * take three). Given in shuffled order to check the index mapping.
 */
TEST(bh_textbook_example) {
    const double sorted[15] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201,
                               0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
                               0.4262, 0.5719, 0.6528, 0.7590, 1.0000};
    const int perm[15] = {9, 3, 14, 0, 7, 12, 2, 5, 11, 1, 8, 4, 13, 6, 10};
    double p[15], cutoff = -1;
    unsigned char pass[15];
    int n_pass = 0;
    for (int i = 0; i < 15; i++) p[i] = sorted[perm[i]];
    REQUIRE(gs__fdr_bh(p, 15, 0.05, pass, &cutoff) == GS_OK);
    for (int i = 0; i < 15; i++) {
        CHECK(pass[i] == (perm[i] < 4));
        n_pass += pass[i];
    }
    CHECK(n_pass == 4);
    CHECK_NEAR(cutoff, 0.0095, 0);
    /* At q = 0.01 the cut-offs are k/1500: 0.0001 <= 0.00067,
     * 0.0004 <= 0.00133, 0.0019 <= 0.002, but 0.0095 > 0.00267 and every
     * later p is larger still: three discoveries, cut-off 0.0019. */
    REQUIRE(gs__fdr_bh(p, 15, 0.01, pass, &cutoff) == GS_OK);
    CHECK_NEAR(cutoff, 0.0019, 0);
    /* Nothing significant: cut-off 0, nobody passes. */
    p[0] = 0.9;
    for (int i = 1; i < 15; i++) p[i] = 0.5;
    REQUIRE(gs__fdr_bh(p, 15, 0.05, pass, &cutoff) == GS_OK);
    CHECK(cutoff == 0);
    for (int i = 0; i < 15; i++) CHECK(pass[i] == 0);
}

TEST(bh_bad_input) {
    double p[2] = {0.5, 1.5};
    unsigned char pass[2];
    CHECK(gs__fdr_bh(p, 2, 0.05, pass, NULL) == GS_ERR_INPUT_VALUE);
    p[1] = NAN;
    CHECK(gs__fdr_bh(p, 2, 0.05, pass, NULL) == GS_ERR_INPUT_VALUE);
    p[1] = 0.1;
    CHECK(gs__fdr_bh(p, 2, 0, pass, NULL) == GS_ERR_USAGE);
    CHECK(gs__fdr_bh(p, 2, 0.05, NULL, NULL) == GS_ERR_USAGE);
    CHECK(gs__fdr_bh(NULL, 0, 0.05, NULL, NULL) == GS_OK);
}

/*
 * Bins on 10 p-values 0.001, 0.004, 0.02, 0.03, 0.06, 0.2, 0.5, 0.7, 0.8,
 * 0.9 (already sorted), m = 10:
 *   BH at 0.01, cut-offs k x 0.001: k=1 0.001 <= 0.001 yes; k=2 0.004 >
 *     0.002; nothing later -> {0.001};
 *   BH at 0.05, k x 0.005: 0.001, 0.004 <= 0.010 yes; 0.02 > 0.015,
 *     0.03 > 0.02, 0.06 > 0.025 -> {0.001, 0.004};
 *   BH at 0.10, k x 0.01: 0.001, 0.004, 0.02 <= 0.03, 0.03 <= 0.04 yes;
 *     0.06 > 0.05, 0.2 > 0.06 -> {0.001, 0.004, 0.02, 0.03}.
 * So the bins are 3, 2, 1, 1, 0, ... with the sign of z. Without FDR:
 * p <= 0.01 -> 3 (0.001, 0.004), <= 0.05 -> 2 (0.02, 0.03), <= 0.10 -> 1
 * (0.06).
 */
TEST(gi_bins_per_level_fdr) {
    const double p[10] = {0.001, 0.004, 0.02, 0.03, 0.06,
                          0.2,   0.5,   0.7,  0.8,  0.9};
    const double z[10] = {3.3, -2.9, 2.3, -2.2, 1.9, 1.3, 0.7, 0.4, -0.3, 0.1};
    const signed char fdr[10] = {3, -2, 1, -1, 0, 0, 0, 0, 0, 0};
    const signed char raw[10] = {3, -3, 2, -2, 1, 0, 0, 0, 0, 0};
    signed char bin[10];
    unsigned char pass[10];
    REQUIRE(gs__gi_bins(z, p, 10, 1, bin) == GS_OK);
    for (int i = 0; i < 10; i++) CHECK(bin[i] == fdr[i]);
    REQUIRE(gs__gi_bins(z, p, 10, 0, bin) == GS_OK);
    for (int i = 0; i < 10; i++) CHECK(bin[i] == raw[i]);
    /* docs/design.md's "passes FDR at 0.05" is |bin| >= 2. */
    REQUIRE(gs__fdr_bh(p, 10, 0.05, pass, NULL) == GS_OK);
    for (int i = 0; i < 10; i++) CHECK(pass[i] == (abs(fdr[i]) >= 2));
}

/* ---- Mann-Kendall -------------------------------------------------------- */

/*
 * 1..10 increasing: every pair concordant, S = n(n-1)/2 = 45;
 * Var = n(n-1)(2n+5)/18 = 10*9*25/18 = 125; Z = (45-1)/sqrt125 = 3.935480;
 * p = 8.30307e-5; tau = 1. Reversed: S = -45, Z = -3.935480.
 */
TEST(mk_monotone) {
    double x[10];
    gs__mk_result r;
    for (int i = 0; i < 10; i++) x[i] = i + 1;
    REQUIRE(gs__mann_kendall(x, 10, &r) == GS_OK);
    CHECK(r.s == 45);
    CHECK_NEAR(r.var_s, 125, 1e-12);
    CHECK_NEAR(r.z, 44 / sqrt(125.0), 1e-12);
    CHECK_NEAR(r.p, 8.303070332644999e-05, 1e-15);
    CHECK_NEAR(r.tau, 1, 1e-15);
    for (int i = 0; i < 10; i++) x[i] = 10 - i;
    REQUIRE(gs__mann_kendall(x, 10, &r) == GS_OK);
    CHECK(r.s == -45);
    CHECK_NEAR(r.z, -44 / sqrt(125.0), 1e-12);
}

/*
 * 1 2 2 3 3 3 4 (n = 7), pairs by first element: 1 -> +6; 2 -> 0 +4;
 * 2 -> +4; 3 -> 0 0 +1; 3 -> 0 +1; 3 -> +1: S = 17.
 * Var = [7*6*19 - (2*1*9 + 3*2*11)] / 18 = (798 - 84)/18 = 39.6667;
 * Z = 16 / sqrt 39.6667 = 2.540429; p = 0.0110716.
 */
TEST(mk_ties) {
    const double x[7] = {1, 2, 2, 3, 3, 3, 4};
    gs__mk_result r;
    REQUIRE(gs__mann_kendall(x, 7, &r) == GS_OK);
    CHECK(r.s == 17);
    CHECK_NEAR(r.var_s, 714.0 / 18, 1e-12);
    CHECK_NEAR(r.z, 2.540429395319823, 1e-12);
    CHECK_NEAR(r.p, 0.011071644553191887, 1e-12);
}

/*
 * 5 1 4 2 3: 5 -> -4; 1 -> +3; 4 -> -2; 2 -> +1: S = -2;
 * Var = 5*4*15/18 = 16.6667; Z = (-2 + 1)/4.0825 = -0.244949; p = 0.806496:
 * no trend. All equal: S = 0, Var = 0, Z = 0, p = 1.
 */
TEST(mk_no_trend) {
    const double x[5] = {5, 1, 4, 2, 3}, flat[4] = {2, 2, 2, 2};
    gs__mk_result r;
    REQUIRE(gs__mann_kendall(x, 5, &r) == GS_OK);
    CHECK(r.s == -2);
    CHECK_NEAR(r.z, -1 / sqrt(50.0 / 3), 1e-12);
    CHECK_NEAR(r.p, 0.8064959405073401, 1e-12);
    REQUIRE(gs__mann_kendall(flat, 4, &r) == GS_OK);
    CHECK(r.s == 0 && r.var_s == 0 && r.z == 0 && r.p == 1);
    REQUIRE(gs__mann_kendall(x, 1, &r) == GS_OK);
    CHECK(r.p == 1);
    CHECK(gs__mann_kendall(x, 5, NULL) == GS_ERR_USAGE);
}

/* ---- emerging hot spots -------------------------------------------------- */

/* Classifies a 10-week history given as bins, with z rising (trend +1),
 * falling (-1) or flat (0). A rising z is 2.0, 2.2, ... 3.8: S = 45,
 * p = 8.3e-5 (mk_monotone); a falling one 3.8 ... 2.0, S = -45; the flat
 * one 3, 2.5, 3.1, 2.6, 3.0, 2.7, 2.9, 2.8, 3.05, 2.75 has S = 2,
 * Z = 0.0894, p = 0.93. */
static gs__ehsa_class classify(const signed char bins[10], int trend) {
    static const double flat[10] = {3,   2.5, 3.1, 2.6,  3.0,
                                    2.7, 2.9, 2.8, 3.05, 2.75};
    double z[10];
    gs__ehsa_result r;
    for (int i = 0; i < 10; i++)
        z[i] = trend > 0 ? 2.0 + 0.2 * i : 3.8 - 0.2 * i;
    if (trend == 0) memcpy(z, flat, sizeof z);
    if (gs__ehsa_classify(bins, z, 10, NULL, &r) != GS_OK)
        return GS__EHSA_COUNT;
    return r.cls;
}

/*
 * One 10-week history per class, weeks oldest first, bins written one
 * character a week: '0'..'3' for bins 0..3, 'a'..'c' for -1..-3. Each is
 * also run as its mirror image (every bin negated, the same z), which must
 * give the cold class; a cold spot intensifies as z falls (more negative)
 * and diminishes as it rises, so a rising z that makes an intensifying hot
 * spot makes a diminishing cold one.
 */
static const struct ehsa_case {
    const char *bins;
    int trend;
    gs__ehsa_class hot, cold;
    const char *why;
} ehsa_cases[] = {
    // clang-format off
    {"0000000002", 0, GS__EHSA_NEW_HOT, GS__EHSA_NEW_COLD,
     "only the final week is significant"},
    {"0000000122", 0, GS__EHSA_CONSECUTIVE_HOT, GS__EHSA_CONSECUTIVE_COLD,
     "one run of 3 ending at the final week, nothing before, 3/10 < 90 %"},
    {"1223323333", 1, GS__EHSA_INTENSIFYING_HOT, GS__EHSA_DIMINISHING_COLD,
     "10/10 >= 90 % incl. the final week, z rising significantly"},
    {"1223323333", 0, GS__EHSA_PERSISTENT_HOT, GS__EHSA_PERSISTENT_COLD,
     "10/10, no trend"},
    {"1223323333", -1, GS__EHSA_DIMINISHING_HOT, GS__EHSA_INTENSIFYING_COLD,
     "10/10, z falling significantly"},
    {"0102001002", 0, GS__EHSA_SPORADIC_HOT, GS__EHSA_SPORADIC_COLD,
     "final week significant, on and off before (4/10), never the other"},
    {"b0100a0002", 0, GS__EHSA_OSCILLATING_HOT, GS__EHSA_OSCILLATING_COLD,
     "final week significant, the other side in weeks 1 and 6, 2/10"},
    {"2222222220", 0, GS__EHSA_HISTORICAL_HOT, GS__EHSA_HISTORICAL_COLD,
     "9/10 = 90 %, but not the final week"},
    {"0000000000", 0, GS__EHSA_NO_PATTERN, GS__EHSA_NO_PATTERN,
     "never significant"},
    {"0102001000", 0, GS__EHSA_NO_PATTERN, GS__EHSA_NO_PATTERN,
     "on and off, quiet in the final week (Pro's sporadic needs it)"},
    // clang-format on
};

TEST(ehsa_classes) {
    for (size_t k = 0; k < sizeof ehsa_cases / sizeof *ehsa_cases; k++) {
        const struct ehsa_case *c = &ehsa_cases[k];
        signed char bins[10], neg[10];
        gs__ehsa_class hot, cold;
        for (int i = 0; i < 10; i++) {
            char ch = c->bins[i];
            bins[i] = (signed char)(ch >= 'a' ? -(ch - 'a' + 1) : ch - '0');
            neg[i] = (signed char)-bins[i];
        }
        hot = classify(bins, c->trend);
        cold = classify(neg, c->trend);
        if (hot != c->hot || cold != c->cold)
            printf("  %s: %s / %s\n", c->why, gs__ehsa_class_name(hot),
                   gs__ehsa_class_name(cold));
        CHECK(hot == c->hot);
        CHECK(cold == c->cold);
    }
}

TEST(ehsa_edges) {
    /* 8 weeks is enough; 90 % of 8 is 7.2, so 7 hot weeks are not. */
    const signed char seven[8] = {2, 2, 2, 2, 2, 2, 0, 2};
    const signed char eight[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    const double z[10] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    const signed char run1[10] = {0, 0, 0, 2, 0, 0, 0, 0, 0, 2};
    const signed char bad[8] = {4, 0, 0, 0, 0, 0, 0, 0};
    gs__ehsa_result r;
    gs__ehsa_opts o;
    REQUIRE(gs__ehsa_classify(seven, z, 8, NULL, &r) == GS_OK);
    CHECK(r.hot_weeks == 7);
    CHECK(r.cls == GS__EHSA_SPORADIC_HOT);
    REQUIRE(gs__ehsa_classify(eight, z, 8, NULL, &r) == GS_OK);
    CHECK(r.cls == GS__EHSA_PERSISTENT_HOT);
    /* Hot once before and once at the end: a run of 1 is not consecutive,
     * and not new either. */
    REQUIRE(gs__ehsa_classify(run1, z, 10, NULL, &r) == GS_OK);
    CHECK(r.cls == GS__EHSA_SPORADIC_HOT);
    /* Seven weeks is too short: no class is guessed. */
    REQUIRE(gs__ehsa_classify(eight, z, 7, NULL, &r) == GS_OK);
    CHECK(r.cls == GS__EHSA_INSUFFICIENT);
    CHECK_STR(gs__ehsa_class_name(r.cls), "insufficient_history");
    /* The minimum is configurable. */
    gs__ehsa_opts_default(&o);
    CHECK(o.min_weeks == 8);
    o.min_weeks = 4;
    REQUIRE(gs__ehsa_classify(eight, z, 7, &o, &r) == GS_OK);
    CHECK(r.cls == GS__EHSA_PERSISTENT_HOT);
    CHECK(gs__ehsa_classify(bad, z, 8, NULL, &r) == GS_ERR_USAGE);
    CHECK_STR(gs__ehsa_class_name(GS__EHSA_NEW_HOT), "new_hot_spot");
    CHECK_STR(gs__ehsa_class_name(GS__EHSA_HISTORICAL_COLD),
              "historical_cold_spot");
    CHECK_STR(gs__ehsa_class_name(GS__EHSA_NO_PATTERN), "no_pattern");
}

/* ---- DBSCAN -------------------------------------------------------------- */

/*
 * eps = 50, min_pts = 5 (counting the point itself).
 *  0: X (45, 2000), between clusters D and C: within 45 of D's core
 *     (90, 2000) and C's core (0, 2000), and of nothing else, so its
 *     neighbourhood is 3 points: a border point, visited first (noise
 *     for now) and claimed by D, the cluster numbered first.
 *  1: B1 (5, 55): 50 from A's (5, 5) (exactly eps: included), 45.3 from
 *     (0, 10) and (10, 10), 55.2 from (0, 0) and (10, 0): 4 points, border
 *     of A.
 *  2-6: D, the five points (90..110, 1990..2010) around (90, 2000) and
 *     (100, 2000): all within 22.4 of each other, all core -> cluster 0.
 *  7-11: A, (0,0) (10,0) (0,10) (10,10) (5,5): pairwise <= 14.2, core ->
 *     cluster 1.
 *  12: noise (500, 500).
 *  13-17: B, centre (1000, 0) with 4 points 40 away; the centre sees 5
 *     (exactly min_pts: core), each outer point sees itself and the centre
 *     only (the others are 56.6 or 80 away): border -> cluster 2.
 *  18-22: C, (0, 2000) (-10, 2000) (-20, 2000) (-10, 2010) (-10, 1990):
 *     within 22.4 -> cluster 3.
 */
static const double db_x[23] = {45,   5,    90, 100, 110, 100,  100,  0,
                                10,   0,    10, 5,   500, 1000, 1040, 960,
                                1000, 1000, 0,  -10, -20, -10,  -10};
static const double db_y[23] = {2000, 55,  2000, 2000, 2000, 2010, 1990, 0,
                                0,    10,  10,   5,    500,  0,    0,    0,
                                40,   -40, 2000, 2000, 2000, 2010, 1990};
static const long db_want[23] = {0,  1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,
                                 -1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3};

TEST(dbscan_known_answer) {
    long label[23];
    unsigned char core[23];
    size_t nc = 0;
    REQUIRE(gs__dbscan(db_x, db_y, 23, 50, 5, label, core, &nc) == GS_OK);
    CHECK(nc == 4);
    for (int i = 0; i < 23; i++) {
        if (label[i] != db_want[i])
            printf("  point %d: label %ld, want %ld\n", i, label[i],
                   db_want[i]);
        CHECK(label[i] == db_want[i]);
    }
    CHECK(core[0] == 0 && core[1] == 0 && core[12] == 0);
    CHECK(core[13] == 1 && core[14] == 0 && core[17] == 0);
    CHECK(core[7] == 1 && core[11] == 1);
}

TEST(dbscan_threshold_exact) {
    long label[17];
    size_t nc = 0;
    /* Points 0..16 only: D, A, the noise point, and B without its last
     * outer point, so B's centre sees 4 < 5 points and B is all noise. */
    REQUIRE(gs__dbscan(db_x, db_y, 17, 50, 5, label, NULL, &nc) == GS_OK);
    CHECK(nc == 2);
    for (int i = 13; i < 17; i++) CHECK(label[i] == -1);
    /* Point 0 no longer has C to choose from but still joins D. */
    CHECK(label[0] == 0);
    /* With min_pts 4 the reduced B is a cluster again. */
    REQUIRE(gs__dbscan(db_x, db_y, 17, 50, 4, label, NULL, &nc) == GS_OK);
    CHECK(label[13] == 2 && label[16] == 2);
}

/* Large Gauss-Kruger coordinates (zone prefix 39, 3,500 km north) give the
 * same labels: the grid works relative to the points' extent. */
TEST(dbscan_large_coordinates) {
    double x[23], y[23];
    long label[23];
    size_t nc = 0;
    for (int i = 0; i < 23; i++) {
        x[i] = db_x[i] + 39500000.0;
        y[i] = db_y[i] + 3500000.0;
    }
    REQUIRE(gs__dbscan(x, y, 23, 50, 5, label, NULL, &nc) == GS_OK);
    CHECK(nc == 4);
    for (int i = 0; i < 23; i++) CHECK(label[i] == db_want[i]);
}

/* The textbook O(n^2) DBSCAN with the same visiting order. */
static size_t naive_dbscan(const double *x, const double *y, size_t n,
                           double eps, size_t min_pts, long *label) {
    size_t nc = 0, *queue = malloc(n * sizeof *queue);
    for (size_t i = 0; i < n; i++) label[i] = -2;
    for (size_t i = 0; i < n; i++) {
        size_t cnt = 0, head = 0, tail = 0;
        if (label[i] != -2) continue;
        for (size_t j = 0; j < n; j++)
            if (hypot(x[j] - x[i], y[j] - y[i]) <= eps) cnt++;
        if (cnt < min_pts) {
            label[i] = -1;
            continue;
        }
        label[i] = (long)nc;
        queue[tail++] = i;
        while (head < tail) {
            size_t p = queue[head++], c2 = 0;
            for (size_t j = 0; j < n; j++)
                if (hypot(x[j] - x[p], y[j] - y[p]) <= eps) c2++;
            if (c2 < min_pts) continue;
            for (size_t j = 0; j < n; j++) {
                if (hypot(x[j] - x[p], y[j] - y[p]) > eps) continue;
                if (label[j] == -2) queue[tail++] = j;
                if (label[j] < 0) label[j] = (long)nc;
            }
        }
        nc++;
    }
    free(queue);
    return nc;
}

TEST(dbscan_matches_naive) {
    enum { N = 600 };
    static double x[N], y[N];
    static long got[N], want[N];
    size_t nc = 0, wc;
    /* Clumps of events around 12 spots plus scattered noise over 2 km. */
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0) {
            x[i] = rnd() * 2000;
            y[i] = rnd() * 2000;
        } else {
            int s = i % 12;
            x[i] = 150 * s + rnd() * 120;
            y[i] = 160 * (s % 5) + rnd() * 120;
        }
    }
    REQUIRE(gs__dbscan(x, y, N, 50, 5, got, NULL, &nc) == GS_OK);
    wc = naive_dbscan(x, y, N, 50, 5, want);
    CHECK(nc == wc);
    CHECK(nc > 3);
    for (int i = 0; i < N; i++) CHECK(got[i] == want[i]);
}

/* The textbook algorithm with the engine's comparison of squared
 * distances, for checks on points exactly eps apart. */
static size_t naive_dbscan2(const double *x, const double *y, size_t n,
                            double eps, size_t min_pts, long *label,
                            unsigned char *core) {
    size_t nc = 0, *queue = malloc(n * sizeof *queue);
    double e2 = eps * eps;
#define NEAR(a, b) \
    ((x[b] - x[a]) * (x[b] - x[a]) + (y[b] - y[a]) * (y[b] - y[a]) <= e2)
    for (size_t i = 0; i < n; i++) label[i] = -2, core[i] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cnt = 0, head = 0, tail = 0;
        if (label[i] != -2) continue;
        for (size_t j = 0; j < n; j++) cnt += NEAR(i, j);
        if (cnt < min_pts) {
            label[i] = -1;
            continue;
        }
        label[i] = (long)nc;
        queue[tail++] = i;
        while (head < tail) {
            size_t p = queue[head++], c2 = 0;
            for (size_t j = 0; j < n; j++) c2 += NEAR(p, j);
            if (c2 < min_pts) continue;
            core[p] = 1;
            for (size_t j = 0; j < n; j++) {
                if (!NEAR(p, j)) continue;
                if (label[j] == -2) queue[tail++] = j;
                if (label[j] < 0) label[j] = (long)nc;
            }
        }
        nc++;
    }
#undef NEAR
    free(queue);
    return nc;
}

/* Shapes the cell grid and the k-d trees could get wrong: stacks of
 * identical points, lattices exactly eps apart (on the boundary of every
 * neighbourhood), dense blobs next to sparse chains, minimum sizes from 1
 * to far above a cell's count, far from the origin. Labels and core flags
 * must equal the textbook algorithm's, point by point. */
TEST(dbscan_matches_naive_on_hard_shapes) {
    enum { N = 1500 };
    static double x[N], y[N];
    static long got[N], want[N];
    static unsigned char gcore[N], wcore[N];
    static const size_t mins[] = {1, 2, 3, 5, 12, 40, 400};
    int bad = 0;
    for (int shape = 0; shape < 4; shape++) {
        for (int i = 0; i < N; i++) {
            double off = shape == 3 ? 39500000.0 : 0;
            switch (shape) {
                case 0: /* stacks of 1..60 identical points and noise */
                    x[i] = (double)(i % 25) * 37.0 + (i % 7 == 0 ? rnd() : 0);
                    y[i] = (double)(i % 9) * 41.0;
                    break;
                case 1: /* a lattice exactly eps = 50 apart, and its nodes */
                    x[i] = (double)(i % 40) * 50.0;
                    y[i] = (double)(i / 40 % 20) * 50.0;
                    if (i % 11 == 0) x[i] += 50.0 / 3.0;
                    break;
                case 2: /* a dense blob, a sparse chain leading away */
                    if (i < N / 2) {
                        x[i] = 1000 + rnd() * 30;
                        y[i] = 1000 + rnd() * 30;
                    } else {
                        x[i] = 1030 + (double)(i - N / 2) * 9.7;
                        y[i] = 1000 + rnd() * 60;
                    }
                    break;
                default: /* scattered clumps, far from the origin */
                    x[i] = off + 150 * (i % 13) + rnd() * 90;
                    y[i] = 3500000.0 + 170 * (i % 6) + rnd() * 90;
            }
        }
        for (size_t k = 0; k < sizeof mins / sizeof mins[0]; k++) {
            size_t nc = 0, wc;
            REQUIRE(gs__dbscan(x, y, N, 50, mins[k], got, gcore, &nc) == GS_OK);
            wc = naive_dbscan2(x, y, N, 50, mins[k], want, wcore);
            if (nc != wc) {
                printf("  shape %d, min %zu: %zu clusters, want %zu\n", shape,
                       mins[k], nc, wc);
                bad = 1;
            }
            for (int i = 0; i < N && !bad; i++)
                if (got[i] != want[i] || gcore[i] != wcore[i]) {
                    printf(
                        "  shape %d, min %zu, point %d: label %ld core %d, "
                        "want %ld core %d\n",
                        shape, mins[k], i, got[i], gcore[i], want[i], wcore[i]);
                    bad = 1;
                }
        }
    }
    CHECK(!bad);
}

/* A dense week: 400,000 events within 60 m of one place and 100,000
 * spread over 5 km. Listing neighbourhoods costs 400,000 x 400,000 (the
 * old algorithm took minutes); now each point costs a few tree steps. The
 * check is the growth, not a time: four times the events must cost less
 * than ten times the CPU (n log n gives about 4.5, quadratic 16), so a
 * slow or busy machine, or valgrind, cannot fail it. */
static double dbscan_cpu(const double *x, const double *y, int n, long *label,
                         unsigned char *core, size_t *nc) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    CHECK(gs__dbscan(x, y, (size_t)n, 50, 5, label, core, nc) == GS_OK);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
}

TEST(dbscan_dense_is_not_quadratic) {
    enum { N = 500000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    long *label = malloc(N * sizeof *label);
    unsigned char *core = malloc(N);
    size_t nc = 0;
    double small, big;
    REQUIRE(x && y && label && core);
    for (int i = 0; i < N; i++) {
        double r = i % 5 ? 60 * rnd() : 5000 * rnd(), t = 6.283185307 * rnd();
        x[i] = 500000 + r * cos(t);
        y[i] = 4400000 + r * sin(t);
    }
    small = dbscan_cpu(x, y, N / 4, label, core, &nc);
    big = dbscan_cpu(x, y, N, label, core, &nc);
    printf(
        "  %d points, %zu clusters in %.2f CPU s; a quarter of them in "
        "%.2f s\n",
        N, nc, big, small);
    CHECK(big < 10 * small + 0.05);
    CHECK(label[5] == 0 && core[5]); /* in the dense place */
    free(x);
    free(y);
    free(label);
    free(core);
}

TEST(dbscan_bad_input) {
    double x[2] = {0, NAN}, y[2] = {0, 0};
    long label[2];
    size_t nc;
    CHECK(gs__dbscan(x, y, 2, 50, 5, label, NULL, &nc) == GS_ERR_INPUT_VALUE);
    x[1] = 1;
    CHECK(gs__dbscan(x, y, 2, 0, 5, label, NULL, &nc) == GS_ERR_USAGE);
    CHECK(gs__dbscan(x, y, 2, 50, 0, label, NULL, &nc) == GS_ERR_USAGE);
    x[1] = 1e12; /* 2e10 cells of 50 m across */
    CHECK(gs__dbscan(x, y, 2, 50, 5, label, NULL, &nc) == GS_ERR_USAGE);
    REQUIRE(gs__dbscan(NULL, NULL, 0, 50, 5, NULL, NULL, &nc) == GS_OK);
    CHECK(nc == 0);
}

/* ---- kernel density ------------------------------------------------------ */

/*
 * One point at the centre of cell (row 5, col 5) of a 11 x 11 raster of 10 m
 * cells with top-left corner (0, 110): centre (55, 55). h = 30.
 * At d = 0: K = 3/(pi 900) = 0.00106103 per m^2.
 * Cell (5, 6), d = 10: K = 3/(pi 900) (1 - 100/900)^2 = 0.00106103 x 0.790123.
 * Cell (5, 8), d = 30 = h: 0 (only d < h counts).
 */
TEST(kde_single_point) {
    gs__raster g = {0, 110, 10, 11, 11};
    double d[121], x = 55, y = 55, peak = 3 / (3.14159265358979323846 * 900);
    REQUIRE(gs__kde_quartic(&x, &y, NULL, 1, 30, &g, d) == GS_OK);
    CHECK_NEAR(d[5 * 11 + 5], peak, 1e-15);
    CHECK_NEAR(d[5 * 11 + 6], peak * (8.0 / 9) * (8.0 / 9), 1e-15);
    CHECK_NEAR(d[4 * 11 + 5], peak * (8.0 / 9) * (8.0 / 9), 1e-15);
    CHECK(d[5 * 11 + 8] == 0);
    CHECK(d[0] == 0);
    /* A weight of 2.5 scales the surface. */
    {
        double w = 2.5;
        REQUIRE(gs__kde_quartic(&x, &y, &w, 1, 30, &g, d) == GS_OK);
        CHECK_NEAR(d[5 * 11 + 5], 2.5 * peak, 1e-15);
    }
}

/* The surface integrates to the number of points (sum of weights): sum of
 * density x cell area over a fine raster covering every kernel, within 1 %.
 * Rows count from the north, so an asymmetric layout also checks that the
 * surface is not flipped. */
TEST(kde_integral) {
    enum { NX = 300, NY = 240 };
    static double d[NX * NY];
    const double x[5] = {100, 130, 400, 410, 250};
    const double y[5] = {300, 320, 120, 80, 200};
    const double w[5] = {1, 2, 1, 0.5, 3};
    gs__raster g = {0, 480, 2, NX, NY}; /* 600 m x 480 m, 2 m cells */
    double total = 0;
    REQUIRE(gs__kde_quartic(x, y, NULL, 5, 60, &g, d) == GS_OK);
    for (size_t i = 0; i < (size_t)NX * NY; i++) total += d[i] * 4;
    CHECK(fabs(total - 5) / 5 < 0.01);
    REQUIRE(gs__kde_quartic(x, y, w, 5, 60, &g, d) == GS_OK);
    total = 0;
    for (size_t i = 0; i < (size_t)NX * NY; i++) total += d[i] * 4;
    CHECK(fabs(total - 7.5) / 7.5 < 0.01);
    /* The point (100, 300) lies in row (480 - 300)/2 = 90, col 50; the
     * density there exceeds the one at its mirror row 240 - 1 - 90. */
    CHECK(d[90 * NX + 50] > 0);
    CHECK(d[90 * NX + 50] > d[(NY - 1 - 90) * NX + 50]);
}

TEST(kde_bad_input) {
    gs__raster g = {0, 10, 1, 10, 10}, empty = {0, 10, 1, 0, 10};
    double d[100], x = 1, y = NAN;
    CHECK(gs__kde_quartic(&x, &y, NULL, 1, 5, &g, d) == GS_ERR_INPUT_VALUE);
    y = 1;
    CHECK(gs__kde_quartic(&x, &y, NULL, 1, 0, &g, d) == GS_ERR_USAGE);
    CHECK(gs__kde_quartic(&x, &y, NULL, 1, 5, &empty, d) == GS_ERR_USAGE);
    /* A point far outside leaves the raster at zero. */
    x = -1000;
    REQUIRE(gs__kde_quartic(&x, &y, NULL, 1, 5, &g, d) == GS_OK);
    for (int i = 0; i < 100; i++) CHECK(d[i] == 0);
}

/*
 * Five points (0,0) (3,0) (-3,0) (0,4) (0,-4): mean centre (0,0), distances
 * 0 3 3 4 4, median Dm = 3, SD = sqrt((0+9+9+16+16)/5) = sqrt 10 = 3.162278;
 * sqrt(1/ln 2) Dm = 1.201122 x 3 = 3.603367; min = 3.162278;
 * h = 0.9 x 3.162278 x 5^-0.2 (0.724780) = 2.062759.
 *
 * Outliers: (1,0) (-1,0) (0,1) (0,-1) (100,0) (-100,0): mean (0,0),
 * distances 1 1 1 1 100 100, median (1+1)/2 = 1, SD = sqrt(20004/6) = 57.74;
 * min(57.74, 1.201122) = 1.201122; h = 0.9 x 1.201122 x 6^-0.2 (0.698827)
 * = 0.755439: the median keeps the far points from inflating h.
 */
TEST(kde_bandwidth_rule) {
    const double x[5] = {0, 3, -3, 0, 0}, y[5] = {0, 0, 0, 4, -4};
    const double ox[6] = {1, -1, 0, 0, 100, -100}, oy[6] = {0, 0, 1, -1, 0, 0};
    double h, sd, dm, w[5] = {2, 2, 2, 2, 2}, x2[10], y2[10], h2;
    REQUIRE(gs__kde_bandwidth(x, y, NULL, 5, &h, &sd, &dm) == GS_OK);
    CHECK_NEAR(sd, sqrt(10.0), 1e-12);
    CHECK_NEAR(dm, 3, 1e-12);
    CHECK_NEAR(h, 2.062759085093095, 1e-12);
    REQUIRE(gs__kde_bandwidth(ox, oy, NULL, 6, &h, &sd, &dm) == GS_OK);
    CHECK_NEAR(dm, 1, 1e-12);
    CHECK_NEAR(h, 0.7554392210017923, 1e-12);
    /* Weight 2 on each point is the same as each point twice (n = 10). */
    for (int i = 0; i < 10; i++) {
        x2[i] = x[i % 5];
        y2[i] = y[i % 5];
    }
    REQUIRE(gs__kde_bandwidth(x, y, w, 5, &h, NULL, NULL) == GS_OK);
    REQUIRE(gs__kde_bandwidth(x2, y2, NULL, 10, &h2, NULL, NULL) == GS_OK);
    CHECK_NEAR(h, h2, 1e-12);
    CHECK_NEAR(h, 0.9 * sqrt(10.0) * pow(10, -0.2), 1e-12);
    /* One point, or none, has no bandwidth. */
    CHECK(gs__kde_bandwidth(x, y, NULL, 1, &h, NULL, NULL) ==
          GS_ERR_INPUT_VALUE);
    CHECK(h == 0);
    CHECK(gs__kde_bandwidth(x, y, NULL, 0, &h, NULL, NULL) ==
          GS_ERR_INPUT_EMPTY);
}

/*
 * A flower: hex (0, 0) and its six neighbours, listed ring first. The centre
 * has 6 neighbours, each petal 3 (the centre and the two petals beside it).
 * Gi* with the centre 7 and the petals 0: n = 7, Xbar = 1, sum x^2 = 49,
 * S = sqrt(49/7 - 1) = sqrt 6. The centre has W = 7 = n: z = 0. A petal:
 * W = 4, sum = 7, z = (7 - 4) / (sqrt6 sqrt((28 - 16)/6)) = 3 / sqrt 12
 * = 0.866025.
 */
TEST(gistar_on_a_hex_flower) {
    gs__hex hexes[7], ring[6];
    size_t *start = NULL, *nbr = NULL;
    double x[7] = {0, 0, 0, 0, 0, 0, 7}, z[7], p[7];
    gs__hex_neighbors((gs__hex){0, 0}, ring);
    for (int k = 0; k < 6; k++) hexes[k] = ring[k];
    hexes[6] = (gs__hex){0, 0};
    REQUIRE(gs__hex_adjacency(hexes, 7, &start, &nbr) == GS_OK);
    REQUIRE(gs__gistar(x, 7, start, nbr, z, p, NULL) == GS_OK);
    CHECK_NEAR(z[6], 0, 0);
    for (int k = 0; k < 6; k++) CHECK_NEAR(z[k], 3 / sqrt(12.0), 1e-12);
    free(start);
    free(nbr);
}

int main(void) {
    RUN(gistar_on_a_hex_flower);
    RUN(gistar_rook_3x3);
    RUN(gistar_queen_3x3);
    RUN(gistar_matches_dense_formula);
    RUN(gistar_degenerate);
    RUN(gistar_bad_input);
    RUN(bh_textbook_example);
    RUN(bh_bad_input);
    RUN(gi_bins_per_level_fdr);
    RUN(mk_monotone);
    RUN(mk_ties);
    RUN(mk_no_trend);
    RUN(ehsa_classes);
    RUN(ehsa_edges);
    RUN(dbscan_known_answer);
    RUN(dbscan_threshold_exact);
    RUN(dbscan_large_coordinates);
    RUN(dbscan_matches_naive);
    RUN(dbscan_matches_naive_on_hard_shapes);
    RUN(dbscan_dense_is_not_quadratic);
    RUN(dbscan_bad_input);
    RUN(kde_single_point);
    RUN(kde_integral);
    RUN(kde_bad_input);
    RUN(kde_bandwidth_rule);
    return HARNESS_END();
}
