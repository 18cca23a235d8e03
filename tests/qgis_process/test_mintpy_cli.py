"""MintPy results end to end through headless qgis_process: a velocity.h5 and its work folder's geometry into
losvelocitytovertical with nothing typed, loadmintpy's layer and points, and the refusal of a run that has no
geometry. Sample files as MintPy writes them (tests/testutils_mintpy.py cites MintPy's code). loadmintpy's run
takes its ``KEY=value`` strings in this test process's QGIS (testutils_cli.in_app: the provider's parameter check and
run as qgis_process makes them), about 2.7 CPU-s less than a start of qgis_process; the velocity and the refusal
start qgis_process."""

import os

import numpy as np
import pytest
import testutils_mintpy as tm
from testutils_cli import in_app_json, qgis_process, requires_qgis_process, run_json

pytestmark = requires_qgis_process


def test_velocity_h5_to_vertical_with_the_work_folders_geometry(tmp_path):
    pytest.importorskip("h5py", reason="h5py is not installed")
    from osgeo import gdal

    days, _, vel = tm.scene()
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    os.mkdir(tmp_path / "inputs")
    tm.write_geometry(tmp_path / "inputs" / "geometryGeo.h5", (12, 15), incidence_deg=np.full((12, 15), 40.0))
    res = run_json("losvelocitytovertical", [f"INPUT={src}", f"OUTPUT={tmp_path / 'v.tif'}"])
    out = gdal.Open(res["OUTPUT"])
    np.testing.assert_allclose(out.ReadAsArray(), vel * 1000.0 / np.cos(np.radians(40.0)), rtol=1e-5, atol=1e-6)
    assert out.GetGeoTransform() == (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0)
    assert not [n for n in os.listdir(tmp_path) if n.endswith((".tif", ".vrt")) and n != "v.tif"], \
        "nothing written beside the input"


def test_loadmintpy_layer_and_points(qgis_app, tmp_path):
    pytest.importorskip("h5py", reason="h5py is not installed")
    from osgeo import gdal, ogr

    days, ts_m, _ = tm.scene()
    src = tm.write_timeseries(tmp_path / "timeseries.h5", ts_m, days)
    res = in_app_json("loadmintpy", [f"INPUT={src}", f"OUTPUT={tmp_path / 'ts.tif'}",
                                     f"OUTPUT_POINTS={tmp_path / 'p.gpkg'}"])
    ds = gdal.Open(res["OUTPUT"])
    assert ds.RasterCount == len(days) and ds.GetRasterBand(1).GetDescription() == days[0].isoformat()
    np.testing.assert_allclose(ds.ReadAsArray(), ts_m * 1000.0, rtol=1e-5, atol=1e-5)
    pts = ogr.Open(res["OUTPUT_POINTS"])
    assert pts.GetLayer(0).GetFeatureCount() == 12 * 15


def test_no_geometry_is_refused_naming_what_to_type(tmp_path):
    from testutils import write_geotiff

    src = write_geotiff(tmp_path / "vel.tif", np.full((4, 5), 3.0))
    out = qgis_process("run", "geohazard:losvelocitytovertical", "--", f"INPUT={src}", f"OUTPUT={tmp_path / 'v.tif'}")
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "type INCIDENCE" in text and "Traceback" not in text
    assert not (tmp_path / "v.tif").exists()
