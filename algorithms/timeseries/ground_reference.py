"""The automatic reference of a stack: the largest consistent ground.

Every interferogram carries an unknown constant (each producer unwraps a pair from its own reference point), so
the time series are referred to one pixel. That pixel must not move (or the whole scene inherits its motion) and
its phase must be unwrapped consistently. Coherence alone does not say either: on a frame cropped around a
landslide or a subsiding city the most coherent pixels are often on the moving area itself, and the image centre
is where users put their target. The rule here takes the ground the data show to be consistent:

1. pixels with data in every interferogram;
2. whose loop closures are small: the RMS over the network's triplets of ``d_ij + d_jk - d_ik`` (mm; less the
   triplet's median over a band of rows across the scene, the constant the pairs' own references leave) is below
   ``max(2 x its median over the pixels of 1., wavelength / 20)``, at most wavelength / 8 (unwrapped phase closes
   up to noise; an unwrapping error leaves a multiple of half a wavelength in every loop it enters; LiCSBAS step 12
   picks its reference by the same loop-closure RMS, Morishita et al. 2020, doi:10.3390/rs12030424);
3. whose stacking rate ``sum(d dt) / sum(dt^2)`` (Sandwell & Price 1998, doi:10.1029/1998JB900010) lies near the
   scene's mode (the most populated bin of the rates of the pixels of 2., bins of the Freedman-Diaconis width):
   within ``max(2 x 1.4826 x median |rate - mode|, 1 mm/yr)``, the median taken over the pixels within three bins
   of the mode. The per-pair constants shift every pixel's rate by
   the same amount, so the mode is the still ground's rate whatever the references of the pairs;
4. the largest 8-connected area of such pixels; the reference is its pixel farthest from the area's edge (ties:
   the smaller |rate - mode|, then the first in row order).

When fewer than :data:`MIN_GROUND_PIXELS` pixels qualify, there is no consistent ground: the pixel of 1. with the
smallest ``closure / tol + |rate - mode| / tol`` is taken and the choice says so (a warning for the log).

The sums are taken per pixel in the interferograms' order (:func:`ground_sums_block`): the same bits for any block
layout. The choice (:func:`choose_ground_reference`) takes the whole maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GeohazardError

#: Fewest pixels an area of consistent ground needs to be taken as one.
MIN_GROUND_PIXELS = 9


@dataclass
class GroundChoice:
    """The reference pixel, the rule's numbers and a warning when no consistent ground exists."""

    row: int
    col: int
    area_px: int
    mode_rate: float
    rate_tol: float
    closure_tol_mm: float
    rate: float
    closure_mm: float
    warning: str = ""
    #: the best pixels by the same rule, best first: dicts row, col, rate, closure_mm, edge_px (the distance to
    #: the area's edge in pixels; 0 without consistent ground)
    candidates: tuple = ()

    def describe(self) -> str:
        if self.warning:
            return (f"automatic reference: no consistent ground; the best pixel by loop closure and rate (closure "
                    f"{self.closure_mm:.2f} mm, rate {self.rate:.2f} mm/yr against the scene's mode "
                    f"{self.mode_rate:.2f})")
        return (f"automatic reference: the largest consistent ground ({self.area_px} pixels with data in every "
                f"interferogram, loop closure <= {self.closure_tol_mm:.2f} mm RMS and stacking rate within "
                f"{self.rate_tol:.2f} mm/yr of the scene's mode {self.mode_rate:.2f} mm/yr), at the pixel farthest "
                "from its edge")


def closure_offsets(sample_mm: np.ndarray, triplets: np.ndarray) -> np.ndarray:
    """The spatially constant part of each triplet's closure (mm): its median over a sample of the pixels.

    Each producer unwraps a pair from its own reference point, so a loop of three pairs closes up to a constant
    that is the same at every pixel; what is left after removing it (an unwrapping error, a phase bias) differs
    between pixels. ``sample_mm`` ``(M, ...)``: the interferograms at the sample's pixels; 0 for a triplet
    without a valid sample value."""
    d = np.asarray(sample_mm, np.float64).reshape(sample_mm.shape[0], -1)
    out = np.zeros(np.asarray(triplets).reshape(-1, 3).shape[0])
    for t, (ij, jk, ik) in enumerate(np.asarray(triplets, np.int64).reshape(-1, 3)):
        c = d[ij] + d[jk] - d[ik]
        c = c[np.isfinite(c)]
        if c.size:
            out[t] = float(np.median(c))
    return out


