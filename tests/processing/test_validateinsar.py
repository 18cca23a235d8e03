"""geohazard:validateinsar: parameters, wrong inputs, runs against synthetic truths and EGMS Ustica."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_kinematics_tools import _table, _validation_inputs

from insar_geohazards.algorithms.geometry.los import los_unit_vector


def test_validateinsar_known_bias_and_outside_station(run_alg, tmp_path):
    insar, csv, st = _validation_inputs(tmp_path)
    res = run_alg("validateinsar", {"INSAR": insar, "STATIONS_CSV": csv, "REFERENCE_STATION": "S1",
                                    "OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv"),
                                    "OUTPUT_PLOTS": str(tmp_path / "plots")})
    rows = _table(res["OUTPUT_TABLE"])
    assert rows["OUT"]["status"] == "outside"
    assert rows["S1"]["status"] == "reference"
    for k in ("S2", "S3"):  # the 2 mm/yr reference motion is removed, the per-station bias remains
        assert float(rows[k]["velocity_difference"]) == pytest.approx(st[k][3], abs=0.5)
    assert os.path.exists(os.path.join(res["OUTPUT_PLOTS"], "station_S2.png"))
    assert os.path.exists(os.path.join(res["OUTPUT_PLOTS"], "velocities.png"))
    # the ValInSAR network levels: S2 and S3 compared (S1 is the reference): too few for velocity statistics,
    # the series level is the mean of the two stations' statistics
    net = rows["NETWORK_MEAN_SERIES"]
    assert net["n_points"] == "2"
    assert float(net["rmse"]) == pytest.approx((float(rows["S2"]["rmse"]) + float(rows["S3"]["rmse"])) / 2, abs=1e-3)
    assert rows["NETWORK_VELOCITIES"]["passed"] == "" and rows["NETWORK_VELOCITIES"]["rmse"] == "nan"
    for k in ("S2", "S3"):
        assert float(rows[k]["md"]) <= float(rows[k]["rmse"]) and 0 < float(rows[k]["r2"]) <= 1


def test_validateinsar_raster_against_levelling(run_alg, tmp_path):
    """Levelling (up only, sparse: every 60 days) against a dated LOS raster with a 1.5 mm/yr bias."""
    rng = np.random.default_rng(11)
    e, n, u = los_unit_vector(37.0, -12.0)
    idates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(60)]
    t = np.array([(d - idates[0]).days for d in idates]) / 365.25
    stack = (u * -8.0 + 1.5) * t[:, None, None] + rng.normal(0, 0.5, (t.size, 10, 10))
    ras = write_geotiff(tmp_path / "los.tif", stack, descriptions=[d.isoformat() for d in idates])
    lev = ["station,date,up,x,y"]
    for k in range(0, 720, 60):
        d = idates[0] + dt.timedelta(days=k)
        lev.append(f"BM1,{d.isoformat()},{-8.0 * k / 365.25 + rng.normal(0, 0.3):.2f},500150,4099850")
        lev.append(f"BM2,{d.isoformat()},{-8.0 * k / 365.25:.2f},510000,4099850")
    csv = tmp_path / "lev.csv"
    csv.write_text("\n".join(lev) + "\n")
    res = run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_CSV": str(csv), "REFERENCE_STATION": "",
                                    "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90.0,
                                    "OUTPUT": str(tmp_path / "st.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st.csv")})
    rows = _table(res["OUTPUT_TABLE"])
    assert rows["BM2"]["status"] == "outside"
    assert float(rows["BM1"]["velocity_difference"]) == pytest.approx(1.5, abs=0.3)
    # the same series as a table layer (QGIS reads the date column as dates)
    from qgis.core import QgsVectorLayer

    table = QgsVectorLayer(f"file://{csv}?delimiter=,&geomType=none&detectTypes=yes", "lev", "delimitedtext")
    assert table.isValid()
    res2 = run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_TABLE": table, "REFERENCE_STATION": "",
                                     "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90,
                                     "OUTPUT": str(tmp_path / "st2.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st2.csv")})
    rows2 = _table(res2["OUTPUT_TABLE"])
    assert rows2["BM1"]["velocity_difference"] == rows["BM1"]["velocity_difference"]
    # every dated band is used: no "only band 1 is read"; the levelling in metres is warned about
    from testutils import recording_feedback

    fb = recording_feedback()
    metres = tmp_path / "lev_m.csv"
    metres.write_text("\n".join([lev[0]] + [",".join(r.split(",")[:2] + [f"{float(r.split(',')[2]) / 1000:.6f}"]
                                                     + r.split(",")[3:]) for r in lev[1:]]) + "\n")
    run_alg("validateinsar", {"INSAR_RASTER": ras, "STATIONS_CSV": str(metres), "REFERENCE_STATION": "",
                              "HEADING": -12.0, "INCIDENCE": 37.0, "WINDOW_DAYS": 0.0, "MAX_GAP_DAYS": 90.0,
                              "OUTPUT": str(tmp_path / "st3.gpkg"), "OUTPUT_TABLE": str(tmp_path / "st3.csv")},
            feedback=fb)
    assert not any("only band 1" in w for w in fb.warnings), fb.warnings
    assert any("stations in metres" in w and "east, north, up" in w for w in fb.warnings), fb.warnings
