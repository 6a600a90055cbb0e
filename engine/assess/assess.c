/*
 * assess.c - gs_assess_run: the monthly assessment of grid members (月考核).
 *
 * What. The standard assesses each grid member monthly on basic work
 * (patrol, information collection, service visits, event reporting),
 * special work and residents' evaluation (awareness, satisfaction), as a
 * weighted score out of 100 graded into tiers. This file computes that
 * score for every member the ledger holds for a month and writes it as a
 * GeoPackage a street office can defend line by line: each sub-score, the
 * inputs it came from, and every default taken for an input the member
 * lacks (`defaults_used`), never a silent zero.
 *
 * How data flows.
 *
 *   month -> its ISO weeks (by their Thursday) -> period [day0, day1]
 *   ledger member_week, member_day of those weeks -> per member: workdays,
 *        workdays with daily_ok, weeks, weeks with weekly_ok, grid shape
 *        (the latest week's) and grid codes
 *   offline CSV (member_id,item,score) -> per member and item: mean score
 *   visits CSV + traces + households -> each visit checked against the
 *        member's fixes (point to fix distance, metric CRS); care targets
 *        (households of a care type with a visit interval, in a member's
 *        grid, assigned as validate does) -> care windows met or missed
 *   -> gs__assess_score per member -> layers assessment, visits,
 *        care_overdue, bad_rows
 *
 * Why this way. The period is whole ISO weeks because the ledger keeps
 * weeks and every week should be assessed in exactly one month; a week
 * belongs to the month of its Thursday (as ISO 8601 assigns weeks to
 * years). Visits are checked against fixes, not against the straight line
 * between fixes, so that a verified visit always rests on a recorded
 * position; the closest fix is written with each visit so a disputed one
 * can be looked at. Only the fixes inside some visit's time window are
 * projected, which keeps a city's month of traces cheap. The offline and
 * visits files are small and hand-made: a bad row stops the run with its
 * file, line and field (or, with --on-error=skip, is left out and listed
 * in bad_rows), because a mistyped score silently changes a tier.
 */
#define _POSIX_C_SOURCE 200809L
#include "assess.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crs.h"
#include "io.h"
#include "writer.h"
#include "datetime.h"
#include "report.h"
#include "csvread.h"
#include "traces.h"
#include "households.h"
#include "shard.h"
#include "rules.h"

void gs_assess_opts_init(gs_assess_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* ---- the period ---------------------------------------------------------- */

int gs__assess_period(const char *month, gs__aperiod *out) {
    int32_t first, next, thu;
    int y, mo;
    memset(out, 0, sizeof *out);
    if (!month || strlen(month) != 7 || month[4] != '-')
        return GS_ERR_INPUT_VALUE;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (month[i] < '0' || month[i] > '9'))
            return GS_ERR_INPUT_VALUE;
    y = (month[0] - '0') * 1000 + (month[1] - '0') * 100 +
        (month[2] - '0') * 10 + (month[3] - '0');
    mo = (month[5] - '0') * 10 + (month[6] - '0');
    if (y < 1 || mo < 1 || mo > 12) return GS_ERR_INPUT_VALUE;
    first = gs__days_from_civil(y, mo, 1);
    next = mo == 12 ? gs__days_from_civil(y + 1, 1, 1)
                    : gs__days_from_civil(y, mo + 1, 1);
    /* The month's first Thursday (weekday 4), then every 7 days. */
    thu = first + (4 - gs__weekday(first) + 7) % 7;
    out->year = y;
    out->month = mo;
    for (; thu < next; thu += 7) out->monday[out->nweeks++] = thu - 3;
    out->day0 = out->monday[0];
    out->day1 = out->monday[out->nweeks - 1] + 6;
    return GS_OK;
}

/* ---- scoring ------------------------------------------------------------- */

const char *gs__assess_tier(const gs_rules *r, double total) {
    /* A hair of tolerance: 89.99999999 from summing thirds is 90. */
    const double eps = 1e-9;
    if (total + eps >= r->tier_excellent) return "优秀";
    if (total + eps >= r->tier_good) return "良好";
    if (total + eps >= r->tier_pass) return "合格";
    return "不合格";
}

/* Records that item k took the default: "NAME=PCT% (why)" appended to
 * the defaults taken. */
static void note_default(gs__ascore *s, int k, const char *name, double pct,
                         const char *why) {
    size_t n = strlen(s->defaults_used);
    s->defaulted[k] = 1;
    snprintf(s->defaults_used + n, sizeof s->defaults_used - n,
             "%s%s=%g%% (%s)", n ? "; " : "", name, pct, why);
}

void gs__assess_score(const gs_rules *r, const gs__ainput *in,
                      gs__ascore *out) {
    const double *def = r->assess_default_pct;
    double daily, weekly, s = r->patrol_daily_share;
    memset(out, 0, sizeof *out);

    /* Patrol: the daily and the weekly share, each defaulted alone. */
    if (in->workdays > 0) {
        daily = 100.0 * (double)in->workdays_ok / (double)in->workdays;
    } else {
        daily = def[GS_ASSESS_PATROL];
        note_default(out, GS_ASSESS_PATROL, "patrol.daily", daily,
                     "no workday in the ledger for the month");
    }
    if (in->weeks > 0) {
        weekly = 100.0 * (double)in->weeks_ok / (double)in->weeks;
    } else {
        weekly = def[GS_ASSESS_PATROL];
        note_default(out, GS_ASSESS_PATROL, "patrol.weekly", weekly,
                     "no week in the ledger for the month");
    }
    out->pct[GS_ASSESS_PATROL] = s * daily + (1.0 - s) * weekly;

    /* Service visits: care windows met, else verified visits, else an
     * offline score, else the default. */
    if (in->have_visits && in->care_due > 0) {
        out->pct[GS_ASSESS_VISITS] =
            100.0 * (double)in->care_met / (double)in->care_due;
    } else if (in->have_visits && in->visits > 0) {
        out->pct[GS_ASSESS_VISITS] =
            100.0 * (double)in->visits_verified / (double)in->visits;
    } else if (isfinite(in->offline_pct[GS_ASSESS_VISITS])) {
        out->pct[GS_ASSESS_VISITS] = in->offline_pct[GS_ASSESS_VISITS];
    } else {
        out->pct[GS_ASSESS_VISITS] = def[GS_ASSESS_VISITS];
        note_default(out, GS_ASSESS_VISITS, "visits", def[GS_ASSESS_VISITS],
                     in->have_visits ? "no care target and no visit recorded"
                                     : "no visit records and no offline score");
    }

    /* The rest come from the offline scores. */
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) {
        if (k == GS_ASSESS_PATROL || k == GS_ASSESS_VISITS) continue;
        if (isfinite(in->offline_pct[k])) {
            out->pct[k] = in->offline_pct[k];
        } else {
            out->pct[k] = def[k];
            note_default(out, k, gs__assess_items[k], def[k],
                         "no offline score");
        }
    }
    for (int k = 0; k < GS_ASSESS_ITEMS; k++)
        out->points[k] = r->assess_weight[k] * out->pct[k] / 100.0;
    out->basic = out->points[GS_ASSESS_PATROL] +
                 out->points[GS_ASSESS_INFORMATION] +
                 out->points[GS_ASSESS_VISITS] + out->points[GS_ASSESS_EVENTS];
    out->residents =
        out->points[GS_ASSESS_AWARENESS] + out->points[GS_ASSESS_SATISFACTION];
    out->total = out->basic + out->points[GS_ASSESS_SPECIAL] + out->residents;
    out->tier = gs__assess_tier(r, out->total);
}

/* ---- visits and care windows --------------------------------------------- */

/* The index of the first of the n elements of `base` (sorted by cmp) that
 * is not below `key`; n when none. cmp(element, key), as qsort's. */
