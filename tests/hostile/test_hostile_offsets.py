"""Hostile inputs for the offset-tracking tools: offsettracking, offsettimeseries."""

import os

import numpy as np
import testutils_hostile as hk
import testutils_kinematics as kt
from testutils import write_geotiff

TOOLS = ["offsettracking", "offsettimeseries"]
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


def recipe(tool, tmp):
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


test_hostile = hk.hostile_cases(TOOLS, recipe)


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
