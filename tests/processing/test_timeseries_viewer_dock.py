"""The time-series viewer dock, in process (offscreen): picks, markers, labels, polygon means, component
groups, fits, export, layer removal and the keyboard. The whole desktop under Xvfb is test_desktop_dock.py."""

import csv
import datetime as dt
import os

import numpy as np
import pytest
from testutils_dock import DATES, GT_UTM, east_mm, los_truth, up_mm, write_component_group, write_series_raster
from testutils_models import RADARSAT_SHP


def _shown(widget, size, close):
    """``widget`` resized to ``size`` and shown for a test, then closed by ``close(widget)`` and deleted."""
    widget.resize(*size)
    widget.show()
    yield widget
    close(widget)
    widget.deleteLater()


@pytest.fixture
def canvas(qgis_app):
    from qgis.gui import QgsMapCanvas

    yield from _shown(QgsMapCanvas(), (500, 400), lambda c: c.hide())


@pytest.fixture
def dock(qgis_app, canvas, project):
    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerDock

    yield from _shown(TimeSeriesViewerDock(canvas=canvas), (900, 700), lambda d: d.shutdown())


@pytest.fixture
def ps_layer(project):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(RADARSAT_SHP, "RADARSAT PS", "ogr")
    assert layer.isValid()
    project.addMapLayer(layer)
    return layer


def _raster(project, path, name):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(path, name, "gdal")
    assert layer.isValid()
    project.addMapLayer(layer)
    return layer


def _view(canvas, layer):
    canvas.setDestinationCrs(layer.crs())
    canvas.setExtent(layer.extent())
    canvas.refresh()


def _click(canvas, x, y, button=None):
    from qgis.PyQt.QtCore import QPoint, Qt
    from qgis.PyQt.QtTest import QTest

    p = canvas.getCoordinateTransform().transform(x, y)
    QTest.mouseClick(canvas.viewport(), button or Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(round(p.x())), int(round(p.y()))))


def _fid(layer, code):
    return next(f.id() for f in layer.getFeatures() if f["CODE"] == code)


def _canvas_items(canvas, cls):
    return [i for i in canvas.scene().items() if isinstance(i, cls)]


def _years(dates):
    return np.array([(d - dates[0]).days for d in dates], dtype=np.float64) / 365.25


def _read_csv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _colour_pixels(png, hex_colour, tol=40):
    from qgis.PyQt.QtGui import QColor, QImage

    img = QImage(png)
    assert not img.isNull()
    target = QColor(hex_colour)
    n = 0
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            c = img.pixelColor(x, y)
            n += abs(c.red() - target.red()) + abs(c.green() - target.green()) + abs(c.blue() - target.blue()) < tol
    return n


# ------------------------------------------------------------------------------------------ points
def test_points_labelled_with_id_and_coordinates_fit_and_export(dock, ps_layer, canvas, tmp_path):
    from qgis.gui import QgsVertexMarker

    _view(canvas, ps_layer)
    dock.set_series_layer(ps_layer)
    fast = _fid(ps_layer, "A1EMM")  # VEL -11.58 mm/yr in the product
    assert dock.add_features(ps_layer, [fast, 0]) == 2
    assert dock.add_features(ps_layer, [fast]) == 0  # no duplicates
    s = next(s for s in dock.series if s.point_id == "A1EMM")
    assert s.label == "RADARSAT PS A1EMM (1437785.6, 4887764.4)" and s.crs == "EPSG:3003"
    markers = _canvas_items(canvas, QgsVertexMarker)
    assert len(markers) == 2 and {m.color().name() for m in markers} == {x.colour for x in dock.series}
    assert any(abs(m.center().x() - 1437785.6126) < 1e-3 and abs(m.center().y() - 4887764.4143) < 1e-3
               for m in markers)

    dock.set_model("linear")
    fit = dock.fits[s.key]
    v = dict((n, (val, sd)) for n, val, sd, _ in fit.params)["velocity_mm_yr"]
    ok = np.isfinite(s.values_mm)
    slope = np.polyfit(_years(s.dates)[ok], s.values_mm[ok], 1)[0]  # numpy's own least squares
    assert v[0] == pytest.approx(slope, abs=1e-9) and v[0] == pytest.approx(-11.58, abs=0.05)
    row = next(r for r in range(dock.table.rowCount()) if dock.table.item(r, 0).text() == "RADARSAT PS A1EMM")
    assert "linear: v -11.6±" in dock.table.item(row, 1).text()
    assert dock.table.item(row, 2).text() == "1437785.6, 4887764.4 (EPSG:3003)"

    csv_path, fits_path = dock.export_csv(str(tmp_path / "ts.csv"))
    rows = _read_csv(csv_path)
    assert rows[0][0] == "date" and len(rows) == 100 and rows[1][0] == "2003-03-17"
    col = rows[0].index(f"{s.label} (mm)")
    assert float(rows[-1][col]) == pytest.approx(s.values_mm[-1], abs=1e-3) == pytest.approx(-105.3, abs=0.5)
    mcol = rows[0].index(f"{s.label} linear model (mm)")
    t = _years(s.dates)
    intercept = np.polyfit(t[ok], s.values_mm[ok], 1)[1]
    assert float(rows[-1][mcol]) == pytest.approx(intercept + slope * t[-1], abs=1e-3)
    fits = _read_csv(fits_path)
    vrow = next(r for r in fits if r[0] == s.label and r[9] == "velocity_mm_yr")
    assert vrow[1:4] == ["RADARSAT PS", "EPSG:3003", "1437785.612551"] and vrow[5] == "A1EMM"
    assert float(vrow[10]) == pytest.approx(slope, abs=1e-4) and vrow[12] == "mm/yr"

    png = dock.export_png(str(tmp_path / "ts.png"))
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert _colour_pixels(png, s.colour) > 300  # the curve, its fit and its legend entry are drawn

    # reference date: every curve is zero there
    dock.set_reference_date("2006-06-05")
    shown = dock.displayed()
    i = shown[0].dates.index(dt.date(2006, 6, 5))
    assert all(x.values_mm[i] == 0 for x in shown)
    # reference point: the other point becomes the reference and is subtracted; its marker turns into a square
    dock.set_reference_date(None)
    other = next(x for x in dock.series if x.point_id != "A1EMM")
    before, ref_values = s.values_mm.copy(), other.values_mm.copy()
    dock.set_reference(other.key)
    np.testing.assert_allclose(dock.displayed()[0].values_mm, before - ref_values)
    assert "relative to RADARSAT PS" in dock.figure.axes[0].get_title()
    assert sorted(m.color().name() for m in dock.markers()) == sorted(["#000000", s.colour])
    with pytest.raises(Exception, match="not a date of the plotted series"):
        dock.set_reference_date("1999-01-01")
    dock.clear()
    assert dock.series == [] and dock.reference is None and _canvas_items(canvas, QgsVertexMarker) == []


