#!/usr/bin/python3
"""CLI cases for `gridsmith assess`: the monthly assessment.

Usage: test_cli_assess.py GRIDSMITH_BINARY DEMO_DIR

Runs the demo job into a scratch folder to get a ledger holding 2026-W47,
then assesses November 2026 with a small offline-scores CSV and a small
visits CSV written here: a hand-computed member, visits verified and not,
care targets overdue, the defaults stated, and bad inputs (no ledger, a
month without data, bad CSV rows, options that do not go together) with
their exit status and messages naming file, line and field. The last line
is "N passed, N failed".
"""
import json
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect  # noqa: E402

h.BIN = os.path.abspath(sys.argv[1])
DEMO = os.path.abspath(sys.argv[2])
if not os.path.exists(os.path.join(DEMO, "traces.csv")):
    h.skip("all", "no demo data at " + DEMO)
    h.finish()
SCRATCH = tempfile.mkdtemp(prefix="gs_assess_")
LEDGER = os.path.join(SCRATCH, "out", "ledger.gpkg")
OUT = os.path.join(SCRATCH, "assess.gpkg")


def near(a, b, tol=1e-6):
    return a is not None and abs(a - b) <= tol


def write(name, text):
    path = os.path.join(SCRATCH, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def gridsmith(*args):
    return h.run(*args)


def assess(*args, out=OUT):
    return gridsmith("assess", "--ledger", LEDGER, "--month", "2026-11",
                     "-o", out, *args)


def rows(sql, path=OUT):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql).fetchall()]
    finally:
        con.close()


# M0001: every workday and the week met in the ledger (W47). Special work
# is the mean of special and training, satisfaction of its two rows.
OFFLINE = ("member_id,item,score\n"
           "M0001,information,90\n"
           "M0001,events,80\n"
           "M0001,special,100\n"
           "M0001,training,80\n"
           "M0001,awareness,75\n"
           "M0001,satisfaction,95\n"
           "M0001,satisfaction,85\n"
           "M0002,satisfaction,100\n")

# Against the demo traces: M0001 passes 1.2 m from H0000143 at 15:25:37 on
# 11-19 and 1.1 m from H0000008 at 14:49:00 on 11-16; no fix on Saturday
# 11-21; M0002 is 156 m from H0000143 at its closest that afternoon.
VISITS = ("member_id,household_id,time,kind\n"
          "M0001,H0000143,2026-11-19T15:30:00+08:00,elderly\n"
          "M0001,H0000008,2026-11-16 14:49:00,youth\n"
          "M0001,H0000143,2026-11-21T15:30:00+08:00,elderly\n"
          "M0001,H9999999,2026-11-19T15:30:00+08:00,other\n"
          "M0002,H0000143,2026-11-19T15:30:00+08:00,elderly\n"
          "M0001,H0000143,2026-12-19T15:30:00+08:00,elderly\n")


def visit_args(visits):
    return ["--visits", visits, "--traces", os.path.join(DEMO, "traces.csv"),
            "--households", os.path.join(DEMO, "city.gpkg")]


@case
def demo_ledger_for_the_week():
    job = write("job.ini",
                "[inputs]\ncommunities = %(d)s/city.gpkg\n"
                "grids = %(d)s/city.gpkg\nhouseholds = %(d)s/city.gpkg\n"
                "members = %(d)s/members.csv\ntraces = %(d)s/traces.csv\n"
                "calendar = %(d)s/calendar.csv\n[run]\nweek = 2026-W47\n"
                "[outputs]\ndir = out\nledger = ledger.gpkg\n" % {"d": DEMO})
    code, out, err = gridsmith("run", job, "--quiet")
    expect(code == 0, err)
    expect(os.path.exists(LEDGER), "no ledger")


# Hand-computed (default weights), M0001 with offline scores, no visits:
#   patrol       25 x (0.5 x 5/5 + 0.5 x 1/1)   = 25
#   information  10 x 90/100                     = 9
#   visits       15 x 60/100 (stated default)    = 9
#   events       10 x 80/100                     = 8
#   basic        25 + 9 + 9 + 8                  = 51
#   special      20 x (100 + 80)/2/100           = 18
#   awareness     8 x 75/100 = 6; satisfaction 12 x (95 + 85)/2/100 = 10.8
#   total        51 + 18 + 16.8                  = 85.8 -> 良好
@case
def hand_computed_member_with_offline_scores():
    offline = write("offline.csv", OFFLINE)
    code, out, err = assess("--offline", offline, "--quiet")
    expect(code == 0, err)
    r = rows("SELECT * FROM assessment WHERE member_id = 'M0001'")[0]
    for field, want in (("score_patrol", 25), ("score_information", 9),
                        ("score_visits", 9), ("score_events", 8),
                        ("score_basic", 51), ("score_special", 18),
                        ("score_awareness", 6), ("score_satisfaction", 10.8),
                        ("score_residents", 16.8), ("total", 85.8)):
        expect(near(r[field], want), "%s = %s, not %s" % (field, r[field],
                                                          want))
    expect(r["tier"] == "良好", r["tier"])
    expect(r["defaults_used"] ==
           "visits=60% (no visit records and no offline score)",
           r["defaults_used"])
    expect((r["workdays"], r["workdays_ok"], r["weeks"], r["weeks_ok"]) ==
           (5, 5, 1, 1), r)
    expect(r["period_from"] == "2026-11-02" and r["period_to"] == "2026-11-29",
           r)
    expect("2026-W45" in r["note"] and "2026-W48" in r["note"], r["note"])
    expect(r["care_targets"] is None, "no visits given: NULL, not 0")


