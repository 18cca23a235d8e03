"""The hazard-map tools' public IDs work through headless ``qgis_process --json``."""

import os
import sys

import numpy as np
from testutils_cli import qgis_process, requires_qgis_process, results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")
sys.path.insert(0, os.path.join(ROOT, "tests"))
pytestmark = requires_qgis_process
E0, N0 = 500000.0, 4100000.0


def test_hazard_tools_listed():
    out = qgis_process("list")
    assert out.returncode == 0, out.stderr
    for name in ("miningsubsidence", "damageproxy"):
        assert f"geohazard:{name}" in out.stdout


def test_mining_forward_then_inversion_of_its_own_los(tmp_path):
    import testutils_hostile as hk
    from osgeo import gdal, ogr

    wkt = f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "plan.gpkg"), [wkt], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    res = results(qgis_process("--json", "run", "geohazard:miningsubsidence", "--", f"PANELS={plan}",
                               "SUBSIDENCE_FACTOR=0.8", "TAN_BETA=2.0", "OFFSET_M=20", "HORIZONTAL_FACTOR=0.3",
                               f"EXTENT={E0 - 600},{E0 + 1200},{N0 - 600},{N0 + 840} [EPSG:32633]", "PIXEL_SIZE=30",
                               "INCIDENCE=39", "HEADING=-12", f"OUTPUT_VERTICAL={tmp_path / 'up.tif'}",
                               f"OUTPUT_LOS={tmp_path / 'los.tif'}"))
    up = gdal.Open(res["OUTPUT_VERTICAL"]).ReadAsArray()
    assert up.shape == (48, 60) and -2400 < up.min() < -2000
    los = gdal.Open(res["OUTPUT_LOS"]).ReadAsArray()
    # the forward LOS fitted back from a plan drawn 50 m off: the plan comes back to where it was
    moved = hk.polygon_layer(str(tmp_path / "prior.gpkg"), [wkt.replace(f"{E0} ", f"{E0 + 50} ").replace(
        f"{E0 + 600} ", f"{E0 + 650} ")], fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0]})
    res = results(qgis_process("--json", "run", "geohazard:miningsubsidence", "--", "MODE=1", f"PANELS={moved}",
                               f"INPUT={res['OUTPUT_LOS']}", "INCIDENCE=39", "HEADING=-12", "RAMP=false",
                               f"OUTPUT_VERTICAL={tmp_path / 'fit_up.tif'}",
                               f"OUTPUT_PARAMETERS={tmp_path / 'par.gpkg'}", f"OUTPUT_PANEL={tmp_path / 'goaf.gpkg'}"))
    ds = ogr.Open(res["OUTPUT_PARAMETERS"])
    rows = {f["parameter"]: f["value"] for f in ds.GetLayer(0)}
    assert abs(rows["shift_east_m"] + 50.0) < 0.5 and abs(rows["subsidence_factor"] - 0.8) < 1e-3
    assert np.abs(gdal.Open(res["OUTPUT_VERTICAL"]).ReadAsArray() - up).max() < 1.0 and los.size


def test_mining_refusal_reads_as_a_message(tmp_path):
    import testutils_hostile as hk

    wkt = f"POLYGON(({E0} {N0},{E0 + 600} {N0},{E0 + 600} {N0 + 240},{E0} {N0 + 240},{E0} {N0}))"
    plan = hk.polygon_layer(str(tmp_path / "deep.gpkg"), [wkt], fields={"DEPTH_M": [5000.0], "THICKNESS_M": [3.0]})
    out = qgis_process("run", "geohazard:miningsubsidence", "--", f"PANELS={plan}", "PIXEL_SIZE=50",
                       f"EXTENT={E0},{E0 + 600},{N0},{N0 + 600} [EPSG:32633]", f"OUTPUT_VERTICAL={tmp_path / 'u.tif'}")
    assert out.returncode != 0
    assert "DEPTH_M = 5000 m is not physically plausible" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr and not os.path.exists(tmp_path / "u.tif")


def test_damageproxy_on_the_mexico_city_coherence(tmp_path):
    from osgeo import gdal

    files = sorted(f for f in os.listdir(MEXICO) if f.endswith("_cc.tif"))
    pre = [f for f in files if f[15:23] < "20180510"]
    co = [f for f in files if f[6:14] < "20180510" < f[15:23]]
    args = [f"PRE_COHERENCE={os.path.join(MEXICO, f)}" for f in pre] + \
        [f"CO_COHERENCE={os.path.join(MEXICO, f)}" for f in co]
    res = results(qgis_process("--json", "run", "geohazard:damageproxy", "--", *args, "EVENT_DATE=2018-05-10",
                               f"OUTPUT={tmp_path / 'dpm.tif'}", f"OUTPUT_AREAS={tmp_path / 'a.gpkg'}",
                               f"OUTPUT_CLASSES={tmp_path / 'c.tif'}"))
    classes = gdal.Open(res["OUTPUT_CLASSES"]).ReadAsArray()
    assert set(np.unique(classes)) <= {0, 1, 2, 3} and (classes == 2).mean() > 0.5
    out = qgis_process("run", "geohazard:damageproxy", "--", *args[:2], f"CO_COHERENCE={os.path.join(MEXICO, pre[0])}",
                       "EVENT_DATE=2018-05-10", f"OUTPUT={tmp_path / 'bad.tif'}")
    assert out.returncode != 0 and "does not span the event" in out.stdout + out.stderr
