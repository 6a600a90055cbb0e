"""The Processing provider "gridsmith 网格化": one algorithm per command."""

from qgis.core import QgsProcessingProvider

from .algorithms import (HotspotsAlgorithm, PartitionAlgorithm,
                         PatrolAlgorithm, ValidateAlgorithm,
                         WeeklyJobAlgorithm)


class GridsmithProvider(QgsProcessingProvider):
    def id(self):
        return "gridsmith"

    def name(self):
        return "gridsmith 网格化服务管理"

    def longName(self):  # noqa: N802 (QGIS's name)
        return "gridsmith 网格化服务管理 community grid management"

    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        for alg in (ValidateAlgorithm, PartitionAlgorithm, PatrolAlgorithm,
                    HotspotsAlgorithm, WeeklyJobAlgorithm):
            self.addAlgorithm(alg())
