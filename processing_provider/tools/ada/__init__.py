"""The ada tools."""
