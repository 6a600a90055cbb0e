/*
 * merge_read.c - reading the sources of a merge (shard outputs) and
 * checking that they fit together.
 *
 * A source is a GeoPackage, a PG: string, or, beside a PostgreSQL output,
 * a bare schema name in its database. Each must be a hotspots run's output
 * with the period, zone, history and rules of the others (run_metadata);
 * its grid_events must be in the first source's CRS, and no two sources
 * may hold the grids of one community. The grids are read back through
 * gs__io_read_grids, in the metric CRS a single run over all of them
 * picks (the one at the centre of their extent), so Gi* sees the shapes a
 * run sees; each is paired with its feature, whose fields are copied.
 * Features are kept with their datasets open (a feature uses its layer's
 * definition); merge.c frees them first.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crs.h"
#include "merge_state.h"

const char *const gs__hs_same_keys[GS__HS_N_SAME] = {
    "period_from", "period_to", "as_of", "time_zone", "history_weeks", "rules"};

/* 1 for a bare schema name ([a-z_][a-z0-9_]*), as --schema takes. */
static int is_schema_name(const char *s) {
    if (!s[0] || (s[0] >= '0' && s[0] <= '9')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

/* What GDAL opens for source `name`: a PG: string as it is, a file, or
 * a bare schema name in the database of a PG: output. */
static int source_path(gs__hs_merge *M, const char *name, char **out) {
    struct stat st;
    const char *o = M->opts->common.output;
    size_t n;
    *out = NULL;
    if (!strncmp(name, "PG:", 3) || stat(name, &st) == 0) {
        *out = gs__strdup(name);
    } else if (gs__out_is_pg(o) && is_schema_name(name)) {
        n = strlen(o) + strlen(name) + 32;
        if ((*out = gs__malloc(n)))
            snprintf(*out, n, "%s active_schema=%s", o, name);
    } else {
        return gs__err(M->ctx, GS_ERR_INPUT_OPEN, "{merge} %s: no such file%s",
                       name, gs__out_is_pg(o) ? " or schema name" : "");
    }
    return *out ? GS_OK : gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
}

OGRLayerH gs__hs_need_layer(gs__hs_merge *M, gs__hs_msrc *s, const char *layer,
                            int *rc) {
    OGRLayerH l = GDALDatasetGetLayerByName(s->ds, layer);
    if (!l)
        *rc = gs__err(M->ctx, GS_ERR_INPUT_OPEN,
                      "{merge} %s: no layer %s (not the output of a "
                      "gridsmith hotspots run?)",
                      s->name, layer);
    return l;
}

int gs__hs_need_field(gs__hs_merge *M, gs__hs_msrc *s, OGRLayerH l,
                      const char *field) {
    if (OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), field) >= 0) return GS_OK;
    return gs__err(M->ctx, GS_ERR_INPUT_FIELD,
                   "{merge} %s, layer %s: no field %s (written by another "
                   "version of gridsmith?)",
                   s->name, OGR_L_GetName(l), field);
}

const char *gs__hs_fstr(OGRFeatureH f, const char *field) {
    int i = OGR_F_GetFieldIndex(f, field);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsString(f, i)
               : "";
}

long long gs__hs_fint(OGRFeatureH f, const char *field) {
    int i = OGR_F_GetFieldIndex(f, field);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsInteger64(f, i)
               : 0;
}

/* The source's run_metadata values of gs__hs_same_keys; it must be a hotspots
 * run's. */
static int read_meta(gs__hs_merge *M, gs__hs_msrc *s) {
    int rc = GS_OK, hotspots = 0;
    OGRLayerH l = gs__hs_need_layer(M, s, "run_metadata", &rc);
    OGRFeatureH f;
    if (!l) return rc;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *k = gs__hs_fstr(f, "key"), *v = gs__hs_fstr(f, "value");
        if (!strcmp(k, "command")) hotspots = !strcmp(v, "hotspots");
        for (size_t i = 0; i < GS__HS_N_SAME; i++)
            if (!strcmp(k, gs__hs_same_keys[i]) && !s->meta[i] &&
                !(s->meta[i] = gs__strdup(v)))
                rc = GS_ERR_NOMEM;
        OGR_F_Destroy(f);
    }
    if (rc) return gs__err(M->ctx, rc, "out of memory");
    if (!hotspots)
        return gs__err(M->ctx, GS_ERR_INPUT,
                       "{merge} %s: run_metadata is not a hotspots run's",
                       s->name);
    for (size_t i = 0; i < GS__HS_N_SAME; i++)
        if (!s->meta[i])
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s: run_metadata has no %s", s->name,
                           gs__hs_same_keys[i]);
    return GS_OK;
}

