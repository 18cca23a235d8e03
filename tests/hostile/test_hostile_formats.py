"""Hostile inputs for the import tools (loadegms, importcoulombinput) and the run-level guarantees
every tool shares: outputs published together or not at all (also across the steps of a shipped
model), SIGTERM leaves no temporary file, command-line refusals."""

import os
import signal
import subprocess
import time

import pytest
import registry
import testutils_hostile as hk
from testutils_cli import QGIS_PROCESS, ROOT, requires_qgis_process

TOOLS = registry.hostile_tools("formats")  # the tools whose hostile family is "formats" in tests/registry.py
EGMS_CSV = os.path.join(hk.DATA, "egms_ustica", "asc_117_first20.csv")
INP = os.path.join(hk.DATA, "coulomb_inputs", "Example-1.inp")


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "loadegms":
        src = hk.copy_into(EGMS_CSV, j(tmp, "in"))
        params = {"INPUT": src, "OUTPUT": j(out, "egms.gpkg")}

        def spoil(kind, folder):
            text = open(EGMS_CSV).read()
            if kind == "truncated":
                bad = j(folder, "cut.csv")
                with open(bad, "w") as fh:
                    fh.write(text[: len(text) // 3].rsplit(",", 1)[0])
                return {"INPUT": bad}, "INPUT|cut.csv|EGMS|column|row|line"
            # every measurement empty: keep the header and the coordinates, blank the rest
            lines = text.splitlines()
            head = lines[0].split(",")
            keep = {i for i, h in enumerate(head) if h.lower() in ("pid", "easting", "northing", "latitude",
                                                                   "longitude", "height", "rmse")}
            rows = [",".join(v if i in keep else "" for i, v in enumerate(r.split(","))) for r in lines[1:]]
            bad = j(folder, "empty.csv")
            with open(bad, "w") as fh:
                fh.write("\n".join([lines[0]] + rows) + "\n")
            return {"INPUT": bad}, None

        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, nocrs="accept")
    if tool == "importcoulombinput":
        src = hk.copy_into(INP, j(tmp, "in"))
        params = {"INPUT": src, "CRS": "EPSG:32610", "OUTPUT_SOURCES": j(out, "s.gpkg"),
                  "OUTPUT_RECEIVERS": j(out, "r.gpkg")}

        def spoil(kind, folder):
            text = open(INP).read()
            bad = j(folder, "cut.inp")
            with open(bad, "w") as fh:
                fh.write(text[: len(text) // 4] if kind == "truncated" else "\n".join(
                    line if i < 5 else "" for i, line in enumerate(text.splitlines())))
            return {"INPUT": bad}, "INPUT|cut.inp|Coulomb|fault|source"

        return hk.Recipe(params, ["OUTPUT_SOURCES", "OUTPUT_RECEIVERS"], ("INPUT", "OUTPUT_SOURCES"), spoil,
                         nocrs="accept", implausible={"ORIGIN_EAST": 1e300})
    raise KeyError(tool)


@pytest.mark.parametrize("case", list(hk.CASES))
@pytest.mark.parametrize("tool", TOOLS)
def test_hostile(qgis_app, tool, case, tmp_path):
    if case == "no_crs" and tool in TOOLS:
        pytest.skip(f"{tool} reads a text file whose CRS is fixed by the format (EGMS) or the CRS parameter")
    hk.CASES[case](tool, recipe(tool, tmp_path), str(tmp_path))


@pytest.mark.parametrize("tool", ["importcoulombinput", "okadaforward"])
@pytest.mark.parametrize("east, north", [(1e300, 0.0), (0.0, 1e300), (500000.0, -3e7), (4e7, 4e6)])
def test_coulomb_frame_origin_off_the_earth_is_refused(qgis_app, tmp_path, tool, east, north):
    """A Coulomb frame origin with no longitude and latitude in the chosen CRS (1e300 m; 30,000 km south of the
    equator in UTM; 40,000 km east, beyond the projection's domain) is refused naming ORIGIN_EAST/ORIGIN_NORTH and
    the CRS's area of use in its own metres, nothing written. The test asks PROJ (through GDAL's osr, not our code)
    that the value has no inverse that round-trips, and that the area of use of EPSG:32610 spans 126-120 W."""
    from osgeo import osr

    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32610)
    assert utm.GetAreaOfUse().west_lon_degree == -126.0 and utm.GetAreaOfUse().east_lon_degree == -120.0
    out = os.path.join(str(tmp_path), "out")
    os.makedirs(out)
    params = {"CRS": "EPSG:32610", "ORIGIN_EAST": east, "ORIGIN_NORTH": north}
    if tool == "importcoulombinput":
        params.update(INPUT=INP, OUTPUT_SOURCES=os.path.join(out, "s.gpkg"))
    else:
        params.update(COULOMB_INP=INP, EXTENT="-20000,20000,-20000,20000 [EPSG:32610]", PIXEL_SIZE=4000.0,
                      OUTPUT=os.path.join(out, "d.tif"))
    msg = hk.expect_refusal(tool, params, "not plausible")
    assert "ORIGIN_EAST" in msg and "ORIGIN_NORTH" in msg and "EPSG:32610" in msg and "outside the Earth" in msg
    assert "lon -126 to -120" in msg, msg
    assert not os.listdir(out)


