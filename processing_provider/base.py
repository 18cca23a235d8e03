"""Base class shared by every InSAR Geohazards Processing tool.

Subclasses set the class attributes ``NAME``, ``DISPLAY_NAME``, ``GROUP_ID`` and
``HELP``, implement ``initAlgorithm`` and ``process`` (instead of ``processAlgorithm``), and
stay thin: parameters -> arrays -> one core call -> outputs. Core errors become
``QgsProcessingException`` with the core's message; a cancel request becomes a clean
stop with no output left behind.
"""

from __future__ import annotations

import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication

from ..algorithms.errors import GeohazardError, OperationCanceled
from .raster_io import RasterInfo, raster_info

#: Processing groups: id -> display name.
GROUPS = {
    "timeseries": "Time series",
    "ada": "Active deformation areas",
    "geometry": "Geometry and line of sight",
    "faults": "Faults and stress",
    "formats": "Import and formats",
}

ICON_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "icons")


class GeohazardAlgorithm(QgsProcessingAlgorithm):
    """Common plumbing: names, groups, help, translation and error mapping."""

    NAME = ""
    DISPLAY_NAME = ""
    GROUP_ID = ""
    HELP = ""

    def tr(self, text: str) -> str:
        return QCoreApplication.translate(type(self).__name__, text)

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:
        return self.tr(self.DISPLAY_NAME)

    def groupId(self) -> str:
        return self.GROUP_ID

    def group(self) -> str:
        return self.tr(GROUPS[self.GROUP_ID])

    def shortHelpString(self) -> str:
        return self.tr(self.HELP)

    def createInstance(self):
        return type(self)()

    def processAlgorithm(self, parameters, context, feedback):
        try:
            return self.process(parameters, context, feedback)
        except OperationCanceled:
            raise QgsProcessingException(self.tr("Canceled by the user; no output was written.")) from None
        except GeohazardError as exc:
            raise QgsProcessingException(str(exc)) from None
        except MemoryError:
            raise QgsProcessingException(
                self.tr("Not enough memory; try a smaller block size or a smaller area.")) from None

    def process(self, parameters, context, feedback) -> dict:  # pragma: no cover - abstract
        raise QgsProcessingException(f"{type(self).__name__}.process is not implemented")

    # ------------------------------------------------------------------ helpers
    def raster_path(self, parameters, name: str, context) -> str:
        """File path of a raster parameter; raises naming the parameter when it is not a GDAL raster."""
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            value = parameters.get(name)
            if value is None or value == "":
                raise QgsProcessingException(self.invalidRasterError(parameters, name))
            raise QgsProcessingException(f"{name}: {value!r} is not a raster layer or file QGIS can read")
        if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
            raise QgsProcessingException(f"{name}: layer {layer.name()!r} is not a file-based (GDAL) raster")
        return layer.source()

    def raster_info(self, parameters, name: str, context) -> RasterInfo:
        return raster_info(self.raster_path(parameters, name, context), name)
