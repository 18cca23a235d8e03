"""The plugin loads in headless ``qgis_process`` and its public IDs work end to end."""

import glob
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QGIS_PROCESS = shutil.which("qgis_process.bin")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def test_provider_lists_algorithms():
    out = qgis_process("list")
    assert out.returncode == 0, out.stderr
    assert "InSAR Geohazards" in out.stdout
    assert "geohazard:losvelocitytovertical" in out.stdout


def test_run_json_on_real_interferogram(tmp_path):
    src = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "envisat_small_test", "tif", "*.tif")))[0]
    dst = tmp_path / "vertical.tif"
    out = qgis_process("--json", "run", "geohazard:losvelocitytovertical", "--",
                       f"INPUT={src}", "INCIDENCE=23", f"OUTPUT={dst}")
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout[out.stdout.index("{"):])
    assert result["results"]["OUTPUT"] == str(dst)
    from osgeo import gdal

    a = gdal.Open(src).ReadAsArray()
    b = gdal.Open(str(dst)).ReadAsArray()
    ok = np.isfinite(b)
    np.testing.assert_allclose(b[ok], a[ok] / np.cos(np.radians(23)), rtol=1e-6)


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path):
    bad = tmp_path / "not_a_raster.tif"
    bad.write_text("this is text")
    out = qgis_process("run", "geohazard:losvelocitytovertical", "--", f"INPUT={bad}", f"OUTPUT={tmp_path / 'o.tif'}")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "INPUT" in text
    assert "Traceback" not in text
    assert not (tmp_path / "o.tif").exists()
