/*
 * test_ledger.c - recording weeks in the ledger and reading them back.
 *
 * Two weeks are recorded into a fresh ledger the way the weekly job
 * records them (ledger_fixture.h); one is then recorded again with other
 * figures and must replace the first recording, not add to it. Everything
 * is read back through the ledger's reader (ledger_read.c): its weeks,
 * the rows of one week and of a span of weeks, the missed days, the
 * weekly tallies, the last run, and with a shard only the shard's grids.
 */
#define _POSIX_C_SOURCE 200809L
#include <gdal_utils.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "harness.h"
#include "ledger_fixture.h"

static gs_ctx *ctx;
static char dir[64];

/* Errors are sticky on the context until the next public call; a test
 * starts afresh as a public call does. */
static void reset(void) {
    gs__gdal_leave(ctx);
    gs__gdal_enter(ctx);
}
static char ledger[128];

/* Rows of the ledger's table `table` for `week` (SQL on the file). */
static long count_rows(const char *table, const char *week) {
    GDALDatasetH ds = GDALOpenEx(ledger, GDAL_OF_VECTOR, NULL, NULL, NULL);
    char sql[200];
    OGRLayerH r;
    OGRFeatureH f;
    long n = -1;
    if (!ds) return -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE week = '%s'",
             table, week);
    r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (r && (f = OGR_L_GetNextFeature(r)) != NULL) {
        n = (long)OGR_F_GetFieldAsInteger64(f, 0);
        OGR_F_Destroy(f);
    }
    if (r) GDALDatasetReleaseResultSet(ds, r);
    GDALClose(ds);
    return n;
}

/* What the member_week reads saw. */
typedef struct seen {
    int n;
    char ids[8][16], weeks[8][16];
    double secs[8], cov[8];
    long compliant[8];
    int geoms;
} seen;

static int on_week(void *user, gs__lmember_week *r) {
    seen *s = user;
    if (s->n < 8) {
        snprintf(s->ids[s->n], 16, "%s", r->member_id);
        snprintf(s->weeks[s->n], 16, "%s", r->week);
        s->secs[s->n] = r->in_grid_tolerant_s;
        s->cov[s->n] = r->coverage_pct;
        s->compliant[s->n] = r->compliant;
    }
    s->geoms += r->geom != NULL;
    s->n++;
    return GS_OK;
}

static int on_grid(void *user, gs__lgrid_status *r) {
    seen *s = user;
    if (s->n < 8) snprintf(s->ids[s->n], 16, "%s", r->grid_code);
    s->geoms += r->geom != NULL && !OGR_G_IsEmpty(r->geom);
    s->n++;
    return GS_OK;
}

static int on_day(void *user, gs__lmember_day *r) {
    seen *s = user;
    if (s->n < 8) snprintf(s->ids[s->n], 16, "%s", r->member_id);
    s->compliant[s->n < 8 ? s->n : 7] = r->daily_ok;
    s->n++;
    return GS_OK;
}

static int on_tally(void *user, gs__lweek_tally *r) {
    seen *s = user;
    if (s->n < 8) {
        snprintf(s->ids[s->n], 16, "%s", r->grid_code);
        snprintf(s->weeks[s->n], 16, "%s", r->week);
        s->secs[s->n] = r->hours_s;
        s->compliant[s->n] = r->compliant;
    }
    s->n++;
    return GS_OK;
}

static int stop_at_first(void *user, gs__lmember_week *r) {
    (void)user;
    (void)r;
    return GS_ERR_INTERNAL;
}

