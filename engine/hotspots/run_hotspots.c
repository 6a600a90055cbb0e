/*
 * run_hotspots.c - gs_hotspots_run: read, analyse, write, report.
 *
 * The public entry of `gridsmith hotspots`. Phases (measured for the
 * benchmark): read (grids, communities, households, calendar, events:
 * io.c, calendar.c), analyse (hotspot.c) and write (out.c, and the density
 * raster here). The layers:
 *
 *   grid_events      the grids as stored: events in the period, one
 *                    count per category present (cat_1, cat_2... most
 *                    frequent first, each with the category as its
 *                    Chinese alias, listed in `categories`), rates, open,
 *                    overdue, resolved, resolution time, Gi*
 *   hex_hotspots     hexagons clipped to the communities, counts and Gi*
 *   emerging         the same hexagons with their emerging hot spot class
 *   clusters         DBSCAN clusters as buffered hulls
 *   trouble_spots    repeat locations, overdue events, rising grids
 *   weekly_summary, monthly_summary   per community, street and in total
 *   categories       cat_k field <-> category, with the period's counts
 *   event_issues     events whose grid_code disagrees with their place,
 *                    names no grid, or that lie in no grid
 *   bad_rows         event rows left out, with feature or line and field
 *
 * Category counts are one field per category (a wide table) rather than a
 * long table, because that is what opens best in QGIS: the identify panel
 * and attribute table show 环境卫生 12 under the category's own name (the
 * alias), and a category can be mapped straight away with a graduated
 * style on its field, without a join.
 *
 * The density raster is a GeoTIFF beside the GeoPackage (OUT_kde.tif, with
 * a QGIS style OUT_kde.qml), not a GeoPackage raster layer: GDAL 3.6 writes
 * Float32 into a GeoPackage only as a tiled "gridded coverage" with a
 * scale and offset, in a separate pass after the vector transaction, and
 * QGIS styles for rasters are not kept in layer_styles; a tiled, DEFLATE
 * compressed GeoTIFF keeps the exact densities and opens everywhere. It is
 * in the metric CRS (densities per km^2 on square metric cells; reprojecting
 * to lon/lat would resample them). It is written to a temporary file first
 * and renamed into place right after the GeoPackage, so a failed run
 * leaves both earlier outputs as they were.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <json-c/json.h>
#include <limits.h>
#include <assert.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "calendar.h"
#include "geom.h"
#include "hotspot.h"
#include "layers.h"
#include "merge.h"
#include "io.h"
#include "writer.h"
#include "datetime.h"
#include "report.h"
#include "shard.h"
#include "rules.h"

void gs_hotspots_opts_init(gs_hotspots_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

#define MAX_CAT_FIELDS GS__HS_MAX_CAT_FIELDS

#define NF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct wctx {
    gs_ctx *ctx;
    gs__out *o;
    const gs__model *m;
    const gs__events *ev;
    const gs__hsresult *r;
    const gs__hs_params *p;
    gs__tz *tz;
    size_t ncat_fields; /* categories with a field of their own */
    int cat_other;      /* 1: cat_other holds the rest */
    char cat_names[MAX_CAT_FIELDS][32];
} wctx;

/* ---- small helpers ------------------------------------------------------- */

static void set_real(OGRFeatureH f, int i, double v) {
    if (isfinite(v))
        OGR_F_SetFieldDouble(f, i, v);
    else
        OGR_F_SetFieldNull(f, i);
}

static void set_time(OGRFeatureH f, int i, int64_t ms) {
    char t[21];
    gs__utc_format(ms, t);
    OGR_F_SetFieldString(f, i, t);
}

static void set_date(wctx *w, OGRFeatureH f, int i, int64_t ms) {
    char d[11];
    gs__date_format(gs__local_day(w->tz, ms), d);
    OGR_F_SetFieldString(f, i, d);
}

static const char *grid_code(const wctx *w, long g) {
    return g >= 0 ? w->m->grids[g].code : "";
}

static const char *grid_community(const wctx *w, long g) {
    return g >= 0 ? w->m->grids[g].community_code : "";
}

static const char *category(const wctx *w, int c) {
    return c >= 0 ? gs__hs_category_label(w->r->cats[c]) : "";
}

/* Writes the feature with a metric GEOS geometry (may be NULL). */
static int put_geos(wctx *w, gs__olayer *l, OGRFeatureH f,
                    const GEOSGeometry *g) {
    int rc = gs__out_geos(w->o, l, f, g);
    if (rc) {
        OGR_F_Destroy(f);
        return rc;
    }
    return gs__out_put(w->o, l, f);
}

/* Writes the feature at a metric point (none when not finite). */
static int put_point(wctx *w, gs__olayer *l, OGRFeatureH f, double x,
                     double y) {
    int rc = isfinite(x) && isfinite(y) ? gs__out_point(w->o, f, x, y) : GS_OK;
    if (rc) {
        OGR_F_Destroy(f);
        return rc;
    }
    return gs__out_put(w->o, l, f);
}

