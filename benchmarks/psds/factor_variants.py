"""EMI's complex Cholesky factor (30 x 30, padded rows of 32) written three ways: time and bytes.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/factor_variants.py [ROUNDS]

* ``helper``: the factor before 2026-11-24 (one call of a row helper per update, the helper's loop vectorised);
* ``right``: the same in right-looking order (each finished column applied at once to every later one): every
  element that matters gets the same operations in the same order (rows past a failing pivot differ: the kernel
  never reads them);
* ``kernel``: ``phase_linking._cholesky_t`` as the kernel runs it: the row update written out for eight elements
  (all loads first, then the stores) and inlined at numba's IR level into the factor's own loops, where LLVM's
  SLP vectoriser packs it into vector operations (a loop nested there stays scalar).

Each variant factors a positive definite matrix and one that is not (failing at a pivot), 5,000 times a round
(matrix copy included), best of ROUNDS rounds interleaved; prints microseconds per factor and whether the
factor (each stored row from its diagonal on; the kernel leaves the unused triangle before the block holding the
diagonal as it was) and the result equal the helper version's bit for bit. ~1 min idle, most of it compiling.
"""

import os
import sys
import time

import numpy as np
from numba import njit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                ".build", "plugins"))
from insar_geohazards.algorithms._numba import HELPER_INLINE  # noqa: E402
from insar_geohazards.algorithms.timeseries.phase_linking import _cholesky_t, _row_cdiv, _u  # noqa: E402


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_sub_cmul(tr, ti, j, k, yr, yi, npad):
    """Row ``j`` minus row ``k`` times ``yr + i yi`` (the row helper of the factor before)."""
    for i in range(_u(0), _u(npad)):
        xr = tr[k, i]
        xi = ti[k, i]
        tr[j, i] -= xr * yr - xi * yi
        ti[j, i] -= xr * yi + xi * yr


@njit(error_model="numpy")
def factor_helper(tr, ti, n, npad):
    for j in range(n):
        for k in range(j):
            _row_sub_cmul(tr, ti, j, k, tr[k, j], -ti[k, j], npad)
        s = tr[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        ratio = 0.0 / d
        _row_cdiv(tr, ti, j, ratio, d + 0.0 * ratio, npad)
        tr[j, j] = d
        ti[j, j] = 0.0
    return True


@njit(error_model="numpy")
def factor_right(tr, ti, n, npad):
    for j in range(n):
        s = tr[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        ratio = 0.0 / d
        _row_cdiv(tr, ti, j, ratio, d + 0.0 * ratio, npad)
        tr[j, j] = d
        ti[j, j] = 0.0
        for r in range(j + 1, n):
            _row_sub_cmul(tr, ti, r, j, tr[j, r], -ti[j, r], npad)
    return True


@njit(error_model="numpy")
def repeat(f, mr, mi, tr, ti, n, npad, reps):
    ok = True
    for _ in range(reps):
        tr[:, :] = mr
        ti[:, :] = mi
        ok = f(tr, ti, n, npad)
    return ok


def main(rounds=10):
    n, npad, reps = 30, 32, 5000
    rng = np.random.default_rng(1)
    a = rng.normal(size=(n, 40)) + 1j * rng.normal(size=(n, 40))
    base = a @ a.conj().T / 40 + 0.1 * np.eye(n)
    variants = {"helper": factor_helper, "right": factor_right, "kernel": _cholesky_t}
    for label, shift in (("positive definite", 0.0), ("not positive definite", 0.3)):
        m = base - shift * np.eye(n)
        mr = np.zeros((n, npad))
        mi = np.zeros((n, npad))
        mr[:, :n] = m.T.real
        mi[:, :n] = m.T.imag
        got = {}
        for name, f in variants.items():
            tr, ti = np.zeros((n, npad)), np.zeros((n, npad))
            ok = repeat(f, mr, mi, tr, ti, n, npad, 1)
            got[name] = (ok, tr, ti)
        best = {}
        for _ in range(rounds):
            for name, f in variants.items():
                tr, ti = np.zeros((n, npad)), np.zeros((n, npad))
                c = time.process_time()
                repeat(f, mr, mi, tr, ti, n, npad, reps)
                best[name] = min(best.get(name, np.inf), (time.process_time() - c) / reps * 1e6)
        ref = got["helper"]
        for name in variants:
            ok, tr, ti = got[name]
            low = np.tril(np.ones((n, n), bool)).T  # row k from element k on: the factor (the rest is not read)
            same = ok == ref[0] and all(np.array_equal(x[:, :n][low], y[:, :n][low]) for x, y in zip((tr, ti), ref[1:]))
            print(f"{label:22s} {name:7s} factored={ok!s:5s} same bytes as helper={same!s:5s} {best[name]:6.2f} us")
    print("load average", [round(x, 2) for x in os.getloadavg()])


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
