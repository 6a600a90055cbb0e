/*
 * cli.h - what the command files share (common.c): option helpers, output.
 *
 * The CLI uses only the public API (include/gridsmith/gridsmith.h). It
 * alone prints and exits. Exit status: 0 done; 1 findings with --strict;
 * 2 usage error; 3 bad input; 4 I/O or internal error.
 */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <stddef.h>

#include "gridsmith/gridsmith.h"

enum {
    EXIT_DONE = 0,
    EXIT_FINDINGS = 1,
    EXIT_USAGE = 2,
    EXIT_INPUT = 3,
    EXIT_IO = 4
};

/* How progress is shown on stderr (--progress). */
enum {
    CLI_PROGRESS_AUTO = 0, /* a bar on a terminal, else nothing */
    CLI_PROGRESS_ON,       /* --progress alone: a bar on a terminal, else
                              plain lines */
    CLI_PROGRESS_NONE,
    CLI_PROGRESS_BAR,   /* one line redrawn in place */
    CLI_PROGRESS_PLAIN, /* "gridsmith: PHASE 40%" lines */
    CLI_PROGRESS_JSON   /* one JSON object a line, warnings and the
                           failure included */
};

/* Options every command shares. */
typedef struct cli_common {
    int quiet;
    int json;
    int strict;
    int threads;
    int progress;      /* CLI_PROGRESS_* */
    const char *rules; /* --rules FILE (or the old --config FILE) */
    const char *output;
    gs_input_opts input;
    const char *layers[32];
    size_t n_layers;
    const char *fields[64];
    size_t n_fields;
    const char *schema;     /* --schema, for a PG: output */
    const char *shards[64]; /* --shard, one or more */
    size_t n_shards;
    char *command_line; /* owned */
} cli_common;

/* Ids of the shared options; a command's own start at 256. */
enum {
    CLI_OPT_LAYER = 1000,
    CLI_OPT_FIELD,
    CLI_OPT_ENCODING,
    CLI_OPT_ASSUME_CRS,
    CLI_OPT_ON_ERROR,
    CLI_OPT_CONFIG,
    CLI_OPT_STRICT,
    CLI_OPT_JSON,
    CLI_OPT_QUIET,
    CLI_OPT_THREADS,
    CLI_OPT_SCHEMA,
    CLI_OPT_SHARD,
    CLI_OPT_RULES,
    CLI_OPT_PROGRESS
};

/* The shared entries of a command's getopt_long table (put them last,
 * before the terminating zero entry). */
/* clang-format off */
#define CLI_COMMON_LONGOPTS                                        \
    {"layer", required_argument, NULL, CLI_OPT_LAYER},             \
        {"field", required_argument, NULL, CLI_OPT_FIELD},         \
        {"encoding", required_argument, NULL, CLI_OPT_ENCODING},   \
        {"assume-crs", required_argument, NULL, CLI_OPT_ASSUME_CRS}, \
        {"on-error", required_argument, NULL, CLI_OPT_ON_ERROR},   \
        {"config", required_argument, NULL, CLI_OPT_CONFIG},       \
        {"output", required_argument, NULL, 'o'},                  \
        {"strict", no_argument, NULL, CLI_OPT_STRICT},             \
        {"json", no_argument, NULL, CLI_OPT_JSON},                 \
        {"quiet", no_argument, NULL, CLI_OPT_QUIET},               \
        {"threads", required_argument, NULL, CLI_OPT_THREADS},     \
        {"schema", required_argument, NULL, CLI_OPT_SCHEMA},       \
        {"shard", required_argument, NULL, CLI_OPT_SHARD},         \
        {"rules", required_argument, NULL, CLI_OPT_RULES},         \
        {"progress", optional_argument, NULL, CLI_OPT_PROGRESS},   \
        {"help", no_argument, NULL, 'h'}
/* clang-format on */

/* The getopt_long short options every command uses. */
#define CLI_SHORTOPTS ":o:h"

/* Defaults: two threads, fail on bad features. */
void cli_common_init(cli_common *c);

/* Handles option `opt` (as getopt_long returned it) if it is a shared one,
 * an unknown one, a missing value or --help. Returns -1 when the option is
 * the command's own; otherwise the command stops with the returned exit
 * status unless it is CLI_CONTINUE. `help` is printed for --help. */
#define CLI_CONTINUE (-2)
int cli_common_option(cli_common *c, const char *cmd, const char *help, int opt,
                      int argc, char **argv);

