"""Quitting the real QGIS desktop while the kernels' warm-up runs (run by test_desktop_warm_up.py).

Started as ``qgis --code desktop_warm_up_session.py`` under Xvfb with the plugin enabled: starts the plugin's
warm-up task (a family that compiles for a while, in an empty numba cache), waits until its child process runs,
then quits QGIS as the File menu's Exit does. Any dialog that shows meanwhile (QGIS's "Active Tasks" question) is
recorded and answered with its default button. Writes ``report.json`` beside ``INSAR_WARM_UP_SESSION`` before the
quit; if QGIS is still up 60 s after the quit, it records that and ends the process.
"""

import json
import os
import time

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDialog, QMessageBox
from qgis.utils import iface, plugins

OUT = os.path.dirname(os.environ["INSAR_WARM_UP_SESSION"])
REPORT = {"dialogs": []}


def save():
    with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(REPORT, fh, indent=1)


def answer_dialogs():
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, (QMessageBox, QDialog)) and widget.isVisible():
            text = widget.text() if isinstance(widget, QMessageBox) else widget.windowTitle()
            REPORT["dialogs"].append({"title": widget.windowTitle(), "text": text})
            save()
            if isinstance(widget, QMessageBox) and widget.defaultButton() is not None:
                widget.defaultButton().click()
            else:
                widget.reject()


def start():
    plugin = plugins["insar_geohazards"]
    part = next(p for p in plugin._gui_parts if type(p).__name__ == "KernelsPart")
    task = part.start_warm_up(["phase_linking"])
    REPORT["task_started"] = task is not None
    save()
    deadline = time.monotonic() + 60

    def wait_running():
        if task.status() == QgsTask.TaskStatus.Running and time.monotonic() > deadline - 55:
            REPORT["active_tasks"] = QgsApplication.taskManager().countActiveTasks()
            REPORT["quit_at"] = time.time()
            save()
            dialogs = QTimer(QApplication.instance())
            dialogs.timeout.connect(answer_dialogs)
            dialogs.start(200)
            QTimer.singleShot(60000, still_up)
            iface.actionExit().trigger()
        elif time.monotonic() < deadline:
            QTimer.singleShot(200, wait_running)
        else:
            REPORT["error"] = f"the warm-up task never ran (status {task.status()})"
            save()
            os._exit(3)

    wait_running()


def still_up():
    REPORT["still_up_after_quit"] = True
    save()
    os._exit(4)


QTimer.singleShot(2000, start)
