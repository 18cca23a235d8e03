"""Time on the map: result layers that QGIS's Temporal Controller animates.

* A time-series raster (one band per date, dates as band descriptions): its style file carries its dates
  (:mod:`.series`), so QGIS 3.38 and later draw the band of the controller's current time wherever the file is
  opened. Older QGIS get the whole span as the layer's range; the run's results then load with the raster's group
  of one layer per date (:func:`load_frames`, the ``.qlr`` written beside it), which the canvas and Export Animation
  draw date by date, the raster itself unchecked; and :func:`band_at` picks the band the GUI draws for a time when
  the raster alone is shown (:mod:`ui.temporal`).
* A point layer with dated displacement fields (``DYYYYMMDD`` / ``YYYYMMDD``): its symbols take the colour of the
  displacement at the controller's current time (``@map_start_time``: the latest date on or before it) on the
  layer's diverging ramp; with the controller off the layer keeps its classes.

The dates are kept on the layer as a custom property (:data:`DATES_KEY`, ISO dates in band or field order).
"""

from __future__ import annotations

import datetime as dt
import os

from qgis.core import QgsDateTimeRange, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QDate, QDateTime, QTime

from ...algorithms.colour_range import sample_dates, series_range
from ...algorithms.formats.dates import parse_date
from .series import DATES_KEY, FRAME_KEY, band_dates, frames_path

FIELDS_KEY = "insar_geohazards/date_fields"
#: Features read (the first ones) for the colour range of a point layer's dated fields: a layer added from the
#: Browser is coloured without reading a national load's every field.
RANGE_FEATURES = 20_000
#: On a dated raster of a run: the ``.qlr`` group of its dates was loaded with it.
FRAMES_LOADED_KEY = "insar_geohazards/frames_loaded"
__all__ = ["DATES_KEY", "FRAME_KEY", "FIELDS_KEY", "make_temporal", "load_frames", "band_at", "raster_dates",
           "point_date_fields", "time_expression", "has_ranges_per_band"]


def _qdt(day: dt.date) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0, 0))


def raster_dates(layer) -> list:
    """The dates of a time-series raster's bands (band descriptions), [] when not every band is a date (or the
    layer is one date of a ``.qlr`` group)."""
    provider = layer.dataProvider()
    if provider is None or layer.customProperty(FRAME_KEY):
        return []
    dates = band_dates(layer.source())
    return dates if len(dates) == provider.bandCount() else []


def point_date_fields(layer) -> list:
    """``[(date, field name)]`` of a layer's dated displacement fields in date order ([] when fewer than two)."""
    pairs = []
    for f in layer.fields():
        name = f.name()
        if not f.isNumeric() or len(name) not in (8, 9) or not name.lstrip("Dd").isdigit():
            continue
        if len(name) == 9 and name[0] not in "Dd":
            continue
        try:
            pairs.append((parse_date(name), name))
        except (ValueError, TypeError):
            continue
    pairs.sort()
    return pairs if len(pairs) >= 2 else []


def band_at(dates: list, when) -> int:
    """1-based band of the latest date on or before ``when`` (a date, datetime or QDateTime); the first band
    before the first date."""
    if isinstance(when, QDateTime):
        when = when.date().toPyDate()
    elif isinstance(when, dt.datetime):
        when = when.date()
    best = 1
    for i, day in enumerate(dates):
        if day <= when:
            best = i + 1
    return best


def has_ranges_per_band() -> bool:
    """QGIS 3.38 and later: a raster's temporal range per band."""
    from qgis.core import Qgis

    modes = getattr(Qgis, "RasterTemporalMode", None)
    return modes is not None and hasattr(modes, "FixedRangePerBand")


def _band_ranges(dates: list) -> list:
    ends = dates[1:] + [dates[-1] + dt.timedelta(days=1)]
    return [QgsDateTimeRange(_qdt(a), _qdt(b), True, False) for a, b in zip(dates, ends)]


def make_temporal(layer) -> bool:
    """Let the Temporal Controller animate ``layer`` (a time-series raster or a dated point layer); False when it
    carries no dates."""
    if isinstance(layer, QgsRasterLayer):
        return _raster_temporal(layer)
    if isinstance(layer, QgsVectorLayer):
        return _points_temporal(layer)
    return False


def _raster_temporal(layer) -> bool:
    dates = raster_dates(layer)
    if not dates:
        return False
    layer.setCustomProperty(DATES_KEY, [d.isoformat() for d in dates])
    props = layer.temporalProperties()
    if has_ranges_per_band():
        from qgis.core import Qgis

        props.setMode(Qgis.RasterTemporalMode.FixedRangePerBand)
        props.setFixedRangePerBand({i + 1: r for i, r in enumerate(_band_ranges(dates))})
    else:  # QGIS < 3.38: the whole span (its style's per-band mode is one this QGIS does not know)
        return fixed_span(layer)
    props.setFixedTemporalRange(QgsDateTimeRange(_qdt(dates[0]), _qdt(dates[-1] + dt.timedelta(days=1))))
    props.setIsActive(True)
    return True


def fixed_span(layer) -> bool:
    """QGIS < 3.38: the dated raster ``layer`` (its dates in :data:`DATES_KEY`, from its style) temporal over its
    dates' whole span; False when the property holds no dates."""
    try:
        dates = [dt.date.fromisoformat(str(d)) for d in layer.customProperty(DATES_KEY) or []]
    except ValueError:
        return False
    if not dates:
        return False
    props = layer.temporalProperties()
    props.setMode(_fixed_range_mode(props, "Raster"))
    props.setFixedTemporalRange(QgsDateTimeRange(_qdt(dates[0]), _qdt(dates[-1] + dt.timedelta(days=1))))
    props.setIsActive(True)
    return True


