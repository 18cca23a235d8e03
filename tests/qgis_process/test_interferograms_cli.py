"""Interferogram tools through headless ``qgis_process --json run``: basin detection on the Mexico City stack, target
suitability on a small land-cover raster."""

import os

import numpy as np
from testutils import write_geotiff
from testutils_cli import requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
pytestmark = requires_qgis_process


def test_basindetection_mexico_city_folder(tmp_path):
    from osgeo import ogr

    res = run_json("geohazard:basindetection", {"INPUT": os.path.join(MEXICO, "geotiffs"),
                                                 "OUTPUT": str(tmp_path / "basins.gpkg")})
    ds = ogr.Open(res["OUTPUT"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() > 0
    names = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    assert names == ["SCORE", "PAIR", "DIAMETER_M"]
    pairs = {f.GetField("PAIR") for f in layer}
    assert all(len(p) == 17 and p[8] == "_" for p in pairs)


def test_targetsuitability_table_and_map(tmp_path):
    from osgeo import gdal

    gt = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
    lc = write_geotiff(tmp_path / "lc.tif", np.array([[111.0, 211.0], [311.0, 111.0]]), geotransform=gt)
    r = write_geotiff(tmp_path / "r.tif", np.array([[0.5, 1.0], [1.0, -0.2]]), geotransform=gt)
    csv = tmp_path / "d.csv"
    csv.write_text("class,density,label\n111,1000,town\n211,40,arable\n311,2.5,forest\n")
    res = run_json("geohazard:targetsuitability", {"LAND_COVER": lc, "DENSITIES": str(csv), "R_INDEX": r,
                                                    "OUTPUT": str(tmp_path / "t.tif")})
    np.testing.assert_allclose(gdal.Open(res["OUTPUT"]).ReadAsArray(), [[500.0, 40.0], [2.5, 0.0]])
