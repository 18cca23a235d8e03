"""The hazard-map tools' public IDs run headless through qgis_process."""

import os
import sys

from testutils_cli import qgis_process, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process
EGMS = os.path.join(ROOT, "tests", "data", "egms_ustica", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")


def test_susceptibility_on_the_ustica_adas_as_the_demo_runs_it(tmp_path):
    """The demo's step: EGMS Ustica ascending -> ADAs -> terrain gridded from the points' heights -> frequency
    ratio; then the saved model applied again (no inventory) gives the same map, and a random forest runs with its
    knobs typed on the command line."""
    from osgeo import gdal

    sys.path.insert(0, os.path.join(ROOT, "demo"))
    import run_demo

    out = qgis_process("list")
    assert "geohazard:susceptibility" in out.stdout
    pts = run_json("loadegms", dict(INPUT=EGMS, OUTPUT=tmp_path / "asc.gpkg"))["OUTPUT"]
    ada = run_json("adadetection", dict(INPUT=pts, OUTPUT=tmp_path / "ada.gpkg"))["OUTPUT"]
    slope, height = run_demo.ustica_terrain(pts, str(tmp_path))
    res = run_json("susceptibility", dict(INVENTORY=ada, FACTORS=[slope, height], METHOD=0, ABSENCE_BUFFER_M=50,
                                          OUTPUT=tmp_path / "s.tif", OUTPUT_CLASSES=tmp_path / "c.tif",
                                          OUTPUT_REPORT=tmp_path / "r.html", OUTPUT_MODEL=tmp_path / "m.zip"))
    assert 0.5 < res["AUC"] < 1.0
    assert gdal.Open(res["OUTPUT"]).GetGeoTransform() == gdal.Open(slope).GetGeoTransform()
    assert os.path.exists(res["OUTPUT_REPORT"]) and os.path.exists(res["OUTPUT_MODEL"])
    again = run_json("susceptibility", dict(FACTORS=[slope, height], MODEL=res["OUTPUT_MODEL"],
                                            OUTPUT=tmp_path / "s2.tif"))
    a, b = gdal.Open(res["OUTPUT"]).ReadAsArray(), gdal.Open(again["OUTPUT"]).ReadAsArray()
    assert a.tobytes() == b.tobytes()
    rf = run_json("susceptibility", dict(INVENTORY=ada, FACTORS=[slope, height], METHOD=2, TREES=30, MIN_LEAF=3,
                                         BLOCK_SIZE_M=600, SEED=4, THREADS=1, MAX_MEMORY_MB=1,
                                         OUTPUT=tmp_path / "rf.tif"))
    assert 0.0 <= rf["AUC"] <= 1.0


def test_susceptibility_refusal_names_the_input(tmp_path):
    from testutils import write_geotiff
    from testutils_ada import write_wkt_layer

    f = write_geotiff(tmp_path / "slope.tif", [[1.0, 2.0], [3.0, 4.0]])
    inv = write_wkt_layer(tmp_path / "far.gpkg", ["POINT(1500000 5100000)"])
    out = qgis_process("run", "geohazard:susceptibility", "--", f"INVENTORY={inv}", f"FACTORS={f}",
                       f"OUTPUT={tmp_path / 's.tif'}")
    assert out.returncode != 0
    assert "INVENTORY: none of its 1 features lies on the factors' grid" in out.stdout + out.stderr
    assert not os.path.exists(tmp_path / "s.tif")
