"""A QGIS desktop session for the picture of docs/multisensor.md (run by docs/make_multisensor_example.py).

Started as ``qgis --code multisensor_dock_session.py`` under Xvfb with the plugin enabled; reads ``INSAR_DOCK_SESSION``
(a JSON file: the outputs of the Ustica example, the map point to click, where to save the picture), opens the up
velocity and the up and east series as layers, turns the time-series dock on with its toolbar button, clicks the cell
on the map, waits for the dock's reader thread, saves the window as a PNG and what the dock plotted as JSON, and quits.
"""

import json
import os
import traceback

from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QPoint, Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface, plugins

SPEC = json.load(open(os.environ["INSAR_DOCK_SESSION"], encoding="utf-8"))
REPORT = {}


def session():
    window = iface.mainWindow()
    window.resize(1500, 900)
    for d in window.findChildren(QDockWidget):
        if d.objectName() in ("Browser", "Browser2", "LayerStyling", "ProcessingToolbox"):
            d.setVisible(False)
    project = QgsProject.instance()
    layers = [QgsRasterLayer(SPEC[k], name, "gdal") for k, name in
              (("east", "East (mm)"), ("up", "Up (mm)"), ("velocity", "Velocities (mm/yr)"))]
    project.addMapLayers(layers)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(layers[0].crs())
    canvas.setExtent(layers[0].extent())
    canvas.refresh()
    QTest.qWait(1500)
    plugin = plugins["insar_geohazards"]
    part = next(p for p in plugin._gui_parts if type(p).__name__ == "TimeSeriesViewerPart")
    part.action.trigger()  # the toolbar button: the dock, picking on
    QTest.qWait(500)
    dock = window.findChild(QDockWidget, "InsarGeohazardsTimeSeriesViewer")
    iface.setActiveLayer(layers[1])  # the up series: a pick reads its group (up, east, their sigma, the LOS stacks)
    QTest.qWait(500)
    x, y = SPEC["click"]
    p = canvas.getCoordinateTransform().transform(x, y)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(round(p.x())), int(round(p.y()))))
    REPORT["curves_right_after_the_click"] = len(dock.series)
    REPORT["read_done"] = dock.wait_for_reads(120)
    dock.set_model("linear")
    QTest.qWait(1500)
    REPORT["series"] = [s.label for s in dock.series]
    REPORT["status"] = dock.status.text()
    REPORT["table"] = [[dock.table.item(r, c).text() for c in range(dock.table.columnCount())]
                       for r in range(dock.table.rowCount())]
    window.grab().save(SPEC["png"])


def finish():
    try:
        session()
    except Exception:  # the report carries the traceback to the script
        REPORT["error"] = traceback.format_exc()
    with open(SPEC["report"], "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)
    QgsProject.instance().clear()
    QgsProject.instance().setDirty(False)
    QTimer.singleShot(200, iface.actionExit().trigger)


QTimer.singleShot(2000, finish)