TEST(record_two_weeks_and_rerecord_one) {
    REQUIRE(fx_record(ctx, dir, ledger, "2026-W46", 0) == GS_OK);
    REQUIRE(fx_record(ctx, dir, ledger, "2026-W47", 0) == GS_OK);
    CHECK(count_rows("member_week", "2026-W46") == 3);
    CHECK(count_rows("member_week", "2026-W47") == 3);
    CHECK(count_rows("member_day", "2026-W47") == 21);
    CHECK(count_rows("grid_status", "2026-W47") == 3);
    CHECK(count_rows("runs", "2026-W47") == 1);
    /* Again with M3 gone: the week is replaced, not added to. */
    REQUIRE(fx_record(ctx, dir, ledger, "2026-W47", 1) == GS_OK);
    CHECK(count_rows("member_week", "2026-W47") == 2);
    CHECK(count_rows("member_day", "2026-W47") == 14);
    CHECK(count_rows("grid_status", "2026-W47") == 3);
    CHECK(count_rows("member_week", "2026-W46") == 3);
    /* Each run is recorded. */
    CHECK(count_rows("runs", "2026-W47") == 2);
}

TEST(ledger_tables_follow_the_schemas) {
    GDALDatasetH ds = GDALOpenEx(ledger, GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRFeatureDefnH fd;
    const gs__layer_schema *s = gs__schema(GS__LS_PATROL_MEMBER_WEEK);
    REQUIRE(ds);
    fd = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "member_week"));
    /* week first, then the layer's fields less its own week. */
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, 0)), "week");
    CHECK(OGR_FD_GetFieldCount(fd) == (int)s->nfields);
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, 1)), "member_id");
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, 2)), "member_name");
    CHECK_STR(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, 4)),
              "in_grid_tolerant_s");
    CHECK(OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, 4)) == OFTReal);
    fd = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "grid_status"));
    CHECK(OGR_FD_GetFieldCount(fd) == GS__VG_N + 1);
    CHECK(OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, 1 + GS__VG_MEMBERS)) ==
          OFTInteger64);
    GDALClose(ds);
}

TEST(weeks_listed) {
    gs__ledger *l = NULL;
    gs__lweek *w = NULL;
    size_t n = 0;
    REQUIRE(gs__ledger_open(ctx, ledger, &l) == GS_OK);
    CHECK(gs__ledger_weeks(l, "grid_status", &w, &n) == GS_OK);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(w[0].week, "2026-W46");
        CHECK_STR(w[1].week, "2026-W47");
    }
    free(w);
    /* A table the ledger does not hold: no weeks, no error. */
    CHECK(gs__ledger_weeks(l, "grid_events", &w, &n) == GS_OK);
    CHECK(n == 0 && w == NULL);
    CHECK(gs__ledger_has(l, "member_day"));
    CHECK(!gs__ledger_has(l, "grid_events"));
    gs__ledger_close(l);
}

TEST(one_week_read_back) {
    gs__ledger *l = NULL;
    gs__ledger_query q = {"2026-W47", "2026-W47", 1, 0};
    seen s;
    memset(&s, 0, sizeof s);
    REQUIRE(gs__ledger_open(ctx, ledger, &l) == GS_OK);
    CHECK(gs__ledger_member_week(l, &q, on_week, &s) == GS_OK);
    CHECK(s.n == 2);
    CHECK(s.geoms == 2);
    for (int i = 0; i < s.n && i < 2; i++) {
        CHECK_STR(s.weeks[i], "2026-W47");
        if (!strcmp(s.ids[i], "M2")) {
            /* The second recording's figures. */
            CHECK_NEAR(s.secs[i], 30000, 1e-9);
            CHECK_NEAR(s.cov[i], 50, 1e-9);
            CHECK(s.compliant[i] == 0);
        } else {
            CHECK_STR(s.ids[i], "M1");
            CHECK(s.compliant[i] == 1);
        }
    }
    memset(&s, 0, sizeof s);
    CHECK(gs__ledger_grid_status(l, &q, on_grid, &s) == GS_OK);
    CHECK(s.n == 3 && s.geoms == 3);
    /* Missed workdays only: M2's five. */
    memset(&s, 0, sizeof s);
    CHECK(gs__ledger_member_day(l, &q, 1, on_day, &s) == GS_OK);
    CHECK(s.n == 5);
    for (int i = 0; i < s.n && i < 8; i++) CHECK_STR(s.ids[i], "M2");
    /* A callback's error stops the read and comes back. */
    CHECK(gs__ledger_member_week(l, &q, stop_at_first, NULL) ==
          GS_ERR_INTERNAL);
    gs__ledger_close(l);
}

