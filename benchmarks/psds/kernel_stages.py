"""CPU seconds of each stage of the phase-linking kernel (EMI, GLRT, 11 x 11), one thread, with flop counts.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/kernel_stages.py STACK.npz [OUT.json]
(STACK.npz from ``bench_psds.py simulate``, e.g. ``benchmarks/results/psds_whole/stack.npz`` of whole_run.sh;
~1 min idle).

The stages run cumulatively over every pixel of the stack with the kernel's own helpers (``level`` 1 .. 6: SHP
tests and window covariance in float64; unpacking and the sample coherence; ``|G|`` and its inverse; the first
shifted Cholesky factor(s) of ``|G|^-1 o G``; the whole EMI eigenvector; temporal coherence and output phases):
each stage's time is its level's minus the level below (best of BENCH_REPEAT). The last level gives the same
phases as ``phase_link`` (checked: ``same_phase_as_phase_link``). The packed products ``s s^H`` are made once per
pixel and column tile in a ring of window rows, as in the kernel. Also counted, replaying ``_emi_vector_t``'s
steps: pixels whose shift 0.99 fails, complex Cholesky factors per pixel (the failed ones included: they stop at
their first non-positive pivot), inverse-iteration solves per pixel, pixels not converged after the first 3
solves (then re-shifted).
"""

import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# BENCH_PLUGINS: a folder holding an ``insar_geohazards`` package (another checkout, for a before / after pair)
PLUGINS = os.environ.get("BENCH_PLUGINS", os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins"))
sys.path.insert(0, PLUGINS)

from numba import njit  # noqa: E402

from insar_geohazards.algorithms.timeseries import phase_linking as pl  # noqa: E402
from insar_geohazards.algorithms.timeseries.shp import shp_inputs, shp_threshold  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 3))


@njit(error_model="numpy")
def _count_emi(mr, mi, tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, counts):
    """Factors and solves of one pixel's EMI vector (the logic of ``_emi_vector_t``)."""
    shift = 0.99
    counts[0] += 1
    if not pl._emi_factor_t(mr, mi, tr, ti, n, npad, shift):
        counts[1] += 1
        counts[0] += 1
        shift = 0.0
        if not pl._emi_factor_t(mr, mi, tr, ti, n, npad, shift):
            return False
    pl._lower_rows(tr, ti, lr, li, n)
    pl._normalise_t(vr, vi, n, npad)
    for _ in range(3):
        counts[2] += 1
        pl._chol_solve_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
        pl._normalise_t(wr, wi, n, npad)
        if pl._step_converged(vr, vi, wr, wi, n, npad, 1e-10):
            return True
    counts[3] += 1
    rho = pl._emi_rayleigh_t(mr, mi, vr, vi, yr, yi, n, npad)
    gap = 1e-4 * abs(rho) + 1e-6
    for _ in range(5):
        sigma = rho - gap
        if sigma <= shift:
            break
        counts[0] += 1
        if pl._emi_factor_t(mr, mi, tr, ti, n, npad, sigma):
            pl._lower_rows(tr, ti, lr, li, n)
            _count_solves(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, counts)
            return True
        gap *= 10.0
    counts[6] += 1
    counts[0] += 1
    pl._emi_factor_t(mr, mi, tr, ti, n, npad, shift)
    pl._lower_rows(tr, ti, lr, li, n)
    _count_solves(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, counts)
    return True


@njit(error_model="numpy")
def _count_solves(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, counts):
    pl._normalise_t(vr, vi, n, npad)
    for _ in range(100):
        counts[2] += 1
        pl._chol_solve_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
        if pl._normalise_t(wr, wi, n, npad) == 0.0:
            return
        if pl._step_converged(vr, vi, wr, wi, n, npad, 1e-10):
            return


