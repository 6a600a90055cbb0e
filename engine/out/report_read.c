/*
 * report_read.c - the weekly report's data: a week of the ledger, grouped.
 *
 * Reads the week's rows through the ledger's reader (ledger_read.c) into
 * plain arrays: grid_status with its geometries, member_week, the missed
 * workdays of member_day, grid_events when the hotspots stage has run,
 * the community names from the week's last `runs` row, and the per-week
 * tallies of up to TREND_BACK earlier weeks. Then groups them by street
 * (the first 9 digits of community_code) and community.
 *
 * Counting follows patrol's summary so the numbers agree with it: one
 * member_week row (a member on a grid) is one "member"; rows whose grid is
 * not in the week's grid_status are left out of the tallies but listed
 * among the members below standard. The coverage of a grid on the map is
 * the best coverage_pct among its members' rows.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "report_html.h"

/* A new zeroed element at the end of the growable array *p (*n elements
 * of `size` bytes, room for *cap). NULL, with the context's error naming
 * `where`, when out of memory or past MAX_ROWS. */
static void *push(gs__rdata *d, void **p, size_t *cap, size_t *n, size_t size,
                  const char *where) {
    char *e;
    if (*n >= MAX_ROWS) {
        gs__err(d->ctx, GS_ERR_INPUT, "%s: more than %d rows for the week",
                where, MAX_ROWS);
        return NULL;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *q = gs__realloc(*p, c * size);
        if (!q) {
            gs__err(d->ctx, GS_ERR_NOMEM, "%s: out of memory", where);
            return NULL;
        }
        *p = q;
        *cap = c;
    }
    e = (char *)*p + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

/* An arena copy of `s` ("" stays ""); "" and the sticky d->nomem when
 * out of memory. */
static const char *keep(gs__rdata *d, const char *s) {
    char *c;
    if (!*s) return "";
    c = gs__arena_strdup(&d->a, s);
    if (!c) {
        d->nomem = 1;
        return "";
    }
    return c;
}

static int cmp_grid_code(const void *a, const void *b) {
    return strcmp((*(gs__rgrid *const *)a)->code,
                  (*(gs__rgrid *const *)b)->code);
}

/* The grids with code `code`: by_code[*lo .. *hi); empty when none. */
static void grid_range(const gs__rdata *d, const char *code, size_t *lo,
                       size_t *hi) {
    size_t l = 0, h = d->ng;
    while (l < h) {
        size_t m = l + (h - l) / 2;
        if (strcmp(d->by_code[m]->code, code) < 0)
            l = m + 1;
        else
            h = m;
    }
    *lo = l;
    while (l < d->ng && !strcmp(d->by_code[l]->code, code)) l++;
    *hi = l;
}

static void tally_add(gs__rtally *t, const gs__rmember *m) {
    t->members++;
    t->compliant += m->compliant != 0;
    t->hours_s += m->hours * 3600.0;
    if (!isnan(m->cov)) {
        t->cov += m->cov;
        t->n_cov++;
    }
}

static void tally_sum(gs__rtally *t, const gs__rtally *u) {
    t->members += u->members;
    t->compliant += u->compliant;
    t->hours_s += u->hours_s;
    t->cov += u->cov;
    t->n_cov += u->n_cov;
}

/* ---- reading the ledger ------------------------------------------------- */

static int grid_row(void *user, gs__lgrid_status *r) {
    gs__rdata *d = user;
    gs__rgrid *g = push(d, (void **)&d->grids, &d->cap_g, &d->ng,
                        sizeof *d->grids, "table grid_status");
    OGRGeometryH geom = r->geom;
    if (!g) return d->ctx->errcode;
    g->code = keep(d, r->grid_code);
    g->community = keep(d, r->community_code);
    g->name = keep(d, r->name);
    g->issues = keep(d, r->issues);
    /* Without the roster count, assume a member: "no data" then rather
     * than a wrong "no member". */
    g->members = r->members < 0 ? 1 : r->members;
    g->cov = NAN;
    r->geom = NULL; /* taken */
    if (geom) geom = OGR_G_ForceToMultiPolygon(geom);
    if (geom && !OGR_G_IsEmpty(geom)) {
        g->geom = geom;
        OGR_G_GetEnvelope(geom, &g->env);
    } else if (geom) {
        OGR_G_DestroyGeometry(geom);
    }
    return GS_OK;
}

/* The week's grids with their geometries (forced to MultiPolygon). */
static int read_grids(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {
        d->week, d->week, 1,
        1ul << GS__VG_GRID_CODE | 1ul << GS__VG_COMMUNITY_CODE};
    OGRSpatialReferenceH srs = gs__ledger_srs(l, "grid_status");
    int rc;
    d->geographic = srs && OSRIsGeographic(srs);
    if ((rc = gs__ledger_grid_status(l, &q, grid_row, d))) return rc;
    d->by_code = gs__malloc(sizeof *d->by_code * (d->ng ? d->ng : 1));
    if (!d->by_code) return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->ng; i++) d->by_code[i] = &d->grids[i];
    qsort(d->by_code, d->ng, sizeof *d->by_code, cmp_grid_code);
    return GS_OK;
}

