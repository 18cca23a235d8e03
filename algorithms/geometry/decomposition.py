"""Ascending + descending LOS decomposition into east-west and vertical motion.

Model: every LOS observation ``d`` (mm or mm/yr, positive toward the satellite) of a
ground motion ``(E, N, U)`` seen along the ground-to-satellite unit vector ``(e, n, u)``
is ``d = e E + n N + u U``. Polar-orbit SAR is almost blind to north-south motion
(``|n| < 0.12`` for Sentinel-1), so two geometries cannot resolve three components:
``N`` is either **neglected** (``N = 0``) or **constrained** to a value the user knows
(GNSS, a model), and moved to the left-hand side, ``d - n N = e E + u U``. ``E`` and
``U`` then follow by (weighted) least squares over all observations of a cell::

    Nm = sum_i w_i a_i a_i^T,  b = sum_i w_i a_i (d_i - n_i N),  x = Nm^-1 b,   a_i = (e_i, u_i)

Uncertainty: with per-observation standard deviations ``sigma_i`` the covariance of
``x`` is the sandwich ``Nm^-1 (sum_i w_i^2 sigma_i^2 a_i a_i^T) Nm^-1``, which reduces
to ``Nm^-1`` for inverse-variance weights ``w_i = 1 / sigma_i^2``. The condition number
of the geometry ``sqrt(lambda_max / lambda_min)`` of ``sum_i a_i a_i^T`` tells how well
the two components are separated (about 1.3 for Sentinel-1 ascending + descending,
growing without bound when both views look the same way).

With unit weights and one observation per persistent scatterer this is exactly the
per-cell least squares of the EGMS L3 "Ortho" product (Copernicus EGMS, 100 m cells in
EPSG:3035 whose edges lie on multiples of 100 m, i.e. centres at ``k * 100 + 50`` as in the
official L3 GeoTIFF tiles and the INSPIRE Grid_ETRS89-LAEA, both orbit directions required
in a cell). Time series are decomposed date by date after both stacks are interpolated onto
a common set of dates (:func:`interpolate_to_dates`).

References
----------
Manzo M. et al. (2006), doi:10.1016/j.jvolgeores.2005.11.010; Costantini M. et al.
(2025) EGMS product description; the open EGMS Ortho reference implementation
(github.com/FilSantarelli/egms-ortho-product, EUPL-1.2) for the gridding convention.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..progress import check_canceled


@dataclass
class Grid:
    """A north-up grid: top-left corner, square cell size (metres) and size."""

    x0: float
    y0: float
    cell_m: float
    n_rows: int
    n_cols: int

    @property
    def geotransform(self) -> tuple:
        return (self.x0, self.cell_m, 0.0, self.y0, 0.0, -self.cell_m)

    def cell_index(self, x, y):
        """(row, col) integer cell of each point; -1 outside the grid."""
        col = np.floor((np.asarray(x, float) - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((self.y0 - np.asarray(y, float)) / self.cell_m).astype(np.int64)
        out = (row < 0) | (row >= self.n_rows) | (col < 0) | (col >= self.n_cols)
        row[out] = -1
        col[out] = -1
        return row, col


def grid_for_points(x, y, cell_m: float, *, origin_x: float = 0.0, origin_y: float = 0.0) -> Grid:
    """Grid covering points with cell edges on ``origin + k * cell_m`` (EGMS L3 convention).

    With the default origin (0, 0) the cell edges lie on multiples of ``cell_m`` and the
    centres at ``k * cell_m + cell_m / 2``: the layout of the official EGMS L3 tiles
    (100 m in EPSG:3035) and of the INSPIRE Grid_ETRS89-LAEA. A point on an edge belongs to
    the cell east / south of it (:meth:`Grid.cell_index`).

    Parameters
    ----------
    x, y : ndarray
        Point coordinates in a projected CRS (metres), e.g. EPSG:3035 for EGMS.
    cell_m : float
        Cell size in metres (EGMS L3: 100).
    origin_x, origin_y : float
        Any point on a cell corner (metres); the grid is snapped to it.
    """
    if not cell_m > 0:
        raise GeohazardError(f"cell size must be > 0 metres, got {cell_m!r}")
    for name, val in (("origin_x", origin_x), ("origin_y", origin_y)):
        if not math.isfinite(val):
            raise GeohazardError(f"{name} must be a finite coordinate in metres, got {val!r}")
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise GeohazardError("no point has finite coordinates")
    # reduce the origin to one cell so large offsets do not cost precision
    ox = origin_x - math.floor(origin_x / cell_m) * cell_m
    oy = origin_y - math.floor(origin_y / cell_m) * cell_m
    xmin, xmax = x[ok].min(), x[ok].max()
    ymin, ymax = y[ok].min(), y[ok].max()
    c0 = math.floor((xmin - ox) / cell_m)
    c1 = math.floor((xmax - ox) / cell_m)
    r_top = math.ceil((ymax - oy) / cell_m)  # north edge of the top row, index in cells
    y0 = oy + r_top * cell_m
    n_cols, n_rows = c1 - c0 + 1, math.floor((y0 - ymin) / cell_m) + 1
    if n_cols * n_rows > 400_000_000:
        raise GeohazardError(f"the points span {n_rows} x {n_cols} cells of {cell_m:g} m; use a larger cell size")
    return Grid(ox + c0 * cell_m, y0, float(cell_m), int(n_rows), int(n_cols))


def grid_from_geotransform(geotransform, n_rows: int, n_cols: int, *, name: str = "template") -> Grid:
    """The :class:`Grid` of a north-up raster with square cells (a template to snap to).

    Raises
    ------
    GeohazardError
        When the raster is rotated, not north-up or its cells are not square.
    """
    x0, dx, rx, y0, ry, dy = (float(v) for v in geotransform)
    if rx != 0.0 or ry != 0.0:
        raise GeohazardError(f"{name} is rotated (geotransform {tuple(geotransform)}); a north-up grid is needed")
    if not (dx > 0 and dy < 0):
        raise GeohazardError(f"{name} is not north-up with positive cell size (geotransform {tuple(geotransform)})")
    if not math.isclose(dx, -dy, rel_tol=1e-9):
        raise GeohazardError(f"{name} has {dx:g} x {-dy:g} cells; square cells are needed")
    if n_rows < 1 or n_cols < 1:
        raise GeohazardError(f"{name} has no cells ({n_rows} x {n_cols})")
    return Grid(x0, y0, dx, int(n_rows), int(n_cols))


class EastUpAccumulator:
    """Accumulate LOS observations per cell and solve for east and up (see module notes).

    Parameters
    ----------
    n_cells : int
        Number of cells (flattened grid or pixels).
    n_epochs : int
        1 for velocities, ``n_dates`` for time series (the geometry is shared by all
        epochs; an observation missing at one epoch is left out of that epoch only).
    """

    def __init__(self, n_cells: int, n_epochs: int = 1):
        self.n_cells = int(n_cells)
        self.n_epochs = int(n_epochs)
        k = (self.n_epochs, self.n_cells)
        # normal matrix and sandwich terms per epoch (NaN gaps make them epoch-dependent)
        self.see, self.seu, self.suu = np.zeros(k), np.zeros(k), np.zeros(k)
        self.be, self.bu = np.zeros(k), np.zeros(k)
        self.vee, self.veu, self.vuu = np.zeros(k), np.zeros(k), np.zeros(k)
        self.has_sigma = True
        self.count = np.zeros(k, dtype=np.int64)
        self.geoms = np.zeros(k, dtype=np.int64)  # bit mask of contributing geometries
        self.gee = np.zeros(self.n_cells)
        self.geu = np.zeros(self.n_cells)
        self.guu = np.zeros(self.n_cells)

    def add(self, cells, d, e, n, u, *, sigma=None, weights=None, north=0.0, geometry: int = 0):
        """Add observations.

        Parameters
        ----------
        cells : ndarray of int, shape (m,)
            Flat cell index of each observation (negative = outside, ignored).
        d : ndarray, shape (m,) or (n_epochs, m)
            LOS value(s), positive toward the satellite; NaN = missing.
        e, n, u : ndarray, shape (m,) or scalar
            Ground-to-satellite unit vector of each observation.
        sigma : ndarray, shape (m,), optional
            Standard deviation of ``d`` (same unit). Without it no uncertainty is given.
        weights : ndarray, shape (m,), optional
            Least-squares weights (default 1, the EGMS L3 choice).
        north : float or ndarray, shape (m,)
            North motion assumed at each observation (0 = neglected).
        geometry : int
            Index (0..62) of the acquisition geometry (ascending = 0, descending = 1 ...).
        """
        cells = np.asarray(cells, dtype=np.int64).ravel()
        m = cells.size
        dd = np.asarray(d, dtype=np.float64)
        if dd.ndim == 1:
            dd = dd[None, :]
        if dd.shape != (self.n_epochs, m):
            raise GeohazardError(f"LOS data has shape {np.asarray(d).shape}, expected ({self.n_epochs}, {m}) "
                                 f"or ({m},)")
        e = np.broadcast_to(np.asarray(e, dtype=np.float64), (m,))
        n = np.broadcast_to(np.asarray(n, dtype=np.float64), (m,))
        u = np.broadcast_to(np.asarray(u, dtype=np.float64), (m,))
        w = np.ones(m) if weights is None else np.broadcast_to(np.asarray(weights, dtype=np.float64), (m,))
        if sigma is None:
            self.has_sigma = False
            s2 = np.zeros(m)
        else:
            s2 = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (m,)) ** 2
        nn = np.broadcast_to(np.asarray(north, dtype=np.float64), (m,))
        ok_geom = (cells >= 0) & np.isfinite(e) & np.isfinite(u) & np.isfinite(n) & np.isfinite(w) & (w > 0)
        if sigma is not None:
            ok_geom &= np.isfinite(s2)
        if np.any(ok_geom):
            c = cells[ok_geom]
            self.gee += np.bincount(c, weights=e[ok_geom] ** 2, minlength=self.n_cells)
            self.geu += np.bincount(c, weights=e[ok_geom] * u[ok_geom], minlength=self.n_cells)
            self.guu += np.bincount(c, weights=u[ok_geom] ** 2, minlength=self.n_cells)
        bit = 1 << int(geometry)
        for t in range(self.n_epochs):
            ok = ok_geom & np.isfinite(dd[t])
            if not ok.any():
                continue
            c = cells[ok]
            ww, ee, uu = w[ok], e[ok], u[ok]
            y = dd[t, ok] - nn[ok] * n[ok]
            nc = self.n_cells
            w2s2 = ww * ww * s2[ok]
            for acc, wts in ((self.see, ww * ee * ee), (self.seu, ww * ee * uu), (self.suu, ww * uu * uu),
                             (self.be, ww * ee * y), (self.bu, ww * uu * y), (self.vee, w2s2 * ee * ee),
                             (self.veu, w2s2 * ee * uu), (self.vuu, w2s2 * uu * uu)):
                acc[t] += np.bincount(c, weights=wts, minlength=nc)
            self.count[t] += np.bincount(c, minlength=nc)
            self.geoms[t][c] |= bit

    def solve(self, *, min_geometries: int = 2, max_condition: float = 10.0):
        """Solve every cell.

        Parameters
        ----------
        min_geometries : int
            Cells seen by fewer distinct geometries give NaN (EGMS L3: 2).
        max_condition : float
            Cells whose geometry condition number exceeds this give NaN.

        Returns
        -------
        dict of ndarray
            ``east``, ``up`` (n_epochs, n_cells); ``sigma_east``, ``sigma_up``
            (n_epochs, n_cells, NaN without sigmas); ``condition`` (n_cells);
            ``count`` (n_epochs, n_cells) observations used.
        """
        det = self.see * self.suu - self.seu ** 2
        n_geom = np.zeros(self.geoms.shape, dtype=np.int64)
        g = self.geoms.copy()
        while np.any(g):
            n_geom += g & 1
            g >>= 1
        tr = self.gee + self.guu
        gdet = self.gee * self.guu - self.geu ** 2
        disc = np.sqrt(np.maximum(tr * tr / 4.0 - gdet, 0.0))
        lmax, lmin = tr / 2.0 + disc, tr / 2.0 - disc
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = np.sqrt(lmax / lmin)
        cond = np.where(lmax > 0, cond, np.nan)
        cond = np.where((lmin <= 1e-12 * np.maximum(lmax, 1e-300)) & (lmax > 0), np.inf, cond)
        ok = (n_geom >= min_geometries) & (det > 1e-12) & (cond[None, :] <= max_condition)
        with np.errstate(divide="ignore", invalid="ignore"):
            i_ee, i_eu, i_uu = self.suu / det, -self.seu / det, self.see / det
            east = i_ee * self.be + i_eu * self.bu
            up = i_eu * self.be + i_uu * self.bu
            if self.has_sigma:
                # sandwich  C = Ni V Ni  for the 2x2 symmetric matrices
                c_ee = (i_ee * (i_ee * self.vee + i_eu * self.veu) + i_eu * (i_ee * self.veu + i_eu * self.vuu))
                c_uu = (i_eu * (i_eu * self.vee + i_uu * self.veu) + i_uu * (i_eu * self.veu + i_uu * self.vuu))
                s_e, s_u = np.sqrt(np.maximum(c_ee, 0)), np.sqrt(np.maximum(c_uu, 0))
            else:
                s_e = s_u = np.full(east.shape, np.nan)
        nan = np.nan
        return {"east": np.where(ok, east, nan), "up": np.where(ok, up, nan),
                "sigma_east": np.where(ok, s_e, nan), "sigma_up": np.where(ok, s_u, nan),
                "condition": cond, "count": np.where(ok, self.count, 0)}


def decompose_los(los, east_vec, north_vec, up_vec, *, sigma=None, north_mm=0.0, weighted: bool = False,
                  max_condition: float = 10.0):
    """Decompose co-registered LOS rasters of two or more geometries into east and up.

    Parameters
    ----------
    los : sequence of ndarray, each shape (rows, cols) or (n_dates, rows, cols)
        LOS velocity (mm/yr) or displacement (mm) of each geometry, positive toward the
        satellite, on the same grid (and, for time series, on the same dates).
    east_vec, north_vec, up_vec : sequence of float or ndarray (rows, cols)
        Ground-to-satellite unit vector of each geometry
        (:func:`algorithms.geometry.los.los_unit_vector`).
    sigma : sequence of float or ndarray, optional
        Standard deviation of each LOS input, same unit.
    north_mm : float or ndarray (rows, cols)
        North motion assumed (0 = neglected), same unit as ``los``.
    weighted : bool
        Inverse-variance weights (needs ``sigma``); default unit weights.
    max_condition : float
        Pixels with a worse geometry condition number give NaN.

    Returns
    -------
    dict of ndarray
        ``east``, ``up``, ``sigma_east``, ``sigma_up`` with the shape of ``los[0]``,
        ``condition`` (rows, cols), ``count`` (geometries used).

    Notes
    -----
    With exactly two geometries the solution is the exact 2x2 inverse
    ``[E, U] = A^-1 (d - n N)``; synthetic motion is recovered to rounding error.
    """
    if len(los) < 2:
        raise GeohazardError(f"decomposition needs at least two geometries (ascending and descending), "
                             f"got {len(los)}")
    arrays = [np.asarray(a, dtype=np.float64) for a in los]
    shape = arrays[0].shape
    for i, a in enumerate(arrays[1:], start=1):
        if a.shape != shape:
            raise GeohazardError(f"LOS input {i + 1} has shape {a.shape}, expected {shape} like input 1")
    spatial = shape[-2:]
    n_epochs = 1 if len(shape) == 2 else shape[0]
    n_cells = int(np.prod(spatial))
    acc = EastUpAccumulator(n_cells, n_epochs)
    cells = np.arange(n_cells)
    for i, a in enumerate(arrays):
        sig = None if sigma is None else np.broadcast_to(np.asarray(sigma[i], float), spatial).ravel()
        w = None
        if weighted:
            if sig is None:
                raise GeohazardError("weighted decomposition needs sigma for every input")
            with np.errstate(divide="ignore"):
                w = 1.0 / sig ** 2
        acc.add(cells, a.reshape(n_epochs, n_cells),
                np.broadcast_to(np.asarray(east_vec[i], float), spatial).ravel(),
                np.broadcast_to(np.asarray(north_vec[i], float), spatial).ravel(),
                np.broadcast_to(np.asarray(up_vec[i], float), spatial).ravel(),
                sigma=sig, weights=w, north=np.broadcast_to(np.asarray(north_mm, float), spatial).ravel(),
                geometry=i)
    res = acc.solve(min_geometries=2, max_condition=max_condition)
    out = {}
    for k in ("east", "up", "sigma_east", "sigma_up", "count"):
        out[k] = res[k].reshape(shape)
    out["condition"] = res["condition"].reshape(spatial)
    return out


def interpolate_to_dates(values, dates: Sequence[_dt.date], target_dates: Sequence[_dt.date], *,
                         max_gap_days: Optional[float] = None):
    """Linear-in-time interpolation of a stack onto other dates (no extrapolation).

    Parameters
    ----------
    values : ndarray, shape (n_dates, ...)
        Displacements (mm) on ``dates`` (increasing); NaN = missing, skipped per series.
    dates, target_dates : sequence of datetime.date
    max_gap_days : float, optional
        A target date whose bracketing valid acquisitions are more than this apart gives
        NaN (EGMS L3 reference: 90 days). Target dates outside a series' valid span give NaN.

    Returns
    -------
    ndarray, shape (len(target_dates), ...)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.shape[0] != len(dates):
        raise GeohazardError(f"values have {v.shape[0]} dates along axis 0 but {len(dates)} dates were given")
    t = np.array([d.toordinal() for d in dates], dtype=np.float64)
    if np.any(np.diff(t) <= 0):
        raise GeohazardError("dates must be strictly increasing")
    tt = np.array([d.toordinal() for d in target_dates], dtype=np.float64)
    flat = v.reshape(v.shape[0], -1)
    out = np.full((tt.size, flat.shape[1]), np.nan)
    finite = np.isfinite(flat)
    full = finite.all(axis=0)
    # fast path: series without gaps share the bracketing indices
    j = np.clip(np.searchsorted(t, tt, side="right") - 1, 0, t.size - 2) if t.size > 1 else np.zeros(tt.size, int)
    if t.size > 1 and full.any():
        t0, t1 = t[j], t[j + 1]
        f = (tt - t0) / (t1 - t0)
        inside = (tt >= t[0]) & (tt <= t[-1])
        if max_gap_days is not None:
            inside &= (t1 - t0) <= max_gap_days
        block = flat[:, full]
        res = block[j] * (1 - f)[:, None] + block[j + 1] * f[:, None]
        res[~inside] = np.nan
        out[:, full] = res
    for col in np.nonzero(~full)[0]:
        ok = finite[:, col]
        if ok.sum() < 2:
            continue
        ts, vs = t[ok], flat[ok, col]
        res = np.interp(tt, ts, vs, left=np.nan, right=np.nan)
        if max_gap_days is not None:
            k = np.clip(np.searchsorted(ts, tt, side="right") - 1, 0, ts.size - 2)
            gap = ts[k + 1] - ts[k]
            res[(gap > max_gap_days) & ~np.isin(tt, ts)] = np.nan
        out[:, col] = res
    return out.reshape((tt.size,) + v.shape[1:])


