"""geohazard:coulombonfaults — parameters, wrong parameters, run vs the core and Coulomb 3.4."""

import os

import numpy as np
import pytest
from testutils_faults import DATA, read_features, write_lines

NAME = "coulombonfaults"
INP = os.path.join(DATA, "simple_receiver_bm.inp")


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("FAULTS", "COULOMB_INP", "RECEIVERS", "DEPTHS", "RECEIVER_DIP", "RECEIVER_RAKE", "FRICTION", "UNITS",
                "OUTPUT"):
        assert pid in ids
    assert "RECEIVER_STRIKE" not in ids  # strike comes from each segment


def test_run_receiver_of_coulomb_benchmark(run_alg, tmp_path):
    """The benchmark's receiver (x -1..1 km at y = -10 km, dip 65.9, top 5 km) as a line: at 5.5 km depth
    the point below its midpoint is the Coulomb 3.4 element centre."""
    rec = write_lines(tmp_path / "r.gpkg", [[(-1000.0, -10000.0), (1000.0, -10000.0)], [(20e3, 20e3), (20e3, 30e3)]],
                      epsg=32610, fields={"dip_deg": [65.9, 45.0], "rake_deg": [90.0, 180.0]})
    # the tool puts the stress point where the plane reaches the depth below a surface trace;
    # the benchmark receiver's top is at 5 km, so shift the trace up-dip by 5 km / tan(dip)
    shift = 5000.0 / np.tan(np.radians(65.9))
    rec = write_lines(tmp_path / "r2.gpkg", [[(-1000.0, -10000.0 + shift), (1000.0, -10000.0 + shift)],
                                             [(20e3, 20e3), (20e3, 30e3)]],
                      epsg=32610, fields={"dip_deg": [65.9, 45.0], "rake_deg": [90.0, 180.0]})
    out = run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "DEPTHS": "5.5, 10",
                         "OUTPUT": str(tmp_path / "o.gpkg")})["OUTPUT"]
    rows = read_features(out)
    assert len(rows) == 2
    r0 = rows[0]
    assert r0["strike_deg"] == pytest.approx(90.0) and r0["dip_deg"] == pytest.approx(65.9)
    np.testing.assert_allclose([r0["dcfs_5p5km"], r0["shear_5p5km"], r0["normal_5p5km"]],
                               [-2.636127, -0.479979, -5.390370], rtol=1e-3)
    assert np.isfinite(rows[1]["dcfs_10km"])
    assert os.path.exists(os.path.splitext(out)[0] + ".qml")


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "o.gpkg"
    rec = write_lines(tmp_path / "r.gpkg", [[(0.0, 0.0), (1000.0, 0.0)]], epsg=32610, fields={"dip_deg": [0.0]})
    with pytest.raises(QgsProcessingException, match="dip_deg must be in"):
        run_alg(NAME, {"COULOMB_INP": INP, "CRS": "EPSG:32610", "RECEIVERS": rec, "OUTPUT": str(out)})
    with pytest.raises(QgsProcessingException, match="exactly one of FAULTS"):
        run_alg(NAME, {"RECEIVERS": rec, "OUTPUT": str(out)})
    assert not out.exists()
