/*
 * partition.c - dividing each community into grids of 300-500 households.
 *
 * Households are grouped by building (a building's households are never
 * split) and each group is placed in the first community holding its mean
 * point (building_groups.c). Each community is then divided on its own
 * (divide.c) along the barriers that cross it, into the whole number of
 * grids nearest the target size (400 households) among those that fit the
 * bounds. Where none fits (501-599 households with the defaults) the
 * rules' policy decides: grids by the persons criterion of the standard
 * (about 1,500 persons), or one oversize grid. A community under the
 * minimum becomes one grid.
 *
 * Communities are independent tasks on worker threads (gs__parallel),
 * each worker with its own GEOS handle and each task with its own copies
 * of the barriers near it; a community's seed comes from the user's seed
 * and its code, so the result does not depend on the number of threads or
 * their timing. Grids are numbered per community in reading order
 * (grid_results.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <geos_c.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "i18n.h"
#include "partition.h"
#include "pool.h"

/* ------------------------------------------------------------------------
 * One community
 * ------------------------------------------------------------------------ */

/* A community's task and result. */
typedef struct ctask {
    size_t ci;
    gs__building_group *groups; /* the community's groups (copies) */
    size_t n_groups;
    GEOSGeometry **lines; /* copies of the barriers near the community:
                           * GEOS caches lazily, so threads share none */
    int *cls;             /* their classes */
    size_t n_lines;
    gs__division div;
    gs__partition_sum sum;
    int rc;
} ctask;

/* `fmt` with `ap` after the text already in buf[size]. */
static void append_v(char *buf, size_t size, const char *sep, const char *fmt,
                     va_list ap) {
    size_t len = strlen(buf);
    if (sep && len) {
        snprintf(buf + len, size - len, "%s", sep);
        len = strlen(buf);
    }
    vsnprintf(buf + len, size - len, fmt, ap);
}

