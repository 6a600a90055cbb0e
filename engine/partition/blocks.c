/*
 * blocks.c - the road hierarchy in a division: the blocks between major
 * and medium barriers each face lies in, and road corridors shared out.
 *
 * A face's blk1 is the block of the region cut by the major barriers
 * alone (motorway to secondary roads, rivers, rails, walls), blk2 the
 * block cut by the major and medium ones; an arc between faces of two
 * blk1 blocks runs along a major barrier (piece_graph.c), and a grid
 * should not hold households of two blk1 blocks (divide.c).
 *
 * A dual carriageway is two lines with a strip between: a block of its
 * own that holds no households. Given whole to one neighbour it would be
 * a thin arm along the road; so each such corridor (thin: its mean width
 * 2 x area / perimeter under CORRIDOR_M) is shared among the faces across
 * its lines, each point to the face whose boundary is nearest (the
 * Voronoi cells of points along the shared boundaries), and the grid
 * line runs down its middle.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom.h"
#include "piece_graph.h"

/* A block without households narrower than this on average is a road
 * corridor. */
#define CORRIDOR_M 60.0
/* Spacing of the points along a corridor's boundary. */
#define STEP_M 2.0

/* Each face's block among the faces of the region cut by the lines of
 * class <= `max_cls` into *out (per face). */
static int block_of_faces(graph *faces, const GEOSGeometry *region,
                          const GEOSGeometry *const *lines, const int *cls,
                          size_t n_lines, int max_cls, long *out) {
    graph bl;
    const GEOSGeometry **sel =
        gs__malloc((n_lines ? n_lines : 1) * sizeof *sel);
    size_t ns = 0;
    int rc = -1;
    memset(&bl, 0, sizeof bl);
    bl.h = faces->h;
    if (!sel) return -1;
    for (size_t i = 0; i < n_lines; i++)
        if ((cls && cls[i] > 0 ? cls[i] : GS__BARRIER_MEDIUM) <= max_cls)
            sel[ns++] = lines[i];
    if (ns == 0) {
        for (size_t f = 0; f < faces->n; f++) out[f] = 0;
        rc = 0;
        goto done;
    }
    if (gs__graph_faces(&bl, region, (const GEOSGeometry *const *)sel, ns))
        goto done;
    for (size_t f = 0; f < faces->n; f++)
        out[f] = gs__graph_locate(&bl, 0, bl.n, faces->u[f].x, faces->u[f].y);
    rc = 0;
done:
    gs__graph_free(&bl);
    free(sel);
    return rc;
}

int gs__faces_blocks(graph *faces, const GEOSGeometry *region,
                     const GEOSGeometry *const *lines, const int *cls,
                     size_t n_lines) {
    long *b1 = gs__malloc((faces->n ? faces->n : 1) * sizeof *b1);
    long *b2 = gs__malloc((faces->n ? faces->n : 1) * sizeof *b2);
    int rc = -1;
    if (!b1 || !b2) goto done;
    if (block_of_faces(faces, region, lines, cls, n_lines, GS__BARRIER_MAJOR,
                       b1) ||
        block_of_faces(faces, region, lines, cls, n_lines, GS__BARRIER_MEDIUM,
                       b2))
        goto done;
    for (size_t f = 0; f < faces->n; f++) {
        faces->u[f].blk1 = b1[f];
        faces->u[f].blk2 = b2[f];
    }
    rc = 0;
done:
    free(b1);
    free(b2);
    return rc;
}

/* Points every STEP_M along line x, appended to pts/lab with label
 * `label`. -1 on failure. */
static int add_points(GEOSContextHandle_t h, const GEOSGeometry *x, long label,
                      GEOSGeometry ***pts, long **lab, size_t *n, size_t *cap) {
    GEOSGeometry *d = GEOSDensify_r(h, x, STEP_M);
    int ng, rc = -1;
    if (!d) return -1;
    ng = GEOSGetNumGeometries_r(h, d);
    for (int i = 0; i < ng; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, d, i);
        const GEOSCoordSequence *cs;
        unsigned np = 0;
        if (GEOSGeomTypeId_r(h, part) != GEOS_LINESTRING) continue;
        cs = GEOSGeom_getCoordSeq_r(h, part);
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &np)) continue;
        for (unsigned k = 0; k < np; k++) {
            double px, py;
            GEOSCoordSeq_getXY_r(h, cs, k, &px, &py);
            if (*n == *cap) {
                size_t nc = *cap ? 2 * *cap : 256;
                GEOSGeometry **np2 = gs__realloc(*pts, nc * sizeof *np2);
                long *nl;
                if (!np2) goto done;
                *pts = np2;
                nl = gs__realloc(*lab, nc * sizeof *nl);
                if (!nl) goto done;
                *lab = nl;
                *cap = nc;
            }
            (*pts)[*n] = GEOSGeom_createPointFromXY_r(h, px, py);
            if (!(*pts)[*n]) goto done;
            (*lab)[(*n)++] = label;
        }
    }
    rc = 0;