static int cmp_member_key(const void *a, const void *b) {
    const gs__rmember *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->grid, y->grid);
}

static int member_row(void *user, gs__lmember_week *r) {
    gs__rdata *d = user;
    gs__rmember *m = push(d, (void **)&d->mem, &d->cap_m, &d->nm,
                          sizeof *d->mem, "table member_week");
    size_t lo, hi;
    if (!m) return d->ctx->errcode;
    m->id = keep(d, r->member_id);
    m->grid = keep(d, r->grid_code);
    m->hours =
        isnan(r->in_grid_tolerant_s) ? 0 : r->in_grid_tolerant_s / 3600.0;
    m->workdays = (int)r->workdays;
    m->workdays_ok = (int)r->workdays_ok;
    m->weekly_ok = (int)r->weekly_ok;
    m->cov = r->coverage_pct;
    m->compliant = r->compliant != 0;
    m->note = keep(d, r->note);
    grid_range(d, m->grid, &lo, &hi);
    m->has_grid = lo < hi;
    if (m->has_grid) {
        m->community = d->by_code[lo]->community;
        m->grid_name = d->by_code[lo]->name;
        for (size_t k = lo; k < hi; k++)
            if (!isnan(m->cov) &&
                (isnan(d->by_code[k]->cov) || m->cov > d->by_code[k]->cov))
                d->by_code[k]->cov = m->cov;
    } else {
        /* A grid code is the community's code and 3 digits. */
        char c[16];
        snprintf(c, sizeof c, "%.12s", m->grid);
        m->community = strlen(m->grid) >= 12 ? keep(d, c) : "";
        m->grid_name = "";
    }
    return GS_OK;
}

/* The week's member_week rows; each is placed in its grid's community
 * (or, for a grid not in grid_status, the community its code names). */
static int read_members(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->week, d->week, 0,
                          1ul << GS__MW_MEMBER_ID | 1ul << GS__MW_GRID_CODE |
                              1ul << GS__MW_COMPLIANT};
    if (!gs__ledger_has(l, "member_week")) return GS_OK; /* no patrol */
    return gs__ledger_member_week(l, &q, member_row, d);
}

static int missed_row(void *user, gs__lmember_day *r) {
    gs__rdata *d = user;
    gs__rmember key, *m;
    int32_t day;
    memset(&key, 0, sizeof key);
    key.id = r->member_id;
    key.grid = r->grid_code;
    m = bsearch(&key, d->mem, d->nm, sizeof *d->mem, cmp_member_key);
    if (m && gs__date_parse(r->date, &day) == GS_OK && day >= d->monday &&
        day < d->monday + 7)
        m->missed |= 1u << (day - d->monday);
    return GS_OK;
}

/* Marks the workdays each member missed (daily_ok = 0) from member_day. */
static int read_missed_days(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->week, d->week, 0, 0};
    const char *missing;
    if (!d->nm || !gs__ledger_has(l, "member_day") ||
        !gs__ledger_has_fields(l, GS__LS_PATROL_MEMBER_DAY,
                               1ul << GS__MD_MEMBER_ID |
                                   1ul << GS__MD_GRID_CODE | 1ul << GS__MD_DATE,
                               &missing))
        return GS_OK;
    qsort(d->mem, d->nm, sizeof *d->mem, cmp_member_key);
    return gs__ledger_member_day(l, &q, 1, missed_row, d);
}

