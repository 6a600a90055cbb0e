/*
 * read_events.c - reading reported events (role "events") for hotspots.
 *
 * Unlike the model's layers, events are row data: a row that cannot be
 * used (no point, a time that cannot be read, an unknown status, a
 * repeated event_id, a point PROJ cannot project) is kept in the events'
 * bad rows with its place, field and reason, and never stops the run;
 * only setup problems do. Points are projected together at the end with
 * gs__crs_transform_points, in parallel.
 *
 * Times are ISO 8601 or epoch (gs__time_parse), or, with {time_format},
 * the user's own notation read by the C library's strptime (what an
 * export from another system writes: "04/27/2016 01:44:00 PM"); a time
 * that cannot be read names the option. A layer without a status field is
 * taken as it is, with a warning: its events are resolved when they have
 * a resolved_at, else of unknown status, which is never open and never
 * overdue (taking them all as open would call every old event overdue).
 */
#define _DEFAULT_SOURCE /* strcasecmp, strptime, tm_gmtoff */
#define _XOPEN_SOURCE 700
#include <cpl_error.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "coord.h"
#include "crs.h"
#include "datetime.h"
#include "source.h"

void gs__events_free(gs__events *ev) {
    if (!ev) return;
    free(ev->v);
    free(ev->bad);
    gs__arena_free(&ev->strings);
    memset(ev, 0, sizeof *ev);
}

/* Records an unusable row; the reason is copied. GS_ERR_NOMEM. */
static int event_bad(gs_ctx *ctx, gs__events *ev, gs__origin o, const char *id,
                     const char *field, const char *reason) {
    gs__evbad *b;
    if (ev->n_bad == ev->cap_bad) {
        size_t nc = ev->cap_bad ? ev->cap_bad * 2 : 64;
        gs__evbad *nv = gs__realloc(ev->bad, nc * sizeof *nv);
        if (!nv) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        ev->bad = nv;
        ev->cap_bad = nc;
    }
    b = &ev->bad[ev->n_bad];
    b->origin = o;
    b->event_id = gs__arena_strdup(&ev->strings, id);
    b->field = field;
    b->reason = gs__arena_strdup(&ev->strings, reason);
    if (!b->event_id || !b->reason)
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    ev->n_bad++;
    return GS_OK;
}

/* How the rows' times are read: the zone of local times, and the user's
 * format, if any (with or without an offset, %z). */
typedef struct tread {
    gs_ctx *ctx; /* renders {time_format} in reasons */
    gs__tz *tz;
    const char *format;
    int has_zone;
} tread;

/* Reads `text` with the user's format: the whole text (spaces around
 * it aside), a local time in the zone unless the format has %z. */
static int parse_formatted(const tread *t, const char *text, int64_t *out_ms) {
    struct tm tm;
    const char *end;
    int64_t ms;
    memset(&tm, 0, sizeof tm);
    while (*text == ' ') text++;
    end = strptime(text, t->format, &tm);
    if (!end) return GS_ERR_INPUT_VALUE;
    while (*end == ' ' || *end == '\t' || *end == '\r') end++;
    if (*end) return GS_ERR_INPUT_VALUE;
    if (gs__tz_local_to_utc(t->tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                            tm.tm_hour, tm.tm_min, tm.tm_sec, &ms) != GS_OK)
        return GS_ERR_INPUT_VALUE;
    if (t->has_zone)
        ms = ms + gs__tz_offset_ms(t->tz, ms) - (int64_t)tm.tm_gmtoff * 1000;
    *out_ms = ms;
    return GS_OK;
}

/* One time field: ISO 8601 or epoch, or the user's format when given.
 * The reason in buf names {time_format}. */
static int read_time(const tread *t, const char *text, int64_t *out_ms,
                     char *buf, size_t size) {
    char why[160], fmt[200];
    if (t->format) {
        if (parse_formatted(t, text, out_ms) == GS_OK ||
            gs__time_parse(t->tz, text, out_ms, NULL, 0) == GS_OK)
            return GS_OK;
        snprintf(
            buf, size,
            gs__optfmt(t->ctx, "'%.60s' does not match {time_format} '%.60s'",
                       fmt, sizeof fmt),
            text, t->format);
        return GS_ERR_INPUT_VALUE;
    }
    if (gs__time_parse(t->tz, text, out_ms, why, sizeof why) == GS_OK)
        return GS_OK;
    snprintf(buf, size,
             gs__optfmt(t->ctx,
                        "%s ('%.60s'); a time written another way needs its "
                        "format given with {time_format}",
                        fmt, sizeof fmt),
             why, text);
    return GS_ERR_INPUT_VALUE;
}

