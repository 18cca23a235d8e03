"""Files of the slope-stability tool: the DEM and the soil rasters read in blocks, the factor of safety, its classes
and the probability of failure written block by block and styled (:mod:`..algorithms.hazard.slopestability`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...algorithms.errors import GeohazardError
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
    draws = ss.draw(ranges, samples) if ranges and outs.get("probability", ("", ""))[1] else None
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
    plan = run.plan(info.height, info.width, halo=1, max_rows=256 if draws is not None else None,
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
