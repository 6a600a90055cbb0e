#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/seeds/.

Seeds are small valid (and a few nearly valid) inputs for each parser, so
the fuzzer starts from the shapes the engine really reads: hand-written
here, or assembled from the repository's own test fixtures (tests/data).
The GeoPackage seed is written with GDAL's Python bindings, as small as a
GeoPackage gets (512-byte pages, no spatial index). Run it again after
changing a target's input format; the seeds are committed.

Usage: /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SEEDS = os.path.join(HERE, "seeds")


def put(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


def traces():
    for name in sorted(os.listdir(os.path.join(DATA, "traces"))):
        if name.endswith((".csv", ".tsv")):
            put("traces_csv", name, read("traces", name))
    put("traces_csv", "quoted_newline.csv",
        'member_id,time,lon,lat\n"M\n1","2026-11-16 08:00:00",116.4,39.9\n'
        '"M""2",2026-11-16T08:00:00.250+0800,116.4,39.9\n')
    put("traces_csv", "chinese_header.csv",
        "网格员编号,时间,经度,纬度\n张三,2026/11/16 8:00,116.4,39.9\n")
    put("traces_gpx", "walk.gpx", read("traces", "walk.gpx"))
    put("traces_gpx", "two_tracks.gpx",
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        '<trk><name>M1</name><trkseg>'
        '<trkpt lat="39.9" lon="116.4"><time>2026-11-16T08:00:00+08:00</time>'
        '</trkpt></trkseg></trk><trk><name>M2</name><trkseg>'
        '<trkpt lat="39.91" lon="116.41"><time>2026-11-16T00:00:05Z</time>'
        '</trkpt><trkpt lat="nan" lon="116.41"></trkpt></trkseg></trk>'
        '</gpx>\n')
    put("traces_gpx", "waypoints.gpx",
        '<?xml version="1.0"?><gpx version="1.0" creator="t">'
        '<wpt lat="39.9" lon="116.4"><name>M1</name>'
        '<time>2026-11-16T08:00:00Z</time></wpt></gpx>\n')


def times():
    for i, text in enumerate([
            "2026-11-16T08:30:00+08:00", "2026-11-16 08:30:00",
            "2026/11/16 8:30", "2026-11-16T00:30:00.123Z",
            "2026-11-16T08:30:00,5 UTC", "1794787200", "1794787200123",
            "1794787200.75", "2026-03-08 02:30:00", "2026-11-06 01:30:00",
            "2026-W47\n2026-11\n\n", "\n\n2026-11-16\n2026-11-22",
            "2026-W53\n\n\n", "2020-W53\n2026-02\n2026-02-29\n2024-02-29",
            " 2026-11-16T08:30:00+0800 ", "9999-12-31T23:59:59Z"]):
        put("time", "t%02d.txt" % i, text)


def configs():
    put("config", "mini.ini", read("mini", "rules.ini"))
    put("config", "all.ini", """[sizing]
min_households = 300
max_households = 500
max_persons = 2500
exempt_dedicated = yes
[topology]
sliver_m2 = 1.0
shared_edge_m = 1
edge_snap_m = 0.001
[patrol]
max_gap_s = 300
max_speed_mps = 8
mock_min_fixes = 30
[hotspots]
hex_size_m = 100
grid_gi_value = per_100hh
deadline.环境卫生 = 3
deadline_workdays = 5
[assess]
weight.patrol = 25
default.visits = 60
interval.elderly_alone = 7
tier_pass = 60
""")
    put("job", "demo.ini", """; the weekly job
[inputs]
communities = city.gpkg
grids = city.gpkg
households = city.gpkg
members = members.csv
traces = traces.csv
calendar = calendar.csv
events = city.gpkg
trace_crs = wgs84
encoding = GB18030

[run]
week = 2026-W47
tz = Asia/Shanghai
rules = rules.ini

[outputs]
dir = ../../out
ledger = ledger.gpkg
""")
    put("job", "bad_ledger.ini",
        "[inputs]\ncommunities=a\ngrids=b\nhouseholds=c\nmembers=d\n"
        "[outputs]\nledger = ../x.gpkg\n")


def fields():
    put("fields", "ok.txt",
        "grids=wangge\ntraces=gps\n\nhouseholds.persons=renkou\n"
        "traces.member_id=renyuan\ntraces.time=shijian\n"
        "members.member_id=bianhao\nmembers.grid_code=wangge\n")
    put("fields", "bad.txt", "grids\n\nhouseholds.=x\n")
    put("fields", "traces.txt",
        "\ntraces.lon=jingdu\ntraces.lat=weidu\ntraces.time=shijian\n")


def coords():
    for i, (lon, lat) in enumerate([
            (116.397, 39.909), (87.617, 43.826), (109.512, 18.252),
            (72.004, 0.8293), (137.8347, 55.8271), (-74.0, 40.7),
            (float("nan"), 39.9), (float("inf"), 1e308), (0.0, 0.0)]):
        put("coord", "c%02d.bin" % i, struct.pack("=dd", lon, lat))


def validate():
    mini = [read("mini", n) for n in ("communities.geojson", "grids.geojson",
                                      "households.geojson", "members.csv")]
    sep = b"\n%%\n"
    put("validate", "mini.txt", sep.join(mini))
    put("validate", "no_members.txt", sep.join(mini[:3]))
    put("validate", "tiny.txt", sep.join([
        b'{"type":"FeatureCollection","features":[{"type":"Feature",'
        b'"properties":{"community_code":"110108001001","name":"A"},'
        b'"geometry":{"type":"Polygon","coordinates":[[[116.0,39.0],'
        b'[116.01,39.0],[116.01,39.01],[116.0,39.01],[116.0,39.0]]]}}]}',
        b'{"type":"FeatureCollection","features":[{"type":"Feature",'
        b'"properties":{"grid_code":"110108001001001","community_code":'
        b'"110108001001","grid_type":"basic"},"geometry":{"type":"Polygon",'
        b'"coordinates":[[[116.0,39.0],[116.01,39.0],[116.01,39.01],'
        b'[116.0,39.0]]]}}]}',
        b'{"type":"FeatureCollection","features":[{"type":"Feature",'
        b'"properties":{"household_id":"H1","persons":3},"geometry":'
        b'{"type":"Point","coordinates":[116.005,39.002]}}]}',
        b"member_id,grid_code,name\nM1,110108001001001,A\n"]))


def gpkg():
    from osgeo import gdal, ogr, osr
    gdal.UseExceptions()
    out = os.path.join(SEEDS, "gpkg", "mini.gpkg")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.exists(out):
        os.remove(out)
    gdal.SetConfigOption("OGR_SQLITE_PRAGMA", "page_size=512")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(out)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4548)
    for role in ("communities", "grids", "households"):
        src = ogr.Open(os.path.join(DATA, "mini", role + ".geojson"))
        ds.CopyLayer(src.GetLayer(0), role, ["SPATIAL_INDEX=NO"])
    src = ogr.Open(os.path.join(DATA, "mini", "members.csv"))
    ds.CopyLayer(src.GetLayer(0), "members")
    ds = None
    db = ogr.Open(out, update=1)
    db.ExecuteSQL("VACUUM")
    db = None


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    traces()
    times()
    configs()
    fields()
    coords()
    validate()
    gpkg()
    return 0


if __name__ == "__main__":
    sys.exit(main())
