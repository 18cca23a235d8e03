"""The phase-closure correction's neighbourhood steps as first written (loop by loop, pixel chunk by pixel chunk,
every pixel of a chunk on each pass): the reference the faster forms of :mod:`closure_consensus` are checked
against, value for value, on random inputs (tests/core/test_corrections_closure_fast.py)."""

from __future__ import annotations

import numpy as np

from insar_geohazards.algorithms.corrections.closure_consensus import (
    _NEIGHBOURS,
    CHUNK_PX,
    GROW_NEIGHBOURS,
    MAJORITY,
    MIN_GAIN,
    MIN_QUALITY,
    MIN_USABLE,
    MISSING,
    NEAR_WHOLE,
    OWN_GAIN,
    VOTE_QUALITY,
    WINDOW_PX,
)


def box_counts(mask: np.ndarray, half: int) -> np.ndarray:
    """Count of True in the ``(2 half + 1)`` square window around every pixel of ``mask`` (rows, cols), clipped
    at the edges of the array (int32; exact integer sums, so the counts do not depend on where a block starts)."""
    m = np.asarray(mask, np.int32)
    rows, cols = m.shape
    s = np.zeros((rows + 1, cols + 1), np.int32)
    np.cumsum(np.cumsum(m, axis=0), axis=1, out=s[1:, 1:])
    r0 = np.clip(np.arange(rows) - half, 0, rows)
    r1 = np.clip(np.arange(rows) + half + 1, 0, rows)
    c0 = np.clip(np.arange(cols) - half, 0, cols)
    c1 = np.clip(np.arange(cols) + half + 1, 0, cols)
    return (s[r1][:, c1] - s[r0][:, c1] - s[r1][:, c0] + s[r0][:, c0]).astype(np.int32)


def consensus_keys(key: np.ndarray, finite: np.ndarray, rows: int, cols: int, *, window_px: int = WINDOW_PX,
                   majority: float = MAJORITY, min_usable: float = MIN_USABLE,
                   quality: float = MIN_QUALITY) -> tuple:
    """The integer closure of each loop that a pixel's window agrees on, and where a loop is too noisy to testify.

    ``key`` (T, rows * cols) int16: the pixels' own integer closures, :data:`MISSING` where unusable (no data, or
    the closure too far from whole cycles); ``finite`` (T, rows * cols) bool: the loop has data at the pixel.
    Returns ``(agreed, noisy)``: ``agreed`` the same shape as ``key``, each value the one more than ``majority``
    of the window's usable closures of that loop share, :data:`MISSING` where none does, where fewer than
    ``min_usable`` of the window's pixels have one, or fewer than :data:`VOTE_QUALITY` of its closures with data are
    usable; ``noisy`` (T, rows * cols) bool, where fewer than ``quality`` of the window's closures with data are
    usable (decorrelated ground: its closures are spread over the whole cycle, and a pixel's own closure there says
    nothing)."""
    half = int(window_px) // 2
    area = (2 * half + 1) ** 2
    out = np.full(key.shape, MISSING, np.int16)
    noisy = np.zeros(key.shape, bool)
    for t in range(key.shape[0]):
        k = key[t].reshape(rows, cols)
        usable = k != MISSING
        n = box_counts(usable, half)
        with_data = box_counts(finite[t].reshape(rows, cols), half)
        bad = n < quality * with_data
        enough = (n >= min_usable * area) & (n >= VOTE_QUALITY * with_data)
        zero = box_counts(usable & (k == 0), half)
        res = np.where(enough & (zero > majority * n), np.int16(0), MISSING)
        values = np.unique(k[usable & (k != 0)])
        for v in values:  # a value other than 0 can hold the majority only where some pixels carry it
            c = box_counts(k == v, half)
            res = np.where(enough & (c > majority * n), np.int16(v), res)
        out[t] = res.reshape(-1)
        noisy[t] = bad.reshape(-1)
    return out, noisy


def noisy_loops(key: np.ndarray, finite: np.ndarray, rows: int, cols: int, *, window_px: int = WINDOW_PX,
                quality: float = MIN_QUALITY) -> np.ndarray:
    """The ``noisy`` mask of :func:`consensus_keys` alone (T, rows * cols) bool: where fewer than ``quality`` of a
    loop's closures with data in the window are usable."""
    half = int(window_px) // 2
    out = np.zeros(key.shape, bool)
    for t in range(key.shape[0]):
        n = box_counts((key[t] != MISSING).reshape(rows, cols), half)
        out[t] = (n < quality * box_counts(finite[t].reshape(rows, cols), half)).reshape(-1)
    return out


