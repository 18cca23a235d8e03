"""The shipped graphical model geohazard:sbastolandslideactivity (SBAS -> ADA -> landslide activity)."""

import glob
import os

import pytest
from testutils_models import build_models_module, model_meaning

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_ID = "geohazard:sbastolandslideactivity"
CHILDREN = ("geohazard:sbasinversion", "geohazard:adadetection", "geohazard:landslideactivity")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")


def _children_registered():
    """True when the plugin's provider registers the three child algorithms (checked at collection,
    before QGIS starts, from the classes the provider loads)."""
    try:
        from insar_geohazards.processing_provider.provider import algorithm_classes
    except ImportError:
        return False
    names = {f"geohazard:{cls.NAME}" for cls in algorithm_classes()}
    return set(CHILDREN) <= names


def test_model_file_loads_in_qgis_and_is_registered(qgis_app):
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingParameterDefinition

    path = os.path.join(ROOT, "models", "sbas_to_landslide_activity.model3")
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(path)
    assert model.helpContent()["MODEL_ID"] == "sbastolandslideactivity"
    assert model.name().startswith("SBAS to landslide activity (model:")  # the modeler's Model Properties
    assert sorted(model.childAlgorithms()) == ["activity", "ada", "sbas"]
    assert [model.childAlgorithm(c).algorithmId() for c in ("sbas", "ada", "activity")] == list(CHILDREN)
    inputs = {p.name(): p for p in model.parameterDefinitions()}
    assert {"INTERFEROGRAMS", "COHERENCE", "REFERENCE", "INVENTORY", "DEM"} <= set(inputs)
    optional = QgsProcessingParameterDefinition.Flag.FlagOptional
    assert inputs["REFERENCE"].flags() & optional
    assert model.childAlgorithm("sbas").parameterSources()["REFERENCE"][0].parameterName() == "REFERENCE"
    assert inputs["DEM"].flags() & optional
    assert inputs["COHERENCE"].flags() & optional
    ada = model.childAlgorithm("ada").parameterSources()["INPUT"][0]
    assert (ada.outputChildId(), ada.outputName()) == ("sbas", "OUTPUT_POINTS")
    act = model.childAlgorithm("activity").parameterSources()
    assert act["INVENTORY"][0].parameterName() == "INVENTORY"
    assert (act["ADAS"][0].outputChildId(), act["ADAS"][0].outputName()) == ("ada", "OUTPUT")
    assert (act["POINTS"][0].outputChildId(), act["POINTS"][0].outputName()) == ("sbas", "OUTPUT_POINTS")
    outs = {n: o.childOutputName() for c in model.childAlgorithms().values() for n, o in c.modelOutputs().items()}
    assert outs == {"TIMESERIES": "OUTPUT_TIMESERIES", "VELOCITY": "OUTPUT_VELOCITY", "POINTS": "OUTPUT_POINTS",
                    "ADAS": "OUTPUT", "ACTIVITY": "OUTPUT", "CANDIDATES": "OUTPUT_CANDIDATES"}
    assert "SBAS time series" in model.shortHelpString()
    registered = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert registered is not None and registered.provider().id() == "geohazard"
    assert registered.displayName().startswith("SBAS to landslide activity")
    assert registered.create().displayName() == registered.displayName()
    assert registered.groupId() == "models"  # same toolbox group as the time-series models


PUBLIC_OUTPUTS = {"sbas:TIMESERIES", "sbas:VELOCITY", "sbas:POINTS", "ada:ADAS", "activity:ACTIVITY",
                  "activity:CANDIDATES"}


def test_model_file_is_what_the_build_script_writes(qgis_app, tmp_path):
    """Compared by meaning, not bytes: QGIS versions order and mark the XML differently."""
    mod = build_models_module()
    from qgis.core import QgsProcessingModelAlgorithm

    fresh, shipped = QgsProcessingModelAlgorithm(), QgsProcessingModelAlgorithm()
    assert fresh.fromFile(mod.main(str(tmp_path / "m.model3"))) and shipped.fromFile(mod.MODEL_FILE)
    assert model_meaning(fresh) == model_meaning(shipped)


def test_model_output_names_are_the_same_on_every_qgis(qgis_app, tmp_path):
    """demo/run_demo.py and users' qgis_process lines name the outputs sbas:VELOCITY etc.; QGIS >= 3.24
    would rename the outputs of a new model from their descriptions unless build_models pins them."""
    mod = build_models_module()
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    built = mod.build()
    reloaded = QgsProcessingModelAlgorithm()
    assert reloaded.fromFile(mod.main(str(tmp_path / "m.model3")))
    registered = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    for model in (built, reloaded, registered):
        assert {p.name() for p in model.destinationParameterDefinitions()} == PUBLIC_OUTPUTS
    with open(os.path.join(ROOT, "demo", "run_demo.py"), encoding="utf-8") as fh:
        demo = fh.read()
    assert "sbas:VELOCITY" in demo


@pytest.mark.skipif(not glob.glob(os.path.join(MEXICO, "*_unw.tif")),
                    reason="needs the bundled Sentinel-1 Mexico City stack (tests/data/sentinel1_mexico_city)")
@pytest.mark.skipif(not _children_registered(),
                    reason="needs sbasinversion/adadetection/landslideactivity")
