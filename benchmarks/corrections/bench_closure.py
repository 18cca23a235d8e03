"""Unwrapping-error correction by phase closure vs MintPy 1.6.4 on the same synthetic stacks (planted cycles).

Usage (MintPy's Python, which also imports this plugin's pure core):
  .build/venv-bench/bin/python bench_closure.py WORK_DIR OUT_JSON

Compares MintPy's per-pixel count of non-closing triplets with ours (pixel for pixel) and its per-pixel solver
(``l1regls`` then rounding) with ours (planted cycles fixed, new errors made), then the velocity RMS against the
truth before and after our correction. docs/corrections.md reads the figures.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from common import save_json
from testutils_corrections import CYCLE_MM, S1_WAVELENGTH_M, planted_stack

from insar_geohazards.algorithms.corrections.closure import correct_closure_block, network_triplets
from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

CASES = [
    dict(name="3 neighbours, 30 % hit", n_dates=16, neighbours=3, shape=(60, 80), noise_mm=1.0, share=0.3, seed=0),
    dict(name="4 neighbours, 30 % hit, noisier", n_dates=20, neighbours=4, shape=(50, 60), noise_mm=1.5, share=0.3,
         seed=1),
    dict(name="5 neighbours, 15 % hit", n_dates=24, neighbours=5, shape=(40, 50), noise_mm=1.0, share=0.15, seed=2),
    dict(name="2 neighbours (sparse), 30 % hit", n_dates=16, neighbours=2, shape=(60, 80), noise_mm=0.5, share=0.3,
         seed=3),
]


def velocity_rms(net, ifg_mm, truth_ts):
    """SBAS velocity (least squares on the full network) minus the truth, RMS (mm/yr)."""
    a = net.design_matrix()
    m, rows, cols = ifg_mm.shape
    ts = np.linalg.lstsq(a, ifg_mm.reshape(m, -1), rcond=None)[0]
    ts = np.vstack([np.zeros((1, ts.shape[1])), ts])
    g = np.stack([np.ones(net.n_dates), net.years], axis=1)
    v = np.linalg.lstsq(g, ts, rcond=None)[0][1]
    vt = np.linalg.lstsq(g, truth_ts.reshape(net.n_dates, -1), rcond=None)[0][1]
    return float(np.sqrt(np.mean((v - vt) ** 2)))


def counts(u, planted):
    """(planted, fixed, new) for integer corrections u of planted errors (same shape)."""
    left = planted + u
    hit = planted != 0
    return int(hit.sum()), int((hit & (left == 0)).sum()), int((~hit & (left != 0)).sum())


def run_case(case, work, samples, rng):
    from cvxopt import matrix
    from mintpy.unwrap_error_phase_closure import calc_num_triplet_with_nonzero_integer_ambiguity
    from mintpy.utils import utils as ut
    from mintpy.utils.solvers import l1regls

    kw = {k: v for k, v in case.items() if k != "name"}
    net, clean, planted, truth = planted_stack(**kw)
    bad = clean + planted * CYCLE_MM
    m, rows, cols = bad.shape
    phase = -bad * 4 * np.pi / (S1_WAVELENGTH_M * 1000)  # MintPy: phase grows with range
    folder = os.path.join(work, case["name"].replace(" ", "_").replace(",", "").replace("%", "pc"))
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    h5 = os.path.join(folder, "inputs", "ifgramStack.h5")
    write_ifgram_stack(h5, phase, net.pairs, wavelength_m=S1_WAVELENGTH_M, ref_yx=(0, 0))
    tri = network_triplets(net.pairs)
    res = {"case": case["name"], "n_ifgs": m, "n_dates": net.n_dates, "n_triplets": tri.n,
           "pixels": rows * cols, "planted_values": int((planted != 0).sum())}
    # 1. overview count: MintPy vs ours (same reference pixel)
    t0 = time.perf_counter()
    out_file = calc_num_triplet_with_nonzero_integer_ambiguity(h5, out_file=os.path.join(folder, "numTri.h5"),
                                                              update_mode=False)
    res["mintpy_overview_s"] = time.perf_counter() - t0
    import h5py

    with h5py.File(out_file) as f:
        n_mp = f[list(f.keys())[0]][:]
    t0 = time.perf_counter()
    ours = correct_closure_block(bad, tri, cycle_mm=CYCLE_MM, reference_mm=bad[:, 0, 0])
    res["ours_correct_s"] = time.perf_counter() - t0
    n_ours = ours["n_nonclosing"].astype(np.float64)
    ok = np.isfinite(n_mp)  # MintPy masks pixels where every triplet is non-zero
    res["overview_equal_share"] = float(np.mean(n_ours[ok] == n_mp[ok]))
    res["overview_max_abs_diff"] = float(np.max(np.abs(n_ours[ok] - n_mp[ok])))
    # 2. per-pixel solvers on the pixels with non-closing loops
    c = tri.matrix
    x = (bad - bad[:, :1, :1]).reshape(m, -1) / CYCLE_MM * 2 * np.pi
    clo = c @ x
    kint = np.round((clo - ut.wrap(clo)) / (2 * np.pi))
    px = np.flatnonzero((kint != 0).any(axis=0))
    if samples and px.size > samples:
        px = np.sort(rng.choice(px, samples, replace=False))
    u_mp = np.zeros((m, px.size))
    t0 = time.perf_counter()
    cm = matrix(-c.astype(float))
    for j, p in enumerate(px):
        u_mp[:, j] = np.round(np.array(l1regls(A=cm, y=matrix(kint[:, p]), alpha=1e-2, show_progress=0))).ravel()
    res["mintpy_l1regls_s_per_pixel"] = (time.perf_counter() - t0) / max(px.size, 1)
    pl = planted.reshape(m, -1)[:, px]
    u_ours = ours["cycles"].reshape(m, -1)[:, px]
    res["solver_pixels"] = int(px.size)
    for name, u in (("mintpy_l1regls", u_mp), ("ours", u_ours)):
        n, fixed, new = counts(u, pl)
        res[name] = {"planted": n, "fixed": fixed, "share_fixed": fixed / max(n, 1), "new_errors": new}
    res["same_solution_share"] = float(np.mean((u_mp == u_ours).all(axis=0)))
    n, fixed, new = counts(ours["cycles"], planted)
    res["ours_whole_stack"] = {"planted": n, "fixed": fixed, "share_fixed": fixed / max(n, 1), "new_errors": new,
                               "ambiguous_pixels": int(ours["n_ambiguous"])}
    res["velocity_rms_mm_yr"] = {"clean": velocity_rms(net, clean, truth), "with_errors": velocity_rms(net, bad, truth),
                                 "corrected": velocity_rms(net, ours["corrected_mm"], truth)}
    return res


def main():
    work, out_json = (os.path.abspath(a) for a in sys.argv[1:3])
    samples = 1500
    rng = np.random.default_rng(0)
    os.makedirs(work, exist_ok=True)
    import mintpy

    out = {"mintpy": mintpy.__version__, "load_before": os.getloadavg(), "cases": []}
    for case in CASES:
        r = run_case(case, work, samples, rng)
        print(json.dumps(r, indent=1))
        out["cases"].append(r)
    out["load_after"] = os.getloadavg()
    save_json(out_json, out)


if __name__ == "__main__":
    main()
