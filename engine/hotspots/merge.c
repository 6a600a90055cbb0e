/*
 * merge.c - `gridsmith hotspots --merge`: the reduce step of sharded
 * hotspots runs.
 *
 * A shard (`--shard PREFIX`) analyses its communities and a 1 km halo and
 * writes the rows it owns: the grids and hexagons whose community code has
 * the prefix, and in `categories` the period's events it owns (counted in
 * one of its grids, or, in no grid, lying in one of its hexagons). Counts
 * are then exact, but what depends on the whole study area is not: the
 * order of the categories (cat_1 is the most frequent) and Gi*, whose mean,
 * variance and Benjamini-Hochberg ranks run over every unit.
 *
 * The merge reads only the shards' small output tables, never events:
 *
 *   categories    summed over the sources, ordered as place_events.c orders
 *                 them (most events first, then by text), which fixes
 *                 cat_1..cat_N and cat_other as in a single run;
 *   grid_events   the sources' rows (disjoint: a community code in two
 *                 sources is refused), the cat columns re-mapped through
 *                 each source's `categories`, top_category recomputed from
 *                 them, and Gi* recomputed over all grids on the value the
 *                 rules name (read back from events, events_per_km2 or
 *                 events_per_100hh, which are the very doubles Gi* used),
 *                 with queen contiguity rebuilt by gs__hs_queen_geoms from
 *                 the grid polygons, read through gs__io_read_grids in the
 *                 metric CRS a single run picks (the centre of all grids);
 *   hex_hotspots  the sources' hexagons (each once: a (q, r) in two sources
 *                 is refused), sorted by (r, q) as a run sorts them, Gi*
 *                 recomputed on the counts with ring-1 lattice neighbours
 *                 found from q and r, without geometry;
 *   run_metadata  the period, zone and rules the sources agree on (they
 *                 must), this merge's Gi* notes and the sources merged.
 *
 * The same functions as in a run compute Gi* (gs__hs_gi_run), so a merge
 * equals a single run to the bit when the units come in the same order;
 * the grids come in source order, then each source's order, so a grids
 * layer stored district by district gives the same sums in the same
 * order. Emerging classes, clusters, trouble spots, summaries, event
 * issues and the density raster are not merged: they stay per shard.
 *
 * Everything is read and checked before the writer opens, and the writer
 * commits once (out.c): a failed merge writes nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <gdal.h>
#include <json-c/json.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crs.h"
#include "hotspot.h"
#include "layers.h"
#include "merge.h"
#include "io.h"
#include "model.h"
#include "writer.h"
#include "datetime.h"
#include "report.h"
#include "shard.h"

/* The most sources one merge takes (a province has ~3,000 streets). */
#define MAX_SOURCES 10000

/* run_metadata keys the sources must agree on. */
static const char *const same_keys[] = {
    "period_from", "period_to", "as_of", "time_zone", "history_weeks", "rules"};
#define N_SAME (sizeof same_keys / sizeof same_keys[0])

typedef struct scat {
    char *label; /* as written (未分类 for the empty category) */
    char *field; /* cat_K, cat_other or "" */
    long events;
    size_t global; /* index in the merged order */
} scat;

typedef struct msrc {
    const char *name; /* as given */
    char *path;       /* what GDAL opens */
    GDALDatasetH ds;
    char *meta[N_SAME];
    scat *cats;
    size_t ncats;
    OGRFeatureH *grid_f; /* grid_events features, sorted by fid */
    size_t n_grid_f;
    gs__model m; /* grid_events read as grids: metric geometries */
} msrc;

typedef struct gcat {
    const char *label; /* borrowed from a source */
    const char *raw;   /* the text a run sorts: "" for 未分类 */
    long events;
} gcat;

typedef struct mgrid {
    GEOSGeometry *geom; /* borrowed from its source's model */
    const gs__grid *g;
    OGRFeatureH f; /* borrowed */
    size_t src;
} mgrid;

typedef struct mhex {
    int64_t q, r;
    OGRFeatureH f; /* owned */
    size_t src;
} mhex;

