"""Rows of an uncompressed tiled GeoTIFF read straight from its tiles: the bytes of the rows asked, one read a tile.

A stack is read block by block, each block a few tens of rows with its neighbours. GDAL reads a window of an
uncompressed tiled file a whole tile at a time, without its block cache as the stack reader opens them
(``GTIFF_DIRECT_IO``) and through it otherwise: a block of 43 rows of 256-row tiles copies six times the bytes it
uses, every block, and a sample of single rows spread over the grid (the closure offsets' 64 rows) copies every
tile of every file. The rows of a tile are contiguous in the file, so :class:`TileRows` reads each tile's part of
the window with one ``pread`` and puts it in place: the file's own bytes, as GDAL's read gives them (byte order
converted where the file is big-endian). Any file it does not describe exactly (compressed, pixel-interleaved
bands, a sample size numpy has no type for, sparse or short tiles, a read that comes back short) is left to GDAL.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from osgeo import gdal

#: GDAL data types whose samples numpy reads as they are stored (a sample of ``itemsize`` bytes, no padding)
_NUMPY_TYPES = {gdal.GDT_Byte: "u1", gdal.GDT_UInt16: "u2", gdal.GDT_Int16: "i2", gdal.GDT_UInt32: "u4",
                gdal.GDT_Int32: "i4", gdal.GDT_Float32: "f4", gdal.GDT_Float64: "f8", gdal.GDT_CFloat32: "c8",
                gdal.GDT_CFloat64: "c16"}


def read_window(readers: dict, ds, band, path: str, rows: tuple, cols: tuple, out=None) -> Optional[np.ndarray]:
    """Rows ``rows`` = (r0, r1) and columns ``cols`` = (c0, c1) of ``band`` (of ``ds``, opened from ``path``) from
    its tiles (:meth:`TileRows.read`; the reader made once a path and kept in ``readers``), or None where GDAL must
    read them."""
    reader = readers.get(path, False)
    if reader is False:
        reader = readers[path] = TileRows.of(ds, band, path)
    return None if reader is None else reader.read(rows[0], rows[1], cols[0], cols[1], out)


class TileRows:
    """The window reader of one band of an uncompressed GeoTIFF (:meth:`of`); :meth:`read` gives a window's
    values, or None where GDAL must read it."""

    def __init__(self, path: str, band, dtype: np.dtype, block: tuple, item: int):
        self.path, self.band, self.dtype, self.item = path, band, dtype, item
        self.bw, self.bh = block
        self._offsets: dict = {}

    @classmethod
    def of(cls, ds, band, path: str) -> Optional["TileRows"]:
        """The reader of ``band`` (of the GDAL dataset ``ds`` opened from ``path``), or None where the file is not
        a local uncompressed GeoTIFF whose band is stored in tiles (or strips) of its own."""
        try:
            if path.startswith("/vsi") or ds.GetDriver().ShortName != "GTiff":
                return None
            structure = ds.GetMetadata("IMAGE_STRUCTURE") or {}
            if (structure.get("COMPRESSION", "NONE").upper() not in ("", "NONE") or "NBITS" in structure
                    or "PIXELTYPE" in structure
                    or (ds.RasterCount > 1 and structure.get("INTERLEAVE", "").upper() != "BAND")):
                return None
            code = _NUMPY_TYPES.get(band.DataType)
            if code is None:
                return None
            with open(path, "rb") as f:
                order = f.read(2)
            if order not in (b"II", b"MM"):
                return None
            dtype = np.dtype(("<" if order == b"II" else ">") + code)
            bw, bh = band.GetBlockSize()
            if bw < 1 or bh < 1:
                return None
            reader = cls(path, band, dtype, (int(bw), int(bh)), dtype.itemsize)
            if reader._offset(0, 0) is None:
                return None
            return reader
        except (OSError, RuntimeError, ValueError):
            return None

    def _offset(self, tx: int, ty: int) -> Optional[int]:
        """Where tile ``(tx, ty)`` starts in the file, None where it is not stored whole (sparse, short)."""
        key = (tx, ty)
        if key not in self._offsets:
            off = self.band.GetMetadataItem(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF")
            size = self.band.GetMetadataItem(f"BLOCK_SIZE_{tx}_{ty}", "TIFF")
            ok = (off is not None and size is not None and int(off) > 0
                  and int(size) == self.bw * self.bh * self.item)
            self._offsets[key] = int(off) if ok else None
        return self._offsets[key]

    def read(self, r0: int, r1: int, c0: int, c1: int, out: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
        """The values of rows ``r0:r1``, columns ``c0:c1`` (in the band's type, native byte order; into ``out``
        when given, converted to its type), or None (nothing written) where GDAL must read them."""
        bw, bh, item = self.bw, self.bh, self.item
        tiles = []
        for ty in range(r0 // bh, (r1 - 1) // bh + 1):
            for tx in range(c0 // bw, (c1 - 1) // bw + 1):
                off = self._offset(tx, ty)
                if off is None:
                    return None
                tiles.append((tx, ty, off))
        parts = []
        try:
            with open(self.path, "rb", buffering=0) as f:
                for tx, ty, off in tiles:
                    a, b = max(r0, ty * bh) - ty * bh, min(r1, (ty + 1) * bh) - ty * bh
                    n = (b - a) * bw * item
                    data = _read_at(f, n, off + a * bw * item)
                    if len(data) != n:
                        return None
                    parts.append((tx, ty, a, b, np.frombuffer(data, self.dtype).reshape(b - a, bw)))
        except OSError:
            return None
        if out is None:
            out = np.empty((r1 - r0, c1 - c0), self.dtype.newbyteorder("="))
        for tx, ty, a, b, tile in parts:
            x0, x1 = max(c0, tx * bw) - tx * bw, min(c1, (tx + 1) * bw) - tx * bw
            out[ty * bh + a - r0:ty * bh + b - r0, tx * bw + x0 - c0:tx * bw + x1 - c0] = tile[:, x0:x1]
        return out


def _read_at(f, n: int, offset: int) -> bytes:
    """``n`` bytes of the open file ``f`` from ``offset`` (fewer at its end): one ``pread`` where the system has it,
    a seek and a read elsewhere (Windows)."""
    if _PREAD is not None:
        return _PREAD(f.fileno(), n, offset)
    f.seek(offset)
    return f.read(n)


#: ``os.pread`` where the system has it (not on Windows)
_PREAD = getattr(os, "pread", None)
