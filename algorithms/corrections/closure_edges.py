"""The choice, between corrections the closures cannot tell apart, of the one that leaves no edge.

A correction ``U`` of a pixel's interferograms and ``U + k A[:, d]`` (date ``d`` shifted by ``k`` whole cycles: ``+k``
on the pairs ending at ``d``, ``-k`` on those starting at it) close every loop alike (``C A = 0``). Phase closure
picks the sparser, and where the error is the other one it is wrong on every pair of that date: a patch slipped on two
of the three pairs that end at the last date closes as the third slipped the other way.

An unwrapping error is a region of one interferogram off by whole cycles, so its edge is a jump of about a cycle
between neighbouring pixels of that interferogram. Of the two corrections, the right one leaves the date's pairs
continuous across the edge of the region it corrects and the wrong one leaves a jump there in the pairs it gets
wrong. Per date, the pixels whose corrections of the date's pairs are the same and not all zero form regions
(4-connected); every edge between a region and a pixel outside it votes for the correction with fewer pairs jumping
by more than half a cycle across it (a tie does not vote). A region takes the date's shift when at least
:data:`MIN_EDGES` of its edges vote for it, :data:`RATIO` times as many for as against, and more than
:data:`SHARE` of all its edges: a patch of noise has few edges and they disagree, a bank's edge along an incoherent
line is long and votes at random, a slipped patch's edge is long and agrees. A pair in no loop of the network is in
no date's shift (its column of ``C`` is 0). A neighbour whose closures of the loops holding the date's pairs are
those of the region's pixel (within half a cycle) carries the same slips, left uncorrected beside the region, and
does not vote: corrected against it, the region would jump. On the project's generators the regions that pass
were right every time (for / against / edges, with the witnesses: 33/0/33, 21/0/24, 35/10/54, 54/0/84, and on the
world generator's seed 14 109/40/198, where the slip's uncorrected fringe had voted 77 against); the nearest wrong
one was a bank, 54/33/269.

Where the closures leave a pixel ambiguous between exactly two corrections (its candidate and that candidate with
one date shifted, or one slipped pair and another), the first pass keeps both (``tie_shift``), and the tie pixels
with the same two form regions whose edges vote between them on the same terms; a region takes the one they choose
(or nothing, undecided). A tie region is often a part of a larger slip whose other pixels lost the tie (their own
closures of a loop apart from the window's by noise, or a loop partner without data): a neighbour that carries
nothing on the pairs and whose values of the pairs run on from the region's is that slip, not its edge, whether its
closures are the region's or not, and is left out of the edges the share is taken of (the region's decision then
rests on its edge to the ground that did not slip, as a patch's correction does where its boundary is seen in the
interferogram itself). Such a neighbour, no tie itself, takes the region's choice on the pairs (its rim) where its
values run on from the region's in more than :data:`RIM_SHARE` of the interferograms (each pixel's corrections
applied): coherent ground, where a decorrelated pixel's closures and two pairs may match the region's by chance.
The rim runs on ring by ring, each ring's neighbours on the same terms from the ring before, up to
:data:`RIM_RINGS` pixels from the region (the blocks that count the votes are read with as many rows of halo).

The votes are integer counts over the edges of the whole grid, gathered block by block (each edge counted by the block
that owns its region's pixel), so the choice does not depend on the blocks of a run.
"""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError

#: Fewest edges of a region that must vote for a date's shift.
MIN_EDGES = 8
#: The votes for the shift must be at least this many times those against.
RATIO = 2.0
#: ... and more than this share of the region's edges: a bank's long edge along an incoherent line votes at random,
#: and its few votes for a shift are not a slipped patch's edge.
SHARE = 0.5
#: A rim pixel's values must run on from the region's in more than this share of their interferograms.
RIM_SHARE = 0.9
#: Rings of a decided tie region's rim: the same slip running on from the region, at most this far from it.
RIM_RINGS = 3
#: The 4 neighbours, in the order an edge's direction is coded.
_OFFSETS = ((0, 1), (1, 0), (0, -1), (-1, 0))


def date_incidence(pairs, n_dates: int | None = None) -> np.ndarray:
    """``A`` (M, N) int8: +1 where pair ``m`` ends at date ``n``, -1 where it starts there (pairs as date indices,
    earlier first)."""
    p = np.asarray(pairs, np.int64).reshape(-1, 2)
    n = int(p.max()) + 1 if n_dates is None else int(n_dates)
    a = np.zeros((p.shape[0], n), np.int8)
    rows = np.arange(p.shape[0])
    a[rows, p[:, 0]] = -1
    a[rows, p[:, 1]] = 1
    return a


