"""The desktop's numba part: the background warm-up task (one family per low-priority process, progress, cancel,
run again after an upgrade), none without numba."""

import importlib.util
import sys

import pytest


class _Bar:
    def __init__(self):
        self.messages = []

    def pushMessage(self, title, text, level, duration):  # noqa: N802 - QGIS API name
        self.messages.append((title, text, level, duration))


class _Iface:
    def __init__(self):
        self.bar = _Bar()

    def messageBar(self):  # noqa: N802 - QGIS API name
        return self.bar


def test_without_numba_nothing_is_warmed_up_and_the_notice_says_it(qgis_app, monkeypatch):
    """The kernels part stays quiet (the optional packages' notice, ui/optional_notice.py, names numba with the
    other missing packages, once) and starts no warm-up."""
    from insar_geohazards.ui import kernels

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a))
    iface = _Iface()
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
    part = kernels.KernelsPart(_Iface())
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
