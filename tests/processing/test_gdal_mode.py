"""The plugin leaves GDAL's error mode of the QGIS process as it found it.

GDAL's Python bindings keep one mode for the whole process: errors as exceptions (``gdal.UseExceptions``) or as
None returns. QGIS's own Python (DB Manager's ``isValidDatabase``, Processing's GDAL tools) and other plugins
expect None returns, so loading the plugin, checking or running a tool, or reading a pixel for the dock must not
switch it for good. Run in a process of its own: the test session itself keeps exceptions on for the tests that
call the file layer directly (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import testutils_hostile as hk
from conftest import PLUGINS

SCRIPT = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
for p in ("/usr/share/qgis/python/plugins", "/usr/share/qgis/python"):
    sys.path.append(p)
from qgis.core import QgsApplication, QgsProcessingException
app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
from osgeo import gdal, ogr

def modes():
    return [gdal.GetUseExceptions(), ogr.GetUseExceptions()]

files, bad, velocity = json.loads(sys.argv[2])
out = {"qgis": modes()}
# QGIS 3.22's Processing leaves the mode off; 3.40's GDAL provider switches it on at start: from here it is off
# either way, as in a process whose other Python expects None returns
if ogr.GetUseExceptions():
    ogr.DontUseExceptions()
if gdal.GetUseExceptions():
    gdal.DontUseExceptions()
out["start"] = modes()
from insar_geohazards.plugin import InsarGeohazardsPlugin
plugin = InsarGeohazardsPlugin(None)
plugin.initProcessing()
out["loaded"] = modes()
processing.run("geohazard:sbasinversion", {"INTERFEROGRAMS": files, "OUTPUT_VELOCITY": velocity})
out["ran"] = os.path.isfile(velocity)
out["after_run"] = modes()
try:
    processing.run("geohazard:sbasinversion", {"INTERFEROGRAMS": files[:-1] + [bad],
                                                "OUTPUT_VELOCITY": velocity + "_2.tif"})
    out["refused"] = ""
except QgsProcessingException as exc:
    out["refused"] = str(exc)
out["after_refusal"] = modes()
from insar_geohazards.ui.timeseries_data import read_pixel
from insar_geohazards.fileio.base.raster import raster_info
info = raster_info(velocity)
gt = info.geotransform
x, y = gt[0] + 3.5 * gt[1], gt[3] + 2.5 * gt[5]
try:
    read_pixel(bad, x, y, "bad.tif")
    out["dock_bad"] = ""
except Exception as exc:
    out["dock_bad"] = type(exc).__name__ + ": " + str(exc)
out["after_dock"] = modes()
# what QGIS's DB Manager does to test a GeoPackage path: a None return, not an exception
out["none_return"] = gdal.OpenEx(bad) is None and ogr.Open(bad) is None
print("RESULT " + json.dumps(out))
"""


def test_loading_checking_running_and_the_dock_leave_gdal_errors_as_qgis_had_them(tmp_path):
    pytest.importorskip("qgis.core", reason="QGIS Python bindings are not installed (run `make test`)")
    files = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=5)
    bad = str(tmp_path / "20200101_20200125.tif")
    with open(bad, "wb") as f:
        f.write(b"not a GeoTIFF, a download cut short")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", INSAR_GEOHAZARDS_WARM_UP="0")
    done = subprocess.run([sys.executable, "-c", SCRIPT, PLUGINS,
                           json.dumps([files, bad, str(tmp_path / "v.tif")])],
                          capture_output=True, text=True, env=env, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    out = json.loads(lines[-1][len("RESULT "):])
    off = [0, 0]
    assert out["qgis"] in ([0, 0], [1, 1])
    assert out["start"] == off
    assert out["loaded"] == off  # the plugin's start switches nothing
    assert out["ran"] and out["after_run"] == off
    assert "20200101_20200125.tif" in out["refused"] and "Traceback" not in out["refused"]
    assert out["after_refusal"] == off
    assert out["dock_bad"].startswith("GeohazardError") and "bad.tif" in out["dock_bad"]
    assert out["after_dock"] == off
    assert out["none_return"]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
