#!/usr/bin/python3
"""An independent check of `gridsmith patrol`'s member_day on the demo data.

Usage: check_patrol_independent.py GRIDSMITH_BINARY DEMO_DIR

Runs the built binary on the demo city for ISO week 2026-W47 and recomputes
member_day from DEMO/traces.csv, DEMO/members.csv, DEMO/calendar.csv and the
`grids` layer of DEMO/city.gpkg, following docs/design.md, "Patrol time" but
written differently from engine/patrol/patrol.c and engine/geo/clip.c:

- times are parsed with Python's datetime (aware, ISO 8601 with offset; a
  time without an offset is local) and local days come from zoneinfo
  Asia/Shanghai, not from the engine's ICU clock;
- lon/lat (WGS84 as given) and the grids are projected with osr to
  EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E, the zone the engine
  picks for the demo's centre); invalid grids are repaired with MakeValid;
  grids sharing a code are unioned; the tolerant shape is Buffer(15, 8);
- per member: fixes sorted by (time, file line); a time already seen is
  dropped (the first in file order stays); a segment is credited when
  0 < dt <= 300 s and dist / dt <= 8 m/s, a gap when dt > 300 s, else a
  jump (neither); credited segments and gaps are cut at every local
  midnight in proportion of time, at the interpolated position;
- the in-grid share of a credited piece is the length of the GEOS
  intersection of that piece (an OGR LineString) with the polygon over the
  piece's length (an envelope test skips pieces that cannot touch it); a
  piece of zero length counts in full when its point intersects the
  polygon (boundary included);
- fixes counts the fixes kept after dropping duplicates, by local date;
  workday is Mon-Fri overridden by the calendar; daily_ok is workday and
  in_grid_tolerant_s >= 7200; out_grid_s = tracked_s - in_grid_s.

Rows must match one for one (one per distinct roster (member, grid code)
pair and day); seconds agree within 1 s, metres within 1 m, counts and
flags exactly. One line per check ("ok   ..." / "FAIL ..."), the worst
difference of each field, and last "N passed, N failed"; exit 1 on any
failure. Without the binary or the demo data it prints a skip notice and
"0 passed, 0 failed".
"""
import csv
import datetime as dtm
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

WEEK = "2026-W47"
METRIC_EPSG = 4548
MAX_GAP_S = 300.0
MAX_SPEED = 8.0
TOLERANCE_M = 15.0
DAILY_MIN_S = 7200.0
SEC_TOL = 1.0
DIST_TOL = 1.0

try:
    from zoneinfo import ZoneInfo
    LOCAL = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database: Shanghai has had no DST since 1991
    LOCAL = dtm.timezone(dtm.timedelta(hours=8), "Asia/Shanghai")


def skip(why):
    print("skip: " + why)
    print("0 passed, 0 failed")
    sys.exit(0)


if len(sys.argv) < 3:
    skip("usage: check_patrol_independent.py GRIDSMITH_BINARY DEMO_DIR")
BIN = os.path.abspath(sys.argv[1])
DEMO = os.path.abspath(sys.argv[2])
GPKG = os.path.join(DEMO, "city.gpkg")
MEMBERS = os.path.join(DEMO, "members.csv")
TRACES = os.path.join(DEMO, "traces.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
    skip("no gridsmith binary at " + BIN)
for p in (GPKG, MEMBERS, TRACES, CALENDAR):
    if not os.path.isfile(p):
        skip("no demo data: " + p + " is missing")

passed = 0
failed = 0


def report(ok, text):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + text)
    else:
        failed += 1
        print("FAIL " + text)


# ---- the period and the calendar ---------------------------------------

year, wk = WEEK.split("-W")
MONDAY = dtm.date.fromisocalendar(int(year), int(wk), 1)
DAYS = [MONDAY + dtm.timedelta(days=k) for k in range(7)]
DAYSET = set(DAYS)

overrides = {}
with open(CALENDAR, newline="", encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        overrides[dtm.date.fromisoformat(row["date"].strip())] = \
            row["workday"].strip() == "1"
WORKDAY = {d: overrides.get(d, d.isoweekday() <= 5) for d in DAYS}


# ---- 1. the engine's answer ------------------------------------------------

def run_engine(tmp):
    out = os.path.join(tmp, "patrol.gpkg")
    cmd = [BIN, "patrol", "--grids", GPKG, "--members", MEMBERS,
           "--traces", TRACES, "--households", GPKG, "--calendar", CALENDAR,
           "--week", WEEK, "-o", out, "--quiet"]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    took = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError("gridsmith patrol exited %d: %s" %
                           (p.returncode, (p.stderr or p.stdout)[-2000:]))
    rows = {}
    dups = []
    ds = ogr.Open(out)  # keep the dataset alive while using its layer
    lyr = ds.GetLayerByName("member_day")
    for ft in lyr:
        key = (ft["member_id"], ft["grid_code"] or "", ft["date"])
        if key in rows:
            dups.append(key)
        rows[key] = {k: ft[k] for k in (
            "workday", "in_grid_s", "in_grid_tolerant_s", "tracked_s",
            "gap_s", "out_grid_s", "distance_m", "fixes", "daily_ok")}
    lyr = None
    ds = None
    return rows, dups, took


# ---- 2. the independent computation --------------------------------------

def srs_traditional(srs):
    srs = srs.Clone()
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


METRIC = osr.SpatialReference()
METRIC.ImportFromEPSG(METRIC_EPSG)
METRIC.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)


