"""The automatic reference of every stack tool, by one rule.

The SBAS inversion, the stacking velocity and the reference-point step of a model pick the pixel the same way:
the reference the stack itself names (a MintPy ifgramStack.h5's ``REF_Y``/``REF_X``) when that pixel has data in
every interferogram, else the largest consistent ground (:mod:`~...algorithms.timeseries.ground_reference`: data in
every interferogram, small loop closures, a stacking rate near the scene's mode; inside the stable area when one is
given). The log says which pixel (row, column, map coordinates) and why.
"""

from __future__ import annotations

from ...fileio.timeseries import reference_pixel
from ...fileio.timeseries.reference_pixel import map_text
from ...fileio.timeseries.stacks import StackInput
from .feedback import FeedbackProgress

__all__ = ["automatic_reference", "map_text"]


def automatic_reference(stack: StackInput, count, feedback=None, *, allowed=None):
    """``(row, col, ground choice or None)``: the stack's own reference, else the largest consistent ground, logged
    on ``feedback`` (:func:`...fileio.timeseries.reference_pixel.automatic_reference`)."""
    return reference_pixel.automatic_reference(stack, count, FeedbackProgress(feedback), allowed=allowed)
