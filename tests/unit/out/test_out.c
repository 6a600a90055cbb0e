/*
 * test_out.c - the writer and the layer schemas.
 *
 * A layer created from its schema is written to a temporary GeoPackage
 * and read back with OGR: its fields in the schema's order and types, its
 * QGIS style in layer_styles with the schema's aliases and renderer, the
 * run_metadata rows; a layer with a dynamic middle (grid_events' cat_*)
 * has it between its head and tail. A write that is aborted or fails
 * leaves an earlier file as it was and no temporary file. The schema
 * table itself is checked for what every reader relies on.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "harness.h"
#include "provenance.h"
#include "writer.h"

static gs_ctx *ctx;
static char dir[64];
static OGRSpatialReferenceH srs;

static void reset(void) {
    gs__gdal_leave(ctx);
    gs__gdal_enter(ctx);
}

/* Entries of the scratch folder other than `keep`. */
static int others(const char *keep) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, keep))
            n++;
    closedir(d);
    return n;
}

/* The whole file, for before/after comparisons; caller frees. */
static char *slurp(const char *path, size_t *out_n) {
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    *out_n = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n)) != NULL &&
        fread(p, 1, (size_t)n, f) == (size_t)n)
        *out_n = (size_t)n;
    fclose(f);
    return p;
}

/* Writes a member_week layer with one feature and the run metadata. */
static int write_member_week(const char *path, const char *member) {
    gs__out *o;
    gs__olayer *l;
    OGRFeatureH f;
    int rc = gs__out_open(ctx, path, srs, srs, &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_PATROL_MEMBER_WEEK, &l)))
        goto fail;
    f = gs__out_feature(l);
    OGR_F_SetFieldString(f, GS__MW_MEMBER_ID, member);
    OGR_F_SetFieldString(f, GS__MW_WEEK, "2026-W47");
    OGR_F_SetFieldDouble(f, GS__MW_IN_GRID_TOLERANT_S, 36000.5);
    OGR_F_SetFieldInteger64(f, GS__MW_COMPLIANT, 1);
    if ((rc = gs__out_put(o, l, f)) ||
        (rc =
             gs__out_meta_run(o, "patrol", "gridsmith patrol ...",
                              "2026-11-23T01:00:00Z", "{}", "EPSG:4527", NULL)))
        goto fail;
    return gs__out_commit(o);
fail:
    gs__out_abort(o);
    return rc;
}

/* The styleQML of layer `layer` in the file's layer_styles, or NULL;
 * caller frees. */
static char *style_of(GDALDatasetH ds, const char *layer) {
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "layer_styles");
    OGRFeatureH f;
    char *qml = NULL;
    if (!l) return NULL;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        int ti = OGR_F_GetFieldIndex(f, "f_table_name");
        int qi = OGR_F_GetFieldIndex(f, "styleQML");
        if (!qml && !strcmp(OGR_F_GetFieldAsString(f, ti), layer))
            qml = strdup(OGR_F_GetFieldAsString(f, qi));
        OGR_F_Destroy(f);
    }
    return qml;
}

TEST(schema_table_is_sound) {
    for (int id = 0; id < GS__LS_COUNT; id++) {
        const gs__layer_schema *s = gs__schema((gs__layer_id)id);
        REQUIRE(s->name && s->layer && s->fields && s->nfields > 0);
        CHECK(gs__schema_find(s->name) == s);
        for (size_t k = 0; k < s->nfields; k++) {
            REQUIRE(s->fields[k].name != NULL);
            /* Names are unique within a layer: readers find them by name. */
            CHECK(gs__schema_field(s, s->fields[k].name) == (int)k);
        }
        if (s->dyn_prefix) CHECK(s->dyn_at > 0 && s->dyn_at < s->nfields);
        if (s->ledger_table) CHECK(gs__schema_ledger(s->ledger_table) == s);
    }
    CHECK(gs__schema_find("patrol.summary") !=
          gs__schema_find("validate.summary"));
    CHECK(gs__schema_find("no.such") == NULL);
    CHECK(gs__schema_ledger("grid_status") ==
          gs__schema(GS__LS_VALIDATE_GRIDS));
    CHECK(gs__schema_ledger("grids") == NULL);
    /* The enums are the fields' positions. */
    CHECK_STR(
        gs__schema(GS__LS_PATROL_MEMBER_WEEK)->fields[GS__MW_WEEKLY_OK].name,
        "weekly_ok");
    CHECK_STR(gs__schema(GS__LS_ASSESS_ASSESSMENT)
                  ->fields[GS__AA_SCORE + GS_ASSESS_SATISFACTION]
                  .name,
              "score_satisfaction");
    CHECK_STR(
        gs__schema(GS__LS_HOTSPOTS_GRID_EVENTS)->fields[GS__GE_GI_BIN].name,
        "gi_bin");
    CHECK(gs__schema_is_dynamic(gs__schema(GS__LS_HOTSPOTS_GRID_EVENTS),
                                "cat_12"));
    CHECK(!gs__schema_is_dynamic(gs__schema(GS__LS_HOTSPOTS_GRID_EVENTS),
                                 "events"));
}

