"""Shared helpers of the kinematics tools."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterNumber,
)

DBL = QgsProcessingParameterNumber.Type.Double
