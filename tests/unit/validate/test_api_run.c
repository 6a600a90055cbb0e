/*
 * test_api_run.c - what a program driving a run through the public API
 * relies on: a cancellable progress hook stops a run before it writes
 * (earlier outputs untouched), outputs named other than .gpkg are refused
 * before any work, /vsizip/ and /vsigzip/ inputs read like files, GDAL
 * configuration options and error names.
 */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gridsmith/gridsmith.h"
#include "harness.h"

#define MINI GS_TEST_DATA "/mini"

static char tmpdir[256];

/* The hook stops the run when it reaches phase `stop_at`; it counts the
 * calls it saw. */
typedef struct hook {
    const char *stop_at;
    int calls;
    int stopped;
} hook;

static int on_progress(void *user, const char *phase, double fraction) {
    hook *h = user;
    (void)fraction;
    h->calls++;
    if (h->stop_at && !strcmp(phase, h->stop_at)) {
        h->stopped = 1;
        return GS_PROGRESS_CANCEL;
    }
    return GS_PROGRESS_CONTINUE;
}

static int validate(gs_ctx *ctx, const char *communities, const char *out) {
    gs_validate_opts vo;
    gs_report *rep = NULL;
    int rc;
    gs_validate_opts_init(&vo);
    vo.communities = communities;
    vo.grids = MINI "/grids.geojson";
    vo.households = MINI "/households.geojson";
    vo.members = MINI "/members.csv";
    vo.common.output = out;
    rc = gs_validate_run(ctx, &vo, &rep);
    gs_report_destroy(rep);
    return rc;
}

/* The file's bytes, or NULL; *n its size. */
static char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    char *buf;
    long len;
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *n = (size_t)len;
    return buf;
}

TEST(cancel_before_writing) {
    char out[320];
    gs_ctx *ctx = NULL;
    hook h = {"read households", 0, 0};
    struct stat st;
    snprintf(out, sizeof out, "%s/cancel.gpkg", tmpdir);
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    gs_ctx_set_progress_cancel(ctx, on_progress, &h);
    CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_ERR_CANCELLED);
    CHECK(h.stopped);
    CHECK(strstr(gs_ctx_errmsg(ctx), "cancelled") != NULL);
    CHECK(stat(out, &st) != 0); /* nothing written */
    /* Sticky: the next run on the context stops too ... */
    CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_ERR_CANCELLED);
    /* ... until a hook is set again. */
    h.stop_at = NULL;
    h.calls = 0;
    gs_ctx_set_progress_cancel(ctx, on_progress, &h);
    CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_OK);
    CHECK(h.calls >= 5);
    CHECK(stat(out, &st) == 0);
    gs_ctx_destroy(ctx);
}

TEST(cancel_at_write_keeps_earlier_output) {
    char out[320];
    gs_ctx *ctx = NULL;
    hook h = {NULL, 0, 0};
    size_t n1 = 0, n2 = 0;
    char *before, *after;
    snprintf(out, sizeof out, "%s/keep.gpkg", tmpdir);
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    gs_ctx_set_progress_cancel(ctx, on_progress, &h);
    REQUIRE(validate(ctx, MINI "/communities.geojson", out) == GS_OK);
    before = slurp(out, &n1);
    h.stop_at = "write"; /* the last phase: after every analysis */
    gs_ctx_set_progress_cancel(ctx, on_progress, &h);
    CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_ERR_CANCELLED);
    after = slurp(out, &n2);
    CHECK(before && after && n1 == n2 && memcmp(before, after, n1) == 0);
    free(before);
    free(after);
    gs_ctx_destroy(ctx);
}

TEST(output_must_be_a_geopackage) {
    static const char *const bad[] = {"x.shp", "x.geojson", "x.gpkg.tmp", "x",
                                      ".gpkg"};
    char out[320];
    gs_ctx *ctx = NULL;
    struct stat st;
    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(out, sizeof out, "%s/%s", tmpdir, bad[i]);
        CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_ERR_USAGE);
        CHECK(strstr(gs_ctx_errmsg(ctx), ".gpkg") != NULL);
        CHECK(stat(out, &st) != 0);
    }
    snprintf(out, sizeof out, "%s/UPPER.GPKG", tmpdir);
    CHECK(validate(ctx, MINI "/communities.geojson", out) == GS_OK);
    gs_ctx_destroy(ctx);
}

