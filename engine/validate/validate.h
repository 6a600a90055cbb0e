/*
 * validate.h - the validate analysis on the in-memory model (validate.c).
 */
#ifndef GS_VALIDATE_H
#define GS_VALIDATE_H

#include "model.h"

/* Issue kinds, in the sorted (string) order they are joined in. */
typedef enum gs__kind {
    GS__K_BAD_CODE = 0,
    GS__K_BAD_PERSONS,
    GS__K_COMMUNITY_MISMATCH,
    GS__K_DUPLICATE_CODE,
    GS__K_FAR_COORDINATE,
    GS__K_GAP,
    GS__K_INVALID_GEOMETRY,
    GS__K_MEMBER_MULTIPLE_GRIDS,
    GS__K_MEMBER_UNKNOWN_GRID,
    GS__K_MULTIPART,
    GS__K_MULTIPLE_MEMBERS,
    GS__K_NO_MEMBER,
    GS__K_ORPHAN_HOUSEHOLD,
    GS__K_OUTSIDE_COMMUNITY,
    GS__K_OVERLAP,
    GS__K_OVERSIZE,
    GS__K_PERSONS_OVER,
    GS__K_UNDERSIZE,
    GS__K_SKIPPED_FEATURE, /* --on-error=skip: not a grid rule */
    GS__K_COUNT
} gs__kind;

/* The kind's name as written in the outputs ("undersize"...). */
const char *gs__kind_name(gs__kind k);

/* One problem. `grid` is the grid's index, or -1 for problems on no grid
 * (orphan households, unknown roster grids, gaps no grid borders). */
typedef struct gs__issue {
    gs__kind kind;
    long grid;
    const char *grid_code; /* the grid's, or the unknown code; may be "" */
    char *detail;          /* owned */
    GEOSGeometry *geom;    /* metric, owned; NULL when it has no place */
} gs__issue;

typedef struct gs__vgrid {
    long households;
    long persons;
    long bad_persons; /* households whose persons is unusable */
    long members;     /* distinct roster members, -1 without a roster */
    double area_m2;   /* of the repaired shape */
    double polsby_popper;
    unsigned kinds; /* bit (1u << kind) per issue kind */
    long host;      /* index of the host community, or -1 */
} gs__vgrid;

/* Counts for one row of the summary. */
typedef struct gs__vsum {
    const char *community_code; /* "total" for the whole run */
    const char *name;
    long grids, households, persons, violations;
    long n[GS__K_COUNT];
} gs__vsum;

typedef struct gs__vresult {
    gs__vgrid *grids; /* one per model grid */
    gs__issue *issues;
    size_t n_issues, cap_issues;
    gs__vsum *sums; /* per community (sorted by code), then the total */
    size_t n_sums;
    long orphans;
    long violations;      /* grids with status violation */
    long *household_grid; /* per household: the grid index or -1 */
} gs__vresult;

/* Runs every rule of docs/design.md, "Sizing" and "Validate issue kinds" on the
 * model. `threads` workers assign households (1 is fine). GS_OK or GS_ERR_NOMEM
 * / GS_ERR_INTERNAL with the context's message. */
int gs__validate_analyse(gs_ctx *ctx, const gs__model *m, const gs_rules *rules,
                         int threads, gs__vresult *out);

/* The checks that need no household (geometry, overlaps, host
 * communities, gaps), run ahead on `threads` workers so that they overlap
 * the reading of the households. They read only the model's grids and
 * communities, which must not change until gs__validate_analyse_pre;
 * they use no context, so any thread may run them. GS_OK or GS_ERR_NOMEM
 * (*out is set either way; free it with gs__vchecks_free, or hand it to
 * gs__validate_analyse_pre). */
typedef struct gs__vchecks gs__vchecks;
int gs__validate_checks(const gs__model *m, const gs_rules *rules, int threads,
                        gs__vchecks **out);
void gs__vchecks_free(GEOSContextHandle_t h, gs__vchecks *c);

/* The same checks in steps, for threads that join when they are free:
 * _begin makes the tasks (*out set as above; GS_ERR_NOMEM), any number
 * of threads (at most GS__POOL_MAX + 1) call _work, each taking tasks
 * until none is left, and once every _work has returned, _end says
 * whether all went well (GS_OK or GS_ERR_NOMEM). The result does not
 * depend on which thread ran which task. */
int gs__validate_checks_begin(const gs__model *m, const gs_rules *rules,
                              gs__vchecks **out);
void gs__validate_checks_work(gs__vchecks *c);
int gs__validate_checks_end(gs__vchecks *c);

/* gs__validate_analyse with the checks already run (`pre`, taken and
 * freed in every case; NULL runs them here). The same result. */
int gs__validate_analyse_pre(gs_ctx *ctx, const gs__model *m,
                             const gs_rules *rules, int threads,
                             gs__vchecks *pre, gs__vresult *out);

void gs__vresult_free(GEOSContextHandle_t h, gs__vresult *r);

/* The grid's sorted, ';'-joined issue kinds into buf ("" when none). */
void gs__vgrid_issues(const gs__vgrid *g, char *buf, size_t size);

#endif /* GS_VALIDATE_H */
