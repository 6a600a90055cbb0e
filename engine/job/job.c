/*
 * job.c - `gridsmith run JOB`: the weekly job in one command.
 *
 * A job file (INI, parsed by inih like --config) names the inputs, the
 * week, the rules and the output directory:
 *
 *     [inputs]   communities, grids, households, members, traces, calendar,
 *                trace_crs, event_crs, encoding
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
 * (report_run.c) comes last, read back from the committed ledger into
 * DIR/report-WEEK.html.
 *
 * gs_run_job reads as these steps: load the job, place the outputs, run
 * validate, patrol (with traces) and hotspots (with events), record the
 * ledger, write the HTML report, and make the run's report of them all.
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
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "ctx.h"
#include "i18n.h"
#include "ledger.h"
#include "qgis_project.h"
#include "rules.h"
#include "datetime.h"
#include "io.h"
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
    char trace_crs[64], event_crs[64], encoding[64], week[16], tz[64];
    char time_format[128];
    char out_dir[JOB_PATH], ledger[JOB_PATH];
    char err[512];
} job;

/* Folds "./" and "NAME/.." out of the relative or absolute path `p` (in
 * place), so messages name datasets/demo/../../out as out. NAME/.. is
 * folded only when NAME is a directory and no symbolic link: through a
 * link, ".." is the link target's parent, and the folded path would name
 * another file. */
static void job_tidy_path(char *p) {
    char out[JOB_PATH];
    size_t n = 0, keep = 0; /* bytes of `out`; bytes no ".." may fold */
    const char *s = p;
    struct stat st;
    if (*s == '/') out[n++] = '/', s++, keep = 1;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
            /* an empty or "." component: nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.' && n > keep) {
            size_t start = n;
            while (start > keep && out[start - 1] != '/') start--;
            out[n] = '\0';
            if (lstat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
                n = start; /* NAME/.. folded */
                if (n > 1 && out[n - 1] == '/') n--;
            } else {
                if (n + 3 >= sizeof out) return; /* as given */
                memcpy(out + n, "/..", 3);
                keep = n += 3;
            }
        } else if (len == 2 && s[0] == '.' && s[1] == '.' && n == 1 &&
                   out[0] == '/') {
            /* "/.." is "/" */
        } else {
            if (n > 0 && out[n - 1] != '/') out[n++] = '/';
            if (n + len >= sizeof out) return; /* as given */
            memcpy(out + n, s, len);
            n += len;
            if (len == 2 && s[0] == '.' && s[1] == '.') keep = n;
        }
        s += len;
        if (*s == '/') s++;
    }
    if (n == 0) out[n++] = '.';
    out[n] = '\0';
    memcpy(p, out, n + 1);
}

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
    if (strncmp(tmp, "PG:", 3)) job_tidy_path(tmp);
    memcpy(dst, tmp, strlen(tmp) + 1);
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
                {"inputs", "event_crs", offsetof(job, event_crs), 0},
                {"inputs", "encoding", offsetof(job, encoding), 0},
                {"inputs", "time_format", offsetof(job, time_format), 0},
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
                         : keys[i].off == offsetof(job, time_format)
                             ? sizeof j->time_format
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
             "event_crs, encoding, time_format; "
             "[run] week, tz, rules; [outputs] dir, ledger)",
             name, section);
    return 0;
}

/* 1 when `name` can be the ledger: a GeoPackage (.gpkg) that is none of
 * the files the job writes for any week (validate-WEEK.gpkg,
 * patrol-WEEK.gpkg, hotspots-WEEK.gpkg and its _kde.tif and _kde.qml,
 * report-WEEK[-SHARD].html) nor a hidden temporary (.NAME.PID.tmp...,
 * the ledger's lock). Checked before anything is written. */
