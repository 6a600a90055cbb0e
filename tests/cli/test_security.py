#!/usr/bin/python3
"""Security: hostile names cannot inject SQL; job files cannot write
outside their output directory.

Usage: test_security.py GRIDSMITH_BINARY PROJECT_DIR

Where user text reaches SQL or OGR: layer names (--layer ROLE=NAME, the
only way a user picks a layer), field names (--field ROLE.FIELD=SOURCE),
weeks (--week, a job's [run] week, the week values a ledger holds) and the
ledger's own SQL (ledger.c's DELETE of a re-run week; the ledger read API (ledger_read.c) selects weeks). Hostile names such as  x"; DROP TABLE grids; --
must be refused with a message naming them, or read as plain names, and
never change a file. Job files: inputs resolve against the job file's
folder whatever the working directory; the ledger must be a plain file in
the output directory (no '..', no absolute path, no folder, no link
pointing elsewhere). The last line is "N passed, N failed".
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, expect_error, read_layer, run, sha  # noqa: E402,E501

from osgeo import gdal  # noqa: E402

gdal.UseExceptions()

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
SCRATCH = tempfile.mkdtemp(prefix="gs_sec_")

HOSTILE = ['x"; DROP TABLE grids; --',
           "x'); DROP TABLE households; --",
           "grids WHERE 1=1; DELETE FROM grids",
           "gpkg_contents",
           "] OR 1=1 --",
           "网格\"'`;--"]


def mini_gpkg(name="mini.gpkg", rename=None):
    """The mini city in one GeoPackage (layers communities, grids,
    households), a layer optionally renamed."""
    path = os.path.join(SCRATCH, name)
    if os.path.exists(path):
        os.remove(path)
    for i, role in enumerate(("communities", "grids", "households")):
        gdal.VectorTranslate(path, os.path.join(MINI, role + ".geojson"),
                             format="GPKG",
                             accessMode="update" if i else None,
                             layerName=(rename or {}).get(role, role))
    return path


def validate(gpkg, *extra, out="v.gpkg"):
    return run("validate", "--communities", gpkg, "--grids", gpkg,
               "--households", gpkg, "--members",
               os.path.join(MINI, "members.csv"), "--config",
               os.path.join(MINI, "rules.ini"),
               "-o", os.path.join(SCRATCH, out), *extra)


def tables(path):
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        con.close()


@case
def hostile_layer_names_are_refused_by_name():
    gpkg = mini_gpkg()
    digest, before = sha(gpkg), tables(gpkg)
    for bad in HOSTILE:
        for role in ("grids", "households", "communities"):
            code, _, err = validate(gpkg, "--layer", "%s=%s" % (role, bad))
            if bad == "gpkg_contents":  # a real table, not a layer
                expect(code == 3, err)
                continue
            expect_error(code, err, 3, "no layer '%s'" % bad, role)
    expect(sha(gpkg) == digest and tables(gpkg) == before,
           "the input changed")


@case
def hostile_layer_names_are_plain_names():
    """A layer that really has such a name is read like any other."""
    code, _, err = validate(mini_gpkg(), out="plain.gpkg")
    expect(code == 0, err)
    want = read_layer(os.path.join(SCRATCH, "plain.gpkg"), "grids")
    for i, bad in enumerate(HOSTILE[:3] + HOSTILE[5:]):
        gpkg = mini_gpkg("hostile%d.gpkg" % i, rename={"grids": bad})
        digest = sha(gpkg)
        code, _, err = validate(gpkg, "--layer", "grids=" + bad,
                                out="h%d.gpkg" % i)
        expect(code == 0, "%r: %s" % (bad, err))
        got = read_layer(os.path.join(SCRATCH, "h%d.gpkg" % i), "grids")
        expect(got == want, "%r: other grids" % bad)
        expect(sha(gpkg) == digest, "%r: the input changed" % bad)


@case
def hostile_field_names():
    gpkg = mini_gpkg()
    digest = sha(gpkg)
    for bad in HOSTILE:
        code, _, err = validate(gpkg, "--field",
                                "households.persons=" + bad)
        expect_error(code, err, 3, "field '%s'" % bad,
                     "households.persons")
    expect(sha(gpkg) == digest, "the input changed")
    # A field that really has such a name is mapped like any other.
    hostile = os.path.join(SCRATCH, "field.gpkg")
    shutil.copy(gpkg, hostile)
    ds = gdal.OpenEx(hostile, gdal.OF_VECTOR | gdal.OF_UPDATE)
    lyr = ds.GetLayerByName("households")
    defn = lyr.GetLayerDefn()
    i = defn.GetFieldIndex("persons")
    fd = gdal.ogr.FieldDefn(HOSTILE[0], defn.GetFieldDefn(i).GetType())
    lyr.AlterFieldDefn(i, fd, gdal.ogr.ALTER_NAME_FLAG)
    ds = None
    code, _, err = validate(hostile, "--field",
                            "households.persons=" + HOSTILE[0],
                            out="field_out.gpkg")
    expect(code == 0, err)
    expect(read_layer(os.path.join(SCRATCH, "field_out.gpkg"), "summary") ==
           read_layer(os.path.join(SCRATCH, "plain.gpkg"), "summary"),
           "the mapped field read differently")


@case
def hostile_weeks_are_refused():
    for bad in ("2026-W47'; DROP TABLE runs; --", "2026-W47' OR '1'='1",
                "2026-W47 --"):
        code, _, err = run("patrol", "--grids", CITY, "--members",
                           os.path.join(DEMO, "members.csv"), "--traces",
                           os.path.join(ROOT, "tests", "data", "traces",
                                        "basic.csv"),
                           "--week", bad, "-o",
                           os.path.join(SCRATCH, "w.gpkg"))
        expect_error(code, err, 2, bad)


# ---- the ledger ------------------------------------------------------------

JOB = os.path.join(SCRATCH, "job")
OUTDIR = os.path.join(JOB, "out")
LEDGER = os.path.join(OUTDIR, "ledger.gpkg")


def write_job(name="job.ini", inputs_dir=DEMO, **outputs):
    """A job file in JOB on the demo city (inputs in `inputs_dir`,
    relative to the job file or absolute) and small traces."""
    os.makedirs(JOB, exist_ok=True)
    inputs = h.demo_inputs(inputs_dir)
    inputs.update(traces=os.path.join(ROOT, "tests", "data", "traces",
                                      "basic.csv"), calendar=None, events=None)
    outputs.setdefault("ledger", "ledger.gpkg")
    return h.write_job(os.path.join(JOB, name), inputs, **outputs)


def listing(top):
    found = []
    for d, _, files in os.walk(top):
        found += [os.path.join(d, f) for f in files]
    return sorted(found)


@case
def inputs_resolve_against_the_job_file():
    # Inputs named relative to the job file; run from another folder.
    os.makedirs(JOB, exist_ok=True)
    data = os.path.join(JOB, "data")
    os.makedirs(data, exist_ok=True)
    for f in ("city.gpkg", "members.csv"):
        shutil.copy(os.path.join(DEMO, f), data)
    job = write_job("rel.ini", inputs_dir="data")
    p = subprocess.run([BIN, "run", job, "--quiet"], capture_output=True,
                       text=True, cwd="/")
    expect(p.returncode == 0, p.stderr)
    expect(os.path.exists(LEDGER), "no ledger in the job's out/")


@case
def ledger_paths_outside_the_output_directory_are_refused():
    outside = os.path.join(SCRATCH, "outside")
    os.makedirs(outside, exist_ok=True)
    write_job("esc.ini")
    before = listing(SCRATCH)
    digest = sha(LEDGER)
    for bad in ("../ledger.gpkg", "../outside/ledger.gpkg",
                os.path.join(outside, "ledger.gpkg"), "sub/ledger.gpkg",
                "..", ".", "x/../../ledger.gpkg", "..\\ledger.gpkg"):
        job = write_job("esc.ini", ledger=bad)
        code, _, err = run("run", job, "--quiet")
        expect_error(code, err, 2, "esc.ini", "[outputs] ledger = '%s'" % bad,
                     "must be a file name in the output directory")
    job = write_job("esc.ini", ledger="")
    code, _, err = run("run", job, "--quiet")
    expect_error(code, err, 2, "[outputs] ledger = ''")
    expect(listing(SCRATCH) == before,
           "files appeared: %s" % (set(listing(SCRATCH)) - set(before)))
    expect(sha(LEDGER) == digest, "the ledger changed")


@case
def a_ledger_linked_outside_is_refused():
    outside = os.path.join(SCRATCH, "outside", "elsewhere.gpkg")
    shutil.copy(LEDGER, outside)
    digest = sha(outside)
    link = os.path.join(OUTDIR, "linked.gpkg")
    os.symlink(outside, link)
    job = write_job("link.ini", ledger="linked.gpkg")
    code, _, err = run("run", job, "--quiet")
    expect_error(code, err, 2, "linked.gpkg", "symbolic link")
    expect(sha(outside) == digest, "wrote through the link")
    os.remove(link)
    os.makedirs(os.path.join(OUTDIR, "adir.gpkg"))
    code, _, err = run("run", write_job("dir.ini", ledger="adir.gpkg"),
                       "--quiet")
    expect_error(code, err, 2, "adir.gpkg", "directory")


@case
def re_running_a_week_deletes_that_week_only():
    """ledger.c's DELETE quotes the week: a row whose week holds SQL is
    data, kept, and the other weeks too."""
    ds = gdal.OpenEx(LEDGER, gdal.OF_VECTOR | gdal.OF_UPDATE)
    for week in ("2026-W46", "2026-W47' OR '1'='1", "x\"; DROP TABLE runs"):
        ds.ExecuteSQL("INSERT INTO member_week (week, member_id) "
                      "VALUES ('%s', 'M9')" % week.replace("'", "''"))
    ds = None
    code, _, err = run("run", write_job(), "--quiet")
    expect(code == 0, err)
    con = sqlite3.connect(LEDGER)
    try:
        rows = con.execute("SELECT week FROM member_week WHERE member_id = "
                           "'M9' ORDER BY week").fetchall()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()
    expect(rows == [("2026-W46",), ("2026-W47' OR '1'='1",),
                    ("x\"; DROP TABLE runs",)], rows)
    expect(runs >= 2, "runs table damaged")


@case
def report_reads_a_hostile_ledger_safely():
    hostile = os.path.join(SCRATCH, "hostile_ledger.gpkg")
    shutil.copy(LEDGER, hostile)
    ds = gdal.OpenEx(hostile, gdal.OF_VECTOR | gdal.OF_UPDATE)
    ds.ExecuteSQL("UPDATE grid_status SET week = "
                  "'2026-W99'' UNION SELECT 1 --' "
                  "WHERE fid = (SELECT min(fid) FROM grid_status)")
    ds = None
    digest = sha(hostile)
    out = os.path.join(SCRATCH, "r.html")
    code, _, err = run("report", "--ledger", hostile, "-o", out)
    expect_error(code, err, 3, "is not an ISO week")
    code, _, err = run("report", "--ledger", hostile, "--week", "2026-W47",
                       "-o", out)
    expect(code == 0, err)
    code, _, err = run("assess", "--ledger", hostile, "--month", "2026-11",
                       "-o", os.path.join(SCRATCH, "a.gpkg"))
    expect(code == 0, err)
    expect(sha(hostile) == digest, "the ledger changed")


shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
