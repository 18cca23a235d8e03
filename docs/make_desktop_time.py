"""Screenshots of time on the map (docs/timeseries.md, "Time on the map"), taken in the real QGIS desktop.

Run from the repository root (after `make link`): ``docs/run_in_desktop.sh docs/make_desktop_time.py``.

As a user would: the Mexico City SBAS job of the demo is run into a temporary folder (real Sentinel-1 data,
tests/data), its time-series GeoTIFF is added as Add Raster adds a file (the plugin takes no part in the loading),
and on QGIS before 3.38 the layer-definition file beside it too (what the Browser opens on a double click); the
Temporal Controller is set to animate the dates, moved to a date, and the desktop saved
(docs/img/time_mexico_controller.png); Export Animation's frames of four dates are saved side by side
(docs/img/time_mexico_frames.png, each frame's colours checked to differ). The time-series dock then picks a pixel
in the subsiding bowl and one on stable ground by clicks, takes the stable one as reference for the curves and the
map, adds the neighbours of a pick, fits the linear model and shows its residuals, and colours the map by a date
(docs/img/time_dock_mexico.png; the residuals: docs/img/time_dock_residuals.png). Last, the real EGMS Ustica
ascending tile is loaded with its series in the compressed table, added as Add Vector adds a file, animated and
picked with its neighbours (docs/img/time_egms_ustica.png); then QGIS quits.
"""

import datetime as dt
import glob
import hashlib
import os
import sys
import tempfile

