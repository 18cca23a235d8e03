"""The closure sums (numpy, their one form) against a pixel-by-pixel loop written here from their definitions: the
closure of each loop, the solver's key (its whole number of cycles where trusted, the sentinel where missing or
noisy), the counts per pixel and per loop and each row's sum of squares in pixel order, on values with NaN and
infinities and in several row windows."""

import math

import numpy as np

from insar_geohazards.algorithms.corrections import closure
from insar_geohazards.algorithms.corrections.closure import network_triplets


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes(), np.argwhere(a != b)[:5]


def _pixel_loop(x, scale, idx, offset, max_frac, n_cols):
    """Loop by loop and pixel by pixel in plain Python floats (IEEE doubles): the closures, keys, counts and row
    sums of squares."""
    t_n, p_n = idx.shape[0], x.shape[1]
    raw = np.empty((t_n, p_n))
    key = np.empty((t_n, p_n), np.int16)
    n_loops = np.zeros(p_n, np.int32)
    n_nonclosing = np.zeros(p_n, np.int32)
    todo = np.zeros(p_n, bool)
    pixels, nonclosing = np.zeros(t_n), np.zeros(t_n)
    sum_sq = np.zeros((t_n, p_n // n_cols))
    for t in range(t_n):
        for p in range(p_n):
            a, b, c3 = (float(x[idx[t, k], p]) for k in range(3))
            raw[t, p] = a + b - c3
            c = (a + b - c3) * scale - float(offset[t])
            key[t, p] = -32768
            if math.isfinite(c):
                k = float(round(c))  # Python rounds half to even, as np.rint
                n_loops[p] += 1
                pixels[t] += 1.0
                sum_sq[t, p // n_cols] += c * c
                if k != 0:
                    n_nonclosing[p] += 1
                    nonclosing[t] += 1.0
                if abs(c - k) <= max_frac:
                    key[t, p] = int(k)
                    todo[p] |= k != 0
    return raw, key, n_loops, n_nonclosing, todo, pixels, sum_sq, nonclosing


def test_the_closure_sums_match_a_pixel_by_pixel_loop():
    rng = np.random.default_rng(3)
    tri = network_triplets([(i, i + k) for i in range(10) for k in (1, 2, 3) if i + k < 10])
    m, rows, cols = tri.matrix.shape[1], 5, 13
    x = rng.normal(0, 2, (m, rows * cols)) + rng.integers(-2, 3, (m, rows * cols))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[0, 3], x[1, 4] = np.inf, -np.inf
    x[:, 7] = np.nan
    x[:, 9] = 0.5  # closures of exactly half a cycle: rounded to even
    idx = np.ascontiguousarray(tri.index)
    offset = rng.normal(0, 0.1, tri.n)
    offset[0] = 0.0
    scale = 1.0 / 0.93
    t = tri.n
    raw, key, n_loops, n_nonclosing, todo, pixels, sum_sq, nonclosing = _pixel_loop(x, scale, idx, offset, 0.24, cols)
    out = np.empty((t, x.shape[1]))
    closure._closure_kernel(x, idx, out)
    _same(out, raw)
    res = (np.empty((t, x.shape[1]), np.int16), np.empty(x.shape[1], np.int32), np.empty(x.shape[1], np.int32),
           np.empty(x.shape[1], np.bool_))
    closure._classify_kernel(x, scale, idx, offset, 0.24, *res)
    for a, b in zip(res, (key, n_loops, n_nonclosing, todo)):
        _same(a, b)
    assert todo.any() and (key == -32768).any() and (key > 0).any()  # loops to solve and untrusted loops both met
    for row0, n_rows in ((0, rows), (1, 3), (2, 0)):
        got = (np.empty(t), np.full((t, rows), -1.0), np.empty(t))
        closure._loop_sums_kernel(x, scale, idx, offset, cols, row0, n_rows, *got)
        window = x[:, row0 * cols:(row0 + n_rows) * cols]
        want = _pixel_loop(window, scale, idx, offset, 0.24, cols) if n_rows else None
        if n_rows:
            _same(got[0], want[5])
            _same(got[1][:, :n_rows], want[6])
            _same(got[2], want[7])
        else:
            assert (got[0] == 0).all() and (got[2] == 0).all()
        # the same sums taken from the classification's closures (one pass over the loops)
        both = (np.empty(t), np.full((t, rows), -1.0), np.empty(t))
        res2 = tuple(np.empty_like(a) for a in res)
        closure._classify_kernel(x, scale, idx, offset, 0.24, *res2, sums=(cols, row0, n_rows, *both))
        for a, b in zip(res2 + both, res + got):
            _same(a, b)
