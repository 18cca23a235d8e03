"""The formats tools: products of other software read as layers."""
