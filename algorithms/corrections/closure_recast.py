"""A pixel's correction recast against its component's: the decision plus the sparsest rest.

Closures see a correction only up to what no loop can see (a date shifted by a whole cycle, and sums of such
shifts). Where a patch lies on a bank that is off in several interferograms, the pixel's closures are the bank's and
the patch's together, and the sparsest correction of the sum need not be the bank's plus the patch's: it may trade
some of the bank's pairs for others of the same dates, as sparse in cycles and with fewer slipped pairs. Its
component (the bank) decides its own correction later, from the values the closures settled and the bridges across
no data (:func:`closure.component_decisions`); the patch's values, corrected by the first pass, are not given it.

An unwrapping error is a region of one interferogram off by whole cycles beside ground that is not: a patch inside
a bank is the bank's slips plus its own. So a pixel whose first-pass correction ``U`` differs from its
component's decision ``D`` is recast as the decision plus the sparsest correction of what
the decision leaves: the integer closures its window agrees on (those the first pass solved,
:func:`closure_consensus.consensus_at`) with ``D`` applied, ``K + C D``. Where the exact solver
(:class:`closure_solver._Solver`) finds a correction ``R`` of those that closes them exactly, is unique, is not
``U - D`` and costs less than ``U`` (in cycles, then slipped values, as the solver prices them), ``D + R`` takes the
pixel's place, unless the pixel's own loops holding a moved value open more with it than they close (a patch's rim,
which the first pass carried from the patch where those loops asked). Where ``U`` closed the window's closures,
``D + R`` closes them alike: the choice is between two corrections the closures cannot tell apart, made for the one
nearest the ground around it, as the edges choose a date's shift (:mod:`closure_edges`); where ``U`` left some open
(a pattern corrected in part), ``D + R`` is the decision and what the rest asks for. Where the decision does not
explain the pixel (ground the component's slip did not reach, with a slip of its own), what it leaves costs more
than the pixel's own correction, and the pixel is left. A pixel that only lacks some of the decision's values is
asked too: asking only those that disagree where they corrected left more values wrong on the practice stack's
variants (1,723 against 1,124 on 48 of them) and fixed fewer. A pixel whose corrections are some of the decision's
values, or none, would be given the decision alone (:func:`closure_consensus.complete`): where the rest has one
exact, unique answer that keeps every correction the pixel has, it takes the decision and that answer, whatever its
price (a patch's own slip, left by the first pass where the patch's pattern with the bank's was ambiguous). An
uncorrected pixel is asked where the decision leaves :data:`MIN_LEFT_OPEN` of its own usable loops open. The same
holds for a pixel that also carries slips of its own beside the decision's values (none against them), where the
decision opens no loop the window closes (else the decision may not have reached the pixel, ground beside the
bank's slip, and the rest would move it onto the bank). On the 48 variants: 3,773 more fixed and 11 fewer made
wrong for the first (variant 33's patch on a bank decided by its component, 1,760 values; variant 37's, 1,292), 563
more fixed for the second (variant 6's patch on (8, 11), 410).

The rest beyond the decision answers to the pixel's own loops as well: where it opens :data:`MIN_OPENED` of them
at least, more than it closes (a slip its window reads on a pixel beyond the patch's edge), it is dropped and the
pixel takes the decision alone (on the 48 variants: 373 values made wrong against 562 without it, 8 fewer fixed).

Where the window's closures leave the decision's rest without one exact, unique answer (a patch's rim, its window
half the patch's and half the ground beside it), a clean pixel's own closures (:data:`OWN_CLEAN` of its loops with
data usable) are asked the same: the decision plus the sparsest correction that closes what it leaves of them
exactly, unique and cheaper than the pixel's own (on the practice stack's variants, 48 of them: 562 values made wrong
against 621 without it, 99 more fixed; 0.85 of the loops let noisy pixels in, 0.95 left rims out).

A value in no loop the window agrees on (its loops noisy there) is not priced: left uncorrected, it takes the
decision's (as the second pass would give it); corrected (a window saw it), it keeps its own.

Per pixel, from its window's closures and its component's decision (the second pass reads each block with rows of
halo beyond half a window): the same whatever the blocks of a run.

Last, a clean pixel whose corrections leave some of its own loops open takes a neighbour's that close them all
(:func:`adopt`, two rings): a patch's rim, where the window settled on a twin of the slip that the pixels a step
inside did not (on the 48 variants: 269 values made wrong against 373, 1,303 more fixed).
"""

from __future__ import annotations

import numpy as np

from .closure_solver import _MISSING, EVENT_WEIGHT, _distinct_columns