typedef struct merge {
    gs_ctx *ctx;
    const gs_hotspots_opts *opts;
    msrc *s;
    size_t ns;
    gcat *cats;
    size_t ncats, nf; /* categories; those with a field */
    int other;        /* cat_other written */
    char names[GS__HS_MAX_CAT_FIELDS][32];
    mgrid *grids;
    size_t ngrids;
    mhex *hex;
    size_t nhex;
    gs__hs_gi grid_gi, hex_gi;
    gs__crsinfo crs;
    char *rules;
    char started[32];
    long events;
} merge;

/* Features before their datasets: a feature uses its layer's definition. */
static void merge_free(merge *M) {
    for (size_t k = 0; k < M->nhex; k++) OGR_F_Destroy(M->hex[k].f);
    free(M->hex);
    for (size_t i = 0; i < M->ns; i++) {
        msrc *s = &M->s[i];
        for (size_t k = 0; k < N_SAME; k++) free(s->meta[k]);
        for (size_t k = 0; k < s->ncats; k++) {
            free(s->cats[k].label);
            free(s->cats[k].field);
        }
        free(s->cats);
        for (size_t k = 0; k < s->n_grid_f; k++) OGR_F_Destroy(s->grid_f[k]);
        free(s->grid_f);
        gs__model_free(&s->m);
        if (s->ds) GDALClose(s->ds);
        free(s->path);
    }
    free(M->s);
    free(M->cats);
    free(M->grids);
    gs__hs_gi_free(&M->grid_gi);
    gs__hs_gi_free(&M->hex_gi);
    gs__crsinfo_free(&M->crs);
    free(M->rules);
}

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
static int source_path(merge *M, const char *name, char **out) {
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

static OGRLayerH need_layer(merge *M, msrc *s, const char *layer, int *rc) {
    OGRLayerH l = GDALDatasetGetLayerByName(s->ds, layer);
    if (!l)
        *rc = gs__err(M->ctx, GS_ERR_INPUT_OPEN,
                      "{merge} %s: no layer %s (not the output of a "
                      "gridsmith hotspots run?)",
                      s->name, layer);
    return l;
}

static int need_field(merge *M, msrc *s, OGRLayerH l, const char *field) {
    if (OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), field) >= 0) return GS_OK;
    return gs__err(M->ctx, GS_ERR_INPUT_FIELD,
                   "{merge} %s, layer %s: no field %s (written by another "
                   "version of gridsmith?)",
                   s->name, OGR_L_GetName(l), field);
}

static const char *fstr(OGRFeatureH f, const char *field) {
    int i = OGR_F_GetFieldIndex(f, field);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsString(f, i)
               : "";
}

static long long fint(OGRFeatureH f, const char *field) {
    int i = OGR_F_GetFieldIndex(f, field);
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsInteger64(f, i)
               : 0;
}

/* The source's run_metadata values of same_keys; it must be a hotspots
 * run's. */
static int read_meta(merge *M, msrc *s) {
    int rc = GS_OK, hotspots = 0;
    OGRLayerH l = need_layer(M, s, "run_metadata", &rc);
    OGRFeatureH f;
    if (!l) return rc;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *k = fstr(f, "key"), *v = fstr(f, "value");
        if (!strcmp(k, "command")) hotspots = !strcmp(v, "hotspots");
        for (size_t i = 0; i < N_SAME; i++)
            if (!strcmp(k, same_keys[i]) && !s->meta[i] &&
                !(s->meta[i] = gs__strdup(v)))
                rc = GS_ERR_NOMEM;
        OGR_F_Destroy(f);
    }
    if (rc) return gs__err(M->ctx, rc, "out of memory");
    if (!hotspots)
        return gs__err(M->ctx, GS_ERR_INPUT,
                       "{merge} %s: run_metadata is not a hotspots run's",
                       s->name);
    for (size_t i = 0; i < N_SAME; i++)
        if (!s->meta[i])
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s: run_metadata has no %s", s->name,
                           same_keys[i]);
    return GS_OK;
}

