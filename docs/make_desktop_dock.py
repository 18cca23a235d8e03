"""Screenshots of the time-series dock (docs/desktop.md), taken in the real QGIS desktop.

Run from the repository root (after `make link`): ``docs/run_in_desktop.sh docs/make_desktop_dock.py``.

With the bundled RADARSAT PS of Boissano (real data) it clicks two PS and draws a polygon with
the mouse, chooses the quadratic model and breakpoints, and saves the desktop
(docs/img/desktop_dock.png) and the exported plot (docs/img/desktop_dock_export.png). Then it
writes the synthetic component group of the tests (up/east with 1-sigma, two LOS rasters and a
LOS point file, tests/testutils_dock.py) to a temporary folder, picks a pixel of the up raster
and saves the dock (docs/img/desktop_dock_group.png); then quits QGIS.
"""

import glob
import os
import sys
import tempfile

from qgis.core import (
    QgsGraduatedSymbolRenderer,
    QgsMarkerSymbol,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsRendererRange,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface, plugins

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
PS = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
OUT = tempfile.mkdtemp(prefix="insar_geohazards_dock_")


def click(x, y, button=Qt.MouseButton.LeftButton):
    desktop_common.click_map(x, y, button, wait_ms=200)


def velocity_style(layer):
    ranges = []
    for lo, hi, colour, label in ((-30, -8, "#b2182b", "< -8 mm/yr"), (-8, -3, "#ef8a62", "-8 to -3"),
                                  (-3, 3, "#bababa", "-3 to 3"), (3, 30, "#2166ac", "> 3 mm/yr")):
        sym = QgsMarkerSymbol.createSimple({"name": "circle", "color": colour, "size": "1.6",
                                            "outline_style": "no"})
        ranges.append(QgsRendererRange(lo, hi, sym, label))
    layer.setRenderer(QgsGraduatedSymbolRenderer("VEL", ranges))


def dock():
    return iface.mainWindow().findChild(QDockWidget, "InsarGeohazardsTimeSeriesViewer")


def ps_session():
    window = desktop_common.main_window(1560, 960)
    layer = QgsVectorLayer(PS, "RADARSAT PS", "ogr")
    velocity_style(layer)
    QgsProject.instance().addMapLayer(layer)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(layer.crs())
    QTest.qWait(1000)
    part = next(p for p in plugins["insar_geohazards"]._gui_parts if type(p).__name__ == "TimeSeriesViewerPart")
    if not part.action.isChecked():  # the profile may restore the dock from an earlier run
        part.action.trigger()
    if not dock().pick_button.isChecked():
        QTest.mouseClick(dock().pick_button, Qt.MouseButton.LeftButton)
    iface.setActiveLayer(layer)
    QTest.qWait(500)
    window.resizeDocks([dock()], [800], Qt.Orientation.Horizontal)
    QTest.qWait(300)
    canvas.setExtent(QgsRectangle(1437550.0, 4887350.0, 1438850.0, 4887950.0))
    canvas.refresh()
    QTest.qWait(1000)
    for code in ("A1EMM", "A1DAT"):
        p = next(f for f in layer.getFeatures() if f["CODE"] == code).geometry().asPoint()
        click(p.x() + 1.0, p.y())
    QTest.mouseClick(dock().polygon_button, Qt.MouseButton.LeftButton)
    ring = [(1437700.0, 4887830.0), (1437880.0, 4887800.0), (1437860.0, 4887650.0), (1437690.0, 4887640.0)]
    for x, y in ring:
        click(x, y)
    click(*ring[-1], button=Qt.MouseButton.RightButton)
    dock().set_model("quadratic")
    dock().set_breakpoints(True)
    QTimer.singleShot(2500, save_ps)


def save_ps():
    window = iface.mainWindow()
    window.grab().save(os.path.join(IMG, "desktop_dock.png"))
    dock().export_png(os.path.join(IMG, "desktop_dock_export.png"), dpi=110)
    dock().export_csv(os.path.join(OUT, "boissano.csv"))
    QgsProject.instance().removeAllMapLayers()  # the dock clears with the layers
    QTimer.singleShot(800, group_session)


def group_session():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from testutils_dock import write_component_group

    paths = write_component_group(os.path.join(OUT, "group"), points_source=True)
    up = QgsRasterLayer(paths["up"], "Up (mm)", "gdal")
    QgsProject.instance().addMapLayers([up, QgsRasterLayer(paths["east"], "East (mm)", "gdal")])
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(up.crs())
    canvas.setExtent(up.extent())
    canvas.refresh()
    iface.setActiveLayer(up)
    QTest.qWait(800)
    QTest.mouseClick(dock().pick_button, Qt.MouseButton.LeftButton)
    click(500000.0 + 5.5 * 30, 4100000.0 - 0.5 * 30)
    dock().set_breakpoints(False)
    dock().set_model("linear")
    QTimer.singleShot(2000, save_group)


def save_group():
    d = dock()
    d.grab().save(os.path.join(IMG, "desktop_dock_group.png"))
    print("dock screenshots in", IMG)
    QgsProject.instance().clear()  # nothing to save: quit without the "save project?" question
    QgsProject.instance().setDirty(False)
    iface.actionExit().trigger()


QTimer.singleShot(4000, ps_session)
