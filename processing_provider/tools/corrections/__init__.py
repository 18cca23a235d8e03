"""The corrections tools."""