#define NEW_FEATURE(f, l)                                                \
    do {                                                                 \
        (f) = gs__out_feature(l);                                        \
        if (!(f)) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory"); \
    } while (0)

static const char *hex_community(const wctx *w, size_t k);

/* ---- grid_events and categories ------------------------------------------ */

/* An integer, or NULL when negative (not known). */
static void set_count(OGRFeatureH f, int i, long v) {
    if (v >= 0)
        OGR_F_SetFieldInteger64(f, i, v);
    else
        OGR_F_SetFieldNull(f, i);
}

/* Writes the count_defs fields from field *fi on; rates are NULL without
 * events. */
static void write_counts(OGRFeatureH f, int *fi, const gs__hs_counts *c) {
    double n = (double)c->events;
    OGR_F_SetFieldInteger64(f, (*fi)++, c->events);
    OGR_F_SetFieldInteger64(f, (*fi)++, c->resolved);
    set_real(f, (*fi)++, c->events ? (double)c->resolved / n : NAN);
    OGR_F_SetFieldInteger64(f, (*fi)++, c->self_resolved);
    set_real(f, (*fi)++, c->events ? (double)c->self_resolved / n : NAN);
    set_real(f, (*fi)++,
             c->n_resolve_h ? c->resolve_h / (double)c->n_resolve_h : NAN);
    OGR_F_SetFieldInteger64(f, (*fi)++, c->open);
    OGR_F_SetFieldInteger64(f, (*fi)++, c->overdue);
}

/* grid_events' fields: the head, the counts, one per category present
 * (most frequent first, at most MAX_CAT_FIELDS with cat_other), the tail.
 * Sets the categories' aliases. */
static int grid_layer(wctx *w, gs__olayer **out) {
    const gs__hsresult *r = w->r;
    const char *labels[MAX_CAT_FIELDS];
    size_t present = 0;
    for (size_t k = 0; k < r->ncats; k++) present += r->cat_events[k] > 0;
    w->ncat_fields = present > MAX_CAT_FIELDS ? MAX_CAT_FIELDS - 1 : present;
    w->cat_other = present > MAX_CAT_FIELDS;
    for (size_t k = 0; k < w->ncat_fields; k++)
        labels[k] = gs__hs_category_label(r->cats[k]);
    return gs__hs_grid_layer(w->o, labels, w->ncat_fields, w->cat_other,
                             w->cat_names, out);
}

static int write_grids(wctx *w) {
    const gs__hsresult *r = w->r;
    const gs__model *m = w->m;
    gs__olayer *l;
    int rc = grid_layer(w, &l);
    for (size_t g = 0; !rc && g < m->n_grids; g++) {
        const gs__hs_grid *gr = &r->grids[g];
        const long *cn = &r->grid_cat[g * r->ncats];
        double n = (double)gr->c.events;
        OGRFeatureH f;
        int fi = 0, top = -1, gi = r->grid_gi.done && isfinite(r->grid_gi.z[g]);
        long other = 0;
        if (!gs__shard_owns(w->ctx, m->grids[g].community_code))
            continue; /* the halo */
        NEW_FEATURE(f, l);
        for (size_t k = 0; k < r->ncats; k++)
            if (cn[k] > 0 && (top < 0 || cn[k] > cn[top])) top = (int)k;
        for (size_t k = w->ncat_fields; k < r->ncats; k++) other += cn[k];
        OGR_F_SetFieldString(f, fi++, m->grids[g].code);
        OGR_F_SetFieldString(f, fi++, m->grids[g].community_code);
        OGR_F_SetFieldString(f, fi++, m->grids[g].name);
        OGR_F_SetFieldString(f, fi++, category(w, top));
        write_counts(f, &fi, &gr->c);
        for (size_t k = 0; k < w->ncat_fields; k++)
            OGR_F_SetFieldInteger64(f, fi++, cn[k]);
        if (w->cat_other) OGR_F_SetFieldInteger64(f, fi++, other);
        set_real(f, fi++, gr->area_m2 > 0 ? 1e6 * n / gr->area_m2 : NAN);
        set_count(f, fi++, gr->households);
        set_real(f, fi++,
                 gr->households > 0 ? 100 * n / (double)gr->households : NAN);
        OGR_F_SetFieldInteger64(f, fi++, gr->mismatch);
        set_real(f, fi++, gi ? r->grid_gi.z[g] : NAN);
        set_real(f, fi++, gi ? r->grid_gi.p[g] : NAN);
        set_count(f, fi++, gi ? r->grid_gi.bin[g] : LONG_MIN);
        if ((rc = gs__out_wkb(w->o, f, m->grids[g].src_wkb,
                              m->grids[g].src_wkb_len))) {
            OGR_F_Destroy(f);
            return rc;
        }
        rc = gs__out_put(w->o, l, f);
    }
    return rc;
}

/* 1 when period event i is the shard's: it counts in one of the shard's
 * grids, or, in no grid, lies in one of its hexagons. An event in neither
 * is no shard's (only a run without --shard counts it). */
static int event_owned(const wctx *w, size_t i) {
    const gs__hsresult *r = w->r;
    if (!gs__shard_active(w->ctx)) return 1;
    if (r->ev_grid[i] >= 0)
        return gs__shard_owns(w->ctx, grid_community(w, r->ev_grid[i]));
    if (r->ev_hex && r->ev_hex[i] >= 0)
        return gs__shard_owns(w->ctx, hex_community(w, (size_t)r->ev_hex[i]));
    return 0;
}

/* One row per category in the run's order; `events` counts the period's
 * events the shard owns (event_owned; all of them without --shard), so
 * that the shards' counts add up to a single run's. */
static int write_categories(wctx *w) {
    gs__olayer *l;
    long *owned = gs__calloc(w->r->ncats ? w->r->ncats : 1, sizeof *owned);
    int rc = owned ? gs__hs_categories_layer(w->o, &l)
                   : gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < w->ev->n; i++)
        if ((w->r->ev_flag[i] & GS__EVF_PERIOD) && event_owned(w, i))
            owned[w->r->ev_cat[i]]++;
    for (size_t k = 0; !rc && k < w->r->ncats; k++) {
        OGRFeatureH f = gs__out_feature(l);
        if (!f) {
            rc = gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
            break;
        }
        OGR_F_SetFieldString(f, 0,
                             k < w->ncat_fields ? w->cat_names[k]
                             : w->cat_other && w->r->cat_events[k] > 0
                                 ? "cat_other"
                                 : "");
        OGR_F_SetFieldString(f, 1, category(w, (int)k));
        OGR_F_SetFieldInteger64(f, 2, owned[k]);
        rc = gs__out_put(w->o, l, f);
    }
    free(owned);
    return rc;
}

/* ---- hexagons ------------------------------------------------------------ */

static const char *hex_community(const wctx *w, size_t k) {
    long c = w->r->hex_comm[k];
    if (c < 0) return "";
    return w->m->n_communities ? w->m->communities[c].code
                               : w->m->grids[c].community_code;
}

/* The hexagons and their emerging classes; a shard writes the hexagons
 * whose community it owns (hex_community), so that neighbouring shards'
 * layers, which overlap in the halo, hold each hexagon once. */
