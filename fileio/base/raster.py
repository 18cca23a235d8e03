"""GDAL raster <-> numpy, block-wise, with NaN for nodata.

Readers return float arrays with the band's nodata turned into NaN. Writers create
tiled, DEFLATE-compressed GeoTIFFs under a temporary name and move them into place only
when :meth:`RasterWriter.commit` is called, so a failed or canceled run never leaves a
half-written file that looks valid.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
from dataclasses import dataclass, field, fields
from typing import Optional, Sequence

import numpy as np
from osgeo import gdal, osr

from ...algorithms.engine import TILE_SIZE
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.stack_names import RASTER_EXT  # noqa: F401 - the one list, read by fileio and inputs
from .probe import data_band_index, known_header, raster_header
from .transaction import LIVE_TEMPS

#: Rows per block used by tools that stream rasters (bounded memory).
DEFAULT_BLOCK_ROWS = 256

#: Most memory one writer may hold for a row of tiles (all bands) before it is written.
TILE_ROW_BUDGET_BYTES = 64 * 1024 * 1024


@dataclass
class RasterInfo:
    """Grid and metadata of a raster (no pixel data)."""

    path: str
    width: int
    height: int
    count: int
    geotransform: tuple
    crs_wkt: str
    nodata: list = field(default_factory=list)
    descriptions: list = field(default_factory=list)
    has_georef: bool = True

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def srs(self) -> Optional[osr.SpatialReference]:
        if not self.crs_wkt:
            return None
        srs = osr.SpatialReference()
        srs.ImportFromWkt(self.crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        return srs

    @property
    def is_geographic(self) -> bool:
        srs = self.srs
        return bool(srs is not None and srs.IsGeographic())

    @property
    def pixel_size(self) -> tuple[float, float]:
        """(x, y) pixel size in CRS units (y positive)."""
        gt = self.geotransform
        return (math.hypot(gt[1], gt[2]), math.hypot(gt[4], gt[5]))

    def same_grid(self, other: "RasterInfo", *, tol: float = 1e-6) -> bool:
        if self.shape != other.shape:
            return False
        scale = max(abs(self.geotransform[1]), abs(self.geotransform[5]), 1e-12)
        if any(abs(a - b) > tol * scale for a, b in zip(self.geotransform, other.geotransform)):
            return False
        if self.crs_wkt == other.crs_wkt:  # one text, one CRS: a stack's files share it, no parsing needed
            return True
        a, b = self.srs, other.srs
        if a is None or b is None:
            return a is None and b is None
        return bool(a.IsSame(b))

    def other_grid(self, ref: "RasterInfo") -> bool:
        """True when two georeferenced rasters of the same size lie on different grids. A raster without
        georeferencing (radar geometry) is taken pixel for pixel; a CRS missing on one side is no mismatch."""
        if not (self.has_georef and ref.has_georef):
            return False
        scale = max(abs(ref.geotransform[1]), abs(ref.geotransform[5]), 1e-12)
        if any(abs(a - b) > 1e-6 * scale for a, b in zip(self.geotransform, ref.geotransform)):
            return True
        a, b = self.srs, ref.srs
        return a is not None and b is not None and not a.IsSame(b)

    def pixel_centres(self, rows=None, cols=None):
        """Map x, y of pixel centres for index arrays ``rows``, ``cols`` (broadcast)."""
        gt = self.geotransform
        r = np.asarray(rows, dtype=np.float64) + 0.5
        c = np.asarray(cols, dtype=np.float64) + 0.5
        return gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]

    def world_to_pixel(self, x, y):
        """(row, col) float indices of map coordinates (pixel corner origin)."""
        gt = self.geotransform
        det = gt[1] * gt[5] - gt[2] * gt[4]
        dx, dy = np.asarray(x, float) - gt[0], np.asarray(y, float) - gt[3]
        col = (gt[5] * dx - gt[2] * dy) / det
        row = (-gt[4] * dx + gt[1] * dy) / det
        return row, col


_INFO_FIELDS = frozenset(f.name for f in fields(RasterInfo)) - {"path"}


def open_raster(path: str, name: str = "raster") -> gdal.Dataset:
    """Open a raster read-only; a clear error names ``name`` when it is not a raster."""
    if not path:
        raise GeohazardError(f"{name}: no raster was given")
    if not (os.path.exists(path) or path.startswith(("/vsi", "NETCDF:", "HDF5:"))):
        raise GeohazardError(f"{name}: the file {path!r} does not exist")
    try:
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
    except RuntimeError as exc:
        raise GeohazardError(f"{name}: {path!r} is not a raster GDAL can read ({exc})") from None
    if ds is None or ds.RasterCount == 0:
        raise GeohazardError(f"{name}: {path!r} is not a raster GDAL can read")
    return ds


def raster_info(path: str, name: str = "raster") -> RasterInfo:
    """Read the grid, CRS, nodata and band descriptions of ``path`` (during a tool run, the header the input
    guard already read, :func:`.probe.run_headers`)."""
    header = known_header(path) if path else None
    if header is None:
        header = raster_header(open_raster(path, name))
    return RasterInfo(path=path, **{k: list(v) if isinstance(v, list) else v for k, v in header.items()
                                    if k in _INFO_FIELDS})


def _to_float(arr: np.ndarray, nodata, dtype) -> np.ndarray:
    if np.iscomplexobj(arr):
        out = arr.astype(np.complex64 if dtype == np.float32 else np.complex128)
        if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
            out[arr == nodata] = np.nan
        return out
    out = arr.astype(dtype, copy=False)  # arr is a fresh ReadAsArray result: no copy when already of dtype
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        out[arr == nodata] = np.nan
    return out


def read_band(path: str, band: Optional[int] = None, *, rows: Optional[tuple[int, int]] = None,
              name: str = "raster", dtype=np.float32) -> np.ndarray:
    """Read one band (or the row range ``rows=(start, stop)``) as float with NaN for nodata.

    ``band=None`` reads the data band: band 2 (phase) of a 2-band amplitude + phase ``.unw``,
    band 1 of anything else.
    """
    ds = open_raster(path, name)
    if band is None:
        band = data_band_index(ds, path)
    if not 1 <= band <= ds.RasterCount:
        raise GeohazardError(f"{name}: band {band} requested but {path!r} has {ds.RasterCount} band(s)")
    b = ds.GetRasterBand(band)
    r0, r1 = rows if rows is not None else (0, ds.RasterYSize)
    arr = b.ReadAsArray(0, r0, ds.RasterXSize, r1 - r0)
    return _to_float(arr, b.GetNoDataValue(), dtype)


def read_bands(path: str, *, rows: Optional[tuple[int, int]] = None, name: str = "raster",
               dtype=np.float32) -> np.ndarray:
    """Read all bands as ``(n_bands, rows, cols)`` with NaN for nodata."""
    ds = open_raster(path, name)
    r0, r1 = rows if rows is not None else (0, ds.RasterYSize)
    out = None
    for i in range(ds.RasterCount):
        b = ds.GetRasterBand(i + 1)
        arr = _to_float(b.ReadAsArray(0, r0, ds.RasterXSize, r1 - r0), b.GetNoDataValue(), dtype)
        if out is None:
            out = np.empty((ds.RasterCount,) + arr.shape, dtype=arr.dtype)
        out[i] = arr
    return out


def read_stack(paths: Sequence[str], *, rows: Optional[tuple[int, int]] = None,
               names: Optional[Sequence[str]] = None, dtype=np.float32) -> np.ndarray:
    """Read band 1 of each file into ``(n_files, rows, cols)`` (files must share a grid)."""
    out = None
    for i, p in enumerate(paths):
        arr = read_band(p, None, rows=rows, name=names[i] if names else os.path.basename(p), dtype=dtype)
        if out is None:
            out = np.empty((len(paths),) + arr.shape, dtype=arr.dtype)
        elif arr.shape != out.shape[1:]:
            raise GeohazardError(
                f"{os.path.basename(p)} has shape {arr.shape}, "
                f"expected {out.shape[1:]} like {os.path.basename(paths[0])}")
        out[i] = arr
    return out


def check_same_grid(infos: Sequence[RasterInfo], names: Sequence[str]) -> None:
    """Raise naming the first raster whose size, geotransform or CRS differs from the first."""
    ref = infos[0]
    for info, nm in zip(infos[1:], names[1:]):
        if info.shape != ref.shape:
            raise GeohazardError(
                f"{nm} has {info.height} rows x {info.width} columns, "
                f"expected {ref.height} x {ref.width} like {names[0]}")
        if not info.same_grid(ref):
            raise GeohazardError(f"{nm} is not on the same grid (origin, pixel size or CRS) as {names[0]}")


def check_overlapping_grids(infos: Sequence[RasterInfo], names: Sequence[str]) -> None:
    """Two rasters in one CRS that overlap, on the same grid (:func:`check_same_grid`)."""
    a, b = infos
    if a.crs_wkt and b.crs_wkt and a.srs is not None and not a.srs.IsSame(b.srs):
        raise GeohazardError(f"{names[1]} is in another CRS than {names[0]}; warp both to one grid first")
    ga, gb = a.geotransform, b.geotransform
    ax = (ga[0], ga[0] + a.width * ga[1])
    bx = (gb[0], gb[0] + b.width * gb[1])
    ay = (ga[3] + a.height * ga[5], ga[3])
    by = (gb[3] + b.height * gb[5], gb[3])
    if ax[1] <= bx[0] or bx[1] <= ax[0] or ay[1] <= by[0] or by[1] <= ay[0]:
        raise GeohazardError(f"{names[0]} and {names[1]} do not overlap")
    check_same_grid(infos, names)


def require_projected(info: RasterInfo, name: str) -> None:
    """Raise when a raster has no CRS or a geographic one where metres are needed."""
    if not info.crs_wkt:
        raise GeohazardError(f"{name} has no coordinate reference system; a projected CRS in metres is needed")
    if info.is_geographic:
        raise GeohazardError(
            f"{name} is in a geographic CRS (degrees); reproject it to a projected CRS in metres (e.g. UTM) first")


def output_tile_rows(width: int, count: int = 1, itemsize: int = 4) -> int:
    """Tile height of an output: 256, or less (a multiple of 16) when a row of tiles of all
    ``count`` bands would exceed :data:`TILE_ROW_BUDGET_BYTES` (wide, many-band outputs)."""
    per_row = max(1, int(width) * int(count) * int(itemsize))
    rows = TILE_ROW_BUDGET_BYTES // per_row
    return int(min(TILE_SIZE, max(16, rows // 16 * 16)))


def aligned_block_rows(rows: int, tile_rows: int) -> int:
    """Block rows that line up with tiles ``tile_rows`` high: a multiple of the tile height
    when ``rows`` allows, else the largest divisor of the tile height not above ``rows``.

    Every block then fills whole tiles (or an exact fraction of one), so a compressed tile is
    written once instead of being rewritten block after block."""
    rows, tile_rows = max(1, int(rows)), max(1, int(tile_rows))
    if rows >= tile_rows:
        return rows // tile_rows * tile_rows
    for d in range(rows, 0, -1):
        if tile_rows % d == 0:
            return d
    return 1


@functools.lru_cache(maxsize=1)
def gtiff_has_zstd() -> bool:
    """True when this GDAL's GeoTIFF driver writes ZSTD (built with libzstd)."""
    drv = gdal.GetDriverByName("GTiff")
    return drv is not None and "ZSTD" in (drv.GetMetadataItem("DMD_CREATIONOPTIONLIST") or "")


