/*
 * validate.c - the checks of docs/design.md, "Sizing" and "Validate issue
 * kinds".
 *
 * Input is the model (metric, repaired geometries); output a gs__vresult:
 * per-grid figures and issue bits, the list of issues with the geometry of
 * each problem, and the summary rows. Nothing here reads or writes files,
 * so tests drive it with models built from WKT.
 *
 * Phases, in order:
 *  1. geometry: area, Polsby-Popper, invalid_geometry (at GEOS's location),
 *     multipart (parts beyond the largest, as stored);
 *  2. households: each goes to the grid with the lowest code among those
 *     whose repaired polygon covers it (edges and vertices included; ties by
 *     input order). An STRtree on grid envelopes finds candidates, prepared
 *     geometries answer covers. Workers split the households; each has its
 *     own GEOS handle, clones, tree and prepared geometries, because GEOS
 *     builds trees and prepared indexes lazily and they must not be shared;
 *  3. sizing and bad_persons;
 *  4. overlaps between grid pairs whose envelopes meet (intersection area
 *     above the sliver threshold);
 *  5. per community: host community of each grid (largest shared area),
 *     community_mismatch, outside_community; gaps = community minus the
 *     union of the grids meeting it, each gap put on every grid sharing at
 *     least 1 m of edge with it (measured within a small snap tolerance,
 *     since overlay output does not lie bit-exactly on the grid's edges);
 *  6. codes (duplicate_code, bad_code) and the roster (no_member,
 *     multiple_members, member_multiple_grids, member_unknown_grid);
 *  7. summary rows per community and the total.
 *
 * Phases 1, 4 and 5 run as tasks on every worker, each task keeping its
 * own issues; they are joined in the order above, so the result does not
 * depend on the number of threads (see "the parallel checks" below).
 */
#define _POSIX_C_SOURCE 200809L
#include "validate.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "households.h"
#include "pool.h"
#include "shard.h"

static const char *const kind_names[GS__K_COUNT] = {
    "bad_code",         "bad_persons",           "community_mismatch",
    "duplicate_code",   "far_coordinate",        "gap",
    "invalid_geometry", "member_multiple_grids", "member_unknown_grid",
    "multipart",        "multiple_members",      "no_member",
    "orphan_household", "outside_community",     "overlap",
    "oversize",         "persons_over",          "undersize",
    "skipped_feature"};

const char *gs__kind_name(gs__kind k) {
    return (unsigned)k < GS__K_COUNT ? kind_names[k] : "unknown";
}

void gs__vgrid_issues(const gs__vgrid *g, char *buf, size_t size) {
    size_t off = 0;
    buf[0] = '\0';
    /* The enum is in string order, so walking it sorts the kinds. */
    for (int k = 0; k < GS__K_COUNT; k++) {
        int w;
        if (!(g->kinds & (1u << k))) continue;
        w = snprintf(buf + off, size - off, "%s%s", off ? ";" : "",
                     kind_names[k]);
        if (w < 0 || (size_t)w >= size - off) break;
        off += (size_t)w;
    }
}

void gs__vresult_free(GEOSContextHandle_t h, gs__vresult *r) {
    for (size_t i = 0; i < r->n_issues; i++) {
        free(r->issues[i].detail);
        if (r->issues[i].geom) GEOSGeom_destroy_r(h, r->issues[i].geom);
    }
    free(r->issues);
    free(r->grids);
    free(r->sums);
    free(r->household_grid);
    memset(r, 0, sizeof *r);
}

/* Adds an issue; takes `geom` (may be NULL). GS_ERR_NOMEM on failure, after
 * freeing `geom`. */
