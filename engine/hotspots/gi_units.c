/*
 * gi_units.c - Gi* of a set of units (grids, hexagons) and the binary
 * queen contiguity of polygons it is computed with.
 *
 * Two polygons are queen neighbours when their repaired shapes lie within
 * the rules' edge snap of each other (a shared vertex is enough): an
 * STRtree on the polygons finds the candidates, prepared geometries answer
 * the distance. Neighbours come out sorted, as CSR (stats.h), so the sums
 * of Gi* run in one order whatever the tree did. A single run and the
 * merge of shard outputs (merge_units.c) both compute Gi* through
 * gs__hs_gi_run and gs__hs_grids_gi, so that a merge equals a single run
 * to the bit.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "geom.h"
#include "i18n.h"

/* ---- bounds and the polygon index ---------------------------------------- */

int gs__hs_bounds(GEOSContextHandle_t h, const GEOSGeometry *g, double b[4]) {
    return g && !GEOSisEmpty_r(h, g) && GEOSGeom_getXMin_r(h, g, &b[0]) &&
           GEOSGeom_getYMin_r(h, g, &b[1]) && GEOSGeom_getXMax_r(h, g, &b[2]) &&
           GEOSGeom_getYMax_r(h, g, &b[3]);
}

/* Candidates of the tree whose envelopes meet (xmin..ymax), sorted. */
static int query_box(GEOSContextHandle_t h, GEOSSTRtree *t, double xmin,
                     double ymin, double xmax, double ymax, gs__cands *c) {
    GEOSGeometry *box = GEOSGeom_createRectangle_r(h, xmin, ymin, xmax, ymax);
    int rc;
    if (!box) return GS_ERR_NOMEM;
    rc = gs__strtree_query(h, t, box, c);
    GEOSGeom_destroy_r(h, box);
    return rc;
}

void gs__hs_polyindex_free(GEOSContextHandle_t h, gs__hs_polyindex *x) {
    if (x->tree) GEOSSTRtree_destroy_r(h, x->tree);
    for (size_t i = 0; x->prep && i < x->n; i++)
        if (x->prep[i]) GEOSPreparedGeom_destroy_r(h, x->prep[i]);
    free(x->prep);
    free(x->ids);
    memset(x, 0, sizeof *x);
}

int gs__hs_polyindex_build(GEOSContextHandle_t h, GEOSGeometry *const *g,
                           size_t stride, size_t n, gs__hs_polyindex *x) {
    memset(x, 0, sizeof *x);
    x->n = n;
    x->tree = GEOSSTRtree_create_r(h, 10);
    x->prep = gs__calloc(n ? n : 1, sizeof *x->prep);
    x->ids = gs__malloc((n ? n : 1) * sizeof *x->ids);
    if (!x->tree || !x->prep || !x->ids) return GS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *gi = GS__HS_GEOM_AT(g, stride, i);
        x->ids[i] = i;
        if (!gi || GEOSisEmpty_r(h, gi)) continue;
        x->prep[i] = GEOSPrepare_r(h, gi);
        if (!x->prep[i]) return GS_ERR_NOMEM;
        GEOSSTRtree_insert_r(h, x->tree, gi, &x->ids[i]);
    }
    return GS_OK;
}

typedef struct pair {
    size_t a, b;
} pair;