static int events_row(void *user, gs__lgrid_events *r) {
    gs__rdata *d = user;
    size_t lo, hi;
    d->have_events = 1;
    grid_range(d, r->grid_code, &lo, &hi);
    for (size_t k = lo; k < hi; k++) {
        gs__rgrid *g = d->by_code[k];
        g->has_ev = 1;
        g->events = r->events;
        g->open = r->open;
        g->overdue = r->overdue;
        g->self_resolved = r->self_resolved;
        if (r->has_gi) {
            long b = r->gi_bin;
            g->has_gi = 1;
            g->gi_bin = b < -3 ? -3 : b > 3 ? 3 : (int)b;
        }
    }
    return GS_OK;
}

/* Counts and Gi* bins per grid from grid_events, when hotspots ran. */
static int read_events(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->week, d->week, 0, 0};
    const char *missing;
    if (!gs__ledger_has(l, "grid_events") ||
        !gs__ledger_has_fields(l, GS__LS_HOTSPOTS_GRID_EVENTS,
                               1ul << GS__GE_GRID_CODE, &missing))
        return GS_OK;
    return gs__ledger_grid_events(l, &q, events_row, d);
}

/* Community names from the week's last run (validate's by_community). */
static int read_names(gs__rdata *d, gs__ledger *l) {
    char *last = NULL;
    json_object *run, *v, *by;
    int rc = gs__ledger_last_run(l, d->week, &last);
    if (rc || !last) return rc;
    run = json_tokener_parse(last);
    free(last);
    if (!run) return GS_OK;
    if (json_object_object_get_ex(run, "validate", &v) &&
        json_object_object_get_ex(v, "by_community", &by) &&
        json_object_is_type(by, json_type_array)) {
        d->names = json_object_new_object();
        for (size_t i = 0; d->names && i < json_object_array_length(by); i++) {
            json_object *c = json_object_array_get_idx(by, i), *code, *name;
            if (json_object_object_get_ex(c, "community_code", &code) &&
                json_object_object_get_ex(c, "name", &name))
                json_object_object_add(d->names, json_object_get_string(code),
                                       json_object_get(name));
        }
    }
    json_object_put(run);
    return GS_OK;
}

static gs__rstreet *find_street(gs__rdata *d, const char *community) {
    char code[16];
    snprintf(code, sizeof code, "%.9s", community);
    for (size_t i = 0; i < d->ns; i++)
        if (!strcmp(d->st[i].code, code)) return &d->st[i];
    return NULL;
}

static int trend_row(void *user, gs__lweek_tally *r) {
    gs__rdata *d = user;
    gs__rstreet *s = find_street(d, r->community_code);
    gs__rtally t;
    memset(&t, 0, sizeof t);
    t.members = r->members;
    t.compliant = r->compliant;
    t.hours_s = r->hours_s;
    t.cov = r->cov_sum;
    t.n_cov = r->n_cov;
    for (int k = 0; k < NT; k++) {
        if (strcmp(r->week, d->weeks[k])) continue;
        tally_sum(&d->all_trend[k], &t);
        if (s) tally_sum(&s->trend[k], &t);
    }
    return GS_OK;
}

/* The weeks recorded (latest first, at most 12), for the message when the
 * asked one is missing. */
static int recorded_weeks(gs__ledger *l, char *out, size_t size) {
    gs__lweek *w;
    size_t nw, n = 0;
    int rc = gs__ledger_weeks(l, "grid_status", &w, &nw);
    out[0] = '\0';
    for (size_t i = 0; !rc && i < nw && i < 12; i++) {
        int k = snprintf(out + n, size - n, "%s%s", n ? ", " : "",
                         w[nw - 1 - i].week);
        if (k > 0 && (size_t)k < size - n) n += (size_t)k;
    }
    free(w);
    return rc;
}

/* ---- grouping ----------------------------------------------------------- */

