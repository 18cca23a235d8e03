"""Rupture traces from azimuth offsets: the line where a coseismic along-track displacement changes sign between
coherent positive and negative sides, with the offset jump across it.

A strike-slip rupture that reaches the surface moves the two sides in opposite directions along the fault; an
azimuth-offset (or along-track) map shows one side positive and the other negative, the jump across the trace the
slip's along-track share (Fialko et al. 2001; Michel, Avouac & Taboury 1999). The trace is found as follows, in
metres on the raster's grid (``pixel_x_m`` by ``pixel_y_m``):

1. **Smoothing.** A Gaussian of standard deviation ``smoothing_m``, normalised by the valid pixels under it (no-data
   pixels carry no weight): ``f = G * (v m) / G * m``, kept where at least :data:`MIN_WEIGHT` of the kernel's mass
   is valid. It takes the speckle of the offsets down by about ``2 sqrt(pi) smoothing / pixel``.
2. **Gaps.** Offsets decorrelate near a rupture: a band without data often lies along it. Each no-data pixel within
   ``reach`` of data takes the smoothed value of its nearest valid pixel, so positive and negative sides meet half-way
   across the gap (its medial line); ``reach = max(10 smoothing_m, 20 pixels)``.
3. **Zero crossing.** The zero level of the filled field, by marching squares (a saddle cell split by the sign of
   its centre value), chained into lines. Only cells with a contrast of at least ``min_offset_m`` within ``reach +
   2 smoothing_m`` are contoured (the zero crossings of the far field's noise are left out at once).
4. **Coherent sides.** At each vertex of a line the smoothed offsets are read along its normal on each side: from
   the first valid sample (the edge of a gap, or the vertex itself) a further ``2 smoothing_m`` out, past the
   smoothing's blur of the step. The vertex is on the trace when the right side is positive, the left negative and
   the jump (right minus left) at least ``min_offset_m``; the lines are oriented so that the positive side is on
   their right. Runs of trace vertices shorter than ``max(4 smoothing_m, 5 pixels)`` are dropped; breaks shorter
   than ``2 smoothing_m`` are bridged.
5. **Segments.** Each trace is cut into segments of about ``10 smoothing_m`` (at least 10 pixels), each with the
   median jump and side values of its vertices.

The trace follows the zero crossing, which is the rupture for a vertical strike-slip fault; a dipping fault or a
fault-normal share of the along-track direction shifts it toward the side of the larger offsets by at most a
fraction of the fault's locking depth (buried ruptures) or of the smoothing. A fault nearly perpendicular to the
flight direction moves the ground across track: its azimuth offsets hold little of its slip (the share is
``|cos(strike - heading)|``) and the trace may not be found.

References
----------
Michel R., Avouac J.-P., Taboury J. (1999), Measuring ground displacements from SAR amplitude images: application
to the Landers earthquake, GRL 26(7), 875-878, doi:10.1029/1999GL900138.
Fialko Y., Sandwell D., Agnew D., Simons M., Shearer P., Minster B. (2002), Deformation on nearby faults induced by
the 1999 Hector Mine earthquake, Science 297, 1858-1862, doi:10.1126/science.1074671.
Lorensen W. E., Cline H. E. (1987), Marching cubes: a high resolution 3D surface construction algorithm, SIGGRAPH
21(4), 163-169, doi:10.1145/37402.37422 (the 2-D case, marching squares).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import GeohazardError
from ..progress import check_canceled, info, warn

#: a smoothed value needs at least this fraction of the Gaussian's mass on valid pixels
MIN_WEIGHT = 0.25
#: side values are read this many smoothing lengths beyond the first valid sample
SIDE_SMOOTHINGS = 2.0
#: gaps are filled up to this many smoothing lengths (or REACH_PIXELS pixels, the larger)
REACH_SMOOTHINGS = 10.0
REACH_PIXELS = 20
#: trace pieces shorter than this many smoothing lengths (or MIN_RUN_PIXELS pixels) are dropped
MIN_RUN_SMOOTHINGS = 4.0
MIN_RUN_PIXELS = 5
#: breaks in a trace shorter than this many smoothing lengths are bridged
BRIDGE_SMOOTHINGS = 2.0
#: segments of about this many smoothing lengths (at least SEGMENT_PIXELS pixels)
SEGMENT_SMOOTHINGS = 10.0
SEGMENT_PIXELS = 10
#: the fewest valid pixels a raster needs
MIN_VALID = 100


@dataclass
class Segment:
    """One piece of a trace: ``rows``, ``cols`` (pixel coordinates of its vertices, fractional, 0 = the first
    pixel's top-left corner), ``trace`` (its trace's number, from 1), ``start_m`` (distance along the trace of its
    first vertex), ``length_m``, ``jump_m`` (median offset jump, positive side minus negative side: positive),
    ``positive_m`` and ``negative_m`` (median side values), ``n_vertices``."""

    rows: np.ndarray
    cols: np.ndarray
    trace: int
    start_m: float
    length_m: float
    jump_m: float
    positive_m: float
    negative_m: float
    n_vertices: int


@dataclass
class TraceResult:
    """The segments found, the smoothed offsets (``smoothed``, NaN where too few valid pixels) and the counts the
    log reports."""

    segments: list
    smoothed: np.ndarray
    n_traces: int = 0
    length_m: float = 0.0
    notes: list = field(default_factory=list)


def check_options(*, min_offset_m: float, smoothing_m: float, pixel_x_m: float, pixel_y_m: float) -> None:
    """Refuse options that cannot give a trace, naming the value and what to do."""
    for name, value in (("MIN_OFFSET_M", min_offset_m), ("SMOOTHING_M", smoothing_m)):
        if not np.isfinite(value) or value <= 0:
            raise GeohazardError(f"{name} must be a positive number, got {value!r}")
    for name, value in (("pixel width", pixel_x_m), ("pixel height", pixel_y_m)):
        if not np.isfinite(value) or value <= 0:
            raise GeohazardError(f"INPUT: its {name} in metres is {value!r}; the raster needs a regular grid")


def smooth(offset, *, sigma_rows: float, sigma_cols: float) -> np.ndarray:
    """Normalised Gaussian smoothing of ``offset`` (NaN = no data): NaN where under :data:`MIN_WEIGHT` of the
    kernel's mass is valid."""
    from scipy import ndimage  # scipy at the run, not at the plugin's start

    valid = np.isfinite(offset)
    data = np.where(valid, offset, 0.0).astype(np.float64)
    sig = (sigma_rows, sigma_cols)
    num = ndimage.gaussian_filter(data, sig, mode="constant", cval=0.0, truncate=3.0)
    den = ndimage.gaussian_filter(valid.astype(np.float64), sig, mode="constant", cval=0.0, truncate=3.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < MIN_WEIGHT] = np.nan
    return out


