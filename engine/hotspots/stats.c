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
#include "pool.h"

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

/* Sorts v[0..n), whose items are in input order, by key with ties in
 * that order (as qsort with cmp_key_ref): a stable radix sort, 16 bits a
 * pass, passes whose digit never varies skipped. Linear in n, for
 * DBSCAN's millions of cell keys. GS_ERR_NOMEM. */
static int sort_keys(key_ref *v, size_t n) {
    key_ref *tmp;
    size_t *count;
    if (n < 4096) {
        qsort(v, n, sizeof *v, cmp_key_ref);
        return GS_OK;
    }
    tmp = gs__malloc(n * sizeof *tmp);
    count = gs__malloc(65536 * sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return GS_ERR_NOMEM;
    }
    for (int shift = 0; shift < 64; shift += 16) {
        size_t sum = 0;
        uint64_t first = v[0].key >> shift & 0xffff;
        int varies = 0;
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++) {
            uint64_t d = v[i].key >> shift & 0xffff;
            count[d]++;
            varies |= d != first;
        }
        if (!varies) continue;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[v[i].key >> shift & 0xffff]++] = v[i];
        memcpy(v, tmp, n * sizeof *v);
    }
    free(tmp);
    free(count);
    return GS_OK;
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

/*
 * The textbook algorithm asks every point for its whole neighbourhood, so a
 * dense week (hundreds of events within eps of each) costs n times the
 * neighbourhood: quadratic as density grows with n. This one gives the
 * same labels (the rule in stats.h) without listing neighbourhoods:
 *
 *   cells    the points sorted into square cells of eps/sqrt(2) (less a
 *            hair), so any two points of a cell are within eps; a point's
 *            neighbours lie in the 5 x 5 cells around its own. Inside each
 *            cell the points are arranged as an implicit k-d tree.
 *   core     a cell holding min_pts points or more, whose points' bounding
 *            box has a diagonal within eps, is all core; any other point
 *            counts its neighbours cell by cell in the k-d trees, stopping
 *            at min_pts (a subtree whose box lies wholly within eps counts
 *            at once).
 *   clusters the core points of one cell belong together; two cells join
 *            when some core point of one has a core point of the other
 *            within eps (one k-d query per core point and neighbouring
 *            cell, stopping at the first); the joined cells are a
 *            cluster, numbered by its first core point in input order, as
 *            the visiting order numbers them.
 *   border   a point that is not core joins the lowest-numbered cluster
 *            with a core point within eps, as the first cluster to be
 *            grown would claim it; with none it is noise.
 *
 * Every decision compares (x_j - x_i)^2 + (y_j - y_i)^2 with eps^2 as the
 * textbook algorithm does, and a box is only trusted through bounds that
 * are the points' own coordinates, so rounding can never differ. Time is
 * O(n log n) for any density.
 */

typedef struct kpt {
    double x, y;
    size_t i;
} kpt;

typedef struct dcell {
    uint64_t key;
    size_t a, b;           /* its points: pts[a..b), as a k-d tree */
    size_t ca, cb;         /* its core points: cpts[ca..cb), as a k-d tree */
    double x0, x1, y0, y1; /* bounding box of all its points */
    size_t up;             /* union-find parent (cell index) */
} dcell;

/* The axis coordinate of a point at depth `d` of a k-d tree. */
static double kaxis(const kpt *p, int d) { return d & 1 ? p->y : p->x; }

static int kless(const kpt *a, const kpt *b, int d) {
    double u = kaxis(a, d), v = kaxis(b, d);
    if (u != v) return u < v;
    return a->i < b->i;
}

static void kswap(kpt *a, kpt *b) {
    kpt t = *a;
    *a = *b;
    *b = t;
}

/* Moves the element of rank k (by axis d, ties by index) of v[0..n) to
 * v[k], smaller ones before it, larger after: quickselect with a pivot
 * drawn from a fixed-seed generator, so expected linear and repeatable. */