done:
    GEOSGeom_destroy_r(h, d);
    return rc;
}

/* Replaces face f's geometry by g (taken) and its figures. */
static void set_face(graph *faces, size_t f, GEOSGeometry *g) {
    GEOSContextHandle_t h = faces->h;
    unit *u = &faces->u[f];
    GEOSGeometry *p;
    GEOSGeom_destroy_r(h, u->g);
    u->g = g;
    GEOSArea_r(h, g, &u->area);
    GEOSGeom_getXMin_r(h, g, &u->env[0]);
    GEOSGeom_getYMin_r(h, g, &u->env[1]);
    GEOSGeom_getXMax_r(h, g, &u->env[2]);
    GEOSGeom_getYMax_r(h, g, &u->env[3]);
    p = GEOSPointOnSurface_r(h, g);
    if (p) {
        GEOSGeomGetX_r(h, p, &u->x);
        GEOSGeomGetY_r(h, p, &u->y);
        GEOSGeom_destroy_r(h, p);
    }
}

/* Shares corridor block `blk` (its faces: in_c[f] set) among the other
 * faces along its boundary. 1 done, 0 nothing borders it, -1 failure. */
static int share_corridor(graph *faces, const GEOSGeometry *corr,
                          const unsigned char *in_c) {
    GEOSContextHandle_t h = faces->h;
    GEOSGeometry **pts = NULL, *bnd = NULL, *mp = NULL, *vd = NULL;
    GEOSGeometry **take = NULL;
    long *lab = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    double ce[4];
    GEOSGeom_getXMin_r(h, corr, &ce[0]);
    GEOSGeom_getYMin_r(h, corr, &ce[1]);
    GEOSGeom_getXMax_r(h, corr, &ce[2]);
    GEOSGeom_getYMax_r(h, corr, &ce[3]);
    bnd = GEOSBoundary_r(h, corr);
    take = gs__calloc(faces->n, sizeof *take);
    if (!bnd || !take) goto done;
    for (size_t f = 0; f < faces->n; f++) {
        const unit *u = &faces->u[f];
        GEOSGeometry *x;
        double len = 0;
        if (in_c[f] || u->env[0] > ce[2] + 1e-6 || u->env[2] < ce[0] - 1e-6 ||
            u->env[1] > ce[3] + 1e-6 || u->env[3] < ce[1] - 1e-6)
            continue;
        x = GEOSIntersection_r(h, bnd, u->g);
        if (!x) goto done;
        GEOSLength_r(h, x, &len);
        if (len > 0.5 && add_points(h, x, (long)f, &pts, &lab, &n, &cap)) {
            GEOSGeom_destroy_r(h, x);
            goto done;
        }
        GEOSGeom_destroy_r(h, x);
    }
    if (n == 0) {
        rc = 0;
        goto done;
    }
    {
        /* one label per place: the first */
        GEOSGeometry **v = gs__malloc(n * sizeof *v);
        if (!v) goto done;
        memcpy(v, pts, n * sizeof *v);
        mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, v, (unsigned)n);
        free(v);
        if (!mp) goto done;
        free(pts); /* the collection owns the points */
        pts = NULL;
    }
    vd = GEOSVoronoiDiagram_r(h, mp, corr, 0.0, 0);
    if (!vd) goto done;
    {
        int nc = GEOSGetNumGeometries_r(h, vd);
        for (int i = 0; i < nc; i++) {
            const GEOSGeometry *cell = GEOSGetGeometryN_r(h, vd, i);
            GEOSGeometry *x;
            long best = -1;
            double bd = INFINITY;
            /* the cell's site: the point of mp inside it */
            for (size_t k = 0; k < n; k++) {
                const GEOSGeometry *p = GEOSGetGeometryN_r(h, mp, (int)k);
                double d;
                if (GEOSDistance_r(h, cell, p, &d) && d < bd) {
                    bd = d;
                    best = lab[k];
                    if (d == 0) break;
                }
            }
            if (best < 0) continue;
            x = GEOSIntersection_r(h, cell, corr);
            if (!x) goto done;
            if (take[best]) {
                GEOSGeometry *u = GEOSUnion_r(h, take[best], x);
                GEOSGeom_destroy_r(h, x);
                GEOSGeom_destroy_r(h, take[best]);
                take[best] = u;
                if (!u) goto done;
            } else {
                take[best] = x;
            }
        }
    }
    for (size_t f = 0; f < faces->n; f++) {
        GEOSGeometry *u, *p;
        if (!take[f]) continue;
        u = GEOSUnion_r(h, faces->u[f].g, take[f]);
        p = u ? gs__geom_polygonal(h, u) : NULL;
        if (!p) goto done;
        set_face(faces, f, p);
    }
    rc = 1;
