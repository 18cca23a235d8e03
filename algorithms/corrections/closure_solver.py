"""The exact integer solver of :mod:`closure`: per closure pattern, the sparsest correction that closes a pixel's
loops, split into independent parts, each part decided by one slip, a proof (:mod:`closure_exact`) or scipy's
HiGHS ``milp``, and left undecided where another correction is as good (a second optimum, or a run of dates shifted
by a whole cycle, which no closure can see).

The problem and its references are in :mod:`closure`'s opening.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..unionfind import DisjointSets
from . import closure_exact, closure_optima

#: Weight of each corrected interferogram, below any cycle's: of two corrections as sparse in cycles, the one with
#: fewer slipped interferograms (two cycles on one pair rather than one on each of two).
EVENT_WEIGHT = 0.1
#: Sentinel of a triplet not usable at a pixel (one of its interferograms has no data).
_MISSING = np.int16(-32768)


@dataclass
class _Solver:
    """Exact L1 integer solver with a cache of solved closure patterns."""

    triplets: object  # closure.Triplets: the loops (matrix, index, dates); not imported, closure imports this module
    alpha: float
    max_cycles: int
    cache: dict = field(default_factory=dict)
    n_milp: int = 0
    shifts: np.ndarray = None
    part_cache: dict = field(default_factory=dict)
    tie_cache: dict = field(default_factory=dict)
    alt_cache: dict = field(default_factory=dict)
    fallback: dict = field(default_factory=dict)  # pattern bytes -> the fewer-slips correction of a date-shift tie
    # pattern bytes -> (U, (d, k)): a correction as sparse as U + k A[:, d] alone (one date shifted), for the edges
    edge_tie: dict = field(default_factory=dict)
    shift_date: np.ndarray = None  # per date-run shift: its date where it shifts one date alone, else -1
    reduced_cache: dict = field(default_factory=dict)  # a part's loops and closures -> (correction or None, proved)
    problem_cache: dict = field(default_factory=dict)  # the same for the problem's matrix and closures as bytes
    n_proved: int = 0  # parts whose correction was proved the unique optimum without a MILP (closure_exact)
    n_enumerated: int = 0  # parts decided by enumerating every optimum without a MILP (closure_optima)
    proofs: bool = True  # False: every part through the MILPs (the reference the proofs are tested against)
    shift_nonzero: np.ndarray = None  # where each date-run shift moves an interferogram (shifts != 0)
    nonzero: np.ndarray = None  # the triplet matrix's entries that are not 0 (T, M) bool

    def _nonzero(self) -> np.ndarray:
        if self.nonzero is None:
            self.nonzero = self.triplets.matrix != 0
        return self.nonzero

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
        valid = key != _MISSING
        return [part for part, _ in self._split(key, valid, np.flatnonzero(valid & (key != 0)))]

    def _split(self, key: np.ndarray, valid: np.ndarray, nonzero: np.ndarray) -> list:
        """:meth:`_parts` with each part's unknowns: ``[(part, used)]``, ``used`` the interferograms of the part's
        non-closing loops (``valid`` the key's usable loops, ``nonzero`` those that do not close). A non-closing
        loop joins its three interferograms, so each group's interferograms are those of its own non-closing
        loops."""
        nz = self._nonzero()
        used = np.flatnonzero(nz[nonzero].any(axis=0))
        if used.size <= 3:  # one loop's interferograms
            return [(key, used)]
        touch = nz[:, used] & valid[:, None]
        touch = touch[touch.sum(axis=1) > 1]  # the loops joining two of them
        n_parts, label = _components(touch)
        if n_parts < 2:
            return [(key, used)]
        part_of = np.full(nz.shape[1], -1)
        part_of[used] = label
        # a non-closing loop's interferograms all lie in one group: its first one names it
        first = part_of[nz[nonzero].argmax(axis=1)]
        parts = []
        for g in range(n_parts):
            sub = key.copy()
            sub[nonzero[first != g]] = 0
            parts.append((sub, used[label == g]))
        return parts

    def _solve(self, key: np.ndarray):
        m = self.triplets.matrix.shape[1]
        valid = key != _MISSING
        nonzero = np.flatnonzero(valid & (key != 0))
        if not nonzero.size:
            return np.zeros(m, np.int16), True
        out = np.zeros(m, np.int16)
        unique = True
        open_parts = []
        # independent problems: a part that is not unique leaves only its own slips
        for part, used in self._split(key, valid, nonzero):
            kb = part.tobytes()
            hit = self.part_cache.get(kb)
            if hit is None:
                hit = self.part_cache[kb] = self._solve_part(part, valid, used)
            unique &= bool(hit[1])
            out += hit[0]
            if not hit[1]:
                open_parts.append((part, used))
        swap = None
        if unique and (out != 0).any():
            out, unique, swap = self._beyond(key, valid, nonzero, out)
        if (out != 0).any():
            seen = self._nonzero()[valid].any(axis=0)  # interferograms in a usable loop
            kb = out.tobytes() + seen.tobytes()
            tie = self.tie_cache.get(kb)
            if tie is None:
                tie = self.tie_cache[kb] = self._date_shift_ties(out, seen)
            if tie[0]:
                if not tie[1]:  # fewer slipped pairs than every shift as sparse: a component may take it
                    self.fallback[key.tobytes()] = out
                if unique and tie[2] is not None:  # one date shifted alone: its edges may tell the two apart
                    self.edge_tie[key.tobytes()] = (out, ("date",) + tie[2])
                return np.zeros(m, np.int16), False
        if swap is not None:
            self.edge_tie[key.tobytes()] = swap
        elif len(open_parts) == 1:
            # one part explained alike by one slipped pair or another, beside the others' corrections: the edges of
            # the slip may tell which
            two = self._two_slips(open_parts[0][0], valid, open_parts[0][1])
            if two is not None:
                self.edge_tie[key.tobytes()] = (two[0], ("swap",) + two[1:])
        return out, unique

    def _beyond(self, key: np.ndarray, valid: np.ndarray, nonzero: np.ndarray, out: np.ndarray) -> tuple:
        """``(U, unique, swap)`` of the pattern once the pairs the parts' problems held fixed are weighed.

        The parts' problems (:meth:`_solve_part`) keep the interferograms of closing loops as they are. Where the
        correction ``out`` opens a usable loop that closed (key 0) and that holds such an interferogram (a pair whose
        only loop held a cancelling pair with a slipped one), the whole pattern is solved again with those pairs among
        its unknowns: where several corrections are then as cheap (that pair or its loop partner), the pattern is not
        unique (``out`` kept, as a part that is not unique keeps the others' slips); otherwise ``out`` stands as it
        was (a cheaper answer moving a pair no loop of its own opened is noise's as often as not). Returns ``(out,
        unique, swap)``: where the one loop opened is closed alike by either of two pairs in no other loop,
        ``swap`` is that tie (:meth:`_beyond_swap`), else None."""
        nz = self._nonzero()
        c = self.triplets.matrix
        touched = np.flatnonzero(valid & (key == 0) & nz[:, out != 0].any(axis=1))
        if not touched.size:
            return out, True, None
        opened = touched[(c[touched] @ out.astype(np.float64)) != 0]
        used = nz[nonzero].any(axis=0)
        more = nz[opened].any(axis=0) & ~used
        if not more.any():
            return out, True, None
        cols = np.flatnonzero(used | more)
        rows = np.flatnonzero(valid & nz[:, cols].any(axis=1))
        cu, kv = c[np.ix_(rows, cols)], key[rows].astype(np.float64)
        pk = cu.tobytes() + kv.tobytes() + np.int64(cu.shape).tobytes()
        hit = self.problem_cache.get(pk)
        if hit is None:
            hit = self.problem_cache[pk] = self._solve_reduced(cu, kv)
        if hit[0] is not None:
            return out, True, None
        return out, False, self._beyond_swap(valid, out, opened)

    def _beyond_swap(self, valid: np.ndarray, out: np.ndarray, opened: np.ndarray):
        """The two one-cycle slips that alone close the one loop ``opened`` by the correction ``out`` (a pair whose
        only loop held a cancelling pair with a slipped one, :meth:`_beyond`): each of that loop's other two pairs,
        in no other usable loop (``valid``), closes it as well. Returns ``(the first as a correction (M,) int16,
        ("swap", the other's interferogram, its cycles))`` for the edges to choose between (:attr:`edge_tie`), or
        None where the loop opened is not one such."""
        if opened.size != 1:
            return None
        c = self.triplets.matrix
        t = int(opened[0])
        s = int(round(float(c[t] @ out.astype(np.float64))))
        if abs(s) != 1:
            return None
        nz = self._nonzero()
        alone = [int(q) for q in np.flatnonzero((c[t] != 0) & (out == 0)) if int(nz[valid, q].sum()) == 1]
        if len(alone) != 2:
            return None
        slips = [(q, -s * int(c[t, q])) for q in alone]  # c[t, q] is +-1: -s / c = -s * c
        first = np.zeros(c.shape[1], np.int16)
        first[slips[0][0]] = slips[0][1]
        return first, ("swap", slips[1][0], slips[1][1])

    def _fast(self, c: np.ndarray, kv: np.ndarray):
        """A part's loops ``c`` (T, n) and closures ``kv`` explained by one interferogram off by +-1 cycle
        (``K = -n C_m``): ``(True, U or None)`` decided (None: not unique), ``(False, None)`` otherwise."""
        nz = np.flatnonzero(kv)
        t0 = nz[0]
        cand = np.flatnonzero(c[t0] != 0)
        n = -kv[t0] / c[t0, cand]  # each candidate's cycles, all of them tested at once
        ok = (np.abs(n) == 1) & (-n[None, :] * c[:, cand] == kv[:, None]).all(axis=0)
        hits = list(zip(cand[ok].tolist(), n[ok]))
        if hits and np.abs(kv).sum() <= self.alpha:
            return True, np.zeros(c.shape[1], np.int64)  # too few loops to justify it
        if len(hits) == 1:
            # the only one-cycle solution with zero misfit: cost alpha is the optimum, and any other
            # correction of that cost is another single interferogram with the same column (a hit)
            u = np.zeros(c.shape[1], np.int64)
            u[hits[0][0]] = int(hits[0][1])
            return True, u
        if len(hits) > 1:
            return True, None
        return False, None

    def _two_slips(self, key: np.ndarray, valid: np.ndarray, used: np.ndarray):
        """Exactly two one-cycle slips, each explaining alone a part's closures (:meth:`_fast`'s answer "not unique"
        with two hits): ``(the first as a correction (M,) int16, the other's interferogram, its cycles)``; None
        otherwise."""
        nz = self._nonzero()
        rows = np.flatnonzero(valid & nz[:, used].any(axis=1))
        cu = self.triplets.matrix[np.ix_(rows, used)]
        kv = key[rows].astype(np.float64)
        if np.abs(kv).sum() <= self.alpha or not kv.any():
            return None
        t0 = np.flatnonzero(kv)[0]
        cand = np.flatnonzero(cu[t0] != 0)
        n = -kv[t0] / cu[t0, cand]
        ok = (np.abs(n) == 1) & (-n[None, :] * cu[:, cand] == kv[:, None]).all(axis=0)
        if int(ok.sum()) != 2:
            return None
        out = np.zeros(self.triplets.matrix.shape[1], np.int16)
        out[used[cand[ok][0]]] = int(n[ok][0])
        return out, int(used[cand[ok][1]]), int(n[ok][1])

    def _solve_part(self, key: np.ndarray, valid: np.ndarray | None = None, used: np.ndarray | None = None):
        """``(U, unique)`` of one part (:meth:`_parts`), before the date-shift check of the whole pattern (``valid``
        its usable loops and ``used`` the interferograms of its non-closing loops, where known: :meth:`_split`)."""
        m = self.triplets.matrix.shape[1]
        c = self.triplets.matrix
        nz = self._nonzero()
        if valid is None:
            valid = key != _MISSING
        # unknowns: the interferograms of the non-closing loops; constraints: every usable loop they are in
        # (the other loops close and their interferograms stay as they are)
        if used is None:
            used = np.flatnonzero(nz[valid & (key != 0)].any(axis=0))
        if not used.size:
            return np.zeros(m, np.int16), True
        rows = np.flatnonzero(valid & nz[:, used].any(axis=1))
        k = key  # its value in every usable loop (the rows)
        # the problem is these loops' closures alone: parts that differ in loops it does not hold (missing or
        # noisy elsewhere) share its solution
        kb = rows.tobytes() + k[rows].tobytes()
        hit = self.reduced_cache.get(kb)
        if hit is None:
            # the closures of the opposite sign: where that problem's answer was proved (the one slip, or the unique
            # optimum), this one's is its opposite (f(-U; -K) = f(U; K)); an answer of the MILPs is not mirrored
            mirror = self.reduced_cache.get(rows.tobytes() + (-k[rows]).tobytes())
            if mirror is not None and mirror[1]:
                hit = (None if mirror[0] is None else -mirror[0], True)
            else:  # the same loops and closures elsewhere in the network (other dates) have the same answer
                cu, kv = c[np.ix_(rows, used)], k[rows].astype(np.float64)
                pk = cu.tobytes() + kv.tobytes() + np.int64(cu.shape).tobytes()
                hit = self.problem_cache.get(pk)
                if hit is None:
                    hit = self.problem_cache[pk] = self._solve_reduced(cu, kv)
            self.reduced_cache[kb] = hit
        out = np.zeros(m, np.int16)
        if hit[0] is None:
            return out, False
        out[used] = hit[0]
        return out, True

    def _solve_reduced(self, cu: np.ndarray, kv: np.ndarray):
        """``(U, proved)``: the unique sparsest correction of the loops ``cu`` (T, n) with closures ``kv`` (T,), or
        None where several corrections are as sparse: one slip explaining them (:meth:`_fast`), a correction
        :mod:`closure_exact` proves to be the unique optimum, every optimum enumerated (:mod:`closure_optima`;
        ``proved`` True for these), else the exact solve and, unless its answer is proved unique, the exact solves
        of the best corrections other than it (:meth:`_another_optimum`): one as cheap, not unique. The answer is the
        problem's own (its unique optimum, or none), never which of several optima a solver meets first."""
        decided, u = self._fast(cu, kv)
        if decided:
            return u, True
        weights = np.full(cu.shape[1], self.alpha)
        exact = self.proofs and self.max_cycles >= 1 and closure_exact.quantized(self.alpha, EVENT_WEIGHT)
        if exact:
            tried = closure_exact.descent(cu, kv, weights, EVENT_WEIGHT, self.max_cycles)
            if closure_exact.proved(cu, kv, weights, EVENT_WEIGHT, self.max_cycles, tried):
                self.n_proved += 1
                return tried, True
            # every optimum enumerated: one, the answer; several, none
            known, u = closure_optima.decide(cu, kv, weights, EVENT_WEIGHT, self.max_cycles,
                                             closure_exact.cost(cu, kv, weights, EVENT_WEIGHT, tried))
            if known:
                self.n_enumerated += 1
                return u, True
        u1, cost1 = self._milp(cu, kv, weights)
        if u1 is None:
            return None, False
        if exact and closure_exact.proved(cu, kv, weights, EVENT_WEIGHT, self.max_cycles, u1):
            return u1, False
        if self._another_optimum(cu, kv, weights, u1, cost1):
            return None, False
        return u1, False

    def _date_shift_tie(self, u: np.ndarray, seen: np.ndarray | None = None, slips: bool = False) -> bool:
        """True when shifting a run of consecutive dates by one cycle gives a correction as sparse as ``u`` (L1).

        Such a shift leaves every closure unchanged (``C A theta = 0``), so closures cannot choose
        between the two: the correction is ambiguous, in cycles (``slips`` False) or counting the slipped
        interferograms too (``slips``). A strictly sparser correction is taken, as MintPy's L1 solve takes it: two
        pairs of a date slipped on one bank are told from the date's three other pairs. Of two as sparse in cycles,
        the one with fewer slipped interferograms is kept apart (:attr:`fallback`): a whole component may take it
        (:func:`component_decisions`), a pixel alone does not (four one-cycle patches on one date's pairs close as
        three slips of its other pairs).
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
        if not slips:  # in cycles alone
            return bool((np.abs(uu + shifts).sum(axis=1) <= np.abs(u).sum()).any())
        alt = self.alpha * np.abs(uu + shifts).sum(axis=1) + EVENT_WEIGHT * np.count_nonzero(uu + shifts, axis=1)
        return bool((alt <= self.alpha * np.abs(u).sum() + EVENT_WEIGHT * np.count_nonzero(u) + 1e-9).any())

    def _date_shift_ties(self, u: np.ndarray, seen: np.ndarray) -> tuple:
        """``(in cycles, with the slips, shift)``: both answers of :meth:`_date_shift_tie` from one pass over the
        shifts that touch ``u``'s support, and ``(d, k)`` where the only shift as sparse in cycles as ``u`` is date
        ``d`` alone shifted by ``k`` on all its pairs in a loop (else None): the two corrections the edges of a
        region may tell apart (:mod:`closure_edges`)."""
        if self.shifts is None:
            self.shifts = _date_run_shifts(self.triplets)
        if self.shifts.size == 0:
            return False, False, None
        if self.shift_nonzero is None:
            self.shift_nonzero = self.shifts != 0
        supp = np.flatnonzero(u)
        rows = np.flatnonzero(self.shift_nonzero[:, supp].any(axis=1))  # only these can lower the cost
        if rows.size == 0:
            return False, False, None
        # off the support a shift moves each seen interferogram by one cycle: its size there is a count (of booleans:
        # no BLAS product, whose threads cost more than the count); on the support, u and the shift added
        sub = self.shifts[np.ix_(rows, supp)]
        moved = u[supp][None, :].astype(np.int64) + np.where(seen[supp], sub, 0)
        off = (np.count_nonzero(self.shift_nonzero[rows] & seen, axis=1)
               - np.count_nonzero((sub != 0) & seen[supp], axis=1))
        size = np.abs(moved).sum(axis=1) + off
        norm = np.abs(u).sum()
        tied = size <= norm
        in_cycles = bool(tied.any())
        alt = self.alpha * size + EVENT_WEIGHT * (np.count_nonzero(moved, axis=1) + off)
        slips = bool((alt <= self.alpha * norm + EVENT_WEIGHT * np.count_nonzero(u) + 1e-9).any())
        return in_cycles, slips, self._single_shift(rows[tied], size[tied], norm, seen) if in_cycles else None

    def _single_shift(self, rows: np.ndarray, size: np.ndarray, norm: int, seen: np.ndarray):
        """``(d, k)`` where ``rows`` (the shifts as sparse as a correction of L1 size ``norm``) are one shift, as
        sparse and no sparser, of one date ``d`` by ``k`` cycles whose every pair in a loop is ``seen``; else None."""
        if rows.size != 1 or int(size[0]) != int(norm):
            return None
        if self.shift_date is None:
            self.shift_date = _date_run_single(self.triplets)
        r = int(rows[0])
        d = int(self.shift_date[r])
        if d < 0:
            return None
        in_loop = self._nonzero().any(axis=0)
        if (self.shift_nonzero[r] & in_loop & ~seen).any():  # the edges would shift a pair the closures did not
            return None
        return d, 1 if r < self.shifts.shape[0] // 2 else -1

    def _milp(self, c: np.ndarray, k: np.ndarray, weights: np.ndarray, side: tuple | None = None):
        """min w.(p + q) + e.z + 1.(s + r)  s.t.  C (p - q) - s + r = -K,  p + q <= max_cycles z;  p, q integer in
        [0, max_cycles], s, r whole (the closures ``K`` are), z binary (an interferogram corrected:
        :data:`EVENT_WEIGHT` each, which only breaks the L1 norm's ties), ``U = p - q``; solved to a zero gap, so the
        cost returned is the optimum's whatever HiGHS' version. ``(U, f(U))``; ``(None, inf)`` where there is none,
        ``(None, -inf)`` where HiGHS stopped without proving an optimum.

        ``side`` ``(m, v, +1)``: only corrections with ``U_m >= v``; ``(m, v, -1)``: ``U_m <= v``. Bounds of ``p_m``
        and ``q_m`` alone (``U_m >= v > 0``: ``p_m >= v``, ``q_m = 0``; ``U_m >= v <= 0``: ``q_m <= -v``; the same
        mirrored), which lose no optimum: a correction with ``p_m`` and ``q_m`` both above 0 costs more than the one
        with ``p_m - q_m`` on one of them."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        self.n_milp += 1
        t, n = c.shape
        mc = float(self.max_cycles)
        cost = np.concatenate([weights, weights, np.full(n, EVENT_WEIGHT), np.ones(t), np.ones(t)])
        a = closure_exact.milp_matrix(c, mc)  # [[C, -C, 0, -I, I], [I, I, -mc I, 0, 0]]
        lo = np.concatenate([-k, np.full(n, -np.inf)])
        hi = np.concatenate([-k, np.zeros(n)])
        # every variable integral: the closures and the loops' entries are whole, so are the misfits at any solution
        # (continuous ones ended some small parts in a solve error in scipy 1.17's HiGHS)
        integrality = np.ones(3 * n + 2 * t)
        lower = np.zeros(3 * n + 2 * t)
        # a loop's misfit never exceeds its cycles' reach plus its closure: finite bounds that cut no solution (with
        # infinite ones scipy 1.17's HiGHS ends some small parts in a solve error)
        reach = np.abs(c).sum(axis=1) * mc + np.abs(k)
        upper = np.concatenate([np.full(2 * n, mc), np.ones(n), reach, reach])
        if side is not None:
            m, v, sign = side
            grow, shrink = (m, n + m) if sign > 0 else (n + m, m)  # p grows U_m, q shrinks it (mirrored for <=)
            v = sign * v  # the bound as "the growing one at least v"
            if v > 0:
                lower[grow], upper[shrink] = v, 0.0
            else:
                upper[shrink] = -v
        for presolve in (True, False):  # HiGHS' presolve ends some problems in a solve error (scipy 1.17): without it
            res = milp(cost, constraints=LinearConstraint(a, lo, hi), integrality=integrality,
                       bounds=Bounds(lower, upper), options={"presolve": presolve, "mip_rel_gap": 0.0})
            if res.status in (0, 2):  # a proved optimum, or infeasible
                break
        if res.status == 2:  # infeasible
            return None, np.inf
        if res.status != 0 or res.x is None:  # stopped short of a proved optimum
            return None, -np.inf
        x = np.rint(res.x[:n] - res.x[n:2 * n]).astype(np.int64)
        return x, _cost(c, k, weights, x)

    def _another_optimum(self, c: np.ndarray, k: np.ndarray, weights: np.ndarray, u1: np.ndarray, cost1: float):
        """True when a correction other than the optimum ``u1`` costs as little: it differs from ``u1`` somewhere,
        above or below it, so the best of the corrections with ``U_m >= u1_m + 1`` or ``U_m <= u1_m - 1`` over every
        ``m`` (:meth:`_milp`'s ``side``: bounds alone, each solve as quick as the first) is as cheap. The answer is a
        fact of the problem: which optima HiGHS returns, or in which order the sides are asked, does not change
        it."""
        for m in range(c.shape[1]):
            for sign in (1, -1):
                v = int(u1[m]) + sign
                if abs(v) > self.max_cycles:
                    continue
                _, cost2 = self._milp(c, k, weights, side=(m, v, sign))
                if not _costlier(cost2, cost1):
                    return True
        return False


def _cost(c: np.ndarray, k: np.ndarray, weights: np.ndarray, u: np.ndarray) -> float:
    """``f(U)`` summed exactly (``math.fsum``): the same float whatever numpy's summation order."""
    import math

    u = np.asarray(u, np.int64)
    misfit = np.abs(np.asarray(c, np.float64) @ u + k)
    return math.fsum(misfit.tolist()) + math.fsum((weights * np.abs(u)).tolist()) + EVENT_WEIGHT * int(
        np.count_nonzero(u))


def _costlier(cost2: float, cost1: float) -> bool:
    """True when ``cost2`` is above ``cost1``: by at least half a :data:`closure_exact.QUANTUM` where both are
    whole quanta (every weight one), else by more than 1e-9."""
    q = closure_exact.QUANTUM
    if cost2 == np.inf:  # no such correction
        return True
    if not np.isfinite(cost2):  # the solve stopped short of an optimum: not shown dearer
        return False
    if closure_exact.quantized(cost1, cost2):
        return round(cost2 / q) > round(cost1 / q)
    return cost2 > cost1 + 1e-9


def _components(touch: np.ndarray) -> tuple[int, np.ndarray]:
    """``(n, label)``: the connected components of the columns of ``touch`` (R, n) bool, two columns joined when a
    row holds both, numbered 0 .. n - 1 in order of their first column (as scipy's ``connected_components``
    numbers them). Union-find over the matrix's few true entries: building a sparse graph for every pattern cost
    more than solving it."""
    sets = DisjointSets(touch.shape[1])
    rows, cols = np.nonzero(touch)
    last_row, head = -1, -1
    for r, c in zip(rows.tolist(), cols.tolist()):  # row by row (np.nonzero's order): each column joins the row's first
        if r != last_row:
            last_row, head = r, c
        else:
            sets.join(head, c)
    return sets.labels()


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


def _date_run_single(triplets) -> np.ndarray:
    """Per row of :func:`_date_run_shifts` (same order): the date it shifts where it shifts one date alone, else
    -1."""
    if triplets.dates is None:
        return np.zeros(0, np.int64)
    ref, sec = triplets.dates
    n = int(max(ref.max(), sec.max())) + 1
    one = [a if a == b else -1 for a in range(n) for b in range(a, n) if not (a == 0 and b == n - 1)]
    return np.array(one + one, np.int64)


def _date_run_shifts(triplets) -> np.ndarray:
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
