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
    assert ids[:15] == ["INPUT", "INPUT_RASTER", "MODEL", "CRITERION", "FORECAST_DATES", "HOLDOUT", "ORIGIN_DATE",
                        "PRIMARY_END_DAYS", "THICKNESS", "OUTPUT", "OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL",
                        "OUTPUT_STEPS", "OUTPUT_CHOICE"]
    assert a.parameterDefinition("MODEL").options()[0].startswith("Best")
    assert len(a.parameterDefinition("MODEL").options()) == 7
    assert {"HOLDOUT_RMSE_MM", "COVERAGE_2SIGMA"} <= {o.name() for o in a.outputDefinitions()}
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


def test_offsets_and_choice_rasters_say_what_the_core_found(run_alg, tmp_path):
    """A raster of 60 dates: lines with one offset of 8-12 mm on 2021-01-22, accelerations (-6 mm/yr^2 from the
    start) and plain lines, 1 mm noise: OUTPUT_STEPS finds and uses one offset at its date on the offset pixels
    (YYYYMMDD of the first date after it) and none elsewhere; OUTPUT_MODEL says quadratic on the accelerations;
    OUTPUT_CHOICE holds the core's close flag, runner-up, gap and weight; a points run gives the same in fields."""
    from insar_geohazards.algorithms.hazard import forecast as fc

    rng = np.random.default_rng(9)
    dates = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * i) for i in range(60)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    k = 33  # the offset's first date
    kind = np.repeat([0, 1, 2], 8).reshape(4, 6)
    clean = np.where(kind == 0, -4.0, 0.0) * t[:, None, None]
    clean = clean + np.where(kind == 0, (np.arange(60) >= k)[:, None, None] * rng.uniform(8, 12, (4, 6)), 0.0)
    clean = clean + np.where(kind == 1, -2.0 * t[:, None, None] - 3.0 * t[:, None, None] ** 2, 0.0)
    clean = clean + np.where(kind == 2, 5.0 * t[:, None, None], 0.0)
    cube = clean + rng.normal(0, 1.0, clean.shape)
    path = write_geotiff(tmp_path / "ts.tif", cube, descriptions=[d.isoformat() for d in dates])
    out = {key: str(tmp_path / f"{key}.tif") for key in ("OUTPUT_RASTER", "OUTPUT_MODEL", "OUTPUT_STEPS",
                                                          "OUTPUT_CHOICE")}
    run_alg(NAME, {"INPUT_RASTER": path, "FORECAST_DATES": "2022-06-01", **out})
    steps, sds = read_bands(out["OUTPUT_STEPS"])
    choice, cds = read_bands(out["OUTPUT_CHOICE"])
    model, _ = read_bands(out["OUTPUT_MODEL"])
    assert sds.GetRasterBand(1).DataType == 5 and steps.shape[0] == 2 + fc.STEP_MAX  # int32
    when = int(dates[k].strftime("%Y%m%d"))
    assert (steps[0][kind == 0] == 1).all() and (steps[1][kind == 0] == 1).all() and (steps[2][kind == 0] == when).all()
    assert (steps[0][kind != 0] == 0).all() and (steps[1][kind != 0] == 0).all()
    assert (steps[2:][:, kind != 0] == 0).all()
    assert (model[0][kind == 1] == 3).all() and (model[0][kind != 1] == 1).all()
    core = fc.forecast_series(cube.reshape(60, -1).astype(np.float32).astype(np.float64), dates, [dt.date(2022, 6, 1)])
    assert np.array_equal(choice.reshape(4, -1), fc.choice_bands(core), equal_nan=True)
    assert "close" in cds.GetRasterBand(1).GetDescription() and "runner-up" in cds.GetRasterBand(2).GetDescription()
    src = write_dated_layer(tmp_path / "p.gpkg", dates, cube.reshape(60, -1)[:, :10])
    res = run_alg(NAME, {"INPUT": src, "FORECAST_DATES": "2022-06-01", "OUTPUT": str(tmp_path / "f.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    assert [r["STEP_DATES"] for r in rows[:8]] == [dates[k].isoformat()] * 8 and rows[8]["STEP_DATES"] in (None, "")
    assert [r["STEPS_USED"] for r in rows] == [1] * 8 + [0] * 2
    assert all(r["RUNNER_UP"] in range(0, 8) and 0 < r["MODEL_WEIGHT"] <= 1 for r in rows)


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

    from insar_geohazards.fileio.hazard import displacementforecast as io_fc

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


def _dialog_values(a, values: dict) -> dict:
    """The values the tool's dialog sends when the user fills ``values`` only: every output made by default goes to
    a temporary file loaded in the project, the others are skipped."""
    from qgis.core import QgsProcessingOutputLayerDefinition, QgsProject

    out = dict(values)
    for d in a.destinationParameterDefinitions():
        if d.name() not in out and d.createByDefault() and not d.flags() & d.FlagHidden:
            out[d.name()] = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
    return out


@pytest.mark.parametrize("kind", ["raster", "points"])
def test_the_dialogs_defaults_give_the_forecast_and_every_layer_to_load_exists(alg, tmp_path, kind):
    """Only the series and the forecast date filled in the dialog: the run gives the forecast of that kind of input,
    and every layer QGIS is to load at the end exists (the other kind's outputs are not asked to load)."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingUtils, QgsProject

    if kind == "raster":
        given = {"INPUT_RASTER": _series(tmp_path)[0]}
    else:
        given = {"INPUT": write_dated_layer(tmp_path / "p.gpkg", DATES, -np.outer(T_YR, [5.0, 9.0]))}
    a = alg(NAME)
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    res = processing.run(f"geohazard:{NAME}", _dialog_values(a, dict(given, FORECAST_DATES="2022-01-01")),
                         context=ctx, feedback=recording_feedback())
    main = res["OUTPUT_RASTER"] if kind == "raster" else res["OUTPUT"]
    assert main and os.path.exists(str(main).split("|")[0])
    to_load = ctx.layersToLoadOnCompletion()
    assert to_load
    for path in to_load:
        assert QgsProcessingUtils.mapLayerFromString(path, ctx) is not None, path
    assert 0.8 <= res["COVERAGE_2SIGMA"] <= 1.0


def test_refusals_use_the_labels_the_dialog_shows(alg, tmp_path):
    from qgis.core import QgsProcessingContext

    path, _ = _series(tmp_path)
    a, ctx = alg(NAME), QgsProcessingContext()
    ok, msg = a.checkParameterValues({"INPUT_RASTER": path, "OUTPUT_RASTER": None, "FORECAST_DATES": "2022-01-01"},
                                     ctx)
    assert not ok and "Or: time-series raster" in msg and "Forecast (mm) (OUTPUT_RASTER)" in msg, msg
    ok, msg = a.checkParameterValues({"FORECAST_DATES": "2022-01-01", "OUTPUT": "TEMPORARY_OUTPUT"}, ctx)
    assert not ok and "Dated points" in msg and "time-series raster" in msg, msg


def test_an_origin_date_after_the_first_date_is_refused_naming_it(alg, tmp_path):
    from qgis.core import QgsProcessingContext

    path, _ = _series(tmp_path)
    a = alg(NAME)
    base = {"INPUT_RASTER": path, "OUTPUT_RASTER": str(tmp_path / "f.tif"), "FORECAST_DATES": "2022-01-01"}
    ok, msg = a.checkParameterValues(dict(base, ORIGIN_DATE="2020-03-01"), QgsProcessingContext())
    assert not ok and "Origin date" in msg and "(ORIGIN_DATE) 2020-03-01 is not before the first date" in msg, msg
    ok, msg = a.checkParameterValues(dict(base, ORIGIN_DATE="2019-12-01"), QgsProcessingContext())
    assert ok, msg
    ok, msg = a.checkParameterValues(dict(base, ORIGIN_DATE="2020-03-01", MODEL=1), QgsProcessingContext())
    assert ok, msg  # the line does not count time from the origin


def test_no_numpy_warning_reaches_the_log(run_alg, tmp_path):
    """Gaps, an empty pixel and a constant pixel: the log holds the tool's own lines, no numpy RuntimeWarning."""
    import warnings

    path, cube = _series(tmp_path)
    fb = recording_feedback()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_alg(NAME, {"INPUT_RASTER": path, "FORECAST_DATES": "2022-01-01", "HOLDOUT": 4,
                       "OUTPUT_RASTER": str(tmp_path / "f.tif")}, fb)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    assert "RuntimeWarning" not in fb.text and "invalid value" not in fb.text


def test_a_drawn_model_sbas_then_forecast_runs(qgis_app, tmp_path):
    """A model drawn in the modeler: interferograms -> sbasinversion -> displacementforecast, only the forecast kept:
    the forecast step runs on the SBAS series and gives the forecast of its last date's trend."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers
    from testutils_corrections import mm_to_rad, synthetic_stack, write_stack_tifs
    from testutils_modeler import UserModel, run_model

    s = synthetic_stack(shape=(12, 14), n_dates=9, seed=5, bowl_mm_yr=-45.0, strat_mm_per_km=0.0, ramp_mm=0.0,
                        turb_mm=0.3)
    files = write_stack_tifs(str(tmp_path / "ifgs"), mm_to_rad(s["ifg_mm"]), s["dates"], s["pairs"], step=300.0)
    m = UserModel("sbas then forecast")
    m.input(QgsProcessingParameterMultipleLayers("IFGS", "Unwrapped interferograms",
                                                 QgsProcessing.SourceType.TypeRaster))
    m.step("sbas", "geohazard:sbasinversion", "SBAS", {"INTERFEROGRAMS": ("input", "IFGS")})
    future = (max(s["dates"]) + dt.timedelta(days=60)).isoformat()
    m.step("forecast", "geohazard:displacementforecast", "Forecast",
           {"INPUT_RASTER": ("step", "sbas", "OUTPUT_TIMESERIES"), "FORECAST_DATES": future},
           {"FORECAST": "OUTPUT_RASTER"})
    model = m.done()
    got = run_model(model, {"IFGS": files, "forecast:FORECAST": str(tmp_path / "forecast.tif")})
    values, ds = read_bands(got["forecast:FORECAST"])
    assert ds.GetRasterBand(1).GetDescription() == future
    assert np.isfinite(values).mean() > 0.9
