/*
 * cmd_report.c - `gridsmith report`: the weekly HTML report ->
 * gs_report_html_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith report --ledger LEDGER.gpkg [--week 2026-W47]\n"
    "                        -o REPORT.html [options]\n"
    "\n"
    "Writes the week's report for a street office (网格化服务管理周报): one\n"
    "self-contained HTML file that opens in any browser without network\n"
    "access or GIS software, in Chinese with English labels. Per street\n"
    "(the first 9 digits of the community code, named by the communities'\n"
    "street_name when they have one) and community:\n"
    "  - the week at a glance: compliance, the members below standard by\n"
    "    name, the overdue events (open past their deadline at the week's\n"
    "    end, whichever week they were reported in), events reported and\n"
    "    resolved, the grids not to standard, hot spots; what to act on;\n"
    "  - every overdue event: category, grid, member, working days late;\n"
    "  - the grids not to standard, each problem in Chinese with what to\n"
    "    do about it;\n"
    "  - per street: compliance and the event backlog per community, a\n"
    "    map of patrol coverage, a map of event hot spots (grid Gi*, or\n"
    "    with too few grids the hexagons' hot spots, the rising grids and\n"
    "    the overdue events), each member's hours against the weekly\n"
    "    standard, a member x day table coloured by the daily rule;\n"
    "  - charts of the week and the 8 weeks before it (those the ledger\n"
    "    holds, from its first week): compliant share, mean hours, the\n"
    "    backlog, events by category.\n"
    "`gridsmith run` writes the same report as its last stage\n"
    "(DIR/report-WEEK.html).\n"
    "\n"
    "Options:\n"
    "  --ledger L       the ledger written by gridsmith run (required): its\n"
    "                   GeoPackage, or its PostGIS schema\n"
    "                   (\"PG:... active_schema=SCHEMA\")\n"
    "  --shard P        only the grids whose code starts with P (and their\n"
    "                   members): one street office's page (repeatable)\n"
    "  --week W         the ISO week (default: the latest in the ledger)\n"
    "  -o, --output F   the HTML file to write (replaced atomically)\n"
    "  --rules FILE     the rules file, for the standard the page quotes\n"
    "                   ([patrol] daily_min_s, weekly_min_s, ...)\n"
    "  --strict         exit 1 when any member is below standard\n"
    "  --json           machine-readable summary on stdout\n"
    "  --quiet          print nothing but errors\n"
    "  -h, --help       this help\n"
    "\n" CLI_GDAL_HELP
    "\n"
    "Example (after ./scripts/demo.sh, which records 2026-W40 to W47):\n"
    "  gridsmith report --ledger out/ledger.gpkg --week 2026-W47 \\\n"
    "      -o out/report.html\n"
    "\n"
    "  report: week 2026-W47, 22 grids in 4 communities of 2 streets\n"
    "    18 of 22 members compliant; 4 below standard\n"
    "    1 roster rows on a grid that does not exist (listed below\n"
    "    standard)\n"
    "    29 events overdue, 41 open at the week's end (each overdue event\n"
    "    listed)\n"
    "    wrote out/report.html\n"
    "\n"
    "Exit status: 0 done; 1 members below standard with --strict; 2 usage\n"
    "error; 3 no ledger, or the week is not in it; 4 I/O or internal "
    "error.\n";

enum { OPT_LEDGER = 256, OPT_WEEK };

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_report_html_opts *ro = user;
    ro->common.output = c->output;
    ro->common.rules = rules;
    return gs_report_html_run(ctx, ro, out_report);
}

int cmd_report(int argc, char **argv) {
    static const struct option longopts[] = {
        {"ledger", required_argument, NULL, OPT_LEDGER},
        {"week", required_argument, NULL, OPT_WEEK},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_report_html_opts ro;
    int opt;

    cli_common_init(&c);
    gs_report_html_opts_init(&ro);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        int st = cli_common_option(&c, "report", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) return st;
        if (opt == OPT_LEDGER) ro.ledger = optarg;
        if (opt == OPT_WEEK) ro.week = optarg;
    }
    if (optind < argc)
        return cli_usage_error("report", "unexpected argument '%s'",
                               argv[optind]);
    return cli_run(&c, "report", argc, argv, run, &ro);
}
