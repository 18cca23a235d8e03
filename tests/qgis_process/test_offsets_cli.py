"""offsettracking / offsettimeseries through headless qgis_process, on a real Sentinel-1 texture.

offsettracking starts ``qgis_process.bin``; offsettimeseries takes the same ``KEY=value`` strings in this test
process's QGIS (testutils_cli.in_app: the provider's parameter check and run as qgis_process makes them), about 2.7
CPU-s less than a start of qgis_process."""

import os

import numpy as np
import testutils_kinematics as kt
from testutils import write_geotiff
from testutils_cli import in_app_json, requires_qgis_process, run_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CC = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs",
                  "cropA_20180106-20180130_VV_8rlks_flat_eqa_cc.tif")
pytestmark = requires_qgis_process


def test_offsettracking_recovers_a_known_shift_of_real_texture(tmp_path):
    """A real Sentinel-1 coherence map (100 x 60 px) moved by (0.4, -0.7) px: radar geometry output."""
    from osgeo import gdal

    ds = gdal.Open(CC)
    img = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    ref = write_geotiff(tmp_path / "ref.tif", img, geotransform=None, epsg=None)
    sec = write_geotiff(tmp_path / "sec.tif", kt.fourier_shift(img, 0.4, -0.7), geotransform=None, epsg=None)
    res = run_json("offsettracking", [f"REFERENCE_IMAGE={ref}", f"SECONDARY={sec}", "WINDOW=24", "SEARCH=3", "STEP=8",
                                      "GEOMETRY=1", "RANGE_SPACING=2.3", "AZIMUTH_SPACING=13.9",
                                      f"OUTPUT={tmp_path / 'off.tif'}"])
    out = gdal.Open(res["OUTPUT"])
    arr = out.ReadAsArray()
    ok = np.isfinite(arr[4])
    assert ok.sum() >= 10 and out.GetRasterBand(1).GetDescription() == "range_m"
    err = np.concatenate([arr[4][ok] + 0.7, arr[5][ok] - 0.4])
    assert np.sqrt(np.mean(err ** 2)) < 0.05
    np.testing.assert_allclose(arr[0][ok], arr[4][ok] * 2.3, rtol=1e-5)
    np.testing.assert_allclose(arr[1][ok], arr[5][ok] * 13.9, rtol=1e-5)


def test_offsettimeseries_cli(qgis_app, tmp_path):
    from osgeo import gdal

    days = {"20210101": 0, "20210113": 12, "20210125": 24}
    paths = []
    for a, b in (("20210101", "20210113"), ("20210113", "20210125"), ("20210101", "20210125")):
        dt_yr = (days[b] - days[a]) / 365.25
        paths.append(write_geotiff(tmp_path / f"off_{a}_{b}.tif", np.full((1, 3, 4), 10.0 * dt_yr)))
    res = in_app_json("offsettimeseries", {"INPUTS": paths, "COMPONENTS": "1", "OUTPUT": str(tmp_path / "d.tif"),
                                           "OUTPUT_VELOCITY": str(tmp_path / "v.tif"),
                                           "OUTPUT_UNCHECKED": str(tmp_path / "u.tif")})
    v = gdal.Open(res["OUTPUT_VELOCITY"]).ReadAsArray()
    np.testing.assert_allclose(v[0], 10.0, rtol=1e-4)
    u = gdal.Open(res["OUTPUT_UNCHECKED"]).ReadAsArray()
    assert u.shape == (3, 3, 4) and np.all(u == 0)  # a triangle of pairs: every date redundant
