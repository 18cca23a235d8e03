"""Styles for output layers.

Each helper builds a renderer for an output file, saves it as a ``.qml`` sidecar next to
the file (QGIS applies a same-name ``.qml`` automatically whenever the file is opened,
including from ``qgis_process`` outputs and demo projects) and, when the tool runs inside
QGIS, applies it as the output layer is loaded.
"""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsColorRampShader,
    QgsGradientColorRamp,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterBandStats,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

# Post-processors must outlive processAlgorithm(): QGIS keeps only a raw pointer.
_KEEP_ALIVE: list = []


class _ApplyQml(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, qml_path: str):
        super().__init__()
        self.qml_path = qml_path

    def postProcessLayer(self, layer, context, feedback):
        if layer is not None and os.path.exists(self.qml_path):
            layer.loadNamedStyle(self.qml_path)
            layer.triggerRepaint()


def apply_on_load(context, output_path: str, qml_path: str) -> None:
    """Apply ``qml_path`` to ``output_path`` when QGIS loads it after the tool finishes."""
    if context is None or not context.willLoadLayerOnCompletion(output_path):
        return
    proc = _ApplyQml(qml_path)
    _KEEP_ALIVE.append(proc)
    context.layerToLoadOnCompletionDetails(output_path).setPostProcessor(proc)


def sidecar_qml(path: str) -> str:
    return os.path.splitext(path)[0] + ".qml"


def _ramp(name: str, invert: bool = False):
    ramp = QgsStyle.defaultStyle().colorRamp(name)
    if ramp is None:  # the default style database is missing on some minimal installs
        ramp = QgsGradientColorRamp()
    if invert:
        ramp.invert()
    return ramp


def style_raster_diverging(path: str, *, context=None, vmax: float | None = None, band: int = 1,
                           ramp_name: str = "RdBu", invert: bool = False, percentile: float = 98.0) -> str:
    """Diverging colour ramp centred at zero (velocities, displacements, stress).

    ``vmax`` defaults to the ``percentile`` of ``|value|`` so outliers do not wash the
    map out. With RdBu not inverted, negative (subsidence / away from the satellite)
    is red and positive is blue.
    """
    layer = QgsRasterLayer(path, os.path.basename(path), "gdal")
    if not layer.isValid():
        return ""
    if vmax is None:
        from .raster_io import read_band

        data = read_band(path, band)
        finite = np.abs(data[np.isfinite(data)])
        vmax = float(np.percentile(finite, percentile)) if finite.size else 1.0
        if vmax == 0:
            vmax = 1.0
    shader_fn = QgsColorRampShader(-vmax, vmax, _ramp(ramp_name, invert))
    shader_fn.setColorRampType(QgsColorRampShader.Interpolated)
    shader_fn.classifyColorRamp(11, band, layer.extent(), layer.dataProvider())
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(-vmax)
    renderer.setClassificationMax(vmax)
    layer.setRenderer(renderer)
    qml = sidecar_qml(path)
    layer.saveNamedStyle(qml)
    apply_on_load(context, path, qml)
    return qml


def style_raster_sequential(path: str, *, context=None, vmin=None, vmax=None, band: int = 1,
                            ramp_name: str = "Viridis") -> str:
    """Sequential ramp between ``vmin`` and ``vmax`` (defaults: band min/max)."""
    layer = QgsRasterLayer(path, os.path.basename(path), "gdal")
    if not layer.isValid():
        return ""
    if vmin is None or vmax is None:
        stats = layer.dataProvider().bandStatistics(band, QgsRasterBandStats.Min | QgsRasterBandStats.Max)
        vmin = stats.minimumValue if vmin is None else vmin
        vmax = stats.maximumValue if vmax is None else vmax
    shader_fn = QgsColorRampShader(vmin, vmax, _ramp(ramp_name))
    shader_fn.setColorRampType(QgsColorRampShader.Interpolated)
    shader_fn.classifyColorRamp(9, band, layer.extent(), layer.dataProvider())
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(vmin)
    renderer.setClassificationMax(vmax)
    layer.setRenderer(renderer)
    qml = sidecar_qml(path)
    layer.saveNamedStyle(qml)
    apply_on_load(context, path, qml)
    return qml