static int ledger_name_ok(const char *name) {
    static const char *const ours[] = {"validate-", "patrol-", "hotspots-",
                                       "report-"};
    size_t n = strlen(name);
    if (name[0] == '.') return 0;
    if (n <= 5 || strcasecmp(name + n - 5, ".gpkg") != 0) return 0;
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (!strncasecmp(name, ours[i], strlen(ours[i]))) return 0;
    return 1;
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
    if (!ledger_name_ok(j->ledger))
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: [outputs] ledger = '%s' is a name the job writes "
                       "its own files under (validate-, patrol-, hotspots-, "
                       "report-WEEK..., a hidden temporary): some week's "
                       "output would replace the ledger and every week it "
                       "holds. Name it e.g. ledger.gpkg (a .gpkg file)",
                       path, j->ledger);
    if (!j->communities[0] || !j->grids[0] || !j->households[0] ||
        !j->members[0])
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: [inputs] needs communities, grids, households and "
                       "members",
                       path);
    return GS_OK;
}

/* The Monday of the last complete ISO week in the zone `zone` (the job's
 * [run] tz; NULL or "": Asia/Shanghai). GS_ERR_USAGE for an unknown zone. */
static int last_complete_week(gs_ctx *ctx, const char *zone,
                              int32_t *out_monday) {
    gs__tz *tz;
    int32_t day;
    int rc = gs__tz_open(ctx, zone && zone[0] ? zone : NULL, &tz);
    if (rc) return rc;
    day = gs__local_day(tz, gs__epoch_now() * 1000);
    gs__tz_close(tz);
    *out_monday = day - (gs__weekday(day) - 1) - 7;
    return GS_OK;
}

/* The Monday of the job's week `w`, or of the last complete week in the
 * job's zone `zone` when `w` is empty. GS_ERR_CONFIG naming the job file
 * for a malformed week. */
static int job_week(gs_ctx *ctx, const char *path, const char *w,
                    const char *zone, int32_t *out_monday) {
    if (!w[0]) {
        int rc = last_complete_week(ctx, zone, out_monday);
        /* The zone is the job file's: a job-file error naming it. */
        if (rc == GS_ERR_USAGE) {
            char why[GS__ERRMSG_MAX];
            snprintf(why, sizeof why, "%s", gs_ctx_errmsg(ctx));
            ctx->errcode = GS_OK; /* the first error wins otherwise */
            return gs__err(ctx, GS_ERR_CONFIG, "%s: [run] tz = '%s': %s", path,
                           zone, why);
        }
        return rc;
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
    if (!rc) rc = job_week(ctx, path, j->week, j->tz, &monday);
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

/* The most weeks one run with {since} catches up: two years. */
#define MAX_SPAN_WEEKS 104

typedef struct stage {
    const char *name;
    double wall_s, peak_rss_mb;
    gs_report *report;
} stage;

/* One run of a job: the job file, the week, where every stage writes, the
 * stages run so far with their reports. */
typedef struct jrun {
    gs_ctx *ctx;
    const gs_run_opts *opts;
    job j;
    stage st[8];
    int nst;
    int32_t monday, first; /* this week's Monday; the first week's */
    char week[16], started[32];
    /* The weeks run before this one ({since}): a line and an object each,
     * and their findings. */
    gs__buf earlier;
    json_object *weeks;
    long earlier_findings;
    char p_validate[JOB_PATH + 64], p_patrol[JOB_PATH + 64];
    char p_hotspots[JOB_PATH + 64];
    char p_ledger[2 * JOB_PATH], p_report[2 * JOB_PATH];
    char p_project[2 * JOB_PATH]; /* the week's QGIS project, once written */
    /* PostgreSQL: the database, the ledger's schema and one per stage. */
    const char *db;
    char s_base[64], s_validate[64], s_patrol[64], s_hotspots[64];
    /* The shard key as part of a name: "110108_110109", "" without one. */
    char skey[GS_MAX_SHARDS * 13 + 1];
    gs_rules rules;
    gs_input_opts in;
    double t0; /* the running stage's start */
} jrun;

/* The job file, its week and rules, and the shard's schemas. */
static int load(jrun *R) {
    gs_ctx *ctx = R->ctx;
    const gs_run_opts *opts = R->opts;
    int rc;
    if ((rc = gs__opts_check_version(ctx, opts->version)) ||
        (rc = load_job(ctx, opts->job, &R->j)) ||
        (rc = job_week(ctx, opts->job, opts->week ? opts->week : R->j.week,
                       R->j.tz, &R->monday)))
        return rc;
    R->first = R->monday;
    if (opts->since) {
        int32_t first;
        char last[16];
        gs__isoweek_format(R->monday, last);
        if (gs__isoweek_parse(opts->since, &first) != GS_OK)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{since} '%s' is not an ISO week such as 2026-W40",
                           opts->since);
        if (first > R->monday)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{since} %s is after the week to run, %s",
                           opts->since, last);
        if ((R->monday - first) / 7 >= MAX_SPAN_WEEKS)
            return gs__err(ctx, GS_ERR_USAGE,
                           "{since} %s: at most %d weeks in one run (to %s)",
                           opts->since, MAX_SPAN_WEEKS, last);
        R->first = first;
    }
    gs__isoweek_format(R->monday, R->week);
    gs_rules_init(&R->rules);
    if (R->j.rules[0] && (rc = gs_rules_load(ctx, &R->rules, R->j.rules)))
        return rc;
    snprintf(R->skey, sizeof R->skey, "%s", gs__shard_key(ctx));
    for (char *c = R->skey; *c; c++)
        if (*c == ',') *c = '_';
    R->db = opts->database;
    if (R->db && (rc = pg_schemas(ctx, R->skey, R->s_base, R->s_validate,
                                  R->s_patrol, R->s_hotspots)))
        return rc;
    gs_input_opts_init(&R->in);
    if (R->j.encoding[0]) R->in.encoding = R->j.encoding;
    if (R->j.time_format[0]) R->in.time_format = R->j.time_format;
    return GS_OK;
}

