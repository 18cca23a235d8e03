"""The phase-linking kernel's window sum ``C = sum_k s_k s_k^H`` in two forms with the same bits: the shipped one
(each accepted neighbour's packed product added to an accumulator row in memory, ``_add_packed``) and sums kept in
registers, 32 values at a time over every neighbour in window order. One thread, synthetic ring.

    NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/cov_sum.py

The ring has the kernel's shape for 30 dates and an 11 x 11 window (11 rows x 37 columns of 480 padded packed values,
two float64 planes, 3.1 MB); each of 4,000 targets takes about 3/4 of its 121 neighbours (the whole-run stack's mean
is 89.6). Prints microseconds a target (best of 7) and whether both forms give the same bits.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

WR, TILE, M = 11, 27, 480


@njit(error_model="numpy")
def _u(i):
    return np.uint64(i)


@njit(error_model="numpy", inline="never")
def _add_packed(acc_r, acc_i, o_r, o_i, w, q, m):
    for t in range(_u(0), _u(m)):
        acc_r[t] += o_r[w, q, t]
        acc_i[t] += o_i[w, q, t]


@njit(error_model="numpy")
def shipped(o_r, o_i, nw, nq, k, acc_r, acc_i, m):
    for t in range(m):
        acc_r[t] = 0.0
        acc_i[t] = 0.0
    for j in range(k):
        _add_packed(acc_r, acc_i, o_r, o_i, nw[j], nq[j], m)


@njit(error_model="numpy")
def _sum16(o, nw, nq, k, acc, t):
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    s8 = s9 = s10 = s11 = s12 = s13 = s14 = s15 = 0.0
    for j in range(k):
        w = nw[j]
        q = nq[j]
        s0 += o[w, q, t]
        s1 += o[w, q, t + _u(1)]
        s2 += o[w, q, t + _u(2)]
        s3 += o[w, q, t + _u(3)]
        s4 += o[w, q, t + _u(4)]
        s5 += o[w, q, t + _u(5)]
        s6 += o[w, q, t + _u(6)]
        s7 += o[w, q, t + _u(7)]
        s8 += o[w, q, t + _u(8)]
        s9 += o[w, q, t + _u(9)]
        s10 += o[w, q, t + _u(10)]
        s11 += o[w, q, t + _u(11)]
        s12 += o[w, q, t + _u(12)]
        s13 += o[w, q, t + _u(13)]
        s14 += o[w, q, t + _u(14)]
        s15 += o[w, q, t + _u(15)]
    acc[t] = s0
    acc[t + _u(1)] = s1
    acc[t + _u(2)] = s2
    acc[t + _u(3)] = s3
    acc[t + _u(4)] = s4
    acc[t + _u(5)] = s5
    acc[t + _u(6)] = s6
    acc[t + _u(7)] = s7
    acc[t + _u(8)] = s8
    acc[t + _u(9)] = s9
    acc[t + _u(10)] = s10
    acc[t + _u(11)] = s11
    acc[t + _u(12)] = s12
    acc[t + _u(13)] = s13
    acc[t + _u(14)] = s14
    acc[t + _u(15)] = s15


@njit(error_model="numpy")
def in_registers(o_r, o_i, nw, nq, k, acc_r, acc_i, m):
    for tb in range(0, m, 32):
        t = _u(tb)
        _sum16(o_r, nw, nq, k, acc_r, t)
        _sum16(o_r, nw, nq, k, acc_r, t + _u(16))
        _sum16(o_i, nw, nq, k, acc_i, t)
        _sum16(o_i, nw, nq, k, acc_i, t + _u(16))


@njit(error_model="numpy")
def _run(form, o_r, o_i, nws, nqs, ks, acc_r, acc_i, m, out):
    for p in range(nws.shape[0]):
        form(o_r, o_i, nws[p], nqs[p], ks[p], acc_r, acc_i, m)
        out[p] = acc_r[p % m] + acc_i[(3 * p) % m]


def main() -> None:
    rng = np.random.default_rng(0)
    o_r = rng.standard_normal((WR, TILE + 10, M))
    o_i = rng.standard_normal((WR, TILE + 10, M))
    targets = 4000
    nws = np.zeros((targets, 121), np.int64)
    nqs = np.zeros((targets, 121), np.int64)
    ks = np.zeros(targets, np.int64)
    for p in range(targets):
        c = p % TILE
        taken = [(w, c + dc) for w in range(WR) for dc in range(11) if rng.random() < 0.75]
        ks[p] = len(taken)
        for j, (w, q) in enumerate(taken):
            nws[p, j] = w
            nqs[p, j] = q
    acc_r = np.zeros(M)
    acc_i = np.zeros(M)
    results = {}
    for name, form in (("shipped", shipped), ("in registers", in_registers)):
        out = np.zeros(targets)
        _run(form, o_r, o_i, nws, nqs, ks, acc_r, acc_i, M, out)
        best = np.inf
        for _ in range(7):
            t = time.perf_counter()
            _run(form, o_r, o_i, nws, nqs, ks, acc_r, acc_i, M, out)
            best = min(best, time.perf_counter() - t)
        results[name] = out.copy()
        same = np.array_equal(out.view(np.uint64), results["shipped"].view(np.uint64))
        print(f"{name}: {best / targets * 1e6:.2f} us a target ({ks.mean():.1f} neighbours), same bits: {same}")


if __name__ == "__main__":
    main()
