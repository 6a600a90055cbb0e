#!/usr/bin/python3
"""`gridsmith partition` on real data: Taipei's villages (里) and the 3D
building footprints of one map sheet (old-town Wanhua, Datong, Zhongzheng).

Usage: taipei_partition.py GRIDSMITH_BINARY REPOSITORY

Inputs are built in a scratch folder (never in the repository) from
../shared/data (or /work/shared/data):
  taipei-villages/*.geojson      village polygons (VNAME, CPTVID, ...)
  taipei-buildings-3d/*.geojson  footprints with `height` (metres)
Read the SOURCE.txt files there: the buildings cover one sheet, whose bbox
SOURCE.txt gives; only villages wholly inside it are kept, since villages
on the sheet's edge are only partly covered.

  floors     = max(1, round(height / 3.2))
  households = round(footprint area m2 * floors / 90), building_id = the
               footprint's index; buildings of 0 households (sheds under
               45 m2 of floor) are left out. Every third household stands
               at an entrance on the footprint's outline (spread along it,
               where that lies in the building's village), the others at
               the footprint's centroid
  buildings  the footprints themselves (building_id), given with
             --buildings: no grid line may cross one
  persons    = 2 or 3 alternately (2.5 a household, deterministic)
  village    = the kept village holding the centroid (others left out)
  community  = '630000001' + the village's 3-digit index (CPTVID order)

No barriers (none are available for Taipei). Footprint areas are taken in
TWD97 / TM2 zone 121 (EPSG:3826); the inputs are written in lon/lat and
gridsmith picks its metric frame itself.

Asserts: every feasible village (summary.feasible = 1) has compliant ==
grids; every grid is one valid polygon; `validate` on the output finds no
overlap, gap, outside_community or multipart, and counts every grid's
households as partition does, with no undersize or oversize grid
partition did not name; households are kept; no footprint inside a
village has more than 1 % of its area (and over 1 m2) outside the grid
holding its households. Prints the villages, households, grids,
compliance, median Polsby-Popper and footprints cut.

With GS_MAP_DIR set, draws the result to GS_MAP_DIR/taipei.png
(scripts/render_partition.py).

Exit 77 (ctest SKIP_RETURN_CODE) with a SKIP line when the data is absent.
The last line is "N passed, N failed".
"""
import glob
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile

from osgeo import gdal, ogr, osr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, read_layer, run  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()

h.BIN = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(sys.argv[2])
DATA = None
for d in (os.path.join(os.path.dirname(REPO), "shared", "data"),
          "/work/shared/data"):
    if os.path.isdir(os.path.join(d, "taipei-villages")) and os.path.isdir(
            os.path.join(d, "taipei-buildings-3d")):
        DATA = d
        break
if DATA is None:
    print("SKIP taipei_partition: no ../shared/data/taipei-villages and "
          "taipei-buildings-3d")
    sys.exit(77)

VILLAGES = sorted(glob.glob(os.path.join(DATA, "taipei-villages",
                                         "*.geojson")))
BUILDINGS = sorted(glob.glob(os.path.join(DATA, "taipei-buildings-3d",
                                          "*.geojson")))
SCRATCH = tempfile.mkdtemp(prefix="gs_taipei_")
M2_PER_HOUSEHOLD = 90.0
STOREY_M = 3.2


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


LL = srs(4326)
TO_TM2 = osr.CoordinateTransformation(LL, srs(3826))


def half_up(x):
    return int(math.floor(x + 0.5))


def sheet_bbox():
    """The sheet's lon/lat bbox from SOURCE.txt ("121.4887-121.5115 E,
    25.0308-25.0583 N"), else the footprints' extent."""
    src = os.path.join(DATA, "taipei-buildings-3d", "SOURCE.txt")
    if os.path.exists(src):
        with open(src, encoding="utf-8") as f:
            m = re.search(r"([\d.]+)-([\d.]+)\s*E,\s*([\d.]+)-([\d.]+)\s*N",
                          f.read())
        if m:
            x0, x1, y0, y1 = (float(v) for v in m.groups())
            return x0, y0, x1, y1
    xs, ys = [], []
    for path in BUILDINGS:
        ds = ogr.Open(path)
        e = ds.GetLayer(0).GetExtent()
        xs += e[:2]
        ys += e[2:]
    return min(xs), min(ys), max(xs), max(ys)


