/*
 * test_core.c - the core layer: the context's errors and how they name
 * options, the thread pool, the shard's key and filter, the CSV reader.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvread.h"
#include "ctx.h"
#include "harness.h"
#include "pool.h"
#include "shard.h"
#include "testhook.h"

static const char *dashes(void *user, const char *option) {
    (void)user;
    if (!strcmp(option, "output")) return "-o";
    if (!strcmp(option, "pct")) return "%pct%";
    return NULL;
}

TEST(options_named_by_their_struct_names_without_a_hook) {
    gs_ctx *ctx;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    CHECK(gs__err(ctx, GS_ERR_USAGE, "{week} '%s': not a week", "2026-W99") ==
          GS_ERR_USAGE);
    CHECK_STR(gs_ctx_errmsg(ctx), "week '2026-W99': not a week");
    gs_ctx_destroy(ctx);
}

TEST(options_named_as_the_front_end_says) {
    gs_ctx *ctx;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    gs_ctx_set_optname(ctx, dashes, NULL);
    /* {NAME} in the format is rendered; braces in a value are not. */
    gs__err(ctx, GS_ERR_USAGE, "needs {output} and {week}; got '%s'", "{week}");
    CHECK_STR(gs_ctx_errmsg(ctx), "needs -o and week; got '{week}'");
    gs_ctx_destroy(ctx);
}

TEST(a_percent_in_a_shown_name_stays_text) {
    gs_ctx *ctx;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    gs_ctx_set_optname(ctx, dashes, NULL);
    gs__err(ctx, GS_ERR_USAGE, "{pct} %d {not-a-name} {Upper}", 7);
    CHECK_STR(gs_ctx_errmsg(ctx), "%pct% 7 {not-a-name} {Upper}");
    gs_ctx_destroy(ctx);
}

TEST(the_first_error_sticks) {
    gs_ctx *ctx;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    gs__err(ctx, GS_ERR_INPUT_OPEN, "first");
    CHECK(gs__err(ctx, GS_ERR_IO, "second") == GS_ERR_INPUT_OPEN);
    CHECK_STR(gs_ctx_errmsg(ctx), "first");
    CHECK(gs_ctx_errcode(ctx) == GS_ERR_INPUT_OPEN);
    gs_ctx_destroy(ctx);
}

typedef struct square_job {
    int in, out;
} square_job;

static void *square(void *arg) {
    square_job *j = arg;
    j->out = j->in * j->in;
    return NULL;
}

TEST(parallel_runs_every_job_once) {
    square_job jobs[GS__POOL_MAX];
    for (int k = 0; k < GS__POOL_MAX; k++) jobs[k] = (square_job){k + 1, 0};
    gs__parallel(square, jobs, sizeof jobs[0], GS__POOL_MAX);
    for (int k = 0; k < GS__POOL_MAX; k++)
        CHECK(jobs[k].out == (k + 1) * (k + 1));
}

TEST(pool_workers_bounded_by_items_and_limits) {
    CHECK(gs__pool_workers(8, 10, 1000) == 1);
    CHECK(gs__pool_workers(2, 100000, 1000) == 2);
    CHECK(gs__pool_workers(0, 100000, 1000) == 1);
    CHECK(gs__pool_workers(99, 1000000, 1) == GS__POOL_MAX);
}

TEST(shard_key_filter_and_ownership) {
    gs_ctx *ctx;
    const char *p[] = {"110108", "110105001"};
    char *f;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    CHECK(!gs__shard_active(ctx));
    CHECK(gs__shard_owns(ctx, "999"));
    REQUIRE(gs_ctx_set_shards(ctx, p, 2) == GS_OK);
    CHECK(gs__shard_active(ctx));
    CHECK_STR(gs__shard_key(ctx), "110108,110105001");
    CHECK(gs__shard_owns(ctx, "110108002001"));
    CHECK(gs__shard_owns(ctx, "110105001003"));
    CHECK(!gs__shard_owns(ctx, "110105002003"));
    CHECK(!gs__shard_owns(ctx, NULL));
    f = gs__shard_filter(ctx, "grid_code");
    REQUIRE(f != NULL);
    CHECK_STR(f,
              "\"grid_code\" LIKE '110108%' OR \"grid_code\" LIKE "
              "'110105001%'");
    free(f);
    CHECK(gs_ctx_set_shards(ctx, (const char *[]){"11a"}, 1) == GS_ERR_USAGE);
    CHECK(strstr(gs_ctx_errmsg(ctx), "shard '11a'") != NULL);
    CHECK(!gs__shard_active(ctx));
    gs_ctx_destroy(ctx);
}