static size_t lower_bound(const void *key, const void *base, size_t n,
                          size_t size, int (*cmp)(const void *, const void *)) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp((const char *)base + mid * size, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_vfix_t(const void *a, const void *b) {
    int64_t x = ((const gs__vfix *)a)->t_ms, y = ((const gs__vfix *)b)->t_ms;
    return (x > y) - (x < y);
}

/* The index of the first fix at or after t_ms in f[0..n) (sorted). */
static size_t first_fix_from(const gs__vfix *f, size_t n, int64_t t_ms) {
    gs__vfix key;
    key.t_ms = t_ms;
    return lower_bound(&key, f, n, sizeof *f, cmp_vfix_t);
}

void gs__visit_check(const gs__vfix *f, size_t n, double hx, double hy,
                     int64_t t_ms, const gs_rules *r, gs__vcheck *out) {
    int64_t w = (int64_t)llround(r->visit_window_s * 1000.0);
    int64_t best_dt = 0;
    memset(out, 0, sizeof *out);
    out->dist_m = NAN;
    for (size_t i = first_fix_from(f, n, t_ms - w);
         i < n && f[i].t_ms <= t_ms + w; i++) {
        double d;
        int64_t dt = f[i].t_ms > t_ms ? f[i].t_ms - t_ms : t_ms - f[i].t_ms;
        if (isfinite(f[i].accuracy_m) && f[i].accuracy_m > r->low_accuracy_m)
            continue;
        d = hypot(f[i].x - hx, f[i].y - hy);
        if (!isfinite(d)) continue;
        if (!out->found || d < out->dist_m ||
            (d == out->dist_m && dt < best_dt)) {
            out->found = 1;
            out->dist_m = d;
            out->fix_t_ms = f[i].t_ms;
            best_dt = dt;
        }
    }
    out->verified = out->found && out->dist_m <= r->visit_radius_m;
}

static int windows_due(int ndays, int interval) {
    int n = interval > 0 ? ndays / interval : 1;
    return n < 1 ? 1 : n;
}

void gs__care_window_days(int32_t day0, int ndays, int interval, int k,
                          int32_t *out_first, int32_t *out_last) {
    int due = windows_due(ndays, interval);
    *out_first = day0 + k * interval;
    *out_last = k == due - 1 ? day0 + ndays - 1 : *out_first + interval - 1;
}

void gs__care_windows(int32_t day0, int ndays, int interval,
                      const int32_t *visit_days, size_t n, int *out_due,
                      int *out_met, int *out_first_missed) {
    int due = windows_due(ndays, interval), met = 0;
    *out_first_missed = -1;
    for (int k = 0; k < due; k++) {
        int32_t a, b;
        int hit = 0;
        gs__care_window_days(day0, ndays, interval, k, &a, &b);
        for (size_t i = 0; i < n && !hit; i++)
            hit = visit_days[i] >= a && visit_days[i] <= b;
        met += hit;
        if (!hit && *out_first_missed < 0) *out_first_missed = k;
    }
    *out_due = due;
    *out_met = met;
}

/* ---- the run: state ------------------------------------------------------ */

/* A row of the offline or visits CSV that could not be used. */
typedef struct badrow {
    const char *source; /* "offline" or "visits" */
    const char *path;
    uint32_t line;
    const char *member_id;
    const char *field;
    const char *reason;
} badrow;

/* A member_week row of the period. */
typedef struct wrow {
    const char *member_id, *grid_code, *week, *note;
    int weekly_ok;
    OGRGeometryH geom; /* owned, output CRS; NULL when none */
} wrow;

typedef struct amember {
    const char *id;
    const char *grid_code; /* the latest week's codes, ';'-joined */
    const char *note;      /* the ledger's notes, and ours */
    OGRGeometryH geom;     /* owned: the latest week's grid shape(s) */
    gs__ainput in;
    double off_sum[GS_ASSESS_ITEMS];
    long off_n[GS_ASSESS_ITEMS];
    long care_targets;
    gs__ascore score;
} amember;

/* A recorded visit inside the period. */
typedef struct avisit {
    const char *member_id, *household_id, *kind;
    int64_t t_ms;
    uint32_t line;
    long member;     /* index into the members, or -1 */
    long household;  /* index into the households, or -1 */
    long trace;      /* index into the traces, or -1 */
    size_t off, len; /* its fixes in the projected buffer */
    gs__vcheck chk;
    char detail[96];
} avisit;

/* A care target of a member and how the month went. */
typedef struct duty {
    long member, household;
    int type, due, met, first_missed;
    long verified;
    int64_t last_t; /* the last verified visit, or INT64_MIN */
} duty;

/* A member's fixes near the period, sorted by time (x, y: lon, lat). */
typedef struct mtrace {
    const char *id;
    gs__vfix *f;
    size_t n;
} mtrace;

typedef struct run {
    gs_ctx *ctx;
    const gs_assess_opts *o;
    const gs_input_opts *in;
    const gs_rules *r;
    gs__aperiod per;
    int64_t t0, t1; /* the period in UTC: [t0, t1) */
    gs__tz *tz;
    gs__arena strings;
    gs__crsinfo crs;
    gs__inputs info;
    wrow *rows;
    size_t n_rows;
    char weeks[GS__MONTH_WEEKS][9]; /* the period's weeks */
    int have_week[GS__MONTH_WEEKS]; /* ... held by the ledger */
    amember *m;
    size_t n_m;
    badrow *bad;
    size_t n_bad, cap_bad;
    avisit *v;
    size_t n_v, cap_v;
    duty *duties;
    size_t n_duties;
    gs__model hm; /* grids (from the ledger), roster pairs, households */
    mtrace *tracks;
    size_t n_tracks;
    gs__vfix *fixes; /* one block the tracks point into */
    /* counts for the report */
    long offline_rows, offline_unknown, visits_outside, visits_unknown;
    long care_no_grid, care_unknown_type, overdue;
    char unknown_example[64], care_type_example[64];
} run;

static void run_free(run *R) {
    for (size_t i = 0; i < R->n_rows; i++)
        if (R->rows[i].geom) OGR_G_DestroyGeometry(R->rows[i].geom);
    for (size_t i = 0; i < R->n_m; i++)
        if (R->m[i].geom) OGR_G_DestroyGeometry(R->m[i].geom);
    free(R->rows);
    free(R->m);
    free(R->bad);
    free(R->v);
    free(R->duties);
    free(R->tracks);
    free(R->fixes);
    gs__model_free(&R->hm);
    gs__crsinfo_free(&R->crs);
    gs__inputs_free(&R->info);
    gs__tz_close(R->tz);
    gs__arena_free(&R->strings);
}

static char *keep(run *R, const char *s) {
    return gs__arena_strdup(&R->strings, s);
}

static int nomem(run *R) {
    return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
}

/* Grows *v (of element size `size`) to hold one more; hard maximum of
 * 2^28 elements, far above a city's month. */
static int grow(run *R, void **v, size_t *cap, size_t n, size_t size) {
    void *nv;
    size_t nc;
    if (n < *cap) return GS_OK;
    nc = *cap ? *cap * 2 : 256;
    if (nc > ((size_t)1 << 28)) return nomem(R);
    nv = gs__realloc(*v, nc * size);
    if (!nv) return nomem(R);
    *v = nv;
    *cap = nc;
    return GS_OK;
}

/* ISO 8601 UTC with 'Z' of an instant. */
static void iso_utc(int64_t ms, char out[32]) {
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int32_t day = (int32_t)(s >= 0 ? s / 86400 : (s - 86399) / 86400);
    int sod = (int)(s - (int64_t)day * 86400), y, mo, d;
    gs__civil_from_days(day, &y, &mo, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, sod / 3600,
             sod / 60 % 60, sod % 60);
}

static int cmp_member_id(const void *key, const void *elem) {
    return strcmp(key, ((const amember *)elem)->id);
}

static long find_member(const run *R, const char *id) {
    const amember *m = bsearch(id, R->m, R->n_m, sizeof *R->m, cmp_member_id);
    return m ? (long)(m - R->m) : -1;
}

/* ---- the ledger ---------------------------------------------------------- */

/* Finds the fields `names` of ledger table `l` (`optional`: a bitmask of
 * those that may be missing, then -1). GS_ERR_INPUT_FIELD naming the
 * table and the field. */
static int ledger_fields(run *R, OGRLayerH l, const char *const *names, int n,
                         unsigned optional, int *idx) {
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
    for (int i = 0; i < n; i++) {
        idx[i] = OGR_FD_GetFieldIndex(fd, names[i]);
        if (idx[i] < 0 && !(optional & (1u << i)))
            return gs__err(R->ctx, GS_ERR_INPUT_FIELD,
                           "%s (ledger), table %s: no field '%s'; is this "
                           "the ledger of 'gridsmith run'?",
                           R->o->ledger, OGR_L_GetName(l), names[i]);
    }
    return GS_OK;
}

static const char *field_str(OGRFeatureH f, int i) {
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? OGR_F_GetFieldAsString(f, i)
               : "";
}

static long field_int(OGRFeatureH f, int i) {
    return i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)
               ? (long)OGR_F_GetFieldAsInteger64(f, i)
               : 0;
}

/* The "no data for the month" message: which weeks the ledger does hold. */
static int no_rows(run *R, GDALDatasetH ds) {
    OGRLayerH res = GDALDatasetExecuteSQL(
        ds, "SELECT DISTINCT week FROM member_week ORDER BY week", NULL, NULL);
    char held[400] = "";
    size_t off = 0;
    long n = 0;
    OGRFeatureH f;
    while (res && (f = OGR_L_GetNextFeature(res)) != NULL) {
        if (off + 40 < sizeof held) {
            int w = snprintf(held + off, sizeof held - off, "%s%s",
                             n ? ", " : "", field_str(f, 0));
            if (w > 0) off += (size_t)w;
        } else if (off + 5 < sizeof held && held[off - 1] != '.') {
            off += (size_t)snprintf(held + off, sizeof held - off, ", ...");
        }
        n++;
        OGR_F_Destroy(f);
    }
    if (res) GDALDatasetReleaseResultSet(ds, res);
    return gs__err(R->ctx, GS_ERR_INPUT_EMPTY,
                   "%s (ledger): no member_week rows for %04d-%02d (its "
                   "weeks %s to %s); %s%s",
                   R->o->ledger, R->per.year, R->per.month, R->weeks[0],
                   R->weeks[R->per.nweeks - 1],
                   n ? "the ledger holds " : "the ledger holds no week yet",
                   held);
}

static int cmp_wrow(const void *a, const void *b) {
    const wrow *x = a, *y = b;
    int c = strcmp(x->member_id, y->member_id);
    if (!c) c = strcmp(y->week, x->week); /* the latest week first */
    if (!c) c = strcmp(x->grid_code, y->grid_code);
    return c;
}

