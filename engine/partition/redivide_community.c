/*
 * redivide_community.c - one community of a re-division, from its old
 * grids to its new ones.
 *
 * The community's grids are taken in model order; a grid is kept as
 * stored (geometry bytes, code and type) when it is within the bounds,
 * `dedicated`, or locked. The others are fixed (grid_fixes.c), oversize
 * grids first (a split frees households nobody else has to take), then
 * undersize ones. A slot whose old code a change gave away (the absorbed
 * grid of a merge, a redesigned cluster) loses it; new grids continue the
 * community's sequence after its highest code, numbered in reading order.
 * Each old grid's fate is one row of `changes`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "redivision.h"

/* 1 when `code` is one the caller locked. */
static int is_locked(const gs__partition_opts *o, const char *code) {
    for (size_t i = 0; o && i < o->n_lock; i++)
        if (!strcmp(o->lock[i], code)) return 1;
    return 0;
}

/* The sequence number of `code` in community `comm` (its last three
 * digits), 0 when it is not of that form. */
static long code_seq(const char *code, const char *comm) {
    size_t n = strlen(comm);
    if (strncmp(code, comm, n) != 0 || strlen(code) != n + 3) return 0;
    for (size_t i = n; i < n + 3; i++)
        if (code[i] < '0' || code[i] > '9') return 0;
    return strtol(code + n, NULL, 10);
}

/* Pushes the alive grids of the state to the result: kept codes first,
 * then the new grids, numbered in reading order from `next`. */
static int emit_grids(wstate *s, const gs__community *c, long next,
                      char (*defect)[120], gs__partition_result *out,
                      size_t *cap) {
    GEOSContextHandle_t h = s->h;
    size_t first_new = out->n_grids;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) first_new = out->n_grids;
        for (size_t k = 0; k < s->n; k++) {
            wgrid *w = &s->g[k];
            gs__partition_grid g;
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
            {
                const char *defects = defect[k];
                size_t len;
                if (!gs__wstate_within(s, w->hh, w->persons) &&
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
                len = strlen(g.note);
                if (defects[0])
                    snprintf(g.note + len, sizeof g.note - len, "%sstill %s",
                             len ? "; " : "", defects);
            }
            if (gs__partition_result_push(out, cap, &g)) return -1;
            w->geom = NULL; /* the result owns it */
            w->out = out->n_grids - 1;
        }
    }
    if (out->n_grids > first_new &&
        gs__partition_grids_number(h, out, first_new, c->code,
                                   gs__geom_area(h, c->geom), next))
        return -1;
    return 0;
}

/* The fate of each old grid (slots 0..n_old-1 of the state). */
static int emit_changes(wstate *s, size_t n_old, const char **fate,
                        char (*topo)[64], const long *before,
                        gs__partition_result *out, size_t *cap,
                        gs__partition_sum *sum) {
    for (size_t k = 0; k < n_old; k++) {
        const wgrid *w = &s->g[k];
        gs__partition_change ch;
        size_t len = 0;
        memset(&ch, 0, sizeof ch);
        ch.grid = (size_t)before[2 * k + 1];
        ch.old_code = s->m->grids[ch.grid].code;
        ch.community_code = s->m->grids[ch.grid].community_code;
        snprintf(ch.repairs, sizeof ch.repairs, "%s", topo[k]);
        snprintf(ch.change, sizeof ch.change, "%s",
                 fate[k]      ? fate[k]
                 : topo[k][0] ? "repaired"
                              : "unchanged");
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
        if (gs__partition_result_push_change(out, cap, &ch)) return -1;
    }
    return 0;
}

/* The community's old grids in model order as the state's first slots;
 * *next: the sequence number after their highest code. -1 when out of
 * memory. */
static int load_old_grids(wstate *s, const gs__community *c,
                          const gs__partition_opts *o, long *next) {
    const gs__model *m = s->m;
    for (size_t i = 0; i < m->n_grids; i++) {
        const gs__grid *g = &m->grids[i];
        GEOSGeometry *geom;
        int fixed;
        if (!g->community_code || strcmp(g->community_code, c->code) ||
            !g->geom)
            continue;
        geom = GEOSGeom_clone_r(s->h, g->geom);
        fixed = (g->grid_type && !strcmp(g->grid_type, "dedicated")) ||
                is_locked(o, g->code);
        if (!geom || gs__wstate_add(s, geom, (long)i, fixed)) return -1;
        snprintf(s->g[s->n - 1].code, sizeof s->g[0].code, "%s", g->code);
        if (code_seq(g->code, c->code) >= *next)
            *next = code_seq(g->code, c->code) + 1;
    }
    return 0;
}

/* Each group in the old slot of its old grid (-1 when none), the
 * community's totals and whether a whole number of grids fits them. */
static void place_groups(wstate *s, const gs__redivide_in *in, size_t n_old,
                         gs__partition_sum *sum) {
    for (size_t i = 0; i < in->n_groups; i++) {
        s->gold[i] = in->gold[i];
        s->gw[i] = -1;
        for (size_t k = 0; k < n_old; k++)
            if (s->g[k].old == in->gold[i]) {
                s->gw[i] = (long)k;
                break;
            }
        sum->households += in->groups[i].hh;
        sum->persons += in->groups[i].persons;
    }
    gs__wstate_tally(s);
    {
        long ks[1];
        sum->feasible =
            sum->households >= s->rules->min_households &&
            gs__partition_pick_ks(sum->households, &s->b, ks, 1) > 0;
    }
}

