"""IO of the stack corrections: the stack in network order, fit masks, DEM height range, delay maps resampled
onto the grid, block passes that sum fits or write one corrected GeoTIFF per interferogram, CSV reports, and
the block loops of the closure and time-series corrections.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ...algorithms.conventions import phase_to_los_mm, radians_per_m, radians_per_mm
from ...algorithms.corrections import network_mod
from ...algorithms.corrections.closure import (
    ClosureStats,
    closure_offsets,
    loop_statistics,
    loop_table,
    with_halo,
)
from ...algorithms.corrections.ramps import FitSums
from ...algorithms.corrections.reference import reference_sums_block
from ...algorithms.engine import CallableSource, StackSource, max_memory_bytes
from ...algorithms.errors import GeohazardError
from ...algorithms.formats import gacos
from ...algorithms.formats.wavelength import WAVELENGTH_METADATA_KEYS
from ...algorithms.progress import SubProgress
from ..base import file_parts
from ..base.blocks import GdalOpener, RunSettings, raster_source, run_blocks
from ..base.raster import RasterWriter, gdal_cache_limit, open_raster, raster_info
from ..base.runs import Outcome
from ..base.writers import write_csv
from ..display import styles
from ..timeseries.stacks import StackInput

#: What a fit mask is made of, named when an interferogram has too few pixels in it.
MASK_NAME = "STABLE_AREA / MASK / COHERENCE_THRESHOLD"


def output_name(path: str) -> str:
    """The input's file name, as a GeoTIFF (``.tif`` replaces another extension)."""
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    return base if ext.lower() in (".tif", ".tiff") else stem + ".tif"


def output_names(paths: list) -> list:
    """Output file names: the input's name, ``.tif`` for inputs in another format; unique."""
    names = [output_name(p) for p in paths]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise GeohazardError(f"INTERFEROGRAMS: two inputs would be written as {dup[0]} in the output folder "
                             "(same file name in different folders); rename one")
    return names


#: Modelled memory of one block of whole interferograms (:meth:`Stack.group_plan`), MB: about two
#: 1-Mpx interferograms per block, so reading, fitting and compressing the output overlap.
GROUP_MB = 64.0
#: Codec of the corrected stacks (RasterWriter ``compress``): ZSTD level 1 with the float predictor is
#: lossless like DEFLATE, about the same size and half the CPU time (the 1-Mpx, 202-interferogram
#: ramp removal: 10.5 vs 15.4 CPU-s for the whole run); GDAL-based software reads it (QGIS, MintPy,
#: rasterio; GDAL >= 2.3). DEFLATE where this GDAL has no ZSTD.
CODEC = "ZSTD"
#: Codec of a corrected stack written to a temporary destination (a model's intermediate step, which the next step
#: reads and QGIS deletes with the session): uncompressed, 5 x cheaper to write and 12 x cheaper to read back than
#: ZSTD on a 0.5-Mpx float32 interferogram (noisy phase compresses to ~65 % only); :func:`stack_codec`.
CODEC_TEMPORARY = "NONE"


def stack_codec(temporary: bool) -> str:
    """The codec of a corrected stack: :data:`CODEC_TEMPORARY` for a temporary destination, else :data:`CODEC`."""
    return CODEC_TEMPORARY if temporary else CODEC


