/*
 * read_ledger.c - the month's weeks of the ledger, member by member.
 *
 * The ledger (a GeoPackage or the PostGIS ledger of `run -o PG:`, read
 * through ledger_read.c, which keeps the shard's grids with --shard)
 * gives per member: the workdays and those with daily_ok (member_day),
 * the weeks and those with weekly_ok, the notes, and the grid codes and
 * shape of the member's latest week (member_week). The output is written
 * in member_week's CRS; the metric CRS is picked from the centre of its
 * grids, as every command picks it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_assess.h"
#include "ledger.h"

/* The month's weeks in the ledger: the first to the last. */
static gs__ledger_query month(const gs__arun *R, unsigned long required) {
    gs__ledger_query q = {R->weeks[0], R->weeks[R->per.nweeks - 1], 0,
                          required};
    return q;
}

/* The "no data for the month" message: which weeks the ledger does hold. */
static int no_rows(gs__arun *R, gs__ledger *l) {
    char held[400] = "";
    size_t off = 0, n = 0;
    gs__lweek *w = NULL;
    int rc = gs__ledger_weeks(l, "member_week", &w, &n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        if (off + 40 < sizeof held) {
            int k = snprintf(held + off, sizeof held - off, "%s%s",
                             i ? ", " : "", w[i].week);
            if (k > 0) off += (size_t)k;
        } else if (off + 5 < sizeof held && held[off - 1] != '.') {
            off += (size_t)snprintf(held + off, sizeof held - off, ", ...");
        }
    }
    free(w);
    return gs__err(R->ctx, GS_ERR_INPUT_EMPTY,
                   "%s (ledger): no member_week rows for %04d-%02d (its "
                   "weeks %s to %s); %s%s",
                   R->o->ledger, R->per.year, R->per.month, R->weeks[0],
                   R->weeks[R->per.nweeks - 1],
                   n ? "the ledger holds " : "the ledger holds no week yet",
                   held);
}

static int cmp_wrow(const void *a, const void *b) {
    const gs__awrow *x = a, *y = b;
    int c = strcmp(x->member_id, y->member_id);
    if (!c) c = strcmp(y->week, x->week); /* the latest week first */
    if (!c) c = strcmp(x->grid_code, y->grid_code);
    return c;
}

const char *gs__arun_join(gs__arun *R, const char *list, const char *s,
                          const char *sep) {
    size_t n = strlen(list), k = strlen(s), ks = strlen(sep);
    char *out;
    if (!k) return list;
    for (const char *p = list; (p = strstr(p, s)) != NULL; p += k)
        if ((p == list ||
             ((size_t)(p - list) >= ks && !strncmp(p - ks, sep, ks))) &&
            (!p[k] || !strncmp(p + k, sep, ks)))
            return list;
    out = gs__malloc(n + k + ks + 1);
    if (!out) return NULL;
    snprintf(out, n + k + ks + 1, "%s%s%s", list, n ? sep : "", s);
    list = gs__arun_keep(R, out);
    free(out);
    return list;
}

/* Folds the sorted member_week rows into members: grid codes and shape of
 * each member's latest week, every note, weeks and weeks_ok. */
static int fold_members(gs__arun *R) {
    size_t i = 0;
    R->m = gs__calloc(R->n_rows, sizeof *R->m);
    if (!R->m) return gs__arun_nomem(R);
    while (i < R->n_rows) {
        gs__amember *m = &R->m[R->n_m++];
        const char *latest = R->rows[i].week;
        m->id = R->rows[i].member_id;
        m->grid_code = m->note = "";
        for (int k = 0; k < GS_ASSESS_ITEMS; k++) m->in.offline_pct[k] = NAN;
        for (; i < R->n_rows && !strcmp(R->rows[i].member_id, m->id); i++) {
            const gs__awrow *w = &R->rows[i];
            OGRGeometryH u;
            m->in.weeks++;
            m->in.weeks_ok += w->weekly_ok == 1;
            m->note = gs__arun_join(R, m->note, w->note, "; ");
            if (!m->note) return gs__arun_nomem(R);
            if (strcmp(w->week, latest) != 0) continue;
            m->grid_code = gs__arun_join(R, m->grid_code, w->grid_code, ";");
            if (!m->grid_code) return gs__arun_nomem(R);
            if (!w->geom) continue;
            u = m->geom ? OGR_G_Union(m->geom, w->geom) : OGR_G_Clone(w->geom);
            if (u) u = OGR_G_ForceToMultiPolygon(u);
            if (!u) return gs__arun_nomem(R);
            if (m->geom) OGR_G_DestroyGeometry(m->geom);
            m->geom = u;
        }
    }
    return GS_OK;
}

