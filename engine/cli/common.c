/*
 * common.c - what every command shares: the common options, the context
 * set-up around a library call, progress and warnings on stderr, the
 * report on stdout, and the exit status of an error code.
 *
 * GDAL's conventions hold where a GDAL user would expect them: --config
 * KEY VALUE sets a GDAL configuration option (the rules file is --rules;
 * the former --config FILE still works, with a warning, when FILE is a
 * readable file and no value follows), --progress shows progress without
 * a terminal too (plain lines, or JSON lines for programs such as the
 * QGIS plugin), and with --json a failure is a JSON object on stdout.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* --json anywhere on the command line, and the command: for failures
 * reported before the options are parsed or the context exists. */
static int json_errors;
static const char *json_command = "";

/* --progress=json: warnings and the failure go to stderr as JSON lines. */
static int json_stream;

void cli_prescan(int argc, char **argv) {
    if (argc > 1 && argv[1][0] != '-') json_command = argv[1];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--json")) json_errors = 1;
    }
}

/* Writes `s` as a JSON string (quoted, escaped) to `fp`. The library's
 * messages are valid UTF-8, which JSON takes as it is. */
static void json_str(FILE *fp, const char *s) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", fp);
        else if (*p == '\t')
            fputs("\\t", fp);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

/* The failure as JSON: on stdout with --json, as a line on stderr with
 * --progress=json. */
static void report_failure(int code, int status, const char *msg) {
    if (json_errors) {
        printf("{\n  \"command\":");
        json_str(stdout, json_command);
        printf(
            ",\n  \"status\":\"error\",\n  \"exit_status\":%d,\n"
            "  \"code\":%d,\n  \"error\":\"%s\",\n  \"message\":",
            status, code, gs_err_name(code));
        json_str(stdout, msg);
        printf("\n}\n");
        fflush(stdout);
    }
    if (json_stream) {
        fprintf(stderr,
                "{\"type\":\"error\",\"code\":%d,\"error\":\"%s\","
                "\"exit_status\":%d,\"message\":",
                code, gs_err_name(code), status);
        json_str(stderr, msg);
        fputs("}\n", stderr);
    }
}

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
    const char *msg = ctx && gs_ctx_errmsg(ctx)[0] ? gs_ctx_errmsg(ctx)
                                                   : "failed (no message)";
    cli_progress_done();
    fprintf(stderr, "gridsmith: %s\n", msg);
    report_failure(err, cli_exit_code(err), msg);
    return cli_exit_code(err);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gridsmith: %s\nRun 'gridsmith %s%s--help' for usage.\n",
            msg, cmd ? cmd : "", cmd ? " " : "");
    report_failure(GS_ERR_USAGE, EXIT_USAGE, msg);
    return EXIT_USAGE;
}

/* What the last progress line showed, so that plain and JSON progress
 * print a line only when the phase changes or the fraction moves on. */
static char last_phase[128];
static double last_fraction = -2;

/* 1 when (phase, fraction) is worth a new line: another phase, or the
 * fraction past the next `step`. */
static int progress_moved(const char *phase, double fraction, double step) {
    int moved = fraction >= 0 &&
                (last_fraction < 0 || fraction >= last_fraction + step ||
                 (fraction >= 1.0 && last_fraction < 1.0));
    if (strcmp(phase, last_phase) != 0 || moved) {
        snprintf(last_phase, sizeof last_phase, "%s", phase);
        last_fraction = fraction;
        return 1;
    }
    return 0;
}

static void on_progress_bar(void *user, const char *phase, double fraction) {
    (void)user;
    if (fraction >= 0)
        fprintf(stderr, "\r\033[K%s %3.0f%%", phase, fraction * 100.0);
    else
        fprintf(stderr, "\r\033[K%s ...", phase);
    progress_drawn = 1;
}

static void on_progress_plain(void *user, const char *phase, double fraction) {
    (void)user;
    if (!progress_moved(phase, fraction, 0.1)) return;
    if (fraction >= 0)
        fprintf(stderr, "gridsmith: %s %.0f%%\n", phase, fraction * 100.0);
    else
        fprintf(stderr, "gridsmith: %s ...\n", phase);
}

static void on_progress_json(void *user, const char *phase, double fraction) {
    (void)user;
    if (!progress_moved(phase, fraction, 0.01)) return;
    fputs("{\"type\":\"progress\",\"phase\":", stderr);
    json_str(stderr, phase);
    if (fraction >= 0)
        fprintf(stderr, ",\"fraction\":%.3f}\n", fraction);
    else
        fputs(",\"fraction\":null}\n", stderr);
    fflush(stderr);
}

static void on_log(void *user, int level, const char *msg) {
    (void)user;
    cli_progress_done();
    fprintf(stderr, "gridsmith: %s%s\n",
            level == GS_LOG_WARNING ? "warning: " : "", msg);
}

static void on_log_json(void *user, int level, const char *msg) {
    (void)user;
    fprintf(stderr, "{\"type\":\"%s\",\"message\":",
            level == GS_LOG_WARNING ? "warning" : "info");
    json_str(stderr, msg);
    fputs("}\n", stderr);
    fflush(stderr);
}