/* Appends `s` to a `sep`-joined list in the arena unless it is there. */
static const char *join_distinct(run *R, const char *list, const char *s,
                                 const char *sep) {
    size_t n = strlen(list), k = strlen(s), ks = strlen(sep);
    char *out;
    if (!k) return list;
    for (const char *p = list; (p = strstr(p, s)) != NULL; p += k)
        if ((p == list ||
             ((size_t)(p - list) >= ks && !strncmp(p - ks, sep, ks))) &&
            (!p[k] || !strncmp(p + k, sep, ks)))
            return list;
    out = gs__malloc(n + k + ks + 1);
    if (!out) return NULL;
    snprintf(out, n + k + ks + 1, "%s%s%s", list, n ? sep : "", s);
    list = keep(R, out);
    free(out);
    return list;
}

/* Folds the sorted member_week rows into members: grid codes and shape of
 * each member's latest week, every note, weeks and weeks_ok. */
static int fold_members(run *R) {
    size_t i = 0;
    R->m = gs__calloc(R->n_rows, sizeof *R->m);
    if (!R->m) return nomem(R);
    while (i < R->n_rows) {
        amember *m = &R->m[R->n_m++];
        const char *latest = R->rows[i].week;
        m->id = R->rows[i].member_id;
        m->grid_code = m->note = "";
        for (int k = 0; k < GS_ASSESS_ITEMS; k++) m->in.offline_pct[k] = NAN;
        for (; i < R->n_rows && !strcmp(R->rows[i].member_id, m->id); i++) {
            const wrow *w = &R->rows[i];
            OGRGeometryH u;
            m->in.weeks++;
            m->in.weeks_ok += w->weekly_ok == 1;
            m->note = join_distinct(R, m->note, w->note, "; ");
            if (!m->note) return nomem(R);
            if (strcmp(w->week, latest) != 0) continue;
            m->grid_code = join_distinct(R, m->grid_code, w->grid_code, ";");
            if (!m->grid_code) return nomem(R);
            if (!w->geom) continue;
            u = m->geom ? OGR_G_Union(m->geom, w->geom) : OGR_G_Clone(w->geom);
            if (u) u = OGR_G_ForceToMultiPolygon(u);
            if (!u) return nomem(R);
            if (m->geom) OGR_G_DestroyGeometry(m->geom);
            m->geom = u;
        }
    }
    return GS_OK;
}

/* One grid of the ledger as a metric GEOS geometry. */
static GEOSGeometry *to_metric(run *R, OGRGeometryH g,
                               OGRCoordinateTransformationH ct,
                               GEOSWKBReader *rd) {
    OGRGeometryH c = OGR_G_Clone(g);
    unsigned char *wkb = NULL;
    GEOSGeometry *out = NULL;
    size_t len;
    if (!c || OGR_G_Transform(c, ct) != OGRERR_NONE) goto done;
    len = (size_t)OGR_G_WkbSize(c);
    wkb = gs__malloc(len ? len : 1);
    if (!wkb) goto done;
    OGR_G_ExportToWkb(c, wkbNDR, wkb);
    out = GEOSWKBReader_read_r(R->ctx->geos, rd, wkb, len);
done:
    free(wkb);
    if (c) OGR_G_DestroyGeometry(c);
    return out;
}

/* The grids of the members' latest weeks, in the metric CRS, and the
 * (member, grid code) pairs, as a model gs__assign_households takes. */
static int grids_to_model(run *R) {
    GEOSContextHandle_t h = R->ctx->geos;
    OGRCoordinateTransformationH ct = NULL;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    const char *who = NULL, *latest = NULL;
    size_t n = R->n_rows ? R->n_rows : 1;
    int rc = GS_OK;
    R->hm.grids = gs__calloc(n, sizeof *R->hm.grids);
    R->hm.members = gs__calloc(n, sizeof *R->hm.members);
    if (!rd || !R->hm.grids || !R->hm.members) {
        rc = nomem(R);
        goto done;
    }
    if ((rc = gs__crs_transform(R->ctx, R->crs.output, R->crs.metric, &ct)))
        goto done;
    for (size_t i = 0; i < R->n_rows; i++) {
        const wrow *w = &R->rows[i];
        gs__member *pair;
        gs__grid *gg;
        size_t g;
        if (!who || strcmp(who, w->member_id) != 0) {
            who = w->member_id;
            latest = w->week; /* rows come latest week first */
        }
        if (strcmp(w->week, latest) != 0 || !w->grid_code[0]) continue;
        pair = &R->hm.members[R->hm.n_members++];
        pair->member_id = w->member_id;
        pair->grid_code = w->grid_code;
        pair->name = "";
        for (g = 0; g < R->hm.n_grids; g++)
            if (!strcmp(R->hm.grids[g].code, w->grid_code)) break;
        if (g < R->hm.n_grids || !w->geom) continue;
        gg = &R->hm.grids[R->hm.n_grids];
        gg->geom = to_metric(R, w->geom, ct, rd);
        if (!gg->geom) {
            rc = gs__err_lib(R->ctx, GS_ERR_INPUT_CRS,
                             "%s (ledger): grid %s of week %s cannot be "
                             "projected to the metric CRS",
                             R->o->ledger, w->grid_code, w->week);
            goto done;
        }
        gg->code = w->grid_code;
        gg->community_code = gg->grid_type = gg->name = "";
        R->hm.n_grids++;
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (rd) GEOSWKBReader_destroy_r(h, rd);
    return rc;
}

/* Reads the period's member_week and member_day rows into members, and
 * takes the output CRS (member_week's) and a metric CRS from the ledger. */
static int read_ledger(run *R) {
    static const char *const wnames[] = {"week", "member_id", "grid_code",
                                         "weekly_ok", "note"};
    static const char *const dnames[] = {"week", "member_id", "workday",
                                         "daily_ok"};
    const char *path = R->o->ledger;
    GDALDatasetH ds = NULL;
    OGRLayerH mw, md;
    OGRFeatureH f;
    struct stat st;
    char filter[160], *where = NULL;
    size_t off, cap = 0;
    int wi[5], di[4], rc = GS_OK;

    /* A ledger in PostGIS ("PG:... active_schema=w47", written by
     * gridsmith run -o PG:) reads the same; --shard keeps the members on
     * the shard's grids. */
    if (strncmp(path, "PG:", 3) != 0 && stat(path, &st) != 0)
        return gs__err(R->ctx, GS_ERR_INPUT_OPEN, "%s (ledger): %s", path,
                       strerror(errno));
    gs__libmsg_clear(R->ctx);
    ds = GDALOpenEx(
        path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
        (const char *const[]){"GPKG", "PostgreSQL", NULL}, NULL, NULL);
    if (!ds)
        return gs__err_lib(R->ctx, GS_ERR_INPUT_OPEN,
                           "%s (ledger): cannot open as a GeoPackage (is it "
                           "the ledger of 'gridsmith run'?)",
                           path);
    mw = GDALDatasetGetLayerByName(ds, "member_week");
    md = GDALDatasetGetLayerByName(ds, "member_day");
    if (!mw || !md) {
        rc = gs__err(R->ctx, GS_ERR_INPUT_OPEN,
                     "%s (ledger): no table %s; the ledger gets it from "
                     "'gridsmith run' with traces",
                     path, mw ? "member_day" : "member_week");
        goto done;
    }
    if ((rc = ledger_fields(R, mw, wnames, 5, 1u << 4, wi)) ||
        (rc = ledger_fields(R, md, dnames, 4, 0, di)))
        goto done;
    off = (size_t)snprintf(filter, sizeof filter, "week IN (");
    for (int k = 0; k < R->per.nweeks; k++)
        off += (size_t)snprintf(filter + off, sizeof filter - off, "%s'%s'",
                                k ? ", " : "", R->weeks[k]);
    snprintf(filter + off, sizeof filter - off, ")");
    if (gs__shard_active(R->ctx)) {
        char *sf = gs__shard_filter(R->ctx, "grid_code");
        size_t n = sf ? strlen(filter) + strlen(sf) + 16 : 0;
        where = sf ? gs__malloc(n) : NULL;
        if (!where) {
            free(sf);
            rc = nomem(R);
            goto done;
        }
        snprintf(where, n, "%s AND (%s)", filter, sf);
        free(sf);
    }
    if (OGR_L_SetAttributeFilter(mw, where ? where : filter) != OGRERR_NONE ||
        OGR_L_SetAttributeFilter(md, where ? where : filter) != OGRERR_NONE) {
        rc = gs__err_lib(R->ctx, GS_ERR_INPUT_OPEN,
                         "%s (ledger): cannot select the month's weeks", path);
        goto done;
    }
    OGR_L_ResetReading(mw);
    while ((f = OGR_L_GetNextFeature(mw)) != NULL) {
        wrow *w;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        int has_geom = g && !OGR_G_IsEmpty(g);
        if ((rc = grow(R, (void **)&R->rows, &cap, R->n_rows, sizeof *w))) {
            OGR_F_Destroy(f);
            goto done;
        }
        w = &R->rows[R->n_rows];
        memset(w, 0, sizeof *w);
        w->week = keep(R, field_str(f, wi[0]));
        w->member_id = keep(R, field_str(f, wi[1]));
        w->grid_code = keep(R, field_str(f, wi[2]));
        w->weekly_ok = (int)field_int(f, wi[3]);
        w->note = keep(R, field_str(f, wi[4]));
        if (has_geom) w->geom = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
        OGR_F_Destroy(f);
        R->n_rows++;
        if (!w->week || !w->member_id || !w->grid_code || !w->note ||
            (has_geom && !w->geom)) {
            rc = nomem(R);
            goto done;
        }
        for (int k = 0; k < R->per.nweeks; k++)
            if (!strcmp(w->week, R->weeks[k])) R->have_week[k] = 1;
    }
    if (R->n_rows == 0) {
        rc = no_rows(R, ds);
        goto done;
    }
    qsort(R->rows, R->n_rows, sizeof *R->rows, cmp_wrow);
    if ((rc = fold_members(R))) goto done;

    /* The output CRS is the ledger's; the metric one is picked from the
     * centre of its grids, as every command picks it. */
    {
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(mw);
        OGREnvelope env;
        if (srs && OGR_L_GetExtent(mw, &env, 1) == OGRERR_NONE) {
            R->crs.output = gs__srs_clone_gis(srs);
            if (!R->crs.output) {
                rc = nomem(R);
                goto done;
            }
            rc = gs__crs_pick_metric(
                R->ctx, R->crs.output, (env.MinX + env.MaxX) / 2,
                (env.MinY + env.MaxY) / 2, &R->crs.metric, &R->crs.metric_name);
            if (rc) goto done;
        }
    }

    OGR_L_ResetReading(md);
    while ((f = OGR_L_GetNextFeature(md)) != NULL) {
        long mi = find_member(R, field_str(f, di[1]));
        if (mi >= 0 && field_int(f, di[2]) == 1) {
            R->m[mi].in.workdays++;
            R->m[mi].in.workdays_ok += field_int(f, di[3]) == 1;
        }
        OGR_F_Destroy(f);
    }
    rc = gs__inputs_note_file(R->ctx, &R->info, "ledger", path, "member_week",
                              (long)R->n_rows);
done:
    GDALClose(ds);
    free(where);
    return rc;
}

/* ---- the offline and visits CSVs ----------------------------------------- */

/* Records a bad row (reason formatted into the arena). */
static int bad_row(run *R, const char *source, const char *path, uint32_t line,
                   const char *member_id, const char *field, const char *fmt,
                   ...) __attribute__((format(printf, 7, 8)));

static int bad_row(run *R, const char *source, const char *path, uint32_t line,
                   const char *member_id, const char *field, const char *fmt,
                   ...) {
    char reason[300];
    va_list ap;
    badrow *b;
    int rc = grow(R, (void **)&R->bad, &R->cap_bad, R->n_bad, sizeof *b);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    b = &R->bad[R->n_bad];
    b->source = source;
    b->path = path;
    b->line = line;
    b->member_id = keep(R, member_id ? member_id : "");
    b->field = field;
    b->reason = keep(R, reason);
    if (!b->member_id || !b->reason) return nomem(R);
    R->n_bad++;
    return GS_OK;
}

#define MAX_COLS 4

/* A CSV of this command: its wanted columns, found by name in the header,
 * and what takes each row's values (trimmed UTF-8, recoded from
 * --encoding). */
typedef struct table_spec {
    const char *source, *hint;
    const char *cols[MAX_COLS]; /* wanted; NULL-terminated if fewer */
    unsigned optional;          /* bitmask over cols */
    int (*row)(run *R, uint32_t line, const char *const *val);
} table_spec;

/* One read of a table_spec. */
typedef struct table {
    run *R;
    const table_spec *s;
    const char *path;
    int idx[MAX_COLS];
    size_t ncols;
    int have_header;
} table;

static char *trim(char *p) {
    char *e;
    while (*p == ' ' || *p == '\t') p++;
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    return p;
}

static int table_header(gs_ctx *ctx, table *t, const gs__csvrow *row) {
    char names[400] = "";
    size_t off = 0;
    t->have_header = 1;
    t->ncols = row->n;
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++) {
        t->idx[c] = -1;
        for (size_t i = 0; i < row->n && t->idx[c] < 0; i++)
            if (!strcasecmp(trim(row->f[i]), t->s->cols[c])) t->idx[c] = (int)i;
    }
    for (size_t i = 0; i < row->n && off + 2 < sizeof names; i++) {
        int w = snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         row->f[i]);
        if (w > 0) off += (size_t)w;
    }
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++)
        if (t->idx[c] < 0 && !(t->s->optional & (1u << c)))
            return gs__err(ctx, GS_ERR_INPUT_FIELD,
                           "%s (%s): missing column '%s' (columns: %s); %s",
                           t->path, t->s->source, t->s->cols[c], names,
                           t->s->hint);
    return GS_OK;
}

