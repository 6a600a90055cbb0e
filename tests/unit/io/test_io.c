/*
 * test_io.c - reading the input layers into the model (io.h): the mini
 * city, field and layer mappings, events, barriers, and every setup error
 * with its code and the piece of its message that names the place.
 *
 * The mini city (data/mini/README.md) is in EPSG:4548, the metric CRS the
 * readers pick for it, so its coordinates come out as they are stored;
 * the projection itself is checked with households given in lon/lat
 * against PROJ called directly. Other fixtures are small GeoJSON, CSV and
 * GeoPackage files the tests write into a temporary folder. Messages are
 * read without an option-name hook, so options appear by their API names
 * ("fields", "on_error").
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datetime.h"
#include "harness.h"
#include "io.h"

#define MINI GS_TEST_DATA "/mini/"

static gs_ctx *ctx;
static char tmpdir[64];

static const char *tmp_path(const char *name) {
    static char path[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static const char *write_tmp(const char *name, const char *text) {
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return p;
}

/* The context's message contains `piece`; prints the message when not. */
static int msg_has(const char *piece) {
    if (strstr(gs_ctx_errmsg(ctx), piece)) return 1;
    printf("  message: %s\n  lacks:   %s\n", gs_ctx_errmsg(ctx), piece);
    return 0;
}

/* A GeoJSON FeatureCollection named `name` in EPSG:`epsg` (0: none, i.e.
 * WGS84 lon/lat) with the features given as JSON text. */
static const char *write_geojson(const char *file, const char *name, int epsg,
                                 const char *features) {
    char *text;
    const char *p;
    size_t n = strlen(features) + 400;
    char crs[160] = "";
    text = malloc(n);
    if (!text) return NULL;
    if (epsg)
        snprintf(crs, sizeof crs,
                 "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                 "\"urn:ogc:def:crs:EPSG::%d\"}},",
                 epsg);
    snprintf(text, n,
             "{\"type\":\"FeatureCollection\",\"name\":\"%s\",%s"
             "\"features\":[%s]}",
             name, crs, features);
    p = write_tmp(file, text);
    free(text);
    return p;
}

/* The readers, each as a public call makes it: the context's previous
 * error cleared and GDAL's messages routed into it. */
typedef struct city {
    gs__model m;
    gs__crsinfo crs;
    gs__inputs info;
} city;

static void city_init(city *c) {
    gs__model_init(&c->m, ctx->geos);
    memset(&c->crs, 0, sizeof c->crs);
    memset(&c->info, 0, sizeof c->info);
}

static void city_free(city *c) {
    gs__model_free(&c->m);
    gs__crsinfo_free(&c->crs);
    gs__inputs_free(&c->info);
}

enum { GRIDS, COMMUNITIES, HOUSEHOLDS, MEMBERS, BARRIERS };

static int read_role(int role, const gs_input_opts *in, const char *path,
                     city *c) {
    int rc = GS_ERR_INTERNAL;
    gs__gdal_enter(ctx);
    switch (role) {
        case GRIDS:
            rc = gs__io_read_grids(ctx, in, path, &c->m, &c->crs, &c->info);
            break;
        case COMMUNITIES:
            rc = gs__io_read_communities(ctx, in, path, &c->m, &c->crs,
                                         &c->info);
            break;
        case HOUSEHOLDS:
            rc =
                gs__io_read_households(ctx, in, path, &c->m, &c->crs, &c->info);
            break;
        case MEMBERS:
            rc = gs__io_read_members(ctx, in, path, 0, &c->m, &c->info);
            break;
        case BARRIERS:
            rc = gs__io_read_barriers(ctx, in, path, &c->m, &c->crs, &c->info);
            break;
    }
    gs__gdal_leave(ctx);
    return rc;
}

/* The grids of the mini city, which set the CRSes; then `role`. */
static int read_with_grids(int role, const gs_input_opts *in, const char *path,
                           city *c) {
    int rc = read_role(GRIDS, NULL, MINI "grids.geojson", c);
    return rc ? rc : read_role(role, in, path, c);
}

static int check_ids(const gs_input_opts *in, city *c) {
    int rc;
    gs__gdal_enter(ctx);
    rc = gs__io_check_household_ids(ctx, in, &c->m, &c->info);
    gs__gdal_leave(ctx);
    return rc;
}

static int check_opts(const gs_input_opts *in) {
    int rc;
    gs__gdal_enter(ctx);
    rc = gs__io_check_opts(ctx, in);
    gs__gdal_leave(ctx);
    return rc;
}

/* ---- the mini city -------------------------------------------------------
 */

