/*
 * read_barriers.c - reading the roads, rivers, walls and rails that
 * partition follows.
 *
 * Barriers are lines, read through the polygon-layer path (geometry.c)
 * with lines in place of polygons, into m->barriers in metres.
 */
#include "crs.h"
#include "source.h"

int gs__io_read_barriers(gs_ctx *ctx, const gs_input_opts *opts,
                         const char *path, gs__model *m, const gs__crsinfo *crs,
                         gs__inputs *info) {
    gs__src s;
    gs__rawfeat *raw = NULL;
    gs__far *far = NULL;
    gs__bulk bulk;
    size_t n = 0;
    OGREnvelope env = {0, 0, 0, 0};
    OGRCoordinateTransformationH ct = NULL;
    int rc, i_kind, i_name;

    rc = gs__src_open(ctx, opts, "barriers", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    s.lines = 1;
    if ((rc = gs__src_field(&s, "kind", 1, &i_kind)) ||
        (rc = gs__src_field(&s, "name", 0, &i_name)) ||
        (rc = gs__src_read_polys(&s, m, &raw, &n, &env)))
        goto done;
    far = gs__calloc(n, sizeof *far);
    if (!far) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, info)) ||
        (rc = gs__src_check_geographic(&s, &env)) ||
        (rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct)))
        goto done;
    m->barriers = gs__calloc(n, sizeof *m->barriers);
    if (!m->barriers) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gs__barrier *b = &m->barriers[m->n_barriers];
        b->origin = raw[i].origin;
        if ((rc = gs__src_str(&s, raw[i].f, i_kind, "kind", &b->kind)) ||
            (rc = gs__src_str(&s, raw[i].f, i_name, "name", &b->name)))
            goto done;
        if (far[i].n) {
            /* A line that runs off to (0, 0) would cut every community
             * on its way: it is used without the bad vertices. */
            char why[300];
            OGRGeometryH kept =
                gs__geom_without_far(OGR_F_GetGeometryRef(raw[i].f), &bulk);
            gs__far_text(&s, &bulk, &far[i], why, sizeof why);
            gs__warn(ctx, "%s: barrier has %s; it is used without them",
                     gs__src_where(&s, b->origin), why);
            b->geom = kept ? gs__src_to_metric(&s, kept, ct, b->origin) : NULL;
            if (kept) OGR_G_DestroyGeometry(kept);
            if (!kept) gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        } else {
            b->geom = gs__src_to_metric(&s, OGR_F_GetGeometryRef(raw[i].f), ct,
                                        b->origin);
        }
        if (!b->geom) {
            rc = ctx->errcode ? ctx->errcode : GS_ERR_INTERNAL;
            goto done;
        }
        m->n_barriers++;
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free(far);
    gs__rawfeats_free(raw, n);
    gs__src_close(&s);
    return rc;
}