def test_selected_points_in_one_go_at_most_forty(dock, ps_layer, canvas):
    from qgis.gui import QgsVertexMarker

    from insar_geohazards.ui.timeseries_viewer import MAX_CURVES

    dock.set_series_layer(ps_layer)
    ps_layer.selectByIds(list(range(3)))
    assert dock.add_selected() == 3 and dock.status.text() == "Added 3 curves."
    ps_layer.selectByIds(list(range(50)))
    assert dock.add_selected() == MAX_CURVES - 3 == 37
    assert len(dock.series) == 40 and len(_canvas_items(canvas, QgsVertexMarker)) == 40
    assert "10 curve(s) not added: the dock plots at most 40" in dock.status.text()
    assert len({s.colour for s in dock.series}) == 10  # the palette cycles


def test_points_polygon_mean_matches_qgis_contains(dock, ps_layer, canvas):
    from qgis.core import QgsGeometry, QgsPointXY

    a = ps_layer.getFeature(_fid(ps_layer, "A1EMM")).geometry().asPoint()
    poly = QgsGeometry.fromPolygonXY([[QgsPointXY(a.x() - 120, a.y() - 90), QgsPointXY(a.x() + 150, a.y() - 60),
                                       QgsPointXY(a.x() + 40, a.y() + 140), QgsPointXY(a.x() - 120, a.y() - 90)]])
    inside = [f for f in ps_layer.getFeatures() if poly.contains(f.geometry())]  # GEOS decides, not our code
    assert len(inside) >= 3
    assert dock.add_polygon(ps_layer, poly, ps_layer.crs())
    s = dock.displayed()[-1]
    fields = [n for n in ps_layer.fields().names() if n.startswith("D2")]
    values = np.array([[np.nan if f[n] is None else float(f[n]) for n in fields] for f in inside]).T
    assert s.count == len(inside) and s.kind == "polygon"
    np.testing.assert_allclose(s.values_mm, np.nanmean(values, axis=1), atol=1e-9)
    np.testing.assert_allclose(s.spread_mm, np.nanstd(values, axis=1), atol=1e-9)
    assert s.label.startswith(f"RADARSAT PS mean of {len(inside)} points (")


# ------------------------------------------------------------------------------------------ pixels
def test_pick_pixel_by_mouse_marker_label_and_delete(dock, canvas, project, tmp_path):
    from qgis.gui import QgsVertexMarker
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest

    cube = np.arange(30, dtype=np.float32)[:, None, None] * np.arange(1, 49, dtype=np.float32).reshape(6, 8)
    layer = _raster(project, write_series_raster(tmp_path / "ts.tif", cube), "ts")
    _view(canvas, layer)
    dock.set_series_layer(layer)
    dock.set_picking(True)
    assert canvas.mapTool() is dock.point_tool and dock.pick_button.isChecked()
    _click(canvas, 500000.0 + 2.4 * 30, 4100000.0 - 1.6 * 30)  # row 1, col 2
    assert dock.wait_for_reads()  # the pixel is read on a worker thread, its curve added when it is done
    assert len(dock.series) == 1
    s = dock.series[0]
    assert s.label == "ts (500075.0, 4099955.0)" and s.crs == "EPSG:32633"
    np.testing.assert_allclose(s.values_mm, np.arange(30) * 11.0)  # the value stored in row 1, col 2
    (m,) = _canvas_items(canvas, QgsVertexMarker)
    assert (m.center().x(), m.center().y()) == pytest.approx((500075.0, 4099955.0))
    _click(canvas, 500000.0 + 2.7 * 30, 4100000.0 - 1.2 * 30)  # the same pixel again
    assert dock.wait_for_reads()
    assert len(dock.series) == 1 and dock.status.text() == "Already plotted."
    _click(canvas, 500000.0 + 6.5 * 30, 4100000.0 - 4.5 * 30)
    assert dock.wait_for_reads()
    assert len(dock.series) == 2 and len(_canvas_items(canvas, QgsVertexMarker)) == 2
    assert dock.series[0].colour != dock.series[1].colour
    # the marker follows the canvas CRS
    from qgis.core import QgsCoordinateReferenceSystem

    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    assert dock.markers()[0].center().x() == pytest.approx(15.0008, abs=1e-3)
    canvas.setDestinationCrs(layer.crs())
    # Delete removes the selected curve and its marker (selected: the last added)
    assert dock.selected == dock.series[1].key
    QTest.keyClick(dock.table, Qt.Key.Key_Delete)
    assert [x.label for x in dock.series] == ["ts (500075.0, 4099955.0)"]
    (m,) = _canvas_items(canvas, QgsVertexMarker)
    assert m.center().x() == pytest.approx(500075.0)
    QTest.keyClick(dock.table, Qt.Key.Key_Escape)
    assert canvas.mapTool() is None and not dock.pick_button.isChecked()


