/*
 * patrol.c - patrol time, coverage and compliance (docs/design.md, "Patrol
 * time").
 *
 * Input: the grids and households (metric) of the model, the members'
 * tracks (fixes in file order, metric, UTC), a clock (local days, their
 * UTC starts, workdays) and the period. Output per (member, grid) entry:
 * one row per day and per ISO week, the credited line work, gaps, GPS
 * problems and unreached households.
 *
 * Per track, in this order (each step exactly as docs/design.md words it):
 *  1. rows out of time order are noted; fixes are sorted by time, ties in
 *     file order; a fix whose time was already seen is a duplicate and
 *     dropped (the first in file order stays);
 *  2. each segment between consecutive fixes: 0 < dt <= max_gap_s and speed
 *     <= max_speed_mps is credited; a longer one is a gap (gap_s); a faster
 *     one is a GPS jump (neither time nor gap);
 *  3. segments crossing local midnight are split in proportion of time, at
 *     the position reached at midnight, credited ones and gaps alike;
 *  4. a credited piece contributes dt x (share of its straight length
 *     inside the polygon), or dt when it has no length and its point is
 *     inside: for the member's grid (in_grid_s) and the grid buffered by
 *     tolerance_m (in_grid_tolerant_s). The share comes from clip.c, which
 *     tests check against GEOS;
 *  5. per ISO week: coverage_pct, the share of the grid's area within
 *     coverage_m of the week's credited segments, sampled at the centres of
 *     a raster_m raster (an exact Euclidean distance transform of the
 *     rasterised segments: distances are exact to within half a cell's
 *     diagonal, 0.71 m at 1 m); households reached within reach_m, exactly
 *     (point-to-segment distances through a segment index).
 *
 * Tracks are independent, so workers take them in turn, each writing only
 * its own entries' slots: the result is the same for any thread count.
 */
#define _POSIX_C_SOURCE 200809L
#include "patrol.h"

#include <cpl_conv.h>
#include <float.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <math.h>
#include <ogr_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "cover.h"
#include "households.h"
#include "pool.h"

static const char *const gps_names[GS__GPS_KINDS] = {
    "jump", "duplicate", "out_of_order", "low_accuracy", "suspected_mock"};

const char *gs__gps_kind_name(int kind) {
    return kind >= 0 && kind < GS__GPS_KINDS ? gps_names[kind] : "unknown";
}

void gs__patrol_rules_from(const gs_rules *r, gs__patrol_rules *o) {
    o->max_gap_s = r->max_gap_s;
    o->max_speed_mps = r->max_speed_mps;
    o->tolerance_m = r->tolerance_m;
    o->daily_min_s = r->daily_min_s;
    o->weekly_min_s = r->weekly_min_s;
    o->coverage_m = r->coverage_m;
    o->reach_m = r->reach_m;
    o->raster_m = r->raster_m;
    o->low_accuracy_m = r->low_accuracy_m;
    o->mock_min_fixes = r->mock_min_fixes;
}

/* Days since 1970-01-01 (a Thursday) -> ISO weekday 1 = Monday. */
static int weekday(int32_t day) {
    int w = (int)(((day + 3) % 7 + 7) % 7);
    return w + 1;
}

static int32_t monday_of(int32_t day) { return day - (weekday(day) - 1); }

/* ---- entries ----------------------------------------------------------- */

typedef struct key_ix {
    const char *a, *b;
    size_t i;
} key_ix;

static int cmp_key(const void *p, const void *q) {
    const key_ix *x = p, *y = q;
    int c = strcmp(x->a, y->a);
    if (c) return c;
    c = strcmp(x->b, y->b);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

int gs__patrol_entries(gs_ctx *ctx, const gs__model *m,
                       const gs__patrol_track *tracks, size_t n_tracks,
                       gs__patrol_result *res) {
    size_t nm = m->n_members, ne = 0;
    key_ix *rv = gs__malloc(sizeof *rv * (nm ? nm : 1));
    gs__strix *tv = gs__malloc(sizeof *tv * (n_tracks ? n_tracks : 1));
    gs__strix *gv = gs__malloc(sizeof *gv * (m->n_grids ? m->n_grids : 1));
    unsigned char *seen = gs__calloc(n_tracks ? n_tracks : 1, 1);
    int rc = GS_OK;
    memset(res, 0, sizeof *res);
    res->entries = gs__calloc(nm + n_tracks + 1, sizeof *res->entries);
    if (!rv || !tv || !gv || !seen || !res->entries) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nm; i++) {
        rv[i].a = m->members[i].member_id;
        rv[i].b = m->members[i].grid_code;
        rv[i].i = i;
    }
    qsort(rv, nm, sizeof *rv, cmp_key);
    for (size_t i = 0; i < n_tracks; i++)
        tv[i] = (gs__strix){tracks[i].member_id, i};
    qsort(tv, n_tracks, sizeof *tv, gs__strix_cmp);
    for (size_t i = 0; i < m->n_grids; i++)
        gv[i] = (gs__strix){m->grids[i].code, i};
    qsort(gv, m->n_grids, sizeof *gv, gs__strix_cmp);
    /* One entry per distinct (member, grid code) of the roster. */
    for (size_t k = 0; k < nm; k++) {
        gs__patrol_entry *e;
        long g, t;
        if (k > 0 && !strcmp(rv[k].a, rv[k - 1].a) &&
            !strcmp(rv[k].b, rv[k - 1].b))
            continue;
        e = &res->entries[ne++];
        e->member_id = rv[k].a;
        e->name = m->members[rv[k].i].name ? m->members[rv[k].i].name : "";
        e->grid_code = rv[k].b;
        /* The grid with that code; the first in input order if several. */
        g = gs__strix_lookup(gv, m->n_grids, rv[k].b);
        e->grid = g;
        t = gs__strix_lookup(tv, n_tracks, rv[k].a);
        e->track = t;
        if (t >= 0) seen[t] = 1;
        e->note = g < 0 ? "grid does not exist" : "";
        if (g >= 0) {
            /* A code on several grids: the member's grid is their union,
             * so patrolling any of them counts (validate reports the
             * duplicate_code). */
            size_t n_same = 0;
            for (size_t q = 0; q < m->n_grids; q++)
                n_same += !strcmp(m->grids[q].code, rv[k].b);
            if (n_same > 1)
                e->note = "grid code on several grids: union used";
            else if (m->grids[g].far)
                /* validate reports which vertex (far_coordinate) */
                e->note =
                    "grid outline has a vertex far outside the other "
                    "grids: measured without it";
        }
    }
    /* Members seen only in the traces: reported, not dropped. */
    for (size_t k = 0; k < n_tracks; k++) {
        gs__patrol_entry *e;
        if (seen[tv[k].i]) continue;
        e = &res->entries[ne++];
        e->member_id = tv[k].s;
        e->name = "";
        e->grid_code = "";
        e->grid = -1;
        e->track = (long)tv[k].i;
        e->note = "not in roster";
    }
    res->n_entries = ne;
done:
    free(rv);
    free(tv);
    free(gv);
    free(seen);
    return rc;
}

