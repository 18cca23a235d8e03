"""The shipped models survive QGIS's step dialog: every step opened and accepted with OK, no edit, keeps every link,
and the model then runs and gives what the shipped model gives.

QGIS's modeler rebuilds a step's values from its dialog: an input's "Algorithm output" list holds only the other
steps' outputs whose type the input accepts (QgsProcessingModelAlgorithm::availableSourcesForChild with the
parameter type's accepted output types; for an input taking several layers: layers, rasters, vectors, multiple
layers, files and strings, never a folder, in 3.22 as in 3.40), and a stored link missing from that list is replaced
by the list's first entry (QgsProcessingModelerParameterWidget::updateUi). The shipped models therefore link each
step to the previous step's multiple-layers output ("... (layers)"), which the list holds, never to its folder.
"""

import glob
import os

import numpy as np
import pytest
from testutils_modeler import accept_every_step, offered, run_model, source_meaning

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = sorted(glob.glob(os.path.join(ROOT, "models", "*.model3")))


def _load(path):
    from qgis.core import QgsProcessingModelAlgorithm

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(path)
    return model


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_every_step_dialog_accepted_without_edit_keeps_every_link(qgis_app, path):
    model = _load(path)
    assert accept_every_step(model) == {}


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_every_link_is_in_the_list_the_modeler_offers_and_no_report_is(qgis_app, path):
    """Each link from a step's output is one the modeler lists for that input; no input taking rasters is offered a
    report (CSV, PNG, HDF5, HTML)."""
    from qgis.core import QgsProcessing

    model = _load(path)
    checked = 0
    for cid, child in model.childAlgorithms().items():
        alg = child.algorithm()
        for name, sources in child.parameterSources().items():
            for src in sources:
                if source_meaning(src)[0] == "step":
                    assert (src.outputChildId(), src.outputName()) in offered(model, cid, name), (cid, name)
                    checked += 1
        for d in alg.parameterDefinitions():
            if d.type() == "multilayer" and d.layerType() == QgsProcessing.SourceType.TypeRaster:
                for step, out in offered(model, cid, d.name()):
                    kind = model.childAlgorithm(step).algorithm().outputDefinition(out).type()
                    assert kind not in ("outputReport", "outputFile", "outputHtml"), (cid, d.name(), step, out)
    assert checked >= 3


def _boxes(model) -> dict:
    """The rectangle ``(x0, y0, x1, y1)`` the modeler draws for each input, step and output of ``model``: centred on
    the component's stored position, of its stored size (QgsModelComponentGraphicItem)."""
    parts = [(f"input {n}", model.parameterComponent(n)) for n in model.parameterComponents()]
    for cid, child in model.childAlgorithms().items():
        parts.append((f"step {cid}", child))
        parts += [(f"output {cid}:{n}", out) for n, out in child.modelOutputs().items()]
    out = {}
    for name, c in parts:
        p, s = c.position(), c.size()
        out[name] = (p.x() - s.width() / 2, p.y() - s.height() / 2, p.x() + s.width() / 2, p.y() + s.height() / 2)
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_the_modeler_draws_no_box_over_another(qgis_app, path):
    """Every input, step and output box of a shipped model stands clear of every other by 10 px at least (the
    modeler's "In"/"Out" handles and the arrows between them stay readable)."""
    boxes = _boxes(_load(path))
    assert len(boxes) >= 10 and all(b[2] - b[0] >= 100 and b[3] - b[1] >= 20 for b in boxes.values())
    gap = 10.0
    names = sorted(boxes)
    close = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
             if boxes[a][0] < boxes[b][2] + gap and boxes[b][0] < boxes[a][2] + gap
             and boxes[a][1] < boxes[b][3] + gap and boxes[b][1] < boxes[a][3] + gap]
    assert close == []


def test_corrected_sbas_offers_every_earlier_steps_interferograms_to_sbas(qgis_app):
    model = _load(os.path.join(ROOT, "models", "corrected_sbas.model3"))
    got = offered(model, "sbas", "INTERFEROGRAMS")
    for step in ("unwrapping", "network", "troposphere", "ramps"):
        assert (step, "OUTPUT_LAYERS") in got
        assert (step, "OUTPUT") not in got and (step, "OUTPUT_REPORT") not in got  # the folder, the report
    assert ("unwrapping", "OUTPUT_STATS") not in got


def _corrected_inputs(tmp_path):
    """A small stack for the Corrected SBAS model: bowl, stratified troposphere, ramps, turbulence."""
    from osgeo import osr
    from testutils_corrections import mm_to_rad, synthetic_stack, write_stack_tifs, write_tif

    s = synthetic_stack(shape=(24, 32), n_dates=8, seed=5, bowl_mm_yr=-50.0, strat_mm_per_km=8.0, ramp_mm=6.0,
                        turb_mm=0.5)
    step = 300.0
    files = write_stack_tifs(str(tmp_path / "ifgs"), mm_to_rad(s["ifg_mm"]), s["dates"], s["pairs"], step=step)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32614)
    dem = write_tif(str(tmp_path / "dem.tif"), s["dem"], srs.ExportToWkt(), (500000.0, step, 0, 2150000.0, 0, -step))
    bperp = np.random.default_rng(3).normal(0, 80, len(s["dates"]))
    (tmp_path / "bperp.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(s["dates"], bperp)))
    return {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "bperp.csv")], "INCIDENCE_DEG": 39.0,
            "SLANT_RANGE_M": 850000.0}


