/*
 * stats.h - the numeric core of `gridsmith hotspots` (stats.c).
 *
 * Pure functions over plain arrays: no files, no GEOS, no context. Each
 * fallible function returns GS_OK or a GS_ERR_* code (GS_ERR_USAGE for a
 * caller's mistake such as a NULL array or a neighbour index out of range,
 * GS_ERR_INPUT_VALUE for a NaN or infinite value, GS_ERR_NOMEM) and writes
 * its results through out-parameters the caller allocates. They set no
 * message: the caller knows which layer and field the numbers came from and
 * says so on its context. All are reentrant and thread-safe.
 *
 * Neighbours are given as CSR adjacency: the neighbours of unit i are
 * nbr[nbr_start[i] .. nbr_start[i+1]-1], nbr_start has n+1 entries and
 * nbr_start[0] is 0. The callers build them (queen contiguity of grids with
 * GEOS, ring-1 of hexagons with gs__hex_adjacency in hexgrid.h).
 *
 * ---- Getis-Ord Gi* -------------------------------------------------------
 * Binary weights including self (w_ii = 1, w_ij = 1 for each listed
 * neighbour), the form of Getis and Ord (1995) that ArcGIS's Hot Spot
 * Analysis uses:
 *
 *   z_i = (sum_j w_ij x_j - Xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))
 *
 * with W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (both = 1 + neighbours, since
 * weights are binary), Xbar and S = sqrt(sum x^2 / n - Xbar^2) over all n
 * units. Two-sided p = erfc(|z| / sqrt 2). When every value is equal (S = 0)
 * or a unit neighbours every other (W_i = n, zero variance), z = 0, p = 1.
 *
 * ---- Benjamini-Hochberg and the bins -------------------------------------
 * BH at q: sort the m p-values, find the largest k with p_(k) <= k q / m; the
 * units with p <= p_(k) are discoveries.
 *
 * Gi_Bin (-3..3) follows ArcGIS's documentation of Hot Spot Analysis
 * (Getis-Ord Gi*), usage notes: bins +/-3, +/-2 and +/-1 mark significance
 * at the 99, 95 and 90 percent confidence levels, 0 none, and the optional
 * FDR correction lowers the critical p-value of each level to allow for
 * multiple testing; the z and p fields themselves are never corrected. How
 * each level's critical p-value is lowered is ESRI's own Stats.py
 * (fdrTransform, ArcGIS 10.1): a BH step-up per confidence level, with
 * cut-offs k/m x {0.10, 0.05, 0.01}. So:
 *
 *   |bin| = 3 when the unit passes BH at 0.01,
 *           2 when it passes BH at 0.05 (and not at 0.01),
 *           1 when it passes BH at 0.10 (and not at 0.05), else 0;
 *   the sign is the sign of z.
 *
 * The BH rejection sets are nested (a unit passing at 0.01 passes at 0.05),
 * so "passes FDR at 0.05" (docs/design.md) is exactly |bin| >= 2; the +/-1 bin
 * holds the units that pass BH at 0.10 only. Without FDR the same levels
 * apply to the raw p (p <= 0.01, 0.05, 0.10).
 *
 * ---- Mann-Kendall --------------------------------------------------------
 * S = sum_{i<j} sgn(x_j - x_i); Var S = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)]
 * / 18 over groups of t tied values; Z = (S - 1)/sqrt Var when S > 0,
 * (S + 1)/sqrt Var when S < 0, 0 when S = 0; two-sided p = erfc(|Z|/sqrt 2);
 * Kendall's tau-a = S / (n(n-1)/2).
 *
 * ---- Emerging hot spots --------------------------------------------------
 * Over the weekly Gi* results of one location (bins as above, z-scores in
 * time order), after ESRI's "How Emerging Hot Spot Analysis works" (ArcGIS
 * Pro, current edition). A week is a significant hot (cold) spot when its
 * bin is > 0 (< 0): 90 % confidence after FDR. H and C count the hot and
 * cold weeks of n; "90 % of the weeks" means H >= 0.9 n (computed as
 * 10 H >= 9 n). The trend is Mann-Kendall on the z-scores, significant when
 * p <= trend_alpha (0.10 by default: 90 %, like the weeks).
 *
 *   fewer than min_weeks (8) weeks .... INSUFFICIENT (no class is guessed)
 * final week hot:
 *   H >= 90 %, trend significantly up ... INTENSIFYING_HOT
 *   H >= 90 %, trend significantly down . DIMINISHING_HOT
 *   H >= 90 %, no significant trend ..... PERSISTENT_HOT
 *   H < 90 %, some earlier cold week .... OSCILLATING_HOT
 *   only the final week is hot .......... NEW_HOT
 *   the hot weeks are one unbroken run of at least two ending at the final
 *   week .............................. CONSECUTIVE_HOT
 *   otherwise (hot on and off, never cold)  SPORADIC_HOT
 * final week cold: the mirror image (an increasing trend of z intensifies a
 *   cold spot when it goes down, so INTENSIFYING_COLD needs a significant
 *   downward trend, DIMINISHING_COLD an upward one).
 * final week not significant:
 *   H >= 90 % ......................... HISTORICAL_HOT
 *   C >= 90 % ......................... HISTORICAL_COLD
 *   otherwise ......................... NO_PATTERN
 *
 * Where ESRI's definitions overlap, the order above decides: a location hot
 * in the final week that was ever cold (and hot less than 90 % of the time)
 * is OSCILLATING, not NEW or CONSECUTIVE, because the cold history is the
 * more informative fact; a location whose final week is a cold spot is
 * classed by that final week (e.g. OSCILLATING_COLD), not as HISTORICAL_HOT.
 * SPORADIC requires the final week to be hot, as the current ArcGIS Pro
 * text does (ArcMap 10.x did not); an on-and-off history that ends quiet is
 * NO_PATTERN.
 *
 * ---- DBSCAN --------------------------------------------------------------
 * Planar points in metres; a point's neighbourhood is every point within
 * distance <= eps, itself included; a core point has at least min_pts in its
 * neighbourhood. Points are visited in input order; each unvisited core
 * point starts the next cluster (numbered 0, 1, ... in that order) which is
 * grown completely before the next one starts, so a border point reachable
 * from several clusters belongs to the lowest-numbered one. Noise is -1.
 *
 * ---- Kernel density ------------------------------------------------------
 * Quartic (biweight) kernel, Silverman (1986) eq. 4.5 as ArcGIS's Kernel
 * Density uses it: K(d) = 3 / (pi h^2) (1 - d^2/h^2)^2 for d < h, else 0;
 * each point contributes weight x K at each cell centre. The result is a
 * density per square metre (multiply by 1e6 for per km^2); it integrates to
 * the sum of the weights.
 *
 * Bandwidth (ArcGIS Pro "How Kernel Density works", default search radius):
 * mean centre (weighted), distances from it, their (weighted) median Dm,
 * the (weighted) standard distance SD = sqrt(sum w d^2 / sum w), and
 *   h = 0.9 min(SD, sqrt(1 / ln 2) Dm) n^-0.2
 * where n is the number of points, or the sum of weights when weighted.
 */
