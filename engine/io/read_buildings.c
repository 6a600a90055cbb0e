/*
 * read_buildings.c - reading building footprints, and the households a
 * run without household points takes from them.
 *
 * Footprints are polygons with a `building_id` that households may
 * reference, and optionally a `name`, the `households` and `persons` they
 * hold (from the address register, 标准地址/一标三实), their `levels`
 * (floors) and an OSM `building` type. An OpenStreetMap file (.osm, .pbf)
 * is read directly: its `multipolygons` layer, only features tagged
 * building, the id from osm_way_id/osm_id, levels from building:levels;
 * a building=yes with an amenity, shop, leisure, office, tourism or craft
 * tag is taken as that (a gym, a mall), not a home.
 * A footprint without an id gets "F" and its feature id. Footprints are
 * repaired when invalid and kept in metres with a point inside each.
 *
 * gs__io_households_from_buildings turns footprints into households for
 * a run given no household points: each building's given count, or one
 * estimated from its floor area (area x levels / m2 per household, homes
 * only), as household points at its inner point.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "geom.h"
#include "osm.h"
#include "source.h"

enum {
    F_ID,
    F_NAME,
    F_HH,
    F_PERSONS,
    F_LEVELS,
    F_TYPE,
    F_OSM_WAY,
    F_OSM_ID,
    F_OTHER,
    F_LEVELS2,
    F_AMENITY,
    F_SHOP,
    F_LEISURE,
    F_OFFICE,
    F_TOURISM,
    F_CRAFT,
    F_COUNT
};
static const char *const fnames[F_COUNT] = {
    "building_id", "name",       "households", "persons",    "levels",
    "building",    "osm_way_id", "osm_id",     "other_tags", "building:levels",
    "amenity",     "shop",       "leisure",    "office",     "tourism",
    "craft"};

/* A count field: a whole number 0-1,000,000, or -1 when empty. A value
 * that is not one is an error naming the place. */
static int count_field(gs__src *s, OGRFeatureH f, int idx, const char *name,
                       gs__origin o, long *out) {
    long v;
    int ok;
    *out = -1;
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx)) return GS_OK;
    if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx)) == OFTString &&
        !OGR_F_GetFieldAsString(f, idx)[0])
        return GS_OK;
    gs__src_persons(f, idx, &v, &ok);
    if (!ok)
        return gs__err(s->ctx, GS_ERR_INPUT_VALUE,
                       "%s, field %s: '%s' is not a whole number from 0 to "
                       "1,000,000",
                       gs__src_where(s, o), name,
                       OGR_F_GetFieldAsString(f, idx));
    *out = v;
    return GS_OK;
}

static double levels_of(const char *v) {
    char *end;
    double x;
    if (!v || !*v) return 0;
    x = strtod(v, &end);
    return end != v && isfinite(x) && x > 0 && x < 500 ? x : 0;
}

/* Fills building b from feature f and its geometry geom (f's, or f's
 * without its far vertices); *keep 0 for an OSM feature that is no
 * building. */
static int one_building(gs__src *s, gs__model *m, OGRFeatureH f,
                        OGRGeometryH geom, gs__origin o, const int *fi, int osm,
                        OGRCoordinateTransformationH ct, gs__building *b,
                        int *keep) {
    GEOSContextHandle_t h = s->ctx->geos;
    const char *v[F_COUNT];
    char tag[64], idbuf[48];
    GEOSGeometry *g;
    int invalid = 0, rc;
    double lx, ly;
    *keep = 0;
    memset(b, 0, sizeof *b);
    b->origin = o;
    for (int k = 0; k < F_COUNT; k++) {
        v[k] = "";
        if (k == F_HH || k == F_PERSONS) continue;
        if ((rc = gs__src_str(s, f, fi[k], fnames[k], &v[k]))) return rc;
    }
    if (osm && (!v[F_TYPE][0] || !strcmp(v[F_TYPE], "no"))) return GS_OK;
    if ((rc = count_field(s, f, fi[F_HH], "households", o, &b->households)) ||
        (rc = count_field(s, f, fi[F_PERSONS], "persons", o, &b->persons)))
        return rc;
    b->name = v[F_NAME];
    b->type = v[F_TYPE];
    if (!strcmp(b->type, "yes")) /* building=yes: what it is used for */
        for (int k = F_AMENITY; k <= F_CRAFT; k++)
            if (v[k][0]) {
                char t[128];
                snprintf(t, sizeof t, "%s=%s", fnames[k], v[k]);
                b->type = gs__arena_strdup(&m->strings, t);
                if (!b->type)
                    return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
                break;
            }
    b->levels = levels_of(v[F_LEVELS]);
    if (!b->levels) b->levels = levels_of(v[F_LEVELS2]);
    if (!b->levels &&
        gs__osm_tag(v[F_OTHER], "building:levels", tag, sizeof tag))
        b->levels = levels_of(tag);
    if (v[F_ID][0])
        b->id = v[F_ID];
    else {
        if (v[F_OSM_WAY][0])
            snprintf(idbuf, sizeof idbuf, "w%s", v[F_OSM_WAY]);
        else if (v[F_OSM_ID][0])
            snprintf(idbuf, sizeof idbuf, "r%s", v[F_OSM_ID]);
        else
            snprintf(idbuf, sizeof idbuf, "F%ld", o.fid);
        b->id = gs__arena_strdup(&m->strings, idbuf);
        if (!b->id) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    }
    g = gs__src_to_metric(s, geom, ct, o);
    if (!g) return s->ctx->errcode ? s->ctx->errcode : GS_ERR_INTERNAL;
    b->geom = gs__geom_check_repair(h, g, &invalid, tag, sizeof tag, &lx, &ly);
    if (!b->geom) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
    b->area = gs__geom_area(h, b->geom);
    if (b->area <= 0) {
        GEOSGeom_destroy_r(h, b->geom);
        b->geom = NULL;
        return GS_OK; /* a degenerate footprint holds nothing */
    }
    {
        GEOSGeometry *p = GEOSPointOnSurface_r(h, b->geom);
        if (!p) return gs__err_lib(s->ctx, GS_ERR_INTERNAL, "GEOS failed");
        GEOSGeomGetX_r(h, p, &b->x);
        GEOSGeomGetY_r(h, p, &b->y);
        GEOSGeom_destroy_r(h, p);
    }
    *keep = 1;
    return GS_OK;
}

