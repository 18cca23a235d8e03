"""Two generators of wrapped interferograms with subsidence basins, written for the basin detector's held-out tests
and benchmark, independently of the detector's training simulator (``algorithms/interferograms/basin_sim.py``):
other basin shapes, other atmospheres, other decorrelation, other bait, other code.

``lobes_frame(seed)`` ("lobes")
    Surface displacement in millimetres turned into phase with Sentinel-1's wavelength (55.47 mm, 4 pi / lambda,
    subsidence = phase decreasing), frames of 112-176 px. Basins: a Mogi point source's vertical displacement
    (d^3 / (d^2 + r^2)^1.5: long tails; Mogi 1958), two or three overlapping lobes of one basin (one truth),
    skewed bowls whose flanks differ by 1.5-3x on the two sides of the long axis; 0-4 per frame, 55-180 mm deep.
    Atmosphere: fractional Brownian noise summed over octaves (value noise on coarse grids, bicubic upsampling,
    amplitude 2^-H per octave, H 0.2-0.9: spectral exponents from about 2.4 to 3.8), 2-12 mm RMS. Stratification:
    a delay exponential in height (scale height 2-8 km, Doin et al. 2009 doi:10.1016/j.jappgeo.2009.03.010) over
    a terrain of random ridges and valleys, 10-40 mm over the relief. Decorrelation: a coherence map (vegetation-
    like patches 0.05-0.3, open ground 0.5-0.95) turned into phase noise by drawing circular complex Gaussian
    speckle of that coherence (one look). Bait: ring-shaped convective cells of one fringe or less, a quadratic
    orbital ramp, a water body of random phase.

``ellipses_frame(seed)`` ("ellipses")
    Phase in radians directly, frames of 128-208 px. Basins: compact-support elliptic bowls (quartic kernel
    (1 - rho^2)^2) and flat-bottomed bowls (a tanh edge), elongation 1-2.6, semi-axes 7-45 px, 2-7 fringes deep,
    flanks at most 2.4 rad per pixel; 0-4 per frame. Atmosphere: a power-law screen synthesised with fixed spectral
    amplitude and uniform random phases (not white-noise shaping), exponent 5/3-11/3, 0.4-2.2 rad RMS.
    Stratification: phase proportional to the height of a random crop of a real DEM (tests/data/ecuador_dem, 10 m,
    Reserva San Francisco, Ecuador; GPL-2, its README), flipped or transposed, 0.3-1.8 fringes over the crop's
    relief: fringes that follow valleys and ridges. Decorrelation: Gaussian phase noise whose sigma grows in
    smoothed patches (0.2-1.6 rad) and isolated blocks of random phase. Bait: single-fringe atmospheric blobs,
    dipoles (a blob and its opposite side by side).

Both return a :class:`BasinFrame`: the wrapped phase (float32), the basins as ``(row, col, radius_px)`` (deepest
point, equivalent radius of the footprint), a label image of the basins' footprints (pixels displaced by at least
15 % of the basin's depth, connected to its deepest point; label k + 1 for basin k) and one of the bait.
:func:`score_frame` counts detections against it: a detection is right when its centre lies in a basin's footprint
not yet found; a second detection in the same footprint is a repeat; the others are false, at bait or away from it.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

WAVELENGTH_MM = 55.465763
DEM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ecuador_dem", "dem.tif")
FOOTPRINT = 0.15


@dataclass
class BasinFrame:
    phase: np.ndarray
    truth: list
    labels: np.ndarray
    bait: np.ndarray
    bait_names: list


def _footprint(w, labels, k):
    peak = np.unravel_index(int(np.argmax(np.abs(w))), w.shape)
    lab, _ = ndimage.label(np.abs(w) >= FOOTPRINT * np.abs(w[peak]))
    mine = (lab == lab[peak]) & (labels == 0)
    labels[mine] = k
    return float(peak[0]) + 0.5, float(peak[1]) + 0.5, float(math.sqrt(mine.sum() / math.pi))


def _spots(rng, shape, n, radius_range, gap):
    """Up to ``n`` centres with radii, apart by their radii and ``gap``."""
    out = []
    for _ in range(n):
        for _ in range(40):
            rad = float(rng.uniform(*radius_range))
            r = float(rng.uniform(0.4 * rad, shape[0] - 0.4 * rad))
            c = float(rng.uniform(0.4 * rad, shape[1] - 0.4 * rad))
            if all(math.hypot(r - r2, c - c2) > (rad + rad2) * gap for r2, c2, rad2 in out):
                out.append((r, c, rad))
                break
    return out


def _axes(shape, r, c, angle):
    y, x = np.indices(shape, dtype=np.float64)
    dy, dx = y + 0.5 - r, x + 0.5 - c
    return math.cos(angle) * dx + math.sin(angle) * dy, -math.sin(angle) * dx + math.cos(angle) * dy


# ------------------------------------------------------------------------------------------------------ lobes
def _octave_noise(rng, shape, hurst):
    """Fractional Brownian value noise: octaves of random grids upsampled bicubically, amplitude 2^-H per octave."""
    out = np.zeros(shape)
    cells = 2
    amp = 1.0
    while cells <= max(shape):
        grid = rng.standard_normal((cells + 3, cells + 3))
        zoom = (shape[0] / cells, shape[1] / cells)
        up = ndimage.zoom(grid, zoom, order=3, mode="nearest")
        out += amp * up[:shape[0], :shape[1]]
        cells *= 2
        amp *= 2.0 ** -hurst
    out -= out.mean()
    return out / out.std()


def _terrain(rng, shape):
    """Random ridges and valleys (m): a few sine ridges of random strike, bent by noise, plus rough detail."""
    y, x = np.indices(shape, dtype=np.float64)
    h = np.zeros(shape)
    bend = 12.0 * _octave_noise(rng, shape, 0.9)
    for _ in range(int(rng.integers(2, 5))):
        t = rng.uniform(0, math.pi)
        wl = rng.uniform(40, 160)
        h += rng.uniform(200, 700) * np.sin(2 * math.pi * (math.cos(t) * x + math.sin(t) * y + bend) / wl
                                            + rng.uniform(0, 2 * math.pi))
    h += 80.0 * _octave_noise(rng, shape, 0.6)
    return h - h.min() + rng.uniform(100, 2500)


def _lobes_basin(rng, shape, r, c, rad, depth_mm):
    kind = rng.integers(0, 3)
    angle = rng.uniform(0, math.pi)
    if kind == 0:  # Mogi: the source's depth sets the width (20 % of the peak at ~1.2 depths)
        d = rad / 1.2
        y, x = np.indices(shape, dtype=np.float64)
        rho2 = (y + 0.5 - r) ** 2 + (x + 0.5 - c) ** 2
        return -depth_mm * d ** 3 / (d * d + rho2) ** 1.5, "mogi"
    u, v = _axes(shape, r, c, angle)
    if kind == 1:  # lobes of one basin
        w = np.zeros(shape)
        sigma = rad / 2.2
        for k in range(int(rng.integers(2, 4))):
            off = rng.uniform(0.4, 1.0) * sigma * (k > 0)
            t = rng.uniform(0, 2 * math.pi)
            s = sigma * rng.uniform(0.6, 1.0)
            w += rng.uniform(0.5, 1.0) * np.exp(-0.5 * ((u - off * math.cos(t)) ** 2 + (v - off * math.sin(t)) ** 2)
                                                / s ** 2)
        return -depth_mm * w / w.max(), "lobes"
    s_long = rad / 2.0
    s_left, s_right = s_long / rng.uniform(1.5, 3.0) ** 0.5, s_long * rng.uniform(0.9, 1.2)
    s_cross = s_long / rng.uniform(1.0, 1.8)
    su = np.where(u < 0, s_left, s_right)
    return -depth_mm * np.exp(-0.5 * ((u / su) ** 2 + (v / s_cross) ** 2)), "skewed"


def _too_steep(w_mm, limit_rad_px=2.4):
    g = np.hypot(*np.gradient(w_mm)) * 4 * math.pi / WAVELENGTH_MM
    return float(g.max()) > limit_rad_px


def lobes_frame(seed: int) -> BasinFrame:
    rng = np.random.default_rng([seed, 7391])
    n = int(rng.integers(112, 177))
    shape = (n, n + int(rng.integers(-16, 17)))
    disp = np.zeros(shape)
    labels = np.zeros(shape, dtype=np.int32)
    truth = []
    for r, c, rad in _spots(rng, shape, int(rng.integers(0, 5)), (9.0, min(shape) / 4.0), 1.3):
        depth = float(rng.uniform(55, 180))
        w, _kind = _lobes_basin(rng, shape, r, c, rad, depth)
        while _too_steep(w) and depth > 56:
            depth *= 0.85
            w = w * 0.85
        truth.append(_footprint(w, labels, len(truth) + 1))
        disp += w
    turb = rng.uniform(2.0, 12.0) * _octave_noise(rng, shape, rng.uniform(0.2, 0.9))
    h = _terrain(rng, shape)
    scale_h = rng.uniform(2000, 8000)
    strat = np.exp(-h / scale_h)
    strat = rng.choice([-1, 1]) * rng.uniform(10, 40) * (strat - strat.mean()) / (np.ptp(strat) or 1.0)
    bait = np.zeros(shape, dtype=np.int32)
    names = []
    extra = np.zeros(shape)
    for r, c, rad in _spots(rng, shape, int(rng.integers(0, 3)), (8.0, 30.0), 1.0):
        y, x = np.indices(shape, dtype=np.float64)
        rho = np.hypot(y + 0.5 - r, x + 0.5 - c)
        ring = np.exp(-0.5 * ((rho - rad) / (0.35 * rad)) ** 2)
        extra += rng.choice([-1, 1]) * rng.uniform(12, 27) * ring
        bait[(ring > 0.3) & (bait == 0)] = len(names) + 1
        names.append("convective ring")
    if rng.random() < 0.5:
        y, x = np.indices(shape, dtype=np.float64) / max(shape)
        extra += rng.uniform(15, 45) * ((x - rng.uniform(0, 1)) ** 2 + 0.5 * (y - rng.uniform(0, 1)) ** 2)
        names.append("quadratic ramp")
    phase = -4 * math.pi / WAVELENGTH_MM * (disp + turb + strat + extra)
    patches = ndimage.gaussian_filter(rng.standard_normal(shape), rng.uniform(3, 8))
    patches = patches > np.quantile(patches, rng.uniform(0.7, 0.95))
    coh = np.where(patches, rng.uniform(0.05, 0.3), rng.uniform(0.5, 0.95))
    speckle = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2)
    z = np.exp(1j * phase) * (coh + np.sqrt(1 - coh ** 2) * speckle)
    if rng.random() < 0.3:
        r, c = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        u, v = _axes(shape, r, c, rng.uniform(0, math.pi))
        lake = (u / rng.uniform(6, 20)) ** 2 + (v / rng.uniform(3, 10)) ** 2 <= 1
        z[lake] = np.exp(1j * rng.uniform(-math.pi, math.pi, int(lake.sum())))
        bait[lake & (bait == 0)] = len(names) + 1
        names.append("water")
    return BasinFrame(np.angle(z).astype(np.float32), truth, labels, bait, names)


# ------------------------------------------------------------------------------------------------------ ellipses
@functools.lru_cache(maxsize=1)
def _dem():
    from osgeo import gdal

    a = gdal.Open(DEM).ReadAsArray().astype(np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        idx = ndimage.distance_transform_edt(bad, return_distances=False, return_indices=True)
        a = a[tuple(idx)]
    return a


def _power_law_screen(rng, shape, beta):
    """Fixed amplitude k^-beta/2, uniform random phases, real part of the inverse FFT; unit RMS."""
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    k = np.hypot(ky, kx)
    k[0, 0] = 1.0
    amp = k ** (-beta / 2.0)
    amp[0, 0] = 0.0
    f = np.real(np.fft.ifft2(amp * np.exp(2j * math.pi * rng.random(shape))))
    return (f - f.mean()) / f.std()


def ellipses_frame(seed: int) -> BasinFrame:
    rng = np.random.default_rng([seed, 40213])
    n = int(rng.integers(128, 209))
    shape = (n + int(rng.integers(-24, 25)), n)
    two_pi = 2 * math.pi
    defo = np.zeros(shape)
    labels = np.zeros(shape, dtype=np.int32)
    truth = []
    for r, c, rad in _spots(rng, shape, int(rng.integers(0, 5)), (8.0, min(45.0, min(shape) / 3.5)), 1.25):
        elong = rng.uniform(1.0, 2.6)
        a, b = rad * math.sqrt(elong), rad / math.sqrt(elong)
        a, b = max(a, 7.0), max(b, 7.0)
        u, v = _axes(shape, r, c, rng.uniform(0, math.pi))
        rho2 = (u / a) ** 2 + (v / b) ** 2
        if rng.random() < 0.5:
            w = np.where(rho2 < 1, (1 - rho2) ** 2, 0.0)  # steepest slope 1.54 / b per unit depth
            slope = 1.54 / b
        else:
            edge = rng.uniform(0.15, 0.35)
            w = 0.5 * (1 - np.tanh((np.sqrt(rho2) - 0.8) / edge))
            w /= w.max()
            slope = 0.5 / (edge * b)
        depth = min(rng.uniform(2.0, 7.0) * two_pi, 2.4 / slope)
        if depth < 2.0 * two_pi:
            continue
        w *= -depth if rng.random() < 0.8 else depth
        truth.append(_footprint(w, labels, len(truth) + 1))
        defo += w
    atmo = rng.uniform(0.4, 2.2) * _power_law_screen(rng, shape, rng.uniform(5 / 3, 11 / 3))
    dem = _dem()
    if rng.random() < 0.5:
        dem = dem.T
    r0 = int(rng.integers(0, max(1, dem.shape[0] - shape[0])))
    c0 = int(rng.integers(0, max(1, dem.shape[1] - shape[1])))
    crop = dem[r0:r0 + shape[0], c0:c0 + shape[1]]
    if crop.shape != shape:
        crop = ndimage.zoom(crop, (shape[0] / crop.shape[0], shape[1] / crop.shape[1]), order=1)[:shape[0], :shape[1]]
    crop = crop[::int(rng.choice([-1, 1])), ::int(rng.choice([-1, 1]))]
    strat = rng.choice([-1, 1]) * rng.uniform(0.3, 1.8) * two_pi * (crop - crop.mean()) / (np.ptp(crop) or 1.0)
    bait = np.zeros(shape, dtype=np.int32)
    names = []
    blobs = np.zeros(shape)
    for r, c, rad in _spots(rng, shape, int(rng.integers(0, 4)), (6.0, 28.0), 1.0):
        u, v = _axes(shape, r, c, rng.uniform(0, math.pi))
        g = np.exp(-0.5 * ((u / rad) ** 2 + (v / (rad * rng.uniform(0.7, 1.0))) ** 2))
        amp = rng.uniform(0.4, 1.0) * two_pi * rng.choice([-1, 1])
        if rng.random() < 0.3:
            u2 = u - 2.2 * rad
            g = g - np.exp(-0.5 * ((u2 / rad) ** 2 + (v / rad) ** 2))
            names.append("dipole")
        else:
            names.append("blob")
        blobs += amp * g
        bait[(np.abs(g) > 0.3) & (bait == 0)] = len(names)
    sigma = ndimage.gaussian_filter(rng.standard_normal(shape), rng.uniform(4, 10))
    sigma = 0.2 + 1.4 * np.clip((sigma - sigma.min()) / (np.ptp(sigma) or 1.0), 0, 1) ** 2
    phase = defo + atmo + strat + blobs + sigma * rng.standard_normal(shape)
    for _ in range(int(rng.integers(0, 4))):
        h, w = rng.integers(4, 18, size=2)
        r, c = int(rng.integers(0, shape[0] - h)), int(rng.integers(0, shape[1] - w))
        phase[r:r + h, c:c + w] = rng.uniform(-math.pi, math.pi, (h, w))
    return BasinFrame(np.angle(np.exp(1j * phase)).astype(np.float32), truth, labels, bait, names)


GENERATORS = {"lobes": lobes_frame, "ellipses": ellipses_frame}


def score_frame(detections, frame: BasinFrame) -> dict:
    """Counts of ``right``, ``repeat``, ``false_at_bait``, ``false_away`` and ``missed`` (detections: objects with
    ``row``, ``col`` (pixel-edge coordinates) and ``score``, best first by score)."""
    found = set()
    out = {"right": 0, "repeat": 0, "false_at_bait": 0, "false_away": 0}
    for d in sorted(detections, key=lambda d: -d.score):
        i = min(max(int(math.floor(d.row)), 0), frame.labels.shape[0] - 1)
        j = min(max(int(math.floor(d.col)), 0), frame.labels.shape[1] - 1)
        k = int(frame.labels[i, j])
        if k and k not in found:
            found.add(k)
            out["right"] += 1
        elif k:
            out["repeat"] += 1
        elif frame.bait[i, j]:
            out["false_at_bait"] += 1
        else:
            out["false_away"] += 1
    out["missed"] = len(frame.truth) - len(found)
    return out


def precision_recall(counts: dict) -> tuple:
    tp = counts["right"]
    fp = counts["repeat"] + counts["false_at_bait"] + counts["false_away"]
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + counts["missed"]) if tp + counts["missed"] else 0.0)
