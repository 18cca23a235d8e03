"""A run's results loaded into a project of ~30 layers in the real QGIS desktop, against QGIS's own load of the same
files; then the current layer switched between a vector and a raster, with the plugin and after it is unloaded
(run by results_load.py: ``qgis --code results_load_session.py`` under Xvfb, the plugin enabled, the Processing
toolbox open).

Environment: ``SESSION_OUT`` (report and screenshots), ``DATA`` (the tests' data folder), ``ROUNDS`` (loads of each
kind, alternated), ``DOCK`` (1: the plugin's time-series dock open). The project: the 24 first rasters of the Mexico
City folder and 6 vector layers (QGIS's questions while they load, its datum transformations, are recorded and
closed). The run: ``sbasinversion`` on that folder (not timed), its layer outputs loaded as the Processing dialog
loads them (``handleAlgorithmResults``). Timed: from that call until the canvas has drawn again and the events it
queued are handled: wall seconds, the main thread's CPU seconds, the longest pause of a 10 ms heartbeat. "QGIS's
own": the same files loaded by the same call without the plugin's post-processors (their names, group, temporal
settings).
"""

import glob
import json
import os
import statistics
import time

import qgis.utils
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QEventLoop, QTimer
from qgis.PyQt.QtWidgets import QDockWidget

OUT = os.environ["SESSION_OUT"]
DATA = os.environ["DATA"]
ROUNDS = int(os.environ.get("ROUNDS", "3"))
MEXICO = os.path.join(DATA, "sentinel1_mexico_city", "geotiffs")
REPORT: dict = {"own": [], "ours": []}
BEATS: list = []
OUTPUTS = ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
           "OUTPUT_COHCOUNT", "OUTPUT_POINTS")


def save():
    with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)


def settle(canvas, seconds=30.0):
    """Handle events until the canvas is not drawing and nothing is queued for a moment."""
    end = time.monotonic() + seconds
    quiet = 0
    while time.monotonic() < end and quiet < 5:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        quiet = quiet + 1 if not canvas.isDrawing() else 0
        time.sleep(0.01)


def build_project():
    project, iface = QgsProject.instance(), qgis.utils.iface
    for path in sorted(glob.glob(os.path.join(MEXICO, "*.tif")))[:24]:
        project.addMapLayer(QgsRasterLayer(path, os.path.basename(path)))
    vectors = sorted(glob.glob(os.path.join(DATA, "**", "*.gpkg"), recursive=True)
                     + glob.glob(os.path.join(DATA, "**", "*.shp"), recursive=True))
    for i in range(6):
        path = vectors[i % len(vectors)]
        project.addMapLayer(QgsVectorLayer(path, f"{os.path.basename(path)} {i}", "ogr"))
    iface.mapCanvas().zoomToFullExtent()
    REPORT["project_layers"] = len(project.mapLayers())


def run_sbas(folder):
    """sbasinversion run in this thread (not timed); the context with its outputs to load."""
    from processing.tools import dataobjects

    context = dataobjects.createContext()
    alg = QgsApplication.processingRegistry().createAlgorithmById("geohazard:sbasinversion")
    params = {"INTERFEROGRAMS": MEXICO, "COHERENCE": MEXICO,
              "BASELINES": os.path.join(DATA, "sentinel1_mexico_city", "baselines")}
    for out in OUTPUTS:
        ext = ".gpkg" if out == "OUTPUT_POINTS" else ".tif"
        params[out] = QgsProcessingOutputLayerDefinition(os.path.join(folder, out.lower() + ext),
                                                         QgsProject.instance())
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok, results
    return alg, context, params


def plain_context(context):
    """The same layers to load, without the plugin's post-processors (QGIS's own load of the files)."""
    plain = QgsProcessingContext()
    plain.setProject(QgsProject.instance())
    for path, details in context.layersToLoadOnCompletion().items():
        plain.addLayerToLoadOnCompletion(path, QgsProcessingContext.LayerDetails(
            os.path.basename(path), QgsProject.instance(), details.outputName))
    return plain