static void kselect(kpt *v, size_t n, size_t k, int d, uint64_t *seed) {
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t i, store;
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        kswap(&v[lo + (size_t)(*seed % (hi - lo))], &v[hi - 1]);
        for (i = store = lo; i + 1 < hi; i++)
            if (kless(&v[i], &v[hi - 1], d)) kswap(&v[i], &v[store++]);
        kswap(&v[store], &v[hi - 1]);
        if (store == k) return;
        if (k < store)
            hi = store;
        else
            lo = store + 1;
    }
}

/* Arranges v[0..n) as an implicit k-d tree: the node of a range is its
 * middle element, the range's lower half before it is on its left (not
 * greater on the axis of the depth), the upper half on its right. */
static void kbuild(kpt *v, size_t n, int d, uint64_t *seed) {
    while (n > 8) {
        size_t m = n / 2;
        kselect(v, n, m, d, seed);
        kbuild(v, m, d + 1, seed);
        v += m + 1;
        n -= m + 1;
        d++;
    }
}

/* The square of the distance the textbook algorithm compares. */
static double kd2(double x, double y, double qx, double qy) {
    double dx = x - qx, dy = y - qy;
    return dx * dx + dy * dy;
}

/* How many points of the tree v[0..n) (depth d, all within the box
 * [x0,x1] x [y0,y1] whose bounds are coordinates of points) lie within
 * eps of (qx, qy), counting no further than `cap`. */
static size_t kcount(const kpt *v, size_t n, int d, double x0, double x1,
                     double y0, double y1, double qx, double qy, double eps2,
                     size_t cap) {
    size_t c = 0;
    while (n > 0 && c < cap) {
        double nx = qx < x0 ? x0 : qx > x1 ? x1 : qx;
        double ny = qy < y0 ? y0 : qy > y1 ? y1 : qy;
        double fx = qx - x0 > x1 - qx ? x0 : x1;
        double fy = qy - y0 > y1 - qy ? y0 : y1;
        size_t m;
        double split;
        if (kd2(nx, ny, qx, qy) > eps2) break; /* the box is too far */
        if (kd2(fx, fy, qx, qy) <= eps2) {     /* the box is within eps */
            c += n;
            break;
        }
        if (n <= 8) {
            for (size_t k = 0; k < n && c < cap; k++)
                c += kd2(v[k].x, v[k].y, qx, qy) <= eps2;
            break;
        }
        m = n / 2;
        split = kaxis(&v[m], d);
        c += kd2(v[m].x, v[m].y, qx, qy) <= eps2;
        if (c >= cap) break;
        /* The lower half, then the upper half in the loop. */
        if (d & 1)
            c += kcount(v, m, d + 1, x0, x1, y0, split, qx, qy, eps2, cap - c);
        else
            c += kcount(v, m, d + 1, x0, split, y0, y1, qx, qy, eps2, cap - c);
        if (d & 1)
            y0 = split;
        else
            x0 = split;
        v += m + 1;
        n -= m + 1;
        d++;
    }
    return c < cap ? c : cap;
}

/* Points of cell c (core ones when `core`) within eps of (qx, qy), at
 * most cap. */
static size_t cell_count(const dcell *c, const kpt *pts, const kpt *cpts,
                         int core, double qx, double qy, double eps2,
                         size_t cap) {
    const kpt *v = core ? cpts + c->ca : pts + c->a;
    size_t n = core ? c->cb - c->ca : c->b - c->a;
    return kcount(v, n, 0, c->x0, c->x1, c->y0, c->y1, qx, qy, eps2, cap);
}

/* Finds the cells around each cell (5 x 5, itself included) for cells
 * taken in increasing order: one cursor per row of the five, which only
 * moves forward, so all cells' neighbours cost O(cells) together. */
typedef struct near_walk {
    size_t pos[5];
} near_walk;

/* The cells around cell c into out[25] (c not below the previous call's);
 * returns how many exist. */
