"""Synthetic wrapped interferograms with a known unwrapped truth (tests and benchmarks/unwrap)."""

from __future__ import annotations

import numpy as np


def synthetic_interferogram(rows=200, cols=240, *, seed=0, bowls=((0.5, 0.5, 40.0, 30.0),),
                            holes=((0.25, 0.75, 0.08),), water=True, looks=9, coh_range=(0.2, 0.95),
                            ramp=(2.0, -1.5)):
    """A wrapped interferogram and its truth.

    ``bowls``: (row frac, col frac, peak phase in rad (negative = subsidence), radius px),
    Gaussian-shaped (steepest gradient peak / (radius sqrt(e)) rad/px: 40 rad over 30 px is
    0.81 rad/px, 1.3 fringes per 10 px); ``holes``: decorrelated disks (row frac, col frac, radius
    frac) with coherence 0.05; ``water``: a band of pure noise (coherence 0) across the
    left part; coherence elsewhere a smooth random field in ``coh_range``. Phase noise
    is simulated, not drawn from a formula: ``looks`` complex samples of two circular
    Gaussian signals correlated by the coherence, multiplied and averaged.

    Returns dict: wrapped, truth, coherence (the true one), land (not water/holes).
    """
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    truth = ramp[0] * r / rows * np.pi + ramp[1] * c / cols * np.pi
    for fr, fc, peak, rad in bowls:
        truth += peak * np.exp(-((r - fr * rows) ** 2 + (c - fc * cols) ** 2) / (2 * rad ** 2))
    # smooth coherence field
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal((rows, cols)), 12)
    f = (f - f.min()) / (np.ptp(f) + 1e-12)
    coh = coh_range[0] + (coh_range[1] - coh_range[0]) * f
    land = np.ones((rows, cols), bool)
    for fr, fc, fh in holes:
        hole = (r - fr * rows) ** 2 + (c - fc * cols) ** 2 < (fh * min(rows, cols)) ** 2
        coh[hole] = 0.05
        land &= ~hole
    if water:
        w = (c < 0.12 * cols + 0.05 * r) & (r > 0.3 * rows)
        coh[w] = 0.0
        land &= ~w
    s1 = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    n = (rng.standard_normal((looks, rows, cols)) + 1j * rng.standard_normal((looks, rows, cols))) / np.sqrt(2)
    s2 = coh * s1 + np.sqrt(1 - coh ** 2) * n
    ifg = (s1 * np.conj(s2)).mean(axis=0) * np.exp(1j * truth)
    return {"wrapped": np.angle(ifg).astype(np.float32), "complex": ifg.astype(np.complex64),
            "truth": truth.astype(np.float32), "coherence": coh.astype(np.float32), "land": land}


def correct_share(unwrapped, components, truth, region) -> float:
    """Share of ``region`` pixels unwrapped to the right integer cycle relative to the most
    common offset of their component (pixels left out count as wrong)."""
    region = np.asarray(region, bool)
    good = 0
    for lab in np.unique(components[region & (components > 0)]):
        sel = region & (components == lab) & np.isfinite(unwrapped)
        k = np.rint((unwrapped[sel] - truth[sel]) / (2 * np.pi)).astype(np.int64)
        good += np.bincount(k - k.min()).max()
    return good / max(1, int(region.sum()))


# The synthetic cases of the unwrapping benchmarks (benchmarks/unwrap: compare.py, tiles.py).
# max gradient of a Gaussian bowl = peak / (radius sqrt(e)) rad/px; 2 pi rad = 1 fringe; beyond pi rad/px
# (5 fringes per 10 px) the steepest ring is aliased: no unwrapper can get it right
BENCH_CASES = {
    "bowl 1.0 rad/px (1.6 fringes/10px)": dict(rows=300, cols=300, bowls=((0.5, 0.5, -60.0, 36.0),)),
    "bowl 2.5 rad/px (4.1 fringes/10px)": dict(rows=300, cols=300, bowls=((0.5, 0.5, -80.0, 19.0),)),
    "2 bowls 3.5 rad/px (5.6 fr/10px) holes": dict(rows=300, cols=400, bowls=((0.4, 0.35, -70.0, 12.0),
                                                                       (0.6, 0.7, 40.0, 8.0)),
                                                holes=((0.2, 0.8, 0.08), (0.75, 0.3, 0.1))),
    "low coherence 0.2-0.6, 4 looks": dict(rows=300, cols=300, bowls=((0.5, 0.5, -50.0, 20.0),),
                                           coh_range=(0.2, 0.6), looks=4),
}
