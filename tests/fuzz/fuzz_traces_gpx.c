/*
 * fuzz_traces_gpx.c - GPS traces as GPX through gs__traces_read, which
 * reads them through OGR: the track_points layer, times from OGR's
 * DateTime fields, member ids from the track name.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gs__traces t;
    int rc =
        fuzz_read_traces(fuzz_write("traces.gpx", data, size), NULL, 1, &t);
    fuzz_note(rc);
    if (rc == GS_OK) FUZZ_ASSERT(t.n_fixes + t.n_bad + t.n_blank > 0);
    gs__traces_free(&t);
    return 0;
}
