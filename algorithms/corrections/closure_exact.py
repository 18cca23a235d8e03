"""A correction proved to be the unique optimum of the closure solver's integer problem, without a MILP.

The problem of one part (:class:`closure_solver._Solver`): over integer ``U`` with ``|U_m| <= mc``, minimise

    f(U) = sum_t |C_t U + K_t| + sum_m (w_m |U_m| + e [U_m != 0]).

A candidate (a descent from ``U = 0`` by one cycle at a time, :func:`descent`) is accepted only with a certificate
that every other integer ``U`` costs more (:func:`certify`); otherwise the caller solves the MILP. A certified
candidate is then what the exact solve returns, and the solve's uniqueness test cannot find another optimum: the
same result for less work. The same holds for the uniqueness test's own solve (its weights are multiples of 0.05
too): where its optimum is proved, it is what that solve returns.

**Certificate.** With ``r = C U* + K``, support ``S`` and signs ``sigma`` of ``U*``, every integer step ``d`` obeys
(``|r + x| - |r| >= sign(r) x``; the event cost bounded coordinate by coordinate, ``|d_m| <= mc`` off ``S``)

    f(U* + d) - f(U*) >= L(d) = s.d + sum_{r_t = 0} |C_t d| + sum_{m not in S} (w_m + e / mc) |d_m|
                                 + sum_{m in S} min(w_m sigma_m d_m, (w_m + e) sigma_m d_m),

``s = sum_{r_t != 0} sign(r_t) C_t``. For ``gamma_m`` in ``[w_m, w_m + e]`` (``m`` in ``S``), ``L`` is bounded
below by ``L_gamma(d) = g_gamma.d + sum_i |a_i.d|`` with ``g_gamma = s + sum_S gamma_m sigma_m e_m`` and the rows
``a_i``: the loops with ``r_t = 0`` and ``(w_m + e / mc) e_m`` off ``S`` (matrix ``A``). If ``g_gamma = -A^T lambda``
with ``|lambda_i| <= 1 - delta`` for every such ``gamma`` and ``A`` has full column rank, then
``L_gamma(d) >= delta ||A d||_1 > 0`` for every ``d != 0``: ``U*`` is the unique optimum. ``lambda`` is the least-norm
solution ``-A (A^T A)^-1 g_gamma`` (affine in ``gamma``: its largest entry over the box of ``gamma`` is bounded in
closed form), its rounding error bounded by the residual of ``A^T A``'s inverse and a lower bound of the smallest
singular value of ``A`` (``1 / ||L^-1||_F`` of the Cholesky factor ``L``). Where that ``lambda`` does not fit,
another is sought by alternating projections (:func:`_certify_projected`), accepted with its residual bounded as
above; where none is found, nothing is claimed (another ``lambda`` may exist: the MILP decides).

**Why the MILP would return the same.** When every cost is a multiple of ``q`` (the weights and ``e`` multiples of
0.05, the misfit an integer), another correction costs at least ``f(U*) + q``; HiGHS stops at a relative gap of
``1e-4`` of its incumbent, so for ``f(U*) <= MAX_COST`` it can only stop at ``U*``.
"""

from __future__ import annotations

import numpy as np

#: The cost quantum every weight must be a multiple of for a certificate to stand in for the exact solve.
QUANTUM = 0.05
#: Largest optimal cost certified: above it, a MILP stopped at its relative gap (1e-4) might hold another solution.
MAX_COST = 100.0
#: Smallest slack ``delta`` of a certificate, and smallest lower bound of the eigenvalues of ``A^T A`` (from its
#: Cholesky factor): margins far above rounding errors.
MIN_SLACK = 1e-3
MIN_EIGENVALUE = 1e-6
#: Rounds of alternating projections that seek a certificate where the least-norm one does not fit.
PROJECTIONS = 40


def quantized(*weights) -> bool:
    """True when every weight is a whole multiple of :data:`QUANTUM`."""
    return all(abs(w / QUANTUM - round(w / QUANTUM)) < 1e-9 for w in weights)


def cost(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, u: np.ndarray) -> float:
    """``f(U)``: L1 misfit of the loops, weighted L1 norm and ``e`` per corrected interferogram."""
    return float(np.abs(c @ u + k).sum() + w @ np.abs(u) + e * np.count_nonzero(u))


