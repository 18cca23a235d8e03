"""The geometry tools' public IDs work end to end through headless qgis_process."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QGIS_PROCESS = shutil.which("qgis_process.bin")
DATA = os.path.join(ROOT, "tests", "data")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def _run(alg, *params):
    out = qgis_process("--json", "run", f"geohazard:{alg}", "--", *params)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout[out.stdout.index("{"):])["results"]


def test_geometricdistortion_on_real_dem(tmp_path):
    dem = os.path.join(DATA, "envisat_small_test", "dem", "roipac_test_trimmed.tif")
    res = _run("geometricdistortion", f"DEM={dem}", "HEADING=193.15", "INCIDENCE=22.97",
               f"OUTPUT_CLASSES={tmp_path / 'c.tif'}", f"OUTPUT_RINDEX={tmp_path / 'r.tif'}",
               f"OUTPUT_VISIBILITY={tmp_path / 'v.tif'}", f"OUTPUT_TABLE={tmp_path / 't.csv'}")
    from osgeo import gdal

    cls = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert set(np.unique(cls)) <= {0, 1, 2, 3, 4, 5, 6, 7} and (cls == 7).any()
    assert (tmp_path / "t.csv").read_text().startswith("geometry,classification")


def test_ascdescdecomposition_and_losprojection_on_real_egms(tmp_path):
    g = os.path.join(DATA, "egms_ustica")
    res = _run("ascdescdecomposition", f"ASC_POINTS={os.path.join(g, 'asc_117_subset.gpkg')}",
               f"DESC_POINTS={os.path.join(g, 'desc_022_subset.gpkg')}", f"OUTPUT_EAST={tmp_path / 'e.tif'}",
               f"OUTPUT_UP={tmp_path / 'u.tif'}", f"OUTPUT_QUALITY={tmp_path / 'q.tif'}")
    from osgeo import gdal

    assert np.isfinite(gdal.Open(res["OUTPUT_UP"]).ReadAsArray()).sum() >= 10
    res = _run("losprojection", f"POINTS={os.path.join(g, 'desc_022_subset.gpkg')}",
               f"OUTPUT_POINTS={tmp_path / 'p.gpkg'}")
    assert os.path.exists(res["OUTPUT_POINTS"])


def test_missing_geometry_is_a_clear_error(tmp_path):
    g = os.path.join(DATA, "egms_ustica")
    out = qgis_process("run", "geohazard:ascdescdecomposition", "--",
                       f"ASC_POINTS={os.path.join(g, 'asc_117_subset.gpkg')}", f"OUTPUT_EAST={tmp_path / 'e.tif'}",
                       f"OUTPUT_UP={tmp_path / 'u.tif'}", f"OUTPUT_QUALITY={tmp_path / 'q.tif'}")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "DESC" in text and "Traceback" not in text
    assert not (tmp_path / "u.tif").exists()
