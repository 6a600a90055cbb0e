/*
 * report_page.c - the weekly report's HTML: overview, streets, tables.
 *
 * One self-contained page: the CSS inline, the maps and charts inline SVG
 * (report_svg.c), no script, no font or image to fetch, so it opens from
 * an e-mail attachment or a USB stick on any office computer. Text is
 * Chinese with English labels. The page has an overview (cards and the
 * table of streets, the trend of all streets), then one section per
 * street: its communities' compliance, its two maps, its trend, and per
 * community the members below standard and the grids with overdue
 * events. Every text from the ledger is escaped (gs__report_esc).
 */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "redact.h"
#include "report_html.h"
#include "rules.h"

static const char *const css =
    "body{margin:0;color:#222;background:#fff;line-height:1.5;"
    "font-family:\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\","
    "\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\","
    "\"WenQuanYi Zen Hei\",sans-serif}"
    "main{max-width:1140px;margin:0 auto;padding:12px 24px 40px}"
    "h1{font-size:26px;margin:10px 0 2px}h2{font-size:21px;margin:24px 0 6px}"
    "h3{font-size:17px;margin:18px 0 4px}h4{font-size:15px;margin:12px 0 4px}"
    ".en{color:#666;font-weight:normal;font-size:.85em}"
    ".sub{font-size:17px;margin:0}.note{color:#555;font-size:14px}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}"
    "th,td{border:1px solid #c8ccd2;padding:3px 8px;text-align:right;"
    "vertical-align:top}th{background:#eef2f7;font-weight:600}"
    "th .en{display:block;font-size:11px}.l{text-align:left}"
    "tr.total td{font-weight:bold;background:#f7f7f7}"
    ".bad{color:#b2182b;font-weight:bold}.ok{color:#1a7f37}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:6px 14px;"
    "min-width:150px}.card b{display:block;font-size:26px}"
    ".maps{display:flex;flex-wrap:wrap;gap:20px}figure{margin:0}"
    "figcaption{font-weight:600}svg{max-width:100%;height:auto}"
    "svg.map{background:#fff}"
    ".lbl text{font-size:11px;text-anchor:middle;fill:#222;stroke:#fff;"
    "stroke-width:3px;paint-order:stroke}"
    ".clbl text{font-size:14px;font-weight:bold;text-anchor:middle;"
    "fill:#1b2a3a;stroke:#fff;stroke-width:4px;paint-order:stroke}"
    ".legend{list-style:none;padding:0;margin:4px 0;display:flex;"
    "flex-wrap:wrap;gap:2px 14px;font-size:13px;max-width:520px}"
    ".legend i{display:inline-block;width:14px;height:14px;margin-right:4px;"
    "vertical-align:-2px;border:1px solid #888}"
    ".legend i.edge{height:0;border:0;border-top:3px solid #1b2a3a;"
    "vertical-align:4px}"
    ".key i{display:inline-block;width:18px;height:3px;margin:0 4px 0 10px;"
    "vertical-align:4px}"
    "section.street{border-top:3px solid #2c5f8a;margin-top:30px}"
    "footer{color:#777;font-size:12px;margin-top:30px}"
    "@media print{section.street{break-before:page}}";

static const char *const weekday_zh[7] = {"周一", "周二", "周三", "周四",
                                          "周五", "周六", "周日"};

/* A header cell "中文<span class=en>English</span>". */
static void th(gs__buf *b, const char *zh, const char *en, int left) {
    gs__buf_printf(b, "<th%s>%s<span class=\"en\">%s</span></th>",
                   left ? " class=\"l\"" : "", zh, en);
}

/* A table's opening and header row. */
typedef struct column {
    const char *zh, *en;
    int left;
} column;

static void table_head(gs__buf *b, const column *c, size_t n) {
    gs__buf_puts(b, "<table><tr>");
    for (size_t i = 0; i < n; i++) th(b, c[i].zh, c[i].en, c[i].left);
    gs__buf_puts(b, "</tr>");
}

/* A left-aligned cell's content: a code, then a name in small type
 * (`br`: on its own line) when there is one. The cell stays open. */
static void code_cell(gs__buf *b, const char *code, const char *name, int br) {
    gs__buf_puts(b, "<td class=\"l\">");
    gs__report_esc(b, code);
    if (name[0]) {
        gs__buf_puts(b, br ? "<br><span class=\"en\">"
                           : " <span "
                             "class=\"en\">");
        gs__report_esc(b, name);
        gs__buf_puts(b, "</span>");
    }
}

