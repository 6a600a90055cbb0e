/*
 * report_run.c - `gridsmith report`: the weekly report for the director.
 *
 * One self-contained HTML file per week, read from the ledger (ledger.c)
 * and nothing else (report_read.c), printed as one page (report_page.c,
 * report_svg.c) into one buffer and written atomically (gs__out_file). The
 * steps: check the options, open the ledger and pick the week, read it,
 * print and write the page, then the run's report.
 */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "i18n.h"
#include "report.h"
#include "report_html.h"
#include "rules.h"
#include "writer.h"

void gs_report_html_opts_init(gs_report_html_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

/* The options: a ledger and an output that can be written. */
static int check_opts(gs_ctx *ctx, const gs_report_html_opts *opts) {
    int rc;
    if ((rc = gs__opts_check_version(ctx, opts->version))) return rc;
    if (!opts->ledger || !opts->common.output)
        return gs__err(ctx, GS_ERR_USAGE, "report needs {ledger} and {output}");
    return gs__out_check_file(ctx, opts->common.output);
}

/* The week of the report into d->week (spelt our way: it goes into SQL)
 * and d->monday: the one asked for, or the latest the ledger holds
 * (GS_ERR_INPUT_EMPTY when none); then the weeks of the trend. */
static int pick_week(gs__rdata *d, gs__ledger *l, const char *week) {
    const char *path = gs__ledger_path(l);
    if (week) {
        if (gs__isoweek_parse(week, &d->monday) != GS_OK)
            return gs__err(d->ctx, GS_ERR_USAGE,
                           "week '%s' is not an ISO week such as 2026-W47",
                           week);
    } else {
        gs__lweek *w;
        size_t n;
        int rc = gs__ledger_weeks(l, "grid_status", &w, &n);
        if (rc) return rc;
        if (!n)
            return gs__err(d->ctx, GS_ERR_INPUT_EMPTY,
                           "%s: the ledger holds no week yet", path);
        snprintf(d->week, sizeof d->week, "%s", w[n - 1].week);
        free(w);
        if (gs__isoweek_parse(d->week, &d->monday) != GS_OK)
            return gs__err(d->ctx, GS_ERR_INPUT_VALUE,
                           "%s: the latest week '%s' is not an ISO week", path,
                           d->week);
    }
    gs__isoweek_format(d->monday, d->week);
    for (int k = 0; k < NT; k++)
        gs__isoweek_format(d->monday - 7 * (TREND_BACK - k), d->weeks[k]);
    return GS_OK;
}

/* Opens the ledger (a GeoPackage, or the PostGIS ledger of `run -o PG:`,
 * "PG:... active_schema=SCHEMA", whose rows the shard selects), picks the
 * week and reads it into d. */
static int read_week(gs_ctx *ctx, const gs_report_html_opts *opts,
                     gs__rdata *d) {
    gs__ledger *l = NULL;
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "read the ledger", -1);
    if ((rc = gs__ledger_open(ctx, opts->ledger, &l))) return rc;
    if (!gs__ledger_has(l, "grid_status"))
        rc = gs__err(ctx, GS_ERR_INPUT_OPEN,
                     "%s: not a gridsmith ledger (no table grid_status)",
                     opts->ledger);
    if (!rc) rc = pick_week(d, l, opts->week);
    if (!rc) rc = gs__report_read(d, l);
    gs__ledger_close(l);
    if (!rc) gs__phase_end(ctx, "read");
    return rc;
}

/* The time of writing for the footer, on the clock of the street office
 * that reads it: the zone weeks are counted in (Asia/Shanghai), named,
 * e.g. "2026-12-08 07:30 北京时间 (UTC+08:00)". A UTC stamp read as local
 * time would put the report eight hours early. */
static int local_now(gs_ctx *ctx, char out[128]) {
    gs__tz *tz;
    int64_t utc = gs__epoch_now() * 1000, off, aoff;
    int32_t day;
    int y, mo, d, min, rc = gs__tz_open(ctx, NULL, &tz);
    if (rc) return rc;
    off = gs__tz_offset_ms(tz, utc);
    aoff = off < 0 ? -off : off;
    day = gs__local_day(tz, utc);
    min = (int)((utc + off - (int64_t)day * 86400000) / 60000) % 1440;
    gs__civil_from_days(day, &y, &mo, &d);
    snprintf(
        out, 128, "%04d-%02d-%02d %02d:%02d %.40s (UTC%c%02d:%02d)", y % 10000,
        mo % 100, d % 100, min / 60, min % 60,
        strcmp(gs__tz_id(tz), "Asia/Shanghai") ? gs__tz_id(tz) : "北京时间",
        off < 0 ? '-' : '+', (int)(aoff / 3600000) % 24,
        (int)(aoff / 60000) % 60);
    gs__tz_close(tz);
    return GS_OK;
}

