#!/usr/bin/python3
"""CLI cases for `gridsmith report` and the report stage of `gridsmith run`.

Usage: test_report.py GRIDSMITH_BINARY DEMO_DIR

Runs the demo job (weeks 2026-W46 and 2026-W47) into a scratch folder, then
renders the week's HTML report in headless Chromium (Debian's `chromium`):
the page must show the key numbers the ledger holds (members, compliant,
the members below standard with the days they missed), its maps must not
be blank (a screenshot has many pixels of the map colours), and it must be
self-contained (no http(s):// reference, no script). A copy of the ledger
with a made-up grid_events table checks the hot spot map and the overdue
events; another with a hostile grid name checks the escaping. Bad
arguments fail with the right exit status and a message naming the
problem, and leave an earlier report untouched. The last line is
"N passed, N failed".
"""
import html.parser
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import cli_harness as h
from cli_harness import case, expect, expect_error

BIN = h.BIN = os.path.abspath(sys.argv[1])
DEMO = os.path.abspath(sys.argv[2])
SCRATCH = tempfile.mkdtemp(prefix="gs_report_")
OUT = os.path.join(SCRATCH, "out")
LEDGER = os.path.join(OUT, "ledger.gpkg")
REPORT = os.path.join(OUT, "report-2026-W47.html")
WEEK = "2026-W47"

# The map palettes of report_svg.c: coverage classes and Gi* bins.
COVERAGE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
HOT_COLOURS = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"]


gridsmith = h.run


def ledger(sql, path=LEDGER):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def chromium(*args):
    """Runs headless Chromium (as root it needs --no-sandbox) with a
    throw-away profile and no network features; returns stdout."""
    expect(shutil.which("chromium"), "no chromium: scripts/deps.sh test "
           "installs it")
    profile = tempfile.mkdtemp(prefix="chromium_", dir=SCRATCH)
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--user-data-dir=" + profile]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=180)
    expect(p.returncode == 0, "chromium failed: " + p.stderr[-1500:])
    return p.stdout


class Text(html.parser.HTMLParser):
    """The visible text of a DOM (not style or script), whitespace
    collapsed, plus the tags seen."""

    def __init__(self):
        super().__init__()
        self.parts, self.tags, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    def text(self):
        return re.sub(r"\s+", " ", " ".join(self.parts))


def dom(path):
    """The page as Chromium built it: (visible text, tags)."""
    t = Text()
    t.feed(chromium("--dump-dom", "file://" + path))
    return t.text(), t.tags


def screenshot(path, png):
    chromium("--screenshot=" + png, "--window-size=1200,3000",
             "file://" + path)
    from osgeo import gdal
    import numpy
    ds = gdal.Open(png)
    expect(ds is not None, "cannot read the screenshot " + png)
    return numpy.moveaxis(ds.ReadAsArray()[:3], 0, -1).astype(int)


def colour_pixels(img, colours):
    """How many pixels are within 3 of one of the colours ("#rrggbb")."""
    import numpy
    n = 0
    for c in colours:
        rgb = numpy.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])
        n += int((numpy.abs(img - rgb).max(axis=2) <= 3).sum())
    return n


def write_job(name="job.ini", traces=True, out="out"):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write("[inputs]\ncommunities = %(d)s/city.gpkg\ngrids = %(d)s/city.gpkg\n"
                "households = %(d)s/city.gpkg\nmembers = %(d)s/members.csv\n"
                "%(t)s[run]\nweek = %(w)s\n[outputs]\ndir = %(o)s\n"
                % {"d": DEMO, "w": WEEK, "o": out,
                   "t": "traces = %(d)s/traces.csv\ncalendar = "
                        "%(d)s/calendar.csv\n" % {"d": DEMO} if traces else ""})
    return path


def ledger_copy(name):
    path = os.path.join(SCRATCH, name)
    shutil.copy(LEDGER, path)
    return path


# What the ledger says about the week, counted as patrol counts: rows of
# member_week whose grid exists in that week's grid_status.
COUNTED = ("FROM member_week m WHERE m.week = '%s' AND m.grid_code IN "
           "(SELECT grid_code FROM grid_status WHERE week = '%s')")


@case
def run_writes_the_report():
    job = write_job()
    code, out, err = gridsmith("run", job, "--week", "2026-W46", "--quiet")
    expect(code == 0, err)
    code, out, err = gridsmith("run", job, "--json")
    expect(code == 0, err)
    expect(os.path.exists(REPORT), "no " + REPORT)
    expect('"stage":"report"' in out.replace(" ", ""), out[-800:])
    expect(not [f for f in os.listdir(OUT) if ".tmp" in f],
           "temporary files left: %s" % os.listdir(OUT))