/* The output directory and every stage's output in it, named for the
 * week (or the database); the ledger must be a plain file there. */
static int place_outputs(jrun *R) {
    gs_ctx *ctx = R->ctx;
    const job *j = &R->j;
    const char *week = R->week;
    int n;
    if (mkdir(j->out_dir, 0777) != 0 && errno != EEXIST)
        return gs__err(ctx, GS_ERR_IO,
                       "%s: cannot create the output directory: %s", j->out_dir,
                       strerror(errno));
    snprintf(R->p_validate, sizeof R->p_validate, "%s/validate-%s.gpkg",
             j->out_dir, week);
    snprintf(R->p_patrol, sizeof R->p_patrol, "%s/patrol-%s.gpkg", j->out_dir,
             week);
    snprintf(R->p_hotspots, sizeof R->p_hotspots, "%s/hotspots-%s.gpkg",
             j->out_dir, week);
    snprintf(R->p_ledger, sizeof R->p_ledger, "%s/%s", j->out_dir, j->ledger);
    if (R->db) {
        snprintf(R->p_validate, sizeof R->p_validate, "%s", R->db);
        snprintf(R->p_patrol, sizeof R->p_patrol, "%s", R->db);
        snprintf(R->p_hotspots, sizeof R->p_hotspots, "%s", R->db);
        /* Named without the connection string, which may hold a password. */
        snprintf(R->p_ledger, sizeof R->p_ledger, "PostgreSQL schema %s",
                 R->s_base);
    } else {
        /* The ledger is updated in place, so a link would write wherever
         * it points: outside the output directory. */
        struct stat ls;
        if (lstat(R->p_ledger, &ls) == 0 && !S_ISREG(ls.st_mode))
            return gs__err(ctx, GS_ERR_CONFIG,
                           "%s: the ledger %s is a %s, not a file in the "
                           "output directory",
                           R->opts->job, R->p_ledger,
                           S_ISLNK(ls.st_mode)   ? "symbolic link"
                           : S_ISDIR(ls.st_mode) ? "directory"
                                                 : "special file");
    }
    /* Shards of one job share its output folder: each its own report. */
    n = snprintf(R->p_report, sizeof R->p_report, "%s/report-%s%s%s.html",
                 j->out_dir, week, R->db && R->skey[0] ? "-" : "",
                 R->db ? R->skey : "");
    /* A shard key near its limit in a deep folder: never a report written
     * under a name cut short. */
    if (n < 0 || (size_t)n >= sizeof R->p_report)
        return gs__err(ctx, GS_ERR_CONFIG,
                       "%s: the report's path (%s/report-%s-SHARD.html) is "
                       "too long",
                       R->opts->job, j->out_dir, week);
    return GS_OK;
}

