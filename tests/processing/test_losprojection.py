"""geohazard:losprojection — parameters, wrong parameters, rasters on a plane, real EGMS points, cancel."""

import math
import os

import numpy as np
import pytest
from testutils import read_array as _read
from testutils import write_geotiff
from testutils_geometry import plane

from insar_geohazards.algorithms.geometry.los import los_unit_vector

NAME = "losprojection"


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids == ["INPUT", "POINTS", "VELOCITY_FIELD", "DEM", "HEADING", "INCIDENCE", "INCIDENCE_RASTER",
                   "INCIDENCE_UNITS", "HEADING_RASTER", "HEADING_UNITS",
                   "LOOK", "MIN_SENSITIVITY", "OUTPUT_VERTICAL", "OUTPUT_DOWNSLOPE",
                   "OUTPUT_POINTS", "MAX_MEMORY_MB", "DASK_SCHEDULER", "THREADS"]
    assert "V_SLOPE = V_LOS / C" in a.shortHelpString()


def test_raster_plane_vertical_and_downslope(run_alg, tmp_path):
    # an east-facing 30 deg plane under ascending geometry moving 12 mm/yr downhill
    dem = plane(30.0, 90.0, n=12, dx=20.0)
    e, n, u = los_unit_vector(39.0, -10.0)
    down = np.array([math.cos(math.radians(30)), 0.0, -math.sin(math.radians(30))])
    c = e * down[0] + n * down[1] + u * down[2]
    los = np.stack([np.full(dem.shape, 12.0 * c), np.full(dem.shape, 6.0 * c)])
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    src = write_geotiff(tmp_path / "los.tif", los, geotransform=gt, descriptions=["2020-01-01", "2020-07-01"])
    d = write_geotiff(tmp_path / "dem.tif", dem, geotransform=gt)
    res = run_alg(NAME, {"INPUT": src, "DEM": d, "HEADING": -10.0, "INCIDENCE": 39.0,
                         "OUTPUT_VERTICAL": str(tmp_path / "v.tif"), "OUTPUT_DOWNSLOPE": str(tmp_path / "s.tif")})
    vs = _read(res["OUTPUT_DOWNSLOPE"])
    np.testing.assert_allclose(vs[0, 1:-1, 1:-1], 12.0, rtol=1e-5)
    np.testing.assert_allclose(vs[1, 1:-1, 1:-1], 6.0, rtol=1e-5)
    assert np.isnan(vs[:, 0]).all()
    np.testing.assert_allclose(_read(res["OUTPUT_VERTICAL"])[0], 12.0 * c / u, rtol=1e-5)
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_VERTICAL"])
    assert ds.GetRasterBand(2).GetDescription() == "2020-07-01"
    ds = None
    # the same geometry given as a GAMMA/HyP3 lv_phi raster (radians, counter-clockwise from east)
    lv_phi = np.radians(90.0 - np.degrees(np.arctan2(e, n)))
    phi = write_geotiff(tmp_path / "lv_phi.tif", np.full(dem.shape, lv_phi), geotransform=gt)
    res2 = run_alg(NAME, {"INPUT": src, "DEM": d, "HEADING": 100.0, "INCIDENCE": 39.0, "HEADING_RASTER": phi,
                          "HEADING_UNITS": 1, "OUTPUT_DOWNSLOPE": str(tmp_path / "s2.tif")})
    np.testing.assert_allclose(_read(res2["OUTPUT_DOWNSLOPE"]), vs, rtol=1e-5)


def test_real_egms_points_use_their_own_los_vectors(run_alg, tmp_path, data_dir):
    pts = os.path.join(data_dir, "egms_ustica", "asc_117_subset.gpkg")
    dem = write_geotiff(tmp_path / "dem.tif", plane(20.0, 270.0, n=80, dx=10.0), epsg=3035,
                        geotransform=(4598500.0, 10.0, 0.0, 1741900.0, 0.0, -10.0))
    res = run_alg(NAME, {"POINTS": pts, "DEM": dem, "OUTPUT_POINTS": str(tmp_path / "p.gpkg")})
    from osgeo import ogr

    ds = ogr.Open(res["OUTPUT_POINTS"])
    lyr = ds.GetLayer(0)
    src_ds = ogr.Open(pts)
    ref = {f.GetFID(): (f["mean_velocity"], f["los_east"], f["los_north"], f["los_up"])
           for f in src_ds.GetLayer(0)}
    assert lyr.GetFeatureCount() == len(ref) == 207
    for f in lyr:
        v, e, n, u = ref[f["source_fid"]]
        assert f["v_vertical"] == pytest.approx(v / u, rel=1e-9)
        assert f["los_east"] == pytest.approx(e)
        assert f["slope_deg"] == pytest.approx(20.0, abs=1e-4)  # float32 DEM
        assert f["aspect_deg"] == pytest.approx(270.0, abs=1e-4)
        s, a = math.radians(f["slope_deg"]), math.radians(f["aspect_deg"])
        c = e * math.cos(s) * math.sin(a) + n * math.cos(s) * math.cos(a) - u * math.sin(s)
        assert f["sensitivity"] == pytest.approx(c, abs=1e-9)
        if abs(c) >= 0.3:
            assert f["v_downslope"] == pytest.approx(v / c, rel=1e-9)
        else:
            assert f["v_downslope"] is None


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    src = write_geotiff(tmp_path / "los.tif", np.ones((5, 5)))
    with pytest.raises(QgsProcessingException, match="INPUT.*POINTS"):
        run_alg(NAME, {"OUTPUT_VERTICAL": str(tmp_path / "v.tif")})
    with pytest.raises(QgsProcessingException, match="OUTPUT_DOWNSLOPE needs a DEM"):
        run_alg(NAME, {"INPUT": src, "OUTPUT_DOWNSLOPE": str(tmp_path / "s.tif")})
    dem = write_geotiff(tmp_path / "dem.tif", np.zeros((6, 5)))
    with pytest.raises(QgsProcessingException, match="DEM has 6 rows x 5 columns, expected 5 x 5"):
        run_alg(NAME, {"INPUT": src, "DEM": dem, "OUTPUT_DOWNSLOPE": str(tmp_path / "s.tif")})
    assert not list(tmp_path.glob("v.tif")) and not list(tmp_path.glob("s.tif"))
    assert not list(tmp_path.glob("*.part*"))


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    src = write_geotiff(tmp_path / "los.tif", np.ones((600, 40)))
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"INPUT": src, "OUTPUT_VERTICAL": str(tmp_path / "v.tif")}, feedback=feedback)
    assert not (tmp_path / "v.tif").exists()