static int cmp_pair(const void *p, const void *q) {
    const pair *x = p, *y = q;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

int gs__hs_queen(gs_ctx *ctx, const gs__model *m, double snap_m,
                 size_t **out_start, size_t **out_nbr) {
    return gs__hs_queen_geoms(ctx, m->n_grids ? &m->grids[0].geom : NULL,
                              sizeof m->grids[0], m->n_grids, snap_m, out_start,
                              out_nbr);
}

int gs__hs_queen_geoms(gs_ctx *ctx, GEOSGeometry *const *geoms, size_t stride,
                       size_t n, double snap_m, size_t **out_start,
                       size_t **out_nbr) {
    GEOSContextHandle_t h = ctx->geos;
    size_t np = 0, cap = 0;
    gs__hs_polyindex ix;
    pair *pairs = NULL;
    gs__cands c = {0};
    int rc = GS_OK;
    *out_start = NULL;
    *out_nbr = NULL;
    if (gs__hs_polyindex_build(h, geoms, stride, n, &ix)) NOMEM();
    for (size_t i = 0; i < n; i++) {
        double b[4];
        if (!ix.prep[i] ||
            !gs__hs_bounds(h, GS__HS_GEOM_AT(geoms, stride, i), b))
            continue;
        if (query_box(h, ix.tree, b[0] - snap_m, b[1] - snap_m, b[2] + snap_m,
                      b[3] + snap_m, &c))
            NOMEM();
        for (size_t k = 0; k < c.n; k++) {
            size_t j = c.v[k];
            if (j <= i) continue;
            if (GEOSPreparedDistanceWithin_r(h, ix.prep[i],
                                             GS__HS_GEOM_AT(geoms, stride, j),
                                             snap_m) != 1)
                continue;
            if (np + 2 > cap) {
                size_t nc = cap ? cap * 2 : 1024;
                pair *nv = gs__realloc(pairs, nc * sizeof *nv);
                if (!nv) NOMEM();
                pairs = nv;
                cap = nc;
            }
            pairs[np++] = (pair){i, j};
            pairs[np++] = (pair){j, i};
        }
    }
    if (np > 1) qsort(pairs, np, sizeof *pairs, cmp_pair);
    *out_start = gs__calloc(n + 1, sizeof **out_start);
    *out_nbr = gs__malloc((np ? np : 1) * sizeof **out_nbr);
    if (!*out_start || !*out_nbr) NOMEM();
    for (size_t k = 0; k < np; k++) {
        (*out_start)[pairs[k].a + 1]++;
        (*out_nbr)[k] = pairs[k].b;
    }
    for (size_t i = 0; i < n; i++) (*out_start)[i + 1] += (*out_start)[i];
done:
    if (rc) {
        free(*out_start);
        free(*out_nbr);
        *out_start = NULL;
        *out_nbr = NULL;
    }
    free(c.v);
    free(pairs);
    gs__hs_polyindex_free(h, &ix);
    return rc;
}

/* ---- Gi* on a set of units ----------------------------------------------- */

void gs__hs_gi_free(gs__hs_gi *g) {
    free(g->z);
    free(g->p);
    free(g->bin);
    memset(g, 0, sizeof *g);
}

void gs__hs_gi_count_bins(const gs__hs_gi *g, size_t n, long out[7]) {
    memset(out, 0, 7 * sizeof *out);
    for (size_t i = 0; g->done && i < n; i++)
        if (isfinite(g->z[i])) out[g->bin[i] + 3]++;
}

void gs__hs_note(char *note, size_t note_size, char *text, size_t text_size,
                 const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note, note_size, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    vsnprintf(text, text_size, gs__tr(fmt), ap);
    va_end(ap);
}

int gs__hs_gi_run(const double *x, const unsigned char *use, size_t n,
                  const size_t *start, const size_t *nbr, int min_units,
                  const char *what, const char *what_text, gs__hs_gi *out) {
    size_t m = 0, nn = 0, *map = NULL, *sst = NULL, *snb = NULL;
    double *sx = NULL, *sz = NULL, *sp = NULL;
    signed char *sb = NULL;
    gs__gi_status st = GS__GI_OK;
    int rc = GS_OK;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) m += !use || use[i];
    if (m < (size_t)min_units) {
        snprintf(out->note, sizeof out->note,
                 "%zu %s, fewer than the %d Gi* needs: counts only", m, what,
                 min_units);
        snprintf(
            out->text, sizeof out->text,
            /* TRANSLATORS: the second %s is "grids" or "hexagons" (translated
               too), %d the minimum number of units Gi* needs. */
            gs__tr("%zu %s, fewer than the %d Gi* needs: counts only"), m,
            what_text, min_units);
        return GS_OK;
    }
    map = gs__malloc(n * sizeof *map);
    sst = gs__malloc((m + 1) * sizeof *sst);
    snb = gs__malloc((start[n] ? start[n] : 1) * sizeof *snb);
    sx = gs__malloc(m * sizeof *sx);
    sz = gs__malloc(m * sizeof *sz);
    sp = gs__malloc(m * sizeof *sp);
    sb = gs__malloc(m);
    out->z = gs__malloc(n * sizeof *out->z);
    out->p = gs__malloc(n * sizeof *out->p);
    out->bin = gs__calloc(n, 1);
    if (!map || !sst || !snb || !sx || !sz || !sp || !sb || !out->z ||
        !out->p || !out->bin) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0, k = 0; i < n; i++) map[i] = !use || use[i] ? k++ : n;
    for (size_t i = 0; i < n; i++) {
        if (map[i] == n) continue;
        sst[map[i]] = nn;
        sx[map[i]] = x[i];
        for (size_t q = start[i]; q < start[i + 1]; q++)
            if (map[nbr[q]] != n) snb[nn++] = map[nbr[q]];
    }
    sst[m] = nn;
    if ((rc = gs__gistar(sx, m, sst, snb, sz, sp, &st))) goto done;
    if (st != GS__GI_OK) {
        gs__hs_gi_free(out);
        snprintf(out->note, sizeof out->note,
                 "every one of the %zu %s has the same value (%g): Gi* is "
                 "undefined",
                 m, what, sx[0]);
        snprintf(
            out->text, sizeof out->text,
            /* TRANSLATORS: %s is "grids" or "hexagons" (translated too). */
            gs__tr("every one of the %zu %s has the same value (%g): "
                   "Gi* is undefined"),
            m, what_text, sx[0]);
        goto done;
    }
    if ((rc = gs__gi_bins(sz, sp, m, 1, sb))) goto done;
    for (size_t i = 0; i < n; i++) {
        out->z[i] = map[i] == n ? NAN : sz[map[i]];
        out->p[i] = map[i] == n ? NAN : sp[map[i]];
        out->bin[i] = map[i] == n ? 0 : sb[map[i]];
    }
    out->done = 1;
