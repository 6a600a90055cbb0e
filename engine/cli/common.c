/*
 * common.c - what every command shares: the common options, the context
 * set-up around a library call, progress and warnings on stderr, the
 * report on stdout, and the exit status of an error code.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(int err) {
    if (err == GS_OK) return EXIT_DONE;
    if (err >= 100 && err < 200) return EXIT_USAGE;
    if (err >= 200 && err < 300) return EXIT_INPUT;
    return EXIT_IO;
}

static int progress_drawn;

void cli_progress_done(void) {
    if (progress_drawn) {
        fputs("\r\033[K", stderr);
        progress_drawn = 0;
    }
}

/* The library names options as in its options structs ("week",
 * "trace_crs"); the command line shows them as its flags. */
const char *cli_optname(void *user, const char *option) {
    static const struct {
        const char *option, *flag;
    } special[] = {{"output", "-o"},
                   {"fields", "--field"},
                   {"layers", "--layer"},
                   {"hex_size_m", "--hex-size"}};
    static _Thread_local char flag[72];
    size_t n = 2;
    (void)user;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (!strcmp(option, special[i].option)) return special[i].flag;
    memcpy(flag, "--", 2);
    for (const char *p = option; *p && n + 1 < sizeof flag; p++)
        flag[n++] = *p == '_' ? '-' : *p;
    flag[n] = '\0';
    return flag;
}

int cli_fail(gs_ctx *ctx, int err) {
    cli_progress_done();
    fprintf(stderr, "gridsmith: %s\n",
            ctx && gs_ctx_errmsg(ctx)[0] ? gs_ctx_errmsg(ctx)
                                         : "failed (no message)");
    return cli_exit_code(err);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fputs("gridsmith: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'gridsmith %s --help' for usage.\n", cmd ? cmd : "");
    return EXIT_USAGE;
}

static void on_progress(void *user, const char *phase, double fraction) {
    (void)user;
    if (fraction >= 0)
        fprintf(stderr, "\r\033[K%s %3.0f%%", phase, fraction * 100.0);
    else
        fprintf(stderr, "\r\033[K%s ...", phase);
    progress_drawn = 1;
}

static void on_log(void *user, int level, const char *msg) {
    (void)user;
    cli_progress_done();
    fprintf(stderr, "gridsmith: %s%s\n",
            level == GS_LOG_WARNING ? "warning: " : "", msg);
}

void cli_hook(gs_ctx *ctx, const cli_common *c) {
    if (!c->quiet && isatty(STDERR_FILENO))
        gs_ctx_set_progress(ctx, on_progress, NULL);
    if (!c->quiet) gs_ctx_set_log(ctx, on_log, NULL);
}

char *cli_join_argv(int argc, char **argv) {
    size_t n = 1;
    char *s, *p;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) * 4 + 3;
    s = malloc(n);
    if (!s) return NULL;
    p = s;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *q = a; *q; q++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-_./=:,+@%",
                        *q) &&
                (unsigned char)*q < 0x80)
                plain = 0;
        if (i) *p++ = ' ';
        if (plain) {
            size_t l = strlen(a);
            memcpy(p, a, l);
            p += l;
        } else {
            *p++ = '\'';
            for (const char *q = a; *q; q++) {
                if (*q == '\'') {
                    memcpy(p, "'\\''", 4);
                    p += 4;
                } else {
                    *p++ = *q;
                }
            }
            *p++ = '\'';
        }
    }
    *p = '\0';
    return s;
}

char *cli_command_line(const char *cmd, int argc, char **argv) {
    /* argv[0] is the command's name: "gridsmith CMD args...". Each
     * argument is redacted before quoting, so that a connection string's
     * password is found in the form the user gave it. */
    char **clean = calloc(argc > 1 ? (size_t)argc : 1, sizeof *clean);
    char *args = NULL, *full;
    size_t n;
    int ok = clean != NULL;
    for (int i = 1; ok && i < argc; i++)
        ok = (clean[i - 1] = gs_redact(argv[i])) != NULL;
    if (ok) args = cli_join_argv(argc - 1, clean);
    for (int i = 1; clean && i < argc; i++) free(clean[i - 1]);
    free(clean);
    if (!args) return NULL;
    n = strlen(cmd) + strlen(args) + 16;
    full = malloc(n);
    if (full)
        snprintf(full, n, "gridsmith %s%s%s", cmd, *args ? " " : "", args);
    free(args);
    return full;
}

int cli_parse_threads(const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 64) return 0;
    return (int)v;
}

void cli_common_init(cli_common *c) {
    memset(c, 0, sizeof *c);
    c->threads = 2;
    gs_input_opts_init(&c->input);
}

