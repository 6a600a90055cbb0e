/*
 * fuzz_fields.c - the field and layer mappings (--field ROLE.FIELD=SOURCE,
 * --layer ROLE=NAME) through gs__io_check_opts, the lookups, and two
 * readers that use them on fixed small files: the trace CSV reader
 * (columns found by the mapped names) and the roster reader (OGR).
 *
 * Input: lines; those before the first empty line are --layer specs, the
 * rest --field specs (at most 16 of each).
 */
#include "fuzz.h"
#include "io.h"

#define MAX_SPECS 16

static const char *const role_fields[][6] = {
    {"communities", "community_code", "name", NULL},
    {"grids", "grid_code", "community_code", "grid_type", "name", NULL},
    {"households", "household_id", "persons", "building_id", "care_type", NULL},
    {"members", "member_id", "grid_code", "name", NULL},
    {"traces", "member_id", "time", "lon", "lat", "accuracy_m"},
    {"events", "event_id", "category", "reported_at", "resolved_at", "status"},
    {"barriers", "kind", "name", NULL}};

static const char traces_csv[] =
    "member_id,time,lon,lat,accuracy_m,renyuan,shijian,jingdu,weidu\n"
    "M1,2026-11-16 08:00:00,116.397,39.909,5,M2,2026-11-16 09:00:00,116.4,"
    "39.91\n";
static const char members_csv[] =
    "member_id,grid_code,name,bianhao,wangge\n"
    "M1,110108001001001,A,X1,110108001001002\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gs_ctx *ctx = fuzz_ctx();
    char *lines[2 * MAX_SPECS + 1], *copy;
    const char *layers[MAX_SPECS], *fields[MAX_SPECS];
    size_t n, nl = 0, nf = 0, i = 0;
    gs_input_opts in;
    int rc;

    copy = fuzz_lines(data, size, lines, 2 * MAX_SPECS + 1, &n);
    for (; i < n && lines[i][0] && nl < MAX_SPECS; i++) layers[nl++] = lines[i];
    for (i++; i < n && nf < MAX_SPECS; i++) fields[nf++] = lines[i];
    gs_input_opts_init(&in);
    in.layers = layers;
    in.n_layers = nl;
    in.fields = fields;
    in.n_fields = nf;

    gs__gdal_enter(ctx);
    rc = gs__io_check_opts(ctx, &in);
    gs__gdal_leave(ctx);
    if (rc == GS_OK) {
        gs__traces t;
        gs__model m;
        for (size_t r = 0; r < sizeof role_fields / sizeof role_fields[0];
             r++) {
            (void)gs__io_mapped_layer(&in, role_fields[r][0]);
            for (size_t f = 1; f < 6 && role_fields[r][f]; f++)
                (void)gs__io_mapped_field(&in, role_fields[r][0],
                                          role_fields[r][f]);
        }
        (void)fuzz_read_traces(
            fuzz_write("traces.csv", traces_csv, sizeof traces_csv - 1), &in, 1,
            &t);
        gs__traces_free(&t);

        gs__model_init(&m, ctx->geos);
        gs__gdal_enter(ctx);
        (void)gs__io_read_members(
            ctx, &in,
            fuzz_write("members.csv", members_csv, sizeof members_csv - 1), 0,
            &m, NULL);
        gs__gdal_leave(ctx);
        gs__model_free(&m);
    } else {
        FUZZ_ASSERT(rc == GS_ERR_USAGE);
    }
    free(copy);
    return 0;
}
