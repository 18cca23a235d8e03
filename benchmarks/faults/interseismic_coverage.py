"""Slip rate, locking depth and their sigmas (the core of ``geohazard:interseismicslip``) over many random worlds.

Each seed draws a world of tests/testutils_fault_worlds.interseismic_world (east and north velocities, 1 mm/yr of
noise, part of it correlated over 0.5-3 km in one of three kinds, a 0.5 mm/yr ramp across the 240 km scene in a
random direction; slip rate 10-35 mm/yr either sense, locking depth 5-20 km, strike 0-360 degrees), takes the
fault-parallel velocity in the swath (LENGTH_M 100 km, WIDTH_M 50 km) and fits it. Scored against the world's truth:
the share of seeds with the slip rate within 5 % and the locking depth within 15 %, and the share whose truth lies
within k sigmas (k = 1, 1.96, 2) of the estimate, overall and per noise kind.

    python3 benchmarks/faults/interseismic_coverage.py [--seeds 120] [--first 1000] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests")]

from testutils_fault_worlds import interseismic_world, map_grid  # noqa: E402

from insar_geohazards.algorithms.faults import interseismicslip as isl  # noqa: E402

KINDS = ("gaussian", "exponential", "power law")


def one(seed: int, *, length_m: float, width_m: float) -> dict:
    w = interseismic_world(seed)
    _, east, north = map_grid(w["east"].shape[0], w["pixel_m"])
    frame = isl.FaultFrame.from_vertices(w["trace"])
    across, along = frame.coordinates(east.ravel(), north.ravel())
    keep = isl.swath(across, along, length_m=length_m, width_m=width_m)
    v = isl.fault_parallel(w["east"].ravel()[keep], w["north"].ravel()[keep], frame.strike_deg)
    fit = isl.fit_profile(across[keep], along[keep], v, length_m=length_m, width_m=width_m)
    return {"seed": seed, "kind": w["noise_kind"], "slip": w["slip_rate"], "depth_m": w["locking_depth_m"],
            "slip_fit": fit.slip_rate_mm_yr, "slip_sigma": fit.slip_rate_sigma, "depth_fit_m": fit.locking_depth_m,
            "depth_sigma_m": fit.locking_depth_sigma_m, "tiles": fit.n_tiles, "tile_m": fit.tile_m,
            "correlation_m": fit.correlation_m}


def summary(rows: list) -> dict:
    es = np.array([abs(r["slip_fit"] - r["slip"]) for r in rows])
    ed = np.array([abs(r["depth_fit_m"] - r["depth_m"]) for r in rows])
    ss = np.array([r["slip_sigma"] for r in rows])
    sd = np.array([r["depth_sigma_m"] for r in rows])
    rel_s = es / np.abs([r["slip"] for r in rows])
    rel_d = ed / np.array([r["depth_m"] for r in rows])
    kinds = np.array([r["kind"] for r in rows])
    out = {"seeds": len(rows), "slip_within_5pct": float(np.mean(rel_s <= 0.05)),
           "depth_within_15pct": float(np.mean(rel_d <= 0.15)),
           "slip_error_median_pct": float(100 * np.median(rel_s)),
           "depth_error_median_pct": float(100 * np.median(rel_d))}
    for k in (1.0, 1.96, 2.0):
        out[f"slip_covered_{k:g}sigma"] = float(np.mean(es <= k * ss))
        out[f"depth_covered_{k:g}sigma"] = float(np.mean(ed <= k * sd))
    for i, name in enumerate(KINDS):
        sel = kinds == i
        if sel.any():
            out[f"{name}: seeds, 2-sigma coverage slip / depth"] = [
                int(sel.sum()), float(np.mean(es[sel] <= 2 * ss[sel])), float(np.mean(ed[sel] <= 2 * sd[sel]))]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=120)
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("--length", type=float, default=100e3)
    ap.add_argument("--width", type=float, default=50e3)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    t0 = time.process_time()
    rows = []
    for seed in range(a.first, a.first + a.seeds):
        r = one(seed, length_m=a.length, width_m=a.width)
        rows.append(r)
        print(f"seed {seed}: slip {r['slip']:7.2f} fit {r['slip_fit']:7.2f} +- {r['slip_sigma']:.2f}  depth "
              f"{r['depth_m'] / 1e3:5.2f} fit {r['depth_fit_m'] / 1e3:5.2f} +- {r['depth_sigma_m'] / 1e3:.2f} km  "
              f"({KINDS[r['kind']]}, {r['tiles']} tiles of {r['tile_m'] / 1e3:.0f} km)", flush=True)
    res = {"summary": summary(rows), "cpu_s": round(time.process_time() - t0, 1), "load": os.getloadavg()[0],
           "rows": rows}
    print(json.dumps(res["summary"], indent=1))
    print(f"CPU {res['cpu_s']} s, load {res['load']:.1f}")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
