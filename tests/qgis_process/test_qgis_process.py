"""The plugin loads in headless ``qgis_process`` (every tool of tests/registry.py listed) and its public IDs work end
to end."""

import glob
import json
import os

import numpy as np
import registry
from testutils_cli import listed, qgis_process, requires_qgis_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process


def test_provider_lists_algorithms():
    out = listed()
    assert out.returncode == 0, out.stderr
    assert "InSAR Geohazards" in out.stdout
    names = {word for word in out.stdout.split() if word.startswith("geohazard:")}
    missing = sorted(set(registry.TOOLS) - {word.partition(":")[2] for word in names})
    assert not missing, f"tools of tests/registry.py that qgis_process does not list: {missing}"


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