def test_polygon_mean_matches_gdal_rasterize(dock, canvas, project, tmp_path):
    from osgeo import gdal, ogr, osr
    from qgis.core import QgsGeometry
    from qgis.gui import QgsRubberBand
    from qgis.PyQt.QtCore import Qt

    rng = np.random.default_rng(3)
    cube = (rng.normal(0.0, 5.0, (30, 20, 25)) + np.arange(30)[:, None, None]).astype(np.float32)
    cube[:, 4:7, 5:9] = -9999.0  # nodata patch inside the polygon
    cube[7, 10, 10] = -9999.0
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    path = write_series_raster(tmp_path / "ts.tif", cube, geotransform=gt, nodata=-9999.0)
    layer = _raster(project, path, "ts")
    _view(canvas, layer)
    dock.set_series_layer(layer)
    # no pixel centre on an edge: GDAL burns some boundary pixels, the dock (and GEOS) counts them out
    wkt = ("POLYGON ((500033.7 4099966.3, 500413.7 4099926.3, 500333.7 4099646.3, 500173.7 4099776.3, "
           "500053.7 4099636.3, 500033.7 4099966.3), (500203.7 4099896.3, 500263.7 4099896.3, 500263.7 4099846.3, "
           "500203.7 4099846.3, 500203.7 4099896.3))")

    def gdal_mask(wkt):  # GDAL's rasterisation: a pixel is in when its centre is
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(32633)
        mem = (ogr.GetDriverByName("MEM") or ogr.GetDriverByName("Memory")).CreateDataSource("m")
        lyr = mem.CreateLayer("p", srs, ogr.wkbPolygon)
        feat = ogr.Feature(lyr.GetLayerDefn())
        feat.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(feat)
        ds = gdal.GetDriverByName("MEM").Create("", 25, 20, 1, gdal.GDT_Byte)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs.ExportToWkt())
        gdal.RasterizeLayer(ds, [1], lyr, burn_values=[1])
        band = ds.GetRasterBand(1)
        return band.ReadAsArray().astype(bool)

    mask = gdal_mask(wkt)
    vals = np.where(cube == -9999.0, np.nan, cube.astype(np.float64))[:, mask]
    vals = vals[:, np.isfinite(vals).any(axis=0)]  # the nodata patch is no member
    assert dock.add_polygon(layer, QgsGeometry.fromWkt(wkt), layer.crs()) and dock.wait_for_reads()
    s = dock.displayed()[0]
    assert s.count == vals.shape[1] == mask.sum() - 12 > 100
    np.testing.assert_allclose(s.values_mm, np.nanmean(vals, axis=1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(s.spread_mm, np.nanstd(vals, axis=1), rtol=0, atol=1e-9)
    assert s.label == f"ts mean of {vals.shape[1]} pixels ({s.x:.1f}, {s.y:.1f})"
    assert len(_canvas_items(canvas, QgsRubberBand)) == 1  # the polygon drawn on the map
    # the spread is recomputed for another reference date
    dock.set_reference_date(DATES[10])
    s10 = dock.displayed()[0]
    np.testing.assert_allclose(s10.spread_mm, np.nanstd(vals - vals[10], axis=1), atol=1e-9)
    dock.set_reference_date(None)
    csv_path, _ = dock.export_csv(str(tmp_path / "poly.csv"))
    rows = _read_csv(csv_path)
    i_std, i_n = rows[0].index(f"{s.label} std (mm)"), rows[0].index(f"{s.label} count")
    counts = [int(float(r[i_n])) for r in rows[1:]]
    assert counts == list(np.isfinite(vals).sum(axis=1)) and counts[7] == s.count - 1  # nodata on the 8th date
    assert float(rows[5][i_std]) == pytest.approx(np.nanstd(vals[4]), abs=1e-3)

    # drawn with the mouse: left clicks add vertices, the right click closes
    dock.set_drawing(True)
    assert canvas.mapTool() is dock.polygon_tool and not dock.pick_button.isChecked()
    corners = [(500020.0, 4099990.0), (500190.0, 4099990.0), (500190.0, 4099810.0), (500020.0, 4099810.0)]
    for x, y in corners:
        _click(canvas, x, y)
    assert len(dock.polygon_tool.vertices) == 4
    _click(canvas, *corners[-1], button=Qt.MouseButton.RightButton)
    assert dock.wait_for_reads()
    s2 = dock.displayed()[-1]
    drawn = QgsGeometry.fromWkt(s2.geometry_wkt)
    ring = drawn.asPolygon()[0]
    assert len(ring) == 5 and all(abs(p.x() - x) <= canvas.mapUnitsPerPixel() and abs(p.y() - y) <=
                                  canvas.mapUnitsPerPixel() for p, (x, y) in zip(ring, corners))
    mask2 = gdal_mask(drawn.asWkt())
    vals2 = np.where(cube == -9999.0, np.nan, cube.astype(np.float64))[:, mask2]
    vals2 = vals2[:, np.isfinite(vals2).any(axis=0)]
    assert s2.count == vals2.shape[1] > 30
    np.testing.assert_allclose(s2.values_mm, np.nanmean(vals2, axis=1), atol=1e-9)
    assert len(_canvas_items(canvas, QgsRubberBand)) >= 2


def test_polygon_tool_keyboard(dock, canvas, project, tmp_path):
    from qgis.core import QgsPointXY
    from qgis.PyQt.QtCore import QEvent, Qt
    from qgis.PyQt.QtGui import QKeyEvent

    layer = _raster(project, write_series_raster(tmp_path / "ts.tif", np.ones((30, 6, 8))), "ts")
    _view(canvas, layer)
    dock.set_drawing(True)
    tool = dock.polygon_tool

    def key(k):
        tool.keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, k, Qt.KeyboardModifier.NoModifier))

    for x, y in ((500010, 4099990), (500200, 4099990), (500200, 4099850), (500100, 4099900)):
        tool.add_vertex(QgsPointXY(x, y))
    key(Qt.Key.Key_Backspace)
    assert len(tool.vertices) == 3
    key(Qt.Key.Key_Return)
    assert tool.vertices == [] and dock.wait_for_reads()
    assert len(dock.series) == 1 and dock.series[0].kind == "polygon"
    tool.add_vertex(QgsPointXY(500010, 4099990))
    key(Qt.Key.Key_Escape)  # cancels the polygon being drawn
    assert tool.vertices == [] and canvas.mapTool() is tool
    key(Qt.Key.Key_Escape)  # and then stops drawing
    assert canvas.mapTool() is None and not dock.polygon_button.isChecked()
    tool.add_vertex(QgsPointXY(500010, 4099990))
    tool.add_vertex(QgsPointXY(500200, 4099990))
    assert not tool.finish() and "at least 3 vertices" in dock.status.text()


