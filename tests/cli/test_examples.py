#!/usr/bin/python3
"""The worked examples users read are real runs: every `gridsmith CMD
--help` example and every example of the README is run on a copy of the
demo, and the output it shows must be what the command prints.

Usage: test_examples.py GRIDSMITH_BINARY REPO_DIR

An example is a command line (help: "  gridsmith CMD ...", README: "$
./build/gridsmith CMD ...", with "\\" continuations) and, after it, the
output it shows (help: the indented block after a blank line; README: the
rest of the fenced block). Output is compared word for word, whitespace
aside (help texts wrap long lines); a line "..." stands for lines left
out. The runs share one scratch copy of datasets/demo, in the order a
user would run them: the job first (it writes the ledger that report and
assess read). The last line is "N passed, N failed".
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect  # noqa: E402

BIN = h.BIN = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(sys.argv[2])
COMMANDS = ["run", "validate", "patrol", "hotspots", "report", "assess",
            "partition"]
SCRATCH = tempfile.mkdtemp(prefix="gs_examples_")
shutil.copytree(os.path.join(REPO, "datasets", "demo"),
                os.path.join(SCRATCH, "datasets", "demo"))
os.mkdir(os.path.join(SCRATCH, "out"))


def osm_example_inputs():
    """partition --help's OpenStreetMap example reads community.gpkg and
    map.osm: made here from the BUPT / Xitucheng Road extract of
    ../shared/data (its bounds as the community) when that is present.
    False without the data: that example is then skipped, said so."""
    for d in (os.path.join(REPO, "..", "shared", "data"),
              "/work/shared/data"):
        src = os.path.join(d, "osm-beijing-haidian",
                           "bupt_xitucheng_map.osm")
        if os.path.isfile(src):
            break
    else:
        return False
    from osgeo import ogr, osr
    shutil.copy(src, os.path.join(SCRATCH, "map.osm"))
    with open(src, encoding="utf-8") as f:
        head = f.read(4000)
    m = re.search(r'<bounds minlat="([\d.]+)" minlon="([\d.]+)" '
                  r'maxlat="([\d.]+)" maxlon="([\d.]+)"', head)
    y0, x0, y1, x1 = (float(v) for v in m.groups())
    ll = osr.SpatialReference()
    ll.ImportFromEPSG(4326)
    ll.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(
        os.path.join(SCRATCH, "community.gpkg"))
    lyr = ds.CreateLayer("communities", ll, ogr.wkbPolygon)
    for n in ("community_code", "name"):
        lyr.CreateField(ogr.FieldDefn(n, ogr.OFTString))
    f = ogr.Feature(lyr.GetLayerDefn())
    f["community_code"] = "110108010001"
    f["name"] = "西土城路社区"
    f.SetGeometry(ogr.CreateGeometryFromWkt(
        "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (
            x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)))
    lyr.CreateFeature(f)
    ds = None
    return True


HAVE_OSM = osm_example_inputs()


def help_examples(cmd):
    """(command argv, shown output lines) of each example in CMD --help."""
    p = subprocess.run([BIN, cmd, "--help"], capture_output=True, text=True)
    expect(p.returncode == 0, p.stderr)
    lines, out, i, inside = p.stdout.splitlines(), [], 0, False
    while i < len(lines):
        # Examples are under a heading "Example ...", up to the next
        # heading (a line of text at the margin).
        if re.match(r"[A-Z]", lines[i]):
            inside = lines[i].startswith("Example")
        if not inside or not re.match(r"  gridsmith %s( |$)" % cmd,
                                      lines[i]):
            i += 1
            continue
        words = lines[i].strip()
        while words.endswith("\\") and i + 1 < len(lines):
            i += 1
            words = words[:-1] + " " + lines[i].strip()
        i += 1
        shown = []
        if i + 1 < len(lines) and not lines[i].strip() and \
                re.match(r"  %s[ :]" % cmd, lines[i + 1]):
            i += 1
            while i < len(lines) and lines[i].strip():
                shown.append(lines[i].strip())
                i += 1
        out.append((shlex.split(words)[1:], shown))
    return out


def readme_examples():
    """(command argv, shown output lines) of each README block that runs
    ./build/gridsmith."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    out = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        lines = block.splitlines()
        if not lines or not lines[0].startswith("$ ./build/gridsmith "):
            continue
        i, words = 0, lines[0][2:].strip()
        while words.endswith("\\"):
            i += 1
            words = words[:-1] + " " + lines[i].strip()
        out.append((shlex.split(words)[1:],
                    [ln.strip() for ln in lines[i + 1:]]))
    return out


