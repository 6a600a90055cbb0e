/*
 * report_charts.c - the weekly report's charts, as inline SVG.
 *
 * Where a director would rather look than read: the compliant share and
 * the mean hours of the recent weeks (two charts, each on its own scale:
 * one axis per chart reads without a legend), the backlog at the end of
 * each week with its overdue part, the events of each week by category,
 * and each member's hours of the week against the weekly standard. Every
 * chart is drawn in a fixed viewBox that the page scales to its width,
 * labels its values in the chart (no hovering needed on a phone) and
 * names its units in Chinese.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_html.h"

/* Chart frame: width, height and margins. */
#define CW 560
#define CH 200
#define CL 44
#define CR 16
#define CT 22
#define CB 30

static const char *const cat_colors[MAX_CATS] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

const char *gs__report_cat_color(size_t c) {
    return cat_colors[c < MAX_CATS ? c : MAX_CATS - 1];
}

/* The opening of a chart of height h with its aria label. */
static void chart_open(gs__buf *b, int h, const char *label) {
    gs__buf_printf(b,
                   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                   "height=\"%d\" role=\"img\" aria-label=\"",
                   CW, h, CW, h);
    gs__report_esc(b, label);
    gs__buf_puts(b, "\" font-size=\"11\">");
}

/* The x position of the middle of week k's bar (the weeks from d->k0
 * share the width), and the bar width (that of 9 weeks' bars, so that a
 * young ledger's few weeks are not drawn as slabs). */
static double bar_x(const gs__rdata *d, int k) {
    return CL + (CW - CL - CR) * (k - d->k0 + 0.5) / (NT - d->k0);
}
#define BAR_W ((CW - CL - CR) / NT * 0.62)

/* The y axis: n + 1 grid lines from 0 to vmax, labelled with `unit`
 * after each value, and the week labels below (grey without data). */
static void axes(gs__buf *b, const gs__rdata *d, double vmax, int n,
                 const char *unit, const int *has) {
    const double ph = CH - CT - CB;
    gs__buf_puts(b, "<g stroke=\"#e3e3e3\" fill=\"#555\">");
    for (int i = 0; i <= n; i++) {
        double y = CT + ph * (1 - (double)i / n);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text stroke=\"none\" x=\"%d\" y=\"%.1f\" "
                       "text-anchor=\"end\">%g%s</text>",
                       CL, CW - CR, y, y, CL - 4, y + 4, vmax * i / n, unit);
    }
    for (int k = d->k0; k < NT; k++)
        gs__buf_printf(b,
                       "<text stroke=\"none\" x=\"%.1f\" y=\"%d\" "
                       "text-anchor=\"middle\"%s>%s</text>",
                       bar_x(d, k), CH - CB + 16,
                       has[k] ? "" : " fill=\"#bbb\"", d->weeks[k] + 5);
    gs__buf_puts(b, "</g>");
}

/* A "nice" top of a scale above v: 1, 2, 2.5 or 5 times a power of ten,
 * times `ticks`. */
static double nice_max(double v, int ticks) {
    double step, p;
    if (!(v > 0)) return ticks;
    step = v / ticks;
    p = pow(10, floor(log10(step)));
    step = step / p <= 1     ? p
           : step / p <= 2   ? 2 * p
           : step / p <= 2.5 ? 2.5 * p
           : step / p <= 5   ? 5 * p
                             : 10 * p;
    return step * ticks;
}

static void no_data(gs__buf *b) {
    gs__buf_puts(b,
                 "<p class=\"note\">台账中暂无这几周的数据。<span "
                 "class=\"en\">No data in the ledger for these weeks.</span>"
                 "</p>");
}

void gs__report_share_svg(gs__buf *b, const gs__rdata *d, const gs__rtally *t) {
    const double ph = CH - CT - CB;
    int has[NT] = {0}, any = 0;
    for (int k = d->k0; k < NT; k++) any |= has[k] = t[k].members > 0;
    if (!any) {
        no_data(b);
        return;
    }
    chart_open(b, CH, "巡查达标率 compliant share");
    axes(b, d, 100, 4, "%", has);
    for (int k = d->k0; k < NT; k++) {
        double v, h;
        if (!has[k]) continue;
        v = 100.0 * (double)t[k].compliant / (double)t[k].members;
        h = ph * v / 100;
        gs__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"%s\"/><text x=\"%.1f\" "
                       "y=\"%.1f\" text-anchor=\"middle\" "
                       "font-weight=\"bold\">%.0f%%</text>",
                       bar_x(d, k) - BAR_W / 2, CT + ph - h, BAR_W, h,
                       k == NT - 1 ? "#1f5f99" : "#7fa7cf", bar_x(d, k),
                       CT + ph - h - 4, v);
    }
    gs__buf_puts(b, "</svg>");
}

