"""What the time-series dock does to the map: colour it by a chosen date, and show a dated layer relative to the
dock's reference point (or polygon).

* A date: the map canvas's time set to that day (through the Temporal Controller when the desktop has one), so that
  every dated layer draws that date: a time-series raster its band (QGIS 3.38+, or its group of one layer per date,
  or the plugin's band switch), dated points the colour of their displacement on it.
* A reference: a time-series raster gets a virtual raster beside it in the project, its values less the reference's
  displacement date by date (:mod:`fileio.display.reference`; the file in a folder of the session's temporary
  files), styled and dated as a series of its own; a point layer coloured by time gets the reference's value
  subtracted from its colour expression (stopping the reference puts its own colours back).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile

from qgis.core import QgsDateTimeRange, QgsRasterLayer, QgsRenderContext, QgsVectorLayer
from qgis.PyQt.QtCore import QDate, QDateTime, QTime

from ..algorithms.errors import GeohazardError
from ..fileio.display import styles
from ..fileio.display.reference import reference_at, reference_case, referenced_raster, stamp
from ..fileio.display.temporal import (
    DATES_KEY,
    FIELDS_KEY,
    colour_by_time,
    make_temporal,
    point_date_fields,
    raster_dates,
    time_expression,
)
from ..fileio.motion import series_view

#: On a layer the dock re-referenced: the label of its reference.
REFERENCE_KEY = "insar_geohazards/reference"
_FOLDER: dict = {}


def layer_dates(layer) -> list:
    """The dates a dated layer carries (its custom property, its bands or its dated fields), [] for another."""
    stored = layer.customProperty(DATES_KEY) if layer is not None else None
    if stored:
        try:
            return [dt.date.fromisoformat(str(d)) for d in stored]
        except ValueError:
            pass
    if isinstance(layer, QgsRasterLayer):
        return raster_dates(layer)
    if isinstance(layer, QgsVectorLayer):
        return [d for d, _ in point_date_fields(layer)]
    return []


def _day(date: dt.date) -> QDateTime:
    return QDateTime(QDate(date.year, date.month, date.day), QTime(0, 0, 0))


def show_map_date(canvas, date) -> None:
    """Draw ``date`` (a ``datetime.date``; None: the controller's time off) on ``canvas``."""
    controller = canvas.temporalController() if hasattr(canvas, "temporalController") else None
    if date is None:
        rng = QgsDateTimeRange(QDateTime(), QDateTime())
    else:
        rng = QgsDateTimeRange(_day(date), _day(date + dt.timedelta(days=1)), True, False)
    nav = controller if controller is not None and hasattr(controller, "setNavigationMode") else None
    if nav is not None:
        if date is None:
            nav.setNavigationMode(_navigation_mode("NavigationOff", "Disabled"))
        else:
            nav.setNavigationMode(_navigation_mode("FixedRange", "FixedRange"))
            nav.setTemporalExtents(rng)
    canvas.setTemporalRange(rng)


def _navigation_mode(old: str, new: str):
    """A navigation mode of the Temporal Controller: ``QgsTemporalNavigationObject.NavigationMode.<old>`` (QGIS <
    3.36) or ``Qgis.TemporalNavigationMode.<new>``."""
    from qgis.core import Qgis, QgsTemporalNavigationObject

    modes = getattr(Qgis, "TemporalNavigationMode", None)
    nested = "NavigationMode"  # by name: the Qt6 lint would read the class's enum as an unscoped member
    return getattr(modes, new) if modes is not None else getattr(getattr(QgsTemporalNavigationObject, nested), old)


def _folder() -> str:
    if "path" not in _FOLDER or not os.path.isdir(_FOLDER["path"]):
        _FOLDER["path"] = tempfile.mkdtemp(prefix="insar_geohazards_reference_")
    return _FOLDER["path"]


def reference_layer(project, layer, ref_dates: list, ref_mm, label: str):
    """``layer`` (a time-series raster or a point layer coloured by time) shown relative to the reference
    (its ``ref_dates`` and ``ref_mm``, called ``label``): returns the layer added (a raster) or changed (points)."""
    dates = layer_dates(layer)
    if len(dates) < 2:
        raise GeohazardError(f"{layer.name()} carries no dates: the map can be re-referenced on a time series only")
    offsets = reference_at(dates, ref_dates, ref_mm)
    if isinstance(layer, QgsRasterLayer):
        base = os.path.splitext(os.path.basename(layer.source().split("|")[0]))[0]
        path = referenced_raster(layer.source().split("|")[0], dates, offsets,
                                 os.path.join(_folder(), f"{base}_ref_{stamp()}.vrt"))
        styles.style_raster_diverging(path)
        out = QgsRasterLayer(path, f"{layer.name()}, relative to {label}", "gdal")
        out.loadNamedStyle(styles.sidecar_qml(path))
        out.setCustomProperty(REFERENCE_KEY, label)
        project.addMapLayer(out)
        make_temporal(out)
        return out
    if isinstance(layer, QgsVectorLayer):
        value = _value_expression(layer)
        if value is None:
            raise GeohazardError(f"{layer.name()} is not coloured by time: its points carry no dated displacement")
        vmax = _limit(layer)
        colour_by_time(layer, f"({value}) - ({reference_case(dates, offsets)})", dates, vmax)
        layer.setCustomProperty(REFERENCE_KEY, label)
        layer.triggerRepaint()
        return layer
    raise GeohazardError(f"{layer.name()} is neither a time-series raster nor a point layer")


def unreference_points(layer) -> bool:
    """A point layer re-referenced by :func:`reference_layer` coloured by its own values again."""
    if not isinstance(layer, QgsVectorLayer) or not layer.customProperty(REFERENCE_KEY):
        return False
    layer.removeCustomProperty(REFERENCE_KEY)
    done = series_view.make_temporal(layer) or make_temporal(layer)
    layer.triggerRepaint()
    return done


def _value_expression(layer):
    if layer.customProperty(FIELDS_KEY):
        pairs = point_date_fields(layer)
        return time_expression(pairs) if pairs else None
    if series_view.attach(layer):
        return f"{series_view.FUNCTION}(@map_start_time)"
    return None


def _limit(layer) -> float:
    """The half-range of the layer's colour expression (read back from it), 10 mm when it has none."""
    renderer = layer.renderer()
    for symbol in renderer.symbols(QgsRenderContext()) if renderer is not None else []:
        for i in range(symbol.symbolLayerCount()):
            props = symbol.symbolLayer(i).dataDefinedProperties()
            for key in props.propertyKeys():
                text = props.property(key).expressionString()
                found = re.search(r"scale_linear\(.*, (-?[0-9.eE+-]+), ([0-9.eE+-]+), 0, 1\)", text)
                if found:
                    return float(found.group(2))
    return 10.0
