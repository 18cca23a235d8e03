"""Simulated wrapped interferograms with subsidence basins and look-alikes: the training and test frames of the basin
detector (:mod:`.detection`).

A frame (``size`` x ``size`` pixels, wrapped phase in radians) is the sum of

* **basins** (the targets): probability-integral (Knothe) subsidence of a rectangular panel, the product of two
  differences of error functions (Knothe 1957; Liu & Liao 1965; the model of the mining-subsidence papers),

      W(x, y) = W0 / 4 [erf(sqrt(pi) (x + a) / r) - erf(sqrt(pi) (x - a) / r)]
                       [erf(sqrt(pi) (y + b) / r) - erf(sqrt(pi) (y - b) / r)],

  panel half-widths ``a``, ``b``, radius of influence ``r``, rotated; elliptical Gaussian bowls; basins of two or
  three overlapping lobes; Gaussians whose two flanks differ (asymmetric). Elongation up to 2.5, radii of 6-60 px,
  depths of 2 to 6 fringes (twice the single-fringe bait at least), never steeper than 2 rad per pixel (what a
  wrapped interferogram can show: a basin too narrow for its depth is widened);
* **atmosphere**: a power-law (fractal) screen, power spectrum ~ k^-beta with beta drawn from 1.6-3.8 (around
  Kolmogorov's 8/3, Hanssen 2001, doi:10.1007/0-306-47633-9), 0.3-2.0 rad standard deviation (log-uniform);
* **topographic stratification**: phase proportional to a synthetic DEM (a fractal surface, beta = 3.5, in half the
  frames folded into ridges and valleys, with a few Gaussian hills), at most two fringes over the whole relief;
* **bait**: a one-fringe orbital ramp across the frame (half the frames), single-fringe atmospheric blobs (a
  Gaussian of at most 2 pi, roughened by the screen), decorrelated patches (uniform random phase), and pixel noise
  (0.2-0.7 rad, up to twice that in patches).

Every frame comes from its own ``numpy.random.default_rng(seed)``: the recipe and a seed give the same frame on
every machine. The truth of a frame is its basins: centre (row, col) and radius in pixels (Gaussian: 2 sigma, the
geometric mean of the two axes; panel: the geometric mean of ``a + r / 2`` and ``b + r / 2``; lobed and asymmetric
basins: the centroid of the half-depth area and the radius of the area deeper than exp(-2) of the depth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

#: Beta of the atmospheric screen's power spectrum (Kolmogorov turbulence).
ATMOSPHERE_BETA = 8.0 / 3.0
#: Range of the exponents of the frames' atmospheric screens (turbulence of other spectra than Kolmogorov's).
ATMOSPHERE_BETAS = (1.6, 3.8)
#: Range of the atmosphere's standard deviation, rad (drawn log-uniform).
ATMOSPHERE_RAD = (0.3, 2.0)
#: Largest ratio of a basin's long to short axis.
ELONGATION = 2.5
#: Stratification: at most this many fringes over the frame's relief.
STRATIFIED_FRINGES = 2.0
#: Steepest basin flank simulated, rad per pixel (a wrapped interferogram shows at most pi).
MAX_GRADIENT = 2.0
#: Range of basin depths, in fringes (2 pi).
DEPTH_FRINGES = (2.0, 6.0)
#: Range of basin radii, in pixels.
RADIUS_PX = (6.0, 60.0)


@dataclass
class Frame:
    """A simulated wrapped interferogram: ``phase`` (float32, rad, NaN where no data), its basins ``truth`` as
    ``(row, col, radius_px)`` and what else it holds (``bait``: names of the look-alikes)."""

    phase: np.ndarray
    truth: list = field(default_factory=list)
    bait: list = field(default_factory=list)


def fractal_field(rng, shape, beta: float) -> np.ndarray:
    """A zero-mean, unit-variance random field with power spectrum ~ k^-beta (white noise shaped in Fourier)."""
    ny, nx = shape
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.rfftfreq(nx)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = np.inf
    spec = (rng.standard_normal((ny, nx // 2 + 1)) + 1j * rng.standard_normal((ny, nx // 2 + 1))) * k ** (-beta / 2)
    f = np.fft.irfft2(spec, s=shape)
    f -= f.mean()
    sd = f.std()
    return f / sd if sd > 0 else f


def _rotated(shape, row, col, angle):
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    dy, dx = yy + 0.5 - row, xx + 0.5 - col
    c, s = math.cos(angle), math.sin(angle)
    return c * dx + s * dy, -s * dx + c * dy


def knothe_panel(shape, row, col, *, a, b, r, angle, depth) -> np.ndarray:
    """Probability-integral subsidence (rad) of a rectangular panel of half-widths ``a``, ``b`` (px), radius of
    influence ``r`` (px), centred at (row, col) (pixel-edge coordinates), rotated by ``angle`` (rad)."""
    u, v = _rotated(shape, row, col, angle)
    k = math.sqrt(math.pi) / r
    return depth * 0.25 * (erf(k * (u + a)) - erf(k * (u - a))) * (erf(k * (v + b)) - erf(k * (v - b)))


def gaussian_bowl(shape, row, col, *, sx, sy, angle, depth) -> np.ndarray:
    """An elliptical Gaussian bowl (rad) with standard deviations ``sx``, ``sy`` (px)."""
    u, v = _rotated(shape, row, col, angle)
    return depth * np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))


def _steepest(w) -> float:
    """Largest phase gradient (per pixel) of a basin of unit depth."""
    gy, gx = np.gradient(w)
    return float(np.max(np.hypot(gx, gy)))


def _footprint(w):
    """Centre (row, col: the centroid of the half-depth area) and radius (px: the area displaced by at least
    exp(-2) of the depth, 2 sigma for a Gaussian) of a basin of unit depth."""
    core = w >= 0.5
    rr, cc = np.nonzero(core)
    radius = math.sqrt(np.count_nonzero(w >= math.exp(-2)) / math.pi)
    return float(rr.mean()) + 0.5, float(cc.mean()) + 0.5, float(radius)


def _lobed_or_skewed(rng, shape, row, col, radius, angle, elong):
    """A basin of unit depth made of two or three overlapping lobes, or a Gaussian whose two flanks along its long
    axis differ (asymmetric)."""
    u, v = _rotated(shape, row, col, angle)
    sigma = radius / 2.0
    if rng.random() < 0.5:
        w = np.zeros(shape)
        for k in range(int(rng.integers(2, 4))):
            off = rng.uniform(0.3, 0.9) * sigma if k else 0.0
            t = rng.uniform(0, 2 * math.pi)
            s = sigma * rng.uniform(0.55, 0.9)
            w += rng.uniform(0.5, 1.0) * np.exp(-0.5 * (((u - off * math.cos(t)) / (s * math.sqrt(elong))) ** 2
                                                        + ((v - off * math.sin(t)) * math.sqrt(elong) / s) ** 2))
    else:
        near, far = sigma * rng.uniform(0.4, 0.8), sigma * rng.uniform(0.9, 1.4)
        su = np.where(u < 0, near, far) * math.sqrt(elong)
        w = np.exp(-0.5 * ((u / su) ** 2 + (v * math.sqrt(elong) / sigma) ** 2))
    return w / w.max()


def _basin(rng, shape, row, col, radius):
    """One basin of about ``radius`` px, as deep as the flank allows (at least two fringes): (phase, its centre
    row, col, its radius)."""
    angle = rng.uniform(0, math.pi)
    elong = rng.uniform(1.0, ELONGATION)
    sign = rng.choice([-1.0, 1.0])  # subsidence is negative or positive phase, by the processor's convention
    kind = rng.random()
    if kind < 1.0 / 3.0:
        sigma = radius / 2.0
        sx, sy = sigma * math.sqrt(elong), sigma / math.sqrt(elong)
        # steepest flank of a Gaussian: depth / sigma x exp(-1/2); the narrow axis is wide enough for the
        # smallest depth
        widen = max(1.0, DEPTH_FRINGES[0] * 2 * math.pi * math.exp(-0.5) / MAX_GRADIENT / sy)
        sx, sy = sx * widen, sy * widen
        cap = MAX_GRADIENT * sy / math.exp(-0.5)
        depth = min(rng.uniform(*DEPTH_FRINGES) * 2 * math.pi, cap)
        radius = 2.0 * math.sqrt(sx * sy)
        return sign * gaussian_bowl(shape, row, col, sx=sx, sy=sy, angle=angle, depth=depth), row, col, radius
    if kind < 2.0 / 3.0:
        # widened until a flank of at most MAX_GRADIENT reaches the smallest depth
        for _ in range(8):
            w = _lobed_or_skewed(rng, shape, row, col, radius, angle, elong)
            if DEPTH_FRINGES[0] * 2 * math.pi * _steepest(w) <= MAX_GRADIENT:
                break
            radius *= 1.25
        depth = min(rng.uniform(*DEPTH_FRINGES) * 2 * math.pi, MAX_GRADIENT / _steepest(w))
        r0, c0, rad = _footprint(w)
        return sign * depth * w, r0, c0, rad
    # the radius of influence is wide enough for a flank of at most MAX_GRADIENT to reach the smallest depth
    r_inf = max(radius * rng.uniform(0.6, 1.0), DEPTH_FRINGES[0] * 2 * math.pi / MAX_GRADIENT)
    half = max(radius - r_inf / 2, 0.5)
    a, b = half * math.sqrt(elong), half / math.sqrt(elong)
    # steepest flank of the panel: depth / r (the error function's slope at the panel's edge, both factors ~1)
    depth = min(rng.uniform(*DEPTH_FRINGES) * 2 * math.pi, MAX_GRADIENT * r_inf)
    return sign * knothe_panel(shape, row, col, a=a, b=b, r=r_inf, angle=angle, depth=depth), row, col, radius


def _place(rng, size, radius, placed):
    for _ in range(50):
        row, col = rng.uniform(radius * 0.5, size - radius * 0.5, size=2)
        if all(math.hypot(row - r, col - c) > radius + rr + 4 for r, c, rr in placed):
            return row, col
    return None


def simulate_frame(seed: int, *, size: int = 128, max_basins: int = 3, bait: bool = True) -> Frame:
    """One frame of the recipe above from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int
        The frame's seed.
    size : int
        Rows and columns (px).
    max_basins : int
        Frames hold 0 to ``max_basins`` basins.
    bait : bool
        Add the look-alikes (ramp, one-fringe blobs, decorrelated patches); the atmosphere, the stratification and
        the noise are always there.
    """
    rng = np.random.default_rng(seed)
    shape = (size, size)
    phase = np.zeros(shape)
    truth, names = [], []
    for _ in range(int(rng.integers(0, max_basins + 1))):
        radius = float(np.exp(rng.uniform(math.log(RADIUS_PX[0]), math.log(min(RADIUS_PX[1], size / 3)))))
        spot = _place(rng, size, radius, truth)
        if spot is None:
            continue
        w, r0, c0, radius = _basin(rng, shape, spot[0], spot[1], radius)
        phase += w
        truth.append((float(r0), float(c0), float(radius)))
    beta = rng.uniform(*ATMOSPHERE_BETAS)
    phase += math.exp(rng.uniform(*np.log(ATMOSPHERE_RAD))) * fractal_field(rng, shape, beta)
    dem = fractal_field(rng, shape, 3.5)
    if rng.random() < 0.5:  # ridges and valleys
        dem = -np.abs(dem)
    for _ in range(int(rng.integers(0, 3))):
        dem += rng.uniform(1.0, 3.0) * gaussian_bowl(shape, *rng.uniform(0, size, 2), sx=rng.uniform(8, 30),
                                                      sy=rng.uniform(8, 30), angle=rng.uniform(0, math.pi),
                                                      depth=1.0)
    relief = float(dem.max() - dem.min()) or 1.0
    phase += rng.uniform(-1.0, 1.0) * STRATIFIED_FRINGES * 2 * math.pi * (dem - dem.mean()) / relief
    noise = rng.uniform(0.2, 0.7)
    if bait:
        if rng.random() < 0.5:
            t = rng.uniform(0, 2 * math.pi)
            yy, xx = np.mgrid[0:size, 0:size]
            phase += 2 * math.pi * (math.cos(t) * xx + math.sin(t) * yy) / size
            names.append("ramp")
        for _ in range(int(rng.integers(0, 3))):
            s = rng.uniform(6, 25)
            blob = gaussian_bowl(shape, *rng.uniform(0, size, 2), sx=s * rng.uniform(0.8, 1.25), sy=s,
                                 angle=rng.uniform(0, math.pi), depth=rng.uniform(0.5, 1.0) * 2 * math.pi)
            phase += rng.choice([-1.0, 1.0]) * blob * (1 + 0.3 * fractal_field(rng, shape, ATMOSPHERE_BETA))
            names.append("blob")
    # noise stronger in patches (decorrelation varying over the frame)
    patchy = fractal_field(rng, shape, 3.0)
    noise = noise * (1.0 + rng.uniform(0.0, 0.5) * np.clip(patchy, 0.0, 2.0))
    phase += noise * rng.standard_normal(shape)
    if bait:
        for _ in range(int(rng.integers(0, 3))):
            patch = fractal_field(rng, shape, 3.0) > rng.uniform(1.2, 2.0)
            phase[patch] = rng.uniform(-math.pi, math.pi, int(patch.sum()))
            names.append("decorrelated")
    wrapped = np.angle(np.exp(1j * phase)).astype(np.float32)
    return Frame(wrapped, truth, names)