static void tally_cells(gs__buf *b, const gs__rtally *t) {
    gs__buf_printf(
        b, "<td>%ld</td><td%s>%ld</td><td>", t->members,
        t->members && t->compliant == t->members ? " class=\"ok\"" : "",
        t->compliant);
    gs__report_pct(b, t->compliant, t->members);
    gs__buf_puts(b, "</td><td>");
    if (t->members)
        gs__buf_printf(b, "%.1f", t->hours_s / 3600.0 / t->members);
    else
        gs__buf_puts(b, "—");
    gs__buf_puts(b, "</td><td>");
    if (t->n_cov)
        gs__buf_printf(b, "%.1f%%", t->cov / t->n_cov);
    else
        gs__buf_puts(b, "—");
    gs__buf_printf(b, "</td><td%s>%ld</td>",
                   t->members - t->compliant > 0 ? " class=\"bad\"" : "",
                   t->members - t->compliant);
}

static void tally_head(gs__buf *b, const char *zh, const char *en) {
    const column cols[] = {{zh, en, 1},
                           {"网格员", "Members", 0},
                           {"达标", "Compliant", 0},
                           {"达标率", "Compliant share", 0},
                           {"人均周巡查时长 (小时)", "Mean hours / week", 0},
                           {"平均覆盖率", "Mean coverage", 0},
                           {"未达标", "Below standard", 0}};
    table_head(b, cols, sizeof cols / sizeof cols[0]);
}

static void community_title(gs__buf *b, const gs__rcomm *c) {
    if (c->name[0]) {
        gs__report_esc(b, c->name);
        gs__buf_puts(b, " <span class=\"en\">");
        gs__report_esc(b, c->code);
        gs__buf_puts(b, "</span>");
    } else if (c->code[0]) {
        gs__buf_puts(b, "社区 <span class=\"en\">Community</span> ");
        gs__report_esc(b, c->code);
    } else {
        gs__buf_puts(b,
                     "未知社区 <span class=\"en\">Unknown community"
                     "</span>");
    }
}

static void trend_table(gs__buf *b, const gs__rdata *d, const gs__rtally *t) {
    gs__buf_puts(b, "<table class=\"trend\"><tr>");
    th(b, "周", "Week", 1);
    for (int k = 0; k < NT; k++) {
        gs__buf_puts(b, "<th>");
        gs__report_esc(b, d->weeks[k]);
        gs__buf_puts(b, "</th>");
    }
    gs__buf_puts(b, "</tr><tr>");
    th(b, "达标率", "Compliant share", 1);
    for (int k = 0; k < NT; k++) {
        gs__buf_puts(b, "<td>");
        gs__report_pct(b, t[k].compliant, t[k].members);
        gs__buf_puts(b, "</td>");
    }
    gs__buf_puts(b, "</tr><tr>");
    th(b, "人均时长 (小时)", "Mean hours", 1);
    for (int k = 0; k < NT; k++) {
        if (t[k].members)
            gs__buf_printf(b, "<td>%.1f</td>",
                           t[k].hours_s / 3600.0 / t[k].members);
        else
            gs__buf_puts(b, "<td>—</td>");
    }
    gs__buf_puts(b, "</tr></table>");
}

static void trend_block(gs__buf *b, const gs__rdata *d, const gs__rtally *t,
                        const gs_rules *rules) {
    gs__buf_puts(b,
                 "<p class=\"key\"><i style=\"background:#1f78b4\"></i>"
                 "达标率 <span class=\"en\">compliant share</span>"
                 "<i style=\"background:#e66101\"></i>人均周巡查时长 "
                 "<span class=\"en\">mean hours per week</span></p>");
    gs__report_trend_svg(b, d, t, rules->weekly_min_s / 3600.0);
    trend_table(b, d, t);
}

static void missed_days(gs__buf *b, const gs__rdata *d, unsigned mask) {
    int first = 1;
    for (int k = 0; k < 7; k++) {
        int y, mo, dd;
        if (!(mask & (1u << k))) continue;
        gs__civil_from_days(d->monday + k, &y, &mo, &dd);
        gs__buf_printf(b, "%s%02d-%02d %s", first ? "" : "、", mo, dd,
                       weekday_zh[k]);
        first = 0;
    }
    if (first) gs__buf_puts(b, "—");
}

