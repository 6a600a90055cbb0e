#!/usr/bin/python3
"""`validate` agrees with `partition`'s own summary, on every kind of
output: a fresh division of the demo city, a re-division of the demo's
grids, a generated city whose household points spread over their
buildings' footprints (with and without the footprints given), and the
CAU-east OpenStreetMap extract of Haidian with households from its
footprints (when ../shared/data is there; Taipei's agreement is checked
by taipei_partition.py on its own inputs).

Usage: partition_agreement.py GRIDSMITH_BINARY REPOSITORY

For each output, `validate` runs with a roster of one member per grid
(so the roster's kinds stay quiet) and:

  - every grid's households in validate equal partition's;
  - a grid validate finds undersize or oversize is one partition named:
    status violation with a note;
  - a community partition counts fully compliant (compliant = grids)
    has no grid validate finds undersize, oversize, persons_over,
    overlap, gap, multipart, outside_community, community_mismatch,
    duplicate_code, bad_code or invalid_geometry;
  - the report's grid and compliant counts are the grids layer's.

The last line is "N passed, N failed".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from osgeo import ogr, osr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
from cli_harness import case, expect, read_layer, run  # noqa: E402

ogr.UseExceptions()
h.BIN = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(sys.argv[2])
DEMO = os.path.join(REPO, "datasets", "demo", "city.gpkg")
SCRATCH = tempfile.mkdtemp(prefix="gs_agree_")
REDRAWABLE = {"undersize", "oversize", "persons_over", "overlap", "gap",
              "multipart", "outside_community", "community_mismatch",
              "duplicate_code", "bad_code", "invalid_geometry"}
DATA = None
for d in (os.path.join(os.path.dirname(REPO), "shared", "data"),
          "/work/shared/data"):
    if os.path.isdir(os.path.join(d, "osm-beijing-haidian")):
        DATA = d
        break


def agree(name, out, communities, households=None, buildings=None):
    """validate on partition's output `out` against its summary."""
    rep = out[:-5] + "_report.json"
    report = json.load(open(rep))
    roster = os.path.join(SCRATCH, name + "_members.csv")
    grids = read_layer(out, "grids")
    with open(roster, "w", encoding="utf-8") as f:
        f.write("member_id,grid_code,name\n")
        for i, g in enumerate(grids):
            f.write("M%05d,%s,member %d\n" % (i, g["grid_code"], i))
    vout = out[:-5] + "_validate.gpkg"
    args = ["validate", "--communities", communities, "--grids", out,
            "--members", roster, "-o", vout, "--json"]
    args += ["--households", households] if households else \
        ["--buildings", buildings]
    st, so, err = run(*args)
    expect(st == 0, "%s: validate exit %d: %s" % (name, st, err))
    vk = json.loads(so)["by_kind"]
    expect(not vk.get("no_member") and not vk.get("multiple_members"),
           "%s: the roster is not one member a grid: %s" % (name, vk))
    vg = {g["grid_code"]: g for g in read_layer(vout, "grids")}
    mine = {}
    for g in grids:
        mine.setdefault(g["grid_code"], []).append(g)
    bad = []
    for code, gs in mine.items():
        if len(gs) != 1:
            bad.append((code, "%d grids share the code" % len(gs)))
            continue
        g, v = gs[0], vg[code]
        if v["households"] != g["households"]:
            bad.append((code, "validate %d households, partition %d" % (
                v["households"], g["households"])))
        kinds = set((v["issues"] or "").split(";"))
        if kinds & {"undersize", "oversize"} and not (
                g["status"] == "violation" and g["note"]):
            bad.append((code, "validate %s, partition %s" % (
                v["issues"], g["status"])))
    for s in read_layer(out, "summary"):
        if s["grids"] and s["compliant"] == s["grids"]:
            found = [(c, v["issues"]) for c, v in vg.items()
                     if v["community_code"] == s["community_code"] and
                     set((v["issues"] or "").split(";")) & REDRAWABLE]
            if found:
                bad.append((s["community_code"], "counted compliant, "
                            "validate finds %s" % found))
    expect(report["grids"] == len(grids) and report["compliant_grids"] ==
           sum(1 for g in grids if g["status"] == "ok"),
           "%s: report %d grids (%d compliant), layer %d (%d ok)" % (
               name, report["grids"], report["compliant_grids"], len(grids),
               sum(1 for g in grids if g["status"] == "ok")))
    expect(not bad, "%s: %s" % (name, bad[:8]))
    print("  %s: %d grids, validate agrees (undersize %d, oversize %d)" % (
        name, len(grids), vk.get("undersize", 0), vk.get("oversize", 0)))


