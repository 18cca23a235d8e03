"""The batch solver: one batch of pixels' normal equations assembled stack by stack, factored, solved, and
its outputs (displacement, velocity, functionals, residuals, sigma); the parallel loop over batches.
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import njit, run_ranges
from .arrow import _backward, _factor, _forward, _functional, _norm2, _takahashi, _v_value, _value
from .lanes import (
    _m_div,
    _m_sub_mul,
    _m_sub_mul4,
    _v_add_lin4,
    _v_add_mul,
    _v_add_mul3,
    _v_add_mul_ss,
    _v_add_smul,
    _v_date_var3,
    _v_div,
    _v_fill,
    _v_lin2,
    _v_mul,
    _v_residual,
    _v_sdiv,
    _v_smul,
    _v_sqrt_pos,
    _v_sub_mul,
    _v_sub_smul,
)
from .model import ROW_TILE, STATUS_OK, STATUS_SINGULAR, P


@njit(cache=True)
def _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk):
    """The border unknowns a stack's observations touch, as terms ``p`` with scalar values per observation.

    Term ``p`` enters the unknowns ``pb[p, 0..pu[p]-1]`` with the pixel factor ``pk[p, u]`` (0: the
    horizontal coefficient, 1: up, 2: north, 3: one): a deterministic term both components, the north
    velocity, the stack's offset and its network modes one unknown each. Returns the number of terms."""
    n_p = 0
    for j in range(n_det):
        pu[n_p] = 2
        pb[n_p, 0] = j
        pk[n_p, 0] = 0
        pb[n_p, 1] = n_det + j
        pk[n_p, 1] = 1
        n_p += 1
    if north_est:
        pu[n_p] = 1
        pb[n_p, 0] = 2 * n_det
        pk[n_p, 0] = 2
        n_p += 1
    pu[n_p] = 1
    pb[n_p, 0] = off0 + s
    pk[n_p, 0] = 3
    n_p += 1
    for m in range(n_mode[s]):
        pu[n_p] = 1
        pb[n_p, 0] = mode0 + mode_first[s] + m
        pk[n_p, 0] = 3
        n_p += 1
    return n_p


@njit(cache=True)
def _term_values(i, o, tk, det, n_det, north_est, obs_mode, n_mode_s, phi):
    """Scalar values of the border terms (:func:`_border_terms`) at observation ``i`` (output date ``o``)."""
    n_p = 0
    for j in range(n_det):
        phi[n_p] = det[o, j]
        n_p += 1
    if north_est:
        phi[n_p] = tk
        n_p += 1
    phi[n_p] = 1.0
    n_p += 1
    for m in range(n_mode_s):
        phi[n_p] = obs_mode[i, m]
        n_p += 1


@njit(cache=True)
def _factor_of(kind, gh_s, gu_s, gn_s, one):
    if kind == 0:
        return gh_s
    if kind == 1:
        return gu_s
    if kind == 2:
        return gn_s
    return one