TEST(layer_from_schema_read_back) {
    char path[128];
    GDALDatasetH ds;
    OGRLayerH l;
    OGRFeatureDefnH fd;
    OGRFeatureH f;
    const gs__layer_schema *s = gs__schema(GS__LS_PATROL_MEMBER_WEEK);
    char *qml;
    int meta = 0;
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    reset();
    REQUIRE(write_member_week(path, "M0001") == GS_OK);
    CHECK(others("out.gpkg") == 0); /* no temporary left */
    ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    REQUIRE(ds);
    l = GDALDatasetGetLayerByName(ds, "member_week");
    REQUIRE(l);
    CHECK(wkbFlatten(OGR_L_GetGeomType(l)) == wkbMultiPolygon);
    fd = OGR_L_GetLayerDefn(l);
    REQUIRE(OGR_FD_GetFieldCount(fd) == (int)s->nfields);
    for (size_t k = 0; k < s->nfields; k++) {
        OGRFieldDefnH d = OGR_FD_GetFieldDefn(fd, (int)k);
        OGRFieldType want = s->fields[k].type == GS__F_INT    ? OFTInteger64
                            : s->fields[k].type == GS__F_REAL ? OFTReal
                                                              : OFTString;
        CHECK_STR(OGR_Fld_GetNameRef(d), s->fields[k].name);
        CHECK(OGR_Fld_GetType(d) == want);
    }
    f = OGR_L_GetNextFeature(l);
    REQUIRE(f);
    CHECK_STR(OGR_F_GetFieldAsString(f, GS__MW_MEMBER_ID), "M0001");
    CHECK_NEAR(OGR_F_GetFieldAsDouble(f, GS__MW_IN_GRID_TOLERANT_S), 36000.5,
               1e-9);
    OGR_F_Destroy(f);
    /* The style: categorized on compliant, the schema's aliases at their
     * positions (+1 for the FID column). */
    qml = style_of(ds, "member_week");
    REQUIRE(qml);
    CHECK(strstr(qml, "type=\"categorizedSymbol\" attr=\"compliant\""));
    CHECK(strstr(qml,
                 "<alias field=\"in_grid_tolerant_s\" index=\"5\" "
                 "name=\"网格内时长(含15米容差,秒)\"/>"));
    CHECK(strstr(qml,
                 "<alias field=\"weekly_ok\" index=\"8\" "
                 "name=\"本周达标\"/>"));
    free(qml);
    qml = style_of(ds, "run_metadata");
    CHECK(qml && strstr(qml, "name=\"键\""));
    free(qml);
    /* The run metadata. */
    l = GDALDatasetGetLayerByName(ds, "run_metadata");
    REQUIRE(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *k = OGR_F_GetFieldAsString(f, GS__RM_KEY);
        const char *v = OGR_F_GetFieldAsString(f, GS__RM_VALUE);
        if (!strcmp(k, "command")) meta += !strcmp(v, "patrol");
        if (!strcmp(k, "engine")) meta += !strcmp(v, "gridsmith");
        if (!strcmp(k, "metric_crs")) meta += !strcmp(v, "EPSG:4527");
        OGR_F_Destroy(f);
    }
    CHECK(meta == 3);
    GDALClose(ds);
}

TEST(dynamic_middle_between_head_and_tail) {
    static const gs__field cats[] = {{"cat_1", GS__F_INT, "环境卫生"},
                                     {"cat_2", GS__F_INT, "治安隐患"}};
    char path[128];
    gs__out *o;
    gs__olayer *l;
    GDALDatasetH ds;
    OGRFeatureDefnH fd;
    char *qml;
    int gi;
    snprintf(path, sizeof path, "%s/events.gpkg", dir);
    reset();
    REQUIRE(gs__out_open(ctx, path, srs, srs, &o) == GS_OK);
    /* Such a layer needs its middle given. */
    CHECK(gs__out_layer_schema(o, GS__LS_HOTSPOTS_GRID_EVENTS, &l) ==
          GS_ERR_INTERNAL);
    reset();
    REQUIRE(gs__out_layer_schema_dyn(o, GS__LS_HOTSPOTS_GRID_EVENTS, cats, 2,
                                     &l) == GS_OK);
    gi = gs__out_index(l, GS__GE_GI_BIN);
    CHECK(gi == GS__GE_GI_BIN + 2);
    CHECK(gs__out_index(l, GS__GE_OVERDUE) == GS__GE_OVERDUE);
    {
        OGRFeatureH f = gs__out_feature(l);
        OGR_F_SetFieldString(f, GS__GE_GRID_CODE, "110108001001001");
        OGR_F_SetFieldInteger64(f, GS__GE_EVENTS_PER_KM2, 0);
        OGR_F_SetFieldInteger64(f, GS__GE_OVERDUE + 1, 7); /* cat_1 */
        OGR_F_SetFieldInteger64(f, gi, 3);
        CHECK(gs__out_put(o, l, f) == GS_OK);
    }
    REQUIRE(gs__out_commit(o) == GS_OK);
    ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    REQUIRE(ds);
    fd = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "grid_events"));
    CHECK(OGR_FD_GetFieldCount(fd) == GS__GE_N + 2);
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, GS__GE_OVERDUE)),
              "overdue");
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, GS__GE_OVERDUE + 1)),
              "cat_1");
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, GS__GE_OVERDUE + 2)),
              "cat_2");
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, gi)), "gi_bin");
    qml = style_of(ds, "grid_events");
    CHECK(qml && strstr(qml, "name=\"治安隐患\""));
    CHECK(qml && strstr(qml, "attr=\"gi_bin\""));
    free(qml);
    GDALClose(ds);
}