@case
def every_member_has_a_row_and_defaults_are_named():
    rs = rows("SELECT member_id, grid_code, total, tier, defaults_used, "
              "geom IS NULL AS nogeom FROM assessment ORDER BY member_id")
    expect(len(rs) == 22, len(rs))
    expect(len({r["member_id"] for r in rs}) == 22, "one row per member")
    for r in rs:
        if r["member_id"] == "M0001":
            continue
        expect("information=60% (no offline score)" in r["defaults_used"], r)
        expect(r["total"] > 0, "a silent zero: %s" % r)
    m2 = [r for r in rs if r["member_id"] == "M0002"][0]
    expect("satisfaction=" not in m2["defaults_used"], m2)
    # M0009's grid does not exist: no shape; M0016 holds two grids.
    m9 = [r for r in rs if r["member_id"] == "M0009"][0]
    expect(m9["nogeom"] == 1 and m9["tier"] == "不合格", m9)
    m16 = [r for r in rs if r["member_id"] == "M0016"][0]
    expect(m16["grid_code"] == "110108002001004;110108002001005", m16)
    expect(sum(r["nogeom"] for r in rs) == 1, "shapes")
    styles = rows("SELECT f_table_name, styleQML FROM layer_styles")
    qml = {s["f_table_name"]: s["styleQML"] for s in styles}
    expect('attr="tier"' in qml["assessment"] and "不合格" in
           qml["assessment"], "tier renderer")
    expect("总分" in qml["assessment"], "aliases")
    meta = {m["key"]: m["value"] for m in rows("SELECT * FROM run_metadata")}
    expect(meta["command"] == "assess" and meta["month"] == "2026-11", meta)
    expect('"satisfaction":12' in meta["rules"].replace(" ", ""),
           meta["rules"])


@case
def visits_verified_and_care_overdue():
    visits = write("visits.csv", VISITS)
    offline = write("offline.csv", OFFLINE)
    code, out, err = assess("--offline", offline, "--json",
                            *visit_args(visits))
    expect(code == 0, err)
    rep = json.loads(out)
    expect(rep["visits"]["recorded"] == 5 and rep["visits"]["verified"] == 2,
           rep["visits"])
    expect(rep["visits"]["outside_period"] == 1, rep["visits"])
    vs = rows("SELECT * FROM visits ORDER BY fid")
    got = [(v["member_id"], v["household_id"], v["verified"]) for v in vs]
    expect(got == [("M0001", "H0000008", 1), ("M0001", "H0000143", 1),
                   ("M0001", "H9999999", 0), ("M0001", "H0000143", 0),
                   ("M0002", "H0000143", 0)], got)
    expect(near(vs[1]["fix_distance_m"], 1.19, 0.05), vs[1])
    expect(vs[1]["fix_time"] == "2026-11-19T07:25:37Z", vs[1])
    expect(near(vs[1]["fix_offset_s"], -263, 1e-9), vs[1])
    expect(vs[1]["time"] == "2026-11-19T07:30:00Z" and
           vs[1]["date"] == "2026-11-19", vs[1])
    expect("not in the households layer" in vs[2]["detail"], vs[2])
    expect("no usable GPS fix within 30 min" in vs[3]["detail"], vs[3])
    expect(vs[4]["fix_distance_m"] > 50 and "m away" in vs[4]["detail"],
           vs[4])
    # H0000143 (elderly_alone, weekly): 4 windows, one met (16-22 Nov).
    od = rows("SELECT * FROM care_overdue WHERE household_id = 'H0000143'")
    expect(len(od) == 1, od)
    o = od[0]
    expect((o["member_id"], o["care_type"], o["interval_days"],
            o["windows_due"], o["windows_met"], o["visits_verified"]) ==
           ("M0001", "elderly_alone", 7, 4, 1, 1), o)
    expect(o["first_missed_from"] == "2026-11-02" and
           o["first_missed_to"] == "2026-11-08", o)
    expect(o["last_visit"] == "2026-11-19T07:30:00Z", o)
    m1 = rows("SELECT * FROM assessment WHERE member_id = 'M0001'")[0]
    expect(m1["care_targets"] == 26 and m1["care_windows_met"] == 2, m1)
    expect(m1["visits_recorded"] == 4 and m1["visits_verified"] == 2, m1)
    expect(near(m1["score_visits"],
                15.0 * m1["care_windows_met"] / m1["care_windows_due"]), m1)
    expect("visits=" not in m1["defaults_used"], m1["defaults_used"])
    n_od = rows("SELECT count(*) AS n FROM care_overdue")[0]["n"]
    expect(rep["visits"]["care_overdue"] == n_od, (rep["visits"], n_od))
    # M0009's grid does not exist: no targets, the default is stated.
    m9 = rows("SELECT * FROM assessment WHERE member_id = 'M0009'")[0]
    expect("visits=60% (no care target and no visit recorded)" in
           m9["defaults_used"], m9)


