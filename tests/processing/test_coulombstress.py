"""geohazard:coulombstress — parameters, wrong parameters, runs vs the core and Coulomb 3.4, cancel."""

import os

import numpy as np
import pytest
from testutils_faults import DATA, read_raster

NAME = "coulombstress"
INP = os.path.join(DATA, "simple_receiver_bm.inp")


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("FAULTS", "COULOMB_INP", "DEPTHS", "RECEIVER_STRIKE", "RECEIVER_DIP", "RECEIVER_RAKE", "FRICTION",
                "SHEAR_MODULUS", "UNITS", "OPTIMAL", "EXTENT", "PIXEL_SIZE", "OUTPUT"):
        assert pid in ids
    assert "unclamping" in a.shortHelpString()


def test_run_coulomb_benchmark_point_matches_coulomb34(run_alg, tmp_path):
    """A 1-pixel grid centred on the benchmark receiver gives Coulomb 3.4's value (bar)."""
    x, y = 0.0, -10223.66080859
    ext = f"{x - 50},{x + 50},{y - 50},{y + 50} [EPSG:32610]"
    out = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "5.5", "RECEIVER_STRIKE": 90.0,
                         "RECEIVER_DIP": 65.9, "RECEIVER_RAKE": 90.0, "EXTENT": ext, "PIXEL_SIZE": 100.0,
                         "UNITS": 0, "OUTPUT": str(tmp_path / "c.tif")})["OUTPUT"]
    arr, _, desc = read_raster(out)
    assert desc == ["dcfs_bar_5.5km", "shear_bar_5.5km", "normal_bar_5.5km"]
    np.testing.assert_allclose(arr.ravel(), [-2.636127, -0.479979, -5.390370], rtol=5e-4)


def test_run_multi_depth_units_and_optimal(run_alg, tmp_path):
    ext = "-60000,60000,-60000,60000 [EPSG:32610]"
    base = {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "5, 10", "EXTENT": ext, "PIXEL_SIZE": 10000.0}
    bar = run_alg(NAME, {**base, "UNITS": 0, "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"]
    mpa = run_alg(NAME, {**base, "UNITS": 1, "OUTPUT": str(tmp_path / "m.tif")})["OUTPUT"]
    a, _, desc = read_raster(bar)
    m, _, _ = read_raster(mpa)
    assert a.shape == (6, 12, 12) and desc[3] == "dcfs_bar_10km"
    np.testing.assert_allclose(m * 10.0, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[0], a[1] + 0.4 * a[2], rtol=1e-4, atol=1e-4)
    opt = run_alg(NAME, {**base, "OPTIMAL": True, "OUTPUT": str(tmp_path / "o.tif")})["OUTPUT"]
    o, _, _ = read_raster(opt)
    assert np.isfinite(o).all() and np.abs(o[0]).max() > 0.1


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "o.tif"
    ext = "-1000,1000,-1000,1000 [EPSG:32610]"
    with pytest.raises(QgsProcessingException, match="DEPTHS"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "ten", "EXTENT": ext, "OUTPUT": str(out)})
    with pytest.raises(QgsProcessingException, match="CRS"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:4326", "EXTENT": ext, "OUTPUT": str(out)})
    bad = tmp_path / "bad.inp"
    bad.write_text("not a coulomb file\n")
    with pytest.raises(QgsProcessingException, match="bad.inp"):
        run_alg(NAME, {"COULOMB_INP": str(bad), "CRS": "EPSG:32610", "EXTENT": ext, "OUTPUT": str(out)})
    assert not out.exists()


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    fb = QgsProcessingFeedback()
    fb.cancel()
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "EXTENT": "-1000,1000,-1000,1000 [EPSG:32610]",
                       "PIXEL_SIZE": 100.0, "OUTPUT": str(out)}, feedback=fb)
    assert not out.exists()
