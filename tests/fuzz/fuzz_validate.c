/*
 * fuzz_validate.c - GeoJSON inputs through the readers and the whole of
 * gs_validate_run, output included.
 *
 * Input: up to four parts separated by lines "%%": communities (GeoJSON),
 * grids (GeoJSON), households (GeoJSON) and the roster (CSV; absent when
 * there are only three parts). Invariants (docs/design.md, "Bad input" and
 * "Outputs"): a run either succeeds and writes the GeoPackage, or fails
 * with a message and leaves no output and no temporary file behind.
 */
#include "fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

#define SEP "\n%%\n"

/* The number of entries of the temporary directory. */
static int count_files(void) {
    DIR *d = opendir(fuzz_dir);
    struct dirent *e;
    int n = 0;
    if (!d) abort();
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[4] = {"communities.geojson", "grids.geojson",
                                         "households.geojson", "members.csv"};
    const char *paths[4] = {NULL, NULL, NULL, NULL};
    const uint8_t *p = data, *end = data + size;
    gs_ctx *ctx = fuzz_ctx();
    gs_validate_opts o;
    gs_report *report = NULL;
    const char *out;
    struct stat st;
    int n = 0, before, rc;

    while (n < 4) {
        const uint8_t *sep = NULL;
        for (const uint8_t *q = p; q + 4 <= end; q++)
            if (!memcmp(q, SEP, 4)) {
                sep = q;
                break;
            }
        if (!sep || n == 3) sep = end;
        paths[n] = fuzz_write(names[n], p, (size_t)(sep - p));
        n++;
        if (sep == end) break;
        p = sep + 4;
    }
    if (n < 3) return 0;
    out = fuzz_path("out.gpkg");
    before = count_files();

    gs_validate_opts_init(&o);
    o.communities = paths[0];
    o.grids = paths[1];
    o.households = paths[2];
    o.members = paths[3];
    o.common.output = out;
    o.common.command_line = "fuzz_validate";
    rc = gs_validate_run(ctx, &o, &report);
    fuzz_note(rc);
    if (rc == GS_OK) {
        FUZZ_ASSERT(report != NULL);
        FUZZ_ASSERT(stat(out, &st) == 0);
        FUZZ_ASSERT(gs_report_json(report) && gs_report_text(report));
        unlink(out);
    } else {
        FUZZ_ASSERT(report == NULL);
        FUZZ_ASSERT(gs_ctx_errmsg(ctx)[0] != '\0');
        FUZZ_ASSERT(stat(out, &st) != 0);
        FUZZ_ASSERT(count_files() == before);
    }
    gs_report_destroy(report);
    return 0;
}
