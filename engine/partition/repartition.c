/*
 * repartition.c - re-dividing existing grids with minimal change.
 *
 * Every community is handled on its own, grids in code order. A grid is
 * kept as stored (geometry bytes, code and type) when it is within the
 * bounds, `dedicated`, or locked (--lock). A basic grid that misses the
 * bounds is fixed by the smallest change that works, escalating only when
 * the previous one fails:
 *
 *   split       an oversize grid into the nearest-target number of grids
 *               (divide.c on the grid alone); the piece with most
 *               households keeps the code;
 *   merge       an undersize grid into the neighbour sharing most boundary
 *               that can take it; the neighbour keeps its code;
 *   shift       the boundary with a neighbour: building cells pass across
 *               it, the smallest first, until both are within the bounds
 *               (gs__prebalance);
 *   redesign    the grid and its unlocked neighbours divided afresh.
 *
 * Households are placed by building (the group's mean point) in the grid
 * covering it, the lowest code first, as validate assigns households. New
 * grids continue the community's sequence after its highest code.
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "partition.h"

/* A grid of the community as the re-division goes. */
typedef struct wgrid {
    GEOSGeometry *geom; /* metric, owned */
    long hh, persons;
    long old;      /* the model grid it still is, unchanged; or -1 */
    char code[40]; /* "" until numbered */
    int fixed;     /* dedicated or locked: never touched */
    int alive;
    int touched; /* its geometry or households changed */
    size_t out;  /* its index in the result */
    double cut_len, cut_barrier;
} wgrid;

/* One community's working state. */
typedef struct wstate {
    GEOSContextHandle_t h;
    const gs__model *m;
    const gs_rules *rules;
    gs__pbounds b;
    wgrid *g;
    size_t n, cap;
    gs__pgroup *groups; /* the community's groups */
    long *gw;           /* per group: its wgrid */
    long *gold;         /* per group: its old model grid, or -1 */
    size_t n_groups;
    GEOSGeometry **lines; /* barriers near the community, borrowed */
    size_t n_lines;
    uint64_t seed;
} wstate;

static int is_locked(const gs__popts *o, const char *code) {
    for (size_t i = 0; o && i < o->n_lock; i++)
        if (!strcmp(o->lock[i], code)) return 1;
    return 0;
}

static int add_wgrid(wstate *s, GEOSGeometry *geom, long old, int fixed) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        wgrid *ng = gs__realloc(s->g, nc * sizeof *ng);
        if (!ng) {
            GEOSGeom_destroy_r(s->h, geom);
            return -1;
        }
        s->g = ng;
        s->cap = nc;
    }
    memset(&s->g[s->n], 0, sizeof s->g[0]);
    s->g[s->n].geom = geom;
    s->g[s->n].old = old;
    s->g[s->n].fixed = fixed;
    s->g[s->n].alive = 1;
    s->n++;
    return 0;
}

static int within(const wstate *s, long hh, long persons) {
    return hh >= s->b.lo && hh <= s->b.hi && persons <= s->b.pmax;
}

static void tally(wstate *s) {
    for (size_t i = 0; i < s->n; i++) s->g[i].hh = s->g[i].persons = 0;
    for (size_t i = 0; i < s->n_groups; i++)
        if (s->gw[i] >= 0) {
            s->g[s->gw[i]].hh += s->groups[i].hh;
            s->g[s->gw[i]].persons += s->groups[i].persons;
        }
}

/* Length of boundary grids a and b share (0 when apart). */
static double shared(const wstate *s, size_t a, size_t b) {
    GEOSGeometry *x;
    double len = 0;
    if (GEOSIntersects_r(s->h, s->g[a].geom, s->g[b].geom) != 1) return 0;
    x = GEOSIntersection_r(s->h, s->g[a].geom, s->g[b].geom);
    if (x) {
        GEOSLength_r(s->h, x, &len);
        GEOSGeom_destroy_r(s->h, x);
    }
    return len;
}

/* The groups of the grids in `set` (k of them) as copies, and their
 * indices in s->groups. */
