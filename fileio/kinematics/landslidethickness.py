"""Files of landslidethickness: the 3-D velocity and the DEM read whole (one landslide), the outline burnt, the
thickness by mass balance and its quality bands written (:func:`..algorithms.kinematics.thickness.invert_thickness`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.kinematics import thickness as _th
from ...algorithms.progress import info, warn
from ..base.raster import RasterInfo, check_same_grid, read_band, read_bands, write_raster
from ..base.runs import Outcome
from . import kinematics

#: The most cells of a run (the inversion holds the whole grid): a landslide, clipped.
MAX_CELLS = 25_000_000


@dataclass(frozen=True)
class Job:
    """A run as plain values: the 3-D velocity (``velocity``: 3 bands east, north, up) and the DEM, the outline
    (``outline``: a feature source or None), the time series of the velocity (``time_series``: path or ""), the
    inversion's ``alpha``, ``rheology_factor`` and ``min_speed``, the outputs (``output``, ``quality``), their IDs
    and the parameter IDs to name (``names``: velocity, dem, outline, time_series, output, quality)."""

    velocity: RasterInfo
    dem: RasterInfo
    output: str
    quality: str
    alpha: float
    rheology_factor: float
    min_speed: float
    names: dict
    outline: Any = None
    time_series: str = ""


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The landslide's thickness (m) and its quality (dz/dt, residual, flags); the cells, volume and flags said on
    ``progress``, warnings for a strong smoothing and for surface-parallel cells."""
    vel, dem, names = job.velocity, job.dem, job.names
    if vel.count != 3:
        raise GeohazardError(f"VELOCITY must have 3 bands (east, north, up: landslide3d OUTPUT), got {vel.count}")
    check_same_grid([vel, dem], [names["velocity"], names["dem"]])
    if vel.width * vel.height > MAX_CELLS:
        raise GeohazardError(f"VELOCITY has {vel.width} x {vel.height} cells; clip it to the landslide first")
    dx, dy = kinematics.metric_size(dem, names["dem"])
    v = read_bands(vel.path, name=names["velocity"], dtype=np.float64)
    mask = kinematics.polygon_mask(job.outline, vel, context, names["outline"]) if job.outline is not None else None
    halves = kinematics.speed_halves(job.time_series, names["time_series"]) if job.time_series else None
    res = _th.invert_thickness(v[0], v[1], v[2], read_band(dem.path, name=names["dem"], dtype=np.float64),
                               dx_m=dx[0], dy_m=dy, mask=mask, speed_halves=halves,
                               rheology_factor=job.rheology_factor, alpha=job.alpha, min_speed=job.min_speed)
    fl = res["flags"][np.isfinite(res["thickness"])]
    counts = ", ".join(f"{k} {int(np.sum(fl & b > 0))}" for k, b in _th.FLAGS.items())
    info(progress, f"{res['n_cells']} landslide cells, volume {res['volume_m3']:.4g} m3; flags: {counts}")
    if res["smoothing_ratio"] > _th.WARN_SMOOTHING_RATIO:
        radius = res["radius_cells"]
        warn(progress, f"ALPHA = {job.alpha:g} is a strong smoothing for this landslide ({radius:.1f} cells in radius: "
                       f"ALPHA / radius = {res['smoothing_ratio']:.2f}, above {_th.WARN_SMOOTHING_RATIO:g}): the "
                       "thickness and the volume are biased low (6-17 % at 0.1, about half at 0.25 on synthetic "
                       f"landslides); ALPHA {_th.WARN_SMOOTHING_RATIO * radius:.2g} or less keeps the bias small")
    if res["n_surface_parallel"]:
        warn(progress, f"{res['n_surface_parallel']} of {res['n_cells']} landslide cells have a velocity parallel to "
                       "the DEM surface by construction (landslide3d's constraint): dz/dt is 0 there and their "
                       "thickness comes from the smoothing only")
    out = write_raster(job.output, res["thickness"], vel, descriptions=["thickness m"])
    q = write_raster(job.quality, np.stack([res["dzdt"], res["residual"], res["flags"].astype(float)]), vel,
                     descriptions=["dz/dt mm/yr", "mass-balance residual mm/yr", "flags"])
    return Outcome(outputs={names["output"]: out, names["quality"]: q})