int gs__io_read_buildings(gs_ctx *ctx, const gs_input_opts *opts,
                          const char *path, gs__model *m,
                          const gs__crsinfo *crs, gs__inputs *info) {
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
    int rc, fi[F_COUNT], osm = gs__osm_path(path);
    const gs_input_opts *in = gs__osm_opts(
        opts, path, "buildings", "multipolygons", &tmp, list, 65, spec);

    rc = gs__src_open(ctx, in, "buildings", path, 1, &m->strings, &s, info);
    if (rc) return rc;
    for (int k = 0; k < F_COUNT; k++)
        if ((rc = gs__src_field(&s, fnames[k], 0, &fi[k]))) goto done;
    if ((rc = gs__src_read_polys(&s, m, &raw, &n, &env))) goto done;
    far = gs__calloc(n ? n : 1, sizeof *far);
    if (!far) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = gs__src_poly_bulk(&s, raw, n, &bulk, far, &env, info)) ||
        (rc = gs__src_check_geographic(&s, &env)) ||
        (rc = gs__crs_transform(ctx, s.srs, crs->metric, &ct)))
        goto done;
    m->buildings = gs__calloc(n ? n : 1, sizeof *m->buildings);
    if (!m->buildings) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int keep;
        OGRGeometryH geom = OGR_F_GetGeometryRef(raw[i].f), kept = NULL;
        if (far[i].n) {
            /* A stray vertex at (0, 0) would stretch the footprint across
             * the city: the building is used without the bad vertices. */
            char why[300];
            kept = gs__geom_without_far(geom, &bulk);
            if (!kept) {
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            gs__far_text(&s, &bulk, &far[i], why, sizeof why);
            gs__warn(ctx, "%s: building has %s; it is used without them",
                     gs__src_where(&s, raw[i].origin), why);
            geom = kept;
        }
        rc = one_building(&s, m, raw[i].f, geom, raw[i].origin, fi, osm, ct,
                          &m->buildings[m->n_buildings], &keep);
        if (kept) OGR_G_DestroyGeometry(kept);
        if (rc) {
            GEOSGeom_destroy_r(ctx->geos, m->buildings[m->n_buildings].geom);
            goto done;
        }
        if (keep) m->n_buildings++;
    }
    if (m->n_buildings == 0)
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s, layer %s (buildings): no feature is a usable "
                     "building footprint",
                     path, s.layer);
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free(far);
    gs__rawfeats_free(raw, n);
    gs__src_close(&s);
    return rc;
}

/* ---- households from footprints ----------------------------------------- */

void gs__io_estimate_buildings(gs__model *m, const gs_rules *r,
                               long *out_estimated) {
    long est = 0;
    for (size_t i = 0; i < m->n_buildings; i++) {
        gs__building *b = &m->buildings[i];
        if (b->households >= 0) {
            if (b->persons < 0)
                b->persons =
                    lround((double)b->households * r->persons_per_household);
            continue;
        }
        b->estimated = 1;
        est++;
        if (b->type[0] && !gs__osm_residential(b->type)) {
            b->households = 0;
        } else {
            double lv = b->levels > 0 ? b->levels : r->default_levels;
            b->households = lround(b->area * lv / r->m2_per_household);
        }
        if (b->persons < 0)
            b->persons =
                lround((double)b->households * r->persons_per_household);
    }
    if (out_estimated) *out_estimated = est;
}

int gs__io_households_from_buildings(gs_ctx *ctx, gs__model *m) {
    size_t total = 0, k = 0;
    for (size_t i = 0; i < m->n_buildings; i++)
        if (m->buildings[i].households > 0)
            total += (size_t)m->buildings[i].households;
    free(m->households);
    m->households = gs__malloc((total ? total : 1) * sizeof *m->households);
    m->n_households = 0;
    if (!m->households) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < m->n_buildings; i++) {
        const gs__building *b = &m->buildings[i];
        long n = b->households > 0 ? b->households : 0;
        long p = b->persons > 0 ? b->persons : 0;
        for (long j = 0; j < n; j++) {
            gs__household *hh = &m->households[k++];
            memset(hh, 0, sizeof *hh);
            hh->id = "";
            hh->care_type = "";
            hh->building_id = b->id;
            hh->x = b->x;
            hh->y = b->y;
            /* the building's persons spread as evenly as whole numbers
             * go: the first p mod n households one more */
            hh->persons = p / n + (j < p % n ? 1 : 0);
            hh->persons_ok = 1;
            hh->origin = b->origin;
        }
    }
    m->n_households = k;
    return GS_OK;
}