static int read_categories(gs__hs_merge *M, gs__hs_msrc *s) {
    int rc = GS_OK;
    OGRLayerH l = gs__hs_need_layer(M, s, "categories", &rc);
    OGRFeatureH f;
    if (!l) return rc;
    if ((rc = gs__hs_need_field(M, s, l, "field")) ||
        (rc = gs__hs_need_field(M, s, l, "category")) ||
        (rc = gs__hs_need_field(M, s, l, "events")))
        return rc;
    s->cats =
        gs__calloc((size_t)OGR_L_GetFeatureCount(l, 1) + 1, sizeof *s->cats);
    if (!s->cats) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        gs__hs_scat *c = &s->cats[s->ncats];
        c->label = gs__strdup(gs__hs_fstr(f, "category"));
        c->field = gs__strdup(gs__hs_fstr(f, "field"));
        c->events = (long)gs__hs_fint(f, "events");
        OGR_F_Destroy(f);
        s->ncats++;
        if (!c->label || !c->field)
            return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    }
    return GS_OK;
}

static int cmp_fid(const void *a, const void *b) {
    GIntBig x = OGR_F_GetFID(*(OGRFeatureH const *)a),
            y = OGR_F_GetFID(*(OGRFeatureH const *)b);
    return x < y ? -1 : x > y;
}

/* The grid_events features, kept for their fields; their envelope joins
 * *env (in the layer's CRS, which every source must share). */
static int read_grid_rows(gs__hs_merge *M, gs__hs_msrc *s,
                          OGRSpatialReferenceH *srs, OGREnvelope *env,
                          int *have_env) {
    static const char *const need[] = {"grid_code", "community_code",
                                       "top_category", "events", "gi_z"};
    int rc = GS_OK;
    OGRLayerH l = gs__hs_need_layer(M, s, "grid_events", &rc);
    OGRSpatialReferenceH ls;
    size_t cap;
    OGRFeatureH f;
    if (!l) return rc;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if ((rc = gs__hs_need_field(M, s, l, need[i]))) return rc;
    ls = OGR_L_GetSpatialRef(l);
    if (!*srs && ls) *srs = ls;
    if (!ls || !OSRIsSame(ls, *srs))
        return gs__err(M->ctx, GS_ERR_INPUT_CRS,
                       "{merge} %s: grid_events is in another CRS than "
                       "the first source's",
                       s->name);
    cap = (size_t)OGR_L_GetFeatureCount(l, 1) + 1;
    s->grid_f = gs__malloc(cap * sizeof *s->grid_f);
    if (!s->grid_f) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (s->n_grid_f == cap) {
            OGR_F_Destroy(f);
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s: grid_events grew while read", s->name);
        }
        s->grid_f[s->n_grid_f++] = f;
        if (g && !OGR_G_IsEmpty(g)) {
            OGREnvelope e;
            OGR_G_GetEnvelope(g, &e);
            if (!*have_env) {
                *env = e;
                *have_env = 1;
            } else {
                env->MinX = fmin(env->MinX, e.MinX);
                env->MinY = fmin(env->MinY, e.MinY);
                env->MaxX = fmax(env->MaxX, e.MaxX);
                env->MaxY = fmax(env->MaxY, e.MaxY);
            }
        }
    }
    qsort(s->grid_f, s->n_grid_f, sizeof *s->grid_f, cmp_fid);
    return GS_OK;
}

typedef struct ccode {
    const char *code;
    size_t src;
} ccode;

static int cmp_ccode(const void *a, const void *b) {
    const ccode *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->src > y->src) - (x->src < y->src);
}

/* Sources are disjoint: a community's grids come from one source. */
static int check_disjoint(gs__hs_merge *M) {
    size_t n = 0;
    ccode *v = gs__malloc((M->ngrids ? M->ngrids : 1) * sizeof *v);
    int rc = GS_OK;
    if (!v) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ngrids; i++)
        v[n++] = (ccode){M->grids[i].g->community_code, M->grids[i].src};
    qsort(v, n, sizeof *v, cmp_ccode);
    for (size_t k = 1; k < n && !rc; k++)
        if (!strcmp(v[k].code, v[k - 1].code) && v[k].src != v[k - 1].src)
            rc = gs__err(M->ctx, GS_ERR_INPUT,
                         "{merge} %s and {merge} %s overlap: both hold the "
                         "grids of community %s (shards must be disjoint)",
                         M->s[v[k - 1].src].name, M->s[v[k].src].name,
                         v[k].code);
    free(v);
    return rc;
}

/* Reads every source's grid_events as grids in the metric CRS a single
 * run over all of them picks, and pairs each with its feature. */
