"""Velocity error against a synthetic truth before and after each correction step (core functions, no QGIS).

    /usr/bin/python3 benchmarks/corrections/synthetic_score.py

Stacks of tests/testutils_corrections.synthetic_stack; a plain least-squares SBAS and a linear fit; RMS of the
velocity error after removing its median (mm/yr).
"""

from __future__ import annotations

import numpy as np
from testutils_corrections import synthetic_stack, velocity_from_ifgs

from insar_geohazards.algorithms.corrections.ramps import remove_ramps
from insar_geohazards.algorithms.corrections.troposphere import correct_phase_elevation

CASES = {
    "A 60x80, 12 dates, strat 10 mm/km, ramps 8 mm, turbulence 2 mm": dict(
        shape=(60, 80), n_dates=12, seed=1, strat_mm_per_km=10.0, ramp_mm=8.0, turb_mm=2.0),
    "B 100x60, 20 dates, strat 15 mm/km varying x2.2 across, ramps 5 mm, turbulence 1 mm": dict(
        shape=(100, 60), n_dates=20, seed=2, strat_mm_per_km=15.0, strat_gradient=1.2, ramp_mm=5.0, turb_mm=1.0),
    "C 48x160, 16 dates, quadratic ramps 10 mm, strat 6 mm/km, turbulence 4 mm": dict(
        shape=(48, 160), n_dates=16, seed=3, strat_mm_per_km=6.0, ramp_mm=10.0, quadratic=True, turb_mm=4.0),
}


def score(s, ifg):
    n = len(s["dates"])
    v = velocity_from_ifgs(ifg, s["pairs"], n, s["years"])
    truth = s["defo_mm"][-1] / s["years"][-1]
    e = v - truth
    return float(np.sqrt(np.mean((e - np.median(e)) ** 2)))


def main():
    for label, kw in CASES.items():
        s = synthetic_stack(**kw)
        n = len(s["dates"])
        idx = (np.array([i for i, _ in s["pairs"]]), np.array([j for _, j in s["pairs"]]), n, None)
        stable = s["bowl"] < 0.01
        kind = "quadratic" if kw.get("quadratic") else "linear"
        floor = score(s, s["ifg_mm"] - np.stack([(s["strat_mm"] + s["ramp_mm"])[j] - (s["strat_mm"] + s["ramp_mm"])[i]
                                                  for i, j in s["pairs"]]))
        rows = [("uncorrected", score(s, s["ifg_mm"]))]
        t1, _ = correct_phase_elevation(s["ifg_mm"], s["dem"], mask=stable, min_pixels=50, per_date=idx)
        rows.append(("phase-elevation (linear, per date, stable mask)", score(s, t1)))
        r1, _ = remove_ramps(t1, kind=kind, mask=stable, min_pixels=50, per_date=idx)
        rows.append((f"  + {kind} ramps (per date, stable mask)", score(s, r1)))
        tw, _ = correct_phase_elevation(s["ifg_mm"], s["dem"], mask=stable, min_pixels=50, per_date=idx,
                                        window=kw["shape"][0] // 2)
        rw, _ = remove_ramps(tw, kind=kind, mask=stable, min_pixels=50, per_date=idx)
        rows.append((f"phase-elevation in windows of {kw['shape'][0] // 2} px + {kind} ramps", score(s, rw)))
        r0, _ = remove_ramps(s["ifg_mm"], kind=kind, mask=stable, min_pixels=50, per_date=idx)
        t0, _ = correct_phase_elevation(r0, s["dem"], mask=stable, min_pixels=50, per_date=idx)
        rows.append((f"{kind} ramps first, then phase-elevation", score(s, t0)))
        print(f"{label}\n  floor (turbulence only left): {floor:.2f} mm/yr")
        for name, val in rows:
            print(f"  {name:60s} {val:7.2f} mm/yr")


if __name__ == "__main__":
    main()
