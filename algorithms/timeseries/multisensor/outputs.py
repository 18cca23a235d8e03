"""A block's inputs read per stack and its outputs assembled; point series averaged onto a grid."""

from __future__ import annotations

import numpy as np

from ...errors import GeohazardError
from ...geometry.los import los_unit_vector
from . import kernels as _k
from .model import _StackPlan, los_mm


class _Outputs:
    """A block's inputs read per stack and its outputs assembled."""


    def _gap_functionals(self):
        g = len(self.gap_index)
        fk = np.zeros((g, 2), np.int64)
        fc = np.zeros((g, 2))
        for i, (ka, kb) in enumerate(self.gap_index):
            fk[i] = (ka, kb)
            fc[i] = (-1.0, 1.0)
        return fk, fc


    def _velocity_change_functionals(self):
        g = len(self.gap_index)
        fk = np.zeros((g, 4), np.int64)
        fc = np.zeros((g, 4))
        for i, (a0, ka, kb, b1) in enumerate(self._vel_windows):
            fk[i] = (a0, ka, kb, b1)
            ta = self.tau[ka] - self.tau[a0]
            tb = self.tau[b1] - self.tau[kb]
            if ta <= 0 or tb <= 0:
                continue  # a one-date side: no velocity, the gap keeps the segments' density
            fc[i] = (1.0 / ta, -1.0 / ta, -1.0 / tb, 1.0 / tb)
        return fk, fc


    def _finish(self, out, status, shape, sig, q_e, q_u, qg, qseg, n_valid, drop, north_code, nm, sc, north_est, vn,
                tr) -> dict:
        k = self.n_dates
        rows, cols = shape
        bad = status != 0
        for key in ("d", "s"):
            out[key][:, :, bad] = np.nan
        for key in ("vel", "svel", "leak", "fun", "sfun"):
            out[key][..., bad] = np.nan
        east, s_east = out["d"][0], out["s"][0]
        res = {}
        north = s_north = None
        if nm.mode == "slope":
            sin_a, cos_a = sc
            h, sh = out["d"][0], out["s"][0]
            east, s_east = h * sin_a, sh * np.abs(sin_a)
            north, s_north = h * cos_a, sh * np.abs(cos_a)
            vel_h, svel_h = out["vel"][0], out["svel"][0]
            res["velocity_north"] = (vel_h * cos_a).reshape(shape).astype(np.float32)
            res["sigma_velocity_north"] = (svel_h * np.abs(cos_a)).reshape(shape).astype(np.float32)
            out["vel"][0], out["svel"][0] = vel_h * sin_a, svel_h * np.abs(sin_a)
            gapd, gaps = out["fun"][:, 0], out["sfun"][:, 0]
            out["fun"][:, 0], out["sfun"][:, 0] = gapd * sin_a, gaps * np.abs(sin_a)
        elif nm.mode == "given":
            tk = (self.tau - tr)[:, None]
            if north_est:
                vn, svn = out["north"], out["snorth"]
            else:
                svn = np.zeros(status.size)
            north = np.where(bad, np.nan, vn)[None, :] * tk
            s_north = np.where(bad, np.nan, svn)[None, :] * np.abs(tk)
            res["velocity_north"] = np.where(bad, np.nan, vn).reshape(shape).astype(np.float32)
            res["sigma_velocity_north"] = np.where(bad, np.nan, svn).reshape(shape).astype(np.float32)
        res["east"] = east.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["up"] = out["d"][1].reshape(k, rows, cols)
        res["sigma_east"] = s_east.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["sigma_up"] = out["s"][1].reshape(k, rows, cols)
        if north is not None:
            res["north"] = north.reshape(k, rows, cols).astype(np.float32, copy=False)
            res["sigma_north"] = s_north.reshape(k, rows, cols).astype(np.float32, copy=False)
        res["velocity"] = out["vel"].reshape(2, rows, cols).astype(np.float32)
        res["sigma_velocity"] = out["svel"].reshape(2, rows, cols).astype(np.float32)
        if nm.mode == "zero":
            res["leak_per_north"] = out["leak"].reshape(2, rows, cols).astype(np.float32)
        g = len(self.gaps)
        res["gap_displacement"] = out["fun"].reshape(g, 2, rows, cols).astype(np.float32)
        res["gap_sigma"] = out["sfun"].reshape(g, 2, rows, cols).astype(np.float32)
        res["gap_process_noise"] = np.where(bad, np.nan, qg).reshape(g, 2, rows, cols).astype(np.float32)
        res["process_noise"] = np.where(bad, np.nan, np.stack([q_e, q_u])).reshape(2, rows, cols).astype(np.float32)
        res["period_process_noise"] = np.where(bad, np.nan, qseg).reshape(len(qseg), 2, rows,
                                                                          cols).astype(np.float32)
        res["noise_sigma"] = sig.reshape(len(self.plans), rows, cols).astype(np.float32)
        res["residual_rms"] = out["res"].reshape(len(self.plans), rows, cols).astype(np.float32)
        res["observations"] = n_valid.reshape(len(self.plans), rows, cols).astype(np.int32)
        res["dropped"] = np.stack(drop).reshape(len(self.plans), rows, cols).astype(np.int32)
        res["chi2"] = out["chi2"].reshape(rows, cols).astype(np.float32)
        res["status"] = status.reshape(rows, cols)
        res["north_mode"] = north_code.reshape(rows, cols)
        return res


    # ------------------------------------------------------------------ per-stack pieces
    @staticmethod
    def _pixel(inputs, key, value, n_pix) -> np.ndarray:
        if key in inputs:
            return np.asarray(inputs[key], np.float64).reshape(-1)
        return np.full(n_pix, float(value))


    def _stack_vectors(self, p: _StackPlan, inputs, n_pix):
        s = p.spec
        if p.const_vec is not None:
            return tuple(np.full(n_pix, v) for v in p.const_vec)
        if s.los_east is not None and s.los_north is not None and s.los_up is not None:
            return tuple(self._pixel(inputs, f"{s.name}:{k}", getattr(s, k), n_pix)
                         for k in ("los_east", "los_north", "los_up"))
        inc = self._pixel(inputs, f"{s.name}:incidence_deg", s.incidence_deg, n_pix)
        head = self._pixel(inputs, f"{s.name}:heading_deg", s.heading_deg, n_pix)
        inc = np.where((inc > 0) & (inc < 90), inc, np.nan)
        e, n, u = los_unit_vector(inc, head, look=s.look)
        return np.asarray(e, float), np.asarray(n, float), np.asarray(u, float)


    def _stack_sigma(self, p: _StackPlan, inputs, n_pix):
        s = p.spec
        if s.sigma_mm is None:
            return None
        key = f"{s.name}:sigma_mm"
        if key in inputs:
            a = np.asarray(inputs[key], np.float64)
            if a.ndim == 3:
                a = a.reshape(a.shape[0], -1)
                if p.order is not None:
                    a = a[p.order]
                return a
            return a.reshape(-1)
        return np.full(n_pix, float(s.sigma_mm))


    def _stack_series(self, p: _StackPlan, inputs, shape):
        """The stack's per-date LOS series (N, n_pix) in mm, and the pixels dropped by the network solve."""
        s = p.spec
        v = np.asarray(inputs[s.name], np.float64)
        n_pix = int(shape[0] * shape[1])
        if v.shape[0] != p.n_obs:
            raise GeohazardError(f"stack {s.name!r}: {v.shape[0]} bands were read, expected {p.n_obs}")
        v = v.reshape(p.n_obs, n_pix)
        v = los_mm(v, s.units, s.wavelength_m, s.phase_sign)
        if s.reference_values is not None:
            v = v - np.asarray(s.reference_values, np.float64)[:, None]
        drop = np.zeros(n_pix, np.int32)
        if p.network is None:
            if p.order is not None:
                v = v[p.order]
            return v, drop, np.zeros(n_pix)
        if np.any(p.sign != 1):
            v = v * p.sign[:, None]
        coh = inputs.get(f"{s.name}:coherence")
        if coh is not None:
            coh = np.asarray(coh, np.float64).reshape(p.n_obs, n_pix)
        res = p.solver.solve(v, coherence=coh)
        # the solver's own array (not a view of the input): NaN is written into it below
        ts = np.asarray(res.timeseries_mm, np.float64).reshape(len(p.dates), n_pix)
        split = np.asarray(res.disconnected).reshape(-1)
        ts[:, split] = np.nan
        drop[split] = 1
        s_net = np.empty(n_pix)
        _k.network_residual_sigma(v, ts, p.network.ref_index, p.network.sec_index, len(p.dates), s_net)
        return ts, drop, s_net


