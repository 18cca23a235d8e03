"""2-D phase unwrapping of wrapped interferograms, with connected components.

Two backends behind one call (:func:`unwrap_interferogram`):

``"builtin"``
    A quality-guided unwrapper on a spanning tree (the reliability-sorted path following of
    Herraez et al. 2002, Appl. Opt. 41(35), doi:10.1364/AO.41.007437): every pixel pair
    (4-neighbours) is an edge whose quality is the lowest of the two pixels' coherence, of
    their pseudo-coherence (consistency of the fringes in a 5x5 window, :func:`estimate_quality`),
    of their second-difference reliability ``1 / (1 + coherence**2 D)`` (Herraez et al. 2002:
    low where the fringes bend faster than they are sampled) and of an ambiguity cap (low where
    the window's mean difference is near +-pi, fringes at the sampling limit,
    :func:`phase_statistics`), halved when the edge borders a residue (a 2x2 loop whose wrapped
    differences do not sum to a multiple of 2 pi). The difference across an edge takes the
    whole cycle nearest the window's mean difference where that window is consistent, else the
    wrapped difference. Edges are taken from the best down (Kruskal) by a union-find that
    carries each pixel's whole cycles; two sets of at least :data:`LARGE_SET_PIXELS` coherent
    pixels are never joined by one edge: the edges between them vote, weighted by quality, for
    their offset, and they are joined when the vote is clear (:func:`vote_offsets`), so one
    noisy path across a decorrelated strip or an aliased zone does not put a whole side a cycle
    off. Three congruent clean-up passes follow: a pixel a whole number of cycles away from the
    median of its component's pixels in a 5x5 window is moved by those cycles.
    Pixels at or above ``min_coherence`` form the **connected components** (labels 1, 2, ...
    by decreasing size, 0 = not unwrapped); *bridge* pixels, from half of it up to it with
    consistent fringes, are integrated after all of them and kept where their component holds
    coherent pixels, so patches cut off by thin low-coherence gaps join the ground they belong
    to; lower, masked or NaN pixels are not unwrapped, and the unwrapper never guesses the
    cycle offset across a decorrelated gap. Components smaller than ``min_component_size``
    pixels are dropped (label 0, NaN phase). Pure numba/numpy, deterministic, the whole
    interferogram in memory (about 47 bytes per pixel); big rasters go through
    :mod:`algorithms.unwrap.unwrap_tiles` (overlapping row tiles, bounded memory).

``"snaphu"``
    SNAPHU (Chen & Zebker 2001, doi:10.1364/JOSAA.18.000338) through the optional
    ``snaphu`` package (snaphu-py), called exactly as ``snaphu.unwrap(igram, corr,
    nlooks, cost, init, mask=..., ntiles=..., tile_overlap=...)``: statistical-cost
    network flow, its own tiling for big rasters, its own connected components.

Both return the unwrapped phase in radians with the input's sign (phase grows with
range, see :mod:`algorithms.conventions`); within a component the result equals the
wrapped phase plus a multiple of 2 pi; the constant of each component is
free (the built-in backend leaves each component's most coherent pixel at its wrapped value).
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
#: Pixels per chunk of the window statistics (their float32 temporaries are ~40 bytes per pixel).
CHUNK_PIXELS = 1 << 18
#: Number of quality levels of the edge sort (counting sort).
_LEVELS = 4096
#: Pixels below the coherence threshold but at least this share of it are *bridges*: not
#: unwrapped themselves, but integrated last so that coherent patches they connect can join.
BRIDGE_COHERENCE_FACTOR = 0.5
#: Sets of at least this many coherent pixels are not joined by one edge: the edges between
#: two such sets vote on their whole-cycle offset ...
LARGE_SET_PIXELS = 48
#: ... each edge weighing its quality (0-1); they are joined when the best-supported offset
#: outweighs the others by at least this (four perfect edges) ...
JOIN_MIN_WEIGHT = 4.0
#: ... and holds at least this share of the weight.
JOIN_MIN_AGREEMENT = 0.75
#: An edge whose expected difference is within this many local noise spreads of pi (where a
#: cycle is ambiguous: fringes near one per two pixels) loses quality in proportion.
AMBIGUITY_SIGMAS = 5.0
#: The window's mean difference is the expected difference across an edge (the cycle nearest
#: to it is taken) only where ``|mean exp(j d)|`` is at least this (noise spread <= 0.85 rad);
#: noisier windows estimate it worse than the wrapped difference does.
GRADIENT_MIN_CONSISTENCY = 0.7
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
def wrapped_phase(data, name: str = "interferogram", *, allow_empty: bool = False) -> np.ndarray:
    """Wrapped phase (float32, radians in [-pi, pi]; NaN for nodata and complex zeros) of a complex or phase
    array; with ``allow_empty`` (one tile of a larger raster) it may be all NaN.

    Raises
    ------
    GeohazardError
        When a real array holds values far outside [-pi, pi] (an unwrapped interferogram
        given by mistake) or, without ``allow_empty``, has no finite value.
    """
    arr = np.asarray(data)
    if np.iscomplexobj(arr):
        out = np.angle(arr).astype(np.float32)
        out[~np.isfinite(arr) | (arr == 0)] = np.nan
        if not allow_empty and not np.isfinite(out).any():
            raise GeohazardError(f"{name}: no valid pixel (every value is zero or nodata)")
        return out
    out = arr.astype(np.float32, copy=True)
    finite = np.isfinite(out)
    if not finite.any():
        if not allow_empty:
            raise GeohazardError(f"{name}: no valid pixel (every value is nodata)")
        return out
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


def estimate_quality(phase: np.ndarray, size: int = 5, *, chunk_rows=None) -> np.ndarray:
    """Pseudo-coherence (0-1) from the wrapped phase alone:
    ``sqrt(|mean exp(j dx)| |mean exp(j dy)|)`` over ``size x size`` windows of the wrapped
    row and column differences (1 for a smooth fringe pattern of any density, ~0 for noise;
    NaN differences count as 0, windows beyond the raster repeat its edge). Each window is
    summed on its own in a fixed order, so a pixel's value depends on its window only, not
    on where a chunk or a tile starts. Computed in row chunks (``chunk_rows``, default about
    :data:`CHUNK_PIXELS` pixels), a few bytes per pixel beyond its output."""
    return _window_statistics(phase, size, chunk_rows, False)[0]


def phase_statistics(phase: np.ndarray, size: int = 5, *, chunk_rows=None):
    """Pseudo-coherence and, per edge direction, the expected difference and its ambiguity.

    Over ``size x size`` windows of the wrapped differences down (rows) and to the right
    (columns): ``m = mean exp(j d)`` (as :func:`estimate_quality`). Returns arrays of the
    phase's shape:

    * ``quality`` (float32): the pseudo-coherence ``sqrt(|m_down| |m_right|)``;
    * ``expected_down``, ``expected_right`` (int8, pi / 127 radians, -128 = none): ``angle(m)``,
      the expected difference to the next pixel, far less noisy than one difference, where the
      window is consistent (``|m| >=`` :data:`GRADIENT_MIN_CONSISTENCY`); none elsewhere (a
      noisier window estimates it worse than the wrapped difference itself). SNAPHU's smooth
      cost centres on the same kind of estimate (Chen & Zebker 2001, doi:10.1364/JOSAA.18.000338);
    * ``cap_down``, ``cap_right`` (uint8, 255 = 1): 1 where ``angle(m)`` is
      :data:`AMBIGUITY_SIGMAS` noise spreads ``sqrt(-2 ln |m|)`` or more away from +-pi, falling
      to 0 at +-pi: fringes at the sampling limit (one per two pixels), where a noisy
      difference lands on the wrong cycle.
    """
    return _window_statistics(phase, size, chunk_rows, True)


def _window_statistics(phase, size, chunk_rows, directions):
    p = np.asarray(phase, dtype=np.float32)
    if p.ndim != 2:
        raise GeohazardError(f"phase must be 2-D, got shape {p.shape}")
    rows, cols = p.shape
    half = int(size) // 2
    quality = np.empty(p.shape, np.float32)
    shape = p.shape if directions else (1, 1)
    out = (np.empty(shape, np.int8), np.empty(shape, np.int8), np.empty(shape, np.uint8), np.empty(shape, np.uint8))
    if chunk_rows is None:
        chunk_rows = max(16, CHUNK_PIXELS // max(1, cols))
    for r0 in range(0, rows, int(chunk_rows)):
        r1 = min(rows, r0 + int(chunk_rows))
        a0, a1 = max(0, r0 - half), min(rows, r1 + half + 1)  # one more row: the differences down
        blk = p[a0:a1]
        _window_rows(p, np.cos(blk), np.sin(blk), a0, r0, r1, half, quality, *out, directions,
                     GRADIENT_MIN_CONSISTENCY, AMBIGUITY_SIGMAS)
    return (quality,) + (out if directions else ())


@njit(cache=True)
def _window_rows(p, cp, sp, a0, r0, r1, half, quality, exp_down, exp_right, cap_down, cap_right, directions,
                 min_consistency, sigmas):
    """:func:`phase_statistics` on rows ``r0:r1`` (``cp``, ``sp``: cos and sin of the phase from
    row ``a0``): per direction, the cos and sin of the wrapped differences
    (``exp(j (b - a)) = exp(j b) exp(-j a)``; the last row / column repeats the one before; NaN
    counts 0) summed along each row over the window, then down the columns, each sum in a
    fixed order."""
    rows, cols = p.shape
    b0, b1 = max(0, r0 - half), min(rows, r1 + half)
    sums = np.zeros((4, b1 - b0, cols))
    cs = np.zeros((4, cols))
    for i in range(b1 - b0):
        r = b0 + i
        rd = r if r + 1 < rows else r - 1
        for c in range(cols):
            # a raster one pixel high (wide) has no difference down (right): taken as 0, a consistent one
            cs[0, c] = cs[2, c] = 1.0 if rd < 0 else 0.0
            cs[1, c] = cs[3, c] = 0.0
            if rd >= 0:
                x0, y0 = np.float64(cp[rd - a0, c]), np.float64(sp[rd - a0, c])
                x1, y1 = np.float64(cp[rd + 1 - a0, c]), np.float64(sp[rd + 1 - a0, c])
                cc_, ss_ = x1 * x0 + y1 * y0, y1 * x0 - x1 * y0
                if not (np.isnan(cc_) or np.isnan(ss_)):
                    cs[0, c], cs[1, c] = cc_, ss_
            cr = c if c + 1 < cols else c - 1
            if cr < 0:
                cs[2, c] = 1.0
            else:
                x0, y0 = np.float64(cp[r - a0, cr]), np.float64(sp[r - a0, cr])
                x1, y1 = np.float64(cp[r - a0, cr + 1]), np.float64(sp[r - a0, cr + 1])
                cc_, ss_ = x1 * x0 + y1 * y0, y1 * x0 - x1 * y0
                if not (np.isnan(cc_) or np.isnan(ss_)):
                    cs[2, c], cs[3, c] = cc_, ss_
        for c in range(cols):
            inner = half <= c < cols - half
            for k in range(4):
                acc = 0.0
                if inner:
                    for dc in range(-half, half + 1):
                        acc += cs[k, c + dc]
                else:
                    for dc in range(-half, half + 1):
                        acc += cs[k, min(max(c + dc, 0), cols - 1)]
                sums[k, i, c] = acc
    norm = 1.0 / ((2 * half + 1) ** 2)
    m = np.empty(4)
    for r in range(r0, r1):
        inner = half <= r < rows - half
        for c in range(cols):
            for k in range(4):
                acc = 0.0
                if inner:
                    for dr in range(-half, half + 1):
                        acc += sums[k, r + dr - b0, c]
                else:
                    for dr in range(-half, half + 1):
                        acc += sums[k, min(max(r + dr, 0), rows - 1) - b0, c]
                m[k] = acc * norm
            md = np.hypot(m[0], m[1])
            mr = np.hypot(m[2], m[3])
            quality[r, c] = np.nan if np.isnan(p[r, c]) else np.sqrt(md * mr)
            if not directions:
                continue
            for k in range(2):
                mag = md if k == 0 else mr
                g = np.arctan2(m[2 * k + 1], m[2 * k])
                sigma = np.sqrt(-2.0 * np.log(min(max(mag, 1e-6), 1.0 - 1e-7)))
                cap = np.uint8(np.rint(255.0 * min(max((np.pi - abs(g)) / (sigmas * sigma), 0.0), 1.0)))
                e = np.int8(np.rint(g * (127.0 / np.pi))) if mag >= min_consistency else np.int8(-128)
                if k == 0:
                    exp_down[r, c], cap_down[r, c] = e, cap
                else:
                    exp_right[r, c], cap_right[r, c] = e, cap


# --------------------------------------------------------------------------- built-in backend
@njit(cache=True)
def _edge_sets(parent, cycles, e, n, cols):
    """Pixels ``a``, ``b`` of edge ``e`` (``e < n``: ``a`` and its right neighbour; else ``a = e - n`` and the
    pixel below) with their sets' roots and cycles relative to them."""
    if e < n:
        a, b = e, e + 1
    else:
        a, b = e - n, e - n + cols
    ra, na = _find_cycles(parent, cycles, a)
    rb, nb_ = _find_cycles(parent, cycles, b)
    return a, b, ra, na, rb, nb_