TEST(reads_the_mini_city) {
    city c;
    long persons = 0;
    int ok = 0;
    city_init(&c);
    REQUIRE(read_role(GRIDS, NULL, MINI "grids.geojson", &c) == GS_OK);
    REQUIRE(read_role(COMMUNITIES, NULL, MINI "communities.geojson", &c) ==
            GS_OK);
    REQUIRE(read_role(HOUSEHOLDS, NULL, MINI "households.geojson", &c) ==
            GS_OK);
    REQUIRE(read_role(MEMBERS, NULL, MINI "members.csv", &c) == GS_OK);

    /* The metric CRS of the centre (117.0E) and the grids' own. */
    CHECK(strstr(c.crs.metric_name, "EPSG:4548") != NULL);
    CHECK(strstr(c.crs.metric_name, "CM 117E") != NULL);
    CHECK(c.crs.output && OSRGetAuthorityCode(c.crs.output, NULL) &&
          !strcmp(OSRGetAuthorityCode(c.crs.output, NULL), "4548"));

    REQUIRE(c.m.n_grids == 5);
    CHECK_STR(c.m.grids[0].code, "110108001001001");
    CHECK_STR(c.m.grids[0].community_code, "110108001001");
    CHECK_STR(c.m.grids[0].name, "第一网格");
    CHECK_STR(c.m.grids[0].grid_type, "basic");
    CHECK_STR(c.m.grids[4].code, "110108001002002");
    CHECK(c.m.grids[4].origin.fid == 4 && c.m.grids[4].origin.line == 0);
    CHECK(c.m.grids[0].src_wkb && c.m.grids[0].nparts == 1);
    CHECK(!c.m.grids[0].invalid);
    {
        /* [0,100]x[0,100] and [100,195]x[0,100], in square metres. */
        double a0 = 0, a1 = 0;
        GEOSArea_r(ctx->geos, c.m.grids[0].geom, &a0);
        GEOSArea_r(ctx->geos, c.m.grids[1].geom, &a1);
        CHECK_NEAR(a0, 10000.0, 1e-6);
        CHECK_NEAR(a1, 9500.0, 1e-6);
    }

    REQUIRE(c.m.n_communities == 2);
    CHECK_STR(c.m.communities[0].code, "110108001001");
    CHECK_STR(c.m.communities[1].name, "颐和园社区");

    REQUIRE(c.m.n_households == 21);
    CHECK_STR(c.m.households[0].id, "H001");
    CHECK_STR(c.m.households[0].building_id, "A");
    CHECK_STR(c.m.households[0].care_type, "");
    CHECK_NEAR(c.m.households[0].x, 500010.0, 1e-3);
    CHECK_NEAR(c.m.households[0].y, 4400050.0, 1e-3);
    CHECK_NEAR(c.m.households[20].x, 500197.0, 1e-3); /* H021, in the gap */
    /* H015's persons is "abc": not ok, and not an error. */
    CHECK_STR(c.m.households[14].id, "H015");
    CHECK(!c.m.households[14].persons_ok && c.m.households[14].persons == 0);
    for (size_t i = 0; i < c.m.n_households; i++)
        if (c.m.households[i].persons_ok) {
            ok++;
            persons += c.m.households[i].persons;
        }
    CHECK(ok == 20 && persons == 45);

    /* The roster: a CSV, so lines (the header is line 1). */
    REQUIRE(c.m.n_members == 7);
    CHECK(c.m.have_members);
    CHECK_STR(c.m.members[0].member_id, "M1");
    CHECK_STR(c.m.members[0].grid_code, "110108001001001");
    CHECK_STR(c.m.members[0].name, "王芳");
    CHECK(c.m.members[0].origin.line == 2);
    CHECK_STR(c.m.members[6].member_id, "M9");
    CHECK(c.m.members[6].origin.line == 8);
    CHECK(c.m.n_skipped == 0);

    /* Each input is recorded for the run's metadata. */
    REQUIRE(c.info.n == 4);
    CHECK_STR(c.info.items[0].role, "grids");
    CHECK_STR(c.info.items[0].layer, "grids");
    CHECK(c.info.items[0].features == 5);
    CHECK(c.info.items[2].features == 21);
    CHECK_STR(c.info.items[3].role, "members");
    CHECK(c.info.items[3].features == 7);
    CHECK(strlen(c.info.items[0].sha256) == 64);
    CHECK(strcmp(c.info.items[0].sha256, c.info.items[1].sha256) != 0);
    city_free(&c);
}

/* lon/lat -> EPSG:4548 through PROJ directly: the independent reference. */
static int proj_4548(double lon, double lat, double *x, double *y) {
    PJ_CONTEXT *pc = proj_context_create();
    PJ *op = proj_create_crs_to_crs(pc, "EPSG:4490", "EPSG:4548", NULL);
    PJ *norm = op ? proj_normalize_for_visualization(pc, op) : NULL;
    int ok = norm != NULL;
    if (ok) {
        PJ_COORD r = proj_trans(norm, PJ_FWD, proj_coord(lon, lat, 0, 0));
        *x = r.xy.x;
        *y = r.xy.y;
    }
    if (norm) proj_destroy(norm);
    if (op) proj_destroy(op);
    proj_context_destroy(pc);
    return ok;
}

#define HH(id, persons, lon, lat)                                  \
    "{\"type\":\"Feature\",\"properties\":{\"household_id\":\"" id \
    "\",\"persons\":" persons                                      \
    "},\"geometry\":{\"type\":\"Point\","                          \
    "\"coordinates\":[" lon "," lat "]}}"

