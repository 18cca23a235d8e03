"""Acquisition geometry: LOS vectors, projections, decomposition, distortion masks."""
