"""DEM error (topographic residual) correction of a displacement time series.

An error ``dz`` of the DEM used to flatten the interferograms leaves in the time series a
term proportional to the perpendicular baseline of each date (Fattahi & Amelung 2013):

    d(t_n) = B_perp(t_n) / (R sin(theta)) * dz  +  model(t_n)  +  noise,

with ``R`` the slant range and ``theta`` the incidence angle. ``model`` is the deformation: a
polynomial in time (degree 2 by default, as MintPy ``dem_error.py``) plus optional steps
(Heaviside functions at given dates). The least-squares estimate of ``dz`` per pixel is
removed from the series: ``d_cor = d - B_perp / (R sin(theta)) * dz``.

All pixels share the design matrix up to the scale ``1 / (R sin(theta))`` of its first
column, so the fit is done once for all pixels with ``B_perp`` as the column and ``dz`` is
rescaled per pixel: exact, and one matrix product per block. The corrected time series does
not depend on ``R`` and ``theta`` (they only scale ``dz``); the DEM error raster does.

Units: displacement in mm (LOS, positive toward the satellite), baselines, slant range and
DEM error in metres, incidence in degrees. Sign: as MintPy (``G_geom = bperp / (R sin inc)``,
``dz`` in metres), so the DEM error of the same stack and baselines has the same sign.

References
----------
Fattahi, H., Amelung, F. (2013). DEM error correction in InSAR time series. IEEE TGRS 51(7),
4249-4259, doi:10.1109/TGRS.2012.2227761.
Yunjun, Z., Fattahi, H., Amelung, F. (2019). Computers & Geosciences 133, 104331,
doi:10.1016/j.cageo.2019.104331 (MintPy).
"""

from __future__ import annotations

import csv
import datetime as _dt
import glob
import os
import re
from typing import Iterable, Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from ..formats.baselines import is_hyp3_parameters, read_baselines
from ..formats.dates import parse_date, parse_date_pair
from ..formats.geometry_meta import MAX_BASELINE_M, date_baselines_from_pairs
from ..optional import require
from ..ordered import columnwise_matmul, sum_first_axis
from ..timeseries.sbas import linear_velocity
from .velocity_filter import adaptive_velocity_filter


def years_since_first(dates: Sequence[_dt.date]) -> np.ndarray:
    """Time of each date since the first, in years of :data:`~..conventions.DAYS_PER_YEAR` days."""
    return np.array([(d - dates[0]).days for d in dates], np.float64) / DAYS_PER_YEAR


def design_matrix(dates: Sequence[_dt.date], bperp_m: np.ndarray, *, poly_order: int = 2,
                  step_dates: Sequence[_dt.date] = ()) -> np.ndarray:
    """``[bperp, 1, t, t^2, ..., H(t - step) ...]``, shape ``(N, 1 + poly_order + 1 + n_steps)``; t in years."""
    t = years_since_first(dates)
    cols = [np.asarray(bperp_m, np.float64)]
    cols += [t ** k for k in range(int(poly_order) + 1)]
    for s in step_dates:
        if not dates[0] < s <= dates[-1]:
            raise GeohazardError(f"STEP_DATES: {s} is not inside the time series ({dates[0]} .. {dates[-1]})")
        cols.append((np.array(dates) >= s).astype(np.float64))
    return np.stack(cols, axis=1)


def check_design(g: np.ndarray) -> None:
    """Refuse a design matrix where the baseline column cannot be separated from the deformation model."""
    n, p = g.shape
    if n < p + 1:
        raise GeohazardError(f"the time series has {n} dates; the DEM-error fit needs more than {p} "
                             "(lower POLY_ORDER or use fewer steps)")
    if not np.any(g[:, 0] != g[0, 0]):
        raise GeohazardError("BASELINES: every date has the same perpendicular baseline; the DEM error cannot be "
                             "estimated")
    if np.linalg.matrix_rank(g) < p:
        raise GeohazardError("BASELINES: the perpendicular baselines are a combination of the temporal model "
                             "(polynomial and steps); the DEM error cannot be told apart from deformation")