static int add_issue(GEOSContextHandle_t h, gs__vresult *r, gs__kind kind,
                     long grid, const char *code, GEOSGeometry *geom,
                     const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int add_issue(GEOSContextHandle_t h, gs__vresult *r, gs__kind kind,
                     long grid, const char *code, GEOSGeometry *geom,
                     const char *fmt, ...) {
    gs__issue *is;
    char detail[1024];
    va_list ap;
    if (r->n_issues == r->cap_issues) {
        size_t nc = r->cap_issues ? r->cap_issues * 2 : 64;
        gs__issue *nv = gs__realloc(r->issues, nc * sizeof *nv);
        if (!nv) {
            if (geom) GEOSGeom_destroy_r(h, geom);
            return GS_ERR_NOMEM;
        }
        r->issues = nv;
        r->cap_issues = nc;
    }
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    is = &r->issues[r->n_issues];
    is->detail = gs__strdup(detail);
    if (!is->detail) {
        if (geom) GEOSGeom_destroy_r(h, geom);
        return GS_ERR_NOMEM;
    }
    is->kind = kind;
    is->grid = grid;
    is->grid_code = code ? code : "";
    is->geom = geom;
    r->n_issues++;
    if (grid >= 0 && r->grids && kind != GS__K_SKIPPED_FEATURE)
        r->grids[grid].kinds |= 1u << kind;
    return GS_OK;
}

static GEOSGeometry *clone(GEOSContextHandle_t h, const GEOSGeometry *g) {
    return g ? GEOSGeom_clone_r(h, g) : NULL;
}

/* ---- helpers on codes -----------------------------------------------------
 */

static int all_digits(const char *s, size_t n) {
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

typedef struct mem_ix {
    const char *a; /* sort key 1 */
    const char *b; /* sort key 2 */
    size_t i;
} mem_ix;

static int cmp_mem_ix(const void *p, const void *q) {
    const mem_ix *x = p, *y = q;
    int c = strcmp(x->a, y->a);
    if (c) return c;
    c = strcmp(x->b, y->b);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* ---- the analysis -----------------------------------------------------------
 */

#define NOMEM()                                           \
    do {                                                  \
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory"); \
        goto done;                                        \
    } while (0)

#define ADD(...)                                   \
    do {                                           \
        if (add_issue(h, r, __VA_ARGS__)) NOMEM(); \
    } while (0)

/* ---- the parallel checks (phases 1, 4 and 5) -----------------------------
 *
 * The geometry, overlap, host community and gap checks are cut into tasks
 * of a range of grids or communities each; workers take the tasks in turn
 * and each task keeps its own list of issues, which are joined in task
 * order afterwards, so the issues come out in the same order, with the
 * same words, whatever the number of workers. A worker has its own GEOS
 * handle, its own clones of the grids and communities, and its own trees
 * and prepared geometries (GEOS builds these lazily: they must not be
 * shared).
 */

enum { T_GEOMETRY, T_OVERLAPS, T_HOSTS, T_GAPS };

typedef struct vtask {
    int kind;
    size_t from, to; /* grids, or communities for T_GAPS */
    gs__vresult r;   /* its issues only (r.grids NULL) */
    int rc;
} vtask;

typedef struct vworker {
    GEOSContextHandle_t h;
    GEOSGeometry **g, **cm; /* clones of the grids and communities */
    const GEOSPreparedGeometry **gprep, **cprep; /* made when first needed */
    GEOSSTRtree *gtree, *ctree;
    size_t *gids, *cids;
    gs__cands c;
} vworker;

typedef struct vshared {
    const gs__model *m;
    const gs_rules *rules;
    gs__vgrid *grids; /* each task writes only its own grids' figures */
    vtask *tasks;
    size_t n_tasks, next;
    pthread_mutex_t lock;
} vshared;

typedef struct vjob {
    vshared *sh;
    vworker w;
    int rc;
} vjob;

#undef NOMEM
#define NOMEM()            \
    do {                   \
        rc = GS_ERR_NOMEM; \
        goto done;         \
    } while (0)

static void vworker_free(vworker *w, const gs__model *m) {
    GEOSContextHandle_t h = w->h;
    if (!h) return;
    if (w->gtree) GEOSSTRtree_destroy_r(h, w->gtree);
    if (w->ctree) GEOSSTRtree_destroy_r(h, w->ctree);
    for (size_t i = 0; i < m->n_grids; i++) {
        if (w->gprep && w->gprep[i]) GEOSPreparedGeom_destroy_r(h, w->gprep[i]);
        if (w->g && w->g[i]) GEOSGeom_destroy_r(h, w->g[i]);
    }
    for (size_t i = 0; i < m->n_communities; i++) {
        if (w->cprep && w->cprep[i]) GEOSPreparedGeom_destroy_r(h, w->cprep[i]);
        if (w->cm && w->cm[i]) GEOSGeom_destroy_r(h, w->cm[i]);
    }
    free(w->g);
    free(w->cm);
    free(w->gprep);
    free(w->cprep);
    free(w->gids);
    free(w->cids);
    free(w->c.v);
    GEOS_finish_r(h);
    memset(w, 0, sizeof *w);
}

/* The worker's clones and trees (prepared geometries come when needed). */
static int vworker_init(vworker *w, const gs__model *m) {
    size_t ng = m->n_grids, nc = m->n_communities;
    int rc = GS_OK;
    GEOSContextHandle_t h;
    memset(w, 0, sizeof *w);
    w->h = h = GEOS_init_r();
    if (!h) return GS_ERR_NOMEM;
    w->g = gs__calloc(ng ? ng : 1, sizeof *w->g);
    w->cm = gs__calloc(nc ? nc : 1, sizeof *w->cm);
    w->gprep = gs__calloc(ng ? ng : 1, sizeof *w->gprep);
    w->cprep = gs__calloc(nc ? nc : 1, sizeof *w->cprep);
    w->gids = gs__malloc((ng ? ng : 1) * sizeof *w->gids);
    w->cids = gs__malloc((nc ? nc : 1) * sizeof *w->cids);
    w->gtree = GEOSSTRtree_create_r(h, 10);
    w->ctree = GEOSSTRtree_create_r(h, 10);
    if (!w->g || !w->cm || !w->gprep || !w->cprep || !w->gids || !w->cids ||
        !w->gtree || !w->ctree)
        NOMEM();
    for (size_t i = 0; i < ng; i++) {
        w->gids[i] = i;
        if (!(w->g[i] = GEOSGeom_clone_r(h, m->grids[i].geom))) NOMEM();
        if (!GEOSisEmpty_r(h, w->g[i]))
            GEOSSTRtree_insert_r(h, w->gtree, w->g[i], &w->gids[i]);
    }
    for (size_t i = 0; i < nc; i++) {
        w->cids[i] = i;
        if (!(w->cm[i] = GEOSGeom_clone_r(h, m->communities[i].geom))) NOMEM();
        if (!GEOSisEmpty_r(h, w->cm[i]))
            GEOSSTRtree_insert_r(h, w->ctree, w->cm[i], &w->cids[i]);
    }
done:
    return rc;
}

static const GEOSPreparedGeometry *gprep(vworker *w, size_t i) {
    if (!w->gprep[i]) w->gprep[i] = GEOSPrepare_r(w->h, w->g[i]);
    return w->gprep[i];
}

static const GEOSPreparedGeometry *cprep(vworker *w, size_t i) {
    if (!w->cprep[i]) w->cprep[i] = GEOSPrepare_r(w->h, w->cm[i]);
    return w->cprep[i];
}

/* Phase 1: per-grid geometry figures and geometry issues. */
static int check_geometry(vshared *sh, vworker *w, vtask *t) {
    GEOSContextHandle_t h = w->h;
    const gs__model *m = sh->m;
    gs__vresult *r = &t->r;
    int rc = GS_OK;
    for (size_t i = t->from; i < t->to; i++) {
        const gs__grid *g = &m->grids[i];
        const GEOSGeometry *geom = w->g[i];
        gs__vgrid *v = &sh->grids[i];
        v->area_m2 = gs__geom_area(h, geom);
        v->polsby_popper = gs__geom_polsby_popper(h, geom);
        if (g->far)
            /* The reader measured the grid without its bad vertices; the
             * issue's place is the grid so measured. */
            ADD(GS__K_FAR_COORDINATE, (long)i, g->code, clone(h, geom),
                "%s; computed without them", g->far_reason);
        if (g->invalid) {
            GEOSGeometry *pt = NULL;
            if (isfinite(g->invalid_x) && isfinite(g->invalid_y))
                pt =
                    GEOSGeom_createPointFromXY_r(h, g->invalid_x, g->invalid_y);
            ADD(GS__K_INVALID_GEOMETRY, (long)i, g->code, pt,
                "%s at (%.2f, %.2f) in the metric CRS; computed with the "
                "repaired shape",
                g->invalid_reason, g->invalid_x, g->invalid_y);
        }
        if (g->nparts > 1) {
            /* The problem is every part but the largest. */
            int np = GEOSGetNumGeometries_r(h, geom), big = 0, k = 0;
            double best = -1;
            GEOSGeometry **parts, *out = NULL;
            for (int p = 0; p < np; p++) {
                double a = gs__geom_area(h, GEOSGetGeometryN_r(h, geom, p));
                if (a > best) {
                    best = a;
                    big = p;
                }
            }
            if (np > 1) {
                parts = gs__malloc(sizeof *parts * (size_t)np);
                if (!parts) NOMEM();
                for (int p = 0; p < np; p++)
                    if (p != big)
                        parts[k++] = clone(h, GEOSGetGeometryN_r(h, geom, p));
                out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts,
                                                  (unsigned)k);
                free(parts);
            } else {
                out = clone(h, geom);
            }
            ADD(GS__K_MULTIPART, (long)i, g->code, out,
                "%d polygon parts as stored; the largest is %.0f m2", g->nparts,
                best > 0 ? best : v->area_m2);
        }
    }
done:
    return rc;
}

/* Phase 4: overlaps between grids (each pair from its lower index). */
static int check_overlaps(vshared *sh, vworker *w, vtask *t) {
    GEOSContextHandle_t h = w->h;
    const gs__model *m = sh->m;
    gs__vresult *r = &t->r;
    int rc = GS_OK;
    for (size_t i = t->from; i < t->to; i++) {
        const gs__grid *gi = &m->grids[i];
        const GEOSPreparedGeometry *pi;
        if (GEOSisEmpty_r(h, w->g[i])) continue;
        if (!(pi = gprep(w, i))) NOMEM();
        if (gs__strtree_query(h, w->gtree, w->g[i], &w->c)) NOMEM();
        for (size_t k = 0; k < w->c.n; k++) {
            size_t j = w->c.v[k];
            const gs__grid *gj = &m->grids[j];
            GEOSGeometry *inter;
            double a;
            if (j <= i) continue;
            if (GEOSPreparedIntersects_r(h, pi, w->g[j]) != 1) continue;
            inter =
                gs__geom_polygonal(h, GEOSIntersection_r(h, w->g[i], w->g[j]));
            if (!inter) NOMEM();
            a = gs__geom_area(h, inter);
            if (a <= sh->rules->sliver_m2) {
                GEOSGeom_destroy_r(h, inter);
                continue;
            }
            /* A grid measured without a far vertex answers alone for an
             * overlap with a sound one: its outline is what is wrong. */
            if (gj->far && !gi->far) {
                ADD(GS__K_OVERLAP, (long)j, gj->code, inter,
                    "overlaps grid %s by %.1f m2", gi->code, a);
                continue;
            }
            if (gi->far && !gj->far) {
                ADD(GS__K_OVERLAP, (long)i, gi->code, inter,
                    "overlaps grid %s by %.1f m2", gj->code, a);
                continue;
            }
            /* `inter` is still ours when the first issue fails. */
            if (add_issue(h, r, GS__K_OVERLAP, (long)i, gi->code,
                          clone(h, inter), "overlaps grid %s by %.1f m2",
                          gj->code, a)) {
                GEOSGeom_destroy_r(h, inter);
                NOMEM();
            }
            ADD(GS__K_OVERLAP, (long)j, gj->code, inter,
                "overlaps grid %s by %.1f m2", gi->code, a);
        }
    }
done:
    return rc;
}

/* Length of `line` lying within `tol` of polygon `g`. */
static double shared_length(GEOSContextHandle_t h, const GEOSGeometry *line,
                            const GEOSGeometry *g, double tol) {
    GEOSGeometry *buf = GEOSBuffer_r(h, g, tol, 2), *in;
    double len = 0;
    if (!buf) return 0;
    in = GEOSIntersection_r(h, line, buf);
    if (in) {
        GEOSLength_r(h, in, &len);
        GEOSGeom_destroy_r(h, in);
    }
    GEOSGeom_destroy_r(h, buf);
    return len;
}

/* Phase 5a: host community of each grid, community_mismatch,
 * outside_community. */
static int check_hosts(vshared *sh, vworker *w, vtask *t) {
    GEOSContextHandle_t h = w->h;
    const gs__model *m = sh->m;
    gs__vresult *r = &t->r;
    int rc = GS_OK;
    for (size_t i = t->from; i < t->to; i++) {
        const gs__grid *g = &m->grids[i];
        const GEOSGeometry *geom = w->g[i];
        gs__vgrid *v = &sh->grids[i];
        double area = gs__geom_area(h, geom); /* as check_geometry's */
        long host = -1;
        double best = 0;
        int covered = 0;
        v->host = -1;
        if (GEOSisEmpty_r(h, geom)) continue;
        if (gs__strtree_query(h, w->ctree, geom, &w->c)) NOMEM();
        for (size_t k = 0; k < w->c.n; k++) {
            size_t ci = w->c.v[k];
            const GEOSPreparedGeometry *cp = cprep(w, ci);
            double a;
            int cov;
            if (!cp) NOMEM();
            cov = GEOSPreparedCovers_r(h, cp, geom) == 1;
            if (cov) {
                a = area;
            } else if (GEOSPreparedIntersects_r(h, cp, geom) != 1) {
                continue;
            } else {
                GEOSGeometry *in = GEOSIntersection_r(h, w->cm[ci], geom);
                if (!in) NOMEM();
                a = gs__geom_area(h, in);
                GEOSGeom_destroy_r(h, in);
            }
            if (a > best || (a == best && host >= 0 &&
                             strcmp(m->communities[ci].code,
                                    m->communities[host].code) < 0)) {
                best = a;
                host = (long)ci;
                covered = cov;
            }
        }
        v->host = best > 0 ? host : -1;
        if (v->host < 0) {
            ADD(GS__K_COMMUNITY_MISMATCH, (long)i, g->code, clone(h, geom),
                "lies in no community (its community_code is %s)",
                g->community_code[0] ? g->community_code : "empty");
            ADD(GS__K_OUTSIDE_COMMUNITY, (long)i, g->code, clone(h, geom),
                "%.1f m2, the whole grid, lies outside every community", area);
            continue;
        }
        if (strcmp(m->communities[host].code, g->community_code) != 0)
            ADD(GS__K_COMMUNITY_MISMATCH, (long)i, g->code, clone(h, geom),
                "community_code is %s, but %.0f%% of its area lies in "
                "community %s",
                g->community_code[0] ? g->community_code : "empty",
                area > 0 ? 100.0 * best / area : 0.0,
                m->communities[host].code);
        if (!covered) {
            GEOSGeometry *out =
                gs__geom_polygonal(h, GEOSDifference_r(h, geom, w->cm[host]));
            double a;
            if (!out) NOMEM();
            a = gs__geom_area(h, out);
            if (a > sh->rules->sliver_m2)
                ADD(GS__K_OUTSIDE_COMMUNITY, (long)i, g->code, out,
                    "%.1f m2 lie outside its host community %s", a,
                    m->communities[host].code);
            else
                GEOSGeom_destroy_r(h, out);
        }
    }
done:
    return rc;
}

/* Phase 5b: gaps, each community minus the union of the grids meeting
 * it. */
static int check_gaps(vshared *sh, vworker *w, vtask *t) {
    GEOSContextHandle_t h = w->h;
    const gs__model *m = sh->m;
    const gs_rules *rules = sh->rules;
    gs__vresult *r = &t->r;
    gs__cands *c = &w->c;
    int rc = GS_OK;
    for (size_t ci = t->from; ci < t->to; ci++) {
        const gs__community *cm = &m->communities[ci];
        const GEOSGeometry *cgeom = w->cm[ci];
        const GEOSPreparedGeometry *cp;
        GEOSGeometry **parts = NULL, *coll = NULL, *uni = NULL, *diff = NULL;
        size_t k = 0;
        int np;
        if (GEOSisEmpty_r(h, cgeom)) continue;
        if (!(cp = cprep(w, ci))) NOMEM();
        if (gs__strtree_query(h, w->gtree, cgeom, c)) NOMEM();
        parts = gs__malloc(sizeof *parts * (c->n ? c->n : 1));
        if (!parts) NOMEM();
        for (size_t j = 0; j < c->n; j++) {
            const GEOSGeometry *gg = w->g[c->v[j]];
            if (GEOSPreparedIntersects_r(h, cp, gg) != 1) continue;
            parts[k] = clone(h, gg);
            if (!parts[k]) {
                for (size_t q = 0; q < k; q++) GEOSGeom_destroy_r(h, parts[q]);
                free(parts);
                NOMEM();
            }
            k++;
        }
        if (k > 0) {
            coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                               parts, (unsigned)k);
            /* On a 1 micrometre grid: grids from different sources meet
             * the community border with vertices a hair apart, and the
             * exact union then carries zero-area holes that make the
             * difference meaningless. Gaps under 1 m^2 are ignored, so
             * the snapping never hides one. */
            uni = coll ? GEOSUnaryUnionPrec_r(h, coll, 1e-6) : NULL;
            if (coll && !uni) uni = GEOSUnaryUnion_r(h, coll);
            diff = uni ? GEOSDifferencePrec_r(h, cgeom, uni, 1e-6) : NULL;
            if (uni && !diff) diff = GEOSDifference_r(h, cgeom, uni);
        } else {
            diff = clone(h, cgeom);
        }
        free(parts);
        if (coll) GEOSGeom_destroy_r(h, coll);
        if (uni) GEOSGeom_destroy_r(h, uni);
        diff = gs__geom_polygonal(h, diff);
        if (!diff) NOMEM();
        np = GEOSisEmpty_r(h, diff) ? 0 : GEOSGetNumGeometries_r(h, diff);
        for (int p = 0; p < np; p++) {
            const GEOSGeometry *gp = GEOSGetGeometryN_r(h, diff, p);
            double a = gs__geom_area(h, gp);
            GEOSGeometry *bnd;
            int on_any = 0, by_far = 0;
            if (a <= rules->sliver_m2) continue;
            bnd = GEOSBoundary_r(h, gp);
            if (!bnd || gs__strtree_query(h, w->gtree, gp, c)) {
                if (bnd) GEOSGeom_destroy_r(h, bnd);
                GEOSGeom_destroy_r(h, diff);
                NOMEM();
            }
            /* A gap beside a grid measured without a far vertex is most
             * likely that grid's missing corner: it is on that grid alone,
             * so that no sound neighbour answers for it. */
            for (size_t j = 0; j < c->n && !by_far; j++)
                by_far =
                    m->grids[c->v[j]].far &&
                    shared_length(h, bnd, w->g[c->v[j]], rules->edge_snap_m) >=
                        rules->shared_edge_m;
            /* The tree query uses the gap's envelope; a neighbour whose
             * envelope only touches it is found too. */
            for (size_t j = 0; j < c->n; j++) {
                size_t gi = c->v[j];
                double len;
                if (by_far && !m->grids[gi].far) continue;
                len = shared_length(h, bnd, w->g[gi], rules->edge_snap_m);
                if (len < rules->shared_edge_m) continue;
                on_any = 1;
                if (add_issue(h, r, GS__K_GAP, (long)gi, m->grids[gi].code,
                              clone(h, gp),
                              "%.1f m2 of community %s covered by no grid; "
                              "shares %.1f m of edge with this grid",
                              a, cm->code, len)) {
                    GEOSGeom_destroy_r(h, bnd);
                    GEOSGeom_destroy_r(h, diff);
                    NOMEM();
                }
            }
            GEOSGeom_destroy_r(h, bnd);
            if (!on_any &&
                add_issue(h, r, GS__K_GAP, -1, "", clone(h, gp),
                          "%.1f m2 of community %s covered by no grid, "
                          "bordering none",
                          a, cm->code)) {
                GEOSGeom_destroy_r(h, diff);
                NOMEM();
            }
        }
        GEOSGeom_destroy_r(h, diff);
    }
done:
    return rc;
}

static void *vjob_run(void *arg) {
    vjob *j = arg;
    vshared *sh = j->sh;
    if ((j->rc = vworker_init(&j->w, sh->m))) return NULL;
    for (;;) {
        vtask *t;
        pthread_mutex_lock(&sh->lock);
        t = sh->next < sh->n_tasks ? &sh->tasks[sh->next++] : NULL;
        pthread_mutex_unlock(&sh->lock);
        if (!t) break;
        switch (t->kind) {
            case T_GEOMETRY: t->rc = check_geometry(sh, &j->w, t); break;
            case T_OVERLAPS: t->rc = check_overlaps(sh, &j->w, t); break;
            case T_HOSTS: t->rc = check_hosts(sh, &j->w, t); break;
            default: t->rc = check_gaps(sh, &j->w, t); break;
        }
    }
    return NULL;
}

/* Tasks of `kind` over [0, n), about `per` items each. */
static void add_tasks(vshared *sh, int kind, size_t n, size_t per) {
    for (size_t a = 0; a < n; a += per) {
        vtask *t = &sh->tasks[sh->n_tasks++];
        t->kind = kind;
        t->from = a;
        t->to = a + per < n ? a + per : n;
    }
}

/* Moves the issues of the tasks of `kind`, in task order, to r (marking
 * their grids' kinds). */
static int join_tasks(vshared *sh, int kind, gs__vresult *r) {
    for (size_t k = 0; k < sh->n_tasks; k++) {
        vtask *t = &sh->tasks[k];
        size_t need;
        if (t->kind != kind) continue;
        need = r->n_issues + t->r.n_issues;
        if (need > r->cap_issues) {
            gs__issue *nv = gs__realloc(r->issues, need * sizeof *nv);
            if (!nv) return GS_ERR_NOMEM;
            r->issues = nv;
            r->cap_issues = need;
        }
        for (size_t i = 0; i < t->r.n_issues; i++) {
            const gs__issue *is = &t->r.issues[i];
            r->issues[r->n_issues++] = *is;
            if (is->grid >= 0 && is->kind != GS__K_SKIPPED_FEATURE)
                r->grids[is->grid].kinds |= 1u << is->kind;
        }
        t->r.n_issues = 0;
    }
    return GS_OK;
}

#undef NOMEM
#define NOMEM()                                           \
    do {                                                  \
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory"); \
        goto done;                                        \
    } while (0)

/* Phase 6: codes and roster. */
static int check_codes(gs_ctx *ctx, const gs__model *m, gs__vresult *r) {
    GEOSContextHandle_t h = ctx->geos;
    size_t n = m->n_grids, nm = m->n_members;
    gs__strix *gv = gs__malloc(sizeof *gv * (n ? n : 1));
    mem_ix *by_grid = gs__malloc(sizeof *by_grid * (nm ? nm : 1));
    mem_ix *by_member = gs__malloc(sizeof *by_member * (nm ? nm : 1));
    int rc = GS_OK;
    if (!gv || !by_grid || !by_member) NOMEM();
    for (size_t i = 0; i < n; i++) {
        gv[i].s = m->grids[i].code;
        gv[i].i = i;
    }
    qsort(gv, n, sizeof *gv, gs__strix_cmp);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && strcmp(gv[a].s, gv[b].s) == 0) b++;
        if (b - a > 1)
            for (size_t k = a; k < b; k++) {
                const gs__grid *g = &m->grids[gv[k].i];
                ADD(GS__K_DUPLICATE_CODE, (long)gv[k].i, g->code,
                    clone(h, g->geom), "%zu grids share the code %s", b - a,
                    g->code[0] ? g->code : "(empty)");
            }
        a = b;
    }
    for (size_t i = 0; i < n; i++) {
        const gs__grid *g = &m->grids[i];
        size_t cl = strlen(g->community_code);
        if (!all_digits(g->code, 15))
            ADD(GS__K_BAD_CODE, (long)i, g->code, clone(h, g->geom),
                "grid_code '%s' is not 15 digits", g->code);
        else if (cl == 0 || strncmp(g->code, g->community_code, cl) != 0)
            ADD(GS__K_BAD_CODE, (long)i, g->code, clone(h, g->geom),
                "grid_code %s does not start with its community_code %s",
                g->code, cl ? g->community_code : "(empty)");
    }
    if (!m->have_members) {
        for (size_t i = 0; i < n; i++) r->grids[i].members = -1;
        goto done;
    }
    for (size_t i = 0; i < nm; i++) {
        by_grid[i].a = m->members[i].grid_code;
        by_grid[i].b = m->members[i].member_id;
        by_grid[i].i = i;
        by_member[i].a = m->members[i].member_id;
        by_member[i].b = m->members[i].grid_code;
        by_member[i].i = i;
    }
    qsort(by_grid, nm, sizeof *by_grid, cmp_mem_ix);
    qsort(by_member, nm, sizeof *by_member, cmp_mem_ix);
    /* Distinct members per grid code, and codes on no grid. */
    for (size_t a = 0; a < nm;) {
        size_t b = a, distinct = 0, lo;
        const char *code = by_grid[a].a;
        while (b < nm && strcmp(by_grid[b].a, code) == 0) {
            if (b == a || strcmp(by_grid[b].b, by_grid[b - 1].b) != 0)
                distinct++;
            b++;
        }
        lo = gs__strix_find(gv, n, code);
        if (lo < n && strcmp(gv[lo].s, code) == 0) {
            for (size_t k = lo; k < n && strcmp(gv[k].s, code) == 0; k++)
                r->grids[gv[k].i].members = (long)distinct;
        } else {
            for (size_t k = a; k < b; k++) {
                const gs__member *mb = &m->members[by_grid[k].i];
                ADD(GS__K_MEMBER_UNKNOWN_GRID, -1, mb->grid_code, NULL,
                    "member %s (%s) is listed for grid %s, which does not "
                    "exist (roster line %ld)",
                    mb->member_id, mb->name, code[0] ? code : "(empty)",
                    mb->origin.line > 0 ? mb->origin.line : mb->origin.fid);
            }
        }
        a = b;
    }
    for (size_t i = 0; i < n; i++) {
        const gs__grid *g = &m->grids[i];
        long k = r->grids[i].members;
        if (k == 0)
            ADD(GS__K_NO_MEMBER, (long)i, g->code, clone(h, g->geom),
                "no grid member is listed for %s", g->code);
        else if (k > 1)
            ADD(GS__K_MULTIPLE_MEMBERS, (long)i, g->code, clone(h, g->geom),
                "%ld grid members are listed for %s (one grid, one member)", k,
                g->code);
    }
    /* Members listed on more than one grid code. */
    for (size_t a = 0; a < nm;) {
        size_t b = a, distinct = 0;
        const char *id = by_member[a].a;
        char others[512];
        while (b < nm && strcmp(by_member[b].a, id) == 0) {
            if (b == a || strcmp(by_member[b].b, by_member[b - 1].b) != 0)
                distinct++;
            b++;
        }
        if (distinct > 1) {
            size_t off = 0;
            others[0] = '\0';
            for (size_t k = a; k < b; k++) {
                int w;
                if (k > a && strcmp(by_member[k].b, by_member[k - 1].b) == 0)
                    continue;
                w = snprintf(others + off, sizeof others - off, "%s%s",
                             off ? ", " : "", by_member[k].b);
                if (w < 0 || (size_t)w >= sizeof others - off) break;
                off += (size_t)w;
            }
            for (size_t k = a; k < b; k++) {
                size_t lo;
                if (k > a && strcmp(by_member[k].b, by_member[k - 1].b) == 0)
                    continue;
                lo = gs__strix_find(gv, n, by_member[k].b);
                for (size_t q = lo; q < n && !strcmp(gv[q].s, by_member[k].b);
                     q++) {
                    const gs__grid *g = &m->grids[gv[q].i];
                    ADD(GS__K_MEMBER_MULTIPLE_GRIDS, (long)gv[q].i, g->code,
                        clone(h, g->geom),
                        "member %s is listed on %zu grids: %s", id, distinct,
                        others);
                }
            }
        }
        a = b;
    }
done:
    free(gv);
    free(by_grid);
    free(by_member);
    return rc;
}

/* Phase 7: summary rows. */
/* 1 when the issue belongs to the context's shard: an issue on a grid
 * when the grid's community_code has a shard prefix; an unknown roster
 * grid when its code has; a place (an orphan household, a skipped
 * feature) when a shard community covers it. The rest of what was read is
 * the halo, there only so the shard's own results are those of a run over
 * everything. */
static int issue_owned(gs_ctx *ctx, const gs__model *m, const gs__issue *is) {
    if (is->grid >= 0)
        return gs__shard_owns(ctx, m->grids[is->grid].community_code);
    if (is->kind == GS__K_MEMBER_UNKNOWN_GRID)
        return gs__shard_owns(ctx, is->grid_code);
    if (!is->geom) return 0;
    for (size_t c = 0; c < m->n_communities; c++)
        if (GEOSIntersects_r(ctx->geos, m->communities[c].geom, is->geom) == 1)
            return gs__shard_owns(ctx, m->communities[c].code);
    return 0;
}

/* Drops the issues the shard does not own (see issue_owned). */
static void keep_shard(gs_ctx *ctx, const gs__model *m, gs__vresult *r) {
    size_t k = 0;
    r->orphans = 0;
    for (size_t i = 0; i < r->n_issues; i++) {
        gs__issue *is = &r->issues[i];
        if (!issue_owned(ctx, m, is)) {
            free(is->detail);
            if (is->geom) GEOSGeom_destroy_r(ctx->geos, is->geom);
            continue;
        }
        if (is->kind == GS__K_ORPHAN_HOUSEHOLD) r->orphans++;
        r->issues[k++] = *is;
    }
    r->n_issues = k;
}

static int summarise(gs_ctx *ctx, const gs__model *m, gs__vresult *r) {
    size_t nc = m->n_communities;
    gs__strix *cv = gs__malloc(sizeof *cv * (nc + m->n_grids + 1));
    size_t ncodes = 0;
    int rc = GS_OK;
    if (!cv) NOMEM();
    /* Rows: every community, plus any community_code only grids name. */
    for (size_t i = 0; i < nc; i++) {
        if (!gs__shard_owns(ctx, m->communities[i].code)) continue;
        cv[ncodes].s = m->communities[i].code;
        cv[ncodes++].i = i;
    }
    for (size_t i = 0; i < m->n_grids; i++) {
        if (!gs__shard_owns(ctx, m->grids[i].community_code)) continue;
        cv[ncodes].s = m->grids[i].community_code;
        cv[ncodes++].i = (size_t)-1;
    }
    qsort(cv, ncodes, sizeof *cv, gs__strix_cmp);
    r->sums = gs__calloc(ncodes + 1, sizeof *r->sums);
    if (!r->sums) NOMEM();
    for (size_t a = 0; a < ncodes;) {
        size_t b = a;
        gs__vsum *s = &r->sums[r->n_sums++];
        s->community_code = cv[a].s;
        s->name = "";
        while (b < ncodes && strcmp(cv[b].s, cv[a].s) == 0) {
            if (cv[b].i != (size_t)-1 && !s->name[0])
                s->name = m->communities[cv[b].i].name;
            b++;
        }
        if (cv[a].i == (size_t)-1) s->name = "(not in the communities layer)";
        a = b;
    }
    {
        gs__vsum *t = &r->sums[r->n_sums];
        t->community_code = "total";
        t->name = "全部 all";
    }
    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__vgrid *v = &r->grids[i];
        gs__vsum *t = &r->sums[r->n_sums], *s = NULL;
        size_t lo = 0, hi = r->n_sums;
        if (!gs__shard_owns(ctx, m->grids[i].community_code)) continue;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(r->sums[mid].community_code,
                       m->grids[i].community_code) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        s = &r->sums[lo];
        s->grids++;
        t->grids++;
        s->households += v->households;
        t->households += v->households;
        s->persons += v->persons;
        t->persons += v->persons;
        if (v->kinds) {
            s->violations++;
            t->violations++;
        }
        for (int k = 0; k < GS__K_COUNT; k++)
            if (v->kinds & (1u << k)) {
                s->n[k]++;
                t->n[k]++;
            }
    }
    /* Issues on no grid are counted once each, in the total only, except
     * orphans, which also count in the community that holds them. */
    for (size_t i = 0; i < r->n_issues; i++) {
        const gs__issue *is = &r->issues[i];
        if (is->grid >= 0) continue;
        r->sums[r->n_sums].n[is->kind]++;
    }
    r->n_sums++;
done:
    free(cv);
    return rc;
}