void gs__report_hours_svg(gs__buf *b, const gs__rdata *d, const gs__rtally *t,
                          double std_h) {
    const double ph = CH - CT - CB;
    double vmax = std_h > 0 ? std_h * 1.2 : 1;
    int has[NT] = {0}, any = 0;
    for (int k = d->k0; k < NT; k++) {
        any |= has[k] = t[k].members > 0;
        if (has[k])
            vmax = fmax(vmax, t[k].hours_s / 3600.0 / (double)t[k].members);
    }
    if (!any) {
        no_data(b);
        return;
    }
    vmax = nice_max(vmax * 1.08, 4);
    chart_open(b, CH, "人均周巡查时长 mean hours per week");
    axes(b, d, vmax, 4, "", has);
    for (int k = d->k0; k < NT; k++) {
        double v, h;
        if (!has[k]) continue;
        v = t[k].hours_s / 3600.0 / (double)t[k].members;
        h = ph * v / vmax;
        gs__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"%s\"/><text x=\"%.1f\" "
                       "y=\"%.1f\" text-anchor=\"middle\" "
                       "font-weight=\"bold\">%.1f</text>",
                       bar_x(d, k) - BAR_W / 2, CT + ph - h, BAR_W, h,
                       k == NT - 1 ? "#c0560b" : "#eaa46e", bar_x(d, k),
                       CT + ph - h - 4, v);
    }
    if (std_h > 0) {
        double y = CT + ph * (1 - std_h / vmax);
        gs__buf_printf(b,
                       "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#b2182b\" stroke-dasharray=\"6 4\" "
                       "stroke-width=\"1.5\"/><line x1=\"%d\" x2=\"%d\" "
                       "y1=\"8\" y2=\"8\" stroke=\"#b2182b\" "
                       "stroke-dasharray=\"6 4\" stroke-width=\"1.5\"/>"
                       "<text x=\"%d\" y=\"12\" fill=\"#b2182b\" "
                       "text-anchor=\"end\">标准 %g 小时</text>",
                       CL, CW - CR, y, y, CW - CR - 104, CW - CR - 80, CW - CR,
                       std_h);
    }
    gs__buf_printf(b,
                   "<text x=\"%d\" y=\"12\" fill=\"#555\">小时 "
                   "hours</text></svg>",
                   4);
}

void gs__report_backlog_svg(gs__buf *b, const gs__rdata *d,
                            const gs__rbacklog *bl) {
    const double ph = CH - CT - CB;
    double vmax = 1;
    int has[NT] = {0}, any = 0;
    for (int k = d->k0; k < NT; k++) {
        any |= has[k] = bl[k].has;
        vmax = fmax(vmax, (double)bl[k].open);
    }
    if (!any) {
        no_data(b);
        return;
    }
    vmax = nice_max(vmax * 1.1, 4);
    chart_open(b, CH, "事件积压 backlog at the end of each week");
    axes(b, d, vmax, 4, "", has);
    for (int k = d->k0; k < NT; k++) {
        double ho, hd;
        if (!has[k]) continue;
        ho = ph * (double)bl[k].open / vmax;
        hd = ph * (double)bl[k].overdue / vmax;
        gs__buf_printf(b,
                       "<g><title>%s：周末未办结 %ld 件，其中超期 %ld 件"
                       "</title>",
                       d->weeks[k], bl[k].open, bl[k].overdue);
        gs__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"#9ecae1\"/>"
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\" fill=\"#d6604d\"/></g>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                       "font-weight=\"bold\">%ld</text>",
                       bar_x(d, k) - BAR_W / 2, CT + ph - ho, BAR_W, ho - hd,
                       bar_x(d, k) - BAR_W / 2, CT + ph - hd, BAR_W, hd,
                       bar_x(d, k), CT + ph - ho - 4, bl[k].open);
        if (bl[k].overdue && hd >= 13)
            gs__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                           "fill=\"#fff\" font-weight=\"bold\">%ld</text>",
                           bar_x(d, k), CT + ph - hd / 2 + 4, bl[k].overdue);
    }
    gs__buf_puts(b,
                 "<text x=\"4\" y=\"12\" fill=\"#555\">件 events</text>"
                 "</svg><ul class=\"legend\"><li><i style=\"background:"
                 "#9ecae1\"></i>周末未办结 <span class=\"en\">open at the "
                 "week's end</span></li><li><i style=\"background:#d6604d\">"
                 "</i>其中超期 <span class=\"en\">of them overdue</span></li>"
                 "</ul>");
}

