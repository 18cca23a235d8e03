"""Phase-closure unwrapping-error correction on stacks with planted whole-cycle errors: fixed, left, new.

The scenarios and the counts (``fixed``, ``left``, ``new``, ``no_loop``) are described in docs/corrections.md; the
error of a value after correction is exactly ``planted + cycles added``, an integer. The step runs as the Corrected
SBAS model runs it (coherence given, threshold 0.3); the ``holdout`` scenarios were never used to tune it.

    python3 benchmarks/corrections/closure_scenarios.py [--root PLUGINS_DIR] [--json OUT] [--only NAMES]
        [--rules all|no-extension|own-closures]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.dirname(HERE)]  # the tests' generator, common.py

from common import save_json  # noqa: E402
from testutils_corrections import closure_scenario, closure_step_cycles, scenario_counts  # noqa: E402

# every scenario: shape, dates, network, noise, errors; fixed before the step was changed
SCENARIOS = {
    "S01_seq3_gauss": dict(shape=(60, 60), n_dates=15, network=("seq", 3), noise=("gauss", 2.0), seed=1,
                           errors=dict(patches=10, sizes=(4, 14), cycles=(-1, 1))),
    "S02_seq2_gauss": dict(shape=(80, 80), n_dates=20, network=("seq", 2), noise=("gauss", 2.5), seed=2,
                           errors=dict(patches=14, sizes=(5, 16), cycles=(-1, 1, 2))),
    "S03_redundant_corr": dict(shape=(100, 100), n_dates=25, network=("redundant", 5), noise=("correlated", 3.0),
                               seed=3, errors=dict(patches=30, sizes=(6, 20), cycles=(-2, -1, 1, 2), shared=0.4)),
    "S04_sparse_gauss": dict(shape=(80, 100), n_dates=30, network=("sparse", 3, 0.35), noise=("gauss", 2.0), seed=4,
                             errors=dict(patches=25, sizes=(5, 18), cycles=(-1, 1), few_loops=0.5)),
    "S05_seq3_patches": dict(shape=(120, 120), n_dates=29, network=("seq", 3), noise=("patches", 2.0, 0.2), seed=5,
                             errors=dict(patches=30, sizes=(8, 30), cycles=(-2, -1, 1, 2), overlap=0.3)),
    "S06_edges_4pi": dict(shape=(90, 90), n_dates=18, network=("seq", 3), noise=("gauss", 1.5), seed=6,
                          errors=dict(patches=20, sizes=(6, 25), cycles=(-2, 2), edges=0.7)),
    "S07_big_corr": dict(shape=(220, 220), n_dates=29, network=("seq", 3), noise=("correlated", 4.0), seed=7,
                         errors=dict(patches=40, sizes=(10, 50), cycles=(-1, 1, 2), shared=0.3, overlap=0.2)),
    "S08_noisy_gauss": dict(shape=(80, 80), n_dates=20, network=("seq", 3), noise=("gauss", 5.0), seed=8,
                            errors=dict(patches=15, sizes=(6, 20), cycles=(-1, 1))),
    # held out: written with the others, never looked at while the step was changed
    "H01_sparse_patches": dict(shape=(150, 150), n_dates=35, network=("sparse", 3, 0.3), noise=("patches", 2.5, 0.25),
                               seed=11, holdout=True,
                               errors=dict(patches=35, sizes=(8, 40), cycles=(-2, -1, 1, 2), few_loops=0.4,
                                           edges=0.3)),
    "H02_redundant_noisy": dict(shape=(100, 120), n_dates=40, network=("redundant", 4), noise=("gauss", 4.0),
                                seed=12, holdout=True,
                                errors=dict(patches=40, sizes=(5, 25), cycles=(-1, 1, 2), shared=0.5, overlap=0.3)),
    "H03_seq2_corr_edges": dict(shape=(70, 90), n_dates=24, network=("seq", 2), noise=("correlated", 3.5), seed=13,
                                holdout=True, errors=dict(patches=20, sizes=(5, 30), cycles=(-2, -1, 1), edges=0.5)),
    # held out as well, written after the neighbour check: a fast landslide (steep deformation gradients) under
    # strong noise, and many small patches in a correlated noise
    "H04_landslide_noisy": dict(shape=(220, 220), n_dates=29, network=("seq", 3), noise=("gauss", 4.5), seed=14,
                                landslide=(-900.0, 9.0), holdout=True,
                                errors=dict(patches=45, sizes=(4, 40), cycles=(-1, 1, 2), shared=0.3, overlap=0.2)),
    "H05_small_patches": dict(shape=(120, 150), n_dates=26, network=("redundant", 4), noise=("correlated", 5.0),
                              seed=15, holdout=True, errors=dict(patches=80, sizes=(3, 9), cycles=(-1, 1))),
}


def make_scenario(name):
    return closure_scenario(SCENARIOS[name])


def run_step(sc):
    """Cycles (M, rows, cols) the step adds, run as the tool runs it in the model (offsets, regions, coherence
    0.3), the whole stack one block."""
    pairs = [(sc["dates"][i], sc["dates"][j]) for i, j in sc["pairs"]]
    return closure_step_cycles(pairs, sc["clean_mm"], sc["planted"], sc["coherence"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(ROOT, ".build", "plugins"),
                    help="folder holding the insar_geohazards package to measure")
    ap.add_argument("--json", default="")
    ap.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    ap.add_argument("--rules", choices=("all", "no-extension"), default="all",
                    help="no-extension: without carrying corrected patches to their edges")
    a = ap.parse_args(argv)
    sys.path.insert(0, a.root)
    from insar_geohazards.algorithms.corrections import closure as cl

    if a.rules != "all":
        cl.FILL_STEPS = 0
    names = a.only.split(",") if a.only else list(SCENARIOS)
    rows = {}
    print(f"{'scenario':24s} {'ifgs':>4s} {'planted':>8s} {'fixed':>7s} {'left':>6s} {'new':>5s} {'new@clean':>9s} "
          f"{'no loop':>7s} {'s':>5s}")
    for name in names:
        sc = make_scenario(name)
        t0 = time.time()
        c = scenario_counts(sc["planted"], run_step(sc).astype(np.int64), sc["loops"])
        c["seconds"] = round(time.time() - t0, 1)
        rows[name] = c
        tag = " (held out)" if SCENARIOS[name].get("holdout") else ""
        print(f"{name:24s} {len(sc['pairs']):4d} {c['planted']:8d} {c['fixed']:7d} {c['left']:6d} {c['new']:5d} "
              f"{c['new_clean_pixels']:9d} {c['no_loop']:7d} {c['seconds']:5.1f}{tag}", flush=True)
    tot = {k: sum(r[k] for r in rows.values()) for k in ("planted", "fixed", "left", "new", "no_loop")}
    print(f"{'total':24s} {'':4s} {tot['planted']:8d} {tot['fixed']:7d} {tot['left']:6d} {tot['new']:5d}")
    if a.json:
        save_json(a.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
