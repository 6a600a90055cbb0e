#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Generate a synthetic city for gridsmith: the committed demo data and
benchmark inputs.

The city lies in Beijing's Haidian district (around 116.30E, 39.98N). It is
built in metres in CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548) and
written in CGCS2000 lon/lat (EPSG:4490); traces are written as WGS84 lon/lat
(the two frames differ by centimetres, which the engine ignores).

How the city is made:
  1. A lattice of city blocks ("cells", about 200 m x 175 m) with jittered
     corners. Every lattice line is a road, except one that is a river and one
     that is a railway. Communities are rectangles of cells (3 x 2 at demo
     scale with two cells merged into one grid, 5 x 2 at large scale), grouped
     into streets (街道).
  2. Grids are unions of cells. A few cells have a corner carved off: the
     corner becomes a small `dedicated` grid (a school or a market), or an
     exclave of another grid (the `multipart` defect). Every polygon is a list
     of node ids of one planar subdivision, and unions are taken by cancelling
     shared edges, so neighbouring grids and their community share exactly the
     same vertices (T-junction points are inserted on both sides).
  3. Defects are planted deterministically by moving a piece of one grid's
     edge (overlap, gap, outside_community, bow-tie) or by editing codes,
     counts and the roster. The README written next to the data lists them.
  4. Households sit in buildings placed at least 35 m from every grid and road
     edge, so the planted edge defects never change which grid a household
     falls in: the per-grid household counts are exactly the planned ones.
  5. Events and GPS traces are drawn from per-purpose random generators seeded
     with strings derived from --seed, so each part is reproducible on its
     own. Nothing depends on the clock: the same arguments give
     byte-identical CSVs and identical GeoPackage content.

The 2026 holiday calendar written to calendar.csv is ILLUSTRATIVE: it follows
the published pattern of the 2026 public holidays and make-up working days
(调休), but check the official State Council notice before relying on it.

Usage:
  scripts/gen_city.py [--households N] [--seed S] [--out DIR] [--week 2026-W47]
                      [--weeks 8] [--trace-weeks N] [--no-traces]
                      [--trace-fixes N]

--weeks: the weeks of events and traces, ending with --week (the last week
carries the planted trace defects; earlier weeks patrol as a street office
does). --trace-weeks N: traces for only the last N of them (the benchmarks
take 1: their inputs are one week of traces, as before).

