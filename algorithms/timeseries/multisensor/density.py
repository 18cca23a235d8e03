"""Density calibration: the velocity random walk's density per pixel and the scene's prior."""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

import numpy as np

from ...conventions import DAYS_PER_YEAR
from ...dense import pinv_tall
from ...engine import as_source
from . import kernels as _k
from .model import _GAP_NOISE_SHARE


class _Density:
    """The scene's density priors from a fixed sample of pixels (calibration)."""


    # ------------------------------------------------------------------ the scene's density priors
    def sample_pixels(self, max_rows: int = 32, max_cols: int = 64):
        """Rows and columns of the fixed pixel sample of :meth:`calibrate` (the grid's shape alone sets it)."""
        rows, cols = self.shape
        r = np.unique(np.round(np.linspace(0, rows - 1, min(rows, max_rows))).astype(np.int64))
        c = np.unique(np.round(np.linspace(0, cols - 1, min(cols, max_cols))).astype(np.int64))
        return r, c


    def calibrate(self, sources: Mapping[str, Any]) -> Optional[dict]:
        """The scene's prior of every density, from a fixed pixel sample, before the blocks are solved.

        The pixels on up to 32 evenly spaced rows and 64 evenly spaced columns (the grid's shape alone
        chooses them, so the result does not depend on blocks, threads or scheduler) are read from
        ``sources`` (as :meth:`sources`); each sampled pixel's signed density estimate and its variance
        under noise alone give, per period and component, the scene's mean density and its spread over
        the ground (random-effects moments, DerSimonian & Laird 1986, doi:10.1016/0197-2456(86)90046-2);
        the same for each gap's velocity change, with the periods' densities already shrunk. Returns the
        priors (also kept on the problem and named in :meth:`report`); None where ``scene_densities`` is
        off or no sampled pixel can be solved.
        """
        if not self.scene_densities:
            return None
        r_idx, c_idx = self.sample_pixels()
        mini = {}
        for key, src in sources.items():
            s_ = as_source(src)
            # one row at a time: memory stays that of one row of every band, whatever the grid
            parts = [np.asarray(s_.read(int(r), int(r) + 1, self.shape[1]))[..., c_idx] for r in r_idx]
            mini[key] = np.concatenate(parts, axis=-2)
        shape = (int(r_idx.size), int(c_idx.size))
        self.scene_prior = None
        self.density_var_ref = None
        if self.design_weights:
            # a pixel's own variance comes from its own noise estimate, which its density estimate shares (a low
            # noise estimate raises the density and its weight alike): the weights take the scene's median instead
            var_q = self.solve_arrays(mini, shape, _stage="noise")["var_q"]
            with np.errstate(all="ignore"):
                ref = np.array([np.median(v[np.isfinite(v)]) if np.isfinite(v).any() else np.nan for v in var_q])
            self.density_var_ref = ref
        first = self.solve_arrays(mini, shape, _stage="densities")
        todo = first["todo"]
        if todo.size == 0:
            return None
        (q_all, v_all), segs = first["raw"]
        w = self.local_prior_nodes
        # per density (east, up), the variance of the sample's mean against that of independent pixels (1: the
        # prior's mean as estimated); see ``prior_mean_error``
        infl_all, infl_seg = (1.0, 1.0), [(1.0, 1.0)] * len(segs)
        if "split" in first:
            q_los, gh, gu, var_q, reg, seg_masks, infl = first["split"]
            infl_all = _split_inflation(q_los, gh, gu, var_q, reg, infl, todo)
            infl_seg = [_split_inflation(np.where(m_[:, None], q_los, np.nan), gh, gu, var_q, reg, infl, todo)
                        for m_ in seg_masks]

        def pri(q, v, kind=None, inf=1.0):
            if kind is not None:
                return _grid_prior(q[todo], v[todo], kind)
            if w:
                return _local_prior(q, v, todo, shape, w)
            if "split" not in first:
                return _scene_prior(q[todo], v[todo])
            return _scene_prior(q[todo], v[todo], inflation=inf, mean_error=self.prior_mean_error,
                                spread=self.prior_effective_pixels, mean_spread=self.prior_mean_spread)

        kp = "normal" if self.grid_prior_periods else None
        prior = {"all": [pri(q_all[c], v_all[c], kp, infl_all[c]) for c in (0, 1)], "seg": [], "gap": [],
                 "n": int(todo.size), "nodes": (r_idx, c_idx)}
        for j, seg in enumerate(segs):
            prior["seg"].append(None if seg is None else [pri(seg[0][c], seg[1][c], kp, infl_seg[j][c])
                                                          for c in (0, 1)])
        self.scene_prior = prior
        if self.gaps:
            second = self.solve_arrays(mini, shape, _stage="gaps", _at=(r_idx, c_idx))
            # a gap's change is measured from the periods on both sides: their inflations' mean
            n_sg = len(infl_seg)
            infl_gap = [tuple(0.5 * (infl_seg[min(gi, n_sg - 1)][c] + infl_seg[min(gi + 1, n_sg - 1)][c])
                              for c in (0, 1)) for gi in range(len(self.gaps))]
            prior["gap"] = [[pri(e[c], v[c], "change" if self.grid_prior_gaps and not self._gap_one_geometry[gi]
                                 else None, infl_gap[gi][c]) for c in (0, 1)]
                            for gi, (e, v) in enumerate(second["gaps"])]
        comp = ("east", "up")
        where = (f"its neighbourhood of {2 * w + 1} x {2 * w + 1} sampled pixels (medians over the scene)" if w
                 else "the whole scene")
        lines = [f"velocity wander densities: the scene's prior from {prior['n']} sampled pixels, each pixel's "
                 f"estimate shrunk toward the prior of {where} by their precisions "
                 "(mm^2/yr^3, mean / spread over the ground)"]
        grid_on = [n_ for n_, on in (("periods", self.grid_prior_periods), ("gaps", self.grid_prior_gaps)) if on]
        if grid_on:
            lines.append(f"  {' and '.join(grid_on)}: a nonparametric prior instead (weights on {_DENSITY_GRID.size} "
                         f"densities from 0 to {_DENSITY_GRID[-1]:.0f}, fitted by EM to the sampled estimates' "
                         "likelihoods), each pixel's density its posterior mean over them")
        for (a, b), seg in zip(self.segment_spans, prior["seg"]):
            use = seg if seg is not None else prior["all"]
            lines.append(f"  period {a}..{b}: " + ", ".join(
                f"{comp[c]} {np.median(use[c][0]):.3g} / {math.sqrt(np.median(use[c][1])):.3g}" for c in (0, 1)))
        for g, gp in zip(self.gaps, prior["gap"]):
            lines.append(f"  gap {g.last_before}..{g.first_after}: " + ", ".join(
                f"{comp[c]} {np.median(gp[c][0]):.3g} / {math.sqrt(np.median(gp[c][1])):.3g}" for c in (0, 1)))
        if "split" in first:
            prior["inflation"] = {"all": infl_all, "seg": infl_seg}
            lines.append("  the prior's mean " + ("shrunk by its own standard error" if self.prior_mean_error else
                                                   "as estimated") + ", the sample worth "
                         + ", ".join(f"{prior['n'] / max(i_, 1.0):.3g}" for i_ in infl_all)
                         + " independent pixels (east, up: from the noise's spatial correlation, consecutive dates "
                         "differenced)")
        prior["lines"] = lines
        return prior


    def _sample_inflation(self, series, todo):
        """Per stack, the variance of the sampled pixels' mean density estimate under noise alone against that of
        independent pixels, ``n / n_eff = 1 + (n - 1) rho2``: ``rho2`` the mean squared correlation of two pixels'
        noise (their series differenced over consecutive dates, the differenced fit removed), less its value for
        independent series (``1 / dof``), over up to 512 of the pixels valid on every date (a fixed choice); the
        density estimates, squares of the slow modes' coefficients, correlate as the square of their noises'."""
        n = int(todo.size)
        out = np.ones(len(self.plans))
        for si, p in enumerate(self.plans):
            if p.stats is None or n < 2:
                continue
            # the noise's correlation, not the motion's: each pair of consecutive dates (2k, 2k + 1) differenced,
            # less the fit of the differenced deterministic terms and slow modes (a smooth motion shared by the
            # pixels differences away; the atmosphere, white in time, does not)
            i0 = 2 * np.arange(len(p.dates) // 2)
            basis = p.stats[1][i0 + 1] - p.stats[1][i0]
            basis = basis[:, np.abs(basis).max(axis=0) > 1e-9 * max(np.abs(basis).max(), 1e-300)]
            y = series[si][:, todo]
            use = np.flatnonzero(np.all(np.isfinite(y), axis=0))
            dof = i0.size - basis.shape[1]
            if use.size < 3 or dof < 3:
                continue
            if use.size > 512:
                use = use[np.round(np.linspace(0, use.size - 1, 512)).astype(np.int64)]
            yd = y[i0 + 1][:, use] - y[i0][:, use]
            tot, pairs = _k.residual_pair_correlation(np.ascontiguousarray(yd), np.ascontiguousarray(basis),
                                                      np.ascontiguousarray(pinv_tall(basis)))
            rho2 = max(0.0, (tot / pairs - 1.0 / dof) / (1.0 - 1.0 / dof))
            out[si] = 1.0 + (n - 1) * min(rho2, 1.0)
        return out


    def _with_cross_products(self, q_los, var_q, gh, gu, coefs, sig, sig_net):
        """The stacks' density estimates and, below them, one per pair of stacks from the products of their slow
        modes' coefficients: ``E sum_k c_ak c_bk = (e_a e_b q_E + u_a u_b q_U) sum_k G_abk`` (their noises are
        independent, so the products carry no noise power to subtract); an ascending and a descending stack of
        the same incidence, whose squares cannot tell east from up, tell them apart by the sign of ``e_a e_b``.
        Returns the estimates, their variances under noise alone, the regressors (east, up) and each period's
        rows."""
        qs, vs, ra, rb = [q_los], [var_q], [gh * gh], [gu * gu]
        masks = [list(m) for m in self.segment_stacks]
        for a, b, g_sum, m, (hh, hd, dh, dd) in self._pairs:
            prod = np.sum(coefs[a][:m] * coefs[b][:m], axis=0)
            sa, sb = sig[a] ** 2, sig[b] ** 2
            na, nb = np.nan_to_num(sig_net[a]) ** 2, np.nan_to_num(sig_net[b]) ** 2
            qs.append((prod / g_sum)[None])
            vs.append(((sa * sb * hh + sa * nb * hd + na * sb * dh + na * nb * dd) / (g_sum * g_sum))[None])
            ra.append((gh[a] * gh[b])[None])
            rb.append((gu[a] * gu[b])[None])
            for mk_ in masks:
                mk_.append(bool(mk_[a] and mk_[b]))
        return (np.concatenate(qs), np.concatenate(vs), (np.concatenate(ra), np.concatenate(rb)),
                [np.array(m_, bool) for m_ in masks])


    def _signed_densities(self, q_los, gh, gu, var_q, reg=None, seg_masks=None):
        """Each pixel's signed (east, up) density and its variance under noise alone: the whole series',
        and each period's where periods have their own (else None)."""
        whole = _split_signed(q_los, gh, gu, var_q, reg)
        segs = []
        n_seg = len(self.segment_spans)
        for inside in (self.segment_stacks if seg_masks is None else seg_masks):
            if self.segment_densities and n_seg > 1:
                segs.append(_split_signed(np.where(inside[:, None], q_los, np.nan), gh, gu, var_q, reg))
            else:
                segs.append(None)
        return whole, segs


    def _prior_at(self, prior, at):
        """A prior ``(m, tau^2, ...)`` at the pixels ``at`` = (global rows, global columns) of a block: the scene's
        as it is, a local prior (fields on the sampled nodes) interpolated bilinearly between the nodes."""
        if np.ndim(prior[0]) == 0:
            return prior
        r_idx, c_idx = self.scene_prior["nodes"]
        return tuple(_bilinear(f, r_idx, c_idx, at[0], at[1]) for f in prior[:2])


    def _shrunk_densities(self, raw, at):
        """The densities shrunk toward the scene's priors: whole series (east, up) and per period."""
        (q_all, v_all), segs = raw
        pr = self.scene_prior
        q_e, q_u = (np.maximum(_shrink(q_all[c], v_all[c], self._prior_at(pr["all"][c], at)), self.prior_floor)
                    for c in (0, 1))
        qseg = np.empty((len(segs), 2, q_all.shape[1]))
        for j, seg in enumerate(segs):
            for c, qc in enumerate((q_e, q_u)):
                if seg is None:
                    qseg[j, c] = qc
                else:
                    # never below the whole series' density: a period of a few years cannot see a wander slower
                    # than its own span (a multi-year cycle), which the whole series does
                    qj = _shrink(seg[0][c], seg[1][c], self._prior_at(pr["seg"][j][c], at))
                    qseg[j, c] = np.maximum(qj, qc) if self.periods_above_series else np.maximum(qj, self.prior_floor)
        return q_e, q_u, qseg


def _series_statistics_design(dates, lap_pinv, n_low: int, *, quadratic: bool = True):
    """Basis and expected mode powers of :func:`.kernels.series_statistics` for one stack: the
    deterministic terms of the model (offset, trend, acceleration, annual) are removed first."""
    t = np.array([(d - dates[0]).days for d in dates], float) / DAYS_PER_YEAR
    span = max(t[-1], 1e-9)
    cols = [np.ones_like(t), t - t.mean()]
    if quadratic:
        cols.append((t - t.mean()) ** 2 - np.mean((t - t.mean()) ** 2))
    if span >= 1.5:
        cols += [np.sin(2 * math.pi * t), np.cos(2 * math.pi * t)]
    first_kl = len(cols)
    n_low = max(0, min(n_low, (t.size - first_kl - 3) // 2))
    # the slowest shapes beyond the deterministic terms: Legendre polynomials of the next degrees on the span
    x = 2.0 * t / span - 1.0
    first_deg = 3 if quadratic else 2
    for k in range(first_deg, first_deg + n_low):
        cols.append(np.polynomial.legendre.Legendre.basis(k)(x))
    basis = np.stack(cols, 1)
    kl = np.arange(first_kl, first_kl + n_low, dtype=np.int64)
    full_pinv = pinv_tall(basis)
    pinv = full_pinv[kl]
    s_, t_ = np.minimum.outer(t, t), np.maximum.outer(t, t)
    cov_irw = s_ * s_ * (3.0 * t_ - s_) / 6.0  # integrated random walk from the first date, unit density
    g_irw = np.einsum("ki,ij,kj->k", pinv, cov_irw, pinv)
    h_noise = np.einsum("ki,ki->k", pinv, pinv)
    d_net = np.einsum("ki,ij,kj->k", pinv, lap_pinv, pinv) if lap_pinv is not None else np.zeros(kl.size)
    # the drift's share of the lag-1 residuals, so that white noise is not counted twice
    d_lag1 = 0.0
    if lap_pinv is not None and t.size >= 3:
        h1, h2 = np.diff(t)[:-1], np.diff(t)[1:]
        wa, wc = -h2 / (h1 + h2), -h1 / (h1 + h2)
        i = np.arange(1, t.size - 1)
        d_lag1 = float(np.mean(wa * wa * lap_pinv[i - 1, i - 1] + lap_pinv[i, i] + wc * wc * lap_pinv[i + 1, i + 1]
                               + 2 * wa * lap_pinv[i - 1, i] + 2 * wc * lap_pinv[i, i + 1]
                               + 2 * wa * wc * lap_pinv[i - 1, i + 1]))
    return t, basis, np.ascontiguousarray(full_pinv), kl, g_irw, h_noise, d_net, d_lag1


#: ``n Var(s^2) / sigma^4`` of the white-noise variance from the median absolute lag-1 residual, ``n`` residuals:
#: 4 x 1.3605 for the median absolute deviation of independent normals, times 1.45 for the residuals' correlation
#: (``-2/3`` at lag 1, ``1/6`` at lag 2 on even dates; the indicators of ``|z| < MAD`` correlate by 0.054 and 0.0026
#: against a variance of 0.25); a simulation of 20,000 series of 150 dates gives 8.1
_MAD_VAR_FACTOR = 7.9


#: relative bias of the sample median of ``n`` half-normal values, ``-f'(m) / (8 n f(m)^3) / m`` at the half-normal's
#: median ``m = 0.6745`` (density ``f(m) = 0.6356``, slope ``f'(m) = -0.4287``), times ``n``
_MEDIAN_BIAS_N = 0.309


def _noise_power_bias(n_dates: int) -> float:
    """``E[s^2] / sigma^2`` of the median-based white-noise estimate of a series of ``n_dates`` dates: ``s`` is the
    sample median of the ``n = n_dates - 2`` absolute lag residuals, scaled; to first order ``E s = sigma (1 + b)``
    (``b`` the sample median's relative bias) and ``Var s = sigma^2 Var(s^2) / (4 sigma^4)``, so
    ``E s^2 / sigma^2 = 1 + 2 b + c / 4`` with ``c = n Var(s^2) / sigma^4 / n`` (:data:`_MAD_VAR_FACTOR`)."""
    n_z = n_dates - 2
    if n_z <= 0:
        return 1.0
    return 1.0 + 2.0 * _MEDIAN_BIAS_N / n_z + 0.25 * _MAD_VAR_FACTOR / n_z


def _mode_covariances(stats, lap_pinv):
    """Covariance of a stack's slow modes' fitted coefficients per unit white-noise variance and per unit
    interferogram variance (all dates valid): ``(H, D)``."""
    pk = stats[2][stats[3]]
    hm = np.einsum("ki,ji->kj", pk, pk)
    dm = np.einsum("ki,il,jl->kj", pk, lap_pinv, pk) if lap_pinv is not None else np.zeros_like(hm)
    return hm, dm


def _density_noise_design(stats, lap_pinv):
    """What the variance of a stack's density estimate under noise alone needs: the covariance of the slow modes'
    coefficients per unit white-noise variance ``H`` and per unit interferogram variance ``D`` (full, not only their
    diagonals: the modes' fitted coefficients are correlated), their cross products, and the relative variance of
    the white-noise estimate that the estimate subtracts."""
    t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = stats
    pk = pinv[kl]
    hm = np.einsum("ki,ji->kj", pk, pk)
    dm = np.einsum("ki,il,jl->kj", pk, lap_pinv, pk) if lap_pinv is not None else np.zeros_like(hm)
    n_z = t.size - 2
    if n_z > 0:
        h1, h2 = np.diff(t)[:-1], np.diff(t)[1:]
        k_bar = float(np.mean(1.0 + (h1 * h1 + h2 * h2) / ((h1 + h2) ** 2)))
        c_sig = _MAD_VAR_FACTOR / n_z
    else:
        k_bar, c_sig = 1.0, 0.0
    return (float(np.sum(hm * hm)), float(np.sum(hm * dm)), float(np.sum(dm * dm)), float(np.sum(np.diag(hm))),
            c_sig, float(d_lag1) / k_bar)


def _cross_designs(plans):
    """Per pair of stacks ``(a, b)`` whose slow modes see a common wander: ``(a, b, sum_k G_abk, m, noise)``, ``G_abk``
    the covariance of mode ``k``'s coefficients of the two stacks per unit integrated-random-walk density (both
    stacks' dates from one origin; the modes remove offset and trend, so the origin does not matter), ``m`` the
    modes used (the fewer of the two) and ``noise`` the sums of the products of the modes' noise covariances (white
    and interferogram noise of each stack) that give the products' variance under noise alone. Pairs whose modes
    share less than a tenth of their own wander (stacks far apart in time) are left out."""
    out = []
    for a in range(len(plans)):
        for b in range(a + 1, len(plans)):
            pa, pb = plans[a], plans[b]
            if pa.stats is None or pb.stats is None or pa.noise_mats is None or pb.noise_mats is None:
                continue
            m = min(pa.stats[3].size, pb.stats[3].size)
            if m == 0:
                continue
            t0 = min(pa.dates[0], pb.dates[0])
            ta = np.array([(d - t0).days for d in pa.dates], float) / DAYS_PER_YEAR
            tb = np.array([(d - t0).days for d in pb.dates], float) / DAYS_PER_YEAR
            s_, t_ = np.minimum.outer(ta, tb), np.maximum.outer(ta, tb)
            cov = s_ * s_ * (3.0 * t_ - s_) / 6.0
            ka, kb = pa.stats[2][pa.stats[3][:m]], pb.stats[2][pb.stats[3][:m]]
            g = np.einsum("ki,ij,kj->k", ka, cov, kb)
            g_sum = float(np.sum(g))
            own = math.sqrt(float(np.sum(pa.stats[4][:m])) * float(np.sum(pb.stats[4][:m])))
            if not g_sum > 0.1 * own:
                continue
            (ha, da), (hb, db) = pa.noise_mats, pb.noise_mats
            ha, da, hb, db = ha[:m, :m], da[:m, :m], hb[:m, :m], db[:m, :m]
            out.append((a, b, g_sum, m, (float(np.sum(ha * hb)), float(np.sum(ha * db)), float(np.sum(da * hb)),
                                         float(np.sum(da * db)))))
    return out


def _density_noise_variance(design, s2, sn2, g_sum, exact, h_noise, d_net):
    """Variance of a stack's signed density estimate under noise alone (white noise ``s2``, interferogram noise
    ``sn2``, per pixel): ``2 tr(C^2)`` of the slow modes' coefficients ``C = s2 H + sn2 D``, plus the scatter of the
    subtracted white-noise power ``s2 tr(H)`` (``exact``; else the diagonal of ``C`` alone, as before)."""
    if not g_sum > 0:
        return np.full(np.shape(s2), np.nan)
    if not exact:
        pw = s2[None, :] * h_noise[:, None] + sn2[None, :] * d_net[:, None]
        return 2.0 * np.sum(pw * pw, axis=0) / (g_sum * g_sum)
    hh, hd, dd, tr_h, c_sig, lag = design
    var_c = 2.0 * (s2 * s2 * hh + 2.0 * s2 * sn2 * hd + sn2 * sn2 * dd)
    var_s = c_sig * (s2 + sn2 * lag) ** 2 * tr_h * tr_h
    return (var_c + var_s) / (g_sum * g_sum)


def _split_normal(q_los, gh, gu, var_q, reg=None):
    """Normal equations of ``q_s = gH_s^2 q_H + gU_s^2 q_U`` over the stacks ``s`` of each pixel, weighed by the
    inverse of ``var_q`` (S, P; None: equal weights): ``(ok, (n11, n12, n22), (r1, r2), det)``, ``ok`` (S, P)
    the stacks used."""
    a, b = (gh * gh, gu * gu) if reg is None else reg
    ok = np.isfinite(q_los) & np.isfinite(a) & np.isfinite(b)
    if var_q is None:
        w = ok.astype(float)
    else:
        ok &= np.isfinite(var_q)
        w = np.where(ok, 1.0 / np.maximum(np.where(ok, var_q, 1.0), 1e-12), 0.0)
    a = np.where(ok, a, 0.0)
    b = np.where(ok, b, 0.0)
    y = np.where(ok, q_los, 0.0)
    n11, n12, n22 = (w * a * a).sum(0), (w * a * b).sum(0), (w * b * b).sum(0)
    r1, r2 = (w * a * y).sum(0), (w * b * y).sum(0)
    return ok, (n11, n12, n22), (r1, r2), n11 * n22 - n12 * n12


def _split_process_noise(q_los, gh, gu, floor, var_q=None, reg=None):
    """``q_s = gH_s^2 q_H + gU_s^2 q_U`` by weighted non-negative least squares over the stacks of each pixel.

    ``var_q`` (S, P): the variance of each stack's estimate ``q_los`` under noise alone, whose inverse weighs
    the stack (equal weights when None). A short or sparse stack, whose estimate scatters by hundreds of
    mm^2/yr^3 where a long one pins the density to a few tenths, then hardly moves the density: with equal
    weights its clipped noise made the density of every pixel it covers tens of times too large."""
    ok, (n11, n12, n22), (r1, r2), det = _split_normal(q_los, gh, gu, var_q, reg)
    with np.errstate(divide="ignore", invalid="ignore"):
        qh = (n22 * r1 - n12 * r2) / det
        qu = (n11 * r2 - n12 * r1) / det
        # east and up densities are told apart only by stacks whose e^2 : u^2 differ (not a symmetric asc/desc pair)
        well = det > 0.1 * (n11 * n22)
        only_u = r2 / n22
        only_h = r1 / n11
        # not separable (e.g. a symmetric ascending + descending pair): the LOS variability is shared alike
        iso = (r1 + r2) / (n11 + 2 * n12 + n22)
    qh2 = np.where(qh < 0, 0.0, np.where(qu < 0, only_h, qh))
    qu2 = np.where(qu < 0, 0.0, np.where(qh < 0, only_u, qu))
    qh = np.where(well, qh2, iso)
    qu = np.where(well, qu2, iso)
    any_ok = ok.any(axis=0)
    qh = np.where(any_ok, np.maximum(np.nan_to_num(qh), 0.0), np.nan)
    qu = np.where(any_ok, np.maximum(np.nan_to_num(qu), 0.0), np.nan)
    return np.maximum(qh, floor), np.maximum(qu, floor)


def _split_signed(q_los, gh, gu, var_q, reg=None):
    """Signed ``(q_H, q_U)`` (2, P) by weighted least squares over the stacks, and their variances (2, P).

    As :func:`_split_process_noise` but never clipped (an average of them over pixels is unbiased): where
    the stacks' ``e^2 : u^2`` do not differ enough, both components share the isotropic estimate."""
    ok, (n11, n12, n22), (r1, r2), det = _split_normal(q_los, gh, gu, var_q, reg)
    with np.errstate(divide="ignore", invalid="ignore"):
        well = det > 0.1 * (n11 * n22)
        n_iso = n11 + 2 * n12 + n22
        iso = (r1 + r2) / n_iso
        qh = np.where(well, (n22 * r1 - n12 * r2) / det, iso)
        qu = np.where(well, (n11 * r2 - n12 * r1) / det, iso)
        vh = np.where(well, n22 / det, 1.0 / n_iso)
        vu = np.where(well, n11 / det, 1.0 / n_iso)
    bad = ~ok.any(axis=0) | ~(n_iso > 0)
    q = np.where(bad, np.nan, np.stack([qh, qu]))
    v = np.where(bad, np.nan, np.stack([vh, vu]))
    return q, v


def _scene_prior(q, v, *, inflation=None, mean_error=False, spread=False, mean_spread=False):
    """Mean and spread over the ground ``(m, tau^2, var m)`` of a density, from signed estimates ``q`` with noise
    variances ``v`` (random-effects moments of DerSimonian & Laird 1986; the mean kept >= 0; ``var m`` the
    variance of the mean were the pixels independent: neighbours sharing the atmosphere make it larger).

    ``inflation``: the variance of the sample's mean under noise alone against that of independent pixels,
    ``n / n_eff``. ``spread``: the moments' expected scatter under noise alone ``n - n / n_eff`` instead of
    ``n - 1`` (the common part of correlated errors does not scatter). ``mean_error``: ``var m`` with the noise's
    share inflated, and the mean the positive part of ``m^2 - var m`` under the root (its square's noise
    subtracted, as a gap's velocity change gives back its own). ``mean_spread``: ``var m`` (so inflated) added to
    ``tau^2``."""
    with np.errstate(divide="ignore", over="ignore"):
        ok = np.isfinite(q) & np.isfinite(v) & (v > 0) & np.isfinite(1.0 / v)
    q, v = q[ok], v[ok]
    if q.size < 2:
        return (0.0, 0.0, 0.0)
    w = 1.0 / v
    sw = w.sum()
    m_fix = float((w * q).sum() / sw)
    big_q = float((w * (q - m_fix) ** 2).sum())
    infl = 1.0 if inflation is None else min(max(float(inflation), 1.0), float(q.size))
    expect = q.size - (infl if spread else 1.0)
    # 0 when one estimate outweighs the rest beyond float precision (e.g. a stack's reference pixel): no spread
    # can be told from a single informative estimate
    denom = sw - (w * w).sum() / sw
    tau2 = max(0.0, (big_q - expect) / denom) if denom > 0 and math.isfinite(denom) else 0.0
    wr = 1.0 / (v + tau2)
    m = float((wr * q).sum() / wr.sum())
    if inflation is None or not (mean_error or mean_spread):
        return (max(m, 0.0), tau2, float(1.0 / wr.sum()))
    var_m = float((wr * wr * (v * infl + tau2)).sum() / wr.sum() ** 2)
    if mean_error:
        m = math.sqrt(m * m - var_m) if m * m > var_m and m > 0 else 0.0
    return (max(m, 0.0), tau2 + var_m if mean_spread else tau2, var_m)


def _split_inflation(q_los, gh, gu, var_q, reg, infl, todo):
    """Per component (east, up), the variance of the sample's mean of the east/up density against that of
    independent pixels: each row's (stack's) ``infl`` weighed by its share of the split estimates' variance over
    the pixels ``todo`` (the stacks' noises are independent)."""
    q_los, gh, gu, var_q = q_los[:, todo], gh[:, todo], gu[:, todo], var_q[:, todo]
    if reg is not None:
        reg = (reg[0][:, todo], reg[1][:, todo])
    ok, (n11, n12, n22), _, det = _split_normal(q_los, gh, gu, var_q, reg)
    a, b = (gh * gh, gu * gu) if reg is None else reg
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, 1.0 / np.maximum(np.where(ok, var_q, 1.0), 1e-12), 0.0)
        a, b = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
        well = det > 0.1 * (n11 * n22)
        n_iso = n11 + 2 * n12 + n22
        iso = w * (a + b) / n_iso
        coef = (np.where(well, w * (n22 * a - n12 * b) / det, iso), np.where(well, w * (n11 * b - n12 * a) / det, iso))
        out = []
        for c_ in coef:
            share = np.nansum(np.where(ok, c_ * c_ / np.where(w > 0, w, 1.0), 0.0), axis=1)
            tot = share.sum()
            out.append(float((share * infl).sum() / tot) if tot > 0 and np.isfinite(tot) else 1.0)
    return tuple(out)


def _local_prior(q, v, todo, shape, w):
    """A prior that varies over the scene: at every node of the sampled grid ``shape`` (rows, cols), the
    random-effects moments (:func:`_scene_prior`) of the estimates ``q`` (variances ``v``; flat over the grid,
    only ``todo`` used) on the ``(2 w + 1) x (2 w + 1)`` nodes around it (clipped at the edges): ``(m, tau^2)``
    fields (rows, cols). A node with fewer than 4 usable neighbours takes the scene's moments."""
    rows, cols = shape
    use = np.zeros(rows * cols, bool)
    use[todo] = True
    qg = np.where(use, q, np.nan).reshape(rows, cols)
    vg = np.where(use, v, np.nan).reshape(rows, cols)
    whole = _scene_prior(q[todo], v[todo])
    m = np.empty(shape)
    t2 = np.empty(shape)
    for i in range(rows):
        a0, a1 = max(0, i - w), min(rows, i + w + 1)
        for j in range(cols):
            b0, b1 = max(0, j - w), min(cols, j + w + 1)
            qq, vv = qg[a0:a1, b0:b1].ravel(), vg[a0:a1, b0:b1].ravel()
            if np.count_nonzero(np.isfinite(qq) & np.isfinite(vv) & (vv > 0)) < 4:
                m[i, j], t2[i, j] = whole[0], whole[1]
            else:
                m[i, j], t2[i, j] = _scene_prior(qq, vv)[:2]
    return (m, t2)


def _bilinear(field, r_nodes, c_nodes, rows, cols):
    """``field`` (nodes on rows ``r_nodes`` x columns ``c_nodes`` of the grid) at grid pixels ``rows``, ``cols``
    (flat), bilinear between the nodes, constant beyond the outermost ones."""
    fr = np.interp(rows, r_nodes, np.arange(r_nodes.size, dtype=float))
    fc = np.interp(cols, c_nodes, np.arange(c_nodes.size, dtype=float))
    r0 = np.minimum(np.floor(fr).astype(np.int64), r_nodes.size - 1)
    c0 = np.minimum(np.floor(fc).astype(np.int64), c_nodes.size - 1)
    r1 = np.minimum(r0 + 1, r_nodes.size - 1)
    c1 = np.minimum(c0 + 1, c_nodes.size - 1)
    ar, ac = fr - r0, fc - c0
    return ((1 - ar) * ((1 - ac) * field[r0, c0] + ac * field[r0, c1])
            + ar * ((1 - ac) * field[r1, c0] + ac * field[r1, c1]))


#: the densities (mm^2/yr^3) on which :func:`_grid_prior` puts its weights: zero (ground that does not wander), then
#: geometric steps of 1.45 from 10^-3 to 3 10^4
_DENSITY_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 3e4, 47)])


