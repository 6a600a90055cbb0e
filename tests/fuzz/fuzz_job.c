/*
 * fuzz_job.c - a job file of `gridsmith run` (INI, inih) through
 * gs__job_check, which parses and checks it the way gs_run_job does
 * before running any stage. Invariant: a refused job says why.
 */
#include "fuzz.h"
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gs_ctx *ctx = fuzz_ctx();
    const char *path = fuzz_write("job.ini", data, size);
    int rc;
    gs__gdal_enter(ctx); /* clears the previous input's error */
    rc = gs__job_check(ctx, path);
    gs__gdal_leave(ctx);
    fuzz_note(rc);
    if (rc != GS_OK) {
        FUZZ_ASSERT(rc == GS_ERR_CONFIG);
        FUZZ_ASSERT(gs_ctx_errmsg(ctx)[0] != '\0');
    }
    return 0;
}
