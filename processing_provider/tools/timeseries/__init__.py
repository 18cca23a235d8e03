"""The timeseries tools."""
