"""The time-series dock's map features on real data: the Mexico City SBAS output (the demo's job, 30 Sentinel-1
interferograms) and an EGMS load (Ustica, ascending, its series in the compressed table). Each feature is checked
against numbers worked out here from the files with GDAL and numpy (or from the EGMS CSV as delivered):

* the map and every curve relative to a picked point (the map's virtual raster read back with GDAL: the raw values
  less the reference's on every date; the points' colour: the ramp of the CSV's value less the reference's);
* neighbours within a radius (the pixels of the circle: their mean, as QGIS's geometry says which centres fall
  inside; the points: the nearest EGMS points by their CSV coordinates);
* the model fit and its residuals (numpy's least-squares line);
* a date picker that colours the map by that date (the canvas's time on that day, the pixel drawn in the colour of
  that date's value).
"""

import datetime as dt
import os

import numpy as np
import pytest
from testutils_egms import read_csv_tile

TILE = "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip"


@pytest.fixture(scope="module")
def mexico(tmp_path_factory, data_dir, qgis_app):
    """The demo's SBAS job on the Mexico City interferograms: the time-series GeoTIFF (its .qml and .qlr)."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    out = tmp_path_factory.mktemp("mexico")
    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    res = processing.run("geohazard:sbasinversion", {
        "INTERFEROGRAMS": folder, "COHERENCE": folder,
        "BASELINES": os.path.join(data_dir, "sentinel1_mexico_city", "baselines"),
        "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "WEIGHTING": 1,
        "OUTPUT_TIMESERIES": str(out / "mexico_timeseries.tif"), "OUTPUT_VELOCITY": str(out / "mexico_velocity.tif")},
        context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    return res["OUTPUT_TIMESERIES"]


def _cube(path):
    from osgeo import gdal

    ds = gdal.Open(path)
    cube = ds.ReadAsArray().astype(np.float64)
    gt = ds.GetGeoTransform()
    dates = [dt.date.fromisoformat(ds.GetRasterBand(k + 1).GetDescription()) for k in range(ds.RasterCount)]
    ds = None
    return cube, gt, dates


def _centre(gt, row, col):
    from qgis.core import QgsPointXY

    return QgsPointXY(gt[0] + (col + 0.5) * gt[1], gt[3] + (row + 0.5) * gt[5])


@pytest.fixture
def canvas(qgis_app):
    from qgis.gui import QgsMapCanvas

    c = QgsMapCanvas()
    c.resize(400, 300)
    yield c
    c.deleteLater()


@pytest.fixture
def dock(qgis_app, canvas, project):
    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerDock

    d = TimeSeriesViewerDock(canvas=canvas)
    yield d
    d.shutdown()
    d.deleteLater()


def _added(project, layer):
    """As the desktop adds a layer: its default style, then the plugin's GUI part sees it arrive."""
    from insar_geohazards.fileio.motion import series_view
    from insar_geohazards.ui.temporal import TemporalBandsPart

    series_view.register()
    layer.loadDefaultStyle()
    project.addMapLayer(layer)
    TemporalBandsPart._added([layer])
    return layer


def _pick_pixel(dock, layer, point):
    n = len(dock.series)
    assert dock.add_at_point(layer, point, 1e-9)
    assert dock.wait_for_reads()
    return dock.series[n:]


