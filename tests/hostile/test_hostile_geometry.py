"""Hostile inputs for the geometry tools: losvelocitytovertical, geometricdistortion, losprojection,
ascdescdecomposition."""

import os

import numpy as np
import testutils_hostile as hk
from testutils import write_geotiff

TOOLS = ["losvelocitytovertical", "geometricdistortion", "losprojection", "ascdescdecomposition"]


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "losvelocitytovertical":
        src = hk.los_raster(j(tmp, "ifg.tif"))
        params = {"INPUT": src, "INCIDENCE": 37.0, "OUTPUT": j(out, "vert.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"INPUT": hk.truncate(hk.los_raster(j(folder, "trunc.tif"), ))}, "trunc.tif"
            if kind == "nan":
                return {"INPUT": hk.los_raster(j(folder, "nan.tif"), value=np.nan)}, "no valid pixel"
            return {"INPUT": hk.los_raster(j(folder, "radar.tif"), epsg=None, gt=None)}, None

        far = hk.los_raster(j(tmp, "inc_far.tif"), value=37.0, gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT", nocrs="accept",
                        overlap={"INCIDENCE_RASTER": far}, implausible={"INCIDENCE": 89.999})
    if tool == "geometricdistortion":
        dem = hk.dem_raster(j(tmp, "dem.tif"))
        params = {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0, "OUTPUT_CLASSES": j(out, "cls.tif"),
                  "OUTPUT_RINDEX": j(out, "r.tif"), "OUTPUT_VISIBILITY": j(out, "vis.tif"),
                  "OUTPUT_TABLE": j(out, "t.csv")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"DEM": hk.truncate(hk.dem_raster(j(folder, "trunc_dem.tif"), ))}, "trunc_dem"
            if kind == "nan":
                return {"DEM": hk.dem_raster(j(folder, "nan_dem.tif"), nan=True)}, "no valid pixel"
            return {"DEM": hk.dem_raster(j(folder, "nocrs_dem.tif"), epsg=None)}, None

        far = hk.los_raster(j(tmp, "inc_far.tif"), value=37.0, gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_TABLE"],
                        ("DEM", "OUTPUT_RINDEX"), spoil, raster="DEM", nocrs="refuse",
                        overlap={"INCIDENCE_RASTER": far}, implausible={"INCIDENCE": 89.999})
    if tool == "losprojection":
        src = hk.los_raster(j(tmp, "vel.tif"))
        dem = hk.dem_raster(j(tmp, "dem.tif"))
        params = {"INPUT": src, "DEM": dem, "HEADING": -10.0, "INCIDENCE": 39.0,
                  "OUTPUT_VERTICAL": j(out, "v.tif"), "OUTPUT_DOWNSLOPE": j(out, "s.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"INPUT": hk.truncate(hk.los_raster(j(folder, "trunc.tif"), ))}, "trunc.tif"
            if kind == "nan":
                return {"INPUT": hk.los_raster(j(folder, "nan.tif"), value=np.nan)}, "no valid pixel"
            return {"INPUT": hk.los_raster(j(folder, "nocrs.tif"), epsg=None),
                    "DEM": hk.dem_raster(j(folder, "nocrs_dem.tif"), epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT_VERTICAL", "OUTPUT_DOWNSLOPE"], ("DEM", "OUTPUT_DOWNSLOPE"), spoil,
                        raster="INPUT", nocrs="refuse",
                        overlap={"DEM": hk.dem_raster(j(tmp, "far_dem.tif"), gt=hk.FAR_GT)},
                        implausible={"INCIDENCE": 89.999})
    if tool == "ascdescdecomposition":
        asc = hk.los_raster(j(tmp, "asc.tif"), seed=1)
        desc = hk.los_raster(j(tmp, "desc.tif"), seed=2)
        params = {"ASC_RASTER": asc, "DESC_RASTER": desc, "OUTPUT_EAST": j(out, "e.tif"),
                  "OUTPUT_UP": j(out, "u.tif"), "OUTPUT_QUALITY": j(out, "q.tif")}

        def spoil(kind, folder):
            if kind == "truncated":
                return {"ASC_RASTER": hk.truncate(hk.los_raster(j(folder, "trunc.tif"), ))}, "trunc"
            if kind == "nan":
                return {"ASC_RASTER": hk.los_raster(j(folder, "nan.tif"), value=np.nan)}, "no valid pixel"
            return {"ASC_RASTER": hk.los_raster(j(folder, "a.tif"), epsg=None),
                    "DESC_RASTER": hk.los_raster(j(folder, "d.tif"), epsg=None)}, None

        return hk.Recipe(params, ["OUTPUT_EAST", "OUTPUT_UP", "OUTPUT_QUALITY"], ("DESC_RASTER", "OUTPUT_UP"), spoil,
                        raster="ASC_RASTER", nocrs="accept",
                        overlap={"DESC_RASTER": hk.los_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)},
                        implausible={"DESC_INCIDENCE": 89.999})
    raise KeyError(tool)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_complex_raster_is_refused_not_cast(qgis_app, tmp_path):
    from osgeo import gdal, osr

    path = str(tmp_path / "ifg_complex.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 10, 8, 1, gdal.GDT_CFloat32)
    ds.SetGeoTransform(hk.GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(np.full((8, 10), 3 + 4j, np.complex64))
    ds = None
    msg = hk.expect_refusal("losvelocitytovertical", {"INPUT": path, "OUTPUT": str(tmp_path / "v.tif")}, "complex")
    assert "ifg_complex.tif" in msg and not (tmp_path / "v.tif").exists()


def test_wrong_output_extension_is_refused_before_computing(qgis_app, tmp_path):
    src = hk.los_raster(tmp_path / "ifg.tif")
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "OUTPUT": str(tmp_path / "v.png")}, r"\.tif")


def test_incidence_raster_near_90_degrees_is_refused(qgis_app, tmp_path):
    src = hk.los_raster(tmp_path / "ifg.tif")
    inc = write_geotiff(tmp_path / "inc.tif", np.full((24, 28), 89.999), geotransform=hk.GT)
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE_RASTER": inc,
                                               "OUTPUT": str(tmp_path / "v.tif")}, "INCIDENCE_RASTER")
