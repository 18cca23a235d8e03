"""Files of losprojection: a LOS raster (with its incidence, heading and DEM rasters) projected block by block onto
the vertical and downslope, and LOS points projected the same way
(:func:`..algorithms.geometry.los_blocks.los_projection_block`, :func:`.geometry.project_points`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ...algorithms.geometry import los_blocks
from ...algorithms.progress import SubProgress
from ..base import blocks, raster
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from . import geometry


@dataclass(frozen=True)
class Job:
    """A run as plain values: the scene's heading and incidence (degrees), the look side and the least
    sensitivity; a LOS raster (``los``) with its outputs (``outputs``: output ID -> path; ``ids``: vertical,
    downslope -> output ID) and rasters (``rasters``: incidence, heading, dem -> path), the incidence raster's
    content (``incidence_kind``) and the heading raster's (``heading_kind``); LOS points (``points``: the feature
    source, its velocity field, ``points_output``); the DEM (``dem``), the parameter IDs to name (``names``) and the
    run-wide knobs."""

    heading_deg: float
    incidence_deg: float
    look: str
    min_sensitivity: float
    names: dict
    dem: Optional[RasterInfo] = None
    los: Optional[RasterInfo] = None
    outputs: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    rasters: dict = field(default_factory=dict)
    incidence_kind: int = 0
    heading_kind: int = 0
    points: Any = None
    velocity_field: str = "mean_velocity"
    points_output: str = ""
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The projected rasters (the first half of the progress when there are points too) and points."""
    outputs = {}
    if job.los is not None:
        outputs.update(_rasters(job, SubProgress(progress, 0, 50 if job.points is not None else 100)))
    if job.points is not None:
        sub = SubProgress(progress, 50 if job.los is not None else 0, 100)
        outputs[job.names["points_output"]] = geometry.project_points(
            job.points, job.velocity_field, job.points_output, dem=job.dem, dem_name=job.names["dem"],
            heading=job.heading_deg, incidence=job.incidence_deg, look=job.look,
            min_sensitivity=job.min_sensitivity, context=context, progress=sub, name=job.names["points"])
    return Outcome(outputs=outputs)


def _rasters(job: Job, progress) -> dict:
    info, names = job.los, job.names
    keys = {job.ids["vertical"]: "vertical", job.ids["downslope"]: "downslope"}
    writers = {keys[k]: raster.RasterWriter.like(p, info, count=info.count, descriptions=info.descriptions
                                                 if info.count > 1 else [f"{keys[k]} velocity"])
               for k, p in job.outputs.items()}
    down = "downslope" in writers
    dx_rows, dy = geometry.metric_pixel_size(job.dem, names["dem"]) if down else (None, 1.0)
    sources = {"los": blocks.raster_source(info.path, bands=None, dtype=np.float64, name=names["los"])}
    for key in ("incidence", "heading", "dem"):
        path = job.rasters.get(key) if key != "dem" or down else None
        if path:
            sources[key] = blocks.raster_source(path, dtype=np.float64, name=names[key])
    func = functools.partial(
        los_blocks.los_projection_block, heading_deg=job.heading_deg, incidence_deg=job.incidence_deg,
        look=job.look, incidence_kind=job.incidence_kind, heading_kind=job.heading_kind,
        min_sensitivity=job.min_sensitivity, dx_rows_m=dx_rows, dy_m=dy, vertical="vertical" in writers,
        downslope=down, incidence_name=names["incidence"])
    blocks.run_blocks(job.settings.plan(info.height, info.width, halo=1 if down else 0,
                                        bytes_per_pixel=los_blocks.projection_bytes_per_pixel(info.count,
                                                                                              len(writers))),
                      func, sources=sources, run=job.settings, progress=progress, background_write=True,
                      writers=writers)
    return dict(job.outputs)
