"""The time factor of ``geohazard:miningsubsidence`` MODE 2 (extracted at once on END_DATE) and MODE 3 (a face
advancing from START_DATE to END_DATE) fitted with the basin parameters left at the tool's defaults (q 0.8,
tan(beta) 2.0, inflection offset 0, b 0.3), over random worlds whose true basin differs from them.

Each seed draws a world of tests/testutils_mining_worlds.mining_world (1-2 longwall panels 400-1200 x 150-300 m,
150-520 m deep, 1.5-5 m thick; q 0.5-0.95, tan(beta) 1.3-3.5, s up to 8 % of the depth, b 0.2-0.4, c 0.5-5 /yr
log-uniform, in MODE 3 a second side's tan(beta_2) 1.3-3.5 on half the worlds; 30-60 dates every 6 or 12 days;
2-6 mm white noise and a 0-3 mm atmospheric screen per date correlated over 1-4 km; LOS on odd seeds, vertical on
even ones), simulated element by element in numpy, and fits it with the core of the tool (the defaults typed; in
MODE 3 the typed TAN_BETA_2, when the world has one, is the default 2.0 too). Scored: the share of seeds whose true
c lies within 2 standard errors (and 1), the median relative error of c, and the same share for the fit that
holds the typed basin (the former MODE 2), with the standard error it reports (independent noise, the basin
exact).

    python3 benchmarks/hazard/mining_time_coverage.py [--mode 2] [--seeds 100] [--first 0] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests")]

from testutils_mining_worlds import as_panels, mining_world  # noqa: E402

from insar_geohazards.algorithms.hazard import mining_time  # noqa: E402
from insar_geohazards.algorithms.hazard.miningsubsidence import PimParameters  # noqa: E402

#: Sentinel-1 ascending-like ground-to-satellite unit vector (east, north, up)
LOS = (-0.61, -0.13, 0.78)
DEFAULTS = PimParameters(0.8, 2.0, 0.0, 0.3)


def one(seed: int, mode: int) -> dict:
    los = LOS if seed % 2 else None
    advance = mode == 3
    w = mining_world(seed, advance=advance, los=los)
    panels = as_panels(w, advance=advance)
    t = time.process_time()
    if advance:
        tb2 = 2.0 if "tan_beta_2" in w["truth"] else None
        fit = mining_time.fit_advance_factor(w["series"], w["x"], w["y"], w["dates"], panels, DEFAULTS,
                                                tan_beta_2=tb2, los_vector=los)
    else:
        fit = mining_time.fit_time_factor(w["series"], w["x"], w["y"], w["dates"], panels, DEFAULTS, los_vector=los)
    c = w["truth"]["c"]
    return {"seed": seed, "c": c, "c_fit": fit.c_per_year, "c_se": fit.std_error, "c_typed_basin": fit.c_typed_basin,
            "c_typed_basin_se": fit.c_typed_basin_se,
            "rms_mm": fit.rms_mm, "rms_typed_mm": fit.rms_typed_mm, "truth": w["truth"], "noise_mm": w["noise_mm"],
            "atmosphere_mm": w["atmosphere_mm"], "basin": fit.basin, "warnings": fit.warnings,
            "cpu_s": time.process_time() - t}


def summary(rows: list) -> dict:
    err = np.array([r["c_fit"] - r["c"] for r in rows])
    se = np.array([r["c_se"] for r in rows])
    c = np.array([r["c"] for r in rows])
    typed = np.array([r["c_typed_basin"] for r in rows])
    return {"n": len(rows), "within_2_sigma": float(np.mean(np.abs(err) <= 2 * se)),
            "within_1_sigma": float(np.mean(np.abs(err) <= se)),
            "median_relative_error": float(np.median(np.abs(err) / c)),
            "median_relative_error_typed_basin": float(np.median(np.abs(typed - c) / c)),
            "typed_basin_within_5_percent": float(np.mean(np.abs(typed - c) <= 0.05 * c)),
            "typed_basin_within_2_sigma": float(np.mean(np.abs(typed - c) <= 2 * np.array(
                [r["c_typed_basin_se"] for r in rows]))),
            "typed_basin_median_sigma": float(np.median([r["c_typed_basin_se"] for r in rows])),
            "warned_typed_basin": float(np.mean([any("typed basin" in w for w in r["warnings"]) for r in rows])),
            "median_cpu_s": float(np.median([r["cpu_s"] for r in rows]))}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", type=int, default=2, choices=(2, 3))
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    rows = []
    for seed in range(a.first, a.first + a.seeds):
        r = one(seed, a.mode)
        rows.append(r)
        print(f"seed {seed}: c {r['c']:.3f} fit {r['c_fit']:.3f} +- {r['c_se']:.3g} (typed basin "
              f"{r['c_typed_basin']:.3f}) {r['cpu_s']:.1f} CPU-s", flush=True)
    s = summary(rows)
    print(json.dumps(s, indent=1))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"summary": s, "rows": rows}, f, indent=1, default=str)
    return s


if __name__ == "__main__":
    main()
