/*
 * redivision.h - the working state of one community's re-division, shared
 * by redivide_community.c (the community from its old grids to its new
 * ones) and grid_fixes.c (the changes that bring one grid within the
 * bounds).
 */
#ifndef GS_PARTITION_REDIVISION_H
#define GS_PARTITION_REDIVISION_H

#include <geos_c.h>
#include <stdint.h>

#include "partition.h"

/* A grid of the community as the re-division goes. */
typedef struct wgrid {
    GEOSGeometry *geom; /* metric, owned */
    long hh, persons;
    long old;      /* the model grid it still is, unchanged; or -1 */
    char code[40]; /* "" until numbered */
    int fixed;     /* dedicated or locked: never touched */
    int alive;
    int touched;  /* a sizing change made it */
    int repaired; /* a topology repair changed its shape */
    int recode;   /* its code is a duplicate or malformed */
    size_t out;   /* its index in the result */
    double cut_len, cut_barrier;
} wgrid;

/* One community's working state. */
typedef struct wstate {
    GEOSContextHandle_t h;
    const gs__model *m;
    const gs_rules *rules;
    gs__partition_bounds b;
    wgrid *g;
    size_t n, cap;
    gs__building_group *groups; /* the community's groups */
    long *gw;                   /* per group: its wgrid */
    long *gold;                 /* per group: its old model grid, or -1 */
    size_t n_groups;
    GEOSGeometry **lines; /* barriers near the community, borrowed */
    const int *line_cls;  /* their classes */
    size_t n_lines;
    uint64_t seed;
} wstate;

/* One community's share of a re-division: its groups (copies) with their
 * old grids, and the barriers near it (borrowed). */
typedef struct gs__redivide_in {
    gs__building_group *groups;
    const long *gold; /* per group: its old model grid, or -1 */
    size_t n_groups;
    GEOSGeometry **lines;
    int *line_cls;
    size_t n_lines;
} gs__redivide_in;

/* Re-divides community ci of the model from its old grids
 * (redivide_community.c): fills its summary row, appends its grids and
 * one change per old grid to out (*cap, *cap_ch: the capacities of
 * out->grids and out->changes). GS_ERR_NOMEM, GS_ERR_INTERNAL (GEOS)
 * with the context's message. */
int gs__redivide_community(gs_ctx *ctx, const gs__model *m,
                           const gs_rules *rules, const gs__partition_opts *o,
                           size_t ci, const gs__redivide_in *in,
                           gs__partition_result *out, size_t *cap,
                           size_t *cap_ch);

/* Appends a live grid taking `geom`; -1 when out of memory (geom is then
 * destroyed). */
int gs__wstate_add(wstate *s, GEOSGeometry *geom, long old, int fixed);

/* 1 when hh households and `persons` persons are within the bounds. */
int gs__wstate_within(const wstate *s, long hh, long persons);

/* Recounts every grid's households and persons from its groups. */
void gs__wstate_tally(wstate *s);

/* Brings grid v within the bounds by the smallest change that works:
 * split, merge, shift or redesign. 1 fixed (*how names the change), 0
 * not, -1 failure (GEOS or memory). */
int gs__wstate_fix(wstate *s, size_t v, const char **how);

/* Repairs the community's grids (grid_repair.c): invalid shapes, parts
 * outside the community, overlaps, multipart grids, gaps, duplicate and
 * malformed codes, each by the smallest change; topo[k] (64 bytes) names
 * old slot k's repairs; *unfixable counts what could not be mended (an
 * overlap of two fixed grids, a gap or part no grid borders). Groups are
 * placed again when a shape changed. -1 on failure (GEOS, memory). */
int gs__wstate_repair(wstate *s, const GEOSGeometry *community,
                      const char *comm_code, size_t n_old, char (*topo)[64],
                      long *unfixable);

/* Places every group in the live grid holding its point, the lowest code
 * first (the household rule), and recounts. */
void gs__wstate_place(wstate *s);

/* What validate would still find on live grid k (multipart, invalid,
 * outside the community, overlapping another): ';'-joined into out, ""
 * when nothing. */
void gs__wstate_defects(const wstate *s, const GEOSGeometry *community,
                        size_t k, char *out, size_t size);

/* Appends `word` to a ';'-joined list unless it is there. */
void gs__fate_add(char *fate, size_t size, const char *word);

#endif /* GS_PARTITION_REDIVISION_H */
