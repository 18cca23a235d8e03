"""One datum for several stacks: each date's (or interferogram's) median over the ground every stack covers.

Stacks from different processings are referenced each to its own point (a per-date series is 0 there) or to
nothing at all (unwrapped interferograms carry each its own constant: the unwrapper's arbitrary offset and whole
cycles). A constant offset per stack is absorbed by the joint solve; a reference that moves, or one constant per
interferogram, is not: it reaches every pixel of that stack as a motion of its own. Subtracting from every band of
every stack its median over one common area ties them to one datum, the median of that area, read as stable ground.

Why the median over one area is one datum for every stack: a stack ``s`` sees the motion ``d(p, t)`` of pixel
``p`` as ``g_s . d(p, t)``. Where most of the area does not move (more than half of its pixels), the median of
each band falls among the still pixels, whatever the line of sight: every stack is then referenced to still ground,
up to the scatter of the still pixels' noise (the median's bias is below that noise's standard deviation even with
up to 40 % of the area moving on one side). MintPy references every interferogram to one pixel before its
inversion (``reference_point.py``; Yunjun et al. 2019, doi:10.1016/j.cageo.2019.104331, section 3.1); a median over
an area is that reference made robust to one pixel's noise and unwrapping errors.

The medians are taken over a fixed sample of the area (evenly spaced rows and columns of its window), so they do
not depend on how the solve is split into blocks.
"""

from __future__ import annotations

import warnings

import numpy as np

#: Fewest sampled ground pixels with data that a band's median is taken from.
MIN_GROUND_PIXELS = 10


def ground_window(windows: dict):
    """``(r0, r1, c0, c1)`` of the grid every stack covers (the intersection of their windows ``name -> (r0, r1, c0,
    c1)``, end-exclusive), or None when it is empty."""
    r0 = max(w[0] for w in windows.values())
    r1 = min(w[1] for w in windows.values())
    c0 = max(w[2] for w in windows.values())
    c1 = min(w[3] for w in windows.values())
    return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None


def sample_rows_cols(window, max_rows: int = 64, max_cols: int = 128):
    """Evenly spaced rows and columns of ``window`` (at most ``max_rows`` x ``max_cols``): the fixed sample the
    medians are taken over (the window alone sets it)."""
    r0, r1, c0, c1 = window
    rows = np.unique(np.round(np.linspace(r0, r1 - 1, min(r1 - r0, max_rows))).astype(np.int64))
    cols = np.unique(np.round(np.linspace(c0, c1 - 1, min(c1 - c0, max_cols))).astype(np.int64))
    return rows, cols


def ground_offsets(samples: np.ndarray, ground: np.ndarray, *, min_pixels: int = MIN_GROUND_PIXELS) -> np.ndarray:
    """Each band's median over the ground pixels of a sample.

    Parameters
    ----------
    samples : ndarray (n_bands, n_pixels)
        A stack's values at the sampled pixels (any unit; NaN where no data).
    ground : ndarray (n_pixels,) bool
        The sampled pixels that are common ground (data in every stack).
    min_pixels : int
        A band with fewer ground pixels with data cannot be tied to the datum: its offset is NaN (the caller leaves
        that band out and says so).

    Returns
    -------
    ndarray (n_bands,)
        The medians (the unit of ``samples``), NaN for the bands that cannot be tied.
    """
    v = np.asarray(samples, np.float64)[:, np.asarray(ground, bool)]
    counts = np.isfinite(v).sum(axis=1)
    out = np.full(v.shape[0], np.nan)
    ok = counts >= min_pixels
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[ok] = np.nanmedian(v[ok], axis=1)
    return out


def interferogram_offsets(samples: np.ndarray, pairs, ground: np.ndarray, *,
                          min_pixels: int = MIN_GROUND_PIXELS):
    """One offset per interferogram that ties an interferogram stack to the ground every stack covers, or None when
    too few ground pixels have data in every interferogram (the caller then takes each interferogram's median).

    A median of each interferogram alone is not robust: over the short interval of most pairs the moving pixels do
    not stand out of the noise, the median follows the mean and the datum drifts with the area's average motion (a
    bowl over 15 % of a scene moved it by 1-2 mm/yr). Here, at the sampled ground pixels with data in every
    interferogram, the network is inverted to per-date displacements ``s_p(t)`` (least squares, first date 0): they
    carry the constants' common series; the datum is their median per date ``m(t)``, taken on the cumulative
    displacement where the moving pixels stand apart; the constants' part that no series explains (they need not
    close around the loops) is the median of each interferogram's residual ``r_k``, which motion does not reach. The
    offset of pair ``(a, b)`` is ``m(b) - m(a) + r_k``: subtracted, it removes each interferogram's own constant and
    leaves the stack closing as before.

    Parameters
    ----------
    samples : ndarray (n_ifg, n_pixels)
        The interferograms at the sampled pixels (any unit; NaN where no data), in the order of ``pairs``.
    pairs : sequence of (date, date)
        Each interferogram's dates, earlier first; the network must be connected.
    ground : ndarray (n_pixels,) bool
        The sampled pixels that are common ground.

    Returns
    -------
    ndarray (n_ifg,) or None
    """
    dates = sorted({d for p in pairs for d in p})
    index = {d: i for i, d in enumerate(dates)}
    design = np.zeros((len(pairs), len(dates)))
    for k, (a, b) in enumerate(pairs):
        design[k, index[b]] += 1.0
        design[k, index[a]] -= 1.0
    y = np.asarray(samples, np.float64)[:, np.asarray(ground, bool)]
    y = y[:, np.isfinite(y).all(axis=0)]
    if y.shape[1] < min_pixels:
        return None
    series = np.zeros((len(dates), y.shape[1]))
    series[1:] = np.linalg.lstsq(design[:, 1:], y, rcond=None)[0]
    datum = np.median(series, axis=1)
    residual = np.median(y - design @ series, axis=1)
    return design @ datum + residual
