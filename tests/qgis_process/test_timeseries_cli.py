"""Time-series public IDs through headless ``qgis_process --json run`` (folder and list forms).

``qgis_process.bin`` itself starts for the list form (each interferogram a repeated key) and the refusal (exit
status, stderr, no traceback); the folder-form runs of stacking and phase-gradient stacking take the same
``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and run as
qgis_process makes them), about 2.7 CPU-s less each than a start of qgis_process."""

import glob
import os

import numpy as np
from testutils_cli import in_app_json, qgis_process, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
ENVISAT = os.path.join(ROOT, "tests", "data", "envisat_small_test", "tif")
pytestmark = requires_qgis_process


def _outs(tmp_path):
    return {k: str(tmp_path / f"{k.lower()}.tif") for k in (
        "OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT")}


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


def test_two_runs_write_the_same_bytes_whatever_qts_hash_seed(tmp_path, monkeypatch):
    """Every file of two runs, styles (.qml) and layer definitions (.qlr) included, is the same: Qt writes XML
    attributes in its hash order, whose seed changes from process to process (here set apart on purpose)."""
    files = sorted(glob.glob(os.path.join(ENVISAT, "*_unw.tif")))[:12]
    for seed in ("1", "2"):
        monkeypatch.setenv("QT_HASH_SEED", seed)
        (tmp_path / seed).mkdir()
        run_json("geohazard:sbasinversion", {"INTERFEROGRAMS": files, "WAVELENGTH_M": 0.0562356,
                                             **_outs(tmp_path / seed)})
    names = sorted(os.listdir(tmp_path / "1"))
    assert {".qml", ".qlr", ".tif"} <= {os.path.splitext(n)[1] for n in names}
    assert names == sorted(os.listdir(tmp_path / "2"))
    for name in names:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_stacking_and_phase_gradient(qgis_app, tmp_path):
    folder = os.path.join(MEXICO, "geotiffs")
    a = in_app_json("stackingvelocity", {"INTERFEROGRAMS": folder, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    assert os.path.exists(a["OUTPUT_VELOCITY"])
    b = in_app_json("phasegradientstacking", {"INTERFEROGRAMS": folder, "OUTPUT": str(tmp_path / "g.tif")})
    assert os.path.exists(b["OUTPUT"])


def test_bad_input_is_a_clear_error(tmp_path):
    (tmp_path / "x_unw.tif").write_text("not a raster")
    out = qgis_process("run", "geohazard:sbasinversion", "--", f"INTERFEROGRAMS={tmp_path}",
                       *[f"{k}={v}" for k, v in _outs(tmp_path).items()])
    assert out.returncode != 0
    text = out.stdout + out.stderr
    # the guard layer may name the unreadable file before the date check does
    assert ("no date pair found in the file name 'x_unw.tif'" in text
            or "x_unw.tif is not a raster GDAL can read" in text) and "Traceback" not in text
    assert not (tmp_path / "output_velocity.tif").exists()