TEST(households_in_lonlat_are_projected_as_proj_does) {
    static const double ll[3][2] = {
        {116.3974, 39.9087}, {117.0012, 39.9993}, {116.9, 40.1}};
    const char *p = write_geojson(
        "hh_ll.geojson", "households", 4490,
        HH("A", "1", "116.3974", "39.9087") "," HH(
            "B", "2", "117.0012",
            "39.9993") "," HH("C", "3", "116.9",
                              "40.1") "," HH("D", "4", "116.5", "91.0"));
    gs_input_opts skip;
    city c;
    REQUIRE(p);
    /* D lies beyond the pole, outside the CRS's range: a located problem
     * left out of the count, with or without on_error=skip (a bad row,
     * like a far point, never stops the run). */
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_OK);
    CHECK(c.m.n_households == 3);
    CHECK(c.m.n_skipped == 1);
    city_free(&c);
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, &skip, p, &c) == GS_OK);
    REQUIRE(c.m.n_households == 3);
    for (size_t i = 0; i < 3; i++) {
        double x, y;
        REQUIRE(proj_4548(ll[i][0], ll[i][1], &x, &y));
        CHECK_NEAR(c.m.households[i].x, x, 1e-3);
        CHECK_NEAR(c.m.households[i].y, y, 1e-3);
    }
    CHECK(c.m.households[2].persons == 3);
    REQUIRE(c.m.n_skipped == 1);
    CHECK_STR(c.m.skipped[0].role, "households");
    CHECK(c.m.skipped[0].origin.fid == 3);
    CHECK(strstr(c.m.skipped[0].reason,
                 "(116.5, 91) is outside the range of the layer's CRS") !=
          NULL);
    city_free(&c);
}

TEST(persons_ok_only_for_whole_numbers) {
    const char *p = write_tmp("persons.csv",
                              "household_id,persons,lon,lat\n"
                              "P1,2,116.30,39.90\n"
                              "P2, 3 ,116.30,39.90\n"
                              "P3,2.5,116.30,39.90\n"
                              "P4,-1,116.30,39.90\n"
                              "P5,,116.30,39.90\n"
                              "P6,1e2,116.30,39.90\n"
                              "P7,abc,116.30,39.90\n"
                              "P8,4.0,116.30,39.90\n");
    static const int want_ok[8] = {1, 1, 0, 0, 0, 1, 0, 1};
    static const long want[8] = {2, 3, 0, 0, 0, 100, 0, 4};
    city c;
    REQUIRE(p);
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_OK);
    REQUIRE(c.m.n_households == 8);
    for (int i = 0; i < 8; i++) {
        CHECK(c.m.households[i].persons_ok == want_ok[i]);
        CHECK(c.m.households[i].persons == want[i]);
    }
    /* A CSV's points are lon/lat in WGS84: projected, line by line. */
    CHECK(c.m.households[7].origin.line == 9);
    CHECK(c.m.households[0].x > 440000 && c.m.households[0].x < 450000);
    city_free(&c);
    /* Numbers as numbers (a GeoJSON field of reals). */
    p = write_geojson(
        "persons_real.geojson", "households", 4548,
        HH("R1", "2", "500010", "4400050") "," HH(
            "R2", "2.5", "500010",
            "4400050") "," HH("R3", "3.0", "500010",
                              "4400050") "," HH("R4", "-1", "500010",
                                                "4400050") "," HH("R5", "null",
                                                                  "500010",
                                                                  "4400050"));
    REQUIRE(p);
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_OK);
    REQUIRE(c.m.n_households == 5);
    CHECK(c.m.households[0].persons_ok && c.m.households[0].persons == 2);
    CHECK(!c.m.households[1].persons_ok);
    CHECK(c.m.households[2].persons_ok && c.m.households[2].persons == 3);
    CHECK(!c.m.households[3].persons_ok && !c.m.households[4].persons_ok);
    city_free(&c);
}

TEST(members_blank_rows_skipped_empty_ids_not) {
    const char *p = write_tmp("members_blank.csv",
                              "member_id,grid_code,name\n"
                              "M1,110108001001001,a\n"
                              ",,\n"
                              "M2,110108001001002,b\n"
                              ",110108001001003,c\n");
    gs_input_opts skip;
    city c;
    REQUIRE(p);
    city_init(&c);
    CHECK(read_role(MEMBERS, NULL, p, &c) != GS_OK);
    CHECK(
        msg_has("members_blank.csv, line 5: member_id is empty (use "
                "on_error=skip"));
    city_free(&c);
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    city_init(&c);
    REQUIRE(read_role(MEMBERS, &skip, p, &c) == GS_OK);
    REQUIRE(c.m.n_members == 2);
    CHECK_STR(c.m.members[1].member_id, "M2");
    CHECK(c.m.members[1].origin.line == 4);
    REQUIRE(c.m.n_skipped == 1); /* the empty id, not the blank row */
    CHECK(c.m.skipped[0].origin.line == 5);
    city_free(&c);
}

/* ---- mappings ------------------------------------------------------------
 */

TEST(mapped_field_and_layer_lookup) {
    static const char *const fields[] = {"households.persons=renkou",
                                         "grids.grid_code=bianhao"};
    static const char *const layers[] = {"grids=wangge"};
    gs_input_opts in;
    gs_input_opts_init(&in);
    in.fields = fields;
    in.n_fields = 2;
    in.layers = layers;
    in.n_layers = 1;
    CHECK(check_opts(&in) == GS_OK);
    CHECK_STR(gs__io_mapped_field(&in, "households", "persons"), "renkou");
    CHECK_STR(gs__io_mapped_field(&in, "grids", "grid_code"), "bianhao");
    CHECK(gs__io_mapped_field(&in, "grids", "grid") == NULL);
    CHECK(gs__io_mapped_field(&in, "household", "persons") == NULL);
    CHECK(gs__io_mapped_field(&in, "households", "building_id") == NULL);
    CHECK(gs__io_mapped_field(NULL, "households", "persons") == NULL);
    CHECK_STR(gs__io_mapped_layer(&in, "grids"), "wangge");
    CHECK(gs__io_mapped_layer(&in, "grid") == NULL);
    CHECK(gs__io_mapped_layer(&in, "households") == NULL);
    CHECK(gs__io_mapped_layer(NULL, "grids") == NULL);
}

