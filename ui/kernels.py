"""The numba kernels in the desktop: a message when numba is missing, and the background warm-up.

* Without numba: nothing to warm up; the optional packages' notice (:mod:`.optional_notice`) says it once, with
  the install line and the measured slowdown.
* After an install or an upgrade (the plugin's version differs from the one last warmed up): a low-priority
  background task compiles the kernel families into numba's cache, one family at a time, most used first, each in
  its own process of this QGIS's Python (:func:`warm_kernels.find_python`, never the first ``python3`` on PATH) at
  the lowest CPU priority (``warm_kernels.py --one FAMILY``), with progress and cancel in QGIS's task manager. A
  family counts only when its process ran this Python with numba and recorded it compiled whole; the warm-up is
  recorded as done only when every family is. Each family compiles under its cross-process lock
  (:func:`~algorithms._numba.family_lock`): a tool's run meanwhile never waits for it (it runs at the lowest
  priority, :mod:`algorithms.compile_choice`): it compiles its own kernels or runs them as numpy, saying why in its
  log. Quitting QGIS cancels the task without the "Active Tasks" question; a quit the user then calls off (Cancel at
  "Save changes?", or any question QGIS asks before it quits) leaves QGIS running, and the warm-up resumes with the
  families not compiled yet once the question is closed. A warm-up cancelled in the task manager stays cancelled.
  Started 20 s after the plugin loads, so QGIS's start is not slowed; ``INSAR_GEOHAZARDS_WARM_UP=0`` turns it off.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsTask
from qgis.PyQt.QtCore import QEvent, QObject, QSettings, QTimer
from qgis.PyQt.QtWidgets import QApplication

from ..algorithms import kernel_families
from ..algorithms.kernel_families import FAMILIES

SETTINGS_KEY = "insar_geohazards/kernels_warmed_version"
PACKAGE = __package__.rsplit(".", 1)[0]
START_DELAY_MS = 20000
#: after a warm-up cancelled by a quit, how long until QGIS is known to be still running (ms)
RESUME_CHECK_MS = 2000


def plugin_version() -> str:
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metadata.txt")
    try:
        with open(path, encoding="utf-8") as fh:
            return next((ln.split("=", 1)[1].strip() for ln in fh if ln.startswith("version=")), "")
    except OSError:
        return ""


def _warm_kernels():
    import importlib

    return importlib.import_module(f"{PACKAGE}.warm_kernels")


def python_executable() -> str:
    """The Python interpreter of this QGIS (inside the desktop ``sys.executable`` is QGIS itself); "" if none
    (:func:`warm_kernels.find_python`: this Python's own installation and version, never the first on PATH)."""
    return _warm_kernels().find_python()


def _lowest_priority():
    os.nice(19)


class WarmUpTask(QgsTask):
    """Compiles the kernel families ``names`` one at a time, each in a low-priority child process of this QGIS's
    Python. A family counts as done only when its child ran this Python's version with numba and the family is
    recorded compiled whole (its ready file); quitting QGIS cancels the task without asking (the child is
    stopped, the next start warms up again)."""

    def __init__(self, names, python: str, on_done=None):
        flags = QgsTask.Flag.CanCancel | QgsTask.Flag.CancelWithoutPrompt
        super().__init__("InSAR Geohazards: compiling fast kernels (once per install)", QgsTask.Flags(flags))
        self.names, self.python, self.on_done = list(names), python, on_done
        self.done: list = []
        self.failed: list = []
        self.reasons: dict = {}

    def _start(self, name: str, out) -> subprocess.Popen:
        kwargs = {"creationflags": 0x00004000} if os.name == "nt" else {"preexec_fn": _lowest_priority}
        return subprocess.Popen(_warm_kernels()._script_command(self.python) + ["--one", name],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)

    def _check(self, name: str, output: str, returncode: int) -> str:
        """Why the child of family ``name`` did not compile it ("" when it did)."""
        import json


        line = next((ln for ln in output.splitlines() if ln.startswith("{")), "")
        try:
            res = json.loads(line) if line else {}
        except ValueError:
            res = {}
        if returncode != 0 or not res:
            return f"{self.python} failed ({returncode}): {output.strip()[-300:]}"
        if not res.get("numba"):
            return f"{self.python} has no numba"
        if list(res.get("python", [])) != list(sys.version_info[:2]):
            return f"{self.python} is Python {res.get('python')}, not this QGIS's {list(sys.version_info[:2])}"
        if not kernel_families.family_ready(kernel_families.BY_NAME[name]):
            return "the family was not recorded compiled"
        return ""

    def run(self) -> bool:
        import tempfile

        for i, name in enumerate(self.names):
            if self.isCanceled():
                return False
            self.setDescription(f"InSAR Geohazards: compiling fast kernels ({name}, {i + 1} of {len(self.names)})")
            with tempfile.TemporaryFile("w+") as out:
                proc = self._start(name, out)
                while proc.poll() is None:
                    if self.isCanceled():
                        proc.kill()
                        proc.wait()
                        return False
                    time.sleep(0.2)
                out.seek(0)
                reason = self._check(name, out.read(), proc.returncode)
            if reason:
                self.failed.append(name)
                self.reasons[name] = reason
            else:
                self.done.append(name)
            self.setProgress(100.0 * (i + 1) / len(self.names))
        return not self.failed and len(self.done) == len(self.names)

    def finished(self, result: bool) -> None:
        if self.on_done is not None:
            self.on_done(result, self)


class QuitWatch(QObject):
    """Notes when the user asks QGIS to quit: the main window's close (its title bar, the window manager) and
    Project > Exit QGIS. QGIS cancels every task without a prompt at once, then may still ask questions (save the
    project ...) whose Cancel keeps it running."""

    def __init__(self, iface, on_quit):
        super().__init__()
        self.on_quit = on_quit
        self.window = iface.mainWindow()
        self.window.installEventFilter(self)
        self.action = iface.actionExit()
        self.action.triggered.connect(self._exit)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API name
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.on_quit()
        return False

    def _exit(self, *_):
        self.on_quit()

    def remove(self) -> None:
        self.window.removeEventFilter(self)
        self.action.triggered.disconnect(self._exit)


class KernelsPart:
    """GUI part: the numba message and the background warm-up (see the module docstring)."""

    def __init__(self, iface):
        self.iface = iface
        self.task = None
        self._timer = None
        self._watch = None  # QuitWatch, once a warm-up was started
        self._quit_at = None  # time.monotonic() of the last quit asked
        self._resume = None  # (QTimer, families left, time the cancelled warm-up started) after a cancel

    def init_gui(self) -> None:
        if importlib.util.find_spec("numba") is None:
            return
        if os.environ.get("INSAR_GEOHAZARDS_WARM_UP", "1") == "0" or not self.needs_warm_up():
            return
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.start_warm_up)
        self._timer.start(START_DELAY_MS)

    @staticmethod
    def needs_warm_up() -> bool:
        return QSettings().value(SETTINGS_KEY, "") != plugin_version()

    def start_warm_up(self, names=None):
        """Queue the warm-up task (all families, most used first); returns it (None without a Python to run)."""
        python = python_executable()
        if not python or self._running():
            return None
        if self._watch is None and hasattr(self.iface, "actionExit"):
            self._watch = QuitWatch(self.iface, self._quit_asked)
        self.task = WarmUpTask(names or [f.name for f in FAMILIES], python, on_done=self._done)
        self.task.started_at = time.monotonic()
        QgsApplication.taskManager().addTask(self.task, 0)  # the lowest priority
        return self.task

    def _running(self) -> bool:
        try:
            return self.task is not None and self.task.status() not in (QgsTask.TaskStatus.Complete,
                                                                        QgsTask.TaskStatus.Terminated)
        except RuntimeError:  # deleted by the task manager once it ended
            return False

    def _quit_asked(self) -> None:
        self._quit_at = time.monotonic()

    def _done(self, ok: bool, task: WarmUpTask) -> None:
        """At the warm-up's end: :meth:`record`; cancelled with families left, a check a moment later whether it
        was a quit that QGIS survived (:meth:`_resume_after_quit`)."""
        self.record(ok, task)
        left = [n for n in task.names if n not in task.done and n not in task.failed]
        if not ok and left and task.isCanceled():
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(self._resume_after_quit)
            self._resume = (timer, left, task.started_at)
            timer.start(RESUME_CHECK_MS)

    def _resume_after_quit(self) -> None:
        """QGIS is still running after the warm-up was cancelled: when a quit was asked since it started, the user
        called the quit off, and the families left are compiled now (once QGIS's questions are closed); cancelled
        in the task manager (no quit asked), it stays cancelled."""
        timer, left, started_at = self._resume
        if QApplication.activeModalWidget() is not None:  # a question of the quit still open: later
            timer.start(RESUME_CHECK_MS)
            return
        self._resume = None
        if self._quit_at is not None and self._quit_at >= started_at:
            self._quit_at = None
            self.start_warm_up(left)

    @staticmethod
    def record(ok: bool, task: WarmUpTask) -> None:
        """At the warm-up's end: recorded as done for this version only when every family compiled; otherwise the
        reasons go to QGIS's log and the next start tries again."""
        if ok and task.done and not task.failed:
            QSettings().setValue(SETTINGS_KEY, plugin_version())
        elif task.failed:
            QgsMessageLog.logMessage("Kernels not compiled ahead: " + "; ".join(
                f"{n}: {r}" for n, r in task.reasons.items()) + ". Each tool's first run compiles its own.",
                "InSAR Geohazards", Qgis.MessageLevel.Warning)

    def unload(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._resume is not None:
            self._resume[0].stop()
            self._resume = None
        if self._watch is not None:
            self._watch.remove()
            self._watch = None
        if self.task is not None:
            try:
                self.task.on_done = None  # an unload's cancel: nothing recorded, nothing resumed
                self.task.cancel()
            except RuntimeError:  # already deleted by the task manager
                pass
            self.task = None