def _usable(held: np.ndarray, no_data: int, tie_from: int) -> np.ndarray:
    """The first pass's cycles as corrections: its codes for no data and for ties are 0 (a tie's value is left as
    it is: nothing was applied there)."""
    h = np.asarray(held)
    return np.where((h == no_data) | (h >= tie_from), 0, h).astype(np.int8)


def _candidate(held: np.ndarray, no_data: int, tie_from: int, tie_code: int) -> np.ndarray:
    """The first pass's cycles with a tie's candidate (``tie_code + v``) read as ``v``, no data as 0."""
    h = np.asarray(held)
    return np.where(h == no_data, 0, np.where(h >= tie_from, h.astype(np.int16) - tie_code, h)).astype(np.int8)


#: Tie codes from this one up are a swap of one slipped pair for another (:func:`tie_kinds`).
SWAP_BASE = 8192


def tie_kinds(tie_shift: np.ndarray) -> tuple:
    """``(date, k, fallback, other, n_other)`` per pixel of the first pass's tie codes: ``k (2 (d + 1) + fallback)``
    (below :data:`SWAP_BASE`) is the candidate against itself with date ``d`` shifted by ``k``; ``n (SWAP_BASE +
    q)`` is the candidate (one slipped pair) against pair ``q`` slipped by ``n`` instead. -1 / 0 where not."""
    t = np.asarray(tie_shift, np.int64)
    a = np.abs(t)
    is_date = (a > 0) & (a < SWAP_BASE)
    date = np.where(is_date, a // 2 - 1, -1)
    swap = a >= SWAP_BASE
    return (date, np.where(is_date, np.sign(t), 0), is_date & (a % 2 == 1), np.where(swap, a - SWAP_BASE, -1),
            np.where(swap, np.sign(t), 0))


def date_regions(sub: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The regions of one date: ``sub`` (n_d, rows, cols) int8, the corrections of its pairs. Returns ``(n, flat,
    label)``: the pixels whose corrections are not all zero (``flat``, raster order) and their region (int32, 0 .. n-1,
    numbered in raster order of the regions' first pixel); a region is 4-connected and carries one correction."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_d, rows, cols = sub.shape
    nz = (sub != 0).any(axis=0)
    used = np.flatnonzero(nz.any(axis=1))
    if not used.size:
        return 0, np.zeros(0, np.int64), np.zeros(0, np.int32)
    r0, r1 = int(used[0]), int(used[-1]) + 1  # the rows with a correction: the temporaries are theirs only
    nz, sub = nz[r0:r1], sub[:, r0:r1]
    local = np.flatnonzero(nz)
    node = np.full(nz.shape, -1, np.int32 if local.size < 2 ** 31 else np.int64)
    node.reshape(-1)[local] = np.arange(local.size)
    heads, tails = [], []
    for a, b in (((slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                 ((slice(0, -1), slice(None)), (slice(1, None), slice(None)))):
        same = nz[a] & nz[b]
        for k in range(n_d):
            same &= sub[k][a] == sub[k][b]
        heads.append(node[a][same])
        tails.append(node[b][same])
    del node
    flat = local.astype(np.int64) + r0 * cols
    i, j = np.concatenate(heads), np.concatenate(tails)
    graph = coo_matrix((np.ones(i.size, np.int8), (i, j)), shape=(flat.size, flat.size))
    n, lab = connected_components(graph, directed=False)
    # number the regions in raster order of their first pixel (connected_components' own order is not promised)
    first = np.full(n, flat.size, np.int64)
    np.minimum.at(first, lab, np.arange(flat.size))
    rank = np.empty(n, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(n)
    return int(n), flat, rank[lab].astype(np.int32)


class EdgeVotes:
    """The votes of the regions' edges for each date's shift, gathered over a pass of the stack's blocks.

    Parameters
    ----------
    held : ndarray (M, rows, cols) int8
        The first pass's cycles of the whole grid (``closure.NO_DATA_CYCLES`` where a value has none; a tie's code
        from ``tie_from`` up).
    pairs : sequence of (int, int)
        The ``M`` pairs as date indices, earlier first.
    no_data, tie_from : int
        The first pass's code of a value without data, and the lowest code of a tie (both taken as no correction).
    in_loops : sequence of bool (M,), optional
        The pairs in a loop of the network (default all): the others are in no date's shift.
    loops : ndarray (T, 3), optional
        The loops ``(ij, jk, ik)``: with them, a neighbour whose closures of the date's loops are the region's
        pixel's does not vote (without them every neighbour does).
    min_edges : int
        Regions with fewer edges are not counted (they cannot take a shift).
    tie_shift : ndarray (rows, cols) int16, optional
        The pixels the first pass left as a tie between its candidate ``U`` (coded ``tie_code + v`` in ``held``) and
        one alternative (:func:`tie_kinds`): ``U`` with one date shifted by ``k``, or, where ``U`` is one slipped pair,
        another pair slipped instead. The tie pixels with the same candidate and alternative form regions too, and
        their edges vote between the two: a region takes the alternative on the same terms as a corrected region
        takes a shift, or ``U`` where as many of its edges vote against it (:meth:`choose_ties`); otherwise nothing
        is applied there, as before.
    tie_code : int
        The first pass's code of a tie's candidate: ``tie_code + v`` (needed with ``tie_shift``).
    """

    def __init__(self, held: np.ndarray, pairs, *, no_data: int, tie_from: int, in_loops=None, loops=None,
                 min_edges: int = MIN_EDGES, tie_shift=None, tie_code: int | None = None):
        # ``held`` is read here and in :meth:`apply`, not kept: the object goes to the blocks' workers
        self.no_data, self.tie_from = int(no_data), int(tie_from)
        self.a = date_incidence(pairs)
        m, self.rows, self.cols = held.shape
        if self.a.shape[0] != m:
            raise GeohazardError(f"{self.a.shape[0]} pairs for {m} interferograms of first-pass cycles")
        # a pair in no loop is not in the closures' ambiguity (its column of C is 0): its own edges are not a
        # date's, and a date's shift leaves it as it is
        self.in_loops = np.ones(m, bool) if in_loops is None else np.asarray(in_loops, bool)
        # the loops (ij, jk, ik) holding a pair of each date: a neighbour whose closures of them are those of the
        # region's pixel carries the same slips (or none, as it), and is no witness of the region's edge
        self.loops = None if loops is None else np.asarray(loops, np.int64).reshape(-1, 3)
        self.n_edges = {}  # per date, the edges of each region
        self.dates = []  # per date with regions: (d, its pairs, edges' pixel, direction, region, regions' count)
        for d in range(self.a.shape[1]):
            mm = self.pairs_of(d)
            sub = _usable(held[mm], self.no_data, self.tie_from)
            n, flat, lab = date_regions(sub)
            if not n:
                continue
            edges = self._edges(flat, lab, n)
            keep = np.bincount(edges[2], minlength=n) >= min_edges  # a region with fewer edges cannot switch
            if not keep.any():
                continue
            sel = keep[edges[2]]
            self.dates.append((d, mm, edges[0][sel], edges[1][sel], edges[2][sel], n))
            self.n_edges[d] = np.bincount(edges[2], minlength=n)
        self.votes = {d: np.zeros((2, 2, n), np.int64) for d, _, _, _, _, n in self.dates}  # (k=-1|+1, for|against)
        # the ties' regions: (pairs, edges' pixel, direction, region, regions' count, the alternative's cycles on the
        # pairs per region, pixels, their region)
        self.tie_code = None if tie_code is None else int(tie_code)
        self.ties = []
        if tie_shift is not None:
            if self.tie_code is None:
                raise GeohazardError("tie_shift needs tie_code")
            for mm, ys, xs, chans, steps_of in self._tie_groups(held, np.asarray(tie_shift).reshape(self.rows,
                                                                                                   self.cols)):
                n, flat, lab, edges = self._group_regions(ys, xs, chans)
                count = np.bincount(edges[2], minlength=n)
                if not (count >= min_edges).any():
                    continue
                reg_px = np.zeros(n, np.int64)
                reg_px[lab] = np.arange(lab.size)  # a pixel of each region: its channels are the region's
                self.ties.append((mm, *edges, n, steps_of(chans[:, reg_px]), flat, lab, count))
        # (for the alternative | against | to a neighbour with the same closures | to the same slip undecided)
        self.tie_votes = [np.zeros((4, e[4]), np.int64) for e in self.ties]
        self.rims = [[] for _ in self.ties]  # per tie group, (region, neighbour's pixel) of its rims

    def pairs_of(self, d: int) -> np.ndarray:
        """The pairs of date ``d`` that are in a loop."""
        return np.flatnonzero((self.a[:, d] != 0) & self.in_loops)

    def _tie_groups(self, held, tie_shift):
        """The tie pixels by what they tie with: ``(pairs, rows, cols, channels, steps)`` per date shifted and per
        (pair, other pair) swapped; a region is made of pixels with the same channels (the candidate on the pairs
        and the alternative's sign), ``steps`` maps them to the alternative's cycles on the pairs."""
        date, k, _, other, n_other = tie_kinds(tie_shift)
        for d in np.unique(date[date >= 0]).tolist():
            mm = self.pairs_of(d)
            ys, xs = np.nonzero(date == d)
            cand = _candidate(held[mm[:, None], ys[None, :], xs[None, :]], self.no_data, self.tie_from,
                              self.tie_code)
            chans = np.concatenate([cand, k[ys, xs][None].astype(np.int8)])
            step = self.a[mm, d].astype(np.int64)
            yield mm, ys, xs, chans, lambda c, step=step: step[:, None] * c[-1][None, :].astype(np.int64)
        ys, xs = np.nonzero(other >= 0)
        if not ys.size:
            return
        coded = np.asarray(held[:, ys, xs]) >= self.tie_from  # the candidate's one slipped pair
        first = coded.argmax(axis=0)
        ok = coded.sum(axis=0) == 1
        ys, xs, first = ys[ok], xs[ok], first[ok]
        q = other[ys, xs]
        for p_, q_ in sorted(set(zip(first.tolist(), q.tolist()))):
            sel = (first == p_) & (q == q_)
            mm = np.array([p_, q_], np.int64)
            yy, xx = ys[sel], xs[sel]
            cand = _candidate(held[p_, yy, xx], self.no_data, self.tie_from, self.tie_code)
            chans = np.stack([cand, n_other[yy, xx].astype(np.int8)])
            yield mm, yy, xx, chans, lambda c: np.stack([-c[0].astype(np.int64), c[1].astype(np.int64)])

    def _group_regions(self, ys, xs, chans):
        """``(n, flat, label, edges)`` of a tie group's pixels (:meth:`_tie_groups`), made in their bounding box: the
        4-connected regions of equal channels and every edge from a region's pixel to a 4-neighbour outside it
        (pixel, direction, region; sorted by pixel)."""
        y0, x0 = int(ys.min()), int(xs.min())
        h, w = int(ys.max()) - y0 + 1, int(xs.max()) - x0 + 1
        sub = np.zeros((chans.shape[0], h, w), np.int8)
        sub[:, ys - y0, xs - x0] = chans
        n, lflat, lab = date_regions(sub)
        ly, lx = np.divmod(lflat, w)
        flat = (ly + y0) * self.cols + (lx + x0)
        label = np.full((h + 2, w + 2), -1, np.int32)
        label[ly + 1, lx + 1] = lab
        out_p, out_d, out_r = [], [], []
        for k, (dy, dx) in enumerate(_OFFSETS):
            gy, gx = ly + y0 + dy, lx + x0 + dx
            ok = (gy >= 0) & (gy < self.rows) & (gx >= 0) & (gx < self.cols) & (label[ly + 1 + dy, lx + 1 + dx] != lab)
            out_p.append(flat[ok])
            out_d.append(np.full(int(ok.sum()), k, np.int8))
            out_r.append(lab[ok])
        p, dirs, r = np.concatenate(out_p), np.concatenate(out_d), np.concatenate(out_r)
        order = np.lexsort((dirs, p))
        return n, flat, lab, (p[order], dirs[order], r[order])

    def _edges(self, flat, lab, n):
        """Every edge from a region's pixel to a 4-neighbour outside that region: (pixel, direction, region), sorted
        by pixel."""
        rows, cols = self.rows, self.cols
        label = np.full(rows * cols, -1, np.int32)
        label[flat] = lab
        label = label.reshape(rows, cols)
        y, x = np.divmod(flat, cols)
        out_p, out_d, out_r = [], [], []
        for k, (dy, dx) in enumerate(_OFFSETS):
            qy, qx = y + dy, x + dx
            ok = (qy >= 0) & (qy < rows) & (qx >= 0) & (qx < cols)
            ok[ok] = label[qy[ok], qx[ok]] != lab[ok]
            out_p.append(flat[ok])
            out_d.append(np.full(int(ok.sum()), k, np.int8))
            out_r.append(lab[ok])
        p, dirs, r = np.concatenate(out_p), np.concatenate(out_d), np.concatenate(out_r)
        order = np.lexsort((dirs, p))
        return p[order], dirs[order], r[order]

    def block(self, values_mm: np.ndarray, cycles: np.ndarray, read0: int, row0: int, row1: int,
              cycle_mm: float) -> dict:
        """The votes (per date, (2, 2, regions) int64) of the edges whose region's pixel lies in rows ``row0 ..
        row1`` of the grid. ``values_mm`` (M, rows read, cols) the interferograms (NaN where not usable) and
        ``cycles`` the first pass's cycles of the same rows, read from ``read0``, at least one more row above and
        below the block where the grid has them. Reads only: blocks may run at once; :meth:`add` sums them."""
        cols = self.cols
        half = 0.5 * cycle_mm
        out = {}
        entries = [(d, (d, mm, p, dirs, r, n), None) for d, mm, p, dirs, r, n in self.dates]
        entries += [(("tie", i), (None, *e[:5]), e[5]) for i, e in enumerate(self.ties)]
        for key, (d, mm, p, dirs, r, n), steps in entries:
            tie = steps is not None
            lo, hi = np.searchsorted(p, [row0 * cols, row1 * cols])
            if hi == lo:
                continue
            y, x = np.divmod(p[lo:hi], cols)
            off = np.asarray(_OFFSETS)[dirs[lo:hi]]
            y, qy, qx = y - read0, y - read0 + off[:, 0], x + off[:, 1]
            col = mm[:, None]
            own = cycles[col, y[None, :], x[None, :]]
            # a tie's region is judged as corrected by its candidate, its neighbours by what they carry
            up = (_candidate(own, self.no_data, self.tie_from, self.tie_code) if tie
                  else _usable(own, self.no_data, self.tie_from))
            uq = _usable(cycles[col, qy[None, :], qx[None, :]], self.no_data, self.tie_from)
            diff = ((values_mm[col, y[None, :], x[None, :]] - values_mm[col, qy[None, :], qx[None, :]])
                    + (up.astype(np.float64) - uq) * cycle_mm)
            fin = np.isfinite(diff)
            diff = np.where(fin, diff, 0.0)
            now = (fin & (np.abs(diff) > half)).sum(axis=0)
            rr = r[lo:hi]
            if self.loops is not None:
                lp = self.loops[np.isin(self.loops, mm).any(axis=1)]
                cp = (values_mm[lp[:, 0][:, None], y[None, :], x[None, :]]
                      + values_mm[lp[:, 1][:, None], y[None, :], x[None, :]]
                      - values_mm[lp[:, 2][:, None], y[None, :], x[None, :]])
                cq = (values_mm[lp[:, 0][:, None], qy[None, :], qx[None, :]]
                      + values_mm[lp[:, 1][:, None], qy[None, :], qx[None, :]]
                      - values_mm[lp[:, 2][:, None], qy[None, :], qx[None, :]])
                with np.errstate(invalid="ignore"):
                    witness = (np.abs(cp - cq) > half).any(axis=0)
                now = np.where(witness, now, 0)
                fin = fin & witness[None, :]
                same = ~witness & (np.isfinite(cp) & np.isfinite(cq)).all(axis=0)
            else:
                same = np.zeros(rr.size, bool)
            if tie:  # the alternative of each edge's region; and its edges to the same slips, which are no edge
                then = (fin & (np.abs(diff + steps[:, rr] * cycle_mm) > half)).sum(axis=0)
                raw = values_mm[col, y[None, :], x[None, :]] - values_mm[col, qy[None, :], qx[None, :]]
                held_q = cycles[:, qy, qx]
                with np.errstate(invalid="ignore"):
                    runs_on = (np.abs(raw) <= half).all(axis=0)
                # a witness that votes for neither, carrying nothing on the pairs, whose values of the pairs run on
                # from the region's: the same slip left undecided beside the region (its closures apart by noise in
                # another pair of a loop), inside the slipped ground, not on its edge
                bare = (uq == 0).all(axis=0)
                inside = ~same & (then == now) & bare & runs_on
                out[key] = np.stack([np.bincount(rr[then < now], minlength=n),
                                     np.bincount(rr[then > now], minlength=n), np.bincount(rr[same], minlength=n),
                                     np.bincount(rr[inside], minlength=n)])
                # such a neighbour, no tie itself, that carries nothing on the pairs and whose values of the pairs run
                # on from the region's (no jump): the rim of the same slip, which takes the region's choice on the
                # pairs (:meth:`apply`); its other corrections stay
                rim = ((same | inside) & (held_q[mm] == 0).all(axis=0)
                       & ((held_q < self.tie_from) | (held_q == self.no_data)).all(axis=0) & runs_on)
                if rim.any():  # and that runs on from it in most of their interferograms: coherent ground
                    rim[rim] = self._runs_on(values_mm, cycles, y[rim], x[rim], qy[rim], qx[rim], cycle_mm)
                found = [np.stack([rr[rim], ((qy + read0) * cols + qx)[rim]]).astype(np.int64)]
                if RIM_RINGS > 1 and rim.any():
                    found.append(self._rings(values_mm, cycles, mm, rr[rim], qy[rim], qx[rim], read0, cycle_mm))
                out[("rim", key[1])] = np.concatenate(found, axis=1)
                continue
            step = self.a[mm, d].astype(np.float64)[:, None] * cycle_mm
            votes = np.zeros((2, 2, n), np.int64)
            for i, k in enumerate((-1, 1)):
                then = (fin & (np.abs(diff + k * step) > half)).sum(axis=0)
                votes[i, 0] = np.bincount(rr[then < now], minlength=n)
                votes[i, 1] = np.bincount(rr[then > now], minlength=n)
            out[key] = votes
        return out

    def _rings(self, values_mm, cycles, mm, region, y, x, read0, cycle_mm) -> np.ndarray:
        """The rim's further rings, up to :data:`RIM_RINGS` from the region: from each rim pixel ``(y, x)`` (rows of
        the block read) of ``region``, a 4-neighbour that is no tie, carries nothing on the pairs ``mm``, whose values
        of the pairs run on from the pixel's and that runs on from it in most interferograms (:meth:`_runs_on`),
        ring by ring. Returns ``(2, n)``: region, pixel (grid index); pixels reached from several may repeat."""
        rows, cols = values_mm.shape[1], self.cols
        half = 0.5 * cycle_mm
        size = self.rows * cols
        seen = np.unique(region.astype(np.int64) * size + (y + read0) * cols + x)  # (region, pixel) reached
        out_r, out_p = [], []
        for _ in range(RIM_RINGS - 1):
            ny, nx, nr, fy, fx = [], [], [], [], []
            for dy, dx in _OFFSETS:
                qy, qx = y + dy, x + dx
                ok = (qy >= 0) & (qy < rows) & (qx >= 0) & (qx < cols)
                ny.append(qy[ok]), nx.append(qx[ok]), nr.append(region[ok]), fy.append(y[ok]), fx.append(x[ok])
            qy, qx, rr, py, px = (np.concatenate(v) for v in (ny, nx, nr, fy, fx))
            held_q = cycles[:, qy, qx]
            raw = values_mm[mm[:, None], py[None, :], px[None, :]] - values_mm[mm[:, None], qy[None, :], qx[None, :]]
            with np.errstate(invalid="ignore"):
                ok = ((held_q[mm] == 0).all(axis=0) & ((held_q < self.tie_from) | (held_q == self.no_data)).all(axis=0)
                      & (np.abs(raw) <= half).all(axis=0))
            ok &= ~np.isin(rr.astype(np.int64) * size + (qy + read0) * cols + qx, seen)
            if ok.any():
                ok[ok] = self._runs_on(values_mm, cycles, py[ok], px[ok], qy[ok], qx[ok], cycle_mm)
            keys, first = np.unique(rr[ok].astype(np.int64) * size + (qy[ok] + read0) * cols + qx[ok],
                                    return_index=True)
            if not keys.size:
                break
            sel = np.flatnonzero(ok)[first]
            region, y, x = rr[sel], qy[sel], qx[sel]
            seen = np.union1d(seen, keys)
            out_r.append(region)
            out_p.append((y + read0) * cols + x)
        if not out_r:
            return np.zeros((2, 0), np.int64)
        return np.stack([np.concatenate(out_r), np.concatenate(out_p)]).astype(np.int64)

    def _runs_on(self, values_mm, cycles, y, x, qy, qx, cycle_mm) -> np.ndarray:
        """Whether the values of pixels ``(qy, qx)`` run on (within half a cycle, each pixel's first-pass corrections
        applied, a tie's none) from those of their neighbours ``(y, x)`` in more than :data:`RIM_SHARE` of the
        interferograms with data at both: a slip's rim in coherent ground does in nearly all of them, a decorrelated
        pixel, whose closures may match by chance, in about half."""
        up = _usable(cycles[:, y, x], self.no_data, self.tie_from).astype(np.float64)
        uq = _usable(cycles[:, qy, qx], self.no_data, self.tie_from)
        diff = values_mm[:, y, x] - values_mm[:, qy, qx] + (up - uq) * cycle_mm
        fin = np.isfinite(diff)
        with np.errstate(invalid="ignore"):
            ok = (fin & (np.abs(diff) <= 0.5 * cycle_mm)).sum(axis=0)
        return ok > RIM_SHARE * fin.sum(axis=0)

    def add(self, votes: dict) -> None:
        """Add a block's votes (:meth:`block`)."""
        for d, v in votes.items():
            if isinstance(d, tuple) and d[0] == "rim":
                self.rims[d[1]].append(v)
            elif isinstance(d, tuple):
                self.tie_votes[d[1]] += v
            else:
                self.votes[d] += v

    def choose_ties(self, *, min_edges: int = MIN_EDGES, ratio: float = RATIO, share: float = SHARE) -> list:
        """The ties the votes decide: ``(group, region, alternative, for, against)``: the alternative (the date's
        shift, or the other slipped pair) where at least ``min_edges`` of the region's edges vote for it, ``ratio``
        times as many as against and more than ``share`` of its edges; the candidate (``alternative`` False, ``for``
        then the votes against the alternative) where its edges vote against on the same terms; the share is of its
        edges but those to a neighbour with the same closures and those to the same slip left undecided (carrying
        nothing on the pairs, no jump on them, voting for neither). Other ties are left undecided."""
        out = []
        for g, e in enumerate(self.ties):
            v = self.tie_votes[g]
            # a neighbour whose closures are the region's pixel's carries the same slips, left undecided beside the
            # region (the rim a window's majority did not reach): the region goes on there, no edge of it
            # and so does a neighbour with the same slip whose closures are apart by another pair's noise
            edges = e[-1] - v[2] - v[3]
            for r in range(e[4]):
                for a, b, alt in ((v[0, r], v[1, r], True), (v[1, r], v[0, r], False)):
                    if a >= min_edges and a >= ratio * b and a > share * edges[r]:
                        out.append((g, r, alt, int(a), int(b)))
                        break
        out.sort(key=lambda t: (-(t[3] - t[4]), t[0], t[1]))
        return out

    def choose(self, *, min_edges: int = MIN_EDGES, ratio: float = RATIO, share: float = SHARE) -> list:
        """The shifts the votes decide: ``(d, region, k, for, against)``, the strongest first. A region takes the
        shift of ``k`` (of the two, the one with more votes for than against) where at least ``min_edges`` edges
        vote for it, ``ratio`` times as many as against, and more than ``share`` of its edges."""
        out = []
        for d, _, _, _, _, n in self.dates:
            v = self.votes[d]
            margin = v[:, 0] - v[:, 1]
            best = np.where(margin[1] > margin[0], 1, 0)
            pro, con = v[best, 0, np.arange(n)], v[best, 1, np.arange(n)]
            for r in np.flatnonzero((pro >= min_edges) & (pro >= ratio * con) & (pro > share * self.n_edges[d])):
                out.append((d, int(r), 2 * int(best[r]) - 1, int(pro[r]), int(con[r])))
        out.sort(key=lambda t: (-(t[3] - t[4]), t[0], t[1]))
        return out

    def apply(self, held: np.ndarray, shifts: list, *, max_cycles: int = 3, ties: list | None = None,
              tie_shift=None) -> tuple[int, int]:
        """Shift the chosen regions' corrections in ``held`` (in place): the strongest first, a region whose pixels a
        stronger shift has already moved is left. With ``tie_shift`` (the constructor's), the decided ties
        (``ties``, :meth:`choose_ties`) take their correction, and the undecided ones whose candidate no component
        may take are cleared (0). Returns the regions shifted or decided and the values changed."""
        done, changed = 0, 0
        moved = np.zeros(self.rows * self.cols, bool)
        regions = {}  # the regions the votes were counted on, before any shift
        for d in sorted({s[0] for s in shifts}):
            regions[d] = date_regions(_usable(held[self.pairs_of(d)], self.no_data,
                                              self.tie_from))
        for d, r, k, _, _ in shifts:
            mm = self.pairs_of(d)
            _, flat, lab = regions[d]
            px = flat[lab == r]
            if moved[px].any():
                continue
            y, x = np.divmod(px, self.cols)
            block = held[mm[:, None], y[None, :], x[None, :]].astype(np.int16)
            has = (block != self.no_data) & (block < self.tie_from)
            new = np.where(has, block + k * self.a[mm, d].astype(np.int16)[:, None], block)
            if (np.abs(new[has]) > max_cycles).any():
                continue
            for i, m in enumerate(mm):
                held[m, y, x] = new[i].astype(np.int8)
            changed += int((new != block).sum())
            moved[px] = True
            done += 1
        if tie_shift is not None:  # the ties' pixels carry no correction: the regions above are not theirs
            n_ties, n_values = self._apply_ties(held, ties or [], tie_shift, max_cycles)
            done, changed = done + n_ties, changed + n_values
        return done, changed

    def _apply_ties(self, held, ties, tie_shift, max_cycles) -> tuple[int, int]:
        """:meth:`apply` of the ties: each decided region's pixels take their candidate, with the alternative's
        cycles where the edges chose it; then every tie code of a pixel left undecided, but a component's fallback
        (:func:`tie_kinds`), is cleared."""
        date, _, fallback, other, _ = tie_kinds(np.asarray(tie_shift).reshape(self.rows, self.cols))
        undecided = (date >= 0) | (other >= 0)
        taken = np.zeros(self.rows * self.cols, bool)  # rim pixels given a region's choice
        done, changed = 0, 0
        for g, r, alt, _, _ in ties:
            mm, flat, lab, steps = self.ties[g][0], self.ties[g][6], self.ties[g][7], self.ties[g][5]
            px = flat[lab == r]
            y, x = np.divmod(px, self.cols)
            block = np.asarray(held[:, y, x]).astype(np.int16)
            has = block != self.no_data
            new = np.where(block >= self.tie_from, block - self.tie_code, block)
            if alt:
                new[mm] += steps[:, r][:, None].astype(np.int16)
            new = np.where(has, new, block)
            if (np.abs(new[has]) > max_cycles).any():
                continue
            before = np.where(block >= self.tie_from, 0, block)  # a tie's value carried no correction
            changed += int(((new != before) & has).sum())
            held[:, y, x] = new.astype(np.int8)
            undecided.reshape(-1)[px] = False
            done += 1
            changed += self._apply_rim(held, g, r, new, block, mm, taken)
        clear = undecided & ~fallback
        if clear.any():
            y, x = np.nonzero(clear)
            block = np.asarray(held[:, y, x])
            held[:, y, x] = np.where((block != self.no_data) & (block >= self.tie_from), 0, block)
        return done, changed

    def _apply_rim(self, held, g, r, new, block, mm, taken) -> int:
        """A decided region's choice on its pairs given to its rim (:meth:`block`'s neighbours, no tie, carrying nothing
        on the pairs, with no jump on them and running on from the region in most interferograms), where the region's
        candidate is on those pairs alone; a rim pixel's other corrections stay. Returns the values set."""
        if not self.rims[g]:
            return 0
        rims = np.concatenate(self.rims[g], axis=1)
        q = np.unique(rims[1][rims[0] == r])
        if not q.size:
            return 0
        rest = np.ones(block.shape[0], bool)
        rest[mm] = False
        cand = np.where(block >= self.tie_from, block - self.tie_code, 0)
        if (cand[rest] != 0).any():
            return 0
        corr = new[mm, 0].astype(np.int8)
        if not (new[mm] == corr[:, None].astype(new.dtype)).all():
            return 0
        q = q[~taken[q]]
        y, x = np.divmod(q, self.cols)
        now = np.asarray(held[:, y, x])
        ok = (now[mm] == 0).all(axis=0) & (now < self.tie_from).all(axis=0)
        y, x = y[ok], x[ok]
        for i, m in enumerate(mm):
            held[m, y, x] = corr[i]
        taken[q[ok]] = True
        return int(ok.sum()) * int(np.count_nonzero(corr))
