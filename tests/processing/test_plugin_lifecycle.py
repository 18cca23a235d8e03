"""classFactory -> initProcessing/initGui -> unload, with a mock iface, and the packaged zip."""

import configparser
import os
import shutil
import subprocess
import zipfile
from unittest import mock

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _provider_ids():
    from qgis.core import QgsApplication

    return [p.id() for p in QgsApplication.processingRegistry().providers()]


def test_init_gui_and_unload_with_mock_iface(session_plugin):
    from qgis.core import QgsApplication

    import insar_geohazards

    registry = QgsApplication.processingRegistry()
    session_plugin.unload()  # test a clean lifecycle from nothing registered
    assert "geohazard" not in _provider_ids()
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtWidgets import QMainWindow

    window = QMainWindow()
    iface = mock.MagicMock()  # records calls; Qt objects must be real where widgets are parented
    iface.mainWindow.return_value = window
    iface.mapCanvas.return_value = QgsMapCanvas(window)
    plugin = None
    try:
        plugin = insar_geohazards.classFactory(iface)
        plugin.initGui()
        assert "geohazard" in _provider_ids()
        provider = registry.providerById("geohazard")
        assert provider.name() == "InSAR Geohazards"
        assert "losvelocitytovertical" in [a.name() for a in provider.algorithms()]
        plugin.initProcessing()  # called again by QGIS: must not register twice
        assert _provider_ids().count("geohazard") == 1
        assert iface.addToolBarIcon.called and not iface.addDockWidget.called  # the dock: when first opened
        viewer = next(p for p in plugin._gui_parts if type(p).__name__ == "TimeSeriesViewerPart")
        viewer.action.setChecked(True)
        assert iface.addDockWidget.called and viewer.dock is not None
        plugin.unload()
        plugin = None
        assert iface.removeDockWidget.called and iface.removeToolBarIcon.called
        assert "geohazard" not in _provider_ids()
    finally:
        if plugin is not None:
            plugin.unload()
        session_plugin.initProcessing()  # restore for the other tests


def test_metadata_mandatory_keys():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "metadata.txt"))
    general = cfg["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository"):
        assert general.get(key), key
    assert general["hasProcessingProvider"] == "yes"
    assert general["qgisMinimumVersion"] == "3.22"
    # QGIS 4 (Qt6) lists the plugin only with these two keys (no maximum means 3.99)
    assert general["qgisMaximumVersion"] == "4.99"
    assert general["supportsQt6"] == "True"
    from insar_geohazards.algorithms.optional import PACKAGES
    from insar_geohazards.processing_provider.tools._base import GROUPS

    about = general["about"]
    # every package a tool needs, with what it is for (scikit-learn: the susceptibility tool)
    for package in ("numpy", "scipy", "pyproj") + tuple(p for name in PACKAGES for p in PACKAGES[name][0].split()):
        assert package in about, package
    assert "scikit-learn (the susceptibility tool" in about
    for group in GROUPS.values():  # every toolbox group, the hazard maps and interferograms included
        assert group.split(" (")[0].lower() in about.lower(), group
    version = tuple(int(v) for v in general["version"].split("."))
    assert version > (0, 2, 0) and general["changelog"].lstrip().startswith(general["version"])


def test_make_package_builds_installable_zip(tmp_path):
    if shutil.which("git") is None or subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                                                     capture_output=True).returncode != 0:
        pytest.skip("make package archives the committed tree; this checkout has no commit")
    if shutil.which("zip") is None:
        pytest.skip("the zip command is missing (make deps installs it)")
    out = subprocess.run(["make", "-s", "package"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(os.path.join(ROOT, "dist", "insar_geohazards.zip")) as z:
        names = z.namelist()
    assert "insar_geohazards/metadata.txt" in names
    assert "insar_geohazards/__init__.py" in names
    assert "insar_geohazards/processing_provider/provider.py" in names
    # the basin detector's model ships, the script that trained it does not
    assert "insar_geohazards/models/detector/basin_detector.json" in names
    assert "insar_geohazards/models/detector/train_basin_detector.py" not in names
    assert not [n for n in names if n.startswith(("insar_geohazards/tests/", "insar_geohazards/benchmarks/",
                                                  "insar_geohazards/.ci/", "insar_geohazards/scripts/"))]
    assert not [n for n in names if n.endswith((".py.in", "_src.py", "/dc3d_terms.py"))]  # templates, sources out
    assert "insar_geohazards/algorithms/faults/okada_dc3d.py" in names  # what they wrote ships
