"""fileio/hazard/susceptibility: the inventory burnt on the grid, factors put on one grid, saved models read back (and a
forest from another scikit-learn refused)."""

import json
import os
import zipfile

import numpy as np
import pytest
from testutils import write_geotiff

GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def _wkb(wkt):
    from osgeo import ogr

    return bytes(ogr.CreateGeometryFromWkt(wkt).ExportToWkb())


def test_inventory_codes_polygon_centres_centroids_points_and_buffer(qgis_app, tmp_path):
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import susceptibility as sio

    grid = raster_info(write_geotiff(tmp_path / "g.tif", np.zeros((20, 20)), geotransform=GT), "g")
    x0, y0 = GT[0], GT[3]
    # a 3 x 3-pixel square on pixel edges (rows 2-4, cols 2-4), a polygon smaller than a pixel (no centre inside:
    # its centroid's pixel, row 10 col 10) and a point (row 15, col 5)
    square = (f"POLYGON(({x0 + 60} {y0 - 60},{x0 + 150} {y0 - 60},{x0 + 150} {y0 - 150},{x0 + 60} {y0 - 150},"
              f"{x0 + 60} {y0 - 60}))")
    tiny = f"POLYGON(({x0 + 301} {y0 - 301},{x0 + 305} {y0 - 301},{x0 + 305} {y0 - 305},{x0 + 301} {y0 - 301}))"
    point = f"POINT({x0 + 165} {y0 - 465})"
    path = str(tmp_path / "inv.tif")
    size = sio.inventory_raster([_wkb(square), _wkb(tiny), _wkb(point)], grid, path, buffer_m=45.0)
    arr = gdal.Open(path).ReadAsArray()
    want = np.zeros((20, 20), bool)
    want[2:5, 2:5] = want[10, 10] = want[15, 5] = True
    assert np.array_equal(arr == 1, want)
    # the buffer (45 m = 1.5 px) marks the ring around the square, not far pixels
    assert arr[1, 3] == 2 and arr[5, 3] == 2 and arr[3, 5] == 2 and arr[3, 7] == 0 and arr[0, 0] == 0
    assert size == pytest.approx((90.0 + np.sqrt(8.0) + 0.0) / 3)


def test_inventory_off_the_grid_is_refused_naming_it(qgis_app, tmp_path):
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import susceptibility as sio

    grid = raster_info(write_geotiff(tmp_path / "g.tif", np.zeros((20, 20)), geotransform=GT), "g")
    with pytest.raises(GeohazardError, match="INVENTORY: none of its 1 features lies on the factors' grid"):
        sio.inventory_raster([_wkb("POINT(900000 4100000)")], grid, str(tmp_path / "i.tif"), buffer_m=0.0)


def test_factors_on_the_grid_are_read_in_place_others_warped(qgis_app, tmp_path):
    from osgeo import gdal

    from insar_geohazards.fileio.hazard import susceptibility as sio

    rng = np.random.default_rng(0)
    a = write_geotiff(tmp_path / "a.tif", rng.normal(size=(30, 40)), geotransform=GT)
    b = write_geotiff(tmp_path / "b.tif", rng.normal(size=(30, 40)), geotransform=GT)
    c = write_geotiff(tmp_path / "c.tif", rng.integers(1, 4, (15, 20)).astype(float),
                      geotransform=(GT[0], 60.0, 0.0, GT[3], 0.0, -60.0))
    out = sio.align_factors([a, b, c], ["a", "b", "c"], [False, False, True], str(tmp_path))
    assert out[:2] == [a, b] and out[2].endswith(".vrt")
    warped = gdal.Open(out[2])
    assert (warped.RasterXSize, warped.RasterYSize) == (40, 30)
    # nearest neighbour: every value is one of the codes, each 60 m cell covers 2 x 2 pixels
    arr = warped.ReadAsArray()
    src = gdal.Open(c).ReadAsArray()
    assert np.array_equal(arr, np.kron(src, np.ones((2, 2))))


def _lr_model():
    from insar_geohazards.algorithms.hazard.susceptibility import models

    rng = np.random.default_rng(1)
    f = [models.FactorSpec("slope"), models.FactorSpec("lith", True, (1.0, 2.0, 3.0))]
    pres = np.column_stack([rng.normal(1, 1, 200), rng.integers(1, 4, 200)])
    absn = np.column_stack([rng.normal(0, 1, 200), rng.integers(1, 4, 200)])
    return models, f, pres, absn


@pytest.mark.parametrize("method", ["frequency_ratio", "logistic_regression", "random_forest"])
def test_a_saved_model_reads_back_and_predicts_the_same(qgis_app, tmp_path, method):
    from insar_geohazards.fileio.hazard import susceptibility as sio

    models, f, pres, absn = _lr_model()
    m = models.fit_model(method, f, pres, absn, np.concatenate([pres, absn]), trees=20)
    m.breaks = [0.2, 0.4, 0.6, 0.8]
    path = sio.save_model(str(tmp_path / "m.zip"), m)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        d = json.loads(z.read("model.json"))
    assert names == ({"model.json", "forest.joblib"} if method == "random_forest" else {"model.json"})
    assert d["method"] == method and d["factors"][1]["classes"] == [1.0, 2.0, 3.0]
    back = sio.load_model(path)
    x = np.concatenate([pres, absn, [[0.5, 9.0]]])
    got, want = back.predict(x), m.predict(x)
    assert np.array_equal(got, want, equal_nan=True) and np.isnan(got[-1])  # class 9 was never seen
    assert back.breaks == m.breaks


def test_a_forest_from_another_scikit_learn_is_refused(qgis_app, tmp_path):
    from insar_geohazards.algorithms.errors import GeohazardError
    from insar_geohazards.fileio.hazard import susceptibility as sio

    models, f, pres, absn = _lr_model()
    path = sio.save_model(str(tmp_path / "m.zip"), models.fit_model("random_forest", f, pres, absn, pres, trees=5))
    with zipfile.ZipFile(path) as z:
        d = json.loads(z.read("model.json"))
        forest = z.read("forest.joblib")
    d["params"]["sklearn_version"] = "0.24.2"
    other = str(tmp_path / "old.zip")
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("model.json", json.dumps(d))
        z.writestr("forest.joblib", forest)
    with pytest.raises(GeohazardError, match="SAVED_MODEL: its random forest was saved with scikit-learn 0.24.2"):
        sio.load_model(other)
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    with pytest.raises(GeohazardError, match="SAVED_MODEL: junk.zip is not a susceptibility model"):
        sio.load_model(str(junk))
    assert os.path.exists(other)