#: Pixels recast together (bounds the temporaries, not the verdicts).
CHUNK_PX = 65536

#: Fewest of a pixel's own loops the recast must open (more than it closes) to be refused. A slip is seen in every
#: loop of its interferogram with data, a patch's rim in two or more; on decorrelated ground one loop's closure flips
#: with the noise alone, and a refusal on one loop left most of the wrong values on the practice stack's variants
#: (the twin of a bank's pairs kept against its component's decision).
MIN_OPENED = 2

#: Share of a pixel's loops with data that are usable (within the residual of whole cycles, not noisy in its window)
#: for its own closures to recast it where its window's do not decide.
OWN_CLEAN = 0.9


def _cost(u: np.ndarray) -> np.ndarray:
    """The solver's price of corrections (M, n): their cycles, and :data:`closure_solver.EVENT_WEIGHT` per slipped
    value (of two as many cycles, fewer slipped values)."""
    return np.abs(u).sum(axis=0) + EVENT_WEIGHT * (u != 0).sum(axis=0)


def _sums(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The loops' sums ``C x`` (T, n) of corrections ``x`` (M, n), from the loops' pairs ``idx`` (T, 3) (ij, jk, ik)."""
    return x[idx[:, 0]] + x[idx[:, 1]] - x[idx[:, 2]]


def _held(incidence: np.ndarray, loops: np.ndarray) -> np.ndarray:
    """Where (M, n) a pair is in one of ``loops`` (T, n) bool at least (``incidence`` (T, M) float32, 1 where a loop
    holds a pair: a product of whole counts, exact in floats)."""
    return (incidence.T @ loops.astype(np.float32)) > 0


def _opens(clo: np.ndarray, idx: np.ndarray, incidence: np.ndarray, before: np.ndarray, after: np.ndarray,
           max_frac: float) -> np.ndarray:
    """Where (n,) the change of corrections ``before`` -> ``after`` (M, n) opens more of the pixels' usable own loops
    (``clo`` (T, n) closures in cycles, NaN unusable; within ``max_frac`` of a whole number) that hold a changed value
    than it closes, :data:`MIN_OPENED` at least."""
    usable = np.isfinite(clo)
    c = np.where(usable, clo, 0.0)
    usable &= np.abs(c - np.rint(c)) <= max_frac
    usable &= (incidence @ (before != after).astype(np.float32)) > 0
    open_before = np.rint(c + _sums(before, idx)) != 0
    open_after = np.rint(c + _sums(after, idx)) != 0
    opened = (usable & ~open_before & open_after).sum(axis=0)
    closed = (usable & open_before & ~open_after).sum(axis=0)
    return (opened >= MIN_OPENED) & (opened > closed)


def _solved(key: np.ndarray, solver, m: int) -> tuple:
    """The solver's corrections (M, n) int32 of the integer closures ``key`` (T, n) int16 (:data:`_MISSING` where a
    loop is not used) and whether each is unique (n,): one solve per distinct pattern (the solver caches them too;
    this spares the per-pixel calls)."""
    pats, inverse = _distinct_columns(key)
    new = np.zeros((pats.shape[1], m), np.int32)
    ok = np.zeros(pats.shape[1], bool)
    for i in range(pats.shape[1]):
        new[i], ok[i] = solver.solve(np.ascontiguousarray(pats[:, i]))
    return new[inverse].T, ok[inverse]


#: Fewest of an uncorrected pixel's own usable loops that its component's decision must leave open for the pixel to be
#: recast (a patch inside a decided bank, its own slip left beside the bank's).
MIN_LEFT_OPEN = 2


def _left_open(px: np.ndarray, own, has: np.ndarray, dec: np.ndarray, idx: np.ndarray, max_frac: float) -> np.ndarray:
    """Where (px.size,) the decision ``dec`` (M, n) leaves :data:`MIN_LEFT_OPEN` of the pixels' own usable loops open
    (``own(px)`` their closures in cycles, NaN unusable), chunk by chunk."""
    out = np.zeros(px.size, bool)
    for s0 in range(0, px.size, CHUNK_PX):
        sl = slice(s0, s0 + CHUNK_PX)
        clo = own(px[sl])
        usable = np.isfinite(clo)
        c = np.where(usable, clo, 0.0)
        k = np.rint(c)
        usable &= np.abs(c - k) <= max_frac
        d = np.where(np.take(has, px[sl], axis=1), dec[:, sl], 0).astype(np.int32)
        out[sl] = (usable & (k + _sums(d, idx) != 0)).sum(axis=0) >= MIN_LEFT_OPEN
    return out


def _own_rest(clo: np.ndarray, h: np.ndarray, dec: np.ndarray, cur: np.ndarray, idx: np.ndarray,
              incidence: np.ndarray, solver, max_frac: float) -> tuple:
    """The decision ``dec`` (M, n) plus the sparsest correction of what it leaves of the pixels' own integer closures
    (``clo`` (T, n) cycles, NaN unusable; ``h`` (M, n) the values with data), and where (n,) it is taken: the pixel is
    clean (:data:`OWN_CLEAN` of its loops with data usable), the answer unique, exact on every usable loop, cheaper
    than the pixel's correction ``cur`` (as the solver prices them) and with no value where there is no data."""
    usable = np.isfinite(clo)
    c = np.where(usable, clo, 0.0)
    k = np.rint(c)
    usable &= np.abs(c - k) <= max_frac
    data = h[idx[:, 0]] & h[idx[:, 1]] & h[idx[:, 2]]
    clean = usable.sum(axis=0) >= OWN_CLEAN * np.maximum(data.sum(axis=0), 1)
    rest = np.where(usable, k.astype(np.int32) + _sums(dec, idx), 0)
    alt, ok = _solved(np.where(usable, rest, _MISSING).astype(np.int16), solver, dec.shape[0])
    seen = _held(incidence, usable)
    cand = np.where(seen, dec + alt, cur)
    got = clean & ok & ((_sums(alt, idx) + rest == 0) | ~usable).all(axis=0)
    got &= _cost(alt) < _cost(cur)
    got &= (cand != cur).any(axis=0) & ~((cand != 0) & ~h).any(axis=0)
    return cand, got