/* Writes a GeoPackage of two household layers, hh_a (persons) and hh_b
 * (renkou, and one household more), in EPSG:4548. */
static const char *write_two_layers(void) {
    const char *p = tmp_path("two.gpkg");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    int ok = 1;
    if (!drv || !srs || OSRImportFromEPSG(srs, 4548) != OGRERR_NONE)
        return NULL;
    unlink(p);
    ds = GDALCreate(drv, p, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) return NULL;
    for (int k = 0; k < 2; k++) {
        OGRLayerH l = GDALDatasetCreateLayer(ds, k ? "hh_b" : "hh_a", srs,
                                             wkbPoint, NULL);
        OGRFieldDefnH fd = OGR_Fld_Create("household_id", OFTString);
        OGRFieldDefnH fp = OGR_Fld_Create(k ? "renkou" : "persons", OFTInteger);
        ok = ok && l && OGR_L_CreateField(l, fd, 1) == OGRERR_NONE &&
             OGR_L_CreateField(l, fp, 1) == OGRERR_NONE;
        OGR_Fld_Destroy(fd);
        OGR_Fld_Destroy(fp);
        for (int i = 0; ok && i < 2 + k; i++) {
            OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
            OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
            char id[16];
            snprintf(id, sizeof id, "%c%d", k ? 'B' : 'A', i + 1);
            OGR_F_SetFieldString(f, 0, id);
            OGR_F_SetFieldInteger(f, 1, 10 * (k + 1) + i);
            OGR_G_SetPoint_2D(g, 0, 500010.0 + i, 4400050.0);
            OGR_F_SetGeometryDirectly(f, g);
            ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    OSRDestroySpatialReference(srs);
    return ok ? p : NULL;
}

TEST(layer_choice_and_field_mapping) {
    const char *p = write_two_layers();
    static const char *layer_b[] = {"households=hh_b"};
    static const char *layer_no[] = {"households=nope"};
    static const char *renkou[] = {"households.persons=renkou"};
    static const char *missing[] = {"households.persons=nope"};
    gs_input_opts in;
    city c;
    REQUIRE(p);
    /* Two layers, neither named households: say which to choose. */
    city_init(&c);
    CHECK(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_ERR_INPUT_OPEN);
    CHECK(
        msg_has("two.gpkg: several layers, and no layer is named "
                "'households'; choose one with layers households=NAME "
                "(layers: hh_a, hh_b)"));
    city_free(&c);
    /* A layer that is not there. */
    gs_input_opts_init(&in);
    in.layers = layer_no;
    in.n_layers = 1;
    city_init(&c);
    CHECK(read_with_grids(HOUSEHOLDS, &in, p, &c) == GS_ERR_INPUT_OPEN);
    CHECK(msg_has("two.gpkg: no layer 'nope' (households)"));
    city_free(&c);
    /* hh_b has renkou, not persons. */
    in.layers = layer_b;
    city_init(&c);
    CHECK(read_with_grids(HOUSEHOLDS, &in, p, &c) == GS_ERR_INPUT_FIELD);
    CHECK(
        msg_has("two.gpkg, layer hh_b: missing required field 'persons' "
                "of households (fields: household_id, renkou); map yours "
                "with fields households.persons=NAME"));
    city_free(&c);
    /* Mapped: read from renkou. */
    in.fields = renkou;
    in.n_fields = 1;
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, &in, p, &c) == GS_OK);
    REQUIRE(c.m.n_households == 3);
    CHECK_STR(c.m.households[2].id, "B3");
    CHECK(c.m.households[2].persons_ok && c.m.households[2].persons == 22);
    CHECK_STR(c.info.items[1].layer, "hh_b");
    city_free(&c);
    /* Mapped to a field that is not there. */
    in.fields = missing;
    city_init(&c);
    CHECK(read_with_grids(HOUSEHOLDS, &in, p, &c) == GS_ERR_INPUT_FIELD);
    CHECK(
        msg_has("two.gpkg, layer hh_b: field 'nope' (mapped to "
                "households.persons with fields) does not exist (fields: "
                "household_id, renkou)"));
    city_free(&c);
}

TEST(fields_found_in_capitals_and_cut_to_ten_characters) {
    /* Excel and DBF like capitals; DBF cuts community_code to
     * community_. */
    const char *p = write_geojson(
        "caps.geojson", "wangge", 4548,
        "{\"type\":\"Feature\",\"properties\":{\"GRID_CODE\":\"G1\","
        "\"community_\":\"C1\"},\"geometry\":{\"type\":\"Polygon\","
        "\"coordinates\":[[[500000,4400000],[500100,4400000],"
        "[500100,4400100],[500000,4400100],[500000,4400000]]]}}");
    city c;
    REQUIRE(p);
    city_init(&c);
    REQUIRE(read_role(GRIDS, NULL, p, &c) == GS_OK);
    REQUIRE(c.m.n_grids == 1);
    CHECK_STR(c.m.grids[0].code, "G1");
    CHECK_STR(c.m.grids[0].community_code, "C1");
    CHECK_STR(c.m.grids[0].grid_type, "basic"); /* when not given */
    CHECK_STR(c.m.grids[0].name, "");
    CHECK_STR(c.info.items[0].layer, "wangge"); /* the only layer */
    city_free(&c);
}

/* gs__io_check_opts rejects `spec` as a {fields} (is_field) or {layers}
 * spec with GS_ERR_USAGE and `piece` in the message. */
