#!/usr/bin/python3
"""SIGINT and SIGTERM (Ctrl-C, a stopped service) leave no temporaries.

Usage: test_signals.py GRIDSMITH_BINARY REPO_ROOT

A run interrupted while it writes an output (the GeoPackage's temporary
and its -journal, the density raster's .tmp, the report's temporary) or
while it records the week in the ledger ends by the signal itself (the
shell's status 130 or 143), says so on stderr, removes every temporary,
and leaves the earlier outputs and the ledger byte for byte as they were.
The signal arrives at a known step through the test hooks'
GS_TEST_PAUSE_AT (skipped without them); a few signals at random moments
check the same without hooks. The last line is "N passed, N failed".
"""
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, run, skip  # noqa: E402

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
TMP = tempfile.mkdtemp(prefix="gs_signals_")
with open(BIN, "rb") as _f:
    HOOKS = b"GS_TEST_PAUSE_AT" in _f.read()


def leftovers(d):
    """Temporaries, journals and half-made files in folder `d`."""
    return sorted(os.path.basename(p) for p in
                  glob.glob(os.path.join(d, ".*tmp*")) +
                  glob.glob(os.path.join(d, "*-journal")) +
                  glob.glob(os.path.join(d, "*-wal")) +
                  glob.glob(os.path.join(d, "*.tmp")))


def snapshot(d):
    """The sha of every visible file of `d` (the earlier outputs)."""
    return {f: h.sha(os.path.join(d, f)) for f in sorted(os.listdir(d))
            if not f.startswith(".") and
            os.path.isfile(os.path.join(d, f))}