#ifndef GS_STATS_H
#define GS_STATS_H

#include <stddef.h>

#include "gridsmith/gridsmith.h"

/* ---- Gi* ---------------------------------------------------------------- */

/* What gs__gistar could compute. */
typedef enum gs__gi_status {
    GS__GI_OK = 0,      /* z and p computed */
    GS__GI_TOO_FEW = 1, /* n < 3: every z = 0, p = 1 */
    GS__GI_CONSTANT = 2 /* all values equal (S = 0): every z = 0, p = 1 */
} gs__gi_status;

/*
 * Computes Gi* z-scores and two-sided p-values for n units with values x
 * and CSR neighbours (self is always counted once; a unit listed among its
 * own neighbours is ignored). out_z and out_p have n entries; out_status
 * may be NULL. Duplicate neighbours, an index >= n, or a decreasing
 * nbr_start are GS_ERR_USAGE; a non-finite x is GS_ERR_INPUT_VALUE. The
 * caller applies its own minimum number of units (the 30) before
 * trusting the result; n < 3 only avoids dividing by zero.
 */
int gs__gistar(const double *x, size_t n, const size_t *nbr_start,
               const size_t *nbr, double *out_z, double *out_p,
               gs__gi_status *out_status);

/* Two-sided p-value of a standard normal z: erfc(|z| / sqrt 2). */
double gs__p_two_sided(double z);

