#!/usr/bin/python3
"""CLI cases for `gridsmith run JOB`: the weekly job and its ledger.

Usage: test_cli_run.py GRIDSMITH_BINARY DEMO_DIR

Runs the demo job into a scratch folder and checks the ledger: the week's
rows, idempotence (re-running replaces the week), a second week beside the
first, SIGKILL at many moments during a run leaving the ledger intact (the
old week whole, the new one absent or whole), and bad job files. The last
line is "N passed, N failed".
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
h.BIN = BIN
DEMO = os.path.abspath(sys.argv[2])
if not os.path.exists(os.path.join(DEMO, "traces.csv")):
    h.skip("all", "no demo data at " + DEMO)
    h.finish()
SCRATCH = tempfile.mkdtemp(prefix="gs_run_")


def write_job(name, week="2026-W47", extra="", ledger="ledger.gpkg"):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write("[inputs]\ncommunities = %(d)s/city.gpkg\ngrids = %(d)s/city.gpkg\n"
                "households = %(d)s/city.gpkg\nmembers = %(d)s/members.csv\n"
                "traces = %(d)s/traces.csv\ncalendar = %(d)s/calendar.csv\n"
                "[run]\nweek = %(w)s\n%(x)s[outputs]\ndir = out\nledger = %(l)s\n"
                % {"d": DEMO, "w": week, "x": extra, "l": ledger})
    return path


def run(*args):
    return h.run("run", *args)


LEDGER = os.path.join(SCRATCH, "out", "ledger.gpkg")


def ledger(sql):
    con = sqlite3.connect(LEDGER)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot():
    return {t: ledger("SELECT week, count(*) FROM %s GROUP BY week" % t)
            for t in ("grid_status", "member_day", "member_week")}


@case
def demo_week_recorded():
    code, out, err = run(write_job("job.ini"))
    expect(code == 0, err)
    expect(ledger("SELECT count(*) FROM member_week WHERE week='2026-W47'")
           == [(23,)], ledger("SELECT count(*) FROM member_week"))
    expect(ledger("SELECT count(*) FROM member_day") == [(161,)], "days")
    expect(ledger("SELECT count(*) FROM grid_status") == [(22,)], "grids")
    expect(ledger("SELECT sum(compliant) FROM member_week") == [(18,)], "ok")
    expect(ledger("SELECT count(*) FROM runs") == [(1,)], "runs")
    expect(ledger("PRAGMA integrity_check") == [("ok",)], "integrity")
    expect(os.path.exists(os.path.join(SCRATCH, "out",
                                       "patrol-2026-W47.gpkg")), "patrol")


@case
def rerun_replaces_the_week():
    before = snapshot()
    code, out, err = run(write_job("job.ini"), "--quiet")
    expect(code == 0, err)
    expect(snapshot() == before, "%s != %s" % (snapshot(), before))
    expect(ledger("SELECT count(*) FROM runs") == [(2,)], "runs")


@case
def a_second_week_sits_beside():
    code, out, err = run(write_job("job.ini"), "--week", "2026-W46", "--quiet")
    expect(code == 0, err)
    weeks = ledger("SELECT week, count(*) FROM member_week GROUP BY week")
    expect(weeks == [("2026-W46", 23), ("2026-W47", 23)], weeks)
    # The demo's traces of that week: 18 of the 23 roster rows compliant
    # (M0009 on a grid that does not exist, M0021 short every week).
    expect(ledger("SELECT sum(compliant) FROM member_week "
                  "WHERE week='2026-W46'") == [(18,)], "2026-W46")
    expect(ledger("SELECT member_id FROM member_week WHERE week='2026-W46' "
                  "AND compliant = 0 AND member_id IN ('M0009', 'M0021') "
                  "ORDER BY 1") == [("M0009",), ("M0021",)], "short ones")


@case
def killed_runs_leave_the_ledger_whole():
    before = snapshot()
    job = write_job("job45.ini", week="2026-W45")
    for delay in (0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.3, 1.6):
        p = subprocess.Popen([BIN, "run", job, "--quiet"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        expect(ledger("PRAGMA integrity_check") == [("ok",)],
               "integrity after kill at %.2f s" % delay)
        now = snapshot()
        for table, rows in now.items():
            old = [r for r in rows if r[0] != "2026-W45"]
            expect(old == before[table], "%s changed after kill at %.2f s"
                   % (table, delay))
            new = [r for r in rows if r[0] == "2026-W45"]
            expect(new in ([], [("2026-W45", dict(before[table])["2026-W47"])]),
                   "%s: partial week after kill at %.2f s: %s"
                   % (table, delay, new))
    code, out, err = run(job, "--quiet")
    expect(code == 0, "the next run fails: " + err)


@case
def since_catches_up_week_by_week():
    """run --since runs every week to the job's, oldest first: each is
    recorded (with its own run row) and reported; the text has a line per
    earlier week with numbers equal to the ledger's, the last in full."""
    job = write_job("since.ini", ledger="since.gpkg",
                    extra="")
    with open(job) as f:
        text = f.read().replace("[run]", "events = %s/city.gpkg\n[run]" % DEMO)
    with open(job, "w") as f:
        f.write(text)
    code, out, err = run(job, "--since", "2026-W44")
    expect(code == 0, err)
    con = sqlite3.connect(os.path.join(SCRATCH, "out", "since.gpkg"))
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    weeks = q("SELECT week, count(*) FROM runs GROUP BY week ORDER BY week")
    expect(weeks == [("2026-W44", 1), ("2026-W45", 1), ("2026-W46", 1),
                     ("2026-W47", 1)], weeks)
    for w in ("2026-W44", "2026-W45", "2026-W46", "2026-W47"):
        expect(os.path.exists(os.path.join(SCRATCH, "out",
                                           "report-%s.html" % w)), w)
    lines = out.splitlines()
    expect(lines[0].startswith("run %s: weeks 2026-W44 to 2026-W47" % job),
           lines[0])
    for w in ("2026-W44", "2026-W45", "2026-W46"):
        line = [x for x in lines if x.startswith("  %s:" % w)]
        expect(len(line) == 1, (w, out))
        n, ok = q("SELECT count(*), sum(compliant) FROM member_week WHERE "
                  "week = '%s' AND grid_code IN (SELECT grid_code FROM "
                  "grid_status WHERE week = '%s')" % (w, w))[0]
        opn, od, rep = q("SELECT sum(open), sum(overdue), sum(reported) "
                         "FROM grid_backlog WHERE week = '%s'" % w)[0]
        want = ("  %s: 22 grids; %d of %d members compliant; %d events, %d "
                "open at the week's end (%d overdue);" % (w, ok, n, rep, opn,
                                                          od))
        expect(line[0].startswith(want), (line[0], want))
    expect("run %s: week 2026-W47" % job in out and "validate:" in out, out)
    code, out, err = run(job, "--since", "2026-W48")
    expect(code == 2 and "--since" in err and "after" in err, err)
    code, out, err = run(job, "--since", "W44")
    expect(code == 2 and "--since" in err, err)
    con.close()


@case
def bad_job_files():
    path = os.path.join(SCRATCH, "bad.ini")
    with open(path, "w") as f:
        f.write("[inputs]\ngrids = x.gpkg\nfrobnicate = 1\n")
    code, out, err = run(path)
    expect(code == 2 and "line 3" in err and "frobnicate" in err, err)
    code, out, err = run(write_job("esc.ini", ledger="../elsewhere.gpkg"))
    expect(code == 2 and "ledger" in err and "output directory" in err, err)
    code, out, err = run(write_job("wk.ini", week="2026-W99"))
    expect(code == 2 and "2026-W99" in err, err)
    code, out, err = run(os.path.join(SCRATCH, "missing.ini"))
    expect(code == 2 and "missing.ini" in err, err)
    code, out, err = run()
    expect(code == 2, err)


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
