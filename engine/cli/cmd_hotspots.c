/*
 * cmd_hotspots.c - `gridsmith hotspots`: options -> gs_hotspots_run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char *const help =
    "Usage: gridsmith hotspots --grids G --events E [--communities C]\n"
    "                          [--households H] [--calendar CAL]\n"
    "                          [--week 2026-W47 | --month 2026-11 |\n"
    "                           --from DATE --to DATE] -o OUT.gpkg\n"
    "\n"
    "Sums up reported events for the weekly analysis and the monthly\n"
    "summary (周分析, 月总结): where events concentrate beyond chance (hot\n"
    "spots), where they cluster, which places keep coming back, which\n"
    "events are overdue, and which grids see more every week. Writes a\n"
    "GeoPackage, styled for QGIS, and a density raster beside it\n"
    "(OUT_kde.tif, events per km^2 in the metric CRS, with its QGIS style\n"
    "OUT_kde.qml):\n"
    "  grid_events      per grid: events in the period, one count per\n"
    "                   category (cat_1, cat_2... most frequent first; QGIS\n"
    "                   shows each under its category's name, the table\n"
    "                   `categories` lists them), events_per_km2,\n"
    "                   events_per_100hh (with --households), open, overdue,\n"
    "                   resolved, self_resolved, mean_resolve_h,\n"
    "                   grid_mismatch, and Getis-Ord Gi* (gi_z, gi_p, gi_bin)\n"
    "  hex_hotspots     the same Gi* on hexagons (100 m across) clipped to\n"
    "                   the communities\n"
    "  emerging         each hexagon's emerging hot spot class over the\n"
    "                   weekly history\n"
    "  clusters         DBSCAN clusters (50 m, 5 events) as polygons, with\n"
    "                   count, dominant category and time span\n"
    "  trouble_spots    repeat_location (>= 3 events within 30 m in the 28\n"
    "                   days to the period end), overdue (any event open at\n"
    "                   the period end past its category's deadline in\n"
    "                   working days, older ones included), rising_grid\n"
    "  weekly_summary, monthly_summary   per community, street (first 9\n"
    "                   digits) and in total: counts, top categories, hot\n"
    "                   hexagons, resolution rate, self-resolved share, mean\n"
    "                   time to resolve, change versus the previous period\n"
    "  event_issues     events of the period whose grid_code disagrees\n"
    "                   with the location or names no grid, or that lie in\n"
    "                   no grid;  bad_rows: rows left out, by feature or\n"
    "                   line, with the field and the reason\n"
    "\n"
    "Definitions (docs/design.md, Hot spots):\n"
    "  - An event counts in the grid its location falls in (the lowest\n"
    "    grid_code where grids overlap, as for households); a given\n"
    "    grid_code that disagrees is reported, and used only for an event\n"
    "    in no grid. State (open, resolved, overdue) is as of the end of the\n"
    "    period; no period means every event.\n"
    "  - Gi*: binary weights with self, queen contiguity on grids (on\n"
    "    events per km^2; [hotspots] grid_gi_value = count | per_km2 |\n"
    "    per_100hh), ring-1 on hexagons (on counts). gi_bin +/-3, 2, 1 =\n"
    "    passes Benjamini-Hochberg at 0.01, 0.05, 0.10 (ESRI's per-level\n"
    "    FDR), so |gi_bin| >= 2 is exactly 'passes FDR at 0.05'; z and p\n"
    "    are not corrected. Fewer than 30 units, or no events: counts only,\n"
    "    Gi* fields empty (NULL), and the report says why.\n"
    "  - Emerging classes (new, consecutive, intensifying, persistent,\n"
    "    diminishing, sporadic, oscillating, historical hot/cold spots) from\n"
    "    each week's Gi* bins and the Mann-Kendall trend of the weekly\n"
    "    z-scores (p <= 0.10); with fewer than 8 weeks of history before the\n"
    "    period end the class is insufficient_history.\n"
    "  - Rising grids: Mann-Kendall on the grid's weekly counts, S > 0 and\n"
    "    p passing Benjamini-Hochberg at 0.10 across grids (90 %, as the\n"
    "    emerging trend), with 8 weeks of history or more.\n"
    "  - Density: quartic kernel; bandwidth 0.9 min(SD, sqrt(1/ln 2) Dm)\n"
    "    n^-0.2 (ArcGIS's default), recorded in run_metadata.\n"
    "\n"
    "Inputs:\n"
    "  --grids G         grid polygons (grid_code, community_code, name)\n"
    "  --events E        event points or a CSV with lon/lat: event_id,\n"
    "                    category, reported_at, resolved_at, status (open,\n"
    "                    resolved, self_resolved), grid_code (optional)\n"
    "  --communities C   community polygons, which the hexagons are clipped\n"
    "                    to (default: the grids), and their names\n"
    "  --households H    household points, for events_per_100hh\n"
    "  --calendar CAL    CSV date,workday: holidays and make-up workdays\n"
    "                    (调休) for deadlines in working days\n"
    "  --week W | --month M | --from D --to D   the period (inclusive)\n"
    "  --tz ZONE         zone of times without an offset (Asia/Shanghai)\n"
    "  --hex-size M      hexagon size across flats in metres (100)\n"
    "  --event-crs CRS   how the events' coordinates are to be read: wgs84\n"
    "                    (default), gcj02 (Mars coordinates of every map\n"
    "                    licensed in China), bd09 (Baidu), or EPSG:n;\n"
    "                    as patrol's --trace-crs\n"
    "  --layer ROLE=NAME, --field ROLE.FIELD=SOURCE, --encoding ENC,\n"
    "  --assume-crs CRS  as for validate; the events' role is 'events'\n"
    "                    (e.g. --field events.category=leibie). A CSV's\n"
    "                    lon/lat columns are WGS84 whatever --assume-crs\n"
    "                    says: use --event-crs for them\n"
    "\n"
    "Output and behaviour:\n"
    "  -o, --output OUT.gpkg   the GeoPackage to write (replaced atomically,\n"
    "                    then OUT_kde.tif and OUT_kde.qml)\n"
    "  --rules FILE      thresholds ([hotspots] hex_size_m=100,\n"
    "                    cluster_eps_m=50, cluster_min_events=5,\n"
    "                    min_units=30, repeat_radius_m=30,\n"
    "                    repeat_min_events=3, repeat_days=28,\n"
    "                    min_history_weeks=8, deadline_workdays=5,\n"
    "                    deadline.环境卫生=3 ...)\n"
    "  --strict          exit 1 when there is any trouble spot\n"
    "  --json            machine-readable summary on stdout\n"
    "  --quiet           print nothing but errors\n"
    "  --threads N       worker threads (default 2)\n"
    "\n" CLI_GDAL_HELP "\n" CLI_SCALE_HELP
    "\n"
    "Example (the bundled demo city, events 2026-W40 to W47):\n"
    "  gridsmith hotspots --grids datasets/demo/city.gpkg \\\n"
    "      --events datasets/demo/city.gpkg \\\n"
    "      --communities datasets/demo/city.gpkg \\\n"
    "      --households datasets/demo/city.gpkg \\\n"
    "      --calendar datasets/demo/calendar.csv --week 2026-W47 \\\n"
    "      -o out/hotspots.gpkg\n"
    "\n"
    "  hotspots: 2026-11-16 to 2026-11-22, 53 events in the period (468\n"
    "    usable read, 0 bad rows listed in bad_rows)\n"
    "    grids: 22 grids, fewer than the 30 Gi* needs: counts only\n"
    "    hexagons (100 m): 114; 4 hot spots (3 at 99%), 0 cold, passing FDR\n"
    "    0.05; 0 more at 90%\n"
    "    clusters (DBSCAN 50 m, 5 events): 2\n"
    "    trouble spots: 18 repeat locations, 29 overdue events, 2 rising\n"
    "    grids\n"
    "    emerging hot spots over 8 weeks (2026-W40 to 2026-W47):\n"
    "    consecutive_hot_spot 4; no_pattern 110\n"
    "    ...\n"
    "\n"
    "  The hot hexagons, the first cluster and both rising grids\n"
    "  (110108001001006 and its neighbour 110108001001001) are at the market\n"
    "  street of 田村社区, planted in the demo data; the garbage point\n"
    "  (110108002001001) is the second cluster, and the old compound\n"
    "  (110108002002004) shows as repeat locations.\n"
    "\n"
    "Merging shards (the reduce step after `--shard` runs; docs/design.md,\n"
    "Shards and PostGIS outputs):\n"
    "  --merge SRC       (repeatable) the output of one `hotspots --shard`\n"
    "                    run: a GeoPackage, a PG: string with\n"
    "                    active_schema=SCHEMA, or with a PG: -o a bare\n"
    "                    schema name in that database. Reads no grids or\n"
    "                    events: writes grid_events, hex_hotspots and\n"
    "                    categories as one run over all the shards writes\n"
    "                    them (categories ordered over all shards, Gi* on\n"
    "                    grids and hexagons over all units), and\n"
    "                    run_metadata. Emerging classes, clusters, trouble\n"
    "                    spots, summaries and density stay per shard. The\n"
    "                    shards must be disjoint and of one period, with the\n"
    "                    same --rules and --hex-size as this merge.\n"
    "  gridsmith hotspots --merge a.gpkg --merge b.gpkg -o all.gpkg\n"
    "  gridsmith hotspots --merge hs_110108 --merge hs_110101 \\\n"
    "      -o PG:dbname=grid --schema w47_hotspots\n"
    "\n"
    "Exit status: 0 done; 1 trouble spots with --strict; 2 usage error;\n"
    "3 bad input (the message names file, layer, feature or line, and\n"
    "field); 4 I/O or internal error.\n";

/* The command's own options, each a string of gs_hotspots_opts but
 * --hex-size (HEX_SIZE); getopt_long returns 256 + the index. */
