"""Swath profiles: the samples (pixels or points) within a band of full width ``W`` along a polyline, binned by
their distance along it, with the statistics of each bin.

Geometry (in a metric frame, metres): each sample is projected onto the polyline, segment by segment
(vectorised over the samples: a loop over the segments, never over the points); its distance along the line
``s`` is that of its nearest point on the line, its distance across ``c`` the signed distance to it (positive
to the left of the line's direction). A sample belongs to the swath when ``|c| <= W / 2`` and its foot lies on
the line (not beyond either end). At a bend, the samples on the outer side whose nearest point is the vertex
take the vertex's distance; those on the inner side go to the nearer segment.

Bins of ``STEP`` metres from the start: bin ``i`` covers ``[i STEP, min((i + 1) STEP, L))`` (the last one
includes ``L``) and is reported at its centre. Per bin and per band (or date): the number of valid samples, their
mean, standard deviation (``ddof = 1``), median and 5th / 95th percentiles (numpy's linear interpolation); an
empty bin (off the data, or all no-data) has count 0 and NaN statistics.

References
----------
Armijo R., Tapponnier P., Mercier J. L., Han T.-L. (1986), Quaternary extension in southern Tibet: field
observations and tectonic implications, JGR 91(B14), 13803-13872 (swath profiles of topography),
doi:10.1029/JB091iB14p13803.
Telbisz T., Kovacs G., Szekely B., Szabo J. (2013), Topographic swath profile analysis: a generalization and
sensitivity evaluation of a digital terrain analysis tool, Z. Geomorphol. 57(4), 485-513,
doi:10.1127/0372-8854/2013/0110.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError

#: the statistics of a bin, in the order of the output table
STATS = ("count", "mean", "std", "median", "p05", "p95")
#: points projected per chunk (bounded memory: about 10 arrays of this many float64)
CHUNK = 1_000_000
#: the most profiles a chart draws (one panel each); the table holds every profile
MAX_CHARTED = 12


def densify(xy, max_step: float) -> np.ndarray:
    """Vertices of the polyline ``xy`` ``(k, 2)`` with points added so that no piece is longer than
    ``max_step`` (the polyline's own units); the original vertices are kept."""
    xy = _vertices(xy)
    seg = np.diff(xy, axis=0)
    return subdivide(xy, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / max_step))


def subdivide(xy, pieces) -> np.ndarray:
    """The polyline ``xy`` ``(k, 2)`` with segment ``i`` cut into ``pieces[i]`` equal pieces (at least one; at
    most 100,000): a line drawn in one CRS keeps its course when its vertices are transformed to another."""
    xy = _vertices(xy)
    seg = np.diff(xy, axis=0)
    n = np.clip(np.nan_to_num(np.asarray(pieces, np.float64), nan=1.0), 1, 100_000).astype(np.int64)
    parts = [xy[i] + seg[i] * (np.arange(n[i])[:, None] / n[i]) for i in range(seg.shape[0])]
    return np.vstack(parts + [xy[-1:]])