@case
def self_contained():
    with open(REPORT, encoding="utf-8") as f:
        page = f.read()
    expect(page.startswith("<!DOCTYPE html>"), page[:80])
    for bad in ("http://", "https://", "<script", "<link", "<img", "@import",
                "url("):
        expect(bad not in page, "the report references '%s'" % bad)
    expect(page.count('<svg class="map"') >= 2, "maps missing")
    expect('<svg class="chart"' in page, "trend chart missing")


@case
def page_shows_the_key_numbers():
    members, compliant = ledger("SELECT count(*), sum(compliant) " +
                                COUNTED % (WEEK, WEEK))[0]
    expect((members, compliant) == (22, 18), (members, compliant))
    text, tags = dom(REPORT)
    expect("script" not in tags, "a script element")
    expect(re.search(r"网格员 Members %d " % members, text), text[:1500])
    expect(re.search(r"达标 Compliant %d 81\.8%%" % compliant, text),
           text[:1500])
    expect(re.search(r"合计 Total %d %d 81\.8%% 12\.2 95\.1%% 4" %
                     (members, compliant), text), text[:3000])
    expect("2026-11-16" in text and "2026-11-22" in text, "dates")
    # Every member below standard is listed, and no compliant one.
    below = [r[0] for r in ledger("SELECT DISTINCT member_id FROM "
                                  "member_week WHERE week = '%s' AND "
                                  "compliant = 0" % WEEK)]
    expect("M0021" in below and "M0009" in below, below)
    for m in below:
        expect(m in text, m + " is not listed")
    expect("M0001" not in text, "compliant M0001 listed")
    # M0012 missed Wednesday 18 November; M0009's grid does not exist.
    expect(re.search(r"M0012 110108001002006 .{0,40}10\.8 4 / 5 11-18 周三",
                     text), text)
    expect("网格不存在" in text, "M0009's reason")
    # Per street and community.
    for code in ("110108001", "110108002", "田村社区", "皂君庙社区"):
        expect(code in text, code)
    expect("Hotspots were not run" in text or "Event hot spots" in text,
           "hot spot section")


@case
def trend_reaches_back():
    text, _ = dom(REPORT)
    # W46 has no traces: all 22 absent; W47 81.8 %.
    row = re.search(r"达标率 Compliant share((?: (?:—|\d+\.\d%)){9})", text)
    expect(row, text)
    cells = row.group(1).split()
    expect(cells[-2:] == ["0.0%", "81.8%"] and cells[:7] == ["—"] * 7, cells)


@case
def maps_are_not_blank():
    img = screenshot(REPORT, os.path.join(SCRATCH, "report.png"))
    n = colour_pixels(img, COVERAGE_COLOURS)
    # Two streets' coverage maps of about 300 x 400 px, mostly green.
    expect(n > 40000, "only %d pixels of the coverage colours" % n)
    expect(colour_pixels(img, ["#ffffff"]) < img.shape[0] * img.shape[1],
           "blank page")


def add_grid_events(path):
    """A grid_events table for the week, as the hotspots stage records it:
    Gi* bins cycling 3..-3 over the grids, overdue events on two grids."""
    from osgeo import ogr
    ds = ogr.Open(path, update=1)
    for i in range(ds.GetLayerCount()):
        if ds.GetLayer(i).GetName() == "grid_events":
            ds.DeleteLayer(i)
            break
    src = ds.GetLayerByName("grid_status")
    lyr = ds.CreateLayer("grid_events", src.GetSpatialRef(),
                         ogr.wkbMultiPolygon, ["FID=fid"])
    for name, kind in (("week", ogr.OFTString), ("grid_code", ogr.OFTString),
                       ("events", ogr.OFTInteger), ("open", ogr.OFTInteger),
                       ("overdue", ogr.OFTInteger),
                       ("self_resolved", ogr.OFTInteger),
                       ("gi_z", ogr.OFTReal), ("gi_p", ogr.OFTReal),
                       ("gi_bin", ogr.OFTInteger)):
        lyr.CreateField(ogr.FieldDefn(name, kind))
    src.SetAttributeFilter("week = '%s'" % WEEK)
    feats = sorted(src, key=lambda f: (f.GetField("grid_code"), f.GetFID()))
    overdue = {}
    for i, g in enumerate(feats):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("week", WEEK)
        f.SetField("grid_code", g.GetField("grid_code"))
        f.SetField("events", 10 + i)
        f.SetField("open", i % 3)
        f.SetField("overdue", 7 if i in (0, 13) else 0)
        f.SetField("self_resolved", 1)
        if i % 8 != 7:  # every 8th grid: too few units, no Gi*
            f.SetField("gi_bin", 3 - i % 7)
        f.SetGeometry(g.GetGeometryRef())
        lyr.CreateFeature(f)
        if i in (0, 13):
            overdue[g.GetField("grid_code")] = 7
    ds = None
    return overdue


