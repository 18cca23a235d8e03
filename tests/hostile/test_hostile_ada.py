"""Hostile inputs for the active-deformation-area tools: adadetection, adaclassification, landslideactivity,
faultproximity."""

import os

import numpy as np
import registry
import testutils_hostile as hk

TOOLS = registry.hostile_tools("ada")  # the tools whose hostile family is "ada" in tests/registry.py
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


def test_adadetection_on_too_few_points_names_the_input_and_the_need(qgis_app, tmp_path):
    """One point (or fewer than MIN_POINTS with a velocity and a position) cannot hold an active deformation area:
    refused naming INPUT, how many points it has, the velocity field and MIN_POINTS, nothing written."""
    out = str(tmp_path / "ada.gpkg")
    for n in (1, 4):
        pts = hk.points_layer(str(tmp_path / f"p{n}.gpkg"), n=n)
        msg = hk.expect_refusal("adadetection", {"INPUT": pts, "OUTPUT": out}, "INPUT")
        assert f"{n} point" in msg and "'VEL'" in msg and "MIN_POINTS = 5" in msg, msg
        assert not os.path.exists(out)
    pts = hk.points_layer(str(tmp_path / "p4b.gpkg"), n=4)
    hk.run("adadetection", {"INPUT": pts, "MIN_POINTS": 3, "OUTPUT": out})


def test_landslideactivity_downslope_without_a_geometry_is_refused(qgis_app, tmp_path):
    """A DEM and points without LOS fields, no incidence/heading typed: formerly a silent Sentinel-1 ascending
    geometry (-12, 37 degrees) projected the velocities downslope; now the run says what to type."""
    pts = hk.points_layer(str(tmp_path / "pts.gpkg"))
    inv = hk.polygon_layer(str(tmp_path / "inv.gpkg"), [hk.square(X0 + 200, Y0 + 200, 300)])
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), gt=(X0 - 100, 10.0, 0.0, Y0 + 900, 0.0, -10.0), shape=(100, 100))
    out = str(tmp_path / "act.gpkg")
    hk.expect_refusal("landslideactivity", {"INVENTORY": inv, "POINTS": pts, "DEM": dem, "OUTPUT": out},
                      r"INCIDENCE: the inputs carry no incidence angle .*the points carry no LOS fields")
    assert not os.path.exists(out)
    hk.run("landslideactivity", {"INVENTORY": inv, "POINTS": pts, "DEM": dem, "INCIDENCE": 37.0, "HEADING": -12.0,
                                 "OUTPUT": out})
    assert os.path.exists(out)
