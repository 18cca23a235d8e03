"""geohazard:pcaatmosphere: parameters, runs against planted errors and the Mexico City stack."""

import os

import numpy as np
import pytest
from testutils import read_raster as _read
from testutils import write_geotiff


def test_pca_atmosphere_run(run_alg, tmp_path):
    from testutils_atmosphere import atmosphere_stack

    s = atmosphere_stack(shape=(40, 56), n_dates=30, strat_mm_per_km=5, turb_mm=5, seed=8)
    path = write_geotiff(tmp_path / "ts.tif", s["series_mm"], descriptions=[d.isoformat() for d in s["dates"]])
    res = run_alg("pcaatmosphere", {"INPUT": path, "TILE_PIXELS": 32, "OUTPUT": str(tmp_path / "c.tif"),
                                    "OUTPUT_ATMOSPHERE": str(tmp_path / "a.tif"),
                                    "OUTPUT_COMPONENTS": str(tmp_path / "n.tif")})
    cor, ds = _read(res["OUTPUT"])
    assert ds.GetRasterBand(1).GetDescription() == s["dates"][0].isoformat()
    before = np.sqrt(np.mean((s["series_mm"] - s["deformation_mm"]) ** 2))
    after = np.sqrt(np.mean((cor - s["deformation_mm"]) ** 2))
    assert after < 0.7 * before
    atm, _ = _read(res["OUTPUT_ATMOSPHERE"])
    np.testing.assert_allclose(atm + cor, s["series_mm"], atol=1e-3)
    n, _ = _read(res["OUTPUT_COMPONENTS"])
    assert np.nanmin(n) >= 1
    few = write_geotiff(tmp_path / "few.tif", s["series_mm"][:8], descriptions=[d.isoformat() for d in s["dates"][:8]])
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="at least 12"):
        run_alg("pcaatmosphere", {"INPUT": few, "OUTPUT": str(tmp_path / "c2.tif")})
    assert not os.path.exists(tmp_path / "c2.tif")


def test_without_threadpoolctl_the_log_says_the_bits_can_follow_blas_threads(run_alg, tmp_path, monkeypatch):
    import sys

    from testutils import recording_feedback
    from testutils_atmosphere import atmosphere_stack

    s = atmosphere_stack(shape=(24, 24), n_dates=30, strat_mm_per_km=5, turb_mm=5, seed=3)
    path = write_geotiff(tmp_path / "ts.tif", s["series_mm"], descriptions=[d.isoformat() for d in s["dates"]])
    runs = {}
    for blocked in (False, True):
        if blocked:
            monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import threadpoolctl raises ImportError
        fb = recording_feedback()
        res = run_alg("pcaatmosphere", {"INPUT": path, "TILE_PIXELS": 16, "OUTPUT": str(tmp_path / f"c{blocked}.tif")},
                      feedback=fb)
        runs[blocked] = (_read(res["OUTPUT"])[0], fb.text)
    if "threadpoolctl is not installed" in runs[False][1]:
        pytest.skip("threadpoolctl is not installed here: both runs are without it")
    assert "threadpoolctl is not installed" in runs[True][1] and "install it" in runs[True][1]
    # the same correction either way (the thread count changes last bits only)
    np.testing.assert_allclose(runs[True][0], runs[False][0], rtol=0, atol=1e-3)
