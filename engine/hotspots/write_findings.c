/*
 * write_findings.c - the layers of places and events the analysis found:
 * clusters, trouble_spots, event_issues (events whose grid_code disagrees
 * with their place, names no grid, or that lie in no grid) and bad_rows
 * (event rows left out, with feature or line and field).
 *
 * Times are written as UTC instants and as local dates in the run's zone,
 * so that a row reads right in QGIS and sorts right as text.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geom.h"
#include "run_hotspots.h"

/* An instant as UTC text. */
static void set_time(OGRFeatureH f, int i, int64_t ms) {
    char t[21];
    gs__utc_format(ms, t);
    OGR_F_SetFieldString(f, i, t);
}

/* The local date of an instant, in the run's zone. */
static void set_date(gs__hs_wctx *w, OGRFeatureH f, int i, int64_t ms) {
    char d[11];
    gs__date_format(gs__local_day(w->tz, ms), d);
    OGR_F_SetFieldString(f, i, d);
}

/* The code of grid g, or "" for -1. */
static const char *grid_code(const gs__hs_wctx *w, long g) {
    return g >= 0 ? w->m->grids[g].code : "";
}

/* Writes the feature at a metric point (none when not finite). */
static int put_point(gs__hs_wctx *w, gs__olayer *l, OGRFeatureH f, double x,
                     double y) {
    int rc = isfinite(x) && isfinite(y) ? gs__out_point(w->o, f, x, y) : GS_OK;
    if (rc) {
        OGR_F_Destroy(f);
        return rc;
    }
    return gs__out_put(w->o, l, f);
}

int gs__hs_write_clusters(gs__hs_wctx *w) {
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
        OGR_F_SetFieldString(f, 3, gs__hs_category(w, c->category));
        OGR_F_SetFieldInteger64(f, 4, c->category_events);
        set_time(f, 5, c->first_ms);
        set_time(f, 6, c->last_ms);
        set_date(w, f, 7, c->first_ms);
        set_date(w, f, 8, c->last_ms);
        OGR_F_SetFieldString(f, 9, grid_code(w, c->grid));
        OGR_F_SetFieldString(f, 10, gs__hs_grid_community(w, c->grid));
        OGR_F_SetFieldDouble(f, 11, gs__geom_area(w->ctx->geos, c->geom));
        rc = gs__hs_put_geos(w, l, f, c->geom);
    }
    return rc;
}

const char *const gs__hs_trouble_kinds[3] = {"repeat_location", "overdue",
                                             "rising_grid"};

int gs__hs_write_trouble(gs__hs_wctx *w) {
    gs__olayer *l;
    int rc = gs__out_layer_schema(w->o, GS__LS_HOTSPOTS_TROUBLE_SPOTS, &l);
    for (size_t k = 0; !rc && k < w->r->n_trouble; k++) {
        const gs__hs_trouble *t = &w->r->trouble[k];
        OGRFeatureH f;
        NEW_FEATURE(f, l);
        for (int q = 0; q < GS__TS_N; q++) OGR_F_SetFieldNull(f, q);
        OGR_F_SetFieldString(f, 0, gs__hs_trouble_kinds[t->kind]);
        OGR_F_SetFieldString(f, 1, grid_code(w, t->grid));
        OGR_F_SetFieldString(f, 2, gs__hs_grid_community(w, t->grid));
        OGR_F_SetFieldString(f, 3, gs__hs_category(w, t->category));
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

int gs__hs_write_event_issues(gs__hs_wctx *w) {
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

int gs__hs_write_bad_rows(gs__hs_wctx *w) {
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
