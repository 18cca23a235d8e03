"""algorithms/dense.py: Jacobi eigen-decomposition and pseudo-inverse against LAPACK's (numpy), and the same bits
whatever the BLAS's thread count (the cross-CPU check is a case of tests/core/test_numba_targets.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from insar_geohazards.algorithms.dense import pinv_tall, scaled_gram, sym_eig
from insar_geohazards.algorithms.errors import GeohazardError


def _laplacian(n, rng):
    lap = np.zeros((n, n))
    for i in range(n):
        for j in (i + 1, i + 3):
            if j < n:
                w = rng.uniform(0.2, 2.0)
                lap[[i, j], [i, j]] += w
                lap[i, j] -= w
                lap[j, i] -= w
    return lap


@pytest.mark.parametrize("n", [1, 2, 7, 60, 150])
def test_eigenpairs_match_lapack(n):
    rng = np.random.default_rng(n)
    a = _laplacian(n, rng) if n > 2 else rng.normal(size=(n, n))
    a = 0.5 * (a + a.T)
    lam, vec = sym_eig(a)
    ref = np.linalg.eigvalsh(a)
    scale = max(1.0, np.abs(ref).max())
    np.testing.assert_allclose(lam, ref, atol=1e-12 * scale)
    np.testing.assert_allclose(a @ vec, vec * lam, atol=1e-10 * scale)
    np.testing.assert_allclose(vec.T @ vec, np.eye(n), atol=1e-12)
    assert np.all(np.diff(lam) >= 0)


def test_pseudo_inverse_of_the_laplacian_and_of_a_basis():
    rng = np.random.default_rng(3)
    lap = _laplacian(50, rng)
    lam, vec = sym_eig(lap)
    keep = lam > 1e-9 * lam.max()
    np.testing.assert_allclose(scaled_gram(vec[:, keep], 1.0 / lam[keep]), np.linalg.pinv(lap), atol=1e-10)
    t = np.linspace(0.0, 6.0, 90)
    basis = np.stack([np.ones_like(t), t - t.mean(), (t - t.mean()) ** 2, np.sin(2 * np.pi * t),
                      np.cos(2 * np.pi * t)], 1)
    np.testing.assert_allclose(pinv_tall(basis), np.linalg.pinv(basis), atol=1e-11)
    # a repeated column: rank deficient, the minimum-norm answer
    rank_def = np.concatenate([basis, basis[:, :1]], 1)
    np.testing.assert_allclose(pinv_tall(rank_def), np.linalg.pinv(rank_def), atol=1e-9)


def test_bad_matrices_are_refused():
    with pytest.raises(GeohazardError, match="square"):
        sym_eig(np.zeros((2, 3)))
    with pytest.raises(GeohazardError, match="NaN"):
        sym_eig(np.array([[1.0, np.nan], [np.nan, 1.0]]))


CODE = """
import hashlib, numpy as np, sys
sys.path.insert(0, {plugins!r})
from insar_geohazards.algorithms.dense import pinv_tall, sym_eig
rng = np.random.default_rng(1)
a = rng.normal(size=(120, 120)); a = a + a.T
lam, vec = sym_eig(a)
p = pinv_tall(rng.normal(size=(300, 8)))
print(hashlib.sha1(lam.tobytes() + vec.tobytes() + p.tobytes()).hexdigest())
"""


def test_same_bits_for_any_blas_thread_count():
    plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".build",
                           "plugins")
    out = set()
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        res = subprocess.run([sys.executable, "-c", CODE.format(plugins=plugins)], capture_output=True, text=True,
                             env=env, check=True)
        out.add(res.stdout.strip())
    assert len(out) == 1
