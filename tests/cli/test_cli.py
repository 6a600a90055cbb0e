#!/usr/bin/python3
"""CLI cases for `gridsmith validate`, run the way users run the command.

Usage: test_cli.py GRIDSMITH_BINARY TESTS_DIR

Each case runs the built binary on files under tests/data (or files it
makes in a scratch folder) and checks the exit status, a piece of the
message (file, layer, feature or line, field), and the written GeoPackage:
against the golden file tests/data/mini/golden.json for the mini city,
whose figures are worked out by hand in tests/data/mini/README.md.
Error cases also check that an earlier output was left untouched.

The last line is "N passed, N failed".
"""
import json
import os
import shutil
import sys
import tempfile

from osgeo import gdal, ogr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import (case, expect, expect_error, read_layer,  # noqa: E402
                         run, sha)

gdal.UseExceptions()

BIN = os.path.abspath(sys.argv[1])
h.BIN = BIN
TESTS = os.path.abspath(sys.argv[2])
MINI = os.path.join(TESTS, "data", "mini")
SCRATCH = tempfile.mkdtemp(prefix="gs_cli_")


def mini_args(**over):
    a = {
        "--communities": os.path.join(MINI, "communities.geojson"),
        "--grids": os.path.join(MINI, "grids.geojson"),
        "--households": os.path.join(MINI, "households.geojson"),
        "--members": os.path.join(MINI, "members.csv"),
        "--config": os.path.join(MINI, "rules.ini"),
    }
    a.update(over)
    out = []
    for k, v in a.items():
        if v is not None:
            out += [k, v]
    return out


# ---- the mini city against its golden file --------------------------------

OUT = os.path.join(SCRATCH, "mini.gpkg")


@case
def mini_city_matches_golden():
    code, out, err = run("validate", *mini_args(), "-o", OUT)
    expect(code == 0, "exit %d: %s" % (code, err))
    with open(os.path.join(MINI, "golden.json"), encoding="utf-8") as f:
        golden = json.load(f)
    grids = read_layer(OUT, "grids")
    got = {g["grid_code"]: {k: g[k] for k in golden["grids"][g["grid_code"]]}
           for g in grids}
    for code_, want in golden["grids"].items():
        have = dict(got[code_])
        have["area_m2"] = round(have["area_m2"], 1)
        have["polsby_popper"] = round(have["polsby_popper"], 4)
        expect(have == want, "grid %s: %s != %s" % (code_, have, want))
    issues = read_layer(OUT, "issues") + read_layer(OUT, "issue_points")
    have = sorted([i["kind"], i["grid_code"],
                   None if i["_area"] is None else round(i["_area"], 1)]
                  for i in issues)
    want = sorted(golden["issues"])
    expect(have == want, "issues differ:\n%s\n%s" % (have, want))
    summary = {s["community_code"]: s for s in read_layer(OUT, "summary")}
    for cc, want in golden["summary"].items():
        have = {k: summary[cc][k] for k in want}
        expect(have == want, "summary %s: %s != %s" % (cc, have, want))


