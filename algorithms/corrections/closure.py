"""Unwrapping-error correction by phase closure, and loop-closure statistics.

For a triplet of interferograms ``ij``, ``jk``, ``ik`` of a network, the closure phase
``c = phi_ij + phi_jk - phi_ik`` is small (noise, phase bias) when the three are unwrapped
consistently and is near a non-zero multiple of ``2 pi`` when one of them carries an
unwrapping error. With ``C`` the triplet matrix (``T x M``, entries +1/-1/0) and ``K`` the
integer ambiguity of the closure phases of a pixel,
``K = round(C phi / 2 pi)`` (Yunjun et al. 2019, eq. 8-9), the integer cycles ``U`` to add to
the ``M`` interferograms solve

    minimise  sum_t |C_t U + K_t|  +  alpha sum_m |U_m|,   U integer, |U_m| <= max_cycles

(the L1 misfit of the closures plus an L1 regularisation: the sparsest correction that closes
the loops, as MintPy's ``unwrap_error_phase_closure`` which solves the L2-misfit / L1-norm
version with ``cvxopt.l1regls`` and rounds). Here the problem is solved exactly as a small
mixed-integer linear programme (scipy's HiGHS ``milp``), once per distinct closure pattern
of a block: most pixels close (nothing to solve), and pixels sharing an unwrapping error share
their pattern, so one solve serves a whole patch.

**No new errors.** Corrections are only determined up to an integer time series
(``C A theta = 0``): a date shifted by a whole cycle cannot be seen from closures, and an
interferogram found in one triplet only is indistinguishable from the two others of that
triplet. Where the optimum is not unique the pixel is left as it is (counted as *detected,
not corrected*): a second solve that makes the chosen interferograms dearer looks for another
correction of the same cost; when it finds one, the correction is ambiguous and not applied. A value
changes only where the closures force it: every loop of a corrected interferogram closes after the
correction on every value with data (incoherent ones too), and a correction that is part of a date's
shift leaves at least twice as many of the shifted interferograms as it corrects.

Units: the interferograms enter as LOS millimetres (any sign convention applied consistently);
one cycle is ``wavelength / 2`` of LOS (``cycle_mm``). The closure statistics are in radians.

References
----------
Yunjun, Z., Fattahi, H., Amelung, F. (2019). Small baseline InSAR time series analysis:
unwrapping error correction and noise reduction. Computers & Geosciences 133, 104331,
doi:10.1016/j.cageo.2019.104331.
Morishita, Y. et al. (2020). LiCSBAS: an open-source InSAR time series analysis package
integrated with the LiCSAR automated Sentinel-1 InSAR processor. Remote Sensing 12(3), 424,
doi:10.3390/rs12030424 (loop-closure statistics, bad loops: RMS >= 1.5 rad).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine import TILE_SIZE, max_memory_bytes, plan_blocks
from ..errors import GeohazardError
from ..ordered import add_rows
from .closure_ground import _NEIGHBOURS, _row_median, edge_choice

TWO_PI = 2.0 * np.pi
#: A correction is not applied when shifting a run of dates by whole cycles gives one that changes fewer than this many
#: times as many interferograms (both explain the closures alike: the sparser is only trusted by a clear majority).
DATE_SHIFT_FACTOR = 2
#: Mean improvement (cycles) of the loops of every corrected interferogram at a pixel, over its loops with data.
MIN_MEAN_GAIN = 0.5
#: The same for a region's cycles at one of its pixels (decided by the region's majority; the pixel must agree).
REGION_MIN_GAIN = 0.25
CLOSED_AFTER = 0.4
#: Sentinel of a triplet not usable at a pixel (one of its interferograms has no data).
_MISSING = np.int16(-32768)


@dataclass(frozen=True)
class Triplets:
    """The closure triplets of a network.

    Attributes
    ----------
    index : ndarray (T, 3) int
        ``(ij, jk, ik)`` interferogram indices; closure = ``x[ij] + x[jk] - x[ik]``.
    matrix : ndarray (T, M) float
        The triplet matrix ``C``.
    """

    index: np.ndarray
    matrix: np.ndarray
    dates: tuple = None  # (reference index, secondary index) of each pair into the sorted dates

    @property
    def n(self) -> int:
        return int(self.index.shape[0])

    def loops_of(self, m: int) -> np.ndarray:
        """Triplets containing interferogram ``m``."""
        return np.flatnonzero((self.index == m).any(axis=1))


def network_triplets(pairs, n_pairs: int | None = None) -> Triplets:
    """Triplets ``(ij, jk, ik)`` of a list of date pairs (reference earlier than secondary).

    Parameters
    ----------
    pairs : sequence of (date, date)
        ``M`` pairs, each ``(earlier, later)``.

    Raises
    ------
    GeohazardError
        When the network has no closed triplet (closure cannot say anything).
    """
    pairs = [tuple(p) for p in pairs]
    m = len(pairs) if n_pairs is None else int(n_pairs)
    where = {p: k for k, p in enumerate(pairs)}
    by_first: dict = {}
    for (a, b), k in where.items():
        by_first.setdefault(a, []).append((b, k))
    out = []
    for (i, j), a in where.items():
        for k_date, b in by_first.get(j, []):
            c = where.get((i, k_date))
            if c is not None:
                out.append((a, b, c))
    if not out:
        raise GeohazardError("INTERFEROGRAMS: the interferogram network has no closed triplet (ij, jk, ik); phase "
                             "closure needs loops: add interferograms that skip a date")
    idx = np.array(sorted(out), dtype=np.int64)
    mat = np.zeros((idx.shape[0], m))
    rows = np.arange(idx.shape[0])
    mat[rows, idx[:, 0]] += 1.0
    mat[rows, idx[:, 1]] += 1.0
    mat[rows, idx[:, 2]] -= 1.0
    order = {d: i for i, d in enumerate(sorted({d for p in pairs for d in p}))}
    ref = np.array([order[a] for a, _ in pairs], np.int64)
    sec = np.array([order[b] for _, b in pairs], np.int64)
    return Triplets(idx, mat, (ref, sec))


def closure_phase(cycles: np.ndarray, triplets: Triplets) -> np.ndarray:
    """Closure of every triplet, in cycles, ``(T, ...)`` from ``cycles`` ``(M, ...)`` (NaN where any is missing)."""
    x = np.ascontiguousarray(np.asarray(cycles, np.float64).reshape(cycles.shape[0], -1))
    out = np.empty((triplets.index.shape[0], x.shape[1]))
    _closure_kernel(x, np.ascontiguousarray(triplets.index), out)
    return out.reshape((out.shape[0],) + tuple(cycles.shape[1:]))


# The closure sums, in numpy: a loop at a time over every pixel of the block, each element's operations in a fixed
# order (the closure ``(x_a + x_b - x_c) * scale - offset``, then its rounding), into buffers made once per call; the
# row sums of squares sequential (cumulative sums), so the bytes do not depend on threads, CPU or block layout. As
# fast as the numba loops they replace on the 1 Mpx x 256-loop block (docs/corrections.md, Performance).
def _loop_closure(x, idx, t, scale, offset, c, cols=slice(None)):
    """``c = (x[a] + x[b] - x[c]) * scale - offset[t]`` of loop ``t`` over the pixels ``cols``."""
    np.add(x[idx[t, 0], cols], x[idx[t, 1], cols], out=c)
    np.subtract(c, x[idx[t, 2], cols], out=c)
    np.multiply(c, scale, out=c)
    np.subtract(c, offset[t], out=c)
    return c


def _closure_kernel(x, idx, out):
    """``out[t] = x[a_t] + x[b_t] - x[c_t]`` of every triplet ``t`` (NaN where any is missing)."""
    with np.errstate(invalid="ignore"):  # infinities of both signs: NaN, as missing
        for t in range(idx.shape[0]):
            np.add(x[idx[t, 0]], x[idx[t, 1]], out=out[t])
            np.subtract(out[t], x[idx[t, 2]], out=out[t])


def _classify_kernel(x, scale, idx, offset, max_frac, key, n_loops, n_nonclosing, todo):
    """Per pixel: the solver's key of every loop (its integer closure where the loop is trusted, the
    sentinel where it is missing or noisy), loops with data, loops with |closure| > pi, and whether a
    trusted loop does not close."""
    n_loops[:] = 0
    n_nonclosing[:] = 0
    todo[:] = False
    c = np.empty(x.shape[1])
    k = np.empty_like(c)
    frac = np.empty_like(c)
    for t in range(idx.shape[0]):
        with np.errstate(invalid="ignore"):  # infinities: not finite, never trusted
            _loop_closure(x, idx, t, scale, offset, c)
            np.rint(c, out=k)
            np.subtract(c, k, out=frac)
        finite = np.isfinite(c)
        np.abs(frac, out=frac)
        trusted = frac <= max_frac  # False where the closure is NaN or infinite
        nonzero = k != 0
        n_loops += finite
        n_nonclosing += finite & nonzero
        todo |= trusted & nonzero
        np.copyto(k, -32768.0, where=~trusted)  # the sentinel: no NaN or infinity left to convert
        key[t] = k


def _loop_sums_kernel(x, scale, idx, offset, n_cols, row0, n_rows, pixels, sum_sq, nonclosing):
    """Per loop, over the pixels of the ``n_rows`` rows from ``row0``: pixels with data, |closure| > pi, and the
    sum of squared closures (cycles^2) of each row (``sum_sq`` ``(T, rows)``: added in row order by
    :class:`ClosureStats`, so the totals do not depend on the block layout), each row's sum taken in pixel order."""
    cols = slice(row0 * n_cols, (row0 + n_rows) * n_cols)
    c = np.empty(n_rows * n_cols)
    for t in range(idx.shape[0]):
        with np.errstate(invalid="ignore"):
            _loop_closure(x, idx, t, scale, offset, c, cols)
        finite = np.isfinite(c)
        squares = c * c
        squares[~finite] = 0.0
        sum_sq[t, :n_rows] = np.cumsum(squares.reshape(n_rows, n_cols), axis=1)[:, -1] if n_cols else 0.0
        pixels[t] = float(np.count_nonzero(finite))
        nonclosing[t] = float(np.count_nonzero(finite & (np.rint(c) != 0)))