static gs__pgroup *groups_of(const wstate *s, const long *set, long k,
                             long **idx, size_t *n) {
    gs__pgroup *g = gs__malloc((s->n_groups ? s->n_groups : 1) * sizeof *g);
    *idx = gs__malloc((s->n_groups ? s->n_groups : 1) * sizeof **idx);
    *n = 0;
    if (!g || !*idx) {
        free(g);
        free(*idx);
        *idx = NULL;
        return NULL;
    }
    for (size_t i = 0; i < s->n_groups; i++)
        for (long q = 0; q < k; q++)
            if (s->gw[i] == set[q]) {
                (*idx)[*n] = (long)i;
                g[(*n)++] = s->groups[i];
                break;
            }
    return g;
}

/* The grids in `set` (k) as one geometry. */
static GEOSGeometry *union_of(const wstate *s, const long *set, long k) {
    GEOSGeometry **parts = gs__malloc((size_t)k * sizeof *parts), *coll, *u;
    if (!parts) return NULL;
    for (long q = 0; q < k; q++) {
        parts[q] = GEOSGeom_clone_r(s->h, s->g[set[q]].geom);
        if (!parts[q]) {
            while (q-- > 0) GEOSGeom_destroy_r(s->h, parts[q]);
            free(parts);
            return NULL;
        }
    }
    coll = GEOSGeom_createCollection_r(s->h, GEOS_GEOMETRYCOLLECTION, parts,
                                       (unsigned)k);
    free(parts);
    if (!coll) return NULL;
    u = GEOSUnaryUnion_r(s->h, coll);
    GEOSGeom_destroy_r(s->h, coll);
    return u ? gs__geom_polygonal(s->h, u) : NULL;
}

/* Runs a division of the grids in `set` and applies it when it has no
 * misses: 1 applied, 0 not, -1 failure. `mode` 0 divide into ks, 1 shift
 * between the set's grids. keep_code: the largest part keeps set[0]'s
 * slot (split); shift keeps every slot. */
static int try_division(wstate *s, const long *set, long k, int mode,
                        const long *ks, int n_ks, int keep_code) {
    GEOSGeometry *region = union_of(s, set, k);
    GEOSGeometry **lines = NULL;
    const GEOSGeometry **owners = NULL;
    gs__pgroup *g = NULL;
    long *idx = NULL;
    size_t n = 0, nl = 0;
    gs__pdiv d;
    int rc = -1;

    memset(&d, 0, sizeof d);
    if (!region) return -1;
    g = groups_of(s, set, k, &idx, &n);
    lines = gs__malloc((s->n_lines + (size_t)k) * sizeof *lines);
    owners = gs__malloc((size_t)k * sizeof *owners);
    if (!g || !lines || !owners) goto done;
    for (size_t i = 0; i < s->n_lines; i++) lines[nl++] = s->lines[i];
    if (mode == 1) {
        for (long q = 0; q < k; q++) {
            owners[q] = s->g[set[q]].geom;
            lines[nl] = GEOSBoundary_r(s->h, s->g[set[q]].geom);
            if (!lines[nl]) goto done;
            nl++;
        }
        if (gs__prebalance(s->h, region, (const GEOSGeometry *const *)lines, nl,
                           owners, k, g, n, &s->b, &d))
            goto done;
    } else if (gs__pdivide(s->h, region, (const GEOSGeometry *const *)lines, nl,
                           g, n, ks, n_ks, &s->b, s->seed + (uint64_t)set[0],
                           &d)) {
        goto done;
    }
    rc = 0;
    if (d.misses == 0 && d.k > 0) {
        long keep = -1, *slot = gs__malloc((size_t)d.k * sizeof *slot);
        if (!slot) {
            rc = -1;
            goto done;
        }
        if (mode == 0 && keep_code) {
            keep = 0;
            for (long p = 1; p < d.k; p++)
                if (d.hh[p] > d.hh[keep]) keep = p;
        }
        for (long q = 0; q < k; q++) {
            s->g[set[q]].alive = 0;
            s->g[set[q]].touched = 1;
        }
        for (long p = 0; p < d.k; p++) {
            long at = mode == 1 ? set[p] : p == keep ? set[0] : -1;
            if (at < 0) {
                if (add_wgrid(s, d.geom[p], -1, 0)) {
                    d.geom[p] = NULL;
                    free(slot);
                    rc = -1;
                    goto done;
                }
                at = (long)s->n - 1;
            } else {
                GEOSGeom_destroy_r(s->h, s->g[at].geom);
                s->g[at].geom = d.geom[p];
            }
            d.geom[p] = NULL;
            s->g[at].alive = 1;
            s->g[at].touched = 1;
            s->g[at].old = -1;
            s->g[at].cut_len = d.cut_len[p];
            s->g[at].cut_barrier = d.cut_barrier[p];
            slot[p] = at;
        }
        for (size_t i = 0; i < n; i++) s->gw[idx[i]] = slot[d.group_part[i]];
        free(slot);
        tally(s);
        rc = 1;
    }
done:
    if (mode == 1 && lines)
        for (size_t i = s->n_lines; i < nl; i++)
            GEOSGeom_destroy_r(s->h, lines[i]);
    free(lines);
    free(owners);
    free(g);
    free(idx);
    gs__pdiv_free(s->h, &d);
    GEOSGeom_destroy_r(s->h, region);
    return rc;
}

