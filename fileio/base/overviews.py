"""Overviews of large raster outputs: QGIS draws a zoomed-out view of a large raster from its overviews instead of
reading every pixel at every redraw.

Built inside the GeoTIFF (internal overviews, as ``gdaladdo`` does) once the run's outputs are written, before they
are published; the data bands are untouched (the same values whatever the overviews). Averaged for measurements
(NaN and the nodata value left out), the nearest value for classes (integer rasters)."""

from __future__ import annotations

import os
from typing import Iterable

from osgeo import gdal

#: A raster with a side longer than this gets overviews: QGIS shows a map a few thousand pixels wide at most, so a
#: smaller raster is read whole at little cost.
MIN_SIDE_PX = 2048
#: Overviews are halved until their longest side is at most this.
SMALLEST_SIDE_PX = 256


def overview_levels(width: int, height: int) -> list:
    """Decimation factors (2, 4, 8 ...) for a ``width`` x ``height`` raster; [] when it is too small to need any."""
    side = max(int(width), int(height))
    if side <= MIN_SIDE_PX:
        return []
    levels, factor = [], 2
    while side / factor >= SMALLEST_SIDE_PX:
        levels.append(factor)
        factor *= 2
    return levels or [2]


def build_overviews(paths: Iterable[str], log=None) -> list:
    """Internal overviews in every large GeoTIFF among ``paths`` (those with a side over :data:`MIN_SIDE_PX`);
    ``log.push_info`` says which. A file that is a link (an output folder may link inputs kept unchanged) is left
    alone. Returns ``[(path, levels)]`` of the files given overviews."""
    done = []
    for path in paths:
        if not str(path).lower().endswith((".tif", ".tiff")) or not os.path.isfile(path) or os.path.islink(path) \
                or os.stat(path).st_nlink > 1:
            continue
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_UPDATE)
        if ds is None:
            continue
        levels = overview_levels(ds.RasterXSize, ds.RasterYSize)
        band = ds.GetRasterBand(1)
        if not levels or band.GetOverviewCount():
            ds = None
            continue
        integer = gdal.GetDataTypeName(band.DataType).startswith(("Byte", "Int", "UInt"))
        compression = ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE")
        options = {"COMPRESS_OVERVIEW": compression or "NONE", "GDAL_TIFF_OVR_BLOCKSIZE": "256",
                   "GDAL_NUM_THREADS": "1"}  # the same bytes whatever the machine
        before = {k: gdal.GetConfigOption(k) for k in options}
        try:
            for k, v in options.items():
                gdal.SetConfigOption(k, v)
            ds.BuildOverviews("NEAREST" if integer else "AVERAGE", levels)
        finally:
            for k, v in before.items():
                gdal.SetConfigOption(k, v)
        size = (ds.RasterXSize, ds.RasterYSize)
        ds = None
        done.append((path, levels))
        if log is not None:
            log.push_info(f"{os.path.basename(path)}: {size[0]} x {size[1]} pixels, overviews 1/"
                          + ", 1/".join(str(f) for f in levels) + " built inside the file (QGIS redraws it zoomed "
                          "out from them)")
    return done
