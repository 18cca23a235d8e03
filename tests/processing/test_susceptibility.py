"""geohazard:susceptibility: parameters, a run on a synthetic world (the driving factor recovered, the report, the
classes and their style), a saved model applied to another area, a factor in another CRS, the same bytes whatever
the memory budget."""

import os

import numpy as np
import pytest
from testutils import epsg_transform, read_array, recording_feedback
from testutils_susceptibility import make_world, write_world

NAME = "susceptibility"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    w = make_world((90, 110), seed=3)
    paths, inv = write_world(str(folder), w)
    return w, paths, inv


def _params(paths, inv, out, **kw):
    p = {"INVENTORY": inv, "FACTORS": [paths["slope"], paths["spurious"]], "CATEGORICAL_FACTORS": [paths["lithology"]],
         "OUTPUT": os.path.join(out, "s.tif"), "OUTPUT_CLASSES": os.path.join(out, "c.tif"),
         "OUTPUT_REPORT": os.path.join(out, "r.html")}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("INVENTORY", "FACTORS", "CATEGORICAL_FACTORS", "METHOD", "OUTPUT", "OUTPUT_REPORT", "BLOCK_SIZE_M",
                "ABSENCE_BUFFER_M", "SEED", "SAVED_MODEL", "OUTPUT_CLASSES", "OUTPUT_MODEL", "MAX_MEMORY_MB",
                "THREADS"):
        assert pid in ids, pid
    assert a.parameterDefinition("METHOD").options() == ["Frequency ratio", "Logistic regression", "Random forest"]
    assert "AUC" in [o.name() for o in a.outputDefinitions()]
    assert a.parameterDefinition("MIN_LEAF").minimum() >= 2  # no leaf of one pixel
    assert a.shortHelpString().startswith("Maps where events")


def test_no_inventory_and_no_model_is_refused(alg, world, tmp_path):
    from qgis.core import QgsProcessingContext

    _, paths, inv = world
    p = _params(paths, inv, str(tmp_path))
    del p["INVENTORY"]
    ok, msg = alg(NAME).checkParameterValues(p, QgsProcessingContext())
    assert not ok and "INVENTORY" in msg


@pytest.mark.parametrize("method", [0, 1, 2])
def test_each_method_finds_the_driver_on_a_world(run_alg, world, tmp_path, method):
    """The out-of-fold AUC is well above chance, the output is 0-1 Float32 on the first factor's grid with nodata
    where a factor is nodata, the classes raster is styled very low .. very high, the report embeds its charts."""
    from osgeo import gdal

    w, paths, inv = world
    fb = recording_feedback()
    res = run_alg(NAME, _params(paths, inv, str(tmp_path), METHOD=method, TREES=40), fb)
    assert 0.7 < res["AUC"] <= 1.0
    ds = gdal.Open(res["OUTPUT"])
    assert ds.GetRasterBand(1).DataType == gdal.GDT_Float32
    assert ds.GetGeoTransform() == gdal.Open(paths["slope"]).GetGeoTransform()
    p = read_array(res["OUTPUT"])
    assert np.nanmin(p) >= 0 and np.nanmax(p) <= 1 and np.isfinite(p).all()
    # higher susceptibility where the true chance of an event is higher
    true = w["probability"]
    assert np.corrcoef(p.ravel(), true.ravel())[0, 1] > 0.5
    cls = read_array(res["OUTPUT_CLASSES"])
    # a forest's probabilities tie: two limits may coincide and leave a class empty
    assert {1, 5} <= set(np.unique(cls)) <= {1, 2, 3, 4, 5}
    qml = open(os.path.splitext(res["OUTPUT_CLASSES"])[0] + ".qml", encoding="utf-8").read()
    assert "very high" in qml and "very low" in qml
    page = open(res["OUTPUT_REPORT"], encoding="utf-8").read()
    assert "<img src='data:image/png;base64," in page and "ROC, success and prediction rate curves" in page
    weights = {0: "<th>FR</th>", 1: "standard error", 2: "Permutation importance"}[method]
    assert "AUC (out-of-fold, spatial blocks)" in page and weights in page
    assert any("Validation: 5 folds of spatial blocks" in t for t in fb.info), fb.info


