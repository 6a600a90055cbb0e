/*
 * hotspot.c - events -> counts, hot spots, clusters, density, trouble
 * spots, emerging hot spots and summaries (`gridsmith hotspots`).
 *
 * Data flow. Every usable event is first placed: its grid is the one its
 * location falls in, by the rule households follow (the lowest grid_code
 * among the grids covering the point, gs__assign_households), so that a
 * cluster split by a grid boundary is counted where it happens and a typo
 * in grid_code cannot move it; a given grid_code that disagrees is flagged
 * (grid_mismatch), and only an event in no grid falls back to its code.
 * Its hexagon is the lattice cell it lies in (hexgrid.c), its category an
 * index into the categories present. Then, for the period [day0, day1]:
 *
 *   grids     counts per grid and category, open/overdue/resolved as of
 *             the period's end, Gi* (stats.c) on events per km^2 (or the
 *             count, or per 100 households: rules->grid_gi_value) with
 *             binary queen contiguity built here with GEOS;
 *   hexagons  the lattice cells overlapping the communities (or the grids),
 *             clipped to them with GEOS, Gi* on counts with ring-1
 *             neighbours; each history week gets its own Gi*, and the
 *             weekly bins and z-scores of a cell give its emerging class;
 *   clusters  DBSCAN of the period's events, as hulls buffered eps/10;
 *   trouble   repeat locations (DBSCAN with the repeat radius over the
 *             repeat_days ending with the period), open events past their
 *             deadline (working days, calendar.c), and grids whose weekly
 *             counts rise (Mann-Kendall, S > 0, BH across grids);
 *   density   quartic kernel over the period's events (stats.c), bandwidth
 *             by the ArcGIS rule unless configured;
 *   summary   per community, street (first 9 digits) and in total, per ISO
 *             week and per month overlapping the period, with the previous
 *             week or month for the change.
 *
 * Why this way. Gi* needs enough units to mean anything: with fewer than
 * rules->min_units (30), or when every unit has the same value (no events),
 * nothing is computed and the note says so; the writer puts NULL, never
 * NaN, and never a guessed bin. Likewise fewer than min_history_weeks weeks
 * of history give the class insufficient_history. State "as of" is the end
 * of the period: an event resolved after it was open then. Results keep
 * input order wherever order is free, so runs are repeatable.
 */
#define _POSIX_C_SOURCE 200809L
#include "hotspot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "datetime.h"
#include "households.h"

#define NOMEM()                                           \
    do {                                                  \
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory"); \
        goto done;                                        \
    } while (0)

/* The most hexagons a run may build: a wrong unit or CRS must not allocate
 * gigabytes (a 100 m lattice over a 100 km square is about 1.2 million). */
#define MAX_HEXES ((size_t)2000000)

/* The most cells of the density raster. */
#define MAX_KDE_CELLS ((size_t)16000000)

/* Weekly Gi* keeps the counts, z-scores and bins of every cell and week
 * (17 bytes each): at most this many, about 340 MB. A city district's
 * 100 m lattice (50,000 cells) stays far below it over two years. */
#define MAX_CELL_WEEKS 20e6

/* Emerging hot spots look back at most this many weeks. */
#define MAX_WEEKS 104

void gs__hs_params_init(gs__hs_params *p, const gs_rules *rules, int32_t day0,
                        int32_t day1, int64_t as_of_ms, int32_t first_day) {
    int32_t last = day1 - (gs__weekday(day1) - 1);
    int32_t first = first_day - (gs__weekday(first_day) - 1);
    memset(p, 0, sizeof *p);
    p->rules = rules;
    p->hex_size_m = rules->hex_size_m;
    p->day0 = day0;
    p->day1 = day1;
    p->as_of_ms = as_of_ms;
    if (first > last) first = last;
    if ((last - first) / 7 + 1 > MAX_WEEKS) first = last - (MAX_WEEKS - 1) * 7;
    p->week0 = first;
    p->nweeks = (last - first) / 7 + 1;
    p->threads = 1;
}

int32_t gs__hs_deadline(const gs__calendar *cal, int32_t day, int n) {
    int32_t d = day;
    /* A year of holidays in a row would be a broken calendar: stop. */
    for (int k = 0; k < n && d - day < 3660;)
        if (gs__calendar_is_workday(cal, ++d)) k++;
    return d;
}

int gs__hs_deadline_workdays(const gs_rules *r, const char *category) {
    for (int k = 0; k < r->n_deadlines; k++)
        if (!strcmp(r->deadlines[k].category, category))
            return r->deadlines[k].workdays;
    return r->deadline_workdays;
}

/* ---- placing events ------------------------------------------------------ */

int gs__hs_join(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                int threads, long *out_grid, long *out_loc,
                unsigned char *out_flags) {
    gs__model view = *m;
    gs__household *pts = gs__calloc(ev->n ? ev->n : 1, sizeof *pts);
    long *loc =
        out_loc ? out_loc : gs__malloc((ev->n ? ev->n : 1) * sizeof *loc);
    gs__strix *codes =
        gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof *codes);
    int rc = GS_OK;
    if (!pts || !loc || !codes) NOMEM();
    /* The events stand in for households: the same covering rule. */
    for (size_t i = 0; i < ev->n; i++) {
        pts[i].x = ev->v[i].x;
        pts[i].y = ev->v[i].y;
    }
    view.households = pts;
    view.n_households = ev->n;
    if ((rc = gs__assign_households(ctx, &view, threads, loc))) goto done;
    for (size_t i = 0; i < m->n_grids; i++)
        codes[i] = (gs__strix){m->grids[i].code, i};
    qsort(codes, m->n_grids, sizeof *codes, gs__strix_cmp);
    for (size_t i = 0; i < ev->n; i++) {
        const char *given = ev->v[i].grid_code;
        long known = given[0] ? gs__strix_lookup(codes, m->n_grids, given) : -1;
        unsigned char fl =
            out_flags[i] &
            ~(GS__EVF_MISMATCH | GS__EVF_UNKNOWN_CODE | GS__EVF_OUTSIDE);
        if (given[0] && known < 0) fl |= GS__EVF_UNKNOWN_CODE;
        if (loc[i] >= 0) {
            out_grid[i] = loc[i];
            if (given[0] && strcmp(given, m->grids[loc[i]].code) != 0)
                fl |= GS__EVF_MISMATCH;
        } else {
            out_grid[i] = known;
            fl |= GS__EVF_OUTSIDE;
        }
        out_flags[i] = fl;
    }
done:
    free(pts);
    free(codes);
    if (loc != out_loc) free(loc);
    return rc;
}

/* ---- queen contiguity ---------------------------------------------------- */

/* Candidates of the tree whose envelopes meet (xmin..ymax), sorted. */
static int query_box(GEOSContextHandle_t h, GEOSSTRtree *t, double xmin,
                     double ymin, double xmax, double ymax, gs__cands *c) {
    GEOSGeometry *box = GEOSGeom_createRectangle_r(h, xmin, ymin, xmax, ymax);
    int rc;
    if (!box) return GS_ERR_NOMEM;
    rc = gs__strtree_query(h, t, box, c);
    GEOSGeom_destroy_r(h, box);
    return rc;
}

/* An index over n polygons and their prepared forms (NULL for empty). */
typedef struct poly_index {
    GEOSSTRtree *tree;
    const GEOSPreparedGeometry **prep;
    size_t *ids;
    size_t n;
} poly_index;

static void poly_index_free(GEOSContextHandle_t h, poly_index *x) {
    if (x->tree) GEOSSTRtree_destroy_r(h, x->tree);
    for (size_t i = 0; x->prep && i < x->n; i++)
        if (x->prep[i]) GEOSPreparedGeom_destroy_r(h, x->prep[i]);
    free(x->prep);
    free(x->ids);
    memset(x, 0, sizeof *x);
}

static int poly_index_build(GEOSContextHandle_t h, GEOSGeometry *const *g,
                            size_t stride, size_t n, poly_index *x) {
    memset(x, 0, sizeof *x);
    x->n = n;
    x->tree = GEOSSTRtree_create_r(h, 10);
    x->prep = gs__calloc(n ? n : 1, sizeof *x->prep);
    x->ids = gs__malloc((n ? n : 1) * sizeof *x->ids);
    if (!x->tree || !x->prep || !x->ids) return GS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *gi =
            *(GEOSGeometry *const *)((const char *)g + i * stride);
        x->ids[i] = i;
        if (!gi || GEOSisEmpty_r(h, gi)) continue;
        x->prep[i] = GEOSPrepare_r(h, gi);
        if (!x->prep[i]) return GS_ERR_NOMEM;
        GEOSSTRtree_insert_r(h, x->tree, gi, &x->ids[i]);
    }
    return GS_OK;
}

typedef struct pair {
    size_t a, b;
} pair;

