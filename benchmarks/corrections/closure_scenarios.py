"""Phase-closure unwrapping-error correction on stacks with planted whole-cycle errors: fixed, left, new.

Each scenario is a small-baseline stack (LOS mm) built from a deformation bowl, a smooth troposphere per date and
per-interferogram noise of one kind (Gaussian, spatially correlated, or decorrelated patches with low coherence),
with whole-cycle errors planted in patches of chosen interferograms (one interferogram per patch, several patches on
one interferogram, patches overlapping on several interferograms, patches touching the edges, +-1 and +-2 cycles,
on interferograms in many, few or no loops). The noise is part of the "clean" stack: the error of a value after
correction is exactly ``planted + cycles added``, an integer, so nothing is left to rounding.

Counts per scenario (interferogram values):
* ``fixed``: planted error, brought to 0;
* ``left``: planted error, left as it was;
* ``new``: a value changed where nothing was planted, or a planted error changed to another wrong multiple;
* ``no_loop``: planted values on interferograms in no closure loop (nothing can tell them: they stay).

The step's core runs as the tool runs it in the Corrected SBAS model (coherence given, COHERENCE_THRESHOLD 0.3: the
region pass then the per-pixel pass; ``--no-coherence`` runs without coherence). The scenarios marked ``holdout``
were written with the others and never used to tune the step.

    python3 benchmarks/corrections/closure_scenarios.py [--only NAME,...] [--root PLUGINS_DIR] [--json OUT]
    python3 benchmarks/corrections/closure_scenarios.py --write-mintpy NAME DIR   (an ifgramStack.h5 for MintPy)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

WAVELENGTH_M = 0.05546576
CYCLE_MM = WAVELENGTH_M * 1000 / 2

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
}


def _smooth(rng, shape, scale):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal(shape), scale, mode="wrap")
    return f / (f.std() or 1.0)


def _pairs(n, network, rng):
    kind = network[0]
    k = network[1]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 1 + k))]
    if kind == "redundant":  # plus yearly-ish long pairs
        pairs += [(i, i + 10) for i in range(0, n - 10, 3)]
    if kind == "sparse":  # drop a share of the pairs that skip dates, keep the sequential chain
        drop = network[2]
        pairs = [p for p in pairs if p[1] - p[0] == 1 or rng.random() >= drop]
    return sorted(set(pairs))


def _loop_counts(pairs):
    where = {p: k for k, p in enumerate(pairs)}
    deg = np.zeros(len(pairs), int)
    for (i, j), a in where.items():
        for (j2, k), b in where.items():
            if j2 == j and (i, k) in where:
                deg[[a, b, where[(i, k)]]] += 1
    return deg


def make_scenario(name):
    """``dates``, ``pairs`` (index pairs), ``clean_mm`` (M, rows, cols), ``planted`` (M, rows, cols) int16,
    ``coherence`` (M, rows, cols) float32, ``loops`` (M,) loops per interferogram."""
    s = SCENARIOS[name]
    rng = np.random.default_rng(s["seed"])
    h, w = s["shape"]
    n = s["n_dates"]
    dates = [dt.date(2021, 1, 2) + dt.timedelta(days=12 * i) for i in range(n)]
    pairs = _pairs(n, s["network"], rng)
    m = len(pairs)
    years = np.arange(n) * 12 / 365.25
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    bowl = np.exp(-(((xx - 0.4 * w) / (0.15 * w)) ** 2 + ((yy - 0.55 * h) / (0.2 * h)) ** 2))
    ts = -50.0 * years[:, None, None] * bowl[None] + np.stack([6.0 * _smooth(rng, (h, w), 12) for _ in range(n)])
    ts -= ts[0]
    clean = np.stack([ts[j] - ts[i] for i, j in pairs])
    coh = np.full((m, h, w), 0.8, np.float32) + 0.1 * rng.random((m, h, w)).astype(np.float32)
    kind = s["noise"][0]
    sd = s["noise"][1]
    if kind == "gauss":
        clean += rng.normal(0.0, sd, clean.shape)
    elif kind == "correlated":
        clean += np.stack([sd * (0.7 * _smooth(rng, (h, w), 3) + 0.3 * rng.standard_normal((h, w)))
                           for _ in range(m)])
    else:  # decorrelated patches: a share of the scene, per interferogram, with low coherence and strong noise
        clean += rng.normal(0.0, sd, clean.shape)
        share = s["noise"][2]
        for k in range(m):
            bad = _smooth(np.random.default_rng(s["seed"] * 1000 + k), (h, w), 6)
            bad = bad > np.quantile(bad, 1 - share)
            clean[k][bad] += rng.normal(0.0, 4 * CYCLE_MM / 6, int(bad.sum()))  # near-uniform phase
            coh[k][bad] = 0.1 + 0.1 * rng.random(int(bad.sum()))
    loops = _loop_counts(pairs)
    planted = np.zeros((m, h, w), np.int16)
    e = s["errors"]
    few = np.flatnonzero(loops <= 1)
    for _ in range(e["patches"]):
        if few.size and rng.random() < e.get("few_loops", 0.0):
            k = int(rng.choice(few))
        else:
            k = int(rng.integers(m))
        ph, pw = rng.integers(e["sizes"][0], e["sizes"][1], size=2)
        if rng.random() < e.get("edges", 0.0):
            r0 = 0 if rng.random() < 0.5 else h - ph
            c0 = int(rng.integers(0, w - pw))
        else:
            r0, c0 = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
        n_cyc = int(rng.choice(e["cycles"]))
        targets = [k]
        if rng.random() < e.get("shared", 0.0):  # a second patch on the same interferogram, elsewhere
            r1, c1 = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
            planted[k, r1:r1 + ph, c1:c1 + pw] = int(rng.choice(e["cycles"]))
        if rng.random() < e.get("overlap", 0.0):  # the same patch also on another interferogram
            targets.append(int(rng.integers(m)))
        for t in targets:
            planted[t, r0:r0 + ph, c0:c0 + pw] = n_cyc
    return {"dates": dates, "pairs": pairs, "clean_mm": clean, "planted": planted, "coherence": coh,
            "loops": loops}


def count(planted, cycles, loops):
    """fixed, left, new (changed where nothing was planted, or a planted error moved to another wrong multiple),
    no_loop (planted values on interferograms in no loop)."""
    err = planted.astype(np.int64) + cycles
    was = planted != 0
    return {"planted": int(was.sum()), "fixed": int((was & (err == 0)).sum()),
            "left": int((was & (cycles == 0)).sum()),
            "new": int(((~was) & (cycles != 0)).sum() + (was & (cycles != 0) & (err != 0)).sum()),
            "new_clean_pixels": int(((~was) & (cycles != 0)).sum()),
            "no_loop": int((was & (loops[:, None, None] == 0)).sum())}


def run_step(sc, *, coherence=True, block_rows=None):
    """Cycles (M, rows, cols) the step adds, run as the tool runs it (offsets, regions, blocks)."""
    from insar_geohazards.algorithms.corrections import closure as cl

    if os.environ.get("CLOSURE_MARGIN") and hasattr(cl, "FORCED_MARGIN"):
        cl.FORCED_MARGIN = float(os.environ["CLOSURE_MARGIN"])
    pairs = [(sc["dates"][i], sc["dates"][j]) for i, j in sc["pairs"]]
    tri = cl.network_triplets(pairs)
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    off = cl.closure_offsets(x, tri, cycle_mm=CYCLE_MM)
    coh = sc["coherence"] if coherence else None
    min_coh = 0.3 if coherence else 0.0
    labels = region = None
    if coherence:
        labels, region = cl.region_cycles_of_stack(x, coh, tri, cycle_mm=CYCLE_MM, min_coherence=min_coh,
                                                   closure_offset=off)
    rows = x.shape[1]
    step = block_rows or rows
    out = np.zeros(x.shape, np.int16)
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        inputs = {"stack": x[:, r0:r1].copy()}
        if coherence:
            inputs["coherence"] = coh[:, r0:r1]
            inputs["labels"] = labels[r0:r1]
        res = cl.closure_block(None, inputs, triplets=tri, cycle_mm=CYCLE_MM, closure_offset=off,
                               min_coherence=min_coh, region_cycles=region)
        out[:, r0:r1] = np.rint((res["corrected_mm"] - x[:, r0:r1]) / CYCLE_MM).astype(np.int16)
    return out


def write_mintpy(name, folder):
    """The scenario as a MintPy ifgramStack.h5 (radians, MintPy's sign) with its coherence, for
    ``unwrap_error_phase_closure.py``; the truth beside it as npz."""
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    sc = make_scenario(name)
    os.makedirs(folder, exist_ok=True)
    x = sc["clean_mm"] + sc["planted"] * CYCLE_MM
    rad = -x * 4 * np.pi / (WAVELENGTH_M * 1000)
    pairs = [(sc["dates"][i], sc["dates"][j]) for i, j in sc["pairs"]]
    path = os.path.join(folder, "ifgramStack.h5")
    write_ifgram_stack(path, rad.astype(np.float32), pairs, coherence=sc["coherence"], wavelength_m=WAVELENGTH_M)
    np.savez_compressed(os.path.join(folder, "truth.npz"), planted=sc["planted"], loops=sc["loops"],
                        rad=rad.astype(np.float32))
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    ap.add_argument("--root", default=os.path.join(ROOT, ".build", "plugins"),
                    help="folder holding the insar_geohazards package to measure")
    ap.add_argument("--no-coherence", action="store_true")
    ap.add_argument("--json", default="")
    ap.add_argument("--write-mintpy", nargs=2, metavar=("NAME", "DIR"))
    a = ap.parse_args(argv)
    sys.path.insert(0, a.root)
    if a.write_mintpy:
        print(write_mintpy(*a.write_mintpy))
        return 0
    names = [n for n in a.only.split(",") if n] or list(SCENARIOS)
    rows = {}
    print(f"{'scenario':24s} {'ifgs':>4s} {'planted':>8s} {'fixed':>7s} {'left':>6s} {'new':>5s} {'new@clean':>9s} "
          f"{'no loop':>7s} {'s':>5s}")
    for name in names:
        sc = make_scenario(name)
        t0 = time.time()
        c = count(sc["planted"], run_step(sc, coherence=not a.no_coherence).astype(np.int64), sc["loops"])
        c["seconds"] = round(time.time() - t0, 1)
        rows[name] = c
        tag = " (held out)" if SCENARIOS[name].get("holdout") else ""
        print(f"{name:24s} {len(sc['pairs']):4d} {c['planted']:8d} {c['fixed']:7d} {c['left']:6d} {c['new']:5d} "
              f"{c['new_clean_pixels']:9d} {c['no_loop']:7d} {c['seconds']:5.1f}{tag}", flush=True)
    tot = {k: sum(r[k] for r in rows.values()) for k in ("planted", "fixed", "left", "new", "no_loop")}
    print(f"{'total':24s} {'':4s} {tot['planted']:8d} {tot['fixed']:7d} {tot['left']:6d} {tot['new']:5d}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
