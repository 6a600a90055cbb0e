/*
 * report_html.c - `gridsmith report`: the weekly report for the director.
 *
 * One self-contained HTML file per week, read from the ledger (ledger.c)
 * and nothing else: no network, no fonts or scripts to fetch, the CSS
 * inline and the maps and charts as inline SVG, so it opens from an e-mail
 * attachment or a USB stick on any office computer. Text is Chinese with
 * English labels.
 *
 * Data flow: read the week's rows of the ledger tables with OGR into plain
 * arrays (grid_status with its geometries, member_week, the missed
 * workdays of member_day, grid_events when the hotspots stage has run, the
 * community names from the week's last `runs` row, and the per-week tallies
 * of up to TREND_BACK earlier weeks by one SQL query), group them by street
 * (the first 9 digits of community_code) and community, then print the page
 * into one buffer and write it atomically (gs__out_file).
 *
 * Counting follows patrol's summary so the numbers agree with it: one
 * member_week row (a member on a grid) is one "member"; rows whose grid is
 * not in the week's grid_status are left out of the tallies but listed
 * among the members below standard. The coverage of a grid on the map is
 * the best coverage_pct among its members' rows.
 *
 * The maps transform nothing: the grids' coordinates are scaled into the
 * SVG viewBox with y flipped (and, for longitude/latitude, x shrunk by the
 * cosine of the middle latitude so shapes keep their proportions), then
 * rounded to whole pixels with repeated points dropped, which keeps a
 * street of a few hundred grids to a few hundred kilobytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <json-c/json.h>
#include <libgen.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "writer.h"
#include "datetime.h"
#include "report.h"
#include "shard.h"
#include "rules.h"

/* Earlier weeks the trend reaches back to (the chart shows these plus the
 * report's week). */
#define TREND_BACK 8
#define NT (TREND_BACK + 1)
/* Hard maximum of rows read from one table: far above a province shard's
 * 25,000 grids and members, far below what would exhaust memory. */
#define MAX_ROWS 2000000
/* The largest map drawn, in CSS pixels (two fit side by side). */
#define MAP_W 520
#define MAP_H 440
#define MAP_PAD 8
/* The page's hard maximum: a city's report is a few megabytes. */
#define MAX_PAGE ((size_t)256 << 20)
/* Radians per degree (M_PI is not ISO C). */
#define DEG (3.14159265358979323846 / 180.0)

void gs_report_html_opts_init(gs_report_html_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

typedef struct rgrid {
    const char *code, *community, *name, *issues;
    OGRGeometryH geom; /* owned; MultiPolygon or NULL */
    OGREnvelope env;
    double cov;         /* best coverage_pct of its members; NAN: none */
    long members;       /* roster members (validate's count) */
    int gi_bin, has_gi; /* hotspot bin -3..3 when has_gi */
    long events, open, overdue, self_resolved;
    int has_ev;
    const char *path; /* SVG path of the street's map, or NULL */
    int lx, ly, lok;  /* label position on that map */
} rgrid;

typedef struct rmember {
    const char *id, *grid, *community, *note, *grid_name;
    double hours, cov; /* cov NAN when null */
    int workdays, workdays_ok, weekly_ok, compliant, has_grid;
    unsigned missed; /* bit k: day k of the week (Monday 0) missed */
} rmember;

/* Counts for one set of member rows (a community, street, week...). */
typedef struct tally {
    long members, compliant, n_cov;
    double hours_s, cov;
} tally;

typedef struct rcomm {
    const char *code, *name;
    char street[16];
    tally now;
    size_t g0, g1;       /* its grids: grids[g0..g1) */
    size_t m0, m1;       /* its members: mem[m0..m1) */
    const char *outline; /* SVG path of its grids' union, or NULL */
    int lx, ly;          /* its label on the map */
} rcomm;

typedef struct rstreet {
    char code[16];
    size_t c0, c1; /* its communities: comm[c0..c1) */
    tally now, trend[NT];
} rstreet;

typedef struct rdata {
    gs_ctx *ctx;
    /* With --shard, " AND (grid_code LIKE '110108%' OR ...)": the rows
     * of the grids (and members on the grids) the shard owns; every query
     * of the week's tables ends with it. runs_sql: the runs of a PostGIS
     * ledger whose shard covers the shard asked for or lies inside it. */
    char shard_sql[GS_MAX_SHARDS * 40 + 16];
    char runs_sql[GS_MAX_SHARDS * 80 + 16];
    gs__arena a;
    int nomem; /* sticky: an arena copy failed */
    rgrid *grids;
    size_t ng, cap_g;
    rgrid **by_code; /* grids sorted by code, for lookups */
    rmember *mem;
    size_t nm, cap_m;
    rcomm *comm;
    size_t nc;
    rstreet *st;
    size_t ns;
    tally all, all_trend[NT];
    int have_patrol, have_events, geographic;
    int32_t monday;
    char week[16], weeks[NT][16];
    json_object *names; /* community_code -> name, or NULL */
} rdata;

/* ---- small helpers ------------------------------------------------------ */

/* Appends `s` to b with &, <, >, " and ' escaped: safe in text and in
 * attribute values. */
static void esc(gs__buf *b, const char *s) {
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default: continue;
        }
        gs__buf_add(b, run, (size_t)(s - run));
        gs__buf_puts(b, rep);
        run = s + 1;
    }
    gs__buf_add(b, run, (size_t)(s - run));
}

/* A new zeroed element at the end of the growable array *p (*n elements
 * of `size` bytes, room for *cap). NULL, with the context's error naming
 * `where`, when out of memory or past MAX_ROWS. */
static void *push(rdata *d, void **p, size_t *cap, size_t *n, size_t size,
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

/* The feature's field as an arena string ("" when unset or null). */
static const char *fstr(rdata *d, OGRFeatureH f, int i) {
    const char *s;
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return "";
    s = gs__arena_strdup(&d->a, OGR_F_GetFieldAsString(f, i));
    if (!s) {
        d->nomem = 1;
        return "";
    }
    return s;
}

static long fint(OGRFeatureH f, int i) {
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return 0;
    return (long)OGR_F_GetFieldAsInteger64(f, i);
}

static double freal(OGRFeatureH f, int i) {
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return NAN;
    return OGR_F_GetFieldAsDouble(f, i);
}

static int fidx(OGRLayerH l, const char *name) {
    return OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), name);
}

static int cmp_grid_code(const void *a, const void *b) {
    return strcmp((*(rgrid *const *)a)->code, (*(rgrid *const *)b)->code);
}

/* The grids with code `code`: by_code[*lo .. *hi); empty when none. */
static void grid_range(const rdata *d, const char *code, size_t *lo,
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

static void tally_add(tally *t, const rmember *m) {
    t->members++;
    t->compliant += m->compliant != 0;
    t->hours_s += m->hours * 3600.0;
    if (!isnan(m->cov)) {
        t->cov += m->cov;
        t->n_cov++;
    }
}

static void tally_sum(tally *t, const tally *u) {
    t->members += u->members;
    t->compliant += u->compliant;
    t->hours_s += u->hours_s;
    t->cov += u->cov;
    t->n_cov += u->n_cov;
}

/* Opens table `name` filtered to the report's week (and `extra`, "" or
 * " AND <condition>"), reading geometries only when `geometry`, and looks
 * up the `n` fields named in `fields` into ix (-1 when absent). NULL when
 * the ledger has no such table (a stage that never ran). */
static OGRLayerH week_layer(rdata *d, GDALDatasetH ds, const char *name,
                            const char *extra, int geometry,
                            const char *const *fields, int *ix, size_t n) {
    static const char *no_geometry[] = {"OGR_GEOMETRY", NULL};
    static const char *everything[] = {NULL};
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    char where[160 + sizeof d->runs_sql];
    if (!l) return NULL;
    snprintf(where, sizeof where, "week = '%s'%s%s", d->week, extra,
             strcmp(name, "runs") ? d->shard_sql : d->runs_sql);
    OGR_L_SetAttributeFilter(l, where);
    OGR_L_SetIgnoredFields(l, geometry ? everything : no_geometry);
    OGR_L_ResetReading(l);
    for (size_t i = 0; i < n; i++) ix[i] = fidx(l, fields[i]);
    return l;
}

/* ---- reading the ledger ------------------------------------------------- */

/* The week's grids with their geometries (forced to MultiPolygon). */
static int read_grids(rdata *d, GDALDatasetH ds, const char *path) {
    enum { CODE, COMMUNITY, NAME, ISSUES, MEMBERS, N };
    static const char *const fields[N] = {"grid_code", "community_code", "name",
                                          "issues", "members"};
    int ix[N];
    OGRLayerH l = week_layer(d, ds, "grid_status", "", 1, fields, ix, N);
    OGRSpatialReferenceH srs;
    OGRFeatureH f;
    if (!l)
        return gs__err(d->ctx, GS_ERR_INPUT_OPEN,
                       "%s: not a gridsmith ledger (no table grid_status)",
                       path);
    srs = OGR_L_GetSpatialRef(l);
    d->geographic = srs && OSRIsGeographic(srs);
    if (ix[CODE] < 0 || ix[COMMUNITY] < 0)
        return gs__err(d->ctx, GS_ERR_INPUT_FIELD,
                       "%s, table grid_status: no field %s", path,
                       fields[ix[CODE] < 0 ? CODE : COMMUNITY]);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        rgrid *g;
        OGRGeometryH geom;
        g = push(d, (void **)&d->grids, &d->cap_g, &d->ng, sizeof *d->grids,
                 "table grid_status");
        if (!g) {
            OGR_F_Destroy(f);
            return d->ctx->errcode;
        }
        g->code = fstr(d, f, ix[CODE]);
        g->community = fstr(d, f, ix[COMMUNITY]);
        g->name = fstr(d, f, ix[NAME]);
        g->issues = fstr(d, f, ix[ISSUES]);
        /* Without the roster count, assume a member: "no data" then
         * rather than a wrong "no member". */
        g->members = ix[MEMBERS] < 0 ? 1 : fint(f, ix[MEMBERS]);
        g->cov = NAN;
        geom = OGR_F_StealGeometry(f);
        if (geom) geom = OGR_G_ForceToMultiPolygon(geom);
        if (geom && !OGR_G_IsEmpty(geom)) {
            g->geom = geom;
            OGR_G_GetEnvelope(geom, &g->env);
        } else if (geom) {
            OGR_G_DestroyGeometry(geom);
        }
        OGR_F_Destroy(f);
    }
    d->by_code = gs__malloc(sizeof *d->by_code * (d->ng ? d->ng : 1));
    if (!d->by_code) return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->ng; i++) d->by_code[i] = &d->grids[i];
    qsort(d->by_code, d->ng, sizeof *d->by_code, cmp_grid_code);
    return GS_OK;
}

