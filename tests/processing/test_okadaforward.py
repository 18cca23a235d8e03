"""geohazard:okadaforward — parameters, wrong parameters, runs on a layer and on a Coulomb file, cancel."""

import os

import numpy as np
import pytest
from testutils_faults import DATA, read_raster, write_lines

NAME = "okadaforward"
E0, N0 = 500000.0, 4100000.0


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    for pid in ("FAULTS", "COULOMB_INP", "CRS", "ORIGIN_EAST", "ORIGIN_NORTH", "DIP", "TOP_DEPTH", "BOTTOM_DEPTH",
                "SLIP", "RAKE", "POISSON", "EXTENT", "PIXEL_SIZE", "INCIDENCE", "HEADING", "OUTPUT"):
        assert pid in ids
    assert "Okada" in a.shortHelpString() and "doi:10.1785/BSSA0820021018" in a.shortHelpString()
    assert a.group() == "Faults and stress"


def test_run_layer_matches_core_and_left_lateral_sense(run_alg, tmp_path):
    from insar_geohazards.algorithms.faults.faults import faults_from_traces
    from insar_geohazards.algorithms.faults.okada import okada_displacement

    lines = write_lines(tmp_path / "f.gpkg", [[(E0, N0 - 10e3), (E0, N0 + 10e3)]],
                        fields={"dip_deg": [90.0], "top_m": [0.0], "bottom_m": [10e3], "slip_m": [2.0],
                                "rake_deg": [0.0]})
    extent = f"{E0 - 20e3},{E0 + 20e3},{N0 - 20e3},{N0 + 20e3} [EPSG:32633]"
    out = run_alg(NAME, {"FAULTS": lines, "EXTENT": extent, "PIXEL_SIZE": 2000.0, "INCIDENCE": 35.0,
                         "HEADING": -12.0, "OUTPUT": str(tmp_path / "d.tif")})["OUTPUT"]
    arr, gt, desc = read_raster(out)
    assert desc == ["east_mm", "north_mm", "up_mm", "los_mm"] and arr.shape == (4, 20, 20)
    x = gt[0] + (np.arange(20) + 0.5) * gt[1]
    y = gt[3] + (np.arange(20) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    f = faults_from_traces([np.array([[E0, N0 - 10e3], [E0, N0 + 10e3]])], dip_deg=90, top_m=0, bottom_m=10e3,
                           slip_m=2.0, rake_deg=0.0)
    ref = okada_displacement(xx, yy, f.table()) * 1000
    np.testing.assert_allclose(arr[:3], np.moveaxis(ref, -1, 0), rtol=1e-5, atol=1e-3)
    assert arr[1, 10, 12] > 0 > arr[1, 10, 7]  # east side north (left-lateral)
    assert os.path.exists(os.path.splitext(out)[0] + ".qml")


def test_run_on_real_coulomb_input(run_alg, tmp_path):
    inp = os.path.join(DATA, "Example-1.inp")
    ext = "-100000,100000,-100000,100000 [EPSG:32610]"
    out = run_alg(NAME, {"COULOMB_INP": inp, "CRS": "EPSG:32610", "EXTENT": ext,
                         "PIXEL_SIZE": 10000.0, "OUTPUT": str(tmp_path / "d.tif")})["OUTPUT"]
    arr, _, _ = read_raster(out)
    assert np.isfinite(arr).all()
    # 2 m right-lateral on a vertical fault centred at the origin: horizontal field odd, vertical even
    # under a 180-degree rotation about the fault centre
    np.testing.assert_allclose(arr[0], -arr[0][::-1, ::-1], atol=0.05)
    np.testing.assert_allclose(arr[1], -arr[1][::-1, ::-1], atol=0.05)
    np.testing.assert_allclose(arr[2], arr[2][::-1, ::-1], atol=0.05)
    assert np.abs(arr[:2]).max() > 100.0


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "o.tif"
    ext = f"{E0 - 1e3},{E0 + 1e3},{N0 - 1e3},{N0 + 1e3} [EPSG:32633]"
    with pytest.raises(QgsProcessingException, match="exactly one of FAULTS"):
        run_alg(NAME, {"EXTENT": ext, "OUTPUT": str(out)})
    geo = write_lines(tmp_path / "g.gpkg", [[(10.0, 45.0), (10.1, 45.1)]], epsg=4326)
    with pytest.raises(QgsProcessingException, match="geographic CRS"):
        run_alg(NAME, {"FAULTS": geo, "EXTENT": "10,10.2,45,45.2 [EPSG:4326]", "OUTPUT": str(out)})
    one = write_lines(tmp_path / "one.gpkg", [[(E0, N0), (E0, N0)]])
    with pytest.raises(QgsProcessingException, match="all vertices of the trace coincide"):
        run_alg(NAME, {"FAULTS": one, "EXTENT": ext, "OUTPUT": str(out)})
    bad_dip = write_lines(tmp_path / "dip.gpkg", [[(E0, N0), (E0, N0 + 1e3)]], fields={"dip_deg": [120.0]})
    with pytest.raises(QgsProcessingException, match="dip_deg must be in"):
        run_alg(NAME, {"FAULTS": bad_dip, "EXTENT": ext, "OUTPUT": str(out)})
    assert not out.exists()
    assert not list(tmp_path.glob("*.part*"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    lines = write_lines(tmp_path / "f.gpkg", [[(E0, N0 - 1e3), (E0, N0 + 1e3)]])
    fb = QgsProcessingFeedback()
    fb.cancel()
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"FAULTS": lines, "EXTENT": f"{E0 - 5e3},{E0 + 5e3},{N0 - 5e3},{N0 + 5e3} [EPSG:32633]",
                       "PIXEL_SIZE": 100.0, "OUTPUT": str(out)}, feedback=fb)
    assert not out.exists()
