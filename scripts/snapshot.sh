#!/bin/sh
# snapshot.sh BINARY OUTDIR
#
# Runs one gridsmith binary over the bundled demo city (datasets/demo) --
# the weekly job and each command on its own -- and dumps every output into
# canonical, diffable text under OUTDIR/dump/, with the values that change
# from run to run (times, timings, absolute paths, library versions)
# scrubbed. Two snapshots whose dumps are identical (diff -r) prove that two
# binaries behave the same on the demo; scripts/compare_outputs.sh does that.
# Written to check that a restructuring of the source tree changes nothing.
#
# OUTDIR must be absent or empty. Layout:
#   OUTDIR/input/   a copy of datasets/demo, job-snapshot*.ini (job.ini
#                   with only its output dir changed: the job file
#                   resolves paths relative to itself, so its own
#                   relative inputs stay) and the extra assessment's CSVs
#   OUTDIR/job/     the weekly job's outputs (input/job-snapshot.ini)
#   OUTDIR/cmd/     each command run on its own
#   OUTDIR/json/    the same runs again with --json (their stdout is kept)
#   OUTDIR/log/     NAME.stdout, NAME.stderr, NAME.rc of every command
#   OUTDIR/dump/    the canonical text (what is compared)
#   OUTDIR/timing.txt  how long each step took (not compared)
#   OUTDIR/about.txt   which binary, when, from which checkout (not compared)
set -eu

