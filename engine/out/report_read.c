/*
 * report_read.c - the weekly report's data: a week of the ledger, grouped.
 *
 * Reads the week's rows through the ledger's reader (ledger_read.c) into
 * plain arrays: grid_status with its geometries, member_week (with the
 * members' names), the days of member_day, grid_events when the hotspots
 * stage has run, the community and street names and the run's notes from
 * the week's last `runs` row, and the per-week tallies of up to
 * TREND_BACK earlier weeks. Then groups them by street (the first 9
 * digits of community_code) and community, and adds what hotspots keeps
 * beyond grid_events: the backlog and the categories of the trend's
 * weeks, the week's overdue events and rising grids (trouble_spots) and
 * its hexagons with their emerging classes.
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
    g->violation = !strcmp(r->status, "violation");
    g->households = r->households;
    g->persons = r->persons;
    g->rising_detail = "";
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
    m->name = keep(d, r->member_name);
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
        day < d->monday + 7) {
        int k = day - d->monday;
        m->days_seen |= 1u << k;
        if (!isnan(r->in_grid_tolerant_s))
            m->day_h[k] = r->in_grid_tolerant_s / 3600.0;
        if (r->workday) m->workday_mask |= 1u << k;
        if (r->workday && !r->daily_ok) m->missed |= 1u << k;
    }
    return GS_OK;
}

/* Each member's days from member_day: hours, workdays, the workdays
 * missed (daily_ok = 0). */
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
    return gs__ledger_member_day(l, &q, 0, missed_row, d);
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

/* Community and street names from the week's last run (validate's
 * by_community, with the communities' street_name when they have one);
 * the run itself is kept for the notes of its stages. */
static int read_names(gs__rdata *d, gs__ledger *l) {
    char *last = NULL;
    json_object *run, *v, *by;
    int rc = gs__ledger_last_run(l, d->week, &last);
    if (rc || !last) return rc;
    run = json_tokener_parse(last);
    free(last);
    if (!run) return GS_OK;
    d->run = run;
    if (json_object_object_get_ex(run, "validate", &v) &&
        json_object_object_get_ex(v, "by_community", &by) &&
        json_object_is_type(by, json_type_array)) {
        d->names = json_object_new_object();
        d->streets = json_object_new_object();
        for (size_t i = 0;
             d->names && d->streets && i < json_object_array_length(by); i++) {
            json_object *c = json_object_array_get_idx(by, i), *code, *name;
            char street[16];
            if (!json_object_object_get_ex(c, "community_code", &code))
                continue;
            if (json_object_object_get_ex(c, "name", &name))
                json_object_object_add(d->names, json_object_get_string(code),
                                       json_object_get(name));
            snprintf(street, sizeof street, "%.9s",
                     json_object_get_string(code));
            if (json_object_object_get_ex(c, "street_name", &name) &&
                !json_object_object_get_ex(d->streets, street, NULL))
                json_object_object_add(d->streets, street,
                                       json_object_get(name));
        }
    }
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
        c->street_name = "";
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
            s->name = d->streets && json_object_object_get_ex(d->streets,
                                                              s->code, &nm)
                          ? json_object_get_string(nm)
                          : "";
            s->c0 = d->nc - 1;
        }
        d->st[d->ns - 1].c1 = d->nc;
        tally_sum(&d->st[d->ns - 1].now, &c->now);
        tally_sum(&d->all, &c->now);
    }
    free(codes);
    return GS_OK;
}

/* ---- what hotspots keeps beyond grid_events ------------------------------ */

/* The week's index in the trend (d->weeks), or -1. */
static int week_index(const gs__rdata *d, const char *week) {
    for (int k = 0; k < NT; k++)
        if (!strcmp(d->weeks[k], week)) return k;
    return -1;
}

/* d->k0: the trend's first week that the ledger holds (grid_status). */
static int first_recorded(gs__rdata *d, gs__ledger *l) {
    gs__lweek *w;
    size_t nw;
    int rc = gs__ledger_weeks(l, "grid_status", &w, &nw);
    d->k0 = NT - 1;
    for (size_t i = 0; !rc && i < nw; i++) {
        int k = week_index(d, w[i].week);
        if (k >= 0 && k < d->k0) d->k0 = k;
    }
    free(w);
    return rc;
}