def recast(u: np.ndarray, agreed, own, has: np.ndarray, labels: np.ndarray, decisions: np.ndarray, triplets,
           solver, max_cycles: int, max_frac: float, span: tuple | None = None) -> np.ndarray:
    """Recast in place the corrections ``u`` (M, P) int16 of the pixels whose closures their component's decision
    explains (``labels`` (P,) the components, 0 none; ``decisions`` (C + 1, M) int16, 0 none; ``has`` (M, P) the
    values with data) as the decision plus the sparsest unique rest (module opening), within ``max_cycles`` per
    value. ``agreed(px)`` gives the integer closures (T, px.size) int16 the pixels' windows agree on,
    :data:`_MISSING` where none, ``own(px)`` the pixels' own closures (T, px.size) in cycles, NaN where a loop has
    no data or is noisy (a loop usable within ``max_frac`` cycle of a whole number); ``span`` (first, end) the flat
    pixels asked, default all (a block asks its own rows and the rows beside them that its later checks read, whose
    windows it holds whole). Returns the pixels recast (flat indices)."""
    lab = np.asarray(labels).reshape(-1)
    decisions = np.asarray(decisions)
    deciding = (decisions != 0).any(axis=1)
    deciding[0] = False
    lo, hi = (0, lab.size) if span is None else span
    on = deciding[lab[lo:hi]]
    corrected = (u[:, lo:hi] != 0).any(axis=0)
    idx = np.asarray(triplets.index)
    px_all = lo + np.flatnonzero(on & corrected)
    left = lo + np.flatnonzero(on & ~corrected)
    if left.size:
        left = left[_left_open(left, own, has, decisions[lab[left]].T, idx, max_frac)]
        px_all = np.union1d(px_all, left)
    if not px_all.size:
        return px_all
    incidence = (np.asarray(triplets.matrix) != 0).astype(np.float32)
    done = []
    for s0 in range(0, px_all.size, CHUNK_PX):
        px = px_all[s0:s0 + CHUNK_PX]
        h = np.take(has, px, axis=1)
        dec = np.where(h, decisions[lab[px]].T, 0).astype(np.int32)
        cur = np.take(u, px, axis=1).astype(np.int32)
        sel = np.flatnonzero((cur != dec).any(axis=0))
        if not sel.size:
            continue
        px, h, dec, cur0 = px[sel], h[:, sel], dec[:, sel], cur[:, sel]
        key = agreed(px)
        usable = key != _MISSING
        # a value in no usable loop (its loops noisy there) is not priced: left uncorrected, it takes the decision's;
        # corrected (a window saw it), it keeps its own
        seen = _held(incidence, usable)
        cur = np.where((cur0 == 0) & (dec != 0) & ~seen, dec, cur0)
        diff = np.where(seen, cur - dec, 0)
        # the closures the decision leaves on the usable loops (those of U - D where U closes them)
        rest = np.where(usable, key.astype(np.int32) + _sums(dec, idx), 0)
        fits = ~(usable & (key == 0) & (rest != 0)).any(axis=0)  # the decision opens no loop the window closes
        key = np.where(usable, rest, _MISSING).astype(np.int16)
        alt, ok = _solved(key, solver, u.shape[0])
        cand = np.where(seen, dec + alt, cur)
        # the decision explains the pixel where what it leaves is closed exactly by a correction cheaper than the
        # pixel's own, and unique (a misfit left, or a twin as cheap, explains nothing)
        exact = ((_sums(alt, idx) + rest == 0) | ~usable).all(axis=0)
        take = ok & exact
        # a pixel whose corrections are some of the decision's (or none), or slips of its own beside them, is given
        # the decision (complete): the rest is taken where there is one that keeps every correction the pixel has,
        # closing what the decision leaves open
        part = ((cur0 == 0) | (cur0 == dec) | (dec == 0)).all(axis=0)
        part &= ((cur0 == 0) | (cand == cur0)).all(axis=0)
        part &= (cand != np.where(dec != 0, dec, cur0)).any(axis=0)  # beyond what complete would leave
        # slips of the pixel's own beside the decision: where the decision opens a loop the window closes, it may not
        # have reached the pixel (ground beside the bank's slip), and the rest would move the pixel onto it
        part &= fits | ~((cur0 != 0) & (dec == 0)).any(axis=0)
        cheaper = (_cost(alt) < _cost(cur0)) | part
        take &= (alt != diff).any(axis=0) & cheaper
        take &= (np.abs(cand) <= max_cycles).all(axis=0) & ~((cand != 0) & ~h).any(axis=0)
        # the pixel's own loops, which the first pass's later steps asked (a patch's rim, carried from it), have the
        # last word: more of them opened than closed by the change refuses it
        if take.any():
            t = np.flatnonzero(take)
            clo = own(px[t])
            # the rest beyond the decision answers to them alone as well: a slip the window reads on a pixel its
            # own loops refuse (a patch's rim beyond the patch) is dropped, the decision kept
            base = np.where(seen[:, t], dec[:, t], cur[:, t])
            drop = _opens(clo, idx, incidence, base, cand[:, t], max_frac)
            cand[:, t[drop]] = base[:, drop]
            take[t] &= ~_opens(clo, idx, incidence, cur0[:, t], cand[:, t], max_frac)
            take[t] &= (cand[:, t] != cur0[:, t]).any(axis=0)
        # where the window's closures leave the decision's rest without one exact answer (a rim, its window half the
        # patch's), a clean pixel's own closures may give it
        failed = np.flatnonzero(~(ok & exact))
        if failed.size:
            mine, got = _own_rest(own(px[failed]), h[:, failed], dec[:, failed], cur0[:, failed], idx, incidence,
                                  solver, max_frac)
            got &= (np.abs(mine) <= max_cycles).all(axis=0)
            cand[:, failed[got]] = mine[:, got]
            take[failed[got]] = True
        if take.any():
            sub = px[take]
            u[:, sub] = cand[:, take].astype(u.dtype)
            done.append(sub)
    return np.concatenate(done) if done else np.zeros(0, np.int64)


