"""Known-truth worlds for the displacement forecast, written from the design of the project's practice world (its
README's numbers, not the plugin's code), and the figures the forecast is judged by.

A world: 104 slots of 12 days from 2019-01-06 with 24 missed (never 3 in a row), so 80 dates; six shapes of motion
(1 linear, v -12..+4 mm/yr; 2 linear + annual, v -8..+2, A 3-7 mm; 3 quadratic acceleration, a -8..-3 mm/yr^2 with
v -6..-2 mm/yr; 4 logarithmic creep B ln(1 + td/tau) + C t, tau 30-90 d, B -16..-8 mm, C -3..0 mm/yr; 5 secondary
consolidation -K log10((td + 150)/150), K = 2.5 H, H 5-20 m; 6 exponential decay A (1 - exp(-t/T)), A -40..-15 mm,
T 0.6-1.2 yr), td days and t years since the first date, in shares drawn at random (Dirichlet); noise per date white
1.5 mm plus a 1.0 mm field (spatially smooth on a grid, independent between dates); the series zero on the first date
(the truth in the input's reference is S(t) - S(t0) - n(t0)); twelve monthly dates after the last with the truth and
noisy observations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

START = dt.date(2019, 1, 6)
NOISE_MM = float(np.hypot(1.5, 1.0))
NAMES = ("linear", "annual", "quadratic", "logcreep", "consolidation", "expdecay")


def _dates(rng, n_slots=104, n_missed=24):
    """80 dates: ``n_missed`` of ``n_slots`` 12-day slots dropped at random, never three in a row, the first kept."""
    while True:
        missed = np.zeros(n_slots, bool)
        missed[1 + rng.choice(n_slots - 1, n_missed, replace=False)] = True
        run = np.convolve(missed.astype(int), np.ones(3, int), mode="valid")
        if run.max() < 3:
            break
    return [START + dt.timedelta(days=12 * int(k)) for k in np.flatnonzero(~missed)]


def _smooth_field(rng, shape, sd):
    """A spatially smooth Gaussian field of standard deviation ``sd`` (white noise blurred by a few pixels)."""
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.normal(size=shape), 4.0, mode="wrap")
    return sd * f / f.std()


def shape(group, td, p):
    """The motion ``S`` (mm) of ``group`` (1-6) at days ``td`` (n, 1) after the first date, parameters ``p``."""
    t = td / 365.25
    if group == 1:
        return p["v"] * t
    if group == 2:
        return p["v"] * t + p["A"] * np.sin(2 * np.pi * t + p["phase"])
    if group == 3:
        return p["v"] * t + 0.5 * p["a"] * t ** 2
    if group == 4:
        return p["B"] * np.log(1.0 + td / p["tau"]) + p["C"] * t
    if group == 5:
        return -p["K"] * np.log10((td + 150.0) / 150.0)
    return p["A"] * (1.0 - np.exp(-t / p["T"]))


def _params(group, rng, m):
    u = lambda a, b: rng.uniform(a, b, m)[None, :]  # noqa: E731
    return {1: lambda: {"v": u(-12, 4)},
            2: lambda: {"v": u(-8, 2), "A": u(3, 7), "phase": u(0, 2 * np.pi)},
            3: lambda: {"v": u(-6, -2), "a": u(-8, -3)},
            4: lambda: {"B": u(-16, -8), "C": u(-3, 0), "tau": u(30, 90)},
            5: lambda: {"K": 2.5 * u(5, 20)},
            6: lambda: {"A": u(-40, -15), "T": u(0.6, 1.2)}}[group]()


def forecast_world(seed, *, m=None, grid=None, concentration=2.0):
    """A world (module docstring) of ``m`` series, or of a ``grid`` ``(rows, cols)`` with the 1.0 mm field
    spatially smooth. Returns a dict: ``dates`` (80), ``series``, ``truth`` ``(80, m)`` mm, ``group`` ``(m,)``,
    ``months`` (12 dates), ``truth_months`` and ``obs_months`` ``(12, m)``, ``shares`` (the mix drawn)."""
    rng = np.random.default_rng(seed)
    dates = _dates(rng)
    months = [dates[-1] + dt.timedelta(days=int(round(30.44 * k))) for k in range(1, 13)]
    m = int(np.prod(grid)) if grid is not None else int(m)
    shares = rng.dirichlet(np.full(6, concentration))
    group = rng.choice(np.arange(1, 7), m, p=shares)
    td = np.array([(x - dates[0]).days for x in dates + months], dtype=np.float64)[:, None]
    signal = np.zeros((td.shape[0], m))
    for g in range(1, 7):
        sel = group == g
        if sel.any():
            signal[:, sel] = shape(g, td, _params(g, rng, int(sel.sum())))
    n_all = td.shape[0]
    white = rng.normal(0.0, 1.5, (n_all, m))
    if grid is not None:
        field = np.stack([_smooth_field(rng, grid, 1.0).reshape(-1) for _ in range(n_all)])
    else:
        field = rng.normal(0.0, 1.0, (n_all, m))
    noise = white + field
    n = len(dates)
    offset = signal[0] + noise[0]  # the series is zero on the first date
    truth = signal - offset
    observed = signal + noise - offset
    return {"dates": dates, "series": observed[:n], "truth": truth[:n], "group": group, "months": months,
            "truth_months": truth[n:], "obs_months": observed[n:], "shares": shares}


def ar1_lines(seed, m, n_dates, phi, *, sd=2.0, step_days=12):
    """Lines of -20..+5 mm/yr with stationary AR(1) noise (lag-one correlation ``phi`` between dates
    ``step_days`` apart, marginal ``sd`` mm): ``(dates, series (n, m))``."""
    rng = np.random.default_rng(seed)
    dates = [START + dt.timedelta(days=step_days * i) for i in range(n_dates)]
    t = np.arange(n_dates) * step_days / 365.25
    e = np.zeros((n_dates, m))
    e[0] = rng.normal(0.0, sd, m)
    for i in range(1, n_dates):
        e[i] = phi * e[i - 1] + rng.normal(0.0, sd * np.sqrt(1.0 - phi * phi), m)
    return dates, rng.uniform(-20, 5, m)[None, :] * t[:, None] + e


RIGHT = {1: (1,), 2: (2,), 3: (3,), 4: (4, 5), 5: (4, 5), 6: (6,)}


def scores(res, group, truth, observed) -> dict:
    """The figures a forecast ``res`` of a world is judged by: the share of series whose model is right (overall
    and per class, logarithmic creep and consolidation one answer), the share of quadratic series chosen as
    accelerating, the forecast's RMSE to the truth over the noise, the share of noisy observations within 2 sigma
    (overall and per class)."""
    code = np.asarray(res.model_code)
    right = np.array([c in RIGHT[g] for c, g in zip(code, group)])
    inside = np.abs(observed - res.value_mm) <= 2.0 * res.sigma_mm
    out = {"right": float(right.mean()), "accelerating": float(np.mean(code[group == 3] == 3)) if (group == 3).any()
           else float("nan"),
           "error": float(np.sqrt(np.mean((res.value_mm - truth) ** 2)) / NOISE_MM), "coverage": float(inside.mean()),
           "by_class": {}}
    for g in range(1, 7):
        sel = group == g
        if sel.any():
            out["by_class"][NAMES[g - 1]] = {"n": int(sel.sum()), "right": float(right[sel].mean()),
                                             "coverage": float(inside[:, sel].mean()),
                                             "error": float(np.sqrt(np.mean((res.value_mm[:, sel]
                                                                             - truth[:, sel]) ** 2)) / NOISE_MM)}
    return out