static int write_hexes(wctx *w) {
    static const gs__fdef edefs[] = {
        {"hex_id", GS__F_STR},     {"community_code", GS__F_STR},
        {"class", GS__F_STR},      {"weeks", GS__F_INT},
        {"hot_weeks", GS__F_INT},  {"cold_weeks", GS__F_INT},
        {"trend_z", GS__F_REAL},   {"trend_p", GS__F_REAL},
        {"trend_tau", GS__F_REAL}, {"events", GS__F_INT}};
    const gs__hsresult *r = w->r;
    gs__olayer *lh, *le;
    int rc;
    if ((rc = gs__hs_hex_layer(w->o, &lh)) ||
        (rc = gs__out_layer(w->o, "emerging", GS__GEOM_POLYGON, edefs,
                            NF(edefs), &le)))
        return rc;
    for (size_t k = 0; k < r->n_hex; k++) {
        const gs__ehsa_result *e = &r->ehsa[k];
        OGRFeatureH f;
        char id[48];
        if (!gs__shard_owns(w->ctx, hex_community(w, k))) continue;
        snprintf(id, sizeof id, "%lld_%lld", (long long)r->hex[k].q,
                 (long long)r->hex[k].r);
        NEW_FEATURE(f, lh);
        OGR_F_SetFieldString(f, 0, id);
        OGR_F_SetFieldInteger64(f, 1, r->hex[k].q);
        OGR_F_SetFieldInteger64(f, 2, r->hex[k].r);
        OGR_F_SetFieldString(f, 3, hex_community(w, k));
        OGR_F_SetFieldDouble(f, 4, r->hex_area[k]);
        OGR_F_SetFieldInteger64(f, 5, r->hex_events[k]);
        if (r->hex_gi.done) {
            OGR_F_SetFieldDouble(f, 6, r->hex_gi.z[k]);
            OGR_F_SetFieldDouble(f, 7, r->hex_gi.p[k]);
            OGR_F_SetFieldInteger64(f, 8, r->hex_gi.bin[k]);
        } else {
            for (int q = 6; q <= 8; q++) OGR_F_SetFieldNull(f, q);
        }
        if ((rc = put_geos(w, lh, f, r->hex_geom[k]))) return rc;
        NEW_FEATURE(f, le);
        OGR_F_SetFieldString(f, 0, id);
        OGR_F_SetFieldString(f, 1, hex_community(w, k));
        OGR_F_SetFieldString(f, 2, gs__ehsa_class_name(e->cls));
        OGR_F_SetFieldInteger64(f, 3, w->p->nweeks);
        if (r->ehsa_done) {
            OGR_F_SetFieldInteger64(f, 4, (long long)e->hot_weeks);
            OGR_F_SetFieldInteger64(f, 5, (long long)e->cold_weeks);
            OGR_F_SetFieldDouble(f, 6, e->trend.z);
            OGR_F_SetFieldDouble(f, 7, e->trend.p);
            OGR_F_SetFieldDouble(f, 8, e->trend.tau);
        } else {
            for (int q = 4; q <= 8; q++) OGR_F_SetFieldNull(f, q);
        }
        OGR_F_SetFieldInteger64(f, 9, r->hex_history[k]);
        if ((rc = put_geos(w, le, f, r->hex_geom[k]))) return rc;
    }
    return GS_OK;
}

/* ---- clusters and trouble spots ------------------------------------------ */

static int write_clusters(wctx *w) {
    static const gs__fdef defs[] = {
        {"cluster_id", GS__F_INT},      {"events", GS__F_INT},
        {"core_events", GS__F_INT},     {"category", GS__F_STR},
        {"category_events", GS__F_INT}, {"first_at", GS__F_STR},
        {"last_at", GS__F_STR},         {"first_date", GS__F_STR},
        {"last_date", GS__F_STR},       {"grid_code", GS__F_STR},
        {"community_code", GS__F_STR},  {"area_m2", GS__F_REAL}};
    gs__olayer *l;
    int rc =
        gs__out_layer(w->o, "clusters", GS__GEOM_POLYGON, defs, NF(defs), &l);
    for (size_t k = 0; !rc && k < w->r->n_clusters; k++) {
        const gs__hs_cluster *c = &w->r->clusters[k];
        OGRFeatureH f;
        NEW_FEATURE(f, l);
        OGR_F_SetFieldInteger64(f, 0, (long long)k + 1);
        OGR_F_SetFieldInteger64(f, 1, c->events);
        OGR_F_SetFieldInteger64(f, 2, c->core);
        OGR_F_SetFieldString(f, 3, category(w, c->category));
        OGR_F_SetFieldInteger64(f, 4, c->category_events);
        set_time(f, 5, c->first_ms);
        set_time(f, 6, c->last_ms);
        set_date(w, f, 7, c->first_ms);
        set_date(w, f, 8, c->last_ms);
        OGR_F_SetFieldString(f, 9, grid_code(w, c->grid));
        OGR_F_SetFieldString(f, 10, grid_community(w, c->grid));
        OGR_F_SetFieldDouble(f, 11, gs__geom_area(w->ctx->geos, c->geom));
        rc = put_geos(w, l, f, c->geom);
    }
    return rc;
}

static const char *const trouble_kinds[] = {"repeat_location", "overdue",
                                            "rising_grid"};

static int write_trouble(wctx *w) {
    static const gs__fdef defs[] = {{"kind", GS__F_STR},
                                    {"grid_code", GS__F_STR},
                                    {"community_code", GS__F_STR},
                                    {"category", GS__F_STR},
                                    {"events", GS__F_INT},
                                    {"first_at", GS__F_STR},
                                    {"last_at", GS__F_STR},
                                    {"date", GS__F_STR},
                                    {"event_id", GS__F_STR},
                                    {"deadline", GS__F_STR},
                                    {"deadline_workdays", GS__F_INT},
                                    {"workdays_overdue", GS__F_INT},
                                    {"trend_tau", GS__F_REAL},
                                    {"trend_z", GS__F_REAL},
                                    {"trend_p", GS__F_REAL},
                                    {"detail", GS__F_STR}};
    gs__olayer *l;
    int rc = gs__out_layer(w->o, "trouble_spots", GS__GEOM_POINT, defs,
                           NF(defs), &l);
    for (size_t k = 0; !rc && k < w->r->n_trouble; k++) {
        const gs__hs_trouble *t = &w->r->trouble[k];
        OGRFeatureH f;
        NEW_FEATURE(f, l);
        for (int q = 0; q < (int)NF(defs); q++) OGR_F_SetFieldNull(f, q);
        OGR_F_SetFieldString(f, 0, trouble_kinds[t->kind]);
        OGR_F_SetFieldString(f, 1, grid_code(w, t->grid));
        OGR_F_SetFieldString(f, 2, grid_community(w, t->grid));
        OGR_F_SetFieldString(f, 3, category(w, t->category));
        OGR_F_SetFieldInteger64(f, 4, t->events);
        if (t->kind != GS__TROUBLE_RISING) {
            set_time(f, 5, t->first_ms);
            set_time(f, 6, t->last_ms);
            set_date(w, f, 7, t->last_ms);
        } else {
            char d[11];
            gs__date_format(w->p->day1, d);
            OGR_F_SetFieldString(f, 7, d);
        }
        if (t->kind == GS__TROUBLE_OVERDUE) {
            char d[11];
            gs__date_format(t->deadline_day, d);
            OGR_F_SetFieldString(f, 8, w->ev->v[t->event].id);
            OGR_F_SetFieldString(f, 9, d);
            OGR_F_SetFieldInteger64(f, 10, t->deadline_workdays);
            OGR_F_SetFieldInteger64(f, 11, t->workdays_overdue);
        }
        if (t->kind == GS__TROUBLE_RISING) {
            OGR_F_SetFieldDouble(f, 12, t->trend_tau);
            OGR_F_SetFieldDouble(f, 13, t->trend_z);
            OGR_F_SetFieldDouble(f, 14, t->trend_p);
        }
        OGR_F_SetFieldString(f, 15, t->detail ? t->detail : "");
        rc = put_point(w, l, f, t->x, t->y);
    }
    return rc;
}

/* ---- summaries, event issues, bad rows ----------------------------------- */

