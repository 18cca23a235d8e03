"""A second generator of stacks with planted unwrapping errors, written apart from :func:`closure_scenario`.

Its own choices: irregular acquisition intervals (6, 12 or 24 days), pairs chosen by a temporal-baseline limit plus a
few long pairs, two bowls and a seasonal term, DEM errors through random perpendicular baselines, a stratified and a
turbulent troposphere, linear ramps per date, coherence that falls with the temporal baseline and in decorrelated
ground (vegetation blobs). Errors: single pixels, compact patches, large parts of an interferogram cut by a straight
unwrapping boundary (the unwrapper's "whole-interferogram" cycle beyond a tear), patches on the grid's edges and
patches inside decorrelated ground. Everything is in LOS mm; one cycle is ``CYCLE_MM``.
"""

from __future__ import annotations

import numpy as np

CYCLE_MM = 0.0555 / 2 * 1000.0


def _field(rng, shape, scale):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), scale, mode="reflect")
    return f / (f.std() or 1.0)


def world_stack(*, shape=(120, 120), n_dates=30, max_days=40, long_pairs=6, seed=0, decorrelated=0.15,
                singles=300, patches=25, tears=2, edge_patches=6, dark_patches=6, noise_mm=2.0) -> dict:
    """A stack with its truth and planted errors.

    Returns ``dates`` (days since the first), ``pairs`` (index pairs), ``clean_mm`` (M, rows, cols: deformation,
    atmosphere, ramps, DEM error and noise), ``planted`` (M, rows, cols) int16 cycles, ``coherence`` (M, rows, cols)
    float32, ``velocity_mm_yr`` (rows, cols) true velocity, ``dem_error_m`` (rows, cols), ``bperp_m`` (n_dates,),
    ``height_m`` (rows, cols), ``ts_mm`` (n_dates, rows, cols) the deformation alone.
    """
    rng = np.random.default_rng(10_000 + seed)
    h, w = shape
    steps = rng.choice([6, 12, 12, 24], size=n_dates - 1)
    days = np.concatenate([[0], np.cumsum(steps)]).astype(float)
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, n_dates) if days[j] - days[i] <= max_days]
    pairs += [(i, i + 1) for i in range(n_dates - 1)]
    for _ in range(long_pairs):
        i = int(rng.integers(0, n_dates - 8))
        pairs.append((i, i + int(rng.integers(5, 8))))
    pairs = sorted(set(pairs))
    m = len(pairs)
    yr = days / 365.25
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    vel = (-35.0 * np.exp(-(((xx - 0.3 * w) / (0.12 * w)) ** 2 + ((yy - 0.35 * h) / (0.1 * h)) ** 2))
           - 20.0 * np.exp(-(((xx - 0.7 * w) / (0.08 * w)) ** 2 + ((yy - 0.7 * h) / (0.14 * h)) ** 2)))
    season = 4.0 * np.exp(-(((xx - 0.7 * w) / (0.2 * w)) ** 2 + ((yy - 0.7 * h) / (0.2 * h)) ** 2))
    ts = vel[None] * yr[:, None, None] + season[None] * np.sin(2 * np.pi * yr)[:, None, None]
    height = 300.0 + 900.0 * np.clip(_field(rng, shape, 18) * 0.5 + 0.5, 0, None)
    dem_err = 12.0 * _field(rng, shape, 6)
    bperp = rng.normal(0.0, 60.0, n_dates)
    r_sin = 850e3 * np.sin(np.deg2rad(37.0))
    dem_ts = bperp[:, None, None] * dem_err[None] / r_sin * 1000.0  # mm
    strat = rng.normal(0.0, 6.0, n_dates) / 1000.0  # mm per m
    atm = np.stack([strat[d] * (height - height.mean()) + 5.0 * _field(rng, shape, 10) for d in range(n_dates)])
    ramp = np.stack([rng.normal(0, 0.08) * xx + rng.normal(0, 0.08) * yy for _ in range(n_dates)])
    obs = ts + dem_ts + atm + ramp
    dark = _field(rng, shape, 5) > np.quantile(_field(np.random.default_rng(seed + 77), shape, 5), 1 - decorrelated)
    clean = np.empty((m, h, w))
    coh = np.empty((m, h, w), np.float32)
    for k, (i, j) in enumerate(pairs):
        base = 0.9 * np.exp(-(days[j] - days[i]) / 200.0)
        c = np.clip(base - 0.05 * rng.random((h, w)), 0.05, 1.0)
        c = np.where(dark, 0.08 + 0.12 * rng.random((h, w)), c)
        coh[k] = c
        sd = noise_mm * (1.0 + 2.0 * (1.0 - c))
        noise = rng.normal(0.0, 1.0, (h, w)) * sd
        noise = np.where(dark, rng.uniform(-0.5, 0.5, (h, w)) * CYCLE_MM * 1.6, noise)
        clean[k] = obs[j] - obs[i] + noise
    planted = np.zeros((m, h, w), np.int16)
    cyc = np.array([-1, 1, 1, -2, 2])
    for _ in range(singles):
        planted[rng.integers(m), rng.integers(h), rng.integers(w)] = rng.choice([-1, 1])
    for _ in range(patches):
        k = int(rng.integers(m))
        r0, c0 = rng.integers(0, h), rng.integers(0, w)
        a, b = rng.integers(3, 18, size=2)
        planted[k][((yy - r0) / a) ** 2 + ((xx - c0) / b) ** 2 <= 1] = rng.choice(cyc)
    for _ in range(tears):  # a straight tear: everything on one side slipped by a cycle
        k = int(rng.integers(m))
        ang = rng.uniform(0, np.pi)
        d = (xx - w / 2) * np.cos(ang) + (yy - h / 2) * np.sin(ang)
        planted[k][d > rng.uniform(0.1, 0.35) * min(h, w)] = rng.choice([-1, 1])
    for _ in range(edge_patches):
        k = int(rng.integers(m))
        ph, pw = rng.integers(4, 20, size=2)
        side = int(rng.integers(4))
        r0 = [0, h - ph, int(rng.integers(0, h - ph)), int(rng.integers(0, h - ph))][side]
        c0 = [int(rng.integers(0, w - pw)), int(rng.integers(0, w - pw)), 0, w - pw][side]
        planted[k, r0:r0 + ph, c0:c0 + pw] = rng.choice(cyc)
    dr, dc = np.nonzero(dark)
    for _ in range(dark_patches if dr.size else 0):
        k = int(rng.integers(m))
        q = int(rng.integers(dr.size))
        r0, c0 = dr[q], dc[q]
        planted[k, max(0, r0 - 4):r0 + 4, max(0, c0 - 4):c0 + 4] = rng.choice([-1, 1])
    return {"dates": days, "pairs": pairs, "clean_mm": clean, "planted": planted, "coherence": coh,
            "velocity_mm_yr": vel, "dem_error_m": dem_err, "bperp_m": bperp, "height_m": height, "ts_mm": ts,
            "dark": dark}


def loop_counts(pairs) -> np.ndarray:
    """Triplets per interferogram."""
    where = {p: k for k, p in enumerate(pairs)}
    deg = np.zeros(len(pairs), int)
    for (i, j), a in where.items():
        for (j2, k), b in where.items():
            if j2 == j and (i, k) in where:
                deg[[a, b, where[(i, k)]]] += 1
    return deg
