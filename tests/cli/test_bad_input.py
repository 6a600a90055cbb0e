#!/usr/bin/python3
"""The bad-input corpus: every command against the failure modes of
docs/design.md, "Bad input".

Usage: test_bad_input.py GRIDSMITH_BINARY PROJECT_DIR

For validate, partition, patrol, hotspots, assess, report and run, one
case per failure mode that reaches the command: missing and misspelt
fields, wrong types, empty and huge fields, NaN/Inf coordinates, invalid
and empty geometries, unknown CRS, GBK and mixed encodings, truncated and
locked GeoPackages, an unwritable output directory, duplicate IDs, times
far in the past or future. Bad inputs are made here, in a scratch folder,
from tests/data/mini and datasets/demo.

A setup problem is `refused`: the exit status, pieces of the message (the
file, layer, feature or line, and field), and every earlier output (one
per command at -o, the job's outputs) and the ledger byte-identical, the
ledger still a sound GeoPackage, no temporary file left. A per-feature
problem is `reported`: the run succeeds and an output row names the
feature or line, and the field. The last line is "N passed, N failed".
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import (case, contents, expect, expect_error,  # noqa: E402
                         first_difference, read_layer, run, sha)

gdal.UseExceptions()

BIN, ROOT, MINI, DEMO, CITY = h.repo_args(sys.argv)
MEMBERS = os.path.join(DEMO, "members.csv")
CALENDAR = os.path.join(DEMO, "calendar.csv")
SCRATCH = tempfile.mkdtemp(prefix="gs_bad_")
with open(BIN, "rb") as _f:
    SANITIZED = b"libasan.so" in _f.read()
IN = os.path.join(SCRATCH, "in")
OUT = os.path.join(SCRATCH, "out")
JOB = os.path.join(SCRATCH, "job")
LEDGER = os.path.join(JOB, "out", "ledger.gpkg")
for d in (IN, OUT, JOB):
    os.makedirs(d)

# ---- making bad inputs ------------------------------------------------------

_serial = [0]


def name(stem, ext):
    _serial[0] += 1
    return os.path.join(IN, "%s_%d.%s" % (stem, _serial[0], ext))


def mini_json(role, edit, stem=None):
    """tests/data/mini/ROLE.geojson after edit(dict) (or a text edit when
    edit is a (old, new) pair)."""
    path = name(stem or role, "geojson")
    with open(os.path.join(MINI, role + ".geojson"), encoding="utf-8") as f:
        text = f.read()
    if isinstance(edit, tuple):
        expect(edit[0] in text, "fixture lacks %r" % (edit[0],))
        text = text.replace(edit[0], edit[1], 1)
    else:
        d = json.loads(text)
        edit(d)
        text = json.dumps(d, ensure_ascii=False)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def props(i, **kv):
    """An edit setting (value) or dropping (None... use drop) fields of
    feature i."""
    def edit(d):
        d["features"][i]["properties"].update(kv)
    return edit


def drop(field):
    def edit(d):
        for f in d["features"]:
            f["properties"].pop(field, None)
    return edit


def rename(old, new):
    def edit(d):
        for f in d["features"]:
            f["properties"][new] = f["properties"].pop(old)
    return edit


def geometry(i, g):
    def edit(d):
        d["features"][i]["geometry"] = g
    return edit


def write(stem, text, encoding="utf-8"):
    path = name(stem, "csv")
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def demo_layer(layer, sql=None, stem=None):
    """One layer of the demo city copied into its own GeoPackage, then
    changed with `sql` (SQLite, through OGR so the GeoPackage's triggers
    work)."""
    path = name(stem or layer, "gpkg")
    gdal.VectorTranslate(path, CITY, layers=[layer], format="GPKG")
    if sql:
        ds = gdal.OpenEx(path, gdal.OF_VECTOR | gdal.OF_UPDATE)
        for s in (sql if isinstance(sql, (list, tuple)) else [sql]):
            ds.ExecuteSQL(s)
        ds = None
    return path


def truncated(path):
    out = name("truncated", "gpkg")
    with open(path, "rb") as f:
        data = f.read()
    with open(out, "wb") as f:
        f.write(data[: len(data) // 3])
    return out


class Locked:
    """Holds an exclusive SQLite lock on a GeoPackage, as another program
    writing it would. The lock is held by a child process: POSIX drops a
    process's locks on a file when it closes any descriptor of it, as
    reading the file for a checksum does."""

    HOLD = ("import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n"
            "c.execute('ROLLBACK')\n")

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.p = subprocess.Popen([sys.executable, "-c", self.HOLD,
                                   self.path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        expect(self.p.stdout.readline().strip() == "locked", "no lock")
        return self.path

    def __exit__(self, *exc):
        self.p.stdin.close()
        self.p.wait()


BOWTIE = {"type": "Polygon", "coordinates": [[
    [500000, 4400000], [500100, 4400100], [500100, 4400000],
    [500000, 4400100], [500000, 4400000]]]}
HUGE = "名" * 400000  # 1.2 MB of UTF-8 in one field
TRACE_HEAD = "member_id,time,lon,lat,accuracy_m\n"
EVENT_HEAD = ("event_id,category,reported_at,resolved_at,status,grid_code,"
              "lon,lat\n")
FIX = "M0001,2026-11-16T10:0%d:00+08:00,116.2946,39.9817,5\n"
EVENT = "E%d,环境卫生,2026-11-16 09:00,,open,,116.30,39.98\n"


def small_traces():
    """The demo's first 3,000 fixes: a quick patrol."""
    path = os.path.join(IN, "traces_small.csv")
    if not os.path.exists(path):
        with open(os.path.join(DEMO, "traces.csv"), encoding="utf-8") as f:
            lines = [next(f) for _ in range(3001)]
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
    return path