/* Members below standard in one community; returns how many. */
static long below_table(gs__buf *b, const gs__rdata *d, const gs__rcomm *c,
                        const gs_rules *rules) {
    static const column cols[] = {{"网格员", "Member", 1},
                                  {"网格", "Grid", 1},
                                  {"周巡查时长 (小时)", "Hours this week", 0},
                                  {"达标工作日", "Workdays OK", 0},
                                  {"未达标的工作日", "Workdays missed", 1},
                                  {"覆盖率", "Coverage", 0},
                                  {"原因", "Reason", 1}};
    long n = 0;
    for (size_t i = c->m0; i < c->m1; i++) {
        const gs__rmember *m = &d->mem[i];
        if (m->compliant && m->has_grid) continue;
        if (!n++) table_head(b, cols, sizeof cols / sizeof cols[0]);
        gs__buf_puts(b, "<tr><td class=\"l\"><b>");
        gs__report_esc(b, m->id);
        gs__buf_puts(b, "</b></td>");
        code_cell(b, m->grid, m->grid_name, 1);
        gs__buf_printf(b,
                       "</td><td%s>%.1f</td><td>%d / %d</td>"
                       "<td class=\"l\">",
                       m->weekly_ok ? "" : " class=\"bad\"", m->hours,
                       m->workdays_ok, m->workdays);
        missed_days(b, d, m->missed);
        gs__buf_puts(b, "</td><td>");
        if (isnan(m->cov))
            gs__buf_puts(b, "—");
        else
            gs__buf_printf(b, "%.1f%%", m->cov);
        gs__buf_puts(b, "</td><td class=\"l\">");
        if (!m->has_grid)
            gs__buf_puts(b,
                         "网格不存在，不计入统计 <span class=\"en\">grid "
                         "not found: not counted</span><br>");
        if (!m->weekly_ok)
            gs__buf_printf(b,
                           "周时长不足 %g 小时 <span class=\"en\">under "
                           "%g h this week</span><br>",
                           rules->weekly_min_s / 3600.0,
                           rules->weekly_min_s / 3600.0);
        if (m->workdays_ok < m->workdays)
            gs__buf_printf(
                b,
                "%d 个工作日不足 %g 小时 <span class=\"en\">%d "
                "workday(s) under %g h</span><br>",
                m->workdays - m->workdays_ok, rules->daily_min_s / 3600.0,
                m->workdays - m->workdays_ok, rules->daily_min_s / 3600.0);
        if (m->note[0]) {
            gs__buf_puts(b, "<span class=\"note\">");
            gs__report_esc(b, m->note);
            gs__buf_puts(b, "</span>");
        }
        gs__buf_puts(b, "</td></tr>");
    }
    if (n)
        gs__buf_puts(b, "</table>");
    else if (c->m1 > c->m0)
        gs__buf_puts(b,
                     "<p class=\"ok\">全部达标。<span class=\"en\">All "
                     "members met the standard.</span></p>");
    else
        gs__buf_puts(b,
                     "<p class=\"note\">本周无巡查记录。<span "
                     "class=\"en\">No patrol records this week.</span>"
                     "</p>");
    return n;
}

static void overdue_table(gs__buf *b, const gs__rdata *d, const gs__rcomm *c) {
    static const column cols[] = {{"网格", "Grid", 1},
                                  {"事件", "Events", 0},
                                  {"未办结", "Open", 0},
                                  {"超期", "Overdue", 0},
                                  {"自行处置", "Self-resolved", 0}};
    long n = 0;
    for (size_t i = c->g0; i < c->g1; i++) {
        const gs__rgrid *g = &d->grids[i];
        if (!g->has_ev || g->overdue <= 0) continue;
        if (!n++) table_head(b, cols, sizeof cols / sizeof cols[0]);
        gs__buf_puts(b, "<tr>");
        code_cell(b, g->code, g->name, 0);
        gs__buf_printf(b,
                       "</td><td>%ld</td><td>%ld</td><td class=\"bad\">%ld"
                       "</td><td>%ld</td></tr>",
                       g->events, g->open, g->overdue, g->self_resolved);
    }
    if (n)
        gs__buf_puts(b, "</table>");
    else
        gs__buf_puts(b,
                     "<p class=\"ok\">无超期事件。<span class=\"en\">No "
                     "overdue events.</span></p>");
}

static const char *const no_hotspots =
    "<p class=\"note\">本周未运行热点分析，无事件数据。<span class=\"en\">"
    "Hotspots were not run this week: no event data.</span></p>";