/* The name of a community code, from the communities layer when given. */
static const char *community_name(const wctx *w, const char *code) {
    for (size_t c = 0; c < w->m->n_communities; c++)
        if (!strcmp(w->m->communities[c].code, code))
            return w->m->communities[c].name;
    return "";
}

static int write_summary(wctx *w, const char *layer, const char *period,
                         const gs__hs_sum *rows, size_t n, int monthly) {
    static const char *const levels[] = {"community", "street", "total"};
    static const gs__fdef tail[] = {{"top_categories", GS__F_STR},
                                    {"hot_hexes", GS__F_INT},
                                    {"prev_events", GS__F_INT},
                                    {"change", GS__F_INT},
                                    {"change_pct", GS__F_REAL}};
    gs__fdef defs[24] = {{"level", GS__F_STR},
                         {"code", GS__F_STR},
                         {"name", GS__F_STR},
                         {period, GS__F_STR}};
    size_t nd = 4;
    gs__olayer *l;
    int rc;
    gs__hs_add_defs(defs, &nd, gs__hs_count_defs, GS__HS_N_COUNT_DEFS);
    gs__hs_add_defs(defs, &nd, tail, NF(tail));
    rc = gs__out_layer(w->o, layer, GS__GEOM_NONE, defs, nd, &l);
    for (size_t k = 0; !rc && k < n; k++) {
        const gs__hs_sum *s = &rows[k];
        long prev = s->prev_events;
        OGRFeatureH f;
        char label[16];
        int fi = 0, y, mo, d;
        NEW_FEATURE(f, l);
        gs__civil_from_days(s->start, &y, &mo, &d);
        snprintf(label, sizeof label, "%04d-%02d", y % 10000, mo);
        if (!monthly) gs__isoweek_format(s->start, label);
        OGR_F_SetFieldString(f, fi++, levels[s->level]);
        OGR_F_SetFieldString(f, fi++, s->code);
        OGR_F_SetFieldString(f, fi++,
                             s->level == 0 ? community_name(w, s->code) : "");
        OGR_F_SetFieldString(f, fi++, label);
        write_counts(f, &fi, &s->c);
        OGR_F_SetFieldString(f, fi++, s->top);
        set_count(f, fi++, s->hot_hexes);
        set_count(f, fi++, prev);
        if (prev >= 0)
            OGR_F_SetFieldInteger64(f, fi++, s->c.events - prev);
        else
            OGR_F_SetFieldNull(f, fi++);
        set_real(f, fi++,
                 prev > 0 ? 100.0 * (double)(s->c.events - prev) / (double)prev
                          : NAN);
        rc = gs__out_put(w->o, l, f);
    }
    return rc;
}

static int write_event_issues(wctx *w) {
    static const gs__fdef defs[] = {{"kind", GS__F_STR},
                                    {"event_id", GS__F_STR},
                                    {"category", GS__F_STR},
                                    {"reported_at", GS__F_STR},
                                    {"date", GS__F_STR},
                                    {"grid_code", GS__F_STR},
                                    {"location_grid_code", GS__F_STR},
                                    {"detail", GS__F_STR}};
    const gs__hsresult *r = w->r;
    gs__olayer *l;
    int rc =
        gs__out_layer(w->o, "event_issues", GS__GEOM_POINT, defs, NF(defs), &l);
    for (size_t i = 0; !rc && i < w->ev->n; i++) {
        const gs__event *e = &w->ev->v[i];
        unsigned char fl = r->ev_flag[i];
        const char *kind;
        char detail[300];
        OGRFeatureH f;
        if (!(fl & GS__EVF_PERIOD)) continue;
        if (fl & GS__EVF_UNKNOWN_CODE) {
            kind = "unknown_grid_code";
            snprintf(
                detail, sizeof detail,
                "no grid has the code %.40s; counted in %s", e->grid_code,
                r->ev_grid[i] >= 0 ? grid_code(w, r->ev_grid[i]) : "no grid");
        } else if (fl & GS__EVF_MISMATCH) {
            kind = "grid_mismatch";
            snprintf(detail, sizeof detail,
                     "given %.40s, lies in %.40s; counted where it lies",
                     e->grid_code, grid_code(w, r->ev_loc[i]));
        } else if (fl & GS__EVF_OUTSIDE) {
            kind = "outside_grids";
            snprintf(detail, sizeof detail, "lies in no grid; %s%s",
                     r->ev_grid[i] >= 0 ? "counted in its grid_code "
                                        : "counted in no grid",
                     r->ev_grid[i] >= 0 ? grid_code(w, r->ev_grid[i]) : "");
        } else {
            continue;
        }
        NEW_FEATURE(f, l);
        OGR_F_SetFieldString(f, 0, kind);
        OGR_F_SetFieldString(f, 1, e->id);
        OGR_F_SetFieldString(f, 2, gs__hs_category_label(e->category));
        set_time(f, 3, e->reported_ms);
        set_date(w, f, 4, e->reported_ms);
        OGR_F_SetFieldString(f, 5, e->grid_code);
        OGR_F_SetFieldString(f, 6, grid_code(w, r->ev_loc[i]));
        OGR_F_SetFieldString(f, 7, detail);
        rc = put_point(w, l, f, e->x, e->y);
    }
    return rc;
}

static int write_bad_rows(wctx *w) {
    static const gs__fdef defs[] = {{"line", GS__F_INT},
                                    {"feature", GS__F_INT},
                                    {"event_id", GS__F_STR},
                                    {"field", GS__F_STR},
                                    {"reason", GS__F_STR}};
    gs__olayer *l;
    int rc = gs__out_layer(w->o, "bad_rows", GS__GEOM_NONE, defs, NF(defs), &l);
    for (size_t k = 0; !rc && k < w->ev->n_bad; k++) {
        const gs__evbad *b = &w->ev->bad[k];
        OGRFeatureH f;
        NEW_FEATURE(f, l);
        if (b->origin.line > 0)
            OGR_F_SetFieldInteger64(f, 0, b->origin.line);
        else
            OGR_F_SetFieldNull(f, 0);
        OGR_F_SetFieldInteger64(f, 1, b->origin.fid);
        OGR_F_SetFieldString(f, 2, b->event_id);
        OGR_F_SetFieldString(f, 3, b->field);
        OGR_F_SetFieldString(f, 4, b->reason);
        rc = gs__out_put(w->o, l, f);
    }
    return rc;
}

/* ---- the density raster -------------------------------------------------- */

/* The four paths live in one allocation, `path` its start. */
typedef struct kde_file {
    char *path, *tmp;         /* OUT_kde.tif and its temporary */
    char *qml_path, *qml_tmp; /* its QGIS style, OUT_kde.qml */
} kde_file;

static void kde_file_free(kde_file *k) {
    free(k->path);
    memset(k, 0, sizeof *k);
}

