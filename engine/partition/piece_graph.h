/*
 * piece_graph.h - the graph of pieces a region is cut into, and what the
 * files of a division (divide.c and the files it names) share.
 *
 * A division (divide.c) cuts the region into faces along the barriers
 * (faces.c), cuts crowded faces further into the cells of their buildings
 * (building_cells.c), joins pieces that share boundary (piece_graph.c),
 * divides the graph by recursive spanning-tree bisection (bisection.c),
 * repairs and polishes the parts by single moves (repair.c), searches
 * small graphs exhaustively (exact_search.c), and turns the parts into
 * polygons (part_shapes.c). Pieces are called units: a unit is never
 * split, so a building's households stay together.
 */
#ifndef GS_PARTITION_PIECE_GRAPH_H
#define GS_PARTITION_PIECE_GRAPH_H

#include <geos_c.h>
#include <stdint.h>

#include "partition.h"

/* A piece of the region. */
typedef struct unit {
    GEOSGeometry *g;
    double x, y, area; /* a point on its surface; its area */
    double env[4];     /* xmin, ymin, xmax, ymax */
    long hh, persons, face;
    long cell;                 /* the Voronoi cell it was cut from, or -1 */
    GEOSGeometry *dangles;     /* faces only: lines inside that close nothing */
    GEOSGeometry *dangles_buf; /* ... within 1 mm, to measure along them */
    int big;         /* over the maximum on its own (a building too big
                      * for any grid): its hh (or persons) are clamped to
                      * the maximum, so a part holding it holds nothing
                      * else */
    long blk1, blk2; /* faces only: the block between major barriers, and
                      * between major and medium ones, it lies in */
} unit;

/* Two units sharing boundary, a < b. */
typedef struct arc {
    long a, b;
    double len, cost;
    double blen; /* the part of len along a barrier */
    int barrier; /* mostly along a barrier: its strength, 3 major, 2
                  * medium, 1 minor; 0 not along a barrier */
} arc;

typedef struct graph graph;
struct graph {
    GEOSContextHandle_t h;
    unit *u;
    size_t n, cap;
    arc *arcs;
    size_t m, cap_m;
    size_t *off; /* CSR over arcs: unit i's arcs are adj[off[i]..off[i+1]) */
    size_t *adj;
    GEOSGeometry *noded; /* faces only: the region's noded lines */
    long n_cells;
    const graph *faces; /* units only: the faces they come from */
};

/* ---- the random stream (seeds.c) ----------------------------------------- */

/* The next value of the splitmix64 stream with state *s. */
uint64_t gs__splitmix(uint64_t *s);

/* A double in [0, 1) from the stream. */
double gs__uniform(uint64_t *s);

/* ---- units and faces (faces.c) ------------------------------------------- */

/* Frees the units, arcs and lines of g and empties it (h is kept). */
void gs__graph_free(graph *g);

/* Appends a unit of `face` taking polygon p, with its figures; -1 when
 * out of memory (p is then destroyed). */
int gs__graph_add_unit(graph *g, GEOSGeometry *p, long face);

/* Appends each polygon of g (taken) with area as a unit of `face`; -1 on
 * failure (g NULL, or out of memory). */
int gs__graph_add_polygons(graph *gr, GEOSGeometry *g, long face);

/* The region's faces cut by the lines, as units of level 0 (face = own
 * index); gr->noded keeps the noded lines. -1 on failure. */
int gs__graph_faces(graph *gr, const GEOSGeometry *region,
                    const GEOSGeometry *const *lines, size_t n_lines);

/* The unit among [first, last) holding (x, y), else the nearest; -1 when
 * the range is empty. */
long gs__graph_locate(const graph *gr, size_t first, size_t last, double x,
                      double y);

/* ---- building cells (building_cells.c) ----------------------------------- */

/* The units of a level from the faces: a face holding more than
 * `threshold` households with two or more groups becomes the Voronoi
 * cells of its buildings (cut by the lines inside it that close nothing),
 * the others stay whole. Sets each group's unit and the units' figures.
 * face_groups[face_start[f] .. face_start[f+1]) are face f's groups. -1
 * on failure. */
int gs__graph_cells(graph *gr, graph *faces, gs__building_group *groups,
                    size_t n_groups, const long *face_start,
                    const long *face_groups, long threshold);

/* ---- buildings kept whole (keep_whole.c) -------------------------------- */

