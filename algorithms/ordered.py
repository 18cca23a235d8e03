"""Sums and products whose bits do not depend on how the grid is cut into blocks.

The block engine (:mod:`algorithms.engine`) promises the same bytes whatever the block layout,
the thread count, the scheduler or the x86 CPU. Two kinds of arithmetic break that promise when
written the obvious way:

* **a sum over a block's pixels** (``a.sum()``, ``np.nansum(a.reshape(m, -1), axis=1)``, a matrix
  product whose inner dimension is the pixels): numpy sums pairwise in chunks and BLAS in
  kernel-sized panels, so the rounding depends on how many pixels the block holds and where it
  starts; adding the blocks' sums in plan order then depends on the layout as well;
* **a matrix product over the pixels** (``operator @ data`` with one column per pixel,
  ``np.tensordot``, ``np.linalg.lstsq`` with many right-hand sides): OpenBLAS computes the
  columns in groups whose size depends on the CPU kernel (Haswell, SkylakeX ...) and on the
  number of columns, and the columns left over are summed in another order, so a pixel's value
  depends on its neighbours in the block and on the CPU.

The tools use these instead:

* :func:`row_sums` reduces each row over its columns (numpy's pairwise sum along one contiguous
  row: the same bits for a row whatever block it is in), and :class:`RowSums` (or
  :func:`add_rows`) adds such per-row partials **one row at a time in row order**, so a total is
  the same for any block layout, for blocks of whole images, and on any CPU (additions only);
* :func:`columnwise_matmul` computes ``a @ b`` column by column with the inner sum in a fixed
  order (elementwise numpy, no BLAS): each column depends on that column only;
* :func:`sum_first_axis` sums a stack over its first axis (dates, interferograms) in order,
  also when a block holds a single pixel (numpy's reduction would then switch to its pairwise
  sum).
* :func:`spd_solve` and :func:`sym_eigvals` (:func:`spd_condition`) solve and condition the few
  normal equations of a fit (a ramp, a phase-elevation fit) in a fixed order: LAPACK's results
  depend in the last bits on BLAS's thread count (OpenBLAS's ``gesv`` from 6 unknowns, ``syevd``
  from 3), so a desktop run and a Dask worker (one BLAS thread) wrote other bytes.

numpy's elementwise arithmetic (``+ - * /``, ``sqrt``) is exactly rounded and gives the same bits
on every CPU; its transcendental functions do not (see docs/architecture.md, "Determinism").
"""

from __future__ import annotations

from typing import Optional

import numpy as np


def row_sums(a) -> np.ndarray:
    """Sums over the last axis (the columns of each row), float64: ``(..., rows, cols) -> (..., rows)``.

    Each row is reduced on its own (numpy's pairwise sum over one contiguous row), so a row's sum
    does not depend on the other rows of the block.
    """
    return np.add.reduce(np.ascontiguousarray(a, dtype=np.float64), axis=-1)


def add_rows(total: Optional[np.ndarray], partials, axis: int = 0) -> np.ndarray:
    """``total`` plus the row partials ``partials`` (rows along ``axis``), added one row at a time in order.

    ``total`` None starts from the first row. The running sum (:func:`numpy.add.accumulate`) adds
    the rows in sequence, so adding the rows of one block at once, or block after block in row
    order, gives the same bits.
    """
    p = np.moveaxis(np.asarray(partials), axis, 0)
    if p.shape[0] == 0:
        return total if total is not None else np.zeros(p.shape[1:], p.dtype)
    if total is not None:
        p = np.concatenate([np.asarray(total, dtype=np.result_type(total, p))[None], p])
    return np.add.accumulate(p, axis=0)[-1]