# ------------------------------------------------------------------------------------------ groups
def test_component_group_up_east_sigma_and_los_sources(dock, canvas, project, tmp_path):
    from matplotlib.collections import PolyCollection
    from pyproj import Transformer
    from qgis.core import QgsPointXY

    paths = write_component_group(str(tmp_path / "run"))
    up = _raster(project, paths["up"], "Up (mm)")
    east = _raster(project, paths["east"], "East (mm)")
    _raster(project, paths["sigma_up"], "Up sigma")  # sigma_east is found beside the file, not loaded
    _view(canvas, up)
    dock.set_series_layer(up)
    assert dock.pick_at(QgsPointXY(500000.0 + 3.3 * 30, 4100000.0 - 2.8 * 30))  # row 2, col 3
    assert dock.wait_for_reads()
    xc, yc = 500105.0, 4099925.0
    comps = [(s.component, s.panel) for s in dock.series]
    assert comps == [("UP", "main"), ("EAST", "main"), ("LOS", "los"), ("LOS", "los")]
    s_up, s_east, s_asc, s_desc = dock.series
    assert s_up.label == f"Up: Up (mm) ({xc:.1f}, {yc:.1f})" and s_east.label.startswith("East: East (mm) (")
    np.testing.assert_allclose(s_up.values_mm, up_mm(xc, yc)[:, 0], atol=1e-4)
    np.testing.assert_allclose(s_east.values_mm, east_mm(xc, yc)[:, 0], atol=1e-4)
    t = _years(DATES)
    np.testing.assert_allclose(s_up.sigma_mm, 0.5 + 1.5 * t, atol=1e-5)
    np.testing.assert_allclose(s_east.sigma_mm, 0.8 + 2.5 * t, atol=1e-5)  # read from sigma_east.tif on disk
    np.testing.assert_allclose(s_asc.values_mm, los_truth("asc", xc, yc), atol=1e-4)
    # the descending source is a geographic raster: read at its own pixel, whose centre is where the truth is
    assert s_desc.crs == "EPSG:4326" and s_desc.label.startswith("desc_los (15.00")
    gx, gy = Transformer.from_crs(4326, 32633, always_xy=True).transform(s_desc.x, s_desc.y)
    assert abs(gx - xc) < 8 and abs(gy - yc) < 8
    np.testing.assert_allclose(s_desc.values_mm, los_truth("desc", gx, gy), atol=1e-3)
    assert len(dock.markers()) == 1  # one place picked
    # up/east on the first panel with 1-sigma bands, the LOS sources on the second
    ax, ax_los = [a for a in dock.figure.axes if a.axison]  # the panels (each legend has an axes of its own)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    assert ax.get_ylabel() == "Displacement (mm; + up, + east)" and "LOS" in ax_los.get_ylabel()
    assert {ln.get_label() for ln in ax_los.lines} >= {s_asc.label, s_desc.label}
    # the same place picked on the east raster is the same group: nothing new
    dock.set_series_layer(east)
    dock.pick_at(QgsPointXY(xc, yc))
    assert dock.wait_for_reads()
    assert len(dock.series) == 4 and dock.status.text() == "Already plotted."
    # a reference date drops the stored 1-sigma (it is relative to the stored reference)
    dock.set_reference_date(DATES[5])
    assert all(s.sigma_mm is None for s in dock.displayed())
    dock.set_reference_date(None)
    # removing the east layer removes the east curve; removing the picked layer removes the rest
    project.removeMapLayer(east.id())
    assert [s.component for s in dock.series] == ["UP", "LOS", "LOS"] and len(dock.markers()) == 1
    project.removeMapLayer(up.id())
    assert dock.series == [] and dock.markers() == []


def test_component_group_with_a_point_file_source(dock, canvas, project, tmp_path):
    from qgis.core import QgsPointXY, QgsVectorLayer
    from testutils_dock import POINT_OFFSET

    paths = write_component_group(str(tmp_path / "run"), points_source=True)
    east = _raster(project, paths["east"], "east")  # picked on east this time
    src_layer = QgsVectorLayer(paths["points"], "LOS points", "ogr")
    project.addMapLayer(src_layer)
    _view(canvas, east)
    dock.set_series_layer(east)
    assert dock.pick_at(QgsPointXY(500000.0 + 5.5 * 30, 4100000.0 - 0.5 * 30))  # row 0, col 5
    assert dock.wait_for_reads()
    s = dock.series[-1]
    x, y = 500165.0 + POINT_OFFSET[0], 4099985.0 + POINT_OFFSET[1]
    assert (s.panel, s.point_id, s.x, s.y) == ("los", "P005", pytest.approx(x), pytest.approx(y))
    assert s.label == f"LOS points P005 ({x:.1f}, {y:.1f})"  # named as the project names the file
    np.testing.assert_allclose(s.values_mm, los_truth("points", x, y), atol=1e-9)
    project.removeMapLayer(src_layer.id())  # the source's own layer leaves: its curve goes
    assert [c.panel for c in dock.series] == ["main", "main", "los", "los"]


