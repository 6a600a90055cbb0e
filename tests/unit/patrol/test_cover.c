/*
 * test_cover.c - the coverage cells (cover.c): the union of discs and the
 * distance transform mark the same cells, and both the cells a brute-force
 * search finds (every cell against every source cell).
 *
 * Rasters are random: sparse scattered sources, random walks (what a
 * patrol track rasterises into), full rows and columns, none at all, and
 * sources on the raster's edges; radii whole, fractional (15 m on 0.7 m
 * cells), below one cell and at the dilation's limit.
 */
#include <stdlib.h>
#include <string.h>

#include "cover.h"
#include "harness.h"

static unsigned long long rng = 88172645463325252ULL;

static unsigned next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* The cells within sqrt(lim2) of a source, by trying every pair. */
static void brute(const unsigned char *src, int nx, int ny, float lim2,
                  unsigned char *cov) {
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            int hit = 0;
            for (int q = 0; q < ny && !hit; q++)
                for (int p = 0; p < nx && !hit; p++)
                    if (src[(size_t)q * nx + p] &&
                        (float)((double)(i - p) * (i - p) +
                                (double)(j - q) * (j - q)) <= lim2)
                        hit = 1;
            cov[(size_t)j * nx + i] = (unsigned char)hit;
        }
}

/* Adds a random walk of `steps` cells to src. */
static void walk(unsigned char *src, int nx, int ny, int steps) {
    int i = (int)(next() % nx), j = (int)(next() % ny);
    for (int k = 0; k < steps; k++) {
        src[(size_t)j * nx + i] = 1;
        switch (next() % 4) {
            case 0: i = i + 1 < nx ? i + 1 : i; break;
            case 1: i = i > 0 ? i - 1 : i; break;
            case 2: j = j + 1 < ny ? j + 1 : j; break;
            default: j = j > 0 ? j - 1 : j; break;
        }
    }
}

/* Sources of one of the shapes above into src. */
static void sources(unsigned char *src, int nx, int ny, int kind) {
    memset(src, 0, (size_t)nx * ny);
    if (kind == 0) { /* scattered */
        int n = 1 + (int)(next() % 12);
        for (int k = 0; k < n; k++)
            src[(size_t)(next() % ny) * nx + next() % nx] = 1;
    } else if (kind == 1) { /* a random walk */
        walk(src, nx, ny, (int)(next() % (nx * 3)) + 1);
    } else if (kind == 2) { /* a full row and a full column */
        int r = (int)(next() % ny), c = (int)(next() % nx);
        for (int i = 0; i < nx; i++) src[(size_t)r * nx + i] = 1;
        for (int j = 0; j < ny; j++) src[(size_t)j * nx + c] = 1;
    } else if (kind == 3) { /* the four corners */
        src[0] = src[nx - 1] = 1;
        src[(size_t)(ny - 1) * nx] = src[(size_t)ny * nx - 1] = 1;
    } /* kind 4: none */
}

TEST(dilation_and_transform_match_brute_force) {
    const float lims[] = {0.5f,  1.0f,   2.0f, 225.0f, 459.18f /* 15 / 0.7 */,
                          17.3f, 4225.0f /* 65^2: the limit */};
    gs__cover_buf b;
    int cases = 0, bad = 0;
    memset(&b, 0, sizeof b);
    for (int round = 0; round < 60; round++) {
        int nx = 1 + (int)(next() % 70), ny = 1 + (int)(next() % 70);
        size_t n = (size_t)nx * ny;
        unsigned char *src = malloc(n), *a = malloc(n), *e = malloc(n),
                      *want = malloc(n);
        REQUIRE(src && a && e && want);
        for (size_t l = 0; l < sizeof lims / sizeof lims[0]; l++) {
            float lim2 = lims[l];
            sources(src, nx, ny, round % 5);
            brute(src, nx, ny, lim2, want);
            REQUIRE(gs__cover_edt(&b, src, nx, ny, lim2, e) == GS_OK);
            if (lim2 < (float)((DILATE_MAX_CELLS + 1) * (DILATE_MAX_CELLS + 1)))
                REQUIRE(gs__cover_dilate(&b, src, nx, ny, lim2, a) == GS_OK);
            else
                memcpy(a, want, n);
            cases++;
            if (memcmp(e, want, n) != 0 || memcmp(a, want, n) != 0) {
                if (bad++ < 5)
                    printf("  %dx%d, lim2 %g, sources kind %d: %s differs\n",
                           nx, ny, (double)lim2, round % 5,
                           memcmp(a, want, n) ? "dilation" : "transform");
            }
        }
        free(src);
        free(a);
        free(e);
        free(want);
    }
    gs__cover_buf_free(&b);
    CHECK(bad == 0);
    CHECK(cases == 60 * 7);
}

/* A patrol-sized raster (300 x 400 cells, a long random walk): the two
 * methods agree cell for cell where brute force would be too slow. */
TEST(large_raster_dilation_matches_transform) {
    int nx = 300, ny = 400;
    size_t n = (size_t)nx * ny;
    unsigned char *src = malloc(n), *a = malloc(n), *e = malloc(n);
    gs__cover_buf b;
    long covered = 0;
    memset(&b, 0, sizeof b);
    REQUIRE(src && a && e);
    memset(src, 0, n);
    for (int k = 0; k < 20; k++) walk(src, nx, ny, 2000);
    REQUIRE(gs__cover_dilate(&b, src, nx, ny, 225.0f, a) == GS_OK);
    REQUIRE(gs__cover_edt(&b, src, nx, ny, 225.0f, e) == GS_OK);
    CHECK(memcmp(a, e, n) == 0);
    for (size_t k = 0; k < n; k++) covered += a[k];
    CHECK(covered > 0);
    gs__cover_buf_free(&b);
    free(src);
    free(a);
    free(e);
}

int main(void) {
    RUN(dilation_and_transform_match_brute_force);
    RUN(large_raster_dilation_matches_transform);
    return HARNESS_END();
}
