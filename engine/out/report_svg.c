/*
 * report_svg.c - the weekly report's maps and trend chart as inline SVG.
 *
 * The maps transform nothing: the grids' coordinates are scaled into the
 * SVG viewBox with y flipped (and, for longitude/latitude, x shrunk by the
 * cosine of the middle latitude so shapes keep their proportions), then
 * rounded to whole pixels with repeated points dropped, which keeps a
 * street of a few hundred grids to a few hundred kilobytes. A street's map
 * colours its grids by coverage or by Gi* bin, outlines its communities
 * (the union of their grids) and labels grids with their 3-digit number
 * and communities with their name, placed where they cover no other
 * label. The trend chart draws the compliant share and the mean hours of
 * the last weeks on two axes.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_error.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

/* Appends `s` to b with &, <, >, " and ' escaped: safe in text and in
 * attribute values. */
void gs__report_esc(gs__buf *b, const char *s) {
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default: continue;
        }
        gs__buf_add(b, run, (size_t)(s - run));
        gs__buf_puts(b, rep);
        run = s + 1;
    }
    gs__buf_add(b, run, (size_t)(s - run));
}

/* Fits grids[g0..g1) into at most MAP_W x MAP_H pixels. 0 when nothing
 * has a geometry. */
int gs__report_map_view(const gs__rdata *d, size_t g0, size_t g1,
                        gs__mapview *v) {
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY,
           dx, dy;
    for (size_t i = g0; i < g1; i++) {
        const gs__rgrid *g = &d->grids[i];
        if (!g->geom) continue;
        minx = fmin(minx, g->env.MinX);
        miny = fmin(miny, g->env.MinY);
        maxx = fmax(maxx, g->env.MaxX);
        maxy = fmax(maxy, g->env.MaxY);
    }
    if (!(minx <= maxx && miny <= maxy)) return 0;
    v->kx = d->geographic ? cos((miny + maxy) / 2 * DEG) : 1.0;
    dx = (maxx - minx) * v->kx;
    dy = maxy - miny;
    if (!(dx > 0) && !(dy > 0)) return 0;
    v->s = fmin(dx > 0 ? (MAP_W - 2 * MAP_PAD) / dx : INFINITY,
                dy > 0 ? (MAP_H - 2 * MAP_PAD) / dy : INFINITY);
    v->minx = minx;
    v->maxy = maxy;
    v->w = (int)ceil(dx * v->s) + 2 * MAP_PAD;
    v->h = (int)ceil(dy * v->s) + 2 * MAP_PAD;
    return 1;
}

static void to_px(const gs__mapview *v, double x, double y, int *px, int *py) {
    *px = (int)lround(MAP_PAD + (x - v->minx) * v->kx * v->s);
    *py = (int)lround(MAP_PAD + (v->maxy - y) * v->s);
}

/* The SVG path of a MultiPolygon on the map, rounded to whole pixels with
 * repeated points dropped; rings that collapse to fewer than three points
 * are left out. NULL when nothing is left or out of memory. */
static char *svg_path(const OGRGeometryH mp, const gs__mapview *v) {
    gs__buf b;
    char *out;
    gs__buf_init(&b, 0);
    for (int p = 0; p < OGR_G_GetGeometryCount(mp); p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, p);
        for (int r = 0; r < OGR_G_GetGeometryCount(poly); r++) {
            OGRGeometryH ring = OGR_G_GetGeometryRef(poly, r);
            int n = OGR_G_GetPointCount(ring), kept = 0, px0 = 0, py0 = 0;
            size_t start = b.len;
            for (int i = 0; i < n; i++) {
                int px, py;
                to_px(v, OGR_G_GetX(ring, i), OGR_G_GetY(ring, i), &px, &py);
                if (kept && px == px0 && py == py0) continue;
                gs__buf_printf(&b,
                               kept == 0   ? "M%d %d"
                               : kept == 1 ? "L%d %d"
                                           : " %d %d",
                               px, py);
                px0 = px;
                py0 = py;
                kept++;
            }
            /* The closing point repeats the first: 4 kept is a triangle. */
            if (kept < 4) {
                b.len = start;
                if (b.data) b.data[start] = '\0';
            } else {
                gs__buf_puts(&b, "Z");
            }
        }
    }
    out = b.len && !b.failed ? gs__buf_steal(&b) : NULL;
    gs__buf_free(&b);
    return out;
}

