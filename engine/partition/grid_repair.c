/*
 * grid_repair.c - what a re-division repairs before it sizes: every
 * defect `validate` reports that a redrawing can mend, each by the
 * smallest change, in this order:
 *
 *   made_valid  an invalid grid takes its repaired shape (MakeValid);
 *   clipped     a grid's part outside its community is cut off;
 *   trimmed     where two grids overlap, the overlap stays with the grid
 *               whose households it already counts (the lower code, as
 *               the household rule places them) and leaves the other; a
 *               dedicated or locked grid never loses ground;
 *   filled      a gap in the community goes to the grid sharing most
 *               boundary with it, with its households;
 *   reunited    the smaller parts of a multipart grid go to the
 *               neighbour sharing most boundary with each (a part no grid
 *               borders stays, and is reported);
 *   rejoined    a building whose households the old lines split (its
 *               footprint, or the hull of its households' points) goes
 *               whole to the grid holding its households' point;
 *   recoded     a duplicate or malformed code is replaced by a new code
 *               in the community's sequence.
 *
 * A grid none of these touches keeps its stored bytes. Areas of
 * [topology] sliver_m2 or less are numerical and left alone, as validate
 * ignores them. Households are then placed again in the grids they lie
 * in (the lowest code on an overlap left), so the counts are validate's.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "redivision.h"

void gs__fate_add(char *fate, size_t size, const char *word) {
    size_t len = strlen(fate), wl = strlen(word);
    const char *p = fate;
    while ((p = strstr(p, word)) != NULL) {
        if ((p == fate || p[-1] == ';') && (p[wl] == '\0' || p[wl] == ';'))
            return;
        p += wl;
    }
    snprintf(fate + len, size - len, "%s%s", len ? ";" : "", word);
}

/* 1 when code is a grid code of community `comm`: its 12 digits and 3
 * more. */
static int code_ok(const char *code, const char *comm) {
    size_t n = strlen(comm);
    if (strlen(code) != n + 3 || strncmp(code, comm, n)) return 0;
    for (size_t i = 0; code[i]; i++)
        if (code[i] < '0' || code[i] > '9') return 0;
    return 1;
}

/* Replaces grid k's shape by g (taken, made polygonal); its stored bytes
 * are no longer its shape. -1 on failure. */
static int set_geom(wstate *s, size_t k, GEOSGeometry *g) {
    GEOSGeometry *q;
    if (!g) return -1;
    /* on a 1 mm grid, as a division's grids: vertices a hair apart would
     * cross once written in degrees; neighbours snap alike */
    q = GEOSGeom_setPrecision_r(s->h, g, 1e-3, 0);
    if (q) {
        GEOSGeom_destroy_r(s->h, g);
        g = q;
    }
    if (GEOSisValid_r(s->h, g) != 1) {
        GEOSGeometry *v = GEOSMakeValid_r(s->h, g);
        if (v) {
            GEOSGeom_destroy_r(s->h, g);
            g = v;
        }
    }
    g = gs__geom_polygonal(s->h, g);
    if (!g) return -1;
    GEOSGeom_destroy_r(s->h, s->g[k].geom);
    s->g[k].geom = g;
    s->g[k].old = -1;
    s->g[k].repaired = 1;
    return 0;
}

static double area_of(GEOSContextHandle_t h, const GEOSGeometry *g) {
    double a = 0;
    if (g) GEOSArea_r(h, g, &a);
    return a;
}

/* Grids read from different sources meet a hair apart: boundary this
 * near counts as shared, and a piece this near is joined. */
#define TOUCH_M 0.01

/* The live grid (not `skip`) sharing most boundary with piece p (within
 * TOUCH_M, more than 1 cm of it); -1 none. Fixed grids only when
 * `fixed_ok`. */
