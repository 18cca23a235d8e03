"""Models a user draws across the families, built with the PyQGIS model API: every step opened in QGIS's step dialog
and accepted (each link drawn is kept), run, compared with the same steps run one by one (same values), and checked
against a truth.

(a) unwrapped interferograms -> rampremoval -> sbasinversion -> timeseriesmodels (the rasters travel as the
    "(layers)" output): the simulated velocity;
(b) EGMS points (real Ustica tile) -> adadetection -> adaclassification -> landslideactivity: each landslide's
    points counted and averaged independently with OGR/GEOS; and on to faultproximity: GEOS's distances;
(c) a Coulomb 3 input file -> importcoulombinput -> okadaforward / coulombstress / coulombonfaults: Coulomb 3.4's
    stresses on the benchmark receiver (tests/data/coulomb_inputs/Coulomb34_benchmark_outs.csv, elastic_stresses_py).
A report linked to a stack input is refused naming the report, the tool that wrote it and the output to link.
"""

import os

import numpy as np
import pytest
from testutils import box, read_array, read_bands, recording_feedback, vector_features
from testutils_faults import coulomb34_receiver
from testutils_modeler import UserModel, accepted, docs_models, offered, run_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
EGMS = os.path.join(DATA, "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")
COULOMB = os.path.join(DATA, "coulomb_inputs")


def _one_by_one(name, params):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(f"geohazard:{name}", params, context=QgsProcessingContext(),
                          feedback=QgsProcessingFeedback())


# ------------------------------------------------------------------ (a) corrections -> SBAS -> models
def _ramped_stack(tmp_path):
    from testutils_corrections import mm_to_rad, synthetic_stack, write_stack_tifs

    s = synthetic_stack(shape=(30, 40), n_dates=9, seed=11, bowl_mm_yr=-45.0, strat_mm_per_km=0.0, ramp_mm=8.0,
                        turb_mm=0.3)
    files = write_stack_tifs(str(tmp_path / "ifgs"), mm_to_rad(s["ifg_mm"]), s["dates"], s["pairs"], step=300.0)
    return s, files


def test_interferograms_ramps_sbas_models(qgis_app, tmp_path):
    """The first worked model of docs/models_own.md."""
    s, files = _ramped_stack(tmp_path)
    model = accepted(docs_models().sbas_model())
    # what the modeler lists for the SBAS step's interferograms: the corrected ones, not the folder nor the report
    assert ("ramps", "OUTPUT_LAYERS") in offered(model, "sbas", "INTERFEROGRAMS")
    assert not {("ramps", "OUTPUT"), ("ramps", "OUTPUT_REPORT")} & set(offered(model, "sbas", "INTERFEROGRAMS"))
    got = run_model(model, {"INTERFEROGRAMS": files, "sbas:VELOCITY": str(tmp_path / "v.tif"),
                            "sbas:TIMESERIES": str(tmp_path / "ts.tif"),
                            "models:PARAMETERS": str(tmp_path / "p.tif")})

    ramps = _one_by_one("rampremoval", {"INTERFEROGRAMS": files, "MODE": 1, "OUTPUT": str(tmp_path / "one")})
    assert sorted(ramps["OUTPUT_LAYERS"]) == sorted(os.path.join(str(tmp_path / "one"), os.path.basename(f))
                                                    for f in files)
    sbas = _one_by_one("sbasinversion", {"INTERFEROGRAMS": ramps["OUTPUT_LAYERS"],
                                         "OUTPUT_TIMESERIES": str(tmp_path / "ts1.tif"),
                                         "OUTPUT_VELOCITY": str(tmp_path / "v1.tif")})
    models = _one_by_one("timeseriesmodels", {"INPUT_RASTER": sbas["OUTPUT_TIMESERIES"],
                                              "OUTPUT_RASTER": str(tmp_path / "p1.tif")})
    np.testing.assert_array_equal(read_array(got["sbas:VELOCITY"]), read_array(sbas["OUTPUT_VELOCITY"]))
    np.testing.assert_array_equal(read_bands(got["models:PARAMETERS"])[0], read_bands(models["OUTPUT_RASTER"])[0])

    # truth: the simulated bowl's velocity (mm/yr), relative to the scene (SBAS refers it to one pixel)
    params, ds = read_bands(got["models:PARAMETERS"])
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    lin = params[names.index("LIN_VEL")].astype(float)
    truth = s["defo_mm"][-1] / s["years"][-1]
    ok = np.isfinite(lin)
    assert ok.mean() > 0.95
    err = lin[ok] - truth[ok]
    assert np.sqrt(np.mean((err - np.median(err)) ** 2)) < 1.5, np.sqrt(np.mean((err - np.median(err)) ** 2))
    # the model's linear velocity is the SBAS velocity of the same series
    sbas_v = read_array(got["sbas:VELOCITY"]).astype(float)
    np.testing.assert_allclose(lin[ok], sbas_v[ok], atol=0.05)