class RowSums:
    """Totals of per-row partial sums, added in row order: a writer for the engine's fitting passes.

    A block function returns, for each quantity, its partial sums row by row (first axis: the
    block's rows, e.g. from :func:`row_sums` moved to the front); ``add(row0, parts)`` (the engine
    calls writers in plan order, blocks top to bottom) adds them one row at a time. Quantities
    whose rows are not on the first axis are given in ``row_axis``.

    Raises
    ------
    ValueError
        When blocks arrive out of row order (the totals would then depend on the order).
    """

    def __init__(self, row_axis: Optional[dict] = None):
        self.totals: dict = {}
        self.row_axis = dict(row_axis or {})
        self.next_row = 0

    def add(self, row0: int, parts: dict) -> None:
        if int(row0) != self.next_row:
            raise ValueError(f"row partials must arrive in row order: expected row {self.next_row}, got {row0}")
        n = None
        for k, v in parts.items():
            axis = self.row_axis.get(k, 0)
            self.totals[k] = add_rows(self.totals.get(k), v, axis=axis)
            n = np.shape(v)[axis]
        self.next_row += int(n or 0)

    def __call__(self, block, out: dict) -> None:
        self.add(block.row0, out)

    def result(self) -> dict:
        return dict(self.totals)


def columnwise_matmul(a, b) -> np.ndarray:
    """``a @ b`` for ``a`` ``(k, n)`` and ``b`` ``(n, P)`` (float64), each column summed over ``n`` in order.

    Column ``j`` of the result depends on column ``j`` of ``b`` only (no BLAS: the bits are the
    same whatever ``P``, the column's position and the CPU). For the small ``n`` of a time
    series (dates, interferograms) it costs ``n`` vectorised passes over ``(k, P)``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"columnwise_matmul needs (k, n) and (n, P) arrays, got {a.shape} and {b.shape}")
    k, n = a.shape
    out = np.zeros((k, b.shape[1]))
    tmp = np.empty_like(out)
    for i in range(n):
        np.multiply(a[:, i:i + 1], b[i:i + 1], out=tmp)
        out += tmp
    return out


def sum_first_axis(a) -> np.ndarray:
    """Sum over the first axis, in order: ``a[0] + a[1] + ...`` (the bits of numpy's reduction over the first
    axis of a stack of several pixels, kept when a block holds one pixel)."""
    a = np.asarray(a)
    out = np.array(a[0], copy=True)
    for i in range(1, a.shape[0]):
        out += a[i]
    return out


def spd_solve(a, b) -> np.ndarray:
    """``x`` with ``a x = b`` for symmetric positive-definite ``a`` ``(..., k, k)`` and ``b`` ``(..., k)``: Cholesky
    factor and two substitutions, each inner sum taken by :func:`row_sums` (elementwise numpy, no LAPACK).

    LAPACK's ``gesv`` of OpenBLAS factors on BLAS's threads from ``k`` = 6 on, so its last bits depend on the thread
    count (a desktop run against a Dask worker's); these bits depend on ``a`` and ``b`` only (whatever the batch,
    the threads or the CPU). Several right-hand sides: ``a`` broadcast to their batch. A matrix that is not positive
    definite gives NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    k = a.shape[-1]
    if a.ndim < 2 or a.shape[-2:] != (k, k) or b.shape != a.shape[:-1]:
        raise ValueError(f"spd_solve needs (..., k, k) and (..., k) arrays, got {a.shape} and {b.shape}")
    low = np.zeros(a.shape)
    y = np.zeros(b.shape)
    x = np.zeros(b.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k):
            lj = low[..., j, :j]
            s = a[..., j, j] - row_sums(lj * lj)
            d = np.sqrt(np.where(s > 0, s, np.nan))
            low[..., j, j] = d
            if j + 1 < k:
                s = a[..., j + 1:, j] - row_sums(low[..., j + 1:, :j] * lj[..., None, :])
                low[..., j + 1:, j] = s / d[..., None]
        for i in range(k):
            y[..., i] = (b[..., i] - row_sums(low[..., i, :i] * y[..., :i])) / low[..., i, i]
        for i in range(k - 1, -1, -1):
            x[..., i] = (y[..., i] - row_sums(low[..., i + 1:, i] * x[..., i + 1:])) / low[..., i, i]
    return x


