"""A correction that tears a value off the neighbours it ran on from, refused.

An unwrapping error is a region of one interferogram off by whole cycles: inside it the values run on from one
another (their differences well below a cycle) and across its edge they jump by about a cycle. Its right correction
keeps the values inside the region continuous with each other (they are corrected alike) and removes the jump at its
edge. A correction that leaves a pixel's value, in one interferogram, off by a cycle from every neighbour it ran on
from, and continuous with none of them, is the other way round: it makes a jump where the interferogram had none.

The neighbours asked are those whose own loops all close, their corrections applied (at least one loop with data
and none left open by a whole cycle): their values are what the closures vouch for. A value's correction tears it
off them where, among its 4-neighbours with data in that interferogram that are so vouched for, the value ran on
(within :data:`CONTINUOUS` cycle) from at least :data:`MIN_RUN_ON` before the correction and runs on from none after
it. Such a correction is refused (set back to 0) where the neighbours that show the tear carry the pixel's own
corrections of every other interferogram sharing a loop with it (they explain the pixel's other values as the pixel
does), or where the pixel's own loops do not ask for it (no loop near whole cycles that it closes, more than it
opens: a window's or a component's correction). A neighbour whose loops close with other slips taken (a date's pairs
shifted otherwise: closures that tell the two apart by a loop or two) vouches for another answer, and against the
pixel's own loops it does not prevail. Where fewer neighbours are vouched for, or the value jumped from them before
the correction (a slipped single pixel, a patch's edge, decorrelated ground), the interferogram does not decide and
the correction stands.

Judged once, every value on the corrections as they were, so the verdict of a value depends on its pixel's and its
4-neighbours' data and corrections alone (a block read with one row of halo gives the same verdicts).

Last of the run, :func:`neighbour_ring` sets each correction against its 8 neighbours': one none of them carries is
refused, and one all of them carry otherwise is taken where the pixel's own loops close better with it.
"""

from __future__ import annotations

import numpy as np

#: Largest difference (cycles) between neighbouring values of an interferogram that still runs on.
CONTINUOUS = 0.3
#: Fewest vouched-for neighbours a value must have run on from before its correction for the correction to be refused.
MIN_RUN_ON = 2
#: Distance (cycles) from whole cycles within which a loop's closure testifies (1.5 rad).
NEAR_WHOLE = 1.5 / (2.0 * np.pi)
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
        xs = np.take(x, sel, axis=1)  # (the values of x[:, sel]; np.take gathers them faster)
        with np.errstate(invalid="ignore"):
            clo = (xs[a] + xs[b] - xs[c]) * scale - offset[:, None]
        us = np.take(u, sel, axis=1).astype(np.int32)
        shift = us[a] + us[b] - us[c]
        fin = np.isfinite(clo)
        with np.errstate(invalid="ignore"):
            opens = fin & (np.abs(clo + shift) > 0.5)
        out[s0:s0 + CHUNK_PX] = fin.any(axis=0) & ~opens.any(axis=0)
    return out


def asked_for(xp: np.ndarray, up: np.ndarray, ks: np.ndarray, index: np.ndarray, offset: np.ndarray, scale: float,
              max_frac: float) -> np.ndarray:
    """Whether the pixel's own loops ask for each correction ``up[ks[i], i]`` (``xp`` (M, n) the pixels' values LOS
    mm, ``up`` (M, n) their corrections): of the loops holding interferogram ``ks[i]`` whose closure (``offset``
    removed) is within ``max_frac`` cycle of whole cycles, at least one open without the correction closes with it
    (the pixel's other corrections applied), and more than the reverse."""
    a, b, c = index[:, 0], index[:, 1], index[:, 2]
    with np.errstate(invalid="ignore"):
        clo = (xp[a] + xp[b] - xp[c]) * scale - offset[:, None]
        usable = np.isfinite(clo) & (np.abs(clo - np.rint(clo)) <= max_frac)
    clo = np.where(usable, clo, 0.0)
    with_it = clo + (up[a] + up[b] - up[c])
    sign = ((a[:, None] == ks[None, :]).astype(np.int32) + (b[:, None] == ks[None, :])
            - (c[:, None] == ks[None, :]))
    without = with_it - sign * up[ks, np.arange(ks.size)][None, :]
    holds = usable & (sign != 0)
    open_with, open_without = np.rint(with_it) != 0, np.rint(without) != 0
    closes = (holds & open_without & ~open_with).sum(axis=0)
    opens = (holds & ~open_without & open_with).sum(axis=0)
    return (closes >= 1) & (closes > opens)