#: held while GDAL's block cache size is changed (the stack readers' threads and the runs' caps)
CACHE_LOCK = threading.Lock()
_CACHE_CAPS: list = []  # caps of the runs now inside gdal_cache_limit
_CACHE_ORIGINAL: list = []  # GDAL's cache before the first of them


@contextlib.contextmanager
def gdal_cache_limit(max_mb: float):
    """Lower GDAL's block cache (``GDAL_CACHEMAX``) to ``max_mb`` for the ``with`` body, then restore it.

    GDAL's default cache is 5 % of the RAM: a tool reading a stack of many files keeps up to that
    much of their decoded tiles whatever its block budget. Never raises the cache; runs overlapping in
    threads (QGIS background tasks) share the smallest cap, and the last one out restores the original."""
    cap = max(1 << 20, int(max_mb * 1024 * 1024))
    with CACHE_LOCK:
        if not _CACHE_CAPS:
            _CACHE_ORIGINAL[:] = [gdal.GetCacheMax()]
        _CACHE_CAPS.append(cap)
        gdal.SetCacheMax(min(_CACHE_ORIGINAL[0], *_CACHE_CAPS))
    try:
        yield
    finally:
        with CACHE_LOCK:
            _CACHE_CAPS.remove(cap)
            gdal.SetCacheMax(min(_CACHE_ORIGINAL[0], *_CACHE_CAPS) if _CACHE_CAPS else _CACHE_ORIGINAL[0])