def test_a_report_linked_to_a_stack_input_is_named_with_what_to_link(qgis_app, tmp_path):
    """The network report of modifynetwork linked to rampremoval's interferograms (a model drawn before, or a list
    edited by hand): the run stops before reading, naming the report, its tool and the output to link instead."""
    from qgis.core import QgsProcessing, QgsProcessingException, QgsProcessingParameterMultipleLayers

    _, files = _ramped_stack(tmp_path)
    m = UserModel("report linked")
    m.input(QgsProcessingParameterMultipleLayers("IFGS", "Unwrapped interferograms",
                                                 QgsProcessing.SourceType.TypeRaster))
    m.step("network", "geohazard:modifynetwork", "Modify network", {"INTERFEROGRAMS": ("input", "IFGS")},
           {"REPORT": "OUTPUT_REPORT"})
    m.step("ramps", "geohazard:rampremoval", "Ramp removal", {"INTERFEROGRAMS": ("step", "network", "OUTPUT_REPORT")},
           {"CORRECTED": "OUTPUT"})
    model = m.model  # as saved before: the step dialog would not offer the report
    definition = model.toVariant()
    definition["internal_version"] = "Version1"
    assert model.loadVariant(definition)
    fb = recording_feedback()
    errors = []
    fb.reportError = lambda text, fatal=False: errors.append(text)
    with pytest.raises(QgsProcessingException) as exc:
        run_model(model, {"IFGS": files, "network:REPORT": str(tmp_path / "net.csv"),
                          "ramps:CORRECTED": str(tmp_path / "out")}, feedback=fb)
    text = "\n".join([str(exc.value)] + errors)
    assert "INTERFEROGRAMS: 'net.csv' is the report \u201cNetwork report (CSV)\u201d (OUTPUT_REPORT) that " \
           "geohazard:modifynetwork wrote" in text, text
    assert "link INTERFEROGRAMS to its \u201cKept interferograms (layers)\u201d (OUTPUT_LAYERS)" in text
    assert "Ramp removal" in text  # QGIS names the step
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


