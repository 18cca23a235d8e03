"""geohazard:demerrorcorrection: parameters, runs against planted errors and the Mexico City stack."""

import os

import numpy as np
import pytest
from testutils import missing_parameters, recording_feedback, write_geotiff
from testutils import read_raster as _read
from testutils_series_corrections import _ts_raster


def test_parameters(alg):
    a = alg("unwrapclosurecorrection")
    assert not missing_parameters(a, ("INTERFEROGRAMS", "COHERENCE", "INPUT_UNITS", "WAVELENGTH_M", "MIN_COHERENCE",
                                      "MAX_CYCLES", "LOOP_THRESHOLD_RAD", "OUTPUT", "OUTPUT_CYCLES",
                                      "OUTPUT_NONCLOSING", "OUTPUT_STATS", "DASK_SCHEDULER"))
    assert "Yunjun" in a.shortHelpString() and a.group() == "Corrections"
    d = alg("demerrorcorrection")
    assert not missing_parameters(d, ("INPUT", "BASELINES", "SLANT_RANGE", "SLANT_RANGE_RASTER", "INCIDENCE",
                                      "INCIDENCE_RASTER", "POLY_ORDER", "STEP_DATES", "OUTPUT", "OUTPUT_DEM_ERROR",
                                      "OUTPUT_RESIDUAL"))
    assert "Fattahi" in d.shortHelpString()


def test_dem_error_run(run_alg, tmp_path):
    path, csvf, dates, dz, defo = _ts_raster(tmp_path)
    res = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "SLANT_RANGE": 850000.0,
                                         "INCIDENCE": 39.0, "OUTPUT": str(tmp_path / "cor.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
                                         "OUTPUT_RESIDUAL": str(tmp_path / "res.tif")})
    est, _ = _read(res["OUTPUT_DEM_ERROR"])
    assert np.sqrt(np.mean((est - dz) ** 2)) < 3.0  # m, for dz of 25 m RMS
    cor, ds = _read(res["OUTPUT"])
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)] == [d.isoformat() for d in dates]
    assert np.sqrt(np.mean((cor - defo) ** 2)) < 1.0
    # an incidence raster on the grid gives the same series
    inc = write_geotiff(tmp_path / "inc.tif", np.full(dz.shape, 39.0))
    res2 = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "INCIDENCE_RASTER": inc,
                                          "OUTPUT": str(tmp_path / "cor2.tif"),
                                          "OUTPUT_DEM_ERROR": str(tmp_path / "dz2.tif")})
    np.testing.assert_allclose(_read(res2["OUTPUT"])[0], cor, atol=1e-4)