def fill_gaps(field_, *, reach_rows: float, reach_cols: float) -> np.ndarray:
    """``field_`` with each NaN pixel within the reach (an ellipse of ``reach_rows`` x ``reach_cols`` pixels) of
    a finite one set to its nearest finite pixel's value (ties: scipy's order, fixed)."""
    from scipy import ndimage

    valid = np.isfinite(field_)
    if valid.all():
        return field_.copy()
    dist, (ri, ci) = ndimage.distance_transform_edt(~valid, sampling=(1.0 / reach_rows, 1.0 / reach_cols),
                                                    return_indices=True)
    out = field_[ri, ci]
    out[dist > 1.0] = np.nan
    return out


def contrast(field_, radius_rows: int, radius_cols: int) -> np.ndarray:
    """The range (max - min) of the finite values of ``field_`` in a window of (2 r + 1) pixels around each."""
    from scipy import ndimage

    size = (2 * radius_rows + 1, 2 * radius_cols + 1)
    hi = ndimage.maximum_filter(np.where(np.isfinite(field_), field_, -np.inf), size=size, mode="nearest")
    lo = ndimage.minimum_filter(np.where(np.isfinite(field_), field_, np.inf), size=size, mode="nearest")
    return hi - lo


# ------------------------------------------------------------------------------------------ marching squares
def zero_lines(g, active) -> list:
    """The zero level of ``g`` (rows x cols, NaN = none) through the cells whose four corners are finite and
    whose top-left pixel is ``active``, chained into lines: a list of ``(rows, cols)`` arrays (pixel centres at
    ``i + 0.5``). A pixel exactly 0 counts as negative. Lines are in a fixed order (by their first cell)."""
    ny, nx = g.shape
    if ny < 2 or nx < 2:
        return []
    pos = g > 0
    fin = np.isfinite(g)
    c00, c01, c11, c10 = pos[:-1, :-1], pos[:-1, 1:], pos[1:, 1:], pos[1:, :-1]
    ok = fin[:-1, :-1] & fin[:-1, 1:] & fin[1:, 1:] & fin[1:, :-1] & active[:-1, :-1]
    case = (c00.astype(np.int8) | (c01.astype(np.int8) << 1) | (c11.astype(np.int8) << 2)
            | (c10.astype(np.int8) << 3))
    cells = np.flatnonzero(ok & (case != 0) & (case != 15))
    if cells.size == 0:
        return []
    ci, cj = np.divmod(cells, nx - 1)
    kase = case.reshape(-1)[cells]
    # the cell's edges: 0 top (i, j)-(i, j+1), 1 right (i, j+1)-(i+1, j+1), 2 bottom (i+1, j)-(i+1, j+1),
    # 3 left (i, j)-(i+1, j); an edge's id is shared with the neighbouring cell
    n_h = ny * (nx - 1)

    def edge_id(e, i, j):
        return np.select([e == 0, e == 1, e == 2], [i * (nx - 1) + j, n_h + i * nx + j + 1,
                                                    (i + 1) * (nx - 1) + j], n_h + i * nx + j)

    # pairs of edges crossed, per case (the two saddles resolved by the centre's sign below)
    pairs = {1: ((0, 3),), 2: ((0, 1),), 3: ((1, 3),), 4: ((1, 2),), 6: ((0, 2),), 7: ((2, 3),), 8: ((2, 3),),
             9: ((0, 2),), 11: ((1, 2),), 12: ((1, 3),), 13: ((0, 1),), 14: ((0, 3),)}
    centre = 0.25 * (g[ci, cj] + g[ci, cj + 1] + g[ci + 1, cj + 1] + g[ci + 1, cj])
    seg_a, seg_b = [], []
    for k, pr in pairs.items():
        sel = kase == k
        for ea, eb in pr:
            seg_a.append(edge_id(np.full(sel.sum(), ea), ci[sel], cj[sel]))
            seg_b.append(edge_id(np.full(sel.sum(), eb), ci[sel], cj[sel]))
    # the saddles: the corners of the centre's sign are joined through the cell, the others cut off
    for k, if_pos, if_neg in ((5, ((0, 1), (2, 3)), ((0, 3), (1, 2))), (10, ((0, 3), (1, 2)), ((0, 1), (2, 3)))):
        sel = kase == k
        joined = centre[sel] > 0
        for (pa, pb), (na, nb) in zip(if_pos, if_neg):
            seg_a.append(edge_id(np.where(joined, pa, na), ci[sel], cj[sel]))
            seg_b.append(edge_id(np.where(joined, pb, nb), ci[sel], cj[sel]))
    a = np.concatenate(seg_a)
    b = np.concatenate(seg_b)
    return _chain(a, b, g, nx, n_h)