done:
    if (pts)
        for (size_t k = 0; k < n; k++) GEOSGeom_destroy_r(h, pts[k]);
    free(pts);
    free(lab);
    for (size_t f = 0; take && f < faces->n; f++)
        GEOSGeom_destroy_r(h, take[f]);
    free(take);
    GEOSGeom_destroy_r(h, bnd);
    GEOSGeom_destroy_r(h, mp);
    GEOSGeom_destroy_r(h, vd);
    return rc;
}

int gs__faces_absorb_corridors(graph *faces, const long *face_hh,
                               int *changed) {
    GEOSContextHandle_t h = faces->h;
    size_t n = faces->n;
    long nb = 0;
    unsigned char *in_c = gs__calloc(n ? n : 1, 1),
                  *gone = gs__calloc(n ? n : 1, 1);
    int rc = -1;
    *changed = 0;
    if (!in_c || !gone) goto done;
    for (size_t f = 0; f < n; f++)
        if (faces->u[f].blk1 + 1 > nb) nb = faces->u[f].blk1 + 1;
    if (nb < 2) { /* no major barrier, or one block: nothing to share */
        rc = 0;
        goto done;
    }
    for (long b = 0; b < nb; b++) {
        long hh = 0, nf = 0;
        GEOSGeometry **parts, *coll, *corr;
        double area = 0, len = 0;
        int r;
        for (size_t f = 0; f < n; f++)
            if (faces->u[f].blk1 == b && !gone[f]) {
                hh += face_hh[f];
                nf++;
            }
        if (hh > 0 || nf == 0 || nf == (long)n) continue;
        parts = gs__malloc((size_t)nf * sizeof *parts);
        if (!parts) goto done;
        nf = 0;
        for (size_t f = 0; f < n; f++)
            if (faces->u[f].blk1 == b && !gone[f])
                parts[nf++] = GEOSGeom_clone_r(h, faces->u[f].g);
        coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts,
                                           (unsigned)nf);
        free(parts);
        corr = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        GEOSGeom_destroy_r(h, coll);
        if (!corr) goto done;
        GEOSArea_r(h, corr, &area);
        GEOSLength_r(h, corr, &len);
        if (!(len > 0) || 2 * area / len >= CORRIDOR_M) {
            GEOSGeom_destroy_r(h, corr);
            continue;
        }
        memset(in_c, 0, n);
        for (size_t f = 0; f < n; f++)
            if (faces->u[f].blk1 == b && !gone[f]) in_c[f] = 1;
        /* faces gone earlier are inside some other face now */
        for (size_t f = 0; f < n; f++)
            if (gone[f]) in_c[f] = 1;
        r = share_corridor(faces, corr, in_c);
        GEOSGeom_destroy_r(h, corr);
        if (r < 0) goto done;
        if (r == 1) {
            for (size_t f = 0; f < n; f++)
                if (faces->u[f].blk1 == b) gone[f] = 1;
            *changed = 1;
        }
    }
    if (*changed) { /* drop the shared faces; renumber */
        size_t w = 0;
        for (size_t f = 0; f < n; f++) {
            if (gone[f]) {
                GEOSGeom_destroy_r(h, faces->u[f].g);
                GEOSGeom_destroy_r(h, faces->u[f].dangles);
                GEOSGeom_destroy_r(h, faces->u[f].dangles_buf);
                continue;
            }
            faces->u[w] = faces->u[f];
            faces->u[w].face = (long)w;
            w++;
        }
        faces->n = w;
    }
    rc = 0;
done:
    free(in_c);
    free(gone);
    return rc;
}