static int cmp_pair(const void *p, const void *q) {
    const pair *x = p, *y = q;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

int gs__hs_queen(gs_ctx *ctx, const gs__model *m, double snap_m,
                 size_t **out_start, size_t **out_nbr) {
    return gs__hs_queen_geoms(ctx, m->n_grids ? &m->grids[0].geom : NULL,
                              sizeof m->grids[0], m->n_grids, snap_m, out_start,
                              out_nbr);
}

#define GEOM_AT(g, stride, i) \
    (*(GEOSGeometry *const *)((const char *)(g) + (i) * (stride)))

int gs__hs_queen_geoms(gs_ctx *ctx, GEOSGeometry *const *geoms, size_t stride,
                       size_t n, double snap_m, size_t **out_start,
                       size_t **out_nbr) {
    GEOSContextHandle_t h = ctx->geos;
    size_t np = 0, cap = 0;
    poly_index ix;
    pair *pairs = NULL;
    gs__cands c = {0};
    int rc = GS_OK;
    *out_start = NULL;
    *out_nbr = NULL;
    if (poly_index_build(h, geoms, stride, n, &ix)) NOMEM();
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *gi = GEOM_AT(geoms, stride, i);
        double x0, y0, x1, y1;
        if (!ix.prep[i]) continue;
        if (!GEOSGeom_getXMin_r(h, gi, &x0) ||
            !GEOSGeom_getYMin_r(h, gi, &y0) ||
            !GEOSGeom_getXMax_r(h, gi, &x1) || !GEOSGeom_getYMax_r(h, gi, &y1))
            continue;
        if (query_box(h, ix.tree, x0 - snap_m, y0 - snap_m, x1 + snap_m,
                      y1 + snap_m, &c))
            NOMEM();
        for (size_t k = 0; k < c.n; k++) {
            size_t j = c.v[k];
            if (j <= i) continue;
            if (GEOSPreparedDistanceWithin_r(
                    h, ix.prep[i], GEOM_AT(geoms, stride, j), snap_m) != 1)
                continue;
            if (np + 2 > cap) {
                size_t nc = cap ? cap * 2 : 1024;
                pair *nv = gs__realloc(pairs, nc * sizeof *nv);
                if (!nv) NOMEM();
                pairs = nv;
                cap = nc;
            }
            pairs[np++] = (pair){i, j};
            pairs[np++] = (pair){j, i};
        }
    }
    if (np > 1) qsort(pairs, np, sizeof *pairs, cmp_pair);
    *out_start = gs__calloc(n + 1, sizeof **out_start);
    *out_nbr = gs__malloc((np ? np : 1) * sizeof **out_nbr);
    if (!*out_start || !*out_nbr) NOMEM();
    for (size_t k = 0; k < np; k++) {
        (*out_start)[pairs[k].a + 1]++;
        (*out_nbr)[k] = pairs[k].b;
    }
    for (size_t i = 0; i < n; i++) (*out_start)[i + 1] += (*out_start)[i];
done:
    if (rc) {
        free(*out_start);
        free(*out_nbr);
        *out_start = NULL;
        *out_nbr = NULL;
    }
    free(c.v);
    free(pairs);
    poly_index_free(h, &ix);
    return rc;
}

/* ---- Gi* on a set of units ----------------------------------------------- */

void gs__hs_gi_free(gs__hs_gi *g) {
    free(g->z);
    free(g->p);
    free(g->bin);
    memset(g, 0, sizeof *g);
}

/*
 * Gi* of the units with use[i] (all when use is NULL) on values x, with
 * CSR neighbours among all n units (unused neighbours drop out). Fills
 * out->z, p (NaN for unused units) and bin; out->done = 0 with a note when
 * there are fewer than min_units units or every value is equal. `what`
 * names the units in the note ("grids", "hexagons").
 */
int gs__hs_gi_run(const double *x, const unsigned char *use, size_t n,
                  const size_t *start, const size_t *nbr, int min_units,
                  const char *what, gs__hs_gi *out) {
    size_t m = 0, nn = 0, *map = NULL, *sst = NULL, *snb = NULL;
    double *sx = NULL, *sz = NULL, *sp = NULL;
    signed char *sb = NULL;
    gs__gi_status st = GS__GI_OK;
    int rc = GS_OK;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) m += !use || use[i];
    if (m < (size_t)min_units) {
        snprintf(out->note, sizeof out->note,
                 "%zu %s, fewer than the %d Gi* needs: counts only", m, what,
                 min_units);
        return GS_OK;
    }
    map = gs__malloc(n * sizeof *map);
    sst = gs__malloc((m + 1) * sizeof *sst);
    snb = gs__malloc((start[n] ? start[n] : 1) * sizeof *snb);
    sx = gs__malloc(m * sizeof *sx);
    sz = gs__malloc(m * sizeof *sz);
    sp = gs__malloc(m * sizeof *sp);
    sb = gs__malloc(m);
    out->z = gs__malloc(n * sizeof *out->z);
    out->p = gs__malloc(n * sizeof *out->p);
    out->bin = gs__calloc(n, 1);
    if (!map || !sst || !snb || !sx || !sz || !sp || !sb || !out->z ||
        !out->p || !out->bin) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0, k = 0; i < n; i++) map[i] = !use || use[i] ? k++ : n;
    for (size_t i = 0; i < n; i++) {
        if (map[i] == n) continue;
        sst[map[i]] = nn;
        sx[map[i]] = x[i];
        for (size_t q = start[i]; q < start[i + 1]; q++)
            if (map[nbr[q]] != n) snb[nn++] = map[nbr[q]];
    }
    sst[m] = nn;
    if ((rc = gs__gistar(sx, m, sst, snb, sz, sp, &st))) goto done;
    if (st != GS__GI_OK) {
        gs__hs_gi_free(out);
        snprintf(out->note, sizeof out->note,
                 "every one of the %zu %s has the same value (%g): Gi* is "
                 "undefined",
                 m, what, sx[0]);
        goto done;
    }
    if ((rc = gs__gi_bins(sz, sp, m, 1, sb))) goto done;
    for (size_t i = 0; i < n; i++) {
        out->z[i] = map[i] == n ? NAN : sz[map[i]];
        out->p[i] = map[i] == n ? NAN : sp[map[i]];
        out->bin[i] = map[i] == n ? 0 : sb[map[i]];
    }
    out->done = 1;
done:
    if (rc) gs__hs_gi_free(out);
    free(map);
    free(sst);
    free(snb);
    free(sx);
    free(sz);
    free(sp);
    free(sb);
    return rc;
}

/* ---- categories ---------------------------------------------------------- */

typedef struct cat_order {
    const char *s;
    long n;
    int old;
} cat_order;

int gs__hs_cat_cmp(long n_a, const char *a, long n_b, const char *b) {
    if (n_a != n_b) return n_a > n_b ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_cat_order(const void *a, const void *b) {
    const cat_order *x = a, *y = b;
    return gs__hs_cat_cmp(x->n, x->s, y->n, y->s);
}

/* Distinct categories of all events, most frequent in the period first,
 * then by text; ev_cat per event. */
static int index_categories(const gs__events *ev, gs__hsresult *r) {
    size_t n = ev->n, nc = 0;
    gs__strix *v = gs__malloc((n ? n : 1) * sizeof *v);
    cat_order *ord = NULL;
    int *rank = NULL, rc = GS_ERR_NOMEM;
    r->ev_cat = gs__malloc((n ? n : 1) * sizeof *r->ev_cat);
    if (!v || !r->ev_cat) goto done;
    for (size_t i = 0; i < n; i++) v[i] = (gs__strix){ev->v[i].category, i};
    qsort(v, n, sizeof *v, gs__strix_cmp);
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || strcmp(v[k].s, v[k - 1].s)) nc++;
        r->ev_cat[v[k].i] = (int)nc - 1;
    }
    ord = gs__calloc(nc ? nc : 1, sizeof *ord);
    rank = gs__malloc((nc ? nc : 1) * sizeof *rank);
    r->cats = gs__malloc((nc ? nc : 1) * sizeof *r->cats);
    r->cat_events = gs__calloc(nc ? nc : 1, sizeof *r->cat_events);
    if (!ord || !rank || !r->cats || !r->cat_events) goto done;
    for (size_t k = 0; k < n; k++) {
        cat_order *o = &ord[r->ev_cat[v[k].i]];
        o->s = v[k].s;
        o->old = r->ev_cat[v[k].i];
        o->n += (r->ev_flag[v[k].i] & GS__EVF_PERIOD) != 0;
    }
    qsort(ord, nc, sizeof *ord, cmp_cat_order);
    for (size_t k = 0; k < nc; k++) {
        rank[ord[k].old] = (int)k;
        r->cats[k] = ord[k].s;
        r->cat_events[k] = ord[k].n;
    }
    for (size_t i = 0; i < n; i++) r->ev_cat[i] = rank[r->ev_cat[i]];
    r->ncats = nc;
    rc = GS_OK;
done:
    free(v);
    free(ord);
    free(rank);
    return rc;
}

/* ---- the state of an event at the period's end --------------------------- */

typedef struct ev_state {
    int resolved;     /* by as_of */
    int self;         /* self-resolved by as_of */
    int overdue;      /* open at as_of, past the deadline */
    double resolve_h; /* NaN when unknown */
} ev_state;