# ---- the commands, and their earlier outputs --------------------------------

def validate_args(**over):
    a = {"--communities": os.path.join(MINI, "communities.geojson"),
         "--grids": os.path.join(MINI, "grids.geojson"),
         "--households": os.path.join(MINI, "households.geojson"),
         "--members": os.path.join(MINI, "members.csv"),
         "--config": os.path.join(MINI, "rules.ini")}
    return flat(a, over)


def partition_args(**over):
    a = {"--communities": os.path.join(MINI, "communities.geojson"),
         "--households": os.path.join(MINI, "households.geojson"),
         "--config": os.path.join(MINI, "rules.ini")}
    return flat(a, over)


def patrol_args(**over):
    a = {"--grids": CITY, "--members": MEMBERS, "--traces": small_traces(),
         "--week": "2026-W47"}
    return flat(a, over)


def hotspots_args(**over):
    a = {"--grids": CITY, "--events": CITY, "--week": "2026-W47"}
    return flat(a, over)


def assess_args(**over):
    a = {"--ledger": LEDGER, "--month": "2026-11"}
    return flat(a, over)


def report_args(**over):
    a = {"--ledger": LEDGER, "--week": "2026-W47"}
    return flat(a, over)


def flat(a, over):
    a = dict(a)
    for k, v in over.items():
        a["--" + k.replace("_", "-")] = v
    out = []
    for k, v in a.items():
        if v is not None:
            out += [k, v]
    return out


ARGS = {"validate": validate_args, "partition": partition_args,
        "patrol": patrol_args, "hotspots": hotspots_args,
        "assess": assess_args, "report": report_args}
EARLIER = {c: os.path.join(OUT, c + (".html" if c == "report" else ".gpkg"))
           for c in ARGS}


def write_job(stem="job", week="2026-W47", **keys):
    """A job file on the demo city with small traces; keyword arguments
    replace inputs (None drops one) or set [outputs] keys (dir, ledger)."""
    inputs = h.demo_inputs(DEMO)
    inputs["traces"] = small_traces()
    outputs = {k: keys.pop(k) for k in ("dir", "ledger") if k in keys}
    inputs.update(keys)
    return h.write_job(os.path.join(JOB, stem + ".ini"), inputs, week,
                       **outputs)


def make_earlier_outputs():
    code, _, err = run("run", write_job(), "--quiet")
    expect(code == 0, "the job: " + err)
    for cmd, args in ARGS.items():
        code, _, err = run(cmd, *args(), "-o", EARLIER[cmd], "--quiet")
        expect(code == 0, "%s: %s" % (cmd, err))


def snapshot():
    """Checksums of every earlier output and the ledger."""
    snap = {}
    for d in (OUT, os.path.join(JOB, "out")):
        for f in sorted(os.listdir(d)):
            snap[os.path.join(d, f)] = sha(os.path.join(d, f))
    return snap


def ledger_sane():
    con = sqlite3.connect(LEDGER)
    try:
        expect(con.execute("PRAGMA integrity_check").fetchall() == [("ok",)],
               "ledger integrity")
        weeks = con.execute("SELECT DISTINCT week FROM member_week").fetchall()
        expect(weeks == [("2026-W47",)], "ledger weeks: %s" % weeks)
    finally:
        con.close()


def refused(cmd, args, status, *pieces, rewritten=(), locked=False):
    """Runs `cmd` with bad input over its earlier output (-o) and expects
    it refused: exit `status`, the message pieces, nothing changed (files
    in `rewritten`, outputs of a job's stages that ran before the failing
    step, may be written again with the same features)."""
    before = snapshot()
    kept = {p: contents(p) for p in rewritten}
    extra = [] if cmd == "run" else ["-o", EARLIER[cmd]]
    code, _, err = run(cmd, *args, *extra)
    try:
        expect_error(code, err, status, *pieces)
    except AssertionError as e:
        raise AssertionError("%s %s: %s" % (cmd, " ".join(args)[-300:], e))
    after = snapshot()
    for path, digest in before.items():
        if path in kept:
            diff = first_difference(contents(path), kept[path])
            expect(diff is None, "%s rewritten differently: %s" % (path, diff))
        else:
            expect(after.get(path) == digest, "%s was changed" % path)
    new = sorted(set(after) - set(before))
    expect(not new, "files left: %s" % new)
    if not locked:  # else checked once the lock is released
        ledger_sane()
    return err