static int cmp_member_key(const void *a, const void *b) {
    const rmember *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->grid, y->grid);
}

/* The week's member_week rows; each is placed in its grid's community
 * (or, for a grid not in grid_status, the community its code names). */
static int read_members(rdata *d, GDALDatasetH ds, const char *path) {
    enum { ID, GRID, SECONDS, DAYS, DAYS_OK, WEEK_OK, COV, COMPLIANT, NOTE, N };
    static const char *const fields[N] = {
        "member_id",    "grid_code",   "in_grid_tolerant_s",
        "workdays",     "workdays_ok", "weekly_ok",
        "coverage_pct", "compliant",   "note"};
    static const int required[] = {ID, GRID, COMPLIANT};
    int ix[N];
    OGRLayerH l = week_layer(d, ds, "member_week", "", 0, fields, ix, N);
    OGRFeatureH f;
    if (!l) return GS_OK; /* a job without traces: no patrol */
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (ix[required[k]] < 0)
            return gs__err(d->ctx, GS_ERR_INPUT_FIELD,
                           "%s, table member_week: no field %s", path,
                           fields[required[k]]);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        rmember *m;
        size_t lo, hi;
        double s;
        m = push(d, (void **)&d->mem, &d->cap_m, &d->nm, sizeof *d->mem,
                 "table member_week");
        if (!m) {
            OGR_F_Destroy(f);
            return d->ctx->errcode;
        }
        m->id = fstr(d, f, ix[ID]);
        m->grid = fstr(d, f, ix[GRID]);
        s = freal(f, ix[SECONDS]);
        m->hours = isnan(s) ? 0 : s / 3600.0;
        m->workdays = (int)fint(f, ix[DAYS]);
        m->workdays_ok = (int)fint(f, ix[DAYS_OK]);
        m->weekly_ok = (int)fint(f, ix[WEEK_OK]);
        m->cov = freal(f, ix[COV]);
        m->compliant = fint(f, ix[COMPLIANT]) != 0;
        m->note = fstr(d, f, ix[NOTE]);
        OGR_F_Destroy(f);
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
            m->community =
                strlen(m->grid) >= 12 ? gs__arena_strdup(&d->a, c) : "";
            m->grid_name = "";
            if (!m->community) {
                d->nomem = 1;
                m->community = "";
            }
        }
    }
    return GS_OK;
}

/* Marks the workdays each member missed (daily_ok = 0) from member_day. */
static int read_missed_days(rdata *d, GDALDatasetH ds) {
    enum { ID, GRID, DATE, N };
    static const char *const fields[N] = {"member_id", "grid_code", "date"};
    int ix[N];
    OGRLayerH l;
    OGRFeatureH f;
    if (!d->nm) return GS_OK;
    l = week_layer(d, ds, "member_day", " AND workday = 1 AND daily_ok = 0", 0,
                   fields, ix, N);
    if (!l || ix[ID] < 0 || ix[GRID] < 0 || ix[DATE] < 0) return GS_OK;
    qsort(d->mem, d->nm, sizeof *d->mem, cmp_member_key);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        rmember key, *m;
        int32_t day;
        memset(&key, 0, sizeof key);
        key.id = OGR_F_GetFieldAsString(f, ix[ID]);
        key.grid = OGR_F_GetFieldAsString(f, ix[GRID]);
        m = bsearch(&key, d->mem, d->nm, sizeof *d->mem, cmp_member_key);
        if (m &&
            gs__date_parse(OGR_F_GetFieldAsString(f, ix[DATE]), &day) ==
                GS_OK &&
            day >= d->monday && day < d->monday + 7)
            m->missed |= 1u << (day - d->monday);
        OGR_F_Destroy(f);
    }
    return GS_OK;
}

/* Counts and Gi* bins per grid from grid_events, when hotspots ran. */
static int read_events(rdata *d, GDALDatasetH ds) {
    enum { GRID, EVENTS, OPEN, OVERDUE, SELF, BIN, N };
    static const char *const fields[N] = {
        "grid_code", "events", "open", "overdue", "self_resolved", "gi_bin"};
    int ix[N];
    OGRLayerH l = week_layer(d, ds, "grid_events", "", 0, fields, ix, N);
    OGRFeatureH f;
    if (!l || ix[GRID] < 0) return GS_OK;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        size_t lo, hi;
        d->have_events = 1;
        grid_range(d, OGR_F_GetFieldAsString(f, ix[GRID]), &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            rgrid *g = d->by_code[k];
            g->has_ev = 1;
            g->events = fint(f, ix[EVENTS]);
            g->open = fint(f, ix[OPEN]);
            g->overdue = fint(f, ix[OVERDUE]);
            g->self_resolved = fint(f, ix[SELF]);
            if (ix[BIN] >= 0 && OGR_F_IsFieldSetAndNotNull(f, ix[BIN])) {
                long b = fint(f, ix[BIN]);
                g->has_gi = 1;
                g->gi_bin = b < -3 ? -3 : b > 3 ? 3 : (int)b;
            }
        }
        OGR_F_Destroy(f);
    }
    return GS_OK;
}

/* Community names from the week's last run (validate's by_community). */
static void read_names(rdata *d, GDALDatasetH ds) {
    static const char *const fields[1] = {"run"};
    int ir;
    OGRLayerH l = week_layer(d, ds, "runs", "", 0, fields, &ir, 1);
    OGRFeatureH f;
    char *last = NULL;
    json_object *run, *v, *by;
    if (!l || ir < 0) return;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        free(last);
        last = gs__strdup(OGR_F_GetFieldAsString(f, ir));
        OGR_F_Destroy(f);
    }
    run = last ? json_tokener_parse(last) : NULL;
    free(last);
    if (!run) return;
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
}

static rstreet *find_street(rdata *d, const char *community) {
    char code[16];
    snprintf(code, sizeof code, "%.9s", community);
    for (size_t i = 0; i < d->ns; i++)
        if (!strcmp(d->st[i].code, code)) return &d->st[i];
    return NULL;
}

/* Orders two rows of the trend queries by (week, grid_code), the order
 * both queries return (SQLite's BINARY collation is strcmp's). */
static int cmp_week_grid(OGRFeatureH a, OGRFeatureH b) {
    int c = strcmp(OGR_F_GetFieldAsString(a, 0), OGR_F_GetFieldAsString(b, 0));
    return c ? c
             : strcmp(OGR_F_GetFieldAsString(a, 1),
                      OGR_F_GetFieldAsString(b, 1));
}

/* Tallies of the weeks of the trend, per street and in all. Rows count as
 * in the report's week: only those whose grid is in that week's
 * grid_status. Two grouped queries (SQLite's own dialect, which the
 * GeoPackage driver passes through), both ordered by week and grid, are
 * merged here: SQLite would join them by nested loops, seconds for a
 * city. */