static long best_neighbour(const wstate *s, const GEOSGeometry *p, long skip,
                           int fixed_ok) {
    long best = -1;
    double bl = 0.01;
    GEOSGeometry *pb = GEOSBuffer_r(s->h, p, TOUCH_M, 2);
    if (!pb) return -1;
    for (size_t j = 0; j < s->n; j++) {
        GEOSGeometry *x, *b;
        double len = 0;
        if ((long)j == skip || !s->g[j].alive || (s->g[j].fixed && !fixed_ok))
            continue;
        if (GEOSIntersects_r(s->h, s->g[j].geom, pb) != 1) continue;
        b = GEOSBoundary_r(s->h, s->g[j].geom);
        x = b ? GEOSIntersection_r(s->h, b, pb) : NULL;
        if (x) GEOSLength_r(s->h, x, &len);
        GEOSGeom_destroy_r(s->h, x);
        GEOSGeom_destroy_r(s->h, b);
        if (len > bl) {
            bl = len;
            best = (long)j;
        }
    }
    GEOSGeom_destroy_r(s->h, pb);
    return best;
}

/* Adds piece p (borrowed) to grid k, closing a hair-wide seam between
 * them. -1 on failure. */
static int give(wstate *s, size_t k, const GEOSGeometry *p) {
    GEOSContextHandle_t h = s->h;
    GEOSGeometry *u = GEOSUnion_r(h, s->g[k].geom, p);
    if (!u) return -1;
    if (GEOSGetNumGeometries_r(h, u) >
        GEOSGetNumGeometries_r(h, s->g[k].geom)) {
        GEOSGeometry *a = GEOSBuffer_r(h, u, TOUCH_M, 2);
        GEOSGeometry *c = a ? GEOSBuffer_r(h, a, -TOUCH_M, 2) : NULL;
        GEOSGeom_destroy_r(h, a);
        if (c && GEOSGetNumGeometries_r(h, c) < GEOSGetNumGeometries_r(h, u)) {
            GEOSGeom_destroy_r(h, u);
            u = c;
        } else {
            GEOSGeom_destroy_r(h, c);
        }
    }
    return set_geom(s, k, u);
}

