"""Per-pixel CPU time of the phase-linking kernel core (no QGIS), for one numba install against another.

Usage::

    /usr/bin/python3 benchmarks/psds/kernel_core.py simulate STACK.npz          # once (200 x 240 x 30 dates)
    PYTHON benchmarks/psds/kernel_core.py time STACK.npz [PLUGINS] [REPEAT]     # one version, one numba thread
    PYTHON benchmarks/psds/kernel_core.py ab STACK.npz BEFORE_PLUGINS [ROUNDS]  # before / after, alternated

PYTHON is Debian's ``/usr/bin/python3`` (numba 0.56) or ``.build/venv-numba/bin/python`` (pip's current numba and
numpy, made by ``venv_numba.sh``); PLUGINS a folder holding an ``insar_geohazards`` package (another checkout for a
before / after pair; default this one). Prints one JSON line: numba and numpy versions, the best (of REPEAT) CPU
seconds (user + sys, this process) and microseconds per linked pixel of

* ``phase_link``: the whole kernel (SHP tests, window covariance, EMI eight pixels at once, temporal coherence),
  EMI and EVD, GLRT, 11 x 11 windows, the stack's PS mask;
* ``emi_batch``: the batched EMI alone (``_link_emi_batch``: eight pixels' ``G`` to their linked vectors and
  temporal coherences) over the sample coherence matrices of the stack's first 2,000 DS pixels;
* ``emi_pixel``: the per-pixel reference EMI (``_link_pixel_t``) over the same matrices;

and the md5 of ``phase_link``'s outputs (phase, temporal coherence, SHP count) and of the batched EMI's linked
vectors (the same bytes before and after a change, within one numba / numpy install). Run with
``NUMBA_NUM_THREADS=1``; ~1 min idle after the first compile. ``ab`` runs ``time`` in fresh processes, before then
after (this checkout), ROUNDS times, one numba thread, and prints the best of each figure per version. Give each
numba its own ``NUMBA_CACHE_DIR``: both Pythons are 3.11, and a cache written by the other numba is thrown away
(a compile of several minutes each time).
"""

import hashlib
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def simulate(path):
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    from insar_geohazards.algorithms.timeseries.simulate import simulate_slc_stack

    sim = simulate_slc_stack(shape=(200, 240), n_dates=30, seed=42, water_fraction=0.1, atmosphere_std_rad=0.5)
    np.savez(path, slc=sim.slc, ps_mask=sim.ps_mask)


def _coherence_matrices(pl, slc, ps, count):
    """``G`` (and its transpose) of the first ``count`` DS pixels: plain numpy sample coherence of an 11 x 11 box."""
    n = slc.shape[0]
    npad = pl._padded(n)
    out = []
    for r in range(5, slc.shape[1] - 5):
        for c in range(5, slc.shape[2] - 5):
            if ps[r, c] or len(out) == count:
                continue
            s = slc[:, r - 5:r + 6, c - 5:c + 6].reshape(n, -1).astype(np.complex128)
            if not np.all(np.isfinite(s)) or not np.any(s):
                continue
            cov = s @ s.conj().T
            gr, gi, gtr, gti = (np.zeros((n, npad)) for _ in range(4))
            if pl._load_coherence(cov, gr, gi, gtr, gti, np.zeros(n), n):
                out.append((gr, gi, gtr, gti))
    return out


def _loops(pl):
    """Compiled loops over the matrices (no Python between pixels): batches of eight, and pixel by pixel."""
    from numba import njit

    @njit
    def batch_loop(mats, work, w8, pmats, vec, tc, n, npad, min_lanes):
        gb, gl, bmats, vecs, vals, flags, lv, tcoh = work
        for b in range(0, mats.shape[0], 8):
            gb[:] = mats[b:b + 8].transpose(1, 0, 2, 3)
            pl._link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, 8, 0.01, w8, pmats, n, npad, min_lanes)
            for q in range(8):
                vec[b + q, 0] = lv[0, q, :n]
                vec[b + q, 1] = lv[1, q, :n]
                tc[b + q] = tcoh[q]

    @njit
    def pixel_loop(mats, w8, pmats, n, npad):
        for b in range(mats.shape[0]):
            pl._link_pixel_t(mats[b, 0], mats[b, 1], mats[b, 2], mats[b, 3], 0, 0.01, w8, pmats, n, npad)

    return batch_loop, pixel_loop