def reported(cmd, args, layer, *pieces, status=0):
    """Runs `cmd` into a fresh output; it succeeds and a row of `layer`
    holds every piece (in one of its fields' text)."""
    out = name(cmd, "html" if cmd == "report" else "gpkg")
    code, _, err = run(cmd, *args, "-o", out)
    expect(code == status, "exit %d, wanted %d: %s" % (code, status, err))
    rows = read_layer(out, layer)
    text = [" | ".join(str(v) for v in r.values()) for r in rows]
    hit = [t for t in text if all(p in t for p in pieces)]
    expect(hit, "no %s row holds %s; rows: %s" % (layer, pieces, text[:5]))
    return rows


def name_last(cmd):
    """The output reported() wrote last."""
    return os.path.join(IN, "%s_%d.gpkg" % (cmd, _serial[0]))


make_earlier_outputs()

# ---- validate (the mini city) ---------------------------------------------


@case
def validate_missing_field():
    path = mini_json("grids", drop("grid_code"))
    refused("validate", validate_args(grids=path), 3, path, "layer grids",
            "missing required field 'grid_code'",
            "--field grids.grid_code=NAME")


@case
def validate_misspelt_field():
    path = mini_json("communities", rename("community_code",
                                           "comunity_code"))
    refused("validate", validate_args(communities=path), 3, path,
            "'community_code'", "comunity_code")
    refused("validate", validate_args() + ["--field",
                                           "households.persons=renkou"],
            3, "households.geojson", "'renkou'", "households.persons")


@case
def validate_wrong_type():
    path = mini_json("households", props(0, persons="two"))
    reported("validate", validate_args(households=path), "issue_points",
             "bad_persons", "household H001")
    path = mini_json("grids", geometry(0, {"type": "Point",
                                           "coordinates": [500000, 4400000]}))
    refused("validate", validate_args(grids=path), 3, path,
            "layer grids, feature 0", "not a polygon")


@case
def validate_empty_field():
    path = write("members", "member_id,grid_code,name\n"
                 ",110108001001001,王芳\n")
    refused("validate", validate_args(members=path), 3, path, "line 2",
            "member_id is empty")
    path = mini_json("grids", props(0, grid_code=""))
    reported("validate", validate_args(grids=path), "issues", "bad_code",
             "grid_code ''")


@case
def validate_huge_field():
    path = mini_json("grids", props(0, name=HUGE))
    reported("validate", validate_args(grids=path), "grids",
             "110108001001001", HUGE[:100])
    if SANITIZED:
        # GDAL grows a CSV line's buffer in small steps, each a fresh
        # mapping under AddressSanitizer: minutes for this one line.
        h.skip("validate_huge_field: a 12 MB CSV line", "sanitizer build")
        return
    path = write("members", "member_id,grid_code,name\n"
                 "M1,110108001001001," + "x" * 12000000 + "\n")
    refused("validate", validate_args(members=path), 3, path,
            "reading stopped", "Maximum number of characters")


@case
def validate_nan_and_inf_coordinates():
    path = mini_json("grids", ("500100.0", "Infinity"))
    refused("validate", validate_args(grids=path), 3, path,
            "layer grids, feature 0", "NaN or infinite")
    path = write("households", "household_id,persons,lon,lat\n"
                 "H1,2,116.3,39.9\nH2,2,inf,39.9\n")
    refused("validate", validate_args(households=path) +
            ["--assume-crs", "EPSG:4326"], 3, path, "line 3",
            "fields lon, lat")


@case
def validate_invalid_geometry():
    path = mini_json("grids", geometry(0, BOWTIE))
    reported("validate", validate_args(grids=path), "issue_points",
             "invalid_geometry", "110108001001001", "Self-intersection")


@case
def validate_empty_geometry():
    path = mini_json("communities", geometry(0, {"type": "MultiPolygon",
                                                 "coordinates": []}))
    refused("validate", validate_args(communities=path), 3, path,
            "layer communities, feature 0", "empty geometry")
    path = mini_json("households", geometry(2, None))
    refused("validate", validate_args(households=path), 3, path,
            "layer households, feature 2", "no point geometry")


@case
def validate_unknown_crs():
    shp = name("grids_noprj", "shp")
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # field names laundered
    gdal.VectorTranslate(shp, os.path.join(MINI, "grids.geojson"),
                         format="ESRI Shapefile")
    gdal.PopErrorHandler()
    with open(shp[:-4] + ".prj", "w") as f:
        f.write('PROJCS["nonsense",GEOGCS[')
    refused("validate", validate_args(grids=shp), 3, shp,
            "no coordinate reference system", "--assume-crs")
    refused("validate", validate_args(grids=shp) + ["--assume-crs",
                                                    "EPSG:999999"],
            2, "EPSG:999999")


