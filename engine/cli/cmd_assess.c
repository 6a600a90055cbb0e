/*
 * cmd_assess.c - `gridsmith assess`: options -> gs_assess_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith assess --ledger L --month 2026-11 [--offline S.csv]\n"
    "                        [--visits V.csv --traces T --households H]\n"
    "                        -o OUT.gpkg\n"
    "\n"
    "The monthly assessment of every grid member (月考核) the ledger of\n"
    "'gridsmith run' holds for the month: sub-scores, the weighted total out\n"
    "of 100 and the tier 优秀 (>= 90), 良好 (>= 80), 合格 (>= 60) or 不合格.\n"
    "The month is its ISO weeks, a week counting in the month of its\n"
    "Thursday (2026-11: 2026-W45 to 2026-W48, 2 to 29 November).\n"
    "Definitions: docs/design.md, Monthly assessment.\n"
    "\n"
    "Scores (points; weights in --rules [assess]):\n"
    "  basic work 60  patrol 25 = 25 x (0.5 x workdays with daily_ok /\n"
    "                 workdays + 0.5 x weeks with weekly_ok / weeks), from\n"
    "                 the ledger's member_day and member_week rows;\n"
    "                 information collection 10; service visits 15;\n"
    "                 event reporting 10\n"
    "  special work 20  the mean of the 'special' and 'training' scores\n"
    "  residents 20   awareness 8, satisfaction 12\n"
    "Offline items score weight x score / 100 (score 0-100, the mean when a\n"
    "member has several rows). Service visits, with --visits: weight x care\n"
    "windows met / due when the member has care targets, else weight x\n"
    "verified / recorded visits. A member without an input gets the item's\n"
    "default (60% of its points) and the row's defaults_used says so.\n"
    "\n"
    "Visits: a visit is verified when one of the member's GPS fixes (not\n"
    "one less accurate than 50 m) lies within 50 m of the household and\n"
    "30 min of the recorded time (point to fix distance). Care targets are\n"
    "the households of the member's grid with a care_type; each type has a\n"
    "visit interval (elderly_alone 7 days, left_behind_child 14,\n"
    "left_behind_woman 30, released_prisoner 30, mental_disorder 14,\n"
    "key_youth 30): the month is cut into windows of that many days, each\n"
    "needing a verified visit; targets with a window missed are listed in\n"
    "care_overdue.\n"
    "\n"
    "Inputs:\n"
    "  --ledger L        the ledger GeoPackage of 'gridsmith run', or its\n"
    "                    PostGIS ledger (\"PG:... active_schema=SCHEMA\");\n"
    "                    with --shard P only the members on P's grids\n"
    "  --month M         the month, YYYY-MM\n"
    "  --offline S.csv   member_id,item,score with item one of information,\n"
    "                    visits, events, special, training, awareness,\n"
    "                    satisfaction and score 0-100\n"
    "  --visits V.csv    member_id,household_id,time,kind (kind optional)\n"
    "  --traces T        the month's GPS traces (as for patrol)\n"
    "  --households H    household points with household_id, care_type\n"
    "  --trace-crs CRS   wgs84 (default), gcj02, bd09 or EPSG:n\n"
    "  --tz ZONE         zone of times without an offset (Asia/Shanghai)\n"
    "  --layer, --field, --encoding, --assume-crs   as for patrol\n"
    "  --on-error=fail|skip   a bad row of the offline or visits CSV stops\n"
    "                    the run (fail, the default) or is left out and\n"
    "                    listed in bad_rows (skip)\n"
    "\n"
    "Output and behaviour:\n"
    "  -o, --output OUT.gpkg   layers assessment (with the grid shape),\n"
    "                    visits, care_overdue, bad_rows (replaced\n"
    "                    atomically)\n"
    "  --rules FILE      [assess] weight.ITEM, default.ITEM (percent),\n"
    "                    patrol_daily_share, tier_excellent, tier_good,\n"
    "                    tier_pass, visit_radius_m, visit_window_s,\n"
    "                    interval.CARE_TYPE (days)\n"
    "  --strict          exit 1 when a member is 不合格 or a care target is\n"
    "                    overdue\n"
    "  --json, --quiet, --threads N   as for patrol\n"
    "\n" CLI_GDAL_HELP
    "\n"
    "Example (after ./scripts/demo.sh: October 2026 is 2026-W40 to W44,\n"
    "all in the ledger):\n"
    "  gridsmith assess --ledger out/ledger.gpkg --month 2026-10 \\\n"
    "      --offline datasets/demo/scores.csv -o out/assess-2026-10.gpkg\n"
    "\n"
    "  assess: 2026-10 (2026-09-28 to 2026-11-01), 22 members\n"
    "    ledger weeks: 2026-W40, 2026-W41, 2026-W42, 2026-W43, 2026-W44\n"
    "    优秀 excellent 5, 良好 good 13, 合格 pass 3, 不合格 fail 1; mean\n"
    "    total 82.9\n"
    "    members on a default (see defaults_used): awareness 1,\n"
    "    satisfaction 1\n"
    "    wrote out/assess-2026-10.gpkg\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error; 3 bad\n"
    "input (no ledger, no data for the month, a bad CSV row); 4 I/O or\n"
    "internal error.\n";

enum {
    OPT_LEDGER = 256,
    OPT_MONTH,
    OPT_OFFLINE,
    OPT_VISITS,
    OPT_TRACES,
    OPT_HOUSEHOLDS,
    OPT_TRACE_CRS,
    OPT_TZ
};

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_assess_opts *ao = user;
    ao->common.output = c->output;
    ao->common.input = &c->input;
    ao->common.rules = rules;
    ao->common.threads = c->threads;
    ao->common.command_line = c->command_line;
    return gs_assess_run(ctx, ao, out_report);
}

int cmd_assess(int argc, char **argv) {
    static const struct option longopts[] = {
        {"ledger", required_argument, NULL, OPT_LEDGER},
        {"month", required_argument, NULL, OPT_MONTH},
        {"offline", required_argument, NULL, OPT_OFFLINE},
        {"visits", required_argument, NULL, OPT_VISITS},
        {"traces", required_argument, NULL, OPT_TRACES},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"trace-crs", required_argument, NULL, OPT_TRACE_CRS},
        {"tz", required_argument, NULL, OPT_TZ},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_assess_opts ao;
    int opt;

    cli_common_init(&c);
    gs_assess_opts_init(&ao);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        int st = cli_common_option(&c, "assess", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) return st;
        switch (opt) {
            case OPT_LEDGER: ao.ledger = optarg; break;
            case OPT_MONTH: ao.month = optarg; break;
            case OPT_OFFLINE: ao.offline = optarg; break;
            case OPT_VISITS: ao.visits = optarg; break;
            case OPT_TRACES: ao.traces = optarg; break;
            case OPT_HOUSEHOLDS: ao.households = optarg; break;
            case OPT_TRACE_CRS: ao.trace_crs = optarg; break;
            case OPT_TZ: ao.tz = optarg; break;
            default: break;
        }
    }
    if (optind < argc)
        return cli_usage_error("assess", "unexpected argument '%s'",
                               argv[optind]);
    return cli_run(&c, "assess", argc, argv, run, &ao);
}