static int street_section(gs__buf *b, gs__rdata *d, const gs__rstreet *s,
                          const gs_rules *rules) {
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    gs__mapview v;
    int rc;
    gs__buf_puts(b, "<section class=\"street\" id=\"s");
    gs__report_esc(b, s->code);
    gs__buf_puts(b, "\"><h2>街道 <span class=\"en\">Street</span> ");
    gs__report_esc(b, s->code[0] ? s->code : "?");
    gs__buf_puts(b, "</h2>");
    if (d->have_patrol) {
        gs__buf_puts(b,
                     "<h3>巡查达标情况 <span class=\"en\">Patrol "
                     "compliance</span></h3>");
        tally_head(b, "社区", "Community");
        for (size_t i = s->c0; i < s->c1; i++) {
            gs__buf_puts(b, "<tr><td class=\"l\">");
            community_title(b, &d->comm[i]);
            gs__buf_puts(b, "</td>");
            tally_cells(b, &d->comm[i].now);
            gs__buf_puts(b, "</tr>");
        }
        gs__buf_puts(b,
                     "<tr class=\"total\"><td class=\"l\">街道合计 "
                     "<span class=\"en\">Street total</span></td>");
        tally_cells(b, &s->now);
        gs__buf_puts(b, "</tr></table>");
    }

    if (gs__report_map_view(d, g0, g1, &v)) {
        if ((rc = gs__report_map_paths(d, s, &v))) return rc;
        gs__buf_puts(b,
                     "<div class=\"maps\"><figure><figcaption>巡查覆盖率"
                     " <span class=\"en\">Patrol coverage</span>"
                     "</figcaption>");
        gs__report_map_svg(b, d, s, &v, 0, "巡查覆盖率 patrol coverage");
        gs__buf_puts(b,
                     "</figure><figure><figcaption>事件热点 <span "
                     "class=\"en\">Event hot spots (Gi*)</span>"
                     "</figcaption>");
        if (d->have_events)
            gs__report_map_svg(b, d, s, &v, 1, "事件热点 event hot spots");
        else
            gs__buf_puts(b, no_hotspots);
        gs__buf_puts(b, "</figure></div>");
    }
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Trend, recent "
                 "weeks</span></h3>");
    trend_block(b, d, s->trend, rules);
    for (size_t i = s->c0; i < s->c1; i++) {
        const gs__rcomm *c = &d->comm[i];
        gs__buf_puts(b, "<h3>");
        community_title(b, c);
        gs__buf_puts(b,
                     "</h3><h4>未达标网格员 <span class=\"en\">Members "
                     "below standard</span></h4>");
        below_table(b, d, c, rules);
        if (d->have_events) {
            gs__buf_puts(b,
                         "<h4>超期事件 <span class=\"en\">Overdue "
                         "events</span></h4>");
            overdue_table(b, d, c);
        }
    }
    gs__buf_puts(b, "</section>");
    return GS_OK;
}

/* The overview's cards (members, compliant, below standard, hours,
 * coverage, grids) and the table of streets. */
static void overview_cards(gs__buf *b, const gs__rdata *d) {
    long below = d->all.members - d->all.compliant, unplaced = 0;
    for (size_t i = 0; i < d->nm; i++) unplaced += !d->mem[i].has_grid;
    gs__buf_printf(b,
                   "<div class=\"cards\"><div class=\"card\">网格员 <span "
                   "class=\"en\">Members</span><b>%ld</b></div><div "
                   "class=\"card\">达标 <span class=\"en\">Compliant</span>"
                   "<b>%ld</b>",
                   d->all.members, d->all.compliant);
    gs__report_pct(b, d->all.compliant, d->all.members);
    gs__buf_printf(b,
                   "</div><div class=\"card\">未达标 <span class=\"en\">"
                   "Below standard</span><b class=\"%s\">%ld</b>",
                   below ? "bad" : "ok", below);
    if (unplaced)
        gs__buf_printf(b,
                       "另 %ld 人网格不存在 <span class=\"en\">+%ld on no "
                       "grid</span>",
                       unplaced, unplaced);
    gs__buf_puts(b,
                 "</div><div class=\"card\">人均周巡查时长 <span "
                 "class=\"en\">Mean hours</span><b>");
    if (d->all.members)
        gs__buf_printf(b, "%.1f h", d->all.hours_s / 3600.0 / d->all.members);
    else
        gs__buf_puts(b, "—");
    gs__buf_puts(b,
                 "</b></div><div class=\"card\">平均覆盖率 <span "
                 "class=\"en\">Mean coverage</span><b>");
    if (d->all.n_cov)
        gs__buf_printf(b, "%.1f%%", d->all.cov / d->all.n_cov);
    else
        gs__buf_puts(b, "—");
    gs__buf_printf(b,
                   "</b></div><div class=\"card\">网格 <span class=\"en\">"
                   "Grids</span><b>%zu</b></div></div>",
                   d->ng);
    if (unplaced)
        gs__buf_printf(b,
                       "<p class=\"note\">另有 %ld 条花名册记录的网格不存在，"
                       "不计入统计，列在所属社区的未达标名单中。<span "
                       "class=\"en\">%ld roster row(s) name a grid that "
                       "does not exist: not counted, listed below "
                       "standard in their community.</span></p>",
                       unplaced, unplaced);
    tally_head(b, "街道", "Street");
    for (size_t i = 0; i < d->ns; i++) {
        gs__buf_puts(b, "<tr><td class=\"l\"><a href=\"#s");
        gs__report_esc(b, d->st[i].code);
        gs__buf_puts(b, "\">");
        gs__report_esc(b, d->st[i].code[0] ? d->st[i].code : "?");
        gs__buf_puts(b, "</a></td>");
        tally_cells(b, &d->st[i].now);
        gs__buf_puts(b, "</tr>");
    }
    gs__buf_puts(b,
                 "<tr class=\"total\"><td class=\"l\">合计 <span "
                 "class=\"en\">Total</span></td>");
    tally_cells(b, &d->all);
    gs__buf_puts(b, "</tr></table>");
}