@case
def validate_gbk_and_mixed_encodings():
    with open(os.path.join(MINI, "members.csv"), encoding="utf-8") as f:
        text = f.read()
    path = write("members_gbk", text, "gb18030")
    refused("validate", validate_args(members=path), 3, path, "line 2",
            "field name", "--encoding GB18030")
    mixed = write("members_mixed", text.encode("utf-8") +
                  "M8,110108001001003,孙丽\n".encode("gb18030"))
    refused("validate", validate_args(members=mixed), 3, mixed, "line 9",
            "field name", "not valid UTF-8")
    refused("validate", validate_args(members=path) + ["--encoding",
                                                       "GBK-ish"],
            2, "--encoding 'GBK-ish'", "unknown encoding")


@case
def validate_truncated_and_locked_geopackage():
    whole = name("households", "gpkg")
    gdal.VectorTranslate(whole, os.path.join(MINI, "households.geojson"),
                         format="GPKG", layerName="households")
    bad = truncated(whole)
    refused("validate", validate_args(households=bad), 3, bad,
            "(households)", "cannot open")
    with Locked(whole):
        refused("validate", validate_args(households=whole), 3, whole,
                "database is locked")


@case
def validate_duplicate_ids():
    path = mini_json("households", props(1, household_id="H001"))
    refused("validate", validate_args(households=path), 3, path,
            "layer households, feature 1, field household_id",
            "'H001' is duplicated", "feature 0")
    path = mini_json("grids", props(1, grid_code="110108001001001"))
    reported("validate", validate_args(grids=path), "issues",
             "duplicate_code", "110108001001001")


# ---- unwritable output, for every command that takes -o ------------------


def unwritable_dir():
    """A directory this process cannot create files in: a read-only one,
    or for root (whom permissions do not stop) /proc."""
    if os.geteuid() == 0:
        return "/proc"
    d = os.path.join(SCRATCH, "readonly")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o555)
    return d


@case
def unwritable_output_directory():
    d = unwritable_dir()
    for cmd, args in ARGS.items():
        target = os.path.join(d, "o." + ("html" if cmd == "report" else
                                         "gpkg"))
        before = snapshot()
        code, _, err = run(cmd, *args(), "-o", target)
        expect_error(code, err, 4, target)
        expect(snapshot() == before, "%s: files changed" % cmd)
        expect(not os.path.exists(target), "%s wrote %s" % (cmd, target))
    job = write_job("job_ro", dir=os.path.join(d, "sub"))
    code, _, err = run("run", job)
    expect_error(code, err, 4, os.path.join(d, "sub"))


# ---- partition ----------------------------------------------------------


@case
def partition_bad_inputs():
    path = mini_json("households", drop("persons"))
    refused("partition", partition_args(households=path), 3, path,
            "missing required field 'persons'")
    path = mini_json("communities", rename("community_code", "code"))
    refused("partition", partition_args(communities=path), 3, path,
            "'community_code'", "code")
    path = write("households", "household_id,persons,building_id,lon,lat"
                 "\nH1,2,A,116.3,39.9\nH2,2,A,NaN,39.9\n")
    refused("partition", partition_args(households=path) +
            ["--assume-crs", "EPSG:4326"], 3, path, "line 3",
            "fields lon, lat")
    path = mini_json("communities", geometry(0, None))
    refused("partition", partition_args(communities=path), 3, path,
            "layer communities, feature 0", "no geometry")
    path = mini_json("households", props(3, household_id="H001"))
    refused("partition", partition_args(households=path), 3, path,
            "feature 3, field household_id", "'H001' is duplicated")
    whole = name("communities", "gpkg")
    gdal.VectorTranslate(whole, os.path.join(MINI, "communities.geojson"),
                         format="GPKG", layerName="communities")
    bad = truncated(whole)
    refused("partition", partition_args(communities=bad), 3, bad)
    with Locked(whole):
        refused("partition", partition_args(communities=whole), 3, whole,
                "database is locked")
    path = mini_json("households", props(1, persons="two"))
    code, _, err = run("partition", *partition_args(households=path), "-o",
                       name("partition", "gpkg"))
    expect(code == 0 and path in err and "first: household H002, feature 1"
           in err and "not as persons" in err, err)
    # Every barrier divides alike: an unknown kind changes nothing.
    outs = []
    for sql in (None, "UPDATE barriers SET kind = 'fence' WHERE fid = 1"):
        outs.append(name("partition", "gpkg"))
        code, _, err = run("partition", "--communities", CITY,
                           "--households", CITY, "--barriers",
                           demo_layer("barriers", sql), "-o", outs[-1])
        expect(code == 0, err)
    expect(first_difference(contents(outs[0]), contents(outs[1])) is None,
           "a barrier's kind changed the grids")


# ---- patrol ----------------------------------------------------------------


def traces(*rows):
    return write("traces", TRACE_HEAD + "".join(rows))


GOOD_FIXES = (FIX % 0, FIX % 1)


