/*
 * emerging.c - Gi* of the hexagons and their emerging hot spot classes.
 *
 * The period's counts get one Gi* (hex_hotspots). Each week of the
 * history gets its own, on the same ring-1 neighbours; a cell's weekly
 * bins and z-scores, in time order, give its class (stats.c,
 * gs__ehsa_classify). A week in which every cell has the same count has no
 * hot or cold spot: z 0, bin 0, a fact rather than a guess. Too few cells,
 * too many cell-weeks to keep, or too short a history leave every class
 * insufficient_history, with a note that says which.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "analysis.h"
#include "datetime.h"

/* Weekly Gi* keeps the counts, z-scores and bins of every cell and week
 * (17 bytes each): at most this many, about 340 MB. A city district's
 * 100 m lattice (50,000 cells) stays far below it over two years. */
#define MAX_CELL_WEEKS 20e6

/* Gi* of the period's counts per cell into r->hex_gi, or its note; the
 * cells' ring-1 neighbours into *start and *nbr (CSR; the caller frees
 * them). */
static int period_gi(gs_ctx *ctx, const gs__hs_params *p, gs__hsresult *r,
                     size_t **start, size_t **nbr) {
    size_t n = r->n_hex;
    double *x = gs__calloc(n ? n : 1, sizeof *x);
    int rc = GS_OK;
    if (!x) NOMEM();
    for (size_t k = 0; k < n; k++) x[k] = (double)r->hex_events[k];
    rc = gs__hs_hexes_gi(ctx, r->hex, x, n, p->rules, &r->hex_gi, start, nbr);
done:
    free(x);
    return rc;
}

/* 1 when the weeks can be tracked: enough cells for Gi*, and no more
 * cell-weeks than are kept; else 0 with r->ehsa_note saying why. */
static int weeks_fit(const gs__hs_params *p, gs__hsresult *r) {
    size_t n = r->n_hex, nw = (size_t)p->nweeks;
    if (n < (size_t)p->rules->min_units) {
        gs__hs_note(r->ehsa_note, sizeof r->ehsa_note, r->ehsa_text,
                    sizeof r->ehsa_text,
                    "%zu hexagons, fewer than the %d Gi* needs: no emerging "
                    "hot spots",
                    n, p->rules->min_units);
        return 0;
    }
    if ((double)n * (double)nw > MAX_CELL_WEEKS) {
        gs__hs_note(
            r->ehsa_note, sizeof r->ehsa_note, r->ehsa_text,
            sizeof r->ehsa_text,
            /* TRANSLATORS: hex_size_m is the rule's name in the rules file. */
            "%zu hexagons x %zu weeks is more than the %.0f "
            "cell-weeks kept: no emerging hot spots (a larger "
            "hex_size_m or a shorter history)",
            n, nw, MAX_CELL_WEEKS);
        return 0;
    }
    return 1;
}

/* Gi* of each history week's counts: the bins into r->week_bin and the
 * z-scores into *out_wz (malloc'ed; the caller frees it), week w of cell
 * k at w * n_hex + k. */
static int weekly_gi(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                     gs__hsresult *r, const size_t *start, const size_t *nbr,
                     double **out_wz) {
    size_t n = r->n_hex, nw = (size_t)p->nweeks;
    double *x = gs__calloc(n * nw, sizeof *x), *wz;
    int rc = GS_OK;
    if (!x) NOMEM();
    for (size_t i = 0; i < ev->n; i++) {
        int32_t w = (ev->v[i].day - p->week0) / 7;
        if (r->ev_hex[i] < 0 || !(r->ev_flag[i] & GS__EVF_HISTORY)) continue;
        x[(size_t)w * n + (size_t)r->ev_hex[i]] += 1;
    }
    r->week_bin = gs__malloc(n * nw);
    wz = *out_wz = gs__malloc(n * nw * sizeof *wz);
    if (!r->week_bin || !wz) NOMEM();
    for (size_t w = 0; w < nw; w++) {
        gs__hs_gi g;
        if ((rc = gs__hs_gi_run(x + w * n, NULL, n, start, nbr,
                                p->rules->min_units, "hexagons", "hexagons",
                                &g))) {
            rc = gs__err(ctx, rc, "weekly Gi* on the hexagons failed");
            goto done;
        }
        /* A week without a spot: see the top of this file. */
        for (size_t k = 0; k < n; k++) {
            wz[w * n + k] = g.done ? g.z[k] : 0;
            r->week_bin[w * n + k] = g.done ? g.bin[k] : 0;
        }
        gs__hs_gi_free(&g);
    }
done:
    free(x);
    return rc;
}

/* Every cell's emerging class from its weekly bins and z-scores wz, or
 * the note of a history too short. */
static int classify_cells(gs_ctx *ctx, const gs__hs_params *p, gs__hsresult *r,
                          const double *wz) {
    size_t n = r->n_hex, nw = (size_t)p->nweeks;
    double *zc = NULL;
    signed char *bc = NULL;
    gs__ehsa_opts eo;
    int rc = GS_OK;
    if (nw < (size_t)p->rules->min_history_weeks) {
        char a[9], b[9];
        gs__isoweek_format(p->week0, a);
        gs__isoweek_format(p->week0 + 7 * (int32_t)(nw - 1), b);
        gs__hs_note(
            r->ehsa_note, sizeof r->ehsa_note, r->ehsa_text,
            sizeof r->ehsa_text,
            /* TRANSLATORS: the second %s only adds the English plural "s";
               insufficient_history is the class as the layers spell it. */
            "only %zu week%s of history (%s to %s); emerging hot "
            "spots need %d: class insufficient_history",
            nw, nw == 1 ? "" : "s", a, b, p->rules->min_history_weeks);
        return GS_OK;
    }
    zc = gs__malloc(nw * sizeof *zc);
    bc = gs__malloc(nw);
    if (!zc || !bc) NOMEM();
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
    free(zc);
    free(bc);
    return rc;
}

int gs__hs_emerging(gs_ctx *ctx, const gs__events *ev, const gs__hs_params *p,
                    gs__hsresult *r) {
    size_t n = r->n_hex, *start = NULL, *nbr = NULL;
    double *wz = NULL;
    int rc = GS_OK;
    r->ehsa = gs__calloc(n ? n : 1, sizeof *r->ehsa);
    if (!r->ehsa) NOMEM();
    for (size_t k = 0; k < n; k++) r->ehsa[k].cls = GS__EHSA_INSUFFICIENT;
    if ((rc = period_gi(ctx, p, r, &start, &nbr))) goto done;
    if (!weeks_fit(p, r)) goto done;
    if ((rc = weekly_gi(ctx, ev, p, r, start, nbr, &wz))) goto done;
    rc = classify_cells(ctx, p, r, wz);
done:
    free(start);
    free(nbr);
    free(wz);
    return rc;
}
