#!/usr/bin/python3
"""qgis_check.py - open a gridsmith GeoPackage the way an analyst does.

Usage:
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/qgis_check.py OUT.gpkg \\
      [--expect LAYER=COUNT ...] [--styled LAYER ...] [--styled-all] \\
      [--allow-gpkg-warnings] [--render DIR]

What it checks, one line per check ("ok   ..." or "FAIL ...: why"):
  1. GDAL's GeoPackage validator (validate_gpkg.py from Debian's
     python3-gdal, with its extra checks) reports no error. Its warnings
     (e.g. a DATETIME that is not ISO 8601 with 'Z') fail too, unless
     --allow-gpkg-warnings is given.
  2. Every layer OGR lists opens in QGIS (QgsVectorLayer, "ogr" provider) and
     is valid; its feature count matches --expect where given.
  3. For every --styled layer (every data layer with --styled-all):
     - layer_styles has a default row for it with the values QGIS looks up
       (f_table_catalog = f_table_schema = '', f_table_name = the layer,
       f_geometry_column = its geometry column or '' for a table,
       useAsDefault true);
     - QGIS's provider returns that style (what QGIS does when it opens the
       layer), and the opened layer's renderer type is the one in its QML;
     - a categorized renderer's attribute exists, every value present in the
       data has a category, and the symbols suit the layer's geometry type
       (a fill symbol on a point layer draws nothing);
     - at least one field alias is set, and every alias in the QML applied.
  With --render DIR, each styled layer with geometry is drawn to
  DIR/LAYER.png for a human look.

The last line is "N passed, N failed"; the exit status is 1 on any failure,
2 on a usage error.
"""

import argparse
import gc
import importlib.util
import os
import shutil
import sqlite3
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

# QGIS headless: no display. Must be set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_RUNTIME_DIR = None
if not os.environ.get("XDG_RUNTIME_DIR"):
    _RUNTIME_DIR = tempfile.mkdtemp(prefix="qgis_check_")
    os.environ["XDG_RUNTIME_DIR"] = _RUNTIME_DIR

from osgeo import gdal, ogr  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()

# Where Debian's python3-gdal puts the validator, newest layout first.
VALIDATOR_PATHS = (
    "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
    "/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
)


