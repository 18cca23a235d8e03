"""geohazard:adaclassification — parameters, wrong parameters, every rule on a hand-made scene."""

import numpy as np
import pytest
from testutils import box, write_geotiff
from testutils_ada import read_layer, write_wkt_layer

NAME = "adaclassification"
X0, Y0 = 500000.0, 4100000.0


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[0] == "INPUT" and ids[-1] == "OUTPUT"
    assert {"DEM", "LANDSLIDES", "GEOLOGY", "LAND_USE", "DISTORTION", "SLOPE_GATE"} <= set(ids)
    assert a.parameterDefinition("SLOPE_GATE").defaultValue() == 10.0
    assert "sinkhole_collapse" in a.shortHelpString()


def test_geology_without_field_is_rejected(alg, run_alg, tmp_path):
    from qgis.core import QgsProcessingContext, QgsProcessingException

    ada = write_wkt_layer(tmp_path / "a.gpkg", [box(X0, Y0 - 500, 100, 100)], fields={"mean_vel": [-5.0]})
    geo = write_wkt_layer(tmp_path / "g.gpkg", [box(X0, Y0 - 500, 100, 100)], fields={"unit": ["gypsum"]})
    params = {"INPUT": ada, "GEOLOGY": geo, "OUTPUT": str(tmp_path / "o.gpkg")}
    ok, msg = alg(NAME).checkParameterValues(params, QgsProcessingContext())
    assert not ok and "GEOLOGY_FIELD" in msg
    with pytest.raises(QgsProcessingException):
        run_alg(NAME, params)
    assert not (tmp_path / "o.gpkg").exists()


def test_rules_on_a_scene(run_alg, tmp_path):
    # DEM: 20-degree slope west of x = X0 + 1500 m, flat east of it (30 m pixels)
    cols = np.arange(100)
    z = np.where(cols < 50, -np.tan(np.radians(20.0)) * 30.0 * cols, -np.tan(np.radians(20.0)) * 30.0 * 50)
    dem = write_geotiff(tmp_path / "dem.tif", np.tile(z + 2000.0, (100, 1)))
    dist = np.zeros((100, 100))
    dist[60:70, 80:90] = 1  # layover patch around x = X0+2400..2700, y = Y0-1800..-2100
    dist_path = write_geotiff(tmp_path / "dist.tif", dist)
    wkts = [box(X0 + 300, Y0 - 1000, 400, 400),    # 0 steep -> landslide
            box(X0 + 1800, Y0 - 1000, 400, 400),   # 1 flat, -5 -> subsidence
            box(X0 + 1800, Y0 - 400, 300, 300),    # 2 flat, +4 -> uplift
            box(X0 + 2500, Y0 - 600, 100, 100),    # 3 flat, small, -15 -> sinkhole
            box(X0 + 2450, Y0 - 2050, 200, 200),   # 4 in layover -> distorted
            box(X0 + 2000, Y0 - 2800, 400, 400),   # 5 flat but in the inventory -> landslide
            box(X0 + 1700, Y0 - 1500, 150, 150)]   # 6 flat, -4, urban -> settlement
    ada = write_wkt_layer(tmp_path / "ada.gpkg", wkts, fields={"mean_vel": [-6.0, -5.0, 4.0, -15.0, -5.0, -3.0, -4.0]})
    inv = write_wkt_layer(tmp_path / "inv.gpkg", [box(X0 + 1950, Y0 - 2850, 500, 500)])
    lu = write_wkt_layer(tmp_path / "lu.gpkg", [box(X0 + 1650, Y0 - 1550, 300, 300)], fields={"cls": ["Residential"]})
    res = run_alg(NAME, {"INPUT": ada, "DEM": dem, "LANDSLIDES": inv, "LAND_USE": lu, "LAND_USE_FIELD": "cls",
                         "DISTORTION": dist_path, "OUTPUT": str(tmp_path / "cls.gpkg")})
    out = [a for _, a in read_layer(res["OUTPUT"])]
    assert [a["ada_class"] for a in out] == ["landslide", "subsidence", "uplift", "sinkhole_collapse", "distorted",
                                             "landslide", "settlement"]
    assert out[0]["mean_slope_deg"] == pytest.approx(20.0, abs=0.5)
    assert out[1]["mean_slope_deg"] == pytest.approx(0.0, abs=0.5)
    assert out[4]["distorted_share"] > 0.5 and out[5]["in_landslide"] == 1
    assert all(a["explanation"] for a in out)
    import os

    assert os.path.exists(os.path.splitext(res["OUTPUT"])[0] + ".qml"), "class style sidecar missing"
    res = run_alg(NAME, {"INPUT": ada, "DEM": dem, "DISTORTION": dist_path, "DROP_DISTORTED": True,
                         "OUTPUT": str(tmp_path / "cls2.gpkg")})
    assert len(read_layer(res["OUTPUT"])) == 6


def test_real_radarsat_boissano_ada_is_a_landslide(run_alg, tmp_path, data_dir):
    import os

    shp = os.path.join(data_dir, "radarsat_boissano", "BOISSANO_RSAT_S3_A_T290_COMUNEBOISSANO_GBO-TSR.shp")
    ada = run_alg("adadetection", {"INPUT": shp, "OUTPUT": str(tmp_path / "ada.gpkg")})["OUTPUT"]
    out = [a for _, a in read_layer(run_alg(NAME, {"INPUT": ada, "OUTPUT": str(tmp_path / "c.gpkg")})["OUTPUT"])]
    assert len(out) >= 1
    # the biggest Boissano ADA sits on a slope steeper than the 10-degree gate (from PS heights)
    assert out[0]["ada_class"] == "landslide" and out[0]["mean_slope_deg"] > 10
    assert "slope gate" in out[0]["explanation"]
