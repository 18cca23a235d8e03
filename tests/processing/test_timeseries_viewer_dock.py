"""The time-series viewer dock opens, plots points and pixels, fits models, exports CSV/PNG (offscreen and Xvfb)."""

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_models import RADARSAT_SHP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def ps_layer(qgis_app):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(RADARSAT_SHP, "RADARSAT PS", "ogr")
    assert layer.isValid()
    return layer


def _fid(layer, code):
    return next(f.id() for f in layer.getFeatures() if f["CODE"] == code)


def test_dock_plots_points_fits_and_exports(qgis_app, ps_layer, tmp_path):
    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerDock

    dock = TimeSeriesViewerDock()
    fast = _fid(ps_layer, "A1EMM")  # VEL -11.58 mm/yr in the product
    assert dock.add_features(ps_layer, [fast, 0]) == 2
    assert dock.add_features(ps_layer, [fast]) == 0  # no duplicates
    dock.set_model("linear")
    dock.show()
    qgis_app.processEvents()
    assert len(dock.ax.lines) >= 4  # 2 series + 2 model curves
    label = next(s.label for s in dock.series if s.label.endswith("A1EMM"))
    assert "v=-11.6" in dock.fits[label][2]
    csv_path = dock.export_csv(str(tmp_path / "ts.csv"))
    with open(csv_path) as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "date" and len(rows) == 100 and rows[1][0] == "2003-03-17"
    col = rows[0].index("RADARSAT PS A1EMM (mm)")
    assert float(rows[-1][col]) == pytest.approx(-105.3, abs=0.5)
    assert "RADARSAT PS A1EMM linear model (mm)" in rows[0]
    png = dock.export_png(str(tmp_path / "ts.png"))
    assert os.path.getsize(png) > 20000
    shot = dock.grab()
    assert shot.width() > 100 and shot.height() > 100

    # reference date: every series is zero there
    dock.set_reference_date("2006-06-05")
    shown = dock.displayed()
    i = shown[0].dates.index(dt.date(2006, 6, 5))
    assert all(s.values_mm[i] == 0 for s in shown)
    # reference point: the last series becomes the reference and is subtracted
    dock.set_reference_date(None)
    before = dock.series[0].values_mm.copy()
    ref_values = dock.series[1].values_mm.copy()
    dock.set_reference_series(1)
    np.testing.assert_allclose(dock.displayed()[0].values_mm, before - ref_values)
    with pytest.raises(Exception, match="not a date of the plotted series"):
        dock.set_reference_date("1999-01-01")
    dock.clear()
    assert dock.series == [] and dock.reference_series is None


