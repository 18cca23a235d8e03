"""Screenshot of a Coulomb dialog in km (docs/img/desktop_coulomb_dialog_km.png, docs/desktop.md).

Run from the repository root (after `make link`):

    docs/run_in_desktop.sh docs/make_units_screenshot.py

It opens geohazard:coulombstress with a bundled Coulomb 3 file and saves the dialog, then quits QGIS.
"""

import os

from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

ROOT = os.getcwd()
STATE = {}


def open_dialog():
    from processing import createAlgorithmDialog

    inp = os.path.join(ROOT, "tests", "data", "coulomb_inputs", "Example-2_CSZ_LL.inp")
    dlg = createAlgorithmDialog("geohazard:coulombstress", {"COULOMB_INP": inp, "CRS": "EPSG:32610",
                                                            "DEPTHS": "5, 7.5, 10"})
    dlg.show()
    dlg.resize(1100, 1000)
    STATE["dialog"] = dlg
    QTimer.singleShot(2500, save)


def save():
    dlg = STATE.pop("dialog")
    dlg.grab().save(os.path.join(ROOT, "docs", "img", "desktop_coulomb_dialog_km.png"))
    dlg.close()
    iface.actionExit().trigger()


QTimer.singleShot(3000, open_dialog)