@njit(cache=True)
def _find_cycles(parent, cycles, x):
    """Root of ``x`` and the whole cycles of ``x`` relative to its root (path compression:
    ``cycles[y]`` is kept relative to ``parent[y]``)."""
    r = x
    acc = 0
    while parent[r] != r:
        acc += cycles[r]
        r = parent[r]
    y = x
    rem = acc
    while parent[y] != y:
        nxt = parent[y]
        o = cycles[y]
        parent[y] = r
        cycles[y] = rem
        rem -= o
        y = nxt
    return r, acc


@njit(cache=True)
def _edge_bucket(quality, strong, penalty, cap, d, r, c, r2, c2, levels, pen_factor):
    """Sort bucket of the edge (r, c)-(r2, c2) (``d``: 0 right, 1 down): its quantised quality,
    shifted above every edge touching a bridge pixel when both ends are coherent."""
    q = min(quality[r, c], quality[r2, c2])
    if strong[r, c] and strong[r2, c2]:
        q = min(q, cap[r, c] * np.float32(1.0 / 255.0))
    if penalty[d, r, c]:
        q *= pen_factor
    lv = int(q * (levels - 1))
    if strong[r, c] and strong[r2, c2]:
        lv += levels + 1
    return lv


@njit(cache=True)
def _edge_cycles(d, code):
    """Whole cycles to add to the phase difference ``d`` (radians) across an edge so that it is
    the nearest to the expected difference (``code`` pi / 127 radians; -128: none, the wrapped
    difference is taken)."""
    if code == -128:
        return -int(np.floor((d + np.pi) / (2.0 * np.pi)))
    return int(np.rint((code * (np.pi / 127.0) - d) / (2.0 * np.pi)))


