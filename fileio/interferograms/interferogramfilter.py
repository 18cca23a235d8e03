"""IO of the interferogram filter: each wrapped interferogram read through the block engine (its rows scaled by the
looks), filtered (:mod:`..algorithms.interferograms.interferogramfilter`) and written under its own name with its
metadata carried, on the looked grid (geotransform scaled by the looks), with its coherence estimate beside."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from ...algorithms.engine import ReadRequest
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.interferograms import interferogramfilter as filtering
from ...algorithms.progress import SubProgress, check_canceled
from ..base.blocks import GdalOpener, RunSettings, run_blocks
from ..base.metadata import HISTORY_KEY, geotiff_metadata
from ..base.raster import RasterInfo, RasterWriter
from ..base.runs import Outcome
from ..unwrap.unwrap import is_complex


class LookedSource:
    """Band 1 of a raster read for blocks of the looked grid: rows ``r0:r1`` of that grid are the input rows
    ``r0 * looks_y : r1 * looks_y`` and columns ``0 : n_cols * looks_x`` (picklable, read where the block runs)."""

    shipped = False

    def __init__(self, path: str, looks_y: int, looks_x: int, *, dtype, name: str):
        self.path, self.name = str(path), name
        self.looks_y, self.looks_x = int(looks_y), int(looks_x)
        self.dtype = np.dtype(dtype).name
        self.opener = GdalOpener()

    def read(self, r0: int, r1: int, n_cols: int) -> np.ndarray:
        window = (int(r0) * self.looks_y, int(r1) * self.looks_y, 0, int(n_cols) * self.looks_x)
        return self.opener(ReadRequest(self.path, (1,), window, self.dtype, self.name))[0]


def looked_info(info: RasterInfo, looks_y: int, looks_x: int) -> dict:
    """Width, height and geotransform of the looked grid (each pixel ``looks_x`` x ``looks_y`` input pixels, the
    origin kept), as :class:`RasterWriter` keywords."""
    gt = list(info.geotransform) if info.has_georef else None
    if gt is not None:
        gt = [gt[0], gt[1] * looks_x, gt[2] * looks_y, gt[3], gt[4] * looks_x, gt[5] * looks_y]
    return {"width": info.width // looks_x, "height": info.height // looks_y, "geotransform": gt,
            "crs_wkt": info.crs_wkt if info.has_georef else ""}


def output_name(path: str) -> str:
    """The output file name of an input: its own name as a GeoTIFF (``a.geo.diff_pha.tif`` stays so, ``x.vrt`` and
    ``x.int`` become ``x.tif`` and ``x.int.tif``)."""
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    return base if ext.lower() in (".tif", ".tiff") else (stem if ext.lower() == ".vrt" else base) + ".tif"


def carried_metadata(path: str, opts: dict) -> dict:
    """The input's own metadata (dates, wavelength, geometry ... as it carries them; not its processing history,
    which the run stamps) and what the filter did."""
    md = dict(next(iter(geotiff_metadata([path])), ("", {}))[1])
    md.pop(HISTORY_KEY, None)
    md.update({"FILTER_METHOD": opts["method"], "FILTER_LOOKS": f"{opts['looks_y']}x{opts['looks_x']}"})
    if opts["method"] == "goldstein":
        md.update({"FILTER_ALPHA": f"{opts['alpha']:g}", "FILTER_PATCH_SIZE": str(opts["patch"]),
                   "FILTER_SMOOTH_PX": str(opts.get("smooth", filtering.SMOOTH_DEFAULT)),
                   "FILTER_SMOOTH_QUALITY": f"{opts.get('smooth_quality', filtering.SMOOTH_QUALITY_DEFAULT):g}"})
    elif opts["method"] == "gaussian":
        md["FILTER_SIGMA_PIXELS"] = f"{opts['sigma']:g}"
    return md


def product_metadata(stack) -> tuple[dict, dict]:
    """What a product as delivered says about its pairs beyond their files (its metadata text, E/N/U rasters,
    baselines file), for the outputs to carry: ``(scene values, {pair: values})``; empty for plain rasters."""
    product = getattr(stack, "product", None)
    if product is None:
        return {}, {}
    common = {key: f"{value:.10g}" for key, (value, _) in product.geometry.items()}
    if product.spec.wavelength:
        common["WAVELENGTH_M"] = f"{product.spec.wavelength[1]:.10g}"
    per_pair = {f"{a:%Y%m%d}_{b:%Y%m%d}": {gm.PAIR_BASELINE_KEY: f"{m:.3f}"}
                for (a, b), m in (product.spec.baselines or {}).items()}
    return common, per_pair


def filter_files(stack, out_dir: str, coh_dir, opts: dict, *, run, executor, progress) -> list:
    """Filter every interferogram of ``stack`` (:class:`..processing_provider.inputs.stacks.WrappedStack`-like:
    ``paths``, ``pairs``, ``info``) into ``out_dir`` (complex in, complex out; phase in, phase out) and, when
    ``coh_dir`` is given, its coherence estimate ``<pair>.coh.tif`` there. ``opts``: ``method``, ``alpha``,
    ``patch``, ``step``, ``sigma``, ``looks_y``, ``looks_x``, ``smooth`` and ``smooth_quality`` (the Goldstein
    spectrum's smoothing and the patch quality from which it applies; the core's defaults when left out). Returns
    the filtered files."""
    ly, lx = opts["looks_y"], opts["looks_x"]
    grid = looked_info(stack.info, ly, lx)
    halo = filtering.filter_halo(opts["method"], patch=opts["patch"], step=opts["step"], sigma=opts["sigma"])
    plan = run.plan(grid["height"], grid["width"], bytes_per_pixel=filtering.bytes_per_pixel(ly, lx), halo=halo,
                    fixed_bytes=filtering.patch_bytes(opts["patch"], grid["width"]))
    written, n = [], len(stack.paths)
    common, per_pair = product_metadata(stack)
    for k, (path, pair) in enumerate(zip(stack.paths, stack.pairs)):
        check_canceled(progress)
        progress.set_text(f"Filtering {pair} ({k + 1}/{n})")
        cplx = is_complex(path)
        name = os.path.basename(path)
        target = os.path.join(out_dir, output_name(path))
        meta = {**common, **per_pair.get(pair, {}), **carried_metadata(path, opts)}
        writers = {"filtered": RasterWriter(target, **grid, descriptions=[pair], metadata=meta,
                                            dtype=np.complex64 if cplx else np.float32)}
        if coh_dir:
            writers["coherence"] = RasterWriter(os.path.join(coh_dir, f"{pair}.coh.tif"), **grid, descriptions=[pair],
                                                metadata={"units": "coherence (0-1)"})
        func = functools.partial(filtering.filter_block, method=opts["method"], alpha=opts["alpha"],
                                 patch=opts["patch"], step=opts["step"], sigma=opts["sigma"], looks_y=ly, looks_x=lx,
                                 name=name, as_phase=not cplx,
                                 smooth=opts.get("smooth", filtering.SMOOTH_DEFAULT),
                                 smooth_quality=opts.get("smooth_quality", filtering.SMOOTH_QUALITY_DEFAULT))
        source = LookedSource(path, ly, lx, dtype=np.complex64 if cplx else np.float32, name=name)
        run_blocks(plan, func, sources={"z": source}, run=run, executor=executor, writers=writers,
                   progress=SubProgress(progress, 100.0 * k / n, 100.0 * (k + 1) / n), background_write=True)
        written.append(target)
    return written


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters, by keyword): the wrapped stack
    (``paths``, ``pairs``, ``info``, as its reader gives it), the output folders (``coh_dir`` "" when not asked), the
    filter's options (:func:`filter_files`) and the run-wide knobs."""

    stack: object
    out_dir: str
    opts: dict
    settings: RunSettings
    coh_dir: str = ""


def run(job: Job, *, progress) -> Outcome:
    """Every interferogram of the stack filtered (and looked) into ``out_dir`` (and its coherence estimate into
    ``coh_dir``), the options checked against the stack's grid first. The outcome's outputs are the files written,
    OUTPUT (and OUTPUT_COHERENCE), for the tool to return as raster sets."""
    filtering.check_options(**job.opts, shape=job.stack.info.shape)
    for folder in (job.out_dir, job.coh_dir):
        if folder:
            os.makedirs(folder, exist_ok=True)
    with job.settings.executor(progress) as ex:
        written = filter_files(job.stack, job.out_dir, job.coh_dir, job.opts, run=job.settings, executor=ex,
                               progress=progress)
    outputs = {"OUTPUT": written}
    if job.coh_dir:
        outputs["OUTPUT_COHERENCE"] = [os.path.join(job.coh_dir, f"{p}.coh.tif") for p in job.stack.pairs]
    return Outcome(outputs=outputs, notes=[f"{len(written)} interferogram(s) filtered ({job.opts['method']}, "
                                           f"{job.opts['looks_y']} x {job.opts['looks_x']} looks)"])
