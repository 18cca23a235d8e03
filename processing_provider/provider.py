"""The ``geohazard`` Processing provider.

Tools are collected from every module ``processing_provider/tools_*.py`` that defines
``ALGORITHMS`` (a list of algorithm classes), so adding a tool family never touches
this file.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .base import ICON_DIR

PROVIDER_ID = "geohazard"


def algorithm_classes() -> list:
    """All algorithm classes of the plugin, in module then list order."""
    classes = []
    here = os.path.dirname(__file__)
    for mod in sorted(m.name for m in pkgutil.iter_modules([here]) if m.name.startswith("tools_")):
        module = importlib.import_module(f"{__package__}.{mod}")
        classes.extend(getattr(module, "ALGORITHMS", []))
    return classes


class GeohazardProvider(QgsProcessingProvider):
    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return "InSAR Geohazards"

    def longName(self) -> str:
        return "InSAR Geohazards: time series, active deformation areas, geometry and faults"

    def icon(self) -> QIcon:
        return QIcon(os.path.join(ICON_DIR, "insar_geohazards.svg"))

    def svgIconPath(self) -> str:
        return os.path.join(ICON_DIR, "insar_geohazards.svg")

    def supportsNonFileBasedOutput(self) -> bool:
        # outputs are written with GDAL/OGR, so temporary outputs must be files
        return False

    def loadAlgorithms(self) -> None:
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