/* Fixes the old grids outside the bounds, oversize ones first; each old
 * slot a fix touched gets its fate. -1 on failure (GEOS or memory). */
static int fix_grids(wstate *s, size_t n_old, const char **fate,
                     gs__partition_sum *sum) {
    for (int pass = 0; pass < 2; pass++)
        for (size_t v = 0; v < n_old; v++) {
            const char *how = NULL;
            int r;
            if (!s->g[v].alive || s->g[v].fixed || s->g[v].touched ||
                gs__wstate_within(s, s->g[v].hh, s->g[v].persons) ||
                (pass == 0) !=
                    (s->g[v].hh > s->b.hi || s->g[v].persons > s->b.pmax))
                continue;
            r = gs__wstate_fix(s, v, &how);
            if (r < 0) return -1;
            if (r == 0) {
                gs__partition_note(sum, "; ",
                                   "grid %s could not be brought within the "
                                   "bounds",
                                   s->g[v].code);
                continue;
            }
            for (size_t k = 0; k < n_old; k++)
                if (s->g[k].touched && !fate[k]) fate[k] = how;
        }
    return 0;
}

/* Slots whose old code a change gave away (the absorbed grid of a merge,
 * a redesigned cluster) lose it; new grids get new codes. */
static void release_codes(wstate *s, size_t n_old, const char **fate) {
    for (size_t k = 0; k < s->n; k++)
        if (s->g[k].touched && k < n_old && fate[k] &&
            (!strcmp(fate[k], "redesigned") || !s->g[k].alive))
            s->g[k].code[0] = '\0';
        else if (k >= n_old || s->g[k].recode)
            s->g[k].code[0] = '\0';
}

int gs__redivide_community(gs_ctx *ctx, const gs__model *m,
                           const gs_rules *rules, const gs__partition_opts *o,
                           size_t ci, const gs__redivide_in *in,
                           gs__partition_result *out, size_t *cap,
                           size_t *cap_ch) {
    GEOSContextHandle_t h = ctx->geos;
    const gs__community *c = &m->communities[ci];
    gs__partition_sum *sum = &out->sums[ci];
    wstate s;
    const char **fate = NULL;
    char(*topo)[64] = NULL;
    char(*defect)[120] = NULL;
    long next = 1, *before = NULL, unfixable = 0;
    size_t n_old, ncg = in->n_groups;
    int rc = GS_OK;

    memset(&s, 0, sizeof s);
    s.h = h;
    s.m = m;
    s.rules = rules;
    s.b.lo = rules->min_households;
    s.b.hi = rules->max_households;
    s.b.pmax = rules->max_persons;
    s.b.target = rules->target_households;
    s.groups = in->groups;
    s.n_groups = ncg;
    s.lines = in->lines;
    s.line_cls = in->line_cls;
    s.n_lines = in->n_lines;
    s.seed = gs__partition_seed(o ? o->seed : 0, c->code);
    s.gw = gs__malloc((ncg ? ncg : 1) * sizeof *s.gw);
    s.gold = gs__malloc((ncg ? ncg : 1) * sizeof *s.gold);
    if (!s.gw || !s.gold || load_old_grids(&s, c, o, &next)) goto nomem;
    n_old = s.n;
    before = gs__malloc((2 * n_old + 1) * sizeof *before);
    fate = gs__calloc(n_old + 1, sizeof *fate);
    topo = gs__calloc(n_old + 1, sizeof *topo);
    if (!before || !fate || !topo) goto nomem;
    for (size_t k = 0; k < n_old; k++) before[2 * k + 1] = s.g[k].old;
    place_groups(&s, in, n_old, sum);
    for (size_t k = 0; k < n_old; k++) before[2 * k] = s.g[k].hh;
    if (c->geom &&
        gs__wstate_repair(&s, c->geom, c->code, n_old, topo, &unfixable))
        goto geos;
    if (unfixable) {
        gs__partition_note(sum, "; ",
                           "%ld overlap(s), gap(s) or part(s) no redrawing of "
                           "basic grids can mend (between dedicated or locked "
                           "grids, or bordered by none)",
                           unfixable);
    }
    if (fix_grids(&s, n_old, fate, sum)) goto geos;
    release_codes(&s, n_old, fate);
    defect = gs__calloc(s.n + 1, sizeof *defect);
    if (!defect) goto nomem;
    for (size_t k = 0; k < s.n; k++)
        if (s.g[k].alive)
            gs__wstate_defects(&s, c->geom, k, defect[k], sizeof defect[k]);
    if (emit_grids(&s, c, next, defect, out, cap)) goto nomem;
    if (emit_changes(&s, n_old, fate, topo, before, out, cap_ch, sum))
        goto nomem;
    {
        long orphans = 0;
        for (size_t i = 0; i < s.n_groups; i++)
            if (s.gw[i] < 0) orphans += s.groups[i].hh;
        if (orphans) {
            gs__partition_note(sum, "; ",
                               "%ld households lie in no grid (in a gap no "
                               "grid borders)",
                               orphans);
        }
    }
    for (size_t k = 0; k < s.n; k++)
        if (s.g[k].alive) {
            sum->grids++;
            if (gs__partition_grid_ok(&out->grids[s.g[k].out]))
                sum->compliant++;
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
    free(topo);
    free(defect);
    free(before);
    return rc;
}
