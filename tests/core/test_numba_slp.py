"""Kernels decorated with ``njit_slp`` compile with LLVM's SLP vectoriser on, whatever numba's default, and leave
numba's setting as it was for other numba code in the process.

numba 0.57 turned SLP vectorisation off by default; the lanes written side by side (``scripts/generate``) are
vectorised by SLP only, so without it DS phase linking's batched EMI took 2.5 times longer on pip's numba.
"""

import pytest

from insar_geohazards.algorithms import _numba


@pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: nothing compiles")
def test_slp_is_on_while_our_kernel_compiles_and_put_back_after(monkeypatch):
    from numba.core import config, event

    monkeypatch.delenv("NUMBA_SLP_VECTORIZE", raising=False)
    monkeypatch.setattr(config, "SLP_VECTORIZE", 0)  # numba >= 0.57's default
    seen = []

    class Listener(event.Listener):
        def on_start(self, ev):
            seen.append(config.SLP_VECTORIZE)

        def on_end(self, ev):
            pass

    @_numba.njit_slp(cache=False)
    def lanes(x):
        return x + 1.0

    @_numba.njit(cache=False)
    def plain(x):
        return x + 2.0

    assert type(lanes.dispatcher()).__name__.startswith("Slp")
    with event.install_listener("numba:compile", Listener()):
        assert lanes(1.0) == 2.0
        on = list(seen)
        assert plain(1.0) == 3.0
    assert on and all(v == 1 for v in on)
    assert seen[len(on):] and all(v == 0 for v in seen[len(on):])
    assert config.SLP_VECTORIZE == 0


def test_without_numba_the_kernel_runs_its_function(monkeypatch):
    monkeypatch.setattr(_numba, "HAVE_NUMBA", False)

    def f(x):
        return [x]

    for kernel in (_numba.njit_slp(f), _numba.njit_slp(error_model="numpy")(f)):
        assert kernel.py_func is f and kernel(3) == [3]  # a list: no numba would return one from a kernel
        assert kernel.dispatcher() is None and kernel.signatures == []
