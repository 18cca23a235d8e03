"""A user's session with the time-series dock in the real QGIS desktop (run by test_desktop_dock.py).

Started as ``qgis --code desktop_dock_session.py`` under Xvfb with the plugin enabled; reads its
inputs from ``INSAR_DOCK_SESSION`` (a JSON file), drives the desktop with mouse clicks and key
presses on the real widgets, writes ``report.json`` (and the exports and a screenshot) next to it,
then quits QGIS. It also presses a tool's Help button (the URL QGIS would open is caught) and draws the
family icons in the default and the Night Mapping theme.
"""

import json
import os
import traceback

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.gui import QgsRubberBand, QgsVertexMarker
from qgis.PyQt.QtCore import QObject, QPoint, Qt, QTimer, QUrl, pyqtSlot
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDialogButtonBox, QDockWidget, QFileDialog
from qgis.utils import iface, plugins

SPEC = json.load(open(os.environ["INSAR_DOCK_SESSION"], encoding="utf-8"))
OUT = os.path.dirname(os.environ["INSAR_DOCK_SESSION"])
REPORT = {"steps": []}


def wait(ms=300):
    QTest.qWait(ms)


def click_map(x, y, button=Qt.MouseButton.LeftButton):
    canvas = iface.mapCanvas()
    p = canvas.getCoordinateTransform().transform(x, y)
    QTest.mouseClick(canvas.viewport(), button, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(round(p.x())), int(round(p.y()))))
    wait(150)


def markers(dock):
    """The dock's markers found among the map canvas's items (QGIS keeps vertex markers of its own there)."""
    items = iface.mapCanvas().scene().items()
    own = dock.markers()
    found = [i for i in items if any(i is m for m in own)]
    return ([i for i in found if isinstance(i, QgsVertexMarker)],
            [i for i in found if isinstance(i, QgsRubberBand) and i.isVisible() and i.numberOfVertices()])


def state(dock, name):
    dock.wait_for_reads()  # raster pixels and polygon means are read on a worker thread
    vm, rb = markers(dock)
    REPORT["steps"].append({
        "step": name, "series": [s.label for s in dock.series], "vertex_markers": len(vm),
        "marker_centres": [[m.center().x(), m.center().y()] for m in vm], "polygon_markers": len(rb),
        "table": [[dock.table.item(r, c).text() for c in range(dock.table.columnCount())]
                  for r in range(dock.table.rowCount())],
        "plot_curves": sum(1 for ax in dock.figure.axes for ln in ax.lines if ln.get_marker() == "o"),
        "status": dock.status.text()})


