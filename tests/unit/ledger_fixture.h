/*
 * ledger_fixture.h - a small ledger built the way the weekly job builds
 * one, for test_ledger.c and test_report_html.c.
 *
 * A week's stage outputs are written through the writer from the layer
 * schemas (validate's grids, patrol's member_day and member_week) into a
 * scratch folder, then recorded with gs__ledger_record, exactly as
 * gs_run_job does after its stages:
 *
 *   grids    110108001001001 and ...002 (community 110108001001, street
 *            110108001), 110109002001001 (another street), small squares
 *            in EPSG:4490
 *   members  M1 on grid 001: compliant, 40,000 s, coverage 90 %
 *            M2 on grid 002: below standard, 20,000 s (variant 1:
 *                30,000 s), coverage 50 %, every workday missed
 *            M3 on 110109002001001: compliant (left out by variant 1)
 *
 * Variant 1 is a re-run of the same week with other figures, to see a
 * re-recorded week replace the first recording.
 */
#ifndef GS_LEDGER_FIXTURE_H
#define GS_LEDGER_FIXTURE_H

#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>

#include "datetime.h"
#include "ledger.h"
#include "writer.h"

#define FX_G1 "110108001001001"
#define FX_G2 "110108001001002"
#define FX_G3 "110109002001001"

/* A square of side 0.001 degree with its south-west corner at (x, y). */
static OGRGeometryH fx_square(double x, double y) {
    char wkt[256];
    OGRGeometryH g = NULL;
    char *p = wkt;
    snprintf(wkt, sizeof wkt,
             "MULTIPOLYGON (((%.4f %.4f, %.4f %.4f, %.4f %.4f, %.4f %.4f, "
             "%.4f %.4f)))",
             x, y, x + 0.001, y, x + 0.001, y + 0.001, x, y + 0.001, x, y);
    OGR_G_CreateFromWkt(&p, NULL, &g);
    return g;
}

/* Writes validate's grids of the week into `path`. */
static int fx_validate(gs_ctx *ctx, OGRSpatialReferenceH srs,
                       const char *path) {
    static const struct {
        const char *code, *community, *name;
        long members;
        double x;
    } g[] = {{FX_G1, "110108001001", "一号网格", 1, 116.300},
             {FX_G2, "110108001001", "二号网格", 1, 116.301},
             {FX_G3, "110109002001", "三号网格", 0, 116.310}};
    gs__out *o;
    gs__olayer *l;
    int rc = gs__out_open(ctx, path, srs, srs, &o);
    if (rc) return rc;
    if ((rc = gs__out_layer_schema(o, GS__LS_VALIDATE_GRIDS, &l))) goto fail;
    for (size_t i = 0; i < 3; i++) {
        OGRFeatureH f = gs__out_feature(l);
        OGR_F_SetFieldString(f, GS__VG_GRID_CODE, g[i].code);
        OGR_F_SetFieldString(f, GS__VG_COMMUNITY_CODE, g[i].community);
        OGR_F_SetFieldString(f, GS__VG_GRID_TYPE, "basic");
        OGR_F_SetFieldString(f, GS__VG_NAME, g[i].name);
        OGR_F_SetFieldInteger64(f, GS__VG_HOUSEHOLDS, 400);
        OGR_F_SetFieldInteger64(f, GS__VG_PERSONS, 1000);
        OGR_F_SetFieldInteger64(f, GS__VG_MEMBERS, g[i].members);
        OGR_F_SetFieldDouble(f, GS__VG_AREA_M2, 9000);
        OGR_F_SetFieldDouble(f, GS__VG_POLSBY_POPPER, 0.78);
        OGR_F_SetFieldString(f, GS__VG_STATUS,
                             g[i].members ? "ok" : "violation");
        OGR_F_SetFieldString(f, GS__VG_ISSUES, g[i].members ? "" : "no_member");
        OGR_F_SetGeometryDirectly(f, fx_square(g[i].x, 39.980));
        if ((rc = gs__out_put(o, l, f))) goto fail;
    }
    return gs__out_commit(o);
fail:
    gs__out_abort(o);
    return rc;
}

/* Writes patrol's member_day and member_week of the week starting on
 * `monday` into `path`. */
