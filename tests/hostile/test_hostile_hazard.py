"""Hostile inputs for the hazard-map tools: susceptibility."""

import os

import numpy as np
import testutils_hostile as hk
from testutils import write_geotiff
from testutils_ada import write_wkt_layer
from testutils_susceptibility import GT, make_world, write_world

TOOLS = ["susceptibility"]


def _susceptibility(tmp, out):
    j = os.path.join
    paths, inv = write_world(j(tmp, "world"), make_world((60, 80), seed=3))
    params = {"INVENTORY": inv, "FACTORS": [paths["slope"], paths["spurious"]],
              "CATEGORICAL_FACTORS": [paths["lithology"]], "TREES": 20,
              "OUTPUT": j(out, "s.tif"), "OUTPUT_CLASSES": j(out, "c.tif"), "OUTPUT_REPORT": j(out, "r.html")}

    def spoil(kind, folder):
        if kind == "truncated":
            return {"FACTORS": [hk.truncate(hk.dem_raster(j(folder, "trunc.tif"), gt=GT, shape=(60, 80))),
                                paths["spurious"]]}, "trunc.tif"
        if kind == "nan":
            return {"FACTORS": [paths["slope"], hk.dem_raster(j(folder, "nan.tif"), gt=GT, shape=(60, 80),
                                                              nan=True)]}, "no valid pixel"
        return {"FACTORS": [hk.dem_raster(j(folder, "nocrs.tif"), gt=GT, shape=(60, 80), epsg=None),
                            paths["spurious"]]}, None

    far = write_wkt_layer(j(tmp, "far.gpkg"), ["POINT(1500000 5100000)", "POINT(1500100 5100000)"])
    return hk.Recipe(params, ["OUTPUT", "OUTPUT_CLASSES", "OUTPUT_REPORT"], ("FACTORS", "OUTPUT"), spoil,
                     raster="FACTORS", vector="INVENTORY", overlap={"INVENTORY": far})


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    if tool == "susceptibility":
        return _susceptibility(tmp, out)
    raise KeyError(tool)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def _base(tmp_path):
    r = recipe("susceptibility", tmp_path)
    return r.params, os.path.join(str(tmp_path), "world")


def _expect(params, tmp_path, match):
    msg = hk.expect_refusal("susceptibility", params, match)
    left = hk.listing(os.path.join(str(tmp_path), "out"))
    assert not left, left
    return msg


