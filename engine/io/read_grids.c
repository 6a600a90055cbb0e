/*
 * read_grids.c - reading the grids into the model.
 *
 * Grids are the one layer kept twice: as stored (MultiPolygon WKB in the
 * input CRS, which the outputs write back unchanged) and in metres as GEOS
 * geometry for the analyses, checked and repaired (geom.c) with the
 * reason and place of any invalidity kept for validate. Their centre
 * picks the run's metric CRS (pick_crs.c) unless a merge of shard outputs
 * has chosen one already.
 */
#include <stdlib.h>

#include "crs.h"
#include "geom.h"
#include "source.h"

/* Keeps the grid's geometry as stored, for the outputs to write back:
 * its number of parts, and the geometry as MultiPolygon WKB, 2D, curves
 * made linear, in the input CRS (the output one). GS_ERR_NOMEM, with
 * g->src_wkb left NULL. */
static int keep_stored(gs_ctx *ctx, gs__grid *g, OGRGeometryH src_g) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(src_g));
    OGRGeometryH multi;
    g->nparts = (t == wkbMultiPolygon || t == wkbMultiSurface)
                    ? OGR_G_GetGeometryCount(src_g)
                    : 1;
    multi = OGR_G_Clone(src_g);
    if (multi) {
        t = wkbFlatten(OGR_G_GetGeometryType(multi));
        if (t == wkbCurvePolygon || t == wkbMultiSurface) {
            OGRGeometryH lin = OGR_G_GetLinearGeometry(multi, 0, NULL);
            OGR_G_DestroyGeometry(multi);
            multi = lin;
        }
    }
    if (multi) multi = OGR_G_ForceToMultiPolygon(multi);
    if (!multi) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    OGR_G_FlattenTo2D(multi);
    g->src_wkb_len = (size_t)OGR_G_WkbSize(multi);
    g->src_wkb = gs__malloc(g->src_wkb_len);
    if (!g->src_wkb) {
        OGR_G_DestroyGeometry(multi);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    OGR_G_ExportToWkb(multi, wkbNDR, g->src_wkb);
    OGR_G_DestroyGeometry(multi);
    return GS_OK;
}

int gs__io_read_grids(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                      gs__model *m, gs__crsinfo *crs, gs__inputs *info) {
    gs__src s;
    gs__rawfeat *raw = NULL;
    gs__far *far = NULL;
    gs__bulk bulk;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_code, i_comm, i_type, i_name;
    GEOSContextHandle_t h = ctx->geos;

    rc = gs__src_open(ctx, opts, "grids", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = gs__src_field(&s, "grid_code", 1, &i_code)) ||
        (rc = gs__src_field(&s, "community_code", 1, &i_comm)) ||
        (rc = gs__src_field(&s, "grid_type", 0, &i_type)) ||
        (rc = gs__src_field(&s, "name", 0, &i_name)))
        goto done;
    rc = gs__src_read_polys(&s, m, &raw, &n, &env);
    if (rc) goto done;
    /* A vertex far outside the others must not pick the CRS: env becomes
     * the envelope of the good ones. */
    far = gs__calloc(n, sizeof *far);
    if (!far) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, info);
    if (rc) goto done;
    rc = gs__src_check_geographic(&s, &env);
    if (rc) goto done;
    /* A metric CRS chosen beforehand (the merge of shard outputs picks
     * the one of all the shards' grids) is kept. */
    if (!crs->metric) rc = gs__src_pick_crs(&s, &env, crs);
    if (rc) goto done;
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;

    m->grids = gs__calloc(n, sizeof *m->grids);
    if (!m->grids) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        OGRFeatureH f = raw[i].f;
        gs__grid *g = &m->grids[m->n_grids];
        OGRGeometryH src_g = OGR_F_GetGeometryRef(f);
        GEOSGeometry *geos;
        g->origin = raw[i].origin;
        if ((rc = gs__src_str(&s, f, i_code, "grid_code", &g->code)) ||
            (rc = gs__src_str(&s, f, i_comm, "community_code",
                              &g->community_code)) ||
            (rc = gs__src_str(&s, f, i_type, "grid_type", &g->grid_type)) ||
            (rc = gs__src_str(&s, f, i_name, "name", &g->name)))
            goto done;
        if (!g->grid_type[0]) g->grid_type = "basic";
        if ((rc = keep_stored(ctx, g, src_g))) goto done;
        if (far[i].n) {
            /* Kept as stored for the outputs; computed without the bad
             * vertices, which validate reports (far_coordinate). */
            OGRGeometryH kept = gs__geom_without_far(src_g, &bulk);
            g->far = 1;
            gs__far_text(&s, &bulk, &far[i], g->far_reason,
                         sizeof g->far_reason);
            gs__warn(ctx, "%s: grid %s has %s; it is measured without them",
                     gs__src_where(&s, g->origin), g->code, g->far_reason);
            geos = kept ? gs__src_to_metric(&s, kept, ct, g->origin) : NULL;
            if (kept) OGR_G_DestroyGeometry(kept);
            if (!kept) gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        } else {
            geos = gs__src_to_metric(&s, src_g, ct, g->origin);
        }
        if (!geos) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            free(g->src_wkb);
            g->src_wkb = NULL;
            goto done;
        }
        g->geom = gs__geom_check_repair(h, geos, &g->invalid, g->invalid_reason,
                                        sizeof g->invalid_reason, &g->invalid_x,
                                        &g->invalid_y);
        m->n_grids++; /* counted before a failure so it is freed */
        if (!g->geom) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free(far);
    gs__rawfeats_free(raw, n);
    gs__src_close(&s);
    return rc;
}