def _tears(x, u, ks, p, q_of, ok_px, scale, alike=None) -> np.ndarray:
    """Whether each corrected value (interferogram ``ks``, pixel ``p``) ran on from at least MIN_RUN_ON of its
    vouched-for neighbours (``ok_px``; ``q_of`` the 4 directions' (inside, neighbour) arrays; with ``alike`` (4, n)
    only those) before its correction and from none after it."""
    xv = x[ks, p]
    uv = u[ks, p].astype(np.int32)
    run_on = np.zeros(ks.size, np.int8)
    after = np.zeros(ks.size, np.int8)
    for i, (inside, q) in enumerate(q_of):
        with np.errstate(invalid="ignore"):
            d = (xv - x[ks, q]) * scale
        asked = inside & ok_px[q] & np.isfinite(d)
        if alike is not None:
            asked &= alike[i]
        d = np.where(asked, d, 0.0)
        run_on += asked & (np.abs(d) < CONTINUOUS)
        after += asked & (np.abs(d + (uv - u[ks, q])) < CONTINUOUS)
    return (after == 0) & (run_on >= MIN_RUN_ON)


def torn(x: np.ndarray, u: np.ndarray, rows: int, cols: int, px: np.ndarray, index: np.ndarray,
         offset: np.ndarray, scale: float, max_frac: float = NEAR_WHOLE) -> np.ndarray:
    """(M, n) bool: the corrections ``u[:, px]`` to refuse (module docstring). ``x`` (M, rows * cols) LOS mm (NaN
    without data), ``u`` (M, rows * cols) the cycles of every pixel of the block (those of ``px``'s neighbours
    included), ``px`` pixels (flat indices) whose neighbours are inside the block or off the grid's edge; ``index``
    (T, 3) the loops, ``offset`` (T,) the network's common closure (cycles), ``scale`` cycles per mm, ``max_frac``
    the distance from whole cycles within which a loop of the pixel testifies."""
    m = x.shape[0]
    out = np.zeros((m, px.size), bool)
    if not px.size:
        return out
    ks, js = np.nonzero(np.take(u, px, axis=1))  # the corrected values: interferogram, column of px
    if not ks.size:
        return out
    p = px[js]
    y, xc = np.divmod(p, cols)
    q_of = []
    for dy, dx in _OFFSETS:
        inside = (y + dy >= 0) & (y + dy < rows) & (xc + dx >= 0) & (xc + dx < cols)
        q_of.append((inside, np.where(inside, p + dy * cols + dx, 0)))
    every = np.unique(np.concatenate([q[ins] for ins, q in q_of]))
    ok_px = np.zeros(x.shape[1], bool)
    ok_px[every] = vouched(x, u, every, index, offset, scale)
    hit = np.flatnonzero(_tears(x, u, ks, p, q_of, ok_px, scale))
    if not hit.size:
        return out
    ks, js, p = ks[hit], js[hit], p[hit]
    q_of = [(inside[hit], q[hit]) for inside, q in q_of]
    # the witnesses that carry the pixel's corrections of the interferograms sharing a loop with the value's
    partner = np.zeros((m, m), bool)
    for i in range(3):
        for j in range(3):
            if i != j:
                partner[index[:, i], index[:, j]] = True
    near = partner[:, ks]  # (M, n)
    up = u[:, p]
    has_p = np.isfinite(x[:, p])
    alike = np.array([~(near & has_p & np.isfinite(x[:, q]) & (up != u[:, q])).any(axis=0) for _, q in q_of])
    refuse = _tears(x, u, ks, p, q_of, ok_px, scale, alike)
    refuse |= ~asked_for(x[:, p], up.astype(np.int32), ks, index, offset, scale, max_frac)
    out[ks[refuse], js[refuse]] = True
    return out


def refuse_torn(x: np.ndarray, u: np.ndarray, rows: int, cols: int, c0: int, c1: int, index: np.ndarray,
                offset: np.ndarray, scale: float, max_frac: float = NEAR_WHOLE) -> int:
    """Refuse in place (set to 0) the corrections ``u`` (M, rows * cols) of the block's own rows ``c0:c1`` that
    tear their value off the neighbours it ran on from (:func:`torn`, the other arguments as there); the rows around
    them are read, not changed. Returns the number of values refused."""
    px = np.flatnonzero((u[:, c0 * cols:c1 * cols] != 0).any(axis=0)) + c0 * cols
    if not px.size:
        return 0
    hit = torn(x, u, rows, cols, px, index, offset, scale, max_frac)
    if not hit.any():
        return 0
    sub = u[:, px]
    sub[hit] = 0
    u[:, px] = sub
    return int(hit.sum())


#: Fewest of a value's 8 neighbours with data in its interferogram for :func:`neighbour_ring` to judge it lone.
LONE_MIN_NEIGHBOURS = 3


