"""geohazard:landslideactivity — parameters, wrong parameters, a run against hand numbers."""

import numpy as np
import pytest
from testutils import box, write_geotiff
from testutils_ada import read_layer, write_points, write_wkt_layer

NAME = "landslideactivity"
X0, Y0 = 500000.0, 4100000.0


def test_parameters(alg):
    from qgis.core import QgsProcessingParameterDefinition

    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:5] == ["INVENTORY", "POINTS", "VELOCITY_FIELD", "DEM", "ADAS"]
    assert "OUTPUT" in ids and "OUTPUT_CANDIDATES" in ids
    for p in ("VELOCITY_FIELD", "DEM", "ADAS"):
        assert a.parameterDefinition(p).flags() & QgsProcessingParameterDefinition.Flag.FlagOptional
    assert "V_SLOPE" in a.shortHelpString() and "0.05 km2" in a.shortHelpString()


def test_points_without_velocity_field(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    inv = write_wkt_layer(tmp_path / "inv.gpkg", [box(X0, Y0 - 1000, 500, 500)])
    pts = write_points(tmp_path / "p.gpkg", [X0 + 10], [Y0 - 900], {"coh": [0.9]})
    with pytest.raises(QgsProcessingException, match="velocity"):
        run_alg(NAME, {"INVENTORY": inv, "POINTS": pts, "OUTPUT": str(tmp_path / "o.gpkg")})
    assert not (tmp_path / "o.gpkg").exists()


def test_activity_vslope_and_candidates(run_alg, tmp_path):
    from insar_geohazards.algorithms.geometry.los import los_unit_vector
    from insar_geohazards.algorithms.geometry.terrain import los_to_downslope

    # DEM tilted 20 degrees down toward the east (aspect 90)
    cols = np.arange(100)
    dem = np.tile(1000.0 - np.tan(np.radians(20.0)) * 30.0 * cols, (100, 1))
    dem_path = write_geotiff(tmp_path / "dem.tif", dem)
    inv = write_wkt_layer(tmp_path / "inv.gpkg", [box(X0 + 300, Y0 - 2000, 600, 600),   # 0.36 km2 -> 15 points
                                                  box(X0 + 1500, Y0 - 2000, 200, 200),  # 0.04 km2 -> 5
                                                  box(X0 + 2000, Y0 - 2000, 300, 300)],
                          fields={"name": ["A", "B", "C"]})
    rng = np.random.default_rng(0)
    xa, ya = X0 + 320 + rng.uniform(0, 560, 20), Y0 - 1980 + rng.uniform(0, 560, 20)
    xb, yb = X0 + 1510 + rng.uniform(0, 180, 8), Y0 - 1990 + rng.uniform(0, 180, 8)
    xc, yc = X0 + 2010 + rng.uniform(0, 280, 3), Y0 - 1990 + rng.uniform(0, 280, 3)
    xo, yo = X0 + 2800 + rng.uniform(0, 100, 10), Y0 - 500 + rng.uniform(0, 100, 10)
    x = np.concatenate([xa, xb, xc, xo])
    y = np.concatenate([ya, yb, yc, yo])
    v = np.concatenate([np.full(20, -6.0), np.full(8, -0.3), np.full(3, -9.0), rng.normal(0, 1, 10)])
    pts = write_points(tmp_path / "pts.gpkg", x, y, {"VEL": v})
    adas = write_wkt_layer(tmp_path / "ada.gpkg",
                           [box(X0 + 800, Y0 - 1900, 300, 300), box(X0 + 2700, Y0 - 600, 200, 200)],
                           fields={"mean_vel": [-5.0, -4.0]})
    res = run_alg(NAME, {"INVENTORY": inv, "POINTS": pts, "DEM": dem_path, "ADAS": adas, "THRESHOLD": 2.0,
                         "INCIDENCE": 35.0, "HEADING": -10.0, "OUTPUT": str(tmp_path / "act.gpkg"),
                         "OUTPUT_CANDIDATES": str(tmp_path / "cand.gpkg")})
    feats = {a["name"]: a for _, a in read_layer(res["OUTPUT"])}
    assert feats["A"]["state"] == "active" and feats["A"]["min_points"] == 15 and feats["A"]["n_points"] == 20
    assert feats["B"]["state"] == "inactive" and feats["B"]["min_points"] == 5
    assert feats["C"]["state"] == "not enough data" and feats["C"]["n_points"] == 3
    e, n, u = los_unit_vector(35.0, -10.0)
    expected, c = los_to_downslope(-6.0, e, n, u, 20.0, 90.0)
    assert expected > 0  # moving downhill seen away from the satellite
    assert feats["A"]["mean_vslope"] == pytest.approx(float(expected), rel=1e-3)
    assert feats["A"]["rep_source"] == "V_SLOPE" and feats["A"]["share_moving"] == 1.0
    assert feats["A"]["area_km2"] == pytest.approx(0.36)
    cand = read_layer(res["OUTPUT_CANDIDATES"])
    assert len(cand) == 1 and cand[0][1]["mean_vel"] == -4.0


def test_real_radarsat_boissano_self_check(run_alg, tmp_path, data_dir):
    """Boissano PS: the detected ADA used as an inventory must come out active."""
    import os

    shp = os.path.join(data_dir, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    ada = run_alg("adadetection", {"INPUT": shp, "OUTPUT": str(tmp_path / "ada.gpkg")})["OUTPUT"]
    res = run_alg(NAME, {"INVENTORY": ada, "POINTS": shp, "OUTPUT": str(tmp_path / "act.gpkg")})
    out = [a for _, a in read_layer(res["OUTPUT"])]
    assert out[0]["state"] == "active" and out[0]["n_points_2"] >= out[0]["n_points"]
    assert out[0]["mean_vlos"] < -2.0