def _slc_inputs(tmp_path):
    from testutils_psds import write_slc_files

    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    sim = simulate_slc_stack(shape=(24, 30), n_dates=8, seed=4, atmosphere_std_rad=0.0, dem_error_std_m=0.0,
                             max_velocity_mm_yr=-60.0)
    return {"SLC": write_slc_files(tmp_path, sim)}


@pytest.mark.parametrize("name, inputs, result", [
    ("corrected_sbas", _corrected_inputs, "demerror:VELOCITY"),
    ("slc_stack_to_time_series", _slc_inputs, "sbas:VELOCITY")])
def test_model_accepted_in_every_dialog_runs_as_shipped(qgis_app, tmp_path, name, inputs, result):
    """The model after OK in every step's dialog gives the shipped model's velocity, value for value."""
    from qgis.core import QgsApplication
    from testutils import read_array

    path = os.path.join(ROOT, "models", name + ".model3")
    accepted = _load(path)
    assert accept_every_step(accepted) == {}
    params = inputs(tmp_path)
    shipped = QgsApplication.processingRegistry().algorithmById("geohazard:" + _load(path).helpContent()["MODEL_ID"])
    runs = {}
    for label, model in (("shipped", shipped), ("accepted", accepted)):
        out = {d.name(): str(tmp_path / label / d.name().replace(":", "_")) + (
            ".csv" if d.type() == "fileDestination" else "" if d.type() == "folderDestination" else
            ".gpkg" if d.type() in ("vectorDestination", "sink") else ".tif")
            for d in model.destinationParameterDefinitions()}
        os.makedirs(tmp_path / label)
        runs[label] = read_array(run_model(model, {**params, **out})[result])
    assert np.isfinite(runs["accepted"]).mean() > 0.9
    np.testing.assert_array_equal(runs["accepted"], runs["shipped"])


def test_every_number_default_survives_the_dialogs(qgis_app):
    """A number field of QGIS's dialogs (toolbox, modeler, batch) is a spin box bounded by the parameter's range, or
    by +-999,999,999 where the parameter has none (QgsProcessingNumericWidgetWrapper::createWidget): a default
    outside it comes back changed when the dialog is accepted (the shear modulus 3.2e10 Pa of the Coulomb tools came
    back 1e9 Pa). Every tool's number default is set in the dialog's widget and read back unchanged."""
    from qgis.core import QgsApplication, QgsProcessingContext
    from qgis.gui import QgsGui, QgsProcessingGui

    try:  # the dialog's mode: Qgis.ProcessingMode from QGIS 3.36, QgsProcessingGui.WidgetType before
        from qgis.core import Qgis

        standard = Qgis.ProcessingMode.Standard
    except AttributeError:
        standard = QgsProcessingGui.WidgetType.Standard
    context = QgsProcessingContext()
    changed, checked = [], 0
    for alg in QgsApplication.processingRegistry().algorithms():
        if not alg.id().startswith("geohazard:") or not hasattr(alg, "NAME"):
            continue
        for d in alg.parameterDefinitions():
            if d.type() != "number" or d.defaultValue() is None or d.flags() & d.Flag.FlagHidden:
                continue
            wrapper = QgsGui.processingGuiRegistry().createParameterWidgetWrapper(d, standard)
            widget = wrapper.createWrappedWidget(context)
            wrapper.setParameterValue(d.defaultValue(), context)
            back = wrapper.parameterValue()
            if back is None or not np.isclose(float(back), float(d.defaultValue()), rtol=1e-9, atol=1e-9):
                changed.append((alg.id(), d.name(), d.defaultValue(), back))
            checked += 1
            widget.deleteLater()
    assert checked > 150
    assert not changed, changed


def test_every_tool_offers_its_rasters_as_layers_and_no_report_as_a_file(qgis_app):
    """Across the toolbox (not only the shipped models): each folder of rasters a tool writes comes with its
    multiple-layers output (``<folder>_LAYERS``, what the modeler links to a stack input; a folder of PNG plots
    has none), and no output is a plain file output, which QGIS's modeler offers to raster and layer inputs:
    CSV, PNG, HDF5 and HTML files are reports (``outputReport``) or HTML (``outputHtml``); but for the files a
    tool's file input reads (the modeler links a file input only to a plain file output)."""
    from qgis.core import QgsApplication

    tools = [a for a in QgsApplication.processingRegistry().algorithms()
             if a.id().startswith("geohazard:") and hasattr(a, "NAME")]
    assert len(tools) >= 39
    missing, files, sets = [], [], 0
    for alg in tools:
        outputs = {o.name(): o.type() for o in alg.outputDefinitions()}
        for d in alg.destinationParameterDefinitions():
            if d.type() == "folderDestination" and "PLOT" not in d.name():
                sets += 1
                if outputs.get(d.name() + "_LAYERS") != "outputMultilayer":
                    missing.append((alg.id(), d.name()))
        files += [(alg.id(), name) for name, kind in outputs.items() if kind == "outputFile"]
    assert sets >= 6  # unwrap, phaselinking, unwrapclosurecorrection, modifynetwork, troposphere, ramps
    assert not missing, missing
    # files a tool's own file input reads, which the modeler links only from a plain file output: the saved
    # susceptibility model (SAVED_MODEL) and the measured densities (targetsuitability's DENSITIES)
    feeds = {("geohazard:susceptibility", "OUTPUT_MODEL"), ("geohazard:targetsuitability", "OUTPUT_DENSITIES")}
    assert not [f for f in files if f not in feeds], files
