"""Corrected SBAS against MintPy's matching smallbaselineApp steps, step by step, on chain_world.py's scenarios (and
chain_stacks.py's stacks), with each stack's oracle floor. docs/corrections.md, "How it is scored" and "Per step",
says what both sides run and how each figure is counted.

    make bench FAMILY=corrections CASE=world   (world_compare.py [--work DIR] [--stacks W01_flat_city,...|tuning|
        holdout|old|all] [--same-ramp-order] [--out JSON])
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess

import chain_ours
import chain_stacks
import chain_world
import numpy as np
from common import ROOT, save_json

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".build", "venv-bench", "bin", "python")
STEPS = ("closure", "troposphere", "ramps", "dem_error")
#: The true parts each step's ideal still holds (the steps so far have not removed them).
LEFT = {"closure": ("strat", "ramp", "dem"), "troposphere": ("ramp", "dem"), "ramps": ("dem",), "dem_error": ()}
MINTPY_SETUPS = {"stable": ["--stable"], "ref": ["--stable", "--stable-reference-only"]}


def stack_names(spec: str) -> list:
    groups = {"tuning": list(chain_world.SCENARIOS), "holdout": list(chain_world.HOLDOUT),
              "old": list(chain_stacks.ALL_SPECS)}
    groups["all"] = groups["tuning"] + groups["holdout"]
    out = []
    for part in spec.split(","):
        out += groups.get(part, [part] if part else [])
    return out


def make(name: str) -> dict:
    if name in chain_world.ALL:
        return chain_world.make_stack(name)
    s = chain_stacks.make_stack(name)
    s["mintpy_ramp"] = "quadratic" if chain_stacks.ALL_SPECS[name]["quadratic"] else "linear"
    return s


def true_parts(stack: dict) -> dict:
    """The per-date true parts (N, rows, cols), mm, first date 0."""
    dem = stack["bperp_m"][:, None, None] * (stack["dz_m"] / (stack["slant_range_m"] * np.sin(
        np.radians(stack["incidence_deg"]))))[None] * 1000.0
    out = {"strat": stack["strat_mm"], "ramp": stack["ramp_mm"], "dem": dem, "defo": stack["defo_mm"]}
    return {k: v - v[:1] for k, v in out.items()}


def mintpy_run(sdir, work, setup, ramp):
    """MintPy's series after each step and its velocity (mm, mm/yr; NaN where nothing was inverted)."""
    cmd = [VENV, os.path.join(HERE, "chain_mintpy.py"), sdir, work] + MINTPY_SETUPS[setup] \
        + (["--quadratic"] if ramp == "quadratic" else [])
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    import h5py

    out = {}
    with h5py.File(info["velocity"], "r") as f:
        v = f["velocity"][:].astype(np.float64) * 1000.0
    dead = v == 0
    for step, path in info["series"].items():
        with h5py.File(path, "r") as f:
            ts = f["timeseries"][:].astype(np.float64) * 1000.0
        dead |= np.all(ts[1:] == 0, axis=0)
        out[step] = ts
    v[dead] = np.nan
    out["velocity"] = v
    for step in info["series"]:
        out[step][:, dead] = np.nan
    return out, info


def our_run(d, variant_kw):
    """Our chain with its per-step series (mm) and velocities."""
    out = chain_ours.chain(d, **variant_kw)
    net, coh, ref = out["network"], out["stage_coherence"], out["reference_px"]
    series = {}
    for step in ("closure", "troposphere"):
        res = chain_ours._reference_and_sbas(out["stage_ifg"][step], net, coh, None, d["wavelength_m"],
                                             reference=ref, weighting="variance", coherence=coh)
        series[step] = res.timeseries_mm
    series["ramps"] = out["sbas_timeseries"]
    series["dem_error"] = out["timeseries"].reshape(series["ramps"].shape)
    return series, out, ref


def oracle(d, stack, ref):
    """The floor: the stack without its tropospheric delay, ramps, DEM-error term and cycles, through our weighted
    SBAS (full network, the chain's reference pixel): series (mm) and velocity (mm/yr)."""
    from algorithms.timeseries.sbas import linear_velocity  # as chain_ours imports the plugin: from ROOT

    p = true_parts(stack)
    parts = p["strat"] + p["ramp"] + p["dem"]
    clean = d["ifg_mm"] - np.stack([parts[j] - parts[i] for i, j in stack["pairs"]]) \
        - stack["cycles"] * chain_stacks.CYCLE_MM
    res = chain_ours._reference_and_sbas(clean, d["net"], d["coherence"], None, d["wavelength_m"], reference=ref,
                                         weighting="variance", coherence=d["coherence"])
    ts = res.timeseries_mm
    v = linear_velocity(ts.reshape(ts.shape[0], -1), d["net"].years)[0].reshape(ts.shape[1:])
    return ts, v


def referenced(ts, stable):
    """Each date less its mean over the stable area's finite pixels."""
    out = np.array(ts, np.float64, copy=True)
    for k in range(out.shape[0]):
        sel = stable & np.isfinite(out[k])
        out[k] -= np.mean(out[k][sel]) if sel.any() else 0.0
    return out


