"""Bridges across no data: the whole cycles between a component the closures left unsettled and the ground beside it.

Phase closure decides a correction up to what the loops cannot see: a date shifted by a whole cycle, or two
corrections as sparse as each other. Where a whole component (a river bank, an island: the pieces an unwrapper
unwraps apart) is off in several interferograms whose combination has such a twin, every pixel of it is left
unsettled, and no edge inside it tells the two apart: its edge is the gap of no data around it.

Across a narrow gap the ground runs on: the deformation, the troposphere and the ramps differ little over a few
hundred metres, and the component's jump against the nearest ground that closed is its offset in whole cycles (the
"bridging" of MintPy's unwrapping-error correction, Yunjun et al. 2019, which links components by their nearest
pixels). Here a bridge only chooses where the closures could not: a component whose pixels are mostly unsettled
(more than :data:`AMBIGUOUS_SHARE`), measured against components whose pixels are not (at most :data:`GROUND_SHARE`
unsettled), each of its unsettled pixels within :data:`GAP_PX` of such ground paired with the
nearest ground pixel with data. Per interferogram, the median of the pairs' differences (the first pass's
corrections applied on both sides) is the component's offset where at least :data:`MIN_PAIRS` pairs have data and
the median lies within :data:`CLEAR_FRAC` cycle of a whole number other than 0. The offsets join the components'
decisions (:func:`closure.component_decisions`) where the component decided nothing for that interferogram, and the
second pass gives them to the component's values with no correction unless the value's own loops contradict them
(:func:`closure_consensus.contradicted`): a real step (a fault's slip) closes every loop as it is and is refused.

Every other component is also bridged to the largest one, on the same terms: for the pairs in no loop of the network,
which no closure sees anywhere, and, where its offsets on the pairs in a loop are ones every closure of the network
reads alike (the closures took the sparser twin of a date's errors) and no step that lasts, made on its pixels in the
first pass's cycles before the components decide (:meth:`Bridges.apply_shifts`).

The differences are gathered block by block (each pair by the block holding its component's pixel, read with
:data:`GAP_PX` rows of halo) and the median of the same set is the same number whatever the blocks.
"""

from __future__ import annotations

import numpy as np

from .closure_edges import date_incidence

#: Farthest (pixels) a bridge reaches from a component's pixel to the ground beside it.
GAP_PX = 8
#: Share of a component's pixels left unsettled by the first pass for it to be bridged to the ground beside it.
AMBIGUOUS_SHARE = 0.5
#: Largest share of a component's pixels left unsettled for it to be ground a bridge is measured against.
GROUND_SHARE = 0.1
#: Fewest pairs with data in an interferogram for its median to decide.
MIN_PAIRS = 50
#: Largest distance (cycles) of the median from a whole number for it to decide.
CLEAR_FRAC = 0.25
#: Most pairs kept per component (every n-th of its pixels in raster order beyond it): the median needs no more.
MAX_PAIRS = 20000


