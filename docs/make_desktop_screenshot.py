"""Screenshot of the demo project in QGIS desktop (docs/img/qgis_desktop_demo.png).

Run after `make demo`, from the repository root:

    docs/run_in_desktop.sh docs/make_desktop_screenshot.py --project demo_output/demo.qgz

It shows the main job's velocity map, the layer groups of every demo step and the plugin's
tools expanded in the Processing toolbox, saves the picture and quits QGIS.
"""

import os
import sys

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

sys.path.insert(0, os.path.join(os.getcwd(), "docs"))  # run by qgis --code from the repository root
import desktop_common  # noqa: E402

OUT = os.path.join(os.getcwd(), "docs", "img", "qgis_desktop_demo.png")


def arrange():
    window = desktop_common.main_window(1500, 900)
    root = QgsProject.instance().layerTreeRoot()
    # demo.qgz opens with the main job's points and velocity checked on top; show the velocity's legend
    for node in root.findLayers():
        node.setExpanded(node.layer().name().startswith("Velocity (mm/yr)") and node.isVisible())
    from processing.gui.ProcessingToolbox import ProcessingToolbox

    toolbox = window.findChild(ProcessingToolbox)
    toolbox.setVisible(True)
    toolbox.raise_()
    tree = toolbox.algorithmTree
    model = tree.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if "InSAR Geohazards" in str(model.data(index)):
            tree.expandRecursively(index)
            tree.scrollTo(index, tree.PositionAtTop)
    QTimer.singleShot(5000, save_and_quit)


def save_and_quit():
    iface.mainWindow().grab().save(OUT)
    iface.actionExit().trigger()


QTimer.singleShot(6000, arrange)
