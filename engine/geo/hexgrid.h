/*
 * hexgrid.h - the regular hexagon lattice of `hex_hotspots` (hexgrid.c).
 *
 * A lattice is fixed by its size, origin and orientation:
 *  - size F is the distance between opposite edges ("across flats"): a
 *    "100 m hexagon grid" has F = 100, so the centres of neighbouring
 *    hexagons are exactly 100 m apart. The circumradius (centre to vertex,
 *    also the edge length) is R = F / sqrt 3 (57.735 m for F = 100) and the
 *    area is (sqrt 3 / 2) F^2 (8,660.25 m^2);
 *  - the origin (x0, y0), in metres, is the centre of hexagon (0, 0). Keep
 *    it fixed from run to run (e.g. (0, 0) of the metric CRS, or a round
 *    kilometre) so that a hexagon's (q, r) names the same ground every week
 *    and weekly histories can be joined on it;
 *  - pointy-topped (a vertex due north, two vertical edges) or flat-topped
 *    (an edge due north, two vertices due east and west).
 *
 * Hexagons are named by axial coordinates (q, r); the cube coordinates are
 * (q, r, -q-r). Centres: pointy x = x0 + F (q + r/2), y = y0 + (3/2) R r;
 * flat x = x0 + (3/2) R q, y = y0 + F (r + q/2). The six ring-1 neighbours
 * are (q+1, r), (q+1, r-1), (q, r-1), (q-1, r), (q-1, r+1), (q, r+1) in both
 * orientations.
 *
 * Centres and vertices are computed as x0 + i hx, y0 + j hy with integers
 * i, j and the half steps (hx, hy) = (F/2, R/2) (pointy) or (R/2, F/2)
 * (flat), so the two hexagons sharing a vertex produce it bit for bit alike
 * and clipped hexagons meet without slivers.
 *
 * No GEOS here: the caller clips hexagons to the communities.
 */
#ifndef GS_HEXGRID_H
#define GS_HEXGRID_H

#include <stddef.h>
#include <stdint.h>

#include "gridsmith/gridsmith.h"

typedef enum gs__hex_orient {
    GS__HEX_POINTY = 0, /* vertex up; rows of hexagons run east-west */
    GS__HEX_FLAT = 1    /* edge up; columns run north-south */
} gs__hex_orient;

/* A lattice; fill it with gs__hexgrid_init. */
typedef struct gs__hexgrid {
    double size;   /* F, across flats, metres */
    double radius; /* R = F / sqrt 3 */
    double x0, y0; /* centre of hexagon (0, 0) */
    double hx, hy; /* half steps of the vertex lattice (see above) */
    gs__hex_orient orient;
} gs__hexgrid;

/* One hexagon in axial coordinates. */
typedef struct gs__hex {
    int64_t q, r;
} gs__hex;

/* The lattice's order, by r then q (qsort's contract on gs__hex): the
 * order of gs__hexgrid_cover's cells, which a run's hexagon layers keep
 * and the merge of shards (merge.c) restores. */
int gs__hex_cmp(const void *a, const void *b);

/* Sets up a lattice. GS_ERR_USAGE when size is not > 0 and finite, the
 * origin is not finite or the orientation is unknown. */
int gs__hexgrid_init(gs__hexgrid *g, double size, double x0, double y0,
                     gs__hex_orient orient);

/*
 * The hexagon containing (x, y): the one whose centre is nearest (cube
 * rounding of the fractional axial coordinates). A point on an edge or
 * vertex goes to one of the hexagons sharing it, always the same one.
 * GS_ERR_INPUT_VALUE for a non-finite point or one so far away that q or r
 * would not fit in 2^50; *out_hex is then (0, 0).
 */
int gs__hex_from_point(const gs__hexgrid *g, double x, double y,
                       gs__hex *out_hex);

/* The centre of a hexagon. */
void gs__hex_center(const gs__hexgrid *g, gs__hex h, double *out_x,
                    double *out_y);

/* The six vertices, counter-clockwise as x, y pairs, starting at 30 degrees
 * (pointy) or 0 degrees, due east (flat). A closed ring repeats the first. */
void gs__hex_vertices(const gs__hexgrid *g, gs__hex h, double out_xy[12]);

/* The six ring-1 neighbours in the order of the header comment. */
void gs__hex_neighbors(gs__hex h, gs__hex out[6]);

/* Steps between two hexagons on the lattice (0 for the same, 1 for ring-1
 * neighbours). */
int64_t gs__hex_distance(gs__hex a, gs__hex b);

/*
 * The hexagons sharing a positive area with the rectangle [xmin, xmax] x
 * [ymin, ymax] (touching along an edge or at a point does not count),
 * sorted by r, then q. *out_hexes is allocated with malloc (the caller
 * frees it with free()); NULL with *out_n = 0 on failure. GS_ERR_USAGE for
 * an empty or non-finite rectangle or one needing more than max_hexes
 * hexagons (the hard maximum that keeps a wrong unit or CRS from
 * allocating gigabytes); GS_ERR_NOMEM.
 */
int gs__hexgrid_cover(const gs__hexgrid *g, double xmin, double ymin,
                      double xmax, double ymax, size_t max_hexes,
                      gs__hex **out_hexes, size_t *out_n);

/*
 * Ring-1 contiguity among n distinct hexagons, as CSR arrays for
 * gs__gistar: the neighbours of hexes[i] present in the list are
 * (*out_nbr)[(*out_start)[i] .. (*out_start)[i+1]-1], in the neighbour order
 * above. Both arrays are allocated with malloc and freed by the caller with
 * free(); NULL on failure. GS_ERR_USAGE when a hexagon is listed twice;
 * GS_ERR_NOMEM.
 */
int gs__hex_adjacency(const gs__hex *hexes, size_t n, size_t **out_start,
                      size_t **out_nbr);

#endif /* GS_HEXGRID_H */