def build_inputs():
    x0, y0, x1, y1 = sheet_bbox()
    villages = []
    for path in VILLAGES:
        ds = ogr.Open(path)
        for f in ds.GetLayer(0):
            g = f.GetGeometryRef()
            if g is None:
                continue
            ex = g.GetEnvelope()  # minx, maxx, miny, maxy
            if ex[0] >= x0 and ex[1] <= x1 and ex[2] >= y0 and ex[3] <= y1:
                villages.append((str(f["CPTVID"]), f["VNAME"], f["TNAME"],
                                 g.Clone()))
    villages.sort(key=lambda v: v[0])
    comms = []
    for i, (vid, vname, tname, g) in enumerate(villages):
        comms.append(("630000001%03d" % (i + 1), vname, tname, vid, g))

    households = []  # (household_id, persons, building_id, x, y, comm)
    footprints = []  # (building_id, footprint lon/lat, comm)
    per_comm = {}
    k = 0
    for path in BUILDINGS:
        ds = ogr.Open(path)
        for f in ds.GetLayer(0):
            g = f.GetGeometryRef()
            if g is None or f["height"] is None:
                continue
            k += 1
            c = g.Centroid()
            m = g.Clone()
            m.Transform(TO_TM2)
            floors = max(1, half_up(float(f["height"]) / STOREY_M))
            n = half_up(m.GetArea() * floors / M2_PER_HOUSEHOLD)
            if n <= 0:
                continue
            where = [cc for cc in comms if cc[4].Contains(c)]
            if not where:
                continue
            code = where[0][0]
            bid = "B%05d" % k
            ring = ogr.ForceToPolygon(g).GetGeometryRef(0) \
                if g.GetGeometryName() != "POLYGON" else g.GetGeometryRef(0)
            rl = ring.Length()
            for j in range(n):
                x, y = c.GetX(), c.GetY()
                if j % 3 == 1 and rl > 0:  # an entrance on the outline
                    p = ring.Value(rl * j / n)
                    if where[0][4].Contains(p):  # in its own village
                        x, y = p.GetX(), p.GetY()
                households.append(("%s-%04d" % (bid, j), 3 if j % 2 == 0
                                   else 2, bid, x, y, code))
            per_comm[code] = per_comm.get(code, 0) + n
            footprints.append((bid, g.Clone(), code))

    path = os.path.join(SCRATCH, "taipei.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("communities", LL, ogr.wkbMultiPolygon)
    for n in ("community_code", "name", "district", "cptvid"):
        lyr.CreateField(ogr.FieldDefn(n, ogr.OFTString))
    for code, vname, tname, vid, g in comms:
        f = ogr.Feature(lyr.GetLayerDefn())
        f["community_code"] = code
        f["name"] = vname
        f["district"] = tname
        f["cptvid"] = vid
        f.SetGeometry(ogr.ForceToMultiPolygon(g))
        lyr.CreateFeature(f)
    lyr = ds.CreateLayer("households", LL, ogr.wkbPoint)
    for n, t in (("household_id", ogr.OFTString), ("persons", ogr.OFTInteger),
                 ("building_id", ogr.OFTString),
                 ("care_type", ogr.OFTString)):
        lyr.CreateField(ogr.FieldDefn(n, t))
    ds.StartTransaction()
    for hid, persons, bid, x, y, _ in households:
        f = ogr.Feature(lyr.GetLayerDefn())
        f["household_id"] = hid
        f["persons"] = persons
        f["building_id"] = bid
        f["care_type"] = ""
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(x, y)
        f.SetGeometry(p)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    lyr = ds.CreateLayer("buildings", LL, ogr.wkbMultiPolygon)
    lyr.CreateField(ogr.FieldDefn("building_id", ogr.OFTString))
    ds.StartTransaction()
    for bid, g, _ in footprints:
        f = ogr.Feature(lyr.GetLayerDefn())
        f["building_id"] = bid
        f.SetGeometry(ogr.ForceToMultiPolygon(g))
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None
    return path, comms, households, per_comm, footprints


CITY, COMMS, HOUSEHOLDS, PER_COMM, FOOTPRINTS = build_inputs()
OUT = os.path.join(SCRATCH, "partition.gpkg")
code, stdout, err = run("partition", "--communities", CITY, "--households",
                        CITY, "--buildings", CITY, "-o", OUT, "--json")
if code != 0:
    print("FAIL partition exit %d: %s" % (code, err))
    sys.exit(1)
REPORT = json.loads(stdout)
SUMMARY = {s["community_code"]: s for s in read_layer(OUT, "summary")}
GRIDS = read_layer(OUT, "grids")
if os.environ.get("GS_MAP_DIR"):  # the result drawn, for a person to look at
    import subprocess
    subprocess.run(["/usr/bin/python3", os.path.join(
        REPO, "scripts", "render_partition.py"),
        OUT, os.path.join(os.environ["GS_MAP_DIR"], "taipei.png"),
        "--buildings", CITY, "--title", "Taipei: %d villages, %d grids" % (
            len(COMMS), len(GRIDS))], check=False)


def show():
    print("Taipei sheet: %d villages wholly inside, %d households in %d "
          "buildings" % (len(COMMS), len(HOUSEHOLDS),
                         len({x[2] for x in HOUSEHOLDS})))
    print("%-16s %-8s %6s %5s %9s %8s  %s" % (
        "community", "village", "hh", "grids", "compliant", "feasible",
        "note"))
    for c in COMMS:
        s = SUMMARY.get(c[0])
        if s is None:
            print("%-16s %-8s (no summary row)" % (c[0], c[1]))
            continue
        print("%-16s %-8s %6d %5d %9d %8d  %s" % (
            c[0], c[1], s["households"], s["grids"], s["compliant"],
            s["feasible"], s["note"] or ""))
    r = REPORT
    pp = [g["polsby_popper"] for g in GRIDS if g["polsby_popper"]]
    print("villages %d, feasible %d, feasible and compliant %d (%.1f %%); "
          "grids %d, compliant %d; median Polsby-Popper %.3f (report %.3f)"
          % (r["communities"], r["feasible_communities"],
             r["feasible_compliant"], r["compliance_pct"], r["grids"],
             r["compliant_grids"], statistics.median(pp) if pp else 0.0,
             r["median_polsby_popper"] or 0.0))
    print("phases: " + ", ".join("%s %.2f s" % (p["phase"], p["wall_s"])
                                 for p in r["phases"]))
    sys.stdout.flush()


show()


@case
def inputs_are_real():
    # The sheet holds a few dozen villages' worth of buildings: a sanity
    # check on the input building, not on gridsmith.
    expect(len(COMMS) >= 5, "only %d villages inside the sheet" % len(COMMS))
    expect(len(HOUSEHOLDS) > 10000, len(HOUSEHOLDS))


@case
def every_village_has_a_summary_and_households_are_kept():
    expect(REPORT["communities"] == len(COMMS), REPORT["communities"])
    for c in COMMS:
        s = SUMMARY.get(c[0])
        expect(s is not None, "no summary for %s %s" % (c[0], c[1]))
        expect(s["households"] == PER_COMM.get(c[0], 0),
               "%s: %s households, built %s" % (c[0], s["households"],
                                                PER_COMM.get(c[0], 0)))
    expect(sum(g["households"] for g in GRIDS) == len(HOUSEHOLDS),
           "grids hold %d of %d households" % (
               sum(g["households"] for g in GRIDS), len(HOUSEHOLDS)))
    expect(REPORT.get("unplaced_households", 0) == 0, REPORT)


@case
def feasible_villages_are_compliant():
    bad = [(c, s["grids"], s["compliant"], s["note"])
           for c, s in sorted(SUMMARY.items())
           if s["feasible"] == 1 and s["compliant"] != s["grids"]]
    expect(not bad, "feasible but not compliant: %s" % bad)
    expect(REPORT["feasible_communities"] >= 1, REPORT)
    for g in GRIDS:
        s = SUMMARY[g["community_code"]]
        if s["feasible"] == 1:
            expect(300 <= g["households"] <= 500 and g["persons"] <= 2500,
                   g)


@case
def every_grid_is_one_valid_polygon():
    ds = ogr.Open(OUT)
    bad = []
    for f in ds.GetLayerByName("grids"):
        g = f.GetGeometryRef()
        if g is None or g.IsEmpty():
            bad.append((f["grid_code"], "no geometry"))
            continue
        if g.GetGeometryName() == "MULTIPOLYGON" and g.GetGeometryCount() > 1:
            bad.append((f["grid_code"], "%d parts" % g.GetGeometryCount()))
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        ok = g.IsValid()
        gdal.PopErrorHandler()
        if not ok:
            bad.append((f["grid_code"], "invalid"))
    expect(not bad, "grids not one valid polygon: %s" % bad)


@case
def no_footprint_is_cut():
    ds = ogr.Open(OUT)
    grids = []
    for f in ds.GetLayerByName("grids"):
        g = f.GetGeometryRef().Clone()
        g.Transform(TO_TM2)
        grids.append((f["grid_code"], g))
    comms = {}
    for c in COMMS:
        g = c[4].Clone()
        g.Transform(TO_TM2)
        comms[c[0]] = g
    cut = []
    for bid, fp, code in FOOTPRINTS:
        m = fp.Clone()
        m.Transform(TO_TM2)
        m = m.Intersection(comms[code])
        if m.GetArea() <= 0:
            continue
        p = m.PointOnSurface()
        own = [g for c, g in grids if g.Intersects(p)]
        inside = m.Intersection(own[0]).GetArea() if own else 0
        if m.GetArea() - inside > max(1.0, 0.01 * m.GetArea()):
            cut.append((bid, round(m.GetArea() - inside, 1)))
    print("footprints: %d, cut by a grid line: %d" % (len(FOOTPRINTS),
                                                      len(cut)))
    expect(not cut, "%d footprints cut: %s" % (len(cut), cut[:10]))


@case
def validate_agrees():
    vout = os.path.join(SCRATCH, "validate_agree.gpkg")
    code, stdout, err = run("validate", "--communities", CITY, "--grids",
                            OUT, "--households", CITY, "-o", vout)
    expect(code == 0, "validate exit %d: %s" % (code, err))
    mine = {g["grid_code"]: g for g in GRIDS}
    for v in read_layer(vout, "grids"):
        g = mine[v["grid_code"]]
        expect(v["households"] == g["households"],
               "%s: validate %d households, partition %d" % (
                   v["grid_code"], v["households"], g["households"]))
        if set((v["issues"] or "").split(";")) & {"undersize", "oversize"}:
            expect(g["status"] == "violation" and g["note"],
                   "%s: validate finds %s, partition says ok" % (
                       v["grid_code"], v["issues"]))


@case
def topology_is_clean():
    vout = os.path.join(SCRATCH, "validate.gpkg")
    code, stdout, err = run("validate", "--communities", CITY, "--grids",
                            OUT, "--households", CITY, "-o", vout, "--json")
    expect(code == 0, "validate exit %d: %s" % (code, err))
    v = json.loads(stdout)
    k = v["by_kind"]
    print("validate: overlap %d, gap %d, outside_community %d, multipart %d,"
          " community_mismatch %d, undersize %d, oversize %d" % (
              k["overlap"], k["gap"], k["outside_community"], k["multipart"],
              k["community_mismatch"], k["undersize"], k["oversize"]))
    bad = {n: k[n] for n in ("overlap", "gap", "outside_community",
                             "multipart") if k[n]}
    expect(not bad, "validate on the partition: %s" % bad)


if not os.environ.get("GS_KEEP"):
    shutil.rmtree(SCRATCH, ignore_errors=True)
else:
    print("kept " + SCRATCH)
h.finish()
