"""Time-series public IDs through headless ``qgis_process --json run`` (folder and list forms)."""

import glob
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QGIS_PROCESS = shutil.which("qgis_process.bin")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
ENVISAT = os.path.join(ROOT, "tests", "data", "envisat_small_test", "tif")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


def run_json(alg, params):
    args = ["--json", "run", alg, "--"]
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            args.append(f"{k}={item}")
    out = qgis_process(*args)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout[out.stdout.index("{"):])["results"]


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def _outs(tmp_path):
    return {k: str(tmp_path / f"{k.lower()}.tif") for k in (
        "OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT")}


def test_sbas_mexico_city_folder_form(tmp_path):
    folder = os.path.join(MEXICO, "geotiffs")
    res = run_json("geohazard:sbasinversion", {
        "INTERFEROGRAMS": folder, "COHERENCE": folder, "BASELINES": os.path.join(MEXICO, "baselines"),
        "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "WEIGHTING": 1, "OUTPUT_REPORT": str(tmp_path / "net.html"),
        "OUTPUT_POINTS": str(tmp_path / "pts.gpkg"), **_outs(tmp_path)})
    from osgeo import gdal

    v = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    assert -330 < np.nanpercentile(v[:, 70:], 10) < -180
    ds = gdal.Open(res["OUTPUT_TIMESERIES"])
    assert ds.RasterCount == 13 and ds.GetRasterBand(1).GetDescription() == "2018-01-06"
    assert os.path.getsize(res["OUTPUT_NETWORK_PNG"]) > 5000
    assert os.path.exists(res["OUTPUT_POINTS"])


def test_sbas_envisat_list_form(tmp_path):
    files = sorted(glob.glob(os.path.join(ENVISAT, "*_unw.tif")))
    assert len(files) == 17
    res = run_json("geohazard:sbasinversion", {
        "INTERFEROGRAMS": files, "WAVELENGTH_M": 0.0562356, "MIN_TEMPORAL_COHERENCE": 0.5, **_outs(tmp_path)})
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_TIMESERIES"])
    ts = ds.ReadAsArray()
    assert ds.RasterCount == 13
    assert np.nanmax(np.abs(ts[0])) == 0
    v = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    assert np.isfinite(v).mean() > 0.5 and np.nanpercentile(np.abs(v), 95) < 200


def test_stacking_and_phase_gradient(tmp_path):
    folder = os.path.join(MEXICO, "geotiffs")
    a = run_json("geohazard:stackingvelocity", {"INTERFEROGRAMS": folder, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    assert os.path.exists(a["OUTPUT_VELOCITY"])
    b = run_json("geohazard:phasegradientstacking", {"INTERFEROGRAMS": folder, "OUTPUT": str(tmp_path / "g.tif")})
    assert os.path.exists(b["OUTPUT"])


def test_bad_input_is_a_clear_error(tmp_path):
    (tmp_path / "x_unw.tif").write_text("not a raster")
    out = qgis_process("run", "geohazard:sbasinversion", "--", f"INTERFEROGRAMS={tmp_path}",
                       *[f"{k}={v}" for k, v in _outs(tmp_path).items()])
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "no date pair found in the file name 'x_unw.tif'" in text and "Traceback" not in text
    assert not (tmp_path / "output_velocity.tif").exists()
