"""Former metre IDs of the Coulomb tools (now in km) keep their meaning in ``qgis_process`` lines."""

import os

import numpy as np
from testutils_cli import qgis_process, requires_qgis_process, run_json
from testutils_faults import DATA, read_features, read_raster, write_lines

pytestmark = requires_qgis_process
INP = os.path.join(DATA, "Example-1.inp")
EXT = "-50000,50000,-50000,50000 [EPSG:32610]"


def test_coulombstress_pixel_size_in_m_and_in_km_give_the_same_map(tmp_path):
    base = {"COULOMB_INP": INP, "CRS": "EPSG:32610", "DEPTHS": "8", "EXTENT": EXT}
    old = run_json("coulombstress", {**base, "PIXEL_SIZE": 10000, "OUTPUT": tmp_path / "old.tif"})["OUTPUT"]
    new = run_json("coulombstress", {**base, "PIXEL_SIZE_KM": 10, "OUTPUT": tmp_path / "new.tif"})["OUTPUT"]
    a, b = read_raster(old), read_raster(new)
    assert a[1] == b[1] and a[1][1] == 10000.0 and a[0].shape == (3, 10, 10) and a[2] == b[2]
    np.testing.assert_array_equal(a[0], b[0])


def test_coulombonfaults_default_depths_in_m_and_in_km_agree(tmp_path):
    imp = run_json("importcoulombinput", {"INPUT": INP, "CRS": "EPSG:32610", "OUTPUT_SOURCES": tmp_path / "s.gpkg",
                                          "OUTPUT_RECEIVERS": tmp_path / "r.gpkg"})
    # a source trace without depth fields: the default depths (the IDs under test) apply
    src = write_lines(tmp_path / "src.gpkg", [[(-20000, -10000), (15000, 12000)]], epsg=32610,
                      fields={"slip_m": [1.5], "rake_deg": [180.0], "dip_deg": [80.0]})
    base = {"FAULTS": src, "RECEIVERS": imp["OUTPUT_RECEIVERS"], "DEPTHS": "7.5"}
    old = run_json("coulombonfaults", {**base, "TOP_DEPTH": 1000, "BOTTOM_DEPTH": 11000,
                                       "OUTPUT": tmp_path / "old.gpkg"})["OUTPUT"]
    new = run_json("coulombonfaults", {**base, "TOP_DEPTH_KM": 1, "BOTTOM_DEPTH_KM": 11,
                                       "OUTPUT": tmp_path / "new.gpkg"})["OUTPUT"]
    a, b = read_features(old), read_features(new)
    assert a == b and "dcfs_7p5km" in a[0] and max(abs(r["dcfs_7p5km"]) for r in a) > 1e-3
    shallow = run_json("coulombonfaults", {**base, "OUTPUT": tmp_path / "default.gpkg"})["OUTPUT"]
    assert read_features(shallow) != a  # the defaults (0-15 km) give other stresses: the IDs were used


def test_disagreeing_ids_are_a_clear_error(tmp_path):
    out = qgis_process("run", "geohazard:coulombstress", "--", f"COULOMB_INP={INP}", "CRS=EPSG:32610", "DEPTHS=8",
                       f"EXTENT={EXT}", "PIXEL_SIZE=10000", "PIXEL_SIZE_KM=5", f"OUTPUT={tmp_path / 'x.tif'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "PIXEL_SIZE = 10000 m and PIXEL_SIZE_KM = 5 km disagree" in text
    assert "Traceback" not in text and not (tmp_path / "x.tif").exists()
