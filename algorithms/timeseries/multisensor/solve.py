"""The joint solve of a block of pixels (a mixin of :class:`.problem.MultisensorProblem`)."""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

from ...conventions import DAYS_PER_YEAR
from ...errors import GeohazardError
from . import kernels as _k
from .density import _density_noise_variance, _shrink, _split_process_noise
from .model import _GAP_NOISE_SHARE, _Q_UNTIED, NORTH_CODES, _per_pixel, _PerPixel, block_bytes_per_pixel


class _Solve:
    """The block function: a block's pixels solved (weights, densities, gaps, the kernel)."""


    # ------------------------------------------------------------------ block inputs
    def sources(self, **arrays) -> dict:
        """Name -> array/source of every per-pixel input the block function reads.

        Values come from each stack's ``values`` unless given here by stack name.
        """
        out = {}
        for p in self.plans:
            s = p.spec
            v = arrays.get(s.name, s.values)
            if v is None:
                raise GeohazardError(f"stack {s.name!r}: no values were given")
            out[s.name] = v
            for key in ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up", "sigma_mm", "coherence"):
                val = getattr(s, key)
                if val is not None and _per_pixel(val):
                    out[f"{s.name}:{key}"] = val
        for key in ("velocity_mm_yr", "sigma_mm_yr", "slope_deg", "aspect_deg"):
            val = getattr(self.north, key)
            if val is not None and _per_pixel(val):
                out[f"north:{key}"] = val
        return out


    def __getstate__(self):
        """Pickled for a Dask worker without the data: the block function reads pixels only from its inputs."""
        from dataclasses import replace

        state = dict(self.__dict__)
        plans = []
        for p in self.plans:
            spec = p.spec
            changes = {k: _PerPixel() for k in ("incidence_deg", "heading_deg", "los_east", "los_north", "los_up",
                                                "sigma_mm", "coherence") if _per_pixel(getattr(spec, k))}
            plans.append(replace(p, spec=replace(spec, values=None, **changes)))
        state["plans"] = plans
        nm = self.north
        state["north"] = replace(nm, **{k: _PerPixel() for k in ("velocity_mm_yr", "sigma_mm_yr", "slope_deg",
                                                                   "aspect_deg") if _per_pixel(getattr(nm, k))})
        return state


    @property
    def n_dates(self) -> int:
        return len(self.dates)


    def bytes_per_pixel(self) -> float:
        """Memory of one pixel in a block (inputs, work arrays, outputs), for the block planner."""
        return block_bytes_per_pixel(sum(p.n_obs for p in self.plans), sum(len(p.dates) for p in self.plans),
                                     self.n_dates, len(self.plans), len(self.gaps))


    # ------------------------------------------------------------------ the block function
    def __call__(self, block, inputs: Mapping[str, np.ndarray]) -> dict:
        """The engine's block function: ``inputs`` as :meth:`sources`, block rows in, outputs out."""
        rows = block.core if hasattr(block, "core") else slice(None)
        first = next(iter(inputs.values()))
        shape = first[..., rows, :].shape[-2:]
        return self.solve_arrays({k: np.asarray(v)[..., rows, :] for k, v in inputs.items()}, shape,
                                 row0=int(getattr(block, "row0", 0)))


    def solve_arrays(self, inputs: Mapping[str, np.ndarray], shape: tuple, *, _stage: Optional[str] = None,
                     row0: int = 0, _at=None) -> dict:
        """Solve a block of pixels whose inputs (as :meth:`sources`) cover ``shape`` (rows, cols).

        ``_stage`` (:meth:`calibrate` only): ``"densities"`` returns each pixel's signed density estimates,
        ``"gaps"`` the gaps' velocity-change estimates, instead of a solution. ``row0``: the grid row of the
        block's first row (a local prior is looked up where each pixel lies on the grid)."""
        n_pix = int(shape[0] * shape[1])
        rows_g, cols_g = _at if _at is not None else (row0 + np.arange(shape[0]), np.arange(shape[1]))
        at = (np.repeat(np.asarray(rows_g, float), len(cols_g)), np.tile(np.asarray(cols_g, float), len(rows_g)))
        n_stk = len(self.plans)
        series, gh, gu, gn, sig_given, drop = [], [], [], [], [], []
        north_code = np.zeros(n_pix, np.uint8)
        nm = self.north
        if nm.mode == "slope":
            sl = self._pixel(inputs, "north:slope_deg", nm.slope_deg, n_pix)
            asp = np.radians(self._pixel(inputs, "north:aspect_deg", nm.aspect_deg, n_pix))
            slope_ok = np.isfinite(sl) & np.isfinite(asp) & (sl >= nm.min_slope_deg)
            north_code[:] = np.where(slope_ok, NORTH_CODES["slope"], NORTH_CODES["slope too gentle (north = 0)"])
            sin_a = np.where(slope_ok, np.sin(asp), 1.0)
            cos_a = np.where(slope_ok, np.cos(asp), 0.0)
        elif nm.mode == "given":
            north_code[:] = NORTH_CODES["given"]
        sig_net = []
        for p in self.plans:
            y, n_drop, s_net = self._stack_series(p, inputs, shape)
            series.append(y)
            drop.append(n_drop)
            sig_net.append(s_net)
            e, n, u = self._stack_vectors(p, inputs, n_pix)
            if nm.mode == "slope":
                gh.append(e * sin_a + n * cos_a)
            else:
                gh.append(e)
            gu.append(u)
            gn.append(n)
            sig_given.append(self._stack_sigma(p, inputs, n_pix))
        gh, gu, gn = np.stack(gh), np.stack(gu), np.stack(gn)
        tr = self.tau[self.dates.index(self.reference_date)]
        north_est = 0
        north_prior = np.zeros(n_pix)
        north_prior_w = np.zeros(n_pix)
        vn = None
        if nm.mode == "given":
            vn = self._pixel(inputs, "north:velocity_mm_yr", nm.velocity_mm_yr, n_pix)
            sn = self._pixel(inputs, "north:sigma_mm_yr", nm.sigma_mm_yr, n_pix)
            if np.any(sn > 0):
                north_est = 1
                north_prior = np.nan_to_num(vn)
                with np.errstate(divide="ignore"):
                    north_prior_w = np.where(sn > 0, 1.0 / np.where(sn > 0, sn, 1.0) ** 2, 1e12)
            else:
                for si, p in enumerate(self.plans):
                    tk = np.array([(d - self.reference_date).days for d in p.dates], float) / DAYS_PER_YEAR
                    series[si] = series[si] - gn[si][None, :] * vn[None, :] * tk[:, None]
        # ---- noise and process density per stack and pixel
        sig = np.full((n_stk, n_pix), np.nan)
        q_los = np.full((n_stk, n_pix), np.nan)
        var_q = np.full((n_stk, n_pix), np.nan)
        coefs = []
        for si, y in enumerate(series):
            t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1 = self.plans[si].stats
            s_est = np.empty(n_pix)
            q_est = np.empty(n_pix)
            c_out = np.empty((kl.size if self._pairs else 0, n_pix))
            _k.series_statistics(t, basis, pinv, kl, g_irw, h_noise, d_net, d_lag1, np.ascontiguousarray(y),
                                 self.min_dates, np.nan_to_num(sig_net[si]), s_est, q_est, c_out)
            coefs.append(c_out)
            q_los[si] = q_est
            sig[si] = s_est
            # the estimate's variance under noise alone (all dates valid): each mode's squared coefficient
            # scatters as a chi-square of one degree of freedom around its expected noise power
            sn2 = np.nan_to_num(sig_net[si]) ** 2
            g_sum = float(np.sum(g_irw))
            if self.unbiased_noise_power and g_sum > 0:
                # the power the median estimate measured, ``mad^2 / k`` (white noise and the drift's share), divided by
                # its mean bias; the density estimate gives back what was subtracted too much
                lag = self.plans[si].noise_design[5]
                pw = s_est ** 2 + sn2 * lag
                s2_u = np.maximum(pw / self.plans[si].noise_power_bias - sn2 * lag, 0.0)
                q_los[si] = q_est + (s_est ** 2 - s2_u) * float(np.sum(h_noise)) / g_sum
            var_q[si] = _density_noise_variance(self.plans[si].noise_design, s_est ** 2, sn2, g_sum,
                                                self.exact_density_variance, h_noise, d_net)
        if _stage == "noise":
            return {"var_q": var_q}
        if self.density_var_ref is not None:
            var_q = np.where(np.isfinite(var_q), self.density_var_ref[:, None], np.nan)
        reg, seg_masks = None, self.segment_stacks
        if self._pairs:
            q_los, var_q, reg, seg_masks = self._with_cross_products(q_los, var_q, gh, gu, coefs, sig, sig_net)
        raw = self._signed_densities(q_los, gh, gu, var_q, reg, seg_masks) if (_stage or self.scene_prior) else None
        if self.scene_prior is None:
            q_e, q_u = (np.maximum(q, self.min_process_noise)
                        for q in _split_process_noise(q_los, gh, gu, 0.0, var_q, reg))
            n_seg = len(self.segment_spans)
            qseg = np.empty((n_seg, 2, n_pix))
            for j, inside in enumerate(seg_masks):
                if self.segment_densities and n_seg > 1:
                    # the period's own stacks: a motion that wandered in one mission and not in the others (a decaying
                    # inflation, a landslide reactivated later) keeps its wander where it happened
                    qj = _split_process_noise(np.where(inside[:, None], q_los, np.nan), gh, gu, 0.0, var_q, reg)
                    for c in (0, 1):
                        # never below the whole series' density: a period of a few years cannot see a wander slower
                        # than its own span (a multi-year cycle), which the whole series does
                        qseg[j, c] = np.where(np.isfinite(qj[c]), np.maximum(qj[c], (q_e, q_u)[c]), (q_e, q_u)[c])
                else:
                    qseg[j, 0], qseg[j, 1] = q_e, q_u
        else:
            q_e, q_u, qseg = self._shrunk_densities(raw, at)
        # ---- observations and weights
        n_obs = self.obs_o.size
        ys = np.empty((n_obs, n_pix))
        ws = np.empty((n_obs, n_pix))
        n_valid = np.zeros((n_stk, n_pix), np.int64)
        row = 0
        no_drift = np.zeros(0)
        for si, p in enumerate(self.plans):
            y = series[si]
            sg = sig_given[si]
            drift, sn2 = no_drift, no_drift
            if sg is None and p.drift_rest is not None:
                # the drift the network modes leave: its variance on every date, on top of the white noise
                s_use = sig[si][None, :]
                drift, sn2 = p.drift_rest, np.nan_to_num(sig_net[si]) ** 2
            elif sg is None:
                s_use = sig[si][None, :]
            else:
                s_use = sg if sg.ndim == 2 else sg[None, :]
                sig[si] = sg if sg.ndim == 1 else np.sqrt(np.nanmean(sg ** 2, axis=0))
            ok_geo = np.isfinite(gh[si]) & np.isfinite(gu[si])
            _k.observation_weights(y, np.ascontiguousarray(s_use, np.float64), self.min_sigma_mm, self.min_dates,
                                   ok_geo, row, ys, ws, n_valid[si], np.ascontiguousarray(drift, np.float64),
                                   np.ascontiguousarray(sn2, np.float64))
            row += y.shape[0]
        modes_in = self._mode_arrays(sig_net, n_pix)
        # ---- which pixels can be solved
        status = np.zeros(n_pix, np.uint8)
        used = n_valid > 0
        status[~used.any(axis=0)] = _k.STATUS_NO_DATA
        cond = _geometry_condition(gh, gu, used)
        status[(status == 0) & ~(cond <= self.max_condition)] = _k.STATUS_GEOMETRY
        todo = np.flatnonzero(status == 0).astype(np.int64)
        if _stage == "densities":
            out = {"raw": raw, "todo": todo}
            if self.prior_mean_error or self.prior_effective_pixels or self.prior_mean_spread:
                infl = self._sample_inflation(series, todo)
                if self._pairs:
                    infl = np.concatenate([infl, [0.5 * (infl[a] + infl[b]) for a, b, *_ in self._pairs]])
                out["split"] = (q_los, gh, gu, var_q, reg, seg_masks, infl)
            return out
        k = self.n_dates
        n_gap = len(self.gaps)
        out = _empty_outputs(k, n_pix, n_stk, n_gap)
        q_e = np.where(np.isfinite(q_e), q_e, self.min_process_noise)
        q_u = np.where(np.isfinite(q_u), q_u, self.min_process_noise)
        qseg = np.where(np.isfinite(qseg), qseg, self.min_process_noise)
        qg = np.empty((n_gap, 2, n_pix))
        gap_raw = self._gap_densities(qg, (ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w),
                                      q_e, q_u, qseg, todo, status, at, _stage) if n_gap else []
        if _stage == "gaps":
            return {"gaps": gap_raw, "todo": todo}
        fun_k, fun_c = self._gap_functionals()
        self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k, fun_c,
                  True, todo, out, status, qseg=qseg)
        if self.refine_noise and todo.size:
            # a stack whose residuals exceed the noise it was given (noise correlated in time, which the lag-1
            # estimate misses): its noise is raised to its residual RMS and the pixel solved again
            scale = np.ones((n_stk, n_pix))
            row = 0
            for si, p in enumerate(self.plans):
                n_s = len(p.dates)
                _k.refine_weights(ws, row, n_s, np.ascontiguousarray(out["res"][si]), n_valid[si], scale[si])
                row += n_s
            again = np.flatnonzero((scale > 1.0).any(axis=0) & (status == 0)).astype(np.int64)
            if again.size:
                sig *= np.where(np.isfinite(sig), scale, 1.0)
                self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k,
                          fun_c, True, again, out, status, qseg=qseg)
        return self._finish(out, status, shape, sig, q_e, q_u, qg, qseg, n_valid, drop, north_code, nm,
                            (sin_a, cos_a) if nm.mode == "slope" else None, north_est, vn, tr)


    def _gap_densities(self, qg, system, q_e, q_u, qseg, todo, status, at, _stage) -> list:
        """The velocity-random-walk density of each gap and component into ``qg`` (from a first solve with the gaps
        almost untied); with the scene prior or a calibration stage, each gap's signed estimates and their variance
        (returned)."""
        ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w = system
        k, n_pix, n_stk = self.n_dates, ys.shape[1], len(self.plans)
        # first pass: gaps almost untied; the change of the one-year mean velocity across each gap
        fun_k, fun_c = self._velocity_change_functionals()
        qg[:] = _Q_UNTIED
        tmp = _empty_outputs(k, n_pix, n_stk, len(fun_k))
        # the whole change of the mean velocity, the deterministic terms' share included: an acceleration fitted
        # over every segment need not be how the velocity changed inside the gap
        self._run(ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k,
                  fun_c, False, todo, tmp, status.copy(), fun_det=True, qseg=qseg)
        gap_raw = []
        for gi, ((ka, kb), win) in enumerate(zip(self.gap_index, self._vel_windows)):
            t_eff = self.tau[win[3]] / 2 + self.tau[kb] / 2 - self.tau[ka] / 2 - self.tau[win[0]] / 2
            # ``sfun^2`` is the variance of the whole change ``dv`` (both edges' velocities); see _GAP_NOISE_SHARE
            ests = [(tmp["fun"][gi, c] ** 2 - _GAP_NOISE_SHARE * tmp["sfun"][gi, c] ** 2) / t_eff
                    for c in (0, 1)]
            if self.scene_prior is not None or _stage:
                # signed, with its variance under noise alone (dv^2 of a normal dv scatters by sqrt(2) var dv)
                var_e = [2.0 * tmp["sfun"][gi, c] ** 4 / (t_eff * t_eff) for c in (0, 1)]
                floor = self.prior_floor
                if self._gap_one_geometry[gi]:
                    # one geometry on a side sees one combination of east and up: how the velocity's change
                    # splits between them is not observed, so the scene's prior (estimated where it is) cannot
                    # lower it; each component keeps at least the pixel's own change, floored as without
                    # calibration
                    floor = np.maximum(np.nan_to_num(np.maximum(ests[0], 0.0) + np.maximum(ests[1], 0.0)),
                                       self.min_gap_process_noise)
                    ests = [ests[0] + ests[1]] * 2
                    var_e = [var_e[0] + var_e[1]] * 2
                gap_raw.append((np.stack(ests), np.stack(var_e)))
                if not _stage:
                    for comp in (0, 1):
                        post = _shrink(ests[comp], var_e[comp], self._prior_at(self.scene_prior["gap"][gi][comp],
                                                                               at))
                        qg[gi, comp] = np.maximum(post, floor)
                continue
            if self._gap_one_geometry[gi]:
                # the change cannot be told east from up: each component may hold all of it
                both = np.maximum(ests[0], 0.0) + np.maximum(ests[1], 0.0)
                ests = [both, both]
            for comp in (0, 1):
                # the change measured across the gap, floored: the segments' own density (noisy and clipped at
                # zero per pixel, so biased up) made the bridge over-cautious, z rms 0.6 on the gap scenarios
                est = ests[comp]
                qg[gi, comp] = np.where(np.isfinite(est), np.maximum(self.min_gap_process_noise, est),
                                        self.min_gap_process_noise)
        return gap_raw


    def _run(self, ys, ws, modes_in, gh, gu, gn, north_est, north_prior, north_prior_w, q_e, q_u, qg, fun_k, fun_c,
             full, todo, out, status, *, qseg, fun_det=None) -> None:
        obs_mode, mode_first, n_mode, mode_w = modes_in
        # one density array for the kernel: the gaps' first, then the periods between them
        q_all = np.ascontiguousarray(np.concatenate([qg, qseg]))
        inc = np.where(self.gap_inc >= 0, self.gap_inc, len(qg) + self.seg_inc).astype(np.int64)
        _k.solve_pixels(ys, ws, self.obs_o, self.obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn,
                        self.tau_k, self.r, self.out_k, self.out_w, self.tau, self.det, self.det_w, north_est,
                        north_prior, north_prior_w, self.wq_inc, q_e, q_u, q_all, inc, self.g_vel, fun_k, fun_c,
                        full if fun_det is None else fun_det, full, full and self.north.mode == "zero", todo, _k.BATCH,
                        out["d"], out["s"],
                        out["vel"], out["svel"], out["fun"], out["sfun"], out["leak"], out["north"], out["snorth"],
                        out["res"], out["nres"], out["chi2"], status)


    def _mode_arrays(self, sig_net, n_pix):
        """Network drift modes of the interferogram stacks: values at the observations, columns, priors."""
        n_stk = len(self.plans)
        n_mode = np.array([0 if p.modes is None else p.modes.shape[1] for p in self.plans], np.int64)
        first = np.concatenate([[0], np.cumsum(n_mode)[:-1]]).astype(np.int64)
        mmax = max(1, int(n_mode.max()) if n_stk else 1)
        obs_mode = np.zeros((self.obs_o.size, mmax))
        mode_w = np.ones((int(n_mode.sum()), n_pix))
        row = 0
        for si, p in enumerate(self.plans):
            n = len(p.dates)
            if p.modes is not None:
                obs_mode[row:row + n, :n_mode[si]] = p.modes
                # closure-free interferograms (sigma 0) pin the modes; no redundancy (NaN) leaves them loose
                sn2 = np.maximum(sig_net[si], 1e-3) ** 2
                for m in range(n_mode[si]):
                    w = 1.0 / (p.mode_var[m] * sn2)
                    mode_w[first[si] + m] = np.where(np.isfinite(w), w, 1.0 / p.mode_var[m])
            row += n
        return obs_mode, first, n_mode, mode_w


