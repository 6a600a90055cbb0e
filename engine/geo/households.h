/*
 * households.h - the grid of each household (households.c).
 */
#ifndef GS_HOUSEHOLDS_H
#define GS_HOUSEHOLDS_H

#include "model.h"

/* Assigns each household to the grid with the lowest code among those whose
 * closed polygon covers it (ties by input order), or -1: out[k] for
 * household k. `threads` workers, each with its own GEOS handle. */
int gs__assign_households(gs_ctx *ctx, const gs__model *m, int threads,
                          long *out);

/* The same rule for n points that are not the model's households (events,
 * a building's households at their mean point): out[k] is the grid of
 * (x[k], y[k]), metric, or -1. Only the model's grids are read. Errors as
 * gs__assign_households. */
int gs__assign_points(gs_ctx *ctx, const gs__model *m, const double *x,
                      const double *y, size_t n, int threads, long *out);

#endif /* GS_HOUSEHOLDS_H */
