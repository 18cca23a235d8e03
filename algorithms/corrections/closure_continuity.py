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

Last of the run, :func:`neighbour_ring` sets each correction against its neighbours': one none of its 8 neighbours
carries is refused, and a small region of one interferogram's corrections whose every neighbour carries one other
correction is given it where the loops of its pixels, counted together, close better with it.
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
#: Largest height and width (pixels) of a region of one interferogram's corrections that :func:`neighbour_ring`
#: sets against the values around it, and of a group of such regions judged together.
REGION_PX = 6
#: Rows beyond a block's own that :func:`neighbour_ring` reads: a group (``REGION_PX`` rows) and the regions of the
#: pixels around it (``REGION_PX`` rows more), found on the values after the lone ones are refused (a row more).
RING_ROWS = 2 * REGION_PX + 1
_EIGHT = np.ones((3, 3), bool)


def neighbour_ring(u: np.ndarray, has: np.ndarray, x: np.ndarray, rows: int, cols: int, c0: int, c1: int,
                   index: np.ndarray, offset: np.ndarray, scale: float, max_frac: float = NEAR_WHOLE) -> tuple:
    """The corrections ``u`` (M, rows * cols) of the rows ``c0:c1`` set against their neighbours', in place.

    First a value none of its 8 neighbours with data in its interferogram carries (at least
    :data:`LONE_MIN_NEIGHBOURS` of them with data) is refused (set to 0). Then, on the values so left, a *region*
    (the 8-connected values of one interferogram with data and one correction) at most :data:`REGION_PX` pixels high
    and wide, every one of whose 8-neighbours (at the grid's edge, those inside it) has data and carries one other
    correction, is *enclosed*: its pixels
    are offered that correction. The pixels offered something form groups (8-connected, linked as said below); a
    group at most :data:`REGION_PX` high and wide takes what it is offered where that leaves fewer of its pixels' own
    loops open in all (loops with data within ``max_frac`` of whole cycles: ``x`` (M, rows * cols) LOS mm, NaN
    without data, ``index`` (T, 3), ``offset`` (T,) cycles, ``scale`` cycles per mm). Every verdict is made on the
    corrections as they were: the rows read beyond ``c0:c1`` (:data:`RING_ROWS` of halo give the same verdicts) are
    not changed.
    Returns (values refused, values taken).

    An unwrapping error is a region, and what proposes a correction sees regions: a window's closures, a component's
    decision, a neighbour's corrections. A value corrected unlike every neighbour is where the noise chose (a twin of
    the region's slips on a decorrelated pixel, a patch's rim read from half a window). Of such values (wrong /
    right): 37 / 17 on the practice stack's 48 variants, 34 / 260 on the tester generator (a lone pixel's error, left
    as it was), 53 / 51 on the world generator, 325 / 237 on a decorrelated scenario's 40 seeds. A few pixels inside
    a region corrected alike that took a twin of the region's slips (on decorrelated ground the closures of one pixel
    can hardly tell them: on a practice variant, six pixels of coherence 0.3 with one date's five pairs off by a
    cycle, each pixel's loops opening one loop more or as many) take the region's where their loops, counted
    together, close better with it. A hole in a small patch is not grouped with the patch, which is offered the
    ground's correction: neighbours are grouped where they are offered the same change of each interferogram both
    are offered one."""
    if c1 <= c0:
        return 0, 0
    m = u.shape[0]
    r0, r1 = max(c0 - RING_ROWS, 0), min(c1 + RING_ROWS, rows)
    n = r1 - r0
    grid = u[:, r0 * cols:r1 * cols].reshape(m, n, cols).astype(np.int32)
    data = has[:, r0 * cols:r1 * cols].reshape(m, n, cols)
    top = c0 - r0
    after = grid.copy()
    n_lone = 0
    for k in range(m):  # the lone values refused (those of the outermost rows read are not used)
        lone = _lone(grid[k], data[k])
        n_lone += int(lone[top:top + c1 - c0].sum())
        after[k][lone] = 0
    offer = after.copy()
    for k in range(m):
        _enclosed(after[k], data[k], offer[k], (r0 == 0, r1 == rows))
    taken = _taken(after.reshape(m, -1), offer.reshape(m, -1), x[:, r0 * cols:r1 * cols], n, cols, index, offset,
                   scale, max_frac)
    taken[:top * cols] = False
    taken[(top + c1 - c0) * cols:] = False
    after = after.reshape(m, -1)
    n_taken = int((offer.reshape(m, -1)[:, taken] != after[:, taken]).sum())
    after[:, taken] = offer.reshape(m, -1)[:, taken]
    own = after[:, top * cols:(top + c1 - c0) * cols]
    if n_lone or n_taken:
        u[:, c0 * cols:c1 * cols] = own
    return n_lone, n_taken


