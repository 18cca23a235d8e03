"""A kernel that other kernels call with constants compiles once, with the constants' plain types, and gives the
same values; a kernel that needs the constant (a tuple indexed by it) still gets it.

numba types a call between kernels with the arguments' literal types: ``f(x, True)`` in one caller and
``f(x, False)`` in another used to compile ``f`` twice, and a third time for a caller passing a variable. Okada's
point-source functions were compiled three times each this way.
"""

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba

pytestmark = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: nothing compiles")


def _kernels():
    @_numba.njit(cache=False)
    def scaled(x, flag, k):
        return x * 2.0 + k if flag else x - k

    @_numba.njit(cache=False)
    def with_true(x):
        return scaled(x, True, 3)

    @_numba.njit(cache=False)
    def with_false(x):
        return scaled(x, False, 0)

    @_numba.njit(cache=False)
    def with_variable(x, flag):
        return scaled(x, flag, 3)

    @_numba.njit(cache=False)
    def pick(pair, i):
        return pair[i]

    @_numba.njit(cache=False)
    def first_of_mixed(x):
        return pick((x, np.int64(4)), 0) + pick((x, np.int64(4)), 1)

    return scaled, with_true, with_false, with_variable, first_of_mixed, pick


def test_constants_from_several_callers_share_one_compiled_version():
    scaled, with_true, with_false, with_variable, _, _ = _kernels()
    assert with_true(1.5) == 1.5 * 2.0 + 3
    assert with_false(1.5) == 1.5 - 0
    assert with_variable(1.5, True) == 1.5 * 2.0 + 3
    assert with_variable(1.5, False) == 1.5 - 3
    signatures = [str(s) for s in scaled.signatures]
    assert signatures == ["(float64, bool, int64)"], signatures


def test_a_tuple_indexed_by_a_constant_still_compiles_with_the_constant():
    _, _, _, _, first_of_mixed, pick = _kernels()
    assert first_of_mixed(2.5) == 2.5 + 4
    # a heterogeneous tuple can only be indexed by a literal: typing with a plain int fails, the literal is kept
    assert all("Literal[int]" in str(s) for s in pick.signatures), pick.signatures
