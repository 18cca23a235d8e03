"""The Temporal Controller on QGIS before 3.38: the map draws, for each time-series raster of a run
(:func:`fileio.display.temporal.make_temporal`) or opened from its file (its style carries its dates), the band of
the controller's current time (QGIS 3.38 and later do it themselves from the ranges per band; Export Animation
draws the raster's group of one layer per date, :mod:`fileio.display.series`). With the controller off, each raster
draws the band its style names. A dated raster added to the project gets its dates' span as its temporal range (its
style's range per band is a mode this QGIS does not know)."""

from __future__ import annotations

from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer, QgsWkbTypes

from ..algorithms.errors import GeohazardError
from ..fileio.display.temporal import (
    DATES_KEY,
    FIELDS_KEY,
    band_at,
    fixed_span,
    has_ranges_per_band,
    make_temporal,
    point_date_fields,
)
from ..fileio.motion import series_view

#: the band the layer's style draws, kept while the controller moves it
STYLE_BAND_KEY = "insar_geohazards/style_band"


def show_time(project, time_range) -> int:
    """Draw, in every dated raster of ``project``, the band of ``time_range``'s start (the style's band when the
    range is empty: the controller is off); returns the number of layers changed."""
    import datetime as dt

    changed = 0
    for layer in project.mapLayers().values():
        dates = layer.customProperty(DATES_KEY) if isinstance(layer, QgsRasterLayer) else None
        renderer = layer.renderer() if dates else None
        if not dates or renderer is None or not hasattr(renderer, "setBand"):
            continue
        style_band = layer.customProperty(STYLE_BAND_KEY)
        if style_band is None:
            style_band = renderer.band()
            layer.setCustomProperty(STYLE_BAND_KEY, style_band)
        if time_range is None or not time_range.begin().isValid():
            band = int(style_band)
        else:
            band = band_at([dt.date.fromisoformat(str(d)) for d in dates], time_range.begin())
        if renderer.band() != band:
            renderer.setBand(band)
            layer.triggerRepaint()
            changed += 1
    return changed


class TemporalBandsPart:
    """GUI part: dated layers the Temporal Controller animates however they were added. Point layers with dated
    fields, or whose series are in a series table or netCDF file (the dated view's expression function, registered
    here), get the colour of the controller's time; on QGIS < 3.38 a dated raster gets its dates' span and the
    band of the canvas's time (QGIS 3.38 and later read both from the raster's style)."""

    def __init__(self, iface):
        self.iface = iface
        self.canvas = None
        self.project = None

    def init_gui(self) -> None:
        series_view.register()
        self.project = QgsProject.instance()
        self.project.layersAdded.connect(self._added)
        self.project.layersWillBeRemoved.connect(series_view.forget)
        if has_ranges_per_band():
            return
        self.canvas = self.iface.mapCanvas()
        self.canvas.temporalRangeChanged.connect(self._changed)

    def _changed(self) -> None:
        show_time(QgsProject.instance(), self.canvas.temporalRange())

    @staticmethod
    def _added(layers) -> None:
        for layer in layers:
            if isinstance(layer, QgsRasterLayer):
                if not layer.customProperty(DATES_KEY):
                    continue
                if not has_ranges_per_band():
                    fixed_span(layer)
                elif not layer.temporalProperties().fixedRangePerBand():  # saved by a QGIS that had no ranges
                    make_temporal(layer)
            elif isinstance(layer, QgsVectorLayer) and layer.providerType() == "ogr":
                dated_points(layer)

    def unload(self) -> None:
        if self.project is not None:
            self.project.layersAdded.disconnect(self._added)
            self.project.layersWillBeRemoved.disconnect(series_view.forget)
        series_view.unregister()
        if self.canvas is not None:
            self.canvas.temporalRangeChanged.disconnect(self._changed)
            show_time(QgsProject.instance(), None)
        self.canvas = None
        self.project = None


def dated_points(layer) -> bool:
    """A point layer with dated displacements, just added, coloured by the controller's time: already temporal (a
    project reopened), its series view attached; otherwise made temporal (dated fields, or a series table or file).
    A series file that is missing or another load's is left to the dock, which names it on a pick."""
    if not layer.isSpatial() or layer.geometryType() != QgsWkbTypes.GeometryType.PointGeometry:
        return False
    try:
        if layer.temporalProperties().isActive():
            fields = layer.customProperty(FIELDS_KEY)
            if fields and list(fields) != [n for _, n in point_date_fields(layer)]:
                return make_temporal(layer)  # a style written for another layer of its GeoPackage (other dates)
            return series_view.attach(layer) or bool(layer.customProperty(DATES_KEY))
        return series_view.make_temporal(layer) or make_temporal(layer)
    except (GeohazardError, OSError):
        return False
