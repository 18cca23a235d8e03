"""Recall/precision of ADA detection defaults on the synthetic generators of generators.py.

Usage: /usr/bin/python3 benchmarks/ada/bench_generators.py [--root PLUGIN_ROOT] [--scale S] [NAME ...]
Runs the core ``detect_ada`` with default parameters (in one process, no QGIS) on each
generator at its default size times ``--scale`` for the seeds 0-3 and the noise levels
listed below, and prints one JSON line per case: precision, recall of the detectable areas
(peak >= 2x threshold, >= 10 points above it), recall of all areas, ADAs, core seconds.
``--root`` points at another checkout of the plugin (e.g. the code before a change).
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seeds", default="0,1,2,3")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    link = os.path.join("/tmp", "ada_bench_plugins_" + str(abs(hash(root))))
    os.makedirs(link, exist_ok=True)
    if not os.path.lexists(os.path.join(link, "insar_geohazards")):
        os.symlink(root, os.path.join(link, "insar_geohazards"))
    sys.path[:0] = [link, HERE]
    from generators import GENERATORS, score

    from insar_geohazards.algorithms.ada.detection import detect_ada

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
                    import inspect

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