/* Gives each group's shape (clipped to the region) whole to the group's
 * unit and cuts it out of the others; units left in pieces become one
 * unit per piece, groups relocated. Units' hh and persons are left for
 * the caller to recount. Before gs__graph_arcs. -1 on failure. */
int gs__graph_keep_whole(graph *gr, const GEOSGeometry *region,
                         gs__building_group *groups, size_t n_groups);

/* ---- blocks and corridors (blocks.c) ------------------------------------ */

/* Sets each face's blk1 and blk2: the block of the region cut by the
 * major lines, and by the major and medium ones (cls per line, NULL: all
 * medium). -1 on failure. */
int gs__faces_blocks(graph *faces, const GEOSGeometry *region,
                     const GEOSGeometry *const *lines, const int *cls,
                     size_t n_lines);

/* Road corridors: a block between major barriers holding no households
 * and thin (the median between two carriageways, a slip road's island)
 * is shared among the faces across its barriers, each taking the part of
 * it nearer to itself, so it is split along its middle and no grid gets a
 * thin arm along a road. face_hh per face. The corridor faces are
 * removed; *changed when any was. -1 on failure. */
int gs__faces_absorb_corridors(graph *faces, const long *face_hh, int *changed);

/* The subgraph of the units `ids` (n): units copied shallowly (their
 * geometries borrowed), the arcs among them re-indexed, components
 * joined. Free with gs__graph_sub_free. -1 on failure. */
int gs__graph_sub(const graph *gr, const long *ids, size_t n, graph *out);
void gs__graph_sub_free(graph *g);

/* ---- arcs (piece_graph.c) ------------------------------------------------ */

/* The arcs between units sharing more than 1 cm of boundary, zero-length
 * arcs joining the components, and the CSR. -1 on failure. */
int gs__graph_arcs(graph *gr);

/* ---- parts --------------------------------------------------------------- */

/* What a part is measured in: households, or persons by the persons
 * criterion. */
static inline long gs__unit_measure(const gs__partition_bounds *b,
                                    const unit *u) {
    return b->by_persons ? u->persons : u->hh;
}

/* How far `m` measure and `p` persons are outside the bounds of `k`
 * parts (0 within). */
static inline double gs__violation(const gs__partition_bounds *b, long m,
                                   long p, long k) {
    double v = 0;
    if (m < k * b->lo) v += (double)(k * b->lo - m);
    if (m > k * b->hi) v += (double)(m - k * b->hi);
    if (p > k * b->pmax) v += (double)(p - k * b->pmax);
    return v;
}

/* 1 when the units of part p but `skip` (none when skip is (size_t)-1)
 * are connected and there is one at least. queue and seen are work space
 * of gr->n entries (repair.c). */
int gs__partition_connected(const graph *gr, const long *part, long p,
                            size_t skip, size_t *queue, unsigned char *seen);

/* Divides the graph into k parts by recursive spanning-tree bisection
 * from `seed`; part[] per unit. The parts outside the bounds, or -1 when
 * out of memory (bisection.c). */
long gs__bisect(const graph *gr, const gs__partition_bounds *b, long k,
                uint64_t seed, long *part);

/* Moves single units (and, on small graphs, pairs) across part
 * boundaries while that brings the parts closer to the bounds, keeping
 * each connected. The misses left, -1 when out of memory (repair.c). */
long gs__repair(const graph *gr, const gs__partition_bounds *b, long k,
                long *part);

/* Straightens the boundaries of parts within the bounds by single moves
 * that shorten the cut. -1 when out of memory (repair.c). */
int gs__partition_polish(const graph *gr, const gs__partition_bounds *b, long k,
                         long *part);

/* An exhaustive search for k connected parts within the bounds on a small
 * graph: 1 and part[] set when found, 0 when none or the graph is too
 * large or the search too long, -1 out of memory (exact_search.c). */
int gs__exact(const graph *gr, const gs__partition_bounds *b, long k,
              long *part);

/* Fills `out` from the graph and the parts: per part its polygon, figures
 * and cut, per group its part. -1 on failure (part_shapes.c). */
int gs__division_parts(const graph *gr, const GEOSGeometry *region,
                       gs__building_group *groups, size_t n_groups,
                       const long *part, long k, gs__division *out);

#endif /* GS_PARTITION_PIECE_GRAPH_H */
