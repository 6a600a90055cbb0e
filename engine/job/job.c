/*
 * job.c - `gridsmith run JOB`: the weekly job in one command.
 *
 * A job file (INI, parsed by inih like --config) names the inputs, the
 * week, the rules and the output directory:
 *
 *     [inputs]   communities, grids, households, members, traces, calendar,
 *                trace_crs, encoding
 *     [run]      week (default: the last complete ISO week), tz, rules
 *     [outputs]  dir (default "out"), ledger (default "ledger.gpkg")
 *
 * Paths are relative to the job file's folder, so a job folder can be moved
 * or shared as a whole. Everything is written inside the output directory:
 * the ledger must name a file there (no "..", no absolute path), and the
 * stage outputs are named for the week (validate-2026-W47.gpkg...). Stages
 * run in order, each through its public entry point, and the ledger records
 * the week last, in one transaction: a failed stage leaves the ledger
 * untouched, and re-running the week replaces it. The HTML report
 * (report_html.c) comes last, read back from the committed ledger into
 * DIR/report-WEEK.html.
 */
#define _POSIX_C_SOURCE 200809L
#include "job.h"

#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctx.h"
#include "ledger.h"
#include "rules.h"
#include "datetime.h"
#include "report.h"
#include "shard.h"

void gs_run_opts_init(gs_run_opts *o) {
    memset(o, 0, sizeof *o);
    o->version = GS_OPTS_VERSION;
    gs_common_opts_init(&o->common);
}

#define JOB_PATH 4096

typedef struct job {
    char dir[JOB_PATH]; /* the job file's folder */
    char communities[JOB_PATH], grids[JOB_PATH], households[JOB_PATH];
    char members[JOB_PATH], traces[JOB_PATH], calendar[JOB_PATH];
    char events[JOB_PATH];
    char rules[JOB_PATH];
    char trace_crs[64], encoding[64], week[16], tz[64];
    char out_dir[JOB_PATH], ledger[JOB_PATH];
    char err[512];
} job;

/* Resolves `value` against the job's folder into dst. */
static int job_path(const job *j, const char *value, char *dst) {
    char tmp[JOB_PATH];
    int n;
    if (!value[0]) {
        dst[0] = '\0';
        return 1;
    }
    /* A database connection is no path. */
    n = value[0] == '/' || !strncmp(value, "PG:", 3)
            ? snprintf(tmp, sizeof tmp, "%s", value)
            : snprintf(tmp, sizeof tmp, "%s/%s", j->dir, value);
    if (n <= 0 || n >= JOB_PATH) return 0;
    memcpy(dst, tmp, (size_t)n + 1);
    return 1;
}

static int on_job(void *user, const char *section, const char *name,
                  const char *value) {
    job *j = user;
    static const struct {
        const char *section, *name;
        size_t off;
        int is_path;
    } keys[] = {{"inputs", "communities", offsetof(job, communities), 1},
                {"inputs", "grids", offsetof(job, grids), 1},
                {"inputs", "households", offsetof(job, households), 1},
                {"inputs", "members", offsetof(job, members), 1},
                {"inputs", "traces", offsetof(job, traces), 1},
                {"inputs", "calendar", offsetof(job, calendar), 1},
                {"inputs", "events", offsetof(job, events), 1},
                {"inputs", "trace_crs", offsetof(job, trace_crs), 0},
                {"inputs", "encoding", offsetof(job, encoding), 0},
                {"run", "week", offsetof(job, week), 0},
                {"run", "tz", offsetof(job, tz), 0},
                {"run", "rules", offsetof(job, rules), 1},
                {"outputs", "dir", offsetof(job, out_dir), 1},
                {"outputs", "ledger", offsetof(job, ledger), 0}};
    if (j->err[0]) return 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *dst;
        if (strcmp(section, keys[i].section) || strcmp(name, keys[i].name))
            continue;
        dst = (char *)j + keys[i].off;
        if (keys[i].is_path) {
            if (!job_path(j, value, dst)) {
                snprintf(j->err, sizeof j->err, "[%s] %s: path too long",
                         section, name);
                return 0;
            }
        } else {
            size_t cap = keys[i].off == offsetof(job, ledger) ? JOB_PATH
                         : keys[i].off == offsetof(job, week) ? 16
                                                              : 64;
            if (strlen(value) >= cap) {
                snprintf(j->err, sizeof j->err, "[%s] %s: value too long",
                         section, name);
                return 0;
            }
            memcpy(dst, value, strlen(value) + 1);
        }
        return 1;
    }
    snprintf(j->err, sizeof j->err,
             "unknown key '%s' in [%s] (known: [inputs] communities, grids, "
             "households, members, traces, calendar, events, trace_crs, "
             "encoding; "
             "[run] week, tz, rules; [outputs] dir, ledger)",
             name, section);
    return 0;
}

