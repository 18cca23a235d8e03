"""Time on the map: time-series rasters and dated point layers animate with QGIS's Temporal Controller. QGIS 3.38
and later draw a raster's band from its ranges per band; before, the GUI part switches the drawn band as the
controller's time moves (tested here on both: what this QGIS has is what is checked)."""

import datetime as dt

import numpy as np
import pytest
from testutils_dock import DATES, write_points_source, write_series_raster


def _range(day, days=1):
    from qgis.core import QgsDateTimeRange
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    start = QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0, 0))
    return QgsDateTimeRange(start, start.addDays(days))


def test_series_raster_draws_the_band_of_the_controllers_time(project, tmp_path):
    from qgis.core import QgsRasterLayer

    from insar_geohazards.fileio.display import styles, temporal

    cube = np.arange(len(DATES), dtype=np.float32)[:, None, None] * np.ones((len(DATES), 3, 4), np.float32)
    path = write_series_raster(tmp_path / "ts.tif", cube)
    styles.style_raster_diverging(path, band=len(DATES))
    layer = QgsRasterLayer(path, "ts", "gdal")
    layer.loadNamedStyle(styles.sidecar_qml(path))
    project.addMapLayer(layer)
    assert temporal.make_temporal(layer)
    props = layer.temporalProperties()
    assert props.isActive() and layer.customProperty(temporal.DATES_KEY)[0] == DATES[0].isoformat()
    assert props.isVisibleInTemporalRange(_range(DATES[5]))
    assert not props.isVisibleInTemporalRange(_range(DATES[0] - dt.timedelta(days=30)))
    if temporal.has_ranges_per_band():  # QGIS >= 3.38: QGIS picks the band itself
        assert len(props.fixedRangePerBand()) == len(DATES)
        assert props.bandForTemporalRange(layer, _range(DATES[5] + dt.timedelta(days=3))) == 6
    else:  # QGIS < 3.38: the GUI part follows the canvas's temporal range
        _follow_the_canvas(project, layer)


def _follow_the_canvas(project, layer):
    """QGIS < 3.38: the GUI part switches the drawn band as the canvas's temporal range moves."""
    from insar_geohazards.fileio.display import temporal
    from insar_geohazards.ui.temporal import TemporalBandsPart, show_time

    assert temporal.band_at(DATES, DATES[5] + dt.timedelta(days=3)) == 6
    assert layer.renderer().band() == len(DATES)
    assert show_time(project, _range(DATES[5] + dt.timedelta(days=3))) == 1 and layer.renderer().band() == 6
    assert show_time(project, _range(DATES[0] - dt.timedelta(days=5))) == 1 and layer.renderer().band() == 1
    from qgis.gui import QgsMapCanvas

    class Iface:
        canvas = QgsMapCanvas()

        def mapCanvas(self):
            return self.canvas

    part = TemporalBandsPart(Iface())
    part.init_gui()
    Iface.canvas.setTemporalRange(_range(DATES[12]))
    assert layer.renderer().band() == 13
    part.unload()  # the controller gone: the style's band again
    assert layer.renderer().band() == len(DATES)


def _render(project, layer, time_range):
    from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    extent = layer.extent()
    extent.grow(100.0)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(60, 60))
    if time_range is not None:
        settings.setIsTemporal(True)
        settings.setTemporalRange(time_range)
    from qgis.core import QgsExpressionContext, QgsExpressionContextUtils

    context = QgsExpressionContext()  # as the map canvas makes it: @map_start_time ...
    context.appendScope(QgsExpressionContextUtils.mapSettingsScope(settings))
    settings.setExpressionContext(context)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    from collections import Counter

    colours = Counter(image.pixelColor(x, y).name() for x in range(60) for y in range(60))
    colours.pop("#ffffff", None)
    return colours.most_common(1)[0][0]  # the symbol's fill


def test_dated_points_take_the_colour_of_the_controllers_time(project, tmp_path):
    """Points whose displacement goes from -40 mm (away from the satellite) to +40 mm: red early, blue late; with
    the controller off they keep their velocity classes."""
    from osgeo import ogr
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextScope, QgsVectorLayer

    from insar_geohazards.fileio.display import styles, temporal

    path = write_points_source(tmp_path / "pts.gpkg", np.array([500045.0]), np.array([4099955.0]))
    ds = ogr.Open(path, 1)
    lyr = ds.GetLayer(0)
    lyr.CreateField(ogr.FieldDefn("VEL", ogr.OFTReal))
    for f in lyr:
        for k, d in enumerate(DATES):
            f.SetField(d.strftime("D%Y%m%d"), -40.0 + 80.0 * k / (len(DATES) - 1))
        f.SetField("VEL", 0.0)
        lyr.SetFeature(f)
    ds = None
    styles.style_points_velocity(path)
    layer = QgsVectorLayer(path, "pts", "ogr")
    layer.loadNamedStyle(styles.sidecar_qml(path))
    project.addMapLayer(layer)
    off = _render(project, layer, None)
    assert temporal.make_temporal(layer)
    pairs = temporal.point_date_fields(layer)
    expression = QgsExpression(temporal.time_expression(pairs))
    context = QgsExpressionContext()
    scope = QgsExpressionContextScope()
    scope.setVariable("map_start_time", _range(DATES[3] + dt.timedelta(days=2)).begin())
    context.appendScope(scope)
    context.setFeature(next(layer.getFeatures()))
    assert expression.evaluate(context) == pytest.approx(-40.0 + 80.0 * 3 / (len(DATES) - 1))
    assert _render(project, layer, None) == off  # the controller off: the velocity classes' colours
    early, late = _render(project, layer, _range(DATES[0])), _render(project, layer, _range(DATES[-1]))
    from qgis.PyQt.QtGui import QColor

    assert QColor(early).red() - QColor(early).blue() > 100, early  # -40 mm: red
    assert QColor(late).blue() - QColor(late).red() > 100, late  # +40 mm: blue
