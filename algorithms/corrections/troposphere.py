"""Tropospheric corrections of unwrapped interferograms.

**Phase-elevation** (stratified troposphere): the delay of a pressure/humidity profile
that varies from one date to the next grows with the height of the ground, so an
interferogram carries a term ``k1 h`` (linear) or ``k1 h + k2 h^2`` (quadratic) of the DEM
height ``h`` (Doin et al. 2009, doi:10.1016/j.jappgeo.2009.03.010; MintPy
``tropo_phase_elevation``; LiCSBAS). The coefficients are fitted by least squares with a
constant on the pixels of a mask (stable, coherent), and only the height terms are removed.

* **Windows**: with a window size (pixels), the grid is cut into square windows and each
  window gets its own coefficients (stratification that changes across a large scene); the
  coefficient maps are interpolated bilinearly between window centres, so the correction
  has no steps. A window with too few usable pixels, or too little relief, takes the
  coefficients of the whole image.
* **Per date**: the coefficients of the interferograms are inverted on the network for one
  set per date (first date 0, least squares) and each interferogram loses the difference of
  its two dates' terms (the network-consistent part only, as MintPy's estimate on the time
  series).
* **Correlation threshold** (as MintPy ``-t``): an interferogram (window) whose phase and
  height correlate less than this in magnitude is not corrected.
* **Lateral variation** (``lateral``): the slope varies linearly across the scene,
  ``k(x, y) = k1 + kx x + ky y`` (``x``, ``y`` scaled to -1..1 over the grid), i.e. the terms ``x h`` and
  ``y h`` are fitted with ``h``: the wet delay above a point decays with height with a scale height of 1-3 km,
  and its size changes across a scene from one date to the next (lateral gradients of humidity), so the delay
  difference of two dates is ``(Zw2(x, y) e^(-h/H2) - Zw1(x, y) e^(-h/H1))``, whose slope with height follows
  the lateral gradient (Doin et al. 2009: the phase-elevation relation varies in space and time; the WINDOW
  option's first-order form, with three coefficients per date instead of one per window).

**External zenith delays** (GACOS or any per-date zenith delay map in metres): each date's
zenith delay is projected on the line of sight, ``L = Z / cos(incidence)``, and every
interferogram loses ``L(second date) - L(first date)`` converted to its unit (MintPy
``tropo_gacos``; Yu et al. 2018, doi:10.1029/2017JB015305). A longer path at the second date
looks like motion away from the satellite: in radians that grow with range the correction
is ``+4 pi / lambda * dL`` (subtracted), in LOS metres positive toward the satellite ``-dL``.

Heights are centred and scaled (``hs = (h - h0) / hscale``) so the normal equations stay well
conditioned. The removed term is the fitted polynomial minus its value at the lowest height of
the DEM, so the corrected values stay close to the input's (no offset of ``k h`` hundreds of
radians, no extrapolation of a quadratic to sea level); over one window this shifts each
interferogram by a constant only. With windows, coefficients varying across the scene leave
``dk (h_min - h_zero)`` where ``h_zero`` is the unknown height at which the stratified delay
difference vanishes: smooth, and absorbed by a ramp removal.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

from ..conventions import radians_per_m
from ..engine import Block
from ..errors import GeohazardError
from ..ordered import spd_condition, spd_solve
from .ramps import MaskTooSmallError, per_date_coefficients, row_power_sums, sum_rows
from .trend import span_correlation, split_trend

#: Input units (the order of the tools' INPUT_UNITS): radians growing with range, radians
#: growing toward the satellite, LOS metres and LOS millimetres positive toward the satellite.
UNIT_NAMES = ("rad_range", "rad_toward", "m", "mm")


def height_design(hs: np.ndarray, order: int) -> np.ndarray:
    """``(p, order + 1)`` design ``[1, hs, hs^2 ...]`` of scaled heights ``hs`` (1-D)."""
    if order not in (1, 2):
        raise GeohazardError(f"the phase-elevation polynomial order must be 1 (linear) or 2 (quadratic), got {order}")
    return np.stack([np.ones_like(hs)] + [hs ** (i + 1) for i in range(order)], axis=1)


def window_layout(shape: Sequence[int], window: int) -> tuple[int, int, int]:
    """``(n_window_rows, n_window_cols, size)`` of square windows of ``window`` pixels (0 = one window)."""
    h, w = int(shape[0]), int(shape[1])
    if window <= 0 or window >= max(h, w):
        return 1, 1, max(h, w)
    return -(-h // window), -(-w // window), int(window)


def height_inputs(dem: np.ndarray, h0: float, hscale: float) -> dict:
    """What the block functions derive from the DEM ``(rows, cols)`` (m, NaN = no data), made once for a
    whole grid when the same rows serve many blocks (:func:`elevation_fit_apply_block`): ``hs0`` scaled
    heights (0 where no DEM), ``dem_ok`` (bool), ``h1 = hs + 1`` and ``h2 = hs^2 - 1`` (float32, NaN where
    no DEM: the linear and quadratic terms, zero at the lowest height)."""
    hs = (np.asarray(dem, np.float64) - h0) / hscale
    ok = np.isfinite(hs)
    hz = -1.0  # scaled height of the scene's lowest ground (height_scaling): the removed delay is 0 there
    return {"hs0": np.where(ok, hs, 0.0), "dem_ok": ok, "h1": (hs - hz).astype(np.float32),
            "h2": (hs * hs - hz * hz).astype(np.float32)}


def block_heights(inputs: dict, h0: float, hscale: float) -> dict:
    """The :func:`height_inputs` of a block: given with the inputs, or made from ``inputs["dem"]``."""
    if "hs0" in inputs:
        return {k: np.asarray(inputs[k]) for k in ("hs0", "dem_ok", "h1", "h2")}
    return height_inputs(inputs["dem"], h0, hscale)


def filter_radius(filter_px: float) -> int:
    """Rows of halo the high-pass filter of ``filter_px`` needs (its Gaussian kernel is cut at 3 sigma)."""
    return int(3.0 * float(filter_px) + 0.5) if filter_px and filter_px > 0 else 0


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing (rows, then columns, of each array of ``x`` along its first axes) with zeros outside the
    array: each value is a sum over its neighbours within :func:`filter_radius`, so a block read with that halo
    gives the whole image's values. The weights are ``exp(-x^2 / (2 sigma^2))`` normalised, over three sigmas (as
    ``scipy.ndimage.gaussian_filter(x, sigma, mode="constant", truncate=3.0)`` makes them, the same values); a
    stack of arrays is smoothed in one pass per axis."""
    from scipy.ndimage import correlate1d

    sigma = float(sigma)
    k = np.arange(-int(3.0 * sigma + 0.5), int(3.0 * sigma + 0.5) + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * k ** 2)
    weights = (weights / weights.sum())[::-1]
    out = correlate1d(x, weights, axis=-2, mode="constant", cval=0.0)
    return correlate1d(out, weights, axis=-1, mode="constant", cval=0.0)