@njit(error_model="numpy")
def _run(slc_t, usable, ps, mean_int, log_mean, threshold, hr, hc, beta, tile, level, out_phase, counts):
    rows, cols, n = slc_t.shape
    nf = float(n)
    npad = 16 if n <= 16 else (n + 31) // 32 * 32
    wr_ = 2 * hr + 1
    wc = 2 * hc + 1
    npk = n * (n + 1) // 2
    mpk = (npk + 31) // 32 * 32
    o_r = np.zeros((wr_, tile + wc - 1, mpk))  # the kernel's ring (row rr in slot rr % wr_)
    o_i = np.zeros((wr_, tile + wc - 1, mpk))
    acc_r = np.zeros(mpk)
    acc_i = np.zeros(mpk)
    cov = np.empty((n, n), np.complex128)
    gr = np.zeros((n, npad))
    gi = np.zeros((n, npad))
    gtr = np.zeros((n, npad))
    gti = np.zeros((n, npad))
    mats = np.zeros((8, n, npad))
    w8 = np.zeros((8, npad))
    chk = 0.0
    for t0 in range(0, cols, tile):  # the kernel's column tiles of its ring, one chunk of rows
        base = t0 - hc
        for r in range(rows):
            filled = max(0, base) - 1
            dr0 = -hr if r == 0 else hr
            for c in range(t0, min(cols, t0 + tile)):
                while filled < min(cols - 1, c + hc):
                    filled += 1
                    for dr in range(dr0, hr + 1):
                        rr = r + dr
                        if 0 <= rr < rows and usable[rr, filled]:
                            pl._outer_packed(o_r, o_i, rr % wr_, filled - base, slc_t[rr, filled], w8[0], w8[1], n)
                if not usable[r, c] or ps[r, c]:
                    continue
                k = 0
                for t in range(mpk):
                    acc_r[t] = 0.0
                    acc_i[t] = 0.0
                mp = mean_int[r, c]
                lp = log_mean[r, c]
                for dr in range(-hr, hr + 1):
                    rr = r + dr
                    if rr < 0 or rr >= rows:
                        continue
                    for dc in range(-hc, hc + 1):
                        cc = c + dc
                        if cc < 0 or cc >= cols or not usable[rr, cc]:
                            continue
                        if not (dr == 0 and dc == 0):
                            mq = mean_int[rr, cc]
                            if mp <= 0.0 or mq <= 0.0:
                                continue
                            if not nf * (2.0 * math.log(0.5 * (mp + mq)) - lp - log_mean[rr, cc]) <= threshold:
                                continue
                        pl._add_packed(acc_r, acc_i, o_r, o_i, rr % wr_, cc - base, mpk)
                        k += 1
                counts[5] += k
                if level == 1:
                    chk += acc_r[1]
                    continue
                pl._unpack_hermitian(acc_r, acc_i, cov, n)
                if not pl._load_coherence(cov, gr, gi, gtr, gti, w8[2], n):
                    continue
                if level == 2:
                    chk += gr[0, 1]
                    continue
                vr, vi = w8[0], w8[1]
                wr, wi, yr, yi, t1, t2 = w8[2], w8[3], w8[4], w8[5], w8[6], w8[7]
                pl._start_vector(gr, gi, vr, vi, n, npad)
                inv, p, u, ut, tr, ti, lr, li = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5], mats[6], mats[7]
                for kk in range(n):
                    pl._row_abs8(p, gtr, gti, kk, 1.0 - beta, kk // 8 * 8, npad)
                    p[kk, kk] = 1.0
                ok = pl._real_spd_inverse_t(p, u, ut, inv, t1, n, npad)
                if level == 3:
                    chk += inv[0, 1]
                    continue
                if ok:  # M = |G|^-1 o G into p, u (as the kernel)
                    pl._emi_matrix_t(gtr, gti, inv, p, u, n, npad)
                if level == 4:
                    if ok and not pl._emi_factor_t(p, u, tr, ti, n, npad, 0.99):
                        pl._emi_factor_t(p, u, tr, ti, n, npad, 0.0)
                    chk += tr[1, 1]
                    continue
                if level == 9:
                    if ok:
                        _count_emi(p, u, tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, counts)
                    continue
                if ok:
                    ok = pl._emi_vector_t(p, u, tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
                if not ok:
                    counts[4] += 1
                    pl._start_vector(gr, gi, vr, vi, n, npad)
                    for kk in range(n):
                        pl._row_times_abs(tr, ti, gtr, gti, kk, npad)
                    pl._power_iteration_t(tr, ti, vr, vi, wr, wi, n, npad, 100, 1e-10)
                if level == 5:
                    chk += vr[1]
                    continue
                chk += pl._temporal_coherence(gr, gi, vr, vi, t1, t2, yr, n, npad)
                ref = complex(w8[0, 0], -w8[1, 0])
                for i in range(n):
                    out_phase[i, r, c] = np.angle(complex(w8[0, i], w8[1, i]) * ref)
    return chk


def main(stack, out_json=None):
    d = np.load(stack)
    slc, psm = d["slc"], d["ps_mask"]
    n = slc.shape[0]
    slc_t = np.ascontiguousarray(np.moveaxis(slc, 0, -1).astype(np.complex64))
    usable = np.all(np.isfinite(slc_t), axis=2) & np.any(slc_t != 0, axis=2)
    ps = np.asarray(psm, bool) & usable
    _, mean_int = shp_inputs(slc_t, "glrt")
    log_mean = pl._log_mean(mean_int)
    thr = float(shp_threshold("glrt", 0.05, n))
    out = np.full((n,) + usable.shape, np.nan, np.float32)
    counts = np.zeros(8, np.int64)
    tile = pl._chunks_and_tile(usable.shape[0], usable.shape[1], n, 11, 11)[1]
    args = (slc_t, usable, ps, mean_int, log_mean, thr, 5, 5, 0.01, tile)
    _run(*args, 6, out, counts)  # compile
    names = ["SHP tests + window covariance (float64)", "unpack + sample coherence G",
             "|G| regularised + real SPD inverse", "first shifted Cholesky factor(s) of |G|^-1 o G",
             "rest of the EMI eigenvector (iterations, re-shifts)", "temporal coherence + output phases"]
    times = []
    for level in range(1, 7):
        best = None
        for _ in range(REPEAT):
            c0 = time.process_time()
            _run(*args, level, out, np.zeros(8, np.int64))
            t = time.process_time() - c0
            best = t if best is None else min(best, t)
        times.append(best)
    counts = np.zeros(8, np.int64)
    _run(*args, 9, out, counts)
    ref = pl.phase_link(slc, window=(11, 11), method="emi", shp_method="glrt", alpha=0.05, ps_mask=psm, beta=0.01)
    keep = usable & ~ps
    same = bool(np.array_equal(out[:, keep], ref.phase[:, keep], equal_nan=True))
    npx = int(keep.sum())
    stages = {}
    prev = 0.0
    for name, t in zip(names, times):
        stages[name] = round(t - prev, 3)
        prev = t
    res = {"pixels_linked": npx, "stage_cpu_s": stages, "total_cpu_s": round(times[-1], 3),
           "mean_neighbours": counts[5] / max(npx, 1),
           "shift_0.99_failed_fraction": counts[1] / max(npx, 1),
           "complex_cholesky_factors_per_px": counts[0] / max(npx, 1),
           "solves_per_px": counts[2] / max(npx, 1),
           "fell_back_to_first_shift_fraction": counts[6] / max(npx, 1),
           "not_converged_in_3_fraction": counts[3] / max(npx, 1),
           "same_phase_as_phase_link": same, "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(res, indent=1))
    if out_json:
        with open(out_json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