def descent(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int) -> np.ndarray:
    """A local optimum of ``f``: from ``U = 0``, the move of one interferogram by one cycle that lowers ``f`` most,
    until none does (``c`` (T, n) float, ``k`` (T,) float, ``w`` (n,)). Ties go to the first column, +1 first."""
    n = c.shape[1]
    r = np.asarray(k, np.float64).copy()
    if not (bool(np.all(np.abs(c) <= 1)) and bool(np.all(k == np.rint(k)))):
        return _descent_general(c, r, w, e, max_cycles)
    # integer closures, loop entries -1/0/1: |r + x| - |r| = sign(r) x where r != 0, |x| where r = 0. The moves
    # +1 and -1 of every interferogram side by side (columns n + m: -1 on m, as +1 on -U_m, column -C_m)
    both_c = np.hstack([c, -c])
    terms = np.vstack([np.abs(both_c), both_c])  # the misfit's change: [r = 0, sign(r)] @ terms (whole numbers)
    both_w = np.concatenate([w, w])
    v = np.zeros(2 * n, np.int64)  # (U, -U)
    # each move's change of the norm and event terms (inf: it would leave the box); a move changes two of them
    norm = both_w + e if max_cycles > 0 else np.full(2 * n, np.inf)
    for _ in range(2 * max_cycles * n + 1):  # each move lowers f: at most this many
        cost = np.concatenate([r == 0, np.sign(r)]) @ terms + norm
        j = int(np.argmin(cost))
        if not cost[j] < -1e-9:
            break
        m, s = (j, 1) if j < n else (j - n, -1)
        v[m] += s
        v[m + n] -= s
        r += s * c[:, m]
        for i in (m, m + n):
            vi = int(v[i])
            norm[i] = np.inf if vi >= max_cycles else (
                (both_w[i] if vi >= 0 else -both_w[i]) + e * (float(vi == 0) - float(vi == -1)))
    return v[:n].copy()


def _descent_general(c, r, w, e, max_cycles):
    """:func:`descent` for any loop entries and closures (``r`` the closures, updated in place)."""
    n = c.shape[1]
    u = np.zeros(n, np.int64)
    for _ in range(2 * max_cycles * n + 1):
        base = np.abs(r).sum()
        step_up = np.abs(r[:, None] + c).sum(axis=0) - base
        step_dn = np.abs(r[:, None] - c).sum(axis=0) - base
        up_norm = np.where(u >= 0, w, -w) + e * ((u == 0).astype(float) - (u == -1))
        dn_norm = np.where(u <= 0, w, -w) + e * ((u == 0).astype(float) - (u == 1))
        up = np.where(u < max_cycles, step_up + up_norm, np.inf)
        dn = np.where(u > -max_cycles, step_dn + dn_norm, np.inf)
        both = np.concatenate([up, dn])
        j = int(np.argmin(both))
        if not both[j] < -1e-9:
            break
        m, s = (j, 1) if j < n else (j - n, -1)
        u[m] += s
        r += s * c[:, m]
    return u


def certify(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int, u: np.ndarray) -> bool:
    """True when ``u`` is proved to be the unique optimum of ``f`` over the integers ``|U_m| <= max_cycles`` (the
    module's certificate); False when the proof does not hold (``u`` may still be optimal, or unique)."""
    u = np.asarray(u, np.int64)
    n = c.shape[1]
    if n == 0 or np.abs(u).max() > max_cycles:
        return False
    r = c @ u + k
    on = u != 0
    off = np.flatnonzero(~on)
    diag = np.zeros((off.size, n))
    diag[np.arange(off.size), off] = w[off] + e / max_cycles
    a = np.vstack([c[r == 0], diag])
    gram = a.T @ a
    try:
        chol = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:  # A has no full column rank: a direction costs nothing to first order
        return False
    inv_chol = _lower_inverse(chol)
    lowest = 1.0 / float(np.sum(inv_chol * inv_chol))  # <= the smallest eigenvalue of A^T A
    if not lowest >= MIN_EIGENVALUE:
        return False
    m = a @ (inv_chol.T @ inv_chol)  # A (A^T A)^-1, (p, n)
    g = np.sign(r) @ c + np.where(on, (w + 0.5 * e) * np.sign(u), 0.0)
    spread = 0.5 * e * np.abs(m[:, on]).sum(axis=1)  # how far lambda moves over the box of gamma
    bound = np.abs(m @ g) + spread
    slack = 1.0 - float(bound.max(initial=0.0))
    if slack < MIN_SLACK:
        return _certify_projected(a, m, g, spread, lowest, e * np.sqrt(np.count_nonzero(on)))
    err = float(np.linalg.norm(a.T @ m - np.eye(n)))
    g_norm = float(np.linalg.norm(g)) + 0.5 * e * np.sqrt(np.count_nonzero(on))
    return err * g_norm < 0.5 * slack * np.sqrt(lowest)