def _smooth_each(arrays: list, sigma: float) -> list:
    """:func:`_smooth` of each array, in its own type (a float32 array's passes round to float32), the arrays of
    one type in one pass per axis."""
    out: list = [None] * len(arrays)
    for dtype in dict.fromkeys(a.dtype for a in arrays):
        idx = [i for i, a in enumerate(arrays) if a.dtype == dtype]
        for i, smoothed in zip(idx, _smooth(np.stack([arrays[i] for i in idx]), sigma)):
            out[i] = smoothed
    return out


def n_terms(order: int, lateral: bool = False) -> int:
    """Number of height terms: ``h`` (``h^2``) and, with ``lateral``, ``x h`` and ``y h``."""
    return int(order) + (2 if lateral else 0)


def lateral_terms(hs: np.ndarray, row0: int, n_rows_total: int) -> tuple[np.ndarray, np.ndarray]:
    """``x h1`` and ``y h1`` of rows ``row0 ..`` of a grid of ``n_rows_total`` rows (``hs`` ``(rows, cols)`` the
    scaled heights, ``h1 = hs + 1`` zero at the lowest height; ``x``, ``y`` scaled to -1..1 over the grid)."""
    rows, cols = hs.shape
    x = 2.0 * np.arange(cols) / max(cols - 1, 1) - 1.0
    y = 2.0 * np.arange(row0, row0 + rows) / max(n_rows_total - 1, 1) - 1.0
    h1 = hs + 1.0
    return x[None, :] * h1, y[:, None] * h1


