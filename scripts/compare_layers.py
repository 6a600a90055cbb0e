#!/usr/bin/python3
"""compare_layers.py OLD.gpkg NEW.gpkg [OLD.json NEW.json]

Proves that two runs wrote the same layers: every table of the two
GeoPackages but GeoPackage's own (gpkg_*, rtree_*), run_metadata (which
holds the time and the command line) and qgis_projects (the QGIS project
over the layers, stamped with the time and the file's name) is compared
row by row, geometry blobs byte for byte, layer_styles without its
update_time; with the two --json reports, their figures too
(leaving out the phases, which are timings, and the output path). The
benchmarks (scripts/bench_validate.sh, scripts/bench_patrol.sh) run it
on the outputs of the binary before and after a change. Prints one line
per layer; exit status 0 when all is identical, 1 otherwise.
"""
import json
import sqlite3
import sys


def tables(con):
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [r[0] for r in rows
            if not r[0].startswith(("gpkg_", "rtree_", "sqlite_"))
            and r[0] not in ("run_metadata", "qgis_projects")]


def rows(con, t):
    cols = [r[1] for r in con.execute('PRAGMA table_info("%s")' % t)
            if not (t == "layer_styles" and r[1] == "update_time")]
    return cols, con.execute('SELECT %s FROM "%s" ORDER BY rowid' % (
        ", ".join('"%s"' % c for c in cols), t))


def compare_gpkg(old, new):
    a = sqlite3.connect("file:%s?mode=ro" % old, uri=True)
    b = sqlite3.connect("file:%s?mode=ro" % new, uri=True)
    ok = True
    ta, tb = tables(a), tables(b)
    if ta != tb:
        print("layers differ: %s vs %s" % (ta, tb))
        ok = False
    for t in ta:
        if t not in tb:
            continue
        ca, ra = rows(a, t)
        cb, rb = rows(b, t)
        if ca != cb:
            print("%-24s fields differ: %s vs %s" % (t, ca, cb))
            ok = False
            continue
        n = 0
        diff = None
        while True:
            x, y = ra.fetchone(), rb.fetchone()
            if x is None and y is None:
                break
            n += 1
            if x != y:
                diff = (n, x, y)
                break
        if diff:
            print("%-24s differs at row %d:\n  old %.300r\n  new %.300r" %
                  (t, diff[0], diff[1], diff[2]))
            ok = False
        else:
            print("%-24s identical (%d rows)" % (t, n))
    return ok


def scrub(r):
    if isinstance(r, dict):
        return {k: scrub(v) for k, v in r.items()
                if k not in ("phases", "output")}
    if isinstance(r, list):
        return [scrub(v) for v in r]
    return r


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    ok = compare_gpkg(sys.argv[1], sys.argv[2])
    if len(sys.argv) == 5:
        ja = scrub(json.load(open(sys.argv[3])))
        jb = scrub(json.load(open(sys.argv[4])))
        same = ja == jb
        print("%-24s %s" % ("report (--json)", "identical" if same
                            else "differs"))
        ok = ok and same
    sys.exit(0 if ok else 1)


main()
