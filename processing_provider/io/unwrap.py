"""IO of the unwrapping tool: the data type of an input interferogram and the unwrapped
rasters read back from their (not yet published) writers for the closure check."""

from __future__ import annotations

import numpy as np
from osgeo import gdal

from .raster import open_raster


def is_complex(path: str) -> bool:
    """True when band 1 of ``path`` holds complex values (a wrapped interferogram as a + ib)."""
    ds = open_raster(path)
    band = ds.GetRasterBand(1)
    return bool(gdal.DataTypeIsComplex(band.DataType))


def read_back(writer) -> np.ndarray:
    """Band 1 of a :class:`RasterWriter` still being written (its cache flushed first)."""
    writer._ds.FlushCache()
    band = writer._ds.GetRasterBand(1)
    return band.ReadAsArray()