def dem_error_block(ts_mm: np.ndarray, g: np.ndarray, *, range_sin_inc_m, min_dates: Optional[int] = None) -> dict:
    """Estimate and remove the DEM error of a block of time series.

    Parameters
    ----------
    ts_mm : ndarray (N, rows, cols)
        Displacement time series, mm (NaN = no data at that date).
    g : ndarray (N, P)
        :func:`design_matrix` (first column: perpendicular baselines in m).
    range_sin_inc_m : float or ndarray (rows, cols)
        ``R sin(theta)`` in metres (slant range times sine of the incidence).
    min_dates : int, optional
        Fewest valid dates to fit a pixel (default ``P + 2``); pixels with fewer are NaN.

    Returns
    -------
    dict
        ``corrected_mm`` (N, rows, cols), ``dem_error_m`` (rows, cols), ``residual_rms_mm``
        (rows, cols): RMS of the fit residual (noise left after DEM error and model).
    """
    y = np.asarray(ts_mm, np.float64)
    n, rows, cols = y.shape
    p = g.shape[1]
    if g.shape[0] != n:
        raise GeohazardError(f"the time series has {n} dates but the design matrix {g.shape[0]}")
    min_dates = p + 2 if min_dates is None else max(int(min_dates), p + 1)
    flat = y.reshape(n, -1)
    valid = np.isfinite(flat)
    beta = np.full(flat.shape[1], np.nan)
    rms = np.full(flat.shape[1], np.nan)
    full = valid.all(axis=0)
    groups = []
    if full.any():
        groups.append((np.ones(n, bool), np.flatnonzero(full)))
    partial = np.flatnonzero(~full & (valid.sum(axis=0) >= min_dates))
    if partial.size:
        pats, inv = np.unique(valid[:, partial], axis=1, return_inverse=True)
        inv = inv.reshape(-1)
        for j in range(pats.shape[1]):
            groups.append((pats[:, j], partial[inv == j]))
    for rows_ok, px in groups:
        gg = g[rows_ok]
        if np.linalg.matrix_rank(gg) < p:
            continue
        pinv = np.linalg.pinv(gg)
        sub = flat if (px.size == flat.shape[1] and rows_ok.all()) else flat[np.ix_(rows_ok, px)]
        # column by column, sums in date order (no BLAS): a pixel's fit does not depend on the other
        # pixels of its pattern in the block, nor on the CPU
        x = columnwise_matmul(pinv, sub)
        beta[px] = x[0]
        res = columnwise_matmul(gg, x)
        np.subtract(sub, res, out=res)
        rms[px] = np.sqrt(sum_first_axis(res * res) / res.shape[0])
    corrected = flat - g[:, :1] * beta[None, :]  # minus the topographic term (N, P) mm
    s = np.broadcast_to(np.asarray(range_sin_inc_m, np.float64), (rows, cols)).reshape(-1)
    dz = beta * s / 1000.0  # beta: mm of LOS per m of baseline; dz in m
    return {"corrected_mm": corrected.reshape(n, rows, cols), "dem_error_m": dz.reshape(rows, cols),
            "residual_rms_mm": rms.reshape(rows, cols)}


