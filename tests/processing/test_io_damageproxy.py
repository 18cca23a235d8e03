"""fileio/hazard/damageproxy.py: LiCSAR's byte coherence read as / 255 through a VRT in memory (other files as they
are), the areas of significant loss polygonised with their fields, pixel areas of projected and geographic grids."""

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from testutils import write_geotiff

GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def _byte(path, arr, epsg=32633):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arr.shape[1], arr.shape[0], 1, gdal.GDT_Byte)
    ds.SetGeoTransform(GT)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(arr)
    ds = None
    return str(path)


def test_licsar_bytes_read_as_fractions_and_other_files_as_they_are(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.raster import read_band
    from insar_geohazards.fileio.hazard.damageproxy import coherence_path

    arr = np.array([[0, 51, 255], [128, 1, 204]], np.uint8)
    path = _byte(tmp_path / "20200101_20200113.geo.cc.tif", arr)
    vrt, note = coherence_path(path)
    assert vrt.startswith("/vsimem/") and "255" in note
    got = read_band(vrt, dtype=np.float64)
    assert np.isnan(got[0, 0])
    np.testing.assert_allclose(got[~np.isnan(got)], arr[arr > 0] / 255.0, rtol=1e-6)
    assert coherence_path(path)[0] == vrt  # the same VRT for the guard and the run
    plain = write_geotiff(tmp_path / "20200101_20200113_coh.tif", np.full((2, 3), 0.5))
    assert coherence_path(plain) == (plain, "")
    other = _byte(tmp_path / "bytes_cc.tif", arr)  # not LiCSAR's name: left to the guard's 0-255 refusal
    assert coherence_path(other) == (other, "")


def test_areas_are_one_polygon_per_label_with_their_fields(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard.damageproxy import write_areas

    labels = np.zeros((6, 8), np.int32)
    labels[1, 1] = labels[2, 2] = 1  # diagonal neighbours: one area
    labels[4, 5:8] = 2
    info = raster_info(write_geotiff(tmp_path / "grid.tif", np.zeros((6, 8)), geotransform=GT), "grid")
    table = {"label": np.array([1, 2]), "n_pixels": np.array([2, 3]), "area_m2": np.array([1800.0, 2700.0]),
             "mean_proxy": np.array([4.0, 5.0]), "max_proxy": np.array([4.5, 6.0])}
    out = write_areas(str(tmp_path / "a.gpkg"), labels, table, info)
    ds = ogr.Open(out)
    feats = list(ds.GetLayer(0))
    assert [f["n_pixels"] for f in feats] == [2, 3]
    assert [round(f.GetGeometryRef().GetArea()) for f in feats] == [1800, 2700]


def test_pixel_areas_of_projected_and_geographic_grids(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard.damageproxy import _grid_areas

    info = raster_info(write_geotiff(tmp_path / "p.tif", np.zeros((3, 4)), geotransform=GT), "p")
    np.testing.assert_array_equal(_grid_areas(info), [900.0] * 3)
    geo = raster_info(write_geotiff(tmp_path / "g.tif", np.zeros((3, 4)), epsg=4326,
                                    geotransform=(-99.19, 0.001388889, 0, 19.45, 0, -0.001388889)), "g")
    areas = _grid_areas(geo)
    assert areas[0] == pytest.approx(0.001388889 ** 2 * 111320 * 110700 * np.cos(np.radians(19.45)), rel=0.01)