static int spec_fails(int is_field, const char *spec, const char *piece) {
    const char *specs[1];
    gs_input_opts in;
    gs_input_opts_init(&in);
    specs[0] = spec;
    if (is_field) {
        in.fields = specs;
        in.n_fields = 1;
    } else {
        in.layers = specs;
        in.n_layers = 1;
    }
    return check_opts(&in) == GS_ERR_USAGE && msg_has(piece);
}

TEST(bad_mappings_and_options_are_usage_errors) {
    gs_input_opts in;
    CHECK(spec_fails(1, "household.persons=renkou",
                     "fields 'household.persons=renkou': unknown role "
                     "'household' (known: communities, grids, households"));
    CHECK(spec_fails(0, "grid=wangge",
                     "layers 'grid=wangge': unknown role 'grid' (known: "));
    CHECK(spec_fails(1, "households.renkou=persons",
                     "fields 'households.renkou=persons': households has "
                     "no field 'renkou'"));
    CHECK(spec_fails(1, "households.persons",
                     "fields 'households.persons': expected "
                     "ROLE.FIELD=SOURCE"));
    CHECK(spec_fails(1, "persons=renkou", "expected ROLE.FIELD=SOURCE"));
    CHECK(spec_fails(1, "households.persons=", "expected ROLE.FIELD=SOURCE"));
    CHECK(spec_fails(0, "grids", "layers 'grids': expected ROLE=LAYER"));
    CHECK(spec_fails(0, "=wangge", "expected ROLE=LAYER"));
    gs_input_opts_init(&in);
    in.encoding = "NO-SUCH-ENCODING";
    CHECK(check_opts(&in) == GS_ERR_USAGE);
    CHECK(msg_has("encoding 'NO-SUCH-ENCODING': unknown encoding"));
    gs_input_opts_init(&in);
    in.assume_crs = "EPSG:999999";
    CHECK(check_opts(&in) == GS_ERR_USAGE);
    CHECK(msg_has("cannot understand the CRS 'EPSG:999999'"));
    gs_input_opts_init(&in);
    in.encoding = "GB18030";
    in.assume_crs = "EPSG:4490";
    CHECK(check_opts(&in) == GS_OK);
    CHECK(check_opts(NULL) == GS_OK);
}

/* ---- setup errors --------------------------------------------------------
 */

TEST(missing_required_field) {
    const char *p = write_geojson(
        "nocomm.geojson", "grids", 4548,
        "{\"type\":\"Feature\",\"properties\":{\"grid_code\":\"G1\","
        "\"name\":\"x\"},\"geometry\":{\"type\":\"Polygon\","
        "\"coordinates\":[[[500000,4400000],[500100,4400000],"
        "[500100,4400100],[500000,4400000]]]}}");
    city c;
    REQUIRE(p);
    city_init(&c);
    CHECK(read_role(GRIDS, NULL, p, &c) == GS_ERR_INPUT_FIELD);
    CHECK(
        msg_has("nocomm.geojson, layer grids: missing required field "
                "'community_code' of grids (fields: grid_code, name); map "
                "yours with fields grids.community_code=NAME"));
    city_free(&c);
    /* The roster without grid_code. */
    p = write_tmp("members_nogrid.csv", "member_id,name\nM1,x\n");
    REQUIRE(p);
    city_init(&c);
    CHECK(read_role(MEMBERS, NULL, p, &c) == GS_ERR_INPUT_FIELD);
    CHECK(
        msg_has("members_nogrid.csv, layer members_nogrid: missing "
                "required field 'grid_code' of members"));
    city_free(&c);
}

TEST(empty_layers) {
    const char *p = write_geojson("empty.geojson", "households", 4548, "");
    city c;
    REQUIRE(p);
    city_init(&c);
    CHECK(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_ERR_INPUT_EMPTY);
    CHECK(
        msg_has("empty.geojson, layer households (households): the layer "
                "has no features"));
    city_free(&c);
    p = write_tmp("members_empty.csv", "member_id,grid_code,name\n");
    REQUIRE(p);
    city_init(&c);
    CHECK(read_role(MEMBERS, NULL, p, &c) == GS_ERR_INPUT_EMPTY);
    CHECK(
        msg_has("members_empty.csv, layer members_empty (members): the "
                "layer has no features"));
    city_free(&c);
    /* Features, but none with a usable point. */
    p = write_geojson("nopoint.geojson", "households", 4548,
                      "{\"type\":\"Feature\",\"properties\":{\"persons\":1},"
                      "\"geometry\":null}");
    REQUIRE(p);
    {
        gs_input_opts skip;
        gs_input_opts_init(&skip);
        skip.on_error = GS_ON_ERROR_SKIP;
        city_init(&c);
        CHECK(read_with_grids(HOUSEHOLDS, &skip, p, &c) == GS_ERR_INPUT_EMPTY);
        CHECK(
            msg_has("nopoint.geojson, layer households (households): no "
                    "feature has a usable point"));
        city_free(&c);
    }
    /* A file that is not there, and a folder. */
    city_init(&c);
    CHECK(read_role(GRIDS, NULL, "/nonexistent/grids.gpkg", &c) ==
          GS_ERR_INPUT_OPEN);
    CHECK(msg_has("/nonexistent/grids.gpkg (grids): "));
    CHECK(read_role(GRIDS, NULL, tmpdir, &c) == GS_ERR_INPUT_OPEN);
    CHECK(msg_has("(grids): is a directory, not a file"));
    city_free(&c);
}