def polygonal(g):
    """The polygon parts of g (MakeValid may add lines or points)."""
    out = ogr.Geometry(ogr.wkbMultiPolygon)
    stack = [g]
    while stack:
        h = stack.pop()
        t = ogr.GT_Flatten(h.GetGeometryType())
        if t == ogr.wkbPolygon:
            out.AddGeometry(h)
        elif t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
            stack.extend(h.GetGeometryRef(i) for i in range(h.GetGeometryCount()))
    return out


def load_grids():
    """grid_code -> (strict shape, tolerant shape), metric."""
    ds = ogr.Open(GPKG)
    lyr = ds.GetLayerByName("grids")
    ct = osr.CoordinateTransformation(srs_traditional(lyr.GetSpatialRef()),
                                      METRIC)
    parts = defaultdict(list)
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # IsValid's GEOS notices
    try:
        for ft in lyr:
            g = ft.GetGeometryRef().Clone()
            g.Transform(ct)
            if not g.IsValid():
                g = polygonal(g.MakeValid())
            parts[ft["grid_code"]].append(g)
    finally:
        gdal.PopErrorHandler()
    lyr = None
    ds = None
    shapes = {}
    for code, gs in parts.items():
        shape = gs[0]
        for g in gs[1:]:
            shape = shape.Union(g)
        shapes[code] = (shape, shape.Buffer(TOLERANCE_M, 8))
    return shapes


class Fix:
    __slots__ = ("t", "line", "lon", "lat", "x", "y")


def load_traces():
    """member_id -> fixes in file order, with metric x, y."""
    by_member = defaultdict(list)
    allfix = []
    with open(TRACES, newline="", encoding="utf-8-sig") as f:
        rd = csv.DictReader(f)
        for row in rd:
            fx = Fix()
            t = dtm.datetime.fromisoformat(row["time"].strip())
            if t.tzinfo is None:
                t = t.replace(tzinfo=LOCAL)
            fx.t = t
            fx.line = rd.line_num
            fx.lon = float(row["lon"])
            fx.lat = float(row["lat"])
            by_member[row["member_id"].strip()].append(fx)
            allfix.append(fx)
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(wgs, METRIC)
    xy = ct.TransformPoints([(fx.lon, fx.lat) for fx in allfix])
    for fx, p in zip(allfix, xy):
        fx.x, fx.y = p[0], p[1]
    return by_member


def local_day(t):
    return t.astimezone(LOCAL).date()


def next_midnight(t):
    d = local_day(t) + dtm.timedelta(days=1)
    return dtm.datetime(d.year, d.month, d.day, tzinfo=LOCAL)


def pieces(t0, t1):
    """[t0, t1) cut at every local midnight: (start, end, local day)."""
    out = []
    s = t0
    while s < t1:
        e = min(next_midnight(s), t1)
        out.append((s, e, local_day(s)))
        s = e
    return out


def line_length(g):
    """Summed length of the linear parts of an intersection result."""
    if g is None or g.IsEmpty():
        return 0.0
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbLineString:
        return g.Length()
    if t in (ogr.wkbMultiLineString, ogr.wkbGeometryCollection):
        return sum(line_length(g.GetGeometryRef(i))
                   for i in range(g.GetGeometryCount()))
    return 0.0  # points: no length


class Shape:
    def __init__(self, g):
        self.g = g
        self.env = g.GetEnvelope()  # minx, maxx, miny, maxy

    def share_seconds(self, x0, y0, x1, y1, length, s):
        if length == 0:
            pt = ogr.Geometry(ogr.wkbPoint)
            pt.AddPoint_2D(x0, y0)
            return s if self.g.Intersects(pt) else 0.0
        e = self.env
        if (max(x0, x1) < e[0] or min(x0, x1) > e[1] or
                max(y0, y1) < e[2] or min(y0, y1) > e[3]):
            return 0.0
        ln = ogr.Geometry(ogr.wkbLineString)
        ln.AddPoint_2D(x0, y0)
        ln.AddPoint_2D(x1, y1)
        return s * line_length(ln.Intersection(self.g)) / length


def zero_day():
    return {"in_grid_s": 0.0, "in_grid_tolerant_s": 0.0, "tracked_s": 0.0,
            "gap_s": 0.0, "distance_m": 0.0, "fixes": 0}