def session():
    window = iface.mainWindow()
    window.resize(1500, 950)
    for d in window.findChildren(QDockWidget):
        if d.objectName() == "Browser":
            d.setVisible(False)
    project = QgsProject.instance()
    raster = QgsRasterLayer(SPEC["raster"], "Synthetic series (mm)", "gdal")
    points = QgsVectorLayer(SPEC["points"], "RADARSAT PS", "ogr")
    project.addMapLayers([raster, points])
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(points.crs())
    canvas.setExtent(raster.extent())
    canvas.refresh()
    wait(800)
    plugin = plugins["insar_geohazards"]
    part = next(p for p in plugin._gui_parts if type(p).__name__ == "TimeSeriesViewerPart")
    REPORT["toolbar_action"] = part.action.text()
    part.action.trigger()  # the toolbar button: shows the dock and starts picking
    wait()
    dock = window.findChild(QDockWidget, "InsarGeohazardsTimeSeriesViewer")
    REPORT["dock_visible"] = dock.isVisible()
    REPORT["map_tool_is_pick"] = canvas.mapTool() is dock.point_tool

    # 1. a pixel of the raster
    iface.setActiveLayer(raster)
    wait()
    REPORT["dock_layer_follows_active"] = dock.series_layer() is raster
    click_map(*SPEC["pixel_click"])
    state(dock, "pixel")
    # 2. several points of the PS layer
    iface.setActiveLayer(points)
    wait()
    for x, y in SPEC["ps_clicks"]:
        click_map(x, y)
    state(dock, "points")
    # 3. a polygon mean on the raster, drawn with the mouse
    iface.setActiveLayer(raster)
    QTest.mouseClick(dock.polygon_button, Qt.MouseButton.LeftButton)
    REPORT["map_tool_is_polygon"] = canvas.mapTool() is dock.polygon_tool
    for x, y in SPEC["polygon"]:
        click_map(x, y)
    click_map(*SPEC["polygon"][-1], button=Qt.MouseButton.RightButton)
    state(dock, "polygon")
    # 4. a model from the keyboard: focus the model list and walk down to the quadratic
    dock.model_combo.setFocus()
    for _ in range(3):
        QTest.keyClick(dock.model_combo, Qt.Key.Key_Down)
    wait()
    REPORT["model"] = dock.model_combo.currentText()
    dock.break_check.setFocus()
    QTest.keyClick(dock.break_check, Qt.Key.Key_Space)
    wait(500)
    state(dock, "fit")
    # 5. exports through the buttons (the save dialogs answered)
    answers = {"Export time series": os.path.join(OUT, "dock.csv"), "Export plot": os.path.join(OUT, "dock.png")}
    QFileDialog.getSaveFileName = staticmethod(lambda parent, caption, *a, **k: (answers[caption], ""))
    QTest.mouseClick(dock.csv_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(dock.png_button, Qt.MouseButton.LeftButton)
    REPORT["export_status"] = dock.status.text()
    dock.raise_()
    wait(800)
    window.grab().save(os.path.join(OUT, "desktop.png"))
    # 6. Delete on the table removes the selected curve
    dock.table.setFocus()
    dock.table.selectRow(0)
    QTest.keyClick(dock.table, Qt.Key.Key_Delete)
    state(dock, "delete")
    # 7. removing the layers removes their curves; nothing left: the plot is cleared
    project.removeMapLayer(raster.id())
    state(dock, "raster_removed")
    project.removeMapLayer(points.id())
    wait()
    state(dock, "all_removed")
    REPORT["empty_text"] = [t.get_text() for ax in dock.figure.axes for t in ax.texts]
    # 8. a tool's Help button: QGIS opens the URL the tool gives (caught here instead of starting a browser)
    REPORT["help"] = open_help("geohazard:sbasinversion")
    # 9. the family icons in the default theme and in a dark one
    REPORT["icons"] = {"default": icon_report()}
    QgsApplication.setUITheme("Night Mapping")
    wait(500)
    REPORT["icons"]["Night Mapping"] = icon_report()
    window.grab().save(os.path.join(OUT, "desktop_dark.png"))
    QgsApplication.setUITheme("default")


class UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @pyqtSlot(QUrl)
    def open(self, url):
        self.urls.append(url)


def open_help(alg_id):
    """Open the tool's dialog, press its Help button; the file URL QGIS asked the desktop to open."""
    import processing

    catcher = UrlCatcher()
    for scheme in ("file", "http", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    dialog = processing.createAlgorithmDialog(alg_id)
    dialog.show()
    wait(500)
    boxes = [b for b in dialog.findChildren(QDialogButtonBox) if b.button(QDialogButtonBox.StandardButton.Help)]
    QTest.mouseClick(boxes[0].button(QDialogButtonBox.StandardButton.Help), Qt.MouseButton.LeftButton)
    wait(300)
    dialog.close()
    for scheme in ("file", "http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)
    urls = [u.toString() for u in catcher.urls]
    local = catcher.urls[0] if catcher.urls and catcher.urls[0].isLocalFile() else None
    return {"urls": urls, "file": local.toLocalFile() if local else "", "fragment": local.fragment() if local else "",
            "exists": bool(local) and os.path.isfile(local.toLocalFile())}


def icon_report():
    """Per family: the icon's file, whether it renders, and how far its drawn pixels stand out from the window's
    background colour (mean luminance difference, 0-255) in the current theme."""
    from qgis.PyQt.QtGui import QImage, QPainter
    from qgis.PyQt.QtSvg import QSvgRenderer

    background = iface.mainWindow().palette().color(iface.mainWindow().backgroundRole())
    lum = lambda c: 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()  # noqa: E731
    out = {}
    for alg in QgsApplication.processingRegistry().providerById("geohazard").algorithms():
        family = getattr(alg, "FAMILY", "")
        if not family or family in out:
            continue
        icon = alg.icon()
        pixmap = icon.pixmap(48, 48)
        image = QImage(48, 48, QImage.Format.Format_ARGB32)
        image.fill(background)
        painter = QPainter(image)
        renderer = QSvgRenderer(alg.svgIconPath())
        renderer.render(painter)
        painter.end()
        drawn = [image.pixelColor(x, y) for x in range(48) for y in range(48)
                 if image.pixelColor(x, y) != background]
        contrast = sum(abs(lum(c) - lum(background)) for c in drawn) / max(len(drawn), 1)
        out[family] = {"path": alg.svgIconPath(), "null": icon.isNull() or pixmap.isNull(),
                       "valid_svg": renderer.isValid(), "drawn_share": len(drawn) / 48 / 48,
                       "contrast": contrast, "background": background.name()}
    return out


def finish():
    try:
        session()
    except Exception:  # the report carries the traceback to the test
        REPORT["error"] = traceback.format_exc()
    with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)
    QgsProject.instance().clear()
    QgsProject.instance().setDirty(False)
    QTimer.singleShot(200, iface.actionExit().trigger)


QTimer.singleShot(2000, finish)
