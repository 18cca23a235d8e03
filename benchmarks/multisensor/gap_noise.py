"""The noise power of the velocity change measured across a gap, checked against simulation.

The first pass measures, per pixel and component, the change ``dv`` of the one-year mean velocity across each gap
and its stated variance ``s^2`` (the posterior variance of that functional, the gap untied). On the white-noise scene
of ``gap_sigma.py`` (no velocity wander anywhere: the true change is known, linear + annual motion) the realised
``(dv - dv_true)^2 / s^2`` must have mean 1 if ``s^2`` is the change's noise power; the solver's estimate of the gap's
density subtracts ``_GAP_NOISE_SHARE * s^2`` from ``dv^2``. Prints per seed: mean and median of
``(dv - dv_true)^2 / s^2`` (median 0.45 for a normal change), and the realised against the stated variance.

``--by-density``: the gap's z-scores on the same scene (seeds pooled) by the pixel's largest period density, for the
default and for the fixed floors lowered to 10^-4 with the gap's density forced to zero (``gap_sigma.py``'s
variants): where a pixel's densities are really near zero the bridge, the edges' extrapolation and the acceleration
term state its error (z rms ~1); the pixels whose own (noise) estimate holds a density above the floor state more.

Usage: /usr/bin/python3 gap_noise.py [--seeds 0,1,2,3,4,5] [--option name=value ...] [--by-density]
"""

from __future__ import annotations

import sys

import _path  # noqa: F401
import common
import gap_sigma
import numpy as np

from insar_geohazards.algorithms.timeseries import multisensor as ms

_SEEN = []


class _Spy(ms.MultisensorProblem):
    def _run(self, *args, fun_det=None, **kw):
        super()._run(*args, fun_det=fun_det, **kw)
        if fun_det:
            out = args[16]
            _SEEN.append((out["fun"].copy(), out["sfun"].copy(), args[15].copy()))


def by_density(seeds):
    print("| variant | largest period density (mm^2/yr^3) | pixels | z rms E / U | within 2 sigma E / U | "
          "rms error E / U (mm) | rms sigma E / U (mm) |\n|---|---|---|---|---|---|---|")
    for variant in ("scene priors (default)", "fixed floors 10^-4, gap density 0",
                    "fixed floors 10^-4, gap density 0, no acceleration"):
        errs, sigs, qs = [], [], []
        for seed in seeds:
            stacks, truth_at = gap_sigma.white_stacks(seed)
            res = gap_sigma._solve(stacks, ms.NorthModel(), variant)
            gp = res.gaps[0]
            (ea, ua), (eb, ub) = truth_at(gp.last_before), truth_at(gp.first_after)
            errs.append((res["gap_displacement"][0] - np.stack([eb - ea, ub - ua])).reshape(2, -1))
            sigs.append(res["gap_sigma"][0].reshape(2, -1))
            pp = res["period_process_noise"]
            qs.append(np.max(pp.reshape(pp.shape[0], 2, -1), axis=(0, 1)))
        e, s, q = np.concatenate(errs, 1), np.concatenate(sigs, 1), np.concatenate(qs)
        z = e / s
        for lo, hi in ((0, 1e-3), (1e-3, 0.1), (0.1, 1), (1, np.inf)):
            m = (q >= lo) & (q < hi)
            if not m.any():
                continue
            f = [f"{np.sqrt(np.mean(a[c, m] ** 2)):.2f}" for a in (z, e, s) for c in (0, 1)]
            w = [f"{100 * np.mean(np.abs(z[c, m]) < 2):.1f}" for c in (0, 1)]
            print(f"| {variant} | {lo:g}-{hi:g} | {m.sum()} | {f[0]} / {f[1]} | {w[0]} / {w[1]} % | {f[2]} / {f[3]} | "
                  f"{f[4]} / {f[5]} |", flush=True)


def main():
    seeds, options = common.seeds_and_options(sys.argv, [0, 1, 2, 3, 4, 5])
    if "--by-density" in sys.argv:
        by_density(seeds)
        return
    print("| seed | gap | component | pixels | mean (dv - dv_true)^2 / s^2 | median | realised var / mean stated var |")
    print("|---|---|---|---|---|---|---|")
    pooled = {0: [], 1: []}
    for seed in seeds:
        stacks, truth_at = gap_sigma.white_stacks(seed)
        shape = stacks[0].values.shape[1:]
        prob = _Spy(stacks, shape=shape, north=ms.NorthModel(), **options)
        prob.calibrate(prob.sources())
        _SEEN.clear()
        prob.solve_arrays(prob.sources(), shape, _stage="gaps")
        fun, sfun, todo = _SEEN[-1]
        for gi, (a0, ka, kb, b1) in enumerate(prob._vel_windows):
            d = prob.dates
            tr = [truth_at(d[k]) for k in (a0, ka, kb, b1)]
            ta, tb = prob.tau[ka] - prob.tau[a0], prob.tau[b1] - prob.tau[kb]
            for c in (0, 1):
                true = ((tr[3][c] - tr[2][c]) / tb - (tr[1][c] - tr[0][c]) / ta).ravel()[todo]
                err, s = fun[gi, c, todo] - true, sfun[gi, c, todo]
                x = err ** 2 / s ** 2
                pooled[c].append(x)
                print(f"| {seed} | {d[ka]}..{d[kb]} | {'EU'[c]} | {x.size} | {x.mean():.2f} | {np.median(x):.2f} | "
                      f"{np.mean(err ** 2) / np.mean(s ** 2):.2f} |", flush=True)
    for c in (0, 1):
        x = np.concatenate(pooled[c])
        print(f"| pooled | | {'EU'[c]} | {x.size} | {x.mean():.2f} | {np.median(x):.2f} | |")


if __name__ == "__main__":
    main()
