"""Every optimum of a part of the closure solver's integer problem, by dynamic programming over its interferograms,
where there are few: the part's answer (its unique optimum, or none where several tie) without a MILP.

The problem of one part (as in :mod:`closure_exact`): over integer ``U`` with ``|U_m| <= mc``, minimise

    f(U) = sum_t |C_t U + K_t| + sum_m (w_m |U_m| + e [U_m != 0]).

**Enumeration.** The interferograms are taken in order. A partial correction (the values of the first ``j``) is a
state: its cost so far (the norm and event terms of its values, and the misfit of every loop whose interferograms are
all set) and the residuals ``r_t = C_t U + K_t`` of the loops not yet closed. Every cost term is at least 0, so a
partial correction that already costs more than an upper bound of the optimum (a known correction's cost) has no
optimal completion, and of two partial corrections with the same open residuals the dearer has none either (the same
completions cost both the same). What the loops not yet closed will cost is bounded below too: an interferogram
still to set moves each of its ``d_m`` loops by at most ``|U_m|`` at a cost of at least ``(w_m + e / mc) |U_m|``;
with ``lambda_t`` the least of ``(w_m + e / mc) / d_m`` over the loop's interferograms still to set (at most 1),
``|r_t + x| >= |r_t| - |x|`` and ``sum_{t of m} lambda_t <= w_m + e / mc`` give every completion a cost of at least
``sum_t lambda_t |r_t|`` more, so a partial correction above the bound with it has no optimal completion. Every value
of every interferogram is tried, so the partial corrections kept at the end are **all** the optima. Costs are counted
in whole multiples of :data:`closure_exact.QUANTUM` (every weight must be one), so ties are exact.

**What it decides** (:meth:`closure_solver._Solver._solve_reduced`): one optimum ``U*``: the answer is ``U*``;
several: the answer is "not unique" (the part keeps its values), whichever of them a solver would meet first. The
enumeration is exact in whole quanta and its pruning bound is held in binary fractions small enough that every sum
of it is exact in float64, so its answer does not depend on the order of a sum (numpy's or BLAS' version).
"""

from __future__ import annotations

import numpy as np

from .closure_exact import QUANTUM

#: Largest number of partial corrections kept at once; above it the enumeration stops and the caller solves.
MAX_STATES = 4096
#: Largest part enumerated (interferograms); a larger one is left to the solves.
MAX_UNKNOWNS = 40
#: Bits after the binary point of the pruning bound's per-loop rates (in quanta per cycle of residual).
LAMBDA_BITS = 16
#: Residuals (partial corrections x values x loops) below which a column's step takes every residual of every new
#: partial correction at once; above, the loops the column moves apart from the others (the same bound, less work).
WHOLE_BELOW = 4096
#: Partial corrections kept before those with the same open residuals are merged (merging costs more than it saves
#: on fewer).
MERGE_ABOVE = 48


def _units(x) -> np.ndarray | None:
    """``x`` in whole quanta (int64), or None where it is not a whole multiple."""
    q = np.asarray(x, np.float64) / QUANTUM
    r = np.rint(q)
    if not bool(np.all(np.abs(q - r) < 1e-9)):
        return None
    return r.astype(np.int64)


