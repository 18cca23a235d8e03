"""MintPy HDF-EOS5 files (.he5, save_hdfeos5.py) given to the tools as delivered: the time series
(HDFEOS/GRIDS/timeseries/observation/displacement, metres) read in mm with its dates, grid, reference and the
file's own geometry group; a geometry dataset by purpose or by its path (HDF5:"file.he5"://HDFEOS/...). Before, the
file was refused and the dataset name the message suggested was refused too.

Sample files as MintPy writes them (tests/testutils_mintpy.py write_hdfeos5 cites save_hdfeos5.py). Truths: the
planted velocity, the geometry group's incidence.
"""

import os

import numpy as np
import pytest
import testutils_mintpy as tm
from testutils import read_bands, recording_feedback, write_geotiff

pytest.importorskip("h5py", reason="h5py is not installed")
GT = (400000.0, 100.0, 0.0, 3950000.0, 0.0, -100.0)


def test_he5_series_in_timeseriesmodels_gives_the_planted_velocity(run_alg, tmp_path):
    days, ts_m, vel_m = tm.scene()
    src = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days)
    fb = recording_feedback()
    out = run_alg("timeseriesmodels", {"INPUT_RASTER": src, "MODELS": [0], "OUTPUT_RASTER": str(tmp_path / "m.tif")},
                  feedback=fb)["OUTPUT_RASTER"]
    a, ds = read_bands(out)
    names = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    np.testing.assert_allclose(a[names.index("LIN_VEL")], vel_m * 1000.0, atol=2e-3)
    assert ds.GetGeoTransform() == GT
    assert "values converted from meters (MintPy HDF-EOS5) to mm (x 1000)" in fb.text
    assert "reference pixel row 2, column 3 (REF_Y/REF_X)" in fb.text
    assert f"scene incidence and slant range from {tm.HE5_NAME} HDFEOS/GRIDS/timeseries/geometry" in fb.text
    assert not [n for n in os.listdir(tmp_path) if n.endswith((".tif", ".vrt")) and n != "m.tif"]


def test_he5_geometry_by_purpose_and_by_the_path_the_message_names(run_alg, tmp_path):
    days, ts_m, vel_m = tm.scene()
    inc = np.full((12, 15), 36.0, np.float32)
    inc[:, 8:] = 42.0
    src = tm.write_hdfeos5(tmp_path / tm.HE5_NAME, ts_m, days, incidence_deg=inc)
    vel = write_geotiff(tmp_path / "vel.tif", vel_m * 1000.0, geotransform=GT, epsg=32611)
    want = vel_m * 1000.0 / np.cos(np.radians(inc))
    for given in (src, f'HDF5:"{src}"://HDFEOS/GRIDS/timeseries/geometry/incidenceAngle'):
        out = run_alg("losvelocitytovertical", {"INPUT": vel, "INCIDENCE_RASTER": given,
                                                "OUTPUT": str(tmp_path / f"v{len(given)}.tif")})["OUTPUT"]
        np.testing.assert_allclose(read_bands(out)[0][0], want, rtol=1e-5, atol=1e-6)