TEST(text_not_utf8_names_line_and_field) {
    /* 王芳 and 李强 in GBK, as Excel saves a CSV on Chinese Windows. */
    const char *p = write_tmp("members_gbk.csv",
                              "member_id,grid_code,name\n"
                              "M1,110108001001001,\xcd\xf5\xb7\xbc\n"
                              "M2,110108001001002,\xc0\xee\xc7\xbf\n");
    /* One character: three UTF-8 bytes, which are no GB18030 text. */
    const char *u8 = write_tmp("members_u8.csv",
                               "member_id,grid_code,name\n"
                               "M1,110108001001001,王\n");
    gs_input_opts gb;
    city c;
    REQUIRE(p && u8);
    city_init(&c);
    CHECK(read_role(MEMBERS, NULL, p, &c) == GS_ERR_INPUT_ENCODING);
    CHECK(
        msg_has("members_gbk.csv, line 2, field name: text is not valid "
                "UTF-8"));
    CHECK(msg_has("re-run with encoding GB18030"));
    city_free(&c);
    /* Told the encoding, the text is recoded. */
    gs_input_opts_init(&gb);
    gb.encoding = "GB18030";
    city_init(&c);
    REQUIRE(read_role(MEMBERS, &gb, p, &c) == GS_OK);
    REQUIRE(c.m.n_members == 2);
    CHECK_STR(c.m.members[0].name, "王芳");
    CHECK_STR(c.m.members[1].name, "李强");
    city_free(&c);
    /* UTF-8 text that is not GB18030 is refused, not mangled. */
    city_init(&c);
    CHECK(read_role(MEMBERS, &gb, u8, &c) == GS_ERR_INPUT_ENCODING);
    CHECK(
        msg_has("members_u8.csv, line 2, field name: the text is not "
                "valid GB18030"));
    city_free(&c);
}

TEST(bad_geometry_fails_or_is_skipped) {
    const char *p = write_geojson(
        "grids_bad.geojson", "grids", 4548,
        "{\"type\":\"Feature\",\"properties\":{\"grid_code\":\"G1\","
        "\"community_code\":\"C1\"},\"geometry\":{\"type\":\"Polygon\","
        "\"coordinates\":[[[500000,4400000],[500100,4400000],"
        "[500100,4400100],[500000,4400000]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"grid_code\":\"G2\","
        "\"community_code\":\"C1\"},\"geometry\":null},"
        "{\"type\":\"Feature\",\"properties\":{\"grid_code\":\"G3\","
        "\"community_code\":\"C1\"},\"geometry\":{\"type\":\"Point\","
        "\"coordinates\":[500000,4400000]}}");
    gs_input_opts skip;
    city c;
    REQUIRE(p);
    city_init(&c);
    CHECK(read_role(GRIDS, NULL, p, &c) == GS_ERR_INPUT_GEOMETRY);
    CHECK(
        msg_has("grids_bad.geojson, layer grids, feature 1: has no "
                "geometry (use on_error=skip to leave such features out"));
    city_free(&c);
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    city_init(&c);
    REQUIRE(read_role(GRIDS, &skip, p, &c) == GS_OK);
    REQUIRE(c.m.n_grids == 1);
    CHECK_STR(c.m.grids[0].code, "G1");
    REQUIRE(c.m.n_skipped == 2);
    CHECK(c.m.skipped[0].origin.fid == 1);
    CHECK_STR(c.m.skipped[0].reason, "has no geometry");
    CHECK(c.m.skipped[1].origin.fid == 2);
    CHECK_STR(c.m.skipped[1].reason, "geometry is not a polygon");
    city_free(&c);
}

TEST(duplicate_household_ids_fail_or_keep_the_first) {
    const char *p = write_geojson(
        "dup.geojson", "households", 4548,
        HH("H1", "1", "500010", "4400050") "," HH("H2", "2", "500020",
                                                  "4400050") ","
            HH("H1", "3", "500030", "4400050") "," HH("", "4", "500040",
                                                      "4400050") ","
                HH("", "5", "500050", "4400050") "," HH("H1", "6", "500060",
                                                        "4400050"));
    gs_input_opts fail, skip;
    city c;
    REQUIRE(p);
    gs_input_opts_init(&fail);
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, NULL, p, &c) == GS_OK);
    REQUIRE(c.m.n_households == 6);
    CHECK(check_ids(&fail, &c) == GS_ERR_INPUT_VALUE);
    CHECK(
        msg_has("dup.geojson, layer households, feature 2, field "
                "household_id: 'H1' is duplicated (first at "));
    CHECK(
        msg_has("dup.geojson, layer households, feature 0); use "
                "on_error=skip to keep the first"));
    CHECK(c.m.n_households == 6);
    city_free(&c);
    /* Skipped: the first H1 stays; empty ids are not duplicates. */
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    city_init(&c);
    REQUIRE(read_with_grids(HOUSEHOLDS, &skip, p, &c) == GS_OK);
    REQUIRE(check_ids(&skip, &c) == GS_OK);
    REQUIRE(c.m.n_households == 4);
    CHECK(c.m.households[0].persons == 1);
    CHECK(c.m.households[1].persons == 2);
    CHECK(c.m.households[2].persons == 4 && c.m.households[3].persons == 5);
    REQUIRE(c.m.n_skipped == 2);
    CHECK_STR(c.m.skipped[0].reason, "duplicate household_id");
    CHECK(c.m.skipped[0].origin.fid == 2);
    CHECK(c.m.skipped[1].origin.fid == 5);
    CHECK_NEAR(c.m.skipped[1].x, 500060.0, 1e-3);
    city_free(&c);
}