typedef struct nb {
    long g;
    double len;
} nb;

static int cmp_nb(const void *a, const void *b) {
    const nb *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->g < y->g ? -1 : x->g > y->g;
}

/* The unlocked neighbours of grid v, most shared boundary first. */
static size_t neighbours(const wstate *s, size_t v, nb *out) {
    size_t n = 0;
    for (size_t j = 0; j < s->n; j++) {
        double len;
        if (j == v || !s->g[j].alive || s->g[j].fixed) continue;
        len = shared(s, v, j);
        if (len > 1.0) out[n++] = (nb){(long)j, len};
    }
    qsort(out, n, sizeof *out, cmp_nb);
    return n;
}

/* Fixes grid v: 1 fixed, 0 not, -1 failure. *how says which change. */
static int fix(wstate *s, size_t v, const char **how) {
    const gs_rules *r = s->rules;
    wgrid *w = &s->g[v];
    nb *nbs = gs__malloc((s->n ? s->n : 1) * sizeof *nbs);
    long set[64], ks[3];
    size_t nn;
    int n_ks, rc = 0;

    if (!nbs) return -1;
    /* split */
    if (w->hh > r->max_households || w->persons > r->max_persons) {
        n_ks = gs__pick_ks(w->hh, &s->b, ks, 3);
        set[0] = (long)v;
        if (n_ks > 0 && ks[0] >= 2) {
            rc = try_division(s, set, 1, 0, ks, n_ks, 1);
            if (rc) {
                *how = "split";
                goto done;
            }
        }
    }
    nn = neighbours(s, v, nbs);
    /* merge */
    if (s->g[v].hh < r->min_households)
        for (size_t q = 0; q < nn; q++) {
            wgrid *o = &s->g[nbs[q].g];
            GEOSGeometry *u;
            long both[2];
            if (!within(s, o->hh + s->g[v].hh, o->persons + s->g[v].persons))
                continue;
            both[0] = nbs[q].g;
            both[1] = (long)v;
            u = union_of(s, both, 2);
            if (!u) {
                rc = -1;
                goto done;
            }
            if (GEOSGeomTypeId_r(s->h, u) != GEOS_POLYGON) {
                GEOSGeom_destroy_r(s->h, u);
                continue;
            }
            GEOSGeom_destroy_r(s->h, o->geom);
            o->geom = u;
            o->old = -1;
            o->touched = 1;
            o->cut_len = o->cut_barrier = 0;
            s->g[v].alive = 0;
            s->g[v].touched = 1;
            for (size_t i = 0; i < s->n_groups; i++)
                if (s->gw[i] == (long)v) s->gw[i] = nbs[q].g;
            tally(s);
            *how = "merged";
            rc = 1;
            goto done;
        }
    /* shift */
    for (size_t q = 0; q < nn; q++) {
        set[0] = (long)v;
        set[1] = nbs[q].g;
        rc = try_division(s, set, 2, 1, NULL, 0, 0);
        if (rc) {
            *how = "shifted";
            goto done;
        }
    }
    /* redesign: the grid and its unlocked neighbours */
    {
        long k = 1, hh = s->g[v].hh;
        set[0] = (long)v;
        for (size_t q = 0; q < nn && k < 64; q++) {
            set[k++] = nbs[q].g;
            hh += s->g[nbs[q].g].hh;
        }
        n_ks = gs__pick_ks(hh, &s->b, ks, 3);
        if (k > 1 && n_ks > 0) {
            rc = try_division(s, set, k, 0, ks, n_ks, 0);
            if (rc) {
                *how = "redesigned";
                goto done;
            }
        }
    }
    rc = 0;
done:
    free(nbs);
    return rc;
}

