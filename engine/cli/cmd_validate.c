/*
 * cmd_validate.c - `gridsmith validate`: options -> gs_validate_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith validate --communities C --grids G --households H\n"
    "                          [--members M] -o OUT.gpkg [options]\n"
    "       gridsmith validate --communities C --grids G --buildings F ...\n"
    "\n"
    "Checks every grid against the grid standard: 300-500 households and at\n"
    "most 2,500 persons per grid, one member per grid, grids tiling their\n"
    "community without gaps, overlaps or crossing its boundary, valid\n"
    "single-part polygons and well-formed 15-digit codes. Writes a\n"
    "GeoPackage that opens styled in QGIS with the layers grids (status and\n"
    "issues per grid), issues (the problem areas), issue_points (orphan\n"
    "households, invalid spots), summary (per community and total) and\n"
    "run_metadata.\n"
    "\n"
    "Inputs (any OGR source: GeoPackage, Shapefile, GeoJSON, CSV, PG:...):\n"
    "  --communities C     community polygons: community_code, name\n"
    "  --grids G           grid polygons: grid_code, community_code,\n"
    "                      grid_type (basic|dedicated), name\n"
    "  --households H      household points: household_id, persons,\n"
    "                      building_id, care_type\n"
    "  --buildings F       instead of --households: building footprints\n"
    "                      whose households (their households field, else\n"
    "                      estimated as partition does) stand inside each\n"
    "  --members M         roster table or CSV: member_id, grid_code, name\n"
    "  --layer ROLE=NAME   the layer to read for a role (default: the layer\n"
    "                      named like the role, or the only one)\n"
    "  --field ROLE.FIELD=SOURCE\n"
    "                      map your field name to ours, e.g.\n"
    "                      --field households.persons=renkou\n"
    "  --encoding ENC      text encoding of CSV/Shapefile inputs, e.g.\n"
    "                      GB18030 for a CSV saved by Excel\n"
    "  --assume-crs CRS    CRS for inputs that declare none, e.g. EPSG:4490\n"
    "  --on-error=fail|skip  stop on a bad feature (default), or leave it\n"
    "                      out and list it in issue_points/issues\n"
    "\n"
    "Output and behaviour:\n"
    "  -o, --output OUT.gpkg  the GeoPackage to write (replaced atomically)\n"
    "  --rules FILE        thresholds (INI: [sizing] min_households=300,\n"
    "                      max_households=500, max_persons=2500,\n"
    "                      exempt_dedicated=true; [topology] sliver_m2=1)\n"
    "  --strict            exit 1 when there is any finding\n"
    "  --json              print a machine-readable summary on stdout\n"
    "  --quiet             print nothing but errors\n"
    "  --threads N         worker threads (default 2)\n"
    "  -h, --help          this help\n"
    "\n" CLI_GDAL_HELP "\n" CLI_SCALE_HELP
    "\n"
    "Example (the bundled demo city):\n"
    "  gridsmith validate --communities datasets/demo/city.gpkg \\\n"
    "      --grids datasets/demo/city.gpkg \\\n"
    "      --households datasets/demo/city.gpkg \\\n"
    "      --members datasets/demo/members.csv -o out/validate.gpkg\n"
    "\n"
    "  validate: 22 grids in 4 communities; in the grids 7996 households\n"
    "    (21918 persons), 4 more in no grid\n"
    "    17 of 22 grids violate the standard; 28 issues\n"
    "      bad_code               1\n"
    "      bad_persons            4\n"
    "      duplicate_code         2\n"
    "      ...\n"
    "      undersize              1\n"
    "    wrote out/validate.gpkg (layers grids, issues, issue_points, "
    "summary,\n"
    "    run_metadata)\n"
    "\n"
    "Every issue kind and its exact rule: docs/design.md, Validate issue\n"
    "kinds; every output field: docs/outputs.md.\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error; 3 bad\n"
    "input (the message names file, layer, feature or line, and field);\n"
    "4 I/O or internal error.\n";

enum {
    OPT_COMMUNITIES = 256,
    OPT_GRIDS,
    OPT_HOUSEHOLDS,
    OPT_MEMBERS,
    OPT_BUILDINGS
};

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_validate_opts *vo = user;
    vo->common.output = c->output;
    vo->common.input = &c->input;
    vo->common.rules = rules;
    vo->common.threads = c->threads;
    vo->common.command_line = c->command_line;
    return gs_validate_run(ctx, vo, out_report);
}

int cmd_validate(int argc, char **argv) {
    static const struct option longopts[] = {
        {"communities", required_argument, NULL, OPT_COMMUNITIES},
        {"grids", required_argument, NULL, OPT_GRIDS},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"members", required_argument, NULL, OPT_MEMBERS},
        {"buildings", required_argument, NULL, OPT_BUILDINGS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_validate_opts vo;
    int opt;

    cli_common_init(&c);
    gs_validate_opts_init(&vo);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        int st = cli_common_option(&c, "validate", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) return st;
        switch (opt) {
            case OPT_COMMUNITIES: vo.communities = optarg; break;
            case OPT_GRIDS: vo.grids = optarg; break;
            case OPT_HOUSEHOLDS: vo.households = optarg; break;
            case OPT_MEMBERS: vo.members = optarg; break;
            case OPT_BUILDINGS: vo.buildings = optarg; break;
            default: break;
        }
    }
    if (optind < argc)
        return cli_usage_error("validate", "unexpected argument '%s'",
                               argv[optind]);
    return cli_run(&c, "validate", argc, argv, run, &vo);
}
