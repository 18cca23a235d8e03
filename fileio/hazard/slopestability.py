"""Files of the slope-stability tool: the DEM and the soil rasters read in blocks, the factor of safety, its classes
and the probability of failure written block by block and styled (:mod:`..algorithms.hazard.slopestability`)."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.geometry.terrain import slope_aspect
from ...algorithms.hazard import slopestability as ss
from ...algorithms.progress import info, warn
from ..base import blocks, raster
from ..base.runs import Outcome
from ..display import styles

#: The outputs of a run: kind -> (band description, dtype, metadata).
OUTPUT_SPECS = {
    "fs": ("factor_of_safety", np.float32, {"UNIT": "dimensionless", "METHOD": "infinite slope, Horn slope"}),
    "classes": ("stability_class", np.uint8, {"CLASSES": "; ".join(f"{k} {v}" for k, v in ss.CLASSES.items())}),
    "probability": ("probability_of_failure", np.float32, {"UNIT": "share of draws with FS < 1 (0-1)"}),
}
_COLOURS = {1: "#d7191c", 2: "#fdae61", 3: "#ffffbf", 4: "#1a9641"}


def north_up_projected(info, name: str) -> None:
    """Refuse a DEM without a projected CRS in metres or on a rotated grid, saying what to do."""
    raster.require_projected(info, name)
    gt = info.geotransform
    if gt[2] or gt[4]:
        raise GeohazardError(f"{name} is on a rotated grid (geotransform {tuple(gt)}); warp it to a north-up grid "
                             "first")
    srs = info.srs
    unit = srs.GetLinearUnits() if srs is not None else 1.0
    if abs(unit - 1.0) > 1e-9:
        raise GeohazardError(f"{name}: its CRS is in units of {unit:g} m ({srs.GetLinearUnitsName()}); Horn's slope "
                             "needs a projected CRS in metres (e.g. UTM): warp it first")


#: Cell-draws a Monte Carlo block holds at most, so that progress moves at least every ~0.1-0.5 s.
MC_BLOCK_WORK = 20_000_000
#: Side of the DEM window read at full resolution to check its relief.
RELIEF_SIDE = 512
#: Largest plausible median slope of a DEM (degrees): steeper, its heights are not metres on its grid.
MAX_MEDIAN_SLOPE_DEG = 60.0


def mc_rows(width: int, draws) -> int | None:
    """Rows a block holds: any (the memory budget decides) without the Monte Carlo, else at most 256 and at most
    :data:`MC_BLOCK_WORK` cell-draws."""
    if draws is None:
        return None
    return int(max(1, min(256, MC_BLOCK_WORK // max(1, width * draws.samples))))


def check_relief(dem: str, info, name: str) -> None:
    """Refuse a DEM whose median Horn slope over a central window of up to :data:`RELIEF_SIDE` cells exceeds
    :data:`MAX_MEDIAN_SLOPE_DEG`: its heights are in cm or mm (or its grid not in metres), not metres."""
    h, w = min(info.height, RELIEF_SIDE), min(info.width, RELIEF_SIDE)
    r0, c0 = (info.height - h) // 2, (info.width - w) // 2
    ds = raster.open_raster(dem, name)
    band = ds.GetRasterBand(1)
    z = band.ReadAsArray(c0, r0, w, h).astype(np.float64)
    nd = band.GetNoDataValue()
    ds = None
    if nd is not None and not math.isnan(nd):
        z[z == nd] = np.nan
    slope = slope_aspect(z, abs(info.geotransform[1]), abs(info.geotransform[5]))[0]
    slope = slope[np.isfinite(slope)]
    if slope.size < 100:
        return
    median = float(np.median(slope))
    if median > MAX_MEDIAN_SLOPE_DEG:
        raise GeohazardError(f"{name}: its median slope is {median:.1f} degrees over {slope.size:,} cells, steeper "
                             f"than any terrain (real DEMs stay well below {MAX_MEDIAN_SLOPE_DEG:g}): its heights are "
                             "not in metres on its grid (cm or mm?). Declare their unit (gdal_edit -units cm) so that "
                             "they are read as metres, or convert them first")


def announce_monte_carlo(grid, draws, progress) -> None:
    """Say, before the Monte Carlo starts, its size, its expected time (the CPU time of the probability of failure
    on 4,096 cells and up to 64 draws, about four of its steps, the quickest of three, scaled to the DEM and the
    draws) and its precision; warn when it would take more than a minute."""
    cells = grid.width * grid.height
    sample = ss.Draws(min(draws.samples, 64), {k: v[:64] for k, v in draws.values.items()})
    slope = np.linspace(5.0, 45.0, 4096)
    params = {k: 1.0 if k != "unit_weight_kn_m3" else 19.0 for k in ss.PARAMETERS}
    params.update(friction_deg=30.0, wetness=0.5)
    spent = []
    for _ in range(3):  # the quickest of three: the first pays numpy's warm-up, a busy machine preempts some
        t0 = time.thread_time()
        ss.failure_probability(slope, params, sample)
        spent.append(time.thread_time() - t0)
    seconds = min(spent) * cells / slope.size * draws.samples / sample.samples
    text = (f"Monte Carlo: {cells:,} cells x {draws.samples:,} draws, about {_duration(seconds)} of computing on one "
            f"core of this machine (timed on a sample; a busy machine takes longer); the probability of failure is "
            f"within {0.5 / math.sqrt(draws.samples):.2g} (one standard error at most)")
    if seconds > 60.0:
        fewer = max(100, int(draws.samples * 30.0 / seconds) // 100 * 100)
        warn(progress, f"{text}. SAMPLES = {fewer:,} would take about half a minute, within "
                       f"{0.5 / math.sqrt(fewer):.2g}")
    else:
        info(progress, text)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0.1):.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Job:
    """A run of the tool as plain values (the tool reads them from its parameters, by keyword): the DEM, the soil
    parameters as rasters on its grid (``rasters``, they win) or numbers (``constants``), the parameter IDs to name
    (``names``), the Monte Carlo's ranges and samples, the outputs (``outputs``: kind of :data:`OUTPUT_SPECS` ->
    (output ID, path or "")) and the run-wide knobs."""

    dem: str
    outputs: dict
    samples: int
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)
    rasters: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    ranges: dict = field(default_factory=dict)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The factor of safety (and classes, probability) of the job's DEM (:func:`run_slope_stability`), the rasters
    used per cell and ranges left unused said on ``progress``."""
    for key in job.rasters:
        info(progress, f"{job.names[key]} used per cell (it wins over the number)")
    probability = job.outputs.get("probability", ("OUTPUT_PROBABILITY", ""))
    if job.ranges and not probability[1]:
        warn(progress, f"ranges given ({', '.join(job.names[k] for k in job.ranges)}) but no {probability[0]}: the "
                       "Monte Carlo is not run")
    return Outcome(outputs=run_slope_stability(
        job.dem, job.rasters, job.constants, names=job.names, ranges=job.ranges, samples=job.samples,
        outs=job.outputs, run=job.settings, progress=progress, context=context))