TEST(span_of_weeks_and_tallies) {
    gs__ledger *l = NULL;
    gs__ledger_query q = {"2026-W46", "2026-W47", 0, 0};
    seen s;
    char *run = NULL;
    memset(&s, 0, sizeof s);
    REQUIRE(gs__ledger_open(ctx, ledger, &l) == GS_OK);
    CHECK(gs__ledger_member_week(l, &q, on_week, &s) == GS_OK);
    CHECK(s.n == 5);     /* 3 in W46, 2 in W47 */
    CHECK(s.geoms == 0); /* not asked for */
    /* Per week and grid, grids of the week's grid_status only. */
    memset(&s, 0, sizeof s);
    CHECK(gs__ledger_week_tallies(l, "2026-W46", "2026-W47", on_tally, &s) ==
          GS_OK);
    CHECK(s.n == 5);
    if (s.n == 5) {
        CHECK_STR(s.weeks[0], "2026-W46");
        CHECK_STR(s.ids[0], FX_G1);
        CHECK_STR(s.weeks[4], "2026-W47");
        CHECK_STR(s.ids[4], FX_G2);
        CHECK_NEAR(s.secs[4], 30000, 1e-9);
        CHECK(s.compliant[4] == 0);
    }
    /* The week's last run. */
    CHECK(gs__ledger_last_run(l, "2026-W47", &run) == GS_OK);
    CHECK(run && strstr(run, "花园社区"));
    free(run);
    CHECK(gs__ledger_last_run(l, "2026-W30", &run) == GS_OK && !run);
    gs__ledger_close(l);
}

TEST(shard_reads_its_grids_only) {
    const char *prefix[] = {"110109"};
    gs__ledger *l = NULL;
    gs__ledger_query q = {"2026-W46", "2026-W46", 0, 0};
    seen s;
    memset(&s, 0, sizeof s);
    REQUIRE(gs_ctx_set_shards(ctx, prefix, 1) == GS_OK);
    REQUIRE(gs__ledger_open(ctx, ledger, &l) == GS_OK);
    CHECK(gs__ledger_member_week(l, &q, on_week, &s) == GS_OK);
    CHECK(s.n == 1 && !strcmp(s.ids[0], "M3"));
    memset(&s, 0, sizeof s);
    CHECK(gs__ledger_grid_status(l, &q, on_grid, &s) == GS_OK);
    CHECK(s.n == 1 && !strcmp(s.ids[0], FX_G3));
    gs__ledger_close(l);
    REQUIRE(gs_ctx_set_shards(ctx, NULL, 0) == GS_OK);
}

TEST(errors_name_the_ledger_and_field) {
    gs__ledger *l = NULL;
    gs__ledger_query q = {"2026-W47", "2026-W47", 0, 0};
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nowhere.gpkg", dir);
    reset();
    CHECK(gs__ledger_open(ctx, missing, &l) == GS_ERR_INPUT_OPEN);
    CHECK(l == NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "nowhere.gpkg") != NULL);
    REQUIRE(gs__ledger_open(ctx, ledger, &l) == GS_OK);
    /* grid_events was never recorded. */
    reset();
    CHECK(gs__ledger_grid_events(l, &q, NULL, NULL) == GS_ERR_INPUT_OPEN);
    CHECK(strstr(gs_ctx_errmsg(ctx), "grid_events") != NULL);
    /* A week that is no ISO week never reaches a filter. */
    q.from = q.to = "2026-W47' OR 1=1 --";
    reset();
    CHECK(gs__ledger_member_week(l, &q, on_week, NULL) == GS_ERR_USAGE);
    gs__ledger_close(l);
}

