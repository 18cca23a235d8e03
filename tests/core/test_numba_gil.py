"""The numba kernels run without the GIL, and two threads running parallel kernels at once are safe on every
threading layer (``workqueue`` aborts the process when two threads launch parallel regions at once)."""

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap

import pytest

from insar_geohazards import algorithms
from insar_geohazards.algorithms import _numba

HERE = os.path.dirname(os.path.abspath(__file__))
needs_numba = pytest.mark.skipif(not _numba.HAVE_NUMBA, reason="numba is not installed: no compiled kernels")


def _kernels():
    for info in pkgutil.walk_packages(algorithms.__path__, algorithms.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if isinstance(obj, _numba.Kernel) and obj.py_func.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj


@needs_numba
def test_every_kernel_releases_the_gil():
    kernels = dict(_kernels())
    assert len(kernels) > 100, sorted(kernels)  # the walk found the kernel modules
    holding = sorted(name for name, k in kernels.items() if not k.targetoptions.get("nogil"))
    assert not holding, f"kernels holding the GIL while they run: {holding}"


SCRIPT = textwrap.dedent("""
    import json, sys, threading
    import numpy as np
    sys.path.insert(0, HERE)
    import numba_target_cases as cases
    from insar_geohazards.algorithms import _numba

    # compiled first (one thread), then run from two threads at once, many times: the distortion map's parallel
    # kernels launched by both threads together
    expected = cases.CASES["distortion"](np.random.default_rng(5))
    got, errors = {0: set(), 1: set()}, []

    def run(thread):
        try:
            for _ in range(40):
                got[thread].add(cases.CASES["distortion"](np.random.default_rng(5)))
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(thread,)) for thread in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"layer": _numba.parallel_threading_layer(), "threadsafe": _numba.threadsafe_layer(),
                      "same": all(got[n] == {expected} for n in got), "errors": errors}))
""").replace("HERE", repr(HERE))


@pytest.fixture(scope="module")
def layers_cache(tmp_path_factory):
    """One numba cache for both threading layers, apart from the project's: the kernels are compiled by the first
    layer's run and loaded by the second's (the compiled code does not depend on the layer, which numba picks when
    the first parallel region starts), so the two runs still start from a cache no other test touched and the
    threads still launch the same parallel kernels at once; only the second compile of the same kernels is saved."""
    return tmp_path_factory.mktemp("numba_layers_cache")


@needs_numba
@pytest.mark.parametrize("layer", ["workqueue", "default"])
def test_two_threads_running_parallel_kernels_at_once_do_not_abort(layers_cache, layer):
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer, NUMBA_CACHE_DIR=str(layers_cache))
    env.pop("INSAR_GEOHAZARDS_DISABLE_NUMBA", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-2000:]}"
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if layer == "workqueue":
        assert res["layer"] == "workqueue" and not res["threadsafe"], res
    else:
        assert res["threadsafe"] == (res["layer"] in ("tbb", "omp")), res
    assert res["same"] and not res["errors"], res


@needs_numba
def test_the_layer_is_known_before_the_thread_pool_starts():
    """Kernels are decorated at import, before any parallel kernel runs: the layer must be known without
    starting numba's pool, and be the one the pool then starts with."""
    plugins = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "plugins")
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {plugins!r})
        from insar_geohazards.algorithms import _numba
        from numba.np.ufunc import parallel
        predicted, initialized = _numba.threadsafe_layer(), parallel._is_initialized
        print(json.dumps([predicted, initialized, _numba.parallel_threading_layer()]))
    """)
    for layer, safe in (("workqueue", False), ("omp", True), ("default", None)):
        env = dict(os.environ, NUMBA_THREADING_LAYER=layer)
        env.pop("INSAR_GEOHAZARDS_DISABLE_NUMBA", None)
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        if layer == "omp" and "No threading layer could be loaded" in out.stderr:
            continue  # numba without its OpenMP layer here: nothing to check for it
        assert out.returncode == 0, out.stderr[-2000:]
        predicted, initialized, started = json.loads(out.stdout.strip().splitlines()[-1])
        assert not initialized
        assert predicted == (started in ("tbb", "omp")), (layer, predicted, started)
        if safe is not None:
            assert predicted == safe, (layer, started)