/* The row's times and status, or the field and reason it cannot be used
 * (reason in buf). Status: empty means open, or resolved when resolved_at
 * is given; otherwise open, resolved or self_resolved (any case). Without
 * a status field (`has_status` 0): resolved with a resolved_at, else
 * unknown. */
static const char *event_times(const tread *t, const char *rep, const char *res,
                               const char *status, int has_status, gs__event *e,
                               char *buf, size_t size) {
    e->resolved_ms = GS__NO_TIME;
    if (!rep[0]) {
        snprintf(buf, size, "empty");
        return "reported_at";
    }
    if (read_time(t, rep, &e->reported_ms, buf, size)) return "reported_at";
    if (res[0] && read_time(t, res, &e->resolved_ms, buf, size))
        return "resolved_at";
    if (!has_status)
        e->status = res[0] ? GS__EV_RESOLVED : GS__EV_UNKNOWN;
    else if (!status[0])
        e->status = res[0] ? GS__EV_RESOLVED : GS__EV_OPEN;
    else if (!strcasecmp(status, "open"))
        e->status = GS__EV_OPEN;
    else if (!strcasecmp(status, "resolved"))
        e->status = GS__EV_RESOLVED;
    else if (!strcasecmp(status, "self_resolved"))
        e->status = GS__EV_SELF_RESOLVED;
    else {
        snprintf(buf, size, "'%.60s' is not open, resolved or self_resolved",
                 status);
        return "status";
    }
    if (e->status == GS__EV_OPEN && res[0]) {
        snprintf(buf, size, "status is open but resolved_at is %.40s", res);
        return "status";
    }
    if (res[0] && e->resolved_ms < e->reported_ms) {
        snprintf(buf, size, "%.40s is before reported_at %.40s", res, rep);
        return "resolved_at";
    }
    return NULL;
}

static int cmp_evbad(const void *a, const void *b) {
    const gs__evbad *x = a, *y = b;
    return x->origin.fid < y->origin.fid ? -1 : x->origin.fid > y->origin.fid;
}

/* Drops events whose point cannot be projected, then every repeat of an
 * event_id among the events left (the first usable one in file order
 * stays, so a copy whose point could not be projected does not take the
 * others with it), recording them as bad rows. The ids go through a hash
 * table: a dense week has millions. */
static int events_finish(gs_ctx *ctx, gs__events *ev) {
    size_t n = ev->n, w = 0;
    unsigned char *drop = gs__calloc(n ? n : 1, 1);
    gs__strset seen = {0};
    int rc = GS_OK;
    if (!drop) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (isfinite(ev->v[i].x) && isfinite(ev->v[i].y)) continue;
        drop[i] = 1;
        if ((rc = event_bad(ctx, ev, ev->v[i].origin, ev->v[i].id, "geometry",
                            "point cannot be projected to the metric CRS "
                            "(outside its range)")))
            goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char reason[96];
        const gs__origin *o;
        size_t first;
        int added;
        if (drop[i] || !ev->v[i].id[0]) continue;
        added = gs__strset_add(&seen, ev->v[i].id, i, &first);
        if (added < 0) {
            rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (added) continue;
        drop[i] = 1;
        o = &ev->v[first].origin;
        snprintf(reason, sizeof reason, "duplicate event_id (first at %s %ld)",
                 o->line > 0 ? "line" : "feature",
                 o->line > 0 ? o->line : o->fid);
        if ((rc = event_bad(ctx, ev, ev->v[i].origin, ev->v[i].id, "event_id",
                            reason)))
            goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!drop[i]) ev->v[w++] = ev->v[i];
    ev->n = w;
    if (ev->n_bad > 1) qsort(ev->bad, ev->n_bad, sizeof *ev->bad, cmp_evbad);
done:
    gs__strset_free(&seen);
    free(drop);
    return rc;
}

/* The fields of an event, in the order of `names`; the first three are
 * required. */
enum { F_ID, F_CATEGORY, F_REPORTED, F_RESOLVED, F_STATUS, F_GRID, F_COUNT };
static const char *const names[F_COUNT] = {"event_id",    "category",
                                           "reported_at", "resolved_at",
                                           "status",      "grid_code"};

/* Appends one usable event. GS_ERR_NOMEM. */
static int add_event(gs_ctx *ctx, gs__events *out, size_t *cap,
                     const gs__event *e) {
    if (out->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        gs__event *nv = gs__realloc(out->v, nc * sizeof *nv);
        if (!nv) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        out->v = nv;
        *cap = nc;
    }
    out->v[out->n++] = *e;
    return GS_OK;
}

