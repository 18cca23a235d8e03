"""The run of multisensortimeseries: the output grid, the refusal of a grid the run cannot handle, the stacks warped
onto it (:class:`.multisensor_grid.GridFolder`), the north model, the problem calibrated, then the east / up solve
block by block (:class:`~algorithms.timeseries.multisensor.MultisensorProblem`), its rasters, report and styles
(their .qml beside them)."""

from __future__ import annotations

import datetime
import math
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsPointXY,
)

from ...algorithms.errors import GeohazardError
from ...algorithms.progress import info, warn
from ...algorithms.timeseries import multisensor as ms_core
from ..base import blocks
from ..base.runs import Outcome
from . import multisensor as ms_io
from .multisensor_datum import core_stacks

#: The north models by the index of the tool's NORTH choice.
NORTH_MODES = ("zero", "given", "slope")


@dataclass(frozen=True)
class North:
    """The north component's model as given: ``mode`` of :data:`NORTH_MODES`, a velocity (mm/yr) or a raster of it
    ("" none) and its sigma (mm/yr) for ``given``, the DEM's path for ``slope``."""

    mode: str = "zero"
    velocity_mm_yr: float = 0.0
    raster: str = ""
    sigma_mm_yr: float = 0.0
    dem: str = ""


@dataclass(frozen=True)
class Job:
    """A run as plain values: the stacks (``entries``: the tool's resolved stack entries, each its file and the values
    given), the outputs asked for (``outputs``: output ID -> path; ``report``: the CSV's path or ""), the grid
    template (a :class:`~..base.raster.RasterInfo` or None: the stacks' own), the REFERENCE point (map x, y and its
    CRS's WKT, "" for the grid's; None: none), the north model, the reference date (None: the first), the gap and
    bridge options, the resampling and the run-wide knobs."""

    entries: tuple
    outputs: dict
    report: str = ""
    template: object = None
    reference: Optional[tuple] = None
    north: North = field(default_factory=North)
    reference_date: Optional[datetime.date] = None
    gap_days: float = 90.0
    max_bridge_years: float = 1.0
    resampling: str = "bilinear"
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """East and up time series of ``job.entries`` on one grid, block by block under the run's memory budget."""
    entries, settings = list(job.entries), job.settings
    grid, grid_text = ms_io.output_grid([e.file.info for e in entries], [e.file.name for e in entries], job.template)
    info(progress, f"Output grid: {grid_text}")
    check_grid_size(entries, grid, gap_days=float(job.gap_days), max_memory_mb=settings.max_memory_mb,
                    dest=job.outputs)
    with ms_io.GridFolder(grid, job.resampling) as folder:
        stacks = core_stacks(entries, grid, folder, reference_rc(job.reference, grid), progress)
        problem = ms_core.MultisensorProblem(stacks, shape=grid.shape, north=north_model(job.north, grid, folder),
                                             gap_days=float(job.gap_days), reference_date=job.reference_date,
                                             max_bridge_years=job.max_bridge_years)
        check_geometries(problem)
        # the scene's density priors from a fixed pixel sample, before the blocks (same for any block layout)
        problem.calibrate(problem.sources())
        info(progress, folder.log_text())
        for line in problem.report():
            (warn if line.startswith("warning") else info)(progress, line)
        outputs = ms_io.Outputs(job.outputs, problem, grid, ms_io.report_rows(problem, entries),
                                [p for e in entries if e.file.kind == "series" for p in e.file.paths], job.resampling)
        blocks.run_blocks(settings.plan(grid.height, grid.width, bytes_per_pixel=problem.bytes_per_pixel()), problem,
                          outputs.write, sources=problem.sources(), run=settings, progress=progress,
                          writers=outputs.writers)
    return Outcome(outputs=outputs.finish(job.report, None, progress))


def reference_rc(reference: Optional[tuple], grid) -> Optional[tuple]:
    """The pixel of the REFERENCE point ``(x, y, CRS WKT)`` on the output grid (the point moved into the grid's CRS
    when it names another), or None."""
    if reference is None:
        return None
    x, y, wkt = reference
    if wkt and grid.crs_wkt:
        src, dst = QgsCoordinateReferenceSystem.fromWkt(wkt), QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt)
        if src.isValid() and dst.isValid() and src != dst:
            pt = QgsCoordinateTransform(src, dst, QgsCoordinateTransformContext()).transform(QgsPointXY(x, y))
            x, y = pt.x(), pt.y()
    r, c = grid.pixel_of(x, y)
    if not (0 <= r < grid.height and 0 <= c < grid.width):
        raise GeohazardError(f"REFERENCE: the point ({x:.6f}, {y:.6f}) lies outside the output grid "
                             f"({grid.height} rows x {grid.width} columns)")
    return r, c


