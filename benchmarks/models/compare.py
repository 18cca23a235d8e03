"""Accuracy and speed of our temporal models against statsmodels OLS and scipy curve_fit on the same synthetic
series (100 dates every 12 days, 1 mm noise, 10 % gaps): parameter RMS error against the truth, the largest
difference from the peer, and wall time.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings

import numpy as np
import statsmodels.api as sm
from scipy.optimize import curve_fit

from insar_geohazards.algorithms.models.timeseriesmodels import TimeBase, design_matrix, fit_model

M = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
DATES = [dt.date(2018, 1, 3) + dt.timedelta(days=12 * i) for i in range(100)]
TB = TimeBase(DATES)
rng = np.random.default_rng(42)

CASES = {
    "linear": [3.0, -10.0],
    "seasonal": [1.0, -5.0, 3.0, -2.0, 1.0, 0.5],
    "quadratic": [0.0, -4.0, -6.0],
    "logarithmic": [0.0, -8.0, -3.0],
}


def data(model, truth):
    clean = design_matrix(model, TB) @ np.asarray(truth)
    d = clean[:, None] + rng.normal(0, 1.0, (len(DATES), M))
    d[rng.random(d.shape) < 0.1] = np.nan
    return d


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def statsmodels_fit(G, d):
    p = np.full((d.shape[1], G.shape[1]), np.nan)
    s = np.full_like(p, np.nan)
    for j in range(d.shape[1]):
        ok = np.isfinite(d[:, j])
        res = sm.OLS(d[ok, j], G[ok]).fit()
        p[j], s[j] = res.params, res.bse
    return p, s


def curve_fit_all(f, x, d, p0):
    p = np.full((d.shape[1], len(p0)), np.nan)
    s = np.full_like(p, np.nan)
    for j in range(d.shape[1]):
        ok = np.isfinite(d[:, j])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            popt, pcov = curve_fit(f, x[ok], d[ok, j], p0=p0, maxfev=5000)
        p[j], s[j] = popt, np.sqrt(np.diag(pcov))
    return p, s


def report(name, truth, ours, t_ours, peer, t_peer, peer_name):
    p_o, s_o = ours
    p_p, s_p = peer
    rmse_o = np.sqrt(np.nanmean((p_o - truth) ** 2, axis=0))
    rmse_p = np.sqrt(np.nanmean((p_p - truth) ** 2, axis=0))
    dp = np.nanmax(np.abs(p_o - p_p))
    ds = np.nanmax(np.abs(s_o - s_p) / s_p)
    print(f"| {name} | {peer_name} | {', '.join(f'{v:.3f}' for v in rmse_o)} | "
          f"{', '.join(f'{v:.3f}' for v in rmse_p)} | {dp:.1e} | {ds:.1e} | {t_ours * 1000:.0f} | "
          f"{t_peer * 1000:.0f} | {t_peer / t_ours:.0f}x |")


print(f"{M} series x {len(DATES)} dates, noise 1 mm, 10 % gaps")
print("| model | peer | param RMSE ours | param RMSE peer | max abs diff estimates | max rel diff 1-sigma | "
      "ours (ms) | peer (ms) | speed-up |")
print("|---|---|---|---|---|---|---|---|---|")
for model, truth in CASES.items():
    d = data(model, truth)
    fit, t_o = timed(fit_model, d, DATES, model)
    G = design_matrix(model, TB)
    peer, t_p = timed(statsmodels_fit, G, d)
    report(model, np.array(truth), (fit.params, fit.stdev), t_o, peer, t_p, "statsmodels OLS")

# afterslip: non-linear in tau_c -> compare with curve_fit (Levenberg-Marquardt)
origin = dt.date(2017, 12, 20)
tb = TimeBase(DATES, origin_date=origin)
truth = np.array([2.0, 25.0, 40.0])
d = (truth[0] + truth[1] * np.log10(1 + tb.tau_days / truth[2]))[:, None] + rng.normal(0, 1.0, (len(DATES), M))
d[rng.random(d.shape) < 0.1] = np.nan
fit, t_o = timed(fit_model, d, DATES, "afterslip", origin_date=origin)


def afterslip(t, a, amp, tau):
    return a + amp * np.log10(1 + t / np.abs(tau))


peer, t_p = timed(curve_fit_all, afterslip, tb.tau_days, d, [0.0, 10.0, 30.0])
peer[0][:, 2] = np.abs(peer[0][:, 2])
report("afterslip", truth, (fit.params, fit.stdev), t_o, peer, t_p, "scipy curve_fit")