def test_nodata_in_a_factor_is_nodata_in_the_output(run_alg, world, tmp_path):
    from testutils import write_geotiff

    w, paths, inv = world
    spur = w["factors"]["spurious"].copy()
    spur[10:20, 30:50] = -9999.0
    holed = write_geotiff(tmp_path / "spur_holes.tif", spur, nodata=-9999.0,
                          geotransform=(500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
    res = run_alg(NAME, _params({**paths, "spurious": holed}, inv, str(tmp_path)))
    p = read_array(res["OUTPUT"])
    assert np.isnan(p[10:20, 30:50]).all() and np.isfinite(p[:10]).all()
    assert (read_array(res["OUTPUT_CLASSES"])[10:20, 30:50] == 0).all()


def test_saved_model_applies_to_another_area(run_alg, world, tmp_path):
    """A logistic model saved here gives, on the same factors, the same map; on another world's factors (no
    inventory) a map; with that world's inventory its AUC there."""
    _, paths, inv = world
    for sub in "abc":
        os.makedirs(tmp_path / sub)
    res = run_alg(NAME, _params(paths, inv, str(tmp_path / "a"), OUTPUT_MODEL=str(tmp_path / "m.zip")))
    assert os.path.exists(res["OUTPUT_MODEL"])
    again = run_alg(NAME, _params(paths, None, str(tmp_path / "b"), SAVED_MODEL=res["OUTPUT_MODEL"]))
    assert np.array_equal(read_array(again["OUTPUT"]), read_array(res["OUTPUT"]), equal_nan=True)
    assert "AUC" not in again
    other = make_world((80, 100), seed=11)
    opaths, oinv = write_world(str(tmp_path / "other"), other)
    there = run_alg(NAME, _params(opaths, oinv, str(tmp_path / "c"), SAVED_MODEL=res["OUTPUT_MODEL"]))
    assert there["AUC"] > 0.7


def test_a_factor_in_another_crs_is_resampled_and_the_log_says_so(run_alg, world, tmp_path):
    from osgeo import gdal

    _, paths, inv = world
    moved = str(tmp_path / "spurious_4326.tif")
    gdal.Warp(moved, paths["spurious"], dstSRS="EPSG:4326", resampleAlg="bilinear")
    lith = str(tmp_path / "lith_4326.tif")
    gdal.Warp(lith, paths["lithology"], dstSRS="EPSG:4326", resampleAlg="near")
    fb = recording_feedback()
    res = run_alg(NAME, _params({**paths, "spurious": moved, "lithology": lith}, inv, str(tmp_path)), fb)
    text = " ".join(fb.info)
    assert "spurious_4326 (bilinear from EPSG:4326)" in text and "lith_4326 (nearest neighbour" in text, text
    assert gdal.Open(res["OUTPUT"]).GetGeoTransform() == gdal.Open(paths["slope"]).GetGeoTransform()


def test_same_bytes_whatever_the_memory_budget_and_threads(run_alg, world, tmp_path, monkeypatch):
    _, paths, inv = world
    got = []
    for i, (mb, threads) in enumerate(((None, 1), (0.01, 2))):
        if mb is None:
            monkeypatch.delenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", raising=False)
        else:
            monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", repr(mb))
        out = tmp_path / str(i)
        os.makedirs(out)
        res = run_alg(NAME, _params(paths, inv, str(out), METHOD=2, TREES=30, THREADS=threads))
        got.append((read_array(res["OUTPUT"]).tobytes(), read_array(res["OUTPUT_CLASSES"]).tobytes(), res["AUC"]))
    assert got[0] == got[1]


def test_an_inventory_in_another_crs_is_reprojected_onto_the_grid(run_alg, world, tmp_path):
    """The same events as WGS 84 points: reprojected onto the factors' grid, they give the map of the same events
    given in the grid's CRS (each point falls in the same pixel)."""
    from osgeo import ogr
    from testutils_ada import write_wkt_layer

    w, paths, _ = world
    rows, cols = w["events"]
    xf = epsg_transform(32633, 4326)
    utm, geo = [], []
    for r, c in zip(rows, cols):
        x, y = 500000.0 + (c + 0.5) * 30.0, 4100000.0 - (r + 0.5) * 30.0
        lon, lat, _ = xf.TransformPoint(x, y)
        utm.append(f"POINT({x} {y})")
        geo.append(f"POINT({lon} {lat})")
    a = write_wkt_layer(tmp_path / "utm.gpkg", utm, geom_type=ogr.wkbPoint)
    b = write_wkt_layer(tmp_path / "geo.gpkg", geo, epsg=4326, geom_type=ogr.wkbPoint)
    maps = []
    for name, inv in (("utm", a), ("geo", b)):
        os.makedirs(tmp_path / name)
        res = run_alg(NAME, _params(paths, inv, str(tmp_path / name), ABSENCE_BUFFER_M=45.0))
        maps.append(read_array(res["OUTPUT"]))
    assert maps[0].tobytes() == maps[1].tobytes()
