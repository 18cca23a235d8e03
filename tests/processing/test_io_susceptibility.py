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


def test_surveyed_absences_study_area_and_event_numbers_are_burnt(qgis_app, tmp_path):
    """Codes 3 (surveyed absence) and 4 (outside the study area), no buffer when absences are surveyed, events
    numbered per feature, and features clipped to the study area (a point outside it is not an event)."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import susceptibility as sio

    grid = raster_info(write_geotiff(tmp_path / "g.tif", np.zeros((20, 20)), geotransform=GT), "g")
    x0, y0 = GT[0], GT[3]
    area = f"POLYGON(({x0} {y0},{x0 + 300} {y0},{x0 + 300} {y0 - 600},{x0} {y0 - 600},{x0} {y0}))"  # cols 0-9
    events = [f"POINT({x0 + 45} {y0 - 45})", f"POINT({x0 + 105} {y0 - 255})", f"POINT({x0 + 405} {y0 - 45})"]
    absences = [f"POINT({x0 + 225} {y0 - 405})", f"POINT({x0 + 525} {y0 - 405})"]
    path, ev_path = str(tmp_path / "inv.tif"), str(tmp_path / "ev.tif")
    sio.inventory_raster([_wkb(w) for w in events], grid, path, buffer_m=100.0, events_path=ev_path,
                         absence=[_wkb(w) for w in absences], study_area=[_wkb(area)])
    arr, ev = gdal.Open(path).ReadAsArray(), gdal.Open(ev_path).ReadAsArray()
    assert (arr[:, 10:] == 4).all() and not (arr[:, :10] == 4).any()
    assert arr[1, 1] == 1 and arr[8, 3] == 1 and arr[13, 7] == 3
    assert (arr == 1).sum() == 2 and (arr == 3).sum() == 1 and not (arr == 2).any()
    assert ev[1, 1] == 1 and ev[8, 3] == 2 and (ev > 0).sum() == 2


_NO_SKLEARN_RUN = r"""
import sys
sys.modules["sklearn"] = None
from osgeo import ogr
from insar_geohazards.fileio.base.blocks import RunSettings
from insar_geohazards.fileio.hazard import susceptibility as sio
from insar_geohazards.algorithms.optional import MissingPackageError
factors, inv, out = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
ds = ogr.Open(inv)
wkbs = [bytes(f.GetGeometryRef().ExportToWkb()) for f in ds.GetLayer(0)]
job = sio.Job(factors=factors, categorical=[False, False, True], inventory=wkbs, method="frequency_ratio", repeats=3,
              output=out + "/s.tif", output_report=out + "/r.html", settings=RunSettings(threads=1))
res = sio.run(job)
print("AUC", repr(res.values["AUC"]))
try:
    sio.run(sio.Job(factors=factors, categorical=[False, False, True], inventory=wkbs, output=out + "/l.tif",
                    settings=RunSettings(threads=1)))
except MissingPackageError as exc:
    print("LR", exc)
"""


def test_a_frequency_ratio_run_without_scikit_learn_writes_its_map_and_report(qgis_app, tmp_path):
    """The whole run (samples, validation, map, report) with scikit-learn hidden in a subprocess: the same AUC as
    here with it; logistic regression stops before writing anything, naming scikit-learn and its install line."""
    import subprocess
    import sys

    from testutils_susceptibility import make_world, write_world

    from insar_geohazards.fileio.base.blocks import RunSettings
    from insar_geohazards.fileio.hazard import susceptibility as sio

    paths, inv = write_world(str(tmp_path / "w"), make_world((60, 80), seed=3))
    factors = [paths["slope"], paths["spurious"], paths["lithology"]]
    out = tmp_path / "out"
    os.makedirs(out)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    run = subprocess.run([sys.executable, "-c", _NO_SKLEARN_RUN, ",".join(factors), inv, str(out)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in run.stdout.strip().splitlines() if line[:3] in ("AUC", "LR "))
    from osgeo import ogr

    ds = ogr.Open(inv)
    wkbs = [bytes(f.GetGeometryRef().ExportToWkb()) for f in ds.GetLayer(0)]
    here = sio.run(sio.Job(factors=factors, categorical=[False, False, True], inventory=wkbs,
                           method="frequency_ratio", repeats=3, output=str(tmp_path / "here.tif"),
                           settings=RunSettings(threads=1)))
    assert float(lines["AUC"]) == here.values["AUC"]
    assert os.path.getsize(out / "s.tif") > 0 and "AUC" in (out / "r.html").read_text(encoding="utf-8")
    assert "METHOD 1" in lines["LR"] and "scikit-learn" in lines["LR"] and "install" in lines["LR"]
    assert not (out / "l.tif").exists()
