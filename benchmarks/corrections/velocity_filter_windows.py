"""The final velocity's noise-adaptive filter on the synthetic stacks of chain_stacks.py: which window and form.

    /usr/bin/python3 benchmarks/corrections/velocity_filter_windows.py [--work DIR] [--stacks S1_redundant,...]

For each stack and both set-ups (stable area / defaults) it runs the model's chain once without the filter
(chain_ours.py) and filters its final velocity with 3 x 3 and 5 x 5 windows, plain and inverse-variance
weighted window means; prints the RMS error against the truth (as chain_compare.py, every scored pixel), the
same over the deforming pixels only (truth |rate| > 10 mm/yr) and the median standard error stated before and
after the filter next to the RMS error, and writes ``benchmarks/results/corrections/velocity_filter_windows.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "geohazard_bench_numba"))
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, ROOT]

import chain_ours  # noqa: E402
import chain_stacks  # noqa: E402

from algorithms.corrections.velocity_filter import adaptive_velocity_filter  # noqa: E402

FORMS = [(3, "mean"), (3, "inverse_variance"), (5, "mean"), (5, "inverse_variance")]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/geohazard_chain")
    ap.add_argument("--stacks", default=",".join(chain_stacks.ALL_SPECS))
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "corrections",
                                                  "velocity_filter_windows.json"))
    args = ap.parse_args()
    rows = []
    for name in args.stacks.split(","):
        sdir = os.path.join(args.work, "stacks", name)
        stack = chain_stacks.make_stack(name)
        if not os.path.exists(os.path.join(sdir, "truth.npz")):
            chain_stacks.write_stack(stack, sdir)
        d = chain_ours.load(sdir)
        big = np.abs(stack["truth_rate_mm_yr"]) > 10.0
        for setup in ("stable", "defaults"):
            out = chain_ours.chain(d, setup == "stable", velocity_window_px=0)
            v, s = out["velocity"], out["velocity_std"]
            res = {"none": (v, s)}
            for k, form in FORMS:
                f = adaptive_velocity_filter(v, s, window_px=k, weighting=form)
                res[f"{k}x{k} {form}"] = (f["velocity_mm_yr"], f["velocity_std_mm_yr"])
            row = {"stack": name, "setup": setup, "rms_mm_yr": {}, "rms_deforming_mm_yr": {}, "median_std_mm_yr": {}}
            for key, (x, sx) in res.items():
                row["rms_mm_yr"][key] = round(chain_stacks.score(x, stack)["rms"], 3)
                row["rms_deforming_mm_yr"][key] = round(chain_stacks.score(x, stack, common=big)["rms"], 3) \
                    if big.any() else None
                row["median_std_mm_yr"][key] = round(float(np.nanmedian(sx)), 3)
            rows.append(row)
            print(f"{name:18s} {setup:8s} " + "  ".join(
                f"{k} {row['rms_mm_yr'][k]:.2f} ({row['rms_deforming_mm_yr'][k] or float('nan'):.2f}; "
                f"std {row['median_std_mm_yr'][k]:.2f})" for k in res), flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