@case
def output_is_in_the_grids_crs_and_styled():
    ds = gdal.OpenEx(OUT, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName("grids")
    srs = lyr.GetSpatialRef()
    expect(srs is not None and srs.GetAuthorityCode(None) == "4548",
           "grids CRS is %s" % (srs and srs.ExportToWkt()))
    styles = ds.ExecuteSQL("SELECT f_table_name, useAsDefault, styleQML "
                           "FROM layer_styles")
    names = {}
    for f in styles:
        names[f.GetField(0)] = (f.GetField(1), f.GetField(2))
    ds.ReleaseResultSet(styles)
    for layer in ("grids", "issues", "issue_points", "summary"):
        expect(layer in names, "no style for %s" % layer)
        expect(names[layer][0] == 1, "style of %s not default" % layer)
        expect("<qgis" in names[layer][1], "style of %s not QML" % layer)
    expect("网格编码" in names["grids"][1], "no Chinese alias in grids style")
    meta = {f.GetField(0): f.GetField(1)
            for f in ds.GetLayerByName("run_metadata")}
    expect(meta.get("command") == "validate", meta)
    expect("gridsmith validate" in meta.get("command_line", ""), meta)
    grids_in = json.loads(meta["input.grids"])
    expect(grids_in["sha256"] == sha(os.path.join(MINI, "grids.geojson")),
           "grids checksum wrong")
    expect("min_households\": 3" in meta["rules"], meta["rules"])


@case
def orphan_is_a_point_issue():
    pts = read_layer(OUT, "issue_points")
    orphans = [p for p in pts if p["kind"] == "orphan_household"]
    expect(len(orphans) == 1, pts)
    g = ogr.CreateGeometryFromWkt(orphans[0]["_geom"])
    expect(abs(g.GetX() - 500197) < 1e-6 and abs(g.GetY() - 4400050) < 1e-6,
           orphans[0]["_geom"])
    expect("H021" in orphans[0]["detail"], orphans[0]["detail"])


@case
def json_summary_on_stdout():
    out2 = os.path.join(SCRATCH, "json.gpkg")
    code, out, err = run("validate", *mini_args(), "-o", out2, "--json")
    expect(code == 0, err)
    d = json.loads(out)
    expect(d["grids"] == 5 and d["violations"] == 4, d)
    expect(d["by_kind"]["gap"] == 3 and d["orphan_households"] == 1, d)
    expect([p["phase"] for p in d["phases"]] ==
           ["read", "index", "analyse", "write"], d["phases"])


@case
def strict_exits_1_on_findings():
    code, out, err = run("validate", *mini_args(), "-o",
                         os.path.join(SCRATCH, "strict.gpkg"), "--strict",
                         "--quiet")
    expect(code == 1, "exit %d" % code)
    expect(out == "", "--quiet printed %r" % out)


@case
def one_and_two_threads_write_the_same_features():
    a = os.path.join(SCRATCH, "t1.gpkg")
    b = os.path.join(SCRATCH, "t2.gpkg")
    expect(run("validate", *mini_args(), "-o", a, "--threads", "1")[0] == 0,
           "t1")
    expect(run("validate", *mini_args(), "-o", b, "--threads", "2")[0] == 0,
           "t2")
    for layer in ("grids", "issues", "issue_points", "summary"):
        expect(read_layer(a, layer) == read_layer(b, layer), layer)


@case
def field_mapping():
    src = json.load(open(os.path.join(MINI, "households.geojson"),
                         encoding="utf-8"))
    for f in src["features"]:
        f["properties"]["renkou"] = f["properties"].pop("persons")
    path = os.path.join(SCRATCH, "renkou.geojson")
    json.dump(src, open(path, "w", encoding="utf-8"), ensure_ascii=False)
    code, out, err = run("validate", *mini_args(**{"--households": path}),
                         "-o", os.path.join(SCRATCH, "x.gpkg"))
    expect_error(code, err, 3, "renkou.geojson", "layer", "persons",
                 "--field households.persons=NAME")
    code, out, err = run("validate", *mini_args(**{"--households": path}),
                         "--field", "households.persons=renkou",
                         "-o", os.path.join(SCRATCH, "x.gpkg"))
    expect(code == 0, err)
    g = {r["grid_code"]: r for r in read_layer(os.path.join(SCRATCH, "x.gpkg"),
                                               "grids")}
    expect(g["110108001002002"]["persons"] == 16, g)


# ---- bad input: exit 3 with a message naming where; outputs untouched -----

def keep_output():
    """Makes an earlier output and returns (path, checksum)."""
    path = os.path.join(SCRATCH, "keep.gpkg")
    if not os.path.exists(path):
        code, _, err = run("validate", *mini_args(), "-o", path)
        expect(code == 0, err)
    return path, sha(path)


def expect_untouched(path, digest):
    expect(sha(path) == digest, "the earlier output was changed")
    left = [f for f in os.listdir(SCRATCH) if f.endswith(".tmp.gpkg")]
    expect(not left, "temporary files left: %s" % left)


@case
def empty_layer():
    keep, digest = keep_output()
    path = os.path.join(SCRATCH, "empty.geojson")
    with open(path, "w") as f:
        f.write('{"type":"FeatureCollection","features":[]}')
    code, out, err = run("validate", *mini_args(**{"--households": path}),
                         "-o", keep)
    expect_error(code, err, 3, "empty.geojson", "no features")
    expect_untouched(keep, digest)


@case
def unknown_crs():
    keep, digest = keep_output()
    shp = os.path.join(SCRATCH, "noprj.shp")
    gdal.VectorTranslate(shp, os.path.join(MINI, "grids.geojson"),
                         format="ESRI Shapefile")
    os.remove(shp[:-4] + ".prj")
    code, out, err = run("validate", *mini_args(**{"--grids": shp}),
                         "-o", keep)
    expect_error(code, err, 3, "noprj.shp", "no coordinate reference system",
                 "--assume-crs")
    expect_untouched(keep, digest)
    code, out, err = run("validate", *mini_args(**{"--grids": shp}),
                         "--assume-crs", "EPSG:4548",
                         "-o", os.path.join(SCRATCH, "prj.gpkg"))
    expect(code == 0, err)


@case
def projected_data_labelled_lonlat():
    src = json.load(open(os.path.join(MINI, "communities.geojson"),
                         encoding="utf-8"))
    del src["crs"]  # GeoJSON without crs is WGS84 lon/lat
    path = os.path.join(SCRATCH, "wrongcrs.geojson")
    json.dump(src, open(path, "w", encoding="utf-8"), ensure_ascii=False)
    code, out, err = run("validate", *mini_args(**{"--communities": path}),
                         "-o", os.path.join(SCRATCH, "w.gpkg"))
    expect_error(code, err, 3, "wrongcrs.geojson", "not longitudes")


@case
def nan_coordinates():
    keep, digest = keep_output()
    path = os.path.join(SCRATCH, "nan.csv")
    with open(path, "w") as f:
        f.write("household_id,persons,lon,lat\n")
        f.write("H1,2,116.3,39.9\n")
        f.write("H2,2,NaN,39.9\n")
    code, out, err = run("validate", *mini_args(**{"--households": path}),
                         "--assume-crs", "EPSG:4326", "-o", keep)
    expect_error(code, err, 3, "nan.csv", "line 3", "fields lon, lat",
                 "(not a number, 39.9")
    expect_untouched(keep, digest)


@case
def gbk_csv_needs_encoding():
    keep, digest = keep_output()
    path = os.path.join(SCRATCH, "members_gbk.csv")
    text = open(os.path.join(MINI, "members.csv"), encoding="utf-8").read()
    with open(path, "wb") as f:
        f.write(text.encode("gb18030"))
    code, out, err = run("validate", *mini_args(**{"--members": path}),
                         "-o", keep)
    expect_error(code, err, 3, "members_gbk.csv", "line 2", "field name",
                 "UTF-8", "--encoding GB18030")
    expect_untouched(keep, digest)
    out2 = os.path.join(SCRATCH, "gbk.gpkg")
    code, out, err = run("validate", *mini_args(**{"--members": path}),
                         "--encoding", "GB18030", "-o", out2)
    expect(code == 0, err)
    issues = read_layer(out2, "issues")
    unknown = [i for i in issues if i["kind"] == "member_unknown_grid"]
    expect(len(unknown) == 1 and "赵磊" in unknown[0]["detail"], unknown)


@case
def truncated_geopackage():
    keep, digest = keep_output()
    good = os.path.join(SCRATCH, "whole.gpkg")
    gdal.VectorTranslate(good, os.path.join(MINI, "households.geojson"),
                         format="GPKG", layerName="households")
    bad = os.path.join(SCRATCH, "truncated.gpkg")
    data = open(good, "rb").read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 3])
    code, out, err = run("validate", *mini_args(**{"--households": bad}),
                         "-o", keep)
    expect_error(code, err, 3, "truncated.gpkg")
    expect_untouched(keep, digest)