/* Help text of the options every command shares for PostgreSQL outputs
 * and shards, for each command's --help. */
#define CLI_SCALE_HELP                                                         \
    "Shards and PostgreSQL/PostGIS:\n"                                         \
    "  -o PG:CONNECTION    write into PostGIS instead of a GeoPackage, e.g.\n" \
    "                      -o 'PG:dbname=grid host=db' (one transaction;\n"    \
    "                      every row carries the run's shard key)\n"           \
    "  --schema NAME       the schema of a PG: output (default public)\n"      \
    "  --shard PREFIX      only the communities whose code starts with\n"      \
    "                      PREFIX (district 110108, street 110108001); may\n"  \
    "                      be repeated. Reads the shard and its halo only\n"   \
    "                      and writes the rows the shard owns\n"               \
    "                      (docs/design.md, Shards and PostGIS outputs)\n"

/* Help text of the GDAL-style options every command shares. */
#define CLI_GDAL_HELP                                                          \
    "GDAL conventions:\n"                                                      \
    "  --rules FILE        the thresholds file (INI; docs/design.md, Rules\n"  \
    "                      file)\n"                                            \
    "  --config KEY VALUE  a GDAL configuration option, as GDAL's tools "      \
    "take\n"                                                                   \
    "                      it, e.g. --config OGR_SQLITE_CACHE 512 (also\n"     \
    "                      KEY=VALUE; repeatable). The former --config FILE\n" \
    "                      still reads a rules file, with a warning\n"         \
    "  --progress[=MODE]   progress on stderr, also without a terminal:\n"     \
    "                      plain (lines), json (one JSON object a line, "      \
    "with\n"                                                                   \
    "                      warnings and the failure, for programs), bar, or\n" \
    "                      none; without MODE a bar on a terminal, else\n"     \
    "                      plain. Default: a bar on a terminal only\n"         \
    "  --json              the summary as JSON on stdout; a failure too, as\n" \
    "                      {\"status\": \"error\", \"code\", "                 \
    "\"exit_status\",\n"                                                       \
    "                      \"message\"}\n"                                     \
    "  Inputs may be in GDAL's virtual file systems, e.g.\n"                   \
    "  /vsizip/city.zip/grids.shp, /vsigzip/traces.csv.gz,\n"                  \
    "  /vsicurl/https://example.org/city.gpkg. Outputs are GeoPackages\n"      \
    "  (-o NAME.gpkg) or PostgreSQL (-o PG:...); convert with ogr2ogr.\n"

/* Notes that the command line asks for --json, so that failures before and
 * during the run are reported as JSON on stdout too (main.c calls it with
 * the whole command line before dispatching). */
void cli_prescan(int argc, char **argv);

/* Runs a command: `fn` gets the context, the loaded rules and the common
 * options and calls the library. Creates the context, loads --rules,
 * hooks progress and warnings, prints the result, frees everything, and
 * returns the exit status. */
typedef int (*cli_run_fn)(gs_ctx *ctx, const cli_common *c,
                          const gs_rules *rules, void *user,
                          gs_report **out_report);
int cli_run(cli_common *c, const char *cmd, int argc, char **argv,
            cli_run_fn fn, void *user);

/* The option-name hook (gs_optname_fn): a library option's name as this
 * command line's flag ("week" -> "--week", "output" -> "-o"). */
const char *cli_optname(void *user, const char *option);

/* Maps a library error code to the exit status. */
int cli_exit_code(int err);

/* Prints "gridsmith: MESSAGE" to stderr and returns the exit status. */
int cli_fail(gs_ctx *ctx, int err);

/* Prints a usage error with a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Hooks progress and warnings to stderr according to the options. */
void cli_hook(gs_ctx *ctx, const cli_common *c);

/* Ends the progress line, if one was drawn. */
void cli_progress_done(void);

/* Joins argv into one shell-quoted line (for the run metadata). */
char *cli_join_argv(int argc, char **argv);

/* "gridsmith CMD args..." for the run metadata, from a command's argv
 * (argv[0] is the command's name); caller frees. */
char *cli_command_line(const char *cmd, int argc, char **argv);

/* Parses --threads' value; 0 on a bad value. */
int cli_parse_threads(const char *s);

/* Prints the report: JSON on stdout with --json, else the text summary
 * unless --quiet. Returns the exit status for a successful run. */
int cli_finish(const cli_common *c, const gs_report *rep);

#endif
