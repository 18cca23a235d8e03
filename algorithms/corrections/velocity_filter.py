"""Noise-adaptive spatial filter of a velocity map, driven by each pixel's own standard error.

The velocity of one pixel carries the decorrelation noise of its interferograms; between pixels that noise
is nearly independent (spatially white), whereas deformation and what the corrections leave behind are
spatially smooth. The local-statistics (Lee 1980, doi:10.1109/TPAMI.1980.4766994; local Wiener / minimum
mean-square-error) filter uses that difference:

    v_f = mu + g (v - mu),    g = clip(1 - s^2 / var_local, 0, 1)

with ``mu`` and ``var_local`` the mean and variance of the velocities in the ``window_px`` x ``window_px``
window around the pixel and ``s`` the pixel's own standard error. Where the pixel's noise explains the local
variation (flat ground, the middle of a smooth bowl) the gain is near 0 and the pixel takes the window mean;
where the velocities vary far more than the noise (a bowl's flank, a landslide's border, an isolated fast
pixel) the gain is near 1 and the pixel keeps its value. ``weighting="inverse_variance"`` takes the window
mean with weights ``1 / s^2``.

The filtered value is a weighted sum ``sum_j w_j v_j`` of the window's velocities (the gain taken as given),
and its standard error is propagated through the same weights. Only the part of a pixel's error that its
neighbours do not share is reduced by averaging, and that part's variance is at most the window's local
variance (white noise of variance ``s^2`` spreads the values by ``s^2``; errors shared by the window - an
atmosphere residual over kilometres - do not spread them): each pixel's variance is split into
``white = min(s^2, var_local n / (n - 1))`` (``n`` values in the window) and ``common = s^2 - white`` and

    var_f = sum_j w_j^2 white_j + (sum_j w_j sqrt(common_j))^2

(independent white parts, fully correlated common parts). Where the noise is white it is the independent
propagation; where the neighbours agree better than their errors say, the error is not claimed reduced.

Pixels without a velocity stay without one (coverage unchanged) and are not neighbours; a pixel whose
standard error is missing keeps its velocity and is not a neighbour either. The window is clipped at the
grid's edges. Each window is summed over its offsets in a fixed order, so a block read with a halo of
:func:`filter_radius` rows (two half-windows: the standard error uses the neighbours' local variances) gives
the same bytes whatever the block layout.
"""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError

#: Default window side (pixels) and form.
WINDOW_PX_DEFAULT = 3
WEIGHTINGS = ("mean", "inverse_variance")
WEIGHTING_DEFAULT = "mean"