class Stack:
    """The stack in network order: files, orientation, coherence and the output names."""

    def __init__(self, inp: StackInput, run: Optional[RunSettings] = None):
        self.inp = inp
        self.run = run or RunSettings()  # the run's knobs: its blocks fit MAX_MEMORY_MB
        order = list(inp.order)
        self.network = inp.network
        self.info = inp.info
        self.paths = [inp.paths[i] for i in order]
        self.coh_paths = None if inp.coh_paths is None else [inp.coh_paths[i] for i in order]
        self.signs = np.asarray(inp.signs, np.float64)
        self.names = list(self.network.names)
        self.units = inp.units
        self.wavelength_m = inp.wavelength_m
        ref, sec = self.network.ref_index, self.network.sec_index
        # dates of each file in the order its name gives them: the file holds second minus first
        self.first = np.where(self.signs > 0, ref, sec)
        self.second = np.where(self.signs > 0, sec, ref)
        self.codec = CODEC  # of the corrected stack written (stack_codec: uncompressed to a temporary destination)

    @property
    def m(self) -> int:
        return len(self.paths)

    def sources(self, *, coherence: bool) -> dict:
        src = {"stack": StackSource(self.paths, GdalOpener(), dtype=np.float32, names=self.names)}
        if coherence and self.coh_paths is not None:
            src["coherence"] = StackSource(self.coh_paths, GdalOpener(), dtype=np.float32)
        return src

    def file_bytes(self, copies: float = 4.0) -> float:
        """Memory model of one pixel of one interferogram in a block (its data and copies, its coherence)."""
        return 8.0 * copies + (4.0 if self.coh_paths is not None else 0.0)

    def plan(self, copies: float = 4.0, halo: int = 0):
        """Row blocks of the run's memory budget (every interferogram: ``copies`` of its data and its coherence)."""
        return self.run.plan(self.info.height, self.info.width, bytes_per_pixel=self.m * self.file_bytes(copies),
                             halo=halo)

    def group_plan(self, copies: float = 4.0, shared_bytes: float = 0.0):
        """Blocks of whole interferograms (one read per file, :func:`plan_file_groups`), or None when one
        whole interferogram does not fit the memory budget (then: a fitting pass and a correcting pass
        over row blocks, :meth:`plan`)."""
        return self.run.plan_files(self.m, self.info.height, self.info.width,
                                   bytes_per_file_pixel=self.file_bytes(copies), bytes_per_pixel=shared_bytes,
                                   group_mb=GROUP_MB)


def mask_raster(path: str, info) -> np.ndarray:
    """A mask raster on the grid of ``info`` as uint8 (1 = use: finite, non-zero, not nodata)."""
    minfo = raster_info(path, "MASK")
    if not minfo.same_grid(info):
        raise GeohazardError(f"MASK: {os.path.basename(path)} is not on the interferograms' grid ({info.height} "
                             f"rows x {info.width} columns, same origin, pixel size and CRS)")
    ds = open_raster(path, "MASK")
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray()
    nd = band.GetNoDataValue()
    ok = np.isfinite(arr) & (arr != 0)
    if nd is not None:
        ok &= arr != nd
    return ok.astype(np.uint8)


def mask_sources(mask) -> dict:
    return {} if mask is None else {"mask": mask}


def stacking_sums(stack: Stack, run: RunSettings, progress) -> dict:
    """One block pass: per pixel the valid interferograms (``count``), the stacking-rate sums ``sdt``, ``dt2``
    (:func:`~..algorithms.corrections.reference.reference_sums_block`) and, with coherence, its mean ``coh``."""
    h, w = stack.info.shape
    maps = {"count": np.zeros((h, w), np.int32), "sdt": np.zeros((h, w)), "dt2": np.zeros((h, w))}
    if stack.coh_paths is not None:
        maps["coh"] = np.zeros((h, w))
    span = stack.network.temporal_baseline_days / 365.25

    def put(block, out):
        for k, v in out.items():
            maps[k][block.row0:block.row1] = v

    run_blocks(stack.plan(copies=3.0), functools.partial(reference_sums_block, span_years=span, signs=stack.signs),
               put, sources=stack.sources(coherence=True), run=run, progress=progress)
    return maps


def describe_plan(plan, *, one_read: bool) -> str:
    """The log line saying how the stack is read: blocks of whole interferograms read once (fit, correct,
    write), or twice (fit all, then correct), or two passes over row blocks."""
    if plan is None:
        return "two passes over row blocks (one whole interferogram does not fit the memory budget)"
    k = plan[0].files[1] - plan[0].files[0]
    what = f"{len(plan)} block(s) of up to {k} whole interferogram(s)"
    return f"each interferogram read once: {what} (fit, correct, write)" if one_read else \
        f"two passes (every fit before any correction) over {what}"