def test_coulomb_frame_outside_the_crs_area_of_use_is_a_warning(qgis_app, tmp_path):
    """The default origin (0, 0) in UTM zone 10N draws the faults near 127.5 W on the equator: on the Earth but
    outside the zone (126-120 W): the run works and says where the faults are."""
    fb = hk.warning_feedback()
    hk.run("importcoulombinput", {"INPUT": INP, "CRS": "EPSG:32610", "OUTPUT_SOURCES": str(tmp_path / "s.gpkg")}, fb)
    said = [w for w in fb.warnings if "area of use" in w]
    assert said and "ORIGIN_EAST" in said[0] and "127." in said[0], fb.warnings
    fb = hk.warning_feedback()
    hk.run("importcoulombinput", {"INPUT": INP, "CRS": "EPSG:32610", "ORIGIN_EAST": 500000.0,
                                  "ORIGIN_NORTH": 4000000.0, "OUTPUT_SOURCES": str(tmp_path / "s2.gpkg")}, fb)
    assert not [w for w in fb.warnings if "area of use" in w], fb.warnings


def test_two_outputs_given_the_same_file_are_refused(qgis_app, tmp_path):
    r = recipe("importcoulombinput", tmp_path)
    hk.expect_refusal("importcoulombinput", dict(r.params, OUTPUT_RECEIVERS=r.params["OUTPUT_SOURCES"]),
                     "same file")


def test_output_over_a_vector_source_with_layername_is_refused(qgis_app, tmp_path):
    pts = hk.points_layer(tmp_path / "pts.gpkg")
    hk.expect_refusal("adadetection", {"INPUT": f"{pts}|layername=points", "OUTPUT": pts}, "input INPUT")


def test_failed_rerun_keeps_the_previous_outputs(qgis_app, tmp_path):
    """A re-run into the same files that fails leaves the earlier results exactly as they were."""
    src = hk.los_raster(tmp_path / "ifg.tif")
    out = str(tmp_path / "vert.tif")
    hk.run("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 37.0, "OUTPUT": out})
    before = hk.digest([out])
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 37.0, "OUTPUT": out},
                     "[Cc]ancel", hk.CancelOnProgress(at_once=True))
    assert hk.digest([out]) == before
    assert not [f for f in os.listdir(tmp_path) if "backup" in f or ".part" in f]


