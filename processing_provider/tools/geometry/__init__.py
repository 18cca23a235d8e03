"""The geometry tools."""