def fit_pass(stack: Stack, func, *, sources, run: RunSettings, progress, plan=None, n_window_rows: int = 1) -> dict:
    """Run a fitting block function over the stack and add its per-row sums (normal equations) in row order
    (:class:`~...algorithms.corrections.ramps.FitSums`: the same totals for any block layout); with blocks of
    whole interferograms (``plan`` from :meth:`Stack.group_plan`) each block's totals are those of its files."""
    total = FitSums(stack.m, n_window_rows)
    run_blocks(plan or stack.plan(), func, total, sources=sources, run=run, progress=progress)
    return total.result()


def write_corrected(stack: Stack, func, *, sources, out_dir, run: RunSettings, progress,
                    metadata: dict, plan=None, collect=()) -> tuple:
    """Run a correcting block function and write one GeoTIFF per interferogram into ``out_dir``.

    ``plan``: row blocks (default :meth:`Stack.plan`) or blocks of whole interferograms
    (:meth:`Stack.group_plan`). ``collect``: names of per-interferogram outputs of the block function
    (first axis = the block's files) gathered in file order. Returns ``(paths, {name: array})``.
    """
    os.makedirs(out_dir, exist_ok=True)
    names = output_names(stack.paths)
    paths = [os.path.join(out_dir, n) for n in names]
    got = {k: [None] * stack.m for k in collect}
    writers = [RasterWriter.like(p, stack.info, descriptions=[nm], compress=stack.codec,
                                 metadata={**metadata, "PAIR": nm})
               for p, nm in zip(paths, stack.names)]


    def write(block, out):
        f0, f1 = block.files if block.files is not None else (0, stack.m)
        for w, arr in zip(writers[f0:f1], out["corrected"]):
            w.write(arr, row=block.row0)
            if block.files is not None:  # whole interferograms: this file is complete
                w.finish()
        for k in collect:
            got[k][f0:f1] = list(out[k])

    run_blocks(plan or stack.plan(), func, write, sources=sources, run=run, progress=progress, writers=writers,
               background_write=True)
    return paths, {k: np.stack(v) for k, v in got.items()}


def mean_coherence(stack: Stack, run: RunSettings, progress) -> np.ndarray:
    """Spatial mean coherence of each interferogram (NaN where it has no valid value)."""
    src = {"coherence": StackSource(stack.coh_paths, GdalOpener(), dtype=np.float32)}
    sums = fit_pass(stack, network_mod.coherence_sums_block, sources=src, run=run, progress=progress)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums["s"] / sums["n"]


def loop_misfit(stack: Stack, triplets, *, coherence_threshold: float, run: RunSettings, progress) -> np.ndarray:
    """Loop-closure misfit (radians) of each triplet over the pixels at least ``coherence_threshold`` coherent in
    its three interferograms (every pixel without coherence rasters)."""
    to_rad = 1.0 if stack.units < 2 else radians_per_m(stack.wavelength_m) * (1.0 if stack.units == 2 else 1e-3)
    loop_coh = coherence_threshold if stack.coh_paths is not None else 0.0
    sums = fit_pass(stack, functools.partial(network_mod.closure_sums_block, triplets=triplets, signs=stack.signs,
                                             to_radians=to_rad, coherence_threshold=loop_coh),
                    sources=stack.sources(coherence=loop_coh > 0), run=run, progress=progress)
    return network_mod.closure_misfit(sums)


def unit_meta(stack: Stack) -> dict:
    """What a corrected interferogram carries for the next step: its unit and sign and the wavelength the
    stack was read with (so a later tool converting phase to mm uses the same one, not a default)."""
    meta = {"UNIT": ["radians (phase grows with range)", "radians (phase grows toward the satellite)",
                     "m (LOS, positive toward the satellite)", "mm (LOS, positive toward the satellite)"][stack.units]}
    if getattr(stack, "wavelength_m", None):
        meta["WAVELENGTH_M"] = f"{stack.wavelength_m:.10g}"
    return meta