def test_an_inventory_covering_the_area_is_refused_as_unbalanced(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    x0, y0 = GT[0], GT[3]
    whole = write_wkt_layer(tmp_path / "whole.gpkg", [f"POLYGON(({x0} {y0},{x0 + 2400} {y0},{x0 + 2400} {y0 - 1700},"
                                                      f"{x0} {y0 - 1700},{x0} {y0}))"])
    msg = _expect({**params, "INVENTORY": whole}, tmp_path, "INVENTORY: the inventory covers")
    assert "ABSENCE_BUFFER_M" in msg


def test_too_few_events_are_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    few = write_wkt_layer(tmp_path / "few.gpkg", [f"POINT({GT[0] + 45 + 90 * i} {GT[3] - 45})" for i in range(4)])
    _expect({**params, "INVENTORY": few}, tmp_path, r"INVENTORY: only 4 inventory pixel\(s\)")


def test_a_categorical_raster_of_floats_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    rng = np.random.default_rng(0)
    floats = write_geotiff(tmp_path / "geology_float.tif", rng.uniform(0, 5, (60, 80)), geotransform=GT)
    msg = _expect({**params, "CATEGORICAL_FACTORS": [floats]}, tmp_path, "CATEGORICAL_FACTORS: geology_float holds "
                                                                         "codes that are not whole numbers")
    assert "FACTORS instead" in msg


def test_a_categorical_raster_of_hundreds_of_classes_is_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    many = write_geotiff(tmp_path / "parcels.tif", np.arange(60 * 80).reshape(60, 80) % 400, geotransform=GT)
    _expect({**params, "CATEGORICAL_FACTORS": [many]}, tmp_path, "CATEGORICAL_FACTORS: parcels has more than 50 "
                                                                 "classes")


def test_a_constant_factor_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    flat = write_geotiff(tmp_path / "flat.tif", np.full((60, 80), 3.0), geotransform=GT)
    _expect({**params, "FACTORS": params["FACTORS"] + [flat]}, tmp_path, "FACTORS: flat is constant")


def test_an_inventory_partly_off_the_grid_is_used_where_it_overlaps_and_named(qgis_app, tmp_path):
    """Features off the factors' grid are left out with a warning naming INVENTORY; those on it are used."""
    from osgeo import ogr

    params, world = _base(tmp_path)
    src = ogr.Open(params["INVENTORY"])
    wkts = [f.GetGeometryRef().ExportToWkt() for f in src.GetLayer(0)] + ["POINT(1500000 5100000)"]
    src = None
    mixed = write_wkt_layer(tmp_path / "mixed.gpkg", wkts, geom_type=ogr.wkbUnknown)
    fb = hk.warning_feedback()
    res = hk.run("susceptibility", {**params, "INVENTORY": mixed}, fb)
    assert any("INVENTORY: 1 of" in w and "off the factors' grid" in w for w in fb.warnings), fb.warnings
    assert res["AUC"] > 0.5


def test_factors_in_different_crss_are_resampled_and_a_factor_without_crs_on_another_grid_refused(qgis_app,
                                                                                                  tmp_path):
    from osgeo import gdal

    params, _ = _base(tmp_path)
    moved = str(tmp_path / "spurious_wgs84.tif")
    gdal.Warp(moved, params["FACTORS"][1], dstSRS="EPSG:4326")
    res = hk.run("susceptibility", {**params, "FACTORS": [params["FACTORS"][0], moved]})
    assert os.path.exists(res["OUTPUT"])
    nocrs = write_geotiff(tmp_path / "coarse_nocrs.tif", np.random.default_rng(1).normal(size=(30, 40)),
                          geotransform=(GT[0], 60.0, 0.0, GT[3], 0.0, -60.0), epsg=None)
    os.makedirs(tmp_path / "out2")
    hk.expect_refusal("susceptibility", {**params, "FACTORS": [params["FACTORS"][0], nocrs],
                                         "OUTPUT": str(tmp_path / "out2" / "s.tif")},
                      "coarse_nocrs has no CRS and is not on the grid")


def test_a_geographic_first_factor_is_refused(qgis_app, tmp_path):
    from osgeo import gdal

    params, _ = _base(tmp_path)
    geo = str(tmp_path / "slope_wgs84.tif")
    gdal.Warp(geo, params["FACTORS"][0], dstSRS="EPSG:4326")
    _expect({**params, "FACTORS": [geo, params["FACTORS"][1]]}, tmp_path, "geographic CRS")


def test_a_block_size_too_large_for_the_folds_is_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    _expect({**params, "BLOCK_SIZE_M": 50000.0}, tmp_path, "BLOCK_SIZE_M: the inventory lies in 1 block")


def test_a_model_applied_to_other_factors_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    model = str(tmp_path / "m.zip")
    hk.run("susceptibility", {**params, "OUTPUT_MODEL": model})
    for name in os.listdir(tmp_path / "out"):
        os.remove(tmp_path / "out" / name)
    msg = _expect({"FACTORS": params["FACTORS"], "MODEL": model, "OUTPUT": params["OUTPUT"]}, tmp_path,
                  r"MODEL: the model takes 2 continuous and 1 categorical factor\(s\)")
    assert "lithology (classes)" in msg
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    _expect({**params, "MODEL": str(junk)}, tmp_path, "MODEL: junk.zip is not a susceptibility model")
