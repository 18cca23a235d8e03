"""Pictures of the two worked models of docs/models_own.md in the QGIS desktop's Graphical Modeler.

Run from the repository root (after `make link` and docs/make_models_own.py):

    docs/run_in_desktop.sh docs/make_models_own_figures.py

Each model file of docs/models_own/ is opened in the model designer as *Processing > Graphical Modeler > Open
Model...* does, and the step whose dialog the page shows is opened as a double click does; the pictures are saved to
docs/img/models_own_*.png, then QGIS quits.
"""

import os
import sys

from qgis.core import QgsProcessingModelAlgorithm
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAction
from qgis.utils import iface

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402

ROOT = os.getcwd()
IMG = os.path.join(ROOT, "docs", "img")
MODELS = os.path.join(ROOT, "docs", "models_own")
#: model file -> (picture of the model, step whose dialog is shown, picture of the dialog)
SHOTS = [("sbas_to_velocity_models.model3", "models_own_sbas.png", "sbas", "models_own_sbas_step.png"),
         ("egms_to_landslide_activity.model3", "models_own_egms.png", None, None)]
STATE = {"todo": list(SHOTS)}


def _zoom_full(dlg) -> None:
    for action in dlg.findChildren(QAction):
        text = action.text().replace("&", "").lower()
        if text.startswith("zoom full") or text.startswith("zoom to all"):
            action.trigger()
            return


def next_model():
    if not STATE["todo"]:
        iface.actionExit().trigger()
        return
    from processing.modeler.ModelerDialog import ModelerDialog

    name, picture, step, step_picture = STATE["todo"].pop(0)
    model = QgsProcessingModelAlgorithm()
    model.fromFile(os.path.join(MODELS, name))
    dlg = ModelerDialog.create(model)
    dlg.resize(1100, 760)
    dlg.show()
    _zoom_full(dlg)
    STATE.update(dialog=dlg, model=model, picture=picture, step=step, step_picture=step_picture)
    QTimer.singleShot(2500, save_model)


def save_model():
    dlg = STATE["dialog"]
    _zoom_full(dlg)
    dlg.grab().save(os.path.join(IMG, STATE["picture"]))
    if STATE["step"]:
        QTimer.singleShot(500, open_step)
    else:
        close_model()


def open_step():
    """The step's dialog, as a double click on the step opens it."""
    from processing.modeler.ModelerParametersDialog import ModelerParametersDialog

    dlg = STATE["dialog"]
    model = dlg.model()
    child = model.childAlgorithm(STATE["step"])
    step = ModelerParametersDialog(child.algorithm(), model, STATE["step"], child.configuration())
    desktop_common.grab_dialog(step, (1000, 560), os.path.join(IMG, STATE["step_picture"]), 1500, close_model)


def close_model():
    dlg = STATE.pop("dialog")
    if hasattr(dlg, "setDirty"):
        dlg.setDirty(False)
    dlg.close()
    QTimer.singleShot(800, next_model)


QTimer.singleShot(6000, next_model)
