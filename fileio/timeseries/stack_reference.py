"""The automatic reference's terms of a stack: its loops, the pairs' spans and each loop's constant
(:mod:`~..algorithms.timeseries.ground_reference`), read from a sample of the stack's rows."""

from __future__ import annotations

import numpy as np

from ...algorithms.corrections.closure import network_triplets
from ...algorithms.errors import GeohazardError
from ...algorithms.timeseries.ground_reference import closure_offsets

#: Rows of a stack read to find the constant part of each loop's closure: one band across the middle of the grid
#: (one read, one or two rows of the inputs' tiles decoded; the constant is the same at every pixel, and
#: deformation closes, so a band across the scene measures it as well as rows spread over the grid would).
CLOSURE_SAMPLE_ROWS = 32


def ground_terms(stack) -> tuple:
    """``(span_years, triplets, closure offsets)`` of a stack for the automatic reference's sums: no triplet gives
    an empty index; the offsets are each triplet's median closure over a band of :data:`CLOSURE_SAMPLE_ROWS` rows
    across the middle of the grid (:func:`~algorithms.timeseries.ground_reference.closure_offsets`)."""
    network = stack.network
    try:
        triplets = network_triplets(network.pairs).index
    except GeohazardError:  # a network without a closed loop: the closure says nothing
        triplets = np.zeros((0, 3), np.int64)
    offsets = np.zeros(0)
    if len(triplets):
        n = min(stack.info.height, CLOSURE_SAMPLE_ROWS)
        r0 = (stack.info.height - n) // 2
        offsets = closure_offsets(stack.read(r0, r0 + n)[0], triplets)
    return np.asarray(network.temporal_baseline_days, np.float64) / 365.25, triplets, offsets
