"""`make demo`'s qgis_process runs, made once for this module: each leaves nothing on stderr a user would read as
an error or a warning, and the demo's outputs carry the assertions of the tests that would otherwise run the
same steps again (the Mexico City SBAS from the folder form, the subsidence basins, the simulated SLC stack's
velocity, the EGMS Ustica points -> ADAs -> classes, the susceptibility of those ADAs).

Every demo step (demo/run_demo.py: the tools and shipped models on the bundled real data and the
simulated SLC stack) runs through qgis_process.bin as `make demo` runs it; what each run printed on
stderr must be QGIS's own start-up lines (:data:`QGIS_STARTUP_LINES`), nothing else: no GDAL or OGR
"ERROR n" or "Warning n" line, no provider probing a folder or a baseline table as a layer, no Python
warning, no resource-tracker notice at exit.
"""

import contextlib
import importlib.util
import io
import os
import re

import numpy as np
import pytest
from testutils_cli import ROOT, listed, requires_qgis_process, run_json

#: The demo's 30 qgis_process runs are one set-up (92 s on an idle machine, more than the suite's 15-minute watchdog
#: against a hung test when four other jobs share the two cores): a watchdog of an hour for this module's tests
pytestmark = pytest.mark.timeout(3600)

#: Lines QGIS or Qt print at every start of qgis_process, whatever the tool (the allow-list).
QGIS_STARTUP_LINES = (
    # Qt, when XDG_RUNTIME_DIR is unset or not private (a headless shell, a chroot)
    r"QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '.*'",
    r"QStandardPaths: (wrong permissions|runtime directory) .*",
    # QGIS 3.22's Python start-up (qgis.PyQt calls sip.setapi)
    r"<string>:1: DeprecationWarning: setapi\(\) is deprecated",
)
#: A warning raised in QGIS's own Python files (QGIS 3.44 on Python 3.14: codecs.open in qgis.utils and the
#: Processing help loader, at every start); Python prints the offending source line indented below it.
QGIS_OWN_WARNING = re.compile(r"/usr/(lib/python3/dist-packages/qgis|share/qgis/python)/\S+:\d+: \w*Warning: .*")


def unexpected_lines(stderr: str) -> list:
    """The lines of ``stderr`` that are not QGIS start-up lines (nor the source line under a QGIS warning)."""
    out, source_next = [], False
    for line in stderr.splitlines():
        text = line.strip()
        if source_next and line[:1].isspace():
            source_next = False
            continue
        source_next = False
        if not text:
            continue
        if QGIS_OWN_WARNING.fullmatch(text):
            source_next = True
            continue
        if not any(re.fullmatch(p, text) for p in QGIS_STARTUP_LINES):
            out.append(line)
    return out