/*
 * Benjamini-Hochberg at level q in (0, 1]: out_pass[i] = 1 when p[i] is a
 * discovery, else 0. *out_cutoff (may be NULL) receives the largest
 * discovered p, 0 when there is none. p must lie in [0, 1]
 * (GS_ERR_INPUT_VALUE otherwise).
 */
int gs__fdr_bh(const double *p, size_t n, double q, unsigned char *out_pass,
               double *out_cutoff);

/*
 * Gi_Bin -3..3 for n units (rule in the header comment): with use_fdr, BH
 * per confidence level (0.01, 0.05, 0.10); without, the raw p against the
 * same levels. A z of 0 has bin 0.
 */
int gs__gi_bins(const double *z, const double *p, size_t n, int use_fdr,
                signed char *out_bin);

/* ---- Mann-Kendall -------------------------------------------------------- */

typedef struct gs__mk_result {
    double s;     /* Kendall's S */
    double var_s; /* its variance under H0, tie-corrected */
    double z;     /* continuity-corrected normal score */
    double p;     /* two-sided p-value */
    double tau;   /* Kendall's tau-a, S / (n(n-1)/2) */
} gs__mk_result;

/*
 * Mann-Kendall trend test on x[0..n-1] in time order. With n < 2 or all
 * values tied (Var S = 0) the result is S = 0, Z = 0, p = 1. Non-finite
 * values are GS_ERR_INPUT_VALUE. O(n^2) time, O(n) memory.
 */
int gs__mann_kendall(const double *x, size_t n, gs__mk_result *out);

/* ---- emerging hot spots -------------------------------------------------- */

typedef enum gs__ehsa_class {
    GS__EHSA_NO_PATTERN = 0,
    GS__EHSA_NEW_HOT,
    GS__EHSA_CONSECUTIVE_HOT,
    GS__EHSA_INTENSIFYING_HOT,
    GS__EHSA_PERSISTENT_HOT,
    GS__EHSA_DIMINISHING_HOT,
    GS__EHSA_SPORADIC_HOT,
    GS__EHSA_OSCILLATING_HOT,
    GS__EHSA_HISTORICAL_HOT,
    GS__EHSA_NEW_COLD,
    GS__EHSA_CONSECUTIVE_COLD,
    GS__EHSA_INTENSIFYING_COLD,
    GS__EHSA_PERSISTENT_COLD,
    GS__EHSA_DIMINISHING_COLD,
    GS__EHSA_SPORADIC_COLD,
    GS__EHSA_OSCILLATING_COLD,
    GS__EHSA_HISTORICAL_COLD,
    GS__EHSA_INSUFFICIENT, /* fewer weeks than min_weeks: no class */
    GS__EHSA_COUNT
} gs__ehsa_class;

typedef struct gs__ehsa_opts {
    size_t min_weeks;   /* fewer weeks is INSUFFICIENT (8) */
    double trend_alpha; /* Mann-Kendall p at or below is a trend (0.10) */
} gs__ehsa_opts;

/* The defaults: min_weeks 8, trend_alpha 0.10. */
void gs__ehsa_opts_default(gs__ehsa_opts *o);

