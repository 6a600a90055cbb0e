/*
 * cmd_partition.c - `gridsmith partition`: options -> gs_partition_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith partition --communities C --households H\n"
    "                           [--barriers B] [--existing G [--lock CODE]]\n"
    "                           -o OUT.gpkg [options]\n"
    "\n"
    "Divides each community into grids of 300-500 households (at most\n"
    "2,500 persons): each grid one polygon, the grids of a community tiling\n"
    "it exactly, the households of one building never split, boundaries\n"
    "following the barriers (roads, rivers, walls, rails) where the sizes\n"
    "allow. Codes are the community code and 3 digits, numbered in reading\n"
    "order (north to south, west to east). A community under 300 households\n"
    "becomes one grid with a note; where no whole number of grids fits\n"
    "(501-599 households), the grids follow the persons criterion (about\n"
    "1,500 persons), or with [partition] infeasible = oversize one grid\n"
    "may be oversize. A building of over 500 households is reported.\n"
    "Writes the layers grids, summary and run_metadata.\n"
    "\n"
    "Re-division (--existing G): compliant grids keep their geometry and\n"
    "code, dedicated grids and --lock grids are never touched; a grid\n"
    "missing the bounds is split, merged with a neighbour, has a boundary\n"
    "shifted, or its cluster redesigned, the first that works. New grids\n"
    "continue the community's sequence. The layer changes tells each old\n"
    "grid's fate (unchanged, split, merged, shifted or redesigned; locked\n"
    "and dedicated grids are unchanged). Definitions: docs/design.md,\n"
    "Partition.\n"
    "\n"
    "Inputs (any OGR source):\n"
    "  --communities C     community polygons: community_code, name\n"
    "  --households H      household points: household_id, persons,\n"
    "                      building_id, care_type\n"
    "  --barriers B        lines: kind (road|river|wall|rail), name\n"
    "  --existing G        grids to re-divide: grid_code, community_code,\n"
    "                      grid_type (basic|dedicated)\n"
    "  --lock CODE         a grid never to touch (repeatable)\n"
    "  --layer ROLE=NAME   the layer to read for a role\n"
    "  --field ROLE.FIELD=SOURCE  map your field name to ours\n"
    "  --encoding ENC, --assume-crs CRS, --on-error=fail|skip\n"
    "\n"
    "Output and behaviour:\n"
    "  -o, --output OUT.gpkg  the GeoPackage to write (replaced atomically)\n"
    "  --rules FILE        thresholds ([sizing] min_households=300,\n"
    "                      max_households=500, max_persons=2500;\n"
    "                      [partition] target_households=400,\n"
    "                      target_persons=1500, infeasible=persons|oversize)\n"
    "  --seed N            seed of the random spanning trees (0); the same\n"
    "                      seed gives the same grids, whatever --threads\n"
    "  --threads N         communities divided in parallel (2)\n"
    "  --strict            exit 1 when a grid misses the standard\n"
    "  --json, --quiet\n"
    "  -h, --help          this help\n"
    "\n" CLI_GDAL_HELP
    "\n"
    "Example (the bundled demo city):\n"
    "  gridsmith partition --communities datasets/demo/city.gpkg \\\n"
    "      --households datasets/demo/city.gpkg \\\n"
    "      --barriers datasets/demo/city.gpkg -o out/partition.gpkg\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error; 3 bad\n"
    "input; 4 I/O or internal error.\n";

enum {
    OPT_COMMUNITIES = 256,
    OPT_HOUSEHOLDS,
    OPT_BARRIERS,
    OPT_EXISTING,
    OPT_LOCK,
    OPT_SEED
};

/* Codes given with --lock. */
typedef struct locks {
    const char *v[256];
    size_t n;
} locks;

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_partition_opts *po = user;
    po->common.output = c->output;
    po->common.input = &c->input;
    po->common.rules = rules;
    po->common.command_line = c->command_line;
    po->common.threads = c->threads;
    return gs_partition_run(ctx, po, out_report);
}

int cmd_partition(int argc, char **argv) {
    static const struct option longopts[] = {
        {"communities", required_argument, NULL, OPT_COMMUNITIES},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"barriers", required_argument, NULL, OPT_BARRIERS},
        {"existing", required_argument, NULL, OPT_EXISTING},
        {"lock", required_argument, NULL, OPT_LOCK},
        {"seed", required_argument, NULL, OPT_SEED},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_partition_opts po;
    locks lk;
    int opt;

    cli_common_init(&c);
    gs_partition_opts_init(&po);
    lk.n = 0;
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
            case OPT_EXISTING: po.existing = optarg; break;
            case OPT_LOCK:
                if (lk.n == sizeof lk.v / sizeof lk.v[0])
                    return cli_usage_error("partition",
                                           "at most %zu --lock codes",
                                           sizeof lk.v / sizeof lk.v[0]);
                lk.v[lk.n++] = optarg;
                break;
            case OPT_SEED: {
                char *end;
                errno = 0;
                po.seed = strtoull(optarg, &end, 10);
                if (errno || end == optarg || *end || optarg[0] == '-')
                    return cli_usage_error("partition",
                                           "--seed takes a whole number "
                                           "0 or more, not '%s'",
                                           optarg);
                break;
            }
            default: break;
        }
    }
    if (optind < argc)
        return cli_usage_error("partition", "unexpected argument '%s'",
                               argv[optind]);
    if (lk.n && !po.existing)
        return cli_usage_error("partition", "--lock needs --existing");
    po.lock = lk.v;
    po.n_lock = lk.n;
    return cli_run(&c, "partition", argc, argv, run, &po);
}
