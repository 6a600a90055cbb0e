#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Regenerate the field tables of docs/outputs.md from real outputs.

    scripts/gen_docs_outputs.py [--check] [--binary PATH] [--doc PATH]

Runs the built engine (build/gridsmith, or --binary, or $GS_BUILD_DIR/
gridsmith) on the bundled demo city (datasets/demo) into a temporary
directory: the weekly job and each command on its own, as
scripts/snapshot.sh runs them. Then it reads every GeoPackage written --
its layers, each field's name and type, and the Chinese aliases from the
QGIS styles in `layer_styles` -- and writes one table per layer into
docs/outputs.md, between markers of this form:

    <!-- BEGIN GENERATED validate/grids -->
    ...
    <!-- END GENERATED validate/grids -->

Only what lies between the markers is rewritten. The prose around them,
and the `meaning` column inside them, are written by hand: the meaning of
each field is kept by field name when a table is regenerated. A field
that has no meaning yet gets "(to be described)".

--check regenerates in memory and exits 1 when docs/outputs.md differs
from what it would write, when a field has no meaning, or when a layer
has no block (or a block no layer); 0 when the file is up to date. The
test suite can run it with the binary it built:

    /usr/bin/python3 scripts/gen_docs_outputs.py --check --binary BUILD/gridsmith

Exit status: 0 done (or up to date); 1 out of date (--check) or blocks
to add or remove by hand; 2 usage error, no binary, or a command that
failed. Only the Python standard library is used (sqlite3 reads the
GeoPackages; the QML is XML).
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "datasets", "demo")
DOC = os.path.join(ROOT, "docs", "outputs.md")
WEEK = "2026-W47"
MONTH = "2026-11"
TODO = "(to be described)"

# The extra assessment's inputs (as scripts/snapshot.sh writes them): offline
# scores, and visits to verify against the traces and the care targets, so
# that every layer of `assess` is written.
OFFLINE_CSV = """member_id,item,score
M0001,information,90
M0001,events,80
M0001,special,100
M0001,training,80
M0001,awareness,75
M0001,satisfaction,95
M0002,satisfaction,100
"""
VISITS_CSV = """member_id,household_id,time,kind
M0001,H0000143,2026-11-19T15:30:00+08:00,elderly
M0001,H0000008,2026-11-16 14:49:00,youth
M0002,H0000143,2026-11-19T15:30:00+08:00,elderly
"""

BEGIN = re.compile(r"^<!-- BEGIN GENERATED (\S+) -->$")
END = "<!-- END GENERATED {} -->"
CAT = re.compile(r"^cat_[0-9]+$")


def fail(msg, code=2):
    print("gen_docs_outputs: " + msg, file=sys.stderr)
    sys.exit(code)


# ---- running the engine ---------------------------------------------------


