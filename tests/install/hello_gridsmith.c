/*
 * hello_gridsmith.c - a program a user writes against the installed
 * libgridsmith: built with `pkg-config --cflags --libs gridsmith` (or the
 * CMake package) by tests/install/test_install.sh, it validates the mini
 * city through the public API and prints what the report says.
 *
 * Usage: hello_gridsmith MINI_DIR OUT.gpkg
 */
#include <gridsmith/gridsmith.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    char c[512], g[512], h[512], m[512];
    gs_ctx *ctx = NULL;
    gs_report *rep = NULL;
    gs_validate_opts vo;
    int rc;
    if (argc != 3) {
        fputs("usage: hello_gridsmith MINI_DIR OUT.gpkg\n", stderr);
        return 2;
    }
    snprintf(c, sizeof c, "%s/communities.geojson", argv[1]);
    snprintf(g, sizeof g, "%s/grids.geojson", argv[1]);
    snprintf(h, sizeof h, "%s/households.geojson", argv[1]);
    snprintf(m, sizeof m, "%s/members.csv", argv[1]);
    printf("libgridsmith %s (header %s)\n", gs_version(), GS_VERSION_STRING);
    if (strcmp(gs_version(), GS_VERSION_STRING) != 0) return 1;
    if (gs_ctx_create(&ctx) != GS_OK) return 1;
    gs_validate_opts_init(&vo);
    vo.communities = c;
    vo.grids = g;
    vo.households = h;
    vo.members = m;
    vo.common.output = argv[2];
    rc = gs_validate_run(ctx, &vo, &rep);
    if (rc != GS_OK) {
        fprintf(stderr, "validate failed (%d): %s\n", rc, gs_ctx_errmsg(ctx));
        gs_ctx_destroy(ctx);
        return 1;
    }
    printf("findings %ld\n", gs_report_findings(rep));
    fputs(gs_report_text(rep), stdout);
    gs_report_destroy(rep);
    gs_ctx_destroy(ctx);
    return 0;
}