void gs__partition_note(gs__partition_sum *sum, const char *sep,
                        const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    append_v(sum->note, sizeof sum->note, sep, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    append_v(sum->text, sizeof sum->text, sep, gs__tr(fmt), ap);
    va_end(ap);
}

/* The bounds and part counts of a community, and the note (sum's) that
 * explains an infeasible one. */
static int plan(const gs_rules *rules, long hh, long persons,
                gs__partition_bounds *b, long *ks, int max,
                gs__partition_sum *sum, int *feasible) {
    int n;
    b->lo = rules->min_households;
    b->hi = rules->max_households;
    b->pmax = rules->max_persons;
    b->by_persons = 0;
    b->target = rules->target_households;
    *feasible = 1;
    if (hh < rules->min_households) {
        *feasible = 0;
        gs__partition_note(sum, NULL,
                           "undersize: %ld households, under %d for one grid",
                           hh, rules->min_households);
        ks[0] = 1;
        return 1;
    }
    n = gs__partition_pick_ks(hh, b, ks, max);
    if (n > 0) return n;
    *feasible = 0;
    if (rules->partition_policy == GS_POLICY_OVERSIZE) {
        ks[0] = (hh + rules->max_households - 1) / rules->max_households;
        if (ks[0] > 1) ks[0]--; /* one grid takes the excess */
        gs__partition_note(
            sum, NULL,
            /* TRANSLATORS: "policy oversize" names the rules' partition_policy
               value; grid notes look for it in the English note. */
            "no whole number of grids fits %ld households: "
            "one oversize grid allowed (policy oversize)",
            hh);
        return 1;
    }
    b->by_persons = 1;
    b->lo = rules->target_persons * 2 / 3; /* "about" 1,500: 1,000 up */
    if (b->lo < 1) b->lo = 1;
    b->hi = rules->max_persons;
    b->target = rules->target_persons;
    n = gs__partition_pick_ks(persons, b, ks, max);
    if (n == 0) ks[n++] = 1;
    gs__partition_note(sum, NULL,
                       "no whole number of grids fits %ld households: "
                       "divided by the persons criterion, about %d persons a "
                       "grid (policy persons)",
                       hh, rules->target_persons);
    return n;
}

static void do_community(GEOSContextHandle_t h, const gs__model *m,
                         const gs_rules *rules, uint64_t seed, ctask *t) {
    const gs__community *c = &m->communities[t->ci];
    gs__partition_sum *sum = &t->sum;
    gs__partition_bounds b;
    long ks[3], big_hh = 0;
    const char *first_cut = NULL;
    int n_ks, feasible;

    memset(sum, 0, sizeof *sum);
    sum->community_code = c->code;
    sum->name = c->name;
    for (size_t i = 0; i < t->n_groups; i++) {
        sum->households += t->groups[i].hh;
        sum->persons += t->groups[i].persons;
    }
    n_ks =
        plan(rules, sum->households, sum->persons, &b, ks, 3, sum, &feasible);
    /* every building over the maximum, named */
    for (size_t i = 0; i < t->n_groups; i++) {
        const gs__building_group *g = &t->groups[i];
        if (g->hh <= rules->max_households) continue;
        feasible = 0;
        if (sum->big_buildings++ == 0)
            gs__partition_note(
                sum, "; ",
                /* TRANSLATORS: followed by the buildings, each "id name
                   households", separated by commas. */
                "over %d households in one building: ", rules->max_households);
        else
            gs__partition_note(sum, NULL, ", ");
        if (g->building)
            gs__partition_note(sum, NULL, "%s", g->building);
        else
            /* TRANSLATORS: a building without an id in a note. */
            gs__partition_note(sum, NULL, "(no id)");
        if (g->name && g->name[0])
            gs__partition_note(sum, NULL, " %s", g->name);
        if (g->merged)
            gs__partition_note(sum, NULL, " (with the buildings it overlaps)");
        gs__partition_note(sum, NULL, " %ld", g->hh);
    }
    for (size_t i = 0; i < t->n_groups; i++)
        if (t->groups[i].hh > rules->max_households) big_hh += t->groups[i].hh;
    if (sum->big_buildings && !b.by_persons) {
        /* a grid for each such building, the others for the rest */
        long rest = sum->households - big_hh;
        n_ks = rest > 0 ? gs__partition_pick_ks(rest, &b, ks, 3) : 0;
        if (n_ks == 0) {
            ks[0] = lround((double)rest / b.target);
            n_ks = 1;
        }
        for (int i = 0; i < n_ks; i++) ks[i] += sum->big_buildings;
    }
    /* footprints reaching outside the community */
    if (c->geom) {
        const GEOSPreparedGeometry *pc = GEOSPrepare_r(h, c->geom);
        for (size_t i = 0; pc && i < t->n_groups; i++) {
            const gs__building_group *g = &t->groups[i];
            GEOSGeometry *out;
            if (!g->shape || g->footprint < 0 ||
                GEOSPreparedCovers_r(h, pc, g->shape) == 1)
                continue;
            out = GEOSDifference_r(h, g->shape, c->geom);
            if (out && gs__geom_area(h, out) > 1.0) {
                if (sum->cut_footprints++ == 0) first_cut = g->building;
            }
            GEOSGeom_destroy_r(h, out);
        }
        if (pc) GEOSPreparedGeom_destroy_r(h, pc);
        if (sum->cut_footprints) {
            gs__partition_note(sum, "; ",
                               "%ld building footprint(s) cross the "
                               "community boundary (first: %s); each stays "
                               "with the grid holding its households, the "
                               "part outside is another community's",
                               sum->cut_footprints, first_cut ? first_cut : "");
        }
    }
    sum->feasible = feasible;
    if (!c->geom) {
        t->rc = GS_ERR_INTERNAL;
        return;
    }
    t->rc =
        gs__divide_region(h, c->geom, (const GEOSGeometry *const *)t->lines,
                          t->cls, t->n_lines, t->groups, t->n_groups, ks, n_ks,
                          &b, gs__partition_seed(seed, c->code), &t->div);
    sum->atoms = t->div.units;
    sum->level = t->div.level;
    for (long p = 0; !t->rc && p < t->div.k; p++)
        sum->straddling += t->div.straddle[p];
    /* grids that miss the bounds other than a building too big for any
     * grid (and a community too small for one) */
    if (!t->rc && sum->households >= rules->min_households &&
        t->div.misses > 0 &&
        (feasible || sum->big_buildings || sum->cut_footprints)) {
        if (sum->big_buildings)
            gs__partition_note(sum, "; ",
                               "no division with every other grid within the "
                               "bounds was found (%ld grid(s) miss them)",
                               t->div.misses);
        else /* two sentences: "other" is a word to place, not a suffix */
            gs__partition_note(sum, "; ",
                               "no division with every grid within the bounds "
                               "was found (%ld grid(s) miss them)",
                               t->div.misses);
    }
}

/* ------------------------------------------------------------------------
 * Workers
 * ------------------------------------------------------------------------ */

/* The tasks, shared by the workers: each takes the next task not taken. */
typedef struct pool {
    const gs__model *m;
    const gs_rules *rules;
    uint64_t seed;
    ctask *tasks;
    size_t n_tasks, next;
    pthread_mutex_t lock;
} pool;

/* One worker's job for gs__parallel: the shared pool. */
typedef struct worker_job {
    pool *p;
} worker_job;

static void *worker(void *arg) {
    pool *p = ((worker_job *)arg)->p;
    GEOSContextHandle_t h = GEOS_init_r();
    if (!h) return NULL; /* the other workers take its tasks */
    for (;;) {
        size_t i;
        pthread_mutex_lock(&p->lock);
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n_tasks) break;
        do_community(h, p->m, p->rules, p->seed, &p->tasks[i]);
    }
    GEOS_finish_r(h);
    return NULL;
}