@case
def directory_instead_of_file():
    keep, digest = keep_output()
    code, out, err = run("validate", *mini_args(**{"--grids": SCRATCH}),
                         "-o", keep)
    expect_error(code, err, 3, SCRATCH, "is a directory")
    expect_untouched(keep, digest)


@case
def missing_input_file():
    code, out, err = run("validate", *mini_args(
        **{"--members": os.path.join(SCRATCH, "nope.csv")}),
        "-o", os.path.join(SCRATCH, "n.gpkg"))
    expect_error(code, err, 3, "nope.csv", "No such file")


@case
def output_problems_exit_4():
    code, out, err = run("validate", *mini_args(), "-o", SCRATCH)
    expect_error(code, err, 4, "is a directory")
    code, out, err = run("validate", *mini_args(), "-o",
                         os.path.join(SCRATCH, "no", "such", "dir.gpkg"))
    expect_error(code, err, 4, "does not exist")


@case
def output_over_an_input_is_refused():
    copy = os.path.join(SCRATCH, "grids_copy.gpkg")
    gdal.VectorTranslate(copy, os.path.join(MINI, "grids.geojson"),
                         format="GPKG", layerName="grids")
    digest = sha(copy)
    code, out, err = run("validate", *mini_args(**{"--grids": copy}),
                         "-o", copy)
    expect_error(code, err, 2, "also an input")
    expect(sha(copy) == digest, "input changed")


