"""The automatic reference of every stack tool, by one rule (:mod:`...fileio.timeseries.stack_reference`): the
SBAS inversion, the stacking velocity and the reference-point step of a model pick the pixel the same way, logged on
the tool's feedback."""

from __future__ import annotations

from ...fileio.timeseries import stack_reference
from ...fileio.timeseries.stack_reference import map_text  # noqa: F401 - the text a REFERENCE parameter takes
from .feedback import FeedbackProgress


def automatic_reference(stack, count, feedback=None, *, allowed=None):
    """``(row, col, ground choice or None)`` (:func:`...fileio.timeseries.stack_reference.automatic_reference`),
    logged on ``feedback``."""
    return stack_reference.automatic_reference(stack, count, FeedbackProgress(feedback), allowed=allowed)