static int read_trend(rdata *d, GDALDatasetH ds) {
    char sql_g[512 + sizeof d->shard_sql], sql_m[512 + sizeof d->shard_sql];
    OGRLayerH rg = NULL, rm = NULL;
    OGRFeatureH fg = NULL, fm;
    int rc = GS_OK;
    if (!GDALDatasetGetLayerByName(ds, "member_week")) return GS_OK;
    snprintf(sql_g, sizeof sql_g,
             "SELECT week, grid_code, min(community_code) FROM grid_status "
             "WHERE week BETWEEN '%s' AND '%s'%s GROUP BY week, grid_code "
             "ORDER BY week, grid_code",
             d->weeks[0], d->week, d->shard_sql);
    snprintf(sql_m, sizeof sql_m,
             /* SQL both SQLite and PostgreSQL read alike. */
             "SELECT week, grid_code, count(*), sum(CASE WHEN compliant "
             "<> 0 THEN 1 ELSE 0 END), coalesce(sum(in_grid_tolerant_s), "
             "0.0), coalesce(sum(coverage_pct), 0.0), count(coverage_pct) "
             "FROM member_week WHERE week BETWEEN '%s' AND '%s'%s "
             "GROUP BY week, grid_code ORDER BY week, grid_code",
             d->weeks[0], d->week, d->shard_sql);
    gs__libmsg_clear(d->ctx);
    rg = GDALDatasetExecuteSQL(ds, sql_g, NULL, NULL);
    rm = rg ? GDALDatasetExecuteSQL(ds, sql_m, NULL, NULL) : NULL;
    if (!rm) {
        rc = gs__err_lib(d->ctx, GS_ERR_INPUT,
                         "cannot read the weekly history from the ledger");
        goto done;
    }
    fg = OGR_L_GetNextFeature(rg);
    while ((fm = OGR_L_GetNextFeature(rm)) != NULL) {
        int c = 1;
        while (fg && (c = cmp_week_grid(fg, fm)) < 0) {
            OGR_F_Destroy(fg);
            fg = OGR_L_GetNextFeature(rg);
        }
        if (fg && c == 0) {
            const char *w = OGR_F_GetFieldAsString(fm, 0);
            rstreet *s = find_street(d, OGR_F_GetFieldAsString(fg, 2));
            tally t;
            memset(&t, 0, sizeof t);
            t.members = (long)OGR_F_GetFieldAsInteger64(fm, 2);
            t.compliant = (long)OGR_F_GetFieldAsInteger64(fm, 3);
            t.hours_s = OGR_F_GetFieldAsDouble(fm, 4);
            t.cov = OGR_F_GetFieldAsDouble(fm, 5);
            t.n_cov = (long)OGR_F_GetFieldAsInteger64(fm, 6);
            for (int k = 0; k < NT; k++) {
                if (strcmp(w, d->weeks[k])) continue;
                tally_sum(&d->all_trend[k], &t);
                if (s) tally_sum(&s->trend[k], &t);
            }
        }
        OGR_F_Destroy(fm);
    }
done:
    if (fg) OGR_F_Destroy(fg);
    if (rm) GDALDatasetReleaseResultSet(ds, rm);
    if (rg) GDALDatasetReleaseResultSet(ds, rg);
    return rc;
}

/* ---- grouping ----------------------------------------------------------- */

static int cmp_grid(const void *a, const void *b) {
    const rgrid *x = a, *y = b;
    int c = strcmp(x->community, y->community);
    return c ? c : strcmp(x->code, y->code);
}

static int cmp_member(const void *a, const void *b) {
    const rmember *x = a, *y = b;
    int c = strcmp(x->community, y->community);
    return c ? c : cmp_member_key(a, b);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts grids and members by community and builds the communities and
 * streets with this week's tallies. The grids' by_code index is rebuilt
 * (sorting moves the grids). */
static int group(rdata *d) {
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
        rcomm *c;
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
            rstreet *s = &d->st[d->ns++];
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

/* ---- SVG ---------------------------------------------------------------- */

typedef struct mapview {
    double minx, maxy, kx, s;
    int w, h;
} mapview;

/* Fits grids[g0..g1) into at most MAP_W x MAP_H pixels. 0 when nothing
 * has a geometry. */
static int map_view(const rdata *d, size_t g0, size_t g1, mapview *v) {
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY,
           dx, dy;
    for (size_t i = g0; i < g1; i++) {
        const rgrid *g = &d->grids[i];
        if (!g->geom) continue;
        minx = fmin(minx, g->env.MinX);
        miny = fmin(miny, g->env.MinY);
        maxx = fmax(maxx, g->env.MaxX);
        maxy = fmax(maxy, g->env.MaxY);
    }
    if (!(minx <= maxx && miny <= maxy)) return 0;
    v->kx = d->geographic ? cos((miny + maxy) / 2 * DEG) : 1.0;
    dx = (maxx - minx) * v->kx;
    dy = maxy - miny;
    if (!(dx > 0) && !(dy > 0)) return 0;
    v->s = fmin(dx > 0 ? (MAP_W - 2 * MAP_PAD) / dx : INFINITY,
                dy > 0 ? (MAP_H - 2 * MAP_PAD) / dy : INFINITY);
    v->minx = minx;
    v->maxy = maxy;
    v->w = (int)ceil(dx * v->s) + 2 * MAP_PAD;
    v->h = (int)ceil(dy * v->s) + 2 * MAP_PAD;
    return 1;
}

static void to_px(const mapview *v, double x, double y, int *px, int *py) {
    *px = (int)lround(MAP_PAD + (x - v->minx) * v->kx * v->s);
    *py = (int)lround(MAP_PAD + (v->maxy - y) * v->s);
}

/* The SVG path of a MultiPolygon on the map, rounded to whole pixels with
 * repeated points dropped; rings that collapse to fewer than three points
 * are left out. NULL when nothing is left or out of memory. */
static char *svg_path(const OGRGeometryH mp, const mapview *v) {
    gs__buf b;
    char *out;
    gs__buf_init(&b, 0);
    for (int p = 0; p < OGR_G_GetGeometryCount(mp); p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, p);
        for (int r = 0; r < OGR_G_GetGeometryCount(poly); r++) {
            OGRGeometryH ring = OGR_G_GetGeometryRef(poly, r);
            int n = OGR_G_GetPointCount(ring), kept = 0, px0 = 0, py0 = 0;
            size_t start = b.len;
            for (int i = 0; i < n; i++) {
                int px, py;
                to_px(v, OGR_G_GetX(ring, i), OGR_G_GetY(ring, i), &px, &py);
                if (kept && px == px0 && py == py0) continue;
                gs__buf_printf(&b,
                               kept == 0   ? "M%d %d"
                               : kept == 1 ? "L%d %d"
                                           : " %d %d",
                               px, py);
                px0 = px;
                py0 = py;
                kept++;
            }
            /* The closing point repeats the first: 4 kept is a triangle. */
            if (kept < 4) {
                b.len = start;
                if (b.data) b.data[start] = '\0';
            } else {
                gs__buf_puts(&b, "Z");
            }
        }
    }
    out = b.len && !b.failed ? gs__buf_steal(&b) : NULL;
    gs__buf_free(&b);
    return out;
}

/* A label position inside `g` on the map: its point on surface, or the
 * middle of its envelope when GEOS cannot say (an invalid shape). */
static void label_at(OGRGeometryH g, const mapview *v, int *px, int *py) {
    OGRGeometryH pt = OGR_G_PointOnSurface(g);
    OGREnvelope e;
    if (pt && !OGR_G_IsEmpty(pt)) {
        to_px(v, OGR_G_GetX(pt, 0), OGR_G_GetY(pt, 0), px, py);
    } else {
        OGR_G_GetEnvelope(g, &e);
        to_px(v, (e.MinX + e.MaxX) / 2, (e.MinY + e.MaxY) / 2, px, py);
    }
    if (pt) OGR_G_DestroyGeometry(pt);
}

/* Adds the polygons of `g` (any type) to the MultiPolygon `mp`. */
static void add_polygons(OGRGeometryH mp, OGRGeometryH g) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon) {
        OGR_G_AddGeometry(mp, g);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            add_polygons(mp, OGR_G_GetGeometryRef(g, i));
    }
}

/* The outline of a community on the map: the union of its grids (invalid
 * ones repaired first). NULL when GEOS fails; the map then goes without. */
