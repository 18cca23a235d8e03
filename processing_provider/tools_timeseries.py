"""Time-series tools: SBAS / ISBAS inversion, rate stacking, phase-gradient stacking."""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.conventions import SENTINEL1_WAVELENGTH_M, phase_to_los_mm
from ..algorithms.engine import CallableSource, StackSource, plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.baselines import read_baselines
from ..algorithms.formats.dates import field_name, parse_date_pair
from ..algorithms.formats.mintpy import MintpyTimeseriesWriter, read_ifgram_stack, write_velocity_h5
from ..algorithms.progress import SubProgress, check_canceled, warn
from ..algorithms.timeseries.network import (
    Network,
    build_network,
    filter_network,
    network_report_html,
    network_report_text,
    orient_pairs,
    plot_network,
)
from ..algorithms.timeseries.sbas import SbasSolver, choose_reference
from ..algorithms.timeseries.sbas_blocks import SbasCollector, StackScan, referenced, sbas_block, scan_block
from ..algorithms.timeseries.stack_blocks import phase_gradient_block, stacking_block
from .base import GeohazardAlgorithm
from .checks import data_band_index
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .raster_io import (
    GdalOpener,
    RasterInfo,
    RasterWriter,
    aligned_block_rows,
    check_same_grid,
    open_raster,
    raster_info,
    read_band,
)
from .styles import style_points_velocity, style_raster_diverging, style_raster_sequential
from .vector_io import write_vector
from .wavelength import HELP as WAVELENGTH_HELP
from .wavelength import resolve_wavelength, user_wavelength, wavelength_parameter

RASTER_EXT = (".tif", ".tiff", ".vrt", ".img", ".grd", ".nc", ".unw", ".cor", ".int", ".bil")
_COH_RE = re.compile(r"(^|[_.\-])(cc|coh|cor|coherence)([_.\-]|$)", re.I)
_UNW_RE = re.compile(r"unw", re.I)

INPUT_UNITS = [
    "Radians, phase grows with range (GAMMA, ISCE, MintPy, LiCSAR, HyP3, SNAP)",
    "Radians, phase grows toward the satellite",
    "Metres of LOS displacement (positive toward the satellite)",
    "Millimetres of LOS displacement (positive toward the satellite)",
]
WEIGHTING = ["None (ordinary least squares, as MintPy -w no)",
             "Coherence-based phase variance (as MintPy -w var)"]

UNITS_HELP = (
    "<b>Input unit / sign</b>: radians with the producer's sign (most processors: phase grows "
    "with range, i.e. positive = away from the satellite; PyRate/GAMMA GeoTIFFs such as the "
    "Mexico City test data follow it), or LOS metres / millimetres positive toward the satellite.\n"
    + WAVELENGTH_HELP + "\n"
)


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


# ============================================================================ inputs
def _raw_list(value) -> list:
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
    for item in _raw_list(parameters.get(name)):
        text = item if isinstance(item, str) else None
        if text and os.path.isdir(text):
            files = filter_stack_files(sorted(glob.glob(os.path.join(text, "*"))), want)
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
        kept = filter_stack_files(listed, want)
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
    items = [i for i in _raw_list(parameters.get("INTERFEROGRAMS")) if is_mintpy_stack(i)]
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
    ignored: dict = field(default_factory=dict)  # parameter -> files of its list left out (sidecars, DEM ...)

    def _band(self, path: str):
        """Band 1 of ``path`` and its nodata, kept open across blocks (opening is the slow part)."""
        item = self._open.get(path)
        if item is None:
            ds = open_raster(path, os.path.basename(path))
            band = ds.GetRasterBand(data_band_index(ds, path))
            item = self._open[path] = (ds, band, band.GetNoDataValue())
        return item[1], item[2]

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
        ifg = np.empty((m, r1 - r0, self.info.width))
        coh = np.empty((m, r1 - r0, self.info.width), np.float32) if coherence else None
        # radians: one pass from the file's values to mm (the same float64 product as _to_mm)
        scale = None if self.units > 1 else (
            (-1 if self.units == 0 else 1) * self.wavelength_m * 1000.0 / (4.0 * np.pi))
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
    for item in _raw_list(value):
        text = str(item)
        if os.path.isdir(text) or os.path.isfile(text):
            out.append(text)
        elif text:
            raise GeohazardError(f"BASELINES: {text!r} is neither a file nor a folder")
    return out


def stack_source(stack: StackInput, coherence: bool, reference_mm=None) -> CallableSource:
    """The stack as a block-engine source ``(ifg_mm [- reference_mm], coherence or None)``: read in this process
    (units, signs, MintPy; the reader thread locally) and shipped to Dask workers with each block."""
    return CallableSource(lambda r0, r1: referenced(stack.read(r0, r1, coherence=coherence), reference_mm))


