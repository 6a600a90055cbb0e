#!/usr/bin/python3
"""CLI cases for `gridsmith hotspots`, run the way users run the command.

Usage: test_cli_hotspots.py GRIDSMITH_BINARY REPOSITORY

On the demo city (datasets/demo: 22 grids, events 2026-W40 to W47 with the
hot clusters, wrong grid codes and empty codes its README lists) it checks
that the planted clusters show up (hexagon hot spots, DBSCAN clusters,
repeat locations, the rising market grid, emerging classes), that the
counts per grid equal a point-in-polygon count done here with OGR, that
too few units or no events give a message and NULL (never NaN) Gi*
fields, and that the density raster integrates to the event count. Bad
inputs exit 3 with a message naming file, layer, feature or line and
field, and leave both earlier outputs (GeoPackage and GeoTIFF) untouched.

Real data: the Chicago 2016 crime sample (../shared/data/chicago-crime)
against the 77 community areas (../shared/data/chicago-community-areas)
as grids; counts per area must equal a plain point-in-polygon count. Read
the datasets' SOURCE.txt: the CSV's dates are MM/DD/YYYY hh:mm:ss AM/PM
local time and SouthSide.prj is empty (EPSG:2790). Skipped (a "skip"
line, counted neither way) when ../shared/data is absent.

The last line is "N passed, N failed".
"""
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, expect_error, read_layer, run, sha  # noqa: E402

gdal.UseExceptions()

h.BIN = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(sys.argv[2])
DEMO = os.path.join(REPO, "datasets", "demo")
CITY = os.path.join(DEMO, "city.gpkg")
CALENDAR = os.path.join(DEMO, "calendar.csv")
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data")
SCRATCH = tempfile.mkdtemp(prefix="gs_hotspots_")

MARKET = "110108001001006"    # 占道经营 rising week over week
GARBAGE = "110108002001001"   # 环境卫生, about 5 a week
COMPOUND = "110108002002004"  # 安全隐患/矛盾纠纷/违章搭建, about 3 a week
WRONG = {"E000082": "110108002002004", "E000314": "110108002001001",
         "E000406": "110108001001006"}
LAYERS = ("grid_events", "hex_hotspots", "emerging", "clusters",
          "trouble_spots", "weekly_summary", "monthly_summary", "categories",
          "event_issues", "bad_rows", "run_metadata")


def demo(*extra, out=None, week="2026-W47"):
    out = out or os.path.join(SCRATCH, "demo.gpkg")
    args = ["hotspots", "--grids", CITY, "--events", CITY, "--communities",
            CITY, "--households", CITY, "--calendar", CALENDAR, "-o", out,
            "--json"]
    if week:
        args += ["--week", week]
    code, stdout, err = run(*(args + list(extra)))
    expect(code == 0, "exit %d: %s" % (code, err))
    return out, json.loads(stdout)


def meta(path):
    return {r["key"]: r["value"] for r in read_layer(path, "run_metadata")}


def kde_path(gpkg):
    return gpkg[:-5] + "_kde.tif"


def no_nan(path, layer):
    for r in read_layer(path, layer):
        for k, v in r.items():
            expect(not (isinstance(v, float) and math.isnan(v)),
                   "%s.%s is NaN" % (layer, k))


# ---- the demo week -----------------------------------------------------------

WEEK, WEEK_REPORT = demo()
ALL, ALL_REPORT = demo(out=os.path.join(SCRATCH, "all.gpkg"), week=None)


@case
def week_writes_every_layer_styled():
    ds = gdal.OpenEx(WEEK, gdal.OF_VECTOR)
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    for n in LAYERS:
        expect(n in names, "no layer %s in %s" % (n, names))
    styles = {r["f_table_name"]: r["styleQML"]
              for r in read_layer(WEEK, "layer_styles")}
    for n in LAYERS[:-1]:
        expect(n in styles, "no style for %s" % n)
    # One count per category, each shown under its category's name.
    cats = {r["field"]: r["category"] for r in read_layer(WEEK, "categories")}
    expect(cats.get("cat_1") == "占道经营", cats)
    qml = styles["grid_events"]
    for field, cat in cats.items():
        if field:
            expect('field="%s"' % field in qml and 'name="%s"' % cat in qml,
                   "no alias %s=%s" % (field, cat))
    expect('attr="gi_bin"' in qml and 'attr="class"' in styles["emerging"],
           "renderers")
    for layer in ("grid_events", "hex_hotspots", "emerging",
                  "weekly_summary", "monthly_summary", "trouble_spots"):
        no_nan(WEEK, layer)