/* A stage starts: its name, its clock, and, in PostgreSQL, its schema. */
static int stage_begin(jrun *R, const char *name, const char *schema) {
    R->st[R->nst].name = name;
    R->t0 = gs__now();
    return R->db && schema ? gs_ctx_set_schema(R->ctx, schema) : GS_OK;
}

/* The running stage is done: its wall time and peak memory. */
static void stage_end(jrun *R) {
    R->st[R->nst].wall_s = gs__now() - R->t0;
    R->st[R->nst++].peak_rss_mb = gs__peak_rss_mb();
}

/* The options every stage shares. */
static void common_opts(const jrun *R, gs_common_opts *c, const char *out) {
    c->output = out;
    c->input = &R->in;
    c->rules = &R->rules;
    c->command_line = R->opts->common.command_line;
    c->threads = R->opts->common.threads;
}

static int run_validate(jrun *R) {
    gs_validate_opts vo;
    int rc;
    gs_validate_opts_init(&vo);
    vo.communities = R->j.communities;
    vo.grids = R->j.grids;
    vo.households = R->j.households;
    vo.members = R->j.members;
    common_opts(R, &vo.common, R->p_validate);
    if ((rc = stage_begin(R, "validate", R->s_validate)) ||
        (rc = gs_validate_run(R->ctx, &vo, &R->st[R->nst].report)))
        return rc;
    stage_end(R);
    return GS_OK;
}

/* Patrol, when the job has traces. */
static int run_patrol(jrun *R) {
    const job *j = &R->j;
    gs_patrol_opts po;
    int rc;
    if (!j->traces[0]) return GS_OK;
    gs_patrol_opts_init(&po);
    po.grids = j->grids;
    po.members = j->members;
    po.traces = j->traces;
    po.households = j->households;
    po.calendar = j->calendar[0] ? j->calendar : NULL;
    po.week = R->week;
    po.trace_crs = j->trace_crs[0] ? j->trace_crs : NULL;
    po.tz = j->tz[0] ? j->tz : NULL;
    common_opts(R, &po.common, R->p_patrol);
    if ((rc = stage_begin(R, "patrol", R->s_patrol)) ||
        (rc = gs_patrol_run(R->ctx, &po, &R->st[R->nst].report)))
        return rc;
    stage_end(R);
    return GS_OK;
}

/* Hotspots, when the job has events. */
static int run_hotspots(jrun *R) {
    const job *j = &R->j;
    gs_hotspots_opts ho;
    int rc;
    if (!j->events[0]) return GS_OK;
    gs_hotspots_opts_init(&ho);
    ho.grids = j->grids;
    ho.events = j->events;
    ho.communities = j->communities;
    ho.households = j->households;
    ho.calendar = j->calendar[0] ? j->calendar : NULL;
    ho.week = R->week;
    ho.tz = j->tz[0] ? j->tz : NULL;
    ho.event_crs = j->event_crs[0] ? j->event_crs : NULL;
    common_opts(R, &ho.common, R->p_hotspots);
    if ((rc = stage_begin(R, "hotspots", R->s_hotspots)) ||
        (rc = gs_hotspots_run(R->ctx, &ho, &R->st[R->nst].report)))
        return rc;
    stage_end(R);
    return GS_OK;
}