TEST(vsi_inputs) {
    char zip[320], gz[320], vzip[400], vgz[400], out[320];
    gs_ctx *ctx = NULL;
    size_t n = 0;
    char *data = slurp(MINI "/communities.geojson", &n);
    VSILFILE *fp;
    REQUIRE(data);
    /* A zip archive and a gzipped file, written through GDAL's own
     * virtual file systems. */
    snprintf(zip, sizeof zip, "%s/city.zip", tmpdir);
    snprintf(vzip, sizeof vzip, "/vsizip/%s/inner/communities.geojson", zip);
    fp = VSIFOpenL(vzip, "wb");
    REQUIRE(fp);
    CHECK(VSIFWriteL(data, 1, n, fp) == n);
    VSIFCloseL(fp);
    snprintf(gz, sizeof gz, "%s/communities.geojson.gz", tmpdir);
    snprintf(vgz, sizeof vgz, "/vsigzip/%s", gz);
    fp = VSIFOpenL(vgz, "wb");
    REQUIRE(fp);
    CHECK(VSIFWriteL(data, 1, n, fp) == n);
    VSIFCloseL(fp);
    free(data);

    REQUIRE(gs_ctx_create(&ctx) == GS_OK);
    snprintf(out, sizeof out, "%s/vsizip.gpkg", tmpdir);
    CHECK(validate(ctx, vzip, out) == GS_OK);
    if (*gs_ctx_errmsg(ctx)) printf("  %s\n", gs_ctx_errmsg(ctx));
    snprintf(out, sizeof out, "%s/vsigzip.gpkg", tmpdir);
    CHECK(validate(ctx, vgz, out) == GS_OK);
    if (*gs_ctx_errmsg(ctx)) printf("  %s\n", gs_ctx_errmsg(ctx));
    /* A member that is not there is named as missing. */
    snprintf(vzip, sizeof vzip, "/vsizip/%s/nope.geojson", zip);
    CHECK(validate(ctx, vzip, out) == GS_ERR_INPUT_OPEN);
    CHECK(strstr(gs_ctx_errmsg(ctx), "nope.geojson") != NULL);
    gs_ctx_destroy(ctx);
}

TEST(config_options_and_error_names) {
    CHECK(gs_set_config_option("GS_TEST_OPTION", "42") == GS_OK);
    CHECK(strcmp(CPLGetConfigOption("GS_TEST_OPTION", ""), "42") == 0);
    CHECK(gs_set_config_option("GS_TEST_OPTION", NULL) == GS_OK);
    CHECK(CPLGetConfigOption("GS_TEST_OPTION", NULL) == NULL);
    CHECK(gs_set_config_option("", "1") == GS_ERR_USAGE);
    CHECK(gs_set_config_option("A=B", "1") == GS_ERR_USAGE);
    CHECK(gs_set_config_option(NULL, "1") == GS_ERR_USAGE);
    CHECK(strcmp(gs_err_name(GS_OK), "ok") == 0);
    CHECK(strcmp(gs_err_name(GS_ERR_CANCELLED), "cancelled") == 0);
    CHECK(strcmp(gs_err_name(GS_ERR_INPUT_OPEN), "input_open") == 0);
    CHECK(strcmp(gs_err_name(GS_ERR_INTERNAL), "internal") == 0);
    CHECK(strcmp(gs_err_name(12345), "unknown") == 0);
}

int main(void) {
    char cmd[320];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs_test_api_run.XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    RUN(cancel_before_writing);
    RUN(cancel_at_write_keeps_earlier_output);
    RUN(output_must_be_a_geopackage);
    RUN(vsi_inputs);
    RUN(config_options_and_error_names);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    return HARNESS_END();
}
