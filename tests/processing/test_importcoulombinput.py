"""geohazard:importcoulombinput — parameters, wrong parameters, real Coulomb files."""

import os

import numpy as np
import pytest
from testutils_faults import DATA, read_features

NAME = "importcoulombinput"


def test_parameters(alg):
    a = alg(NAME)
    assert [p.name() for p in a.parameterDefinitions()] == ["INPUT", "CRS", "ORIGIN_EAST", "ORIGIN_NORTH",
                                                             "OUTPUT_SOURCES", "OUTPUT_RECEIVERS"]
    assert "Coulomb" in a.shortHelpString()


def test_run_example1_sources_and_receivers(run_alg, tmp_path):
    res = run_alg(NAME, {"INPUT": os.path.join(DATA, "Example-1.inp"), "CRS": "EPSG:32610", "ORIGIN_EAST": 500000.0,
                         "ORIGIN_NORTH": 4000000.0, "OUTPUT_SOURCES": str(tmp_path / "s.gpkg"),
                         "OUTPUT_RECEIVERS": str(tmp_path / "r.gpkg")})
    src = read_features(res["OUTPUT_SOURCES"])
    rec = read_features(res["OUTPUT_RECEIVERS"])
    assert len(src) == 1 and len(rec) == 2
    assert src[0]["right_lat_m"] == 2.0 and src[0]["strike_slip_m"] == -2.0
    assert src[0]["rake_deg"] == pytest.approx(180.0) and src[0]["bottom_m"] == 12000.0
    assert rec[0]["dip_deg"] == 75.0 and rec[1]["top_m"] == 5000.0
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT_SOURCES"])
    feat = ds.GetLayer(0).GetNextFeature()
    g = feat.GetGeometryRef()
    np.testing.assert_allclose(g.GetPoint_2D(0), (500000.0 - 35000.0, 4000000.0 - 35010.0))
    np.testing.assert_allclose(g.GetPoint_2D(1), (500000.0 + 35000.0, 4000000.0 + 35010.0), atol=1e-6)


def test_imported_layer_round_trips_through_okadaforward(run_alg, tmp_path):
    from testutils_faults import read_raster

    inp = os.path.join(DATA, "Example-7(200-300kode).inp")
    src = run_alg(NAME, {"INPUT": inp, "CRS": "EPSG:32610", "OUTPUT_SOURCES": str(tmp_path / "s.gpkg")})
    ext = "-20000,20000,-20000,20000 [EPSG:32610]"
    a = run_alg("okadaforward", {"FAULTS": src["OUTPUT_SOURCES"], "EXTENT": ext, "PIXEL_SIZE": 4000.0,
                                 "OUTPUT": str(tmp_path / "a.tif")})["OUTPUT"]
    b = run_alg("okadaforward", {"COULOMB_INP": inp, "CRS": "EPSG:32610", "EXTENT": ext, "PIXEL_SIZE": 4000.0,
                                 "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"]
    np.testing.assert_allclose(read_raster(a)[0], read_raster(b)[0], rtol=1e-5, atol=1e-4)


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "s.gpkg"
    with pytest.raises(QgsProcessingException, match="Kode 500"):
        run_alg(NAME, {"INPUT": os.path.join(DATA, "Example-9(Kode500).inp"), "CRS": "EPSG:32610",
                       "OUTPUT_SOURCES": str(out)})
    with pytest.raises(QgsProcessingException, match="geographic"):
        run_alg(NAME, {"INPUT": os.path.join(DATA, "Example-1.inp"), "CRS": "EPSG:4326", "OUTPUT_SOURCES": str(out)})
    assert not out.exists()
