"""Shared helpers of the models tools."""

from __future__ import annotations

from ....algorithms.timeseries import model_blocks

_model_columns = model_blocks.model_columns  # moved to the core (algorithms/timeseries/model_blocks.py)
