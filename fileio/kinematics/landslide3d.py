"""Files of landslide3d: LOS rasters (on the block engine) or LOS point layers (gridded) of several geometries
combined into 3-D motion, its quality and, optionally, its time series
(:func:`.kinematics.motion3d_rasters`, :func:`.kinematics.motion3d_points`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..base import blocks
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from . import kinematics


@dataclass(frozen=True)
class Job:
    """A run as plain values: the LOS rasters (``rasters``: paths) or point layers (``points``), their names for
    messages, their geometries, the DEM, the options (``opts``: ts, max_gap, solver, spacing), the point fields
    and grid cell, the outputs (``outputs``: velocity, quality, ts -> path or ""; ``ids``: the same kinds ->
    output ID) and the run-wide knobs."""

    names: tuple
    geometries: Any
    opts: dict
    outputs: dict
    ids: dict
    rasters: tuple = ()
    points: tuple = ()
    dem: Optional[RasterInfo] = None
    value_field: str = ""
    std_field: str = ""
    cell: float = 0.0
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The 3-D motion of the job's rasters or points; its outputs by ID (the time series when asked)."""
    if job.rasters:
        written, _ = kinematics.motion3d_rasters(list(job.rasters), list(job.names), job.geometries, job.dem,
                                                 job.opts, job.outputs, run=job.settings, progress=progress)
    else:
        info, res, dates = kinematics.motion3d_points(
            list(job.points), list(job.names), job.geometries, value_field=job.value_field,
            std_field=job.std_field, dem=job.dem, cell=job.cell, opts=job.opts, context=context, progress=progress)
        written = kinematics.write_grid_outputs(info, res, job.outputs, dates)
    return Outcome(outputs={job.ids["velocity"]: written["velocity"], job.ids["quality"]: written["quality"],
                            **({job.ids["ts"]: written["ts"]} if "ts" in written else {})})