/* Prints the page and writes it atomically to the output. */
static int write_page(gs_ctx *ctx, const gs_report_html_opts *opts,
                      const gs_rules *rules, gs__rdata *d) {
    gs__buf html;
    char now[128];
    int rc;
    gs__phase_begin(ctx);
    gs__progress(ctx, "write the report", -1);
    if ((rc = local_now(ctx, now))) return rc;
    gs__buf_init(&html, MAX_PAGE);
    rc = gs__report_page(&html, d, rules, opts->ledger, now);
    if (!rc && html.failed)
        rc = gs__err(ctx, GS_ERR_NOMEM, "%s: the report would exceed %zu MiB",
                     opts->common.output, MAX_PAGE >> 20);
    if (!rc) rc = gs__out_file(ctx, opts->common.output, html.data, html.len);
    gs__buf_free(&html);
    if (!rc) gs__phase_end(ctx, "write");
    return rc;
}

/* The run's report: counts of the page, and its findings (members below
 * standard and on no grid). NULL when out of memory. */
static gs_report *make_report(gs__rdata *d, const char *output) {
    json_object *o = json_object_new_object();
    gs__buf text;
    long below = d->all.members - d->all.compliant, unplaced = 0;
    for (size_t i = 0; i < d->nm; i++) unplaced += !d->mem[i].has_grid;
    if (!o) return NULL;
    json_object_object_add(o, "command", json_object_new_string("report"));
    json_object_object_add(o, "week", json_object_new_string(d->week));
    json_object_object_add(o, "output", json_object_new_string(output));
    json_object_object_add(o, "streets", json_object_new_int64((long)d->ns));
    json_object_object_add(o, "communities",
                           json_object_new_int64((long)d->nc));
    json_object_object_add(o, "grids", json_object_new_int64((long)d->ng));
    json_object_object_add(o, "members", json_object_new_int64(d->all.members));
    json_object_object_add(o, "compliant",
                           json_object_new_int64(d->all.compliant));
    json_object_object_add(o, "below_standard", json_object_new_int64(below));
    json_object_object_add(o, "on_no_grid", json_object_new_int64(unplaced));
    json_object_object_add(o, "patrol",
                           json_object_new_boolean(d->have_patrol));
    json_object_object_add(o, "hotspots",
                           json_object_new_boolean(d->have_events));
    json_object_object_add(
        o, "overdue",
        d->have_backlog ? json_object_new_int64(d->all_bl[NT - 1].overdue)
                        : NULL);
    json_object_object_add(
        o, "open",
        d->have_backlog ? json_object_new_int64(d->all_bl[NT - 1].open) : NULL);
    json_object_object_add(o, "overdue_listed",
                           json_object_new_int64((long)d->nod));
    gs__buf_init(&text, 0);
    /* The console text in the user's language (gs__tr). */
    gs__buf_printf(&text,
                   gs__tr("report: week %s, %zu grids in %zu communities of "
                          "%zu streets\n"),
                   d->week, d->ng, d->nc, d->ns);
    if (d->have_patrol)
        gs__buf_printf(&text,
                       gs__tr("  %ld of %ld members compliant; %ld below "
                              "standard\n"),
                       d->all.compliant, d->all.members, below);
    if (unplaced)
        gs__buf_printf(&text,
                       gs__tr("  %ld roster rows on a grid that does not "
                              "exist (listed below standard)\n"),
                       unplaced);
    if (d->have_backlog)
        gs__buf_printf(&text,
                       gs__tr("  %ld events overdue, %ld open at the week's "
                              "end (each overdue event listed)\n"),
                       d->all_bl[NT - 1].overdue, d->all_bl[NT - 1].open);
    gs__buf_printf(&text, gs__tr("  wrote %s\n"), output);
    return gs__report_from_buf(d->ctx, o, &text, below + unplaced);
}

int gs_report_html_run(gs_ctx *ctx, const gs_report_html_opts *opts,
                       gs_report **out_report) {
    gs__rdata d;
    gs_rules rules_default;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !out_report)
        return gs__err(ctx, GS_ERR_USAGE,
                       "gs_report_html_run: missing argument");
    gs__gdal_enter(ctx);
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    gs__arena_init(&d.a);
    gs_rules_init(&rules_default);
    if ((rc = check_opts(ctx, opts)) || (rc = read_week(ctx, opts, &d)) ||
        (rc = write_page(
             ctx, opts,
             opts->common.rules ? opts->common.rules : &rules_default, &d)))
        goto done;
    *out_report = make_report(&d, opts->common.output);
    if (!*out_report) rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
done:
    gs__report_data_free(&d);
    gs__gdal_leave(ctx);
    return rc;
}
