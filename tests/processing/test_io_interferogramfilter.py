"""fileio.interferograms.interferogramfilter: the looked grid, the output names, and the source that reads the input
rows of a block of the looked grid."""

import numpy as np
from testutils import write_geotiff

from insar_geohazards.fileio.base.raster import raster_info
from insar_geohazards.fileio.interferograms import interferogramfilter as ifg_io


def test_looked_grid_scales_the_geotransform_and_drops_partial_windows(tmp_path):
    path = write_geotiff(tmp_path / "a.tif", np.zeros((31, 20)), geotransform=(100.0, 10.0, 0.0, 900.0, 0.0, -5.0))
    grid = ifg_io.looked_info(raster_info(path), 4, 3)
    assert (grid["height"], grid["width"]) == (7, 6)
    assert grid["geotransform"] == [100.0, 30.0, 0.0, 900.0, 0.0, -20.0]


def test_output_names_keep_the_input_names():
    assert ifg_io.output_name("/x/20200101_20200113.geo.diff_pha.tif") == "20200101_20200113.geo.diff_pha.tif"
    assert ifg_io.output_name("/tmp/p/20200101_20200113.vrt") == "20200101_20200113.tif"
    assert ifg_io.output_name("/x/20200101_20200113.int") == "20200101_20200113.int.tif"


def test_looked_source_reads_the_input_rows_of_a_looked_block(tmp_path):
    arr = np.arange(12 * 10, dtype=np.float32).reshape(12, 10)
    src = ifg_io.LookedSource(write_geotiff(tmp_path / "a.tif", arr), 3, 2, dtype=np.float32, name="a.tif")
    np.testing.assert_array_equal(src.read(1, 3, 4), arr[3:9, :8])