void gs__patrol_result_free(gs__patrol_result *res) {
    for (size_t e = 0; res->out && e < res->n_entries; e++) {
        gs__patrol_out *o = &res->out[e];
        free(o->days);
        for (int w = 0; o->weeks && w < res->nweeks; w++)
            CPLFree(o->weeks[w].uncovered_wkb);
        free(o->weeks);
        for (size_t l = 0; l < o->n_lines; l++) {
            free(o->lines[l].xy);
            free(o->lines[l].starts);
        }
        free(o->lines);
        free(o->gaps);
        free(o->issues);
        free(o->unreached);
        free(o->unreached_week);
    }
    free(res->out);
    free(res->entries);
    free(res->mondays);
    free(res->household_grid);
    memset(res, 0, sizeof *res);
}

/* ---- per-track work ---------------------------------------------------------
 */

/* A credited segment, kept for the week's coverage and reach. */
typedef struct seg {
    double x0, y0, x1, y1;
} seg;

typedef struct segs {
    seg *v;
    size_t n, cap;
} segs;

static int segs_add(segs *s, double x0, double y0, double x1, double y1) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        seg *nv = gs__realloc(s->v, nc * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = (seg){x0, y0, x1, y1};
    return GS_OK;
}

typedef struct shared {
    const gs__model *m;
    gs__patrol_track *tracks;
    size_t n_tracks;
    const gs__patrol_clock *pt;
    const gs__patrol_rules *rules;
    gs__patrol_result *res;
    gs__clip **strict, **tolerant;   /* per grid, NULL when unused */
    size_t *hh_start, *hh_idx;       /* households of each grid (CSR) */
    size_t *entry_start, *entry_idx; /* entries of each track (CSR) */
    const gs__patrol_source *src;    /* fills tracks without fixes */
    size_t next;                     /* next track to take */
    pthread_mutex_t lock;
    int rc;
} shared;

