"""The PS/DS public IDs run end to end through headless ``qgis_process --json``.

``qgis_process.bin`` itself starts for the chain's first run (its output paths as the JSON gives them, read by
the next steps) and the refusal (exit status, stderr, no traceback); phase linking and the PS time series take
the same ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and
run as qgis_process makes them), about 2.7 CPU-s less each than a start of qgis_process."""

import os

import numpy as np
from testutils_cli import in_app_json, qgis_process, requires_qgis_process, run_json
from testutils_psds import write_baseline_table, write_slc_files

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process


def test_psds_chain_json(qgis_app, tmp_path):
    sim = simulate_slc_stack(shape=(30, 36), n_dates=16, seed=9, atmosphere_std_rad=0.0)
    files = write_slc_files(tmp_path, sim)
    da = run_json("amplitudedispersion", {"INPUT": files, "OUTPUT_MEAN_AMPLITUDE": str(tmp_path / "m.tif"),
                                      "OUTPUT_DISPERSION": str(tmp_path / "da.tif"),
                                      "OUTPUT_PS_MASK": str(tmp_path / "ps.tif")})
    assert da["OUTPUT_DISPERSION"] == str(tmp_path / "da.tif")
    pl = in_app_json("phaselinking", {"INPUT": files, "PS_MASK": da["OUTPUT_PS_MASK"], "WINDOW_ROWS": 5,
                                  "WINDOW_COLS": 7, "OUTPUT": str(tmp_path / "ph.tif"),
                                  "OUTPUT_TEMPORAL_COHERENCE": str(tmp_path / "tc.tif"),
                                  "OUTPUT_SHP_COUNT": str(tmp_path / "n.tif")})
    from osgeo import gdal, ogr

    tc = gdal.Open(pl["OUTPUT_TEMPORAL_COHERENCE"]).ReadAsArray()
    assert np.nanmedian(tc) > 0.7
    pts = in_app_json("pstimeseries", {"INPUT": pl["OUTPUT"], "DISPERSION": da["OUTPUT_DISPERSION"],
                                   "BASELINES": write_baseline_table(tmp_path / "b.txt", sim), "SLANT_RANGE": 850000.0,
                                   "INCIDENCE": 37.0,
                                   "OUTPUT": str(tmp_path / "pts.gpkg")})
    ds = ogr.Open(pts["OUTPUT"])
    lyr = ds.GetLayer(0)
    assert lyr.GetFeatureCount() > 20
    assert lyr.GetLayerDefn().GetFieldIndex("VEL") >= 0


def test_real_values_are_a_clear_error(tmp_path):
    from testutils import write_geotiff

    real = [write_geotiff(tmp_path / f"amp_2020010{i}.tif", np.ones((5, 6))) for i in range(1, 5)]
    args = ["run", "geohazard:phaselinking", "--"] + [f"INPUT={p}" for p in real] + [
        f"OUTPUT={tmp_path / 'ph.tif'}", f"OUTPUT_TEMPORAL_COHERENCE={tmp_path / 'tc.tif'}",
        f"OUTPUT_SHP_COUNT={tmp_path / 'n.tif'}", "WINDOW_ROWS=3", "WINDOW_COLS=3"]
    out = qgis_process(*args)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "must be complex" in text and "Traceback" not in text
    assert not (tmp_path / "ph.tif").exists()