@case
def usage_errors_exit_2():
    code, out, err = run("validate", "--grids", "x")
    expect_error(code, err, 2, "needs --communities")
    code, out, err = run("validate", *mini_args(), "-o", "x.gpkg",
                         "--field", "households.renkou")
    expect_error(code, err, 2, "ROLE.FIELD=SOURCE")
    code, out, err = run("validate", *mini_args(), "-o", "x.gpkg",
                         "--field", "houses.persons=a")
    expect_error(code, err, 2, "unknown role")
    code, out, err = run("validate", *mini_args(), "-o", "x.gpkg",
                         "--threads", "zero")
    expect_error(code, err, 2, "--threads")
    code, out, err = run("frobnicate")
    expect_error(code, err, 2, "unknown command")


@case
def bad_config_exit_2():
    path = os.path.join(SCRATCH, "bad.ini")
    with open(path, "w") as f:
        f.write("[sizing]\nmin_househods = 300\n")
    code, out, err = run("validate", *mini_args(**{"--config": path}),
                         "-o", os.path.join(SCRATCH, "c.gpkg"))
    expect_error(code, err, 2, "bad.ini", "line 2", "min_househods")


@case
def skip_bad_features_reports_them():
    path = os.path.join(SCRATCH, "hh_nan.csv")
    with open(path, "w") as f:
        f.write("household_id,persons,lon,lat\n")
        f.write("H1,2,116.3,39.9\n")
        f.write("H2,2,NaN,39.9\n")
    out2 = os.path.join(SCRATCH, "skip.gpkg")
    code, out, err = run("validate", *mini_args(**{"--households": path}),
                         "--assume-crs", "EPSG:4326", "--on-error=skip",
                         "-o", out2, "--json")
    expect(code == 0, err)
    expect(json.loads(out)["skipped_features"] == 1, out)
    rows = read_layer(out2, "issues") + read_layer(out2, "issue_points")
    skipped = [r for r in rows if r["kind"] == "skipped_feature"]
    expect(len(skipped) == 1 and "(not a number, 39.9" in skipped[0]["detail"], skipped)


@case
def help_and_version():
    code, out, err = run("--version")
    expect(code == 0 and out.startswith("gridsmith "), out)
    code, out, err = run("validate", "--help")
    expect(code == 0 and "Example" in out and "--households" in out, out)
    code, out, err = run("--help")
    expect(code == 0 and "validate" in out, out)


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
