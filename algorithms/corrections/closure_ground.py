"""The ground's choice among corrections that the closures of a pixel allow alike (phase closure, see
:mod:`closure`): an unwrapping error is a patch whose edge is a whole-cycle jump in the interferogram that slipped.

Yunjun, Z., Fattahi, H., Amelung, F. (2019). Small baseline InSAR time series analysis: unwrapping error correction
and noise reduction. Computers & Geosciences 133, 104331, doi:10.1016/j.cageo.2019.104331 (closures cannot see a
date shifted as a whole, ``C A theta = 0``).
"""

from __future__ import annotations

import numpy as np

#: Sentinel of a loop not usable at a pixel (the loop keys of :mod:`closure`).
MISSING = -32768
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _row_median(d: np.ndarray) -> np.ndarray:
    """Median of the finite values of each row of ``d`` (NaN where none)."""
    n = np.isfinite(d).sum(axis=1)
    srt = np.sort(d, axis=1)  # NaN last
    lo = np.clip((n - 1) // 2, 0, None)
    hi = np.clip(n // 2, 0, d.shape[1] - 1)
    rows = np.arange(d.shape[0])
    return np.where(n > 0, 0.5 * (srt[rows, lo] + srt[rows, hi]), np.nan)


#: A corrected interferogram's value differs from its references' (median, cycles) by less than this: no edge left
#: (:func:`edge_choice`).
EDGE_TOLERANCE = 0.5
#: The largest step on the way to a reference counts as a jump (or as none) only within this of a whole number of
#: cycles (:func:`edge_choice`).
JUMP_TOLERANCE = 0.25
#: Columns a run of pixels looks along its row, each way, for a settled pixel to compare with (:func:`edge_choice`).
EDGE_REACH = 48


def _settled(u: np.ndarray, key: np.ndarray, x: np.ndarray, px: np.ndarray, solver) -> np.ndarray:
    """Per pixel of ``px``: its values can serve as a reference to the ground's choice (:func:`edge_choice`). It
    has a trusted loop, every trusted loop closes with its own correction, and that correction has no alternative
    (:meth:`closure._Solver.alternatives`): a pixel still slipped, or one that may carry the other of two
    corrections the closures allow alike, is no reference."""
    idx = solver.triplets.index
    ok = np.zeros(px.size, bool)
    step = max(256, u.shape[1] // 16)  # pixels at a time: temporaries of a few bytes a pixel of the block
    for s0 in range(0, px.size, step):
        sub = px[s0:s0 + step]
        k = key[:, sub].astype(np.int32)
        us = u[:, sub].astype(np.int32)
        trusted = k != MISSING
        res = k + us[idx[:, 0]] + us[idx[:, 1]] - us[idx[:, 2]]
        ok[s0:s0 + step] = trusted.any(axis=0) & ~(trusted & (res != 0)).any(axis=0)
    j = np.flatnonzero(ok & (u[:, px] != 0).any(axis=0))
    if j.size:
        ok[j] = [a.shape[0] == 0 for a in _alternatives_of(u[:, px[j]], np.isfinite(x[:, px[j]]), solver)]
    return ok


def _alternatives_of(up: np.ndarray, seen: np.ndarray, solver) -> list:
    """:meth:`closure._Solver.alternatives` of each column of ``up`` (M, N) with its ``seen`` (M, N), solved once
    per distinct column pair (a patch's pixels share theirs), in the order of the columns."""
    if not up.shape[1]:
        return []
    both = np.ascontiguousarray(np.concatenate([up.astype(np.int16), seen.astype(np.int16)]).T)
    m = up.shape[0]
    found = {}
    out = []
    for row in both:
        kb = row.tobytes()
        hit = found.get(kb)
        if hit is None:
            hit = found[kb] = solver.alternatives(np.ascontiguousarray(row[:m]),
                                                  np.ascontiguousarray(row[m:].astype(bool)))
        out.append(hit)
    return out


def edge_choice(u: np.ndarray, px: np.ndarray, key: np.ndarray, x: np.ndarray, scale: float, solver,
                 cols: int) -> tuple:
    """``(kept, left)``: the pixels of ``px`` (flat indices into the block's ``rows x cols`` grid) that keep a
    correction, ``u`` (M, P) updated in place, and those left as they are.

    Closures cannot tell a correction from the same plus whole cycles of a run of dates (two slips on the two
    youngest pairs of the last date close their loops as one slip on its third pair does). The ground can: an
    unwrapping error is a patch whose edge is a whole-cycle jump in the interferogram that slipped, and the one
    that did not slip is smooth across it. For the pixels whose correction has such alternatives
    (:meth:`closure._Solver.alternatives`), each run of its row carrying the same correction is compared with settled
    pixels (:func:`_settled`): its 8-neighbours and the nearest one each way along the row within
    :data:`EDGE_REACH` columns, their own corrections applied. Per interferogram of any candidate, the median
    difference (cycles, values with data; the interferograms the candidates disagree on must have one) is the edge
    a candidate leaves, and the median of the largest step between neighbours on the way (the pair itself for a
    neighbour; a way whose largest step is not within :data:`JUMP_TOLERANCE` of a whole number of cycles tells
    nothing) is the ground's jump: a slip's difference is one jump, a gradual one is none. A candidate fits when it
    leaves no edge (every median within :data:`EDGE_TOLERANCE` of 0) and each of its corrections undoes a known
    jump. The correction stays when it fits and is replaced by the one alternative that fits. When none or several
    do, the run is left as it is (ambiguous) where the ground shows no jump in the interferograms only the closures'
    choice corrects (or no jump at all), or fits another candidate at least as well (the sum of the edges left);
    else the closures' choice stays. A run without a settled pixel to compare with keeps the closures' choice. A
    run reads its own row and the rows above and below: the same verdict for any block layout."""
    m, p = u.shape
    n_rows = p // cols
    up = u[:, px]
    alts = _alternatives_of(up, np.isfinite(x[:, px]), solver)
    has = np.array([a.shape[0] > 0 for a in alts], bool)
    if not has.any():
        return px, np.zeros(0, np.int64)
    cand = np.flatnonzero(has)
    cp = px[cand]
    r, c = cp // cols, cp % cols
    # runs: consecutive pixels of a row with the same correction
    new_run = np.ones(cand.size, bool)
    new_run[1:] = (cp[1:] != cp[:-1] + 1) | (r[1:] != r[:-1]) | (up[:, cand[1:]] != up[:, cand[:-1]]).any(axis=0)
    run = np.cumsum(new_run) - 1
    # the settled pixels of the rows the runs read
    rows = np.unique(np.clip(np.concatenate([r - 1, r, r + 1]), 0, n_rows - 1))
    near = (rows[:, None] * cols + np.arange(cols)[None, :]).reshape(-1)
    ref = np.zeros(p, bool)
    ref[near] = _settled(u, key, x, near, solver)
    pair_p, pair_q, pair_run = [], [], []
    for dr, dc in _NEIGHBOURS:
        rr, cc = r + dr, c + dc
        inb = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < cols)
        q = np.where(inb, rr * cols + cc, 0)
        use = inb & ref[q]
        pair_p.append(cp[use])
        pair_q.append(q[use])
        pair_run.append(run[use])
    first = np.flatnonzero(new_run)
    last = np.concatenate([first[1:] - 1, [cand.size - 1]])
    for row in np.unique(r[first]):
        pos = np.flatnonzero(ref[row * cols:(row + 1) * cols])
        g = np.flatnonzero(r[first] == row)
        lo, hi = c[first[g]], c[last[g]]
        left = np.searchsorted(pos, lo) - 1  # nearest settled column before the run
        ok = (left >= 0) & (lo - pos[np.maximum(left, 0)] <= EDGE_REACH) if pos.size else np.zeros(g.size, bool)
        pair_p.append(cp[first[g][ok]])
        pair_q.append(row * cols + pos[left[ok]])
        pair_run.append(g[ok])
        right = np.searchsorted(pos, hi, side="right")  # nearest after it
        ok = (right < pos.size) & (pos[np.minimum(right, pos.size - 1)] - hi <= EDGE_REACH) if pos.size else ok
        pair_p.append(cp[last[g][ok]])
        pair_q.append(row * cols + pos[right[ok]])
        pair_run.append(g[ok])
    pair_p, pair_q, pair_run = np.concatenate(pair_p), np.concatenate(pair_q), np.concatenate(pair_run)
    order = np.lexsort((pair_q, pair_p, pair_run))
    pair_p, pair_q, pair_run = pair_p[order], pair_q[order], pair_run[order]
    bounds = np.searchsorted(pair_run, np.arange(first.size + 1))
    drop = np.zeros(p, bool)
    switch = []  # (pixels, cycles): applied once every run is judged on the corrections as they were
    for g, j0 in enumerate(first):
        a0, a1 = bounds[g], bounds[g + 1]
        if a0 == a1:
            continue  # nothing to compare with
        own = up[:, cand[j0]].astype(np.int64)
        options = np.concatenate([own[None, :], alts[cand[j0]].astype(np.int64)])
        ifgs = np.flatnonzero((options != 0).any(axis=0))
        qq, pp = pair_q[a0:a1], pair_p[a0:a1]
        diff = (x[np.ix_(ifgs, pp)] - x[np.ix_(ifgs, qq)]) * scale - u[np.ix_(ifgs, qq)]
        med = _row_median(diff)
        differ = (options[:, ifgs] != options[0, ifgs]).any(axis=0)
        if not np.isfinite(med[differ]).all():
            continue  # an interferogram the candidates disagree on without a value to compare: no evidence
        seen_here = np.isfinite(med)
        ifgs, med, diff = ifgs[seen_here], med[seen_here], diff[seen_here]
        # the largest step between neighbours on the way from the reference (itself for a neighbour): a slip's
        # difference is one jump, a gradual one (a signal the closures disagree on) is none; a way whose largest
        # step is not near a whole number of cycles (noise) tells nothing
        step = diff.copy()
        far = np.flatnonzero((qq // cols == pp // cols) & (np.abs(qq - pp) > 1))  # along the row
        for j in far:
            a, b = sorted((int(qq[j]), int(pp[j])))
            d = np.diff(x[ifgs, a:b + 1], axis=1) * scale
            d = np.where(np.isfinite(d), d, 0.0)
            s = d[np.arange(d.shape[0]), np.abs(d).argmax(axis=1)] * np.sign(pp[j] - qq[j])
            s[np.abs(s - np.rint(s)) > JUMP_TOLERANCE] = np.nan
            bare = u[ifgs, qq[j]] == 0  # where the reference is itself corrected, its difference is the evidence
            step[bare, j] = s[bare]
        jump = np.rint(_row_median(step))
        known = np.isfinite(jump)
        smooth = (np.abs(med[None, :] + options[:, ifgs]) < EDGE_TOLERANCE).all(axis=1)
        # a candidate's corrections must each undo one jump of the ground
        smooth &= ((options[:, ifgs] == 0) | (options[:, ifgs] == -jump[None, :]) | ~known[None, :]).all(axis=1)
        if smooth[0]:
            continue
        members = cp[j0:last[g] + 1]
        if int(smooth.sum()) == 1:
            switch.append((members, options[int(np.argmax(smooth))]))
        else:
            # left when the ground shows no jump where only the closures' choice corrects (or none at all), or fits
            # another candidate at least as well; kept when it still fits the closures' choice best
            mine = (options[0, ifgs] != 0) & (options[:, ifgs] != options[0, ifgs]).any(axis=0) & known
            misfit = np.abs(med[None, :] + options[:, ifgs]).sum(axis=1)
            if ((known.all() and not jump.any()) or (mine.any() and not jump[mine].any())
                    or misfit[1:].min() <= misfit[0]):
                drop[members] = True
    for members, v in switch:
        u[:, members] = np.where(np.isfinite(x[:, members]), v[:, None], 0).astype(np.int16)
    if not drop.any():
        return px, np.zeros(0, np.int64)
    u[:, drop] = 0
    return px[~drop[px]], np.flatnonzero(drop)
