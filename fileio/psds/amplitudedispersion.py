"""Files of amplitudedispersion: the SLC stack read in blocks (twice with the calibration: the per-date amplitude
sums, then the dispersion), the mean amplitude, the dispersion and the PS mask written block by block
(:mod:`..algorithms.psds.ps`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms.progress import SubProgress, info, warn
from ...algorithms.psds import ps
from ..base import blocks, raster
from ..base.runs import Outcome
from . import slc


@dataclass(frozen=True)
class Job:
    """A run as plain values: the SLC stack as read (``stack``: :class:`.slc.SlcStack`), the dispersion threshold,
    whether the dates' amplitudes are calibrated first, the outputs (``outputs``: output ID -> path; the mean
    amplitude's may be left out), the output IDs of the dispersion, the PS mask and the mean amplitude
    (``ids``: ``dispersion``, ``ps``, ``mean``) and the run-wide knobs."""

    stack: Any
    threshold: float
    outputs: dict
    ids: dict
    calibrate: bool = False
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """Amplitude dispersion and PS candidates (D_A <= threshold) of ``job.stack``; the count said on ``progress``
    and a warning when there is none."""
    stack, run_settings, thr = job.stack, job.settings, job.threshold
    grid = stack.info
    plan = run_settings.plan(grid.height, grid.width, bytes_per_pixel=slc.slc_pixel_bytes(stack))
    sources = {"slc": stack.source()}
    outs = job.outputs
    totals = {"n_ps": 0}
    date_sums = ps.DateSums()  # per-row sums added in row order: the same factors for any block layout
    writers = {"mean": raster.optional_writer(outs.get(job.ids["mean"], ""), grid),
               "dispersion": raster.RasterWriter.like(outs[job.ids["dispersion"]], grid),
               "ps": raster.RasterWriter.like(outs[job.ids["ps"]], grid, dtype=np.uint8, nodata=255)}

    def write(block, out):
        totals["n_ps"] += int((out["ps"] == 1).sum())
        for key, w in writers.items():
            w.write(out[key], row=block.row0)

    with run_settings.executor(progress) as ex:
        cal = None
        if job.calibrate:
            blocks.run_blocks(plan, ps.amplitude_sums_block, date_sums, sources=sources, run=run_settings,
                              executor=ex, progress=SubProgress(progress, 0, 40))
            cal = ps.calibration_factors(*date_sums.result())
        blocks.run_blocks(plan, functools.partial(ps.amplitude_dispersion_block, calibration=cal, threshold=thr),
                          write, sources=sources, run=run_settings, executor=ex, writers=writers,
                          progress=SubProgress(progress, 40 if job.calibrate else 0, 100), background_write=True)
    n_ps = totals["n_ps"]
    info(progress, f"{n_ps} PS candidates (D_A <= {thr:g}) from {len(stack)} dates")
    if n_ps == 0:
        warn(progress, f"no pixel has D_A <= {thr:g}; raise the threshold or check the stack")
    return Outcome(outputs=dict(outs))