def series_rms(ts, ideal, stable, sel):
    e = referenced(ts, stable) - referenced(ideal, stable)
    return float(np.sqrt(np.mean(e[:, sel] ** 2)))


def deforming_mask(stack):
    truth = np.abs(stack["truth_rate_mm_yr"] - stack["truth_rate_mm_yr"][stack["stable"]].mean())
    peak = float(truth.max())
    if peak < 2.0:
        return None
    return truth > min(10.0, 0.5 * peak)


def run_stack(name, args):
    sdir = os.path.join(args.work, "stacks", name)
    stack = make(name)
    if not os.path.exists(os.path.join(sdir, "truth.npz")):
        chain_stacks.write_stack(stack, sdir)
    d = chain_ours.load(sdir)
    # with --same-ramp-order: the ramp order MintPy is given (a user who knows the data), not the model's linear
    ours, out, ref = our_run(d, {"ramp_kind": stack["mintpy_ramp"]} if args.same_ramp_order else {})
    floor_ts, floor_v = oracle(d, stack, ref)
    mint = {}
    for setup in MINTPY_SETUPS:
        mint[setup], _ = mintpy_run(sdir, os.path.join(args.work, "mintpy", name, setup), setup,
                                    stack["mintpy_ramp"])
    plain = chain_ours.plain(d)["velocity"]
    p = true_parts(stack)
    stable = stack["stable"]
    vel = {"ours": out["velocity_unfiltered"], "ours_filtered": out["velocity"], "plain": plain, "floor": floor_v,
           **{f"mintpy_{k}": m["velocity"] for k, m in mint.items()}}
    # common pixels: a value on every side (velocities and every step's series), mean coherence >= 0.3
    common = np.logical_and.reduce([np.isfinite(x) for x in vel.values()])
    for ts in list(ours.values()) + [floor_ts] + [m[s] for m in mint.values() for s in STEPS]:
        common &= np.all(np.isfinite(ts), axis=0)
    sel = common & (stack["mean_coherence"] >= 0.3)
    steps = {}
    for step in STEPS:
        ideal = p["defo"] + sum((p[k] for k in LEFT[step]), np.zeros_like(p["defo"]))
        steps[step] = {"ours": series_rms(ours[step], ideal, stable, sel),
                       **{f"mintpy_{k}": series_rms(m[step], ideal, stable, sel) for k, m in mint.items()}}
    steps["floor"] = series_rms(floor_ts, p["defo"], stable, sel)
    scores = {k: chain_stacks.score(v, stack, common=common)["rms"] for k, v in vel.items()}
    cover = {k: chain_stacks.score(v, stack)["coverage"] for k, v in vel.items()}
    big = deforming_mask(stack)
    deform = None
    if big is not None and (big & sel).sum() > 20:
        deform = {k: chain_stacks.score(v, stack, common=common & big)["rms"] for k, v in vel.items()}
        deform["pixels"] = int((big & sel).sum())
    best_mintpy = min(scores["mintpy_stable"], scores["mintpy_ref"])
    row = {"stack": name, "held_out": name in chain_world.HOLDOUT, "about": stack["about"],
           "pixels": int(sel.sum()), "velocity_rms": {k: round(v, 3) for k, v in scores.items()},
           "coverage": {k: round(v, 3) for k, v in cover.items()},
           "series_rms": {s: ({k: round(v, 3) for k, v in x.items()} if isinstance(x, dict) else round(x, 3))
                          for s, x in steps.items()},
           "deforming_rms": None if deform is None else {k: round(v, 3) for k, v in deform.items()},
           "ratio_stable": round(scores["ours"] / scores["mintpy_stable"], 3),
           "ratio_best": round(scores["ours"] / best_mintpy, 3),
           "mintpy_ramp": stack["mintpy_ramp"],
           "details": {k: v for k, v in out.items() if isinstance(v, (int, float, str, list)) or v is None}}
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/geohazard_world")
    ap.add_argument("--stacks", default="tuning")
    ap.add_argument("--same-ramp-order", action="store_true",
                    help="our ramps of the order MintPy is given (quadratic where the stack has quadratic ramps)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "corrections",
                                                  "world_vs_mintpy.json"))
    args = ap.parse_args()
    rows = []
    for name in stack_names(args.stacks):
        r = run_stack(name, args)
        rows.append(r)
        v = r["velocity_rms"]
        print(f"{name:24s} ours {v['ours']:6.2f} (filtered {v['ours_filtered']:5.2f})  MintPy stable "
              f"{v['mintpy_stable']:6.2f} ref {v['mintpy_ref']:6.2f}  ratio {r['ratio_best']:.2f}  plain "
              f"{v['plain']:6.2f}  floor {v['floor']:5.2f}  [{r['pixels']} px]", flush=True)
        s = r["series_rms"]
        print(" " * 24 + "  ".join(f"{k} {s[k]['ours']:.2f}/{s[k]['mintpy_stable']:.2f}/{s[k]['mintpy_ref']:.2f}"
                                   for k in STEPS) + f"  floor {s['floor']:.2f}", flush=True)
    save_json(args.out, {"rows": rows}, default=str)


if __name__ == "__main__":
    main()