def keep_supported(u: np.ndarray, own, px: np.ndarray, loops: np.ndarray, signs: np.ndarray,
                   index: np.ndarray, blind: np.ndarray | None = None, strict: bool = True) -> int:
    """Drop the corrections of the pixels ``px`` that their own loops do not ask for. A correction ``u[m, p]`` that
    opens the pixel's loops of ``m`` with data (they close worse with it than without it by more than
    ``1 - MIN_GAIN`` cycle, the other corrections of the pixel as they are), or that has no such loop, goes, the
    worst of the pixel first, until none does; then the pixel's corrections stay only if together they close the
    loops they touch better by :data:`MIN_GAIN` cycle per corrected interferogram (two slips sharing a loop each
    need the other; a noisy loop weakens one of them, not the pair). The loops' closeness is the sum of the
    distances of their closures to 0
    (``own(px)``: (T, n) closures in cycles, the network's common closure removed, NaN without data; a noisy
    closure near half a cycle still says which way it leans). ``u`` (M, P) is updated in place; returns the number
    of values dropped."""
    dropped = 0
    for s0 in range(0, px.size, CHUNK_PX):  # pixel by pixel: chunks bound the temporaries, not the verdicts
        dropped += _keep_supported(u, own, px[s0:s0 + CHUNK_PX], loops, signs, index,
                                   None if blind is None else blind[:, s0:s0 + CHUNK_PX], strict)
    return dropped


def _keep_supported(u, own, px, loops, signs, index, blind, strict=True) -> int:
    dropped = 0
    clo = own(px).astype(np.float32)
    usable = np.isfinite(clo)
    clo[~usable] = 0.0

    def residual(up):
        return clo + (up[index[:, 0]] + up[index[:, 1]] - up[index[:, 2]])

    up = u[:, px].astype(np.int32)
    unseen = np.zeros(up.shape, bool)  # corrections standing without a loop of their own (blind)

    def drop_worst(threshold):  # the worst correction of each pixel below ``threshold`` goes, until none is
        n_dropped = 0
        for _ in range(u.shape[0]):
            res = residual(up)
            worst = np.full(px.size, np.inf, np.float32)
            which = np.full(px.size, -1, np.int64)
            for m in np.flatnonzero((up != 0).any(axis=1)):
                sel = np.flatnonzero(up[m] != 0)
                lp, sg = loops[m], signs[m]
                r = res[lp][:, sel]
                ok = usable[lp][:, sel] & (sg != 0)[:, None]
                with_it = np.where(ok, np.abs(r), 0.0).sum(axis=0)
                without = np.where(ok, np.abs(r - (sg[:, None] * up[m, sel][None, :])), 0.0).sum(axis=0)
                gain = (without - with_it).astype(np.float32)
                none = ~ok.any(axis=0)
                free = none & (blind[m, sel] if blind is not None else False)
                unseen[m, sel] = free
                gain[none & ~free] = -np.inf  # no loop of its own to ask: not applied
                gain[free] = np.inf  # nothing to ask: stands as given
                lower = gain < worst[sel]
                worst[sel[lower]] = gain[lower]
                which[sel[lower]] = m
            bad = np.flatnonzero(worst < threshold)
            if not bad.size:
                break
            up[which[bad], bad] = 0
            n_dropped += bad.size
        return n_dropped

    dropped += drop_worst(MIN_GAIN - 1.0)  # a correction its own loops reject (it opens them), the worst first
    if not strict:  # a component's decision: kept where the pixel's loops do not open with it
        u[:, px] = up.astype(u.dtype)
        return dropped
    # what is left must close the pixel's loops it touches by MIN_GAIN a corrected interferogram, together
    n = ((up != 0) & ~unseen).sum(axis=0)
    touched = (np.abs(np.sign(up))[index[:, 0]] + np.abs(np.sign(up))[index[:, 1]]
               + np.abs(np.sign(up))[index[:, 2]]) > 0
    before = np.where(usable & touched, np.abs(clo), 0.0).sum(axis=0)
    after = np.where(usable & touched, np.abs(residual(up)), 0.0).sum(axis=0)
    weak = (n > 0) & (before - after < MIN_GAIN * n)
    weak |= (n == 0) & ~(unseen & (up != 0)).any(axis=0)
    dropped += int(n[weak].sum())
    up[:, weak] = 0
    # and each must close its own loops by MIN_GAIN, the others as they are: a correction the pixel's loops do not
    # ask for does not ride on the gains of its other corrections
    dropped += drop_worst(OWN_GAIN)
    # and close one of them at least (of two or more near whole cycles): a cycle taken off a value two cycles off
    # (a window over the edge between a +1 and a +2 patch agrees on the +1) gains a cycle in every loop and leaves
    # them all open, where a right correction beside a slip left alone still closes its loops without that slip
    res = residual(up)
    near = usable & (np.abs(clo - np.rint(clo)) <= NEAR_WHOLE)  # loops a closure near whole cycles testifies in
    short = 0
    for m in np.flatnonzero((up != 0).any(axis=1)):
        sel = np.flatnonzero((up[m] != 0) & ~unseen[m])
        ok = near[loops[m]][:, sel] & (signs[m] != 0)[:, None]
        still = (ok & (np.rint(res[loops[m]][:, sel]) != 0)).sum(axis=0)
        n_ok = ok.sum(axis=0)
        bad = sel[(still == n_ok) & (n_ok >= 2)]
        up[m, bad] = 0
        short += bad.size
    if short:
        dropped += short + drop_worst(OWN_GAIN)
    u[:, px] = up.astype(u.dtype)
    return dropped


