"""Why two pieces of phase linking stay written per path: the window sum's addition and the KS distance.

    PYTHONPATH=.build/plugins python3 benchmarks/psds/per_path.py

Prints one JSON line of CPU-s (process time, best of 3): one window offset's addition for a tile of 4,096 targets
at 30 dates, as the numpy path adds it and as the kernel's ``_add_packed`` run as Python on arrays; the KS distance
per 10^5 pairs of 30 dates, compiled as the kernel walks and as the numpy path counts, and on the numpy path as it
counts and as the kernel's walk run as Python per pair. Each pair of forms is checked to give the same values.
"""

import json
import os
import time

import numpy as np
from numba import njit

from insar_geohazards.algorithms.psds.phase_linking import covariance, shp, vectorised


def cpu(f, reps=3):
    best = 1e9
    for _ in range(reps):
        t0 = time.process_time()
        f()
        best = min(best, time.process_time() - t0)
    return best


rng = np.random.default_rng(0)
out = {}
# 1. one window offset's addition for a tile of 4096 targets, 30 dates (465 packed products)
K, m = 4096, 465
prod_r, prod_i = rng.normal(size=(80, 80, m)), rng.normal(size=(80, 80, m))
pr, pc = rng.integers(0, 80, K), rng.integers(0, 80, K)
cand = np.arange(K)
acc_r, acc_i = np.zeros((K, m)), np.zeros((K, m))


def numpy_offset():
    acc_r[cand] = acc_r[cand] + prod_r[pr, pc]
    acc_i[cand] = acc_i[cand] + prod_i[pr, pc]


add = vectorised._py(covariance._add_packed)
acc_tr, acc_ti = np.zeros((m, K)), np.zeros((m, K))


def kernel_form_offset():
    add(acc_tr, acc_ti, prod_r, prod_i, pr, pc, m)


numpy_offset()
kernel_form_offset()
assert np.array_equal(acc_r.T, acc_tr)
out["offset_numpy_s"] = cpu(numpy_offset)
out["offset_kernel_form_as_python_s"] = cpu(kernel_form_offset)
# 2. KS: the compiled walk against the compiled counting form, per pair; the numpy path's counts against the walk as
# Python per pair
n, pairs = 30, 200000
a = np.sort(rng.rayleigh(1.0, (pairs, n)).astype(np.float32), axis=1)
b = np.sort(rng.rayleigh(1.1, (pairs, n)).astype(np.float32), axis=1)


@njit(cache=False)
def walk_all(a, b, out):
    for p in range(a.shape[0]):
        out[p] = shp.ks_statistic(a[p], b[p])


@njit(cache=False)
def count_all(a, b, out):
    n = a.shape[1]
    for p in range(a.shape[0]):
        d = 0
        for k in range(n):
            for x in (a[p, k], b[p, k]):
                i = 0
                j = 0
                for t in range(n):
                    i += a[p, t] <= x
                    j += b[p, t] <= x
                d = max(d, abs(i - j))
        out[p] = d / n


o1, o2 = np.empty(pairs), np.empty(pairs)
walk_all(a[:2], b[:2], o1)
count_all(a[:2], b[:2], o2)
out["ks_compiled_walk_s_per_1e5_pairs"] = cpu(lambda: walk_all(a, b, o1)) / 2
out["ks_compiled_counting_s_per_1e5_pairs"] = cpu(lambda: count_all(a, b, o2)) / 2
assert np.array_equal(o1, o2)
few = 5000
py_walk = shp.ks_statistic.py_func
t_walk = cpu(lambda: [py_walk(x, y) for x, y in zip(a[:few], b[:few])], 1)
t_count = cpu(lambda: vectorised._ks_distance(a[:few], b[:few]), 3)
walked = np.array([py_walk(x, y) for x, y in zip(a[:few], b[:few])])
assert np.array_equal(vectorised._ks_distance(a[:few], b[:few]) / n, walked)
out["ks_numpy_counting_s_per_1e5_pairs"] = t_count * 1e5 / few
out["ks_walk_as_python_s_per_1e5_pairs"] = t_walk * 1e5 / few
out["load"] = os.getloadavg()[0]
print(json.dumps({k: round(v, 4) for k, v in out.items()}))