def scan_stack(stack: StackInput, block_rows: int, progress, *, coherence: bool, executor=None) -> tuple:
    """One pass on the block engine: valid count per pixel, mean coherence per pixel and per interferogram."""
    info = stack.info
    scan = StackScan(info.height, info.width, stack.network.n_pairs, coherence=coherence)
    process_blocks(plan_blocks(info.height, info.width, block_rows=block_rows),
                   functools.partial(scan_block, coherence=coherence), scan,
                   sources={"stack": stack_source(stack, coherence)}, executor=executor, progress=progress)
    return scan.result()


def reference_pixel(alg, parameters, context, stack: StackInput, count, mean_coh) -> tuple[int, int]:
    """Pixel (row, col) of REFERENCE, or the automatic choice; checked valid in every interferogram."""
    info = stack.info
    if parameters.get("REFERENCE"):
        crs = QgsCoordinateReferenceSystem()
        if info.crs_wkt:
            crs = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)
        pt = alg.parameterAsPoint(parameters, "REFERENCE", context, crs)
        row, col = info.world_to_pixel(pt.x(), pt.y())
        r, c = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < info.height and 0 <= c < info.width):
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) is outside the interferograms "
                                 f"({info.height} rows x {info.width} columns)")
        n_valid = int(np.isfinite(reference_values(stack, r, c)).sum()) if count is None else int(count[r, c])
        if n_valid < stack.network.n_pairs:
            raise GeohazardError(f"REFERENCE: the point ({pt.x():.6f}, {pt.y():.6f}) (row {r}, column {c}) has no "
                                 f"data in {stack.network.n_pairs - n_valid} of {stack.network.n_pairs} "
                                 "interferograms; choose a pixel valid in all of them")
        return r, c
    return choose_reference(count, stack.network.n_pairs, mean_coherence=mean_coh)


def reference_values(stack: StackInput, r: int, c: int) -> np.ndarray:
    ifg, _ = stack.read(r, r + 1)
    return ifg[:, 0, c].copy()