Only the Python standard library and GDAL's osgeo bindings are used.
"""

import argparse
import bisect
import datetime
import math
import os
import random
import sys
import time

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

DISTRICT = "110108"  # 北京市海淀区
CENTER_LON = 116.30
CENTER_LAT = 39.98
EPSG_LL = 4490  # CGCS2000 geographic
EPSG_M = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
TZ = "+08:00"
FIXED_DATE = "2026-11-23T00:00:00.000Z"  # gpkg_contents.last_change, for determinism

# Distances in metres.
BUILDING_MARGIN = 35.0  # building centre to any grid / road edge
HOUSEHOLD_JITTER = 8.0  # households within this radius of their building
OVERLAP_PUSH = 20.0
GAP_WIDTH = 15.0
OUTSIDE_PUSH = 30.0

COMMUNITY_BASE = [
    "青龙桥", "燕园", "蓝旗营", "六道口", "双榆树", "万泉河", "稻香园", "紫竹院",
    "甘家口", "八里庄", "北下关", "花园路", "牡丹园", "志新", "塔院", "健翔园",
    "学知园", "北太平庄", "大钟寺", "皂君庙", "红联", "万柳", "巴沟", "苏州街",
    "芙蓉里", "知春里", "双清路", "清华园", "五道口", "成府路", "科育", "科源",
    "黄庄", "太月园", "小南庄", "车道沟", "四道口", "魏公村", "厂洼", "定慧寺",
    "永定路", "玉泉路", "田村", "香山", "马连洼", "西北旺", "上地", "清河",
    "安宁庄", "西三旗", "永泰", "育新", "宝盛里", "东升园", "美和园", "圆明园",
    "肖家河", "树村", "马坊", "后营", "蓟门里", "明光村", "文慧园", "北洼路",
]
COMMUNITY_SUFFIXES = ["东里", "西里", "南里", "北里", "一区", "二区", "三区", "新村"]
ROAD_BASE = [
    "颐和园路", "中关村大街", "北四环西路", "学院路", "知春路", "成府路", "清华西路",
    "海淀南路", "苏州街", "万泉河路", "蓝靛厂北路", "西三环北路", "昆明湖南路",
    "圆明园西路", "双清路", "学清路", "花园北路", "北三环西路", "紫竹院路",
    "阜成路", "永定路", "玉泉路", "田村路", "西四环北路", "农大南路", "上地西路",
    "信息路", "安宁庄路", "清河中街", "小营西路", "北清路", "后厂村路",
    "西北旺东路", "马连洼北路", "育新街", "知春里路", "魏公村路", "大慧寺路",
]
ROAD_PREFIXES = [
    "知春", "成府", "双清", "清河", "永丰", "上地", "西北旺", "北清", "安宁",
    "宝盛", "小营", "马甸", "双榆树", "万柳", "巴沟", "紫竹", "车道沟", "蓝靛厂",
    "田村", "玉泉", "五路居", "定慧", "八里庄", "增光", "阜成", "白石桥", "北洼",
    "厂洼", "花园", "牡丹园", "塔院", "志新", "学院", "科学院", "中关村", "海淀",
]
ROAD_SUFFIXES = ["路", "街", "东路", "西路", "南路", "北路", "中路", "大街", "一街", "二街"]
RIVER_NAMES = ["万泉河", "南长河", "小月河", "清河", "京密引水渠", "土城沟"]
RAIL_NAMES = ["京包铁路", "京张铁路", "京通铁路", "京原铁路"]
SCHOOL_NAMES = [
    "育英学校", "海淀实验小学", "科技园中学", "培英小学", "中关村第三小学",
    "北洼路小学", "双榆树中学", "清华附小分校", "苏州街小学", "永泰中学",
]
MARKET_NAMES = ["农贸市场", "便民市场", "早市", "菜市场"]
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁"
            "邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭")
GIVEN_NAMES = [
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰",
    "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "淑珍",
    "丽华", "春梅", "海燕", "玉兰", "志强", "建国", "秀兰", "玉梅", "红梅",
    "晓东", "晓燕", "婷婷", "建军", "国庆", "桂兰", "凤英", "海波", "振华",
    "文静", "雪梅", "立新", "卫东", "雅琴", "亚楠", "子涵", "宇航",
]
CATEGORIES = ["环境卫生", "占道经营", "违章搭建", "矛盾纠纷", "安全隐患", "设施损坏",
              "噪音扰民", "其他"]
CATEGORY_WEIGHTS = [30, 10, 8, 12, 12, 13, 8, 7]
CARE_TYPES = ["elderly_alone", "left_behind_child", "left_behind_woman",
              "released_prisoner", "mental_disorder", "key_youth"]
CARE_WEIGHTS = [45, 10, 8, 7, 15, 15]
CARE_SHARE = 0.04
PERSONS_WEIGHTS = [20, 30, 27, 13, 7, 3]  # persons 1..6, mean about 2.66
PERSONS_WEIGHTS_BIG = [4, 14, 30, 26, 16, 10]  # multi-generation families, mean about 3.7

# Illustrative 2026 calendar (see the module comment): holiday ranges and the
# weekend days that are worked instead (调休).
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03"),  # 元旦
    ("2026-02-15", "2026-02-23"),  # 春节
    ("2026-04-04", "2026-04-06"),  # 清明节
    ("2026-05-01", "2026-05-05"),  # 劳动节
    ("2026-06-19", "2026-06-21"),  # 端午节
    ("2026-09-25", "2026-09-27"),  # 中秋节
    ("2026-10-01", "2026-10-07"),  # 国庆节
]
MAKEUP_WORKDAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                        "2026-09-20", "2026-10-10"]


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- geometry --

def ring_area(pts):
    """Signed area of a closed ring given without the closing point."""
    s = 0.0
    n = len(pts)
    for k in range(n):
        x1, y1 = pts[k]
        x2, y2 = pts[(k + 1) % n]
        s += x1 * y2 - x2 * y1
    return s / 2.0


def point_in_ring(x, y, pts):
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def seg_dist(px, py, ax, ay, bx, by):
    dx = bx - ax
    dy = by - ay
    l2 = dx * dx + dy * dy
    t = 0.0 if l2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / l2))
    ex = ax + t * dx - px
    ey = ay + t * dy - py
    return math.sqrt(ex * ex + ey * ey)


def ring_segments(pts):
    n = len(pts)
    return [(pts[k][0], pts[k][1], pts[(k + 1) % n][0], pts[(k + 1) % n][1])
            for k in range(n)]


def min_seg_dist(px, py, segs):
    return min(seg_dist(px, py, *s) for s in segs)


def bbox_of(rings):
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    return min(xs), min(ys), max(xs), max(ys)


def union_rings(rings):
    """Union of node-id rings (CCW) of one planar subdivision: shared edges
    cancel, what is left is chained into rings, largest first. Raises on a
    pinch (two rings touching at a node), which the layout never makes."""
    edges = {}
    for r in rings:
        n = len(r)
        for k in range(n):
            a, b = r[k], r[(k + 1) % n]
            if (b, a) in edges:
                del edges[(b, a)]
            else:
                edges[(a, b)] = True
    nxt = {}
    for a, b in edges:
        if a in nxt:
            raise ValueError("pinch at node %d" % a)
        nxt[a] = b
    out = []
    while nxt:
        s = min(nxt)
        ring = [s]
        c = nxt.pop(s)
        while c != s:
            ring.append(c)
            c = nxt.pop(c)
        out.append(ring)
    return out


class Planar:
    """Nodes in metres and extra points along lattice edges."""

    def __init__(self):
        self.xy = []
        self.extras = {}  # (a, b) with a < b -> sorted [(t from a, node)]

    def add(self, x, y):
        self.xy.append((x, y))
        return len(self.xy) - 1

    def add_extra(self, a, b, t_from_a, node):
        if a < b:
            key, t = (a, b), t_from_a
        else:
            key, t = (b, a), 1.0 - t_from_a
        lst = self.extras.setdefault(key, [])
        lst.append((t, node))
        lst.sort()

    def has_extras(self, a, b):
        return (min(a, b), max(a, b)) in self.extras

    def trace(self, corners):
        out = []
        n = len(corners)
        for k in range(n):
            a, b = corners[k], corners[(k + 1) % n]
            out.append(a)
            if a < b:
                out.extend(nd for _, nd in self.extras.get((a, b), ()))
            else:
                out.extend(nd for _, nd in reversed(self.extras.get((b, a), ())))
        return out

    def coords(self, ring):
        return [self.xy[i] for i in ring]

    def lerp(self, a, b, t):
        (ax, ay), (bx, by) = self.xy[a], self.xy[b]
        return ax + t * (bx - ax), ay + t * (by - ay)


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    el = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= el:
            return k
        k += 1


# -------------------------------------------------------------------- city --

class City:
    def __init__(self, args):
        self.args = args
        self.n_households = args.households
        self.seed = args.seed
        self.rng = random.Random("%s:layout" % self.seed)
        self.pl = Planar()

        self.srs_ll = osr.SpatialReference()
        self.srs_ll.ImportFromEPSG(EPSG_LL)
        self.srs_ll.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        self.srs_m = osr.SpatialReference()
        self.srs_m.ImportFromEPSG(EPSG_M)
        self.srs_m.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        self.to_ll = osr.CoordinateTransformation(self.srs_m, self.srs_ll)
        self.to_m = osr.CoordinateTransformation(self.srs_ll, self.srs_m)

        monday = datetime.date.fromisocalendar(
            int(args.week.split("-W")[0]), int(args.week.split("-W")[1]), 1)
        self.monday = monday
        self.calendar = self.make_calendar()

    # ------------------------------------------------------------ calendar --
    def make_calendar(self):
        over = {}
        for a, b in HOLIDAYS_2026:
            d = datetime.date.fromisoformat(a)
            e = datetime.date.fromisoformat(b)
            while d <= e:
                over[d] = 0
                d += datetime.timedelta(days=1)
        for s in MAKEUP_WORKDAYS_2026:
            over[datetime.date.fromisoformat(s)] = 1
        return over

    def is_workday(self, d):
        if d in self.calendar:
            return self.calendar[d] == 1
        return d.weekday() < 5

    # -------------------------------------------------------------- layout --
    def build_layout(self):
        rng = self.rng
        n = self.n_households
        if n <= 60000:
            self.cw, self.ch, self.merge, gpc = 3, 2, True, 5
        else:
            self.cw, self.ch, self.merge, gpc = 5, 2, False, 10
        ncomm = max(4, int(round(n / 400.0 / gpc)))
        ccols = max(2, int(round(math.sqrt(ncomm * self.ch * 175.0 / (self.cw * 205.0)))))
        crows = -(-ncomm // ccols)
        self.ncomm, self.ccols, self.crows = ncomm, ccols, crows
        self.k = max(1, int(round(ncomm / 25.0)))  # defects of each kind
        nx, ny = ccols * self.cw, crows * self.ch
        self.nx, self.ny = nx, ny
        widths = [rng.uniform(180.0, 230.0) for _ in range(nx)]
        heights = [rng.uniform(150.0, 200.0) for _ in range(ny)]
        xs = [0.0]
        for w in widths:
            xs.append(xs[-1] + w)
        ys = [0.0]
        for h in heights:
            ys.append(ys[-1] + h)
        cx, cy, _ = self.to_m.TransformPoint(CENTER_LON, CENTER_LAT)
        ox = cx - xs[-1] / 2.0
        oy = cy - ys[-1] / 2.0
        for j in range(ny + 1):
            for i in range(nx + 1):
                self.pl.add(round(ox + xs[i] + rng.uniform(-10, 10), 3),
                            round(oy + ys[j] + rng.uniform(-10, 10), 3))

        # Communities, north-west first; the last (southern) row may be partial.
        comms = []
        for c in range(ncomm):
            row = c // ccols
            comms.append({"ci": c % ccols, "cj": crows - 1 - row, "row": row})
        if ncomm <= 8:
            sbx, sby = -(-ccols // 2), crows
        else:
            sbx, sby = 3, 6
        skeys = sorted(set((cm["row"] // sby, cm["ci"] // sbx) for cm in comms))
        for cm in comms:
            cm["street"] = skeys.index((cm["row"] // sby, cm["ci"] // sbx)) + 1
        comms.sort(key=lambda cm: (cm["street"], cm["row"], cm["ci"]))
        seq = {}
        names = self.community_names(ncomm)
        for idx, cm in enumerate(comms):
            seq[cm["street"]] = seq.get(cm["street"], 0) + 1
            cm["code"] = "%s%03d%03d" % (DISTRICT, cm["street"], seq[cm["street"]])
            cm["name"] = names[idx] + "社区"
            cm["idx"] = idx
        self.comms = comms
        self.nstreets = len(skeys)
        # A street (街道) is named after its first community, as many are.
        self.street_names = {}
        for cm in comms:
            self.street_names.setdefault(cm["street"], cm["name"][:-2] + "街道")

        self.cell_comm = {}
        for cm in comms:
            cm["cells"] = []
            for dj in range(self.ch):
                for di in range(self.cw):
                    cell = (cm["ci"] * self.cw + di, cm["cj"] * self.ch + dj)
                    self.cell_comm[cell] = cm["idx"]
                    cm["cells"].append(cell)

        # Grids: one per cell, or two merged cells at demo scale.
        self.grids = []
        self.cell_grid = {}
        for cm in comms:
            merged = None
            if self.merge:
                j = cm["cj"] * self.ch + rng.randrange(self.ch)
                i = cm["ci"] * self.cw + rng.randrange(self.cw - 1)
                merged = [(i, j), (i + 1, j)]
                self.new_grid(cm["idx"], merged)
            for cell in cm["cells"]:
                if merged and cell in merged:
                    continue
                self.new_grid(cm["idx"], [cell])

        # The river follows a column line between two community columns (a
        # street boundary at demo scale); the railway a row line.
        self.river_i = self.cw * (ccols // 2)
        self.rail_j = ny if ncomm <= 8 else self.ch * (crows // 2)
        for j in range(ny):
            if not (self.cell_exists(self.river_i - 1, j) or self.cell_exists(self.river_i, j)):
                continue
            a, b = self.node(self.river_i, j), self.node(self.river_i, j + 1)
            amp = rng.uniform(8.0, 14.0) * rng.choice((-1, 1))
            (ax, ay), (bx, by) = self.pl.xy[a], self.pl.xy[b]
            for t in (0.2, 0.4, 0.6, 0.8):
                off = amp * math.sin(math.pi * t) * (1 if t < 0.5 else 0.8)
                nd = self.pl.add(round(ax + t * (bx - ax) + off, 3), round(ay + t * (by - ay), 3))
                self.pl.add_extra(a, b, t, nd)

    def community_names(self, n):
        rng = random.Random("%s:names" % self.seed)
        base = list(COMMUNITY_BASE)
        rng.shuffle(base)
        out = list(base)
        more = [b + s for s in COMMUNITY_SUFFIXES for b in COMMUNITY_BASE]
        rng.shuffle(more)
        out += more
        k = 2
        while len(out) < n:
            out += ["%s第%d" % (b, k) for b in COMMUNITY_BASE]
            k += 1
        return out[:n]

    def node(self, i, j):
        return j * (self.nx + 1) + i

    def cell_exists(self, i, j):
        return (i, j) in self.cell_comm

    def cell_corners(self, cell):
        i, j = cell
        return [self.node(i, j), self.node(i + 1, j), self.node(i + 1, j + 1), self.node(i, j + 1)]

    def new_grid(self, comm, cells, gtype="basic", facility=None):
        g = {"idx": len(self.grids), "comm": comm, "cells": list(cells), "type": gtype,
             "facility": facility, "pieces": [], "roles": []}
        self.grids.append(g)
        for c in cells:
            self.cell_grid[c] = g["idx"]
        return g

    # --------------------------------------------------------------- carves --
    def plan_carve(self, cell, owner, avoid_nodes=()):
        """Cut a corner off `cell` for grid `owner`. Returns the corner node or
        None when no corner of the cell has two clean edges."""
        rng = self.rng
        corners = self.cell_corners(cell)
        order = list(range(4))
        rng.shuffle(order)
        for k in order:
            c, nxt, prv = corners[k], corners[(k + 1) % 4], corners[(k - 1) % 4]
            if self.pl.has_extras(c, nxt) or self.pl.has_extras(c, prv):
                continue
            if c in avoid_nodes:
                continue
            f1, f2 = rng.uniform(0.40, 0.48), rng.uniform(0.40, 0.48)
            px, py = self.pl.lerp(c, nxt, f1)
            qx, qy = self.pl.lerp(c, prv, f2)
            cx, cy = self.pl.xy[c]
            p = self.pl.add(round(px, 3), round(py, 3))
            q = self.pl.add(round(qx, 3), round(qy, 3))
            r = self.pl.add(round(px + qx - cx, 3), round(py + qy - cy, 3))
            self.pl.add_extra(c, nxt, f1, p)
            self.pl.add_extra(c, prv, f2, q)
            self.carves[cell] = (c, nxt, p, q, r, owner)
            return c
        return None

    def single_cell_basic(self, comm=None, exclude=()):
        out = []
        for g in self.grids:
            if g["type"] != "basic" or len(g["cells"]) != 1 or g["idx"] in exclude:
                continue
            if g["cells"][0] in self.carves:
                continue
            if comm is not None and g["comm"] != comm:
                continue
            out.append(g["idx"])
        return out

    def plan_carves(self):
        rng = self.rng
        self.carves = {}
        self.used = set()
        # Dedicated grids (专属网格): schools and markets, alternating.
        n_ded = max(2, int(round(self.ncomm / 10.0)))
        comm_order = list(range(self.ncomm))
        rng.shuffle(comm_order)
        self.markets = []
        schools = list(SCHOOL_NAMES)
        rng.shuffle(schools)
        for d in range(n_ded):
            comm = comm_order[d % self.ncomm]
            cands = self.single_cell_basic(comm, self.used) or self.single_cell_basic(None, self.used)
            host = self.grids[rng.choice(cands)]
            cell = host["cells"][0]
            cm = self.comms[host["comm"]]
            if d % 2 == 0:
                fac = schools[(d // 2) % len(schools)]
                if d // 2 >= len(schools):
                    fac = fac.replace("学校", "") + "分校" if "学校" in fac else fac + "分校"
                kind = "school"
            else:
                base = cm["name"].replace("社区", "")
                fac = base + MARKET_NAMES[(d // 2) % len(MARKET_NAMES)]
                kind = "market"
            ded = self.new_grid(host["comm"], [], "dedicated", fac)
            ded["kind"] = kind
            corner = self.plan_carve(cell, ded["idx"])
            if corner is None:
                raise RuntimeError("no corner to carve in cell %r" % (cell,))
            ded["host"] = host["idx"]
            self.used.add(host["idx"])
            self.used.add(ded["idx"])
            if kind == "market":
                self.markets.append(ded["idx"])

        # Multipart: a grid owning a detached corner of another cell.
        self.multiparts = []
        for _ in range(self.k):
            done = False
            comms = list(range(self.ncomm))
            rng.shuffle(comms)
            for comm in comms:
                cands = self.single_cell_basic(comm, self.used)
                rng.shuffle(cands)
                for a in cands:
                    ca = self.grids[a]["cells"][0]
                    for c in cands:
                        cc = self.grids[c]["cells"][0]
                        if c == a or (abs(ca[0] - cc[0]) <= 1 and abs(ca[1] - cc[1]) <= 1):
                            continue
                        if self.plan_carve(cc, a) is None:
                            continue
                        self.used.update((a, c))
                        self.multiparts.append((a, c))
                        done = True
                        break
                    if done:
                        break
                if done:
                    break

    # -------------------------------------------------------------- pieces --
    def build_pieces(self):
        pl = self.pl
        self.comm_rings = {}
        cells_by_comm = {}
        for cell in sorted(self.cell_comm):
            L = pl.trace(self.cell_corners(cell))
            cells_by_comm.setdefault(self.cell_comm[cell], []).append(L)
            host = self.grids[self.cell_grid[cell]]
            if cell in self.carves:
                c, nxt, p, q, r, owner = self.carves[cell]
                ip, iq = L.index(p), L.index(q)
                n = len(L)
                corner = []
                k = iq
                while True:
                    corner.append(L[k])
                    if k == ip:
                        break
                    k = (k + 1) % n
                corner.append(r)
                rest = []
                k = ip
                while True:
                    rest.append(L[k])
                    if k == iq:
                        break
                    k = (k + 1) % n
                rest.append(r)
                host["pieces"].append(rest)
                self.grids[owner]["pieces"].append(corner)
                self.grids[owner].setdefault("corner", (c, nxt, p, q, r))
            else:
                host["pieces"].append(L)
        for ci, rings in cells_by_comm.items():
            u = union_rings(rings)
            assert len(u) == 1, "community is not one polygon"
            self.comms[ci]["ring"] = u[0]
            self.comms[ci]["ring_xy"] = self.pl.coords(u[0])
            self.comms[ci]["bbox"] = bbox_of([self.comms[ci]["ring_xy"]])
        for g in self.grids:
            rings = union_rings(g["pieces"])
            rings.sort(key=lambda r: -ring_area(self.pl.coords(r)))
            for r in rings:
                assert ring_area(self.pl.coords(r)) > 0
            g["rings"] = rings
            g["clean"] = [self.pl.coords(r) for r in rings]
            g["piece_segs"] = [s for pc in g["pieces"] for s in ring_segments(self.pl.coords(pc))]
            g["area"] = sum(ring_area(r) for r in g["clean"])

    # --------------------------------------------------------------- codes --
    def assign_codes(self):
        for cm in self.comms:
            gs = [g for g in self.grids if g["comm"] == cm["idx"]]
            basic = [g for g in gs if g["type"] == "basic"]
            basic.sort(key=lambda g: (-max(c[1] for c in g["cells"]), min(c[0] for c in g["cells"])))
            ded = [g for g in gs if g["type"] == "dedicated"]
            ded.sort(key=lambda g: g["idx"])
            for s, g in enumerate(basic + ded, 1):
                g["seq"] = s
                g["code"] = "%s%03d" % (cm["code"], s)
                g["true_code"] = g["code"]
                if g["type"] == "basic":
                    g["name"] = "%s第%d网格" % (cm["name"], s)
                else:
                    g["name"] = "%s%s专属网格" % (cm["name"], g["facility"])
        # Output order: by community then sequence.
        self.grid_order = sorted(range(len(self.grids)),
                                 key=lambda i: (self.grids[i]["comm"], self.grids[i]["seq"]))

    # ------------------------------------------------------------- defects --
    def edge_candidates(self):
        owner = {}
        for g in self.grids:
            for r in g["rings"]:
                n = len(r)
                for k in range(n):
                    owner[(r[k], r[(k + 1) % n])] = g["idx"]
        out = []
        for j in range(self.ny + 1):
            for i in range(self.nx + 1):
                a = self.node(i, j)
                for b in ((self.node(i + 1, j) if i < self.nx else None),
                          (self.node(i, j + 1) if j < self.ny else None)):
                    if b is None or self.pl.has_extras(a, b):
                        continue
                    for u, v in ((a, b), (b, a)):
                        ga = owner.get((u, v))
                        if ga is None:
                            continue
                        out.append((u, v, ga, owner.get((v, u))))
        return out

    def edge_frame(self, u, v):
        (ux, uy), (vx, vy) = self.pl.xy[u], self.pl.xy[v]
        L = math.hypot(vx - ux, vy - uy)
        dx, dy = (vx - ux) / L, (vy - uy) / L
        return ux, uy, dx, dy, L, (dy, -dx)  # outward normal of a CCW ring

    def detour(self, u, v, t0, t1, path):
        """Plan a change of the stretch t0..t1 of lattice edge u->v as seen by
        the grid whose ring runs u->v. The stretch's ends become shared
        vertices of the edge (so the neighbour and the community get them
        too, and no sliver appears); `path` is a list of (t, d) points, d
        metres along the outward normal, walked between the two ends. Returns
        (p1, p2, path nodes, their coordinates)."""
        ux, uy, dx, dy, L, (nx, ny) = self.edge_frame(u, v)

        def at(t, d):
            return round(ux + dx * L * t + nx * d, 3), round(uy + dy * L * t + ny * d, 3)

        p1 = self.pl.add(*at(t0, 0.0))
        p2 = self.pl.add(*at(t1, 0.0))
        self.pl.add_extra(u, v, t0, p1)
        self.pl.add_extra(u, v, t1, p2)
        mids = [self.pl.add(*at(t, d)) for t, d in path]
        return p1, p2, mids, [self.pl.xy[n] for n in [p1, p2] + mids]

    def apply_detour(self, g, p1, p2, mids):
        for r in g["rings"]:
            n = len(r)
            for k in range(n):
                if r[k] == p1 and r[(k + 1) % n] == p2:
                    r[k + 1:k + 1] = mids
                    return
        raise RuntimeError("detour ends not consecutive in grid ring")

    def plant_geometry_defects(self):
        rng = self.rng
        cands = self.edge_candidates()
        rng.shuffle(cands)
        G = self.grids
        self.gaps = []
        self.geom_defects = {"overlap": [], "gap": [], "outside_community": [], "invalid_geometry": [],
                             "multipart": []}
        ops = []

        def ok(gi):
            return gi is not None and G[gi]["type"] == "basic" and gi not in self.used

        for kind, count in (("overlap", self.k), ("gap", self.k), ("outside_community", self.k),
                            ("invalid_geometry", self.k)):
            placed = 0
            for (u, v, ga, gb) in cands:
                if placed >= count:
                    break
                if not ok(ga) or self.pl.has_extras(u, v):
                    continue
                if kind in ("overlap", "gap"):
                    if not ok(gb) or G[gb]["comm"] != G[ga]["comm"]:
                        continue
                elif kind == "outside_community":
                    if gb is not None:
                        continue
                elif kind == "invalid_geometry":
                    if gb is not None and gb in self.used:
                        continue
                L = self.edge_frame(u, v)[4]
                if kind == "overlap":
                    t0, t1, d = 0.2, 0.8, OVERLAP_PUSH
                elif kind == "gap":
                    t0, t1, d = 0.3, 0.7, -GAP_WIDTH
                elif kind == "outside_community":
                    t0, t1, d = 0.25, 0.75, OUTSIDE_PUSH
                if kind != "invalid_geometry":
                    p1, p2, mids, xy = self.detour(u, v, t0, t1, [(t0, d), (t1, d)])
                    area = L * (t1 - t0) * abs(d)
                    self.geom_defects[kind].append((ga, gb, area))
                    self.used.update(x for x in (ga, gb) if x is not None)
                    if kind == "gap":
                        self.gaps.append((ga, gb, (xy[0], xy[1], xy[3], xy[2]), u, v))
                else:
                    # A 2 m twist on the edge: the two inner vertices in
                    # swapped order. Each lobe is 0.4 m^2, under the 1 m^2
                    # sliver limit, so the only finding is invalid_geometry.
                    w, h = 2.0, 0.8
                    t0, t1 = 0.5 - w / 2.0 / L, 0.5 + w / 2.0 / L
                    p1, p2, mids, xy = self.detour(u, v, t0, t1, [(t1, -h), (t0, -h)])
                    self.geom_defects[kind].append((ga, None, 0.0))
                    self.used.add(ga)
                ops.append((ga, p1, p2, mids))
                placed += 1
        # The new shared vertices are on lattice edges: trace everything again.
        for g in G:
            g["pieces"] = []
        self.build_pieces()
        for ga, p1, p2, mids in ops:
            self.apply_detour(G[ga], p1, p2, mids)
        for a, c in self.multiparts:
            self.geom_defects["multipart"].append((a, c, 0.0))
        for g in G:
            g["final"] = [self.pl.coords(r) for r in g["rings"]]

    def plant_code_defects(self):
        rng = self.rng
        G = self.grids
        self.dup_codes = []
        self.bad_codes = []
        pool = [i for i in self.grid_order if G[i]["type"] == "basic" and i not in self.used]
        rng.shuffle(pool)
        free = set(pool)
        by_seq = {(G[i]["comm"], G[i]["seq"]): i for i in pool}
        for _ in range(self.k):
            # Two consecutive grids of one community share a code.
            for x in pool:
                y = by_seq.get((G[x]["comm"], G[x]["seq"] + 1))
                if x in free and y in free:
                    G[y]["code"] = G[x]["code"]
                    self.dup_codes.append((x, y))
                    self.used.update((x, y))
                    free -= {x, y}
                    break
        pool = [x for x in pool if x in free]
        for _ in range(self.k):
            if not pool:
                break
            g = pool.pop()
            G[g]["code"] = G[g]["code"][:12] + G[g]["code"][13:]  # 14 digits
            self.bad_codes.append(g)
            self.used.add(g)

    # ---------------------------------------------------------- households --
    def plan_households(self):
        rng = self.rng
        G = self.grids
        pool = [i for i in self.grid_order if G[i]["type"] == "basic" and i not in self.used
                and not any(c in self.carves for c in G[i]["cells"])]  # uncarved
        rng.shuffle(pool)
        self.undersize = [pool.pop() for _ in range(self.k)]
        self.oversize = [pool.pop() for _ in range(self.k)]
        self.bad_persons = [pool.pop() for _ in range(self.k)]
        self.used.update(self.undersize + self.oversize + self.bad_persons)
        target = {}
        for g in self.undersize:
            target[g] = rng.randint(200, 270)
        for g in self.oversize:
            target[g] = rng.randint(860, 940)
        for g in G:
            if g["type"] == "dedicated":
                target[g["idx"]] = rng.randint(24, 40) if g.get("kind") == "school" else 0
        n_orphans = 4 * len(self.gaps)
        rest = [g["idx"] for g in G if g["idx"] not in target]
        remaining = self.n_households - n_orphans - sum(target.values())
        if remaining < 20 * len(rest):
            raise SystemExit("--households %d is too small for this layout" % self.n_households)
        # Ordinary grids: 320-480 households around the mean, kept strictly
        # inside the 300-500 band whenever the mean allows it.
        base = remaining / float(len(rest))
        lo, hi = min(310, int(base)), max(490, int(math.ceil(base)))
        for g in rest:
            target[g] = min(hi, max(lo, int(base * rng.uniform(0.8, 1.2))))
        diff = remaining - sum(target[g] for g in rest)
        k = 0
        while diff != 0:
            g = rest[k % len(rest)]
            step = 1 if diff > 0 else -1
            if lo <= target[g] + step <= hi:
                target[g] += step
                diff -= step
            k += 1
        self.target = target
        self.n_orphans = n_orphans

    def place_buildings(self, g, hh):
        """Positions and sizes of buildings holding `hh` households in grid g."""
        rng = self.hrng
        if hh == 0:
            return []
        if g["type"] == "dedicated":
            c, nxt, p, q, r = g["corner"]
            (cx, cy), (rx, ry) = self.pl.xy[c], self.pl.xy[r]
            return [((cx + rx) / 2.0, (cy + ry) / 2.0, hh)]
        kmin = max(1, -(-hh // 150))
        kmax = max(kmin, hh // 20)
        k = min(kmax, max(kmin, int(round(hh / rng.uniform(60.0, 110.0)))))
        sizes = [hh // k] * k
        for i in range(hh - sum(sizes)):
            sizes[i] += 1
        for _ in range(4 * k):
            a, b = rng.randrange(k), rng.randrange(k)
            m = rng.randint(0, 30)
            if a != b and sizes[a] - m >= 20 and sizes[b] + m <= 150:
                sizes[a] -= m
                sizes[b] += m
        ring = g["clean"][0]
        minx, miny, maxx, maxy = bbox_of([ring])
        segs = g["piece_segs"]
        pts = []
        spacing = 24.0
        tries = 0
        while len(pts) < k:
            tries += 1
            if tries % 400 == 0:
                spacing *= 0.7
                if spacing < 3:
                    raise RuntimeError("cannot place buildings in grid %s" % g["code"])
            x = rng.uniform(minx, maxx)
            y = rng.uniform(miny, maxy)
            if not point_in_ring(x, y, ring):
                continue
            if min_seg_dist(x, y, segs) < BUILDING_MARGIN:
                continue
            if any(math.hypot(x - a, y - b) < spacing for a, b in pts):
                continue
            pts.append((x, y))
        return [(x, y, s) for (x, y), s in zip(pts, sizes)]

    def make_households(self):
        self.hrng = rng = random.Random("%s:households" % self.seed)
        G = self.grids
        pcum = list(_cum(PERSONS_WEIGHTS))
        pcum_big = list(_cum(PERSONS_WEIGHTS_BIG))
        ccum = list(_cum(CARE_WEIGHTS))
        hx, hy, hpersons, hbld, hcare = [], [], [], [], []
        self.buildings = []  # (x, y, households, grid)
        self.grid_hh = {}
        self.grid_persons = {}
        bid = 0
        ordered = list(self.grid_order)
        for gi in ordered:
            g = G[gi]
            blds = self.place_buildings(g, self.target[gi])
            big = gi in self.oversize
            first = len(hx)
            for (bx, by, size) in blds:
                bid += 1
                self.buildings.append((bx, by, size, gi))
                for _ in range(size):
                    r = HOUSEHOLD_JITTER * math.sqrt(rng.random())
                    a = rng.random() * 2 * math.pi
                    hx.append(bx + r * math.cos(a))
                    hy.append(by + r * math.sin(a))
                    if rng.random() < CARE_SHARE:
                        care = CARE_TYPES[bisect.bisect_right(ccum, rng.random() * ccum[-1])]
                    else:
                        care = None
                    if care == "elderly_alone":
                        persons = 1
                    else:
                        cum = pcum_big if big else pcum
                        persons = 1 + bisect.bisect_right(cum, rng.random() * cum[-1])
                    hpersons.append(persons)
                    hbld.append(bid)
                    hcare.append(care)
            idx = range(first, len(hx))
            if big:
                # persons_over: make sure the sum is clearly above 2,500.
                while sum(hpersons[i] for i in idx) <= 2600:
                    i = rng.choice(idx)
                    if hpersons[i] < 6 and hcare[i] != "elderly_alone":
                        hpersons[i] += 1
            if gi in self.bad_persons and len(idx) >= 3:
                picks = rng.sample(list(idx), 3)
                for i, val in zip(picks, (None, -1, None)):
                    hpersons[i] = val
            self.grid_hh[gi] = len(idx)
            self.grid_persons[gi] = sum(hpersons[i] for i in idx if hpersons[i] is not None and hpersons[i] >= 0)
        # Orphans: a bungalow row inside each gap strip.
        self.orphan_ids = []
        for (ga, gb, rect, u, v) in self.gaps:
            (p1, p2, p2o, p1o) = rect
            mx, my = (p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0
            ox, oy = (p1o[0] + p2o[0]) / 2.0 - mx, (p1o[1] + p2o[1]) / 2.0 - my
            bid += 1
            bx, by = mx + ox * 0.62, my + oy * 0.62
            self.buildings.append((bx, by, 4, None))
            ux, uy, dx, dy, L, _ = self.edge_frame(u, v)
            for k in range(4):
                along = (k - 1.5) * 6.0
                hx.append(bx + dx * along + rng.uniform(-1.5, 1.5))
                hy.append(by + dy * along + rng.uniform(-1.5, 1.5))
                hpersons.append(1 + bisect.bisect_right(pcum, rng.random() * pcum[-1]))
                hbld.append(bid)
                hcare.append(None)
                self.orphan_ids.append(len(hx))
        self.hh = (hx, hy, hpersons, hbld, hcare)
        self.hfmt = "H%%0%dd" % max(7, len(str(len(hx))))
        self.n_buildings = bid

    # --------------------------------------------------------------- index --
    def build_index(self):
        self.cellsize = 500.0
        self.index = {}
        for g in self.grids:
            minx, miny, maxx, maxy = bbox_of(g["final"])
            g["bbox"] = (minx, miny, maxx, maxy)
            for a in range(int(minx // self.cellsize), int(maxx // self.cellsize) + 1):
                for b in range(int(miny // self.cellsize), int(maxy // self.cellsize) + 1):
                    self.index.setdefault((a, b), []).append(g["idx"])

    def grid_at(self, x, y):
        """The grid a point belongs to by the contract's rule (lowest code
        among the covering grids), or None."""
        best = None
        for gi in self.index.get((int(x // self.cellsize), int(y // self.cellsize)), ()):
            g = self.grids[gi]
            minx, miny, maxx, maxy = g["bbox"]
            if not (minx <= x <= maxx and miny <= y <= maxy):
                continue
            if any(point_in_ring(x, y, r) for r in g["final"]):
                if best is None or (g["code"], gi) < (self.grids[best]["code"], best):
                    best = gi
        return best

    def in_city(self, x, y):
        """True when the point is in a grid or at least in a community."""
        if self.grid_at(x, y) is not None:
            return True
        return any(point_in_ring(x, y, cm["ring_xy"]) for cm in self.comms
                   if cm["bbox"][0] <= x <= cm["bbox"][2] and cm["bbox"][1] <= y <= cm["bbox"][3])

    # -------------------------------------------------------------- events --
    def make_events(self):
        rng = random.Random("%s:events" % self.seed)
        G = self.grids
        nw = self.args.weeks
        start = self.monday - datetime.timedelta(weeks=nw - 1)
        days = [start + datetime.timedelta(days=d) for d in range(7 * nw)]
        day_w = [1.0 if self.is_workday(d) else 0.6 for d in days]
        day_cum = list(_cum(day_w))
        hour_w = [0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0, 0]
        hour_cum = list(_cum(hour_w))
        cat_cum = list(_cum(CATEGORY_WEIGHTS))
        bld = [b for b in self.buildings if b[3] is not None]
        bld_cum = list(_cum([b[2] for b in bld]))

        def when(week=None):
            if week is None:
                d = days[bisect.bisect_right(day_cum, rng.random() * day_cum[-1])]
            else:
                d = days[week * 7 + rng.randrange(7)]
            h = bisect.bisect_right(hour_cum, rng.random() * hour_cum[-1])
            return datetime.datetime(d.year, d.month, d.day, h, rng.randrange(60), rng.randrange(60))

        ev = []  # (datetime, category, x, y, cluster)
        n_bg = int(round(self.n_households * 0.042 * nw / 8.0))
        for _ in range(n_bg):
            while True:
                b = bld[bisect.bisect_right(bld_cum, rng.random() * bld_cum[-1])]
                r = rng.uniform(5.0, 60.0)
                a = rng.random() * 2 * math.pi
                x, y = b[0] + r * math.cos(a), b[1] + r * math.sin(a)
                if self.in_city(x, y):
                    break
            cat = CATEGORIES[bisect.bisect_right(cat_cum, rng.random() * cat_cum[-1])]
            ev.append((when(), cat, x, y, None))

        self.clusters = []
        # 1. Market streets: 占道经营 along the road in front of a market, rising.
        for m in self.markets[:self.k]:
            c, nxt, p, q, r = G[m]["corner"]
            ux, uy, dx, dy, L, (nx, ny) = self.edge_frame(c, nxt)
            weekly = ([2, 3, 4, 6, 8, 10, 13, 16] if nw == 8 else
                      [int(round(2 + 14.0 * w / max(1, nw - 1))) for w in range(nw)])
            total = 0
            for w, base in enumerate(weekly):
                for _ in range(max(0, base + rng.randint(-1, 1))):
                    while True:
                        s = rng.uniform(0.05, 0.8) * L
                        side = rng.choice((-1, 1)) * rng.uniform(3.0, 14.0)
                        x = ux + dx * s - nx * side
                        y = uy + dy * s - ny * side
                        if self.in_city(x, y):
                            break
                    cat = "占道经营" if rng.random() < 0.85 else "环境卫生"
                    ev.append((when(w), cat, x, y, "market"))
                    total += 1
            self.clusters.append(("market", m, total, "占道经营 rising week over week (about 2 to 16 a week)"))
        # 2. A garbage point: 环境卫生, steady and high.  3. An old compound:
        # 安全隐患 / 矛盾纠纷 / 违章搭建.
        pool = [i for i in self.grid_order if G[i]["type"] == "basic" and self.grid_hh.get(i, 0) > 0]
        rng.shuffle(pool)
        for kind in ("garbage", "compound"):
            for _ in range(self.k):
                gi = pool.pop()
                b = [x for x in self.buildings if x[3] == gi][0]
                cx, cy = b[0] + rng.uniform(-15, 15), b[1] + rng.uniform(-15, 15)
                total = 0
                for w in range(nw):
                    lam = 5.0 if kind == "garbage" else 3.0
                    for _ in range(poisson(rng, lam)):
                        sd = 12.0 if kind == "garbage" else 25.0
                        while True:
                            x, y = cx + rng.gauss(0, sd), cy + rng.gauss(0, sd)
                            if self.in_city(x, y):
                                break
                        if kind == "garbage":
                            cat = "环境卫生"
                        else:
                            cat = rng.choices(["安全隐患", "矛盾纠纷", "违章搭建"], [5, 3, 2])[0]
                        ev.append((when(w), cat, x, y, kind))
                        total += 1
                desc = ("环境卫生 at a garbage collection point, about 5 a week" if kind == "garbage"
                        else "安全隐患/矛盾纠纷/违章搭建 in an old compound, about 3 a week")
                self.clusters.append((kind, gi, total, desc))

        ev.sort(key=lambda e: (e[0], e[2], e[3]))
        cutoff = datetime.datetime.combine(self.monday + datetime.timedelta(days=7), datetime.time())
        out = []
        for n, (t, cat, x, y, cl) in enumerate(ev, 1):
            gi = self.grid_at(x, y)
            status, res = draw_status(rng, t, cutoff)
            out.append({"id": "E%06d" % n, "cat": cat, "t": t, "res": res, "status": status,
                        "x": x, "y": y, "true": gi, "grid": gi, "cluster": cl})
        # Deliberately wrong codes: a neighbouring grid of the same community.
        n_wrong = max(3, int(round(len(out) * 0.007)))
        idx = [i for i, e in enumerate(out) if e["true"] is not None]
        rng.shuffle(idx)
        self.wrong_events = []
        for i in idx:
            if len(self.wrong_events) >= n_wrong:
                break
            e = out[i]
            tg = G[e["true"]]
            others = [g["idx"] for g in G if g["comm"] == tg["comm"] and g["code"] != tg["code"]]
            if not others:
                continue
            e["grid"] = rng.choice(sorted(others))
            self.wrong_events.append(i)
        wrong = set(self.wrong_events)
        rest = [i for i in range(len(out)) if i not in wrong]
        rng.shuffle(rest)
        n_empty = int(round(len(out) * 0.10))
        for i in rest[:n_empty]:
            out[i]["grid"] = None
        self.events = out
        self.n_events_empty = n_empty
        self.n_events_nogrid = sum(1 for e in out if e["true"] is None)
        self.event_start = start

    # ------------------------------------------------------------- members --
    def make_members(self):
        rng = random.Random("%s:members" % self.seed)
        G = self.grids
        order = self.grid_order
        width = max(4, len(str(len(order) + 4 * self.k)))
        fmt = "M%%0%dd" % width
        members = []  # dict(id, name, rows=[codes], patrol=[grid idx])

        def name():
            return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)

        pool = [i for i in order if i not in self.used and G[i]["type"] == "basic"]
        rng.shuffle(pool)
        fallback = [i for i in order if G[i]["type"] == "basic"]
        rng.shuffle(fallback)

        def pick():
            if pool:
                g = pool.pop()
            else:
                g = fallback.pop()
            self.used.add(g)
            return g

        no_member = [pick() for _ in range(self.k)]  # member row has a typo'd code
        two_members = [pick() for _ in range(self.k)]
        shared = [(pick(), pick()) for _ in range(self.k)]  # (x, y): x's member also on y
        shared_y = set(y for _, y in shared)
        codes = set(g["code"] for g in G)
        self.roster = {"no_member": no_member, "two_members": two_members, "shared": shared,
                       "unknown": []}
        n = 0
        by_grid = {}
        for gi in order:
            if gi in shared_y:
                continue
            n += 1
            m = {"id": fmt % n, "name": name(), "codes": [G[gi]["code"]], "patrol": [gi]}
            if gi in no_member:
                code = G[gi]["code"]
                typo = code[:13] + code[14] + code[13]  # transposed digits
                if typo in codes or typo == code:
                    typo = code[:12] + "9" + code[13:]
                m["codes"] = [typo]
                self.roster["unknown"].append((m["id"], typo, gi))
            members.append(m)
            by_grid[gi] = m
        for x, y in shared:
            by_grid[x]["codes"].append(G[y]["code"])
            by_grid[x]["patrol"].append(y)
        self.roster["extra"] = []
        for gi in two_members:
            n += 1
            m = {"id": fmt % n, "name": name(), "codes": [G[gi]["code"]], "patrol": [gi]}
            members.append(m)
            self.roster["extra"].append((m["id"], gi))
        self.members = members
        self.by_grid = by_grid

    # ----------------------------------------------------------- geopackage --
    def write_gpkg(self, path):
        gdal.SetConfigOption("OGR_CURRENT_DATE", FIXED_DATE)
        if os.path.exists(path):
            os.remove(path)
        drv = ogr.GetDriverByName("GPKG")
        ds = drv.CreateDataSource(path)
        G = self.grids
        # Transform every node once: shared vertices stay bit-identical.
        nodes_ll = self.to_ll.TransformPoints(self.pl.xy)

        def ring_geom(ring):
            r = ogr.Geometry(ogr.wkbLinearRing)
            for nd in ring:
                r.AddPoint_2D(nodes_ll[nd][0], nodes_ll[nd][1])
            r.AddPoint_2D(nodes_ll[ring[0]][0], nodes_ll[ring[0]][1])
            return r

        def layer(name, gtype, fields):
            lyr = ds.CreateLayer(name, self.srs_ll, gtype, options=["FID=fid", "GEOMETRY_NAME=geom"])
            for fname, ftype in fields:
                lyr.CreateField(ogr.FieldDefn(fname, ftype))
            return lyr

        S, I = ogr.OFTString, ogr.OFTInteger
        lyr = layer("communities", ogr.wkbPolygon,
                    [("community_code", S), ("name", S), ("street_name", S)])
        ds.StartTransaction()
        for cm in self.comms:
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("community_code", cm["code"])
            f.SetField("name", cm["name"])
            f.SetField("street_name", self.street_names[cm["street"]])
            poly = ogr.Geometry(ogr.wkbPolygon)
            poly.AddGeometryDirectly(ring_geom(cm["ring"]))
            f.SetGeometryDirectly(poly)
            lyr.CreateFeature(f)
        ds.CommitTransaction()

        lyr = layer("grids", ogr.wkbMultiPolygon,
                    [("grid_code", S), ("community_code", S), ("grid_type", S), ("name", S)])
        ds.StartTransaction()
        for gi in self.grid_order:
            g = G[gi]
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("grid_code", g["code"])
            f.SetField("community_code", self.comms[g["comm"]]["code"])
            f.SetField("grid_type", g["type"])
            f.SetField("name", g["name"])
            mp = ogr.Geometry(ogr.wkbMultiPolygon)
            for r in g["rings"]:
                poly = ogr.Geometry(ogr.wkbPolygon)
                poly.AddGeometryDirectly(ring_geom(r))
                mp.AddGeometryDirectly(poly)
            f.SetGeometryDirectly(mp)
            lyr.CreateFeature(f)
        ds.CommitTransaction()

        t0 = time.time()
        hx, hy, hpersons, hbld, hcare = self.hh
        ll = self.to_ll.TransformPoints(list(zip(hx, hy)))
        lyr = layer("households", ogr.wkbPoint,
                    [("household_id", S), ("persons", I), ("building_id", S), ("care_type", S)])
        hfmt = self.hfmt
        ds.StartTransaction()
        f = ogr.Feature(lyr.GetLayerDefn())
        for k in range(len(hx)):
            f.SetFID(-1)
            f.SetField(0, hfmt % (k + 1))
            if hpersons[k] is None:
                f.SetFieldNull(1)
            else:
                f.SetField(1, hpersons[k])
            f.SetField(2, "B%06d" % hbld[k])
            if hcare[k] is None:
                f.SetFieldNull(3)
            else:
                f.SetField(3, hcare[k])
            g = ogr.Geometry(ogr.wkbPoint)
            g.AddPoint_2D(ll[k][0], ll[k][1])
            f.SetGeometryDirectly(g)
            lyr.CreateFeature(f)
        ds.CommitTransaction()
        self.timing["households_write"] = time.time() - t0

        lyr = layer("barriers", ogr.wkbLineString, [("kind", S), ("name", S)])
        ds.StartTransaction()
        for kind, name, nodes in self.barriers():
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("kind", kind)
            f.SetField("name", name)
            line = ogr.Geometry(ogr.wkbLineString)
            for nd in nodes:
                line.AddPoint_2D(nodes_ll[nd][0], nodes_ll[nd][1])
            f.SetGeometryDirectly(line)
            lyr.CreateFeature(f)
        ds.CommitTransaction()

        lyr = layer("events", ogr.wkbPoint,
                    [("event_id", S), ("category", S), ("reported_at", S), ("resolved_at", S),
                     ("status", S), ("grid_code", S)])
        ell = self.to_ll.TransformPoints([(e["x"], e["y"]) for e in self.events])
        ds.StartTransaction()
        f = ogr.Feature(lyr.GetLayerDefn())
        for e, (lon, lat, _) in zip(self.events, ell):
            f.SetFID(-1)
            f.SetField(0, e["id"])
            f.SetField(1, e["cat"])
            f.SetField(2, e["t"].isoformat() + TZ)
            if e["res"] is None:
                f.SetFieldNull(3)
            else:
                f.SetField(3, e["res"].isoformat() + TZ)
            f.SetField(4, e["status"])
            if e["grid"] is None:
                f.SetFieldNull(5)
            else:
                f.SetField(5, G[e["grid"]]["code"])
            g = ogr.Geometry(ogr.wkbPoint)
            g.AddPoint_2D(lon, lat)
            f.SetGeometryDirectly(g)
            lyr.CreateFeature(f)
        ds.CommitTransaction()
        t0 = time.time()
        ds = None  # closes the file and builds the spatial indexes
        self.timing["gpkg_close"] = time.time() - t0

    def barriers(self):
        """Roads along every lattice line, the river and the railway; walls
        around schools."""
        rng = random.Random("%s:roads" % self.seed)
        names = list(ROAD_BASE)
        rng.shuffle(names)
        more = [p + s for s in ROAD_SUFFIXES for p in ROAD_PREFIXES]
        rng.shuffle(more)
        names += [m for m in more if m not in names]
        out = []
        nid = 0
        river_name = RIVER_NAMES[rng.randrange(len(RIVER_NAMES))]
        rail_name = RAIL_NAMES[rng.randrange(len(RAIL_NAMES))]
        lines = []
        for j in range(self.ny + 1):
            lines.append(("row", j, [(self.node(i, j), self.node(i + 1, j),
                                      self.cell_exists(i, j) or self.cell_exists(i, j - 1))
                                     for i in range(self.nx)]))
        for i in range(self.nx + 1):
            lines.append(("col", i, [(self.node(i, j), self.node(i, j + 1),
                                      self.cell_exists(i, j) or self.cell_exists(i - 1, j))
                                     for j in range(self.ny)]))
        for orient, k, edges in lines:
            runs, cur = [], []
            for a, b, exists in edges:
                if exists:
                    if not cur:
                        cur = [a]
                    cur += self._edge_path(a, b)
                elif cur:
                    runs.append(cur)
                    cur = []
            if cur:
                runs.append(cur)
            if orient == "col" and k == self.river_i:
                kind, name = "river", river_name
            elif orient == "row" and k == self.rail_j:
                kind, name = "rail", rail_name
            else:
                kind = "road"
                name = names[nid] if nid < len(names) else "海淀%d号路" % (nid + 1)
                nid += 1
            for run in runs:
                out.append((kind, name, run))
        for g in self.grids:
            if g.get("kind") == "school":
                r = list(g["rings"][0])
                out.append(("wall", g["facility"] + "围墙", r + [r[0]]))
        return out

    def _edge_path(self, a, b):
        """Nodes after `a` up to and including `b` along lattice edge a->b."""
        if a < b:
            mid = [nd for _, nd in self.pl.extras.get((a, b), ())]
        else:
            mid = [nd for _, nd in reversed(self.pl.extras.get((b, a), ()))]
        return mid + [b]

    # ----------------------------------------------------------------- csv --
    def write_members(self, path):
        rows = []
        for m in self.members:
            for code in m["codes"]:
                rows.append((m["id"], code, m["name"]))
        rows.sort()
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("member_id,grid_code,name\n")
            for r in rows:
                fh.write("%s,%s,%s\n" % r)
        self.n_roster_rows = len(rows)

    def write_scores(self, path):
        """The offline scores of assess (member_id,item,score): the items
        the engine cannot measure, as a street office's monthly sheet has
        them. Each member has a level; the short patroller scores low; the
        newest member has no resident survey yet (awareness, satisfaction),
        so assess shows its defaults."""
        rng = random.Random("%s:scores" % self.seed)
        items = ["information", "visits", "events", "special", "training",
                 "awareness", "satisfaction"]
        newest = max(m["id"] for m in self.members)
        rows = []
        for m in sorted(self.members, key=lambda m: m["id"]):
            level = 64.0 if m.get("flag") == "short" else rng.gauss(84.0, 6.0)
            for it in items:
                if m["id"] == newest and it in ("awareness", "satisfaction"):
                    continue
                s = max(0, min(100, int(round(level + rng.gauss(0, 5)))))
                rows.append((m["id"], it, s))
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("member_id,item,score\n")
            for r in rows:
                fh.write("%s,%s,%d\n" % r)
        self.n_scores = len(rows)
        self.scores_newest = newest

    def write_calendar(self, path):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("date,workday\n")
            for d in sorted(self.calendar):
                fh.write("%s,%d\n" % (d.isoformat(), self.calendar[d]))

    # -------------------------------------------------------------- traces --
    def trace_members(self):
        """Members with their patrol grids and the planted trace defects."""
        rng = random.Random("%s:trace-defects" % self.seed)
        special = set()
        for x, y in self.roster["shared"]:
            special.add(self.by_grid[x]["id"])
        for mid, _ in self.roster["extra"]:
            special.add(mid)
        for mid, _, _ in self.roster["unknown"]:
            special.add(mid)
        plain = [m for m in self.members if m["id"] not in special]
        rng.shuffle(plain)
        kinds = ["absent", "short", "jump", "dups", "disorder", "midnight", "stationary", "gap"]
        self.trace_defects = {k: [] for k in kinds}
        flags = {}
        for kind in kinds:
            for _ in range(self.k):
                if not plain:
                    break
                m = plain.pop()
                flags[m["id"]] = kind
                self.trace_defects[kind].append(m["id"])
        sat = random.Random("%s:saturday" % self.seed)
        for m in self.members:
            m["flag"] = flags.get(m["id"])
            m["saturday"] = sat.random() < 0.2 and m["flag"] != "short"

    def plan_sessions(self, m, monday=None, k=0):
        """The sessions of one week. The last week (monday None) carries
        the planted defects; an earlier week (the k-th back) has only the
        short patroller, a few members away for a day, and fixes every 30 s
        or so, as a phone app set to save battery records them."""
        last = monday is None
        monday = self.monday if last else monday
        if last:
            rng = random.Random("%s:plan:%s" % (self.seed, m["id"]))
        else:
            rng = random.Random("%s:plan:%s:%s" % (self.seed, m["id"], monday.isoformat()))
        flag = m["flag"] if last else (m["flag"] if m["flag"] == "short" else None)
        sessions = []  # [start_s since Monday 00:00, duration_s, interval_s, grid]
        workdays = [d for d in range(7) if self.is_workday(monday + datetime.timedelta(days=d))]
        absent = None
        if flag == "absent" and workdays:
            absent = 2 if 2 in workdays else workdays[0]
            m["absent_day"] = absent
        elif not last and workdays and rng.random() < 0.06 + 0.02 * k:
            absent = rng.choice(workdays)
        turn = 0
        for d in range(7):
            if d in workdays:
                if d == absent:
                    continue
                if flag == "short":
                    total = rng.uniform(0.85, 1.15) * 3600
                else:
                    total = rng.uniform(2.3, 3.0) * 3600
                    if not last and len(workdays) < 5:
                        # A holiday week: the weekly hours still have to be
                        # made, on fewer days.
                        total = min(5.0 * 3600, total * 4.6 / len(workdays))
                n = rng.choices([1, 2, 3], [2, 5, 3])[0]
            elif d == 5 and m["saturday"]:
                total = rng.uniform(1.0, 2.0) * 3600
                n = 1
            else:
                continue
            w = [rng.uniform(0.5, 1.5) for _ in range(n)]
            durs = [total * x / sum(w) for x in w]
            free = 36000 - total
            gw = [rng.random() + 0.1 for _ in range(n + 1)]
            gaps = [free * x / sum(gw) for x in gw]
            t = d * 86400 + 8 * 3600
            for k in range(n):
                t += gaps[k]
                if last:
                    iv = rng.choices([10, 5, 15, 30], [78, 7, 10, 5])[0]
                else:
                    iv = rng.choices([30, 20, 60], [78, 10, 12])[0]
                sessions.append([int(t), int(durs[k]), iv, m["patrol"][turn % len(m["patrol"])]])
                turn += 1
                t += durs[k]
        if flag == "midnight":
            d = 3 if (3 in workdays or not workdays) else workdays[0]
            sessions.append([d * 86400 + 84600, 3600, 10, m["patrol"][0]])
            m["midnight_day"] = d
        sessions.sort()
        return sessions

    def write_traces(self, path):
        """Every member's fixes of the --weeks weeks ending with --week,
        member by member, oldest week first (the last week as before)."""
        t_start = time.time()
        self.trace_members()
        nw = self.args.traces_weeks
        mondays = [self.monday - datetime.timedelta(weeks=nw - 1 - k) for k in range(nw)]
        plans = [(m, self.plan_sessions(m)) for m in self.members]
        est = sum(dur / float(iv) for _, ss in plans for _, dur, iv, _ in ss) * 0.98
        factor = 1.0
        if self.args.trace_fixes:
            factor = est / float(self.args.trace_fixes)
        self.trace_factor = factor
        tod = ["%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400)]
        total = last_total = 0
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("member_id,time,lon,lat,accuracy_m\n")
            for m, sessions in plans:
                mid = m["id"]
                for k, monday in enumerate(mondays):
                    last = k == nw - 1
                    if last:
                        rows = self.member_fixes(m, sessions, factor)
                    else:
                        ss = self.plan_sessions(m, monday, nw - 1 - k)
                        rows = self.member_fixes(m, ss, factor, monday)
                    if not rows:
                        continue
                    day_str = [(monday + datetime.timedelta(days=d)).isoformat() for d in range(8)]
                    ll = self.to_ll.TransformPoints([(r[1], r[2]) for r in rows])
                    lines = []
                    for (t, _, _, acc), (lon, lat, _) in zip(rows, ll):
                        lines.append("%s,%sT%s%s,%.7f,%.7f,%s\n" % (
                            mid, day_str[t // 86400], tod[t % 86400], TZ, lon, lat, acc))
                    fh.write("".join(lines))
                    total += len(rows)
                    if last:
                        last_total += len(rows)
        self.n_fixes = total
        self.n_fixes_last = last_total
        self.trace_first_week = mondays[0].strftime("%G-W%V")
        self.timing["traces"] = time.time() - t_start

    def grid_shape(self, gi):
        g = self.grids[gi]
        if "shape" not in g:
            parts = g["clean"]
            areas = [ring_area(r) for r in parts]
            g["shape"] = (parts, areas, [bbox_of([r]) for r in parts], g["clean"][0])
        return g["shape"]

    def waypoint(self, gi, rng):
        parts, areas, bboxes, main = self.grid_shape(gi)
        if rng.random() < 0.08:
            # A step just outside the edge (a few metres).
            n = len(main)
            k = rng.randrange(n)
            (ax, ay), (bx, by) = main[k], main[(k + 1) % n]
            L = math.hypot(bx - ax, by - ay)
            if L > 1:
                t = rng.random()
                d = rng.uniform(2.0, 6.0)
                return (ax + t * (bx - ax) + (by - ay) / L * d, ay + t * (by - ay) - (bx - ax) / L * d)
        k = 0  # the main part: a walk to an exclave would cross other grids
        minx, miny, maxx, maxy = bboxes[k]
        for _ in range(1000):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if point_in_ring(x, y, parts[k]):
                return (x, y)
        return ((minx + maxx) / 2.0, (miny + maxy) / 2.0)

    def member_fixes(self, m, sessions, factor, monday=None):
        """All fixes of one member in a week: [(t_s, x, y, accuracy text)],
        with the member's planted defect applied in the last week (monday
        None); earlier weeks have none."""
        if monday is None:
            rng = random.Random("%s:walk:%s" % (self.seed, m["id"]))
            flag = m["flag"]
        else:
            rng = random.Random("%s:walk:%s:%s" % (self.seed, m["id"], monday.isoformat()))
            flag = None
        rows = []
        # The session that carries a within-session defect: the longest.
        special = max(range(len(sessions)), key=lambda k: (sessions[k][1], -k)) if sessions else None
        bounds = []
        gauss = rng.gauss
        rand = rng.random
        for si, (start, dur, iv, gi) in enumerate(sessions):
            first = len(rows)
            interval = max(1.0, iv * factor)
            speed = rng.uniform(1.0, 1.5)
            x, y = self.waypoint(gi, rng)
            tx, ty = self.waypoint(gi, rng)
            a0 = rng.uniform(3.0, 8.0)
            end = start + dur
            t = float(start)
            pause_until = -1.0
            excursion = None
            if rng.random() < 0.12 and dur > 1800:
                excursion = start + rng.uniform(0.2, 0.7) * dur
            still = gap = jump = None
            if si == special:
                if flag == "stationary":
                    still = (start + 0.3 * dur, start + 0.3 * dur + 1200)
                elif flag == "gap":
                    gap = (start + 0.5 * dur, start + 0.5 * dur + rng.uniform(420, 540))
                elif flag == "jump":
                    ang = rng.random() * 2 * math.pi
                    jump = [start + 0.4 * dur, 2, 600.0 * math.cos(ang), 600.0 * math.sin(ang)]
            back = None
            while t < end:
                ti = int(t + 0.5)
                if still and still[0] <= t < still[1]:
                    if "still_xy" not in m:
                        m["still_xy"] = (x, y)
                        m["still_t"] = ti
                    sx, sy = m["still_xy"]
                    rows.append((ti, sx + gauss(0, 0.15), sy + gauss(0, 0.15), "3.0"))
                    t += interval
                    continue
                if not (gap and gap[0] <= t < gap[1]) and rand() >= 0.02:
                    acc = a0 * (0.7 + 0.8 * rand())
                    s = acc * 0.5
                    fx, fy = x + gauss(0, s), y + gauss(0, s)
                    if jump and t >= jump[0] and jump[1] > 0:
                        fx += jump[2]
                        fy += jump[3]
                        jump[1] -= 1
                        m.setdefault("jump_t", ti)
                    rows.append((ti, fx, fy, "" if rand() < 0.03 else "%.1f" % acc))
                t += interval
                if t < pause_until:
                    continue
                if excursion is not None and t >= excursion:
                    # Walk to somewhere 100-200 m outside the grid, stay a bit.
                    (minx, miny, maxx, maxy) = self.grid_shape(gi)[2][0]
                    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
                    ang = rng.random() * 2 * math.pi
                    rad = math.hypot(maxx - minx, maxy - miny) / 2.0 + rng.uniform(60, 120)
                    tx, ty = cx + rad * math.cos(ang), cy + rad * math.sin(ang)
                    back = True
                    excursion = None
                step = speed * interval
                while step > 0:
                    ddx, ddy = tx - x, ty - y
                    d = math.sqrt(ddx * ddx + ddy * ddy)
                    if d <= step:
                        x, y = tx, ty
                        step -= d
                        if back:
                            pause_until = t + rng.uniform(90, 200)
                            back = None
                            step = 0
                        elif rand() < 0.12:
                            pause_until = t + rng.uniform(30, 150)
                            step = 0
                        tx, ty = self.waypoint(gi, rng)
                    else:
                        x += ddx / d * step
                        y += ddy / d * step
                        step = 0
            bounds.append((first, len(rows)))
        if flag == "dups" and rows:
            picks = sorted(rng.sample(range(len(rows)), min(5, len(rows))), reverse=True)
            for i in picks:
                t, fx, fy, acc = rows[i]
                rows.insert(i + 1, (t, fx + rng.uniform(-1, 1), fy + rng.uniform(-1, 1), acc))
            m["dup_times"] = sorted(rows[i][0] for i in picks)
        if flag == "disorder" and len(bounds) >= 2:
            # Move the second session of the week in front of the first, and
            # reverse a block of 30 rows inside the last session.
            (a0_, a1), (b0, b1) = bounds[0], bounds[1]
            rows = rows[b0:b1] + rows[a0_:a1] + rows[a1:b0] + rows[b1:]
            la, lb = bounds[-1]
            if lb - la > 40:
                mid = la + (lb - la) // 2
                rows[mid:mid + 30] = rows[mid:mid + 30][::-1]
        return rows

    # -------------------------------------------------------------- readme --
    def write_readme(self, path):
        G = self.grids
        a = self.args

        def gc(gi):
            return G[gi]["code"]

        def gn(gi):
            return "%s (%s)" % (G[gi]["code"], G[gi]["name"])

        cmd = "scripts/gen_city.py --households %d --seed %d --out %s --week %s --weeks %d" % (
            a.households, a.seed, a.out_arg, a.week, a.weeks)
        if a.traces_weeks != a.weeks:
            cmd += " --trace-weeks %d" % a.traces_weeks
        if a.no_traces:
            cmd += " --no-traces"
        if a.trace_fixes:
            cmd += " --trace-fixes %d" % a.trace_fixes
        L = []
        w = L.append
        w("# Synthetic city for gridsmith")
        w("")
        w("Generated, not real: a made-up city in Beijing's Haidian district (around 116.30E, 39.98N).")
        w("Regenerate byte-identical CSVs and identical GeoPackage content with:")
        w("")
        w("    " + cmd)
        w("")
        w("## Files")
        w("")
        w("| file | what |")
        w("|---|---|")
        w("| `city.gpkg` | CGCS2000 lon/lat (EPSG:4490). Layers `communities` (%d), `grids` (%d, "
          "MultiPolygon), `households` (%d points in %d buildings), `barriers` (roads, a river, a "
          "railway, school walls), `events` (%d, ISO weeks %s to %s). Empty values are NULL. |" % (
              len(self.comms), len(G), len(self.hh[0]), self.n_buildings, len(self.events),
              self.event_start.strftime("%G-W%V"), a.week))
        w("| `members.csv` | roster `member_id,grid_code,name`, %d rows, %d members. |" % (
            self.n_roster_rows, len(self.members)))
        if not a.no_traces:
            w("| `traces.csv` | GPS fixes `member_id,time,lon,lat,accuracy_m` (WGS84, +08:00) for ISO "
              "weeks %s to %s, %d fixes, member by member, oldest week first. Patrols on workdays "
              "08:00-18:00, 2-3 h a day. In %s (%d fixes, the planted defects below) a fix every "
              "10 s (sometimes 5-30 s)%s; in the earlier weeks every 30 s (sometimes 20-60 s), "
              "with the non-compliant member short every week, a few members away for a "
              "workday (more often in the earlier weeks), and longer days in the weeks of the "
              "National Day holiday. |" % (
                  self.trace_first_week, a.week, self.n_fixes, a.week, self.n_fixes_last,
                  "" if abs(self.trace_factor - 1) < 1e-9 else
                  ", intervals scaled by %.3f for --trace-fixes" % self.trace_factor))
        w("| `scores.csv` | offline scores for `gridsmith assess --offline`: `member_id,item,score` "
          "(items information, visits, events, special, training, awareness, satisfaction; "
          "0-100), %d rows; member %s, the newest, has no resident survey yet (no awareness or "
          "satisfaction), so assess gives it those items' defaults. |" % (
              self.n_scores, self.scores_newest))
        w("| `calendar.csv` | `date,workday` overrides for 2026: public holidays 0, make-up working "
          "days (调休) 1. Illustrative, check the official notice. |")
        w("")
        w("Layout: %d streets, %d communities, %d grids (%d dedicated 专属网格); grids are divided "
          "along roads, the river and the railway. Streets (街道, the first 9 digits of a code) "
          "are named in the communities' `street_name`: %s." % (
              self.nstreets, len(self.comms), len(G), sum(1 for g in G if g["type"] == "dedicated"),
              ", ".join("%s%03d %s" % (DISTRICT, k, v) for k, v in sorted(self.street_names.items()))))
        w("")
        w("## Planted defects (what `gridsmith validate` must find)")
        w("")
        w("| issue | grid(s) | detail |")
        w("|---|---|---|")
        for gi in self.undersize:
            w("| undersize | %s | %d households |" % (gn(gi), self.grid_hh[gi]))
        for gi in self.oversize:
            w("| oversize, persons_over | %s | %d households, %d persons |" % (
                gn(gi), self.grid_hh[gi], self.grid_persons[gi]))
        for gi in self.bad_persons:
            w("| bad_persons | %s | 3 households with persons NULL, -1, NULL (%d households, "
              "%d persons counted) |" % (gn(gi), self.grid_hh[gi], self.grid_persons[gi]))
        for ga, gb, area in self.geom_defects["overlap"]:
            w("| overlap | %s, %s | %s pushed %.0f m into its neighbour, about %.0f m² |" % (
                gc(ga), gc(gb), gc(ga), OVERLAP_PUSH, area))
        for ga, gb, area in self.geom_defects["gap"]:
            w("| gap | %s, %s | a %.0f m strip along their shared road covered by no grid, about "
              "%.0f m² |" % (gc(ga), gc(gb), GAP_WIDTH, area))
        for ga, _, area in self.geom_defects["outside_community"]:
            w("| outside_community | %s | pushed %.0f m beyond the city edge, about %.0f m² |" % (
                gc(ga), OUTSIDE_PUSH, area))
        for ga, _, _ in self.geom_defects["invalid_geometry"]:
            w("| invalid_geometry | %s | bow-tie: a 2 m twist (two vertices swapped) on one edge; "
              "each lobe is 0.4 m², under the 1 m² sliver limit |" % gc(ga))
        for a_, c, _ in self.geom_defects["multipart"]:
            w("| multipart | %s | a second part cut from a corner of %s (which is then L-shaped, "
              "no issue) |" % (gc(a_), gc(c)))
        for a_, b in self.dup_codes:
            w("| duplicate_code | %s | two grids (%s and %s) share the code; each has its own "
              "roster row, so the code also has two members |" % (gc(a_), G[a_]["name"], G[b]["name"]))
        for gi in self.bad_codes:
            w("| bad_code | %s | 14 digits (%s), should be %s |" % (gc(gi), G[gi]["name"], G[gi]["true_code"]))
        for gi in self.roster["no_member"]:
            w("| no_member | %s | its member's roster row has a typo'd code (below) |" % gc(gi))
        for gi in self.roster["two_members"]:
            ids = [m["id"] for m in self.members if gc(gi) in m["codes"]]
            w("| multiple_members | %s | members %s |" % (gc(gi), ", ".join(sorted(ids))))
        for x, y in self.roster["shared"]:
            w("| member_multiple_grids | %s, %s | member %s is listed on both; %s has no other "
              "member |" % (gc(x), gc(y), self.by_grid[x]["id"], gc(y)))
        for mid, code, gi in self.roster["unknown"]:
            w("| member_unknown_grid | (none) | member %s listed on %s, which does not exist "
              "(patrols %s) |" % (mid, code, gc(gi)))
        n_orph = len(self.orphan_ids)
        if n_orph:
            w("| orphan_household | (none) | %d households in the gap strip(s): %s |" % (
                n_orph, ", ".join(self.hfmt % i for i in self.orphan_ids)))
        for g in G:
            if g["type"] == "dedicated":
                w("| (exempt) | %s | dedicated %s, %d households: small but exempt from sizing |" % (
                    gn(g["idx"]), g["facility"], self.grid_hh.get(g["idx"], 0)))
        w("")
        w("Households are at least %.0f m from every grid edge and road, so these edge defects do "
          "not change any grid's household count. Grid codes above are as stored (the duplicate "
          "code appears on two features)." % (BUILDING_MARGIN - HOUSEHOLD_JITTER))
        w("")
        w("## Events")
        w("")
        w("%d events (fewer on weekends and holidays). `grid_code` is the grid the event lies in "
          "(lowest code where grids overlap), except: it is empty on %d events on purpose (about "
          "10%%) and on %d more that lie in no grid; and these carry a deliberately wrong code "
          "(another grid of the same community): %s. Hot clusters:" % (
              len(self.events), self.n_events_empty, self.n_events_nogrid,
              ", ".join("%s (should be %s)" % (self.events[i]["id"],
                                               gc(self.events[i]["true"]) if self.events[i]["true"] is not None else "none")
                        for i in sorted(self.wrong_events))))
        w("")
        for kind, gi, total, desc in self.clusters:
            w("- %s: %d events around %s" % (desc, total, gn(gi)))
        if not a.no_traces:
            w("")
            w("## Trace defects (what `gridsmith patrol` must handle)")
            w("")
            w("| defect | member | grid it patrols | detail |")
            w("|---|---|---|---|")
            mm = {m["id"]: m for m in self.members}

            def mg(mid):
                return "%s | %s" % (mid, "; ".join("%s %s" % (gc(g), G[g]["name"]) for g in mm[mid]["patrol"]))

            def day(d):
                return (self.monday + datetime.timedelta(days=d)).isoformat()

            def ts(t):
                return "%sT%02d:%02d:%02d" % (day(t // 86400), t % 86400 // 3600, t % 3600 // 60, t % 60)

            td = self.trace_defects
            for mid in td["absent"]:
                w("| absent a whole workday | %s | no fixes on %s |" % (mg(mid), day(mm[mid]["absent_day"])))
            for mid in td["short"]:
                w("| non-compliant | %s | patrols only about 1 h a day |" % mg(mid))
            for mid in td["jump"]:
                if "jump_t" in mm[mid]:
                    w("| GPS jump | %s | 2 fixes 600 m away from %s |" % (mg(mid), ts(mm[mid]["jump_t"])))
            for mid in td["dups"]:
                w("| duplicate timestamps | %s | 5 repeated times, second row moved about 1 m: %s |" % (
                    mg(mid), ", ".join(ts(t) for t in mm[mid].get("dup_times", []))))
            for mid in td["disorder"]:
                w("| rows out of order | %s | its second session comes first in the file, and 30 rows of "
                  "its last session are reversed |" % mg(mid))
            for mid in td["midnight"]:
                d = mm[mid]["midnight_day"]
                w("| session across midnight | %s | %s 23:30 to %s 00:30 |" % (mg(mid), day(d), day(d + 1)))
            for mid in td["stationary"]:
                if "still_t" in mm[mid]:
                    w("| stationary | %s | stands still 20 min (jitter 0.15 m) from %s |" % (
                        mg(mid), ts(mm[mid]["still_t"])))
            for mid in td["gap"]:
                w("| gap > 5 min | %s | 7-9 min without fixes in the middle of its longest session |" % mg(mid))
            w("")
            w("Also, by design: member %s patrols two grids in alternate sessions; members of the "
              "multiple_members grid each patrol it in full; about 3%% of fixes have no accuracy; "
              "about 12%% of sessions include a short walk 60-120 m outside the grid; some members "
              "also patrol on Saturday." % ", ".join(self.by_grid[x]["id"] for x, _ in self.roster["shared"]))
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(L) + "\n")


def draw_status(rng, t, cutoff):
    """An event's (status, resolved_at) as members' records run: 36 %
    handled on the spot within 90 minutes, 56 % resolved after about 30 h
    (exponential, at least 1 h), 8 % open; anything not resolved before
    `cutoff` (the data's end) is still open. resolved_at has whole seconds."""
    u = rng.random()
    if u < 0.36:
        status = "self_resolved"
        res = t + datetime.timedelta(minutes=rng.uniform(5, 90))
    elif u < 0.92:
        status = "resolved"
        res = t + datetime.timedelta(hours=max(1.0, rng.expovariate(1 / 30.0)))
    else:
        status, res = "open", None
    if res is not None and res >= cutoff:
        status, res = "open", None
    return status, (res.replace(microsecond=0) if res else None)


def _cum(ws):
    s = 0.0
    for w in ws:
        s += w
        yield s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=None, help="output folder (default: datasets/demo in the repository)")
    ap.add_argument("--week", default="2026-W47", help="ISO week of the traces, e.g. 2026-W47")
    ap.add_argument("--weeks", type=int, default=8,
                    help="weeks of events and traces, ending with --week (default 8)")
    ap.add_argument("--trace-weeks", type=int, default=None,
                    help="weeks of traces, ending with --week (default: --weeks; "
                    "the benchmarks take 1)")
    ap.add_argument("--no-traces", action="store_true")
    ap.add_argument("--trace-fixes", type=int, default=None,
                    help="target total number of fixes (scales the fix interval)")
    args = ap.parse_args(argv)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    args.out_arg = args.out if args.out else "datasets/demo"
    out = args.out if args.out else os.path.join(repo, "datasets", "demo")
    try:
        datetime.date.fromisocalendar(int(args.week.split("-W")[0]), int(args.week.split("-W")[1]), 1)
    except (ValueError, IndexError):
        ap.error("--week must look like 2026-W47")
    if args.households < 2000:
        ap.error("--households must be at least 2000")
    if not 1 <= args.weeks <= 52:
        ap.error("--weeks must be 1 to 52")
    args.traces_weeks = args.trace_weeks if args.trace_weeks else args.weeks
    if not 1 <= args.traces_weeks <= args.weeks:
        ap.error("--trace-weeks must be 1 to --weeks")
    os.makedirs(out, exist_ok=True)

    t0 = time.time()
    city = City(args)
    city.timing = {}
    city.build_layout()
    city.plan_carves()
    city.build_pieces()
    city.assign_codes()
    city.plant_geometry_defects()
    city.plant_code_defects()
    city.plan_households()
    city.make_households()
    city.build_index()
    city.make_events()
    city.make_members()
    city.timing["model"] = time.time() - t0
    t1 = time.time()
    city.write_gpkg(os.path.join(out, "city.gpkg"))
    city.timing["gpkg"] = time.time() - t1
    city.write_members(os.path.join(out, "members.csv"))
    city.write_calendar(os.path.join(out, "calendar.csv"))
    tpath = os.path.join(out, "traces.csv")
    if not args.no_traces:
        city.write_traces(tpath)
    elif os.path.exists(tpath):
        os.remove(tpath)
    city.write_scores(os.path.join(out, "scores.csv"))
    city.write_readme(os.path.join(out, "README.md"))
    tm = city.timing
    log("gen_city: %d communities, %d grids, %d households, %d events, %d members%s" % (
        len(city.comms), len(city.grids), len(city.hh[0]), len(city.events), len(city.members),
        "" if args.no_traces else ", %d fixes" % city.n_fixes))
    log("gen_city: model %.1fs, gpkg %.1fs (households %.1fs, index %.1fs)%s, total %.1fs" % (
        tm["model"], tm["gpkg"], tm.get("households_write", 0), tm.get("gpkg_close", 0),
        "" if args.no_traces else ", traces %.1fs" % tm["traces"], time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