/* Removes the temporaries (after a failure). */
static void kde_abort(kde_file *k) {
    if (k->tmp) unlink(k->tmp);
    if (k->qml_tmp) unlink(k->qml_tmp);
}

/* OUT.gpkg -> OUT_kde.tif and OUT_kde.qml, with temporaries beside them
 * (".OUT_kde.tif.<pid>.tmp", same directory so rename() is atomic). */
static int kde_paths(const char *output, kde_file *k) {
    size_t n = strlen(output), base = n, size = n + 64;
    const char *slash = strrchr(output, '/');
    int dir = slash ? (int)(slash - output) + 1 : 0, pid = (int)getpid();
    char *s = gs__malloc(4 * size);
    if (!s) return GS_ERR_NOMEM;
    if (n > 5 && !strcasecmp(output + n - 5, ".gpkg")) base = n - 5;
    for (int i = 0; i < 4; i++) {
        const char *ext = i < 2 ? "tif" : "qml";
        if (i % 2 == 0)
            snprintf(s + i * size, size, "%.*s_kde.%s", (int)base, output, ext);
        else
            snprintf(s + i * size, size, "%.*s.%.*s_kde.%s.%d.tmp", dir, output,
                     (int)base - dir, output + dir, ext, pid);
    }
    k->path = s;
    k->tmp = s + size;
    k->qml_path = s + 2 * size;
    k->qml_tmp = s + 3 * size;
    gs__out_sweep(k->path); /* leftovers of earlier killed runs */
    gs__out_sweep(k->qml_path);
    return GS_OK;
}

static int fsync_file(const char *path) {
    int fd = open(path, O_RDONLY), rc;
    if (fd < 0) return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* A number for an XML attribute, with a '.' whatever the locale. */
static void num_text(double v, char *buf, size_t size) {
    snprintf(buf, size, "%.6g", v);
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
}

/* A QGIS style for the raster: a yellow-orange-red ramp from transparent
 * at 0 to the maximum density. */
static int kde_style(const char *path, double max) {
    static const char *const colors[] = {"#ffffb2", "#fecc5c", "#fd8d3c",
                                         "#f03b20", "#bd0026"};
    char mx[32];
    FILE *fp = fopen(path, "w");
    int ok;
    if (!fp) return -1;
    if (!(max > 0)) max = 1;
    num_text(max, mx, sizeof mx);
    fprintf(fp,
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            "<qgis version=\"3.22.16-Białowieża\" "
            "styleCategories=\"AllStyleCategories\">\n"
            "  <pipe>\n"
            "    <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" "
            "opacity=\"0.75\" alphaBand=\"-1\" classificationMin=\"0\" "
            "classificationMax=\"%s\" nodataColor=\"\">\n"
            "      <rastershader>\n"
            "        <colorrampshader colorRampType=\"INTERPOLATED\" "
            "classificationMode=\"1\" clip=\"0\" minimumValue=\"0\" "
            "maximumValue=\"%s\" labelPrecision=\"1\">\n",
            mx, mx);
    for (int i = 0; i < 5; i++) {
        char v[32];
        num_text(max * i / 4.0, v, sizeof v);
        fprintf(fp,
                "          <item alpha=\"%d\" value=\"%s\" label=\"%s /km²\" "
                "color=\"%s\"/>\n",
                i ? 255 : 0, v, v, colors[i]);
    }
    fputs(
        "        </colorrampshader>\n"
        "      </rastershader>\n"
        "    </rasterrenderer>\n"
        "  </pipe>\n"
        "  <blendMode>0</blendMode>\n"
        "</qgis>\n",
        fp);
    ok = !ferror(fp);
    if (fclose(fp) != 0) ok = 0;
    return ok && fsync_file(path) == 0 ? 0 : -1;
}

/* Writes the density as a Float32 GeoTIFF (events per km^2, metric CRS)
 * and its style into the temporaries. */
static int kde_write(gs_ctx *ctx, const gs__hsresult *r, const gs__crsinfo *crs,
                     const kde_file *k) {
    const gs__raster *g = &r->kde_grid;
    double gt[6] = {g->x0, g->cell, 0, g->y0, 0, -g->cell}, max = 0;
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds;
    GDALRasterBandH band;
    char **co = NULL, *wkt = NULL, buf[64];
    CPLErr e;
    if (!drv)
        return gs__err(ctx, GS_ERR_INTERNAL, "GDAL has no GeoTIFF driver");
    for (size_t i = 0; i < g->nx * g->ny; i++)
        if (r->kde[i] > max) max = r->kde[i];
    co = CSLSetNameValue(co, "COMPRESS", "DEFLATE");
    co = CSLSetNameValue(co, "PREDICTOR", "3");
    co = CSLSetNameValue(co, "TILED", "YES");
    gs__libmsg_clear(ctx);
    ds = GDALCreate(drv, k->tmp, (int)g->nx, (int)g->ny, 1, GDT_Float32, co);
    CSLDestroy(co);
    if (!ds)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot create the density "
                           "raster",
                           k->tmp);
    GDALSetGeoTransform(ds, gt);
    if (OSRExportToWkt(crs->metric, &wkt) == OGRERR_NONE)
        GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    num_text(r->kde_h, buf, sizeof buf);
    GDALSetMetadataItem(ds, "BANDWIDTH_M", buf, NULL);
    GDALSetMetadataItem(ds, "BANDWIDTH_RULE", r->kde_rule, NULL);
    GDALSetMetadataItem(ds, "UNITS", "events per km2", NULL);
    band = GDALGetRasterBand(ds, 1);
    GDALSetDescription(band, "events per km2 (quartic kernel)");
    e = GDALRasterIO(band, GF_Write, 0, 0, (int)g->nx, (int)g->ny, r->kde,
                     (int)g->nx, (int)g->ny, GDT_Float32, 0, 0);
    CPLErrorReset();
    GDALClose(ds);
    if (e != CE_None || CPLGetLastErrorType() >= CE_Failure ||
        fsync_file(k->tmp) != 0)
        return gs__err_lib(ctx, GS_ERR_IO,
                           "%s: cannot write the density "
                           "raster",
                           k->tmp);
    if (kde_style(k->qml_tmp, max) != 0)
        return gs__err(ctx, GS_ERR_IO, "%s: cannot write: %s", k->qml_tmp,
                       strerror(errno));
    return GS_OK;
}

/* ---- metadata, outputs --------------------------------------------------- */