def _vertices(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[0] < 2 or xy.shape[1] != 2:
        raise GeohazardError(f"a profile line needs at least two vertices, got {xy.shape[0] if xy.ndim else 0}")
    return xy


@dataclass
class Line:
    """A profile line in a metric frame: vertices ``xy`` ``(k, 2)`` (metres), repeated vertices removed."""

    xy: np.ndarray

    def __post_init__(self):
        xy = np.asarray(self.xy, dtype=np.float64)
        keep = np.r_[True, np.hypot(*np.diff(xy, axis=0).T) > 0]
        self.xy = xy[keep]
        if self.xy.shape[0] < 2:
            raise GeohazardError("a profile line has no length (all its vertices coincide)")

    @property
    def cumulative(self) -> np.ndarray:
        """Distance along the line of each vertex (m)."""
        return np.r_[0.0, np.cumsum(np.hypot(*np.diff(self.xy, axis=0).T))]

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def points_at(self, distance) -> tuple:
        """``(x, y)`` of the points of the line at distances ``distance`` (m) from its start."""
        cum = self.cumulative
        d = np.clip(np.asarray(distance, np.float64), 0.0, cum[-1])
        return np.interp(d, cum, self.xy[:, 0]), np.interp(d, cum, self.xy[:, 1])


def project(x, y, line: Line) -> tuple:
    """Distance along ``line`` and signed distance across it (m, positive on the left) of each sample, and
    whether its foot lies on the line (False for samples beyond either end): ``(along, across, on_line)``.

    Vectorised over the samples (chunks of :data:`CHUNK`), one pass per segment keeping each sample's nearest
    segment (ties: the first segment)."""
    x = np.asarray(x, np.float64).reshape(-1)
    y = np.asarray(y, np.float64).reshape(-1)
    along = np.empty(x.size)
    across = np.empty(x.size)
    on_line = np.empty(x.size, bool)
    xy, cum = line.xy, line.cumulative
    seg = np.diff(xy, axis=0)
    seg_len2 = np.sum(seg * seg, axis=1)
    last = seg.shape[0] - 1
    for c0 in range(0, x.size, CHUNK):
        px, py = x[c0:c0 + CHUNK], y[c0:c0 + CHUNK]
        best = np.full(px.size, np.inf)
        b_along = np.zeros(px.size)
        b_cross = np.zeros(px.size)
        b_on = np.zeros(px.size, bool)
        for k in range(seg.shape[0]):
            dx, dy = px - xy[k, 0], py - xy[k, 1]
            t_raw = (dx * seg[k, 0] + dy * seg[k, 1]) / seg_len2[k]
            t = np.clip(t_raw, 0.0, 1.0)
            ex, ey = dx - t * seg[k, 0], dy - t * seg[k, 1]
            d2 = ex * ex + ey * ey
            better = d2 < best
            best = np.where(better, d2, best)
            cross = (seg[k, 0] * dy - seg[k, 1] * dx) / np.sqrt(seg_len2[k])
            # at a vertex (t clamped) the signed distance is that to the vertex, with the side of the segment
            dist = np.sqrt(d2)
            signed = np.where((t_raw >= 0.0) & (t_raw <= 1.0), cross, np.copysign(dist, cross))
            inside = ~(((k == 0) & (t_raw < 0.0)) | ((k == last) & (t_raw > 1.0)))
            b_along = np.where(better, cum[k] + t * np.sqrt(seg_len2[k]), b_along)
            b_cross = np.where(better, signed, b_cross)
            b_on = np.where(better, inside, b_on)
        along[c0:c0 + px.size], across[c0:c0 + px.size], on_line[c0:c0 + px.size] = b_along, b_cross, b_on
    return along, across, on_line


def in_swath(x, y, line: Line, width_m: float) -> tuple:
    """``(indices of the samples in the swath of full width width_m, their distance along the line)``."""
    along, across, on_line = project(x, y, line)
    keep = np.flatnonzero(on_line & (np.abs(across) <= 0.5 * width_m))
    return keep, along[keep]


def bin_edges(length_m: float, step_m: float) -> tuple:
    """``(left edges, centres)`` of the bins of ``step_m`` along a line of ``length_m`` (the last one shorter)."""
    if not step_m > 0:
        raise GeohazardError(f"STEP must be positive (m), got {step_m}")
    n = max(int(np.ceil(length_m / step_m - 1e-9)), 1)
    left = np.arange(n) * step_m
    right = np.minimum(left + step_m, length_m)
    return left, 0.5 * (left + right)


def bin_statistics(along, values, length_m: float, step_m: float) -> dict:
    """Statistics per bin of ``values`` ``(n,)`` or ``(n, n_bands)`` (NaN = no data) at distances ``along``
    ``(n,)``: ``{"distance_m": (n_bins,), "count": (n_bins, n_bands), "mean" ..., "p95"}`` (:data:`STATS`)."""
    along = np.asarray(along, np.float64).reshape(-1)
    v = np.asarray(values, np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if v.shape[0] != along.size:
        raise GeohazardError(f"values has {v.shape[0]} samples but along has {along.size}")
    _, centres = bin_edges(length_m, step_m)
    nb = centres.size
    idx = np.clip(np.floor(along / step_m).astype(np.int64), 0, nb - 1)
    out = {"distance_m": centres}
    out.update({k: np.full((nb, v.shape[1]), np.nan) for k in STATS})
    for b in range(v.shape[1]):
        col = v[:, b]
        ok = np.isfinite(col)
        bi, val = idx[ok], col[ok]
        order = np.lexsort((val, bi))  # by bin, then value: each bin's values sorted, for its quantiles
        bi, val = bi[order], val[order]
        count = np.bincount(bi, minlength=nb)
        start = np.r_[0, np.cumsum(count)[:-1]]
        has = count > 0
        total = np.bincount(bi, weights=val, minlength=nb)
        mean = np.where(has, total / np.maximum(count, 1), np.nan)
        dev = val - mean[bi]
        ss = np.bincount(bi, weights=dev * dev, minlength=nb)
        with np.errstate(invalid="ignore", divide="ignore"):
            std = np.where(count > 1, np.sqrt(ss / (count - 1)), np.nan)
        out["count"][:, b] = count
        out["mean"][:, b] = mean
        out["std"][:, b] = std
        for key, q in (("median", 0.5), ("p05", 0.05), ("p95", 0.95)):
            out[key][:, b] = _sorted_quantile(val, start, count, q)
    return out


def _sorted_quantile(val, start, count, q: float) -> np.ndarray:
    """Quantile ``q`` of each group of the sorted ``val`` (group ``i``: ``count[i]`` values from ``start[i]``),
    numpy's linear interpolation; NaN for empty groups."""
    pos = (np.maximum(count, 1) - 1) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count, 1) - 1)
    frac = pos - lo
    if val.size == 0:
        return np.full(count.size, np.nan)
    a = val[np.minimum(start + lo, val.size - 1)]
    b = val[np.minimum(start + hi, val.size - 1)]
    return np.where(count > 0, a + (b - a) * frac, np.nan)