int gs__wstate_repair(wstate *s, const GEOSGeometry *community,
                      const char *comm_code, size_t n_old, char (*topo)[64],
                      long *unfixable) {
    GEOSContextHandle_t h = s->h;
    const gs__model *m = s->m;
    double sliver = s->rules->sliver_m2;
    int changed = 0;
    *unfixable = 0;
    /* repaired, clipped */
    for (size_t k = 0; k < n_old; k++) {
        wgrid *w = &s->g[k];
        GEOSGeometry *out;
        if (!w->alive || w->fixed) continue;
        if (w->old >= 0 && m->grids[w->old].invalid) {
            GEOSGeometry *c = GEOSGeom_clone_r(h, w->geom);
            if (set_geom(s, k, c)) return -1;
            gs__fate_add(topo[k], 64, "made_valid");
            changed = 1;
        }
        out = GEOSDifference_r(h, w->geom, community);
        if (!out) return -1;
        if (area_of(h, out) > sliver) {
            GEOSGeom_destroy_r(h, out);
            if (set_geom(s, k, GEOSIntersection_r(h, w->geom, community)))
                return -1;
            gs__fate_add(topo[k], 64, "clipped");
            changed = 1;
        } else {
            GEOSGeom_destroy_r(h, out);
        }
    }
    /* trimmed: the overlap stays with the lower code */
    for (size_t i = 0; i < n_old; i++)
        for (size_t j = i + 1; j < n_old; j++) {
            wgrid *a = &s->g[i], *b = &s->g[j];
            GEOSGeometry *x;
            size_t keep, lose;
            if (!a->alive || !b->alive ||
                GEOSIntersects_r(h, a->geom, b->geom) != 1)
                continue;
            x = GEOSIntersection_r(h, a->geom, b->geom);
            if (!x) return -1;
            if (area_of(h, x) <= sliver) {
                GEOSGeom_destroy_r(h, x);
                continue;
            }
            keep = strcmp(a->code, b->code) <= 0 ? i : j;
            lose = keep == i ? j : i;
            if (s->g[lose].fixed && !s->g[keep].fixed) {
                size_t t = keep;
                keep = lose;
                lose = t;
            }
            if (s->g[lose].fixed) {
                (*unfixable)++;
                GEOSGeom_destroy_r(h, x);
                continue;
            }
            if (set_geom(s, lose, GEOSDifference_r(h, s->g[lose].geom, x))) {
                GEOSGeom_destroy_r(h, x);
                return -1;
            }
            GEOSGeom_destroy_r(h, x);
            gs__fate_add(topo[lose], 64, "trimmed");
            changed = 1;
        }
    /* filled: the community's gaps */
    {
        GEOSGeometry **parts =
                         gs__malloc((s->n + m->n_grids + 1) * sizeof *parts),
                     *coll, *cov, *gaps;
        unsigned np = 0;
        if (!parts) return -1;
        for (size_t k = 0; k < s->n; k++)
            if (s->g[k].alive) parts[np++] = GEOSGeom_clone_r(h, s->g[k].geom);
        /* other communities' grids cover what they cover */
        for (size_t i = 0; i < m->n_grids; i++)
            if (m->grids[i].geom && m->grids[i].community_code &&
                strcmp(m->grids[i].community_code, comm_code) &&
                GEOSIntersects_r(h, m->grids[i].geom, community) == 1)
                parts[np++] = GEOSGeom_clone_r(h, m->grids[i].geom);
        for (unsigned i = 0; i < np; i++)
            if (!parts[i]) {
                for (unsigned j = 0; j < np; j++)
                    GEOSGeom_destroy_r(h, parts[j]);
                free(parts);
                return -1;
            }
        coll = np ? GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                                parts, np)
                  : NULL;
        free(parts);
        cov = coll ? GEOSUnaryUnionPrec_r(h, coll, 1e-6) : NULL;
        GEOSGeom_destroy_r(h, coll);
        gaps = cov ? GEOSDifference_r(h, community, cov) : NULL;
        GEOSGeom_destroy_r(h, cov);
        if (gaps) {
            int ng = GEOSGetNumGeometries_r(h, gaps);
            for (int i = 0; i < ng; i++) {
                const GEOSGeometry *gp = GEOSGetGeometryN_r(h, gaps, i);
                long nb;
                if (GEOSGeomTypeId_r(h, gp) != GEOS_POLYGON ||
                    area_of(h, gp) <= sliver)
                    continue;
                nb = best_neighbour(s, gp, -1, 0);
                if (nb < 0) {
                    (*unfixable)++;
                    continue;
                }
                if (give(s, (size_t)nb, gp)) {
                    GEOSGeom_destroy_r(h, gaps);
                    return -1;
                }
                if (nb < (long)n_old) gs__fate_add(topo[nb], 64, "filled");
                changed = 1;
            }
            GEOSGeom_destroy_r(h, gaps);
        }
    }
    /* reunited: a grid's smaller parts to their neighbours */
    for (size_t k = 0; k < s->n; k++) {
        wgrid *w = &s->g[k];
        int np = w->alive ? GEOSGetNumGeometries_r(h, w->geom) : 0;
        long big = 0;
        double ba = -1;
        GEOSGeometry *keep;
        if (np < 2 || w->fixed) continue;
        for (int p = 0; p < np; p++) {
            double a = area_of(h, GEOSGetGeometryN_r(h, w->geom, p));
            if (a > ba) {
                ba = a;
                big = p;
            }
        }
        keep = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, w->geom, (int)big));
        if (!keep) return -1;
        for (int p = 0; p < np; p++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, w->geom, p);
            long nb;
            if (p == big) continue;
            nb = best_neighbour(s, part, (long)k, 0);
            if (nb < 0) { /* nobody borders it: it stays */
                GEOSGeometry *u = GEOSUnion_r(h, keep, part);
                GEOSGeom_destroy_r(h, keep);
                if (!(keep = u)) return -1;
                if (area_of(h, part) > sliver) (*unfixable)++;
                continue;
            }
            if (give(s, (size_t)nb, part)) {
                GEOSGeom_destroy_r(h, keep);
                return -1;
            }
            gs__fate_add(nb < (long)n_old ? topo[nb] : topo[k], 64, "filled");
        }
        if (set_geom(s, k, keep)) return -1;
        if (k < n_old) gs__fate_add(topo[k], 64, "reunited");
        changed = 1;
    }
    /* rejoined: a building whose households the old lines split goes
     * whole to the grid holding it (its point, by the household rule) */
    for (size_t i = 0; i < s->n_groups; i++) {
        const GEOSGeometry *sh = s->groups[i].shape;
        long own = s->gw[i];
        GEOSGeometry *part;
        int took = 0;
        if (!sh || own < 0 || !s->g[own].alive ||
            GEOSContains_r(h, s->g[own].geom, sh) == 1)
            continue;
        part = GEOSIntersection_r(h, sh, community);
        if (!part) return -1;
        for (size_t j = 0; j < s->n; j++) {
            GEOSGeometry *x;
            double a;
            if ((long)j == own || !s->g[j].alive ||
                GEOSIntersects_r(h, s->g[j].geom, part) != 1)
                continue;
            x = GEOSIntersection_r(h, s->g[j].geom, part);
            a = area_of(h, x);
            GEOSGeom_destroy_r(h, x);
            if (a <= 1e-6) continue;
            if (s->g[j].fixed || s->g[own].fixed) {
                (*unfixable)++;
                continue;
            }
            if (set_geom(s, j, GEOSDifference_r(h, s->g[j].geom, part))) {
                GEOSGeom_destroy_r(h, part);
                return -1;
            }
            if (j < n_old) gs__fate_add(topo[j], 64, "rejoined");
            took = 1;
        }
        if (took) {
            if (give(s, (size_t)own, part)) {
                GEOSGeom_destroy_r(h, part);
                return -1;
            }
            if (own < (long)n_old) gs__fate_add(topo[own], 64, "rejoined");
            changed = 1;
        }
        GEOSGeom_destroy_r(h, part);
    }
    /* recoded: duplicate or malformed codes */
    for (size_t k = 0; k < n_old; k++) {
        int bad = !code_ok(s->g[k].code, comm_code);
        for (size_t j = 0; j < k && !bad; j++)
            bad = !strcmp(s->g[j].code, s->g[k].code);
        if (!bad) continue;
        s->g[k].recode = 1;
        gs__fate_add(topo[k], 64, "recoded");
    }
    if (changed) gs__wstate_place(s);
    return 0;
}

