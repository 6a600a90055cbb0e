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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("traces.csv", data, size);
    gs__traces a, b;
    int ra, rb;
    ra = fuzz_read_traces(path, NULL, 1, &a);
    rb = fuzz_read_traces(path, NULL, 3, &b);
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
