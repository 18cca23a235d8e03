"""The psds tools."""
