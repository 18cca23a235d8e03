"""Files of phasegradientstacking: the wrapped interferograms (and coherence) read in row blocks with a one-pixel
halo, the gradient rate's magnitude and components written block by block
(:func:`..algorithms.timeseries.stack_blocks.phase_gradient_block`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms import engine
from ...algorithms.timeseries import stack_blocks
from ..base import blocks, raster
from ..base.runs import Outcome
from . import stacks as io_stacks

#: The block function's output of each output ID.
BANDS = {"OUTPUT": "magnitude_mm_yr", "OUTPUT_RANGE": "col_mm_yr", "OUTPUT_AZIMUTH": "row_mm_yr"}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the stack as read (``stack``: :class:`.stacks.StackInput`, its network already
    filtered), the outputs (``outputs``: output ID of :data:`BANDS` -> path), the phase convention's sign (1: as
    given, -1: reversed), the least number of interferograms per pixel and the run-wide knobs."""

    stack: Any
    outputs: dict
    sign: float = 1.0
    min_count: int = 1
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """The phase-gradient rates of ``job.stack``, in blocks of rows sized for ten copies of a row of the stack."""
    stack, run_settings = job.stack, job.settings
    info = stack.info
    rows = io_stacks.block_rows_for(stack, run_settings, factor=10)
    order = list(stack.order)
    sources = {"phase": engine.StackSource([stack.paths[i] for i in order], blocks.GdalOpener(), dtype=np.float64)}
    if stack.coh_paths is not None:
        sources["coherence"] = engine.StackSource([stack.coh_paths[i] for i in order], blocks.GdalOpener(),
                                                  dtype=np.float32)
    span = stack.network.temporal_baseline_days / 365.25
    func = functools.partial(stack_blocks.phase_gradient_block, span_years=span, wavelength_m=stack.wavelength_m,
                             signs=job.sign * np.asarray(stack.signs, dtype=np.float64), min_count=job.min_count)
    blocks.run_blocks(run_settings.plan(info.height, info.width, block_rows=rows, halo=1), func, sources=sources,
                      run=run_settings, progress=progress, background_write=True,
                      writers={BANDS[k]: raster.RasterWriter.like(p, info) for k, p in job.outputs.items()})
    return Outcome(outputs=dict(job.outputs))
