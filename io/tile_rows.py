"""Rows of tiles of many uncompressed GeoTIFFs read whole into one array reused from row to row."""

from __future__ import annotations

from typing import Optional

import numpy as np
from osgeo import gdal, gdal_array

from .probe import data_band_index
from .raster import open_raster


class TileRows:
    """The current row of tiles of every file of ``paths``, read whole (``(files, tile rows, width)``).

    Blocks shorter than the files' tiles, read through GDAL's block cache, cost more than the bytes: every
    tile is a fresh heap allocation whose pages the kernel faults in and zeroes (the cache is emptied at the
    end of each row of tiles to bound memory), then copied again into the block (1 Mpx x 202 uncompressed
    float32 files in 32-row blocks: ~0.6 CPU-s, against ~0.15 CPU-s here). Uncompressed GeoTIFFs opened with
    GDAL's direct I/O (``GTIFF_DIRECT_IO``) are read straight from the file into this array instead, one
    row of tiles of every file at a time; the blocks are views of it. The array takes what the block cache
    would hold for the same rows (and the cache then stays empty), so :meth:`for_paths` accepts it only
    within the cache's size. Values are the files' own: the same bits as a windowed read. The files are opened
    for each row of tiles and closed after it (an open costs ~20 us): the stack keeps its own handles, and
    holding a second set would double the open files of a run (hundreds of interferograms and coherences).
    """

    def __init__(self, sources: list, dtype, tile_height: int, height: int, width: int):
        self.sources = sources  # (path, band index)
        self.tile_height, self.height, self.width = int(tile_height), int(height), int(width)
        self.buf = np.empty((len(sources), self.tile_height, self.width), dtype)
        self.top = -1

    @classmethod
    def for_paths(cls, paths: list, *, height: int, width: int, block_rows: int,
                  budget_bytes: int) -> Optional["TileRows"]:
        """A reader of ``paths`` when it applies, else ``None`` (the caller reads windows): every file an
        uncompressed, real-valued GeoTIFF with the same tile height, taller than ``block_rows``, and one row of
        tiles of all of them within ``budget_bytes``."""
        if not paths:
            return None
        sources, kinds = [], set()
        for path in paths:
            ds = open_raster(path, path)
            if ds.GetDriver().ShortName != "GTiff" or ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"):
                return None
            index = data_band_index(ds, path)
            band = ds.GetRasterBand(index)
            kinds.add((band.DataType, band.GetBlockSize()[1]))
            band = ds = None
            if len(kinds) > 1:
                return None
            sources.append((path, index))
        dtype_code, tile_height = kinds.pop()
        tile_height = min(int(tile_height), int(height))
        if gdal.DataTypeIsComplex(dtype_code) or tile_height <= block_rows:
            return None
        dtype = np.dtype(gdal_array.GDALTypeCodeToNumericTypeCode(dtype_code))
        if len(paths) * tile_height * int(width) * dtype.itemsize > budget_bytes:
            return None
        return cls(sources, dtype, tile_height, height, width)

    def rows(self, k: int, r0: int, r1: int) -> Optional[np.ndarray]:
        """Rows ``r0:r1`` (all columns) of file ``k`` as a view, reading their row of tiles of every file when it
        is not the current one; ``None`` when the rows cross two rows of tiles (read them as a window)."""
        top = r0 // self.tile_height * self.tile_height
        if (r1 - 1) // self.tile_height * self.tile_height != top:
            return None
        if top != self.top:
            self.top = -1
            self._fill(top, min(self.tile_height, self.height - top))
            self.top = top
        return self.buf[k, r0 - top:r1 - top]

    def _fill(self, top: int, h: int) -> None:
        previous = gdal.GetThreadLocalConfigOption("GTIFF_DIRECT_IO", None)
        gdal.SetThreadLocalConfigOption("GTIFF_DIRECT_IO", "YES")  # taken when a dataset is opened
        try:
            for j, (path, index) in enumerate(self.sources):
                ds = open_raster(path, path)
                ds.GetRasterBand(index).ReadAsArray(0, top, self.width, h, buf_obj=self.buf[j, :h])
                ds = None
        finally:
            gdal.SetThreadLocalConfigOption("GTIFF_DIRECT_IO", previous)
