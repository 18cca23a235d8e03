"""Hostile inputs for the temporal-model tools: timeseriesmodels, inversevelocity, zonalseries."""

import os

import numpy as np
import registry
import testutils_hostile as hk

#: the tools whose hostile family is "models" in tests/registry.py and the recipe each names
TOOLS, recipe = registry.hostile_family("models", globals())


def points_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    src = hk.dated_layer(j(tmp, "pts.gpkg"))
    params = {"INPUT": src, "OUTPUT": j(out, "res.gpkg")}
    if tool == "inversevelocity":
        params["PLOT_FOLDER"] = j(out, "plots")

    spoil = hk.spoil_input("INPUT", hk.dated_layer, broken=True)

    implausible = {"ORIGIN_DATE": "1900-01-01"} if tool == "timeseriesmodels" else {"NOW_DATE": "1900-01-01"}
    return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, vector="INPUT", nocrs="accept",
                    overlap=None, implausible=implausible)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_timeseriesmodels_raster_input_all_nan_is_refused(qgis_app, tmp_path):
    from testutils import write_geotiff

    path = write_geotiff(tmp_path / "ts.tif", np.full((6, 5, 4), np.nan), geotransform=hk.GT,
                         descriptions=[f"2020-01-{d:02d}" for d in (1, 13, 25, 28, 29, 30)])
    hk.expect_refusal("timeseriesmodels", {"INPUT_RASTER": path, "OUTPUT_RASTER": str(tmp_path / "m.tif")},
                     "no valid pixel")


def test_inversevelocity_no_data_is_not_no_alert(qgis_app, tmp_path):
    """A feature without data gets its own level ("no data", IV_ALERT -1), never "none"."""
    import datetime as dt

    from testutils_models import read_layer, write_dated_layer

    dates = [dt.date(2019, 1, 5) + dt.timedelta(days=12 * i) for i in range(24)]
    t = np.arange(24) * 12.0
    vals = np.stack([-0.02 * t, -30.0 * np.log((t[-1] + 40.0) / (t[-1] + 40.0 - t)), np.full(24, np.nan),
                     np.where(np.arange(24) < 22, np.nan, -1.0)], axis=1)
    src = write_dated_layer(tmp_path / "p.gpkg", dates, vals)
    fb = hk.warning_feedback()
    res = hk.run("inversevelocity", {"INPUT": src, "OUTPUT": str(tmp_path / "iv.gpkg")}, fb)
    _, rows = read_layer(res["OUTPUT"])
    levels = [r["IV_LEVEL"] for r in rows]
    alerts = [r["IV_ALERT"] for r in rows]
    assert levels[0] == "none" and alerts[0] == 0
    assert alerts[1] >= 2
    assert levels[2:] == ["no data", "no data"] and alerts[2:] == [-1, -1]
    assert any("no data" in w for w in fb.warnings)


def test_inversevelocity_all_no_data_is_refused(qgis_app, tmp_path):
    src = hk.dated_layer(tmp_path / "nan.gpkg", nan=True)
    hk.expect_refusal("inversevelocity", {"INPUT": src, "OUTPUT": str(tmp_path / "iv.gpkg")}, "no feature has enough")
    assert not (tmp_path / "iv.gpkg").exists()


def test_inversevelocity_now_date_in_1900_is_refused(qgis_app, tmp_path):
    src = hk.dated_layer(tmp_path / "p.gpkg")
    hk.expect_refusal("inversevelocity", {"INPUT": src, "NOW_DATE": "1900-06-01",
                                         "OUTPUT": str(tmp_path / "iv.gpkg")}, "NOW_DATE = 1900-06-01")


def test_timeseriesmodels_mintpy_files_that_are_not_a_dated_series_are_refused(qgis_app, tmp_path):
    """A MintPy velocity.h5 (no dates) or a radar-coded timeseries.h5 given as the series raster."""
    import pytest
    import testutils_mintpy as tm

    pytest.importorskip("h5py", reason="h5py is not installed")
    days, ts_m, vel = tm.scene()
    out = str(tmp_path / "m.tif")
    hk.expect_refusal("timeseriesmodels", {"INPUT_RASTER": tm.write_velocity(tmp_path / "velocity.h5", vel, days),
                                           "OUTPUT_RASTER": out}, "INPUT_RASTER")
    radar = {k: v for k, v in tm.UTM.items() if k not in ("X_FIRST", "Y_FIRST")}
    hk.expect_refusal("timeseriesmodels", {"INPUT_RASTER": tm.write_timeseries(tmp_path / "ts.h5", ts_m, days,
                                                                               geo=radar),
                                           "OUTPUT_RASTER": out}, "radar coordinates")
    assert not os.path.exists(out)


def zonal_recipe(tool, tmp):
    """zonalseries: a dated raster and two zones over it."""
    from testutils import write_geotiff

    tmp, out = hk.folders(tmp)
    j = os.path.join
    descriptions = [f"2020-01-{d:02d}" for d in (1, 13, 25)]

    def series(path, *, nan=False, epsg=32633, gt=hk.GT):
        values = np.random.default_rng(0).normal(0.0, 2.0, (3, 24, 28))
        if nan:
            values[:] = np.nan
        return write_geotiff(path, values, geotransform=gt, epsg=epsg, descriptions=descriptions)

    x0, y0 = hk.GT[0], hk.GT[3]
    zones = hk.polygon_layer(j(tmp, "zones.gpkg"), [hk.square(x0 + 200.0, y0 - 200.0, 150.0),
                                                    hk.square(x0 + 500.0, y0 - 400.0, 120.0)])
    far = hk.polygon_layer(j(tmp, "far.gpkg"), [hk.square(x0 + 9e5, y0 - 9e5, 150.0)])
    params = {"INPUT": series(j(tmp, "series.tif")), "ZONES": zones, "OUTPUT": j(out, "zones.gpkg")}

    def spoil(kind, folder):
        if kind == "truncated":
            return {"INPUT": hk.truncate(series(j(folder, "trunc.tif")))}, "trunc.tif"
        if kind == "nan":
            return {"INPUT": series(j(folder, "nan.tif"), nan=True)}, "no valid pixel|no value in any zone"
        return {"INPUT": series(j(folder, "radar.tif"), epsg=None, gt=None)}, None

    return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT", overlap={"ZONES": far})