@njit(cache=True)
def _grow_components(phase, quality, strong, bridge, penalty, grad_down, grad_right, cap_down, cap_right, levels,
                     pen_factor, large):
    """Kruskal on reliability-sorted edges with whole cycles carried by the union-find.

    Edges between coherent pixels (``strong``) come first, best first; edges touching a
    ``bridge`` pixel (below the coherence threshold but not decorrelated) come last. Two sets
    that both hold at least ``large`` coherent pixels are never joined here: the edges between
    them are kept (their ids at the front of the returned edge array) for a vote.

    Returns (parent int32, cycles int32, kept edge ids int32, coherent pixels per set int32)."""
    rows, cols = phase.shape
    n = rows * cols
    nb = 2 * (levels + 1)
    counts = np.zeros(nb, np.int64)
    for r in range(rows):
        for c in range(cols):
            if not (strong[r, c] or bridge[r, c]):
                continue
            if c + 1 < cols and (strong[r, c + 1] or bridge[r, c + 1]):
                counts[_edge_bucket(quality, strong, penalty, cap_right, 0, r, c, r, c + 1, levels, pen_factor)] += 1
            if r + 1 < rows and (strong[r + 1, c] or bridge[r + 1, c]):
                counts[_edge_bucket(quality, strong, penalty, cap_down, 1, r, c, r + 1, c, levels, pen_factor)] += 1
    start = np.zeros(nb, np.int64)
    acc = 0
    for lv in range(nb - 1, -1, -1):
        start[lv] = acc
        acc += counts[lv]
    order = np.empty(acc, np.int32)
    for r in range(rows):
        for c in range(cols):
            if not (strong[r, c] or bridge[r, c]):
                continue
            p = r * cols + c
            if c + 1 < cols and (strong[r, c + 1] or bridge[r, c + 1]):
                lv = _edge_bucket(quality, strong, penalty, cap_right, 0, r, c, r, c + 1, levels, pen_factor)
                order[start[lv]] = p
                start[lv] += 1
            if r + 1 < rows and (strong[r + 1, c] or bridge[r + 1, c]):
                lv = _edge_bucket(quality, strong, penalty, cap_down, 1, r, c, r + 1, c, levels, pen_factor)
                order[start[lv]] = n + p
                start[lv] += 1
    parent = np.arange(n).astype(np.int32)
    cycles = np.zeros(n, np.int32)
    n_strong = np.zeros(n, np.int32)
    for r in range(rows):
        for c in range(cols):
            if strong[r, c]:
                n_strong[r * cols + c] = 1
    flat = phase.ravel()
    sflat = strong.ravel()
    kept = 0
    for i in range(acc):
        e = order[i]
        a, b, ra, na, rb, nb_ = _edge_sets(parent, cycles, e, n, cols)
        if ra == rb:
            continue
        sa, sb = n_strong[ra], n_strong[rb]
        if sa >= large and sb >= large:
            order[kept] = e
            kept += 1
            continue
        d = np.float64(flat[b]) - np.float64(flat[a])
        g = (grad_right.flat[a] if e < n else grad_down.flat[a]) if sflat[a] and sflat[b] else np.int8(-128)
        k = _edge_cycles(d, g)  # cycles of b over a along this edge
        # the set with more coherent pixels becomes the root: a large set's frame never moves
        if sb > sa:
            parent[ra] = rb
            cycles[ra] = nb_ - k - na
            n_strong[rb] += sa
        else:
            parent[rb] = ra
            cycles[rb] = na + k - nb_
            n_strong[ra] += sb
    return parent, cycles, order[:kept].copy(), n_strong


