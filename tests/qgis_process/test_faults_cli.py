"""The fault tools' public IDs work through headless ``qgis_process --json``."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "coulomb_inputs")
QGIS_PROCESS = shutil.which("qgis_process.bin")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def _json(out):
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout[out.stdout.index("{"):])


def test_fault_tools_listed():
    out = qgis_process("list")
    assert out.returncode == 0, out.stderr
    for name in ("importcoulombinput", "okadaforward", "coulombstress", "coulombonfaults", "slipinversion",
                 "uniformslipinversion"):
        assert f"geohazard:{name}" in out.stdout


def test_import_then_forward_then_coulomb_on_faults(tmp_path):
    inp = os.path.join(DATA, "Example-1.inp")
    res = _json(qgis_process("--json", "run", "geohazard:importcoulombinput", "--", f"INPUT={inp}", "CRS=EPSG:32610",
                             f"OUTPUT_SOURCES={tmp_path / 's.gpkg'}", f"OUTPUT_RECEIVERS={tmp_path / 'r.gpkg'}"))
    assert os.path.exists(res["results"]["OUTPUT_SOURCES"])
    res = _json(qgis_process("--json", "run", "geohazard:okadaforward", "--", f"FAULTS={tmp_path / 's.gpkg'}",
                             "EXTENT=-50000,50000,-50000,50000 [EPSG:32610]", "PIXEL_SIZE=10000",
                             f"OUTPUT={tmp_path / 'd.tif'}"))
    from osgeo import gdal

    arr = gdal.Open(res["results"]["OUTPUT"]).ReadAsArray()
    assert arr.shape == (4, 10, 10) and np.isfinite(arr).all()
    res = _json(qgis_process("--json", "run", "geohazard:coulombonfaults", "--", f"COULOMB_INP={inp}",
                             "CRS=EPSG:32610", f"RECEIVERS={tmp_path / 'r.gpkg'}", "DEPTHS=7.5",
                             f"OUTPUT={tmp_path / 'c.gpkg'}"))
    assert os.path.exists(res["results"]["OUTPUT"])
    res = _json(qgis_process("--json", "run", "geohazard:coulombstress", "--", f"COULOMB_INP={inp}",
                             "CRS=EPSG:32610", "DEPTHS=8", "EXTENT=-50000,50000,-50000,50000 [EPSG:32610]",
                             "PIXEL_SIZE=10000", f"OUTPUT={tmp_path / 'cfs.tif'}"))
    assert gdal.Open(res["results"]["OUTPUT"]).RasterCount == 3


def test_bad_input_is_a_clear_error(tmp_path):
    bad = os.path.join(DATA, "Example-9(Kode500).inp")
    out = qgis_process("run", "geohazard:importcoulombinput", "--", f"INPUT={bad}",
                       "CRS=EPSG:32610", f"OUTPUT_SOURCES={tmp_path / 's.gpkg'}")
    assert out.returncode != 0
    assert "Kode 500" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "s.gpkg").exists()
