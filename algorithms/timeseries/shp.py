"""Statistically homogeneous pixels: now :mod:`.phase_linking.shp` (the old path stays)."""

from .phase_linking.shp import (
    SHP_METHODS,
    _shp_mask_kernel,
    glrt_statistic,
    is_shp,
    ks_statistic,
    shp_inputs,
    shp_mask,
    shp_threshold,
)

__all__ = [
    "SHP_METHODS", "_shp_mask_kernel", "glrt_statistic", "is_shp", "ks_statistic", "shp_inputs", "shp_mask",
    "shp_threshold"
]