static int read_categories(merge *M, msrc *s) {
    int rc = GS_OK;
    OGRLayerH l = need_layer(M, s, "categories", &rc);
    OGRFeatureH f;
    if (!l) return rc;
    if ((rc = need_field(M, s, l, "field")) ||
        (rc = need_field(M, s, l, "category")) ||
        (rc = need_field(M, s, l, "events")))
        return rc;
    s->cats =
        gs__calloc((size_t)OGR_L_GetFeatureCount(l, 1) + 1, sizeof *s->cats);
    if (!s->cats) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        scat *c = &s->cats[s->ncats];
        c->label = gs__strdup(fstr(f, "category"));
        c->field = gs__strdup(fstr(f, "field"));
        c->events = (long)fint(f, "events");
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
static int read_grid_rows(merge *M, msrc *s, OGRSpatialReferenceH *srs,
                          OGREnvelope *env, int *have_env) {
    static const char *const need[] = {"grid_code", "community_code",
                                       "top_category", "events", "gi_z"};
    int rc = GS_OK;
    OGRLayerH l = need_layer(M, s, "grid_events", &rc);
    OGRSpatialReferenceH ls;
    size_t cap;
    OGRFeatureH f;
    if (!l) return rc;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if ((rc = need_field(M, s, l, need[i]))) return rc;
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

/* ---- categories ---------------------------------------------------------- */

static const char *raw_text(const char *label) {
    return strcmp(label, gs__hs_category_label("")) ? label : "";
}

static int cmp_gcat(const void *a, const void *b) {
    const gcat *x = a, *y = b;
    return gs__hs_cat_cmp(x->events, x->raw, y->events, y->raw);
}

static int cmp_gcat_label(const void *a, const void *b) {
    return strcmp(((const gcat *)a)->label, ((const gcat *)b)->label);
}

/* The union of the sources' categories with their events summed, in a
 * run's order; every source category learns its merged index. A source
 * whose cat_other holds a category that gets a field of its own here
 * cannot be split again: bad input. */
static int merge_categories(merge *M) {
    size_t total = 0, n = 0, present = 0;
    for (size_t i = 0; i < M->ns; i++) total += M->s[i].ncats;
    M->cats = gs__calloc(total + 1, sizeof *M->cats);
    if (!M->cats) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++)
        for (size_t k = 0; k < M->s[i].ncats; k++)
            M->cats[n++] =
                (gcat){M->s[i].cats[k].label, raw_text(M->s[i].cats[k].label),
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
    M->nf =
        present > GS__HS_MAX_CAT_FIELDS ? GS__HS_MAX_CAT_FIELDS - 1 : present;
    M->other = present > GS__HS_MAX_CAT_FIELDS;
    for (size_t i = 0; i < M->ns; i++)
        for (size_t k = 0; k < M->s[i].ncats; k++) {
            scat *c = &M->s[i].cats[k];
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

/* ---- grids --------------------------------------------------------------- */

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
static int check_disjoint(merge *M) {
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
static int read_grids(merge *M, OGRSpatialReferenceH srs,
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
        msrc *s = &M->s[i];
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
                (mgrid){s->m.grids[k].geom, &s->m.grids[k], *hit, i};
        }
    }
    return check_disjoint(M);
}

/* Gi* of all grids, on the value the rules name, read back from the very
 * field the shard computed it into; queen contiguity as a run builds it. */
static int grid_gi(merge *M) {
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

/* ---- hexagons ------------------------------------------------------------ */

static int cmp_mhex(const void *a, const void *b) {
    const mhex *x = a, *y = b;
    int c = gs__hex_cmp(&(gs__hex){x->q, x->r}, &(gs__hex){y->q, y->r});
    return c ? c : (x->src > y->src) - (x->src < y->src);
}

/* Every source's hexagons, in a run's (r, q) order; Gi* over all of them
 * with ring-1 neighbours from the lattice coordinates. */
static int merge_hexes(merge *M) {
    size_t cap = 0, *start = NULL, *nbr = NULL;
    gs__hex *hx = NULL;
    double *x = NULL;
    int rc = GS_OK;
    for (size_t i = 0; i < M->ns; i++) {
        msrc *s = &M->s[i];
        OGRLayerH l = need_layer(M, s, "hex_hotspots", &rc);
        OGRFeatureH f;
        if (!l) return rc;
        if ((rc = need_field(M, s, l, "q")) ||
            (rc = need_field(M, s, l, "r")) ||
            (rc = need_field(M, s, l, "events")))
            return rc;
        OGR_L_ResetReading(l);
        while ((f = OGR_L_GetNextFeature(l)) != NULL) {
            if (M->nhex == cap) {
                size_t nc = cap ? 2 * cap : 1024;
                mhex *nv = gs__realloc(M->hex, nc * sizeof *nv);
                if (!nv) {
                    OGR_F_Destroy(f);
                    return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
                }
                M->hex = nv;
                cap = nc;
            }
            M->hex[M->nhex++] = (mhex){fint(f, "q"), fint(f, "r"), f, i};
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
                           fstr(M->hex[k].f, "hex_id"));
    if (M->nhex == 0) {
        snprintf(M->hex_gi.note, sizeof M->hex_gi.note,
                 "no hexagon overlaps the communities");
        return GS_OK;
    }
    hx = gs__malloc(M->nhex * sizeof *hx);
    x = gs__malloc(M->nhex * sizeof *x);
    if (!hx || !x) {
        rc = gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < M->nhex; k++) {
        hx[k] = (gs__hex){M->hex[k].q, M->hex[k].r};
        x[k] = (double)fint(M->hex[k].f, "events");
    }
    if ((rc = gs__hex_adjacency(hx, M->nhex, &start, &nbr))) {
        rc = gs__err(M->ctx, rc, "hexagon adjacency failed");
        goto done;
    }
    if ((rc = gs__hs_gi_run(x, NULL, M->nhex, start, nbr,
                            M->opts->common.rules->min_units, "hexagons",
                            &M->hex_gi)))
        rc = gs__err(M->ctx, rc, "Gi* on the hexagons failed");
done:
    free(hx);
    free(x);
    free(start);
    free(nbr);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

static void set_gi(OGRFeatureH f, const gs__hs_gi *g, size_t i) {
    int iz = OGR_F_GetFieldIndex(f, "gi_z"),
        ip = OGR_F_GetFieldIndex(f, "gi_p"),
        ib = OGR_F_GetFieldIndex(f, "gi_bin");
    if (g->done && isfinite(g->z[i])) {
        OGR_F_SetFieldDouble(f, iz, g->z[i]);
        OGR_F_SetFieldDouble(f, ip, g->p[i]);
        OGR_F_SetFieldInteger64(f, ib, g->bin[i]);
    } else {
        OGR_F_SetFieldNull(f, iz);
        OGR_F_SetFieldNull(f, ip);
        OGR_F_SetFieldNull(f, ib);
    }
}

/* Copies the fields of `from` that `to` has by name, but those named in
 * skip (prefix match when the entry ends in '*'). */
static void copy_fields(OGRFeatureH to, OGRFeatureH from,
                        const char *const *skip, size_t nskip) {
    for (int j = 0; j < OGR_F_GetFieldCount(to); j++) {
        OGRFieldDefnH d = OGR_F_GetFieldDefnRef(to, j);
        const char *name = OGR_Fld_GetNameRef(d);
        int k = OGR_F_GetFieldIndex(from, name), skipped = 0;
        for (size_t q = 0; q < nskip && !skipped; q++) {
            size_t len = strlen(skip[q]);
            skipped = skip[q][len - 1] == '*' ? !strncmp(name, skip[q], len - 1)
                                              : !strcmp(name, skip[q]);
        }
        if (skipped || k < 0) continue;
        if (!OGR_F_IsFieldSetAndNotNull(from, k)) {
            OGR_F_SetFieldNull(to, j);
            continue;
        }
        switch (OGR_Fld_GetType(d)) {
            case OFTInteger:
            case OFTInteger64:
                OGR_F_SetFieldInteger64(to, j,
                                        OGR_F_GetFieldAsInteger64(from, k));
                break;
            case OFTReal:
                OGR_F_SetFieldDouble(to, j, OGR_F_GetFieldAsDouble(from, k));
                break;
            default:
                OGR_F_SetFieldString(to, j, OGR_F_GetFieldAsString(from, k));
        }
    }
}

static int write_grids(merge *M, gs__out *o) {
    static const char *const skip[] = {"cat_*", "top_category", "gi_z",
                                       "gi_p",  "gi_bin",       "shard"};
    const char *labels[GS__HS_MAX_CAT_FIELDS];
    long *cnt = gs__malloc((M->ncats ? M->ncats : 1) * sizeof *cnt);
    gs__olayer *l;
    int rc;
    if (!cnt) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < M->nf; k++) labels[k] = M->cats[k].label;
    rc = gs__hs_grid_layer(o, labels, M->nf, M->other, M->names, &l);
    for (size_t i = 0; !rc && i < M->ngrids; i++) {
        const mgrid *g = &M->grids[i];
        const msrc *s = &M->s[g->src];
        OGRFeatureH f = gs__out_feature(l);
        const char *top_label = fstr(g->f, "top_category");
        long lumped = 0, other = 0;
        int top = -1, top_known = 0;
        if (!f) {
            rc = gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
            break;
        }
        memset(cnt, 0, M->ncats * sizeof *cnt);
        for (size_t k = 0; k < s->ncats; k++) {
            const scat *c = &s->cats[k];
            if (!strncmp(c->field, "cat_", 4) && strcmp(c->field, "cat_other"))
                cnt[c->global] = (long)fint(g->f, c->field);
            if (!strcmp(c->label, top_label))
                top_known = strcmp(c->field, "cat_other") != 0;
        }
        lumped = (long)fint(g->f, "cat_other");
        /* The most frequent category, the first in the merged order on a
         * tie, as write_grids in run_hotspots.c; a top summed in the
         * source's cat_other keeps the source's choice. */
        for (size_t k = 0; k < M->ncats; k++)
            if (cnt[k] > 0 && (top < 0 || cnt[k] > cnt[top])) top = (int)k;
        for (size_t k = M->nf; k < M->ncats; k++) other += cnt[k];
        copy_fields(f, g->f, skip, sizeof skip / sizeof skip[0]);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "top_category"),
                             lumped > 0 && top_label[0] && !top_known
                                 ? top_label
                             : top >= 0 ? M->cats[top].label
                                        : "");
        for (size_t k = 0; k < M->nf; k++)
            OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, M->names[k]),
                                    cnt[k]);
        if (M->other)
            OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, "cat_other"),
                                    other + lumped);
        set_gi(f, &M->grid_gi, i);
        if ((rc = gs__out_wkb(o, f, g->g->src_wkb, g->g->src_wkb_len))) {
            OGR_F_Destroy(f);
            break;
        }
        rc = gs__out_put(o, l, f);
    }
    free(cnt);
    return rc;
}