def test_dem_error_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path, csvf, dates, _, _ = _ts_raster(tmp_path)
    with pytest.raises(QgsProcessingException, match="BASELINES"):
        run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    short = tmp_path / "short.csv"
    short.write_text("".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(dates[:-1])))
    with pytest.raises(QgsProcessingException, match="no perpendicular baseline for 1 date"):
        run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [str(short)], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    assert not os.path.exists(tmp_path / "c.tif") and not os.path.exists(tmp_path / "d.tif")
    # formerly a silent 850 km / 39 degrees: a series carrying no geometry, none typed, is refused
    (tmp_path / "bare").mkdir()
    bare, *_ = _ts_raster(tmp_path / "bare", geometry=False)
    with pytest.raises(QgsProcessingException, match=r"SLANT_RANGE_M: the inputs carry no slant range \(SLANT_RANGE_M\)"
                                                     r" and none was given; type SLANT_RANGE_M \(one value in metres"):
        run_alg("demerrorcorrection", {"INPUT": bare, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    with pytest.raises(QgsProcessingException, match=r"INCIDENCE: the inputs carry no incidence angle"):
        run_alg("demerrorcorrection", {"INPUT": bare, "BASELINES": [csvf], "SLANT_RANGE": 850000.0,
                                       "OUTPUT": str(tmp_path / "c.tif"), "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})
    assert not os.path.exists(tmp_path / "c.tif") and not os.path.exists(tmp_path / "d.tif")
    nodates = write_geotiff(tmp_path / "nodates.tif", np.zeros((3, 4, 4)))
    with pytest.raises(QgsProcessingException, match="description"):
        run_alg("demerrorcorrection", {"INPUT": nodates, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d.tif")})


def test_dem_error_writes_the_final_velocity(run_alg, tmp_path):
    path, csvf, dates, dz, defo = _ts_raster(tmp_path)
    res = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "cor.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif"),
                                         "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                         "OUTPUT_VELOCITY_STD": str(tmp_path / "vs.tif")})
    v, _ = _read(res["OUTPUT_VELOCITY"])
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    rate = defo[-1] / t[-1]
    assert np.sqrt(np.mean((v - rate) ** 2)) < 0.5  # mm/yr, dates with 0.3 mm of noise
    cor, _ = _read(res["OUTPUT"])  # the line fitted to the corrected series, not to the input
    np.testing.assert_allclose(v, np.polyfit(t, cor.reshape(len(dates), -1), 1)[0].reshape(v.shape), atol=1e-3)
    vs, _ = _read(res["OUTPUT_VELOCITY_STD"])
    assert np.all((vs > 0) & (vs < 1.0))


def test_velocity_filter_outputs_and_log(run_alg, tmp_path):
    """FILTER_WINDOW: the final velocity is the noise-adaptive filter's, closer to the simulated rate than the
    unfiltered one, with a lower propagated standard error; the unfiltered velocity is the filter-off run's; the
    log names the filter, its window and the median reduction of the standard error; an even window is refused."""
    import datetime as dt

    from qgis.core import QgsProcessingException

    # a smooth rate (a bowl of -30 mm/yr) under 4 mm of noise per date, independent from pixel to pixel
    rng = np.random.default_rng(4)
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(20)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    yy, xx = np.mgrid[:30, :34]
    truth = -30.0 * np.exp(-((yy - 15) ** 2 + (xx - 17) ** 2) / (2 * 6.0 ** 2))
    ts = truth[None] * t[:, None, None] + rng.normal(0, 4.0, (len(dates),) + truth.shape)
    ts[:, 2, 3:6] = np.nan
    ts -= np.nan_to_num(ts[:1])
    path = write_geotiff(tmp_path / "ts.tif", ts, descriptions=[d.isoformat() for d in dates],
                         metadata={"SLANT_RANGE_M": "850000", "INCIDENCE_DEG": "39"})
    csvf = tmp_path / "bperp.csv"
    csvf.write_text("date,bperp_m\n" + "".join(f"{d.isoformat()},{v:.4f}\n"
                                              for d, v in zip(dates, rng.normal(0, 80, len(dates)))))
    csvf = str(csvf)
    off = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c0.tif"),
                                         "OUTPUT_DEM_ERROR": str(tmp_path / "d0.tif"),
                                         "OUTPUT_VELOCITY": str(tmp_path / "v0.tif"),
                                         "OUTPUT_VELOCITY_STD": str(tmp_path / "s0.tif")})
    fb = recording_feedback()
    on = run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c1.tif"),
                                        "OUTPUT_DEM_ERROR": str(tmp_path / "d1.tif"), "FILTER_WINDOW": 3,
                                        "OUTPUT_VELOCITY": str(tmp_path / "v1.tif"),
                                        "OUTPUT_VELOCITY_STD": str(tmp_path / "s1.tif"),
                                        "OUTPUT_VELOCITY_UNFILTERED": str(tmp_path / "u1.tif")}, fb)
    v0, s0 = _read(off["OUTPUT_VELOCITY"])[0], _read(off["OUTPUT_VELOCITY_STD"])[0]
    v1, s1 = _read(on["OUTPUT_VELOCITY"])[0], _read(on["OUTPUT_VELOCITY_STD"])[0]
    np.testing.assert_array_equal(_read(on["OUTPUT_VELOCITY_UNFILTERED"])[0], v0)
    np.testing.assert_array_equal(_read(on["OUTPUT"])[0], _read(off["OUTPUT"])[0])  # the series is not filtered
    assert np.array_equal(np.isfinite(v1), np.isfinite(v0))
    assert np.sqrt(np.nanmean((v1 - truth) ** 2)) < 0.9 * np.sqrt(np.nanmean((v0 - truth) ** 2))
    assert np.nanmedian(s1) < 0.9 * np.nanmedian(s0)
    text = fb.text
    assert "noise-adaptive filter" in text and "3 x 3 window" in text and "median standard error x" in text
    with pytest.raises(QgsProcessingException, match="FILTER_WINDOW must be 0 .off. or an odd number"):
        run_alg("demerrorcorrection", {"INPUT": path, "BASELINES": [csvf], "OUTPUT": str(tmp_path / "c2.tif"),
                                       "OUTPUT_DEM_ERROR": str(tmp_path / "d2.tif"), "FILTER_WINDOW": 4})
    assert not os.path.exists(tmp_path / "c2.tif")
