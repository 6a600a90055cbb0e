/*
 * stats.c - the statistics behind `gridsmith hotspots`: Getis-Ord Gi*,
 * Benjamini-Hochberg and the Gi_Bin levels, Mann-Kendall and the emerging
 * hot spot classes, DBSCAN, and the quartic kernel density with its
 * default bandwidth. The exact rules, and where they were taken from, are
 * in stats.h.
 *
 * Data flow: the hotspot subsystem counts events per unit (grid or
 * hexagon), builds the units' neighbours as CSR arrays, and calls
 * gs__gistar -> gs__gi_bins per period; for a multi-week history it keeps
 * each unit's weekly bins and z-scores and calls gs__ehsa_classify. Event
 * points (metric x, y) go to gs__dbscan and gs__kde_quartic directly.
 *
 * Why this way: everything here is plain arithmetic on arrays, kept apart
 * from GEOS and OGR so that each formula can be checked against figures
 * worked by hand (tests/test_stats.c) and reused for grids and hexagons
 * alike. Results must not depend on the order of hash tables or threads, so
 * every sort breaks ties by input index and every loop runs in input order.
 * Inputs are validated before any output is written; NaN is refused rather
 * than propagated, since a NaN z-score would silently become "not
 * significant" in every comparison.
 */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

/* Not from <math.h>: M_PI and M_SQRT2 are not ISO C. */
static const double kPi = 3.14159265358979323846;
static const double kSqrt2 = 1.41421356237309504880;

/* p-value and level comparisons allow this relative slack, so that
 * boundaries written in decimal (p = 0.001 against k q / m = 1 x 0.01 / 10)
 * compare as equal although neither side is exact in binary. */
static const double kRelTol = 1e-12;

