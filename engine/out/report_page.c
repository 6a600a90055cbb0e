/*
 * report_page.c - the weekly report's HTML, for a street office's
 * director.
 *
 * One self-contained page: the CSS inline, the maps and charts inline SVG
 * (report_svg.c, report_charts.c), no script, no font or image to fetch,
 * so it opens from an e-mail attachment or a USB stick on any office
 * computer or phone. Everything a director reads is Chinese first, with
 * English as secondary labels; people and places are named (members from
 * the roster, communities and streets where the inputs name them), codes
 * beside the names. The order follows what a director acts on:
 *
 *   本周要点   the week in six figures and the list of what to act on;
 *   总览       the streets' compliance and the trends of recent weeks
 *              (compliance, mean hours, event backlog, events by category);
 *   超期事件   every overdue event, whichever week it was reported in;
 *   网格规范   the grids not to standard, each problem in Chinese with
 *              what to do about it;
 *   街道       per street: its communities' compliance and events, its
 *              maps, each member's hours against the weekly standard, the
 *              member x workday table coloured by the daily rule, and per
 *              community the members below standard and its overdue
 *              events.
 *
 * Every number comes from the ledger's tables of the week, as the CLI's
 * summaries do. Every text from the ledger is escaped (gs__report_esc).
 * The wide tables turn into one block per row on a phone (CSS, class
 * "stack", each cell labelled by data-l).
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

/* The CJK fonts of the desktops a street office uses: Windows (Microsoft
 * YaHei, DengXian, SimHei, SimSun), macOS (PingFang SC, Hiragino Sans GB,
 * Heiti SC, STHeiti), Linux (Noto Sans CJK SC, Source Han Sans SC,
 * WenQuanYi Micro Hei / Zen Hei, Droid Sans Fallback), each also by its
 * Chinese name where Windows and macOS register one. */
#define FONT_STACK                                                         \
    "\"Microsoft YaHei\",\"微软雅黑\",\"PingFang SC\",\"苹方-简\"," \
    "\"Hiragino Sans GB\",\"Noto Sans CJK SC\",\"Source Han Sans SC\","    \
    "\"思源黑体\",\"WenQuanYi Micro Hei\",\"WenQuanYi Zen Hei\","      \
    "\"Heiti SC\",\"STHeiti\",\"DengXian\",\"等线\",\"SimHei\","         \
    "\"黑体\",\"SimSun\",\"宋体\",\"Droid Sans Fallback\",sans-serif"

