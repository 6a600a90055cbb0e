/*
 * cover.h - the raster cells within the coverage distance of a member's
 * credited segments (cover.c), for patrol.c.
 */
#ifndef GS_COVER_H
#define GS_COVER_H

#include <stddef.h>

#include "ctx.h"

/* A worker's buffers for the coverage of one entry-week, kept from one
 * entry-week to the next: a member's raster is about 100,000 cells, and
 * fresh pages for each of thousands of rasters cost more than the
 * coverage itself. */
typedef struct gs__cover_buf {
    float *f;
    unsigned char *src, *inside, *cov;
    float *d, *col;
    double *zz;
    int *vv;
    int *runs;      /* the runs of source cells, as pairs, row by row */
    size_t *rstart; /* row j's runs: runs[2 * rstart[j] .. 2 * rstart[j+1]) */
    size_t n_f, n_src, n_inside, n_cov, n_d, n_col, n_zz, n_vv, n_runs, n_rows;
    /* reach: the grid's households, indexed by cell, and which are hit */
    unsigned char *hit;
    size_t *hcell, *hstart, *hidx;
    size_t n_hit, n_hcell, n_hstart, n_hidx;
} gs__cover_buf;

void gs__cover_buf_free(gs__cover_buf *b);

/* Grows *pp (a pointer to a buffer) to hold n items of `size` bytes, its
 * contents not kept; *have is its capacity in items. GS_ERR_NOMEM. */
int gs__grow(void *pp, size_t *have, size_t n, size_t size);

/* The largest coverage radius, in cells, that the dilation below handles;
 * beyond it the distance transform is used (see cover_dilate). */
#define DILATE_MAX_CELLS 64

/* cov[k] = 1 for the cells k of an nx by ny raster (row-major) whose
 * centre lies within sqrt(lim2) cells of the centre of a source cell
 * (src[k] == 1), else 0. gs__cover_dilate needs lim2 <
 * (DILATE_MAX_CELLS + 1)^2; gs__cover_edt takes any. Both give the same
 * cells. GS_ERR_NOMEM. */
int gs__cover_dilate(gs__cover_buf *b, const unsigned char *src, int nx, int ny,
                     float lim2, unsigned char *cov);
int gs__cover_edt(gs__cover_buf *b, const unsigned char *src, int nx, int ny,
                  float lim2, unsigned char *cov);

#endif /* GS_COVER_H */