TEST(missing_field_is_named) {
    /* A ledger whose member_week lacks weekly_ok. */
    char copy[160];
    GDALDatasetH ds;
    gs__ledger *l = NULL;
    gs__ledger_query q = {"2026-W47", "2026-W47", 0, 1ul << GS__MW_WEEKLY_OK};
    const char *miss = NULL;
    snprintf(copy, sizeof copy, "%s/thin.gpkg", dir);
    ds = GDALOpenEx(ledger, GDAL_OF_VECTOR, NULL, NULL, NULL);
    REQUIRE(ds);
    GDALClose(GDALVectorTranslate(copy, NULL, 1, &ds, NULL, NULL));
    GDALClose(ds);
    ds = GDALOpenEx(copy, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    REQUIRE(ds);
    {
        OGRLayerH mw = GDALDatasetGetLayerByName(ds, "member_week");
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(mw);
        REQUIRE(OGR_L_DeleteField(mw, OGR_FD_GetFieldIndex(fd, "weekly_ok")) ==
                OGRERR_NONE);
    }
    GDALClose(ds);
    REQUIRE(gs__ledger_open(ctx, copy, &l) == GS_OK);
    CHECK(!gs__ledger_has_fields(
        l, GS__LS_PATROL_MEMBER_WEEK,
        1ul << GS__MW_MEMBER_ID | 1ul << GS__MW_WEEKLY_OK, &miss));
    CHECK_STR(miss, "weekly_ok");
    reset();
    CHECK(gs__ledger_member_week(l, &q, on_week, NULL) == GS_ERR_INPUT_FIELD);
    CHECK(strstr(gs_ctx_errmsg(ctx), "weekly_ok") != NULL);
    CHECK(strstr(gs_ctx_errmsg(ctx), "thin.gpkg") != NULL);
    gs__ledger_close(l);
}

TEST(an_older_ledger_gains_new_fields) {
    /* A ledger made before member_week had member_name: recording a week
     * adds the field (earlier weeks' rows NULL) instead of dropping the
     * names. */
    char old[160];
    GDALDatasetH ds;
    OGRLayerH mw;
    OGRFeatureH f;
    long named = 0, null_before = 0;
    snprintf(old, sizeof old, "%s/older.gpkg", dir);
    REQUIRE(fx_record(ctx, dir, old, "2026-W46", 0) == GS_OK);
    ds = GDALOpenEx(old, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    REQUIRE(ds);
    mw = GDALDatasetGetLayerByName(ds, "member_week");
    REQUIRE(OGR_L_DeleteField(mw, OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(mw),
                                                       "member_name")) ==
            OGRERR_NONE);
    GDALClose(ds);
    REQUIRE(fx_record(ctx, dir, old, "2026-W47", 0) == GS_OK);
    ds = GDALOpenEx(old, GDAL_OF_VECTOR, NULL, NULL, NULL);
    REQUIRE(ds);
    mw = GDALDatasetGetLayerByName(ds, "member_week");
    REQUIRE(OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(mw), "member_name") >= 0);
    while ((f = OGR_L_GetNextFeature(mw)) != NULL) {
        int i = OGR_F_GetFieldIndex(f, "member_name");
        int w47 =
            !strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "week")),
                    "2026-W47");
        if (!w47 && !OGR_F_IsFieldSetAndNotNull(f, i)) null_before++;
        if (w47 && OGR_F_IsFieldSetAndNotNull(f, i) &&
            OGR_F_GetFieldAsString(f, i)[0])
            named++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    CHECK(null_before == 3);
    CHECK(named == 3);
}

int main(void) {
    char cmd[128];
    snprintf(dir, sizeof dir, "/tmp/gs_test_ledger.XXXXXX");
    if (!mkdtemp(dir) || gs_ctx_create(&ctx) != GS_OK) return 1;
    snprintf(ledger, sizeof ledger, "%s/ledger.gpkg", dir);
    gs__gdal_enter(ctx);
    RUN(record_two_weeks_and_rerecord_one);
    RUN(ledger_tables_follow_the_schemas);
    RUN(weeks_listed);
    RUN(one_week_read_back);
    RUN(span_of_weeks_and_tallies);
    RUN(shard_reads_its_grids_only);
    RUN(errors_name_the_ledger_and_field);
    RUN(missing_field_is_named);
    RUN(an_older_ledger_gains_new_fields);
    gs__gdal_leave(ctx);
    gs_ctx_destroy(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!harness_failed && system(cmd) != 0) return 1;
    return HARNESS_END();
}
