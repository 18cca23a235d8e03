"""Shared helpers of the models tools."""

from __future__ import annotations

from ....algorithms.timeseries.model_blocks import model_columns

_model_columns = model_columns  # moved to the core (algorithms/timeseries/model_blocks.py)