int gs__report_page(gs__buf *b, gs__rdata *d, const gs_rules *rules,
                    const char *ledger) {
    char sunday[11], monday[11], now[32], *copy;
    int rc;
    gs__date_format(d->monday, monday);
    gs__date_format(d->monday + 6, sunday);
    gs__utc_now(now, sizeof now);
    gs__buf_printf(b,
                   "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
                   "charset=\"utf-8\"><meta name=\"viewport\" "
                   "content=\"width=device-width,initial-scale=1\"><title>"
                   "网格巡查周报 %s</title><style>%s</style></head><body>"
                   "<main><h1>网格化服务管理周报 <span class=\"en\">Weekly "
                   "grid management report</span></h1>"
                   "<p class=\"sub\">%.4s 年第 %s 周（%s 至 %s）<span "
                   "class=\"en\">week %s, %s to %s</span></p>",
                   d->week, css, d->week, d->week + 6, monday, sunday, d->week,
                   monday, sunday);
    gs__buf_printf(b,
                   "<p class=\"note\">巡查标准：每个工作日在本网格巡查不少于 "
                   "%g 小时，每周不少于 %g 小时（网格边界外 %g 米内计入）。"
                   "覆盖率：本周巡查轨迹 %g 米范围内的网格面积占比。<br><span "
                   "class=\"en\">Standard: at least %g h in one's own grid "
                   "every workday and %g h a week (counting %g m beyond the "
                   "edge). Coverage: the share of the grid's area within %g m "
                   "of the week's patrol tracks.</span></p>",
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m,
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m);

    gs__buf_puts(b, "<h2>总览 <span class=\"en\">Overview</span></h2>");
    if (d->have_patrol) {
        overview_cards(b, d);
    } else {
        gs__buf_printf(b,
                       "<p class=\"note\">本周台账中没有巡查记录（作业未"
                       "提供 GPS 轨迹）。<span class=\"en\">No patrol "
                       "verification this week (no GPS traces in the "
                       "job).</span></p><div class=\"cards\"><div "
                       "class=\"card\">网格 <span class=\"en\">Grids"
                       "</span><b>%zu</b></div></div>",
                       d->ng);
    }
    if (!d->have_events) gs__buf_puts(b, no_hotspots);
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Trend, recent "
                 "weeks</span></h3>");
    trend_block(b, d, d->all_trend, rules);

    for (size_t i = 0; i < d->ns; i++)
        if ((rc = street_section(b, d, &d->st[i], rules))) return rc;

    /* A PG: ledger is named whole, a file by its name; a connection
     * string's password never reaches the page. */
    copy = gs__redact(ledger);
    gs__buf_printf(b,
                   "<footer>gridsmith %s · 台账 ledger: ", GS_VERSION_STRING);
    gs__report_esc(b, !copy                          ? ""
                      : strncmp(copy, "PG:", 3) == 0 ? copy
                                                     : basename(copy));
    free(copy);
    gs__buf_printf(b,
                   " · 生成于 generated %s</footer></main></body>"
                   "</html>\n",
                   now);
    return GS_OK;
}
