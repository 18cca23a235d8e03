"""The numba kernels in the desktop: a message when numba is missing, and the background warm-up.

* Without numba: nothing to warm up; the optional packages' notice (:mod:`.optional_notice`) says it once, with
  the install line and the measured slowdown.
* After an install or an upgrade (the plugin's version differs from the one last warmed up): a low-priority
  background task compiles the kernel families into numba's cache, one family at a time, most used first, each in
  its own Python process at the lowest CPU priority (``python -m insar_geohazards.warm_kernels --one FAMILY``),
  with progress and cancel in QGIS's task manager. Each family compiles under its cross-process lock
  (:func:`~algorithms._numba.family_lock`): a tool's run compiling the same family is waited for, never doubled,
  and a run meanwhile either takes the numpy path (small) or waits for its own family only. Started 20 s after
  the plugin loads, so QGIS's start is not slowed; ``INSAR_GEOHAZARDS_WARM_UP=0`` turns it off.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt.QtCore import QSettings, QTimer

SETTINGS_KEY = "insar_geohazards/kernels_warmed_version"
PACKAGE = __package__.rsplit(".", 1)[0]
START_DELAY_MS = 20000


def plugin_version() -> str:
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metadata.txt")
    try:
        with open(path, encoding="utf-8") as fh:
            return next((ln.split("=", 1)[1].strip() for ln in fh if ln.startswith("version=")), "")
    except OSError:
        return ""


def python_executable() -> str:
    """A Python interpreter of this QGIS (inside the desktop ``sys.executable`` is QGIS itself); "" if none."""
    import shutil

    candidates = [sys.executable] if os.path.basename(sys.executable or "").lower().startswith("python") else []
    candidates += [os.path.join(sys.exec_prefix, "python.exe"), os.path.join(sys.exec_prefix, "bin", "python3"),
                   shutil.which("python3") or ""]
    return next((c for c in candidates if c and os.path.isfile(c)), "")


def _lowest_priority():
    os.nice(19)


class WarmUpTask(QgsTask):
    """Compiles the kernel families ``names`` one at a time, each in a low-priority child process."""

    def __init__(self, names, python: str, on_done=None):
        super().__init__("InSAR Geohazards: compiling fast kernels (once per install)", QgsTask.Flag.CanCancel)
        self.names, self.python, self.on_done = list(names), python, on_done
        self.done: list = []
        self.failed: list = []

    def _start(self, name: str) -> subprocess.Popen:
        env = dict(os.environ)
        plugins = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([plugins] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        kwargs = {"creationflags": 0x00004000} if os.name == "nt" else {"preexec_fn": _lowest_priority}
        return subprocess.Popen([self.python, "-m", f"{PACKAGE}.warm_kernels", "--one", name], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)

    def run(self) -> bool:
        for i, name in enumerate(self.names):
            if self.isCanceled():
                return False
            self.setDescription(f"InSAR Geohazards: compiling fast kernels ({name}, {i + 1} of {len(self.names)})")
            proc = self._start(name)
            while proc.poll() is None:
                if self.isCanceled():
                    proc.kill()
                    proc.wait()
                    return False
                time.sleep(0.2)
            (self.done if proc.returncode == 0 else self.failed).append(name)
            self.setProgress(100.0 * (i + 1) / len(self.names))
        return not self.failed

    def finished(self, result: bool) -> None:
        if self.on_done is not None:
            self.on_done(result, self)


class KernelsPart:
    """GUI part: the numba message and the background warm-up (see the module docstring)."""

    def __init__(self, iface):
        self.iface = iface
        self.task = None
        self._timer = None

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
        from ..algorithms.kernel_families import FAMILIES

        python = python_executable()
        if not python or (self.task is not None and self.task.status() not in (QgsTask.TaskStatus.Complete,
                                                                               QgsTask.TaskStatus.Terminated)):
            return None

        def done(ok, task):
            if ok:
                QSettings().setValue(SETTINGS_KEY, plugin_version())

        self.task = WarmUpTask(names or [f.name for f in FAMILIES], python, on_done=done)
        QgsApplication.taskManager().addTask(self.task, 0)  # the lowest priority
        return self.task

    def unload(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.task is not None:
            try:
                self.task.cancel()
            except RuntimeError:  # already deleted by the task manager
                pass
            self.task = None
