"""The run of stackingvelocity: the network filtered, a scan pass where the automatic reference needs one, the
reference pixel, then the rate stacking block by block (:func:`~algorithms.timeseries.stack_blocks.stacking_block`),
its rasters written and styled (their .qml beside them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ...algorithms import engine
from ...algorithms.progress import SubProgress
from ...algorithms.timeseries import network, stack_blocks
from ..base import blocks, raster
from ..base.runs import Outcome
from ..display import styles
from . import stack_reference
from . import stacks as io_stacks

#: The block function's output of each output ID.
BANDS = {"OUTPUT_VELOCITY": "velocity", "OUTPUT_VELOCITY_STD": "velocity_std", "OUTPUT_COUNT": "count"}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the stack as read (``stack``: :class:`.stacks.StackInput`, whole network), the network
    filters (keywords of :func:`~algorithms.timeseries.network.filter_network`), the REFERENCE point as map x, y in
    the stack's CRS (None: automatic), the weighting (inverse phase variance from the coherence, ``looks``), the
    coherence threshold, the least number of interferograms per pixel, the outputs asked for (output ID of
    :data:`BANDS` -> path) and the run-wide knobs."""

    stack: Any
    outputs: dict
    filters: dict = field(default_factory=dict)
    reference_xy: Optional[tuple] = None
    weighted: bool = False
    looks: int = 10
    coherence_threshold: float = 0.0
    min_count: int = 2
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """The stacked velocity of ``job.stack``, in blocks of rows sized for five copies of a row of the stack."""
    settings = job.settings
    stack = job.stack
    flt = network.filter_network(stack.network, **job.filters)
    stack = stack.subset(flt.keep) if not flt.keep.all() else stack
    rows = io_stacks.block_rows_for(stack, settings, factor=5)
    count = None
    if job.reference_xy is None:
        count, _, _ = io_stacks.scan_stack(stack, rows, SubProgress(progress, 0, 30), coherence=stack.has_coherence,
                                           run=settings, ground=True)
    ref_rc = stack_reference.reference_pixel(stack, job.reference_xy, count, progress)
    info = stack.info
    coherence = stack.has_coherence and (job.weighted or job.coherence_threshold > 0)
    # the stack is read here (units, signs, MintPy) and shipped to Dask workers with each block
    source = engine.CallableSource(lambda r0, r1: stack.read(r0, r1, coherence=coherence))
    func = functools.partial(stack_blocks.stacking_block, span_years=stack.network.temporal_baseline_days / 365.25,
                             reference_mm=io_stacks.reference_values(stack, *ref_rc), weighted=job.weighted,
                             coherence_threshold=job.coherence_threshold, looks=job.looks, min_count=job.min_count)
    writers = {BANDS[k]: raster.RasterWriter.like(p, info, **({"dtype": np.int16, "nodata": -1}
                                                              if k == "OUTPUT_COUNT" else {}))
               for k, p in job.outputs.items()}
    blocks.run_blocks(settings.plan(info.height, info.width, block_rows=rows), func, sources={"stack": source},
                      run=settings, progress=SubProgress(progress, 30, 100), writers=writers, background_write=True)
    styles.style_raster_diverging(job.outputs["OUTPUT_VELOCITY"])
    if "OUTPUT_VELOCITY_STD" in job.outputs:
        styles.style_raster_sequential(job.outputs["OUTPUT_VELOCITY_STD"], ramp_name="Magma")
    return Outcome(outputs=dict(job.outputs))