/* Reads every row into out->v (points in the source's CRS) or out->bad.
 * *out_of_range counts points outside lon/lat bounds in a geographic CRS.
 * Fails only on text that is not UTF-8, a read error, or memory. */
static int read_rows(gs__src *s, const tread *t, const int fi[F_COUNT],
                     gs__events *out, size_t *out_of_range) {
    gs_ctx *ctx = s->ctx;
    OGRFeatureH f;
    size_t cap = 0;
    int rc = GS_OK;
    OGR_L_ResetReading(s->lyr);
    while ((f = OGR_L_GetNextFeature(s->lyr)) != NULL) {
        gs__event e;
        const char *txt[F_COUNT], *problem, *field = "geometry";
        char buf[300];
        memset(&e, 0, sizeof e);
        e.origin = gs__src_origin(s, f);
        for (int k = 0; k < F_COUNT && !rc; k++)
            rc = gs__src_str(s, f, fi[k], names[k], &txt[k]);
        if (rc) {
            OGR_F_Destroy(f);
            return rc;
        }
        problem = gs__src_point_problem(s, f, &e.x, &e.y, buf, sizeof buf);
        OGR_F_Destroy(f);
        if (!problem) {
            field =
                event_times(t, txt[F_REPORTED], txt[F_RESOLVED], txt[F_STATUS],
                            fi[F_STATUS] >= 0, &e, buf, sizeof buf);
            problem = field ? buf : NULL;
        }
        if (problem) {
            if ((rc = event_bad(ctx, out, e.origin, txt[F_ID], field, problem)))
                return rc;
            continue;
        }
        e.id = txt[F_ID];
        e.category = txt[F_CATEGORY];
        e.grid_code = txt[F_GRID];
        e.day = gs__local_day(t->tz, e.reported_ms);
        out->n_unknown += e.status == GS__EV_UNKNOWN;
        if (s->srs && OSRIsGeographic(s->srs) &&
            (e.x < -180 || e.x > 360 || e.y < -90 || e.y > 90))
            (*out_of_range)++;
        if ((rc = add_event(ctx, out, &cap, &e))) return rc;
    }
    if (CPLGetLastErrorType() >= CE_Failure && ctx->libmsg[0])
        return gs__err_lib(ctx, GS_ERR_INPUT_OPEN,
                           "%s, layer %s: reading stopped after %zu features",
                           s->path, s->layer, out->n + out->n_bad);
    return GS_OK;
}

/* Moves the events whose point lies far outside the others, or outside the
 * CRS's range (bulk.h), to the bad rows: one event at (0, 0) would
 * otherwise widen the density's bandwidth a thousandfold. The bulk goes
 * into the run's metadata. GS_ERR_NOMEM. */
static int drop_far(gs__src *s, gs__events *ev, gs__inputs *info) {
    gs__bulk b;
    size_t n = ev->n, w = 0, n_far = 0;
    int geographic = s->srs && OSRIsGeographic(s->srs), rc;
    double unit = geographic || !s->srs ? 1.0 : OSRGetLinearUnits(s->srs, NULL);
    char bulk[200];
    if (n == 0) return GS_OK;
    rc = gs__bulk_describe(&ev->v[0].x, &ev->v[0].y, sizeof *ev->v, n,
                           geographic, unit, &b);
    if (rc) return gs__err(s->ctx, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        gs__event *e = &ev->v[i];
        double d = gs__bulk_outside_crs(&b, e->x, e->y)
                       ? INFINITY
                       : gs__bulk_far_m(&b, e->x, e->y);
        char why[400];
        if (d == 0) {
            ev->v[w++] = *e;
            continue;
        }
        if (isinf(d))
            snprintf(why, sizeof why,
                     "(%.6g, %.6g) is outside the range of the layer's CRS",
                     e->x, e->y);
        else
            snprintf(why, sizeof why,
                     "(%.6g, %.6g) lies %.0f km outside the other events "
                     "(%s)",
                     e->x, e->y, d / 1000,
                     gs__bulk_describe_text(&b, bulk, sizeof bulk));
        n_far++;
        if ((rc = event_bad(s->ctx, ev, e->origin, e->id, "geometry", why)))
            return rc;
    }
    ev->n = w;
    gs__src_bulk_record(s, info, &b, geographic, n_far);
    return GS_OK;
}

/* How {event_crs} says the points are to be read: 0 as the layer's CRS
 * (a CSV's lon/lat: WGS84), 1 GCJ-02, 2 BD-09 (both lon/lat), or 3 in the
 * CRS it names, which replaces the layer's in s->srs. GS_ERR_USAGE. */