static int load_job(gs_ctx *ctx, const char *path, job *j) {
    char *copy;
    struct stat st;
    int line;
    memset(j, 0, sizeof *j);
    if (stat(path, &st) != 0)
        return gs__err(ctx, GS_ERR_CONFIG, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return gs__err(ctx, GS_ERR_CONFIG, "%s: is a directory, not a job file",
                       path);
    copy = gs__strdup(path);
    if (!copy) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    snprintf(j->dir, sizeof j->dir, "%s", dirname(copy));
    free(copy);
    if (!job_path(j, "out", j->out_dir))
        return gs__err(ctx, GS_ERR_CONFIG, "%s: path too long", path);
    snprintf(j->ledger, sizeof j->ledger, "ledger.gpkg");
    line = ini_parse(path, on_job, j);
    if (line < 0)
        return gs__err(ctx, GS_ERR_CONFIG, "%s: cannot read the job file",
                       path);
    if (line > 0) {
        const char *why =
            j->err[0] ? j->err : gs__ini_syntax_error(path, &line);
        return gs__err(ctx, GS_ERR_CONFIG, "%s, line %d: %s", path, line, why);
    }
    /* The ledger stays inside the output directory: a plain file name
     * ("", "." and ".." name the directory or its parent). */
    if (!j->ledger[0] || !strcmp(j->ledger, ".") || strstr(j->ledger, "..") ||
        strchr(j->ledger, '/'))
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: [outputs] ledger = '%s' must be a file name in the "
                       "output directory (no folders, no '..')",
                       path, j->ledger);
    if (!j->communities[0] || !j->grids[0] || !j->households[0] ||
        !j->members[0])
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: [inputs] needs communities, grids, households and "
                       "members",
                       path);
    return GS_OK;
}

/* The Monday of the last complete ISO week, in Beijing time. */
static int32_t last_complete_week(void) {
    time_t now = time(NULL) + 8 * 3600;
    int32_t day = (int32_t)(now / 86400);
    return day - (gs__weekday(day) - 1) - 7;
}

/* The Monday of the job's week `w`, or of the last complete week when `w`
 * is empty. GS_ERR_CONFIG naming the job file for a malformed week. */
static int job_week(gs_ctx *ctx, const char *path, const char *w,
                    int32_t *out_monday) {
    if (!w[0]) {
        *out_monday = last_complete_week();
        return GS_OK;
    }
    if (gs__isoweek_parse(w, out_monday) != GS_OK)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: week '%s' is not an ISO week such as 2026-W47",
                       path, w);
    return GS_OK;
}

int gs__job_check(gs_ctx *ctx, const char *path) {
    job *j = gs__calloc(1, sizeof *j);
    int32_t monday;
    int rc;
    if (!j) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    rc = load_job(ctx, path, j);
    if (!rc) rc = job_week(ctx, path, j->week, &monday);
    free(j);
    return rc;
}

/* The schemas of a run into PostgreSQL: the ledger's (the context's
 * --schema, default "gridsmith") and the stages' beside it, named
 * BASE_validate, BASE_patrol and BASE_hotspots. A shard's hotspots go to
 * BASE_hotspots_SKEY (skey: the shard's name part), since their category
 * columns follow the shard's own categories. GS_ERR_USAGE when a name
 * would pass PostgreSQL's 63 characters. */
