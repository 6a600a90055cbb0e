/*
 * report_html.h - the weekly HTML report's parts (internal).
 *
 * `gridsmith report` (report_run.c) reads a week of the ledger into a
 * gs__rdata and groups it by street and community (report_read.c), then
 * prints the page (report_page.c) with its maps and charts as inline SVG
 * (report_svg.c).
 */
#ifndef GS_REPORT_HTML_H
#define GS_REPORT_HTML_H

#include <json-c/json.h>
#include <ogr_api.h>
#include <stdint.h>

#include "ctx.h"
#include "ledger.h"

/* Earlier weeks the trend reaches back to (the chart shows these plus the
 * report's week). */
#define TREND_BACK 8
#define NT (TREND_BACK + 1)
/* Hard maximum of rows read from one table: far above a province shard's
 * 25,000 grids and members, far below what would exhaust memory. */
#define MAX_ROWS 2000000
/* The largest map drawn, in CSS pixels (two fit side by side). */
#define MAP_W 520
#define MAP_H 440
#define MAP_PAD 8
/* The page's hard maximum: a city's report is a few megabytes. */
#define MAX_PAGE ((size_t)256 << 20)
/* Radians per degree (M_PI is not ISO C). */
#define DEG (3.14159265358979323846 / 180.0)

/* Categories drawn in the charts; more are summed as 其余类别. */
#define MAX_CATS 10

/* The event backlog of a set of grids in a week (grid_backlog). */
typedef struct gs__rbacklog {
    long reported, resolved, self_resolved, unknown, open, overdue;
    int has; /* the week has grid_backlog rows */
} gs__rbacklog;

/* A grid of the week (grid_status), with what the maps need. */
typedef struct gs__rgrid {
    const char *code, *community, *name, *issues;
    int violation;            /* status is "violation" */
    long households, persons; /* -1 when not in the ledger */
    gs__rbacklog bl;          /* its backlog this week */
    int rising;               /* a rising grid this week (trouble_spots) */
    const char *rising_detail;
    OGRGeometryH geom; /* owned; MultiPolygon or NULL */
    OGREnvelope env;
    double cov;         /* best coverage_pct of its members; NAN: none */
    long members;       /* roster members (validate's count) */
    int gi_bin, has_gi; /* hotspot bin -3..3 when has_gi */
    long events, open, overdue, self_resolved;
    int has_ev;
    const char *path; /* SVG path of the street's map, or NULL */
    int lx, ly, lok;  /* label position on that map */
} gs__rgrid;

/* A member on a grid in the week (member_week). */
typedef struct gs__rmember {
    const char *id, *name, *grid, *community, *note, *grid_name;
    double day_h[7];       /* hours in the grid each day (member_day) */
    unsigned workday_mask; /* bit k: day k is a workday */
    unsigned days_seen;    /* bit k: day k has a member_day row */
    double hours, cov;     /* cov NAN when null */
    int workdays, workdays_ok, weekly_ok, compliant, has_grid;
    unsigned missed; /* bit k: day k of the week (Monday 0) missed */
} gs__rmember;

/* Counts for one set of member rows (a community, street, week...). */
typedef struct gs__rtally {
    long members, compliant, n_cov;
    double hours_s, cov;
} gs__rtally;

/* A community: its grids and members, and its tallies. */
typedef struct gs__rcomm {
    const char *code, *name, *street_name;
    char street[16];
    gs__rtally now;
    gs__rbacklog bl[NT]; /* the backlog of its grids, week by week */
    long *cat;           /* events per week and category: cat[k * ncat + c] */
    size_t g0, g1;       /* its grids: grids[g0..g1) */
    size_t m0, m1;       /* its members: mem[m0..m1) */
    const char *outline; /* SVG path of its grids' union, or NULL */
    int lx, ly;          /* its label on the map */
} gs__rcomm;

/* A street (the first 9 digits of community_code). */
typedef struct gs__rstreet {
    char code[16];
    const char *name; /* from the communities' street_name, or "" */
    size_t c0, c1;    /* its communities: comm[c0..c1) */
    gs__rtally now, trend[NT];
    gs__rbacklog bl[NT];
    long *cat; /* as gs__rcomm's */
} gs__rstreet;

/* An overdue event of the week (trouble_spots, kind overdue). */
typedef struct gs__roverdue {
    const char *event_id, *category, *grid, *community, *date, *deadline;
    int workdays_overdue, deadline_workdays;
    double x, y; /* its point in the ledger's CRS; NAN without one */
} gs__roverdue;

/* A hexagon of the week (hex_hotspots, with its emerging class). */
typedef struct gs__rhex {
    const char *id, *community, *cls;
    OGRGeometryH geom; /* owned */
    OGREnvelope env;
    int gi_bin, has_gi;
    long events;
} gs__rhex;

