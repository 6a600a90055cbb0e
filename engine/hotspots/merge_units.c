/*
 * merge_units.c - what a merge recomputes over all its sources: the order
 * of the categories, and Gi* of the grids and of the hexagons.
 *
 * Categories are summed over the sources and ordered as a run orders them
 * (gs__hs_cat_cmp: most events first, then by text), which fixes cat_1..
 * cat_N and cat_other as in a single run. Gi* of the grids runs on the
 * value the rules name, read back from the very field the shard computed
 * it into, with queen contiguity rebuilt from the grid polygons
 * (gs__hs_grids_gi); Gi* of the hexagons on their counts, with ring-1
 * neighbours found from q and r (gs__hs_hexes_gi). The same functions as
 * in a run compute both, so a merge equals a single run to the bit when
 * the units come in the same order.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_state.h"

static const char *raw_text(const char *label) {
    return strcmp(label, gs__hs_category_label("")) ? label : "";
}

static int cmp_gcat(const void *a, const void *b) {
    const gs__hs_gcat *x = a, *y = b;
    return gs__hs_cat_cmp(x->events, x->raw, y->events, y->raw);
}

static int cmp_gcat_label(const void *a, const void *b) {
    return strcmp(((const gs__hs_gcat *)a)->label,
                  ((const gs__hs_gcat *)b)->label);
}

/* The union of the sources' categories with their events summed, in a
 * run's order; every source category learns its merged index. A source
 * whose cat_other holds a category that gets a field of its own here
 * cannot be split again: bad input. */
int gs__hs_merge_categories(gs__hs_merge *M) {
    size_t total = 0, n = 0, present = 0;
    for (size_t i = 0; i < M->ns; i++) total += M->s[i].ncats;
    M->cats = gs__calloc(total + 1, sizeof *M->cats);
    if (!M->cats) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++)
        for (size_t k = 0; k < M->s[i].ncats; k++)
            M->cats[n++] = (gs__hs_gcat){M->s[i].cats[k].label,
                                         raw_text(M->s[i].cats[k].label),
                                         M->s[i].cats[k].events};
    qsort(M->cats, n, sizeof *M->cats, cmp_gcat_label);
    M->ncats = 0;
    for (size_t k = 0; k < n; k++) {
        if (M->ncats && !strcmp(M->cats[M->ncats - 1].label, M->cats[k].label))
            M->cats[M->ncats - 1].events += M->cats[k].events;
        else
            M->cats[M->ncats++] = M->cats[k];
    }
    qsort(M->cats, M->ncats, sizeof *M->cats, cmp_gcat);
    for (size_t k = 0; k < M->ncats; k++) {
        present += M->cats[k].events > 0;
        M->events += M->cats[k].events;
    }
    gs__hs_cat_fields(present, &M->nf, &M->other);
    for (size_t i = 0; i < M->ns; i++)
        for (size_t k = 0; k < M->s[i].ncats; k++) {
            gs__hs_scat *c = &M->s[i].cats[k];
            for (size_t j = 0; j < M->ncats; j++)
                if (!strcmp(M->cats[j].label, c->label)) c->global = j;
            if (!strcmp(c->field, "cat_other") && c->global < M->nf)
                return gs__err(M->ctx, GS_ERR_INPUT,
                               "{merge} %s: category %s was summed in "
                               "cat_other there but has a field of its own "
                               "over all shards; the counts cannot be split",
                               M->s[i].name, c->label);
        }
    return GS_OK;
}

/* Gi* of all grids, on the value the rules name, read back from the very
 * field the shard computed it into; queen contiguity as a run builds it. */