static char *community_path(const rdata *d, const rcomm *c, const mapview *v,
                            int *lx, int *ly) {
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon), u = NULL;
    char *path = NULL;
    if (!mp) return NULL;
    for (size_t i = c->g0; i < c->g1; i++) {
        OGRGeometryH g = d->grids[i].geom, fixed;
        int valid;
        if (!g) continue;
        /* GEOS's reason for invalidity would come as a warning; validate
         * has reported the shape already. */
        CPLPushErrorHandler(CPLQuietErrorHandler);
        valid = OGR_G_IsValid(g);
        CPLPopErrorHandler();
        if (valid) {
            add_polygons(mp, g);
        } else if ((fixed = OGR_G_MakeValid(g)) != NULL) {
            add_polygons(mp, fixed);
            OGR_G_DestroyGeometry(fixed);
        }
    }
    if (OGR_G_GetGeometryCount(mp) > 0) u = OGR_G_UnionCascaded(mp);
    OGR_G_DestroyGeometry(mp);
    if (u) {
        u = OGR_G_ForceToMultiPolygon(u);
        path = svg_path(u, v);
        label_at(u, v, lx, ly);
        OGR_G_DestroyGeometry(u);
    }
    return path;
}

/* The short label of a grid on the map: its 3-digit sequence. */
static const char *grid_label(const rgrid *g) {
    size_t n = strlen(g->code);
    return n == 15 ? g->code + 12 : g->code;
}

/* The width of a label in pixels, roughly: 14 for a CJK character, 8 for
 * others (the community label's 14 px bold). */
static int label_width(const char *s) {
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0xe0)
            w += 14;
        else if (*p < 0x80)
            w += 8;
    }
    return w;
}

/* Whether a grid's number (11 px digits, centred on lx, ly) and a
 * community's name (14 px bold, centred on x, y, half-width half) would
 * touch. */
static int labels_touch(const rgrid *g, int x, int y, int half) {
    int gw = (int)strlen(grid_label(g)) * 7 / 2 + 2;
    return g->path && g->lok && abs(g->lx - x) < half + gw &&
           abs(g->ly - y) < 16;
}

/* Places a community's name: from its point on surface, moved up or down
 * to the first place where it covers no grid number and no other
 * community's name, kept inside the map; where there is none, it stays
 * and the grid numbers under it are dropped (a director reads the
 * community first; each grid's tooltip still names it). */
static void place_community_label(rdata *d, const rstreet *s, rcomm *cm,
                                  const mapview *v) {
    static const int dy[] = {0, 18, -18, 36, -36, 54, -54};
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    int half = label_width(cm->name[0] ? cm->name : cm->code) / 2 + 2;
    int x = cm->lx, y0 = cm->ly;
    if (x > v->w - half) x = v->w - half;
    if (x < half) x = half;
    cm->lx = x;
    for (size_t k = 0; k < sizeof dy / sizeof dy[0]; k++) {
        int y = y0 + dy[k], clear = y >= 12 && y <= v->h - 8;
        for (size_t i = g0; i < g1 && clear; i++)
            if (labels_touch(&d->grids[i], x, y, half)) clear = 0;
        for (const rcomm *o = &d->comm[s->c0]; o < cm && clear; o++)
            if (o->outline && abs(o->lx - x) < 2 * half && abs(o->ly - y) < 18)
                clear = 0;
        if (clear) {
            cm->ly = y;
            return;
        }
    }
    cm->ly = y0 < 12 ? 12 : y0 > v->h - 8 ? v->h - 8 : y0;
    for (size_t i = g0; i < g1; i++)
        if (labels_touch(&d->grids[i], x, cm->ly, half)) d->grids[i].lok = 0;
}

/* Paths and label positions of a street's grids and communities on its
 * map. */
