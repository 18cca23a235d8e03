"""MintPy -w var on the >= 1 Mpx stack (slow: ~20-40 min here), then ours again, and the comparison.

Usage: /usr/bin/python3 bench_mintpy_var_big.py STACK_DIR MINTPY_BIN_DIR
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_sbas import compare, mintpy, ours  # noqa: E402


def main():
    stack_dir, bindir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with open(os.path.join(stack_dir, "stack.json")) as fh:
        meta = json.load(fh)
    truth = np.load(os.path.join(stack_dir, "truth_velocity.npy")).astype(np.float64)
    npx = meta["rows"] * meta["cols"]
    work = os.path.join(stack_dir, "runs")
    res = {}
    wall, rss = mintpy(stack_dir, bindir, weight="var", out=os.path.join(work, "mintpy_var"))
    res["mintpy_var"] = {"wall_s": round(wall, 1), "px_per_s": round(npx / wall), "peak_rss_mb": round(rss)}
    print(json.dumps(res), flush=True)
    wall, rss, _ = ours(stack_dir, meta, weighted=True, out=os.path.join(work, "ours_var_2"), threads=2)
    res["ours_var_2thread_after"] = {"wall_s": round(wall, 1), "px_per_s": round(npx / wall), "peak_rss_mb": round(rss)}
    res["compare_var"] = compare(meta, os.path.join(work, "ours_var_2"), os.path.join(work, "mintpy_var"), truth)
    print(json.dumps(res), flush=True)
    with open(os.path.join(stack_dir, "results_var.json"), "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
