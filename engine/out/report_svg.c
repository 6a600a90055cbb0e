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
 * label. The hot spot map colours the grids by their Gi* bin when there
 * are enough grids for Gi*; otherwise (a district of a few dozen grids)
 * it shows what the analysis did find: the hexagons' Gi* hot and cold
 * spots, the emerging hot spots among them, the rising grids outlined,
 * and the week's overdue events as dots. The charts are in
 * report_charts.c.
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

int gs__report_grid_gi(const gs__rdata *d) {
    for (size_t i = 0; i < d->ng; i++)
        if (d->grids[i].has_gi) return 1;
    return 0;
}

/* The Chinese name of an emerging hot spot class (palette.c's legend
 * label up to its English part), or NULL for no pattern and classes that
 * are not hot spots. */
static const char *hot_class_zh(const char *cls, char *out, size_t size) {
    const gs__style_cats *c = &gs__cats_ehsa;
    if (!strstr(cls, "hot_spot")) return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].value, cls)) {
            const char *sp = strchr(c->v[i].label, ' ');
            size_t n = sp ? (size_t)(sp - c->v[i].label) : strlen(cls);
            snprintf(out, size, "%.*s", (int)n, c->v[i].label);
            return out;
        }
    return NULL;
}

/* The street's hexagons, overdue events and rising grids on the hot spot
 * map when the grids have no Gi*; counts for the legend. */
static void hex_layer(gs__buf *b, const gs__rdata *d, const gs__rstreet *s,
                      const gs__mapview *v, long *count, long *n_emerging,
                      long *n_overdue) {
    gs__buf_puts(b,
                 "<g stroke=\"#9a9a9a\" stroke-width=\"0.5\" "
                 "fill-rule=\"evenodd\">");
    for (size_t i = 0; i < d->nhex; i++) {
        const gs__rhex *h = &d->hex[i];
        char *p, zh[64];
        int c = h->has_gi ? 3 - h->gi_bin : 7;
        const char *em;
        if (!h->geom || strncmp(h->community, s->code, 9)) continue;
        if (!(p = svg_path(h->geom, v))) continue;
        em = hot_class_zh(h->cls, zh, sizeof zh);
        count[c]++;
        *n_emerging += em != NULL;
        gs__buf_printf(b, "<path fill=\"%s\" fill-opacity=\"%s\"%s d=\"%s\">",
                       gi_classes[c].color,
                       h->has_gi && h->gi_bin ? "0.9" : "0",
                       em ? " stroke=\"#67001f\" stroke-width=\"2.5\"" : "", p);
        free(p);
        gs__buf_printf(b, "<title>六边形 %s：%ld 件事件", h->id, h->events);
        if (h->has_gi && h->gi_bin) {
            gs__buf_puts(b, "，");
            gs__report_esc(b, gi_classes[c].zh);
        }
        if (em) gs__buf_printf(b, "，%s", zh);
        gs__buf_puts(b, "</title></path>");
    }
    gs__buf_puts(b,
                 "</g><g fill=\"#ff7f00\" stroke=\"#fff\" "
                 "stroke-width=\"1\">");
    for (size_t i = 0; i < d->nod; i++) {
        const gs__roverdue *o = &d->od[i];
        int px, py;
        if (!isfinite(o->x) || strncmp(o->community, s->code, 9)) continue;
        to_px(v, o->x, o->y, &px, &py);
        if (px < 0 || py < 0 || px > v->w || py > v->h) continue;
        (*n_overdue)++;
        gs__buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"4\"><title>", px,
                       py);
        gs__report_esc(b, o->event_id);
        gs__buf_puts(b, " ");
        gs__report_esc(b, o->category);
        gs__buf_printf(b, "：超期 %d 个工作日</title></circle>",
                       o->workdays_overdue);
    }
    gs__buf_puts(b, "</g>");
}

static void legend(gs__buf *b, const klass *k, size_t n, const long *count,
                   int skip_grey) {
    gs__buf_puts(b, "<ul class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        if (!count[i] || (skip_grey && (i == 3 || i == 7))) continue;
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
                 "community boundary</span></li>");
}

/* One map of a street's grids: `hot` 0 colours by coverage, 1 by Gi* bin.
 * Grids carry their 3-digit number, communities their name. */
void gs__report_map_svg(gs__buf *b, const gs__rdata *d, const gs__rstreet *s,
                        const gs__mapview *v, int hot, const char *title) {
    const klass *k = hot ? gi_classes : cov_classes;
    size_t nk = hot ? sizeof gi_classes / sizeof gi_classes[0]
                    : sizeof cov_classes / sizeof cov_classes[0];
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    long count[8] = {0}, n_emerging = 0, n_overdue = 0, n_rising = 0;
    /* Without grid Gi*, the hexagons carry the hot spots. */
    int hexes = hot && !gs__report_grid_gi(d);
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
        if (!hexes) count[c]++;
        n_rising += hexes && g->rising;
        gs__buf_printf(
            b, "<path fill=\"%s\"%s d=\"%s\"><title>",
            hexes ? (g->rising ? "#e7d4e8" : "#fbfbfb") : k[c].color,
            hexes && g->rising ? " stroke=\"#762a83\" stroke-width=\"3\"" : "",
            g->path);
        gs__report_esc(b, g->name[0] ? g->name : g->code);
        gs__buf_puts(b, " ");
        gs__report_esc(b, g->code);
        if (hot && g->has_ev)
            gs__buf_printf(b, "：本周 %ld 件事件", g->events);
        else if (!hot && !isnan(g->cov))
            gs__buf_printf(b, "：覆盖率 %.1f%%", g->cov);
        if (hot && g->rising) gs__buf_puts(b, "，事件逐周上升");
        gs__buf_puts(b, "</title></path>");
    }
    if (hexes) hex_layer(b, d, s, v, count, &n_emerging, &n_overdue);
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
    legend(b, k, nk, count, hexes);
    if (hexes && n_emerging)
        gs__buf_printf(b,
                       "<li><i style=\"background:#fff;border:2.5px solid "
                       "#67001f\"></i>时空热点（连续多周为热点）<span "
                       "class=\"en\">emerging hot spot</span> (%ld)</li>",
                       n_emerging);
    if (hexes && n_rising)
        gs__buf_printf(b,
                       "<li><i style=\"background:#e7d4e8;border:3px solid "
                       "#762a83\"></i>事件逐周上升的网格 <span class=\"en\">"
                       "rising grid</span> (%ld)</li>",
                       n_rising);
    if (hexes && n_overdue)
        gs__buf_printf(b,
                       "<li><i style=\"background:#ff7f00;border-radius:7px"
                       "\"></i>超期未办结事件 <span class=\"en\">overdue "
                       "event</span> (%ld)</li>",
                       n_overdue);
    gs__buf_puts(b, "</ul>");
}

void gs__report_pct(gs__buf *b, long num, long den) {
    if (den > 0)
        gs__buf_printf(b, "%.1f%%", 100.0 * num / den);
    else
        gs__buf_puts(b, "—");
}
