#!/usr/bin/python3
"""GDAL users' habits: --config KEY VALUE, --rules (and the former
--config FILE), /vsizip/ and /vsigzip/ inputs, outputs that must be
GeoPackages, --progress without a terminal, and --json failures.

Usage: test_cli_gdal.py GRIDSMITH_BINARY REPO_ROOT
"""
import gzip
import json
import os
import shutil
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_harness import (case, expect, expect_error, finish, read_layer,  # noqa: E402
                         repo_args, run)

BIN, ROOT, MINI, DEMO, CITY = repo_args(sys.argv)
TMP = tempfile.mkdtemp(prefix="gs_gdal_")


def mini(*extra, out=None):
    """validate on the mini city into OUT (default TMP/mini.gpkg)."""
    return run("validate",
               "--communities", os.path.join(MINI, "communities.geojson"),
               "--grids", os.path.join(MINI, "grids.geojson"),
               "--households", os.path.join(MINI, "households.geojson"),
               "--members", os.path.join(MINI, "members.csv"),
               "-o", out or os.path.join(TMP, "mini.gpkg"), *extra)


def rules_json(path):
    rows = read_layer(path, "run_metadata")
    return [r["value"] for r in rows if r["key"] == "rules"][0]


@case
def config_key_value_reaches_gdal():
    # GDAL_SKIP is read when GDAL registers its drivers, i.e. after the
    # options: with the GeoJSON driver skipped the GeoJSON inputs cannot
    # be opened, which shows the option reached GDAL.
    code, _, err = mini("--config", "GDAL_SKIP", "GeoJSON")
    expect_error(code, err, 3, "cannot open")
    code, _, err = mini("--config", "GDAL_SKIP=GeoJSON")
    expect_error(code, err, 3, "cannot open")
    code, out, err = mini("--config", "OGR_SQLITE_CACHE", "512", "--quiet")
    expect(code == 0 and not err, "exit %d: %s" % (code, err))


@case
def config_mistakes_are_usage_errors():
    code, _, err = mini("--config", "OGR_SQLITE_CACHE")
    expect_error(code, err, 2, "needs a value", "KEY VALUE")
    code, _, err = mini("--config", os.path.join(TMP, "no-such-rules.ini"))
    expect_error(code, err, 2, "--rules FILE")


@case
def rules_and_the_former_config_file():
    ini = os.path.join(MINI, "rules.ini")
    a, b = os.path.join(TMP, "rules.gpkg"), os.path.join(TMP, "config.gpkg")
    code, _, err = mini("--rules", ini, "--quiet", out=a)
    expect(code == 0 and not err, "--rules: exit %d: %s" % (code, err))
    code, _, err = mini("--config", ini, "--quiet", out=b)
    expect(code == 0, "--config FILE: exit %d: %s" % (code, err))
    expect("deprecated" in err and "--rules" in err,
           "no deprecation warning: %r" % err)
    expect(rules_json(a) == rules_json(b), "the two read other rules")
    # The rules file did change a threshold from its default.
    code, _, err = mini("--quiet", out=os.path.join(TMP, "default.gpkg"))
    expect(rules_json(a) != rules_json(os.path.join(TMP, "default.gpkg")),
           "rules.ini changes nothing?")
    code, _, err = run("run", os.path.join(DEMO, "job.ini"), "--rules", ini)
    expect_error(code, err, 2, "job file")


@case
def outputs_must_be_geopackages():
    for name in ("x.shp", "x.geojson", "x.csv", "x"):
        path = os.path.join(TMP, name)
        code, _, err = mini(out=path)
        expect_error(code, err, 2, "-o %s" % path, ".gpkg")
        expect(not os.path.exists(path), "%s was written" % name)