def _demo():
    spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_allow_list_keeps_only_qgis_start_up_lines():
    log = ("QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-root'\n"
           "<string>:1: DeprecationWarning: setapi() is deprecated\n"
           "ERROR 4: '/data/geotiffs' not recognized as being in a supported file format.\n"
           "ERROR: Status 3: Unable to load mesh (null)\n"
           "Warning 1: Passed SRS uses EPSG:3035 identification, but its definition is not compatible\n"
           "[OGR] Cannot open /vsigzip//data/baselines/20180106-20180130_bperp.par.gz\n"
           "ERROR 5: dfMax should be strictly greater than dfMin\n"
           "resource_tracker: There appear to be 1 leaked semaphore objects to clean up at shutdown\n"
           "/usr/lib/python3/dist-packages/qgis/utils.py:294: DeprecationWarning: codecs.open() is deprecated.\n"
           '  with codecs.open(metadataFile, "r", "utf8") as f:\n'
           "/repo/algorithms/x.py:3: RuntimeWarning: invalid value encountered in divide\n"
           "  z = a / b\n")
    assert len(unexpected_lines(log)) == 8  # ours kept (the warning and its source line), QGIS's own dropped


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Every demo step run once through qgis_process, in order, into one folder: ``(demo module, folder,
    {algorithm and title: (step, layers it loads, what it printed, the run's JSON results)}, [algorithm of each
    run])``."""
    if requires_qgis_process.args[0]:
        pytest.skip(requires_qgis_process.kwargs["reason"])
    demo = _demo()
    demo.STDERR.clear()
    out = str(tmp_path_factory.mktemp("demo"))
    ran, by_step, results = [], {}, []
    run = demo.qgis_process

    def recorded(alg, params):  # run_step keeps the layers it loads; the tests also read the JSON results
        results.append(run(alg, params))
        return results[-1]

    demo.qgis_process = recorded
    for step in demo.steps(out):
        if step["alg"] == "geohazard:susceptibility":  # its fitted model saved too: the saved-model test applies it
            step["params"]["OUTPUT_MODEL"] = os.path.join(out, "ustica_ada_susceptibility_model.zip")
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            layers = demo.run_step(step)
        ran.append(step["alg"])
        by_step[(step["alg"], step["title"])] = (step, layers, log.getvalue(), results[-1])
    return demo, out, by_step, ran


def _step(demo_run, alg: str, title_has: str = ""):
    """``(step, layers, printed, results)`` of the demo's only step of ``alg`` (whose title holds ``title_has``)."""
    found = [v for (a, title), v in demo_run[2].items() if a == alg and title_has in title]
    assert len(found) == 1, (alg, title_has, len(found))
    return found[0]


@pytest.mark.slow
@requires_qgis_process
def test_demo_runs_leave_no_error_or_warning_on_stderr(demo_run):
    demo, _, _, ran = demo_run
    assert len(demo.STDERR) == len(ran) >= 15
    noisy = {alg: unexpected_lines(err) for alg, err in demo.STDERR if unexpected_lines(err)}
    assert not noisy, "\n".join(f"{alg}:\n  " + "\n  ".join(lines) for alg, lines in noisy.items())


@pytest.mark.slow
@requires_qgis_process
def test_demo_slc_step_recovers_the_simulated_velocity(demo_run):
    """The demo's SIMULATED SLC stack step: the shipped model geohazard:slcstacktotimeseries run through
    qgis_process, as `make demo` runs it, on the simulated stack, and its velocity checked against the
    simulated truth."""
    demo, out = demo_run[0], demo_run[1]
    step, layers, log, _ = _step(demo_run, "geohazard:slcstacktotimeseries")
    assert "SIMULATED" in step["title"] and "SIMULATED" in step["group"]
    assert "SIMULATED input (not real data)" in log and "velocity vs SIMULATED truth" in log
    paths = [p for _, _, p in layers]
    assert all(os.path.exists(p) for p in paths)
    assert any(p.endswith(".unw.tif") for p in paths) and any(p.endswith(".conncomp.tif") for p in paths)
    e = demo.velocity_error(os.path.join(out, "simulated_velocity.tif"),
                            os.path.join(out, "simulated_slc", demo.SIMULATED_TRUTH))
    # measured 4.6 mm/yr RMS, correlation 0.994, 99.8 % of the pixels (peak -160 mm/yr, seed 7)
    assert e["truth_min"] < -150.0
    assert e["share"] > 0.95
    assert e["correlation"] > 0.97
    assert e["rms"] < 8.0  # 5 % of the bowl's peak velocity


@pytest.mark.slow
@requires_qgis_process
def test_egms_load_detect_classify(demo_run, tmp_path):
    """The ADA family on real EGMS data: the demo's loadegms -> adadetection -> adaclassification runs (the same
    tools and parameters), then adadetection again with the advanced options typed on the command line."""
    from osgeo import ogr

    pts = _step(demo_run, "geohazard:loadegms")[0]["params"]["OUTPUT"]
    ada = _step(demo_run, "geohazard:adadetection")[0]["params"]
    assert set(ada) == {"INPUT", "OUTPUT", "OUTPUT_POINTS"} and ada["INPUT"] == pts
    ds = ogr.Open(ada["OUTPUT"])
    n_ada = ds.GetLayer(0).GetFeatureCount()
    assert n_ada >= 1
    assert ds.GetLayer(0).GetSpatialRef().GetAuthorityCode(None) == "3035"
    # the advanced options from the command line: no contrast test, the stable points' sigma, tiles on Dask
    alt = run_json("geohazard:adadetection", dict(INPUT=pts, OUTPUT=tmp_path / "ada2.gpkg", MIN_CONTRAST=0,
                                                  THRESHOLD_SIGMA=1, DASK_SCHEDULER="local"))
    ds2 = ogr.Open(alt["OUTPUT"])  # datasets kept in variables while their layers are read
    thr = {f.GetField("threshold") for f in ds.GetLayer(0)}
    thr2 = {f.GetField("threshold") for f in ds2.GetLayer(0)}
    assert len(thr) == len(thr2) == 1 and thr2 != thr
    cls = _step(demo_run, "geohazard:adaclassification")[0]["params"]
    assert set(cls) == {"INPUT", "OUTPUT"} and cls["INPUT"] == ada["OUTPUT"]
    cds = ogr.Open(cls["OUTPUT"])
    classes = {f.GetField("ada_class") for f in cds.GetLayer(0)}
    assert classes and classes <= {"landslide", "subsidence", "sinkhole_collapse", "settlement", "thermal_dilation",
                                   "uplift", "unclassified"}


@pytest.mark.slow
@requires_qgis_process
def test_susceptibility_on_the_ustica_adas_as_the_demo_runs_it(demo_run, tmp_path):
    """The demo's steps: EGMS Ustica ascending -> ADAs -> terrain gridded from the points' heights -> frequency
    ratio, its model saved (the demo fixture adds OUTPUT_MODEL to the demo's run), the saved model applied again
    (no inventory) gives the same map, and a random forest runs with its knobs typed on the command line."""
    from osgeo import gdal

    assert "geohazard:susceptibility" in listed().stdout
    step, _, _, res = _step(demo_run, "geohazard:susceptibility")
    assert step["params"]["INVENTORY"] == _step(demo_run, "geohazard:adadetection")[0]["params"]["OUTPUT"]
    ada, (slope, height) = step["params"]["INVENTORY"], step["params"]["FACTORS"]
    assert step["params"]["METHOD"] == 0 and step["params"]["ABSENCE_BUFFER_M"] == 50
    assert res["OUTPUT"] == os.path.join(demo_run[1], "ustica_ada_susceptibility.tif")
    assert os.path.exists(res["OUTPUT"]) and os.path.exists(res["OUTPUT_CLASSES"])
    assert 0.5 < res["AUC"] < 1.0
    assert gdal.Open(res["OUTPUT"]).GetGeoTransform() == gdal.Open(slope).GetGeoTransform()
    assert os.path.exists(res["OUTPUT_REPORT"]) and os.path.exists(res["OUTPUT_MODEL"])
    again = run_json("susceptibility", dict(FACTORS=[slope, height], SAVED_MODEL=res["OUTPUT_MODEL"],
                                            OUTPUT=tmp_path / "s2.tif"))
    a, b = gdal.Open(res["OUTPUT"]).ReadAsArray(), gdal.Open(again["OUTPUT"]).ReadAsArray()
    assert a.tobytes() == b.tobytes()
    rf = run_json("susceptibility", dict(INVENTORY=ada, FACTORS=[slope, height], METHOD=2, TREES=30, MIN_LEAF=3,
                                         BLOCK_SIZE_M=600, SEED=4, THREADS=1, MAX_MEMORY_MB=1, REPEATS=2,
                                         OUTPUT=tmp_path / "rf.tif"))
    assert 0.0 <= rf["AUC"] <= 1.0


@pytest.mark.slow
@requires_qgis_process
def test_sbas_mexico_city_folder_form(demo_run):
    """sbasinversion from the folder form (interferograms, coherence and baselines as folders): the demo's main
    job, the same tool and parameters."""
    from osgeo import gdal

    step, _, _, res = _step(demo_run, "geohazard:sbasinversion", "Mexico City")
    assert step["params"]["INTERFEROGRAMS"] == step["params"]["COHERENCE"]
    assert os.path.isdir(step["params"]["INTERFEROGRAMS"]) and os.path.isdir(step["params"]["BASELINES"])
    assert step["params"]["WEIGHTING"] == 1
    v = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    assert -330 < np.nanpercentile(v[:, 70:], 10) < -180
    ds = gdal.Open(res["OUTPUT_TIMESERIES"])
    assert ds.RasterCount == 13 and ds.GetRasterBand(1).GetDescription() == "2018-01-06"
    assert os.path.getsize(res["OUTPUT_NETWORK_PNG"]) > 5000
    assert os.path.exists(res["OUTPUT_POINTS"])


@pytest.mark.slow
@requires_qgis_process
def test_basindetection_mexico_city_folder(demo_run):
    """basindetection on the Mexico City folder: the demo's step, the same tool and parameters."""
    from osgeo import ogr

    step, _, _, res = _step(demo_run, "geohazard:basindetection")
    assert set(step["params"]) == {"INPUT", "OUTPUT"} and os.path.isdir(step["params"]["INPUT"])
    ds = ogr.Open(res["OUTPUT"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() > 0
    names = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    assert names == ["SCORE", "PAIR", "DIAMETER_M"]
    pairs = {f.GetField("PAIR") for f in layer}
    assert all(len(p) == 17 and p[8] == "_" for p in pairs)


@pytest.mark.slow
@requires_qgis_process
def test_models_and_inverse_velocity_on_real_radarsat(demo_run, tmp_path):
    """The demo's time-series models of the RADARSAT Boissano points (a shapefile), then inversevelocity reads that
    GeoPackage through qgis_process: every point kept, the fitted fields filled."""
    from osgeo import ogr

    step, _, _, res = _step(demo_run, "geohazard:timeseriesmodels")
    assert step["params"]["BREAKPOINTS"] is True and {0, 2} <= set(step["params"]["MODELS"])
    assert step["params"]["INPUT"].endswith(".shp")
    ds = ogr.Open(res["OUTPUT"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 1372
    f = next(iter(layer))
    assert abs(f["LIN_VEL"] - f["VEL"]) < 0.011 and f["BRK_KIND"] in ("none", "step", "trend")
    iv = run_json("inversevelocity", dict(INPUT=res["OUTPUT"], OUTPUT=tmp_path / "iv.gpkg"))
    assert iv["OUTPUT"] == str(tmp_path / "iv.gpkg")
    ds_iv = ogr.Open(iv["OUTPUT"])
    assert ds_iv.GetLayer(0).GetFeatureCount() == 1372