def optima(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int, bound: float):
    """All optima of ``f`` over the integers ``|U_m| <= max_cycles``: ``(optimal cost, U (S, n) int64)``, given an
    upper ``bound`` of the optimal cost (a known correction's ``f``). None where the enumeration is not exact (a
    weight or closure off the quantum, loop entries other than -1, 0, 1) or too large (:data:`MAX_UNKNOWNS`,
    :data:`MAX_STATES`)."""
    t, n = c.shape
    if n == 0 or n > MAX_UNKNOWNS or not 0 <= max_cycles < 2 ** 14:
        return None
    wq, eq, kq = _units(w), _units([e]), np.asarray(k, np.float64)
    if wq is None or eq is None or not bool(np.all(kq == np.rint(kq))) or not bool(np.all(np.abs(c) <= 1)):
        return None
    eq = int(eq[0])
    per = int(round(1.0 / QUANTUM))  # quanta per cycle of misfit
    top = int(np.floor(bound / QUANTUM + 1e-6))  # the bound in quanta
    cc = np.asarray(c, np.int64)
    nz = cc != 0
    has = nz.any(axis=1)
    first = np.where(has, nz.argmax(axis=1), -1)
    last = np.where(has, n - 1 - nz[:, ::-1].argmax(axis=1), -1)
    closed0 = ~has  # loops of none of the unknowns: their misfit is fixed
    cost = np.array([int(np.abs(kq[closed0]).sum()) * per], np.int64)
    if cost[0] > top:
        return None
    res = np.rint(kq).astype(np.int64)[None, :]  # (S, T) residuals of every loop
    vals_all = np.arange(-max_cycles, max_cycles + 1, dtype=np.int64)
    steps = wq[:, None] * np.abs(vals_all)[None, :] + eq * (vals_all != 0)[None, :]  # (n, V) norm and event
    columns = cc.T.copy()
    # a lower bound of what the loops still open cost after column j: lambda_t |r_t| (module docstring)
    per_cycle = (w + e / max(max_cycles, 1)) / np.maximum(nz.sum(axis=0), 1)
    later = np.where(nz, per_cycle[None, :], np.inf)
    later = np.minimum.accumulate(later[:, ::-1], axis=1)[:, ::-1]  # (T, n): the cheapest from column j on
    lam = np.zeros((n, t))  # after the last column every loop is closed: 0
    ahead = later[:, 1:].T
    lam[:-1] = np.where(np.isfinite(ahead), np.minimum(1.0, ahead), 0.0)  # inf: no later column, the loop is closed
    # in quanta, rounded down to a multiple of 2**-LAMBDA_BITS: every product with a residual and every sum of them
    # is exact in float64 (well under 2**53), so the pruning below is the same whatever the summation order
    lam = np.floor(lam * (per * 2.0 ** LAMBDA_BITS * (1.0 - 1e-12))) / 2.0 ** LAMBDA_BITS
    picked = np.zeros((1, n), np.int16)
    low = int(cost[0])  # the cheapest partial correction's cost
    for j in range(n):
        fits = steps[j] <= top - low
        vals, step = vals_all[fits], steps[j][fits]
        v_count = vals.size
        new_cost = (cost[:, None] + step[None, :]).ravel()
        moved = nz[:, j]
        if cost.size * v_count * t <= WHOLE_BELOW:  # every residual of every new partial correction
            new_res = (res[:, None, :] + vals[:, None] * columns[j]).reshape(-1, t)
            closing = moved & (last == j)  # the loops closed by this column (their interferograms are all set)
            if closing.any():
                new_cost += per * np.abs(new_res[:, closing]).sum(axis=1)
            keep = np.flatnonzero(new_cost + np.abs(new_res) @ lam[j] <= top)
            if not keep.size:
                return None  # the bound was below every correction's cost: not an upper bound
            res = new_res[keep]
        else:
            # column j moves its own loops alone: their residuals for every value (S, V, loops), the others' part of
            # the bound once per state (the bound's sums are exact, so split in two they are the same number)
            col = columns[j, moved]
            new_moved = res[:, None, moved] + vals[None, :, None] * col
            closing = last[moved] == j
            if closing.any():
                new_cost += per * np.abs(new_moved[:, :, closing]).sum(axis=2).ravel()
            bound = (np.abs(res[:, ~moved]) @ lam[j, ~moved])[:, None] + np.abs(new_moved) @ lam[j, moved]
            keep = np.flatnonzero(new_cost + bound.ravel() <= top)
            if not keep.size:
                return None
            res = res[keep // v_count]
            res[:, moved] = new_moved.reshape(new_cost.size, col.size)[keep]
        cost = new_cost[keep]
        picked = picked[keep // v_count]
        picked[:, j] = vals[keep % v_count]
        if cost.size > MERGE_ABOVE:  # merging only saves work: without it every partial correction is kept
            keep = _cheapest_per_state(cost, res[:, (first <= j) & (last > j)])
            if keep is None:
                return None
            cost, res, picked = cost[keep], res[keep], picked[keep]
            if cost.size > MAX_STATES:
                return None
        low = int(cost.min())
    return low * QUANTUM, picked[cost == low].astype(np.int64)


def _cheapest_per_state(cost: np.ndarray, key: np.ndarray) -> np.ndarray | None:
    """Indices of the partial corrections that cost least among those with the same open residuals (rows of
    ``key``), all of them where several tie; None where the residuals cannot be coded in one integer."""
    if key.shape[1] == 0:
        return np.flatnonzero(cost == cost.min())
    lo = key.min(axis=0)
    span = key.max(axis=0) - lo + 1
    if float(np.prod(span.astype(np.float64))) >= 2.0 ** 62:
        return None
    weights = np.cumprod(np.concatenate([[1], span[:-1]]))
    code = (key - lo) @ weights
    order = np.lexsort((cost, code))
    code_s, cost_s = code[order], cost[order]
    start = np.concatenate([[True], code_s[1:] != code_s[:-1]])
    group_min = cost_s[start][np.cumsum(start) - 1]
    return np.sort(order[cost_s == group_min])


def decide(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int, bound: float):
    """The part ``(c, k)`` decided by its optima (module docstring): ``(True, U)`` the unique optimum, ``(True, None)``
    several optima (not unique, whichever comes first); ``(False, None)`` where the enumeration does not apply or
    stops (the caller solves)."""
    found = optima(c, k, w, e, max_cycles, bound)
    if found is None:
        return False, None
    _, us = found
    if us.shape[0] == 1:
        return True, us[0]
    return True, None