@case
def patrol_missing_and_misspelt_fields():
    path = write("traces", "member_id,lon,lat\nM0001,116.29,39.98\n")
    refused("patrol", patrol_args(traces=path), 3, path,
            "missing required column 'time'", "--field traces.time=NAME")
    path = write("traces", "member_idd,time,lon,lat\n"
                 "M0001,2026-11-16T10:00:00+08:00,116.29,39.98\n")
    refused("patrol", patrol_args(traces=path), 3, path,
            "'member_id'", "member_idd")
    path = write("members", "member_id,grid\nM0001,110108001001001\n")
    refused("patrol", patrol_args(members=path), 3, path,
            "'grid_code'", "grid")


@case
def patrol_wrong_types_and_empty_fields():
    path = traces(*GOOD_FIXES,
                  "M0001,2026-11-16T10:03:00+08:00,east,39.98,5\n",
                  "M0001,2026-11-16T10:04:00+08:00,116.29,39.98,abc\n",
                  ",2026-11-16T10:05:00+08:00,116.29,39.98,5\n",
                  "M0001,,116.29,39.98,5\n")
    rows = reported("patrol", patrol_args(traces=path), "bad_rows",
                    "4", "lon", "east")
    got = sorted((r["line"], r["field"]) for r in rows)
    expect(got == [(4, "lon"), (5, "accuracy_m"), (6, "member_id"),
                   (7, "time")], got)
    path = traces("M0001,soon,116.29,39.98,5\n")
    refused("patrol", patrol_args(traces=path), 3, path,
            "no usable GPS fix", "line 2", "time")


@case
def patrol_huge_field():
    path = traces(*GOOD_FIXES, "M" + "9" * 1000000 +
                  ",2026-11-16T10:05:00+08:00,116.29,39.98,5\n")
    reported("patrol", patrol_args(traces=path), "bad_rows", "4",
             "member_id", "longer than 255 bytes")


@case
def patrol_nan_and_inf_coordinates():
    path = traces(*GOOD_FIXES,
                  "M0001,2026-11-16T10:05:00+08:00,NaN,39.98,5\n",
                  "M0001,2026-11-16T10:06:00+08:00,116.29,inf,5\n",
                  "M0001,2026-11-16T10:07:00+08:00,1e308,39.98,5\n")
    rows = reported("patrol", patrol_args(traces=path), "bad_rows", "4",
                    "lon", "NaN")
    got = sorted((r["line"], r["field"]) for r in rows)
    expect(got == [(4, "lon"), (5, "lat"), (6, "lon")], got)
    grids = demo_layer("grids", "UPDATE grids SET geom = "
                       "(SELECT geom FROM grids WHERE fid = 2) "
                       "WHERE fid = 1")  # a sane control: still works
    code, _, err = run("patrol", *patrol_args(grids=grids), "-o",
                       name("patrol", "gpkg"))
    expect(code == 0, err)


@case
def patrol_invalid_and_empty_geometry():
    grids = demo_layer("grids", "UPDATE grids SET geom = "
                       "ST_GeomFromText('MULTIPOLYGON(((116.29 39.98, "
                       "116.30 39.99, 116.30 39.98, 116.29 39.99, "
                       "116.29 39.98)))', 4490) WHERE fid = 1")
    code, _, err = run("patrol", *patrol_args(grids=grids), "-o",
                       name("patrol", "gpkg"))
    expect(code == 0, err)
    grids = demo_layer("grids", "UPDATE grids SET geom = NULL "
                       "WHERE fid = 3")
    refused("patrol", patrol_args(grids=grids), 3, grids,
            "layer grids, feature 3", "no geometry")


@case
def patrol_unknown_crs():
    refused("patrol", patrol_args() + ["--trace-crs", "EPSG:999999"], 2,
            "EPSG:999999")
    gpkg = name("traces_noproj", "gpkg")
    src = gdal.OpenEx(small_traces(), gdal.OF_VECTOR,
                      open_options=["X_POSSIBLE_NAMES=lon",
                                    "Y_POSSIBLE_NAMES=lat"])
    gdal.VectorTranslate(gpkg, src, format="GPKG", layerName="traces")
    src = None
    # Points without a CRS are lon/lat, --trace-crs's default, as in a
    # CSV: the same result as the CSV they came from.
    code, _, err = run("patrol", *patrol_args(traces=gpkg), "-o",
                       name("patrol", "gpkg"))
    expect(code == 0, err)
    expect(read_layer(name_last("patrol"), "member_day") ==
           read_layer(EARLIER["patrol"], "member_day"), "not as the CSV")


