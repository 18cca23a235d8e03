"""geohazard:stackingvelocity — parameters, wrong parameters, synthetic truth, real Mexico City run."""

import os

import numpy as np
import pytest
from testutils import missing_parameters, write_geotiff
from testutils import read_array as _read
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

NAME = "stackingvelocity"


def test_parameters(alg):
    a = alg(NAME)
    assert not missing_parameters(a, ("INTERFEROGRAMS", "COHERENCE", "WAVELENGTH_M", "INPUT_UNITS", "REFERENCE",
                                      "WEIGHTING", "COHERENCE_THRESHOLD", "MIN_COUNT", "OUTPUT_VELOCITY",
                                      "OUTPUT_VELOCITY_STD", "OUTPUT_COUNT"))
    assert "Sandwell" in a.shortHelpString()


def test_synthetic_linear_motion_is_exact(run_alg, tmp_path):
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(8), max_neighbours=3))
    truth, ifg, vel = synthetic_stack(net, shape=(6, 7), seasonal_mm=0.0)
    paths = []
    for k, (a, b) in enumerate(net.pairs):
        # metres, and every other file named later-date first: the sign must follow
        name = f"{a:%Y%m%d}_{b:%Y%m%d}" if k % 2 else f"{b:%Y%m%d}_{a:%Y%m%d}"
        data = ifg[k] / 1000.0 if k % 2 else -ifg[k] / 1000.0
        paths.append(write_geotiff(tmp_path / f"{name}_disp.tif", data))
    res = run_alg(NAME, {"INTERFEROGRAMS": paths, "INPUT_UNITS": 2, "REFERENCE": "500015,4099985 [EPSG:32633]",
                         "OUTPUT_VELOCITY": str(tmp_path / "v.tif"), "OUTPUT_VELOCITY_STD": str(tmp_path / "s.tif"),
                         "OUTPUT_COUNT": str(tmp_path / "n.tif")})
    np.testing.assert_allclose(_read(res["OUTPUT_VELOCITY"]), vel - vel[0, 0], atol=1e-3)
    assert (_read(res["OUTPUT_COUNT"]) == net.n_pairs).all()


def test_real_mexico_city(run_alg, tmp_path, data_dir):
    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    res = run_alg(NAME, {"INTERFEROGRAMS": folder, "COHERENCE": folder, "WEIGHTING": 1,
                         "REFERENCE": "-99.1780,19.4400 [EPSG:4326]", "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                         "OUTPUT_VELOCITY_STD": str(tmp_path / "s.tif")})
    v = _read(res["OUTPUT_VELOCITY"])
    assert abs(np.nanmedian(v[:, :15])) < 30
    assert -330 < np.nanpercentile(v[:, 70:], 10) < -180
    assert np.nanmedian(_read(res["OUTPUT_VELOCITY_STD"])) < 30


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    a = write_geotiff(tmp_path / "20200101_20200113_unw.tif", np.ones((4, 4)))
    out = tmp_path / "v.tif"
    with pytest.raises(QgsProcessingException, match="COHERENCE"):
        run_alg(NAME, {"INTERFEROGRAMS": [a], "WEIGHTING": 1, "OUTPUT_VELOCITY": str(out)})
    with pytest.raises(QgsProcessingException, match="INTERFEROGRAMS"):
        run_alg(NAME, {"INTERFEROGRAMS": str(tmp_path / "missing_folder"), "OUTPUT_VELOCITY": str(out)})
    b = write_geotiff(tmp_path / "20200101_20200125_unw.tif", np.ones((4, 4)), epsg=4326)
    with pytest.raises(QgsProcessingException, match="not on the same grid"):
        run_alg(NAME, {"INTERFEROGRAMS": [a, b], "OUTPUT_VELOCITY": str(out)})
    assert not out.exists()