def test_component_group_without_sigma_or_sources(dock, canvas, project, tmp_path):
    from osgeo import gdal
    from qgis.core import QgsPointXY

    paths = write_component_group(str(tmp_path / "run"), with_sigma=False)
    ds = gdal.Open(paths["up"], gdal.GA_Update)
    md = ds.GetMetadata()
    md["TIMESERIES_SOURCES"] = md["TIMESERIES_SOURCES"] + ";" + str(tmp_path / "missing.tif")
    ds.SetMetadata(md)
    ds = None
    up = _raster(project, paths["up"], "up")
    _view(canvas, up)
    dock.set_series_layer(up)
    assert dock.pick_at(QgsPointXY(GT_UTM[0] + 15, GT_UTM[3] - 15))
    assert dock.wait_for_reads()
    assert [s.component for s in dock.series] == ["UP", "EAST", "LOS", "LOS"]
    assert all(s.sigma_mm is None for s in dock.series)
    assert "missing.tif" in dock.status.text()


def _thread_read_bytes() -> int:
    """Bytes this thread has read from files so far (Linux: ``rchar`` of /proc/thread-self/io)."""
    with open("/proc/thread-self/io", encoding="ascii") as fh:
        return int(next(line for line in fh if line.startswith("rchar:")).split()[1])


@pytest.mark.parametrize("layout", ["series tiles", "before: 256-wide tiles"])
def test_a_pick_reads_off_the_gui_thread_about_one_tile_per_band(dock, canvas, project, tmp_path, monkeypatch,
                                                                 layout):
    """The pixel under a click is read on a worker thread: ``pick_at`` returns before any curve exists (the GUI
    thread goes on) and the curve comes when the read is done, also on a series written in 256-wide tiles before the
    series layout. On the series layout the read takes about one tile per band: the bytes the reader thread reads
    (Linux's per-thread counter ``rchar``, /proc/thread-self/io: https://docs.kernel.org/filesystems/proc.html)
    stay within the compressed size of the tile under the pixel in every band (GDAL's TIFF metadata
    ``BLOCK_SIZE_x_y``, https://gdal.org/drivers/raster/gtiff.html) plus the reads' buffering and the file's header
    and tile index: 4.1 MB of a 29.6 MB file here. (A file in the old layout is read with GDAL's decoding threads,
    whose reads this thread's counter does not see: only where it runs is checked there.)"""
    import threading

    from osgeo import gdal
    from qgis.core import QgsPointXY

    import insar_geohazards.ui.timeseries_data as tsd
    from insar_geohazards.fileio.base.raster import RasterWriter
    from insar_geohazards.fileio.base.series_tiles import series_tile_size

    if not os.path.exists("/proc/thread-self/io"):
        pytest.skip("per-thread I/O counters need Linux /proc/thread-self/io")
    n, rows, cols = 300, 160, 160
    dates = [dt.date(2015, 1, 1) + dt.timedelta(days=6 * k) for k in range(n)]
    cube = np.cumsum(np.random.default_rng(3).normal(0, 1, (n, rows, cols)), axis=0).astype(np.float32)
    path = str(tmp_path / "series.tif")
    edge = series_tile_size(cols, rows, n)
    kw = {"tile_rows": edge, "tile_cols": edge, "compress": "ZSTD"} if layout == "series tiles" else {}
    with RasterWriter(path, width=cols, height=rows, geotransform=GT_UTM, crs_wkt=_utm_wkt(), count=n,
                      descriptions=[d.isoformat() for d in dates], **kw) as w:
        w.write(cube)
        w.commit()
    seen = {}
    read_pixel = tsd.read_pixel

    def spy(*args, **kwargs):
        before = _thread_read_bytes()
        out = read_pixel(*args, **kwargs)
        seen.update(thread=threading.current_thread(), read=_thread_read_bytes() - before)
        return out

    monkeypatch.setattr(tsd, "read_pixel", spy)
    layer = _raster(project, path, "series")
    _view(canvas, layer)
    dock.set_series_layer(layer)
    row, col = 100, 37
    assert dock.pick_at(QgsPointXY(GT_UTM[0] + (col + 0.5) * 30, GT_UTM[3] - (row + 0.5) * 30))
    assert dock.series == [] and dock.reads.pending() == 1 and "Reading series" in dock.status.text()
    assert dock.wait_for_reads()
    assert seen["thread"] is not threading.main_thread() and seen["thread"].name.startswith("geohazard-dock-read")
    np.testing.assert_array_equal(dock.series[0].values_mm, cube[:, row, col])
    ds = gdal.Open(path)
    bx, by = ds.GetRasterBand(1).GetBlockSize()
    tile = [int(ds.GetRasterBand(b + 1).GetMetadataItem(f"BLOCK_SIZE_{col // bx}_{row // by}", "TIFF"))
            for b in range(n)]
    ds = None
    size = os.path.getsize(path)
    if layout == "series tiles":
        # the tiles under the pixel, the reads' buffering (up to 8 KB a tile) and the header with its tile index
        assert seen["read"] <= sum(tile) + 8192 * n + 256 * 1024, (seen["read"], sum(tile), size)
        assert seen["read"] < size / 4
    else:  # the tile under the pixel is the whole band: the read takes the file
        assert bx * by >= rows * cols / 2


def _utm_wkt():
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    return srs.ExportToWkt()