def _certify_projected(a, m, g, spread, lowest, box_norm) -> bool:
    """:func:`certify` where the least-norm ``lambda`` does not fit: another solution of ``A^T lambda = -g`` (at the
    middle of the box of ``gamma``; over the box it moves by ``-M (g_gamma - g)``, at most ``spread``) sought by
    alternating projections between the box ``|lambda_i| <= 1 - 2 MIN_SLACK - spread_i`` and that affine set
    (the projection onto it ``lambda - M (A^T lambda + g)``, ``M = A (A^T A)^-1``), at most
    :data:`PROJECTIONS` rounds. Whatever is found is checked as the proof needs it: with the residual
    ``rho = A^T lambda + g`` (computed, plus the inverse's error over the box, ``box_norm`` = ``e sqrt(|S|)``),
    ``L_gamma(d) >= slack ||A d||_1 - ||rho|| ||d|| >= (slack - ||rho|| / sqrt(lowest)) ||A d||_1``, positive for
    ``d != 0`` when ``||rho|| < slack sqrt(lowest) / 2``. No solution found: nothing is claimed."""
    cap = 1.0 - 2.0 * MIN_SLACK - spread
    if not bool((cap > 0.0).all()):
        return False
    lam = -(m @ g)
    fits = 1.0 - MIN_SLACK - spread
    worst = np.inf
    for step in range(PROJECTIONS):
        over = float((np.abs(lam) - fits).max(initial=-1.0))
        if over <= 0.0:
            break
        if step % 8 == 0:  # no headway over 8 rounds: the box and the set may not meet
            if over > 0.9 * worst:
                return False
            worst = over
        lam = np.clip(lam, -cap, cap)
        lam = lam - m @ (a.T @ lam + g)
    slack = 1.0 - float((np.abs(lam) + spread).max(initial=0.0))
    if slack < MIN_SLACK:
        return False
    err = float(np.linalg.norm(a.T @ m - np.eye(a.shape[1])))
    rho = float(np.linalg.norm(a.T @ lam + g)) + err * 0.5 * box_norm
    return rho < 0.5 * slack * np.sqrt(lowest)


def _lower_inverse(low: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular matrix with a positive diagonal: LAPACK's ``dtrtri`` (unblocked on these
    few-by-few matrices; the general solvers' blocked, threaded routines cost a hundred times more under load), else
    by forward substitution a row at a time. Its rounding is bounded by the certificate's residual check."""
    from scipy.linalg import lapack

    inv, info = lapack.dtrtri(low, lower=1)
    if info == 0 and np.all(np.isfinite(inv)):
        return np.tril(inv)
    n = low.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        row = -(low[i, :i] @ out[:i])
        row[i] += 1.0
        out[i] = row / low[i, i]
    return out


def proved(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int, u: np.ndarray) -> bool:
    """True when ``u`` costs at most :data:`MAX_COST` and :func:`certify` proves it the unique optimum: what HiGHS
    would return."""
    return cost(c, k, w, e, u) <= MAX_COST and certify(c, k, w, e, max_cycles, u)


def proved_optimum(c: np.ndarray, k: np.ndarray, w: np.ndarray, e: float, max_cycles: int):
    """The unique optimum of ``f`` (int64 (n,)) where the descent finds it and :func:`proved` proves it; None
    otherwise."""
    u = descent(c, k, w, e, max_cycles)
    return u if proved(c, k, w, e, max_cycles, u) else None


def milp_matrix(c: np.ndarray, max_cycles: float):
    """The constraint matrix of the closure solver's MILP, ``[[C, -C, 0, -I, I], [I, I, -mc I, 0, 0]]`` over the
    variables ``(p, q, z, s, r)`` (``c`` (T, n), ``mc`` = ``max_cycles``), as a CSC array built column by column:
    the same index and value arrays as scipy's conversion of the dense matrix (rows in order, no stored zero), so
    HiGHS is given the same problem without the dense matrix."""
    from scipy.sparse import csc_array

    t, n = c.shape
    mc = float(max_cycles)
    ifg, loop = np.nonzero(c.T)  # C's entries interferogram by interferogram, its loops in order
    vals = c.T[ifg, loop].astype(np.float64)
    per = np.bincount(ifg, minlength=n)  # the loops of each interferogram
    # a p or q column: its loops' entries, then its row of the bound (t + j)
    size_pq = per + 1
    size_z = np.full(n, 1 if mc != 0.0 else 0)
    sizes = np.concatenate([size_pq, size_pq, size_z, np.ones(2 * t, np.int64)])
    indptr = np.zeros(sizes.size + 1, np.int64)
    np.cumsum(sizes, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), np.int64)
    data = np.empty(int(indptr[-1]), np.float64)
    j = np.arange(n)
    for side, sign in ((0, 1.0), (1, -1.0)):
        start = indptr[side * n:side * n + n]
        at = np.repeat(start, per) + (np.arange(ifg.size) - np.repeat(np.cumsum(per) - per, per))
        indices[at] = loop
        data[at] = sign * vals
        indices[start + per] = t + j
        data[start + per] = 1.0
    if mc != 0.0:
        indices[indptr[2 * n:3 * n]] = t + j
        data[indptr[2 * n:3 * n]] = -mc
    slack = indptr[3 * n:3 * n + 2 * t]
    indices[slack] = np.tile(np.arange(t), 2)
    data[slack] = np.repeat([-1.0, 1.0], t)
    return csc_array((data, indices.astype(np.int32), indptr.astype(np.int32)), shape=(t + n, 3 * n + 2 * t))
