"""fileio/hazard/swathprofile.py: the metric frame of the profiles, the raster window of the swaths, band suffixes."""

import numpy as np
from testutils import write_geotiff


def test_metric_frame_is_the_input_crs_when_metric_else_a_utm_zone(qgis_app):
    from osgeo import osr

    from insar_geohazards.fileio.hazard.swathprofile import metric_frame

    utm33 = osr.SpatialReference()
    utm33.ImportFromEPSG(32633)
    assert metric_frame(utm33.ExportToWkt(), 15.0, 37.0) == utm33.ExportToWkt()
    geo = osr.SpatialReference()
    geo.ImportFromEPSG(4326)
    out = osr.SpatialReference()
    out.ImportFromWkt(metric_frame(geo.ExportToWkt(), 13.17, 38.7))  # Ustica: UTM zone 33 north
    assert out.GetAuthorityCode(None) == "32633"
    out.ImportFromWkt(metric_frame("", -99.1, 19.4))  # Mexico City, no CRS given: zone 14 north
    assert out.GetAuthorityCode(None) == "32614"
    out.ImportFromWkt(metric_frame(geo.ExportToWkt(), 151.2, -33.9))  # Sydney: zone 56 south
    assert out.GetAuthorityCode(None) == "32756"


def test_raster_window_is_the_swaths_box_clipped_to_the_raster(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.blocks import raster_window
    from insar_geohazards.fileio.base.raster import raster_info

    info = raster_info(write_geotiff(tmp_path / "r.tif", np.zeros((50, 40))))  # 30 m pixels from (500000, 4100000)
    assert raster_window(info, (500100.0, 4099000.0, 500400.0, 4099700.0)) == (10, 34, 3, 14)
    assert raster_window(info, (499000.0, 4099900.0, 500050.0, 4101000.0)) == (0, 4, 0, 2)
    assert raster_window(info, (600000.0, 4099000.0, 600100.0, 4099100.0)) is None


def test_band_suffixes_are_dates_or_band_numbers(qgis_app):
    from insar_geohazards.fileio.hazard.swathprofile import band_suffixes

    s, d = band_suffixes(["2020-01-01", "2020-01-13"], 2)
    assert s == ["20200101", "20200113"] and d[1].isoformat() == "2020-01-13"
    assert band_suffixes(["velocity", ""], 2) == (["b1", "b2"], None)
    assert band_suffixes(["2020-01-01"], 1) == (["b1"], None)