/* Runs do_community for every task on `threads` workers. A task no worker
 * could run (no GEOS handle anywhere) keeps the rc it starts with,
 * GS_ERR_NOMEM. */
static void run_tasks(const gs__model *m, const gs_rules *rules, uint64_t seed,
                      ctask *tasks, size_t n, int threads) {
    worker_job jobs[GS__POOL_MAX];
    pool p;
    int nw = gs__pool_workers(threads, n, 1);
    memset(&p, 0, sizeof p);
    p.m = m;
    p.rules = rules;
    p.seed = seed;
    p.tasks = tasks;
    p.n_tasks = n;
    pthread_mutex_init(&p.lock, NULL);
    for (size_t i = 0; i < n; i++) tasks[i].rc = GS_ERR_NOMEM;
    for (int i = 0; i < nw; i++) jobs[i].p = &p;
    gs__parallel(worker, jobs, sizeof jobs[0], nw);
    pthread_mutex_destroy(&p.lock);
}

/* The barriers near each community (STRtree), gathered serially. */
static int gather_lines(gs_ctx *ctx, const gs__model *m, ctask *tasks) {
    GEOSContextHandle_t h = ctx->geos;
    size_t *ids = NULL;
    GEOSSTRtree *tree =
        gs__strtree_of(h, m->barriers, m->n_barriers, sizeof *m->barriers,
                       offsetof(gs__barrier, geom), &ids);
    gs__cands cands;
    int rc = GS_OK;
    memset(&cands, 0, sizeof cands);
    if (!tree) goto nomem;
    for (size_t c = 0; c < m->n_communities; c++) {
        if (!m->communities[c].geom || m->n_barriers == 0) continue;
        if (gs__strtree_query(h, tree, m->communities[c].geom, &cands))
            goto nomem;
        tasks[c].lines =
            gs__malloc((cands.n ? cands.n : 1) * sizeof *tasks[c].lines);
        tasks[c].cls =
            gs__malloc((cands.n ? cands.n : 1) * sizeof *tasks[c].cls);
        if (!tasks[c].lines || !tasks[c].cls) goto nomem;
        for (size_t k = 0; k < cands.n; k++) {
            tasks[c].cls[k] = m->barriers[cands.v[k]].cls;
            tasks[c].lines[k] =
                GEOSGeom_clone_r(h, m->barriers[cands.v[k]].geom);
            if (!tasks[c].lines[k]) goto nomem;
            tasks[c].n_lines = k + 1;
        }
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

static void grid_note(const gs_rules *rules, const gs__partition_sum *sum,
                      const gs__division *d, long p, char *note, size_t size) {
    long hh = d->hh[p], persons = d->persons[p];
    note[0] = '\0';
    if (sum->households < rules->min_households)
        snprintf(note, size, "undersize community");
    else if (hh < rules->min_households || hh > rules->max_households ||
             persons > rules->max_persons) {
        /* Within the persons criterion when the community was divided by
         * it: a note, not a miss. */
        if (!sum->feasible && strstr(sum->note, "policy persons") &&
            persons <= rules->max_persons)
            snprintf(note, size,
                     "persons criterion: %ld households, %ld "
                     "persons",
                     hh, persons);
        else if (!sum->feasible && strstr(sum->note, "policy oversize") &&
                 hh > rules->max_households && persons <= rules->max_persons)
            snprintf(note, size, "oversize allowed: %ld households", hh);
        else if (hh < rules->min_households)
            snprintf(note, size, "undersize: %ld households", hh);
        else if (hh > rules->max_households)
            snprintf(note, size, "oversize: %ld households", hh);
        else
            snprintf(note, size, "persons_over: %ld persons", persons);
    }
}

/* What a planner should know of part p: a major road it straddles (no
 * division within the bounds keeps to the blocks between major roads), a
 * building over the maximum it holds. */
static void grid_remark(const gs_rules *rules, const ctask *t, long p,
                        char *out, size_t size) {
    size_t len = 0;
    out[0] = '\0';
    if (t->div.straddle && t->div.straddle[p])
        len += (size_t)snprintf(out, size,
                                "straddles a major road: the blocks between "
                                "major roads allow no division within the "
                                "bounds");
    for (size_t i = 0; i < t->n_groups && len + 2 < size; i++) {
        const gs__building_group *g = &t->groups[i];
        if (g->hh <= rules->max_households || t->div.group_part[i] != p)
            continue;
        len += (size_t)snprintf(
            out + len, size - len,
            "%sbuilding %s%s%s alone holds %ld households", len ? "; " : "",
            g->building ? g->building : "(no id)",
            g->name && g->name[0] ? " " : "", g->name ? g->name : "", g->hh);
    }
}

/* ------------------------------------------------------------------------
 * The whole model
 * ------------------------------------------------------------------------ */

static void tasks_free(GEOSContextHandle_t h, ctask *tasks, size_t nc) {
    for (size_t c = 0; tasks && c < nc; c++) {
        for (size_t i = 0; tasks[c].groups && i < tasks[c].n_groups; i++)
            GEOSGeom_destroy_r(h, tasks[c].groups[i].shape);
        free(tasks[c].groups);
        for (size_t k = 0; k < tasks[c].n_lines; k++)
            GEOSGeom_destroy_r(h, tasks[c].lines[k]);
        free(tasks[c].lines);
        free(tasks[c].cls);
        gs__division_free(h, &tasks[c].div);
    }
    free(tasks);
}

/* One task per community with copies of its groups, in group order, and
 * of the barriers near it. The caller frees *out with tasks_free. */
static int make_tasks(gs_ctx *ctx, const gs__model *m,
                      gs__partition_result *out, ctask **out_tasks) {
    size_t nc = m->n_communities, ng = 0;
    gs__building_group *groups = NULL;
    long *gcomm = NULL;
    ctask *tasks = gs__calloc(nc ? nc : 1, sizeof *tasks);
    int rc;
    *out_tasks = tasks;
    if (!tasks) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    rc = gs__building_groups_make(ctx, m, &groups, &ng, &gcomm, &out->unplaced);
    if (rc) goto done;
    for (size_t i = 0; i < ng; i++)
        if (gcomm[i] >= 0) tasks[gcomm[i]].n_groups++;
    for (size_t c = 0; c < nc; c++) {
        tasks[c].ci = c;
        tasks[c].groups =
            gs__malloc((tasks[c].n_groups ? tasks[c].n_groups : 1) *
                       sizeof *tasks[c].groups);
        if (!tasks[c].groups) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        tasks[c].n_groups = 0;
    }
    for (size_t i = 0; i < ng; i++)
        if (gcomm[i] >= 0) {
            ctask *t = &tasks[gcomm[i]];
            gs__building_group *q = &t->groups[t->n_groups++];
            *q = groups[i];
            /* GEOS caches lazily: each task its own copy */
            q->shape = NULL;
            if (groups[i].shape &&
                !(q->shape = GEOSGeom_clone_r(ctx->geos, groups[i].shape))) {
                rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
    rc = gather_lines(ctx, m, tasks);
done:
    gs__building_groups_free(ctx->geos, groups, ng);
    free(gcomm);
    return rc;
}

/* The grids of community c's division into out (the result takes their
 * geometries), numbered in reading order, and its summary row. */
static int collect(gs_ctx *ctx, const gs__model *m, const gs_rules *rules,
                   ctask *t, size_t c, gs__partition_result *out, size_t *cap) {
    GEOSContextHandle_t h = ctx->geos;
    gs__partition_sum *sum = &out->sums[c];
    size_t first = out->n_grids;
    if (t->rc == GS_ERR_NOMEM)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    if (t->rc)
        return gs__err(ctx, GS_ERR_INTERNAL,
                       "partition of community %s failed in GEOS",
                       m->communities[c].code);
    *sum = t->sum;
    for (long p = 0; p < t->div.k; p++) {
        gs__partition_grid g;
        /* A part the division could not fill (a building too big for its
         * share) is no grid. */
        if (!t->div.geom[p] || GEOSisEmpty_r(h, t->div.geom[p]) == 1) continue;
        memset(&g, 0, sizeof g);
        g.community_code = m->communities[c].code;
        g.grid_type = "basic";
        g.households = t->div.hh[p];
        g.persons = t->div.persons[p];
        g.cut_len = t->div.cut_len[p];
        g.cut_barrier = t->div.cut_barrier[p];
        g.geom = t->div.geom[p];
        g.polsby_popper = gs__geom_polsby_popper(h, g.geom);
        grid_note(rules, sum, &t->div, p, g.note, sizeof g.note);
        grid_remark(rules, t, p, g.remark, sizeof g.remark);
        if (gs__partition_result_push(out, cap, &g))
            return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        t->div.geom[p] = NULL; /* the result owns it now */
        sum->grids++;
        if (gs__partition_grid_ok(&g)) sum->compliant++;
    }
    if (gs__partition_grids_number(h, out, first, m->communities[c].code,
                                   gs__geom_area(h, m->communities[c].geom), 1))
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    return GS_OK;
}

int gs__partition_analyse(gs_ctx *ctx, const gs__model *m,
                          const gs_rules *rules, const gs__partition_opts *opts,
                          gs__partition_result *out) {
    size_t nc = m->n_communities, cap = 0;
    ctask *tasks = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    out->sums = gs__calloc(nc ? nc : 1, sizeof *out->sums);
    if (!out->sums) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    out->n_sums = nc;
    if ((rc = make_tasks(ctx, m, out, &tasks))) goto done;
    gs__progress(ctx, "partition", -1);
    run_tasks(m, rules, opts ? opts->seed : 0, tasks, nc,
              opts ? opts->threads : 1);
    for (size_t c = 0; c < nc && !rc; c++)
        rc = collect(ctx, m, rules, &tasks[c], c, out, &cap);
done:
    tasks_free(ctx->geos, tasks, nc);
    return rc;
}