TEST(where_names_file_layer_and_feature_or_line) {
    gs__inputs info;
    char buf[200];
    gs__origin feature = {12, 0}, row = {6, 7}, none = {-1, 0};
    memset(&info, 0, sizeof info);
    snprintf(info.items[0].role, sizeof info.items[0].role, "households");
    info.items[0].path = "/data/households.gpkg";
    info.items[0].layer = "huji";
    snprintf(info.items[1].role, sizeof info.items[1].role, "members");
    info.items[1].path = "/data/members.CSV";
    info.items[1].layer = "members";
    info.n = 2;
    gs__io_where(&info, "households", feature, buf, sizeof buf);
    CHECK_STR(buf, "/data/households.gpkg, layer huji, feature 12");
    gs__io_where(&info, "households", none, buf, sizeof buf);
    CHECK_STR(buf, "/data/households.gpkg, layer huji");
    gs__io_where(&info, "members", row, buf, sizeof buf);
    CHECK_STR(buf, "/data/members.CSV, line 7");
    /* A CSV row without a line is named by its feature. */
    gs__io_where(&info, "members", feature, buf, sizeof buf);
    CHECK_STR(buf, "/data/members.CSV, layer members, feature 12");
    /* A role not read: its name and the feature. */
    gs__io_where(&info, "grids", feature, buf, sizeof buf);
    CHECK_STR(buf, "grids feature 12");
    /* Cut to the buffer, still terminated. */
    gs__io_where(&info, "households", feature, buf, 10);
    CHECK_STR(buf, "/data/hou");
}

/* ---- events and barriers ---------------------------------------------------
 */

#define EV(id, rep, res, status, x, y)                         \
    "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"" id \
    "\",\"category\":\"治安\",\"reported_at\":\"" rep          \
    "\",\"resolved_at\":\"" res "\",\"status\":\"" status      \
    "\"},"                                                     \
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[" x "," y "]}}"

TEST(events_usable_and_bad_rows) {
    const char *p = write_geojson(
        "events.geojson", "events", 4548,
        EV("E1", "2026-11-16 09:00:00", "", "", "500010", "4400050") ","
        EV("E2", "2026-11-17T10:00:00+08:00", "2026-11-18 10:00:00",
           "resolved", "500150", "4400150") ","
        EV("E3", "2026-11-31 10:00:00", "", "open", "500150", "4400150") ","
        EV("E4", "2026-11-19 10:00:00", "", "lost", "500150", "4400150") ","
        EV("E1", "2026-11-19 10:00:00", "", "open", "500160", "4400150") ","
        EV("E5", "2026-11-19 10:00:00", "2026-11-18 10:00:00", "", "500160",
           "4400150") ","
        "{\"type\":\"Feature\",\"properties\":{\"event_id\":\"E6\","
        "\"category\":\"x\",\"reported_at\":\"2026-11-19 10:00:00\"},"
        "\"geometry\":null}");
    gs__tz *tz = NULL;
    gs__crsinfo crs;
    gs__events ev;
    gs__inputs info;
    REQUIRE(p);
    memset(&crs, 0, sizeof crs);
    memset(&info, 0, sizeof info);
    REQUIRE(gs__tz_open(ctx, "Asia/Shanghai", &tz) == GS_OK);
    gs__gdal_enter(ctx);
    REQUIRE(gs__io_pick_crs(ctx, NULL, "grids", MINI "grids.geojson", &crs) ==
            GS_OK);
    REQUIRE(gs__io_read_events(ctx, NULL, p, tz, NULL, &crs, 2, &ev, &info) ==
            GS_OK);
    gs__gdal_leave(ctx);
    CHECK_STR(ev.layer, "events");
    CHECK(!ev.is_csv);
    REQUIRE(ev.n == 2);
    CHECK_STR(ev.v[0].id, "E1");
    CHECK_STR(ev.v[0].category, "治安");
    CHECK(ev.v[0].status == GS__EV_OPEN);
    CHECK(ev.v[0].resolved_ms == GS__NO_TIME);
    /* 09:00 in Shanghai is 01:00Z on Monday 2026-11-16 (day 20773). */
    CHECK(ev.v[0].reported_ms == INT64_C(1794787200000) + 3600000);
    CHECK(ev.v[0].day == 20773);
    CHECK_NEAR(ev.v[0].x, 500010.0, 1e-3);
    CHECK_NEAR(ev.v[0].y, 4400050.0, 1e-3);
    CHECK_STR(ev.v[1].id, "E2");
    CHECK(ev.v[1].status == GS__EV_RESOLVED);
    CHECK(ev.v[1].resolved_ms - ev.v[1].reported_ms == 24 * 3600000);
    /* Every other row is a bad row, in feature order. */
    REQUIRE(ev.n_bad == 5);
    CHECK(ev.bad[0].origin.fid == 2);
    CHECK_STR(ev.bad[0].field, "reported_at");
    CHECK(strstr(ev.bad[0].reason, "day 31 in November") != NULL);
    CHECK(ev.bad[1].origin.fid == 3);
    CHECK_STR(ev.bad[1].field, "status");
    CHECK_STR(ev.bad[1].reason,
              "'lost' is not open, resolved or "
              "self_resolved");
    CHECK(ev.bad[2].origin.fid == 4);
    CHECK_STR(ev.bad[2].event_id, "E1");
    CHECK_STR(ev.bad[2].field, "event_id");
    CHECK_STR(ev.bad[2].reason, "duplicate event_id (first at feature 0)");
    CHECK(ev.bad[3].origin.fid == 5);
    CHECK_STR(ev.bad[3].field, "resolved_at");
    CHECK(strstr(ev.bad[3].reason, "is before reported_at") != NULL);
    CHECK(ev.bad[4].origin.fid == 6);
    CHECK_STR(ev.bad[4].field, "geometry");
    CHECK_STR(ev.bad[4].reason, "has no point geometry");
    CHECK(info.n == 1 && info.items[0].features == 7);
    gs__events_free(&ev);
    CHECK(ev.v == NULL && ev.n == 0);
    gs__events_free(NULL);
    gs__crsinfo_free(&crs);
    gs__inputs_free(&info);
    gs__tz_close(tz);
}