def words(lines):
    return " ".join(" ".join(lines).split())


def matches(shown, printed):
    """None when the printed text is what `shown` shows ("..." lines stand
    for any lines), else what differs."""
    segments, cur = [], []
    for ln in shown:
        if ln == "...":
            segments.append(cur)
            cur = []
        else:
            cur.append(ln)
    segments.append(cur)
    text, at = words(printed.splitlines()), 0
    for k, seg in enumerate(segments):
        want = words(seg)
        if not want:
            continue
        found = text.find(want, at)
        if found < 0 or (k == 0 and found != 0):
            return "expected %r at %d, printed %r" % (want, at, text[at:])
        at = found + len(want)
    if segments[-1] and at != len(text):
        return "printed more: %r" % text[at:]
    return None


def run_example(where, argv, shown):
    p = subprocess.run([BIN] + argv, capture_output=True, text=True,
                       cwd=SCRATCH, timeout=900)
    expect(p.returncode == 0, "%s: gridsmith %s: exit %d: %s" % (
        where, " ".join(argv), p.returncode, p.stderr[-1500:]))
    if shown:
        diff = matches(shown, p.stdout)
        expect(diff is None, "%s: gridsmith %s: the example shows other "
               "output than the command prints: %s" % (where, argv[0], diff))


def ordered(examples):
    """The job first: it writes the ledger the others read."""
    return sorted(examples, key=lambda e: e[0][0] != "run")


@case
def help_examples_are_real_runs():
    seen = set()
    for cmd in COMMANDS:
        ex = help_examples(cmd)
        expect(ex, "gridsmith %s --help shows no example" % cmd)
        seen.add(cmd)
    for cmd in sorted(seen, key=lambda c: c != "run"):
        for argv, shown in help_examples(cmd):
            expect(argv[0] == cmd, argv)
            if "map.osm" in argv and not HAVE_OSM:
                print("skip %s --help's OpenStreetMap example: no "
                      "../shared/data/osm-beijing-haidian" % cmd)
                continue
            run_example("%s --help" % cmd, argv, shown)
    # The examples that show output show it for these commands at least.
    for cmd in ("run", "validate", "patrol", "hotspots", "report", "assess"):
        expect(any(shown for _, shown in help_examples(cmd)),
               "gridsmith %s --help shows no output of its example" % cmd)


@case
def readme_examples_are_real_runs():
    ex = ordered(readme_examples())
    cmds = {argv[0] for argv, _ in ex}
    expect(cmds >= set(COMMANDS), "README lacks examples of %s" %
           sorted(set(COMMANDS) - cmds))
    for argv, shown in ex:
        run_example("README", argv, shown)


@case
def a_drifted_example_fails():
    """The comparison itself: one number changed is caught, "..." is not
    a licence to differ."""
    printed = "validate: 22 grids\n  17 of 22 violate\n  wrote x\n"
    expect(matches(["validate: 22 grids", "17 of 22 violate", "wrote x"],
                   printed) is None, "same")
    expect(matches(["validate: 22 grids", "...", "wrote x"], printed) is None,
           "elided")
    expect(matches(["validate: 20 grids", "...", "wrote x"], printed),
           "drift not seen")
    expect(matches(["validate: 22 grids", "17 of 22 violate"], printed),
           "missing tail not seen")


if not h._counts["failed"]:
    shutil.rmtree(SCRATCH, ignore_errors=True)
h.finish()
