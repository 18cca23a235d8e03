"""The plugin installed from its zip in a running QGIS desktop, as Plugins > Manage and Install Plugins > Install
from ZIP does it (run by install_stall.py: ``qgis --code install_session.py`` under Xvfb, a fresh profile).

Environment: ``SESSION_OUT`` (the report's folder), ``PLUGIN_ZIP`` (the zip), ``SHOW_TOOLBOX`` (1: the Processing
toolbox open, as a user who runs tools has it), ``PROFILE`` (1: a cProfile of the install's call, the 40 costliest
entries), ``SCREENSHOT`` (a PNG of the window 10 s after the install). A 10 ms timer beats in the event loop; the
report gives the longest pause of the loop from the install's start until 10 s after it (the window does not repaint
meanwhile), the install call's wall and CPU seconds, the CPU seconds of this process over the whole span (every
thread), and the part spent in the plugin's ``initGui`` (``startPlugin``).
"""

import cProfile
import io
import json
import os
import pstats
import time

import qgis.utils
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDockWidget, QLineEdit

OUT = os.environ["SESSION_OUT"]
BEATS: list = []
REPORT: dict = {}


def beat():
    BEATS.append(time.perf_counter())


def timed_start(original):
    def start(name):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return original(name)
        finally:
            REPORT["start_plugin_s"] = time.perf_counter() - t0
            REPORT["start_plugin_cpu_s"] = time.process_time() - c0
    return start


def install():
    import pyplugin_installer

    if os.environ.get("SHOW_TOOLBOX") == "1":
        toolbox = next((d for d in qgis.utils.iface.mainWindow().findChildren(QDockWidget)
                        if d.objectName() == "ProcessingToolbox"), None)
        REPORT["toolbox_shown"] = toolbox is not None and toolbox.isVisible()
    installer = pyplugin_installer.instance()
    # installFromZipFile calls the name startPlugin of its own module
    pyplugin_installer.installer.startPlugin = timed_start(pyplugin_installer.installer.startPlugin)
    profile = cProfile.Profile() if os.environ.get("PROFILE") == "1" else None
    REPORT["t0"] = t0 = time.perf_counter()
    REPORT["c0"] = c0 = time.process_time()
    if profile:
        profile.enable()
    installer.installFromZipFile(os.environ["PLUGIN_ZIP"])
    if profile:
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(40)
        REPORT["profile"] = text.getvalue()
    REPORT["install_s"] = time.perf_counter() - t0
    REPORT["install_cpu_s"] = time.process_time() - c0
    REPORT["loaded"] = "insar_geohazards" in qgis.utils.plugins
    QTimer.singleShot(10000, finish)


def finish():
    t0 = REPORT.pop("t0")
    after = [t0] + [b for b in BEATS if b >= t0]
    gaps = [b - a for a, b in zip(after, after[1:])]
    REPORT["longest_pause_s"] = max(gaps) if gaps else None
    end = t0 + REPORT["install_s"]  # after QGIS's own install call: the plugin's work left to the event loop
    later = [end] + [b for b in BEATS if b >= end]
    REPORT["longest_pause_after_install_s"] = max(b - a for a, b in zip(later, later[1:]))
    REPORT["pauses_over_0.1_s"] = [round(g, 3) for g in gaps if g > 0.1]
    REPORT["cpu_until_10s_after_s"] = time.process_time() - REPORT.pop("c0")
    REPORT["load"] = os.getloadavg()
    if os.environ.get("SCREENSHOT"):  # the window 10 s after the install: the toolbox lists the plugin's tools
        window = qgis.utils.iface.mainWindow()
        REPORT["screenshot"] = window.grab().save(os.environ["SCREENSHOT"])
    with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)
    QApplication.instance().exit(0)


def show_toolbox():
    if os.environ.get("SHOW_TOOLBOX") == "1":
        toolbox = qgis.utils.iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
        toolbox.show()
        search = toolbox.findChild(QLineEdit)  # the toolbox filtered on the plugin's topic, as a user looks for it
        if search is not None and os.environ.get("SCREENSHOT"):
            search.setText("InSAR")
            QTimer.singleShot(9000, toolbox.algorithmTree.expandAll)


HEART = QTimer()
HEART.timeout.connect(beat)
HEART.start(10)
QTimer.singleShot(1000, show_toolbox)
QTimer.singleShot(4000, install)