/* ------------------------------------------------------------------------
 * The whole model
 * ------------------------------------------------------------------------ */

static long code_seq(const char *code, const char *comm) {
    size_t n = strlen(comm);
    if (strncmp(code, comm, n) != 0 || strlen(code) != n + 3) return 0;
    for (size_t i = n; i < n + 3; i++)
        if (code[i] < '0' || code[i] > '9') return 0;
    return strtol(code + n, NULL, 10);
}

/* Appends a change to the result. */
static int push_change(gs__partres *r, size_t *cap, const gs__pchange *c) {
    if (r->n_changes == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        gs__pchange *n = gs__realloc(r->changes, nc * sizeof *n);
        if (!n) return -1;
        r->changes = n;
        *cap = nc;
    }
    r->changes[r->n_changes++] = *c;
    return 0;
}

/* Pushes the alive grids of the state to the result: kept codes first,
 * then the new grids, numbered in reading order from `next`. */
static int emit_grids(wstate *s, const gs__community *c, long next,
                      gs__partres *out, size_t *cap) {
    GEOSContextHandle_t h = s->h;
    size_t first_new = out->n_grids;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) first_new = out->n_grids;
        for (size_t k = 0; k < s->n; k++) {
            wgrid *w = &s->g[k];
            gs__pgrid g;
            if (!w->alive || (pass == 0) != (w->code[0] != '\0')) continue;
            memset(&g, 0, sizeof g);
            g.community_code = c->code;
            g.grid_type = "basic";
            g.households = w->hh;
            g.persons = w->persons;
            g.cut_len = w->cut_len;
            g.cut_barrier = w->cut_barrier;
            g.geom = w->geom;
            g.polsby_popper = gs__geom_polsby_popper(h, w->geom);
            if (w->old >= 0) { /* as stored, bytes and all */
                const gs__grid *old = &s->m->grids[w->old];
                if (old->grid_type) g.grid_type = old->grid_type;
                g.src_wkb = old->src_wkb;
                g.src_wkb_len = old->src_wkb_len;
            }
            snprintf(g.code, sizeof g.code, "%s", w->code);
            if (!within(s, w->hh, w->persons) &&
                !(s->rules->exempt_dedicated && w->old >= 0 &&
                  s->m->grids[w->old].grid_type &&
                  !strcmp(s->m->grids[w->old].grid_type, "dedicated")))
                snprintf(g.note, sizeof g.note,
                         "%s%s: %ld households, %ld "
                         "persons",
                         w->fixed ? "kept (dedicated or locked); " : "",
                         w->hh < s->b.lo   ? "undersize"
                         : w->hh > s->b.hi ? "oversize"
                                           : "persons_over",
                         w->hh, w->persons);
            if (gs__partres_push(out, cap, &g)) return -1;
            w->geom = NULL; /* the result owns it */
            w->out = out->n_grids - 1;
        }
    }
    if (out->n_grids > first_new &&
        gs__pgrids_number(h, out, first_new, c->code, gs__geom_area(h, c->geom),
                          next))
        return -1;
    return 0;
}