static const char *const css =
    "body{margin:0;color:#222;background:#fff;line-height:1.5;"
    "font-family:" FONT_STACK
    "}"
    "main{max-width:1140px;margin:0 auto;padding:12px 24px 40px}"
    "h1{font-size:26px;margin:10px 0 2px}h2{font-size:21px;margin:28px 0 6px;"
    "border-bottom:2px solid #dde3ea}"
    "h3{font-size:17px;margin:18px 0 4px}h4{font-size:15px;margin:12px 0 4px}"
    ".en{color:#666;font-weight:normal;font-size:.85em}"
    ".sub{font-size:17px;margin:0}.note{color:#555;font-size:14px}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}"
    "th,td{border:1px solid #c8ccd2;padding:3px 8px;text-align:right;"
    "vertical-align:top}th{background:#eef2f7;font-weight:600}"
    "th .en{display:block;font-size:11px}.l{text-align:left}"
    "tr.total td{font-weight:bold;background:#f7f7f7}"
    ".bad{color:#b2182b;font-weight:bold}.ok{color:#1a7f37}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:6px 14px;"
    "min-width:140px;flex:1 1 140px}.card b{display:block;font-size:26px}"
    ".card.alert{border-color:#d6604d;background:#fff5f2}"
    ".card small{display:block;color:#555}"
    "ul.todo li{margin:3px 0}"
    ".maps,.charts{display:flex;flex-wrap:wrap;gap:20px}figure{margin:0;"
    "max-width:100%}figcaption{font-weight:600}"
    "svg{max-width:100%;height:auto}svg.map{background:#fff}"
    "svg.spark{vertical-align:middle}"
    ".charts figure{flex:1 1 460px}"
    ".lbl text{font-size:11px;text-anchor:middle;fill:#222;stroke:#fff;"
    "stroke-width:3px;paint-order:stroke}"
    ".clbl text{font-size:14px;font-weight:bold;text-anchor:middle;"
    "fill:#1b2a3a;stroke:#fff;stroke-width:4px;paint-order:stroke}"
    ".legend{list-style:none;padding:0;margin:4px 0;display:flex;"
    "flex-wrap:wrap;gap:2px 14px;font-size:13px;max-width:560px}"
    ".legend i{display:inline-block;width:14px;height:14px;margin-right:4px;"
    "vertical-align:-2px;border:1px solid #888;box-sizing:border-box}"
    ".legend i.edge{height:0;border:0;border-top:3px solid #1b2a3a;"
    "vertical-align:4px}"
    "td.d{text-align:center;min-width:34px}td.dok{background:#d9f0d3}"
    "td.dbad{background:#f4a582;font-weight:bold}td.doff{background:#f2f2f2;"
    "color:#888}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "section.street{border-top:3px solid #2c5f8a;margin-top:34px}"
    "footer{color:#777;font-size:12px;margin-top:30px}"
    "@media (max-width:700px){main{padding:8px 10px 30px}"
    "h1{font-size:22px}.card{min-width:120px;padding:4px 10px}"
    ".card b{font-size:22px}table{font-size:13px}"
    "table.stack,table.stack tbody,table.stack tr,table.stack td{"
    "display:block;width:auto}table.stack tr:first-child{display:none}"
    "table.stack tr{border:1px solid #c8ccd2;margin:0 0 8px;padding:4px 6px}"
    "table.stack td{border:0;text-align:left;padding:1px 0}"
    "table.stack td::before{content:attr(data-l);color:#666;"
    "font-size:12px;display:inline-block;min-width:6.5em}}"
    "@media print{section.street{break-before:page}}";

static const char *const weekday_zh[7] = {"周一", "周二", "周三", "周四",
                                          "周五", "周六", "周日"};

/* ---- pieces ------------------------------------------------------------- */

/* A header cell "中文<span class=en>English</span>". */
static void th(gs__buf *b, const char *zh, const char *en, int left) {
    gs__buf_printf(b, "<th%s>%s<span class=\"en\">%s</span></th>",
                   left ? " class=\"l\"" : "", zh, en);
}

typedef struct column {
    const char *zh, *en;
    int left;
} column;

/* A table's opening and header row; `stack`: one block per row on a
 * phone. */
static void table_head(gs__buf *b, const column *c, size_t n, int stack) {
    gs__buf_puts(b, stack ? "<table class=\"stack\"><tr>" : "<table><tr>");
    for (size_t i = 0; i < n; i++) th(b, c[i].zh, c[i].en, c[i].left);
    gs__buf_puts(b, "</tr>");
}

/* Opens a cell labelled for the phone layout with column c's name. */
static void td(gs__buf *b, const column *c, const char *cls) {
    gs__buf_printf(b, "<td data-l=\"%s\"%s%s%s>", c->zh, cls ? " class=\"" : "",
                   cls ? cls : "", cls ? "\"" : "");
}

/* A name with its code in small type; the code alone when there is no
 * name. */
static void named(gs__buf *b, const char *name, const char *code) {
    if (name && name[0]) {
        gs__report_esc(b, name);
        if (code && code[0]) {
            gs__buf_puts(b, " <span class=\"en\">");
            gs__report_esc(b, code);
            gs__buf_puts(b, "</span>");
        }
    } else {
        gs__report_esc(b, code && code[0] ? code : "—");
    }
}

static void pct(gs__buf *b, long num, long den) { gs__report_pct(b, num, den); }

static const gs__rcomm *comm_of(const gs__rdata *d, const char *code) {
    for (size_t i = 0; i < d->nc; i++)
        if (!strcmp(d->comm[i].code, code)) return &d->comm[i];
    return NULL;
}

static const gs__rgrid *grid_of(const gs__rdata *d, const char *code) {
    for (size_t i = 0; i < d->ng; i++)
        if (!strcmp(d->grids[i].code, code)) return &d->grids[i];
    return NULL;
}

/* The street's title: its name and code, or the code. */
static void street_title(gs__buf *b, const gs__rstreet *s) {
    if (s->name[0]) {
        gs__report_esc(b, s->name);
        gs__buf_puts(b, " <span class=\"en\">街道 street ");
        gs__report_esc(b, s->code);
        gs__buf_puts(b, "</span>");
    } else {
        gs__buf_puts(b, "街道 ");
        gs__report_esc(b, s->code[0] ? s->code : "?");
        gs__buf_puts(b,
                     " <span class=\"en\">street (no name in the "
                     "inputs)</span>");
    }
}

static void community_title(gs__buf *b, const gs__rcomm *c) {
    if (c->name[0])
        named(b, c->name, c->code);
    else if (c->code[0]) {
        gs__buf_puts(b, "社区 ");
        gs__report_esc(b, c->code);
    } else {
        gs__buf_puts(b,
                     "未知社区 <span class=\"en\">unknown community"
                     "</span>");
    }
}

/* The members of grid `code` by name, joined with 、; "—" when none. */
static void grid_members(gs__buf *b, const gs__rdata *d, const char *code) {
    int n = 0;
    for (size_t i = 0; i < d->nm; i++) {
        const gs__rmember *m = &d->mem[i];
        if (strcmp(m->grid, code)) continue;
        if (n++) gs__buf_puts(b, "、");
        named(b, m->name, m->id);
    }
    if (!n) gs__buf_puts(b, "<span class=\"bad\">无网格员</span>");
}

/* patrol's note on a member's row, in Chinese. */
static void note_zh(gs__buf *b, const char *note) {
    static const struct {
        const char *en, *zh;
    } notes[] = {
        {"grid does not exist", "花名册中的网格不存在，不计入统计"},
        {"not in roster", "不在花名册中"},
        {"grid code on several grids: union used",
         "网格编码重复，按同编码网格的合并范围计算"},
    };
    if (!note[0]) return;
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (!strcmp(note, notes[i].en)) {
            gs__buf_printf(b, "<span class=\"note\">%s</span><br>",
                           notes[i].zh);
            return;
        }
    gs__buf_puts(b, "<span class=\"note en\">");
    gs__report_esc(b, note);
    gs__buf_puts(b, "</span><br>");
}

/* ---- the grid standard ------------------------------------------------- */

typedef struct kind_zh {
    const char *kind, *zh, *todo;
} kind_zh;

/* What each of validate's issue kinds is called and what to do about it
 * (the thresholds of the rules are filled in where %d stands). */
static const kind_zh kinds_zh[] = {
    {"undersize", GS__ISSUE_ZH_undersize,
     "与相邻网格合并或调整边界，使户数达到 %d 户以上（gridsmith partition "
     "--existing 可给出最小改动方案）"},
    {"oversize", GS__ISSUE_ZH_oversize,
     "拆分网格或调整边界，使每格不超过 %d 户（gridsmith partition "
     "可沿道路拆分）"},
    {"persons_over", GS__ISSUE_ZH_persons_over,
     "拆分网格或调整边界，使每格人数不超过 %d 人"},
    {"bad_persons", GS__ISSUE_ZH_bad_persons,
     "核实并补录住户人口数（有空值或负数）"},
    {"no_member", GS__ISSUE_ZH_no_member,
     "配备网格员，或更正花名册中填错的网格编码"},
    {"multiple_members", GS__ISSUE_ZH_multiple_members,
     "明确一名专职网格员，其余人员调整到缺员网格"},
    {"member_multiple_grids", GS__ISSUE_ZH_member_multiple_grids,
     "为兼管的网格另行配备网格员"},
    {"member_unknown_grid", GS__ISSUE_ZH_member_unknown_grid,
     "更正花名册中的网格编码"},
    {"invalid_geometry", GS__ISSUE_ZH_invalid_geometry,
     "在 GIS 中修复网格边界（边界自相交）"},
    {"multipart", GS__ISSUE_ZH_multipart,
     "将飞地并入其所在网格，或单独设为网格"},
    {"overlap", GS__ISSUE_ZH_overlap, "调整边界，消除与相邻网格的重叠"},
    {"gap", GS__ISSUE_ZH_gap, "将缝隙划入相邻网格，做到全覆盖、无缝隙"},
    {"community_mismatch", GS__ISSUE_ZH_community_mismatch,
     "核对网格编码与所属社区编码"},
    {"outside_community", GS__ISSUE_ZH_outside_community,
     "将越出社区边界的部分退回社区内"},
    {"duplicate_code", GS__ISSUE_ZH_duplicate_code,
     "为编码重复的网格重新编码，一格一码"},
    {"bad_code", GS__ISSUE_ZH_bad_code,
     "按 15 位网格编码规则（社区编码 + 3 位序号）更正编码"},
    {"orphan_household", GS__ISSUE_ZH_orphan_household,
     "将这些住户所在区域划入网格"},
};

static const kind_zh *kind_of(const char *kind, size_t n) {
    for (size_t i = 0; i < sizeof kinds_zh / sizeof kinds_zh[0]; i++)
        if (strlen(kinds_zh[i].kind) == n &&
            !strncmp(kinds_zh[i].kind, kind, n))
            return &kinds_zh[i];
    return NULL;
}

/* The threshold a kind's advice names. */
static int kind_threshold(const char *kind, const gs_rules *r) {
    if (!strcmp(kind, "undersize")) return r->min_households;
    if (!strcmp(kind, "oversize")) return r->max_households;
    if (!strcmp(kind, "persons_over")) return r->max_persons;
    return 0;
}

/* Each issue kind in the grid's `issues` (kinds separated by ';' or ',')
 * as `what` 0: its Chinese name, 1: what to do, one per line. */
static void issues_cell(gs__buf *b, const char *issues, const gs_rules *rules,
                        int what) {
    const char *p = issues;
    int first = 1;
    while (*p) {
        size_t n = strcspn(p, ";,");
        const kind_zh *k = kind_of(p, n);
        if (n) {
            if (!first) gs__buf_puts(b, "<br>");
            first = 0;
            if (!k) {
                gs__buf_add(b, p, n);
            } else if (!what) {
                gs__buf_printf(b, "%s <span class=\"en\">", k->zh);
                gs__buf_add(b, p, n);
                gs__buf_puts(b, "</span>");
            } else {
                gs__buf_printf(b, k->todo, kind_threshold(k->kind, rules));
            }
        }
        p += n;
        if (*p) p++;
    }
}

/* The table of the grids not to standard. */
static void standard_section(gs__buf *b, const gs__rdata *d,
                             const gs_rules *rules) {
    static const column cols[] = {
        {"网格", "Grid", 1},        {"社区", "Community", 1},
        {"户数", "Households", 0},  {"人数", "Persons", 0},
        {"网格员", "Members", 1},   {"问题", "Problem", 1},
        {"怎么办", "What to do", 1}};
    long n = 0;
    json_object *v, *by, *x;
    gs__buf_printf(b,
                   "<h2 id=\"standard\">网格规范 <span class=\"en\">Grids "
                   "and the standard</span></h2><p class=\"note\">标准：每格 "
                   "%d–%d 户、不超过 %d 人，一格一员，全覆盖、不重叠、编码"
                   "唯一（专属网格不受户数限制）。<span class=\"en\">"
                   "Standard: %d–%d households and at most %d persons a "
                   "grid, one member each, full coverage without overlaps, "
                   "unique codes.</span></p>",
                   rules->min_households, rules->max_households,
                   rules->max_persons, rules->min_households,
                   rules->max_households, rules->max_persons);
    for (size_t i = 0; i < d->ng; i++) {
        const gs__rgrid *g = &d->grids[i];
        const gs__rcomm *c;
        if (!g->violation) continue;
        if (!n++) {
            gs__buf_puts(b, "<div class=\"scroll\">");
            table_head(b, cols, sizeof cols / sizeof cols[0], 1);
        }
        c = comm_of(d, g->community);
        gs__buf_puts(b, "<tr>");
        td(b, &cols[0], "l");
        named(b, g->name, g->code);
        gs__buf_puts(b, "</td>");
        td(b, &cols[1], "l");
        named(b, c ? c->name : "", g->community);
        gs__buf_puts(b, "</td>");
        td(b, &cols[2], NULL);
        if (g->households >= 0)
            gs__buf_printf(b, "%ld", g->households);
        else
            gs__buf_puts(b, "—");
        gs__buf_puts(b, "</td>");
        td(b, &cols[3], NULL);
        if (g->persons >= 0)
            gs__buf_printf(b, "%ld", g->persons);
        else
            gs__buf_puts(b, "—");
        gs__buf_puts(b, "</td>");
        td(b, &cols[4], "l");
        grid_members(b, d, g->code);
        gs__buf_puts(b, "</td>");
        td(b, &cols[5], "l bad");
        issues_cell(b, g->issues, rules, 0);
        gs__buf_puts(b, "</td>");
        td(b, &cols[6], "l");
        issues_cell(b, g->issues, rules, 1);
        gs__buf_puts(b, "</td></tr>");
    }
    if (n)
        gs__buf_printf(b,
                       "</table></div><p>共 <b class=\"bad\">%ld</b> 个网格"
                       "不符合规范（共 %zu 个网格）。<span class=\"en\">%ld "
                       "of %zu grids are not to standard.</span></p>",
                       n, d->ng, n, d->ng);
    else
        gs__buf_puts(b,
                     "<p class=\"ok\">全部网格符合规范。<span class=\"en\">"
                     "Every grid is to standard.</span></p>");
    /* Problems on no grid: households in none, roster rows naming none. */
    if (d->run && json_object_object_get_ex(d->run, "validate", &v) &&
        json_object_object_get_ex(v, "by_kind", &by)) {
        static const char *const none[] = {"orphan_household",
                                           "member_unknown_grid"};
        for (size_t i = 0; i < 2; i++) {
            long k = json_object_object_get_ex(by, none[i], &x)
                         ? (long)json_object_get_int64(x)
                         : 0;
            const kind_zh *z = kind_of(none[i], strlen(none[i]));
            if (!k || !z) continue;
            gs__buf_printf(b,
                           "<p>另有 <b class=\"bad\">%ld</b> 处“%s”："
                           "<span class=\"note\">",
                           k, z->zh);
            gs__buf_printf(b, z->todo, 0);
            gs__buf_puts(b, "</span> <span class=\"en\">");
            gs__report_esc(b, none[i]);
            gs__buf_printf(b, " %ld</span></p>", k);
        }
    }
}

/* ---- overdue events ----------------------------------------------------- */

/* The overdue events of community `c` (NULL: all) as a table; returns how
 * many. */
static long overdue_table(gs__buf *b, const gs__rdata *d, const gs__rcomm *c) {
    static const column cols[] = {
        {"事件", "Event", 1},        {"类别", "Category", 1},
        {"网格", "Grid", 1},         {"社区", "Community", 1},
        {"网格员", "Member", 1},     {"上报日期", "Reported", 1},
        {"办理期限", "Deadline", 1}, {"超期", "Overdue", 0}};
    size_t ncol = sizeof cols / sizeof cols[0];
    long n = 0;
    for (size_t i = 0; i < d->nod; i++) {
        const gs__roverdue *o = &d->od[i];
        const gs__rgrid *g;
        const gs__rcomm *oc;
        if (c && strcmp(o->community, c->code)) continue;
        if (!n++) {
            gs__buf_puts(b, "<div class=\"scroll\">");
            table_head(b, cols, ncol, 1);
        }
        g = o->grid[0] ? grid_of(d, o->grid) : NULL;
        oc = comm_of(d, o->community);
        gs__buf_puts(b, "<tr>");
        td(b, &cols[0], "l");
        gs__report_esc(b, o->event_id);
        gs__buf_puts(b, "</td>");
        td(b, &cols[1], "l");
        gs__report_esc(b, o->category[0] ? o->category : "未分类");
        gs__buf_puts(b, "</td>");
        td(b, &cols[2], "l");
        if (o->grid[0])
            named(b, g ? g->name : "", o->grid);
        else
            gs__buf_puts(b, "不在任何网格内");
        gs__buf_puts(b, "</td>");
        td(b, &cols[3], "l");
        named(b, oc ? oc->name : "", o->community);
        gs__buf_puts(b, "</td>");
        td(b, &cols[4], "l");
        if (o->grid[0])
            grid_members(b, d, o->grid);
        else
            gs__buf_puts(b, "—");
        gs__buf_puts(b, "</td>");
        td(b, &cols[5], "l");
        gs__report_esc(b, o->date);
        gs__buf_puts(b, "</td>");
        td(b, &cols[6], "l");
        gs__report_esc(b, o->deadline);
        gs__buf_printf(b,
                       "<br><span class=\"en\">%d 个工作日内办结</span>"
                       "</td>",
                       o->deadline_workdays);
        td(b, &cols[7], "bad");
        gs__buf_printf(b, "%d 个工作日</td></tr>", o->workdays_overdue);
    }
    if (n) gs__buf_puts(b, "</table></div>");
    return n;
}

/* ---- patrol ----------------------------------------------------------- */

static void tally_cells(gs__buf *b, const gs__rtally *t) {
    gs__buf_printf(
        b,
        "<td data-l=\"网格员（人次）\">%ld</td><td data-l=\"达标\"%s>%ld"
        "</td><td data-l=\"达标率\">",
        t->members,
        t->members && t->compliant == t->members ? " class=\"ok\"" : "",
        t->compliant);
    pct(b, t->compliant, t->members);
    gs__buf_puts(b, "</td><td data-l=\"人均周巡查（小时）\">");
    if (t->members)
        gs__buf_printf(b, "%.1f", t->hours_s / 3600.0 / t->members);
    else
        gs__buf_puts(b, "—");
    gs__buf_puts(b, "</td><td data-l=\"平均覆盖率\">");
    if (t->n_cov)
        gs__buf_printf(b, "%.1f%%", t->cov / t->n_cov);
    else
        gs__buf_puts(b, "—");
    gs__buf_printf(b, "</td><td data-l=\"未达标\"%s>%ld</td>",
                   t->members - t->compliant > 0 ? " class=\"bad\"" : "",
                   t->members - t->compliant);
}

static void tally_head(gs__buf *b, const char *zh, const char *en) {
    const column cols[] = {{zh, en, 1},
                           {"网格员（人次）", "Members", 0},
                           {"达标", "Compliant", 0},
                           {"达标率", "Compliant share", 0},
                           {"人均周巡查时长（小时）", "Mean hours a week", 0},
                           {"平均覆盖率", "Mean coverage", 0},
                           {"未达标", "Below standard", 0}};
    gs__buf_puts(b, "<div class=\"scroll\">");
    table_head(b, cols, sizeof cols / sizeof cols[0], 1);
}

static void missed_days(gs__buf *b, const gs__rdata *d, unsigned mask) {
    int first = 1;
    for (int k = 0; k < 7; k++) {
        int y, mo, dd;
        if (!(mask & (1u << k))) continue;
        gs__civil_from_days(d->monday + k, &y, &mo, &dd);
        gs__buf_printf(b, "%s%d月%d日%s", first ? "" : "、", mo, dd,
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
                                  {"本周巡查（小时）", "Hours this week", 0},
                                  {"达标工作日", "Workdays met", 0},
                                  {"未达标的工作日", "Workdays missed", 1},
                                  {"覆盖率", "Coverage", 0},
                                  {"原因", "Reason", 1}};
    double dh = rules->daily_min_s / 3600.0, wh = rules->weekly_min_s / 3600.0;
    long n = 0;
    for (size_t i = c->m0; i < c->m1; i++) {
        const gs__rmember *m = &d->mem[i];
        if (m->compliant && m->has_grid) continue;
        if (!n++) {
            gs__buf_puts(b, "<div class=\"scroll\">");
            table_head(b, cols, sizeof cols / sizeof cols[0], 1);
        }
        gs__buf_puts(b, "<tr>");
        td(b, &cols[0], "l");
        gs__buf_puts(b, "<b>");
        named(b, m->name, m->id);
        gs__buf_puts(b, "</b></td>");
        td(b, &cols[1], "l");
        named(b, m->grid_name, m->grid);
        gs__buf_puts(b, "</td>");
        td(b, &cols[2], m->weekly_ok ? NULL : "bad");
        gs__buf_printf(b, "%.1f</td>", m->hours);
        td(b, &cols[3], NULL);
        gs__buf_printf(b, "%d / %d</td>", m->workdays_ok, m->workdays);
        td(b, &cols[4], "l");
        missed_days(b, d, m->missed);
        gs__buf_puts(b, "</td>");
        td(b, &cols[5], NULL);
        if (isnan(m->cov))
            gs__buf_puts(b, "—");
        else
            gs__buf_printf(b, "%.1f%%", m->cov);
        gs__buf_puts(b, "</td>");
        td(b, &cols[6], "l");
        note_zh(b, m->note);
        if (!m->weekly_ok)
            gs__buf_printf(b, "本周在网格内巡查不足 %g 小时<br>", wh);
        if (m->workdays_ok < m->workdays)
            gs__buf_printf(b, "%d 个工作日巡查不足 %g 小时<br>",
                           m->workdays - m->workdays_ok, dh);
        gs__buf_puts(b, "</td></tr>");
    }
    if (n)
        gs__buf_puts(b, "</table></div>");
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

/* The member x day table of a street: hours in the grid each day,
 * coloured by the daily rule on workdays. */
static void days_table(gs__buf *b, const gs__rdata *d, const gs__rstreet *s,
                       const gs_rules *rules) {
    size_t m0 = d->comm[s->c0].m0, m1 = d->comm[s->c1 - 1].m1;
    double dh = rules->daily_min_s / 3600.0;
    if (m0 == m1) return;
    gs__buf_printf(b,
                   "<h3>每日巡查时长（小时） <span class=\"en\">Hours in "
                   "the grid each day</span></h3><p class=\"note\">"
                   "绿色：工作日达到 %g 小时；红色：工作日不足 %g 小时；"
                   "灰色：休息日。<span class=\"en\">Green: a workday of %g "
                   "h or more; red: a workday under %g h; grey: a day "
                   "off.</span></p><div class=\"scroll\"><table><tr>",
                   dh, dh, dh, dh);
    th(b, "网格员", "Member", 1);
    for (int k = 0; k < 7; k++) {
        int y, mo, dd;
        gs__civil_from_days(d->monday + k, &y, &mo, &dd);
        gs__buf_printf(b, "<th>%s<span class=\"en\">%d/%d</span></th>",
                       weekday_zh[k], mo, dd);
    }
    th(b, "合计", "Week", 0);
    gs__buf_puts(b, "</tr>");
    for (size_t i = m0; i < m1; i++) {
        const gs__rmember *m = &d->mem[i];
        gs__buf_puts(b, "<tr><td class=\"l\">");
        named(b, m->name, m->id);
        if (gs__report_member_twice(d, m0, m1, i)) {
            gs__buf_puts(b, "<br><small>");
            gs__report_esc(
                b, m->grid_name && m->grid_name[0] ? m->grid_name : m->grid);
            gs__buf_puts(b, "</small>");
        }
        gs__buf_puts(b, "</td>");
        for (int k = 0; k < 7; k++) {
            int wd = (m->workday_mask >> k) & 1, seen = (m->days_seen >> k) & 1;
            const char *cls = !seen                  ? "d"
                              : !wd                  ? "d doff"
                              : (m->missed >> k) & 1 ? "d dbad"
                                                     : "d dok";
            gs__buf_printf(b, "<td class=\"%s\">", cls);
            if (seen && (wd || m->day_h[k] > 0))
                gs__buf_printf(b, "%.1f", m->day_h[k]);
            else
                gs__buf_puts(b, "—");
            gs__buf_puts(b, "</td>");
        }
        gs__buf_printf(b, "<td%s>%.1f</td></tr>",
                       m->weekly_ok ? "" : " class=\"bad\"", m->hours);
    }
    gs__buf_puts(b, "</table></div>");
}

/* ---- events ------------------------------------------------------------- */

/* A small bar chart in a table cell: the backlog at the end of each of
 * the trend's weeks, its overdue part in red, the numbers in its title. */
static void backlog_spark(gs__buf *b, const gs__rdata *d,
                          const gs__rbacklog *bl) {
    long most = 1;
    for (int k = d->k0; k < NT; k++)
        if (bl[k].open > most) most = bl[k].open;
    gs__buf_printf(b,
                   "<svg class=\"spark\" viewBox=\"0 0 %d 22\" width=\"%d\" "
                   "height=\"22\" role=\"img\" aria-label=\"积压趋势\">"
                   "<title>",
                   (NT - d->k0) * 9, (NT - d->k0) * 9);
    for (int k = d->k0; k < NT; k++)
        if (bl[k].has)
            gs__buf_printf(b, "%s %ld（超期 %ld）；", d->weeks[k] + 5,
                           bl[k].open, bl[k].overdue);
    gs__buf_puts(b, "</title>");
    for (int k = d->k0; k < NT; k++) {
        double ho = 20.0 * (double)bl[k].open / (double)most;
        double hd = 20.0 * (double)bl[k].overdue / (double)most;
        if (!bl[k].has) continue;
        gs__buf_printf(b,
                       "<rect x=\"%d\" y=\"%.1f\" width=\"7\" "
                       "height=\"%.1f\" fill=\"#9ecae1\"/><rect x=\"%d\" "
                       "y=\"%.1f\" width=\"7\" height=\"%.1f\" "
                       "fill=\"#d6604d\"/>",
                       (k - d->k0) * 9, 21 - ho, ho - hd, (k - d->k0) * 9,
                       21 - hd, hd);
    }
    gs__buf_puts(b, "</svg>");
}

/* The events table of a street's communities: this week's reported,
 * resolved and self-resolved, and the backlog at the week's end against
 * the week before, with its trend. */
static void events_table(gs__buf *b, const gs__rdata *d, const gs__rstreet *s) {
    static const column cols[] = {{"社区", "Community", 1},
                                  {"本周上报", "Reported", 0},
                                  {"本周办结", "Resolved", 0},
                                  {"其中自办自结", "Self-resolved", 0},
                                  {"周末未办结", "Open at week's end", 0},
                                  {"其中超期", "Overdue", 0},
                                  {"较上周", "Open vs last week", 0},
                                  {"积压趋势", "Backlog by week", 1}};
    gs__buf_puts(b, "<div class=\"scroll\">");
    table_head(b, cols, sizeof cols / sizeof cols[0], 1);
    for (size_t i = s->c0; i <= s->c1; i++) {
        const gs__rbacklog *bl = i < s->c1 ? d->comm[i].bl : s->bl;
        const gs__rbacklog *now = &bl[NT - 1], *prev = &bl[NT - 2];
        gs__buf_puts(b, i < s->c1 ? "<tr><td class=\"l\">"
                                  : "<tr class=\"total\"><td class=\"l\">");
        if (i < s->c1)
            community_title(b, &d->comm[i]);
        else
            gs__buf_puts(b, "街道合计 <span class=\"en\">street total</span>");
        gs__buf_printf(b,
                       "</td><td data-l=\"本周上报\">%ld</td><td "
                       "data-l=\"本周办结\">%ld</td><td data-l=\"其中自办"
                       "自结\">%ld</td><td data-l=\"周末未办结\">%ld</td>"
                       "<td data-l=\"其中超期\"%s>%ld</td><td "
                       "data-l=\"较上周\">",
                       now->reported, now->resolved, now->self_resolved,
                       now->open, now->overdue ? " class=\"bad\"" : "",
                       now->overdue);
        if (prev->has)
            gs__buf_printf(b, "%+ld", now->open - prev->open);
        else
            gs__buf_puts(b, "—");
        gs__buf_puts(b, "</td><td data-l=\"积压趋势\" class=\"l\">");
        backlog_spark(b, d, bl);
        gs__buf_puts(b, "</td></tr>");
    }
    gs__buf_puts(b, "</table></div>");
}

/* A community's events by category and week: a row per category it had
 * in the trend's weeks, a column per week, this week's in bold. */
static void categories_table(gs__buf *b, const gs__rdata *d, const long *cat) {
    int any = 0;
    if (!cat || !d->ncat) return;
    for (size_t c = 0; c < d->ncat * NT; c++) any |= cat[c] > 0;
    if (!any) return;
    gs__buf_puts(b,
                 "<h4>各类事件（按周） <span class=\"en\">events by "
                 "category and week</span></h4><div class=\"scroll\">"
                 "<table><tr>");
    th(b, "类别", "Category", 1);
    for (int k = d->k0; k < NT; k++)
        gs__buf_printf(b, "<th>%s</th>", d->weeks[k] + 5);
    gs__buf_puts(b, "</tr>");
    for (size_t c = 0; c < d->ncat; c++) {
        long tot = 0;
        for (int k = d->k0; k < NT; k++) tot += cat[k * d->ncat + c];
        if (!tot) continue;
        gs__buf_printf(b,
                       "<tr><td class=\"l\"><i style=\"display:inline-block;"
                       "width:10px;height:10px;background:%s\"></i> ",
                       gs__report_cat_color(c));
        gs__report_esc(b, d->cats[c]);
        gs__buf_puts(b, "</td>");
        for (int k = d->k0; k < NT; k++)
            if (!d->all_bl[k].has && !cat[k * d->ncat + c])
                gs__buf_puts(b, "<td>—</td>"); /* a week not recorded */
            else
                gs__buf_printf(
                    b, k == NT - 1 ? "<td><b>%ld</b></td>" : "<td>%ld</td>",
                    cat[k * d->ncat + c]);
        gs__buf_puts(b, "</tr>");
    }
    gs__buf_puts(b, "</table></div>");
}

/* This week's events of a community by category, one line. */
static void categories_line(gs__buf *b, const gs__rdata *d, const long *cat) {
    int n = 0;
    if (!cat || !d->ncat) return;
    gs__buf_puts(b,
                 "<p>本周各类事件 <span class=\"en\">events this week by "
                 "category</span>：");
    for (size_t c = 0; c < d->ncat; c++) {
        long k = cat[(NT - 1) * d->ncat + c];
        if (!k) continue;
        if (n++) gs__buf_puts(b, "；");
        gs__buf_printf(b,
                       "<i style=\"display:inline-block;width:10px;"
                       "height:10px;background:%s\"></i> ",
                       gs__report_cat_color(c));
        gs__report_esc(b, d->cats[c]);
        gs__buf_printf(b, " %ld 件", k);
    }
    if (!n) gs__buf_puts(b, "无");
    gs__buf_puts(b, "</p>");
}

/* Why the hot spot map shows hexagons, in plain Chinese. */
static void hot_note(gs__buf *b, const gs__rdata *d, const gs_rules *rules) {
    json_object *h, *g, *x;
    long ng = (long)d->ng, hot = 0, rising = 0;
    const char *note = "";
    if (gs__report_grid_gi(d)) {
        gs__buf_puts(b,
                     "<p class=\"note\">按网格计算热点（Getis-Ord Gi*，"
                     "经多重检验校正）。<span class=\"en\">Hot spots of the "
                     "grids (Gi*, FDR-corrected).</span></p>");
        return;
    }
    if (d->run && json_object_object_get_ex(d->run, "hotspots", &h) &&
        json_object_object_get_ex(h, "grid_gi", &g)) {
        if (json_object_object_get_ex(g, "grids", &x))
            ng = (long)json_object_get_int64(x);
        if (json_object_object_get_ex(g, "note", &x) && x)
            note = json_object_get_string(x);
    }
    for (size_t i = 0; i < d->nhex; i++)
        hot += d->hex[i].has_gi && d->hex[i].gi_bin >= 2;
    for (size_t i = 0; i < d->ng; i++) rising += d->grids[i].rising;
    gs__buf_puts(b, "<p class=\"note\">");
    if (!strncmp(note, "no events", 9))
        gs__buf_puts(b, "本周没有上报事件，网格热点无从计算。");
    else if (ng < rules->min_units)
        gs__buf_printf(b,
                       "本辖区只有 %ld 个网格，少于按网格计算热点（Gi*）"
                       "所需的 %d 个，结果不可靠，所以不按网格计算。",
                       ng, rules->min_units);
    else
        gs__buf_puts(b, "各网格的事件密度相同，按网格计算热点没有意义。");
    gs__buf_printf(b,
                   "地图改为显示约 %g 米大小的六边形热点（本周 %ld 个，红色）"
                   "、连续多周为热点的位置（深红边框）、事件逐周上升的网格"
                   "（紫色边框，%ld 个）和超期未办结事件（橙点）。<span "
                   "class=\"en\">Grid Gi* is not computed (",
                   rules->hex_size_m, hot, rising);
    gs__report_esc(b, note[0] ? note : "too few grids");
    gs__buf_puts(b,
                 "); the map shows the hexagon hot spots, emerging hot "
                 "spots, rising grids and overdue events instead.</span></p>");
}

/* ---- sections ----------------------------------------------------------- */

static void trend_charts(gs__buf *b, const gs__rdata *d, const gs__rtally *t,
                         const gs__rbacklog *bl, const long *cat,
                         const gs_rules *rules) {
    gs__buf_puts(b, "<div class=\"charts\">");
    if (d->have_patrol) {
        gs__buf_puts(b,
                     "<figure><figcaption>巡查达标率 <span class=\"en\">"
                     "compliant share</span></figcaption>");
        gs__report_share_svg(b, d, t);
        gs__buf_puts(b,
                     "</figure><figure><figcaption>人均周巡查时长 "
                     "<span class=\"en\">mean hours a week</span>"
                     "</figcaption>");
        gs__report_hours_svg(b, d, t, rules->weekly_min_s / 3600.0);
        gs__buf_puts(b, "</figure>");
    }
    if (d->have_backlog) {
        gs__buf_puts(b,
                     "<figure><figcaption>事件积压（每周末未办结） "
                     "<span class=\"en\">backlog</span></figcaption>");
        gs__report_backlog_svg(b, d, bl);
        gs__buf_puts(b, "</figure>");
    }
    if (d->ncat) {
        gs__buf_puts(b,
                     "<figure><figcaption>每周上报事件（按类别） "
                     "<span class=\"en\">events by category</span>"
                     "</figcaption>");
        gs__report_categories_svg(b, d, cat);
        gs__buf_puts(b, "</figure>");
    }
    gs__buf_puts(b, "</div>");
}

static const char *const no_hotspots =
    "<p class=\"note\">本周未运行事件分析，没有事件数据。<span class=\"en\">"
    "Hotspots were not run this week: no event data.</span></p>";

static int street_section(gs__buf *b, gs__rdata *d, const gs__rstreet *s,
                          const gs_rules *rules) {
    size_t g0 = d->comm[s->c0].g0, g1 = d->comm[s->c1 - 1].g1;
    size_t m0 = d->comm[s->c0].m0, m1 = d->comm[s->c1 - 1].m1;
    gs__mapview v;
    int rc;
    gs__buf_puts(b, "<section class=\"street\" id=\"s");
    gs__report_esc(b, s->code);
    gs__buf_puts(b, "\"><h2>");
    street_title(b, s);
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
                     "<span class=\"en\">street total</span></td>");
        tally_cells(b, &s->now);
        gs__buf_puts(b, "</tr></table></div>");
    }
    if (d->have_backlog) {
        gs__buf_puts(b,
                     "<h3>事件办理情况 <span class=\"en\">Events and "
                     "backlog</span></h3>");
        events_table(b, d, s);
    }
    if (gs__report_map_view(d, g0, g1, &v)) {
        if ((rc = gs__report_map_paths(d, s, &v))) return rc;
        gs__buf_puts(b,
                     "<div class=\"maps\"><figure><figcaption>巡查覆盖率"
                     " <span class=\"en\">patrol coverage</span>"
                     "</figcaption>");
        gs__report_map_svg(b, d, s, &v, 0, "巡查覆盖率 patrol coverage");
        gs__buf_puts(b,
                     "</figure><figure><figcaption>事件热点 <span "
                     "class=\"en\">event hot spots</span></figcaption>");
        if (d->have_events) {
            gs__report_map_svg(b, d, s, &v, 1, "事件热点 event hot spots");
            hot_note(b, d, rules);
        } else {
            gs__buf_puts(b, no_hotspots);
        }
        gs__buf_puts(b, "</figure></div>");
    }
    if (d->have_patrol && m1 > m0) {
        gs__buf_puts(b,
                     "<h3>网格员本周巡查时长 <span class=\"en\">Each "
                     "member's hours this week</span></h3>");
        gs__report_member_hours_svg(b, d, m0, m1, rules->weekly_min_s / 3600.0);
        days_table(b, d, s, rules);
    }
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Recent weeks</span>"
                 "</h3>");
    trend_charts(b, d, s->trend, s->bl, s->cat, rules);
    for (size_t i = s->c0; i < s->c1; i++) {
        const gs__rcomm *c = &d->comm[i];
        long n;
        gs__buf_puts(b, "<h3>");
        community_title(b, c);
        gs__buf_puts(b, "</h3>");
        if (d->have_patrol) {
            gs__buf_puts(b,
                         "<h4>未达标网格员 <span class=\"en\">Members "
                         "below standard</span></h4>");
            below_table(b, d, c, rules);
        }
        if (d->have_events && d->have_backlog) {
            categories_line(b, d, c->cat);
            categories_table(b, d, c->cat);
            gs__buf_puts(b,
                         "<h4>超期未办结事件 <span class=\"en\">Overdue "
                         "events</span></h4>");
            n = overdue_table(b, d, c);
            if (!n)
                gs__buf_puts(b,
                             "<p class=\"ok\">无超期未办结事件。<span "
                             "class=\"en\">No overdue events.</span></p>");
        }
    }
    gs__buf_puts(b, "</section>");
    return GS_OK;
}

