"""The faults tools."""
