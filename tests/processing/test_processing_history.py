"""Every raster a tool writes carries PROCESSING_HISTORY: the steps of its inputs' histories, then its own
(tool, version, the scalar parameters given), through a script chain and through a shipped model; a shipped
model ends its log with one summary line per step."""

import datetime as dt
import re

import pytest
import testutils_hostile as hk

STEP = re.compile(r"^geohazard:[a-z0-9]+ \d+\.\d+\.\d+(: .+)?$")


def _history(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return (ds.GetMetadataItem("PROCESSING_HISTORY") or "").splitlines()


def test_a_script_chain_keeps_every_step(qgis_app, tmp_path):
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    ramps = hk.run("rampremoval", {"INTERFEROGRAMS": files, "RAMP_TYPE": 1, "OUTPUT": str(tmp_path / "flat")})
    flat = sorted(str(p) for p in (tmp_path / "flat").glob("*.tif"))
    assert flat and ramps
    steps = _history(flat[0])
    assert len(steps) == 1 and steps[0].startswith("geohazard:rampremoval ") and "RAMP_TYPE=" in steps[0]
    assert "MAX_MEMORY_MB" not in steps[0]
    res = hk.run("sbasinversion", {"INTERFEROGRAMS": flat, "OUTPUT_VELOCITY": str(tmp_path / "v.tif")})
    steps = _history(res["OUTPUT_VELOCITY"])
    assert [s.split(" ")[0] for s in steps] == ["geohazard:rampremoval", "geohazard:sbasinversion"]
    assert all(STEP.match(s) for s in steps), steps


def test_the_corrected_sbas_model_writes_its_steps_in_order(qgis_app, tmp_path):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    res = hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "b.csv")],
                                   "INCIDENCE_DEG": 39.0, "SLANT_RANGE_M": 850000.0,
                                   "demerror:VELOCITY": str(tmp_path / "v.tif")})
    tools = [s.split(" ")[0] for s in _history(res["demerror:VELOCITY"])]
    assert tools[-1] == "geohazard:demerrorcorrection"
    assert "geohazard:sbasinversion" in tools and "geohazard:rampremoval" in tools
    assert tools.index("geohazard:rampremoval") < tools.index("geohazard:sbasinversion")
    assert len(tools) == len(set(tools)) >= 4


def test_linked_outputs_are_not_stamped_and_inputs_stay_unchanged(qgis_app, tmp_path):
    """modifynetwork links the interferograms it keeps into its folder: stamping them would write into the
    inputs, so linked outputs keep the inputs' metadata and the input files keep their bytes."""
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    before = hk.digest(files)
    hk.run("modifynetwork", {"INTERFEROGRAMS": files, "MAX_TEMPORAL_BASELINE": 13, "KEEP_CONNECTED": True,
                             "OUTPUT": str(tmp_path / "net")})
    assert hk.digest(files) == before
    assert any(p.stat().st_nlink > 1 for p in (tmp_path / "net").glob("*.tif"))


def test_the_model_ends_with_a_summary_of_its_steps(qgis_app, tmp_path):
    from testutils import recording_feedback

    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(6)]
    (tmp_path / "b.csv").write_text("".join(f"{d:%Y%m%d},{b}\n" for d, b in zip(dates, [3, -40, 25, 60, -12, 33])))
    files = hk.ifg_stack(str(tmp_path / "ifg"), n_dates=6, shape=(30, 32))
    dem = hk.dem_raster(str(tmp_path / "dem.tif"), shape=(30, 32))
    fb = recording_feedback()
    hk.run("correctedsbas", {"INTERFEROGRAMS": files, "DEM": dem, "BASELINES": [str(tmp_path / "b.csv")],
                                   "INCIDENCE_DEG": 39.0, "SLANT_RANGE_M": 850000.0,
                             "demerror:VELOCITY": str(tmp_path / "v.tif")}, feedback=fb)
    text = fb.text
    assert "Summary of the steps:" in text
    summary = text[text.index("Summary of the steps:"):].splitlines()[1:]
    lines = [s.strip() for s in summary if s.startswith("  ")]
    tools = [s.split(":")[0] for s in lines]
    assert tools[:2] == ["unwrapclosurecorrection", "modifynetwork"], lines
    assert any(s.startswith("troposphericcorrection: ") and "removed" in s for s in lines), lines
    assert any(s.startswith("rampremoval: RMS on the fit area ") for s in lines), lines
    assert any(s.startswith("sbasinversion: Reference pixel: ") for s in lines), lines


