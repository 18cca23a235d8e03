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

from ...algorithms.geometry.distortion import DISTORTION_CLASSES, VISIBILITY_CLASSES
from ..base.compat import band_min_max
from ..base.raster import read_band
from . import series
from .temporal import make_temporal

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


def apply_sidecars_on_load(context, paths) -> None:
    """The .qml a run wrote beside each of ``paths`` (:func:`sidecar_qml`; a run styles its outputs without the
    tool's context) applied when QGIS loads that output after the tool finishes."""
    for path in paths:
        if isinstance(path, str) and os.path.isfile(sidecar_qml(path)):
            apply_on_load(context, path, sidecar_qml(path))


def load_sublayers(context, path: str, names, qml: str = "") -> None:
    """Load the layers ``names`` of the GeoPackage ``path`` too when QGIS loads ``path`` (its first layer)
    after the tool finishes, styled with ``qml``."""
    if context is None or not names or not context.willLoadLayerOnCompletion(path):
        return
    from qgis.core import QgsProcessingContext

    main = context.layerToLoadOnCompletionDetails(path)
    for name in names:
        uri = f"{path}|layername={name}"
        context.addLayerToLoadOnCompletion(uri, QgsProcessingContext.LayerDetails(name, main.project, main.outputName))
        if qml:
            apply_on_load(context, uri, qml)


def raster_unit(path: str) -> str:
    """The unit a raster declares (GDAL metadata ``UNIT`` written by the tools, or the band's unit type)."""
    from osgeo import gdal

    ds = gdal.Open(path)
    if ds is None:
        return ""
    unit = ds.GetMetadataItem("UNIT") or ""
    if not unit:
        band = ds.GetRasterBand(1)
        unit = band.GetUnitType() or ""
    ds = None
    return unit


def _label_items(shader_fn, vmin, vmax, unit: str = "") -> None:
    """Legend labels rounded to the range ("-12.5 mm/yr", not "-12.532871")."""
    import math

    span = abs(float(vmax) - float(vmin)) or 1.0
    decimals = int(min(6, max(0, 2 - math.floor(math.log10(span)))))
    items = shader_fn.colorRampItemList()
    for item in items:
        item.label = f"{item.value:.{decimals}f}" + (f" {unit}" if unit else "")
    shader_fn.setColorRampItemList(items)
    # a list of these labels in the legend, not QGIS's continuous bar headed "Band 1 (Gray)" with
    # six-decimal end values
    from qgis.core import QgsColorRampLegendNodeSettings

    settings = QgsColorRampLegendNodeSettings()
    settings.setUseContinuousLegend(False)
    shader_fn.setLegendSettings(settings)


def sidecar_qml(path: str) -> str:
    return os.path.splitext(path)[0] + ".qml"


def _ramp(name: str, invert: bool = False):
    ramp = QgsStyle.defaultStyle().colorRamp(name)
    if ramp is None:  # the default style database is missing on some minimal installs
        ramp = QgsGradientColorRamp()
    if invert:
        ramp.invert()
    return ramp


def _save_style(layer, path: str, context) -> str:
    """The layer's style as the .qml sidecar of ``path``, applied when QGIS loads the output. Points with dated
    displacement fields keep, in it, their colour by the Temporal Controller's time (:mod:`.temporal`): QGIS
    animates them wherever the file is opened."""
    from qgis.core import QgsVectorLayer

    if isinstance(layer, QgsVectorLayer):
        make_temporal(layer)
    qml = series.save_named_style(layer, sidecar_qml(path))
    apply_on_load(context, path, qml)
    return qml


def _pseudocolour(layer, path: str, band: int, vmin: float, vmax: float, ramp, n_classes: int, context,
                  dates=()) -> str:
    """Interpolated colour ramp of ``band`` between ``vmin`` and ``vmax``, labelled in the raster's unit; a time
    series (``dates``: one per band) also dated for the Temporal Controller (:mod:`.series`)."""
    shader_fn = QgsColorRampShader(vmin, vmax, ramp)
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
    # equal steps between the ends: a legend of ``n_classes`` values (an odd count puts 0 at the centre of a
    # diverging ramp); QGIS's default, continuous, puts an entry at every stop of the ramp (52 for Viridis)
    shader_fn.setClassificationMode(QgsColorRampShader.ClassificationMode.EqualInterval)
    shader_fn.classifyColorRamp(n_classes, band, layer.extent(), layer.dataProvider())
    _label_items(shader_fn, vmin, vmax, raster_unit(path))
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(vmin)
    renderer.setClassificationMax(vmax)
    layer.setRenderer(renderer)
    if dates:
        qml = series.save_style(layer, path, dates)
        series.write_frames(layer, path, dates)
        apply_on_load(context, path, qml)
        return qml
    return _save_style(layer, path, context)