/* Records the week in the ledger, last, in one transaction: the stages'
 * layers that have a ledger table (schema.c), and the run with every
 * stage's report. */
static int record_ledger(jrun *R) {
    gs__ledger_part parts[10];
    size_t np = 0;
    json_object *run = json_object_new_object();
    /* In PostgreSQL a part names the stage's schema. */
    const char *v = R->db ? R->s_validate : R->p_validate;
    const char *p = R->db ? R->s_patrol : R->p_patrol;
    const char *h = R->db ? R->s_hotspots : R->p_hotspots;
    const char *rj;
    int rc;
    stage_begin(R, "ledger", NULL);
    parts[np++] = (gs__ledger_part){GS__LS_VALIDATE_GRIDS, v};
    if (R->j.traces[0]) {
        parts[np++] = (gs__ledger_part){GS__LS_PATROL_MEMBER_DAY, p};
        parts[np++] = (gs__ledger_part){GS__LS_PATROL_MEMBER_WEEK, p};
    }
    if (R->j.events[0]) {
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_GRID_EVENTS, h};
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_GRID_BACKLOG, h};
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_GRID_CATEGORIES, h};
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_HEX_HOTSPOTS, h};
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_EMERGING, h};
        parts[np++] = (gs__ledger_part){GS__LS_HOTSPOTS_TROUBLE_SPOTS, h};
    }
    json_object_object_add(run, "job", json_object_new_string(R->opts->job));
    json_object_object_add(run, "week", json_object_new_string(R->week));
    for (int i = 0; i < R->nst; i++)
        json_object_object_add(
            run, R->st[i].name,
            json_tokener_parse(gs_report_json(R->st[i].report)));
    rj = json_object_to_json_string_ext(run, JSON_C_TO_STRING_PLAIN);
    gs__gdal_enter(R->ctx);
    rc =
        R->db
            ? gs__ledger_record_pg(R->ctx, R->db, R->s_base, R->week, parts, np,
                                   R->opts->common.command_line, R->started, rj)
            : gs__ledger_record(R->ctx, R->p_ledger, R->week, parts, np,
                                R->opts->common.command_line, R->started, rj);
    gs__gdal_leave(R->ctx);
    json_object_put(run);
    if (rc) return rc;
    stage_end(R);
    return GS_OK;
}

/* The HTML report, read back from the committed ledger (in PostGIS: the
 * shard's rows of its schema). */
static int write_report(jrun *R) {
    char pg_ledger[JOB_PATH + 96];
    gs_report_html_opts ro;
    int rc;
    gs_report_html_opts_init(&ro);
    snprintf(pg_ledger, sizeof pg_ledger, "%s active_schema=%s",
             R->db ? R->db : "", R->s_base);
    ro.ledger = R->db ? pg_ledger : R->p_ledger;
    ro.week = R->week;
    ro.common.output = R->p_report;
    ro.common.rules = &R->rules;
    if ((rc = stage_begin(R, "report", NULL)) ||
        (rc = gs_report_html_run(R->ctx, &ro, &R->st[R->nst].report)))
        return rc;
    stage_end(R);
    return GS_OK;
}

/* The week's QGIS project (qgis_project.h): DIR/gridsmith-WEEK.qgz and the
 * same in the ledger. Not for PostgreSQL outputs. The week is recorded by
 * now, so a project that cannot be written is a warning, not a failure. */
