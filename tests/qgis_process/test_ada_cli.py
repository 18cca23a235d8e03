"""The ADA family's public IDs run headless through qgis_process on real EGMS data."""

import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QGIS_PROCESS = shutil.which("qgis_process.bin")
pytestmark = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed (run `make test`)")
EGMS = os.path.join(ROOT, "tests", "data", "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")


def qgis_process(*args, timeout=300):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": os.path.join(ROOT, ".build", "plugins")}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


def run_json(alg, **params):
    out = qgis_process("--json", "run", alg, "--", *[f"{k}={v}" for k, v in params.items()])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout[out.stdout.index("{"):])["results"]


@pytest.fixture(scope="module", autouse=True)
def enabled_plugin():
    out = qgis_process("plugins", "enable", "insar_geohazards")
    assert out.returncode == 0 or "already enabled" in (out.stdout + out.stderr), out.stderr


def test_ids_listed():
    out = qgis_process("list")
    for alg in ("adadetection", "adaclassification", "landslideactivity", "faultproximity", "loadegms"):
        assert f"geohazard:{alg}" in out.stdout


def test_egms_load_detect_classify(tmp_path):
    from osgeo import ogr

    pts = run_json("geohazard:loadegms", INPUT=EGMS, OUTPUT=tmp_path / "asc.gpkg")["OUTPUT"]
    res = run_json("geohazard:adadetection", INPUT=pts, OUTPUT=tmp_path / "ada.gpkg",
                   OUTPUT_POINTS=tmp_path / "flags.gpkg")
    ds = ogr.Open(res["OUTPUT"])
    n_ada = ds.GetLayer(0).GetFeatureCount()
    assert n_ada >= 1
    assert ds.GetLayer(0).GetSpatialRef().GetAuthorityCode(None) == "3035"
    cls = run_json("geohazard:adaclassification", INPUT=res["OUTPUT"], OUTPUT=tmp_path / "cls.gpkg")["OUTPUT"]
    cds = ogr.Open(cls)
    classes = {f.GetField("ada_class") for f in cds.GetLayer(0)}
    assert classes and classes <= {"landslide", "subsidence", "sinkhole_collapse", "settlement", "thermal_dilation",
                                   "uplift", "unclassified"}


def test_missing_velocity_is_a_clear_error(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("x,y,coh\n1,2,0.5\n")
    uri = f"file://{bad}?type=csv&xField=x&yField=y&crs=EPSG:32633"
    out = qgis_process("run", "geohazard:adadetection", "--", f"INPUT={uri}", f"OUTPUT={tmp_path / 'o.gpkg'}")
    assert out.returncode != 0
    assert "velocity" in (out.stdout + out.stderr)
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "o.gpkg").exists()
