"""``_numba.run_ranges``: a serial kernel's loop split over threads, each index once, errors raised in the caller."""

import threading

import numpy as np
import pytest

from insar_geohazards.algorithms import _numba
from insar_geohazards.algorithms._numba import njit, run_ranges


@njit
def _square_range(lo, hi, x, out):
    for i in range(lo, hi):
        out[i] = x[i] * x[i] + 0.5 * x[i]


@pytest.mark.parametrize("n", [0, 1, 2, 7, 64, 1001])
@pytest.mark.parametrize("threads", [1, 2, 5])
def test_every_index_once_same_values_any_thread_count(monkeypatch, n, threads):
    monkeypatch.setattr(_numba, "thread_count", lambda: threads)
    x = np.random.default_rng(n).normal(size=n)
    out = np.full(n, np.nan)
    calls = []

    def kernel(lo, hi, x, out):
        calls.append((lo, hi))
        _square_range(lo, hi, x, out)

    run_ranges(kernel, n, x, out)
    ref = np.empty(n)
    _square_range(0, n, x, ref)
    assert out.tobytes() == ref.tobytes()
    covered = sorted(i for lo, hi in calls for i in range(lo, hi))
    assert covered == list(range(n))  # each index once
    assert len(calls) <= max(1, min(n, threads * 4))


def test_uses_several_threads(monkeypatch):
    monkeypatch.setattr(_numba, "thread_count", lambda: 3)
    seen = set()
    barrier = threading.Barrier(3, timeout=30)

    def kernel(lo, hi):
        seen.add(threading.get_ident())
        barrier.wait()  # a thread waiting here takes no other range: three ranges need three threads at once

    run_ranges(kernel, 3, tasks_per_thread=1)
    assert len(seen) == 3


def test_an_error_in_a_range_is_raised_in_the_caller(monkeypatch):
    monkeypatch.setattr(_numba, "thread_count", lambda: 2)

    def kernel(lo, hi):
        if lo <= 5 < hi:
            raise ValueError("range with 5")

    with pytest.raises(ValueError, match="range with 5"):
        run_ranges(kernel, 40)