void gs__wstate_place(wstate *s) {
    GEOSContextHandle_t h = s->h;
    for (size_t i = 0; i < s->n_groups; i++) {
        GEOSGeometry *p =
            GEOSGeom_createPointFromXY_r(h, s->groups[i].x, s->groups[i].y);
        long best = -1;
        if (!p) continue;
        for (size_t k = 0; k < s->n; k++) {
            if (!s->g[k].alive || GEOSIntersects_r(h, s->g[k].geom, p) != 1)
                continue;
            if (best < 0 || strcmp(s->g[k].code, s->g[best].code) < 0)
                best = (long)k;
        }
        GEOSGeom_destroy_r(h, p);
        if (best >= 0) s->gw[i] = best;
    }
    gs__wstate_tally(s);
}

void gs__wstate_defects(const wstate *s, const GEOSGeometry *community,
                        size_t k, char *out, size_t size) {
    GEOSContextHandle_t h = s->h;
    const wgrid *w = &s->g[k];
    double sliver = s->rules->sliver_m2;
    size_t len = 0;
    GEOSGeometry *x;
    out[0] = '\0';
    if (GEOSGetNumGeometries_r(h, w->geom) > 1)
        len += (size_t)snprintf(out + len, size - len, "multipart");
    if (w->old >= 0 && s->m->grids[w->old].invalid && len < size)
        len += (size_t)snprintf(out + len, size - len, "%sinvalid_geometry",
                                len ? ";" : "");
    if (community && len < size) {
        x = GEOSDifference_r(h, w->geom, community);
        if (x && area_of(h, x) > sliver)
            len += (size_t)snprintf(out + len, size - len,
                                    "%soutside_community", len ? ";" : "");
        GEOSGeom_destroy_r(h, x);
    }
    for (size_t j = 0; j < s->n && len < size; j++) {
        if (j == k || !s->g[j].alive ||
            GEOSIntersects_r(h, w->geom, s->g[j].geom) != 1)
            continue;
        x = GEOSIntersection_r(h, w->geom, s->g[j].geom);
        if (x && area_of(h, x) > sliver) {
            len += (size_t)snprintf(out + len, size - len, "%soverlap",
                                    len ? ";" : "");
            GEOSGeom_destroy_r(h, x);
            break;
        }
        GEOSGeom_destroy_r(h, x);
    }
}
