"""A user's session with dated outputs in the real QGIS desktop (run by test_desktop_time.py).

Started as ``qgis --code desktop_time_session.py`` under Xvfb with the plugin enabled; reads its inputs from
``INSAR_TIME_SESSION`` (a JSON file): a time-series GeoTIFF and a point GeoPackage with dated fields, both written
and styled by the plugin's style code. It adds the raster as Add Raster (and the Browser) add a file, and on QGIS
before 3.38 the layer-definition file beside it as the Browser opens one; adds the points as Add Vector does; then
runs QGIS's Export Animation over the map canvas's settings and reports, frame by frame, the colour drawn at the
spec's pixel and at the spec's point, with what each layer looked like once added. Writes ``report.json`` beside
the spec and quits QGIS.
"""

import datetime as dt
import glob
import json
import os
import traceback

from qgis.core import (
    QgsDateTimeRange,
    QgsInterval,
    QgsLayerDefinition,
    QgsProject,
    QgsRectangle,
    QgsTemporalUtils,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime, QTimer
from qgis.PyQt.QtGui import QImage
from qgis.PyQt.QtTest import QTest
from qgis.utils import iface

SPEC = json.load(open(os.environ["INSAR_TIME_SESSION"], encoding="utf-8"))
OUT = os.path.dirname(os.environ["INSAR_TIME_SESSION"])
REPORT = {}


def qdt(text):
    d = dt.date.fromisoformat(text)
    return QDateTime(QDate(d.year, d.month, d.day), QTime(0, 0, 0))


def frames(layers, centre, half, name):
    """Export Animation over the spec's span with the spec's step, a small window around ``centre``: the colour
    of the middle pixel of every frame."""
    settings = iface.mapCanvas().mapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[0].crs())
    settings.setExtent(QgsRectangle(centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half))
    settings.setOutputSize(QSize(9, 9))
    export = QgsTemporalUtils.AnimationExportSettings()
    export.animationRange = QgsDateTimeRange(qdt(SPEC["start"]), qdt(SPEC["end"]))
    export.frameDuration = QgsInterval(SPEC["step_days"] * 86400)
    export.outputDirectory = os.path.join(OUT, name)
    export.fileNameTemplate = "frame####.png"
    ok, error = QgsTemporalUtils.exportAnimation(settings, export)
    files = sorted(glob.glob(os.path.join(OUT, name, "frame*.png")))
    return {"ok": ok, "error": error, "colours": [QImage(f).pixelColor(4, 4).name() for f in files]}


def session():
    from insar_geohazards.fileio.display.temporal import DATES_KEY, has_ranges_per_band

    project = QgsProject.instance()
    raster = iface.addRasterLayer(SPEC["raster"], "Dated raster")  # Layer > Add Raster, the Browser
    QTest.qWait(500)
    props = raster.temporalProperties()
    REPORT["raster"] = {"active": props.isActive(), "renderer": raster.renderer().type(),
                        "band": raster.renderer().band(), "dates": raster.customProperty(DATES_KEY),
                        "per_band": has_ranges_per_band()}
    if has_ranges_per_band():
        REPORT["raster"]["ranges"] = len(props.fixedRangePerBand())
        layers = [raster]
    else:  # the .qlr beside the raster, as the Browser opens it (double click)
        ok, error = QgsLayerDefinition.loadLayerDefinition(SPEC["qlr"], project, project.layerTreeRoot())
        REPORT["qlr"] = {"ok": ok, "error": error}
        layers = [n.layer() for n in project.layerTreeRoot().findLayers() if n.layer() is not raster]
    REPORT["raster_frames"] = frames(layers, SPEC["pixel"], SPEC["pixel_size"] / 4, "raster")
    points = iface.addVectorLayer(SPEC["points"], "Dated points", "ogr")  # Layer > Add Vector
    QTest.qWait(500)
    REPORT["points"] = {"active": points.temporalProperties().isActive(), "dates": points.customProperty(DATES_KEY)}
    REPORT["points_frames"] = frames([points], SPEC["point"], 1.0, "points")


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