/* Frees the tasks and their issues not yet joined. */
static void free_tasks(GEOSContextHandle_t h, vshared *sh) {
    for (size_t k = 0; sh->tasks && k < sh->n_tasks; k++) {
        gs__vresult *tr = &sh->tasks[k].r;
        for (size_t i = 0; i < tr->n_issues; i++) {
            free(tr->issues[i].detail);
            if (tr->issues[i].geom) GEOSGeom_destroy_r(h, tr->issues[i].geom);
        }
        free(tr->issues);
    }
    free(sh->tasks);
    sh->tasks = NULL;
}

struct gs__vchecks {
    vshared sh;
    gs__vgrid *grids; /* their figures, taken by gs__validate_analyse_pre */
    gs_rules rules;   /* a copy: the tasks' issues are joined later */
    vjob jobs[GS__POOL_MAX + 1]; /* one a worker; [0, n_jobs) under sh.lock */
    int n_jobs;
};

void gs__vchecks_free(GEOSContextHandle_t h, gs__vchecks *c) {
    if (!c) return;
    for (int k = 0; k < c->n_jobs; k++) vworker_free(&c->jobs[k].w, c->sh.m);
    free_tasks(h, &c->sh);
    pthread_mutex_destroy(&c->sh.lock);
    free(c->grids);
    free(c);
}

