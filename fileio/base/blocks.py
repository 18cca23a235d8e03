"""The provider's side of the block engine: one block loop, picklable raster readers, the run-wide settings.

A tool hands a block function, its sources (:func:`raster_source`) and its writers to :func:`run_blocks`.

What the run-wide knobs ask for (:class:`RunSettings`: the memory of one block, where the blocks run, how many
threads) is applied here once for every engine tool: the executor is opened (this process, an embedded Dask
LocalCluster or a running scheduler), the compute threads of numba and GDAL's compression are limited, the
writers are published together when every block is written and removed on an error or a cancel.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal

from ...algorithms import _numba
from ...algorithms.engine import (
    RasterSource,
    ReadRequest,
    budget_rows,
    open_executor,
    plan_blocks,
    plan_file_groups,
    process_blocks,
    register_thread_context,
)
from ...algorithms.errors import GeohazardError
from . import decoded
from .probe import c_error_handler, data_band_index
from .raster import _to_float, open_raster
from .writers import all_or_none

#: The unit of every memory budget of the plugin: MAX_MEMORY_MB counts mebibytes (2**20 bytes).
MIB = 2**20


#: GDAL options that :func:`.probe.quiet_gdal_reads` sets thread-locally; the block engine's reader and writer
#: threads take the calling thread's values (no ``.aux.xml`` / ``.properties`` written next to inputs).
THREAD_LOCAL_GDAL_OPTIONS = ("CPL_VSIL_GZIP_WRITE_PROPERTIES", "GDAL_PAM_ENABLED")


def _gdal_thread_options() -> dict:
    return {k: gdal.GetThreadLocalConfigOption(k, None) for k in THREAD_LOCAL_GDAL_OPTIONS}


def _set_gdal_thread_options(values: dict) -> None:
    for k, v in values.items():
        gdal.SetThreadLocalConfigOption(k, v)


def _register_engine_threads() -> None:
    register_thread_context("gdal", _gdal_thread_options, _set_gdal_thread_options)


_register_engine_threads()


class GdalOpener:
    """Picklable reader of one :class:`~algorithms.engine.ReadRequest` (path, bands, window) for the block engine.

    It holds no dataset: each call opens the file by path, so a Dask worker on another
    machine reads the same file through a shared filesystem (or a ``/vsi...`` path).
    Values are those of :func:`read_band` (band nodata -> NaN, cast to the request's dtype).
    """

    def __call__(self, request) -> np.ndarray:
        with c_error_handler():  # also on the engine's reading thread: QGIS's GDAL handler is never entered there
            return self._read(request)

    def _read(self, request) -> np.ndarray:
        ds = open_raster(request.path, request.name)
        r0, r1, c0, c1 = request.window
        bands = request.bands or tuple(range(1, ds.RasterCount + 1))
        if tuple(bands) == (1,):
            bands = (data_band_index(ds, request.path),)  # the phase of a 2-band amplitude + phase .unw
        out = None
        for i, bi in enumerate(bands):
            if not 1 <= bi <= ds.RasterCount:
                raise GeohazardError(f"{request.name}: band {bi} requested but {request.path!r} has "
                                     f"{ds.RasterCount} band(s)")
            b = ds.GetRasterBand(bi)
            raw = decoded.window(ds, b, request.path, bi, (r0, r1), (c0, c1))  # a model run's decoded copy
            raw = b.ReadAsArray(c0, r0, c1 - c0, r1 - r0) if raw is None else raw
            arr = _to_float(raw, b.GetNoDataValue(), np.dtype(request.dtype).type)
            if len(bands) == 1:
                return arr[None]  # a view: no copy
            if out is None:
                out = np.empty((len(bands),) + arr.shape, dtype=arr.dtype)
            out[i] = arr
        return out


class WindowSource:
    """A raster read by path over a window ``(row0, row1, col0, col1)`` (rows relative to the window): the engine's
    source of a part of a raster (a swath's or a zone's bounding box); ``bands`` as :class:`GdalOpener` takes them
    (None: all, ``(1,)``: the data band, ``(bands, rows, cols)`` either way)."""

    shipped = False

    def __init__(self, path: str, window: tuple, name: str, bands=None):
        self.path, self.window, self.name = path, tuple(int(v) for v in window), name
        self.bands = tuple(bands) if bands is not None else None
        self.opener = GdalOpener()

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        w0, _, c0, c1 = self.window
        return self.opener(ReadRequest(self.path, self.bands, (w0 + r0, w0 + r1, c0, c1), "float32", self.name))


def raster_source(path: str, *, bands=1, dtype=np.float32, name: str = "raster", transform=None):
    """A block-engine source reading ``path`` by path (band ``bands``: an int, a list, or None for all)."""
    return RasterSource(path, GdalOpener(), bands=bands, dtype=dtype, name=name, transform=transform)


def raster_window(info, bounds: tuple) -> tuple:
    """``(row0, row1, col0, col1)`` of the raster's pixels under ``bounds`` (its CRS), clipped to the raster;
    the whole raster for a rotated grid; None when nothing is under them."""
    gt = info.geotransform
    if gt[2] or gt[4]:
        return 0, info.height, 0, info.width
    xmin, ymin, xmax, ymax = bounds
    cols = sorted(((xmin - gt[0]) / gt[1], (xmax - gt[0]) / gt[1]))
    rows = sorted(((ymax - gt[3]) / gt[5], (ymin - gt[3]) / gt[5]))
    c0, c1 = max(int(np.floor(cols[0])), 0), min(int(np.ceil(cols[1])), info.width)
    r0, r1 = max(int(np.floor(rows[0])), 0), min(int(np.ceil(rows[1])), info.height)
    return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None


@dataclass(frozen=True)
class RunSettings:
    """Run-wide knobs as plain values.

    ``max_memory_mb``: memory one block may use (MiB; None = the engine's default, 512 or
    ``INSAR_GEOHAZARDS_MAX_MEMORY_MB``); ``scheduler``: where blocks run ("" this process, "local" an embedded
    LocalCluster, "tcp://host:port" a running scheduler); ``threads``: compute and compression threads of this
    process (0 = every CPU)."""

    max_memory_mb: Optional[float] = None
    scheduler: str = ""
    threads: int = 0

    def plan(self, n_rows: int, n_cols: int, **kwargs):
        """:func:`~algorithms.engine.plan_blocks` with this run's memory budget: the blocks of rows (of points:
        ``n_cols=1, tile_rows=1``) whose ``bytes_per_pixel`` (and ``fixed_bytes``) fit ``max_memory_mb``."""
        kwargs.setdefault("max_memory_mb", self.max_memory_mb)
        return plan_blocks(n_rows, n_cols, **kwargs)

    def rows(self, n_cols: int, **kwargs) -> int:
        """Rows of one block of an ``n_cols``-wide grid under this run's budget
        (:func:`~algorithms.engine.budget_rows`, the rule of :meth:`plan`)."""
        kwargs.setdefault("max_memory_mb", self.max_memory_mb)
        return budget_rows(n_cols, **kwargs)

    def plan_files(self, n_files: int, n_rows: int, n_cols: int, **kwargs):
        """:func:`~algorithms.engine.plan_file_groups` with this run's memory budget (blocks of whole images,
        or None when one image does not fit)."""
        kwargs.setdefault("max_memory_mb", self.max_memory_mb)
        return plan_file_groups(n_files, n_rows, n_cols, **kwargs)

    @contextlib.contextmanager
    def executor(self, log=None):
        """The engine executor of this run, with this run's threads; a Dask cluster is named on ``log``."""
        with limited_threads(self.threads), open_executor(self.scheduler) as ex:
            if self.scheduler and log is not None:
                where = "embedded LocalCluster" if self.scheduler == "local" else self.scheduler
                log.push_info(f"blocks run on Dask ({where}), {ex.n_slots} worker thread(s)")
            yield ex