static void write_project(jrun *R) {
    const char *stages[3];
    char kde[JOB_PATH + 64];
    size_t n = 0;
    int rc;
    if (R->db) return;
    for (int i = 0; i < R->nst; i++) {
        const char *name = R->st[i].name;
        if (!strcmp(name, "validate")) stages[n++] = R->p_validate;
        if (!strcmp(name, "patrol")) stages[n++] = R->p_patrol;
        if (!strcmp(name, "hotspots")) stages[n++] = R->p_hotspots;
    }
    snprintf(kde, sizeof kde, "%s/hotspots-%s_kde.tif", R->j.out_dir, R->week);
    snprintf(R->p_project, sizeof R->p_project, "%s/gridsmith-%s%s%s.qgz",
             R->j.out_dir, R->week, R->skey[0] ? "-" : "", R->skey);
    rc = gs__qgs_job_project(R->ctx, R->week, stages, n, kde, R->p_ledger,
                             R->p_project);
    if (rc) {
        gs__warn(R->ctx,
                 "%s is recorded in the ledger, but its QGIS project could "
                 "not be written: %s",
                 R->week, R->ctx->errmsg);
        R->ctx->errcode = GS_OK;
        R->ctx->errmsg[0] = '\0';
        R->p_project[0] = '\0';
    }
}

/* The run's report: every stage with its time, memory and report, and
 * the findings of all but the HTML report (which restates patrol's). */
static int make_report(jrun *R, gs_report **out_report) {
    gs_ctx *ctx = R->ctx;
    json_object *o = json_object_new_object(), *stages;
    gs__buf text;
    long findings = 0;
    stages = o ? json_object_new_array() : NULL;
    if (!o || !stages) {
        if (o) json_object_put(o);
        return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    }
    gs__buf_init(&text, 0);
    json_object_object_add(o, "command", json_object_new_string("run"));
    json_object_object_add(o, "week", json_object_new_string(R->week));
    json_object_object_add(o, "ledger", json_object_new_string(R->p_ledger));
    json_object_object_add(
        o, "qgis_project",
        R->p_project[0] ? json_object_new_string(R->p_project) : NULL);
    if (R->weeks) {
        char first[16];
        gs__isoweek_format(R->first, first);
        json_object_object_add(o, "weeks", json_object_get(R->weeks));
        gs__buf_printf(&text,
                       gs__tr("run %s: weeks %s to %s, each recorded in the "
                              "ledger with its report\n"),
                       R->opts->job, first, R->week);
        gs__buf_add(&text, R->earlier.data, R->earlier.len);
    }
    gs__buf_printf(&text, gs__tr("run %s: week %s\n"), R->opts->job, R->week);
    for (int i = 0; i < R->nst; i++) {
        const stage *st = &R->st[i];
        json_object *s = json_object_new_object();
        json_object_object_add(s, "stage", json_object_new_string(st->name));
        json_object_object_add(s, "wall_s", json_object_new_double(st->wall_s));
        json_object_object_add(s, "peak_rss_mb",
                               json_object_new_double(st->peak_rss_mb));
        if (st->report) {
            json_object_object_add(
                s, "report", json_tokener_parse(gs_report_json(st->report)));
            gs__buf_puts(&text, gs_report_text(st->report));
        }
        json_object_array_add(stages, s);
        if (strcmp(st->name, "report"))
            findings += gs_report_findings(st->report);
    }
    json_object_object_add(o, "stages", stages);
    gs__buf_printf(&text, gs__tr("  recorded %s in the ledger %s\n"), R->week,
                   R->p_ledger);
    if (R->p_project[0])
        gs__buf_printf(&text,
                       gs__tr("  wrote %s (QGIS project: the week's layers "
                              "and the ledger)\n"),
                       R->p_project);
    ctx->n_phases = 0;
    ctx->n_steps = ctx->phase_step0 = 0;
    *out_report =
        gs__report_from_buf(ctx, o, &text, findings + R->earlier_findings);
    return *out_report ? GS_OK : gs__err(ctx, GS_ERR_NOMEM, "out of memory");
}

/* The value at `path` (keys, NULL-terminated) of stage `name`'s JSON
 * report, or NULL. */