def warp_delay(path: str, info, out: str) -> str:
    """A delay map (GACOS ``.ztd`` or a GeoTIFF, metres) resampled bilinearly onto the grid of ``info``."""
    from osgeo import gdal, osr

    name = os.path.basename(path)
    if path.lower().endswith(".ztd"):
        arr, gt = gacos.read_ztd(path)
        src = gdal.GetDriverByName("MEM").Create("", arr.shape[1], arr.shape[0], 1, gdal.GDT_Float32)
        src.SetGeoTransform(gt)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(4326)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        src.SetProjection(srs.ExportToWkt())
        src.GetRasterBand(1).WriteArray(arr)
        src.GetRasterBand(1).SetNoDataValue(0.0)  # GACOS fills outside its area with 0
    else:
        src = open_raster(path, f"DELAYS ({name})")
        if not src.GetProjection():
            raise GeohazardError(f"DELAYS: {name} has no CRS; a delay map must be georeferenced")
    gt = info.geotransform
    bounds = (gt[0], gt[3] + gt[5] * info.height, gt[0] + gt[1] * info.width, gt[3])
    ds = gdal.Warp(out, src, format="GTiff", outputBounds=bounds, width=info.width, height=info.height,
                   dstSRS=info.crs_wkt or None, resampleAlg="bilinear", dstNodata=float("nan"),
                   outputType=gdal.GDT_Float32)
    if ds is None:
        raise GeohazardError(f"DELAYS: {name} could not be resampled onto the interferograms' grid")
    arr = ds.GetRasterBand(1).ReadAsArray()
    ds = None
    if not np.isfinite(arr).any():
        raise GeohazardError(f"DELAYS: {name} does not cover the interferograms (no value on their grid)")
    return out


def link_or_copy(src: str, dst: str) -> str:
    """A hard link to ``src`` at ``dst`` (no bytes copied), or a copy across file systems; a GDAL virtual file (a
    product's interferogram seen through a VRT, a zip member) is written as a GeoTIFF named
    :func:`output_name`. Returns the path written."""
    if src.startswith("/vsi"):
        from osgeo import gdal

        dst = os.path.join(os.path.dirname(dst), output_name(dst))
        ds = gdal.Translate(dst, src, format="GTiff", creationOptions=["COMPRESS=DEFLATE", "TILED=YES"])
        if ds is None:
            raise GeohazardError(f"{os.path.basename(src)} could not be written to {dst}")
        ds = None
        return dst
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst


def dem_height_sd(path: str) -> float:
    """Spatial standard deviation of the DEM's heights (metres, no-data left out)."""
    ds = open_raster(path, "DEM")
    stats = ds.GetRasterBand(1).ComputeStatistics(False)
    ds = None
    return float(stats[3])


def mm_per_unit(stack) -> float:
    """Millimetres of LOS per unit of the stack's files (size only: radians give wavelength / 4 pi)."""
    return (1.0 / radians_per_mm(stack.wavelength_m), 1.0 / radians_per_mm(stack.wavelength_m), 1000.0,
            1.0)[stack.units]


def dem_height_range(path: str, info) -> tuple:
    """``(lowest, highest)`` height of the DEM at ``path`` (metres), refused when not on the grid of ``info``."""
    dinfo = raster_info(path, "DEM")
    if not dinfo.same_grid(info):
        crs = "another CRS" if (dinfo.srs is None) != (info.srs is None) or (
            dinfo.srs is not None and not dinfo.srs.IsSame(info.srs)) else "another grid"
        raise GeohazardError(
            f"DEM: {os.path.basename(path)} is on {crs} ({dinfo.height} x {dinfo.width} px) than the "
            f"interferograms ({info.height} x {info.width} px); resample it onto their grid first "
            "(Raster > Projections > Warp with the interferograms' extent, size and CRS)")
    ds = open_raster(path, "DEM")
    band = ds.GetRasterBand(1)
    nd = band.GetNoDataValue()
    lo, hi = band.ComputeRasterMinMax(False)
    if nd is not None and (lo == nd or hi == nd):  # min/max may be the nodata value on some drivers
        arr = band.ReadAsArray().astype(float)
        arr[arr == nd] = np.nan
        lo, hi = np.nanmin(arr), np.nanmax(arr)
    return lo, hi