def dem_error_engine_block(block, inputs: dict, *, g: np.ndarray, slant_range_m: float = 1.0,
                           incidence_deg: float = 90.0, years: Optional[np.ndarray] = None,
                           filter_window_px: int = 0, filter_weighting: str = "mean") -> dict:
    """Block function for the engine: ``inputs["series"]`` (N, rows, cols) mm; optional rasters
    ``inputs["slant_range"]`` (m) and ``inputs["incidence"]`` (degrees) replace the constants. With ``years``
    (N,), also the final velocity of the corrected series and its standard error (``velocity_mm_yr``,
    ``velocity_std_mm_yr``: least-squares line, as the SBAS tool and MintPy's ``timeseries2velocity``).

    With ``filter_window_px`` >= 3 (odd) the final velocity and its standard error are those of the
    noise-adaptive filter (:func:`~algorithms.corrections.velocity_filter.adaptive_velocity_filter`), the
    unfiltered ones are ``velocity_unfiltered_mm_yr`` / ``velocity_std_unfiltered_mm_yr`` and ``filter_gain``
    the filter's gain; the block must then be read with a halo of
    :func:`~algorithms.corrections.velocity_filter.filter_radius` rows and only its own rows (``block.core``)
    are returned."""
    r = inputs.get("slant_range", slant_range_m)
    inc = inputs.get("incidence", incidence_deg)
    s = np.asarray(r, np.float64) * np.sin(np.radians(np.asarray(inc, np.float64)))
    s = np.where(s > 0, s, np.nan)
    out = dem_error_block(inputs["series"], g, range_sin_inc_m=s)
    if years is not None:
        out["velocity_mm_yr"], out["velocity_std_mm_yr"] = linear_velocity(out["corrected_mm"], np.asarray(years))
    if years is None or int(filter_window_px) <= 1:
        return _own_rows(block, out)

    f = adaptive_velocity_filter(out["velocity_mm_yr"], out["velocity_std_mm_yr"], window_px=filter_window_px,
                                 weighting=filter_weighting)
    out["velocity_unfiltered_mm_yr"], out["velocity_std_unfiltered_mm_yr"] = (out["velocity_mm_yr"],
                                                                              out["velocity_std_mm_yr"])
    out["velocity_mm_yr"], out["velocity_std_mm_yr"], out["filter_gain"] = (
        f["velocity_mm_yr"], f["velocity_std_mm_yr"], f["gain"])
    return _own_rows(block, out)


def _own_rows(block, out: dict) -> dict:
    """The block's own rows of every array (a block read with a halo returns only its rows)."""
    if block is None or block.read0 == block.row0 and block.read1 == block.row1:
        return out
    core = block.core
    return {k: (x[:, core] if x.ndim == 3 else x[core]) for k, x in out.items()}


# ----------------------------------------------------------------------------- baselines per date
_ISCE_BPERP = re.compile(r"Bperp\s*\(average\)\s*:\s*([-+0-9.eE]+)")


def _read_csv(path: str) -> dict:
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for k, row in enumerate(csv.reader(fh)):
            cells = [c.strip() for c in row if c.strip()]
            if not cells or cells[0].startswith("#"):
                continue
            if len(cells) < 2:
                raise GeohazardError(f"BASELINES: {os.path.basename(path)} line {k + 1}: expected 'date,bperp_m'")
            try:
                d = parse_date(cells[0])
            except GeohazardError:
                if k == 0:
                    continue  # header
                raise GeohazardError(f"BASELINES: {os.path.basename(path)} line {k + 1}: {cells[0]!r} is not a "
                                     "date") from None
            try:
                out[d] = float(cells[1])
            except ValueError:
                raise GeohazardError(f"BASELINES: {os.path.basename(path)} line {k + 1}: {cells[1]!r} is not a "
                                     "baseline in metres") from None
    if not out:
        raise GeohazardError(f"BASELINES: {os.path.basename(path)} holds no 'date,bperp_m' rows")
    return out


def _read_h5(path: str) -> tuple[dict, dict]:
    """MintPy timeseries.h5 (``date``, ``bperp`` per date) or ifgramStack.h5 (``date``, ``bperp`` per pair)."""
    h5py = require("h5py", "BASELINES: reading a MintPy HDF5 file")

    with h5py.File(path, "r") as f:
        if "bperp" not in f or "date" not in f:
            raise GeohazardError(f"BASELINES: {os.path.basename(path)} has no 'date' and 'bperp' datasets "
                                 "(expected a MintPy timeseries.h5 or ifgramStack.h5)")
        dates = f["date"][:]
        bperp = np.asarray(f["bperp"][:], np.float64)
    if dates.ndim == 1:
        return {parse_date(d.decode() if isinstance(d, bytes) else str(d)): float(b)
                for d, b in zip(dates, bperp)}, {}
    pairs = {}
    for (a, b), v in zip(dates, bperp):
        da, db = (parse_date(x.decode() if isinstance(x, bytes) else str(x)) for x in (a, b))
        pairs[(da, db)] = float(v)
    return {}, pairs


def _read_isce(folder: str) -> dict:
    """ISCE2 stack processor ``baselines/REF_SEC/REF_SEC.txt`` files with a ``Bperp (average):`` line."""
    pairs = {}
    for f in sorted(glob.glob(os.path.join(folder, "**", "*.txt"), recursive=True)):
        try:
            pair = parse_date_pair(os.path.basename(f))
        except GeohazardError:
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            vals = [float(m.group(1)) for m in _ISCE_BPERP.finditer(fh.read())]
        if vals:
            pairs[pair] = float(np.mean(vals))
    return pairs


