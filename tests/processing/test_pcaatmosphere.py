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