def timed_load(alg, context, params):
    from processing.gui.Postprocessing import handleAlgorithmResults

    canvas = qgis.utils.iface.mapCanvas()
    before = set(QgsProject.instance().mapLayers())
    t0, c0 = time.perf_counter(), time.thread_time()
    BEATS.clear()
    handleAlgorithmResults(alg, context, QgsProcessingFeedback(), True, params)
    settle(canvas)
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    beats = [t0] + [b for b in BEATS if b >= t0]
    added = set(QgsProject.instance().mapLayers()) - before
    return {"wall_s": wall, "main_cpu_s": cpu, "longest_pause_s": max(b - a for a, b in zip(beats, beats[1:])),
            "layers": len(added)}, added


def switch_cost(n=40, batches=5):
    """Main-thread CPU seconds per switch of the current layer between a vector and a raster (median of
    ``batches`` batches of ``n`` switches)."""
    iface = qgis.utils.iface
    layers = list(QgsProject.instance().mapLayers().values())
    vector = next(lay for lay in layers if isinstance(lay, QgsVectorLayer))
    raster = next(lay for lay in layers if isinstance(lay, QgsRasterLayer))
    settle(iface.mapCanvas())
    costs = []
    for _ in range(batches):
        c0 = time.thread_time()
        for i in range(n):
            iface.setActiveLayer(vector if i % 2 == 0 else raster)
            QCoreApplication.processEvents()
        costs.append((time.thread_time() - c0) / n)
    return statistics.median(costs)


def refuse_dialogs():
    """A modal dialog would stall the session: recorded in the report and closed."""
    from qgis.PyQt.QtWidgets import QApplication

    widget = QApplication.activeModalWidget()
    if widget is not None:
        REPORT.setdefault("dialogs", []).append(widget.windowTitle())
        widget.close()


def main():
    iface = qgis.utils.iface
    toolbox = iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
    toolbox.show()
    toolbox.algorithmTree.expandAll()
    if os.environ.get("DOCK") == "1":  # the plugin's time-series dock open, as while picking curves
        part = next(p for p in qgis.utils.plugins["insar_geohazards"]._gui_parts if hasattr(p, "action")
                    and hasattr(p, "dock"))
        part.action.trigger()
        REPORT["dock_open"] = part.dock is not None and part.dock.isVisible()
    build_project()
    settle(iface.mapCanvas())
    folder = os.path.join(OUT, "run")
    os.makedirs(folder, exist_ok=True)
    alg, context, params = run_sbas(folder)
    for i in range(2 * ROUNDS):
        kind = "own" if i % 2 == 0 else "ours"
        ctx = plain_context(context) if kind == "own" else context  # ours: the run's, with its post-processors
        figures, added = timed_load(alg, ctx, params)
        REPORT[kind].append(figures)
        if i == 2 * ROUNDS - 1:
            iface.mainWindow().grab().save(os.path.join(OUT, "loaded.png"))
        else:
            QgsProject.instance().removeMapLayers(list(added))
            root = QgsProject.instance().layerTreeRoot()
            for group in [g for g in root.findGroups(True) if not g.findLayers()]:
                group.parent().removeChildNode(group)
        save()
    REPORT["switch_with_plugin_ms"] = switch_cost() * 1e3
    qgis.utils.unloadPlugin("insar_geohazards")
    REPORT["switch_without_plugin_ms"] = switch_cost() * 1e3
    for kind in ("own", "ours"):
        REPORT[f"{kind}_median"] = {k: statistics.median(r[k] for r in REPORT[kind]) for k in REPORT[kind][0]}
    REPORT["load"] = os.getloadavg()
    save()
    QgsProject.instance().clear()
    QgsApplication.instance().exit(0)


def start():
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - said in the report, the session ends
        import traceback

        REPORT["error"] = f"{exc}\n{traceback.format_exc()}"
        save()
        os._exit(3)


HEART = QTimer()
HEART.timeout.connect(lambda: BEATS.append(time.perf_counter()))
HEART.start(10)
DIALOGS = QTimer()
DIALOGS.timeout.connect(refuse_dialogs)
DIALOGS.start(500)
QTimer.singleShot(3000, start)
