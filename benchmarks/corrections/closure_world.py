"""Phase-closure correction on stacks of the second generator (tests/testutils_closure_world.py): ours and MintPy's
phase_closure side by side, fixed / left / new per stack.

    python3 benchmarks/corrections/closure_world.py [--root PLUGINS_DIR] [--seeds 1,2,3] [--mintpy VENV_PYTHON]
        [--mintpy-step] [--json OUT]

Seeds 1-3 were looked at while the step was changed; seeds 11-14 are held out. With ``--mintpy`` each stack is saved
to a .npz and MintPy 1.6.4's per-pixel solve of its phase_closure step runs on it in that interpreter, with MintPy's
own functions (``ifgramStack.get_design_matrix4triplet``, ``ut.wrap``, ``solvers.l1regls`` with alpha 0.01, rounding,
as ``unwrap_error_phase_closure.get_common_region_int_ambiguity`` solves a sample pixel) on every pixel whose
interferograms are all at least 0.3 coherent, referenced to one coherent pixel. MintPy's step then applies the
median of 100 such pixels to each connected component of the unwrapper; without components from an unwrapper that
region step is left out: the per-pixel solve is what the closures tell MintPy at each pixel. With ``--mintpy-step``
MintPy's own ``correct_unwrap_error`` step runs instead (closure_tester.py's driver), on connected components made
from the coherence as an unwrapper's (chain_mintpy.py), and both sides are counted relative to a reference pixel
(the most coherent one free of planted errors).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.dirname(HERE)]

from common import save_json  # noqa: E402
from testutils_closure_world import CYCLE_MM, loop_counts, world_stack  # noqa: E402
from testutils_corrections import closure_step_cycles, scenario_counts  # noqa: E402

STACKS = {
    1: dict(shape=(120, 120), n_dates=30),
    2: dict(shape=(160, 140), n_dates=36, singles=600, tears=3),
    3: dict(shape=(100, 130), n_dates=30, max_days=30, decorrelated=0.25),
    # held out: never run while the step was changed
    11: dict(shape=(200, 200), n_dates=40, singles=900, patches=40, tears=3),
    12: dict(shape=(150, 150), n_dates=32, max_days=50, noise_mm=3.0, decorrelated=0.3),
    13: dict(shape=(220, 220), n_dates=29, singles=1200, patches=50, tears=3, edge_patches=12),
    14: dict(shape=(130, 170), n_dates=45, max_days=26, long_pairs=10, dark_patches=15),
}
HOLDOUT = (11, 12, 13, 14)

_MINTPY = r"""
import sys, numpy as np
from cvxopt import matrix
from mintpy.objects import ifgramStack
from mintpy.utils import utils as ut
from mintpy.utils.solvers import l1regls
d = np.load(sys.argv[1])
x = d["x_rad"]; coh = d["coh"]; pairs = d["pairs"]
date12 = [f"{a}_{b}" for a, b in pairs]
C = ifgramStack.get_design_matrix4triplet(date12).astype(float)
m, n = x.shape[0], x.shape[1] * x.shape[2]
unw = x.reshape(m, n)
idx = np.flatnonzero((coh.reshape(m, n) >= 0.3).all(axis=0))
out = np.zeros((m, n), np.int16)
if idx.size:
    clo = np.dot(C, unw[:, idx])
    clo_int = np.round((clo - ut.wrap(clo)) / (2.0 * np.pi))
    keys, inv = np.unique(clo_int, axis=1, return_inverse=True)
    sol = np.zeros((m, keys.shape[1]), np.int16)
    for j in range(keys.shape[1]):
        if np.any(keys[:, j]):
            sol[:, j] = np.round(l1regls(A=matrix(-C), y=matrix(keys[:, j].reshape(-1, 1)), alpha=1e-2,
                                         show_progress=0)).flatten()
    out[:, idx] = sol[:, inv.reshape(-1)]
