"""The multi-sensor east/up time series: its stacks, their datum, the output grid, their products."""