def style_raster_diverging(path: str, *, context=None, vmax: float | None = None, band: int = 1,
                           ramp_name: str = "RdBu", invert: bool = False, percentile: float = 98.0) -> str:
    """Diverging colour ramp centred at zero (velocities, displacements, stress).

    ``vmax`` defaults to the ``percentile`` of ``|value|`` so outliers do not wash the
    map out. With RdBu not inverted, negative (subsidence / away from the satellite)
    is red and positive is blue. A time series (every band described by its date) gets the range of all its dates
    (``vmax`` and ``band`` are then those of the series: its last date drawn when the Temporal Controller is off)
    and its dates (:mod:`.series`).
    """
    layer = QgsRasterLayer(path, os.path.basename(path), "gdal")
    if not layer.isValid():
        return ""
    dates = series.band_dates(path)
    if dates:
        vmin, vmax = series.colour_range(path, signed=True)
        return _pseudocolour(layer, path, len(dates), vmin, vmax, _ramp(ramp_name, invert), 7, context, dates)
    if vmax is None:
        data = read_band(path, band)
        finite = np.abs(data[np.isfinite(data)])
        vmax = float(np.percentile(finite, percentile)) if finite.size else 1.0
        if vmax == 0:
            vmax = 1.0
    return _pseudocolour(layer, path, band, -vmax, vmax, _ramp(ramp_name, invert), 7, context)


def style_raster_sequential(path: str, *, context=None, vmin=None, vmax=None, band: int = 1,
                            ramp_name: str = "Viridis") -> str:
    """Sequential ramp between ``vmin`` and ``vmax`` (defaults: band min/max); a time series: the range of all its
    dates unless given, its last date drawn, its dates (:mod:`.series`)."""
    layer = QgsRasterLayer(path, os.path.basename(path), "gdal")
    if not layer.isValid():
        return ""
    dates = series.band_dates(path)
    if dates:
        if vmin is None or vmax is None:
            lo, hi = series.colour_range(path, signed=False)
            vmin = lo if vmin is None else vmin
            vmax = hi if vmax is None else vmax
        return _pseudocolour(layer, path, len(dates), vmin, vmax, _ramp(ramp_name), 5, context, dates)
    if vmin is None or vmax is None:
        lo, hi = band_min_max(path, band) or (0.0, 1.0)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    return _pseudocolour(layer, path, band, vmin, vmax, _ramp(ramp_name), 5, context)


# ---------------------------------------------------------------------------------------------
# Classified rasters and vector styles.

#: Traffic-light colours of alert levels and activity classes.
ALERT_COLOURS = {-1: "#9e9e9e", 0: "#1a9641", 1: "#ffd700", 2: "#fd8d3c", 3: "#d7191c"}


#: Colours of the inverse-velocity levels (IV_LEVEL): the traffic light for the alerts, purple for a failure time
#: already past (it needs a look, but it is not a forecast), greys for the series that were not judged.
INVERSE_VELOCITY_COLOURS = {"red": "#d7191c", "passed": "#7b3294", "orange": "#fd8d3c", "yellow": "#ffd700",
                            "none": "#1a9641", "not judged": "#cfcfcf", "no data": "#8c8c8c"}


def inverse_velocity_legend(red_days: float, orange_days: float) -> list:
    """``[(IV_LEVEL, legend label, colour)]`` of the inverse-velocity forecast, most urgent first, for
    :func:`style_vector_categorized`."""
    labels = {
        "red": f"red: failure forecast within {red_days:g} days",
        "passed": "failure time passed: check the data",
        "orange": f"orange: failure forecast within {orange_days:g} days",
        "yellow": f"yellow: significant acceleration, no failure forecast within {orange_days:g} days",
        "none": "none: no significant acceleration (or slower than the minimum velocity)",
        "not judged": "not judged: series too short, or too noisy for its motion (see IV_NOTE)",
        "no data": "no data: too few valid displacements",
    }
    return [(level, label, INVERSE_VELOCITY_COLOURS[level]) for level, label in labels.items()]


def palette(names: dict, colours: dict) -> list:
    """``[(value, label, colour)]`` for :func:`style_raster_classified` from ``{value: label}`` and
    ``{value: '#rrggbb'}`` (the class tables of the core)."""
    return [(k, names[k], colours[k]) for k in names]


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
    return _save_style(layer, path, context)


def _vector_layer(path: str):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, os.path.splitext(os.path.basename(path))[0], "ogr")
    return layer if layer.isValid() else None


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
                           n_classes: int = 6, percentile: float = 98.0, line_width_mm: float | None = None,
                           point_size_mm: float = 1.6, decimals: int = 1, unit: str = "") -> str:
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
        ranges.append(QgsRendererRange(low, high, symbol, label + (f" {unit}" if unit else "")))
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    layer.setRenderer(renderer)
    return _save_style(layer, path, context)


