#!/usr/bin/python3
"""The QGIS plugin's Processing provider inside QGIS (PyQGIS), as an
analyst uses it from the Processing toolbox: its algorithms, a run whose
progress reaches the dialog and whose outputs load styled, Cancel that
stops the command and leaves no output, and a failure that shows
gridsmith's message.

Usage: test_qgis_plugin.py GRIDSMITH_BINARY SOURCE_DIR
"""
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TMP = tempfile.mkdtemp(prefix="gs_plugin_")
os.environ.setdefault("XDG_RUNTIME_DIR", TMP)
os.environ["GRIDSMITH_BIN"] = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(SRC, "qgis_plugin"))
sys.path.insert(0, "/usr/share/qgis/python/plugins")

from qgis.core import (QgsApplication, QgsProcessingContext,  # noqa: E402
                       QgsProcessingException, QgsProcessingFeedback,
                       QgsProject)

app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing  # noqa: E402
import processing  # noqa: E402

Processing.initialize()
from gridsmith.provider import GridsmithProvider  # noqa: E402

provider = GridsmithProvider()
QgsApplication.processingRegistry().addProvider(provider)

DEMO = os.path.join(SRC, "datasets", "demo")
CITY = os.path.join(DEMO, "city.gpkg")
counts = {"passed": 0, "failed": 0}


def check(cond, what, why=""):
    counts["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + what +
          ("" if cond or not why else ": %s" % why), flush=True)


class Feedback(QgsProcessingFeedback):
    """Records progress; cancels at the first progress when asked."""

    def __init__(self, cancel_at=None):
        super().__init__()
        self.texts, self.cancel_at = [], cancel_at

    def setProgressText(self, text):  # noqa: N802
        self.texts.append(text)
        if self.cancel_at and self.cancel_at in text:
            self.cancel()


ids = sorted(a.id() for a in provider.algorithms())
check(ids == ["gridsmith:hotspots", "gridsmith:partition", "gridsmith:patrol",
              "gridsmith:run", "gridsmith:validate"], "five algorithms", ids)

# validate from layers, progress in the dialog, outputs loaded styled.
context = QgsProcessingContext()
context.setProject(QgsProject.instance())
fb = Feedback()
out = os.path.join(TMP, "validate.gpkg")
res = processing.run("gridsmith:validate", {
    "COMMUNITIES": CITY + "|layername=communities",
    "GRIDS": CITY + "|layername=grids",
    "HOUSEHOLDS": CITY + "|layername=households",
    "MEMBERS": os.path.join(DEMO, "members.csv"),
    "OUTPUT": out}, context=context, feedback=fb)
check(res["OUTPUT"] == out and os.path.exists(out), "validate wrote " + out)
check(any("read grids" in t for t in fb.texts) and
      any("write" in t for t in fb.texts),
      "progress phases reached the feedback", fb.texts)
import json  # noqa: E402
summary = json.loads(res["SUMMARY"])
check(summary.get("grids") == 22 and summary.get("violations") == 17,
      "summary: 17 of 22 grids violate", summary.get("violations"))
loaded = {d.outputName: context.getMapLayer(i) or
          context.temporaryLayerStore().mapLayer(i)
          for i, d in context.layersToLoadOnCompletion().items()}
check({"grids", "issues", "issue_points", "summary", "run_metadata"} <=
      set(loaded), "outputs loaded on completion", sorted(loaded))
grids = loaded.get("grids")
check(grids is not None and grids.renderer().type() == "categorizedSymbol"
      and grids.attributeAlias(grids.fields().indexOf("status")) == "状态",
      "grids loaded with its style and Chinese aliases")

# Cancel: the command is stopped and writes nothing.
fb = Feedback(cancel_at="read households")
out = os.path.join(TMP, "cancelled.gpkg")
t0 = time.time()
try:
    processing.run("gridsmith:partition", {
        "COMMUNITIES": CITY + "|layername=communities",
        "HOUSEHOLDS": CITY + "|layername=households",
        "BARRIERS": CITY + "|layername=barriers",
        "OUTPUT": out}, context=QgsProcessingContext(), feedback=fb)
    check(False, "cancel raises")
except QgsProcessingException as e:
    check("cancelled" in str(e), "cancel stops the run: %s" % e)
check(not os.path.exists(out), "a cancelled run leaves no output")
leftovers = [f for f in os.listdir(TMP) if f.startswith(".cancelled")]
check(not leftovers, "and no temporaries", leftovers)

# A failure shows gridsmith's own message.
try:
    processing.run("gridsmith:validate", {
        "COMMUNITIES": CITY + "|layername=communities",
        "GRIDS": CITY + "|layername=grids",
        "HOUSEHOLDS": CITY + "|layername=households",
        "RULES": os.path.join(TMP, "no-such.ini"),
        "OUTPUT": os.path.join(TMP, "x.gpkg")},
        context=QgsProcessingContext(), feedback=Feedback())
    check(False, "a bad rules file fails")
except QgsProcessingException as e:
    check("gridsmith:" in str(e) and "no-such.ini" in str(e),
          "failure message from gridsmith: %s" % e)

print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
QgsApplication.processingRegistry().removeProvider(provider)
sys.exit(1 if counts["failed"] else 0)
