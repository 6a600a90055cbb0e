"""The plugin: registers the Processing provider with QGIS (also headless,
for qgis_process, which calls initProcessing)."""

from qgis.core import QgsApplication


class GridsmithPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        from .provider import GridsmithProvider
        if self.provider is None:
            self.provider = GridsmithProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS's name)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
