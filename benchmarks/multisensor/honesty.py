"""Honesty of the joint east/up solver's 1-sigma over many seeds: every date, and the displacement across gaps
(north handled: the true steady north velocity given, the slope constraint where there is a DEM). One seed's pixels
share one draw of the atmosphere, so the fractions are pooled over seeds.

Usage: /usr/bin/python3 honesty.py OUT_JSON [scenario ...] [--seeds 0,1,2,3,4,5] [--option name=value ...]
       [--gap-noise-share K]  (K times the variance of the gap's velocity change subtracted from its square; 2)
"""

from __future__ import annotations

import json
import sys

import numpy as np
import scenarios as scn
from common import option, save_json

from insar_geohazards.algorithms.timeseries import multisensor as ms
from insar_geohazards.algorithms.timeseries.multisensor import NorthModel, solve_multisensor

#: motions whose north component is no steady velocity (a GNSS velocity model cannot give it): their north
#: motion is taken out of the inputs instead, as a perfect north model would
UNSTEADY_NORTH = ("decay",)


def generate(name, seed):
    motions = scn.SCENARIOS[name].motions
    return scn.generate_seeded(name, seed, north_removed=any(m in motions for m in UNSTEADY_NORTH))


def north_model(gen):
    if "slope" in gen:
        return NorthModel("slope", slope_deg=gen["slope"], aspect_deg=gen["aspect"])
    if any(m in gen["scenario"].motions for m in UNSTEADY_NORTH):
        return NorthModel("zero")
    return NorthModel("given", velocity_mm_yr=scn.steady_north(gen))


def run(name, seed, options):
    gen = generate(name, seed)
    sc = gen["scenario"]
    nm = north_model(gen)
    res = solve_multisensor(scn.to_stacks(gen), north=nm, **options)
    z = scn.zscores(res, sc)
    rec = {"scenario": name, "seed": seed, "north": nm.mode,
           "z": {c: {"n": int(v.size), "ms": float(np.mean(v ** 2)), "mean": float(v.mean()),
                     "within2": float(np.mean(np.abs(v) < 2))} for c, v in z.items()},
           "gaps": []}
    for g, parts in scn.gap_errors(res, sc):
        for c, (err, sig) in parts.items():
            zz = err / sig
            zz = zz[np.isfinite(zz)]
            g[c] = {"n": int(zz.size), "within2": float(np.mean(np.abs(zz) < 2)), "ms": float(np.mean(zz ** 2)),
                    "mean": float(zz.mean())}
        rec["gaps"].append(g)
    return rec


def pooled(items):
    n = np.array([i["n"] for i in items], float)
    ms = float(np.sum(n * np.array([i["ms"] for i in items])) / n.sum())
    mu = float(np.sum(n * np.array([i["mean"] for i in items])) / n.sum())
    w2 = float(np.sum(n * np.array([i["within2"] for i in items])) / n.sum())
    return float(np.sqrt(max(ms - mu * mu, 0.0))), float(np.sqrt(ms)), w2


def table(recs):
    lines = ["| scenario | seeds | z east std / rms / within 2 sigma | z up std / rms / within 2 sigma "
             "| gaps: within 2 sigma E / U (z rms E / U) |", "|---|---|---|---|---|"]
    for name in dict.fromkeys(r["scenario"] for r in recs):
        rs = [r for r in recs if r["scenario"] == name]
        cells = []
        for c in ("east", "up"):
            sd, rms, w2 = pooled([r["z"][c] for r in rs])
            cells.append(f"{sd:.2f} / {rms:.2f} / {100 * w2:.1f} %")
        gaps = []
        # gaps differ between seeds (missing acquisitions make short ones): pooled by kind, multi-year gaps between
        # missions (a year or more) and short gaps inside a mission
        for label, keep in (("multi-year", lambda g: g["days"] >= 365), ("short", lambda g: g["days"] < 365)):
            gs = [g for r in rs for g in r["gaps"] if keep(g)]
            if not gs:
                continue
            ge = pooled([g["east"] for g in gs])
            gu = pooled([g["up"] for g in gs])
            spans = sorted({f"{g['from'][:7]}..{g['to'][:7]}" for g in gs})
            where = spans[0] if len(spans) == 1 else f"{len(gs)} gaps"
            gaps.append(f"{label} ({where}): {100 * ge[2]:.1f} / {100 * gu[2]:.1f} % ({ge[1]:.2f} / {gu[1]:.2f})")
        lines.append(f"| {name} | {len(rs)} | {cells[0]} | {cells[1]} | {'; '.join(gaps) or '-'} |")
    return "\n".join(lines)


def main():
    out = sys.argv[1]
    names = [a for a in sys.argv[2:] if a in scn.SCENARIOS] or scn.ORDER + scn.HOLDOUT
    seeds, options = scn.seeds_and_options(sys.argv, [0, 1, 2, 3, 4, 5])
    if "--gap-noise-share" in sys.argv:  # set where the gap's estimate (solve) and its likelihood (density) read it
        ms.solve._GAP_NOISE_SHARE = ms.density._GAP_NOISE_SHARE = option(sys.argv, "--gap-noise-share", cast=float)
    recs = []
    for name in names:
        for sd in seeds:
            rec = run(name, sd, options)
            recs.append(rec)
            print(json.dumps(rec), flush=True)
    save_json(out, {"options": options, "records": recs})
    print(table(recs))


if __name__ == "__main__":
    main()