def north_model(north: North, grid, folder):
    """The core's north model of ``north``, its rasters (a north velocity, the DEM's slope and aspect) put on the
    output grid through ``folder``."""
    if north.mode == "zero":
        return ms_core.NorthModel("zero")
    if north.mode == "given":
        if north.raster:
            vel = ms_io.raster_on_grid(folder.on_grid(north.raster, "NORTH_RASTER"), "north:velocity_mm_yr")
            return ms_core.NorthModel("given", velocity_mm_yr=vel, sigma_mm_yr=north.sigma_mm_yr)
        return ms_core.NorthModel("given", velocity_mm_yr=north.velocity_mm_yr, sigma_mm_yr=north.sigma_mm_yr)
    if not north.dem:
        raise GeohazardError("NORTH: the downslope constraint needs a DEM (slope and aspect)")
    slope, aspect = ms_io.slope_and_aspect(folder.on_grid(north.dem, "DEM"), grid)
    return ms_core.NorthModel("slope", slope_deg=slope, aspect_deg=aspect)


def check_geometries(problem) -> None:
    """Refuse stacks that all look along one line of sight (constant geometries): east and up cannot be told apart
    on any pixel, every output would come out empty. Per-pixel geometries and the downslope constraint are judged
    pixel by pixel by the solve (status 2)."""
    plans = problem.plans
    if problem.north.mode == "slope" or any(p.const_vec is None for p in plans):
        return
    g = np.array([(p.const_vec[0], p.const_vec[2]) for p in plans])
    lam = np.linalg.eigvalsh(g.T @ g)
    if lam[0] <= 0 or math.sqrt(lam[1] / lam[0]) > problem.max_condition:
        vecs = "; ".join(f"{p.spec.name!r} ({p.const_vec[0]:.3f}, {p.const_vec[1]:.3f}, {p.const_vec[2]:.3f})"
                         for p in plans)
        raise GeohazardError(f"every stack looks at the ground along one line of sight (LOS east, north, up: {vecs}): "
                             "east and up cannot be told apart on any pixel; add a stack of another geometry "
                             "(descending with ascending)")


def model_dates_estimate(entries: list, gap_days: float, bridge_step_days: float = 30.0) -> int:
    """The number of model dates a run will have (the union of the stacks' dates and the dates bridging each gap),
    known before any stack is read."""
    union = sorted({d for e in entries for d in (e.file.dates or [x for pair in e.file.pairs for x in pair])})
    k = len(union)
    for a, b in zip(union[:-1], union[1:]):
        if (b - a).days > gap_days:
            k += max(2, int(math.ceil((b - a).days / bridge_step_days))) - 1
    return k


def check_grid_size(entries: list, grid, *, gap_days: float, max_memory_mb, dest: dict) -> int:
    """Refuse a grid the run cannot handle (:func:`~.multisensor_grid.grid_size_problem`) before anything is read;
    returns the number of model dates."""
    k = model_dates_estimate(entries, gap_days)
    n_obs = sum(len(e.file.dates) or len(e.file.pairs) for e in entries)
    n_ser = sum(len(e.file.dates) or len({x for pair in e.file.pairs for x in pair}) for e in entries)
    bpp = ms_core.block_bytes_per_pixel(n_obs, n_ser, k, len(entries), 0)
    windows = [ms_io.footprint(e.file.info, grid) for e in entries]
    covered = (max(w[1] for w in windows) - min(w[0] for w in windows)) * \
        (max(w[3] for w in windows) - min(w[2] for w in windows))
    series = [p for key, p in dest.items() if key in ms_io.Outputs.SERIES]
    problem = ms_io.grid_size_problem(grid, n_dates=k, bytes_per_pixel=bpp, max_memory_mb=max_memory_mb,
                                      covered_pixels=max(covered, 0), series_outputs=len(series),
                                      out_folders=[os.path.dirname(os.path.abspath(p)) for p in series])
    if problem:
        raise GeohazardError(problem)
    return k