# ------------------------------------------------------------------------------------------ fits
def test_fits_acceleration_seasonal_and_breakpoint(dock, canvas, project, tmp_path):
    from qgis.core import QgsPointXY

    t = _years(DATES)
    rng = np.random.default_rng(11)
    n = len(DATES)
    cube = np.zeros((n, 1, 3), np.float32)
    cube[:, 0, 0] = -5.0 * t + 0.5 * 40.0 * t ** 2 + rng.normal(0, 0.3, n)  # accelerating
    cube[:, 0, 1] = -3.0 * t - 15.0 * (np.arange(n) >= 20) + rng.normal(0, 0.3, n)  # a step before the 21st date
    doy = np.array([(d - dt.date(d.year, 1, 1)).days / 365.25 for d in DATES])
    cube[:, 0, 2] = 2.0 * t + 6.0 * np.cos(2 * np.pi * doy - 1.0) + rng.normal(0, 0.3, n)  # annual, 6 mm
    layer = _raster(project, write_series_raster(tmp_path / "fits.tif", cube), "fits")
    _view(canvas, layer)
    dock.set_series_layer(layer)
    for c in range(3):
        assert dock.pick_at(QgsPointXY(GT_UTM[0] + 30 * c + 15, GT_UTM[3] - 15))
    assert dock.wait_for_reads()
    acc, step, seasonal = dock.series

    dock.set_model("quadratic")
    fit = dock.fits[acc.key]
    c2, c1, _ = np.polyfit(t, acc.values_mm, 2)  # numpy's least squares
    p = {name: v for name, v, _, _ in fit.params}
    assert p["acceleration_mm_yr2"] == pytest.approx(2 * c2, abs=1e-6) == pytest.approx(40.0, abs=5.0)
    assert p["velocity_mm_yr"] == pytest.approx(c1, abs=1e-6)
    assert fit.acceleration is not None
    texts = [x.get_text() for x in dock.figure.axes[0].texts]
    assert any(x.startswith("accelerating: a +") for x in texts)
    row = [dock.table.item(r, 1).text() for r in range(3)][0]
    assert "quadratic: v₀" in row and "a +" in row and "mm/yr²" in row

    dock.set_model("Linear + annual and semi-annual")  # by its label too
    amp = next(v for name, v, _, _ in dock.fits[seasonal.key].params if name == "annual_amplitude_mm")
    assert amp == pytest.approx(6.0, abs=0.6)

    dock.set_model("linear")
    dock.set_breakpoints(True)
    bp = dock.fits[step.key].breakpoint
    assert bp["kind"] == "step" and bp["last_before"] == DATES[19] and bp["first_after"] == DATES[20]
    assert bp["step_mm"] == pytest.approx(-15.0, abs=1.0)
    assert dock.fits[acc.key].breakpoint is None or dock.fits[acc.key].breakpoint["kind"] == "trend"
    vlines = [ln for ln in dock.figure.axes[0].lines if ln.get_linestyle() == "--"]
    assert vlines and any(x.get_text().startswith(f"{bp['date'].isoformat()}: step -1")
                          for x in dock.figure.axes[0].texts)
    assert "break 20" in dock.table.item(1, 1).text()
    _, fits_path = dock.export_csv(str(tmp_path / "f.csv"))
    fits = _read_csv(fits_path)
    assert [r[10] for r in fits if r[0] == step.label and r[9] == "break_first_date_after"] == [DATES[20].isoformat()]

    dock.set_model("best")
    assert dock.fits[acc.key].model == "quadratic"


# ------------------------------------------------------------------------------------------ removal
def test_removing_a_layer_removes_its_curves_and_clears_the_plot(dock, canvas, ps_layer, project, tmp_path):
    from qgis.core import QgsPointXY
    from qgis.gui import QgsVertexMarker

    layer = _raster(project, write_series_raster(tmp_path / "ts.tif", np.ones((30, 6, 8))), "ts")
    _view(canvas, layer)
    dock.set_series_layer(layer)
    dock.pick_at(QgsPointXY(GT_UTM[0] + 15, GT_UTM[3] - 15))
    assert dock.wait_for_reads()
    dock.add_features(ps_layer, [0, 1])
    dock.set_model("linear")
    assert len(dock.series) == 3 and len(_canvas_items(canvas, QgsVertexMarker)) == 3
    project.removeMapLayer(layer.id())
    assert [s.layer_name for s in dock.series] == ["RADARSAT PS", "RADARSAT PS"]
    assert len(_canvas_items(canvas, QgsVertexMarker)) == 2 and "Removed 1 curve" in dock.status.text()
    assert dock.layer_combo.findText("ts") < 0
    project.removeMapLayer(ps_layer.id())
    assert dock.series == [] and _canvas_items(canvas, QgsVertexMarker) == []
    (ax,) = dock.figure.axes
    assert [ln for ln in ax.lines if ln.get_marker() == "o"] == [] and ax.get_legend() is None
    assert [x.get_text() for x in ax.texts] == ["Pick points or pixels, or draw a polygon, on the map"]
    assert dock.table.rowCount() == 0 and dock.date_combo.count() == 1


# ------------------------------------------------------------------------------------------ keyboard
def test_tab_order_and_copy(dock, ps_layer, qgis_app):
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest
    from qgis.PyQt.QtWidgets import QApplication

    order = [dock.layer_combo, dock.pick_button, dock.polygon_button, dock.selection_button, dock.model_combo,
             dock.break_check, dock.date_combo, dock.table, dock.map_date_combo, dock.map_reference_button,
             dock.neighbour_check, dock.radius_spin, dock.residual_check, dock.replica_check, dock.half_wave_spin,
             dock.reference_button, dock.remove_button,
             dock.clear_button, dock.csv_button, dock.png_button]
    for a, b in zip(order[:-1], order[1:]):
        w = a.nextInFocusChain()
        while w is not b and ((w.focusPolicy() & Qt.FocusPolicy.TabFocus) != Qt.FocusPolicy.TabFocus
                              or w.parent() is a):  # a spin box's own line edit
            w = w.nextInFocusChain()
        assert w is b, (a.text() if hasattr(a, "text") else a, w)
    dock.add_features(ps_layer, [0])
    QTest.keyClick(dock.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0] == "Curve\tModel and parameters\tWhere (CRS)\tCount\tComponent"
    assert lines[1].startswith("RADARSAT PS ") and "(EPSG:3003)\t" in lines[1]