static int read_grids(gs__hs_merge *M, OGRSpatialReferenceH srs,
                      const OGREnvelope *env) {
    const char *layers[] = {"grids=grid_events"};
    gs_input_opts in;
    size_t n = 0;
    int rc;
    gs_input_opts_init(&in);
    in.layers = layers;
    in.n_layers = 1;
    if ((rc = gs__crs_pick_metric(M->ctx, srs, (env->MinX + env->MaxX) / 2,
                                  (env->MinY + env->MaxY) / 2, &M->crs.metric,
                                  &M->crs.metric_name)))
        return rc;
    if (!(M->crs.output = gs__srs_clone_gis(srs)))
        return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++) {
        if (M->s[i].n_grid_f == 0) continue;
        if ((rc = gs__io_read_grids(M->ctx, &in, M->s[i].path, &M->s[i].m,
                                    &M->crs, NULL)))
            return rc;
        n += M->s[i].m.n_grids;
    }
    M->grids = gs__calloc(n ? n : 1, sizeof *M->grids);
    if (!M->grids) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++) {
        gs__hs_msrc *s = &M->s[i];
        for (size_t k = 0; k < s->m.n_grids; k++) {
            OGRFeatureH key = OGR_F_Create(OGR_F_GetDefnRef(s->grid_f[0]));
            OGRFeatureH *hit;
            if (!key) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
            OGR_F_SetFID(key, s->m.grids[k].origin.fid);
            hit = bsearch(&key, s->grid_f, s->n_grid_f, sizeof *s->grid_f,
                          cmp_fid);
            OGR_F_Destroy(key);
            if (!hit)
                return gs__err(M->ctx, GS_ERR_INPUT,
                               "{merge} %s: grid_events feature %ld "
                               "vanished while read",
                               s->name, s->m.grids[k].origin.fid);
            M->grids[M->ngrids++] =
                (gs__hs_mgrid){s->m.grids[k].geom, &s->m.grids[k], *hit, i};
        }
    }
    return check_disjoint(M);
}

/* GS_OK when source s has the run_metadata of the first source, and the
 * rules this merge was given; else GS_ERR_INPUT naming the key. */
static int check_agreement(gs__hs_merge *M, const gs__hs_msrc *s) {
    for (size_t k = 0; k < GS__HS_N_SAME; k++) {
        const char *want = k + 1 < GS__HS_N_SAME ? M->s[0].meta[k] : M->rules;
        if (!strcmp(s->meta[k], want)) continue;
        /* The option markers stay in the format: only there are they
         * shown as the caller's names for the options. */
        if (k + 1 < GS__HS_N_SAME)
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s: %s is %s, but in %s: merge the "
                           "shards of one run",
                           s->name, gs__hs_same_keys[k], s->meta[k],
                           M->s[0].name);
        return gs__err(M->ctx, GS_ERR_INPUT,
                       "{merge} %s: %s is %s, but this merge's is %s: "
                       "merge the shards of one run, with the {rules} "
                       "and {hex_size_m} the shards had",
                       s->name, gs__hs_same_keys[k], s->meta[k], want);
    }
    return GS_OK;
}

/* Opens source s and reads its run_metadata, categories and grid rows. */
static int read_source(gs__hs_merge *M, gs__hs_msrc *s,
                       OGRSpatialReferenceH *srs, OGREnvelope *env,
                       int *have_env) {
    int rc;
    if ((rc = source_path(M, s->name, &s->path))) return rc;
    gs__libmsg_clear(M->ctx);
    s->ds = GDALOpenEx(
        s->path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        NULL, NULL, NULL);
    if (!s->ds)
        return gs__err_lib(M->ctx, GS_ERR_INPUT_OPEN, "{merge} %s: cannot open",
                           s->name);
    if ((rc = read_meta(M, s)) || (rc = read_categories(M, s)) ||
        (rc = read_grid_rows(M, s, srs, env, have_env)))
        return rc;
    return check_agreement(M, s);
}

int gs__hs_merge_read(gs__hs_merge *M) {
    OGRSpatialReferenceH srs = NULL;
    OGREnvelope env = {0, 0, 0, 0};
    int have_env = 0, rc;
    const gs_rules *R = M->opts->common.rules;
    double hex = M->opts->hex_size_m > 0 ? M->opts->hex_size_m : R->hex_size_m;
    if (!(M->rules = gs__hs_rules_json(R, hex)))
        return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++)
        if ((rc = read_source(M, &M->s[i], &srs, &env, &have_env))) return rc;
    if (!have_env)
        return gs__err(M->ctx, GS_ERR_INPUT_EMPTY,
                       "{merge}: no source has a grid in grid_events");
    return read_grids(M, srs, &env);
}
