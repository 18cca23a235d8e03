"""Recall/precision of ADA detection defaults on tests/testutils_ada_generators.py's generators (core
``detect_ada``, no QGIS), at their default size times ``--scale``, seeds 0-3; one JSON line per case.

Usage (make bench FAMILY=ada CASE=generators): bench_generators.py [--scale S] [--seeds 0,1,2,3] [NAME ...]
"""

import argparse
import inspect
import json
import time

from testutils_ada_generators import GENERATORS, score

from insar_geohazards.algorithms.ada.detection import detect_ada


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seeds", default="0,1,2,3")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    cases = {"urban_rural": [dict(n=200_000), dict(n=200_000, noise_mm_yr=2.5, ratio=100.0)],
             "bowls": [dict(), dict(noise_mm_yr=2.0, atmo_mm_yr=1.0), dict(atmo_mm_yr=2.0)],
             "landslides": [dict(), dict(noise_mm_yr=3.0)],
             "roads": [dict(), dict(noise_mm_yr=2.0)],
             # written after the detection rules were set (not used to choose them)
             "clustered": [dict(), dict(noise_mm_yr=2.0, ramp_mm_yr=4.0, atmo_mm_yr=1.5)]}
    for name in args.names or list(cases):
        for kw in cases[name]:
            for seed in [int(s) for s in args.seeds.split(",")]:
                kw2 = dict(kw)
                if "n" in kw2 or args.scale != 1.0:
                    n0 = kw2.get("n", inspect.signature(GENERATORS[name]).parameters["n"].default)
                    kw2["n"] = int(n0 * args.scale)
                fld = GENERATORS[name](seed=seed, **kw2)
                t0 = time.perf_counter()
                r = detect_ada(fld.x, fld.y, fld.v)
                dt = time.perf_counter() - t0
                s = score(fld, r.labels, threshold_mm_yr=r.threshold_mm_yr)
                s.pop("missed_detectable")
                print(json.dumps({"generator": name, "seed": seed, **{k: v for k, v in kw2.items()}, **s,
                                  "core_s": round(dt, 2)}, default=float), flush=True)


if __name__ == "__main__":
    main()
