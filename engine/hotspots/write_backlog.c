/*
 * write_backlog.c - the layers the weekly ledger keeps of the events
 * beyond grid_events: grid_backlog (backlog.c) and grid_categories, the
 * events reported in the period per grid and category as one row each (a
 * long table: grid_events' cat_1.. fields follow each run's own order of
 * categories, so they cannot be compared week by week).
 *
 * A shard writes the rows of the grids it owns; the row of the events in
 * no grid (empty grid_code) only comes from a run without --shard, as in
 * the categories layer.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>

#include "run_hotspots.h"
#include "shard.h"

/* One grid_backlog row: grid g, or the events in no grid (g < 0). */
static int backlog_row(gs__hs_wctx *w, gs__olayer *l, long g,
                       const gs__hs_backlog *b) {
    OGRFeatureH f;
    char d[11];
    NEW_FEATURE(f, l);
    if (g >= 0) {
        OGR_F_SetFieldString(f, GS__BL_GRID_CODE, w->m->grids[g].code);
        OGR_F_SetFieldString(f, GS__BL_COMMUNITY_CODE,
                             w->m->grids[g].community_code);
        OGR_F_SetFieldString(f, GS__BL_NAME, w->m->grids[g].name);
    } else {
        OGR_F_SetFieldString(f, GS__BL_GRID_CODE, "");
        OGR_F_SetFieldString(f, GS__BL_COMMUNITY_CODE, "");
        OGR_F_SetFieldString(f, GS__BL_NAME, "不在任何网格内");
    }
    OGR_F_SetFieldInteger64(f, GS__BL_REPORTED, b->reported);
    OGR_F_SetFieldInteger64(f, GS__BL_RESOLVED, b->resolved);
    OGR_F_SetFieldInteger64(f, GS__BL_SELF_RESOLVED, b->self_resolved);
    OGR_F_SetFieldInteger64(f, GS__BL_STATUS_UNKNOWN, b->status_unknown);
    OGR_F_SetFieldInteger64(f, GS__BL_OPEN, b->open);
    OGR_F_SetFieldInteger64(f, GS__BL_OVERDUE, b->overdue);
    if (b->open) {
        gs__date_format(b->oldest_open, d);
        OGR_F_SetFieldString(f, GS__BL_OLDEST_OPEN, d);
    } else {
        OGR_F_SetFieldNull(f, GS__BL_OLDEST_OPEN);
    }
    OGR_F_SetFieldInteger64(f, GS__BL_MAX_WORKDAYS_OVERDUE,
                            b->max_workdays_overdue);
    return gs__out_put(w->o, l, f);
}

/* One grid_categories row. */
static int category_row(gs__hs_wctx *w, gs__olayer *l, long g, size_t k,
                        long events) {
    OGRFeatureH f;
    NEW_FEATURE(f, l);
    OGR_F_SetFieldString(f, GS__GC_GRID_CODE,
                         g >= 0 ? w->m->grids[g].code : "");
    OGR_F_SetFieldString(f, GS__GC_COMMUNITY_CODE, gs__hs_grid_community(w, g));
    OGR_F_SetFieldString(f, GS__GC_CATEGORY, gs__hs_category(w, (int)k));
    OGR_F_SetFieldInteger64(f, GS__GC_EVENTS, events);
    return gs__out_put(w->o, l, f);
}

int gs__hs_write_backlog(gs__hs_wctx *w) {
    const gs__hsresult *r = w->r;
    const gs__model *m = w->m;
    size_t ng = m->n_grids, nc = r->ncats;
    const gs__hs_backlog *none = &r->backlog[ng];
    gs__olayer *lb, *lc;
    long *nogrid = gs__calloc(nc ? nc : 1, sizeof *nogrid);
    int rc = nogrid ? GS_OK : gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
    if (!rc) rc = gs__out_layer_schema(w->o, GS__LS_HOTSPOTS_GRID_BACKLOG, &lb);
    if (!rc)
        rc = gs__out_layer_schema(w->o, GS__LS_HOTSPOTS_GRID_CATEGORIES, &lc);
    for (size_t g = 0; !rc && g < ng; g++) {
        if (!gs__shard_owns(w->ctx, m->grids[g].community_code)) continue;
        rc = backlog_row(w, lb, (long)g, &r->backlog[g]);
        for (size_t k = 0; !rc && k < nc; k++)
            if (r->grid_cat[g * nc + k] > 0)
                rc = category_row(w, lc, (long)g, k, r->grid_cat[g * nc + k]);
    }
    if (rc || gs__shard_active(w->ctx)) goto done;
    if (none->reported || none->open) rc = backlog_row(w, lb, -1, none);
    for (size_t i = 0; i < w->ev->n; i++)
        if ((r->ev_flag[i] & GS__EVF_PERIOD) && r->ev_grid[i] < 0)
            nogrid[r->ev_cat[i]]++;
    for (size_t k = 0; !rc && k < nc; k++)
        if (nogrid[k] > 0) rc = category_row(w, lc, -1, k, nogrid[k]);
done:
    free(nogrid);
    return rc;
}