@njit(cache=True)
def _set_votes(phase, quality, strong, penalty, grad_down, grad_right, cap_down, cap_right, parent, cycles, edges,
               levels, pen_factor):
    """Per kept edge between two large sets: (lower root, higher root, whole cycles to add to the
    higher root's set so that it continues the lower one's phase across the edge, the edge's
    quality level 0..levels-1)."""
    rows, cols = phase.shape
    n = rows * cols
    flat = phase.ravel()
    sflat = strong.ravel()
    lo = np.empty(edges.size, np.int64)
    hi = np.empty(edges.size, np.int64)
    off = np.empty(edges.size, np.int64)
    weight = np.empty(edges.size, np.int64)
    for i in range(edges.size):
        e = edges[i]
        a, b, ra, na, rb, nb_ = _edge_sets(parent, cycles, e, n, cols)
        d = np.float64(flat[b]) - np.float64(flat[a])
        g = (grad_right.flat[a] if e < n else grad_down.flat[a]) if sflat[a] and sflat[b] else np.int8(-128)
        o = na + _edge_cycles(d, g) - nb_  # cycles to add to rb's set
        r, c = a // cols, a % cols
        if e < n:
            lv = _edge_bucket(quality, strong, penalty, cap_right, 0, r, c, r, c + 1, levels, pen_factor)
        else:
            lv = _edge_bucket(quality, strong, penalty, cap_down, 1, r, c, r + 1, c, levels, pen_factor)
        weight[i] = lv - (levels + 1) if lv > levels else lv
        if ra < rb:
            lo[i], hi[i], off[i] = ra, rb, o
        else:
            lo[i], hi[i], off[i] = rb, ra, -o
    return lo, hi, off, weight