class Bridges:
    """The pairs (component pixel, nearest ground pixel) of the components to bridge, on the whole grid.

    Parameters
    ----------
    labels : ndarray (rows, cols) int
        The components (:func:`closure.component_labels`), 0 none.
    n : int
        The number of components.
    unsettled : ndarray (rows, cols) bool
        The pixels whose pattern the first pass found no unique correction for (partly corrected or not).
    in_loops, pairs, loops
        The pairs in a loop of the network (M,) bool, the pairs as date indices (M, 2) and the loops ``(ij, jk, ik)``
        (T, 3): with them every other component is also bridged to the largest one (:meth:`offsets`).
    """

    def __init__(self, labels: np.ndarray, n: int, unsettled: np.ndarray, *, in_loops=None, pairs=None, loops=None,
                 gap: int = GAP_PX):
        lab = np.asarray(labels)
        amb = np.asarray(unsettled, bool)
        self.rows, self.cols = lab.shape
        self.n = int(n)
        self.gap = int(gap)
        size = np.bincount(lab.reshape(-1), minlength=self.n + 1)
        n_amb = np.bincount(lab[amb], minlength=self.n + 1)
        size[0] = 0
        share = np.divide(n_amb, size, out=np.zeros(size.shape), where=size > 0)
        self.candidates = np.flatnonzero((share > AMBIGUOUS_SHARE) & (size > 0))
        ground = (lab > 0) & (share[lab] <= GROUND_SHARE) & ~amb
        parts = [self._pairs(lab, c, amb, ground) for c in self.candidates.tolist()]
        # every other component bridged to the largest one (the frame they all share), every pixel of it within the
        # gap: for the pairs in no loop of the network, which no closure sees anywhere, and for a date's shift, which
        # every closure sees alike (:meth:`offsets`)
        self.in_loops = None if in_loops is None else np.asarray(in_loops, bool)
        self.a = None if pairs is None else date_incidence(pairs)
        self.loops = None if loops is None else np.asarray(loops, np.int64).reshape(-1, 3)
        self.root = 0
        if self.in_loops is not None and self.n > 1:
            self.root = int(np.argmax(size))
            root = lab == self.root
            others = [c for c in range(1, self.n + 1) if c != self.root and size[c] > 0]
            parts += [self._pairs(lab, c, np.ones(lab.shape, bool), root, code=-c) for c in others]
        self.src, self.dst, self.comp = (np.concatenate([q[i] for q in parts]) if parts else np.zeros(0, np.int64)
                                         for i in range(3))
        self.diffs = []  # per block: (pair indices, differences (M, pairs) in cycles)
        self.shifts = {}  # component -> its offsets invisible to the closures (M,) (offsets)

    def _pairs(self, lab, c, own_mask, ground, code=None):
        """``(component pixels, nearest ground pixels, code)`` of component ``c``'s pixels in ``own_mask`` within the
        gap of ``ground`` (every n-th beyond :data:`MAX_PAIRS`); ``code`` names the set (``c``: unsettled,
        ``-c``: bridged to the largest component for the pairs in no loop)."""
        from scipy import ndimage

        gap = self.gap
        ys, xs = np.nonzero(lab == c)
        y0, y1 = max(0, ys.min() - gap), min(self.rows, ys.max() + gap + 1)
        x0, x1 = max(0, xs.min() - gap), min(self.cols, xs.max() + gap + 1)
        g = ground[y0:y1, x0:x1]
        empty = (np.zeros(0, np.int64),) * 3
        if not g.any():
            return empty
        dist, (iy, ix) = ndimage.distance_transform_edt(~g, return_indices=True)
        py, px = np.nonzero((lab[y0:y1, x0:x1] == c) & own_mask[y0:y1, x0:x1] & (dist <= gap))
        if not py.size:
            return empty
        step = -(-py.size // MAX_PAIRS)
        py, px = py[::step], px[::step]
        return ((py + y0) * self.cols + px + x0, (iy[py, px] + y0) * self.cols + ix[py, px] + x0,
                np.full(py.size, c if code is None else code, np.int64))

    @property
    def empty(self) -> bool:
        return self.src.size == 0

    def block(self, values_mm: np.ndarray, cycles: np.ndarray, read0: int, row0: int, row1: int,
              cycle_mm: float, *, no_data: int, tie_from: int) -> dict:
        """The differences (component minus ground, cycles) of the pairs whose component pixel lies in rows
        ``row0:row1``, from ``values_mm`` (M, rows read, cols) and the first pass's ``cycles`` of the same rows
        (int8, its codes of no data, ``no_data``, and of ties, from ``tie_from``, taken as no correction), read from
        row ``read0``."""
        sel = np.flatnonzero((self.src >= row0 * self.cols) & (self.src < row1 * self.cols))
        m = values_mm.shape[0]
        if not sel.size:
            return {"pairs": sel, "diffs": np.zeros((m, 0))}
        x = np.asarray(values_mm, np.float64).reshape(m, -1)
        cyc = np.asarray(cycles).reshape(m, -1)
        a = self.src[sel] - read0 * self.cols
        b = self.dst[sel] - read0 * self.cols
        ca, cb = cyc[:, a].astype(np.int64), cyc[:, b].astype(np.int64)
        ca = np.where((ca == no_data) | (ca >= tie_from), 0, ca)
        cb = np.where((cb == no_data) | (cb >= tie_from), 0, cb)
        d = (x[:, a] - x[:, b]) / cycle_mm + (ca - cb)
        return {"pairs": sel, "diffs": d}

    def add(self, out: dict) -> None:
        if out["pairs"].size:
            self.diffs.append((out["pairs"], out["diffs"]))

    def offsets(self, m: int) -> dict:
        """``{component: offsets (M,) int16}``: the whole cycles each bridged component is off by against its ground,
        0 where its median does not decide (:data:`MIN_PAIRS`, :data:`CLEAR_FRAC`)."""
        if not self.diffs:
            return {}
        pairs = np.concatenate([p for p, _ in self.diffs])
        diffs = np.concatenate([d for _, d in self.diffs], axis=1)
        order = np.argsort(pairs, kind="stable")  # the pairs' own order: the same set whatever the blocks
        pairs, diffs = pairs[order], diffs[:, order]
        out = {}
        self.shifts = {}
        comp = self.comp[pairs]
        for c in sorted(np.unique(comp).tolist(), key=lambda v: (v < 0, abs(v))):  # unsettled first, then no-loop
            d = diffs[:, comp == c]
            ok = np.isfinite(d)
            off = np.zeros(m, np.int16)
            for k in np.flatnonzero(ok.sum(axis=1) >= MIN_PAIRS).tolist():
                med = float(np.median(d[k, ok[k]]))
                r = round(med)
                if r != 0 and abs(med - r) <= CLEAR_FRAC:
                    off[k] = -r
            if c < 0:  # bridged to the largest component: the pairs in no loop, and a date's shift
                c = -c
                shift = self._date_shift(off)
                if shift is not None and c not in self.candidates:
                    self.shifts[c] = shift
                off[self.in_loops] = 0
                if c in out:
                    off = np.where(out[c] != 0, out[c], off)
            if off.any():
                out[int(c)] = off
        return out


    def _date_shift(self, off: np.ndarray):
        """The offsets on the pairs in a loop (M,) int16 where they are invisible to every closure of the network
        (``x_ij + x_jk - x_ik`` of the offsets 0 in every loop: one date shifted by a cycle, with the pairs whose
        only loops they share shifted or not alike) and are no step that lasts (a run of dates to the last one, or
        from the first, shifted: an earthquake's offset reads so and is left). None otherwise."""
        if self.a is None or self.loops is None:
            return None
        looped = np.where(self.in_loops, off, 0).astype(np.int64)
        if not looped.any():
            return None
        t = self.loops
        if (looped[t[:, 0]] + looped[t[:, 1]] - looped[t[:, 2]]).any():
            return None
        a = self.a.astype(np.int64)
        for d in range(1, a.shape[1]):
            run = np.where(self.in_loops, a[:, d:].sum(axis=1), 0)  # the pairs over the step before date d
            if run.any() and (np.array_equal(looped, run) or np.array_equal(looped, -run)):
                return None
        return looped.astype(np.int16)

    def apply_shifts(self, held: np.ndarray, labels: np.ndarray, *, no_data: int, tie_from: int,
                     max_cycles: int) -> int:
        """Make each component's offsets invisible to the closures (:meth:`offsets` first) in the first pass's cycles
        ``held`` (M, rows, cols) int8, in place: added on their pairs at the component's pixels whose cycles of those
        pairs are the ones most of its pixels carry (what its bridge measured; a pixel the first pass left otherwise,
        or a tie, is left as it is), within ``max_cycles``. Returns the values changed."""
        n = 0
        lab = np.asarray(labels)
        for c, vec in sorted(self.shifts.items()):
            pairs = np.flatnonzero(vec)
            ys, xs = np.nonzero(lab == c)
            v = np.stack([np.asarray(held[m])[ys, xs] for m in pairs.tolist()]).astype(np.int16)  # (pairs, pixels)
            # the pattern most of the component's pixels carry on the date's pairs (the first in raster order of a tie)
            cols = np.ascontiguousarray(v.T).view(np.dtype((np.void, v.dtype.itemsize * v.shape[0]))).ravel()
            uniq, first, inverse, counts = np.unique(cols, return_index=True, return_inverse=True, return_counts=True)
            best = np.lexsort((first, -counts))[0]
            take = inverse.reshape(-1) == best
            new = v[:, take] + vec[pairs][:, None].astype(np.int16)
            if ((v[:, take] == no_data) | (v[:, take] >= tie_from)).any() or (np.abs(new) > max_cycles).any():
                continue  # the majority's pattern holds no data or a tie on a pair, or the shift would go beyond
            for i, m in enumerate(pairs.tolist()):
                held[m, ys[take], xs[take]] = new[i].astype(held.dtype)
            n += int(take.sum()) * pairs.size
        return n


def join_decisions(decisions: np.ndarray, offsets: dict, max_cycles: int) -> int:
    """Give each bridged component its offsets (:meth:`Bridges.offsets`) as decisions where it decided nothing for
    the interferogram (``decisions`` (C + 1, M) int16, in place), within ``max_cycles``. Returns the values set."""
    n = 0
    for c, off in offsets.items():
        row = decisions[c]
        take = (row == 0) & (off != 0) & (np.abs(off) <= max_cycles)
        row[take] = off[take]
        n += int(take.sum())
    return n
