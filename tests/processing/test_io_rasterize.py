"""fileio/base/rasterize.py: polygons burnt on a raster grid where pixel centres are inside, and the same rows read
band by band (rows away from every polygon read as zeros)."""

import numpy as np
import pytest


def _grid(height=12, width=10):
    from insar_geohazards.fileio.base.raster import RasterInfo

    # 10 m pixels, north up, origin (1000, 2120): row r spans y 2120 - 10 r .. 2110 - 10 r
    return RasterInfo(path="", width=width, height=height, count=1,
                      geotransform=(1000.0, 10.0, 0.0, 2120.0, 0.0, -10.0), crs_wkt="")


def _square_wkb(x0, y0, x1, y1):
    from osgeo import ogr

    return ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))").ExportToWkb()


def test_pixels_whose_centre_is_inside_are_burnt(qgis_app):
    from insar_geohazards.fileio.base.rasterize import burn_polygons

    # x 1020..1050 covers the centres of columns 2, 3, 4; y 2090..2060 the centres of rows 3, 4, 5
    mask = burn_polygons([_square_wkb(1020, 2060, 1050, 2090)], _grid())
    expected = np.zeros((12, 10), np.uint8)
    expected[3:6, 2:5] = 1
    assert mask.dtype == np.uint8 and np.array_equal(mask, expected)
    two = burn_polygons([_square_wkb(1020, 2060, 1050, 2090), _square_wkb(1080, 2000, 1100, 2010)], _grid())
    assert two.sum() == 9 + 2 and two[11, 8:].tolist() == [1, 1]


@pytest.mark.parametrize("r0, r1", [(0, 12), (0, 1), (2, 7), (5, 6), (9, 12)])
def test_rows_read_are_the_rows_of_the_whole_burn(qgis_app, r0, r1):
    from insar_geohazards.fileio.base.rasterize import burn_polygons, polygon_rows_reader

    wkbs = [_square_wkb(1020, 2060, 1050, 2090), _square_wkb(1015, 2005, 1075, 2032)]
    whole = burn_polygons(wkbs, _grid())
    part = polygon_rows_reader(_grid(), wkbs)(r0, r1)
    assert part.shape == (r1 - r0, 10) and np.array_equal(part, whole[r0:r1])
