"""Independent Goldstein filters and known-truth frames for the interferogram filter's tests and benchmarks.

Written here from the papers, not from the plugin's code: one patch at a time, numpy's FFT, scipy's boxcar.

``classic_goldstein``
    Goldstein & Werner (1998), doi:10.1029/1998GL900033, as ROI_PAC's and ISCE's ``psfilt`` do it: each patch's raw
    spectrum ``Z``, its magnitude smoothed by a ``smooth x smooth`` boxcar (circular), ``H = S{|Z|} ** alpha``,
    ``IFFT(H Z)`` added with triangular (Bartlett) weights, the sum divided by the weights' sum.
``windowed_goldstein``
    The plugin's documented variant, written out patch by patch: the spectrum estimated through a sine window,
    smoothed, raised to ``alpha``; the output tapered by a Hann window; patches anchored ``patch - step`` pixels
    before the origin; values beyond the edges mirrored.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def classic_goldstein(z, alpha=0.5, patch=32, step=16, smooth=3):
    """Goldstein & Werner's filter of complex ``z`` (NaN = no value, counted as 0), complex128 out."""
    rows, cols = z.shape
    data = np.where(np.isfinite(z), z, 0)
    padded = np.pad(data, patch, mode="reflect")
    out = np.zeros(padded.shape, complex)
    wsum = np.zeros(padded.shape)
    tri = 1.0 - np.abs(np.arange(patch) - (patch - 1) / 2.0) / (patch / 2.0)
    w2 = np.outer(tri, tri)
    for r in range(0, padded.shape[0] - patch + 1, step):
        for c in range(0, padded.shape[1] - patch + 1, step):
            spec = np.fft.fft2(padded[r:r + patch, c:c + patch])
            mag = np.abs(spec)
            if smooth > 1:
                mag = ndimage.uniform_filter(mag, smooth, mode="wrap")
            out[r:r + patch, c:c + patch] += w2 * np.fft.ifft2(spec * mag ** alpha)
            wsum[r:r + patch, c:c + patch] += w2
    res = (out / np.where(wsum > 0, wsum, 1.0))[patch:patch + rows, patch:patch + cols]
    res[~np.isfinite(z)] = np.nan
    return res


def fringe_quality(p):
    """sqrt(|mean e^(i dx)| |mean e^(i dy)|) of one patch's unit phasors (no-data as 0)."""
    mag = np.abs(p)
    u = np.divide(p, mag, out=np.zeros_like(p), where=mag > 0)
    return np.sqrt(abs(np.mean(u[:, 1:] * np.conj(u[:, :-1]))) * abs(np.mean(u[1:, :] * np.conj(u[:-1, :]))))


def windowed_goldstein(z, alpha=0.5, patch=32, step=16, smooth=3, smooth_quality=0.0):
    """The plugin's variant of the filter (sine-window estimate, boxcar smoothing of the patches whose fringe
    quality reaches ``smooth_quality``, Hann overlap-add), one patch at a time, complex128 out."""
    rows, cols = z.shape
    off = patch - step
    data = np.where(np.isfinite(z), z, 0).astype(complex)
    n_r, n_c = (rows - 1 + off) // step + 1, (cols - 1 + off) // step + 1
    pad_hi_r, pad_hi_c = (n_r - 1) * step + patch - off - rows, (n_c - 1) * step + patch - off - cols
    padded = np.pad(data, ((off, max(pad_hi_r, 0)), (off, max(pad_hi_c, 0))), mode="reflect")
    t = np.sin(np.pi * (np.arange(patch) + 0.5) / patch) ** 2
    hann = np.outer(t, t)
    sine = np.sqrt(hann)
    out = np.zeros(padded.shape, complex)
    for k in range(n_r):
        for j in range(n_c):
            p = padded[k * step:k * step + patch, j * step:j * step + patch]
            mag = np.abs(np.fft.fft2(p * sine))
            if smooth > 1 and fringe_quality(p) >= smooth_quality:
                mag = ndimage.uniform_filter(mag, smooth, mode="wrap")
            out[k * step:k * step + patch, j * step:j * step + patch] += hann * np.fft.ifft2(np.fft.fft2(p)
                                                                                           * mag ** alpha)
    res = out[off:off + rows, off:off + cols] / np.sum(t[::step]) ** 2
    res[~np.isfinite(z)] = np.nan
    return res


def decorrelated(truth, coherence, rng):
    """Single-look interferogram of phase ``truth`` (rad) at ``coherence`` (scalar or array): two correlated circular
    Gaussian SLCs, unit magnitude."""
    a = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
    b = (rng.normal(size=truth.shape) + 1j * rng.normal(size=truth.shape)) / np.sqrt(2)
    s2 = coherence * a * np.exp(-1j * truth) + np.sqrt(1 - coherence ** 2) * b
    return np.exp(1j * np.angle(a * np.conj(s2)))


def regime_frames(n=256, seed=0, regimes=None):
    """Known-truth frames, ``[(regime, truth_rad, complex)]``: a gentle frame (fringes <= ~0.2 rad/px) with additive
    phase noise of 0.5 and 0.9 rad; steep fringes (up to ~2 rad/px) at coherence 0.4-0.8 (rising left to right); a
    bowl of ~1 rad/px at coherence 0.3, 0.5, 0.7, 0.9."""
    y, x = np.mgrid[0:n, 0:n].astype(float)
    r2 = ((y - 0.45 * n) ** 2 + (x - 0.55 * n) ** 2) / (0.18 * n) ** 2
    rng = np.random.default_rng(seed)
    gentle = -6.0 * np.exp(-r2 * (0.18 / 0.3) ** 2) + 0.08 * x + 0.03 * y
    steep = -60.0 * np.exp(-r2) * (n / 256.0) + 0.6 * x + 0.2 * y
    bowl = -40.0 * np.exp(-r2) * (n / 256.0) + 0.35 * x + 0.1 * y
    frames = [("gentle, noise 0.5 rad", gentle, np.exp(1j * (gentle + rng.normal(0, 0.5, gentle.shape)))),
              ("gentle, noise 0.9 rad", gentle, np.exp(1j * (gentle + rng.normal(0, 0.9, gentle.shape)))),
              ("steep, coherence 0.4-0.8", steep, decorrelated(steep, 0.4 + 0.4 * x / n, rng))]
    frames += [(f"bowl, coherence {g}", bowl, decorrelated(bowl, g, rng)) for g in (0.3, 0.5, 0.7, 0.9)]
    return [f for f in frames if regimes is None or f[0] in regimes]


def residue_count(values) -> int:
    """Residues (|charge| summed over every 2 x 2 loop) of a complex interferogram or a wrapped phase; loops with a
    NaN left out. Counted here from the wrapped differences, not with the plugin's unwrapper."""
    p = np.angle(values) if np.iscomplexobj(values) else np.asarray(values, float)

    def wrap(d):
        return (d + np.pi) % (2 * np.pi) - np.pi

    s = (wrap(p[:-1, 1:] - p[:-1, :-1]) + wrap(p[1:, 1:] - p[:-1, 1:]) + wrap(p[1:, :-1] - p[1:, 1:])
         + wrap(p[:-1, :-1] - p[1:, :-1]))
    s = s[np.isfinite(s)]
    return int(np.abs(np.rint(s / (2 * np.pi))).sum())


def phase_error(values, truth) -> float:
    """RMS (rad) of the wrapped difference from the true phase, NaN left out."""
    p = np.angle(values) if np.iscomplexobj(values) else np.asarray(values, float)
    return float(np.sqrt(np.nanmean(np.angle(np.exp(1j * (p - truth))) ** 2)))