int gs__hs_merge_grid_gi(gs__hs_merge *M) {
    static const char *const value_field[] = {"events", "events_per_km2",
                                              "events_per_100hh"};
    const gs_rules *R = M->opts->common.rules;
    const char *vf = value_field[R->grid_gi_value % 3];
    size_t n = M->ngrids;
    double *x = gs__malloc((n ? n : 1) * sizeof *x);
    unsigned char *use = gs__malloc(n ? n : 1);
    int rc = GS_OK;
    if (!x || !use) {
        rc = gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int fi = OGR_F_GetFieldIndex(M->grids[i].f, vf);
        use[i] = fi >= 0 && OGR_F_IsFieldSetAndNotNull(M->grids[i].f, fi);
        x[i] = use[i] ? OGR_F_GetFieldAsDouble(M->grids[i].f, fi) : 0;
    }
    rc = gs__hs_grids_gi(M->ctx, x, use, n ? &M->grids[0].geom : NULL,
                         sizeof M->grids[0], n, R, &M->grid_gi);
done:
    free(x);
    free(use);
    return rc;
}

static int cmp_mhex(const void *a, const void *b) {
    const gs__hs_mhex *x = a, *y = b;
    int c = gs__hex_cmp(&(gs__hex){x->q, x->r}, &(gs__hex){y->q, y->r});
    return c ? c : (x->src > y->src) - (x->src < y->src);
}

/* Every source's hex_hotspots features, sorted by (r, q) then source.
 * GS_ERR_INPUT when two sources hold one hexagon. */
static int read_hexes(gs__hs_merge *M) {
    size_t cap = 0;
    int rc = GS_OK;
    for (size_t i = 0; i < M->ns; i++) {
        gs__hs_msrc *s = &M->s[i];
        OGRLayerH l = gs__hs_need_layer(M, s, "hex_hotspots", &rc);
        OGRFeatureH f;
        if (!l) return rc;
        if ((rc = gs__hs_need_field(M, s, l, "q")) ||
            (rc = gs__hs_need_field(M, s, l, "r")) ||
            (rc = gs__hs_need_field(M, s, l, "events")))
            return rc;
        OGR_L_ResetReading(l);
        while ((f = OGR_L_GetNextFeature(l)) != NULL) {
            if (M->nhex == cap) {
                size_t nc = cap ? 2 * cap : 1024;
                gs__hs_mhex *nv = gs__realloc(M->hex, nc * sizeof *nv);
                if (!nv) {
                    OGR_F_Destroy(f);
                    return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
                }
                M->hex = nv;
                cap = nc;
            }
            M->hex[M->nhex++] =
                (gs__hs_mhex){gs__hs_fint(f, "q"), gs__hs_fint(f, "r"), f, i};
        }
    }
    if (M->nhex > 1) qsort(M->hex, M->nhex, sizeof *M->hex, cmp_mhex);
    for (size_t k = 1; k < M->nhex; k++)
        if (M->hex[k].q == M->hex[k - 1].q && M->hex[k].r == M->hex[k - 1].r)
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s and {merge} %s overlap: both hold "
                           "hexagon %s (shards must be disjoint; an output "
                           "written before shards kept only their own "
                           "hexagons holds the halo's too: run that shard "
                           "again)",
                           M->s[M->hex[k - 1].src].name,
                           M->s[M->hex[k].src].name,
                           gs__hs_fstr(M->hex[k].f, "hex_id"));
    return GS_OK;
}

int gs__hs_merge_hexes(gs__hs_merge *M) {
    gs__hex *hx = NULL;
    double *x = NULL;
    int rc;
    if ((rc = read_hexes(M))) return rc;
    hx = gs__malloc((M->nhex ? M->nhex : 1) * sizeof *hx);
    x = gs__malloc((M->nhex ? M->nhex : 1) * sizeof *x);
    if (!hx || !x) {
        rc = gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < M->nhex; k++) {
        hx[k] = (gs__hex){M->hex[k].q, M->hex[k].r};
        x[k] = (double)gs__hs_fint(M->hex[k].f, "events");
    }
    rc = gs__hs_hexes_gi(M->ctx, hx, x, M->nhex, M->opts->common.rules,
                         &M->hex_gi, NULL, NULL);
done:
    free(hx);
    free(x);
    return rc;
}
