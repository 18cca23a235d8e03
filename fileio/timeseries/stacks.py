"""Interferogram stacks: rasters or a MintPy ifgramStack.h5, read block-wise as LOS mm.

:func:`open_stack` turns plain file lists (what :mod:`..inputs.stacks` makes of the tool parameters) into a
:class:`StackInput`; the stack tools' points and network report are written here too.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import gdal
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.conventions import SENTINEL1_WAVELENGTH_M, mm_per_radian, phase_to_los_mm
from ...algorithms.engine import CallableSource, plan_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.baselines import read_baselines
from ...algorithms.formats.dates import field_name, parse_date_pair, parse_date_pairs
from ...algorithms.formats.mintpy import mintpy_georeference, read_ifgram_stack
from ...algorithms.formats.wavelength import choose_wavelength
from ...algorithms.progress import SubProgress
from ...algorithms.progress import info as log_info
from ...algorithms.timeseries import network as nw
from ...algorithms.timeseries import sbas_blocks
from ..base import decoded, file_parts, tile_rows
from ..base.blocks import RunSettings, run_blocks
from ..base.file_parts import open_raster_direct
from ..base.metadata import stack_pair_baselines, wavelength_choice
from ..base.probe import data_band_index, known_header
from ..base.raster import CACHE_LOCK, RasterInfo, check_same_grid, raster_info
from ..base.runs import close_with_run
from ..base.vector import write_vector
from ..display import charts
from .stack_reference import ground_terms, reference_values  # noqa: F401 - read by the stack tools


def is_mintpy_stack(path) -> bool:
    """A MintPy ifgramStack.h5 given as an item of a raster list (by its extension; a producer's product named as
    such, a NISAR GUNW or an OPERA DISP-S1 file, is the product reader's)."""
    base = os.path.basename(path) if isinstance(path, str) else ""
    return base.lower().endswith(".h5") and not base.upper().startswith(("NISAR_", "OPERA_L3_DISP-S1_"))


from ...algorithms.formats.stack_names import (  # noqa: E402,F401 - the stack's file-name rules
    filter_stack_files,
    has_date_pair,
    is_coherence_file,
)

#: ``units`` of a stack (:func:`open_stack`; the order of the stack tools' ``INPUT_UNITS`` choices): radians growing
#: with the range, radians growing toward the satellite, metres, millimetres.
RAD_AWAY, RAD_TOWARD, METRES, MILLIMETRES = 0, 1, 2, 3
PHASE_UNITS = (RAD_AWAY, RAD_TOWARD)


def _to_mm(arr: np.ndarray, units: int, wavelength_m: float) -> np.ndarray:
    if units == RAD_AWAY:
        return phase_to_los_mm(arr, wavelength_m, phase_sign=-1)
    if units == RAD_TOWARD:
        return phase_to_los_mm(arr, wavelength_m, phase_sign=1)
    if units == METRES:
        return arr.astype(np.float64) * 1000.0
    return arr.astype(np.float64)


def _free_refcount() -> int:
    """``sys.getrefcount`` of an array only a list holds, seen from a loop over that list as in
    :meth:`StackInput._block_buffer` (3 on CPython 3.9-3.13: the list, the loop variable, the argument;
    measured rather than assumed, as interpreters may borrow some of these references)."""
    for buf in [np.empty(0)]:
        return sys.getrefcount(buf)


_FREE_REFS = _free_refcount()


@dataclass
class StackInput:
    """Interferograms (GeoTIFF list or MintPy stack) read block-wise as LOS mm."""

    network: nw.Network
    info: RasterInfo
    wavelength_m: float
    units: int
    signs: np.ndarray
    paths: list = field(default_factory=list)
    coh_paths: Optional[list] = None
    mintpy: object = None
    order: Optional[np.ndarray] = None  # index into the file list for each network pair
    _open: dict = field(default_factory=dict, repr=False)
    _buffers: list = field(default_factory=list, repr=False)  # float64 block arrays handed out by read()
    _tiles: dict = field(default_factory=dict, repr=False)  # the inputs' tile height
    ignored: dict = field(default_factory=dict)  # parameter -> files of its list left out (sidecars, DEM ...)
    _pixels: dict = field(default_factory=dict, repr=False)  # (row, col) -> reference_values() of that pixel
    _pool: dict = field(default_factory=dict, repr=False)  # "pool": the reading threads (file_parts.each_part)
    product: object = field(default=None, repr=False)  # the product whose VRTs the paths name (kept alive)
    ground: Optional[dict] = field(default=None, repr=False)  # the automatic reference's sums (scan_stack)
    _rows: dict = field(default_factory=dict, repr=False)  # path -> its tiles' reader (tile_rows.TileRows) or None

    def __post_init__(self):
        close_with_run(self)  # a run canceled or refused half-way closes the files the blocks opened

    def close(self) -> None:
        """Close the files the blocks opened and end the reading threads (a later read opens them again)."""
        self._rows.clear()  # the tiles' readers hold the bands
        self._open.clear()  # each entry's band, then its dataset: GDAL closes the files no one else holds
        self._buffers.clear()
        pool = self._pool.pop("pool", None)
        if pool is not None:
            pool.shutdown(wait=True)

    def _band(self, path: str):
        """Band 1 of ``path`` and its nodata, kept open across blocks (opening is the slow part)."""
        item = self._open.get(path)
        if item is None:
            ds = open_raster_direct(path, os.path.basename(path))
            index = data_band_index(ds, path)
            band = ds.GetRasterBand(index)
            # the guard's header of this input, when this run read one: GDAL's first nodata query of a dataset
            # loads its georeferencing (~0.15 ms a file), which the blocks never need
            header = known_header(path)
            nodata = header["nodata"][index - 1] if header is not None and len(header["nodata"]) >= index \
                else band.GetNoDataValue()
            item = self._open[path] = (ds, band, nodata)
        return item[1], item[2]

    def _block_buffer(self, shape: tuple, dtype=np.float64) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` for :meth:`read`: one handed out before and no longer referenced
        anywhere else (a view, a queue, a task still holding it keeps it out), else a new one.

        A new 50 MB block array costs its page faults and the kernel's zeroing of every page, block
        after block (~0.5 CPU-s of the 1-Mpx SBAS run); the block engine holds at most two blocks
        (the one computed, the one read ahead), so a few buffers are reused instead."""
        dtype = np.dtype(dtype)
        for buf in self._buffers:
            if buf.shape == shape and buf.dtype == dtype and sys.getrefcount(buf) <= _FREE_REFS:
                return buf
        buf = np.empty(shape, dtype)
        same = [b for b in self._buffers if b.shape == shape and b.dtype == dtype][-2:]
        self._buffers[:] = [b for b in self._buffers if b.shape == shape and b.dtype != dtype] + same + [buf]
        return buf

    def _raw(self, path: str, r0: int, r1: int, cols: tuple) -> np.ndarray:
        """The file's values over the window, from a model run's decoded copy (:mod:`..base.decoded`) if any, else
        from its tiles' rows (:mod:`..base.tile_rows`: an uncompressed file) or GDAL's read."""
        ds, band, _ = self._open[path]
        raw = decoded.window(ds, band, path, band.GetBand(), (r0, r1), cols)
        if raw is None:
            raw = tile_rows.read_window(self._rows, ds, band, path, (r0, r1), cols)
        return band.ReadAsArray(cols[0], r0, cols[1] - cols[0], r1 - r0) if raw is None else raw

    def _read_rows(self, path: str, r0: int, r1: int, dtype, cols: tuple) -> np.ndarray:
        band, nodata = self._band(path)
        arr = self._raw(path, r0, r1, cols)
        out = arr.astype(dtype)
        if nodata is not None and not np.isnan(nodata):
            out[arr == nodata] = np.nan
        return out

    def _read_rows_into(self, path: str, r0: int, r1: int, cols: tuple, out: np.ndarray) -> None:
        """:meth:`_read_rows` into ``out`` (float32): a float32 band is read in place (no copies on the way)."""
        band, nodata = self._band(path)
        if band.DataType != gdal.GDT_Float32:
            out[...] = self._read_rows(path, r0, r1, out.dtype, cols)
            return
        raw = decoded.window(self._open[path][0], band, path, band.GetBand(), (r0, r1), cols)
        if raw is None:
            if tile_rows.read_window(self._rows, self._open[path][0], band, path, (r0, r1), cols, out) is None:
                band.ReadAsArray(cols[0], r0, cols[1] - cols[0], r1 - r0, buf_obj=out)
        else:
            out[...] = raw
        if nodata is not None and not np.isnan(nodata):
            out[out == nodata] = np.nan

    def _decodes_tiles(self, r0: int, r1: int, m: int) -> bool:
        """Whether rows ``r0:r1`` of the ``m`` files are worth several threads (``fileio.base.file_parts``): enough
        files, compressed (the first one says), and rows reaching a row of tiles a top-down pass has not decoded yet."""
        if not file_parts.enough_files(m) or not self.paths:
            return False
        state = self._tiles
        if "compressed" not in state:
            first = self.paths[self.order[0]]
            band, _ = self._band(first)
            state["compressed"] = file_parts.compressed(self._open[first][0])
            state.setdefault("height", max(1, band.GetBlockSize()[1]))
        return state["compressed"] and file_parts.new_tile_row(r0, r1, state["height"])

    def _rows_done(self, r1: int) -> None:
        """Drop the inputs' decoded tiles from GDAL's cache once a whole-width read ends a row of tiles, unless all
        of the open files' tiles fit in half of the cache (a run reading the stack in passes decodes them once).

        Blocks go down the grid and do not come back to a row of tiles they finished: without this, GDAL's
        cache keeps the rows left behind until it is full (its cap, 5 % of the RAM by default) and the process
        grows by the difference during the pass (one row of tiles of 300 files 1600 px wide is 0.49 GB decoded,
        the cache 1.2 GB). Dropping at the end of a row, not when the next one starts, keeps a Dask worker that
        was also given blocks of the next row (work stealing) from dropping tiles it still needs. The heap pages
        the freed tiles leave are given back to the system."""
        if not self._open:
            return
        state = self._tiles
        state.setdefault("height", max(1, next(iter(self._open.values()))[1].GetBlockSize()[1]))
        if (r1 % state["height"] and r1 < self.info.height) or 2 * file_parts.decoded_bytes(
                band for _ds, band, _nodata in self._open.values()) <= gdal.GetCacheMax():
            return
        for _ds, band, _nodata in self._open.values():
            band.FlushCache()
        release_free_heap()

    def tile_row_bytes(self, *, coherence: bool = False) -> int:
        """Bytes of one decoded row of tiles (or strips) of every file the blocks read (0 for a MintPy stack).

        Rows are read in blocks that may be shorter than the files' tiles: GDAL's cache must hold this
        much for each tile to be decoded once (:func:`gdal_cache_at_least`)."""
        if self.mintpy is not None or not self.paths:
            return 0
        lists = [[self.paths[i] for i in self.order]]
        if coherence and self.coh_paths is not None:
            lists.append([self.coh_paths[i] for i in self.order])
        total = 0
        for paths in lists:
            for path in paths:
                band, _ = self._band(path)
                rows = min(max(1, band.GetBlockSize()[1]), self.info.height)
                total += self.info.width * rows * max(1, gdal.GetDataTypeSize(band.DataType) // 8)
        return total

    @property
    def has_coherence(self) -> bool:
        return self.coh_paths is not None or (self.mintpy is not None and self.mintpy.has_coherence)

    def subset(self, keep: np.ndarray) -> "StackInput":
        return StackInput(self.network.subset(keep), self.info, self.wavelength_m, self.units, self.signs[keep],
                          self.paths, self.coh_paths, self.mintpy, self.order[keep], self._open, product=self.product)

    def read(self, r0: int, r1: int, *, coherence: bool = False, cols: Optional[tuple] = None):
        """LOS mm ``(M, r1-r0, cols)`` (and coherence when asked) for rows ``r0:r1`` (and columns ``cols`` =
        ``(c0, c1)``, default all)."""
        m = len(self.order)
        if self.mintpy is not None:
            c = slice(None) if cols is None else slice(int(cols[0]), int(cols[1]))
            raw = self.mintpy.read((r0, r1))[self.order][..., c]
            ifg = phase_to_los_mm(raw, self.wavelength_m, phase_sign=-1)
            coh = self.mintpy.read((r0, r1), "coherence")[self.order][..., c] if coherence else None
            return ifg, coh
        cols = (0, self.info.width) if cols is None else (int(cols[0]), int(cols[1]))
        ifg = self._block_buffer((m, r1 - r0, cols[1] - cols[0]))
        coh = self._block_buffer((m, r1 - r0, cols[1] - cols[0]), np.float32) if coherence else None
        # radians: one pass from the file's values to mm (the same float64 product as _to_mm)
        scale = None if self.units not in PHASE_UNITS else (
            mm_per_radian(self.wavelength_m, phase_sign=-1 if self.units == RAD_AWAY else 1))
        def read_files(ks):
            for k in ks:
                i = self.order[k]
                if scale is None:
                    a = self._read_rows(self.paths[i], r0, r1, np.float64, cols)
                    ifg[k] = self.signs[k] * _to_mm(a, self.units, self.wavelength_m)
                else:
                    band, nodata = self._band(self.paths[i])
                    raw = self._raw(self.paths[i], r0, r1, cols)
                    out = ifg[k]
                    if np.iscomplexobj(raw):
                        raw = raw.real
                    np.multiply(raw, scale, out=out, dtype=np.float64)
                    if nodata is not None and not np.isnan(nodata):
                        out[raw == nodata] = np.nan
                    if self.signs[k] != 1:
                        np.multiply(out, self.signs[k], out=out)
                if coherence:
                    self._read_rows_into(self.coh_paths[i], r0, r1, cols, coh[k])

        if self._decodes_tiles(r0, r1, m):
            for i in self.order:  # opened on this thread, with its GDAL options (PAM off)
                self._band(self.paths[i])
                if coherence:
                    self._band(self.coh_paths[i])
            file_parts.each_part(self._pool, read_files, m)
        else:
            read_files(range(m))
        if cols == (0, self.info.width):
            self._rows_done(r1)
        return ifg, coh


def release_free_heap() -> None:
    """Give the free pages inside the C heap back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    GDAL's decoded tiles (256 KiB each) come from the heap; once freed, their pages stay resident in the
    process until the heap reuses them or they are trimmed."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


@contextlib.contextmanager
def gdal_cache_at_least(need_bytes: float, *, ram_share: float = 0.25, log=None):
    """Raise GDAL's block cache to ``need_bytes`` for the ``with`` body (never above ``ram_share`` of the
    usable RAM), then put back the value found unless another run changed it meanwhile.

    A tool reading rows of many tiled files in blocks shorter than the tiles decodes every tile once
    only if the cache holds a whole row of tiles of all the files; otherwise each tile is decoded again
    for every block crossing it (tile height / block rows times: ~25x the read CPU measured on 300
    interferograms of 3200 px, 256-row tiles, 8-row blocks). The need depends on the files' width,
    number and tile height, not on their number of rows. When it is above ``ram_share`` of the RAM, the
    cache is raised to that and ``log`` is warned."""
    need = int(need_bytes)
    ram = int(gdal.GetUsablePhysicalRAM() or 0)
    cap = int(ram * ram_share) if ram > 0 else need
    target = min(need, cap)
    with CACHE_LOCK:
        before = gdal.GetCacheMax()
        raised = target > before
        if raised:
            gdal.SetCacheMax(target)
    if need > cap and log is not None:
        log.push_warning(
            f"one row of tiles of the input rasters takes {need / 2 ** 20:.0f} MiB decoded, more than the "
            f"{cap / 2 ** 20:.0f} MiB given to GDAL's cache here: tiles will be decoded several times (slower "
            "reading); inputs with shorter tiles (e.g. gdal_translate -co TILED=YES -co BLOCKYSIZE=16) or "
            "stripped files read faster")
    try:
        yield
    finally:
        if raised:
            with CACHE_LOCK:
                if gdal.GetCacheMax() == target:
                    gdal.SetCacheMax(before)


# ============================================================================ outputs of the stack tools
def write_points(path: str, pts: dict, net: nw.Network, info: RasterInfo, *, has_dem: bool) -> str:
    def cat(key):
        return np.concatenate(pts[key]) if pts[key] else np.zeros(0)

    ts = np.concatenate(pts["ts"], axis=1) if pts["ts"] else np.zeros((net.n_dates, 0), np.float32)
    n = ts.shape[1]
    fields = {"PID": np.arange(1, n + 1, dtype=np.int64), "VEL": cat("VEL"), "V_STDEV": cat("V_STDEV"),
              "COHERENCE": cat("COHERENCE")}
    if has_dem:
        fields["HEIGHT"] = cat("HEIGHT").astype(np.float64)
    for i, d in enumerate(net.dates):
        fields[field_name(d)] = ts[i].astype(np.float64)
    return write_vector(path, fields, crs_wkt=info.crs_wkt, x=cat("x"), y=cat("y"))


def open_stack(ifg_paths: list, *, coh_paths: Optional[list] = None, mintpy_h5: str = "", baseline_files=(),
               baseline_table: Optional[dict] = None, units: int = RAD_AWAY, wavelength_m: Optional[float] = None,
               product_wavelength: Optional[tuple] = None, ignored: Optional[dict] = None, log=None) -> StackInput:
    """The interferograms (or a MintPy ifgramStack.h5) as a :class:`StackInput` in network order.

    ``units``: :data:`RAD_AWAY` (radians growing with range), :data:`RAD_TOWARD`, :data:`METRES`,
    :data:`MILLIMETRES`. The
    wavelength follows the one rule (``wavelength_m`` when given, else what the product states
    (``product_wavelength`` = ``(why, metres)``), else the inputs' metadata, else Sentinel-1;
    :func:`.metadata.wavelength_choice`, logged on ``log``). ``baseline_table`` (``{(earlier, later): m}``, e.g. a
    product's) stands for the baselines of ``baseline_files``."""
    if mintpy_h5:
        stack = read_ifgram_stack(mintpy_h5)
        wavelength = wavelength_choice(wavelength_m, attributes=[(os.path.basename(mintpy_h5), stack.attrs)],
                                       log=log).wavelength_m
        # the grid and CRS as MintPy's save_gdal builds them; a stack in radar coordinates is refused (its outputs
        # would have no map position), saying how MintPy geocodes it
        gt, epsg = mintpy_georeference({**stack.attrs, "LENGTH": stack.shape[0]}, os.path.basename(mintpy_h5))
        crs = QgsCoordinateReferenceSystem(f"EPSG:{epsg}").toWkt()
        info = RasterInfo(mintpy_h5, stack.shape[1], stack.shape[0], len(stack.pairs), gt, crs, has_georef=True)
        net = nw.build_network(stack.pairs, names=[f"{a:%Y%m%d}_{b:%Y%m%d}" for a, b in stack.pairs],
                            bperp_m=stack.bperp_m)
        return StackInput(net, info, wavelength, RAD_AWAY, np.ones(net.n_pairs), mintpy=stack,
                          order=np.arange(net.n_pairs))
    paths = list(ifg_paths)
    names = [os.path.basename(p) for p in paths]
    raw_pairs = parse_date_pairs(paths, name="INTERFEROGRAMS")
    pairs, signs = nw.orient_pairs(raw_pairs)
    infos = [raster_info(p, n) for p, n in zip(paths, names)]
    check_same_grid(infos, names)
    matched = None
    if coh_paths:
        by_pair = {}
        for c in coh_paths:
            try:
                by_pair[tuple(sorted(parse_date_pair(c)))] = c
            except GeohazardError as exc:
                raise GeohazardError(f"COHERENCE: {exc}") from None
        matched = []
        for pr, nm in zip(pairs, names):
            if pr not in by_pair:
                raise GeohazardError(f"COHERENCE: no coherence raster for interferogram {nm} "
                                     f"({pr[0]:%Y%m%d}-{pr[1]:%Y%m%d})")
            matched.append(by_pair[pr])
        cinfos = [raster_info(c, os.path.basename(c)) for c in matched]
        try:
            check_same_grid([infos[0]] + cinfos, [names[0]] + [os.path.basename(c) for c in matched])
        except GeohazardError as exc:
            raise GeohazardError(f"COHERENCE: {exc}; the coherence must be on the interferograms' grid") from None
    table = baseline_table
    if baseline_files:
        table = read_baselines(list(baseline_files))
    if table is not None:
        missing = [n for pr, n in zip(pairs, names) if pr not in table]
        if missing:
            raise GeohazardError(f"BASELINES: no perpendicular baseline for {len(missing)} interferogram(s), "
                                 f"e.g. {missing[0]}")
    if not infos[0].has_georef and log is not None:
        log.push_warning(f"INTERFEROGRAMS: {names[0]} has no map georeference (radar coordinates?): the outputs are "
                         "on its pixel grid, with no CRS and no map position. To have them on a map, geocode the "
                         "interferograms first (e.g. gdalwarp -geoloc with the stack's lat/lon lookup tables)")
    bperp = stack_pair_baselines(table, list(pairs), names, paths, log=log)
    if units in PHASE_UNITS and product_wavelength is not None:  # a product of a one-sensor producer
        choice = choose_wavelength(wavelength_m, [(f"{product_wavelength[0]}", product_wavelength[1])])
        if log is not None:
            log.push_info(choice.message.replace("from the inputs' metadata (", "stated by the product ("))
            for w in choice.warnings:
                log.push_warning(w)
        wavelength = choice.wavelength_m
    elif units in PHASE_UNITS:  # phase: the wavelength matters
        wavelength = wavelength_choice(wavelength_m, rasters=paths, log=log).wavelength_m
    else:
        wavelength = wavelength_m or SENTINEL1_WAVELENGTH_M
    order = np.argsort([f"{a:%Y%m%d}{b:%Y%m%d}" for a, b in pairs], kind="stable")
    net = nw.build_network([pairs[i] for i in order], names=[names[i] for i in order],
                        bperp_m=None if bperp is None else bperp[order])
    stack = StackInput(net, infos[0], wavelength, units, np.asarray(signs)[order], paths, matched, None, order)
    stack.ignored = ignored or {}
    return stack


def write_network_report(path: str, net: nw.Network, full: nw.Network, flt, ref_rc, log=None) -> dict:
    """Network report: HTML at ``path`` (+ PNG + text next to it; no PNG without matplotlib, said on ``log``)."""
    base = os.path.splitext(path)[0]
    png = charts.network(net, base + ".png", log=log)
    extra = [f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}"] + ([] if png else [charts.missing_note("Plot")])
    with open(base + ".txt", "w", encoding="utf-8") as fh:
        fh.write(nw.network_report_text(net, full=full, dropped=flt, extra=extra))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(nw.network_report_html(net, png_name=png and os.path.basename(png), full=full, dropped=flt,
                                        extra=extra))
    return {"OUTPUT_REPORT": path, **({"OUTPUT_NETWORK_PNG": png} if png else {})}


# ------------------------------------------------------------------ block passes over a stack
def stack_source(stack: StackInput, coherence: bool, reference_mm=None, *, executor=None, log=None):
    """The stack as a block-engine source ``(ifg_mm [- reference_mm], coherence or None)``.

    In this process (no executor, or one that is not distributed) the engine's reader thread reads it.
    On a Dask cluster each task carries a :class:`StackRows` description (paths, rows, units, signs, the
    reference pixel's values) and the worker reads its own rows; a stack the workers cannot open by path
    (:func:`worker_readable`) is read here and shipped with each block instead, as ``log`` is told."""
    if executor is not None and getattr(executor, "distributed", False):
        why = worker_readable(stack, coherence)
        if not why:
            log_info(log, "Dask: each worker reads its own rows of the stack "
                          "(tasks carry the file paths, not the data)")
            return StackRows(stack, coherence, reference_mm)
        log_info(log, f"Dask: the stack is read in this process and its blocks shipped to the workers ({why})")
    return CallableSource(lambda r0, r1: sbas_blocks.referenced(stack.read(r0, r1, coherence=coherence),
                                                                reference_mm))


def worker_readable(stack: StackInput, coherence: bool) -> str:
    """``""`` when Dask workers can open every file of ``stack`` by its path, else why not.

    Workers open plain raster files. A MintPy HDF5 stack, GDAL virtual files (``/vsi...``: in memory or
    behind this process's credentials) and VRTs (their sources resolve against this process's working
    directory and open-file pool) stay read here."""
    if stack.mintpy is not None:
        return "a MintPy HDF5 stack"
    paths = [stack.paths[i] for i in stack.order]
    if coherence and stack.coh_paths is not None:
        paths += [stack.coh_paths[i] for i in stack.order]
    for p in paths:
        name = os.path.basename(p)
        if p.startswith("/vsi") or not os.path.isfile(p):
            return f"{name} is not a file on disk"
        if p.lower().endswith(".vrt") or stack._band(p)[0].GetDataset().GetDriver().ShortName == "VRT":
            return f"{name} is a VRT"
    return ""


class StackRows:
    """A stack read where the block runs: a picklable description of the files, units, signs and the reference
    pixel's values, whose :meth:`read` opens the files in the worker (kept open per worker thread across
    blocks) and returns exactly what :meth:`StackInput.read` and :func:`~algorithms.timeseries.sbas_blocks.
    referenced` give in the calling process.

    :meth:`affinity` groups the blocks reading the same row of the inputs' tiles, which the engine sends to
    one worker: each tile is then decoded once on the cluster, not once per worker."""

    shipped = False

    def __init__(self, stack: StackInput, coherence: bool, reference_mm=None):
        self.key = uuid.uuid4().hex  # names this run's readers in the workers' caches
        self.info = stack.info
        self.wavelength_m = stack.wavelength_m
        self.units = stack.units
        self.signs = np.asarray(stack.signs, dtype=np.float64)
        self.paths = list(stack.paths)
        self.coh_paths = list(stack.coh_paths) if coherence and stack.coh_paths is not None else None
        self.order = np.asarray(stack.order)
        self.coherence = bool(coherence)
        self.reference_mm = None if reference_mm is None else np.asarray(reference_mm, dtype=np.float64)
        heights = [stack._band(stack.paths[i])[0].GetBlockSize()[1] for i in self.order[:1]]
        self.tile_rows = int(min(max(1, heights[0] if heights else 1), max(1, stack.info.height)))
        self.cache_bytes = stack.tile_row_bytes(coherence=self.coherence)

    def affinity(self, block) -> int:
        return int(block.read0) // self.tile_rows

    def _reader(self) -> StackInput:
        cache = _WORKER_STACKS.__dict__.setdefault("stacks", {})
        reader = cache.get(self.key)
        if reader is None:
            _worker_gdal_cache_at_least(self.cache_bytes)
            for k in list(cache)[:-1]:  # a few recent stacks per thread (a run's passes share one)
                del cache[k]
            reader = cache[self.key] = StackInput(None, self.info, self.wavelength_m, self.units, self.signs,
                                                  self.paths, self.coh_paths, None, self.order)
        return reader

    def read(self, r0: int, r1: int, n_cols: int):
        return sbas_blocks.referenced(self._reader().read(r0, r1, coherence=self.coherence), self.reference_mm)


_WORKER_STACKS = threading.local()


def _worker_gdal_cache_at_least(need_bytes: int) -> None:
    """A worker's GDAL cache raised (for the worker's life) to one row of tiles of the files it reads, at most a
    quarter of the RAM: blocks shorter than the tiles then decode each tile once (:func:`gdal_cache_at_least`)."""
    ram = int(gdal.GetUsablePhysicalRAM() or 0)
    target = min(int(need_bytes), ram // 4) if ram > 0 else int(need_bytes)
    with CACHE_LOCK:
        if gdal.GetCacheMax() < target:
            gdal.SetCacheMax(target)


def scan_stack(stack: StackInput, block_rows: int, progress, *, coherence: bool, run: RunSettings,
               executor=None, ground: bool = False) -> tuple:
    """One pass on the block engine: valid count per pixel, mean coherence per pixel and per interferogram; with
    ``ground`` also the automatic reference's per-pixel sums, kept as ``stack.ground``
    (:mod:`~algorithms.timeseries.ground_reference`)."""
    info = stack.info
    scan = sbas_blocks.StackScan(info.height, info.width, stack.network.n_pairs, coherence=coherence, ground=ground)

    terms = ground_terms(stack) if ground else None
    run_blocks(plan_blocks(info.height, info.width, block_rows=block_rows),
               functools.partial(sbas_blocks.scan_block, coherence=coherence, ground=terms), scan,
               sources={"stack": stack_source(stack, coherence, executor=executor, log=progress)}, run=run,
               executor=executor, progress=progress)
    if ground:
        stack.ground = scan.ground
    return scan.result()


def filtered_stack(stack: StackInput, block_rows: int, progress, *, scan: bool, run: RunSettings, executor=None,
                   **filters) -> tuple:
    """``(stack, filter result, count, mean coherence)``: the network filtered by ``filters`` (keywords of
    :func:`~algorithms.timeseries.network.filter_network`; a mean-coherence filter scans the stack first) and,
    with ``scan`` (or after such a filter), the valid count and mean coherence per pixel of the kept stack."""
    coherence_filter = (filters.get("min_mean_coherence") or 0) > 0
    count = mean_coh = ifg_coh = None
    if coherence_filter:
        count, mean_coh, ifg_coh = scan_stack(stack, block_rows, SubProgress(progress, 0, 60),
                                              coherence=stack.has_coherence, run=run, executor=executor, ground=scan)
    flt = nw.filter_network(stack.network, mean_coherence=ifg_coh, **filters)
    if not flt.keep.all():
        stack = stack.subset(flt.keep)
        count = mean_coh = None
    if (scan or coherence_filter) and count is None:
        count, mean_coh, _ = scan_stack(stack, block_rows, SubProgress(progress, 60 if coherence_filter else 0, 100),
                                        coherence=stack.has_coherence, run=run, executor=executor, ground=scan)
    return stack, flt, count, mean_coh


def block_rows_for(stack: StackInput, run: RunSettings, *, factor: float = 6.0) -> int:
    """Rows per block so that ~``factor`` float64 copies of the block stack fit in the run's memory budget
    (:meth:`~.blocks.RunSettings.rows`: a multiple of 256 rows when that many fit)."""
    return min(stack.info.height, run.rows(stack.info.width, bytes_per_pixel=stack.network.n_pairs * 8.0 * factor))
