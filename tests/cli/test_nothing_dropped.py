#!/usr/bin/python3
"""Nothing is silently capped or dropped.

Usage: test_nothing_dropped.py GRIDSMITH_BINARY REPO_ROOT

Every GPS problem fix is a gps_issues row (a member with hundreds of jumps
shows them all, as many as member_day's bad_fixes); every household whose
persons cannot be used is a bad_persons point of its own; a column that
appears twice in a roster, a household layer or a trace file is an error
naming it, not the first one read silently. The last line is
"N passed, N failed".
"""
import os
import shutil
import sys
import tempfile

from osgeo import gdal, ogr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, read_layer, run  # noqa: E402

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
MEMBERS = os.path.join(DEMO, "members.csv")
TMP = tempfile.mkdtemp(prefix="gs_dropped_")


def write(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


@case
def every_gps_jump_is_a_row():
    """600 fixes 10 s apart, alternating between two places 3.4 km apart:
    hundreds of jumps (the old cap kept 200)."""
    rows = ["member_id,time,lon,lat,accuracy_m"]
    for i in range(600):
        lon = 116.2946 if i % 2 == 0 else 116.3346
        t = 9 * 3600 + 10 * i
        rows.append("M0001,2026-11-17T%02d:%02d:%02d+08:00,%.4f,39.9817,5" %
                    (t // 3600, t // 60 % 60, t % 60, lon))
    tr = write("jumps.csv", "\n".join(rows) + "\n")
    out = os.path.join(TMP, "p.gpkg")
    st, so, se = run("patrol", "--grids", CITY, "--members", MEMBERS,
                     "--traces", tr, "--week", "2026-W47", "-o", out,
                     "--quiet")
    expect(st == 0, "exit %d: %s" % (st, se))
    issues = [r for r in read_layer(out, "gps_issues")
              if r["member_id"] == "M0001"]
    bad = sum(r["bad_fixes"] for r in read_layer(out, "member_day")
              if r["member_id"] == "M0001")
    jumps = [r for r in issues if r["kind"] == "jump"]
    expect(len(jumps) > 250, "jump rows: %d" % len(jumps))
    expect(len(issues) == bad, "gps_issues %d, bad_fixes %d" %
           (len(issues), bad))
    lines = [r["line"] for r in jumps]
    expect(len(set(lines)) == len(lines), "a fix reported twice")


def households_with_bad_persons(n_bad):
    """The demo's households with `persons` emptied in `n_bad` households
    of one grid (those nearest the first household). Returns (path, the
    emptied ids)."""
    path = os.path.join(TMP, "hh.gpkg")
    gdal.VectorTranslate(path, CITY, layers=["households"])
    ds = ogr.Open(path, 1)
    lyr = ds.GetLayer(0)
    f0 = lyr.GetNextFeature()
    x, y = f0.GetGeometryRef().GetX(), f0.GetGeometryRef().GetY()
    lyr.ResetReading()
    feats = sorted(((g.GetGeometryRef().GetX() - x) ** 2 +
                    (g.GetGeometryRef().GetY() - y) ** 2, g.GetFID(),
                    g.GetField("household_id")) for g in lyr)
    ids = []
    for _, fid, hid in feats[:n_bad]:
        g = lyr.GetFeature(fid)
        g.SetFieldNull("persons")
        lyr.SetFeature(g)
        ids.append(hid)
    ds = None
    return path, ids


def bad_persons_points(hh, name):
    out = os.path.join(TMP, name)
    st, so, se = run("validate", "--grids", CITY, "--communities", CITY,
                     "--households", hh, "-o", out, "--quiet")
    expect(st == 0, "exit %d: %s" % (st, se))
    return out, [r for r in read_layer(out, "issue_points")
                 if r["kind"] == "bad_persons"]


@case
def every_bad_household_is_named():
    _, before = bad_persons_points(CITY, "v0.gpkg")
    hh, ids = households_with_bad_persons(7)
    out, points = bad_persons_points(hh, "v.gpkg")
    base = len(before)
    expect(len(points) == base + 7, "bad_persons points: %d, %d before" %
           (len(points), base))
    for hid in ids:
        expect(sum(hid in r["detail"] for r in points) == 1,
               "household %s not named once" % hid)
    expect(all(r["grid_code"] for r in points), "a point without its grid")
    # The grid issue still counts them, and the grids' tally agrees.
    grid_issues = [r for r in read_layer(out, "issues")
                   if r["kind"] == "bad_persons"]
    counted = sum(int(r["detail"].split()[0]) for r in grid_issues)
    expect(counted == len(points), "grid issues count %d, points %d" %
           (counted, len(points)))
    summary = [r for r in read_layer(out, "summary")
               if r["community_code"] == "total"]
    expect(summary and summary[0]["n_bad_persons"] == len(grid_issues),
           "summary %s, grids %d" % (summary, len(grid_issues)))


@case
def a_duplicated_roster_column_is_an_error():
    with open(MEMBERS, encoding="utf-8") as f:
        lines = f.read().splitlines()
    dup = write("members_dup.csv", "\n".join(
        [lines[0] + ",Grid_Code"] + [l + ",110108009009009"
                                     for l in lines[1:]]) + "\n")
    st, so, se = run("validate", "--grids", CITY, "--communities", CITY,
                     "--households", CITY, "--members", dup, "-o",
                     os.path.join(TMP, "vd.gpkg"), "--quiet")
    expect(st == 3, "exit %d: %s" % (st, se))
    expect("grid_code" in se and "twice" in se and "members_dup.csv" in se,
           se)


@case
def a_duplicated_trace_column_is_an_error():
    rows = ["member_id,time,lon,lat,lat"]
    for i in range(20):
        rows.append("M0001,2026-11-17T09:%02d:00+08:00,116.2946,39.9817,0" %
                    i)
    tr = write("traces_dup.csv", "\n".join(rows) + "\n")
    st, so, se = run("patrol", "--grids", CITY, "--members", MEMBERS,
                     "--traces", tr, "--week", "2026-W47", "-o",
                     os.path.join(TMP, "pd.gpkg"), "--quiet")
    expect(st == 3, "exit %d: %s" % (st, se))
    expect("'lat'" in se and "twice" in se and "traces_dup.csv" in se, se)


h.finish()
shutil.rmtree(TMP, True)
