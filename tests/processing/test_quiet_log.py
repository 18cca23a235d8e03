"""The causes of log noise, each checked where it starts: folder and baseline-table inputs never opened as
layers, statistics of a constant band that QGIS's histogram accepts, numba's start lock released
(the qgis_process runs of the demo: tests/qgis_process/test_quiet_log_cli.py)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")


def _registry():
    from qgis.core import QgsApplication

    return QgsApplication.processingRegistry()


@pytest.mark.parametrize("tool, name, value", [
    ("sbasinversion", "INTERFEROGRAMS", os.path.join(MEXICO, "geotiffs")),
    ("sbasinversion", "COHERENCE", [os.path.join(MEXICO, "geotiffs")]),
    ("sbasinversion", "BASELINES", os.path.join(MEXICO, "baselines")),
    ("demerrorcorrection", "BASELINES", sorted(
        os.path.join(MEXICO, "baselines", f) for f in os.listdir(os.path.join(MEXICO, "baselines")))[:3]),
    ("correctedsbas", "INTERFEROGRAMS", os.path.join(MEXICO, "geotiffs")),
    ("correctedsbas", "BASELINES", os.path.join(MEXICO, "baselines")),
])
def test_folders_and_tables_are_checked_and_written_as_paths(qgis_app, capfd, tool, name, value):
    """QGIS checks a value (qgis_process: every parameter, before the run) and writes the run's Python command
    (dialog log, history) by opening each item as a layer with every provider: a folder printed GDAL's "not
    recognized" and MDAL's "Unable to load mesh", a .par.gz table "[OGR] Cannot open /vsigzip/..."."""
    from qgis.core import QgsApplication, QgsProcessingContext

    messages = []
    QgsApplication.messageLog().messageReceived.connect(lambda m, tag, level: messages.append(f"[{tag}] {m}"))
    definition = _registry().algorithmById(f"geohazard:{tool}").parameterDefinition(name)
    context = QgsProcessingContext()
    capfd.readouterr()
    assert definition.checkValueIsAcceptable(value, context)
    text = definition.valueAsPythonString(value, context)
    items = value if isinstance(value, list) else [value]
    assert all(repr(i).strip("'") in text for i in items), text
    QgsApplication.processEvents()
    # Qt's offscreen platform (QT_QPA_PLATFORM=offscreen, Qt >= 5.15.15) says this of windows earlier tests showed
    err = "\n".join(line for line in capfd.readouterr().err.splitlines()
                     if line.strip() != "This plugin does not support propagateSizeHints()")
    assert not err.strip() and not messages, (err, messages)
    # a clone (the modeler, batch runs) keeps the behaviour
    assert definition.clone().checkValueIsAcceptable(value, context)


@pytest.mark.parametrize("tool", ["sbasinversion", "correctedsbas"])
def test_a_list_of_raster_files_is_written_as_paths_without_loading_them(qgis_app, tool):
    """The run's Python command (a model logs one for each step) writes a list of raster files as its paths; QGIS's
    own writer loads every file as a layer to find its source, the same path (1 CPU-s for each list of 84
    interferograms of 0.5 Mpx: 12 of the Corrected SBAS model's 80 CPU-s on a 700 x 700 px stack). Layer IDs and
    names are still written by QGIS."""
    from qgis.core import QgsProcessingContext

    files = sorted(os.path.join(MEXICO, "geotiffs", f) for f in os.listdir(os.path.join(MEXICO, "geotiffs"))
                   if f.endswith("_unw.tif"))[:6]
    assert len(files) == 6
    definition = _registry().algorithmById(f"geohazard:{tool}").parameterDefinition("INTERFEROGRAMS")
    context = QgsProcessingContext()
    text = definition.valueAsPythonString(files, context)
    assert text == "[" + ",".join(repr(f) for f in files) + "]", text
    assert context.temporaryLayerStore().count() == 0