usage() {
    echo "usage: $0 GRIDSMITH_BINARY OUTDIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage

case $1 in
    /*) BIN=$1 ;;
    *) BIN=$(pwd)/$1 ;;
esac
if ! [ -f "$BIN" ] || ! [ -x "$BIN" ]; then
    echo "$0: not an executable: $1" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$ROOT/datasets/demo
[ -f "$DEMO/job.ini" ] || { echo "$0: no demo data in $DEMO" >&2; exit 2; }
if [ -e "$2" ] && [ -n "$(ls -A "$2")" ]; then
    echo "$0: $2 is not empty; give a new or empty directory" >&2
    exit 2
fi
mkdir -p "$2"
OUT=$(cd "$2" && pwd -P)

# The same environment for every snapshot: no crash-test hook, fixed locale
# and zone (the engine's own zone is --tz, Asia/Shanghai by default).
unset GS_TEST_KILL_AT
LC_ALL=C.UTF-8
TZ=UTC
export LC_ALL TZ

{
    echo "binary: $BIN"
    echo "binary sha256: $(sha256sum <"$BIN" | cut -d' ' -f1)"
    echo "binary version: $("$BIN" --help 2>&1 | head -n 1)"
    echo "taken: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
    echo "scripts and demo data from: $ROOT at commit" \
        "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
} >"$OUT/about.txt"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
T0=$(now)
mkdir -p "$OUT/input" "$OUT/job" "$OUT/cmd" "$OUT/json/cmd" "$OUT/json/job" \
    "$OUT/log"
cp -p "$DEMO"/* "$OUT/input/"
IN=$OUT/input
C=$IN/city.gpkg
M=$IN/members.csv
T=$IN/traces.csv
CAL=$IN/calendar.csv

# job.ini as shipped, with only [outputs] dir changed, to a directory of
# OUTDIR given relative to the job file (so the job file is the same in
# every snapshot).
mkjob() {  # mkjob NEW_JOB_FILE OUTPUT_DIR
    sed "s|^dir *=.*|dir = $2|" "$IN/job.ini" >"$1"
    n=$(diff "$IN/job.ini" "$1" | grep -c '^>' || true)
    [ "$n" -eq 1 ] || { echo "$0: could not set dir in $1" >&2; exit 2; }
}
mkjob "$IN/job-snapshot.ini" ../job
mkjob "$IN/job-snapshot-json.ini" ../json/job

# The extra assessment's inputs (from tests/test_cli_assess.py): offline
# scores, and visits to verify against the traces and care targets.
cat >"$IN/offline.csv" <<'EOF'
member_id,item,score
M0001,information,90
M0001,events,80
M0001,special,100
M0001,training,80
M0001,awareness,75
M0001,satisfaction,95
M0001,satisfaction,85
M0002,satisfaction,100
EOF
cat >"$IN/visits.csv" <<'EOF'
member_id,household_id,time,kind
M0001,H0000143,2026-11-19T15:30:00+08:00,elderly
M0001,H0000008,2026-11-16 14:49:00,youth
M0001,H0000143,2026-11-21T15:30:00+08:00,elderly
M0001,H9999999,2026-11-19T15:30:00+08:00,other
M0002,H0000143,2026-11-19T15:30:00+08:00,elderly
M0001,H0000143,2026-12-19T15:30:00+08:00,elderly
EOF

# gs NAME ARGS...: runs the binary, keeping stdout, stderr and the exit
# status; a failing command is recorded, not fatal (the dump shows it).
gs() {
    name=$1
    shift
    t=$(now)
    rc=0
    (cd "$OUT" && "$BIN" "$@") >"$OUT/log/$name.stdout" \
        2>"$OUT/log/$name.stderr" || rc=$?
    echo "$rc" >"$OUT/log/$name.rc"
    printf '%-18s exit %s  %s s\n' "$name" "$rc" "$(since "$t")" \
        >>"$OUT/timing.txt"
}

# 1. The weekly job, then the same with --json into its own directory.
gs run run "$IN/job-snapshot.ini" --threads 2
gs run.json run "$IN/job-snapshot-json.ini" --threads 2 --json
LEDGER=$OUT/job/ledger.gpkg

# 2. Each command on its own: a plain run into cmd/, and a --json run into
# json/cmd/ (its stdout is dumped, its outputs are not).
pair() {  # pair NAME OUTPUT_FILE COMMAND ARGS...
    name=$1
    file=$2
    shift 2
    gs "$name" "$@" -o "$OUT/cmd/$file"
    gs "$name.json" "$@" --json -o "$OUT/json/cmd/$file"
}
pair validate validate.gpkg validate --communities "$C" --grids "$C" \
    --households "$C" --members "$M" --threads 2
pair patrol patrol.gpkg patrol --grids "$C" --members "$M" --traces "$T" \
    --households "$C" --calendar "$CAL" --week 2026-W47 --threads 2
pair hotspots hotspots.gpkg hotspots --grids "$C" --events "$C" \
    --communities "$C" --households "$C" --calendar "$CAL" --week 2026-W47 \
    --threads 2
# A fresh division, and a re-division of the demo's grids.
pair partition partition.gpkg partition --communities "$C" \
    --households "$C" --barriers "$C" --seed 0 --threads 2
pair redivide redivide.gpkg partition --existing "$C" --communities "$C" \
    --households "$C" --barriers "$C" --seed 0 --threads 2
# The assessment of the job's ledger; and (beyond the plain case) with
# offline scores and visits verified against the traces.
pair assess assess.gpkg assess --ledger "$LEDGER" --month 2026-11 \
    --threads 2
pair assess-full assess-full.gpkg assess --ledger "$LEDGER" \
    --month 2026-11 --offline "$IN/offline.csv" --visits "$IN/visits.csv" \
    --traces "$T" --households "$C" --threads 2
# report has no --threads.
pair report report.html report --ledger "$LEDGER" --week 2026-W47

T1=$(now)

# 3. The dump. Every scrub is listed in SCRUB_* below with its reason;
# anything not listed there is compared as written.
/usr/bin/python3 - "$OUT" <<'PYEOF'
import hashlib
import html.parser
import json
import os
import re
import sqlite3
import struct
import sys

OUT = sys.argv[1]
DUMP = os.path.join(OUT, "dump")
FORMAT = "gridsmith snapshot dump format 1"

# ---- What is scrubbed, and why (keep this narrow) -------------------------
# Absolute paths: every snapshot runs in its own OUTDIR (a temp dir for
# compare_outputs.sh). JSON text escapes '/' as '\/' (the ledger's runs.run).
SCRUB_PATHS = [(OUT, "<OUT>"), (OUT.replace("/", "\\/"), "<OUT>")]

# (table, column): the whole value, in every GeoPackage.
SCRUB_COLUMNS = {
    ("gpkg_contents", "last_change"): "time of writing",
    ("layer_styles", "update_time"): "time of writing",
    ("runs", "started_at"): "time of the run (ledger)",
    ("runs", "finished_at"): "time of the run (ledger)",
}

# run_metadata rows (key -> reason): their value is scrubbed.
SCRUB_METADATA_KEYS = {
    "started_at": "time of the run",
    "finished_at": "time of the run",
    "libraries": "library versions (GDAL, GEOS, PROJ)",
}

# run_metadata rows (key -> (JSON keys, reason)): only these keys of the
# row's JSON value are scrubbed.
SCRUB_METADATA_JSON_KEYS = {
    "input.ledger": (["sha256"], "checksum of the ledger file, which holds "
                     "the job's run times (its tables are compared in "
                     "job/ledger.gpkg)"),
}

# JSON keys whose value is scrubbed wherever they appear (stdout --json,
# the ledger's runs.run): phase timings and memory use.
SCRUB_JSON_KEYS = ["wall_s", "peak_rss_mb"]

# Regexes over any text (HTML, stdout, stderr, cells): (pattern, repl, why).
SCRUB_REGEXES = [
    (r"(生成于 generated )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z",
     r"\1<scrubbed: time>", "the report's generation time (footer)"),
]
# ---------------------------------------------------------------------------

JSON_KEY_RE = re.compile(
    r'("(?:%s)"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|null)'
    % "|".join(map(re.escape, SCRUB_JSON_KEYS)))


def scrub(s):
    for old, new in SCRUB_PATHS:
        s = s.replace(old, new)
    s = JSON_KEY_RE.sub(r'\1"<scrubbed: timing>"', s)
    for pat, repl, _ in SCRUB_REGEXES:
        s = re.sub(pat, repl, s)
    return s


def write(rel, text):
    path = os.path.join(DUMP, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def md5(data):
    return hashlib.md5(data).hexdigest()


# ---- values ----------------------------------------------------------------
def gpkg_geometry(b):
    """A GeoPackage geometry blob: header fields, then the WKB in hex
    (wrapped at 64 bytes a line so that a change shows where it is)."""
    if len(b) < 8 or b[:2] != b"GP":
        return None
    ver, flags = b[2], b[3]
    end = "<" if flags & 1 else ">"
    n = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}.get((flags >> 1) & 7)
    if n is None:
        return None
    srs = struct.unpack(end + "i", b[4:8])[0]
    env = struct.unpack(end + "d" * n, b[8:8 + 8 * n])
    wkb = b[8 + 8 * n:].hex()
    lines = ["GPKG v%d flags=0x%02x srs_id=%d envelope=[%s] wkb %d bytes:"
             % (ver, flags, srs, ", ".join(repr(x) for x in env),
                len(wkb) // 2)]
    lines += [wkb[i:i + 128] for i in range(0, len(wkb), 128)]
    return lines


def value_lines(v):
    """The canonical text of one cell: a list of lines (the first after
    'column = ')."""
    if v is None:
        return ["NULL"]
    if isinstance(v, int):
        return [str(v)]
    if isinstance(v, float):
        return [repr(v)]
    if isinstance(v, bytes):
        g = gpkg_geometry(v)
        if g is not None:
            return g
        h = v.hex()
        return ["BLOB %d bytes:" % len(v)] + \
            [h[i:i + 128] for i in range(0, len(h), 128)]
    s = scrub(v)
    t = s.strip()
    if t[:1] in "{[":
        try:
            obj = json.loads(t)
        except ValueError:
            obj = None
        if isinstance(obj, (dict, list)):
            # Pretty-printed for diffs; the md5 of the text as written
            # (after scrubbing) still catches a change of formatting.
            pretty = json.dumps(obj, indent=1, ensure_ascii=False)
            return ["JSON (md5 of the text as written %s):" %
                    md5(s.encode())] + pretty.split("\n")
    if "\n" in s or len(s) > 200:
        return ["TEXT %d lines:" % (s.count("\n") + 1)] + \
            ["| " + line for line in s.split("\n")]
    return [json.dumps(s, ensure_ascii=False)]


# ---- GeoPackage ------------------------------------------------------------
def quote(name):
    return '"' + name.replace('"', '""') + '"'


def dump_gpkg(path, rel):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        con.enable_load_extension(False)
    except AttributeError:
        pass
    schema = ["application_id %r" % con.execute(
        "PRAGMA application_id").fetchone()[0],
        "user_version %r" % con.execute("PRAGMA user_version").fetchone()[0]]
    objs = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "ORDER BY type, name").fetchall()
    for typ, name, tbl, sql in objs:
        schema.append("%s %s on %s:" % (typ, name, tbl))
        schema += ["  " + line for line in (sql or "(no sql)").split("\n")]
    write(os.path.join(rel, "_schema.txt"), "\n".join(schema) + "\n")

    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "ORDER BY name").fetchall()]
    rtrees = [t for t in tables
              if t.startswith("rtree_") and any(
                  t == x + s for x in tables
                  for s in ("_node", "_parent", "_rowid"))]
    for t in tables:
        # SQLite's own tables and the R*Tree shadow tables (the R*Tree
        # virtual tables themselves are dumped, ordered by id).
        if t.startswith("sqlite_") or t in rtrees:
            continue
        dump_table(con, t, os.path.join(rel, t + ".txt"))
    con.close()


def dump_table(con, t, rel):
    info = con.execute("PRAGMA table_info(%s)" % quote(t)).fetchall()
    cols = [r[1] for r in info]
    pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5] > 0]
    if not pk and t.startswith("rtree_"):
        pk = ["id"]
    order = ", ".join(quote(c) for c in (pk or cols))
    rows = con.execute("SELECT %s FROM %s ORDER BY %s" % (
        ", ".join(quote(c) for c in cols), quote(t), order)).fetchall()
    out = ["table %s" % t,
           "columns %s" % ", ".join("%s %s%s" % (r[1], r[2],
                                                 " pk" if r[5] else "")
                                    for r in info),
           "order by %s" % (", ".join(pk) if pk else "all columns"),
           "rows %d" % len(rows)]
    key_col = "key" if t == "run_metadata" and "key" in cols else None
    for row in rows:
        rec = dict(zip(cols, row))
        out.append("")
        out.append("row " + ", ".join("%s=%s" % (c, rec[c]) for c in pk)
                   if pk else "row")
        for c in cols:
            v = rec[c]
            why = SCRUB_COLUMNS.get((t, c))
            if key_col and c == "value":
                why = why or SCRUB_METADATA_KEYS.get(rec[key_col])
            if why and v is not None:
                lines = ["<scrubbed: %s>" % why]
            elif (key_col and c == "value" and isinstance(v, str)
                  and rec[key_col] in SCRUB_METADATA_JSON_KEYS):
                keys, why = SCRUB_METADATA_JSON_KEYS[rec[key_col]]
                for k in keys:
                    v = re.sub(r'("%s"\s*:\s*)"[^"]*"' % re.escape(k),
                               r'\1"<scrubbed: %s>"' % why, v)
                lines = value_lines(v)
            else:
                lines = value_lines(v)
            out.append("  %s = %s" % (c, lines[0]))
            out += ["    " + line for line in lines[1:]]
    write(rel, "\n".join(out) + "\n")


# ---- GeoTIFF ---------------------------------------------------------------
def dump_tif(path, rel):
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.Open(path)
    out = ["driver %s" % ds.GetDriver().ShortName,
           "size %d x %d, %d band(s)" % (ds.RasterXSize, ds.RasterYSize,
                                         ds.RasterCount),
           "geotransform [%s]" % ", ".join(repr(x)
                                           for x in ds.GetGeoTransform()),
           "srs wkt:"]
    out += ["  " + line for line in
            (ds.GetProjectionRef() or "(none)").split("\n")]
    for dom in ("", "IMAGE_STRUCTURE"):
        md = ds.GetMetadata(dom) or {}
        out.append("metadata %r:" % dom)
        out += ["  %s=%s" % (k, scrub(md[k])) for k in sorted(md)]
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        data = b.ReadRaster()
        out.append("band %d: type %s, nodata %r, block %r" % (
            i, gdal.GetDataTypeName(b.DataType), b.GetNoDataValue(),
            b.GetBlockSize()))
        for dom in ("", "IMAGE_STRUCTURE"):
            md = b.GetMetadata(dom) or {}
            out.append("  metadata %r:" % dom)
            out += ["    %s=%s" % (k, scrub(md[k])) for k in sorted(md)]
        out.append("  pixels md5 %s (%d bytes)" % (md5(data), len(data)))
        if b.DataType in (gdal.GDT_Float32, gdal.GDT_Float64):
            fmt = "f" if b.DataType == gdal.GDT_Float32 else "d"
            vals = struct.unpack("=%d%s" % (len(data) // struct.calcsize(fmt),
                                            fmt), data)
            nz = [v for v in vals if v != 0]
            out.append("  min %r max %r sum %r nonzero %d" % (
                min(vals), max(vals), sum(vals), len(nz)))
    ds = None
    write(rel, "\n".join(out) + "\n")


# ---- HTML ------------------------------------------------------------------
class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1

    def handle_data(self, data):
        d = " ".join(data.split())
        if d and not self.skip:
            self.lines.append(d)


def dump_html(path, rel):
    with open(path, encoding="utf-8") as f:
        s = scrub(f.read())
    p = Text()
    p.feed(s)
    p.close()
    # The visible text, a line per text node, to read; and the whole
    # markup (CSS, SVG maps) split after each tag, so nothing escapes.
    write(os.path.join(rel, "text.txt"), "\n".join(p.lines) + "\n")
    write(os.path.join(rel, "markup.txt"), s.replace(">", ">\n"))


def dump_other(path, rel):
    with open(path, "rb") as f:
        data = f.read()
    try:
        write(rel, scrub(data.decode("utf-8")))
    except UnicodeDecodeError:
        write(rel, "binary, %d bytes, md5 %s\n" % (len(data), md5(data)))


def dump_dir(src, reldir):
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        rel = os.path.join(reldir, name)
        if name.endswith(".gpkg"):
            dump_gpkg(path, rel)
        elif name.endswith(".tif"):
            dump_tif(path, rel + ".txt")
        elif name.endswith(".html"):
            dump_html(path, rel)
        else:  # .qml styles; anything else left behind shows up too
            dump_other(path, rel)


def dump_console():
    log = os.path.join(OUT, "log")
    names = sorted({n.rsplit(".", 1)[0] for n in os.listdir(log)})
    for n in names:
        parts = []
        with open(os.path.join(log, n + ".rc")) as f:
            parts.append("exit status %s" % f.read().strip())
        for s in ("stdout", "stderr"):
            with open(os.path.join(log, "%s.%s" % (n, s)),
                      encoding="utf-8", errors="backslashreplace") as f:
                parts.append("--- %s\n%s" % (s, scrub(f.read())))
        write(os.path.join("console", n + ".txt"), "\n".join(parts))


def dump_inputs():
    """The inputs after all the runs (a changed or new file shows), so that
    a snapshot taken on other demo data does not pass for the same."""
    d = os.path.join(OUT, "input")
    lines = []
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            lines.append("%s  %s" % (hashlib.sha256(f.read()).hexdigest(), n))
    write(os.path.join("inputs", "sha256.txt"), "\n".join(lines) + "\n")


write(os.path.join("format", "version.txt"), FORMAT + "\n")
dump_inputs()
dump_console()
dump_dir(os.path.join(OUT, "job"), "job")
dump_dir(os.path.join(OUT, "cmd"), "cmd")
PYEOF

echo "commands $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }') s," \
    "dump $(since "$T1") s, snapshot $(since "$T0") s" | tee -a "$OUT/timing.txt"