static json_object *stage_value(const jrun *R, json_object *const *stages,
                                const char *name, const char *k1,
                                const char *k2) {
    json_object *v = NULL;
    for (int i = 0; i < R->nst; i++)
        if (!strcmp(R->st[i].name, name) && stages[i] &&
            json_object_object_get_ex(stages[i], k1, &v) &&
            (!k2 || json_object_object_get_ex(v, k2, &v)))
            return v;
    return NULL;
}

/* A week run before the last with {since}: one line of text and an
 * object (week, members, compliant, events, backlog) for the run's
 * report; its stages' reports are then freed. */
static int close_earlier_week(jrun *R) {
    json_object *stages[8] = {NULL}, *w = json_object_new_object(), *v;
    long findings = 0;
    gs__buf line; /* the pieces after the week */
    if (!w) return gs__err(R->ctx, GS_ERR_NOMEM, "out of memory");
    gs__buf_init(&line, 0);
    for (int i = 0; i < R->nst; i++) {
        stages[i] = json_tokener_parse(gs_report_json(R->st[i].report));
        if (strcmp(R->st[i].name, "report"))
            findings += gs_report_findings(R->st[i].report);
    }
    json_object_object_add(w, "week", json_object_new_string(R->week));
    /* One line per week in the user's language (gs__tr): the week, then
     * a piece per stage that ran, each its own sentence. */
    if ((v = stage_value(R, stages, "report", "grids", NULL)))
        /* TRANSLATORS: a piece of an earlier week's line in `run
         * --since` ("  2026-W40: 22 grids; 17 of 22 members compliant;
         * 63 events, ...; wrote out/report-2026-W40.html"); each piece
         * starts with a space (English) and ends with its separator. */
        gs__buf_printf(&line, gs__tr(" %lld grids;"),
                       (long long)json_object_get_int64(v));
    if (stage_value(R, stages, "patrol", "command", NULL)) {
        json_object *m = stage_value(R, stages, "report", "members", NULL);
        json_object *c = stage_value(R, stages, "report", "compliant", NULL);
        long long nm = m ? json_object_get_int64(m) : 0;
        long long nc = c ? json_object_get_int64(c) : 0;
        /* TRANSLATORS: a piece of an earlier week's line, as " %lld
         * grids;". */
        gs__buf_printf(&line, gs__tr(" %lld of %lld members compliant;"), nc,
                       nm);
        json_object_object_add(w, "members", json_object_new_int64(nm));
        json_object_object_add(w, "compliant", json_object_new_int64(nc));
    }
    if (stage_value(R, stages, "hotspots", "command", NULL)) {
        json_object *e =
            stage_value(R, stages, "hotspots", "events_in_period", NULL);
        json_object *o = stage_value(R, stages, "hotspots", "backlog", "open");
        json_object *d =
            stage_value(R, stages, "hotspots", "backlog", "overdue");
        long long ne = e ? json_object_get_int64(e) : 0;
        long long no = o ? json_object_get_int64(o) : 0;
        long long nd = d ? json_object_get_int64(d) : 0;
        gs__buf_printf(&line,
                       /* TRANSLATORS: a piece of an earlier week's line,
                          as the grids' piece. */
                       gs__tr(" %lld events, %lld open at the week's end "
                              "(%lld overdue);"),
                       ne, no, nd);
        json_object_object_add(w, "events", json_object_new_int64(ne));
        json_object_object_add(w, "open", json_object_new_int64(no));
        json_object_object_add(w, "overdue", json_object_new_int64(nd));
    }
    /* TRANSLATORS: the last piece of an earlier week's line: the week's
     * HTML report. */
    gs__buf_printf(&line, gs__tr(" wrote %s"), R->p_report);
    /* TRANSLATORS: an earlier week's line in `run --since`: the week,
     * then its pieces (" 22 grids; ... wrote FILE"). */
    gs__buf_printf(&R->earlier, gs__tr("  %s:%s\n"), R->week,
                   line.failed ? "" : line.data);
    if (line.failed) R->earlier.failed = 1;
    gs__buf_free(&line);
    json_object_object_add(w, "report", json_object_new_string(R->p_report));
    json_object_object_add(w, "findings", json_object_new_int64(findings));
    json_object_array_add(R->weeks, w);
    R->earlier_findings += findings;
    for (int i = 0; i < R->nst; i++) {
        if (stages[i]) json_object_put(stages[i]);
        gs_report_destroy(R->st[i].report);
        R->st[i].report = NULL;
    }
    R->nst = 0;
    return R->earlier.failed ? gs__err(R->ctx, GS_ERR_NOMEM, "out of memory")
                             : GS_OK;
}