@njit(cache=True)
def _flush_stack(k0, k1, n_p, pu, pb, pk, gh_s, gu_s, gn_s, one, ak, fk, rk, sp, fp, lk, lp, want_leak, lb, rb, sb,
                 fc, fb, lc, lbd):
    """Add one stack's sums (free of its geometry) times its pixel geometry to the normal equations and
    clear the sums. ``ak[k]`` = sum w a_k^2, sum w a_k a_k+1 (``a`` the interpolation weights of knots ``k0..k1``),
    ``fk`` sum w y a, ``rk[k, p]`` sum w a_k phi_p, ``sp[p, p']`` sum w phi_p phi_p', ``fp`` sum w y phi; ``lk``,
    ``lp`` the same with ``y`` replaced by the reference-date distance (north's response)."""
    g = (gh_s, gu_s)
    for k in range(k0, k1 + 1):
        for c in range(2):
            i = 2 * k + c
            for cc in range(c + 1):
                _v_add_mul3(lb[i, c - cc], ak[k, 0], g[c], g[cc])
            _v_add_mul(fc[i], fk[k], g[c])
            if want_leak:
                _v_add_mul3(lc[i], lk[k], g[c], gn_s)
        if k + 1 <= k1:
            for c in range(2):
                for cc in range(2):
                    _v_add_mul3(lb[2 * k + 2 + c, 2 + c - cc], ak[k, 1], g[c], g[cc])
        for p in range(n_p):
            for u in range(pu[p]):
                fu = _factor_of(pk[p, u], gh_s, gu_s, gn_s, one)
                b = pb[p, u]
                for c in range(2):
                    _v_add_mul3(rb[b, 2 * k + c], rk[k, p], fu, g[c])
        _v_fill(ak[k, 0], 0.0)
        _v_fill(ak[k, 1], 0.0)
        _v_fill(fk[k], 0.0)
        if want_leak:
            _v_fill(lk[k], 0.0)
        for p in range(n_p):
            _v_fill(rk[k, p], 0.0)
    for p in range(n_p):
        for u in range(pu[p]):
            fu = _factor_of(pk[p, u], gh_s, gu_s, gn_s, one)
            b = pb[p, u]
            _v_add_mul(fb[b], fp[p], fu)
            if want_leak:
                _v_add_mul3(lbd[b], lp[p], fu, gn_s)
            for pp in range(p + 1):
                for uu in range(pu[pp]):
                    if pp == p and uu > u:
                        continue
                    fuu = _factor_of(pk[pp, uu], gh_s, gu_s, gn_s, one)
                    bb = pb[pp, uu]
                    if bb <= b:
                        _v_add_mul3(sb[b, bb], sp[p, pp], fu, fuu)
                    else:
                        _v_add_mul3(sb[bb, b], sp[p, pp], fu, fuu)
        _v_fill(fp[p], 0.0)
        if want_leak:
            _v_fill(lp[p], 0.0)
        for pp in range(p + 1):
            _v_fill(sp[p, pp], 0.0)


@njit(cache=True)
def _assemble_observations(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, gh, gu, gn, tau_o, det, n_det,
                           north_est, off0, mode0, out_k, out_w, tref, k_knots, want_leak, lb, rb, sb, fc, fb, lc,
                           lbd, cnt, wy, pu, pb, pk, phi, one):
    """The observations' normal equations of a batch, stack by stack, into the arrow matrix (``lb``, ``rb``, ``sb``) and
    right-hand side (``fc``, ``fb``); ``cnt`` counts each stack's observations per pixel."""
    n_obs = obs_o.size
    n_pmax = phi.size
    ak = np.zeros((k_knots, 2, nb))
    fk = np.zeros((k_knots, nb))
    rk = np.zeros((k_knots, n_pmax, nb))
    sp = np.zeros((n_pmax, n_pmax, nb))
    fp = np.zeros((n_pmax, nb))
    lk = np.zeros((k_knots if want_leak else 0, nb))
    lp = np.zeros((n_pmax if want_leak else 0, nb))
    s_cur = -1
    n_p = 0
    k0 = k_knots
    k1 = -1
    for i in range(n_obs + 1):
        s = obs_s[i] if i < n_obs else -1
        if s != s_cur:
            if s_cur >= 0 and k1 >= 0:
                _flush_stack(k0, k1, n_p, pu, pb, pk, gh[s_cur], gu[s_cur], gn[s_cur], one, ak, fk, rk, sp, fp, lk,
                             lp, want_leak, lb, rb, sb, fc, fb, lc, lbd)
            if i == n_obs:
                break
            s_cur = s
            n_p = _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk)
            k0 = k_knots
            k1 = -1
        o = obs_o[i]
        wv = ws[i]
        _v_mul(wy, wv, ys[i])
        for q in range(nb):
            if wv[q] > 0.0:
                cnt[s, q] += 1
        tk = tau_o[o] - tref
        _term_values(i, o, tk, det, n_det, north_est, obs_mode, n_mode[s], phi)
        k = out_k[o]
        w1 = out_w[o]
        w0 = 1.0 - w1
        k0 = min(k0, k)
        k1 = max(k1, k + 1 if w1 != 0.0 else k)
        _v_add_smul(ak[k, 0], w0 * w0, wv)
        _v_add_smul(fk[k], w0, wy)
        for p in range(n_p):
            _v_add_smul(rk[k, p], w0 * phi[p], wv)
        if want_leak:
            _v_add_smul(lk[k], w0 * tk, wv)
        if w1 != 0.0:
            _v_add_smul(ak[k, 1], w0 * w1, wv)
            _v_add_smul(ak[k + 1, 0], w1 * w1, wv)
            _v_add_smul(fk[k + 1], w1, wy)
            for p in range(n_p):
                _v_add_smul(rk[k + 1, p], w1 * phi[p], wv)
            if want_leak:
                _v_add_smul(lk[k + 1], w1 * tk, wv)
        for p in range(n_p):
            _v_add_smul(fp[p], phi[p], wy)
            if want_leak:
                _v_add_smul(lp[p], phi[p] * tk, wv)
            for pp in range(p + 1):
                _v_add_smul(sp[p, pp], phi[p] * phi[pp], wv)


