/*
 * test_report_html.c - the weekly HTML report from a small ledger.
 *
 * The ledger of ledger_fixture.h holds two weeks; the report of the later
 * one must name its week and list the member below standard (M2, with the
 * workdays missed and the reason) and not the compliant ones, count them
 * as the ledger does, draw the street's map, and name the community from
 * the run; a week the ledger lacks fails, listing the weeks it holds, and
 * leaves an earlier report as it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "harness.h"
#include "ledger_fixture.h"

static gs_ctx *ctx;
static char dir[64];
static char ledger[128];

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
        if (fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        } else {
            p[n] = '\0';
        }
    }
    fclose(f);
    return p;
}

/* Runs the report of `week` (NULL: the latest) into `out`. */
static int report(const char *week, const char *out, gs_report **r) {
    gs_report_html_opts o;
    gs_report_html_opts_init(&o);
    o.ledger = ledger;
    o.week = week;
    o.common.output = out;
    return gs_report_html_run(ctx, &o, r);
}

TEST(week_and_members_below_standard) {
    char out[160], *page;
    gs_report *r = NULL;
    snprintf(out, sizeof out, "%s/report.html", dir);
    REQUIRE(report("2026-W47", out, &r) == GS_OK);
    REQUIRE(r);
    /* M2 is the one member below standard of the week's three. */
    CHECK(gs_report_findings(r) == 1);
    CHECK(strstr(gs_report_text(r), "week 2026-W47") != NULL);
    CHECK(strstr(gs_report_text(r), "2 of 3 members compliant") != NULL);
    gs_report_destroy(r);
    page = slurp(out);
    REQUIRE(page);
    CHECK(strstr(page, "<title>网格化服务管理周报 2026-W47</title>") != NULL);
    CHECK(strstr(page, "11 月 16 日至 11 月 22 日") != NULL);
    CHECK(strstr(page, "week 2026-W47, 2026-11-16 to 2026-11-22") != NULL);
    /* Listed below standard with its grid, its hours and its reason, in
     * Chinese. */
    CHECK(strstr(page, "<b>王芳 <span class=\"en\">M2</span></b>") != NULL);
    CHECK(strstr(page, FX_G2) != NULL);
    CHECK(strstr(page, "class=\"bad\">5.6</td>") != NULL); /* 20,000 s */
    CHECK(strstr(page, "11月16日周一、11月17日周二") != NULL);
    CHECK(strstr(page, "本周在网格内巡查不足 10 小时") != NULL);
    CHECK(strstr(page, "低于标准") != NULL);
    /* The charts: each member's hours against the 10-hour line, the
     * member x day table, the compliant share and hours apart. */
    CHECK(strstr(page, "Each member's hours this week") != NULL);
    CHECK(strstr(page, "标准 10 小时") != NULL);
    CHECK(strstr(page, "Hours in the grid each day") != NULL);
    CHECK(strstr(page, "aria-label=\"巡查达标率 compliant share\"") != NULL);
    CHECK(strstr(page, "aria-label=\"人均周巡查时长 mean hours per week\"") !=
          NULL);
    /* No hotspots in this ledger: no backlog card, and it says so. */
    CHECK(strstr(page, "id=\"overdue-total\"") == NULL);
    CHECK(strstr(page, "本周未运行事件分析") != NULL);
    /* The compliant members are not listed. */
    CHECK(strstr(page, "<b>张伟 <span class=\"en\">M1</span></b>") == NULL);
    CHECK(strstr(page, "<b>李娜 <span class=\"en\">M3</span></b>") == NULL);
    /* The community's name from the week's run, the street's map. */
    CHECK(strstr(page, "花园社区") != NULL);
    CHECK(strstr(page, "<svg class=\"map\"") != NULL);
    free(page);
}

TEST(latest_week_by_default) {
    char out[160];
    gs_report *r = NULL;
    snprintf(out, sizeof out, "%s/latest.html", dir);
    REQUIRE(report(NULL, out, &r) == GS_OK);
    CHECK(r && strstr(gs_report_text(r), "week 2026-W47") != NULL);
    gs_report_destroy(r);
}

TEST(missing_week_lists_those_present) {
    char out[160], *page;
    gs_report *r = NULL;
    FILE *f;
    snprintf(out, sizeof out, "%s/keep.html", dir);
    f = fopen(out, "w");
    REQUIRE(f);
    fputs("earlier report", f);
    fclose(f);
    CHECK(report("2026-W30", out, &r) == GS_ERR_INPUT_EMPTY);
    CHECK(r == NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "no week 2026-W30") != NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "recorded: 2026-W47, 2026-W46") != NULL);
    page = slurp(out);
    CHECK(page && !strcmp(page, "earlier report"));
    free(page);
    /* Not a week at all. */
    CHECK(report("2026-W99", out, &r) == GS_ERR_USAGE);
}

int main(void) {
    char cmd[128];
    snprintf(dir, sizeof dir, "/tmp/gs_test_report.XXXXXX");
    if (!mkdtemp(dir) || gs_ctx_create(&ctx) != GS_OK) return 1;
    snprintf(ledger, sizeof ledger, "%s/ledger.gpkg", dir);
    if (fx_record(ctx, dir, ledger, "2026-W46", 0) != GS_OK ||
        fx_record(ctx, dir, ledger, "2026-W47", 0) != GS_OK) {
        printf("cannot build the ledger: %s\n", gs_ctx_errmsg(ctx));
        return 1;
    }
    RUN(week_and_members_below_standard);
    RUN(latest_week_by_default);
    RUN(missing_week_lists_those_present);
    gs_ctx_destroy(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!harness_failed && system(cmd) != 0) return 1;
    return HARNESS_END();
}