/* The fate of each old grid (slots 0..n_old-1 of the state). */
static int emit_changes(wstate *s, size_t n_old, const char **fate,
                        const long *before, gs__partres *out, size_t *cap,
                        gs__psum *sum) {
    for (size_t k = 0; k < n_old; k++) {
        const wgrid *w = &s->g[k];
        gs__pchange ch;
        size_t len = 0;
        memset(&ch, 0, sizeof ch);
        ch.grid = (size_t)before[2 * k + 1];
        ch.old_code = s->m->grids[ch.grid].code;
        ch.community_code = s->m->grids[ch.grid].community_code;
        ch.change = fate[k] ? fate[k] : "unchanged";
        ch.households_before = before[2 * k];
        ch.households_after = w->alive ? w->hh : 0;
        for (size_t i = 0; i < s->n_groups; i++) {
            const char *code;
            if (s->gold[i] != (long)ch.grid || s->gw[i] < 0) continue;
            code = out->grids[s->g[s->gw[i]].out].code;
            if (strcmp(code, ch.old_code)) ch.moved += s->groups[i].hh;
            if (!strstr(ch.new_codes, code) &&
                len + strlen(code) + 2 < sizeof ch.new_codes) {
                len += (size_t)snprintf(ch.new_codes + len,
                                        sizeof ch.new_codes - len, "%s%s",
                                        len ? ";" : "", code);
            }
        }
        if (!len && w->alive)
            snprintf(ch.new_codes, sizeof ch.new_codes, "%s",
                     out->grids[w->out].code);
        if (strcmp(ch.change, "unchanged")) sum->changed++;
        sum->reassigned += ch.moved;
        if (push_change(out, cap, &ch)) return -1;
    }
    return 0;
}

static int community_redivide(gs_ctx *ctx, const gs__model *m,
                              const gs_rules *rules, const gs__popts *o,
                              size_t ci, gs__pgroup *cg, const long *cgold,
                              size_t ncg, GEOSGeometry **lines, size_t n_lines,
                              gs__partres *out, size_t *cap, size_t *cap_ch) {
    GEOSContextHandle_t h = ctx->geos;
    const gs__community *c = &m->communities[ci];
    gs__psum *sum = &out->sums[ci];
    wstate s;
    const char **fate = NULL;
    long next = 1, *before = NULL;
    size_t n_old;
    int rc = GS_OK;

    memset(&s, 0, sizeof s);
    s.h = h;
    s.m = m;
    s.rules = rules;
    s.b.lo = rules->min_households;
    s.b.hi = rules->max_households;
    s.b.pmax = rules->max_persons;
    s.b.target = rules->target_households;
    s.groups = cg;
    s.n_groups = ncg;
    s.lines = lines;
    s.n_lines = n_lines;
    s.seed = gs__pseed(o ? o->seed : 0, c->code);
    s.gw = gs__malloc((ncg ? ncg : 1) * sizeof *s.gw);
    s.gold = gs__malloc((ncg ? ncg : 1) * sizeof *s.gold);
    if (!s.gw || !s.gold) goto nomem;

    /* The community's old grids in model order; each slot k < n_old is
     * old grid before[2k+1]. */
    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__grid *g = &m->grids[i];
        GEOSGeometry *geom;
        int fixed;
        if (!g->community_code || strcmp(g->community_code, c->code) ||
            !g->geom)
            continue;
        geom = GEOSGeom_clone_r(h, g->geom);
        fixed = (g->grid_type && !strcmp(g->grid_type, "dedicated")) ||
                is_locked(o, g->code);
        if (!geom || add_wgrid(&s, geom, (long)i, fixed)) goto nomem;
        snprintf(s.g[s.n - 1].code, sizeof s.g[0].code, "%s", g->code);
        if (code_seq(g->code, c->code) >= next)
            next = code_seq(g->code, c->code) + 1;
    }
    n_old = s.n;
    before = gs__malloc((2 * n_old + 1) * sizeof *before);
    fate = gs__calloc(n_old + 1, sizeof *fate);
    if (!before || !fate) goto nomem;
    for (size_t k = 0; k < n_old; k++) before[2 * k + 1] = s.g[k].old;
    for (size_t i = 0; i < ncg; i++) {
        s.gold[i] = cgold[i];
        s.gw[i] = -1;
        for (size_t k = 0; k < n_old; k++)
            if (s.g[k].old == cgold[i]) {
                s.gw[i] = (long)k;
                break;
            }
        sum->households += cg[i].hh;
        sum->persons += cg[i].persons;
    }
    tally(&s);
    for (size_t k = 0; k < n_old; k++) before[2 * k] = s.g[k].hh;
    {
        long ks[1];
        sum->feasible = sum->households >= rules->min_households &&
                        gs__pick_ks(sum->households, &s.b, ks, 1) > 0;
    }

    /* Oversize grids first (a split frees households nobody else has to
     * take), then undersize ones. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t v = 0; v < n_old; v++) {
            const char *how = NULL;
            int r;
            if (!s.g[v].alive || s.g[v].fixed || s.g[v].touched ||
                within(&s, s.g[v].hh, s.g[v].persons) ||
                (pass == 0) !=
                    (s.g[v].hh > s.b.hi || s.g[v].persons > s.b.pmax))
                continue;
            r = fix(&s, v, &how);
            if (r < 0) goto geos;
            if (r == 0) {
                size_t len = strlen(sum->note);
                snprintf(sum->note + len, sizeof sum->note - len,
                         "%sgrid %s could not be brought within the bounds",
                         len ? "; " : "", s.g[v].code);
                continue;
            }
            for (size_t k = 0; k < n_old; k++)
                if (s.g[k].touched && !fate[k]) fate[k] = how;
        }
    /* Slots whose old code a change gave away (the absorbed grid of a
     * merge, a redesigned cluster) lose it; new grids get new codes. */
    for (size_t k = 0; k < s.n; k++)
        if (s.g[k].touched && k < n_old && fate[k] &&
            (!strcmp(fate[k], "redesigned") || !s.g[k].alive))
            s.g[k].code[0] = '\0';
        else if (k >= n_old)
            s.g[k].code[0] = '\0';

    if (emit_grids(&s, c, next, out, cap)) goto nomem;
    if (emit_changes(&s, n_old, fate, before, out, cap_ch, sum)) goto nomem;
    for (size_t k = 0; k < s.n; k++)
        if (s.g[k].alive) {
            sum->grids++;
            if (gs__pgrid_ok(&out->grids[s.g[k].out])) sum->compliant++;
        }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    goto done;