def _close_failed(ds) -> None:
    """Close a dataset whose output is being thrown away. Closing writes what GDAL still holds (a full disk fails
    again there): the error is dropped here, where the caller already reports the first one, instead of escaping
    from the dataset's destructor as an unraisable exception."""
    close = getattr(ds, "Close", None) or functools.partial(type(ds).__swig_destroy__, ds)  # GDAL < 3.8: the same call
    try:
        close()
    except RuntimeError:
        # GDAL freed the dataset before reporting the error; GDAL 3.10's wrapper still owns the handle when Close
        # raises, and its destructor would free it again (a segmentation fault). Later wrappers let go themselves.
        if getattr(ds, "this", None) is not None:
            ds.thisown = 0


class RasterWriter:
    """Block-wise GeoTIFF writer that only publishes a complete file.

    Use as a context manager: the file is written under a temporary name and renamed to
    ``path`` by :meth:`commit`; leaving the block without commit (error, cancel) deletes it.

    Rows written in order are gathered into whole rows of tiles before they reach GDAL, so
    each compressed tile is written once whatever the callers' block height and GDAL's cache
    size (blocks not aligned with tiles otherwise make GDAL re-compress and append partial
    tiles: files many times their size with a small ``GDAL_CACHEMAX``). Compression runs in
    GDAL's worker threads (``NUM_THREADS``), overlapping the caller's work.

    Parameters
    ----------
    path : str
        Destination (``.tif``).
    width, height : int
        Grid size.
    geotransform, crs_wkt :
        Georeferencing (copied from an input's :class:`RasterInfo` usually).
    count : int
        Number of bands.
    descriptions : list of str, optional
        Band descriptions (ISO dates for time series).
    dtype : numpy dtype
        float32 by default; NaN is the nodata value for float types.
    zlevel : int
        DEFLATE level (1-9). Default 1: on float rasters it takes ~60 % of the CPU time of
        GDAL's default 6 for files < 1 % larger (the 1-Mpx, 60-band SBAS time series:
        207.6 vs 206.0 MB); lossless either way.
    compress : {"DEFLATE", "ZSTD", "NONE"}
        Codec. DEFLATE (default) is read by every GeoTIFF reader. ZSTD (level ``zlevel``, same
        predictor) is lossless too and takes about half the CPU time for the same size (the 1-Mpx,
        60-band SBAS time series: 1.1 vs 2.5 CPU-s, 210.8 vs 207.6 MB); GDAL-based software reads
        it (QGIS, MintPy, rasterio; GDAL >= 2.3), some other readers do not. Falls back to
        DEFLATE when this GDAL has no ZSTD. "NONE": uncompressed tiles (a stack the next step of a
        model reads and QGIS deletes: writing a 0.5-Mpx float32 interferogram takes 2.7 ms against 13.7
        with ZSTD, reading it 0.8 ms against 9.7; benchmarks/corrections/chain_speed.py).
    tile_rows : int, optional
        Tile height (a multiple of 16; default :func:`output_tile_rows`). A tool writing many files
        block by block gives its block height: each block then completes a row of tiles of every
        file, written straight to GDAL and flushed (no tile-row buffer per file, no tiles held in
        GDAL's cache).
    tile_cols : int, optional
        Tile width (a multiple of 16; default 256; series rasters: :func:`.series_tiles.series_tile_size`).
    """

    _GDAL_TYPES = {
        np.dtype(np.float32): gdal.GDT_Float32,
        np.dtype(np.float64): gdal.GDT_Float64,
        np.dtype(np.uint8): gdal.GDT_Byte,
        np.dtype(np.int16): gdal.GDT_Int16,
        np.dtype(np.uint16): gdal.GDT_UInt16,
        np.dtype(np.int32): gdal.GDT_Int32,
        np.dtype(np.complex64): gdal.GDT_CFloat32,
    }

    def __init__(self, path: str, *, width: int, height: int, geotransform, crs_wkt: str,
                 count: int = 1, descriptions: Optional[Sequence[str]] = None, dtype=np.float32,
                 nodata: Optional[float] = None, metadata: Optional[dict] = None,
                 zlevel: Optional[int] = 1, compress: str = "DEFLATE", tile_rows=None, tile_cols=None):
        self.path = path
        self.dtype = np.dtype(dtype)
        self._tmp = path + ".part.tif"
        self._done = True
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise GeohazardError(f"output folder {folder!r} does not exist")
        if self.dtype not in self._GDAL_TYPES:
            raise ValueError(f"unsupported dtype {self.dtype}")
        if nodata is None and self.dtype.kind == "f":
            nodata = float("nan")
        self.width, self.height, self.count = int(width), int(height), int(count)
        self.tile_rows = output_tile_rows(self.width, self.count, self.dtype.itemsize) if tile_rows is None \
            else int(tile_rows)
        self.tile_cols = TILE_SIZE if tile_cols is None else int(tile_cols)
        if min(self.tile_rows, self.tile_cols) < 16 or self.tile_rows % 16 or self.tile_cols % 16:
            raise ValueError(f"tile_rows and tile_cols must each be a multiple of 16, got {tile_rows}, {tile_cols}")
        codec = str(compress).upper()
        codec = codec if codec == "NONE" or (codec == "ZSTD" and gtiff_has_zstd()) else "DEFLATE"
        options = ["TILED=YES", f"BLOCKXSIZE={self.tile_cols}", f"BLOCKYSIZE={self.tile_rows}", f"COMPRESS={codec}",
                   "BIGTIFF=IF_SAFER", "NUM_THREADS=" + (gdal.GetConfigOption("GDAL_NUM_THREADS") or "ALL_CPUS")]
        if self.dtype.kind == "f" and codec != "NONE":
            options.append("PREDICTOR=3" if self.dtype != np.complex64 else "PREDICTOR=1")
        if zlevel is not None and codec != "NONE":
            options.append(f"ZSTD_LEVEL={int(zlevel)}" if codec == "ZSTD" else f"ZLEVEL={int(zlevel)}")
        if count > 1:
            options.append("INTERLEAVE=BAND")
        drv = gdal.GetDriverByName("GTiff")
        LIVE_TEMPS.add(self._tmp)
        self._ds = drv.Create(self._tmp, self.width, self.height, self.count, self._GDAL_TYPES[self.dtype], options)
        if self._ds is None:
            raise GeohazardError(f"cannot create the output raster {path!r}")
        self._done = False
        if geotransform is not None:
            self._ds.SetGeoTransform(tuple(geotransform))
        if crs_wkt:
            self._ds.SetProjection(crs_wkt)
        for i in range(count):
            band = self._ds.GetRasterBand(i + 1)
            if nodata is not None:
                band.SetNoDataValue(nodata)
            if descriptions is not None:
                band.SetDescription(str(descriptions[i]))
        if metadata:
            self._ds.SetMetadata({str(k): str(v) for k, v in metadata.items()})
        self._lo, self._hi = np.full(self.count, np.nan), np.full(self.count, np.nan)  # extremes written per band
        # tile-row buffer: rows [_row0, _row0 + tile_rows) of every band, filled in order
        self._row0 = 0
        self._fill = np.zeros(self.count, np.int64)
        self._buf = None
        self._streaming = True

    @classmethod
    def like(cls, path: str, info: RasterInfo, **kwargs) -> "RasterWriter":
        """A writer on the same grid and CRS as ``info`` (no CRS for a grid without georeference: a CRS on pixel
        coordinates would put the raster on a map at 1-unit pixels)."""
        return cls(path, width=info.width, height=info.height,
                   geotransform=info.geotransform if info.has_georef else None,
                   crs_wkt=info.crs_wkt if info.has_georef else "", **kwargs)

    def _gdal_write(self, band: int, arr: np.ndarray, row: int) -> None:
        arr = arr.astype(self.dtype, copy=False)
        if self.dtype.kind == "f" and arr.size:
            nan = np.isnan(arr)
            if nan.any():  # one NaN: its sign and payload depend on operand order, not on the data (same bytes)
                arr = np.where(nan, self.dtype.type(np.nan), arr)
        if self.dtype.kind in "fiu" and arr.size:
            self._lo[band - 1] = np.fmin(self._lo[band - 1], np.fmin.reduce(arr, axis=None))
            self._hi[band - 1] = np.fmax(self._hi[band - 1], np.fmax.reduce(arr, axis=None))
        self._ds.GetRasterBand(band).WriteArray(arr, 0, row)

    def _constant_band_statistics(self) -> None:
        """Statistics of each one-value band (a series' reference date): QGIS stretches colours over a histogram
        from minimum to maximum, which GDAL 3.10 refuses when equal ("ERROR 5: dfMax should be strictly greater
        than dfMin"). The stored maximum is one float32 step above the value (the pixels keep it)."""
        lo, hi = self._lo, self._hi
        for i in np.flatnonzero(np.isfinite(lo) & (lo == hi)):
            step = float(np.spacing(np.float32(max(abs(lo[i]), 1.0))))
            self._ds.GetRasterBand(int(i) + 1).SetStatistics(float(lo[i]), float(lo[i]) + step, float(lo[i]), 0.0)

    def _flush_buffer(self) -> None:
        """Write the buffered rows of every band and start the next row of tiles."""
        if self._buf is not None:
            for i in range(self.count):
                if self._fill[i]:
                    self._gdal_write(i + 1, self._buf[i, :self._fill[i]], self._row0)
            # compress and write this row of tiles now (in GDAL's worker threads) rather than
            # all of them at commit: with a write-behind thread this overlaps the computation
            self._ds.FlushCache()
        self._row0 += self.tile_rows
        self._fill[:] = 0

    def _write_band(self, i: int, block: np.ndarray, row: int) -> None:
        """Band index ``i`` (0-based), rows ``row:row + len(block)``."""
        h = block.shape[0]
        pos = 0
        while pos < h and self._streaming:
            end_tiles = min(self.height, self._row0 + self.tile_rows)
            f = int(self._fill[i])
            n = min(h - pos, end_tiles - (self._row0 + f))
            if row + pos != self._row0 + f or n <= 0:
                self._stop_streaming()
                break
            if self.count == 1 and f == 0 and n == end_tiles - self._row0:
                # a whole row of tiles at once: straight to GDAL, no copy into the buffer
                self._gdal_write(1, block[pos:pos + n], self._row0)
                self._ds.FlushCache()
                self._row0 += self.tile_rows
                pos += n
                continue
            if self._buf is None:
                self._buf = np.empty((self.count, self.tile_rows, self.width), self.dtype)
            self._buf[i, f:f + n] = block[pos:pos + n]
            self._fill[i] += n
            pos += n
            if (self._fill == end_tiles - self._row0).all():
                self._flush_buffer()
        if pos < h:
            self._gdal_write(i + 1, block[pos:], row + pos)

    def _stop_streaming(self) -> None:
        """Writes out of order: hand what is buffered to GDAL and write directly from now on."""
        if self._buf is not None:
            for j in range(self.count):
                if self._fill[j]:
                    self._gdal_write(j + 1, self._buf[j, :self._fill[j]], self._row0)
        self._streaming = False
        self._buf = None

    def write(self, block: np.ndarray, *, row: int = 0, band: Optional[int] = None) -> None:
        """Write a 2-D block into ``band`` (1-based) or a 3-D block into all bands at ``row``."""
        block = np.asarray(block)
        row = int(row)
        if block.ndim == 2:
            self._write_band((band or 1) - 1, block, row)
            return
        # all bands: piece by piece at tile boundaries, so no band runs ahead into the next row of tiles
        h = block.shape[1]
        pos = 0
        while pos < h:
            n = min(h - pos, self.tile_rows - (row + pos) % self.tile_rows)
            for i in range(block.shape[0]):
                self._write_band(i, block[i, pos:pos + n], row + pos)
            pos += n

    def finish(self) -> None:
        """Flush and close the file (every row written) but leave it under its temporary name until
        :meth:`commit`: GDAL's cache lets go of its tiles (a tool writing many files one after the
        other keeps one file's tiles in memory, not all of them)."""
        if self._ds is None:
            return
        if self._streaming and self._fill.any():
            self._flush_buffer()
        self._buf = None
        self._constant_band_statistics()
        self._ds.FlushCache()
        self._ds = None

    def commit(self) -> str:
        """Flush, close and move the file into place; returns the final path."""
        self.finish()
        os.replace(self._tmp, self.path)
        LIVE_TEMPS.discard(self._tmp)
        self._done = True
        return self.path

    def abort(self) -> None:
        """Close and delete the temporary file."""
        ds, self._ds = self._ds, None
        if ds is not None:
            _close_failed(ds)
        self._buf = None
        for p in (self._tmp, self._tmp + ".aux.xml"):
            if os.path.exists(p):
                os.remove(p)
        LIVE_TEMPS.discard(self._tmp)
        self._done = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self._done:
            if exc_type is None:
                self.commit()
            else:
                self.abort()
        return False


def write_raster(path: str, array: np.ndarray, info: RasterInfo, *, descriptions=None, dtype=np.float32,
                 metadata: Optional[dict] = None) -> str:
    """Write a whole 2-D or 3-D array on the grid of ``info`` (small outputs)."""
    arr = np.asarray(array)
    count = 1 if arr.ndim == 2 else arr.shape[0]
    with RasterWriter.like(path, info, count=count, descriptions=descriptions, dtype=dtype,
                           metadata=metadata) as w:
        w.write(arr)
    return path


class SkippedWriter:
    """Stand-in for a :class:`RasterWriter` of an optional output the user left out: writes nothing."""

    path = ""
    _done = False

    def write(self, block, *, row: int = 0, band: Optional[int] = None) -> None:
        return None

    def commit(self) -> str:
        self._done = True
        return ""

    def abort(self) -> None:
        self._done = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False


def optional_writer(path: str, info: RasterInfo, **kwargs):
    """``RasterWriter.like(path, info, ...)``, or a :class:`SkippedWriter` when ``path`` is empty
    (an optional output that was not asked for)."""
    return RasterWriter.like(path, info, **kwargs) if path else SkippedWriter()
