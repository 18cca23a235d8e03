"""A dated view of point layers whose displacement series are kept out of their fields: ``loadegms``' compressed
series table in the GeoPackage, or its netCDF-4 file beside it (the forms of a national load, where 200 dated fields
would weigh 6-7x the tiles).

The layer's symbols take the colour of the displacement at the Temporal Controller's time through the expression
function :data:`FUNCTION` (``insar_displacement_at(@map_start_time)``), which the plugin registers with QGIS: it
reads, for a date, the column of every point of the layer once (every block of the table decoded, or one column of
the netCDF variable through its chunks), keeps the last few columns, and gives each feature its value by its fid.
A frame of an animation (canvas or Export Animation) therefore costs one column read, not 200 fields per feature.
Without the plugin the function is unknown to QGIS and the symbols keep their own colours.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading

import numpy as np

from ...algorithms.colour_range import sample_dates, series_range
from ..display.temporal import RANGE_FEATURES, colour_by_time
from . import series_table

FUNCTION = "insar_displacement_at"
#: Columns (dates) kept per layer.
KEEP_COLUMNS = 4
#: Points read for the colour range (the first ones, as for dated fields).
RANGE_POINTS = RANGE_FEATURES

_VIEWS: dict = {}
_REGISTERED: dict = {}
_LOCK = threading.RLock()


class View:
    """The series of one point layer (GeoPackage ``path``, layer ``layer``) read a date at a time."""

    def __init__(self, path: str, layer: str, dates: list):
        self.path, self.layer, self.dates = path, layer, list(dates)
        self._days = np.array([d.toordinal() for d in self.dates])
        self._columns: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def index_at(self, when: dt.date) -> int:
        """0-based index of the latest date on or before ``when`` (the first date before the series starts)."""
        return max(0, int(np.searchsorted(self._days, when.toordinal(), side="right")) - 1)

    def column(self, k: int) -> np.ndarray:
        """float32 displacement (mm) of every point on date ``k``, indexed by fid - 1."""
        with self._lock:
            col = self._columns.get(k)
            if col is None:
                col = series_table.read_date(self.path, self.layer, k)
                self._columns[k] = col
                while len(self._columns) > KEEP_COLUMNS:
                    self._columns.popitem(last=False)
            else:
                self._columns.move_to_end(k)
            return col

    def value(self, fid: int, when: dt.date):
        """The displacement (mm) of feature ``fid`` on the latest date on or before ``when``; None when it has no
        value there."""
        col = self.column(self.index_at(when))
        if not 1 <= fid <= col.size:
            return None
        v = float(col[fid - 1])
        return None if np.isnan(v) else v

    def colour_limit(self) -> float:
        """The ramp's half-range (mm) over the series' dates (every date up to 24, evenly spaced beyond) of its first
        :data:`RANGE_POINTS` points (as the dated fields' range: a national load is coloured without decoding it
        whole)."""
        sample = series_table.read_first(self.path, self.layer, RANGE_POINTS, sample_dates(len(self.dates)))
        return series_range(sample, signed=True)[1]


def view_of(layer):
    """The :class:`View` of a point layer whose series are in a series table or a netCDF file, None for any other
    layer. A series file named by the layer but missing or another load's raises, naming it."""
    if layer is None or not hasattr(layer, "providerType") or layer.providerType() != "ogr":
        return None
    found = series_table.series_layer(layer.source())
    if not found or len(found[2]) < 2:
        return None
    return View(*found)


def _when(value):
    if value is None:
        return None
    if hasattr(value, "toPyDateTime"):
        if not value.isValid():
            return None
        return value.date().toPyDate()
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def displacement_at(time, feature, parent, context=None):  # the function QGIS calls (qgsfunction's form)
    """``insar_displacement_at(time)``: the displacement (mm) of the feature on the latest date of its layer's
    series on or before ``time`` (NULL without a time or a value)."""
    when = _when(time)
    if when is None or feature is None or context is None:
        return None
    view = _VIEWS.get(context.variable("layer_id"))
    return None if view is None else view.value(int(feature.id()), when)


def make_temporal(layer) -> bool:
    """Colour the point layer ``layer`` by its series' displacement at the Temporal Controller's time (the
    layer's series in a table or a netCDF file); False for any other layer."""
    view = view_of(layer)
    if view is None:
        return False
    with _LOCK:
        _VIEWS[layer.id()] = view
    return colour_by_time(layer, f"{FUNCTION}(@map_start_time)", view.dates, view.colour_limit())


def attach(layer) -> bool:
    """Give :data:`FUNCTION` the series of ``layer`` again (a project reopened: its symbols already call the
    function); False for a layer without a series table or file."""
    view = view_of(layer)
    if view is None:
        return False
    with _LOCK:
        _VIEWS[layer.id()] = view
    return True


def forget(layer_ids) -> None:
    """Drop the views of removed layers."""
    with _LOCK:
        for i in layer_ids:
            _VIEWS.pop(i, None)


def register() -> None:
    """Register :data:`FUNCTION` with QGIS's expression engine (once)."""
    from qgis.core import QgsExpression, qgsfunction

    if QgsExpression.isFunctionName(FUNCTION):
        return
    # QGIS keeps a pointer to the function object only: it must live as long as it is registered
    _REGISTERED[FUNCTION] = qgsfunction("auto", "InSAR", register=True, usesgeometry=False, referenced_columns=[])(
        _named(displacement_at, FUNCTION))


def unregister() -> None:
    from qgis.core import QgsExpression

    if QgsExpression.isFunctionName(FUNCTION):
        QgsExpression.unregisterFunction(FUNCTION)
    _REGISTERED.pop(FUNCTION, None)


def _named(func, name):
    def wrapper(time, feature, parent, context):  # the argument names QGIS's decorator reads (context last)
        return func(time, feature, parent, context)

    wrapper.__name__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper
