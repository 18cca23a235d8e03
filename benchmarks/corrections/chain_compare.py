"""Corrected SBAS against MintPy's matching smallbaselineApp steps and plain SBAS, on the synthetic stacks of
chain_stacks.py (known truth): final velocity RMS error (mm/yr, referenced to the stable area, pixels of mean
coherence >= 0.3 where every compared result has a value).

    /usr/bin/python3 benchmarks/corrections/chain_compare.py [--work DIR] [--stacks S1_redundant,...]

For each stack and for both set-ups - with the stable area (ramps fitted on it by both, our phase-elevation on
it too, reference inside it) and with the defaults (no stable area: MintPy's maskTempCoh.h5, automatic
reference) - it runs MintPy (``.build/venv-bench``, chain_mintpy.py), our chain (chain_ours.py: "chain" = the
model, with its filtered final velocity, "unfiltered" = the same before the velocity filter) and plain SBAS,
prints a table and writes ``benchmarks/results/corrections/chain_vs_mintpy.json``. Besides the RMS over every
scored pixel it gives the RMS over the deforming pixels only (truth |rate| > 10 mm/yr) and their peak rate (99th
percentile of |velocity - stable-area mean| there) against the truth's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# numba caches kernels next to their source under the importing module's name: a cache written while the core
# is imported as "algorithms" cannot be loaded by the plugin ("insar_geohazards.algorithms"), so these drivers
# keep their own
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "geohazard_bench_numba"))
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, ROOT]

import chain_ours  # noqa: E402
import chain_stacks  # noqa: E402
import world_compare  # noqa: E402

VENV = os.path.join(ROOT, ".build", "venv-bench", "bin", "python")


def mintpy_velocity(stack_dir, work, stable, quadratic):
    cmd = [VENV, os.path.join(HERE, "chain_mintpy.py"), stack_dir, work] + (["--stable"] if stable else []) \
        + (["--quadratic"] if quadratic else [])
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    import h5py

    with h5py.File(info["velocity"], "r") as f:
        v = f["velocity"][:].astype(np.float64) * 1000.0
    v[v == 0] = np.nan  # MintPy: 0 where nothing was inverted
    return v, info


def deforming_scores(v, stack, common, big):
    """RMS error (mm/yr) over the deforming pixels ``big`` and their peak rate (99th percentile of |v - stable
    mean|), with the truth's peak."""
    sel = common & big & (stack["mean_coherence"] >= 0.3)
    if not sel.any():
        return None, None
    st = stack["stable"] & np.isfinite(v)
    truth = stack["truth_rate_mm_yr"]
    vr = v - np.nanmean(v[st])
    tr = truth - truth[stack["stable"]].mean()
    return (round(float(np.sqrt(np.mean((vr[sel] - tr[sel]) ** 2))), 3),
            round(float(np.percentile(np.abs(vr[sel]), 99)), 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/geohazard_chain")
    ap.add_argument("--stacks", default=",".join(chain_stacks.ALL_SPECS))
    ap.add_argument("--variants", default="chain,unfiltered")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "corrections",
                                                  "chain_vs_mintpy.json"))
    args = ap.parse_args()
    results = []
    variants = [v for v in args.variants.split(",") if v]
    for name in args.stacks.split(","):
        sdir = os.path.join(args.work, "stacks", name)
        stack = chain_stacks.make_stack(name)
        if not os.path.exists(os.path.join(sdir, "truth.npz")):
            chain_stacks.write_stack(stack, sdir)
        d = chain_ours.load(sdir)
        quadratic = chain_stacks.ALL_SPECS[name]["quadratic"]
        pl = chain_ours.plain(d)
        # what perfect corrections would leave (turbulence, decorrelation noise): the stack without its
        # stratified delay, ramps, DEM-error term and planted cycles, through the same plain SBAS
        true = world_compare.true_parts(stack)
        parts = true["strat"] + true["ramp"] + true["dem"]
        clean = d["ifg_mm"] - np.stack([parts[j] - parts[i] for i, j in stack["pairs"]]) \
            - stack["cycles"] * chain_stacks.CYCLE_MM
        floor = chain_ours.plain({**d, "ifg_mm": clean})["velocity"]
        for setup in ("stable", "defaults"):
            stable = setup == "stable"
            vel = {"plain": pl["velocity"]}
            extra = {}
            for v in variants:
                out = chain_ours.VARIANTS[v](d, stable)
                vel[v] = out["velocity"]
                extra[v] = {k: x for k, x in out.items() if not isinstance(x, np.ndarray)}
            vel["mintpy"], extra["mintpy"] = mintpy_velocity(sdir, os.path.join(args.work, "mintpy", name, setup),
                                                             stable, quadratic)
            common = np.logical_and.reduce([np.isfinite(x) for x in vel.values()])
            scores = {k: chain_stacks.score(x, stack, common=common) for k, x in vel.items()}
            scores["floor"] = chain_stacks.score(floor, stack, common=common & np.isfinite(floor))
            own = {k: chain_stacks.score(x, stack) for k, x in vel.items()}
            big = np.abs(stack["truth_rate_mm_yr"]) > 10.0
            deform = {k: deforming_scores(x, stack, common, big) for k, x in vel.items()}
            truth = stack["truth_rate_mm_yr"] - stack["truth_rate_mm_yr"][stack["stable"]].mean()
            sel = common & big & (stack["mean_coherence"] >= 0.3)
            truth_peak = round(float(np.percentile(np.abs(truth[sel]), 99)), 2) if sel.any() else None
            row = {"stack": name, "setup": setup, "about": chain_stacks.ALL_SPECS[name]["about"],
                   "rms_mm_yr": {k: round(s["rms"], 3) for k, s in scores.items()},
                   "pixels": scores["plain"]["pixels"],
                   "coverage": {k: round(s["coverage"], 3) for k, s in own.items()},
                   "rms_own_pixels": {k: round(s["rms"], 3) for k, s in own.items()},
                   "deforming_pixels": int(sel.sum()), "rms_deforming_mm_yr": {k: x[0] for k, x in deform.items()},
                   "peak_mm_yr": {**{k: x[1] for k, x in deform.items()}, "truth": truth_peak}, "details": extra}
            row["ratio_to_mintpy"] = {k: round(scores[k]["rms"] / scores["mintpy"]["rms"], 3)
                                      for k in vel if k != "mintpy"}
            results.append(row)
            print(f"{name:18s} {setup:8s} " + "  ".join(f"{k} {s['rms']:6.2f}" for k, s in scores.items())
                  + f"   ratio chain/MintPy {row['ratio_to_mintpy'].get(variants[0], float('nan')):.2f}"
                  + f"   ({row['pixels']} px)", flush=True)
            if truth_peak is not None:
                print(f"{'':27s}deforming ({row['deforming_pixels']} px) rms "
                      + "  ".join(f"{k} {x[0]:.2f}" for k, x in deform.items() if x[0] is not None)
                      + f"   peak truth {truth_peak:.1f} " + "  ".join(
                          f"{k} {x[1]:.1f}" for k, x in deform.items() if x[1] is not None), flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