def test_a_report_by_its_extension_and_an_empty_list_are_named(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    table = tmp_path / "20200101_20200113_report.csv"
    table.write_text("a,b\n1,2\n")
    with pytest.raises(QgsProcessingException, match=r"INTERFEROGRAMS: '20200101_20200113_report.csv' is a CSV "
                                                     r"table \(a report\), not one of the rasters"):
        run_alg("sbasinversion", {"INTERFEROGRAMS": [str(table)], "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    with pytest.raises(QgsProcessingException, match="INPUT: received an empty list of rasters. In a model, the step "
                                                     "linked to INPUT wrote none"):
        run_alg("unwrap", {"INPUT": [], "OUTPUT": str(tmp_path / "u")})
    assert not (tmp_path / "v.tif").exists() and not (tmp_path / "u").exists()


# ------------------------------------------------------------------ (b) EGMS -> ADA -> classification -> activity
def _inventory(points_path, path):
    """Three squares on the diagonal of a 3 x 3 grid over the points (an inventory nobody derived from the ADAs)."""
    from osgeo import ogr

    src = ogr.Open(str(points_path))
    layer = src.GetLayer(0)
    x0, x1, y0, y1 = layer.GetExtent()
    x0, x1, y0, y1 = x0 - 0.37, x1 + 0.37, y0 - 0.37, y1 + 0.37  # no point on a square's edge
    srs = layer.GetSpatialRef()
    dx, dy = (x1 - x0) / 3, (y1 - y0) / 3
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    out = ds.CreateLayer("landslides", srs, ogr.wkbPolygon)
    out.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for k in range(3):
        f = ogr.Feature(out.GetLayerDefn())
        a, b = x0 + k * dx, y0 + k * dy
        f.SetGeometry(ogr.CreateGeometryFromWkt(box(a, b, dx, dy)))
        f["name"] = f"L{k}"
        out.CreateFeature(f)
    ds = None
    return str(path)


def _by_name(path, key):
    return {f[key]: f for f in vector_features(path)[1]}


def test_egms_ada_classification_activity(qgis_app, tmp_path):
    from osgeo import ogr

    """The second worked model of docs/models_own.md, on the real Ustica tile."""
    points = _one_by_one("loadegms", {"INPUT": EGMS, "OUTPUT": str(tmp_path / "egms.gpkg")})["OUTPUT"]
    inventory = _inventory(points, tmp_path / "inventory.gpkg")
    model = accepted(docs_models().egms_model())
    got = run_model(model, {"EGMS": EGMS, "INVENTORY": inventory, "ada:ADAS": str(tmp_path / "ada.gpkg"),
                            "classes:CLASSES": str(tmp_path / "classes.gpkg"),
                            "activity:ACTIVITY": str(tmp_path / "act.gpkg"),
                            "activity:CANDIDATES": str(tmp_path / "cand.gpkg")})

    ada = _one_by_one("adadetection", {"INPUT": points, "OUTPUT": str(tmp_path / "ada1.gpkg")})
    classes = _one_by_one("adaclassification", {"INPUT": ada["OUTPUT"], "OUTPUT": str(tmp_path / "classes1.gpkg")})
    act = _one_by_one("landslideactivity", {"INVENTORY": inventory, "POINTS": points, "ADAS": classes["OUTPUT"],
                                            "OUTPUT": str(tmp_path / "act1.gpkg"),
                                            "OUTPUT_CANDIDATES": str(tmp_path / "cand1.gpkg")})
    for key, one in (("ada:ADAS", ada["OUTPUT"]), ("classes:CLASSES", classes["OUTPUT"]),
                     ("activity:ACTIVITY", act["OUTPUT"]), ("activity:CANDIDATES", act["OUTPUT_CANDIDATES"])):
        names, rows = vector_features(got[key])
        names1, rows1 = vector_features(one)
        assert (names, rows) == (names1, rows1), key
    n_ada = len(vector_features(got["ada:ADAS"])[1])
    assert n_ada >= 1

    # truth: each landslide's points counted and averaged by GEOS (OGR), the velocity field of the EGMS layer
    src = ogr.Open(points)
    layer = src.GetLayer(0)
    pts = [(f.GetGeometryRef().Clone(), f.GetField("mean_velocity")) for f in layer]
    inv_ds = ogr.Open(inventory)  # kept: its layer is read below
    inv = inv_ds.GetLayer(0)
    activity = _by_name(got["activity:ACTIVITY"], "name")
    checked = 0
    for f in inv:
        poly = f.GetGeometryRef()
        inside = [v for g, v in pts if g.Within(poly)]
        row = activity[f["name"]]
        assert row["n_points"] == len(inside), f["name"]
        if inside:
            assert row["mean_vlos"] == pytest.approx(float(np.mean(inside)), abs=1e-6)
            checked += 1
    assert checked >= 2
    # candidates: ADAs outside every landslide of the inventory
    for row in vector_features(got["activity:CANDIDATES"])[1]:
        g = ogr.CreateGeometryFromWkb(row["__wkb__"])
        inv.ResetReading()
        assert not any(g.Intersects(f.GetGeometryRef()) for f in inv)


def _fault(points_path, path):
    """A fault line across the points' extent (south-west to north-east), in the points' CRS."""
    from osgeo import ogr

    src = ogr.Open(str(points_path))
    layer = src.GetLayer(0)
    x0, x1, y0, y1 = layer.GetExtent()
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    out = ds.CreateLayer("faults", layer.GetSpatialRef(), ogr.wkbLineString)
    f = ogr.Feature(out.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(f"LINESTRING ({x0} {y0 + 0.2 * (y1 - y0)}, {x1} {y1})"))
    out.CreateFeature(f)
    ds = None
    return str(path)


def test_egms_ada_classification_activity_fault_proximity(qgis_app, tmp_path):
    """The issue's first model, to its end: an EGMS file -> points -> ADAs -> classes -> activity of the
    inventory's landslides -> distance of each landslide and each classified ADA to a fault. Truth: the distances
    GEOS gives between each feature and the fault line (the EGMS CRS, EPSG:3035, is in metres)."""
    from osgeo import ogr
    from qgis.core import QgsProcessing, QgsProcessingParameterFile, QgsProcessingParameterVectorLayer

    points = _one_by_one("loadegms", {"INPUT": EGMS, "OUTPUT": str(tmp_path / "egms.gpkg")})["OUTPUT"]
    inventory = _inventory(points, tmp_path / "inventory.gpkg")
    fault = _fault(points, tmp_path / "fault.gpkg")
    m = UserModel("EGMS to fault proximity")
    m.input(QgsProcessingParameterFile("EGMS", "EGMS file"))
    m.input(QgsProcessingParameterVectorLayer("INVENTORY", "Landslides", [QgsProcessing.SourceType.TypeVectorPolygon]))
    m.input(QgsProcessingParameterVectorLayer("FAULTS", "Faults", [QgsProcessing.SourceType.TypeVectorLine]))
    m.step("egms", "geohazard:loadegms", "Load EGMS", {"INPUT": ("input", "EGMS")})
    m.step("ada", "geohazard:adadetection", "ADA", {"INPUT": ("step", "egms", "OUTPUT")})
    m.step("classes", "geohazard:adaclassification", "Classes", {"INPUT": ("step", "ada", "OUTPUT")})
    m.step("activity", "geohazard:landslideactivity", "Activity",
           {"INVENTORY": ("input", "INVENTORY"), "POINTS": ("step", "egms", "OUTPUT"),
            "ADAS": ("step", "classes", "OUTPUT")})
    m.step("near", "geohazard:faultproximity", "Landslides to faults",
           {"INPUT": ("step", "activity", "OUTPUT"), "FAULTS": ("input", "FAULTS")}, {"LANDSLIDES": "OUTPUT"})
    m.step("near_ada", "geohazard:faultproximity", "ADAs to faults",
           {"INPUT": ("step", "classes", "OUTPUT"), "FAULTS": ("input", "FAULTS")}, {"ADAS": "OUTPUT"})
    model = m.done()
    got = run_model(model, {"EGMS": EGMS, "INVENTORY": inventory, "FAULTS": fault,
                            "near:LANDSLIDES": str(tmp_path / "near.gpkg"),
                            "near_ada:ADAS": str(tmp_path / "near_ada.gpkg")})
    fault_ds = ogr.Open(fault)  # the dataset, layer and feature kept while the geometry is copied
    fault_layer = fault_ds.GetLayer(0)
    feature = fault_layer.GetNextFeature()
    line = feature.GetGeometryRef().Clone()
    del feature, fault_layer, fault_ds
    checked = 0
    for key, n_min in (("near:LANDSLIDES", 3), ("near_ada:ADAS", 1)):
        _, rows = vector_features(got[key])
        assert len(rows) >= n_min, key
        for r in rows:
            g = ogr.CreateGeometryFromWkb(r["__wkb__"])
            assert r["dist_fault_m"] == pytest.approx(g.Distance(line), abs=0.01), key
            checked += 1
        assert any(r["dist_fault_m"] == 0 for r in rows) or key == "near_ada:ADAS"  # the diagonal crosses L1
    assert checked >= 4


# ------------------------------------------------------------------ (c) Coulomb input -> Okada / Coulomb
def test_coulomb_input_okada_coulomb_and_faults(qgis_app, tmp_path):
    from qgis.core import QgsProcessingParameterFile

    inp = os.path.join(COULOMB, "simple_receiver_bm.inp")
    ref = coulomb34_receiver()
    y0 = ref["y"] * 1000.0  # the receiver element's centre (m), in the file's frame placed at 0, 0
    crs = "EPSG:32610"
    wide = f"-20000,20000,-20000,20000 [{crs}]"
    around = f"-750,750,{y0 - 750},{y0 + 750} [{crs}]"
    m = UserModel("Coulomb input to stresses")
    m.input(QgsProcessingParameterFile("INP", "Coulomb input file", extension="inp"))
    m.step("import", "geohazard:importcoulombinput", "Import", {"INPUT": ("input", "INP"), "CRS": crs})
    m.step("okada", "geohazard:okadaforward", "Okada", {"FAULTS": ("step", "import", "OUTPUT_SOURCES"),
                                                        "EXTENT": wide, "PIXEL_SIZE": 2000.0}, {"LOS": "OUTPUT"})
    m.step("coulomb", "geohazard:coulombstress", "Coulomb map",
           {"FAULTS": ("step", "import", "OUTPUT_SOURCES"), "DEPTHS": "5.5", "RECEIVER_STRIKE": 90.0,
            "RECEIVER_DIP": 65.9, "RECEIVER_RAKE": 90.0, "EXTENT": around, "PIXEL_SIZE_KM": 0.5},
           {"DCFS": "OUTPUT"})
    m.step("faults", "geohazard:coulombonfaults", "Stress on faults",
           {"FAULTS": ("step", "import", "OUTPUT_SOURCES"), "RECEIVERS": ("step", "import", "OUTPUT_RECEIVERS"),
            "DEPTHS": "mid", "RECEIVER_RAKE": 90.0}, {"STRESS": "OUTPUT"})
    model = m.done()
    got = run_model(model, {"INP": inp, "okada:LOS": str(tmp_path / "los.tif"),
                            "coulomb:DCFS": str(tmp_path / "dcfs.tif"), "faults:STRESS": str(tmp_path / "rec.gpkg")})

    imp = _one_by_one("importcoulombinput", {"INPUT": inp, "CRS": crs, "OUTPUT_SOURCES": str(tmp_path / "s.gpkg"),
                                             "OUTPUT_RECEIVERS": str(tmp_path / "r.gpkg")})
    okada = _one_by_one("okadaforward", {"FAULTS": imp["OUTPUT_SOURCES"], "EXTENT": wide, "PIXEL_SIZE": 2000.0,
                                         "OUTPUT": str(tmp_path / "los1.tif")})
    coulomb = _one_by_one("coulombstress", {"FAULTS": imp["OUTPUT_SOURCES"], "DEPTHS": "5.5", "RECEIVER_STRIKE": 90.0,
                                            "RECEIVER_DIP": 65.9, "RECEIVER_RAKE": 90.0, "EXTENT": around,
                                            "PIXEL_SIZE_KM": 0.5, "OUTPUT": str(tmp_path / "dcfs1.tif")})
    faults = _one_by_one("coulombonfaults", {"FAULTS": imp["OUTPUT_SOURCES"], "RECEIVERS": imp["OUTPUT_RECEIVERS"],
                                             "DEPTHS": "mid", "RECEIVER_RAKE": 90.0,
                                             "OUTPUT": str(tmp_path / "rec1.gpkg")})
    np.testing.assert_array_equal(read_array(got["okada:LOS"]), read_array(okada["OUTPUT"]))
    np.testing.assert_array_equal(read_array(got["coulomb:DCFS"]), read_array(coulomb["OUTPUT"]))
    assert vector_features(got["faults:STRESS"]) == vector_features(faults["OUTPUT"])

    # the same Okada grid as from the .inp read directly (the layers carry the file's faults)
    direct = _one_by_one("okadaforward", {"COULOMB_INP": inp, "CRS": crs, "EXTENT": wide, "PIXEL_SIZE": 2000.0,
                                          "OUTPUT": str(tmp_path / "los2.tif")})
    np.testing.assert_allclose(read_array(got["okada:LOS"]), read_array(direct["OUTPUT"]), rtol=1e-5, atol=1e-6)
    # truth: Coulomb 3.4 on the receiver (normal, shear and Coulomb stress change for a reverse rake, bar)
    rec = vector_features(got["faults:STRESS"])[1][0]
    np.testing.assert_allclose([rec["normal_mid"], rec["shear_mid"], rec["dcfs_mid"]],
                               [ref["normal"], ref["sig_reverse"], ref["coul_reverse"]], rtol=1e-4)
    # the map's centre pixel is the receiver element's centre: the same value
    bands, ds = read_bands(got["coulomb:DCFS"])  # dCFS, shear, normal at 5.5 km
    assert bands.shape == (3, 3, 3) and ds.GetRasterBand(1).GetDescription().startswith("dcfs_bar")
    np.testing.assert_allclose(bands[:, 1, 1], [ref["coul_reverse"], ref["sig_reverse"], ref["normal"]], rtol=1e-4)


@pytest.mark.parametrize("name", ["sbas_to_velocity_models.model3", "egms_to_landslide_activity.model3"])
def test_the_worked_models_files_are_what_the_page_builds(qgis_app, tmp_path, name):
    """docs/models_own/*.model3 (the files the page offers) are the models docs/make_models_own.py builds, and load,
    keep their links in the step dialog and validate."""
    from qgis.core import QgsProcessingModelAlgorithm
    from testutils_models import model_meaning

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(os.path.join(ROOT, "docs", "models_own", name))
    assert model_meaning(model) == model_meaning(docs_models().MODELS[name]())
    accepted(model)