# ----------------------------------------------------------------------------- closure and time-series corrections


def mm_per_file_unit(stack, k: int) -> float:
    """LOS mm (network orientation) per unit of the file of network interferogram ``k``."""
    if stack.units in (0, 1):
        f = float(phase_to_los_mm(np.array([1.0]), stack.wavelength_m, phase_sign=-1 if stack.units == 0 else 1)[0])
    else:
        f = 1000.0 if stack.units == 2 else 1.0
    return f * float(stack.signs[k])


def corrected_paths(stack, out_dir: str) -> list:
    """Output file of each network interferogram: the input's name in ``out_dir`` (refused: the input folder,
    two inputs of the same name)."""
    real = os.path.realpath(out_dir)
    for p in stack.paths:
        if os.path.realpath(os.path.dirname(p)) == real:
            raise GeohazardError(f"OUTPUT: the folder {out_dir!r} holds the input interferograms; the corrected ones "
                                 "keep the same file names, so choose another (empty) folder")
    out = [os.path.join(out_dir, output_name(stack.paths[i])) for i in stack.order]
    if len(set(out)) != len(out):
        raise GeohazardError("INTERFEROGRAMS: two interferograms have the same file name (in different folders); "
                             "the corrected ones are written under the input names into one folder")
    return out


def network_closure_offsets(stack, triplets, cycle_mm: float, *, max_residual_rad: float = 1.5,
                            min_coherence: float = 0.0, stable=None) -> np.ndarray:
    """Closure common to the network (:func:`closure_offsets`) from ~20 000 pixels of up to 64 rows spread over the
    image (with ``min_coherence``, the values below it left out as the correction leaves them); with ``stable``
    (rows, cols) a stable area's mask, also the area's pixels of up to 64 of its rows, which set the frame. The rows
    are read in spans (:func:`..base.file_parts.rows_in_spans`), the values those of one-row reads."""
    info = stack.info
    rows = np.unique(np.linspace(0, info.height - 1, min(info.height, 64)).astype(int))
    step = max(1, info.width * rows.size // 20000)
    wanted = [(int(r), slice(None, None, step)) for r in rows]
    if stable is not None:  # the stable area's pixels on up to 64 of its rows, after the sample: the reference
        in_rows = np.flatnonzero(np.asarray(stable, bool).any(axis=1))
        picked = in_rows[np.unique(np.linspace(0, in_rows.size - 1, min(in_rows.size, 64)).astype(int))]
        wanted += [(int(r), np.flatnonzero(np.asarray(stable[r], bool))) for r in picked]
    masked = min_coherence > 0 and stack.has_coherence
    def read(r0, r1):
        x = stack.read(r0, r1)[0]
        return np.where(read_coherence(stack, r0, r1) >= min_coherence, x, np.nan) if masked else x
    parts = file_parts.rows_in_spans(read, wanted, stack.network.n_pairs * info.width * (12 if masked else 8))
    reference = None if stable is None else np.repeat(
        [False, True], [sum(p.shape[1] for p in parts[:rows.size]), sum(p.shape[1] for p in parts[rows.size:])])
    return closure_offsets(np.concatenate(parts, axis=1), triplets, cycle_mm=cycle_mm,
                           max_residual_rad=max_residual_rad, reference=reference)


def read_coherence(stack, r0: int, r1: int) -> np.ndarray:
    """Coherence ``(M, r1-r0, cols)`` float32 of the network's interferograms, without reading them again."""
    if stack.mintpy is not None:
        return stack.read(r0, r1, coherence=True)[1]
    coh = np.empty((stack.network.n_pairs, r1 - r0, stack.info.width), np.float32)
    for k, i in enumerate(stack.order):
        coh[k] = stack._read_rows(stack.coh_paths[i], r0, r1, np.float32, (0, stack.info.width))
    return coh


#: GDAL's block cache during the run, as a share of the block budget: enough for the decoded tiles of the
#: inputs that the next block reads again (a row of 256-row input tiles of 202 files 1000 px wide is 207 MB).
CACHE_SHARE = 0.5


def closure_cache_limit(max_memory_mb):
    """Context: GDAL's cache at most :data:`CACHE_SHARE` of the budget for the whole run (the sample of rows
    the closure offsets are taken from, then the blocks), restored after."""
    return gdal_cache_limit(max_memory_bytes(max_memory_mb) * CACHE_SHARE / 2 ** 20)


def closure_first_pass(stack, func, plan, coherence: bool, *, run: RunSettings, progress, folder=None) -> dict:
    """The first pass of unwrapclosurecorrection (``func``: the block function with ``first_pass``): the cycles of
    every value (M, rows, cols) int8 and the pixels' flags, held for the whole grid (M + 12 bytes a pixel; in files
    of ``folder`` when given)."""
    m, grid = stack.network.n_pairs, (stack.info.height, stack.info.width)
    shapes = {"cycles": ((m,) + grid, np.int8), "ambiguous": (grid, bool), "n_data": (grid, np.int64),
              "tie_shift": (grid, np.int16), "unsettled": (grid, bool)}  # unsettled: closure_bridges
    if folder is None:
        held = {k: np.empty(shape, dtype) for k, (shape, dtype) in shapes.items()}
    else:
        held = {k: np.lib.format.open_memmap(os.path.join(folder, f"{k}.npy"), mode="w+", dtype=dtype, shape=shape)
                for k, (shape, dtype) in shapes.items()}

    def keep(block, out):
        n = out["ambiguous"].shape[0]
        held["cycles"][:, block.row0:block.row0 + n] = out["cycles"]
        for k in ("ambiguous", "n_data", "tie_shift", "unsettled"):
            held[k][block.row0:block.row0 + n] = out[k]

    sources = {"stack": CallableSource(lambda r0, r1: stack.read(r0, r1)[0])}
    if coherence:
        sources["coherence"] = CallableSource(lambda r0, r1: read_coherence(stack, r0, r1))
    run_blocks(with_halo(plan), func, keep, sources=sources, run=run, progress=SubProgress(progress, 5, 50))
    return held


def run_closure_correction(stack, triplets, func, plan, out_paths: list, extra: dict, csv_paths: dict,
                           threshold: float, coherence: bool, *, run: RunSettings, progress,
                           tile_rows=None, compress: str = CODEC, extra_sources=None,
                           progress_from: float = 5, halo: int | None = None) -> ClosureStats:
    """The block loop of unwrapclosurecorrection: corrected interferograms (input unit and sign), the count
    rasters of ``extra`` (``OUTPUT_CYCLES``, ``OUTPUT_NONCLOSING``) and the CSV tables of ``csv_paths``
    (``OUTPUT_STATS``, ``OUTPUT_LOOPS``); the rasters published together or none; ``halo`` rows read around blocks."""
    info, net = stack.info, stack.network
    stats = ClosureStats(triplets.n)
    meta = {"UNWRAP_CORRECTION": "phase closure (Yunjun et al. 2019)", "WAVELENGTH_M": f"{stack.wavelength_m:.10g}"}
    writers = [RasterWriter.like(p, info, descriptions=[net.names[k]], metadata=meta, compress=compress,
                                 tile_rows=tile_rows) for k, p in enumerate(out_paths)]
    w_cyc = RasterWriter.like(extra["OUTPUT_CYCLES"], info, dtype=np.int16, nodata=-1) \
        if "OUTPUT_CYCLES" in extra else None
    w_nc = RasterWriter.like(extra["OUTPUT_NONCLOSING"], info, count=2, dtype=np.int16, nodata=-1,
                             descriptions=["before", "after"]) if "OUTPUT_NONCLOSING" in extra else None

    def write(block, out):
        corr = out["corrected"]  # float32, the files' units (closure_block's mm_per_unit)
        for k, w in enumerate(writers):
            w.write(corr[k], row=block.row0)
        none = out["n_loops"] == 0
        if w_cyc is not None:
            w_cyc.write(np.where(none, -1, out["n_cycles"]).astype(np.int16), row=block.row0)
        if w_nc is not None:
            w_nc.write(np.stack([np.where(none, -1, out["n_nonclosing"]),
                                 np.where(none, -1, out["n_nonclosing_after"])]).astype(np.int16), row=block.row0)
        stats.add(out)

    sources = {"stack": CallableSource(lambda r0, r1: stack.read(r0, r1)[0])}
    if coherence:
        sources["coherence"] = CallableSource(lambda r0, r1: read_coherence(stack, r0, r1))
    sources.update(extra_sources or {})
    run_blocks(with_halo(plan) if halo is None else with_halo(plan, halo), func, write, sources=sources, run=run,
               progress=SubProgress(progress, progress_from, 100),
               writers=writers + [w for w in (w_cyc, w_nc) if w is not None], background_write=True)
    names = list(net.names)
    if csv_paths.get("OUTPUT_STATS"):
        write_csv(csv_paths["OUTPUT_STATS"], loop_statistics(stats, triplets, names, loop_threshold_rad=threshold),
                  digits=6)
    if csv_paths.get("OUTPUT_LOOPS"):
        write_csv(csv_paths["OUTPUT_LOOPS"], loop_table(stats, triplets, names, loop_threshold_rad=threshold), digits=6)
    return stats


def series_metadata(path: str, extra: dict) -> dict:
    """The input series' metadata that later steps need (reference ``REFERENCE_*``, unit and sign, wavelength)
    plus ``extra``."""
    ds = open_raster(path, "INPUT")
    meta = {k: v for k, v in (ds.GetMetadata() or {}).items()
            if k.startswith("REFERENCE") or k in ("UNIT", "SIGN") + WAVELENGTH_METADATA_KEYS}
    ds = None
    meta.update(extra)
    return meta


def run_series_blocks(info, dates, plan, func, outputs: dict, *, run: RunSettings, progress, sources=None,
                      meta: dict, dtype=np.float64, on_block=None) -> dict:
    """Run a time-series block function over the input series and write ``outputs``: ``{path: (key of the block
    result, "series" | "band")}``; a "series" output has one band per date (ISO date descriptions and ``meta``).
    ``on_block(block, result)`` (optional) sees every block's result, in row order, before it is written."""
    desc = [d.isoformat() for d in dates]
    srcs = {"series": raster_source(info.path, bands=None, dtype=dtype, name="INPUT"), **(sources or {})}
    writers = {path: RasterWriter.like(path, info, count=len(dates), descriptions=desc, metadata=meta, compress=CODEC)
               if kind == "series" else RasterWriter.like(path, info) for path, (_, kind) in outputs.items()}

    def write(block, out):
        if on_block is not None:
            on_block(block, out)
        for path, w in writers.items():
            w.write(np.asarray(out[outputs[path][0]], np.float32), row=block.row0)

    run_blocks(plan, func, write, sources=srcs, run=run, progress=progress, writers=writers, background_write=True)


@dataclass(frozen=True)
class StackJob:
    """What every stack correction's job holds: the stack read (``stack``: :class:`Stack`, the codec of its output
    set), the folder of the corrected interferograms (``output``), the CSV report (``report``, "" without) and the
    run-wide knobs (``settings``). A correction's ``Job`` adds its own options."""

    stack: Stack
    output: str
    report: str
    settings: RunSettings


@dataclass(frozen=True)
class MaskedJob(StackJob):
    """What the corrections fitted on a stable mask add (rampremoval, troposphericcorrection): the fit mask
    (``mask``: bool array on the grid or None), the coherence below which a pixel is left out of the fit
    (``coherence_threshold``), per date or per interferogram (``per_date``), the fewest usable pixels of an
    interferogram (``min_pixels``), the trend guard per date (``trend_guard``, standard errors; 0 = off) and whether
    the deforming areas are left out of the fit (``deforming_areas``)."""

    mask: object
    coherence_threshold: float
    per_date: bool
    min_pixels: int
    trend_guard: float
    deforming_areas: bool


def _median(rows, key):
    vals = [r[key] for r in rows if isinstance(r.get(key), (int, float)) and r[key] == r[key]]
    return float(np.median(vals)) if vals else None


def report_summary(rows) -> str:
    """One line of what a correction removed, from its report rows (medians over the interferograms or dates)."""
    if not rows:
        return ""
    parts = []
    before, after = _median(rows, "rms_before"), _median(rows, "rms_after_fit")
    if before is not None and after is not None:
        parts.append(f"RMS on the fit area {before:.3g} -> {after:.3g} (median, input unit)")
    for key, label in (("removed_rms_mm", "removed {:.3g} mm RMS (median)"),
                       ("k1_per_km", "phase-elevation slope {:+.3g} per km (median)"),
                       ("correlation", "correlation with height {:+.2f} (median)"),
                       ("dem_error_m", "DEM error {:+.3g} m (median)")):
        v = _median(rows, key)
        if v is not None:
            parts.append(label.format(v))
    return "; ".join(parts)


def folder_outcome(folder: str, files, report: str, rows, notes=()) -> Outcome:
    """The outcome of a run that wrote ``files`` into ``folder``: OUTPUT (the folder) and OUTPUT_LAYERS (the files),
    OUTPUT_REPORT (the CSV of ``rows``, a list of dicts or a callable giving it) when ``report`` is a path, the
    ``notes`` and the one-line summary of the rows."""
    rows = rows() if callable(rows) else rows
    outcome = Outcome(outputs={"OUTPUT": folder, "OUTPUT_LAYERS": [str(f) for f in files]}, notes=list(notes))
    summary = report_summary(rows)
    if summary:
        outcome.notes.append(summary)
    if report:
        outcome.outputs["OUTPUT_REPORT"] = write_csv(report, rows)
    return outcome


def corrected_outcome(job: StackJob, rows) -> Outcome:
    """The outcome of a correction that wrote every interferogram of ``job.stack`` corrected into ``job.output``."""
    files = [os.path.join(job.output, n) for n in output_names(job.stack.paths)]
    return folder_outcome(job.output, files, job.report, rows)


@dataclass(frozen=True)
class SeriesJob:
    """What every time-series correction's job holds: the displacement series (``series``: its
    :class:`~..base.raster.RasterInfo`, one band per date), the outputs asked for (``outputs``: ``{output ID:
    path}``) and the run-wide knobs (``settings``)."""

    series: object
    outputs: dict
    settings: RunSettings


def series_outcome(job: SeriesJob, dates, func, spec: dict, plan, *, progress, meta: dict, context=None,
                   **how) -> Outcome:
    """Runs ``func`` over the series' blocks (:func:`run_series_blocks`) into the outputs of ``job`` that ``spec``
    names (``{output ID: (key of the block result, "series" | "band")}``), styles the corrected series (OUTPUT,
    on its last date) and returns them."""
    paths = {k: p for k, p in job.outputs.items() if k in spec}
    run_series_blocks(job.series, dates, plan, func, {p: spec[k] for k, p in paths.items()}, run=job.settings,
                      progress=progress, meta=meta, **how)
    styles.style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
    return Outcome(outputs=paths)
