/*
 * test_alloc_fail.c - every allocation of the readers and of validate can
 * fail (after SQLite's malloc tests).
 *
 * Each case runs one operation with the library's n-th allocation made to
 * fail (gs__alloc_fail_after), for n = 1, 2, 3... until a run makes fewer
 * than n allocations, that is, runs to the end without meeting the
 * failure. Every run that met the failure must fail cleanly: an error code
 * (GS_ERR_NOMEM, or another code for a failure that surfaces as, say, a
 * GDAL error), a message, no result, and for validate no output file and
 * no temporary file left in the folder. A run that met the failure and
 * still succeeded has swallowed it and is a failure of this test, since
 * its result may be incomplete. Leaks are found by LeakSanitizer in the
 * sanitized build and by valgrind (scripts/valgrind.sh). The last run
 * must succeed with the same result as a run without injection.
 *
 * Allocations made by GDAL, GEOS, PROJ, SQLite and json-c are not ours
 * and are not failed here.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calendar.h"
#include "harness.h"
#include "ctx.h"
#include "testhook.h"
#include "io.h"
#include "datetime.h"
#include "traces.h"

#define MINI GS_TEST_DATA "/mini/"
#define TRACES GS_TEST_DATA "/traces/"
#define DEMO GS_TEST_DATA "/../../datasets/demo/"

static gs_ctx *ctx;
static char tmpdir[64];

/* Entries of the temporary folder. */
static int count_files(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* One run of an operation: its code and the fingerprint of its result,
 * a hash that a swallowed failure would change. */
typedef int (*op_fn)(unsigned long *out_print);

/* FNV-1a over `n` bytes, continuing from `h`. */
static unsigned long hash(unsigned long h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211UL;
    return h;
}

static int op_validate(unsigned long *out_print) {
    gs_validate_opts o;
    gs_report *report = NULL;
    gs_rules rules;
    char out[128];
    struct stat st;
    int rc;
    gs_rules_init(&rules);
    rc = gs_rules_load(ctx, &rules, MINI "rules.ini");
    if (rc) return rc;
    snprintf(out, sizeof out, "%s/out.gpkg", tmpdir);
    gs_validate_opts_init(&o);
    o.communities = MINI "communities.geojson";
    o.grids = MINI "grids.geojson";
    o.households = MINI "households.geojson";
    o.members = MINI "members.csv";
    o.common.output = out;
    o.common.rules = &rules;
    o.common.command_line = "test_alloc_fail";
    rc = gs_validate_run(ctx, &o, &report);
    if (rc == GS_OK) {
        /* The JSON up to its measurements, and the text. */
        const char *json = gs_report_json(report), *text;
        const char *phases = strstr(json, "\"phases\"");
        text = gs_report_text(report);
        *out_print = hash(14695981039346656037UL, json,
                          phases ? (size_t)(phases - json) : strlen(json));
        *out_print = hash(*out_print, text, strlen(text));
        if (stat(out, &st) != 0) rc = -1;
        unlink(out);
    } else {
        if (report) rc = -2;
        if (stat(out, &st) == 0) rc = -3; /* a partial output */
        if (count_files() != 0) rc = -4;  /* a temporary file left */
    }
    gs_report_destroy(report);
    return rc;
}

/* Partition of the mini city (fresh, or re-dividing its grids): the
 * grids' codes, households and the report text. */
static int op_partition_with(const char *existing, unsigned long *out_print) {
    gs_partition_opts o;
    gs_report *report = NULL;
    char out[128];
    struct stat st;
    int rc;
    snprintf(out, sizeof out, "%s/part.gpkg", tmpdir);
    gs_partition_opts_init(&o);
    o.communities = MINI "communities.geojson";
    o.households = MINI "households.geojson";
    o.existing = existing;
    o.common.output = out;
    o.common.threads = 1;
    o.common.command_line = "test_alloc_fail";
    rc = gs_partition_run(ctx, &o, &report);
    if (rc == GS_OK) {
        const char *json = gs_report_json(report);
        const char *phases = strstr(json, "\"phases\"");
        const char *text = gs_report_text(report);
        *out_print = hash(14695981039346656037UL, json,
                          phases ? (size_t)(phases - json) : strlen(json));
        *out_print = hash(*out_print, text, strlen(text));
        if (stat(out, &st) != 0) rc = -1;
        unlink(out);
    } else {
        if (report) rc = -2;
        if (stat(out, &st) == 0) rc = -3;
        if (count_files() != 0) rc = -4;
    }
    gs_report_destroy(report);
    return rc;
}

static int op_partition(unsigned long *p) { return op_partition_with(NULL, p); }

static int op_repartition(unsigned long *p) {
    return op_partition_with(MINI "grids.geojson", p);
}

/* Asia/Shanghai, opened once (before any failure is armed). */
static gs__tz *zone(void) {
    static gs__tz *tz;
    if (!tz && gs__tz_open(ctx, NULL, &tz)) abort();
    return tz;
}

static int read_traces(const char *path, int threads,
                       unsigned long *out_print) {
    gs__trace_opts o;
    gs__traces t;
    int rc;
    memset(&o, 0, sizeof o);
    memset(&t, 0, sizeof t);
    o.path = path;
    o.tz = zone();
    o.threads = threads;
    gs__gdal_enter(ctx);
    rc = gs__traces_read(ctx, &o, &t);
    gs__gdal_leave(ctx);
    if (rc == GS_OK) {
        unsigned long h = 14695981039346656037UL;
        for (size_t i = 0; i < t.n_fixes; i++) {
            /* Field by field: the struct has padding. */
            const gs__fix *f = &t.fixes[i];
            h = hash(h, &f->t_ms, sizeof f->t_ms);
            h = hash(h, &f->lon, sizeof f->lon);
            h = hash(h, &f->lat, sizeof f->lat);
            h = hash(h, &f->accuracy_m, sizeof f->accuracy_m);
            h = hash(h, &f->member, sizeof f->member);
            h = hash(h, &f->line, sizeof f->line);
        }
        for (size_t i = 0; i < t.n_members; i++)
            h = hash(h, t.member_ids[i], strlen(t.member_ids[i]) + 1);
        for (size_t i = 0; i < t.n_bad; i++) {
            const gs__badrow *b = &t.bad[i];
            h = hash(h, &b->line, sizeof b->line);
            h = hash(h, &b->t_ms, sizeof b->t_ms);
            h = hash(h, b->member_id, strlen(b->member_id) + 1);
            h = hash(h, b->field, strlen(b->field) + 1);
            h = hash(h, b->reason, strlen(b->reason) + 1);
        }
        h = hash(h, &t.n_blank, sizeof t.n_blank);
        *out_print = hash(h, t.encoding, strlen(t.encoding));
    } else if (t.n_fixes || t.n_bad || t.fixes)
        rc = -6; /* not left empty on failure */
    gs__traces_free(&t);
    return rc;
}

static int op_traces_csv(unsigned long *p) {
    return read_traces(TRACES "bad.csv", 1, p);
}
static int op_traces_csv3(unsigned long *p) {
    return read_traces(TRACES "basic.csv", 3, p);
}
static int op_traces_gbk(unsigned long *p) {
    return read_traces(TRACES "gbk.csv", 1, p);
}
static int op_traces_gpx(unsigned long *p) {
    return read_traces(TRACES "walk.gpx", 1, p);
}

/* Events in the mini city's CRS: usable ones, a bad time, an unknown
 * status, a duplicate id. Written once into the temporary folder. */
static const char events_geojson[] =
    "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\","
    "\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4548\"}},"
    "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E1\","
    "\"category\":\"环境卫生\",\"reported_at\":\"2026-11-16 09:00:00\","
    "\"resolved_at\":\"\",\"status\":\"open\"},\"geometry\":{\"type\":"
    "\"Point\",\"coordinates\":[500010,4400050]}},"
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E2\","
    "\"category\":\"治安\",\"reported_at\":\"2026-11-17T10:00:00+08:00\","
    "\"resolved_at\":\"2026-11-18 10:00:00\",\"status\":\"resolved\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[500150,4400150]}},"
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E3\","
    "\"category\":\"治安\",\"reported_at\":\"2026-11-31 10:00:00\","
    "\"status\":\"open\"},\"geometry\":{\"type\":\"Point\","
    "\"coordinates\":[500150,4400150]}},"
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E4\","
    "\"category\":\"治安\",\"reported_at\":\"2026-11-19 10:00:00\","
    "\"status\":\"lost\"},\"geometry\":{\"type\":\"Point\","
    "\"coordinates\":[500150,4400150]}},"
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E1\","
    "\"category\":\"治安\",\"reported_at\":\"2026-11-19 10:00:00\","
    "\"status\":\"open\"},\"geometry\":{\"type\":\"Point\","
    "\"coordinates\":[500160,4400150]}}]}";
static char events_path[128];

static int op_events(unsigned long *out_print) {
    gs__crsinfo crs;
    gs__events ev;
    gs_input_opts in;
    int rc;
    memset(&crs, 0, sizeof crs);
    memset(&ev, 0, sizeof ev);
    gs_input_opts_init(&in);
    gs__gdal_enter(ctx);
    rc = gs__io_pick_crs(ctx, &in, "grids", MINI "grids.geojson", &crs);
    if (!rc)
        rc = gs__io_read_events(ctx, &in, events_path, zone(), NULL, &crs, 1,
                                &ev, NULL);
    gs__gdal_leave(ctx);
    /* Two usable events; a bad time, an unknown status, a duplicate. */
    if (rc == GS_OK && (ev.n != 2 || ev.n_bad != 3)) {
        printf("  events: %zu usable, %zu bad\n", ev.n, ev.n_bad);
        rc = -8;
    }
    if (rc == GS_OK) {
        unsigned long h = 14695981039346656037UL;
        for (size_t i = 0; i < ev.n; i++) {
            const gs__event *e = &ev.v[i];
            h = hash(h, e->id, strlen(e->id) + 1);
            h = hash(h, e->category, strlen(e->category) + 1);
            h = hash(h, &e->x, sizeof e->x);
            h = hash(h, &e->y, sizeof e->y);
            h = hash(h, &e->reported_ms, sizeof e->reported_ms);
            h = hash(h, &e->resolved_ms, sizeof e->resolved_ms);
            h = hash(h, &e->status, sizeof e->status);
        }
        for (size_t i = 0; i < ev.n_bad; i++) {
            h = hash(h, ev.bad[i].field, strlen(ev.bad[i].field) + 1);
            h = hash(h, ev.bad[i].reason, strlen(ev.bad[i].reason) + 1);
        }
        *out_print = h;
    }
    gs__events_free(&ev);
    gs__crsinfo_free(&crs);
    return rc;
}

static int op_calendar(unsigned long *out_print) {
    gs__calendar *cal = NULL;
    int rc = gs__calendar_load(ctx, DEMO "calendar.csv", &cal);
    if (rc == GS_OK) {
        unsigned long h = 14695981039346656037UL;
        int32_t d0 = gs__days_from_civil(2026, 1, 1);
        for (int32_t d = d0; d < d0 + 366; d++) {
            int w = gs__calendar_is_workday(cal, d);
            h = hash(h, &w, sizeof w);
        }
        *out_print = h;
    } else if (cal) {
        rc = -7;
    }
    gs__calendar_free(cal);
    return rc;
}

/* Runs `op` failing allocation 1, 2, 3... (see the top of the file);
 * returns the number of allocations. A run may succeed although one of
 * its allocations failed only when that allocation was optional (a
 * capacity guess, a shrink, a speed-up) and the result is the same. */
static long fail_each(const char *name, op_fn op) {
    unsigned long clean = 0, print;
    long n, optional = 0;
    int rc, fired;
    gs__alloc_fail_after(-1, 0, NULL);
    rc = op(&clean);
    if (rc != GS_OK) {
        printf("  %s: fails without injection: %d %s\n", name, rc,
               gs_ctx_errmsg(ctx));
        harness_cur_failed = 1;
        return 0;
    }
    for (n = 1;; n++) {
        print = 0;
        /* Clear the previous run's (sticky) error, as a public call does. */
        gs__gdal_enter(ctx);
        gs__gdal_leave(ctx);
        gs__alloc_fail_after(n, 0, NULL);
        rc = op(&print);
        gs__alloc_fail_after(-1, 0, &fired);
        if (!fired) {
            /* Fewer than n allocations: the run met no failure. */
            if (rc != GS_OK || print != clean) {
                printf("  %s: run %ld: %d, result %lx vs %lx\n", name, n, rc,
                       print, clean);
                harness_cur_failed = 1;
            }
            break;
        }
        if (rc == GS_OK && print == clean) {
            optional++;
        } else if (rc == GS_OK) {
            printf(
                "  %s: allocation %ld failed and the run succeeded with "
                "another result\n",
                name, n);
            harness_cur_failed = 1;
        } else if (rc < 0 || !gs_ctx_errmsg(ctx)[0]) {
            printf("  %s: allocation %ld: unclean failure %d '%s'\n", name, n,
                   rc, gs_ctx_errmsg(ctx));
            harness_cur_failed = 1;
        }
    }
    printf("  %s: %ld allocations, each failed once (%ld optional)\n", name,
           n - 1, optional);
    return n;
}

TEST(validate_mini) { CHECK(fail_each("validate", op_validate) > 1); }
TEST(partition_mini) { CHECK(fail_each("partition", op_partition) > 1); }
TEST(repartition_mini) { CHECK(fail_each("re-division", op_repartition) > 1); }
TEST(traces_csv) { CHECK(fail_each("traces bad.csv", op_traces_csv) > 1); }
TEST(traces_csv_parallel) {
    CHECK(fail_each("traces basic.csv, 3 parts", op_traces_csv3) > 1);
}
TEST(traces_gbk) { CHECK(fail_each("traces gbk.csv", op_traces_gbk) > 1); }
TEST(traces_gpx) { CHECK(fail_each("traces walk.gpx", op_traces_gpx) > 1); }
TEST(events) { CHECK(fail_each("events", op_events) > 1); }
TEST(calendar) { CHECK(fail_each("calendar", op_calendar) > 1); }

/* Persistent failure from allocation n on: the run must still end cleanly
 * (error paths that allocate must not crash either), or, when only
 * optional allocations were left, succeed with the same result. */
TEST(validate_persistent) {
    unsigned long clean = 0, print;
    long total, n;
    int rc, fired;
    gs__alloc_fail_after(0, 0, NULL);
    rc = op_validate(&clean);
    total = gs__alloc_fail_after(-1, 0, NULL);
    REQUIRE(rc == GS_OK);
    /* Every 7th point is enough to cross every phase. */
    for (n = 1; n <= total; n += 7) {
        print = 0;
        gs__alloc_fail_after(n, 1, NULL);
        rc = op_validate(&print);
        gs__alloc_fail_after(-1, 0, &fired);
        CHECK(fired);
        /* Success only when what failed was optional (see fail_each). */
        if ((rc == GS_OK && print != clean) || rc < 0) {
            printf("  persistent from %ld: %d '%s'\n", n, rc,
                   gs_ctx_errmsg(ctx));
            harness_cur_failed = 1;
        }
    }
}

/* Runs the case `name` unless the command line names others: each argument
 * is a part of the names to run ("partition" runs partition_mini and
 * repartition_mini), so one slow case can be checked alone. */
static int want_argc;
static char **want_argv;
static int wanted(const char *name) {
    if (want_argc < 2) return 1;
    for (int i = 1; i < want_argc; i++)
        if (strstr(name, want_argv[i])) return 1;
    return 0;
}
#define RUN_IF(name)                  \
    do {                              \
        if (wanted(#name)) RUN(name); \
    } while (0)

int main(int argc, char **argv) {
    int rc;
    const char *tmp = getenv("TMPDIR");
    want_argc = argc;
    want_argv = argv;
    snprintf(tmpdir, sizeof tmpdir, "%s/gsalloc.XXXXXX",
             tmp && tmp[0] && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(tmpdir) || gs_ctx_create(&ctx) != GS_OK) return 1;
    (void)zone();
    RUN_IF(traces_csv);
    RUN_IF(traces_csv_parallel);
    RUN_IF(traces_gbk);
    RUN_IF(traces_gpx);
    {
        FILE *fp;
        snprintf(events_path, sizeof events_path, "%s/events.geojson", tmpdir);
        fp = fopen(events_path, "wb");
        if (!fp) return 1;
        fputs(events_geojson, fp);
        fclose(fp);
    }
    RUN_IF(events);
    RUN_IF(calendar);
    unlink(events_path);
    RUN_IF(validate_mini);
    RUN_IF(partition_mini);
    RUN_IF(repartition_mini);
    RUN_IF(validate_persistent);
    gs_ctx_destroy(ctx);
    rmdir(tmpdir);
    rc = HARNESS_END();
    return rc;
}