# ------------------------------------------------------------------------------------------ GUI part
def _iface():
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtCore import QObject, pyqtSignal
    from qgis.PyQt.QtWidgets import QMainWindow

    class Iface(QObject):
        """The part of QGIS's iface the GUI part uses, with a main window and a map canvas."""

        currentLayerChanged = pyqtSignal(object)

        def __init__(self):
            super().__init__()
            self.window = QMainWindow()
            self.canvas = QgsMapCanvas(self.window)
            self.window.setCentralWidget(self.canvas)
            self.active = None
            self.docks, self.icons, self.menus, self.warnings = [], [], [], []

        def messageBar(self):
            return self

        def pushWarning(self, title, text):
            self.warnings.append(f"{title}: {text}")

        def mainWindow(self):
            return self.window

        def mapCanvas(self):
            return self.canvas

        def activeLayer(self):
            return self.active

        def setActiveLayer(self, layer):
            self.active = layer
            self.currentLayerChanged.emit(layer)

        def addDockWidget(self, area, dock):
            self.window.addDockWidget(area, dock)
            self.docks.append(dock)

        def removeDockWidget(self, dock):
            self.window.removeDockWidget(dock)
            self.docks.remove(dock)

        def addToolBarIcon(self, action):
            self.icons.append(action)

        def removeToolBarIcon(self, action):
            self.icons.remove(action)

        def addPluginToMenu(self, menu, action):
            self.menus.append(action)

        def removePluginMenu(self, menu, action):
            self.menus.remove(action)


    return Iface()


def test_gui_part_with_map_click(qgis_app, project, tmp_path):
    from qgis.core import QgsPointXY, QgsRasterLayer
    from qgis.gui import QgsMapToolPan
    from qgis.PyQt.QtCore import Qt

    from insar_geohazards.ui import gui_parts
    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerPart

    assert TimeSeriesViewerPart in gui_parts()
    raster = QgsRasterLayer(write_series_raster(tmp_path / "ts.tif", np.arange(30.0)[:, None, None] *
                                                np.ones((30, 3, 4))), "ts", "gdal")
    plain = QgsRasterLayer(write_series_raster(tmp_path / "plain.tif", np.zeros((30, 4, 4)),
                                               dates=[dt.date(2020, 1, 1)] * 30), "plain", "gdal")

    iface = _iface()
    part = TimeSeriesViewerPart(iface)
    part.init_gui()
    assert iface.docks == [] and part.dock is None and iface.icons == [part.action]  # built when first opened
    iface.window.resize(1000, 700)
    iface.window.show()
    part.action.setChecked(True)
    assert iface.docks == [part.dock] and part.dock.isVisible()
    assert iface.window.dockWidgetArea(part.dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert iface.canvas.mapTool() is part.tool and part.dock.pick_button.isChecked()
    # another map tool (e.g. pan) stops picking but keeps the dock open
    iface.canvas.setMapTool(QgsMapToolPan(iface.canvas))
    assert not part.dock.pick_button.isChecked() and part.dock.isVisible() and part.action.isChecked()
    part.dock.pick_button.setChecked(True)
    assert iface.canvas.mapTool() is part.tool
    part.dock.close()  # closing the dock unchecks the toolbar button
    assert not part.action.isChecked()
    part.action.setChecked(True)
    assert part.dock.isVisible()
    # the dock lists time-series layers only and follows the active layer
    project.addMapLayers([raster, plain])
    assert part.dock.layer_combo.findText("plain") < 0  # repeated dates: not a time series
    iface.setActiveLayer(raster)
    assert part.dock.series_layer() is raster
    iface.canvas.setDestinationCrs(raster.crs())
    iface.canvas.setExtent(raster.extent())
    iface.canvas.refresh()
    part.tool._clicked(QgsPointXY(500000.0 + 2.5 * 30, 4100000.0 - 1.5 * 30), Qt.MouseButton.LeftButton)
    assert part.dock.wait_for_reads()
    assert part.dock.series[-1].label == "ts (500075.0, 4099955.0)"
    np.testing.assert_allclose(part.dock.series[-1].values_mm, np.arange(30))
    assert len(part.dock.markers()) == 1
    part.action.setChecked(False)
    assert iface.canvas.mapTool() is not part.tool and not part.dock.isVisible()
    part.unload()
    assert iface.docks == [] and iface.icons == [] and iface.menus == []
    assert [i for i in iface.canvas.scene().items() if type(i).__name__ == "QgsVertexMarker"] == []


def test_gui_part_without_matplotlib_says_what_to_install(qgis_app, monkeypatch):
    """Debian's QGIS does not pull matplotlib in: the button stays, the dock is not built and the message bar and
    the log say which package to install; pressing the button again after installing it builds the dock."""
    import sys

    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerPart

    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # "import matplotlib..." raises ModuleNotFoundError
    iface = _iface()
    part = TimeSeriesViewerPart(iface)
    part.init_gui()
    part.action.setChecked(True)
    assert part.dock is None and not part.action.isChecked() and iface.docks == []
    assert len(iface.warnings) == 1 and "matplotlib" in iface.warnings[0]
    assert "sudo apt install python3-matplotlib" in part.problem and "Processing tools work" in part.problem
    monkeypatch.undo()  # installed
    iface.window.show()
    part.action.setChecked(True)
    assert part.dock is not None and part.dock.isVisible() and part.problem == ""
    part.unload()
    assert iface.docks == [] and iface.icons == []


def test_plugin_loads_its_tools_without_matplotlib(tmp_path):
    """The plugin loads (provider, tools, shipped models, GUI parts listed) in a QGIS whose Python has no
    matplotlib."""
    import subprocess
    import sys
    import textwrap

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent(f"""\
        import sys

        class NoMatplotlib:
            def find_spec(self, name, path=None, target=None):
                if name == "matplotlib" or name.startswith("matplotlib."):
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, NoMatplotlib())
        sys.path.insert(0, {os.path.join(root, ".build", "plugins")!r})
        from qgis.core import QgsApplication
        app = QgsApplication([], False)
        app.initQgis()
        import insar_geohazards
        plugin = insar_geohazards.classFactory(None)
        plugin.initGui()
        from insar_geohazards.ui import gui_parts
        assert gui_parts()
        algs = QgsApplication.processingRegistry().providerById("geohazard").algorithms()
        assert "matplotlib" not in sys.modules
        print(len(algs))
    """))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) >= 40


