"""2-D phase unwrapping of wrapped interferograms, with connected components.

Two backends behind one call (:func:`unwrap_interferogram`):

``"builtin"``
    A quality-guided unwrapper on a maximum spanning tree (the reliability-sorted
    path-following of Herraez et al. 2002, Appl. Opt. 41(35), doi:10.1364/AO.41.007437):
    every pixel pair (4-neighbours) is an edge whose quality is the lowest of the two
    pixels' coherence, of their pseudo-coherence (consistency of the fringes in a 5x5
    window, :func:`estimate_quality`) and of their second-difference reliability
    ``1 / (1 + coherence**2 D)`` (Herraez et al. 2002: low where the fringes bend faster than they are
    sampled, steep bowls under noise), halved when the edge borders a residue (a 2x2 loop
    whose wrapped differences do not sum to a multiple of 2 pi); edges are taken from the
    best down (Kruskal, union-find) and the phase is integrated along the tree they form,
    so errors are pushed to the least reliable pixels. Three congruent clean-up passes
    follow: a pixel a whole number of cycles away from the median of its component's
    pixels in a 5x5 window is moved by those cycles (isolated errors in noisy areas).
    Pixels below ``min_coherence``, masked or NaN are not unwrapped; what
    stays connected through coherent pixels forms one **connected component**
    (labels 1, 2, ... by decreasing size, 0 = not unwrapped): the unwrapper never
    guesses the cycle offset across a decorrelated gap. Components smaller than
    ``min_component_size`` pixels are dropped (label 0, NaN phase). Pure numba/numpy,
    the whole interferogram in memory (about 40 bytes per pixel); big rasters go through
    :mod:`algorithms.timeseries.unwrap_tiles` (overlapping row tiles, bounded memory).

``"snaphu"``
    SNAPHU (Chen & Zebker 2001, doi:10.1364/JOSAA.18.000338) through the optional
    ``snaphu`` package (snaphu-py), called exactly as ``snaphu.unwrap(igram, corr,
    nlooks, cost, init, mask=..., ntiles=..., tile_overlap=...)``: statistical-cost
    network flow, its own tiling for big rasters, its own connected components.

Both return the unwrapped phase in radians with the input's sign (phase grows with
range, see :mod:`algorithms.conventions`); within a component the result equals the
wrapped phase plus a multiple of 2 pi; the constant of each component is
free (the built-in backend starts each from its most coherent pixel's wrapped value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._numba import njit
from ..errors import GeohazardError

TWO_PI = 2.0 * np.pi
#: Wrapped phase may exceed pi by rounding/resampling; beyond this it is not wrapped.
WRAP_TOLERANCE = 0.05
#: Factor on the quality of an edge that borders a residue (built-in backend).
RESIDUE_PENALTY = 0.5
#: Weight of the second-difference measure D (radians) in the edge quality 1 / (1 + w coh**2 D)
#: (built-in backend; Herraez et al.'s reliability is 1 / D).
SECOND_DIFFERENCE_WEIGHT = 1.0
#: Window (pixels) of the pseudo-coherence in the built-in backend's edge quality.
QUALITY_WINDOW = 5
#: Cycle-correction passes after the spanning tree: half window (pixels) and passes.
MEDIAN_HALF_WINDOW = 2
MEDIAN_PASSES = 3
#: Number of quality levels of the edge sort (counting sort).
_LEVELS = 4096
BACKENDS = ("builtin", "snaphu")
#: SNAPHU tiling of big rasters: tile side (pixels) and overlap (pixels).
SNAPHU_TILE = 2048
SNAPHU_TILE_OVERLAP = 128

SNAPHU_INSTALL_HELP = (
    "the SNAPHU backend needs the Python package 'snaphu' (snaphu-py, binary wheels on PyPI), "
    "installed into the Python that QGIS runs. Debian/Ubuntu: "
    "'/usr/bin/python3 -m pip install --user --break-system-packages snaphu'; "
    "Windows (OSGeo4W Shell, as administrator): 'python -m pip install snaphu'; "
    "macOS (QGIS.app): '/Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install snaphu'. "
    "Restart QGIS afterwards, or choose the built-in backend."
)


@dataclass
class UnwrapResult:
    """One unwrapped interferogram."""

    unwrapped: np.ndarray  # float32, radians, NaN where not unwrapped
    components: np.ndarray  # uint16, 0 = not unwrapped, 1.. by decreasing size
    stats: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- input checks
def wrapped_phase(data, name: str = "interferogram") -> np.ndarray:
    """Wrapped phase (float32, radians in [-pi, pi]) of a complex or phase array.

    Raises
    ------
    GeohazardError
        When a real array holds values far outside [-pi, pi] (an unwrapped interferogram
        given by mistake) or has no finite value.
    """
    arr = np.asarray(data)
    if np.iscomplexobj(arr):
        out = np.angle(arr).astype(np.float32)
        out[~np.isfinite(arr) | (arr == 0)] = np.nan
        if not np.isfinite(out).any():
            raise GeohazardError(f"{name}: no valid pixel (every value is zero or nodata)")
        return out
    out = arr.astype(np.float32, copy=True)
    finite = np.isfinite(out)
    if not finite.any():
        raise GeohazardError(f"{name}: no valid pixel (every value is nodata)")
    lo, hi = float(out[finite].min()), float(out[finite].max())
    if lo < -np.pi - WRAP_TOLERANCE or hi > np.pi + WRAP_TOLERANCE:
        raise GeohazardError(
            f"{name}: values range from {lo:.3g} to {hi:.3g}, expected wrapped phase in [-pi, pi] radians "
            "(or a complex interferogram): is it already unwrapped?")
    return np.clip(out, -np.pi, np.pi)


def residues(phase: np.ndarray) -> np.ndarray:
    """Residue charge (-1, 0, +1) of every 2x2 loop, shape ``(rows - 1, cols - 1)``; NaN loops are 0."""
    p = np.asarray(phase, dtype=np.float32)
    return _residues(p)


@njit(cache=True)
def _wrap(x):
    return x - 2.0 * np.pi * np.floor((x + np.pi) / (2.0 * np.pi))


@njit(cache=True)
def _residues(p):
    rows, cols = p.shape
    out = np.zeros((max(rows - 1, 0), max(cols - 1, 0)), np.int8)
    for r in range(rows - 1):
        for c in range(cols - 1):
            a, b, cc, d = p[r, c], p[r, c + 1], p[r + 1, c + 1], p[r + 1, c]
            if np.isnan(a) or np.isnan(b) or np.isnan(cc) or np.isnan(d):
                continue
            s = _wrap(b - a) + _wrap(cc - b) + _wrap(d - cc) + _wrap(a - d)
            out[r, c] = np.int8(np.rint(s / (2.0 * np.pi)))
    return out


def estimate_quality(phase: np.ndarray, size: int = 5, *, chunk_rows: int = 512) -> np.ndarray:
    """Pseudo-coherence (0-1) from the wrapped phase alone:
    ``sqrt(|mean exp(j dx)| |mean exp(j dy)|)`` over ``size x size`` windows of the wrapped
    row and column differences (1 for a smooth fringe pattern of any density, ~0 for noise).
    Computed in row chunks (float32), so it costs a few bytes per pixel beyond its output."""
    from scipy.ndimage import uniform_filter

    p = np.asarray(phase, dtype=np.float32)
    rows = p.shape[0]
    out = np.empty(p.shape, np.float32)
    halo = size // 2 + 1
    for r0 in range(0, rows, chunk_rows):
        r1 = min(rows, r0 + chunk_rows)
        a0, a1 = max(0, r0 - halo), min(rows, r1 + halo)
        blk = p[a0:a1]
        q = np.ones(blk.shape, np.float32)
        for axis in (0, 1):
            d = np.diff(blk, axis=axis, append=blk[-1:] if axis == 0 else blk[:, -1:])
            if axis == 0 and a1 == rows:
                d[-1] = d[-2] if d.shape[0] > 1 else 0.0
            if axis == 1:
                d[:, -1] = d[:, -2] if d.shape[1] > 1 else 0.0
            bad = ~np.isfinite(d)
            c, s = np.cos(d), np.sin(d)
            c[bad] = 0.0
            s[bad] = 0.0
            q *= np.hypot(uniform_filter(c, size, mode="nearest"), uniform_filter(s, size, mode="nearest"))
        out[r0:r1] = np.sqrt(q[r0 - a0:r0 - a0 + (r1 - r0)])
    out[~np.isfinite(p)] = np.nan
    return out


# --------------------------------------------------------------------------- built-in backend
@njit(cache=True)
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _mst_unwrap(phase, quality, valid, penalty, levels, pen_factor):
    """Kruskal on reliability-sorted edges, then integration along the spanning forest.

    Returns (unwrapped float32 with NaN outside ``valid``, root int32 per pixel, -1 outside)."""
    rows, cols = phase.shape
    n = rows * cols
    # edge qualities, quantised for a counting sort (descending)
    counts = np.zeros(levels + 1, np.int64)
    for r in range(rows):
        for c in range(cols):
            p = r * cols + c
            if not valid[r, c]:
                continue
            if c + 1 < cols and valid[r, c + 1]:
                q = min(quality[r, c], quality[r, c + 1])
                if penalty[0, r, c]:
                    q *= pen_factor
                counts[int(q * (levels - 1))] += 1
            if r + 1 < rows and valid[r + 1, c]:
                q = min(quality[r, c], quality[r + 1, c])
                if penalty[1, r, c]:
                    q *= pen_factor
                counts[int(q * (levels - 1))] += 1
    start = np.zeros(levels + 1, np.int64)
    acc = 0
    for lv in range(levels, -1, -1):
        start[lv] = acc
        acc += counts[lv]
    order = np.empty(acc, np.int32)
    for r in range(rows):
        for c in range(cols):
            p = r * cols + c
            if not valid[r, c]:
                continue
            if c + 1 < cols and valid[r, c + 1]:
                q = min(quality[r, c], quality[r, c + 1])
                if penalty[0, r, c]:
                    q *= pen_factor
                lv = int(q * (levels - 1))
                order[start[lv]] = p
                start[lv] += 1
            if r + 1 < rows and valid[r + 1, c]:
                q = min(quality[r, c], quality[r + 1, c])
                if penalty[1, r, c]:
                    q *= pen_factor
                lv = int(q * (levels - 1))
                order[start[lv]] = n + p
                start[lv] += 1
    parent = np.arange(n).astype(np.int32)
    size = np.ones(n, np.int32)
    tree = np.zeros(n, np.uint8)  # bit 1: edge to the right, bit 2: edge down
    for k in range(acc):
        e = order[k]
        if e < n:
            a, b, bit = e, e + 1, 1
        else:
            a, b, bit = e - n, e - n + cols, 2
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        tree[a] |= bit
    order = np.empty(0, np.int32)  # free the sorted edges before the integration arrays
    size = np.empty(0, np.int32)
    # seed of each tree: its most coherent pixel
    best = np.full(n, -1, np.int32)
    for p in range(n):
        r, c = p // cols, p % cols
        if not valid[r, c]:
            parent[p] = -1
            continue
        root = _find(parent, p)
        parent[p] = root
        if best[root] < 0 or quality[r, c] > quality[best[root] // cols, best[root] % cols]:
            best[root] = p
    unw = np.full((rows, cols), np.nan, np.float32)
    queue = np.empty(n, np.int32)
    for root in range(n):
        s = best[root]
        if s < 0:
            continue
        unw[s // cols, s % cols] = phase[s // cols, s % cols]
        head, tail = 0, 1
        queue[0] = s
        while head < tail:
            p = queue[head]
            head += 1
            r, c = p // cols, p % cols
            base = unw[r, c]
            for k in range(4):
                if k == 0:
                    q, ok = p + 1, (tree[p] & 1) != 0
                elif k == 1:
                    q, ok = p + cols, (tree[p] & 2) != 0
                elif k == 2:
                    q = p - 1
                    ok = c > 0 and (tree[q] & 1) != 0
                else:
                    q = p - cols
                    ok = r > 0 and (tree[q] & 2) != 0
                if not ok:
                    continue
                qr, qc = q // cols, q % cols
                if not np.isnan(unw[qr, qc]):
                    continue
                d = phase[qr, qc] - phase[r, c]
                d -= 2.0 * np.pi * np.floor((d + np.pi) / (2.0 * np.pi))
                unw[qr, qc] = base + d
                queue[tail] = q
                tail += 1
    return unw, parent.reshape(rows, cols)


@njit(cache=True)
def _median_cycles(unw, labels, half, passes):
    """Congruent clean-up: a pixel whose value differs by a whole number of cycles from the
    median of the unwrapped pixels of its component in a ``(2 half + 1)^2`` window (at least
    half of the window in the component) is moved by those cycles; the phase stays congruent
    with the wrapped input. Each pass reads the previous one (Jacobi)."""
    rows, cols = unw.shape
    two_pi = 2.0 * np.pi
    side = 2 * half + 1
    buf = np.empty(side * side, np.float64)
    for _ in range(passes):
        prev = unw.copy()
        changed = 0
        for r in range(rows):
            for c in range(cols):
                lab = labels[r, c]
                if lab == 0:
                    continue
                n = 0
                for rr in range(max(0, r - half), min(rows, r + half + 1)):
                    for cc in range(max(0, c - half), min(cols, c + half + 1)):
                        if labels[rr, cc] == lab:
                            buf[n] = prev[rr, cc]
                            n += 1
                if 2 * n < side * side:
                    continue
                med = np.median(buf[:n])
                k = np.rint((med - prev[r, c]) / two_pi)
                if k != 0:
                    unw[r, c] = prev[r, c] + two_pi * k
                    changed += 1
        if changed == 0:
            break
    return unw


def _edge_penalty(phase: np.ndarray) -> np.ndarray:
    """``(2, rows, cols)`` flags: the right (0) / down (1) edge of a pixel borders a residue."""
    rows, cols = phase.shape
    res = residues(phase) != 0
    pen = np.zeros((2, rows, cols), dtype=np.bool_)
    # right edge (r, c)-(r, c+1) borders loops (r-1, c) and (r, c)
    pen[0, :-1, :-1] |= res
    pen[0, 1:, :-1] |= res
    # down edge (r, c)-(r+1, c) borders loops (r, c-1) and (r, c)
    pen[1, :-1, :-1] |= res
    pen[1, :-1, 1:] |= res
    return pen


def _label_components(roots: np.ndarray, min_size: int) -> np.ndarray:
    """Union-find roots -> labels 1.. by decreasing size (uint16), 0 below ``min_size`` or beyond 65535."""
    counts = _root_counts(roots.ravel())
    big = np.flatnonzero(counts >= max(1, int(min_size)))
    big = big[np.argsort(-counts[big], kind="stable")][:np.iinfo(np.uint16).max]
    counts[:] = 0  # reused as root -> label
    counts[big] = np.arange(1, len(big) + 1)
    return _apply_labels(roots.ravel(), counts).reshape(roots.shape)


@njit(cache=True)
def _root_counts(roots):
    counts = np.zeros(roots.size, np.int32)
    for p in range(roots.size):
        if roots[p] >= 0:
            counts[roots[p]] += 1
    return counts


@njit(cache=True)
def _apply_labels(roots, label_of_root):
    out = np.zeros(roots.size, np.uint16)
    for p in range(roots.size):
        if roots[p] >= 0:
            out[p] = label_of_root[roots[p]]
    return out


def unwrap_builtin(phase: np.ndarray, coherence: np.ndarray, mask=None, *, min_coherence: float = 0.3,
                   min_component_size: int = 50, phase_quality: bool = True) -> UnwrapResult:
    """Quality-guided (maximum-spanning-tree) unwrapping with connected components (see module doc).

    Pixels with ``coherence >= min_coherence`` (and ``mask``) are unwrapped; the edge order
    uses ``min(coherence, estimate_quality(phase), 1 / (1 + coherence**2 D))`` when ``phase_quality`` (the fringes' own
    consistency catches noise the coherence does not predict), else the coherence alone.
    The whole interferogram is held in memory; :mod:`algorithms.timeseries.unwrap_tiles`
    unwraps big rasters in overlapping tiles.
    """
    phase = np.asarray(phase, dtype=np.float32)
    if phase.size >= 2**30:
        raise GeohazardError(f"the built-in unwrapper holds at most 2**30 pixels, got {phase.shape}: "
                             "use the tiled unwrapping (algorithms.timeseries.unwrap_tiles) or cut the interferogram")
    unw, roots = spanning_tree_unwrap(phase, coherence, mask, min_coherence=min_coherence,
                                      phase_quality=phase_quality)
    labels = _label_components(roots, min_component_size)
    del roots
    unw[labels == 0] = np.nan
    if MEDIAN_PASSES > 0:
        _median_cycles(unw, labels, MEDIAN_HALF_WINDOW, MEDIAN_PASSES)
    return UnwrapResult(unw, labels)


def spanning_tree_unwrap(phase: np.ndarray, coherence: np.ndarray, mask=None, *, min_coherence: float = 0.3,
                         phase_quality: bool = True):
    """The spanning-tree stage of :func:`unwrap_builtin`: ``(unwrapped float32, roots int32)``.

    ``roots`` is the union-find root of each pixel (-1 where not unwrapped): pixels sharing
    a root form one connected component, before any size filter or clean-up."""
    phase = np.asarray(phase, dtype=np.float32)
    quality = np.nan_to_num(np.clip(np.asarray(coherence, dtype=np.float32), 0.0, 1.0), nan=0.0)
    valid = np.isfinite(phase) & (quality >= float(min_coherence))
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    ph = np.where(valid, phase, np.float32(np.nan))
    if phase_quality:
        np.minimum(quality, np.nan_to_num(estimate_quality(ph, QUALITY_WINDOW), nan=0.0), out=quality)
    penalty = _edge_penalty(ph)
    ph[~valid] = 0.0
    if phase_quality:
        _second_difference_quality(ph, np.asarray(coherence, dtype=np.float32), quality, SECOND_DIFFERENCE_WEIGHT)
    return _mst_unwrap(ph, quality, valid, penalty, _LEVELS, RESIDUE_PENALTY)


@njit(cache=True)
def _second_difference_quality(ph, coherence, quality, weight):
    """``quality = min(quality, 1 / (1 + weight coherence**2 D))`` in place, with ``D`` the
    second-difference measure of Herraez et al. (2002): the root sum of squares of the wrapped
    second differences of the phase along the row, the column and both diagonals (0 on any
    plane, however dense its fringes; large where the fringes bend faster than the phase is
    sampled). Weighted by the squared coherence (0-1, NaN = 0): where the coherence is low,
    ``D`` is phase noise the coherence already accounts for. ``ph``: 0 where not valid; the
    raster's edge pixels take their own value beyond the border."""
    rows, cols = ph.shape
    for r in range(rows):
        ru, rd = max(r - 1, 0), min(r + 1, rows - 1)
        for c in range(cols):
            g = coherence[r, c]
            if not (g > 0.0):
                continue
            g = min(g, 1.0)
            cl, cr = max(c - 1, 0), min(c + 1, cols - 1)
            p = ph[r, c]
            h = _wrap(ph[r, cl] - p) - _wrap(p - ph[r, cr])
            v = _wrap(ph[ru, c] - p) - _wrap(p - ph[rd, c])
            d1 = _wrap(ph[ru, cl] - p) - _wrap(p - ph[rd, cr])
            d2 = _wrap(ph[ru, cr] - p) - _wrap(p - ph[rd, cl])
            q = 1.0 / (1.0 + weight * g * g * np.sqrt(h * h + v * v + d1 * d1 + d2 * d2))
            if q < quality[r, c]:
                quality[r, c] = q


