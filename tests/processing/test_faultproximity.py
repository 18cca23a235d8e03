"""geohazard:faultproximity — parameters, bad bands, distances and chart on a hand-made case."""

import pytest
from testutils import box
from testutils_ada import read_layer, write_wkt_layer

NAME = "faultproximity"
X0, Y0 = 500000.0, 4100000.0


def test_parameters(alg):
    a = alg(NAME)
    assert [p.name() for p in a.parameterDefinitions()] == ["INPUT", "FAULTS", "BANDS", "OUTPUT", "OUTPUT_CHART"]
    assert a.parameterDefinition("BANDS").defaultValue() == "500,1000,2000,5000"


def test_bad_bands(alg, tmp_path):
    from qgis.core import QgsProcessingContext

    f = write_wkt_layer(tmp_path / "f.gpkg", [f"LINESTRING({X0} {Y0}, {X0} {Y0 - 5000})"])
    a = write_wkt_layer(tmp_path / "a.gpkg", [box(X0 + 10, Y0 - 100, 10, 10)])
    for bands, word in (("1000,500", "increasing"), ("near,far", "comma")):
        ok, msg = alg(NAME).checkParameterValues({"INPUT": a, "FAULTS": f, "BANDS": bands,
                                                  "OUTPUT": str(tmp_path / "o.gpkg"),
                                                  "OUTPUT_CHART": str(tmp_path / "c.png")}, QgsProcessingContext())
        assert not ok and word in msg


def test_distances_bands_and_chart(run_alg, tmp_path):
    faults = write_wkt_layer(tmp_path / "f.gpkg", [f"LINESTRING({X0} {Y0}, {X0} {Y0 - 9000})",
                                                   f"LINESTRING({X0 + 20000} {Y0}, {X0 + 20000} {Y0 - 9000})"])
    ada = write_wkt_layer(tmp_path / "a.gpkg", [box(X0 - 50, Y0 - 1000, 100, 100),   # crosses: 0
                                                box(X0 + 300, Y0 - 2000, 100, 100),  # 300 m
                                                box(X0 + 1500, Y0 - 3000, 100, 100),  # 1500 m
                                                box(X0 + 7000, Y0 - 3000, 100, 100)])  # 7000 m
    res = run_alg(NAME, {"INPUT": ada, "FAULTS": faults, "BANDS": "500,1000,2000,5000",
                         "OUTPUT": str(tmp_path / "d.gpkg"), "OUTPUT_CHART": str(tmp_path / "chart.png")})
    out = [a for _, a in read_layer(res["OUTPUT"])]
    assert [a["dist_fault_m"] for a in out] == pytest.approx([0.0, 300.0, 1500.0, 7000.0])
    assert [a["band"] for a in out] == ["0-500 m", "0-500 m", "1000-2000 m", "> 5000 m"]
    assert res["SHARE_BY_BAND"]["0-500 m"] == 0.5
    with open(res["OUTPUT_CHART"], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