def filter_radius(window_px: int) -> int:
    """Rows of halo a block needs for a ``window_px`` window (0 = filter off): the standard error of a pixel
    uses its neighbours' local variances, two half-windows away."""
    return 2 * (int(window_px) // 2) if int(window_px) > 1 else 0


def check_window(window_px: int, *, name: str = "window_px") -> int:
    """``window_px`` as an int: 0 or 1 (off) or an odd number >= 3 (``name`` in the message)."""
    w = int(window_px)
    if w < 0 or (w > 1 and w % 2 == 0):
        raise GeohazardError(f"{name} must be 0 (off) or an odd number of pixels >= 3, got {window_px}")
    return w


class StdReduction:
    """Median of (filtered / unfiltered standard error) over the pixels that have both, from a histogram of
    0.001-wide bins added block by block (integer counts: the same for any block layout or order)."""

    BINS = 2000  # ratios 0 .. 2

    def __init__(self):
        self.counts = np.zeros(self.BINS + 1, np.int64)

    def add(self, block, out: dict) -> None:
        """Count one block's ratios (``out`` as :func:`~algorithms.corrections.dem_error.dem_error_engine_block`
        returns it with the filter on)."""
        a, b = out["velocity_std_mm_yr"], out["velocity_std_unfiltered_mm_yr"]
        ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
        idx = np.minimum((a[ok] / b[ok] * 1000.0).astype(np.int64), self.BINS)
        self.counts += np.bincount(idx, minlength=self.BINS + 1)

    def median(self) -> float:
        """The median ratio (NaN without pixels; bins' middles, 2.0 = 2 or more)."""
        n = int(self.counts.sum())
        if n == 0:
            return float("nan")
        k = int(np.searchsorted(np.cumsum(self.counts), (n + 1) // 2))
        return min((k + 0.5) / 1000.0, 2.0)

    def describe(self) -> str:
        m = self.median()
        if not np.isfinite(m):
            return "no pixel has a standard error"
        return f"median standard error x {m:.2f} ({(1 - m) * 100:.0f} % lower) over {int(self.counts.sum())} pixels"


def adaptive_velocity_filter(velocity_mm_yr, velocity_std_mm_yr, *, window_px: int = WINDOW_PX_DEFAULT,
                             weighting: str = WEIGHTING_DEFAULT) -> dict:
    """Noise-adaptive (Lee / local Wiener) filter of a velocity map.

    Parameters
    ----------
    velocity_mm_yr, velocity_std_mm_yr : ndarray (rows, cols)
        Velocity (mm/yr) and its standard error (mm/yr); NaN = no value.
    window_px : int, keyword-only
        Side of the square window (odd, >= 3; 0 or 1 return the inputs unchanged).
    weighting : {"mean", "inverse_variance"}, keyword-only
        How the window mean is taken.

    Returns
    -------
    dict
        ``velocity_mm_yr`` and ``velocity_std_mm_yr`` (rows, cols) filtered, ``gain`` (rows, cols; 1 = kept,
        0 = window mean; NaN where there is no velocity).
    """
    w = check_window(window_px)
    if weighting not in WEIGHTINGS:
        raise GeohazardError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    v = np.asarray(velocity_mm_yr, np.float64)
    s = np.asarray(velocity_std_mm_yr, np.float64)
    if v.ndim != 2 or s.shape != v.shape:
        raise GeohazardError(f"velocity_mm_yr and velocity_std_mm_yr must be 2-D of one shape, got {v.shape} and "
                             f"{s.shape}")
    has_v = np.isfinite(v)
    if w <= 1:
        return {"velocity_mm_yr": v.copy(), "velocity_std_mm_yr": s.copy(),
                "gain": np.where(has_v, 1.0, np.nan)}
    var = s * s
    inv = weighting == "inverse_variance"
    ok = has_v & np.isfinite(var)
    if inv:
        # a zero standard error would take the whole window: such pixels keep their value and are no neighbours
        ok &= var > 0
    r = w // 2
    rows, cols = v.shape
    pad = ((r, r), (r, r))
    vp = np.pad(np.where(ok, v, 0.0), pad)
    okp = np.pad(ok, pad)
    varp = np.pad(np.where(ok, var, 0.0), pad)
    wp = np.where(okp, 1.0 / np.where(okp, varp, 1.0), 0.0) if inv else None
    offsets = [(dy, dx) for dy in range(w) for dx in range(w)]

    def window_sum(padded):
        acc = np.zeros((rows, cols))
        for dy, dx in offsets:
            acc += padded[dy:dy + rows, dx:dx + cols]
        return acc

    n = window_sum(okp.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        s1u = window_sum(vp)
        plain_mu = s1u / n
        if inv:
            sw = window_sum(wp)
            mean = window_sum(wp * vp) / sw
        else:
            mean = plain_mu
        # the local variance about the plain window mean, in a second pass (no cancellation of large rates as
        # with sum(v^2) - n mu^2)
        sq = np.zeros((rows, cols))
        for dy, dx in offsets:
            win = (slice(dy, dy + rows), slice(dx, dx + cols))
            sq += np.where(okp[win], (vp[win] - plain_mu) ** 2, 0.0)
        local_var = sq / n
        g = np.where(local_var > 0, np.clip(1.0 - var / local_var, 0.0, 1.0), 0.0)
        out = mean + g * (v - mean)
        # standard error: the part of a pixel's variance its neighbours do not share is at most the local variance
        # (white noise of variance s^2 spreads the window's values by s^2); the rest is taken as common to the
        # window, which averaging does not reduce
        white = np.where(ok, np.minimum(var, local_var * n / np.maximum(n - 1.0, 1.0)), 0.0)
        common = np.sqrt(np.maximum(np.where(ok, var, 0.0) - white, 0.0))
        whp, cop = np.pad(white, pad), np.pad(common, pad)
        if inv:
            a = window_sum(wp * wp * whp) / (sw * sw)
            c = window_sum(wp * cop) / sw
            own = np.where(ok, 1.0 / np.where(ok, var, 1.0), 0.0) / sw
        else:
            a = window_sum(whp) / (n * n)
            c = window_sum(cop) / n
            own = 1.0 / n
        out_var = (1.0 - g) ** 2 * a + (2.0 * g * (1.0 - g) * own + g * g) * white \
            + ((1.0 - g) * c + g * common) ** 2
    out = np.where(ok, out, v)
    out_std = np.where(ok, np.sqrt(out_var), s)
    gain = np.where(ok, g, np.where(has_v, 1.0, np.nan))
    return {"velocity_mm_yr": out, "velocity_std_mm_yr": out_std, "gain": gain}