@case
def strict_exits_1_on_fail_tiers():
    code, out, err = assess("--quiet", "--strict")
    expect(code == 1, (code, err))


@case
def month_without_data():
    code, out, err = gridsmith("assess", "--ledger", LEDGER, "--month",
                               "2026-12", "-o", OUT)
    expect(code == 3, (code, err))
    expect("2026-12" in err and "2026-W49" in err and "2026-W47" in err, err)
    expect(LEDGER in err, err)


@case
def missing_or_bad_ledger():
    missing = os.path.join(SCRATCH, "nowhere.gpkg")
    code, out, err = gridsmith("assess", "--ledger", missing, "--month",
                               "2026-11", "-o", OUT)
    expect(code == 3 and missing in err, (code, err))
    other = os.path.join(SCRATCH, "out", "validate-2026-W47.gpkg")
    code, out, err = gridsmith("assess", "--ledger", other, "--month",
                               "2026-11", "-o", OUT)
    expect(code == 3 and "member_week" in err, (code, err))


@case
def bad_offline_rows_named_by_line():
    before = os.stat(OUT).st_mtime_ns
    bad = write("bad_offline.csv",
                "member_id,item,score\n"
                "M0001,information,90\n"
                "M0001,events,lots\n"
                "M0002,satisfaction,101\n"
                "M0003,charm,50\n"
                "M0004,patrol,50\n"
                ",awareness,50\n")
    code, out, err = assess("--offline", bad)
    expect(code == 3, (code, err))
    expect("bad_offline.csv, line 3, field score" in err and "lots" in err,
           err)
    expect("and 4 more bad rows" in err, err)
    expect(os.stat(OUT).st_mtime_ns == before, "a failed run wrote")
    code, out, err = assess("--offline", bad, "--on-error=skip", "--quiet")
    expect(code == 0, err)
    br = rows("SELECT * FROM bad_rows ORDER BY line")
    expect([(b["line"], b["field"]) for b in br] ==
           [(3, "score"), (4, "score"), (5, "item"), (6, "item"),
            (7, "member_id")], br)
    expect("charm" in br[2]["reason"], br[2])
    m1 = rows("SELECT * FROM assessment WHERE member_id = 'M0001'")[0]
    expect(near(m1["score_information"], 9), m1)
    code, out, err = assess("--offline", write("nohead.csv",
                                               "member_id,score\nM1,5\n"))
    expect(code == 3 and "missing column 'item'" in err, err)
    code, out, err = assess("--offline", write("empty.csv", ""))
    expect(code == 3 and "empty.csv" in err, err)


@case
def bad_visit_rows_named_by_line():
    bad = write("bad_visits.csv",
                "member_id,household_id,time,kind\n"
                "M0001,H0000143,2026-11-19T15:30:00+08:00,elderly\n"
                "M0001,H0000143,2026-11-31 08:00:00,elderly\n")
    code, out, err = assess(*visit_args(bad))
    expect(code == 3, (code, err))
    expect("bad_visits.csv, line 3, field time" in err and
           "2026-11-31" in err, err)


@case
def usage_errors():
    code, out, err = assess("--visits", write("v.csv", VISITS))
    expect(code == 2 and "--traces" in err, (code, err))
    code, out, err = gridsmith("assess", "--ledger", LEDGER, "--month",
                               "11/2026", "-o", OUT)
    expect(code == 2 and "11/2026" in err, (code, err))
    code, out, err = gridsmith("assess", "--ledger", LEDGER, "-o", OUT)
    expect(code == 2 and "--month" in err, (code, err))
    cfg = write("weights.ini", "[assess]\nweight.patrol = 30\n")
    code, out, err = assess("--config", cfg)
    expect(code == 2 and "105" in err, (code, err))
    cfg = write("weights_ok.ini",
                "[assess]\nweight.patrol = 30\nweight.special = 15\n"
                "default.information = 0\n")
    code, out, err = assess("--config", cfg, "--quiet")
    expect(code == 0, err)
    r = rows("SELECT * FROM assessment WHERE member_id = 'M0003'")[0]
    expect(near(r["score_patrol"], 30) and near(r["score_information"], 0),
           r)
    expect("information=0% (no offline score)" in r["defaults_used"], r)
    code, out, err = gridsmith("assess", "--help")
    expect(code == 0 and "care_overdue" in out, code)


if not h._counts["failed"]:
    shutil.rmtree(SCRATCH, ignore_errors=True)  # kept for a look on failure
h.finish()