static size_t near_cells(const dcell *cells, size_t nc, size_t c, near_walk *w,
                         size_t out[25]) {
    uint64_t cx = cells[c].key & 0xffffffffu, cy = cells[c].key >> 32;
    size_t m = 0;
    for (int d = 0; d < 5; d++) {
        uint64_t row = cy + (uint64_t)d, lo, hi;
        size_t k;
        if (row < 2) continue;
        row -= 2;
        lo = row << 32 | (cx >= 2 ? cx - 2 : 0);
        hi = row << 32 | (cx + 2);
        k = w->pos[d];
        while (k < nc && cells[k].key < lo) k++;
        w->pos[d] = k;
        for (; k < nc && cells[k].key <= hi; k++) out[m++] = k;
    }
    return m;
}

static size_t uf_find(dcell *cells, size_t c) {
    while (cells[c].up != c) {
        cells[c].up = cells[cells[c].up].up;
        c = cells[c].up;
    }
    return c;
}

/* Labels during the run: below -1 means not yet visited. */
#define NOISE (-1L)

/* Sorts the points into cells (keys), each arranged as a k-d tree;
 * *out_cells, *out_nc. GS_ERR_NOMEM. */
static int dbscan_cells(const double *x, const double *y, size_t n, double minx,
                        double miny, double side, kpt *pts, dcell **out_cells,
                        size_t *out_nc) {
    key_ref *kr = gs__malloc(n * sizeof *kr);
    dcell *cells = NULL;
    size_t nc = 0;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    if (!kr) return GS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t cx = (uint64_t)floor((x[i] - minx) / side);
        uint64_t cy = (uint64_t)floor((y[i] - miny) / side);
        kr[i].key = cy << 32 | cx;
        kr[i].i = i;
    }
    if (sort_keys(kr, n)) {
        free(kr);
        return GS_ERR_NOMEM;
    }
    for (size_t k = 0; k < n; k++) nc += k == 0 || kr[k].key != kr[k - 1].key;
    cells = gs__calloc(nc, sizeof *cells);
    if (!cells) {
        free(kr);
        return GS_ERR_NOMEM;
    }
    nc = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = kr[k].i;
        dcell *c;
        if (k == 0 || kr[k].key != kr[k - 1].key) {
            c = &cells[nc++];
            c->key = kr[k].key;
            c->a = k;
            c->x0 = c->x1 = x[i];
            c->y0 = c->y1 = y[i];
            c->up = nc - 1;
        }
        c = &cells[nc - 1];
        c->b = k + 1;
        c->x0 = fmin(c->x0, x[i]);
        c->x1 = fmax(c->x1, x[i]);
        c->y0 = fmin(c->y0, y[i]);
        c->y1 = fmax(c->y1, y[i]);
        pts[k] = (kpt){x[i], y[i], i};
    }
    free(kr);
    for (size_t c = 0; c < nc; c++)
        kbuild(pts + cells[c].a, cells[c].b - cells[c].a, 0, &seed);
    *out_cells = cells;
    *out_nc = nc;
    return GS_OK;
}

/* Marks the core points (core[i]) and copies them, cell by cell, into
 * cpts as k-d trees. */
static void dbscan_core(dcell *cells, size_t nc, const kpt *pts, kpt *cpts,
                        double eps2, size_t min_pts, unsigned char *core) {
    size_t w = 0, near[25];
    near_walk walk = {{0}};
    uint64_t seed = 0x2545F4914F6CDD1Du;
    for (size_t c = 0; c < nc; c++) {
        dcell *cl = &cells[c];
        size_t m = cl->b - cl->a, nn = 0;
        int all = m >= min_pts && kd2(cl->x1, cl->y1, cl->x0, cl->y0) <= eps2;
        cl->ca = w;
        for (size_t k = cl->a; k < cl->b; k++) {
            size_t cnt = 0;
            if (!all) {
                if (!nn) nn = near_cells(cells, nc, c, &walk, near);
                for (size_t q = 0; q < nn && cnt < min_pts; q++)
                    cnt += cell_count(&cells[near[q]], pts, NULL, 0, pts[k].x,
                                      pts[k].y, eps2, min_pts - cnt);
            }
            if (all || cnt >= min_pts) {
                core[pts[k].i] = 1;
                cpts[w++] = pts[k];
            }
        }
        cl->cb = w;
        kbuild(cpts + cl->ca, cl->cb - cl->ca, 0, &seed);
    }
}