@case
def too_few_grids_for_gistar_says_so():
    r = WEEK_REPORT
    expect(r["events_in_period"] == 53 and r["bad_rows"] == 0, r)
    expect(not r["grid_gi"]["computed"], r["grid_gi"])
    expect("22 grids, fewer than the 30" in r["grid_gi"]["note"], r)
    grids = read_layer(WEEK, "grid_events")
    expect(len(grids) == 22, len(grids))
    expect(all(g["gi_z"] is None and g["gi_bin"] is None for g in grids),
           "Gi* fields set on too few grids")
    expect(sum(g["events"] for g in grids) == 53, "grid counts")
    expect("22 grids, fewer than the 30" in meta(WEEK)["grid_gi"], "meta")


@case
def market_is_a_hot_spot_and_rising():
    hexes = read_layer(WEEK, "hex_hotspots")
    expect(WEEK_REPORT["hex_gi"]["computed"], WEEK_REPORT["hex_gi"])
    hot = [x for x in hexes if x["gi_bin"] is not None and x["gi_bin"] >= 2]
    expect(hot and all(x["community_code"] == MARKET[:12] for x in hot),
           [(x["hex_id"], x["community_code"]) for x in hot])
    # The hexagon holding the market street's events is a 99 % hot spot.
    top = max(hexes, key=lambda x: x["events"])
    expect(top["gi_bin"] == 3, top)
    rising = [t["grid_code"] for t in read_layer(WEEK, "trouble_spots")
              if t["kind"] == "rising_grid"]
    expect(MARKET in rising, rising)
    em = {x["hex_id"]: x["class"] for x in read_layer(WEEK, "emerging")}
    expect(em[top["hex_id"]].endswith("hot_spot"), em[top["hex_id"]])
    expect(WEEK_REPORT["emerging"]["computed"], WEEK_REPORT["emerging"])


@case
def planted_clusters_and_repeat_locations():
    clusters = read_layer(WEEK, "clusters")
    expect(any(c["grid_code"] == MARKET and c["category"] == "占道经营"
               for c in clusters), clusters)
    repeats = {(t["grid_code"], t["category"])
               for t in read_layer(WEEK, "trouble_spots")
               if t["kind"] == "repeat_location"}
    for want in ((MARKET, "占道经营"), (GARBAGE, "环境卫生"),
                 (COMPOUND, "安全隐患")):
        expect(want in repeats, "no repeat location %s" % (want,))
    # Over the whole 8 weeks all three planted clusters are DBSCAN
    # clusters with their dominant category.
    r = ALL_REPORT
    expect(r["from"] == "2026-09-28" and r["to"] == "2026-11-22", r)
    got = {(c["grid_code"], c["category"]) for c in read_layer(ALL,
                                                             "clusters")}
    for want in ((MARKET, "占道经营"), (GARBAGE, "环境卫生"),
                 (COMPOUND, "安全隐患")):
        expect(want in got, "cluster %s missing: %s" % (want, got))


@case
def wrong_grid_codes_are_reported():
    out = ALL
    issues = {i["event_id"]: i for i in read_layer(out, "event_issues")}
    for ev, where in WRONG.items():
        expect(ev in issues, "%s not reported: %s" % (ev, list(issues)))
        expect(issues[ev]["kind"] == "grid_mismatch" and
               issues[ev]["location_grid_code"] == where, issues[ev])
    expect(len(issues) == 3, issues)
    mism = {g["grid_code"]: g["grid_mismatch"]
            for g in read_layer(out, "grid_events")}
    expect(mism[GARBAGE] >= 1, mism)


