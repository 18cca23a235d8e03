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
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from .compat import band_min_max

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
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
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
        lo, hi = band_min_max(path, band) or (0.0, 1.0)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    shader_fn = QgsColorRampShader(vmin, vmax, _ramp(ramp_name))
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
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


# ---------------------------------------------------------------------------------------------
# Classified rasters and vector styles (issue 5). Added at the end; the functions above keep
# their behaviour and signatures.

#: Traffic-light colours of alert levels and activity classes.
ALERT_COLOURS = {0: "#1a9641", 1: "#ffd700", 2: "#fd8d3c", 3: "#d7191c"}


def style_raster_classified(path: str, classes, *, context=None, band: int = 1) -> str:
    """Paletted (classified) legend for a class raster.

    ``classes`` is a sequence of ``(value, label, colour)`` with ``colour`` a ``#rrggbb``
    string; pixels with other values stay transparent.
    """
    from qgis.core import QgsPalettedRasterRenderer
    from qgis.PyQt.QtGui import QColor

    layer = QgsRasterLayer(path, os.path.basename(path), "gdal")
    if not layer.isValid():
        return ""
    items = [QgsPalettedRasterRenderer.Class(float(v), QColor(c), str(lab)) for v, lab, c in classes]
    layer.setRenderer(QgsPalettedRasterRenderer(layer.dataProvider(), band, items))
    qml = sidecar_qml(path)
    layer.saveNamedStyle(qml)
    apply_on_load(context, path, qml)
    return qml


def _vector_layer(path: str):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, os.path.splitext(os.path.basename(path))[0], "ogr")
    return layer if layer.isValid() else None


def _save_vector_style(layer, path: str, context) -> str:
    qml = sidecar_qml(path)
    layer.saveNamedStyle(qml)
    apply_on_load(context, path, qml)
    return qml


def _field_values(layer, field: str) -> np.ndarray:
    idx = layer.fields().lookupField(field)
    if idx < 0:
        return np.zeros(0)
    vals = []
    for feat in layer.getFeatures():
        v = feat.attributes()[idx]
        try:
            vals.append(float(v))
        except (TypeError, ValueError):
            continue
    arr = np.asarray(vals, dtype=np.float64)
    return arr[np.isfinite(arr)]


def style_vector_graduated(path: str, field: str, *, context=None, vmax: float | None = None,
                           vmin: float | None = None, ramp_name: str = "RdBu", invert: bool = False,
                           n_classes: int = 10, percentile: float = 98.0, line_width_mm: float | None = None,
                           point_size_mm: float = 1.6, decimals: int = 1) -> str:
    """Graduated renderer on a numeric field, for points, lines or polygons.

    With ``vmin`` unset the classes are symmetric about zero (diverging: velocities,
    stress changes) between ``-vmax`` and ``vmax`` (default: the ``percentile`` of
    ``|value|``); the outer classes are open ended so every feature gets a colour.
    Lines get ``line_width_mm`` (default 0.8 mm).
    """
    from qgis.core import QgsGraduatedSymbolRenderer, QgsRendererRange, QgsSymbol, QgsWkbTypes

    layer = _vector_layer(path)
    if layer is None or layer.fields().lookupField(field) < 0:
        return ""
    if vmax is None:
        vals = _field_values(layer, field)
        ref = np.abs(vals) if vmin is None else vals
        vmax = float(np.percentile(ref, percentile)) if ref.size else 1.0
        if vmax == 0:
            vmax = 1.0
    lo = -vmax if vmin is None else float(vmin)
    edges = np.linspace(lo, vmax, n_classes + 1)
    ramp = _ramp(ramp_name, invert)
    geom_type = layer.geometryType()
    ranges = []
    for i in range(n_classes):
        symbol = QgsSymbol.defaultSymbol(geom_type)
        colour = ramp.color(i / max(n_classes - 1, 1))
        symbol.setColor(colour)
        if geom_type == QgsWkbTypes.GeometryType.LineGeometry:
            symbol.setWidth(0.8 if line_width_mm is None else line_width_mm)
        elif geom_type == QgsWkbTypes.GeometryType.PointGeometry:
            symbol.setSize(point_size_mm)
            if symbol.symbolLayerCount():
                symbol.symbolLayer(0).setStrokeColor(colour.darker(150))
        low = -1e30 if i == 0 else edges[i]
        high = 1e30 if i == n_classes - 1 else edges[i + 1]
        if i == 0:
            label = f"< {edges[1]:.{decimals}f}"
        elif i == n_classes - 1:
            label = f">= {edges[i]:.{decimals}f}"
        else:
            label = f"{edges[i]:.{decimals}f} to {edges[i + 1]:.{decimals}f}"
        ranges.append(QgsRendererRange(low, high, symbol, label))
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    layer.setRenderer(renderer)
    return _save_vector_style(layer, path, context)


def style_points_velocity(path: str, field: str = "VEL", *, context=None, vmax: float | None = None) -> str:
    """Point velocities (mm/yr, LOS positive toward the satellite): diverging, centred at zero.

    Red = moving away from the satellite (subsidence), blue = toward it, as the raster ramp.
    """
    return style_vector_graduated(path, field, context=context, vmax=vmax, ramp_name="RdBu")


def style_lines_stress(path: str, field: str, *, context=None, vmax: float | None = None) -> str:
    """Fault traces graduated by a stress change (e.g. Coulomb stress, positive = toward failure).

    Diverging ramp centred at zero with positive (loading) red and negative (unloading) blue.
    """
    return style_vector_graduated(path, field, context=context, vmax=vmax, ramp_name="RdBu", invert=True,
                                  line_width_mm=1.2, decimals=2)


def style_vector_categorized(path: str, field: str, categories, *, context=None,
                             point_size_mm: float = 2.0) -> str:
    """Categorised legend: ``categories`` is a sequence of ``(value, label, '#rrggbb')``."""
    from qgis.core import QgsCategorizedSymbolRenderer, QgsRendererCategory, QgsSymbol, QgsWkbTypes
    from qgis.PyQt.QtGui import QColor

    layer = _vector_layer(path)
    if layer is None or layer.fields().lookupField(field) < 0:
        return ""
    cats = []
    for value, label, colour in categories:
        symbol = QgsSymbol.defaultSymbol(layer.geometryType())
        symbol.setColor(QColor(colour))
        if layer.geometryType() == QgsWkbTypes.GeometryType.PointGeometry:
            symbol.setSize(point_size_mm)
        elif layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
            symbol.setOpacity(0.7)
        cats.append(QgsRendererCategory(value, symbol, str(label)))
    layer.setRenderer(QgsCategorizedSymbolRenderer(field, cats))
    return _save_vector_style(layer, path, context)
