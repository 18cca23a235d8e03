"""The real SPD inverse of |G| (30 x 30, padded rows of 32) in three stages, each with and without blocks.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/spd_inverse_variants.py [ROUNDS]

Stages of ``phase_linking._real_spd_inverse_t``: ``chol`` (the Cholesky factor), ``solve`` (the triangular
inverse, row ``j`` of ``U`` from ``L x = e_j``), ``prod`` (``U U^T``). ``helper``: as the kernel runs them (a call
of a row helper, four rows at once, per update); ``block``: the same updates written out for four rows by four
elements, all loads before the stores, inlined at numba's IR level (as EMI's complex factor's eight-element block).
Every element gets the same operations in the same order. Prints microseconds per stage (best of ROUNDS x 5,000,
interleaved), whether the outputs equal the helper's bit for bit, and the CPU seconds of each stage's first call
(compilation included). ~1 min idle, most of it compiling.
"""

import os
import sys
import time

import numpy as np
from numba import njit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                ".build", "plugins"))
from insar_geohazards.algorithms.timeseries.phase_linking import (  # noqa: E402
    _I1,
    _I2,
    _I3,
    _row_div,
    _row_sub_mul,
    _row_sub_mul4,
    _u,
    _vec_add_mul,
    _vec_add_mul4,
    _vec_sub_mul,
    _vec_sub_mul4,
)


@njit(error_model="numpy", inline="always")
def _row_sub_mul4x4(p, j, k, k1, k2, k3, y0, y1, y2, y3, i):
    a0, a1, a2, a3 = p[j, i], p[j, i + _I1], p[j, i + _I2], p[j, i + _I3]
    b0, b1, b2, b3 = p[k, i], p[k, i + _I1], p[k, i + _I2], p[k, i + _I3]
    c0, c1, c2, c3 = p[k1, i], p[k1, i + _I1], p[k1, i + _I2], p[k1, i + _I3]
    d0, d1, d2, d3 = p[k2, i], p[k2, i + _I1], p[k2, i + _I2], p[k2, i + _I3]
    e0, e1, e2, e3 = p[k3, i], p[k3, i + _I1], p[k3, i + _I2], p[k3, i + _I3]
    p[j, i] = (((a0 - b0 * y0) - c0 * y1) - d0 * y2) - e0 * y3
    p[j, i + _I1] = (((a1 - b1 * y0) - c1 * y1) - d1 * y2) - e1 * y3
    p[j, i + _I2] = (((a2 - b2 * y0) - c2 * y1) - d2 * y2) - e2 * y3
    p[j, i + _I3] = (((a3 - b3 * y0) - c3 * y1) - d3 * y2) - e3 * y3

@njit(error_model="numpy", inline="always")
def _vec_sub_mul4x4(t, p, k, k1, k2, k3, x0, x1, x2, x3, i):
    a0, a1, a2, a3 = t[i], t[i + _I1], t[i + _I2], t[i + _I3]
    b0, b1, b2, b3 = p[k, i], p[k, i + _I1], p[k, i + _I2], p[k, i + _I3]
    c0, c1, c2, c3 = p[k1, i], p[k1, i + _I1], p[k1, i + _I2], p[k1, i + _I3]
    d0, d1, d2, d3 = p[k2, i], p[k2, i + _I1], p[k2, i + _I2], p[k2, i + _I3]
    e0, e1, e2, e3 = p[k3, i], p[k3, i + _I1], p[k3, i + _I2], p[k3, i + _I3]
    t[i] = (((a0 - b0 * x0) - c0 * x1) - d0 * x2) - e0 * x3
    t[i + _I1] = (((a1 - b1 * x0) - c1 * x1) - d1 * x2) - e1 * x3
    t[i + _I2] = (((a2 - b2 * x0) - c2 * x1) - d2 * x2) - e2 * x3
    t[i + _I3] = (((a3 - b3 * x0) - c3 * x1) - d3 * x2) - e3 * x3

@njit(error_model="numpy", inline="always")
def _vec_add_mul4x4(t, p, k, k1, k2, k3, x0, x1, x2, x3, i):
    a0, a1, a2, a3 = t[i], t[i + _I1], t[i + _I2], t[i + _I3]
    b0, b1, b2, b3 = p[k, i], p[k, i + _I1], p[k, i + _I2], p[k, i + _I3]
    c0, c1, c2, c3 = p[k1, i], p[k1, i + _I1], p[k1, i + _I2], p[k1, i + _I3]
    d0, d1, d2, d3 = p[k2, i], p[k2, i + _I1], p[k2, i + _I2], p[k2, i + _I3]
    e0, e1, e2, e3 = p[k3, i], p[k3, i + _I1], p[k3, i + _I2], p[k3, i + _I3]
    t[i] = (((a0 + x0 * b0) + x1 * c0) + x2 * d0) + x3 * e0
    t[i + _I1] = (((a1 + x0 * b1) + x1 * c1) + x2 * d1) + x3 * e1
    t[i + _I2] = (((a2 + x0 * b2) + x1 * c2) + x2 * d2) + x3 * e2
    t[i + _I3] = (((a3 + x0 * b3) + x1 * c3) + x2 * d3) + x3 * e3