def _empty_outputs(k, n_pix, n_stk, n_fun) -> dict:
    nan = np.nan
    return {"d": np.full((2, k, n_pix), nan, np.float32), "s": np.full((2, k, n_pix), nan, np.float32),
            "vel": np.full((2, n_pix), nan), "svel": np.full((2, n_pix), nan), "fun": np.full((n_fun, 2, n_pix), nan),
            "sfun": np.full((n_fun, 2, n_pix), nan), "leak": np.full((2, n_pix), nan),
            "north": np.full(n_pix, nan), "snorth": np.full(n_pix, nan), "res": np.full((n_stk, n_pix), nan),
            "nres": np.zeros((n_stk, n_pix), np.int32), "chi2": np.full(n_pix, nan)}


def _geometry_condition(gh, gu, used) -> np.ndarray:
    """``sqrt(l_max / l_min)`` of ``sum_s g_s g_s^T`` over the stacks used at each pixel (inf when singular)."""
    w = used.astype(float)
    a = np.nansum(w * gh * gh, axis=0)
    b = np.nansum(w * gh * gu, axis=0)
    c = np.nansum(w * gu * gu, axis=0)
    tr = a + c
    det = a * c - b * b
    disc = np.sqrt(np.maximum(tr * tr / 4.0 - det, 0.0))
    lmax, lmin = tr / 2.0 + disc, tr / 2.0 - disc
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.sqrt(lmax / lmin)
    return np.where(lmin > 1e-12 * np.maximum(lmax, 1e-300), cond, np.inf)
