/*
 * read_communities.c - reading the communities into the model.
 *
 * A community's polygon is used in metres; an invalid one is repaired
 * (geom.c) and a warning given, since validate checks grids, not the
 * communities it measures them against.
 */
#include "crs.h"
#include "geom.h"
#include "source.h"

int gs__io_read_communities(gs_ctx *ctx, const gs_input_opts *opts,
                            const char *path, gs__model *m,
                            const gs__crsinfo *crs, gs__inputs *info) {
    gs__src s;
    gs__rawfeat *raw = NULL;
    gs__far *far = NULL;
    gs__bulk bulk;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_code, i_name;
    GEOSContextHandle_t h = ctx->geos;

    rc = gs__src_open(ctx, opts, "communities", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    if ((rc = gs__src_field(&s, "community_code", 1, &i_code)) ||
        (rc = gs__src_field(&s, "name", 0, &i_name)))
        goto done;
    rc = gs__src_read_polys(&s, m, &raw, &n, &env);
    if (rc) goto done;
    far = gs__calloc(n, sizeof *far);
    if (!far) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, info);
    if (rc) goto done;
    rc = gs__src_check_geographic(&s, &env);
    if (rc) goto done;
    rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct);
    if (rc) goto done;
    m->communities = gs__calloc(n, sizeof *m->communities);
    if (!m->communities) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gs__community *c = &m->communities[m->n_communities];
        GEOSGeometry *geos;
        int invalid = 0;
        char reason[160];
        double lx, ly;
        c->origin = raw[i].origin;
        if ((rc = gs__src_str(&s, raw[i].f, i_code, "community_code",
                              &c->code)) ||
            (rc = gs__src_str(&s, raw[i].f, i_name, "name", &c->name)))
            goto done;
        if (far[i].n) {
            /* Computed without the bad vertices; validate reports it. */
            OGRGeometryH kept =
                gs__geom_without_far(OGR_F_GetGeometryRef(raw[i].f), &bulk);
            c->far = 1;
            gs__far_text(&s, &bulk, &far[i], c->far_reason,
                         sizeof c->far_reason);
            gs__warn(ctx,
                     "%s: community %s has %s; it is measured without them",
                     gs__src_where(&s, c->origin), c->code, c->far_reason);
            geos = kept ? gs__src_to_metric(&s, kept, ct, c->origin) : NULL;
            if (kept) OGR_G_DestroyGeometry(kept);
            if (!kept) gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        } else {
            geos = gs__src_to_metric(&s, OGR_F_GetGeometryRef(raw[i].f), ct,
                                     c->origin);
        }
        if (!geos) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            goto done;
        }
        c->geom = gs__geom_check_repair(h, geos, &invalid, reason,
                                        sizeof reason, &lx, &ly);
        if (!c->geom) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        m->n_communities++;
        if (invalid)
            gs__warn(ctx,
                     "%s: community %s is not a valid polygon (%s); its "
                     "repaired shape is used",
                     gs__src_where(&s, c->origin), c->code, reason);
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free(far);
    gs__rawfeats_free(raw, n);
    gs__src_close(&s);
    return rc;
}