_GRID_EM_STEPS = 300


def _grid_loglik(q, v, kind):
    """Log-likelihood (n, J) of each estimate ``q`` (variance ``v`` under noise alone) at every density of
    :data:`_DENSITY_GRID`, up to a constant per estimate. ``"change"``: ``q = (dv^2 - b) / T`` of a velocity change
    ``dv`` across a gap whose noise power is ``b = k s^2`` (``s^2`` the variance of ``dv``, ``k``
    :data:`_GAP_NOISE_SHARE`; the estimate's variance ``v = 2 s^4 / T^2``, that of the square of a normal ``dv``),
    so that ``dv^2 / T = q + k sqrt(v / 2)`` and ``dv ~ N(0, b + theta T)``: the normal likelihood of ``dv``.
    ``"normal"``: ``q ~ N(theta, v)``."""
    th = _DENSITY_GRID[None, :]
    q = q[:, None]
    v = v[:, None]
    if kind == "change":
        b = np.sqrt(0.5 * _GAP_NOISE_SHARE ** 2 * v)
        s = b + th
        return -0.5 * np.log(s) - 0.5 * (q + b) / s
    return -0.5 * (q - th) ** 2 / v


def _grid_prior(q, v, kind):
    """A nonparametric prior over a density (g-modelling): weights on :data:`_DENSITY_GRID` maximising the sampled
    estimates' marginal likelihood (EM for the NPMLE, a fixed number of steps from equal weights). Returns
    ``(mean, variance over the ground, 0, weights, kind)``."""
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    n_grid = _DENSITY_GRID.size
    if np.count_nonzero(ok) < 2:
        return (0.0, 0.0, 0.0, np.r_[1.0, np.zeros(n_grid - 1)], kind)
    ll = _grid_loglik(q[ok], v[ok], kind)
    lik = np.exp(ll - ll.max(axis=1, keepdims=True))
    w = np.full(n_grid, 1.0 / n_grid)
    for _ in range(_GRID_EM_STEPS):
        post = lik * w
        post /= post.sum(axis=1, keepdims=True)
        w = post.mean(axis=0)
    m = float(np.sum(w * _DENSITY_GRID))
    return (m, float(np.sum(w * (_DENSITY_GRID - m) ** 2)), 0.0, w, kind)


