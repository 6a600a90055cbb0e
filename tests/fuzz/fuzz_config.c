/*
 * fuzz_config.c - a --config rules file (INI, inih) through
 * gs_rules_load. Invariants: a failure leaves the rules as they were and
 * says why; a success keeps the sizing limits in order.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gs_ctx *ctx = fuzz_ctx();
    gs_rules rules, before;
    const char *path = fuzz_write("rules.ini", data, size);
    gs_rules_init(&rules);
    before = rules;
    int rc;
    gs__gdal_enter(ctx); /* clears the previous input's error */
    rc = gs_rules_load(ctx, &rules, path);
    gs__gdal_leave(ctx);
    fuzz_note(rc);
    if (rc == GS_OK) {
        FUZZ_ASSERT(rules.min_households <= rules.max_households);
        FUZZ_ASSERT(rules.n_deadlines >= 0 &&
                    rules.n_deadlines <= GS_MAX_DEADLINES);
    } else {
        FUZZ_ASSERT(!memcmp(&rules, &before, sizeof rules));
        FUZZ_ASSERT(gs_ctx_errcode(ctx) == GS_ERR_CONFIG);
        FUZZ_ASSERT(gs_ctx_errmsg(ctx)[0] != '\0');
    }
    return 0;
}