def common_dates(dates_a: Sequence[_dt.date], dates_b: Sequence[_dt.date], *, spacing_days: int = 6,
                 start: Optional[_dt.date] = None):
    """Regular dates every ``spacing_days`` over the overlap of two acquisition lists.

    ``start`` defaults to the later of the two first dates (EGMS L3 uses a 6-day
    cadence from its first date). Raises when the two lists do not overlap in time.
    """
    if spacing_days < 1:
        raise GeohazardError(f"spacing_days must be >= 1, got {spacing_days!r}")
    lo = max(min(dates_a), min(dates_b))
    hi = min(max(dates_a), max(dates_b))
    if start is not None:
        lo = max(lo, start)
    if hi < lo:
        raise GeohazardError(f"the two time series do not overlap in time: {min(dates_a)}..{max(dates_a)} "
                             f"and {min(dates_b)}..{max(dates_b)}")
    n = (hi - lo).days // spacing_days + 1
    return [lo + _dt.timedelta(days=spacing_days * i) for i in range(n)]


def velocity_from_series(series, dates: Sequence[_dt.date], *, seasonal: bool = True):
    """Mean velocity (unit per year) of stacks by least squares, with optional annual term.

    Model ``d(t) = c + v t [+ a (cos(2 pi t) - 1) + b sin(2 pi t)]``, ``t`` in years of
    365.25 days from the first date (EGMS's mean_velocity model). NaNs are skipped
    per series.

    Parameters
    ----------
    series : ndarray, shape (n_dates, ...)
    dates : sequence of datetime.date

    Returns
    -------
    ndarray, shape (...)
    """
    y = np.asarray(series, dtype=np.float64)
    t = np.array([(d - dates[0]).days for d in dates], dtype=np.float64) / 365.25
    cols = [np.ones_like(t), t]
    if seasonal:
        cols += [np.cos(2 * np.pi * t) - 1.0, np.sin(2 * np.pi * t)]
    a = np.stack(cols, axis=1)
    flat = y.reshape(y.shape[0], -1)
    out = np.full(flat.shape[1], np.nan)
    full = np.isfinite(flat).all(axis=0)
    if full.any():
        coef, *_ = np.linalg.lstsq(a, flat[:, full], rcond=None)
        out[full] = coef[1]
    for col in np.nonzero(~full)[0]:
        ok = np.isfinite(flat[:, col])
        if ok.sum() > a.shape[1]:
            coef, *_ = np.linalg.lstsq(a[ok], flat[ok, col], rcond=None)
            out[col] = coef[1]
    return out.reshape(y.shape[1:])