def compute():
    shapes = {code: (Shape(a), Shape(b))
              for code, (a, b) in load_grids().items()}
    roster = []
    with open(MEMBERS, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            pair = (row["member_id"].strip(), row["grid_code"].strip())
            if pair not in roster:
                roster.append(pair)
    traces = load_traces()
    result = {}
    for member, code in roster:
        days = {d: zero_day() for d in DAYS}
        fixes = traces.get(member, [])
        kept = []
        for fx in sorted(fixes, key=lambda q: (q.t, q.line)):
            if kept and kept[-1].t == fx.t:
                continue  # a time already seen: the first in file order stays
            kept.append(fx)
        for fx in kept:
            d = local_day(fx.t)
            if d in DAYSET:
                days[d]["fixes"] += 1
        grid = shapes.get(code)
        for a, b in zip(kept, kept[1:]):
            span = b.t - a.t
            dt = span.total_seconds()
            dist = math.hypot(b.x - a.x, b.y - a.y)
            if dt > MAX_GAP_S:
                credited = False
            elif dt > 0 and dist / dt <= MAX_SPEED:
                credited = True
            else:
                continue  # a GPS jump: neither time nor gap
            for s0, s1, d in pieces(a.t, b.t):
                if d not in DAYSET:
                    continue
                sec = (s1 - s0).total_seconds()
                row = days[d]
                if not credited:
                    row["gap_s"] += sec
                    continue
                f0 = (s0 - a.t) / span
                f1 = (s1 - a.t) / span
                x0 = a.x if f0 == 0 else a.x + f0 * (b.x - a.x)
                y0 = a.y if f0 == 0 else a.y + f0 * (b.y - a.y)
                x1 = b.x if f1 == 1 else a.x + f1 * (b.x - a.x)
                y1 = b.y if f1 == 1 else a.y + f1 * (b.y - a.y)
                length = math.hypot(x1 - x0, y1 - y0)
                row["tracked_s"] += sec
                row["distance_m"] += length
                if grid is not None:
                    row["in_grid_s"] += grid[0].share_seconds(
                        x0, y0, x1, y1, length, sec)
                    row["in_grid_tolerant_s"] += grid[1].share_seconds(
                        x0, y0, x1, y1, length, sec)
        for d in DAYS:
            row = days[d]
            row["workday"] = int(WORKDAY[d])
            row["daily_ok"] = int(WORKDAY[d] and
                                  row["in_grid_tolerant_s"] >= DAILY_MIN_S)
            row["out_grid_s"] = row["tracked_s"] - row["in_grid_s"]
            result[(member, code, d.isoformat())] = row
    return result


# ---- 3. comparison -----------------------------------------------------------

FIELDS = [  # field, tolerance (None: exact), unit
    ("in_grid_s", SEC_TOL, "s"),
    ("in_grid_tolerant_s", SEC_TOL, "s"),
    ("tracked_s", SEC_TOL, "s"),
    ("gap_s", SEC_TOL, "s"),
    ("out_grid_s", SEC_TOL, "s"),
    ("distance_m", DIST_TOL, "m"),
    ("fixes", None, ""),
    ("workday", None, ""),
    ("daily_ok", None, ""),
]


def main():
    tmp = tempfile.mkdtemp(prefix="gs_patrol_xcheck_")
    try:
        try:
            got, dups, took_engine = run_engine(tmp)
        except Exception as e:
            report(False, "engine run: %s" % e)
            return
        t0 = time.time()
        want = compute()
        took = time.time() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("info engine %.1f s, independent computation %.1f s; "
          "%d rows expected, %d written" % (took_engine, took, len(want),
                                             len(got)))
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    report(not missing and not extra and not dups,
           "rows: one per roster (member, grid) pair and day (%d); "
           "missing %s, unexpected %s, repeated %s" %
           (len(want), missing[:5] or "none", extra[:5] or "none",
            dups[:5] or "none"))
    common = sorted(set(want) & set(got))
    for field, tol, unit in FIELDS:
        worst, at, bad = 0.0, None, []
        for key in common:
            w, g = want[key][field], got[key][field]
            if g is None:
                bad.append((key, w, g))
                continue
            diff = abs(float(g) - float(w))
            if at is None or diff > worst:
                worst, at = diff, key
            if (diff > tol) if tol is not None else diff != 0:
                bad.append((key, w, g))
        where = " ".join(at) if at else "-"
        if tol is not None:
            head = "%s: %d rows within %g %s, max |diff| %.6f %s at %s" % (
                field, len(common), tol, unit, worst, unit, where)
        else:
            head = "%s: %d rows equal, max |diff| %g at %s" % (
                field, len(common), worst, where)
        if bad:
            head += "; %d off, e.g. %s" % (len(bad), "; ".join(
                "%s want %s got %s" % (" ".join(k), w, g)
                for k, w, g in bad[:3]))
        report(not bad, head)
    # A check that agrees only because everything is zero proves nothing.
    total_in = sum(r["in_grid_s"] for r in want.values())
    n_ok = sum(r["daily_ok"] for r in want.values())
    report(total_in > 0 and 0 < n_ok < len(want),
           "not vacuous: %.0f s in grid in all, %d of %d rows daily_ok" %
           (total_in, n_ok, len(want)))


main()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
