"""The closure correction's numpy path (taken by a run whose kernels are not compiled, and without numba) gives the
compiled kernels' bytes: the three kernels on values with NaN and infinities, and a whole correction of a stack with
planted whole-cycle errors, with and without coherence, in two block layouts."""

import numpy as np
import pytest
from testutils_corrections import closure_scenario

from insar_geohazards.algorithms import _numba, kernel_families
from insar_geohazards.algorithms.corrections import closure
from insar_geohazards.algorithms.corrections.closure import correct_closure_block, network_triplets

needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: only the numpy path exists")
FAMILY = kernel_families.BY_NAME["closure"]
CYCLE_MM = 27.75


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


@needs_numba
def test_each_kernel_and_its_numpy_twin_give_the_same_bytes():
    rng = np.random.default_rng(3)
    tri = network_triplets([(i, i + k) for i in range(10) for k in (1, 2, 3) if i + k < 10])
    m, rows, cols = tri.matrix.shape[1], 5, 13
    x = rng.normal(0, 2, (m, rows * cols)) + rng.integers(-2, 3, (m, rows * cols))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[0, 3], x[1, 4] = np.inf, -np.inf
    x[:, 7] = np.nan
    idx = np.ascontiguousarray(tri.index)
    offset = rng.normal(0, 0.1, tri.n)
    scale = 1.0 / 0.93
    t = tri.n
    outs = [np.empty((t, x.shape[1])) for _ in range(2)]
    closure._closure_kernel(x, idx, outs[0])
    closure._closure_arrays(x, idx, outs[1])
    _same(*outs)
    got = []
    for classify in (closure._classify_kernel, closure._classify_arrays):
        res = (np.empty((t, x.shape[1]), np.int16), np.empty(x.shape[1], np.int32), np.empty(x.shape[1], np.int32),
               np.empty(x.shape[1], np.bool_))
        classify(x, scale, idx, offset, 0.24, *res)
        got.append(res)
    for a, b in zip(*got):
        _same(a, b)
    assert got[0][3].any() and (got[0][0] == -32768).any()  # loops to solve and untrusted loops both met
    for row0, n_rows in ((0, rows), (1, 3), (2, 0)):
        got = []
        for sums in (closure._loop_sums_kernel, closure._loop_sums_arrays):
            res = (np.empty(t), np.full((t, rows), -1.0), np.empty(t))
            sums(x, scale, idx, offset, cols, row0, n_rows, *res)
            got.append(res)
        for a, b in zip(*got):
            _same(a[..., :n_rows] if a.ndim == 2 else a, b[..., :n_rows] if b.ndim == 2 else b)


@needs_numba
@pytest.mark.parametrize("with_coherence", [False, True])
def test_a_correction_on_the_numpy_path_gives_the_compiled_bytes(with_coherence):
    s = closure_scenario({"shape": (24, 30), "n_dates": 10, "network": ("seq", 3), "noise": ("gauss", 2.0),
                          "seed": 11, "errors": {"patches": 4, "sizes": (4, 8), "cycles": (-2, -1, 1, 2),
                                                 "shared": 0.3, "overlap": 0.2, "edges": 0.3, "few_loops": 0.1}})
    stack = s["clean_mm"] + s["planted"] * CYCLE_MM
    tri = network_triplets(s["pairs"])
    kw = dict(cycle_mm=CYCLE_MM, coherence=s["coherence"] if with_coherence else None,
              min_coherence=0.3 if with_coherence else 0.0)
    compiled = correct_closure_block(stack, tri, **kw)
    assert np.count_nonzero(compiled["cycles"]) > 0  # the case corrects something
    with _numba.python_kernels(FAMILY.modules()):
        assert not _numba.uses_numba(closure._classify_kernel)
        numpy_path = correct_closure_block(stack, tri, **kw)
    assert compiled.keys() == numpy_path.keys()
    for key in compiled:
        a, b = compiled[key], numpy_path[key]
        if isinstance(a, np.ndarray):
            _same(a, b)
        else:
            assert a == b, key
