"""The pieces of the phase-closure correction (:mod:`closure`) that look at a pixel's neighbours: the integer
closures a neighbourhood agrees on, the frame they are counted in, a correction checked interferogram by
interferogram against the pixel's own loops, and a slipped patch's correction carried to its edge.

An unwrapping error is a region of one interferogram (a bank aligned wrongly across an incoherent river, a patch
inside a component) off by whole cycles; every pixel of it shows the same integer closures in the loops of that
interferogram, while noise flips the closure of a single loop at a single pixel. The integer closures a
neighbourhood agrees on (the majority of a square window, per loop) are therefore the region's, free of that noise;
the sparsest integer correction that explains them is solved once per distinct pattern (Yunjun et al. 2019) and
applied to a pixel only where its own loops ask for it.

Integer closures are counted in one frame for the whole stack: the closure fraction common to the network is
removed (interferograms carry arbitrary constants), and then the whole cycles of the most common closure pattern
(the largest region's). Any pattern of real pixels differs from another by the closures of integer cycles, so in
that frame every pattern is explained by whole cycles relative to the largest region: the frame MintPy gets from
its reference pixel, without trusting one pixel (which may itself sit in a slipped patch).

Reference
---------
Yunjun, Z., Fattahi, H., Amelung, F. (2019). Small baseline InSAR time series analysis: unwrapping error correction
and noise reduction. Computers & Geosciences 133, 104331, doi:10.1016/j.cageo.2019.104331.
"""

from __future__ import annotations

import numpy as np

#: Sentinel of a loop not usable at a pixel (no data, or a closure too far from whole cycles).
MISSING = np.int16(-32768)
#: Side (pixels) of the square window whose majority gives a pixel's integer closures.
WINDOW_PX = 7
#: Share of the window's usable closures of a loop that must agree for the loop to count at a pixel.
MAJORITY = 0.5
#: Share of the window that must hold usable closures of a loop for it to count at a pixel.
MIN_USABLE = 0.25
#: Cycles by which a pixel's own loops of an interferogram must close better with its correction than without it
#: (:func:`keep_supported`): a slip gains a whole cycle a loop; a tie between two corrections only noise.
MIN_GAIN = 0.5
#: The same gain each correction of a pixel must reach on its own, the others as they are (:func:`keep_supported`).
OWN_GAIN = MIN_GAIN
#: Share of a window's closures of a loop with data that must be usable (near whole cycles) for the loop to
#: testify there (:func:`consensus_keys`): about half are on decorrelated ground (uniform closures), most on
#: coherent ground, even at low coherence (a one-year pair's loops at coherence 0.3: ~87 %).
MIN_QUALITY = 0.6
#: The same share for the window's majority to count at all (below it, about the share of decorrelated ground).
VOTE_QUALITY = 0.5
#: Neighbours (of 8) carrying an interferogram's correction for a pixel to try it (:func:`grow`).
GROW_NEIGHBOURS = 3
#: Distance (cycles) from whole cycles within which a pixel's closure says how many cycles a loop is open
#: (:func:`keep_supported`): 1.5 rad, LiCSBAS's loop threshold and the step's default MAX_RESIDUAL_RAD.
NEAR_WHOLE = 1.5 / (2.0 * np.pi)
#: Pixels checked at a time by :func:`keep_supported` (its temporaries: a few bytes a loop and pixel of a chunk).
CHUNK_PX = 4096
#: Loops are counted in this many groups by :func:`consensus_keys` (each group's window counts at once).
LOOP_CHUNKS = 16
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _box_sums(m: np.ndarray, half: int) -> np.ndarray:
    """:func:`box_counts` of each image of ``m`` (n, rows, cols) bool at once, as the narrowest unsigned integers
    that hold a window's count: the window's rows summed, then its columns, over zeros beyond the edges (the same
    exact counts as the clipped window's)."""
    n, rows, cols = m.shape
    w = 2 * half + 1
    dtype = np.uint8 if w * w <= 255 else np.uint16 if w * w <= 65535 else np.int64
    pad = np.zeros((n, rows + 2 * half, cols), dtype)
    pad[:, half:half + rows] = m
    col = pad[:, :rows].copy()
    for d in range(1, w):
        col += pad[:, d:d + rows]
    pad = np.zeros((n, rows, cols + 2 * half), dtype)
    pad[:, :, half:half + cols] = col
    del col
    out = pad[:, :, :cols].copy()
    for d in range(1, w):
        out += pad[:, :, d:d + cols]
    return out


