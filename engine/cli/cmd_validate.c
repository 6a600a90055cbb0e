/*
 * cmd_validate.c - `gridsmith validate`: options -> gs_validate_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const help =
    "Usage: gridsmith validate --communities C --grids G --households H\n"
    "                          [--members M] -o OUT.gpkg [options]\n"
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
    "  --config FILE       thresholds (INI: [sizing] min_households=300,\n"
    "                      max_households=500, max_persons=2500,\n"
    "                      exempt_dedicated=true; [topology] sliver_m2=1)\n"
    "  --strict            exit 1 when there is any finding\n"
    "  --json              print a machine-readable summary on stdout\n"
    "  --quiet             print nothing but errors\n"
    "  --threads N         worker threads (default 2)\n"
    "  -h, --help          this help\n"
    "\n"
    "Example (the bundled demo city):\n"
    "  gridsmith validate --communities datasets/demo/city.gpkg \\\n"
    "      --grids datasets/demo/city.gpkg \\\n"
    "      --households datasets/demo/city.gpkg \\\n"
    "      --members datasets/demo/members.csv -o out/validate.gpkg\n"
    "\n"
    "  validate: 20 grids in 4 communities, 8000 households (20800 persons)\n"
    "    12 of 20 grids violate the standard; 31 issues\n"
    "      overlap                2\n"
    "      undersize              1\n"
    "    ...\n"
    "\n"
    "Exit status: 0 done; 1 findings with --strict; 2 usage error; 3 bad\n"
    "input (the message names file, layer, feature or line, and field);\n"
    "4 I/O or internal error.\n";

enum {
    OPT_COMMUNITIES = 256,
    OPT_GRIDS,
    OPT_HOUSEHOLDS,
    OPT_MEMBERS,
    OPT_LAYER,
    OPT_FIELD,
    OPT_ENCODING,
    OPT_ASSUME_CRS,
    OPT_ON_ERROR,
    OPT_CONFIG,
    OPT_STRICT,
    OPT_JSON,
    OPT_QUIET,
    OPT_THREADS
};

int cmd_validate(int argc, char **argv) {
    static const struct option longopts[] = {
        {"communities", required_argument, NULL, OPT_COMMUNITIES},
        {"grids", required_argument, NULL, OPT_GRIDS},
        {"households", required_argument, NULL, OPT_HOUSEHOLDS},
        {"members", required_argument, NULL, OPT_MEMBERS},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"field", required_argument, NULL, OPT_FIELD},
        {"encoding", required_argument, NULL, OPT_ENCODING},
        {"assume-crs", required_argument, NULL, OPT_ASSUME_CRS},
        {"on-error", required_argument, NULL, OPT_ON_ERROR},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"output", required_argument, NULL, 'o'},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cli_common c;
    gs_validate_opts vo;
    gs_rules rules;
    gs_ctx *ctx = NULL;
    gs_report *rep = NULL;
    size_t nl = 0, nf = 0;
    int opt, rc, status;

    memset(&c, 0, sizeof c);
    c.threads = 2;
    gs_input_opts_init(&c.input);
    gs_validate_opts_init(&vo);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (opt) {
            case OPT_COMMUNITIES: vo.communities = optarg; break;
            case OPT_GRIDS: vo.grids = optarg; break;
            case OPT_HOUSEHOLDS: vo.households = optarg; break;
            case OPT_MEMBERS: vo.members = optarg; break;
            case OPT_LAYER:
                if (nl >= sizeof c.layers / sizeof c.layers[0])
                    return cli_usage_error("validate", "too many --layer");
                c.layers[nl++] = optarg;
                break;
            case OPT_FIELD:
                if (nf >= sizeof c.fields / sizeof c.fields[0])
                    return cli_usage_error("validate", "too many --field");
                c.fields[nf++] = optarg;
                break;
            case OPT_ENCODING: c.input.encoding = optarg; break;
            case OPT_ASSUME_CRS: c.input.assume_crs = optarg; break;
            case OPT_ON_ERROR:
                if (!strcmp(optarg, "skip"))
                    c.input.on_error = GS_ON_ERROR_SKIP;
                else if (!strcmp(optarg, "fail"))
                    c.input.on_error = GS_ON_ERROR_FAIL;
                else
                    return cli_usage_error("validate",
                                           "--on-error takes fail or skip, "
                                           "not '%s'", optarg);
                break;
            case OPT_CONFIG: c.config = optarg; break;
            case 'o': c.output = optarg; break;
            case OPT_STRICT: c.strict = 1; break;
            case OPT_JSON: c.json = 1; break;
            case OPT_QUIET: c.quiet = 1; break;
            case OPT_THREADS:
                c.threads = cli_parse_threads(optarg);
                if (!c.threads)
                    return cli_usage_error("validate",
                                           "--threads takes 1 to 64, not "
                                           "'%s'", optarg);
                break;
            case 'h': fputs(help, stdout); return EXIT_DONE;
            case ':':
                return cli_usage_error("validate", "%s needs a value",
                                       argv[optind - 1]);
            default:
                return cli_usage_error("validate", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("validate", "unexpected argument '%s'",
                               argv[optind]);
    if (!vo.communities || !vo.grids || !vo.households || !c.output)
        return cli_usage_error("validate",
                               "validate needs --communities, --grids, "
                               "--households and -o OUT.gpkg");
    c.input.layers = c.layers;
    c.input.n_layers = nl;
    c.input.fields = c.fields;
    c.input.n_fields = nf;
    vo.output = c.output;
    vo.input = &c.input;
    vo.threads = c.threads;

    rc = gs_ctx_create(&ctx);
    if (rc) {
        fputs("gridsmith: out of memory\n", stderr);
        return EXIT_IO;
    }
    gs_rules_init(&rules);
    if (c.config && (rc = gs_rules_load(ctx, &rules, c.config))) {
        status = cli_fail(ctx, rc);
        goto done;
    }
    vo.rules = &rules;
    c.command_line = cli_command_line("validate", argc, argv);
    vo.command_line = c.command_line;
    cli_hook(ctx, &c);
    rc = gs_validate_run(ctx, &vo, &rep);
    if (rc) {
        status = cli_fail(ctx, rc);
        goto done;
    }
    status = cli_finish(&c, rep);
done:
    gs_report_destroy(rep);
    gs_ctx_destroy(ctx);
    free(c.command_line);
    return status;
}