def test_path_lists_still_refuse_what_is_not_there(qgis_app):
    from qgis.core import QgsProcessingContext

    context = QgsProcessingContext()
    sbas = _registry().algorithmById("geohazard:sbasinversion")
    assert not sbas.parameterDefinition("INTERFEROGRAMS").checkValueIsAcceptable("", context)
    assert not sbas.parameterDefinition("INTERFEROGRAMS").checkValueIsAcceptable(
        os.path.join(MEXICO, "no-such-raster.tif"), context)
    files = sorted(os.path.join(MEXICO, "geotiffs", f) for f in os.listdir(os.path.join(MEXICO, "geotiffs"))
                   if f.endswith("_unw.tif"))[:2]
    assert sbas.parameterDefinition("INTERFEROGRAMS").checkValueIsAcceptable(files, context)


def test_model_inputs_keep_their_order_and_become_path_lists(qgis_app):
    from insar_geohazards.processing_provider.inputs.declare import PathList

    model = _registry().algorithmById("geohazard:correctedsbas")
    inputs = [d for d in model.parameterDefinitions() if not d.isDestination()]
    assert [d.name() for d in inputs][:4] == ["INTERFEROGRAMS", "COHERENCE", "BASELINES", "DEM"]
    assert all(isinstance(d, PathList) for d in inputs[:3])
    assert all(isinstance(d, PathList) for d in model.createInstance().parameterDefinitions()[:3])


def test_kept_rasters_open_once_and_are_found_by_their_real_path(qgis_app, tmp_path):
    """A model keeps its single rasters as layers of the run (the steps' variables find them there instead of
    QGIS's loader trying OGR first); each file is opened once, found again under another name of the same file
    (a link), and what is no raster file is left alone."""
    from qgis.core import QgsProcessingContext
    from testutils_corrections import write_tif

    from insar_geohazards.processing_provider.model_checks import keep_rasters

    paths = [str(tmp_path / f"{i}.tif") for i in range(3)]
    for i, path in enumerate(paths):
        write_tif(path, np.full((4, 5), float(i)), "", (500000.0, 10.0, 0.0, 4000000.0, 0.0, -10.0))
    os.symlink(paths[0], tmp_path / "link.tif")
    (tmp_path / "report.csv").write_text("a,b\n")
    context = QgsProcessingContext()
    assert keep_rasters(context, paths + [str(tmp_path / "report.csv"), None]) == 3
    store = context.temporaryLayerStore()
    assert store.count() == 3
    first = {layer.source(): layer for layer in store.mapLayers().values()}[paths[0]]
    assert keep_rasters(context, [str(tmp_path / "link.tif")] + paths) == 4
    assert store.count() == 3 and first.id() in store.mapLayers()
    assert keep_rasters(None, paths) == 0 and keep_rasters(context, []) == 0


def test_constant_band_gets_statistics_qgis_can_histogram(tmp_path):
    """The reference date of a time series is all zeros: QGIS stretches a new layer's colours from a histogram
    between the band's minimum and maximum, which GDAL 3.10 refuses when they are equal ("ERROR 5: dfMax should
    be strictly greater than dfMin"). The statistics stored say a maximum one float32 step above; the pixels
    stay zero."""
    from osgeo import gdal

    from insar_geohazards.fileio.base.raster import RasterWriter

    rng = np.random.default_rng(3)
    cube = rng.normal(size=(3, 40, 50)).astype(np.float32)
    cube[0] = 0.0
    cube[2] = np.nan
    path = str(tmp_path / "series.tif")
    with RasterWriter(path, width=50, height=40, geotransform=(0, 1, 0, 0, 0, -1), crs_wkt="", count=3,
                      tile_rows=16) as w:
        for row in (0, 16, 32):
            w.write(cube[:, row:row + 16], row=row)
        w.commit()
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    meta = band.GetMetadata()
    assert float(meta["STATISTICS_MINIMUM"]) == 0.0 < float(meta["STATISTICS_MAXIMUM"]) <= 2e-7
    assert not band.ReadAsArray().any()
    assert "STATISTICS_MAXIMUM" not in ds.GetRasterBand(2).GetMetadata()  # varying: QGIS computes them
    assert "STATISTICS_MAXIMUM" not in ds.GetRasterBand(3).GetMetadata()  # no data at all
    assert not os.path.exists(path + ".aux.xml")