def _edge_point(e, g, nx, n_h):
    """Pixel coordinates ``(row, col)`` of the zero crossing on edge id ``e`` (linear interpolation)."""
    if e < n_h:
        i, j = divmod(e, nx - 1)
        g0, g1 = g[i, j], g[i, j + 1]
        t = g0 / (g0 - g1)
        return i + 0.5, j + t + 0.5
    i, j = divmod(e - n_h, nx)
    g0, g1 = g[i, j], g[i + 1, j]
    t = g0 / (g0 - g1)
    return i + t + 0.5, j + 0.5


def _chain(a, b, g, nx, n_h) -> list:
    """Chain segments (edge-id pairs) into lines; each edge id joins at most two segments."""
    order = np.argsort(np.minimum(a, b), kind="stable")
    a, b = a[order], b[order]
    ends = np.concatenate([a, b])
    seg_of = np.concatenate([np.arange(a.size), np.arange(a.size)])
    srt = np.argsort(ends, kind="stable")
    ends_s, seg_s = ends[srt], seg_of[srt]
    neighbours: dict = {}
    for k in range(ends_s.size):
        neighbours.setdefault(int(ends_s[k]), []).append(int(seg_s[k]))
    used = np.zeros(a.size, bool)
    lines = []

    def other(seg, edge):
        return int(b[seg]) if int(a[seg]) == edge else int(a[seg])

    def walk(seg, edge):
        """Edges from ``edge`` onward, leaving segment ``seg`` through its other edge."""
        out = []
        while True:
            used[seg] = True
            edge = other(seg, edge)
            out.append(edge)
            nxt = [s for s in neighbours[edge] if not used[s]]
            if not nxt:
                return out
            seg = nxt[0]

    for s in range(a.size):
        if used[s]:
            continue
        start = int(a[s])
        forward = walk(s, start)
        back_seg = [t for t in neighbours[start] if not used[t]]
        backward = walk(back_seg[0], start) if back_seg else []
        edges = backward[::-1] + [start] + forward
        pts = np.array([_edge_point(e, g, nx, n_h) for e in edges], np.float64)
        lines.append((pts[:, 0], pts[:, 1]))
    return lines