def test_mexico_city_reference_neighbours_residuals_and_map_date(mexico, dock, canvas, project):
    from osgeo import gdal
    from qgis.core import QgsGeometry, QgsRasterLayer

    cube, gt, dates = _cube(mexico)
    layer = _added(project, QgsRasterLayer(mexico, "Mexico City time series", "gdal"))
    dock.set_series_layer(layer)
    rng = np.random.default_rng(5)
    valid = np.argwhere(np.isfinite(cube).all(axis=0))
    east = valid[valid[:, 1] > 70]
    west = valid[valid[:, 1] < 15]
    a = tuple(east[rng.integers(len(east))])  # in the subsiding bowl
    b = tuple(west[rng.integers(len(west))])  # on stable ground
    (sa,) = _pick_pixel(dock, layer, _centre(gt, *a))
    (sb,) = _pick_pixel(dock, layer, _centre(gt, *b))
    assert np.allclose(sa.values_mm, cube[:, a[0], a[1]], atol=1e-4)
    # every curve relative to the reference pixel
    dock.set_reference(sb.key)
    shown = {s.key: s for s in dock.displayed()}
    assert np.allclose(shown[sa.key].values_mm, cube[:, a[0], a[1]] - cube[:, b[0], b[1]], atol=1e-4)
    # ... and the map: a virtual raster whose every band is the raster's less the reference's value that date
    view = dock.reference_map(True)
    assert view is not None and view.temporalProperties().isActive()
    ds = gdal.Open(view.source())
    shifted = ds.ReadAsArray().astype(np.float64)
    assert [ds.GetRasterBand(k + 1).GetDescription() for k in range(ds.RasterCount)] == [d.isoformat() for d in dates]
    ds = None
    want = cube - cube[:, b[0], b[1]][:, None, None]
    ok = np.isfinite(cube)
    assert np.allclose(shifted[ok], want[ok], atol=1e-3) and np.isnan(shifted[~ok]).all()
    assert np.allclose(shifted[:, b[0], b[1]], 0.0, atol=1e-4)
    view_id = view.id()
    dock.reference_map(False)
    assert project.mapLayer(view_id) is None
    dock.set_reference(None)
    # neighbours within 400 m: the mean of the pixels whose centres the circle holds
    dock.set_neighbours(400.0)
    n = len(dock.series)
    c = (int(a[0]), max(int(a[1]) - 3, 0))
    _pick_pixel(dock, layer, _centre(gt, *c))
    assert dock.wait_for_reads()
    added = dock.series[n:]
    assert len(added) == 2 and added[1].kind == "polygon"
    circle = QgsGeometry.fromPointXY(_centre(gt, *c)).buffer(400.0 / 111_320.0, 24)
    inside = [(r, k) for r in range(cube.shape[1]) for k in range(cube.shape[2])
              if circle.contains(QgsGeometry.fromPointXY(_centre(gt, r, k)))]
    assert 3 < len(inside) < 200
    members = np.stack([cube[:, r, k] for r, k in inside], axis=1)
    with np.errstate(all="ignore"):
        assert np.allclose(added[1].values_mm, np.nanmean(members, axis=1), atol=1e-3, equal_nan=True)
    dock.set_neighbours(0)
    # the linear fit and its residuals: numpy's least-squares line
    dock.set_model("linear")
    dock.set_residuals(True)
    res = {s.key: s for s in dock.residual_curves(dock.displayed())}
    t = np.array([(d - dates[0]).days for d in dates], float)
    y = cube[:, a[0], a[1]]
    line = np.polyval(np.polyfit(t, y, 1), t)
    assert np.allclose(res[sa.key].values_mm, y - line, atol=1e-3)
    assert abs(np.mean(res[sa.key].values_mm)) < 1e-3
    # replicas of the selected curve: +-1 and +-2 half wavelengths (the SBAS output's WAVELENGTH_M / 2)
    dock.set_residuals(False)
    dock.selected = sa.key
    dock.set_replicas(dock.half_wave_spin.value())
    ds = gdal.Open(mexico)
    half = float(ds.GetMetadataItem("WAVELENGTH_M")) * 500.0
    ds = None
    assert dock.half_wave_spin.value() == pytest.approx(half, abs=0.05)
    lines = [ln for ln in canvas_lines(dock) if ln.get_label() == "_replica"]
    offsets = sorted(round(float(np.nanmean(ln.get_ydata() - shown_values(dock, sa.key))) / half, 3) for ln in lines)
    assert offsets == [-2.0, -1.0, 1.0, 2.0]
    dock.set_replicas(0)
    dock.set_residuals(True)
    # the date picker: the map's time on that day, the pixel drawn in the colour of that date's value
    k = int(rng.integers(1, len(dates)))
    dock._refresh_map_dates()
    assert dock.map_date_combo.findText(dates[k].isoformat()) > 0
    dock.map_date_combo.setCurrentIndex(dock.map_date_combo.findText(dates[k].isoformat()))
    begin = canvas.temporalRange().begin().date().toPyDate()
    assert begin == dates[k] and canvas.mapSettings().isTemporal()
    _drawn_date_matches(project, canvas, layer, cube, gt, a, k)


def _drawn_date_matches(project, canvas, layer, cube, gt, pixel, k):
    """The layer drawn at the canvas's time shows ``pixel`` in the colour of its value on date ``k``."""
    from qgis.core import QgsMapRendererSequentialJob, QgsRectangle
    from qgis.PyQt.QtCore import QSize

    from insar_geohazards.fileio.display.temporal import has_ranges_per_band
    from insar_geohazards.ui.temporal import show_time

    if not has_ranges_per_band():  # QGIS < 3.38: what the GUI part does when the canvas's time moves
        show_time(project, canvas.temporalRange())
    settings = canvas.mapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    p = _centre(gt, *pixel)
    settings.setExtent(QgsRectangle(p.x() - gt[1] / 4, p.y() - gt[1] / 4, p.x() + gt[1] / 4, p.y() + gt[1] / 4))
    settings.setOutputSize(QSize(5, 5))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    got = job.renderedImage().pixelColor(2, 2).name()
    ok, r, g, b, _a = layer.renderer().shader().rasterShaderFunction().shade(float(cube[k][pixel]))
    assert got == f"#{r:02x}{g:02x}{b:02x}"


@pytest.fixture(scope="module")
def egms_table(tmp_path_factory, data_dir, qgis_app):
    from insar_geohazards.fileio.formats.egms import load_tiles

    out = tmp_path_factory.mktemp("egms_dock")
    path = str(out / "u.gpkg")
    report = load_tiles([os.path.join(data_dir, "egms_ustica", TILE)], path, series="table", single_name=True)
    return f"{path}|layername={list(report.layers)[0]}"


@pytest.fixture(scope="module")
def egms_csv(data_dir):
    return read_csv_tile(os.path.join(data_dir, "egms_ustica", TILE))