def neighbour_ring(u: np.ndarray, has: np.ndarray, x: np.ndarray, rows: int, cols: int, c0: int, c1: int,
                   index: np.ndarray, offset: np.ndarray, scale: float, max_frac: float = NEAR_WHOLE) -> tuple:
    """The corrections ``u`` (M, rows * cols) of the rows ``c0:c1`` set against their 8 neighbours', in place:
    a value none of its neighbours with data in its interferogram carries (at least :data:`LONE_MIN_NEIGHBOURS` of
    them with data) is refused (set to 0), and a pixel takes, on the values where all 8 neighbours have data and
    carry one correction other than its own, that correction where it leaves fewer of the pixel's own loops open
    (loops with data within ``max_frac`` of whole cycles: ``x`` (M, rows * cols) LOS mm, NaN without data, ``index``
    (T, 3), ``offset`` (T,) cycles, ``scale`` cycles per mm). Every verdict is made on the corrections as they were
    (one row of halo gives the same); the rows around are read, not changed. Returns (values refused, values taken).

    An unwrapping error is a region, and what proposes a correction sees regions: a window's closures, a component's
    decision, a neighbour's corrections. A value corrected unlike every neighbour is where the noise chose (a twin of
    the region's slips on a decorrelated pixel, a patch's rim read from half a window). Of such values (wrong /
    right): 37 / 17 on the practice stack's 48 variants, 34 / 260 on the tester generator (a lone pixel's error, left
    as it was), 53 / 51 on the world generator, 325 / 237 on a decorrelated scenario's 40 seeds. A pixel inside a
    region corrected alike that took a twin of the region's slips on a few values (the closures cannot tell them)
    takes the region's where its own loops close better with it."""
    if c1 <= c0:
        return 0, 0
    m = u.shape[0]
    r0, r1 = max(c0 - 1, 0), min(c1 + 1, rows)
    grid = u[:, r0 * cols:r1 * cols].reshape(m, r1 - r0, cols)
    data = has[:, r0 * cols:r1 * cols].reshape(m, r1 - r0, cols)
    top, h = c0 - r0, c1 - c0
    own = grid[:, top:top + h]
    own_data = data[:, top:top + h]
    same = np.zeros(own.shape, bool)
    with_data = np.zeros(own.shape, np.int8)
    lo = np.full(own.shape, np.iinfo(np.int16).max, np.int32)  # the least and the most of the neighbours' values
    hi = np.full(own.shape, np.iinfo(np.int16).min, np.int32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            y0, y1 = top + dy, top + dy + h  # the neighbours' rows in the grid read
            ys = slice(max(y0, 0), min(y1, r1 - r0))
            yo = slice(ys.start - y0, ys.stop - y0)  # the own rows that have them
            xs, xo = (slice(dx, cols), slice(0, cols - dx)) if dx >= 0 else (slice(0, cols + dx), slice(-dx, cols))
            nd, nv = data[:, ys, xs], grid[:, ys, xs]
            with_data[:, yo, xo] += nd
            same[:, yo, xo] |= nd & (nv == own[:, yo, xo])
            lo[:, yo, xo] = np.where(nd, np.minimum(lo[:, yo, xo], nv), lo[:, yo, xo])
            hi[:, yo, xo] = np.where(nd, np.maximum(hi[:, yo, xo], nv), hi[:, yo, xo])
    lone = (own != 0) & own_data & ~same & (with_data >= LONE_MIN_NEIGHBOURS)
    after = np.where(lone, 0, own).reshape(m, -1)
    unanimous = (own_data & (with_data == 8) & (lo == hi) & (lo != own)).reshape(m, -1)
    n_taken = 0
    a, b, c = index[:, 0], index[:, 1], index[:, 2]
    asked = np.flatnonzero(unanimous.any(axis=0))
    for s0 in range(0, asked.size, CHUNK_PX):
        px = asked[s0:s0 + CHUNK_PX]
        cand = np.where(unanimous[:, px], lo.reshape(m, -1)[:, px], after[:, px])
        base = after[:, px].astype(np.int32)
        xs = np.take(x, px + c0 * cols, axis=1)
        with np.errstate(invalid="ignore"):
            clo = (xs[a] + xs[b] - xs[c]) * scale - offset[:, None]
        k = np.rint(np.nan_to_num(clo))
        usable = np.isfinite(clo) & (np.abs(np.nan_to_num(clo) - k) <= max_frac)
        opened = [(usable & (k + w[a] + w[b] - w[c] != 0)).sum(axis=0) for w in (cand, base)]
        take = opened[0] < opened[1]
        n_taken += int((cand[:, take] != base[:, take]).sum())
        after[:, px[take]] = cand[:, take]
    n_lone = int(lone.sum())
    if n_lone or n_taken:
        u[:, c0 * cols:c1 * cols] = after
    return n_lone, n_taken
