#!/usr/bin/python3
"""CLI cases for `gridsmith report` and the report stage of `gridsmith run`.

Usage: test_report.py GRIDSMITH_BINARY DEMO_DIR

Runs the demo job for its eight weeks (run --since 2026-W40, as
./scripts/demo.sh does) into a scratch folder, then renders the latest
week's HTML report in headless Chromium (Debian's `chromium`) and checks
what a street office's director reads against the ledger and the stage
outputs:
  - the overdue total next to 超期 equals the overdue events hotspots lists
    (trouble_spots) and the backlog the ledger keeps, each one listed;
  - the trends (compliant share, backlog) equal the ledger week by week
    and start with its first week (no empty weeks, no 0 for a week never
    recorded);
  - the members below standard are named from the roster, the grids not
    to standard are listed with their problems in Chinese;
  - the hot spot map is not grey although the demo's 22 grids are too few
    for grid Gi*: the hexagons' hot spots and the rising grids show;
  - the charts are there, the page is self-contained (no http(s)://, no
    script) and its Chinese renders as glyphs, not missing-glyph boxes
    (the same probe with only a Latin font must see boxes, so the check
    can fail).
A copy of the ledger with a made-up grid Gi* checks the grid hot spot map;
another with a hostile grid name checks the escaping. Bad arguments fail
with the right exit status and a message naming the problem, and leave an
earlier report untouched. The last line is "N passed, N failed".
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
    chromium("--screenshot=" + png, "--window-size=1200,7000",
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


def write_job(name="job.ini", traces=True, out="out", events=True):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write("[inputs]\ncommunities = %(d)s/city.gpkg\ngrids = %(d)s/city.gpkg\n"
                "households = %(d)s/city.gpkg\nmembers = %(d)s/members.csv\n"
                "calendar = %(d)s/calendar.csv\n%(t)s%(e)s[run]\nweek = %(w)s\n"
                "[outputs]\ndir = %(o)s\n"
                % {"d": DEMO, "w": WEEK, "o": out,
                   "t": "traces = %s/traces.csv\n" % DEMO if traces else "",
                   "e": "events = %s/city.gpkg\n" % DEMO if events else ""})
    return path


def ledger_copy(name):
    path = os.path.join(SCRATCH, name)
    shutil.copy(LEDGER, path)
    return path


def page():
    with open(REPORT, encoding="utf-8") as f:
        return f.read()


def svg(html, label):
    """The first inline SVG whose aria-label starts with `label`."""
    m = re.search(r'<svg class="chart"[^>]*aria-label="' + re.escape(label) +
                  r'.*?</svg>', html, re.S)
    expect(m, "no chart " + label)
    return m.group(0)


# What the ledger says about a week, counted as patrol counts: rows of
# member_week whose grid exists in that week's grid_status.
COUNTED = ("FROM member_week m WHERE m.week = '%s' AND m.grid_code IN "
           "(SELECT grid_code FROM grid_status WHERE week = '%s')")
WEEKS = ["2026-W%02d" % w for w in range(40, 48)]


@case
def run_writes_the_report():
    job = write_job()
    code, out, err = gridsmith("run", job, "--since", "2026-W40", "--json")
    expect(code == 0, err)
    for w in WEEKS:
        expect(os.path.exists(os.path.join(OUT, "report-%s.html" % w)), w)
    expect('"stage":"report"' in out.replace(" ", ""), out[-800:])
    expect(not [f for f in os.listdir(OUT) if ".tmp" in f],
           "temporary files left: %s" % os.listdir(OUT))
    expect([r[0] for r in ledger("SELECT DISTINCT week FROM grid_backlog "
                                 "ORDER BY 1")] == WEEKS, "backlog weeks")


@case
def footer_time_is_beijing_time():
    # The street office reads the time of writing on its own clock: the
    # footer names the zone, and its time is now in UTC+8, not UTC.
    import datetime
    m = re.search(r"生成于 generated (\d{4}-\d\d-\d\d \d\d:\d\d) "
                  r"北京时间 \(UTC\+08:00\)<", page())
    expect(m, "footer: %s" % re.findall(r"<footer>.*?</footer>", page()))
    written = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M")
    beijing = (datetime.datetime.now(datetime.timezone.utc)
               + datetime.timedelta(hours=8)).replace(tzinfo=None)
    expect(abs((beijing - written).total_seconds()) < 30 * 60,
           "footer %s, Beijing time now %s" % (written, beijing))


@case
def self_contained():
    html = page()
    expect(html.startswith("<!DOCTYPE html>"), html[:80])
    for bad in ("http://", "https://", "<script", "<link", "<img", "@import",
                "url("):
        expect(bad not in html, "the report references '%s'" % bad)
    expect(html.count('<svg class="map"') == 4, "2 maps per street")
    # Overall and per street: share, hours, backlog, categories; and one
    # chart of the members' hours per street.
    for label, n in (("巡查达标率", 3), ("人均周巡查时长", 3), ("事件积压", 3),
                     ("各类事件", 3), ("网格员本周巡查时长", 2)):
        got = html.count('aria-label="' + label)
        expect(got == n, "%d charts %s, not %d" % (got, label, n))
    expect(html.count("Hours in the grid each day") == 2, "day tables")
    # The fonts of Chinese Windows, macOS and Linux desktops.
    for font in ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
                 "WenQuanYi Micro Hei"):
        expect('"%s"' % font in html, font)


@case
def overdue_total_equals_hotspots():
    """The number next to 超期 is the overdue events hotspots lists for the
    week (its trouble_spots), the ledger's backlog, and every one of them
    is listed with its category, grid, member and days overdue."""
    from osgeo import ogr
    ds = ogr.Open(os.path.join(OUT, "hotspots-%s.gpkg" % WEEK))
    lyr = ds.GetLayerByName("trouble_spots")
    lyr.SetAttributeFilter("kind = 'overdue'")
    listed = {f.GetField("event_id"): (f.GetField("category"),
                                       f.GetField("grid_code"),
                                       f.GetField("workdays_overdue"))
              for f in lyr}
    ds = None
    expect(len(listed) == 29, len(listed))
    backlog = ledger("SELECT sum(overdue), sum(open) FROM grid_backlog "
                     "WHERE week = '%s'" % WEEK)[0]
    expect(backlog == (29, 41), backlog)
    expect(ledger("SELECT count(*) FROM trouble_spots WHERE week = '%s' AND "
                  "kind = 'overdue'" % WEEK) == [(29,)], "ledger list")
    html = page()
    m = re.search(r'超期 <span class="en">overdue</span><b class="bad">'
                  r'<span id="overdue-total">(\d+)</span> 件</b>'
                  r'<small>周末未办结 (\d+) 件', html)
    expect(m, "no overdue card")
    expect((int(m.group(1)), int(m.group(2))) == backlog, m.groups())
    text, _ = dom(REPORT)
    expect("超期 overdue 29 件" in text, text[:1500])
    names = dict(ledger("SELECT grid_code, member_name FROM member_week "
                        "WHERE week = '%s'" % WEEK))
    for eid, (cat, grid, late) in listed.items():
        row = re.search(re.escape(eid) + r" (\S+) (.{0,80}?)%s (.{0,60}?)"
                        r"(\d{4}-\d\d-\d\d) (\d{4}-\d\d-\d\d) \d+ "
                        r"个工作日内办结 (\d+) 个工作日" % re.escape(grid), text)
        expect(row, "%s not listed: %s" % (eid, text[:3000]))
        expect(row.group(1) == cat and int(row.group(6)) == late,
               (eid, row.groups(), cat, late))
        if grid in names:
            expect(names[grid] in text[row.start():row.end() + 200],
                   "%s: member %s" % (eid, names[grid]))
    # Per community: the events table's overdue equals the backlog.
    for code, n in ledger("SELECT community_code, sum(overdue) FROM "
                          "grid_backlog WHERE week = '%s' GROUP BY 1" % WEEK):
        expect(re.search(re.escape(code) + r" \d+ \d+ \d+ \d+ %d [+-]\d+" % n,
                         text), "community %s overdue %d" % (code, n))


@case
def trends_equal_the_ledger():
    html = page()
    opens = [r[0] for r in ledger(
        "SELECT sum(open) FROM grid_backlog GROUP BY week ORDER BY week")]
    chart = svg(html, "事件积压")
    bars = [int(v) for v in re.findall(
        r'text-anchor="middle" font-weight="bold">(\d+)</text>', chart)]
    expect(bars == opens, (bars, opens))
    overdue = [r[0] for r in ledger(
        "SELECT sum(overdue) FROM grid_backlog GROUP BY week ORDER BY week")]
    titles = [(int(a), int(b)) for a, b in re.findall(
        r"<title>\S+：周末未办结 (\d+) 件，其中超期 (\d+) 件</title>", chart)]
    expect(titles == list(zip(opens, overdue)), (titles, opens, overdue))
    shares = []
    for w in WEEKS:
        n, ok = ledger("SELECT count(*), sum(compliant) " + COUNTED % (w, w))[0]
        shares.append(round(100.0 * ok / n))
    got = [int(v) for v in re.findall(r'font-weight="bold">(\d+)%</text>',
                                      svg(html, "巡查达标率"))]
    expect(got == shares, (got, shares))
    cats = ledger("SELECT week, sum(events) FROM grid_categories GROUP BY "
                  "week ORDER BY week")
    tot = [int(v) for v in re.findall(r'font-weight="bold">(\d+)</text>',
                                      svg(html, "各类事件"))]
    expect(tot == [c[1] for c in cats], (tot, cats))
    reported = ledger("SELECT sum(reported) FROM grid_backlog WHERE week = "
                      "'%s'" % WEEK)[0][0]
    expect(cats[-1][1] == reported == 53, (cats[-1], reported))


def week_labels(chart):
    return re.findall(r'<text stroke="none" x="[\d.]+" y="\d+" '
                      r'text-anchor="middle"[^>]*>(W\d\d)</text>', chart)


@case
def trends_start_with_the_ledger():
    """The charts and tables of the trend start with the ledger's first
    week: no empty week before it, no 0 for a week never recorded."""
    html = page()
    for label in ("巡查达标率", "人均周巡查时长", "事件积压", "各类事件"):
        expect(week_labels(svg(html, label)) ==
               [w[5:] for w in WEEKS], (label, week_labels(svg(html, label))))
    expect("<th>W39</th>" not in html and ">W39<" not in html, "W39 shown")
    # A young ledger: the report of its third week shows three weeks.
    out = os.path.join(SCRATCH, "w42.html")
    code, _, err = gridsmith("report", "--ledger", LEDGER, "--week",
                             "2026-W42", "-o", out)
    expect(code == 0, err)
    with open(out, encoding="utf-8") as f:
        young = f.read()
    for label in ("巡查达标率", "事件积压", "各类事件"):
        expect(week_labels(svg(young, label)) == ["W40", "W41", "W42"],
               (label, week_labels(svg(young, label))))
    heads = re.findall(r"<th>(W\d\d)</th>", young)
    expect(heads and set(heads) == {"W40", "W41", "W42"}, heads)
    # A week missing in the middle reads as not recorded, not as 0.
    gap = ledger_copy("gap.gpkg")
    con = sqlite3.connect(gap)
    for t in [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents")]:
        cols = [r[1] for r in con.execute('PRAGMA table_info("%s")' % t)]
        if "week" in cols:
            con.execute('DELETE FROM "%s" WHERE week = \'2026-W45\'' % t)
    con.commit()
    con.close()
    out = os.path.join(SCRATCH, "gap.html")
    code, _, err = gridsmith("report", "--ledger", gap, "-o", out)
    expect(code == 0, err)
    with open(out, encoding="utf-8") as f:
        holed = f.read()
    cats = svg(holed, "各类事件")
    expect(week_labels(cats) == [w[5:] for w in WEEKS], week_labels(cats))
    expect('fill="#bbb">W45<' in cats, "W45 not greyed")
    row = re.search(r"<tr><td class=\"l\">.*?</tr>", holed[holed.index(
        "<h4>各类事件（按周）"):])
    cells = re.findall(r"<td>(?:<b>)?([^<]*)(?:</b>)?</td>", row.group(0))
    expect(len(cells) == 8 and cells[5] == "—", cells)


@case
def people_and_places_by_name():
    members, compliant = ledger("SELECT count(*), sum(compliant) " +
                                COUNTED % (WEEK, WEEK))[0]
    expect((members, compliant) == (22, 18), (members, compliant))
    text, tags = dom(REPORT)
    expect("script" not in tags, "a script element")
    expect("巡查达标 compliant 18 / 22 人次 达标率 81.8%" in text, text[:1500])
    expect(re.search(r"合计 total 22 18 81\.8% 12\.2 95\.1% 4", text),
           text[:3000])
    expect("2026-11-16" in text and "2026-11-22" in text, "dates")
    # The members below standard, named from the roster, once each.
    below = ledger("SELECT DISTINCT member_id, member_name FROM member_week "
                   "WHERE week = '%s' AND compliant = 0 ORDER BY 1" % WEEK)
    expect([b[0] for b in below] == ["M0009", "M0012", "M0016", "M0021"],
           below)
    m = re.search(r"本周未达标的网格员：(.*?)，共 (\d+) 人", text)
    expect(m and int(m.group(2)) == len(below), m and m.group(0))
    expect(re.sub(r" ?、 ?", "、", m.group(1).strip()) ==
           "、".join("%s %s" % (b[1], b[0]) for b in below), m.group(1))
    # M0012 missed Wednesday 18 November; M0009's grid does not exist.
    expect(re.search(r"周春梅 M0012 北洼路社区清华附小分校专属网格 "
                     r"110108001002006 10\.8 4 / 5 11月18日周三", text), text)
    expect("花名册中的网格不存在" in text, "M0009's reason")
    # Streets by name (the communities' street_name), communities by name.
    for s in ("田村街道 街道 street 110108001", "牡丹园街道 街道 street "
              "110108002", "田村社区 110108001001", "皂君庙社区 110108002002"):
        expect(s in text, s)
    # No English note or unit in the director's view: English only in the
    # secondary labels (class "en").
    zh = re.sub(r'<span class="(?:note )?en">[^<]*</span>', "", page())
    zh = re.sub(r"<style>.*?</style>|<[^>]+>", " ", zh, flags=re.S)
    for en in ("grid does not exist", "union used", "not in roster"):
        expect(en not in zh, "English left: " + en)
    expect(not re.search(r"\d h\b", zh), "hours as 'h': %s" %
           re.findall(r".{30}\d h\b.{10}", zh)[:3])


@case
def a_member_on_two_grids_is_told_apart():
    """M0016 is on the roster of two grids: the hours chart and the day
    table name the grid of each row, so the two rows are not read as one
    person counted twice."""
    grids = ledger("SELECT m.grid_code, g.name FROM member_week m JOIN "
                   "grid_status g ON g.week = m.week AND g.grid_code = "
                   "m.grid_code WHERE m.week = '%s' AND m.member_id = "
                   "'M0016' ORDER BY 1" % WEEK)
    expect(len(grids) == 2, grids)
    html = page()
    # The second street's (牡丹园街道) chart.
    chart = html[html.rindex('aria-label="网格员本周巡查时长'):]
    chart = chart[:chart.index("</svg>")]
    for code, name in grids:
        expect('M0016 网格%s</tspan>' % code[-3:] in chart, (code, chart[:300]))
        expect("M0016</span><br><small>%s</small>" % name in html, name)
    # A member on one grid only keeps the plain label.
    expect('M0015</tspan>' in chart, "M0015")


@case
def grids_not_to_standard_in_chinese():
    text, _ = dom(REPORT)
    zh = {"undersize": "户数不足", "oversize": "户数超标",
          "persons_over": "人数超标", "bad_persons": "人数无效",
          "no_member": "无网格员", "multiple_members": "多名网格员",
          "member_multiple_grids": "网格员兼多格",
          "invalid_geometry": "几何无效", "multipart": "多部件网格",
          "overlap": "网格重叠", "gap": "覆盖缝隙",
          "outside_community": "超出社区边界",
          "duplicate_code": "网格编码重复", "bad_code": "网格编码无效"}
    rows = ledger("SELECT grid_code, name, issues FROM grid_status WHERE "
                  "week = '%s' AND status = 'violation'" % WEEK)
    expect(len(rows) == 17, rows)
    sect = text[text.index("网格规范 Grids and the standard"):]
    for code, name, issues in rows:
        at = sect.find("%s %s" % (name, code))
        expect(at >= 0, "%s %s not listed" % (name, code))
        for k in issues.split(";"):
            expect("%s %s" % (zh[k], k) in sect[at:at + 400],
                   "%s: %s" % (code, k))
    expect("共 17 个网格不符合规范（共 22 个网格）" in sect, sect[-800:])
    expect("使每格不超过 500 户" in sect and "户数达到 300 户以上" in sect,
           "advice with the thresholds")
    expect("另有 4 处“无网格归属住户”" in sect, "orphans")


@case
def hot_spot_map_not_grey():
    html = page()
    expect("本辖区只有 22 个网格，少于按网格计算热点（Gi*）所需的 30 个" in html,
           "the reason grid Gi* is absent")
    img = screenshot(REPORT, os.path.join(SCRATCH, "report.png"))
    n = colour_pixels(img, COVERAGE_COLOURS)
    expect(n > 40000, "only %d pixels of the coverage colours" % n)
    hot = colour_pixels(img, ["#b2182b", "#ef8a62"])
    rising = colour_pixels(img, ["#762a83", "#e7d4e8"])
    expect(hot > 3000, "only %d pixels of hot hexagons" % hot)
    expect(rising > 2000, "only %d pixels of rising grids" % rising)
    text, _ = dom(REPORT)
    expect(re.search(r"热点 99% hot spot \(3\) 热点 95% hot spot \(1\)", text),
           "hexagon legend")
    expect("事件逐周上升的网格 rising grid (2)" in text, "rising legend")


def glyph_cells(png, n):
    """The n 80-pixel cells of a glyph probe screenshot, as greyscale."""
    from PIL import Image
    im = Image.open(png).convert("L")
    return [im.crop((i * 80, 0, i * 80 + 80, 80)) for i in range(n)]


def chinese_renders(env=None):
    """Renders characters of the report in its own font stack, one per
    80-pixel cell: True when every one has ink and no two are the same
    picture (missing glyphs all draw the same box)."""
    from PIL import ImageChops
    style = re.search(r"<style>(.*?)</style>", page(), re.S).group(1)
    chars = "网格周报超期达标"
    probe = os.path.join(SCRATCH, "glyphs.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
                "%s</style><style>main{padding:0;margin:0}span{display:"
                "inline-block;width:80px;height:80px;font-size:64px;"
                "line-height:80px;text-align:center;vertical-align:top}"
                "</style></head><body><main>%s</main></body></html>"
                % (style, "".join("<span>%s</span>" % c for c in chars)))
    png = os.path.join(SCRATCH, "glyphs.png")
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        chromium("--screenshot=" + png, "--hide-scrollbars",
                 "--window-size=%d,80" % (80 * len(chars)), "file://" + probe)
    finally:
        os.environ.clear()
        os.environ.update(old)
    cells = glyph_cells(png, len(chars))
    ink = [sum(1 for p in c.getdata() if p < 128) for c in cells]
    same = any(ImageChops.difference(cells[i], cells[j]).getbbox() is None
               for i in range(len(cells)) for j in range(i))
    return min(ink) > 100 and not same


@case
def chinese_renders_as_glyphs():
    # The check itself: with only a Latin font, Chinese is boxes.
    conf = os.path.join(SCRATCH, "fonts.conf")
    with open(conf, "w") as f:
        f.write("<?xml version=\"1.0\"?><fontconfig><dir>/usr/share/fonts/"
                "truetype/dejavu</dir><cachedir>%s/fccache</cachedir>"
                "</fontconfig>" % SCRATCH)
    expect(not chinese_renders({"FONTCONFIG_FILE": conf}),
           "the probe cannot tell boxes from glyphs")
    expect(chinese_renders(), "Chinese renders as missing-glyph boxes: "
           "install a CJK font (scripts/deps.sh test: fonts-noto-cjk)")


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
def grid_hot_spot_map():
    """With enough grids for Gi* (here made up in grid_events), the map
    colours the grids by their bins instead of the hexagons."""
    path = ledger_copy("hot.gpkg")
    add_grid_events(path)
    out = os.path.join(SCRATCH, "hot.html")
    code, stdout, err = gridsmith("report", "--ledger", path, "--week", WEEK,
                                  "-o", out, "--json")
    expect(code == 0, err)
    expect('"hotspots":true' in stdout.replace(" ", ""), stdout)
    text, _ = dom(out)
    expect("按网格计算热点" in text and "少于按网格计算热点" not in text,
           "grid Gi* note")
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
                                                out="plain", events=False),
                               "--quiet")
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
    expect_error(code, err, 3, "2026-W30", "recorded: 2026-W47, 2026-W46, "
                 "2026-W45, 2026-W44, 2026-W43, 2026-W42, 2026-W41, 2026-W40")
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
