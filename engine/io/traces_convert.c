/*
 * traces_convert.c - coordinates to WGS84, and the checks that need them.
 *
 * Coordinates end in WGS84: an OGR CRS (the layer's, or {trace_crs}
 * EPSG:n) is transformed in batches through OGR/PROJ; GCJ-02 and BD-09
 * are inverted (coord.c), in parallel since each inversion costs 0.4-0.7
 * us. Fixes found unusable only now (a member id that cannot be decoded,
 * a position that cannot be converted or lands out of range) join the
 * bad rows in line order.
 */
#define _GNU_SOURCE /* sysconf */
#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulk.h"
#include "coord.h"
#include "crs.h"
#include "pool.h"
#include "traces_int.h"

/* Transforms the fixes from r->srs to WGS84 in batches; a point PROJ
 * cannot transform becomes NaN. */
int gs__tr_transform_fixes(gs__tr_reader *r) {
    OGRSpatialReferenceH wgs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    double xs[4096], ys[4096];
    int ok[4096], rc;
    gs__traces *out = r->out;
    rc = gs__srs_from_user(r->ctx, "EPSG:4326", &wgs);
    if (rc) return rc;
    if (OSRIsSame(r->srs, wgs)) goto done;
    rc = gs__crs_transform(r->ctx, r->srs, wgs, &ct);
    if (rc) goto done;
    for (size_t i = 0; i < out->n_fixes; i += 4096) {
        size_t k = out->n_fixes - i < 4096 ? out->n_fixes - i : 4096;
        for (size_t j = 0; j < k; j++) {
            xs[j] = out->fixes[i + j].lon;
            ys[j] = out->fixes[i + j].lat;
        }
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OCTTransformEx(ct, (int)k, xs, ys, NULL, ok);
        CPLPopErrorHandler();
        for (size_t j = 0; j < k; j++) {
            out->fixes[i + j].lon = ok[j] ? xs[j] : NAN;
            out->fixes[i + j].lat = ok[j] ? ys[j] : NAN;
        }
    }
done:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    return rc;
}

/* Why fix `f` cannot be used after merging: the field (NULL when it can)
 * and the reason in `why`; *out_member is its member id for the bad row.
 * `b` is the bulk of the fixes' positions: one far outside it is bad
 * (*far set). */
static const char *fix_problem(gs__tr_reader *r, const gs__tr_merged *mg,
                               const gs__bulk *b, const gs__fix *f, char *why,
                               size_t size, const char **out_member, int *far) {
    const gs__traces *out = r->out;
    const char *crs_name = r->srs ? OSRGetName(r->srs) : NULL, *field;
    if (f->member & BAD_MEMBER_FLAG) {
        snprintf(why, size, "text is not valid %s",
                 out->encoding[0] ? out->encoding : "UTF-8");
        *out_member =
            gs__tr_member_text(r, &mg->g.e[f->member & ~BAD_MEMBER_FLAG]);
        return "member_id";
    }
    *out_member = out->member_ids[f->member];
    if (!isfinite(f->lon) || !isfinite(f->lat)) {
        snprintf(why, size, "cannot be converted from %s to WGS84",
                 crs_name ? crs_name : "its CRS");
        return "lon";
    }
    field = gs__tr_check_degrees(f->lon, f->lat, why, size);
    if (field && r->srs) {
        size_t l = strlen(why);
        snprintf(why + l, size - l, " after conversion from %s: wrong CRS?",
                 crs_name ? crs_name : "its CRS");
    }
    if (!field) {
        double d = gs__bulk_far_m(b, f->lon, f->lat);
        char bulk[200];
        if (d > 0) {
            snprintf(why, size,
                     "(%.6f, %.6f) lies %.0f km outside the other fixes "
                     "(%s)",
                     f->lon, f->lat, d / 1000,
                     gs__bulk_describe_text(b, bulk, sizeof bulk));
            field = "lon";
            *far = 1;
        }
    }
    return field;
}

/* Merges `late` (n_late bad rows, in line order) into the traces' bad
 * rows, also in line order. GS_ERR_NOMEM. */
static int merge_late(gs__tr_reader *r, const gs__badrow *late, size_t n_late) {
    gs__traces *out = r->out;
    gs__badrow *all = gs__malloc((out->n_bad + n_late) * sizeof *all);
    size_t a = 0, b = 0, k = 0;
    if (!all) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    while (a < out->n_bad || b < n_late)
        all[k++] = (b == n_late ||
                    (a < out->n_bad && out->bad[a].line <= late[b].line))
                       ? out->bad[a++]
                       : late[b++];
    free(out->bad);
    out->bad = all;
    out->n_bad += n_late;
    return GS_OK;
}