@njit(cache=True)
def _join_sets(n, size, a, b, k):
    """Kruskal over votes ``set a - set b = k`` cycles (strongest first), union-find carrying
    the offsets: final root and whole cycles to add, per node; votes contradicting the sets
    joined so far are counted and dropped."""
    parent = np.arange(n)
    off = np.zeros(n, np.int64)
    size = size.copy()
    conflicts = 0
    for i in range(a.size):
        ra, oa = _find_cycles(parent, off, a[i])
        rb, ob = _find_cycles(parent, off, b[i])
        if ra == rb:
            if ob != k[i] + oa:
                conflicts += 1
            continue
        if size[ra] >= size[rb]:
            parent[rb] = ra
            off[rb] = k[i] + oa - ob
            size[ra] += size[rb]
        else:
            parent[ra] = rb
            off[ra] = ob - k[i] - oa
            size[rb] += size[ra]
    root = np.empty(n, np.int64)
    total = np.empty(n, np.int64)
    for x in range(n):
        root[x], total[x] = _find_cycles(parent, off, x)
    return root, total, conflicts


def vote_offsets(lo, hi, off, weight, *, min_weight: float, min_agreement: float):
    """Best-supported whole-cycle offset of each pair of sets, and whether it is trusted.

    ``lo``, ``hi``, ``off``, ``weight``: one vote per edge between two sets (int64; the weight
    is the edge's quality level). Per pair, the offset of largest total weight wins; the pair
    is joined when that weight is at least ``min_agreement`` of the pair's total and exceeds
    the weight of the other offsets by ``min_weight``. Returns ``(a, b, k, support, total)``
    arrays for the joined pairs, strongest first, and the number of pairs left apart."""
    if lo.size == 0:
        z = np.zeros(0, np.int64)
        return z, z, z, z, z, 0
    pair, pair_idx = np.unique(lo * (2**31) + hi, return_inverse=True)
    kk = off - off.min()
    width = int(kk.max()) + 1
    key, inv = np.unique(pair_idx.astype(np.int64) * width + kk, return_inverse=True)
    w = np.bincount(inv, weights=weight, minlength=key.size).astype(np.int64)
    p_of_key = key // width
    total = np.bincount(p_of_key, weights=w, minlength=pair.size).astype(np.int64)
    order = np.lexsort((-w, p_of_key))
    first = order[np.r_[True, p_of_key[order][1:] != p_of_key[order][:-1]]]
    p = p_of_key[first]
    support = w[first]
    k = key[first] % width + off.min()
    ok = (2 * support - total[p] >= min_weight) & (support >= min_agreement * total[p])
    sel = np.flatnonzero(ok)
    sel = sel[np.argsort(-support[sel], kind="stable")]
    return (pair[p[sel]] // 2**31, pair[p[sel]] % 2**31, k[sel], support[sel], total[p[sel]],
            int((~ok).sum()))