static ev_state state_of(const gs__event *e, const gs__hs_params *p) {
    ev_state s = {0, 0, 0, NAN};
    s.resolved = e->status != GS__EV_OPEN && (e->resolved_ms == GS__NO_TIME ||
                                              e->resolved_ms <= p->as_of_ms);
    s.self = s.resolved && e->status == GS__EV_SELF_RESOLVED;
    if (s.resolved && e->resolved_ms != GS__NO_TIME)
        s.resolve_h = (double)(e->resolved_ms - e->reported_ms) / 3600000.0;
    if (!s.resolved) {
        int n = gs__hs_deadline_workdays(p->rules, e->category);
        s.overdue = gs__hs_deadline(p->cal, e->day, n) < p->day1;
    }
    return s;
}

/* Adds event e, as it stood at the period's end, to c. */
static void count_event(gs__hs_counts *c, const gs__event *e,
                        const gs__hs_params *p) {
    ev_state s = state_of(e, p);
    c->events++;
    c->resolved += s.resolved;
    c->self_resolved += s.self;
    c->open += !s.resolved;
    c->overdue += s.overdue;
    if (!isnan(s.resolve_h)) {
        c->resolve_h += s.resolve_h;
        c->n_resolve_h++;
    }
}

/* ---- grids --------------------------------------------------------------- */

static int grid_counts(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                       const gs__hs_params *p, gs__hsresult *r) {
    size_t ng = m->n_grids;
    long *hh = NULL;
    int rc = GS_OK;
    r->grids = gs__calloc(ng ? ng : 1, sizeof *r->grids);
    r->grid_cat = gs__calloc((ng ? ng : 1) * (r->ncats ? r->ncats : 1),
                             sizeof *r->grid_cat);
    if (!r->grids || !r->grid_cat) NOMEM();
    if (p->have_households) {
        hh = gs__malloc((m->n_households ? m->n_households : 1) * sizeof *hh);
        if (!hh) NOMEM();
        if ((rc = gs__assign_households(ctx, m, p->threads, hh))) goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        r->grids[g].households = p->have_households ? 0 : -1;
        r->grids[g].area_m2 = gs__geom_area(ctx->geos, m->grids[g].geom);
    }
    for (size_t k = 0; hh && k < m->n_households; k++)
        if (hh[k] >= 0) r->grids[hh[k]].households++;
    for (size_t i = 0; i < ev->n; i++) {
        long g = r->ev_grid[i];
        if (g < 0 || !(r->ev_flag[i] & GS__EVF_PERIOD)) continue;
        count_event(&r->grids[g].c, &ev->v[i], p);
        r->grid_cat[(size_t)g * r->ncats + (size_t)r->ev_cat[i]]++;
        r->grids[g].mismatch += (r->ev_flag[i] & GS__EVF_MISMATCH) != 0;
    }
done:
    free(hh);
    return rc;
}

/* Gi* of the grids on rules->grid_gi_value, queen contiguity. */
static int grid_gi(gs_ctx *ctx, const gs__model *m, const gs__hs_params *p,
                   gs__hsresult *r) {
    size_t ng = m->n_grids;
    double *x = gs__malloc((ng ? ng : 1) * sizeof *x);
    unsigned char *use = gs__malloc(ng ? ng : 1);
    int rc = GS_OK, how = p->rules->grid_gi_value;
    if (!x || !use) NOMEM();
    if (how == GS_GI_PER_100HH && !p->have_households) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "grid_gi_value = per_100hh needs {households}");
        goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        gs__hs_grid *gr = &r->grids[g];
        use[g] = 1;
        if (how == GS_GI_COUNT)
            gr->value = (double)gr->c.events;
        else if (how == GS_GI_PER_100HH && gr->households > 0)
            gr->value = 100.0 * (double)gr->c.events / (double)gr->households;
        else if (how == GS_GI_PER_KM2 && gr->area_m2 > 0)
            gr->value = 1e6 * (double)gr->c.events / gr->area_m2;
        else {
            use[g] = 0;
            gr->value = NAN;
        }
        x[g] = use[g] ? gr->value : 0;
    }
    rc = gs__hs_grids_gi(ctx, x, use, ng ? &m->grids[0].geom : NULL,
                         sizeof m->grids[0], ng, p->rules, &r->grid_gi);
done:
    free(x);
    free(use);
    return rc;
}

int gs__hs_grids_gi(gs_ctx *ctx, const double *x, const unsigned char *use,
                    GEOSGeometry *const *geoms, size_t stride, size_t n,
                    const gs_rules *rules, gs__hs_gi *out) {
    size_t *start = NULL, *nbr = NULL;
    int rc = gs__hs_queen_geoms(ctx, geoms, stride, n, rules->edge_snap_m,
                                &start, &nbr);
    if (!rc && (rc = gs__hs_gi_run(x, use, n, start, nbr, rules->min_units,
                                   "grids", out)))
        rc = gs__err(ctx, rc, "Gi* on the grids failed");
    free(start);
    free(nbr);
    return rc;
}

/* ---- hexagons ------------------------------------------------------------ */

static GEOSGeometry *hex_polygon(GEOSContextHandle_t h, const gs__hexgrid *g,
                                 gs__hex x) {
    double v[12];
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 7, 2);
    GEOSGeometry *ring;
    if (!cs) return NULL;
    gs__hex_vertices(g, x, v);
    for (unsigned k = 0; k < 7; k++)
        GEOSCoordSeq_setXY_r(h, cs, k, v[2 * (k % 6)], v[2 * (k % 6) + 1]);
    ring = GEOSGeom_createLinearRing_r(h, cs);
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

/*
 * The part of hexagon `poly` (taken) inside the clip polygons: the whole
 * hexagon when one polygon contains it or the pieces add up to it, else the
 * union of the pieces above the sliver area. *out_comm is the polygon
 * holding most of it. NULL with *out_area 0 when nothing is left (poly is
 * then destroyed); on failure NULL with *failed set to GS_ERR_NOMEM or
 * GS_ERR_INTERNAL (GEOS could not intersect or unite).
 */
static GEOSGeometry *clip_hex(GEOSContextHandle_t h, GEOSGeometry *poly,
                              double full, const poly_index *ix,
                              GEOSGeometry *const *clip, double sliver,
                              gs__cands *c, long *out_comm, double *out_area,
                              int *failed) {
    GEOSGeometry **pieces = NULL, *res = NULL;
    unsigned np = 0;
    double best = 0, total = 0;
    *out_comm = -1;
    *out_area = 0;
    *failed = gs__strtree_query(h, ix->tree, poly, c);
    if (!*failed && !(pieces = gs__malloc((c->n ? c->n : 1) * sizeof *pieces)))
        *failed = GS_ERR_NOMEM;
    for (size_t k = 0; !*failed && k < c->n; k++) {
        size_t j = c->v[k];
        GEOSGeometry *piece;
        double a;
        if (GEOSPreparedContains_r(h, ix->prep[j], poly) == 1) {
            *out_comm = (long)j;
            total = full;
            break;
        }
        if (GEOSPreparedIntersects_r(h, ix->prep[j], poly) != 1) continue;
        piece = gs__geom_polygonal(h, GEOSIntersection_r(h, poly, clip[j]));
        if (!piece) {
            *failed = GS_ERR_INTERNAL;
            break;
        }
        a = gs__geom_area(h, piece);
        if (a <= sliver) {
            GEOSGeom_destroy_r(h, piece);
            continue;
        }
        if (a > best) {
            best = a;
            *out_comm = (long)j;
        }
        total += a;
        pieces[np++] = piece;
    }
    if (!*failed && total >= full * (1 - 1e-9)) { /* all of it */
        res = poly;
        *out_area = full;
    } else if (!*failed && np == 1) {
        res = pieces[0];
        np = 0;
        *out_area = total;
    } else if (!*failed && np > 1) {
        GEOSGeometry *coll =
            GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, pieces, np);
        if (coll) {
            np = 0; /* the collection owns them */
            res = gs__geom_polygonal(h, GEOSUnaryUnion_r(h, coll));
            GEOSGeom_destroy_r(h, coll);
        }
        if (!res) *failed = GS_ERR_INTERNAL;
        *out_area = res ? gs__geom_area(h, res) : 0;
    }
    for (unsigned q = 0; q < np; q++) GEOSGeom_destroy_r(h, pieces[q]);
    free(pieces);
    if (res != poly) GEOSGeom_destroy_r(h, poly);
    return res;
}

/* Index of hexagon x in the sorted list, or -1. */
static long find_hex(const gs__hex *v, size_t n, gs__hex x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gs__hex_cmp(&v[mid], &x) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !gs__hex_cmp(&v[lo], &x) ? (long)lo : -1;
}

/* The clip polygons: the communities, or the grids without them. */
static GEOSGeometry *const *clip_polys(const gs__model *m, size_t *n,
                                       size_t *stride) {
    if (m->n_communities > 0) {
        *n = m->n_communities;
        *stride = sizeof m->communities[0];
        return &m->communities[0].geom;
    }
    *n = m->n_grids;
    *stride = sizeof m->grids[0];
    return m->n_grids ? &m->grids[0].geom : NULL;
}

/* The lattice cells overlapping the clip polygons, clipped to them, in
 * (r, q) order, and each event's cell. */
