/*
 * model.c - lifetime of the in-memory model (see model.h).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

void gs__model_init(gs__model *m, GEOSContextHandle_t geos) {
    memset(m, 0, sizeof *m);
    m->geos = geos;
    gs__arena_init(&m->strings);
}

void gs__model_free(gs__model *m) {
    GEOSContextHandle_t h = m->geos;
    for (size_t i = 0; i < m->n_communities; i++)
        if (m->communities[i].geom)
            GEOSGeom_destroy_r(h, m->communities[i].geom);
    for (size_t i = 0; i < m->n_grids; i++) {
        if (m->grids[i].geom) GEOSGeom_destroy_r(h, m->grids[i].geom);
        free(m->grids[i].src_wkb);
    }
    free(m->communities);
    free(m->grids);
    free(m->households);
    free(m->members);
    free(m->skipped);
    for (size_t i = 0; i < m->n_barriers; i++)
        if (m->barriers[i].geom) GEOSGeom_destroy_r(h, m->barriers[i].geom);
    free(m->barriers);
    for (size_t i = 0; i < m->n_buildings; i++)
        if (m->buildings[i].geom) GEOSGeom_destroy_r(h, m->buildings[i].geom);
    free(m->buildings);
    free(m->metric_wkt);
    free(m->metric_name);
    free(m->output_wkt);
    gs__arena_free(&m->strings);
    memset(m, 0, sizeof *m);
    m->geos = h;
}

int gs__model_skip(gs__model *m, const char *role, const char *reason,
                   gs__origin origin, double x, double y) {
    gs__skipped *s;
    if (m->n_skipped == m->cap_skipped) {
        size_t nc = m->cap_skipped ? m->cap_skipped * 2 : 16;
        gs__skipped *nv = gs__realloc(m->skipped, nc * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        m->skipped = nv;
        m->cap_skipped = nc;
    }
    s = &m->skipped[m->n_skipped];
    s->role = gs__arena_strdup(&m->strings, role);
    s->reason = gs__arena_strdup(&m->strings, reason);
    if (!s->role || !s->reason) return GS_ERR_NOMEM;
    s->origin = origin;
    s->x = x;
    s->y = y;
    m->n_skipped++;
    return GS_OK;
}
