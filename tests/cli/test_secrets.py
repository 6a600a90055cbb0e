#!/usr/bin/python3
"""Passwords never leave the command: not on stdout or stderr, not in
--json, not in any output (run_metadata, the ledger's runs, every other
table), not in the report the street office is handed.

Usage: test_secrets.py GRIDSMITH_BINARY REPO_ROOT

A password reaches the engine in a PG: connection string (-o, an input,
the ledger), in PGPASSWORD, or in a libpq service file. Each case runs the
command the way a user would and searches everything it printed and
everything it wrote for the secret: files byte by byte, the database
through pg_dump. The PostGIS cases use GS_TEST_PG when given, else start a
throwaway server with scripts/pg_scratch.sh (trust authentication: the
password in the connection string is accepted and ignored, so the run goes
through and the password travels everywhere a real one would); without
PostgreSQL they are skipped. The last line is "N passed, N failed".
"""
import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, run, skip  # noqa: E402

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
MEMBERS = os.path.join(DEMO, "members.csv")
TRACES = os.path.join(DEMO, "traces.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
SECRET = "Zq7-s3cret-Pw"
TMP = tempfile.mkdtemp(prefix="gs_secrets_")
atexit.register(shutil.rmtree, TMP, True)


def start_pg():
    """The test server's connection string, or None."""
    if os.environ.get("GS_TEST_PG"):
        return os.environ["GS_TEST_PG"]
    if not shutil.which("psql") or not os.path.exists(
            "/usr/lib/postgresql/15/bin/initdb"):
        return None
    parent = tempfile.mkdtemp(prefix="gs_secrets_pg_")
    os.chmod(parent, 0o755)  # the server may run as another user
    d = os.path.join(parent, "pg")
    atexit.register(shutil.rmtree, parent, True)
    p = subprocess.run([os.path.join(ROOT, "scripts", "pg_scratch.sh"),
                        "start", d], capture_output=True, text=True)
    if p.returncode != 0:
        print("could not start PostgreSQL: " + p.stderr)
        return None
    atexit.register(subprocess.run, [os.path.join(ROOT, "scripts",
                                                  "pg_scratch.sh"), "stop", d],
                    capture_output=True)
    return p.stdout.strip()


PG = start_pg()


def conn_of(pg):
    """libpq's part of an OGR PG: string."""
    return pg[3:] if pg.startswith("PG:") else pg


def no_secret_in_text(what, text, secret=SECRET):
    expect(secret not in text, "%s shows the password: ...%s..." % (
        what, text[max(0, text.find(secret) - 200):text.find(secret) + 60]))


def no_secret_in_files(folder, secret=SECRET):
    """Every file under folder, byte by byte (GeoPackages included)."""
    n = 0
    for path in glob.glob(os.path.join(folder, "**"), recursive=True):
        if os.path.isfile(path):
            n += 1
            with open(path, "rb") as f:
                data = f.read()
            expect(secret.encode() not in data,
                   "%s holds the password" % path)
    return n


def no_secret_in_db(pg):
    dump = subprocess.run(["pg_dump", "-d", conn_of(pg)], capture_output=True,
                          text=True)
    expect(dump.returncode == 0, "pg_dump: " + dump.stderr)
    expect("gridsmith" in dump.stdout or "run_metadata" in dump.stdout,
           "pg_dump shows nothing")
    no_secret_in_text("the database (pg_dump)", dump.stdout)
    return dump.stdout


def no_secret_in_run(st, so, se, secret=SECRET):
    no_secret_in_text("stdout", so, secret)
    no_secret_in_text("stderr", se, secret)


@case
def failed_connection_names_the_server_not_the_password():
    bad = "PG:dbname=nope host=/nonexistent user=x password=" + SECRET
    for args in (["validate", "--communities", CITY, "--grids", CITY,
                  "--households", CITY, "-o", bad],
                 ["validate", "--communities", CITY, "--grids", CITY,
                  "--households", CITY, "--members", bad, "-o",
                  os.path.join(TMP, "v.gpkg")],
                 ["report", "--ledger", bad, "--week", "2026-W47", "-o",
                  os.path.join(TMP, "r.html")]):
        st, so, se = run(*args)
        expect(st in (3, 4), "exit %d: %s" % (st, se))
        expect("/nonexistent" in se, "the message lacks the server: " + se)
        expect("password=***" in se, "the message lacks password=***: " + se)
        no_secret_in_run(st, so, se)


@case
def quoted_and_uri_passwords_are_redacted_too():
    for bad in ("PG:dbname=nope host=/nonexistent password='%s x'" % SECRET,
                "postgresql://u:%s@/nope?host=/nonexistent" % SECRET):
        st, so, se = run("validate", "--communities", CITY, "--grids", CITY,
                         "--households", CITY, "-o", "PG:" + bad
                         if bad.startswith("postgresql") else bad)
        expect(st == 4, "exit %d: %s" % (st, se))
        no_secret_in_run(st, so, se)


@case
def pgpassword_and_service_file_never_shown():
    """A secret from the environment or a service file is redacted
    wherever it would appear (here: in a file name the message quotes)."""
    svc = os.path.join(TMP, "pg_service.conf")
    env_secret, svc_secret = "EnvPw-7731x", "SvcPw-9172y"
    with open(svc, "w") as f:
        f.write("[grid]\nhost=/nonexistent\ndbname=grid\npassword=%s\n" %
                svc_secret)
    env = dict(os.environ, PGPASSWORD=env_secret, PGSERVICEFILE=svc)
    for secret in (env_secret, svc_secret):
        missing = os.path.join(TMP, secret, "grids.gpkg")
        st, so, se = run("validate", "--communities", CITY, "--grids",
                         missing, "--households", CITY, "-o",
                         os.path.join(TMP, "v2.gpkg"), env=env)
        expect(st == 3, "exit %d: %s" % (st, se))
        expect("grids.gpkg" in se, se)
        no_secret_in_run(st, so, se, secret)
    st, so, se = run("validate", "--communities", CITY, "--grids", CITY,
                     "--households", CITY, "-o", "PG:service=grid", env=env)
    expect(st == 4, "exit %d: %s" % (st, se))
    no_secret_in_run(st, so, se, svc_secret)
    no_secret_in_run(st, so, se, env_secret)


def pg_case(fn):
    if not PG:
        skip(fn.__name__, "no PostgreSQL (GS_TEST_PG, or Debian's "
             "postgresql-15 for a scratch server)")
        return fn
    return case(fn)


@pg_case
def outputs_ledger_and_report_hold_no_password():
    pg = PG + " password=" + SECRET
    out = os.path.join(TMP, "files")
    os.makedirs(out)
    # Inputs from PostgreSQL into a GeoPackage: run_metadata keeps the
    # command line and each input's path.
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL", PG, MEMBERS, "-nln",
                    "members", "-overwrite", "-lco", "SCHEMA=public"],
                   check=True, capture_output=True)
    st, so, se = run("validate", "--communities", CITY, "--grids", CITY,
                     "--households", CITY, "--members", pg, "-o",
                     os.path.join(out, "validate.gpkg"), "--json")
    expect(st == 0, "exit %d: %s" % (st, se))
    no_secret_in_run(st, so, se)
    meta = {r["key"]: r["value"] for r in h.read_layer(
        os.path.join(out, "validate.gpkg"), "run_metadata")}
    for key in ("command_line", "input.members"):
        expect("password=***" in meta[key],
               "run_metadata %s: %s" % (key, meta[key]))
    # Outputs into PostgreSQL: "wrote PG:..." and every table.
    st, so, se = run("patrol", "--grids", CITY, "--members", MEMBERS,
                     "--traces", TRACES, "--calendar", CALENDAR, "--week",
                     "2026-W47", "-o", pg, "--schema", "sec_patrol")
    expect(st == 0, "exit %d: %s" % (st, se))
    no_secret_in_run(st, so, se)
    # The weekly job into PostgreSQL: stages, ledger (runs) and report.
    job = os.path.join(TMP, "job", "job.ini")
    os.makedirs(os.path.dirname(job))
    h.write_job(job, h.demo_inputs(DEMO))
    for args in ((), ("--json",)):
        st, so, se = run("run", job, "-o", pg, "--schema", "sec_w47", *args)
        expect(st == 0, "exit %d: %s" % (st, se))
        no_secret_in_run(st, so, se)
    html = glob.glob(os.path.join(TMP, "job", "out", "report-*.html"))
    expect(html, "no report written")
    with open(html[0], encoding="utf-8") as f:
        page = f.read()
    expect("password=***" in page, "the footer lacks the redacted ledger")
    st, so, se = run("report", "--ledger", pg + " active_schema=sec_w47",
                     "--week", "2026-W47", "-o",
                     os.path.join(out, "report.html"))
    expect(st == 0, "exit %d: %s" % (st, se))
    no_secret_in_run(st, so, se)
    expect(no_secret_in_files(out) >= 2, "no files written")
    no_secret_in_files(os.path.join(TMP, "job"))
    dump = no_secret_in_db(PG)
    expect("command_line" in dump and "password=***" in dump,
           "the database shows no redacted command line")


h.finish()
