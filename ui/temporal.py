"""The Temporal Controller on QGIS before 3.38: the map draws, for each time-series raster of a run
(:func:`fileio.display.temporal.make_temporal`) or opened from its file (its style carries its dates), the band of
the controller's current time (QGIS 3.38 and later do it themselves from the ranges per band; Export Animation
draws the raster's group of one layer per date, :mod:`fileio.display.series`). With the controller off, each raster
draws the band its style names. A dated raster added to the project gets its dates' span as its temporal range (its
style's range per band is a mode this QGIS does not know)."""

from __future__ import annotations

from qgis.core import QgsProject, QgsRasterLayer

from ..fileio.display.temporal import DATES_KEY, band_at, fixed_span, has_ranges_per_band

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
    """GUI part: follows the map canvas's temporal range (QGIS < 3.38; nothing to do on later versions)."""

    def __init__(self, iface):
        self.iface = iface
        self.canvas = None

    def init_gui(self) -> None:
        if has_ranges_per_band():
            return
        self.canvas = self.iface.mapCanvas()
        self.canvas.temporalRangeChanged.connect(self._changed)
        QgsProject.instance().layersAdded.connect(self._added)

    def _changed(self) -> None:
        show_time(QgsProject.instance(), self.canvas.temporalRange())

    @staticmethod
    def _added(layers) -> None:
        for layer in layers:
            if isinstance(layer, QgsRasterLayer) and layer.customProperty(DATES_KEY):
                fixed_span(layer)

    def unload(self) -> None:
        if self.canvas is not None:
            self.canvas.temporalRangeChanged.disconnect(self._changed)
            QgsProject.instance().layersAdded.disconnect(self._added)
            show_time(QgsProject.instance(), None)
        self.canvas = None