@njit(cache=True)
def _add_prior(nb, tau, wq_inc, gap_inc, qg, q_e, q_u, det_w, north_est, north_prior, north_prior_w, mode_w, r, n,
               nbord, n_det, n_stk, off0, mode0, k_knots, cnt, tw, lb, rb, sb, fc, fb, diag0):
    """The prior (the velocities' random walk, the deterministic terms', the north velocity's, the drift modes'), the
    datum's identity rows and those of a stack without data at a pixel; ``diag0`` the diagonal before factoring."""
    n_modes_tot = mode_w.shape[0]
    # ---- prior: interval velocities random walk on interval midpoints, per component
    for k in range(1, k_knots - 1):
        h0 = tau[k] - tau[k - 1]
        h1 = tau[k + 1] - tau[k]
        a = 1.0 / h0
        c = 1.0 / h1
        bb = -(a + c)
        base = wq_inc[k - 1]
        gi = gap_inc[k - 1]
        for comp in range(2):
            i0 = 2 * (k - 1) + comp
            i1 = i0 + 2
            i2 = i0 + 4
            if gi >= 0:
                _v_sdiv(tw, base, qg[gi, comp])
            else:
                _v_sdiv(tw, base, q_e if comp == 0 else q_u)
            _v_add_mul_ss(lb[i0, 0], tw, a, a)
            _v_add_mul_ss(lb[i1, 0], tw, bb, bb)
            _v_add_mul_ss(lb[i2, 0], tw, c, c)
            _v_add_mul_ss(lb[i1, 2], tw, a, bb)
            _v_add_mul_ss(lb[i2, 2], tw, bb, c)
            _v_add_mul_ss(lb[i2, 4], tw, a, c)
    for comp in range(2):
        for j in range(n_det):
            b = comp * n_det + j
            for q in range(nb):
                sb[b, b, q] += det_w[j]
    if north_est:
        bn = 2 * n_det
        for q in range(nb):
            sb[bn, bn, q] += north_prior_w[q]
            fb[bn, q] += north_prior_w[q] * north_prior[q]
    for m in range(n_modes_tot):
        for q in range(nb):
            sb[mode0 + m, mode0 + m, q] += mode_w[m, q]
    # ---- datum: the two unknowns of the reference knot are fixed at 0 (identity rows)
    for comp in range(2):
        i = 2 * r + comp
        for q in range(nb):
            fc[i, q] = 0.0
            lb[i, 0, q] = 1.0
        for d in range(1, P + 1):
            if i - d >= 0:
                for q in range(nb):
                    lb[i, d, q] = 0.0
            if i + d < n:
                for q in range(nb):
                    lb[i + d, d, q] = 0.0
        for b in range(nbord):
            for q in range(nb):
                rb[b, i, q] = 0.0
    # the offset of a stack without data at a pixel: identity row
    for s in range(n_stk):
        b = off0 + s
        for q in range(nb):
            if cnt[s, q] == 0:
                sb[b, b, q] = 1.0
                for c in range(b):
                    sb[b, c, q] = 0.0
                for c in range(b + 1, nbord):
                    sb[c, b, q] = 0.0
    for i in range(n):
        for q in range(nb):
            diag0[i, q] = lb[i, 0, q]
    for b in range(nbord):
        for q in range(nb):
            diag0[n + b, q] = sb[b, b, q]


