/*
 * fuzz_traces_csv.c - GPS trace rows as CSV through gs__traces_read.
 *
 * The input is the whole CSV file (header included). It is read twice, by
 * one reader thread and by the parallel reader forced to cut even a tiny
 * file into three parts; both must agree on what they kept and refused,
 * because a part boundary inside a quoted field or a multi-byte character
 * is exactly where a parallel CSV reader goes wrong.
 */
#include "fuzz.h"
#include "ptime.h"
#include "traces.h"

static int read_once(const char *path, int threads, gs__traces *t) {
    static gs__tz *tz;
    gs_ctx *ctx = fuzz_ctx();
    gs__trace_opts o;
    int rc;
    if (!tz && gs__tz_open(ctx, "Asia/Shanghai", &tz) != GS_OK) abort();
    memset(&o, 0, sizeof o);
    o.path = path;
    o.tz = tz;
    o.threads = threads;
    gs__gdal_enter(ctx);
    rc = gs__traces_read(ctx, &o, t);
    gs__gdal_leave(ctx);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("traces.csv", data, size);
    gs__traces a, b;
    int ra, rb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ra = read_once(path, 1, &a);
    rb = read_once(path, 3, &b);
    fuzz_note(ra);
    FUZZ_ASSERT(ra == rb);
    if (ra == GS_OK) {
        FUZZ_ASSERT(a.n_fixes == b.n_fixes);
        FUZZ_ASSERT(a.n_bad == b.n_bad);
        FUZZ_ASSERT(a.n_members == b.n_members);
        for (size_t i = 0; i < a.n_fixes; i++) {
            FUZZ_ASSERT(a.fixes[i].t_ms == b.fixes[i].t_ms);
            FUZZ_ASSERT(a.fixes[i].line == b.fixes[i].line);
        }
        for (size_t i = 0; i < a.n_bad; i++)
            FUZZ_ASSERT(a.bad[i].line == b.bad[i].line);
    }
    gs__traces_free(&a);
    gs__traces_free(&b);
    return 0;
}
