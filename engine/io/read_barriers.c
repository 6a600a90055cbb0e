/*
 * read_barriers.c - reading the roads, rivers, walls and rails that
 * partition follows, with their class.
 *
 * Barriers are lines, read through the polygon-layer path (geometry.c)
 * with lines in place of polygons, into m->barriers in metres. Each line
 * has a class (model.h): from the `class` field when the layer has one
 * (1-3, major/medium/minor), else from OpenStreetMap's highway, waterway,
 * railway and barrier fields (osm.c; an .osm or .pbf file is read
 * directly, its `lines` layer), else from `kind`: rivers, rails and walls
 * major, roads medium. A line OSM does not count as a barrier (a footway,
 * a tunnel) is left out; a layer with neither class, OSM tags nor `kind`
 * is refused naming its fields.
 */
#include <string.h>

#include "crs.h"
#include "osm.h"
#include "source.h"

enum { B_KIND, B_NAME, B_CLASS, B_HW, B_WW, B_RW, B_BW, B_OTHER, B_COUNT };
static const char *const bnames[B_COUNT] = {"kind",    "name",      "class",
                                            "highway", "waterway",  "railway",
                                            "barrier", "other_tags"};

/* The class of one line (0: no barrier). */
static int line_class(gs__src *s, OGRFeatureH f, const int *fi, const char **v,
                      int *bad) {
    int cls;
    *bad = 0;
    if (fi[B_CLASS] >= 0 && v[B_CLASS][0]) {
        cls = gs__barrier_class_parse(v[B_CLASS]);
        if (!cls) *bad = 1;
        return cls;
    }
    (void)s;
    (void)f;
    if (fi[B_HW] >= 0 || fi[B_WW] >= 0 || fi[B_RW] >= 0 || fi[B_BW] >= 0) {
        cls = gs__osm_barrier_class(v[B_HW], v[B_WW], v[B_RW], v[B_BW],
                                    v[B_OTHER]);
        if (cls || fi[B_KIND] < 0 || !v[B_KIND][0]) return cls;
    }
    if (!strcmp(v[B_KIND], "river") || !strcmp(v[B_KIND], "rail") ||
        !strcmp(v[B_KIND], "wall"))
        return GS__BARRIER_MAJOR;
    if (!strcmp(v[B_KIND], "road")) return GS__BARRIER_MEDIUM;
    return v[B_KIND][0] ? GS__BARRIER_MINOR : 0;
}

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
    gs_input_opts tmp;
    const char *list[65];
    char spec[64];
    int rc, fi[B_COUNT];
    const gs_input_opts *in =
        gs__osm_opts(opts, path, "barriers", "lines", &tmp, list, 65, spec);

    rc = gs__src_open(ctx, in, "barriers", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    s.lines = 1;
    for (int k = 0; k < B_COUNT; k++)
        if ((rc = gs__src_field(&s, bnames[k], 0, &fi[k]))) goto done;
    if (fi[B_KIND] < 0 && fi[B_CLASS] < 0 && fi[B_HW] < 0 && fi[B_WW] < 0 &&
        fi[B_RW] < 0 && fi[B_BW] < 0) {
        /* the message that names the fields present */
        rc = gs__src_field(&s, "kind", 1, &fi[B_KIND]);
        goto done;
    }
    if ((rc = gs__src_read_polys(&s, m, &raw, &n, &env))) goto done;
    far = gs__calloc(n, sizeof *far);
    if (!far) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, info)) ||
        (rc = gs__src_check_geographic(&s, &env)) ||
        (rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct)))
        goto done;
    m->barriers = gs__calloc(n ? n : 1, sizeof *m->barriers);
    if (!m->barriers) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        gs__barrier *b = &m->barriers[m->n_barriers];
        const char *v[B_COUNT];
        int bad;
        b->origin = raw[i].origin;
        for (int k = 0; k < B_COUNT; k++)
            if ((rc = gs__src_str(&s, raw[i].f, fi[k], bnames[k], &v[k])))
                goto done;
        b->kind = v[B_KIND];
        b->name = v[B_NAME];
        b->cls = line_class(&s, raw[i].f, fi, v, &bad);
        if (bad) {
            rc = gs__err(ctx, GS_ERR_INPUT_VALUE,
                         "%s, field class: '%s' is not a barrier class "
                         "(1 major, 2 medium, 3 minor)",
                         gs__src_where(&s, b->origin), v[B_CLASS]);
            goto done;
        }
        if (!b->cls) continue; /* not a barrier (a footway, a tunnel) */
        if (!b->kind[0])
            b->kind = v[B_WW][0]   ? "river"
                      : v[B_RW][0] ? "rail"
                      : v[B_BW][0] ? "wall"
                                   : "road";
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
