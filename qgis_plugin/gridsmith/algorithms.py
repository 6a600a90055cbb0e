"""The Processing algorithms: validate, partition, patrol, hotspots and the
weekly job, each running the gridsmith command (runner.py).

Inputs are QGIS layers or files: a layer read from a GeoPackage, Shapefile
or GeoJSON is passed as it is (with its layer name); any other (a memory
layer, a selection, a CSV opened as delimited text) is first exported to a
temporary GeoPackage by QGIS. Outputs are GeoPackages; their layers are
loaded when the algorithm finishes, styled by the QGIS styles gridsmith
stores in them, with Chinese field aliases.
"""

import os

from qgis.core import (QgsProcessing, QgsProcessingAlgorithm,
                       QgsProcessingContext, QgsProcessingException,
                       QgsProcessingOutputFile, QgsProcessingOutputString,
                       QgsProcessingParameterEnum,
                       QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterNumber,
                       QgsProcessingParameterString, QgsProviderRegistry,
                       QgsVectorLayer)

from . import runner

GPKG_FILTER = "GeoPackage (*.gpkg *.GPKG)"
# Tables gridsmith keeps in its GeoPackages that are not results to show.
INTERNAL = {"layer_styles", "qgis_projects"}


class GridsmithAlgorithm(QgsProcessingAlgorithm):
    """What the algorithms share: inputs as command-line paths, the run
    with progress and Cancel, and loading the output styled."""

    command = ""
    title = ""
    help = ""

    def name(self):
        return self.command

    def displayName(self):  # noqa: N802 (QGIS's name)
        return self.title

    def group(self):
        return "gridsmith 网格化服务管理"

    def groupId(self):  # noqa: N802 (QGIS's name)
        return "gridsmith"

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        return self.help

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def flags(self):
        # The work happens in a child process; Cancel kills it.
        return super().flags() | QgsProcessingAlgorithm.FlagCanCancel

    # ---- parameters ------------------------------------------------------

    def add_layer(self, name, label, types, optional=False):
        self.addParameter(QgsProcessingParameterFeatureSource(
            name, label, types, optional=optional))

    def add_rules(self):
        self.addParameter(QgsProcessingParameterFile(
            "RULES", "规则文件 rules file (thresholds, INI)",
            extension="ini", optional=True))

    def add_output(self):
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "输出 output GeoPackage", GPKG_FILTER))
        self.addOutput(QgsProcessingOutputString(
            "SUMMARY", "运行摘要 summary (JSON)"))

    def layer_args(self, parameters, name, role, flag, context, feedback,
                   args):
        """Appends FLAG PATH [--layer ROLE=LAYER] for layer parameter
        NAME, when given."""
        if parameters.get(name) in (None, ""):
            return
        path, layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, name, context, ["gpkg", "shp", "geojson", "csv"],
            "gpkg", feedback)
        if not path:
            return
        args += [flag, path]
        if layer:
            args += ["--layer", "%s=%s" % (role, layer)]

    def file_arg(self, parameters, name, flag, context, args):
        value = self.parameterAsString(parameters, name, context)
        if value:
            args += [flag, value]

    # ---- running ---------------------------------------------------------

    def run_command(self, args, feedback, out_dir=None):
        def on_progress(phase, fraction):
            feedback.setProgressText("gridsmith %s: %s" % (self.command,
                                                           phase))
            if fraction is not None:
                feedback.setProgress(100.0 * fraction)

        def on_message(level, text):
            if level == "warning":
                feedback.pushWarning(text)
            else:
                feedback.pushInfo(text)

        feedback.pushCommandInfo("gridsmith " + " ".join(args))
        try:
            return runner.run(args, on_progress, on_message,
                              feedback.isCanceled, out_dir=out_dir)
        except runner.Cancelled as e:
            raise QgsProcessingException(str(e))
        except runner.GridsmithError as e:
            raise QgsProcessingException("gridsmith: %s" % e)

    def load_outputs(self, path, context, group):
        """Loads every result layer of the GeoPackage `path` when the
        algorithm finishes, named "group: layer"."""
        if not os.path.exists(path):
            return
        meta = QgsProviderRegistry.instance().providerMetadata("ogr")
        for sub in meta.querySublayers(path):
            name = sub.name()
            if name in INTERNAL:
                continue
            layer = QgsVectorLayer("%s|layername=%s" % (path, name),
                                   "%s: %s" % (group, name), "ogr")
            if not layer.isValid():
                continue
            context.temporaryLayerStore().addMapLayer(layer)
            context.addLayerToLoadOnCompletion(
                layer.id(), QgsProcessingContext.LayerDetails(
                    layer.name(), context.project(), name))

    def finish(self, doc, output, context, feedback):
        import json
        summary = json.dumps(doc, ensure_ascii=False)
        feedback.pushInfo(summary[:2000])
        self.load_outputs(output, context, "%s %s" % (self.command,
                                                      os.path.basename(output)))
        return {"OUTPUT": output, "SUMMARY": summary}

    def output_path(self, parameters, context):
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out.lower().endswith(".gpkg"):
            out += ".gpkg"
        return out


