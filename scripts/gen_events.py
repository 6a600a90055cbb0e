#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Generate a multi-week events layer for a city made by gen_city.py, for
the `gridsmith hotspots` benchmark.

gen_city.py writes about 0.042 events per household over the 8 weeks it
simulates; the benchmark needs a set size and span (100,000 events over 12
weeks). This script reads the city's households (the places events happen
near) and writes an `events` layer of the input contract into its own
GeoPackage:

  - background events near random households (5-60 m), weighted by the
    categories' shares, fewer on weekends;
  - planted hot spots, one per 250 grids or so: a market street with
    占道经营 rising week over week, a garbage point with steady 环境卫生;
  - status and resolved_at as gen_city.py draws them (36 % self-resolved
    within 90 minutes, 56 % resolved after an exponential 30 h, the rest
    open); grid_code is left empty, so the engine joins every event by
    location (its heavier path).

Deterministic: the same arguments give the same events.

Usage:
  scripts/gen_events.py --city DIR/city.gpkg --out DIR/events.gpkg
                        [--events 100000] [--weeks 12] [--last-week 2026-W47]
                        [--seed 7]
"""

import argparse
import datetime
import math
import os
import random
import sys

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_city import CATEGORIES, CATEGORY_WEIGHTS, draw_status  # noqa: E402

TZ = datetime.timezone(datetime.timedelta(hours=8))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--city", required=True, help="city.gpkg of gen_city.py")
    ap.add_argument("--out", required=True, help="events GeoPackage to write")
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--last-week", default="2026-W47")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    rng = random.Random("%d:events" % a.seed)
    y, w = a.last_week.split("-W")
    last_monday = datetime.date.fromisocalendar(int(y), int(w), 1)
    first = last_monday - datetime.timedelta(weeks=a.weeks - 1)
    days = [first + datetime.timedelta(days=d) for d in range(7 * a.weeks)]
    day_w = [1.0 if d.weekday() < 5 else 0.6 for d in days]

    src = ogr.Open(a.city)
    hh = src.GetLayerByName("households")
    srs = hh.GetSpatialRef()
    metric = osr.SpatialReference()
    metric.ImportFromEPSG(4548)
    metric.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_m = osr.CoordinateTransformation(srs, metric)
    to_ll = osr.CoordinateTransformation(metric, srs)
    hh.SetIgnoredFields([hh.GetLayerDefn().GetFieldDefn(i).GetName()
                         for i in range(hh.GetLayerDefn().GetFieldCount())])
    pts = []
    for i, f in enumerate(hh):
        if i % 10 == 0:  # every tenth household is plenty of anchors
            g = f.GetGeometryRef()
            pts.append((g.GetX(), g.GetY()))
    pts = [(x, y) for x, y, _ in to_m.TransformPoints(pts)]
    n_grids = src.GetLayerByName("grids").GetFeatureCount()

    def when(week=None):
        if week is None:
            d = rng.choices(days, day_w)[0]
        else:
            d = days[7 * week + rng.randrange(7)]
        return datetime.datetime(d.year, d.month, d.day, rng.choice(range(7, 22)),
                                 rng.randrange(60), rng.randrange(60), tzinfo=TZ)

    ev = []
    n_spots = max(2, n_grids // 250)
    for k in range(n_spots):
        cx, cy = rng.choice(pts)
        for wk in range(a.weeks):
            n = (2 + 2 * wk) if k % 2 == 0 else 6
            for _ in range(n):
                cat = "占道经营" if k % 2 == 0 else "环境卫生"
                ev.append((when(wk), cat, cx + rng.gauss(0, 15), cy + rng.gauss(0, 15)))
    while len(ev) < a.events:
        bx, by = rng.choice(pts)
        r, t = rng.uniform(5, 60), rng.uniform(0, 2 * math.pi)
        ev.append((when(), rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0],
                   bx + r * math.cos(t), by + r * math.sin(t)))
    ev.sort(key=lambda e: e[0])
    ll = to_ll.TransformPoints([(e[2], e[3]) for e in ev])
    cutoff = datetime.datetime.combine(last_monday + datetime.timedelta(days=7),
                                       datetime.time(), tzinfo=TZ)

    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(a.out)
    lyr = ds.CreateLayer("events", srs, ogr.wkbPoint)
    for name in ("event_id", "category", "reported_at", "resolved_at", "status",
                 "grid_code"):
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    ds.StartTransaction()
    defn = lyr.GetLayerDefn()
    for i, ((t, cat, _, _), (lon, lat, _)) in enumerate(zip(ev, ll), 1):
        status, res = draw_status(rng, t, cutoff)
        f = ogr.Feature(defn)
        f["event_id"] = "E%07d" % i
        f["category"] = cat
        f["reported_at"] = t.isoformat()
        if res is not None:
            f["resolved_at"] = res.isoformat()
        f["status"] = status
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(lon, lat)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None
    print("gen_events: %d events, %d weeks (%s to %s), %d planted spots -> %s"
          % (len(ev), a.weeks, first.isoformat(), (cutoff.date() - datetime.timedelta(days=1)).isoformat(),
             n_spots, a.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
