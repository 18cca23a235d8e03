"""Synthetic stacks with known deformation, stratified and turbulent atmosphere (no QGIS import).

Used by the PCA tests, the PCA benchmark (benchmarks/corrections/bench_pca.py) and docs/make_corrections_b_figure.py.
"""

from __future__ import annotations

import datetime as dt

import numpy as np


def gaussian_field(shape, scale_px, rng):
    """A zero-mean, unit-variance random field with correlation length ~ ``scale_px``."""
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.normal(size=shape), scale_px, mode="wrap")
    return f / f.std()


def atmosphere_stack(*, n_dates=40, shape=(128, 128), strat_mm_per_km=10.0, turb_mm=5.0, turb_scale_px=12.0,
                     seasonal_mm_per_km=0.0, surge_mm=0.0, defo_rate_mm_yr=-40.0, defo_seasonal_mm=4.0, seed=0,
                     bowl_px=None):
    """Time series (N, rows, cols) mm = deformation + atmosphere(t) - atmosphere(t0), and the parts.

    Deformation: a Gaussian bowl (linear rate + annual cycle + an optional surge of ``surge_mm`` in
    ~2 weeks mid-series, outside any smooth model); stratified delay: ``k(t) * h`` with a
    random ``k`` (mm/km) per date plus ``seasonal_mm_per_km * sin(2 pi t)``; turbulent delay: an
    independent correlated field per date, ``turb_mm`` RMS.
    """
    rng = np.random.default_rng(seed)
    rows, cols = shape
    dates = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * i) for i in range(n_dates)]
    t = np.array([(d - dates[0]).days for d in dates]) / 365.25
    yy, xx = np.mgrid[0:rows, 0:cols]
    dem = 800.0 + 600.0 * np.exp(-((xx - 0.7 * cols) ** 2 + (yy - 0.4 * rows) ** 2) / (2 * (0.25 * cols) ** 2)) \
        + 150.0 * np.sin(yy / rows * 3 * np.pi) + 40 * gaussian_field(shape, 4, rng)
    bowl_px = bowl_px or 0.12 * cols
    bowl = np.exp(-((xx - 0.35 * cols) ** 2 + (yy - 0.6 * rows) ** 2) / (2 * bowl_px ** 2))
    defo = bowl[None] * (defo_rate_mm_yr * t[:, None, None]
                         + defo_seasonal_mm * np.sin(2 * np.pi * t)[:, None, None]
                         + surge_mm / (1 + np.exp(-(t - t[n_dates // 2]) / 0.03))[:, None, None])
    k = rng.normal(0, strat_mm_per_km, n_dates) + seasonal_mm_per_km * np.sin(2 * np.pi * t)
    strat = k[:, None, None] * (dem[None] - dem.mean()) / 1000.0
    turb = np.stack([turb_mm * gaussian_field(shape, turb_scale_px, rng) for _ in range(n_dates)])
    atm = strat + turb
    atm = atm - atm[:1]
    ts = defo + atm
    return {"dates": dates, "years": t, "dem_m": dem, "deformation_mm": defo, "atmosphere_mm": atm,
            "series_mm": ts, "velocity_mm_yr": bowl * defo_rate_mm_yr}


def velocity(series_mm, years):
    """Least-squares linear rate (mm/yr), per pixel."""
    g = np.stack([np.ones_like(years), years], axis=1)
    coef = np.linalg.lstsq(g, series_mm.reshape(series_mm.shape[0], -1), rcond=None)[0]
    return coef[1].reshape(series_mm.shape[1:])