def grid_points_to_stack(x, y, series, los_east, los_north, los_up, grid, *, sigma=None):
    """Average point LOS series (EGMS L2a/L2b, PS) onto a grid's cells.

    Parameters
    ----------
    x, y : ndarray (n,)
        Point coordinates in the grid's CRS.
    series : ndarray (n_dates, n)
        LOS displacement, mm (NaN = missing).
    los_east, los_north, los_up : ndarray (n,)
        Each point's ground-to-satellite unit vector.
    grid : :class:`algorithms.geometry.decomposition.Grid`
    sigma : ndarray (n,), optional
        Per-point noise (e.g. EGMS ``rmse``), combined as the standard error of the cell mean.

    Returns
    -------
    dict
        ``values`` (n_dates, rows, cols) cell means (NaN where no point), ``los_east``,
        ``los_north``, ``los_up`` (rows, cols) mean unit vectors (renormalised), ``count``
        (rows, cols) points per cell, ``sigma`` (rows, cols) or None.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    series = np.asarray(series, float)
    if series.ndim != 2 or series.shape[1] != x.size:
        raise GeohazardError(f"series has shape {series.shape}, expected (n_dates, {x.size})")
    r, c = grid.cell_index(x, y)
    inside = r >= 0
    cell = (r * grid.n_cols + c)[inside]
    ncell = grid.n_rows * grid.n_cols
    count = np.bincount(cell, minlength=ncell).astype(float)
    vals = np.full((series.shape[0], ncell), np.nan)
    for t in range(series.shape[0]):
        v = series[t, inside]
        ok = np.isfinite(v)
        s = np.bincount(cell[ok], weights=v[ok], minlength=ncell)
        n = np.bincount(cell[ok], minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            vals[t] = np.where(n > 0, s / n, np.nan)
    vec = []
    for comp in (los_east, los_north, los_up):
        s = np.bincount(cell, weights=np.asarray(comp, float)[inside], minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            vec.append(np.where(count > 0, s / count, np.nan))
    norm = np.sqrt(vec[0] ** 2 + vec[1] ** 2 + vec[2] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        vec = [v / norm for v in vec]
    sig = None
    if sigma is not None:
        s2 = np.bincount(cell, weights=np.asarray(sigma, float)[inside] ** 2, minlength=ncell)
        with np.errstate(invalid="ignore", divide="ignore"):
            sig = np.where(count > 0, np.sqrt(s2) / count, np.nan).reshape(grid.n_rows, grid.n_cols)
    shp = (grid.n_rows, grid.n_cols)
    return {"values": vals.reshape((series.shape[0],) + shp), "los_east": vec[0].reshape(shp),
            "los_north": vec[1].reshape(shp), "los_up": vec[2].reshape(shp), "count": count.reshape(shp),
            "sigma": sig}
