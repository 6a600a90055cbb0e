/*
 * partition.h - dividing communities into grids (partition.c) and
 * re-dividing an existing division with minimal change (repartition.c):
 * the division of one region (divide.c and the files piece_graph.h
 * names), households grouped by building (building_groups.c) and the
 * result (grid_results.c).
 */
#ifndef GS_PARTITION_H
#define GS_PARTITION_H

#include <stdint.h>

#include "model.h"

/* A building's households (or one household without a building), placed
 * at a point in metres (inside its footprint, else their mean point): the
 * indivisible piece of a division. Its shape (its footprint, or the hull
 * of its households' points) must lie whole in one grid. */
typedef struct gs__building_group {
    double x, y;
    long hh, persons;
    const char *building; /* borrowed; NULL for a household on its own */
    const char *name;     /* the footprint's name, or NULL */
    long footprint;       /* its footprint in the model, or -1 */
    long merged;          /* other buildings merged into it (overlapping) */
    GEOSGeometry *shape;  /* kept whole; NULL for a single point. Owned by
                           * the array it was made in (see
                           * gs__building_groups_make) */
    long face, unit;      /* scratch of gs__divide_region */
} gs__building_group;

/* What a part may hold. The measure is households, or persons when
 * by_persons (the persons criterion of the standard). */
typedef struct gs__partition_bounds {
    long lo, hi; /* measure per part, inclusive */
    long pmax;   /* persons per part */
    int by_persons;
    double target; /* the preferred measure per part */
} gs__partition_bounds;

/* The result of dividing one region into k parts. */
typedef struct gs__division {
    long k;
    GEOSGeometry **geom; /* k polygonal geometries, owned */
    long *hh, *persons;  /* per part */
    double *cut_len;     /* per part: boundary shared with other parts */
    double *cut_barrier; /* ... of which along a barrier */
    long *group_part;    /* per group: its part */
    int *straddle;       /* per part: 1 when it holds households on both
                          * sides of a major barrier */
    long units;          /* the pieces the region was cut into */
    long misses;         /* parts outside the bounds */
    int level;           /* 0 barrier faces, 1 + split faces, 2 buildings */
} gs__division;

/* Divides `region` (metric, polygonal) into one of the part counts `ks`
 * (tried in order) along `lines` (barriers, not yet clipped; cls: their
 * classes, model.h, or NULL for all medium), keeping each group whole.
 * Where major barriers cut the region into blocks with households, each
 * block is divided on its own (a block too small for a grid joins its
 * neighbour), so no grid straddles a major barrier unless that gives
 * more parts outside the bounds; road corridors are shared out
 * (blocks.c). The region is cut into faces by the lines; faces are cut
 * further into building cells (Voronoi) only when the faces alone do not
 * allow parts within the bounds. Parts are built by recursive bisection of
 * random spanning trees of the piece graph (seeded by `seed`): each cut
 * keeps both sides connected and able to hold their share of parts, and
 * the cut with the least boundary off the barriers wins. The first
 * division without misses is returned, else the one with the fewest.
 * GS_OK, GS_ERR_NOMEM or GS_ERR_INTERNAL (GEOS); `out` is set in every
 * case and freed with gs__division_free. Thread safe with distinct `h`. */
int gs__divide_region(GEOSContextHandle_t h, const GEOSGeometry *region,
                      const GEOSGeometry *const *lines, const int *cls,
                      size_t n_lines, gs__building_group *groups,
                      size_t n_groups, const long *ks, int n_ks,
                      const gs__partition_bounds *b, uint64_t seed,
                      gs__division *out);

/* Shifts boundaries between the k `owners` (polygonal, tiling `region`;
 * their boundaries must be among `lines` so that no piece straddles two):
 * the region is cut into building cells, each starting in its owner, and
 * single cells move to a neighbouring owner while that brings the parts
 * closer to the bounds, keeping each connected; the smallest move first.
 * `out` has the k parts in owner order. Errors as gs__divide_region. */
int gs__partition_prebalance(GEOSContextHandle_t h, const GEOSGeometry *region,
                             const GEOSGeometry *const *lines, size_t n_lines,
                             const GEOSGeometry *const *owners, long k,
                             gs__building_group *groups, size_t n_groups,
                             const gs__partition_bounds *b, gs__division *out);

void gs__division_free(GEOSContextHandle_t h, gs__division *d);

/* The feasible part counts for `total`, nearest total / target first, at
 * most `max`; 0 when no whole number fits the bounds. */
int gs__partition_pick_ks(long total, const gs__partition_bounds *b, long *ks,
                          int max);

/* A 64-bit seed for `code` under the user's seed (FNV-1a, then mixed). */
uint64_t gs__partition_seed(uint64_t seed, const char *code);

/* One grid made by the partition, in metres. */
typedef struct gs__partition_grid {
    char code[40];              /* community_code + 3 digits */
    const char *community_code; /* borrowed from the model */
    const char *grid_type;      /* "basic", or as the existing grid */
    long households;
    long persons;
    double polsby_popper;
    double cut_len, cut_barrier;  /* inner boundary, and on barriers */
    char note[200];               /* "" or why the grid misses the standard */
    char remark[300];             /* what a planner should know of a grid
                                   * within it: a major road it straddles,
                                   * a building over the maximum */
    GEOSGeometry *geom;           /* owned, polygonal */
    const unsigned char *src_wkb; /* kept as stored (re-division), or NULL */
    size_t src_wkb_len;
} gs__partition_grid;

