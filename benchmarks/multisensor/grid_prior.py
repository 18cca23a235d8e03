"""The grid (nonparametric) density priors a solve estimates, and the estimates they are fitted to.

For the white-noise scene of ``gap_sigma.py`` (no velocity wander anywhere) and for named scenarios (as
``honesty.py`` runs them), solved with ``grid_prior_gaps`` and ``grid_prior_periods``: every prior the calibration
fits (the whole series' and each period's density per component, kind ``normal``; each gap's velocity change per
component, kind ``change``) with its mean, its weight at zero and the grid points holding most weight, and the
fitted estimates: standardised by their noise-alone standard deviation (mean, median, spread: 0, 0, 1 for pure
noise with a symmetric likelihood) or, for gaps, ``dv^2`` over its assumed noise power (mean 1, median 0.45 for a
normal ``dv``).

Usage: /usr/bin/python3 grid_prior.py [white] [scenario ...] [--seeds 0]
"""

from __future__ import annotations

import sys

import _path  # noqa: F401
import common
import gap_sigma
import honesty
import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.timeseries import multisensor as ms

_SEEN = []
_fit = ms._grid_prior


def _spy(q, v, kind):
    pr = _fit(q, v, kind)
    _SEEN.append((q, v, kind, pr))
    return pr


def _print(label):
    grid = ms._DENSITY_GRID
    for q, v, kind, pr in _SEEN:
        ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
        q, v, w = q[ok], v[ok], pr[3]
        top = ", ".join(f"{grid[j]:.3g}: {w[j]:.2f}" for j in np.argsort(w)[::-1][:4])
        if kind == "change":
            b = np.sqrt(0.5 * ms._GAP_NOISE_SHARE ** 2 * v)
            x = (q + b) / b
            est = f"dv^2 / noise power: mean {x.mean():.2f}, median {np.median(x):.2f}"
        else:
            z = q / np.sqrt(v)
            est = f"standardised: mean {z.mean():.2f}, median {np.median(z):.2f}, spread {z.std():.2f}"
        print(f"| {label} | {kind} | {q.size} | {pr[0]:.3g} | {w[0]:.2f} | {top} | {est} |", flush=True)
    _SEEN.clear()


def main():
    seeds, _ = common.seeds_and_options(sys.argv, [0])
    opts = {"grid_prior_gaps": True, "grid_prior_periods": True}
    ms.density._grid_prior = _spy  # where the calibration calls it
    print("| scene | kind | pixels | prior mean | weight at 0 | most weight (density: weight) | estimates |")
    print("|---|---|---|---|---|---|---|")
    if "white" in sys.argv:
        gap_sigma.VARIANTS["grid"] = (opts, None)
        for seed in seeds:
            gap_sigma._solve(gap_sigma.white_stacks(seed)[0], ms.NorthModel(), "grid")
            _print(f"white noise, seed {seed}")
    for name in [a for a in sys.argv[1:] if a in scn.SCENARIOS]:
        for seed in seeds:
            honesty.run(name, seed, opts)
            _print(f"{name}, seed {seed}")


if __name__ == "__main__":
    main()
