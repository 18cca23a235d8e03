"""A correction that tears a value off the neighbours it ran on from, refused.

An unwrapping error is a region of one interferogram off by whole cycles: inside it the values run on from one
another (their differences well below a cycle) and across its edge they jump by about a cycle. Its right correction
keeps the values inside the region continuous with each other (they are corrected alike) and removes the jump at its
edge. A correction that leaves a pixel's value, in one interferogram, off by a cycle from every neighbour it ran on
from, and continuous with none of them, is the other way round: it makes a jump where the interferogram had none.

The neighbours asked are those whose own loops all close, their corrections applied (at least one loop with data
and none left open by a whole cycle): their values are what the closures vouch for. A value's correction is refused
(set back to 0) where, among its 4-neighbours with data in that interferogram that are so vouched for, the value ran
on (within :data:`CONTINUOUS` cycle) from at least :data:`MIN_RUN_ON` before the correction and runs on from none
after it. Where fewer neighbours are vouched for, or the value jumped from them before the correction (a slipped
single pixel, a patch's edge, decorrelated ground), the interferogram does not decide and the correction stands.

Judged once, every value on the corrections as they were, so the verdict of a value depends on its pixel's and its
4-neighbours' data and corrections alone (a block read with one row of halo gives the same verdicts).
"""

from __future__ import annotations

import numpy as np

#: Largest difference (cycles) between neighbouring values of an interferogram that still runs on.
CONTINUOUS = 0.3
#: Fewest vouched-for neighbours a value must have run on from before its correction for the correction to be refused.
MIN_RUN_ON = 2
#: Pixels whose loops are taken at a time (bounds the temporaries).
CHUNK_PX = 4096
_OFFSETS = ((0, 1), (1, 0), (0, -1), (-1, 0))


def vouched(x: np.ndarray, u: np.ndarray, px: np.ndarray, index: np.ndarray, offset: np.ndarray,
            scale: float) -> np.ndarray:
    """Whether each pixel ``px`` has a loop with data and every such loop closes (within half a cycle) with its
    corrections ``u`` (M, P) applied to its values ``x`` (M, P) LOS mm (NaN without data); ``index`` (T, 3) the
    loops' interferograms (``x_a + x_b - x_c``), ``offset`` (T,) the network's common closure (cycles), ``scale``
    cycles per mm."""
    out = np.zeros(px.size, bool)
    a, b, c = index[:, 0], index[:, 1], index[:, 2]
    for s0 in range(0, px.size, CHUNK_PX):
        sel = px[s0:s0 + CHUNK_PX]
        xs = x[:, sel]
        with np.errstate(invalid="ignore"):
            clo = (xs[a] + xs[b] - xs[c]) * scale - offset[:, None]
        us = u[:, sel].astype(np.int32)
        shift = us[a] + us[b] - us[c]
        fin = np.isfinite(clo)
        with np.errstate(invalid="ignore"):
            opens = fin & (np.abs(clo + shift) > 0.5)
        out[s0:s0 + CHUNK_PX] = fin.any(axis=0) & ~opens.any(axis=0)
    return out


def torn(x: np.ndarray, u: np.ndarray, rows: int, cols: int, px: np.ndarray, index: np.ndarray,
         offset: np.ndarray, scale: float) -> np.ndarray:
    """(M, n) bool: the corrections ``u[:, px]`` to refuse (module docstring). ``x`` (M, rows * cols) LOS mm (NaN
    without data), ``u`` (M, rows * cols) the cycles of every pixel of the block (those of ``px``'s neighbours
    included), ``px`` pixels (flat indices) whose neighbours are inside the block or off the grid's edge."""
    m = x.shape[0]
    n = px.size
    out = np.zeros((m, n), bool)
    if not n:
        return out
    ks, js = np.nonzero(u[:, px])  # the corrected values: interferogram, column of px
    if not ks.size:
        return out
    p = px[js]
    y, xc = np.divmod(p, cols)
    nbs = []
    for dy, dx in _OFFSETS:
        inside = (y + dy >= 0) & (y + dy < rows) & (xc + dx >= 0) & (xc + dx < cols)
        nbs.append((inside, np.where(inside, p + dy * cols + dx, 0)))
    every = np.unique(np.concatenate([q[ins] for ins, q in nbs]))
    ok_px = np.zeros(x.shape[1], bool)
    ok_px[every] = vouched(x, u, every, index, offset, scale)
    uv = u[ks, p].astype(np.int32)
    xv = x[ks, p]
    run_on = np.zeros(ks.size, np.int8)
    after = np.zeros(ks.size, np.int8)
    for inside, q in nbs:
        with np.errstate(invalid="ignore"):
            d = (xv - x[ks, q]) * scale
        asked = inside & ok_px[q] & np.isfinite(d)
        d = np.where(asked, d, 0.0)
        run_on += asked & (np.abs(d) < CONTINUOUS)
        after += asked & (np.abs(d + (uv - u[ks, q])) < CONTINUOUS)
    hit = (after == 0) & (run_on >= MIN_RUN_ON)
    out[ks[hit], js[hit]] = True
    return out


def refuse_torn(x: np.ndarray, u: np.ndarray, rows: int, cols: int, c0: int, c1: int, index: np.ndarray,
                offset: np.ndarray, scale: float) -> int:
    """Refuse in place (set to 0) the corrections ``u`` (M, rows * cols) of the block's own rows ``c0:c1`` that
    tear their value off the neighbours it ran on from (:func:`torn`); the rows around them are read,
    not changed. Returns the number of values refused."""
    px = np.flatnonzero((u[:, c0 * cols:c1 * cols] != 0).any(axis=0)) + c0 * cols
    if not px.size:
        return 0
    hit = torn(x, u, rows, cols, px, index, offset, scale)
    if not hit.any():
        return 0
    sub = u[:, px]
    sub[hit] = 0
    u[:, px] = sub
    return int(hit.sum())