geos:
    rc = gs__err_lib(ctx, GS_ERR_INTERNAL,
                     "re-division of community %s failed in GEOS", c->code);
done:
    for (size_t k = 0; k < s.n; k++) GEOSGeom_destroy_r(h, s.g[k].geom);
    free(s.g);
    free(s.gw);
    free(s.gold);
    free(fate);
    free(before);
    return rc;
}

/* Each group's old grid: among the grids covering its point, the lowest
 * code (model order on ties), as validate assigns households; -1 none. */
static int groups_to_grids(gs_ctx *ctx, const gs__model *m, const gs__pgroup *g,
                           size_t ng, long *gold) {
    GEOSContextHandle_t h = ctx->geos;
    size_t *ids = NULL;
    GEOSSTRtree *tree =
        gs__strtree_of(h, m->grids, m->n_grids, sizeof *m->grids,
                       offsetof(gs__grid, geom), &ids);
    gs__cands cands;
    int rc = GS_OK;
    memset(&cands, 0, sizeof cands);
    if (!tree) goto nomem;
    for (size_t i = 0; i < ng; i++) {
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, g[i].x, g[i].y);
        gold[i] = -1;
        if (!p) goto nomem;
        if (gs__strtree_query(h, tree, p, &cands)) {
            GEOSGeom_destroy_r(h, p);
            goto nomem;
        }
        for (size_t k = 0; k < cands.n; k++) {
            const gs__grid *gr = &m->grids[cands.v[k]];
            if (GEOSIntersects_r(h, gr->geom, p) != 1) continue;
            if (gold[i] < 0 || strcmp(gr->code, m->grids[gold[i]].code) < 0)
                gold[i] = (long)cands.v[k];
        }
        GEOSGeom_destroy_r(h, p);
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    gs__cands_free(&cands);
    free(ids);
    return rc;
}