# ------------------------------------------------------------------------------------------ sides and jumps
def side_values(f, rows, cols, *, pixel_x_m: float, pixel_y_m: float, reach_m: float, beyond_m: float) -> tuple:
    """``(right, left)`` smoothed values at each vertex of a line (pixel coordinates ``rows``, ``cols``), read
    along its normal: the first valid sample from the vertex outward (within ``reach_m``), then ``beyond_m``
    further (the last valid sample before it when that one is not). Right = to the right of the line's direction
    on the map (rows grow southward). NaN when a side has no valid sample within the reach."""
    from scipy import ndimage

    x = cols * pixel_x_m
    y = -rows * pixel_y_m
    n = rows.size
    if n < 2:
        return np.full(n, np.nan), np.full(n, np.nan)
    tx = np.gradient(x)
    ty = np.gradient(y)
    norm = np.hypot(tx, ty)
    norm[norm == 0] = 1.0
    tx, ty = tx / norm, ty / norm
    rx, ry = ty, -tx  # the right-hand normal of the direction (tx, ty), north up
    step = 0.5 * min(pixel_x_m, pixel_y_m)
    dist = np.arange(0.0, reach_m + beyond_m + step, step)
    out = []
    for sgn in (1.0, -1.0):
        px = (x[:, None] + sgn * rx[:, None] * dist[None]) / pixel_x_m
        py = (-(y[:, None] + sgn * ry[:, None] * dist[None])) / pixel_y_m
        vals = ndimage.map_coordinates(f, [py.ravel() - 0.5, px.ravel() - 0.5], order=1, mode="constant",
                                       cval=np.nan).reshape(n, dist.size)
        ok = np.isfinite(vals)
        has = ok[:, dist <= reach_m].any(axis=1)
        first = np.argmax(ok, axis=1)
        target = first + int(round(beyond_m / step))
        target = np.minimum(target, dist.size - 1)
        # the last valid sample at or before the target
        idx = np.arange(dist.size)[None]
        cand = np.where(ok & (idx <= target[:, None]) & (idx >= first[:, None]), idx, -1)
        last = cand.max(axis=1)
        v = np.where(has & (last >= 0), vals[np.arange(n), np.maximum(last, 0)], np.nan)
        out.append(v)
    return out[0], out[1]


