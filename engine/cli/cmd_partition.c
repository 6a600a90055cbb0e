/*
 * cmd_partition.c - `gridsmith partition`: options -> gs_partition_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const help =
    "Usage: gridsmith partition --communities C --households H\n"
    "                           [--barriers B] -o OUT.gpkg [options]\n"
    "\n"
    "Divides each community into grids of 300-500 households (at most\n"
    "2,500 persons): each grid one polygon, the grids of a community tiling\n"
    "it exactly, the households of one building never split, boundaries\n"
    "following the barriers (roads, rivers, walls, rails) where the sizes\n"
    "allow. Codes are the community code and 3 digits, numbered in reading\n"
    "order (north to south, west to east). A community under 300 households\n"
    "becomes one grid with a note. Writes the layers grids, summary and\n"
    "run_metadata.\n"
    "\n"
    "Inputs (any OGR source):\n"
    "  --communities C     community polygons: community_code, name\n"
    "  --households H      household points: household_id, persons,\n"
    "                      building_id, care_type\n"
    "  --barriers B        lines: kind (road|river|wall|rail), name\n"
    "  --layer ROLE=NAME   the layer to read for a role\n"
    "  --field ROLE.FIELD=SOURCE  map your field name to ours\n"
    "  --encoding ENC, --assume-crs CRS, --on-error=fail|skip\n"
    "\n"
    "Output and behaviour:\n"
    "  -o, --output OUT.gpkg  the GeoPackage to write (replaced atomically)\n"
    "  --config FILE       thresholds ([sizing] min_households=300,\n"
    "                      max_households=500, max_persons=2500)\n"
    "  --strict            exit 1 when a grid misses the standard\n"
    "  --json, --quiet, --threads N (accepted; the partition is serial)\n"
    "  -h, --help          this help\n"
    "\n"
    "Example (the bundled demo city):\n"
    "  gridsmith partition --communities datasets/demo/city.gpkg \\\n"
    "      --households datasets/demo/city.gpkg \\\n"
    "      --barriers datasets/demo/city.gpkg -o out/partition.gpkg\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error; 3 bad\n"
    "input; 4 I/O or internal error.\n";

enum { OPT_COMMUNITIES = 256, OPT_HOUSEHOLDS, OPT_BARRIERS };

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_partition_opts *po = user;
    po->output = c->output;
    po->input = &c->input;
    po->rules = rules;
    po->command_line = c->command_line;
    return gs_partition_run(ctx, po, out_report);
}

int cmd_partition(int argc, char **argv) {
    static const struct option longopts[] = {
        {"communities", required_argument, NULL, OPT_COMMUNITIES},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"barriers", required_argument, NULL, OPT_BARRIERS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_partition_opts po;
    int opt;

    cli_common_init(&c);
    gs_partition_opts_init(&po);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        int st = cli_common_option(&c, "partition", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) return st;
        switch (opt) {
            case OPT_COMMUNITIES: po.communities = optarg; break;
            case OPT_HOUSEHOLDS: po.households = optarg; break;
            case OPT_BARRIERS: po.barriers = optarg; break;
            default: break;
        }
    }
    if (optind < argc)
        return cli_usage_error("partition", "unexpected argument '%s'",
                               argv[optind]);
    if (!po.communities || !po.households || !c.output)
        return cli_usage_error("partition",
                               "partition needs --communities, --households "
                               "and -o OUT.gpkg");
    return cli_run(&c, "partition", argc, argv, run, &po);
}