TEST(aborted_or_failed_write_leaves_earlier_file) {
    char path[128];
    char *before, *after;
    size_t nb, na;
    gs__out *o;
    gs__olayer *l;
    snprintf(path, sizeof path, "%s/keep.gpkg", dir);
    reset();
    REQUIRE(write_member_week(path, "EARLIER") == GS_OK);
    before = slurp(path, &nb);
    REQUIRE(before && nb > 0);
    /* Aborted midway. */
    REQUIRE(gs__out_open(ctx, path, srs, srs, &o) == GS_OK);
    REQUIRE(gs__out_layer_schema(o, GS__LS_PATROL_MEMBER_WEEK, &l) == GS_OK);
    CHECK(gs__out_put(o, l, gs__out_feature(l)) == GS_OK);
    gs__out_abort(o);
    /* Failed at the commit: no report to commit with. */
    REQUIRE(gs__out_open(ctx, path, srs, srs, &o) == GS_OK);
    REQUIRE(gs__out_layer_schema(o, GS__LS_PATROL_MEMBER_WEEK, &l) == GS_OK);
    {
        gs_report *r = NULL;
        CHECK(gs__out_commit_report(ctx, o, NULL, &r) == GS_ERR_NOMEM);
        CHECK(r == NULL);
    }
    after = slurp(path, &na);
    CHECK(after && na == nb && !memcmp(before, after, nb));
    CHECK(others("keep.gpkg") == 2); /* out.gpkg, events.gpkg */
    free(before);
    free(after);
}

TEST(output_paths_checked) {
    char path[160];
    reset();
    CHECK(gs__out_check(ctx, dir) == GS_ERR_IO);
    CHECK(strstr(gs_ctx_errmsg(ctx), "is a directory") != NULL);
    snprintf(path, sizeof path, "%s/no/such/out.gpkg", dir);
    reset();
    CHECK(gs__out_check(ctx, path) == GS_ERR_IO);
    CHECK(strstr(gs_ctx_errmsg(ctx), "does not exist") != NULL);
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    {
        const char *inputs[] = {NULL, path};
        reset();
        CHECK(gs__out_check_inputs(ctx, path, inputs, 2) == GS_ERR_USAGE);
    }
    reset();
    CHECK(gs__out_check(ctx, "PG:dbname=x") == GS_OK);
}

TEST(plain_file_written_atomically) {
    char path[160], *got;
    size_t n;
    snprintf(path, sizeof path, "%s/report.html", dir);
    reset();
    REQUIRE(gs__out_file(ctx, path, "<p>one</p>", 10) == GS_OK);
    REQUIRE(gs__out_file(ctx, path, "<p>two!</p>", 11) == GS_OK);
    got = slurp(path, &n);
    CHECK(got && n == 11 && !memcmp(got, "<p>two!</p>", 11));
    free(got);
    CHECK(others("report.html") == 3);
}

int main(void) {
    char cmd[128];
    snprintf(dir, sizeof dir, "/tmp/gs_test_out.XXXXXX");
    if (!mkdtemp(dir) || gs_ctx_create(&ctx) != GS_OK) return 1;
    srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4490);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    gs__gdal_enter(ctx);
    RUN(schema_table_is_sound);
    RUN(layer_from_schema_read_back);
    RUN(dynamic_middle_between_head_and_tail);
    RUN(aborted_or_failed_write_leaves_earlier_file);
    RUN(output_paths_checked);
    RUN(plain_file_written_atomically);
    gs__gdal_leave(ctx);
    OSRDestroySpatialReference(srs);
    gs_ctx_destroy(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!harness_failed && system(cmd) != 0) return 1;
    return HARNESS_END();
}