TEST(events_missing_a_required_field) {
    const char *p = write_tmp("events_nocat.csv",
                              "event_id,reported_at,lon,lat\n"
                              "E1,2026-11-16 09:00:00,116.3,39.9\n");
    gs__tz *tz = NULL;
    gs__crsinfo crs;
    gs__events ev;
    REQUIRE(p);
    memset(&crs, 0, sizeof crs);
    REQUIRE(gs__tz_open(ctx, "Asia/Shanghai", &tz) == GS_OK);
    gs__gdal_enter(ctx);
    REQUIRE(gs__io_pick_crs(ctx, NULL, "grids", MINI "grids.geojson", &crs) ==
            GS_OK);
    CHECK(gs__io_read_events(ctx, NULL, p, tz, NULL, &crs, 1, &ev, NULL) ==
          GS_ERR_INPUT_FIELD);
    gs__gdal_leave(ctx);
    CHECK(
        msg_has("events_nocat.csv, layer events_nocat: missing required "
                "field 'category' of events"));
    CHECK(ev.n == 0 && ev.v == NULL);
    gs__events_free(&ev);
    gs__crsinfo_free(&crs);
    gs__tz_close(tz);
}

TEST(barriers_are_lines) {
    const char *p = write_geojson(
        "barriers.geojson", "barriers", 4548,
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"road\","
        "\"name\":\"颐和园路\"},\"geometry\":{\"type\":\"LineString\","
        "\"coordinates\":[[500000,4400100],[500100,4400100]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"river\"},"
        "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":"
        "[[[500195,4400000],[500195,4400030]],[[500195,4400060],"
        "[500195,4400100]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"wall\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[500000,"
        "4400000],[500010,4400000],[500010,4400010],[500000,4400000]]]}}");
    gs_input_opts skip;
    city c;
    REQUIRE(p);
    city_init(&c);
    CHECK(read_with_grids(BARRIERS, NULL, p, &c) == GS_ERR_INPUT_GEOMETRY);
    CHECK(
        msg_has("barriers.geojson, layer barriers, feature 2: geometry is "
                "not a line"));
    city_free(&c);
    gs_input_opts_init(&skip);
    skip.on_error = GS_ON_ERROR_SKIP;
    city_init(&c);
    REQUIRE(read_with_grids(BARRIERS, &skip, p, &c) == GS_OK);
    REQUIRE(c.m.n_barriers == 2);
    CHECK_STR(c.m.barriers[0].kind, "road");
    CHECK_STR(c.m.barriers[0].name, "颐和园路");
    CHECK_STR(c.m.barriers[1].name, "");
    {
        double l0 = 0, l1 = 0;
        GEOSLength_r(ctx->geos, c.m.barriers[0].geom, &l0);
        GEOSLength_r(ctx->geos, c.m.barriers[1].geom, &l1);
        CHECK_NEAR(l0, 100.0, 1e-6);
        CHECK_NEAR(l1, 70.0, 1e-6);
    }
    REQUIRE(c.m.n_skipped == 1);
    CHECK_STR(c.m.skipped[0].role, "barriers");
    city_free(&c);
}

int main(void) {
    char tmpl[] = "/tmp/gs_test_io_XXXXXX";
    int rc;
    if (gs_ctx_create(&ctx) != GS_OK || !mkdtemp(tmpl)) return 1;
    snprintf(tmpdir, sizeof tmpdir, "%s", tmpl);
    GDALAllRegister();
    RUN(reads_the_mini_city);
    RUN(households_in_lonlat_are_projected_as_proj_does);
    RUN(persons_ok_only_for_whole_numbers);
    RUN(members_blank_rows_skipped_empty_ids_not);
    RUN(mapped_field_and_layer_lookup);
    RUN(layer_choice_and_field_mapping);
    RUN(fields_found_in_capitals_and_cut_to_ten_characters);
    RUN(bad_mappings_and_options_are_usage_errors);
    RUN(missing_required_field);
    RUN(empty_layers);
    RUN(text_not_utf8_names_line_and_field);
    RUN(bad_geometry_fails_or_is_skipped);
    RUN(duplicate_household_ids_fail_or_keep_the_first);
    RUN(where_names_file_layer_and_feature_or_line);
    RUN(events_usable_and_bad_rows);
    RUN(events_missing_a_required_field);
    RUN(barriers_are_lines);
    gs_ctx_destroy(ctx);
    {
        /* The fixtures the tests wrote. */
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') remove(tmp_path(e->d_name));
        if (d) closedir(d);
    }
    if (rmdir(tmpdir) != 0) printf("  could not remove %s\n", tmpdir);
    rc = HARNESS_END();
    return rc;
}