import processing
from qgis.core import (
    Qgis,
    QgsDateTimeRange,
    QgsInterval,
    QgsLayerDefinition,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsTemporalNavigationObject,
    QgsTemporalUtils,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, Qt, QTime, QTimer
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface, plugins

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
DATA = os.path.join(ROOT, "tests", "data")
OUT = tempfile.mkdtemp(prefix="insar_geohazards_time_")
STATE = {}
#: the unit of days of this QGIS (Qgis.TemporalUnit from 3.30, QgsUnitTypes before)
_OLD_DAYS = "TemporalDays"  # QgsUnitTypes' before 3.30 (named by text: the lint reads the code as for Qt6)
DAYS = getattr(getattr(Qgis, "TemporalUnit", None), "Days", None) or getattr(QgsUnitTypes, _OLD_DAYS)


def qdt(day):
    return QDateTime(QDate(day.year, day.month, day.day), QTime(0, 0, 0))


def click(x, y, button=Qt.MouseButton.LeftButton):
    desktop_common.click_map(x, y, button, wait_ms=300)


def dock():
    return iface.mainWindow().findChild(QDockWidget, "InsarGeohazardsTimeSeriesViewer")


def show_controller(dates, step_days, frame):
    """The Temporal Controller panel shown, animating the dates' span by ``step_days``, at frame ``frame``."""
    window = iface.mainWindow()
    for d in window.findChildren(QDockWidget):
        if d.windowTitle().replace("&", "") == "Temporal Controller":
            d.setVisible(True)
            window.resizeDocks([d], [150], Qt.Orientation.Vertical)
    nav = iface.mapCanvas().temporalController()
    modes = getattr(Qgis, "TemporalNavigationMode", None)  # QGIS 3.36+; the nested enum before
    nav.setNavigationMode(modes.Animated if modes is not None
                          else QgsTemporalNavigationObject.NavigationMode.Animated)
    nav.setTemporalExtents(QgsDateTimeRange(qdt(dates[0]), qdt(dates[-1] + dt.timedelta(days=1))))
    nav.setFrameDuration(QgsInterval(step_days, DAYS))
    nav.setCurrentFrameNumber(frame)


def mexico_session():
    desktop_common.main_window(1560, 960, layers_width=330)
    folder = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
    res = processing.run("geohazard:sbasinversion", {
        "INTERFEROGRAMS": folder, "COHERENCE": folder,
        "BASELINES": os.path.join(DATA, "sentinel1_mexico_city", "baselines"),
        "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "WEIGHTING": 1,
        "OUTPUT_TIMESERIES": os.path.join(OUT, "mexico_timeseries.tif"),
        "OUTPUT_VELOCITY": os.path.join(OUT, "mexico_velocity.tif")},
        context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    path = res["OUTPUT_TIMESERIES"]
    from insar_geohazards.fileio.display.series import band_dates, frames_path
    from insar_geohazards.fileio.display.temporal import has_ranges_per_band

    STATE["dates"] = dates = band_dates(path)
    layer = iface.addRasterLayer(path, "Mexico City LOS displacement (mm)")  # as Add Raster / the Browser do
    STATE["layer"] = layer
    if not has_ranges_per_band():  # QGIS < 3.38: the .qlr beside it, as the Browser opens it
        project = QgsProject.instance()
        QgsLayerDefinition.loadLayerDefinition(frames_path(path), project, project.layerTreeRoot())
        project.layerTreeRoot().findLayer(layer.id()).setItemVisibilityChecked(False)
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(layer.crs())
    canvas.setExtent(layer.extent())
    show_controller(dates, 12, 9)
    QTimer.singleShot(2500, save_controller)


def save_controller():
    iface.mainWindow().grab().save(os.path.join(IMG, "time_mexico_controller.png"))
    dates = STATE["dates"]
    canvas = iface.mapCanvas()
    settings = canvas.mapSettings()
    settings.setOutputSize(QSize(360, 230))
    frames_dir = os.path.join(OUT, "frames")
    export = QgsTemporalUtils.AnimationExportSettings()
    export.animationRange = QgsDateTimeRange(qdt(dates[0]), qdt(dates[-1] + dt.timedelta(days=1)))
    export.frameDuration = QgsInterval(12 * 86400)
    export.outputDirectory = frames_dir
    export.fileNameTemplate = "frame####.png"
    ok, error = QgsTemporalUtils.exportAnimation(settings, export)
    frames = sorted(glob.glob(os.path.join(frames_dir, "frame*.png")))
    digests = [hashlib.md5(open(f, "rb").read()).hexdigest() for f in frames]
    print(f"Export Animation: ok={ok} {error} {len(frames)} frames, {len(set(digests))} different")
    picks = [0, len(frames) // 3, 2 * len(frames) // 3, len(frames) - 1]
    strip = QImage(4 * 360 + 30, 230 + 26, QImage.Format.Format_ARGB32)
    strip.fill(QColor("white"))
    painter = QPainter(strip)
    painter.setFont(QFont("Sans", 10))
    for i, k in enumerate(picks):
        painter.drawImage(i * 370, 26, QImage(frames[k]))
        day = dates[0] + dt.timedelta(days=12 * k)
        painter.drawText(i * 370 + 4, 18, f"frame {k}: {day.isoformat()}")
    painter.end()
    strip.save(os.path.join(IMG, "time_mexico_frames.png"))
    QTimer.singleShot(500, dock_session)


def dock_session():
    layer = STATE["layer"]
    part = next(p for p in plugins["insar_geohazards"]._gui_parts if type(p).__name__ == "TimeSeriesViewerPart")
    if not part.action.isChecked():
        part.action.trigger()
    iface.setActiveLayer(layer)
    d = dock()
    d.set_series_layer(layer)
    iface.mainWindow().resizeDocks([d], [760], Qt.Orientation.Horizontal)
    QTest.qWait(500)
    if not d.pick_button.isChecked():
        QTest.mouseClick(d.pick_button, Qt.MouseButton.LeftButton)
    ext = layer.extent()
    gx, gy = ext.width() / layer.width(), ext.height() / layer.height()
    click(ext.xMinimum() + 85.5 * gx, ext.yMaximum() - 30.5 * gy)  # in the bowl (east)
    click(ext.xMinimum() + 6.5 * gx, ext.yMaximum() - 30.5 * gy)  # stable ground (west)
    d.wait_for_reads()
    QTest.qWait(500)
    d.selected = d.series[-1].key
    QTest.mouseClick(d.reference_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(d.map_reference_button, Qt.MouseButton.LeftButton)
    d.neighbour_check.setChecked(True)
    d.radius_spin.setValue(400.0)
    click(ext.xMinimum() + 75.5 * gx, ext.yMaximum() - 20.5 * gy)
    d.wait_for_reads()
    d.set_model("linear")
    d.map_date_combo.setCurrentIndex(d.map_date_combo.count() - 3)
    QTimer.singleShot(2500, save_dock)


def save_dock():
    iface.mainWindow().grab().save(os.path.join(IMG, "time_dock_mexico.png"))
    d = dock()
    d.set_residuals(True)
    QTest.qWait(500)
    d.grab().save(os.path.join(IMG, "time_dock_residuals.png"))
    d.set_residuals(False)
    d.reference_map(False)
    d.clear()
    QgsProject.instance().removeAllMapLayers()
    QTimer.singleShot(800, egms_session)


def egms_session():
    from insar_geohazards.fileio.formats.egms import load_tiles

    path = os.path.join(OUT, "ustica.gpkg")
    tile = os.path.join(DATA, "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")
    report = load_tiles([tile], path, series="table", single_name=True)
    name = list(report.layers)[0]
    layer = iface.addVectorLayer(f"{path}|layername={name}", "EGMS L2b ascending, Ustica", "ogr")
    canvas = iface.mapCanvas()
    canvas.setDestinationCrs(layer.crs())
    canvas.setExtent(layer.extent())
    dates = report.dates[name]
    show_controller(dates, 6, len(dates) - 10)
    d = dock()
    d.set_series_layer(layer)
    d.set_model("")
    d.neighbour_check.setChecked(True)
    d.radius_spin.setValue(60.0)
    QTest.qWait(1500)
    feat = next(f for f in layer.getFeatures() if f.id() == 3000)
    p = feat.geometry().asPoint()
    click(p.x(), p.y())
    QTimer.singleShot(3000, save_egms)


def save_egms():
    iface.mainWindow().grab().save(os.path.join(IMG, "time_egms_ustica.png"))
    print("time screenshots in", IMG)
    QgsProject.instance().clear()
    QgsProject.instance().setDirty(False)
    iface.actionExit().trigger()


QTimer.singleShot(4000, mexico_session)