def decompose_point_sets(data, grid, *, north=0.0, weighted=False, max_condition=10.0, ts=False, spacing=6,
                         max_gap=90.0, progress=None):
    """Grid point sets (one per geometry) and decompose velocities and, optionally, time series.

    Parameters
    ----------
    data : sequence of dict
        Per geometry: ``x``, ``y`` (grid CRS, m), ``v`` (LOS velocity mm/yr), ``sigma``
        (its std or None), ``e``, ``n``, ``u`` (LOS unit vectors), and for time series
        ``series`` (n_dates, n_points) in mm with ``dates``.
    grid : Grid
    north : float
        North velocity assumed (mm/yr; 0 = neglected). Time series are decomposed with
        north displacement neglected.
    weighted : bool
        Inverse-variance weights from ``sigma``.
    max_condition : float
    ts : bool
        Also decompose the time series on common dates every ``spacing`` days, bridging
        gaps up to ``max_gap`` days.

    Returns
    -------
    out : dict of ndarray
        ``east``, ``up``, ``sigma_east``, ``sigma_up``, ``count``, ``condition`` on the
        grid, plus ``east_ts``/``up_ts`` (n_dates, rows, cols) with ``ts``. With ``ts``
        ``east``/``up`` are the velocities fitted to the decomposed series (linear +
        annual, as EGMS L3) and the velocity-level solution is kept as
        ``east_from_velocity``/``up_from_velocity``; sigmas are those of the
        velocity-level solution.
    dates : list of datetime.date
        Common dates (empty without ``ts``).
    """
    n_cells = grid.n_rows * grid.n_cols
    acc = EastUpAccumulator(n_cells, 1)
    for gi, d in enumerate(data):
        r, c = grid.cell_index(d["x"], d["y"])
        cells = np.where(r >= 0, r * grid.n_cols + c, -1)
        w = None
        if weighted:
            if d["sigma"] is None:
                raise GeohazardError("inverse-variance weighting needs point standard deviations (sigma)")
            with np.errstate(divide="ignore"):
                w = 1.0 / d["sigma"] ** 2
        acc.add(cells, d["v"], d["e"], d["n"], d["u"], sigma=d["sigma"], weights=w, north=north, geometry=gi)
        d["cells"] = cells
    res = acc.solve(min_geometries=2, max_condition=max_condition)
    shape = (grid.n_rows, grid.n_cols)
    out = {k: res[k][0].reshape(shape) for k in ("east", "up", "sigma_east", "sigma_up", "count")}
    out["condition"] = res["condition"].reshape(shape)
    dates = []
    if ts:
        dates = common_dates(data[0]["dates"], data[1]["dates"], spacing_days=spacing)
        acc_ts = EastUpAccumulator(n_cells, len(dates))
        for gi, d in enumerate(data):
            check_canceled(progress)
            series = interpolate_to_dates(d["series"], d["dates"], dates, max_gap_days=max_gap)
            acc_ts.add(d["cells"], series, d["e"], d["n"], d["u"], north=0.0, geometry=gi)
        r2 = acc_ts.solve(min_geometries=2, max_condition=max_condition)
        out["east_ts"] = r2["east"].reshape((len(dates),) + shape)
        out["up_ts"] = r2["up"].reshape((len(dates),) + shape)
        # EGMS L3: the velocities are fitted to the decomposed series
        out["east_from_velocity"], out["up_from_velocity"] = out["east"], out["up"]
        out["east"] = velocity_from_series(out["east_ts"], dates)
        out["up"] = velocity_from_series(out["up_ts"], dates)
    if progress is not None:
        progress.set_progress(100.0)
    return out, dates