def run_engine(binary, tmp):
    """Runs the job and every command on the demo; returns {name: path}."""
    env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")
    env.pop("GS_TEST_KILL_AT", None)
    city = os.path.join(DEMO, "city.gpkg")
    members = os.path.join(DEMO, "members.csv")
    traces = os.path.join(DEMO, "traces.csv")
    calendar = os.path.join(DEMO, "calendar.csv")
    job_dir = os.path.join(tmp, "job")
    cmd_dir = os.path.join(tmp, "cmd")
    os.makedirs(cmd_dir)
    # The demo's job file with absolute inputs and the output directory in
    # the temporary directory (a job file's paths are relative to it).
    job = os.path.join(tmp, "job.ini")
    with open(job, "w", encoding="utf-8") as f:
        f.write("[inputs]\n")
        for role in ("communities", "grids", "households", "events"):
            f.write("%s = %s\n" % (role, city))
        f.write("members = %s\ntraces = %s\ncalendar = %s\n"
                % (members, traces, calendar))
        f.write("trace_crs = wgs84\n[run]\nweek = %s\n" % WEEK)
        f.write("[outputs]\ndir = %s\nledger = ledger.gpkg\n" % job_dir)
    offline = os.path.join(tmp, "offline.csv")
    visits = os.path.join(tmp, "visits.csv")
    with open(offline, "w", encoding="utf-8") as f:
        f.write(OFFLINE_CSV)
    with open(visits, "w", encoding="utf-8") as f:
        f.write(VISITS_CSV)
    ledger = os.path.join(job_dir, "ledger.gpkg")

    def out(name):
        return os.path.join(cmd_dir, name + ".gpkg")

    runs = [
        ("run", ["run", job]),
        ("validate", ["validate", "--communities", city, "--grids", city,
                      "--households", city, "--members", members,
                      "-o", out("validate")]),
        ("patrol", ["patrol", "--grids", city, "--members", members,
                    "--traces", traces, "--households", city,
                    "--calendar", calendar, "--week", WEEK,
                    "-o", out("patrol")]),
        ("hotspots", ["hotspots", "--grids", city, "--events", city,
                      "--communities", city, "--households", city,
                      "--calendar", calendar, "--week", WEEK,
                      "-o", out("hotspots")]),
        ("partition", ["partition", "--communities", city,
                       "--households", city, "--barriers", city,
                       "-o", out("partition")]),
        ("redivide", ["partition", "--existing", city, "--communities", city,
                      "--households", city, "--barriers", city,
                      "-o", out("redivide")]),
        ("assess", ["assess", "--ledger", ledger, "--month", MONTH,
                    "-o", out("assess")]),
        ("assess_full", ["assess", "--ledger", ledger, "--month", MONTH,
                         "--offline", offline, "--visits", visits,
                         "--traces", traces, "--households", city,
                         "--on-error=skip", "-o", out("assess_full")]),
    ]
    for name, args in runs:
        p = subprocess.run([binary] + args,
                           cwd=tmp, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            fail("gridsmith %s exited %d:\n%s" % (name, p.returncode,
                                                  p.stderr.strip()))
    files = {name: out(name) for name, _ in runs[1:]}
    for stage in ("validate", "patrol", "hotspots"):
        files["run_" + stage] = os.path.join(job_dir,
                                             "%s-%s.gpkg" % (stage, WEEK))
    files["ledger"] = ledger
    return files


# ---- reading a GeoPackage -------------------------------------------------


def read_gpkg(path):
    """[(layer, geometry type or None, [(field, type, alias)]), ...] in the
    order of gpkg_contents, without layer_styles; run_metadata keys."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        aliases = {}
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = "
                      "'layer_styles'").fetchone():
            for table, qml in db.execute(
                    "SELECT f_table_name, styleQML FROM layer_styles"):
                root = ET.fromstring(qml)
                aliases[table] = {a.get("field"): a.get("name")
                                  for a in root.iter("alias")}
        geoms = {t: (c, g.upper()) for t, c, g in db.execute(
            "SELECT table_name, column_name, geometry_type_name "
            "FROM gpkg_geometry_columns")}
        layers = []
        for (table,) in db.execute(
                "SELECT table_name FROM gpkg_contents ORDER BY rowid"):
            if table == "layer_styles":
                continue
            gcol, gtype = geoms.get(table, (None, None))
            fields = []
            for _cid, name, typ, _nn, _dflt, pk in db.execute(
                    'PRAGMA table_info("%s")' % table.replace('"', '""')):
                if pk or name == gcol:
                    continue
                fields.append((name, typ.upper(),
                               aliases.get(table, {}).get(name) or ""))
            layers.append((table, gtype, fields))
        keys = []
        if any(t == "run_metadata" for t, _, _ in layers):
            keys = [k for (k,) in db.execute(
                "SELECT key FROM run_metadata ORDER BY fid")]
        return layers, keys
    finally:
        db.close()


def schema(layers):
    return {name: (g, f) for name, g, f in layers}


# ---- what the document holds ------------------------------------------------


def collect(files):
    """The blocks to generate: {block id: rows}, each row (field, type,
    alias) plus a geometry line; and the consistency problems."""
    problems = []
    read = {name: read_gpkg(path) for name, path in files.items()}
    blocks = {}

    def add(cmd, layers, skip=()):
        for name, gtype, fields in layers:
            if name in skip:
                continue
            blocks["%s/%s" % (cmd, name)] = (gtype, fields)

    # A command's layers. partition --existing and assess with every input
    # write a superset of the plain runs: check they agree, document once.
    add("validate", read["validate"][0], skip=("run_metadata",))
    add("patrol", read["patrol"][0], skip=("run_metadata",))
    add("hotspots", read["hotspots"][0], skip=("run_metadata",))
    add("partition", read["redivide"][0], skip=("run_metadata",))
    add("assess", read["assess_full"][0], skip=("run_metadata",))
    add("ledger", read["ledger"][0])
    for small, big in (("partition", "redivide"), ("assess", "assess_full")):
        s, b = schema(read[small][0]), schema(read[big][0])
        for layer, v in s.items():
            if b.get(layer) != v:
                problems.append("%s's layer %s differs from %s's"
                                % (small, layer, big))
    # The weekly job writes each stage as the command writes it.
    for stage in ("validate", "patrol", "hotspots"):
        if schema(read["run_" + stage][0]) != schema(read[stage][0]):
            problems.append("run's %s-%s.gpkg has other layers or fields "
                            "than `gridsmith %s`" % (stage, WEEK, stage))
    # run_metadata: the same two fields everywhere; its keys per command.
    meta = {}
    for cmd, src in (("validate", "validate"), ("patrol", "patrol"),
                     ("hotspots", "hotspots"), ("partition", "redivide"),
                     ("assess", "assess_full")):
        layers, keys = read[src]
        blocks["common/run_metadata"] = schema(layers)["run_metadata"]
        for k in keys:
            if k.startswith("input."):
                k = "input.ROLE"
            meta.setdefault(k, [])
            if cmd not in meta[k]:
                meta[k].append(cmd)
    blocks["common/run_metadata_keys"] = ("KEYS", meta)
    return blocks, problems


def esc(s):
    return s.replace("|", "\\|")


def split_row(line):
    """The cells of a Markdown table row, '\\|' kept inside a cell."""
    cells, cur, i = [], "", 0
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur += "\\|"
            i += 2
            continue
        if body[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += body[i]
        i += 1
    cells.append(cur.strip())
    return cells


def old_meanings(lines):
    """field -> meaning from an existing generated table (last column)."""
    out = {}
    for line in lines:
        if not line.startswith("| `"):
            continue
        cells = split_row(line)
        m = re.match(r"^`([^`]+)`", cells[0])
        key = "cat_N" if "`cat_N`" in cells[0] else m and m.group(1)
        if key and cells[-1] != TODO:
            out[key] = cells[-1]
    return out


def render(block, spec, meanings):
    """The lines between a block's markers."""
    if spec[0] == "KEYS":
        lines = ["| key | written by | meaning |", "|---|---|---|"]
        for key, cmds in spec[1].items():
            lines.append("| `%s` | %s | %s |" % (
                key, ", ".join(cmds), meanings.get(key, TODO)))
        return lines
    gtype, fields = spec
    lines = ["Geometry: %s." % ("`%s`" % gtype if gtype else
                                "none (an attribute table)"), "",
             "| field | type | 中文别名 (QGIS alias) | meaning |",
             "|---|---|---|---|"]
    i = 0
    while i < len(fields):
        name, typ, alias = fields[i]
        if CAT.match(name):
            j = i
            while j < len(fields) and CAT.match(fields[j][0]):
                j += 1
            lines.append("| `cat_1` … `cat_N` | %s | %s | %s |" % (
                typ, "the category's own name (demo: `cat_1` = %s)"
                % esc(alias) if alias else "—", meanings.get("cat_N", TODO)))
            i = j
            continue
        lines.append("| `%s` | %s | %s | %s |" % (
            name, typ, esc(alias) or "—", meanings.get(name, TODO)))
        i += 1
    return lines


def regenerate(text, blocks):
    """The new document, the blocks missing from it, the stale ones and
    the fields left without a meaning."""
    lines = text.split("\n")
    out, seen, stale, todo = [], set(), [], []
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        block = m.group(1)
        end = lines.index(END.format(block), i + 1) \
            if END.format(block) in lines[i + 1:] else -1
        if end < 0:
            fail("docs/outputs.md: no end marker for block %s" % block)
        out.append(lines[i])
        if block in blocks:
            seen.add(block)
            new = render(block, blocks[block], old_meanings(lines[i + 1:end]))
            out.extend(new)
            todo += ["%s: %s" % (block, re.match(r"^\| `([^`]+)`", l)
                                 .group(1))
                     for l in new if l.endswith("| %s |" % TODO)]
        else:
            stale.append(block)
            out.extend(lines[i + 1:end])
        out.append(lines[end])
        i = end + 1
    missing = [b for b in blocks if b not in seen]
    if missing:
        out.append("")
        out.append("## Layers not yet described")
        for b in missing:
            out += ["", "### %s" % b, "", "<!-- BEGIN GENERATED %s -->" % b]
            new = render(b, blocks[b], {})
            out += new
            out.append(END.format(b))
            todo += ["%s: %s" % (b, re.match(r"^\| `([^`]+)`", l).group(1))
                     for l in new if l.endswith("| %s |" % TODO)]
    return "\n".join(out), missing, stale, todo


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when docs/outputs.md is out of date")
    ap.add_argument("--binary", help="the gridsmith binary (build/gridsmith)")
    ap.add_argument("--doc", default=DOC, help="the document (docs/outputs.md)")
    a = ap.parse_args()
    binary = a.binary or os.path.join(
        os.environ.get("GS_BUILD_DIR", os.path.join(ROOT, "build")),
        "gridsmith")
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        fail("no gridsmith binary at %s: build first (scripts/build.sh) or "
             "give --binary" % binary)
    binary = os.path.abspath(binary)
    try:
        with open(a.doc, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail("%s: %s" % (a.doc, e.strerror))
    tmp = tempfile.mkdtemp(prefix="gs_docs_outputs.")
    try:
        blocks, problems = collect(run_engine(binary, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("gen_docs_outputs: %s" % p, file=sys.stderr)
    new, missing, stale, todo = regenerate(text, blocks)
    for b in missing:
        print("gen_docs_outputs: layer %s has no block in %s%s"
              % (b, a.doc, "" if a.check else " (appended at the end)"),
              file=sys.stderr)
    for b in stale:
        print("gen_docs_outputs: block %s names no layer the engine writes "
              "(remove it by hand)" % b, file=sys.stderr)
    for t in todo:
        print("gen_docs_outputs: no meaning for %s" % t, file=sys.stderr)
    if a.check:
        if new != text or missing or stale or todo or problems:
            if new != text:
                print("gen_docs_outputs: %s is out of date: run "
                      "scripts/gen_docs_outputs.py" % a.doc, file=sys.stderr)
            return 1
        print("gen_docs_outputs: %s is up to date" % a.doc)
        return 0
    if new != text:
        with open(a.doc, "w", encoding="utf-8") as f:
            f.write(new)
        print("gen_docs_outputs: wrote %s" % a.doc)
    else:
        print("gen_docs_outputs: %s was up to date" % a.doc)
    return 1 if stale or problems else 0


if __name__ == "__main__":
    sys.exit(main())