#: Rounds of :func:`adopt`: a rim two pixels wide takes its neighbours' corrections ring by ring (one ring: 279 values
#: made wrong on the practice stack's 48 variants, two 270, three 270 with 61 more fixed, measured before the rule's
#: last two conditions; each ring needs a row more of halo: :data:`closure.HALO_ROWS`).
ADOPT_ROUNDS = 2

_NEIGHBOURS = ((0, 1), (1, 0), (0, -1), (-1, 0))


def adopt(u: np.ndarray, own, has: np.ndarray, triplets, rows: int, cols: int, span: tuple, max_cycles: int,
          max_frac: float, alpha: float, after=None) -> np.ndarray:
    """A clean pixel's corrections that leave some of its own loops open, replaced by a neighbour's that close them
    all (one round; ``u`` (M, rows * cols) in place; returns the pixels changed).

    The first pass and the recast decide a pixel from its window; at a patch's rim, where the window is half the
    patch's and half the ground beside it, the window's closures may settle on a twin of the patch's slips (a date's
    other pairs) that the pixel's own loops refuse, while the patch's pixels a step inside took the patch's own. A
    pixel is asked where it is clean (:data:`OWN_CLEAN` of its loops with data usable, ``own(px)`` its closures in
    cycles, NaN where noisy or without data) and its corrections leave one of its usable loops open at least. Each
    4-neighbour's corrections (on the pixel's values with data) that close every usable loop are candidates; the one
    the solver prices lowest (:func:`_cost`) is taken where it is alone at its price, every value it changes is in
    one of the pixel's usable loops at least, it lowers the pixel's L1 misfit (``sum |C U + K| + alpha sum |U|``, the
    first pass's objective) and, where it adds more than one cycle, a second neighbour carries the same. Every pixel of
    the rows ``span`` (first, end) is judged on the corrections as they were before the round (the order of the pixels
    does not matter); the rows beside them are read. Only a pixel with a neighbour whose corrections differ is asked
    (the others are offered their own), and with ``after`` (flat pixels) the pixels a round before changed, only
    their neighbours (the others, and their neighbours, are as that round left them)."""
    idx = np.asarray(triplets.index)
    incidence = (np.asarray(triplets.matrix) != 0).astype(np.float32)
    lo, hi = span[0] * cols, span[1] * cols
    if after is None:  # the pixels with a neighbour whose corrections differ (elsewhere every offer is their own)
        grid = u.reshape(u.shape[0], rows, cols)
        edge = np.zeros((rows, cols), bool)
        across = (grid[:, :, 1:] != grid[:, :, :-1]).any(axis=0)
        edge[:, 1:] |= across
        edge[:, :-1] |= across
        down = (grid[:, 1:] != grid[:, :-1]).any(axis=0)
        edge[1:] |= down
        edge[:-1] |= down
        asked = lo + np.flatnonzero(edge.reshape(-1)[lo:hi])
    else:
        y, x = np.divmod(np.asarray(after, np.int64), cols)
        near = [((y + dy) * cols + x + dx)[(y + dy >= 0) & (y + dy < rows) & (x + dx >= 0) & (x + dx < cols)]
                for dy, dx in _NEIGHBOURS]
        asked = np.unique(np.concatenate(near))
        asked = asked[(asked >= lo) & (asked < hi)]
    found_px, found_u = [], []
    for s0 in range(0, asked.size, CHUNK_PX):
        px = asked[s0:s0 + CHUNK_PX]
        cur = np.take(u, px, axis=1).astype(np.int32)
        clo = own(px)
        usable = np.isfinite(clo)
        c = np.where(usable, clo, 0.0)
        k = np.rint(c)
        usable &= np.abs(c - k) <= max_frac
        k = k.astype(np.int32)
        h = np.take(has, px, axis=1)
        data = h[idx[:, 0]] & h[idx[:, 1]] & h[idx[:, 2]]
        clean = usable.sum(axis=0) >= OWN_CLEAN * np.maximum(data.sum(axis=0), 1)
        misfit = np.where(usable, np.abs(k + _sums(cur, idx)), 0).sum(axis=0)
        ask = np.flatnonzero(clean & (misfit > 0))
        if not ask.size:
            continue
        q, us, kk, hh, cq = px[ask], usable[:, ask], k[:, ask], h[:, ask], cur[:, ask]
        y, x = np.divmod(q, cols)
        best = np.full(q.size, np.inf)
        tied = np.zeros(q.size, bool)
        cand = cq.copy()
        offers = []
        for dy, dx in _NEIGHBOURS:
            yy, xx = y + dy, x + dx
            inside = (yy >= 0) & (yy < rows) & (xx >= 0) & (xx < cols)
            v = np.where(hh, np.take(u, np.where(inside, yy * cols + xx, q), axis=1), 0).astype(np.int32)
            closes = inside & ((kk + _sums(v, idx) == 0) | ~us).all(axis=0)
            closes &= (np.abs(v) <= max_cycles).all(axis=0)
            offers.append((v, closes))
            price = np.where(closes, _cost(v), np.inf)
            tied = np.where(price < best, False, tied | (closes & (price == best) & (v != cand).any(axis=0)))
            better = price < best
            best = np.where(better, price, best)
            cand[:, better] = v[:, better]
        moved = cand != cq
        take = np.isfinite(best) & ~tied & moved.any(axis=0)
        take &= ~(moved & ((incidence.T @ us.astype(np.float32)) < 1)).any(axis=0)
        take &= alpha * np.abs(cand).sum(axis=0) < misfit[ask] + alpha * np.abs(cq).sum(axis=0)
        carried = sum(((v == cand).all(axis=0) & closes).astype(np.int32) for v, closes in offers)
        take &= (carried >= 2) | (np.abs(cand).sum(axis=0) - np.abs(cq).sum(axis=0) <= 1)
        if take.any():
            found_px.append(q[take])
            found_u.append(cand[:, take])
    if not found_px:
        return np.zeros(0, np.int64)
    done = np.concatenate(found_px)
    u[:, done] = np.concatenate(found_u, axis=1).astype(u.dtype)
    return done
