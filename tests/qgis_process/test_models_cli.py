"""Time-series model tools and the shipped model through headless ``qgis_process``."""

import glob
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QGIS_PROCESS = shutil.which("qgis_process.bin")
RADARSAT = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def test_tools_and_model_are_listed():
    out = qgis_process("list")
    assert out.returncode == 0, out.stderr
    for alg in ("geohazard:timeseriesmodels", "geohazard:inversevelocity", "geohazard:sbastolandslideactivity"):
        assert alg in out.stdout


def test_models_and_inverse_velocity_on_real_radarsat(tmp_path):
    dst = tmp_path / "models.gpkg"
    out = qgis_process("--json", "run", "geohazard:timeseriesmodels", "--", f"INPUT={RADARSAT}",
                       "MODELS=0", "MODELS=2", "BREAKPOINTS=true", f"OUTPUT={dst}")
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout[out.stdout.index("{"):])
    assert result["results"]["OUTPUT"] == str(dst)
    from osgeo import ogr

    ds = ogr.Open(str(dst))
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 1372
    f = next(iter(layer))
    assert abs(f["LIN_VEL"] - f["VEL"]) < 0.011 and f["BRK_KIND"] in ("none", "step", "trend")
    iv = tmp_path / "iv.gpkg"
    out = qgis_process("--json", "run", "geohazard:inversevelocity", "--", f"INPUT={dst}", f"OUTPUT={iv}")
    assert out.returncode == 0, out.stdout + out.stderr
    ds_iv = ogr.Open(str(iv))
    assert ds_iv.GetLayer(0).GetFeatureCount() == 1372


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path):
    out = qgis_process("run", "geohazard:timeseriesmodels", "--", f"INPUT={RADARSAT}", "MODELS=1",
                       "ORIGIN_DATE=someday", f"OUTPUT={tmp_path / 'o.gpkg'}")
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "cannot read a date from 'someday'" in text
    assert "Traceback" not in text
    assert not (tmp_path / "o.gpkg").exists()
