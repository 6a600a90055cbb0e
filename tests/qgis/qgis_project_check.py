#!/usr/bin/python3
"""qgis_project_check.py - open a QGIS project gridsmith wrote, the way an
analyst does (double-click the .qgz, or Browser -> GeoPackage -> project).

Usage:
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/qgis_project_check.py \\
      PROJECT [--gpkg FILE.gpkg] [--groups G ...] [--temporal LAYER ...] \\
      [--weeks LAYER=N ...] [--raster] [--render OUT.png]

PROJECT is a .qgz file or "geopackage:/path/x.gpkg?projectName=NAME".

What it checks, one line per check ("ok   ..." or "FAIL ...: why"):
  1. QGIS reads the project; its CRS is valid; every layer is valid.
  2. Every layer's source is relative to the project ("./..."), so the
     folder can be moved or mailed.
  3. Every vector layer is styled as its GeoPackage's default layer_styles
     row says: same renderer type, same categorized attribute and number of
     categories (never QGIS's random default); aliases applied; labels as
     in the style.
  4. With --gpkg, the project lists every layer of that GeoPackage.
  5. The layer tree has the --groups given (by name prefix), tables in a
     "表格 tables" sub-group.
  6. Every --temporal layer is temporal; its date twin (week_start or day)
     is a real date; with --weeks LAYER=N, stepping the Temporal Controller
     week by week over the project's range shows, at each week, exactly
     the layer's rows of that week, and N weeks have rows.
  7. With --raster, a raster layer with a pseudocolour renderer.
  8. With --render, the ticked layers are drawn to OUT.png (which must not
     be blank) for a human look.

The last line is "N passed, N failed"; exit status 1 on any failure.
"""

import argparse
import os
import re
import sqlite3
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("XDG_RUNTIME_DIR"):
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="qgis_proj_")

from qgis.core import (QgsApplication, QgsDateTimeRange,  # noqa: E402
                       QgsExpression, QgsExpressionContext,
                       QgsExpressionContextUtils, QgsFeatureRequest,
                       QgsLayerTreeGroup, QgsLayerTreeLayer, QgsMapLayer,
                       QgsMapRendererParallelJob, QgsMapSettings,
                       QgsProject, QgsRectangle, QgsUnitTypes,
                       QgsVectorLayerTemporalContext)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, cond, what, why=""):
        if cond:
            self.passed += 1
            print("ok   " + what, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (what, ": " + str(why) if why else ""),
                  flush=True)
        return cond

    def end(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0


def project_xml(uri):
    """The project's XML text, from a .qgz or a GeoPackage."""
    if uri.startswith("geopackage:"):
        u = urllib.parse.urlparse(uri[len("geopackage:"):])
        name = urllib.parse.parse_qs(u.query)["projectName"][0]
        con = sqlite3.connect(u.path)
        content = con.execute("SELECT content FROM qgis_projects WHERE "
                              "name = ?", (name,)).fetchone()[0]
        con.close()
        data = bytes.fromhex(content if isinstance(content, str)
                             else content.decode())
        import io
        z = zipfile.ZipFile(io.BytesIO(data))
    else:
        z = zipfile.ZipFile(uri)
    qgs = [n for n in z.namelist() if n.endswith(".qgs")][0]
    return z.read(qgs).decode("utf-8")


def style_of(gpkg, table):
    """The QML of a table's default style row in its GeoPackage."""
    con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(gpkg),
                          uri=True)
    row = con.execute("SELECT styleQML FROM layer_styles WHERE "
                      "f_table_name = ? AND useAsDefault ORDER BY id DESC",
                      (table,)).fetchone()
    con.close()
    return ET.fromstring(row[0].split("\n", 1)[1]) if row else None


def layer_file(layer):
    """(GeoPackage path, table) of an OGR layer's source."""
    src = layer.source()
    path, _, rest = src.partition("|")
    m = re.search(r"layername=([^|]+)", rest)
    return path, m.group(1) if m else None


def walk(group, out, path=()):
    for c in group.children():
        if isinstance(c, QgsLayerTreeGroup):
            walk(c, out, path + (c.name(),))
        elif isinstance(c, QgsLayerTreeLayer):
            out.append((path, c))