def interrupt(args, sig, pause=None, wait_for=None, delay=None, env=None):
    """Starts gridsmith ARGS; with `pause` ("POINT:MS") sends `sig` once
    the file pattern `wait_for` exists (the process is then asleep at
    POINT), else after `delay` seconds. Returns (status, stderr)."""
    env = dict(env or os.environ)
    if pause:
        env["GS_TEST_PAUSE_AT"] = pause
    p = subprocess.Popen([BIN] + list(args), env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    t0 = time.time()
    if wait_for:
        while not glob.glob(wait_for) and p.poll() is None and \
                time.time() - t0 < 300:
            time.sleep(0.02)
        time.sleep(0.3)  # well inside the pause
    else:
        time.sleep(delay)
    if p.poll() is None:
        p.send_signal(sig)
    _, err = p.communicate(timeout=600)
    return p.returncode, err


def validate_args(out):
    return ("validate", "--grids", CITY, "--communities", CITY,
            "--households", CITY, "-o", out, "--quiet")


def hotspots_args(out):
    return ("hotspots", "--grids", CITY, "--communities", CITY, "--events",
            CITY, "--week", "2026-W47", "-o", out, "--quiet")


def earlier(name, args_of):
    """A folder with an earlier run's outputs of the same name."""
    d = os.path.join(TMP, name)
    os.makedirs(d)
    out = os.path.join(d, "out.gpkg")
    st, so, se = run(*args_of(out))
    expect(st == 0, se)
    return d, out


def check_interrupted(st, err, sig, d, before):
    expect(st == -sig, "status %s (wanted death by signal %d): %s" %
           (st, sig, err[-600:]))
    expect("interrupted" in err and "已中断" in err, "stderr: %r" % err)
    expect(not leftovers(d), "left behind: %s" % leftovers(d))
    expect(snapshot(d) == before, "an earlier output changed")


def signal_while_writing_a_geopackage():
    for sig in (signal.SIGINT, signal.SIGTERM):
        d, out = earlier("gpkg%d" % sig, validate_args)
        before = snapshot(d)
        st, err = interrupt(validate_args(out), sig, pause="out.commit:20000",
                            wait_for=os.path.join(d, ".out.gpkg.*.tmp.gpkg"))
        check_interrupted(st, err, sig, d, before)


def signal_while_writing_the_density_raster():
    d, out = earlier("kde", hotspots_args)
    before = snapshot(d)
    expect(os.path.exists(os.path.join(d, "out_kde.tif")), "no raster")
    st, err = interrupt(hotspots_args(out), signal.SIGTERM,
                        pause="out.commit:20000",
                        wait_for=os.path.join(d, ".out.gpkg.*.tmp.gpkg"))
    check_interrupted(st, err, signal.SIGTERM, d, before)


def run_job(name):
    d = os.path.join(TMP, name)
    os.makedirs(d)
    inputs = h.demo_inputs(DEMO)
    inputs["traces"] = None
    j = h.write_job(os.path.join(d, "job.ini"), inputs, week="2026-W46")
    st, so, se = run("run", j, "--quiet")
    expect(st == 0, se)
    return j, os.path.join(d, "out")


def signal_while_recording_the_ledger():
    """Inside the ledger's transaction the signal waits for the rollback:
    no hot journal is left beside the ledger, nothing of week 47 in it."""
    for sig, point in ((signal.SIGTERM, "ledger.row:20000"),
                       (signal.SIGINT, "ledger.commit:20000")):
        j, out = run_job("ledger%d" % sig)
        before = snapshot(out)
        st, err = interrupt(("run", j, "--week", "2026-W47", "--quiet"), sig,
                            pause=point,
                            wait_for=os.path.join(out, "hotspots-2026-W47*"))
        expect(st == -sig, "%s: status %s: %s" % (point, st, err[-600:]))
        expect("interrupted" in err, "%s: %s" % (point, err))
        # The three stage outputs of week 47 are whole (renamed into
        # place); the ledger and every earlier file are unchanged.
        now = snapshot(out)
        expect({k: v for k, v in now.items() if k in before} == before,
               "%s: an earlier output or the ledger changed" % point)
        expect(not leftovers(out), "left behind: %s" % leftovers(out))
        expect(not [f for f in os.listdir(out) if f.startswith(".")],
               "hidden files: %s" % os.listdir(out))


def signal_while_writing_the_report():
    """The week was recorded again (the stages and the ledger are done
    when the report is written); the earlier report stays whole."""
    j, out = run_job("report")
    report = os.path.join(out, "report-2026-W46.html")
    before = h.sha(report)
    st, err = interrupt(("run", j, "--quiet"), signal.SIGINT,
                        pause="file.rename:20000",
                        wait_for=os.path.join(out, ".report-2026-W46*.tmp"))
    expect(st == -signal.SIGINT, "status %s: %s" % (st, err[-600:]))
    expect("interrupted" in err, err)
    expect(not leftovers(out), "left behind: %s" % leftovers(out))
    expect(h.sha(report) == before, "the earlier report changed")


@case
def signals_at_random_moments_leave_no_temporaries():
    """Without hooks: a signal somewhere in a run of validate or hotspots,
    at a few times between its start and its end."""
    rnd = random.Random(15)
    for k in range(6):
        args_of = validate_args if k % 2 == 0 else hotspots_args
        d, out = earlier("random%d" % k, args_of)
        before = snapshot(d)
        sig = (signal.SIGINT, signal.SIGTERM)[k % 2]
        st, err = interrupt(args_of(out), sig, delay=rnd.uniform(0.05, 1.5),
                            env={k2: v for k2, v in os.environ.items()
                                 if k2 != "GS_TEST_PAUSE_AT"})
        expect(st in (0, -sig), "status %s: %s" % (st, err[-400:]))
        expect(not leftovers(d), "left behind: %s" % leftovers(d))
        if st != 0:
            expect(snapshot(d) == before, "an earlier output changed")


for fn in (signal_while_writing_a_geopackage,
           signal_while_writing_the_density_raster,
           signal_while_recording_the_ledger,
           signal_while_writing_the_report):
    if HOOKS:
        case(fn)
    else:
        skip(fn.__name__, "needs the test hooks (-DGS_TEST_HOOKS=ON)")

h.finish()
shutil.rmtree(TMP, True)