def run_slope_stability(dem: str, rasters: dict, constants: dict, *, names: dict, ranges: dict, samples: int,
                        outs: dict, run, progress=None, context=None) -> dict:
    """Factor of safety (and classes, probability) of ``dem`` through the engine.

    ``rasters``: soil parameter -> path of its raster on the DEM's grid (wins over ``constants``); ``names``: soil
    parameter -> the parameter ID to name in messages; ``ranges``: parameter -> (value, maximum) of the Monte
    Carlo; ``outs``: kind of :data:`OUTPUT_SPECS` -> (output ID, path or ""). Returns {output ID: path}."""
    info = raster.raster_info(dem, names["dem"])
    north_up_projected(info, names["dem"])
    infos = [info] + [raster.raster_info(p, names[k]) for k, p in rasters.items()]
    raster.check_same_grid(infos, [names["dem"]] + [names[k] for k in rasters])
    check_relief(dem, info, names["dem"])
    draws = ss.draw(ranges, samples) if ranges and outs.get("probability", ("", ""))[1] else None
    if draws is not None:
        announce_monte_carlo(info, draws, progress)
    writers = {}
    for kind, (desc, dtype, meta) in OUTPUT_SPECS.items():
        path = outs.get(kind, ("", ""))[1]
        if not path or (kind == "probability" and draws is None):
            continue
        meta = dict(meta)
        if kind == "probability":
            meta.update({"SAMPLES": str(samples), "SEED": str(ss.SEED), "RANGES": "; ".join(
                f"{names[k]} {lo:g}-{hi:g}" for k, (lo, hi) in ranges.items())})
        writers[kind] = raster.RasterWriter.like(path, info, descriptions=[desc], dtype=dtype, metadata=meta,
                                                 **({"nodata": 0} if dtype == np.uint8 else {}))
    func = functools.partial(ss.slope_stability_block, dx_m=abs(info.geotransform[1]), dy_m=abs(info.geotransform[5]),
                             constants=constants, draws=draws, names=names)
    sources = {"dem": blocks.raster_source(dem, dtype=np.float64, name=names["dem"])}
    sources.update({k: blocks.raster_source(p, dtype=np.float64, name=names[k]) for k, p in rasters.items()})
    plan = run.plan(info.height, info.width, halo=1, max_rows=mc_rows(info.width, draws),
                    bytes_per_pixel=ss.bytes_per_pixel(len(rasters), draws is not None))
    blocks.run_blocks(plan, func, sources=sources, run=run, progress=progress, writers=writers, background_write=True)
    results = {outs[k][0]: outs[k][1] for k in writers}
    styles.style_raster_sequential(outs["fs"][1], context=context, vmin=0.5, vmax=2.0, ramp_name="RdYlGn")
    if "classes" in writers:
        styles.style_raster_classified(outs["classes"][1], styles.palette(ss.CLASSES, _COLOURS), context=context)
    if "probability" in writers:
        styles.style_raster_sequential(outs["probability"][1], context=context, vmin=0.0, vmax=1.0,
                                       ramp_name="Reds")
    return results