static int build_hexes(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                       const gs__hs_params *p, gs__hsresult *r) {
    GEOSContextHandle_t h = ctx->geos;
    size_t nclip, stride, ncov = 0, w = 0;
    GEOSGeometry *const *clip = clip_polys(m, &nclip, &stride);
    GEOSGeometry **cg = NULL;
    gs__hex *cov = NULL;
    poly_index ix;
    gs__cands c = {0};
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY, full;
    int rc, failed = 0;
    memset(&ix, 0, sizeof ix);
    /* The lattice's origin is the metric CRS's (0, 0), so a cell names the
     * same ground in every run and weekly histories join on (q, r). */
    if ((rc = gs__hexgrid_init(&r->lattice, p->hex_size_m, 0, 0,
                               GS__HEX_POINTY))) {
        rc = gs__err(ctx, GS_ERR_USAGE, "hex_size_m %g is not a valid size",
                     p->hex_size_m);
        goto done;
    }
    full = sqrt(3.0) / 2.0 * p->hex_size_m * p->hex_size_m;
    cg = gs__malloc((nclip ? nclip : 1) * sizeof *cg);
    if (!cg) NOMEM();
    for (size_t i = 0; i < nclip; i++) {
        double a, b, cc, d;
        cg[i] = *(GEOSGeometry *const *)((const char *)clip + i * stride);
        if (!cg[i] || GEOSisEmpty_r(h, cg[i])) continue;
        if (!GEOSGeom_getXMin_r(h, cg[i], &a) ||
            !GEOSGeom_getYMin_r(h, cg[i], &b) ||
            !GEOSGeom_getXMax_r(h, cg[i], &cc) ||
            !GEOSGeom_getYMax_r(h, cg[i], &d))
            continue;
        x0 = fmin(x0, a);
        y0 = fmin(y0, b);
        x1 = fmax(x1, cc);
        y1 = fmax(y1, d);
    }
    if (!(x0 < x1 && y0 < y1)) goto place; /* nothing to cover */
    rc = gs__hexgrid_cover(&r->lattice, x0, y0, x1, y1, MAX_HEXES, &cov, &ncov);
    if (rc == GS_ERR_NOMEM) NOMEM();
    if (rc) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "%g m hexagons over %.0f x %.0f m would be more than %zu "
                     "cells; set a larger hex_size_m",
                     p->hex_size_m, x1 - x0, y1 - y0, MAX_HEXES);
        goto done;
    }
    if (poly_index_build(h, cg, sizeof *cg, nclip, &ix)) NOMEM();
    r->hex_geom = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_geom);
    r->hex_area = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_area);
    r->hex_comm = gs__malloc((ncov ? ncov : 1) * sizeof *r->hex_comm);
    if (!r->hex_geom || !r->hex_area || !r->hex_comm) NOMEM();
    for (size_t k = 0; k < ncov; k++) {
        GEOSGeometry *poly = hex_polygon(h, &r->lattice, cov[k]), *g;
        long comm;
        double area;
        if (!poly) NOMEM();
        g = clip_hex(h, poly, full, &ix, cg, p->rules->sliver_m2, &c, &comm,
                     &area, &failed);
        if (failed == GS_ERR_NOMEM) NOMEM();
        if (failed) {
            rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                             "GEOS cannot clip hexagon %lld_%lld to the "
                             "communities",
                             (long long)cov[k].q, (long long)cov[k].r);
            goto done;
        }
        if (!g) continue;
        cov[w] = cov[k];
        r->hex_geom[w] = g;
        r->hex_area[w] = area;
        r->hex_comm[w] = comm;
        r->n_hex = ++w;
    }
    r->hex = cov;
    cov = NULL;
place:
    r->ev_hex = gs__malloc((ev->n ? ev->n : 1) * sizeof *r->ev_hex);
    r->hex_events = gs__calloc(r->n_hex ? r->n_hex : 1, sizeof *r->hex_events);
    r->hex_history =
        gs__calloc(r->n_hex ? r->n_hex : 1, sizeof *r->hex_history);
    if (!r->ev_hex || !r->hex_events || !r->hex_history) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        gs__hex x;
        r->ev_hex[i] = -1;
        if (gs__hex_from_point(&r->lattice, ev->v[i].x, ev->v[i].y, &x) ==
            GS_OK)
            r->ev_hex[i] = find_hex(r->hex, r->n_hex, x);
        if (r->ev_hex[i] >= 0) {
            r->hex_events[r->ev_hex[i]] +=
                (r->ev_flag[i] & GS__EVF_PERIOD) != 0;
            r->hex_history[r->ev_hex[i]] +=
                (r->ev_flag[i] & GS__EVF_HISTORY) != 0;
        } else if (r->ev_flag[i] & GS__EVF_PERIOD) {
            r->n_outside_hexes++;
        }
    }
done:
    free(cov);
    free(cg);
    free(c.v);
    poly_index_free(h, &ix);
    return rc;
}

/* Gi* of the period's hexagon counts, then each history week's, whose bins
 * and z-scores give every cell its emerging class. */
static int hex_gi(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                  gs__hsresult *r) {
    size_t n = r->n_hex, nw = (size_t)p->nweeks, *start = NULL, *nbr = NULL;
    double *x = NULL, *wz = NULL, *zc = NULL;
    signed char *bc = NULL;
    gs__ehsa_opts eo;
    int rc = GS_OK;
    r->ehsa = gs__calloc(n ? n : 1, sizeof *r->ehsa);
    x = gs__calloc(n ? n : 1, sizeof *x);
    if (!r->ehsa || !x) NOMEM();
    for (size_t k = 0; k < n; k++) r->ehsa[k].cls = GS__EHSA_INSUFFICIENT;
    if (n > 0 && (rc = gs__hex_adjacency(r->hex, n, &start, &nbr))) {
        rc = gs__err(ctx, rc, "hexagon adjacency failed");
        goto done;
    }
    for (size_t k = 0; k < n; k++) x[k] = (double)r->hex_events[k];
    if (n == 0) {
        snprintf(r->hex_gi.note, sizeof r->hex_gi.note,
                 "no hexagon overlaps the communities");
    } else if ((rc = gs__hs_gi_run(x, NULL, n, start, nbr, p->rules->min_units,
                                   "hexagons", &r->hex_gi))) {
        rc = gs__err(ctx, rc, "Gi* on the hexagons failed");
        goto done;
    }
    if (n < (size_t)p->rules->min_units) {
        snprintf(r->ehsa_note, sizeof r->ehsa_note,
                 "%zu hexagons, fewer than the %d Gi* needs: no emerging hot "
                 "spots",
                 n, p->rules->min_units);
        goto done;
    }
    if ((double)n * (double)nw > MAX_CELL_WEEKS) {
        snprintf(r->ehsa_note, sizeof r->ehsa_note,
                 "%zu hexagons x %zu weeks is more than the %.0f cell-weeks "
                 "kept: no emerging hot spots (a larger hex_size_m or a "
                 "shorter history)",
                 n, nw, MAX_CELL_WEEKS);
        goto done;
    }
    /* Weekly counts: x[w * n + k]. */
    free(x);
    x = gs__calloc(n * nw, sizeof *x);
    if (!x) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        int32_t w = (ev->v[i].day - p->week0) / 7;
        if (r->ev_hex[i] < 0 || !(r->ev_flag[i] & GS__EVF_HISTORY)) continue;
        x[(size_t)w * n + (size_t)r->ev_hex[i]] += 1;
    }
    r->week_bin = gs__malloc(n * nw);
    wz = gs__malloc(n * nw * sizeof *wz);
    zc = gs__malloc(nw * sizeof *zc);
    bc = gs__malloc(nw);
    if (!r->week_bin || !wz || !zc || !bc) NOMEM();
    for (size_t w = 0; w < nw; w++) {
        gs__hs_gi g;
        if ((rc = gs__hs_gi_run(x + w * n, NULL, n, start, nbr,
                                p->rules->min_units, "hexagons", &g))) {
            rc = gs__err(ctx, rc, "weekly Gi* on the hexagons failed");
            goto done;
        }
        /* A week in which every cell has the same count (none) has no hot
         * or cold spot: z 0, bin 0, a fact rather than a guess. */
        for (size_t k = 0; k < n; k++) {
            wz[w * n + k] = g.done ? g.z[k] : 0;
            r->week_bin[w * n + k] = g.done ? g.bin[k] : 0;
        }
        gs__hs_gi_free(&g);
    }
    if (nw < (size_t)p->rules->min_history_weeks) {
        char a[9], b[9];
        gs__isoweek_format(p->week0, a);
        gs__isoweek_format(p->week0 + 7 * (int32_t)(nw - 1), b);
        snprintf(r->ehsa_note, sizeof r->ehsa_note,
                 "only %zu week%s of history (%s to %s); emerging hot spots "
                 "need %d: class insufficient_history",
                 nw, nw == 1 ? "" : "s", a, b, p->rules->min_history_weeks);
        goto done;
    }
    gs__ehsa_opts_default(&eo);
    eo.min_weeks = (size_t)p->rules->min_history_weeks;
    eo.trend_alpha = p->rules->trend_alpha;
    for (size_t k = 0; k < n; k++) {
        for (size_t w = 0; w < nw; w++) {
            zc[w] = wz[w * n + k];
            bc[w] = r->week_bin[w * n + k];
        }
        if ((rc = gs__ehsa_classify(bc, zc, nw, &eo, &r->ehsa[k]))) {
            rc = gs__err(ctx, rc, "emerging hot spot classes failed");
            goto done;
        }
    }
    r->ehsa_done = 1;