done:
    if (rc) gs__hs_gi_free(out);
    free(map);
    free(sst);
    free(snb);
    free(sx);
    free(sz);
    free(sp);
    free(sb);
    return rc;
}

int gs__hs_grids_gi(gs_ctx *ctx, const double *x, const unsigned char *use,
                    GEOSGeometry *const *geoms, size_t stride, size_t n,
                    const gs_rules *rules, gs__hs_gi *out) {
    size_t *start = NULL, *nbr = NULL;
    int rc = gs__hs_queen_geoms(ctx, geoms, stride, n, rules->edge_snap_m,
                                &start, &nbr);
    if (!rc &&
        (rc = gs__hs_gi_run(x, use, n, start, nbr, rules->min_units,
                            /* TRANSLATORS: the units of Gi* in its notes: "22
                               grids, fewer than the 30 Gi* needs", and the
                               label of the summary's Gi* line. */
                            "grids", gs__tr("grids"), out)))
        rc = gs__err(ctx, rc, "Gi* on the grids failed");
    free(start);
    free(nbr);
    return rc;
}

int gs__hs_hexes_gi(gs_ctx *ctx, const gs__hex *hx, const double *x, size_t n,
                    const gs_rules *rules, gs__hs_gi *out, size_t **out_start,
                    size_t **out_nbr) {
    size_t *start = NULL, *nbr = NULL;
    int rc = GS_OK;
    if (n == 0) {
        gs__hs_note(out->note, sizeof out->note, out->text, sizeof out->text,
                    "no hexagon overlaps the communities");
        goto done;
    }
    if ((rc = gs__hex_adjacency(hx, n, &start, &nbr))) {
        rc = gs__err(ctx, rc, "hexagon adjacency failed");
        goto done;
    }
    if ((rc = gs__hs_gi_run(x, NULL, n, start, nbr, rules->min_units,
                            /* TRANSLATORS: the units of Gi* in its notes ("114
                               hexagons, fewer than the 30 Gi* needs"). */
                            "hexagons", gs__tr("hexagons"), out)))
        rc = gs__err(ctx, rc, "Gi* on the hexagons failed");
done:
    if (!rc && out_start) {
        *out_start = start;
        *out_nbr = nbr;
    } else {
        free(start);
        free(nbr);
    }
    return rc;
}
