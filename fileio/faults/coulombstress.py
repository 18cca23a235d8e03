"""The run of coulombstress: dCFS, shear and normal stress change on the receivers at each depth of the output grid,
block by block (:func:`..algorithms.faults.grid_blocks.coulomb_grid_block`), written as one GeoTIFF (3 bands a
depth)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...algorithms.faults import grid_blocks
from ..base import blocks
from ..base.runs import Outcome
from .faults import OutputGrid, SourceFaults, read_source_faults


@dataclass(frozen=True)
class Job:
    """A run as plain values: the source faults (read by the run, :func:`.faults.read_source_faults`), the output grid,
    the depths (m), the receiver (``strike_deg``, ``dip_deg``, ``rake_deg``; empty with ``regional``, the regional
    stress tensor (Pa) of optimally oriented planes), the elastic constants, friction, the stress unit (its name and Pa
    per unit) and the output's path."""

    sources: SourceFaults
    grid: OutputGrid
    output: str
    depths_m: tuple
    receiver: dict
    shear_modulus_pa: float
    poisson: float
    friction: float
    unit: str = "bar"
    scale_pa: float = 1e5
    regional: Optional[np.ndarray] = None
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def band_names(depths_m, unit: str) -> list:
    """The output's band descriptions: dcfs, shear, normal per depth, named by the depth in km."""
    return [f"{k}_{unit}_{d / 1000.0:g}km" for d in depths_m for k in ("dcfs", "shear", "normal")]


def run(job: Job, *, progress=None) -> Outcome:
    """The stress maps in blocks of at most :data:`~..algorithms.faults.grid_blocks.COULOMB_BLOCK_PIXELS` pixels,
    fewer when the memory knob (bytes per pixel from :func:`~..algorithms.faults.grid_blocks.coulomb_bytes_per_pixel`)
    says so."""
    faults = read_source_faults(job.sources)
    depths = list(job.depths_m)
    desc = band_names(depths, job.unit)
    grid = job.grid
    func = functools.partial(grid_blocks.coulomb_grid_block, geotransform=grid.geotransform, table=faults.table(),
                             depths_m=depths, regional=job.regional, shear_modulus_pa=job.shear_modulus_pa,
                             poisson=job.poisson, friction=job.friction, receiver=dict(job.receiver),
                             scale_pa=job.scale_pa)
    plan = job.settings.plan(grid.rows, grid.cols, bytes_per_pixel=grid_blocks.coulomb_bytes_per_pixel(len(depths)),
                             max_rows=grid.max_rows(grid_blocks.COULOMB_BLOCK_PIXELS))
    blocks.run_blocks(plan, func, sources={}, run=job.settings, progress=progress, background_write=True,
                      writers={"stress": grid.writer(job.output, desc)})
    return Outcome(outputs={"OUTPUT": job.output})