/* The six figures of the week and what to act on. */
static void highlights(gs__buf *b, const gs__rdata *d, const gs_rules *rules) {
    long below = d->all.members - d->all.compliant, unplaced = 0, bad = 0;
    long hot = 0, rising = 0, emerging = 0;
    const gs__rbacklog *bl = &d->all_bl[NT - 1];
    for (size_t i = 0; i < d->nm; i++) unplaced += !d->mem[i].has_grid;
    for (size_t i = 0; i < d->ng; i++) {
        bad += d->grids[i].violation;
        rising += d->grids[i].rising;
    }
    for (size_t i = 0; i < d->nhex; i++) {
        hot += d->hex[i].has_gi && d->hex[i].gi_bin >= 2;
        emerging += strstr(d->hex[i].cls, "hot_spot") != NULL;
    }
    gs__buf_puts(b,
                 "<h2>本周要点 <span class=\"en\">The week at a glance"
                 "</span></h2><div class=\"cards\">");
    if (d->have_patrol) {
        gs__buf_printf(b,
                       "<div class=\"card\">巡查达标 <span class=\"en\">"
                       "compliant</span><b>%ld / %ld 人次</b><small>达标率 ",
                       d->all.compliant, d->all.members);
        pct(b, d->all.compliant, d->all.members);
        gs__buf_printf(b,
                       "（按网格计，兼管两格计两次）</small></div><div "
                       "class=\"card%s\">未达标 <span class=\"en\">below "
                       "standard</span><b class=\"%s\">%ld 人次</b><small>",
                       below ? " alert" : "", below ? "bad" : "ok", below);
        if (unplaced)
            gs__buf_printf(b, "另有 %ld 人的网格不存在", unplaced);
        else
            gs__buf_printf(b, "每个工作日 %g 小时、每周 %g 小时",
                           rules->daily_min_s / 3600.0,
                           rules->weekly_min_s / 3600.0);
        gs__buf_puts(b, "</small></div>");
    }
    if (d->have_backlog) {
        gs__buf_printf(b,
                       "<div class=\"card%s\">超期 <span class=\"en\">"
                       "overdue</span><b class=\"%s\"><span "
                       "id=\"overdue-total\">%ld</span> 件</b><small>周末"
                       "未办结 %ld 件（积压）</small></div>",
                       bl->overdue ? " alert" : "", bl->overdue ? "bad" : "ok",
                       bl->overdue, bl->open);
        gs__buf_printf(b,
                       "<div class=\"card\">本周上报 <span class=\"en\">"
                       "reported</span><b>%ld 件</b><small>本周办结 %ld 件，"
                       "其中自办自结 %ld 件</small></div>",
                       bl->reported, bl->resolved, bl->self_resolved);
    }
    gs__buf_printf(b,
                   "<div class=\"card%s\">不合规网格 <span class=\"en\">"
                   "grids not to standard</span><b%s>%ld / %zu</b><small>"
                   "见“网格规范”</small></div>",
                   bad ? " alert" : "", bad ? " class=\"bad\"" : "", bad,
                   d->ng);
    if (d->have_events)
        gs__buf_printf(b,
                       "<div class=\"card\">事件热点 <span class=\"en\">hot "
                       "spots</span><b>%ld 处</b><small>事件上升网格 %ld 个"
                       "</small></div>",
                       hot, rising);
    gs__buf_puts(b,
                 "</div><h3>需要处理 <span class=\"en\">To act on</span>"
                 "</h3><ul class=\"todo\">");
    if (d->have_patrol && (below || unplaced)) {
        int n = 0;
        gs__buf_puts(b, "<li>本周未达标的网格员：");
        for (size_t i = 0; i < d->nm; i++) {
            const gs__rmember *m = &d->mem[i];
            int seen = 0;
            if (m->compliant && m->has_grid) continue;
            /* A member on two grids is named once. */
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(d->mem[j].id, m->id) &&
                       !(d->mem[j].compliant && d->mem[j].has_grid);
            if (seen) continue;
            if (n++) gs__buf_puts(b, "、");
            gs__buf_puts(b, "<b>");
            named(b, m->name, m->id);
            gs__buf_puts(b, "</b>");
        }
        gs__buf_printf(b, "，共 %d 人（详见各街道）</li>", n);
    }
    if (d->have_backlog && bl->overdue) {
        int most = 0;
        for (size_t i = 0; i < d->nod; i++)
            if (d->od[i].workdays_overdue > most)
                most = d->od[i].workdays_overdue;
        gs__buf_printf(b,
                       "<li><a href=\"#overdue\"><b class=\"bad\">%ld</b> "
                       "件事件超期未办结</a>，最长已超期 %d 个工作日；周末"
                       "共 %ld 件未办结",
                       bl->overdue, most, bl->open);
        if (d->all_bl[NT - 2].has)
            gs__buf_printf(b, "，比上周%s %ld 件",
                           bl->open >= d->all_bl[NT - 2].open ? "多" : "少",
                           labs(bl->open - d->all_bl[NT - 2].open));
        gs__buf_puts(b, "</li>");
    }
    if (bad)
        gs__buf_printf(b,
                       "<li><a href=\"#standard\"><b class=\"bad\">%ld</b> "
                       "个网格不符合规范</a>，每项问题都列出了处理办法</li>",
                       bad);
    if (d->have_events && (emerging || rising)) {
        int n = 0;
        gs__buf_puts(b, "<li>事件持续集中：");
        if (emerging) gs__buf_printf(b, "%ld 处连续多周为热点", emerging);
        for (size_t i = 0; i < d->ng; i++) {
            const gs__rgrid *g = &d->grids[i];
            if (!g->rising) continue;
            gs__buf_puts(b, n++ ? "、"
                                : (emerging ? "；事件逐周上升的网格："
                                            : "事件逐周上升的网格："));
            named(b, g->name, g->code);
        }
        gs__buf_puts(b, "</li>");
    }
    gs__buf_puts(b, "</ul>");
}