def _incidence(triplets: Triplets):
    """Sparse (M, T) membership of interferograms in loops."""
    from scipy import sparse

    t = triplets.index.shape[0]
    m = triplets.matrix.shape[1]
    rows = triplets.index.reshape(-1)
    cols = np.repeat(np.arange(t), 3)
    return sparse.csr_matrix((np.ones(rows.size, np.int32), (rows, cols)), shape=(m, t))


@dataclass
class _Solver:
    """Exact L1 integer solver with a cache of solved closure patterns."""

    triplets: Triplets
    alpha: float
    max_cycles: int
    cache: dict = field(default_factory=dict)
    n_milp: int = 0
    shifts: np.ndarray = None
    part_cache: dict = field(default_factory=dict)
    tie_cache: dict = field(default_factory=dict)
    alt_cache: dict = field(default_factory=dict)

    def solve(self, key: np.ndarray) -> tuple[np.ndarray, bool]:
        """Integer cycles ``U`` (M,) for a closure pattern; ``(U, unique)``."""
        kb = key.tobytes()
        hit = self.cache.get(kb)
        if hit is None:
            hit = self.cache[kb] = self._solve(key)
        return hit

    def _parts(self, key: np.ndarray) -> list:
        """The pattern split into independent parts: each keeps the non-closing loops of one connected group of
        interferograms (two interferograms are connected when a usable loop holds both), the others set to 0.

        The L1 problem separates exactly over these groups (no usable loop holds unknowns of two of them), so each
        part is solved once and reused by every pattern that contains it (a pixel with two slipped interferograms
        far apart in time, or with a slip and a noisy loop elsewhere)."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        valid = key != _MISSING
        nonzero = np.flatnonzero(valid & (key != 0))
        c = self.triplets.matrix
        used = np.flatnonzero((c[nonzero] != 0).any(axis=0))
        if used.size <= 3:  # one loop's interferograms
            return [key]
        touch = (c[:, used] != 0) & valid[:, None]
        touch = touch[touch.sum(axis=1) > 1].astype(np.int32)  # the loops joining two of them
        n_parts, label = connected_components(csr_matrix(touch.T @ touch), directed=False)
        if n_parts < 2:
            return [key]
        part_of = np.full(c.shape[1], -1)
        part_of[used] = label
        # a non-closing loop's interferograms all lie in one group: its first one names it
        first = part_of[np.abs(c[nonzero]).argmax(axis=1)]
        parts = []
        for g in range(n_parts):
            sub = key.copy()
            sub[nonzero[first != g]] = 0
            parts.append(sub)
        return parts

    def _solve(self, key: np.ndarray):
        m = self.triplets.matrix.shape[1]
        valid = key != _MISSING
        if not (np.where(valid, key, 0) != 0).any():
            return np.zeros(m, np.int16), True
        out = np.zeros(m, np.int16)
        for part in self._parts(key):
            kb = part.tobytes()
            hit = self.part_cache.get(kb)
            if hit is None:
                hit = self.part_cache[kb] = self._solve_part(part)
            if not hit[1]:
                return np.zeros(m, np.int16), False
            out += hit[0]
        if (out != 0).any():
            seen = np.abs(self.triplets.matrix[valid]).sum(axis=0) > 0  # interferograms in a usable loop
            kb = out.tobytes() + seen.tobytes()
            tie = self.tie_cache.get(kb)
            if tie is None:
                tie = self.tie_cache[kb] = self._date_shift_tie(out, seen)
            if tie:
                return np.zeros(m, np.int16), False
        return out, True

    def _fast(self, k: np.ndarray, valid: np.ndarray):
        """A pattern explained by one interferogram off by +-1 cycle: ``K = -n C_m`` on the valid triplets."""
        c = self.triplets.matrix[valid]
        kv = k[valid].astype(np.float64)
        nz = np.flatnonzero(kv)
        t0 = nz[0]
        cand = np.flatnonzero(c[t0] != 0)
        hits = []
        for m in cand:
            n = -kv[t0] / c[t0, m]
            if abs(n) == 1 and np.array_equal(-n * c[:, m], kv):
                hits.append((m, n))
        if hits and np.abs(kv).sum() <= self.alpha:
            return np.zeros(self.triplets.matrix.shape[1], np.int16), True  # too few loops to justify it
        if len(hits) == 1:
            # the only one-cycle solution with zero misfit: cost alpha is the optimum, and any other
            # correction of that cost is another single interferogram with the same column (a hit)
            u = np.zeros(self.triplets.matrix.shape[1], np.int16)
            u[hits[0][0]] = int(hits[0][1])
            return u, True
        if len(hits) > 1:
            return np.zeros(self.triplets.matrix.shape[1], np.int16), False
        return None

    def _solve_part(self, key: np.ndarray):
        """``(U, unique)`` of one part (:meth:`_parts`), before the date-shift check of the whole pattern."""
        m = self.triplets.matrix.shape[1]
        valid = key != _MISSING
        k = np.where(valid, key, 0)
        if not (k != 0).any():
            return np.zeros(m, np.int16), True
        fast = self._fast(k, valid)
        if fast is not None:
            return fast
        c = self.triplets.matrix[valid]
        kv = k[valid].astype(np.float64)
        # unknowns: the interferograms of the non-closing loops; constraints: every usable loop they are in
        # (the other loops close and their interferograms stay as they are)
        used = np.flatnonzero(np.abs(c[kv != 0]).sum(axis=0) > 0)
        rows = np.abs(c[:, used]).sum(axis=1) > 0
        c, kv = c[rows], kv[rows]
        cu = c[:, used]
        weights = np.full(used.size, self.alpha)
        u1, cost1 = self._milp(cu, kv, weights)
        unique = True
        if u1 is not None and (u1 != 0).any():
            w2 = weights.copy()
            w2[u1 != 0] *= 1.5
            u2, _ = self._milp(cu, kv, w2)
            if u2 is not None and not np.array_equal(u1, u2):
                cost2 = np.abs(cu @ u2 + kv).sum() + self.alpha * np.abs(u2).sum()
                unique = cost2 > cost1 + 1e-9
        out = np.zeros(m, np.int16)
        if u1 is None or not unique:
            return out, False
        out[used] = u1
        return out, True

    def _date_shift_tie(self, u: np.ndarray, seen: np.ndarray | None = None) -> bool:
        """True when shifting a run of consecutive dates by one cycle gives a correction as sparse as ``u``.

        Such a shift leaves every closure unchanged (``C A theta = 0``), so closures cannot choose
        between the two: the correction is ambiguous.
        """
        if self.shifts is None:
            self.shifts = _date_run_shifts(self.triplets)
        if self.shifts.size == 0:
            return False
        supp = np.flatnonzero(u)
        rows = np.flatnonzero((self.shifts[:, supp] != 0).any(axis=1))  # only these can lower the cost
        if rows.size == 0:
            return False
        uu = u[None, :].astype(np.int64)
        shifts = self.shifts[rows] if seen is None else np.where(seen, self.shifts[rows], 0)
        if (np.abs(uu + shifts).sum(axis=1) <= np.abs(u).sum()).any():
            return True  # as sparse: a tie
        # on the interferograms a shift moves, a correction not much smaller (cycles) whose corrected interferograms
        # are not a clear minority (fewer than half as many as the shifted one's) is no better supported
        moved = shifts != 0
        base_n = np.count_nonzero(moved & (uu != 0), axis=1)
        base_l1 = np.abs(np.where(moved, uu, 0)).sum(axis=1)
        for n in range(1, self.max_cycles + 1):
            alt = np.where(moved, uu + n * shifts, 0)
            if ((np.count_nonzero(alt, axis=1) < DATE_SHIFT_FACTOR * base_n)
                    & (np.abs(alt).sum(axis=1) <= 1.5 * base_l1)).any():
                return True
        return False

    def alternatives(self, u: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """The corrections (A, M) int16 that close the loops of a pixel as ``u`` does and differ from it by whole
        cycles of a run of dates (on the interferograms with data, ``seen``), with at most
        :data:`DATE_SHIFT_FACTOR` times as many corrected interferograms as ``u`` and at most ``max_cycles`` each:
        the corrections its closures cannot tell from ``u`` (distinct; none: (0, M))."""
        kb = u.tobytes() + seen.tobytes()
        hit = self.alt_cache.get(kb)
        if hit is not None:
            return hit
        if self.shifts is None:
            self.shifts = _date_run_shifts(self.triplets)
        m = u.size
        out = np.zeros((0, m), np.int16)
        supp = np.flatnonzero(u)
        if self.shifts.size and supp.size:
            rows = np.flatnonzero((self.shifts[:, supp] != 0).any(axis=1))
            shifts = np.where(seen, self.shifts[rows], 0).astype(np.int64)
            alts = np.concatenate([u[None, :].astype(np.int64) + n * shifts for n in range(1, self.max_cycles + 1)])
            keep = ((np.count_nonzero(alts, axis=1) <= DATE_SHIFT_FACTOR * supp.size)
                    & (np.abs(alts).max(axis=1) <= self.max_cycles) & (alts != u).any(axis=1)
                    & (alts != 0).any(axis=1))
            if keep.any():
                rows = {a.tobytes(): a for a in alts[keep].astype(np.int16)}  # distinct, in the order made
                out = np.stack(list(rows.values()))
        self.alt_cache[kb] = out
        return out

    def _milp(self, c: np.ndarray, k: np.ndarray, weights: np.ndarray):
        """min w.(p + q) + 1.(s + r)  s.t.  C (p - q) - s + r = -K;  p, q integer in [0, max_cycles]."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        self.n_milp += 1
        t, n = c.shape
        cost = np.concatenate([weights, weights, np.ones(t), np.ones(t)])
        a = np.hstack([c, -c, -np.eye(t), np.eye(t)])
        integrality = np.concatenate([np.ones(2 * n), np.zeros(2 * t)])
        upper = np.concatenate([np.full(2 * n, float(self.max_cycles)), np.full(2 * t, np.inf)])
        res = milp(cost, constraints=LinearConstraint(a, -k, -k), integrality=integrality,
                   bounds=Bounds(np.zeros(2 * (n + t)), upper), options={"presolve": True})
        if res.x is None:
            return None, np.inf
        x = np.rint(res.x[:n] - res.x[n:2 * n]).astype(np.int64)
        return x, float(np.abs(c @ x + k).sum() + weights @ np.abs(x))