static int week_row(void *user, gs__lmember_week *r) {
    gs__arun *R = user;
    gs__awrow *w;
    int has_geom = r->geom && !OGR_G_IsEmpty(r->geom), rc;
    if ((rc = gs__arun_grow(R, (void **)&R->rows, &R->cap_rows, R->n_rows,
                            sizeof *w)))
        return rc;
    w = &R->rows[R->n_rows];
    memset(w, 0, sizeof *w);
    w->week = gs__arun_keep(R, r->week);
    w->member_id = gs__arun_keep(R, r->member_id);
    w->grid_code = gs__arun_keep(R, r->grid_code);
    w->weekly_ok = (int)r->weekly_ok;
    w->note = gs__arun_keep(R, r->note);
    if (has_geom) {
        w->geom = OGR_G_ForceToMultiPolygon(r->geom);
        r->geom = NULL; /* taken */
    }
    R->n_rows++;
    if (!w->week || !w->member_id || !w->grid_code || !w->note ||
        (has_geom && !w->geom))
        return gs__arun_nomem(R);
    for (int k = 0; k < R->per.nweeks; k++)
        if (!strcmp(w->week, R->weeks[k])) R->have_week[k] = 1;
    return GS_OK;
}

static int day_row(void *user, gs__lmember_day *r) {
    gs__arun *R = user;
    long mi = gs__arun_find_member(R, r->member_id);
    if (mi >= 0 && r->workday == 1) {
        R->m[mi].in.workdays++;
        R->m[mi].in.workdays_ok += r->daily_ok == 1;
    }
    return GS_OK;
}

/* The output CRS is the ledger's; the metric one is picked from the
 * centre of its grids. Left unset when member_week has no CRS or no
 * extent (visits then cannot be placed: run_assess.c says so). */
static int pick_crs(gs__arun *R, gs__ledger *l) {
    gs__ledger_query q = month(R, 0);
    OGRSpatialReferenceH srs = gs__ledger_srs(l, "member_week");
    OGREnvelope env;
    if (!srs || !gs__ledger_extent(l, GS__LS_PATROL_MEMBER_WEEK, &q, &env))
        return GS_OK;
    R->crs.output = gs__srs_clone_gis(srs);
    if (!R->crs.output) return gs__arun_nomem(R);
    return gs__crs_pick_metric(R->ctx, R->crs.output, (env.MinX + env.MaxX) / 2,
                               (env.MinY + env.MaxY) / 2, &R->crs.metric,
                               &R->crs.metric_name);
}

/* GS_ERR_INPUT_FIELD naming the first field of `mask` that the ledger
 * table of layer `id` lacks. */
static int need_fields(gs__arun *R, gs__ledger *l, gs__layer_id id,
                       unsigned long mask) {
    const char *missing;
    if (gs__ledger_has_fields(l, id, mask, &missing)) return GS_OK;
    return gs__err(R->ctx, GS_ERR_INPUT_FIELD,
                   "%s (ledger), table %s: no field '%s'; is this the ledger "
                   "of 'gridsmith run'?",
                   R->o->ledger, gs__schema(id)->ledger_table, missing);
}

int gs__arun_read_ledger(gs__arun *R) {
    const char *path = R->o->ledger;
    gs__ledger_query qw =
        month(R, 1ul << GS__MW_WEEK | 1ul << GS__MW_MEMBER_ID |
                     1ul << GS__MW_GRID_CODE | 1ul << GS__MW_WEEKLY_OK);
    gs__ledger_query qd =
        month(R, 1ul << GS__MD_MEMBER_ID | 1ul << GS__MD_WORKDAY |
                     1ul << GS__MD_DAILY_OK);
    gs__ledger *l = NULL;
    int rc;
    qw.geometry = 1; /* the members' grid shapes */
    if ((rc = gs__ledger_open(R->ctx, path, &l))) return rc;
    if (!gs__ledger_has(l, "member_week") || !gs__ledger_has(l, "member_day")) {
        rc = gs__err(
            R->ctx, GS_ERR_INPUT_OPEN,
            "%s (ledger): no table %s; the ledger gets it from "
            "'gridsmith run' with traces",
            path,
            gs__ledger_has(l, "member_week") ? "member_day" : "member_week");
        goto done;
    }
    /* Both tables' fields before any row is read. */
    if ((rc = need_fields(R, l, GS__LS_PATROL_MEMBER_WEEK, qw.required)) ||
        (rc = need_fields(R, l, GS__LS_PATROL_MEMBER_DAY, qd.required)))
        goto done;
    if ((rc = gs__ledger_member_week(l, &qw, week_row, R))) goto done;
    if (R->n_rows == 0) {
        rc = no_rows(R, l);
        goto done;
    }
    qsort(R->rows, R->n_rows, sizeof *R->rows, cmp_wrow);
    if ((rc = fold_members(R)) || (rc = pick_crs(R, l)) ||
        (rc = gs__ledger_member_day(l, &qd, 0, day_row, R)))
        goto done;
    rc = gs__inputs_note_file(R->ctx, &R->info, "ledger", path, "member_week",
                              (long)R->n_rows);
done:
    gs__ledger_close(l);
    return rc;
}