def style_points_velocity(path: str, field: str = "VEL", *, context=None, vmax: float | None = None) -> str:
    """Point velocities (mm/yr, LOS positive toward the satellite): diverging, centred at zero.

    Red = moving away from the satellite (subsidence), blue = toward it, as the raster ramp.
    """
    return style_vector_graduated(path, field, context=context, vmax=vmax, ramp_name="RdBu", unit="mm/yr")


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
    return _save_style(layer, path, context)


#: Colours of the geometricdistortion classes and visibility classes.
DISTORTION_COLOURS = {1: "#d7191c", 2: "#fdae61", 3: "#2b2b2b", 4: "#7f7f7f", 5: "#abd9e9", 6: "#74add1",
                      7: "#1a9641"}
VISIBILITY_COLOURS = {1: "#2b2b2b", 2: "#d7191c", 3: "#9e7bb5", 4: "#fdae61", 5: "#1a9641", 6: "#e0e0e0"}


def style_distortion(paths: dict, context) -> None:
    """Styles of the geometric-distortion rasters (``classes``, ``combined``, ``visibility``, ``rindex``)."""
    for key in ("classes", "combined"):
        if paths.get(key):
            style_raster_classified(paths[key], palette(DISTORTION_CLASSES, DISTORTION_COLOURS), context=context)
    if "visibility" in paths:
        style_raster_classified(paths["visibility"], palette(VISIBILITY_CLASSES, VISIBILITY_COLOURS),
                                context=context)
    if "rindex" in paths:
        style_raster_sequential(paths["rindex"], context=context, vmin=-1.0, vmax=1.0, ramp_name="RdYlBu")


def style_lines_dcfs(path, field, threshold, context=None):
    """Red above +threshold, blue below -threshold, grey between; saved as a .qml sidecar."""
    from qgis.core import QgsGraduatedSymbolRenderer, QgsRendererRange, QgsSymbol, QgsVectorLayer
    from qgis.PyQt.QtGui import QColor

    layer = QgsVectorLayer(path, "receivers", "ogr")
    if not layer.isValid():
        return
    ranges = []
    for lo, hi, colour, label in ((-1e30, -threshold, "#2166ac", "stress shadow"),
                                  (-threshold, threshold, "#9e9e9e", "|dCFS| < 0.1 bar"),
                                  (threshold, 1e30, "#b2182b", "loaded (dCFS > +0.1 bar)")):
        sym = QgsSymbol.defaultSymbol(layer.geometryType())
        sym.setColor(QColor(colour))
        sym.setWidth(0.8)
        ranges.append(QgsRendererRange(lo, hi, sym, label))
    layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))
    _save_style(layer, path, context)


def style_ada_vector(path, context, *, field_name_, kind, categories=None):
    """Save a .qml sidecar of an ADA layer: fixed velocity classes (mm/yr, diverging) or categories on a class."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsGraduatedSymbolRenderer,
        QgsRendererCategory,
        QgsRendererRange,
        QgsSymbol,
        QgsVectorLayer,
        QgsWkbTypes,
    )
    from qgis.PyQt.QtGui import QColor

    layer = QgsVectorLayer(path, os.path.basename(path), "ogr")
    if not layer.isValid() or not layer.isSpatial() or layer.fields().lookupField(field_name_) < 0:
        return ""
    gtype = layer.geometryType()
    if kind == "velocity":
        edges = [-1e9, -20, -10, -5, -2, 2, 5, 10, 20, 1e9]
        colours = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#f7f7f7", "#92c5de", "#4393c3", "#2166ac",
                   "#053061"]
        ranges = []
        for lo, hi, c in zip(edges[:-1], edges[1:], colours):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(c))
            if gtype == QgsWkbTypes.GeometryType.PolygonGeometry:
                sym.setOpacity(0.75)
            label = f"{lo:g} .. {hi:g} mm/yr".replace("-1e+09", "<").replace("1e+09", ">")
            ranges.append(QgsRendererRange(lo, hi, sym, label))
        renderer = QgsGraduatedSymbolRenderer(field_name_, ranges)
    else:
        if categories is None:
            idx = layer.fields().lookupField(field_name_)
            categories = sorted({str(v) for v in layer.uniqueValues(idx)})
        values = [c if isinstance(c, tuple) else (c, str(c)) for c in categories]
        palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                   "#bdbdbd"]
        cats = []
        for i, (val, label) in enumerate(values):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(palette[i % len(palette)]))
            cats.append(QgsRendererCategory(val, sym, label))
        renderer = QgsCategorizedSymbolRenderer(field_name_, cats)
    layer.setRenderer(renderer)
    return _save_style(layer, path, context)


def style_sink(dest, context, field, categories):
    """Category style sidecar for a sink output written to a file (not for memory layers)."""
    path = str(dest).split("|")[0]
    if os.path.isfile(path):
        style_ada_vector(path, context, field_name_=field, kind="class", categories=categories)
