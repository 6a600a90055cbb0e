/*
 * fuzz_gpkg.c - a GeoPackage through the readers of every validate role.
 *
 * Input: the bytes of a .gpkg file (a SQLite database), read as grids,
 * communities, households and the roster, each from the layer of its
 * role's name, the way `validate --grids x.gpkg --households x.gpkg` reads
 * one file. Invariant: a refused input says why.
 */
#include "fuzz.h"
#include "io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gs_ctx *ctx = fuzz_ctx();
    const char *path = fuzz_write("in.gpkg", data, size);
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
    gs_input_opts in;
    int rc;

    gs_input_opts_init(&in);
    in.on_error = size % 2 ? GS_ON_ERROR_SKIP : GS_ON_ERROR_FAIL;
    memset(&crs, 0, sizeof crs);
    memset(&info, 0, sizeof info);
    gs__model_init(&m, ctx->geos);
    gs__gdal_enter(ctx);
    rc = gs__io_read_grids(ctx, &in, path, &m, &crs, &info);
    if (!rc) rc = gs__io_read_communities(ctx, &in, path, &m, &crs, &info);
    if (!rc) rc = gs__io_read_households(ctx, &in, path, &m, &crs, &info);
    if (!rc) rc = gs__io_check_household_ids(ctx, &in, &m, &info);
    if (!rc) rc = gs__io_read_members(ctx, &in, path, 0, &m, &info);
    if (rc) FUZZ_ASSERT(gs_ctx_errmsg(ctx)[0] != '\0');
    fuzz_note(rc);
    gs__gdal_leave(ctx);
    gs__model_free(&m);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    return 0;
}