def load_frames(layer, project, parent, index: int = -1):
    """QGIS < 3.38: the group of one layer per date of the dated raster ``layer`` (its ``.qlr``, :mod:`.series`)
    added to ``project`` under the layer-tree group ``parent`` at ``index``; returns the group node (None when the
    raster has no ``.qlr``, on QGIS 3.38 and later, or when it was loaded already)."""
    from qgis.core import QgsLayerDefinition, QgsLayerTreeGroup

    if has_ranges_per_band() or not layer.customProperty(DATES_KEY) or layer.customProperty(FRAMES_LOADED_KEY):
        return None
    qlr = frames_path(layer.source())
    if not os.path.isfile(qlr):
        return None
    holder = QgsLayerTreeGroup()
    ok, _error = QgsLayerDefinition.loadLayerDefinition(qlr, project, holder)
    groups = [n for n in holder.children() if isinstance(n, QgsLayerTreeGroup)]
    if not ok or not groups:
        return None
    node = groups[0].clone()
    node.setName(f"{layer.name()}: one layer per date")
    parent.insertChildNode(index, node)
    layer.setCustomProperty(FRAMES_LOADED_KEY, True)
    return node


def time_expression(pairs: list) -> str:
    """The displacement at the map's current time: the field of the latest date on or before
    ``@map_start_time`` (NULL without a time)."""
    cases = " ".join(f"WHEN @map_start_time >= to_datetime('{day.isoformat()}T00:00:00') THEN \"{name}\""
                     for day, name in reversed(pairs))
    return f"CASE WHEN @map_start_time IS NULL THEN NULL {cases} ELSE \"{pairs[0][1]}\" END"


def _points_temporal(layer) -> bool:
    pairs = point_date_fields(layer)
    if not pairs:
        return False
    import numpy as np
    from qgis.core import QgsFeatureRequest

    layer.setCustomProperty(FIELDS_KEY, [n for _, n in pairs])
    names = [pairs[k][1] for k in sample_dates(len(pairs))]  # the ramp's range from the dates of the series
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry).setSubsetOfAttributes(
        names, layer.fields()).setLimit(RANGE_FEATURES)
    vals = []
    for feat in layer.getFeatures(request):
        vals.extend(feat[n] for n in names)
    vals = np.array([v if isinstance(v, (int, float)) else np.nan for v in vals], np.float64)
    return colour_by_time(layer, time_expression(pairs), [d for d, _ in pairs], series_range(vals, signed=True)[1])


def colour_by_time(layer, value: str, dates: list, vmax: float) -> bool:
    """The symbols of the point layer ``layer`` coloured by ``value`` (an expression: the displacement at
    ``@map_start_time``) on a diverging ramp of +-``vmax`` while the Temporal Controller runs (their own colours
    otherwise), the layer temporal over ``dates``; False when its renderer has no symbol to colour."""
    from qgis.core import QgsProperty, QgsSymbolLayer

    colour = (f"CASE WHEN @map_start_time IS NULL THEN @symbol_color ELSE coalesce(ramp_color('RdBu', "
              f"scale_linear({value}, {-vmax:.6g}, {vmax:.6g}, 0, 1)), @symbol_color) END")
    renderer = layer.renderer()
    if renderer is None:
        return False
    if hasattr(renderer, "ranges"):  # a graduated renderer: its symbols are copies, set them one by one
        for i, r in enumerate(renderer.ranges()):
            symbol = r.symbol().clone()
            _data_defined_colour(symbol, colour, QgsProperty, QgsSymbolLayer)
            renderer.updateRangeSymbol(i, symbol)
    elif hasattr(renderer, "categories"):
        for i, c in enumerate(renderer.categories()):
            symbol = c.symbol().clone()
            _data_defined_colour(symbol, colour, QgsProperty, QgsSymbolLayer)
            renderer.updateCategorySymbol(i, symbol)
    elif hasattr(renderer, "setSymbol") and renderer.symbol() is not None:  # a copy set back: the renderer owns it
        symbol = renderer.symbol().clone()
        _data_defined_colour(symbol, colour, QgsProperty, QgsSymbolLayer)
        renderer.setSymbol(symbol)
    else:
        return False
    layer.setCustomProperty(DATES_KEY, [d.isoformat() for d in dates])
    props = layer.temporalProperties()
    props.setMode(_fixed_range_mode(props, "Vector"))
    props.setFixedTemporalRange(QgsDateTimeRange(_qdt(dates[0]), _qdt(dates[-1] + dt.timedelta(days=1))))
    props.setIsActive(True)
    return True


def _enum(owner, *names):
    """The first of ``names`` (dotted paths under ``owner``) that this QGIS has."""
    for name in names:
        value = owner
        try:
            for part in name.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        return value
    raise AttributeError(names[0])


def _fixed_range_mode(props, kind: str):
    import qgis.core as core

    return _enum(core, f"Qgis.{kind}TemporalMode.FixedTemporalRange",
                 f"Qgs{kind}LayerTemporalProperties.ModeFixedTemporalRange")


def _data_defined_colour(symbol, expression: str, QgsProperty, QgsSymbolLayer) -> None:  # noqa: N803
    key = _enum(QgsSymbolLayer, "Property.FillColor", "Property.PropertyFillColor", "PropertyFillColor")
    for i in range(symbol.symbolLayerCount()):
        symbol.symbolLayer(i).setDataDefinedProperty(key, QgsProperty.fromExpression(expression))
