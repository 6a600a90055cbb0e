/*
 * partition.h - dividing communities into grids (partition.c).
 */
#ifndef GS_PARTITION_H
#define GS_PARTITION_H

#include "model.h"

/* One grid made by the partition: a union of atoms, in metres. */
typedef struct gs__pgrid {
    char code[40];              /* community_code + 3 digits */
    const char *community_code; /* borrowed from the model */
    long households;
    long persons;
    double polsby_popper;
    char note[160];             /* "" or why the grid misses the standard */
    GEOSGeometry *geom;         /* owned, polygonal */
} gs__pgrid;

/* One community's row of the summary. */
typedef struct gs__psum {
    const char *community_code; /* borrowed */
    const char *name;           /* borrowed */
    long grids, households, persons, atoms, compliant;
    char note[160];
} gs__psum;

typedef struct gs__partres {
    gs__pgrid *grids;
    size_t n_grids;
    gs__psum *sums; /* one per community, in model order */
    size_t n_sums;
    long unplaced;  /* households in no community */
} gs__partres;

/* Divides every community of the model (communities, households, barriers
 * in metres) into grids within the rules' household and person bounds:
 * atoms are the community's faces cut by the barriers; households are
 * placed by building; regions are grown over the atom graph. Deterministic.
 * GS_OK, or GS_ERR_NOMEM / GS_ERR_INTERNAL with the context's message;
 * `out` is filled and must be freed with gs__partres_free in every case. */
int gs__partition_analyse(gs_ctx *ctx, const gs__model *m,
                          const gs_rules *rules, gs__partres *out);

void gs__partres_free(GEOSContextHandle_t h, gs__partres *r);

#endif /* GS_PARTITION_H */
