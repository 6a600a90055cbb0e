#!/usr/bin/python3
"""Gives a generated city (scripts/gen_city.py) building footprints and
spreads each building's households over its footprint, as real address
points stand: every building becomes a 10 x 9 m rectangle around its
households' mean point, and its households stand at distinct points
inside it (a lattice 0.5 m in from the walls, in household order).

Usage: city_footprints.py CITY.gpkg OUT.gpkg

Writes OUT.gpkg with layers `buildings` (polygons: building_id) and
`households` (the city's households, moved), in the city's CRS; the
metric work is done in CGCS2000 / 3-degree GK CM 117E (EPSG:4548).
Households without a building keep their point. Used by
scripts/bench_partition.sh and the agreement test.
"""
import math
import os
import sys

from osgeo import ogr, osr

ogr.UseExceptions()
W, H, MARGIN = 10.0, 9.0, 0.5


def main(src_path, out_path):
    src = ogr.Open(src_path)
    lyr = src.GetLayerByName("households")
    ll = lyr.GetSpatialRef().Clone()
    ll.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tm = osr.SpatialReference()
    tm.ImportFromEPSG(4548)
    tm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    fwd = osr.CoordinateTransformation(ll, tm)
    back = osr.CoordinateTransformation(tm, ll)
    defn = lyr.GetLayerDefn()
    rows = []
    for f in lyr:
        g = f.GetGeometryRef()
        rows.append((f.GetFID(), f["household_id"], f["persons"],
                     f["building_id"] or "", f["care_type"] or "",
                     g.GetX(), g.GetY()))
    pts = fwd.TransformPoints([(r[5], r[6]) for r in rows])
    by_b = {}
    for i, r in enumerate(rows):
        if r[3]:
            by_b.setdefault(r[3], []).append(i)
    where = [(p[0], p[1]) for p in pts]
    rects = {}
    for b, idx in by_b.items():
        cx = sum(pts[i][0] for i in idx) / len(idx)
        cy = sum(pts[i][1] for i in idx) / len(idx)
        rects[b] = (cx - W / 2, cy - H / 2, cx + W / 2, cy + H / 2)
        n = len(idx)
        cols = max(1, int(math.ceil(math.sqrt(n * (W / H)))))
        rws = int(math.ceil(n / cols))
        dx = (W - 2 * MARGIN) / max(1, cols - 1) if cols > 1 else 0
        dy = (H - 2 * MARGIN) / max(1, rws - 1) if rws > 1 else 0
        x0, y0 = rects[b][0] + MARGIN, rects[b][1] + MARGIN
        for k, i in enumerate(idx):
            c, r = k % cols, k // cols
            where[i] = (x0 + c * dx if cols > 1 else cx,
                        y0 + r * dy if rws > 1 else cy)
    moved = back.TransformPoints(where)
    if os.path.exists(out_path):
        os.remove(out_path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(out_path)
    bl = ds.CreateLayer("buildings", ll, ogr.wkbPolygon)
    bl.CreateField(ogr.FieldDefn("building_id", ogr.OFTString))
    ds.StartTransaction()
    for b in sorted(rects):
        x0, y0, x1, y1 = rects[b]
        ring = back.TransformPoints([(x0, y0), (x1, y0), (x1, y1), (x0, y1),
                                     (x0, y0)])
        wkt = "POLYGON((%s))" % ",".join("%.9f %.9f" % (p[0], p[1])
                                         for p in ring)
        f = ogr.Feature(bl.GetLayerDefn())
        f["building_id"] = b
        f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        bl.CreateFeature(f)
    ds.CommitTransaction()
    hl = ds.CreateLayer("households", ll, ogr.wkbPoint)
    for i in range(defn.GetFieldCount()):
        hl.CreateField(defn.GetFieldDefn(i))
    ds.StartTransaction()
    for r, p in zip(rows, moved):
        f = ogr.Feature(hl.GetLayerDefn())
        f["household_id"] = r[1]
        if r[2] is not None:
            f["persons"] = r[2]
        f["building_id"] = r[3]
        f["care_type"] = r[4]
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(p[0], p[1])
        f.SetGeometry(g)
        hl.CreateFeature(f)
    ds.CommitTransaction()
    ds = None
    print("%s: %d footprints, %d households spread over them" % (
        out_path, len(rects), len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
