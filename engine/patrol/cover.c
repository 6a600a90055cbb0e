/*
 * cover.c - the raster cells within the coverage distance of a member's
 * credited segments, for patrol's coverage_pct (docs/design.md, "Patrol
 * time", step 5): by a union of discs (gs__cover_dilate) up to
 * DILATE_MAX_CELLS cells, by the exact Euclidean distance transform
 * (gs__cover_edt) beyond; tests/unit/patrol/test_cover.c checks that the
 * two give the same cells.
 */
#define _POSIX_C_SOURCE 200809L
#include "cover.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1D squared distance transform (Felzenszwalb & Huttenlocher 2004): d[q]
 * = min_p (q - p)^2 + f[p]. Unreached cells hold EDT_INF. */
#define EDT_INF 1e20
static void edt_1d(const float *f, int n, float *d, int *v, double *z) {
    int k = 0;
    v[0] = 0;
    z[0] = -HUGE_VAL;
    z[1] = HUGE_VAL;
    for (int q = 1; q < n; q++) {
        double s;
        for (;;) {
            int p = v[k];
            s = (((double)f[q] + (double)q * q) -
                 ((double)f[p] + (double)p * p)) /
                (2.0 * (q - p));
            if (s > z[k] || k == 0) break;
            k--;
        }
        if (s <= z[k]) {
            /* k == 0 and the new parabola wins everywhere. */
            v[0] = q;
            z[0] = -HUGE_VAL;
            z[1] = HUGE_VAL;
            continue;
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = HUGE_VAL;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < (double)q) k++;
        d[q] = (float)(((double)q - v[k]) * ((double)q - v[k]) + f[v[k]]);
    }
}

void gs__cover_buf_free(gs__cover_buf *b) {
    free(b->f);
    free(b->src);
    free(b->inside);
    free(b->cov);
    free(b->d);
    free(b->col);
    free(b->zz);
    free(b->vv);
    free(b->runs);
    free(b->rstart);
    free(b->hit);
    free(b->hcell);
    free(b->hstart);
    free(b->hidx);
    memset(b, 0, sizeof *b);
}

int gs__grow(void *pp, size_t *have, size_t n, size_t size) {
    void **p = pp;
    void *nv;
    if (n <= *have && *p) return GS_OK;
    nv = gs__malloc((n ? n : 1) * size);
    if (!nv) return GS_ERR_NOMEM;
    free(*p);
    *p = nv;
    *have = n;
    return GS_OK;
}

/* Marks cov[] (nx by ny, row-major) 1 where a cell's centre lies within
 * sqrt(lim2) cells of the centre of a source cell (src[] != 0), else 0:
 * the same set as the exact Euclidean distance transform's cells with
 * squared distance <= lim2, computed as the union of discs. Each row of
 * sources is cut into runs of consecutive source cells; a run [a, b] of
 * row j covers, in row j + dy, the cells a - w(dy) .. b + w(dy), where
 * w(dy) is the largest w with w^2 + dy^2 <= lim2. Squared distances up to
 * DILATE_MAX_CELLS^2 are small integers, exact in float and double, so the
 * test is the transform's own, cell for cell. O(cells + runs x radius). */