@dataclass
class Profile:
    """The statistics of one profile (:func:`bin_statistics`) with its line and identity."""

    pid: int
    line: Line
    stats: dict
    n_samples: int


def profile_of(pid: int, line: Line, x, y, values, *, width_m: float, step_m: float) -> Profile:
    """The swath profile of the samples at ``(x, y)`` (metric frame) with ``values`` ``(n,)`` or ``(n, bands)``."""
    keep, along = in_swath(x, y, line, width_m)
    vals = np.asarray(values)
    vals = vals[keep] if vals.ndim == 1 else vals[keep, :]
    return Profile(pid, line, bin_statistics(along, vals, line.length, step_m), int(keep.size))


def report(profiles: Sequence[Profile], name: str, progress=None) -> None:
    """Log each profile (length, samples, empty bins); warn about a profile without a valid sample and refuse
    when no profile has one (every sample in the swaths is no-data)."""
    from ..progress import info, warn

    valid = 0
    for p in profiles:
        count = p.stats["count"]
        empty = int((count.max(axis=1) == 0).sum())
        info(progress, f"profile {p.pid}: {p.line.length:.1f} m, {p.n_samples} samples, {empty} of "
                       f"{count.shape[0]} bins empty")
        if not count.any():
            warn(progress, f"profile {p.pid}: every sample of {name} in its swath is no-data")
        valid += int(count.sum())
    if not valid:
        raise GeohazardError(f"{name}: every pixel or point in the swaths is no-data (NaN, NULL): no profile to draw")


def check_width_step(width_m: float, step_m: float) -> None:
    """Refuse a swath of no width or bins of no length."""
    if not width_m > 0:
        raise GeohazardError(f"WIDTH must be positive (m, the full width of the swath), got {width_m}")
    if not step_m > 0:
        raise GeohazardError(f"STEP must be positive (m, the length of a bin along the profile), got {step_m}")


