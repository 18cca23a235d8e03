"""Goldstein filtering side by side with dolphin's ``goldstein`` on the same simulated interferograms.

Each: fringes (a bowl and a ramp) with the decorrelation noise of one coherence, from two correlated single-look
SLCs, unit magnitude. Score: RMS of the wrapped difference from the noise-free phase, and the filter call's CPU
seconds (one thread). Steps, each in its own Python (cases.py runs them):

    python3 goldstein_compare.py simulate DIR [SIZE]         # writes DIR/cases.npz
    PEER_PYTHON goldstein_compare.py dolphin DIR ALPHA       # dolphin.goldstein.goldstein(psize=32)
    python3 goldstein_compare.py ours DIR ALPHA [STEP [SMOOTH]]   # algorithms.interferograms.interferogramfilter
                                                                  # (SMOOTH_PX: the default when left out)
    python3 goldstein_compare.py table DIR ALPHA [STEP [SMOOTH]]  # the scores side by side
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

COHERENCES = (0.3, 0.5, 0.7, 0.9)
SEEDS = (0, 1, 2)
PATCH = 32
REPEAT = 3


def simulate(folder: str, size: int = 1024) -> None:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    r2 = ((y - 0.45 * size) ** 2 + (x - 0.55 * size) ** 2) / (0.18 * size) ** 2
    truth = -40.0 * np.exp(-r2) + 0.35 * x + 0.1 * y  # rad: a bowl (steepest ~1 rad/px) on a ramp
    out = {"truth": truth}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for g in COHERENCES:
            a = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
            b = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
            s2 = g * a * np.exp(-1j * truth) + np.sqrt(1 - g * g) * b
            out[f"coh{g}_s{seed}"] = np.exp(1j * np.angle(a * np.conj(s2))).astype(np.complex64)
    os.makedirs(folder, exist_ok=True)
    np.savez(os.path.join(folder, "cases.npz"), **out)


def _timed(fn, z):
    best = None
    for _ in range(REPEAT):
        t0 = time.process_time()
        res = fn(z)
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    return res, best


def _run(folder: str, tag: str, fn) -> None:
    cases = np.load(os.path.join(folder, "cases.npz"))
    results = {}
    for key in [k for k in cases.files if k.startswith("coh")]:
        res, cpu = _timed(fn, cases[key])
        results[key] = np.asarray(res, np.complex64)
        results["cpu" + key[3:]] = np.array(cpu)
    np.savez(os.path.join(folder, f"{tag}.npz"), **results)


def error(filtered, truth) -> float:
    return float(np.sqrt(np.mean(np.angle(filtered * np.exp(-1j * truth)) ** 2)))


def main(argv):
    mode, folder = argv[1], argv[2]
    if mode == "simulate":
        simulate(folder, int(argv[3]) if len(argv) > 3 else 1024)
        return
    alpha = float(argv[3])
    step = int(argv[4]) if len(argv) > 4 else PATCH // 2
    smooth = argv[5] if len(argv) > 5 else "default"
    if mode == "dolphin":
        from dolphin.goldstein import goldstein

        _run(folder, f"dolphin_{alpha}", lambda z: goldstein(z, alpha, psize=PATCH))
    elif mode == "ours":
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        sys.path.insert(0, os.path.join(root, ".build", "plugins"))
        from insar_geohazards.algorithms.interferograms import interferogramfilter as filtering

        kw = {} if smooth == "default" else {"smooth": int(smooth)}
        _run(folder, f"ours_{alpha}_{step}_{smooth}", lambda z: filtering.filter_array(
            z, method="goldstein", alpha=alpha, patch=PATCH, step=step, **kw)[0])
    elif mode == "table":
        cases = np.load(os.path.join(folder, "cases.npz"))
        d = np.load(os.path.join(folder, f"dolphin_{alpha}.npz"))
        o = np.load(os.path.join(folder, f"ours_{alpha}_{step}_{smooth}.npz"))
        truth = cases["truth"]
        print(f"alpha {alpha}, patch {PATCH}; ours step {step}, SMOOTH_PX {smooth}, dolphin step {PATCH // 2}; "
              f"{truth.shape[0]} x {truth.shape[1]} px; mean of seeds {SEEDS} (min-max); CPU best of {REPEAT}, "
              "mean over the seeds")
        print("coherence  unfiltered  dolphin_rad             ours_rad                dolphin_cpu_s  ours_cpu_s")

        def col(src, g):
            e = [error(src[f"coh{g}_s{s}"], truth) for s in SEEDS]
            return f"{np.mean(e):.4f} ({min(e):.4f}-{max(e):.4f})"

        for g in COHERENCES:
            cpu = [np.mean([float(x[f"cpu{g}_s{s}"]) for s in SEEDS]) for x in (d, o)]
            print(f"{g:9.1f}  {np.mean([error(cases[f'coh{g}_s{s}'], truth) for s in SEEDS]):10.4f}  "
                  f"{col(d, g)}  {col(o, g)}  {cpu[0]:13.3f}  {cpu[1]:10.3f}")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