@case
def vsi_inputs():
    # The demo city inside a zip, the roster gzipped, read in place.
    z = os.path.join(TMP, "city.zip")
    with zipfile.ZipFile(z, "w") as f:
        f.write(CITY, "data/city.gpkg")
    with open(os.path.join(DEMO, "members.csv"), "rb") as f, \
            gzip.open(os.path.join(TMP, "members.csv.gz"), "wb") as g:
        shutil.copyfileobj(f, g)
    inner = "/vsizip/%s/data/city.gpkg" % z
    out_v = os.path.join(TMP, "vsi.gpkg")
    code, _, err = run("validate", "--communities", inner, "--grids", inner,
                       "--households", inner, "--members",
                       "/vsigzip/" + os.path.join(TMP, "members.csv.gz"),
                       "-o", out_v, "--quiet")
    expect(code == 0, "exit %d: %s" % (code, err))
    out_p = os.path.join(TMP, "plain.gpkg")
    code, _, err = run("validate", "--communities", CITY, "--grids", CITY,
                       "--households", CITY, "--members",
                       os.path.join(DEMO, "members.csv"), "-o", out_p,
                       "--quiet")
    expect(code == 0, "exit %d: %s" % (code, err))
    a = [(r["grid_code"], r["status"], r["households"])
         for r in read_layer(out_v, "grids")]
    b = [(r["grid_code"], r["status"], r["households"])
         for r in read_layer(out_p, "grids")]
    expect(a == b and len(a) == 22, "grids differ: %s vs %s" % (a, b))
    code, _, err = run("validate", "--communities", inner, "--grids",
                       "/vsizip/%s/data/nope.gpkg" % z, "--households",
                       inner, "-o", out_v)
    expect_error(code, err, 3, "nope.gpkg")


@case
def vsigzip_traces():
    # The CSV trace reader reads /vsigzip/ as it reads a plain file.
    gz = os.path.join(TMP, "traces.csv.gz")
    with open(os.path.join(DEMO, "traces.csv"), "rb") as f, \
            gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    common = ["--grids", CITY, "--members", os.path.join(DEMO, "members.csv"),
              "--calendar", os.path.join(DEMO, "calendar.csv"),
              "--week", "2026-W47", "--quiet"]
    a, b = os.path.join(TMP, "p_gz.gpkg"), os.path.join(TMP, "p_plain.gpkg")
    code, _, err = run("patrol", "--traces", "/vsigzip/" + gz, "-o", a,
                       *common)
    expect(code == 0, "gz: exit %d: %s" % (code, err))
    code, _, err = run("patrol", "--traces",
                       os.path.join(DEMO, "traces.csv"), "-o", b, *common)
    expect(code == 0, "plain: exit %d: %s" % (code, err))
    key = ("member_id", "in_grid_tolerant_s", "compliant")
    ra = [tuple(r[k] for k in key) for r in read_layer(a, "member_week")]
    rb = [tuple(r[k] for k in key) for r in read_layer(b, "member_week")]
    expect(ra == rb and ra, "member_week differs")


@case
def progress_without_a_terminal():
    # Not a terminal (the test captures stderr): nothing by default ...
    code, _, err = mini()
    expect(code == 0 and "read grids" not in err, err)
    # ... lines with --progress ...
    code, _, err = mini("--progress")
    expect(code == 0 and "gridsmith: read grids ...\n" in err, err)
    code, _, err = mini("--progress", "plain")
    expect(code == 0 and "gridsmith: write ...\n" in err, err)
    # ... JSON lines for programs, warnings included, even with --quiet.
    code, out, err = mini("--progress=json", "--quiet")
    expect(code == 0 and out == "", "exit %d, stdout %r" % (code, out))
    lines = [json.loads(x) for x in err.splitlines()]
    phases = [x["phase"] for x in lines if x["type"] == "progress"]
    expect("read grids" in phases and phases[-1] == "write", phases)
    code, _, err = mini("--progress=sometimes")
    expect_error(code, err, 2, "plain, json")


@case
def json_failures():
    code, out, err = run("validate", "--grids", "/nonexistent.gpkg",
                         "--communities", "/nonexistent.gpkg",
                         "--households", "/nonexistent.gpkg", "-o",
                         os.path.join(TMP, "f.gpkg"), "--json",
                         "--progress", "json")
    expect(code == 3, "exit %d" % code)
    doc = json.loads(out)
    expect(doc["status"] == "error" and doc["exit_status"] == 3 and
           doc["code"] == 201 and doc["error"] == "input_open" and
           "/nonexistent.gpkg" in doc["message"] and
           doc["command"] == "validate", doc)
    last = json.loads(err.splitlines()[-1])
    expect(last["type"] == "error" and last["code"] == 201, last)
    # Usage errors too, wherever --json stands.
    code, out, _ = run("validate", "--json", "--no-such-option")
    doc = json.loads(out)
    expect(code == 2 and doc["exit_status"] == 2 and doc["error"] == "usage",
           doc)
    code, out, _ = run("frobnicate", "--json")
    doc = json.loads(out)
    expect(code == 2 and "frobnicate" in doc["message"], doc)


try:
    finish()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