np.save(sys.argv[2], out)
"""


def run_ours(sc):
    return closure_step_cycles([tuple(p) for p in sc["pairs"]], sc["clean_mm"], sc["planted"], sc["coherence"],
                               cycle_mm=CYCLE_MM)


def run_mintpy(sc, python, all_coherent=True):
    x = (sc["clean_mm"] + sc["planted"] * CYCLE_MM) / CYCLE_MM * 2 * np.pi
    # referenced as MintPy's stack is: to one coherent pixel free of planted errors
    ok = (sc["coherence"] >= 0.3).all(axis=0) & ~(sc["planted"] != 0).any(axis=0)
    r, c = np.argwhere(ok)[0] if ok.any() else (0, 0)
    x = x - x[:, r:r + 1, c:c + 1]
    base = np.datetime64("2021-01-01")
    names = [int(str(base + np.timedelta64(int(d), "D")).replace("-", "")) for d in sc["dates"]]
    pairs = np.array([(names[i], names[j]) for i, j in sc["pairs"]])
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "s.npz")
        np.savez(f, x_rad=x, coh=sc["coherence"], pairs=pairs)
        script = os.path.join(tmp, "m.py")
        with open(script, "w") as fh:
            fh.write(_MINTPY)
        out = os.path.join(tmp, "u.npy")
        t0 = time.process_time()
        subprocess.run([python, script, f, out, "1" if all_coherent else "0"], check=True)
        return np.load(out), time.process_time() - t0


def step_counts(sc, loops, python):
    """Ours and MintPy's own step, both counted relative to the same reference pixel."""
    import datetime as dt

    import closure_tester
    from chain_mintpy import connected_components

    ok = ~(sc["planted"] != 0).any(axis=0)
    mc = np.where(ok, sc["coherence"].mean(axis=0), -1.0)
    r, c = np.unravel_index(int(np.argmax(mc)), mc.shape)
    stable = np.zeros(mc.shape, bool)
    stable[r, c] = True
    base = dt.date(2021, 1, 1)
    st = {**sc, "ifg_mm": sc["clean_mm"] + sc["planted"] * CYCLE_MM, "stable": stable,
          "dates": [base + dt.timedelta(days=int(d)) for d in sc["dates"]],
          "components": connected_components(sc["coherence"]), "dem": sc["height_m"],
          "incidence_deg": np.full(mc.shape, 38.0), "slant_range_m": np.full(mc.shape, 850e3)}
    ours = run_ours(sc).astype(np.int64)
    ours -= ours[:, r:r + 1, c:c + 1]
    u, _ = closure_tester.run_mintpy(st, python)
    return {"ours": scenario_counts(sc["planted"], ours, loops),
            "mintpy": scenario_counts(sc["planted"], u.astype(np.int64), loops)}



def count_line(label: str, pairs: int, row: dict, ours_cpu=None, mintpy_cpu=None) -> str:
    """One printed row: interferograms, planted, ours fixed / left / new (and CPU-s), MintPy's (-1: not run)."""
    o, mp = row["ours"], row.get("mintpy", {})
    cpu_o, cpu_m = ("" if v is None else f" {v:6.1f}" for v in (ours_cpu, mintpy_cpu))
    return (f"{label:15s} {pairs:4d} {o['planted']:8d} | {o['fixed']:10d} {o['left']:6d} {o['new']:5d}{cpu_o} | "
            f"{mp.get('fixed', -1):12d} {mp.get('left', -1):6d} {mp.get('new', -1):5d}{cpu_m}")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(ROOT, ".build", "plugins"))
    ap.add_argument("--seeds", default="")
    ap.add_argument("--mintpy", default="", help="the Python of a venv with MintPy 1.6.4")
    ap.add_argument("--mintpy-step", action="store_true", help="MintPy's own correct_unwrap_error step")
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    sys.path.insert(0, a.root)
    seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else list(STACKS)
    rows = {}
    print(f"{'stack':9s} {'ifgs':>4s} {'planted':>8s} | {'ours fixed':>10s} {'left':>6s} {'new':>5s} | "
          f"{'MintPy fixed':>12s} {'left':>6s} {'new':>5s}")
    for s in seeds:
        sc = world_stack(seed=s, **STACKS[s])
        loops = loop_counts(sc["pairs"])
        if a.mintpy_step:
            row = step_counts(sc, loops, a.mintpy)
        else:
            row = {"ours": scenario_counts(sc["planted"], run_ours(sc).astype(np.int64), loops)}
        if a.mintpy and not a.mintpy_step:
            u, _ = run_mintpy(sc, a.mintpy)
            row["mintpy"] = scenario_counts(sc["planted"], u.reshape(sc["planted"].shape).astype(np.int64), loops)
        rows[f"W{s:02d}"] = row
        print(count_line(f"W{s:02d}" + (" (held out)" if s in HOLDOUT else ""), len(sc["pairs"]), row), flush=True)
    if a.json:
        save_json(a.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
