/*
 * fuzz_traces_gpx.c - GPS traces as GPX through gs__traces_read, which
 * reads them through OGR: the track_points layer, times from OGR's
 * DateTime fields, member ids from the track name.
 */
#include "fuzz.h"
#include "ptime.h"
#include "traces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static gs__tz *tz;
    gs_ctx *ctx = fuzz_ctx();
    gs__trace_opts o;
    gs__traces t;
    int rc;
    if (!tz && gs__tz_open(ctx, "Asia/Shanghai", &tz) != GS_OK) abort();
    memset(&o, 0, sizeof o);
    memset(&t, 0, sizeof t);
    o.path = fuzz_write("traces.gpx", data, size);
    o.tz = tz;
    o.threads = 1;
    gs__gdal_enter(ctx);
    rc = gs__traces_read(ctx, &o, &t);
    fuzz_note(rc);
    if (rc == GS_OK) FUZZ_ASSERT(t.n_fixes + t.n_bad + t.n_blank > 0);
    gs__gdal_leave(ctx);
    gs__traces_free(&t);
    return 0;
}
