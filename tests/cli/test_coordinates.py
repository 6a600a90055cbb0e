#!/usr/bin/python3
"""Coordinates far outside their layer: one bad vertex, point or fix is a
located problem and bends nothing else.

Usage: test_coordinates.py GRIDSMITH_BINARY REPO_ROOT

Each case makes the demo city with one slip of the kind exports make, a
vertex or a point at (0, 0) or ten degrees off, runs the command as a user
would, and compares every figure with the run on the clean data: the
metric CRS, every other grid, every other member's hours and coverage,
the density's bandwidth. The slip itself must be named, with its place,
in the outputs and the run_metadata states the rule. The last line is
"N passed, N failed".
"""
import csv
import json
import os
import shutil
import sys
import tempfile

from osgeo import gdal, ogr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, read_layer, run  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
MEMBERS = os.path.join(DEMO, "members.csv")
TRACES = os.path.join(DEMO, "traces.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
TMP = tempfile.mkdtemp(prefix="gs_coords_")
EPSG_4548 = "EPSG:4548 CGCS2000 / 3-degree Gauss-Kruger CM 117E"


def copy_layers(name, *layers):
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        os.remove(path)
    for i, lyr in enumerate(layers):
        gdal.VectorTranslate(path, CITY, layers=[lyr], format="GPKG",
                             accessMode=None if i == 0 else "update")
    return path


def move_vertex(path, layer, fid_index, vertex, to):
    """Sets one vertex of the fid_index-th feature's first ring (or the
    point) to `to`, or moves it by `to` when `to` is a callable."""
    ds = ogr.Open(path, 1)
    lyr = ds.GetLayerByName(layer)
    feats = [f for f in lyr]
    f = feats[fid_index]
    g = f.GetGeometryRef()
    part = g
    while part.GetGeometryCount() > 0:
        part = part.GetGeometryRef(0)
    x, y = part.GetX(vertex), part.GetY(vertex)
    nx, ny = to(x, y) if callable(to) else to
    part.SetPoint_2D(vertex, nx, ny)
    f.SetGeometry(g)
    lyr.SetFeature(f)
    key = {k: f[k] for k in ("grid_code", "event_id", "household_id")
           if f.GetFieldIndex(k) >= 0}
    ds = None
    return key, (x, y)


def meta(path):
    return {r["key"]: r["value"] for r in read_layer(path, "run_metadata")}


def by(rows, *keys):
    return {tuple(r[k] for k in keys): r for r in rows}


def strip(r, *drop):
    return {k: v for k, v in r.items()
            if k not in drop and k not in ("_geom", "_area")}


def validate(grids, communities=CITY, households=CITY, out="v.gpkg"):
    out = os.path.join(TMP, out)
    st, so, se = run("validate", "--grids", grids, "--communities",
                     communities, "--households", households, "--members",
                     MEMBERS, "-o", out, "--json")
    expect(st == 0, "validate: exit %d: %s" % (st, se))
    return out, json.loads(so), se


CLEAN_V = None


def clean_validate():
    global CLEAN_V
    if CLEAN_V is None:
        CLEAN_V = validate(CITY, out="clean_v.gpkg")
    return CLEAN_V


@case
def grid_vertex_at_zero_bends_nothing_else():
    grids = copy_layers("grids0.gpkg", "grids")
    key, was = move_vertex(grids, "grids", 0, 2, (0.0, 0.0))
    code = key["grid_code"]
    out, rep, err = validate(grids)
    clean, crep, _ = clean_validate()
    m = meta(out)
    expect(m["metric_crs"] == EPSG_4548, "metric CRS " + m["metric_crs"])
    expect("interquartile" in m["coordinate_rule"], m["coordinate_rule"])
    expect('"far":1' in m["input.grids"], m["input.grids"])
    expect("(0, 0)" in err and code in err, "no warning naming it: " + err)
    # Every other grid as in the clean run, field by field.
    a, b = by(read_layer(clean, "grids"), "grid_code", "name"), \
        by(read_layer(out, "grids"), "grid_code", "name")
    changed = [k for k in a if strip(a[k]) != strip(b[k])]
    expect([k[0] for k in changed] == [code],
           "grids changed besides %s: %s" % (code, changed))
    expect("far_coordinate" in b[changed[0]]["issues"], b[changed[0]])
    issues = [r for r in read_layer(out, "issues")
              if r["kind"] == "far_coordinate"]
    expect(len(issues) == 1 and issues[0]["grid_code"] == code and
           "(0, 0)" in issues[0]["detail"] and issues[0]["_geom"],
           "far_coordinate issue: %r" % issues)
    # No other grid gained or lost an issue.
    other = sorted((r["kind"], r["grid_code"], r["detail"])
                   for r in read_layer(out, "issues")
                   if r["grid_code"] != code)
    expect(other == sorted((r["kind"], r["grid_code"], r["detail"])
                           for r in read_layer(clean, "issues")
                           if r["grid_code"] != code),
           "issues of other grids changed")
    expect(rep["by_kind"]["far_coordinate"] == 1, rep["by_kind"])


@case
def grid_vertex_at_zero_keeps_every_other_members_patrol():
    grids = copy_layers("grids0p.gpkg", "grids")
    key, _ = move_vertex(grids, "grids", 0, 2, (0.0, 0.0))
    outs = {}
    for name, g in (("clean", CITY), ("slip", grids)):
        outs[name] = os.path.join(TMP, "p_%s.gpkg" % name)
        st, so, se = run("patrol", "--grids", g, "--members", MEMBERS,
                         "--traces", TRACES, "--households", CITY,
                         "--calendar", CALENDAR, "--week", "2026-W47", "-o",
                         outs[name], "--quiet")
        expect(st == 0, "patrol: exit %d: %s" % (st, se))
    expect(meta(outs["slip"])["metric_crs"] == EPSG_4548, "CRS moved")
    for layer in ("member_day", "member_week"):
        keys = ("member_id", "grid_code", "date" if layer == "member_day"
                else "week")
        a = by(read_layer(outs["clean"], layer), *keys)
        b = by(read_layer(outs["slip"], layer), *keys)
        changed = {k[1] for k in a if strip(a[k]) != strip(b[k])}
        expect(changed <= {key["grid_code"]},
               "%s changed for other grids: %s" % (layer, changed))
    wk = [r for r in read_layer(outs["slip"], "member_week")
          if r["grid_code"] == key["grid_code"]]
    expect(wk and "far outside" in wk[0]["note"], "no note: %r" % wk)


def period_events(path):
    """Indices of features in 2026-W47 (reported 16-22 November)."""
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName("events")
    return [i for i, f in enumerate(lyr)
            if "2026-11-16" <= f["reported_at"][:10] <= "2026-11-22"]


def hotspots(events, out):
    out = os.path.join(TMP, out)
    st, so, se = run("hotspots", "--grids", CITY, "--communities", CITY,
                     "--events", events, "--week", "2026-W47", "-o", out,
                     "--json")
    expect(st == 0, "hotspots: exit %d: %s" % (st, se))
    return out, json.loads(so)


@case
def event_at_zero_and_ten_degrees_off_are_bad_rows():
    ev = copy_layers("ev_slip.gpkg", "events")
    idx = period_events(ev)
    k0, _ = move_vertex(ev, "events", idx[0], 0, (0.0, 0.0))
    k1, _ = move_vertex(ev, "events", idx[1], 0, lambda x, y: (x + 10, y))
    # The same events without the two: what the period really holds.
    gone = copy_layers("ev_gone.gpkg", "events")
    ds = ogr.Open(gone, 1)
    ds.ExecuteSQL("DELETE FROM events WHERE event_id IN ('%s', '%s')" %
                  (k0["event_id"], k1["event_id"]))
    ds = None
    out, rep = hotspots(ev, "h_slip.gpkg")
    ref, rref = hotspots(gone, "h_gone.gpkg")
    expect(rep["kde"]["bandwidth_m"] == rref["kde"]["bandwidth_m"] and
           rep["kde"]["cell_m"] == rref["kde"]["cell_m"],
           "bandwidth %r, wanted %r" % (rep["kde"], rref["kde"]))
    expect(rep["kde"]["bandwidth_m"] < 1000, rep["kde"])
    expect(rep["metric_crs"] == EPSG_4548 if "metric_crs" in rep else True,
           rep.get("metric_crs"))
    bad = {r["event_id"]: r for r in read_layer(out, "bad_rows")}
    for k in (k0, k1):
        r = bad.get(k["event_id"])
        expect(r and r["field"] == "geometry" and "km outside" in r["reason"],
               "no bad row for %s: %r" % (k["event_id"], r))
    a = by(read_layer(ref, "grid_events"), "grid_code", "name")
    b = by(read_layer(out, "grid_events"), "grid_code", "name")
    expect(all(strip(a[k]) == strip(b[k]) for k in a),
           "grid_events differ from the run without the two events")


@case
def household_at_zero_is_a_located_skip_not_a_failure():
    hh = copy_layers("hh0.gpkg", "households")
    key, _ = move_vertex(hh, "households", 5, 0, (0.0, 0.0))
    out, rep, err = validate(CITY, households=hh, out="v_hh.gpkg")
    clean, crep, _ = clean_validate()
    expect("left out" in err and "(0, 0)" in err, err)
    skipped = [r for r in read_layer(out, "issues") +
               read_layer(out, "issue_points")
               if r["kind"] == "skipped_feature"]
    expect(len(skipped) == 1 and "(0, 0)" in skipped[0]["detail"],
           "skipped: %r" % skipped)
    expect(meta(out)["metric_crs"] == EPSG_4548, "CRS moved")
    expect('"far":1' in meta(out)["input.households"],
           meta(out)["input.households"])
    expect(rep["households"] == crep["households"] - 1,
           "%d households, clean %d" % (rep["households"],
                                         crep["households"]))


@case
def trace_fix_ten_degrees_off_is_a_bad_row():
    path = os.path.join(TMP, "traces_slip.csv")
    with open(TRACES, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    lon = head.index("lon")
    rows[10][lon] = "%.6f" % (float(rows[10][lon]) + 10)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[:2000])
    out = os.path.join(TMP, "p_slip_fix.gpkg")
    st, so, se = run("patrol", "--grids", CITY, "--members", MEMBERS,
                     "--traces", path, "--week", "2026-W47", "-o", out,
                     "--quiet")
    expect(st == 0, "exit %d: %s" % (st, se))
    bad = [r for r in read_layer(out, "bad_rows") if r["line"] == 11]
    expect(bad and bad[0]["field"] == "lon" and
           "km outside the other fixes" in bad[0]["reason"], "bad: %r" % bad)
    expect('"far":1' in meta(out)["input.traces"], meta(out)["input.traces"])


@case
def impossible_longitude_is_refused_not_a_zone():
    """A whole layer at longitude 400 cannot be on Earth: refused, never a
    'CM 399' zone."""
    grids = os.path.join(TMP, "grids400.geojson")
    gdal.VectorTranslate(grids, CITY, format="GeoJSON",
                         SQLStatement="SELECT grid_code, community_code, "
                         "ST_Translate(geom, 283.7, 0, 0) AS geom FROM grids",
                         SQLDialect="SQLite")
    st, so, se = run("validate", "--grids", grids, "--communities", CITY,
                     "--households", CITY, "-o", os.path.join(TMP, "v4.gpkg"))
    expect(st == 3, "exit %d: %s" % (st, se))
    expect("longitude" in se, se)


@case
def a_dropped_copy_does_not_take_the_others_with_it():
    """Two rows share event_id E1; the first lies beyond the pole. The
    second is the first usable copy and stays; a third is its duplicate."""
    path = os.path.join(TMP, "ev_dup.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("event_id,category,reported_at,resolved_at,status,grid_code,"
                "lon,lat\n")
        f.write("E1,环境卫生,2026-11-17 09:00,,open,,116.30,91.5\n")
        f.write("E1,环境卫生,2026-11-17 10:00,,open,,116.2946,39.9817\n")
        f.write("E1,环境卫生,2026-11-17 11:00,,open,,116.2947,39.9818\n")
        for i in range(2, 12):
            f.write("E%d,噪音扰民,2026-11-18 09:00,,open,,116.29%d,39.98\n"
                    % (i, 40 + i))
    out, rep = hotspots(path, "h_dup.gpkg")
    bad = {r["line"]: r for r in read_layer(out, "bad_rows")}
    expect(set(bad) == {2, 4}, "bad rows at lines %s" % sorted(bad))
    expect(bad[2]["field"] == "geometry", bad[2])
    expect(bad[4]["field"] == "event_id" and "line 3" in bad[4]["reason"],
           bad[4])
    expect(rep["events"] == 11, "%d usable events" % rep["events"])


# ---- which CRS a text input is in -------------------------------------------

def events_csv(name, shift=None, xy=None):
    """The demo's events as a CSV with lon/lat columns (or x/y in `xy`, an
    OSR transform to metres), each point passed through shift()."""
    from osgeo import osr
    path = os.path.join(TMP, name)
    ds = ogr.Open(CITY)
    lyr = ds.GetLayerByName("events")
    fields = ["event_id", "category", "reported_at", "resolved_at", "status",
              "grid_code"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields + (["x", "y"] if xy else ["lon", "lat"]))
        for feat in lyr:
            g = feat.GetGeometryRef()
            x, y = g.GetX(), g.GetY()
            if shift:
                x, y = shift(x, y)
            if xy:
                x, y, _ = xy.TransformPoint(x, y)
            w.writerow([feat[k] or "" for k in fields] +
                       ["%.9f" % x, "%.9f" % y])
    return path


def gcj02(lon, lat):
    """WGS84 -> GCJ-02, the published formula (independent of coord.c)."""
    import math
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
            0.2 * math.sqrt(abs(x)))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) +
             20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) +
             40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) +
             320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
            0.1 * math.sqrt(abs(x)))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) +
             20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) +
             40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) +
             300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (a / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def hs_counts(path):
    return {(r["grid_code"], r["name"]): r["events"]
            for r in read_layer(path, "grid_events")}


@case
def assume_crs_leaves_lonlat_csvs_alone():
    """--assume-crs is for layers that declare no CRS; lon/lat columns are
    lon/lat, for events as for traces."""
    ev = events_csv("ev_ll.csv")
    plain, rp = hotspots(ev, "h_ll.gpkg")
    out = os.path.join(TMP, "h_ll_assumed.gpkg")
    st, so, se = run("hotspots", "--grids", CITY, "--communities", CITY,
                     "--events", ev, "--week", "2026-W47", "-o", out,
                     "--json", "--assume-crs", "EPSG:2790")
    expect(st == 0, "exit %d: %s" % (st, se))
    ra = json.loads(so)
    expect(hs_counts(out) == hs_counts(plain), "grid counts moved")
    expect(ra["kde"]["bandwidth_m"] == rp["kde"]["bandwidth_m"],
           "bandwidth %r vs %r" % (ra["kde"], rp["kde"]))
    expect(ra["events_in_period"] == rp["events_in_period"] > 0, ra)


@case
def event_crs_gcj02_is_inverted():
    ev = events_csv("ev_gcj.csv", shift=gcj02)
    plain, _ = hotspots(events_csv("ev_ll2.csv"), "h_ll2.gpkg")
    out = os.path.join(TMP, "h_gcj.gpkg")
    st, so, se = run("hotspots", "--grids", CITY, "--communities", CITY,
                     "--events", ev, "--week", "2026-W47", "-o", out,
                     "--quiet", "--event-crs", "gcj02")
    expect(st == 0, "exit %d: %s" % (st, se))
    expect(hs_counts(out) == hs_counts(plain),
           "GCJ-02 events not brought back")
    # Without the option the 100-700 m shift moves events between grids.
    st, so, se = run("hotspots", "--grids", CITY, "--communities", CITY,
                     "--events", ev, "--week", "2026-W47", "-o",
                     os.path.join(TMP, "h_gcj_raw.gpkg"), "--quiet")
    expect(st == 0, se)
    expect(hs_counts(os.path.join(TMP, "h_gcj_raw.gpkg")) !=
           hs_counts(plain), "the shift should matter on the demo")
    st, so, se = run("hotspots", "--grids", CITY, "--events", ev,
                     "--week", "2026-W47", "-o", os.path.join(TMP, "x.gpkg"),
                     "--event-crs", "nonsense-crs")
    expect(st == 2 and "--event-crs" in se, "exit %d: %s" % (st, se))


@case
def assume_crs_leaves_lonlat_traces_alone():
    """The same rule for traces as for events: --assume-crs does not move
    a trace CSV's lon/lat columns."""
    path = os.path.join(TMP, "traces_small.csv")
    with open(TRACES, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    # The demo holds eight weeks of fixes, member by member: a small file
    # of the first members' fixes from 10 to 29 November covers 2026-W47.
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[:1] + [r for r in rows[1:]
                                            if r[1].startswith("2026-11-1")
                                            or r[1].startswith("2026-11-2")]
                                [:6000])
    weeks = []
    for extra in ((), ("--assume-crs", "EPSG:2790")):
        out = os.path.join(TMP, "p_ac%d.gpkg" % len(extra))
        st, so, se = run("patrol", "--grids", CITY, "--members", MEMBERS,
                         "--traces", path, "--week", "2026-W47", "-o", out,
                         "--quiet", *extra)
        expect(st == 0, "exit %d: %s" % (st, se))
        weeks.append(sorted((r["member_id"], r["in_grid_tolerant_s"])
                            for r in read_layer(out, "member_week")))
    expect(weeks[0] == weeks[1] and any(s > 0 for _, s in weeks[0]),
           "patrol time moved: %s vs %s" % (weeks[0], weeks[1]))


def footprints(name):
    """Footprints for partition: a 20 m square around each of the first
    400 demo households (a building per household), in the city's CRS."""
    ds = ogr.Open(CITY)
    hh = ds.GetLayerByName("households")
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        os.remove(path)
    out = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = out.CreateLayer("buildings", hh.GetSpatialRef(), ogr.wkbPolygon)
    for n, t in (("building_id", ogr.OFTString),
                 ("households", ogr.OFTInteger)):
        lyr.CreateField(ogr.FieldDefn(n, t))
    d = 0.0001  # about 10 m either way in degrees
    for i, f in enumerate(hh):
        if i == 400:
            break
        x, y = f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()
        g = ogr.Feature(lyr.GetLayerDefn())
        g["building_id"] = "B%04d" % i
        g["households"] = 1
        g.SetGeometry(ogr.CreateGeometryFromWkt(
            "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (
                x - d, y - d, x + d, y - d, x + d, y + d, x - d, y + d,
                x - d, y - d)))
        lyr.CreateFeature(g)
    out = ds = None
    return path


