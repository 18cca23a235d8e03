"""Hostile inputs for the active-deformation-area tools: adadetection, adaclassification, landslideactivity,
faultproximity."""

import os

import numpy as np
import testutils_hostile as hk

TOOLS = ["adadetection", "adaclassification", "landslideactivity", "faultproximity"]
X0, Y0 = 500000.0, 4099300.0


def _ada(tmp):
    pts = hk.points_layer(os.path.join(tmp, "pts.gpkg"))
    res = hk.run("adadetection", {"INPUT": pts, "OUTPUT": os.path.join(tmp, "ada.gpkg")})
    return pts, res["OUTPUT"]


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    far_pts = lambda folder: hk.points_layer(j(folder, "far_pts.gpkg"), x0=X0 + 1e6, y0=Y0 + 1e6)  # noqa: E731
    if tool == "adadetection":
        pts = hk.points_layer(j(tmp, "pts.gpkg"))
        params = {"INPUT": pts, "OUTPUT": j(out, "ada.gpkg")}

        spoil = hk.spoil_input("INPUT", hk.points_layer, broken=True)

        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, vector="INPUT")
    if tool == "adaclassification":
        pts, ada = _ada(tmp)
        dem = hk.dem_raster(j(tmp, "dem.tif"), gt=(X0 - 100, 30.0, 0.0, Y0 + 800, 0.0, -30.0), shape=(40, 40))
        params = {"INPUT": ada, "DEM": dem, "OUTPUT": j(out, "cls.gpkg")}

        def spoil(kind, folder):
            gt = (X0 - 100, 30.0, 0.0, Y0 + 800, 0.0, -30.0)
            if kind == "truncated":
                return {"DEM": hk.truncate(hk.dem_raster(j(folder, "trunc_dem.tif"), gt=gt, shape=(40, 40)))}, \
                    "trunc_dem.tif"
            if kind == "nan":
                return {"DEM": hk.dem_raster(j(folder, "nan_dem.tif"), gt=gt, shape=(40, 40), nan=True)}, \
                    "no valid pixel"
            return {"DEM": hk.dem_raster(j(folder, "nocrs_dem.tif"), gt=gt, shape=(40, 40), epsg=None)}, None

        far_dem = hk.dem_raster(j(tmp, "far_dem.tif"), gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, vector="INPUT", raster="DEM",
                        overlap={"DEM": far_dem})
    if tool == "landslideactivity":
        pts = hk.points_layer(j(tmp, "pts.gpkg"))
        inv = hk.polygon_layer(j(tmp, "inv.gpkg"),
                               [hk.square(X0 + 200, Y0 + 200, 300), hk.square(X0 + 10, Y0 + 10, 80)],
                               fields={"name": ["slide", "quiet"]}, text_fields=("name",))
        params = {"INVENTORY": inv, "POINTS": pts, "OUTPUT": j(out, "act.gpkg")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"INVENTORY": hk.garbage(j(folder, "broken.gpkg"))}, "broken.gpkg"
            if kind == "nan":
                return {"POINTS": hk.points_layer(j(folder, "nan.gpkg"), nan=True)}, None
            return {"INVENTORY": hk.polygon_layer(j(folder, "nocrs.gpkg"), [hk.square(X0 + 200, Y0 + 200, 300)],
                                                 epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT"], ("POINTS", "OUTPUT"), spoil, vector="INVENTORY",
                        overlap={"POINTS": far_pts(tmp)}, implausible={"INCIDENCE": 89.999})
    if tool == "faultproximity":
        pts = hk.points_layer(j(tmp, "pts.gpkg"))
        faults = hk.line_layer(j(tmp, "faults.gpkg"), [[(X0 + 100, Y0 - 500), (X0 + 300, Y0 + 1200)]])
        params = {"INPUT": pts, "FAULTS": faults, "OUTPUT": j(out, "d.gpkg"), "OUTPUT_CHART": j(out, "c.png")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"FAULTS": hk.garbage(j(folder, "broken.gpkg"))}, "broken.gpkg"
            if kind == "nan":
                return {"INPUT": hk.write_layer(j(folder, "empty.gpkg"), ["POINT EMPTY", "POINT EMPTY"],
                                               {"VEL": [np.nan, np.nan]})}, None
            return {"FAULTS": hk.line_layer(j(folder, "nocrs.gpkg"), [[(X0, Y0), (X0 + 100, Y0 + 100)]],
                                           epsg=None)}, None

        far = hk.line_layer(j(tmp, "far_faults.gpkg"), [[(X0 + 9e5, Y0), (X0 + 9.1e5, Y0)]])
        return hk.Recipe(params, ["OUTPUT", "OUTPUT_CHART"], ("FAULTS", "OUTPUT"), spoil, vector="INPUT",
                        overlap={"FAULTS": far})
    raise KeyError(tool)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_point_layer_is_refused_as_landslide_inventory(qgis_app, tmp_path):
    pts = hk.points_layer(tmp_path / "pts.gpkg")
    msg = hk.expect_refusal("landslideactivity", {"INVENTORY": pts, "POINTS": pts, "OUTPUT": str(tmp_path / "a.gpkg")},
                           "INVENTORY")
    assert "polygon" in msg


def test_distortion_mask_that_misses_the_adas_is_refused(qgis_app, tmp_path):
    pts, ada = _ada(str(tmp_path))
    mask = hk.los_raster(tmp_path / "dist.tif", value=1.0, gt=hk.FAR_GT)
    hk.expect_refusal("adaclassification", {"INPUT": ada, "DISTORTION": mask, "DROP_DISTORTED": True,
                                           "OUTPUT": str(tmp_path / "c.gpkg")}, "do not overlap")