typedef struct gs__ehsa_result {
    gs__ehsa_class cls;
    size_t hot_weeks, cold_weeks; /* weeks with bin > 0, < 0 */
    gs__mk_result trend;          /* Mann-Kendall of the z-scores */
} gs__ehsa_result;

/*
 * Classifies one location from its weekly Gi* bins and z-scores (n weeks,
 * oldest first; rules in the header comment). opts may be NULL for the
 * defaults. GS_ERR_USAGE for a bin outside -3..3 or bad options,
 * GS_ERR_INPUT_VALUE for a non-finite z.
 */
int gs__ehsa_classify(const signed char *bins, const double *z, size_t n,
                      const gs__ehsa_opts *opts, gs__ehsa_result *out);

/* snake_case name of a class for output fields ("new_hot_spot", ...,
 * "no_pattern", "insufficient_history"). Static; never NULL. */
const char *gs__ehsa_class_name(gs__ehsa_class c);

/* ---- DBSCAN -------------------------------------------------------------- */

/*
 * Clusters n planar points (rule in the header comment). out_label[i] is the
 * cluster number or -1 for noise; out_core (may be NULL) marks core points;
 * *out_n_clusters receives the number of clusters. eps must be > 0 and
 * finite, min_pts >= 1. A uniform grid of eps-sized cells (sorted cell keys,
 * binary search) finds neighbourhoods, so time is O(n log n + n k) for k
 * points per neighbourhood; an extent over 2^31 cells across is
 * GS_ERR_USAGE.
 */
int gs__dbscan(const double *x, const double *y, size_t n, double eps,
               size_t min_pts, long *out_label, unsigned char *out_core,
               size_t *out_n_clusters);

/* ---- kernel density ------------------------------------------------------ */

/* A raster: nx columns by ny rows of square cells of `cell` metres; (x0, y0)
 * is the top-left (north-west) corner, row 0 is the northernmost, as in a
 * GeoTIFF geotransform (x0, cell, 0, y0, 0, -cell). The centre of cell
 * (row, col) is (x0 + (col + 0.5) cell, y0 - (row + 0.5) cell). */
typedef struct gs__raster {
    double x0, y0, cell;
    size_t nx, ny;
} gs__raster;

/*
 * Quartic kernel density of n points (weights w, or 1 each when w is NULL)
 * with bandwidth h at the cell centres of `grid`, written row-major to
 * out_density (nx * ny values, per square metre; overwritten, not added
 * to). Each point touches only the cells within h of it. Points may lie
 * outside the raster. GS_ERR_USAGE for h or cell not > 0 or an empty
 * raster; GS_ERR_INPUT_VALUE for a non-finite coordinate or weight.
 */
int gs__kde_quartic(const double *x, const double *y, const double *w, size_t n,
                    double h, const gs__raster *grid, double *out_density);

/* gs__kde_quartic on `threads` workers (each a band of rows), calling
 * progress(user, fraction) now and then from the calling thread when
 * progress is not NULL. The same raster for any number of workers.
 * GS_ERR_NOMEM besides gs__kde_quartic's codes. */
int gs__kde_quartic_mt(const double *x, const double *y, const double *w,
                       size_t n, double h, const gs__raster *grid,
                       double *out_density, int threads,
                       void (*progress)(void *user, double fraction),
                       void *user);

/*
 * The default bandwidth (rule in the header comment) of n points, weights w
 * (NULL for 1 each, else each >= 0 with a positive sum). *out_h receives h;
 * out_sd and out_dm (may be NULL) the standard distance and median distance
 * it came from, for the record. GS_ERR_INPUT_EMPTY for n = 0;
 * GS_ERR_INPUT_VALUE for a non-finite value, a negative weight or weights
 * summing to 0, and when h would be 0 (one point, or half the weight at
 * one spot), where the caller must choose h itself; GS_ERR_NOMEM.
 */
int gs__kde_bandwidth(const double *x, const double *y, const double *w,
                      size_t n, double *out_h, double *out_sd, double *out_dm);

#endif /* GS_STATS_H */