void gs__report_categories_svg(gs__buf *b, const gs__rdata *d,
                               const long *cat) {
    const double ph = CH - CT - CB;
    double vmax = 1;
    long tot[NT];
    int has[NT] = {0}, any = 0;
    if (!d->ncat || !cat) {
        no_data(b);
        return;
    }
    for (int k = d->k0; k < NT; k++) {
        tot[k] = 0;
        for (size_t c = 0; c < d->ncat; c++) tot[k] += cat[k * d->ncat + c];
        any |= has[k] = tot[k] > 0;
        vmax = fmax(vmax, (double)tot[k]);
    }
    if (!any) {
        gs__buf_puts(b,
                     "<p class=\"note\">这几周没有上报事件。<span "
                     "class=\"en\">No events reported in these weeks.</span>"
                     "</p>");
        return;
    }
    vmax = nice_max(vmax * 1.1, 4);
    chart_open(b, CH, "各类事件 events by category and week");
    axes(b, d, vmax, 4, "", has);
    for (int k = d->k0; k < NT; k++) {
        double y = CT + ph;
        for (size_t c = 0; c < d->ncat; c++) {
            long n = cat[k * d->ncat + c];
            double h = ph * (double)n / vmax;
            if (!n) continue;
            y -= h;
            gs__buf_printf(b,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"%.1f\" fill=\"%s\"><title>",
                           bar_x(d, k) - BAR_W / 2, y, BAR_W, h,
                           gs__report_cat_color(c));
            gs__report_esc(b, d->cats[c]);
            gs__buf_printf(b, " %ld</title></rect>", n);
        }
        if (tot[k])
            gs__buf_printf(b,
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                           "font-weight=\"bold\">%ld</text>",
                           bar_x(d, k), y - 4, tot[k]);
    }
    gs__buf_puts(b,
                 "<text x=\"4\" y=\"12\" fill=\"#555\">件 events</text>"
                 "</svg><ul class=\"legend\">");
    for (size_t c = 0; c < d->ncat; c++) {
        long n = cat[(NT - 1) * d->ncat + c];
        gs__buf_printf(b, "<li><i style=\"background:%s\"></i>",
                       gs__report_cat_color(c));
        gs__report_esc(b, d->cats[c]);
        gs__buf_printf(b, " 本周 %ld</li>", n);
    }
    gs__buf_puts(b, "</ul>");
}

int gs__report_member_twice(const gs__rdata *d, size_t m0, size_t m1,
                            size_t i) {
    for (size_t j = m0; j < m1; j++)
        if (j != i && !strcmp(d->mem[j].id, d->mem[i].id)) return 1;
    return 0;
}

void gs__report_member_hours_svg(gs__buf *b, const gs__rdata *d, size_t m0,
                                 size_t m1, double std_h) {
    const int row = 22, left = 150, right = 130, top = 20;
    double vmax = std_h > 0 ? std_h * 1.3 : 1;
    size_t n = 0;
    int h, k = 0;
    for (size_t i = m0; i < m1; i++) {
        n++;
        vmax = fmax(vmax, d->mem[i].hours);
    }
    if (!n) return;
    vmax = nice_max(vmax, 4);
    h = top + (int)n * row + 22;
    chart_open(b, h, "网格员本周巡查时长 each member's hours this week");
    gs__buf_puts(b, "<g stroke=\"#e3e3e3\" fill=\"#555\">");
    for (int i = 0; i <= 4; i++) {
        double x = left + (CW - left - right) * i / 4.0;
        gs__buf_printf(b,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                       "<text stroke=\"none\" x=\"%.1f\" y=\"%d\" "
                       "text-anchor=\"middle\">%g</text>",
                       x, x, top - 4, h - 18, x, h - 4, vmax * i / 4);
    }
    gs__buf_puts(b, "</g>");
    for (size_t i = m0; i < m1; i++, k++) {
        const gs__rmember *m = &d->mem[i];
        double w = (CW - left - right) * fmin(m->hours, vmax) / vmax;
        int y = top + k * row;
        int bad = !m->compliant || !m->has_grid;
        gs__buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
                       left - 6, y + 15);
        gs__report_esc(b, m->name[0] ? m->name : m->id);
        gs__buf_puts(b, " <tspan fill=\"#888\">");
        gs__report_esc(b, m->id);
        if (gs__report_member_twice(d, m0, m1, i) && strlen(m->grid) > 3) {
            gs__buf_puts(b, " 网格");
            gs__report_esc(b, m->grid + strlen(m->grid) - 3);
        }
        gs__buf_printf(b,
                       "</tspan></text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                       "height=\"%d\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\""
                       "%s>%.1f 小时%s</text>",
                       left, y + 4, w, row - 8, bad ? "#d6604d" : "#5aae61",
                       left + w + 4, y + 15,
                       bad ? " fill=\"#b2182b\" font-weight=\"bold\"" : "",
                       m->hours,
                       !m->has_grid    ? " 网格不存在"
                       : !m->weekly_ok ? " 周时长不足"
                       : !m->compliant ? " 有工作日不足"
                                       : "");
    }
    if (std_h > 0) {
        double x = left + (CW - left - right) * std_h / vmax;
        gs__buf_printf(b,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                       "stroke=\"#b2182b\" stroke-dasharray=\"6 4\" "
                       "stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"%d\" "
                       "fill=\"#b2182b\" text-anchor=\"middle\">标准 %g 小时"
                       "</text>",
                       x, x, top - 6, h - 18, x, top - 8, std_h);
    }
    gs__buf_puts(b, "</svg>");
}