def check_styles(rep, layer):
    path, table = layer_file(layer)
    qml = style_of(path, table) if table else None
    if not rep.check(qml is not None, "%s: has a default style row" %
                     layer.name()):
        return
    r = qml.find("renderer-v2")
    if layer.isSpatial():
        want = r.get("type") if r is not None else None
        got = layer.renderer().type()
        rep.check(got == want, "%s: renderer %s as in its style" %
                  (layer.name(), got), "style says %s" % want)
        if want == "categorizedSymbol" and got == want:
            n = len(r.find("categories"))
            rep.check(layer.renderer().classAttribute() == r.get("attr") and
                      len(layer.renderer().categories()) == n,
                      "%s: %d categories on %s" % (layer.name(), n,
                                                   r.get("attr")))
        lab = qml.get("labelsEnabled") == "1"
        rep.check(layer.labelsEnabled() == lab, "%s: labels %s" %
                  (layer.name(), "on" if lab else "off"))
    aliases = {a.get("field"): a.get("name")
               for a in qml.iter("alias") if a.get("name")}
    got = {f.name(): layer.attributeAlias(i)
           for i, f in enumerate(layer.fields())}
    missing = [k for k, v in aliases.items() if got.get(k) != v]
    rep.check(aliases and not missing, "%s: %d aliases applied" %
              (layer.name(), len(aliases)), "missing %s" % missing)


def twin_is_date(layer):
    """The layer's week_start or day virtual field holds a QDate."""
    names = [f.name() for f in layer.fields()]
    twin = "week_start" if "week_start" in names else (
        "day" if "day" in names else None)
    if not twin:
        return False, "no week_start/day field"
    for f in layer.getFeatures():
        v = f[twin]
        return isinstance(v, QDate) and v.isValid(), "%s = %r" % (twin, v)
    return False, "no rows"


def rows_in(layer, rng):
    """The rows the Temporal Controller shows for frame `rng`."""
    tp = layer.temporalProperties()
    ctx = QgsVectorLayerTemporalContext()
    ctx.setLayer(layer)
    flt = tp.createFilterString(ctx, rng)
    req = QgsFeatureRequest()
    if flt:
        req.setFilterExpression(flt)
    return sorted(f.id() for f in layer.getFeatures(req))


def check_weeks(rep, project, layer, want_weeks):
    ts = project.timeSettings()
    rng = ts.temporalRange()
    rep.check(ts.timeStepUnit() == QgsUnitTypes.TemporalWeeks,
              "project steps by weeks")
    start = rng.begin()
    seen = 0
    while start < rng.end():
        end = start.addDays(7)
        frame = QgsDateTimeRange(start, end, True, False)
        shown = rows_in(layer, frame)
        d = start.date()
        # The ISO week of the frame's Monday, as the ledger spells it.
        wk, yr = d.weekNumber()
        week = "%04d-W%02d" % (yr, wk)
        expr = QgsFeatureRequest().setFilterExpression(
            "\"week\" = '%s'" % week)
        rows = sorted(f.id() for f in layer.getFeatures(expr))
        rep.check(shown == rows, "%s, week %s: the Temporal Controller "
                  "shows its %d rows" % (layer.name(), week, len(rows)),
                  "shows %d" % len(shown))
        seen += bool(rows)
        start = end
    rep.check(seen == want_weeks, "%s: %d weeks with rows" %
              (layer.name(), seen), "wanted %d" % want_weeks)