# --------------------------------------------------------------------------- SNAPHU backend
def snaphu_available() -> bool:
    """True when the optional ``snaphu`` package (snaphu-py) can be imported."""
    try:
        import snaphu  # noqa: F401
    except ImportError:
        return False
    return True


def unwrap_snaphu(phase: np.ndarray, quality: np.ndarray, mask=None, *, nlooks: float = 1.0,
                  cost: str = "smooth", init: str = "mcf", ntiles=None, tile_overlap=None,
                  nproc: int = 1, min_coherence: float = 0.0) -> UnwrapResult:
    """SNAPHU through snaphu-py; NaN phase and ``mask`` False (and coherence below
    ``min_coherence``) are masked. Rasters larger than :data:`SNAPHU_TILE` pixels on a side
    are cut into SNAPHU tiles (``ntiles``) overlapping by :data:`SNAPHU_TILE_OVERLAP` pixels
    unless ``ntiles`` is given. Raises GeohazardError with install help when missing."""
    try:
        import snaphu
    except ImportError:
        raise GeohazardError(SNAPHU_INSTALL_HELP) from None
    phase = np.asarray(phase, dtype=np.float32)
    if ntiles is None:
        ntiles = tuple(max(1, int(np.ceil(n / SNAPHU_TILE))) for n in phase.shape)
    if tile_overlap is None:
        tile_overlap = SNAPHU_TILE_OVERLAP if max(ntiles) > 1 else 0
    corr = np.nan_to_num(np.clip(np.asarray(quality, dtype=np.float32), 0.0, 1.0), nan=0.0)
    valid = np.isfinite(phase) & (corr >= float(min_coherence))
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    igram = np.exp(1j * np.where(valid, phase, 0.0)).astype(np.complex64)
    try:
        unw, cc = snaphu.unwrap(igram, corr, nlooks=float(nlooks), cost=cost, init=init,
                                mask=valid if not valid.all() else None, ntiles=tuple(ntiles),
                                tile_overlap=int(tile_overlap), nproc=int(nproc))
    except (RuntimeError, ValueError) as exc:
        raise GeohazardError(f"SNAPHU failed: {exc}") from None
    unw = np.asarray(unw, dtype=np.float32)
    cc = np.asarray(cc)
    unw[(cc == 0) | ~valid] = np.nan
    return UnwrapResult(unw, np.clip(cc, 0, np.iinfo(np.uint16).max).astype(np.uint16))