int gs__validate_checks_begin(const gs__model *m, const gs_rules *rules,
                              gs__vchecks **out) {
    size_t n = m->n_grids, nc = m->n_communities;
    gs__vchecks *c = gs__calloc(1, sizeof *c);
    *out = NULL;
    if (!c) return GS_ERR_NOMEM;
    pthread_mutex_init(&c->sh.lock, NULL);
    if (rules)
        c->rules = *rules;
    else
        gs_rules_init(&c->rules);
    c->grids = gs__calloc(n ? n : 1, sizeof *c->grids);
    /* About 64 grids (16 communities) a task: enough tasks to balance two
     * or more workers, few enough that joining costs nothing. */
    c->sh.tasks =
        gs__calloc(3 * (n / 64 + 1) + nc / 16 + 1, sizeof *c->sh.tasks);
    c->sh.m = m;
    *out = c;
    if (!c->grids || !c->sh.tasks) return GS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) c->grids[i].host = -1;
    c->sh.rules = &c->rules;
    c->sh.grids = c->grids;
    add_tasks(&c->sh, T_GEOMETRY, n, 64);
    add_tasks(&c->sh, T_OVERLAPS, n, 64);
    add_tasks(&c->sh, T_HOSTS, n, 64);
    add_tasks(&c->sh, T_GAPS, nc, 16);
    return GS_OK;
}