def _neighbours(a: np.ndarray, fill):
    """The 8 shifted views of ``a`` (n, cols): for each offset, the neighbour's value at every pixel (``fill`` off
    the array)."""
    n, cols = a.shape
    pad = np.full((n + 2, cols + 2), fill, a.dtype)
    pad[1:-1, 1:-1] = a
    return [pad[1 + dy:1 + dy + n, 1 + dx:1 + dx + cols] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def _lone(g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(n, cols) bool: the corrected values of one interferogram (``g`` cycles, ``d`` data) none of whose 8
    neighbours with data carries their correction, with at least LONE_MIN_NEIGHBOURS neighbours with data."""
    same = np.zeros(g.shape, bool)
    with_data = np.zeros(g.shape, np.int8)
    for nv, nd in zip(_neighbours(g, 0), _neighbours(d, False)):
        with_data += nd
        same |= nd & (nv == g)
    return (g != 0) & d & ~same & (with_data >= LONE_MIN_NEIGHBOURS)


def _enclosed(g: np.ndarray, d: np.ndarray, offer: np.ndarray, edges: tuple = (False, False)) -> None:
    """Into ``offer`` (n, cols), for one interferogram (``g`` cycles, ``d`` data), the correction around each
    enclosed region (:func:`neighbour_ring`) on its pixels. A region touching the first or last row read is not
    enclosed where the grid goes on beyond it (``edges``: whether the first and the last row read are the grid's):
    beyond the rows read it may go on. At the grid's edge (its sides, and those rows) its ring is the neighbours
    inside the grid."""
    from scipy import ndimage

    n, cols = g.shape
    if not d.any():
        return
    vals = np.unique(g[d])
    if vals.size < 2:
        return
    lab = np.zeros(g.shape, np.int64)
    n_lab = 0
    for v in vals:
        lv, nv = ndimage.label(d & (g == v), structure=_EIGHT)
        lab += np.where(lv > 0, lv + n_lab, 0)
        n_lab += nv
    small = np.zeros(n_lab + 1, bool)
    for i, sl in enumerate(ndimage.find_objects(lab)):
        if sl is not None:
            ys, xs = sl
            small[i + 1] = (ys.stop - ys.start <= REGION_PX and xs.stop - xs.start <= REGION_PX
                            and (ys.start > 0 or edges[0]) and (ys.stop < n or edges[1]))
    if not small.any():
        return
    lo = np.full(n_lab + 1, np.iinfo(np.int32).max, np.int64)
    hi = np.full(n_lab + 1, np.iinfo(np.int32).min, np.int64)
    whole = small.copy()
    inside = small[lab]
    in_grid = np.ones(g.shape, bool)
    for nl, nv, nd, ni in zip(_neighbours(lab, 0), _neighbours(g, 0), _neighbours(d, False),
                              _neighbours(in_grid, False)):
        edge = inside & (nl != lab) & ni
        own = lab[edge]
        np.minimum.at(lo, own, nv[edge])
        np.maximum.at(hi, own, nv[edge])
        whole[own[~nd[edge]]] = False
    enclosed = whole & (lo == hi)
    hit = enclosed[lab]
    offer[hit] = lo[lab[hit]]


def _taken(after: np.ndarray, offer: np.ndarray, x: np.ndarray, rows: int, cols: int, index: np.ndarray,
           offset: np.ndarray, scale: float, max_frac: float) -> np.ndarray:
    """(rows * cols,) bool: the pixels of the groups (:func:`neighbour_ring`) that take what they are offered
    (``offer`` against ``after``, both (M, rows * cols) cycles; ``x`` their values LOS mm)."""
    taken = np.zeros(rows * cols, bool)
    px = np.flatnonzero((offer != after).any(axis=0))
    if not px.size:
        return taken
    group, n_groups = _groups(np.take(offer, px, axis=1) - np.take(after, px, axis=1), px, cols)
    fits = np.ones(n_groups, bool)
    for at in np.divmod(px, cols):  # the groups' extent: rows, then columns
        first = np.full(n_groups, np.iinfo(np.int64).max, np.int64)
        last = np.full(n_groups, -1, np.int64)
        np.minimum.at(first, group, at)
        np.maximum.at(last, group, at)
        fits &= last - first < REGION_PX
    a, b, c = index[:, 0], index[:, 1], index[:, 2]
    opened = np.zeros((2, n_groups), np.int64)
    for s0 in range(0, px.size, CHUNK_PX):
        sel = px[s0:s0 + CHUNK_PX]
        xs = np.take(x, sel, axis=1)
        with np.errstate(invalid="ignore"):
            clo = (xs[a] + xs[b] - xs[c]) * scale - offset[:, None]
        k = np.rint(np.nan_to_num(clo))
        usable = np.isfinite(clo) & (np.abs(np.nan_to_num(clo) - k) <= max_frac)
        for i, w in enumerate((offer, after)):
            ws = np.take(w, sel, axis=1)
            n_open = (usable & (k + ws[a] + ws[b] - ws[c] != 0)).sum(axis=0)
            opened[i] += np.bincount(group[s0:s0 + CHUNK_PX], n_open, n_groups).astype(np.int64)
    take = fits & (opened[0] < opened[1])
    taken[px] = take[group]
    return taken


def _groups(change: np.ndarray, px: np.ndarray, cols: int) -> tuple:
    """The groups of pixels ``px`` (sorted flat indices of a grid ``cols`` wide) offered a ``change`` (M, n): linked
    where 8-neighbours are offered a change of one interferogram at least and the same change of every
    interferogram both are offered one (a hole in a small patch offered the patch's correction is not linked to the
    patch offered the ground's). Returns (group of each pixel (n,), number of groups)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    xc = px % cols
    src, dst = [], []
    offered = change != 0
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):  # each neighbour pair once
        q = px + dy * cols + dx
        j = np.minimum(np.searchsorted(px, q), px.size - 1)
        near = np.flatnonzero((px[j] == q) & (xc + dx >= 0) & (xc + dx < cols))
        j = j[near]
        both = offered[:, near] & offered[:, j]
        alike = both.any(axis=0) & ~(both & (change[:, near] != change[:, j])).any(axis=0)
        src.append(near[alike])
        dst.append(j[alike])
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(src.size, np.int8), (src, dst)), shape=(px.size, px.size))
    n, group = connected_components(graph, directed=False)
    return group, n