@njit(cache=True)
def _assemble(phase, quality, strong, bridge, parent, cycles, best):
    """Unwrapped phase (float32, NaN where not unwrapped) and root of each pixel's component
    (int32, -1 where not unwrapped), shifted so that each component's most coherent pixel keeps
    its wrapped value. Bridge pixels are kept when their component holds coherent pixels.
    ``best``: scratch, one int32 per pixel."""
    rows, cols = phase.shape
    n = rows * cols
    sflat = strong.ravel()
    bflat = bridge.ravel()
    qflat = quality.ravel()
    best[:] = -1
    for p in range(n):
        if not (sflat[p] or bflat[p]):
            continue
        root, k = _find_cycles(parent, cycles, p)
        if sflat[p] and (best[root] < 0 or qflat[p] > qflat[best[root]]):
            best[root] = p
    unw = np.full((rows, cols), np.nan, np.float32)
    flat = phase.ravel()
    uflat = unw.ravel()
    for p in range(n):
        if not (sflat[p] or bflat[p]):
            parent[p] = -1
            continue
        root = parent[p]  # compressed: the root itself, or a pixel whose root is root
        k = cycles[p] if root != p else 0
        if best[root] < 0:
            parent[p] = -1
            continue
        ref = best[root]
        kr = cycles[ref] if ref != root else 0
        uflat[p] = np.float32(np.float64(flat[p]) + 2.0 * np.pi * (k - kr))
    return unw, parent.reshape(rows, cols)