def box_counts(mask: np.ndarray, half: int) -> np.ndarray:
    """Count of True in the ``(2 half + 1)`` square window around every pixel of ``mask`` (rows, cols), clipped
    at the edges of the array (int32; exact integer sums, so the counts do not depend on where a block starts)."""
    m = np.asarray(mask, bool)
    return _box_sums(m.reshape((1,) + m.shape), half)[0].astype(np.int32)


def _loop_chunks(n_loops: int):
    """Slices of the loops taken together by :func:`consensus_keys` and :func:`noisy_loops`: a sixteenth of them
    at a time, so their window counts' temporaries stay about 2 bytes a loop and pixel."""
    step = max(1, n_loops // LOOP_CHUNKS)
    return [slice(t0, min(n_loops, t0 + step)) for t0 in range(0, n_loops, step)]


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
    # the shares as integer thresholds of the window's counts (each the float comparison's verdict, tabulated)
    above_majority = _count_table(majority, area, "above")  # count > majority * n  <=>  count > table[n]
    at_vote = _count_table(VOTE_QUALITY, area, "at least")  # n >= share * with_data  <=>  n >= table[with_data]
    under_quality = _count_table(quality, area, "at least")  # n < quality * with_data  <=>  n < table[with_data]
    at_usable = _count_table(min_usable, area, "at least")[area] if area else 0  # n >= min_usable * area
    for ch in _loop_chunks(key.shape[0]):  # loops together: the counts of a loop do not depend on the others
        k = key[ch].reshape(-1, rows, cols)
        usable = k != MISSING
        n = _box_sums(usable, half)
        with_data = _box_sums(finite[ch].reshape(-1, rows, cols), half).astype(np.intp)
        noisy[ch] = (n < under_quality[with_data]).reshape(k.shape[0], -1)
        enough = (n >= at_usable) & (n >= at_vote[with_data])
        del with_data
        need = above_majority[n]  # a value holds the majority where its count exceeds this (at most one value does)
        res = out[ch].reshape(k.shape)
        zeros = _box_sums(usable & (k == 0), half)
        res[enough & (zeros > need)] = 0
        # a value other than 0 holds the majority only where the window's other values do (they are n - zeros),
        # and only in loops where some pixels carry it
        carried = usable & (k != 0)
        others = np.flatnonzero((enough & (n - zeros > need)).any(axis=(1, 2)) & carried.any(axis=(1, 2)))
        del zeros
        if not others.size:
            continue
        ko, carried = k[others], carried[others]
        for v in np.unique(ko[carried]):
            on = ko == v
            has_v = np.flatnonzero(on.any(axis=(1, 2)))
            sel = others[has_v]
            won = enough[sel] & (_box_sums(on[has_v], half) > need[sel])
            sub = res[sel]
            sub[won] = v
            res[sel] = sub
    return out, noisy


def _count_table(share: float, area: int, kind: str) -> np.ndarray:
    """The integer thresholds of the comparisons of a window's counts with ``share`` of another count ``c`` (0 ..
    ``area``), as numpy makes them (``share * c`` in float64): ``kind`` "above", ``t[c]`` the largest integer
    ``<= share * c`` (``count > share * c`` exactly where ``count > t[c]``); "at least", ``t[c]`` the smallest
    integer ``>= share * c`` (``count >= share * c`` exactly where ``count >= t[c]``, ``count < share * c`` where
    ``count < t[c]``); shares from 0. Of the counts' dtype (:func:`_box_sums`), so the comparisons stay in small
    integers."""
    dtype = np.uint8 if area <= 255 else np.uint16 if area <= 65535 else np.int64
    x = share * np.arange(area + 1, dtype=dtype)  # the float64 products numpy compares the counts with
    t = np.floor(x) if kind == "above" else np.ceil(x)
    return np.clip(t, 0, area + 1).astype(dtype if area + 1 <= np.iinfo(dtype).max else np.int64)


#: Window counts gathered at a time by :func:`consensus_at` (pixels): its temporaries a few bytes a loop and pixel.
GATHER_PX = 2048
#: Pixels beyond which :func:`consensus_at` costs more than the whole block's counts (a share of the block).
GATHER_SHARE = 1.0 / 16.0
#: Closures other than 0 (times the window's area, a share of the block's keys) beyond which
#: :func:`nonzero_candidates` costs more than the whole block's counts.
SPARSE_SHARE = 1.0 / 32.0


def _offsets(half: int) -> list:
    return [(dr, dc) for dr in range(-half, half + 1) for dc in range(-half, half + 1)]


def _usable(k: np.ndarray, bound) -> np.ndarray:
    """Where the keys ``k`` are usable: not :data:`MISSING`, and within ``bound`` cycles when one is given."""
    ok = k != MISSING
    if bound is not None:
        ok &= np.abs(k) <= bound
    return ok


def nonzero_candidates(key: np.ndarray, rows: int, cols: int, px: np.ndarray, *, window_px: int = WINDOW_PX,
                       majority: float = MAJORITY, min_usable: float = MIN_USABLE, bound=None):
    """The pixels (flat indices, increasing) whose window may agree on a closure other than 0 in some loop
    (:func:`consensus_keys`), or None where the non-zero closures are too many to count one by one.

    ``key`` (T, rows * cols) int16 as :func:`consensus_keys` takes it, but keys beyond ``bound`` cycles (when given)
    counting as :data:`MISSING`; ``px`` the pixels holding a usable key other than 0 in some loop (a superset will
    do). A value holds a window's majority only where it counts more than ``majority`` of the window's usable
    closures, and those are at least ``min_usable`` of the window: where a loop's window holds fewer closures other
    than 0, whatever their values, than that, no value other than 0 can hold it. The windows' counts of the
    closures other than 0 are made from those closures alone (each adds one to the windows around it)."""
    half = int(window_px) // 2
    area = (2 * half + 1) ** 2
    p_total = key.shape[1]
    at_usable = int(_count_table(min_usable, area, "at least")[area])
    if at_usable > area:  # no window has enough usable closures
        return np.zeros(0, np.int64)
    min_win = int(_count_table(majority, area, "above")[at_usable]) + 1
    px = np.asarray(px, np.int64)
    if px.size * area > SPARSE_SHARE * key.size:  # each of these pixels holds one such closure at least
        return None
    sub = key[:, px]
    t, j = np.nonzero(_usable(sub, bound) & (sub != 0))
    del sub
    if t.size * area > SPARSE_SHARE * key.size:
        return None
    r, c = np.divmod(px[j], cols)
    lin = []
    for dr, dc in _offsets(half):
        rr, cc = r + dr, c + dc
        ok = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        lin.append(t[ok] * p_total + rr[ok] * cols + cc[ok])
    where, counts = np.unique(np.concatenate(lin), return_counts=True)
    return np.unique(where[counts >= min_win] % p_total)


def _window_gather(key, finite, rows, cols, px, half, bound):
    """Per offset of the window around each pixel of ``px``: the keys (T, n) (:data:`MISSING` beyond the edges, or
    beyond ``bound``) and whether the loops have data there (T, n)."""
    r, c = np.divmod(np.asarray(px, np.int64), cols)
    for dr, dc in _offsets(half):
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        q = np.where(inside, rr * cols + cc, 0)
        k = key[:, q]
        f = finite[:, q] & inside
        ok = _usable(k, bound) & inside
        yield np.where(ok, k, MISSING), ok, f


def consensus_at(key: np.ndarray, finite: np.ndarray, rows: int, cols: int, px: np.ndarray, *,
                 window_px: int = WINDOW_PX, majority: float = MAJORITY, min_usable: float = MIN_USABLE,
                 quality: float = MIN_QUALITY, bound=None) -> tuple:
    """:func:`consensus_keys` at the pixels ``px`` alone: ``(agreed, noisy)`` (T, px.size), the same values as the
    columns ``px`` of :func:`consensus_keys` (of ``key`` with the keys beyond ``bound`` cycles, when given, set to
    :data:`MISSING`), from the windows' counts gathered around those pixels."""
    half = int(window_px) // 2
    area = (2 * half + 1) ** 2
    above_majority = _count_table(majority, area, "above").astype(np.int64)
    at_vote = _count_table(VOTE_QUALITY, area, "at least").astype(np.int64)
    under_quality = _count_table(quality, area, "at least").astype(np.int64)
    at_usable = int(_count_table(min_usable, area, "at least")[area])
    px = np.asarray(px, np.int64)
    t_n = key.shape[0]
    agreed = np.full((t_n, px.size), MISSING, np.int16)
    noisy = np.zeros((t_n, px.size), bool)
    for s0 in range(0, px.size, GATHER_PX):
        sel = px[s0:s0 + GATHER_PX]
        n = np.zeros((t_n, sel.size), np.int64)
        with_data = np.zeros_like(n)
        zeros = np.zeros_like(n)
        for k, ok, f in _window_gather(key, finite, rows, cols, sel, half, bound):
            n += ok
            with_data += f
            zeros += k == 0
        noisy[:, s0:s0 + sel.size] = n < under_quality[with_data]
        enough = (n >= at_usable) & (n >= at_vote[with_data])
        need = above_majority[n]
        res = agreed[:, s0:s0 + sel.size]
        res[enough & (zeros > need)] = 0
        ti, ji = np.nonzero(enough & (n - zeros > need))  # where a value other than 0 may hold the majority
        if not ti.size:
            continue
        values = _values_at(key, rows, cols, sel[ji], ti, half, bound)
        for v in np.unique(values[(values != MISSING) & (values != 0)]):  # in increasing order, as the whole count
            won = (values == v).sum(axis=0) > need[ti, ji]
            res[ti[won], ji[won]] = v
    return agreed, noisy


def _values_at(key, rows, cols, px, loops, half, bound) -> np.ndarray:
    """The usable keys (area, n) of the window around each pixel ``px[i]`` in its loop ``loops[i]``
    (:data:`MISSING` beyond the edges or ``bound``)."""
    r, c = np.divmod(np.asarray(px, np.int64), cols)
    out = []
    for dr, dc in _offsets(half):
        rr, cc = r + dr, c + dc
        inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        k = key[loops, np.where(inside, rr * cols + cc, 0)]
        out.append(np.where(inside & _usable(k, bound), k, MISSING))
    return np.stack(out)


class NoisyLoops:
    """The ``noisy`` mask of :func:`consensus_keys` (T, rows * cols), made for the pixels asked for (``at``) as they
    are asked (:func:`consensus_at`), or of the whole block at once when they are many (:func:`noisy_loops`), or
    given whole (``full``). The keys beyond ``bound`` cycles count as :data:`MISSING`; ``key`` and ``finite`` (the
    loops with data, T, rows * cols) may be functions giving them when first needed."""

    def __init__(self, key, finite, rows: int, cols: int, *, window_px: int = WINDOW_PX, bound=None, full=None):
        self.key, self.finite, self.rows, self.cols = key, finite, rows, cols
        self.window_px, self.bound = window_px, bound
        self.full = full
        self.mask = None
        self.done = None

    def whole(self) -> np.ndarray:
        """The mask of every pixel (T, rows * cols)."""
        return self.at(np.arange(self.rows * self.cols))

    def at(self, px) -> np.ndarray:
        """The mask (T, px.size) at the pixels ``px`` (flat indices)."""
        if self.full is None:
            if callable(self.key):
                self.key = self.key()
            if callable(self.finite):
                self.finite = self.finite()
            px = np.asarray(px, np.int64)
            if self.done is None:
                self.mask = np.zeros(self.key.shape, bool)
                self.done = np.zeros(self.key.shape[1], bool)
            new = np.unique(px[~self.done[px]])
            if int(self.done.sum()) + new.size > GATHER_SHARE * self.key.shape[1]:
                keyed = self.key if self.bound is None else np.where(_usable(self.key, self.bound), self.key,
                                                                     MISSING)
                self.full = noisy_loops(keyed, self.finite, self.rows, self.cols, window_px=self.window_px)
                self.mask = self.done = None
            elif new.size:
                self.mask[:, new] = consensus_at(self.key, self.finite, self.rows, self.cols, new,
                                                 window_px=self.window_px, bound=self.bound)[1]
                self.done[new] = True
        return np.take(self.full if self.full is not None else self.mask, px, axis=1)  # (a third of [:, px]'s time)


def noisy_loops(key: np.ndarray, finite: np.ndarray, rows: int, cols: int, *, window_px: int = WINDOW_PX,
                quality: float = MIN_QUALITY) -> np.ndarray:
    """The ``noisy`` mask of :func:`consensus_keys` alone (T, rows * cols) bool: where fewer than ``quality`` of a
    loop's closures with data in the window are usable."""
    half = int(window_px) // 2
    out = np.zeros(key.shape, bool)
    for ch in _loop_chunks(key.shape[0]):
        n = _box_sums((key[ch] != MISSING).reshape(-1, rows, cols), half)
        out[ch] = (n < quality * _box_sums(finite[ch].reshape(-1, rows, cols), half)).reshape(n.shape[0], -1)
    return out


def complete(u: np.ndarray, own, has: np.ndarray, labels: np.ndarray, decisions: np.ndarray, loops, signs,
             index, *, max_frac: float = 1.5 / (2.0 * np.pi)) -> np.ndarray:
    """Give each value with data and no correction the correction its component decided (``labels`` (P,) the
    pixels' components, 0 none; ``decisions`` (C + 1, M) int16, 0 none) unless the pixel's own loops contradict it
    beyond noise (:func:`contradicted`): a value without a usable loop of its own takes it, as MintPy gives a
    component's correction to all its pixels. ``u`` (M, P) updated in place; returns the mask (M, P) of the values
    added."""
    lab = np.asarray(labels).reshape(-1)
    decisions = np.asarray(decisions)
    added = np.zeros(u.shape, bool)
    for s0 in range(0, lab.size, CHUNK_PX):  # chunks bound the temporaries, not the verdicts
        sub = np.arange(s0, min(lab.size, s0 + CHUNK_PX))
        dec = decisions[lab[sub]].T  # (M, n)
        prop = (u[:, sub] == 0) & has[:, sub] & (dec != 0) & (lab[sub] > 0)[None, :]
        sub = sub[prop.any(axis=0)]
        if not sub.size:
            continue
        prop = prop[:, prop.any(axis=0)]
        dec = decisions[lab[sub]].T
        up = np.where(prop, dec, u[:, sub]).astype(np.int32)
        take = prop & ~contradicted(up, prop, own(sub), loops, signs, index, max_frac)
        u[:, sub] = np.where(take, dec, u[:, sub])
        added[:, sub] = take
    return added


def restore(u: np.ndarray, added: np.ndarray, labels: np.ndarray, decisions: np.ndarray) -> None:
    """Set again the component's decisions :func:`complete` ``added`` (M, P) in ``u`` (M, P), in place."""
    lab = np.asarray(labels).reshape(-1)
    decisions = np.asarray(decisions)
    for s0 in range(0, lab.size, CHUNK_PX):
        sub = slice(s0, min(lab.size, s0 + CHUNK_PX))
        np.copyto(u[:, sub], decisions[lab[sub]].T, where=added[:, sub])


#: Usable loops of a value that must open with a component's correction (and more than close with it) for the
#: pixel's own loops to refuse it (:func:`contradicted`). Two let a value whose one usable loop reads 0 by chance
#: take its component's correction (second generator, seeds 1-6: 3-55 values off a seed instead of 16-68) but also
#: let a component's closure-invisible choice reach the values whose one loop saw through it (seed 3: 365 against
#: 315): one is kept.
CONTRADICT_LOOPS = 1


def contradicted(up: np.ndarray, trial: np.ndarray, clo: np.ndarray, loops, signs, index,
                 max_frac: float) -> np.ndarray:
    """Where the pixels' own loops contradict the corrections on trial (M, n) bool: of the usable loops of the
    interferogram (a closure with data, not in decorrelated ground, within ``max_frac`` cycle of a whole number),
    at least :data:`CONTRADICT_LOOPS` close without the correction and open with it, and more than open without it
    and close with it; the pixel's other corrections as they are (``up`` (M, n) with the trial ones, ``trial``
    (M, n) bool, ``clo`` (T, n) the pixels' closures in cycles in the frame, NaN where a loop has no data or is
    noisy). Loops far from whole cycles do not testify: a value whose loops are all noise (a coherence of 0.1
    spreads its closures over the cycle) takes what its component's other values agree on, as MintPy gives a
    component's correction to all its pixels; a patch of the component that the correction does not fit opens
    its coherent loops and refuses it."""
    usable = np.isfinite(clo)
    c = np.where(usable, clo, 0.0)
    usable &= np.abs(c - np.rint(c)) <= max_frac
    res = c + (up[index[:, 0]] + up[index[:, 1]] - up[index[:, 2]])
    out = np.zeros(trial.shape, bool)
    for m in np.flatnonzero(trial.any(axis=1)):
        sel = np.flatnonzero(trial[m])
        lp, sg = loops[m], signs[m]
        ok = usable[lp][:, sel] & (sg != 0)[:, None]
        r = res[lp][:, sel]
        after = np.rint(r) != 0
        before = np.rint(r - sg[:, None] * up[m, sel][None, :]) != 0
        opened = (ok & ~before & after).sum(axis=0)
        closed = (ok & before & ~after).sum(axis=0)
        out[m, sel] = (opened >= CONTRADICT_LOOPS) & (opened > closed)
    return out


def frame_of(key: np.ndarray, *, candidates: int = 8) -> np.ndarray:
    """The whole-cycle closures (T,) int16 of the largest region among the pixels (columns) of ``key`` (T, P):
    the candidate shared by the most pixels, a pixel sharing it when every usable loop of it (not
    :data:`MISSING`; one at least) has the candidate's value. Candidates: the most common value of each loop, and
    the ``candidates`` most common patterns of the pixels whose loops are all usable (a loop's majority may mix
    regions; where decorrelated ground leaves few pixels complete, the loops' majorities hold). Zeros without a
    usable loop; ties: the earlier candidate."""
    t, p = key.shape
    usable = key != MISSING
    modes = np.zeros(t, np.int16)
    for i in range(t):
        v, c = np.unique(key[i, usable[i]], return_counts=True)
        if v.size:
            modes[i] = v[np.argmax(c)]
    cands = [modes]
    full = np.flatnonzero(usable.all(axis=0))
    if full.size:
        patterns, inverse = _distinct(key[:, full])
        counts = np.bincount(inverse)
        for j in np.argsort(-counts, kind="stable")[:candidates]:
            cands.append(patterns[:, j])
    seen = usable.any(axis=0)
    best, best_n = cands[0], -1
    for c in cands:
        n = int((seen & ~(usable & (key != c[:, None])).any(axis=0)).sum())
        if n > best_n:
            best, best_n = c, n
    return np.asarray(best, np.int16).copy()


def _distinct(a: np.ndarray) -> tuple:
    """``(patterns, inverse)``: the distinct columns of ``a`` (T, N) in order of first appearance and each column's
    pattern index."""
    cols = np.ascontiguousarray(a.T)
    width = cols.shape[1] * cols.itemsize
    buf = cols.tobytes()
    index: dict = {}
    inverse = np.fromiter((index.setdefault(buf[i:i + width], len(index)) for i in range(0, len(buf), width)),
                          np.int64, count=cols.shape[0])
    first = np.zeros(len(index), np.int64)
    first[inverse[::-1]] = np.arange(cols.shape[0] - 1, -1, -1)
    return a[:, first], inverse


def loops_by_ifg(matrix: np.ndarray) -> tuple:
    """``(loops, signs)`` (M, L) int64: the loops of each interferogram and its sign in them, padded with loop 0,
    sign 0 (``matrix``: the triplet matrix (T, M))."""
    m = matrix.shape[1]
    lists = [np.flatnonzero(matrix[:, k]) for k in range(m)]
    width = max(1, max((len(v) for v in lists), default=1))
    loops = np.zeros((m, width), np.int64)
    signs = np.zeros((m, width), np.int64)
    for k, v in enumerate(lists):
        loops[k, :v.size] = v
        signs[k, :v.size] = matrix[v, k]
    return loops, signs


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

    up = np.take(u, px, axis=1).astype(np.int32, order="C")  # (the same values as u[:, px]; C: up_flat a view)
    unseen = np.zeros(up.shape, bool)  # corrections standing without a loop of their own (blind)
    changed = np.zeros(px.size, bool)  # the pixels that lost a correction: the only columns of u to write back
    n_px = px.size
    clo_flat, usable_flat, up_flat = clo.reshape(-1), usable.reshape(-1), up.reshape(-1)  # views
    i0, i1, i2 = (np.ascontiguousarray(index[:, k]) for k in range(3))

    def write_back():
        if np.can_cast(u.dtype, np.int32):  # the others hold what u holds (the round trip through int32 is exact)
            ch = np.flatnonzero(changed)
            if ch.size:
                u[:, px[ch]] = up[:, ch].astype(u.dtype)
        else:
            u[:, px] = up.astype(u.dtype)

    def column_sums(a, single):
        """``a.sum(axis=0)`` (L, N) as numpy summed each correction's loops before, interferogram by interferogram:
        in row order where the chunk held two or more corrections of its interferogram, pairwise (numpy's sum of a
        single column) where it held that one alone (``single``)."""
        out = (a if a.shape[1] > 1 else np.repeat(a, 2, axis=1)).sum(axis=0)[:a.shape[1]]
        for e in np.flatnonzero(single):
            out[e] = a[:, e].sum()
        return out

    def drop_worst(threshold, act=None):
        """The worst correction of each pixel below ``threshold`` goes, until none is. A pixel's verdict depends on
        its own corrections alone: after the first round only the pixels that lost one (``act``: the columns that
        may change, all at first) are judged again. Every correction of the pixels judged is weighed at once: its
        gain (how much better its loops close with it, the others as they are), and the pixel's worst (the first
        interferogram of the lowest gain)."""
        n_dropped = 0
        ms, cols = np.nonzero(up != 0)  # the corrections: interferogram, pixel
        count = np.bincount(ms, minlength=up.shape[0])  # the chunk's corrections of each interferogram
        if act is not None:
            judged = np.zeros(px.size, bool)
            judged[act] = True
            ms, cols = ms[judged[cols]], cols[judged[cols]]
        for _ in range(u.shape[0]):
            if not ms.size:
                break
            lp, sg = loops[ms].T, signs[ms].T  # (L, N): each correction's loops and its sign in them
            # the gathers by flat index (the same values as clo[lp, cols], up[index[lp, 0], cols] ...)
            r = clo_flat.take(lp * n_px + cols) + (up_flat.take(i0.take(lp) * n_px + cols)
                                                   + up_flat.take(i1.take(lp) * n_px + cols)
                                                   - up_flat.take(i2.take(lp) * n_px + cols))
            ok = usable_flat.take(lp * n_px + cols) & (sg != 0)
            single = count[ms] == 1
            with_it = column_sums(np.where(ok, np.abs(r), 0.0), single)
            without = column_sums(np.where(ok, np.abs(r - sg * up[ms, cols][None, :]), 0.0), single)
            gain = (without - with_it).astype(np.float32)
            none = ~ok.any(axis=0)
            free = none & (blind[ms, cols] if blind is not None else False)
            unseen[ms, cols] = free
            gain[none & ~free] = -np.inf  # no loop of its own to ask: not applied
            gain[free] = np.inf  # nothing to ask: stands as given
            order = np.lexsort((ms, gain, cols))  # by pixel, then gain, then interferogram
            head = order[np.r_[True, cols[order][1:] != cols[order][:-1]]]  # each pixel's worst
            bad = head[gain[head] < threshold]
            if not bad.size:
                break
            up[ms[bad], cols[bad]] = 0
            changed[cols[bad]] = True
            count -= np.bincount(ms[bad], minlength=count.size)
            n_dropped += bad.size
            lost = np.zeros(px.size, bool)  # the pixels judged again: those that lost a correction
            lost[cols[bad]] = True
            left = lost[cols]
            left[bad] = False
            ms, cols = ms[left], cols[left]
        return n_dropped

    dropped += drop_worst(MIN_GAIN - 1.0)  # a correction its own loops reject (it opens them), the worst first
    if not strict:  # a component's decision: kept where the pixel's loops do not open with it
        write_back()
        return dropped
    # what is left must close the pixel's loops it touches by MIN_GAIN a corrected interferogram, together
    n = ((up != 0) & ~unseen).sum(axis=0)
    # the loops of a corrected interferogram of the chunk, in order: the others add 0 to every pixel's sums
    on = up != 0
    # (one pixel: numpy sums a single column pairwise, so all the loops, as they always were)
    lp = np.flatnonzero(on.any(axis=1)[index].any(axis=1)) if px.size > 1 else np.arange(index.shape[0])
    g0, g1, g2 = up[i0[lp]], up[i1[lp]], up[i2[lp]]
    take = usable[lp] & ((g0 | g1 | g2) != 0)  # the loops with data that a correction touches
    clo_lp = clo[lp]
    before = np.where(take, np.abs(clo_lp), 0.0).sum(axis=0)
    res = clo_lp + (g0 + g1 - g2)  # the loops' residual closures with the corrections
    del g0, g1, g2
    del clo_lp
    after = np.where(take, np.abs(res), 0.0).sum(axis=0)
    del res, take
    weak = (n > 0) & (before - after < MIN_GAIN * n)
    weak |= (n == 0) & ~(unseen & (up != 0)).any(axis=0)
    dropped += int(n[weak].sum())
    up[:, weak] = 0
    changed |= weak
    # and each must close its own loops by MIN_GAIN, the others as they are: a correction the pixel's loops do not
    # ask for does not ride on the gains of its other corrections
    dropped += drop_worst(OWN_GAIN)
    # and close one of them at least (of two or more near whole cycles): a cycle taken off a value two cycles off
    # (a window over the edge between a +1 and a +2 patch agrees on the +1) gains a cycle in every loop and leaves
    # them all open, where a right correction beside a slip left alone still closes its loops without that slip
    # every correction at once (each one's loops (L, N), gathered by flat index; integer counts)
    ms, cs = np.nonzero((up != 0) & ~unseen)
    lp, sg = loops[ms].T, signs[ms].T
    at = lp * n_px + cs
    c = clo_flat.take(at)
    near = usable_flat.take(at) & (np.abs(c - np.rint(c)) <= NEAR_WHOLE)  # a closure near whole cycles
    ok = near & (sg != 0)
    res = c + (up_flat.take(i0.take(lp) * n_px + cs) + up_flat.take(i1.take(lp) * n_px + cs)
               - up_flat.take(i2.take(lp) * n_px + cs))  # each correction's loops' residual closures
    still = (ok & (np.rint(res) != 0)).sum(axis=0)
    n_ok = ok.sum(axis=0)
    del lp, sg, at, c, near, ok, res
    short = (still == n_ok) & (n_ok >= 2)
    hit = np.zeros(px.size, bool)
    up[ms[short], cs[short]] = 0  # judged on the corrections as they were: dropped together
    hit[cs[short]] = True
    changed |= hit
    n_short = int(short.sum())
    if n_short:  # only the pixels that lost a correction can lose another
        dropped += n_short + drop_worst(OWN_GAIN, np.flatnonzero(hit))
    write_back()
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
        prop2 = prop.reshape(u2.shape)
        for m in np.flatnonzero((u != 0).any(axis=1)):
            # the corrections' bounding box and a ring around it: beyond it no neighbour carries one
            on_r, on_c = np.flatnonzero(u2[m].any(axis=1)), np.flatnonzero(u2[m].any(axis=0))
            r0, r1 = max(0, on_r[0] - 1), min(rows, on_r[-1] + 2)
            c0, c1 = max(0, on_c[0] - 1), min(cols, on_c[-1] + 2)
            g = u2[m, r0:r1, c0:c1]
            h, w = g.shape
            pad = np.zeros((h + 2, w + 2), np.int16)
            pad[1:-1, 1:-1] = g
            nb = np.stack([pad[1 + dr:1 + dr + h, 1 + dc:1 + dc + w] for dr, dc in _NEIGHBOURS])
            best = np.zeros((h, w), np.int16)
            best_n = np.zeros((h, w), np.int64)
            tie = np.zeros((h, w), bool)
            for v in np.unique(nb[nb != 0]):
                n = (nb == v).sum(axis=0)
                tie = np.where(n > best_n, False, tie | ((n == best_n) & (n > 0)))
                best = np.where(n > best_n, np.int16(v), best)
                best_n = np.maximum(best_n, n)
            take = (best_n >= GROW_NEIGHBOURS) & ~tie & (g == 0) & has[m].reshape(rows, cols)[r0:r1, c0:c1]
            prop2[m, r0:r1, c0:c1] = np.where(take, best, 0)
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


#: Share of a block's pixels whose closures :func:`closure.correct_closure_block` keeps once taken (its pixels' own
#: loops are asked again by later steps): 2 T bytes a pixel of the block at most.
OWN_SHARE = 0.25


class Remembered:
    """``fn(px)`` (T, px.size) of a function whose columns are each pixel's own (a pixel's closures do not depend on
    the others asked with it), kept for up to ``share`` of the ``p`` pixels once taken: the pixels asked again get
    the same values without taking them again."""

    def __init__(self, fn, p: int, share: float):
        self.fn, self.p, self.limit = fn, p, int(share * p)
        self.slot = None  # (P,) where each pixel's column is kept, -1 not kept
        self.store = None
        self.n = 0

    def __call__(self, px) -> np.ndarray:
        px = np.asarray(px, np.int64)
        if self.limit <= 0 or not px.size:
            return self.fn(px)
        if self.slot is None:
            self.slot = np.full(self.p, -1, np.int64)
        at = self.slot[px]
        miss = np.flatnonzero(at < 0)
        if not miss.size:
            return self.store[:, at]
        fresh = self.fn(px[miss])
        if miss.size == px.size:
            out = fresh
        else:
            out = np.empty((fresh.shape[0], px.size), fresh.dtype)
            hit = at >= 0
            out[:, hit] = self.store[:, at[hit]]
            out[:, miss] = fresh
        keep = miss[:max(0, min(miss.size, self.limit - self.n))]
        if keep.size:
            need = self.n + keep.size
            if self.store is None or need > self.store.shape[1]:
                grown = np.empty((fresh.shape[0], min(self.limit, max(need, 2 * self.n))), fresh.dtype)
                if self.n:
                    grown[:, :self.n] = self.store[:, :self.n]
                self.store = grown
            self.store[:, self.n:need] = fresh[:, :keep.size]
            self.slot[px[keep]] = np.arange(self.n, need)
            self.n = need
        return out