typedef struct rows {
    int n;
    unsigned lines[8];
    char first[8][32];
} rows;

static int on_row(gs_ctx *ctx, void *user, const gs__csvrow *row) {
    rows *r = user;
    (void)ctx;
    if (r->n < 8) {
        r->lines[r->n] = row->line;
        snprintf(r->first[r->n], sizeof r->first[0], "%s", row->f[0]);
    }
    r->n++;
    return GS_OK;
}

TEST(csv_rows_with_the_lines_they_start_on) {
    gs_ctx *ctx;
    rows r = {0};
    char path[] = "/tmp/gs_test_core_XXXXXX";
    int fd = mkstemp(path);
    const char *text =
        "\xEF\xBB\xBF"
        "a,b\r\n\"x\ny\",1\r\n\r\nz,2\r\n";
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    CHECK(gs__csv_read(ctx, path, on_row, &r) == GS_OK);
    CHECK(r.n == 3);
    CHECK_STR(r.first[0], "a");
    CHECK_STR(r.first[1], "x\ny");
    CHECK(r.lines[1] == 2);
    CHECK_STR(r.first[2], "z");
    CHECK(r.lines[2] == 5);
    unlink(path);
    CHECK(gs__csv_read(ctx, path, on_row, &r) == GS_ERR_INPUT_OPEN);
    gs_ctx_destroy(ctx);
}

typedef struct longest {
    size_t len;
    unsigned line;
} longest;

static int on_long_row(gs_ctx *ctx, void *user, const gs__csvrow *row) {
    longest *l = user;
    (void)ctx;
    for (size_t i = 0; i < row->n; i++)
        if (strlen(row->f[i]) > l->len) {
            l->len = strlen(row->f[i]);
            l->line = row->line;
        }
    return GS_OK;
}

/* A 12 MB quoted field parses whole, and libcsv's buffer for it grows by
 * doubling: libcsv asks for 128 bytes more at a time, which with a plain
 * realloc is some 94,000 copies of up to 12 MB (minutes under the
 * sanitizers). With the test hooks the allocations are counted. */
TEST(csv_long_field_grows_geometrically) {
    gs_ctx *ctx;
    longest l = {0, 0};
    char path[] = "/tmp/gs_test_core_XXXXXX";
    size_t n = (size_t)12 << 20;
    char *big = malloc(n);
    int fd = mkstemp(path);
    REQUIRE(fd >= 0 && big);
    memset(big, 'x', n);
    REQUIRE(write(fd, "a,b\n1,\"", 7) == 7);
    REQUIRE(write(fd, big, n) == (ssize_t)n);
    REQUIRE(write(fd, "\"\n2,y\n", 6) == 6);
    close(fd);
    free(big);
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
#ifdef GS_TESTABLE
    gs__alloc_fail_after(0, 0, NULL);
#endif
    CHECK(gs__csv_read(ctx, path, on_long_row, &l) == GS_OK);
#ifdef GS_TESTABLE
    {
        long allocs = gs__alloc_fail_after(-1, 0, NULL);
        printf("  %ld allocations for a 12 MB field\n", allocs);
        CHECK(allocs > 0 && allocs < 64);
    }
#endif
    CHECK(l.len == n);
    CHECK(l.line == 2);
    unlink(path);
    gs_ctx_destroy(ctx);
}

int main(void) {
    RUN(options_named_by_their_struct_names_without_a_hook);
    RUN(options_named_as_the_front_end_says);
    RUN(a_percent_in_a_shown_name_stays_text);
    RUN(the_first_error_sticks);
    RUN(parallel_runs_every_job_once);
    RUN(pool_workers_bounded_by_items_and_limits);
    RUN(shard_key_filter_and_ownership);
    RUN(csv_rows_with_the_lines_they_start_on);
    RUN(csv_long_field_grows_geometrically);
    return HARNESS_END();
}