static int map_paths(rdata *d, const rstreet *s, const mapview *v) {
    for (size_t c = s->c0; c < s->c1; c++) {
        rcomm *cm = &d->comm[c];
        char *p;
        for (size_t i = cm->g0; i < cm->g1; i++) {
            rgrid *g = &d->grids[i];
            if (!g->geom) continue;
            p = svg_path(g->geom, v);
            if (p) {
                g->path = gs__arena_strdup(&d->a, p);
                free(p);
                if (!g->path)
                    return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
            }
            label_at(g->geom, v, &g->lx, &g->ly);
            /* Only grids wide enough on the map carry their number. */
            g->lok = (g->env.MaxX - g->env.MinX) * v->kx * v->s >=
                         (double)strlen(grid_label(g)) * 7 + 4 &&
                     (g->env.MaxY - g->env.MinY) * v->s >= 14;
        }
        p = community_path(d, cm, v, &cm->lx, &cm->ly);
        if (p) {
            cm->outline = gs__arena_strdup(&d->a, p);
            free(p);
            if (!cm->outline)
                return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t c = s->c0; c < s->c1; c++)
        if (d->comm[c].outline) place_community_label(d, s, &d->comm[c], v);
    return GS_OK;
}

typedef struct klass {
    const char *color, *zh, *en;
} klass;

/* Coverage classes (ColorBrewer RdYlGn), then grids without patrol data
 * and grids without a member. */
static const klass cov_classes[] = {{"#1a9850", "≥ 95%", ""},
                                    {"#91cf60", "80–95%", ""},
                                    {"#fee08b", "60–80%", ""},
                                    {"#fc8d59", "40–60%", ""},
                                    {"#d73027", "< 40%", ""},
                                    {"#d9d9d9", "无巡查数据", "no data"},
                                    {"#969696", "无网格员", "no member"}};

static int cov_class(const rgrid *g) {
    double c = g->cov;
    if (!g->members) return 6;
    if (isnan(c)) return 5;
    return c >= 95 ? 0 : c >= 80 ? 1 : c >= 60 ? 2 : c >= 40 ? 3 : 4;
}

/* Gi* bins 3..-3 (ColorBrewer RdBu), then "not computed". */
static const klass gi_classes[] = {{"#b2182b", "热点 99%", "hot spot"},
                                   {"#ef8a62", "热点 95%", "hot spot"},
                                   {"#fddbc7", "热点 90%", "hot spot"},
                                   {"#f7f7f7", "不显著", "not significant"},
                                   {"#d1e5f0", "冷点 90%", "cold spot"},
                                   {"#67a9cf", "冷点 95%", "cold spot"},
                                   {"#2166ac", "冷点 99%", "cold spot"},
                                   {"#d9d9d9", "未计算", "not computed"}};

static int gi_class(const rgrid *g) { return g->has_gi ? 3 - g->gi_bin : 7; }

static void legend(gs__buf *b, const klass *k, size_t n, const long *count) {
    gs__buf_puts(b, "<ul class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        if (!count[i]) continue;
        gs__buf_printf(b, "<li><i style=\"background:%s\"></i>", k[i].color);
        esc(b, k[i].zh);
        if (k[i].en[0]) {
            gs__buf_puts(b, " <span class=\"en\">");
            esc(b, k[i].en);
            gs__buf_puts(b, "</span>");
        }
        gs__buf_printf(b, " (%ld)</li>", count[i]);
    }
    gs__buf_puts(b,
                 "<li><i class=\"edge\"></i>社区边界 <span class=\"en\">"
                 "community boundary</span></li></ul>");
}

/* One map of a street's grids: `hot` 0 colours by coverage, 1 by Gi* bin.
 * Grids carry their 3-digit number, communities their name. */
static void map_svg(gs__buf *b, const rdata *d, const rstreet *s,
                    const mapview *v, int hot, const char *title) {
    const klass *k = hot ? gi_classes : cov_classes;
    size_t nk = hot ? sizeof gi_classes / sizeof gi_classes[0]
                    : sizeof cov_classes / sizeof cov_classes[0];
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    long count[8] = {0};
    gs__buf_printf(b,
                   "<svg class=\"map\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" role=\"img\" aria-label=\"",
                   v->w, v->h, v->w, v->h);
    esc(b, title);
    gs__buf_puts(b,
                 "\"><g stroke=\"#555\" stroke-width=\"0.8\" "
                 "stroke-linejoin=\"round\" fill-rule=\"evenodd\">");
    for (size_t i = g0; i < g1; i++) {
        const rgrid *g = &d->grids[i];
        int c = hot ? gi_class(g) : cov_class(g);
        if (!g->path) continue;
        count[c]++;
        gs__buf_printf(b, "<path fill=\"%s\" d=\"%s\"><title>", k[c].color,
                       g->path);
        esc(b, g->name[0] ? g->name : g->code);
        gs__buf_puts(b, " ");
        esc(b, g->code);
        if (hot && g->has_ev)
            gs__buf_printf(b, ": %ld 件事件 events", g->events);
        else if (!hot && !isnan(g->cov))
            gs__buf_printf(b, ": 覆盖率 coverage %.1f%%", g->cov);
        if (g->issues[0]) {
            /* validate's findings, for whoever hovers over the grid */
            gs__buf_puts(b, "; 问题 issues: ");
            esc(b, g->issues);
        }
        gs__buf_puts(b, "</title></path>");
    }
    gs__buf_puts(b,
                 "</g><g fill=\"none\" stroke=\"#1b2a3a\" "
                 "stroke-width=\"2.4\" stroke-linejoin=\"round\" "
                 "fill-rule=\"evenodd\">");
    for (size_t c = s->c0; c < s->c1; c++)
        if (d->comm[c].outline)
            gs__buf_printf(b, "<path d=\"%s\"/>", d->comm[c].outline);
    gs__buf_puts(b, "</g><g class=\"lbl\">");
    for (size_t i = g0; i < g1; i++) {
        const rgrid *g = &d->grids[i];
        if (!g->path || !g->lok) continue;
        gs__buf_printf(b, "<text x=\"%d\" y=\"%d\">", g->lx, g->ly + 4);
        esc(b, grid_label(g));
        gs__buf_puts(b, "</text>");
    }
    gs__buf_puts(b, "</g><g class=\"clbl\">");
    for (size_t c = s->c0; c < s->c1; c++) {
        const rcomm *cm = &d->comm[c];
        if (!cm->outline) continue;
        gs__buf_printf(b, "<text x=\"%d\" y=\"%d\">", cm->lx, cm->ly + 5);
        esc(b, cm->name[0] ? cm->name : cm->code);
        gs__buf_puts(b, "</text>");
    }
    gs__buf_puts(b, "</g></svg>");
    legend(b, k, nk, count);
}

static void pct(gs__buf *b, long num, long den) {
    if (den > 0)
        gs__buf_printf(b, "%.1f%%", 100.0 * num / den);
    else
        gs__buf_puts(b, "—");
}

/* Where week `t` sits on the chart, 0..1: the compliant share (series 0)
 * or the mean hours over hmax (series 1). */
static double trend_value(const tally *t, int series, double hmax) {
    return series ? t->hours_s / 3600.0 / t->members / hmax
                  : (double)t->compliant / t->members;
}

/* A line chart of the compliant share and the mean hours per week. */
static void trend_svg(gs__buf *b, const rdata *d, const tally *t,
                      double std_h) {
    const int W = 560, H = 210, L = 48, R = 52, T = 16, B = 34;
    const double pw = W - L - R, ph = H - T - B;
    double hmax = std_h > 0 ? std_h * 1.5 : 10;
    int any = 0;
    for (int k = 0; k < NT; k++)
        if (t[k].members) {
            any = 1;
            hmax = fmax(hmax, t[k].hours_s / 3600.0 / t[k].members * 1.1);
        }
    if (!any) {
        gs__buf_puts(b,
                     "<p class=\"note\">台账中暂无这几周的巡查数据。"
                     "<span class=\"en\">No patrol data in the ledger "
                     "for these weeks.</span></p>");
        return;
    }
    hmax = ceil(hmax / 4) * 4; /* whole hours on the 4 ticks */
    gs__buf_printf(b,
                   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" role=\"img\" aria-label=\"趋势 trend\">"
                   "<g stroke=\"#ddd\" font-size=\"11\" fill=\"#555\">",
                   W, H, W, H);
    for (int i = 0; i <= 4; i++) {
        double y = T + ph * (1 - i / 4.0);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "text-anchor=\"end\" fill=\"#1f5f99\">%d%%</text>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "fill=\"#c0560b\">%g h</text>",
                       L, W - R, y, y, L - 6, y + 4, i * 25, W - R + 6, y + 4,
                       hmax * i / 4);
    }
    for (int k = 0; k < NT; k++) {
        double x = L + pw * k / (NT - 1);
        gs__buf_printf(b,
                       "<text stroke=\"none\" x=\"%.1f\" y=\"%d\" "
                       "text-anchor=\"middle\"%s>%s</text>",
                       x, H - B + 16, t[k].members ? "" : " fill=\"#bbb\"",
                       d->weeks[k] + 5);
    }
    if (std_h > 0) {
        double y = T + ph * (1 - std_h / hmax);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#e08a4a\" stroke-dasharray=\"5 4\"/>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "fill=\"#c0560b\">标准 standard %g h</text>",
                       L, W - R, y, y, L + 4, y - 4, std_h);
    }
    gs__buf_puts(b, "</g>");
    for (int series = 0; series < 2; series++) {
        const char *color = series ? "#e66101" : "#1f78b4";
        int pen = 0, last = -1;
        gs__buf_printf(b,
                       "<path fill=\"none\" stroke=\"%s\" "
                       "stroke-width=\"2.5\" d=\"",
                       color);
        for (int k = 0; k < NT; k++) {
            if (!t[k].members) {
                pen = 0;
                continue;
            }
            gs__buf_printf(b, "%s%.1f %.1f", pen ? " " : "M",
                           L + pw * k / (NT - 1),
                           T + ph * (1 - trend_value(&t[k], series, hmax)));
            pen = 1;
            last = k;
        }
        gs__buf_printf(b, "\"/><g fill=\"%s\">", color);
        for (int k = 0; k < NT; k++)
            if (t[k].members)
                gs__buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>",
                               L + pw * k / (NT - 1),
                               T + ph * (1 - trend_value(&t[k], series, hmax)));
        /* The latest values spelled out: the share above its point, the
         * hours below theirs, so the two never cover each other. */
        if (last >= 0) {
            double y = T + ph * (1 - trend_value(&t[last], series, hmax));
            gs__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                           "font-weight=\"bold\" text-anchor=\"end\">",
                           L + pw * last / (NT - 1) - 7,
                           series ? y + 16 : y - 7);
            if (series)
                gs__buf_printf(b, "%.1f h",
                               t[last].hours_s / 3600.0 / t[last].members);
            else
                pct(b, t[last].compliant, t[last].members);
            gs__buf_puts(b, "</text>");
        }
        gs__buf_puts(b, "</g>");
    }
    gs__buf_puts(b, "</svg>");
}

/* ---- HTML --------------------------------------------------------------- */

static const char *const css =
    "body{margin:0;color:#222;background:#fff;line-height:1.5;"
    "font-family:\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\","
    "\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\","
    "\"WenQuanYi Zen Hei\",sans-serif}"
    "main{max-width:1140px;margin:0 auto;padding:12px 24px 40px}"
    "h1{font-size:26px;margin:10px 0 2px}h2{font-size:21px;margin:24px 0 6px}"
    "h3{font-size:17px;margin:18px 0 4px}h4{font-size:15px;margin:12px 0 4px}"
    ".en{color:#666;font-weight:normal;font-size:.85em}"
    ".sub{font-size:17px;margin:0}.note{color:#555;font-size:14px}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}"
    "th,td{border:1px solid #c8ccd2;padding:3px 8px;text-align:right;"
    "vertical-align:top}th{background:#eef2f7;font-weight:600}"
    "th .en{display:block;font-size:11px}.l{text-align:left}"
    "tr.total td{font-weight:bold;background:#f7f7f7}"
    ".bad{color:#b2182b;font-weight:bold}.ok{color:#1a7f37}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:6px 14px;"
    "min-width:150px}.card b{display:block;font-size:26px}"
    ".maps{display:flex;flex-wrap:wrap;gap:20px}figure{margin:0}"
    "figcaption{font-weight:600}svg{max-width:100%;height:auto}"
    "svg.map{background:#fff}"
    ".lbl text{font-size:11px;text-anchor:middle;fill:#222;stroke:#fff;"
    "stroke-width:3px;paint-order:stroke}"
    ".clbl text{font-size:14px;font-weight:bold;text-anchor:middle;"
    "fill:#1b2a3a;stroke:#fff;stroke-width:4px;paint-order:stroke}"
    ".legend{list-style:none;padding:0;margin:4px 0;display:flex;"
    "flex-wrap:wrap;gap:2px 14px;font-size:13px;max-width:520px}"
    ".legend i{display:inline-block;width:14px;height:14px;margin-right:4px;"
    "vertical-align:-2px;border:1px solid #888}"
    ".legend i.edge{height:0;border:0;border-top:3px solid #1b2a3a;"
    "vertical-align:4px}"
    ".key i{display:inline-block;width:18px;height:3px;margin:0 4px 0 10px;"
    "vertical-align:4px}"
    "section.street{border-top:3px solid #2c5f8a;margin-top:30px}"
    "footer{color:#777;font-size:12px;margin-top:30px}"
    "@media print{section.street{break-before:page}}";

static const char *const weekday_zh[7] = {"周一", "周二", "周三", "周四",
                                          "周五", "周六", "周日"};

/* A header cell "中文<span class=en>English</span>". */
static void th(gs__buf *b, const char *zh, const char *en, int left) {
    gs__buf_printf(b, "<th%s>%s<span class=\"en\">%s</span></th>",
                   left ? " class=\"l\"" : "", zh, en);
}

/* A table's opening and header row. */
typedef struct column {
    const char *zh, *en;
    int left;
} column;