/* The community with code `code`, or NULL (communities are in code
 * order). */
static gs__rcomm *find_comm(gs__rdata *d, const char *code) {
    size_t lo = 0, hi = d->nc;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        int c = strcmp(d->comm[m].code, code);
        if (!c) return &d->comm[m];
        if (c < 0)
            lo = m + 1;
        else
            hi = m;
    }
    return NULL;
}

static void bl_add(gs__rbacklog *b, const gs__rbacklog *x) {
    b->has = 1;
    b->reported += x->reported;
    b->resolved += x->resolved;
    b->self_resolved += x->self_resolved;
    b->unknown += x->unknown;
    b->open += x->open;
    b->overdue += x->overdue;
}

static int backlog_row(void *user, gs__lrow *r) {
    gs__rdata *d = user;
    int k = week_index(d, gs__lrow_week(r));
    const char *code = gs__lrow_str(r, GS__BL_GRID_CODE);
    gs__rcomm *c = find_comm(d, gs__lrow_str(r, GS__BL_COMMUNITY_CODE));
    gs__rbacklog x;
    if (k < 0) return GS_OK;
    memset(&x, 0, sizeof x);
    x.reported = gs__lrow_int(r, GS__BL_REPORTED);
    x.resolved = gs__lrow_int(r, GS__BL_RESOLVED);
    x.self_resolved = gs__lrow_int(r, GS__BL_SELF_RESOLVED);
    x.unknown = gs__lrow_int(r, GS__BL_STATUS_UNKNOWN);
    x.open = gs__lrow_int(r, GS__BL_OPEN);
    x.overdue = gs__lrow_int(r, GS__BL_OVERDUE);
    bl_add(&d->all_bl[k], &x);
    if (c) {
        gs__rstreet *s = find_street(d, c->code);
        bl_add(&c->bl[k], &x);
        if (s) bl_add(&s->bl[k], &x);
    }
    if (k == NT - 1 && code[0]) {
        const char *name = gs__lrow_str(r, GS__BL_NAME);
        size_t lo, hi, at;
        d->have_backlog = 1;
        grid_range(d, code, &lo, &hi);
        /* A code on several grids (duplicate_code): the one of that name,
         * else the first. */
        for (at = lo; at < hi && strcmp(d->by_code[at]->name, name); at++)
            ;
        if (lo < hi) bl_add(&d->by_code[at < hi ? at : lo]->bl, &x);
    } else if (k == NT - 1) {
        d->have_backlog = 1;
    }
    return GS_OK;
}

/* The backlog of the trend's weeks, per grid, community, street and in
 * all. */
static int read_backlog(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->weeks[0], d->week, 0, 0};
    return gs__ledger_rows(l, GS__LS_HOTSPOTS_GRID_BACKLOG, &q, NULL,
                           backlog_row, d);
}

/* A grid_categories row kept until the categories are known. */
typedef struct catrow {
    int k;
    const char *community, *category;
    long events;
} catrow;

typedef struct catread {
    gs__rdata *d;
    catrow *v;
    size_t n, cap;
} catread;

static int category_row(void *user, gs__lrow *r) {
    catread *cr = user;
    gs__rdata *d = cr->d;
    int k = week_index(d, gs__lrow_week(r));
    catrow *c;
    if (k < 0) return GS_OK;
    c = push(d, (void **)&cr->v, &cr->cap, &cr->n, sizeof *cr->v,
             "table grid_categories");
    if (!c) return d->ctx->errcode;
    c->k = k;
    c->community = keep(d, gs__lrow_str(r, GS__GC_COMMUNITY_CODE));
    c->category = keep(d, gs__lrow_str(r, GS__GC_CATEGORY));
    c->events = gs__lrow_int(r, GS__GC_EVENTS);
    return GS_OK;
}

typedef struct cattotal {
    const char *name;
    long events;
} cattotal;