@njit(cache=True)
def _residuals(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, gh, gu, gn, tau_o, det, n_det, north_est, off0,
               mode0, out_k, out_w, tref, k_knots, n_stk, xc, xb, pu, pb, pk, phi, one):
    """Squared residuals summed per stack, the weighted chi-square and the number of observations, per pixel."""
    n_obs = obs_o.size
    n_pmax = phi.size
    # ---- residuals per stack (the model's LOS per knot and per border term, once per stack)
    res2 = np.zeros((n_stk, nb))
    chi = np.zeros(nb)
    nval = np.zeros(nb)
    mdl = np.empty(nb)
    los_k = np.zeros((k_knots, nb))
    beta = np.zeros((n_pmax, nb))
    s_cur = -1
    for i in range(n_obs):
        o = obs_o[i]
        s = obs_s[i]
        if s != s_cur:
            s_cur = s
            n_p = _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk)
            for k in range(k_knots):
                _v_mul(los_k[k], gh[s], xc[2 * k])
                _v_add_mul(los_k[k], gu[s], xc[2 * k + 1])
            for p in range(n_p):
                _v_fill(beta[p], 0.0)
                for u in range(pu[p]):
                    _v_add_mul(beta[p], _factor_of(pk[p, u], gh[s], gu[s], gn[s], one), xb[pb[p, u]])
        _term_values(i, o, tau_o[o] - tref, det, n_det, north_est, obs_mode, n_mode[s], phi)
        k = out_k[o]
        w1 = out_w[o]
        _v_smul(mdl, 1.0 - w1, los_k[k])
        if w1 != 0.0:
            _v_add_smul(mdl, w1, los_k[k + 1])
        for p in range(n_p):
            _v_add_smul(mdl, phi[p], beta[p])
        _v_residual(res2[s], chi, nval, ys[i], mdl, ws[i])
    return res2, chi, nval


@njit(cache=True)
def _date_sigmas(nb, lb, rb, sb, n, nbord, n_det, n_out, out_k, out_w, r, det, out_s, tw):
    """Marginal standard deviations of the displacement on every output date into ``out_s`` (the banded selected inverse
    of the core and the border's share)."""
    # ---- marginal standard deviations on the output dates (banded selected inverse + border)
    sg = np.zeros((n, P + 1, nb))
    _takahashi(lb, sg, n)
    # Z = Qcc^-1 R^T = Lc^-T W^T, in place over W; then U = Ls^-1 Z^T, column by column
    for i in range(n - 1, -1, -1):
        for b in range(nbord):
            zrow = rb[b]
            for d in range(1, min(P, n - 1 - i) + 1):
                _v_sub_mul(zrow[i], lb[i + d, d], zrow[i + d])
            _v_div(zrow[i], lb[i, 0])
    # (a few knot rows at a time, so that their rows of every border stay in cache; border by border; each
    # element's operations in the same order as row by row)
    for t0 in range(0, n, ROW_TILE):
        t1 = min(n, t0 + ROW_TILE)
        for b in range(nbord):
            ub = rb[b, t0:t1]
            c = 0
            while c + 4 <= b:
                _m_sub_mul4(ub, sb[b, c:c + 4], rb[c, t0:t1], rb[c + 1, t0:t1], rb[c + 2, t0:t1], rb[c + 3, t0:t1])
                c += 4
            while c < b:
                _m_sub_mul(ub, sb[b, c], rb[c, t0:t1])
                c += 1
            _m_div(ub, sb[b, b])
    # Ls^-1 e of the deterministic coefficients (their terms on an output date)
    nd2 = 2 * n_det
    us = np.zeros((max(nd2, 1), nbord, nb))
    for a4 in range(nd2):
        for q in range(nb):
            us[a4, a4, q] = 1.0
        for b in range(nbord):
            for c in range(b):
                _v_sub_mul(us[a4, b], sb[b, c], us[a4, c])
            _v_div(us[a4, b], sb[b, b])
    # dot products per knot and component of u_i = Ls^-1 z_i and the us of its component:
    # var(D(t_o)) = band part + ||w0 u_k + w1 u_k+1 - sum_j f_j us_j||^2 expanded in them
    dots = np.zeros((n, 2 + n_det, nb))  # |u_i|^2, u_i . u_{i+2}, u_i . us_(comp, j)
    for i in range(n):
        comp = i % 2
        for b in range(nbord):
            ui = rb[b, i]
            _v_add_mul(dots[i, 0], ui, ui)
            if i + 2 < n:
                _v_add_mul(dots[i, 1], ui, rb[b, i + 2])
            for j in range(n_det):
                _v_add_mul(dots[i, 2 + j], ui, us[comp * n_det + j, b])
    gram = np.zeros((2, max(n_det, 1), max(n_det, 1), nb))
    for comp in range(2):
        for j in range(n_det):
            for jj in range(n_det):
                for b in range(nbord):
                    _v_add_mul(gram[comp, j, jj], us[comp * n_det + j, b], us[comp * n_det + jj, b])
    for o in range(n_out):
        k = out_k[o]
        wo = out_w[o]
        w0 = 1.0 - wo
        fixed = k == r and wo == 0.0
        for comp in range(2):
            i = 2 * k + comp
            # the reference knot is fixed: its identity rows carry no variance
            c0 = w0 * w0 if k != r else 0.0
            c1 = wo * wo if (wo != 0.0 and k + 1 != r) else 0.0
            c01 = 2.0 * w0 * wo if wo != 0.0 else 0.0
            if n_det == 3:
                # the usual terms (annual sine and cosine, acceleration) in one pass over the batch
                i2 = i + 2 if wo != 0.0 else i
                f0 = det[o, 0]
                f1 = det[o, 1]
                f2 = det[o, 2]
                gm = gram[comp]
                _v_date_var3(out_s[comp, o], fixed, c0, sg[i, 0], w0 * w0, dots[i, 0],
                             2.0 * w0 * f0, 2.0 * w0 * f1, 2.0 * w0 * f2, dots[i, 2], dots[i, 3], dots[i, 4],
                             f0 * det[o, 0], f0 * det[o, 1], f0 * det[o, 2], f1 * det[o, 0], f1 * det[o, 1],
                             f1 * det[o, 2], f2 * det[o, 0], f2 * det[o, 1], f2 * det[o, 2],
                             gm[0, 0], gm[0, 1], gm[0, 2], gm[1, 0], gm[1, 1], gm[1, 2], gm[2, 0], gm[2, 1], gm[2, 2],
                             wo != 0.0, c1, sg[i2, 0], c01, sg[i2, 2], wo * wo, dots[i2, 0], 2.0 * w0 * wo, dots[i, 1],
                             2.0 * wo * f0, 2.0 * wo * f1, 2.0 * wo * f2, dots[i2, 2], dots[i2, 3], dots[i2, 4])
                continue
            _v_lin2(tw, c0, sg[i, 0], w0 * w0, dots[i, 0])
            for j in range(n_det):
                fj = det[o, j]
                _v_sub_smul(tw, 2.0 * w0 * fj, dots[i, 2 + j])
                for jj in range(n_det):
                    _v_add_smul(tw, fj * det[o, jj], gram[comp, j, jj])
            if wo != 0.0:
                _v_add_lin4(tw, c1, sg[i + 2, 0], c01, sg[i + 2, 2], wo * wo, dots[i + 2, 0], 2.0 * w0 * wo,
                            dots[i, 1])
                for j in range(n_det):
                    _v_sub_smul(tw, 2.0 * wo * det[o, j], dots[i + 2, 2 + j])
            _v_sqrt_pos(out_s[comp, o], tw, fixed)


