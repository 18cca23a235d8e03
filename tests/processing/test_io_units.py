"""fileio/formats/units.py: a raster's declared unit, the |value| percentile sample, a metre raster read as
millimetres."""

import os

import numpy as np
from osgeo import gdal

from insar_geohazards.fileio.formats import units


def _tif(path, arr, unit=None, band_unit=None, nodata=None):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arr.shape[1], arr.shape[0], 1, gdal.GDT_Float32)
    ds.SetGeoTransform((500000.0, 10.0, 0.0, 4100000.0, 0.0, -10.0))
    if unit:
        ds.SetMetadata({"UNIT": unit})
    band = ds.GetRasterBand(1)
    if band_unit:
        band.SetUnitType(band_unit)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    band.WriteArray(arr)
    ds = None
    return str(path)


def test_declared_unit_from_dataset_metadata_then_band_unit_type(tmp_path):
    a = np.ones((4, 5), np.float32)
    assert units.declared_unit(_tif(tmp_path / "m.tif", a, unit="m")) == "m"
    assert units.declared_unit(_tif(tmp_path / "b.tif", a, band_unit="mm/yr")) == "mm/yr"
    assert units.declared_unit(_tif(tmp_path / "none.tif", a)) == ""


def test_abs_percentile_leaves_out_nodata_and_nan(tmp_path):
    a = np.arange(20, dtype=np.float32).reshape(4, 5) - 10.0  # -10 .. 9
    a[0, 0] = -9999.0
    a[1, 1] = np.nan
    p = units.abs_percentile(_tif(tmp_path / "v.tif", a, nodata=-9999.0), 100.0)
    assert p == 9.0  # |-10| is the no-data cell; |-9| and 9 are the largest left
    empty = np.full((3, 3), np.nan, np.float32)
    assert units.abs_percentile(_tif(tmp_path / "e.tif", empty)) is None


def test_metres_read_as_millimetres_in_the_given_folder_never_beside_the_input(tmp_path):
    src_dir, scratch = tmp_path / "in", tmp_path / "scratch"
    src_dir.mkdir()
    scratch.mkdir()
    a = np.array([[0.001, -0.0025], [0.01, 0.0]], np.float32)
    path = _tif(src_dir / "d.tif", a, unit="m")
    vrt, factor, unit_from, unit_to = units.scaled_to_mm(path, str(scratch))
    assert (factor, unit_from, unit_to) == (1000.0, "m", "mm")
    assert os.path.dirname(vrt) == str(scratch) and os.listdir(src_dir) == ["d.tif"]
    ds = gdal.Open(vrt)
    np.testing.assert_allclose(ds.GetRasterBand(1).ReadAsArray(), a * 1000.0, rtol=1e-6)
    assert ds.GetMetadata()["UNIT"] == "mm" and ds.GetMetadata()["UNIT_CONVERTED_FROM"] == "m"
    ds = None
    assert units.scaled_to_mm(path, str(scratch))[0] == vrt  # the same file again, not a second copy
    assert units.scaled_to_mm(_tif(src_dir / "mm.tif", a, unit="mm"), str(scratch)) is None
