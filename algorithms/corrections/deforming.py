"""Which pixels deform: the areas a ramp fit leaves out.

A ramp fitted per date on every coherent pixel also fits the deformation's flank (a subsidence bowl on one
side of the scene looks like a tilt), and the trend of that part of the ramps is then removed from the
velocity. Orbital and ionospheric ramps, and the long-wavelength atmosphere a ramp also takes, are smooth over
the whole scene; deformation is confined to areas. So the pixels whose stacking rate (``sum(d dt) /
sum(dt^2)`` over the interferograms, Sandwell & Price 1998, doi:10.1029/1998JB900010) departs from a plane
fitted robustly to the whole scene are taken out of the fit:

1. the rate less a plane is smoothed (normalised Gaussian of ``smooth_px`` over the usable pixels), so the
   decorrelation noise does not hide a shallow flank (the plane is taken out first because the normalised
   Gaussian bends a steep plane at the edges and holes);
2. a plane is fitted by least squares, the pixels further than ``k`` robust standard deviations (1.4826 MAD
   of the residuals of the pixels kept) are dropped, and the fit is repeated until the kept set no longer
   changes (iterative sigma clipping); steps 1 and 2 are done twice, the plane of step 1 being the least-squares
   plane of every usable pixel, then that of the pixels kept in the first round;
3. the dropped areas are grown by ``grow_px`` pixels (their flanks fade below the threshold before the
   deformation ends).

The plane itself - what random ramps leave in the rate, and any deformation that really is a tilt of the
whole scene - stays in the fit. When the deformation covers most of the scene, the plane absorbs it, almost
every pixel is kept and the fit is no better than before; the trend guard of the ramp removal
(:mod:`algorithms.corrections.ramp_limits`) then decides. Sums over pixels are added row by row in order
(:mod:`algorithms.ordered`): the same pixels are found for any block layout and CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..ordered import add_rows, row_sums, spd_solve

#: Defaults: clipping at 2.5 robust standard deviations, rate map smoothed over 2 pixels, areas grown by 3.
K_DEFAULT = 2.5
SMOOTH_PX_DEFAULT = 2.0
GROW_PX_DEFAULT = 3
#: Growth for the phase-elevation fit: a subsidence's flank fades below the threshold well before the motion ends,
#: and where the motion follows the relief (a valley floor) a flank left in is taken for atmosphere; that fit
#: needs only the relief's texture, which the quiet ground has plenty of, so it affords the wider margin (a ramp
#: fit needs pixels spread over the whole scene and keeps the narrower one).
GROW_PX_PHASE_ELEVATION = 6
#: Below this share of the usable pixels left quiet, the areas are not used (the plane does not describe the
#: scene's quiet part: nothing is left out).
MIN_QUIET_SHARE = 0.2


@dataclass
class DeformingAreas:
    """The pixels a ramp fit may use and how they were found.

    Attributes
    ----------
    quiet : ndarray (rows, cols) bool
        Usable pixels outside the deforming areas (all usable pixels when ``applied`` is False).
    applied : bool
        False when too few pixels were left quiet (``MIN_QUIET_SHARE``) or the plane could not be fitted.
    share : float
        Share of the usable pixels left quiet.
    plane : ndarray (3,)
        Robust plane of the rate ``c0 + cx x + cy y`` (x, y scaled to -1..1 over the grid), rate unit.
    sigma : float
        Robust standard deviation of the smoothed rate about the plane (rate unit).
    iterations : int
    """

    quiet: np.ndarray
    applied: bool
    share: float
    plane: np.ndarray
    sigma: float
    iterations: int


def _smooth(rate: np.ndarray, usable: np.ndarray, sigma_px: float) -> np.ndarray:
    if not sigma_px > 0:
        return np.where(usable, rate, np.nan)
    from scipy.ndimage import gaussian_filter

    w = usable.astype(np.float64)
    num = gaussian_filter(np.where(usable, rate, 0.0), float(sigma_px), mode="constant", cval=0.0, truncate=3.0)
    den = gaussian_filter(w, float(sigma_px), mode="constant", cval=0.0, truncate=3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(usable & (den > 0), num / den, np.nan)


def _plane(v: np.ndarray, sel: np.ndarray, x: np.ndarray, y: np.ndarray) -> Optional[np.ndarray]:
    """Least-squares plane of ``v`` on ``sel``, its normal equations summed row by row in row order."""
    s = sel.astype(np.float64)
    vv = np.where(sel, v, 0.0)
    xs, ys = x * s, y * s
    terms = (s, xs, ys, xs * x, xs * y, ys * y, vv, vv * x, vv * y)
    n, sx, sy, sxx, sxy, syy, sv, sxv, syv = (float(add_rows(None, row_sums(t))) for t in terms)
    ata = np.array([[n, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]])
    coef = spd_solve(ata, np.array([sv, sxv, syv]))  # a fixed order: LAPACK's bits follow BLAS's threads
    return coef if np.all(np.isfinite(coef)) else None


def deforming_areas(rate: np.ndarray, usable: Optional[np.ndarray] = None, *, k: float = K_DEFAULT,
                    smooth_px: float = SMOOTH_PX_DEFAULT, grow_px: int = GROW_PX_DEFAULT,
                    max_iterations: int = 30, min_quiet_share: float = MIN_QUIET_SHARE) -> DeformingAreas:
    """The pixels outside the deforming areas of a stacking-rate map (module notes).

    Parameters
    ----------
    rate : ndarray (rows, cols)
        Stacking rate, any unit per year (NaN = no data).
    usable : ndarray (rows, cols) bool, optional
        Pixels that may be used (e.g. mean coherence above the fit's threshold); default: finite rate.
    k : float
        Clipping threshold, robust standard deviations (> 0).
    smooth_px : float
        Gaussian smoothing of the rate before the plane fit, pixels (0 = none).
    grow_px : int
        The deforming areas are grown by this many pixels (0 = not grown).
    min_quiet_share : float
        Below this share of the usable pixels left quiet, nothing is left out (``applied`` False).

    Returns
    -------
    DeformingAreas
    """
    rate = np.asarray(rate, np.float64)
    if rate.ndim != 2:
        raise GeohazardError(f"rate must be a 2-D map, got shape {rate.shape}")
    if not k > 0:
        raise GeohazardError(f"k (clipping threshold) must be > 0, got {k!r}")
    if not smooth_px >= 0 or not grow_px >= 0:
        raise GeohazardError(f"smooth_px and grow_px must be >= 0, got {smooth_px!r} and {grow_px!r}")
    ok = np.isfinite(rate)
    if usable is not None:
        ok &= np.asarray(usable, bool)
    h, w = rate.shape
    x = np.broadcast_to(np.linspace(-1.0, 1.0, w) if w > 1 else np.zeros(1), (h, w))
    y = np.broadcast_to((np.linspace(-1.0, 1.0, h) if h > 1 else np.zeros(1))[:, None], (h, w))
    n_ok = int(ok.sum())
    none = DeformingAreas(ok, False, 1.0, np.full(3, np.nan), float("nan"), 0)
    if n_ok < 10:
        return none
    usable_ok = ok
    keep = ok.copy()
    plane, sigma, it = np.full(3, np.nan), float("nan"), 0
    # two rounds: the smoothing is done on the rate less a plane (a normalised Gaussian bends a steep plane at
    # the edges and holes), first the least-squares plane of every pixel, then the clipped plane of round one
    for _ in range(2):
        base = _plane(rate, keep, x, y)
        if base is None:
            return none
        v = _smooth(rate - (base[0] + base[1] * x + base[2] * y), usable_ok, smooth_px)
        ok = usable_ok & np.isfinite(v)
        keep &= ok
        scale = float(np.nanmax(np.abs(v[ok]))) if ok.any() else 0.0
        for _ in range(int(max_iterations)):
            it += 1
            c = _plane(v, keep, x, y)
            if c is None:
                return none
            r = v - (c[0] + c[1] * x + c[2] * y)
            rk = r[keep]
            sigma = 1.4826 * float(np.median(np.abs(rk - np.median(rk))))
            new = ok & (np.abs(r) <= max(k * sigma, 1e-9 * (scale + 1.0)))
            if not new.any():
                return none
            if np.array_equal(new, keep):
                break
            keep = new
        plane = base + c
    deforming = ok & ~keep
    if grow_px > 0 and deforming.any():
        from scipy.ndimage import binary_dilation

        deforming = binary_dilation(deforming, iterations=int(grow_px))
    quiet = ok & ~deforming
    share = float(quiet.sum()) / max(n_ok, 1)
    if share < min_quiet_share:
        return DeformingAreas(ok, False, share, plane, sigma, it)
    return DeformingAreas(quiet, True, share, plane, sigma, it)