def settle(u: np.ndarray, own, loops, signs, index, strict: bool = True) -> int:
    """The pixels' corrections judged once more, all made (:func:`keep_supported`): a value corrected early may have
    lost its loops' support to a correction made later at the pixel (a ring of :func:`grow`, a component's
    decision); a value without a loop of its own keeps what it was given. ``u`` (M, P) updated in place; returns
    the values dropped."""
    px = np.flatnonzero((u != 0).any(axis=0))
    if not px.size:
        return 0
    return keep_supported(u, own, px, loops, signs, index, blind=np.ones((u.shape[0], px.size), bool), strict=strict)


def grow(u: np.ndarray, own, has: np.ndarray, rows: int, cols: int, loops, signs, index, steps: int) -> int:
    """Carry each interferogram's corrections to the pixels around them: a value with data (``has`` (M, P)) and no
    correction takes the one at least :data:`GROW_NEIGHBOURS` of its 8 neighbours carry (the most common; none on
    a tie), kept only where its own loops ask for it (:func:`keep_supported`). A slipped patch's edge, where the
    window's majority left the pixels, is corrected this way; a pixel outside the patch is not pulled in (its
    loops close without the correction). ``steps`` rings at most; returns the values added."""
    added = 0
    u2 = u.reshape(u.shape[0], rows, cols)
    for _ in range(steps):
        before = u.copy()
        prop = np.zeros_like(u)
        for m in np.flatnonzero((u != 0).any(axis=1)):
            g = u2[m]
            pad = np.zeros((rows + 2, cols + 2), np.int16)
            pad[1:-1, 1:-1] = g
            nb = np.stack([pad[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols] for dr, dc in _NEIGHBOURS])
            best = np.zeros((rows, cols), np.int16)
            best_n = np.zeros((rows, cols), np.int64)
            tie = np.zeros((rows, cols), bool)
            for v in np.unique(nb[nb != 0]):
                n = (nb == v).sum(axis=0)
                tie = np.where(n > best_n, False, tie | ((n == best_n) & (n > 0)))
                best = np.where(n > best_n, np.int16(v), best)
                best_n = np.maximum(best_n, n)
            take = (best_n >= GROW_NEIGHBOURS) & ~tie & (g == 0) & has[m].reshape(rows, cols)
            prop[m] = np.where(take, best, 0).reshape(-1)
        px = np.flatnonzero((prop != 0).any(axis=0))
        if not px.size:
            break
        u[:, px] = np.where(prop[:, px] != 0, prop[:, px], u[:, px])
        keep_supported(u, own, px, loops, signs, index)
        u[:, px] = np.where(before[:, px] != 0, before[:, px], u[:, px])  # only the additions were on trial
        n_new = int((u[:, px] != before[:, px]).sum())
        added += n_new
        if not n_new:
            break
    return added