/* Joins cells whose core points lie within eps of each other. */
static void dbscan_join(dcell *cells, size_t nc, const kpt *cpts, double eps2) {
    size_t near[25];
    near_walk walk = {{0}};
    for (size_t c = 0; c < nc; c++) {
        size_t nn;
        if (cells[c].cb == cells[c].ca) continue;
        nn = near_cells(cells, nc, c, &walk, near);
        for (size_t q = 0; q < nn; q++) {
            size_t o = near[q], ra, rb;
            if (o <= c || cells[o].cb == cells[o].ca) continue;
            ra = uf_find(cells, c);
            rb = uf_find(cells, o);
            if (ra == rb) continue;
            for (size_t k = cells[c].ca; k < cells[c].cb; k++)
                if (cell_count(&cells[o], NULL, cpts, 1, cpts[k].x, cpts[k].y,
                               eps2, 1)) {
                    cells[ra < rb ? rb : ra].up = ra < rb ? ra : rb;
                    break;
                }
        }
    }
}

int gs__dbscan(const double *x, const double *y, size_t n, double eps,
               size_t min_pts, long *out_label, unsigned char *out_core,
               size_t *out_n_clusters) {
    int rc = GS_OK;
    kpt *pts = NULL, *cpts = NULL;
    dcell *cells = NULL;
    unsigned char *core = NULL;
    size_t nc = 0, ncl = 0, *first = NULL, near[25];
    near_walk walk = {{0}};
    key_ref *order = NULL;
    long *lab = NULL;
    double minx, miny, maxx, maxy, side, eps2;

    if (out_n_clusters) *out_n_clusters = 0;
    if (!out_n_clusters || (n > 0 && (!x || !y || !out_label)) ||
        !(eps > 0 && isfinite(eps)) || min_pts < 1)
        return GS_ERR_USAGE;
    if (!all_finite(x, n) || !all_finite(y, n)) return GS_ERR_INPUT_VALUE;
    if (out_core) memset(out_core, 0, n);
    if (n == 0) return GS_OK;

    eps2 = eps * eps;
    /* Cells a hair narrower than eps / sqrt(2): any two points of a cell
     * are then within eps, whatever the rounding of the division; the
     * bounding-box test in dbscan_core makes sure. */
    side = eps / kSqrt2 * (1 - 1e-6);
    minx = maxx = x[0];
    miny = maxy = y[0];
    for (size_t i = 1; i < n; i++) {
        minx = fmin(minx, x[i]);
        maxx = fmax(maxx, x[i]);
        miny = fmin(miny, y[i]);
        maxy = fmax(maxy, y[i]);
    }
    /* Column and row numbers, and the two cells beyond them that
     * near_cells asks for, must fit in 31 bits. */
    if ((maxx - minx) / side >= 2147483640.0 ||
        (maxy - miny) / side >= 2147483640.0)
        return GS_ERR_USAGE;

    pts = gs__malloc(n * sizeof *pts);
    cpts = gs__malloc(n * sizeof *cpts);
    core = gs__calloc(n, 1);
    if (!pts || !cpts || !core ||
        (rc = dbscan_cells(x, y, n, minx, miny, side, pts, &cells, &nc)))
        goto nomem;
    dbscan_core(cells, nc, pts, cpts, eps2, min_pts, core);
    dbscan_join(cells, nc, cpts, eps2);

    /* Clusters are numbered by their first core point in input order. */
    first = gs__malloc(nc * sizeof *first);
    lab = gs__malloc(nc * sizeof *lab);
    order = gs__malloc(nc * sizeof *order);
    if (!first || !lab || !order) goto nomem;
    for (size_t c = 0; c < nc; c++) {
        first[c] = SIZE_MAX;
        lab[c] = NOISE;
    }
    for (size_t c = 0; c < nc; c++) {
        size_t r = uf_find(cells, c);
        for (size_t k = cells[c].ca; k < cells[c].cb; k++)
            if (cpts[k].i < first[r]) first[r] = cpts[k].i;
    }
    for (size_t c = 0; c < nc; c++)
        if (first[c] != SIZE_MAX) order[ncl++] = (key_ref){first[c], c};
    qsort(order, ncl, sizeof *order, cmp_key_ref);
    for (size_t k = 0; k < ncl; k++) lab[order[k].i] = (long)k;

    for (size_t c = 0; c < nc; c++) {
        size_t nn = 0;
        for (size_t k = cells[c].a; k < cells[c].b; k++) {
            size_t i = pts[k].i;
            long best = NOISE;
            if (core[i]) {
                out_label[i] = lab[uf_find(cells, c)];
                if (out_core) out_core[i] = 1;
                continue;
            }
            if (!nn) nn = near_cells(cells, nc, c, &walk, near);
            for (size_t q = 0; q < nn; q++) {
                const dcell *o = &cells[near[q]];
                long l;
                if (o->cb == o->ca) continue;
                l = lab[uf_find(cells, near[q])];
                if (best != NOISE && l >= best) continue;
                if (cell_count(o, NULL, cpts, 1, pts[k].x, pts[k].y, eps2, 1))
                    best = l;
            }
            out_label[i] = best;
        }
    }
    goto done;
nomem:
    rc = GS_ERR_NOMEM;
done:
    free(pts);
    free(cpts);
    free(cells);
    free(core);
    free(first);
    free(lab);
    free(order);
    if (rc == GS_OK)
        *out_n_clusters = ncl;
    else
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

/* One worker's share of the density: the raster rows [r0, r1) (counted
 * from the north) and every point's part in them. */
typedef struct kde_job {
    const double *x, *y, *w;
    size_t n;
    double h;
    const gs__raster *grid;
    double *out;
    size_t r0, r1;
    double *a; /* per column: 1 - dx^2 / h^2 of the current point */
    void (*progress)(void *user, double fraction);
    void *user;
} kde_job;

/* Two doubles at once: GCC's and clang's vector extension, which becomes
 * SSE2 on x86-64 and NEON on ARM. */
typedef double kde_v2 __attribute__((vector_size(16)));
typedef long long kde_m2 __attribute__((vector_size(16)));

/* line[q] += wk u^2 with u = a[q] - b where u > 0, for q < n: one row of
 * a point's kernel. Two cells a step (at -O2 the compiler vectorises no
 * loop whose count it does not know); the same arithmetic, cell by cell,
 * as the plain loop that finishes the row. */
static void kde_row(double *restrict line, const double *restrict a, size_t n,
                    double b, double wk) {
    const kde_v2 vb = {b, b}, vw = {wk, wk}, zero = {0, 0};
    size_t q = 0;
    for (; q + 2 <= n; q += 2) {
        kde_v2 u, l;
        memcpy(&u, a + q, sizeof u);
        memcpy(&l, line + q, sizeof l);
        u -= vb;
        u = (kde_v2)((kde_m2)u & (kde_m2)(u > zero));
        l += vw * u * u;
        memcpy(line + q, &l, sizeof l);
    }
    for (; q < n; q++) {
        double u = a[q] - b;
        u = u > 0 ? u : 0.0;
        line[q] += wk * u * u;
    }
}

/* Adds each point's kernel to the job's rows. The kernel is evaluated as
 * u = (1 - dx^2/h^2) - dy^2/h^2 with the column part computed once per
 * point, so the inner loop has no division and vectorises; each cell sums
 * the points in input order whichever worker holds its row, so the
 * raster does not depend on the number of workers. */
static void *kde_worker(void *arg) {
    kde_job *j = arg;
    const gs__raster *g = j->grid;
    double h2 = j->h * j->h, k = 3.0 / (kPi * h2);
    /* Column centres run east from x0 + cell/2; row centres run south
     * from y0 - cell/2, i.e. north from ybottom, the southernmost row's. */
    double ybottom = g->y0 - ((double)g->ny - 0.5) * g->cell;
    size_t s_lo = g->ny - j->r1, s_hi = g->ny - 1 - j->r0; /* south rows */
    for (size_t i = 0; i < j->n; i++) {
        size_t c0, c1, r0, r1;
        double wk = (j->w ? j->w[i] : 1.0) * k;
        if (j->progress && (i & 0xffff) == 0xffff)
            j->progress(j->user, (double)i / (double)j->n);
        if (!cell_range(j->y[i], j->h, ybottom, g->cell, g->ny, &r0, &r1) ||
            r1 < s_lo || r0 > s_hi ||
            !cell_range(j->x[i], j->h, g->x0 + 0.5 * g->cell, g->cell, g->nx,
                        &c0, &c1))
            continue;
        if (r0 < s_lo) r0 = s_lo;
        if (r1 > s_hi) r1 = s_hi;
        for (size_t col = c0; col <= c1; col++) {
            double dx = g->x0 + ((double)col + 0.5) * g->cell - j->x[i];
            j->a[col] = 1 - dx * dx / h2;
        }
        /* r0..r1 count rows from the south; the raster counts from the
         * north. */
        for (size_t rs = r0; rs <= r1; rs++) {
            double dy = ybottom + (double)rs * g->cell - j->y[i];
            double b = dy * dy / h2;
            double *restrict line = j->out + (g->ny - 1 - rs) * g->nx + c0;
            const double *restrict a = j->a + c0;
            kde_row(line, a, c1 - c0 + 1, b, wk);
        }
    }
    return NULL;
}

int gs__kde_quartic_mt(const double *x, const double *y, const double *w,
                       size_t n, double h, const gs__raster *grid,
                       double *out_density, int threads,
                       void (*progress)(void *user, double fraction),
                       void *user) {
    kde_job jobs[GS__POOL_MAX];
    int rc = GS_OK;
    if (!grid || !out_density || (n > 0 && (!x || !y)) ||
        !(h > 0 && isfinite(h)) || !(grid->cell > 0 && isfinite(grid->cell)) ||
        !isfinite(grid->x0) || !isfinite(grid->y0) || grid->nx == 0 ||
        grid->ny == 0 || grid->nx > SIZE_MAX / grid->ny)
        return GS_ERR_USAGE;
    if (!all_finite(x, n) || !all_finite(y, n) || (w && !all_finite(w, n)))
        return GS_ERR_INPUT_VALUE;
    memset(out_density, 0, grid->nx * grid->ny * sizeof *out_density);
    threads = gs__pool_workers(threads, grid->ny, 64);
    for (int t = 0; t < threads; t++) {
        kde_job *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->x = x;
        j->y = y;
        j->w = w;
        j->n = n;
        j->h = h;
        j->grid = grid;
        j->out = out_density;
        j->r0 = grid->ny * (size_t)t / (size_t)threads;
        j->r1 = grid->ny * (size_t)(t + 1) / (size_t)threads;
        j->a = gs__malloc(grid->nx * sizeof *j->a);
        if (!j->a) rc = GS_ERR_NOMEM;
        if (t == 0) {
            j->progress = progress;
            j->user = user;
        }
    }
    if (!rc) gs__parallel(kde_worker, jobs, sizeof *jobs, threads);
    for (int t = 0; t < threads; t++) free(jobs[t].a);
    return rc;
}

int gs__kde_quartic(const double *x, const double *y, const double *w, size_t n,
                    double h, const gs__raster *grid, double *out_density) {
    return gs__kde_quartic_mt(x, y, w, n, h, grid, out_density, 1, NULL, NULL);
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