#define HEX_SIZE ((size_t)-1)
#define MERGE ((size_t)-2)
static const struct {
    const char *name;
    size_t off;
} own[] = {{"grids", offsetof(gs_hotspots_opts, grids)},
           {"events", offsetof(gs_hotspots_opts, events)},
           {"communities", offsetof(gs_hotspots_opts, communities)},
           {"households", offsetof(gs_hotspots_opts, households)},
           {"calendar", offsetof(gs_hotspots_opts, calendar)},
           {"week", offsetof(gs_hotspots_opts, week)},
           {"month", offsetof(gs_hotspots_opts, month)},
           {"from", offsetof(gs_hotspots_opts, from)},
           {"to", offsetof(gs_hotspots_opts, to)},
           {"tz", offsetof(gs_hotspots_opts, tz)},
           {"event-crs", offsetof(gs_hotspots_opts, event_crs)},
           {"hex-size", HEX_SIZE},
           {"merge", MERGE}};

#define N_OWN (sizeof own / sizeof own[0])

static int run(gs_ctx *ctx, const cli_common *c, const gs_rules *rules,
               void *user, gs_report **out_report) {
    gs_hotspots_opts *ho = user;
    ho->common.output = c->output;
    ho->common.input = &c->input;
    ho->common.rules = rules;
    ho->common.threads = c->threads;
    ho->common.command_line = c->command_line;
    return gs_hotspots_run(ctx, ho, out_report);
}

