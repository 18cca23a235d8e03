"""Hostile inputs for the hazard-map tools: displacementforecast, swathprofile (other hazard tools add their
recipe to FAMILIES)."""

import datetime as dt
import os

import numpy as np
import testutils_hostile as hk
from testutils import write_geotiff

SERIES_DATES = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * i) for i in range(16)]


def series_raster(path, *, nan=False, epsg=32633, gt=hk.GT, shape=(16, 18), seed=0):
    """A time series (mm, one band per date): linear trends with noise and a few no-data pixels."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(SERIES_DATES)) * 12 / 365.25
    cube = rng.normal(-6.0, 3.0, shape)[None] * t[:, None, None] + rng.normal(0, 1.0, (len(t),) + shape)
    cube[:, 2, 3:6] = np.nan
    if nan:
        cube[:] = np.nan
    return write_geotiff(path, cube, geotransform=gt, epsg=epsg, descriptions=[d.isoformat() for d in SERIES_DATES])


def forecast_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT_RASTER": series_raster(j(tmp, "ts.tif")), "MODEL": 0, "HOLDOUT": 3,
              "FORECAST_DATES": "2021-01-01,2021-06-01", "OUTPUT_RASTER": j(out, "f.tif"),
              "OUTPUT_SIGMA": j(out, "s.tif"), "OUTPUT_MODEL": j(out, "m.tif")}

    def spoil(kind, folder):
        if kind == "truncated":
            return {"INPUT_RASTER": hk.truncate(series_raster(j(folder, "trunc.tif")))}, "trunc.tif"
        if kind == "nan":
            return {"INPUT_RASTER": series_raster(j(folder, "nan.tif"), nan=True)}, "no valid pixel"
        return {"INPUT_RASTER": series_raster(j(folder, "radar.tif"), epsg=None, gt=None)}, None

    far = write_geotiff(j(tmp, "h_far.tif"), np.full((16, 18), 20.0), geotransform=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL"], ("INPUT_RASTER", "OUTPUT_RASTER"),
                     spoil, raster="INPUT_RASTER", nocrs="accept", overlap={"THICKNESS": far},
                     implausible={"ORIGIN_DATE": "1900-01-01"})


def profile_line(path, *, epsg=32633, far=False):
    x0 = 1500000.0 if far else 500000.0
    return hk.write_layer(path, [f"LINESTRING({x0 + 40} {4099700}, {x0 + 800} {4099400})"], epsg=epsg,
                          layer="lines")


def swath_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT": hk.los_raster(j(tmp, "vel.tif")), "LINE": profile_line(j(tmp, "line.gpkg")), "WIDTH": 150.0,
              "STEP": 60.0, "OUTPUT": j(out, "profile.gpkg"), "OUTPUT_CHART": j(out, "profile.html")}

    def spoil(kind, folder):
        if kind == "truncated":
            return {"INPUT": hk.truncate(hk.los_raster(j(folder, "trunc.tif")))}, "trunc.tif"
        if kind == "nan":
            return {"INPUT": hk.los_raster(j(folder, "nan.tif"), value=np.nan)}, "no valid pixel|no-data"
        return {"INPUT": hk.los_raster(j(folder, "radar.tif"), epsg=None, gt=None)}, None

    return hk.Recipe(params, ["OUTPUT", "OUTPUT_CHART"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     nocrs="refuse", overlap={"LINE": profile_line(j(tmp, "far.gpkg"), far=True)})


#: (tools, recipe) of each hazard tool; TOOLS and recipe serve every hostile case of the family
FAMILIES = [(["displacementforecast"], forecast_recipe), (["swathprofile"], swath_recipe)]
TOOLS, recipe = hk.recipes(*FAMILIES)

test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_displacementforecast_date_before_the_last_is_refused_and_nothing_written(qgis_app, tmp_path):
    params = forecast_recipe("displacementforecast", tmp_path).params
    params["FORECAST_DATES"] = "2020-03-01"
    msg = hk.expect_refusal("displacementforecast", params, "FORECAST_DATES: 2020-03-01 is not after the last date")
    assert "2020-07-02" in msg
    assert not os.listdir(os.path.join(str(tmp_path), "out"))


def test_displacementforecast_series_too_short_for_the_model_is_refused(qgis_app, tmp_path):
    params = forecast_recipe("displacementforecast", tmp_path).params
    params.update(MODEL=4, HOLDOUT=11)  # logarithmic creep: 4 parameters, needs 6 dates; 5 are left
    hk.expect_refusal("displacementforecast", params, "logcreep model needs at least 6")


def test_swathprofile_line_partly_off_the_raster_runs_with_empty_bins(qgis_app, tmp_path):
    tmp, out = hk.folders(tmp_path)
    line = hk.write_layer(os.path.join(tmp, "long.gpkg"), ["LINESTRING(500100 4099700, 502000 4099700)"],
                          layer="lines")
    res = hk.run("swathprofile", {"INPUT": hk.los_raster(os.path.join(tmp, "v.tif")), "LINE": line, "WIDTH": 60.0,
                                  "STEP": 100.0, "OUTPUT": os.path.join(out, "p.gpkg")})
    from testutils_models import read_layer

    _, rows = read_layer(res["OUTPUT"])
    assert rows[0]["count"] > 0 and rows[-1]["count"] == 0 and rows[-1]["mean"] is None