static int pg_schemas(gs_ctx *ctx, const char *skey, char base[64],
                      char validate[64], char patrol[64], char hotspots[64]) {
    const char *b = gs__ctx_schema(ctx, "gridsmith");
    size_t need = strlen(b) + sizeof "_hotspots_" + strlen(skey);
    if (need > 64)
        return gs__err(ctx, GS_ERR_USAGE,
                       "{schema} '%s': too long for the stage schemas beside "
                       "it (%s_hotspots_%s: at most 63 characters)",
                       b, b, skey);
    snprintf(base, 64, "%s", b);
    snprintf(validate, 64, "%s_validate", b);
    snprintf(patrol, 64, "%s_patrol", b);
    snprintf(hotspots, 64, "%s_hotspots%s%s", b, skey[0] ? "_" : "", skey);
    return GS_OK;
}

typedef struct stage {
    const char *name;
    double wall_s, peak_rss_mb;
    gs_report *report;
} stage;

int gs_run_job(gs_ctx *ctx, const gs_run_opts *opts, gs_report **out_report) {
    job j;
    stage st[8];
    int nst = 0, rc;
    int32_t monday;
    char week[16], started[32];
    char p_validate[JOB_PATH + 64], p_patrol[JOB_PATH + 64];
    char p_hotspots[JOB_PATH + 64];
    char p_ledger[2 * JOB_PATH], p_report[JOB_PATH + 64];
    /* PostgreSQL: the ledger's schema and one schema per stage. */
    const char *db = opts ? opts->database : NULL;
    char s_base[64] = "", s_validate[64], s_patrol[64], s_hotspots[64];
    /* The shard key as part of a name: "110108_110109", "" without one. */
    char skey[GS_MAX_SHARDS * 13 + 1];
    gs_rules rules;
    gs_input_opts in;
    json_object *o = NULL, *stages;
    gs__buf text;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    memset(st, 0, sizeof st);
    gs__buf_init(&text, 0);
    gs__utc_now(started, sizeof started);
    if (!opts || !opts->job || !out_report) {
        rc = gs__err(ctx, GS_ERR_USAGE, "run needs a job file");
        goto done;
    }
    if ((rc = gs__opts_check_version(ctx, opts->version))) goto done;
    if ((rc = load_job(ctx, opts->job, &j))) goto done;
    if ((rc = job_week(ctx, opts->job, opts->week ? opts->week : j.week,
                       &monday)))
        goto done;
    gs__isoweek_format(monday, week);
    gs_rules_init(&rules);
    if (j.rules[0] && (rc = gs_rules_load(ctx, &rules, j.rules))) goto done;
    snprintf(skey, sizeof skey, "%s", gs__shard_key(ctx));
    for (char *c = skey; *c; c++)
        if (*c == ',') *c = '_';
    if (db &&
        (rc = pg_schemas(ctx, skey, s_base, s_validate, s_patrol, s_hotspots)))
        goto done;
    if (mkdir(j.out_dir, 0777) != 0 && errno != EEXIST) {
        rc = gs__err(ctx, GS_ERR_IO,
                     "%s: cannot create the output directory: "
                     "%s",
                     j.out_dir, strerror(errno));
        goto done;
    }
    gs_input_opts_init(&in);
    if (j.encoding[0]) in.encoding = j.encoding;
    snprintf(p_validate, sizeof p_validate, "%s/validate-%s.gpkg", j.out_dir,
             week);
    snprintf(p_patrol, sizeof p_patrol, "%s/patrol-%s.gpkg", j.out_dir, week);
    snprintf(p_hotspots, sizeof p_hotspots, "%s/hotspots-%s.gpkg", j.out_dir,
             week);
    snprintf(p_ledger, sizeof p_ledger, "%s/%s", j.out_dir, j.ledger);
    if (db) {
        snprintf(p_validate, sizeof p_validate, "%s", db);
        snprintf(p_patrol, sizeof p_patrol, "%s", db);
        snprintf(p_hotspots, sizeof p_hotspots, "%s", db);
        /* Named without the connection string, which may hold a password. */
        snprintf(p_ledger, sizeof p_ledger, "PostgreSQL schema %s", s_base);
    } else {
        /* The ledger is updated in place, so a link would write wherever
         * it points: outside the output directory. */
        struct stat ls;
        if (lstat(p_ledger, &ls) == 0 && !S_ISREG(ls.st_mode)) {
            rc = gs__err(ctx, GS_ERR_CONFIG,
                         "%s: the ledger %s is a %s, not a file in the "
                         "output directory",
                         opts->job, p_ledger,
                         S_ISLNK(ls.st_mode)   ? "symbolic link"
                         : S_ISDIR(ls.st_mode) ? "directory"
                                               : "special file");
            goto done;
        }
    }
    /* Shards of one job share its output folder: each its own report. */
    snprintf(p_report, sizeof p_report, "%s/report-%s%s%s.html", j.out_dir,
             week, db && skey[0] ? "-" : "", db ? skey : "");

    {
        gs_validate_opts vo;
        double t0 = gs__now();
        gs_validate_opts_init(&vo);
        vo.communities = j.communities;
        vo.grids = j.grids;
        vo.households = j.households;
        vo.members = j.members;
        vo.common.output = p_validate;
        vo.common.input = &in;
        vo.common.rules = &rules;
        vo.common.command_line = opts->common.command_line;
        vo.common.threads = opts->common.threads;
        st[nst].name = "validate";
        if (db && (rc = gs_ctx_set_schema(ctx, s_validate))) goto done;
        if ((rc = gs_validate_run(ctx, &vo, &st[nst].report))) goto done;
        st[nst].wall_s = gs__now() - t0;
        st[nst++].peak_rss_mb = gs__peak_rss_mb();
    }
    if (j.traces[0]) {
        gs_patrol_opts po;
        double t0 = gs__now();
        gs_patrol_opts_init(&po);
        po.grids = j.grids;
        po.members = j.members;
        po.traces = j.traces;
        po.households = j.households;
        po.calendar = j.calendar[0] ? j.calendar : NULL;
        po.week = week;
        po.trace_crs = j.trace_crs[0] ? j.trace_crs : NULL;
        po.tz = j.tz[0] ? j.tz : NULL;
        po.common.output = p_patrol;
        po.common.input = &in;
        po.common.rules = &rules;
        po.common.command_line = opts->common.command_line;
        po.common.threads = opts->common.threads;
        st[nst].name = "patrol";
        if (db && (rc = gs_ctx_set_schema(ctx, s_patrol))) goto done;
        if ((rc = gs_patrol_run(ctx, &po, &st[nst].report))) goto done;
        st[nst].wall_s = gs__now() - t0;
        st[nst++].peak_rss_mb = gs__peak_rss_mb();
    }
    if (j.events[0]) {
        gs_hotspots_opts ho;
        double t0 = gs__now();
        gs_hotspots_opts_init(&ho);
        ho.grids = j.grids;
        ho.events = j.events;
        ho.communities = j.communities;
        ho.households = j.households;
        ho.calendar = j.calendar[0] ? j.calendar : NULL;
        ho.week = week;
        ho.tz = j.tz[0] ? j.tz : NULL;
        ho.common.output = p_hotspots;
        ho.common.input = &in;
        ho.common.rules = &rules;
        ho.common.command_line = opts->common.command_line;
        ho.common.threads = opts->common.threads;
        st[nst].name = "hotspots";
        if (db && (rc = gs_ctx_set_schema(ctx, s_hotspots))) goto done;
        if ((rc = gs_hotspots_run(ctx, &ho, &st[nst].report))) goto done;
        st[nst].wall_s = gs__now() - t0;
        st[nst++].peak_rss_mb = gs__peak_rss_mb();
    }
    {
        gs__ledger_part parts[5];
        size_t np = 0;
        double t0 = gs__now();
        json_object *run = json_object_new_object();
        /* In PostgreSQL a part names the stage's schema. */
        const char *v = db ? s_validate : p_validate;
        const char *p = db ? s_patrol : p_patrol;
        const char *h = db ? s_hotspots : p_hotspots;
        parts[np++] = (gs__ledger_part){GS__LS_VALIDATE_GRIDS, v};
        if (j.traces[0]) {
            parts[np++] = (gs__ledger_part){GS__LS_PATROL_MEMBER_DAY, p};
            parts[np++] = (gs__ledger_part){GS__LS_PATROL_MEMBER_WEEK, p};
        }
        if (j.events[0])
            parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_GRID_EVENTS, h};
        json_object_object_add(run, "job", json_object_new_string(opts->job));
        json_object_object_add(run, "week", json_object_new_string(week));
        for (int i = 0; i < nst; i++)
            json_object_object_add(
                run, st[i].name,
                json_tokener_parse(gs_report_json(st[i].report)));
        const char *rj =
            json_object_to_json_string_ext(run, JSON_C_TO_STRING_PLAIN);
        gs__gdal_enter(ctx);
        rc = db ? gs__ledger_record_pg(ctx, db, s_base, week, parts, np,
                                       opts->common.command_line, started, rj)
                : gs__ledger_record(ctx, p_ledger, week, parts, np,
                                    opts->common.command_line, started, rj);
        gs__gdal_leave(ctx);
        json_object_put(run);
        if (rc) goto done;
        st[nst].name = "ledger";
        st[nst].wall_s = gs__now() - t0;
        st[nst++].peak_rss_mb = gs__peak_rss_mb();
    }
    {
        /* The report reads the week back from the committed ledger (in
         * PostGIS: the shard's rows of its schema). */
        char pg_ledger[JOB_PATH + 96];
        gs_report_html_opts ro;
        double t0 = gs__now();
        gs_report_html_opts_init(&ro);
        snprintf(pg_ledger, sizeof pg_ledger, "%s active_schema=%s",
                 db ? db : "", s_base);
        ro.ledger = db ? pg_ledger : p_ledger;
        ro.week = week;
        ro.common.output = p_report;
        ro.common.rules = &rules;
        st[nst].name = "report";
        if ((rc = gs_report_html_run(ctx, &ro, &st[nst].report))) goto done;
        st[nst].wall_s = gs__now() - t0;
        st[nst++].peak_rss_mb = gs__peak_rss_mb();
    }

    o = json_object_new_object();
    stages = json_object_new_array();
    if (!o || !stages) {
        if (stages) json_object_put(stages);
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    json_object_object_add(o, "command", json_object_new_string("run"));
    json_object_object_add(o, "week", json_object_new_string(week));
    json_object_object_add(o, "ledger", json_object_new_string(p_ledger));
    gs__buf_printf(&text, "run %s: week %s\n", opts->job, week);
    for (int i = 0; i < nst; i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "stage", json_object_new_string(st[i].name));
        json_object_object_add(s, "wall_s",
                               json_object_new_double(st[i].wall_s));
        json_object_object_add(s, "peak_rss_mb",
                               json_object_new_double(st[i].peak_rss_mb));
        if (st[i].report) {
            json_object_object_add(
                s, "report", json_tokener_parse(gs_report_json(st[i].report)));
            gs__buf_puts(&text, gs_report_text(st[i].report));
        }
        json_object_array_add(stages, s);
    }
    json_object_object_add(o, "stages", stages);
    gs__buf_printf(&text, "  recorded %s in the ledger %s\n", week, p_ledger);

    {
        long findings = 0;
        /* The report restates patrol's findings; count them once. */
        for (int i = 0; i < nst; i++)
            if (strcmp(st[i].name, "report"))
                findings += gs_report_findings(st[i].report);
        ctx->n_phases = 0;
        *out_report = gs__report_from_buf(ctx, o, &text, findings);
        o = NULL;
        if (!*out_report) rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
done:
    if (o) json_object_put(o);
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        gs_report_destroy(st[i].report);
    gs__buf_free(&text);
    return rc;
}
