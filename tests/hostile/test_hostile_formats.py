"""Hostile inputs for the import tools (loadegms, importcoulombinput) and the run-level guarantees
every tool shares: outputs published together or not at all (also across the steps of a shipped
model), SIGTERM leaves no temporary file, command-line refusals."""

import os
import signal
import subprocess
import time

import pytest
import testutils_hostile as hk
from testutils_cli import QGIS_PROCESS, ROOT, requires_qgis_process

TOOLS = ["loadegms", "importcoulombinput"]
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
                        nocrs="accept")
    raise KeyError(tool)


@pytest.mark.parametrize("case", list(hk.CASES))
@pytest.mark.parametrize("tool", TOOLS)
def test_hostile(qgis_app, tool, case, tmp_path):
    if case == "no_crs" and tool in TOOLS:
        pytest.skip(f"{tool} reads a text file whose CRS is fixed by the format (EGMS) or the CRS parameter")
    hk.CASES[case](tool, recipe(tool, tmp_path), str(tmp_path))


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
    deadline = time.time() + 240
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