def render(rep, project, out):
    layers = []
    tree = []
    walk(project.layerTreeRoot(), tree)
    for _, node in tree:
        if node.isVisible() and node.layer() and node.layer().isSpatial():
            layers.append(node.layer())
    ext = None
    for lyr in layers:
        if lyr.crs() != project.crs() or lyr.extent().isEmpty():
            continue
        if ext is None:
            ext = QgsRectangle(lyr.extent())
        else:
            ext.combineExtentWith(lyr.extent())
    if not rep.check(ext is not None, "ticked layers have an extent"):
        return
    ext.scale(1.05)
    ms = QgsMapSettings()
    ms.setLayers(layers)
    ms.setDestinationCrs(project.crs())
    ms.setTransformContext(project.transformContext())
    ms.setExtent(ext)
    ms.setOutputSize(QSize(1400, 1000))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(out)
    # Not blank: a good share of pixels are not the white background.
    inked = 0
    step = 7
    for x in range(0, img.width(), step):
        for y in range(0, img.height(), step):
            if img.pixelColor(x, y) != QColor(255, 255, 255):
                inked += 1
    total = (img.width() // step + 1) * (img.height() // step + 1)
    rep.check(inked > total * 0.05, "rendered %d layers to %s (%.0f%% inked)"
              % (len(layers), out, 100.0 * inked / total))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    ap.add_argument("--gpkg")
    ap.add_argument("--groups", nargs="*", default=[])
    ap.add_argument("--temporal", nargs="*", default=[])
    ap.add_argument("--weeks", nargs="*", default=[])
    ap.add_argument("--raster", action="store_true")
    ap.add_argument("--render")
    a = ap.parse_args()
    rep = Report()
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    ok = project.read(a.project)
    if not rep.check(ok, "QGIS reads %s" % a.project):
        return rep.end()
    rep.check(project.crs().isValid(), "project CRS %s" %
              project.crs().authid())
    xml = ET.fromstring(project_xml(a.project))
    sources = [e.text for e in xml.iter("datasource")]
    rep.check(sources and all(s.startswith("./") for s in sources),
              "%d layer sources, all relative" % len(sources),
              [s for s in sources if not s.startswith("./")])
    layers = list(project.mapLayers().values())
    bad = [lyr.name() for lyr in layers if not lyr.isValid()]
    rep.check(layers and not bad, "%d layers, all valid" % len(layers), bad)
    tree = []
    walk(project.layerTreeRoot(), tree)
    for path, node in tree:
        lyr = node.layer()
        if lyr is None or lyr.type() != QgsMapLayer.VectorLayer:
            continue
        check_styles(rep, lyr)
        if not lyr.isSpatial():
            rep.check(path and path[-1] == "表格 tables",
                      "%s: in a tables sub-group" % lyr.name(), path)
    if a.gpkg:
        con = sqlite3.connect(a.gpkg)
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents")} - {"layer_styles"}
        con.close()
        listed = {layer_file(lyr)[1] for lyr in layers
                  if lyr.type() == QgsMapLayer.VectorLayer}
        rep.check(tables <= listed, "every layer of %s is in the project" %
                  os.path.basename(a.gpkg), tables - listed)
    groups = [c.name() for c in project.layerTreeRoot().children()
              if isinstance(c, QgsLayerTreeGroup)]
    for g in a.groups:
        rep.check(any(x.startswith(g) for x in groups), "group %s" % g,
                  groups)
    by_table = {}
    for path, node in tree:
        if node.layer() is not None:
            by_table.setdefault(layer_file(node.layer())[1], []).append(
                (path, node.layer()))
    for name in a.temporal:
        n = 0
        for path, lyr in by_table.get(name, []):
            names = [f.name() for f in lyr.fields()]
            if "week" not in names and "date" not in names:
                continue  # e.g. hotspots' grid_events: one period
            n += 1
            rep.check(lyr.temporalProperties().isActive(),
                      "%s (%s): temporal" % (name, "/".join(path)))
            ok, why = twin_is_date(lyr)
            rep.check(ok, "%s (%s): date twin is a date" %
                      (name, "/".join(path)), why)
        rep.check(n > 0, "%s: in the project, with a week or date" % name)
    for spec in a.weeks:
        name, n = spec.split("=")
        for path, lyr in by_table.get(name, []):
            if "台账" in "/".join(path) or len(by_table[name]) == 1:
                check_weeks(rep, project, lyr, int(n))
    if a.raster:
        rasters = [lyr for lyr in layers
                   if lyr.type() == QgsMapLayer.RasterLayer]
        rep.check(rasters and all(
            r.renderer().type() == "singlebandpseudocolor" for r in rasters),
            "density raster styled (%d)" % len(rasters))
    if a.render:
        render(rep, project, a.render)
    project.clear()
    return rep.end()


if __name__ == "__main__":
    sys.exit(main())