int gs__cover_dilate(gs__cover_buf *b, const unsigned char *src, int nx, int ny,
                     float lim2, unsigned char *cov) {
    int r = 0, w[DILATE_MAX_CELLS + 1];
    size_t nr = 0;
    while (r + 1 <= DILATE_MAX_CELLS &&
           (float)((double)(r + 1) * (r + 1)) <= lim2)
        r++;
    for (int dy = 0; dy <= r; dy++) {
        int x = 0;
        while ((float)((double)(x + 1) * (x + 1) + (double)dy * dy) <= lim2)
            x++;
        w[dy] = x;
    }
    if (gs__grow(&b->rstart, &b->n_rows, (size_t)ny + 1, sizeof *b->rstart))
        return GS_ERR_NOMEM;
    /* Runs of each row. */
    for (int pass = 0; pass < 2; pass++) {
        nr = 0;
        for (int j = 0; j < ny; j++) {
            const unsigned char *row = src + (size_t)j * (size_t)nx;
            int i = 0;
            if (pass == 0) b->rstart[j] = nr;
            for (;;) {
                const unsigned char *p;
                int a;
                p = memchr(row + i, 1, (size_t)(nx - i));
                if (!p) break;
                a = (int)(p - row);
                i = a;
                while (i < nx && row[i]) i++;
                if (pass == 1) {
                    b->runs[2 * nr] = a;
                    b->runs[2 * nr + 1] = i - 1;
                }
                nr++;
                if (i >= nx) break;
            }
        }
        if (pass == 0) {
            b->rstart[ny] = nr;
            if (gs__grow(&b->runs, &b->n_runs, 2 * nr, sizeof *b->runs))
                return GS_ERR_NOMEM;
        }
    }
    memset(cov, 0, (size_t)nx * (size_t)ny);
    for (int j = 0; j < ny; j++) {
        unsigned char *out = cov + (size_t)j * (size_t)nx;
        int j0 = j - r < 0 ? 0 : j - r, j1 = j + r >= ny ? ny - 1 : j + r;
        for (int js = j0; js <= j1; js++) {
            int ww = w[js > j ? js - j : j - js];
            for (size_t q = b->rstart[js]; q < b->rstart[js + 1]; q++) {
                int lo = b->runs[2 * q] - ww, hi = b->runs[2 * q + 1] + ww;
                if (lo < 0) lo = 0;
                if (hi >= nx) hi = nx - 1;
                memset(out + lo, 1, (size_t)(hi - lo + 1));
            }
        }
    }
    return GS_OK;
}

/* The same set through the exact Euclidean distance transform (any
 * radius): f[] holds 0 at source cells and EDT_INF elsewhere on entry. */
int gs__cover_edt(gs__cover_buf *b, const unsigned char *src, int nx, int ny,
                  float lim2, unsigned char *cov) {
    size_t ncells = (size_t)nx * (size_t)ny;
    float *f, *d, *col;
    double *zz;
    int *vv;
    size_t m = (size_t)(nx > ny ? nx : ny);
    if (gs__grow(&b->d, &b->n_d, m, sizeof *b->d) ||
        gs__grow(&b->col, &b->n_col, m, sizeof *b->col) ||
        gs__grow(&b->zz, &b->n_zz, m + 1, sizeof *b->zz) ||
        gs__grow(&b->vv, &b->n_vv, m, sizeof *b->vv))
        return GS_ERR_NOMEM;
    if (gs__grow(&b->f, &b->n_f, ncells, sizeof *b->f)) return GS_ERR_NOMEM;
    f = b->f;
    for (size_t k = 0; k < ncells; k++) f[k] = src[k] ? 0 : (float)EDT_INF;
    d = b->d;
    col = b->col;
    zz = b->zz;
    vv = b->vv;
    /* Columns, then rows; a line with no source stays unreached. */
    for (int i = 0; i < nx; i++) {
        int any = 0;
        for (int j = 0; j < ny; j++) {
            col[j] = f[(size_t)j * (size_t)nx + (size_t)i];
            any |= col[j] == 0;
        }
        if (!any) continue;
        edt_1d(col, ny, d, vv, zz);
        for (int j = 0; j < ny; j++)
            f[(size_t)j * (size_t)nx + (size_t)i] = d[j];
    }
    for (int j = 0; j < ny; j++) {
        float *row = f + (size_t)j * (size_t)nx;
        int any = 0;
        for (int i = 0; i < nx && !any; i++) any = row[i] < (float)EDT_INF;
        if (!any) continue;
        memcpy(col, row, (size_t)nx * sizeof *col);
        edt_1d(col, nx, row, vv, zz);
    }
    for (size_t k = 0; k < ncells; k++) cov[k] = f[k] <= lim2;
    return GS_OK;
}
