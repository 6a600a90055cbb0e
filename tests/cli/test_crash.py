#!/usr/bin/python3
"""Crash safety: SIGKILL while an output or the ledger is being written.

Usage: test_crash.py GRIDSMITH_BINARY PROJECT_DIR

Two ways to kill, as docs/design.md promises that "a failed or killed run
never leaves a half-written output":

- At every named step of the writers, deterministically, through the
  test-only hook GS_TEST_KILL_AT=POINT[:N] (gs__crash_point in
  engine/core/testhook.h): the process raises SIGKILL the Nth time it
  passes POINT. The points, in the order a run passes them:

    out.open        output temp file created, transaction started
    out.feature     after each feature written (":N" picks the Nth)
    out.commit      every layer and style written, before COMMIT
    out.committed   after COMMIT, before the temp file is closed
    out.closed      temp file closed, before fsync
    out.rename      fsync'ed, before the rename over the output
    out.renamed     after the rename (the new output is in place)
    file.rename     report HTML written to its temp file, before rename
    file.renamed    after that rename
    ledger.begin    ledger transaction started
    ledger.delete   the week's old rows deleted from a table
    ledger.row      after each row copied into the ledger (":N")
    ledger.commit   the runs row written, before COMMIT
    ledger.committed  after COMMIT

- At random moments, with real timers, for the writers as a whole.

After each kill the previous output is byte-identical (or, once renamed,
the complete new one), the ledger passes SQLite's integrity check and
holds the old weeks unchanged and the new week whole or not at all, with
OGR's feature counts right; and the next run succeeds, leaving no stray
temporary file behind. The last line is "N passed, N failed".
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, contents, expect, first_difference, sha  # noqa: E402,E501

from osgeo import gdal  # noqa: E402

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
SCRATCH = tempfile.mkdtemp(prefix="gs_crash_")
KILLED = -signal.SIGKILL


def mini_validate(out):
    return ["validate",
            "--communities", os.path.join(MINI, "communities.geojson"),
            "--grids", os.path.join(MINI, "grids.geojson"),
            "--households", os.path.join(MINI, "households.geojson"),
            "--members", os.path.join(MINI, "members.csv"),
            "--config", os.path.join(MINI, "rules.ini"), "-o", out, "--quiet"]


def demo_validate(out):
    return ["validate", "--communities", CITY, "--grids", CITY,
            "--households", CITY, "--members",
            os.path.join(DEMO, "members.csv"), "-o", out, "--quiet"]


def run_killed(args, point=None):
    """Runs the binary (with the kill hook at `point`); returns the exit
    status, negative for a signal."""
    env = dict(os.environ)
    env.pop("GS_TEST_KILL_AT", None)
    if point:
        env["GS_TEST_KILL_AT"] = point
    p = subprocess.run([BIN] + args, env=env, capture_output=True, text=True)
    for bad in ("runtime error:", "AddressSanitizer"):
        expect(bad not in p.stderr, "sanitizer: " + p.stderr[-2000:])
    return p.returncode


def strays(folder):
    return sorted(f for f in os.listdir(folder) if ".tmp" in f)


def gpkg_sane(path):
    """SQLite's integrity check passes and OGR's feature counts (kept in
    gpkg_ogr_contents) agree with the rows in every table."""
    con = sqlite3.connect(path)
    try:
        expect(con.execute("PRAGMA integrity_check").fetchall() == [("ok",)],
               "%s: integrity check fails" % path)
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents")]
        rows = {t: con.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]
                for t in tables}
    finally:
        con.close()
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    for t, n in rows.items():
        lyr = ds.GetLayerByName(t)
        expect(lyr is not None and lyr.GetFeatureCount() == n,
               "%s: OGR counts %s features in %s, the table has %d"
               % (path, lyr and lyr.GetFeatureCount(), t, n))
    ds = None


# ---- one output file: every step of engine/out/writer.c -------------------------------

OUT_POINTS = ("out.open", "out.feature:1", "out.feature:2", "out.feature:9",
              "out.feature:25", "out.commit", "out.committed", "out.closed",
              "out.rename")


def kill_every_step(name, args_for, points):
    """Kills the command at each point over an earlier output made from
    other input; the earlier output must stay byte-identical, the next run
    must write the same output as an undisturbed one."""
    folder = os.path.join(SCRATCH, name)
    os.makedirs(folder)
    ref = os.path.join(folder, "ref.gpkg")
    out = os.path.join(folder, "out.gpkg")
    expect(run_killed(args_for(ref)) == 0, "the reference run fails")
    want = contents(ref)
    # The earlier output: another command's, so that old and new differ.
    if name.startswith("mini"):
        expect(run_killed(demo_validate(out)) == 0, "earlier output")
    else:
        expect(run_killed(mini_validate(out)) == 0, "earlier output")
    old = sha(out)
    for point in points:
        code = run_killed(args_for(out), point)
        expect(code == KILLED, "%s: not killed (exit %d)" % (point, code))
        expect(sha(out) == old, "%s: the earlier output changed" % point)
        gpkg_sane(out)
    # Once renamed the new output is complete.
    code = run_killed(args_for(out), "out.renamed")
    expect(code == KILLED, "out.renamed: exit %d" % code)
    diff = first_difference(contents(out), want)
    expect(diff is None, "out.renamed: incomplete output: %s" % diff)
    os.remove(out)
    code = run_killed(args_for(out))
    expect(code == 0, "the next run fails (exit %d)" % code)
    diff = first_difference(contents(out), want)
    expect(diff is None, "the next run differs: %s" % diff)
    expect(strays(folder) == [], "stray files: %s" % strays(folder))


@case
def validate_killed_at_every_step():
    kill_every_step("mini_validate", mini_validate, OUT_POINTS)


@case
def patrol_killed_at_every_step():
    def args(out):
        return ["patrol", "--grids", CITY, "--members",
                os.path.join(DEMO, "members.csv"), "--traces",
                os.path.join(DEMO, "traces.csv"), "--week", "2026-W47",
                "-o", out, "--quiet"]
    kill_every_step("patrol", args, ("out.open", "out.feature:400",
                                     "out.commit", "out.closed",
                                     "out.rename"))


@case
def hotspots_killed_at_every_step():
    def args(out):
        return ["hotspots", "--grids", CITY, "--events", CITY,
                "--week", "2026-W47", "-o", out, "--quiet"]
    kill_every_step("hotspots", args, OUT_POINTS)


# ---- the weekly job: the ledger and the report --------------------------

JOB_DIR = os.path.join(SCRATCH, "job")
LEDGER = os.path.join(JOB_DIR, "out", "ledger.gpkg")


def write_job():
    os.makedirs(JOB_DIR, exist_ok=True)
    return h.write_job(os.path.join(JOB_DIR, "job.ini"), h.demo_inputs(DEMO))


def weeks():
    """Rows per week of every ledger table, and the number of runs."""
    con = sqlite3.connect(LEDGER)
    try:
        snap = {t: con.execute("SELECT week, count(*) FROM %s GROUP BY week "
                               "ORDER BY week" % t).fetchall()
                for t in ("grid_status", "member_day", "member_week",
                          "grid_events", "runs")}
    finally:
        con.close()
    return snap


def expect_old_or_whole(before, point, week="2026-W46"):
    """The ledger after a kill: sane, earlier weeks unchanged, `week`
    absent or whole (as many rows as 2026-W47, same inputs)."""
    gpkg_sane(LEDGER)
    now = weeks()
    added = None
    for t, rows in now.items():
        old = [r for r in rows if r[0] != week]
        expect(old == before[t], "%s: %s changed: %s" % (point, t, rows))
        new = [r for r in rows if r[0] == week]
        if t == "runs":  # one row per run, kept: the week's runs add up
            new = [(w, 1) for w, n in new]
        whole = [(week, dict(before[t])["2026-W47"])]
        expect(new in ([], whole), "%s: partial week in %s: %s"
               % (point, t, new))
        if added is None:
            added = bool(new)
        expect(added == bool(new), "%s: the week is in some tables only"
               % point)
    return added


LEDGER_POINTS = ("ledger.begin", "ledger.delete", "ledger.row:1",
                 "ledger.row:30", "ledger.row:200", "ledger.commit")


@case
def ledger_killed_at_every_step():
    job = write_job()
    expect(run_killed(["run", job, "--quiet"]) == 0, "first run")
    before = weeks()
    digest = sha(LEDGER)
    for point in LEDGER_POINTS:
        code = run_killed(["run", job, "--week", "2026-W46", "--quiet"],
                          point)
        expect(code == KILLED, "%s: exit %d" % (point, code))
        expect(not expect_old_or_whole(before, point),
               "%s: the week was recorded" % point)
        # Reading rolled the journal back: the file is as it was.
        expect(sha(LEDGER) == digest, "%s: ledger bytes changed" % point)
    # Re-running a recorded week, killed before COMMIT: still the old week.
    for point in ("ledger.delete", "ledger.row:100"):
        code = run_killed(["run", job, "--quiet"], point)
        expect(code == KILLED, "%s: exit %d" % (point, code))
        expect(weeks() == before, "%s: re-run week damaged" % point)
    code = run_killed(["run", job, "--week", "2026-W46", "--quiet"],
                      "ledger.committed")
    expect(code == KILLED, "ledger.committed: exit %d" % code)
    expect(expect_old_or_whole(before, "ledger.committed"),
           "ledger.committed: the week is missing")
    code = run_killed(["run", job, "--week", "2026-W46", "--quiet"])
    expect(code == 0, "the next run fails (exit %d)" % code)
    expect_old_or_whole(before, "after the next run")
    expect(strays(os.path.join(JOB_DIR, "out")) == [],
           "stray files: %s" % strays(os.path.join(JOB_DIR, "out")))


@case
def new_ledger_killed_while_created():
    job = write_job()
    shutil.rmtree(os.path.join(JOB_DIR, "out"), ignore_errors=True)
    for point in ("out.open", "out.commit", "out.rename"):
        code = run_killed(["run", job, "--quiet"], point)
        expect(code == KILLED, "%s: exit %d" % (point, code))
    # The stages' outputs may be in place; the ledger is not half made.
    expect(not os.path.exists(LEDGER), "a half-made ledger")
    expect(run_killed(["run", job, "--quiet"]) == 0, "the next run fails")
    gpkg_sane(LEDGER)


@case
def report_killed_while_written():
    job = write_job()
    expect(run_killed(["run", job, "--quiet"]) == 0, "run")
    html = os.path.join(JOB_DIR, "out", "report-2026-W47.html")
    with open(html, "ab") as f:
        f.write(b"<!-- earlier -->")
    digest = sha(html)
    args = ["report", "--ledger", LEDGER, "--week", "2026-W47", "-o", html]
    code = run_killed(args, "file.rename")
    expect(code == KILLED and sha(html) == digest,
           "file.rename: exit %d, changed %s" % (code, sha(html) != digest))
    code = run_killed(args, "file.renamed")
    expect(code == KILLED and sha(html) != digest, "file.renamed")
    expect(run_killed(args) == 0, "the next report fails")
    expect(strays(os.path.join(JOB_DIR, "out")) == [],
           "stray files: %s" % strays(os.path.join(JOB_DIR, "out")))


# ---- timed kills: real signals at random moments ------------------------

def timed_kills(args, out, want, delays):
    old = sha(out)
    for delay in delays:
        p = subprocess.Popen([BIN] + args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = sha(out)
        if now != old:  # killed after the rename: the whole new output
            diff = first_difference(contents(out), want)
            expect(diff is None, "killed at %.3f s: %s" % (delay, diff))
            old = now
        gpkg_sane(out)


@case
def validate_killed_at_random_moments():
    folder = os.path.join(SCRATCH, "timed")
    os.makedirs(folder, exist_ok=True)
    ref = os.path.join(folder, "ref.gpkg")
    out = os.path.join(folder, "out.gpkg")
    expect(run_killed(demo_validate(ref)) == 0, "reference")
    expect(run_killed(mini_validate(out)) == 0, "earlier output")
    t0 = time.monotonic()
    run_killed(demo_validate(os.path.join(folder, "timing.gpkg")))
    took = time.monotonic() - t0
    rnd = random.Random(7)
    delays = sorted(rnd.uniform(0.0, took * 1.2) for _ in range(10))
    timed_kills(demo_validate(out), out, contents(ref), delays)
    expect(run_killed(demo_validate(out)) == 0, "the next run fails")
    expect(first_difference(contents(out), contents(ref)) is None,
           "the next run differs")
    os.remove(os.path.join(folder, "timing.gpkg"))
    expect(strays(folder) == [], "stray files: %s" % strays(folder))


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
