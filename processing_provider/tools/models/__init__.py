"""The models tools."""
