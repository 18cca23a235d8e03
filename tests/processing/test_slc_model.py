"""The shipped graphical model geohazard:slcstacktotimeseries (amplitudedispersion -> phaselinking ->
unwrap -> sbasinversion)."""

import os

import numpy as np
from testutils_models import model_meaning, rebuilt_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_ID = "geohazard:slcstacktotimeseries"
PATH = os.path.join(ROOT, "models", "slc_stack_to_time_series.model3")


def test_model_file_loads_and_is_what_the_build_script_writes(qgis_app, tmp_path):
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(PATH) and model.helpContent()["MODEL_ID"] == "slcstacktotimeseries"
    assert model.name().startswith("SLC stack to time series (model:")  # what the modeler's Model Properties show
    assert [model.childAlgorithm(c).algorithmId() for c in ("ps", "linking", "unwrap", "sbas")] == [
        "geohazard:amplitudedispersion", "geohazard:phaselinking", "geohazard:unwrap", "geohazard:sbasinversion"]
    src = model.childAlgorithm("unwrap").parameterSources()["INPUT"][0]
    assert (src.outputChildId(), src.outputName()) == ("linking", "OUTPUT_INTERFEROGRAMS_LAYERS")
    for pid in ("PRIOR", "PRIOR_UNITS"):  # the unwrapping step's optional prior, a model input
        src = model.childAlgorithm("unwrap").parameterSources()[pid][0]
        assert src.parameterName() == pid and model.parameterDefinition(pid).flags() & \
            model.parameterDefinition(pid).Flag.FlagOptional
    src = model.childAlgorithm("sbas").parameterSources()["INTERFEROGRAMS"][0]
    assert (src.outputChildId(), src.outputName()) == ("unwrap", "OUTPUT_LAYERS")
    registered = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert registered is not None and registered.displayName().startswith("SLC stack to time series")
    # meaning, not bytes: QGIS versions serialise differently
    assert model_meaning(rebuilt_model("main_slc", tmp_path / "m.model3")) == model_meaning(model)


def test_model_runs_from_slcs_to_velocity(qgis_app, tmp_path):
    """End to end on a simulated SLC stack: the velocity follows the simulated bowl."""
    import processing
    from osgeo import gdal
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    sim = simulate_slc_stack(shape=(40, 50), n_dates=12, seed=4, atmosphere_std_rad=0.0, dem_error_std_m=0.0,
                             max_velocity_mm_yr=-60.0)
    files = write_slc_files(tmp_path, sim)
    from qgis.core import QgsProcessingContext, QgsProject
    from testutils import MessageLog, recording_feedback

    fb = recording_feedback()
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    with MessageLog() as log:  # as the desktop runs it: checked, run, its results loaded
        out = processing.runAndLoadResults(MODEL_ID, {
            "SLC": files, "ps:PS_MASK": str(tmp_path / "ps.tif"),
            "linking:TEMPORAL_COHERENCE": str(tmp_path / "tc.tif"),
            "linking:WRAPPED": str(tmp_path / "wrapped"), "unwrap:UNWRAPPED": str(tmp_path / "unw"),
            "unwrap:UNWRAP_REPORT": str(tmp_path / "report.csv"), "sbas:TIMESERIES": str(tmp_path / "ts.tif"),
            "sbas:VELOCITY": str(tmp_path / "v.tif")}, context=context, feedback=fb)
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().layerTreeRoot().removeAllChildren()
    assert log.noise(besides=fb.warnings) == []  # no "[OGR] Cannot open", "Unable to load mesh" ... in the log
    assert len([f for f in os.listdir(tmp_path / "unw") if f.endswith(".unw.tif")]) == len(
        os.listdir(tmp_path / "wrapped"))
    ds = gdal.Open(out["sbas:VELOCITY"])
    v = ds.GetRasterBand(1).ReadAsArray()
    ok = np.isfinite(v) & (sim.labels >= 0)
    assert ok.mean() > 0.9
    err = v[ok] - sim.velocity_mm_yr[ok]
    assert np.corrcoef(v[ok], sim.velocity_mm_yr[ok])[0, 1] > 0.85
    assert np.sqrt(np.mean((err - np.median(err)) ** 2)) < 10.0