def test_dock_raster_pixel_and_gui_part_with_map_click(qgis_app, ps_layer, tmp_path):
    from qgis.core import QgsPointXY, QgsProject, QgsRasterLayer
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtWidgets import QMainWindow

    from insar_geohazards.ui import gui_parts
    from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerPart

    assert TimeSeriesViewerPart in gui_parts()
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(10)]
    cube = np.arange(10, dtype=np.float32)[:, None, None] * np.ones((10, 3, 4), np.float32)
    tif = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[d.isoformat() for d in dates])
    raster = QgsRasterLayer(tif, "ts", "gdal")
    plain = QgsRasterLayer(write_geotiff(tmp_path / "plain.tif", np.zeros((4, 4))), "plain", "gdal")

    class Iface:
        def __init__(self):
            self.window = QMainWindow()
            self.canvas = QgsMapCanvas(self.window)
            self.active = None
            self.docks, self.icons, self.menus = [], [], []

        def mainWindow(self):
            return self.window

        def mapCanvas(self):
            return self.canvas

        def activeLayer(self):
            return self.active

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

    iface = Iface()
    part = TimeSeriesViewerPart(iface)
    part.init_gui()
    assert iface.docks == [part.dock] and iface.icons == [part.action]
    assert iface.window.dockWidgetArea(part.dock) == Qt.DockWidgetArea.RightDockWidgetArea
    iface.window.show()
    part.action.setChecked(True)
    assert part.dock.isVisible()
    assert iface.canvas.mapTool() is part.tool and part.dock.pick_button.isChecked()
    # another map tool (e.g. pan) stops picking but keeps the dock open
    from qgis.gui import QgsMapToolPan

    pan = QgsMapToolPan(iface.canvas)
    iface.canvas.setMapTool(pan)
    assert not part.dock.pick_button.isChecked() and part.dock.isVisible() and part.action.isChecked()
    part.dock.pick_button.setChecked(True)
    assert iface.canvas.mapTool() is part.tool
    # closing the dock unchecks the toolbar button
    part.dock.close()
    assert not part.action.isChecked()
    part.action.setChecked(True)
    assert part.dock.isVisible()

    # a click on the raster pixel (row 1, col 2) of the active layer
    QgsProject.instance().addMapLayer(raster)
    iface.canvas.setDestinationCrs(raster.crs())
    iface.canvas.resize(400, 300)
    iface.canvas.setExtent(raster.extent())
    iface.active = raster
    part.tool._clicked(QgsPointXY(500000.0 + 2.5 * 30, 4100000.0 - 1.5 * 30), Qt.MouseButton.LeftButton)
    assert part.dock.series and part.dock.series[-1].label == "ts px(1,2)"
    np.testing.assert_allclose(part.dock.series[-1].values_mm, np.arange(10))
    iface.active = plain
    part.tool._clicked(QgsPointXY(500000.0 + 45, 4100000.0 - 45), Qt.MouseButton.LeftButton)
    assert "band 1 description '' is not a date" in part.dock.status.text()
    # a click near a PS point of the active vector layer
    iface.active = ps_layer
    iface.canvas.setDestinationCrs(ps_layer.crs())
    iface.canvas.setExtent(ps_layer.extent())
    feat = ps_layer.getFeature(_fid(ps_layer, "A1EMM"))
    p = feat.geometry().asPoint()
    part.tool._clicked(QgsPointXY(p.x() + 1.0, p.y()), Qt.MouseButton.LeftButton)
    assert part.dock.series[-1].label == "RADARSAT PS A1EMM"
    ps_layer.selectByIds([0, 1])
    assert part.dock.add_selected() == 2
    part.action.setChecked(False)
    assert iface.canvas.mapTool() is not part.tool and not part.dock.isVisible()
    part.unload()
    QgsProject.instance().removeMapLayer(raster.id())
    assert iface.docks == [] and iface.icons == [] and iface.menus == []


XVFB_SCRIPT = r"""
import os, sys
sys.path.insert(0, {plugins!r}); sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], True)
app.initQgis()
assert app.platformName() == "xcb", app.platformName()
from insar_geohazards.ui.timeseries_viewer import TimeSeriesViewerDock
layer = QgsVectorLayer({shp!r}, "RADARSAT PS", "ogr")
dock = TimeSeriesViewerDock()
codes = {{"A1EMM", "A1ATW", "A1CHP"}}
dock.add_features(layer, [f.id() for f in layer.getFeatures() if f["CODE"] in codes])
dock.set_model("seasonal")
dock.resize(980, 620)
dock.show()
app.processEvents()
dock.grab().save(os.path.join({out!r}, "dock.png"))
dock.export_csv(os.path.join({out!r}, "dock.csv"))
dock.export_png(os.path.join({out!r}, "plot.png"))
print("series", len(dock.series))
"""


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
def test_dock_under_xvfb(tmp_path):
    script = XVFB_SCRIPT.format(plugins=os.path.join(ROOT, ".build", "plugins"), shp=RADARSAT_SHP, out=str(tmp_path))
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["QT_QPA_PLATFORM"] = "xcb"
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-c", script],
                          capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "series 3" in proc.stdout
    for name in ("dock.png", "plot.png", "dock.csv"):
        assert os.path.getsize(tmp_path / name) > 1000
