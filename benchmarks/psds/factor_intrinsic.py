"""EMI's complex Cholesky factor as shipped (row helpers, a call each) against the same factor whose row updates
are numba intrinsics emitting ``<8 x double>`` LLVM vector operations in the caller (no call, no numba IR
inlining): per-factor time and bit equality.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/factor_intrinsic.py [PLUGINS_DIR]

PLUGINS_DIR holds ``insar_geohazards`` (default: this checkout's ``.build/plugins``). Three 30 x 30 Hermitian
matrices in the kernel's transposed storage (rows of 32 doubles): two positive definite, one shifted just past its
smallest eigenvalue (it fails late, as EMI's failing shifts do). Each factor is timed in a numba loop that copies
the matrix in and factors it (20,000 calls, best of 5 rounds, the two forms alternated); the copy alone is timed
the same way, to be subtracted. Every element the kernel reads afterwards (the factor's lower triangle) is
compared bit for bit. ~20 s (the intrinsics compile in seconds). A question answered once (docs/psds.md,
Performance notes): no project code imports this.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build",
                                                                 "plugins")
sys.path.insert(0, PLUGINS)
importlib.import_module("insar_geohazards.algorithms._numba")  # the shim's CPU tuning, before numba loads

import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import njit, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

from insar_geohazards.algorithms.timeseries import phase_linking as pl  # noqa: E402

V8 = ir.VectorType(ir.DoubleType(), 8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)


def _row(context, builder, aty, aval, row, col):
    """Pointer to ``a[row, col:col + 8]`` as one ``<8 x double>``."""
    ary = context.make_array(aty)(context, builder, aval)
    off = builder.add(builder.mul(row, builder.extract_value(ary.strides, 0)), builder.mul(col, ir.Constant(I64, 8)))
    return builder.bitcast(builder.gep(builder.bitcast(ary.data, ir.IntType(8).as_pointer()), [off]), V8.as_pointer())


def _splat(builder, x):
    v = builder.insert_element(ir.Constant(V8, ir.Undefined), x, ir.Constant(I32, 0))
    return builder.shuffle_vector(v, ir.Constant(V8, ir.Undefined), ir.Constant(ir.VectorType(I32, 8), [0] * 8))


def _int(context, builder, ty, v):
    return context.cast(builder, v, ty, types.int64)


def _sub_cmul_codegen(m):
    """Row ``j`` minus rows ``k .. k + m - 1`` times ``y0 .. y(m-1)``, eight elements from ``b``: per element
    ``a - (xr yr - xi yi)`` and ``a - (xr yi + xi yr)`` in the helpers' order."""
    def codegen(context, builder, signature, args):
        a = signature.args
        j = _int(context, builder, a[2], args[2])
        k = _int(context, builder, a[3], args[3])
        b = _int(context, builder, a[-1], args[-1])
        ys = [_splat(builder, args[4 + i]) for i in range(2 * m)]
        xs = []
        for r in range(m):
            kr = builder.add(k, ir.Constant(I64, r))
            xs.append((builder.load(_row(context, builder, a[0], args[0], kr, b), align=8),
                       builder.load(_row(context, builder, a[1], args[1], kr, b), align=8)))
        pr = _row(context, builder, a[0], args[0], j, b)
        pi = _row(context, builder, a[1], args[1], j, b)
        ar = builder.load(pr, align=8)
        ai = builder.load(pi, align=8)
        for r in range(m):
            (xr, xi), yr, yi = xs[r], ys[2 * r], ys[2 * r + 1]
            ar = builder.fsub(ar, builder.fsub(builder.fmul(xr, yr), builder.fmul(xi, yi)))
            ai = builder.fsub(ai, builder.fadd(builder.fmul(xr, yi), builder.fmul(xi, yr)))
        builder.store(ar, pr, align=8)
        builder.store(ai, pi, align=8)
        return context.get_dummy_value()
    return codegen


@intrinsic
def _blk_sub_cmul4(typingctx, tr, ti, j, k, y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, b):
    return types.void(tr, ti, j, k, y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, b), _sub_cmul_codegen(4)


@intrinsic
def _blk_sub_cmul1(typingctx, tr, ti, j, k, yr, yi, b):
    return types.void(tr, ti, j, k, yr, yi, b), _sub_cmul_codegen(1)


