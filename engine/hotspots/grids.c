/*
 * grids.c - the grids' figures: events per grid and category in the
 * period, as they stood at its end, households per grid, and Gi* on the
 * value the rules name (events, per km^2 or per 100 households).
 *
 * Households are counted by the one rule every command follows
 * (gs__assign_households). A grid without area or households has no
 * value of that kind: it is left out of Gi* (NaN), not counted as zero.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>

#include "analysis.h"
#include "geom.h"
#include "households.h"

int gs__hs_grid_counts(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                       const gs__hs_params *p, gs__hsresult *r) {
    size_t ng = m->n_grids;
    long *hh = NULL;
    int rc = GS_OK;
    r->grids = gs__calloc(ng ? ng : 1, sizeof *r->grids);
    r->grid_cat = gs__calloc((ng ? ng : 1) * (r->ncats ? r->ncats : 1),
                             sizeof *r->grid_cat);
    if (!r->grids || !r->grid_cat) NOMEM();
    if (p->have_households) {
        hh = gs__malloc((m->n_households ? m->n_households : 1) * sizeof *hh);
        if (!hh) NOMEM();
        if ((rc = gs__assign_households(ctx, m, p->threads, hh))) goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        r->grids[g].households = p->have_households ? 0 : -1;
        r->grids[g].area_m2 = gs__geom_area(ctx->geos, m->grids[g].geom);
    }
    for (size_t k = 0; hh && k < m->n_households; k++)
        if (hh[k] >= 0) r->grids[hh[k]].households++;
    for (size_t i = 0; i < ev->n; i++) {
        long g = r->ev_grid[i];
        if (g < 0 || !(r->ev_flag[i] & GS__EVF_PERIOD)) continue;
        gs__hs_count_event(&r->grids[g].c, &ev->v[i], p);
        r->grid_cat[(size_t)g * r->ncats + (size_t)r->ev_cat[i]]++;
        r->grids[g].mismatch += (r->ev_flag[i] & GS__EVF_MISMATCH) != 0;
    }
done:
    free(hh);
    return rc;
}

int gs__hs_grid_gi(gs_ctx *ctx, const gs__model *m, const gs__hs_params *p,
                   gs__hsresult *r) {
    size_t ng = m->n_grids;
    double *x = gs__malloc((ng ? ng : 1) * sizeof *x);
    unsigned char *use = gs__malloc(ng ? ng : 1);
    int rc = GS_OK, how = p->rules->grid_gi_value;
    if (!x || !use) NOMEM();
    if (how == GS_GI_PER_100HH && !p->have_households) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "grid_gi_value = per_100hh needs {households}");
        goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        gs__hs_grid *gr = &r->grids[g];
        use[g] = 1;
        if (how == GS_GI_COUNT)
            gr->value = (double)gr->c.events;
        else if (how == GS_GI_PER_100HH && gr->households > 0)
            gr->value = 100.0 * (double)gr->c.events / (double)gr->households;
        else if (how == GS_GI_PER_KM2 && gr->area_m2 > 0)
            gr->value = 1e6 * (double)gr->c.events / gr->area_m2;
        else {
            use[g] = 0;
            gr->value = NAN;
        }
        x[g] = use[g] ? gr->value : 0;
    }
    rc = gs__hs_grids_gi(ctx, x, use, ng ? &m->grids[0].geom : NULL,
                         sizeof m->grids[0], ng, p->rules, &r->grid_gi);
done:
    free(x);
    free(use);
    return rc;
}
