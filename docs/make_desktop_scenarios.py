"""Screenshots of the three things most users do (docs/desktop.md), each after its run in the real QGIS desktop.

Run from the repository root (after `make link`; docs/run_in_desktop.sh makes the throw-away profile that
enables the plugin):

    docs/run_in_desktop.sh docs/make_desktop_scenarios.py

For each scenario it clears the project, runs the steps on the bundled real data as the dialog does (each run's
results loaded in a group of their own on top, the main product checked), zooms to the main product and saves
docs/img/desktop_scenario_<name>.png (``SCENARIOS=egms,earthquake`` in the environment: only those); then
quits QGIS. The steps and their parameters are the demo's
(demo/run_demo.py), so the pictures show what `make demo` computes.
"""

import glob
import os
import sys
import tempfile

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402
import figure_common  # noqa: E402

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
OUT = tempfile.mkdtemp(prefix="insar_geohazards_scenarios_")

demo = figure_common.load_demo()
STEPS = demo.steps(OUT)

#: name -> (the demo steps run, in order, the output zoomed to)
SCENARIOS = {
    "egms": (["geohazard:loadegms", "geohazard:adadetection", "geohazard:adaclassification"], "OUTPUT"),
    "corrected": (["geohazard:correctedsbas"], "demerror:VELOCITY"),
    "earthquake": (["geohazard:importcoulombinput", "geohazard:okadaforward", "geohazard:coulombonfaults"], None),
}
#: SCENARIOS=egms,earthquake in the environment makes only those pictures
QUEUE = [n for n in os.environ.get("SCENARIOS", ",".join(SCENARIOS)).split(",") if n in SCENARIOS]


def step(alg):
    return next(s for s in STEPS if s["alg"] == alg)


def run(alg):
    import processing

    s = step(alg)
    if "prepare" in s:
        s["prepare"]()
    params = {k: v() if callable(v) else v for k, v in s["params"].items()}
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.runAndLoadResults(alg, params, context=context, feedback=QgsProcessingFeedback())


def arrange():
    desktop_common.main_window(1500, 950, layers_width=470)
    QTimer.singleShot(1000, next_scenario)


def next_scenario():
    if not QUEUE:
        QgsProject.instance().clear()  # nothing to save: quit without the "save project?" question
        QgsProject.instance().setDirty(False)
        iface.actionExit().trigger()
        return
    name = QUEUE.pop(0)
    project = QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    algs, zoom_key = SCENARIOS[name]
    results = {}
    for alg in algs:
        results = run(alg)
    root = project.layerTreeRoot()
    group = root.children()[0]
    for other in root.children()[1:]:  # earlier steps of the chain: closed, their main layers still drawn
        other.setExpanded(False)
    layers = [n.layer() for n in group.findLayers()]
    target = layers[0]
    if zoom_key and isinstance(results.get(zoom_key), str):
        target = next((lay for lay in layers if lay.source().split("|")[0] == results[zoom_key]), target)
    for node in group.findLayers():  # the main product's legend open, the others closed
        node.setExpanded(node.layer() is target)
    canvas = iface.mapCanvas()
    project.setCrs(target.crs())
    canvas.setDestinationCrs(target.crs())
    if zoom_key:
        extent = canvas.mapSettings().layerExtentToOutputExtent(target, target.extent())
    else:  # the whole chain: every layer of the project
        extent = None
        for lay in project.mapLayers().values():
            e = canvas.mapSettings().layerExtentToOutputExtent(lay, lay.extent())
            if extent is None:
                extent = e
            else:
                extent.combineExtentWith(e)
    extent.scale(1.05)
    canvas.setExtent(extent)
    iface.setActiveLayer(target)
    STATE["name"], STATE["saved"] = name, False
    canvas.mapCanvasRefreshed.connect(rendered)
    canvas.refresh()
    QTimer.singleShot(60000, lambda: save(name))  # a slow machine: save what is drawn by then


STATE = {}


def rendered():
    """The map is drawn: save once the layer panel has caught up."""
    iface.mapCanvas().mapCanvasRefreshed.disconnect(rendered)
    name = STATE["name"]
    QTimer.singleShot(1500, lambda: save(name))


def save(name):
    if STATE.get("saved") or STATE.get("name") != name:
        return
    STATE["saved"] = True
    iface.mainWindow().grab().save(os.path.join(IMG, f"desktop_scenario_{name}.png"))
    print(f"saved desktop_scenario_{name}.png", flush=True)
    QTimer.singleShot(500, next_scenario)


assert glob.glob(os.path.join(ROOT, "tests", "data", "egms_ustica", "*.zip")), "run from the repository root"
QTimer.singleShot(3000, arrange)