static int all_finite(const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

double gs__p_two_sided(double z) { return erfc(fabs(z) / kSqrt2); }

/* ---- Gi* ----------------------------------------------------------------- */

/* Checks the CSR arrays: nbr_start[0] == 0, non-decreasing, indices < n,
 * no neighbour listed twice for one unit (self entries are allowed and
 * skipped later). `stamp` is n entries of scratch. */
static int check_csr(size_t n, const size_t *nbr_start, const size_t *nbr,
                     size_t *stamp) {
    if (nbr_start[0] != 0) return GS_ERR_USAGE;
    if (nbr_start[n] > 0 && !nbr) return GS_ERR_USAGE;
    memset(stamp, 0, n * sizeof *stamp);
    for (size_t i = 0; i < n; i++) {
        if (nbr_start[i + 1] < nbr_start[i]) return GS_ERR_USAGE;
        for (size_t k = nbr_start[i]; k < nbr_start[i + 1]; k++) {
            size_t j = nbr[k];
            if (j >= n || stamp[j] == i + 1) return GS_ERR_USAGE;
            stamp[j] = i + 1;
        }
    }
    return GS_OK;
}

int gs__gistar(const double *x, size_t n, const size_t *nbr_start,
               const size_t *nbr, double *out_z, double *out_p,
               gs__gi_status *out_status) {
    int rc = GS_OK, constant = 1;
    size_t *stamp = NULL;
    double mean = 0, var = 0, s;
    gs__gi_status st = GS__GI_OK;

    if (out_status) *out_status = GS__GI_OK;
    if (!nbr_start || (n > 0 && (!x || !out_z || !out_p))) return GS_ERR_USAGE;
    if (n == 0) {
        if (nbr_start[0] != 0) return GS_ERR_USAGE;
        if (out_status) *out_status = GS__GI_TOO_FEW;
        return GS_OK;
    }
    stamp = gs__malloc(n * sizeof *stamp);
    if (!stamp) return GS_ERR_NOMEM;
    rc = check_csr(n, nbr_start, nbr, stamp);
    if (rc != GS_OK) goto done;
    if (!all_finite(x, n)) {
        rc = GS_ERR_INPUT_VALUE;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out_z[i] = 0;
        out_p[i] = 1;
        if (x[i] != x[0]) constant = 0;
    }
    if (n < 3) {
        st = GS__GI_TOO_FEW;
        goto done;
    }
    if (constant) {
        st = GS__GI_CONSTANT;
        goto done;
    }
    /* S^2 = sum x^2 / n - Xbar^2, computed as the mean squared deviation
     * (same value, without the cancellation of the textbook form). */
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    s = sqrt(var / (double)n);
    for (size_t i = 0; i < n; i++) {
        double sum = x[i], w = 1, den2;
        for (size_t k = nbr_start[i]; k < nbr_start[i + 1]; k++) {
            if (nbr[k] == i) continue; /* self already counted */
            sum += x[nbr[k]];
            w += 1;
        }
        /* Binary weights: sum w^2 = sum w = W. */
        den2 = ((double)n * w - w * w) / (double)(n - 1);
        if (!(den2 > 0)) continue; /* W == n: no variance, z = 0 */
        out_z[i] = (sum - mean * w) / (s * sqrt(den2));
        out_p[i] = gs__p_two_sided(out_z[i]);
    }
done:
    free(stamp);
    if (rc == GS_OK && out_status) *out_status = st;
    return rc;
}

/* ---- sorting with reproducible ties -------------------------------------- */

/* An item to sort: an unsigned key and the item's input index, which
 * breaks ties so that every order is the same from run to run. Both the
 * p-values and DBSCAN's grid cells sort as these. */
typedef struct key_ref {
    uint64_t key;
    size_t i;
} key_ref;

static int cmp_key_ref(const void *a, const void *b) {
    const key_ref *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* A key that sorts like the non-negative double v: the IEEE 754 bits of a
 * non-negative double, read as an unsigned integer, grow with the number.
 * Adding +0.0 first turns -0.0 (sign bit set) into +0.0. */
static uint64_t key_of_nonneg(double v) {
    uint64_t k;
    v += 0.0;
    memcpy(&k, &v, sizeof k);
    return k;
}

/* ---- Benjamini-Hochberg -------------------------------------------------- */

/* Sorts the p-values (ties by index) into a new array; NULL when out of
 * memory. Non-NULL for n == 0. */
static key_ref *sort_pvals(const double *p, size_t n) {
    key_ref *r = gs__malloc((n ? n : 1) * sizeof *r);
    if (!r) return NULL;
    for (size_t i = 0; i < n; i++) {
        r[i].key = key_of_nonneg(p[i]);
        r[i].i = i;
    }
    qsort(r, n, sizeof *r, cmp_key_ref);
    return r;
}

/* The BH step-up on sorted p-values: the largest k (1-based) with
 * p_(k) <= k q / m, 0 when none. */
static size_t bh_count(const double *p, const key_ref *sorted, size_t m,
                       double q) {
    size_t kmax = 0;
    for (size_t k = 1; k <= m; k++)
        if (p[sorted[k - 1].i] * (double)m <= (double)k * q * (1 + kRelTol))
            kmax = k;
    return kmax;
}

static int pvals_ok(const double *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0 && p[i] <= 1)) return 0; /* also catches NaN */
    return 1;
}

int gs__fdr_bh(const double *p, size_t n, double q, unsigned char *out_pass,
               double *out_cutoff) {
    key_ref *sorted = NULL;
    size_t k;
    if (out_cutoff) *out_cutoff = 0;
    if ((n > 0 && (!p || !out_pass)) || !(q > 0 && q <= 1)) return GS_ERR_USAGE;
    if (!pvals_ok(p, n)) return GS_ERR_INPUT_VALUE;
    if (n == 0) return GS_OK;
    sorted = sort_pvals(p, n);
    if (!sorted) return GS_ERR_NOMEM;
    k = bh_count(p, sorted, n, q);
    memset(out_pass, 0, n);
    /* The first k in sorted order are the discoveries; ties with the k-th
     * are among them, since the step-up would otherwise have gone on. */
    for (size_t j = 0; j < k; j++) out_pass[sorted[j].i] = 1;
    if (out_cutoff && k > 0) *out_cutoff = p[sorted[k - 1].i];
    free(sorted);
    return GS_OK;
}

