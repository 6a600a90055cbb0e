#!/usr/bin/python3
"""Draws a partition's grids over its inputs into a PNG, for a person to
look at: grids filled by status (within the standard green, else red)
with their code and households, major barriers thick, medium thinner,
minor thin grey, building footprints dark grey.

Usage: render_partition.py PARTITION.gpkg OUT.png [--barriers SRC]
       [--buildings SRC] [--title TEXT]

Footprints and barriers may be .osm files (read through GDAL's OSM
driver, classed as gridsmith classes them: motorway to secondary, rivers,
rails and walls major; tertiary medium; streets minor). Needs matplotlib
(Debian python3-matplotlib).
"""
import argparse
import math
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from osgeo import ogr, osr  # noqa: E402

ogr.UseExceptions()
MAJOR = {"motorway", "motorway_link", "trunk", "trunk_link", "primary",
         "primary_link", "secondary", "secondary_link"}
MEDIUM = {"tertiary", "tertiary_link"}
MINOR = {"residential", "unclassified", "living_street", "service",
         "pedestrian", "road", "busway"}


def ll(geom):
    s = osr.SpatialReference()
    s.ImportFromEPSG(4326)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    g = geom.Clone()
    src = g.GetSpatialReference()
    if src is not None and not src.IsSame(s):
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        g.Transform(osr.CoordinateTransformation(src, s))
    return g


def polys(g):
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbPolygon:
        yield g
    elif t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        for i in range(g.GetGeometryCount()):
            yield from polys(g.GetGeometryRef(i))


def lines(g):
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbLineString:
        yield g.GetPoints()
    elif t in (ogr.wkbMultiLineString, ogr.wkbGeometryCollection):
        for i in range(g.GetGeometryCount()):
            yield from lines(g.GetGeometryRef(i))


def patch(g, **kw):
    verts, codes = [], []
    for p in polys(g):
        for r in range(p.GetGeometryCount()):
            pts = [q[:2] for q in p.GetGeometryRef(r).GetPoints()]
            if len(pts) < 3:
                continue
            verts += pts
            codes += [Path.MOVETO] + [Path.LINETO] * (len(pts) - 2) + \
                [Path.CLOSEPOLY]
    if not verts:
        return None
    return PathPatch(Path(verts, codes), **kw)


def layer_of(path, want, role):
    ds = ogr.Open(path)
    if path.lower().endswith((".osm", ".pbf")):
        return ds, ds.GetLayerByName(want)
    lyr = ds.GetLayerByName(role) or ds.GetLayer(0)
    return ds, lyr


def klass(f):
    def val(n):
        i = f.GetFieldIndex(n)
        return f.GetField(i) if i >= 0 and f.IsFieldSetAndNotNull(i) else ""
    c = val("class")
    if c:
        return {"1": 1, "major": 1, "2": 2, "medium": 2}.get(str(c), 3)
    other = val("other_tags") or ""
    if '"tunnel"=>"' in other and '"tunnel"=>"no"' not in other:
        return 0
    hw, ww, rw, bw = val("highway"), val("waterway"), val("railway"), \
        val("barrier")
    if hw in MAJOR or ww in ("river", "canal") or \
            rw in ("rail", "light_rail", "narrow_gauge", "monorail") or \
            bw in ("wall", "city_wall", "retaining_wall"):
        return 1
    if hw in MEDIUM:
        return 2
    if hw in MINOR or ww in ("stream", "drain", "ditch") or rw == "tram" \
            or bw in ("fence", "hedge"):
        return 3
    k = val("kind")
    if k in ("river", "rail", "wall"):
        return 1
    return 2 if k == "road" else (3 if k else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("partition")
    ap.add_argument("png")
    ap.add_argument("--barriers")
    ap.add_argument("--buildings")
    ap.add_argument("--title", default="")
    ap.add_argument("--bbox", help="lon0,lat0,lon1,lat1: draw only this")
    a = ap.parse_args()
    fig, ax = plt.subplots(figsize=(12, 12), dpi=110)
    ds = ogr.Open(a.partition)
    grids = ds.GetLayerByName("grids")
    ext = None
    for f in grids:
        g = ll(f.GetGeometryRef())
        e = g.GetEnvelope()
        ext = e if ext is None else (min(ext[0], e[0]), max(ext[1], e[1]),
                                     min(ext[2], e[2]), max(ext[3], e[3]))
        ok = f["status"] == "ok"
        p = patch(g, facecolor=(0.55, 0.8, 0.55, 0.45) if ok else
                  (0.95, 0.45, 0.4, 0.55), edgecolor="navy", linewidth=1.6,
                  zorder=2)
        if p:
            ax.add_patch(p)
        c = g.PointOnSurface()
        ax.text(c.GetX(), c.GetY(), "%s\n%d" % (f["grid_code"][-3:],
                                                f["households"]),
                ha="center", va="center", fontsize=7, zorder=6,
                color="black", clip_on=True)
    if a.buildings:
        bds, bl = layer_of(a.buildings, "multipolygons", "buildings")
        for f in bl:
            if a.buildings.lower().endswith(".osm") and not f["building"]:
                continue
            p = patch(ll(f.GetGeometryRef()), facecolor="0.35",
                      edgecolor="none", zorder=3)
            if p:
                ax.add_patch(p)
    if a.barriers:
        bds, bl = layer_of(a.barriers, "lines", "barriers")
        style = {1: ("crimson", 2.6), 2: ("darkorange", 1.6),
                 3: ("0.45", 0.7)}
        for f in bl:
            k = klass(f)
            if not k:
                continue
            col, w = style[k]
            for pts in lines(ll(f.GetGeometryRef())):
                xs = [p[0] for p in pts]
                ys = [p[1] for p in pts]
                ax.plot(xs, ys, color=col, linewidth=w, zorder=4 + (k == 1))
    if a.bbox:
        x0, y0, x1, y1 = (float(v) for v in a.bbox.split(","))
        ext = (x0, x1, y0, y1)
    if ext:
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
    if ext:  # metres the same both ways at the centre's latitude
        ax.set_aspect(1 / math.cos(math.radians((ext[2] + ext[3]) / 2)))
    ax.set_title(a.title or os.path.basename(a.partition))
    fig.savefig(a.png, bbox_inches="tight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