# --------------------------------------------------------------------------- one interferogram
def unwrap_interferogram(data, coherence=None, mask=None, *, backend: str = "builtin",
                         min_coherence: float = 0.3, min_component_size: int = 50,
                         name: str = "interferogram", **snaphu_options) -> UnwrapResult:
    """Unwrap one interferogram (complex or wrapped phase) and report on it.

    ``coherence`` (0-1, same grid) is the quality/cost; without it a pseudo-coherence is
    estimated from the phase (:func:`estimate_quality`). ``stats``: ``valid`` (pixels with
    data), ``unwrapped`` (pixels in a component), ``share_unwrapped`` (of valid),
    ``components``, ``residues`` (inside the coherent area), ``largest_component``
    (pixels), ``mean_coherence``.
    """
    if backend not in BACKENDS:
        raise GeohazardError(f"backend must be one of {BACKENDS}, got {backend!r}")
    phase = wrapped_phase(data, name)
    if coherence is None:
        quality = estimate_quality(phase if mask is None else np.where(mask, phase, np.nan))
    else:
        quality = np.asarray(coherence, dtype=np.float32)
        if quality.shape != phase.shape:
            raise GeohazardError(f"coherence of {name} has shape {quality.shape}, expected {phase.shape}")
        fq = quality[np.isfinite(quality)]
        if fq.size and (fq.min() < -1e-3 or fq.max() > 1.0 + 1e-3):
            raise GeohazardError(f"coherence of {name} ranges from {fq.min():.3g} to {fq.max():.3g}, expected 0-1")
    if mask is not None and np.shape(mask) != phase.shape:
        raise GeohazardError(f"mask has shape {np.shape(mask)}, expected {phase.shape} like {name}")
    valid = np.isfinite(phase) if mask is None else np.isfinite(phase) & np.asarray(mask, dtype=bool)
    coherent = valid & (np.nan_to_num(quality, nan=0.0) >= float(min_coherence))
    if not coherent.any():
        raise GeohazardError(
            f"{name}: no pixel has coherence >= {min_coherence:g} (all incoherent): nothing can be unwrapped; "
            "lower the minimum coherence or leave this interferogram out")
    if backend == "builtin":
        res = unwrap_builtin(phase, quality, mask, min_coherence=min_coherence,
                             min_component_size=min_component_size)
    else:
        res = unwrap_snaphu(phase, quality, mask, min_coherence=min_coherence, **snaphu_options)
    n_valid = int(valid.sum())
    n_unw = int((res.components > 0).sum())
    counts = np.bincount(res.components.ravel())[1:] if n_unw else np.zeros(0, np.int64)
    res.stats = {
        "valid": n_valid,
        "unwrapped": n_unw,
        "share_unwrapped": n_unw / n_valid if n_valid else 0.0,
        "components": int((counts > 0).sum()),
        "largest_component": int(counts.max()) if counts.size else 0,
        "residues": int(np.abs(residues(np.where(coherent, phase, np.float32(np.nan)))).sum()),
        "mean_coherence": float(np.nanmean(np.where(valid, quality, np.nan))) if n_valid else float("nan"),
    }
    return res


