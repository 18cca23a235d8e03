"""The fault tools' public IDs work through headless ``qgis_process --json``, and the former metre IDs of the
Coulomb tools (now in km) keep their meaning in ``qgis_process`` lines.

The runs several tests read (Example-1 imported as layers, its stress map at 10 km pixels typed in metres) are
made once for the module. ``qgis_process.bin`` itself starts for the import, each run typed with a former metre ID
and the two refusals (exit status, stderr, no traceback); the runs with the new km IDs or the defaults, compared
with them, take the same ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's
parameter check and run as qgis_process makes them), about 2.7 CPU-s less each than a start of qgis_process."""

import os

import numpy as np
import pytest
from testutils_cli import in_app, in_app_json, listed, qgis_process, requires_qgis_process, results, run_json
from testutils_faults import read_features, read_raster, write_lines

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "coulomb_inputs")
pytestmark = requires_qgis_process
INP = os.path.join(DATA, "Example-1.inp")
EXT = "-50000,50000,-50000,50000 [EPSG:32610]"


@pytest.fixture(scope="module")
def example1(tmp_path_factory):
    """``importcoulombinput`` of Example-1 (EPSG:32610): its JSON results (OUTPUT_SOURCES, OUTPUT_RECEIVERS)."""
    tmp = tmp_path_factory.mktemp("example1")
    return results(qgis_process("--json", "run", "geohazard:importcoulombinput", "--", f"INPUT={INP}",
                                "CRS=EPSG:32610", f"OUTPUT_SOURCES={tmp / 's.gpkg'}",
                                f"OUTPUT_RECEIVERS={tmp / 'r.gpkg'}"))


@pytest.fixture(scope="module")
def stress_m(tmp_path_factory):
    """``coulombstress`` of Example-1 at 8 km depth over :data:`EXT`, the pixel size typed in metres (the former
    ID PIXEL_SIZE = 10000): the path of its map."""
    tmp = tmp_path_factory.mktemp("stress_m")
    return run_json("coulombstress", {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "8", "EXTENT": EXT,
                                      "PIXEL_SIZE": 10000, "OUTPUT": tmp / "old.tif"})["OUTPUT"]


def test_fault_tools_listed():
    out = listed()
    assert out.returncode == 0, out.stderr
    for name in ("importcoulombinput", "okadaforward", "coulombstress", "coulombonfaults", "slipinversion",
                 "uniformslipinversion", "interseismicslip", "rupturetrace"):
        assert f"geohazard:{name}" in out.stdout


def test_import_then_forward_then_coulomb_on_faults(qgis_app, tmp_path, example1, stress_m):
    imported = example1  # importcoulombinput of Example-1, made once for the module
    assert os.path.exists(imported["OUTPUT_SOURCES"])
    res = results(in_app("--json", "run", "geohazard:okadaforward", "--", f"FAULTS={imported['OUTPUT_SOURCES']}",
                       "EXTENT=-50000,50000,-50000,50000 [EPSG:32610]", "PIXEL_SIZE=10000",
                       f"OUTPUT={tmp_path / 'd.tif'}"))
    from osgeo import gdal

    arr = gdal.Open(res["OUTPUT"]).ReadAsArray()
    assert arr.shape == (4, 10, 10) and np.isfinite(arr).all()
    res = results(in_app("--json", "run", "geohazard:coulombonfaults", "--", f"COULOMB_INP={INP}",
                       "CRS=EPSG:32610", f"RECEIVERS={imported['OUTPUT_RECEIVERS']}", "DEPTHS=7.5",
                       f"OUTPUT={tmp_path / 'c.gpkg'}"))
    assert os.path.exists(res["OUTPUT"])
    assert gdal.Open(stress_m).RasterCount == 3  # coulombstress, DEPTHS=8, PIXEL_SIZE=10000 over the same extent


def test_bad_input_is_a_clear_error(tmp_path):
    bad = os.path.join(DATA, "Example-9(Kode500).inp")
    out = qgis_process("run", "geohazard:importcoulombinput", "--", f"INPUT={bad}",
                       "CRS=EPSG:32610", f"OUTPUT_SOURCES={tmp_path / 's.gpkg'}")
    assert out.returncode != 0
    assert "Kode 500" in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "s.gpkg").exists()


