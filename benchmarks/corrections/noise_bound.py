"""The best velocity any per-pixel estimator can give on a synthetic stack of chain_stacks.py: the stack without
its stratified delay, ramps, DEM-error term and planted cycles (what perfect corrections would leave: turbulence
and decorrelation noise), inverted by generalised least squares with the true covariance of each pixel's
interferograms (decorrelation noise of each pair from its coherence, Cramer-Rao with the generator's 6 looks,
plus the turbulence of each date, ``sigma_a^2 A A'``, A the pairs' date incidence). Scored as chain_compare.py
(RMS against the truth's linear rate, referenced to the stable area, pixels of mean coherence >= 0.3).

    /usr/bin/python3 benchmarks/corrections/noise_bound.py [STACK ...]   # default S2_sparse

A correction chain can only remove what it models (stratified delay, ramps, DEM error, slips); what is left
is turbulence and decorrelation noise, and no per-pixel estimate of the velocity does better than this.
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(os.path.dirname(HERE))]

import chain_stacks  # noqa: E402


def gls_velocity(ifg, coh, pairs, years, sigma_date_mm, looks=6, chunk=2000):
    """Per-pixel GLS velocity (mm/yr) of ``ifg`` (M, rows, cols) with decorrelation noise from ``coh`` and a
    per-date noise of ``sigma_date_mm``."""
    m, h, w = ifg.shape
    a = np.zeros((m, len(years)))
    for k, (i, j) in enumerate(pairs):
        a[k, i], a[k, j] = -1.0, 1.0
    dt = a @ years
    c = coh.reshape(m, -1)
    sig = np.minimum(np.sqrt(1 - c ** 2) / (c * np.sqrt(2 * looks)), np.pi / np.sqrt(3)) * chain_stacks.MM_PER_RAD
    d = ifg.reshape(m, -1)
    date_cov = sigma_date_mm ** 2 * (a @ a.T)
    v = np.empty(h * w)
    for p0 in range(0, h * w, chunk):
        s = sig[:, p0:p0 + chunk]
        cov = date_cov[None] + np.einsum("kp,kl->pkl", s ** 2, np.eye(m))
        ci_dt = np.linalg.solve(cov, np.broadcast_to(dt, (cov.shape[0], m))[..., None])[..., 0]
        v[p0:p0 + chunk] = np.einsum("pk,kp->p", ci_dt, d[:, p0:p0 + chunk]) / (ci_dt @ dt)
    return v.reshape(h, w)


def main(names):
    for name in names:
        st = chain_stacks.make_stack(name)
        parts = st["strat_mm"] + st["ramp_mm"] + st["bperp_m"][:, None, None] * (
            st["dz_m"] / (st["slant_range_m"] * np.sin(np.radians(st["incidence_deg"]))))[None] * 1000.0
        clean = st["ifg_mm"] - np.stack([parts[j] - parts[i] for i, j in st["pairs"]]) \
            - st["cycles"] * chain_stacks.CYCLE_MM
        turb = float(np.std(st["turb_mm"][1:]))
        for label, sd in (("turbulence as measured", turb), ("no per-date noise", 1e-3), ("x2", 2 * turb)):
            v = gls_velocity(clean, st["coherence"], st["pairs"], st["years"], sd)
            print(f"{name}: GLS on the perfectly corrected stack ({label}, {sd:.2f} mm per date): "
                  f"{chain_stacks.score(v, st)['rms']:.2f} mm/yr")


if __name__ == "__main__":
    main(sys.argv[1:] or ["S2_sparse"])