void cli_hook(gs_ctx *ctx, const cli_common *c) {
    int tty = isatty(STDERR_FILENO), mode = c->progress;
    if (mode == CLI_PROGRESS_AUTO)
        mode = !c->quiet && tty ? CLI_PROGRESS_BAR : CLI_PROGRESS_NONE;
    else if (mode == CLI_PROGRESS_ON)
        mode = tty ? CLI_PROGRESS_BAR : CLI_PROGRESS_PLAIN;
    last_phase[0] = '\0';
    last_fraction = -2;
    json_stream = mode == CLI_PROGRESS_JSON;
    if (mode == CLI_PROGRESS_BAR)
        gs_ctx_set_progress(ctx, on_progress_bar, NULL);
    else if (mode == CLI_PROGRESS_PLAIN)
        gs_ctx_set_progress(ctx, on_progress_plain, NULL);
    else if (mode == CLI_PROGRESS_JSON)
        gs_ctx_set_progress(ctx, on_progress_json, NULL);
    /* An explicit JSON stream carries the warnings even with --quiet. */
    if (json_stream)
        gs_ctx_set_log(ctx, on_log_json, NULL);
    else if (!c->quiet)
        gs_ctx_set_log(ctx, on_log, NULL);
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

/* A GDAL configuration option's name: letters, digits and '_'. */
static int gdal_key(const char *s) {
    if (!*s || isdigit((unsigned char)*s)) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

static int readable_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, R_OK) == 0;
}

/* --config KEY VALUE (or KEY=VALUE): a GDAL configuration option, set at
 * once for the whole process, as GDAL's tools do. --config FILE, the
 * rules file's former option, still works when FILE is a readable file
 * and no value follows it, with a warning. */
static int config_option(cli_common *c, const char *cmd, int argc,
                         char **argv) {
    const char *key = optarg, *eq = strchr(optarg, '=');
    const char *next = optind < argc ? argv[optind] : NULL;
    if (eq && eq > key) {
        char k[256];
        size_t n = (size_t)(eq - key);
        if (n >= sizeof k ||
            gs_set_config_option((memcpy(k, key, n), k[n] = '\0', k), eq + 1))
            return cli_usage_error(cmd, "--config '%s': not KEY=VALUE", key);
        return CLI_CONTINUE;
    }
    if (gdal_key(key) && next &&
        (next[0] != '-' || next[1] == '\0' || isdigit((unsigned char)next[1]) ||
         next[1] == '.')) {
        if (gs_set_config_option(key, next))
            return cli_usage_error(cmd, "--config %s: not a GDAL option name",
                                   key);
        optind++;
        return CLI_CONTINUE;
    }
    if (readable_file(key)) {
        fprintf(stderr,
                "gridsmith: warning: --config FILE for the rules file is "
                "deprecated: use --rules %s (--config now takes a GDAL "
                "configuration option, KEY VALUE)\n",
                key);
        c->rules = key;
        return CLI_CONTINUE;
    }
    if (gdal_key(key))
        return cli_usage_error(cmd,
                               "--config %s needs a value: --config KEY "
                               "VALUE, e.g. --config OGR_SQLITE_CACHE 512",
                               key);
    return cli_usage_error(cmd,
                           "--config takes a GDAL configuration option, KEY "
                           "VALUE (e.g. --config OGR_SQLITE_CACHE 512); the "
                           "rules file is --rules FILE, and '%s' is no "
                           "readable file",
                           key);
}

/* --progress, --progress=MODE or --progress MODE. */
static int progress_option(cli_common *c, const char *cmd, int argc,
                           char **argv) {
    static const struct {
        const char *name;
        int mode;
    } modes[] = {{"plain", CLI_PROGRESS_PLAIN},
                 {"json", CLI_PROGRESS_JSON},
                 {"bar", CLI_PROGRESS_BAR},
                 {"none", CLI_PROGRESS_NONE}};
    const char *v = optarg;
    for (size_t i = 0;
         !v && optind < argc && i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(argv[optind], modes[i].name)) v = argv[optind++];
    if (!v) {
        c->progress = CLI_PROGRESS_ON;
        return CLI_CONTINUE;
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(v, modes[i].name)) {
            c->progress = modes[i].mode;
            return CLI_CONTINUE;
        }
    return cli_usage_error(cmd,
                           "--progress takes plain, json, bar or none, not "
                           "'%s'",
                           v);
}

int cli_common_option(cli_common *c, const char *cmd, const char *help, int opt,
                      int argc, char **argv) {
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
        case CLI_OPT_CONFIG: return config_option(c, cmd, argc, argv);
        case CLI_OPT_RULES: c->rules = optarg; return CLI_CONTINUE;
        case CLI_OPT_PROGRESS: return progress_option(c, cmd, argc, argv);
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
    if (c->rules && (rc = gs_rules_load(ctx, &rules, c->rules))) {
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