static int write_meta(wctx *w, const gs_hotspots_opts *opts,
                      const gs__crsinfo *crs, const gs__inputs *info,
                      const char *started, const kde_file *k) {
    const gs__hsresult *r = w->r;
    const gs__hs_params *p = w->p;
    char *rules = gs__hs_rules_json(opts->common.rules, p->hex_size_m), d0[11],
         d1[11], asof[21], buf[600];
    json_object *kj;
    int rc;
    if (!rules) return gs__err(w->ctx, GS_ERR_NOMEM, "out of memory");
    rc = gs__out_meta_run(w->o, "hotspots", opts->common.command_line, started,
                          rules, crs->metric_name, info);
    free(rules);
    gs__date_format(p->day0, d0);
    gs__date_format(p->day1, d1);
    gs__utc_format(p->as_of_ms, asof);
    if (!rc) rc = gs__out_meta(w->o, "period_from", d0);
    if (!rc) rc = gs__out_meta(w->o, "period_to", d1);
    if (!rc) rc = gs__out_meta(w->o, "as_of", asof);
    if (!rc) rc = gs__out_meta(w->o, "time_zone", gs__tz_id(w->tz));
    snprintf(buf, sizeof buf, "%d", p->nweeks);
    if (!rc) rc = gs__out_meta(w->o, "history_weeks", buf);
    if (!rc)
        rc = gs__out_meta(w->o, "grid_gi",
                          r->grid_gi.done ? "computed" : r->grid_gi.note);
    if (!rc)
        rc = gs__out_meta(w->o, "hex_gi",
                          r->hex_gi.done ? "computed" : r->hex_gi.note);
    if (!rc)
        rc = gs__out_meta(w->o, "emerging",
                          r->ehsa_done ? "computed" : r->ehsa_note);
    if (!rc)
        rc = gs__out_meta(w->o, "rising_grids",
                          r->rising_done ? "computed" : r->rising_note);
    kj = json_object_new_object();
    json_object_object_add(kj, "path",
                           k->path ? json_object_new_string(k->path) : NULL);
    json_object_object_add(kj, "bandwidth_m", json_object_new_double(r->kde_h));
    json_object_object_add(kj, "bandwidth_rule",
                           json_object_new_string(r->kde_rule));
    json_object_object_add(kj, "cell_m",
                           json_object_new_double(r->kde_grid.cell));
    json_object_object_add(kj, "units",
                           json_object_new_string("events per km2"));
    json_object_object_add(kj, "crs", json_object_new_string(crs->metric_name));
    if (!rc)
        rc = gs__out_meta(
            w->o, "kde",
            json_object_to_json_string_ext(
                kj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(kj);
    return rc;
}

static int write_outputs(wctx *w, const gs_hotspots_opts *opts,
                         const gs__crsinfo *crs, const gs__inputs *info,
                         const char *started, kde_file *k) {
    int rc = gs__out_open(w->ctx, opts->common.output, crs->output, crs->metric,
                          &w->o);
    if (rc) return rc;
    if ((rc = write_grids(w)) || (rc = write_hexes(w)) ||
        (rc = write_clusters(w)) || (rc = write_trouble(w)) ||
        (rc = write_summary(w, "weekly_summary", "week", w->r->weekly,
                            w->r->n_weekly, 0)) ||
        (rc = write_summary(w, "monthly_summary", "month", w->r->monthly,
                            w->r->n_monthly, 1)) ||
        (rc = write_categories(w)) || (rc = write_event_issues(w)) ||
        (rc = write_bad_rows(w)) ||
        (k->tmp && (rc = kde_write(w->ctx, w->r, crs, k))) ||
        (rc = write_meta(w, opts, crs, info, started, k)))
        goto fail;
    return GS_OK; /* w->o, not yet committed: see place_outputs */
fail:
    gs__out_abort(w->o);
    w->o = NULL;
    kde_abort(k);
    return rc;
}

/* Moves the outputs into place once the report exists (takes it): the
 * GeoPackage (gs__out_commit_report), then the raster and its style. */
static int place_outputs(wctx *w, const gs_hotspots_opts *opts, kde_file *k,
                         gs_report *report, gs_report **out_report) {
    int rc = gs__out_commit_report(w->ctx, w->o, report, out_report);
    w->o = NULL;
    if (rc) {
        kde_abort(k);
        return rc;
    }
    if (k->tmp && (rename(k->tmp, k->path) != 0 ||
                   rename(k->qml_tmp, k->qml_path) != 0)) {
        rc = gs__err(w->ctx, GS_ERR_IO,
                     "%s: cannot move the density raster into place: %s "
                     "(the GeoPackage %s was written)",
                     k->path, strerror(errno), opts->common.output);
        gs_report_destroy(*out_report);
        *out_report = NULL;
        kde_abort(k);
    }
    return rc;
}

/* ---- the report ---------------------------------------------------------- */

/* Hot (bin >= 2) and cold (bin <= -2) units: "passes BH at 0.05". */
static void count_bins(const gs__hs_gi *g, size_t n, long out[7]) {
    memset(out, 0, 7 * sizeof *out);
    for (size_t i = 0; g->done && i < n; i++)
        if (isfinite(g->z[i])) out[g->bin[i] + 3]++;
}

static json_object *gi_json(const gs__hs_gi *g, size_t n, const char *what) {
    json_object *o = json_object_new_object();
    long b[7];
    count_bins(g, n, b);
    json_object_object_add(o, what, json_object_new_int64((int64_t)n));
    json_object_object_add(o, "computed", json_object_new_boolean(g->done));
    json_object_object_add(o, "note",
                           g->done ? NULL : json_object_new_string(g->note));
    json_object_object_add(o, "hot_99", json_object_new_int64(b[6]));
    json_object_object_add(o, "hot_95", json_object_new_int64(b[5]));
    json_object_object_add(o, "hot_90", json_object_new_int64(b[4]));
    json_object_object_add(o, "cold_99", json_object_new_int64(b[0]));
    json_object_object_add(o, "cold_95", json_object_new_int64(b[1]));
    json_object_object_add(o, "cold_90", json_object_new_int64(b[2]));
    return o;
}

static void gi_text(gs__buf *t, const gs__hs_gi *g, size_t n,
                    const char *what) {
    long b[7];
    count_bins(g, n, b);
    if (!g->done) {
        gs__buf_printf(t, "  %s: %s\n", what, g->note);
        return;
    }
    gs__buf_printf(t,
                   "  %s: %zu; %ld hot spots (%ld at 99%%), %ld cold, "
                   "passing FDR 0.05; %ld more at 90%%\n",
                   what, n, b[5] + b[6], b[6], b[0] + b[1], b[4] + b[2]);
}

static gs_report *make_report(gs_ctx *ctx, const gs_hotspots_opts *opts,
                              const gs__model *m, const gs__events *ev,
                              const gs__hsresult *r, const gs__hs_params *p,
                              const kde_file *k) {
    json_object *o = json_object_new_object(), *ts, *em, *cl, *cats;
    long kinds[3] = {0, 0, 0}, classes[GS__EHSA_COUNT];
    char d0[11], d1[11], w0[9], w1[9];
    gs__buf text;
    if (!o) return NULL;
    memset(classes, 0, sizeof classes);
    for (size_t i = 0; i < r->n_trouble; i++) kinds[r->trouble[i].kind]++;
    for (size_t i = 0; i < r->n_hex; i++) classes[r->ehsa[i].cls]++;
    gs__date_format(p->day0, d0);
    gs__date_format(p->day1, d1);
    gs__isoweek_format(p->week0, w0);
    gs__isoweek_format(p->week0 + 7 * (p->nweeks - 1), w1);
    json_object_object_add(o, "command", json_object_new_string("hotspots"));
    json_object_object_add(o, "output",
                           json_object_new_string(opts->common.output));
    json_object_object_add(o, "from", json_object_new_string(d0));
    json_object_object_add(o, "to", json_object_new_string(d1));
    json_object_object_add(o, "events", json_object_new_int64((int64_t)ev->n));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)ev->n_bad));
    json_object_object_add(o, "events_in_period",
                           json_object_new_int64(r->n_period));
    json_object_object_add(o, "history_weeks", json_object_new_int(p->nweeks));
    json_object_object_add(o, "events_outside_grids",
                           json_object_new_int64(r->n_outside));
    json_object_object_add(o, "grid_mismatch",
                           json_object_new_int64(r->n_mismatch));
    json_object_object_add(o, "unknown_grid_code",
                           json_object_new_int64(r->n_unknown_code));
    json_object_object_add(o, "grid_gi",
                           gi_json(&r->grid_gi, m->n_grids, "grids"));
    json_object_object_add(o, "hex_gi",
                           gi_json(&r->hex_gi, r->n_hex, "hexagons"));
    json_object_object_add(o, "hex_size_m",
                           json_object_new_double(p->hex_size_m));
    json_object_object_add(o, "clusters",
                           json_object_new_int64((int64_t)r->n_clusters));
    ts = json_object_new_object();
    for (int i = 0; i < 3; i++)
        json_object_object_add(ts, trouble_kinds[i],
                               json_object_new_int64(kinds[i]));
    json_object_object_add(o, "trouble_spots", ts);
    json_object_object_add(
        o, "rising_note",
        r->rising_done ? NULL : json_object_new_string(r->rising_note));
    em = json_object_new_object();
    json_object_object_add(em, "computed",
                           json_object_new_boolean(r->ehsa_done));
    json_object_object_add(
        em, "note", r->ehsa_done ? NULL : json_object_new_string(r->ehsa_note));
    cl = json_object_new_object();
    for (int c = 0; c < GS__EHSA_COUNT; c++)
        if (classes[c])
            json_object_object_add(cl, gs__ehsa_class_name(c),
                                   json_object_new_int64(classes[c]));
    json_object_object_add(em, "classes", cl);
    json_object_object_add(o, "emerging", em);
    cats = json_object_new_array();
    for (size_t c = 0; c < r->ncats; c++) {
        json_object *x = json_object_new_object();
        json_object_object_add(
            x, "category",
            json_object_new_string(gs__hs_category_label(r->cats[c])));
        json_object_object_add(x, "events",
                               json_object_new_int64(r->cat_events[c]));
        json_object_array_add(cats, x);
    }
    json_object_object_add(o, "categories", cats);
    {
        json_object *kj = json_object_new_object();
        json_object_object_add(
            kj, "path", k->path ? json_object_new_string(k->path) : NULL);
        json_object_object_add(kj, "bandwidth_m",
                               json_object_new_double(r->kde_h));
        json_object_object_add(kj, "bandwidth_rule",
                               json_object_new_string(r->kde_rule));
        json_object_object_add(kj, "cell_m",
                               json_object_new_double(r->kde_grid.cell));
        json_object_object_add(o, "kde", kj);
    }

    gs__buf_init(&text, 0);
    gs__buf_printf(&text,
                   "hotspots: %s to %s, %ld events in the period (%zu usable "
                   "read, %zu bad rows listed in bad_rows)\n",
                   d0, d1, r->n_period, ev->n, ev->n_bad);
    if (r->n_period == 0)
        gs__buf_printf(&text,
                       "  no events in the period: the layers hold "
                       "the counts (zero), Gi* is not computed\n");
    gi_text(&text, &r->grid_gi, m->n_grids, "grids");
    {
        char what[64];
        snprintf(what, sizeof what, "hexagons (%g m)", p->hex_size_m);
        gi_text(&text, &r->hex_gi, r->n_hex, what);
    }
    gs__buf_printf(&text, "  clusters (DBSCAN %g m, %d events): %zu\n",
                   opts->common.rules->cluster_eps_m,
                   opts->common.rules->cluster_min_events, r->n_clusters);
    gs__buf_printf(&text,
                   "  trouble spots: %ld repeat locations, %ld overdue "
                   "events, %ld rising grids\n",
                   kinds[0], kinds[1], kinds[2]);
    if (!r->rising_done)
        gs__buf_printf(&text, "    rising grids: %s\n", r->rising_note);
    if (r->ehsa_done) {
        gs__buf_printf(&text, "  emerging hot spots over %d weeks (%s to %s):",
                       p->nweeks, w0, w1);
        for (int c = 0; c < GS__EHSA_COUNT; c++)
            if (classes[c] && c != GS__EHSA_NO_PATTERN)
                gs__buf_printf(&text, " %s %ld;", gs__ehsa_class_name(c),
                               classes[c]);
        gs__buf_printf(&text, " no_pattern %ld\n",
                       classes[GS__EHSA_NO_PATTERN]);
    } else {
        gs__buf_printf(&text, "  emerging hot spots: %s\n", r->ehsa_note);
    }
    if (r->n_mismatch || r->n_unknown_code || r->n_outside)
        gs__buf_printf(&text,
                       "  event_issues: %ld given grid codes disagree with "
                       "the location, %ld name no grid, %ld events lie in "
                       "no grid\n",
                       r->n_mismatch, r->n_unknown_code, r->n_outside);
    gs__buf_printf(&text,
                   "  density: quartic kernel, bandwidth %.0f m, %g m cells "
                   "(rule in run_metadata)\n",
                   r->kde_h, r->kde_grid.cell);
    if (k->path)
        gs__buf_printf(&text, "  wrote %s and %s\n", opts->common.output,
                       k->path);
    else /* PostgreSQL: no raster beside it (README "Shards") */
        gs__buf_printf(&text, "  wrote %s (no density raster)\n",
                       opts->common.output);
    return gs__report_from_buf(ctx, o, &text, (long)r->n_trouble);
}

