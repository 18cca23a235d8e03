"""Interferogram and SLC stacks: corrections, unwrapping, SBAS outputs, offsets, interferogram tools."""
