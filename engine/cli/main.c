/*
 * main.c - the gridsmith command: its help and the dispatch to a command.
 *
 * Each command lives in cmd_<verb>.c, parses its own options with
 * getopt_long and calls the library's public API. Only the CLI prints:
 * results on stdout (text, or JSON with --json), messages on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

static const char *const main_help =
    "gridsmith " GS_VERSION_STRING
    " - GIS batch engine for community grid management (网格化服务管理)\n"
    "\n"
    "Usage: gridsmith COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  validate   check grids against the sizing standard, the roster and\n"
    "             coverage topology; writes layers grids, issues,\n"
    "             issue_points, summary\n"
    "  patrol     GPS traces -> patrol time in each member's grid, daily and\n"
    "             weekly compliance, coverage, households reached, GPS\n"
    "             problems\n"
    "  hotspots   events -> counts per grid and category, Gi* hot and cold\n"
    "             spots on grids and hexagons, clusters, density, trouble\n"
    "             spots, emerging hot spots, weekly and monthly summaries\n"
    "  run        the weekly job from a job file: validate + patrol +\n"
    "             hotspots, kept in the ledger, then the report\n"
    "  assess     the monthly assessment of each member from the ledger,\n"
    "             offline scores and verified service visits: sub-scores,\n"
    "             total and tier (优秀/良好/合格/不合格)\n"
    "  partition  divide communities into grids of 300-500 households\n"
    "             that follow barriers; writes layers grids, summary\n"
    "  report     the week's HTML report from the ledger for the street\n"
    "             office: compliance, maps, overdue events, trend\n"
    "\n"
    "Options every command takes, as GDAL's tools do: --config KEY VALUE\n"
    "(a GDAL configuration option), --progress[=plain|json] (progress on\n"
    "stderr, also without a terminal), --json (the summary, or the failure,\n"
    "as JSON on stdout), --rules FILE (thresholds); inputs may be\n"
    "/vsizip/, /vsigzip/ or /vsicurl/ paths.\n"
    "\n"
    "Run 'gridsmith COMMAND --help' for a command's options and a worked\n"
    "example. Exit status: 0 done; 1 findings (only with --strict); 2 usage\n"
    "error; 3 bad input; 4 I/O or internal error. Definitions:\n"
    "docs/design.md; output fields: docs/outputs.md.\n";

/* The commands, each in cmd_<name>.c. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {{"validate", cmd_validate},  {"patrol", cmd_patrol},
                {"hotspots", cmd_hotspots},  {"run", cmd_run},
                {"assess", cmd_assess},      {"report", cmd_report},
                {"partition", cmd_partition}};

/* SIGINT, SIGTERM, SIGHUP: the library removes the run's temporaries
 * (or, inside the ledger's transaction, rolls back first and raises the
 * signal again), then the process ends by the signal itself, so the shell
 * sees 128 + its number (130 for Ctrl-C, 143 for SIGTERM). Earlier outputs
 * and the ledger are untouched: every output is renamed into place whole. */
static void on_signal(int sig) {
    static const char msg[] =
        "gridsmith: 已中断，临时文件已删除；已完成的输出与台账保持原样 "
        "(interrupted: temporary files removed; finished outputs and the "
        "ledger are as they were)\n";
    if (!gs_interrupted(sig)) return; /* the ledger rolls back first */
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing to do: the process ends all the same */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us (nohup) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int main(int argc, char **argv) {
    const char *cmd;
    cli_prescan(argc, argv);
    catch_signals();
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(main_help, stdout);
        return EXIT_DONE;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("gridsmith %s\n", gs_version());
        return EXIT_DONE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    return cli_usage_error(NULL,
                           "unknown command '%s' (one of validate, "
                           "patrol, hotspots, run, assess, report, "
                           "partition)",
                           cmd);
}