static int write_categories(merge *M, gs__out *o) {
    gs__olayer *l;
    int rc = gs__hs_categories_layer(o, &l);
    for (size_t k = 0; !rc && k < M->ncats; k++) {
        OGRFeatureH f = gs__out_feature(l);
        if (!f) return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        OGR_F_SetFieldString(f, 0,
                             k < M->nf                           ? M->names[k]
                             : M->other && M->cats[k].events > 0 ? "cat_other"
                                                                 : "");
        OGR_F_SetFieldString(f, 1, M->cats[k].label);
        OGR_F_SetFieldInteger64(f, 2, M->cats[k].events);
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_hexes(merge *M, gs__out *o) {
    static const char *const skip[] = {"gi_z", "gi_p", "gi_bin", "shard"};
    gs__olayer *l;
    int rc = gs__hs_hex_layer(o, &l);
    for (size_t k = 0; !rc && k < M->nhex; k++) {
        OGRFeatureH f = gs__out_feature(l);
        OGRGeometryH g = OGR_F_GetGeometryRef(M->hex[k].f);
        unsigned char *wkb = NULL;
        size_t n = g ? (size_t)OGR_G_WkbSize(g) : 0;
        if (!f || (g && !(wkb = gs__malloc(n ? n : 1)))) {
            if (f) OGR_F_Destroy(f);
            return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
        }
        copy_fields(f, M->hex[k].f, skip, sizeof skip / sizeof skip[0]);
        set_gi(f, &M->hex_gi, k);
        if (g) OGR_G_ExportToWkb(g, wkbNDR, wkb);
        rc = g ? gs__out_wkb(o, f, wkb, n) : GS_OK;
        free(wkb);
        if (rc) {
            OGR_F_Destroy(f);
            break;
        }
        rc = gs__out_put(o, l, f);
    }
    return rc;
}

static int write_meta(merge *M, gs__out *o) {
    json_object *a = json_object_new_array();
    int rc = gs__out_meta_run(o, "hotspots", M->opts->common.command_line,
                              M->started, M->rules, M->crs.metric_name, NULL);
    for (size_t k = 0; !rc && k + 1 < N_SAME; k++) /* rules: written */
        rc = gs__out_meta(o, same_keys[k], M->s[0].meta[k]);
    if (!rc)
        rc = gs__out_meta(o, "grid_gi",
                          M->grid_gi.done ? "computed" : M->grid_gi.note);
    if (!rc)
        rc = gs__out_meta(o, "hex_gi",
                          M->hex_gi.done ? "computed" : M->hex_gi.note);
    for (size_t i = 0; i < M->ns; i++)
        json_object_array_add(a, json_object_new_string(M->s[i].name));
    if (!rc)
        rc = gs__out_meta(
            o, "merged_from",
            json_object_to_json_string_ext(
                a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(a);
    if (!rc)
        rc = gs__out_meta(o, "merged_layers",
                          "grid_events, hex_hotspots, categories (emerging, "
                          "clusters, trouble_spots, summaries, event_issues, "
                          "bad_rows and the density stay in the sources)");
    return rc;
}

/* ---- the report ---------------------------------------------------------- */

static void gi_line(gs__buf *t, json_object *o, const gs__hs_gi *g, size_t n,
                    const char *what) {
    long b[7] = {0, 0, 0, 0, 0, 0, 0};
    json_object *j = json_object_new_object();
    for (size_t i = 0; g->done && i < n; i++)
        if (isfinite(g->z[i])) b[g->bin[i] + 3]++;
    json_object_object_add(j, "units", json_object_new_int64((int64_t)n));
    json_object_object_add(j, "computed", json_object_new_boolean(g->done));
    json_object_object_add(j, "note",
                           g->done ? NULL : json_object_new_string(g->note));
    json_object_object_add(j, "hot_95", json_object_new_int64(b[5] + b[6]));
    json_object_object_add(j, "cold_95", json_object_new_int64(b[0] + b[1]));
    json_object_object_add(o, what, j);
    if (!g->done)
        gs__buf_printf(t, "  %s: %s\n", what, g->note);
    else
        gs__buf_printf(t,
                       "  %s: %zu; %ld hot spots (%ld at 99%%), %ld cold, "
                       "passing FDR 0.05\n",
                       what, n, b[5] + b[6], b[6], b[0] + b[1]);
}

static gs_report *make_report(merge *M) {
    json_object *o = json_object_new_object();
    gs__buf t;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("hotspots"));
    json_object_object_add(o, "output",
                           json_object_new_string(M->opts->common.output));
    json_object_object_add(o, "merged_sources",
                           json_object_new_int64((int64_t)M->ns));
    json_object_object_add(o, "events_in_period",
                           json_object_new_int64(M->events));
    gs__buf_init(&t, 0);
    gs__buf_printf(&t,
                   "hotspots, merged: %zu shard outputs, %s to %s, %ld events "
                   "in the period, %zu categories\n",
                   M->ns, M->s[0].meta[0], M->s[0].meta[1], M->events,
                   M->ncats);
    gi_line(&t, o, &M->grid_gi, M->ngrids, "grids");
    gi_line(&t, o, &M->hex_gi, M->nhex, "hexagons");
    gs__buf_printf(&t,
                   "  wrote %s (grid_events, hex_hotspots, categories, "
                   "run_metadata; the other layers stay per shard)\n",
                   M->opts->common.output);
    return gs__report_from_buf(M->ctx, o, &t, 0);
}

/* ---- the merge ----------------------------------------------------------- */

/* Opens and reads every source, checking that they fit together. */
static int read_sources(merge *M) {
    OGRSpatialReferenceH srs = NULL;
    OGREnvelope env = {0, 0, 0, 0};
    int have_env = 0, rc;
    const gs_rules *R = M->opts->common.rules;
    double hex = M->opts->hex_size_m > 0 ? M->opts->hex_size_m : R->hex_size_m;
    if (!(M->rules = gs__hs_rules_json(R, hex)))
        return gs__err(M->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M->ns; i++) {
        msrc *s = &M->s[i];
        if ((rc = source_path(M, s->name, &s->path))) return rc;
        gs__libmsg_clear(M->ctx);
        s->ds = GDALOpenEx(
            s->path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
            NULL, NULL, NULL);
        if (!s->ds)
            return gs__err_lib(M->ctx, GS_ERR_INPUT_OPEN,
                               "{merge} %s: cannot open", s->name);
        if ((rc = read_meta(M, s)) || (rc = read_categories(M, s)) ||
            (rc = read_grid_rows(M, s, &srs, &env, &have_env)))
            return rc;
        for (size_t k = 0; k < N_SAME; k++) {
            const char *want = k + 1 < N_SAME ? M->s[0].meta[k] : M->rules;
            if (!strcmp(s->meta[k], want)) continue;
            /* The option markers stay in the format: only there are they
             * shown as the caller's names for the options. */
            if (k + 1 < N_SAME)
                return gs__err(M->ctx, GS_ERR_INPUT,
                               "{merge} %s: %s is %s, but in %s: merge the "
                               "shards of one run",
                               s->name, same_keys[k], s->meta[k], M->s[0].name);
            return gs__err(M->ctx, GS_ERR_INPUT,
                           "{merge} %s: %s is %s, but this merge's is %s: "
                           "merge the shards of one run, with the {config} "
                           "and {hex_size_m} the shards had",
                           s->name, same_keys[k], s->meta[k], want);
        }
    }
    if (!have_env)
        return gs__err(M->ctx, GS_ERR_INPUT_EMPTY,
                       "{merge}: no source has a grid in grid_events");
    return read_grids(M, srs, &env);
}

int gs__hotspots_merge(gs_ctx *ctx, const gs_hotspots_opts *opts,
                       gs_report **out_report) {
    merge M;
    gs__out *o = NULL;
    int rc;
    memset(&M, 0, sizeof M);
    M.ctx = ctx;
    M.opts = opts;
    gs__utc_now(M.started, sizeof M.started);
    if (!opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE, "hotspots {merge} needs {output}");
    if (opts->grids || opts->events || opts->communities || opts->households)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots {merge} reads the shards' outputs; it takes "
                       "no {grids}, {events}, {communities} or {households}");
    if (gs__shard_active(ctx))
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots {merge} goes without {shard}");
    if (opts->n_merge > MAX_SOURCES)
        return gs__err(ctx, GS_ERR_USAGE, "more than %d {merge} sources",
                       MAX_SOURCES);
    if ((rc = gs__out_check_inputs(ctx, opts->common.output,
                                   (const char *const *)opts->merge,
                                   opts->n_merge)))
        return rc;
    M.ns = opts->n_merge;
    if (!(M.s = gs__calloc(M.ns, sizeof *M.s)))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < M.ns; i++) {
        M.s[i].name = opts->merge[i];
        gs__model_init(&M.s[i].m, ctx->geos);
    }

    gs__phase_begin(ctx);
    gs__progress(ctx, "read shard outputs", -1);
    if ((rc = read_sources(&M)) || (rc = merge_categories(&M))) goto done;
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    if ((rc = grid_gi(&M)) || (rc = merge_hexes(&M))) goto done;
    gs__phase_end(ctx, "analyse");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    if ((rc = gs__out_open(ctx, opts->common.output, M.crs.output, M.crs.metric,
                           &o)) ||
        (rc = write_grids(&M, o)) || (rc = write_hexes(&M, o)) ||
        (rc = write_categories(&M, o)) || (rc = write_meta(&M, o))) {
        gs__out_abort(o);
        goto done;
    }
    gs__phase_end(ctx, "write");
    rc = gs__out_commit_report(ctx, o, make_report(&M), out_report);
done:
    merge_free(&M);
    return rc;
}