class Report:
    """Counts and prints checks, one line each."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, why=""):
        if cond:
            self.passed += 1
            print(f"ok   {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {why}" if why else ""), flush=True)
        return cond

    def end(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def load_validator():
    """Returns the validate_gpkg module (Debian's python3-gdal)."""
    try:
        from osgeo_utils.samples import validate_gpkg

        return validate_gpkg
    except ImportError:
        pass
    for path in VALIDATOR_PATHS:
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("validate_gpkg", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
    return None


def run_validator(rep, path, allow_warnings):
    mod = load_validator()
    if not rep.check(mod is not None, "GDAL validate_gpkg.py found",
                     "install python3-gdal"):
        return
    checker = mod.GPKGChecker(path, abort_at_first_error=False,
                              extra_checks=True, log_msg=False,
                              warning_msg=False)
    try:
        checker.check()
    except Exception as e:  # the validator raises on unreadable files
        checker.errors.append((None, f"{type(e).__name__}: {e}"))
    errors = [(f"Req {req}: " if req else "") + msg
              for req, msg in checker.errors]
    rep.check(not errors, "GeoPackage validator: no errors",
              "; ".join(errors[:10]))
    warnings = list(checker.warnings)
    if allow_warnings:
        for w in warnings:
            print(f"warn GeoPackage validator: {w}", flush=True)
    else:
        rep.check(not warnings, "GeoPackage validator: no warnings",
                  "; ".join(warnings[:10]))


def list_layers(path):
    """Returns [(name, geometry column or '')] as OGR lists them."""
    ds = ogr.Open(path)  # keep ds alive while its layers are used
    if ds is None:
        raise RuntimeError("not a dataset OGR can open")
    out = []
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        out.append((lyr.GetName(), lyr.GetGeometryColumn() or ""))
    ds = None
    return out


def style_rows(path, name):
    """Returns the layer_styles rows for table name (empty if no table)."""
    con = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro",
                          uri=True)
    try:
        return con.execute(
            "SELECT f_table_catalog, f_table_schema, f_geometry_column,"
            " useAsDefault, styleQML FROM layer_styles WHERE f_table_name = ?",
            (name,)).fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()


def qml_facts(qml):
    """Returns (renderer type or None, attr, {category value}, {field: alias})
    from a QML document, or None when it does not parse."""
    try:
        # QGIS writes a DOCTYPE with an external DTD; ElementTree ignores it.
        root = ET.fromstring(qml)
    except ET.ParseError:
        return None
    rend = root.find("renderer-v2")
    rtype = rend.get("type") if rend is not None else None
    attr = rend.get("attr") if rend is not None else None
    cats = set()
    if rend is not None:
        cats = {c.get("value") for c in rend.iter("category")}
    aliases = {a.get("field"): a.get("name")
               for a in root.iter("alias") if a.get("name")}
    return rtype, attr, cats, aliases


def uncategorized(vl, rend):
    """Returns the sorted distinct values of the renderer's attribute for
    which QGIS itself finds no symbol (so those features are not drawn)."""
    from qgis.core import (QgsExpressionContext, QgsExpressionContextUtils,
                           QgsRenderContext)

    ctx = QgsRenderContext()
    # The layer's scope, as a map render has it: an expression attribute
    # (the weekday of a date) needs the layer's fields.
    ctx.setExpressionContext(QgsExpressionContext(
        QgsExpressionContextUtils.globalProjectLayerScopes(vl)))
    attr = rend.classAttribute()
    missing = set()
    rend.startRender(ctx, vl.fields())
    try:
        for f in vl.getFeatures():
            ctx.expressionContext().setFeature(f)  # as a render does
            if rend.symbolForFeature(f, ctx) is None:
                missing.add(str(f[attr]) if vl.fields().lookupField(attr) >= 0
                            else "%s of feature %d" % (attr, f.id()))
    finally:
        rend.stopRender(ctx)
    return sorted(missing)


def check_styled(rep, path, name, gcol, vl):
    """Checks that QGIS opened layer vl with its layer_styles default."""
    from qgis.core import (QgsProviderRegistry, QgsRenderContext, QgsSymbol,
                           QgsWkbTypes)

    rows = style_rows(path, name)
    want = [r for r in rows
            if r[0] == "" and r[1] == "" and r[2] == gcol and r[3]]
    rep.check(bool(want), f"{name}: default row in layer_styles",
              f"want f_table_catalog='', f_table_schema='', "
              f"f_geometry_column='{gcol}', useAsDefault=1; found "
              f"{[r[:4] for r in rows] or 'no row'}")
    uri = f"{path}|layername={name}"
    qml = QgsProviderRegistry.instance().loadStyle("ogr", uri, "")
    if not rep.check(bool(qml), f"{name}: QGIS finds its style in the file",
                     "provider loadStyle returned nothing"):
        return
    facts = qml_facts(qml)
    if not rep.check(facts is not None, f"{name}: style QML parses"):
        return
    rtype, attr, cats, aliases = facts
    rend = vl.renderer()
    got = rend.type() if rend is not None else None
    if vl.geometryType() == QgsWkbTypes.NullGeometry:
        rep.check(rtype is None, f"{name}: attribute table has no renderer",
                  f"QML has renderer {rtype}")
    else:
        rep.check(got == rtype, f"{name}: renderer is {rtype}",
                  f"layer opened with {got}")
    if rend is not None and got == "categorizedSymbol" and got == rtype:
        # The attribute is a field, or an expression on fields (the
        # weekday of a track's date).
        from qgis.core import QgsExpression
        cols = ({attr} if vl.fields().lookupField(attr) >= 0
                else QgsExpression(attr).referencedColumns())
        if rep.check(cols and all(vl.fields().lookupField(c) >= 0
                                  for c in cols),
                     f"{name}: category field {attr} exists"):
            missing = uncategorized(vl, rend)
            rep.check(not missing,
                      f"{name}: every {attr} value has a category",
                      f"no category for {missing[:10]}")
        rep.check(len(rend.categories()) == len(cats),
                  f"{name}: {len(cats)} categories loaded",
                  f"{len(rend.categories())} loaded")
    if rend is not None and vl.geometryType() != QgsWkbTypes.NullGeometry:
        want_sym = {
            QgsWkbTypes.PointGeometry: QgsSymbol.Marker,
            QgsWkbTypes.LineGeometry: QgsSymbol.Line,
            QgsWkbTypes.PolygonGeometry: QgsSymbol.Fill,
        }.get(vl.geometryType())
        syms = rend.symbols(QgsRenderContext())
        bad = [s.type() for s in syms if s.type() != want_sym]
        rep.check(syms and not bad,
                  f"{name}: symbols suit its "
                  f"{QgsWkbTypes.geometryDisplayString(vl.geometryType())} "
                  "geometry", f"{len(bad)} of {len(syms)} symbols of another "
                  "type would draw nothing")
    set_aliases = {f.name(): f.alias() for f in vl.fields() if f.alias()}
    rep.check(bool(set_aliases), f"{name}: field aliases set",
              "no field has an alias")
    wrong = sorted(f for f, a in aliases.items() if set_aliases.get(f) != a)
    rep.check(not wrong, f"{name}: all {len(aliases)} aliases of its style "
              "applied", f"not applied: {wrong[:10]}")


def render(vl, out):
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    ms = QgsMapSettings()
    ms.setLayers([vl])
    ms.setBackgroundColor(QColor(255, 255, 255))
    ms.setOutputSize(QSize(800, 800))
    ms.setDestinationCrs(vl.crs())
    ext = vl.extent()
    ext.scale(1.1)
    ms.setExtent(ext)
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    return job.renderedImage().save(out, "png")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Open a GeoPackage the way an analyst does, in QGIS.")
    ap.add_argument("gpkg")
    ap.add_argument("--expect", action="extend", nargs="+", default=[],
                    metavar="LAYER=COUNT", help="expected feature count")
    ap.add_argument("--styled", action="extend", nargs="+", default=[],
                    metavar="LAYER", help="layer that must open styled")
    ap.add_argument("--styled-all", action="store_true",
                    help="every layer but layer_styles must open styled")
    ap.add_argument("--allow-gpkg-warnings", action="store_true",
                    help="report validator warnings without failing")
    ap.add_argument("--render", metavar="DIR",
                    help="draw each styled layer to DIR/LAYER.png")
    args = ap.parse_args(argv)
    expect = {}
    for item in args.expect:
        name, sep, count = item.rpartition("=")
        if not sep or not name or not count.isdigit():
            ap.error(f"--expect wants LAYER=COUNT, got {item!r}")
        expect[name] = int(count)
    args.expect = expect
    return args


def main(argv, rep):
    args = parse_args(argv)
    path = os.path.abspath(args.gpkg)
    if not rep.check(os.path.isfile(path), f"{args.gpkg} exists"):
        return rep.end()

    run_validator(rep, path, args.allow_gpkg_warnings)

    try:
        layers = list_layers(path)
    except RuntimeError as e:
        rep.check(False, "OGR opens the file", str(e))
        return rep.end()
    names = [n for n, _ in layers]
    rep.check(bool(layers), f"OGR lists {len(layers)} layers",
              "no layer")
    for name in args.expect:
        rep.check(name in names, f"expected layer {name} present",
                  f"layers are {names}")
    styled = set(args.styled)
    if args.styled_all:
        styled |= {n for n in names if n != "layer_styles"}
    for name in sorted(styled - set(names)):
        rep.check(False, f"styled layer {name} present", f"layers are {names}")

    from qgis.core import QgsApplication, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    opened = []
    try:
        for name, gcol in layers:
            vl = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            opened.append(vl)
            if not rep.check(vl.isValid(), f"{name}: opens in QGIS",
                             "layer not valid"):
                continue
            n = vl.featureCount()
            if name in args.expect:
                rep.check(n == args.expect[name],
                          f"{name}: {args.expect[name]} features",
                          f"QGIS counts {n}")
            if name in styled:
                check_styled(rep, path, name, gcol, vl)
                if args.render and vl.isSpatial():
                    os.makedirs(args.render, exist_ok=True)
                    out = os.path.join(args.render, f"{name}.png")
                    rep.check(render(vl, out), f"{name}: drawn to {out}")
    finally:
        # Layers must go before QGIS shuts down, or teardown crashes.
        vl = None
        opened.clear()
        gc.collect()
        app.exitQgis()
    return rep.end()


if __name__ == "__main__":
    report = Report()
    try:
        code = main(sys.argv[1:], report)
    except SystemExit as e:  # argparse: usage error
        code = e.code if isinstance(e.code, int) else 2
    except Exception as e:  # a checker bug or an unreadable file
        report.check(False, "checker ran to the end",
                     f"{type(e).__name__}: {e}")
        code = report.end()
    finally:
        if _RUNTIME_DIR:
            shutil.rmtree(_RUNTIME_DIR, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip Python's own teardown: PyQt/QGIS objects destroyed after
    # exitQgis() can crash the interpreter and turn a pass into a 139.
    os._exit(code)