@njit(error_model="numpy")
def chol_helper(p, n, npad):
    for j in range(n):
        k = 0
        while k + 4 <= j:
            _row_sub_mul4(p, j, k, p[k, j], p[k + 1, j], p[k + 2, j], p[k + 3, j], npad)
            k += 4
        while k < j:
            _row_sub_mul(p, j, k, p[k, j], npad)
            k += 1
        s = p[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        _row_div(p, j, d, npad)
        p[j, j] = d
    return True


@njit(error_model="numpy")
def chol_block(p, n, npad):
    for j in range(n):
        ju = _u(j)
        k = 0
        while k + 4 <= j:
            y0, y1, y2, y3 = p[k, j], p[k + 1, j], p[k + 2, j], p[k + 3, j]
            ku = _u(k)
            for i in range(_u(0), _u(npad), _u(4)):
                _row_sub_mul4x4(p, ju, ku, ku + _I1, ku + _I2, ku + _I3, y0, y1, y2, y3, i)
            k += 4
        while k < j:
            _row_sub_mul(p, j, k, p[k, j], npad)
            k += 1
        s = p[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        _row_div(p, j, d, npad)
        p[j, j] = d
    return True


@njit(error_model="numpy")
def solve_helper(p, u, t, n, npad):
    for j in range(n):
        for i in range(npad):
            t[i] = 0.0
            u[j, i] = 0.0
        t[j] = 1.0
        k = j
        while k + 4 <= n:
            x0 = t[k] / p[k, k]
            t[k + 1] -= p[k, k + 1] * x0
            x1 = t[k + 1] / p[k + 1, k + 1]
            t[k + 2] -= p[k, k + 2] * x0
            t[k + 2] -= p[k + 1, k + 2] * x1
            x2 = t[k + 2] / p[k + 2, k + 2]
            t[k + 3] -= p[k, k + 3] * x0
            t[k + 3] -= p[k + 1, k + 3] * x1
            t[k + 3] -= p[k + 2, k + 3] * x2
            x3 = t[k + 3] / p[k + 3, k + 3]
            u[j, k] = x0
            u[j, k + 1] = x1
            u[j, k + 2] = x2
            u[j, k + 3] = x3
            _vec_sub_mul4(t, p, k, x0, x1, x2, x3, npad)
            k += 4
        while k < n:
            x = t[k] / p[k, k]
            u[j, k] = x
            _vec_sub_mul(t, p, k, x, npad)
            k += 1


@njit(error_model="numpy")
def solve_block(p, u, t, n, npad):
    for j in range(n):
        for i in range(npad):
            t[i] = 0.0
            u[j, i] = 0.0
        t[j] = 1.0
        k = j
        while k + 4 <= n:
            x0 = t[k] / p[k, k]
            t[k + 1] -= p[k, k + 1] * x0
            x1 = t[k + 1] / p[k + 1, k + 1]
            t[k + 2] -= p[k, k + 2] * x0
            t[k + 2] -= p[k + 1, k + 2] * x1
            x2 = t[k + 2] / p[k + 2, k + 2]
            t[k + 3] -= p[k, k + 3] * x0
            t[k + 3] -= p[k + 1, k + 3] * x1
            t[k + 3] -= p[k + 2, k + 3] * x2
            x3 = t[k + 3] / p[k + 3, k + 3]
            u[j, k] = x0
            u[j, k + 1] = x1
            u[j, k + 2] = x2
            u[j, k + 3] = x3
            ku = _u(k)
            for i in range(_u(0), _u(npad), _u(4)):
                _vec_sub_mul4x4(t, p, ku, ku + _I1, ku + _I2, ku + _I3, x0, x1, x2, x3, i)
            k += 4
        while k < n:
            x = t[k] / p[k, k]
            u[j, k] = x
            _vec_sub_mul(t, p, k, x, npad)
            k += 1


@njit(error_model="numpy")
def prod_helper(u, ut, inv, t, n, npad):
    for k in range(n):
        for j in range(n):
            ut[k, j] = u[j, k]
    for i in range(n):
        for j in range(npad):
            t[j] = 0.0
        k = i
        while k + 4 <= n:
            _vec_add_mul4(t, ut, k, u[i, k], u[i, k + 1], u[i, k + 2], u[i, k + 3], npad)
            k += 4
        while k < n:
            _vec_add_mul(t, ut, k, u[i, k], npad)
            k += 1
        for j in range(i, n):
            inv[i, j] = t[j]
            inv[j, i] = t[j]


@njit(error_model="numpy")
def prod_block(u, ut, inv, t, n, npad):
    for k in range(n):
        for j in range(n):
            ut[k, j] = u[j, k]
    for i in range(n):
        for j in range(npad):
            t[j] = 0.0
        k = i
        while k + 4 <= n:
            x0, x1, x2, x3 = u[i, k], u[i, k + 1], u[i, k + 2], u[i, k + 3]
            ku = _u(k)
            for jj in range(_u(0), _u(npad), _u(4)):
                _vec_add_mul4x4(t, ut, ku, ku + _I1, ku + _I2, ku + _I3, x0, x1, x2, x3, jj)
            k += 4
        while k < n:
            _vec_add_mul(t, ut, k, u[i, k], npad)
            k += 1
        for j in range(i, n):
            inv[i, j] = t[j]
            inv[j, i] = t[j]


@njit(error_model="numpy")
def rep_chol(f, a, p, n, npad, reps):
    ok = True
    for _ in range(reps):
        p[:, :] = a
        ok = f(p, n, npad)
    return ok


@njit(error_model="numpy")
def rep_solve(f, p, u, t, n, npad, reps):
    for _ in range(reps):
        f(p, u, t, n, npad)


@njit(error_model="numpy")
def rep_prod(f, u, ut, inv, t, n, npad, reps):
    for _ in range(reps):
        f(u, ut, inv, t, n, npad)


def main(rounds=10):
    n, npad, reps = 30, 32, 5000
    rng = np.random.default_rng(1)
    a = rng.normal(size=(n, 40)) + 1j * rng.normal(size=(n, 40))
    g = a @ a.conj().T
    s = 1 / np.sqrt(np.diag(g).real)
    m = np.abs(g * s[:, None] * s[None, :])  # |G|, SPD for this draw
    pa = np.zeros((n, npad))
    pa[:, :n] = m.T
    out = {}
    for stage in ("chol", "solve", "prod"):
        for v in ("helper", "block"):
            f = globals()[f"{stage}_{v}"]
            c = time.process_time()
            p = np.zeros((n, npad))
            u, ut, inv, t = np.zeros((n, npad)), np.zeros((npad, npad)), np.zeros((n, n)), np.zeros(npad)
            if stage == "chol":
                rep_chol(f, pa, p, n, npad, 1)
            else:
                p[:] = pa
                chol_helper(p, n, npad)
                if stage == "solve":
                    rep_solve(f, p, u, t, n, npad, 1)
                else:
                    solve_helper(p, u, t, n, npad)
                    rep_prod(f, u, ut, inv, t, n, npad, 1)
            out[(stage, v)] = {"compile": time.process_time() - c, "bytes": (p.copy(), u.copy(), inv.copy())}
    for _ in range(rounds):
        for stage in ("chol", "solve", "prod"):
            for v in ("helper", "block"):
                f = globals()[f"{stage}_{v}"]
                p = np.zeros((n, npad))
                u, ut, inv, t = np.zeros((n, npad)), np.zeros((npad, npad)), np.zeros((n, n)), np.zeros(npad)
                p[:] = pa
                chol_helper(p, n, npad)
                solve_helper(p, u, t, n, npad)
                c = time.process_time()
                if stage == "chol":
                    rep_chol(f, pa, p, n, npad, reps)
                elif stage == "solve":
                    rep_solve(f, p, u, t, n, npad, reps)
                else:
                    rep_prod(f, u, ut, inv, t, n, npad, reps)
                dt = (time.process_time() - c) / reps * 1e6
                out[(stage, v)]["us"] = min(out[(stage, v)].get("us", np.inf), dt)
    for stage in ("chol", "solve", "prod"):
        ref = out[(stage, "helper")]["bytes"]
        for v in ("helper", "block"):
            o = out[(stage, v)]
            same = all(np.array_equal(x, y) for x, y in zip(o["bytes"], ref))
            print(f"{stage:6s} {v:7s} same bytes={same!s:5s} {o['us']:6.2f} us  first call {o['compile']:5.2f} CPU-s")
    print("load average", [round(x, 2) for x in os.getloadavg()])


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
