"""``log`` and ``atan`` written in plain IEEE arithmetic, so that numba loops calling them vectorise.

A loop that calls libm's ``log``/``atan`` stays scalar (no vector math library: SVML is off, see
:mod:`.._numba`). These versions use only +, -, *, /, ``sqrt``, comparisons and selects, each correctly
rounded by IEEE 754, so a loop's vector body (AVX2 or AVX-512) and its scalar remainder give the same bits,
on any x86 CPU. They are not libm: they differ from it by a few units in the last place
(tests/core/test_faults_okada_block.py measures <= 4 ulp for ``log`` and <= 6 ulp for ``atan``).

* ``log(x)`` (x positive, finite, normal): x = m 2^e with m in [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1),
  log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), |s| <= 0.1716: 11 terms leave a truncation error
  below 1e-18 relative; e ln 2 in two parts (fdlibm's split, exact product for the high part).
* ``atan(t)``: |t| > 1 -> pi/2 - atan(1/|t|); two half-angle steps atan(u) = 2 atan(u / (1 + sqrt(1 + u^2)))
  bring |u| <= tan(pi/16) = 0.199; then the Taylor series u - u^3/3 + ... to 13 terms (truncation below
  1e-18 relative); the sign of t is restored at the end.
"""

from __future__ import annotations

import math
import types

import numpy as np

from .._numba import NumbaOnly, njit

LN2_HI = 6.93147180369123816490e-01  # upper 32 bits of ln 2 (fdlibm): e * LN2_HI is exact for |e| < 2^11
LN2_LO = 1.90821492927058770002e-10
SQRT2 = 1.4142135623730951
PIO2 = math.pi / 2.0
_EXP_MASK = 0x7FF0000000000000
_MANT_MASK = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000


def _bitcast_intrinsic(numba, to_int: bool):
    """An LLVM bitcast between float64 and int64 as a numba intrinsic (vectorises)."""
    from llvmlite import ir
    from numba import types as nt
    from numba.extending import intrinsic

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64) if to_int else ir.DoubleType())

    def typer(typingctx, x):
        return (nt.int64(nt.float64) if to_int else nt.float64(nt.int64)), codegen

    typer.__name__ = "_f2i" if to_int else "_i2f"
    return intrinsic(typer)


def _f2i_python(x):
    return int(np.array(x, np.float64).view(np.int64))


def _i2f_python(x):
    return float(np.array(x, np.int64).view(np.float64))


def _f2i_array(x):
    return np.asarray(x, np.float64).view(np.int64)


def _i2f_array(x):
    return np.asarray(x, np.int64).view(np.float64)


#: bits of a float64 as int64, and float64 with the bits of an int64: LLVM bitcasts in kernels, views as Python
_f2i = NumbaOnly(lambda numba: _bitcast_intrinsic(numba, True), _f2i_python, "_f2i")
_i2f = NumbaOnly(lambda numba: _bitcast_intrinsic(numba, False), _i2f_python, "_i2f")


@njit(error_model="numpy")
def _select(c, a, b):
    """``a`` where ``c``, else ``b`` (a select: :func:`vlog` and :func:`vatan` run on arrays too, see
    :func:`array_form`)."""
    return a if c else b


@njit(error_model="numpy")
def vlog(x):
    """Natural logarithm of a positive normal float64 (IEEE arithmetic only; see the module docstring)."""
    bits = _f2i(x)
    e = ((bits & _EXP_MASK) >> 52) - 1023
    m = _i2f((bits & _MANT_MASK) | _ONE_BITS)  # [1, 2)
    big = m > SQRT2
    m = _select(big, m * 0.5, m)
    ef = _select(big, float(e + 1), float(e))
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    # 2 atanh(s) = 2 s + 2 s^3 (1/3 + s^2/5 + ... + s^20/23)
    poly = 1.0 / 23.0
    poly = poly * s2 + 1.0 / 21.0
    poly = poly * s2 + 1.0 / 19.0
    poly = poly * s2 + 1.0 / 17.0
    poly = poly * s2 + 1.0 / 15.0
    poly = poly * s2 + 1.0 / 13.0
    poly = poly * s2 + 1.0 / 11.0
    poly = poly * s2 + 1.0 / 9.0
    poly = poly * s2 + 1.0 / 7.0
    poly = poly * s2 + 1.0 / 5.0
    poly = poly * s2 + 1.0 / 3.0
    s2s = s + s
    return ef * LN2_HI + ((ef * LN2_LO + s2s * s2 * poly) + s2s)


@njit(error_model="numpy")
def vatan(t):
    """Arc tangent (radians) of a float64, NaN for NaN (IEEE arithmetic only; see the module docstring)."""
    a = abs(t)
    big = a > 1.0
    u = _select(big, 1.0, a) / _select(big, a, 1.0)  # 1 / a or a / 1 (= a): no division by zero taken
    u = u / (1.0 + math.sqrt(1.0 + u * u))
    u = u / (1.0 + math.sqrt(1.0 + u * u))
    u2 = u * u
    poly = -1.0 / 27.0
    poly = poly * u2 + 1.0 / 25.0
    poly = poly * u2 - 1.0 / 23.0
    poly = poly * u2 + 1.0 / 21.0
    poly = poly * u2 - 1.0 / 19.0
    poly = poly * u2 + 1.0 / 17.0
    poly = poly * u2 - 1.0 / 15.0
    poly = poly * u2 + 1.0 / 13.0
    poly = poly * u2 - 1.0 / 11.0
    poly = poly * u2 + 1.0 / 9.0
    poly = poly * u2 - 1.0 / 7.0
    poly = poly * u2 + 1.0 / 5.0
    poly = poly * u2 - 1.0 / 3.0
    r = 4.0 * (u + u * u2 * poly)
    r = _select(big, PIO2 - r, r)
    return _select(t < 0.0, -r, r)


def array_form(kernel):
    """``kernel`` (:func:`vlog`, :func:`vatan`) on numpy arrays: the same Python function, its selects, bitcasts,
    ``float`` and ``math.sqrt`` bound to their numpy forms (``np.where``, views, ``astype``, ``np.sqrt``), so every
    element goes through the same correctly rounded operations in the same order as the compiled kernel: the same
    bits. The numpy path of :mod:`.okada_numpy` calls these."""
    fn = getattr(kernel, "py_func", kernel)
    names = dict(fn.__globals__)
    names.update(_select=np.where, _f2i=_f2i_array, _i2f=_i2f_array, math=_ArrayMath,
                 float=lambda a: np.asarray(a, np.float64))
    return types.FunctionType(fn.__code__, names, fn.__name__, fn.__defaults__, fn.__closure__)


class _ArrayMath:
    """The ``math`` functions :func:`vatan` calls, on arrays."""

    sqrt = staticmethod(np.sqrt)


vlog_array = array_form(vlog)
vatan_array = array_form(vatan)
