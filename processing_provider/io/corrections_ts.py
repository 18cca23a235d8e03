"""IO of the unwrapping, DEM-error and PCA corrections: stack input, block loops and writers, CSV tables.

The tools in ``tools_corrections_ts.py`` read parameters, call this module and the core
(``algorithms/corrections``); everything GDAL and every writer lives here. Stack helpers come from the
stack IO of ``sbasinversion`` (:mod:`.stacks`, re-exported here for the tools).
"""

from __future__ import annotations

import contextlib
import csv
import os

import numpy as np

from ...algorithms.conventions import phase_to_los_mm
from ...algorithms.corrections.closure import (
    ClosureStats,
    closure_block_bytes,
    closure_offsets,
    loop_statistics,
    loop_table,
)
from ...algorithms.engine import CallableSource, max_memory_bytes, plan_blocks, process_blocks
from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date, parse_date_pair
from ...algorithms.progress import SubProgress
from ..engine_params import executor
from ..feedback import FeedbackProgress
from ..params import INPUT_UNITS, UNITS_HELP  # noqa: F401  (re-exported for the tools)
from ..raster_io import TILE_SIZE, RasterWriter, gdal_cache_limit, open_raster, raster_source
from .corrections import CODEC
from .points import raster_dates  # noqa: F401  (re-exported for the tools)
from .stacks import expand_file_inputs, expand_raster_inputs, gather_stack  # noqa: F401  (re-exported for the tools)


# ----------------------------------------------------------------------------- stack input
def stack_input_files(alg, parameters, context) -> dict:
    """The raster files read (for the guard layer): folders filtered as the tools do."""
    return {"INTERFEROGRAMS": expand_raster_inputs(alg, parameters, "INTERFEROGRAMS", context, want="ifg"),
            "COHERENCE": expand_raster_inputs(alg, parameters, "COHERENCE", context, want="coh")}


def correction_stack(alg, parameters, context, feedback):
    """The interferograms as a ``StackInput`` (LOS mm, network order)."""
    return gather_stack(alg, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)


def check_stack(alg, parameters, context) -> tuple:
    """Cross-parameter checks of the stack tools (folders accepted for the raster lists)."""
    for d in alg.parameterDefinitions():
        if d.name() in ("INTERFEROGRAMS", "COHERENCE", "BASELINES") or d.isDestination():
            continue
        if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
            return False, alg.tr("Incorrect parameter value for {}").format(d.name())
    try:
        files = stack_input_files(alg, parameters, context)
        if not files["INTERFEROGRAMS"]:
            return False, "INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
        for p in files["INTERFEROGRAMS"]:
            parse_date_pair(p)
    except GeohazardError as exc:
        return False, str(exc)
    return True, ""


def mm_per_file_unit(stack, k: int) -> float:
    """LOS mm (network orientation) per unit of the file of network interferogram ``k``."""
    if stack.units in (0, 1):
        f = float(phase_to_los_mm(np.array([1.0]), stack.wavelength_m, phase_sign=-1 if stack.units == 0 else 1)[0])
    else:
        f = 1000.0 if stack.units == 2 else 1.0
    return f * float(stack.signs[k])


def output_name(path: str) -> str:
    """The input's file name, as a GeoTIFF (``.tif`` replaces another extension)."""
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    return base if ext.lower() in (".tif", ".tiff") else stem + ".tif"


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