static int fx_patrol(gs_ctx *ctx, OGRSpatialReferenceH srs, const char *path,
                     int32_t monday, int variant) {
    static const struct {
        const char *id, *grid;
        int ok;
        double x, cov;
    } m[] = {{"M1", FX_G1, 1, 116.300, 90},
             {"M2", FX_G2, 0, 116.301, 50},
             {"M3", FX_G3, 1, 116.310, 80}};
    size_t nm = variant ? 2 : 3;
    gs__out *o;
    gs__olayer *ld, *lw;
    char week[16], date[11];
    int rc = gs__out_open(ctx, path, srs, srs, &o);
    if (rc) return rc;
    gs__isoweek_format(monday, week);
    if ((rc = gs__out_layer_schema(o, GS__LS_PATROL_MEMBER_DAY, &ld)) ||
        (rc = gs__out_layer_schema(o, GS__LS_PATROL_MEMBER_WEEK, &lw)))
        goto fail;
    for (size_t i = 0; i < nm; i++) {
        double secs = m[i].ok ? 40000 : variant ? 30000 : 20000;
        OGRFeatureH f;
        for (int d = 0; d < 7; d++) {
            int workday = d < 5, daily = m[i].ok && workday;
            f = gs__out_feature(ld);
            gs__date_format(monday + d, date);
            OGR_F_SetFieldString(f, GS__MD_MEMBER_ID, m[i].id);
            OGR_F_SetFieldString(f, GS__MD_GRID_CODE, m[i].grid);
            OGR_F_SetFieldString(f, GS__MD_DATE, date);
            OGR_F_SetFieldInteger64(f, GS__MD_WORKDAY, workday);
            OGR_F_SetFieldDouble(f, GS__MD_IN_GRID_TOLERANT_S,
                                 workday ? secs / 5 : 0);
            OGR_F_SetFieldInteger64(f, GS__MD_DAILY_OK, daily);
            OGR_F_SetFieldString(f, GS__MD_NOTE, "");
            if ((rc = gs__out_put(o, ld, f))) goto fail;
        }
        f = gs__out_feature(lw);
        OGR_F_SetFieldString(f, GS__MW_MEMBER_ID, m[i].id);
        OGR_F_SetFieldString(f, GS__MW_MEMBER_NAME,
                             (const char *[]){"张伟", "王芳", "李娜"}[i % 3]);
        OGR_F_SetFieldString(f, GS__MW_GRID_CODE, m[i].grid);
        OGR_F_SetFieldString(f, GS__MW_WEEK, week);
        OGR_F_SetFieldDouble(f, GS__MW_IN_GRID_TOLERANT_S, secs);
        OGR_F_SetFieldInteger64(f, GS__MW_WORKDAYS, 5);
        OGR_F_SetFieldInteger64(f, GS__MW_WORKDAYS_OK, m[i].ok ? 5 : 0);
        OGR_F_SetFieldInteger64(f, GS__MW_WEEKLY_OK, m[i].ok);
        OGR_F_SetFieldDouble(f, GS__MW_COVERAGE_PCT, m[i].cov);
        OGR_F_SetFieldInteger64(f, GS__MW_COMPLIANT, m[i].ok);
        OGR_F_SetFieldString(f, GS__MW_NOTE, m[i].ok ? "" : "低于标准");
        OGR_F_SetGeometryDirectly(f, fx_square(m[i].x, 39.980));
        if ((rc = gs__out_put(o, lw, f))) goto fail;
    }
    return gs__out_commit(o);
fail:
    gs__out_abort(o);
    return rc;
}

/* Writes the stage outputs of week `week` into `dir` and records them in
 * the ledger at `ledger`, as the weekly job does. */
static int fx_record(gs_ctx *ctx, const char *dir, const char *ledger,
                     const char *week, int variant) {
    char v[512], p[512];
    int32_t monday;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    gs__ledger_part parts[3];
    int rc;
    if (!srs || gs__isoweek_parse(week, &monday)) return GS_ERR_USAGE;
    OSRImportFromEPSG(srs, 4490);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    snprintf(v, sizeof v, "%s/validate-%s.gpkg", dir, week);
    snprintf(p, sizeof p, "%s/patrol-%s.gpkg", dir, week);
    parts[0] = (gs__ledger_part){GS__LS_VALIDATE_GRIDS, v};
    parts[1] = (gs__ledger_part){GS__LS_PATROL_MEMBER_DAY, p};
    parts[2] = (gs__ledger_part){GS__LS_PATROL_MEMBER_WEEK, p};
    gs__gdal_enter(ctx);
    rc = fx_validate(ctx, srs, v);
    if (!rc) rc = fx_patrol(ctx, srs, p, monday, variant);
    if (!rc)
        rc = gs__ledger_record(
            ctx, ledger, week, parts, 3, "gridsmith run job.ini",
            "2026-11-23T01:00:00Z",
            "{\"validate\": {\"by_community\": [{\"community_code\": "
            "\"110108001001\", \"name\": \"花园社区\"}]}}");
    gs__gdal_leave(ctx);
    OSRDestroySpatialReference(srs);
    return rc;
}

#endif /* GS_LEDGER_FIXTURE_H */
