"""closure_sums: each row's sum in pixel order (rows added side by side) against a plain-Python sequential sum, on
random shapes and values whose sum depends on the order; the classification without the count of loops with data
gives the same keys and counts."""

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections import closure
from insar_geohazards.algorithms.corrections.closure_sums import row_totals


def _sequential(values, n_rows, n_cols):
    out = np.zeros(n_rows)
    for r in range(n_rows):
        s = 0.0
        for v in values[r * n_cols:(r + 1) * n_cols]:
            s += float(v)  # IEEE doubles, one addition after the other
        out[r] = s
    return out


@pytest.mark.parametrize("seed", range(8))
def test_row_totals_are_the_sequential_sums(seed):
    rng = np.random.default_rng(seed)
    for _ in range(6):
        n_rows = int(rng.choice([0, 1, 2, 3, int(rng.integers(4, 40))]))
        n_cols = int(rng.choice([0, 1, 2, int(rng.integers(3, 300))]))
        # squares spread over many orders of magnitude (and zeros): a pairwise or reordered sum gives other bits
        v = rng.standard_normal(n_rows * n_cols) ** 2 * 10.0 ** rng.integers(-8, 9, n_rows * n_cols)
        v[rng.random(v.size) < 0.1] = 0.0
        got = row_totals(v, n_rows, n_cols)
        want = _sequential(v, n_rows, n_cols)
        assert got.shape == (n_rows,) and got.tobytes() == want.tobytes(), (n_rows, n_cols)
        if n_rows and n_cols > 2:
            assert got.tobytes() == np.cumsum(v.reshape(n_rows, n_cols), axis=1)[:, -1].tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_classification_without_the_loop_count_keeps_keys_and_counts(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 12))
    tri = closure.network_triplets([(i, i + k) for i in range(n) for k in (1, 2, 3) if i + k < n])
    m, p = tri.matrix.shape[1], int(rng.integers(50, 400))
    x = rng.normal(0, 2, (m, p)) + rng.integers(-2, 3, (m, p))
    x[rng.random(x.shape) < rng.uniform(0, 0.2)] = np.nan
    idx = np.ascontiguousarray(tri.index)
    offset = rng.normal(0, 0.1, tri.n)
    args = (x, 1.0 / rng.uniform(0.5, 2.0), idx, offset, rng.uniform(0.1, 0.4))
    full = (np.empty((tri.n, p), np.int16), np.empty(p, np.int32), np.empty(p, np.int32), np.empty(p, bool))
    closure._classify_kernel(*args, *full)
    part = (np.empty((tri.n, p), np.int16), None, np.empty(p, np.int32), np.empty(p, bool))
    closure._classify_kernel(*args, *part)
    for a, b in zip(full[:1] + full[2:], part[:1] + part[2:]):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_counts_of_the_blocks_own_rows_alone_equal_those_of_the_whole_block(seed):
    """Without keys (a second pass's counts) the classification of a block's own rows gives, on those rows, the
    counts and loop sums of the whole block's classification."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 12))
    tri = closure.network_triplets([(i, i + k) for i in range(n) for k in (1, 2, 3) if i + k < n])
    rows, cols = int(rng.integers(3, 20)), int(rng.integers(2, 30))
    c0 = int(rng.integers(0, rows))
    c1 = int(rng.integers(c0, rows + 1))
    m = tri.matrix.shape[1]
    x = rng.normal(0, 2, (m, rows * cols)) + rng.integers(-2, 3, (m, rows * cols))
    x[rng.random(x.shape) < rng.uniform(0, 0.2)] = np.nan
    args = (x, 1.0 / rng.uniform(0.5, 2.0), np.ascontiguousarray(tri.index), rng.normal(0, 0.1, tri.n),
            rng.uniform(0.1, 0.4))
    whole = closure._classified(*args, np.empty((tri.n, rows * cols), np.int16), True, (rows, cols, c0, c1))
    own = closure._classified(*args, None, True, (rows, cols, c0, c1))
    core = slice(c0 * cols, c1 * cols)
    for a, b in zip(whole[:2], own[:2]):
        assert a[core].tobytes() == b[core].tobytes()
    for a, b in zip(whole[3], own[3]):
        assert a.tobytes() == b.tobytes()