def test_numba_start_lock_leaves_no_semaphore_at_exit(tmp_path):
    """Processes started by forkserver (Python 3.14's default on Linux): numba's thread-pool start lock was a
    named semaphore never released, and a process ending without finalising Python (QGIS) printed "There
    appear to be 1 leaked semaphore objects to clean up at shutdown"."""
    pytest.importorskip("numba", reason="numba is not installed: no thread pool, no lock")
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""\
        import multiprocessing, os, sys
        multiprocessing.set_start_method("forkserver")
        sys.path.insert(0, {os.path.join(ROOT, ".build", "plugins")!r})
        import numpy as np
        from insar_geohazards.algorithms._numba import njit, prange

        @njit(parallel=True)
        def total(a):
            s = 0.0
            for i in prange(a.size):
                s += a[i]
            return s

        print(total(np.ones(1000)), flush=True)
        os._exit(0)  # as QGIS ends: no Python finalisation
        """))
    env = {k: v for k, v in os.environ.items() if k != "INSAR_GEOHAZARDS_DISABLE_NUMBA"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "1000.0", out.stderr
    assert "leaked semaphore" not in out.stderr, out.stderr


def _slc_files(tmp_path, n=3, georef=True):
    from osgeo import gdal

    paths = []
    for i in range(n):
        path = str(tmp_path / f"2020010{i + 1}.slc.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, 6, 5, 1, gdal.GDT_CFloat32)
        if georef:
            ds.SetGeoTransform((500000, 10, 0, 4000000, 0, -10))
        ds.GetRasterBand(1).WriteArray((np.arange(30).reshape(5, 6) + 1j * i).astype(np.complex64))
        ds = None
        paths.append(path)
    return paths


@pytest.mark.parametrize("georef", [True, False])
def test_raster_file_lists_are_checked_by_gdal_without_loading_layers(qgis_app, tmp_path, georef):
    """A list of raster files (phase linking's 30 SLCs) was checked by QGIS loading each as a layer with the
    statistics of a default renderer, before the run and outside its PAM-off reads: an ``.aux.xml`` of statistics
    beside every input, ~2 CPU-ms a file. GDAL opening each says the same here; QGIS's answer is unchanged."""
    from qgis.core import QgsProcessing, QgsProcessingContext, QgsProcessingParameterMultipleLayers

    from insar_geohazards.processing_provider.inputs.declare import PathList

    paths = _slc_files(tmp_path, georef=georef)
    definition = _registry().algorithmById("geohazard:phaselinking").parameterDefinition("INPUT")
    assert isinstance(definition, PathList)
    context = QgsProcessingContext()
    assert definition.checkValueIsAcceptable(paths, context)
    assert definition.checkValueIsAcceptable(paths[0], context)
    assert context.temporaryLayerStore().count() == 0  # nothing loaded as a layer
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in paths)  # nothing written beside
    qgis_own = QgsProcessingParameterMultipleLayers("INPUT", "x", QgsProcessing.SourceType.TypeRaster)
    assert qgis_own.checkValueIsAcceptable(paths, QgsProcessingContext())


def test_raster_file_lists_refused_as_qgis_refuses_them(qgis_app, tmp_path):
    """What GDAL does not open as a raster goes to QGIS's own check: same answer as QGIS's parameter."""
    from qgis.core import QgsProcessing, QgsProcessingContext, QgsProcessingParameterMultipleLayers

    paths = _slc_files(tmp_path)
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01not a raster")
    (tmp_path / "empty.tif").write_bytes(b"")
    definition = _registry().algorithmById("geohazard:phaselinking").parameterDefinition("INPUT")
    qgis_own = QgsProcessingParameterMultipleLayers("INPUT", "x", QgsProcessing.SourceType.TypeRaster)
    for value in (paths + [str(tmp_path / "missing.tif")], paths + [str(tmp_path / "notes.bin")],
                  paths + [str(tmp_path / "empty.tif")], [], ""):
        ours = definition.checkValueIsAcceptable(value, QgsProcessingContext())
        assert ours == qgis_own.checkValueIsAcceptable(value, QgsProcessingContext()), value
    assert not definition.checkValueIsAcceptable(paths + [str(tmp_path / "missing.tif")], QgsProcessingContext())
    few = definition.clone()
    few.setMinimumNumberInputs(4)
    assert not few.checkValueIsAcceptable(paths, QgsProcessingContext())


