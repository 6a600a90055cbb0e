"""The small harness CLI test scripts share (after H3's in-repo harness).

A script calls `case` on each test function (as a decorator), then ends
with `finish()`, whose last line is "N passed, N failed". `run` drives the
built binary and fails the case on any sanitizer report, so the same
script checks the AddressSanitizer build.
"""
import hashlib
import os
import subprocess
import sys

from osgeo import gdal

gdal.UseExceptions()

BIN = None  # set by the script: the gridsmith binary
_counts = {"passed": 0, "failed": 0}


def repo_args(argv):
    """A script run as SCRIPT GRIDSMITH_BINARY REPO_ROOT: sets BIN and
    returns (BIN, ROOT, MINI, DEMO, CITY): the binary, the repository,
    tests/data/mini, datasets/demo and the demo's city.gpkg."""
    global BIN
    BIN = os.path.abspath(argv[1])
    root = os.path.abspath(argv[2])
    demo = os.path.join(root, "datasets", "demo")
    return (BIN, root, os.path.join(root, "tests", "data", "mini"), demo,
            os.path.join(demo, "city.gpkg"))


def run(*args, env=None):
    """Runs the binary; returns (exit status, stdout, stderr)."""
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True,
                       env=env)
    # Under the sanitizer build any report is a failure, whatever the exit.
    for bad in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        if bad in p.stderr:
            raise AssertionError("sanitizer: " + p.stderr[-2000:])
    return p.returncode, p.stdout, p.stderr


# GS_TEST_CASES="a,b": run only the cases of these names (a ctest entry
# that runs part of a script, e.g. what the sanitized build skips).
_only = [c for c in os.environ.get("GS_TEST_CASES", "").split(",") if c]


def case(fn):
    """Runs the test function now and counts it (use as a decorator)."""
    if _only and fn.__name__ not in _only:
        return fn
    try:
        fn()
        _counts["passed"] += 1
        print("ok   " + fn.__name__)
    except AssertionError as e:
        _counts["failed"] += 1
        print("FAIL %s: %s" % (fn.__name__, e))
    except Exception as e:  # a crash in the test is a failure too
        _counts["failed"] += 1
        print("FAIL %s: %r" % (fn.__name__, e))
    sys.stdout.flush()
    return fn


def known_issue(why):
    """Marks a case that shows an open defect: it runs and is reported
    (KNOWN with the failure, or ok once fixed) but does not fail the run,
    so the defect stays visible until it is fixed (use as a decorator,
    above @case's place)."""
    def wrap(fn):
        try:
            fn()
            _counts["passed"] += 1
            print("ok   %s (known issue fixed: drop the marker)" %
                  fn.__name__)
        except Exception as e:
            print("KNOWN %s: %s: %s" % (fn.__name__, why, e))
        sys.stdout.flush()
        return fn
    return wrap


def skip(name, why):
    """Reports a case that cannot run here; it counts neither way."""
    print("skip %s: %s" % (name, why))


def finish():
    if _only and not _counts["passed"] + _counts["failed"]:
        print("FAIL no case named %s" % ", ".join(_only))
        sys.exit(1)
    print("%d passed, %d failed" % (_counts["passed"], _counts["failed"]))
    sys.exit(1 if _counts["failed"] else 0)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_error(code, err, status, *pieces):
    """The exit status and pieces of the message; never a crash."""
    expect(code == status, "exit %d, wanted %d; stderr: %s" % (code, status,
                                                              err))
    for p in pieces:
        expect(p in err, "message lacks %r: %s" % (p, err))
    expect("Traceback" not in err and "Segmentation" not in err, err)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_layer(path, name):
    """The layer's features as dicts, plus '_geom' (WKT or None) and
    '_area' (of polygons; 0 for other geometry, None without); a missing
    layer fails the case."""
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName(name)
    expect(lyr is not None, "%s has no layer %s" % (path, name))
    rows = []
    for f in lyr:
        d = f.items()
        g = f.GetGeometryRef()
        d["_geom"] = g.ExportToWkt() if g else None
        poly = g is not None and "POLYGON" in g.GetGeometryName()
        d["_area"] = g.GetArea() if poly else (0.0 if g else None)
        rows.append(d)
    return rows


# Run metadata differs between any two runs by design (times, command
# line): left out when outputs are compared.
VOLATILE_LAYERS = ("run_metadata",)
VOLATILE_FIELDS = {"layer_styles": ("update_time",)}


def contents(path):
    """Every layer of a GeoPackage as {layer: [feature tuples in fid
    order]}, each tuple the fields by name then the geometry as WKB hex,
    without run metadata (VOLATILE_*): two runs on the same input must
    give equal contents."""
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    out = {}
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        name = lyr.GetName()
        if name in VOLATILE_LAYERS:
            continue
        skip = VOLATILE_FIELDS.get(name, ())
        rows = []
        for f in lyr:
            items = sorted((k, "NaN" if v != v else v)
                           for k, v in f.items().items() if k not in skip)
            g = f.GetGeometryRef()
            rows.append((f.GetFID(), tuple(items),
                         g.ExportToWkb().hex() if g else None))
        out[name] = rows
    ds = None
    return out


def first_difference(a, b):
    """A short description of where two contents() differ, or None."""
    if sorted(a) != sorted(b):
        return "layers %s != %s" % (sorted(a), sorted(b))
    for name in sorted(a):
        if len(a[name]) != len(b[name]):
            return "%s: %d != %d features" % (name, len(a[name]),
                                              len(b[name]))
        for x, y in zip(a[name], b[name]):
            if x != y:
                return "%s: %r != %r" % (name, x, y)
    return None


def demo_inputs(demo):
    """The demo city's inputs, as a job file's [inputs] (see write_job)."""
    names = (("communities", "city.gpkg"), ("grids", "city.gpkg"),
             ("households", "city.gpkg"), ("members", "members.csv"),
             ("traces", "traces.csv"), ("calendar", "calendar.csv"),
             ("events", "city.gpkg"))
    return {k: os.path.join(demo, v) for k, v in names}


def write_job(path, inputs, week="2026-W47", **outputs):
    """Writes a job file: [inputs] from the dict (None leaves a key out),
    [run] week, [outputs] dir (default out) and ledger if given."""
    o = {"dir": "out"}
    o.update(outputs)
    text = "[inputs]\n" + "".join("%s = %s\n" % (k, v)
                                  for k, v in inputs.items() if v is not None)
    text += "[run]\nweek = %s\n[outputs]\n" % week
    text += "".join("%s = %s\n" % kv for kv in o.items())
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path