/* One week: the stages, the ledger, the report and the QGIS project. */
static int run_week(jrun *R) {
    int rc;
    gs_ctx *ctx = R->ctx;
    if ((rc = place_outputs(R)) || (rc = run_validate(R)) ||
        (rc = run_patrol(R)) || (rc = run_hotspots(R)) ||
        (rc = record_ledger(R)))
        return rc;
    if ((rc = write_report(R))) {
        /* The week is in the ledger all the same: say exactly what was
         * recorded, so that no one runs the week again to "fix" it. */
        char why[GS__ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ctx->errcode = GS_OK;
        return gs__err(ctx, rc,
                       "week %s was recorded in the ledger %s (%s%s%s), but "
                       "the report %s was not written: %s; write the report "
                       "from the ledger once that is fixed",
                       R->week, R->p_ledger, "grid_status",
                       R->j.traces[0] ? ", member_day, member_week" : "",
                       R->j.events[0] ? ", grid_events, grid_backlog, "
                                        "grid_categories, hex_hotspots, "
                                        "emerging, trouble_spots"
                                      : "",
                       R->p_report, why);
    }
    write_project(R);
    return GS_OK;
}

int gs_run_job(gs_ctx *ctx, const gs_run_opts *opts, gs_report **out_report) {
    jrun *R;
    int32_t last;
    int rc;

    if (!ctx) return GS_ERR_USAGE;
    if (out_report) *out_report = NULL;
    if (!opts || !opts->job || !out_report)
        return gs__err(ctx, GS_ERR_USAGE, "run needs a job file");
    R = gs__calloc(1, sizeof *R);
    if (!R) return gs__err(ctx, GS_ERR_NOMEM, "out of memory");
    R->ctx = ctx;
    R->opts = opts;
    gs__buf_init(&R->earlier, 0);
    gs__utc_now(R->started, sizeof R->started);
    /* Each input read once: the steps share what the first one read of
     * the households (io/memo.c). */
    if ((rc = gs__io_memo_begin(ctx)) || (rc = load(R))) goto done;
    /* With {since}, every week from the first, oldest first: each is
     * recorded and reported as its own run would, so a week's report sees
     * the weeks before it. */
    last = R->monday;
    if (R->first < last && !(R->weeks = json_object_new_array())) {
        rc = gs__err(ctx, GS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int32_t w = R->first; w < last; w += 7) {
        R->monday = w;
        gs__isoweek_format(w, R->week);
        gs__progress(ctx, R->week, -1);
        if ((rc = run_week(R)) || (rc = close_earlier_week(R))) goto done;
        gs__utc_now(R->started, sizeof R->started);
    }
    R->monday = last;
    gs__isoweek_format(last, R->week);
    if ((rc = run_week(R))) goto done;
    rc = make_report(R, out_report);
done:
    for (size_t i = 0; i < sizeof R->st / sizeof R->st[0]; i++)
        gs_report_destroy(R->st[i].report);
    if (R->weeks) json_object_put(R->weeks);
    gs__buf_free(&R->earlier);
    free(R);
    gs__io_memo_end(ctx);
    return rc;
}