int cli_common_option(cli_common *c, const char *cmd, const char *help, int opt,
                      int argc, char **argv) {
    (void)argc;
    switch (opt) {
        case CLI_OPT_LAYER:
            if (c->n_layers >= sizeof c->layers / sizeof c->layers[0])
                return cli_usage_error(cmd, "too many --layer");
            c->layers[c->n_layers++] = optarg;
            return CLI_CONTINUE;
        case CLI_OPT_FIELD:
            if (c->n_fields >= sizeof c->fields / sizeof c->fields[0])
                return cli_usage_error(cmd, "too many --field");
            c->fields[c->n_fields++] = optarg;
            return CLI_CONTINUE;
        case CLI_OPT_ENCODING: c->input.encoding = optarg; return CLI_CONTINUE;
        case CLI_OPT_ASSUME_CRS:
            c->input.assume_crs = optarg;
            return CLI_CONTINUE;
        case CLI_OPT_ON_ERROR:
            if (!strcmp(optarg, "skip"))
                c->input.on_error = GS_ON_ERROR_SKIP;
            else if (!strcmp(optarg, "fail"))
                c->input.on_error = GS_ON_ERROR_FAIL;
            else
                return cli_usage_error(
                    cmd, "--on-error takes fail or skip, not '%s'", optarg);
            return CLI_CONTINUE;
        case CLI_OPT_CONFIG: c->config = optarg; return CLI_CONTINUE;
        case 'o': c->output = optarg; return CLI_CONTINUE;
        case CLI_OPT_STRICT: c->strict = 1; return CLI_CONTINUE;
        case CLI_OPT_JSON: c->json = 1; return CLI_CONTINUE;
        case CLI_OPT_QUIET: c->quiet = 1; return CLI_CONTINUE;
        case CLI_OPT_THREADS:
            c->threads = cli_parse_threads(optarg);
            if (!c->threads)
                return cli_usage_error(cmd, "--threads takes 1 to 64, not '%s'",
                                       optarg);
            return CLI_CONTINUE;
        case CLI_OPT_SCHEMA: c->schema = optarg; return CLI_CONTINUE;
        case CLI_OPT_SHARD:
            if (c->n_shards >= sizeof c->shards / sizeof c->shards[0])
                return cli_usage_error(cmd, "too many --shard");
            c->shards[c->n_shards++] = optarg;
            return CLI_CONTINUE;
        case 'h': fputs(help, stdout); return EXIT_DONE;
        case ':':
            return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
        case '?':
            return cli_usage_error(cmd, "unknown option '%s'",
                                   argv[optind - 1]);
        default: return -1;
    }
}

int cli_run(cli_common *c, const char *cmd, int argc, char **argv,
            cli_run_fn fn, void *user) {
    gs_ctx *ctx = NULL;
    gs_report *rep = NULL;
    gs_rules rules;
    int rc, status;
    c->input.layers = c->layers;
    c->input.n_layers = c->n_layers;
    c->input.fields = c->fields;
    c->input.n_fields = c->n_fields;
    if (gs_ctx_create(&ctx) != GS_OK) {
        fputs("gridsmith: out of memory\n", stderr);
        return EXIT_IO;
    }
    gs_ctx_set_optname(ctx, cli_optname, NULL);
    gs_rules_init(&rules);
    if (c->schema && (!c->output || strncmp(c->output, "PG:", 3) != 0)) {
        status = cli_usage_error(cmd,
                                 "--schema goes with an output in "
                                 "PostgreSQL (-o PG:...)");
        goto done;
    }
    if ((rc = gs_ctx_set_shards(ctx, c->shards, c->n_shards)) ||
        (rc = gs_ctx_set_schema(ctx, c->schema))) {
        status = cli_fail(ctx, rc);
        goto done;
    }
    if (c->config && (rc = gs_rules_load(ctx, &rules, c->config))) {
        status = cli_fail(ctx, rc);
        goto done;
    }
    c->command_line = cli_command_line(cmd, argc, argv);
    cli_hook(ctx, c);
    rc = fn(ctx, c, &rules, user, &rep);
    status = rc ? cli_fail(ctx, rc) : cli_finish(c, rep);
    if (status == EXIT_USAGE)
        fprintf(stderr, "Run 'gridsmith %s --help' for usage.\n", cmd);
done:
    gs_report_destroy(rep);
    gs_ctx_destroy(ctx);
    free(c->command_line);
    c->command_line = NULL;
    return status;
}

int cli_finish(const cli_common *c, const gs_report *rep) {
    cli_progress_done();
    if (c->json) {
        fputs(gs_report_json(rep), stdout);
        fputc('\n', stdout);
    } else if (!c->quiet) {
        fputs(gs_report_text(rep), stdout);
    }
    if (c->strict && gs_report_findings(rep) > 0) return EXIT_FINDINGS;
    return EXIT_DONE;
}
