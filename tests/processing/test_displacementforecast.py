"""geohazard:displacementforecast — parameters, a raster and a point run against the core on known series, the
metadata carried, refusals, real EGMS points."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import read_bands, recording_feedback, write_geotiff
from testutils_models import read_layer, write_dated_layer

NAME = "displacementforecast"
DATES = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * i) for i in range(40)]
T_YR = np.array([(d - DATES[0]).days for d in DATES]) / 365.25
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:13] == ["INPUT", "INPUT_RASTER", "MODEL", "CRITERION", "FORECAST_DATES", "HOLDOUT", "ORIGIN_DATE",
                        "PRIMARY_END_DAYS", "THICKNESS", "OUTPUT", "OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL"]
    assert a.parameterDefinition("MODEL").options()[0] == "Best by information criterion"
    assert len(a.parameterDefinition("MODEL").options()) == 7
    assert "HOLDOUT_RMSE_MM" in [o.name() for o in a.outputDefinitions()]
    assert "inversevelocity" in a.shortHelpString()
    assert a.group() == "Hazard maps"


def _series(tmp_path, seed=0):
    rng = np.random.default_rng(seed)
    vel = np.linspace(-20, 5, 5 * 6).reshape(5, 6)
    cube = T_YR[:, None, None] * vel[None] + rng.normal(0, 1.0, (len(DATES), 5, 6))
    cube[:, 0, 0] = np.nan
    path = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[d.isoformat() for d in DATES],
                         metadata={"UNIT": "mm", "REFERENCE_X": "500045", "REFERENCE_Y": "4099955",
                                   "REFERENCE_DATE": DATES[0].isoformat(), "WAVELENGTH_M": "0.0555",
                                   "DATES": ",".join(d.isoformat() for d in DATES)})
    return path, cube


def test_raster_run_is_the_core_forecast_with_dates_metadata_and_holdout(run_alg, tmp_path):
    from insar_geohazards.algorithms.hazard import forecast as fc

    path, cube = _series(tmp_path)
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT_RASTER": path, "MODEL": 1, "FORECAST_DATES": "2022-01-01,2021-07-01", "HOLDOUT": 5,
                         "OUTPUT_RASTER": str(tmp_path / "f.tif"), "OUTPUT_SIGMA": str(tmp_path / "s.tif"),
                         "OUTPUT_MODEL": str(tmp_path / "m.tif")}, fb)
    values, ds = read_bands(res["OUTPUT_RASTER"])
    sigma, sds = read_bands(res["OUTPUT_SIGMA"])
    model, _ = read_bands(res["OUTPUT_MODEL"])
    fdates = [dt.date(2021, 7, 1), dt.date(2022, 1, 1)]
    assert [ds.GetRasterBand(i + 1).GetDescription() for i in range(2)] == ["2021-07-01", "2022-01-01"]
    md = ds.GetMetadata()
    assert md["REFERENCE_X"] == "500045" and md["WAVELENGTH_M"] == "0.0555" and md["UNIT"] == "mm"
    assert md["DATES"] == "2021-07-01,2022-01-01"
    ref = fc.forecast_series(cube.reshape(len(DATES), -1).astype(np.float32).astype(np.float64), DATES, fdates,
                             model="linear", holdout=5)
    assert np.array_equal(values.reshape(2, -1), ref.value_mm.astype(np.float32), equal_nan=True)
    assert np.array_equal(sigma.reshape(2, -1), ref.sigma_mm.astype(np.float32), equal_nan=True)
    assert res["HOLDOUT_RMSE_MM"] == pytest.approx(np.sqrt(ref.holdout_sse.sum() / ref.holdout_count.sum()))
    assert 0.7 < res["HOLDOUT_RMSE_MM"] < 1.5  # the noise is 1 mm
    assert model[0, 0, 0] == 0 and (model.reshape(-1)[1:] == 1).all()
    # the truth at the forecast dates is within a few sigma everywhere
    vel = np.linspace(-20, 5, 30).reshape(5, 6)
    t_f = np.array([(d - DATES[0]).days for d in fdates]) / 365.25
    err = (values - t_f[:, None, None] * vel[None]) / sigma
    assert np.nanmax(np.abs(err)) < 4
    assert "hold-out RMSE" in fb.text
    assert sds.GetMetadata()["QUANTITY"].startswith("1-sigma")


def test_points_run_writes_dated_forecasts_sigmas_and_model(run_alg, tmp_path):
    rng = np.random.default_rng(3)
    tau = np.array([(d - dt.date(2019, 12, 1)).days for d in DATES], float)
    vals = np.column_stack([-6.0 * T_YR, -25.0 * (1 - np.exp(-tau / 120.0)), -12.0 * np.log10(tau / 34.0)])
    vals = vals + rng.normal(0, 0.4, vals.shape)
    src = write_dated_layer(tmp_path / "p.gpkg", DATES, vals)
    res = run_alg(NAME, {"INPUT": src, "FORECAST_DATES": "2022-03-01", "ORIGIN_DATE": "2019-12-01",
                         "PRIMARY_END_DAYS": 34, "OUTPUT": str(tmp_path / "f.gpkg")})
    names, rows = read_layer(res["OUTPUT"])
    assert {"D20220301", "S20220301", "MODEL", "MODEL_NAME", "CODE"} <= set(names)
    assert not [n for n in names if n.startswith("D2020")]  # the acquisitions are not carried as dated fields
    # the two curved series get their own model (the choice on lines: tests/core/test_hazard_forecast.py)
    assert [r["MODEL_NAME"] for r in rows][1:] == ["expdecay", "consolidation"]
    assert [r["MODEL"] for r in rows][1:] == [6, 5] and 1 <= rows[0]["MODEL"] <= 6
    t_f = (dt.date(2022, 3, 1) - DATES[0]).days / 365.25
    tau_f = (dt.date(2022, 3, 1) - dt.date(2019, 12, 1)).days
    exact = [-6.0 * t_f, -25.0 * (1 - np.exp(-tau_f / 120.0)), -12.0 * np.log10(tau_f / 34.0)]
    for r, e in zip(rows, exact):
        assert abs(r["D20220301"] - e) < 3 * r["S20220301"]
    assert np.isnan(res["HOLDOUT_RMSE_MM"])


def test_refusals_name_the_input(alg, tmp_path):
    from qgis.core import QgsProcessingContext

    path, _ = _series(tmp_path)
    a, ctx = alg(NAME), QgsProcessingContext()
    base = {"INPUT_RASTER": path, "OUTPUT_RASTER": str(tmp_path / "f.tif"), "FORECAST_DATES": "2022-01-01"}
    ok, msg = a.checkParameterValues(dict(base, HOLDOUT=37), ctx)
    assert not ok and "INPUT_RASTER has 40 dates, 3 before the 37 held out" in msg
    src = write_dated_layer(tmp_path / "p.gpkg", DATES, np.zeros((40, 2)))
    ok, msg = a.checkParameterValues({"INPUT": src, "OUTPUT": str(tmp_path / "o.gpkg"), "FORECAST_DATES": "2022-01-01",
                                      "THICKNESS": path}, ctx)
    assert not ok and "THICKNESS" in msg
    ok, msg = a.checkParameterValues({"FORECAST_DATES": "2022-01-01", "OUTPUT": "TEMPORARY_OUTPUT"}, ctx)
    assert not ok and "INPUT" in msg and "INPUT_RASTER" in msg and "needed" in msg


def test_a_date_inside_the_series_is_refused_and_nothing_written(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path, _ = _series(tmp_path)
    with pytest.raises(QgsProcessingException, match="2020-06-01 is not after the last date"):
        run_alg(NAME, {"INPUT_RASTER": path, "FORECAST_DATES": "2020-06-01,2022-01-01",
                       "OUTPUT_RASTER": str(tmp_path / "f.tif")})
    assert not os.path.exists(tmp_path / "f.tif")


def test_thickness_gives_c_alpha_and_no_consolidation_without_it(run_alg, tmp_path):
    tau = np.array([(d - dt.date(2019, 10, 1)).days for d in DATES], float)
    cube = np.broadcast_to((-20.0 * np.log10(tau / 60.0))[:, None, None], (len(DATES), 3, 4)).copy()
    cube += np.random.default_rng(4).normal(0, 0.3, cube.shape)
    path = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[d.isoformat() for d in DATES])
    thick = np.full((3, 4), 25.0)
    thick[0, :2] = np.nan
    tpath = write_geotiff(tmp_path / "h.tif", thick)
    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT_RASTER": path, "MODEL": 5, "ORIGIN_DATE": "2019-10-01", "PRIMARY_END_DAYS": 60,
                         "THICKNESS": tpath, "FORECAST_DATES": "2023-01-01",
                         "OUTPUT_RASTER": str(tmp_path / "f.tif")}, fb)
    values, _ = read_bands(res["OUTPUT_RASTER"])
    assert np.isnan(values[0, 0, :2]).all() and np.isfinite(values[0, 1:]).all()
    assert "median 0.0008" in fb.text, fb.text  # 20 mm per decade over 25 m


@pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "egms_ustica", "asc_117_subset.gpkg")),
                    reason="the EGMS Ustica subset is not in tests/data")
def test_real_egms_points_forecast_and_holdout(run_alg, tmp_path):
    """EGMS L2b points on Ustica (Copernicus, 2020-2024): linear forecasts one year after the last date, scored on
    the last 10 acquisitions; the hold-out RMSE is that of EGMS's few-mm noise."""
    res = run_alg(NAME, {"INPUT": os.path.join(DATA, "egms_ustica", "asc_117_subset.gpkg"), "MODEL": 1,
                         "FORECAST_DATES": "2025-12-01", "HOLDOUT": 10, "OUTPUT": str(tmp_path / "u.gpkg")})
    names, rows = read_layer(res["OUTPUT"])
    assert len(rows) == 207 and "D20251201" in names
    assert 0.5 < res["HOLDOUT_RMSE_MM"] < 10.0
    assert all(r["S20251201"] > 0 for r in rows)


def test_point_blocks_do_not_change_the_bytes(run_alg, tmp_path, monkeypatch):
    """Points in blocks of 2 or all at once: the same forecasts, sigmas, models and hold-out RMSE."""
    from osgeo import ogr

    from insar_geohazards.fileio.motion import displacement_forecast as io_fc

    rng = np.random.default_rng(5)
    vals = T_YR[:, None] * rng.normal(-8, 5, 7)[None] + rng.normal(0, 1, (len(DATES), 7))
    vals[3, 2] = np.nan
    src = write_dated_layer(tmp_path / "p.gpkg", DATES, vals)
    outs = []
    for size in (10000, 2):
        monkeypatch.setattr(io_fc, "BLOCK_POINTS", size)
        res = run_alg(NAME, {"INPUT": src, "FORECAST_DATES": "2021-09-01", "HOLDOUT": 4,
                             "OUTPUT": str(tmp_path / f"f{size}.gpkg")})
        ds = ogr.Open(res["OUTPUT"])
        outs.append(([tuple(f.GetField(i) for i in range(f.GetFieldCount())) for f in ds.GetLayer(0)],
                     res["HOLDOUT_RMSE_MM"]))
        ds = None
    assert outs[0] == outs[1]