def ground_sums_block(ifg_mm: np.ndarray, *, span_years: np.ndarray, triplets: np.ndarray,
                      offsets: Optional[np.ndarray] = None) -> dict:
    """Per pixel: the stacking-rate sums ``sdt = sum(d dt)``, ``dt2 = sum(dt^2)`` over the valid interferograms, and
    the loop-closure sums ``loop_ss = sum(c^2)``, ``loop_n`` over the triplets whose three values are valid.

    Parameters
    ----------
    ifg_mm : ndarray (M, rows, cols)
        Interferograms in LOS mm, each oriented earlier -> later (NaN = no data).
    span_years : ndarray (M,)
        Temporal baseline of each interferogram (years).
    triplets : ndarray (T, 3) int
        ``(ij, jk, ik)`` indices (:func:`~..corrections.closure.network_triplets`); may be empty.
    offsets : ndarray (T,), optional
        The constant part of each closure (:func:`closure_offsets`), removed: ``c = d_ij + d_jk - d_ik - offset``.
    """
    d = np.asarray(ifg_mm, np.float64)
    tri = np.ascontiguousarray(np.asarray(triplets, np.int64).reshape(-1, 3))
    off = np.zeros(tri.shape[0]) if offsets is None else np.ascontiguousarray(offsets, np.float64)
    x = np.ascontiguousarray(d.reshape(d.shape[0], -1))
    sums = np.zeros((3, x.shape[1]))
    n = np.zeros(x.shape[1], np.int32)
    _ground_sums(x, np.ascontiguousarray(span_years, np.float64), tri, off, sums, n)
    shape = d.shape[1:]
    return {"sdt": sums[0].reshape(shape), "dt2": sums[1].reshape(shape), "loop_ss": sums[2].reshape(shape),
            "loop_n": n.reshape(shape)}


#: Pixels summed at once: long enough vectors that numpy's per-call cost stays small, short enough that the rows of
#: a chunk stay in cache across the triplets (65,536 pixels: the fastest on a 1 Mpx x 202-interferogram stack).
CHUNK_PX = 65536


def _ground_sums(x, dt, idx, off, sums, n):
    """Per pixel ``p`` of ``x`` ``(M, P)``: ``sums[0, p] = sum_i dt_i x_i``, ``sums[1, p] = sum_i dt_i^2`` over the
    finite ``x_i``; ``sums[2, p] = sum_t c_t^2`` and ``n[p]`` = the number of triplets with a finite closure
    ``c_t = x[ij] + x[jk] - x[ik] - off[t]``. Each sum is taken in the interferograms' (triplets') order, one
    interferogram (triplet) at a time over a chunk of pixels: the same bits for any block layout."""
    n_p = x.shape[1]
    sums[:] = 0.0
    n[:] = 0
    for p0 in range(0, n_p, CHUNK_PX):
        xs = x[:, p0:p0 + CHUNK_PX]
        s, cnt = sums[:, p0:p0 + CHUNK_PX], n[p0:p0 + CHUNK_PX]
        finite = np.isfinite(xs)
        for i in range(x.shape[0]):
            np.add(s[0], dt[i] * xs[i], out=s[0], where=finite[i])
            np.add(s[1], dt[i] * dt[i], out=s[1], where=finite[i])
        c = np.empty(xs.shape[1])
        ok = np.empty(xs.shape[1], bool)
        for t in range(idx.shape[0]):
            a, b, e = idx[t]
            np.add(xs[a], xs[b], out=c)
            np.subtract(c, xs[e], out=c)
            np.subtract(c, off[t], out=c)
            np.isfinite(c, out=ok)
            np.multiply(c, c, out=c)
            np.add(s[2], c, out=s[2], where=ok)
            cnt += ok


def _mode(values: np.ndarray) -> tuple[float, float]:
    """``(mode, bin width)``: the most populated bin (Freedman-Diaconis width; the first on ties) refined to the
    median of that bin and its two neighbours."""
    v = np.sort(values)
    q1, q3 = np.percentile(v, [25, 75])
    width = 2.0 * (q3 - q1) * v.size ** (-1.0 / 3.0)
    if not np.isfinite(width) or width <= 0:
        return float(np.median(v)), 0.0
    edges = np.arange(v[0], v[-1] + width, width)
    if edges.size < 2:
        return float(np.median(v)), float(width)
    counts, edges = np.histogram(v, bins=edges)
    k = int(np.argmax(counts))
    lo, hi = edges[max(k - 1, 0)], edges[min(k + 2, edges.size - 1)]
    sel = v[(v >= lo) & (v <= hi)]
    return (float(np.median(sel)) if sel.size else float(0.5 * (edges[k] + edges[k + 1]))), float(width)


def _candidates(rows, cols, order, rate, closure, edge, n: int) -> tuple:
    return tuple({"row": int(rows[k]), "col": int(cols[k]), "rate": float(rate[rows[k], cols[k]]),
                  "closure_mm": float(closure[rows[k], cols[k]]), "edge_px": float(edge[k])} for k in order[:n])