/* --hex-size: metres, 1 to 100,000; 0 for a bad value. */
static double hex_size(const char *s) {
    char *end;
    double v = strtod(s, &end);
    return end != s && !*end && isfinite(v) && v >= 1 && v <= 100000 ? v : 0;
}

int cmd_hotspots(int argc, char **argv) {
    static const struct option common[] = {CLI_COMMON_LONGOPTS,
                                           {NULL, 0, NULL, 0}};
    struct option longopts[N_OWN + sizeof common / sizeof common[0]];
    cli_common c;
    gs_hotspots_opts ho;
    const char **merge = calloc((size_t)argc + 1, sizeof *merge);
    size_t n_merge = 0;
    int opt, st;

    if (!merge) return cli_usage_error("hotspots", "out of memory");

    for (size_t k = 0; k < N_OWN; k++)
        longopts[k] =
            (struct option){own[k].name, required_argument, NULL, 256 + (int)k};
    memcpy(longopts + N_OWN, common, sizeof common);
    cli_common_init(&c);
    gs_hotspots_opts_init(&ho);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
           -1) {
        size_t k = (size_t)opt - 256;
        st = cli_common_option(&c, "hotspots", help, opt, argc, argv);
        if (st == CLI_CONTINUE) continue;
        if (st != -1) goto done;
        if (opt < 256 || k >= N_OWN) continue;
        if (own[k].off == MERGE) {
            merge[n_merge++] = optarg;
        } else if (own[k].off != HEX_SIZE) {
            *(const char **)((char *)&ho + own[k].off) = optarg;
        } else if (!(ho.hex_size_m = hex_size(optarg))) {
            st = cli_usage_error("hotspots",
                                 "--hex-size takes metres from 1 to "
                                 "100000, not '%s'",
                                 optarg);
            goto done;
        }
    }
    ho.merge = merge;
    ho.n_merge = n_merge;
    if (optind < argc)
        st = cli_usage_error("hotspots", "unexpected argument '%s'",
                             argv[optind]);
    else
        st = cli_run(&c, "hotspots", argc, argv, run, &ho);
done:
    free(merge);
    return st;
}
