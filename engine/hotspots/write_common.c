/*
 * write_common.c - the small helpers every writer of a hotspots run uses
 * (a grid's community, a category's label, putting a feature with a GEOS
 * geometry), below both the layer writers (write_units.c,
 * write_findings.c) and the file that orders them (write_outputs.c).
 */
#include "run_hotspots.h"

const char *gs__hs_grid_community(const gs__hs_wctx *w, long g) {
    return g >= 0 ? w->m->grids[g].community_code : "";
}

const char *gs__hs_category(const gs__hs_wctx *w, int c) {
    return c >= 0 ? gs__hs_category_label(w->r->cats[c]) : "";
}

int gs__hs_put_geos(gs__hs_wctx *w, gs__olayer *l, OGRFeatureH f,
                    const GEOSGeometry *g) {
    int rc = gs__out_geos(w->o, l, f, g);
    if (rc) {
        OGR_F_Destroy(f);
        return rc;
    }
    return gs__out_put(w->o, l, f);
}
