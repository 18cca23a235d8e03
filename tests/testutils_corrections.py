"""Synthetic stacks with planted unwrapping errors, DEM errors and atmosphere (no QGIS import)."""

from __future__ import annotations

import numpy as np
from testutils_timeseries import sbas_dates, sbas_pairs, synthetic_stack

S1_WAVELENGTH_M = 0.05546576
CYCLE_MM = S1_WAVELENGTH_M * 1000 / 2


def planted_stack(*, n_dates=12, neighbours=3, shape=(40, 50), noise_mm=1.0, share=0.3, seed=0, patch=(4, 14)):
    """An SBAS stack (LOS mm) and integer cycles planted as rectangles in a share of the interferograms.

    Returns ``(network, clean_mm (M, rows, cols), planted (M, rows, cols) int, truth_ts_mm)``; the
    erroneous stack is ``clean_mm + planted * CYCLE_MM``. The corner pixel (0, 0) is kept clean (reference).
    """
    from insar_geohazards.algorithms.timeseries.network import build_network

    net = build_network(sbas_pairs(sbas_dates(n_dates), max_neighbours=neighbours))
    truth, clean, _ = synthetic_stack(net, shape=shape, noise_mm=noise_mm, seed=seed)
    rng = np.random.default_rng(seed + 1)
    planted = np.zeros(clean.shape, np.int16)
    rows, cols = shape
    for k in rng.choice(net.n_pairs, max(1, int(share * net.n_pairs)), replace=False):
        h, w = rng.integers(patch[0], patch[1], size=2)
        r0, c0 = rng.integers(1, rows - h), rng.integers(1, cols - w)
        planted[k, r0:r0 + h, c0:c0 + w] = rng.choice([-2, -1, 1, 2])
    return net, clean, planted, truth


def error_counts(corrected_mm, clean_mm, planted):
    """(planted errors, fixed, new): integer-cycle differences to the clean stack, value by value."""
    left = np.rint((np.asarray(corrected_mm, float) - clean_mm) / CYCLE_MM)
    ok = np.isfinite(left)
    was = (planted != 0) & ok
    return int(was.sum()), int((was & (left == 0)).sum()), int(((planted == 0) & ok & (left != 0)).sum())