@contextlib.contextmanager
def limited_threads(threads: int):
    """numba's parallel loops and GDAL's compression of this thread use at most ``threads`` threads (0: every CPU)."""
    if not threads or threads <= 0:
        yield
        return
    previous_gdal = gdal.GetThreadLocalConfigOption("GDAL_NUM_THREADS", None)
    gdal.SetThreadLocalConfigOption("GDAL_NUM_THREADS", str(int(threads)))
    numba = _numba_threads()
    before = numba.get_num_threads() if numba else None
    if numba:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        if numba:
            numba.set_num_threads(before)
        gdal.SetThreadLocalConfigOption("GDAL_NUM_THREADS", previous_gdal)


def _numba_threads():
    """numba when the core uses it (the core runs without it, slower)."""
    return _numba.numba_module()


def run_blocks(plan, func, write=None, *, sources=None, run: RunSettings, progress=None, writers=(), executor=None,
               **engine) -> None:
    """Run ``func`` over ``plan`` on the engine and hand each block's result to ``write``.

    ``writers`` (a dict or a sequence of :class:`~.raster.RasterWriter`) are published together when every
    block is written and all removed when anything fails or the run is canceled. Without ``write``,
    ``writers`` is ``{key of the block result: writer}`` and each block's array is written at its rows.
    ``executor``: one already opened by :meth:`RunSettings.executor` (several passes over one cluster); else
    this run's is opened. ``engine``: further keywords of :func:`~algorithms.engine.process_blocks`
    (``prepare``, ``background_write``).
    """
    if write is None:
        def write(block, out):
            for key, w in writers.items():
                w.write(out[key], row=block.row0)

    with all_or_none(writers), contextlib.ExitStack() as stack:
        ex = executor if executor is not None else stack.enter_context(run.executor(progress))
        process_blocks(plan, func, write, sources=sources, executor=ex, progress=progress, **engine)