def test_coulombstress_pixel_size_in_m_and_in_km_give_the_same_map(qgis_app, tmp_path, stress_m):
    base = {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "8", "EXTENT": EXT}
    old = stress_m  # PIXEL_SIZE = 10000
    new = in_app_json("coulombstress", {**base, "PIXEL_SIZE_KM": 10, "OUTPUT": tmp_path / "new.tif"})["OUTPUT"]
    a, b = read_raster(old), read_raster(new)
    assert a[1] == b[1] and a[1][1] == 10000.0 and a[0].shape == (3, 10, 10) and a[2] == b[2]
    np.testing.assert_array_equal(a[0], b[0])


def test_coulombonfaults_default_depths_in_m_and_in_km_agree(qgis_app, tmp_path, example1):
    imp = example1
    # a source trace without depth fields: the default depths (the IDs under test) apply
    src = write_lines(tmp_path / "src.gpkg", [[(-20000, -10000), (15000, 12000)]], epsg=32610,
                      fields={"slip_m": [1.5], "rake_deg": [180.0], "dip_deg": [80.0]})
    base = {"FAULTS": src, "RECEIVERS": imp["OUTPUT_RECEIVERS"], "DEPTHS": "7.5"}
    old = run_json("coulombonfaults", {**base, "TOP_DEPTH": 1000, "BOTTOM_DEPTH": 11000,
                                       "OUTPUT": tmp_path / "old.gpkg"})["OUTPUT"]
    new = in_app_json("coulombonfaults", {**base, "TOP_DEPTH_KM": 1, "BOTTOM_DEPTH_KM": 11,
                                          "OUTPUT": tmp_path / "new.gpkg"})["OUTPUT"]
    a, b = read_features(old), read_features(new)
    assert a == b and "dcfs_7p5km" in a[0] and max(abs(r["dcfs_7p5km"]) for r in a) > 1e-3
    shallow = in_app_json("coulombonfaults", {**base, "OUTPUT": tmp_path / "default.gpkg"})["OUTPUT"]
    assert read_features(shallow) != a  # the defaults (0-15 km) give other stresses: the IDs were used


def test_disagreeing_ids_are_a_clear_error(tmp_path):
    out = qgis_process("run", "geohazard:coulombstress", "--", f"COULOMB_INP={INP}", "CRS=EPSG:32610", "DEPTHS=8",
                       f"EXTENT={EXT}", "PIXEL_SIZE=10000", "PIXEL_SIZE_KM=5", f"OUTPUT={tmp_path / 'x.tif'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "PIXEL_SIZE = 10000 m and PIXEL_SIZE_KM = 5 km disagree" in text
    assert "Traceback" not in text and not (tmp_path / "x.tif").exists()


def test_interseismicslip_and_rupturetrace_lines(qgis_app, tmp_path):
    """The docs' lines (docs/faults.md) with their IDs: the numbers come back in the JSON results, the trace as
    lines; a slip rate within its sigmas of the world's (tests/testutils_fault_worlds.py)."""
    from testutils import write_geotiff
    from testutils_fault_worlds import interseismic_world, rupture_world

    w = interseismic_world(404, n=160, pixel_m=1200.0)
    ve = write_geotiff(tmp_path / "ve.tif", w["east"], geotransform=w["gt"])
    vn = write_geotiff(tmp_path / "vn.tif", w["north"], geotransform=w["gt"])
    fault = write_lines(tmp_path / "fault.gpkg", [w["trace"]])
    res = in_app_json("interseismicslip", {"INPUT_EAST": ve, "INPUT_NORTH": vn, "FAULT": fault, "LENGTH_M": 80000,
                                           "WIDTH_M": 50000, "OUTPUT_PROFILE": tmp_path / "profile.gpkg"})
    assert abs(float(res["SLIP_RATE_MM_YR"]) - w["slip_rate"]) <= 4 * float(res["SLIP_RATE_SIGMA"])
    assert float(res["LOCKING_DEPTH_SIGMA"]) > 0 and os.path.exists(res["OUTPUT_PROFILE"])
    r = rupture_world(77, half_m=15e3, pixel_m=150.0)
    azi = write_geotiff(tmp_path / "azi.tif", r["offset"], geotransform=r["gt"])
    res = in_app_json("rupturetrace", {"INPUT": azi, "SMOOTHING_M": 300, "MIN_OFFSET_M": 0.5,
                                       "OUTPUT": tmp_path / "rupture.gpkg"})
    assert len(read_features(res["OUTPUT"])) > 0
