"""The rupture trace (the core of ``geohazard:rupturetrace``) over many random Okada ruptures.

Each seed draws a world of tests/testutils_fault_worlds.rupture_world (a strike-slip rupture of 15-35 km with one to
three segments, dip 70-90 degrees, at the surface or buried to 800 m, 1.5-5 m of slip, seen in along-track offsets of
60-150 m pixels with 0.1-0.3 m of speckle, 0.1 m correlated noise, a decorrelated band along the fault and 5-20 %
of the pixels missing), finds its trace with the tool's defaults (SMOOTHING_M 300 m, MIN_OFFSET_M 0.5 m) and scores
the median distance of the trace's vertices to the true trace and the share of the true trace found (a vertex
within 500 m).

    python3 benchmarks/faults/rupture_trace.py [--seeds 60] [--first 2000] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests")]

from testutils_fault_worlds import rupture_world, trace_score  # noqa: E402

from insar_geohazards.algorithms.faults import rupturetrace as rt  # noqa: E402


def one(seed: int, *, smoothing_m: float, min_offset_m: float) -> dict:
    w = rupture_world(seed)
    px, gt = w["pixel_m"], w["gt"]
    t0 = time.process_time()
    res = rt.rupture_trace(w["offset"], pixel_x_m=px, pixel_y_m=px, min_offset_m=min_offset_m,
                           smoothing_m=smoothing_m)
    cpu = time.process_time() - t0
    pts = [np.column_stack([gt[0] + s.cols * px, gt[3] - s.rows * px]) for s in res.segments]
    median, covered = trace_score(np.vstack(pts) if pts else np.zeros((0, 2)), w["trace"])
    return {"seed": seed, "pixel_m": px, "segments_true": len(w["trace"]) - 1, "top_m": w["top_m"],
            "median_m": median, "covered": covered, "traces": res.n_traces, "cpu_s": round(cpu, 3),
            "pixels": int(w["offset"].size)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--first", type=int, default=2000)
    ap.add_argument("--smoothing", type=float, default=300.0)
    ap.add_argument("--min-offset", type=float, default=0.5)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    rows = []
    for seed in range(a.first, a.first + a.seeds):
        r = one(seed, smoothing_m=a.smoothing, min_offset_m=a.min_offset)
        rows.append(r)
        print(f"seed {seed}: pixel {r['pixel_m']:.0f} m, {r['segments_true']} segment(s), top {r['top_m']:.0f} m: "
              f"median {r['median_m']:.0f} m, {100 * r['covered']:.0f} % found, {r['traces']} trace(s), "
              f"{r['cpu_s']:.2f} CPU-s", flush=True)
    med = np.array([r["median_m"] for r in rows])
    cov = np.array([r["covered"] for r in rows])
    summary = {"seeds": len(rows), "median_of_medians_m": float(np.nanmedian(med)),
               "worst_median_m": float(np.nanmax(med)), "within_200m": float(np.mean(med <= 200.0)),
               "no_trace": int(np.isnan(med).sum()), "mean_share_found": float(cov.mean()),
               "cpu_s_per_mpixel": float(sum(r["cpu_s"] for r in rows) / sum(r["pixels"] for r in rows) * 1e6),
               "load": os.getloadavg()[0]}
    print(json.dumps(summary, indent=1))
    if a.out:
        with open(a.out, "w") as fh:
            json.dump({"summary": summary, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
