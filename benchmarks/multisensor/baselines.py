"""Baselines of the multi-sensor benchmark: (a) ``ts_route`` (per-stack SBAS, then ascdescdecomposition's
time-series route) and ``nearest`` (nearest-date decomposition, as MintPy's ``asc_desc2horz_vert.py``); (b) MSBAS-2D
from Samsonov & d'Oreye (2012, doi:10.1111/j.1365-246X.2012.05564.x, eqs. 4-8), ``lambda`` from the L-curve corner.
docs/multisensor.md, "Benchmarks", says what each does; :func:`check_msbas` checks MSBAS against closed forms.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from insar_geohazards.algorithms.conventions import phase_to_los_mm
from insar_geohazards.algorithms.geometry.decomposition import common_dates, decompose_los, interpolate_to_dates
from insar_geohazards.algorithms.timeseries.network import build_network
from insar_geohazards.algorithms.timeseries.sbas import SbasSolver


def _los_mm(st):
    v = np.asarray(st["values"], np.float64)
    s = st["sensor"]
    if st["pairs"] is not None and s.units == "rad":
        v = phase_to_los_mm(v, s.wavelength_m)
    return v


def stack_series(st):
    """(dates, series (N, rows, cols) mm) of one generated stack: SBAS for interferograms."""
    if st["pairs"] is None:
        return list(st["dates"]), np.asarray(st["values"], np.float64)
    net = build_network(st["pairs"])
    res = SbasSolver(net, wavelength_m=st["sensor"].wavelength_m).solve(_los_mm(st))
    return list(net.dates), np.asarray(res.timeseries_mm, np.float64)


def periods(gen):
    """Groups of stacks whose spans overlap, and the window every member covers (first, last date)."""
    stacks = gen["stacks"]
    n = len(stacks)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            a, b = stacks[i]["dates"], stacks[j]["dates"]
            if a[0] <= b[-1] and b[0] <= a[-1]:
                parent[find(j)] = find(i)
    groups = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    out = []
    for g in groups.values():
        lo = max(stacks[i]["dates"][0] for i in g)
        hi = min(stacks[i]["dates"][-1] for i in g)
        if len(g) >= 2 and hi > lo:
            out.append((g, lo, hi))
    return out


def ts_route(gen):
    """Baseline (a), time-series route: per period (dates, east, up)."""
    out = []
    for g, lo, hi in periods(gen):
        common = common_dates([lo, hi], [lo, hi], spacing_days=6)
        los, vec = [], [[], [], []]
        for i in g:
            st = gen["stacks"][i]
            dates, ser = stack_series(st)
            los.append(interpolate_to_dates(ser, dates, common, max_gap_days=90))
            for k, c in enumerate(("e", "n", "u")):
                vec[k].append(st[c])
        res = decompose_los(los, *vec)
        out.append((common, res["east"], res["up"]))
    return out


def nearest(gen):
    """Baseline (a), nearest-date decomposition: per period (dates, east, up)."""
    out = []
    for g, lo, hi in periods(gen):
        data = []
        for i in g:
            st = gen["stacks"][i]
            dates, ser = stack_series(st)
            t = np.array([d.toordinal() for d in dates])
            j0 = int(np.argmin(np.abs(t - lo.toordinal())))
            data.append((t, ser - ser[j0], st))
        anchor = max(range(len(data)), key=lambda k: np.sum((data[k][0] >= lo.toordinal())
                                                            & (data[k][0] <= hi.toordinal())))
        ta = data[anchor][0]
        sel = np.flatnonzero((ta >= lo.toordinal()) & (ta <= hi.toordinal()))
        rows, cols = data[0][1].shape[1:]
        east = np.full((sel.size, rows, cols), np.nan)
        up = np.full_like(east, np.nan)
        dates = []
        for n_out, j in enumerate(sel):
            los, vec = [], [[], [], []]
            for t, ser, st in data:
                k = int(np.argmin(np.abs(t - ta[j])))
                if abs(t[k] - ta[j]) <= st["sensor"].repeat_days / 2 + 6:
                    los.append(ser[k])
                    for q, c in enumerate(("e", "n", "u")):
                        vec[q].append(st[c])
            dates.append(dt.date.fromordinal(int(ta[j])))
            if len(los) >= 2:
                res = decompose_los(los, *vec)
                east[n_out], up[n_out] = res["east"], res["up"]
        out.append((dates, east, up))
    return out


# --------------------------------------------------------------------------- MSBAS-2D
def msbas_design(stacks_obs, dates):
    """Design matrix of MSBAS-2D for one pixel geometry.

    ``stacks_obs``: list of (pairs, e, u) with pairs as date tuples inside ``dates``. Unknowns
    ``[vE_0..vE_{K-2}, vU_0..vU_{K-2}]`` (mm/yr) on the intervals between consecutive ``dates``.
    """
    t = np.array([d.toordinal() for d in dates], float) / 365.25
    dtk = np.diff(t)
    idx = {d: i for i, d in enumerate(dates)}
    nk = dtk.size
    rows = []
    for pairs, e, u in stacks_obs:
        for a, b in pairs:
            r = np.zeros(2 * nk)
            ia, ib = idx[a], idx[b]
            r[ia:ib] = e * dtk[ia:ib]
            r[nk + ia:nk + ib] = u * dtk[ia:ib]
            rows.append(r)
    return np.array(rows), dtk


def msbas_reg(nk, order=1):
    d = np.diff(np.eye(nk), n=order, axis=0)
    z = np.zeros_like(d)
    return np.block([[d, z], [z, d]])


def msbas_solve(a, d, lam, order=1):
    """Tikhonov least squares ``min |A v - d|^2 + lam^2 |L v|^2`` for columns of ``d`` (M, P)."""
    nk = a.shape[1] // 2
    lmat = msbas_reg(nk, order)
    nmat = a.T @ a + lam * lam * (lmat.T @ lmat)
    return np.linalg.solve(nmat, a.T @ d), lmat


def msbas_cumulative(v, dtk):
    nk = dtk.size
    ve, vu = v[:nk], v[nk:]
    zero = np.zeros((1,) + v.shape[1:])
    return (np.concatenate([zero, np.cumsum(ve * dtk.reshape((-1,) + (1,) * (v.ndim - 1)), axis=0)]),
            np.concatenate([zero, np.cumsum(vu * dtk.reshape((-1,) + (1,) * (v.ndim - 1)), axis=0)]))


def _period_inputs(gen, g, lo, hi):
    """Per stack of a period: pairs inside the window and their LOS mm (M, rows, cols)."""
    out = []
    for i in g:
        st = gen["stacks"][i]
        if st["pairs"] is not None:
            keep = [k for k, (a, b) in enumerate(st["pairs"]) if a >= lo and b <= hi]
            pairs = [st["pairs"][k] for k in keep]
            vals = _los_mm(st)[keep]
        else:
            dates = [d for d in st["dates"] if lo <= d <= hi]
            idx = [st["dates"].index(d) for d in dates]
            pairs, vals = [], []
            for a in range(len(dates)):
                for b in range(a + 1, min(len(dates), a + 4)):
                    pairs.append((dates[a], dates[b]))
                    vals.append(st["values"][idx[b]] - st["values"][idx[a]])
            vals = np.asarray(vals, np.float64)
        out.append((pairs, vals, st))
    return out


def msbas(gen, *, lambdas=None, order=1, sample_cols=8, oracle=None, periods_only=None):
    """Baseline (b): per period a list of (dates, east, up, lambda): ``lambda`` from the L-curve corner on a
    sample of columns, then every pixel solved (per column: the geometry varies across the columns only).
    With ``oracle(dates, east, up, cols) -> rms`` the list has a second solution whose ``lambda`` is the grid
    value with the lowest error against the truth on the sample (the best any choice of lambda could do)."""
    lambdas = np.logspace(-3, 1.5, 13) if lambdas is None else np.asarray(lambdas)
    out = []
    for pi, (g, lo, hi) in enumerate(periods(gen)):
        if periods_only is not None and pi not in periods_only:
            continue
        per = _period_inputs(gen, g, lo, hi)
        dates = sorted({d for pairs, _, _ in per for p in pairs for d in p})
        rows, cols = per[0][1].shape[1:]
        east = np.full((len(dates), rows, cols), np.nan)
        up = np.full_like(east, np.nan)

        cache = {}

        def column(c, cache=cache, per=per, dates=dates):
            if c not in cache:
                obs = [(pairs, float(st["e"][0, c]), float(st["u"][0, c])) for pairs, _, st in per]
                a, dtk = msbas_design(obs, dates)
                lmat = msbas_reg(dtk.size, order)
                cache[c] = (a, dtk, a.T @ a, lmat, lmat.T @ lmat)
            d = np.concatenate([vals[:, :, c] for _, vals, _ in per], axis=0)  # (M, rows)
            return cache[c], d

        def solve(cached, d, lam):
            a, _, ata, _, ltl = cached
            return np.linalg.solve(ata + lam * lam * ltl, a.T @ d)

        # L-curve on a sample of columns (pixels valid in every interferogram)
        res_n, sol_n = [], []
        sample = np.unique(np.linspace(0, cols - 1, sample_cols).astype(int))
        for lam in lambdas:
            rr, ss = 0.0, 0.0
            for c in sample:
                cached, d = column(c)
                ok = np.isfinite(d).all(axis=0)
                v = solve(cached, d[:, ok], lam)
                rr += float(np.sum((cached[0] @ v - d[:, ok]) ** 2))
                ss += float(np.sum((cached[3] @ v) ** 2))
            res_n.append(np.log(np.sqrt(rr)))
            sol_n.append(np.log(np.sqrt(ss)))
        x, y = np.array(res_n), np.array(sol_n)
        dx, dy = np.gradient(x), np.gradient(y)
        ddx, ddy = np.gradient(dx), np.gradient(dy)
        curv = (dx * ddy - dy * ddx) / np.power(dx * dx + dy * dy, 1.5)
        lam = float(lambdas[int(np.nanargmax(np.abs(curv[1:-1]))) + 1])
        lams = [lam]
        if oracle is not None:
            errs = []
            for lm in lambdas:
                es = np.full((len(dates), rows, sample.size), np.nan)
                us = np.full_like(es, np.nan)
                for j, c in enumerate(sample):
                    cached, d = column(c)
                    ok = np.isfinite(d).all(axis=0)
                    e_c, u_c = msbas_cumulative(solve(cached, d[:, ok], lm), cached[1])
                    es[:, ok, j], us[:, ok, j] = e_c, u_c
                errs.append(oracle(dates, es, us, sample))
            lams.append(float(lambdas[int(np.argmin(errs))]))
        sols = [(np.full_like(east, np.nan), np.full_like(up, np.nan)) for _ in lams]
        for c in range(cols):
            cached, d = column(c)
            a, dtk = cached[0], cached[1]
            ok = np.isfinite(d).all(axis=0)
            for (east_l, up_l), lam_l in zip(sols, lams):
                if ok.any():
                    v = solve(cached, d[:, ok], lam_l)
                    e_c, u_c = msbas_cumulative(v, dtk)
                    east_l[:, ok, c], up_l[:, ok, c] = e_c, u_c
                for r in np.flatnonzero(~ok):  # pixels missing some interferograms: their own rows
                    m = np.isfinite(d[:, r])
                    if m.sum() < 2:
                        continue
                    v, _ = msbas_solve(a[m], d[m, r:r + 1], lam_l, order)
                    e_c, u_c = msbas_cumulative(v, dtk)
                    east_l[:, r, c], up_l[:, r, c] = e_c[:, 0], u_c[:, 0]
            cache.pop(c, None)
        out.append([(dates, e_l, u_l, lm) for (e_l, u_l), lm in zip(sols, lams)])
    return out


def check_msbas():
    """Closed-form checks of the MSBAS-2D implementation (no published worked example was found).

    1. Two geometries, one interval, one interferogram each, lambda = 0: ``v = A^-1 d / dt`` exactly.
    2. Constant velocities (the null space of first-order regularisation) are recovered exactly for any
       lambda from a redundant network of two interleaved stacks.
    3. Two geometries, two intervals, one interferogram per interval and geometry: the regularised
       solution equals the 4 x 4 normal equations written out by hand.
    """
    d0 = dt.date(2020, 1, 1)
    d1 = d0 + dt.timedelta(days=73)
    e1, u1, e2, u2 = -0.6, 0.78, 0.62, 0.76
    ve, vu = 12.0, -30.0
    dtk = 73 / 365.25
    a, _ = msbas_design([([(d0, d1)], e1, u1), ([(d0, d1)], e2, u2)], [d0, d1])
    d = np.array([(e1 * ve + u1 * vu) * dtk, (e2 * ve + u2 * vu) * dtk])
    v, _ = msbas_solve(a, d[:, None], 0.0)
    exact = np.linalg.solve(np.array([[e1, u1], [e2, u2]]), d / dtk)
    assert np.allclose(v[:, 0], exact, atol=1e-9) and np.allclose(exact, [ve, vu], atol=1e-9), (v, exact)
    dates_a = [d0 + dt.timedelta(days=12 * i) for i in range(20)]
    dates_b = [d0 + dt.timedelta(days=12 * i + 5) for i in range(20)]
    allp = sorted(set(dates_a) | set(dates_b))
    pa = [(dates_a[i], dates_a[j]) for i in range(20) for j in range(i + 1, min(20, i + 3))]
    pb = [(dates_b[i], dates_b[j]) for i in range(20) for j in range(i + 1, min(20, i + 3))]
    a, dtk_all = msbas_design([(pa, e1, u1), (pb, e2, u2)], allp)
    t = np.array([x.toordinal() for x in allp], float) / 365.25
    tm = {x: ti for x, ti in zip(allp, t)}
    d = np.array([(e1 * ve + u1 * vu) * (tm[q] - tm[p]) for p, q in pa] + [(e2 * ve + u2 * vu) * (tm[q] - tm[p])
                                                                            for p, q in pb])
    for lam in (0.01, 1.0, 30.0):
        v, _ = msbas_solve(a, d[:, None], lam)
        ec, uc = msbas_cumulative(v, dtk_all)
        assert np.allclose(ec[:, 0], ve * (t - t[0]), atol=1e-6) and np.allclose(uc[:, 0], vu * (t - t[0]), atol=1e-6)
    # 3: two intervals, the same two geometries on each: A^T A = blockdiag per interval; by hand
    d2 = d1 + dt.timedelta(days=73)
    a, dtk3 = msbas_design([([(d0, d1), (d1, d2)], e1, u1), ([(d0, d1), (d1, d2)], e2, u2)], [d0, d1, d2])
    obs = np.array([1.0, 2.0, -1.5, 0.5])
    lam = 0.7
    h = 73 / 365.25
    # unknowns (vE0, vE1, vU0, vU1); rows: asc k=0, asc k=1, desc k=0, desc k=1
    by_hand = np.zeros((4, 4))
    rhs = np.zeros(4)
    for (ek, uk), rows in (((e1, u1), (0, 1)), ((e2, u2), (2, 3))):
        for k, r in enumerate(rows):
            g = np.zeros(4)
            g[k] = ek * h
            g[2 + k] = uk * h
            by_hand += np.outer(g, g)
            rhs += g * obs[r]
    for c in (0, 2):
        g = np.zeros(4)
        g[c], g[c + 1] = -1.0, 1.0
        by_hand += lam * lam * np.outer(g, g)
    v, _ = msbas_solve(a, obs[:, None], lam)
    assert np.allclose(v[:, 0], np.linalg.solve(by_hand, rhs), atol=1e-9)
    return True