@case
def patrol_gbk_and_mixed_encodings():
    path = traces(*GOOD_FIXES)
    with open(path, "ab") as f:
        f.write("张三,2026-11-16T10:05:00+08:00,116.29,39.98,5\n"
                .encode("utf-8"))
        f.write("王五,2026-11-16T10:06:00+08:00,116.29,39.98,5\n"
                .encode("gb18030"))
    refused("patrol", patrol_args(traces=path), 3, path, "line 5",
            "line 4 is UTF-8", "mixes encodings")
    with open(MEMBERS, encoding="utf-8") as f:
        roster = f.read()
    path = write("members_gbk", roster, "gb18030")
    # Line 2's name, 谭霞, is valid UTF-8 byte for byte in GB18030.
    refused("patrol", patrol_args(members=path), 3, path, "line 3",
            "field name", "--encoding GB18030")


@case
def patrol_truncated_and_locked_geopackage():
    grids = demo_layer("grids")
    bad = truncated(grids)
    refused("patrol", patrol_args(grids=bad), 3, bad, "cannot open")
    with Locked(grids):
        refused("patrol", patrol_args(grids=grids), 3, grids,
                "database is locked")


@case
def patrol_duplicate_ids():
    path = write("members", open(MEMBERS, encoding="utf-8").read() +
                 "M0001,110108001001002,谭霞\n")
    rows = reported("patrol", patrol_args(members=path), "member_week",
                    "M0001", "110108001001002")
    expect(len([r for r in rows if r["member_id"] == "M0001"]) == 2, rows)
    # A repeated time keeps the first row, as docs/design.md says.
    path = traces(FIX % 0, FIX % 0, FIX % 1)
    rows = reported("patrol", patrol_args(traces=path), "member_day",
                    "M0001", "2026-11-16")
    day = [r for r in rows if r["member_id"] == "M0001" and
           r["date"] == "2026-11-16"]
    expect(day and day[0]["fixes"] == 2, day)


@case
def patrol_times_far_in_the_past_or_future():
    base = reported("patrol", patrol_args(traces=traces(*GOOD_FIXES)),
                    "member_week", "M0001")
    path = traces(*GOOD_FIXES,
                  "M0001,1900-01-01T10:00:00+08:00,116.29,39.98,5\n",
                  "M0001,9999-12-31T23:59:59+08:00,116.29,39.98,5\n",
                  "M0001,0000-01-01T00:00:00Z,116.29,39.98,5\n",
                  "M0001,99999999999999999999,116.29,39.98,5\n")
    rows = reported("patrol", patrol_args(traces=path), "bad_rows", "6",
                    "time", "year 0")
    expect(sorted(r["line"] for r in rows) == [6, 7], rows)
    # Fixes outside the week are outside the result.
    again = read_layer(name_last("patrol"), "member_week")
    expect(again == base, "times outside the week changed the result")
    refused("patrol", patrol_args(week="0000-W01"), 2, "0000-W01")
    code, _, err = run("patrol", *patrol_args(week="9999-W52"), "-o",
                       name("patrol", "gpkg"))
    expect(code == 0, err)


# ---- hotspots ----------------------------------------------------------


def events(*rows, head=EVENT_HEAD):
    return write("events", head + "".join(rows))


@case
def hotspots_missing_and_misspelt_fields():
    path = events(EVENT % 1, head=EVENT_HEAD.replace("category,", "categroy,"))
    refused("hotspots", hotspots_args(events=path), 3, path,
            "missing required field 'category'", "categroy")
    ev = demo_layer("events", "ALTER TABLE events RENAME COLUMN "
                    "reported_at TO reported")
    refused("hotspots", hotspots_args(events=ev), 3, ev, "layer events",
            "'reported_at'", "reported")


@case
def hotspots_wrong_types_and_empty_fields():
    path = events(EVENT % 1, EVENT % 2,
                  "E3,环境卫生,last week,,open,,116.30,39.98\n",
                  "E4,环境卫生,2026-11-16 09:00,,,,116.30,39.98\n",
                  "E5,,2026-11-16 09:00,,open,,116.30,39.98\n",
                  "E6,环境卫生,2026-11-16 09:00,,open,,east,39.98\n")
    rows = reported("hotspots", hotspots_args(events=path), "bad_rows",
                    "4", "reported_at", "last week")
    got = sorted((r["line"], r["field"]) for r in rows)
    expect(got == [(4, "reported_at"), (7, "geometry")], got)
    # As designed: no status means open unless resolved_at is set; no
    # category is counted as 未分类 (uncategorised), by name.
    cats = read_layer(name_last("hotspots"), "categories")
    expect(any(c["category"] == "未分类" for c in cats), cats)


@case
def hotspots_huge_field():
    path = events(EVENT % 1, "E2," + HUGE + ",2026-11-16 09:00,,open,,"
                  "116.30,39.98\n")
    # Any text is a category: the 1.2 MB one is counted under its name.
    reported("hotspots", hotspots_args(events=path), "categories", HUGE)


@case
def hotspots_nan_and_inf_coordinates():
    path = events(EVENT % 1, "E2,环境卫生,2026-11-16 09:00,,open,,NaN,39.98\n",
                  "E3,环境卫生,2026-11-16 09:00,,open,,116.3,Infinity\n")
    rows = reported("hotspots", hotspots_args(events=path), "bad_rows",
                    "3", "geometry")
    expect(sorted(r["line"] for r in rows) == [3, 4], rows)
    ev = demo_layer("events", "UPDATE events SET geom = NULL WHERE fid = 5")
    rows = reported("hotspots", hotspots_args(events=ev), "bad_rows",
                    "E000005", "geometry", "no point geometry")
    expect([r["feature"] for r in rows] == [5], rows)


