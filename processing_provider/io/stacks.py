"""Interferogram stacks: folders and lists of rasters or a MintPy ifgramStack.h5, read block-wise as LOS mm."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.conventions import SENTINEL1_WAVELENGTH_M, mm_per_radian, phase_to_los_mm
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.baselines import read_baselines
from ...algorithms.formats.dates import field_name, parse_date_pair
from ...algorithms.formats.mintpy import read_ifgram_stack
from ...algorithms.timeseries.network import (
    Network,
    build_network,
    network_report_html,
    network_report_text,
    orient_pairs,
    plot_network,
)
from ..checks import data_band_index
from ..raster_io import RasterInfo, check_same_grid, open_raster, raster_info
from ..vector_io import write_vector
from ..wavelength import resolve_wavelength, user_wavelength

RASTER_EXT = (".tif", ".tiff", ".vrt", ".img", ".grd", ".nc", ".unw", ".cor", ".int", ".bil")


_COH_RE = re.compile(r"(^|[_.\-])(cc|coh|cor|coherence)([_.\-]|$)", re.I)


_UNW_RE = re.compile(r"unw", re.I)


@contextlib.contextmanager
def gdal_threads():
    """Multi-threaded DEFLATE compression of the outputs (GTiff honours GDAL_NUM_THREADS)."""
    from osgeo import gdal

    old = gdal.GetConfigOption("GDAL_NUM_THREADS")
    gdal.SetConfigOption("GDAL_NUM_THREADS", "ALL_CPUS")
    try:
        yield
    finally:
        gdal.SetConfigOption("GDAL_NUM_THREADS", old)


def raw_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _has_date_pair(path: str) -> bool:
    try:
        parse_date_pair(path)
    except GeohazardError:
        return False
    return True


def _pairs_a_date_with_itself(path: str) -> bool:
    try:
        parse_date_pair(path)
    except GeohazardError as exc:
        return "with itself" in str(exc)
    return False


def filter_stack_files(files: list, want: str) -> list:
    """The files of a folder (or of a list made by the dialog's "Add Directory...") that belong to
    the stack: rasters only (no ``.aux.xml``/``.ovr`` sidecars); for ``want="ifg"`` the names with
    ``unw`` when there are any, else every raster that is not a coherence file, and only files
    whose name carries a date pair when some do (a DEM in the folder is skipped); for
    ``want="coh"`` the coherence files (``cc``, ``coh``, ``cor``) when there are any."""
    files = [f for f in files if f.lower().endswith(RASTER_EXT)]
    stem = [os.path.splitext(os.path.basename(f))[0] for f in files]
    if want == "coh":
        coh = [f for f, st in zip(files, stem) if _COH_RE.search(st)]
        return coh or files
    unw = [f for f in files if _UNW_RE.search(os.path.basename(f))]
    files = unw or [f for f, st in zip(files, stem) if not _COH_RE.search(st)]
    dated = [f for f in files if _has_date_pair(f)]
    if len(dated) >= 2:
        for f in files:  # a same-date pair among dated files is an interferogram with a wrong name, not a DEM
            if f not in dated and _pairs_a_date_with_itself(f):
                parse_date_pair(f)  # raises, naming the file
    return dated if len(dated) >= 2 else files


def ignored_report(ignored: dict) -> list:
    """One line per input list that had files left out (as after the dialog's "Add Directory...")."""
    lines = []
    for name, files in (ignored or {}).items():
        if not files:
            continue
        sidecars = [f for f in files if not f.lower().endswith(RASTER_EXT)]
        rasters = sorted((f for f in files if f.lower().endswith(RASTER_EXT)), key=lambda f: (_has_date_pair(f), f))
        what = "interferograms" if name == "INTERFEROGRAMS" else "coherence rasters"
        text = f"{name}: left out {len(files)} file(s) of the list that are not {what} of the stack"
        if sidecars:
            text += f"; {len(sidecars)} sidecar file(s) (.aux.xml ...)"
        if rasters:
            text += f"; {len(rasters)} raster(s): " + ", ".join(os.path.basename(f) for f in rasters[:6]) \
                + (" ..." if len(rasters) > 6 else "")
        lines.append(text)
    return lines


def is_mintpy_stack(path) -> bool:
    return isinstance(path, str) and path.lower().endswith(".h5")


def expand_raster_inputs(alg, parameters, name: str, context, *, want: str,
                         ignored: Optional[list] = None) -> list[str]:
    """File paths of a multiple-raster parameter that also accepts folder paths.

    ``want="ifg"`` keeps unwrapped-looking files from a folder (names with ``unw``, or every
    raster that is not a coherence file); ``want="coh"`` keeps coherence files (``cc``,
    ``coh``, ``cor``). A list of several files is filtered the same way (the dialog's "Add
    Directory..." adds every file of the folder); the files left out are appended to
    ``ignored``. A MintPy ``.h5`` item is not a raster and is left out (see :func:`mintpy_stack_path`).
    """
    paths: list[str] = []
    listed: list[str] = []
    others = []
    for item in raw_list(parameters.get(name)):
        text = item if isinstance(item, str) else None
        if text and os.path.isdir(text):
            try:
                files = filter_stack_files(sorted(glob.glob(os.path.join(text, "*"))), want)
            except GeohazardError as exc:
                raise GeohazardError(f"{name}: {exc}") from None
            if not files:
                raise GeohazardError(f"{name}: the folder {text!r} holds no {'coherence' if want == 'coh' else ''} "
                                     f"raster ({', '.join(RASTER_EXT)})")
            paths += files
        elif is_mintpy_stack(text):
            continue
        elif text and os.path.isfile(text):
            listed.append(text)
        else:
            others.append(item)
    if len(listed) > 1:
        try:
            kept = filter_stack_files(listed, want)
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: {exc}") from None
        if ignored is not None:
            ignored += [f for f in listed if f not in kept]
        listed = kept
    paths += listed
    if others:
        layers = alg.parameterAsLayerList({name: others}, name, context)
        if len(layers) != len(others):
            raise GeohazardError(f"{name}: {others!r} could not be loaded as raster layers")
        paths += [lyr.source() for lyr in layers]
    return paths


def mintpy_stack_path(alg, parameters, context) -> str:
    """A MintPy ifgramStack.h5: MINTPY_STACK (kept for scripts), or an ``.h5`` given as INTERFEROGRAMS."""
    h5 = alg.parameterAsFile(parameters, "MINTPY_STACK", context) if "MINTPY_STACK" in parameters else ""
    if h5:
        return h5
    items = [i for i in raw_list(parameters.get("INTERFEROGRAMS")) if is_mintpy_stack(i)]
    if len(items) > 1:
        raise GeohazardError("INTERFEROGRAMS: give one MintPy ifgramStack.h5, not several")
    return items[0] if items else ""


def _to_mm(arr: np.ndarray, units: int, wavelength_m: float) -> np.ndarray:
    if units == 0:
        return phase_to_los_mm(arr, wavelength_m, phase_sign=-1)
    if units == 1:
        return phase_to_los_mm(arr, wavelength_m, phase_sign=1)
    if units == 2:
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

    network: Network
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
    ignored: dict = field(default_factory=dict)  # parameter -> files of its list left out (sidecars, DEM ...)

    def _band(self, path: str):
        """Band 1 of ``path`` and its nodata, kept open across blocks (opening is the slow part)."""
        item = self._open.get(path)
        if item is None:
            ds = open_raster(path, os.path.basename(path))
            band = ds.GetRasterBand(data_band_index(ds, path))
            item = self._open[path] = (ds, band, band.GetNoDataValue())
        return item[1], item[2]

    def _block_buffer(self, shape: tuple) -> np.ndarray:
        """A float64 array of ``shape`` for :meth:`read`: one handed out before and no longer referenced
        anywhere else (a view, a queue, a task still holding it keeps it out), else a new one.

        A new 50 MB block array costs its page faults and the kernel's zeroing of every page, block
        after block (~0.5 CPU-s of the 1-Mpx SBAS run); the block engine holds at most two blocks
        (the one computed, the one read ahead), so a few buffers are reused instead."""
        for buf in self._buffers:
            if buf.shape == shape and sys.getrefcount(buf) <= _FREE_REFS:
                return buf
        buf = np.empty(shape)
        self._buffers[:] = [b for b in self._buffers if b.shape == shape][-2:] + [buf]
        return buf

    def _read_rows(self, path: str, r0: int, r1: int, dtype) -> np.ndarray:
        band, nodata = self._band(path)
        arr = band.ReadAsArray(0, r0, self.info.width, r1 - r0)
        out = arr.astype(dtype)
        if nodata is not None and not np.isnan(nodata):
            out[arr == nodata] = np.nan
        return out

    @property
    def has_coherence(self) -> bool:
        return self.coh_paths is not None or (self.mintpy is not None and self.mintpy.has_coherence)

    def subset(self, keep: np.ndarray) -> "StackInput":
        return StackInput(self.network.subset(keep), self.info, self.wavelength_m, self.units, self.signs[keep],
                          self.paths, self.coh_paths, self.mintpy, self.order[keep], self._open)

    def read(self, r0: int, r1: int, *, coherence: bool = False):
        """LOS mm ``(M, r1-r0, cols)`` (and coherence when asked) for rows ``r0:r1``."""
        m = self.network.n_pairs
        if self.mintpy is not None:
            raw = self.mintpy.read((r0, r1))[self.order]
            ifg = phase_to_los_mm(raw, self.wavelength_m, phase_sign=-1)
            coh = self.mintpy.read((r0, r1), "coherence")[self.order] if coherence else None
            return ifg, coh
        ifg = self._block_buffer((m, r1 - r0, self.info.width))
        coh = np.empty((m, r1 - r0, self.info.width), np.float32) if coherence else None
        # radians: one pass from the file's values to mm (the same float64 product as _to_mm)
        scale = None if self.units > 1 else (
            mm_per_radian(self.wavelength_m, phase_sign=-1 if self.units == 0 else 1))
        for k, i in enumerate(self.order):
            if scale is None:
                a = self._read_rows(self.paths[i], r0, r1, np.float64)
                ifg[k] = self.signs[k] * _to_mm(a, self.units, self.wavelength_m)
            else:
                band, nodata = self._band(self.paths[i])
                raw = band.ReadAsArray(0, r0, self.info.width, r1 - r0)
                out = ifg[k]
                if np.iscomplexobj(raw):
                    raw = raw.real
                np.multiply(raw, scale, out=out, dtype=np.float64)
                if nodata is not None and not np.isnan(nodata):
                    out[raw == nodata] = np.nan
                if self.signs[k] != 1:
                    np.multiply(out, self.signs[k], out=out)
            if coherence:
                coh[k] = self._read_rows(self.coh_paths[i], r0, r1, np.float32)
        return ifg, coh


def gather_stack(alg, parameters, context, *, allow_mintpy: bool = True, units_param: str = "INPUT_UNITS",
                 baselines: bool = True, feedback=None) -> StackInput:
    """Turn INTERFEROGRAMS / COHERENCE / MINTPY_STACK / BASELINES into a :class:`StackInput`.

    The wavelength follows the one rule of :mod:`.wavelength` (WAVELENGTH_M if given, else the
    inputs' metadata, else Sentinel-1) and is logged on ``feedback``.
    """
    units = alg.parameterAsEnum(parameters, units_param, context) if units_param in parameters else 0
    h5 = mintpy_stack_path(alg, parameters, context) if allow_mintpy else ""
    if h5:
        stack = read_ifgram_stack(h5)
        wavelength = resolve_wavelength(alg, parameters, "WAVELENGTH_M", context, feedback,
                                        attributes=[(os.path.basename(h5), stack.attrs)]).wavelength_m
        gt = stack.geotransform
        crs = ""
        if stack.epsg:
            crs = QgsCoordinateReferenceSystem(f"EPSG:{stack.epsg}").toWkt()
        info = RasterInfo(h5, stack.shape[1], stack.shape[0], len(stack.pairs),
                          gt or (0.0, 1.0, 0.0, 0.0, 0.0, -1.0), crs, has_georef=gt is not None)
        net = build_network(stack.pairs, names=[f"{a:%Y%m%d}_{b:%Y%m%d}" for a, b in stack.pairs],
                            bperp_m=stack.bperp_m)
        return StackInput(net, info, wavelength, 0, np.ones(net.n_pairs), mintpy=stack,
                          order=np.arange(net.n_pairs))
    ignored: dict = {"INTERFEROGRAMS": [], "COHERENCE": []}
    paths = expand_raster_inputs(alg, parameters, "INTERFEROGRAMS", context, want="ifg",
                                 ignored=ignored["INTERFEROGRAMS"])
    if not paths:
        raise GeohazardError("INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
                             + (", or a MINTPY_STACK" if allow_mintpy else ""))
    names = [os.path.basename(p) for p in paths]
    raw_pairs = []
    for p in paths:
        try:
            raw_pairs.append(parse_date_pair(p))
        except GeohazardError as exc:
            raise GeohazardError(f"INTERFEROGRAMS: {exc}") from None
    pairs, signs = orient_pairs(raw_pairs)
    infos = [raster_info(p, n) for p, n in zip(paths, names)]
    check_same_grid(infos, names)
    coh_paths = None
    coh_list = expand_raster_inputs(alg, parameters, "COHERENCE", context, want="coh", ignored=ignored["COHERENCE"])
    if coh_list:
        by_pair = {}
        for c in coh_list:
            try:
                by_pair[tuple(sorted(parse_date_pair(c)))] = c
            except GeohazardError as exc:
                raise GeohazardError(f"COHERENCE: {exc}") from None
        coh_paths = []
        for pr, nm in zip(pairs, names):
            if pr not in by_pair:
                raise GeohazardError(f"COHERENCE: no coherence raster for interferogram {nm} "
                                     f"({pr[0]:%Y%m%d}-{pr[1]:%Y%m%d})")
            coh_paths.append(by_pair[pr])
        cinfos = [raster_info(c, os.path.basename(c)) for c in coh_paths]
        check_same_grid([infos[0]] + cinfos, [names[0]] + [os.path.basename(c) for c in coh_paths])
    bperp = None
    if baselines:
        files = expand_file_inputs(parameters.get("BASELINES"))
        if files:
            table = read_baselines(files)
            missing = [n for pr, n in zip(pairs, names) if pr not in table]
            if missing:
                raise GeohazardError(f"BASELINES: no perpendicular baseline for {len(missing)} interferogram(s), "
                                     f"e.g. {missing[0]}")
            bperp = np.array([table[pr] for pr in pairs])
    if units in (0, 1):  # phase: the wavelength matters
        wavelength = resolve_wavelength(alg, parameters, "WAVELENGTH_M", context, feedback,
                                        rasters=paths).wavelength_m
    else:
        wavelength = user_wavelength(alg, parameters, "WAVELENGTH_M", context) or SENTINEL1_WAVELENGTH_M
    order = np.argsort([f"{a:%Y%m%d}{b:%Y%m%d}" for a, b in pairs], kind="stable")
    net = build_network([pairs[i] for i in order], names=[names[i] for i in order],
                        bperp_m=None if bperp is None else bperp[order])
    stack = StackInput(net, infos[0], wavelength, units, np.asarray(signs)[order], paths, coh_paths, None, order)
    stack.ignored = ignored
    return stack


def expand_file_inputs(value) -> list[str]:
    out = []
    for item in raw_list(value):
        text = str(item)
        if os.path.isdir(text) or os.path.isfile(text):
            out.append(text)
        elif text:
            raise GeohazardError(f"BASELINES: {text!r} is neither a file nor a folder")
    return out


def stack_raster_files(alg, parameters, context) -> dict:
    """The raster files the stack tools read (for the guard layer): folder contents filtered as they are."""
    return {name: expand_raster_inputs(alg, parameters, name, context, want=want)
            for name, want in (("INTERFEROGRAMS", "ifg"), ("COHERENCE", "coh"))}


# ============================================================================ outputs of the stack tools
def write_points(path: str, pts: dict, net: Network, info: RasterInfo, *, has_dem: bool) -> str:
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


def write_report(alg, parameters, context, net: Network, full: Network, flt, ref_rc) -> dict:
    """Network report: HTML (+ PNG + text next to it)."""
    path = alg.parameterAsFileOutput(parameters, "OUTPUT_REPORT", context) if parameters.get("OUTPUT_REPORT") \
        else ""
    if not path:
        return {}
    base = os.path.splitext(path)[0]
    png = plot_network(net, base + ".png")
    extra = [f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}"]
    with open(base + ".txt", "w", encoding="utf-8") as fh:
        fh.write(network_report_text(net, full=full, dropped=flt, extra=extra))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(network_report_html(net, png_name=os.path.basename(png), full=full, dropped=flt, extra=extra))
    return {"OUTPUT_REPORT": path, "OUTPUT_NETWORK_PNG": png}