/* Members left without a fix go; the others keep their order, and the
 * fixes are renumbered. GS_ERR_NOMEM. */
static int drop_idle_members(gs__tr_reader *r) {
    gs__traces *out = r->out;
    uint32_t *count = gs__calloc(out->n_members + 1, sizeof *count);
    size_t m = 0;
    if (!count) return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < out->n_fixes; i++) count[out->fixes[i].member]++;
    for (size_t i = 0; i < out->n_members; i++) {
        uint32_t c = count[i];
        count[i] = c ? (uint32_t)m : NO_ENTRY;
        if (c) out->member_ids[m++] = out->member_ids[i];
    }
    if (m != out->n_members) {
        for (size_t i = 0; i < out->n_fixes; i++)
            out->fixes[i].member = count[out->fixes[i].member];
        out->n_members = m;
    }
    free(count);
    return GS_OK;
}

int gs__tr_check_fixes(gs__tr_reader *r, gs__tr_merged *mg) {
    gs__traces *out = r->out;
    gs__badrow *late = NULL;
    gs__bulk b;
    size_t n_late = 0, cap_late = 0, w = 0;
    int rc = GS_OK;
    /* Where the fixes lie, from a sample of at most a million (bulk.h):
     * a fix ten degrees off is a typo, not a patrol. */
    if (out->n_fixes > 0 &&
        gs__bulk_describe(&out->fixes[0].lon, &out->fixes[0].lat,
                          sizeof *out->fixes, out->n_fixes, 1, 1.0, &b))
        return gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
    if (out->n_fixes == 0) memset(&b, 0, sizeof b);
    out->bulk = b;
    for (size_t i = 0; i < out->n_fixes; i++) {
        gs__fix f = out->fixes[i];
        const char *field, *member;
        char why[300];
        int far = 0;
        field = fix_problem(r, mg, &b, &f, why, sizeof why, &member, &far);
        if (!field) {
            out->fixes[w++] = f;
            continue;
        }
        if (n_late == cap_late) {
            gs__badrow *nv = gs__grow_array(late, &cap_late, sizeof *nv, 64);
            if (!nv) {
                rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
                goto done;
            }
            late = nv;
        }
        late[n_late].line = f.line;
        late[n_late].member_id = member;
        late[n_late].field = field;
        late[n_late].reason = gs__arena_strdup(&out->strings, why);
        late[n_late].t_ms = f.t_ms;
        out->n_far += far;
        if (!late[n_late].reason) {
            rc = gs__err(r->ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        n_late++;
    }
    out->n_fixes = w;
    if (n_late && !(rc = merge_late(r, late, n_late)))
        rc = drop_idle_members(r);
done:
    free(late);
    return rc;
}

/* One worker's share of the fixes to invert. */
typedef struct invert_job {
    gs__fix *f;
    size_t n;
    int mode;
} invert_job;

/* Inverts one job's fixes in place; a gs__parallel job. */
static void *invert_run(void *arg) {
    invert_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        gs__fix *f = &j->f[i];
        if (j->mode == CRS_GCJ02)
            gs__gcj02_to_wgs84(f->lon, f->lat, &f->lon, &f->lat);
        else
            gs__bd09_to_wgs84(f->lon, f->lat, &f->lon, &f->lat);
    }
    return NULL;
}

/* GCJ-02 / BD-09 -> WGS84, split over the cores: about a microsecond a
 * fix, eleven seconds for a city's week on one core. */
void gs__tr_invert_fixes(gs__tr_reader *r) {
    invert_job jobs[MAX_PARTS];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cpus > 1 ? (int)(cpus < MAX_PARTS ? cpus : MAX_PARTS) : 1;
    size_t per;
    if (r->out->n_fixes < 100000) n = 1;
    per = (r->out->n_fixes + (size_t)n - 1) / (size_t)n;
    for (int k = 0; k < n; k++) {
        size_t a = per * (size_t)k, b = a + per;
        if (a > r->out->n_fixes) a = r->out->n_fixes;
        if (b > r->out->n_fixes) b = r->out->n_fixes;
        jobs[k].f = r->out->fixes + a;
        jobs[k].n = b - a;
        jobs[k].mode = r->crs_mode;
    }
    gs__parallel(invert_run, jobs, sizeof *jobs, n);
}
