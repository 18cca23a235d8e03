"""The run of okadaforward: Okada's displacement (east, north, up, LOS) of the source faults on the output grid,
block by block (:func:`..algorithms.faults.grid_blocks.okada_grid_block`), written as a 4-band GeoTIFF."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ...algorithms.faults import grid_blocks
from ...algorithms.faults.faults import moment
from ...algorithms.geometry import los as los_mod
from ..base import blocks
from ..base.runs import Outcome
from .faults import OutputGrid, SourceFaults, read_source_faults


@dataclass(frozen=True)
class Job:
    """A run as plain values: the source faults (read by the run, :func:`.faults.read_source_faults`; map frame, m), the
    output grid, Poisson's ratio, the LOS geometry (degrees) and the output's path."""

    sources: SourceFaults
    grid: OutputGrid
    output: str
    poisson: float = 0.25
    incidence_deg: float = 37.0
    heading_deg: float = -12.0
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """East, north, up and LOS displacement (mm) on the grid in blocks of at most
    :data:`~..algorithms.faults.grid_blocks.OKADA_BLOCK_PIXELS` pixels; the note gives the sources' moment."""
    faults = read_source_faults(job.sources)
    los_vec = np.array(los_mod.los_unit_vector(job.incidence_deg, job.heading_deg), dtype=float).reshape(3)
    grid = job.grid
    func = functools.partial(grid_blocks.okada_grid_block, geotransform=grid.geotransform, table=faults.table(),
                             poisson=job.poisson, los_vec=los_vec)
    plan = job.settings.plan(grid.rows, grid.cols, bytes_per_pixel=grid_blocks.OKADA_BYTES_PER_PIXEL,
                             max_rows=grid.max_rows(grid_blocks.OKADA_BLOCK_PIXELS))
    blocks.run_blocks(plan, func, sources={}, run=job.settings, progress=progress, background_write=True,
                      writers={"displacement": grid.writer(job.output, ["east_mm", "north_mm", "up_mm", "los_mm"])})
    m0, mw = moment(faults)
    return Outcome(outputs={"OUTPUT": job.output},
                   notes=[f"{len(faults)} source planes; M0 = {m0:.4g} N m, Mw = {mw:.2f} (mu = 3.2e10 Pa)"])