# --------------------------------------------------------------------------- network closure
def closure_triplets(pairs) -> list:
    """Index triplets ``(ij, jk, ik)`` of interferograms forming closed loops in the network."""
    index = {tuple(p): n for n, p in enumerate(pairs)}
    out = []
    for (i, j), a in index.items():
        for (j2, k), b in index.items():
            if j2 == j and (i, k) in index:
                out.append((a, b, index[(i, k)]))
    return sorted(out)


def closure_cycles(unw_ij, unw_jk, unw_ik, cc_ij, cc_jk, cc_ik) -> np.ndarray:
    """Closure error in whole cycles of ``phi_ij + phi_jk - phi_ik``, 0 where the triplet closes.

    Each connected component carries a free multiple of 2 pi, so the integer closure
    ``round((phi_ij + phi_jk - phi_ik) / 2 pi)`` is taken relative to its most common value
    over the pixels sharing the same three components; a non-zero result flags an unwrapping
    error in one of the three. NaN where any of the three is not unwrapped.
    """
    c = (np.asarray(unw_ij, np.float64) + np.asarray(unw_jk, np.float64) - np.asarray(unw_ik, np.float64))
    ok = np.isfinite(c) & (cc_ij > 0) & (cc_jk > 0) & (cc_ik > 0)
    out = np.full(c.shape, np.nan)
    if not ok.any():
        return out
    k = np.rint(c[ok] / TWO_PI).astype(np.int64)
    key = (cc_ij[ok].astype(np.int64) * 65536 + cc_jk[ok]) * 65536 + cc_ik[ok]
    _, group = np.unique(key, return_inverse=True)
    kk = k - k.min()
    table = np.zeros((group.max() + 1, kk.max() + 1), np.int64)
    np.add.at(table, (group, kk), 1)
    mode = table.argmax(axis=1)
    out[ok] = kk - mode[group]
    return out