def _distinct_columns(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(patterns, inverse)``: the distinct columns of ``a`` (T, N) in order of first appearance and, per column,
    its pattern's index (``patterns[:, inverse] == a``). Each pattern is solved on its own, so their order changes
    no result; a dictionary of the columns' bytes is much faster than sorting them (``np.unique(axis=1)``)."""
    cols = np.ascontiguousarray(a.T)
    width = cols.shape[1] * cols.itemsize
    buf = cols.tobytes()
    index = {}
    inverse = np.fromiter((index.setdefault(buf[i:i + width], len(index)) for i in range(0, len(buf), width)),
                          np.int64, count=cols.shape[0])
    first = np.zeros(len(index), np.int64)
    first[inverse[::-1]] = np.arange(cols.shape[0] - 1, -1, -1)
    return a[:, first], inverse


def _date_run_shifts(triplets: Triplets) -> np.ndarray:
    """``+-A theta`` for every run of consecutive dates ``theta`` (one cycle): (2 R, M) int."""
    m = triplets.matrix.shape[1]
    if triplets.dates is None:
        return np.zeros((0, m), np.int64)
    ref, sec = triplets.dates
    n = int(max(ref.max(), sec.max())) + 1
    inc = np.zeros((m, n), np.int64)
    inc[np.arange(m), sec] += 1
    inc[np.arange(m), ref] -= 1
    cum = np.concatenate([np.zeros((m, 1), np.int64), np.cumsum(inc, axis=1)], axis=1)
    runs = [cum[:, b + 1] - cum[:, a] for a in range(n) for b in range(a, n) if not (a == 0 and b == n - 1)]
    runs = np.array(runs, np.int8) if runs else np.zeros((0, m), np.int8)
    return np.concatenate([runs, -runs])


@dataclass
class ClosureStats:
    """Per-triplet sums over the pixels of the blocks seen so far (:meth:`add` is called in plan order, blocks
    top to bottom: the squared closures are added row by row, the same totals for any block layout)."""

    n_triplets: int
    pixels: np.ndarray = None
    sum_sq_rad: np.ndarray = None
    nonclosing: np.ndarray = None
    nonclosing_after: np.ndarray = None
    corrected: np.ndarray = None  # per interferogram: pixels changed
    ambiguous_pixels: int = 0
    corrected_pixels: int = 0
    checked_pixels: int = 0  # pixels with at least one loop whose three values are usable
    coherence_counts: np.ndarray = None  # interferogram values with data per coherence tenth (COHERENCE_BINS)

    def __post_init__(self):
        t = self.n_triplets
        for name in ("pixels", "sum_sq_rad", "nonclosing", "nonclosing_after"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(t))

    def add(self, out: dict) -> None:
        self.pixels += out["loop_pixels"]
        self.sum_sq_rad = add_rows(self.sum_sq_rad, out["loop_sum_sq_rad"], axis=1)
        self.nonclosing += out["loop_nonclosing"]
        self.nonclosing_after += out["loop_nonclosing_after"]
        self.corrected = out["ifg_corrected"] if self.corrected is None else self.corrected + out["ifg_corrected"]
        self.ambiguous_pixels += int(out["n_ambiguous"])
        self.corrected_pixels += int(out["n_corrected"])
        self.checked_pixels += int(np.count_nonzero(out["n_loops"]))
        if out.get("coherence_counts") is not None:
            c = out["coherence_counts"]
            self.coherence_counts = c.copy() if self.coherence_counts is None else self.coherence_counts + c

    def coherence_shares(self, thresholds=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> dict:
        """Share (0-1) of the interferogram values with data whose coherence is at or above each threshold (a
        multiple of 0.1), from the counts per tenth; {} without coherence."""
        c = self.coherence_counts
        if c is None or c.sum() == 0:
            return {}
        return {t: float(c[int(round(t * 10)):].sum() / c.sum()) for t in thresholds}

    def unchecked_warning(self, min_coherence: float) -> str:
        """The warning of a run whose coherence gate left no loop to check ("" when a loop was checked or no gate
        was set): its 0 corrections say nothing about the stack."""
        if min_coherence <= 0 or self.checked_pixels:
            return ""
        shares = self.coherence_shares()
        below = "; share of the interferogram values with data at or above " + ", ".join(
            f"{t:g}: {100 * v:.0f} %" for t, v in shares.items()) if shares else ""
        return (f"COHERENCE_THRESHOLD {min_coherence:g}: no pixel has a closure loop whose three interferogram values "
                f"reach it, so no loop was checked and nothing could be corrected (the 0 corrections above say "
                f"nothing about the stack){below}. Lower COHERENCE_THRESHOLD")


def correct_closure_block(stack_mm: np.ndarray, triplets: Triplets, *, cycle_mm: float,
                          reference_mm: np.ndarray | None = None, closure_offset: np.ndarray | None = None,
                          coherence: np.ndarray | None = None, min_coherence: float = 0.0,
                          alpha: float = 1.5, max_cycles: int = 3,
                          max_residual_rad: float = 1.5, inplace: bool = False,
                          solver: _Solver | None = None, labels: np.ndarray | None = None,
                          region_cycles: np.ndarray | None = None, core: slice | None = None) -> dict:
    """Detect and correct unwrapping errors of one block of interferograms by phase closure.

    Parameters
    ----------
    stack_mm : ndarray (M, rows, cols)
        Unwrapped interferograms, LOS mm (NaN = no data); not modified.
    triplets : Triplets
        From :func:`network_triplets` for the ``M`` pairs.
    cycle_mm : float
        One phase cycle in LOS mm (``wavelength_m * 1000 / 2``).
    closure_offset : ndarray (T,), optional
        Non-integer closure common to the network, cycles (:func:`closure_offsets`), removed
        before rounding. It is not tied to one pixel, so a reference pixel that itself carries
        an unwrapping error cannot shift the integer closures of the others.
    coherence : ndarray (M, rows, cols), optional
        With ``min_coherence``: interferogram values below it are not used nor corrected.
    reference_mm : ndarray (M,), optional
        Values of a reference pixel, subtracted before the closures are taken (the closure of
        the reference pixel is then 0, whatever offset each interferogram carries).
    alpha : float
        Weight of the L1 norm of the corrections against the closure misfit, per cycle. Between 1
        and 2 (default 1.5), a correction must close at least two loops to be worth its cost: one
        non-closing loop is never "fixed" by changing an interferogram (MintPy's 0.01 would, and
        noise then creates errors); it must be below the number of loops of an interferogram.
    max_cycles : int
        Bound on the correction of one interferogram at one pixel (cycles).
    inplace : bool
        Correct ``stack_mm`` in place (float64 input; the engine's block arrays) instead of a copy.
    max_residual_rad : float
        A loop is used at a pixel only when its closure is within this distance (radians) of a
        whole number of cycles (default 1.5 rad, LiCSBAS's loop threshold): closures near an odd
        multiple of pi are noise, not evidence of a cycle slip.
    labels, region_cycles : ndarray (rows, cols) int, ndarray (R + 1, M) int16, optional
        The connected region of each pixel (0: none; :func:`region_labels`) and the cycles decided for each
        region (:func:`region_decisions`; row 0 zeros). A pixel that its own loops leave unchanged takes its
        region's cycles on its values with data, unless one of its own trusted loops would then close worse.
    core : slice, optional
        The rows of the block that are its own (default all); the others are neighbours read for the check of
        :func:`_lone_corrections` (every correction must be shared by neighbouring pixels) and are not returned.

    Returns
    -------
    dict
        ``corrected_mm`` (M, rows, cols), ``cycles`` (M, rows, cols) int16 added cycles,
        ``n_cycles`` (rows, cols) total |cycles| per pixel, ``n_nonclosing`` /
        ``n_nonclosing_after`` (rows, cols) triplets with a non-zero integer closure before and
        after, ``ambiguous`` (rows, cols) bool (detected, not corrected), and per-triplet sums
        for :class:`ClosureStats` (``loop_sum_sq_rad`` ``(T, rows)``: per row, added in row order).
    """
    x = np.asarray(stack_mm, dtype=np.float64)
    if inplace and x is not stack_mm:
        inplace = False  # a converted copy: nothing to save
    if x.ndim != 3 or x.shape[0] != triplets.matrix.shape[1]:
        raise GeohazardError(f"stack_mm has shape {x.shape}, expected ({triplets.matrix.shape[1]}, rows, cols)")
    if not cycle_mm > 0:
        raise GeohazardError(f"cycle_mm must be > 0, got {cycle_mm!r}")
    solver = solver or _Solver(triplets, float(alpha), int(max_cycles))
    m, rows, cols = x.shape
    p = rows * cols
    xm = x.reshape(m, p)
    coherence_counts = None
    c0, c1 = (0, rows) if core is None else (core.start or 0, rows if core.stop is None else core.stop)
    if coherence is not None and min_coherence > 0:
        coh = np.asarray(coherence).reshape(m, p)
        coherence_counts = coherence_tenths(coh[:, c0 * cols:c1 * cols], xm[:, c0 * cols:c1 * cols])
        xm = np.where(coh >= min_coherence, xm, np.nan)
    xm = np.ascontiguousarray(xm)
    scale = 1.0 / cycle_mm
    ref = np.zeros(m) if reference_mm is None else np.asarray(reference_mm, np.float64) / cycle_mm
    offset = np.zeros(triplets.n) if closure_offset is None else np.asarray(closure_offset, np.float64)
    # the kernels take the closure of the referenced cycles x * scale - ref, minus the network's offset
    offset = offset + closure_phase(ref[:, None], triplets)[:, 0]
    t = triplets.n
    idx = np.ascontiguousarray(triplets.index)
    key = np.empty((t, p), np.int16)
    n_loops = np.empty(p, np.int32)
    n_nonclosing = np.empty(p, np.int32)
    todo_flag = np.empty(p, np.bool_)
    # a loop is trusted at a pixel when its closure is within max_residual_rad of a whole number of
    # cycles; a noisy loop (closure near +-pi) says nothing reliable about which way to round
    _classify_kernel(xm, scale, idx, offset, float(max_residual_rad) / TWO_PI, key, n_loops, n_nonclosing, todo_flag)
    loop_pixels = np.empty(t)
    loop_sum_sq = np.empty((t, c1 - c0))
    loop_nonclosing = np.empty(t)
    _loop_sums_kernel(xm, scale, idx, offset, cols, c0, c1 - c0, loop_pixels, loop_sum_sq, loop_nonclosing)
    u = np.zeros((m, p), np.int16)
    ambiguous = np.zeros(p, bool)
    todo = np.flatnonzero(todo_flag)
    todo_all = todo
    if todo.size:
        sub = _prune_dangling(key[:, todo], triplets)
        keep = ((sub != _MISSING) & (sub != 0)).any(axis=0)
        todo, sub = todo[keep], _relevant_only(sub[:, keep], triplets)
    if todo.size:
        patterns, inverse = _distinct_columns(sub)
        sols = np.zeros((m, patterns.shape[1]), np.int16)
        uniq = np.zeros(patterns.shape[1], bool)
        for j in range(patterns.shape[1]):
            sols[:, j], uniq[j] = solver.solve(np.ascontiguousarray(patterns[:, j]))
        u[:, todo] = sols[:, inverse]
        ambiguous[todo] = ~uniq[inverse]
        u[:, todo] = np.where(np.isfinite(xm[:, todo]), u[:, todo], 0)
    if todo_all.size:
        extra = _single_loop_corrections(key[:, todo_all], u[:, todo_all], triplets, int(max_cycles))
        if extra is not None:
            extra = np.where(np.isfinite(xm[:, todo_all]), extra, 0).astype(np.int16)
            diff = (extra != u[:, todo_all]).any(axis=0)
            px = todo_all[diff]
            # the additions pass the checks of every correction on their own, or the pixel keeps its own solve's
            weak = _weak_corrections(closure_phase(x.reshape(m, p)[:, px] * scale, triplets) - offset[:, None],
                                     extra[:, diff], triplets)
            u[:, px[~weak]] = extra[:, diff][:, ~weak]
            ambiguous[px[~weak]] = False
        todo = todo_all
    changed_px = todo[(u[:, todo] != 0).any(axis=0)] if todo.size else np.zeros(0, np.int64)
    if changed_px.size:
        weak = _weak_corrections(closure_phase(x.reshape(m, p)[:, changed_px] * scale, triplets) - offset[:, None],
                                 u[:, changed_px], triplets)
        if weak.any():
            u[:, changed_px[weak]] = 0
            ambiguous[changed_px[weak]] = True
        changed_px = changed_px[~weak]
    if changed_px.size:
        # the ground chooses among the corrections the closures allow alike (a date shifted on some of its pairs)
        changed_px, left = edge_choice(u, changed_px, key, x.reshape(m, p), scale, solver, cols)
        ambiguous[left] = True
    region_px = np.zeros(0, np.int64)
    if labels is not None and region_cycles is not None:
        region_px = _apply_regions(u, key, x.reshape(m, p), scale, offset, labels, region_cycles, triplets)
        ambiguous[region_px] = False
    all_px = np.union1d(changed_px, region_px)
    if all_px.size:
        # the neighbours judge every change: a slip is shared by a patch, noise is not (on every row of the block;
        # a row at the block's edge is judged without its outer neighbours, and the halo keeps it out of the result)
        lone = _lone_corrections(u, all_px, key, x.reshape(m, p), xm, scale, triplets, cols, (0, p))
        u[:, all_px[lone]] = 0
        ambiguous[all_px[lone]] = True
        all_px = all_px[~lone]
        for _ in range(FILL_STEPS):
            filled = _fill_from_neighbours(u, x.reshape(m, p), xm, scale, offset, triplets, cols)
            if not filled.size:
                break
            ambiguous[filled] = False
            all_px = np.union1d(all_px, filled)
    all_px = all_px[(all_px >= c0 * cols) & (all_px < c1 * cols)]  # this block's own rows
    n_nonclosing_after = n_nonclosing.copy()
    loop_nonclosing_after = loop_nonclosing.copy()
    if all_px.size:
        sub = closure_phase(xm[:, all_px] * scale, triplets) - offset[:, None]
        valid = np.isfinite(sub)
        shift = closure_phase(u[:, all_px].astype(np.float64), triplets)
        before = valid & (np.rint(np.where(valid, sub, 0.0)) != 0)
        after = valid & (np.rint(np.where(valid, sub + shift, 0.0)) != 0)
        n_nonclosing_after[all_px] = after.sum(axis=0)
        loop_nonclosing_after += after.sum(axis=1) - before.sum(axis=1)
    changed_px = all_px
    corrected = x if inplace else x.copy()
    if changed_px.size:
        flat = corrected.reshape(m, p)
        flat[:, changed_px] += u[:, changed_px] * cycle_mm
    uc = u[:, changed_px]
    changed = uc != 0  # u is 0 outside changed_px
    n_cycles = np.zeros(p, np.int32)
    n_cycles[changed_px] = np.abs(uc).sum(axis=0)
    rows_ = slice(c0, c1)
    u = u.reshape(m, rows, cols)[:, rows_]
    ambiguous = ambiguous.reshape(rows, cols)[rows_]
    return {
        "corrected_mm": corrected[:, rows_],
        "cycles": u,
        "n_cycles": n_cycles.reshape(rows, cols)[rows_],
        "n_nonclosing": n_nonclosing.reshape(rows, cols)[rows_],
        "n_nonclosing_after": n_nonclosing_after.reshape(rows, cols)[rows_],
        "n_loops": n_loops.reshape(rows, cols)[rows_],
        "ambiguous": ambiguous,
        "loop_pixels": loop_pixels,
        "loop_sum_sq_rad": loop_sum_sq * TWO_PI ** 2,
        "loop_nonclosing": loop_nonclosing,
        "loop_nonclosing_after": loop_nonclosing_after,
        "ifg_corrected": changed.sum(axis=1).astype(np.float64),
        "n_ambiguous": int(ambiguous.sum()),
        "n_corrected": int(changed_px.size),
        "coherence_counts": coherence_counts,
    }


def _single_loop_corrections(key: np.ndarray, u: np.ndarray, triplets: Triplets, max_cycles: int):
    """The cycles ``u`` (M, P) of the pixels (columns of ``key`` (T, P), their loop keys) completed on the
    interferograms that are in one usable loop only (None when nothing changes).

    Such an interferogram can absorb its loop's closure by itself, so the loop says nothing about its two other
    interferograms (:func:`_prune_dangling`). The converse holds as well: when that loop does not close (a trusted
    whole-cycle closure) after the pixel's own correction, and each of its two other interferograms is in at least
    one other trusted loop, all closed, the unique sparsest correction is the one of the single-loop interferogram
    (the other two are proved by their closed loops; changing either would open them). Two single-loop
    interferograms in the loop, or another open loop on its partners, leave the pixel as it is."""
    trusted = key != _MISSING
    if not trusted.any():
        return None
    k = np.where(trusted, key, 0).astype(np.int64)
    idx = triplets.index
    sign = triplets.matrix[np.arange(idx.shape[0])[:, None], idx].astype(np.int64)  # (T, 3)
    inc = _incidence(triplets)
    res = k + closure_phase(u.astype(np.float64), triplets).astype(np.int64)
    open_ = trusted & (res != 0)
    if not open_.any():
        return None
    deg = inc @ trusted.astype(np.int32)
    n_open = inc @ open_.astype(np.int32)
    # loops holding a single-loop interferogram, and how many of them each interferogram is in: a partner in one
    # other loop only, itself holding a single-loop interferogram, lets two slips (the partner and that one) close
    # the loops as the one correction does (pairs sharing a date in a network of (i, i+1), (i, i+2) pairs)
    has_single = trusted & (deg[idx] == 1).any(axis=1)
    n_single_loops = inc @ has_single.astype(np.int32)
    out = u.copy()
    made = []  # (loop, interferogram, pixels) of each correction
    for t in np.flatnonzero(open_.any(axis=1)):
        a, b, c = idx[t]
        d = np.stack([deg[a], deg[b], deg[c]])
        o = np.stack([n_open[a], n_open[b], n_open[c]])
        single = d == 1
        ns = np.stack([n_single_loops[a], n_single_loops[b], n_single_loops[c]])
        # only this loop is open among its loops, and no two-slip explanation through a partner's other loop
        proved = (d >= 2) & (o == 1) & ~((d == 2) & (ns >= 2))
        for j in range(3):
            others = [q for q in range(3) if q != j]
            ok = open_[t] & single[j] & proved[others[0]] & proved[others[1]]
            ok &= np.abs(res[t]) <= max_cycles
            if ok.any():
                out[idx[t, j], ok] = (-res[t, ok] * sign[t, j]).astype(np.int16)
                made.append((t, idx[t, j], ok))
    if not made:
        return None
    # only where the loops around then all close: a loop left open near the corrected one means slips this rule
    # does not explain (two slips sharing a loop close it and open two others, as a date shifted on some of its
    # pairs does); around = the loops holding an interferogram of a loop of one of the two partners
    after = trusted & ((k + closure_phase(out.astype(np.float64), triplets).astype(np.int64)) != 0)
    member = np.abs(triplets.matrix) > 0  # (T, M)
    for t, d, ok in made:
        partners = [q for q in idx[t] if q != d]
        ifgs = member[member[:, partners].any(axis=1)].any(axis=0)
        around = member[:, ifgs].any(axis=1)
        out[d, ok & after[around].any(axis=0)] = u[d, ok & after[around].any(axis=0)]
    return out if (out != u).any() else None


def _weak_corrections(sub: np.ndarray, u: np.ndarray, triplets: Triplets) -> np.ndarray:
    """Per pixel (columns of ``sub`` (T, P), the closures of its values with data in cycles, incoherent ones too,
    network offset removed, and of its own correction ``u``): True where the correction is not forced by the
    closures. Every loop of a corrected interferogram must close after the correction, and its loops must get
    closer to closing on average by half a cycle (a slip moves its loops by a whole cycle, while an interferogram
    whose noise is near half a cycle only swaps which of its loops round the wrong way); a loop left open by an
    incoherent value means the pixel's coherent loops alone chose between histories that the closures cannot tell
    apart."""
    valid = np.isfinite(sub)
    shift = closure_phase(u.astype(np.float64), triplets)
    gain = np.where(valid, np.abs(sub) - np.abs(sub + shift), 0.0)
    inc = _incidence(triplets)
    mean_gain = (inc @ gain) / np.maximum(inc @ valid.astype(np.float64), 1.0)
    del gain  # (T, P) float64: freed before the next temporaries
    weak = ((u != 0) & (mean_gain < MIN_MEAN_GAIN)).any(axis=0)
    return weak | ~_closes_after(sub, shift, valid, u, inc, CLOSED_AFTER)


def _apply_regions(u: np.ndarray, key: np.ndarray, x: np.ndarray, scale: float, offset: np.ndarray, labels,
                   region_cycles, triplets: Triplets) -> np.ndarray:
    """The pixels (flat indices) that take their region's decision, ``u`` (M, P) updated in place.

    The pixel takes its region's cycles (as MintPy's per connected component) on the interferograms the region
    decided, on its values with data (``x`` (M, P) mm), unless one of its own trusted loops then closes worse than
    with its own correction: the region saw the loops this pixel cannot (incoherent here, averaged over it), and
    two corrections that close the pixel's loops alike differ by what they cannot see (a date of its usable
    network shifted as a whole)."""
    m, p = u.shape
    lab = np.asarray(labels).reshape(p)
    rc = np.asarray(region_cycles, np.int16)
    cand = np.flatnonzero((rc != 0).any(axis=1)[lab])
    if not cand.size:
        return cand
    own = u[:, cand]
    ur = rc[lab[cand]].T
    comb = np.where((ur != 0) & np.isfinite(x[:, cand]), ur, own).astype(np.int16)
    kc = key[:, cand].astype(np.int64)
    trusted = kc != _MISSING
    base = np.abs(kc + closure_phase(own.astype(np.float64), triplets).astype(np.int64))
    new = np.abs(kc + closure_phase(comb.astype(np.float64), triplets).astype(np.int64))
    ok = ~(trusted & (new > base)).any(axis=0) & (comb != own).any(axis=0)
    ok &= _region_seen(x[:, cand] * scale, offset, comb, own, triplets)
    u[:, cand[ok]] = comb[:, ok]
    return cand[ok]


#: Rings of pixels a patch's corrections are extended by, to its pixels that their own loops left unchanged
#: (:func:`_fill_from_neighbours`).
FILL_STEPS = 3
#: Rows of neighbours a block reads above and below its own: one for the ground's choice among corrections
#: (:func:`closure_ground.edge_choice`), one for the check of the corrections (:func:`_lone_corrections`), one per
#: ring of the extension.
HALO_ROWS = 2 + FILL_STEPS
#: A value takes its corrected neighbours' cycles when it is within this much (cycles) of their corrected values
#: with them, and not nearer without them.
FILL_TOLERANCE = 0.3
#: Neighbours (of 8) that must carry the same correction for a pixel to take it.
FILL_NEIGHBOURS = 3
#: Neighbours (of 8) that must share a correction: carry the same cycles on the interferogram, or show the same
#: slip in its loops.
MIN_NEIGHBOURS_AGREE = 2


def _loops_by_ifg(triplets: Triplets) -> tuple:
    """``(loops, signs)`` (M, L): the loops of each interferogram and its sign in them, padded with loop 0, sign 0."""
    m = triplets.matrix.shape[1]
    lists = [triplets.loops_of(k) for k in range(m)]
    width = max(1, max(len(v) for v in lists))
    loops = np.zeros((m, width), np.int64)
    signs = np.zeros((m, width), np.int64)
    for k, v in enumerate(lists):
        loops[k, :v.size] = v
        signs[k, :v.size] = triplets.matrix[v, k]
    return loops, signs


def _lone_corrections(u: np.ndarray, px: np.ndarray, key: np.ndarray, x: np.ndarray, xm: np.ndarray, scale: float,
                      triplets: Triplets, cols: int, core: tuple) -> np.ndarray:
    """Per pixel of ``px`` (flat indices into the block's ``rows x cols`` grid, halo rows included): True where a
    correction of the pixel is not shared by its neighbours (8-connected, within the grid).

    An unwrapping error is a patch: the unwrapper carried one wrong cycle over a connected area. A value whose
    noise is beyond half a cycle closes its loops exactly as a slip does, and only its neighbours tell the two
    apart. A correction of interferogram ``i`` at pixel ``p`` is kept when

    * at least :data:`MIN_NEIGHBOURS_AGREE` neighbours with data in ``i`` share it: their own correction of ``i`` is
      the same, or their trusted loops of ``i`` (``key``) close better by half a cycle on average with it (a patch
      whose pixels were left ambiguous still shows its slip);
    * it brings ``p`` closer to its neighbours' values of ``i`` after their own corrections (the median difference
      over the neighbours whose value of ``i`` is used, ``xm`` finite; none: nothing to compare): a pixel beside a
      corrected patch, outside it, is not pulled into it.

    Only the pixels of the block's own rows (flat ``core`` range) are judged; the neighbours' corrections are those
    of their own loops and regions, so a pixel's verdict is the same for any block layout (one halo row read)."""
    m, p = u.shape
    n_rows = p // cols
    lone = np.zeros(px.size, bool)
    own = np.flatnonzero((px >= core[0]) & (px < core[1]))
    loops, signs = _loops_by_ifg(triplets)
    # candidates (interferogram, pixel) in groups of at most ``chunk``: temporaries of a few hundred bytes each
    chunk = max(256, p // 8)
    per_px = np.zeros(own.size, np.int64)
    for k in range(m):
        per_px += u[k, px[own]] != 0
    group = np.cumsum(per_px) // chunk
    for g in np.unique(group):
        sel = own[group == g]
        ii, jj = np.nonzero(u[:, px[sel]])
        i, j = ii, sel[jj]
        pp = px[j]
        uu = u[i, pp].astype(np.int64)
        r, c = pp // cols, pp % cols
        lp, sg = loops[i], signs[i]
        support = np.zeros(i.size, np.int64)
        diffs = np.full((i.size, len(_NEIGHBOURS)), np.nan)
        for n, (dr, dc) in enumerate(_NEIGHBOURS):
            rr, cc = r + dr, c + dc
            inb = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < cols)
            q = np.where(inb, rr * cols + cc, 0)
            xq = np.where(inb, x[i, q], np.nan)
            data = np.isfinite(xq)
            uq = u[i, q].astype(np.int64)
            kq = key[lp, q[:, None]].astype(np.int64)
            trusted = (sg != 0) & (kq != _MISSING)
            gain = np.where(trusted, np.abs(kq) - np.abs(kq + sg * uu[:, None]), 0).sum(axis=1)
            seen = trusted.sum(axis=1)
            support += data & ((uq == uu) | ((seen >= 2) & (gain >= MIN_MEAN_GAIN * seen)))
            # compared with: neighbours whose value of i is settled (corrected, or its trusted loops of i close)
            closed = (seen > 0) & ~(trusted & (kq != 0)).any(axis=1)
            used = data & np.isfinite(np.where(inb, xm[i, q], np.nan)) & ((uq != 0) | closed)
            diffs[:, n] = np.where(used, x[i, pp] * scale - (np.where(used, xq, 0.0) * scale + uq), np.nan)
        med = _row_median(diffs)
        farther = ~(np.abs(med + uu) < np.abs(med))  # NaN (no settled neighbour): not shown
        bad = (support < MIN_NEIGHBOURS_AGREE) | farther
        lone[j[bad]] = True
    return lone


def _fill_candidates(u, x, xm, scale: float, i: int, done: np.ndarray, cols: int, found: tuple) -> None:
    """The values of interferogram ``i`` next to its corrected values ``done`` (flat indices) whose own values agree
    with their corrected neighbours' (:func:`_fill_from_neighbours`): appended to ``found`` (pixels,
    interferograms, cycles)."""
    n_rows = u.shape[1] // cols
    # the work follows the corrected values: only their neighbours can take a correction
    r, c = done // cols, done % cols
    near = []
    for dr, dc in _NEIGHBOURS:
        rr, cc = r + dr, c + dc
        inb = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < cols)
        near.append(rr[inb] * cols + cc[inb])
    pix = np.unique(np.concatenate(near))
    pix = pix[(u[i, pix] == 0) & np.isfinite(xm[i, pix])]
    if not pix.size:
        return
    r, c = pix // cols, pix % cols
    around = np.zeros((pix.size, len(_NEIGHBOURS)), np.int64)  # the neighbours' cycles of i (0 off the grid)
    for k, (dr, dc) in enumerate(_NEIGHBOURS):
        rr, cc = r + dr, c + dc
        inb = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < cols)
        around[:, k] = np.where(inb, u[i, np.where(inb, rr * cols + cc, 0)], 0)
    best = np.zeros(pix.size, np.int64)
    best_n = np.zeros(pix.size, np.int64)
    tie = np.zeros(pix.size, bool)
    for v in np.unique(around[around != 0]):
        n = (around == v).sum(axis=1)
        tie |= (n == best_n) & (n > 0)
        more = n > best_n
        tie &= ~more
        best = np.where(more, v, best)
        best_n = np.where(more, n, best_n)
    keep = ~tie & (best_n >= FILL_NEIGHBOURS)
    pix, best = pix[keep], best[keep]
    if not pix.size:
        return
    v = best
    r, c = pix // cols, pix % cols
    diffs = np.full((pix.size, len(_NEIGHBOURS)), np.nan)
    for k, (dr, dc) in enumerate(_NEIGHBOURS):
        rr, cc = r + dr, c + dc
        inb = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < cols)
        q = np.where(inb, rr * cols + cc, 0)
        same = inb & (u[i, q] == v) & np.isfinite(xm[i, q])
        diffs[:, k] = np.where(same, (x[i, pix] - np.where(same, x[i, q], 0.0)) * scale - v, np.nan)
    med = _row_median(diffs)  # the pixel's value against its corrected neighbours', before its correction
    ok = (np.abs(med + v) <= FILL_TOLERANCE) & (np.abs(med + v) < np.abs(med))
    found[0].append(pix[ok])
    found[1].append(np.full(int(ok.sum()), i))
    found[2].append(v[ok])


