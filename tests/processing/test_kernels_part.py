"""The desktop's numba part: the background warm-up task (one family per low-priority process, progress, cancel,
run again after an upgrade), none without numba."""

import importlib.util
import sys

import pytest
from testutils_desktop import Iface
from testutils_seed import drawn_seed


def test_without_numba_nothing_is_warmed_up_and_the_notice_says_it(qgis_app, monkeypatch):
    """The kernels part stays quiet (the optional packages' notice, ui/optional_notice.py, names numba with the
    other missing packages, once) and starts no warm-up."""
    from insar_geohazards.ui import kernels

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a))
    iface = Iface()
    part = kernels.KernelsPart(iface)
    part.init_gui()
    assert iface.bar.messages == []
    assert part.task is None and part._timer is None  # nothing to warm up without numba
    part.unload()


def test_the_warm_up_runs_after_an_upgrade_only(qgis_app, monkeypatch):
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from qgis.PyQt.QtCore import QSettings

    from insar_geohazards.ui import kernels

    QSettings().setValue(kernels.SETTINGS_KEY, kernels.plugin_version())
    assert not kernels.KernelsPart.needs_warm_up()
    QSettings().setValue(kernels.SETTINGS_KEY, "0.0.1")  # the version warmed up before an upgrade
    assert kernels.KernelsPart.needs_warm_up()
    part = kernels.KernelsPart(Iface())
    monkeypatch.setenv("INSAR_GEOHAZARDS_WARM_UP", "1")  # the test session turns it off
    monkeypatch.setattr(kernels, "START_DELAY_MS", 3600 * 1000)
    part.init_gui()
    assert part._timer is not None and part._timer.isActive()  # started later, not during QGIS's start
    part.unload()
    assert part._timer is None
    QSettings().remove(kernels.SETTINGS_KEY)


def test_the_warm_up_task_compiles_family_by_family_and_stops_on_cancel(qgis_app):
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from insar_geohazards.ui import kernels

    python = kernels.python_executable()
    assert python and python == sys.executable  # the test runs in a Python, which the task uses
    task = kernels.WarmUpTask(["dense"], python)
    progress = []
    task.progressChanged.connect(progress.append)
    assert task.run() and task.done == ["dense"] and task.failed == []
    assert progress and progress[-1] == pytest.approx(100.0)
    cancelled = kernels.WarmUpTask(["dense", "distortion"], python)
    cancelled.cancel()
    assert not cancelled.run() and cancelled.done == []


