"""Time-series model tools and the shipped model through headless ``qgis_process``."""

import glob
import json
import os

from testutils_cli import qgis_process, requires_qgis_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RADARSAT = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
pytestmark = requires_qgis_process


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
