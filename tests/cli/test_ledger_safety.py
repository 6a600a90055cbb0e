#!/usr/bin/python3
"""The ledger (电子化台账) keeps every recorded week, whatever happens.

Usage: test_ledger_safety.py GRIDSMITH_BINARY REPO_ROOT

A ledger named like a file the job writes is refused before anything is
written; two runs creating the ledger at once keep both weeks; a later
week's extra categories are recorded; a shard's run into a GeoPackage
ledger replaces only its own rows; a ledger another program holds locked
is exit 4 with "locked by another program" for run, report and assess; a
full disk while recording names the ledger; a report that fails after
the week was recorded says so. Cases that need the test hooks (a pause at
a known step) or a private mount (a tiny file system) are skipped where
those are missing. The last line is "N passed, N failed".
"""
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, run, skip  # noqa: E402

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
TMP = tempfile.mkdtemp(prefix="gs_ledger_")
with open(BIN, "rb") as _f:
    _exe = _f.read()
HOOKS = b"GS_TEST_PAUSE_AT" in _exe
SANITIZED = b"libasan.so" in _exe or b"__asan_init" in _exe


def job(name, week=None, events=None, **outputs):
    """A job in its own folder: the demo city without traces (fast), with
    `events` (a path) or none."""
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    inputs = h.demo_inputs(DEMO)
    inputs["traces"] = None
    inputs["events"] = events
    return h.write_job(os.path.join(d, "job.ini"), inputs,
                       week="2026-W47" if week is None else week, **outputs)


def weeks(ledger, table="grid_status"):
    c = sqlite3.connect(ledger)
    try:
        return sorted(r[0] for r in c.execute(
            "SELECT DISTINCT week FROM %s" % table))
    finally:
        c.close()


@case
def ledger_named_like_an_output_is_refused_before_writing():
    for bad in ("validate-2026-W47.gpkg", "hotspots-2026-W48.gpkg",
                "patrol-2026-W01.gpkg", "report-2026-W47.html",
                "Validate-2026-W47.GPKG", ".ledger.gpkg", "ledger.txt"):
        j = job("named", ledger=bad)
        out = os.path.join(os.path.dirname(j), "out")
        shutil.rmtree(out, True)
        st, so, se = run("run", j)
        expect(st == 2, "%s: exit %d: %s" % (bad, st, se))
        expect("ledger" in se and bad in se, se)
        left = os.listdir(out) if os.path.exists(out) else []
        expect(not left, "%s: something was written: %s" % (bad, left))