class ValidateAlgorithm(GridsmithAlgorithm):
    command = "validate"
    title = "检查网格 validate grids"
    help = ("按规模标准（300–500 户，至多 2,500 人）、网格员名册和覆盖拓扑检查每个网格。"
            "\nChecks every grid against the sizing standard, the roster "
            "and coverage topology (gridsmith validate): layers grids "
            "(status), issues, issue_points, summary.")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_layer("COMMUNITIES", "社区 communities (polygons)",
                       [QgsProcessing.TypeVectorPolygon])
        self.add_layer("GRIDS", "网格 grids (polygons)",
                       [QgsProcessing.TypeVectorPolygon])
        self.add_layer("HOUSEHOLDS", "住户 households (points)",
                       [QgsProcessing.TypeVectorPoint])
        self.add_layer("MEMBERS", "网格员名册 roster (table)",
                       [QgsProcessing.TypeVector], optional=True)
        self.add_rules()
        self.add_output()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = self.output_path(parameters, context)
        args = ["validate", "-o", out]
        for name, role in (("COMMUNITIES", "communities"), ("GRIDS", "grids"),
                           ("HOUSEHOLDS", "households"),
                           ("MEMBERS", "members")):
            self.layer_args(parameters, name, role, "--" + role, context,
                            feedback, args)
        self.file_arg(parameters, "RULES", "--rules", context, args)
        return self.finish(
            self.run_command(args, feedback, os.path.dirname(out) or "."),
            out, context, feedback)


class PartitionAlgorithm(GridsmithAlgorithm):
    command = "partition"
    title = "划分网格 partition communities"
    help = ("沿道路、河流、围墙把社区划分为 300–500 户的网格，不拆楼栋；或以最小改动重新划分"
            "现有网格。\nDivides communities into grids of 300–500 "
            "households along barriers, never splitting a building; with "
            "existing grids, re-divides them with minimal change "
            "(gridsmith partition).")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_layer("COMMUNITIES", "社区 communities (polygons)",
                       [QgsProcessing.TypeVectorPolygon])
        self.add_layer("HOUSEHOLDS", "住户 households (points)",
                       [QgsProcessing.TypeVectorPoint])
        self.add_layer("BARRIERS", "边界线 barriers: roads, rivers, walls",
                       [QgsProcessing.TypeVectorLine], optional=True)
        self.add_layer("EXISTING", "现有网格 existing grids (re-division)",
                       [QgsProcessing.TypeVectorPolygon], optional=True)
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", "随机种子 seed", QgsProcessingParameterNumber.Integer,
            0, minValue=0))
        self.add_rules()
        self.add_output()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = self.output_path(parameters, context)
        args = ["partition", "-o", out, "--seed",
                str(self.parameterAsInt(parameters, "SEED", context))]
        for name, role, flag in (
                ("COMMUNITIES", "communities", "--communities"),
                ("HOUSEHOLDS", "households", "--households"),
                ("BARRIERS", "barriers", "--barriers"),
                ("EXISTING", "grids", "--existing")):
            self.layer_args(parameters, name, role, flag, context, feedback,
                            args)
        self.file_arg(parameters, "RULES", "--rules", context, args)
        return self.finish(
            self.run_command(args, feedback, os.path.dirname(out) or "."),
            out, context, feedback)


TRACE_CRS = ["wgs84", "gcj02", "bd09"]


class PatrolAlgorithm(GridsmithAlgorithm):
    command = "patrol"
    title = "巡查核验 verify patrols"
    help = ("由 GPS 轨迹核验一周巡查：每名网格员每天、每周在本网格内的时长、达标、覆盖率、"
            "走到的住户、定位问题。\nVerifies a week's patrols from GPS "
            "traces (gridsmith patrol).")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_layer("GRIDS", "网格 grids (polygons)",
                       [QgsProcessing.TypeVectorPolygon])
        self.add_layer("MEMBERS", "网格员名册 roster (table)",
                       [QgsProcessing.TypeVector])
        self.addParameter(QgsProcessingParameterFile(
            "TRACES", "GPS 轨迹 traces (CSV, GPX, GeoPackage...)"))
        self.add_layer("HOUSEHOLDS", "住户 households (points)",
                       [QgsProcessing.TypeVectorPoint], optional=True)
        self.addParameter(QgsProcessingParameterFile(
            "CALENDAR", "工作日调整 workday calendar (CSV)", extension="csv",
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "WEEK", "周 ISO week, e.g. 2026-W47"))
        self.addParameter(QgsProcessingParameterEnum(
            "TRACE_CRS", "轨迹坐标系 trace coordinates", TRACE_CRS,
            defaultValue=0))
        self.add_rules()
        self.add_output()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = self.output_path(parameters, context)
        args = ["patrol", "-o", out, "--week",
                self.parameterAsString(parameters, "WEEK", context),
                "--trace-crs",
                TRACE_CRS[self.parameterAsEnum(parameters, "TRACE_CRS",
                                               context)]]
        for name, role in (("GRIDS", "grids"), ("MEMBERS", "members"),
                           ("HOUSEHOLDS", "households")):
            self.layer_args(parameters, name, role, "--" + role, context,
                            feedback, args)
        self.file_arg(parameters, "TRACES", "--traces", context, args)
        self.file_arg(parameters, "CALENDAR", "--calendar", context, args)
        self.file_arg(parameters, "RULES", "--rules", context, args)
        return self.finish(
            self.run_command(args, feedback, os.path.dirname(out) or "."),
            out, context, feedback)