static void table_head(gs__buf *b, const column *c, size_t n) {
    gs__buf_puts(b, "<table><tr>");
    for (size_t i = 0; i < n; i++) th(b, c[i].zh, c[i].en, c[i].left);
    gs__buf_puts(b, "</tr>");
}

/* A left-aligned cell's content: a code, then a name in small type
 * (`br`: on its own line) when there is one. The cell stays open. */
static void code_cell(gs__buf *b, const char *code, const char *name, int br) {
    gs__buf_puts(b, "<td class=\"l\">");
    esc(b, code);
    if (name[0]) {
        gs__buf_puts(b, br ? "<br><span class=\"en\">"
                           : " <span "
                             "class=\"en\">");
        esc(b, name);
        gs__buf_puts(b, "</span>");
    }
}

static void tally_cells(gs__buf *b, const tally *t) {
    gs__buf_printf(
        b, "<td>%ld</td><td%s>%ld</td><td>", t->members,
        t->members && t->compliant == t->members ? " class=\"ok\"" : "",
        t->compliant);
    pct(b, t->compliant, t->members);
    gs__buf_puts(b, "</td><td>");
    if (t->members)
        gs__buf_printf(b, "%.1f", t->hours_s / 3600.0 / t->members);
    else
        gs__buf_puts(b, "—");
    gs__buf_puts(b, "</td><td>");
    if (t->n_cov)
        gs__buf_printf(b, "%.1f%%", t->cov / t->n_cov);
    else
        gs__buf_puts(b, "—");
    gs__buf_printf(b, "</td><td%s>%ld</td>",
                   t->members - t->compliant > 0 ? " class=\"bad\"" : "",
                   t->members - t->compliant);
}

static void tally_head(gs__buf *b, const char *zh, const char *en) {
    const column cols[] = {{zh, en, 1},
                           {"网格员", "Members", 0},
                           {"达标", "Compliant", 0},
                           {"达标率", "Compliant share", 0},
                           {"人均周巡查时长 (小时)", "Mean hours / week", 0},
                           {"平均覆盖率", "Mean coverage", 0},
                           {"未达标", "Below standard", 0}};
    table_head(b, cols, sizeof cols / sizeof cols[0]);
}

static void community_title(gs__buf *b, const rcomm *c) {
    if (c->name[0]) {
        esc(b, c->name);
        gs__buf_puts(b, " <span class=\"en\">");
        esc(b, c->code);
        gs__buf_puts(b, "</span>");
    } else if (c->code[0]) {
        gs__buf_puts(b, "社区 <span class=\"en\">Community</span> ");
        esc(b, c->code);
    } else {
        gs__buf_puts(b,
                     "未知社区 <span class=\"en\">Unknown community"
                     "</span>");
    }
}

static void trend_table(gs__buf *b, const rdata *d, const tally *t) {
    gs__buf_puts(b, "<table class=\"trend\"><tr>");
    th(b, "周", "Week", 1);
    for (int k = 0; k < NT; k++) {
        gs__buf_puts(b, "<th>");
        esc(b, d->weeks[k]);
        gs__buf_puts(b, "</th>");
    }
    gs__buf_puts(b, "</tr><tr>");
    th(b, "达标率", "Compliant share", 1);
    for (int k = 0; k < NT; k++) {
        gs__buf_puts(b, "<td>");
        pct(b, t[k].compliant, t[k].members);
        gs__buf_puts(b, "</td>");
    }
    gs__buf_puts(b, "</tr><tr>");
    th(b, "人均时长 (小时)", "Mean hours", 1);
    for (int k = 0; k < NT; k++) {
        if (t[k].members)
            gs__buf_printf(b, "<td>%.1f</td>",
                           t[k].hours_s / 3600.0 / t[k].members);
        else
            gs__buf_puts(b, "<td>—</td>");
    }
    gs__buf_puts(b, "</tr></table>");
}

static void trend_block(gs__buf *b, const rdata *d, const tally *t,
                        const gs_rules *rules) {
    gs__buf_puts(b,
                 "<p class=\"key\"><i style=\"background:#1f78b4\"></i>"
                 "达标率 <span class=\"en\">compliant share</span>"
                 "<i style=\"background:#e66101\"></i>人均周巡查时长 "
                 "<span class=\"en\">mean hours per week</span></p>");
    trend_svg(b, d, t, rules->weekly_min_s / 3600.0);
    trend_table(b, d, t);
}

static void missed_days(gs__buf *b, const rdata *d, unsigned mask) {
    int first = 1;
    for (int k = 0; k < 7; k++) {
        int y, mo, dd;
        if (!(mask & (1u << k))) continue;
        gs__civil_from_days(d->monday + k, &y, &mo, &dd);
        gs__buf_printf(b, "%s%02d-%02d %s", first ? "" : "、", mo, dd,
                       weekday_zh[k]);
        first = 0;
    }
    if (first) gs__buf_puts(b, "—");
}

/* Members below standard in one community; returns how many. */
static long below_table(gs__buf *b, const rdata *d, const rcomm *c,
                        const gs_rules *rules) {
    static const column cols[] = {{"网格员", "Member", 1},
                                  {"网格", "Grid", 1},
                                  {"周巡查时长 (小时)", "Hours this week", 0},
                                  {"达标工作日", "Workdays OK", 0},
                                  {"未达标的工作日", "Workdays missed", 1},
                                  {"覆盖率", "Coverage", 0},
                                  {"原因", "Reason", 1}};
    long n = 0;
    for (size_t i = c->m0; i < c->m1; i++) {
        const rmember *m = &d->mem[i];
        if (m->compliant && m->has_grid) continue;
        if (!n++) table_head(b, cols, sizeof cols / sizeof cols[0]);
        gs__buf_puts(b, "<tr><td class=\"l\"><b>");
        esc(b, m->id);
        gs__buf_puts(b, "</b></td>");
        code_cell(b, m->grid, m->grid_name, 1);
        gs__buf_printf(b,
                       "</td><td%s>%.1f</td><td>%d / %d</td>"
                       "<td class=\"l\">",
                       m->weekly_ok ? "" : " class=\"bad\"", m->hours,
                       m->workdays_ok, m->workdays);
        missed_days(b, d, m->missed);
        gs__buf_puts(b, "</td><td>");
        if (isnan(m->cov))
            gs__buf_puts(b, "—");
        else
            gs__buf_printf(b, "%.1f%%", m->cov);
        gs__buf_puts(b, "</td><td class=\"l\">");
        if (!m->has_grid)
            gs__buf_puts(b,
                         "网格不存在，不计入统计 <span class=\"en\">grid "
                         "not found: not counted</span><br>");
        if (!m->weekly_ok)
            gs__buf_printf(b,
                           "周时长不足 %g 小时 <span class=\"en\">under "
                           "%g h this week</span><br>",
                           rules->weekly_min_s / 3600.0,
                           rules->weekly_min_s / 3600.0);
        if (m->workdays_ok < m->workdays)
            gs__buf_printf(
                b,
                "%d 个工作日不足 %g 小时 <span class=\"en\">%d "
                "workday(s) under %g h</span><br>",
                m->workdays - m->workdays_ok, rules->daily_min_s / 3600.0,
                m->workdays - m->workdays_ok, rules->daily_min_s / 3600.0);
        if (m->note[0]) {
            gs__buf_puts(b, "<span class=\"note\">");
            esc(b, m->note);
            gs__buf_puts(b, "</span>");
        }
        gs__buf_puts(b, "</td></tr>");
    }
    if (n)
        gs__buf_puts(b, "</table>");
    else if (c->m1 > c->m0)
        gs__buf_puts(b,
                     "<p class=\"ok\">全部达标。<span class=\"en\">All "
                     "members met the standard.</span></p>");
    else
        gs__buf_puts(b,
                     "<p class=\"note\">本周无巡查记录。<span "
                     "class=\"en\">No patrol records this week.</span>"
                     "</p>");
    return n;
}

static void overdue_table(gs__buf *b, const rdata *d, const rcomm *c) {
    static const column cols[] = {{"网格", "Grid", 1},
                                  {"事件", "Events", 0},
                                  {"未办结", "Open", 0},
                                  {"超期", "Overdue", 0},
                                  {"自行处置", "Self-resolved", 0}};
    long n = 0;
    for (size_t i = c->g0; i < c->g1; i++) {
        const rgrid *g = &d->grids[i];
        if (!g->has_ev || g->overdue <= 0) continue;
        if (!n++) table_head(b, cols, sizeof cols / sizeof cols[0]);
        gs__buf_puts(b, "<tr>");
        code_cell(b, g->code, g->name, 0);
        gs__buf_printf(b,
                       "</td><td>%ld</td><td>%ld</td><td class=\"bad\">%ld"
                       "</td><td>%ld</td></tr>",
                       g->events, g->open, g->overdue, g->self_resolved);
    }
    if (n)
        gs__buf_puts(b, "</table>");
    else
        gs__buf_puts(b,
                     "<p class=\"ok\">无超期事件。<span class=\"en\">No "
                     "overdue events.</span></p>");
}