def _runs(keep, along, *, min_run_m: float, bridge_m: float) -> list:
    """``(start, stop)`` index ranges of the kept vertices, breaks shorter than ``bridge_m`` bridged, runs shorter
    than ``min_run_m`` dropped."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return []
    runs = []
    s = p = int(idx[0])
    for k in idx[1:]:
        k = int(k)
        if along[k] - along[p] > bridge_m:
            runs.append((s, p + 1))
            s = k
        p = k
    runs.append((s, p + 1))
    return [(a, b) for a, b in runs if along[b - 1] - along[a] >= min_run_m]


def rupture_trace(offset_m, *, pixel_x_m: float, pixel_y_m: float, min_offset_m: float, smoothing_m: float,
                  progress=None) -> TraceResult:
    """The rupture trace of an azimuth-offset or along-track displacement map (see the module's notes).

    Parameters
    ----------
    offset_m : ndarray (rows, cols)
        Along-track offset or displacement, metres; NaN = no data (decorrelated). Its sign convention does not
        matter: the trace separates the positive side from the negative one, whichever they are.
    pixel_x_m, pixel_y_m : float
        Pixel width and height in metres (a north-up grid).
    min_offset_m : float
        Smallest jump across the trace (m): zero crossings with a smaller jump are not traces.
    smoothing_m : float
        Standard deviation of the Gaussian smoothing (m).

    Returns
    -------
    TraceResult
        Segments in pixel coordinates, oriented with the positive side on their right.
    """
    check_options(min_offset_m=min_offset_m, smoothing_m=smoothing_m, pixel_x_m=pixel_x_m, pixel_y_m=pixel_y_m)
    v = np.asarray(offset_m, dtype=np.float64)
    if v.ndim != 2:
        raise GeohazardError(f"INPUT must be one band (rows x cols), got shape {v.shape}")
    n_valid = int(np.isfinite(v).sum())
    if n_valid < MIN_VALID:
        raise GeohazardError(f"INPUT has {n_valid} valid pixels; a rupture trace needs at least {MIN_VALID}")
    sig_r, sig_c = smoothing_m / pixel_y_m, smoothing_m / pixel_x_m
    f = smooth(v, sigma_rows=sig_r, sigma_cols=sig_c)
    check_canceled(progress)
    reach_m = max(REACH_SMOOTHINGS * smoothing_m, REACH_PIXELS * max(pixel_x_m, pixel_y_m))
    beyond_m = SIDE_SMOOTHINGS * smoothing_m
    g = fill_gaps(f, reach_rows=reach_m / pixel_y_m, reach_cols=reach_m / pixel_x_m)
    win = reach_m + beyond_m
    active = contrast(g, int(np.ceil(win / pixel_y_m)), int(np.ceil(win / pixel_x_m))) >= min_offset_m
    check_canceled(progress)
    lines = zero_lines(g, active)
    check_canceled(progress)
    pix = max(pixel_x_m, pixel_y_m)
    min_run = max(MIN_RUN_SMOOTHINGS * smoothing_m, MIN_RUN_PIXELS * pix)
    bridge = BRIDGE_SMOOTHINGS * smoothing_m
    seg_len = max(SEGMENT_SMOOTHINGS * smoothing_m, SEGMENT_PIXELS * pix)
    segments, n_traces, total = [], 0, 0.0
    for rows, cols in lines:
        if rows.size < 2:
            continue
        right, left = side_values(f, rows, cols, pixel_x_m=pixel_x_m, pixel_y_m=pixel_y_m, reach_m=reach_m,
                                  beyond_m=beyond_m)
        jump = right - left
        if np.nansum(jump) < 0:
            rows, cols, right, left, jump = rows[::-1], cols[::-1], left[::-1], right[::-1], -jump[::-1]
        keep = np.isfinite(jump) & (jump >= min_offset_m) & (right > 0) & (left < 0)
        along = np.r_[0.0, np.cumsum(np.hypot(np.diff(cols) * pixel_x_m, np.diff(rows) * pixel_y_m))]
        for a, b in _runs(keep, along, min_run_m=min_run, bridge_m=bridge):
            n_traces += 1
            total += along[b - 1] - along[a]
            segments.extend(_segments(rows[a:b], cols[a:b], along[a:b] - along[a], jump[a:b], right[a:b],
                                      left[a:b], keep[a:b], n_traces, seg_len))
    notes = []
    if not segments:
        warn(progress, "INPUT: no rupture trace found (no zero crossing between sides differing by at least "
                       f"MIN_OFFSET_M = {min_offset_m:g} m); lower MIN_OFFSET_M, or raise SMOOTHING_M when the "
                       "offsets are noisy")
    else:
        notes.append(f"{n_traces} trace(s), {len(segments)} segment(s), {total / 1000.0:.2f} km in all")
        info(progress, notes[-1])
    return TraceResult(segments=segments, smoothed=f, n_traces=n_traces, length_m=total, notes=notes)


def _segments(rows, cols, along, jump, right, left, keep, trace: int, seg_len: float) -> list:
    """One run cut into pieces of about ``seg_len`` (the last one merged into the one before when short)."""
    length = float(along[-1])
    n = max(1, int(round(length / seg_len)))
    edges = np.linspace(0.0, length, n + 1)
    out = []
    for k in range(n):
        sel = np.flatnonzero((along >= edges[k]) & (along <= edges[k + 1]))
        if sel.size < 2:
            continue
        kk = sel[keep[sel]]
        if kk.size == 0:
            kk = sel
        out.append(Segment(rows=rows[sel], cols=cols[sel], trace=trace, start_m=float(along[sel[0]]),
                           length_m=float(along[sel[-1]] - along[sel[0]]), jump_m=float(np.nanmedian(jump[kk])),
                           positive_m=float(np.nanmedian(right[kk])), negative_m=float(np.nanmedian(left[kk])),
                           n_vertices=int(sel.size)))
    return out