def sym_eigvals(a, *, max_sweeps: int = 60) -> np.ndarray:
    """Eigenvalues (ascending) of symmetric matrices ``a`` ``(..., k, k)`` (finite) by cyclic Jacobi rotations in a
    fixed order (elementwise numpy, no LAPACK; Golub & Van Loan, Matrix Computations, 4th ed., section 8.5).

    For small ``k`` (the terms of a fit): LAPACK's ``syevd`` gives other last bits on another BLAS thread count
    from ``k`` = 3 on. Each matrix of the batch is rotated until its own off-diagonal part is negligible, and a
    matrix at rest is left exactly as it is, so its eigenvalues do not depend on the rest of the batch.
    """
    m = np.array(a, dtype=np.float64, copy=True)
    k = m.shape[-1]
    if m.shape[-2:] != (k, k):
        raise ValueError(f"sym_eigvals needs (..., k, k) arrays, got {m.shape}")
    batch = m.shape[:-2]
    m = m.reshape((-1, k, k))
    m = 0.5 * (m + np.swapaxes(m, 1, 2))
    tol = np.add.reduce((m * m).reshape(m.shape[0], -1), axis=1) * 1e-32
    for _ in range(int(max_sweeps)):
        off = np.zeros(m.shape[0])
        for p in range(k):
            for q in range(p + 1, k):
                off = off + m[:, p, q] * m[:, p, q]
        busy = off > tol
        if not busy.any():
            break
        for p in range(k - 1):
            for q in range(p + 1, k):
                apq = m[:, p, q]
                turn = busy & (apq != 0.0)
                if not turn.any():
                    continue
                theta = (m[:, q, q] - m[:, p, p]) / (2.0 * np.where(turn, apq, 1.0))
                t = 1.0 / (np.abs(theta) + np.sqrt(theta * theta + 1.0))
                t = np.where(theta < 0.0, -t, t)
                c = np.where(turn, 1.0 / np.sqrt(t * t + 1.0), 1.0)
                s = np.where(turn, t * c, 0.0)
                cc, ss = c[:, None], s[:, None]
                mp, mq = m[:, :, p].copy(), m[:, :, q].copy()  # A J
                m[:, :, p] = cc * mp - ss * mq
                m[:, :, q] = ss * mp + cc * mq
                mp, mq = m[:, p, :].copy(), m[:, q, :].copy()  # J^T A J
                m[:, p, :] = cc * mp - ss * mq
                m[:, q, :] = ss * mp + cc * mq
                m[turn, p, q] = 0.0
                m[turn, q, p] = 0.0
    lam = np.sort(np.diagonal(m, axis1=1, axis2=2), axis=1, kind="stable")
    return lam.reshape(batch + (k,))


def spd_condition(a) -> np.ndarray:
    """2-norm condition numbers of symmetric matrices ``a`` ``(..., k, k)`` from :func:`sym_eigvals` (inf for a
    singular matrix): ``np.linalg.cond`` without LAPACK."""
    lam = np.abs(sym_eigvals(a))
    big, small = lam.max(axis=-1), lam.min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(small > 0, big / np.where(small > 0, small, 1.0), np.inf)


__all__ = ["row_sums", "add_rows", "RowSums", "columnwise_matmul", "sum_first_axis", "spd_solve", "sym_eigvals",
           "spd_condition"]


def canonical_nan(a: np.ndarray) -> np.ndarray:
    """``a`` with every NaN made the one quiet NaN of positive sign, in place; returns ``a``.

    A NaN's sign and payload carry no meaning but differ by path: a negation flips the sign bit of a NaN, an operation
    on two NaNs returns one of them by operand order, which a compiler may swap (``a - b`` as ``a + (-b)``) and
    numpy's vector and scalar loops order differently (which elements take which loop depends on the array's
    alignment in memory). Canonical NaNs keep "same input, same bytes" where results hold NaN (a singular station
    of an elastic model, a pixel without data)."""
    np.copyto(a, np.nan, where=np.isnan(a))
    return a