class HotspotsAlgorithm(GridsmithAlgorithm):
    command = "hotspots"
    title = "事件热点 event hot spots"
    help = ("事件 → 各网格各类别件数、Gi* 冷热点、聚集区、核密度、重复发生点、超期事件、"
            "时空热点。\nEvents -> counts, Gi* hot and cold spots, clusters, "
            "density, trouble spots, emerging hot spots (gridsmith "
            "hotspots).")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_layer("GRIDS", "网格 grids (polygons)",
                       [QgsProcessing.TypeVectorPolygon])
        self.add_layer("EVENTS", "事件 events (points)",
                       [QgsProcessing.TypeVectorPoint])
        self.add_layer("COMMUNITIES", "社区 communities (polygons)",
                       [QgsProcessing.TypeVectorPolygon], optional=True)
        self.add_layer("HOUSEHOLDS", "住户 households (points)",
                       [QgsProcessing.TypeVectorPoint], optional=True)
        self.addParameter(QgsProcessingParameterFile(
            "CALENDAR", "工作日调整 workday calendar (CSV)", extension="csv",
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "WEEK", "周 ISO week, e.g. 2026-W47 (empty: every event)",
            optional=True))
        self.add_rules()
        self.add_output()
        self.addOutput(QgsProcessingOutputFile(
            "DENSITY", "核密度 density raster (GeoTIFF)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = self.output_path(parameters, context)
        args = ["hotspots", "-o", out]
        for name, role in (("GRIDS", "grids"), ("EVENTS", "events"),
                           ("COMMUNITIES", "communities"),
                           ("HOUSEHOLDS", "households")):
            self.layer_args(parameters, name, role, "--" + role, context,
                            feedback, args)
        self.file_arg(parameters, "CALENDAR", "--calendar", context, args)
        self.file_arg(parameters, "WEEK", "--week", context, args)
        self.file_arg(parameters, "RULES", "--rules", context, args)
        result = self.finish(
            self.run_command(args, feedback, os.path.dirname(out) or "."),
            out, context, feedback)
        kde = out[:-5] + "_kde.tif"
        if os.path.exists(kde):
            from qgis.core import QgsRasterLayer
            layer = QgsRasterLayer(kde, "hotspots: 核密度 density", "gdal")
            if layer.isValid():
                context.temporaryLayerStore().addMapLayer(layer)
                context.addLayerToLoadOnCompletion(
                    layer.id(), QgsProcessingContext.LayerDetails(
                        layer.name(), context.project(), "density"))
        result["DENSITY"] = kde
        return result


class WeeklyJobAlgorithm(GridsmithAlgorithm):
    command = "run"
    title = "每周任务 weekly job"
    help = ("按任务文件运行每周任务：检查网格、核验巡查、事件热点，记入台账并生成周报和 QGIS "
            "工程。\nRuns the weekly job of a job file (gridsmith run): "
            "validate, patrol, hotspots, the ledger, the HTML report and "
            "the week's QGIS project.")

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(QgsProcessingParameterFile(
            "JOB", "任务文件 job file (INI)", extension="ini"))
        self.addParameter(QgsProcessingParameterString(
            "WEEK", "周 ISO week (empty: the job's)", optional=True))
        self.addOutput(QgsProcessingOutputFile(
            "PROJECT", "本周 QGIS 工程 the week's QGIS project (.qgz)"))
        self.addOutput(QgsProcessingOutputFile(
            "REPORT", "周报 the week's HTML report"))
        self.addOutput(QgsProcessingOutputString(
            "SUMMARY", "运行摘要 summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        args = ["run", self.parameterAsFile(parameters, "JOB", context)]
        self.file_arg(parameters, "WEEK", "--week", context, args)
        doc = self.run_command(args, feedback)
        import json
        report = ""
        for st in doc.get("stages", []):
            rep = st.get("report") or {}
            if st.get("stage") == "report":
                report = rep.get("output", "")
            elif rep.get("output", "").lower().endswith(".gpkg"):
                self.load_outputs(rep["output"], context,
                                  "%s %s" % (st.get("stage"),
                                             doc.get("week", "")))
        return {"PROJECT": doc.get("qgis_project") or "",
                "REPORT": report,
                "SUMMARY": json.dumps(doc, ensure_ascii=False)}