# ------------------------------------------------------------------ Processing > History: a re-run keeps the inputs
def _through_the_history(command, tmp_path, monkeypatch) -> str:
    """``command`` stored in Processing's history and read back as *Processing > History* lists it (QGIS 3.22:
    ``ProcessingLog``, in a file of its own here; later QGIS: the history provider registry)."""
    try:
        from processing.core.ProcessingLog import ProcessingLog
    except ImportError:
        ProcessingLog = None  # noqa: N806 - QGIS's class name
    if ProcessingLog is not None:
        path = str(tmp_path / "processing.log")
        monkeypatch.setattr(ProcessingLog, "logFilename", staticmethod(lambda: path))
        ProcessingLog.addToLog(command)
        return ProcessingLog.getLogEntries()[-1].text
    from qgis.gui import QgsGui

    registry = QgsGui.historyProviderRegistry()
    registry.addEntry("processing", {"python_command": command})
    return registry.queryEntries()[-1].entry["python_command"]


@pytest.mark.parametrize("tool, extra", [("correctedsbas", {"DEM": "cropA_T005A_dem.tif", "SLANT_RANGE_M": 850000.0}),
                                         ("sbasinversion", {})])
def test_a_history_rerun_keeps_every_input_and_logs_nothing(qgis_app, data_dir, tmp_path, monkeypatch, tool, extra):
    """Corrected SBAS (a model) and SBAS (a tool) given the 30 Mexico City interferograms, their coherence and their
    30 GAMMA baseline tables (.par.gz), run from the dialog, then re-opened from the history line as *Processing >
    History* does (``processing.run(`` replaced by the dialog's call): the dialog holds every input it was given, and
    opening it puts nothing in the Log Messages panel (QGIS's own list widget loads each file as a layer: "[OGR]
    Cannot open" for each of the 90 files, "Invalid data provider pointcloud" for each table, and drops the tables,
    which are no layers)."""
    import glob
    import os
    import types

    import processing
    from processing.tools import general
    from qgis.core import QgsApplication, QgsProcessingContext
    from qgis.PyQt.QtWidgets import QMainWindow

    mexico = os.path.join(data_dir, "sentinel1_mexico_city")
    given = {"INTERFEROGRAMS": sorted(glob.glob(os.path.join(mexico, "geotiffs", "*_unw.tif"))),
             "COHERENCE": sorted(glob.glob(os.path.join(mexico, "geotiffs", "*_cc.tif"))),
             "BASELINES": sorted(glob.glob(os.path.join(mexico, "baselines", "*.par.gz"))),
             **{k: os.path.join(mexico, "geotiffs", v) if k == "DEM" else v for k, v in extra.items()}}
    assert [len(given[k]) for k in ("INTERFEROGRAMS", "COHERENCE", "BASELINES")] == [30, 30, 30]
    alg = QgsApplication.processingRegistry().algorithmById(f"geohazard:{tool}")
    line = _through_the_history(alg.asPythonCommand(given, QgsProcessingContext()), tmp_path, monkeypatch)
    assert line.startswith(f"processing.run(\"geohazard:{tool}\"") and line.count(".par.gz") == 30

    window = QMainWindow()
    monkeypatch.setattr(general, "iface", types.SimpleNamespace(mainWindow=lambda: window))
    messages = []

    def heard(message, tag, level):
        messages.append(f"[{tag}] {message}")

    log = QgsApplication.messageLog()
    log.messageReceived.connect(heard)
    try:
        scope = {"processing": processing}
        exec(line.replace("processing.run(", "dialog = processing.createAlgorithmDialog("), scope)
        dialog = scope["dialog"]
        QgsApplication.processEvents()
        back = dialog.createProcessingParameters()
    finally:
        log.messageReceived.disconnect(heard)
    for name in given:
        assert back[name] == given[name] if name != "SLANT_RANGE_M" else float(back[name]) == given[name], name
    assert messages == []
    ok, problem = alg.checkParameterValues(back, QgsProcessingContext())
    assert ok, problem
    dialog.deleteLater()