static int cmp_grid(const void *a, const void *b) {
    const gs__rgrid *x = a, *y = b;
    int c = strcmp(x->community, y->community);
    return c ? c : strcmp(x->code, y->code);
}

static int cmp_member(const void *a, const void *b) {
    const gs__rmember *x = a, *y = b;
    int c = strcmp(x->community, y->community);
    return c ? c : cmp_member_key(a, b);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts grids and members by community and builds the communities and
 * streets with this week's tallies. The grids' by_code index is rebuilt
 * (sorting moves the grids). */
static int group(gs__rdata *d) {
    const char **codes;
    size_t n = 0, g = 0, m = 0;
    /* qsort must not see the NULL of an empty array. */
    if (d->ng) qsort(d->grids, d->ng, sizeof *d->grids, cmp_grid);
    if (d->nm) qsort(d->mem, d->nm, sizeof *d->mem, cmp_member);
    for (size_t i = 0; i < d->ng; i++) d->by_code[i] = &d->grids[i];
    if (d->ng) qsort(d->by_code, d->ng, sizeof *d->by_code, cmp_grid_code);
    codes = gs__malloc(sizeof *codes * (d->ng + d->nm + 1));
    if (!codes) return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->ng; i++) codes[n++] = d->grids[i].community;
    for (size_t i = 0; i < d->nm; i++) codes[n++] = d->mem[i].community;
    qsort(codes, n, sizeof *codes, cmp_str);
    d->comm = gs__calloc(n ? n : 1, sizeof *d->comm);
    d->st = gs__calloc(n ? n : 1, sizeof *d->st);
    if (!d->comm || !d->st) {
        free(codes);
        return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        gs__rcomm *c;
        json_object *nm;
        if (i && !strcmp(codes[i], codes[i - 1])) continue;
        c = &d->comm[d->nc++];
        c->code = codes[i];
        c->name = d->names && json_object_object_get_ex(d->names, c->code, &nm)
                      ? json_object_get_string(nm)
                      : "";
        snprintf(c->street, sizeof c->street, "%.9s", c->code);
        c->g0 = g;
        while (g < d->ng && !strcmp(d->grids[g].community, c->code)) g++;
        c->g1 = g;
        c->m0 = m;
        while (m < d->nm && !strcmp(d->mem[m].community, c->code)) {
            if (d->mem[m].has_grid) tally_add(&c->now, &d->mem[m]);
            m++;
        }
        c->m1 = m;
        if (!d->ns || strcmp(d->st[d->ns - 1].code, c->street)) {
            gs__rstreet *s = &d->st[d->ns++];
            memcpy(s->code, c->street, sizeof s->code);
            s->c0 = d->nc - 1;
        }
        d->st[d->ns - 1].c1 = d->nc;
        tally_sum(&d->st[d->ns - 1].now, &c->now);
        tally_sum(&d->all, &c->now);
    }
    free(codes);
    return GS_OK;
}

int gs__report_read(gs__rdata *d, gs__ledger *l) {
    int rc;
    if ((rc = read_grids(d, l)) || (rc = read_members(d, l))) return rc;
    d->have_patrol = d->nm > 0;
    if (!d->ng && !d->nm) {
        char weeks[256];
        if ((rc = recorded_weeks(l, weeks, sizeof weeks))) return rc;
        return gs__err(d->ctx, GS_ERR_INPUT_EMPTY,
                       "%s: no week %s in the ledger (recorded: %s)",
                       gs__ledger_path(l), d->week, weeks[0] ? weeks : "none");
    }
    if ((rc = read_missed_days(d, l)) || (rc = read_events(d, l)) ||
        (rc = read_names(d, l)) || (rc = group(d)) ||
        (rc = gs__ledger_week_tallies(l, d->weeks[0], d->week, trend_row, d)))
        return rc;
    if (d->nomem) return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

void gs__report_data_free(gs__rdata *d) {
    for (size_t i = 0; i < d->ng; i++)
        if (d->grids[i].geom) OGR_G_DestroyGeometry(d->grids[i].geom);
    free(d->grids);
    free(d->by_code);
    free(d->mem);
    free(d->comm);
    free(d->st);
    if (d->names) json_object_put(d->names);
    gs__arena_free(&d->a);
}