static int table_row(gs_ctx *ctx, void *user, const gs__csvrow *row) {
    table *t = user;
    run *R = t->R;
    const char *val[MAX_COLS] = {"", "", "", ""};
    if (!t->have_header) return table_header(ctx, t, row);
    if (row->n != t->ncols)
        return bad_row(R, t->s->source, t->path, row->line, NULL, "",
                       "%zu field%s where the header has %zu", row->n,
                       row->n == 1 ? "" : "s", t->ncols);
    for (int c = 0; c < MAX_COLS && t->s->cols[c]; c++) {
        char *raw;
        if (t->idx[c] < 0) continue;
        raw = trim(row->f[t->idx[c]]);
        if (R->in->encoding && *raw) {
            char *u = CPLRecode(raw, R->in->encoding, CPL_ENC_UTF8);
            val[c] = u ? keep(R, u) : NULL;
            CPLFree(u);
        } else if (!CPLIsUTF8(raw, -1)) {
            return bad_row(R, t->s->source, t->path, row->line, NULL,
                           t->s->cols[c],
                           "not UTF-8 text (give the file's encoding, e.g. "
                           "GB18030)");
        } else {
            val[c] = keep(R, raw);
        }
        if (!val[c]) return nomem(R);
    }
    return t->s->row(R, row->line, val);
}

/* Reads the CSV at `path` as `spec` says; an empty file is an error naming
 * it, and so are bad rows unless --on-error=skip (check_bad). */
static int check_bad(run *R, const char *source);

static int table_read(run *R, const table_spec *spec, const char *path) {
    table t;
    int rc;
    memset(&t, 0, sizeof t);
    t.R = R;
    t.s = spec;
    t.path = path;
    rc = gs__csv_read(R->ctx, path, table_row, &t);
    if (rc == GS_ERR_INPUT_EMPTY || (!rc && !t.have_header))
        return gs__err(R->ctx, GS_ERR_INPUT_EMPTY, "%s (%s): empty file; %s",
                       path, spec->source, spec->hint);
    return rc ? rc : check_bad(R, spec->source);
}

static int offline_row(run *R, uint32_t line, const char *const *v) {
    const char *path = R->o->offline;
    char *end;
    double x;
    long mi;
    int k;
    if (!v[0][0])
        return bad_row(R, "offline", path, line, v[0], "member_id", "empty");
    k = strcmp(v[1], "training") ? gs__assess_item_find(v[1])
                                 : GS_ASSESS_SPECIAL;
    if (k < 0)
        return bad_row(R, "offline", path, line, v[0], "item",
                       "unknown item '%.40s' (known: information, visits, "
                       "events, special, training, awareness, satisfaction)",
                       v[1]);
    if (k == GS_ASSESS_PATROL)
        return bad_row(R, "offline", path, line, v[0], "item",
                       "patrol is scored from the ledger, not offline");
    errno = 0;
    x = strtod(v[2], &end);
    if (!v[2][0] || *end || errno || !isfinite(x) || x < 0 || x > 100)
        return bad_row(R, "offline", path, line, v[0], "score",
                       "'%.40s' is not a number from 0 to 100 (percent of "
                       "the item's points)",
                       v[2]);
    R->offline_rows++;
    mi = find_member(R, v[0]);
    if (mi < 0) {
        if (!R->offline_unknown++)
            snprintf(R->unknown_example, sizeof R->unknown_example,
                     "%s (line %u)", v[0], line);
        return GS_OK;
    }
    R->m[mi].off_sum[k] += x;
    R->m[mi].off_n[k]++;
    return GS_OK;
}

static int visit_row(run *R, uint32_t line, const char *const *v) {
    const char *path = R->o->visits;
    char why[96];
    int64_t t;
    avisit *a;
    int rc;
    if (!v[0][0])
        return bad_row(R, "visits", path, line, v[0], "member_id", "empty");
    if (!v[1][0])
        return bad_row(R, "visits", path, line, v[0], "household_id", "empty");
    if (gs__time_parse(R->tz, v[2], &t, why, sizeof why) != GS_OK)
        return bad_row(R, "visits", path, line, v[0], "time",
                       "'%.40s' is not a time (%s)", v[2], why);
    if (t < R->t0 || t >= R->t1) {
        R->visits_outside++;
        return GS_OK;
    }
    if ((rc = grow(R, (void **)&R->v, &R->cap_v, R->n_v, sizeof *a))) return rc;
    a = &R->v[R->n_v++];
    memset(a, 0, sizeof *a);
    a->member_id = v[0];
    a->household_id = v[1];
    a->kind = v[3];
    a->t_ms = t;
    a->line = line;
    a->member = find_member(R, v[0]);
    a->household = a->trace = -1;
    return GS_OK;
}

/* With --on-error=fail, the bad rows of one source stop the run: the
 * first is named with its line and field, the others counted. */