def _fill_from_neighbours(u: np.ndarray, x: np.ndarray, xm: np.ndarray, scale: float, offset: np.ndarray,
                          triplets: Triplets, cols: int) -> np.ndarray:
    """Pixels (flat indices) whose values take the correction of their neighbours, ``u`` (M, P) updated in place.

    A pixel inside a slipped patch whose own loops could not decide (a noisy or incoherent value in one of them,
    a tie) keeps its slip while its neighbours are corrected. Its value of interferogram ``i`` (used, ``xm`` finite)
    takes the cycles ``v`` of ``i`` that at least :data:`FILL_NEIGHBOURS` of its 8 neighbours carry (the most
    common; none on a tie) when, with them, it lies within :data:`FILL_TOLERANCE` cycle of those neighbours'
    corrected values (median) and nearer than without, and when its own closures, over every value with data,
    ask for the change as for a correction of its own (:func:`_weak_corrections`). A value beside a patch that did
    not slip is a whole cycle off the patch's corrected values, and is left."""
    m, p = u.shape
    cand_px, cand_i, cand_v = [], [], []
    step = max(256, p // 64)  # corrected values visited at a time: temporaries of a few bytes a pixel
    for i in range(m):
        all_done = np.flatnonzero(u[i])
        for s0 in range(0, all_done.size, step):
            _fill_candidates(u, x, xm, scale, i, all_done[s0:s0 + step], cols, (cand_px, cand_i, cand_v))
    if not cand_px:
        return np.zeros(0, np.int64)
    px_all = np.concatenate(cand_px)
    if not px_all.size:
        return px_all
    pixels, where = np.unique(px_all, return_inverse=True)
    comb = u[:, pixels].copy()
    comb[np.concatenate(cand_i), where.reshape(-1)] = np.concatenate(cand_v)
    sub = closure_phase(x[:, pixels] * scale, triplets) - offset[:, None]
    ok = ~_weak_corrections(sub, comb, triplets)
    u[:, pixels[ok]] = comb[:, ok]
    return pixels[ok]


def coherence_tenths(coherence: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Counts (11,) of the values with data (finite ``values``, same shape ``(M, P)``) whose coherence falls in each
    tenth: [0, 0.1), ..., [0.9, 1.0), and 1 (or above); values without data or without a finite coherence are not
    counted. One interferogram at a time, so the temporaries stay the size of one image of the block."""
    counts = np.zeros(11, np.int64)
    for c, v in zip(coherence, values):
        c = np.asarray(c, np.float64)
        use = np.isfinite(v) & np.isfinite(c)
        counts += np.bincount(np.clip(np.floor(c[use] * 10.0), 0, 10).astype(np.int64), minlength=11)
    return counts


def _region_seen(cycles: np.ndarray, offset: np.ndarray, comb: np.ndarray, own: np.ndarray,
                 triplets: Triplets) -> np.ndarray:
    """Per pixel (columns of ``cycles`` (M, P), the values with data in cycles, incoherent ones too): the region's
    cycles ``comb`` are seen at the pixel itself. Every interferogram they change from ``own`` is in a loop with
    data here, the loops of every interferogram ``comb`` corrects get closer to closing by :data:`REGION_MIN_GAIN`
    cycle on average, and the loops touched close in all at least as well as with ``own``: the pixel's own
    closures then ask for the change (one noisy loop may not; the region's majority already chose the cycles,
    the pixel only has to agree). A pixel where they cannot
    say (no loop with data) or say otherwise is left as its own loops decided."""
    inc = _incidence(triplets)
    sub = closure_phase(cycles, triplets) - offset[:, None]
    valid = np.isfinite(sub)
    sub = np.where(valid, sub, 0.0)
    after = np.abs(sub + closure_phase(comb.astype(np.float64), triplets))
    gain = np.where(valid, np.abs(sub) - after, 0.0)
    n_loops = inc @ valid.astype(np.float64)
    mean_gain = (inc @ gain) / np.maximum(n_loops, 1.0)
    changed = comb != own
    # against the pixel's own correction: the loops either touches close at least as well with the region's
    touched = valid & ((inc.T @ (changed | (own != 0)).astype(np.int32)) > 0)
    own_after = np.abs(sub + closure_phase(own.astype(np.float64), triplets))
    better = np.where(touched, after - own_after, 0.0).sum(axis=0) <= 1e-9
    return better & ~(changed & ((n_loops == 0) | ((comb != 0) & (mean_gain < REGION_MIN_GAIN)))).any(axis=0)


def _closes_after(sub, shift, valid, u, inc, tol: float) -> np.ndarray:
    """Per pixel (columns): every loop with data that holds a corrected interferogram closes after the correction,
    within ``tol`` cycle of 0 (the bound a loop is trusted by), trusted or not. A slip, once corrected, leaves its
    loops closed; a correction that leaves one of them open or half-open explains the closures no better than
    noise does, and is not applied."""
    touched = (inc.T @ (u != 0).astype(np.int32)) > 0  # (T, pixels)
    open_after = valid & (np.abs(np.where(valid, sub + shift, 0.0)) > tol)
    return ~(touched & open_after).any(axis=0)


def _relevant_only(key: np.ndarray, triplets: Triplets) -> np.ndarray:
    """Set to 0 the loops that share no interferogram with a non-closing loop: they do not change the
    solution, and pixels then share their pattern (one solve for many pixels)."""
    idx = triplets.index
    hit = _incidence(triplets) @ ((key != _MISSING) & (key != 0)).astype(np.int32)
    near = (hit[idx[:, 0]] > 0) | (hit[idx[:, 1]] > 0) | (hit[idx[:, 2]] > 0)
    return np.where(near, key, np.int16(0))


def _prune_dangling(key: np.ndarray, triplets: Triplets) -> np.ndarray:
    """Drop the loops holding an interferogram that is in no other usable loop, until none is left.

    Such an interferogram can absorb any closure of its loop by itself, so that loop cannot
    testify about the others: in a network of (i, i+1) and (i, i+2) pairs two slips in (i, i+2)
    and (i+1, i+3) close exactly like one slip in (i+1, i+2), and the sparsest explanation would be
    wrong. Pruning these loops (a 2-core of the loop graph) keeps only identifiable corrections.
    """
    key = key.copy()
    idx = triplets.index
    inc = _incidence(triplets)
    for _ in range(idx.shape[0]):
        used = key != _MISSING
        deg = inc @ used.astype(np.int32)
        lonely = (deg[idx[:, 0]] == 1) | (deg[idx[:, 1]] == 1) | (deg[idx[:, 2]] == 1)
        drop = used & lonely
        if not drop.any():
            break
        key[drop] = _MISSING
    return key


def closure_offsets(sample_mm: np.ndarray, triplets: Triplets, *, cycle_mm: float) -> np.ndarray:
    """The closure common to the network, per loop (cycles), removed before rounding.

    Interferograms unwrapped from different seed points (or referenced to different pixels)
    carry offsets, whole cycles and fractions, so every pixel of a loop shares a closure that
    has nothing to do with unwrapping errors. Over a sample of pixels ``sample_mm`` (M, ...),
    the common fraction is the circular mean of the closures. The common whole cycles are those
    that at least :data:`WHOLE_OFFSET_SHARE` of the sampled pixels share after removing it (an
    interferogram unwrapped from a wrong seed is off by the same cycles everywhere), 0 otherwise:
    an unwrapper that crossed an incoherent line the wrong way leaves 20-60 % of an interferogram
    off, sometimes more than half of it, and a median would then take the slip for the rule and
    "correct" the rest. This plays the role of MintPy's reference pixel without trusting one pixel,
    which may itself hold an unwrapping error. 0 where a loop has no data.
    """
    x = np.asarray(sample_mm, np.float64).reshape(sample_mm.shape[0], -1) / cycle_mm
    clo = closure_phase(x, triplets)
    ok = np.isfinite(clo)
    zs = np.where(ok, np.exp(2j * np.pi * np.where(ok, clo, 0.0)), 0).sum(axis=1)
    frac = np.angle(zs) / (2 * np.pi)
    whole = np.rint(clo - frac[:, None])
    n = np.zeros(whole.shape[0])
    for t, (w, o) in enumerate(zip(whole, ok)):
        if o.any():
            vals, counts = np.unique(w[o], return_counts=True)
            if counts.max() >= WHOLE_OFFSET_SHARE * counts.sum():
                n[t] = vals[np.argmax(counts)]
    return np.where(ok.any(axis=1), n + frac, 0.0)


#: Share of a loop's sampled pixels that must share a whole-cycle closure for it to count as common to the network
#: (:func:`closure_offsets`).
WHOLE_OFFSET_SHARE = 0.8
#: Smallest connected region whose pixels decide together (MintPy's ``unwrapError.connCompMinArea``, 2 500 pixels).
MIN_REGION_PIXELS = 2500
#: Share of a region's pixels with data in a loop that must agree on its whole-cycle closure for the region to use it.
REGION_MAJORITY = 0.5


def coherence_mean_block(block, inputs: dict) -> dict:
    """Block function: the mean over the interferograms of ``inputs["coherence"]`` (M, rows, cols) where finite
    (NaN where none is), float32."""
    coh = np.asarray(inputs["coherence"], np.float64)
    ok = np.isfinite(coh)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(ok, coh, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
    return {"mean_coherence": mean.astype(np.float32)}


def region_labels(mean_coherence: np.ndarray, min_coherence: float, *,
                  min_pixels: int = MIN_REGION_PIXELS) -> tuple:
    """``(labels, n)``: the connected regions (4-neighbours) of the pixels whose mean coherence is at least
    ``min_coherence``, numbered 1 .. n in raster order of their first pixel, 0 elsewhere and for regions of fewer
    than ``min_pixels`` pixels (int32, the grid's shape). Made once from the whole grid, so a pixel's region does
    not depend on the blocks of a run."""
    from scipy import ndimage

    mask = np.asarray(mean_coherence) >= float(min_coherence)
    lab, n = ndimage.label(mask)
    if n == 0:
        return np.zeros(mask.shape, np.int32), 0
    size = np.bincount(lab.reshape(-1), minlength=n + 1)
    size[0] = 0
    keep = size >= int(min_pixels)
    new = np.zeros(n + 1, np.int32)
    new[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return new[lab].astype(np.int32), int(keep.sum())


def region_counts_block(block, inputs: dict, *, triplets: Triplets, cycle_mm: float, n_regions: int,
                        closure_offset=None, max_cycles: int = 3) -> dict:
    """Block function: per region and loop, the pixels whose whole-cycle closure is -B .. B (``B = 2 max_cycles``)
    over **every** value with data (incoherent ones too: noise averages out over a region, slips do not), from
    ``inputs["stack"]`` (M, rows, cols) LOS mm and ``inputs["labels"]`` (rows, cols). ``counts`` (R + 1, T, 2B + 1)
    int64: integer sums, the same totals for any block layout."""
    x = np.asarray(inputs["stack"], np.float64)
    m = x.shape[0]
    lab = np.asarray(inputs["labels"]).reshape(-1).astype(np.int64)
    b = 2 * int(max_cycles)
    offset = np.zeros(triplets.n) if closure_offset is None else np.asarray(closure_offset, np.float64)
    counts = np.zeros((n_regions + 1, triplets.n, 2 * b + 1), np.int64)
    inside = np.flatnonzero(lab > 0)
    if inside.size == 0:
        return {"counts": counts}
    clo = closure_phase(x.reshape(m, -1)[:, inside] / cycle_mm, triplets) - offset[:, None]
    ok = np.isfinite(clo)
    k = np.clip(np.rint(np.where(ok, clo, 0.0)), -b, b).astype(np.int64) + b
    for t in range(triplets.n):
        sel = ok[t]
        counts[:, t, :] += np.bincount(lab[inside][sel] * (2 * b + 1) + k[t, sel],
                                       minlength=(n_regions + 1) * (2 * b + 1)).reshape(n_regions + 1, 2 * b + 1)
    return {"counts": counts}


def region_decisions(counts: np.ndarray, triplets: Triplets, *, alpha: float = 1.5, max_cycles: int = 3,
                     majority: float = REGION_MAJORITY, solver: _Solver | None = None) -> np.ndarray:
    """Cycles (R + 1, M) int16 decided per region from :func:`region_counts_block`'s ``counts``: a loop testifies
    for a region when more than ``majority`` of the region's pixels with data in it agree on its whole-cycle
    closure (that closure is its key; otherwise it is left out), and the region's keys are solved as a pixel's
    (dangling loops pruned, the exact sparsest correction, nothing where it is not unique). Row 0 (no region) is
    zeros."""
    counts = np.asarray(counts)
    n_reg, t, nb = counts.shape
    b = (nb - 1) // 2
    m = triplets.matrix.shape[1]
    out = np.zeros((n_reg, m), np.int16)
    solver = solver or _solver_for(triplets, alpha, max_cycles)
    total = counts.sum(axis=2)
    top = counts.argmax(axis=2)
    agree = counts.max(axis=2) > majority * np.maximum(total, 1)
    key = np.where(agree & (total > 0), top - b, _MISSING).astype(np.int16)
    for r in range(1, n_reg):
        k = _prune_dangling(key[r][:, None], triplets)[:, 0]
        if not ((k != _MISSING) & (k != 0)).any():
            continue
        u, unique = solver.solve(np.ascontiguousarray(k))
        if unique:
            out[r] = u
    return out


def region_cycles_of_stack(stack_mm: np.ndarray, coherence: np.ndarray, triplets: Triplets, *, cycle_mm: float,
                           min_coherence: float, closure_offset=None, alpha: float = 1.5, max_cycles: int = 3,
                           min_pixels: int = MIN_REGION_PIXELS) -> tuple:
    """``(labels, region_cycles)`` of a whole stack in memory (M, rows, cols): the two first passes of the tool in
    one (:func:`coherence_mean_block`, :func:`region_labels`, :func:`region_counts_block`,
    :func:`region_decisions`), for :func:`correct_closure_block`'s ``labels`` and ``region_cycles``."""
    mean = coherence_mean_block(None, {"coherence": coherence})["mean_coherence"]
    labels, n = region_labels(mean, min_coherence, min_pixels=min_pixels)
    counts = region_counts_block(None, {"stack": stack_mm, "labels": labels}, triplets=triplets, cycle_mm=cycle_mm,
                                 n_regions=n, closure_offset=closure_offset, max_cycles=max_cycles)["counts"]
    return labels, region_decisions(counts, triplets, alpha=alpha, max_cycles=max_cycles)


def closure_block(block, inputs: dict, *, triplets: Triplets, cycle_mm: float, reference_mm=None,
                  closure_offset=None, min_coherence: float = 0.0,
                  alpha: float = 1.5, max_cycles: int = 3, max_residual_rad: float = 1.5,
                  mm_per_unit=None, region_cycles=None) -> dict:
    """Block function for the engine: ``inputs["stack"]`` (M, rows, cols) LOS mm, optional ``inputs["coherence"]``
    and, with ``region_cycles``, ``inputs["labels"]`` (the region decision of :func:`correct_closure_block`).

    The block is read with :data:`HALO_ROWS` rows above and below (the neighbours its pixels are checked against);
    only its own rows (``block.core``) are returned. With ``mm_per_unit`` (M,) the block returns ``corrected``
    (M, rows, cols) float32 in the files' units (``corrected_mm / mm_per_unit``) instead of ``corrected_mm`` and
    ``cycles``: a block waiting to be written then holds 4 bytes a value instead of 10, and the float64 stack is
    freed as soon as it is computed.
    """
    out = correct_closure_block(inputs["stack"], triplets, cycle_mm=cycle_mm, reference_mm=reference_mm,
                                closure_offset=closure_offset, coherence=inputs.get("coherence"),
                                min_coherence=min_coherence, inplace=True,
                                alpha=alpha, max_cycles=max_cycles, max_residual_rad=max_residual_rad,
                                solver=_solver_for(triplets, alpha, max_cycles), labels=inputs.get("labels"),
                                region_cycles=region_cycles, core=None if block is None else block.core)
    if mm_per_unit is not None:
        corr = out.pop("corrected_mm")
        del out["cycles"]
        f = np.asarray(mm_per_unit, np.float64).reshape(-1, 1, 1)
        # float64 quotient rounded once to float32: the values of (corr[k] / f[k]).astype(float32)
        out["corrected"] = np.divide(corr, f, out=np.empty(corr.shape, np.float32), dtype=np.float64,
                                     casting="unsafe")
    return out


def closure_block_bytes(n_ifgs: int, n_loops: int) -> float:
    """Bytes a pixel of a block of :func:`closure_block` allocates beyond its float64 stack (``n_ifgs``
    interferograms, ``n_loops`` loops): int16 loop keys (2 T), int16 cycles (2 M), the copies of the keys of
    the pixels to solve while their patterns are made unique (up to 2 T) and small per-pixel counts
    (tracemalloc check in tests/core/test_corrections_closure.py)."""
    return 2.0 * n_ifgs + 4.0 * n_loops + 64.0


_SOLVERS: dict = {}


def _solver_for(triplets: Triplets, alpha: float, max_cycles: int) -> _Solver:
    """One pattern cache per network and options, kept across the blocks of a run (in this process)."""
    key = (triplets.index.tobytes(), triplets.matrix.shape[1], float(alpha), int(max_cycles))
    s = _SOLVERS.get(key)
    if s is None:
        if len(_SOLVERS) > 8:
            _SOLVERS.clear()
        s = _SOLVERS[key] = _Solver(triplets, float(alpha), int(max_cycles))
    return s


def loop_statistics(stats: ClosureStats, triplets: Triplets, names, *, loop_threshold_rad: float = 1.5) -> list:
    """LiCSBAS-style loop-closure statistics per interferogram.

    A loop (triplet) is *bad* when the RMS of its closure phase over the pixels where it is
    defined is >= ``loop_threshold_rad`` (LiCSBAS ``loop_thre``, 1.5 rad); an interferogram is
    flagged *bad* when it is in at least one bad loop and in no good loop (LiCSBAS step 12).

    Returns
    -------
    list of dict
        One row per interferogram: ``interferogram``, ``loops``, ``bad_loops``,
        ``rms_closure_rad`` (mean of its loops' RMS), ``share_nonclosing`` and
        ``share_nonclosing_after`` (share of its loops' pixels with ``|closure| > pi``, before
        and after correction), ``corrected_pixels``, ``bad``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(stats.sum_sq_rad / stats.pixels)
    bad_loop = rms >= loop_threshold_rad
    rows = []
    for mi, name in enumerate(names):
        loops = triplets.loops_of(mi)
        loops = loops[stats.pixels[loops] > 0]
        n_bad = int(bad_loop[loops].sum())
        rows.append({
            "interferogram": name,
            "loops": int(loops.size),
            "bad_loops": n_bad,
            "rms_closure_rad": float(np.mean(rms[loops])) if loops.size else float("nan"),
            "share_nonclosing": float(np.sum(stats.nonclosing[loops]) / np.sum(stats.pixels[loops]))
            if loops.size else float("nan"),
            "share_nonclosing_after": float(np.sum(stats.nonclosing_after[loops]) / np.sum(stats.pixels[loops]))
            if loops.size else float("nan"),
            "corrected_pixels": int(stats.corrected[mi]) if stats.corrected is not None else 0,
            "bad": bool(n_bad > 0 and n_bad == loops.size),
        })
    return rows


def loop_table(stats: ClosureStats, triplets: Triplets, names, *, loop_threshold_rad: float = 1.5) -> list:
    """One row per loop (LiCSBAS ``loop_info.txt``): its three interferograms, pixels with data, RMS
    closure (rad), share of pixels with ``|closure| > pi`` before and after correction, bad (RMS >= threshold)."""
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(stats.sum_sq_rad / stats.pixels)
        share = stats.nonclosing / stats.pixels
        after = stats.nonclosing_after / stats.pixels
    for t, (a, b, c) in enumerate(triplets.index):
        rows.append({"loop": f"{names[a]} + {names[b]} - {names[c]}", "pixels": int(stats.pixels[t]),
                     "rms_closure_rad": float(rms[t]), "share_nonclosing": float(share[t]),
                     "share_nonclosing_after": float(after[t]), "bad": bool(rms[t] >= loop_threshold_rad)})
    return rows


def closure_pixel_bytes(n_ifgs: int, n_loops: int, coherence: bool) -> float:
    """Memory a pixel of a block of unwrapclosurecorrection costs over the whole run: the float64 stack of the
    block read ahead and of the block computed (8 + 8 bytes a value), what the block function allocates
    (:func:`closure_block_bytes`), its float32 result and the float32 results of the block queued for the
    writer and of the block being written (3 x 4); with coherence, its float32 reads (2 x 4) and the float64
    masked copy of the computed block (8)."""
    per_ifg = 16.0 + 12.0 + (16.0 if coherence else 0.0)
    return n_ifgs * per_ifg + closure_block_bytes(n_ifgs, n_loops)


def closure_plan(height: int, width: int, n_ifgs: int, n_loops: int, coherence: bool, max_memory_mb) -> tuple:
    """``(plan, tile_rows)``: row blocks of a ``height`` x ``width`` grid whose whole-run footprint
    (:func:`closure_pixel_bytes`) fits the budget (``max_memory_mb``), and the tile height of the corrected files.
    Blocks below one 256-row tile are a multiple of 16 rows and the files' tiles as tall, so that every block
    completes one row of tiles of every file
    (written and flushed at once: nothing of the 202 files waits in buffers or in GDAL's cache)."""
    bpp = closure_pixel_bytes(n_ifgs, n_loops, coherence)
    fit = int(max_memory_bytes(max_memory_mb) // (bpp * width)) - 2 * HALO_ROWS  # each block reads its halo too
    if fit >= TILE_SIZE or fit >= height:
        # sized with the halo, given without it: the passes before the last one read no neighbours
        return with_halo(plan_blocks(height, width, bytes_per_pixel=bpp, max_memory_mb=max_memory_mb,
                                     halo=HALO_ROWS), 0), None
    rows = max(1, fit // 16 * 16) if fit >= 16 else max(1, fit)
    return plan_blocks(height, width, block_rows=rows), max(16, rows // 16 * 16)


def with_halo(plan: list, rows: int = HALO_ROWS) -> list:
    """The blocks of ``plan`` read with ``rows`` more rows above and below (clipped at the grid's edges): the pass
    that corrects reads the neighbours its pixels are checked against (:func:`closure_block`)."""
    import dataclasses

    return [dataclasses.replace(b, read0=max(0, b.row0 - rows), read1=min(b.n_rows_total, b.row1 + rows))
            for b in plan]


def regions_summary(region_cycles: np.ndarray, min_coherence: float) -> str:
    """One log line on the regions of :func:`region_decisions`: how many, how many decided cycles, on how many
    interferograms (``region_cycles``: (n_regions + 1, n_ifg) integer cycles, row 0 the pixels of no region)."""
    decided = int((region_cycles != 0).any(axis=1).sum())
    return (f"{region_cycles.shape[0] - 1} connected region(s) of at least {MIN_REGION_PIXELS} pixels at least "
            f"{min_coherence:g} coherent; {decided} decided cycles for their pixels "
            f"({int((region_cycles != 0).sum())} interferogram(s) in all)")