done:
    free(start);
    free(nbr);
    free(x);
    free(wz);
    free(zc);
    free(bc);
    return rc;
}

/* ---- DBSCAN groups: clusters and repeat locations ------------------------ */

/* Events idx[0..n-1] grouped by DBSCAN: members of group k are
 * idx[mem[start[k]] .. ] in input order; *out_ng groups. */
typedef struct groups {
    size_t n;
    size_t *start;       /* n + 1 */
    size_t *mem;         /* event indices */
    unsigned char *core; /* per member */
} groups;

static void groups_free(groups *g) {
    free(g->start);
    free(g->mem);
    free(g->core);
    memset(g, 0, sizeof *g);
}

static int dbscan_groups(const gs__events *ev, const size_t *idx, size_t n,
                         double eps, size_t min_pts, groups *out) {
    double *x = gs__malloc((n ? n : 1) * sizeof *x);
    double *y = gs__malloc((n ? n : 1) * sizeof *y);
    long *lab = gs__malloc((n ? n : 1) * sizeof *lab);
    unsigned char *core = gs__malloc(n ? n : 1);
    size_t ng = 0, *fill = NULL;
    int rc = GS_ERR_NOMEM;
    memset(out, 0, sizeof *out);
    if (!x || !y || !lab || !core) goto done;
    for (size_t k = 0; k < n; k++) {
        x[k] = ev->v[idx[k]].x;
        y[k] = ev->v[idx[k]].y;
    }
    if (n > 0 && (rc = gs__dbscan(x, y, n, eps, min_pts, lab, core, &ng)))
        goto done;
    rc = GS_ERR_NOMEM;
    out->start = gs__calloc(ng + 1, sizeof *out->start);
    fill = gs__calloc(ng + 1, sizeof *fill);
    out->mem = gs__malloc((n ? n : 1) * sizeof *out->mem);
    out->core = gs__malloc(n ? n : 1);
    if (!out->start || !fill || !out->mem || !out->core) goto done;
    for (size_t k = 0; k < n; k++)
        if (lab[k] >= 0) out->start[lab[k] + 1]++;
    for (size_t g = 0; g < ng; g++) out->start[g + 1] += out->start[g];
    memcpy(fill, out->start, (ng + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++) {
        if (lab[k] < 0) continue;
        out->core[fill[lab[k]]] = core[k];
        out->mem[fill[lab[k]]++] = idx[k];
    }
    out->n = ng;
    rc = GS_OK;
done:
    if (rc) groups_free(out);
    free(x);
    free(y);
    free(lab);
    free(core);
    free(fill);
    return rc;
}

typedef struct group_sum {
    long events, core;
    int category;
    long category_events;
    int64_t first_ms, last_ms;
    long grid;
    double x, y;
} group_sum;

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* Figures of group k: the dominant category (ties: the more frequent
 * overall), the grid most members count in (ties: the first), the time
 * span, the mean point. `cat_n` (ncats zeros) and `grids` (scratch of the
 * group's size) are work space; cat_n is left zeroed. */
static group_sum sum_group(const gs__events *ev, const gs__hsresult *r,
                           const groups *gr, size_t k, long *cat_n,
                           long *grids) {
    group_sum s;
    size_t a = gr->start[k], b = gr->start[k + 1], ng = 0;
    long best_run = 0;
    memset(&s, 0, sizeof s);
    s.category = -1;
    s.grid = -1;
    s.first_ms = INT64_MAX;
    s.last_ms = INT64_MIN;
    for (size_t q = a; q < b; q++) {
        size_t i = gr->mem[q];
        const gs__event *e = &ev->v[i];
        int c = r->ev_cat[i];
        s.events++;
        s.core += gr->core[q];
        s.x += e->x;
        s.y += e->y;
        if (e->reported_ms < s.first_ms) s.first_ms = e->reported_ms;
        if (e->reported_ms > s.last_ms) s.last_ms = e->reported_ms;
        if (++cat_n[c] > s.category_events ||
            (cat_n[c] == s.category_events && c < s.category)) {
            s.category_events = cat_n[c];
            s.category = c;
        }
        if (r->ev_grid[i] >= 0) grids[ng++] = r->ev_grid[i];
    }
    for (size_t q = a; q < b; q++) cat_n[r->ev_cat[gr->mem[q]]] = 0;
    qsort(grids, ng, sizeof *grids, cmp_long);
    for (size_t q = 0, run = 0; q < ng; q++) {
        run = q > 0 && grids[q] == grids[q - 1] ? run + 1 : 1;
        if ((long)run > best_run) {
            best_run = (long)run;
            s.grid = grids[q];
        }
    }
    if (s.events) {
        s.x /= (double)s.events;
        s.y /= (double)s.events;
    }
    return s;
}

/* Convex hull of the group's points, buffered by `pad` metres. */
static GEOSGeometry *group_hull(GEOSContextHandle_t h, const gs__events *ev,
                                const groups *gr, size_t k, double pad) {
    size_t a = gr->start[k], n = gr->start[k + 1] - a;
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    GEOSGeometry *mp, *hull, *out;
    if (!cs) return NULL;
    for (size_t q = 0; q < n; q++)
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)q, ev->v[gr->mem[a + q]].x,
                             ev->v[gr->mem[a + q]].y);
    mp = GEOSGeom_createLineString_r(h, cs); /* hull of its points */
    if (n < 2) {
        if (mp) GEOSGeom_destroy_r(h, mp);
        mp = GEOSGeom_createPointFromXY_r(h, ev->v[gr->mem[a]].x,
                                          ev->v[gr->mem[a]].y);
    }
    if (!mp) return NULL;
    hull = GEOSConvexHull_r(h, mp);
    GEOSGeom_destroy_r(h, mp);
    if (!hull) return NULL;
    out = GEOSBuffer_r(h, hull, pad, 8);
    GEOSGeom_destroy_r(h, hull);
    return out;
}

/* Appends trouble spot t with the text of `detail` (taken, and emptied)
 * as its detail. GS_ERR_NOMEM, with the text freed. */
static int add_trouble(gs__hsresult *r, size_t *cap, gs__hs_trouble *t,
                       gs__buf *detail) {
    t->detail = gs__buf_steal(detail);
    if (t->detail && r->n_trouble == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        gs__hs_trouble *nv = gs__realloc(r->trouble, nc * sizeof *nv);
        if (nv) {
            r->trouble = nv;
            *cap = nc;
        }
    }
    if (!t->detail || r->n_trouble == *cap) {
        free(t->detail);
        return GS_ERR_NOMEM;
    }
    r->trouble[r->n_trouble++] = *t;
    return GS_OK;
}

/* Event ids of group k joined by ", " into b, at most 20, then "... (N in
 * all)". */
static void group_ids(const gs__events *ev, const groups *gr, size_t k,
                      gs__buf *b) {
    size_t a = gr->start[k], e = gr->start[k + 1];
    gs__buf_init(b, 1 << 16);
    for (size_t q = a; q < e && q < a + 20; q++)
        gs__buf_printf(b, "%s%s", q > a ? ", " : "",
                       ev->v[gr->mem[q]].id[0] ? ev->v[gr->mem[q]].id : "?");
    if (e - a > 20) gs__buf_printf(b, " ... (%zu in all)", e - a);
}

/* DBSCAN clusters of the period's events, and repeat locations: DBSCAN
 * with the repeat radius and minimum over the repeat_days ending with the
 * period. */
