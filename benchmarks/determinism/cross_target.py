"""Every case of tests/core/test_engine_determinism.py once (whole image, this process); outputs pickled or compared.

    python cross_target.py build CASES.pkl | run CASES.pkl OUT.pkl | compare A.pkl B.pkl ...

cross_target.sh runs it under several CPU targets (NUMBA_CPU_NAME, OPENBLAS_CORETYPE, NPY_DISABLE_CPU_FEATURES).
"""

import os
import pickle
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _paths():
    for p in (os.path.join(ROOT, ".build", "plugins"), os.path.join(ROOT, "tests")):
        sys.path.insert(0, p)


def build(path):
    """Build every case's inputs once (the builders use numpy's transcendental functions, which differ between
    numpy's AVX-512 and AVX2 loops) and pickle the ready-to-run cases, so every target runs the same inputs."""
    import cloudpickle

    _paths()
    from core.test_engine_determinism import CASES

    cases = {name: (fn(np.random.default_rng(7)), layouts[0]) for name, (fn, layouts, _) in CASES.items()}
    with open(path, "wb") as fh:
        cloudpickle.dump(cases, fh)
    print(f"{path}: {len(cases)} cases built")


def run(cases_path, path):
    _paths()
    from insar_geohazards.algorithms import engine as eng

    with open(cases_path, "rb") as fh:
        cases = pickle.load(fh)
    out = {}
    t0 = time.time()
    for name, (fn, layout) in cases.items():
        try:
            out[name] = fn(layout, eng.LocalExecutor())
        except Exception as exc:  # a case that cannot run here is reported, not hidden
            out[name] = {"error": np.array(repr(exc))}
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    print(f"{path}: {len(out)} cases in {time.time() - t0:.0f} s")


def _differ(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype == object or y.dtype == object:
        return repr(x.tolist()) != repr(y.tolist()), ""
    if x.shape != y.shape or x.tobytes() == y.tobytes():
        return x.shape != y.shape, ""
    same = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind in "fc" else (x == y)
    return True, f"{int((~same).sum())}/{x.size}"


def compare(paths):
    runs = []
    for p in paths:
        with open(p, "rb") as fh:
            runs.append(pickle.load(fh))
    base = runs[0]
    for p, other in zip(paths[1:], runs[1:]):
        print(f"== {paths[0]} vs {p}")
        for name in base:
            bad = []
            for k, v in base[name].items():
                d, n = _differ(v, other[name].get(k))
                if d:
                    bad.append(f"{k}({n})" if n else k)
            print(f"  {name:28s} {'same' if not bad else 'DIFF ' + ', '.join(bad[:6])}")


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2])
    elif sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2:])
