"""A quit called off in the real QGIS desktop while the kernels' warm-up runs (run by test_desktop_warm_up.py).

Started as ``qgis --code desktop_quit_called_off_session.py`` under Xvfb with the plugin enabled. The project is
left with unsaved changes; the plugin's warm-up runs two families (their processes are stand-ins that run until
stopped: what is checked is when the warm-up runs); the user chooses Project > Exit QGIS, QGIS asks whether to save
the project, and the user answers Cancel. Recorded in ``report.json`` beside ``INSAR_WARM_UP_SESSION``: the dialogs
seen, whether the first warm-up ended cancelled, whether a second one started (and with which families), and
screenshots of the question and of the window after it (``question.png``, ``after.png``). QGIS then quits for good.
"""

import json
import os
import subprocess
import sys
import time

from qgis.core import QgsApplication, QgsProject, QgsTask
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QMessageBox
from qgis.utils import iface, plugins

OUT = os.path.dirname(os.environ["INSAR_WARM_UP_SESSION"])
REPORT = {"dialogs": []}
STATE = {}


def save():
    with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)


def stand_in(self, name, out):
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], stdout=out,
                            stderr=subprocess.STDOUT)


def answer_cancel():
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            REPORT["dialogs"].append({"title": widget.windowTitle(), "text": widget.text()})
            try:
                REPORT["cancelled_when_asked"] = STATE["first"].isCanceled()
            except RuntimeError:  # it ended and the task manager deleted it: its stand-ins never end, a cancel did
                REPORT["cancelled_when_asked"] = STATE.get("terminated", False)
            iface.mainWindow().screen().grabWindow(0).save(os.path.join(OUT, "question.png"))
            save()
            widget.button(QMessageBox.StandardButton.Cancel).click()
            return


def start():
    plugin = plugins["insar_geohazards"]
    part = next(p for p in plugin._gui_parts if type(p).__name__ == "KernelsPart")
    kernels = sys.modules[type(part).__module__]
    kernels.WarmUpTask._start = stand_in
    STATE["part"] = part
    QgsProject.instance().setTitle("unsaved")
    QgsProject.instance().setDirty(True)
    STATE["first"] = part.start_warm_up(["dense", "distortion"])
    STATE["first"].taskTerminated.connect(lambda: STATE.update(terminated=True))
    REPORT["first_started"] = STATE["first"] is not None
    save()
    deadline = time.monotonic() + 60

    def wait_running():
        if STATE["first"].status() == QgsTask.TaskStatus.Running:
            dialogs = QTimer(QApplication.instance())
            dialogs.timeout.connect(answer_cancel)
            dialogs.start(200)
            STATE["dialogs"] = dialogs
            QTimer.singleShot(20000, check)
            iface.actionExit().trigger()  # returns once the question is answered
            REPORT["still_up_after_cancel"] = True
            save()
        elif time.monotonic() < deadline:
            QTimer.singleShot(200, wait_running)
        else:
            REPORT["error"] = f"the warm-up task never ran (status {STATE['first'].status()})"
            save()
            os._exit(3)

    wait_running()


def check():
    part = STATE["part"]
    task = part.task
    try:
        REPORT["resumed"] = task is not None and task is not STATE["first"] and task.status() in (
            QgsTask.TaskStatus.Running, QgsTask.TaskStatus.Queued)
        REPORT["resumed_families"] = list(task.names) if REPORT["resumed"] else []
    except RuntimeError:
        REPORT["resumed"] = False
    REPORT["active_tasks"] = QgsApplication.taskManager().countActiveTasks()
    iface.mainWindow().screen().grabWindow(0).save(os.path.join(OUT, "after.png"))
    save()
    STATE["dialogs"].stop()
    QgsProject.instance().setDirty(False)
    QTimer.singleShot(60000, lambda: os._exit(4))  # the real quit below must end QGIS
    iface.actionExit().trigger()


QTimer.singleShot(2000, start)