def test_model_runs_on_the_mexico_city_stack(qgis_app, tmp_path):
    """End to end on real Sentinel-1 interferograms. There is no real landslide inventory for
    Mexico City, so the inventory here is the stack's footprint split in two: a test fixture that
    exercises the wiring, not a claim about landslides."""
    import processing
    from osgeo import gdal, ogr, osr
    from qgis.core import QgsProcessingContext

    unw = sorted(glob.glob(os.path.join(MEXICO, "*_unw.tif")))
    coh = sorted(glob.glob(os.path.join(MEXICO, "*_cc.tif")))
    ds = gdal.Open(unw[0])
    gt, nx, ny = ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize
    x0, x1, y0, y1 = gt[0], gt[0] + nx * gt[1], gt[3] + ny * gt[5], gt[3]
    xm = 0.5 * (x0 + x1)
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    inv_path = str(tmp_path / "footprint_halves.gpkg")
    out = ogr.GetDriverByName("GPKG").CreateDataSource(inv_path)
    layer = out.CreateLayer("inventory", srs, ogr.wkbPolygon)
    for a, b in ((x0, xm), (xm, x1)):
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({a} {y0},{b} {y0},{b} {y1},{a} {y1},{a} {y0}))"))
        layer.CreateFeature(f)
    out = None
    params = {"INTERFEROGRAMS": unw, "COHERENCE": coh, "INVENTORY": inv_path,
              "REFERENCE": "-99.1780,19.4400 [EPSG:4326]",
              "sbas:TIMESERIES": str(tmp_path / "ts.tif"), "sbas:VELOCITY": str(tmp_path / "vel.tif"),
              "sbas:POINTS": str(tmp_path / "pts.gpkg"), "ada:ADAS": str(tmp_path / "ada.gpkg"),
              "activity:ACTIVITY": str(tmp_path / "activity.gpkg"),
              "activity:CANDIDATES": str(tmp_path / "candidates.gpkg")}
    side_cars = set(glob.glob(os.path.join(MEXICO, "*.aux.xml")))
    from qgis.core import QgsLayerTree, QgsProject

    project = QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    context = QgsProcessingContext()
    context.setProject(project)
    # as the dialog runs it: the results loaded in one group on top, the model's products checked above the rest
    from testutils import MessageLog, recording_feedback

    fb = recording_feedback()
    with MessageLog() as log:
        res = processing.runAndLoadResults(MODEL_ID, params, context=context, feedback=fb)
    assert log.noise(besides=fb.warnings) == []  # no "[OGR] Cannot open", "Unable to load mesh" ... in the log
    group = project.layerTreeRoot().children()[0]
    assert QgsLayerTree.isGroup(group) and group.itemVisibilityChecked(), group.name()
    assert group.name().startswith("SBAS to landslide activity") and "geotiffs, 2018-" in group.name(), group.name()
    from insar_geohazards.fileio.display.series import FRAME_KEY

    # the run's own layers; a dated raster brings its group of one layer per date too (QGIS < 3.38), unchecked here
    nodes = [n for n in group.findLayers() if not n.layer().customProperty(FRAME_KEY)]
    own = [lay for lay in project.mapLayers().values() if not lay.customProperty(FRAME_KEY)]
    assert len(nodes) == len(own) == 6
    assert not any(n.isVisible() for n in group.findLayers() if n.layer().customProperty(FRAME_KEY))
    checked = [n.layer().source().split("|")[0] for n in nodes if n.itemVisibilityChecked()]
    assert sorted(checked) == sorted([res["activity:ACTIVITY"], res["ada:ADAS"]])
    assert [n.itemVisibilityChecked() for n in nodes] == [True, True, False, False, False, False]
    kinds = [n.layer().type() for n in nodes[2:]]
    assert kinds == sorted(kinds, key=lambda t: t != type(kinds[0]).VectorLayer)  # points above rasters
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    del context  # its layers (the steps' inputs) are closed: nothing may be saved beside the inputs
    import gc

    gc.collect()
    assert set(glob.glob(os.path.join(MEXICO, "*.aux.xml"))) == side_cars
    for key in ("sbas:VELOCITY", "sbas:POINTS", "ada:ADAS", "activity:ACTIVITY"):
        assert os.path.exists(res[key]), key
    vel = gdal.Open(res["sbas:VELOCITY"]).ReadAsArray()
    import numpy as np

    # Mexico City subsides by up to a few dm/yr: the velocity map must show it
    assert np.nanmin(vel) < -50
    pts_ds = ogr.Open(res["sbas:POINTS"])
    assert pts_ds.GetLayer(0).GetFeatureCount() > 0
    act_ds = ogr.Open(res["activity:ACTIVITY"])
    assert act_ds.GetLayer(0).GetFeatureCount() >= 1


@pytest.mark.parametrize("key", ["DEM", "INTERFEROGRAMS", "COHERENCE"])
def test_a_text_file_given_as_a_raster_is_named_with_what_was_expected(qgis_app, tmp_path, key):
    """A text file given where the model takes a raster (DEM) or a list of rasters (an interferogram or a coherence
    file): refused before any step runs, naming the input, the file and that a raster GDAL can read was expected
    (QGIS said "Could not load source layer for DEM: ... not found" of a file that exists, or "Incorrect parameter
    value for INTERFEROGRAMS" without the file)."""
    import testutils_hostile as hk
    from qgis.core import QgsProcessingException

    txt = hk.garbage(str(tmp_path / "notes.txt"))
    files = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=5, shape=(12, 14))
    inv = hk.polygon_layer(tmp_path / "inv.gpkg", [hk.square(500100.0, 4099700.0, 200.0)])
    value = {"DEM": txt, "INTERFEROGRAMS": files[:2] + [txt] + files[2:], "COHERENCE": [txt]}[key]
    params = {"INTERFEROGRAMS": files, "INVENTORY": inv, key: value,
              "activity:ACTIVITY": str(tmp_path / "act.gpkg")}
    with pytest.raises(QgsProcessingException) as exc:
        hk.run("sbastolandslideactivity", params)
    msg = str(exc.value)
    assert f"{key}: notes.txt is not a raster GDAL can read" in msg, msg
    assert "not found" not in msg
    assert not (tmp_path / "act.gpkg").exists()
