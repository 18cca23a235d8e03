"""Where the stated sigma of the displacement across a gap comes from: each part forced away in turn (:data:`VARIANTS`),
on the gap scenarios of ``scenarios.py`` (north handled as in ``honesty.py``; z pooled over seeds) and on a
white-noise scene with no velocity wander (per seed).

Usage: /usr/bin/python3 gap_sigma.py [scenario ...] [--seeds 0,1,2,3,4,5]
"""

from __future__ import annotations

import datetime as dt
import sys

import honesty
import numpy as np
import scenarios as scn

from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.timeseries import multisensor as ms

_FIXED = {"scene_densities": False}
#: (solver options, gap density forced in the final pass or None)
VARIANTS = {"scene priors (default)": ({}, None), "scene priors, gap density 0": ({}, 1e-6),
            "fixed floors (1 and 0.25)": (_FIXED, None),
            "fixed floors, segments' floor 0.01": ({**_FIXED, "min_process_noise": 0.01}, None),
            "fixed floors, gap density 0, segments' floor 0.01": ({**_FIXED, "min_process_noise": 0.01}, 1e-6),
            "fixed floors 10^-4, gap density 0": ({**_FIXED, "min_process_noise": 1e-4}, 1e-6),
            "fixed floors 10^-4, gap density 0, no acceleration": (
                {**_FIXED, "min_process_noise": 1e-4, "acceleration": False}, 1e-6),
            "fixed floors 0.1, gap density 0, no acceleration": (
                {**_FIXED, "min_process_noise": 0.1, "acceleration": False}, 1e-6),
            "grid priors, gaps": ({"grid_prior_gaps": True}, None),
            "grid priors, gaps and periods": ({"grid_prior_gaps": True, "grid_prior_periods": True}, None)}
_FORCE = {"qg": None}


class _Forced(ms.MultisensorProblem):
    """The problem with the gap's density replaced in the final pass (the first pass still measures it)."""

    def _run(self, ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k, fun_c,
             full, *rest, **kw):
        if full and _FORCE["qg"] is not None:
            qg[:] = _FORCE["qg"]
        return super()._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg,
                            fun_k, fun_c, full, *rest, **kw)


def _solve(stacks, north, variant):
    options, qg = VARIANTS[variant]
    _FORCE["qg"] = qg
    saved = ms.MultisensorProblem
    ms.MultisensorProblem = _Forced
    try:
        return ms.solve_multisensor(stacks, north=north, **options)
    finally:
        ms.MultisensorProblem = saved


def _gap_z(res, truth_fn):
    out = []
    for gi, gp in enumerate(res.gaps):
        if gp.days < 365:
            continue
        te, tu = truth_fn(gp.last_before, gp.first_after)
        zs = []
        for ci, t in ((0, te), (1, tu)):
            z = (res["gap_displacement"][gi, ci] - t) / res["gap_sigma"][gi, ci]
            zs.append(z[np.isfinite(z)])
        out.append((f"{gp.last_before:%Y-%m}..{gp.first_after:%Y-%m}", zs))
    return out


def scenario_rows(names, seeds):
    for name in names:
        for variant in VARIANTS:
            pooled = {}
            for seed in seeds:
                gen = honesty.generate(name, seed)
                sc = gen["scenario"]

                def truth(a, b, sc=sc):
                    e, _, u = scn.truth_at(sc, [a, b])
                    return e[1] - e[0], u[1] - u[0]

                res = _solve(scn.to_stacks(gen), honesty.north_model(gen), variant)
                for gi, (span, zs) in enumerate(_gap_z(res, truth)):
                    pooled.setdefault(gi, [span, [], []])
                    for ci in (0, 1):
                        pooled[gi][1 + ci].append(zs[ci])
            for span, ze, zu in pooled.values():
                ze, zu = np.concatenate(ze), np.concatenate(zu)
                print(f"| {name} | {span} | {variant} | {np.sqrt(np.mean(ze ** 2)):.2f} / "
                      f"{np.sqrt(np.mean(zu ** 2)):.2f} | {100 * np.mean(np.abs(ze) < 2):.1f} / "
                      f"{100 * np.mean(np.abs(zu) < 2):.1f} % |", flush=True)


def white_stacks(seed, shape=(10, 20)):
    """The white-noise scene (no velocity wander anywhere) drawn from ``seed``: ``(stacks, truth_at)``."""
    d0 = dt.date(2018, 1, 1)
    defs = (("ENV-asc", (23.0, -13.0), d0, 35, 60, 2.0),
            ("ENV-desc", (23.0, 193.0), d0 + dt.timedelta(days=17), 35, 60, 2.0),
            ("ALOS-asc", (38.7, -10.0), d0 + dt.timedelta(days=1300), 46, 18, 6.0),
            ("S1-asc", (39.0, -12.0), d0 + dt.timedelta(days=3400), 12, 150, 2.0),
            ("S1-desc", (41.0, 192.0), d0 + dt.timedelta(days=3406), 12, 150, 2.0))
    x = np.linspace(0.5, 1.5, shape[1])[None, :] * np.ones(shape)

    def truth_at(d):
        t = (d - d0).days / 365.25
        return 6.0 * x * t, -20.0 * x * t + 4.0 * np.sin(2 * np.pi * t)

    rng = np.random.default_rng(seed)
    stacks = []
    for name, geom, start, step, n, noise in defs:
        dates = [start + dt.timedelta(days=step * i) for i in range(n)]
        e, _, u = (float(v) for v in los_unit_vector(*geom))
        los = np.stack([e * truth_at(d)[0] + u * truth_at(d)[1] for d in dates])
        los = los + rng.normal(0, noise, los.shape)
        stacks.append(ms.Stack(name, dates=dates, values=los - los[0], incidence_deg=geom[0],
                               heading_deg=geom[1]))
    return stacks, truth_at


def white_noise_rows(seeds):
    for variant in VARIANTS:
        for seed in seeds:
            stacks, truth_at = white_stacks(seed)
            res = _solve(stacks, ms.NorthModel(), variant)

            def truth(a, b, truth_at=truth_at):
                (ea, ua), (eb, ub) = truth_at(a), truth_at(b)
                return eb - ea, ub - ua

            for span, (ze, zu) in _gap_z(res, truth):
                print(f"| white noise, seed {seed} | {span} | {variant} | {np.sqrt(np.mean(ze ** 2)):.2f} / "
                      f"{np.sqrt(np.mean(zu ** 2)):.2f} | {100 * np.mean(np.abs(ze) < 2):.1f} / "
                      f"{100 * np.mean(np.abs(zu) < 2):.1f} % |", flush=True)


def main():
    names = [a for a in sys.argv[1:] if a in scn.SCENARIOS] or ["gap_env_s1", "alos_mixed", "ers_csk_s1",
                                                                 "rsat_tsx_gap", "rs2_csk_cycle"]
    seeds, _ = scn.seeds_and_options(sys.argv, range(6))
    print("| scene | gap | variant | z rms E / U | within 2 sigma E / U |\n|---|---|---|---|---|")
    white_noise_rows(seeds[:2])
    scenario_rows(names, seeds)


if __name__ == "__main__":
    main()