void gs__validate_checks_work(gs__vchecks *c) {
    vjob *j = NULL;
    pthread_mutex_lock(&c->sh.lock);
    /* A worker who comes when every task is taken has nothing to do: it
     * does not make its clones and trees for nothing. */
    if (c->sh.next < c->sh.n_tasks &&
        c->n_jobs < (int)(sizeof c->jobs / sizeof c->jobs[0])) {
        j = &c->jobs[c->n_jobs++];
        j->sh = &c->sh;
    }
    pthread_mutex_unlock(&c->sh.lock);
    if (j) vjob_run(j);
}

int gs__validate_checks_end(gs__vchecks *c) {
    int rc = GS_OK;
    for (int k = 0; k < c->n_jobs; k++) {
        if (c->jobs[k].rc) rc = c->jobs[k].rc;
        vworker_free(&c->jobs[k].w, c->sh.m);
    }
    c->n_jobs = 0;
    for (size_t k = 0; !rc && k < c->sh.n_tasks; k++) rc = c->sh.tasks[k].rc;
    /* A task nobody ran (no worker could start) is no result. */
    if (!rc && c->sh.next < c->sh.n_tasks) rc = GS_ERR_NOMEM;
    return rc;
}

static void *checks_worker(void *arg) {
    gs__validate_checks_work(*(gs__vchecks **)arg);
    return NULL;
}

