"""Small dense linear algebra in a fixed order of operations, without BLAS or LAPACK.

The matrices that set up a solve (a network's Laplacian, a basis of temporal shapes: a few hundred rows
at most) are decomposed once per run. LAPACK's results for them depend in the last bits on the BLAS's
thread count and on the CPU's kernels (AVX2 or AVX-512), and those bits reach every pixel. These routines
run the same operations in the same order everywhere (numba, no fast-math), so a run writes the same bytes
on any machine.

* :func:`sym_eig`: eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations
  (Golub & Van Loan, Matrix Computations, 4th ed., section 8.5), ascending eigenvalues.
* :func:`pinv_tall`: pseudo-inverse of a tall matrix of few columns through the eigen-decomposition of
  its Gram matrix.
* :func:`scaled_gram`: ``V diag(w) V^T`` with the sum over the columns in order.
"""

from __future__ import annotations

import numpy as np

from ._numba import njit
from .errors import GeohazardError


@njit(cache=True)
def _jacobi(a, max_sweeps):
    n = a.shape[0]
    v = np.eye(n)
    scale = 0.0
    for i in range(n):
        for j in range(n):
            scale += a[i, j] * a[i, j]
    tol = scale * 1e-32
    for _ in range(max_sweeps):
        off = 0.0
        for p in range(n):
            for q in range(p + 1, n):
                off += a[p, q] * a[p, q]
        if off <= tol:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p, q]
                if apq == 0.0:
                    continue
                theta = (a[q, q] - a[p, p]) / (2.0 * apq)
                t = 1.0 / (abs(theta) + np.sqrt(theta * theta + 1.0))
                if theta < 0.0:
                    t = -t
                c = 1.0 / np.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # A J
                    akp = a[k, p]
                    akq = a[k, q]
                    a[k, p] = c * akp - s * akq
                    a[k, q] = s * akp + c * akq
                for k in range(n):  # J^T A J
                    apk = a[p, k]
                    aqk = a[q, k]
                    a[p, k] = c * apk - s * aqk
                    a[q, k] = s * apk + c * aqk
                a[p, q] = 0.0
                a[q, p] = 0.0
                for k in range(n):  # V J
                    vkp = v[k, p]
                    vkq = v[k, q]
                    v[k, p] = c * vkp - s * vkq
                    v[k, q] = s * vkp + c * vkq
    lam = np.empty(n)
    for i in range(n):
        lam[i] = a[i, i]
    return lam, v


def sym_eig(a, *, max_sweeps: int = 100):
    """Eigenvalues (ascending) and eigenvectors (columns) of the symmetric matrix ``a``.

    Parameters
    ----------
    a : ndarray, shape (n, n)
        Symmetric (only its symmetric part is meaningful); finite.
    max_sweeps : int
        Upper bound of Jacobi sweeps (quadratic convergence: about 6-10 for n of a few hundred).

    Returns
    -------
    lam : ndarray, shape (n,)
    vec : ndarray, shape (n, n)
        ``a @ vec[:, k] = lam[k] * vec[:, k]``; the same bits on any CPU and thread count.
    """
    m = np.array(a, dtype=np.float64, copy=True)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise GeohazardError(f"sym_eig needs a square matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise GeohazardError("sym_eig: the matrix has NaN or infinite entries")
    m = 0.5 * (m + m.T)
    lam, vec = _jacobi(m, int(max_sweeps))
    order = np.argsort(lam, kind="stable")
    return lam[order], np.ascontiguousarray(vec[:, order])


@njit(cache=True)
def _scaled_gram(v, w):
    n, m = v.shape
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            s = 0.0
            for k in range(m):
                s += v[i, k] * w[k] * v[j, k]
            out[i, j] = s
            out[j, i] = s
    return out


def scaled_gram(v, w):
    """``v @ diag(w) @ v.T`` (shape (n, n)), each entry summed over the columns in order."""
    return _scaled_gram(np.ascontiguousarray(v, dtype=np.float64), np.ascontiguousarray(w, dtype=np.float64))


@njit(cache=True)
def _apply_rows(p, a):
    """``p @ a.T`` for p (m, m) and a (n, m): shape (m, n)."""
    m = p.shape[0]
    n = a.shape[0]
    out = np.zeros((m, n))
    for i in range(m):
        for k in range(n):
            s = 0.0
            for j in range(m):
                s += p[i, j] * a[k, j]
            out[i, k] = s
    return out


def pinv_tall(a, *, rcond: float = 1e-13):
    """Pseudo-inverse (shape (m, n)) of ``a`` (n, m) with few columns: ``V diag(1/lam) V^T a^T`` from the
    eigen-decomposition of ``a^T a``; eigenvalues below ``rcond * max`` count as zero (rank deficiency)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise GeohazardError(f"pinv_tall needs a 2-D matrix, got shape {a.shape}")
    lam, vec = sym_eig(scaled_gram(a.T, np.ones(a.shape[0])))  # a^T a
    keep = lam > rcond * max(float(lam.max()), 0.0) if lam.size else lam > 0
    w = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    return _apply_rows(scaled_gram(vec, w), a)