static int event_crs_mode(gs__src *s, const char *c, int *mode) {
    OGRSpatialReferenceH srs;
    *mode = 0;
    if (!c || !strcasecmp(c, "wgs84") || !strcasecmp(c, "wgs-84")) return GS_OK;
    if (!strcasecmp(c, "gcj02") || !strcasecmp(c, "gcj-02")) {
        *mode = 1;
    } else if (!strcasecmp(c, "bd09") || !strcasecmp(c, "bd-09")) {
        *mode = 2;
    } else {
        srs = OSRNewSpatialReference(NULL);
        if (!srs) return gs__err(s->ctx, GS_ERR_NOMEM, "out of memory");
        gs__libmsg_clear(s->ctx);
        if (OSRSetFromUserInput(srs, c) != OGRERR_NONE) {
            OSRDestroySpatialReference(srs);
            return gs__err_lib(s->ctx, GS_ERR_USAGE,
                               "{event_crs} '%s': not wgs84, gcj02, bd09 or "
                               "a CRS such as EPSG:4490",
                               c);
        }
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
        if (s->srs) OSRDestroySpatialReference(s->srs);
        s->srs = srs;
        *mode = 3;
        return GS_OK;
    }
    if (!s->srs || !OSRIsGeographic(s->srs))
        return gs__err(s->ctx, GS_ERR_USAGE,
                       "{event_crs} %s shifts longitudes and latitudes, but "
                       "%s, layer %s is in a projected CRS",
                       c, s->path, s->layer);
    return GS_OK;
}

/* GCJ-02 or BD-09 (mode 1, 2) back to WGS84, in place, for the points
 * that are longitudes and latitudes at all. */
static void invert_offsets(gs__events *ev, int mode) {
    for (size_t i = 0; i < ev->n; i++) {
        gs__event *e = &ev->v[i];
        if (!(e->x >= -180 && e->x <= 180 && e->y >= -90 && e->y <= 90))
            continue;
        if (mode == 1)
            gs__gcj02_to_wgs84(e->x, e->y, &e->x, &e->y);
        else
            gs__bd09_to_wgs84(e->x, e->y, &e->x, &e->y);
    }
}

int gs__io_read_events(gs_ctx *ctx, const gs_input_opts *opts, const char *path,
                       gs__tz *tz, const char *event_crs,
                       const gs__crsinfo *crs, int threads, gs__events *out,
                       gs__inputs *info) {
    gs__src s;
    int rc, fi[F_COUNT], mode;
    size_t out_of_range = 0;
    tread t = {ctx, tz, opts ? opts->time_format : NULL, 0};

    memset(out, 0, sizeof *out);
    gs__arena_init(&out->strings);
    rc = gs__src_open(ctx, opts, "events", path, 1, &out->strings, &s, info);
    if (rc) return rc;
    snprintf(out->layer, sizeof out->layer, "%s", s.layer);
    out->is_csv = s.is_csv;
    if ((rc = event_crs_mode(&s, event_crs, &mode))) goto done;
    for (int k = 0; k < F_COUNT; k++)
        if ((rc = gs__src_field(&s, names[k], k < 3, &fi[k]))) goto done;
    if (t.format && !t.format[0]) t.format = NULL;
    t.has_zone = t.format && strstr(t.format, "%z") != NULL;
    out->no_status = fi[F_STATUS] < 0;
    rc = read_rows(&s, &t, fi, out, &out_of_range);
    if (rc) goto done;
    if (out->no_status && out->n_unknown)
        gs__warn(ctx,
                 "%s, layer %s (events): no status field; %zu events "
                 "without a resolved_at are counted as status unknown, "
                 "never as open or overdue (map the field with "
                 "{fields} events.status=...)",
                 path, s.layer, out->n_unknown);
    if (out_of_range * 2 > out->n && out->n > 0) {
        rc = gs__err(ctx, GS_ERR_INPUT_CRS,
                     "%s, layer %s (events): %zu of %zu points are not "
                     "longitudes and latitudes, yet the layer's CRS is "
                     "geographic; the data is probably projected and its "
                     "CRS declared wrongly",
                     path, s.layer, out_of_range, out->n);
        goto done;
    }
    if (mode == 1 || mode == 2) invert_offsets(out, mode);
    if ((rc = drop_far(&s, out, info))) goto done;
    if (out->n > 0 && (rc = gs__crs_transform_points(
                           ctx, s.srs, crs->metric, &out->v[0].x, &out->v[0].y,
                           sizeof *out->v, out->n, threads)))
        goto done;
    rc = events_finish(ctx, out);
done:
    gs__src_close(&s);
    if (rc) gs__events_free(out);
    return rc;
}