def test_long_series_read_legibly_and_the_map_time_is_marked(dock, canvas):
    """783 dates (EGMS-like, 6-day sampling) with their 1-sigma: a thin line with thinned markers over a band that
    shows, the legend under the panel (never over the data); the Temporal Controller's date marked by a line."""
    from matplotlib.collections import PolyCollection

    from insar_geohazards.ui.timeseries_data import Series
    from insar_geohazards.ui.timeseries_plot import MARKER_DATES

    dates = [dt.date(2014, 10, 1) + dt.timedelta(days=6 * k) for k in range(783)]
    t = np.arange(783) / 60.0
    for k in range(3):
        dock.add_series([Series(dates, -5.0 * t * (k + 1) + np.sin(t), name=f"point {k}", sigma_mm=np.full(783, 4.0),
                                key=("point", "test", k))])
    dock.figure.set_size_inches(7, 4)
    dock.redraw()
    ax = dock.figure.axes[0]
    lines = [ln for ln in ax.lines if ln.get_label().startswith("point")]
    assert len(lines) == 3 and all(ln.get_markevery() not in (None, 1) for ln in lines)
    shown = [len(ln.get_xdata()[::ln.get_markevery()]) for ln in lines]
    assert all(n <= MARKER_DATES for n in shown), shown
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3 and all(c.get_alpha() >= 0.25 for c in bands)
    widths = sorted(ln.get_linewidth() for ln in lines)
    assert widths[:2] == [0.6, 0.6] and widths[-1] <= 1.4  # the selected curve bolder
    dock.canvas.draw()
    renderer = dock.canvas.get_renderer()
    legend = next(a.get_legend() for a in dock.figure.axes if a.get_legend() is not None)
    legend, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert legend.y1 <= frame.y0  # under the data
    # the map's time
    from qgis.core import QgsDateTimeRange
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    start = QDateTime(QDate(2018, 3, 4), QTime(0, 0, 0))
    canvas.setTemporalRange(QgsDateTimeRange(start, start.addDays(6)))
    assert dock.map_date == dt.date(2018, 3, 4)
    marks = [ln for ln in dock.figure.axes[0].lines if ln.get_label() == "_map time"]
    assert len(marks) == 1
    from matplotlib.dates import date2num

    assert date2num(dt.date(2018, 3, 4)) == pytest.approx(date2num(marks[0].get_xdata()[0]))
    canvas.setTemporalRange(QgsDateTimeRange(QDateTime(), QDateTime()))  # the controller off
    assert dock.map_date is None and not [ln for ln in dock.figure.axes[0].lines if ln.get_label() == "_map time"]


@pytest.mark.parametrize("size", [(9.0, 4.0), (5.0, 3.2)], ids=["wide", "small"])
def test_the_chart_keeps_its_title_labels_and_legend_apart_and_warns_nothing(dock, size):
    """Six curves with long names (a layer's points): the title, the whole y-axis label and a legend of names cut
    to 30 characters, each its own, all inside the figure and none over another or over the data; the mouse over a
    legend entry shows the whole name; drawing raises no matplotlib warning (QGIS shows Python warnings in its Log
    Messages panel), at the dock's usual size and a small one."""
    import warnings

    from matplotlib.backend_bases import MouseEvent

    from insar_geohazards.ui.timeseries_data import Series
    from insar_geohazards.ui.timeseries_plot import LEGEND_CHARS, curve_name_at

    dates = [dt.date(2018, 1, 6) + dt.timedelta(days=24 * k) for k in range(30)]
    names = [f"cropA_20180106-20180130_VV_8rlks_eqa_unw pixel {k}" for k in range(6)]
    for k, name in enumerate(names):
        dock.add_series([Series(dates, -2.0 * k * np.arange(30) / 15.0, name=name,
                                where="row 120, col 88 (EPSG:4326 19.43210, -99.12345)", sigma_mm=np.full(30, 1.5),
                                key=("pixel", "test", k))])
    dock.figure.set_size_inches(*size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dock.redraw()
        dock.canvas.draw()
    ax = dock.figure.axes[0]
    legend = next(a.get_legend() for a in dock.figure.axes if a.get_legend() is not None)
    shown = [t.get_text() for t in legend.get_texts()]
    assert len(shown) == 6 and len(set(shown)) == 6 and max(map(len, shown)) <= LEGEND_CHARS, shown
    renderer = dock.canvas.get_renderer()
    figure = dock.figure.bbox
    boxes = {"title": ax.title.get_window_extent(renderer), "ylabel": ax.yaxis.label.get_window_extent(renderer),
             "legend": legend.get_window_extent(renderer), "data": ax.get_window_extent(renderer)}
    for name, box in boxes.items():  # whole, inside the figure
        assert box.x0 >= figure.x0 - 1 and box.x1 <= figure.x1 + 1 and box.y0 >= figure.y0 - 1 and \
            box.y1 <= figure.y1 + 1, (name, box, figure)
    assert boxes["ylabel"].height <= boxes["data"].height  # the label along its panel, not past it
    for a, b in (("title", "legend"), ("title", "data"), ("legend", "data"), ("ylabel", "legend")):
        assert not boxes[a].overlaps(boxes[b]), (a, b)
    text = legend.get_texts()[3]
    centre = text.get_window_extent(renderer)
    event = MouseEvent("motion_notify_event", dock.canvas, (centre.x0 + centre.x1) / 2, (centre.y0 + centre.y1) / 2)
    name = curve_name_at(dock.figure, event)
    assert name in {s.label for s in dock.series} and len(name) > LEGEND_CHARS
    assert name.startswith(text.get_text().split("…")[0]) and text.get_text().split("…")[1] in name
    dock._plot_hovered(event)
    assert dock.canvas.toolTip() == name