@case
def counts_equal_point_in_polygon():
    """Every event counts in the grid its point lies in, the lowest code
    where grids overlap; events with an empty grid_code included."""
    out = ALL
    ds = ogr.Open(CITY)
    grids = [(f["grid_code"], f.GetFID(), f.GetGeometryRef().Clone())
             for f in ds.GetLayerByName("grids")]
    want = {}
    for f in ds.GetLayerByName("events"):
        p = f.GetGeometryRef()
        hits = sorted((c, fid) for c, fid, g in grids if g.Intersects(p))
        if hits:
            want[hits[0][1]] = want.get(hits[0][1], 0) + 1
    got = read_layer(out, "grid_events")
    expect(len(got) == len(grids), "one row per grid")
    for (code, fid, _), row in zip(grids, got):
        expect(row["grid_code"] == code, "order")
        expect(row["events"] == want.get(fid, 0),
               "%s: %d vs %d" % (code, row["events"], want.get(fid, 0)))


@case
def density_integrates_to_the_event_count():
    tif = kde_path(WEEK)
    ds = gdal.Open(tif)
    gt = ds.GetGeoTransform()
    band = ds.GetRasterBand(1).ReadAsArray()
    total = float(band.sum()) * gt[1] * -gt[5] / 1e6
    n = WEEK_REPORT["events_in_period"]
    expect(abs(total - n) <= 0.01 * n, "KDE integrates to %.2f, not %d"
           % (total, n))
    k = json.loads(meta(WEEK)["kde"])
    expect(k["bandwidth_m"] > 0 and "ArcGIS" in k["bandwidth_rule"], k)
    expect(abs(float(ds.GetMetadataItem("BANDWIDTH_M")) - k["bandwidth_m"])
           < 1e-3, "bandwidth in the GeoTIFF")
    expect(os.path.exists(tif[:-4] + ".qml"), "no QGIS style for the KDE")


@case
def summaries_per_community_and_street():
    weekly = read_layer(WEEK, "weekly_summary")
    levels = sorted({(w["level"], w["code"]) for w in weekly})
    expect(("street", "110108001") in levels and
           ("street", "110108002") in levels and ("total", "total") in levels,
           levels)
    total = [w for w in weekly if w["level"] == "total"][0]
    expect(total["week"] == "2026-W47" and total["events"] == 53, total)
    expect(total["prev_events"] is not None and
           total["change"] == 53 - total["prev_events"], total)
    comm = sum(w["events"] for w in weekly if w["level"] == "community")
    expect(comm == 53, "communities sum to %d" % comm)
    monthly = read_layer(WEEK, "monthly_summary")
    expect({m["month"] for m in monthly} == {"2026-11"}, monthly)
    # October is only partly in the data (from 09-28): no change is made up
    # for September.
    out, _ = demo(out=os.path.join(SCRATCH, "oct.gpkg"), week=None,
                  *("--month", "2026-10"))
    oct_total = [m for m in read_layer(out, "monthly_summary")
                 if m["level"] == "total"][0]
    expect(oct_total["prev_events"] is None and oct_total["change"] is None,
           oct_total)


@case
def short_history_is_insufficient():
    out, r = demo("--from", "2026-10-05", "--to", "2026-10-18",
                  out=os.path.join(SCRATCH, "short.gpkg"), week=None)
    expect(not r["emerging"]["computed"], r["emerging"])
    expect("only 3 weeks of history" in r["emerging"]["note"], r)
    expect({e["class"] for e in read_layer(out, "emerging")} ==
           {"insufficient_history"}, "a class was guessed")
    expect(r["rising_note"] and "rising grids need 8" in r["rising_note"], r)


@case
def no_events_in_the_period():
    out, r = demo(out=os.path.join(SCRATCH, "none.gpkg"), week="2026-W30")
    expect(r["events_in_period"] == 0, r)
    expect("no events in the period" in r["hex_gi"]["note"], r)
    hexes = read_layer(out, "hex_hotspots")
    expect(hexes and all(x["events"] == 0 and x["gi_z"] is None
                         for x in hexes), "hexagons")
    for layer in ("grid_events", "hex_hotspots", "weekly_summary"):
        no_nan(out, layer)


