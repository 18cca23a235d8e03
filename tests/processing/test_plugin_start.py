"""Enabling the plugin in a running desktop (installed from the Plugin Manager) leaves the window responsive: the
plugin's modules are imported in a thread, the provider and the GUI parts added once they are; at QGIS's start
(the main window not shown yet) everything is added before ``initGui`` returns, as a project or a ``--code`` script
opened at the start needs the tools. Each case runs in a process of its own (the session's provider is registered)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import json, sys, threading, time
from unittest import mock
sys.path.insert(0, {plugins!r})
sys.path.insert(0, "/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication
app = QgsApplication([], True)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtWidgets import QMainWindow
mode = sys.argv[1]
window = QMainWindow()
if mode != "start":
    window.show()  # QGIS's window is shown once its start is over: a plugin enabled later finds it visible
canvas = QgsMapCanvas(window)
iface = mock.MagicMock()
iface.mainWindow.return_value = window
iface.mapCanvas.return_value = canvas
from insar_geohazards.plugin import InsarGeohazardsPlugin
registry = QgsApplication.processingRegistry()
plugin = InsarGeohazardsPlugin(iface)
imported_before = "insar_geohazards.processing_provider.provider" in sys.modules
plugin.initGui()
out = {{"imported_before": imported_before,
        "at_return": [registry.providerById("geohazard") is not None, len(plugin._gui_parts)],
        "threads": [t.name for t in threading.enumerate()]}}
if mode == "unload":
    plugin.unload()
end = time.monotonic() + (3 if mode == "unload" else 120)
while time.monotonic() < end and not (mode != "unload" and registry.providerById("geohazard") is not None
                                       and plugin._gui_parts):
    app.processEvents()
    time.sleep(0.01)
provider = registry.providerById("geohazard")
from insar_geohazards.processing_provider.provider import algorithm_classes, model_algorithms
out["later"] = [provider is not None, len(plugin._gui_parts)]
out["algorithms"] = [len(provider.algorithms()) if provider else 0, len(algorithm_classes()) + 3]
print("RESULT " + json.dumps(out))
plugin.unload()
"""


def _run(mode: str) -> dict:
    plugins = os.path.join(ROOT, ".build", "plugins")
    env = {**os.environ, "PYTHONPATH": "", "QT_QPA_PLATFORM": "offscreen", "INSAR_GEOHAZARDS_WARM_UP": "0"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(plugins=plugins), mode], capture_output=True,
                          text=True, env=env, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, f"exit {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(line[len("RESULT "):])


def test_enabled_in_a_running_desktop_the_modules_load_in_a_thread_then_the_tools_appear():
    out = _run("enable")
    assert not out["imported_before"]
    # initGui returned before registering anything: the import runs in its thread
    assert out["at_return"] == [False, 0], out
    assert "geohazard-import" in out["threads"], out["threads"]
    assert out["later"] == [True, 4], out  # then the provider and the four GUI parts
    n, expected = out["algorithms"]
    assert n == expected >= 20, out  # every tool and the three shipped models


def test_at_qgis_start_the_tools_are_there_when_initgui_returns():
    out = _run("start")
    assert out["at_return"] == [True, 4], out
    assert "geohazard-import" not in out["threads"]
    n, expected = out["algorithms"]
    assert n == expected >= 20, out


def test_disabled_before_the_import_is_over_nothing_is_added():
    out = _run("unload")
    assert out["at_return"] == [False, 0], out
    assert out["later"] == [False, 0], out


@pytest.mark.parametrize("iface", [None, "no window"])
def test_without_a_window_initgui_registers_at_once(qgis_app, iface):
    """qgis_process and scripts (no iface, or one without a main window) register the provider at once."""
    from testutils_desktop import Iface

    from insar_geohazards.plugin import InsarGeohazardsPlugin

    plugin = InsarGeohazardsPlugin(None if iface is None else Iface())
    plugin._start = lambda: setattr(plugin, "started", True)
    plugin.initGui()
    assert getattr(plugin, "started", False) and plugin._importing is None