static int cmp_cattotal(const void *a, const void *b) {
    const cattotal *x = a, *y = b;
    if (x->events != y->events) return x->events > y->events ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Events per week and category of the trend's weeks: the categories most
 * frequent over those weeks get a colour each (MAX_CATS - 1 of them when
 * there are more, the rest summed as 其余类别). */
static int read_categories(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->weeks[0], d->week, 0, 0};
    catread cr = {d, NULL, 0, 0};
    cattotal *t = NULL;
    size_t nt = 0, per;
    int rc = gs__ledger_rows(l, GS__LS_HOTSPOTS_GRID_CATEGORIES, &q, NULL,
                             category_row, &cr);
    if (rc || !cr.n) goto done;
    t = gs__calloc(cr.n, sizeof *t);
    if (!t) {
        rc = gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cr.n; i++) {
        size_t j = 0;
        while (j < nt && strcmp(t[j].name, cr.v[i].category)) j++;
        if (j == nt) t[nt++].name = cr.v[i].category;
        t[j].events += cr.v[i].events;
    }
    qsort(t, nt, sizeof *t, cmp_cattotal);
    d->ncat = nt <= MAX_CATS ? nt : MAX_CATS;
    for (size_t c = 0; c < d->ncat; c++) d->cats[c] = t[c].name;
    if (nt > MAX_CATS) d->cats[MAX_CATS - 1] = "其余类别";
    per = (size_t)NT * d->ncat;
    d->all_cat = gs__calloc(per, sizeof *d->all_cat);
    d->cat_store = gs__calloc(per * (d->nc + d->ns) + 1, sizeof *d->cat_store);
    if (!d->all_cat || !d->cat_store) {
        rc = gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < d->nc; i++) d->comm[i].cat = d->cat_store + i * per;
    for (size_t i = 0; i < d->ns; i++)
        d->st[i].cat = d->cat_store + (d->nc + i) * per;
    for (size_t i = 0; i < cr.n; i++) {
        const catrow *r = &cr.v[i];
        size_t c = 0, at;
        gs__rcomm *cm = find_comm(d, r->community);
        while (c < d->ncat && strcmp(d->cats[c], r->category)) c++;
        if (c == d->ncat) c = d->ncat - 1; /* 其余类别 */
        at = (size_t)r->k * d->ncat + c;
        d->all_cat[at] += r->events;
        if (cm) {
            gs__rstreet *s = find_street(d, cm->code);
            cm->cat[at] += r->events;
            if (s) s->cat[at] += r->events;
        }
    }
done:
    free(cr.v);
    free(t);
    return rc;
}

static int trouble_row(void *user, gs__lrow *r) {
    gs__rdata *d = user;
    const char *kind = gs__lrow_str(r, GS__TS_KIND);
    const char *code = gs__lrow_str(r, GS__TS_GRID_CODE);
    if (!strcmp(kind, "overdue")) {
        gs__roverdue *o = push(d, (void **)&d->od, &d->cap_od, &d->nod,
                               sizeof *d->od, "table trouble_spots");
        OGRGeometryH g = gs__lrow_take_geom(r);
        if (!o) {
            if (g) OGR_G_DestroyGeometry(g);
            return d->ctx->errcode;
        }
        o->event_id = keep(d, gs__lrow_str(r, GS__TS_EVENT_ID));
        o->category = keep(d, gs__lrow_str(r, GS__TS_CATEGORY));
        o->grid = keep(d, code);
        o->community = keep(d, gs__lrow_str(r, GS__TS_COMMUNITY_CODE));
        o->date = keep(d, gs__lrow_str(r, GS__TS_DATE));
        o->deadline = keep(d, gs__lrow_str(r, GS__TS_DEADLINE));
        o->workdays_overdue = (int)gs__lrow_int(r, GS__TS_WORKDAYS_OVERDUE);
        o->deadline_workdays = (int)gs__lrow_int(r, GS__TS_DEADLINE_WORKDAYS);
        o->x = o->y = NAN;
        if (g && !OGR_G_IsEmpty(g)) {
            o->x = OGR_G_GetX(g, 0);
            o->y = OGR_G_GetY(g, 0);
        }
        if (g) OGR_G_DestroyGeometry(g);
    } else if (!strcmp(kind, "rising_grid") && code[0]) {
        size_t lo, hi;
        grid_range(d, code, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            d->by_code[k]->rising = 1;
            d->by_code[k]->rising_detail =
                keep(d, gs__lrow_str(r, GS__TS_DETAIL));
        }
    }
    return GS_OK;
}

