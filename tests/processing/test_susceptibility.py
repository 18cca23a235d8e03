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
    # the defaults, but three repeats for the forest (each repeat fits five forests)
    res = run_alg(NAME, _params(paths, inv, str(tmp_path), METHOD=method, TREES=40, REPEATS=3 if method == 2 else None),
                  fb)
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
    assert "AUC (spatial CV: held-out events against" in page and weights in page
    n = 3 if method == 2 else 10
    assert any(f"Validation: {n} distinct partition(s) of {n} repeat(s) asked: k-means clusters" in t
               for t in fb.info), fb.info
    assert any("Validation buffer (BUFFER_M)" in t and "correlation ranges" in t for t in fb.info), fb.info
    assert res["PARTITIONS"] == n and res["BUFFER_USED_M"] >= 0.0 and 0.5 < res["AUC_FOLDS"] <= 1.0
    assert 0.0 <= res["AUC_SD"] < 0.1 and 0.5 < res["AUC_POOLED"] <= 1.0 and res["BLOCK_SIZE_USED_M"] > 300.0


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
        res = run_alg(NAME, _params(paths, inv, str(out), METHOD=2, TREES=30, THREADS=threads, REPEATS=2))
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


# ---------------------------------------------------------------------------------------------- inputs as given
def test_categorical_factors_given_as_a_folder_are_used(run_alg, world, tmp_path):
    """A folder of class rasters is read (its rasters in name order), not dropped: the same model as the file."""
    import shutil

    _, paths, inv = world
    folder = tmp_path / "classes"
    os.makedirs(folder)
    shutil.copy(paths["lithology"], folder / "lithology.tif")
    runs = []
    for sub, cats in (("file", [paths["lithology"]]), ("folder", str(folder))):
        os.makedirs(tmp_path / sub)
        runs.append(run_alg(NAME, _params(paths, inv, str(tmp_path / sub), CATEGORICAL_FACTORS=cats, METHOD=1,
                                          REPEATS=2, OUTPUT_MODEL=str(tmp_path / sub / "m.zip"))))
    assert read_array(runs[0]["OUTPUT"]).tobytes() == read_array(runs[1]["OUTPUT"]).tobytes()
    import json
    import zipfile

    with zipfile.ZipFile(runs[1]["OUTPUT_MODEL"]) as z:
        factors = json.loads(z.read("model.json"))["factors"]
    assert [f["categorical"] for f in factors] == [False, False, True]


def test_factors_given_as_a_folder_are_read_and_an_empty_folder_is_named(run_alg, world, tmp_path):
    import shutil

    from qgis.core import QgsProcessingException

    _, paths, inv = world
    folder = tmp_path / "factors"
    os.makedirs(folder)
    for i, k in enumerate(("slope", "spurious")):
        shutil.copy(paths[k], folder / f"{i}_{k}.tif")
    res = run_alg(NAME, _params(paths, inv, str(tmp_path), FACTORS=str(folder), REPEATS=1))
    assert 0.7 < res["AUC"] <= 1.0
    empty = tmp_path / "empty"
    os.makedirs(empty)
    with pytest.raises(QgsProcessingException, match="FACTORS: the folder .*empty.* holds no raster file"):
        run_alg(NAME, _params(paths, inv, str(tmp_path), FACTORS=str(empty)))


def test_a_saved_model_given_factors_in_another_order_is_refused(run_alg, world, tmp_path):
    """The model keeps each factor's mean and spread: slope and spurious swapped would give a constant map."""
    from qgis.core import QgsProcessingException

    _, paths, inv = world
    os.makedirs(tmp_path / "a")
    res = run_alg(NAME, _params(paths, inv, str(tmp_path / "a"), METHOD=1, REPEATS=1,
                                OUTPUT_MODEL=str(tmp_path / "m.zip")))
    swapped = _params(paths, None, str(tmp_path), FACTORS=[paths["spurious"], paths["slope"]],
                      SAVED_MODEL=res["OUTPUT_MODEL"])
    with pytest.raises(QgsProcessingException, match=r"SAVED_MODEL: factor 1 \(spurious.*unlike the model's factor 1 "
                                                     r"\(slope.*like its factor 2 \(spurious"):
        run_alg(NAME, swapped)
    assert not os.path.exists(swapped["OUTPUT"])


def test_the_model_json_serves_as_saved_model_and_other_json_is_named(run_alg, alg, world, tmp_path):
    """The model.json inside the ZIP is a saved model (frequency ratio, logistic regression): the same map; a JSON
    that is not one is refused with the reason, not QGIS's bare "Incorrect parameter value"."""
    import zipfile

    from qgis.core import QgsProcessingContext, QgsProcessingException

    _, paths, inv = world
    for sub in "ab":
        os.makedirs(tmp_path / sub)
    res = run_alg(NAME, _params(paths, inv, str(tmp_path / "a"), METHOD=1, REPEATS=1,
                                OUTPUT_MODEL=str(tmp_path / "m.zip")))
    with zipfile.ZipFile(res["OUTPUT_MODEL"]) as z:
        (tmp_path / "model.json").write_bytes(z.read("model.json"))
    p = _params(paths, None, str(tmp_path / "b"), SAVED_MODEL=str(tmp_path / "model.json"))
    ok, msg = alg(NAME).checkParameterValues(p, QgsProcessingContext())
    assert ok, msg
    again = run_alg(NAME, p)
    assert read_array(again["OUTPUT"]).tobytes() == read_array(res["OUTPUT"]).tobytes()
    (tmp_path / "other.json").write_text('{"type": "FeatureCollection"}')
    with pytest.raises(QgsProcessingException, match="SAVED_MODEL: other.json is a JSON file but not a "
                                                     "susceptibility model"):
        run_alg(NAME, dict(p, SAVED_MODEL=str(tmp_path / "other.json")))


def test_the_modeler_offers_output_model_to_saved_model(qgis_app):
    """A model's second step can apply the model its first step saved."""
    from qgis.core import QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm
    from testutils_modeler import offered

    model = QgsProcessingModelAlgorithm("fit and apply", "tests")
    for cid in ("fit", "apply"):
        child = QgsProcessingModelChildAlgorithm("geohazard:susceptibility")
        child.setChildId(cid)
        model.addChildAlgorithm(child)
    assert ("fit", "OUTPUT_MODEL") in offered(model, "apply", "SAVED_MODEL")


def test_the_class_map_is_shown_on_top_of_the_0_1_map(alg):
    """The classes (with their legend) are the layer shown; the 0-1 map loads below, unchecked."""
    a = alg(NAME)
    assert a.MAIN_OUTPUTS == ("OUTPUT_CLASSES",)
    assert "SAVED_MODEL" in a.shortHelpString() and "<b>Model</b>" not in a.shortHelpString()
