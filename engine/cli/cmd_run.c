/*
 * cmd_run.c - `gridsmith run JOB`: the weekly job -> gs_run_job.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith run JOB.ini [--week 2026-W47] [--since 2026-W40]\n"
    "                     [--json] [--quiet]\n"
    "\n"
    "Runs the weekly job a job file describes: validate the grids, verify\n"
    "the week's patrols from the GPS traces, analyse the week's events, and\n"
    "record the week in the ledger (a GeoPackage keeping every run and the\n"
    "weekly results, which QGIS opens and plain SQL queries). Re-running a\n"
    "week replaces it (a shard's run, the shard's rows of it). A stage that\n"
    "fails, or a run killed or interrupted (Ctrl-C) before the ledger's\n"
    "commit, leaves the ledger as it was. The week is recorded before the\n"
    "report is written: when only the report fails, the week stays\n"
    "recorded and the message says so (write the report again with\n"
    "gridsmith report). Runs sharing a ledger take turns on it; a ledger\n"
    "another program holds locked is exit 4 (docs/design.md, The weekly\n"
    "job and the ledger).\n"
    "\n"
    "The job file (INI; paths relative to it):\n"
    "  [inputs]\n"
    "  communities = city.gpkg\n"
    "  grids = city.gpkg\n"
    "  households = city.gpkg\n"
    "  members = members.csv\n"
    "  traces = traces.csv          ; optional: no patrol without it\n"
    "  events = city.gpkg           ; optional: no hotspots without it\n"
    "  calendar = calendar.csv      ; optional workday overrides\n"
    "  trace_crs = wgs84            ; or gcj02, bd09, EPSG:n\n"
    "  time_format = %m/%d/%Y %I:%M:%S %p ; events' times, when not ISO\n"
    "  event_crs = wgs84            ; the events' coordinates, likewise\n"
    "  encoding = GB18030           ; optional, as --encoding\n"
    "  [run]\n"
    "  week = 2026-W47              ; default: the last complete ISO week\n"
    "  tz = Asia/Shanghai           ; zone of times without an offset\n"
    "  rules = rules.ini            ; optional thresholds (the --rules\n"
    "                               ; format; run takes no --rules)\n"
    "  [outputs]\n"
    "  dir = out                    ; everything is written here\n"
    "  ledger = ledger.gpkg         ; a .gpkg file name inside dir, not\n"
    "                               ; one the job writes (validate-...,\n"
    "                               ; patrol-, hotspots-, report-)\n"
    "\n"
    "Writes DIR/validate-WEEK.gpkg, DIR/patrol-WEEK.gpkg,\n"
    "DIR/hotspots-WEEK.gpkg (with DIR/hotspots-WEEK_kde.tif) and the\n"
    "ledger, then the week's report for the street office,\n"
    "DIR/report-WEEK.html (self-contained HTML: see gridsmith report --help).\n"
    "\n"
    "The ledger's tables: grid_status, member_day, member_week, and with\n"
    "events grid_events, grid_backlog (per grid: reported, resolved and\n"
    "self-resolved in the week, open and overdue at its end),\n"
    "grid_categories, hex_hotspots, emerging, trouble_spots; and runs.\n"
    "\n"
    "Into PostgreSQL/PostGIS instead (docs/design.md, Shards and PostGIS\n"
    "outputs): -o PG:CONN [--schema S] writes the stages into schemas\n"
    "S_validate, S_patrol and S_hotspots (S_hotspots_SHARD with --shard)\n"
    "and the ledger into schema S (default gridsmith): the same tables,\n"
    "with week and shard columns. Each shard replaces its own rows of the "
    "week. The report,\n"
    "read back from the ledger, goes to DIR/report-WEEK-SHARD.html.\n"
    "\n"
    "Options:\n"
    "  --week W       run this ISO week instead of the job's\n"
    "  --since W      catch up: run every week from W to the job's week\n"
    "                 (or --week), oldest first, each recorded and\n"
    "                 reported as its own weekly run would be; a line per\n"
    "                 earlier week, the last week in full\n"
    "  -o PG:CONN     write into this PostgreSQL database (see above)\n"
    "  --schema S     the ledger's schema there (default gridsmith)\n"
    "  --shard P      only the communities whose code starts with P\n"
    "                 (repeatable; docs/design.md, Shards and PostGIS\n"
    "                 outputs)\n"
    "  --threads N    worker threads (default 2)\n"
    "  --strict       exit 1 when any stage has findings\n"
    "  --json         machine-readable summary of every stage on stdout (a\n"
    "                 failure as {\"status\": \"error\", ...})\n"
    "  --progress[=plain|json]  progress on stderr, also without a\n"
    "                 terminal (json: one object a line, for programs)\n"
    "  --config KEY VALUE  a GDAL configuration option (repeatable)\n"
    "  --quiet        print nothing but errors\n"
    "\n"
    "Example (the bundled demo job, its eight weeks, as ./scripts/demo.sh\n"
    "runs it):\n"
    "  gridsmith run datasets/demo/job.ini --since 2026-W40\n"
    "\n"
    "  run datasets/demo/job.ini: weeks 2026-W40 to 2026-W47, each recorded\n"
    "  in the ledger with its report\n"
    "    2026-W40: 22 grids; 17 of 22 members compliant; 63 events, 11 open\n"
    "    at the week's end (0 overdue); wrote\n"
    "    out/report-2026-W40.html\n"
    "    ...\n"
    "    2026-W46: 22 grids; 18 of 22 members compliant; 60 events, 34 open\n"
    "    at the week's end (24 overdue); wrote\n"
    "    out/report-2026-W46.html\n"
    "  run datasets/demo/job.ini: week 2026-W47\n"
    "    ...\n"
    "    recorded 2026-W47 in the ledger out/ledger.gpkg\n"
    "    wrote out/gridsmith-2026-W47.qgz (QGIS project:\n"
    "    the week's layers and the ledger)\n"
    "\n"
    "Useful ledger queries (sqlite3 out/ledger.gpkg):\n"
    "  SELECT week, count(*), sum(compliant) FROM member_week GROUP BY week;\n"
    "  SELECT member_id, week, in_grid_tolerant_s / 3600.0 AS hours\n"
    "    FROM member_week WHERE compliant = 0 ORDER BY week, member_id;\n"
    "  SELECT week, status, count(*) FROM grid_status GROUP BY week, status;\n"
    "  SELECT week, started_at, command_line FROM runs ORDER BY fid;\n"
    "  SELECT week, sum(open), sum(overdue) FROM grid_backlog GROUP BY week;\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error or a bad\n"
    "job file; 3 bad input; 4 I/O or internal error.\n";

enum { OPT_WEEK = 256, OPT_SINCE };

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_run_opts *ro = user;
    (void)rules; /* the job file names its own rules */
    ro->common.threads = c->threads;
    ro->common.command_line = c->command_line;
    ro->database = c->output;
    return gs_run_job(ctx, ro, out_report);
}

int cmd_run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"week", required_argument, NULL, OPT_WEEK},
        {"since", required_argument, NULL, OPT_SINCE},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_run_opts ro;
    int opt;

    cli_common_init(&c);
    gs_run_opts_init(&ro);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        int st = cli_common_option(&c, "run", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) return st;
        if (opt == OPT_WEEK) ro.week = optarg;
        if (opt == OPT_SINCE) ro.since = optarg;
    }
    if (optind != argc - 1)
        return cli_usage_error("run", "run takes one job file");
    ro.job = argv[optind];
    if (c.rules)
        return cli_usage_error("run",
                               "run takes its rules from the job file "
                               "([run] rules = FILE), not --rules");
    if (c.output && strncmp(c.output, "PG:", 3) != 0)
        return cli_usage_error("run",
                               "run writes into the job's [outputs] "
                               "dir; -o takes only a PostgreSQL database "
                               "(-o PG:...)");
    return cli_run(&c, "run", argc, argv, run, &ro);
}