static int clusters_and_repeats(gs_ctx *ctx, const gs__events *ev,
                                const gs__hs_params *p, gs__hsresult *r,
                                size_t *tcap) {
    GEOSContextHandle_t h = ctx->geos;
    const gs_rules *ru = p->rules;
    size_t *idx = gs__malloc((ev->n ? ev->n : 1) * sizeof *idx), n = 0;
    long *cat_n = gs__calloc(r->ncats ? r->ncats : 1, sizeof *cat_n);
    long *grids = gs__malloc((ev->n ? ev->n : 1) * sizeof *grids);
    groups gr;
    int rc = GS_OK;
    memset(&gr, 0, sizeof gr);
    if (!idx || !cat_n || !grids) NOMEM();
    for (size_t i = 0; i < ev->n; i++)
        if (r->ev_flag[i] & GS__EVF_PERIOD) idx[n++] = i;
    if ((rc = dbscan_groups(ev, idx, n, ru->cluster_eps_m,
                            (size_t)ru->cluster_min_events, &gr))) {
        rc = gs__err(ctx, rc, "DBSCAN of the events failed");
        goto done;
    }
    r->clusters = gs__calloc(gr.n ? gr.n : 1, sizeof *r->clusters);
    if (!r->clusters) NOMEM();
    for (size_t k = 0; k < gr.n; k++) {
        group_sum s = sum_group(ev, r, &gr, k, cat_n, grids);
        gs__hs_cluster *c = &r->clusters[k];
        c->events = s.events;
        c->core = s.core;
        c->category = s.category;
        c->category_events = s.category_events;
        c->first_ms = s.first_ms;
        c->last_ms = s.last_ms;
        c->grid = s.grid;
        c->x = s.x;
        c->y = s.y;
        c->geom = group_hull(h, ev, &gr, k, ru->cluster_eps_m / 10);
        r->n_clusters = k + 1;
        if (!c->geom) NOMEM();
    }
    groups_free(&gr);
    n = 0;
    for (size_t i = 0; i < ev->n; i++)
        if (ev->v[i].day <= p->day1 &&
            ev->v[i].day > p->day1 - (int32_t)ru->repeat_days)
            idx[n++] = i;
    if ((rc = dbscan_groups(ev, idx, n, ru->repeat_radius_m,
                            (size_t)ru->repeat_min_events, &gr))) {
        rc = gs__err(ctx, rc, "DBSCAN of the repeat locations failed");
        goto done;
    }
    for (size_t k = 0; k < gr.n; k++) {
        group_sum s = sum_group(ev, r, &gr, k, cat_n, grids);
        gs__hs_trouble t;
        gs__buf b;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_REPEAT;
        t.x = s.x;
        t.y = s.y;
        t.grid = s.grid;
        t.category = s.category;
        t.events = s.events;
        t.first_ms = s.first_ms;
        t.last_ms = s.last_ms;
        t.event = -1;
        group_ids(ev, &gr, k, &b);
        if (add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    groups_free(&gr);
    free(idx);
    free(cat_n);
    free(grids);
    return rc;
}

/* ---- overdue events and rising grids ------------------------------------- */

typedef struct od_ref {
    int workdays_overdue;
    size_t i;
} od_ref;

static int cmp_od(const void *a, const void *b) {
    const od_ref *x = a, *y = b;
    if (x->workdays_overdue != y->workdays_overdue)
        return x->workdays_overdue > y->workdays_overdue ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Workdays in (a, b]. */
static int workdays_between(const gs__calendar *cal, int32_t a, int32_t b) {
    int n = 0;
    for (int32_t d = a + 1; d <= b; d++) n += gs__calendar_is_workday(cal, d);
    return n;
}

/* Every event reported by the period's end, open then and past its
 * category's deadline: most working days overdue first. */
static int overdue_spots(gs_ctx *ctx, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *r,
                         size_t *tcap) {
    od_ref *v = gs__malloc((ev->n ? ev->n : 1) * sizeof *v);
    size_t n = 0;
    int rc = GS_OK;
    if (!v) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        const gs__event *e = &ev->v[i];
        ev_state s;
        if (e->day > p->day1) continue;
        s = state_of(e, p);
        if (!s.overdue) continue;
        v[n].i = i;
        v[n++].workdays_overdue = workdays_between(
            p->cal,
            gs__hs_deadline(p->cal, e->day,
                            gs__hs_deadline_workdays(p->rules, e->category)),
            p->day1);
    }
    qsort(v, n, sizeof *v, cmp_od);
    for (size_t k = 0; k < n; k++) {
        const gs__event *e = &ev->v[v[k].i];
        gs__hs_trouble t;
        char d0[11], d1[11];
        gs__buf b;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_OVERDUE;
        t.x = e->x;
        t.y = e->y;
        t.grid = r->ev_grid[v[k].i];
        t.category = r->ev_cat[v[k].i];
        t.events = 1;
        t.first_ms = t.last_ms = e->reported_ms;
        t.event = (long)v[k].i;
        t.deadline_workdays = gs__hs_deadline_workdays(p->rules, e->category);
        t.deadline_day = gs__hs_deadline(p->cal, e->day, t.deadline_workdays);
        t.workdays_overdue = v[k].workdays_overdue;
        gs__date_format(e->day, d0);
        gs__date_format(t.deadline_day, d1);
        gs__buf_init(&b, 4096);
        gs__buf_printf(&b,
                       "%s reported %s, open; deadline %s (%d working days), "
                       "%d working days overdue",
                       e->id[0] ? e->id : "?", d0, d1, t.deadline_workdays,
                       t.workdays_overdue);
        if (add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    free(v);
    return rc;
}

/* Grids whose weekly counts over the history rise: Mann-Kendall S > 0
 * with p passing Benjamini-Hochberg at rising_fdr_q across the grids that
 * had any event. The spot is a point on the grid's surface. */
static int rising_spots(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                        const gs__hs_params *p, gs__hsresult *r, size_t *tcap) {
    GEOSContextHandle_t h = ctx->geos;
    size_t ng = m->n_grids, nw = (size_t)p->nweeks, nt = 0;
    double *wk = gs__calloc((ng ? ng : 1) * nw, sizeof *wk);
    double *pv = gs__malloc((ng ? ng : 1) * sizeof *pv);
    long *tested = gs__malloc((ng ? ng : 1) * sizeof *tested), *tot;
    gs__mk_result *mk = gs__malloc((ng ? ng : 1) * sizeof *mk);
    unsigned char *pass = gs__malloc(ng ? ng : 1);
    int rc = GS_OK;
    tot = gs__calloc(ng ? ng : 1, sizeof *tot);
    if (!wk || !pv || !tested || !mk || !pass || !tot) NOMEM();
    if (nw < (size_t)p->rules->min_history_weeks) {
        snprintf(r->rising_note, sizeof r->rising_note,
                 "only %zu week%s of history; rising grids need %d", nw,
                 nw == 1 ? "" : "s", p->rules->min_history_weeks);
        goto done;
    }
    for (size_t i = 0; i < ev->n; i++) {
        long g = r->ev_grid[i];
        if (g < 0 || !(r->ev_flag[i] & GS__EVF_HISTORY)) continue;
        wk[(size_t)g * nw + (size_t)((ev->v[i].day - p->week0) / 7)] += 1;
        tot[g]++;
    }
    for (size_t g = 0; g < ng; g++) {
        if (!tot[g]) continue;
        if ((rc = gs__mann_kendall(wk + g * nw, nw, &mk[nt]))) {
            rc = gs__err(ctx, rc, "Mann-Kendall failed");
            goto done;
        }
        pv[nt] = mk[nt].p;
        tested[nt++] = (long)g;
    }
    if (nt > 0 &&
        (rc = gs__fdr_bh(pv, nt, p->rules->rising_fdr_q, pass, NULL))) {
        rc = gs__err(ctx, rc, "Benjamini-Hochberg failed");
        goto done;
    }
    r->rising_done = 1;
    for (size_t k = 0; k < nt; k++) {
        long g = tested[k];
        gs__hs_trouble t;
        GEOSGeometry *pt;
        gs__buf b;
        char a[9], z[9];
        if (!pass[k] || mk[k].s <= 0) continue;
        memset(&t, 0, sizeof t);
        t.kind = GS__TROUBLE_RISING;
        pt = GEOSPointOnSurface_r(h, m->grids[g].geom);
        if (!pt || GEOSisEmpty_r(h, pt) || !GEOSGeomGetX_r(h, pt, &t.x) ||
            !GEOSGeomGetY_r(h, pt, &t.y))
            t.x = t.y = NAN;
        if (pt) GEOSGeom_destroy_r(h, pt);
        t.grid = g;
        t.category = -1;
        t.events = tot[g];
        t.first_ms = t.last_ms = 0;
        t.event = -1;
        t.trend_tau = mk[k].tau;
        t.trend_z = mk[k].z;
        t.trend_p = mk[k].p;
        gs__isoweek_format(p->week0, a);
        gs__isoweek_format(p->week0 + 7 * (int32_t)(nw - 1), z);
        gs__buf_init(&b, 1 << 16);
        gs__buf_printf(&b, "weekly events %s to %s: ", a, z);
        for (size_t w = 0; w < nw; w++)
            gs__buf_printf(&b, "%s%.0f", w ? "," : "", wk[(size_t)g * nw + w]);
        if (add_trouble(r, tcap, &t, &b)) NOMEM();
    }
done:
    free(wk);
    free(pv);
    free(tested);
    free(mk);
    free(pass);
    free(tot);
    return rc;
}

/* ---- kernel density ------------------------------------------------------ */

/* 1, 2 or 5 times a power of ten, the nearest at or below v (v > 0). */
static double nice_step(double v) {
    double e = pow(10, floor(log10(v))), f = v / e;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * e;
}

/* Quartic density of the period's events over the clip area's extent
 * (and every event's), widened by the bandwidth so the raster holds every
 * kernel whole: it then integrates to the event count. */
static int density(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                   const gs__hs_params *p, gs__hsresult *r) {
    GEOSContextHandle_t h = ctx->geos;
    const gs_rules *ru = p->rules;
    size_t n = 0, nclip, stride, cells;
    GEOSGeometry *const *clip = clip_polys(m, &nclip, &stride);
    double *x = gs__malloc((ev->n ? ev->n : 1) * sizeof *x);
    double *y = gs__malloc((ev->n ? ev->n : 1) * sizeof *y), *d = NULL;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY, c;
    int rc = GS_OK;
    if (!x || !y) NOMEM();
    for (size_t i = 0; i < ev->n; i++)
        if (r->ev_flag[i] & GS__EVF_PERIOD) {
            x[n] = ev->v[i].x;
            y[n++] = ev->v[i].y;
            x0 = fmin(x0, ev->v[i].x);
            y0 = fmin(y0, ev->v[i].y);
            x1 = fmax(x1, ev->v[i].x);
            y1 = fmax(y1, ev->v[i].y);
        }
    for (size_t i = 0; i < nclip; i++) {
        const GEOSGeometry *g =
            *(GEOSGeometry *const *)((const char *)clip + i * stride);
        double a, b, e, f;
        if (!g || GEOSisEmpty_r(h, g) || !GEOSGeom_getXMin_r(h, g, &a) ||
            !GEOSGeom_getYMin_r(h, g, &b) || !GEOSGeom_getXMax_r(h, g, &e) ||
            !GEOSGeom_getYMax_r(h, g, &f))
            continue;
        x0 = fmin(x0, a);
        y0 = fmin(y0, b);
        x1 = fmax(x1, e);
        y1 = fmax(y1, f);
    }
    if (!(x0 <= x1 && y0 <= y1)) {
        x0 = y0 = 0;
        x1 = y1 = 1;
    }
    if (ru->kde_bandwidth_m > 0) {
        r->kde_h = ru->kde_bandwidth_m;
        snprintf(r->kde_rule, sizeof r->kde_rule,
                 "configured (kde_bandwidth_m = %g)", ru->kde_bandwidth_m);
    } else if (n > 0 && gs__kde_bandwidth(x, y, NULL, n, &r->kde_h, &r->kde_sd,
                                          &r->kde_dm) == GS_OK) {
        snprintf(r->kde_rule, sizeof r->kde_rule,
                 "0.9 min(SD %.1f m, sqrt(1/ln 2) Dm %.1f m) n^-0.2, n = %zu "
                 "(ArcGIS default search radius)",
                 r->kde_sd, sqrt(1 / log(2.0)) * r->kde_dm, n);
    } else {
        r->kde_h = p->hex_size_m;
        snprintf(r->kde_rule, sizeof r->kde_rule, "the hexagon size: %s",
                 n ? "the default rule needs points "
                     "at two or more places"
                   : "no events in the period");
    }
    c = ru->kde_cell_m > 0 ? ru->kde_cell_m : nice_step(fmax(r->kde_h / 10, 1));
    x0 -= r->kde_h;
    y0 -= r->kde_h;
    x1 += r->kde_h;
    y1 += r->kde_h;
    for (;;) {
        double nx = ceil((x1 - x0) / c), ny = ceil((y1 - y0) / c);
        if (nx * ny <= (double)MAX_KDE_CELLS) break;
        c *= 2; /* keep the raster within its hard maximum */
    }
    /* Cells aligned on multiples of the cell size. */
    x0 = floor(x0 / c) * c;
    y1 = ceil(y1 / c) * c;
    r->kde_grid.x0 = x0;
    r->kde_grid.y0 = y1;
    r->kde_grid.cell = c;
    r->kde_grid.nx = (size_t)ceil((x1 - x0) / c);
    r->kde_grid.ny = (size_t)ceil((y1 - y0) / c);
    if (!r->kde_grid.nx) r->kde_grid.nx = 1;
    if (!r->kde_grid.ny) r->kde_grid.ny = 1;
    cells = r->kde_grid.nx * r->kde_grid.ny;
    d = gs__malloc(cells * sizeof *d);
    r->kde = gs__malloc(cells * sizeof *r->kde);
    if (!d || !r->kde) NOMEM();
    if ((rc = gs__kde_quartic(x, y, NULL, n, r->kde_h, &r->kde_grid, d))) {
        rc = gs__err(ctx, rc, "kernel density failed");
        goto done;
    }
    for (size_t k = 0; k < cells; k++) r->kde[k] = (float)(d[k] * 1e6);
done:
    free(x);
    free(y);
    free(d);
    return rc;
}

/* ---- summaries ----------------------------------------------------------- */

const char *gs__hs_category_label(const char *category) {
    return category && category[0] ? category : "未分类";
}

typedef struct acc {
    gs__hs_counts c;
    long hot;
} acc;

typedef struct units {
    gs__strix *code; /* communities (sorted), streets (sorted), "total" */
    size_t ncomm, nstreet, n;
    long *grid_comm;   /* per grid: its community unit */
    long *grid_street; /* per grid: its street unit */
    char *street_buf;  /* the street codes' storage */
} units;

static void units_free(units *u) {
    free(u->code);
    free(u->grid_comm);
    free(u->grid_street);
    free(u->street_buf);
    memset(u, 0, sizeof *u);
}

/* Sorts v[0..n-1] and drops repeated strings; returns the new count. */
static size_t unique_strs(gs__strix *v, size_t n) {
    size_t w = 0;
    qsort(v, n, sizeof *v, gs__strix_cmp);
    for (size_t k = 0; k < n; k++)
        if (w == 0 || strcmp(v[w - 1].s, v[k].s)) v[w++] = v[k];
    return w;
}

/* The unit of community `code` (comm: 1) or of its street (comm: 0), or
 * -1 when it has none. */
static long unit_of(const units *u, const char *code, int comm) {
    char s9[16];
    size_t k;
    if (comm) {
        k = gs__strix_find(u->code, u->ncomm, code);
        return k < u->ncomm ? (long)k : -1;
    }
    snprintf(s9, sizeof s9, "%.9s", code);
    k = gs__strix_find(u->code + u->ncomm, u->nstreet, s9);
    return k < u->nstreet ? (long)(u->ncomm + k) : -1;
}

/* The units of the summaries: every community code of the grids and the
 * communities, their streets (first 9 digits) and the total. */
static int build_units(const gs__model *m, units *u) {
    size_t nc = m->n_grids + m->n_communities, ns;
    gs__strix *v = gs__malloc((nc ? nc : 1) * sizeof *v);
    memset(u, 0, sizeof *u);
    if (!v) return GS_ERR_NOMEM;
    for (size_t g = 0; g < m->n_grids; g++)
        v[g] = (gs__strix){m->grids[g].community_code, g};
    for (size_t c = 0; c < m->n_communities; c++)
        v[m->n_grids + c] = (gs__strix){m->communities[c].code, c};
    nc = unique_strs(v, nc);
    u->street_buf = gs__malloc(nc * 16 + 1);
    u->code = gs__malloc((2 * nc + 1) * sizeof *u->code);
    u->grid_comm = gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof(long));
    u->grid_street = gs__malloc((m->n_grids ? m->n_grids : 1) * sizeof(long));
    if (!u->street_buf || !u->code || !u->grid_comm || !u->grid_street) {
        free(v);
        units_free(u);
        return GS_ERR_NOMEM;
    }
    memcpy(u->code, v, nc * sizeof *v);
    for (size_t k = 0; k < nc; k++) {
        snprintf(u->street_buf + 16 * k, 16, "%.9s", v[k].s);
        u->code[nc + k] = (gs__strix){u->street_buf + 16 * k, k};
    }
    ns = unique_strs(u->code + nc, nc);
    u->code[nc + ns] = (gs__strix){"total", 0};
    u->ncomm = nc;
    u->nstreet = ns;
    u->n = nc + ns + 1;
    for (size_t g = 0; g < m->n_grids; g++) {
        u->grid_comm[g] = unit_of(u, m->grids[g].community_code, 1);
        u->grid_street[g] = unit_of(u, m->grids[g].community_code, 0);
    }
    free(v);
    return GS_OK;
}

/* The community code a hexagon belongs to. */
static const char *hex_code(const gs__model *m, const gs__hsresult *r,
                            size_t k) {
    long c = r->hex_comm[k];
    if (c < 0) return NULL;
    return m->n_communities ? m->communities[c].code
                            : m->grids[c].community_code;
}

/* Rows for buckets 1..nb-1, each [start[b], start[b+1]); bucket 0 is the
 * previous week or month, for the change. */
static int summarise(const gs__model *m, const gs__events *ev,
                     const gs__hs_params *p, gs__hsresult *r, const units *u,
                     const int32_t *start, size_t nb, gs__hs_sum **out,
                     size_t *out_n) {
    size_t nu = u->n, nc = r->ncats ? r->ncats : 1;
    acc *a = gs__calloc(nu * nb, sizeof *a);
    long *cats = gs__calloc(nu * nb * nc, sizeof *cats);
    unsigned char *hot = gs__malloc(r->n_hex ? r->n_hex : 1);
    gs__hs_sum *rows = gs__calloc(nu * nb, sizeof *rows);
    size_t nr = 0;
    int rc = GS_ERR_NOMEM;
    if (!a || !cats || !hot || !rows) goto done;
    for (size_t i = 0; i < ev->n; i++) {
        const gs__event *e = &ev->v[i];
        long g = r->ev_grid[i], us[3];
        size_t b = 0, lo = 0, hi = nb, nus = 0;
        if (e->day > p->day1 || e->day < start[0] || e->day >= start[nb])
            continue;
        while (hi - lo > 1) { /* start[lo] <= day < start[hi] */
            size_t mid = (lo + hi) / 2;
            if (start[mid] <= e->day)
                lo = mid;
            else
                hi = mid;
        }
        b = lo;
        if (g >= 0 && u->grid_comm[g] >= 0) us[nus++] = u->grid_comm[g];
        if (g >= 0 && u->grid_street[g] >= 0) us[nus++] = u->grid_street[g];
        us[nus++] = (long)nu - 1;
        for (size_t k = 0; k < nus; k++) {
            count_event(&a[(size_t)us[k] * nb + b].c, e, p);
            cats[((size_t)us[k] * nb + b) * nc + (size_t)r->ev_cat[i]]++;
        }
    }
    for (size_t b = 1; r->week_bin && b < nb; b++) {
        /* Cells that were a 95 % hot spot in a week overlapping the
         * bucket. */
        memset(hot, 0, r->n_hex ? r->n_hex : 1);
        for (int w = 0; w < p->nweeks; w++) {
            int32_t mon = p->week0 + 7 * w;
            if (mon + 6 < start[b] || mon >= start[b + 1]) continue;
            for (size_t k = 0; k < r->n_hex; k++)
                hot[k] |= r->week_bin[(size_t)w * r->n_hex + k] >= 2;
        }
        for (size_t k = 0; k < r->n_hex; k++) {
            const char *cc = hex_code(m, r, k);
            long cu = cc ? unit_of(u, cc, 1) : -1,
                 su = cc ? unit_of(u, cc, 0) : -1;
            if (!hot[k]) continue;
            if (cu >= 0) a[(size_t)cu * nb + b].hot++;
            if (su >= 0) a[(size_t)su * nb + b].hot++;
            a[(nu - 1) * nb + b].hot++;
        }
    }
    for (size_t un = 0; un < nu; un++)
        for (size_t b = 1; b < nb; b++) {
            const acc *x = &a[un * nb + b];
            const long *cn = &cats[(un * nb + b) * nc];
            gs__hs_sum *row = &rows[nr++];
            size_t off = 0;
            int used[3] = {-1, -1, -1};
            row->level = un < u->ncomm ? 0 : un < u->ncomm + u->nstreet ? 1 : 2;
            row->code = u->code[un].s;
            row->start = start[b];
            row->c = x->c;
            row->hot_hexes = r->week_bin ? x->hot : -1;
            row->prev_events =
                start[b - 1] >= p->week0 ? a[un * nb + b - 1].c.events : -1;
            for (int t = 0; t < 3; t++) {
                long best = 0;
                for (size_t c = 0; c < r->ncats; c++)
                    if (cn[c] > best && (int)c != used[0] &&
                        (int)c != used[1]) {
                        best = cn[c];
                        used[t] = (int)c;
                    }
                if (used[t] < 0) break;
                off += (size_t)snprintf(
                    row->top + off,
                    off < sizeof row->top ? sizeof row->top - off : 0,
                    "%s%s %ld", t ? "; " : "",
                    gs__hs_category_label(r->cats[used[t]]), best);
                if (off >= sizeof row->top) break;
            }
        }
    *out = rows;
    *out_n = nr;
    rows = NULL;
    rc = GS_OK;
done:
    free(a);
    free(cats);
    free(hot);
    free(rows);
    return rc;
}

/* Weekly rows for the ISO weeks and monthly rows for the months that
 * overlap the period, each with the one before. */
static int summaries(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                     const gs__hs_params *p, gs__hsresult *r) {
    units u;
    int32_t *st = NULL;
    size_t nb;
    int rc, y, mo, d, y1, mo1;
    if (build_units(m, &u)) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    {
        int32_t a = p->day0 - (gs__weekday(p->day0) - 1) - 7;
        int32_t b = p->day1 - (gs__weekday(p->day1) - 1);
        nb = (size_t)((b - a) / 7 + 1);
        st = gs__malloc((nb + 1) * sizeof *st);
        if (!st) NOMEM();
        for (size_t k = 0; k <= nb; k++) st[k] = a + 7 * (int32_t)k;
        if ((rc = summarise(m, ev, p, r, &u, st, nb, &r->weekly, &r->n_weekly)))
            NOMEM();
        free(st);
        st = NULL;
    }
    gs__civil_from_days(p->day0, &y, &mo, &d);
    gs__civil_from_days(p->day1, &y1, &mo1, &d);
    if (--mo == 0) {
        mo = 12;
        y--;
    }
    nb = (size_t)((y1 * 12 + mo1) - (y * 12 + mo) + 1);
    st = gs__malloc((nb + 1) * sizeof *st);
    if (!st) NOMEM();
    for (size_t k = 0; k <= nb; k++) {
        int mm = mo - 1 + (int)k;
        st[k] = gs__days_from_civil(y + mm / 12, mm % 12 + 1, 1);
    }
    rc = summarise(m, ev, p, r, &u, st, nb, &r->monthly, &r->n_monthly);
    if (rc) NOMEM();
    r->street_codes = u.street_buf; /* the rows point into it */
    u.street_buf = NULL;
done:
    free(st);
    units_free(&u);
    return rc;
}

/* ---- the analysis -------------------------------------------------------- */

int gs__hotspots_analyse(gs_ctx *ctx, const gs__model *m, const gs__events *ev,
                         const gs__hs_params *p, gs__hsresult *out) {
    size_t n = ev->n, tcap = 0;
    int rc = GS_OK;
    memset(out, 0, sizeof *out);
    if (!(p->hex_size_m > 0) || p->nweeks < 1 || p->day1 < p->day0 ||
        p->week0 > p->day1)
        return gs__err(ctx, GS_ERR_USAGE,
                       "hotspots: bad period or hexagon "
                       "size");
    out->ev_flag = gs__calloc(n ? n : 1, 1);
    out->ev_grid = gs__malloc((n ? n : 1) * sizeof *out->ev_grid);
    out->ev_loc = gs__malloc((n ? n : 1) * sizeof *out->ev_loc);
    if (!out->ev_flag || !out->ev_grid || !out->ev_loc) NOMEM();
    for (size_t i = 0; i < n; i++) {
        int32_t d = ev->v[i].day;
        if (d >= p->day0 && d <= p->day1) out->ev_flag[i] |= GS__EVF_PERIOD;
        if (d >= p->week0 && d <= p->day1) out->ev_flag[i] |= GS__EVF_HISTORY;
        out->n_period += d >= p->day0 && d <= p->day1;
        out->n_history += d >= p->week0 && d <= p->day1;
    }
    gs__progress(ctx, "join events to grids", -1);
    if ((rc = gs__hs_join(ctx, m, ev, p->threads, out->ev_grid, out->ev_loc,
                          out->ev_flag)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        unsigned char f = out->ev_flag[i];
        if (!(f & GS__EVF_PERIOD)) continue;
        out->n_mismatch += (f & GS__EVF_MISMATCH) != 0;
        out->n_unknown_code += (f & GS__EVF_UNKNOWN_CODE) != 0;
        out->n_outside += (f & GS__EVF_OUTSIDE) != 0;
    }
    if (index_categories(ev, out)) NOMEM();
    gs__progress(ctx, "grids", -1);
    if ((rc = grid_counts(ctx, m, ev, p, out)) ||
        (rc = grid_gi(ctx, m, p, out)))
        goto done;
    gs__progress(ctx, "hexagons", -1);
    if ((rc = build_hexes(ctx, m, ev, p, out)) ||
        (rc = hex_gi(ctx, ev, p, out)))
        goto done;
    if (out->n_period == 0) {
        snprintf(out->grid_gi.note, sizeof out->grid_gi.note,
                 "no events in the period: counts only");
        snprintf(out->hex_gi.note, sizeof out->hex_gi.note,
                 "no events in the period: counts only");
    }
    gs__progress(ctx, "clusters and trouble spots", -1);
    if ((rc = clusters_and_repeats(ctx, ev, p, out, &tcap)) ||
        (rc = overdue_spots(ctx, ev, p, out, &tcap)) ||
        (rc = rising_spots(ctx, m, ev, p, out, &tcap)))
        goto done;
    gs__progress(ctx, "density", -1);
    if ((rc = density(ctx, m, ev, p, out))) goto done;
    rc = summaries(ctx, m, ev, p, out);
done:
    if (rc) gs__hsresult_free(ctx->geos, out);
    return rc;
}

void gs__hsresult_free(GEOSContextHandle_t h, gs__hsresult *r) {
    free(r->cats);
    free(r->cat_events);
    free(r->ev_grid);
    free(r->ev_loc);
    free(r->ev_hex);
    free(r->ev_cat);
    free(r->ev_flag);
    free(r->grids);
    free(r->grid_cat);
    gs__hs_gi_free(&r->grid_gi);
    free(r->hex);
    for (size_t k = 0; r->hex_geom && k < r->n_hex; k++)
        GEOSGeom_destroy_r(h, r->hex_geom[k]);
    free(r->hex_geom);
    free(r->hex_area);
    free(r->hex_comm);
    free(r->hex_events);
    free(r->hex_history);
    gs__hs_gi_free(&r->hex_gi);
    free(r->ehsa);
    free(r->week_bin);
    for (size_t k = 0; k < r->n_clusters; k++)
        if (r->clusters[k].geom) GEOSGeom_destroy_r(h, r->clusters[k].geom);
    free(r->clusters);
    for (size_t k = 0; k < r->n_trouble; k++) free(r->trouble[k].detail);
    free(r->trouble);
    free(r->kde);
    free(r->weekly);
    free(r->monthly);
    free(r->street_codes);
    memset(r, 0, sizeof *r);
}
