"""fileio/hazard/demdifference: the co-registration's windows (the whole grid, or windows fixed by the grid's size
alone), the volume polygons burnt block by block as on the whole grid, overlapping polygons named, the second DEM
kept where it is on the reference's grid, and the volume table's arithmetic."""

import numpy as np
from testutils import write_geotiff

GT = (600000.0, 10.0, 0.0, 9560000.0, 0.0, -10.0)


def test_fit_windows_cover_a_small_grid_whole_and_a_large_one_with_sixteen_fixed_windows(qgis_app):
    from insar_geohazards.fileio.hazard import demdifference as io

    assert io.fit_windows(300, 400) == [(0, 0, 300, 400, 0)]
    big = io.fit_windows(10000, 10000)
    assert len(big) == io.FIT_MAX_CELLS // io.FIT_TILE ** 2 == 16
    assert all(h == w == io.FIT_TILE and halo == io.FIT_HALO for _, _, h, w, halo in big)
    assert all(0 <= r <= 10000 - 512 and 0 <= c <= 10000 - 512 for r, c, *_ in big)
    assert len({(r, c) for r, c, *_ in big}) == 16
    wide = io.fit_windows(600, 40000)
    assert len(wide) <= 16 and all(r == 44 for r, *_ in wide)


def test_zones_burnt_by_rows_equal_the_whole_grid_and_overlaps_are_named(qgis_app):
    from osgeo import ogr

    from insar_geohazards.fileio.base.raster import RasterInfo
    from insar_geohazards.fileio.hazard import demdifference as io

    def square(x0, y0, s):
        return ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0}, {x0 + s} {y0}, {x0 + s} {y0 + s}, {x0} {y0 + s}, "
                                         f"{x0} {y0}))").ExportToWkb()

    wkbs = [square(600100, 9559500, 200), square(600250, 9559400, 200), square(600600, 9559350, 100)]
    info = RasterInfo(path="", width=80, height=70, count=1, geotransform=GT, crs_wkt="")
    src = io.ZoneSource(wkbs, info)
    whole = src.read(0, 70, 80)
    parts = np.concatenate([src.read(r, min(r + 7, 70), 80) for r in range(0, 70, 7)])
    assert np.array_equal(whole, parts)
    assert (whole == 1).sum() > 0 and (whole == 3).sum() == 100 and (whole == 2).sum() == 400
    assert io.overlapping_zones(wkbs) == [(1, 2)]


def test_a_dem_on_the_reference_grid_is_read_as_it_is(qgis_app, tmp_path):
    from insar_geohazards.fileio.base.raster import raster_info
    from insar_geohazards.fileio.hazard import demdifference as io

    a = write_geotiff(str(tmp_path / "a.tif"), np.ones((20, 30)), geotransform=GT, epsg=32717)
    b = write_geotiff(str(tmp_path / "b.tif"), np.ones((20, 30)), geotransform=GT, epsg=32717)
    assert io.on_reference_grid(raster_info(a), b, str(tmp_path), ("INPUT", "INPUT_2")) == b


def test_volume_table_fields():
    from insar_geohazards.fileio.hazard.demdifference import volumes_table

    t = volumes_table(np.array([[500.0, -200.0, 8.0, 10.0], [0.0, 0.0, 0.0, 4.0]]), 0.5, 100.0)
    assert list(t["zone"]) == [1, 2] and list(t["area_m2"]) == [1000.0, 400.0]
    assert t["net_m3"][0] == 300.0 and t["mean_dh_m"][0] == 300.0 / 800.0 and t["valid_share"][0] == 0.8
    assert t["sigma_m3"][0] == 0.5 * 800.0 and np.isnan(t["mean_dh_m"][1])