@njit(cache=True)
def solve_batch(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn, tau, r, out_k, out_w,
                tau_o, det, det_w, north_est, north_prior, north_prior_w, wq_inc, q_e, q_u, qg, gap_inc, g_vel,
                fun_o, fun_c, fun_det, full, want_leak, out_d, out_s, out_vel, out_svel, out_fun, out_sfun, out_leak,
                out_north, out_snorth, out_res, out_nres, out_chi2, out_status):
    """Solve one batch of ``nb`` pixels held in the last axis of every array (see :func:`solve_pixels`)."""
    k_knots = tau.size
    n = 2 * k_knots
    n_out = tau_o.size
    n_stk = gh.shape[0]
    n_det = det.shape[1]
    n_modes_tot = mode_w.shape[0]
    off0 = 2 * n_det + north_est
    mode0 = off0 + n_stk
    nbord = mode0 + n_modes_tot
    tref = tau[r]
    lb = np.zeros((n, P + 1, nb))
    rb = np.zeros((nbord, n, nb))
    sb = np.zeros((nbord, nbord, nb))
    fc = np.zeros((n, nb))
    fb = np.zeros((nbord, nb))
    diag0 = np.empty((n + nbord, nb))
    ok = np.ones(nb, np.bool_)
    cnt = np.zeros((n_stk, nb), np.int64)
    wy = np.empty(nb)
    tw = np.empty(nb)
    lc = np.zeros((n if want_leak else 0, nb))
    lbd = np.zeros((nbord if want_leak else 0, nb))
    # ---- observations (ys is 0 where the weight is 0), stack by stack: the sums over a stack's dates are free of
    # its geometry (one LOS vector per pixel and stack), which multiplies them once per stack
    n_pmax = n_det + north_est + 1 + obs_mode.shape[1]
    pu = np.zeros(n_pmax, np.int64)
    pb = np.zeros((n_pmax, 2), np.int64)
    pk = np.zeros((n_pmax, 2), np.int64)
    phi = np.zeros(n_pmax)
    one = np.ones(nb)
    _assemble_observations(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, gh, gu, gn, tau_o, det, n_det,
                           north_est, off0, mode0, out_k, out_w, tref, k_knots, want_leak, lb, rb, sb, fc, fb, lc,
                           lbd, cnt, wy, pu, pb, pk, phi, one)
    _add_prior(nb, tau, wq_inc, gap_inc, qg, q_e, q_u, det_w, north_est, north_prior, north_prior_w, mode_w, r, n,
               nbord, n_det, n_stk, off0, mode0, k_knots, cnt, tw, lb, rb, sb, fc, fb, diag0)
    _factor(lb, rb, sb, diag0, ok, n, nbord)
    # ---- the solution
    xc = fc.copy()
    xb = fb.copy()
    _forward(lb, rb, sb, xc, xb, n, nbord, 0)
    _backward(lb, rb, sb, xc, xb, n, nbord)
    res2, chi, nval = _residuals(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, gh, gu, gn, tau_o, det,
                                 n_det, north_est, off0, mode0, out_k, out_w, tref, k_knots, n_stk, xc, xb, pu, pb,
                                 pk, phi, one)
    # ---- displacement on the output dates (knots interpolated + deterministic terms)
    for o in range(n_out):
        for comp in range(2):
            _v_value(out_d[comp, o], xc, xb, out_k, out_w, det, n_det, True, o, comp)
    vtmp = np.empty(nb)
    ec = np.zeros((n, nb))
    eb = np.zeros((nbord, nb))
    # ---- linear functionals sum_j c_j D(t_oj) of each component (gap displacements, velocity changes)
    for fi in range(fun_o.shape[0]):
        for comp in range(2):
            for q in range(nb):
                acc = 0.0
                for j in range(fun_o.shape[1]):
                    if fun_c[fi, j] != 0.0:
                        acc += fun_c[fi, j] * _value(xc, xb, out_k, out_w, det, n_det, fun_det, fun_o[fi, j], comp, q)
                out_fun[fi, comp, q] = acc
            _functional(lb, rb, sb, n, nbord, n_det, fun_det, r, out_k, out_w, det, fun_o[fi], fun_c[fi], comp, nb,
                        ec, eb, vtmp)
            for q in range(nb):
                out_sfun[fi, comp, q] = vtmp[q]
    if not full:
        for q in range(nb):
            if not ok[q] and out_status[q] == STATUS_OK:
                out_status[q] = STATUS_SINGULAR
        return ok
    # ---- velocity: least-squares slope operator applied to the displacement, and its variance
    all_o = np.arange(n_out)
    for comp in range(2):
        _v_fill(out_vel[comp], 0.0)
        for o in range(n_out):
            _v_add_smul(out_vel[comp], g_vel[o], out_d[comp, o])
        _functional(lb, rb, sb, n, nbord, n_det, True, r, out_k, out_w, det, all_o, g_vel, comp, nb, ec, eb, vtmp)
        for q in range(nb):
            out_svel[comp, q] = vtmp[q]
    # ---- response of the velocity to a north velocity of 1 mm/yr left out of the model
    if want_leak:
        for comp in range(2):
            i = 2 * r + comp
            for q in range(nb):
                lc[i, q] = 0.0
        _forward(lb, rb, sb, lc, lbd, n, nbord, 0)
        _backward(lb, rb, sb, lc, lbd, n, nbord)
        for comp in range(2):
            _v_fill(out_leak[comp], 0.0)
            for o in range(n_out):
                _v_value(tw, lc, lbd, out_k, out_w, det, n_det, True, o, comp)
                _v_add_smul(out_leak[comp], g_vel[o], tw)
    # ---- north velocity (estimated with its prior)
    if north_est:
        bn = 2 * n_det
        for i in range(n):
            for q in range(nb):
                ec[i, q] = 0.0
        for b in range(nbord):
            for q in range(nb):
                eb[b, q] = 0.0
        for q in range(nb):
            eb[bn, q] = 1.0
        _forward(lb, rb, sb, ec, eb, n, nbord, n)
        _norm2(ec, eb, n, nbord, n, vtmp)
        for q in range(nb):
            out_north[q] = xb[bn, q]
            out_snorth[q] = math.sqrt(vtmp[q])
    _date_sigmas(nb, lb, rb, sb, n, nbord, n_det, n_out, out_k, out_w, r, det, out_s, tw)
    for q in range(nb):
        for s in range(n_stk):
            out_nres[s, q] = cnt[s, q]
            out_res[s, q] = math.sqrt(res2[s, q] / cnt[s, q]) if cnt[s, q] > 0 else np.nan
        out_chi2[q] = chi[q] / nval[q] if nval[q] > 0 else np.nan
        if not ok[q] and out_status[q] == STATUS_OK:
            out_status[q] = STATUS_SINGULAR
    return ok


