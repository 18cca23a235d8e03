"""The ADA family's public IDs run headless through qgis_process on real EGMS data."""

import os

from testutils_cli import qgis_process, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process
EGMS = os.path.join(ROOT, "tests", "data", "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")


def test_ids_listed():
    out = qgis_process("list")
    for alg in ("adadetection", "adaclassification", "landslideactivity", "faultproximity", "loadegms"):
        assert f"geohazard:{alg}" in out.stdout


def test_egms_load_detect_classify(tmp_path):
    from osgeo import ogr

    pts = run_json("geohazard:loadegms", dict(INPUT=EGMS, OUTPUT=tmp_path / "asc.gpkg"))["OUTPUT"]
    res = run_json("geohazard:adadetection", dict(INPUT=pts, OUTPUT=tmp_path / "ada.gpkg",
                   OUTPUT_POINTS=tmp_path / "flags.gpkg"))
    ds = ogr.Open(res["OUTPUT"])
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
    cls = run_json("geohazard:adaclassification", dict(INPUT=res["OUTPUT"], OUTPUT=tmp_path / "cls.gpkg"))["OUTPUT"]
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
