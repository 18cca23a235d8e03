"""A third generator of stacks with planted unwrapping errors, in the shape of an outside tester's stack: written apart
from :func:`testutils_corrections.closure_scenario` and :mod:`testutils_closure_world`.

Its own choices: 12-day acquisitions with a few missed passes, perpendicular baselines drifting inside an orbital
tube, each date linked to its next 2 to 4 dates (about 80 interferograms for 29 dates), a subsidence bowl with a
seasonal term, a stratified troposphere (phase proportional to height, a new slope each date) and a turbulent one
(a sum of Gaussian-smoothed fields at three scales), planar ramps, a DEM error seen through the baselines,
decorrelated patches (low coherence, uniform phase noise). Unwrapping errors as an unwrapper makes them: single
pixels, compact patches of a few to a few hundred pixels (some on the grid's edges, some in decorrelated ground),
and 2 to 4 interferograms where the unwrapper crossed an incoherent line the wrong way, so that everything beyond
that line (20-60 % of the scene) is one or two cycles off. The unwrapper's connected components come with the stack
(``components``): coherent regions of each interferogram, split by its incoherent lines, as SNAPHU labels them.
Everything is in LOS mm; one cycle is ``CYCLE_MM`` (Sentinel-1).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

WAVELENGTH_M = 0.05546576
CYCLE_MM = WAVELENGTH_M * 1000.0 / 2.0
MM_PER_RAD = WAVELENGTH_M * 1000.0 / (4.0 * np.pi)

#: Stacks looked at while the correction was changed, and stacks held out of it (run only to report).
TUNING = {1: dict(), 2: dict(shape=(240, 230), n_dates=33), 3: dict(shape=(210, 250), n_dates=27, tears=4)}
HOLDOUT = {21: dict(shape=(220, 220), n_dates=29), 22: dict(shape=(256, 224), n_dates=31, tears=2),
           23: dict(shape=(230, 240), n_dates=34, tears=3),
           # made after the step's choice among corrections by the ground was set, and only measured: more dates,
           # a denser network (each date with its next 3-5), half of the patches on pairs to the last three dates
           31: dict(shape=(230, 230), n_dates=40), 32: dict(shape=(220, 230), n_dates=30, neighbours=(3, 4, 4, 5)),
           33: dict(shape=(240, 220), n_dates=32, tears=3, late=0.5)}


def _smooth(rng, shape, sigma_px):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), sigma_px, mode="nearest")
    return f / (f.std() or 1.0)


def _components(coh, line, threshold=0.25, min_pixels=100):
    """An unwrapper's connected components of one interferogram: 5 x 5 mean coherence at least ``threshold`` and off
    the incoherent ``line``, 4-connected, numbered by size from 1; smaller than ``min_pixels`` and incoherent: 0."""
    from scipy import ndimage

    good = (ndimage.uniform_filter(coh.astype(np.float64), 5) >= threshold) & ~line
    lab, n = ndimage.label(good)
    out = np.zeros(coh.shape, np.int16)
    if n == 0:
        return out
    sizes = np.bincount(lab.ravel())[1:]
    for rank, comp in enumerate(np.argsort(-sizes, kind="stable")):
        if sizes[comp] >= min_pixels:
            out[lab == comp + 1] = rank + 1
    return out


def tester_stack(seed: int, *, shape=(220, 220), n_dates=29, tears=None, singles=None, patches=None,
                 neighbours=(2, 3, 3, 3, 4), late=0.0) -> dict:
    """A stack with its truth, planted errors and components.

    Each date is linked to its next ``n`` dates, ``n`` drawn from ``neighbours``; a share ``late`` of the patches
    lie on pairs whose later date is one of the last three (pairs in few loops, at the network's end).

    Returns ``dates`` (datetime.date), ``days``, ``pairs`` (index pairs, earlier first), ``clean_mm`` (M, rows, cols:
    deformation, troposphere, ramps, DEM error, noise), ``planted`` (M, rows, cols) int16 cycles, ``ifg_mm``
    (clean + planted), ``coherence`` (M, rows, cols) float32, ``components`` (M, rows, cols) int16, ``bperp_m``
    (n_dates,), ``dem`` (m), ``dz_m`` (DEM error, m), ``incidence_deg``, ``slant_range_m``, ``defo_mm`` (n_dates,
    rows, cols), ``truth_rate_mm_yr``, ``stable`` (bool mask of a corner free of deformation and errors), ``dark``
    (decorrelated ground), ``tears`` (indices of the interferograms cut by a line).
    """
    rng = np.random.default_rng(50_000 + seed)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    u, v = xx / (w - 1), yy / (h - 1)
    # acquisitions: 12 days, a few missed passes
    steps = np.where(rng.random(n_dates - 1) < 0.15, 24, 12)
    days = np.concatenate([[0], np.cumsum(steps)]).astype(float)
    dates = [dt.date(2019, 3, 2) + dt.timedelta(days=int(d)) for d in days]
    t = days / 365.25
    bperp = np.clip(np.cumsum(rng.normal(0.0, 35.0, n_dates)), -150.0, 150.0)
    bperp -= bperp[0]
    # each date with its next 2-4 dates
    pairs = set()
    for i in range(n_dates - 1):
        for j in range(i + 1, min(n_dates, i + 1 + int(rng.choice(list(neighbours))))):
            pairs.add((i, j))
    pairs = sorted(pairs)
    m = len(pairs)
    # terrain, deformation (a bowl with a seasonal term), geometry
    dem = 200.0 + 900.0 * np.clip(0.55 * np.exp(-((u - 0.2) ** 2 + (v - 0.8) ** 2) / 0.08) + 0.3 * u * (1 - v)
                                  + 0.08 * _smooth(rng, shape, 10), 0.0, None)
    cu, cv = rng.uniform(0.4, 0.65, 2)
    bowl = np.exp(-((u - cu) ** 2 + (v - cv) ** 2) / (2 * 0.11 ** 2))
    rate = float(rng.uniform(-70.0, -30.0))
    defo = bowl[None] * (rate * t[:, None, None] + 6.0 * np.sin(2 * np.pi * (t[:, None, None] - 0.1)))
    stable = (u < 0.18) & (v < 0.18)
    defo[:, stable] = 0.0
    incidence = 31.0 + 14.0 * u
    slant = 800e3 + 110e3 * u
    dz = 8.0 * _smooth(rng, shape, 4)
    for _ in range(8):
        r0, c0 = rng.integers(0, h - 8), rng.integers(0, w - 8)
        dz[r0:r0 + rng.integers(2, 7), c0:c0 + rng.integers(2, 7)] += rng.choice([-25.0, 25.0])
    dem_err = bperp[:, None, None] * (dz / (slant * np.sin(np.radians(incidence))))[None] * 1000.0
    hk = (dem - dem.mean()) / 1000.0
    strat = rng.normal(0.0, 8.0, n_dates)[:, None, None] * hk[None]
    turb = np.stack([2.5 * _smooth(rng, shape, 25) + 1.5 * _smooth(rng, shape, 8) + 0.6 * _smooth(rng, shape, 2)
                     for _ in range(n_dates)])
    ramp = np.stack([rng.normal(0, 3.0) * (2 * u - 1) + rng.normal(0, 3.0) * (2 * v - 1) for _ in range(n_dates)])
    series = defo + strat + turb + ramp + dem_err
    series -= series[:1]
    # coherence: ground cover, temporal decorrelation, decorrelated patches
    g0 = np.clip(0.75 + 0.12 * _smooth(rng, shape, 6), 0.3, 0.97)
    dark = _smooth(rng, shape, 7) > 1.5
    g0 = np.where(dark, 0.12, g0)
    g0[stable] = np.maximum(g0[stable], 0.7)
    coh = np.empty((m, h, w), np.float32)
    clean = np.empty((m, h, w))
    for k, (i, j) in enumerate(pairs):
        gam = np.clip(g0 * (0.35 + 0.65 * np.exp(-(days[j] - days[i]) / 80.0)) + 0.04 * rng.standard_normal(shape),
                      0.02, 0.99)
        coh[k] = gam
        sig = np.minimum(np.sqrt(1 - gam ** 2) / (gam * np.sqrt(2 * 9)), np.pi / np.sqrt(3))
        noise = MM_PER_RAD * sig * rng.standard_normal(shape)
        noise = np.where(dark, rng.uniform(-0.45, 0.45, shape) * CYCLE_MM, noise)
        clean[k] = series[j] - series[i] + noise
    # planted errors
    planted = np.zeros((m, h, w), np.int16)
    lines = np.zeros((m, h, w), bool)
    n_tears = int(rng.integers(3, 5)) if tears is None else int(tears)
    tear_ifgs = rng.choice(m, n_tears, replace=False)
    r_ref, c_ref = int(0.09 * h), int(0.09 * w)  # the stable corner's centre stays on the near side of every line
    for k in tear_ifgs:  # an incoherent line across the scene; the unwrapper got the far side one or two cycles off
        while True:
            ang = rng.uniform(0.0, 2 * np.pi)
            wiggle = 0.04 * np.sin(rng.uniform(4, 9) * (u * np.sin(ang) - v * np.cos(ang)) + rng.uniform(0, 6))
            side = (u - 0.5) * np.cos(ang) + (v - 0.5) * np.sin(ang) + wiggle
            cut = np.quantile(side, 1.0 - rng.uniform(0.3, 0.6))
            if side[r_ref, c_ref] < cut - 0.1:
                break
        line = np.abs(side - cut) < 1.5 / max(h, w)
        lines[k] = line
        coh[k][line] = rng.uniform(0.02, 0.1, int(line.sum()))
        clean[k][line] += rng.uniform(-0.5, 0.5, int(line.sum())) * CYCLE_MM
        beyond = (side > cut) & ~line
        planted[k][beyond] = rng.choice([-1, 1, 1, -2, 2], p=[0.35, 0.35, 0.0, 0.15, 0.15])
    n_singles = int(0.0025 * h * w * m / 10) if singles is None else int(singles)
    for _ in range(n_singles):
        k, r, c = rng.integers(m), rng.integers(h), rng.integers(w)
        if not stable[r, c]:
            planted[k, r, c] = rng.choice([-1, 1])
    n_patches = 150 if patches is None else int(patches)
    dr, dc = np.nonzero(dark)
    for q in range(n_patches):
        k = int(rng.integers(m))
        if late and rng.random() < late:
            k = int(rng.choice([q for q, (_, j) in enumerate(pairs) if j >= n_dates - 3]))
        a, b = rng.uniform(1.0, 14.0, 2)
        kind = q % 5
        if kind == 3:  # on an edge
            r0, c0 = [(0, rng.integers(w)), (h - 1, rng.integers(w)), (rng.integers(h), 0),
                      (rng.integers(h), w - 1)][int(rng.integers(4))]
        elif kind == 4 and dr.size:  # in decorrelated ground
            p = int(rng.integers(dr.size))
            r0, c0 = dr[p], dc[p]
        else:
            r0, c0 = rng.integers(0, h), rng.integers(0, w)
        blob = (((yy - r0) / a) ** 2 + ((xx - c0) / b) ** 2 <= 1) & ~stable
        planted[k][blob] = rng.choice([-1, 1, -2, 2], p=[0.4, 0.4, 0.1, 0.1])
    components = np.stack([_components(coh[k], lines[k]) for k in range(m)])
    tt = t - t.mean()
    truth_rate = (tt[:, None, None] * (defo - defo.mean(axis=0))).sum(axis=0) / (tt * tt).sum()
    return {"dates": dates, "days": days, "pairs": pairs, "clean_mm": clean, "planted": planted,
            "ifg_mm": clean + planted * CYCLE_MM, "coherence": coh, "components": components, "bperp_m": bperp,
            "dem": dem, "dz_m": dz, "incidence_deg": incidence, "slant_range_m": slant, "defo_mm": defo,
            "truth_rate_mm_yr": truth_rate, "stable": stable, "dark": dark, "tears": np.sort(tear_ifgs),
            "years": t, "pixel_m": 80.0}


def stack_for(seed: int) -> dict:
    """The stack of a tuning or held-out seed (its size and options from :data:`TUNING` / :data:`HOLDOUT`)."""
    return tester_stack(seed, **{**TUNING, **HOLDOUT}[seed])