/* ---- the run ------------------------------------------------------------- */

/* Everything a run owns, freed together by run_free. */
typedef struct hs_run {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs__events ev;
    gs__hsresult res;
    int have_res;
    gs__hs_params p;
    gs__tz *tz;
    gs__calendar *cal;
    kde_file kf;
    int given;          /* a period was given */
    int32_t day0, day1; /* ... and its days */
    char started[32];
} hs_run;

static void run_free(gs_ctx *ctx, hs_run *r) {
    if (r->have_res) gs__hsresult_free(ctx->geos, &r->res);
    gs__events_free(&r->ev);
    gs__calendar_free(r->cal);
    gs__tz_close(r->tz);
    kde_file_free(&r->kf);
    gs__model_free(&r->m);
    gs__crsinfo_free(&r->crs);
    gs__inputs_free(&r->info);
}

/* What can be checked before reading: required inputs, the period, the
 * mappings, the output (writable, not an input), the zone. */
static int check_opts(gs_ctx *ctx, const gs_hotspots_opts *opts,
                      const gs_input_opts *in, hs_run *r) {
    const char *inputs[5] = {opts->grids, opts->events, opts->communities,
                             opts->households, opts->calendar};
    int rc;
    if (!opts->grids || !opts->events || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots needs {grids}, {events} and {output}");
    if (opts->hex_size_m < 0 || !isfinite(opts->hex_size_m))
        return gs__err(ctx, GS_ERR_USAGE,
                       "{hex_size_m} must be a positive number of metres");
    if (opts->common.rules->grid_gi_value == GS_GI_PER_100HH &&
        !opts->households)
        return gs__err(ctx, GS_ERR_USAGE,
                       "grid_gi_value = per_100hh needs {households}");
    if ((rc = gs__period_parse(ctx, opts->week, opts->month, opts->from,
                               opts->to, &r->given, &r->day0, &r->day1)) ||
        (rc = gs__io_check_opts(ctx, in)) ||
        (rc = gs__out_check_inputs(ctx, opts->common.output, inputs, 5)))
        return rc;
    if (!gs__out_is_pg(opts->common.output) &&
        kde_paths(opts->common.output, &r->kf))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    return gs__tz_open(ctx, opts->tz, &r->tz);
}

/* The read phase: grids first (they fix the CRSes), then the others. An
 * events layer whose every row is unusable is bad input. */
static int read_inputs(gs_ctx *ctx, const gs_hotspots_opts *opts,
                       const gs_input_opts *in, hs_run *r) {
    const gs__evbad *b;
    int rc;
    if ((rc = gs__io_shard_extent(ctx, in, opts->grids, opts->communities,
                                  GS__SHARD_HALO_M, &r->info)))
        return rc;
    gs__progress(ctx, "read grids", -1);
    if ((rc =
             gs__io_read_grids(ctx, in, opts->grids, &r->m, &r->crs, &r->info)))
        return rc;
    if (opts->communities &&
        (rc = gs__io_read_communities(ctx, in, opts->communities, &r->m,
                                      &r->crs, &r->info)))
        return rc;
    if (opts->households &&
        (gs__progress(ctx, "read households", 0),
         (rc = gs__io_read_households(ctx, in, opts->households, &r->m, &r->crs,
                                      &r->info))))
        return rc;
    if (opts->calendar &&
        ((rc = gs__calendar_load(ctx, opts->calendar, &r->cal)) ||
         (rc = gs__inputs_note_file(ctx, &r->info, "calendar", opts->calendar,
                                    "", 0))))
        return rc;
    gs__progress(ctx, "read events", -1);
    if ((rc = gs__io_read_events(ctx, in, opts->events, r->tz, &r->crs,
                                 opts->common.threads, &r->ev, &r->info)))
        return rc;
    if (r->ev.n > 0) return GS_OK;
    b = r->ev.n_bad ? &r->ev.bad[0] : NULL;
    return gs__err(
        ctx, GS_ERR_INPUT_EMPTY,
        "%s, layer %s (events): no usable event in %zu rows; "
        "the first: %s %ld, field %s: %s",
        opts->events, r->ev.layer, r->ev.n_bad,
        b && b->origin.line > 0 ? "line" : "feature",
        b ? (b->origin.line > 0 ? b->origin.line : b->origin.fid) : 0L,
        b ? b->field : "", b ? b->reason : "");
}

/* The period (every event's days when none was given), the history from
 * the first event, and the clock. */
static void set_params(const gs_hotspots_opts *opts, hs_run *r) {
    int32_t first = r->ev.v[0].day, last = r->ev.v[0].day;
    for (size_t i = 1; i < r->ev.n; i++) {
        if (r->ev.v[i].day < first) first = r->ev.v[i].day;
        if (r->ev.v[i].day > last) last = r->ev.v[i].day;
    }
    if (!r->given) {
        r->day0 = first;
        r->day1 = last;
    }
    gs__hs_params_init(&r->p, opts->common.rules, r->day0, r->day1,
                       gs__day_start_utc(r->tz, r->day1 + 1),
                       first < r->day0 ? first : r->day0);
    if (opts->hex_size_m > 0) r->p.hex_size_m = opts->hex_size_m;
    r->p.cal = r->cal;
    r->p.have_households = opts->households != NULL;
    r->p.threads = opts->common.threads;
}

int gs_hotspots_run(gs_ctx *ctx, const gs_hotspots_opts *opts,
                    gs_report **out_report) {
    hs_run r;
    gs_input_opts in_default;
    gs_rules rules_default;
    gs_hotspots_opts o2;
    const gs_input_opts *in;
    wctx w;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "gs_hotspots_run: missing argument");
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    memset(&r, 0, sizeof r);
    gs__gdal_enter(ctx);
    gs__model_init(&r.m, ctx->geos);
    gs__utc_now(r.started, sizeof r.started);
    gs_input_opts_init(&in_default);
    gs_rules_init(&rules_default);
    o2 = *opts;
    if (!o2.common.rules) o2.common.rules = &rules_default;
    opts = &o2;
    in = opts->common.input ? opts->common.input : &in_default;
    if (opts->n_merge > 0) {
        rc = gs__hotspots_merge(ctx, opts, out_report);
        goto done;
    }
    if ((rc = check_opts(ctx, opts, in, &r))) goto done;

    gs__phase_begin(ctx);
    if ((rc = read_inputs(ctx, opts, in, &r))) goto done;
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    set_params(opts, &r);
    if ((rc = gs__hotspots_analyse(ctx, &r.m, &r.ev, &r.p, &r.res))) goto done;
    r.have_res = 1;
    gs__phase_end(ctx, "analyse");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.m = &r.m;
    w.ev = &r.ev;
    w.r = &r.res;
    w.p = &r.p;
    w.tz = r.tz;
    if ((rc = write_outputs(&w, opts, &r.crs, &r.info, r.started, &r.kf)))
        goto done;
    gs__phase_end(ctx, "write");
    rc = place_outputs(&w, opts, &r.kf,
                       make_report(ctx, opts, &r.m, &r.ev, &r.res, &r.p, &r.kf),
                       out_report);
done:
    run_free(ctx, &r);
    gs__gdal_leave(ctx);
    return rc;
}