@case
def config_and_hex_size():
    ini = os.path.join(SCRATCH, "hs.ini")
    with open(ini, "w", encoding="utf-8") as f:
        f.write("[hotspots]\nmin_units = 20\ndeadline_workdays = 1\n")
        for cat in ("安全隐患", "环境卫生", "占道经营", "噪音扰民", "设施损坏",
                    "矛盾纠纷", "违章搭建"):
            f.write("deadline.%s = 1\n" % cat)
    out, r = demo("--config", ini, "--hex-size", "200",
                  out=os.path.join(SCRATCH, "cfg.gpkg"))
    expect(r["grid_gi"]["computed"], r["grid_gi"])  # 22 >= 20
    expect(r["hex_size_m"] == 200 and r["hex_gi"]["hexagons"] <
           WEEK_REPORT["hex_gi"]["hexagons"], r["hex_gi"])
    expect(r["trouble_spots"]["overdue"] >
           WEEK_REPORT["trouble_spots"]["overdue"], r["trouble_spots"])
    rules = json.loads(meta(out)["rules"])
    expect(rules["deadlines"]["违章搭建"] == 1 and rules["hex_size_m"] == 200,
           rules)
    with open(ini, "w", encoding="utf-8") as f:
        f.write("[hotspots]\nhex_size = 100\n")
    code, _, err = run("hotspots", "--grids", CITY, "--events", CITY,
                       "--config", ini, "-o", os.path.join(SCRATCH, "x.gpkg"))
    expect_error(code, err, 2, "hs.ini", "line 2", "hex_size")


