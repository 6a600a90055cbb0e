/*
 * test_job.c - checking job files (gs__job_check), as `gridsmith run`
 * does before its first stage.
 *
 * A good job passes; each way a job file can be wrong fails with
 * GS_ERR_CONFIG and a message naming the file, and for a key the line and
 * the key: a missing input, a missing [inputs] section, an unknown key, a
 * ledger named with a folder or "..", a week that is no ISO week, a
 * syntax error, a path that is a folder or nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "harness.h"
#include "job.h"

static gs_ctx *ctx;
static char dir[64];

static const char *const GOOD =
    "[inputs]\n"
    "communities = city.gpkg\n"
    "grids = city.gpkg\n"
    "households = city.gpkg\n"
    "members = members.csv\n"
    "traces = traces.csv\n"
    "[run]\n"
    "week = 2026-W47\n"
    "[outputs]\n"
    "dir = out\n"
    "ledger = ledger.gpkg\n";

/* Writes `text` as job file `name` in the scratch folder, checks it, and
 * returns the code; the message is in the context. */
static int check(const char *name, const char *text, char *path, size_t size) {
    FILE *f;
    snprintf(path, size, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    gs__gdal_leave(ctx); /* errors are sticky until the next call */
    gs__gdal_enter(ctx);
    return gs__job_check(ctx, path);
}

/* GOOD with `from` replaced by `to` (once). */
static char *edit(const char *from, const char *to) {
    static char buf[2048];
    const char *p = strstr(GOOD, from);
    if (!p) return NULL;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - GOOD), GOOD, to,
             p + strlen(from));
    return buf;
}

/* 1 when the context's message holds every one of the strings. */
static int says(const char *a, const char *b, const char *c) {
    const char *m = gs_ctx_errmsg(ctx);
    return strstr(m, a) && (!b || strstr(m, b)) && (!c || strstr(m, c));
}

TEST(good_job_passes) {
    char path[160];
    CHECK(check("good.ini", GOOD, path, sizeof path) == GS_OK);
    /* No week: the last complete week is taken. */
    CHECK(check("noweek.ini", edit("week = 2026-W47\n", ""), path,
                sizeof path) == GS_OK);
    /* Optional inputs and the outputs section may go. */
    CHECK(check("plain.ini", edit("traces = traces.csv\n", ""), path,
                sizeof path) == GS_OK);
}

TEST(missing_input_or_section) {
    char path[160];
    CHECK(check("nomembers.ini", edit("members = members.csv\n", ""), path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(says("nomembers.ini", "[inputs] needs", "members"));
    CHECK(check("noinputs.ini",
                "[run]\nweek = 2026-W47\n[outputs]\ndir = out\n", path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(says("noinputs.ini", "[inputs] needs communities", NULL));
}

TEST(unknown_key_named_with_its_line) {
    char path[160];
    CHECK(check("unknown.ini", edit("[run]\n", "[run]\ncolour = red\n"), path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(says("unknown.ini", "line 8", "unknown key 'colour' in [run]"));
    /* A known key in the wrong section is unknown there. */
    CHECK(check("misplaced.ini", edit("[outputs]\n", "[outputs]\nweek = x\n"),
                path, sizeof path) == GS_ERR_CONFIG);
    CHECK(says("misplaced.ini", "line 10", "unknown key 'week' in [outputs]"));
}

TEST(ledger_must_stay_in_the_output_folder) {
    char path[160];
    CHECK(check("folder.ini",
                edit("ledger = ledger.gpkg", "ledger = sub/ledger.gpkg"), path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(says("folder.ini", "sub/ledger.gpkg", "no folders"));
    CHECK(check("up.ini",
                edit("ledger = ledger.gpkg", "ledger = ..ledger.gpkg"), path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(says("up.ini", "'..'", NULL));
    CHECK(check("dotdot.ini", edit("ledger = ledger.gpkg", "ledger = .."), path,
                sizeof path) == GS_ERR_CONFIG);
    CHECK(check("abs.ini", edit("ledger = ledger.gpkg", "ledger = /tmp/l.gpkg"),
                path, sizeof path) == GS_ERR_CONFIG);
    CHECK(check("empty.ini", edit("ledger = ledger.gpkg", "ledger ="), path,
                sizeof path) == GS_ERR_CONFIG);
}

TEST(bad_week_and_syntax) {
    char path[160];
    CHECK(check("week.ini", edit("2026-W47", "2026-W99"), path, sizeof path) ==
          GS_ERR_CONFIG);
    CHECK(says("week.ini", "2026-W99", "not an ISO week"));
    CHECK(check("syntax.ini", edit("[run]\n", "[run\n"), path, sizeof path) ==
          GS_ERR_CONFIG);
    CHECK(says("syntax.ini", "line 7", NULL));
}

TEST(path_that_is_no_job_file) {
    char path[160];
    gs__gdal_leave(ctx);
    gs__gdal_enter(ctx);
    CHECK(gs__job_check(ctx, dir) == GS_ERR_CONFIG);
    CHECK(says(dir, "is a directory", NULL));
    snprintf(path, sizeof path, "%s/none.ini", dir);
    gs__gdal_leave(ctx);
    gs__gdal_enter(ctx);
    CHECK(gs__job_check(ctx, path) == GS_ERR_CONFIG);
    CHECK(says("none.ini", NULL, NULL));
}

int main(void) {
    char cmd[128];
    snprintf(dir, sizeof dir, "/tmp/gs_test_job.XXXXXX");
    if (!mkdtemp(dir) || gs_ctx_create(&ctx) != GS_OK) return 1;
    gs__gdal_enter(ctx);
    RUN(good_job_passes);
    RUN(missing_input_or_section);
    RUN(unknown_key_named_with_its_line);
    RUN(ledger_must_stay_in_the_output_folder);
    RUN(bad_week_and_syntax);
    RUN(path_that_is_no_job_file);
    gs__gdal_leave(ctx);
    gs_ctx_destroy(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!harness_failed && system(cmd) != 0) return 1;
    return HARNESS_END();
}