/* One community's row of the summary. */
typedef struct gs__partition_sum {
    const char *community_code; /* borrowed */
    const char *name;           /* borrowed */
    long grids, households, persons, atoms, compliant;
    int feasible;        /* a whole number of grids fits */
    int level;           /* gs__division.level of the division */
    long reassigned;     /* re-division: households moved */
    long changed;        /* re-division: grids changed */
    char note[800];      /* English: the summary layer and the JSON keep it */
    char text[1600];     /* the note in the user's language, for the console */
    long straddling;     /* grids holding households across a major barrier */
    long big_buildings;  /* buildings over the maximum on their own */
    long cut_footprints; /* footprints reaching outside the community */
} gs__partition_sum;

/* Appends to a community's note: `sep` first when the note holds
 * something already (NULL: nothing), then `fmt` formatted, as it is to
 * sum->note (English, as the layers keep it) and translated (gs__tr) to
 * sum->text, which the console shows. Each is cut to its size. */
void gs__partition_note(gs__partition_sum *sum, const char *sep,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One old grid's fate in a re-division. */
typedef struct gs__partition_change {
    const char *old_code;       /* borrowed */
    const char *community_code; /* borrowed */
    char change[24];  /* unchanged, split, merged, shifted, redesigned, or
                       * repaired (only repairs below) */
    char repairs[80]; /* ';'-joined: made_valid clipped trimmed filled
                       * reunited rejoined recoded; "" none */
    long households_before, households_after, moved;
    char new_codes[200]; /* ';'-joined */
    size_t grid;         /* index of the old grid in the model */
} gs__partition_change;

typedef struct gs__partition_result {
    gs__partition_grid *grids;
    size_t n_grids;
    gs__partition_sum *sums; /* one per community, in model order */
    size_t n_sums;
    gs__partition_change *changes; /* re-division only: one per old grid */
    size_t n_changes;
    long unplaced; /* households in no community */
} gs__partition_result;

/* How the communities are divided. */
/* With --shard: keeps the grids, summary rows and changes of the
 * communities the shard owns, and frees the others (the halo's, divided
 * only because they were read). Households in no community belong to no
 * shard: `unplaced` becomes 0, as validate leaves such orphans to a run
 * without --shard. A community's division depends on its own households
 * and the barriers crossing it, so the kept rows are the single run's. */
void gs__partition_result_keep_shard(gs_ctx *ctx, gs__partition_result *r);

typedef struct gs__partition_opts {
    uint64_t seed;
    int threads;
    const char *const *lock; /* re-division: codes never touched */
    size_t n_lock;
} gs__partition_opts;

/* Divides every community of the model (communities, households, barriers
 * in metres) into grids within the rules' bounds (gs__divide_region), one
 * community per task on opts->threads threads; the result does not depend
 * on the number of threads. Grids are numbered in reading order. A
 * community under the minimum becomes one `undersize` grid; one where no
 * whole number of grids fits follows rules->partition_policy. GS_OK,
 * GS_ERR_NOMEM or GS_ERR_INTERNAL with the context's message; `out` is
 * filled and must be freed with gs__partition_result_free in every case. */
int gs__partition_analyse(gs_ctx *ctx, const gs__model *m,
                          const gs_rules *rules, const gs__partition_opts *opts,
                          gs__partition_result *out);

/* Re-divides the model's existing grids (m->grids) with minimal change:
 * compliant, dedicated and locked grids are kept as stored; a grid that
 * misses the bounds is split, merged with a neighbour, has a boundary
 * shifted, or its cluster redesigned, the first that works. Fills the
 * grids (all of them, kept ones with their stored geometry), the summary
 * and one change per old grid. Errors as gs__partition_analyse. */
int gs__repartition_analyse(gs_ctx *ctx, const gs__model *m,
                            const gs_rules *rules,
                            const gs__partition_opts *opts,
                            gs__partition_result *out);

/* Shared by both: households grouped by building (with m->buildings,
 * by footprint), overlapping shapes merged; gcomm[i] is group i's
 * community (model order) or -1. The caller frees the groups with
 * gs__building_groups_free and gcomm with free(). */
int gs__building_groups_make(gs_ctx *ctx, const gs__model *m,
                             gs__building_group **groups, size_t *n_groups,
                             long **gcomm, long *unplaced);

/* Frees groups made by gs__building_groups_make and their shapes. */
void gs__building_groups_free(GEOSContextHandle_t h, gs__building_group *g,
                              size_t n);

/* 1 when the grid is within the standard, or within the policy that
 * decided an infeasible community (its note says which). */
int gs__partition_grid_ok(const gs__partition_grid *g);

/* Appends a grid to the result (*cap: the capacity of r->grids);
 * GS_ERR_NOMEM. */
int gs__partition_result_push(gs__partition_result *r, size_t *cap,
                              const gs__partition_grid *g);

/* Appends a change to the result (*cap: the capacity of r->changes);
 * GS_ERR_NOMEM. */
int gs__partition_result_push_change(gs__partition_result *r, size_t *cap,
                                     const gs__partition_change *c);

/* Numbers the grids [first, r->n_grids) of one community in reading order
 * (rows of the typical grid size, north first, then west to east) from
 * sequence number `next` on. GS_ERR_NOMEM. */
int gs__partition_grids_number(GEOSContextHandle_t h, gs__partition_result *r,
                               size_t first, const char *community_code,
                               double area, long next);

/* Measures each grid's inner boundary (off its community's boundary) and
 * the part of it within rules->barrier_tolerance_m of a barrier, into
 * cut_len and cut_barrier, on the grids' geometry (barrier_share.c).
 * GS_ERR_NOMEM, GS_ERR_INTERNAL (GEOS). */
int gs__partition_measure_barriers(gs_ctx *ctx, const gs__model *m,
                                   const gs_rules *rules,
                                   gs__partition_result *r);

void gs__partition_result_free(GEOSContextHandle_t h, gs__partition_result *r);

#endif /* GS_PARTITION_H */