def network_closure_offsets(stack, triplets, cycle_mm: float) -> np.ndarray:
    """Closure common to the network from ~20 000 pixels of up to 64 rows spread over the image."""
    info = stack.info
    rows = np.unique(np.linspace(0, info.height - 1, min(info.height, 64)).astype(int))
    step = max(1, info.width * rows.size // 20000)
    sample = np.concatenate([stack.read(int(r), int(r) + 1)[0][:, :, ::step] for r in rows], axis=1)
    return closure_offsets(sample, triplets, cycle_mm=cycle_mm)


def write_csv(path: str, rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def parse_step_dates(text: str) -> list:
    out = []
    for item in (text or "").replace(";", ",").split(","):
        if item.strip():
            try:
                out.append(parse_date(item.strip()))
            except GeohazardError:
                raise GeohazardError(f"STEP_DATES: {item.strip()!r} is not a date (YYYY-MM-DD)") from None
    return out


# ----------------------------------------------------------------------------- closure correction run
def closure_pixel_bytes(n_ifgs: int, n_loops: int, coherence: bool) -> float:
    """Memory a pixel of a block of unwrapclosurecorrection costs over the whole run: the float64 stack of the
    block read ahead and of the block computed (8 + 8 bytes a value), what the block function allocates
    (:func:`closure_block_bytes`), its float32 result and the float32 results of the block queued for the
    writer and of the block being written (3 x 4); with coherence, its float32 reads (2 x 4) and the float64
    masked copy of the computed block (8)."""
    per_ifg = 16.0 + 12.0 + (16.0 if coherence else 0.0)
    return n_ifgs * per_ifg + closure_block_bytes(n_ifgs, n_loops)


def read_coherence(stack, r0: int, r1: int) -> np.ndarray:
    """Coherence ``(M, r1-r0, cols)`` float32 of the network's interferograms, without reading them again."""
    if stack.mintpy is not None:
        return stack.read(r0, r1, coherence=True)[1]
    coh = np.empty((stack.network.n_pairs, r1 - r0, stack.info.width), np.float32)
    for k, i in enumerate(stack.order):
        coh[k] = stack._read_rows(stack.coh_paths[i], r0, r1, np.float32)
    return coh


def closure_plan(info, n_ifgs: int, n_loops: int, coherence: bool, max_memory_mb) -> tuple:
    """``(plan, tile_rows)``: row blocks whose whole-run footprint (:func:`closure_pixel_bytes`) fits the
    budget, and the tile height of the corrected files. Blocks below one 256-row tile are a multiple of
    16 rows and the files' tiles as tall, so that every block completes one row of tiles of every file
    (written and flushed at once: nothing of the 202 files waits in buffers or in GDAL's cache)."""
    bpp = closure_pixel_bytes(n_ifgs, n_loops, coherence)
    fit = int(max_memory_bytes(max_memory_mb) // (bpp * info.width))
    if fit >= TILE_SIZE or fit >= info.height:
        return plan_blocks(info.height, info.width, bytes_per_pixel=bpp, max_memory_mb=max_memory_mb), None
    rows = max(1, fit // 16 * 16) if fit >= 16 else max(1, fit)
    return plan_blocks(info.height, info.width, block_rows=rows), max(16, rows // 16 * 16)


#: GDAL's block cache during the run, as a share of the block budget: enough for the decoded tiles of the
#: inputs that the next block reads again (a row of 256-row input tiles of 202 files 1000 px wide is 207 MB).
CACHE_SHARE = 0.5


def closure_cache_limit(max_memory_mb):
    """Context: GDAL's cache at most :data:`CACHE_SHARE` of the budget for the whole run (the sample of rows
    the closure offsets are taken from, then the blocks), restored after."""
    return gdal_cache_limit(max_memory_bytes(max_memory_mb) * CACHE_SHARE / 2 ** 20)


def run_closure_correction(alg, parameters, context, feedback, stack, triplets, func, plan, out_paths: list,
                           extra: dict, csv_paths: dict, threshold: float, coherence: bool,
                           tile_rows=None) -> ClosureStats:
    """The block loop of unwrapclosurecorrection: corrected interferograms (input unit and sign), the count
    rasters of ``extra`` (``OUTPUT_CYCLES``, ``OUTPUT_NONCLOSING``) and the CSV tables of ``csv_paths``
    (``OUTPUT_STATS``, ``OUTPUT_LOOPS``); all published together or none."""
    info, net = stack.info, stack.network
    stats = ClosureStats(triplets.n)
    meta = {"UNWRAP_CORRECTION": "phase closure (Yunjun et al. 2019)", "WAVELENGTH_M": f"{stack.wavelength_m:.10g}"}
    with contextlib.ExitStack() as outs:
        writers = [outs.enter_context(RasterWriter.like(p, info, descriptions=[net.names[k]], metadata=meta,
                                                        compress=CODEC, tile_rows=tile_rows))
                   for k, p in enumerate(out_paths)]
        w_cyc = outs.enter_context(RasterWriter.like(extra["OUTPUT_CYCLES"], info, dtype=np.int16, nodata=-1)) \
            if "OUTPUT_CYCLES" in extra else None
        w_nc = outs.enter_context(RasterWriter.like(extra["OUTPUT_NONCLOSING"], info, count=2, dtype=np.int16,
                                                    nodata=-1, descriptions=["before", "after"])) \
            if "OUTPUT_NONCLOSING" in extra else None

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
        with executor(alg, parameters, context, feedback) as ex:
            process_blocks(plan, func, write, sources=sources, executor=ex,
                           progress=SubProgress(FeedbackProgress(feedback), 5, 100), background_write=True)
        names = list(net.names)
        if csv_paths.get("OUTPUT_STATS"):
            write_csv(csv_paths["OUTPUT_STATS"], loop_statistics(stats, triplets, names, loop_threshold_rad=threshold))
        if csv_paths.get("OUTPUT_LOOPS"):
            write_csv(csv_paths["OUTPUT_LOOPS"], loop_table(stats, triplets, names, loop_threshold_rad=threshold))
        for w in writers + [w for w in (w_cyc, w_nc) if w is not None]:
            w.commit()
    return stats


# ----------------------------------------------------------------------------- time-series runs
def series_metadata(path: str, extra: dict) -> dict:
    """The input series' metadata that later steps need (reference ``REFERENCE_*``, unit and sign, wavelength)
    plus ``extra``."""
    from ...algorithms.formats.wavelength import WAVELENGTH_METADATA_KEYS

    ds = open_raster(path, "INPUT")
    meta = {k: v for k, v in (ds.GetMetadata() or {}).items()
            if k.startswith("REFERENCE") or k in ("UNIT", "SIGN") + WAVELENGTH_METADATA_KEYS}
    ds = None
    meta.update(extra)
    return meta


def run_series_blocks(alg, parameters, context, feedback, info, dates, plan, func, outputs: dict, *, sources=None,
                      meta: dict, dtype=np.float64) -> dict:
    """Run a time-series block function over the input series and write ``outputs``: ``{parameter: (key of the
    block result, "series" | "band")}``; a "series" output has one band per date (ISO date descriptions and
    ``meta``). Returns ``{parameter: path}`` of the outputs asked for."""
    paths = {k: alg.parameterAsOutputLayer(parameters, k, context) for k in outputs if parameters.get(k)}
    desc = [d.isoformat() for d in dates]
    srcs = {"series": raster_source(info.path, bands=None, dtype=dtype, name="INPUT"), **(sources or {})}
    with contextlib.ExitStack() as outs:
        writers = {}
        for k, path in paths.items():
            kind = outputs[k][1]
            writers[k] = outs.enter_context(
                RasterWriter.like(path, info, count=len(dates), descriptions=desc, metadata=meta, compress=CODEC)
                if kind == "series" else RasterWriter.like(path, info))

        def write(block, out):
            for k, w in writers.items():
                w.write(np.asarray(out[outputs[k][0]], np.float32), row=block.row0)

        with executor(alg, parameters, context, feedback) as ex:
            process_blocks(plan, func, write, sources=srcs, executor=ex, progress=FeedbackProgress(feedback),
                           background_write=True)
        for w in writers.values():
            w.commit()
    return paths


def geometry_sources(alg, parameters, context, info) -> dict:
    """Optional slant-range and incidence rasters of demerrorcorrection, on the series' grid."""
    from ..raster_io import check_same_grid, raster_info

    sources, grids, names = {}, [info], ["INPUT"]
    for key, name in (("SLANT_RANGE_RASTER", "slant_range"), ("INCIDENCE_RASTER", "incidence")):
        if parameters.get(key):
            path = alg.raster_path(parameters, key, context)
            grids.append(raster_info(path, key))
            names.append(key)
            sources[name] = raster_source(path, dtype=np.float64, name=key)
    check_same_grid(grids, names)
    return sources