def test_the_warm_up_python_is_this_installations_never_the_first_on_path(qgis_app, monkeypatch, tmp_path):
    """Inside QGIS ``sys.executable`` is QGIS itself: the warm-up runs in a Python of this installation and version,
    not in whatever ``python3`` comes first on PATH (another Python, without numba)."""
    import os

    from insar_geohazards import warm_kernels

    other = tmp_path / "bin" / "python3"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\nexit 3\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{other.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for executable in ("/usr/bin/qgis", str(other)):  # QGIS itself; an embedded Python's guess from PATH
        monkeypatch.setattr(sys, "executable", executable)
        monkeypatch.setattr(sys, "_base_executable", executable, raising=False)
        found = warm_kernels.find_python()
        assert found and os.path.basename(found).startswith("python") and found != str(other), found
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    import subprocess

    out = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == version, (found, out)


def test_a_warm_up_in_a_python_without_numba_is_never_recorded_as_done(qgis_app, tmp_path):
    """The warm-up's Python lacks numba: each family fails with that reason, and the task is not recorded done
    (the next start tries again), instead of "Task complete" with nothing compiled."""
    pytest.importorskip("numba", reason="numba is not installed: nothing compiles")
    from qgis.PyQt.QtCore import QSettings

    from insar_geohazards.ui import kernels

    fake = tmp_path / "python3"  # this Python, as one where numba does not import
    code = ("import runpy, sys; sys.modules['numba'] = None; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} -c "{code}" "$@"\n')
    fake.chmod(0o755)
    QSettings().remove(kernels.SETTINGS_KEY)
    part = kernels.KernelsPart(Iface())
    task = kernels.WarmUpTask(["activity"], str(fake))
    assert not task.run() and task.failed == ["activity"] and task.done == []
    assert "no numba" in task.reasons["activity"], task.reasons
    part.record(False, task)
    assert kernels.KernelsPart.needs_warm_up()  # not recorded: the next start warms up again
    task.failed, task.done = [], []
    part.record(True, task)  # a task that compiled nothing says nothing done
    assert kernels.KernelsPart.needs_warm_up()


def test_quitting_qgis_cancels_the_warm_up_without_asking(qgis_app):
    from qgis.core import QgsTask

    from insar_geohazards.ui import kernels

    task = kernels.WarmUpTask(["dense"], sys.executable)
    assert task.flags() & QgsTask.Flag.CancelWithoutPrompt and task.canCancel()


class _Desktop:
    """The parts of QGIS's iface a quit goes through: the main window and Project > Exit QGIS."""

    def __init__(self):
        from qgis.PyQt.QtWidgets import QAction, QMainWindow

        self.window = QMainWindow()
        self.exit = QAction("Exit QGIS", self.window)

    def mainWindow(self):  # noqa: N802 - QGIS API name
        return self.window

    def actionExit(self):  # noqa: N802 - QGIS API name
        return self.exit


def _wait(condition, seconds=60.0):
    import time

    from qgis.PyQt.QtCore import QCoreApplication

    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return condition()


def test_a_warm_up_cancelled_by_a_quit_called_off_resumes_with_the_families_left(qgis_app, monkeypatch):
    """QGIS cancels every task without a prompt when the user quits, then asks its questions ("Save changes?"):
    Cancel keeps QGIS running, and the warm-up resumes with the families not compiled yet, once the question is
    closed. Cancelled in the task manager instead (no quit), it stays cancelled. The family processes are stand-ins
    here (the first ends at once, as compiled; the others run until they are stopped): what is tested is when the
    warm-up runs, not what it compiles (test_the_warm_up_task_compiles_family_by_family_and_stops_on_cancel)."""
    import random
    import subprocess

    from qgis.core import QgsApplication, QgsTask
    from qgis.PyQt.QtWidgets import QMessageBox

    from insar_geohazards.ui import kernels

    names = random.Random(drawn_seed()).sample([f.name for f in kernels.FAMILIES], 3)
    started = []

    def stand_in(self, name, out):
        started.append(name)
        code = "pass" if name == names[0] else "import time; time.sleep(120)"
        return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)

    monkeypatch.setattr(kernels.WarmUpTask, "_start", stand_in)
    monkeypatch.setattr(kernels.WarmUpTask, "_check", lambda self, name, output, code: "")
    monkeypatch.setattr(kernels, "python_executable", lambda: sys.executable)
    monkeypatch.setattr(kernels, "RESUME_CHECK_MS", 50)
    desktop = _Desktop()
    part = kernels.KernelsPart(desktop)
    try:
        first = part.start_warm_up(names)
        assert _wait(lambda: started[-1:] == [names[1]])  # the first family done, the second compiling
        # Exit QGIS, as QGIS does it: every task cancelled without a prompt, then "Save changes?" stays open
        desktop.exit.trigger()
        question = QMessageBox(QMessageBox.Icon.Question, "Save Project", "Save changes?",
                               QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel)
        question.setModal(True)
        question.show()
        QgsApplication.taskManager().cancelAll()
        assert _wait(lambda: part._resume is not None)  # the warm-up ended cancelled
        assert first.done == [names[0]]
        assert not _wait(lambda: part.task is not first, seconds=0.5)  # nothing resumed while the question is open
        question.reject()  # Cancel: QGIS keeps running
        question.hide()
        assert _wait(lambda: part.task is not first and part.task is not None)
        resumed = part.task
        assert resumed.names == names[1:]  # the families left, in their order
        assert _wait(lambda: started[-1:] == [names[1]] and len(started) == 3)
        # cancelled in the task manager (no quit): it stays cancelled
        resumed.cancel()
        assert _wait(lambda: resumed.status() == QgsTask.TaskStatus.Terminated)
        assert not _wait(lambda: part.task is not resumed, seconds=0.5)
    finally:
        part.unload()
        QgsApplication.taskManager().cancelAll()


def test_closing_the_main_window_counts_as_a_quit(qgis_app):
    from qgis.PyQt.QtGui import QCloseEvent
    from qgis.PyQt.QtWidgets import QApplication

    from insar_geohazards.ui import kernels

    desktop = _Desktop()
    asked = []
    watch = kernels.QuitWatch(desktop, lambda: asked.append(1))
    QApplication.sendEvent(desktop.window, QCloseEvent())
    assert asked == [1]
    watch.remove()
    desktop.exit.trigger()
    assert asked == [1]