def race(name, pause):
    """Two runs (weeks 46 and 47) creating one ledger at the same time."""
    j46 = job(name, week="2026-W46")
    j47 = os.path.join(os.path.dirname(j46), "job47.ini")
    shutil.copy(j46, j47)
    with open(j47, encoding="utf-8") as f:
        text = f.read().replace("2026-W46", "2026-W47")
    with open(j47, "w", encoding="utf-8") as f:
        f.write(text)
    env = dict(os.environ)
    if pause:
        # The first to find no ledger waits there, holding its turn.
        env["GS_TEST_PAUSE_AT"] = "ledger.create:1500"
    procs = [subprocess.Popen([BIN, "run", j, "--quiet"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for j in (j46, j47)]
    for p in procs:
        so, se = p.communicate(timeout=600)
        # The second run waits its turn (the ledger's write transaction
        # holds the write lock from its start): both record, also when one
        # run's commit meets the other reading the ledger or storing its
        # QGIS project.
        expect(p.returncode == 0, "exit %d: %s" % (p.returncode, se))
        expect("QGIS project" not in se, "project not stored: %s" % se)
    ledger = os.path.join(os.path.dirname(j46), "out", "ledger.gpkg")
    c = sqlite3.connect(ledger)
    try:
        projects = sorted(r[0] for r in c.execute(
            "SELECT name FROM qgis_projects"))
    finally:
        c.close()
    expect(len(projects) == 2 and "2026-W46" in projects[0] and
           "2026-W47" in projects[1], "QGIS projects: %s" % projects)
    expect(weeks(ledger) == ["2026-W46", "2026-W47"],
           "weeks in the ledger: %s" % weeks(ledger))
    expect(weeks(ledger, "runs") == ["2026-W46", "2026-W47"],
           "runs: %s" % weeks(ledger, "runs"))
    expect(not glob.glob(os.path.join(os.path.dirname(ledger), ".*tmp*")),
           "temporaries left")


@case
def two_runs_creating_the_ledger_at_once_keep_both_weeks():
    for k in range(3):
        race("race%d" % k, pause=False)
    if HOOKS:
        race("race_paused", pause=True)


@case
def a_later_weeks_extra_categories_are_recorded():
    """Week 46 has two categories, week 47 four: the ledger's grid_events
    gains cat_3 and cat_4 and their counts equal the stage's."""
    ev = os.path.join(TMP, "cats.csv")
    with open(ev, "w", encoding="utf-8") as f:
        f.write("event_id,category,reported_at,resolved_at,status,"
                "grid_code,lon,lat\n")
        n = 0
        for day, cats in (("2026-11-10", ["环境卫生", "噪音扰民"]),
                          ("2026-11-17", ["环境卫生", "噪音扰民", "占道经营",
                                          "设施损坏"])):
            for i, c in enumerate(cats):
                for k in range(len(cats) - i):
                    n += 1
                    f.write("E%d,%s,%s 09:00,,open,,%.5f,39.981%d\n" %
                            (n, c, day, 116.2946 + 0.0001 * k, i))
    j = job("cats", week="2026-W46", events=ev)
    for w in ("2026-W46", "2026-W47"):
        st, so, se = run("run", j, "--week", w, "--quiet")
        expect(st == 0, "%s: exit %d: %s" % (w, st, se))
    out = os.path.join(os.path.dirname(j), "out")
    c = sqlite3.connect(os.path.join(out, "ledger.gpkg"))
    cols = [r[1] for r in c.execute("PRAGMA table_info(grid_events)")]
    expect("cat_3" in cols and "cat_4" in cols, "columns: %s" % cols)
    got = c.execute("SELECT sum(cat_1), sum(cat_2), sum(cat_3), sum(cat_4) "
                    "FROM grid_events WHERE week = '2026-W47'").fetchone()
    c.close()
    s = sqlite3.connect(os.path.join(out, "hotspots-2026-W47.gpkg"))
    want = s.execute("SELECT sum(cat_1), sum(cat_2), sum(cat_3), sum(cat_4) "
                     "FROM grid_events").fetchone()
    s.close()
    expect(got == want and want[3] > 0, "ledger %s, stage %s" % (got, want))


@case
def shards_into_a_geopackage_ledger_keep_each_others_rows():
    j = job("shards")
    for shard in ("110108001", "110108002"):
        st, so, se = run("run", j, "--shard", shard, "--quiet")
        expect(st == 0, "%s: exit %d: %s" % (shard, st, se))
    c = sqlite3.connect(os.path.join(os.path.dirname(j), "out", "ledger.gpkg"))
    streets = sorted(r[0] for r in c.execute(
        "SELECT DISTINCT substr(community_code, 1, 9) FROM grid_status "
        "WHERE week = '2026-W47'"))
    c.close()
    expect(streets == ["110108001", "110108002"],
           "streets in the ledger's week: %s" % streets)
    # Re-running one shard replaces its rows only.
    st, so, se = run("run", j, "--shard", "110108001", "--quiet")
    c = sqlite3.connect(os.path.join(os.path.dirname(j), "out", "ledger.gpkg"))
    n = dict(c.execute("SELECT substr(community_code, 1, 9), count(*) FROM "
                       "grid_status GROUP BY 1"))
    c.close()
    expect(st == 0 and n.get("110108002", 0) > 0 and
           n.get("110108001", 0) > 0, "rows per street: %s" % n)


class Locked:
    """Another program holding the ledger in a write transaction."""

    HOLD = ("import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n")

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.p = subprocess.Popen([sys.executable, "-c", self.HOLD,
                                   self.path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        expect(self.p.stdout.readline().strip() == "locked", "no lock")

    def __exit__(self, *exc):
        self.p.stdin.close()
        self.p.wait()


@case
def a_locked_ledger_is_exit_4_not_bad_input():
    j = job("locked")
    st, so, se = run("run", j, "--quiet")
    expect(st == 0, se)
    ledger = os.path.join(os.path.dirname(j), "out", "ledger.gpkg")
    before = h.sha(ledger)
    with Locked(ledger):
        for args in (("report", "--ledger", ledger, "--week", "2026-W47",
                      "-o", os.path.join(TMP, "r.html")),
                     ("assess", "--ledger", ledger, "--month", "2026-11",
                      "-o", os.path.join(TMP, "a.gpkg")),
                     ("run", j, "--week", "2026-W46")):
            t0 = time.time()
            st, so, se = run(*args)
            expect(st == 4, "%s: exit %d: %s" % (args[0], st, se))
            expect("locked by another program" in se and ledger in se,
                   "%s: %s" % (args[0], se))
            expect(time.time() - t0 < 120, "waited too long")
    expect(h.sha(ledger) == before, "the ledger changed")
    expect(weeks(ledger) == ["2026-W47"], weeks(ledger))


@case
def a_report_that_fails_after_recording_says_what_was_recorded():
    j = job("report_fails")
    out = os.path.join(os.path.dirname(j), "out")
    os.makedirs(os.path.join(out, "report-2026-W47.html"))  # in the way
    st, so, se = run("run", j)
    expect(st == 4, "exit %d: %s" % (st, se))
    expect("2026-W47 was recorded in the ledger" in se and
           "ledger.gpkg" in se and "report" in se, se)
    expect(weeks(os.path.join(out, "ledger.gpkg")) == ["2026-W47"],
           "the week is not in the ledger")


def unshare_ok():
    return shutil.which("unshare") and subprocess.run(
        ["unshare", "-rm", "true"], capture_output=True).returncode == 0


def a_full_disk_while_recording_names_the_ledger():
    j = job("full")
    disk = os.path.join(os.path.dirname(j), "out")
    os.makedirs(disk, exist_ok=True)
    script = os.path.join(TMP, "full.sh")
    with open(script, "w") as f:
        f.write("""set -u
mount -t tmpfs -o size=3m tmpfs '%(d)s' || exit 77
GS_TEST_PAUSE_AT=ledger.begin:5000 '%(bin)s' run '%(job)s' --quiet \
    > '%(t)s/full.out' 2> '%(t)s/full.err' &
pid=$!
# The disk fills once the run is asleep inside the ledger's transaction
# (the ledger exists), however loaded the machine.
n=0
while [ ! -e '%(d)s/ledger.gpkg' ] && [ $n -lt 3000 ]; do
    sleep 0.1; n=$((n + 1))
done
sleep 0.5
dd if=/dev/zero of='%(d)s/filler' bs=64k 2>/dev/null
wait $pid
echo $? > '%(t)s/full.rc'
ls -a '%(d)s' > '%(t)s/full.ls'
""" % {"d": disk, "bin": BIN, "job": j, "t": TMP})
    p = subprocess.run(["unshare", "-rm", "sh", script], capture_output=True,
                       text=True)
    expect(p.returncode != 77, "no tmpfs in the private mount namespace")
    with open(os.path.join(TMP, "full.rc")) as f:
        rc = int(f.read())
    with open(os.path.join(TMP, "full.err")) as f:
        err = f.read()
    expect(rc == 4, "exit %d: %s" % (rc, err))
    expect("ledger.gpkg: the disk is full" in err,
           "the message should name the ledger: " + err)


def a_full_disk_names_the_output():
    """Every size of a too-small disk gives the same message: the output,
    its temporary file, and that the disk is full."""
    disk = os.path.join(TMP, "tiny")
    os.makedirs(disk, exist_ok=True)
    for size in ("40k", "100k", "150k"):
        p = subprocess.run(
            ["unshare", "-rm", "sh", "-c",
             "mount -t tmpfs -o size=%s tmpfs '%s' || exit 77; "
             "'%s' validate --grids '%s' --communities '%s' --households "
             "'%s' -o '%s/v.gpkg' --quiet; echo rc=$?; ls -a '%s'" %
             (size, disk, BIN, CITY, CITY, CITY, disk, disk)],
            capture_output=True, text=True)
        expect("rc=4" in p.stdout, "%s: %s %s" % (size, p.stdout, p.stderr))
        expect("v.gpkg: the disk is full" in p.stderr and ".tmp.gpkg" in
               p.stderr, "%s: %s" % (size, p.stderr))
        expect(".tmp" not in p.stdout, "temporary left: " + p.stdout)


def default_week_is_the_last_complete_one_in_the_jobs_zone():
    """Monday 23 November 2026, 02:00 UTC: 10:00 on Monday in Beijing (week
    47 is complete), still Sunday 18:00 in Los Angeles (it is not)."""
    import calendar
    now = calendar.timegm((2026, 11, 23, 2, 0, 0))
    for tz, want in (("Asia/Shanghai", "2026-W47"),
                     ("America/Los_Angeles", "2026-W46")):
        j = job("tz_" + tz.replace("/", "_"), week="")
        with open(j, encoding="utf-8") as f:
            text = f.read().replace("[run]\n", "[run]\ntz = %s\n" % tz)
        with open(j, "w", encoding="utf-8") as f:
            f.write(text)
        st, so, se = run("run", j, "--json",
                         env=dict(os.environ, GS_TEST_NOW=str(now)))
        expect(st == 0, "%s: exit %d: %s" % (tz, st, se))
        import json
        expect(json.loads(so)["week"] == want,
               "%s: week %s, wanted %s" % (tz, json.loads(so)["week"], want))


if HOOKS:
    case(default_week_is_the_last_complete_one_in_the_jobs_zone)
else:
    skip("default_week_is_the_last_complete_one_in_the_jobs_zone",
         "needs the test hooks (GS_TEST_NOW)")
if unshare_ok():
    case(a_full_disk_names_the_output)
else:
    skip("a_full_disk_names_the_output",
         "needs a private mount namespace (unshare -rm)")
if HOOKS and unshare_ok():
    case(a_full_disk_while_recording_names_the_ledger)
else:
    skip("a_full_disk_while_recording_names_the_ledger",
         "needs the test hooks (-DGS_TEST_HOOKS=ON) and a private mount "
         "namespace (unshare -rm)")

h.finish()
shutil.rmtree(TMP, True)