int gs__gi_bins(const double *z, const double *p, size_t n, int use_fdr,
                signed char *out_bin) {
    /* Confidence levels from the weakest bin (1) to the strongest (3). */
    static const double alpha[3] = {0.10, 0.05, 0.01};
    key_ref *sorted = NULL;
    if (n > 0 && (!z || !p || !out_bin)) return GS_ERR_USAGE;
    if (!pvals_ok(p, n) || !all_finite(z, n)) return GS_ERR_INPUT_VALUE;
    if (n == 0) return GS_OK;
    memset(out_bin, 0, n);
    if (use_fdr) {
        sorted = sort_pvals(p, n);
        if (!sorted) return GS_ERR_NOMEM;
        /* BH per level; the sets are nested, so each stronger level
         * raises the bins of a prefix of the sorted order. */
        for (int lv = 0; lv < 3; lv++) {
            size_t k = bh_count(p, sorted, n, alpha[lv]);
            for (size_t j = 0; j < k; j++) out_bin[sorted[j].i] = lv + 1;
        }
        free(sorted);
    } else {
        for (size_t i = 0; i < n; i++)
            for (int lv = 0; lv < 3; lv++)
                if (p[i] <= alpha[lv] * (1 + kRelTol)) out_bin[i] = lv + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (z[i] < 0) out_bin[i] = (signed char)-out_bin[i];
        if (z[i] == 0) out_bin[i] = 0;
    }
    return GS_OK;
}

/* ---- Mann-Kendall -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int gs__mann_kendall(const double *x, size_t n, gs__mk_result *out) {
    double s = 0, var, ties = 0, *v = NULL, nd = (double)n;
    if (!out) return GS_ERR_USAGE;
    memset(out, 0, sizeof *out);
    out->p = 1;
    if (n > 0 && !x) return GS_ERR_USAGE;
    if (!all_finite(x, n)) return GS_ERR_INPUT_VALUE;
    if (n < 2) return GS_OK;
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++) s += (x[j] > x[i]) - (x[j] < x[i]);
    /* Tie correction: groups of equal values, found by sorting a copy. */
    v = gs__malloc(n * sizeof *v);
    if (!v) return GS_ERR_NOMEM;
    memcpy(v, x, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i]) j++;
        if (j - i > 1) {
            double t = (double)(j - i);
            ties += t * (t - 1) * (2 * t + 5);
        }
        i = j;
    }
    free(v);
    var = (nd * (nd - 1) * (2 * nd + 5) - ties) / 18.0;
    out->s = s;
    out->var_s = var;
    out->tau = s / (nd * (nd - 1) / 2);
    if (var > 0 && s != 0) {
        out->z = (s > 0 ? s - 1 : s + 1) / sqrt(var);
        out->p = gs__p_two_sided(out->z);
    }
    return GS_OK;
}

/* ---- emerging hot spots -------------------------------------------------- */

void gs__ehsa_opts_default(gs__ehsa_opts *o) {
    o->min_weeks = 8;
    o->trend_alpha = 0.10;
}

static const char *const ehsa_names[GS__EHSA_COUNT] = {
    "no_pattern",
    "new_hot_spot",
    "consecutive_hot_spot",
    "intensifying_hot_spot",
    "persistent_hot_spot",
    "diminishing_hot_spot",
    "sporadic_hot_spot",
    "oscillating_hot_spot",
    "historical_hot_spot",
    "new_cold_spot",
    "consecutive_cold_spot",
    "intensifying_cold_spot",
    "persistent_cold_spot",
    "diminishing_cold_spot",
    "sporadic_cold_spot",
    "oscillating_cold_spot",
    "historical_cold_spot",
    "insufficient_history",
};

const char *gs__ehsa_class_name(gs__ehsa_class c) {
    return (unsigned)c < GS__EHSA_COUNT ? ehsa_names[c] : "unknown";
}

static int sign_of(signed char b) { return (b > 0) - (b < 0); }

/* Classifies a location whose final week is significant, seen from that
 * week's side (hot or cold): `same` counts the weeks on that side, `other`
 * the weeks on the opposite side, `run` the final unbroken run on that
 * side; `toward` is a significant trend of z toward that side (more
 * intense), `away` one against it. Returns the hot class; for a cold final
 * week the caller maps it to its cold mirror. */
static gs__ehsa_class classify_final(size_t n, size_t same, size_t other,
                                     size_t run, int toward, int away) {
    if (10 * same >= 9 * n) {
        if (toward) return GS__EHSA_INTENSIFYING_HOT;
        if (away) return GS__EHSA_DIMINISHING_HOT;
        return GS__EHSA_PERSISTENT_HOT;
    }
    if (other > 0) return GS__EHSA_OSCILLATING_HOT;
    if (same == 1) return GS__EHSA_NEW_HOT;
    if (run == same) return GS__EHSA_CONSECUTIVE_HOT; /* run >= 2 here */
    return GS__EHSA_SPORADIC_HOT;
}

