/*
 * write_units.c - the layers of counts per unit: grid_events (with
 * categories, which names its cat_ fields), hex_hotspots and emerging,
 * weekly_summary and monthly_summary.
 *
 * Category counts are one field per category (a wide table) rather than a
 * long table, because that is what opens best in QGIS: the identify panel
 * and attribute table show 环境卫生 12 under the category's own name (the
 * alias), and a category can be mapped straight away with a graduated
 * style on its field, without a join. At most GS__HS_MAX_CAT_FIELDS
 * categories get a field, the rest are summed in cat_other.
 *
 * A shard (--shard) writes only the grids and hexagons of the communities
 * it owns, so that neighbouring shards' layers, which overlap in the halo,
 * hold each unit once, and counts in categories only the events it owns,
 * so that the shards' counts add up to a single run's.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_hotspots.h"
#include "shard.h"

#define MAX_CAT_FIELDS GS__HS_MAX_CAT_FIELDS

static void set_real(OGRFeatureH f, int i, double v) {
    if (isfinite(v))
        OGR_F_SetFieldDouble(f, i, v);
    else
        OGR_F_SetFieldNull(f, i);
}

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

/* The community code of hexagon k (its community's, or its grid's when
 * the run has no communities), or "". */
static const char *hex_community(const gs__hs_wctx *w, size_t k) {
    long c = w->r->hex_comm[k];
    if (c < 0) return "";
    return w->m->n_communities ? w->m->communities[c].code
                               : w->m->grids[c].community_code;
}

/* grid_events' fields: the head, the counts, one per category present
 * (most frequent first, at most MAX_CAT_FIELDS with cat_other), the tail.
 * Sets the categories' aliases. */
static int grid_layer(gs__hs_wctx *w, gs__olayer **out) {
    const gs__hsresult *r = w->r;
    const char *labels[MAX_CAT_FIELDS];
    size_t present = 0;
    for (size_t k = 0; k < r->ncats; k++) present += r->cat_events[k] > 0;
    gs__hs_cat_fields(present, &w->ncat_fields, &w->cat_other);
    for (size_t k = 0; k < w->ncat_fields; k++)
        labels[k] = gs__hs_category_label(r->cats[k]);
    return gs__hs_grid_layer(w->o, labels, w->ncat_fields, w->cat_other,
                             w->cat_names, out);
}

int gs__hs_write_grids(gs__hs_wctx *w) {
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
        top = gs__hs_top_category(cn, r->ncats);
        for (size_t k = w->ncat_fields; k < r->ncats; k++) other += cn[k];
        OGR_F_SetFieldString(f, fi++, m->grids[g].code);
        OGR_F_SetFieldString(f, fi++, m->grids[g].community_code);
        OGR_F_SetFieldString(f, fi++, m->grids[g].name);
        OGR_F_SetFieldString(f, fi++, gs__hs_category(w, top));
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
static int event_owned(const gs__hs_wctx *w, size_t i) {
    const gs__hsresult *r = w->r;
    if (!gs__shard_active(w->ctx)) return 1;
    if (r->ev_grid[i] >= 0)
        return gs__shard_owns(w->ctx, gs__hs_grid_community(w, r->ev_grid[i]));
    if (r->ev_hex && r->ev_hex[i] >= 0)
        return gs__shard_owns(w->ctx, hex_community(w, (size_t)r->ev_hex[i]));
    return 0;
}

/* One row per category in the run's order; `events` counts the period's
 * events the shard owns (event_owned; all of them without --shard), so
 * that the shards' counts add up to a single run's. */
int gs__hs_write_categories(gs__hs_wctx *w) {
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
        OGR_F_SetFieldString(
            f, 0,
            gs__hs_cat_field(k, w->ncat_fields, w->cat_other, w->cat_names,
                             w->r->cat_events[k]));
        OGR_F_SetFieldString(f, 1, gs__hs_category(w, (int)k));
        OGR_F_SetFieldInteger64(f, 2, owned[k]);
        rc = gs__out_put(w->o, l, f);
    }
    free(owned);
    return rc;
}

/* The hexagons and their emerging classes; a shard writes the hexagons
 * whose community it owns (hex_community), so that neighbouring shards'
 * layers, which overlap in the halo, hold each hexagon once. */
int gs__hs_write_hexes(gs__hs_wctx *w) {
    const gs__hsresult *r = w->r;
    gs__olayer *lh, *le;
    int rc;
    if ((rc = gs__hs_hex_layer(w->o, &lh)) ||
        (rc = gs__out_layer_schema(w->o, GS__LS_HOTSPOTS_EMERGING, &le)))
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
        if ((rc = gs__hs_put_geos(w, lh, f, r->hex_geom[k]))) return rc;
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
        if ((rc = gs__hs_put_geos(w, le, f, r->hex_geom[k]))) return rc;
    }
    return GS_OK;
}

/* The name of a community code, from the communities layer when given. */
static const char *community_name(const gs__hs_wctx *w, const char *code) {
    for (size_t c = 0; c < w->m->n_communities; c++)
        if (!strcmp(w->m->communities[c].code, code))
            return w->m->communities[c].name;
    return "";
}

/* One summary layer: `period` names its week or month field. */
static int write_summary(gs__hs_wctx *w, const char *layer, const char *period,
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

int gs__hs_write_summaries(gs__hs_wctx *w) {
    int rc = write_summary(w, "weekly_summary", "week", w->r->weekly,
                           w->r->n_weekly, 0);
    if (rc) return rc;
    return write_summary(w, "monthly_summary", "month", w->r->monthly,
                         w->r->n_monthly, 1);
}
