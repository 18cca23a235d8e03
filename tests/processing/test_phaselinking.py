"""geohazard:phaselinking — parameters, wrong parameters, real run against simulator truth, cancellation."""

import os

import numpy as np
import pytest
from testutils import output_files, parameter_ids
from testutils import read_raster as _read
from testutils_psds import write_slc_files, write_slc_multiband

from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

NAME = "phaselinking"


def _outs(tmp_path):
    return output_files(tmp_path, OUTPUT="ph.tif", OUTPUT_TEMPORAL_COHERENCE="tc.tif", OUTPUT_SHP_COUNT="n.tif")


def test_parameters(alg):
    ids = parameter_ids(a := alg(NAME))
    assert ids == ["INPUT", "WINDOW_ROWS", "WINDOW_COLS", "SHP_METHOD", "ALPHA", "METHOD", "PS_MASK",
                   "OUTPUT_FORMAT", "NETWORK", "OUTPUT", "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_SHP_COUNT",
                   "OUTPUT_INTERFEROGRAMS", "MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"]
    assert a.parameterDefinition("METHOD").options() == ["EMI", "EVD", "Coherence-weighted EVD"]
    assert "temporal coherence" in a.shortHelpString()


def test_run_against_simulator_truth_with_ps_mask_and_interferograms(run_alg, tmp_path):
    from testutils import write_geotiff

    sim = simulate_slc_stack(shape=(36, 48), n_dates=16, seed=6, water_fraction=0.2, atmosphere_std_rad=0.3)
    files = write_slc_files(tmp_path, sim)
    ps = write_geotiff(tmp_path / "psmask.tif", sim.ps_mask.astype(float),
                       geotransform=(500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
    params = {"INPUT": files, "WINDOW_ROWS": 5, "WINDOW_COLS": 9, "PS_MASK": ps,
              "OUTPUT_INTERFEROGRAMS": str(tmp_path / "ifg"), **_outs(tmp_path)}
    out = run_alg(NAME, params)
    ph, ds = _read(out["OUTPUT"])
    assert ph.shape == sim.slc.shape
    assert ds.GetRasterBand(2).GetDescription() == sim.dates[1].isoformat()
    dsm = sim.labels >= 0
    err = np.angle(np.exp(1j * (ph - sim.phase_true)))
    raw = np.angle(np.exp(1j * (np.angle(sim.slc * np.conj(sim.slc[0])) - sim.phase_true)))
    assert np.sqrt(np.mean(err[1:, dsm] ** 2)) < 0.6 * np.sqrt(np.mean(raw[1:, dsm] ** 2))
    np.testing.assert_allclose(err[:, sim.ps_mask], raw[:, sim.ps_mask], atol=1e-5)  # PS keep their phase
    tc, _ = _read(out["OUTPUT_TEMPORAL_COHERENCE"])
    assert np.median(tc[dsm]) > 0.75 and np.median(tc[sim.labels == -1]) < 0.5
    n, _ = _read(out["OUTPUT_SHP_COUNT"])
    assert n.max() <= 45 and n[sim.ps_mask].max() == 1
    ifgs = sorted(os.listdir(out["OUTPUT_INTERFEROGRAMS"]))
    assert len(ifgs) == 15 + 14 + 13  # nearest-3 network
    first = f"{sim.dates[0]:%Y%m%d}_{sim.dates[1]:%Y%m%d}.wrapped.tif"
    ifg, _ = _read(os.path.join(out["OUTPUT_INTERFEROGRAMS"], first))
    np.testing.assert_allclose(np.angle(np.exp(1j * (ifg - (ph[1] - ph[0])))), 0, atol=1e-5)


def test_radar_geometry_complex_output_ks_evd(run_alg, tmp_path):
    sim = simulate_slc_stack(shape=(20, 30), n_dates=10, seed=2)
    src = write_slc_multiband(tmp_path / "stack.tif", sim)
    out = run_alg(NAME, {"INPUT": [src], "WINDOW_ROWS": 3, "WINDOW_COLS": 5, "SHP_METHOD": 1, "METHOD": 1,
                         "OUTPUT_FORMAT": 1, **_outs(tmp_path)})
    ph, ds = _read(out["OUTPUT"])
    assert np.iscomplexobj(ph) and ds.GetGeoTransform(can_return_null=True) is None
    np.testing.assert_allclose(np.abs(ph), 1.0, atol=1e-5)


def test_folder_input_is_its_slc_files_and_same_result(run_alg, tmp_path):
    from testutils import write_geotiff

    sim = simulate_slc_stack(shape=(16, 20), n_dates=6, seed=3)
    stack = tmp_path / "slc"
    stack.mkdir()
    files = write_slc_files(stack, sim)
    write_geotiff(stack / "dem.tif", np.zeros((16, 20)))  # other rasters in the folder are not dates
    write_geotiff(stack / "20200101_20200113_cc.tif", np.zeros((16, 20)))
    as_list = run_alg(NAME, {"INPUT": files, "WINDOW_ROWS": 3, "WINDOW_COLS": 5, "OUTPUT": str(tmp_path / "a.tif")})
    as_dir = run_alg(NAME, {"INPUT": [str(stack)], "WINDOW_ROWS": 3, "WINDOW_COLS": 5,
                            "OUTPUT": str(tmp_path / "b.tif")})
    from testutils import recording_feedback

    fb = recording_feedback()
    listed = run_alg(NAME, {"INPUT": sorted(str(p) for p in stack.iterdir()), "WINDOW_ROWS": 3, "WINDOW_COLS": 5,
                            "OUTPUT": str(tmp_path / "l.tif")}, feedback=fb)  # as "Add Directory..." lists it
    assert any("left out 2 file(s)" in m and "dem.tif" in m for m in fb.info)
    assert np.array_equal(_read(listed["OUTPUT"])[0], _read(as_list["OUTPUT"])[0], equal_nan=True)
    a, ds = _read(as_list["OUTPUT"])
    b, _ = _read(as_dir["OUTPUT"])
    assert ds.RasterCount == 6 and np.array_equal(a, b, equal_nan=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="the folder .*empty' holds no SLC raster"):
        run_alg(NAME, {"INPUT": [str(empty)], "WINDOW_ROWS": 3, "OUTPUT": str(tmp_path / "c.tif")})
    assert not (tmp_path / "c.tif").exists()


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    sim = simulate_slc_stack(shape=(8, 12), n_dates=5, seed=0)
    files = write_slc_files(tmp_path, sim)
    with pytest.raises(QgsProcessingException, match="WINDOW_ROWS must be odd"):
        run_alg(NAME, {"INPUT": files, "WINDOW_ROWS": 4, **_outs(tmp_path)})
    with pytest.raises(QgsProcessingException, match="larger than the image"):
        run_alg(NAME, {"INPUT": files, "WINDOW_ROWS": 9, **_outs(tmp_path)})
    with pytest.raises(QgsProcessingException, match="at least 3"):
        run_alg(NAME, {"INPUT": files[:2], "WINDOW_ROWS": 3, **_outs(tmp_path)})
    from testutils import write_geotiff

    small = write_geotiff(tmp_path / "ps.tif", np.zeros((7, 12)))
    with pytest.raises(QgsProcessingException, match="PS_MASK has 7 rows x 12 columns, expected 8 x 12"):
        run_alg(NAME, {"INPUT": files, "WINDOW_ROWS": 3, "PS_MASK": small, **_outs(tmp_path)})
    assert not any((tmp_path / n).exists() for n in ("ph.tif", "tc.tif", "n.tif"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    sim = simulate_slc_stack(shape=(140, 10), n_dates=4, seed=0)
    files = write_slc_files(tmp_path, sim)
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": files, "WINDOW_ROWS": 3, "WINDOW_COLS": 3, **_outs(tmp_path)}, feedback=feedback)
    assert not any((tmp_path / n).exists() for n in ("ph.tif", "tc.tif", "n.tif"))
    assert not list(tmp_path.glob("*.part*"))