def test_egms_load_reference_neighbours_residuals_and_map_date(egms_table, egms_csv, dock, canvas, project):
    from qgis.core import (
        QgsExpressionContext,
        QgsExpressionContextScope,
        QgsExpressionContextUtils,
        QgsRenderContext,
        QgsSymbolLayerUtils,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    pid, xy, dates, vals = egms_csv
    layer = _added(project, QgsVectorLayer(egms_table, "EGMS Ustica ascending", "ogr"))
    assert layer.temporalProperties().isActive()
    dock.set_series_layer(layer)
    rng = np.random.default_rng(8)
    by_pid = {f["pid"]: f.id() for f in layer.getFeatures()}
    # a point with neighbours within 60 m, and a reference point far from it
    d = np.hypot(*(xy[:, None, :] - xy[None, :200, :]).transpose(2, 0, 1))
    i = int(np.argmax((d < 60).sum(axis=0)[:200]))
    j = int(np.argmax(np.hypot(*(xy - xy[i]).T)))
    dock.set_neighbours(60.0)
    dock.add_features(layer, [by_pid[pid[i]]])
    dock.add_neighbours(layer, by_pid[pid[i]])
    got = [s for s in dock.series if s.kind == "neighbour"]
    dist = np.hypot(*(xy - xy[i]).T)
    near = [k for k in np.argsort(dist, kind="stable") if k != i and dist[k] <= 60.0][:10]
    assert {s.point_id for s in got} == set(pid[near]) and 0 < len(got) <= 10
    for s in got:
        assert np.allclose(s.values_mm, vals[list(pid).index(s.point_id)], atol=1e-4, equal_nan=True)
    dock.set_neighbours(0)
    # the reference: every curve and the map's colours relative to point j
    dock.add_features(layer, [by_pid[pid[j]]])
    ref = next(s for s in dock.series if s.point_id == pid[j])
    main = next(s for s in dock.series if s.point_id == pid[i])
    dock.set_reference(ref.key)
    shown = {s.key: s for s in dock.displayed()}
    assert np.allclose(shown[main.key].values_mm, vals[i] - vals[j], atol=1e-4, equal_nan=True)
    assert dock.reference_map(True) is layer
    both = np.flatnonzero(np.isfinite(vals[i]) & np.isfinite(vals[j]))
    k = int(rng.choice(both[both > 0]))
    feat = layer.getFeature(by_pid[pid[i]])
    symbol = layer.renderer().symbolForFeature(feat, QgsRenderContext())
    prop = next(symbol.symbolLayer(0).dataDefinedProperties().property(key)
                for key in symbol.symbolLayer(0).dataDefinedProperties().propertyKeys())
    ctx = QgsExpressionContext()
    ctx.appendScope(QgsExpressionContextUtils.layerScope(layer))
    scope = QgsExpressionContextScope()
    scope.setVariable("map_start_time", QDateTime(QDate(dates[k].year, dates[k].month, dates[k].day), QTime(0, 0)))
    scope.setVariable("symbol_color", "#000000")
    ctx.appendScope(scope)
    ctx.setFeature(feat)
    colour, ok = prop.valueAsColor(ctx)
    assert ok
    text = prop.expressionString()
    import re

    vmax = float(re.search(r", (-?[0-9.eE+-]+), ([0-9.eE+-]+), 0, 1\)", text).group(2))
    assert vmax > 1.0
    from qgis.core import QgsExpression

    value = float(vals[i, k] - vals[j, k])  # a plain float: numpy 2's repr would write np.float64(...)
    want = QgsExpression(f"ramp_color('RdBu', scale_linear({value!r}, {-vmax!r}, {vmax!r}, 0, 1))")
    assert colour.name() == QgsSymbolLayerUtils.decodeColor(want.evaluate(QgsExpressionContext())).name()
    assert ") - (CASE" in text
    dock.reference_map(False)  # its own colours again: the renderer's symbol is a new one
    fresh = layer.renderer().symbolForFeature(feat, QgsRenderContext()).symbolLayer(0).dataDefinedProperties()
    again = fresh.property(next(iter(fresh.propertyKeys()))).expressionString()
    assert "insar_displacement_at(@map_start_time)" in again and ") - (CASE" not in again
    dock.set_reference(None)
    # residuals of the linear fit: numpy's line through the CSV's values
    dock.set_model("linear")
    res = {s.key: s for s in dock.residual_curves(dock.displayed())}
    t = np.array([(x - dates[0]).days for x in dates], float)
    y = vals[i]
    ok = np.isfinite(y)
    line = np.polyval(np.polyfit(t[ok], y[ok], 1), t)
    assert np.allclose(res[main.key].values_mm[ok], (y - line)[ok], atol=2e-3)
    # the date picker sets the map's time
    dock._refresh_map_dates()
    dock.show_map_date(dates[k].isoformat())
    assert canvas.temporalRange().begin().date().toPyDate() == dates[k]
    dock.show_map_date(None)
    assert not canvas.temporalRange().begin().isValid()



def canvas_lines(dock):
    return list(dock.figure.axes[0].get_lines())


def shown_values(dock, key):
    return next(s.values_mm for s in dock.displayed() if s.key == key)