def block_rows_for(stack: StackInput, memory_mb: float, *, factor: float = 6.0) -> int:
    """Rows per block so that ~``factor`` float64 copies of the block stack fit in ``memory_mb``."""
    per_row = stack.network.n_pairs * stack.info.width * 8.0 * factor
    return int(max(1, min(stack.info.height, memory_mb * 1e6 // max(per_row, 1))))


def stack_raster_files(alg, parameters, context) -> dict:
    """The raster files the stack tools read (for the guard layer): folder contents filtered as they are."""
    return {name: expand_raster_inputs(alg, parameters, name, context, want=want)
            for name, want in (("INTERFEROGRAMS", "ifg"), ("COHERENCE", "coh"))}


def common_parameters(alg, *, mintpy: bool, coherence_label: str = "Coherence rasters or folder"):
    # the main input is mandatory; a MintPy stack is given as its (single) item. MINTPY_STACK is
    # kept, hidden, for scripts and qgis_process lines written before
    label = "Unwrapped interferograms (rasters, a folder, or a MintPy ifgramStack.h5)" if mintpy else \
        "Unwrapped interferograms (rasters, or a folder)"
    p = QgsProcessingParameterMultipleLayers("INTERFEROGRAMS", alg.tr(label), QgsProcessing.SourceType.TypeRaster)
    alg.addParameter(p)
    alg.addParameter(QgsProcessingParameterMultipleLayers(
        "COHERENCE", alg.tr(coherence_label), QgsProcessing.SourceType.TypeRaster, optional=True))
    if mintpy:
        p = QgsProcessingParameterFile(
            "MINTPY_STACK", alg.tr("MintPy ifgramStack.h5 (instead of rasters)"), extension="h5", optional=True)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagHidden)
        alg.addParameter(p)
    alg.addParameter(wavelength_parameter(alg, "WAVELENGTH_M"))


def check_stack_parameters(alg, parameters, context, *, mintpy: bool):
    """Cross-parameter checks shared by the tools (folders accepted for raster lists)."""
    skip = {"INTERFEROGRAMS", "COHERENCE", "BASELINES"}
    for d in alg.parameterDefinitions():
        if d.name() in skip or d.isDestination():
            continue
        if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
            return False, alg.tr("Incorrect parameter value for {}").format(d.name())
    try:
        has_h5 = mintpy and bool(mintpy_stack_path(alg, parameters, context))
        ifgs = expand_raster_inputs(alg, parameters, "INTERFEROGRAMS", context, want="ifg")
        if not ifgs and not has_h5:
            return False, ("INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
                           + (", or a MINTPY_STACK" if mintpy else ""))
        if ifgs and has_h5:
            return False, "give either INTERFEROGRAMS or MINTPY_STACK, not both"
        for p in ifgs:
            parse_date_pair(p)
        expand_raster_inputs(alg, parameters, "COHERENCE", context, want="coh")
        expand_file_inputs(parameters.get("BASELINES"))
    except GeohazardError as exc:
        return False, str(exc)
    return True, ""


# ============================================================================ SBAS
class SbasInversion(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "sbasinversion"
    DISPLAY_NAME = "SBAS / ISBAS time series inversion"
    GROUP_ID = "timeseries"
    HELP = (
        "Displacement time series and velocity from a network of unwrapped interferograms by "
        "pixel-wise (weighted) least squares (SBAS, Berardino et al. 2002, doi:10.1109/TGRS.2002.803792; "
        "ISBAS, Sowter et al. 2013, doi:10.1080/2150704X.2013.823673).\n\n"
        "<b>Interferograms</b>: a folder (files whose name contains 'unw' are used when present) or a list of "
        "rasters on one grid; the date pair of each comes from its file name (20200101_20200113, "
        "20180106-20180130, 060619-061002, HyP3 S1AA_20200101T..._20200113T..., ...). Or a MintPy "
        "ifgramStack.h5 (its dropIfgram flag, bperp and WAVELENGTH are used).\n"
        "<b>Coherence</b> (optional): folder or list matched by date pair (names with cc/coh/cor).\n"
        "<b>Baselines</b> (optional): GAMMA *_bperp.par / *_base.par files or folder, for the network plot "
        "and the perpendicular-baseline filter.\n"
        + UNITS_HELP +
        "<b>Reference point</b>: all interferograms are referenced to this pixel (must have data in all of "
        "them). Empty: the most coherent pixel whose 5x5 neighbourhood is valid in every interferogram.\n"
        "<b>Network filters</b>: maximum temporal (days) and perpendicular (m) baseline, minimum mean "
        "coherence, pairs to drop (YYYYMMDD_YYYYMMDD, comma separated). 0 = no limit.\n"
        "<b>Weighting</b>: none, or inverse phase variance from coherence (Tough et al. 1995, as MintPy).\n"
        "<b>Coherence threshold</b>: per pixel, interferogram values with lower coherence are not used.\n"
        "<b>ISBAS minimum count</b>: pixels need at least this many usable interferograms; 0 = all of "
        "them (classic SBAS). A pixel whose own network is split into subsets gets the minimum-norm "
        "velocity solution across the gaps (Berardino 2002).\n"
        "<b>Minimum temporal coherence</b>: pixels below it are NaN in the time series and velocity.\n"
        "<b>DEM</b> (optional, same grid): HEIGHT of the points.\n\n"
        "<b>Outputs</b>: time series (one band per date, band description = ISO date, mm, first date = 0, "
        "LOS positive toward the satellite), velocity (mm/yr, linear fit of the time series), its "
        "standard error, temporal coherence (0..1, Pepe & Lanari 2006), number of interferograms used, "
        "optional points (GeoPackage in the raster CRS: VEL, V_STDEV, COHERENCE, HEIGHT, DYYYYMMDD in mm), "
        "optional MintPy timeseries.h5 / velocity.h5 (metres), and a network report (HTML + PNG + text) "
        "listing dates, pairs, dropped pairs and disconnected subsets.\n\n"
        "<b>Memory</b>: rows are processed in blocks of about MAX_MEMORY_MB (advanced), whatever the stack "
        "size; only the optional points and MintPy velocity outputs keep one value per pixel in memory."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        common_parameters(self, mintpy=True)
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "BASELINES", self.tr("Perpendicular baselines: GAMMA *_bperp.par / *_base.par files or folder"),
            QgsProcessing.SourceType.TypeFile, optional=True))
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Input unit / sign"),
                                                     options=INPUT_UNITS, defaultValue=0))
        self.addParameter(QgsProcessingParameterPoint("REFERENCE", self.tr("Reference point (empty: automatic)"),
                                                      optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_TEMPORAL_BASELINE", self.tr("Maximum temporal baseline (days, 0 = no limit)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_PERP_BASELINE", self.tr("Maximum perpendicular baseline (m, 0 = no limit)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_MEAN_COHERENCE", self.tr("Minimum mean coherence of an interferogram (0 = keep all)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterString(
            "DROP_PAIRS", self.tr("Interferograms to drop (YYYYMMDD_YYYYMMDD, comma separated)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum("WEIGHTING", self.tr("Weighting"), options=WEIGHTING,
                                                     defaultValue=0))
        p = QgsProcessingParameterNumber("LOOKS", self.tr("Independent looks (variance weighting)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=10, minValue=1,
                                         maxValue=80)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterNumber(
            "COHERENCE_THRESHOLD", self.tr("Pixel coherence threshold (ISBAS)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "ISBAS_MIN_COUNT", self.tr("ISBAS minimum number of usable interferograms per pixel (0 = all)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_TEMPORAL_COHERENCE", self.tr("Minimum temporal coherence"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.7, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "DEM", self.tr("DEM (m, same grid; for the points' HEIGHT)"), optional=True))
        p = QgsProcessingParameterNumber("MAX_MEMORY_MB", self.tr("Memory for one block (MB)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=512, minValue=16)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_TIMESERIES", self.tr("Time series (mm)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_VELOCITY", self.tr("Velocity (mm/yr)")))
        # secondary outputs: made by default in the dialog, may be left out (then not written)
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY_STD", self.tr("Velocity standard error (mm/yr)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_TEMPORAL_COHERENCE", self.tr("Temporal coherence (0-1)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_COHCOUNT", self.tr("Interferograms used per pixel (count)"), optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(
            "OUTPUT_POINTS", self.tr("Velocity points (mm/yr; time series in mm)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_MINTPY_TIMESERIES", self.tr("MintPy timeseries.h5"), "HDF5 (*.h5)", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_MINTPY_VELOCITY", self.tr("MintPy velocity.h5"), "HDF5 (*.h5)", optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_REPORT", self.tr("Network report (HTML; PNG and text alongside)"), "HTML (*.html)",
            optional=True))
        self.addOutput(QgsProcessingOutputFile("OUTPUT_NETWORK_PNG", self.tr("Network plot (PNG)")))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = check_stack_parameters(self, parameters, context, mintpy=True)
        if not ok:
            return ok, msg
        w = self.parameterAsEnum(parameters, "WEIGHTING", context)
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        has_coh = bool(_raw_list(parameters.get("COHERENCE"))) or bool(parameters.get("MINTPY_STACK")) \
            or any(is_mintpy_stack(i) for i in _raw_list(parameters.get("INTERFEROGRAMS")))
        if (w == 1 or thr > 0) and not has_coh:
            return False, "WEIGHTING by coherence and COHERENCE_THRESHOLD need COHERENCE rasters"
        return True, ""

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, feedback=feedback)
        for line in ignored_report(stack.ignored):
            feedback.pushInfo(line)
        full = stack.network
        weighting = ["none", "variance"][self.parameterAsEnum(parameters, "WEIGHTING", context)]
        if weighting == "variance" and not stack.has_coherence:
            raise GeohazardError("WEIGHTING: coherence-based weighting needs COHERENCE rasters")
        rows = block_rows_for(stack, self.parameterAsDouble(parameters, "MAX_MEMORY_MB", context))
        min_mean_coh = self.parameterAsDouble(parameters, "MIN_MEAN_COHERENCE", context)
        # the scan pass (valid count, mean coherence) is only needed to pick a reference or filter by coherence
        need_scan = not parameters.get("REFERENCE") or min_mean_coh > 0
        count = mean_coh = ifg_coh = None
        with executor(self, parameters, context, feedback) as ex:
            if need_scan:
                count, mean_coh, ifg_coh = scan_stack(stack, rows, SubProgress(progress, 0, 15),
                                                      coherence=stack.has_coherence, executor=ex)
            flt = filter_network(
                full, max_temporal_baseline_days=self.parameterAsDouble(parameters, "MAX_TEMPORAL_BASELINE", context),
                max_perp_baseline_m=self.parameterAsDouble(parameters, "MAX_PERP_BASELINE", context) or None,
                mean_coherence=ifg_coh, min_mean_coherence=min_mean_coh,
                drop_pairs=(self.parameterAsString(parameters, "DROP_PAIRS", context) or "").split(","))
            if not flt.keep.all():
                stack = stack.subset(flt.keep)
                if need_scan:
                    count, mean_coh, _ = scan_stack(stack, rows, SubProgress(progress, 15, 25),
                                                    coherence=stack.has_coherence, executor=ex)
            net = stack.network
            if count is not None and count.max() == 0:
                raise GeohazardError("INTERFEROGRAMS: every pixel is no-data (NaN or the nodata value) in every "
                                     "interferogram")
            warn_disconnected(progress, net)
            ref_rc = reference_pixel(self, parameters, context, stack, count, mean_coh)
            feedback.pushInfo(f"Reference pixel: row {ref_rc[0]}, column {ref_rc[1]}; {net.n_pairs} interferograms, "
                              f"{net.n_dates} dates, weighting {weighting}")
            solver = SbasSolver(
                net, wavelength_m=stack.wavelength_m, weighting=weighting,
                looks=self.parameterAsInt(parameters, "LOOKS", context),
                coherence_threshold=self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context),
                min_count=self.parameterAsInt(parameters, "ISBAS_MIN_COUNT", context),
                min_temporal_coherence=self.parameterAsDouble(parameters, "MIN_TEMPORAL_COHERENCE", context))
            outputs = write_sbas_outputs(self, parameters, context, stack, solver, reference_values(stack, *ref_rc),
                                         ref_rc, rows, SubProgress(progress, 25, 95), executor=ex)
        outputs.update(write_report(self, parameters, context, net, full, flt, ref_rc))
        return outputs


def warn_disconnected(progress, net: Network) -> None:
    subsets = net.components()
    if len(subsets) > 1:
        warn(progress, f"the network is disconnected into {len(subsets)} subsets: " + "; ".join(
            f"{net.dates[s[0]]}..{net.dates[s[-1]]} ({len(s)} dates)" for s in subsets)
            + " -- solved with the minimum-norm velocity across the gaps")


#: Grids up to this size keep their velocity, error and last date (12 bytes per pixel) for the styles.
STYLE_STATS_MAX_PIXELS = 25_000_000
SBAS_OUTPUTS = {"OUTPUT_TIMESERIES": "timeseries", "OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std",
                "OUTPUT_TEMPORAL_COHERENCE": "temporal_coherence", "OUTPUT_COHCOUNT": "count"}


def sbas_writers(info: RasterInfo, net: Network, meta: dict) -> dict:
    """Makers of the SBAS rasters (output key -> ``path -> RasterWriter``)."""
    dates = [d.isoformat() for d in net.dates]
    return {
        "OUTPUT_TIMESERIES": lambda p: RasterWriter.like(p, info, count=net.n_dates, descriptions=dates,
                                                         metadata=meta),
        "OUTPUT_VELOCITY": lambda p: RasterWriter.like(p, info, metadata={**meta, "UNIT": "mm/yr"},
                                                       descriptions=["LOS velocity (mm/yr)"]),
        "OUTPUT_VELOCITY_STD": lambda p: RasterWriter.like(p, info, metadata={"UNIT": "mm/yr"},
                                                           descriptions=["velocity standard error (mm/yr)"]),
        "OUTPUT_TEMPORAL_COHERENCE": lambda p: RasterWriter.like(p, info, descriptions=["temporal coherence"]),
        "OUTPUT_COHCOUNT": lambda p: RasterWriter.like(p, info, dtype=np.int16, nodata=-1,
                                                       descriptions=["interferograms used"]),
    }


def write_sbas_outputs(alg, parameters, context, stack: StackInput, solver: SbasSolver, ref_mm, ref_rc, rows,
                       progress, *, executor=None) -> dict:
    """The solve pass on the block engine (:func:`~..algorithms.timeseries.sbas_blocks.sbas_block`): rasters,
    MintPy h5 and points, each published only when every block is written."""
    info, net = stack.info, stack.network
    need_coh = stack.has_coherence and (solver.weighting == "variance" or solver.coherence_threshold > 0)
    dem_path = alg.raster_path(parameters, "DEM", context) if parameters.get("DEM") else None
    if dem_path:
        check_same_grid([info, raster_info(dem_path, "DEM")], ["INTERFEROGRAMS", "DEM"])
    out = {k: alg.parameterAsOutputLayer(parameters, k, context) for k in SBAS_OUTPUTS
           if k in ("OUTPUT_TIMESERIES", "OUTPUT_VELOCITY") or parameters.get(k)}
    points_path, h5_ts, h5_vel = (alg.parameterAsFileOutput(parameters, k, context) if parameters.get(k) else ""
                                  for k in ("OUTPUT_POINTS", "OUTPUT_MINTPY_TIMESERIES", "OUTPUT_MINTPY_VELOCITY"))
    meta = {"UNIT": "mm", "SIGN": "LOS positive toward the satellite", "REFERENCE_ROW": ref_rc[0],
            "REFERENCE_COL": ref_rc[1], "WAVELENGTH_M": stack.wavelength_m}
    epsg = None
    if info.crs_wkt:
        auth = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid()
        epsg = int(auth.split(":")[1]) if auth.startswith("EPSG:") else None
    georef = dict(geotransform=info.geotransform if info.has_georef else None, epsg=epsg, ref_yx=ref_rc)
    keep = SbasCollector(info.shape, geotransform=info.geotransform, points=bool(points_path),
                         full_velocity=bool(h5_vel), read_height=(lambda r0, r1: read_band(
                             dem_path, rows=(r0, r1), name="DEM")) if dem_path else None,
                         style_stats=info.width * info.height <= STYLE_STATS_MAX_PIXELS)
    makers = sbas_writers(info, net, meta)
    with contextlib.ExitStack() as guard:
        writers = {k: guard.enter_context(makers[k](p)) for k, p in out.items()}
        h5w = MintpyTimeseriesWriter(h5_ts, net.dates, info.shape, wavelength_m=stack.wavelength_m,
                                     bperp_m=net.date_bperp_m(), **georef) if h5_ts else None
        if h5w is not None:
            guard.push(lambda exc_type, *_: exc_type is not None and h5w.abort())

        def write(block, res):
            for key, w in writers.items():
                w.write(res[SBAS_OUTPUTS[key]], row=block.row0)
            if h5w is not None:
                h5w.write(res["timeseries"], row=block.row0)
            keep(block, res)

        # blocks fill whole output tiles (written once, whatever GDAL's cache size); the engine reads block k+1
        # and writes block k-1 in background threads while block k is solved
        plan = plan_blocks(info.height, info.width,
                           block_rows=aligned_block_rows(rows, writers["OUTPUT_TIMESERIES"].tile_rows))
        process_blocks(plan, functools.partial(sbas_block, solver=solver), write,
                       sources={"stack": stack_source(stack, need_coh, ref_mm)}, executor=executor, progress=progress,
                       background_write=True)
        check_canceled(progress)
        with gdal_threads():
            for w in writers.values():
                w.commit()
        if h5w is not None:
            h5w.commit()
    if keep.n_disconnected:
        warn(progress, f"{keep.n_disconnected} pixel(s) had a disconnected network of usable interferograms "
                       "(minimum-norm velocity across the gaps)")
    results = dict(out)
    if h5_vel:
        write_velocity_h5(h5_vel, keep.velocity, keep.velocity_std, dates=net.dates, wavelength_m=stack.wavelength_m,
                          **georef)
        results["OUTPUT_MINTPY_VELOCITY"] = h5_vel
    if h5_ts:
        results["OUTPUT_MINTPY_TIMESERIES"] = h5_ts
    if points_path:
        results["OUTPUT_POINTS"] = write_points(points_path, keep, net, info)
        style_points_velocity(results["OUTPUT_POINTS"], context=context)
    ranges = keep.style_ranges() or {}  # the ramps' limits from the blocks, not from reading the files again
    style_raster_diverging(out["OUTPUT_VELOCITY"], context=context, vmax=ranges.get("velocity"))
    style_raster_diverging(out["OUTPUT_TIMESERIES"], context=context, band=net.n_dates, vmax=ranges.get("last_date"))
    if "OUTPUT_VELOCITY_STD" in out:
        lo, hi = ranges.get("velocity_std", (None, None))
        style_raster_sequential(out["OUTPUT_VELOCITY_STD"], context=context, ramp_name="Magma", vmin=lo, vmax=hi)
    if "OUTPUT_TEMPORAL_COHERENCE" in out:
        style_raster_sequential(out["OUTPUT_TEMPORAL_COHERENCE"], context=context, vmin=0.0, vmax=1.0)
    if "OUTPUT_COHCOUNT" in out:
        style_raster_sequential(out["OUTPUT_COHCOUNT"], context=context, vmin=0, vmax=net.n_pairs)
    return results


def write_points(path: str, keep: SbasCollector, net: Network, info: RasterInfo) -> str:
    x, y, fields, ts = keep.point_fields(net.n_dates)
    for i, d in enumerate(net.dates):
        fields[field_name(d)] = ts[i].astype(np.float64)
    return write_vector(path, fields, crs_wkt=info.crs_wkt, x=x, y=y)


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


# ============================================================================ stacking
class StackingVelocity(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "stackingvelocity"
    DISPLAY_NAME = "Stacking velocity (weighted rate stacking)"
    GROUP_ID = "timeseries"
    HELP = (
        "Quick-look LOS velocity from a stack of unwrapped interferograms by weighted rate stacking: "
        "v = sum(w d dt) / sum(w dt^2) per pixel, with its standard error from the scatter of the "
        "interferogram rates (Sandwell & Price 1998, doi:10.1029/1998JB900010). Assumes a constant rate.\n\n"
        "<b>Interferograms</b>: folder or list (date pair from the file name). <b>Coherence</b> (optional): "
        "for the weighting and the threshold.\n" + UNITS_HELP +
        "<b>Reference point</b>: as in the SBAS tool (empty: automatic).\n"
        "<b>Maximum temporal baseline</b> (days, 0 = all).\n\n"
        "<b>Outputs</b>: velocity (mm/yr, LOS positive toward the satellite), standard error (mm/yr), "
        "number of interferograms used."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        common_parameters(self, mintpy=False)
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Input unit / sign"),
                                                     options=INPUT_UNITS, defaultValue=0))
        self.addParameter(QgsProcessingParameterPoint("REFERENCE", self.tr("Reference point (empty: automatic)"),
                                                      optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_TEMPORAL_BASELINE", self.tr("Maximum temporal baseline (days, 0 = no limit)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterEnum("WEIGHTING", self.tr("Weighting"), options=WEIGHTING,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "LOOKS", self.tr("Independent looks (variance weighting)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=10, minValue=1, maxValue=80))
        self.addParameter(QgsProcessingParameterNumber(
            "COHERENCE_THRESHOLD", self.tr("Pixel coherence threshold"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_COUNT", self.tr("Minimum number of interferograms per pixel"),
            QgsProcessingParameterNumber.Type.Integer,
            defaultValue=2, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_VELOCITY", self.tr("Stacked velocity")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY_STD", self.tr("Stacked velocity standard error"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_COUNT", self.tr("Interferograms used"), optional=True, createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = check_stack_parameters(self, parameters, context, mintpy=False)
        if ok and (self.parameterAsEnum(parameters, "WEIGHTING", context) == 1
                   or self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context) > 0) \
                and not _raw_list(parameters.get("COHERENCE")):
            return False, "WEIGHTING by coherence and COHERENCE_THRESHOLD need COHERENCE rasters"
        return ok, msg

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = filter_network(stack.network, max_temporal_baseline_days=self.parameterAsDouble(
            parameters, "MAX_TEMPORAL_BASELINE", context))
        stack = stack.subset(flt.keep) if not flt.keep.all() else stack
        rows = block_rows_for(stack, 256.0, factor=5)
        count = mean_coh = None
        if not parameters.get("REFERENCE"):
            count, mean_coh, _ = scan_stack(stack, rows, SubProgress(progress, 0, 30),
                                            coherence=stack.has_coherence)
        ref_rc = reference_pixel(self, parameters, context, stack, count, mean_coh)
        ref_mm = reference_values(stack, *ref_rc)
        weighted = self.parameterAsEnum(parameters, "WEIGHTING", context) == 1
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        looks = self.parameterAsInt(parameters, "LOOKS", context)
        min_count = self.parameterAsInt(parameters, "MIN_COUNT", context)
        span = stack.network.temporal_baseline_days / 365.25
        info = stack.info
        keys = [k for k in ("OUTPUT_VELOCITY", "OUTPUT_VELOCITY_STD", "OUTPUT_COUNT") if parameters.get(k)]
        paths = {k: self.parameterAsOutputLayer(parameters, k, context) for k in keys}
        writers = {k: RasterWriter.like(p, info, **({"dtype": np.int16, "nodata": -1} if k == "OUTPUT_COUNT" else {}))
                   for k, p in paths.items()}
        coherence = stack.has_coherence and (weighted or thr > 0)
        # the stack is read here (units, signs, MintPy) and shipped to Dask workers with each block
        source = CallableSource(lambda r0, r1: stack.read(r0, r1, coherence=coherence))
        func = functools.partial(stacking_block, span_years=span, reference_mm=ref_mm, weighted=weighted,
                                 coherence_threshold=thr, looks=looks, min_count=min_count)
        names = {"OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std", "OUTPUT_COUNT": "count"}

        def write(block, out):
            for k, wr in writers.items():
                wr.write(out[names[k]], row=block.row0)

        with contextlib.ExitStack() as outputs:
            for wr in writers.values():
                outputs.enter_context(wr)
            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan_blocks(info.height, info.width, block_rows=rows), func, write,
                               sources={"stack": source}, executor=ex, progress=SubProgress(progress, 30, 100),
                               background_write=True)
        style_raster_diverging(paths["OUTPUT_VELOCITY"], context=context)
        if "OUTPUT_VELOCITY_STD" in paths:
            style_raster_sequential(paths["OUTPUT_VELOCITY_STD"], context=context, ramp_name="Magma")
        return paths


# ============================================================================ phase gradient
class PhaseGradientStacking(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "phasegradientstacking"
    DISPLAY_NAME = "Phase-gradient stacking (landslide detection)"
    GROUP_ID = "timeseries"
    HELP = (
        "Reveals slow-moving landslides without phase unwrapping: the wrapped phase gradient of each "
        "short-baseline interferogram is taken along columns (range / x) and rows (azimuth / y) as the angle "
        "of z(next) * conj(z), and the gradients are stacked as a rate, sum(w g) / sum(w dt). Localised "
        "motion (landslide bodies and borders) shows up as high gradient; smooth atmospheric delays largely "
        "cancel. After Fu, Zhang, Wang et al. (2022), doi:10.3389/fenvs.2022.963322.\n\n"
        "<b>Interferograms</b>: wrapped phase (radians), complex interferograms, or unwrapped phase (it is "
        "re-wrapped); folder or list, date pair from the file name. Use short temporal baselines "
        "(e.g. <= 48 days) so gradients do not alias.\n"
        "<b>Coherence</b> (optional): weights (the smaller of the two pixels).\n"
        "<b>Phase convention</b>: sign of the component outputs only.\n" + WAVELENGTH_HELP + "\n\n"
        "<b>Outputs</b>: gradient-rate magnitude in mm/yr of LOS motion per pixel; optional column (range) and "
        "row (azimuth) components, signed, LOS positive toward the satellite."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "INTERFEROGRAMS", self.tr("Wrapped interferograms (rasters, or a folder)"),
            QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "COHERENCE", self.tr("Coherence rasters or folder (weights)"), QgsProcessing.SourceType.TypeRaster,
            optional=True))
        self.addParameter(wavelength_parameter(self, "WAVELENGTH_M"))
        self.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", self.tr("Phase convention"),
                                                     options=INPUT_UNITS[:2], defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_TEMPORAL_BASELINE", self.tr("Maximum temporal baseline (days, 0 = no limit)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_COUNT", self.tr("Minimum number of interferograms per pixel"),
            QgsProcessingParameterNumber.Type.Integer,
            defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT", self.tr("Phase-gradient magnitude (mm/yr per pixel)")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_RANGE", self.tr("Column (range) gradient (mm/yr per pixel)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_AZIMUTH", self.tr("Row (azimuth) gradient (mm/yr per pixel)"), optional=True,
            createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        return check_stack_parameters(self, parameters, context, mintpy=False)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = filter_network(stack.network, max_temporal_baseline_days=self.parameterAsDouble(
            parameters, "MAX_TEMPORAL_BASELINE", context))
        stack = stack.subset(flt.keep) if not flt.keep.all() else stack
        sign = 1.0 if self.parameterAsEnum(parameters, "INPUT_UNITS", context) == 0 else -1.0
        min_count = self.parameterAsInt(parameters, "MIN_COUNT", context)
        span = stack.network.temporal_baseline_days / 365.25
        info = stack.info
        keys = [k for k in ("OUTPUT", "OUTPUT_RANGE", "OUTPUT_AZIMUTH") if parameters.get(k)]
        paths = {k: self.parameterAsOutputLayer(parameters, k, context) for k in keys}
        writers = {k: RasterWriter.like(p, info) for k, p in paths.items()}
        rows = block_rows_for(stack, 256.0, factor=10)
        order = list(stack.order)
        sources = {"phase": StackSource([stack.paths[i] for i in order], GdalOpener(), dtype=np.float64)}
        if stack.coh_paths is not None:
            sources["coherence"] = StackSource([stack.coh_paths[i] for i in order], GdalOpener(), dtype=np.float32)
        func = functools.partial(phase_gradient_block, span_years=span, wavelength_m=stack.wavelength_m,
                                 signs=sign * np.asarray(stack.signs, dtype=np.float64), min_count=min_count)
        names = {"OUTPUT": "magnitude_mm_yr", "OUTPUT_RANGE": "col_mm_yr", "OUTPUT_AZIMUTH": "row_mm_yr"}

        def write(block, out):
            for k, wr in writers.items():
                wr.write(out[names[k]], row=block.row0)

        with contextlib.ExitStack() as outputs:
            for wr in writers.values():
                outputs.enter_context(wr)
            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan_blocks(info.height, info.width, block_rows=rows, halo=1), func, write,
                               sources=sources, executor=ex, progress=progress, background_write=True)
        style_raster_sequential(paths["OUTPUT"], context=context, ramp_name="Magma")
        for k in ("OUTPUT_RANGE", "OUTPUT_AZIMUTH"):
            if k in paths:
                style_raster_diverging(paths[k], context=context)
        return paths


ALGORITHMS = [SbasInversion, StackingVelocity, PhaseGradientStacking]