@njit(cache=True, nogil=True)
def _solve_pixel_batches(b0, b1, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn, tau, r,
                          out_k, out_w, tau_o, det, det_w, north_est, north_prior, north_prior_w, wq_inc, q_e, q_u,
                          qg, gap_inc, g_vel, fun_o, fun_c, fun_det, full, want_leak, todo, batch, out_d, out_s,
                          out_vel, out_svel, out_fun, out_sfun, out_leak, out_north, out_snorth, out_res, out_nres,
                          out_chi2, out_status):
    """Batches ``b0 .. b1`` of :func:`solve_pixels`."""
    n_todo = todo.size
    n_stk = gh.shape[0]
    n_out = tau_o.size
    n_fun = fun_o.shape[0]
    n_gap = qg.shape[0]
    n_md = mode_w.shape[0]
    for bi in range(b0, b1):
        t0 = bi * batch
        nb = min(n_todo, t0 + batch) - t0
        idx = todo[t0:t0 + nb]
        ys_b = np.empty((ys.shape[0], nb))
        ws_b = np.empty((ys.shape[0], nb))
        for i in range(ys.shape[0]):
            for q in range(nb):
                ys_b[i, q] = ys[i, idx[q]]
                ws_b[i, q] = ws[i, idx[q]]
        gh_b = np.empty((n_stk, nb))
        gu_b = np.empty((n_stk, nb))
        gn_b = np.empty((n_stk, nb))
        for s in range(n_stk):
            for q in range(nb):
                gh_b[s, q] = gh[s, idx[q]]
                gu_b[s, q] = gu[s, idx[q]]
                gn_b[s, q] = gn[s, idx[q]]
        mw_b = np.empty((n_md, nb))
        for m in range(n_md):
            for q in range(nb):
                mw_b[m, q] = mode_w[m, idx[q]]
        np_b = np.empty(nb)
        npw_b = np.empty(nb)
        qe_b = np.empty(nb)
        qu_b = np.empty(nb)
        qg_b = np.empty((n_gap, 2, nb))
        for q in range(nb):
            p = idx[q]
            np_b[q] = north_prior[p]
            npw_b[q] = north_prior_w[p]
            qe_b[q] = q_e[p]
            qu_b[q] = q_u[p]
            for g in range(n_gap):
                qg_b[g, 0, q] = qg[g, 0, p]
                qg_b[g, 1, q] = qg[g, 1, p]
        d_b = np.full((2, n_out, nb), np.nan)
        s_b = np.full((2, n_out, nb), np.nan)
        vel_b = np.full((2, nb), np.nan)
        svel_b = np.full((2, nb), np.nan)
        fun_b = np.full((n_fun, 2, nb), np.nan)
        sfun_b = np.full((n_fun, 2, nb), np.nan)
        leak_b = np.full((2, nb), np.nan)
        north_b = np.full(nb, np.nan)
        snorth_b = np.full(nb, np.nan)
        res_b = np.full((n_stk, nb), np.nan)
        nres_b = np.zeros((n_stk, nb), np.int32)
        chi_b = np.full(nb, np.nan)
        st_b = np.zeros(nb, np.uint8)
        solve_batch(nb, ys_b, ws_b, obs_o, obs_s, obs_mode, mode_first, n_mode, mw_b, gh_b, gu_b, gn_b, tau, r,
                    out_k, out_w, tau_o, det, det_w, north_est, np_b, npw_b, wq_inc, qe_b, qu_b, qg_b, gap_inc, g_vel,
                    fun_o, fun_c, fun_det, full, want_leak, d_b, s_b, vel_b, svel_b, fun_b, sfun_b, leak_b, north_b,
                    snorth_b, res_b, nres_b, chi_b, st_b)
        for comp in range(2):
            for o in range(n_out):
                for q in range(nb):
                    out_d[comp, o, idx[q]] = d_b[comp, o, q]
                for q in range(nb):
                    out_s[comp, o, idx[q]] = s_b[comp, o, q]
        for q in range(nb):
            p = idx[q]
            for comp in range(2):
                out_vel[comp, p] = vel_b[comp, q]
                out_svel[comp, p] = svel_b[comp, q]
                out_leak[comp, p] = leak_b[comp, q]
                for f in range(n_fun):
                    out_fun[f, comp, p] = fun_b[f, comp, q]
                    out_sfun[f, comp, p] = sfun_b[f, comp, q]
            out_north[p] = north_b[q]
            out_snorth[p] = snorth_b[q]
            for s in range(n_stk):
                out_res[s, p] = res_b[s, q]
                out_nres[s, p] = nres_b[s, q]
            out_chi2[p] = chi_b[q]
            if st_b[q] != STATUS_OK:
                out_status[p] = st_b[q]