def test_raster_list_paths_are_the_layer_sources(qgis_app, tmp_path, monkeypatch):
    """The run takes a list of files as given: what QGIS's layers of them report as their source (relative,
    absolute, doubled slashes alike), without loading them."""
    from qgis.core import QgsProcessingContext

    from insar_geohazards.processing_provider.inputs.stacks import raster_list_paths

    paths = _slc_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    value = [os.path.basename(paths[0]), paths[1].replace(os.sep, os.sep * 2, 1), "./" + os.path.basename(paths[2])]
    alg = _registry().algorithmById("geohazard:phaselinking")
    context = QgsProcessingContext()
    got = raster_list_paths(alg, {"INPUT": value}, "INPUT", context)
    assert context.temporaryLayerStore().count() == 0
    qgis_context = QgsProcessingContext()
    assert got == [lyr.source() for lyr in alg.parameterAsLayerList({"INPUT": value}, "INPUT", qgis_context)]


def test_overlap_check_loads_the_first_layer_of_a_list_only(qgis_app, tmp_path):
    """The overlap check of a raster list needs one layer's extent: the first item QGIS loads (a missing file
    before it is passed over, as QGIS's list loading did), not all 30 SLCs of phase linking."""
    from qgis.core import QgsProcessingContext

    from insar_geohazards.processing_provider.inputs.guard import _extent

    paths = _slc_files(tmp_path, n=4)
    alg = _registry().algorithmById("geohazard:phaselinking")
    context = QgsProcessingContext()
    rect, crs, name = _extent(alg, {"INPUT": [str(tmp_path / "missing.tif")] + paths}, "INPUT", context)
    assert name == "INPUT" and context.temporaryLayerStore().count() == 1
    assert (rect.xMinimum(), rect.yMaximum(), rect.width(), rect.height()) == (500000, 4000000, 60, 50)
    assert _extent(alg, {"INPUT": paths[1]}, "INPUT", QgsProcessingContext())[0] == rect
    assert _extent(alg, {"INPUT": [str(tmp_path / "missing.tif")]}, "INPUT", QgsProcessingContext()) is None


def test_single_raster_inputs_are_checked_without_statistics_beside_them(qgis_app, tmp_path):
    """A raster path given to a raster-layer input (qgis_process checks every parameter before the run) was
    loaded by QGIS as a layer whose default renderer computed band statistics, and GDAL saved them as
    ``<input>.aux.xml`` beside the input. Every raster input of every tool and shipped model (and their clones:
    the modeler, batch runs) checks with GDAL's side-car files off; the answer is QGIS's."""
    from osgeo import gdal
    from qgis.core import QgsProcessingContext, QgsProcessingParameterRasterLayer

    from insar_geohazards.processing_provider.inputs.declare import QuietRaster

    path = str(tmp_path / "mask.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 50, 40, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((500000, 10, 0, 4000000, 0, -10))
    ds.GetRasterBand(1).WriteArray(np.random.default_rng(0).random((40, 50)).astype(np.float32))
    ds = None
    algs = [a for a in _registry().algorithms() if a.provider() and a.provider().id() == "geohazard"]
    rasters = [(a.id(), d) for a in algs for d in a.parameterDefinitions() if d.type() == "raster"]
    assert len(rasters) >= 40 and {a for a, _ in rasters} >= {"geohazard:phaselinking", "geohazard:sbasinversion"}
    assert all(isinstance(d, QuietRaster) and isinstance(d.clone(), QuietRaster) for _, d in rasters), [
        a + " " + d.name() for a, d in rasters if not isinstance(d, QuietRaster)]
    for alg_id, d in rasters[:5] + [r for r in rasters if r[0].endswith("phaselinking")]:
        context = QgsProcessingContext()
        assert d.checkValueIsAcceptable(path, context), (alg_id, d.name())
        assert d.clone().checkValueIsAcceptable(path, context)
        del context
    assert os.listdir(tmp_path) == ["mask.tif"]  # nothing beside the input
    qgis_own = QgsProcessingParameterRasterLayer("X", "x")  # the same answers (QGIS 3.22's leaves mask.tif.aux.xml)
    assert qgis_own.checkValueIsAcceptable(path, QgsProcessingContext())
    for d in (rasters[0][1], qgis_own):
        assert not d.checkValueIsAcceptable(str(tmp_path / "missing.tif"), QgsProcessingContext())