def table_columns(profiles: Sequence[Profile], suffixes: Sequence[str], to_input=None) -> dict:
    """The output table: ``profile``, ``distance_m``, ``x``, ``y`` (the bin centre on the line, in the input's CRS
    through ``to_input(x, y)``; metric when None) and, per band, the :data:`STATS` columns named
    ``<stat>`` (one band) or ``<stat>_<suffix>``."""
    cols = {"profile": [], "distance_m": [], "x": [], "y": []}
    names = [(k, k if len(suffixes) == 1 else f"{k}_{s}", b) for b, s in enumerate(suffixes) for k in STATS]
    for _, name, _ in names:
        cols[name] = []
    for p in profiles:
        d = p.stats["distance_m"]
        x, y = p.line.points_at(d)
        if to_input is not None:
            x, y = to_input(x, y)
        cols["profile"].append(np.full(d.size, p.pid, np.int64))
        cols["distance_m"].append(d)
        cols["x"].append(np.asarray(x, np.float64))
        cols["y"].append(np.asarray(y, np.float64))
        for key, name, b in names:
            cols[name].append(p.stats[key][:, b])
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    for key, name, _ in names:
        if key == "count":
            out[name] = out[name].astype(np.int64)
    return out


def transformer(src_wkt: str, dst_wkt: str):
    """``f(x, y) -> (x, y)`` from ``src_wkt`` to ``dst_wkt`` (pyproj, x = easting / longitude first)."""
    return _transformer(src_wkt, dst_wkt)


_TRANSFORMERS: dict = {}


def _transformer(src_wkt: str, dst_wkt: str):
    key = (src_wkt, dst_wkt)
    if key not in _TRANSFORMERS:
        from pyproj import Transformer

        t = Transformer.from_crs(src_wkt, dst_wkt, always_xy=True)
        _TRANSFORMERS[key] = lambda x, y: t.transform(np.asarray(x, np.float64), np.asarray(y, np.float64))
    return _TRANSFORMERS[key]


def pixel_centres(gt, rows, n_cols: int, col0: int = 0) -> tuple:
    """Map coordinates ``(x, y)`` ``(len(rows) * n_cols,)`` of the centres of pixels ``rows`` x
    ``col0 .. col0 + n_cols - 1`` of a grid with geotransform ``gt``."""
    c = np.arange(col0, col0 + n_cols, dtype=np.float64) + 0.5
    r = np.asarray(rows, np.float64) + 0.5
    cc, rr = np.meshgrid(c, r)
    return (gt[0] + cc * gt[1] + rr * gt[2]).reshape(-1), (gt[3] + cc * gt[4] + rr * gt[5]).reshape(-1)


def swath_raster_block(block, inputs, *, gt, window: tuple, frame: Optional[tuple], lines: Sequence,
                       width_m: float) -> dict:
    """Block function of the engine over the rows of a raster window: ``inputs["raster"]`` ``(bands, rows, cols)``
    (or ``(rows, cols)``) read from window ``(row0, row1, col0, col1)`` of the grid ``gt``; ``frame`` =
    ``(raster CRS, metric CRS)`` WKTs when they differ; ``lines`` = ``[(pid, Line), ...]`` in the metric frame.

    Returns ``{"samples": {pid: (along (n,), values (n, bands) float32)}, "pixels": {pid: n}}``: the pixels whose
    centre is in each swath, no-data included in ``pixels`` (a swath off the raster has none)."""
    arr = inputs["raster"]
    if arr.ndim == 2:
        arr = arr[None]
    r0, _, c0, c1 = window
    x, y = pixel_centres(gt, np.arange(r0 + block.row0, r0 + block.row1), c1 - c0, c0)
    if frame is not None:
        x, y = transformer(*frame)(x, y)
    flat = arr.reshape(arr.shape[0], -1)
    samples, pixels = {}, {}
    for pid, line in lines:
        keep, along = in_swath(x, y, line, width_m)
        samples[pid] = (along, np.ascontiguousarray(flat[:, keep].T, dtype=np.float32))
        pixels[pid] = int(keep.size)
    return {"samples": samples, "pixels": pixels}


def sample_subset(along, values, most: int = 200_000) -> tuple:
    """At most ``most`` samples (every k-th, in their order) for a chart's cloud."""
    k = max(int(np.ceil(along.size / most)), 1)
    return along[::k], values[::k]
