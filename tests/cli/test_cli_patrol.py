#!/usr/bin/python3
"""CLI cases for `gridsmith patrol`, run the way users run the command.

Usage: test_cli_patrol.py GRIDSMITH_BINARY TESTS_DIR

Each case runs the built binary on the demo city (datasets/demo, ISO week
2026-W47; its README lists the trace defects planted per member) or on
small files it makes from the demo traces in a scratch folder, and checks
the exit status, a piece of the message (file, line, field), and the
written GeoPackage. Error cases also check that an earlier output was left
byte-identical and that no temporary file remains.

The last line is "N passed, N failed".
"""
import collections
import datetime
import json
import math
import os
import random
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
DEMO = os.path.join(os.path.dirname(TESTS), "datasets", "demo")
CITY = os.path.join(DEMO, "city.gpkg")
MEMBERS = os.path.join(DEMO, "members.csv")
TRACES = os.path.join(DEMO, "traces.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
SCRATCH = tempfile.mkdtemp(prefix="gs_patrol_")

WEEK_DATES = ["2026-11-%02d" % d for d in range(16, 23)]  # Mon..Sun, W47
HEADER = "member_id,time,lon,lat,accuracy_m"
LAYERS = ("member_day", "member_week", "tracks", "gaps", "gps_issues",
          "bad_rows", "uncovered", "households_unreached", "summary",
          "run_metadata", "layer_styles")
SECONDS = ("in_grid_s", "in_grid_tolerant_s", "tracked_s", "gap_s",
           "out_grid_s")


def demo_args(**over):
    """The demo week as the README runs it; over replaces or (None) drops
    an option."""
    a = {
        "--grids": CITY,
        "--members": MEMBERS,
        "--traces": TRACES,
        "--households": CITY,
        "--calendar": CALENDAR,
        "--week": "2026-W47",
    }
    a.update(over)
    out = []
    for k, v in a.items():
        if v is not None:
            out += [k, v]
    return out


def small_args(traces, members=MEMBERS, **over):
    """A quick run: the demo grids, no households, no calendar."""
    return demo_args(**dict({"--traces": traces, "--members": members,
                             "--households": None, "--calendar": None},
                            **over))


def layer_names(path):
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    return [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]


def by_day(rows):
    """member_day rows keyed by (member_id, grid_code, date); a key seen
    twice is a failure."""
    out = {}
    for r in rows:
        k = (r["member_id"], r["grid_code"], r["date"])
        expect(k not in out, "member_day has %s twice" % (k,))
        out[k] = r
    return out


def by_week(rows):
    return {(r["member_id"], r["grid_code"], r["week"]): r for r in rows}


def write(name, text, encoding="utf-8"):
    path = os.path.join(SCRATCH, name)
    with open(path, "wb") as f:
        f.write(text.encode(encoding))
    return path


def trace_lines():
    """The demo traces' data lines (no header), in file order."""
    with open(TRACES, encoding="utf-8") as f:
        lines = f.read().splitlines()
    expect(lines[0] == HEADER, lines[0])
    return lines[1:]


def roster_pairs():
    with open(MEMBERS, encoding="utf-8") as f:
        rows = f.read().splitlines()[1:]
    return sorted({tuple(r.split(",")[:2]) for r in rows})


def utc_to_local_date(z):
    """'2026-11-16T04:19:45Z' -> '2026-11-16' in Asia/Shanghai (UTC+8, no
    daylight saving)."""
    expect(z.endswith("Z"), "time %r does not end with Z" % z)
    t = datetime.datetime.strptime(z, "%Y-%m-%dT%H:%M:%SZ")
    return (t + datetime.timedelta(hours=8)).date().isoformat()


def close_rows(a, b, secs=1.0, metres=1.0):
    """Why member_day rows a and b differ by more than secs per time field
    and metres in distance_m (ints and text equal), or None."""
    for k in a:
        if k in SECONDS:
            if abs(a[k] - b[k]) > secs:
                return "%s %r vs %r" % (k, a[k], b[k])
        elif k == "distance_m":
            if abs(a[k] - b[k]) > metres:
                return "%s %r vs %r" % (k, a[k], b[k])
        elif a[k] != b[k]:
            return "%s %r vs %r" % (k, a[k], b[k])
    return None


# ---- 1. the demo week ------------------------------------------------------

DEMO_OUT = os.path.join(SCRATCH, "demo.gpkg")
_demo = {}


def demo():
    """Runs the demo once (with --json) and returns (json, layers)."""
    if not _demo:
        code, out, err = run("patrol", *demo_args(), "-o", DEMO_OUT, "--json")
        expect(code == 0, "exit %d: %s" % (code, err))
        _demo["json"] = json.loads(out)
        _demo["layers"] = {n: read_layer(DEMO_OUT, n)
                           for n in ("member_day", "member_week", "gaps",
                                     "gps_issues", "bad_rows", "summary")}
    return _demo["json"], _demo["layers"]


@case
def demo_writes_every_layer():
    demo()
    names = layer_names(DEMO_OUT)
    for n in LAYERS:
        expect(n in names, "no layer %s in %s" % (n, names))


@case
def demo_member_day_has_every_roster_pair_every_day():
    _, L = demo()
    pairs = roster_pairs()  # 23 roster rows, 23 distinct (member, grid)
    days = by_day(L["member_day"])
    expect(len(L["member_day"]) == len(pairs) * 7,
           "%d rows, wanted %d x 7" % (len(L["member_day"]), len(pairs)))
    for m, g in pairs:
        for d in WEEK_DATES:
            expect((m, g, d) in days, "no member_day row for %s %s %s"
                   % (m, g, d))
    for r in L["member_day"]:
        # The definitions (DESIGN "Patrol time") on every row.
        want_ok = int(r["workday"] == 1 and r["in_grid_tolerant_s"] >= 7200)
        expect(r["daily_ok"] == want_ok, "daily_ok wrong: %s" % r)
        expect(abs(r["out_grid_s"] - (r["tracked_s"] - r["in_grid_s"]))
               < 1e-6, "out_grid_s != tracked_s - in_grid_s: %s" % r)
        expect(r["in_grid_s"] <= r["in_grid_tolerant_s"] + 1e-6 and
               r["in_grid_tolerant_s"] <= r["tracked_s"] + 1e-6,
               "in_grid_s <= in_grid_tolerant_s <= tracked_s fails: %s" % r)


@case
def demo_absent_day_is_a_row_of_zeros():
    # M0012 has no fix on Wednesday 2026-11-18 (README); its other four
    # workdays are >= 2 h, so workdays_ok is 4 and it is not compliant.
    _, L = demo()
    r = by_day(L["member_day"])[("M0012", "110108001002006", "2026-11-18")]
    for k in ("fixes", "in_grid_s", "in_grid_tolerant_s", "tracked_s",
              "distance_m", "daily_ok"):
        expect(r[k] == 0, "M0012 on 2026-11-18: %s = %r" % (k, r[k]))
    expect(r["workday"] == 1, r)
    w = by_week(L["member_week"])[("M0012", "110108001002006", "2026-W47")]
    expect(w["compliant"] == 0 and w["workdays_ok"] == 4 and
           w["workdays"] == 5, w)


@case
def demo_short_patrols_are_not_compliant():
    # M0021 patrols about 1 h a day: no workday reaches 2 h.
    _, L = demo()
    w = by_week(L["member_week"])[("M0021", "110108002002004", "2026-W47")]
    expect(w["compliant"] == 0 and w["weekly_ok"] == 0 and
           w["workdays_ok"] == 0, w)
    expect(w["in_grid_tolerant_s"] < 36000, w)


@case
def demo_gps_issues():
    _, L = demo()
    issues = L["gps_issues"]
    kinds = collections.defaultdict(list)
    for i in issues:
        kinds[(i["member_id"], i["kind"])].append(i)
    # M0003: 2 fixes 600 m away from 2026-11-16T12:19:45+08:00.
    jumps = kinds[("M0003", "jump")]
    expect(jumps, "no jump for M0003: %s" % issues)
    expect("2026-11-16T04:19:45Z" in [j["time"] for j in jumps], jumps)
    # M0006: 5 repeated times; the second row of each is dropped.
    dups = kinds[("M0006", "duplicate")]
    expect(len(dups) == 5, "M0006 duplicates: %s" % dups)
    # M0010: a later session first in the file, a reversed run of rows.
    expect(kinds[("M0010", "out_of_order")], "no out_of_order for M0010")
    for i in issues:
        expect(i["time"].endswith("Z"), "time not UTC 'Z': %s" % i)
        expect(i["date"] == utc_to_local_date(i["time"]),
               "date is not the local date of time: %s" % i)
        expect(i["line"] and i["line"] > 1, "no line number: %s" % i)


@case
def demo_midnight_session_counts_on_both_days():
    # M0020 patrols 2026-11-19 23:30 to 2026-11-20 00:30 (local).
    _, L = demo()
    days = by_day(L["member_day"])
    for d in ("2026-11-19", "2026-11-20"):
        r = days[("M0020", "110108002002004", d)]
        expect(r["tracked_s"] > 0 and r["in_grid_tolerant_s"] > 0, r)
    midnight = "2026-11-19T16:00:00Z"  # local midnight in UTC
    for g in L["gaps"]:
        if g["member_id"] == "M0020":
            expect(not (g["start_time"] < midnight < g["end_time"]),
                   "a gap spans the patrolled midnight: %s" % g)


@case
def midnight_split_is_exact():
    # Only the midnight session (lines 93341-93693 of the demo traces: 353
    # fixes 10-20 s apart from 23:30:00 to 00:29:50, all credited):
    # 2026-11-19 gets 23:30:00 -> 24:00:00 = 1800 s, 2026-11-20 gets
    # 00:00:00 -> 00:29:50 = 1790 s, whatever fix lies next to midnight.
    lines = [l for l in trace_lines() if l.startswith("M0020,") and
             ("2026-11-19T23:" in l or "2026-11-20T00:" in l)]
    expect(len(lines) == 353, "%d rows" % len(lines))
    tr = write("midnight.csv", "\n".join([HEADER] + lines) + "\n")
    ro = write("m20.csv", "member_id,grid_code,name\n"
               "M0020,110108002002004,钟超\n")
    out = os.path.join(SCRATCH, "midnight.gpkg")
    code, _, err = run("patrol", *small_args(tr, ro), "-o", out)
    expect(code == 0, err)
    days = by_day(read_layer(out, "member_day"))
    a = days[("M0020", "110108002002004", "2026-11-19")]
    b = days[("M0020", "110108002002004", "2026-11-20")]
    expect(abs(a["tracked_s"] - 1800) < 0.01, a)
    expect(abs(b["tracked_s"] - 1790) < 0.01, b)
    expect(a["fixes"] + b["fixes"] == 353, (a, b))
    expect(a["gap_s"] == 0 and b["gap_s"] == 0, (a, b))


@case
def demo_gap_over_5_minutes():
    # M0014: 7-9 min without fixes in the middle of its longest session.
    _, L = demo()
    gaps = [g for g in L["gaps"] if g["member_id"] == "M0014"]
    expect(all(g["duration_s"] > 300 for g in gaps), gaps)
    planted = [g for g in gaps if 420 <= g["duration_s"] <= 540]
    expect(planted, "no 7-9 min gap for M0014: %s" %
           [g["duration_s"] for g in gaps])
    for g in L["gaps"]:
        expect(g["start_time"].endswith("Z") and g["end_time"].endswith("Z"),
               g)


@case
def demo_unknown_grid_is_reported():
    # M0009 is listed on 110108001002030, which does not exist.
    _, L = demo()
    rows = [r for r in L["member_day"] if r["member_id"] == "M0009"]
    expect(len(rows) == 7, rows)
    for r in rows:
        expect(r["note"] == "grid does not exist", r)
        expect(r["grid_code"] == "110108001002030", r)
    w = [r for r in L["member_week"] if r["member_id"] == "M0009"]
    expect(len(w) == 1 and w[0]["note"] == "grid does not exist" and
           w[0]["compliant"] == 0, w)


@case
def demo_json_counts_match_the_layers():
    j, L = demo()
    mw = L["member_week"]
    md = L["member_day"]
    known = [w for w in mw if w["note"] != "grid does not exist"
             and w["note"] != "not in roster"]
    total = [s for s in L["summary"] if s["community_code"] == "total"]
    expect(len(total) == 1, L["summary"])
    total = total[0]
    week = j["weeks"]
    expect(len(week) == 1 and week[0]["week"] == "2026-W47", week)
    week = week[0]
    expect(j["bad_rows"] == len(L["bad_rows"]) == 0, j)
    expect(j["roster_grids_missing"] ==
           sum(w["note"] == "grid does not exist" for w in mw) == 1, j)
    expect(j["trace_members_not_in_roster"] ==
           sum(w["note"] == "not in roster" for w in mw) == 0, j)
    expect(j["members"] == week["members"] == total["members"] == len(known),
           (j["members"], week["members"], total["members"], len(known)))
    expect(week["compliant"] == total["compliant"] ==
           sum(w["compliant"] for w in known) == 18, (week, total))
    expect(week["workdays_missed"] == total["workdays_missed"] ==
           sum(w["workdays"] - w["workdays_ok"] for w in known), week)
    hours = sum(w["in_grid_tolerant_s"] for w in known) / len(known) / 3600
    expect(abs(week["mean_hours"] - hours) < 1e-6 and
           abs(total["mean_hours"] - hours) < 1e-6, (week, total, hours))
    # fixes read = fixes kept per member and day + the duplicates dropped
    # (M0016's fixes appear on both of its grids' rows: count them once).
    kept = {(r["member_id"], r["date"]): r["fixes"] for r in md}
    dups = sum(i["kind"] == "duplicate" for i in L["gps_issues"])
    expect(j["fixes"] == len(trace_lines()), (j["fixes"], len(trace_lines())))
    expect(j["fixes_in_period"] == sum(kept.values()) + dups == 100580,
           (j["fixes_in_period"], sum(kept.values()), dups))
    silent = collections.Counter()
    for r in md:
        silent[(r["member_id"], r["grid_code"])] += r["fixes"]
    expect(j["members_without_traces"] ==
           sum(v == 0 for v in silent.values()), j)


@case
def run_metadata_records_every_input():
    # DESIGN "Outputs": run metadata with command, parameters and input
    # checksums; the calendar decides workdays, so it is an input too.
    demo()
    meta = {r["key"]: r["value"] for r in read_layer(DEMO_OUT,
                                                      "run_metadata")}
    expect(meta.get("command") == "patrol", meta)
    expect("gridsmith patrol" in meta.get("command_line", ""), meta)
    for role, path in (("traces", TRACES), ("members", MEMBERS),
                       ("grids", CITY), ("households", CITY),
                       ("calendar", CALENDAR)):
        key = "input." + role
        expect(key in meta, "run_metadata has no %s: keys %s"
               % (key, sorted(meta)))
        expect(json.loads(meta[key])["sha256"] == sha(path),
               "%s checksum wrong" % key)


# ---- 2. calendar: a holiday and a make-up Saturday --------------------------

@case
def calendar_holiday_and_makeup_saturday():
    # Wednesday 2026-11-18 a holiday, Saturday 2026-11-21 a make-up
    # workday: still 5 workdays, on other dates.
    cal = write("holiday.csv", "date,workday\n2026-11-18,0\n2026-11-21,1\n")
    out = os.path.join(SCRATCH, "holiday.gpkg")
    code, _, err = run("patrol", *demo_args(**{"--calendar": cal}), "-o", out)
    expect(code == 0, err)
    _, L = demo()
    base = by_day(L["member_day"])
    days = by_day(read_layer(out, "member_day"))
    expect(days.keys() == base.keys(), "other rows")
    flipped = {"2026-11-18": 0, "2026-11-21": 1}
    for k, r in days.items():
        d = k[2]
        want = flipped.get(d, 1 if d <= "2026-11-20" else 0)
        expect(base[k]["workday"] == (0 if d >= "2026-11-21" else 1),
               "demo workday wrong: %s" % base[k])
        expect(r["workday"] == want, "workday of %s: %s" % (d, r))
        want_ok = int(want == 1 and r["in_grid_tolerant_s"] >= 7200)
        expect(r["daily_ok"] == want_ok, r)
        # The calendar changes no time.
        expect(close_rows(dict(r, workday=0, daily_ok=0),
                          dict(base[k], workday=0, daily_ok=0), 0, 0) is None,
               "times changed: %s / %s" % (r, base[k]))
    for w in read_layer(out, "member_week"):
        expect(w["workdays"] == 5, "workdays %s" % w)
        mine = [r for r in days.values() if (r["member_id"], r["grid_code"])
                == (w["member_id"], w["grid_code"])]
        expect(w["workdays_ok"] == sum(r["daily_ok"] for r in mine), w)


# ---- 3. GB18030 (GBK) traces ------------------------------------------------

def gbk_files():
    """M0001's Monday as member 网格员01, in UTF-8 and GB18030, with a
    roster in each."""
    rows = [l.replace("M0001,", "网格员01,", 1) for l in trace_lines()
            if l.startswith("M0001,2026-11-16")]
    text = "\n".join([HEADER] + rows) + "\n"
    roster = "member_id,grid_code,name\n网格员01,110108001001001,谭霞\n"
    return (write("tr_utf8.csv", text), write("tr_gbk.csv", text, "gb18030"),
            write("ro_utf8.csv", roster), write("ro_gbk.csv", roster,
                                                "gb18030"))


@case
def gbk_traces_detected_or_given():
    tr_u, tr_g, ro_u, ro_g = gbk_files()
    outs = {}
    for name, args in (
            ("utf8", small_args(tr_u, ro_u)),
            ("detected", small_args(tr_g, ro_u)),
            ("given", small_args(tr_g, ro_g) + ["--encoding", "GB18030"])):
        out = os.path.join(SCRATCH, "gbk_%s.gpkg" % name)
        code, stdout, err = run("patrol", *args, "-o", out, "--json")
        expect(code == 0, "%s: exit %d: %s" % (name, code, err))
        j = json.loads(stdout)
        if name == "detected":
            for p in ("tr_gbk.csv", "GB18030", "--encoding GB18030"):
                expect(p in err, "no warning naming %r: %s" % (p, err))
        if name != "utf8":
            expect(j["trace_encoding"] == "GB18030", j)
        outs[name] = out
    base = read_layer(outs["utf8"], "member_day")
    mine = [r for r in base if r["member_id"] == "网格员01"]
    expect(len(mine) == 7 and mine[0]["fixes"] > 0 and
           mine[0]["tracked_s"] > 0 and mine[0]["note"] == "", mine)
    for name in ("detected", "given"):
        for layer in ("member_day", "member_week"):
            expect(read_layer(outs[name], layer) ==
                   read_layer(outs["utf8"], layer),
                   "%s: %s differs from the UTF-8 run" % (name, layer))


@case
def utf8_roster_read_as_gb18030_is_not_silently_mangled():
    # --encoding GB18030 with a roster saved as UTF-8: '网格员01' in UTF-8
    # is not valid GB18030 (byte 0x98 then '0','1' is a broken 4-byte
    # sequence). The roster reader's own message for this case is
    # "cannot decode the text as GB18030"; the id must not silently become
    # something else.
    tr_u, tr_g, ro_u, ro_g = gbk_files()
    out = os.path.join(SCRATCH, "mangled.gpkg")
    code, _, err = run("patrol", *small_args(tr_g, ro_u), "--encoding",
                       "GB18030", "-o", out)
    if code == 0:
        ids = sorted({r["member_id"] for r in read_layer(out, "member_day")})
        raise AssertionError("exit 0, roster ids read as %s; stderr: %s"
                             % (ids, err))
    expect_error(code, err, 3, "ro_utf8.csv", "line 2", "member_id",
                 "GB18030")


# ---- 4. GCJ-02 traces ----------------------------------------------------------

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_dlat(x, y):
    r = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
         0.2 * math.sqrt(abs(x)))
    r += (20.0 * math.sin(6.0 * x * math.pi) +
          20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) +
          40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) +
          320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _gcj_dlon(x, y):
    r = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
         0.1 * math.sqrt(abs(x)))
    r += (20.0 * math.sin(6.0 * x * math.pi) +
          20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) +
          40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) +
          300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    """The public WGS84 -> GCJ-02 formula (Krasovsky ellipsoid)."""
    dlat = _gcj_dlat(lon - 105.0, lat - 35.0)
    dlon = _gcj_dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    m = 1 - _GCJ_EE * math.sin(rad) ** 2
    sm = math.sqrt(m)
    dlat = dlat * 180.0 / ((_GCJ_A * (1 - _GCJ_EE)) / (m * sm) * math.pi)
    dlon = dlon * 180.0 / (_GCJ_A / sm * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj_traces():
    path = os.path.join(SCRATCH, "gcj.csv")
    if not os.path.exists(path):
        out = [HEADER]
        for l in trace_lines():
            p = l.split(",")
            lon, lat = wgs84_to_gcj02(float(p[2]), float(p[3]))
            p[2], p[3] = "%.7f" % lon, "%.7f" % lat
            out.append(",".join(p))
        write("gcj.csv", "\n".join(out) + "\n")
    return path


@case
def gcj02_formula_sanity():
    # The demo's centre shifts by a few hundred metres (100-700 m is
    # typical): about +0.0061 deg lon, +0.0013 deg lat here.
    lon, lat = wgs84_to_gcj02(116.30, 39.98)
    expect(0.004 < lon - 116.30 < 0.008 and 0.0005 < lat - 39.98 < 0.003,
           (lon, lat))


@case
def gcj02_traces_read_as_wgs84_warn():
    path = gcj_traces()
    out = os.path.join(SCRATCH, "gcj_as_wgs.gpkg")
    code, stdout, err = run("patrol", *demo_args(**{"--traces": path}),
                            "-o", out, "--json")
    expect(code == 0, "exit %d: %s" % (code, err))
    j = json.loads(stdout)
    expect("--trace-crs gcj02" in err and "gcj.csv" in err,
           "no warning naming --trace-crs gcj02 (JSON warning %r, %d of %d "
           "members compliant); stderr: %r"
           % (j.get("warning"), j["weeks"][0]["compliant"],
              j["weeks"][0]["members"], err))
    expect("--trace-crs gcj02" in (j.get("warning") or ""), j)


@case
def gcj02_traces_with_trace_crs_match_wgs84():
    path = gcj_traces()
    out = os.path.join(SCRATCH, "gcj.gpkg")
    code, _, err = run("patrol", *demo_args(**{"--traces": path}),
                       "--trace-crs", "gcj02", "-o", out)
    expect(code == 0, "exit %d: %s" % (code, err))
    expect("--trace-crs" not in err, "warned anyway: %s" % err)
    _, L = demo()
    base = by_day(L["member_day"])
    got = by_day(read_layer(out, "member_day"))
    expect(got.keys() == base.keys(), "other rows")
    for k in base:
        why = close_rows(got[k], base[k])
        expect(why is None, "%s: %s" % (k, why))


# ---- 5. bad rows: listed, counted, never silently dropped --------------------

@case
def bad_rows_are_listed():
    good = [l for l in trace_lines() if l.startswith("M0001,2026-11-16")][:50]
    bad = [
        "M0001,yesterday noon,116.2946769,39.9817312,5.5",            # 12
        "M0001,2026-11-31T10:00:00+08:00,116.2946769,39.9817312,5.5",  # 13
        "M0001,2026-11-16T10:05:00+08:00,NaN,39.9817312,5.5",          # 14
        ",2026-11-16T10:05:10+08:00,116.2946769,39.9817312,5.5",       # 15
        "M0001,2026-11-16T10:05:20+08:00,116.2946769,39.9817312",      # 16
        "",                                                            # 17
    ]
    lines = [HEADER] + good[:10] + bad + good[10:]
    path = write("bad_rows.csv", "\n".join(lines) + "\n")
    out = os.path.join(SCRATCH, "bad_rows.gpkg")
    code, stdout, err = run("patrol", *small_args(path), "-o", out, "--json")
    expect(code == 0, "exit %d: %s" % (code, err))
    j = json.loads(stdout)
    rows = {r["line"]: r for r in read_layer(out, "bad_rows")}
    want = {
        12: ("M0001", "time", "yesterday noon"),
        13: ("M0001", "time", "2026-11-31"),
        14: ("M0001", "lon", "NaN"),
        15: ("", "member_id", "empty"),
        16: ("M0001", "", "4 fields"),
    }
    expect(sorted(rows) == sorted(want), "bad_rows lines %s, wanted %s"
           % (sorted(rows), sorted(want)))
    for line, (member, field, piece) in want.items():
        r = rows[line]
        expect((r["member_id"] or "") == member and (r["field"] or "") ==
               field and piece in r["reason"], "line %d: %s" % (line, r))
    expect(j["bad_rows"] == 5, j)
    fixes = sum(r["fixes"] for r in read_layer(out, "member_day"))
    blank = sum(1 for l in lines[1:] if not l.strip())
    expect(j["fixes"] == fixes == 50, (j["fixes"], fixes))
    expect(len(lines) - 1 == fixes + j["bad_rows"] + blank,
           "%d rows in, %d fixes + %d bad + %d blank"
           % (len(lines) - 1, fixes, j["bad_rows"], blank))


# ---- 6. traces of a member not in the roster -------------------------------------

@case
def unknown_member_is_reported():
    m1 = [l for l in trace_lines() if l.startswith("M0001,2026-11-16")]
    stranger = [l.replace("M0001,", "M9999,", 1) for l in m1[:100]]
    path = write("stranger.csv", "\n".join([HEADER] + m1 + stranger) + "\n")
    out = os.path.join(SCRATCH, "stranger.gpkg")
    code, stdout, err = run("patrol", *small_args(path), "-o", out, "--json")
    expect(code == 0, "exit %d: %s" % (code, err))
    j = json.loads(stdout)
    expect(j["trace_members_not_in_roster"] == 1, j)
    rows = [r for r in read_layer(out, "member_day")
            if r["member_id"] == "M9999"]
    expect(len(rows) == 7, rows)
    for r in rows:
        expect(r["note"] == "not in roster", r)
    mon = [r for r in rows if r["date"] == "2026-11-16"][0]
    expect(mon["fixes"] == 100 and mon["tracked_s"] > 0 and
           mon["in_grid_s"] == 0, mon)
    w = [r for r in read_layer(out, "member_week")
         if r["member_id"] == "M9999"]
    expect(len(w) == 1 and w[0]["note"] == "not in roster", w)
    days = by_day(read_layer(out, "member_day"))
    m = days[("M0001", "110108001001001", "2026-11-16")]
    expect(m["fixes"] == len(m1) and m["note"] == "", m)


# ---- 7. errors: exit 2 or 3, a message naming where; outputs untouched -------

def small_traces():
    path = os.path.join(SCRATCH, "m1.csv")
    if not os.path.exists(path):
        m1 = [l for l in trace_lines() if l.startswith("M0001,2026-11-16")]
        write("m1.csv", "\n".join([HEADER] + m1) + "\n")
    return path


def keep_output():
    """Makes an earlier output and returns (path, checksum)."""
    path = os.path.join(SCRATCH, "keep.gpkg")
    if not os.path.exists(path):
        code, _, err = run("patrol", *small_args(small_traces()), "-o", path)
        expect(code == 0, err)
    return path, sha(path)


def expect_untouched(path, digest):
    expect(sha(path) == digest, "the earlier output was changed")
    left = [f for f in os.listdir(SCRATCH) if f.endswith(".tmp.gpkg")]
    expect(not left, "temporary files left: %s" % left)


@case
def empty_traces_file():
    keep, digest = keep_output()
    path = write("empty.csv", "")
    code, _, err = run("patrol", *small_args(path), "-o", keep)
    expect_error(code, err, 3, "empty.csv", "empty")
    expect_untouched(keep, digest)


@case
def header_only_traces_file():
    keep, digest = keep_output()
    path = write("header_only.csv", HEADER + "\n")
    code, _, err = run("patrol", *small_args(path), "-o", keep)
    expect_error(code, err, 3, "header_only.csv", "no rows")
    expect_untouched(keep, digest)


@case
def missing_time_column():
    keep, digest = keep_output()
    path = write("notime.csv", "member_id,when,lon,lat,accuracy_m\n"
                 "M0001,2026-11-16T10:00:00+08:00,116.2946769,39.9817312,5\n")
    code, _, err = run("patrol", *small_args(path), "-o", keep)
    expect_error(code, err, 3, "notime.csv", "'time'",
                 "member_id, when, lon, lat, accuracy_m",
                 "--field traces.time=")
    expect_untouched(keep, digest)


@case
def traces_path_is_a_directory():
    # As for every other input (and validate's --grids DIR): "is a
    # directory, not a file".
    keep, digest = keep_output()
    code, _, err = run("patrol", *small_args(SCRATCH), "-o", keep)
    expect_error(code, err, 3, SCRATCH, "is a directory")
    expect_untouched(keep, digest)


@case
def bad_calendar_row():
    keep, digest = keep_output()
    cal = write("badcal.csv", "date,workday\n2026-11-18,0\n2026-11-3x,1\n")
    code, _, err = run("patrol", *small_args(small_traces(),
                                             **{"--calendar": cal}),
                       "-o", keep)
    expect_error(code, err, 3, "badcal.csv", "line 3", "date", "2026-11-3x")
    cal = write("badcal2.csv", "date,workday\n2026-11-18,2\n")
    code, _, err = run("patrol", *small_args(small_traces(),
                                             **{"--calendar": cal}),
                       "-o", keep)
    expect_error(code, err, 3, "badcal2.csv", "line 2", "workday")
    expect_untouched(keep, digest)


@case
def usage_errors_exit_2():
    keep, digest = keep_output()
    tr = small_traces()
    for over, extra, pieces in (
            ({"--week": "2026-W99"}, [], ("--week", "2026-W99")),
            ({"--week": None}, ["--from", "2026-11-20", "--to", "2026-11-16"],
             ("--from", "--to")),
            ({}, ["--from", "2026-11-16", "--to", "2026-11-22"],
             ("--week", "--from")),
            ({}, ["--tz", "Mars/Olympus"], ("Mars/Olympus",)),
            ({}, ["--trace-crs", "mercator"], ("mercator",))):
        code, _, err = run("patrol", *small_args(tr, **over), *extra,
                           "-o", keep)
        expect_error(code, err, 2, *pieces)
        expect_untouched(keep, digest)


# ---- 8. unsorted rows ------------------------------------------------------------

@case
def shuffled_rows_give_the_same_result():
    lines = trace_lines()
    order = list(range(len(lines)))
    random.Random(47).shuffle(order)
    # Rows repeating a member's time keep the first in file order (DESIGN),
    # so those few keep their relative order in the slots they landed in.
    slots = collections.defaultdict(list)
    for pos, i in enumerate(order):
        p = lines[i].split(",", 2)
        slots[(p[0], p[1])].append(pos)
    for pos in slots.values():
        if len(pos) > 1:
            for p, i in zip(sorted(pos), sorted(order[q] for q in pos)):
                order[p] = i
    shuffled = [lines[i] for i in order]
    expect(shuffled != lines and sorted(shuffled) == sorted(lines), "shuffle")
    path = write("shuffled.csv", "\n".join([HEADER] + shuffled) + "\n")
    out = os.path.join(SCRATCH, "shuffled.gpkg")
    code, _, err = run("patrol", *demo_args(**{"--traces": path}), "-o", out)
    expect(code == 0, err)
    _, L = demo()
    base = by_day(L["member_day"])
    got = by_day(read_layer(out, "member_day"))
    expect(got.keys() == base.keys(), "other rows")
    for k in base:
        expect(got[k] == base[k], "%s: %s != %s" % (k, got[k], base[k]))
    expect(by_week(read_layer(out, "member_week")) ==
           by_week(L["member_week"]), "member_week differs")


# ---- 9. --strict, threads --------------------------------------------------------

@case
def strict_exits_1_on_non_compliant_members():
    code, out, err = run("patrol", *demo_args(), "-o",
                         os.path.join(SCRATCH, "strict.gpkg"), "--strict",
                         "--quiet")
    expect(code == 1, "exit %d: %s" % (code, err))
    expect(out == "", "--quiet printed %r" % out)


@case
def one_and_two_threads_write_the_same_rows():
    a = os.path.join(SCRATCH, "t1.gpkg")
    b = os.path.join(SCRATCH, "t2.gpkg")
    for path, n in ((a, "1"), (b, "2")):
        code, _, err = run("patrol", *demo_args(), "-o", path,
                           "--threads", n, "--quiet")
        expect(code == 0, "--threads %s: %s" % (n, err))
    for layer in ("member_day", "member_week"):
        expect(read_layer(a, layer) == read_layer(b, layer), layer)


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