def read_date_baselines(paths: Iterable[str], dates: Sequence[_dt.date]) -> np.ndarray:
    """Perpendicular baseline (m) of every date relative to the first, from the BASELINES files
    (:func:`_date_baselines`), checked to be finite and within :data:`MAX_BASELINE_M`.

    Raises
    ------
    GeohazardError
        Naming BASELINES and the date, when a value is not finite or implausibly large.
    """
    b = _date_baselines(paths, dates)
    dates = list(dates)
    bad = np.flatnonzero(~np.isfinite(b))
    if bad.size:
        raise GeohazardError(f"BASELINES: the perpendicular baseline of {dates[bad[0]].isoformat()} is not a number")
    worst = int(np.argmax(np.abs(b)))
    if abs(b[worst]) > MAX_BASELINE_M:
        raise GeohazardError(
            f"BASELINES: a perpendicular baseline of {b[worst]:.6g} m ({dates[worst].isoformat()}) is beyond any "
            f"spaceborne SAR orbit tube (at most {MAX_BASELINE_M:g} m); check the file and that its unit is metres")
    return b


def _date_baselines(paths: Iterable[str], dates: Sequence[_dt.date]) -> np.ndarray:
    """Perpendicular baseline of each date (m, relative to the first date) from the files users have.

    Accepted: a CSV ``date,bperp_m`` (one row per date); a MintPy ``timeseries.h5`` /
    ``ifgramStack.h5``; GAMMA ``*_bperp.par`` / ``*_base.par`` files or folders; ISCE2
    ``baselines`` folders (``YYYYMMDD_YYYYMMDD.txt`` with ``Bperp (average):``). Pair baselines
    are turned into date baselines by least squares with the first date at 0 (as MintPy).

    Raises
    ------
    GeohazardError
        Naming BASELINES when nothing is given, a file cannot be read, or dates of the time
        series have no baseline.
    """
    paths = [str(p) for p in paths if p]
    if not paths:
        raise GeohazardError("BASELINES: the DEM-error correction needs the perpendicular baselines (a CSV "
                             "date,bperp_m; a MintPy timeseries.h5 or ifgramStack.h5; GAMMA *_bperp.par / *_base.par "
                             "files or folder; an ISCE baselines folder; a LiCSAR baselines file or HyP3 products' "
                             ".txt)")
    per_date: dict = {}
    per_pair: dict = {}
    for p in paths:
        low = p.lower()
        if os.path.isdir(p):
            found = read_baselines([p])
            found.update({k: v for k, v in _read_isce(p).items() if tuple(sorted(k)) not in found})
            if not found:
                raise GeohazardError(f"BASELINES: the folder {p!r} holds no GAMMA *_bperp.par / *_base.par, ISCE, "
                                     "LiCSAR (baselines) or HyP3 (<product>.txt, loose or in the products' zips) "
                                     "baseline files")
            per_pair.update({tuple(sorted(k)): v for k, v in found.items()})
        elif is_hyp3_parameters(p) or os.path.basename(p) == "baselines":
            per_pair.update({tuple(sorted(k)): v for k, v in read_baselines([p]).items()})
        elif low.endswith((".csv", ".txt")) and not low.endswith(".par"):
            per_date.update(_read_csv(p))
        elif low.endswith((".h5", ".he5")):
            d, pr = _read_h5(p)
            per_date.update(d)
            per_pair.update(pr)
        elif os.path.isfile(p):
            per_pair.update({tuple(sorted(k)): v for k, v in read_baselines([p]).items()})
        else:
            raise GeohazardError(f"BASELINES: {p!r} is neither a file nor a folder")
    dates = list(dates)
    if per_date:
        missing = [d for d in dates if d not in per_date]
        if missing:
            raise GeohazardError(f"BASELINES: no perpendicular baseline for {len(missing)} date(s) of the time "
                                 f"series, e.g. {missing[0].isoformat()}")
        b = np.array([per_date[d] for d in dates])
        return b - b[0]
    return date_baselines_from_pairs(per_pair, dates)