/* A label position inside `g` on the map: its point on surface, or the
 * middle of its envelope when GEOS cannot say (an invalid shape). */
static void label_at(OGRGeometryH g, const gs__mapview *v, int *px, int *py) {
    OGRGeometryH pt = OGR_G_PointOnSurface(g);
    OGREnvelope e;
    if (pt && !OGR_G_IsEmpty(pt)) {
        to_px(v, OGR_G_GetX(pt, 0), OGR_G_GetY(pt, 0), px, py);
    } else {
        OGR_G_GetEnvelope(g, &e);
        to_px(v, (e.MinX + e.MaxX) / 2, (e.MinY + e.MaxY) / 2, px, py);
    }
    if (pt) OGR_G_DestroyGeometry(pt);
}

/* Adds the polygons of `g` (any type) to the MultiPolygon `mp`. */
static void add_polygons(OGRGeometryH mp, OGRGeometryH g) {
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon) {
        OGR_G_AddGeometry(mp, g);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            add_polygons(mp, OGR_G_GetGeometryRef(g, i));
    }
}

/* The outline of a community on the map: the union of its grids (invalid
 * ones repaired first). NULL when GEOS fails; the map then goes without. */
static char *community_path(const gs__rdata *d, const gs__rcomm *c,
                            const gs__mapview *v, int *lx, int *ly) {
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon), u = NULL;
    char *path = NULL;
    if (!mp) return NULL;
    for (size_t i = c->g0; i < c->g1; i++) {
        OGRGeometryH g = d->grids[i].geom, fixed;
        int valid;
        if (!g) continue;
        /* GEOS's reason for invalidity would come as a warning; validate
         * has reported the shape already. */
        CPLPushErrorHandler(CPLQuietErrorHandler);
        valid = OGR_G_IsValid(g);
        CPLPopErrorHandler();
        if (valid) {
            add_polygons(mp, g);
        } else if ((fixed = OGR_G_MakeValid(g)) != NULL) {
            add_polygons(mp, fixed);
            OGR_G_DestroyGeometry(fixed);
        }
    }
    if (OGR_G_GetGeometryCount(mp) > 0) u = OGR_G_UnionCascaded(mp);
    OGR_G_DestroyGeometry(mp);
    if (u) {
        u = OGR_G_ForceToMultiPolygon(u);
        path = svg_path(u, v);
        label_at(u, v, lx, ly);
        OGR_G_DestroyGeometry(u);
    }
    return path;
}

/* The short label of a grid on the map: its 3-digit sequence. */
static const char *grid_label(const gs__rgrid *g) {
    size_t n = strlen(g->code);
    return n == 15 ? g->code + 12 : g->code;
}

/* The width of a label in pixels, roughly: 14 for a CJK character, 8 for
 * others (the community label's 14 px bold). */
static int label_width(const char *s) {
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0xe0)
            w += 14;
        else if (*p < 0x80)
            w += 8;
    }
    return w;
}

/* Whether a grid's number (11 px digits, centred on lx, ly) and a
 * community's name (14 px bold, centred on x, y, half-width half) would
 * touch. */
static int labels_touch(const gs__rgrid *g, int x, int y, int half) {
    int gw = (int)strlen(grid_label(g)) * 7 / 2 + 2;
    return g->path && g->lok && abs(g->lx - x) < half + gw &&
           abs(g->ly - y) < 16;
}

/* Places a community's name: from its point on surface, moved up or down
 * to the first place where it covers no grid number and no other
 * community's name, kept inside the map; where there is none, it stays
 * and the grid numbers under it are dropped (a director reads the
 * community first; each grid's tooltip still names it). */