/* Everything the page shows, read and grouped (report_read.c). */
typedef struct gs__rdata {
    gs_ctx *ctx;
    gs__arena a;
    int nomem; /* sticky: an arena copy failed */
    gs__rgrid *grids;
    size_t ng, cap_g;
    gs__rgrid **by_code; /* grids sorted by code, for lookups */
    gs__rmember *mem;
    size_t nm, cap_m;
    gs__rcomm *comm;
    size_t nc;
    gs__rstreet *st;
    size_t ns;
    gs__rtally all, all_trend[NT];
    int have_patrol, have_events, have_backlog, geographic;
    int32_t monday;
    char week[16], weeks[NT][16];
    /* the trend's first week in the ledger: the charts and tables of the
     * trend start there, not with weeks before the ledger's first */
    int k0;
    json_object *names;   /* community_code -> name, or NULL */
    json_object *streets; /* street code -> street name, or NULL */
    json_object *run;     /* the week's last run, or NULL */
    gs__rbacklog all_bl[NT];
    /* overdue events of the week, most working days overdue first */
    gs__roverdue *od;
    size_t nod, cap_od;
    /* hexagons of the week */
    gs__rhex *hex;
    size_t nhex, cap_hex;
    /* categories of the trend's weeks, most events first (at most
     * MAX_CATS, the last then 其余类别), and their counts per week */
    const char *cats[MAX_CATS];
    size_t ncat;
    long *all_cat;        /* [k * ncat + c] */
    long *cat_store;      /* the communities' and streets' counts */
    long grid_kinds_none; /* validate issues on no grid, from the run */
} gs__rdata;

/* Where a street's map is drawn: the grids' coordinates scaled into the
 * SVG viewBox with y flipped. */
typedef struct gs__mapview {
    double minx, maxy, kx, s;
    int w, h;
} gs__mapview;

/* ---- report_read.c ---------------------------------------------------- */

/* Reads week d->week (d->monday, d->weeks set) of the ledger into d and
 * groups it: grids, members, missed workdays, events, community names,
 * streets and communities with their tallies, and the trend of the weeks
 * before. GS_ERR_INPUT_EMPTY, naming the weeks recorded, when the ledger
 * holds nothing of the week; GS_ERR_INPUT_OPEN or GS_ERR_INPUT_FIELD for
 * a ledger of another shape; GS_ERR_NOMEM. */
int gs__report_read(gs__rdata *d, gs__ledger *l);

/* Frees what d holds (not d itself). */
void gs__report_data_free(gs__rdata *d);

/* ---- report_svg.c ----------------------------------------------------- */

/* Appends `s` to b with &, <, >, " and ' escaped: safe in text and in
 * attribute values. */
void gs__report_esc(gs__buf *b, const char *s);

/* Appends num/den as a percentage with one decimal, or a dash. */
void gs__report_pct(gs__buf *b, long num, long den);

/* Fits grids[g0..g1) into at most MAP_W x MAP_H pixels. 0 when nothing
 * has a geometry. */
int gs__report_map_view(const gs__rdata *d, size_t g0, size_t g1,
                        gs__mapview *v);

/* Paths and label positions of a street's grids and communities on its
 * map. GS_ERR_NOMEM. */
int gs__report_map_paths(gs__rdata *d, const gs__rstreet *s,
                         const gs__mapview *v);

/* One map of a street's grids with its legend: `hot` 0 colours by
 * coverage, 1 by Gi* bin of the grids when computed, else by the
 * hexagons' Gi* bins with the rising grids outlined; the overdue events
 * as dots. */
void gs__report_map_svg(gs__buf *b, const gs__rdata *d, const gs__rstreet *s,
                        const gs__mapview *v, int hot, const char *title);

/* 1 when any grid of the week has a Gi* bin. */
int gs__report_grid_gi(const gs__rdata *d);

/* ---- report_charts.c --------------------------------------------------- */

/* The compliant share of the weeks t[0..NT) as a bar chart. */
void gs__report_share_svg(gs__buf *b, const gs__rdata *d, const gs__rtally *t);

/* The mean weekly hours of the weeks t[0..NT), with the standard std_h. */
void gs__report_hours_svg(gs__buf *b, const gs__rdata *d, const gs__rtally *t,
                          double std_h);

/* The backlog (open, of them overdue) at the end of each week. */
void gs__report_backlog_svg(gs__buf *b, const gs__rdata *d,
                            const gs__rbacklog *bl);

/* Events reported per week and category (stacked bars); `cat` as
 * gs__rcomm's. */
void gs__report_categories_svg(gs__buf *b, const gs__rdata *d, const long *cat);

/* 1 when member row i's member is also on another row of mem[m0..m1):
 * listed on several grids, so the rows name their grids too. */
int gs__report_member_twice(const gs__rdata *d, size_t m0, size_t m1, size_t i);

/* Each member's hours of the week mem[m0..m1) against the standard std_h,
 * one bar each, red for a member below standard (the week or a
 * workday). */
void gs__report_member_hours_svg(gs__buf *b, const gs__rdata *d, size_t m0,
                                 size_t m1, double std_h);

/* The colour of category c (c < MAX_CATS). */
const char *gs__report_cat_color(size_t c);

/* ---- report_page.c ---------------------------------------------------- */

/* Prints the whole page of d into b (a failed append is sticky in b);
 * `now` is the footer's time of writing, as the reader's clock shows it. */
int gs__report_page(gs__buf *b, gs__rdata *d, const gs_rules *rules,
                    const char *ledger, const char *now);

#endif /* GS_REPORT_HTML_H */