/* The week's overdue events and rising grids. */
static int read_trouble(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->week, d->week, 1, 0};
    return gs__ledger_rows(l, GS__LS_HOTSPOTS_TROUBLE_SPOTS, &q,
                           " AND kind IN ('overdue', 'rising_grid')",
                           trouble_row, d);
}

static int hex_row(void *user, gs__lrow *r) {
    gs__rdata *d = user;
    gs__rhex *h = push(d, (void **)&d->hex, &d->cap_hex, &d->nhex,
                       sizeof *d->hex, "table hex_hotspots");
    OGRGeometryH g = gs__lrow_take_geom(r);
    if (!h) {
        if (g) OGR_G_DestroyGeometry(g);
        return d->ctx->errcode;
    }
    h->id = keep(d, gs__lrow_str(r, GS__HX_HEX_ID));
    h->community = keep(d, gs__lrow_str(r, GS__HX_COMMUNITY_CODE));
    h->cls = "";
    h->events = gs__lrow_int(r, GS__HX_EVENTS);
    h->has_gi = !gs__lrow_null(r, GS__HX_GI_BIN);
    h->gi_bin = (int)gs__lrow_int(r, GS__HX_GI_BIN);
    if (h->gi_bin < -3) h->gi_bin = -3;
    if (h->gi_bin > 3) h->gi_bin = 3;
    if (g) g = OGR_G_ForceToMultiPolygon(g);
    if (g && !OGR_G_IsEmpty(g)) {
        h->geom = g;
        OGR_G_GetEnvelope(g, &h->env);
    } else if (g) {
        OGR_G_DestroyGeometry(g);
    }
    return GS_OK;
}

static int cmp_hex_id(const void *a, const void *b) {
    return strcmp(((const gs__rhex *)a)->id, ((const gs__rhex *)b)->id);
}

static int emerging_row(void *user, gs__lrow *r) {
    gs__rdata *d = user;
    gs__rhex key, *h;
    memset(&key, 0, sizeof key);
    key.id = gs__lrow_str(r, GS__EM_HEX_ID);
    h = bsearch(&key, d->hex, d->nhex, sizeof *d->hex, cmp_hex_id);
    if (h) h->cls = keep(d, gs__lrow_str(r, GS__EM_CLASS));
    return GS_OK;
}

/* The week's hexagons with their Gi* bins and emerging classes. */
static int read_hexes(gs__rdata *d, gs__ledger *l) {
    gs__ledger_query q = {d->week, d->week, 1, 0};
    int rc =
        gs__ledger_rows(l, GS__LS_HOTSPOTS_HEX_HOTSPOTS, &q, NULL, hex_row, d);
    if (rc || !d->nhex) return rc;
    qsort(d->hex, d->nhex, sizeof *d->hex, cmp_hex_id);
    q.geometry = 0;
    return gs__ledger_rows(l, GS__LS_HOTSPOTS_EMERGING, &q, NULL, emerging_row,
                           d);
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
        (rc = gs__ledger_week_tallies(l, d->weeks[0], d->week, trend_row, d)) ||
        (rc = read_backlog(d, l)) || (rc = read_categories(d, l)) ||
        (rc = read_trouble(d, l)) || (rc = read_hexes(d, l)) ||
        (rc = first_recorded(d, l)))
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
    for (size_t i = 0; i < d->nhex; i++)
        if (d->hex[i].geom) OGR_G_DestroyGeometry(d->hex[i].geom);
    free(d->hex);
    free(d->od);
    free(d->all_cat);
    free(d->cat_store);
    if (d->names) json_object_put(d->names);
    if (d->streets) json_object_put(d->streets);
    if (d->run) json_object_put(d->run);
    gs__arena_free(&d->a);
}