static const char *const no_hotspots =
    "<p class=\"note\">本周未运行热点分析，无事件数据。<span class=\"en\">"
    "Hotspots were not run this week: no event data.</span></p>";

static int street_section(gs__buf *b, rdata *d, const rstreet *s,
                          const gs_rules *rules) {
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    mapview v;
    int rc;
    gs__buf_puts(b, "<section class=\"street\" id=\"s");
    esc(b, s->code);
    gs__buf_puts(b, "\"><h2>街道 <span class=\"en\">Street</span> ");
    esc(b, s->code[0] ? s->code : "?");
    gs__buf_puts(b, "</h2>");
    if (d->have_patrol) {
        gs__buf_puts(b,
                     "<h3>巡查达标情况 <span class=\"en\">Patrol "
                     "compliance</span></h3>");
        tally_head(b, "社区", "Community");
        for (size_t i = s->c0; i < s->c1; i++) {
            gs__buf_puts(b, "<tr><td class=\"l\">");
            community_title(b, &d->comm[i]);
            gs__buf_puts(b, "</td>");
            tally_cells(b, &d->comm[i].now);
            gs__buf_puts(b, "</tr>");
        }
        gs__buf_puts(b,
                     "<tr class=\"total\"><td class=\"l\">街道合计 "
                     "<span class=\"en\">Street total</span></td>");
        tally_cells(b, &s->now);
        gs__buf_puts(b, "</tr></table>");
    }

    if (map_view(d, g0, g1, &v)) {
        if ((rc = map_paths(d, s, &v))) return rc;
        gs__buf_puts(b,
                     "<div class=\"maps\"><figure><figcaption>巡查覆盖率"
                     " <span class=\"en\">Patrol coverage</span>"
                     "</figcaption>");
        map_svg(b, d, s, &v, 0, "巡查覆盖率 patrol coverage");
        gs__buf_puts(b,
                     "</figure><figure><figcaption>事件热点 <span "
                     "class=\"en\">Event hot spots (Gi*)</span>"
                     "</figcaption>");
        if (d->have_events)
            map_svg(b, d, s, &v, 1, "事件热点 event hot spots");
        else
            gs__buf_puts(b, no_hotspots);
        gs__buf_puts(b, "</figure></div>");
    }
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Trend, recent "
                 "weeks</span></h3>");
    trend_block(b, d, s->trend, rules);
    for (size_t i = s->c0; i < s->c1; i++) {
        const rcomm *c = &d->comm[i];
        gs__buf_puts(b, "<h3>");
        community_title(b, c);
        gs__buf_puts(b,
                     "</h3><h4>未达标网格员 <span class=\"en\">Members "
                     "below standard</span></h4>");
        below_table(b, d, c, rules);
        if (d->have_events) {
            gs__buf_puts(b,
                         "<h4>超期事件 <span class=\"en\">Overdue "
                         "events</span></h4>");
            overdue_table(b, d, c);
        }
    }
    gs__buf_puts(b, "</section>");
    return GS_OK;
}

/* The overview's cards (members, compliant, below standard, hours,
 * coverage, grids) and the table of streets. */
static void overview_cards(gs__buf *b, const rdata *d) {
    long below = d->all.members - d->all.compliant, unplaced = 0;
    for (size_t i = 0; i < d->nm; i++) unplaced += !d->mem[i].has_grid;
    gs__buf_printf(b,
                   "<div class=\"cards\"><div class=\"card\">网格员 <span "
                   "class=\"en\">Members</span><b>%ld</b></div><div "
                   "class=\"card\">达标 <span class=\"en\">Compliant</span>"
                   "<b>%ld</b>",
                   d->all.members, d->all.compliant);
    pct(b, d->all.compliant, d->all.members);
    gs__buf_printf(b,
                   "</div><div class=\"card\">未达标 <span class=\"en\">"
                   "Below standard</span><b class=\"%s\">%ld</b>",
                   below ? "bad" : "ok", below);
    if (unplaced)
        gs__buf_printf(b,
                       "另 %ld 人网格不存在 <span class=\"en\">+%ld on no "
                       "grid</span>",
                       unplaced, unplaced);
    gs__buf_puts(b,
                 "</div><div class=\"card\">人均周巡查时长 <span "
                 "class=\"en\">Mean hours</span><b>");
    if (d->all.members)
        gs__buf_printf(b, "%.1f h", d->all.hours_s / 3600.0 / d->all.members);
    else
        gs__buf_puts(b, "—");
    gs__buf_puts(b,
                 "</b></div><div class=\"card\">平均覆盖率 <span "
                 "class=\"en\">Mean coverage</span><b>");
    if (d->all.n_cov)
        gs__buf_printf(b, "%.1f%%", d->all.cov / d->all.n_cov);
    else
        gs__buf_puts(b, "—");
    gs__buf_printf(b,
                   "</b></div><div class=\"card\">网格 <span class=\"en\">"
                   "Grids</span><b>%zu</b></div></div>",
                   d->ng);
    if (unplaced)
        gs__buf_printf(b,
                       "<p class=\"note\">另有 %ld 条花名册记录的网格不存在，"
                       "不计入统计，列在所属社区的未达标名单中。<span "
                       "class=\"en\">%ld roster row(s) name a grid that "
                       "does not exist: not counted, listed below "
                       "standard in their community.</span></p>",
                       unplaced, unplaced);
    tally_head(b, "街道", "Street");
    for (size_t i = 0; i < d->ns; i++) {
        gs__buf_puts(b, "<tr><td class=\"l\"><a href=\"#s");
        esc(b, d->st[i].code);
        gs__buf_puts(b, "\">");
        esc(b, d->st[i].code[0] ? d->st[i].code : "?");
        gs__buf_puts(b, "</a></td>");
        tally_cells(b, &d->st[i].now);
        gs__buf_puts(b, "</tr>");
    }
    gs__buf_puts(b,
                 "<tr class=\"total\"><td class=\"l\">合计 <span "
                 "class=\"en\">Total</span></td>");
    tally_cells(b, &d->all);
    gs__buf_puts(b, "</tr></table>");
}

static int page(gs__buf *b, rdata *d, const gs_rules *rules,
                const char *ledger) {
    char sunday[11], monday[11], now[32], *copy;
    int rc;
    gs__date_format(d->monday, monday);
    gs__date_format(d->monday + 6, sunday);
    gs__utc_now(now, sizeof now);
    gs__buf_printf(b,
                   "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
                   "charset=\"utf-8\"><meta name=\"viewport\" "
                   "content=\"width=device-width,initial-scale=1\"><title>"
                   "网格巡查周报 %s</title><style>%s</style></head><body>"
                   "<main><h1>网格化服务管理周报 <span class=\"en\">Weekly "
                   "grid management report</span></h1>"
                   "<p class=\"sub\">%.4s 年第 %s 周（%s 至 %s）<span "
                   "class=\"en\">week %s, %s to %s</span></p>",
                   d->week, css, d->week, d->week + 6, monday, sunday, d->week,
                   monday, sunday);
    gs__buf_printf(b,
                   "<p class=\"note\">巡查标准：每个工作日在本网格巡查不少于 "
                   "%g 小时，每周不少于 %g 小时（网格边界外 %g 米内计入）。"
                   "覆盖率：本周巡查轨迹 %g 米范围内的网格面积占比。<br><span "
                   "class=\"en\">Standard: at least %g h in one's own grid "
                   "every workday and %g h a week (counting %g m beyond the "
                   "edge). Coverage: the share of the grid's area within %g m "
                   "of the week's patrol tracks.</span></p>",
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m,
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m);

    gs__buf_puts(b, "<h2>总览 <span class=\"en\">Overview</span></h2>");
    if (d->have_patrol) {
        overview_cards(b, d);
    } else {
        gs__buf_printf(b,
                       "<p class=\"note\">本周台账中没有巡查记录（作业未"
                       "提供 GPS 轨迹）。<span class=\"en\">No patrol "
                       "verification this week (no GPS traces in the "
                       "job).</span></p><div class=\"cards\"><div "
                       "class=\"card\">网格 <span class=\"en\">Grids"
                       "</span><b>%zu</b></div></div>",
                       d->ng);
    }
    if (!d->have_events) gs__buf_puts(b, no_hotspots);
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Trend, recent "
                 "weeks</span></h3>");
    trend_block(b, d, d->all_trend, rules);

    for (size_t i = 0; i < d->ns; i++)
        if ((rc = street_section(b, d, &d->st[i], rules))) return rc;

    copy = gs__strdup(ledger);
    gs__buf_printf(b,
                   "<footer>gridsmith %s · 台账 ledger: ", GS_VERSION_STRING);
    esc(b, copy ? basename(copy) : "");
    free(copy);
    gs__buf_printf(b,
                   " · 生成于 generated %s</footer></main></body>"
                   "</html>\n",
                   now);
    return GS_OK;
}

