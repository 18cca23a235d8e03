"""Screenshots of the three things most users do (docs/desktop.md), each after its run in the real QGIS desktop.

Run from the repository root (after `make link`); a throw-away profile enables the plugin:

    mkdir -p .build/qgis-profile/profiles/default/QGIS
    printf '[PythonPlugins]\\ninsar_geohazards=true\\nprocessing=true\\n' \\
        > .build/qgis-profile/profiles/default/QGIS/QGIS3.ini
    QGIS_PLUGINPATH=$PWD/.build/plugins xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --nologo --noversioncheck --profiles-path .build/qgis-profile \\
        --code docs/make_desktop_scenarios.py

For each scenario it clears the project, runs the steps on the bundled real data as the dialog does (each run's
results loaded in a group of their own on top, the main product checked), zooms to the main product and saves
docs/img/desktop_scenario_<name>.png (``SCENARIOS=egms,earthquake`` in the environment: only those); then
quits QGIS. The steps and their parameters are the demo's
(demo/run_demo.py), so the pictures show what `make demo` computes.
"""

import glob
import importlib.util
import os
import tempfile

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import QDockWidget
from qgis.utils import iface

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
OUT = tempfile.mkdtemp(prefix="insar_geohazards_scenarios_")

spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)
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
    window = iface.mainWindow()
    window.resize(1500, 950)
    layers = None
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() in ("Browser", "PythonConsole"):
            dock.setVisible(False)
        if dock.objectName() == "Layers":
            dock.setVisible(True)
            layers = dock
    if layers is not None:  # wide enough for the layer names (quantity (unit), dates)
        window.resizeDocks([layers], [470], Qt.Orientation.Horizontal)
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
