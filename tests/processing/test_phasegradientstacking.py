"""geohazard:phasegradientstacking — parameters, wrong parameters, synthetic landslide, real Mexico City."""

import os

import numpy as np
import pytest
from testutils import read_array as _read
from testutils import write_geotiff

NAME = "phasegradientstacking"


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INTERFEROGRAMS", "COHERENCE", "WAVELENGTH_M", "INPUT_UNITS", "STACK_EXTENT",
                   "MAX_TEMPORAL_BASELINE", "MIN_COUNT", "OUTPUT", "OUTPUT_RANGE", "OUTPUT_AZIMUTH", "MAX_MEMORY_MB",
                   "DASK_SCHEDULER", "THREADS"]
    assert "without phase unwrapping" in a.shortHelpString()


def test_synthetic_landslide_in_wrapped_phase(run_alg, tmp_path):
    """A 'landslide' moving 60 mm/yr away from the satellite in a wrapped stack with a smooth ramp."""
    rng = np.random.default_rng(0)
    rows, cols = 40, 50
    yy, xx = np.mgrid[0:rows, 0:cols]
    slide = np.exp(-((yy - 20) ** 2 + (xx - 25) ** 2) / 30.0)  # 0..1
    lam = 0.0555
    folder = tmp_path / "wrapped"
    folder.mkdir()
    import datetime as dt

    d0 = dt.date(2021, 1, 1)
    for k in range(20):
        a, b = d0 + dt.timedelta(days=12 * k), d0 + dt.timedelta(days=12 * k + 24)
        years = 24 / 365.25
        los_mm = -60.0 * years * slide  # away from the satellite
        phase = -los_mm / 1000 * 4 * np.pi / lam + 0.05 * xx * rng.normal() + rng.normal(0, 0.1, (rows, cols))
        write_geotiff(folder / f"{a:%Y%m%d}_{b:%Y%m%d}.wrapped.tif", np.angle(np.exp(1j * phase)))
    res = run_alg(NAME, {"INTERFEROGRAMS": str(folder), "WAVELENGTH_M": lam, "OUTPUT": str(tmp_path / "g.tif"),
                         "OUTPUT_RANGE": str(tmp_path / "gx.tif")})
    g = _read(res["OUTPUT"])
    assert g.shape == (rows, cols)
    on_flank = g[20, 21]
    far = np.nanmedian(g[:8, :8])
    # expected flank gradient between columns 21 and 22 (3.5 px from the centre): 60 mm/yr * d(slide)/dx
    expected = 60.0 * (2 * 3.5 / 30.0) * np.exp(-3.5 ** 2 / 30.0)
    assert abs(on_flank - expected) < 0.3 * expected, (on_flank, expected)
    assert on_flank > 3 * far
    gx = _read(res["OUTPUT_RANGE"])
    assert gx[20, 20] < 0 < gx[20, 28]  # LOS decreasing into the slide, then increasing out of it


def test_real_mexico_city(run_alg, tmp_path, data_dir):
    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    res = run_alg(NAME, {"INTERFEROGRAMS": folder, "COHERENCE": folder, "MAX_TEMPORAL_BASELINE": 48,
                         "OUTPUT": str(tmp_path / "g.tif")})
    g = _read(res["OUTPUT"])
    assert np.isfinite(g).mean() > 0.8
    assert 0 < np.nanmedian(g) < 50


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    a = write_geotiff(tmp_path / "wrapped_a.tif", np.ones((4, 4)))
    out = tmp_path / "g.tif"
    with pytest.raises(QgsProcessingException, match="no date pair found in the file name 'wrapped_a.tif'"):
        run_alg(NAME, {"INTERFEROGRAMS": [a], "OUTPUT": str(out)})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(QgsProcessingException, match="holds no"):
        run_alg(NAME, {"INTERFEROGRAMS": str(empty), "OUTPUT": str(out)})
    assert not out.exists()