def partition(name, *args):
    out = os.path.join(SCRATCH, name + ".gpkg")
    st, so, err = run("partition", *(list(args) + ["-o", out, "--json"]))
    expect(st == 0, "%s: partition exit %d: %s" % (name, st, err))
    with open(out[:-5] + "_report.json", "w") as f:
        f.write(so)
    return out


@case
def demo_fresh():
    out = partition("demo", "--communities", DEMO, "--households", DEMO,
                    "--barriers", DEMO)
    agree("demo", out, DEMO, households=DEMO)


@case
def demo_redivision():
    out = partition("demo_redivide", "--existing", DEMO, "--communities",
                    DEMO, "--households", DEMO, "--barriers", DEMO)
    agree("demo_redivide", out, DEMO, households=DEMO)


def spread_city():
    d = os.path.join(SCRATCH, "city20k")
    p = subprocess.run(["/usr/bin/python3",
                        os.path.join(REPO, "scripts", "gen_city.py"),
                        "--households", "20000", "--out", d, "--no-traces"],
                       capture_output=True, text=True)
    expect(p.returncode == 0, p.stderr[-2000:])
    city = os.path.join(d, "city.gpkg")
    fp = os.path.join(d, "footprints.gpkg")
    p = subprocess.run(["/usr/bin/python3",
                        os.path.join(REPO, "scripts", "city_footprints.py"),
                        city, fp], capture_output=True, text=True)
    expect(p.returncode == 0, p.stderr[-2000:])
    return city, fp


CITY = FOOT = None


@case
def generated_city_households_spread_over_footprints():
    global CITY, FOOT
    CITY, FOOT = spread_city()
    out = partition("spread", "--communities", CITY, "--households", FOOT,
                    "--barriers", CITY)
    agree("spread (no footprints given)", out, CITY, households=FOOT)


@case
def generated_city_with_footprints_given():
    expect(CITY is not None, "no generated city")
    out = partition("spread_fp", "--communities", CITY, "--households",
                    FOOT, "--buildings", FOOT, "--barriers", CITY)
    agree("spread (footprints given)", out, CITY, households=FOOT)


@case
def haidian_households_from_footprints():
    if DATA is None:
        print("  SKIP haidian: no ../shared/data/osm-beijing-haidian")
        return
    osm = os.path.join(DATA, "osm-beijing-haidian",
                       "cau_east_xueyuanlu_map.osm")
    comm = os.path.join(SCRATCH, "cau_community.gpkg")
    ll = osr.SpatialReference()
    ll.ImportFromEPSG(4326)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(comm)
    lyr = ds.CreateLayer("communities", ll, ogr.wkbPolygon)
    for n in ("community_code", "name"):
        lyr.CreateField(ogr.FieldDefn(n, ogr.OFTString))
    f = ogr.Feature(lyr.GetLayerDefn())
    f["community_code"] = "110108009001"
    f["name"] = "cau"
    f.SetGeometry(ogr.CreateGeometryFromWkt(
        "POLYGON((116.34403 39.99767,116.35974 39.99767,116.35974 40.00888,"
        "116.34403 40.00888,116.34403 39.99767))"))
    lyr.CreateFeature(f)
    ds = None
    out = partition("cau", "--communities", comm, "--buildings", osm,
                    "--barriers", osm)
    agree("cau", out, comm, buildings=osm)


if not os.environ.get("GS_KEEP"):
    shutil.rmtree(SCRATCH, ignore_errors=True)
else:
    print("kept " + SCRATCH)
h.finish()
