"""Synthetic interferogram stacks with known truth (no QGIS import)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def sbas_dates(n: int = 20, *, start=dt.date(2020, 1, 1), step_days: int = 12) -> list:
    return [start + dt.timedelta(days=step_days * i) for i in range(n)]


def sbas_pairs(dates, *, max_neighbours: int = 3, gap_after=None) -> list:
    """Short-baseline pairs: each date with its next ``max_neighbours`` dates.

    ``gap_after=k`` removes every pair bridging dates ``k`` and ``k+1`` (two subsets).
    """
    pairs = []
    for i in range(len(dates)):
        for j in range(i + 1, min(i + 1 + max_neighbours, len(dates))):
            if gap_after is not None and i <= gap_after < j:
                continue
            pairs.append((dates[i], dates[j]))
    return pairs


def synthetic_stack(network, shape=(12, 15), *, noise_mm=0.0, seed=0, missing_fraction=0.0, nan_block=None,
                    velocity_mm_yr=None, seasonal_mm=5.0):
    """Truth time series (linear + annual) and the interferograms of ``network``.

    Returns ``(truth (N, rows, cols) mm, ifg (M, rows, cols) mm, velocity (rows, cols))``.
    """
    rng = np.random.default_rng(seed)
    rows, cols = shape
    years = network.years
    if velocity_mm_yr is None:
        yy, xx = np.mgrid[0:rows, 0:cols]
        velocity_mm_yr = -40.0 * np.exp(-((yy - rows / 2) ** 2 + (xx - cols / 2) ** 2) / (0.1 * rows * cols)) + 3.0
    amp = seasonal_mm * np.ones(shape)
    truth = velocity_mm_yr[None] * years[:, None, None] + amp[None] * np.sin(2 * np.pi * years)[:, None, None]
    truth = truth - truth[0]
    ifg = truth[network.sec_index] - truth[network.ref_index]
    if noise_mm:
        ifg = ifg + rng.normal(0.0, noise_mm, ifg.shape)
    if missing_fraction:
        ifg[rng.random(ifg.shape) < missing_fraction] = np.nan
    if nan_block is not None:
        r0, r1, c0, c1 = nan_block
        ifg[:, r0:r1, c0:c1] = np.nan
    return truth, ifg, velocity_mm_yr


def min_norm_velocity_reference(network, d, w=None, rcond=1e-5):
    """Per-pixel reference solution as MintPy's estimate_timeseries (scipy lstsq on sqrt(W) B)."""
    from scipy import linalg

    b = network.velocity_design_matrix()
    dt_ = network.interval_years
    m, p = d.shape
    ts = np.full((network.n_dates, p), np.nan)
    for k in range(p):
        ok = np.isfinite(d[:, k])
        if w is not None:
            ok &= w[:, k] > 0
        sw = np.ones(ok.sum()) if w is None else np.sqrt(w[ok, k])
        v = linalg.lstsq(b[ok] * sw[:, None], d[ok, k] * sw, cond=rcond)[0]
        ts[0, k] = 0.0
        ts[1:, k] = np.cumsum(v * dt_)
    return ts


def sample_coherence(rng, n, looks, coherence):
    """A sample coherence matrix of ``looks`` samples of ``n`` dates sharing a phase history at ``coherence``."""
    common = np.exp(1j * rng.uniform(-np.pi, np.pi, n))[:, None]
    noise = (rng.standard_normal((n, looks)) + 1j * rng.standard_normal((n, looks))) / np.sqrt(2)
    x = np.sqrt(coherence) * common * np.exp(1j * rng.uniform(-np.pi, np.pi, looks)) + np.sqrt(1 - coherence) * noise
    c = x @ x.conj().T
    d = np.sqrt(np.diag(c).real)
    return c / np.outer(d, d)