@njit(cache=True)
def _median_cycles(unw, labels, half, passes):
    """Congruent clean-up: a pixel whose value differs by a whole number of cycles from the
    median of the unwrapped pixels of its component in a ``(2 half + 1)^2`` window (at least
    half of the window in the component) is moved by those cycles; the phase stays congruent
    with the wrapped input. Each pass reads the previous one (Jacobi); a pass only looks again
    at the pixels whose window changed in the pass before (the others would decide the same).

    The median is taken over the whole cycles of the window's pixels relative to the centre,
    ``rint((u - u_centre) / 2 pi)`` (counted, no sort): the rounding is monotonic, so this is
    the cycles of the median itself (for an even count, of the mean of the two middle values)."""
    rows, cols = unw.shape
    two_pi = 2.0 * np.pi
    side = 2 * half + 1
    span = 8  # cycles counted apart from the centre; farther ones count as +-span
    hist = np.zeros(2 * span + 1, np.int64)
    look = np.ones((rows, cols), np.bool_)
    for _ in range(passes):
        prev = unw.copy()
        changed = 0
        again = np.zeros((rows, cols), np.bool_)
        for r in range(rows):
            for c in range(cols):
                lab = labels[r, c]
                if lab == 0 or not look[r, c]:
                    continue
                hist[:] = 0
                n = 0
                pc = np.float64(prev[r, c])
                for rr in range(max(0, r - half), min(rows, r + half + 1)):
                    for cc in range(max(0, c - half), min(cols, c + half + 1)):
                        if labels[rr, cc] == lab:
                            m = int(np.rint((np.float64(prev[rr, cc]) - pc) / two_pi))
                            m = min(max(m, -span), span)
                            hist[m + span] += 1
                            n += 1
                if 2 * n < side * side:
                    continue
                lo_rank, hi_rank = (n - 1) // 2, n // 2
                seen = 0
                lo_val = hi_val = 0
                for j in range(2 * span + 1):
                    if seen <= lo_rank < seen + hist[j]:
                        lo_val = j - span
                    if seen <= hi_rank < seen + hist[j]:
                        hi_val = j - span
                        break
                    seen += hist[j]
                k = np.rint(0.5 * (lo_val + hi_val))
                if k != 0:
                    unw[r, c] = prev[r, c] + two_pi * k
                    changed += 1
                    for rr in range(max(0, r - half), min(rows, r + half + 1)):
                        for cc in range(max(0, c - half), min(cols, c + half + 1)):
                            again[rr, cc] = True
        if changed == 0:
            break
        look = again
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

    Pixels with ``coherence >= min_coherence`` (and ``mask``) are unwrapped, and the bridge
    pixels down to half of it (module doc); the edge order uses ``min(coherence, pseudo-coherence,
    1 / (1 + coherence**2 D), ambiguity cap)`` when ``phase_quality`` (the fringes' own
    consistency catches noise the coherence does not predict), else the coherence alone.
    The whole interferogram is held in memory; :mod:`algorithms.unwrap.unwrap_tiles`
    unwraps big rasters in overlapping tiles.
    """
    phase = np.asarray(phase, dtype=np.float32)
    if phase.size >= 2**30:
        raise GeohazardError(f"the built-in unwrapper holds at most 2**30 pixels, got {phase.shape}: "
                             "use the tiled unwrapping (algorithms.unwrap.unwrap_tiles) or cut the interferogram")
    unw, roots = spanning_tree_unwrap(phase, coherence, mask, min_coherence=min_coherence,
                                      phase_quality=phase_quality)
    labels = _label_components(roots, min_component_size)
    del roots
    unw[labels == 0] = np.nan
    if MEDIAN_PASSES > 0:
        _median_cycles(unw, labels, MEDIAN_HALF_WINDOW, MEDIAN_PASSES)
    return UnwrapResult(unw, labels)


def spanning_tree_unwrap(phase: np.ndarray, coherence: np.ndarray, mask=None, *, min_coherence: float = 0.3,
                         phase_quality: bool = True, stats=None):
    """The spanning-tree stage of :func:`unwrap_builtin`: ``(unwrapped float32, roots int32)``.

    ``roots`` is the root of each pixel's connected component (-1 where not unwrapped), before
    any size filter or clean-up. ``stats`` (a dict, optional) receives ``joins_rejected``
    (pairs of large sets whose edges did not agree on one offset, left apart) and
    ``join_conflicts`` (votes contradicting the joins already made)."""
    phase = np.asarray(phase, dtype=np.float32)
    coh = np.nan_to_num(np.clip(np.asarray(coherence, dtype=np.float32), 0.0, 1.0), nan=0.0)
    data = np.isfinite(phase)
    if mask is not None:
        data &= np.asarray(mask, dtype=bool)
    valid = data & (coh >= float(min_coherence))
    bridge = _bridge_pixels(phase, coh, data, valid, float(min_coherence))
    del data
    ph = np.where(valid, phase, np.float32(np.nan))
    bridge_coh = coh[bridge] if bridge is not None else None
    quality = coh  # lowered in place below; the bridge pixels get their coherence back
    del coh
    if phase_quality:
        pq, grad_down, grad_right, cap_down, cap_right = phase_statistics(ph, QUALITY_WINDOW)
        np.minimum(quality, np.nan_to_num(pq, nan=0.0), out=quality)
        del pq
    else:
        grad_down = grad_right = np.full(phase.shape, -128, np.int8)
        cap_down = cap_right = np.full(phase.shape, 255, np.uint8)
    penalty = _edge_penalty(ph)
    ph[~valid] = 0.0
    if phase_quality:
        _second_difference_quality(ph, np.asarray(coherence, dtype=np.float32), quality, SECOND_DIFFERENCE_WEIGHT)
    if bridge is not None:
        ph[bridge] = phase[bridge]
        quality[bridge] = bridge_coh
        del bridge_coh
    else:
        bridge = np.zeros(phase.shape, bool)
    parent, cycles, kept, n_strong = _grow_components(ph, quality, valid, bridge, penalty, grad_down, grad_right,
                                                      cap_down, cap_right, _LEVELS, RESIDUE_PENALTY,
                                                      LARGE_SET_PIXELS)
    lo, hi, off, weight = _set_votes(ph, quality, valid, penalty, grad_down, grad_right, cap_down, cap_right, parent,
                                     cycles, kept, _LEVELS, RESIDUE_PENALTY)
    del kept, grad_down, grad_right, penalty, cap_down, cap_right
    a, b, k, _, _, rejected = vote_offsets(lo, hi, off, weight, min_weight=JOIN_MIN_WEIGHT * (_LEVELS - 1),
                                           min_agreement=JOIN_MIN_AGREEMENT)
    del lo, hi, off, weight
    conflicts = 0
    if a.size:
        nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        root, total, conflicts = _join_sets(nodes.size, n_strong[nodes].astype(np.int64), inv[:a.size],
                                            inv[a.size:], k)
        moved = root != np.arange(nodes.size)  # each joined set's root goes under its component's root
        parent[nodes[moved]] = nodes[root[moved]]
        cycles[nodes[moved]] = total[moved]
    if stats is not None:
        stats["joins_rejected"] = int(rejected)
        stats["join_conflicts"] = int(conflicts)
    return _assemble(ph, quality, valid, bridge, parent, cycles, n_strong)


def _bridge_pixels(phase, coh, data, valid, min_coherence):
    """Pixels below the coherence threshold that may carry the unwrapping between coherent
    patches: coherence at least :data:`BRIDGE_COHERENCE_FACTOR` of the threshold and fringes
    at least as consistent as the threshold asks (pseudo-coherence over the pixels with data
    at or above ``min_coherence``). None when there is none."""
    if min_coherence <= 0:
        return None
    bridge = data & ~valid & (coh >= BRIDGE_COHERENCE_FACTOR * min_coherence)
    if not bridge.any():
        return None
    pq = estimate_quality(np.where(valid | bridge, phase, np.float32(np.nan)), QUALITY_WINDOW)
    bridge &= pq >= min_coherence
    return bridge if bridge.any() else None


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
def check_options(shape, *, min_coherence: float, min_component_size: int) -> None:
    """Refuse options no interferogram of ``shape`` can meet (they would leave every pixel out).

    Raises
    ------
    GeohazardError
        ``min_coherence`` not a number in 0-1, or ``min_component_size`` not a whole number
        of pixels or larger than the raster (its value and the raster's size named)."""
    mc = float(min_coherence)
    if not 0.0 <= mc <= 1.0:  # NaN fails too
        raise GeohazardError(f"min_coherence must be in 0-1, got {min_coherence!r}")
    size = float(min_component_size)
    if not (np.isfinite(size) and size == np.floor(size) and size >= 0):
        raise GeohazardError(f"min_component_size must be a whole number of pixels >= 0, got {min_component_size!r}")
    rows, cols = (int(x) for x in shape[:2])
    if size > rows * cols:
        raise GeohazardError(
            f"min_component_size is {int(size)} pixels, more than the whole interferogram ({rows} x {cols} = "
            f"{rows * cols} pixels): no component could be kept and every pixel would be left out")


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
    check_options(np.shape(data), min_coherence=min_coherence, min_component_size=min_component_size)
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