/* ---- entry point -------------------------------------------------------- */

/* The latest week recorded in the ledger into d->week; GS_ERR_INPUT_EMPTY
 * when there is none. */
static int latest_week(rdata *d, GDALDatasetH ds, const char *path) {
    OGRLayerH r = GDALDatasetExecuteSQL(
        ds, "SELECT max(week) AS week FROM grid_status", NULL, NULL);
    OGRFeatureH f = r ? OGR_L_GetNextFeature(r) : NULL;
    int rc = GS_OK;
    if (f && OGR_F_IsFieldSetAndNotNull(f, 0))
        snprintf(d->week, sizeof d->week, "%s", OGR_F_GetFieldAsString(f, 0));
    else
        rc = gs__err(d->ctx, GS_ERR_INPUT_EMPTY,
                     "%s: the ledger holds no week yet", path);
    if (f) OGR_F_Destroy(f);
    if (r) GDALDatasetReleaseResultSet(ds, r);
    return rc;
}

/* The weeks recorded, for the message when the asked one is missing. */
static void recorded_weeks(GDALDatasetH ds, char *out, size_t size) {
    OGRLayerH r = GDALDatasetExecuteSQL(
        ds, "SELECT DISTINCT week FROM grid_status ORDER BY week DESC LIMIT 12",
        NULL, NULL);
    OGRFeatureH f;
    size_t n = 0;
    out[0] = '\0';
    if (!r) return;
    while ((f = OGR_L_GetNextFeature(r)) != NULL) {
        int k = snprintf(out + n, size - n, "%s%s", n ? ", " : "",
                         OGR_F_GetFieldAsString(f, 0));
        if (k > 0 && (size_t)k < size - n) n += (size_t)k;
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, r);
}

static void rdata_free(rdata *d) {
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

static gs_report *make_report(rdata *d, const char *output) {
    json_object *o = json_object_new_object();
    gs__buf text;
    long below = d->all.members - d->all.compliant, unplaced = 0;
    for (size_t i = 0; i < d->nm; i++) unplaced += !d->mem[i].has_grid;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("report"));
    json_object_object_add(o, "week", json_object_new_string(d->week));
    json_object_object_add(o, "output", json_object_new_string(output));
    json_object_object_add(o, "streets", json_object_new_int64((long)d->ns));
    json_object_object_add(o, "communities",
                           json_object_new_int64((long)d->nc));
    json_object_object_add(o, "grids", json_object_new_int64((long)d->ng));
    json_object_object_add(o, "members", json_object_new_int64(d->all.members));
    json_object_object_add(o, "compliant",
                           json_object_new_int64(d->all.compliant));
    json_object_object_add(o, "below_standard", json_object_new_int64(below));
    json_object_object_add(o, "on_no_grid", json_object_new_int64(unplaced));
    json_object_object_add(o, "patrol",
                           json_object_new_boolean(d->have_patrol));
    json_object_object_add(o, "hotspots",
                           json_object_new_boolean(d->have_events));
    gs__buf_init(&text, 0);
    gs__buf_printf(&text,
                   "report: week %s, %zu grids in %zu communities of %zu "
                   "streets\n",
                   d->week, d->ng, d->nc, d->ns);
    if (d->have_patrol)
        gs__buf_printf(&text,
                       "  %ld of %ld members compliant; %ld below "
                       "standard\n",
                       d->all.compliant, d->all.members, below);
    if (unplaced)
        gs__buf_printf(&text,
                       "  %ld roster rows on a grid that does not "
                       "exist (listed below standard)\n",
                       unplaced);
    gs__buf_printf(&text, "  wrote %s\n", output);
    return gs__report_from_buf(d->ctx, o, &text, below + unplaced);
}

int gs_report_html_run(gs_ctx *ctx, const gs_report_html_opts *opts,
                       gs_report **out_report) {
    rdata d;
    gs_rules rules_default;
    const gs_rules *rules;
    GDALDatasetH ds = NULL;
    gs__buf html;
    int rc = GS_OK;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    gs__arena_init(&d.a);
    gs__buf_init(&html, MAX_PAGE);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_report_html_run: missing argument");
        goto done;
    }
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if (!opts->ledger || !opts->common.output) {
        rc = gs__err(ctx, GS_ERR_USAGE, "report needs {ledger} and {output}");
        goto done;
    }
    gs_rules_init(&rules_default);
    rules = opts->common.rules ? opts->common.rules : &rules_default;
    if ((rc = gs__out_check(ctx, opts->common.output))) goto done;

    gs__phase_begin(ctx);
    gs__progress(ctx, "read the ledger", -1);
    /* A GeoPackage, or the PostGIS ledger of `run -o PG:` ("PG:...
     * active_schema=SCHEMA"), whose rows --shard selects. */
    ds = GDALOpenEx(
        opts->ledger, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        (const char *const[]){"GPKG", "PostgreSQL", NULL}, NULL, NULL);
    if (!ds) {
        rc = gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                         "%s: cannot open the ledger (a GeoPackage written "
                         "by gridsmith run)",
                         opts->ledger);
        goto done;
    }
    if (gs__shard_active(ctx)) {
        size_t roff = 0;
        char *f = gs__shard_filter(ctx, "grid_code");
        if (!f) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(d.shard_sql, sizeof d.shard_sql, " AND (%s)", f);
        free(f);
        for (int i = 0; i < gs__shard_count(ctx); i++)
            roff += (size_t)snprintf(
                d.runs_sql + roff, sizeof d.runs_sql - roff,
                "%s'%s' LIKE shard || '%%' OR shard LIKE '%s%%'",
                i ? " OR " : " AND (", gs__shard_prefix(ctx, i),
                gs__shard_prefix(ctx, i));
        snprintf(d.runs_sql + roff, sizeof d.runs_sql - roff, ")");
        /* A GeoPackage ledger's runs have no shard: all of the week's. */
        if (strncmp(opts->ledger, "PG:", 3)) d.runs_sql[0] = '\0';
    }
    if (!GDALDatasetGetLayerByName(ds, "grid_status")) {
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                     "%s: not a gridsmith ledger (no table grid_status)",
                     opts->ledger);
        goto done;
    }
    if (opts->week) {
        if (gs__isoweek_parse(opts->week, &d.monday) != GS_OK) {
            rc = gs__err(ctx, GS_ERR_USAGE,
                         "week '%s' is not an ISO week such as 2026-W47",
                         opts->week);
            goto done;
        }
        gs__isoweek_format(d.monday, d.week);
    } else {
        if ((rc = latest_week(&d, ds, opts->ledger))) goto done;
        if (gs__isoweek_parse(d.week, &d.monday) != GS_OK) {
            rc = gs__err(ctx, GS_ERR_INPUT_VALUE,
                         "%s: the latest week '%s' is not an ISO week",
                         opts->ledger, d.week);
            goto done;
        }
        /* Spelt our way from here on: the week goes into SQL. */
        gs__isoweek_format(d.monday, d.week);
    }
    for (int k = 0; k < NT; k++)
        gs__isoweek_format(d.monday - 7 * (TREND_BACK - k), d.weeks[k]);

    if ((rc = read_grids(&d, ds, opts->ledger))) goto done;
    if ((rc = read_members(&d, ds, opts->ledger))) goto done;
    d.have_patrol = d.nm > 0;
    if (!d.ng && !d.nm) {
        char weeks[256];
        recorded_weeks(ds, weeks, sizeof weeks);
        rc = gs__err(ctx, GS_ERR_INPUT_EMPTY,
                     "%s: no week %s in the ledger (recorded: %s)",
                     opts->ledger, d.week, weeks[0] ? weeks : "none");
        goto done;
    }
    if ((rc = read_missed_days(&d, ds))) goto done;
    if ((rc = read_events(&d, ds))) goto done;
    read_names(&d, ds);
    if ((rc = group(&d))) goto done;
    if ((rc = read_trend(&d, ds))) goto done;
    if (d.nomem) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write the report", -1);
    if ((rc = page(&html, &d, rules, opts->ledger))) goto done;
    if (html.failed) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "%s: the report would exceed %zu MiB",
                     opts->common.output, MAX_PAGE >> 20);
        goto done;
    }
    if ((rc = gs__out_file(ctx, opts->common.output, html.data, html.len)))
        goto done;
    gs__phase_end(ctx, "write");

    *out_report = make_report(&d, opts->common.output);
    if (!*out_report) rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    if (ds) GDALClose(ds);
    rdata_free(&d);
    gs__buf_free(&html);
    gs__gdal_leave(ctx);
    return rc;
}
