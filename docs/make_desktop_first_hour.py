"""Screenshots of the desktop first hour (docs/desktop.md), taken in the real QGIS desktop.

Run from the repository root (after `make link`); a throw-away profile enables the plugin:

    mkdir -p .build/qgis-profile/profiles/default/QGIS
    printf '[PythonPlugins]\\ninsar_geohazards=true\\nprocessing=true\\n' \\
        > .build/qgis-profile/profiles/default/QGIS/QGIS3.ini
    QGIS_PLUGINPATH=$PWD/.build/plugins xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --nologo --noversioncheck --profiles-path .build/qgis-profile \\
        --code docs/make_desktop_first_hour.py

It opens the shipped model in the Graphical Modeler and validates it, opens the SBAS dialog
on the bundled Sentinel-1 Mexico City folder, runs the tool as the dialog does (outputs loaded
into the project) and saves docs/img/desktop_*.png, then quits QGIS.
"""

import os
import tempfile

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsProject
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import QAction, QDockWidget
from qgis.utils import iface

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
OUT = tempfile.mkdtemp(prefix="insar_geohazards_desktop_")
STATE = {}


def modeler():
    from processing.modeler.ModelerDialog import ModelerDialog

    model = QgsApplication.processingRegistry().algorithmById("geohazard:sbastolandslideactivity").create()
    dlg = ModelerDialog.create(model)
    dlg.resize(1400, 860)
    dlg.show()
    for action in dlg.findChildren(QAction):
        text = action.text().replace("&", "").lower()
        if text.startswith("zoom full") or text.startswith("zoom to all"):
            action.trigger()
    for action in dlg.findChildren(QAction):
        if action.text().replace("&", "").lower().startswith("validate"):
            action.trigger()
            break
    STATE["modeler"] = dlg
    QTimer.singleShot(2500, save_modeler)


def save_modeler():
    dlg = STATE.pop("modeler")
    dlg.grab().save(os.path.join(IMG, "desktop_modeler_valid.png"))
    dlg.setModified(False) if hasattr(dlg, "setModified") else None
    dlg.close()
    QTimer.singleShot(1000, sbas_dialog)


def sbas_dialog():
    from processing import createAlgorithmDialog

    # what "Add Directory..." of the multiple-layer widget puts in the list: every file of the folder
    files = sorted(os.path.join(MEXICO, f) for f in os.listdir(MEXICO))
    dlg = createAlgorithmDialog("geohazard:sbasinversion", {"INTERFEROGRAMS": files, "COHERENCE": files})
    dlg.show()
    dlg.resize(1200, 980)  # after show(): the dialog restores its last size when shown
    STATE["dialog"] = dlg
    QTimer.singleShot(2500, save_dialog)


def save_dialog():
    dlg = STATE.pop("dialog")
    dlg.grab().save(os.path.join(IMG, "desktop_sbas_dialog.png"))
    dlg.close()
    QTimer.singleShot(500, run_sbas)


def run_sbas():
    import processing

    project = QgsProject.instance()
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INTERFEROGRAMS": [MEXICO], "COHERENCE": [MEXICO], "WEIGHTING": 1,
              "REFERENCE": "-99.1780,19.4400 [EPSG:4326]",
              "OUTPUT_POINTS": os.path.join(OUT, "points.gpkg")}
    for key in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE",
                "OUTPUT_COHCOUNT"):
        params[key] = os.path.join(OUT, key.lower()[7:] + ".tif")
    processing.runAndLoadResults("geohazard:sbasinversion", params, context=context,
                                 feedback=QgsProcessingFeedback())
    window = iface.mainWindow()
    window.resize(1500, 900)
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() == "Browser":
            dock.setVisible(False)
        if dock.objectName() == "Layers":  # wide enough for the names (quantity (unit), dates)
            window.resizeDocks([dock], [470], Qt.Orientation.Horizontal)
    for node in project.layerTreeRoot().findLayers():
        node.setExpanded(node.layer().name().startswith("Velocity ("))
    layers = [lay for lay in project.mapLayers().values() if lay.name().startswith("Velocity (mm/yr)")]
    if layers:
        canvas = iface.mapCanvas()
        canvas.setDestinationCrs(layers[0].crs())
        canvas.setExtent(layers[0].extent())
        canvas.refresh()
    QTimer.singleShot(6000, save_outputs)


def save_outputs():
    iface.mainWindow().grab().save(os.path.join(IMG, "desktop_outputs_loaded.png"))
    QgsProject.instance().clear()  # nothing to save: quit without the "save project?" question
    QgsProject.instance().setDirty(False)
    iface.actionExit().trigger()


QTimer.singleShot(6000, modeler)
