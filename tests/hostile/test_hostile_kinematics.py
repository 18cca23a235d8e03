"""Hostile inputs for the kinematics tools: landslide3d, landslidethickness, validateinsar, triggercorrelation,
offsettracking, offsettimeseries."""

import datetime as dt
import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
import testutils_kinematics as kt
from testutils import write_geotiff


def _csv(path, text):
    with open(path, "w") as fh:
        fh.write(text)
    return str(path)


def _rain(path, start=dt.date(2018, 12, 1), days=420):
    rng = np.random.default_rng(0)
    rows = [f"{start + dt.timedelta(days=i)},{v:.2f}" for i, v in enumerate(rng.gamma(0.5, 6, days))]
    return _csv(path, "date,rain\n" + "\n".join(rows) + "\n")


def _stations(path):
    lines = ["station,date,east,north,up,x,y"]
    for k, x in (("A", 500000.0), ("B", 500060.0)):
        for i in range(300):
            d = dt.date(2019, 1, 1) + dt.timedelta(days=i)
            lines.append(f"{k},{d},0,0,{-0.02 * i:.3f},{x},4800000")
    return _csv(path, "\n".join(lines) + "\n")


def recipe_motion(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "landslide3d":
        params = {"RASTERS": [hk.los_raster(j(tmp, "asc.tif")), hk.los_raster(j(tmp, "desc.tif"), seed=1)],
                  "GEOMETRIES": "-12,39;192,34", "DEM": hk.dem_raster(j(tmp, "dem.tif")),
                  "OUTPUT": j(out, "v.tif"), "OUTPUT_QUALITY": j(out, "q.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"DEM": hk.truncate(hk.dem_raster(j(folder, "trunc_dem.tif")))}, "trunc_dem"
            if kind == "nan":
                return {"RASTERS": [hk.los_raster(j(folder, "n1.tif"), value=np.nan),
                                    hk.los_raster(j(folder, "n2.tif"), value=np.nan)]}, "no valid pixel"
            return {"DEM": hk.dem_raster(j(folder, "nocrs_dem.tif"), epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT", "OUTPUT_QUALITY"], ("DEM", "OUTPUT"), spoil, raster="DEM",
                         overlap={"DEM": hk.dem_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)})
    if tool == "landslidethickness":
        rows, cols = np.mgrid[0:24, 0:28]
        vel = np.stack([np.full((24, 28), 50.0), np.full((24, 28), 5.0), -10 - 0.2 * cols])
        params = {"VELOCITY": write_geotiff(j(tmp, "vel.tif"), vel, geotransform=hk.GT),
                  "DEM": hk.dem_raster(j(tmp, "dem.tif")), "OUTPUT": j(out, "h.tif"),
                  "OUTPUT_QUALITY": j(out, "q.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"DEM": hk.truncate(hk.dem_raster(j(folder, "trunc_dem.tif")))}, "trunc_dem"
            if kind == "nan":
                return {"VELOCITY": write_geotiff(j(folder, "nan.tif"), np.full((3, 24, 28), np.nan),
                                                  geotransform=hk.GT)}, "no valid pixel"
            return {"DEM": hk.dem_raster(j(folder, "nocrs_dem.tif"), epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT", "OUTPUT_QUALITY"], ("DEM", "OUTPUT"), spoil, raster="DEM",
                         overlap={"DEM": hk.dem_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)})
    if tool == "validateinsar":
        params = {"INSAR": hk.dated_layer(j(tmp, "insar.gpkg")), "STATIONS_CSV": _stations(j(tmp, "gnss.csv")),
                  "REFERENCE_STATION": "", "HEADING": -12.0, "INCIDENCE": 37.0, "OUTPUT": j(out, "st.gpkg"),
                  "OUTPUT_TABLE": j(out, "st.csv")}

        spoil = hk.spoil_input("INSAR", hk.dated_layer)

        return hk.Recipe(params, ["OUTPUT", "OUTPUT_TABLE"], ("INSAR", "OUTPUT"), spoil, vector="INSAR",
                         implausible={"INCIDENCE": 89.999})
    if tool == "triggercorrelation":
        params = {"INPUT": hk.dated_layer(j(tmp, "defo.gpkg")), "DRIVER_CSV": _rain(j(tmp, "rain.csv")),
                  "STEP_DAYS": 12.0, "MAX_LAG_DAYS": 48.0, "OUTPUT": j(out, "c.gpkg")}

        spoil = hk.spoil_input("INPUT", hk.dated_layer)

        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, vector="INPUT", nocrs="accept")
    raise KeyError(tool)




def test_driver_gaps_and_bad_driver_are_reported(qgis_app, tmp_path):
    from qgis.core import QgsProcessingException

    defo = hk.dated_layer(str(tmp_path / "defo.gpkg"))
    rows = [f"{dt.date(2018, 12, 1) + dt.timedelta(days=i)},{'' if 60 <= i < 90 else '1.0'}" for i in range(420)]
    fb = hk.warning_feedback()
    hk.run("triggercorrelation", {"INPUT": defo, "DRIVER_CSV": _csv(tmp_path / "gap.csv", "date,rain\n" +
                                                                     "\n".join(rows) + "\n"),
                                  "OUTPUT": str(tmp_path / "c.gpkg"), "STEP_DAYS": 12.0, "MAX_LAG_DAYS": 48.0}, fb)
    assert any("gaps" in w for w in fb.warnings)
    with pytest.raises(QgsProcessingException, match="line 2: 'yesterday' is not a date"):
        hk.run("triggercorrelation", {"INPUT": defo, "DRIVER_CSV": _csv(tmp_path / "bad.csv",
                                                                         "date,rain\nyesterday,1\n2019-01-01,2\n"
                                                                         "2019-01-02,3\n"),
                                      "OUTPUT": str(tmp_path / "c2.gpkg")})


def test_validateinsar_sparse_levelling_with_a_reference_is_refused_clearly(qgis_app, tmp_path):
    """Levelling campaigns 90 days apart with the network-mean reference and the default 15-day gap limit: the
    reference motion cannot be estimated at the InSAR dates -> a message naming the cause and the remedies,
    nothing written; without a reference the campaigns are compared at their own dates."""
    from qgis.core import QgsProcessingException

    insar = hk.dated_layer(str(tmp_path / "insar.gpkg"))  # 24 dates every 12 days from 2019-01-05
    rows = [f"BM,{dt.date(2019, 1, 10) + dt.timedelta(days=90 * k)},{-1.5 * k:.2f},500000,4800000"
            for k in range(5)]
    lev = _csv(tmp_path / "lev.csv", "station,date,up,x,y\n" + "\n".join(rows) + "\n")
    out = {"OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv"), "HEADING": -12.0,
           "INCIDENCE": 37.0}
    with pytest.raises(QgsProcessingException, match="network-mean reference needs station values at the InSAR"
                                                     " dates.*raise the gap, or validate without a reference"):
        hk.run("validateinsar", {"INSAR": insar, "STATIONS_CSV": lev, "REFERENCE_STATION": "mean", **out})
    assert not any(os.path.exists(v) for v in out.values() if isinstance(v, str))
    hk.run("validateinsar", {"INSAR": insar, "STATIONS_CSV": lev, "REFERENCE_STATION": "", **out})
    import csv

    with open(out["OUTPUT_TABLE"], newline="") as fh:
        row = {r["station"]: r for r in csv.DictReader(fh)}["BM"]
    assert row["status"] == "compared" and float(row["n"]) == 4  # the 5th campaign is after the last InSAR date


def test_landslidethickness_absurd_smoothing_or_rheology_is_refused(qgis_app, tmp_path):
    """An ALPHA that flattens the thickness to 0 everywhere (1e6; 5 on this 572-cell landslide, 13.5 cells in
    radius) and a rheology factor below the floor of any gravity-driven shear flow (f = 1/2: the depth average of
    a concave velocity profile is at least half the surface velocity; f = 2/3 Newtonian, 1 sliding block, Booth et
    al. 2013, doi:10.1002/grl.50828) are refused naming the parameter and the plausible range, nothing written; a
    strong but not absurd ALPHA runs with a warning naming the bias."""
    rec = recipe_motion("landslidethickness", tmp_path)
    msg = hk.expect_refusal("landslidethickness", dict(rec.params, ALPHA=1e6), "ALPHA")
    assert "0 to 10" in msg and "0.3 by default" in msg
    msg = hk.expect_refusal("landslidethickness", dict(rec.params, ALPHA=5.0), "ALPHA = 5 is too strong")
    assert "572 cells" in msg and "ALPHA 0 to 1.3" in msg
    msg = hk.expect_refusal("landslidethickness", dict(rec.params, RHEOLOGY_FACTOR=0.1), "RHEOLOGY_FACTOR")
    assert "0.5 to 1" in msg and "grl.50828" in msg
    assert not os.listdir(os.path.join(str(tmp_path), "out"))
    fb = hk.warning_feedback()
    hk.run("landslidethickness", dict(rec.params, ALPHA=2.0), fb)
    assert any("ALPHA = 2 is a strong smoothing" in w and "biased low" in w for w in fb.warnings), fb.warnings
    fb = hk.warning_feedback()
    hk.run("landslidethickness", dict(rec.params, OUTPUT=os.path.join(str(tmp_path), "out", "h2.tif"),
                                      OUTPUT_QUALITY=os.path.join(str(tmp_path), "out", "q2.tif")), fb)
    assert not any("ALPHA" in w for w in fb.warnings), fb.warnings


SHAPE = (64, 72)


def image(path, *, seed=0, shift=(0.0, 0.0), gt=hk.GT, epsg=32633, value=None):
    img = kt.texture(SHAPE, "speckle", seed=seed)
    if shift != (0.0, 0.0):
        img = kt.fourier_shift(img, *shift)
    if value is not None:
        img = np.full(SHAPE, value)
    return write_geotiff(path, img, geotransform=gt, epsg=epsg)


def pair_raster(path, *, gt=hk.GT, epsg=32633, value=None, seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.normal(1.0, 0.1, (2, 24, 28)) if value is None else np.full((2, 24, 28), value)
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg)


def recipe_offsets(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "offsettracking":
        ref = image(j(tmp, "ref.tif"))
        sec = image(j(tmp, "sec.tif"), shift=(0.5, -0.3))
        params = {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 4, "STEP": 16,
                  "OUTPUT": j(out, "off.tif"), "OUTPUT_QUALITY": j(out, "q.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"REFERENCE_IMAGE": hk.truncate(image(j(folder, "trunc.tif")))}, "trunc.tif"
            if kind == "nan":
                return {"REFERENCE_IMAGE": image(j(folder, "nan.tif"), value=np.nan)}, "no valid pixel"
            return {"REFERENCE_IMAGE": image(j(folder, "r_nocrs.tif"), epsg=None),
                    "SECONDARY": image(j(folder, "s_nocrs.tif"), epsg=None, shift=(0.5, 0.0))}, None

        return hk.Recipe(params, ["OUTPUT", "OUTPUT_QUALITY"], ("REFERENCE_IMAGE", "OUTPUT"), spoil,
                         raster="REFERENCE_IMAGE", nocrs="refuse",
                         overlap={"SECONDARY": image(j(tmp, "far.tif"), gt=hk.FAR_GT)})
    if tool == "offsettimeseries":
        names = ["off_20210101_20210113.tif", "off_20210113_20210125.tif", "off_20210101_20210125.tif"]
        paths = [pair_raster(j(tmp, n), seed=k) for k, n in enumerate(names)]
        params = {"INPUTS": paths, "COMPONENTS": "1,2", "OUTPUT": j(out, "d.tif"), "OUTPUT_VELOCITY": j(out, "v.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                bad = hk.truncate(pair_raster(j(folder, "off_20210101_20210125.tif")))
                return {"INPUTS": paths[:2] + [bad]}, "off_20210101_20210125"
            if kind == "nan":
                return {"INPUTS": paths[:2] + [pair_raster(j(folder, "off_20210101_20210125.tif"), value=np.nan)]}, \
                    "no valid pixel"
            return {"INPUTS": [pair_raster(j(folder, n), epsg=None, seed=k) for k, n in enumerate(names)]}, None

        far = pair_raster(j(tmp, "far_20210125_20210206.tif"), gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT", "OUTPUT_VELOCITY"], ("INPUTS", "OUTPUT"), spoil, raster="INPUTS",
                         nocrs="accept", overlap={"INPUTS": paths + [far]})
    raise KeyError(tool)




def test_featureless_images_give_no_offset_and_a_warning(qgis_app, tmp_path):
    ref = image(tmp_path / "flat_a.tif", value=7.0)
    sec = image(tmp_path / "tex.tif")
    msg = hk.expect_refusal("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 32, "SEARCH": 4,
                                               "STEP": 16, "OUTPUT": str(tmp_path / "o.tif")}, "texture|constant")
    assert "REFERENCE_IMAGE" in msg and not (tmp_path / "o.tif").exists()


def test_window_larger_than_image_is_refused(qgis_app, tmp_path):
    ref, sec = image(tmp_path / "a.tif"), image(tmp_path / "b.tif", seed=1)
    hk.expect_refusal("offsettracking", {"REFERENCE_IMAGE": ref, "SECONDARY": sec, "WINDOW": 64, "SEARCH": 8,
                                         "OUTPUT": str(tmp_path / "o.tif")}, "WINDOW")


def test_pair_names_without_dates_are_refused(qgis_app, tmp_path):
    paths = [pair_raster(tmp_path / "a.tif"), pair_raster(tmp_path / "b.tif")]
    hk.expect_refusal("offsettimeseries", {"INPUTS": paths, "OUTPUT": str(tmp_path / "d.tif"),
                                           "OUTPUT_VELOCITY": str(tmp_path / "v.tif")}, "INPUTS")


#: the tools of the family and the recipe (recipe_motion or recipe_offsets) tests/registry.py names for each
TOOLS, recipe = registry.hostile_family("kinematics", globals())
test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_validateinsar_without_a_geometry_is_refused_saying_what_to_type(qgis_app, tmp_path):
    """Points without LOS fields and nothing typed: formerly a silent Sentinel-1 ascending geometry (-12, 37)."""
    out = {"OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv")}
    hk.expect_refusal("validateinsar", {"INSAR": hk.dated_layer(str(tmp_path / "insar.gpkg")),
                                        "STATIONS_CSV": _stations(str(tmp_path / "gnss.csv")), **out},
                      r"HEADING: the inputs carry no heading .*type HEADING")
    assert not any(os.path.exists(v) for v in out.values())
