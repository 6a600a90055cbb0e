#!/usr/bin/python3
"""Determinism: the same input gives the same features, run after run and
with one thread or two.

Usage: test_determinism.py GRIDSMITH_BINARY PROJECT_DIR

validate, patrol and hotspots on the demo city, and the weekly job (`run`),
each run with --threads 1, again with --threads 1, and with --threads 2.
Every layer's features are compared field by field and geometry by
geometry (WKB), in feature order; only run metadata (run_metadata, the
styles' update_time, the ledger's runs table, the report's generation
time) may differ. The density raster is compared cell by cell. The last
line is "N passed, N failed".
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, contents, expect, first_difference, run  # noqa: E402,E501

from osgeo import gdal  # noqa: E402

gdal.UseExceptions()

BIN = os.path.abspath(sys.argv[1])
h.BIN = BIN
ROOT = os.path.abspath(sys.argv[2])
DEMO = os.path.join(ROOT, "datasets", "demo")
CITY = os.path.join(DEMO, "city.gpkg")
SCRATCH = tempfile.mkdtemp(prefix="gs_det_")
RUNS = (("a", "1"), ("b", "1"), ("c", "2"))  # two alike, then 2 threads


def three_runs(cmd, args):
    """Runs `cmd` three times (RUNS); returns the outputs."""
    outs = []
    for tag, threads in RUNS:
        out = os.path.join(SCRATCH, "%s-%s.gpkg" % (cmd, tag))
        code, _, err = run(cmd, *args, "--threads", threads, "-o", out,
                           "--quiet")
        expect(code == 0, "%s --threads %s: %s" % (cmd, threads, err))
        outs.append(out)
    return outs


def expect_same(paths, what):
    want = contents(paths[0])
    expect(any(want.values()), "%s: empty output" % what)
    for p, (tag, threads) in zip(paths[1:], RUNS[1:]):
        diff = first_difference(contents(p), want)
        expect(diff is None, "%s, run %s (--threads %s): %s"
               % (what, tag, threads, diff))


@case
def validate_is_deterministic():
    outs = three_runs("validate", [
        "--communities", CITY, "--grids", CITY, "--households", CITY,
        "--members", os.path.join(DEMO, "members.csv")])
    expect_same(outs, "validate")
    expect(len(contents(outs[0])["issues"]) > 10, "too few issues to show")


@case
def patrol_is_deterministic():
    outs = three_runs("patrol", [
        "--grids", CITY, "--members", os.path.join(DEMO, "members.csv"),
        "--traces", os.path.join(DEMO, "traces.csv"), "--households", CITY,
        "--calendar", os.path.join(DEMO, "calendar.csv"),
        "--week", "2026-W47"])
    expect_same(outs, "patrol")
    expect(len(contents(outs[0])["tracks"]) > 0, "no tracks")


def raster(path):
    ds = gdal.Open(path)
    data = ds.GetRasterBand(1).ReadRaster()
    geo = ds.GetGeoTransform()
    ds = None
    return geo, data


@case
def hotspots_is_deterministic():
    outs = three_runs("hotspots", [
        "--grids", CITY, "--events", CITY, "--communities", CITY,
        "--households", CITY, "--calendar", os.path.join(DEMO, "calendar.csv"),
        "--week", "2026-W47"])
    expect_same(outs, "hotspots")
    kde = [o[:-5] + "_kde.tif" for o in outs]
    expect(all(raster(k) == raster(kde[0]) for k in kde[1:]),
           "the density rasters differ")


def ledger_tables(path):
    """The ledger's contents, without the runs table (when, which command
    line: different by design)."""
    c = contents(path)
    c.pop("runs", None)
    return c


def report_text(path):
    with open(path, encoding="utf-8") as f:
        html = f.read()
    # The generation time is the only thing allowed to differ.
    return re.sub(r"生成于 generated [^<]*", "", html)


@case
def the_weekly_job_is_deterministic():
    dirs = []
    for tag, threads in RUNS:
        d = os.path.join(SCRATCH, "job-" + tag)
        os.makedirs(d)
        job = h.write_job(os.path.join(d, "job.ini"), h.demo_inputs(DEMO))
        code, _, err = run("run", job, "--threads", threads, "--quiet")
        expect(code == 0, "run --threads %s: %s" % (threads, err))
        dirs.append(os.path.join(d, "out"))
    for stage in ("validate", "patrol", "hotspots"):
        expect_same([os.path.join(d, "%s-2026-W47.gpkg" % stage)
                     for d in dirs], "run: " + stage)
    want = ledger_tables(os.path.join(dirs[0], "ledger.gpkg"))
    expect(len(want["member_week"]) == 23, "ledger rows")
    for d in dirs[1:]:
        diff = first_difference(ledger_tables(os.path.join(d, "ledger.gpkg")),
                                want)
        expect(diff is None, "run: ledger: %s" % diff)
    html = report_text(os.path.join(dirs[0], "report-2026-W47.html"))
    for d in dirs[1:]:
        expect(report_text(os.path.join(d, "report-2026-W47.html")) == html,
               "run: the reports differ")


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
