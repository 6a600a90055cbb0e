/*
 * cli.h - what the command files share (main.c): option helpers, output.
 *
 * The CLI uses only the public API (include/gridsmith/gridsmith.h). It
 * alone prints and exits. Exit status: 0 done; 1 findings with --strict;
 * 2 usage error; 3 bad input; 4 I/O or internal error.
 */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <stddef.h>

#include "gridsmith/gridsmith.h"

enum { EXIT_DONE = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INPUT = 3,
       EXIT_IO = 4 };

/* Options every command shares. */
typedef struct cli_common {
    int quiet;
    int json;
    int strict;
    int threads;
    const char *config;
    const char *output;
    gs_input_opts input;
    const char *layers[32];
    const char *fields[64];
    char *command_line; /* owned */
} cli_common;

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

int cmd_validate(int argc, char **argv);
int cmd_patrol(int argc, char **argv);

#endif
