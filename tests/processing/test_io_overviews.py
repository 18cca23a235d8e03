"""Large raster outputs get internal overviews (QGIS redraws them zoomed out from those), said in the log; the data
bands are the same values with or without them; small outputs are left as written."""

import numpy as np
from testutils import recording_feedback, write_geotiff


def test_overview_levels():
    from insar_geohazards.fileio.base.overviews import MIN_SIDE_PX, overview_levels

    assert overview_levels(MIN_SIDE_PX, 100) == []
    assert overview_levels(MIN_SIDE_PX + 1, 3) == [2, 4, 8]
    assert overview_levels(300, 20000) == [2, 4, 8, 16, 32, 64]


def _run(run_alg, tmp_path, name, data):
    src = write_geotiff(tmp_path / f"{name}_los.tif", data, metadata={"UNIT": "mm/yr"})
    fb = recording_feedback()
    res = run_alg("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 35.0,
                                            "OUTPUT": str(tmp_path / f"{name}_up.tif")}, fb)
    return res["OUTPUT"], fb


def test_large_output_gets_overviews_and_the_same_data(run_alg, tmp_path, monkeypatch):
    from osgeo import gdal

    from insar_geohazards.fileio.base import overviews

    rng = np.random.default_rng(5)
    data = rng.normal(size=(3, overviews.MIN_SIDE_PX + 100)).astype(np.float32)
    data[1, 7] = np.nan
    big, fb = _run(run_alg, tmp_path, "big", data)
    ds = gdal.Open(big)
    band = ds.GetRasterBand(1)
    assert band.GetOverviewCount() == 3 and band.GetOverview(0).XSize == (overviews.MIN_SIDE_PX + 100 + 1) // 2
    with_overviews = band.ReadAsArray()
    ds = None
    assert any("overviews 1/2, 1/4, 1/8" in line for line in fb.info), fb.info
    monkeypatch.setattr(overviews, "MIN_SIDE_PX", 10 ** 9)
    plain, fb = _run(run_alg, tmp_path, "plain", data)
    ds = gdal.Open(plain)
    assert ds.GetRasterBand(1).GetOverviewCount() == 0 and not any("overviews" in line for line in fb.info)
    np.testing.assert_array_equal(ds.GetRasterBand(1).ReadAsArray(), with_overviews)  # NaN at the same place
    ds = None


def test_small_output_has_no_overviews(run_alg, tmp_path):
    from osgeo import gdal

    small, fb = _run(run_alg, tmp_path, "small", np.ones((20, 30), np.float32))
    ds = gdal.Open(small)
    assert ds.GetRasterBand(1).GetOverviewCount() == 0
    ds = None
