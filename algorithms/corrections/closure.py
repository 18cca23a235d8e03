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
mixed-integer linear programme (scipy's HiGHS ``milp``), once per distinct closure pattern.
The pattern solved at a pixel is the one its neighbourhood agrees on (:mod:`closure_consensus`): an unwrapping
error is a region of one interferogram, whose pixels share their integer closures, while noise flips one loop at
one pixel; so most pixels close, and one solve serves a whole bank or patch.

**No new errors.** Corrections are only determined up to an integer time series
(``C A theta = 0``): a date shifted by a whole cycle cannot be seen from closures, and an
interferogram found in one triplet only is indistinguishable from the two others of that
triplet unless their other loops close. Where the optimum is not unique (a second solve that makes the chosen
interferograms dearer finds another of the same cost, or a run of dates shifted by a cycle gives one as sparse)
the pixel is left as it is (counted as *detected, not corrected*). A value changes only where the pixel's own
loops of that interferogram close better with the correction than without it.

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

from dataclasses import dataclass

import numpy as np

from ..blas import one_blas_thread
from ..engine import TILE_SIZE, max_memory_bytes, plan_blocks
from ..errors import GeohazardError
from ..ordered import add_rows
from . import closure_bridges, closure_continuity, closure_edges, closure_recast
from . import closure_consensus as consensus
from .closure_consensus import WINDOW_PX
from .closure_solver import _MISSING, _distinct_columns, _Solver
from .closure_sums import row_sums as _row_sums

TWO_PI = 2.0 * np.pi
#: Steps per cycle of the loops' common fractions (:func:`closure_offsets`).
FRAC_GRID = float(2 ** 40)
#: Weight of a cycle of correction against a cycle of closure misfit (:func:`correct_closure_block`).
ALPHA = 0.5


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


#: Values (loops x pixels) of the interferograms gathered at a time by :func:`_closure_kernel`: a group of loops
#: where the pixels are few (a chunk of pixels to check), one loop at a time over a block's pixels.
GATHER_VALUES = 1 << 15


def _closure_kernel(x, idx, out):
    """``out[t] = x[a_t] + x[b_t] - x[c_t]`` of every triplet ``t`` (NaN where any is missing), a group of loops
    at a time (each value the same two operations in the same order)."""
    step = max(1, GATHER_VALUES // max(1, x.shape[1]))
    with np.errstate(invalid="ignore"):  # infinities of both signs: NaN, as missing
        for t0 in range(0, idx.shape[0], step):
            g = slice(t0, t0 + step)
            o = out[g]
            np.add(x[idx[g, 0]], x[idx[g, 1]], out=o)
            np.subtract(o, x[idx[g, 2]], out=o)


def _classify_kernel(x, scale, idx, offset, max_frac, key, n_loops, n_nonclosing, todo, sums=None, cols=slice(None)):
    """Per pixel: the solver's key of every loop (its integer closure where the loop is trusted, the
    sentinel where it is missing or noisy), loops with data, loops with |closure| > pi, and whether a
    trusted loop does not close. With ``sums`` (the arguments of :func:`_loop_sums_kernel` after ``offset``), also
    those per-loop sums, from the same closures (taken once). With ``key`` None, the counts and sums alone (``todo``
    not set; the keys, where needed later, from :func:`_key_kernel`: the same values); with ``n_loops`` None, no
    count of the loops with data. With ``cols`` (a slice of the pixels), those pixels alone (the counts and keys of
    length theirs; ``sums``' rows counted from their first)."""
    if n_loops is not None:
        n_loops[:] = 0
    n_nonclosing[:] = 0
    todo[:] = False
    c = np.empty(len(range(*cols.indices(x.shape[1]))))
    k = np.empty_like(c)
    frac = np.empty_like(c)
    for t in range(idx.shape[0]):
        with np.errstate(invalid="ignore"):  # infinities: not finite, never trusted
            _loop_closure(x, idx, t, scale, offset, c, cols)
            np.rint(c, out=k)
        finite = np.isfinite(c)
        nonzero = k != 0
        if n_loops is not None:
            n_loops += finite
        n_nonclosing += finite & nonzero
        if sums is not None:
            _row_sums(c, finite, nonzero, t, *sums)
        if key is not None:
            trusted = _key_of_loop(c, k, frac, max_frac, key, t)
            todo |= trusted & nonzero


def _key_of_loop(c, k, frac, max_frac, key, t):
    """``key[t]``: the loop's integer closures ``k = rint(c)`` where the closure ``c`` is within ``max_frac`` cycle
    of them, the sentinel elsewhere (``frac`` a buffer). Returns where it is (trusted)."""
    with np.errstate(invalid="ignore"):
        np.subtract(c, k, out=frac)
    np.abs(frac, out=frac)
    trusted = frac <= max_frac  # False where the closure is NaN or infinite
    key[t] = np.where(trusted, k, -32768.0)  # the sentinel: no NaN or infinity left to convert
    return trusted


def _classified(x, scale, idx, offset, max_frac, key, statistics: bool, block: tuple) -> tuple:
    """:func:`_classify_kernel` over a block of ``block`` = (rows, cols, c0, c1) pixels, its own rows ``c0:c1``:
    ``(n_loops, n_nonclosing, todo, (loop pixels, row sums of squares, loop non-closing))``, the per-loop sums and
    ``n_loops`` with ``statistics`` (else None). Without ``key`` (a second pass's counts alone) the pixels of the
    block's own rows alone are classified: the counts of the rows around them (0) are not used."""
    rows, cols, c0, c1 = block
    p, t = rows * cols, idx.shape[0]
    own = slice(None) if key is not None else slice(c0 * cols, c1 * cols)
    n_loops = np.zeros(p, np.int32) if statistics else None
    n_nonclosing, todo = np.zeros(p, np.int32), np.zeros(p, np.bool_)
    sums = (cols, c0 if key is not None else 0, c1 - c0, np.empty(t), np.empty((t, c1 - c0)), np.empty(t)) \
        if statistics else None
    _classify_kernel(x, scale, idx, offset, max_frac, key, None if n_loops is None else n_loops[own],
                     n_nonclosing[own], todo[own], sums=sums, cols=own)
    return n_loops, n_nonclosing, todo, sums[3:] if statistics else (None, None, None)


def _key_kernel(x, scale, idx, offset, max_frac, key):
    """The keys of :func:`_classify_kernel` alone (T, P) int16, from the same closures; returns ``key``."""
    c = np.empty(x.shape[1])
    k = np.empty_like(c)
    frac = np.empty_like(c)
    for t in range(idx.shape[0]):
        with np.errstate(invalid="ignore"):
            _loop_closure(x, idx, t, scale, offset, c)
            np.rint(c, out=k)
        _key_of_loop(c, k, frac, max_frac, key, t)
    return key


def _loops_with_data(has: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Where each loop's three values have data (T, P) bool, from ``has`` (M, P)."""
    out = np.empty((idx.shape[0], has.shape[1]), bool)
    for i in range(idx.shape[0]):
        out[i] = has[idx[i, 0]] & has[idx[i, 1]] & has[idx[i, 2]]
    return out


def _when_needed(make):
    """A function giving ``make()``, made at its first call and kept."""
    made = []

    def get():
        if not made:
            made.append(make())
        return made[0]
    return get


def _held_cycles(held: np.ndarray, decided: dict, p: int) -> tuple:
    """``(u, ambiguous)`` of the second pass: the first pass's cycles ``held`` (M, P) int8 as corrections (int16),
    a date-shift tie's fewer-slips correction taken where the pixel's whole component decided it."""
    tied = held >= TIE_CYCLES // 2  # a date-shift tie's fewer-slips correction, kept apart by the first pass
    ambiguous = np.asarray(decided["ambiguous"], bool).reshape(p).copy()
    if not tied.any():  # no tie: the first pass's cycles as they are
        return np.where(held == NO_DATA_CYCLES, 0, held).astype(np.int16), ambiguous
    u = np.where((held == NO_DATA_CYCLES) | tied, 0, held).astype(np.int16)
    # a whole component whose values tie alike takes the tie's fewer-slips correction where it decided it (asked at
    # the pixels holding a tie alone)
    lab = np.asarray(decided["labels"]).reshape(p)
    px = np.flatnonzero(tied.any(axis=0) & (lab > 0))
    dec = np.asarray(decided["decisions"])[lab[px]].T
    sub = np.take(held, px, axis=1)
    take = np.take(tied, px, axis=1) & (dec != 0) & (sub.astype(np.int16) - TIE_CYCLES == dec)
    u_px = np.take(u, px, axis=1)
    u_px[take] = dec[take]
    u[:, px] = u_px
    ambiguous[px[take.any(axis=0)]] = False
    return u, ambiguous


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


def _solve_patterns(u, ambiguous, todo, agreed, has, triplets, solver, tie=None, tie_shift=None) -> None:
    """The sparsest correction of each distinct pattern of the pixels ``todo`` (columns of ``agreed``, where ``u``
    and ``tie`` are 0), set in ``u`` on their values with data (``has``); ``ambiguous`` where it is not unique. With
    ``tie`` (M, P): a date-shift tie's candidate correction where the solver kept one (:attr:`_Solver.fallback`, or
    with ``tie_shift`` (P,) also :attr:`_Solver.edge_tie`, whose date and shift are coded there as
    :func:`tie_shift_code`)."""
    patterns, inverse = _distinct_columns(_relevant_only(agreed[:, todo], triplets))
    sols = np.zeros((u.shape[0], patterns.shape[1]), np.int16)
    backs = np.zeros_like(sols)
    shifts = np.zeros(patterns.shape[1], np.int16)
    uniq = np.zeros(patterns.shape[1], bool)
    for j in range(patterns.shape[1]):
        pat = np.ascontiguousarray(patterns[:, j])
        sols[:, j], uniq[j] = solver.solve(pat)
        if not uniq[j]:
            kb = pat.tobytes()
            fb = solver.fallback.get(kb)
            if fb is not None:
                backs[:, j] = fb
            if tie_shift is not None:
                et = solver.edge_tie.get(kb)
                if et is not None:
                    code = tie_shift_code(et[1], fb is not None)
                    if code:
                        backs[:, j] = et[0]
                        shifts[j] = code
    _set_where_data(u, has, todo, sols, inverse)
    ambiguous[todo] = ~uniq[inverse]
    if tie is not None:
        _set_where_data(tie, has, todo, backs, inverse)
    if tie_shift is not None:
        tie_shift[todo] = shifts[inverse]


def _set_where_data(out, has, todo, per_pattern, inverse) -> None:
    """``out[:, todo] = where(has[:, todo], per_pattern[:, inverse], 0)`` where ``out[:, todo]`` is 0: written only
    at the pixels whose pattern carries a value other than 0, an interferogram at a time (one-dimensional gathers,
    several times faster than the two-dimensional ones)."""
    at = np.flatnonzero(per_pattern.any(axis=0)[inverse])
    if not at.size:
        return
    px, inv = todo[at], inverse[at]
    for k in np.flatnonzero(per_pattern.any(axis=1)):  # a row without a value stays 0
        row = out[k]
        row[px] = np.where(has[k].take(px), per_pattern[k].take(inv), 0)


def _own_ties_only(tie, tie_shift, todo, agreed, key, bound, triplets, u) -> None:
    """Forget the ties of the pixels ``todo`` whose own integer closures (``key`` within ``bound``) are not their
    window's (``agreed``): a loop usable in both that closes otherwise, or no loop holding the tie's pairs (the
    candidate's, the other slipped pair or the shifted date's) that the window opens, or that the pixel's other
    corrections ``u`` open (a pair slipped with a cancelling one in their only loop), and that is usable at the
    pixel. The tie is the window's, and the pixel's own slips may be neither the candidate nor the alternative
    (another pair slipped there, slips that cancel in a loop, or none). A component's fallback stays."""
    px = todo[tie_shift[todo] != 0]
    if not px.size:
        return
    a, k = agreed[:, px], key[:, px]
    k = np.where(np.abs(k) <= bound, k, _MISSING)
    date, _, fallback, other, _ = closure_edges.tie_kinds(tie_shift[px])
    pairs = tie[:, px] != 0
    swap = np.flatnonzero(other >= 0)
    pairs[other[swap], swap] = True
    if triplets.dates is not None:
        ref, sec = triplets.dates
        on = np.flatnonzero(date >= 0)
        pairs[:, on] |= (ref[:, None] == date[on][None, :]) | (sec[:, None] == date[on][None, :])
    holds = ((triplets.matrix != 0).astype(np.int32) @ pairs.astype(np.int32)) > 0  # (T, pixels)
    usable = k != _MISSING
    opens = a.astype(np.int32) + (triplets.matrix @ u[:, px].astype(np.float64)).astype(np.int32)
    seen = (holds & (a != _MISSING) & (opens != 0) & usable).any(axis=0)
    bad = ((a != _MISSING) & (a != k) & usable).any(axis=0) | ~seen
    if not bad.any():
        return
    tie[:, px[bad & ~fallback]] = 0
    tie_shift[px[bad]] = 0


def tie_shift_code(alternative: tuple, fallback: bool) -> int:
    """The first pass's code (int16) of a pixel whose correction (kept as a tie, :data:`TIE_CYCLES` + v) closes its
    loops as an ``alternative`` does (:func:`closure_edges.tie_kinds`): ``("date", d, k)``, date ``d`` shifted by
    ``k`` cycles, coded ``k (2 (d + 1) + fallback)`` (``fallback`` where a component may also take the correction,
    :attr:`_Solver.fallback`); ``("swap", q, n)``, pair ``q`` slipped by ``n`` instead of the correction's one pair,
    coded ``n (SWAP_BASE + q)``. 0 where the code does not fit."""
    if alternative[0] == "date":
        _, d, k = alternative
        code = int(k) * (2 * (int(d) + 1) + int(bool(fallback)))
        return code if abs(code) < closure_edges.SWAP_BASE else 0
    _, q, n = alternative
    code = int(n) * (closure_edges.SWAP_BASE + int(q))
    return code if abs(code) < 2 ** 15 else 0


def _solve_block(key, finite, has, rows, cols, triplets, solver, window_px, max_cycles, n_nonclosing,
                 carried=None) -> tuple:
    """``(u, ambiguous, noisy, tie, tie_shift)`` of a block: the sparsest corrections of the patterns its windows
    agree on (:func:`correct_closure_block`), before the pixels' own loops are asked; ``noisy`` a
    :class:`closure_consensus.NoisyLoops`; ``finite`` a function giving the loops with data (T, P). ``carried``
    (P,) bool: the pixels with a usable key other than 0 in some loop (a superset will do; default all): the windows'
    counts are then made at the pixels that may agree on a closure other than 0 alone, where those keys are few
    (:func:`closure_consensus.nonzero_candidates`)."""
    m, p = has.shape
    t = triplets.n
    bound = 2 * max_cycles
    u = np.zeros((m, p), np.int16)
    ambiguous = np.zeros(p, bool)
    keyed = None  # the keys within the bound, made where a window is counted over the whole block
    noisy = None
    tie = np.zeros((m, p), np.int16)  # the candidate correction of the wide window's date-shift ties
    tie_shift = np.zeros(p, np.int16)  # and the date shifted where the edges may decide it (tie_shift_code)
    px = np.arange(p) if carried is None else np.flatnonzero(carried)
    # the integer closures a window agrees on, from the wide window (robust to noise) to the narrow one (small
    # patches) for the pixels the wide one left closed
    for w, majority, slv in ((window_px, consensus.MAJORITY, solver),
                             (NARROW_WINDOW_PX, NARROW_MAJORITY, _solver_for(triplets, NARROW_ALPHA, max_cycles))):
        cand = consensus.nonzero_candidates(key, rows, cols, px, window_px=w, majority=majority, bound=bound)
        if cand is not None and cand.size > consensus.GATHER_SHARE * p:
            cand = None  # counted over the whole block at less cost
        if cand is None:
            if keyed is None:
                keyed = np.where(np.abs(key) <= bound, key, _MISSING)
            agreed, noisy_w = consensus.consensus_keys(keyed, finite(), rows, cols, window_px=w, majority=majority)
            if w == window_px:  # the wide window judges a loop's noise
                noisy = consensus.NoisyLoops(key, finite, rows, cols, window_px=w, bound=bound, full=noisy_w)
            todo = ((agreed != _MISSING) & (agreed != 0)).any(axis=0)
            cols_at = slice(None)
        else:
            todo = np.zeros(p, bool)
            if cand.size:
                sub, _ = consensus.consensus_at(key, finite(), rows, cols, cand, window_px=w, majority=majority,
                                                bound=bound)
                todo[cand] = ((sub != _MISSING) & (sub != 0)).any(axis=0)
            agreed = None
            cols_at = cand
        todo &= ~(u != 0).any(axis=0)
        if w != window_px:  # the narrow window's corrections close two loops: pixels whose own two loops open
            todo &= n_nonclosing >= 2
            # a pattern the wide window found ambiguous stays so: a narrower view of the same closures cannot tell
            # two corrections that close them alike
            todo &= ~ambiguous
        todo = np.flatnonzero(todo)
        if todo.size:
            if agreed is None:  # the agreed keys of the pixels counted, in place in the block's
                agreed = np.full((t, p), _MISSING, np.int16)
                agreed[:, cols_at] = sub
            if w == window_px:
                _solve_patterns(u, ambiguous, todo, agreed, has, triplets, slv, tie, tie_shift=tie_shift)
                _own_ties_only(tie, tie_shift, todo, agreed, key, bound, triplets, u)
            else:
                _solve_patterns(u, ambiguous, todo, agreed, has, triplets, slv)
        del agreed, todo
    if noisy is None:
        noisy = consensus.NoisyLoops(key, finite, rows, cols, window_px=window_px, bound=bound)
    return u, ambiguous, noisy, tie, tie_shift


def correct_closure_block(stack_mm: np.ndarray, triplets: Triplets, *, cycle_mm: float,
                          reference_mm: np.ndarray | None = None, closure_offset: np.ndarray | None = None,
                          coherence: np.ndarray | None = None, min_coherence: float = 0.0,
                          alpha: float = ALPHA, max_cycles: int = 3,
                          max_residual_rad: float = 1.5, inplace: bool = False,
                          solver: _Solver | None = None, core: slice | None = None,
                          window_px: int = WINDOW_PX, decided: dict | None = None,
                          statistics: bool = True, settle: bool = False) -> dict:
    """Detect and correct unwrapping errors of one block of interferograms by phase closure.

    Per pixel, the integer closure of every loop (its closure less the network's common closure, rounded; unusable
    where a value has no data or the closure is more than ``max_residual_rad`` from whole cycles), then the
    integer closures its ``window_px`` square window agrees on (:func:`closure_consensus.consensus_keys`: a
    slipped region shares them, noise does not). The sparsest integer correction explaining those
    (min sum|C U + K| + alpha sum|U|, exact, :class:`_Solver`) is solved once per distinct pattern and, where it is
    unique, applied to the pixel's values with data interferogram by interferogram where the pixel's own usable
    loops of that interferogram close better with it (:func:`closure_consensus.keep_supported`); a patch's
    correction is then carried to its edge where the pixels' own loops ask for it
    (:func:`closure_consensus.grow`).

    Parameters
    ----------
    stack_mm : ndarray (M, rows, cols)
        Unwrapped interferograms, LOS mm (NaN = no data); not modified unless ``inplace``.
    triplets : Triplets
        From :func:`network_triplets` for the ``M`` pairs.
    cycle_mm : float
        One phase cycle in LOS mm (``wavelength_m * 1000 / 2``).
    closure_offset : ndarray (T,), optional
        The closure common to the network (cycles; :func:`closure_offsets`), removed before rounding: the frame
        every block counts its integer closures in. Default: that of this block.
    coherence : ndarray (M, rows, cols), optional
        With ``min_coherence``: interferogram values below it are not used nor corrected.
    reference_mm : ndarray (M,), optional
        Values subtracted from every pixel before the closures are taken (a reference pixel's).
    alpha : float
        Weight of the L1 norm of the corrections against the closure misfit, per cycle (default
        :data:`ALPHA`): below 1, a correction that closes one loop of a region's agreed closures, uniquely, is
        taken (a pair in a single loop whose partners' other loops close).
    max_cycles : int
        Bound on the correction of one interferogram at one pixel (cycles).
    inplace : bool
        Correct ``stack_mm`` in place (float64 input; the engine's block arrays) instead of a copy.
    max_residual_rad : float
        A loop is used at a pixel only when its closure is within this distance (radians) of a
        whole number of cycles (default 1.5 rad, LiCSBAS's loop threshold).
    core : slice, optional
        The rows of the block that are its own (default all); the others are neighbours read for the windows
        (:data:`HALO_ROWS` each side) and are not returned.
    window_px : int
        Side of the window whose majority gives a pixel's integer closures (default
        :data:`closure_consensus.WINDOW_PX`).
    decided : dict, optional
        The second pass of a run (:func:`component_decisions`): ``cycles`` (M, rows, cols) int8, the cycles the first
        pass decided for the block's rows (:data:`NO_DATA_CYCLES` where a value had none), ``ambiguous`` (rows, cols),
        ``labels`` (rows, cols) the pixels' components and ``decisions`` (C + 1, M) int16 the cycles of each
        component: instead of solving again, the block takes the first pass's cycles and gives each undecided value
        of a component with a decision that decision where the pixel's own loops do not open with it. With
        ``settled`` (M, rows, cols), the cycles ``settle`` returned for the rows read: the last pass, which sets
        them against their neighbours' (:func:`closure_continuity.neighbour_ring`).
    statistics : bool
        False (a first pass, whose cycles alone are kept): the per-loop sums, loop counts and loops left open after
        the corrections are not made (``loop_*``, ``n_loops`` None, ``n_nonclosing_after`` those before).
    settle : bool
        With ``decided``: return only ``settled`` (M, rows, cols) int16, the block's own rows' cycles.

    Returns
    -------
    dict
        ``corrected_mm`` (M, rows, cols), ``cycles`` (M, rows, cols) int16 added cycles,
        ``n_cycles`` (rows, cols) total |cycles| per pixel, ``n_nonclosing`` /
        ``n_nonclosing_after`` (rows, cols) usable loops with a non-zero integer closure before and
        after, ``ambiguous`` (rows, cols) bool (the window's closures do not close and no unique correction was
        applied), ``unsettled`` (rows, cols) bool in a first pass (the window's closures had no unique correction,
        partly applied or not: :mod:`closure_bridges`; None in a second), and per-triplet sums for
        :class:`ClosureStats` (``loop_sum_sq_rad`` ``(T, rows)``: per row, added in row order).
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
    if closure_offset is None:  # from a sample of the block's pixels, as a run takes it from a sample of rows
        step = max(1, p // 20000)
        closure_offset = closure_offsets(xm[:, ::step] - ref[:, None] / scale, triplets, cycle_mm=cycle_mm,
                                         max_residual_rad=max_residual_rad)
    # the kernels take the closure of the referenced cycles x * scale - ref, minus the network's offset
    offset = np.asarray(closure_offset, np.float64) + closure_phase(ref[:, None], triplets)[:, 0]
    t = triplets.n
    idx = np.ascontiguousarray(triplets.index)
    # the keys are needed to solve (the first pass), or where the pixels' own loops are asked (a correction held,
    # a component's decision): elsewhere the second pass makes only its counts and sums
    held = None if decided is None else np.asarray(decided["cycles"]).reshape(m, p)
    last = decided is not None and decided.get("settled") is not None
    if decided is not None:  # the first pass's cycles as corrections (a tie held: coded from TIE_CYCLES // 2)
        u, ambiguous = _held_cycles(held, decided, p)
    if last:  # the settled cycles, only to be set against their neighbours'
        u = np.asarray(decided["settled"]).reshape(m, p).astype(np.int16)
    need_key = not last and (decided is None or bool(np.any(decided["decisions"])) or bool(u.any()) or bool(
        held.size and held.max() >= TIE_CYCLES // 2))
    key = np.empty((t, p), np.int16) if need_key else None
    n_loops, n_nonclosing, todo_flag, (loop_pixels, loop_sum_sq, loop_nonclosing) = _classified(
        xm, scale, idx, offset, float(max_residual_rad) / TWO_PI, key, statistics, (rows, cols, c0, c1))
    has = np.isfinite(xm)
    finite = _when_needed(lambda: _loops_with_data(has, idx))
    loops, signs = consensus.loops_by_ifg(triplets.matrix)
    if decided is None:
        with one_blas_thread():  # the exact solves' products are small: BLAS's threads would only spin beside them
            u, ambiguous, noisy, tie, tie_shift = _solve_block(key, finite, has, rows, cols, triplets, solver,
                                                               window_px, max_cycles, n_nonclosing, todo_flag)
    elif not last:
        if key is None:  # (not needed: no correction to check; made if asked all the same)
            key = _when_needed(lambda: _key_kernel(xm, scale, idx, offset, float(max_residual_rad) / TWO_PI,
                                                   np.empty((t, p), np.int16)))
        # the wide window's noisy loops, made where the pixels' own loops are asked
        noisy = consensus.NoisyLoops(key, finite, rows, cols, window_px=window_px, bound=2 * max_cycles)
    del finite

    own = consensus.Remembered(lambda px: _own_closures(xm, scale, offset, triplets, noisy, px), p,
                               consensus.OWN_SHARE)
    if decided is None:
        changed = np.flatnonzero((u != 0).any(axis=0))
        if changed.size:  # (without a correction there is nothing to check, carry or settle)
            consensus.keep_supported(u, own, changed, loops, signs, idx)
            # an ambiguous pixel (its window's closures close alike with two corrections) takes none from its
            # neighbours: its own loops cannot tell them apart
            consensus.grow(u, own, has & ~ambiguous[None, :], rows, cols, loops, signs, idx, FILL_STEPS)
            consensus.settle(u, own, loops, signs, idx)
    elif last:  # last of all, the corrections against their neighbours': an unwrapping error is a region
        closure_continuity.neighbour_ring(u, has, xm, rows, cols, c0, c1, idx, offset, scale,
                                          float(max_residual_rad) / TWO_PI)
    else:
        _second_pass(u, own, has, decided, key, triplets, solver, (rows, cols, c0, c1), window_px=window_px,
                     max_cycles=max_cycles, max_frac=float(max_residual_rad) / TWO_PI, loops=(loops, signs),
                     stack=(xm, offset, scale))
        if settle:  # the settled cycles of the block's own rows, for the last pass
            return {"settled": u.reshape(m, rows, cols)[:, c0:c1]}
    if decided is None and tie.any():
        _keep_ties(tie, tie_shift, u, ambiguous, has)
    elif decided is None:  # no tie to keep: every pixel's code cleared, as _keep_ties clears those without one
        tie_shift[:] = 0
    all_px = np.flatnonzero((u != 0).any(axis=0))
    # the pixels whose pattern had no unique correction, partly corrected or not: a component of them may be bridged
    # to the ground beside it (closure_bridges)
    unsettled = ambiguous.reshape(rows, cols)[c0:c1].copy() if decided is None else None
    ambiguous[all_px] = False
    all_px = all_px[(all_px >= c0 * cols) & (all_px < c1 * cols)]  # this block's own rows
    n_nonclosing_after = n_nonclosing.copy()
    loop_nonclosing_after = loop_nonclosing.copy() if statistics else None
    if statistics:
        _closing_after(xm, scale, offset, u, all_px, triplets, n_nonclosing_after, loop_nonclosing_after)
    changed_px = all_px
    corrected = x if inplace else x.copy()
    uc = np.take(u, changed_px, axis=1)  # (u[:, changed_px], gathered once)
    if changed_px.size:
        flat = corrected.reshape(m, p)
        for k in range(m):  # an interferogram at a time: one-dimensional gathers, the same sums
            row = flat[k]
            row[changed_px] += uc[k] * cycle_mm
    changed = uc != 0  # u is 0 outside changed_px
    n_cycles = np.zeros(p, np.int32)
    n_cycles[changed_px] = np.abs(uc).sum(axis=0)
    rows_ = slice(c0, c1)
    u = u.reshape(m, rows, cols)[:, rows_]
    ambiguous = ambiguous.reshape(rows, cols)[rows_]
    return {
        "corrected_mm": corrected[:, rows_],
        "cycles": u,
        "tie": None if decided is not None else tie.reshape(m, rows, cols)[:, rows_],
        "tie_shift": None if decided is not None else tie_shift.reshape(rows, cols)[rows_],
        "n_cycles": n_cycles.reshape(rows, cols)[rows_],
        "n_nonclosing": n_nonclosing.reshape(rows, cols)[rows_],
        "n_nonclosing_after": n_nonclosing_after.reshape(rows, cols)[rows_],
        "n_loops": None if n_loops is None else n_loops.reshape(rows, cols)[rows_],
        "ambiguous": ambiguous,
        "unsettled": unsettled,
        "loop_pixels": loop_pixels,
        "loop_sum_sq_rad": None if loop_sum_sq is None else loop_sum_sq * TWO_PI ** 2,
        "loop_nonclosing": loop_nonclosing,
        "loop_nonclosing_after": loop_nonclosing_after,
        "ifg_corrected": changed.sum(axis=1).astype(np.float64),
        "n_ambiguous": int(ambiguous.sum()),
        "n_corrected": int(changed_px.size),
        "coherence_counts": coherence_counts,
    }


def _second_pass(u, own, has, decided: dict, key, triplets: Triplets, solver, block: tuple, *, window_px: int,
                 max_cycles: int, max_frac: float, loops: tuple, stack: tuple) -> None:
    """The second pass of :func:`correct_closure_block` on the first pass's corrections ``u`` (M, P), in place: the
    pixels recast on their component's decision (:mod:`closure_recast`), the decisions given to the values without a
    correction (:func:`closure_consensus.complete`), the first pass's corrections settled beside them, a torn value
    refused. ``block`` (rows, cols, c0, c1); ``loops`` (loops, signs) by interferogram; ``stack`` (the values (M, P),
    the frame's offset, 1 / cycle)."""
    rows, cols, c0, c1 = block
    p = rows * cols
    loops, signs = loops
    idx = np.ascontiguousarray(triplets.index)
    rounds = closure_recast.ADOPT_ROUNDS  # the rows beyond the block's that are finished for the rings to read
    # a component's decision reaches its ambiguous values too (what the pixel's closures cannot tell apart, the
    # component's other values tell), refused only where the pixel's own loops contradict it beyond noise
    lab = np.asarray(decided["labels"]).reshape(p)
    added = None
    if np.any(decided["decisions"]):  # (no decision: nothing to add)
        # a patch on a decided component: the decision plus the patch's own slips, not their closures' twin
        recast = closure_recast.recast(u, _window_keys(key, has, idx, rows, cols, window_px, 2 * max_cycles), own,
                                       has, lab, decided["decisions"], triplets, solver, max_cycles, max_frac,
                                       span=(max(c0 - 1 - rounds, 0) * cols, min(c1 + 1 + rounds, rows) * cols))
        recast_u = np.take(u, recast, axis=1)
        added = consensus.complete(u, own, has, lab, decided["decisions"], loops, signs, idx, max_frac=max_frac)
    # the first pass's corrections judged again beside the decisions, which stand as given (and so do the pixels
    # recast on them)
    consensus.settle(u, own, loops, signs, idx, strict=False)
    if added is not None:
        consensus.restore(u, added, lab, decided["decisions"])
        u[:, recast] = recast_u
    # a correction tearing a value off the neighbours it ran on from, refused (the halo holds their neighbours)
    xm, offset, scale = stack
    closure_continuity.refuse_torn(xm, u, rows, cols, max(c0 - rounds, 0), min(c1 + rounds, rows), idx, offset,
                                   scale, max_frac)
    # a rim's corrections that its own loops refuse, replaced by a neighbour's that close them (ring by ring: the
    # rows beside the block's, judged as their own block judges them, are read by the next ring)
    adopted = None
    for ring in range(rounds):
        ext = rounds - 1 - ring
        adopted = closure_recast.adopt(u, own, has, triplets, rows, cols, (max(c0 - ext, 0), min(c1 + ext, rows)),
                                       max_cycles, max_frac, ALPHA, after=adopted)


def _window_keys(key, has, idx, rows: int, cols: int, window_px: int, bound: int):
    """A function giving, for pixels ``px``, the integer closures (T, px.size) their windows agree on, as the first
    pass solved them: gathered around the pixels, or counted over the whole block where many ask (the same values)."""
    fin = _loops_with_data(has, idx)

    def agreed(px):
        if px.size <= consensus.GATHER_SHARE * key.shape[1]:
            return consensus.consensus_at(key, fin, rows, cols, px, window_px=window_px, bound=bound)[0]
        whole, _ = consensus.consensus_keys(np.where(np.abs(key) <= bound, key, _MISSING), fin, rows, cols,
                                            window_px=window_px)
        return np.take(whole, px, axis=1)

    return agreed


def _own_closures(xm, scale, offset, triplets, noisy, px) -> np.ndarray:
    """The closures (T, px.size) of the pixels ``px`` in cycles, in the frame (``offset`` removed), NaN where a loop
    has no data or is noisy there (``noisy`` a :class:`closure_consensus.NoisyLoops`): gathered with np.take, scaled
    and offset in place (the same values as ``closure_phase(xm[:, px] * scale) - offset``)."""
    xs = np.take(xm, px, axis=1)
    np.multiply(xs, scale, out=xs)
    with np.errstate(invalid="ignore"):
        c = closure_phase(xs, triplets)
        np.subtract(c, offset[:, None], out=c)
    np.copyto(c, np.nan, where=noisy.at(px))
    return c


def _keep_ties(tie, tie_shift, u, ambiguous, has) -> None:
    """The first pass's ties (``tie`` (M, P), ``tie_shift`` (P,), cleared in place) kept where the pixel is left
    ambiguous with no correction; a swap of slipped pairs also beside the pixel's other corrections, where neither
    pair moved and the other pair has data (``has``)."""
    left = (u != 0).any(axis=0) | ~ambiguous
    swap = np.flatnonzero(np.abs(tie_shift.astype(np.int32)) >= closure_edges.SWAP_BASE)
    if swap.size:
        q = np.abs(tie_shift[swap].astype(np.int64)) - closure_edges.SWAP_BASE
        kept = (ambiguous[swap] & has[q, swap] & (u[q, swap] == 0)
                & ~((tie[:, swap] != 0) & (u[:, swap] != 0)).any(axis=0))
        left[swap] = ~kept
    carried = (tie != 0).any(axis=0)
    tie[:, np.flatnonzero(carried & left)] = 0  # (elsewhere the columns are 0 already)
    tie_shift[left | ~carried] = 0


def _closing_after(xm, scale, offset, u, px, triplets, n_nonclosing_after, loop_nonclosing_after) -> None:
    """The loops that do not close after the corrections ``u`` (M, P) of the pixels ``px``: per pixel
    (``n_nonclosing_after``, set) and per loop (``loop_nonclosing_after``, changed by the difference), by chunks of
    the pixels; a loop's closure is taken again only where a correction moves it."""
    for s0 in range(0, px.size, consensus.CHUNK_PX):
        sel = px[s0:s0 + consensus.CHUNK_PX]
        xs = np.take(xm, sel, axis=1)  # (the same values as xm[:, sel] * scale, in place of copies)
        np.multiply(xs, scale, out=xs)
        sub = closure_phase(xs, triplets)
        np.subtract(sub, offset[:, None], out=sub)
        valid = np.isfinite(sub)
        shift = closure_phase(np.take(u, sel, axis=1).astype(np.float64), triplets)
        before = valid & (np.abs(sub) > 0.5)  # a whole cycle at least once rounded (rint(sub) != 0)
        after = before.copy()
        moved = shift != 0  # elsewhere a loop's closure is the same after as before
        after[moved] = valid[moved] & (np.abs(sub[moved] + shift[moved]) > 0.5)
        n_nonclosing_after[sel] = after.sum(axis=0)
        loop_nonclosing_after += after.sum(axis=1) - before.sum(axis=1)


#: The first pass's cycles of a value without data (int8; :func:`correct_closure_block`'s ``decided``).
NO_DATA_CYCLES = -128
#: The first pass's code of a value left ambiguous by a date-shift tie whose fewer-slips correction is ``v``:
#: ``TIE_CYCLES + v`` (int8; :func:`component_decisions` lets a whole component take it).
TIE_CYCLES = 64
#: Share of a component's values with data in an interferogram that must carry one correction for the component to
#: decide it (:func:`component_decisions`), and the fewest pixels of a component (MintPy's ``connCompMinArea`` is
#: 2,500; smaller here, as an island of a few hundred pixels is still one unwrapped piece).
COMPONENT_SHARE = 0.9
MIN_COMPONENT_PX = 100
#: Share of the memory budget the cycles of the whole grid held between the passes may hold (2 M + 12 bytes a pixel);
#: beyond it they are held in temporary files.
HELD_SHARE = 0.25
#: Rings of pixels a patch's corrections are carried to its edge by (:func:`closure_consensus.grow`).
FILL_STEPS = 3
#: Rows of neighbours a block reads above and below its own: half the window of the integer closures, and one per
#: ring of the carrying to a patch's edge (the second pass recasts as many rows beside its own: one its torn check
#: reads and one per ring of :func:`closure_recast.adopt`). The last pass, which sets the settled corrections against
#: their neighbours', reads :data:`closure_continuity.RING_ROWS` (:data:`LAST_HALO_ROWS`).
HALO_ROWS = WINDOW_PX // 2 + FILL_STEPS
LAST_HALO_ROWS = closure_continuity.RING_ROWS
#: Side of the second, narrow window (patches too small for the first one's majority), the share of its usable
#: closures that must agree, and its weight of a cycle of correction: a narrow window's agreement may be noise
#: shared by neighbours (a year-long pair at low coherence), so there a correction must close two loops.
NARROW_WINDOW_PX = 3
NARROW_MAJORITY = 0.7
NARROW_ALPHA = 1.5


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


def _relevant_only(key: np.ndarray, triplets: Triplets) -> np.ndarray:
    """Set to 0 the loops that share no interferogram with a non-closing loop: they do not change the
    solution, and pixels then share their pattern (one solve for many pixels)."""
    idx = triplets.index
    # bit-packed pixels (eight a byte): a loop's non-closing ones, or-ed into each of its interferograms, then each
    # loop's pixels where one of its interferograms is in such a loop
    bits = np.packbits((key != _MISSING) & (key != 0), axis=1)
    hit = np.zeros((triplets.matrix.shape[1], bits.shape[1]), np.uint8)
    for t, loop in enumerate(idx.tolist()):
        for m in loop:
            np.bitwise_or(hit[m], bits[t], out=hit[m])
    near = np.unpackbits(hit[idx[:, 0]] | hit[idx[:, 1]] | hit[idx[:, 2]], axis=1, count=key.shape[1])
    return np.where(near.view(bool), key, np.int16(0))


#: Largest error allowed of numpy's cosine and sine (vectorised, of float64) against the complex exponential's parts,
#: in units of 1: 16 units of the last place of 1.0 (measured: 1.5 under numpy 1.24 on AVX-512, 0 under numpy 2.4).
TRIG_ERROR = 2.0 ** -48
#: Largest closure (cycles) whose cosine and sine are trusted to :data:`TRIG_ERROR` (beyond: the exponential alone).
TRIG_RANGE = 2.0 ** 20


def _grid_fraction(z) -> float:
    """The angle of ``z`` in cycles on the grid of :data:`FRAC_GRID` steps."""
    return float(np.rint(np.angle(z) / (2 * np.pi) * FRAC_GRID) / FRAC_GRID)


def common_fraction(c: np.ndarray) -> float:
    """The circular mean of the closures ``c`` (finite, cycles) on the grid of :data:`FRAC_GRID` steps: the angle of
    ``sum exp(2 pi i c)``, as that sum of ``np.exp`` gives it (the last bits of np.exp differ between numpy versions,
    the grid does not).

    The sum is first taken of the parts ``cos`` and ``sin`` (numpy's vectorised functions, twenty times faster than
    the complex exponential under numpy 1.24) in a complex array, so in the same order. Their difference from the
    exponential's parts, at most :data:`TRIG_ERROR` each (arguments within :data:`TRIG_RANGE` cycles), and both
    sums' rounding (pairwise sums, even if taken in chunks one after the other: at most ``log2 n + 24 + n / 8192``
    roundings deep) bound how far the two sums, and so their angles on the grid, can lie apart; where the grid's
    rounding (or the angle's wrap at half a cycle) falls within that reach, or a closure lies beyond that range, the
    exponential's sum is taken. Either way the value is the exponential's."""
    n = c.size
    if not float(np.abs(c).max(initial=0.0)) <= TRIG_RANGE:
        return _grid_fraction(np.exp(2j * np.pi * c).sum())
    theta = c * (2 * np.pi)
    theta += 0.0  # -0 as +0, as the exponential's argument has it (0 * 0 + 2 pi c)
    z = np.empty(n, np.complex128)
    np.cos(theta, out=z.real)
    np.sin(theta, out=z.imag)
    s = z.sum()
    # each part of the two sums: the terms' differences and both sums' roundings (relative 2**-53 each, at most
    # log2 n + 24 + n / 8192 deep, of terms of size at most 1)
    err = np.sqrt(2.0) * n * (TRIG_ERROR + 2.0 * (np.log2(max(n, 2)) + 24.0 + n / 8192.0) * 2.0 ** -53)
    size = abs(s)
    if size > 4.0 * err:
        # the angles' difference (each angle rounded too), then in grid steps with the roundings of the scaling
        reach = 2.0 * err / size + 4.0 * np.spacing(np.pi)
        angle = np.angle(s)
        a = angle / (2 * np.pi) * FRAC_GRID
        steps = reach / (2 * np.pi) * FRAC_GRID * (1.0 + 1e-9) + 4.0 * np.spacing(FRAC_GRID / 2)
        if np.pi - abs(angle) > 2.0 * reach and abs(a - np.rint(a)) < 0.5 - 2.0 * steps:
            return float(np.rint(a) / FRAC_GRID)
    return _grid_fraction(np.exp(2j * np.pi * c).sum())


def closure_offsets(sample_mm: np.ndarray, triplets: Triplets, *, cycle_mm: float,
                    max_residual_rad: float = 1.5, reference=None) -> np.ndarray:
    """The closure common to the network, per loop (cycles), removed before rounding: the frame of the integer
    closures (:mod:`closure_consensus`).

    Interferograms unwrapped from different seed points (or referenced to different pixels) carry offsets, whole
    cycles and fractions, so every pixel of a loop shares a closure that has nothing to do with unwrapping errors.
    Over a sample of pixels ``sample_mm`` (M, ...), the common fraction is the circular mean of the closures; the
    common whole cycles are those of the most common pattern of integer closures among the sampled pixels whose
    loops are all usable (within ``max_residual_rad`` of whole cycles): the largest region's. Any other region's
    pattern then differs from it by the closures of whole cycles (a real pixel's closures are consistent), so every
    pattern is explained by a correction relative to the largest region, whichever interferograms it slipped in;
    whole cycles chosen loop by loop (a majority per loop) may mix regions and explain no pixel at all. 0 where a
    loop has no data.

    The largest region is the largest piece all the slipped regions cut the scene into: values the closures cannot
    decide (decorrelated ground, an incoherent line across the scene) stay as that piece has them, which may be the
    smaller side of one interferogram's cut. With ``reference`` (bool, the sample's pixels: a stable area), the
    frame is instead the closures most of the reference's pixels share (:func:`closure_consensus.frame_of` over
    them), as MintPy's reference pixel sets it: those values then stay as right as the reference. Without
    :data:`REFERENCE_MIN_PX` reference pixels with a usable loop, the reference is not used.
    """
    x = np.asarray(sample_mm, np.float64).reshape(sample_mm.shape[0], -1) / cycle_mm
    idx = triplets.index
    frac = np.zeros(triplets.n)
    ref = None if reference is None else np.asarray(reference, bool).reshape(-1)
    c = np.empty(x.shape[1])

    def closure(t):  # loop t's closures of every pixel, into c
        with np.errstate(invalid="ignore"):
            np.add(x[idx[t, 0]], x[idx[t, 1]], out=c)
            np.subtract(c, x[idx[t, 2]], out=c)
        return c

    def keys(t, c, cols=slice(None)):  # the loop's integer closures in the frame of its common fraction
        c = c[cols]
        ok = np.isfinite(c)
        d = np.where(ok, c - frac[t], 0.0)
        k = np.rint(d)
        trusted = ok & (np.abs(d - k) <= max_residual_rad / TWO_PI) & (np.abs(k) < 32767)
        return np.where(trusted, k, _MISSING)

    # with a reference, the keys of its pixels alone set the frame (those of the others only without enough of it)
    inside = None if ref is None else np.empty((triplets.n, int(ref.sum())), np.int16)
    key = None if ref is not None else np.empty((triplets.n, x.shape[1]), np.int16)
    for t in range(triplets.n):  # a loop at a time: temporaries of one loop's closures
        closure(t)
        ok = np.isfinite(c)
        if ok.any():
            frac[t] = common_fraction(c if ok.all() else c[ok])
        if ref is None:
            key[t] = keys(t, c)
        else:
            inside[t] = keys(t, c, ref)
    if ref is not None:
        if int((inside != _MISSING).any(axis=0).sum()) >= REFERENCE_MIN_PX:
            return frac + consensus.frame_of(inside)
        key = np.empty((triplets.n, x.shape[1]), np.int16)
        for t in range(triplets.n):
            key[t] = keys(t, closure(t))
    return frac + consensus.frame_of(key)


#: Fewest pixels of a reference area (with a usable loop) that set the frame of :func:`closure_offsets`.
REFERENCE_MIN_PX = 25


def closure_block(block, inputs: dict, *, triplets: Triplets, cycle_mm: float, reference_mm=None,
                  closure_offset=None, min_coherence: float = 0.0,
                  alpha: float = ALPHA, max_cycles: int = 3, max_residual_rad: float = 1.5,
                  mm_per_unit=None, decisions=None, first_pass: bool = False, settle: bool = False) -> dict:
    """Block function for the engine: ``inputs["stack"]`` (M, rows, cols) LOS mm, optional ``inputs["coherence"]``
    (:func:`correct_closure_block`).

    The block is read with :data:`HALO_ROWS` rows above and below (the windows of its pixels);
    only its own rows (``block.core``) are returned. With ``mm_per_unit`` (M,) the block returns ``corrected``
    (M, rows, cols) float32 in the files' units (``corrected_mm / mm_per_unit``) instead of ``corrected_mm`` and
    ``cycles``: a block waiting to be written then holds 4 bytes a value instead of 10, and the float64 stack is
    freed as soon as it is computed.

    A run in three passes: with ``first_pass`` the block returns only ``cycles`` (M, rows, cols) int8
    (:data:`NO_DATA_CYCLES` where a value has none), ``ambiguous``, ``n_data`` (values with data per pixel) and
    ``tie_shift`` (rows, cols) int16 (:func:`tie_shift_code`: the ties the edges may decide, :func:`edge_votes`);
    the second pass gives ``decisions`` (:func:`component_decisions`) and the first pass's ``inputs["cycles"]``,
    ``inputs["ambiguous"]`` and ``inputs["labels"]`` of the rows read (:func:`correct_closure_block`'s
    ``decided``); with ``settle`` it returns only ``settled`` (M, rows, cols) int8, the cycles of its rows before
    they are set against their neighbours'. The last pass (read with :data:`LAST_HALO_ROWS` rows above and below)
    is given those too, as ``inputs["settled"]``, and makes the corrected values, counts and sums.
    """
    decided = None if decisions is None else {"cycles": inputs["cycles"], "ambiguous": inputs["ambiguous"],
                                              "labels": inputs["labels"], "decisions": decisions,
                                              "settled": inputs.get("settled")}
    out = correct_closure_block(inputs["stack"], triplets, cycle_mm=cycle_mm, reference_mm=reference_mm,
                                closure_offset=closure_offset, coherence=inputs.get("coherence"),
                                min_coherence=min_coherence, inplace=True,
                                alpha=alpha, max_cycles=max_cycles, max_residual_rad=max_residual_rad,
                                solver=_solver_for(triplets, alpha, max_cycles),
                                core=None if block is None else block.core, decided=decided,
                                statistics=not (first_pass or settle), settle=settle)
    if settle:
        cyc = out["settled"]
        if cyc.size and int(np.abs(cyc).max()) >= -NO_DATA_CYCLES:  # (bounded by max_cycles: a guard, not a case)
            raise GeohazardError(f"the settled cycles reach {int(np.abs(cyc).max())}: beyond int8")
        return {"settled": cyc.astype(np.int8)}
    if first_pass:
        data = np.isfinite(out["corrected_mm"])
        cyc = np.where(data, out["cycles"], NO_DATA_CYCLES).astype(np.int8)
        tie = out["tie"]
        if tie.any():
            cyc = np.where(data & (tie != 0), TIE_CYCLES + tie, cyc).astype(np.int8)
        return {"cycles": cyc, "ambiguous": out["ambiguous"], "n_data": data.sum(axis=0),
                "tie_shift": out["tie_shift"], "unsettled": out["unsettled"]}
    if mm_per_unit is not None:
        corr = out.pop("corrected_mm")
        del out["cycles"]
        f = np.asarray(mm_per_unit, np.float64).reshape(-1, 1, 1)
        # float64 quotient rounded once to float32: the values of (corr[k] / f[k]).astype(float32)
        out["corrected"] = np.divide(corr, f, out=np.empty(corr.shape, np.float32), dtype=np.float64,
                                     casting="unsafe")
    return out


def component_labels(n_data: np.ndarray, n_ifgs: int, *, min_pixels: int = MIN_COMPONENT_PX) -> tuple:
    """``(labels, n)``: the connected components (8-neighbours) of the pixels with data in at least half of the
    ``n_ifgs`` interferograms (``n_data`` (rows, cols) counts), numbered 1 .. n in raster order of their first
    pixel, 0 elsewhere and for components of fewer than ``min_pixels`` (int32): the pieces an unwrapper unwraps
    apart, split by water or no data. Made once from the whole grid, so a pixel's component does not depend on the
    blocks of a run."""
    from scipy import ndimage

    lab, n = ndimage.label(np.asarray(n_data) * 2 >= n_ifgs)  # 4-neighbours: a diagonal step joins no banks
    if n == 0:
        return np.zeros(lab.shape, np.int32), 0
    size = np.bincount(lab.reshape(-1), minlength=n + 1)
    size[0] = 0
    keep = size >= int(min_pixels)
    new = np.zeros(n + 1, np.int32)
    new[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return new[lab].astype(np.int32), int(keep.sum())


def component_decisions(cycles: np.ndarray, labels: np.ndarray, n: int, *,
                        share: float = COMPONENT_SHARE) -> np.ndarray:
    """The correction (C + 1, M) int16 each component decides per interferogram: the one (not 0) that more than
    ``share`` of the component's values with data carry after the first pass (or, coded :data:`TIE_CYCLES` + v,
    would carry but for a date-shift tie: a whole component off alike, where closures cannot tell a +2 slip beside
    a cancelling pair from four one-cycle slips, takes the fewer slipped pairs) (``cycles`` (M, rows, cols) int8,
    :data:`NO_DATA_CYCLES` without data); 0 where none does (row 0: no component). Integer counts over the whole
    grid: the same for any block layout."""
    m = cycles.shape[0]
    lab = np.asarray(labels).reshape(-1).astype(np.int64)
    out = np.zeros((n + 1, m), np.int16)
    inside = lab > 0
    for k in range(m):
        c = cycles[k].reshape(-1)
        if not np.bitwise_and(c, 127).any():  # only 0 and no data (-128): nothing to decide
            continue
        sel = inside & (c != NO_DATA_CYCLES)
        total = np.bincount(lab[sel], minlength=n + 1)
        vals = np.unique(c[sel & (c != 0)])
        for v in vals:  # a correction, or a tie's fewer-slips one (TIE_CYCLES + v) the whole component shares
            cnt = np.bincount(lab[sel & (c == v)], minlength=n + 1)
            out[(cnt > share * total) & (total > 0), k] = v - TIE_CYCLES if v >= TIE_CYCLES // 2 else v
        out[0, k] = 0
    return out


def edge_votes(cycles: np.ndarray, triplets: Triplets, tie_shift=None) -> closure_edges.EdgeVotes:
    """The regions of the first pass's ``cycles`` (M, rows, cols) int8 of the whole grid whose corrections of a
    date's pairs the closures cannot tell from that date shifted by a cycle (:mod:`closure_edges`), and with
    ``tie_shift`` (the first pass's, rows x cols) the regions it left as such a tie, ready to count their edges'
    votes block by block (:func:`edge_votes_block`)."""
    ref, sec = triplets.dates
    return closure_edges.EdgeVotes(cycles, np.stack([ref, sec], axis=1), no_data=NO_DATA_CYCLES,
                                   tie_from=TIE_CYCLES // 2, in_loops=(triplets.matrix != 0).any(axis=0),
                                   loops=triplets.index, tie_shift=tie_shift, tie_code=TIE_CYCLES)


def edge_votes_block(block, inputs: dict, *, votes: closure_edges.EdgeVotes, cycle_mm: float,
                     min_coherence: float = 0.0, cycles=None) -> dict:
    """Block function for the engine: the votes of the edges of the block's own rows (``inputs["stack"]`` LOS mm,
    optional ``inputs["coherence"]``, ``inputs["cycles"]`` the first pass's cycles of the rows read, or ``cycles``),
    read with at least one row of halo. Values below ``min_coherence`` are not used, as in the passes that correct."""
    return votes.block(*_between_passes(block, inputs, min_coherence, cycles), cycle_mm)


def _between_passes(block, inputs: dict, min_coherence: float, cycles) -> tuple:
    """``(values (M, rows read, cols) with NaN below min_coherence, the first pass's cycles of the rows read, read0,
    row0, row1)`` of a block of a pass between the two (``block`` None: the whole grid)."""
    x = np.asarray(inputs["stack"], np.float64)
    coh = inputs.get("coherence")
    if coh is not None and min_coherence > 0:
        x = np.where(np.asarray(coh) >= min_coherence, x, np.nan)
    cyc = np.asarray(inputs["cycles"] if cycles is None else cycles)
    if block is None:
        return x, cyc, 0, 0, x.shape[1]
    return x, cyc, block.read0, block.row0, block.row1


def bridges_block(block, inputs: dict, *, bridges: closure_bridges.Bridges, cycle_mm: float,
                  min_coherence: float = 0.0, cycles=None) -> dict:
    """Block function for the engine: the differences across the gaps of the pairs whose component pixel lies in
    the block's own rows (:meth:`closure_bridges.Bridges.block`; ``inputs`` as :func:`edge_votes_block`'s), read with
    :data:`closure_bridges.GAP_PX` rows of halo. Values below ``min_coherence`` are not used."""
    return bridges.block(*_between_passes(block, inputs, min_coherence, cycles), cycle_mm, no_data=NO_DATA_CYCLES,
                         tie_from=TIE_CYCLES // 2)


def choose_by_edges(votes: closure_edges.EdgeVotes, cycles: np.ndarray, *, max_cycles: int = 3,
                    tie_shift=None) -> tuple:
    """Shift in ``cycles`` (the first pass's, in place) the regions whose edges vote for their date's shift
    (:meth:`closure_edges.EdgeVotes.choose`); with ``tie_shift`` (as given to :func:`edge_votes`) give the ties
    their edges decide their correction (:meth:`closure_edges.EdgeVotes.choose_ties`) and clear the others' codes
    but those a component may take. Returns (regions shifted or decided, values changed)."""
    return votes.apply(cycles, votes.choose(), max_cycles=max_cycles,
                       ties=votes.choose_ties() if tie_shift is not None else None, tie_shift=tie_shift)


def correct_closure_stack(stack_mm: np.ndarray, triplets: Triplets, *, cycle_mm: float, closure_offset=None,
                          coherence=None, min_coherence: float = 0.0, **options) -> dict:
    """:func:`correct_closure_block` run as the tool runs it on a stack held in memory (one block): the first pass,
    the choice between corrections the closures cannot tell apart by the edges they leave (:func:`edge_votes`,
    :func:`choose_by_edges`), the components and their decisions (:func:`component_labels`,
    :func:`component_decisions`), the second pass that completes the components, then the last that sets the
    corrections against their neighbours'. Options as :func:`correct_closure_block`'s."""
    m = stack_mm.shape[0]
    kw = dict(triplets=triplets, cycle_mm=cycle_mm, closure_offset=closure_offset, min_coherence=min_coherence,
              **options)
    inputs = {"stack": np.array(stack_mm, np.float64)}
    if coherence is not None:
        inputs["coherence"] = coherence
    first = closure_block(None, dict(inputs), first_pass=True, **kw)
    inputs["stack"] = np.array(stack_mm, np.float64)  # the first pass corrected its copy in place
    votes = edge_votes(first["cycles"], triplets, first["tie_shift"])
    votes.add(edge_votes_block(None, inputs, votes=votes, cycle_mm=cycle_mm, min_coherence=min_coherence,
                               cycles=first["cycles"]))
    choose_by_edges(votes, first["cycles"], max_cycles=int(options.get("max_cycles", 3)), tie_shift=first["tie_shift"])
    labels, n = component_labels(first["n_data"], m)
    max_cycles = int(options.get("max_cycles", 3))
    bridges = closure_bridges.Bridges(labels, n, first["unsettled"], in_loops=(triplets.matrix != 0).any(axis=0),
                                      pairs=None if triplets.dates is None else np.stack(triplets.dates, axis=1),
                                      loops=triplets.index)
    offsets = {}
    if not bridges.empty:
        bridges.add(bridges_block(None, inputs, bridges=bridges, cycle_mm=cycle_mm, min_coherence=min_coherence,
                                  cycles=first["cycles"]))
        offsets = bridges.offsets(m)
        bridges.apply_shifts(first["cycles"], labels, no_data=NO_DATA_CYCLES, tie_from=TIE_CYCLES // 2,
                             max_cycles=max_cycles)
    decisions = component_decisions(first["cycles"], labels, n)
    closure_bridges.join_decisions(decisions, offsets, max_cycles)
    held = {**inputs, "cycles": first["cycles"], "ambiguous": first["ambiguous"], "labels": labels}
    settled = closure_block(None, dict(held), decisions=decisions, settle=True, **kw)["settled"]
    inputs["stack"] = np.array(stack_mm, np.float64)  # (the second pass masked its copy in place)
    return closure_block(None, {**held, "stack": inputs["stack"], "settled": settled}, decisions=decisions, **kw)


def closure_block_bytes(n_ifgs: int, n_loops: int) -> float:
    """Bytes a pixel of a block of :func:`closure_block` allocates beyond its float64 stack (``n_ifgs``
    interferograms, ``n_loops`` loops): int16 loop keys, their bounded copy and the window's agreed keys (6 T), the
    copies of the keys of the pixels to solve while their patterns are made unique (up to 2 T), int16 cycles, their
    copy and the proposals of a ring (6 M), the values with data (M), the window counts of one loop at a time and
    small per-pixel counts; without a given ``closure_offset``, the referenced copy (8 M) and the keys and patterns
    of the frame taken from the block (6 T) before those (tracemalloc check in
    tests/core/test_corrections_closure.py)."""
    return 8.0 * n_ifgs + 12.0 * n_loops + 200.0


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


def closure_last_pixel_bytes(n_ifgs: int, coherence: bool) -> float:
    """Memory a pixel of a block of the last pass costs (:func:`closure_block` given ``settled``): the stack,
    results and coherence as :func:`closure_pixel_bytes`, the settled and the first pass's cycles read (int8) and the
    corrections as int16, and the neighbours' ring's three int32 copies of them
    (:func:`closure_continuity.neighbour_ring`)."""
    return n_ifgs * (16.0 + 12.0 + (16.0 if coherence else 0.0) + 1.0 + 1.0 + 2.0 + 12.0) + 200.0


def closure_plan(height: int, width: int, n_ifgs: int, n_loops: int, coherence: bool, max_memory_mb) -> tuple:
    """``(plan, tile_rows)``: row blocks of a ``height`` x ``width`` grid whose whole-run footprint
    (:func:`closure_pixel_bytes` with :data:`HALO_ROWS`, and :func:`closure_last_pixel_bytes` with the last pass's
    :data:`LAST_HALO_ROWS`) fits the budget (``max_memory_mb``), and the tile height of the corrected files.
    Blocks below one 256-row tile are a multiple of 16 rows and the files' tiles as tall, so that every block
    completes one row of tiles of every file
    (written and flushed at once: nothing of the 202 files waits in buffers or in GDAL's cache)."""
    budget = max_memory_bytes(max_memory_mb)
    sizes = ((closure_pixel_bytes(n_ifgs, n_loops, coherence), HALO_ROWS),
             (closure_last_pixel_bytes(n_ifgs, coherence), LAST_HALO_ROWS))
    fits = [int(budget // (bpp * width)) - 2 * halo for bpp, halo in sizes]  # each block reads its halo too
    fit = min(fits)
    if fit >= TILE_SIZE or fit >= height:
        # sized with the halo, given without it: each pass reads its own
        bpp, halo = sizes[int(np.argmin(fits))]
        return with_halo(plan_blocks(height, width, bytes_per_pixel=bpp, max_memory_mb=max_memory_mb,
                                     halo=halo), 0), None
    rows = max(1, fit // 16 * 16) if fit >= 16 else max(1, fit)
    return plan_blocks(height, width, block_rows=rows), max(16, rows // 16 * 16)


def with_halo(plan: list, rows: int = HALO_ROWS) -> list:
    """The blocks of ``plan`` read with ``rows`` more rows above and below (clipped at the grid's edges): the pass
    that corrects reads the neighbours its pixels are checked against (:func:`closure_block`)."""
    import dataclasses

    return [dataclasses.replace(b, read0=max(0, b.row0 - rows), read1=min(b.n_rows_total, b.row1 + rows))
            for b in plan]