def high_pass_columns(data: np.ndarray, use: np.ndarray, hs: np.ndarray, order: int,
                      filter_px: float, extra=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """High-passed data and height terms of one interferogram, on its usable pixels.

    Each of ``data``, ``hs``, ``hs^2`` and the ``extra`` terms (``(rows, cols)``) loses its local mean over the
    usable pixels (normalised Gaussian of ``filter_px`` pixels: ``x - G(x w) / G(w)``, ``w`` = ``use``), so a
    deformation or a ramp smoother than the filter does not enter the phase-elevation fit while the relief's
    texture still does (band-pass estimation as Lin et al. 2010, doi:10.1029/2010GC003228, and Bekaert et al.
    2015, doi:10.1002/2014JB011558). ``filter_px`` 0: the terms as they are. Returns ``(data_hp, columns_hp
    (order + len(extra), rows, cols), fit)`` where ``fit`` is ``use`` where at least half of the kernel had
    usable pixels (bool; ``use`` without a filter).
    """
    terms = [hs ** (a + 1) for a in range(order)] + list(extra)
    cols = np.empty((len(terms),) + hs.shape)
    if not (filter_px and filter_px > 0):
        for a, t in enumerate(terms):
            cols[a] = np.where(use, t, 0.0)
        return np.where(use, data, 0.0), cols, use
    w = use.astype(np.float64)
    d0 = np.where(use, data, 0.0)
    vs = [np.where(use, t, 0.0) for t in terms]
    sw, sd, *st = _smooth_each([w, d0] + vs, filter_px)
    fit = use & (sw >= 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(sw > 0, 1.0 / sw, 0.0)
    d_hp = d0 - sd * inv
    for a, v in enumerate(vs):
        cols[a] = v - st[a] * inv
    return d_hp, cols, fit


def _filtered_normals(block, data, use, hs2d, order, layout, filter_px, lateral=False):
    """Per-row normal equations ``[1, hp(hs), hp(hs^2) ..., hp(x h1), hp(y h1)]`` of every interferogram and
    window column on the block's core rows, in :func:`elevation_normal_block`'s layout (each row summed on its
    own, added in row order by :class:`~algorithms.corrections.ramps.FitSums`); ``hp`` is the identity without a
    filter."""
    m = data.shape[0]
    core = block.core
    k = n_terms(order, lateral) + 1
    extra = lateral_terms(hs2d, block.read0, block.n_rows_total) if lateral else ()
    half = half_pattern(block.row0, block.row1, data.shape[2]) if lateral else None
    nwr, nwc, size = layout
    starts = np.arange(nwc) * size if nwc > 1 else np.zeros(1, np.intp)
    rows = block.row1 - block.row0
    out = {}
    for sfx in ("", "_a", "_b") if lateral else ("",):
        shape = (rows, m, starts.size)
        out.update({"ata" + sfx: np.zeros(shape + (k, k)), "atb" + sfx: np.zeros(shape + (k,)),
                    "n" + sfx: np.zeros(shape, np.int64), "btb" + sfx: np.zeros(shape)})

    def seg(a):  # (rows, cols) -> (rows, S): each row's sum over each window column
        return np.add.reduceat(np.ascontiguousarray(a, dtype=np.float64), starts, axis=-1)

    for i in range(m):
        d_hp, terms, fit = high_pass_columns(data[i], use[i], hs2d, order, filter_px, extra)
        fit_core = fit[core]
        if not fit_core.any():
            continue
        # with the lateral variation, the same sums over the two halves of the scene (:func:`half_pattern`) too
        parts = [("", fit_core)] if half is None else [("", fit_core), ("_a", fit_core & half),
                                                        ("_b", fit_core & ~half)]
        for sfx, f in parts:
            g = [f.astype(np.float64)] + [np.where(f, terms[a][core], 0.0) for a in range(k - 1)]
            dv = np.where(f, d_hp[core], 0.0)
            out["n" + sfx][:, i] = np.add.reduceat(f, starts, axis=-1, dtype=np.int64)
            out["btb" + sfx][:, i] = seg(dv * dv)
            for a in range(k):
                out["atb" + sfx][:, i, :, a] = seg(g[a] * dv)
                for c in range(a, k):
                    out["ata" + sfx][:, i, :, a, c] = out["ata" + sfx][:, i, :, c, a] = seg(g[a] * g[c])
    out["window_row"] = np.minimum(np.arange(block.row0, block.row1) // size, nwr - 1)
    return out


#: Side (pixels) of the squares of the two interleaved halves of the scene (a checkerboard) whose separate fits
#: measure how well the lateral variation of the slope is determined.
HALF_SQUARE_PX = 16


def half_pattern(row0: int, row1: int, n_cols: int) -> np.ndarray:
    """Rows ``row0:row1`` of the checkerboard of :data:`HALF_SQUARE_PX` squares: True in half "a" (bool)."""
    r = (np.arange(row0, row1) // HALF_SQUARE_PX)[:, None]
    c = (np.arange(n_cols) // HALF_SQUARE_PX)[None, :]
    return (r + c) % 2 == 0


def lateral_reliability(per_date: np.ndarray, per_date_a: np.ndarray, per_date_b: np.ndarray) -> np.ndarray:
    """Share of each lateral term's date-to-date variance that is signal, ``(2,)`` in 0..1.

    ``per_date*`` ``(N, 2)``: the per-date lateral coefficients fitted on the whole scene and on each of its two
    interleaved halves (:func:`half_pattern`). Half the difference of the halves' estimates measures the
    estimation noise of a half, a quarter of its variance that of the whole scene's; what the per-date values vary
    beyond it is the lateral variation itself. The share ``1 - q noise / variance`` is the empirical-Bayes
    (James-Stein) shrinkage of the terms toward 0 (Efron & Morris 1975, doi:10.1080/01621459.1975.10479864), with
    ``q`` the 95 % quantile of the ratio of two variances estimated from ``N`` dates each (F distribution, ``N - 1``
    and ``N - 1`` degrees of freedom): with no lateral variation at all the ratio exceeds ``q`` one time in twenty,
    so the share is 0 unless the dates vary beyond what the halves' disagreement explains by chance. A lateral
    variation the data do not resolve is not removed, and its estimation noise does not enter the series and the
    velocity.
    """
    from scipy.special import fdtri  # scipy.stats' f.ppf, without importing scipy.stats

    full = np.asarray(per_date, np.float64)
    diff = np.asarray(per_date_a, np.float64) - np.asarray(per_date_b, np.float64)
    n = full.shape[0]
    q = float(fdtri(max(n - 1, 1), max(n - 1, 1), 0.95))
    total = full.var(axis=0)
    noise = diff.var(axis=0) / 4.0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, 1.0 - q * noise / total, 0.0)
    return np.clip(np.nan_to_num(share), 0.0, 1.0)


def _check_lateral(lateral: bool, layout) -> None:
    if lateral and layout[0] * layout[1] > 1:
        raise GeohazardError("the lateral variation of the slope and windows are two ways of letting the slope vary "
                             "across the scene: use one (WINDOW 0 with the lateral variation)")


def elevation_normal_block(block, inputs: dict, *, order: int = 1, h0: float = 0.0, hscale: float = 1.0,
                           layout=(1, 1, 1), coherence_threshold: float = 0.0, filter_px: float = 0.0,
                           lateral: bool = False) -> dict:
    """Block function of the fitting pass: normal equations per interferogram and window, row by row.

    ``inputs``: ``stack`` ``(M, rows, cols)``, ``dem`` ``(rows, cols)`` (m, NaN = no data),
    optional ``mask`` and ``quiet`` (non-zero = use; ``quiet``: outside the deforming areas,
    :mod:`algorithms.corrections.deforming`) and ``coherence`` ``(M, rows, cols)``. Returns, per row of
    the block, ``ata (rows, M, Wc, k, k)``, ``atb (rows, M, Wc, k)``, ``n (rows, M, Wc)``,
    ``btb (rows, M, Wc)`` for the ``Wc`` window columns and ``window_row`` (rows,), the row of
    windows of each row: :class:`~algorithms.corrections.ramps.FitSums` adds them in row order
    into ``(M, W, ...)`` totals of the ``W`` windows (the same bits for any block layout).
    ``filter_px`` > 0: the data and the height terms are high-passed first (:func:`high_pass_columns`);
    the block must then be read with a halo of :func:`filter_radius` rows (only its core rows are summed).
    ``lateral``: the terms ``x h1`` and ``y h1`` follow the height terms (module notes; one window only).
    """
    data = np.asarray(inputs["stack"])
    heights = block_heights(inputs, h0, hscale)
    use = np.isfinite(data) & heights["dem_ok"][None]
    for key in ("mask", "quiet"):
        if inputs.get(key) is not None:
            mk = np.asarray(inputs[key])
            use &= (np.isfinite(mk) & (mk != 0))[None]
    coh = inputs.get("coherence")
    if coh is not None and coherence_threshold > 0:
        use &= np.asarray(coh) >= coherence_threshold
    height_design(np.zeros(1), order)  # checks the order
    _check_lateral(lateral, layout)
    if (filter_px and filter_px > 0) or lateral:
        return _filtered_normals(block, data, use, heights["hs0"], order, layout, filter_px, lateral)
    hs0 = heights["hs0"]
    if block.read0 != block.row0 or block.read1 != block.row1:
        core = block.core
        data, use, hs0 = data[:, core], use[:, core], hs0[core]
    nwr, nwc, size = layout
    starts = np.arange(nwc) * size if nwc > 1 else np.zeros(1, np.intp)
    ps = row_power_sums(hs0, data, use, w_powers=2 * order, d_powers=order, starts=starts)
    a = np.arange(order + 1)
    return {"ata": ps["sw"][..., a[:, None] + a[None, :]], "atb": ps["sd"], "n": ps["n"], "btb": ps["btb"],
            "window_row": np.minimum(np.arange(block.row0, block.row1) // size, nwr - 1)}


def correlation_from_normals(normals: dict) -> np.ndarray:
    """Correlation of data and scaled height from the normal equations (constant + linear terms), ``(M, W)``."""
    ata, atb, n, btb = normals["ata"], normals["atb"], normals["n"], normals["btb"]
    nn = np.maximum(n, 1).astype(float)
    sh, shh, sd, sdh = ata[..., 0, 1], ata[..., 1, 1], atb[..., 0], atb[..., 1]
    cov = sdh / nn - sd * sh / nn ** 2
    vh = shh / nn - (sh / nn) ** 2
    vd = btb / nn - (sd / nn) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(vh * vd)
    return np.where(np.isfinite(r), r, 0.0)


def _solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, ok)``: the normal equations ``a x = b`` of a batch (``a`` ``(..., k, k)``, ``b`` ``(..., k)``) scaled to
    a unit diagonal, conditioned and solved in a fixed order (not LAPACK's, whose bits follow BLAS's threads); ``ok``
    False (and ``x`` NaN) where a system is not finite, worse conditioned than 1e8 or gives a non-finite solution.
    Each system's bits depend on it alone, not on the batch (:mod:`algorithms.ordered`)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    x = np.full(b.shape, np.nan)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scale = np.sqrt(np.clip(np.diagonal(a, axis1=-2, axis2=-1), 1e-300, None))
        an = a / scale[..., :, None] / scale[..., None, :]
    ok = np.isfinite(an).all(axis=(-2, -1))
    if ok.any():
        cond = np.full(ok.shape, np.inf)
        cond[ok] = spd_condition(an[ok])
        ok &= cond <= 1e8
    if ok.any():
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            x[ok] = spd_solve(an[ok], b[ok] / scale[ok]) / scale[ok]
        ok &= np.isfinite(x).all(axis=-1)
        x[~ok] = np.nan
    return x, ok


def solve_elevation(normals: dict, *, names: Sequence[str], min_pixels: int = 100, correlation_threshold: float = 0.0,
                    mask_name: str = "MASK") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients ``(M, W, k)`` per interferogram and window, the correlation ``(M, W)`` and which
    windows fell back to the whole-image fit ``(M, W)`` bool.

    Raises
    ------
    MaskTooSmallError
        When an interferogram has fewer than ``max(min_pixels, 3 k)`` usable pixels over the
        whole image, or its heights do not vary (no relief in the mask): naming it and ``mask_name``.
    """
    ata, atb, n = normals["ata"], normals["atb"], normals["n"]
    m, n_win, k = atb.shape
    need = max(int(min_pixels), 3 * k)
    corr = correlation_from_normals(normals)
    tot = {key: v.sum(axis=1) for key, v in normals.items()}
    corr_all = correlation_from_normals({key: v[:, None] for key, v in tot.items()})[:, 0]
    glob, glob_ok = _solve(tot["ata"], tot["atb"])
    sol, sol_ok = _solve(ata, atb)
    sol_ok &= n >= need
    for i in range(m):
        if tot["n"][i] < need:
            raise MaskTooSmallError(
                f"{mask_name}: interferogram {names[i]} has {int(tot['n'][i])} usable pixel(s) with a height, at "
                f"least {need} are needed to fit the phase-elevation relation; enlarge the mask, lower the "
                "coherence threshold or check that the DEM covers the interferograms")
        if not glob_ok[i]:
            raise MaskTooSmallError(
                f"{mask_name}: the usable pixels of interferogram {names[i]} have (almost) one height; the "
                "phase-elevation relation needs relief in the mask")
        if abs(corr_all[i]) < correlation_threshold:
            glob[i] = 0.0
    fallback = ~sol_ok
    coef = np.where(fallback[..., None], glob[:, None, :], sol)
    coef[sol_ok & (np.abs(corr) < correlation_threshold)] = 0.0
    return coef, corr, fallback


def half_coefficients(normals: dict, *, names: Sequence[str], order: int = 1) -> tuple:
    """The coefficients ``(M, W, k)`` fitted on each half of the scene (``*_a`` / ``*_b`` normals of the lateral
    variation; an interferogram whose half has too few pixels or no relief gets NaN there: no evidence) and those
    ``(M, W, order + 1)`` of the whole scene without the lateral terms (the same normals less their rows)."""
    k0 = order + 1
    plain, ok = _solve(normals["ata"][..., :k0, :k0], normals["atb"][..., :k0])
    plain[~ok] = 0.0
    out = []
    for sfx in ("_a", "_b"):
        ata, atb, n = normals["ata" + sfx], normals["atb" + sfx], normals["n" + sfx]
        coef, ok = _solve(ata, atb)
        coef[~(ok & (n >= 3 * atb.shape[-1]))] = np.nan
        out.append(coef)
    return out[0], out[1], plain


def elevation_per_date(coef: np.ndarray, ref_index, sec_index, n_dates: int, signs=None) -> np.ndarray:
    """Network-consistent coefficients ``(M, W, k)`` (see :func:`ramps.per_date_coefficients`), window by window."""
    m, n_win, k = coef.shape
    out = np.empty_like(coef)
    for w in range(n_win):
        out[:, w] = per_date_coefficients(coef[:, w], ref_index, sec_index, n_dates, signs)[1]
    return out


@dataclasses.dataclass
class GuardedElevation:
    """What :func:`guarded_elevation_per_date` removed: per-date coefficients ``(N, W, k)`` before and after the
    guard, the trend split of the first height term of the whole scene (window 0 when windows), and the
    correlation of the per-interferogram slope with the pairs' time span; with the lateral variation, the share of
    each lateral term kept (:func:`lateral_reliability`)."""

    per_date: np.ndarray
    removed_per_date: np.ndarray
    split: object
    span_r: float
    lateral_share: Optional[np.ndarray] = None  # kept share of the lateral terms (x, y), lateral_reliability


def guarded_elevation_per_date(coef: np.ndarray, ref_index, sec_index, years, *, signs=None, z: float = 2.0,
                               span_days=None, halves=None, order: int = 1) -> tuple[np.ndarray, GuardedElevation]:
    """Per-date phase-elevation coefficients whose trend is guarded (:mod:`algorithms.corrections.trend`).

    ``coef`` ``(M, W, k)`` per interferogram (files' orientation); ``years`` ``(N,)`` the dates. The
    coefficients of each window are inverted on the network for one set per date (first date 0), and the
    trend of each height term is split: its random part is removed, the part that tracks time beyond ``z``
    standard errors is kept (deformation that correlates with height). Returns the per-interferogram
    coefficients to remove ``(M, W, k)`` and a :class:`GuardedElevation`. ``z = inf`` removes every trend
    (the plain per-date mode). ``halves`` = ``(coef_a, coef_b)``, the coefficients fitted on the two halves of the
    scene and the coefficients ``(M, W, order + 1)`` fitted without the lateral variation: with it (the last two of
    the ``k`` terms, after ``order`` height powers), each date's coefficients are those of the lateral model for the
    smaller share :func:`lateral_reliability` of its two terms and those of the plain model for the rest, before the
    trends are guarded.
    """
    coef = np.asarray(coef, np.float64)
    m, n_win, k = coef.shape
    n_dates = len(years)
    s = np.ones(m) if signs is None else np.asarray(signs, np.float64)
    per_date = np.empty((n_dates, n_win, k))
    removed = np.empty_like(per_date)
    first = None
    shrink = None
    for w in range(n_win):
        per_date[:, w] = per_date_coefficients(coef[:, w], ref_index, sec_index, n_dates, signs)[0]
        if halves is not None:
            lat = slice(order + 1, order + 3)
            pa = per_date_coefficients(np.asarray(halves[0], np.float64)[:, w], ref_index, sec_index, n_dates, signs)[0]
            pb = per_date_coefficients(np.asarray(halves[1], np.float64)[:, w], ref_index, sec_index, n_dates, signs)[0]
            shrink = lateral_reliability(per_date[:, w, lat], pa[:, lat], pb[:, lat])
            # the slope fitted with the lateral terms and without them (the same normals less those terms), mixed by
            # the share the data resolve: a lateral variation left out must not leave its collinear part in k1
            plain = per_date_coefficients(np.asarray(halves[2], np.float64)[:, w], ref_index, sec_index, n_dates,
                                          signs)[0]
            keep = float(shrink.min())
            per_date[:, w, :order + 1] = keep * per_date[:, w, :order + 1] + (1.0 - keep) * plain
            per_date[:, w, lat] *= keep
        removed[:, w, 0] = per_date[:, w, 0]
        rem, split = split_trend(per_date[:, w, 1:], years, z=z)
        removed[:, w, 1:] = rem
        if first is None:
            first = split
    a = np.zeros((m, n_dates))
    a[np.arange(m), ref_index] = -1.0
    a[np.arange(m), sec_index] = 1.0
    out = s[:, None, None] * np.einsum("mn,nwk->mwk", a, removed)
    span = None if span_days is None else np.asarray(span_days, np.float64)
    r = span_correlation(s * coef[:, 0, 1], span) if span is not None else float("nan")
    return out, GuardedElevation(per_date, removed, first, r, shrink)


def guard_messages(guarded: GuardedElevation, *, hscale: float, unit: str) -> list:
    """``(level, message)`` pairs (level "warning" or "info") on the trend guard of the per-date slopes: the trend,
    its t and the share removed; a warning when the slope grows with time (deformation in the fit, its trend
    kept) or tracks the pairs' time span while its trend stays within the scatter."""
    split = guarded.split
    b = float(split.slope[0]) / hscale * 1000.0
    se = float(split.se[0]) / hscale * 1000.0
    share = float(split.removed_share[0])
    r = guarded.span_r
    out = [("info", f"phase-elevation slope per date: trend {b:+.3g} {unit}/km per year (standard error {se:.3g}, "
                    f"t = {float(split.t[0]):+.1f}); {100 * share:.0f} % of the trend removed")]
    if guarded.lateral_share is not None:
        sx, sy = (float(v) for v in guarded.lateral_share)
        out.append(("info", f"lateral variation of the slope: {100 * sx:.0f} % (east-west) and {100 * sy:.0f} % "
                            "(north-south) of its date-to-date variation resolved by the data (two halves of the scene "
                            "fitted apart) and removed; the rest is estimation noise and is left"))
    span = f"the per-interferogram slope against the pairs' time span: r = {r:+.2f}" if np.isfinite(r) else ""
    if share < 1.0:
        out.append(("warning", f"the phase-elevation slope grows with time (t = {float(split.t[0]):+.1f}; {span}): "
                               "deformation that correlates with height is in the fit; its trend is kept "
                               f"({100 * (1 - share):.0f} % of it), only the date-to-date part and the share of the "
                               "trend that chance explains are removed"))
    elif np.isfinite(r) and abs(r) >= 0.5:
        out.append(("warning", f"the phase-elevation slope tracks the pairs' time span ({span}) but its trend over "
                               "the dates is within their scatter: removed as atmosphere"))
    return out


def elevation_report(names: Sequence[str], fitted: np.ndarray, removed: np.ndarray, correlation: np.ndarray,
                     pixels: np.ndarray, fallback: np.ndarray, *, order: int, hscale: float, height_sd_m: float,
                     mm_per_unit: float) -> list:
    """Rows of the phase-elevation report, one per interferogram and window: pixels, correlation, whole-image
    fallback, the fitted and the removed slope (data unit per km), the RMS of the removed term over the DEM's
    heights (mm, ``height_sd_m`` their standard deviation) and, for order 2, the quadratic term (per km^2)."""
    rows = []
    for i, nm in enumerate(names):
        for w in range(fitted.shape[1]):
            k1 = float(fitted[i, w, 1] / hscale * 1000.0)
            rem = float(removed[i, w, 1] / hscale * 1000.0)
            row = {"interferogram": nm, "window": w, "pixels": int(pixels[i, w]),
                   "correlation": round(float(correlation[i, w]), 4), "whole_image_fit": bool(fallback[i, w]),
                   "k1_per_km": k1, "removed_k1_per_km": rem,
                   "removed_rms_mm": abs(rem) * height_sd_m / 1000.0 * mm_per_unit}
            if order == 2:
                row["k2_per_km2"] = float(fitted[i, w, 2] / hscale ** 2 * 1e6)
            if fitted.shape[2] == order + 3:  # lateral variation: the slope's change from the centre to the east /
                # south edge (x, y = 1), per km of height
                row["k1_east_per_km"] = float(fitted[i, w, order + 1] / hscale * 1000.0)
                row["k1_south_per_km"] = float(fitted[i, w, order + 2] / hscale * 1000.0)
                row["removed_k1_east_per_km"] = float(removed[i, w, order + 1] / hscale * 1000.0)
                row["removed_k1_south_per_km"] = float(removed[i, w, order + 2] / hscale * 1000.0)
            rows.append(row)
    return rows


def _axis_weights(pos: np.ndarray, n: int, size: int, total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear interpolation between window centres along one axis: lower index, upper index, upper weight."""
    starts = np.arange(n) * size
    centres = (starts + np.minimum(starts + size, total) - 1) / 2.0
    if n == 1:
        z = np.zeros(pos.shape, np.int64)
        return z, z, np.zeros(pos.shape)
    f = np.interp(pos, centres, np.arange(n, dtype=float))
    i0 = np.clip(np.floor(f).astype(np.int64), 0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, f - i0


def coefficient_field(coef: np.ndarray, rows: np.ndarray, cols: np.ndarray, layout, shape) -> np.ndarray:
    """Coefficients ``(M, p, k)`` at pixels (``rows``, ``cols``, 1-D), bilinear between window centres."""
    nwr, nwc, size = layout
    r0, r1, wr = _axis_weights(rows.astype(float), nwr, size, int(shape[0]))
    c0, c1, wc = _axis_weights(cols.astype(float), nwc, size, int(shape[1]))
    out = 0.0
    for ri, rw in ((r0, 1 - wr), (r1, wr)):
        for ci, cw in ((c0, 1 - wc), (c1, wc)):
            out = out + coef[:, ri * nwc + ci, :] * (rw * cw)[None, :, None]
    return out


def elevation_apply_block(block, inputs: dict, *, coef: np.ndarray, order: int = 1, h0: float = 0.0,
                          hscale: float = 1.0, layout=(1, 1, 1), delay: bool = True, lateral: bool = False) -> dict:
    """Block function of the correcting pass: ``stack - (P(hs) - P(-1))`` with ``P = k1 hs + k2 hs^2``
    (NaN where the DEM has no data); ``lateral``: also ``kx x h1 + ky y h1`` (``h1 = hs + 1``).

    ``coef`` ``(M, W, k)``: for every interferogram of the stack; a block of whole interferograms
    (``block.files``) takes the rows of its files. Returns ``{"corrected": (M, rows, cols) float32,
    "delay": the removed term, float32}`` (``delay=False``: ``corrected`` only, made in one array).
    """
    data = np.asarray(inputs["stack"])
    m, rows, cols = data.shape
    if block.files is not None:  # a block of whole interferograms: the coefficients of its files
        coef = np.asarray(coef)[block.files[0]:block.files[1]]
    heights = block_heights(inputs, h0, hscale)
    h1 = heights["h1"].ravel()
    h2 = heights["h2"].ravel()
    if layout[0] * layout[1] == 1:  # one set of coefficients per interferogram: an outer product
        term = np.asarray(coef[:, 0, 1], np.float32)[:, None] * h1[None]
        if order == 2:
            term += np.asarray(coef[:, 0, 2], np.float32)[:, None] * h2[None]
    else:
        rr, cc = np.meshgrid(np.arange(block.row0, block.row1), np.arange(cols), indexing="ij")
        field = coefficient_field(coef, rr.ravel(), cc.ravel(), layout, (block.n_rows_total, cols))
        term = (field[:, :, 1] * h1[None]).astype(np.float32)
        if order == 2:
            term += (field[:, :, 2] * h2[None]).astype(np.float32)
    if lateral:
        _check_lateral(lateral, layout)
        ix, iy = order + 1, order + 2
        x = (2.0 * np.arange(cols) / max(cols - 1, 1) - 1.0).astype(np.float32)
        y = (2.0 * np.arange(block.row0, block.row1) / max(block.n_rows_total - 1, 1) - 1.0).astype(np.float32)
        xh = (x[None, :] * heights["h1"]).ravel()
        yh = (y[:, None] * heights["h1"]).ravel()
        term += np.asarray(coef[:, 0, ix], np.float32)[:, None] * xh[None]
        term += np.asarray(coef[:, 0, iy], np.float32)[:, None] * yh[None]
    term = term.reshape(m, rows, cols)
    if not delay:
        return {"corrected": np.subtract(data, term, out=term, dtype=np.float32)}
    return {"corrected": np.subtract(data, term, dtype=np.float32), "delay": term}


def elevation_fit_apply_block(block, inputs: dict, *, order: int = 1, h0: float = 0.0, hscale: float = 1.0,
                              layout=(1, 1, 1), coherence_threshold: float = 0.0, correlation_threshold: float = 0.0,
                              min_pixels: int = 100, names: Sequence[str], mask_name: str = "MASK",
                              filter_px: float = 0.0, lateral: bool = False) -> dict:
    """Block function of the one-read path: fit and remove the phase-elevation terms of whole interferograms.

    The block covers every row of the files ``block.files`` (:func:`algorithms.engine.plan_file_groups`),
    so each interferogram is read once. The same bits as :func:`elevation_normal_block` added over row
    blocks (:class:`~algorithms.corrections.ramps.FitSums`), :func:`solve_elevation` and
    :func:`elevation_apply_block` (the two-pass path). Returns ``corrected`` ``(M, rows, cols)`` float32,
    ``coef`` ``(M, W, k)``, ``correlation`` and ``fallback`` ``(M, W)`` and the pixel counts ``n`` ``(M, W)``.
    """
    data = np.asarray(inputs["stack"])
    f0 = block.files[0] if block.files is not None else 0
    normals = sum_rows(elevation_normal_block(block, inputs, order=order, h0=h0, hscale=hscale, layout=layout,
                                              coherence_threshold=coherence_threshold, filter_px=filter_px,
                                              lateral=lateral), layout[0])
    coef, corr, fallback = solve_elevation(normals, names=list(names)[f0:f0 + data.shape[0]], min_pixels=min_pixels,
                                           correlation_threshold=correlation_threshold, mask_name=mask_name)
    out = elevation_apply_block(dataclasses.replace(block, files=None), inputs, coef=coef, order=order, h0=h0,
                                hscale=hscale, layout=layout, delay=False,
                                lateral=lateral)  # coef: this block's files already
    return {"corrected": out["corrected"], "coef": coef, "correlation": corr, "fallback": fallback,
            "n": normals["n"]}


def correct_phase_elevation(stack: np.ndarray, dem: np.ndarray, *, order: int = 1, window: int = 0,
                            mask: Optional[np.ndarray] = None, coherence: Optional[np.ndarray] = None,
                            coherence_threshold: float = 0.0, correlation_threshold: float = 0.0,
                            min_pixels: int = 100, names: Optional[Sequence[str]] = None,
                            per_date: Optional[tuple] = None, filter_px: float = 0.0, years=None,
                            z: float = np.inf, lateral: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """In-memory convenience (scripts, tests): the whole phase-elevation correction of a stack
    ``(M, rows, cols)`` with ``dem`` ``(rows, cols)``. Returns ``(corrected, removed term)``.

    ``per_date`` = ``(ref_index, sec_index, n_dates, signs)``; with ``years`` ``(N,)`` too, the trend of the
    per-date slopes is guarded with ``z`` (:func:`guarded_elevation_per_date`). ``filter_px``: high-pass
    estimation (:func:`high_pass_columns`); ``lateral``: the slope varies linearly across the scene."""
    stack = np.asarray(stack, np.float64)
    m, h, w = stack.shape
    blk = Block(0, 0, h, 0, h, h, w)
    h0, hscale = height_scaling(np.nanmin(dem), np.nanmax(dem))
    layout = window_layout((h, w), window)
    normals = sum_rows(elevation_normal_block(blk, {"stack": stack, "dem": dem, "mask": mask, "coherence": coherence},
                                              order=order, h0=h0, hscale=hscale, layout=layout,
                                              coherence_threshold=coherence_threshold, filter_px=filter_px,
                                              lateral=lateral), layout[0])
    coef, _, _ = solve_elevation(normals, names=names or [str(i) for i in range(m)], min_pixels=min_pixels,
                                 correlation_threshold=correlation_threshold)
    if lateral and per_date is None:
        raise GeohazardError("the lateral variation of the slope is estimated per date (its reliability comes from "
                             "the dates' scatter): give per_date")
    if per_date is not None:
        if years is not None:
            halves = half_coefficients(normals, names=names or [str(i) for i in range(m)], order=order) \
                if lateral else None
            coef = guarded_elevation_per_date(coef, per_date[0], per_date[1], years, signs=per_date[3], z=z,
                                              halves=halves, order=order)[0]
        else:
            coef = elevation_per_date(coef, *per_date)
    out = elevation_apply_block(blk, {"stack": stack, "dem": dem}, coef=coef, order=order, h0=h0, hscale=hscale,
                                layout=layout, lateral=lateral)
    return out["corrected"], out["delay"]


def height_scaling(h_min: float, h_max: float) -> tuple[float, float]:
    """``(h0, hscale)``: centre and half-range of the heights (1 m when flat; then ``h0 = h_min + 1``),
    so that the lowest height scales to -1."""
    if not (np.isfinite(h_min) and np.isfinite(h_max)):
        raise GeohazardError("DEM: it has no valid height (every pixel is no-data)")
    half = max(0.5 * (h_max - h_min), 1.0)
    return float(h_min) + half, half


# ------------------------------------------------------------------------ external delays
def delay_to_data_factor(units: int, wavelength_m: float) -> float:
    """Factor turning a LOS path-delay difference (m, longer path = positive) into the change it made
    to the data in ``units`` (index into :data:`UNIT_NAMES`)."""
    if units == 0:
        return radians_per_m(wavelength_m)
    if units == 1:
        return radians_per_m(wavelength_m, phase_sign=-1)
    if units == 2:
        return -1.0
    if units == 3:
        return -1000.0
    raise GeohazardError(f"input units must be 0..3 ({', '.join(UNIT_NAMES)}), got {units!r}")


def delay_apply_block(block, inputs: dict, *, first_index: np.ndarray, second_index: np.ndarray, factor: float,
                      incidence_deg: Optional[float] = None) -> dict:
    """Block function of the external-delay correction.

    ``inputs``: ``stack`` ``(M, rows, cols)``, ``zenith`` ``(N, rows, cols)`` zenith delays (m) of
    the dates, optional ``incidence`` ``(rows, cols)`` (degrees; else the constant
    ``incidence_deg``). ``first_index``/``second_index`` (M,) are the dates of each file in the
    order its name gives them (the file holds second minus first). Returns ``corrected`` and
    ``delay`` (the removed term, in the data's unit), float32.
    """
    data = np.asarray(inputs["stack"], np.float64)
    inc = inputs.get("incidence")
    inc = np.asarray(inc, np.float64) if inc is not None else float(incidence_deg)
    zen = np.asarray(inputs["zenith"], np.float64)
    los = zen / np.cos(np.radians(inc))
    term = factor * (los[np.asarray(second_index)] - los[np.asarray(first_index)])
    return {"corrected": (data - term).astype(np.float32), "delay": term.astype(np.float32)}