def solve_pixels(ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn, tau, r, out_k, out_w, tau_o,
                 det, det_w, north_est, north_prior, north_prior_w, wq_inc, q_e, q_u, qg, gap_inc, g_vel, fun_o,
                 fun_c, fun_det, full, want_leak, todo, batch, out_d, out_s, out_vel, out_svel, out_fun, out_sfun,
                 out_leak, out_north, out_snorth, out_res, out_nres, out_chi2, out_status):
    """Solve every pixel listed in ``todo`` (indices into the last axis), in batches of ``batch``.

    Shapes: P pixels, O observations, S stacks, K knots, T output dates, G gaps, F functionals,
    M network modes, J deterministic terms per component.

    ys, ws : (O, P)
        Observation (mm) and weight ``1 / sigma^2`` (0 = not used).
    obs_o, obs_s : (O,)
        Output date and stack of each observation.
    obs_mode : (O, Mmax); mode_first, n_mode : (S,); mode_w : (M, P)
        Network drift modes: value of each of its stack's modes at the observation, first border
        column and number of modes of each stack, prior precision of every mode.
    gh, gu, gn : (S, P)
        Coefficients of the horizontal unknown, of up and of north in each stack's LOS.
    tau : (K,)
        Knots, years; ``r`` the knot of the reference date.
    out_k, out_w : (T,)
        Each output date lies at ``(1 - w) tau[k] + w tau[k + 1]``.
    tau_o : (T,)
        Output dates, years.
    det : (T, J); det_w : (J,)
        Deterministic terms of each component on the output dates (annual sine and cosine, acceleration,
        all 0 on the reference date) and the prior precision of their coefficients.
    north_est : int
        1 when the north velocity is estimated (with prior ``north_prior``, precision ``north_prior_w``).
    wq_inc : (K-2,)
        ``1 / m_k``, ``m_k`` the midpoint spacing of the two intervals of increment ``k`` (years).
    q_e, q_u : (P,); qg : (G, 2, P)
        Velocity random-walk densities (mm^2/yr^3) inside segments and across each gap.
    gap_inc : (K-2,)
        Gap of each increment, -1 inside segments.
    g_vel : (T,)
        Least-squares slope operator over the output dates.
    fun_o, fun_c : (F, J2); fun_det : bool
        Output dates and coefficients of linear functionals of the displacement; without ``fun_det``
        of its random-walk part only.
    full : bool
        False: solution and functionals only (no marginal variances, velocity, leakage).
    todo : (T,)
        Pixels to solve; the outputs of the others are left as given.
    batch : int
        Pixels per batch (:data:`BATCH`); a pixel's arithmetic does not depend on it.
    """
    run_ranges(_solve_pixel_batches, (todo.size + batch - 1) // batch, ys, ws, obs_o, obs_s, obs_mode, mode_first,
               n_mode, mode_w, gh, gu, gn, tau, r, out_k, out_w, tau_o, det, det_w, north_est, north_prior,
               north_prior_w, wq_inc, q_e, q_u, qg, gap_inc, g_vel, fun_o, fun_c, fun_det, full, want_leak, todo,
               batch, out_d, out_s, out_vel, out_svel, out_fun, out_sfun, out_leak, out_north, out_snorth, out_res,
               out_nres, out_chi2, out_status)
