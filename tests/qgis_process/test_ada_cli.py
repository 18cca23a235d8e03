"""The ADA family's public IDs run headless through qgis_process on real EGMS data."""

import os

from testutils_cli import listed, qgis_process, requires_qgis_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = requires_qgis_process


def test_ids_listed():
    out = listed()
    for alg in ("adadetection", "adaclassification", "landslideactivity", "faultproximity", "loadegms"):
        assert f"geohazard:{alg}" in out.stdout


def test_missing_velocity_is_a_clear_error(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("x,y,coh\n1,2,0.5\n")
    uri = f"file://{bad}?type=csv&xField=x&yField=y&crs=EPSG:32633"
    out = qgis_process("run", "geohazard:adadetection", "--", f"INPUT={uri}", f"OUTPUT={tmp_path / 'o.gpkg'}")
    assert out.returncode != 0
    assert "velocity" in (out.stdout + out.stderr)
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "o.gpkg").exists()