static void place_community_label(gs__rdata *d, const gs__rstreet *s,
                                  gs__rcomm *cm, const gs__mapview *v) {
    static const int dy[] = {0, 18, -18, 36, -36, 54, -54};
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    int half = label_width(cm->name[0] ? cm->name : cm->code) / 2 + 2;
    int x = cm->lx, y0 = cm->ly;
    if (x > v->w - half) x = v->w - half;
    if (x < half) x = half;
    cm->lx = x;
    for (size_t k = 0; k < sizeof dy / sizeof dy[0]; k++) {
        int y = y0 + dy[k], clear = y >= 12 && y <= v->h - 8;
        for (size_t i = g0; i < g1 && clear; i++)
            if (labels_touch(&d->grids[i], x, y, half)) clear = 0;
        for (const gs__rcomm *o = &d->comm[s->c0]; o < cm && clear; o++)
            if (o->outline && abs(o->lx - x) < 2 * half && abs(o->ly - y) < 18)
                clear = 0;
        if (clear) {
            cm->ly = y;
            return;
        }
    }
    cm->ly = y0 < 12 ? 12 : y0 > v->h - 8 ? v->h - 8 : y0;
    for (size_t i = g0; i < g1; i++)
        if (labels_touch(&d->grids[i], x, cm->ly, half)) d->grids[i].lok = 0;
}

/* Paths and label positions of a street's grids and communities on its
 * map. */