@case
def hot_spots_and_overdue_events():
    path = ledger_copy("hot.gpkg")
    overdue = add_grid_events(path)
    out = os.path.join(SCRATCH, "hot.html")
    code, stdout, err = gridsmith("report", "--ledger", path, "--week", WEEK,
                                  "-o", out, "--json")
    expect(code == 0, err)
    expect('"hotspots":true' in stdout.replace(" ", ""), stdout)
    text, _ = dom(out)
    expect("Hotspots were not run" not in text, "note despite grid_events")
    expect("Overdue events" in text, "no overdue section")
    for grid in overdue:
        expect(re.search(re.escape(grid) + r" \S+ \d+ \d+ 7 1", text),
               "overdue grid %s not listed: %s" % (grid, text))
    expect("热点 99%" in text and "冷点 99%" in text and "未计算" in text,
           "hot spot legend")
    img = screenshot(out, os.path.join(SCRATCH, "hot.png"))
    n = colour_pixels(img, HOT_COLOURS)
    expect(n > 10000, "only %d pixels of the hot spot colours" % n)


@case
def text_is_escaped():
    from osgeo import ogr
    path = ledger_copy("evil.gpkg")
    ds = ogr.Open(path, update=1)
    ds.ExecuteSQL("UPDATE grid_status SET name = "
                  "'<script>alert(1)</script>&\"x''' "
                  "WHERE grid_code = '110108001002006'")
    ds = None
    out = os.path.join(SCRATCH, "evil.html")
    code, _, err = gridsmith("report", "--ledger", path, "--week", WEEK,
                             "-o", out, "--quiet")
    expect(code == 0, err)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    expect("<script" not in page, "unescaped name")
    expect("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&#39;" in page,
           "escaped name missing")
    text, tags = dom(out)
    expect("script" not in tags, "a script element in the DOM")
    expect("<script>alert(1)</script>&\"x'" in text, "name not shown as text")


@case
def a_job_without_traces():
    code, out, err = gridsmith("run", write_job("plain.ini", traces=False,
                                                out="plain"), "--quiet")
    expect(code == 0, err)
    page = os.path.join(SCRATCH, "plain", "report-%s.html" % WEEK)
    text, _ = dom(page)
    expect("No patrol verification this week" in text, text[:2000])
    # The grids are still drawn: grey, no data, but the one without a
    # member (validate's roster count) says so.
    expect(re.search(r"无巡查数据 no data \(10\)", text) and
           re.search(r"无网格员 no member \(1\)", text), text)


@case
def latest_week_by_default():
    out = os.path.join(SCRATCH, "latest.html")
    code, stdout, err = gridsmith("report", "--ledger", LEDGER, "-o", out)
    expect(code == 0, err)
    expect("week 2026-W47" in stdout and "18 of 22" in stdout, stdout)


@case
def errors():
    keep = os.path.join(SCRATCH, "keep.html")
    with open(keep, "w") as f:
        f.write("earlier report")
    code, _, err = gridsmith("report", "--ledger", LEDGER, "--week",
                             "2026-W30", "-o", keep)
    expect_error(code, err, 3, "2026-W30", "recorded: 2026-W47, 2026-W46")
    with open(keep) as f:
        expect(f.read() == "earlier report", "earlier report changed")
    code, _, err = gridsmith("report", "--ledger",
                             os.path.join(SCRATCH, "nope.gpkg"), "-o", keep)
    expect_error(code, err, 3, "nope.gpkg")
    code, _, err = gridsmith("report", "--ledger",
                             os.path.join(DEMO, "city.gpkg"), "-o", keep)
    expect_error(code, err, 3, "not a gridsmith ledger")
    code, _, err = gridsmith("report", "--ledger", LEDGER, "--week",
                             "2026-W99", "-o", keep)
    expect_error(code, err, 2, "2026-W99")
    code, _, err = gridsmith("report", "--ledger", LEDGER)
    expect_error(code, err, 2, "report needs --ledger and -o")
    code, _, err = gridsmith("report", "--ledger", LEDGER, "-o",
                             os.path.join(SCRATCH, "no", "dir.html"))
    expect_error(code, err, 4, "does not exist")
    code, out, _ = gridsmith("report", "--help")
    expect(code == 0 and "--ledger" in out, out)
    expect(not [f for f in os.listdir(SCRATCH) if ".tmp" in f],
           "temporary files left")


if not h._counts["failed"]:  # kept for a look when a case failed
    shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