@case
def hotspots_invalid_and_empty_geometry():
    grids = demo_layer("grids", "UPDATE grids SET geom = NULL "
                       "WHERE fid = 4")
    refused("hotspots", hotspots_args(grids=grids), 3, grids,
            "layer grids, feature 4")


@case
def hotspots_unknown_crs():
    shp = name("events_noprj", "shp")
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    gdal.VectorTranslate(shp, CITY, layers=["events"],
                         format="ESRI Shapefile")
    gdal.PopErrorHandler()
    os.remove(shp[:-4] + ".prj")
    refused("hotspots", hotspots_args(events=shp), 3, shp,
            "no coordinate reference system", "--assume-crs")


@case
def hotspots_gbk_and_mixed_encodings():
    path = write("events_gbk", EVENT_HEAD + EVENT % 1, "gb18030")
    refused("hotspots", hotspots_args(events=path), 3, path, "line 2",
            "field category", "--encoding GB18030")
    mixed = write("events_mixed", (EVENT_HEAD + EVENT % 1).encode("utf-8") +
                  (EVENT % 2).encode("gb18030"))
    refused("hotspots", hotspots_args(events=mixed), 3, mixed, "line 3",
            "field category")


@case
def hotspots_truncated_and_locked_geopackage():
    ev = demo_layer("events")
    bad = truncated(ev)
    refused("hotspots", hotspots_args(events=bad), 3, bad, "cannot open")
    with Locked(ev):
        refused("hotspots", hotspots_args(events=ev), 3, ev,
                "database is locked")


@case
def hotspots_duplicate_ids():
    path = events(EVENT % 1, EVENT % 1)
    reported("hotspots", hotspots_args(events=path), "bad_rows", "3",
             "event_id", "line 2")


@case
def hotspots_times_far_in_the_past_or_future():
    path = events(EVENT % 1,
                  "E2,环境卫生,1900-01-01 09:00,,open,,116.30,39.98\n",
                  "E3,环境卫生,9999-12-31 09:00,,open,,116.30,39.98\n",
                  "E4,环境卫生,0000-01-01 09:00,,open,,116.30,39.98\n",
                  "E5,环境卫生,2026-11-17 09:00,2026-11-16 09:00,resolved,,"
                  "116.30,39.98\n")
    rows = reported("hotspots", hotspots_args(events=path), "bad_rows",
                    "5", "reported_at")
    expect(sorted(r["line"] for r in rows) == [5, 6], rows)
    refused("hotspots", hotspots_args(week="2026-W99"), 2, "2026-W99")


# ---- assess (the job's ledger) -------------------------------------------


@case
def assess_bad_offline_scores():
    path = write("offline", "member_id,item,scroe\nM0001,information,90\n")
    refused("assess", assess_args(offline=path), 3, path, "'score'")
    path = write("offline", "member_id,item,score\nM0001,information,"
                 "ninety\n")
    refused("assess", assess_args(offline=path), 3, path, "line 2",
            "field score", "ninety")
    path = write("offline", "member_id,item,score\nM0001,information,\n")
    refused("assess", assess_args(offline=path), 3, path, "line 2",
            "field score")
    path = write("offline", "member_id,item,score\nM0001,information,nan\n")
    refused("assess", assess_args(offline=path), 3, path, "line 2",
            "field score")
    path = write("offline", "member_id,item,score\nM0001,information,90\n"
                 "M0001," + "i" * 1000000 + ",90\n")
    refused("assess", assess_args(offline=path), 3, path, "line 3",
            "field item")
    path = write("offline_gbk", "member_id,item,score\n王五,information,90\n",
                 "gb18030")
    refused("assess", assess_args(offline=path), 3, path, "line 2")


@case
def assess_bad_visits():
    visits = write("visits", "member_id,household_id,time,kind\n"
                   "M0001,H0000143,9999-11-19T15:30:00+08:00,elderly\n")
    args = assess_args(visits=visits, traces=small_traces(),
                       households=CITY)
    # A visit outside the month is not one of the month's, like a fix
    # outside the week.
    code, _, err = run("assess", *args, "-o", name("assess", "gpkg"))
    expect(code == 0, err)
    expect(read_layer(name_last("assess"), "visits") == [], "a visit of 9999")
    visits = write("visits", "member_id,household_id,time,kind\n"
                   "M0001,H0000143,0000-01-01T00:00:00Z,elderly\n")
    refused("assess", assess_args(visits=visits, traces=small_traces(),
                                  households=CITY), 3, visits, "line 2",
            "field time")