static int check_bad(run *R, const char *source) {
    const badrow *first = NULL;
    char more[160] = "", fmt[160];
    long n = 0;
    for (size_t i = 0; i < R->n_bad; i++)
        if (!strcmp(R->bad[i].source, source) && !n++) first = &R->bad[i];
    if (!n || R->in->on_error == GS_ON_ERROR_SKIP) return GS_OK;
    if (n > 1)
        snprintf(more, sizeof more,
                 gs__optfmt(R->ctx,
                            " (and %ld more bad row%s; {on_error}=skip leaves "
                            "them out and lists them in bad_rows)",
                            fmt, sizeof fmt),
                 n - 1, n == 2 ? "" : "s");
    return gs__err(R->ctx, GS_ERR_INPUT_VALUE, "%s, line %u%s%s: %s%s",
                   first->path, first->line, first->field[0] ? ", field " : "",
                   first->field, first->reason, more);
}

static const table_spec offline_spec = {
    "offline",
    "offline scores have the columns member_id,item,score, e.g. "
    "M0001,satisfaction,92",
    {"member_id", "item", "score", NULL},
    0,
    offline_row};

static const table_spec visits_spec = {
    "visits",
    "service visits have the columns member_id,household_id,time,kind, e.g. "
    "M0001,H0000123,2026-11-18T10:05:00+08:00,elderly",
    {"member_id", "household_id", "time", "kind"},
    1u << 3, /* kind may be left out */
    visit_row};

static int read_offline(run *R) {
    int rc = table_read(R, &offline_spec, R->o->offline);
    if (rc) return rc;
    for (size_t i = 0; i < R->n_m; i++)
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            if (R->m[i].off_n[k])
                R->m[i].in.offline_pct[k] =
                    R->m[i].off_sum[k] / (double)R->m[i].off_n[k];
    if (R->offline_unknown)
        gs__warn(R->ctx,
                 "%s: %ld row%s for members the ledger does not hold for "
                 "the month, e.g. %s; left out",
                 R->o->offline, R->offline_unknown,
                 R->offline_unknown == 1 ? "" : "s", R->unknown_example);
    return gs__inputs_note_file(R->ctx, &R->info, "offline", R->o->offline, "",
                                R->offline_rows);
}

static int read_visits(run *R) {
    int rc = table_read(R, &visits_spec, R->o->visits);
    if (rc) return rc;
    return gs__inputs_note_file(R->ctx, &R->info, "visits", R->o->visits, "",
                                (long)R->n_v);
}

/* ---- checking the visits ------------------------------------------------- */