@intrinsic
def _blk_cdiv(typingctx, tr, ti, k, ratio, den, b):
    """Row ``k`` divided by ``d + 0i``, eight elements from ``b`` (numba's complex-by-real division)."""
    def codegen(context, builder, signature, args):
        a = signature.args
        k = _int(context, builder, a[2], args[2])
        b = _int(context, builder, a[5], args[5])
        ratio, den = _splat(builder, args[3]), _splat(builder, args[4])
        pr = _row(context, builder, a[0], args[0], k, b)
        pi = _row(context, builder, a[1], args[1], k, b)
        x = builder.load(pr, align=8)
        y = builder.load(pi, align=8)
        builder.store(builder.fdiv(builder.fadd(x, builder.fmul(y, ratio)), den), pr, align=8)
        builder.store(builder.fdiv(builder.fsub(y, builder.fmul(x, ratio)), den), pi, align=8)
        return context.get_dummy_value()
    return types.void(tr, ti, k, ratio, den, b), codegen


@njit(error_model="numpy")
def cholesky_intrinsic(tr, ti, n, npad):
    """``pl._cholesky_t`` with each row helper's eight-element step an intrinsic in this function."""
    for j in range(n):
        start = j // 8 * 8
        k = 0
        while k + 4 <= j:
            y0r, y0i, y1r, y1i = tr[k, j], -ti[k, j], tr[k + 1, j], -ti[k + 1, j]
            y2r, y2i, y3r, y3i = tr[k + 2, j], -ti[k + 2, j], tr[k + 3, j], -ti[k + 3, j]
            b = start
            while b < npad:
                _blk_sub_cmul4(tr, ti, j, k, y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, b)
                b += 8
            k += 4
        while k < j:
            yr, yi = tr[k, j], -ti[k, j]
            b = start
            while b < npad:
                _blk_sub_cmul1(tr, ti, j, k, yr, yi, b)
                b += 8
            k += 1
        s = tr[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        ratio = 0.0 / d
        den = d + 0.0 * ratio
        b = start
        while b < npad:
            _blk_cdiv(tr, ti, j, ratio, den, b)
            b += 8
        tr[j, j] = d
        ti[j, j] = 0.0
    return True


@njit
def _loop_shipped(ar, ai, tr, ti, n, npad, reps):
    ok = True
    for _ in range(reps):
        tr[:, :] = ar
        ti[:, :] = ai
        ok = pl._cholesky_t(tr, ti, n, npad)
    return ok


@njit
def _loop_intrinsic(ar, ai, tr, ti, n, npad, reps):
    ok = True
    for _ in range(reps):
        tr[:, :] = ar
        ti[:, :] = ai
        ok = cholesky_intrinsic(tr, ti, n, npad)
    return ok


@njit
def _loop_copy(ar, ai, tr, ti, n, npad, reps):
    s = 0.0
    for r in range(reps):
        tr[:, :] = ar
        ti[:, :] = ai
        s += tr[r % n, 0]
    return s


def best_us(f, args, reps=20000):
    t = time.perf_counter()
    f(*args, reps)
    return (time.perf_counter() - t) / reps * 1e6


def main():
    rng = np.random.default_rng(0)
    n, npad = 30, 32
    upper = np.triu(np.ones((n, n), bool))  # row k from its diagonal on: the factor's entries the kernel reads
    for label, below in (("positive definite", None), ("positive definite", None), ("failing", 1e-3)):
        x = rng.normal(size=(n, 3 * n)) + 1j * rng.normal(size=(n, 3 * n))
        a = x @ x.conj().T / (3 * n)
        if below is not None:  # shifted just past its smallest eigenvalue, as EMI's failing shifts are
            a -= (np.linalg.eigvalsh(a)[0] + below) * np.eye(n)
        at = np.zeros((n, npad), complex)
        at[:, :n] = a.T
        ar, ai = np.ascontiguousarray(at.real), np.ascontiguousarray(at.imag)
        out = [(np.zeros((n, npad)), np.zeros((n, npad))) for _ in range(2)]
        oks = [f(ar, ai, *o, n, npad, 1) for f, o in zip((_loop_shipped, _loop_intrinsic), out)]
        same = oks[0] == oks[1] and (not oks[0] or all(
            np.array_equal(p[:, :n][upper].view(np.int64), q[:, :n][upper].view(np.int64))
            for p, q in zip(out[0], out[1])))
        _loop_copy(ar, ai, *out[0], n, npad, 1)
        t = {"shipped": [], "intrinsic": [], "copy": []}
        for _ in range(5):
            t["shipped"].append(best_us(_loop_shipped, (ar, ai, *out[0], n, npad)))
            t["intrinsic"].append(best_us(_loop_intrinsic, (ar, ai, *out[1], n, npad)))
            t["copy"].append(best_us(_loop_copy, (ar, ai, *out[0], n, npad)))
        c = min(t["copy"])
        state = "ok" if oks[0] else "not positive definite"
        print(f"{label} ({state}): same bits {same}; per factor (copy {c:.2f} us subtracted): shipped "
              f"{min(t['shipped']) - c:.2f} us, intrinsic {min(t['intrinsic']) - c:.2f} us")


if __name__ == "__main__":
    main()