static int add_issue(gs__patrol_out *o, int kind, const gs__patrol_fix *f,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add_issue(gs__patrol_out *o, int kind, const gs__patrol_fix *f,
                     const char *fmt, ...) {
    va_list ap;
    gs__patrol_issue *is;
    if (o->n_issues == o->cap_issues) {
        size_t nc = o->cap_issues ? o->cap_issues * 2 : 16;
        gs__patrol_issue *nv = gs__realloc(o->issues, nc * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        o->issues = nv;
        o->cap_issues = nc;
    }
    is = &o->issues[o->n_issues++];
    is->kind = kind;
    is->t_ms = f->t_ms;
    is->x = f->x;
    is->y = f->y;
    is->line = f->line;
    va_start(ap, fmt);
    vsnprintf(is->detail, sizeof is->detail, fmt, ap);
    va_end(ap);
    return GS_OK;
}

static int cmp_fix(const void *p, const void *q) {
    const gs__patrol_fix *a = p, *b = q;
    if (a->t_ms != b->t_ms) return a->t_ms < b->t_ms ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* The line being built for the current day. */
typedef struct linebuf {
    gs__patrol_line cur;
    size_t cap_pts, cap_parts;
    double lastx, lasty;
    int open;
} linebuf;

static int line_point(linebuf *lb, double x, double y) {
    if (lb->cur.npts == lb->cap_pts) {
        size_t nc = lb->cap_pts ? lb->cap_pts * 2 : 256;
        double *nv = gs__realloc(lb->cur.xy, nc * 2 * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        lb->cur.xy = nv;
        lb->cap_pts = nc;
    }
    lb->cur.xy[2 * lb->cur.npts] = x;
    lb->cur.xy[2 * lb->cur.npts + 1] = y;
    lb->cur.npts++;
    lb->lastx = x;
    lb->lasty = y;
    return GS_OK;
}

static int line_part(linebuf *lb) {
    if (lb->cur.nparts + 2 > lb->cap_parts) {
        size_t nc = lb->cap_parts ? lb->cap_parts * 2 : 16;
        size_t *nv = gs__realloc(lb->cur.starts, nc * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        lb->cur.starts = nv;
        lb->cap_parts = nc;
    }
    lb->cur.starts[lb->cur.nparts++] = lb->cur.npts;
    lb->cur.starts[lb->cur.nparts] = lb->cur.npts;
    return GS_OK;
}

/* Adds a credited piece to the day's line work. */
static int line_add(linebuf *lb, double x0, double y0, double x1, double y1) {
    int rc;
    if (!lb->open || lb->lastx != x0 || lb->lasty != y0) {
        if ((rc = line_part(lb)) || (rc = line_point(lb, x0, y0))) return rc;
        lb->open = 1;
    }
    rc = line_point(lb, x1, y1);
    if (!rc) lb->cur.starts[lb->cur.nparts] = lb->cur.npts;
    return rc;
}

/* Moves the day's line into the output. */
static int line_flush(gs__patrol_out *o, linebuf *lb, int32_t day) {
    gs__patrol_line *nv;
    if (lb->cur.npts > 0) {
        nv = gs__realloc(o->lines, (o->n_lines + 1) * sizeof *nv);
        if (!nv) return GS_ERR_NOMEM;
        o->lines = nv;
        lb->cur.day = day;
        o->lines[o->n_lines++] = lb->cur;
    } else {
        free(lb->cur.xy);
        free(lb->cur.starts);
    }
    memset(lb, 0, sizeof *lb);
    return GS_OK;
}

static double seg_dist2(const seg *s, double x, double y) {
    double dx = s->x1 - s->x0, dy = s->y1 - s->y0;
    double l2 = dx * dx + dy * dy, t = 0, px, py;
    if (l2 > 0) {
        t = ((x - s->x0) * dx + (y - s->y0) * dy) / l2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    px = s->x0 + t * dx - x;
    py = s->y0 + t * dy - y;
    return px * px + py * py;
}

/* Coverage, reach and unreached households of one entry-week. */
static int week_coverage(shared *sh, gs__cover_buf *cb, size_t entry, int w,
                         const segs *ws) {
    const gs__patrol_rules *r = sh->rules;
    gs__patrol_entry *e = &sh->res->entries[entry];
    gs__patrol_out *o = &sh->res->out[entry];
    gs__patrol_week *wk = &o->weeks[w];
    const gs__clip *clip = sh->strict[e->grid];
    const gs__model *m = sh->m;
    double minx, miny, maxx, maxy, cell = r->raster_m, reach;
    double R = r->coverage_m;
    int nx, ny, rc = GS_OK;
    unsigned char *src, *inside, *cov;
    size_t ncells;
    long n_in = 0, n_cov = 0;
    float lim2;
    /* The households' index for reach: uniform cells of `reach` metres. */
    int gx, gy;
    double g0x, g0y, gcell;

    gs__clip_bounds(clip, &minx, &miny, &maxx, &maxy);
    /* The raster covers the grid plus R, so sources just outside count. */
    minx -= R + cell;
    miny -= R + cell;
    maxx += R + cell;
    maxy += R + cell;
    while (((maxx - minx) / cell + 1) * ((maxy - miny) / cell + 1) > 16e6)
        cell *= 2; /* very large rural grids: coarser, bounded memory */
    nx = (int)ceil((maxx - minx) / cell);
    ny = (int)ceil((maxy - miny) / cell);
    ncells = (size_t)nx * (size_t)ny;
    if (gs__grow(&cb->src, &cb->n_src, ncells, 1) ||
        gs__grow(&cb->inside, &cb->n_inside, ncells, 1) ||
        gs__grow(&cb->cov, &cb->n_cov, ncells, 1))
        goto nomem;
    src = cb->src;
    inside = cb->inside;
    cov = cb->cov;
    memset(src, 0, ncells);
    /* Rasterise: every cell a segment passes through is a source, walked
     * cell by cell (Amanatides & Woo), so no touched cell is skipped. */
    for (size_t s = 0; s < ws->n; s++) {
        const seg *sg = &ws->v[s];
        double ax = (sg->x0 - minx) / cell, ay = (sg->y0 - miny) / cell;
        double bx = (sg->x1 - minx) / cell, by = (sg->y1 - miny) / cell;
        double dx = bx - ax, dy = by - ay, tmx, tmy, tdx, tdy;
        int i, j, i1, j1, sx, sy, guard;
        if (fmax(ax, bx) < 0 || fmin(ax, bx) >= nx || fmax(ay, by) < 0 ||
            fmin(ay, by) >= ny)
            continue;
        i = (int)floor(ax);
        j = (int)floor(ay);
        i1 = (int)floor(bx);
        j1 = (int)floor(by);
        sx = dx > 0 ? 1 : -1;
        sy = dy > 0 ? 1 : -1;
        tdx = dx != 0 ? fabs(1.0 / dx) : HUGE_VAL;
        tdy = dy != 0 ? fabs(1.0 / dy) : HUGE_VAL;
        tmx = dx != 0 ? ((dx > 0 ? floor(ax) + 1 - ax : ax - floor(ax)) * tdx)
                      : HUGE_VAL;
        tmy = dy != 0 ? ((dy > 0 ? floor(ay) + 1 - ay : ay - floor(ay)) * tdy)
                      : HUGE_VAL;
        guard = abs(i1 - i) + abs(j1 - j) + 2;
        for (;;) {
            if (i >= 0 && j >= 0 && i < nx && j < ny)
                src[(size_t)j * (size_t)nx + (size_t)i] = 1;
            if ((i == i1 && j == j1) || --guard < 0) break;
            if (tmx < tmy) {
                tmx += tdx;
                i += sx;
            } else {
                tmy += tdy;
                j += sy;
            }
        }
    }
    /* Cells within R of a source: by discs up to DILATE_MAX_CELLS cells,
     * by the distance transform beyond; the same cells either way. */
    {
        double lim = R / cell;
        lim2 = (float)(lim * lim);
    }
    if (lim2 < (float)((DILATE_MAX_CELLS + 1) * (DILATE_MAX_CELLS + 1)))
        rc = gs__cover_dilate(cb, src, nx, ny, lim2, cov);
    else
        rc = gs__cover_edt(cb, src, nx, ny, lim2, cov);
    if (rc) goto nomem;
    /* Cells inside the grid, a row at a time; covered within R. */
    memset(inside, 0, ncells);
    for (int j = 0; j < ny; j++) {
        unsigned char *row = inside + (size_t)j * (size_t)nx;
        const unsigned char *cr = cov + (size_t)j * (size_t)nx;
        gs__clip_scanline(clip, miny + (j + 0.5) * cell, minx, cell, nx, row);
        for (int i = 0; i < nx; i++) {
            if (!row[i]) continue;
            n_in++;
            if (cr[i]) {
                row[i] = 2;
                n_cov++;
            }
        }
    }
    wk->coverage_pct = n_in > 0 ? 100.0 * (double)n_cov / (double)n_in : 0.0;

    /* Uncovered parts: polygonise the cells inside and not covered. */
    if (n_in > n_cov) {
        GDALDriverH mem = GDALGetDriverByName("MEM");
        GDALDatasetH rds =
            mem ? GDALCreate(mem, "", nx, ny, 1, GDT_Byte, NULL) : NULL;
        OGRGeometryH multi = NULL;
        if (rds) {
            GDALRasterBandH band = GDALGetRasterBand(rds, 1);
            double gt[6] = {minx, cell, 0, miny + ny * cell, 0, -cell};
            unsigned char *buf = gs__malloc(ncells);
            GDALDriverH vmem = GDALGetDriverByName("Memory");
            GDALDatasetH vds =
                vmem ? GDALCreate(vmem, "", 0, 0, 0, GDT_Unknown, NULL) : NULL;
            OGRLayerH lyr =
                vds ? GDALDatasetCreateLayer(vds, "u", NULL, wkbPolygon, NULL)
                    : NULL;
            GDALSetGeoTransform(rds, gt);
            if (buf && lyr) {
                OGRFieldDefnH fd = OGR_Fld_Create("v", OFTInteger);
                OGR_L_CreateField(lyr, fd, 1);
                OGR_Fld_Destroy(fd);
                /* Raster rows go north to south. */
                for (int j = 0; j < ny; j++)
                    for (int i = 0; i < nx; i++)
                        buf[(size_t)(ny - 1 - j) * (size_t)nx + (size_t)i] =
                            inside[(size_t)j * (size_t)nx + (size_t)i] == 1;
                if (GDALRasterIO(band, GF_Write, 0, 0, nx, ny, buf, nx, ny,
                                 GDT_Byte, 0, 0) == CE_None &&
                    GDALPolygonize(band, band, lyr, 0, NULL, NULL, NULL) ==
                        CE_None) {
                    OGRFeatureH ft;
                    multi = OGR_G_CreateGeometry(wkbMultiPolygon);
                    OGR_L_ResetReading(lyr);
                    while (multi && (ft = OGR_L_GetNextFeature(lyr)) != NULL) {
                        if (OGR_F_GetFieldAsInteger(ft, 0) == 1)
                            OGR_G_AddGeometry(multi, OGR_F_GetGeometryRef(ft));
                        OGR_F_Destroy(ft);
                    }
                }
            }
            free(buf);
            if (vds) GDALClose(vds);
            GDALClose(rds);
        }
        if (multi && !OGR_G_IsEmpty(multi)) {
            int n = OGR_G_WkbSize(multi);
            wk->uncovered_wkb = CPLMalloc((size_t)n);
            OGR_G_ExportToWkb(multi, wkbNDR, wk->uncovered_wkb);
            wk->uncovered_len = (size_t)n;
        }
        if (multi) OGR_G_DestroyGeometry(multi);
    }

    /* Households reached, exactly: a household is reached when a credited
     * segment of the week passes within reach_m of it. The grid's
     * households (a few hundred) are indexed in cells of reach_m, and each
     * segment tests only the households not yet reached in the cells its
     * box, grown by reach_m, meets: every segment within reach_m of a
     * household meets the household's cell, so the test is the same as
     * trying every segment, at a fraction of the cost. */
    {
        size_t h0 = sh->hh_start[e->grid], nh = sh->hh_start[e->grid + 1] - h0;
        size_t ncell, left = 0;
        double r2 = r->reach_m * r->reach_m;
        reach = r->reach_m > 0 ? r->reach_m : 1;
        gs__clip_bounds(clip, &g0x, &g0y, &maxx, &maxy);
        g0x -= reach;
        g0y -= reach;
        gcell = reach;
        gx = (int)ceil((maxx + reach - g0x) / gcell) + 1;
        gy = (int)ceil((maxy + reach - g0y) / gcell) + 1;
        while ((double)gx * gy > 4e6) {
            gcell *= 2;
            gx = (int)ceil((maxx + reach - g0x) / gcell) + 1;
            gy = (int)ceil((maxy + reach - g0y) / gcell) + 1;
        }
        ncell = (size_t)gx * (size_t)gy;
        if (gs__grow(&cb->hit, &cb->n_hit, nh, 1) ||
            gs__grow(&cb->hcell, &cb->n_hcell, nh, sizeof *cb->hcell) ||
            gs__grow(&cb->hstart, &cb->n_hstart, ncell + 1,
                     sizeof *cb->hstart) ||
            gs__grow(&cb->hidx, &cb->n_hidx, nh, sizeof *cb->hidx))
            goto nomem;
        memset(cb->hit, 0, nh ? nh : 1);
        memset(cb->hstart, 0, (ncell + 1) * sizeof *cb->hstart);
        for (size_t q = 0; q < nh; q++) {
            const gs__household *hh = &m->households[sh->hh_idx[h0 + q]];
            double fi = floor((hh->x - g0x) / gcell),
                   fj = floor((hh->y - g0y) / gcell);
            cb->hcell[q] = SIZE_MAX; /* outside the index: never reached */
            if (!(fi >= 0 && fj >= 0 && fi < gx && fj < gy)) continue;
            cb->hcell[q] = (size_t)fj * (size_t)gx + (size_t)fi;
            cb->hstart[cb->hcell[q] + 1]++;
            left++;
        }
        for (size_t k = 0; k < ncell; k++) cb->hstart[k + 1] += cb->hstart[k];
        {
            size_t *fill = cb->hstart; /* filled as starts, shifted back */
            for (size_t q = 0; q < nh; q++)
                if (cb->hcell[q] != SIZE_MAX)
                    cb->hidx[fill[cb->hcell[q]]++] = q;
            for (size_t k = ncell; k > 0; k--) fill[k] = fill[k - 1];
            fill[0] = 0;
        }
        for (size_t s = 0; s < ws->n && left > 0; s++) {
            const seg *sg = &ws->v[s];
            double fi0 = floor((fmin(sg->x0, sg->x1) - reach - g0x) / gcell);
            double fi1 = floor((fmax(sg->x0, sg->x1) + reach - g0x) / gcell);
            double fj0 = floor((fmin(sg->y0, sg->y1) - reach - g0y) / gcell);
            double fj1 = floor((fmax(sg->y0, sg->y1) + reach - g0y) / gcell);
            int i0, i1, j0, j1;
            if (!(fi1 >= 0 && fj1 >= 0 && fi0 < gx && fj0 < gy)) continue;
            i0 = fi0 < 0 ? 0 : (int)fi0;
            j0 = fj0 < 0 ? 0 : (int)fj0;
            i1 = fi1 >= gx ? gx - 1 : (int)fi1;
            j1 = fj1 >= gy ? gy - 1 : (int)fj1;
            for (int j = j0; j <= j1; j++)
                for (int i = i0; i <= i1; i++) {
                    size_t k = (size_t)j * (size_t)gx + (size_t)i;
                    for (size_t c = cb->hstart[k]; c < cb->hstart[k + 1]; c++) {
                        size_t q = cb->hidx[c];
                        const gs__household *hh =
                            &m->households[sh->hh_idx[h0 + q]];
                        if (cb->hit[q] || seg_dist2(sg, hh->x, hh->y) > r2)
                            continue;
                        cb->hit[q] = 1;
                        left--;
                    }
                }
        }
    }
    for (size_t q = sh->hh_start[e->grid]; q < sh->hh_start[e->grid + 1]; q++) {
        size_t hi = sh->hh_idx[q];
        const gs__household *hh = &m->households[hi];
        int care = hh->care_type[0] != '\0',
            hit = cb->hit[q - sh->hh_start[e->grid]];
        wk->households++;
        wk->care += care;
        if (hit) {
            wk->reached++;
            wk->care_reached += care;
            continue;
        }
        if (o->n_unreached == o->cap_unreached) {
            size_t nc = o->cap_unreached ? o->cap_unreached * 2 : 64;
            size_t *nv = gs__realloc(o->unreached, nc * sizeof *nv);
            int32_t *nw;
            if (!nv) goto nomem;
            o->unreached = nv;
            nw = gs__realloc(o->unreached_week, nc * sizeof *nw);
            if (!nw) goto nomem;
            o->unreached_week = nw;
            o->cap_unreached = nc;
        }
        o->unreached[o->n_unreached] = hi;
        o->unreached_week[o->n_unreached++] = w;
    }
    goto done;
nomem:
    rc = GS_ERR_NOMEM;
done:
    return rc;
}

/* In-grid seconds of a credited piece for one grid's clips. */
static void credit(const gs__clip *strict, const gs__clip *tol, double x0,
                   double y0, double x1, double y1, double len, double dt,
                   double *in, double *in_tol) {
    if (len <= 0) {
        if (gs__clip_contains(strict, x0, y0)) *in += dt;
        if (gs__clip_contains(tol, x0, y0)) *in_tol += dt;
        return;
    }
    *in += dt * gs__clip_inside_length(strict, x0, y0, x1, y1) / len;
    *in_tol += dt * gs__clip_inside_length(tol, x0, y0, x1, y1) / len;
}

static int process_track(shared *sh, gs__cover_buf *cb, size_t t) {
    const gs__patrol_rules *r = sh->rules;
    const gs__patrol_clock *pt = sh->pt;
    gs__patrol_result *res = sh->res;
    gs__patrol_track *tr = &sh->tracks[t];
    size_t e0 = sh->entry_start[t], e1 = sh->entry_start[t + 1];
    gs__patrol_out *first = e1 > e0 ? &res->out[sh->entry_idx[e0]] : NULL;
    gs__patrol_fix *fx = tr->fix;
    size_t n = tr->n, kept = 0, dups = 0, unsorted = 0;
    int32_t last_day = res->day0 + res->ndays - 1;
    int64_t maxt = INT64_MIN;
    segs *week_segs = NULL;
    linebuf lb;
    int32_t lb_day = INT32_MIN;
    int rc = GS_OK;

    if (!first) return GS_OK; /* cannot happen: every track has an entry */
    memset(&lb, 0, sizeof lb);
    week_segs = gs__calloc((size_t)res->nweeks, sizeof *week_segs);
    if (!week_segs) return GS_ERR_NOMEM;

#define DAYIDX(day) ((int)((day)-res->day0))
#define IN_PERIOD(day) ((day) >= res->day0 && (day) <= last_day)
/* Every problem fix is kept: a data steward looks for all of them. */
#define ISSUE(kind, fix, ...)                                           \
    do {                                                                \
        if ((rc = add_issue(first, kind, fix, __VA_ARGS__))) goto done; \
    } while (0)
#define BAD(day)                                                           \
    do {                                                                   \
        if (IN_PERIOD(day))                                                \
            for (size_t q_ = e0; q_ < e1; q_++)                            \
                res->out[sh->entry_idx[q_]].days[DAYIDX(day)].bad_fixes++; \
    } while (0)

    /* 1. Order. */
    for (size_t i = 0; i < n; i++) {
        if (fx[i].t_ms < maxt && unsorted++ == 0)
            ISSUE(GS__GPS_OUT_OF_ORDER, &fx[i],
                  "line %u is earlier than a row above it: rows were sorted "
                  "by time",
                  fx[i].line);
        if (fx[i].t_ms > maxt) maxt = fx[i].t_ms;
    }
    if (unsorted) qsort(fx, n, sizeof *fx, cmp_fix);
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && fx[i].t_ms == fx[kept - 1].t_ms) {
            int32_t day = pt->day_of(pt->user, fx[i].t_ms);
            dups++;
            BAD(day);
            ISSUE(GS__GPS_DUPLICATE, &fx[i],
                  "time already seen at line %u; this row is dropped",
                  fx[kept - 1].line);
            continue;
        }
        fx[kept++] = fx[i];
    }
    tr->n = n = kept;

    /* Fixes per day, accuracy, mocked positions. */
    {
        size_t run = 1;
        for (size_t i = 0; i < n; i++) {
            int32_t day = pt->day_of(pt->user, fx[i].t_ms);
            if (IN_PERIOD(day))
                for (size_t q = e0; q < e1; q++)
                    res->out[sh->entry_idx[q]].days[DAYIDX(day)].fixes++;
            if (isfinite(fx[i].accuracy_m) &&
                fx[i].accuracy_m > r->low_accuracy_m) {
                BAD(day);
                ISSUE(GS__GPS_LOW_ACCURACY, &fx[i], "accuracy %.0f m",
                      (double)fx[i].accuracy_m);
            }
            if (i > 0 && fx[i].x == fx[i - 1].x && fx[i].y == fx[i - 1].y) {
                run++;
            } else {
                run = 1;
            }
            /* A run of identical positions, to the last digit, is what a
             * mock-location app produces; real receivers jitter. */
            if (run == (size_t)r->mock_min_fixes) {
                const gs__patrol_fix *s0 = &fx[i + 1 - run];
                ISSUE(GS__GPS_SUSPECTED_MOCK, s0,
                      "%zu fixes in a row at exactly the same position "
                      "(from line %u): no GPS jitter",
                      run, s0->line);
            }
            if (run >= (size_t)r->mock_min_fixes) {
                if (run == (size_t)r->mock_min_fixes)
                    for (size_t k = i + 1 - run; k <= i; k++)
                        BAD(pt->day_of(pt->user, fx[k].t_ms));
                else
                    BAD(day);
            }
        }
    }

    /* 2-4. Segments. */
    for (size_t i = 0; i + 1 < n; i++) {
        const gs__patrol_fix *a = &fx[i], *b = &fx[i + 1];
        double dt = (double)(b->t_ms - a->t_ms) / 1000.0;
        double dx = b->x - a->x, dy = b->y - a->y;
        double dist = sqrt(dx * dx + dy * dy);
        int64_t t = a->t_ms;
        int32_t day = pt->day_of(pt->user, a->t_ms);
        int32_t dayb = pt->day_of(pt->user, b->t_ms);
        if (dayb < res->day0 || day > last_day) continue;
        if (dt > r->max_gap_s) {
            /* A gap: its time, split at each local midnight. */
            while (t < b->t_ms) {
                int64_t end = pt->day_start(pt->user, day + 1);
                double s;
                if (end > b->t_ms) end = b->t_ms;
                s = (double)(end - t) / 1000.0;
                if (IN_PERIOD(day))
                    for (size_t q = e0; q < e1; q++)
                        res->out[sh->entry_idx[q]].days[DAYIDX(day)].gap_s += s;
                t = end;
                day++;
            }
            if (first->n_gaps == first->cap_gaps) {
                size_t nc = first->cap_gaps ? first->cap_gaps * 2 : 16;
                gs__patrol_gap *nv = gs__realloc(first->gaps, nc * sizeof *nv);
                if (!nv) {
                    rc = GS_ERR_NOMEM;
                    goto done;
                }
                first->gaps = nv;
                first->cap_gaps = nc;
            }
            first->gaps[first->n_gaps++] =
                (gs__patrol_gap){a->t_ms, b->t_ms, a->x, a->y, b->x, b->y};
            continue;
        }
        if (dist > r->max_speed_mps * dt) {
            BAD(dayb);
            ISSUE(GS__GPS_JUMP, b,
                  "%.0f m in %.0f s (%.1f m/s) from line %u: a GPS jump, "
                  "not credited",
                  dist, dt, dist / dt, a->line);
            continue;
        }
        /* Credited: pieces between local midnights. The line work is kept
         * in the fixes' own lon/lat (interpolated at midnight), so writing
         * it needs no inverse projection. */
        {
            double px = a->x, py = a->y, plon = a->lon, plat = a->lat;
            while (t < b->t_ms) {
                int64_t end = pt->day_start(pt->user, day + 1);
                double frac, qx, qy, qlon, qlat, s, len;
                if (end >= b->t_ms) {
                    end = b->t_ms;
                    qx = b->x;
                    qy = b->y;
                    qlon = b->lon;
                    qlat = b->lat;
                } else {
                    frac =
                        (double)(end - a->t_ms) / (double)(b->t_ms - a->t_ms);
                    qx = a->x + frac * dx;
                    qy = a->y + frac * dy;
                    qlon = a->lon + frac * (b->lon - a->lon);
                    qlat = a->lat + frac * (b->lat - a->lat);
                }
                s = (double)(end - t) / 1000.0;
                len = sqrt((qx - px) * (qx - px) + (qy - py) * (qy - py));
                if (IN_PERIOD(day)) {
                    int di = DAYIDX(day);
                    int wi = (int)((monday_of(day) - res->mondays[0]) / 7);
                    for (size_t q = e0; q < e1; q++) {
                        size_t ei = sh->entry_idx[q];
                        gs__patrol_day *pd = &res->out[ei].days[di];
                        long g = res->entries[ei].grid;
                        pd->tracked_s += s;
                        pd->distance_m += len;
                        if (g >= 0)
                            credit(sh->strict[g], sh->tolerant[g], px, py, qx,
                                   qy, len, s, &pd->in_grid_s, &pd->in_tol_s);
                    }
                    if (day != lb_day) {
                        if (lb_day != INT32_MIN &&
                            (rc = line_flush(first, &lb, lb_day)))
                            goto done;
                        lb_day = day;
                    }
                    if ((rc = line_add(&lb, plon, plat, qlon, qlat))) goto done;
                    if ((rc = segs_add(&week_segs[wi], px, py, qx, qy)))
                        goto done;
                }
                px = qx;
                py = qy;
                plon = qlon;
                plat = qlat;
                t = end;
                day++;
            }
        }
    }
    if (lb_day != INT32_MIN && (rc = line_flush(first, &lb, lb_day))) goto done;
    if (unsorted > 1) {
        /* One point says it; the count says how much. */
        gs__patrol_fix f0 = fx[0];
        ISSUE(GS__GPS_OUT_OF_ORDER, &f0,
              "%zu rows in all were out of time order", unsorted);
    }

    /* 5. Weeks: coverage and reach, per entry with a grid. */
    for (size_t q = e0; q < e1; q++) {
        size_t ei = sh->entry_idx[q];
        if (res->entries[ei].grid < 0) continue;
        for (int w = 0; w < res->nweeks; w++) {
            rc = week_coverage(sh, cb, ei, w, &week_segs[w]);
            if (rc) goto done;
        }
    }
done:
    for (int w = 0; w < res->nweeks; w++) free(week_segs[w].v);
    free(week_segs);
    if (rc) {
        free(lb.cur.xy);
        free(lb.cur.starts);
    }
    return rc;
#undef DAYIDX
#undef IN_PERIOD
#undef ISSUE
#undef BAD
}

/* Entries with a grid but no trace still need their week rows: the whole
 * grid is uncovered and every household unreached. */
static int process_absent(shared *sh, gs__cover_buf *cb, size_t ei) {
    segs none = {0};
    gs__patrol_result *res = sh->res;
    if (res->entries[ei].grid < 0) return GS_OK;
    for (int w = 0; w < res->nweeks; w++) {
        int rc = week_coverage(sh, cb, ei, w, &none);
        if (rc) return rc;
    }
    return GS_OK;
}

static void *worker(void *arg) {
    shared *sh = arg;
    size_t total = sh->n_tracks + sh->res->n_entries;
    const gs__patrol_source *src = sh->src;
    gs__cover_buf cb;
    gs__patrol_fix *fixes = NULL; /* a filled track's fixes */
    size_t cap = 0;
    void *state = NULL;
    int rc = GS_OK;
    memset(&cb, 0, sizeof cb);
    if (src && src->begin && !(state = src->begin(src->user)))
        rc = GS_ERR_NOMEM;
    for (; !rc;) {
        size_t k;
        pthread_mutex_lock(&sh->lock);
        k = sh->next++;
        if (sh->rc) k = total;
        pthread_mutex_unlock(&sh->lock);
        if (k >= total) break;
        if (k < sh->n_tracks) {
            gs__patrol_track *tr = &sh->tracks[k];
            if (!tr->fix && tr->n > 0 && src) {
                /* Read, project and analyse the member in one pass. */
                if (tr->n > cap) {
                    free(fixes);
                    cap = tr->n;
                    if (!(fixes = gs__malloc(cap * sizeof *fixes))) {
                        cap = 0;
                        rc = GS_ERR_NOMEM;
                        break;
                    }
                }
                if ((rc = src->fill(src->user, state, k, fixes))) break;
                tr->fix = fixes;
                rc = process_track(sh, &cb, k);
                tr->fix = NULL;
            } else {
                rc = process_track(sh, &cb, k);
            }
        } else {
            size_t ei = k - sh->n_tracks;
            rc = sh->res->entries[ei].track < 0 ? process_absent(sh, &cb, ei)
                                                : GS_OK;
        }
        if (rc) break;
    }
    if (rc) {
        pthread_mutex_lock(&sh->lock);
        if (!sh->rc) sh->rc = rc;
        pthread_mutex_unlock(&sh->lock);
    }
    if (src && src->end && state) src->end(src->user, state);
    free(fixes);
    gs__cover_buf_free(&cb);
    return NULL;
}

int gs__patrol_analyse(gs_ctx *ctx, const gs__model *m,
                       gs__patrol_track *tracks, size_t n_tracks,
                       const gs__patrol_clock *pt,
                       const gs__patrol_rules *rules, int32_t day0, int ndays,
                       int threads, const gs__patrol_source *src,
                       gs__patrol_result *res) {
    GEOSContextHandle_t h = ctx->geos;
    shared sh;
    size_t ne = res->n_entries, ng = m->n_grids;
    long *lead = NULL;
    int rc = GS_OK;

    memset(&sh, 0, sizeof sh);
    sh.m = m;
    sh.tracks = tracks;
    sh.n_tracks = n_tracks;
    sh.pt = pt;
    sh.rules = rules;
    sh.res = res;
    sh.src = src;
    pthread_mutex_init(&sh.lock, NULL);
    res->day0 = day0;
    res->ndays = ndays;
    res->nweeks =
        (int)((monday_of(day0 + ndays - 1) - monday_of(day0)) / 7) + 1;
    res->mondays = gs__malloc((size_t)res->nweeks * sizeof *res->mondays);
    res->out = gs__calloc(ne ? ne : 1, sizeof *res->out);
    res->household_grid =
        gs__malloc((m->n_households ? m->n_households : 1) * sizeof(long));
    sh.strict = gs__calloc(ng ? ng : 1, sizeof *sh.strict);
    sh.tolerant = gs__calloc(ng ? ng : 1, sizeof *sh.tolerant);
    sh.hh_start = gs__calloc(ng + 1, sizeof *sh.hh_start);
    sh.hh_idx =
        gs__malloc((m->n_households ? m->n_households : 1) * sizeof(size_t));
    sh.entry_start = gs__calloc(n_tracks + 1, sizeof *sh.entry_start);
    sh.entry_idx = gs__malloc((ne ? ne : 1) * sizeof *sh.entry_idx);
    if (!res->mondays || !res->out || !res->household_grid || !sh.strict ||
        !sh.tolerant || !sh.hh_start || !sh.hh_idx || !sh.entry_start ||
        !sh.entry_idx)
        goto nomem;
    for (int w = 0; w < res->nweeks; w++)
        res->mondays[w] = monday_of(day0) + 7 * w;
    for (size_t e = 0; e < ne; e++) {
        gs__patrol_out *o = &res->out[e];
        o->days = gs__calloc((size_t)ndays, sizeof *o->days);
        o->weeks = gs__calloc((size_t)res->nweeks, sizeof *o->weeks);
        if (!o->days || !o->weeks) goto nomem;
        for (int d = 0; d < ndays; d++) {
            o->days[d].day = day0 + d;
            o->days[d].workday = pt->workday(pt->user, day0 + d);
        }
        for (int w = 0; w < res->nweeks; w++) {
            o->weeks[w].monday = res->mondays[w];
            o->weeks[w].coverage_pct = NAN;
        }
    }
    /* Grids sharing a code form one group, led by the first in input
     * order (the one entries point to). */
    lead = gs__malloc((ng ? ng : 1) * sizeof *lead);
    if (!lead) goto nomem;
    for (size_t g = 0; g < ng; g++) {
        lead[g] = (long)g;
        for (size_t q = 0; q < g; q++)
            if (!strcmp(m->grids[q].code, m->grids[g].code)) {
                lead[g] = lead[q];
                break;
            }
    }
    /* Clips of the grids in use: as is, and buffered by the tolerance. */
    for (size_t e = 0; e < ne; e++) {
        long g = res->entries[e].grid;
        GEOSGeometry *buf, *shape = NULL;
        size_t k = 0;
        if (g < 0 || sh.strict[g]) continue;
        for (size_t q = 0; q < ng; q++) k += lead[q] == g;
        if (k > 1) {
            GEOSGeometry **parts = gs__malloc(k * sizeof *parts), *coll;
            size_t j = 0;
            if (!parts) goto nomem;
            for (size_t q = 0; q < ng; q++)
                if (lead[q] == g)
                    parts[j++] = GEOSGeom_clone_r(h, m->grids[q].geom);
            coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION,
                                               parts, (unsigned)k);
            free(parts);
            shape = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
            if (coll) GEOSGeom_destroy_r(h, coll);
            if (!shape) goto nomem;
        }
        rc = gs__clip_create(h, shape ? shape : m->grids[g].geom, 0,
                             &sh.strict[g]);
        buf = rc ? NULL
                 : GEOSBuffer_r(h, shape ? shape : m->grids[g].geom,
                                rules->tolerance_m, 8);
        if (shape) GEOSGeom_destroy_r(h, shape);
        if (rc || !buf) goto nomem;
        rc = gs__clip_create(h, buf, 0, &sh.tolerant[g]);
        GEOSGeom_destroy_r(h, buf);
        if (rc) goto nomem;
    }
    /* Households of each grid, by validate's rule (lowest code). */
    rc = gs__assign_households(ctx, m, threads, res->household_grid);
    if (rc) goto done;
    /* A household of any grid of a code group belongs to the group. */
    for (size_t k = 0; k < m->n_households; k++)
        if (res->household_grid[k] >= 0)
            res->household_grid[k] = lead[res->household_grid[k]];
    for (size_t k = 0; k < m->n_households; k++)
        if (res->household_grid[k] >= 0)
            sh.hh_start[res->household_grid[k] + 1]++;
    for (size_t g = 0; g < ng; g++) sh.hh_start[g + 1] += sh.hh_start[g];
    {
        size_t *fill = gs__malloc((ng ? ng : 1) * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, sh.hh_start, ng * sizeof *fill);
        for (size_t k = 0; k < m->n_households; k++)
            if (res->household_grid[k] >= 0)
                sh.hh_idx[fill[res->household_grid[k]]++] = k;
        free(fill);
    }
    /* Entries of each track. */
    for (size_t e = 0; e < ne; e++)
        if (res->entries[e].track >= 0)
            sh.entry_start[res->entries[e].track + 1]++;
    for (size_t t = 0; t < n_tracks; t++)
        sh.entry_start[t + 1] += sh.entry_start[t];
    {
        size_t *fill = gs__malloc((n_tracks ? n_tracks : 1) * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, sh.entry_start, n_tracks * sizeof *fill);
        for (size_t e = 0; e < ne; e++)
            if (res->entries[e].track >= 0)
                sh.entry_idx[fill[res->entries[e].track]++] = e;
        free(fill);
    }

    gs__phase_step(ctx, "clips and households of the grids");

    /* Every worker gets the same shared state (stride 0) and takes the
     * next track from it. */
    gs__parallel(worker, &sh, 0, threads);
    gs__phase_step(ctx, "members: project, time in grid, coverage");
    if (sh.rc) {
        rc = sh.rc == GS_ERR_NOMEM
                 ? gs__err(ctx, sh.rc, "out of memory in the patrol analysis")
                 : gs__err(ctx, sh.rc, "%s",
                           src && src->errmsg ? src->errmsg(src->user)
                                              : "the patrol analysis failed");
        goto done;
    }

    /* Day and week figures. */
    for (size_t e = 0; e < ne; e++) {
        gs__patrol_out *o = &res->out[e];
        for (int d = 0; d < ndays; d++) {
            gs__patrol_day *pd = &o->days[d];
            gs__patrol_week *wk =
                &o->weeks[(monday_of(pd->day) - res->mondays[0]) / 7];
            pd->daily_ok = pd->workday && pd->in_tol_s >= rules->daily_min_s;
            wk->in_tol_s += pd->in_tol_s;
            wk->workdays += pd->workday;
            wk->workdays_ok += pd->daily_ok;
        }
        for (int w = 0; w < res->nweeks; w++) {
            gs__patrol_week *wk = &o->weeks[w];
            wk->weekly_ok = wk->in_tol_s >= rules->weekly_min_s;
            wk->compliant = wk->weekly_ok && wk->workdays_ok == wk->workdays;
        }
    }
    goto done;
nomem:
    rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    for (size_t g = 0; g < ng; g++) {
        if (sh.strict) gs__clip_destroy(sh.strict[g]);
        if (sh.tolerant) gs__clip_destroy(sh.tolerant[g]);
    }
    free(lead);
    free(sh.strict);
    free(sh.tolerant);
    free(sh.hh_start);
    free(sh.hh_idx);
    free(sh.entry_start);
    free(sh.entry_idx);
    pthread_mutex_destroy(&sh.lock);
    return rc;
}