@case
def assess_bad_ledger():
    bad = truncated(LEDGER)
    refused("assess", assess_args(ledger=bad), 3, bad)
    with Locked(LEDGER):
        # Busy, not bad input: exit 4 (docs/design.md, the ledger).
        refused("assess", assess_args(), 4, LEDGER,
                "locked by another program", locked=True)
    ledger_sane()
    refused("assess", assess_args(ledger=CITY), 3, CITY, "member_week")
    refused("assess", assess_args(month="9999-12"), 3, "9999-12",
            LEDGER)
    refused("assess", assess_args(month="0000-01"), 2, "0000-01")


# ---- report (the job's ledger) --------------------------------------------


@case
def report_bad_ledger():
    bad = truncated(LEDGER)
    refused("report", report_args(ledger=bad), 3, bad, "cannot open")
    with Locked(LEDGER):
        refused("report", report_args(), 4, LEDGER,
                "locked by another program", locked=True)
    ledger_sane()
    refused("report", report_args(ledger=CITY), 3, CITY, "grid_status")
    refused("report", report_args(ledger=MEMBERS), 3, MEMBERS,
            "cannot open the ledger")
    refused("report", report_args(week="9999-W52"), 3, "9999-W52",
            "recorded: 2026-W47")
    refused("report", report_args(week="1900-W01"), 3, "1900-W01")
    refused("report", report_args(week="2026-W47'; DROP TABLE runs; --"),
            2, "is not an ISO week")


@case
def report_ledger_with_hostile_or_broken_rows():
    hostile = name("ledger", "gpkg")
    shutil.copy(LEDGER, hostile)
    ds = gdal.OpenEx(hostile, gdal.OF_VECTOR | gdal.OF_UPDATE)
    ds.ExecuteSQL("UPDATE grid_status SET week = "
                  "'2026-W48'' OR ''1''=''1' WHERE fid = 1")
    ds = None
    refused("report", report_args(ledger=hostile, week=None), 3, hostile,
            "is not an ISO week")
    broken = name("ledger", "gpkg")
    shutil.copy(LEDGER, broken)
    ds = gdal.OpenEx(broken, gdal.OF_VECTOR | gdal.OF_UPDATE)
    ds.ExecuteSQL("UPDATE member_week SET in_grid_tolerant_s = 'lots', "
                  "compliant = 'yes' WHERE fid = 1")
    ds = None
    # Text in a number column of a tampered ledger reads as 0 (SQLite's
    # type affinity); the report is still written.
    code, _, err = run("report", *report_args(ledger=broken), "-o",
                       name("report", "html"))
    expect(code == 0, err)


# ---- run (job files) ------------------------------------------------------


STAGES = [os.path.join(JOB, "out", "%s-2026-W47.gpkg" % s)
          for s in ("validate", "patrol", "hotspots")]


@case
def run_bad_job_files():
    job = os.path.join(JOB, "typo.ini")
    with open(job, "w") as f:
        f.write("[inputs]\ngrids = city.gpkg\ngirds = city.gpkg\n")
    refused("run", [job], 2, job, "line 3", "girds")
    refused("run", [write_job("nomembers", members=None)], 2,
            "needs communities, grids, households and members")
    refused("run", [write_job("longpath", grids="x" * 5000)], 2,
            "line 3", "line too long")
    refused("run", [write_job("farweek", week="0000-W01")], 2, "0000-W01")
    with open(os.path.join(JOB, "gbk.ini"), "wb") as f:
        f.write("[输入]\n网格 = city.gpkg\n".encode("gb18030"))
    refused("run", [os.path.join(JOB, "gbk.ini")], 2, "gbk.ini", "line")


@case
def run_bad_inputs_leave_the_ledger():
    grids = mini_json("grids", drop("grid_code"))
    refused("run", [write_job("j1", grids=grids)], 3, grids,
            "missing required field 'grid_code'")
    members = write("members_gbk", open(MEMBERS, encoding="utf-8").read(),
                    "gb18030")
    refused("run", [write_job("j2", members=members)], 3, members,
            "--encoding GB18030")
    bad = truncated(demo_layer("households"))
    refused("run", [write_job("j3", households=bad)], 3, bad)
    path = traces("M0001,soon,116.29,39.98,5\n")
    refused("run", [write_job("j4", traces=path)], 3, path,
            "no usable GPS fix", rewritten=STAGES[:1])


@case
def run_bad_ledger():
    # The stages run and rewrite their outputs; the ledger is refused.
    with Locked(LEDGER):
        refused("run", [write_job()], 4, LEDGER, "locked",
                rewritten=STAGES, locked=True)
    ledger_sane()
    other = os.path.join(JOB, "out", "notaledger.gpkg")
    with open(other, "w") as f:
        f.write("member_id\nM1\n")
    try:
        refused("run", [write_job("j5", ledger="notaledger.gpkg")], 4,
                other, rewritten=STAGES)
    finally:
        os.remove(other)


if not h._counts["failed"]:
    shutil.rmtree(SCRATCH, ignore_errors=True)  # kept for a look on failure
h.finish()