def choose_ground_reference(count: np.ndarray, n_ifgs: int, *, sdt: np.ndarray, dt2: np.ndarray,
                            loop_ss: np.ndarray, loop_n: np.ndarray, wavelength_mm: float,
                            allowed: Optional[np.ndarray] = None, n_candidates: int = 10) -> GroundChoice:
    """The largest consistent ground's reference pixel (module docstring).

    Parameters
    ----------
    count : ndarray (rows, cols) int
        Interferograms with data at each pixel.
    n_ifgs : int
    sdt, dt2, loop_ss, loop_n : ndarray (rows, cols)
        The sums of :func:`ground_sums_block` over the whole grid.
    wavelength_mm : float
        Radar wavelength (mm): the closure tolerance is at least a twentieth of it.
    allowed : ndarray (rows, cols) bool, optional
        Pixels that may be chosen (a stable area the user knows): the scene's mode and spreads are those of the
        allowed pixels.
    n_candidates : int
        Pixels listed in ``candidates``, best first by the same rule.

    Raises
    ------
    GeohazardError
        When no pixel has data in every interferogram.
    """
    from scipy import ndimage

    full = np.asarray(count) >= n_ifgs
    if allowed is not None:
        full &= np.asarray(allowed, bool)
        if not full.any():
            raise GeohazardError("STABLE_AREA / MASK: no pixel of the stable area has data in every interferogram")
    if not full.any():
        raise GeohazardError("automatic reference point: no pixel has data in all interferograms; "
                             "give a REFERENCE point or drop the interferograms that have few valid pixels")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(dt2 > 0, sdt / dt2, np.nan)
        closure = np.where(loop_n > 0, np.sqrt(loop_ss / np.maximum(loop_n, 1)), 0.0)
    closure_tol = min(max(2.0 * float(np.median(closure[full])), wavelength_mm / 20.0), wavelength_mm / 8.0)
    closed = full & (closure <= closure_tol) & np.isfinite(rate)
    base = closed if closed.any() else full & np.isfinite(rate)
    if not base.any():
        base = full
        rate = np.where(np.isfinite(rate), rate, 0.0)
    mode, width = _mode(rate[base])
    dev = np.abs(rate - mode)
    # the spread of the ground near the mode (a large deforming area does not widen it)
    near = base & (dev <= 3.0 * width) if width > 0 else base
    rate_tol = max(2.0 * 1.4826 * float(np.median(dev[near if near.any() else base])), 1.0)
    ground = closed & (dev <= rate_tol)
    labels, n = ndimage.label(ground, structure=np.ones((3, 3), bool))
    if n:
        sizes = np.bincount(labels.ravel())[1:]
        best = int(np.argmax(sizes)) + 1  # the first of the largest areas in row order
        if sizes[best - 1] >= MIN_GROUND_PIXELS:
            area = labels == best
            depth = ndimage.distance_transform_edt(np.pad(area, 1))[1:-1, 1:-1]
            key = np.where(area, depth, -1.0)
            top = key.max()
            rows, cols = np.nonzero(area)
            edge = key[rows, cols]
            # deepest first; ties: the smaller |rate - mode|, then row order (np.nonzero's order is row order)
            order = np.lexsort((np.arange(rows.size), dev[rows, cols], np.where(edge >= top - 1e-9, top, edge)
                                * -1.0))
            k = int(order[0])
            r, c = int(rows[k]), int(cols[k])
            return GroundChoice(r, c, int(sizes[best - 1]), mode, rate_tol, closure_tol, float(rate[r, c]),
                                float(closure[r, c]),
                                candidates=_candidates(rows, cols, order, rate, closure, edge, n_candidates))
    score = np.where(full, closure / closure_tol + dev / rate_tol, np.inf)
    score = np.where(np.isfinite(score), score, np.inf)
    order = np.argsort(score, axis=None, kind="stable")
    order = order[np.isfinite(score.ravel()[order])][:max(1, n_candidates)]
    flat = int(order[0]) if order.size else int(np.argmin(score))
    r, c = divmod(flat, score.shape[1])
    c_rows, c_cols = np.divmod(order, score.shape[1])
    largest = int(np.bincount(labels.ravel())[1:].max()) if n else 0
    warning = (f"no consistent ground for the automatic reference: the largest area of pixels with data in every "
               f"interferogram, loop closure <= {closure_tol:.2f} mm and a stacking rate within {rate_tol:.2f} mm/yr "
               f"of the scene's mode ({mode:.2f} mm/yr) has {largest} pixel(s), fewer than {MIN_GROUND_PIXELS}; the "
               f"best pixel by closure and rate is taken (row {r}, column {c}). Check the result, or give a "
               "REFERENCE point on ground known to be still")
    return GroundChoice(int(r), int(c), largest, mode, rate_tol, closure_tol, float(rate[r, c]), float(closure[r, c]),
                        warning, _candidates(c_rows, c_cols, np.arange(c_rows.size), rate, closure,
                                             np.zeros(c_rows.size), n_candidates))
