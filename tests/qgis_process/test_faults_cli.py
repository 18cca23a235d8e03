"""The fault tools' public IDs work through headless ``qgis_process --json``."""

import os

import numpy as np
from testutils_cli import qgis_process, requires_qgis_process, results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "coulomb_inputs")
pytestmark = requires_qgis_process


def test_fault_tools_listed():
    out = qgis_process("list")
    assert out.returncode == 0, out.stderr
    for name in ("importcoulombinput", "okadaforward", "coulombstress", "coulombonfaults", "slipinversion",
                 "uniformslipinversion"):
        assert f"geohazard:{name}" in out.stdout


def test_import_then_forward_then_coulomb_on_faults(tmp_path):
    inp = os.path.join(DATA, "Example-1.inp")
    res = results(qgis_process("--json", "run", "geohazard:importcoulombinput", "--", f"INPUT={inp}", "CRS=EPSG:32610",
                             f"OUTPUT_SOURCES={tmp_path / 's.gpkg'}", f"OUTPUT_RECEIVERS={tmp_path / 'r.gpkg'}"))
    assert os.path.exists(res["OUTPUT_SOURCES"])
    res = results(qgis_process("--json", "run", "geohazard:okadaforward", "--", f"FAULTS={tmp_path / 's.gpkg'}",
                             "EXTENT=-50000,50000,-50000,50000 [EPSG:32610]", "PIXEL_SIZE=10000",
                             f"OUTPUT={tmp_path / 'd.tif'}"))
    from osgeo import gdal

    arr = gdal.Open(res["OUTPUT"]).ReadAsArray()
    assert arr.shape == (4, 10, 10) and np.isfinite(arr).all()
    res = results(qgis_process("--json", "run", "geohazard:coulombonfaults", "--", f"COULOMB_INP={inp}",
                             "CRS=EPSG:32610", f"RECEIVERS={tmp_path / 'r.gpkg'}", "DEPTHS=7.5",
                             f"OUTPUT={tmp_path / 'c.gpkg'}"))
    assert os.path.exists(res["OUTPUT"])
    res = results(qgis_process("--json", "run", "geohazard:coulombstress", "--", f"COULOMB_INP={inp}",
                             "CRS=EPSG:32610", "DEPTHS=8", "EXTENT=-50000,50000,-50000,50000 [EPSG:32610]",
                             "PIXEL_SIZE=10000", f"OUTPUT={tmp_path / 'cfs.tif'}"))
    assert gdal.Open(res["OUTPUT"]).RasterCount == 3


def test_bad_input_is_a_clear_error(tmp_path):
    bad = os.path.join(DATA, "Example-9(Kode500).inp")
    out = qgis_process("run", "geohazard:importcoulombinput", "--", f"INPUT={bad}",
                       "CRS=EPSG:32610", f"OUTPUT_SOURCES={tmp_path / 's.gpkg'}")
    assert out.returncode != 0
    assert "Kode 500" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "s.gpkg").exists()