int gs__ehsa_classify(const signed char *bins, const double *z, size_t n,
                      const gs__ehsa_opts *opts, gs__ehsa_result *out) {
    gs__ehsa_opts def;
    int rc, last, up, down;
    size_t run = 0;
    if (!out) return GS_ERR_USAGE;
    memset(out, 0, sizeof *out);
    out->cls = GS__EHSA_INSUFFICIENT;
    out->trend.p = 1;
    if (!opts) {
        gs__ehsa_opts_default(&def);
        opts = &def;
    }
    if ((n > 0 && (!bins || !z)) ||
        !(opts->trend_alpha > 0 && opts->trend_alpha < 1))
        return GS_ERR_USAGE;
    for (size_t i = 0; i < n; i++) {
        if (bins[i] < -3 || bins[i] > 3) return GS_ERR_USAGE;
        if (bins[i] > 0) out->hot_weeks++;
        if (bins[i] < 0) out->cold_weeks++;
    }
    rc = gs__mann_kendall(z, n, &out->trend);
    if (rc != GS_OK) return rc;
    if (n == 0 || n < opts->min_weeks) return GS_OK;

    last = sign_of(bins[n - 1]);
    up = out->trend.p <= opts->trend_alpha * (1 + kRelTol) && out->trend.s > 0;
    down =
        out->trend.p <= opts->trend_alpha * (1 + kRelTol) && out->trend.s < 0;
    /* The final unbroken run of weeks with the final week's sign. */
    while (last != 0 && run < n && sign_of(bins[n - 1 - run]) == last) run++;
    if (last > 0) {
        out->cls =
            classify_final(n, out->hot_weeks, out->cold_weeks, run, up, down);
    } else if (last < 0) {
        /* The cold classes sit 8 places after their hot mirrors. */
        out->cls =
            classify_final(n, out->cold_weeks, out->hot_weeks, run, down, up) +
            (GS__EHSA_NEW_COLD - GS__EHSA_NEW_HOT);
    } else if (10 * out->hot_weeks >= 9 * n) {
        out->cls = GS__EHSA_HISTORICAL_HOT;
    } else if (10 * out->cold_weeks >= 9 * n) {
        out->cls = GS__EHSA_HISTORICAL_COLD;
    } else {
        out->cls = GS__EHSA_NO_PATTERN;
    }
    return GS_OK;
}

/* ---- DBSCAN -------------------------------------------------------------- */

typedef struct dbscan_index {
    const double *x, *y;
    double eps2, minx, miny, cell;
    key_ref *cells; /* points by cell, key = row << 32 | column */
    size_t n;
} dbscan_index;

static uint64_t cell_of(const dbscan_index *ix, size_t i) {
    uint64_t cx = (uint64_t)floor((ix->x[i] - ix->minx) / ix->cell);
    uint64_t cy = (uint64_t)floor((ix->y[i] - ix->miny) / ix->cell);
    return cy << 32 | cx;
}