def decompose_block(block, inputs, *, vec, sigma=None, north=0.0, weighted=False, max_condition=10.0,
                    date_lists=(), common=(), max_gap=90.0):
    """Engine block function of two co-registered LOS rasters ``asc`` and ``desc`` (bands, rows, cols).

    Without ``date_lists`` band 1 of each is a velocity (mm/yr) and the velocities are decomposed
    (:func:`decompose_los`, ``vec`` its three per-geometry unit-vector components). With them the dated
    bands are interpolated onto ``common`` (gaps up to ``max_gap`` days bridged), decomposed date by date
    with north displacement neglected, and the east/up velocities fitted to the decomposed series (the EGMS
    L3 route; ``east_ts``/``up_ts`` kept, sigmas unknown).
    """
    stacks = [inputs["asc"], inputs["desc"]]
    if not date_lists:
        return decompose_los([s[0] for s in stacks], *vec, sigma=sigma, north_mm=north, weighted=weighted,
                             max_condition=max_condition)
    stacks = [interpolate_to_dates(s, dl, common, max_gap_days=max_gap) for s, dl in zip(stacks, date_lists)]
    res = decompose_los(stacks, *vec, north_mm=north, max_condition=max_condition)
    east = velocity_from_series(res["east"], common)
    return {"east_ts": res["east"], "up_ts": res["up"], "condition": res["condition"],
            "count": res["count"].max(axis=0), "east": east, "up": velocity_from_series(res["up"], common),
            "sigma_east": np.full(east.shape, np.nan), "sigma_up": np.full(east.shape, np.nan)}


def points_grid(x, y, *, template: Optional[Grid] = None, cell_m: float = 100.0, origin_x: float = 0.0,
                origin_y: float = 0.0):
    """``(grid, n_outside)``: ``template`` (points outside it counted; all outside is an error) or the grid
    of :func:`grid_for_points` over the points."""
    if template is None:
        return grid_for_points(x, y, cell_m, origin_x=origin_x, origin_y=origin_y), 0
    r, _ = template.cell_index(x, y)
    n_out = int((r < 0).sum())
    if n_out == len(x):
        raise GeohazardError("no point of ASC_POINTS/DESC_POINTS falls inside TEMPLATE")
    return template, n_out


class ConditionTally:
    """Cells decomposed and the median condition number of their geometry, gathered block by block."""

    def __init__(self):
        self.n_valid = 0
        self._conditions = []

    def add(self, res: dict) -> None:
        valid = np.isfinite(res["up"])
        self.n_valid += int(valid.sum())
        self._conditions.append(res["condition"][valid])

    def summary(self) -> str:
        med = float(np.median(np.concatenate(self._conditions))) if self.n_valid else float("nan")
        return f"{self.n_valid} cells decomposed; median condition number {med:.3f}"