int gs__validate_checks(const gs__model *m, const gs_rules *rules, int threads,
                        gs__vchecks **out) {
    gs__vchecks *jobs[GS__POOL_MAX];
    int rc = gs__validate_checks_begin(m, rules, out), nw;
    if (rc) return rc;
    nw = gs__pool_workers(threads, m->n_grids + m->n_communities, 64);
    for (int k = 0; k < nw; k++) jobs[k] = *out;
    gs__parallel(checks_worker, jobs, sizeof jobs[0], nw);
    return gs__validate_checks_end(*out);
}

int gs__validate_analyse(gs_ctx *ctx, const gs__model *m, const gs_rules *rules,
                         int threads, gs__vresult *r) {
    return gs__validate_analyse_pre(ctx, m, rules, threads, NULL, r);
}

int gs__validate_analyse_pre(gs_ctx *ctx, const gs__model *m,
                             const gs_rules *rules, int threads,
                             gs__vchecks *pre, gs__vresult *r) {
    GEOSContextHandle_t h = ctx->geos;
    size_t n = m->n_grids;
    gs_rules defaults;
    vshared *shp;
    int rc = GS_OK;

    memset(r, 0, sizeof *r);
    if (!rules) {
        gs_rules_init(&defaults);
        rules = &defaults;
    }
    r->household_grid = gs__malloc(sizeof *r->household_grid *
                                   (m->n_households ? m->n_households : 1));
    if (!r->household_grid) NOMEM();
    gs__phase_end(ctx, "index");
    gs__phase_begin(ctx);
    if (!pre) {
        gs__progress(ctx, "check geometry, overlaps, communities and gaps", -1);
        rc = gs__validate_checks(m, rules, threads, &pre);
        if (rc) NOMEM();
        gs__phase_step(ctx, "geometry, overlaps, communities, gaps");
    }
    shp = &pre->sh;
    r->grids = pre->grids;
    pre->grids = NULL;
    if (join_tasks(shp, T_GEOMETRY, r)) NOMEM();
    /* A community is no grid: its issue is on no grid and names it. */
    for (size_t c = 0; c < m->n_communities; c++)
        if (m->communities[c].far)
            ADD(GS__K_FAR_COORDINATE, -1, "", clone(h, m->communities[c].geom),
                "community %s: %s; computed without them",
                m->communities[c].code, m->communities[c].far_reason);

    gs__progress(ctx, "assign households", -1);
    rc = gs__assign_households(ctx, m, threads, r->household_grid);
    if (rc) goto done;
    for (size_t k = 0; k < m->n_households; k++) {
        const gs__household *hh = &m->households[k];
        long gi = r->household_grid[k];
        if (gi < 0) {
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, hh->x, hh->y);
            r->orphans++;
            ADD(GS__K_ORPHAN_HOUSEHOLD, -1, "", pt,
                "household %s (building %s) lies in no grid",
                hh->id[0] ? hh->id : "(no id)",
                hh->building_id[0] ? hh->building_id : "-");
            continue;
        }
        r->grids[gi].households++;
        if (hh->persons_ok) {
            r->grids[gi].persons += hh->persons;
            continue;
        }
        /* Every one is named, so that the data steward finds them all;
         * the grid's bad_persons issue counts them. */
        r->grids[gi].bad_persons++;
        ADD(GS__K_BAD_PERSONS, gi, m->grids[gi].code,
            GEOSGeom_createPointFromXY_r(h, hh->x, hh->y),
            "household %s (building %s): persons missing, negative or not "
            "an integer; counted as a household, not as persons",
            hh->id[0] ? hh->id : "(no id)",
            hh->building_id[0] ? hh->building_id : "-");
    }

    /* Phase 3: sizing and bad_persons. */
    for (size_t i = 0; i < n; i++) {
        const gs__grid *g = &m->grids[i];
        gs__vgrid *v = &r->grids[i];
        int exempt =
            rules->exempt_dedicated && strcmp(g->grid_type, "dedicated") == 0;
        if (v->bad_persons > 0) {
            ADD(GS__K_BAD_PERSONS, (long)i, g->code, clone(h, g->geom),
                "%ld household(s) with a missing, negative or non-integer "
                "persons value: counted as households, not as persons "
                "(each is a bad_persons point in issue_points)",
                v->bad_persons);
        }
        if (exempt) continue;
        if (v->households < rules->min_households)
            ADD(GS__K_UNDERSIZE, (long)i, g->code, clone(h, g->geom),
                "%ld households, below %d", v->households,
                rules->min_households);
        if (v->households > rules->max_households)
            ADD(GS__K_OVERSIZE, (long)i, g->code, clone(h, g->geom),
                "%ld households, above %d", v->households,
                rules->max_households);
        if (v->persons > rules->max_persons)
            ADD(GS__K_PERSONS_OVER, (long)i, g->code, clone(h, g->geom),
                "%ld persons, above %d", v->persons, rules->max_persons);
    }
    gs__phase_step(ctx, "households and sizing");

    if (join_tasks(shp, T_OVERLAPS, r) || join_tasks(shp, T_HOSTS, r) ||
        join_tasks(shp, T_GAPS, r))
        NOMEM();
    rc = check_codes(ctx, m, r);
    if (rc) goto done;
    for (size_t i = 0; i < m->n_skipped; i++) {
        const gs__skipped *s = &m->skipped[i];
        GEOSGeometry *pt = NULL;
        if (isfinite(s->x) && isfinite(s->y))
            pt = GEOSGeom_createPointFromXY_r(h, s->x, s->y);
        ADD(GS__K_SKIPPED_FEATURE, -1, "", pt, "%s, %s %ld: %s", s->role,
            s->origin.line > 0 ? "line" : "feature",
            s->origin.line > 0 ? s->origin.line : s->origin.fid, s->reason);
    }
    if (gs__shard_active(ctx)) keep_shard(ctx, m, r);
    for (size_t i = 0; i < n; i++)
        if (r->grids[i].kinds &&
            gs__shard_owns(ctx, m->grids[i].community_code))
            r->violations++;
    rc = summarise(ctx, m, r);
    gs__phase_step(ctx, "codes, roster and summary");
done:
    gs__vchecks_free(h, pre);
    if (rc) gs__vresult_free(h, r);
    return rc;
}