/* First position whose key is >= key. */
static size_t lower_bound(const key_ref *c, size_t n, uint64_t key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Writes the points within eps of point i (itself included) to out and
 * returns their number; out has room for n. The 3 x 3 cells around i's
 * cell hold every candidate, since cells are at least eps wide; each row
 * of three cells is one run of the sorted keys. */
static size_t region(const dbscan_index *ix, size_t i, size_t *out) {
    uint64_t key = cell_of(ix, i), cx = key & 0xffffffffu, cy = key >> 32;
    size_t m = 0;
    for (uint64_t row = cy ? cy - 1 : 0; row <= cy + 1; row++) {
        uint64_t lo = row << 32 | (cx ? cx - 1 : 0), hi = row << 32 | (cx + 1);
        for (size_t k = lower_bound(ix->cells, ix->n, lo);
             k < ix->n && ix->cells[k].key <= hi; k++) {
            size_t j = ix->cells[k].i;
            double dx = ix->x[j] - ix->x[i], dy = ix->y[j] - ix->y[i];
            if (dx * dx + dy * dy <= ix->eps2) out[m++] = j;
        }
    }
    return m;
}

/* Labels during the run: below -1 means not yet visited. */
#define UNVISITED (-2L)
#define NOISE (-1L)

int gs__dbscan(const double *x, const double *y, size_t n, double eps,
               size_t min_pts, long *out_label, unsigned char *out_core,
               size_t *out_n_clusters) {
    int rc = GS_OK;
    dbscan_index ix = {0};
    size_t *nb = NULL, *queue = NULL, nclusters = 0;
    double maxx, maxy;

    if (out_n_clusters) *out_n_clusters = 0;
    if (!out_n_clusters || (n > 0 && (!x || !y || !out_label)) ||
        !(eps > 0 && isfinite(eps)) || min_pts < 1)
        return GS_ERR_USAGE;
    if (!all_finite(x, n) || !all_finite(y, n)) return GS_ERR_INPUT_VALUE;
    if (out_core) memset(out_core, 0, n);
    if (n == 0) return GS_OK;

    ix.x = x;
    ix.y = y;
    ix.n = n;
    ix.eps2 = eps * eps;
    /* Cells a hair wider than eps: two points eps apart then never fall
     * two cells apart through rounding in the division. */
    ix.cell = eps * (1 + 1e-9);
    ix.minx = maxx = x[0];
    ix.miny = maxy = y[0];
    for (size_t i = 1; i < n; i++) {
        ix.minx = fmin(ix.minx, x[i]);
        maxx = fmax(maxx, x[i]);
        ix.miny = fmin(ix.miny, y[i]);
        maxy = fmax(maxy, y[i]);
    }
    /* Column and row numbers must fit in 31 bits (the +1 of region()
     * must not carry into the row). */
    if ((maxx - ix.minx) / ix.cell >= 2147483647.0 ||
        (maxy - ix.miny) / ix.cell >= 2147483647.0)
        return GS_ERR_USAGE;

    ix.cells = gs__malloc(n * sizeof *ix.cells);
    nb = gs__malloc(n * sizeof *nb);
    queue = gs__malloc(n * sizeof *queue);
    if (!ix.cells || !nb || !queue) {
        rc = GS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ix.cells[i].key = cell_of(&ix, i);
        ix.cells[i].i = i;
        out_label[i] = UNVISITED;
    }
    qsort(ix.cells, n, sizeof *ix.cells, cmp_key_ref);

    for (size_t i = 0; i < n; i++) {
        size_t m, head = 0, tail = 0;
        long c;
        if (out_label[i] != UNVISITED) continue;
        m = region(&ix, i, nb);
        if (m < min_pts) {
            out_label[i] = NOISE; /* may become a border point later */
            continue;
        }
        c = (long)nclusters++;
        out_label[i] = c;
        if (out_core) out_core[i] = 1;
        /* Grow cluster c completely before the scan goes on: unvisited
         * points join and are expanded in turn; noise points (known to be
         * non-core) join as border points. Each point enters the queue at
         * most once. */
        for (;;) {
            size_t q;
            for (size_t k = 0; k < m; k++) {
                size_t j = nb[k];
                if (out_label[j] == UNVISITED) queue[tail++] = j;
                if (out_label[j] < 0) out_label[j] = c;
            }
            if (head == tail) break;
            q = queue[head++];
            m = region(&ix, q, nb);
            if (m < min_pts)
                m = 0; /* a border point: joins, does not expand */
            else if (out_core)
                out_core[q] = 1;
        }
    }
done:
    free(ix.cells);
    free(nb);
    free(queue);
    if (rc == GS_OK)
        *out_n_clusters = nclusters;
    else if (out_label)
        for (size_t i = 0; i < n; i++) out_label[i] = NOISE;
    return rc;
}

/* ---- kernel density ------------------------------------------------------ */

/* The index range [*lo, *hi] of cell centres c0 + k step (k = 0..count-1,
 * step > 0) strictly within h of v; returns 0 when empty. */
static int cell_range(double v, double h, double c0, double step, size_t count,
                      size_t *lo, size_t *hi) {
    double a = ceil((v - h - c0) / step), b = floor((v + h - c0) / step);
    if (a < 0) a = 0;
    if (b > (double)count - 1) b = (double)count - 1;
    if (!(a <= b)) return 0;
    *lo = (size_t)a;
    *hi = (size_t)b;
    return 1;
}

int gs__kde_quartic(const double *x, const double *y, const double *w, size_t n,
                    double h, const gs__raster *grid, double *out_density) {
    double h2, k, ybottom;
    if (!grid || !out_density || (n > 0 && (!x || !y)) ||
        !(h > 0 && isfinite(h)) || !(grid->cell > 0 && isfinite(grid->cell)) ||
        !isfinite(grid->x0) || !isfinite(grid->y0) || grid->nx == 0 ||
        grid->ny == 0 || grid->nx > SIZE_MAX / grid->ny)
        return GS_ERR_USAGE;
    if (!all_finite(x, n) || !all_finite(y, n) || (w && !all_finite(w, n)))
        return GS_ERR_INPUT_VALUE;
    memset(out_density, 0, grid->nx * grid->ny * sizeof *out_density);
    h2 = h * h;
    k = 3.0 / (kPi * h2);
    /* Column centres run east from x0 + cell/2; row centres run south from
     * y0 - cell/2, i.e. north from ybottom, the southernmost row's. */
    ybottom = grid->y0 - ((double)grid->ny - 0.5) * grid->cell;
    for (size_t i = 0; i < n; i++) {
        size_t c0, c1, r0, r1;
        double wi = w ? w[i] : 1.0;
        if (!cell_range(x[i], h, grid->x0 + 0.5 * grid->cell, grid->cell,
                        grid->nx, &c0, &c1) ||
            !cell_range(y[i], h, ybottom, grid->cell, grid->ny, &r0, &r1))
            continue;
        /* r0..r1 count rows from the south; the raster counts from the
         * north. */
        for (size_t rs = r0; rs <= r1; rs++) {
            size_t row = grid->ny - 1 - rs;
            double dy = ybottom + (double)rs * grid->cell - y[i];
            double *line = out_density + row * grid->nx;
            for (size_t col = c0; col <= c1; col++) {
                double dx = grid->x0 + ((double)col + 0.5) * grid->cell - x[i];
                double d2 = dx * dx + dy * dy, u;
                if (d2 >= h2) continue;
                u = 1 - d2 / h2;
                line[col] += wi * k * u * u;
            }
        }
    }
    return GS_OK;
}

typedef struct dist_ref {
    double d, w;
} dist_ref;

static int cmp_dist(const void *a, const void *b) {
    const dist_ref *x = a, *y = b;
    return x->d < y->d ? -1 : x->d > y->d;
}

int gs__kde_bandwidth(const double *x, const double *y, const double *w,
                      size_t n, double *out_h, double *out_sd, double *out_dm) {
    int rc = GS_OK;
    dist_ref *d = NULL;
    double sw = 0, mx = 0, my = 0, ss = 0, sd, dm = 0, cum = 0, h;
    size_t m = 0;

    if (out_h) *out_h = 0;
    if (out_sd) *out_sd = 0;
    if (out_dm) *out_dm = 0;
    if (!out_h || (n > 0 && (!x || !y))) return GS_ERR_USAGE;
    if (n == 0) return GS_ERR_INPUT_EMPTY;
    if (!all_finite(x, n) || !all_finite(y, n) || (w && !all_finite(w, n)))
        return GS_ERR_INPUT_VALUE;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi < 0) return GS_ERR_INPUT_VALUE;
        sw += wi;
        mx += wi * x[i];
        my += wi * y[i];
    }
    if (!(sw > 0)) return GS_ERR_INPUT_VALUE;
    mx /= sw;
    my /= sw;

    /* Distances from the mean centre; points of weight 0 take no part. */
    d = gs__malloc(n * sizeof *d);
    if (!d) return GS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, dx = x[i] - mx, dy = y[i] - my;
        if (wi == 0) continue;
        d[m].d = sqrt(dx * dx + dy * dy);
        d[m].w = wi;
        ss += wi * (dx * dx + dy * dy);
        m++;
    }
    sd = sqrt(ss / sw);
    /* Weighted median: the first distance where the cumulative weight
     * reaches half the total; exactly half there means the median lies
     * between it and the next (for unit weights: the ordinary median). */
    qsort(d, m, sizeof *d, cmp_dist);
    for (size_t k = 0; k < m; k++) {
        cum += d[k].w;
        if (cum >= sw / 2 * (1 - kRelTol)) {
            dm = d[k].d;
            if (fabs(cum - sw / 2) <= kRelTol * sw && k + 1 < m)
                dm = (d[k].d + d[k + 1].d) / 2;
            break;
        }
    }
    h = 0.9 * fmin(sd, sqrt(1 / log(2.0)) * dm) * pow(sw, -0.2);
    if (out_sd) *out_sd = sd;
    if (out_dm) *out_dm = dm;
    if (!(h > 0) || !isfinite(h)) {
        rc = GS_ERR_INPUT_VALUE;
        goto done;
    }
    *out_h = h;
done:
    free(d);
    return rc;
}