/* The table of streets. */
static void streets_table(gs__buf *b, const gs__rdata *d) {
    tally_head(b, "街道", "Street");
    for (size_t i = 0; i < d->ns; i++) {
        gs__buf_puts(b, "<tr><td class=\"l\"><a href=\"#s");
        gs__report_esc(b, d->st[i].code);
        gs__buf_puts(b, "\">");
        street_title(b, &d->st[i]);
        gs__buf_puts(b, "</a></td>");
        tally_cells(b, &d->st[i].now);
        gs__buf_puts(b, "</tr>");
    }
    gs__buf_puts(b,
                 "<tr class=\"total\"><td class=\"l\">合计 <span "
                 "class=\"en\">total</span></td>");
    tally_cells(b, &d->all);
    gs__buf_puts(b, "</tr></table></div>");
}

int gs__report_page(gs__buf *b, gs__rdata *d, const gs_rules *rules,
                    const char *ledger, const char *now) {
    char sunday[11], monday[11], *copy;
    int y0, m0, d0, y1, m1, d1, rc;
    gs__date_format(d->monday, monday);
    gs__date_format(d->monday + 6, sunday);
    gs__civil_from_days(d->monday, &y0, &m0, &d0);
    gs__civil_from_days(d->monday + 6, &y1, &m1, &d1);
    gs__buf_printf(b,
                   "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta "
                   "charset=\"utf-8\"><meta name=\"viewport\" "
                   "content=\"width=device-width,initial-scale=1\"><title>"
                   "网格化服务管理周报 %s</title><style>%s</style></head>"
                   "<body><main><h1>网格化服务管理周报 <span class=\"en\">"
                   "Weekly grid management report</span></h1>"
                   "<p class=\"sub\">%.4s 年第 %s 周（%d 月 %d 日至 %d 月 %d "
                   "日） <span class=\"en\">week %s, %s to %s</span></p>",
                   d->week, css, d->week, d->week + 6, m0, d0, m1, d1, d->week,
                   monday, sunday);
    gs__buf_printf(b,
                   "<p class=\"note\">巡查标准：每个工作日在本网格巡查不少于 "
                   "%g 小时，每周不少于 %g 小时（网格边界外 %g 米内计入）。"
                   "覆盖率：本周巡查轨迹 %g 米范围内的网格面积占比。超期：到"
                   "周末仍未办结、已过办理期限（按工作日计）的事件，不论哪周"
                   "上报。<br><span class=\"en\">Standard: at least %g h in "
                   "one's own grid every workday and %g h a week (counting "
                   "%g m beyond the edge). Coverage: the share of the grid "
                   "within %g m of the week's tracks. Overdue: open at the "
                   "week's end past its deadline in working days, whenever "
                   "reported.</span></p>",
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m,
                   rules->daily_min_s / 3600.0, rules->weekly_min_s / 3600.0,
                   rules->tolerance_m, rules->coverage_m);
    highlights(b, d, rules);

    gs__buf_puts(b, "<h2>总览 <span class=\"en\">Overview</span></h2>");
    if (d->have_patrol)
        streets_table(b, d);
    else
        gs__buf_puts(b,
                     "<p class=\"note\">本周台账中没有巡查记录（作业未提供 "
                     "GPS 轨迹）。<span class=\"en\">No patrol verification "
                     "this week (no GPS traces in the job).</span></p>");
    if (!d->have_events) gs__buf_puts(b, no_hotspots);
    gs__buf_puts(b,
                 "<h3>近期趋势 <span class=\"en\">Recent weeks</span>"
                 "</h3>");
    trend_charts(b, d, d->all_trend, d->all_bl, d->all_cat, rules);

    if (d->have_events && !d->have_backlog) {
        gs__buf_puts(
            b,
            "<h2 id=\"overdue\">超期未办结事件 <span class=\"en\">"
            "Overdue events</span></h2><p class=\"note\">这一周的"
            "台账由旧版 gridsmith 记录，没有事件积压和超期事件清单；"
            "用 gridsmith run 重新运行该周即可补上。<span class=\"en\">"
            "This week was recorded by an older gridsmith without "
            "the backlog and the overdue list: run the week again "
            "to add them.</span></p>");
    } else if (d->have_events) {
        long n;
        gs__buf_printf(b,
                       "<h2 id=\"overdue\">超期未办结事件 <span "
                       "class=\"en\">Overdue events</span></h2><p>截至 %d 月 "
                       "%d 日周末，超期未办结事件共 <b class=\"bad\">%zu</b> "
                       "件（按超期工作日从多到少）。<span class=\"en\">%zu "
                       "events open past their deadline at the week's end, "
                       "most overdue first.</span></p>",
                       m1, d1, d->nod, d->nod);
        n = overdue_table(b, d, NULL);
        if (!n)
            gs__buf_puts(b,
                         "<p class=\"ok\">无超期未办结事件。<span "
                         "class=\"en\">No overdue events.</span></p>");
    }
    standard_section(b, d, rules);

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