int gs__repartition_analyse(gs_ctx *ctx, const gs__model *m,
                            const gs_rules *rules, const gs__popts *opts,
                            gs__partres *out) {
    GEOSContextHandle_t h = ctx->geos;
    gs__pgroup *groups = NULL, *cg = NULL;
    long *gcomm = NULL, *gold = NULL, *cgold = NULL;
    GEOSGeometry **lines = NULL;
    size_t ng = 0, cap = 0, cap_ch = 0;
    GEOSSTRtree *tree = NULL;
    size_t *bids = NULL;
    gs__cands cands;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&cands, 0, sizeof cands);
    out->sums =
        gs__calloc(m->n_communities ? m->n_communities : 1, sizeof *out->sums);
    if (!out->sums) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    out->n_sums = m->n_communities;
    rc = gs__pgroups_make(ctx, m, &groups, &ng, &gcomm, &out->unplaced);
    if (rc) goto done;
    gold = gs__malloc((ng ? ng : 1) * sizeof *gold);
    cg = gs__malloc((ng ? ng : 1) * sizeof *cg);
    cgold = gs__malloc((ng ? ng : 1) * sizeof *cgold);
    lines = gs__malloc((m->n_barriers ? m->n_barriers : 1) * sizeof *lines);
    tree = gs__strtree_of(h, m->barriers, m->n_barriers, sizeof *m->barriers,
                          offsetof(gs__barrier, geom), &bids);
    if (!gold || !cg || !cgold || !lines || !tree) goto nomem;
    if ((rc = groups_to_grids(ctx, m, groups, ng, gold))) goto done;
    for (size_t c = 0; c < m->n_communities && !rc; c++) {
        const gs__community *cm = &m->communities[c];
        size_t n = 0, nl = 0;
        long orphans = 0;
        out->sums[c].community_code = cm->code;
        out->sums[c].name = cm->name;
        gs__progress(ctx, "re-division", (double)c / (double)m->n_communities);
        /* The groups of the community's grids (by the grid's code). */
        for (size_t i = 0; i < ng; i++) {
            if (gold[i] >= 0) {
                const char *gc = m->grids[gold[i]].community_code;
                if (!gc || strcmp(gc, cm->code)) continue;
            } else if (gcomm[i] != (long)c) {
                continue;
            } else {
                orphans += groups[i].hh;
                continue;
            }
            cg[n] = groups[i];
            cgold[n++] = gold[i];
        }
        if (m->n_barriers && cm->geom) {
            if (gs__strtree_query(h, tree, cm->geom, &cands)) goto nomem;
            for (size_t k = 0; k < cands.n; k++)
                lines[nl++] = m->barriers[cands.v[k]].geom;
        }
        rc = community_redivide(ctx, m, rules, opts, c, cg, cgold, n, lines, nl,
                                out, &cap, &cap_ch);
        if (!rc && orphans) {
            gs__psum *s = &out->sums[c];
            size_t len = strlen(s->note);
            snprintf(s->note + len, sizeof s->note - len,
                     "%s%ld households lie in no existing grid (gaps are "
                     "reported, not filled)",
                     len ? "; " : "", orphans);
        }
    }
    /* Grids of no known community are written as they are. */
    for (size_t i = 0; i < m->n_grids && !rc; i++) {
        const gs__grid *g = &m->grids[i];
        int known = 0;
        gs__pgrid pg;
        for (size_t c = 0; c < m->n_communities && !known; c++)
            known = g->community_code && g->geom &&
                    !strcmp(g->community_code, m->communities[c].code);
        if (known) continue;
        memset(&pg, 0, sizeof pg);
        snprintf(pg.code, sizeof pg.code, "%s", g->code ? g->code : "");
        pg.community_code = g->community_code ? g->community_code : "";
        pg.grid_type = g->grid_type ? g->grid_type : "basic";
        pg.src_wkb = g->src_wkb;
        pg.src_wkb_len = g->src_wkb_len;
        pg.geom = g->geom ? GEOSGeom_clone_r(h, g->geom) : NULL;
        snprintf(pg.note, sizeof pg.note,
                 "kept: community %s is not among the communities",
                 pg.community_code);
        if (gs__partres_push(out, &cap, &pg)) {
            GEOSGeom_destroy_r(h, pg.geom);
            goto nomem;
        }
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    if (tree) GEOSSTRtree_destroy_r(h, tree);
    gs__cands_free(&cands);
    free(bids);
    free(lines);
    free(groups);
    free(gcomm);
    free(gold);
    free(cg);
    free(cgold);
    return rc;
}