def _time(fn, repeat):
    best = None
    for _ in range(repeat):
        c = time.process_time()
        res = fn()
        got = time.process_time() - c
        best = got if best is None or got < best else best
    return best, res


def run(stack, plugins, repeat):
    sys.path.insert(0, plugins)
    import numba

    from insar_geohazards.algorithms.timeseries import phase_linking as pl

    d = np.load(stack)
    slc, ps = d["slc"], d["ps_mask"]
    out = {"numba": numba.__version__, "numpy": np.__version__, "threads": numba.get_num_threads()}
    for method in ("emi", "evd"):
        pl.phase_link(slc[:, :24, :24], window=(11, 11), method=method, ps_mask=ps[:24, :24])  # compile / cache
        cpu, res = _time(lambda m=method: pl.phase_link(slc, window=(11, 11), method=m, ps_mask=ps), repeat)
        linked = int(np.count_nonzero(res.shp_count > 1))
        out[f"phase_link_{method}_cpu_s"] = round(cpu, 3)
        out[f"phase_link_{method}_us_per_pixel"] = round(1e6 * cpu / res.shp_count.size, 2)
        out[f"phase_link_{method}_md5"] = hashlib.md5(res.phase.tobytes() + res.temporal_coherence.tobytes()
                                                      + res.shp_count.tobytes()).hexdigest()
        out["linked_pixels"] = linked
    mats = np.array(_coherence_matrices(pl, slc, ps, 2000))  # (pixels, 4, n, npad)
    mats = mats[:len(mats) - len(mats) % 8]
    n = slc.shape[0]
    npad = pl._padded(n)
    batch_loop, pixel_loop = _loops(pl)
    work = pl._emi_batch_work(n, npad)
    w8, pmats = np.zeros((8, npad)), np.zeros((8, n, npad))
    vec = np.zeros((len(mats), 2, n))
    tc = np.zeros(len(mats))

    def batched():
        batch_loop(mats, work, w8, pmats, vec, tc, n, npad, pl.EMI_MIN_LANES)

    def per_pixel():
        pixel_loop(mats, w8, pmats, n, npad)

    batched()
    per_pixel()
    cpu, _ = _time(batched, repeat)
    out["emi_batch_us_per_pixel"] = round(1e6 * cpu / len(mats), 2)
    out["emi_batch_md5"] = hashlib.md5(vec.tobytes() + tc.tobytes()).hexdigest()
    cpu, _ = _time(per_pixel, repeat)
    out["emi_pixel_us_per_pixel"] = round(1e6 * cpu / len(mats), 2)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


def ab(stack, before, rounds):
    import subprocess

    runs = {"before": [], "after": []}
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    for _ in range(rounds):
        for name, plugins in (("before", before), ("after", os.path.join(ROOT, ".build", "plugins"))):
            out = subprocess.run([sys.executable, __file__, "time", stack, plugins, "3"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
    best = {}
    for name, got in runs.items():
        best[name] = {k: (min(r[k] for r in got) if isinstance(got[0][k], float) else got[0][k]) for k in got[0]
                      if k != "load_average"}
        best[name]["md5_same_in_every_round"] = all(r[k] == got[0][k] for r in got for k in got[0] if "md5" in k)
    best["load_average_during"] = [r["load_average"][0] for name in runs for r in runs[name]]
    print(json.dumps(best, indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "simulate":
        simulate(sys.argv[2])
    elif sys.argv[1] == "ab":
        ab(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 3)
    else:
        run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, ".build", "plugins"),
            int(sys.argv[4]) if len(sys.argv) > 4 else 3)