def test_a_failing_later_model_step_removes_the_earlier_steps_outputs(qgis_app, tmp_path):
    """sbas -> ada -> landslide activity: the last step refuses an inventory 1000 km away; the SBAS and
    ADA files written before must not stay behind as if the run had worked."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException

    files = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=6, shape=(20, 22))
    inv = hk.polygon_layer(tmp_path / "inv.gpkg", [hk.square(1.5e6, 5.0e6, 500)])
    out = tmp_path / "out"
    out.mkdir()
    params = {"INTERFEROGRAMS": files, "INVENTORY": inv,
              "sbas:TIMESERIES": str(out / "ts.tif"), "sbas:VELOCITY": str(out / "vel.tif"),
              "sbas:POINTS": str(out / "pts.gpkg"), "ada:ADAS": str(out / "ada.gpkg"),
              "activity:ACTIVITY": str(out / "activity.gpkg"),
              "activity:CANDIDATES": str(out / "candidates.gpkg")}
    fb = hk.warning_feedback()
    with pytest.raises(QgsProcessingException):
        processing.run("geohazard:sbastolandslideactivity", params, context=QgsProcessingContext(), feedback=fb)
    assert not hk.listing(out), sorted(hk.listing(out))


@requires_qgis_process
def test_cli_output_equal_to_input_is_refused_and_the_input_kept(tmp_path):
    src = hk.los_raster(tmp_path / "ifg.tif")
    before = hk.digest([src])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    out = subprocess.run([QGIS_PROCESS, "run", "geohazard:losvelocitytovertical", "--", f"INPUT={src}",
                          f"OUTPUT={src}"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode != 0
    assert "OUTPUT" in out.stdout + out.stderr and "Traceback" not in out.stdout + out.stderr
    assert hk.digest([src]) == before


@requires_qgis_process
def test_cli_sigterm_leaves_no_part_file(tmp_path):
    """SIGTERM in the middle of a block-wise write: no *.part.tif, no half-published output."""
    files = hk.ifg_stack(str(tmp_path / "ifgs"), n_dates=25, shape=(700, 700))
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    args = [QGIS_PROCESS, "run", "geohazard:sbasinversion", "--"] + [f"INTERFEROGRAMS={f}" for f in files] + [
        "MAX_MEMORY_MB=16", "MIN_TEMPORAL_COHERENCE=0"] + [
        f"{o}={out / (o.lower() + '.tif')}" for o in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD",
                                                       "OUTPUT_TEMPORAL_COHERENCE", "OUTPUT_COHCOUNT")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    deadline = time.time() + 1800  # a watchdog against a hung run, not a speed limit: a loaded machine is slow
    try:
        while time.time() < deadline and proc.poll() is None:
            if any(f.endswith(".part.tif") for f in os.listdir(out)):
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip("the run finished before any block was written; nothing to interrupt")
        assert any(f.endswith(".part.tif") for f in os.listdir(out)), "no temporary file appeared"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert not os.listdir(out), sorted(os.listdir(out))


def _user_model(path=None):
    """A model a user draws: a multiple-raster input (interferograms) -> sbasinversion, a raster-layer input (a LOS
    velocity) -> losvelocitytovertical; written to ``path`` when given (for qgis_process)."""
    from qgis.core import QgsProcessing, QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer
    from testutils_models import build_models_module, drawn_model

    model = drawn_model("user model", [
        QgsProcessingParameterMultipleLayers("IFGS", "Interferograms", QgsProcessing.SourceType.TypeRaster),
        QgsProcessingParameterRasterLayer("VEL", "LOS velocity"),
    ], [
        ("sbas", "geohazard:sbasinversion", {"INTERFEROGRAMS": "IFGS"}, {"V": ("OUTPUT_VELOCITY", "V")}),
        # the geometry is the user's to give (none is assumed)
        ("vert", "geohazard:losvelocitytovertical", {"INPUT": "VEL", "INCIDENCE": 39.0},
         {"U": ("OUTPUT", "U")}),
    ])
    model = build_models_module().pin_output_names(model)  # "sbas:V", "vert:U" on every QGIS version
    if path is not None:
        assert model.toFile(str(path))
    return model


def _inputs(folder):
    """Interferograms and a LOS velocity in ``folder``, and a user's own .aux.xml beside one of them."""
    files = hk.ifg_stack(os.path.join(folder, "ifgs"), n_dates=5, shape=(16, 18))
    vel = hk.los_raster(os.path.join(folder, "vel.tif"), shape=(16, 18))
    own = files[0] + ".aux.xml"
    with open(own, "w") as fh:
        fh.write('<PAMDataset><Metadata><MDI key="NOTE">the user\'s own</MDI></Metadata></PAMDataset>\n')
    os.utime(own, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return files, vel, own


def test_a_users_model_leaves_nothing_beside_its_raster_inputs(qgis_app, tmp_path):
    """QGIS checks a model's raster-layer and multiple-raster inputs by loading each file as a layer of the run's
    context; the layer's default renderer computes a histogram that GDAL's PAM wrote as <input>.aux.xml when the
    context closed its layers (one beside every interferogram and the velocity). With our tools as steps, the
    listing of the inputs' folder after the run (context gone) is the one before it, and a user's own .aux.xml
    keeps its bytes and times. Checked by listing the folder and hashing, not by our code."""
    import gc

    import processing
    from qgis.core import QgsProcessingContext

    inputs = str(tmp_path / "in")
    files, vel, own = _inputs(inputs)
    before, own_state = hk.listing(inputs), (hk.digest([own]), os.stat(own).st_mtime_ns)
    out = tmp_path / "out"
    out.mkdir()
    context = QgsProcessingContext()
    res = processing.run(_user_model(), {"IFGS": files, "VEL": vel, "sbas:V": str(out / "v.tif"),
                                         "vert:U": str(out / "u.tif")}, context=context)
    assert os.path.exists(res["sbas:V"]) and os.path.exists(res["vert:U"])
    del context
    gc.collect()
    assert hk.listing(inputs) == before, sorted(hk.listing(inputs) - before)
    assert (hk.digest([own]), os.stat(own).st_mtime_ns) == own_state


def test_a_shipped_model_leaves_nothing_beside_its_raster_inputs(qgis_app, tmp_path):
    """The same for a shipped model (sbastolandslideactivity: interferogram list, DEM raster)."""
    import gc

    import processing
    from qgis.core import QgsProcessingContext

    inputs = str(tmp_path / "in")
    files, _, own = _inputs(inputs)
    dem = hk.dem_raster(os.path.join(inputs, "dem.tif"), shape=(16, 18))
    inv = hk.polygon_layer(os.path.join(inputs, "inv.gpkg"), [hk.square(500100.0, 4099700.0, 200.0)])
    before = hk.listing(inputs)
    context = QgsProcessingContext()
    processing.run("geohazard:sbastolandslideactivity", {
        "INTERFEROGRAMS": files, "DEM": dem, "INVENTORY": inv, "INCIDENCE": 37.0, "HEADING": -12.0,
        "activity:ACTIVITY": str(tmp_path / "act.gpkg")}, context=context)
    del context
    gc.collect()
    assert hk.listing(inputs) == before, sorted(hk.listing(inputs) - before)


@requires_qgis_process
def test_qgis_process_of_a_users_model_leaves_nothing_beside_its_inputs(qgis_app, tmp_path):
    """qgis_process checks a model in C++ (no Python wrapper in between): the layers it loads are closed when the
    process ends; the inputs' folder is listed after it."""
    from testutils_cli import qgis_process, results

    inputs = str(tmp_path / "in")
    files, vel, own = _inputs(inputs)
    before, own_state = hk.listing(inputs), (hk.digest([own]), os.stat(own).st_mtime_ns)
    model = _user_model(tmp_path / "user.model3")
    del model
    out = tmp_path / "out"
    out.mkdir()
    res = results(qgis_process("--json", "run", str(tmp_path / "user.model3"), "--", *[f"IFGS={f}" for f in files],
                               f"VEL={vel}", f"sbas:V={out / 'v.tif'}", f"vert:U={out / 'u.tif'}"))
    assert os.path.exists(res["vert:U"])
    assert hk.listing(inputs) == before, sorted(hk.listing(inputs) - before)
    assert (hk.digest([own]), os.stat(own).st_mtime_ns) == own_state


# ------------------------------------------------------------------------------------------ loadmintpy
def test_loadmintpy_refuses_what_is_not_a_geocoded_mintpy_result(qgis_app, tmp_path):
    """A half-downloaded file, a plain HDF5 file, a stack, a mask of another grid: each named, nothing written."""
    pytest.importorskip("h5py", reason="h5py is not installed")
    import h5py
    import numpy as np
    import testutils_mintpy as tm

    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    out = {"OUTPUT": str(tmp_path / "o.tif"), "OUTPUT_POINTS": str(tmp_path / "p.gpkg")}
    days, ts_m, _ = tm.scene(rows=60, cols=70)
    cut = hk.truncate(tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days), 0.4)
    hk.expect_refusal("loadmintpy", {"INPUT": cut, **out}, "timeseries.h5 is not an HDF5 file h5py can open.*"
                                                           "incomplete")
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(4))
    hk.expect_refusal("loadmintpy", {"INPUT": str(tmp_path / "plain.h5"), **out}, "without MintPy's layout")
    import datetime as dt

    stack = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.zeros((1, 5, 6), np.float32),
                               [(dt.date(2020, 1, 1), dt.date(2020, 1, 13))], wavelength_m=0.0555,
                               geotransform=hk.GT, epsg=32633)
    hk.expect_refusal("loadmintpy", {"INPUT": stack, **out}, "interferogram stack")
    days, ts_m, _ = tm.scene()
    ts = tm.write_timeseries(tmp_path / "ts_ok.h5", ts_m, days)
    mask = tm.write_mask(tmp_path / "maskTempCoh.h5", np.ones((11, 15), bool))
    hk.expect_refusal("loadmintpy", {"INPUT": ts, "MASK": mask, **out}, "MASK: maskTempCoh.h5 has 11 x 15 pixels")
    hk.expect_refusal("loadmintpy", {"INPUT": ts, "MASK": hk.los_raster(str(tmp_path / "m.tif")), **out},
                      "give a MintPy mask")
    assert not any(os.path.exists(v) for v in out.values())
