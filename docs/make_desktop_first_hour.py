"""Screenshots of the desktop first hour (docs/desktop.md), taken in the real QGIS desktop.

Run from the repository root (after `make link`; docs/run_in_desktop.sh makes the throw-away profile that
enables the plugin):

    docs/run_in_desktop.sh docs/make_desktop_first_hour.py

It opens the shipped model in the Graphical Modeler and validates it, opens the SBAS dialog
on the bundled Sentinel-1 Mexico City folder, runs the tool as the dialog does (outputs loaded
into the project) and saves docs/img/desktop_*.png, then quits QGIS.
"""

import os
import sys
import tempfile

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAction
from qgis.utils import iface

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402

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
    desktop_common.grab_dialog(dlg, (1200, 980), os.path.join(IMG, "desktop_sbas_dialog.png"), 2500,
                               lambda: QTimer.singleShot(500, run_sbas))


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
    desktop_common.main_window(1500, 900, layers_width=470)
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