@case
def building_vertex_at_zero_bends_nothing_else():
    """One footprint with a vertex at (0, 0) is used without it, named in a
    warning, and the partition is the one of the clean footprints."""
    clean = footprints("b_clean.gpkg")
    bad = footprints("b_zero.gpkg")
    move_vertex(bad, "buildings", 7, 2, (0.0, 0.0))
    grids = []
    for b, out in ((clean, "p_bclean.gpkg"), (bad, "p_bzero.gpkg")):
        out = os.path.join(TMP, out)
        st, so, se = run("partition", "--communities", CITY, "--buildings", b,
                         "--barriers", CITY, "-o", out)
        expect(st == 0, "exit %d: %s" % (st, se))
        grids.append((sorted((r["grid_code"], r["households"])
                             for r in read_layer(out, "grids")), se))
    expect(grids[0][0] and grids[0][0] == grids[1][0],
           "the partition moved: %s vs %s" % (grids[0][0], grids[1][0]))
    expect("(0, 0)" in grids[1][1] and "building" in grids[1][1],
           "no warning naming the building: " + grids[1][1])


@case
def xy_columns_take_assume_crs():
    """A CSV with x/y in metres has no CRS of its own: --assume-crs."""
    from osgeo import osr
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4490)
    dst.ImportFromEPSG(4548)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ev = events_csv("ev_xy.csv", xy=osr.CoordinateTransformation(src, dst))
    plain, _ = hotspots(events_csv("ev_ll3.csv"), "h_ll3.gpkg")
    out = os.path.join(TMP, "h_xy.gpkg")
    st, so, se = run("hotspots", "--grids", CITY, "--communities", CITY,
                     "--events", ev, "--week", "2026-W47", "-o", out,
                     "--quiet", "--assume-crs", "EPSG:4548")
    expect(st == 0, "exit %d: %s" % (st, se))
    expect(hs_counts(out) == hs_counts(plain), "x/y events misplaced")


h.finish()
shutil.rmtree(TMP, True)