@case
def qgis_opens_every_layer_styled():
    """QGIS (headless) opens each layer valid, with its style from
    layer_styles, categories for every value and all aliases applied, and
    GDAL's GeoPackage validator is content (tests/qgis/qgis_check.py)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(REPO, "tests", "qgis", "qgis_check.py"),
         WEEK, "--styled-all", "--expect", "grid_events=22",
         "hex_hotspots=%d" % WEEK_REPORT["hex_gi"]["hexagons"],
         "emerging=%d" % WEEK_REPORT["hex_gi"]["hexagons"],
         "clusters=%d" % WEEK_REPORT["clusters"], "bad_rows=0"],
        capture_output=True, text=True, env=env)
    expect(p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:])


# ---- bad rows and bad input ------------------------------------------------------

def events_csv(name, rows, header="event_id,category,reported_at,"
               "resolved_at,status,grid_code,lon,lat", encoding="utf-8"):
    path = os.path.join(SCRATCH, name)
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(r + "\n")
    return path


GOOD = "116.30,39.98"


@case
def unusable_rows_are_listed():
    path = events_csv("rows.csv", [
        "A1,环境卫生,2026-11-16T09:00:00+08:00,,open,," + GOOD,
        "A2,环境卫生,2026-11-31 09:00,,open,," + GOOD,
        "A3,环境卫生,2026-11-17 09:00,,open,,NaN,39.98",
        "A4,环境卫生,2026-11-17 09:00,,closed,," + GOOD,
        "A1,环境卫生,2026-11-17 09:00,,open,," + GOOD,
        "A6,环境卫生,2026-11-17 09:00,2026-11-16 09:00,resolved,," + GOOD,
        "A7,环境卫生,2026-11-18 10:00,2026-11-18 12:00,,," + GOOD])
    out = os.path.join(SCRATCH, "rows.gpkg")
    code, stdout, err = run("hotspots", "--grids", CITY, "--events", path,
                            "--week", "2026-W47", "-o", out, "--json")
    expect(code == 0, err)
    r = json.loads(stdout)
    expect(r["events"] == 2 and r["bad_rows"] == 5, r)
    bad = {b["line"]: b for b in read_layer(out, "bad_rows")}
    expect(sorted(bad) == [3, 4, 5, 6, 7], bad)
    expect(bad[3]["field"] == "reported_at" and "31" in bad[3]["reason"],
           bad[3])
    expect(bad[4]["field"] == "geometry" and "lon, lat" in bad[4]["reason"],
           bad[4])
    expect(bad[5]["field"] == "status" and "closed" in bad[5]["reason"], bad[5])
    expect(bad[6]["field"] == "event_id" and "line 2" in bad[6]["reason"],
           bad[6])
    expect(bad[7]["field"] == "resolved_at", bad[7])


def keep_output():
    """An earlier output (GeoPackage and GeoTIFF) and their checksums."""
    out = os.path.join(SCRATCH, "keep.gpkg")
    if not os.path.exists(out):
        demo(out=out)
    return out, sha(out), sha(kde_path(out))


def refused(events, *pieces):
    """Runs over an earlier output with a bad events input: exit 3, the
    message holds the pieces, and both earlier outputs are as they were,
    with no temporary file left."""
    out, d1, d2 = keep_output()
    code, _, err = run("hotspots", "--grids", CITY, "--events", events,
                       "--week", "2026-W47", "-o", out)
    expect_error(code, err, 3, os.path.basename(events), *pieces)
    expect(sha(out) == d1, "the earlier GeoPackage was changed")
    expect(sha(kde_path(out)) == d2, "the earlier GeoTIFF was changed")
    left = [f for f in os.listdir(SCRATCH) if ".tmp" in f]
    expect(not left, "temporary files left: %s" % left)


@case
def no_status_field_is_status_unknown():
    """Events without a status field: those with a resolved_at are
    resolved, the others of unknown status, never open or overdue (they
    would all be overdue a week later), and a warning says so."""
    path = events_csv("nostatus.csv", [
        "N1,环境卫生,2026-10-05 09:00,,," + GOOD,
        "N2,环境卫生,2026-10-06 09:00,2026-10-06 12:00,," + GOOD,
        "N3,占道经营,2026-11-17 10:00,,," + GOOD],
        header="event_id,category,reported_at,resolved_at,grid_code,lon,lat")
    out = os.path.join(SCRATCH, "nostatus.gpkg")
    code, stdout, err = run("hotspots", "--grids", CITY, "--events", path,
                            "--week", "2026-W47", "-o", out, "--json")
    expect(code == 0, err)
    expect("no status field" in err and "2 events" in err and
           "never as open or overdue" in err, err)
    r = json.loads(stdout)
    expect(r["status_field"] is False, r)
    b = r["backlog"]
    expect((b["open"], b["overdue"], b["status_unknown"], b["reported"]) ==
           (0, 0, 1, 1), b)
    expect(r["trouble_spots"]["overdue"] == 0, r["trouble_spots"])
    ge = read_layer(out, "grid_events")
    expect(sum(g["open"] for g in ge) == 0 and
           sum(g["events"] for g in ge) == 1, ge)
    bl = read_layer(out, "grid_backlog")
    expect(sum(g["status_unknown"] for g in bl) == 1 and
           sum(g["open"] for g in bl) == 0, bl)


@case
def time_format_reads_other_notations():
    """--time-format reads 04/27/2016 01:44:00 PM; without it the rows
    are refused with a reason naming the option."""
    rows = ["T1,环境卫生,11/17/2026 01:44:00 PM,11/18/2026 09:05:30 AM,"
            "resolved,," + GOOD,
            "T2,环境卫生,11/18/2026 09:00:00 AM,,open,," + GOOD]
    path = events_csv("us.csv", rows)
    out = os.path.join(SCRATCH, "us.gpkg")
    code, _, err = run("hotspots", "--grids", CITY, "--events", path,
                       "--week", "2026-W47", "-o", out)
    expect_error(code, err, 3, "no usable event", "--time-format")
    code, stdout, err = run("hotspots", "--grids", CITY, "--events", path,
                            "--week", "2026-W47", "--time-format",
                            "%m/%d/%Y %I:%M:%S %p", "-o", out, "--json")
    expect(code == 0, err)
    r = json.loads(stdout)
    expect(r["events_in_period"] == 2 and r["bad_rows"] == 0, r)
    # 01:44 PM in Beijing is 05:44 UTC; resolved 19 h 21 min 30 s later.
    ge = [g for g in read_layer(out, "grid_events") if g["events"]]
    expect(len(ge) == 1 and ge[0]["resolved"] == 1 and
           abs(ge[0]["mean_resolve_h"] - (19 + 21.5 / 60)) < 1e-6, ge)
    # A row in yet another notation: a bad row naming the format.
    path = events_csv("us2.csv", rows + ["T3,环境卫生,2026-11-19T08:00:00+08:00,"
                                         ",open,," + GOOD,
                                         "T4,环境卫生,19.11.2026 08:00,,open,,"
                                         + GOOD])
    code, stdout, err = run("hotspots", "--grids", CITY, "--events", path,
                            "--week", "2026-W47", "--time-format",
                            "%m/%d/%Y %I:%M:%S %p", "-o", out, "--json")
    expect(code == 0, err)
    bad = read_layer(out, "bad_rows")
    expect(len(bad) == 1 and bad[0]["event_id"] == "T4" and
           "--time-format" in bad[0]["reason"] and
           "19.11.2026" in bad[0]["reason"], bad)


@case
def missing_field_exit_3():
    refused(events_csv("nocat.csv", ["A1,2026-11-16 09:00,," + GOOD],
                       header="event_id,reported_at,status,lon,lat"),
            "missing required field 'category'",
            "--field events.category=NAME")


@case
def no_usable_event_exit_3():
    refused(events_csv("allbad.csv", [
        "A1,环境卫生,yesterday,,open,," + GOOD,
        "A2,环境卫生,2026-11-16 09:00,,open,,,"]),
        "no usable event", "line 2", "reported_at")


@case
def gbk_csv_exit_3():
    path = events_csv("gbk.csv", ["A1,环境卫生,2026-11-16 09:00,,open,," +
                                  GOOD], encoding="gb18030")
    refused(path, "line 2", "field category", "--encoding GB18030")
    code, _, err = run("hotspots", "--grids", CITY, "--events", path,
                       "--encoding", "GB18030", "-o",
                       os.path.join(SCRATCH, "gbk.gpkg"))
    expect(code == 0, err)


@case
def layer_without_crs_exit_3():
    shp = os.path.join(SCRATCH, "ev_noprj.shp")
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # field names laundered
    gdal.VectorTranslate(shp, CITY, layers=["events"],
                         format="ESRI Shapefile")
    gdal.PopErrorHandler()
    os.remove(shp[:-4] + ".prj")
    refused(shp, "no coordinate reference system", "--assume-crs")


@case
def truncated_geopackage_exit_3():
    whole = os.path.join(SCRATCH, "ev_whole.gpkg")
    gdal.VectorTranslate(whole, CITY, layers=["events"], format="GPKG")
    bad = os.path.join(SCRATCH, "ev_truncated.gpkg")
    with open(whole, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 3])
    refused(bad, "cannot open")


@case
def usage_errors_exit_2():
    out = os.path.join(SCRATCH, "u.gpkg")
    code, _, err = run("hotspots", "--grids", CITY, "-o", out)
    expect_error(code, err, 2, "needs --grids, --events")
    code, _, err = run("hotspots", "--grids", CITY, "--events", CITY,
                       "--week", "2026-W47", "--month", "2026-11", "-o", out)
    expect_error(code, err, 2, "one period")
    code, _, err = run("hotspots", "--grids", CITY, "--events", CITY,
                       "--month", "2026-13", "-o", out)
    expect_error(code, err, 2, "--month '2026-13'")
    code, _, err = run("hotspots", "--grids", CITY, "--events", CITY,
                       "--hex-size", "0", "-o", out)
    expect_error(code, err, 2, "--hex-size")
    code, _, err = run("hotspots", "--grids", CITY, "--events", CITY,
                       "--field", "events.kind=x", "-o", out)
    expect_error(code, err, 2, "events has no field 'kind'")
    code, out_, err = run("hotspots", "--help")
    expect(code == 0 and "Example" in out_ and "|gi_bin| >= 2" in out_,
           out_[:200])


# ---- real data: Chicago ------------------------------------------------------------

def chicago():
    crime = os.path.join(SHARED, "chicago-crime")
    areas = os.path.join(SHARED, "chicago-community-areas",
                         "chicago_community_areas.geojson")
    if not os.path.isdir(crime) or not os.path.exists(areas):
        h.skip("chicago_counts_match_point_in_polygon",
               "%s is absent" % SHARED)
        return

    @case
    def chicago_counts_match_point_in_polygon():
        # The CSV's dates are MM/DD/YYYY hh:mm:ss AM/PM, local time
        # (SOURCE.txt); ISO 8601 is the input contract, so convert them,
        # and write GeoJSON so that the CRS is declared (--assume-crs is
        # needed for SouthSide.shp, whose .prj is empty).
        src = ogr.Open(os.path.join(crime,
                                    "chicago_southside_2016_sample.csv"))
        lyr = src.GetLayer(0)
        fc = {"type": "FeatureCollection", "features": []}
        for f in lyr:
            t = datetime.datetime.strptime(f["Date"], "%m/%d/%Y %I:%M:%S %p")
            fc["features"].append({
                "type": "Feature",
                "properties": {"Case Number": f["Case Number"],
                               "Primary Type": f["Primary Type"],
                               "Date": t.strftime("%Y-%m-%d %H:%M:%S")},
                "geometry": {"type": "Point",
                             "coordinates": [float(f["Longitude"]),
                                             float(f["Latitude"])]}})
        events = os.path.join(SCRATCH, "chicago_2016.geojson")
        with open(events, "w") as fp:
            json.dump(fc, fp)
        out = os.path.join(SCRATCH, "chicago.gpkg")
        code, stdout, err = run(
            "hotspots", "--grids", areas, "--events", events,
            "--communities", os.path.join(crime, "SouthSide.shp"),
            "--assume-crs", "EPSG:2790",
            "--field", "grids.grid_code=area_numbe",
            "--field", "grids.community_code=area_numbe",
            "--field", "grids.name=community",
            "--field", "communities.community_code=name",
            "--field", "events.event_id=Case Number",
            "--field", "events.category=Primary Type",
            "--field", "events.reported_at=Date",
            "--tz", "America/Chicago", "-o", out, "--json")
        expect(code == 0, "exit %d: %s" % (code, err))
        r = json.loads(stdout)
        expect(r["events"] == 1000 and r["bad_rows"] == 0, r)
        expect(r["from"] == "2016-01-01" and r["to"] == "2016-12-31", r)
        expect(r["grid_gi"]["computed"], r["grid_gi"])  # 77 areas >= 30
        expect("tmerc" in meta(out)["metric_crs"].lower() or
               "GRS80" in meta(out)["metric_crs"], meta(out)["metric_crs"])
        # The plain point-in-polygon count, in lon/lat with OGR.
        ads = ogr.Open(areas)
        polys = [(f["area_numbe"], f.GetGeometryRef().Clone())
                 for f in ads.GetLayer(0)]
        want = {}
        eds = ogr.Open(events)
        for f in eds.GetLayer(0):
            p = f.GetGeometryRef()
            hits = sorted(c for c, g in polys if g.Intersects(p))
            if hits:
                want[hits[0]] = want.get(hits[0], 0) + 1
        got = {g["grid_code"]: g["events"]
               for g in read_layer(out, "grid_events")}
        expect(len(got) == 77, len(got))
        diff = {c: (got[c], want.get(c, 0)) for c in got
                if got[c] != want.get(c, 0)}
        expect(not diff, "counts differ (engine, OGR): %s" % diff)
        expect(sum(got.values()) == sum(want.values()) > 900, sum(got.values()))
        cats = {c["category"] for c in read_layer(out, "categories")}
        expect("BATTERY" in cats and "THEFT" in cats, cats)

    @case
    def chicago_as_exported():
        """The sample as the city exports it: US times read with
        --time-format, and no status field, so no event is taken for
        open or overdue (taking them as open made 977 overdue)."""
        out = os.path.join(SCRATCH, "chicago_raw.gpkg")
        code, stdout, err = run(
            "hotspots", "--grids", areas, "--events",
            os.path.join(crime, "chicago_southside_2016_sample.csv"),
            "--field", "grids.grid_code=area_numbe",
            "--field", "grids.community_code=area_numbe",
            "--field", "events.event_id=Case Number",
            "--field", "events.category=Primary Type",
            "--field", "events.reported_at=Date",
            "--time-format", "%m/%d/%Y %I:%M:%S %p",
            "--tz", "America/Chicago", "-o", out, "--json")
        expect(code == 0, "exit %d: %s" % (code, err))
        r = json.loads(stdout)
        expect(r["events"] == 1000 and r["bad_rows"] == 0, r)
        expect("no status field" in err and "1000 events" in err, err)
        b = r["backlog"]
        expect((b["open"], b["overdue"], b["status_unknown"]) ==
               (0, 0, 1000), b)
        expect(r["trouble_spots"]["overdue"] == 0, r["trouble_spots"])
        code, _, err = run(
            "hotspots", "--grids", areas, "--events",
            os.path.join(crime, "chicago_southside_2016_sample.csv"),
            "--field", "grids.grid_code=area_numbe",
            "--field", "grids.community_code=area_numbe",
            "--field", "events.reported_at=Date",
            "--field", "events.event_id=Case Number",
            "--field", "events.category=Primary Type",
            "--tz", "America/Chicago", "-o", out)
        expect(code == 3 and "--time-format" in err and
               "04/27/2016 01:44:00 PM" in err, err)



chicago()

shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