int gs__report_map_paths(gs__rdata *d, const gs__rstreet *s,
                         const gs__mapview *v) {
    for (size_t c = s->c0; c < s->c1; c++) {
        gs__rcomm *cm = &d->comm[c];
        char *p;
        for (size_t i = cm->g0; i < cm->g1; i++) {
            gs__rgrid *g = &d->grids[i];
            if (!g->geom) continue;
            p = svg_path(g->geom, v);
            if (p) {
                g->path = gs__arena_strdup(&d->a, p);
                free(p);
                if (!g->path)
                    return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
            }
            label_at(g->geom, v, &g->lx, &g->ly);
            /* Only grids wide enough on the map carry their number. */
            g->lok = (g->env.MaxX - g->env.MinX) * v->kx * v->s >=
                         (double)strlen(grid_label(g)) * 7 + 4 &&
                     (g->env.MaxY - g->env.MinY) * v->s >= 14;
        }
        p = community_path(d, cm, v, &cm->lx, &cm->ly);
        if (p) {
            cm->outline = gs__arena_strdup(&d->a, p);
            free(p);
            if (!cm->outline)
                return gs__err(d->ctx, GS_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t c = s->c0; c < s->c1; c++)
        if (d->comm[c].outline) place_community_label(d, s, &d->comm[c], v);
    return GS_OK;
}

typedef struct klass {
    const char *color, *zh, *en;
} klass;

/* Coverage classes (ColorBrewer RdYlGn), then grids without patrol data
 * and grids without a member. */
static const klass cov_classes[] = {{"#1a9850", "≥ 95%", ""},
                                    {"#91cf60", "80–95%", ""},
                                    {"#fee08b", "60–80%", ""},
                                    {"#fc8d59", "40–60%", ""},
                                    {"#d73027", "< 40%", ""},
                                    {"#d9d9d9", "无巡查数据", "no data"},
                                    {"#969696", "无网格员", "no member"}};

static int cov_class(const gs__rgrid *g) {
    double c = g->cov;
    if (!g->members) return 6;
    if (isnan(c)) return 5;
    return c >= 95 ? 0 : c >= 80 ? 1 : c >= 60 ? 2 : c >= 40 ? 3 : 4;
}

/* Gi* bins 3..-3 (ColorBrewer RdBu), then "not computed". */
static const klass gi_classes[] = {{"#b2182b", "热点 99%", "hot spot"},
                                   {"#ef8a62", "热点 95%", "hot spot"},
                                   {"#fddbc7", "热点 90%", "hot spot"},
                                   {"#f7f7f7", "不显著", "not significant"},
                                   {"#d1e5f0", "冷点 90%", "cold spot"},
                                   {"#67a9cf", "冷点 95%", "cold spot"},
                                   {"#2166ac", "冷点 99%", "cold spot"},
                                   {"#d9d9d9", "未计算", "not computed"}};

static int gi_class(const gs__rgrid *g) {
    return g->has_gi ? 3 - g->gi_bin : 7;
}

static void legend(gs__buf *b, const klass *k, size_t n, const long *count) {
    gs__buf_puts(b, "<ul class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        if (!count[i]) continue;
        gs__buf_printf(b, "<li><i style=\"background:%s\"></i>", k[i].color);
        gs__report_esc(b, k[i].zh);
        if (k[i].en[0]) {
            gs__buf_puts(b, " <span class=\"en\">");
            gs__report_esc(b, k[i].en);
            gs__buf_puts(b, "</span>");
        }
        gs__buf_printf(b, " (%ld)</li>", count[i]);
    }
    gs__buf_puts(b,
                 "<li><i class=\"edge\"></i>社区边界 <span class=\"en\">"
                 "community boundary</span></li></ul>");
}

/* One map of a street's grids: `hot` 0 colours by coverage, 1 by Gi* bin.
 * Grids carry their 3-digit number, communities their name. */
void gs__report_map_svg(gs__buf *b, const gs__rdata *d, const gs__rstreet *s,
                        const gs__mapview *v, int hot, const char *title) {
    const klass *k = hot ? gi_classes : cov_classes;
    size_t nk = hot ? sizeof gi_classes / sizeof gi_classes[0]
                    : sizeof cov_classes / sizeof cov_classes[0];
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    long count[8] = {0};
    gs__buf_printf(b,
                   "<svg class=\"map\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" role=\"img\" aria-label=\"",
                   v->w, v->h, v->w, v->h);
    gs__report_esc(b, title);
    gs__buf_puts(b,
                 "\"><g stroke=\"#555\" stroke-width=\"0.8\" "
                 "stroke-linejoin=\"round\" fill-rule=\"evenodd\">");
    for (size_t i = g0; i < g1; i++) {
        const gs__rgrid *g = &d->grids[i];
        int c = hot ? gi_class(g) : cov_class(g);
        if (!g->path) continue;
        count[c]++;
        gs__buf_printf(b, "<path fill=\"%s\" d=\"%s\"><title>", k[c].color,
                       g->path);
        gs__report_esc(b, g->name[0] ? g->name : g->code);
        gs__buf_puts(b, " ");
        gs__report_esc(b, g->code);
        if (hot && g->has_ev)
            gs__buf_printf(b, ": %ld 件事件 events", g->events);
        else if (!hot && !isnan(g->cov))
            gs__buf_printf(b, ": 覆盖率 coverage %.1f%%", g->cov);
        if (g->issues[0]) {
            /* validate's findings, for whoever hovers over the grid */
            gs__buf_puts(b, "; 问题 issues: ");
            gs__report_esc(b, g->issues);
        }
        gs__buf_puts(b, "</title></path>");
    }
    gs__buf_puts(b,
                 "</g><g fill=\"none\" stroke=\"#1b2a3a\" "
                 "stroke-width=\"2.4\" stroke-linejoin=\"round\" "
                 "fill-rule=\"evenodd\">");
    for (size_t c = s->c0; c < s->c1; c++)
        if (d->comm[c].outline)
            gs__buf_printf(b, "<path d=\"%s\"/>", d->comm[c].outline);
    gs__buf_puts(b, "</g><g class=\"lbl\">");
    for (size_t i = g0; i < g1; i++) {
        const gs__rgrid *g = &d->grids[i];
        if (!g->path || !g->lok) continue;
        gs__buf_printf(b, "<text x=\"%d\" y=\"%d\">", g->lx, g->ly + 4);
        gs__report_esc(b, grid_label(g));
        gs__buf_puts(b, "</text>");
    }
    gs__buf_puts(b, "</g><g class=\"clbl\">");
    for (size_t c = s->c0; c < s->c1; c++) {
        const gs__rcomm *cm = &d->comm[c];
        if (!cm->outline) continue;
        gs__buf_printf(b, "<text x=\"%d\" y=\"%d\">", cm->lx, cm->ly + 5);
        gs__report_esc(b, cm->name[0] ? cm->name : cm->code);
        gs__buf_puts(b, "</text>");
    }
    gs__buf_puts(b, "</g></svg>");
    legend(b, k, nk, count);
}

void gs__report_pct(gs__buf *b, long num, long den) {
    if (den > 0)
        gs__buf_printf(b, "%.1f%%", 100.0 * num / den);
    else
        gs__buf_puts(b, "—");
}

/* Where week `t` sits on the chart, 0..1: the compliant share (series 0)
 * or the mean hours over hmax (series 1). */
static double trend_value(const gs__rtally *t, int series, double hmax) {
    return series ? t->hours_s / 3600.0 / t->members / hmax
                  : (double)t->compliant / t->members;
}

/* A line chart of the compliant share and the mean hours per week. */
void gs__report_trend_svg(gs__buf *b, const gs__rdata *d, const gs__rtally *t,
                          double std_h) {
    const int W = 560, H = 210, L = 48, R = 52, T = 16, B = 34;
    const double pw = W - L - R, ph = H - T - B;
    double hmax = std_h > 0 ? std_h * 1.5 : 10;
    int any = 0;
    for (int k = 0; k < NT; k++)
        if (t[k].members) {
            any = 1;
            hmax = fmax(hmax, t[k].hours_s / 3600.0 / t[k].members * 1.1);
        }
    if (!any) {
        gs__buf_puts(b,
                     "<p class=\"note\">台账中暂无这几周的巡查数据。"
                     "<span class=\"en\">No patrol data in the ledger "
                     "for these weeks.</span></p>");
        return;
    }
    hmax = ceil(hmax / 4) * 4; /* whole hours on the 4 ticks */
    gs__buf_printf(b,
                   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" role=\"img\" aria-label=\"趋势 trend\">"
                   "<g stroke=\"#ddd\" font-size=\"11\" fill=\"#555\">",
                   W, H, W, H);
    for (int i = 0; i <= 4; i++) {
        double y = T + ph * (1 - i / 4.0);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "text-anchor=\"end\" fill=\"#1f5f99\">%d%%</text>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "fill=\"#c0560b\">%g h</text>",
                       L, W - R, y, y, L - 6, y + 4, i * 25, W - R + 6, y + 4,
                       hmax * i / 4);
    }
    for (int k = 0; k < NT; k++) {
        double x = L + pw * k / (NT - 1);
        gs__buf_printf(b,
                       "<text stroke=\"none\" x=\"%.1f\" y=\"%d\" "
                       "text-anchor=\"middle\"%s>%s</text>",
                       x, H - B + 16, t[k].members ? "" : " fill=\"#bbb\"",
                       d->weeks[k] + 5);
    }
    if (std_h > 0) {
        double y = T + ph * (1 - std_h / hmax);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#e08a4a\" stroke-dasharray=\"5 4\"/>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "fill=\"#c0560b\">标准 standard %g h</text>",
                       L, W - R, y, y, L + 4, y - 4, std_h);
    }
    gs__buf_puts(b, "</g>");
    for (int series = 0; series < 2; series++) {
        const char *color = series ? "#e66101" : "#1f78b4";
        int pen = 0, last = -1;
        gs__buf_printf(b,
                       "<path fill=\"none\" stroke=\"%s\" "
                       "stroke-width=\"2.5\" d=\"",
                       color);
        for (int k = 0; k < NT; k++) {
            if (!t[k].members) {
                pen = 0;
                continue;
            }
            gs__buf_printf(b, "%s%.1f %.1f", pen ? " " : "M",
                           L + pw * k / (NT - 1),
                           T + ph * (1 - trend_value(&t[k], series, hmax)));
            pen = 1;
            last = k;
        }
        gs__buf_printf(b, "\"/><g fill=\"%s\">", color);
        for (int k = 0; k < NT; k++)
            if (t[k].members)
                gs__buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>",
                               L + pw * k / (NT - 1),
                               T + ph * (1 - trend_value(&t[k], series, hmax)));
        /* The latest values spelled out: the share above its point, the
         * hours below theirs, so the two never cover each other. */
        if (last >= 0) {
            double y = T + ph * (1 - trend_value(&t[last], series, hmax));
            gs__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                           "font-weight=\"bold\" text-anchor=\"end\">",
                           L + pw * last / (NT - 1) - 7,
                           series ? y + 16 : y - 7);
            if (series)
                gs__buf_printf(b, "%.1f h",
                               t[last].hours_s / 3600.0 / t[last].members);
            else
                gs__report_pct(b, t[last].compliant, t[last].members);
            gs__buf_puts(b, "</text>");
        }
        gs__buf_puts(b, "</g>");
    }
    gs__buf_puts(b, "</svg>");
}