def _grid_posterior(q, v, prior):
    """Each pixel's posterior mean density under a grid prior (:func:`_grid_prior`): a pixel whose estimate says it
    does not wander sits near zero, one that wanders near its own density; the prior mean without an estimate."""
    m, w, kind = prior[0], prior[3], prior[4]
    ok = np.isfinite(q) & np.isfinite(v) & (v > 0)
    out = np.full(np.shape(q), m, dtype=float)
    if ok.any():
        ll = _grid_loglik(q[ok], v[ok], kind)
        post = np.exp(ll - ll.max(axis=1, keepdims=True)) * w[None, :]
        out[ok] = (post * _DENSITY_GRID[None, :]).sum(axis=1) / post.sum(axis=1)
    return out


def _shrink(q, v, prior):
    """Posterior mean of a density: the estimate ``q`` (variance ``v``) shrunk toward the prior ``(m, tau^2)``
    by their precisions; the prior mean where the pixel has no estimate. A grid prior (:func:`_grid_prior`): the
    posterior mean over its grid."""
    if len(prior) > 3:
        return _grid_posterior(np.asarray(q, float), np.asarray(v, float), prior)
    m, tau2 = prior[0], prior[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(tau2 > 0, tau2 / (tau2 + v), 0.0)
        post = m + k * (q - m)
    return np.where(np.isfinite(post), post, m)