static int cmp_visit(const void *a, const void *b) {
    const avisit *x = a, *y = b;
    int c = strcmp(x->member_id, y->member_id);
    if (c) return c;
    if (x->t_ms != y->t_ms) return x->t_ms < y->t_ms ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_vfix(const void *a, const void *b) {
    const gs__vfix *x = a, *y = b;
    if (x->t_ms != y->t_ms) return x->t_ms < y->t_ms ? -1 : 1;
    if (x->x != y->x) return x->x < y->x ? -1 : 1;
    return (x->y > y->y) - (x->y < y->y);
}

/* A name and where it stands, for lookups by bisection. */
typedef struct idref {
    const char *id;
    long i;
} idref;

static int cmp_idref(const void *a, const void *b) {
    const idref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first entry named `id` in refs (sorted with cmp_idref), or -1. */
static long find_ref(const idref *refs, size_t n, const char *id) {
    idref key = {id, LONG_MIN};
    size_t k = lower_bound(&key, refs, n, sizeof *refs, cmp_idref);
    return k < n && !strcmp(refs[k].id, id) ? refs[k].i : -1;
}

/* Keeps, per member with a visit, the fixes that can matter (the period
 * widened by the visit window), sorted by time, and points each visit at
 * its member's; frees the traces. */
static int keep_tracks(run *R, gs__traces *tr) {
    int64_t w = (int64_t)llround(R->r->visit_window_s * 1000.0);
    size_t nm = tr->n_members, *fill = gs__calloc(nm + 1, sizeof *fill), total;
    unsigned char *need = gs__calloc(nm + 1, 1);
    idref *refs = gs__malloc((nm + 1) * sizeof *refs);
    int rc = GS_OK;
    R->tracks = gs__calloc(nm + 1, sizeof *R->tracks);
    if (!fill || !need || !refs || !R->tracks) {
        rc = nomem(R);
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        refs[k].id = R->tracks[k].id = tr->member_ids[k];
        refs[k].i = (long)k;
    }
    qsort(refs, nm, sizeof *refs, cmp_idref);
    for (size_t i = 0; i < R->n_v; i++) {
        R->v[i].trace = find_ref(refs, nm, R->v[i].member_id);
        if (R->v[i].trace >= 0) need[R->v[i].trace] = 1;
    }
    for (size_t i = 0; i < tr->n_fixes; i++) {
        const gs__fix *f = &tr->fixes[i];
        if (need[f->member] && f->t_ms >= R->t0 - w && f->t_ms < R->t1 + w)
            fill[f->member + 1]++;
    }
    for (size_t k = 0; k < nm; k++) fill[k + 1] += fill[k];
    total = fill[nm];
    R->fixes = gs__malloc((total ? total : 1) * sizeof *R->fixes);
    if (!R->fixes) {
        rc = nomem(R);
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        R->tracks[k].f = R->fixes + fill[k];
        R->tracks[k].n = fill[k + 1] - fill[k];
    }
    for (size_t i = 0; i < tr->n_fixes; i++) {
        const gs__fix *f = &tr->fixes[i];
        gs__vfix *p;
        if (!need[f->member] || f->t_ms < R->t0 - w || f->t_ms >= R->t1 + w)
            continue;
        p = &R->fixes[fill[f->member]++];
        p->t_ms = f->t_ms;
        p->x = f->lon;
        p->y = f->lat;
        p->accuracy_m = f->accuracy_m;
    }
    R->n_tracks = nm;
    for (size_t k = 0; k < nm; k++)
        if (R->tracks[k].n > 1)
            qsort(R->tracks[k].f, R->tracks[k].n, sizeof *R->tracks[k].f,
                  cmp_vfix);
done:
    free(fill);
    free(need);
    free(refs);
    gs__traces_free(tr);
    return rc;
}

/* The household of each visit, by household_id (the first of duplicates
 * in input order). */
static int match_households(run *R) {
    const gs__household *hh = R->hm.households;
    idref *refs = gs__malloc((R->hm.n_households + 1) * sizeof *refs);
    size_t n = 0;
    if (!refs) return nomem(R);
    for (size_t i = 0; i < R->hm.n_households; i++)
        if (hh[i].id && hh[i].id[0]) {
            refs[n].id = hh[i].id;
            refs[n++].i = (long)i;
        }
    qsort(refs, n, sizeof *refs, cmp_idref);
    if (n == 0 && R->n_v > 0) {
        free(refs);
        return gs__err(R->ctx, GS_ERR_INPUT_FIELD,
                       "%s (households): no household has a household_id, "
                       "so visits cannot be matched; map the field with "
                       "{fields} households.household_id=NAME",
                       R->o->households);
    }
    for (size_t i = 0; i < R->n_v; i++)
        R->v[i].household = find_ref(refs, n, R->v[i].household_id);
    free(refs);
    return GS_OK;
}

/* Checks every visit: the fixes in its window are gathered into one
 * buffer, projected to the metric CRS in one call, and searched. */
static int check_visits(run *R) {
    int64_t w = (int64_t)llround(R->r->visit_window_s * 1000.0);
    OGRSpatialReferenceH wgs = NULL;
    gs__vfix *buf = NULL;
    size_t total = 0;
    int rc = GS_OK;
    for (size_t i = 0; i < R->n_v; i++) {
        avisit *a = &R->v[i];
        const mtrace *t;
        size_t lo, hi;
        if (a->trace < 0 || a->household < 0) continue;
        t = &R->tracks[a->trace];
        lo = first_fix_from(t->f, t->n, a->t_ms - w);
        hi = lo;
        while (hi < t->n && t->f[hi].t_ms <= a->t_ms + w) hi++;
        a->off = (size_t)(t->f + lo - R->fixes);
        a->len = hi - lo;
        total += a->len;
    }
    buf = gs__malloc((total ? total : 1) * sizeof *buf);
    wgs = OSRNewSpatialReference(NULL);
    if (!buf || !wgs) {
        rc = nomem(R);
        goto done;
    }
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    total = 0;
    for (size_t i = 0; i < R->n_v; i++) {
        avisit *a = &R->v[i];
        if (!a->len) {
            a->off = 0;
            continue;
        }
        memcpy(buf + total, R->fixes + a->off, a->len * sizeof *buf);
        a->off = total;
        total += a->len;
    }
    if (total && (rc = gs__crs_transform_points(
                      R->ctx, wgs, R->crs.metric, &buf[0].x, &buf[0].y,
                      sizeof *buf, total, R->o->common.threads)))
        goto done;
    for (size_t i = 0; i < R->n_v; i++) {
        avisit *a = &R->v[i];
        const gs__household *h;
        if (a->household < 0) {
            snprintf(a->detail, sizeof a->detail,
                     "household not in the households layer");
            continue;
        }
        if (a->trace < 0) {
            snprintf(a->detail, sizeof a->detail, "no GPS trace of the member");
            continue;
        }
        h = &R->hm.households[a->household];
        gs__visit_check(buf + a->off, a->len, h->x, h->y, a->t_ms, R->r,
                        &a->chk);
        if (!a->chk.found)
            snprintf(a->detail, sizeof a->detail,
                     "no usable GPS fix within %g min",
                     R->r->visit_window_s / 60);
        else if (!a->chk.verified)
            snprintf(a->detail, sizeof a->detail,
                     "closest fix %.0f m away (more than %g m)", a->chk.dist_m,
                     R->r->visit_radius_m);
    }
    for (size_t i = 0; i < R->n_v; i++) {
        const avisit *a = &R->v[i];
        if (a->member < 0) {
            R->visits_unknown++;
            continue;
        }
        R->m[a->member].in.visits++;
        R->m[a->member].in.visits_verified += a->chk.verified;
    }
done:
    free(buf);
    if (wgs) OSRDestroySpatialReference(wgs);
    return rc;
}

static int cmp_pair_grid(const void *a, const void *b) {
    const gs__member *x = a, *y = b;
    int c = strcmp(x->grid_code, y->grid_code);
    return c ? c : strcmp(x->member_id, y->member_id);
}

/* A verified visit as the duties look it up. */
typedef struct vkey {
    long member, household;
    int64_t t_ms;
} vkey;

static int cmp_vkey(const void *a, const void *b) {
    const vkey *x = a, *y = b;
    if (x->member != y->member) return x->member < y->member ? -1 : 1;
    if (x->household != y->household)
        return x->household < y->household ? -1 : 1;
    return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* The care targets of every member (households of a care type with an
 * interval, in the member's grid as validate assigns them) and their
 * windows met by verified visits of that member. */
static int care_duties(run *R) {
    const gs__model *m = &R->hm;
    long *hg = gs__malloc((m->n_households + 1) * sizeof *hg);
    vkey *vk = gs__malloc((R->n_v + 1) * sizeof *vk);
    int32_t *days = gs__malloc((R->n_v + 1) * sizeof *days);
    size_t nvk = 0, cap = 0;
    int ndays = R->per.day1 - R->per.day0 + 1, rc = GS_OK;
    if (!hg || !vk || !days) {
        rc = nomem(R);
        goto done;
    }
    if ((rc = gs__assign_households(R->ctx, m, R->o->common.threads, hg)))
        goto done;
    if (R->hm.n_members > 1)
        qsort(R->hm.members, R->hm.n_members, sizeof *R->hm.members,
              cmp_pair_grid);
    for (size_t i = 0; i < R->n_v; i++)
        if (R->v[i].chk.verified && R->v[i].member >= 0) {
            vk[nvk].member = R->v[i].member;
            vk[nvk].household = R->v[i].household;
            vk[nvk++].t_ms = R->v[i].t_ms;
        }
    qsort(vk, nvk, sizeof *vk, cmp_vkey);
    for (size_t h = 0; h < m->n_households; h++) {
        const gs__household *hh = &m->households[h];
        int type = hh->care_type ? gs__care_type_find(hh->care_type) : -1;
        gs__member key;
        const gs__member *p;
        if (type < 0) {
            if (hh->care_type && hh->care_type[0] && !R->care_unknown_type++)
                snprintf(R->care_type_example, sizeof R->care_type_example,
                         "%s", hh->care_type);
            continue;
        }
        if (R->r->care_interval_days[type] <= 0) continue;
        if (hg[h] < 0) {
            R->care_no_grid++;
            continue;
        }
        key.grid_code = m->grids[hg[h]].code;
        key.member_id = ""; /* before every member of the grid */
        p = m->members + lower_bound(&key, m->members, m->n_members,
                                     sizeof *m->members, cmp_pair_grid);
        for (; p < m->members + m->n_members &&
               !strcmp(p->grid_code, key.grid_code);
             p++) {
            duty *d;
            vkey q;
            size_t nd = 0;
            long mi = find_member(R, p->member_id);
            if (mi < 0) continue;
            if ((rc = grow(R, (void **)&R->duties, &cap, R->n_duties,
                           sizeof *d)))
                goto done;
            d = &R->duties[R->n_duties++];
            memset(d, 0, sizeof *d);
            d->member = mi;
            d->household = (long)h;
            d->type = type;
            d->last_t = INT64_MIN;
            q.member = mi;
            q.household = (long)h;
            q.t_ms = INT64_MIN;
            for (size_t k = lower_bound(&q, vk, nvk, sizeof *vk, cmp_vkey);
                 k < nvk && vk[k].member == mi && vk[k].household == (long)h;
                 k++) {
                days[nd++] = gs__local_day(R->tz, vk[k].t_ms);
                d->last_t = vk[k].t_ms;
            }
            d->verified = (long)nd;
            gs__care_windows(R->per.day0, ndays, R->r->care_interval_days[type],
                             days, nd, &d->due, &d->met, &d->first_missed);
            R->m[mi].care_targets++;
            R->m[mi].in.care_due += d->due;
            R->m[mi].in.care_met += d->met;
            R->overdue += d->met < d->due;
        }
    }
    if (R->care_unknown_type)
        gs__warn(R->ctx,
                 "%s: %ld households have a care_type that is none of "
                 "elderly_alone, left_behind_child, left_behind_woman, "
                 "released_prisoner, mental_disorder, key_youth (e.g. "
                 "'%s'); they are not care targets",
                 R->o->households, R->care_unknown_type, R->care_type_example);
done:
    free(hg);
    free(vk);
    free(days);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

static int write_assessment(run *R, gs__out *o, gs__olayer *l) {
    char month[8], from[11], to[11];
    snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
    gs__date_format(R->per.day0, from);
    gs__date_format(R->per.day1, to);
    for (size_t i = 0; i < R->n_m; i++) {
        const amember *m = &R->m[i];
        const gs__ascore *s = &m->score;
        OGRFeatureH f = gs__out_feature(l);
        int rc;
        if (!f) return nomem(R);
        OGR_F_SetFieldString(f, GS__AA_MONTH, month);
        OGR_F_SetFieldString(f, GS__AA_PERIOD_FROM, from);
        OGR_F_SetFieldString(f, GS__AA_PERIOD_TO, to);
        OGR_F_SetFieldString(f, GS__AA_MEMBER_ID, m->id);
        OGR_F_SetFieldString(f, GS__AA_GRID_CODE, m->grid_code);
        OGR_F_SetFieldInteger64(f, GS__AA_WORKDAYS, m->in.workdays);
        OGR_F_SetFieldInteger64(f, GS__AA_WORKDAYS_OK, m->in.workdays_ok);
        OGR_F_SetFieldInteger64(f, GS__AA_WEEKS, m->in.weeks);
        OGR_F_SetFieldInteger64(f, GS__AA_WEEKS_OK, m->in.weeks_ok);
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            OGR_F_SetFieldDouble(f, GS__AA_SCORE + k, s->points[k]);
        OGR_F_SetFieldDouble(f, GS__AA_SCORE_BASIC, s->basic);
        OGR_F_SetFieldDouble(f, GS__AA_SCORE_RESIDENTS, s->residents);
        OGR_F_SetFieldDouble(f, GS__AA_TOTAL, s->total);
        OGR_F_SetFieldString(f, GS__AA_TIER, s->tier);
        if (m->in.have_visits) {
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_TARGETS, m->care_targets);
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_WINDOWS_DUE, m->in.care_due);
            OGR_F_SetFieldInteger64(f, GS__AA_CARE_WINDOWS_MET, m->in.care_met);
            OGR_F_SetFieldInteger64(f, GS__AA_VISITS_RECORDED, m->in.visits);
            OGR_F_SetFieldInteger64(f, GS__AA_VISITS_VERIFIED,
                                    m->in.visits_verified);
        } else {
            for (int q = GS__AA_CARE_TARGETS; q <= GS__AA_VISITS_VERIFIED; q++)
                OGR_F_SetFieldNull(f, q);
        }
        OGR_F_SetFieldString(f, GS__AA_DEFAULTS_USED, s->defaults_used);
        OGR_F_SetFieldString(f, GS__AA_NOTE, m->note);
        if (m->geom) OGR_F_SetGeometry(f, m->geom);
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_visits(run *R, gs__out *o, gs__olayer *l) {
    for (size_t i = 0; i < R->n_v; i++) {
        const avisit *a = &R->v[i];
        const gs__household *h =
            a->household >= 0 ? &R->hm.households[a->household] : NULL;
        OGRFeatureH f = gs__out_feature(l);
        char t[32], ft[32], date[11];
        int rc;
        if (!f) return nomem(R);
        iso_utc(a->t_ms, t);
        gs__date_format(gs__local_day(R->tz, a->t_ms), date);
        OGR_F_SetFieldString(f, GS__AV_MEMBER_ID, a->member_id);
        OGR_F_SetFieldString(f, GS__AV_HOUSEHOLD_ID, a->household_id);
        OGR_F_SetFieldString(f, GS__AV_KIND, a->kind);
        OGR_F_SetFieldString(f, GS__AV_TIME, t);
        OGR_F_SetFieldString(f, GS__AV_DATE, date);
        OGR_F_SetFieldString(f, GS__AV_CARE_TYPE,
                             h && h->care_type ? h->care_type : "");
        OGR_F_SetFieldInteger64(f, GS__AV_VERIFIED, a->chk.verified);
        if (a->chk.found) {
            iso_utc(a->chk.fix_t_ms, ft);
            OGR_F_SetFieldDouble(f, GS__AV_FIX_DISTANCE_M, a->chk.dist_m);
            OGR_F_SetFieldString(f, GS__AV_FIX_TIME, ft);
            OGR_F_SetFieldDouble(f, GS__AV_FIX_OFFSET_S,
                                 (double)(a->chk.fix_t_ms - a->t_ms) / 1000.0);
        } else {
            for (int q = GS__AV_FIX_DISTANCE_M; q <= GS__AV_FIX_OFFSET_S; q++)
                OGR_F_SetFieldNull(f, q);
        }
        OGR_F_SetFieldString(f, GS__AV_DETAIL, a->detail);
        OGR_F_SetFieldInteger64(f, GS__AV_LINE, a->line);
        if (h && (rc = gs__out_point(o, f, h->x, h->y))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_overdue(run *R, gs__out *o, gs__olayer *l) {
    int ndays = R->per.day1 - R->per.day0 + 1;
    for (size_t i = 0; i < R->n_duties; i++) {
        const duty *d = &R->duties[i];
        const gs__household *h = &R->hm.households[d->household];
        const amember *m = &R->m[d->member];
        int interval = R->r->care_interval_days[d->type];
        char last[32], from[11], to[11];
        int32_t a, b;
        OGRFeatureH f;
        int rc;
        if (d->met >= d->due) continue;
        f = gs__out_feature(l);
        if (!f) return nomem(R);
        gs__care_window_days(R->per.day0, ndays, interval, d->first_missed, &a,
                             &b);
        gs__date_format(a, from);
        gs__date_format(b, to);
        OGR_F_SetFieldString(f, GS__AO_MEMBER_ID, m->id);
        OGR_F_SetFieldString(f, GS__AO_GRID_CODE, m->grid_code);
        OGR_F_SetFieldString(f, GS__AO_HOUSEHOLD_ID, h->id ? h->id : "");
        OGR_F_SetFieldString(f, GS__AO_CARE_TYPE, gs__care_types[d->type]);
        OGR_F_SetFieldInteger64(f, GS__AO_INTERVAL_DAYS, interval);
        OGR_F_SetFieldInteger64(f, GS__AO_WINDOWS_DUE, d->due);
        OGR_F_SetFieldInteger64(f, GS__AO_WINDOWS_MET, d->met);
        OGR_F_SetFieldInteger64(f, GS__AO_VISITS_VERIFIED, d->verified);
        if (d->last_t != INT64_MIN) {
            iso_utc(d->last_t, last);
            OGR_F_SetFieldString(f, GS__AO_LAST_VISIT, last);
        } else {
            OGR_F_SetFieldNull(f, GS__AO_LAST_VISIT);
        }
        OGR_F_SetFieldString(f, GS__AO_FIRST_MISSED_FROM, from);
        OGR_F_SetFieldString(f, GS__AO_FIRST_MISSED_TO, to);
        if ((rc = gs__out_point(o, f, h->x, h->y))) {
            OGR_F_Destroy(f);
            return rc;
        }
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

static int write_bad(run *R, gs__out *o, gs__olayer *l) {
    for (size_t i = 0; i < R->n_bad; i++) {
        const badrow *b = &R->bad[i];
        OGRFeatureH f = gs__out_feature(l);
        int rc;
        if (!f) return nomem(R);
        OGR_F_SetFieldString(f, GS__AB_SOURCE, b->source);
        OGR_F_SetFieldString(f, GS__AB_PATH, b->path);
        OGR_F_SetFieldInteger64(f, GS__AB_LINE, b->line);
        OGR_F_SetFieldString(f, GS__AB_MEMBER_ID, b->member_id);
        OGR_F_SetFieldString(f, GS__AB_FIELD, b->field);
        OGR_F_SetFieldString(f, GS__AB_REASON, b->reason);
        if ((rc = gs__out_put(o, l, f))) return rc;
    }
    return GS_OK;
}

/* The rules the run used, as JSON text for the run metadata. */
static char *rules_json(const gs_rules *r) {
    json_object *j = json_object_new_object(), *w = json_object_new_object(),
                *d = json_object_new_object(), *iv = json_object_new_object();
    char *s = NULL;
    if (!j || !w || !d || !iv) goto done;
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) {
        json_object_object_add(w, gs__assess_items[k],
                               json_object_new_double(r->assess_weight[k]));
        json_object_object_add(
            d, gs__assess_items[k],
            json_object_new_double(r->assess_default_pct[k]));
    }
    for (int k = 0; k < GS_CARE_TYPES; k++)
        json_object_object_add(iv, gs__care_types[k],
                               json_object_new_int(r->care_interval_days[k]));
    json_object_object_add(j, "weight", w);
    json_object_object_add(j, "default_pct", d);
    json_object_object_add(j, "interval_days", iv);
    w = d = iv = NULL;
    json_object_object_add(j, "patrol_daily_share",
                           json_object_new_double(r->patrol_daily_share));
    json_object_object_add(j, "tier_excellent",
                           json_object_new_double(r->tier_excellent));
    json_object_object_add(j, "tier_good",
                           json_object_new_double(r->tier_good));
    json_object_object_add(j, "tier_pass",
                           json_object_new_double(r->tier_pass));
    json_object_object_add(j, "visit_radius_m",
                           json_object_new_double(r->visit_radius_m));
    json_object_object_add(j, "visit_window_s",
                           json_object_new_double(r->visit_window_s));
    json_object_object_add(j, "low_accuracy_m",
                           json_object_new_double(r->low_accuracy_m));
    s = gs__strdup(json_object_to_json_string_ext(
        j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
done:
    json_object_put(w);
    json_object_put(d);
    json_object_put(iv);
    json_object_put(j);
    return s;
}

/* Writes every layer into the temporary output and hands it over in
 * *out_o, not yet committed (gs__out_commit_report commits it once the
 * report exists); on failure *out_o is NULL and nothing is left. */
static int write_outputs(run *R, const char *started, gs__out **out_o) {
    gs__out *o = NULL;
    gs__olayer *la, *lv, *lo, *lb;
    char *rj = NULL;
    int rc;
    *out_o = NULL;
    rc = gs__out_open(R->ctx, R->o->common.output, R->crs.output, R->crs.metric,
                      &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_ASSESSMENT, &la)) ||
        (rc = write_assessment(R, o, la)))
        goto fail;
    if (R->o->visits &&
        ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_VISITS, &lv)) ||
         (rc = write_visits(R, o, lv)) ||
         (rc = gs__out_layer_schema(o, GS__LS_ASSESS_CARE_OVERDUE, &lo)) ||
         (rc = write_overdue(R, o, lo))))
        goto fail;
    if ((R->o->visits || R->o->offline) &&
        ((rc = gs__out_layer_schema(o, GS__LS_ASSESS_BAD_ROWS, &lb)) ||
         (rc = write_bad(R, o, lb))))
        goto fail;
    rj = rules_json(R->r);
    if (!rj) {
        rc = nomem(R);
        goto fail;
    }
    rc = gs__out_meta_run(o, "assess", R->o->common.command_line, started, rj,
                          R->crs.metric_name ? R->crs.metric_name : "",
                          &R->info);
    free(rj);
    if (!rc) {
        char month[8];
        snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
        rc = gs__out_meta(o, "month", month);
    }
    if (rc) goto fail;
    *out_o = o;
    return GS_OK;
fail:
    gs__out_abort(o);
    return rc;
}

/* ---- the report and the run ---------------------------------------------- */

static gs_report *make_report(run *R) {
    static const char *const tiers[] = {"优秀", "良好", "合格", "不合格"};
    json_object *o = json_object_new_object(), *jt, *jw, *jd, *jv;
    long nt[4] = {0, 0, 0, 0}, nd[GS_ASSESS_ITEMS + 1] = {0};
    double sum = 0;
    char month[8], from[11], to[11], held[64] = "", missing[64] = "";
    gs__buf text;
    long verified = 0;
    if (!o) return NULL;
    snprintf(month, sizeof month, "%04d-%02d", R->per.year, R->per.month);
    gs__date_format(R->per.day0, from);
    gs__date_format(R->per.day1, to);
    for (size_t i = 0; i < R->n_m; i++) {
        const gs__ascore *s = &R->m[i].score;
        for (int k = 0; k < 4; k++) nt[k] += !strcmp(s->tier, tiers[k]);
        sum += s->total;
        for (int k = 0; k < GS_ASSESS_ITEMS; k++) nd[k] += s->defaulted[k];
    }
    for (size_t i = 0; i < R->n_v; i++) verified += R->v[i].chk.verified;
    jt = json_object_new_object();
    for (int k = 0; k < 4; k++)
        json_object_object_add(jt, tiers[k], json_object_new_int64(nt[k]));
    jw = json_object_new_array();
    for (int k = 0; k < R->per.nweeks; k++) {
        char *dst = R->have_week[k] ? held : missing;
        size_t n = strlen(dst);
        snprintf(dst + n, 64 - n, "%s%s", n ? ", " : "", R->weeks[k]);
        json_object *w = json_object_new_object();
        json_object_object_add(w, "week", json_object_new_string(R->weeks[k]));
        json_object_object_add(w, "in_ledger",
                               json_object_new_boolean(R->have_week[k]));
        json_object_array_add(jw, w);
    }
    jd = json_object_new_object();
    for (int k = 0; k < GS_ASSESS_ITEMS; k++)
        json_object_object_add(jd, gs__assess_items[k],
                               json_object_new_int64(nd[k]));
    json_object_object_add(o, "command", json_object_new_string("assess"));
    json_object_object_add(o, "output",
                           json_object_new_string(R->o->common.output));
    json_object_object_add(o, "month", json_object_new_string(month));
    json_object_object_add(o, "period_from", json_object_new_string(from));
    json_object_object_add(o, "period_to", json_object_new_string(to));
    json_object_object_add(o, "weeks", jw);
    json_object_object_add(o, "members",
                           json_object_new_int64((int64_t)R->n_m));
    json_object_object_add(o, "tiers", jt);
    json_object_object_add(o, "mean_total",
                           json_object_new_double(R->n_m ? sum / R->n_m : 0));
    json_object_object_add(o, "members_with_defaults", jd);
    json_object_object_add(o, "offline_rows",
                           json_object_new_int64(R->offline_rows));
    json_object_object_add(o, "offline_rows_unknown_member",
                           json_object_new_int64(R->offline_unknown));
    json_object_object_add(o, "bad_rows",
                           json_object_new_int64((int64_t)R->n_bad));
    if (R->o->visits) {
        jv = json_object_new_object();
        json_object_object_add(jv, "recorded",
                               json_object_new_int64((int64_t)R->n_v));
        json_object_object_add(jv, "verified", json_object_new_int64(verified));
        json_object_object_add(jv, "outside_period",
                               json_object_new_int64(R->visits_outside));
        json_object_object_add(jv, "unknown_member",
                               json_object_new_int64(R->visits_unknown));
        json_object_object_add(jv, "care_targets",
                               json_object_new_int64((int64_t)R->n_duties));
        json_object_object_add(jv, "care_overdue",
                               json_object_new_int64(R->overdue));
        json_object_object_add(jv, "care_outside_grids",
                               json_object_new_int64(R->care_no_grid));
        json_object_object_add(o, "visits", jv);
    }
    gs__buf_init(&text, 0);
    gs__buf_printf(&text, "assess: %s (%s to %s), %zu members\n", month, from,
                   to, R->n_m);
    gs__buf_printf(&text, "  ledger weeks: %s%s%s\n", held,
                   missing[0] ? "; missing " : "", missing);
    gs__buf_printf(&text,
                   "  优秀 excellent %ld, 良好 good %ld, 合格 pass %ld, 不合格 "
                   "fail %ld; mean total %.1f\n",
                   nt[0], nt[1], nt[2], nt[3], R->n_m ? sum / R->n_m : 0);
    {
        const char *sep = "  members on a default (see defaults_used):";
        for (int k = 0; k < GS_ASSESS_ITEMS; k++)
            if (nd[k]) {
                gs__buf_printf(&text, "%s %s %ld", sep, gs__assess_items[k],
                               nd[k]);
                sep = ",";
            }
        if (sep[0] == ',') gs__buf_puts(&text, "\n");
    }
    if (R->o->visits)
        gs__buf_printf(&text,
                       "  visits: %zu in the period, %ld verified; %zu care "
                       "targets, %ld overdue\n",
                       R->n_v, verified, R->n_duties, R->overdue);
    if (R->n_bad)
        gs__buf_printf(&text, "  %zu bad rows left out (listed in bad_rows)\n",
                       R->n_bad);
    gs__buf_printf(&text, "  wrote %s\n", R->o->common.output);
    return gs__report_from_buf(R->ctx, o, &text, nt[3] + R->overdue);
}

/* Weights must add up to 100 (tiers are marks out of 100) and tiers must
 * rise. */
static int check_rules(gs_ctx *ctx, const gs_rules *r) {
    double sum = 0;
    for (int k = 0; k < GS_ASSESS_ITEMS; k++) sum += r->assess_weight[k];
    if (fabs(sum - 100.0) > 1e-6)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "the assessment weights ([assess] weight.*) add up to "
                       "%g, not 100",
                       sum);
    if (!(r->tier_pass <= r->tier_good && r->tier_good <= r->tier_excellent))
        return gs__err(ctx, GS_ERR_CONFIG,
                       "[assess] tiers out of order: tier_pass %g, tier_good "
                       "%g, tier_excellent %g must rise",
                       r->tier_pass, r->tier_good, r->tier_excellent);
    return GS_OK;
}

int gs_assess_run(gs_ctx *ctx, const gs_assess_opts *opts,
                  gs_report **out_report) {
    run R;
    gs_rules rules_default;
    gs_input_opts in_default;
    gs__traces tr;
    char started[32];
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    gs__gdal_enter(ctx);
    memset(&R, 0, sizeof R);
    memset(&tr, 0, sizeof tr);
    gs__arena_init(&R.strings);
    gs__model_init(&R.hm, ctx->geos);
    R.ctx = ctx;
    R.o = opts;
    gs__utc_now(started, sizeof started);
    if (!opts || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "gs_assess_run: missing argument");
        goto done;
    }
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if (!opts->ledger || !opts->month || !opts->common.output) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "assess needs {ledger}, {month} and {output}");
        goto done;
    }
    if (opts->visits ? !opts->traces || !opts->households
                     : opts->traces || opts->households) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "{visits}, {traces} and {households} go together: the "
                     "visits are checked against the traces at the "
                     "households");
        goto done;
    }
    gs_rules_init(&rules_default);
    gs_input_opts_init(&in_default);
    R.r = opts->common.rules ? opts->common.rules : &rules_default;
    R.in = opts->common.input ? opts->common.input : &in_default;
    if (gs__assess_period(opts->month, &R.per) != GS_OK) {
        rc = gs__err(ctx, GS_ERR_USAGE,
                     "{month} '%s': expected a month such as 2026-11",
                     opts->month);
        goto done;
    }
    for (int k = 0; k < R.per.nweeks; k++)
        gs__isoweek_format(R.per.monday[k], R.weeks[k]);
    if ((rc = check_rules(ctx, R.r)) || (rc = gs__io_check_opts(ctx, R.in)) ||
        (rc = gs__out_check(ctx, opts->common.output)) ||
        (rc = gs__tz_open(ctx, opts->tz, &R.tz)))
        goto done;
    R.t0 = gs__day_start_utc(R.tz, R.per.day0);
    R.t1 = gs__day_start_utc(R.tz, R.per.day1 + 1);

    gs__phase_begin(ctx);
    gs__progress(ctx, "read ledger", -1);
    if ((rc = read_ledger(&R))) goto done;
    if (opts->offline) {
        gs__progress(ctx, "read offline scores", -1);
        if ((rc = read_offline(&R))) goto done;
    }
    if (opts->visits) {
        gs__trace_opts to;
        if (!R.crs.metric) {
            rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                         "%s (ledger): member_week has no CRS or no grid "
                         "shapes, so visits cannot be placed",
                         opts->ledger);
            goto done;
        }
        gs__progress(ctx, "read visits", -1);
        if ((rc = read_visits(&R))) goto done;
        gs__progress(ctx, "read households", -1);
        if ((rc = gs__io_read_households(ctx, R.in, opts->households, &R.hm,
                                         &R.crs, &R.info)))
            goto done;
        gs__progress(ctx, "read traces", -1);
        memset(&to, 0, sizeof to);
        to.path = opts->traces;
        to.input = R.in;
        to.trace_crs = opts->trace_crs;
        to.tz = R.tz;
        if ((rc = gs__traces_read(ctx, &to, &tr)) ||
            (rc =
                 gs__inputs_note_file(ctx, &R.info, "traces", opts->traces,
                                      tr.layer, (long)(tr.n_fixes + tr.n_bad))))
            goto done;
    }
    gs__phase_end(ctx, "read");

    gs__phase_begin(ctx);
    if (opts->visits) {
        gs__progress(ctx, "check visits", -1);
        if (R.n_v > 1) qsort(R.v, R.n_v, sizeof *R.v, cmp_visit);
        for (size_t i = 0; i < R.n_v; i++)
            R.v[i].member = find_member(&R, R.v[i].member_id);
        if ((rc = keep_tracks(&R, &tr)) || (rc = match_households(&R)) ||
            (rc = check_visits(&R)) || (rc = grids_to_model(&R)) ||
            (rc = care_duties(&R)))
            goto done;
    }
    for (size_t i = 0; i < R.n_m; i++) {
        R.m[i].in.have_visits = opts->visits != NULL;
        gs__assess_score(R.r, &R.m[i].in, &R.m[i].score);
    }
    {
        /* Weeks the ledger lacks are said, not silently skipped. */
        char miss[80] = "", note[160];
        size_t n = 0;
        for (int k = 0; k < R.per.nweeks; k++)
            if (!R.have_week[k])
                n += (size_t)snprintf(miss + n, sizeof miss - n, "%s%s",
                                      n ? ", " : "", R.weeks[k]);
        snprintf(note, sizeof note,
                 "the ledger lacks %s: patrol from the other weeks", miss);
        for (size_t i = 0; n && i < R.n_m; i++) {
            R.m[i].note = join_distinct(&R, R.m[i].note, note, "; ");
            if (!R.m[i].note) {
                rc = nomem(&R);
                goto done;
            }
        }
    }
    gs__phase_end(ctx, "analyse");

    gs__phase_begin(ctx);
    gs__progress(ctx, "write", -1);
    {
        gs__out *out;
        if ((rc = write_outputs(&R, started, &out))) goto done;
        gs__phase_end(ctx, "write");
        rc = gs__out_commit_report(ctx, out, make_report(&R), out_report);
    }
done:
    gs__traces_free(&tr);
    run_free(&R);
    gs__gdal_leave(ctx);
    return rc;
}
