"""The loop statistics of the phase-closure correction, in numpy: per loop, the pixels with data, those whose
closure is a whole cycle at least, and each row's sum of squared closures taken in pixel order
(:class:`closure.ClosureStats` adds the rows in row order, so the totals do not depend on the block layout).

A row's sum in pixel order is a chain of additions, one after the other. Along a row (``cumsum``) each addition
waits for the one before; here the rows of a block are added side by side instead: the squares transposed so that
each step adds the next pixel of every row at once (numpy's reduction over the first axis of a C-contiguous array
adds the rows of that axis one after the other into the output, in order). The values are those of the sequential
sum of each row. A single row (the reduction would then run along it, pairwise) keeps the cumulative sum.
"""

from __future__ import annotations

import numpy as np


def row_totals(values: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """The sum of each of the ``n_rows`` rows of ``values`` (``n_rows * n_cols``, row after row) in pixel order:
    ``((v0 + v1) + v2) + ...``, as ``np.cumsum(values.reshape(n_rows, n_cols), axis=1)[:, -1]`` gives it."""
    rows = values.reshape(n_rows, n_cols)
    if n_rows < 2 or n_cols < 2:
        return np.cumsum(rows, axis=1)[:, -1] if n_cols else np.zeros(n_rows)
    # (n_cols, n_rows), C-contiguous: the reduction over the first axis adds pixel j of every row at step j
    return np.add.reduce(np.ascontiguousarray(rows.T), axis=0)


def row_sums(c, finite, nonzero, t, n_cols, row0, n_rows, pixels, sum_sq, nonclosing) -> None:
    """The sums of loop ``t`` from its closures ``c`` (cycles) over the block's pixels, their finiteness and
    ``rint(c) != 0`` (``nonzero``), for the rows ``row0 .. row0 + n_rows`` (``n_cols`` pixels each): ``pixels[t]``
    those with data, ``nonclosing[t]`` those of them whose closure is a cycle at least, ``sum_sq[t, :n_rows]``
    each row's sum of squared closures (0 where no data)."""
    cols = slice(row0 * n_cols, (row0 + n_rows) * n_cols)
    f = finite[cols]
    squares = c[cols] * c[cols]
    np.copyto(squares, 0.0, where=~f)
    sum_sq[t, :n_rows] = row_totals(squares, n_rows, n_cols)
    pixels[t] = float(np.count_nonzero(f))
    nonclosing[t] = float(np.count_nonzero(f & nonzero[cols]))
