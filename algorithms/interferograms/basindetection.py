"""Subsidence basins in wrapped interferograms, found by a learned detector; anomalies outlined on a phase-gradient
map.

**Wrapped phase (the learned detector).** The wrapped phase gradient g is taken at full resolution (the mean of
the wrapped differences to the two neighbours: right up to pi rad per pixel) and averaged 2 x 2 into a pyramid
(level k: 2^k x 2^k pixels, in rad per level pixel): averaging the gradients, not the phasors, keeps the fringes of
a basin's flanks at the level of the basin's size, where complex means of the phasors would wash them out as if
the ground were decorrelated. At every level, windows of radius R = 4 and 6 level pixels (plus a ring out to 1.6
R) sit on a lattice of 2 level pixels anchored at the raster's origin. In each window g gives rotation-invariant
features (:data:`FEATURES`): fringes across the radius (mean |g| R / 2 pi), how radial the gradient is
(|mean g.r| / mean |g|: 1 for a bowl, 0 for a ramp), its curl (tangential share), the depth it adds up to, the
anisotropy of the gradient's structure tensor (1 for a ramp), the roughness of the phase (wrapped second
differences: decorrelation), the contrast with the ring around, the sign consistency of the radial gradient, the
inner half's depth, the coherence of 3 x 3 phasors and the radial gradients of eight sectors. A small neural
network (scikit-learn's MLPClassifier, two ReLU layers, trained on simulated frames by
``models/detector/train_basin_detector.py``; :mod:`.basin_sim` is the recipe) turns the standardised features
into a probability. Windows above the model's threshold are kept after non-maximum suppression (highest score first;
a window whose centre lies within the larger radius of a kept one is dropped); kept windows whose circles overlap
are joined (:func:`merge`: one detection per basin, outlined by the convex hull of their circles), the others
outlined as circles of the window's radius.

The model is plain numbers (a JSON file: feature means and scales, the layers' weights, the threshold, the
scikit-learn version and the command that trained it): :func:`score` evaluates it with numpy, the same on any
scikit-learn version, without pickle.

Every sum runs along the contiguous last axis of one window's values, so a window's score does not depend on the
block it was computed in: the same detections for any block size.

**Phase-gradient or other positive maps (classical).** Pixels above the median + k x 1.4826 MAD of the map
(robust z-score, k = 3 by default) are joined into 8-connected components; components of at least the minimum
area are outlined by the convex hull of their pixels, scored by the share of the map's valid pixels below the
component's median value.

References: Knothe S. (1957) and the probability-integral method of the mining-subsidence studies (e.g. Yang Z. et
al. 2018, doi:10.3390/rs10030372); HOG + SVM and YOLO basin detectors of the same field (e.g. Wang Y. et al. 2023,
doi:10.3390/rs15010142); phase-gradient maps of landslides, Fu Y. et al. (2022) doi:10.3389/fenvs.2022.963322.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeohazardError
from ..unionfind import DisjointSets

#: Window radii at each pyramid level, in level pixels.
RADII = (4, 6)
#: The ring around a window reaches this many radii.
RING = 1.6
#: Candidate centres every so many level pixels (a lattice anchored at the raster's origin).
STRIDE = 2
#: Most pyramid levels (radii up to 6 x 2^5 = 192 pixels).
MAX_LEVEL = 5
#: A window is scored when at least this share of its disk has a phase gradient.
MIN_VALID = 0.6
#: Two detections whose centres are closer than this times the larger radius are one.
NMS_DISTANCE = 1.0
#: After the suppression, detections whose centres are closer than this times the sum of their radii (circles that
#: overlap) are joined into one (the fragments of an elongated, lobed or asymmetric basin); the shipped model's
#: value is in its JSON (``merge``), chosen with its threshold on the training simulator's frames.
MERGE = 1.0
#: The features of a window, in the order of the model's inputs.
FEATURES = ("fringes", "radial", "tangential", "depth", "anisotropy", "roughness", "contrast", "ring_radial",
            "inner_depth", "radial_share", "consistency", "coherence", "valid", "sector_min", "sector_spread")
#: Angular sectors of a window whose radial gradients are compared (a centred bowl has the same in every one).
SECTORS = 8
#: Windows gathered at once (bounds the work arrays: n x window pixels x 8 bytes each).
CHUNK = 2048


@dataclass(frozen=True)
class Detection:
    """A detected basin: centre (row, col) in pixel-edge coordinates of the full raster (row 0.5 is the centre of
    the first row), radius in pixels, score (probability 0-1), pyramid level."""

    row: float
    col: float
    radius_px: float
    score: float
    level: int
    #: The windows joined into this detection, ``((row, col, radius_px), ...)`` (best first); empty for one window.
    members: tuple = ()


# ------------------------------------------------------------------------------------------------- the model
def mlp_to_dict(classifier, mean, scale, *, threshold: float, info: dict) -> dict:
    """A fitted ``MLPClassifier`` (binary, ReLU hidden layers, logistic output) and its feature scaling as plain
    numbers (:func:`score` evaluates them)."""
    if getattr(classifier, "activation", "relu") != "relu" or getattr(classifier, "out_activation_", "") != "logistic":
        raise GeohazardError("the detector must be a binary MLPClassifier with ReLU hidden layers")
    return {"features": list(FEATURES), "mean": [float(v) for v in mean], "scale": [float(v) for v in scale],
            "weights": [np.asarray(w, dtype=np.float64).tolist() for w in classifier.coefs_],
            "biases": [np.asarray(b, dtype=np.float64).tolist() for b in classifier.intercepts_],
            "threshold": float(threshold), **info}


def check_model(model: dict, name: str = "detector model") -> dict:
    """The model's arrays as numpy (float64), checked against :data:`FEATURES`."""
    if list(model.get("features", [])) != list(FEATURES):
        raise GeohazardError(f"{name}: its features {model.get('features')} are not this detector's {list(FEATURES)}")
    out = dict(model)
    out["mean"] = np.asarray(model["mean"], dtype=np.float64)
    out["scale"] = np.asarray(model["scale"], dtype=np.float64)
    out["weights"] = [np.asarray(w, dtype=np.float64) for w in model["weights"]]
    out["biases"] = [np.asarray(b, dtype=np.float64) for b in model["biases"]]
    if out["weights"][0].shape[0] != len(FEATURES) or out["weights"][-1].shape[1] != 1:
        raise GeohazardError(f"{name}: its layers do not map {len(FEATURES)} features to one probability")
    return out


def _dense(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    # the inputs added one after the other: each row's result is independent of how many rows come with it (a BLAS
    # matrix product, or numpy's reduction over a middle axis, picks its order by the batch's shape)
    out = np.repeat(b[None, :], x.shape[0], axis=0)
    for k in range(x.shape[1]):
        out += np.ascontiguousarray(x[:, k])[:, None] * w[k][None, :]
    return out


def score(features: np.ndarray, model: dict) -> np.ndarray:
    """Probability (0-1) that each row of ``features`` (n, len(FEATURES)) is a basin window."""
    x = (np.asarray(features, dtype=np.float64) - model["mean"]) / model["scale"]
    n_layers = len(model["weights"])
    for i, (w, b) in enumerate(zip(model["weights"], model["biases"])):
        x = _dense(x, w, b)
        if i < n_layers - 1:
            x = np.maximum(x, 0.0)
    z = np.clip(x[:, 0], -60.0, 60.0)
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------------------------------------- the pyramid
def n_levels(shape, max_level: int = MAX_LEVEL) -> int:
    """Pyramid levels used for a raster of ``shape``: the largest window (6 x 2^level px) at most half its larger
    side, at most ``max_level``."""
    side = max(int(shape[0]), int(shape[1]))
    level = 0
    while level < max_level and max(RADII) * 2 ** (level + 1) <= side / 2:
        level += 1
    return level


def halo_px(levels: int) -> int:
    """Rows of context a block needs (the reach of the top level's rings), a multiple of 2^(levels + 1)."""
    unit = 2 ** (levels + 1)
    reach = (math.ceil(RING * max(RADII)) + 2) * 2 ** levels
    return int(math.ceil(reach / unit) * unit)


def phasors(phase: np.ndarray) -> np.ndarray:
    """exp(i phase) of a wrapped phase or a complex interferogram (complex128; 0 where no data)."""
    a = np.asarray(phase)
    if np.iscomplexobj(a):
        mag = np.abs(a)
        ok = np.isfinite(a) & (mag > 0)
        return np.where(ok, a / np.where(ok, mag, 1.0), 0.0).astype(np.complex128)
    ok = np.isfinite(a)
    return np.where(ok, np.exp(1j * np.where(ok, a, 0.0)), 0.0).astype(np.complex128)


def _block_sum(a: np.ndarray) -> np.ndarray:
    return a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]


def gradient_pyramid(z: np.ndarray, levels: int) -> list:
    """``[(gx, gy, roughness, coherence)]`` of each level k: the full-resolution wrapped phase gradients (rad per
    pixel, :func:`gradients`) averaged over 2^k x 2^k pixels and scaled to rad per level pixel, the mean roughness,
    and the mean coherence of 3 x 3 phasors (NaN where fewer than half the pixels have a value). Averaging the
    gradients, not the phasors, keeps fringes denser than a level's pixel: a basin's flanks stay radial at the level
    of its size. ``z``'s sides are multiples of 2^levels."""
    unit = np.asarray(z, dtype=np.complex128)
    unit = np.where(unit != 0, unit, np.nan + 0j)
    gx, gy, rough = gradients(unit)
    # 3 x 3 coherence: the nine neighbours added in a fixed order (no running sums tied to the array's start)
    zz = np.where(np.isfinite(unit), unit, 0.0)
    acc = np.zeros(zz.shape, dtype=np.complex128)
    cnt = np.zeros(zz.shape)
    valid = np.isfinite(unit).astype(np.float64)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            acc[1:-1, 1:-1] += zz[1 + dr:zz.shape[0] - 1 + dr, 1 + dc:zz.shape[1] - 1 + dc]
            cnt[1:-1, 1:-1] += valid[1 + dr:zz.shape[0] - 1 + dr, 1 + dc:zz.shape[1] - 1 + dc]
    coh = np.where(np.isfinite(unit) & (cnt > 0), np.abs(acc) / np.maximum(cnt, 1.0), np.nan)
    fields = [gx, gy, rough, coh]
    ok = [np.isfinite(f) for f in fields]
    sums = [np.where(o, f, 0.0) for f, o in zip(fields, ok)]
    counts = [o.astype(np.float64) for o in ok]
    out = []
    for k in range(levels + 1):
        if k:
            sums = [_block_sum(v) for v in sums]
            counts = [_block_sum(n) for n in counts]
        level = []
        for i, (v, n) in enumerate(zip(sums, counts)):
            mean = np.where(n >= 0.5 * 4 ** k, v / np.maximum(n, 1.0), np.nan)
            level.append(mean * 2 ** k if i < 2 else mean)
        out.append(tuple(level))
    return out


def gradients(unit: np.ndarray) -> tuple:
    """Column and row phase gradients (rad per pixel, the mean of the wrapped differences to the two neighbours),
    the roughness (mean
    |wrapped second difference| of both directions) of one level; NaN at the edges and next to no-data."""
    gx = np.full(unit.shape, np.nan)
    gy = np.full(unit.shape, np.nan)
    r = np.full(unit.shape, np.nan)
    # contiguous copies: numpy's SIMD loops may round complex products and angles of strided operands otherwise
    # (docs/architecture.md, "Across CPUs"), which would tie a window's value to its block's width
    c_ = np.ascontiguousarray
    a, c, b = c_(unit[:, :-2]), c_(unit[:, 1:-1]), c_(unit[:, 2:])
    # the mean of the two one-pixel differences: right up to pi rad per pixel (a two-pixel difference wraps at pi/2)
    gx[:, 1:-1] = 0.5 * (np.angle(c_(b * np.conj(c))) + np.angle(c_(c * np.conj(a))))
    rx = np.abs(np.angle(c_(b * np.conj(c) * np.conj(c) * a)))
    a, c, b = unit[:-2, :], unit[1:-1, :], unit[2:, :]
    gy[1:-1, :] = 0.5 * (np.angle(c_(b * np.conj(c))) + np.angle(c_(c * np.conj(a))))
    ry = np.abs(np.angle(c_(b * np.conj(c) * np.conj(c) * a)))
    r[1:-1, 1:-1] = 0.5 * (rx[1:-1, :] + ry[:, 1:-1])
    bad = ~np.isfinite(unit)
    for arr in (gx, gy):
        arr[bad] = np.nan  # np.angle of NaN phasors is NaN already; no-data pixels themselves too
    return gx, gy, r


# ------------------------------------------------------------------------------------------------- the windows
def _offsets(radius: int):
    reach = int(math.ceil(RING * radius))
    dy, dx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    rho = np.hypot(dy, dx)
    keep = (rho > 0) & (rho <= RING * radius)
    dy, dx, rho = dy[keep], dx[keep], rho[keep]
    sector = np.floor((np.arctan2(dy, dx) + math.pi) / (2 * math.pi / SECTORS)).astype(int) % SECTORS
    return dy, dx, dx / rho, dy / rho, rho <= radius, rho > radius, rho <= radius / 2.0, sector


def _mean(values, mask):
    n = mask.sum(axis=1)
    return np.where(mask, values, 0.0).sum(axis=1) / np.maximum(n, 1), n


def window_features(fields: tuple, rows: np.ndarray, cols: np.ndarray, radius: int) -> np.ndarray:
    """Features (:data:`FEATURES`) of the windows of ``radius`` (level px) centred at ``rows``, ``cols`` of one
    level's ``fields = (gx, gy, roughness, coherence)`` (padded so that every window lies inside)."""
    gx, gy, rough, coh = fields
    dy, dx, ux, uy, disk, ring, inner, sector = _offsets(radius)
    sectors = [disk & (sector == k) for k in range(SECTORS)]
    out = np.empty((len(rows), len(FEATURES)))
    two_pi = 2.0 * math.pi
    for s in range(0, len(rows), CHUNK):
        rr = rows[s:s + CHUNK, None] + dy[None, :]
        cc = cols[s:s + CHUNK, None] + dx[None, :]
        x, y = gx[rr, cc], gy[rr, cc]
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
        mag = np.hypot(x, y)
        gr = x * ux + y * uy
        gt = -x * uy + y * ux
        okd, okr, oki = ok & disk, ok & ring, ok & inner
        m_mag, n_disk = _mean(mag, okd)
        m_gr, _ = _mean(gr, okd)
        m_gt, _ = _mean(gt, okd)
        sign = np.where(m_gr >= 0, 1.0, -1.0)
        eps = 1e-9
        jxx, _ = _mean(x * x, okd)
        jyy, _ = _mean(y * y, okd)
        jxy, _ = _mean(x * y, okd)
        ring_mag, _ = _mean(mag, okr)
        ring_gr, _ = _mean(gr, okr)
        inner_gr, _ = _mean(gr, oki)
        abs_gr, _ = _mean(np.abs(gr), okd)
        agree, _ = _mean(np.where(gr * sign[:, None] > 0, mag, 0.0), okd)
        r = rough[rr, cc]
        okr2 = okd & np.isfinite(r)
        m_rough, _ = _mean(np.where(okr2, r, 0.0), okr2)
        c = coh[rr, cc]
        okc = disk[None, :] & np.isfinite(c)
        m_coh, _ = _mean(np.where(okc, c, 0.0), okc)
        # the radial gradient of each sector: all alike for a bowl centred in the window, one-sided off its centre
        per_sector = np.stack([_mean(gr, ok & m)[0] for m in sectors], axis=1) * sign[:, None]
        f = out[s:s + CHUNK]
        f[:, 13] = per_sector.min(axis=1) / (m_mag + eps)
        f[:, 14] = (per_sector.max(axis=1) - per_sector.min(axis=1)) / (m_mag + eps)
        f[:, 0] = m_mag * radius / two_pi
        f[:, 1] = np.abs(m_gr) / (m_mag + eps)
        f[:, 2] = np.abs(m_gt) / (m_mag + eps)
        f[:, 3] = np.abs(m_gr) * radius / two_pi
        f[:, 4] = np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / (jxx + jyy + eps)
        f[:, 5] = m_rough
        f[:, 6] = ring_mag / (m_mag + eps)
        f[:, 7] = ring_gr * sign / (ring_mag + eps)
        f[:, 8] = inner_gr * sign * radius / two_pi
        f[:, 9] = abs_gr / (m_mag + eps)
        f[:, 10] = agree / (m_mag + eps)
        f[:, 11] = m_coh
        f[:, 12] = n_disk / disk.sum()
    return out


def frame_windows(z: np.ndarray, *, levels: int, rows0: int, row_range: tuple, col_range: tuple,
                  min_radius_px: float = 0.0, max_radius_px: float = math.inf) -> tuple:
    """Features of every window of a padded frame of phasors.

    Parameters
    ----------
    z : ndarray of complex
        Phasors (:func:`phasors`), 0 where no data, padded so that its sides are multiples of 2^(levels + 1) and
        every window of the centres asked for lies inside; its first row is row ``rows0`` of the raster (a multiple
        of 2^(levels + 1)) and its first column column ``-pad`` (the raster's columns start at a multiple of
        2^(levels + 1) too).
    levels : int
        Top pyramid level.
    rows0 : int
        The raster row of ``z``'s first row.
    row_range : (int, int)
        Raster rows whose windows are wanted (a window belongs to the block holding its centre).
    col_range : (int, int)
        Columns of ``z`` that are the raster's (windows centred outside are left out).
    min_radius_px, max_radius_px : float
        Window radii (full-resolution pixels) to score.

    Returns
    -------
    (features, level, radius_px, row, col) : arrays, one entry per window whose disk has enough data; ``row`` and
    ``col`` in ``z``'s pixel-edge coordinates.
    """
    feats, lev, rad, rws, cls = [], [], [], [], []
    for k, fields in enumerate(gradient_pyramid(z, levels)):
        scale = 2 ** k
        shape = fields[0].shape
        for radius in RADII:
            rp = radius * scale
            if rp < min_radius_px or rp > max_radius_px:
                continue
            reach = int(math.ceil(RING * radius))
            lo = max((row_range[0] - rows0) // scale - 1, reach)
            hi = min((row_range[1] - rows0) // scale + 1, shape[0] - reach)
            ii = np.arange(lo + (lo % STRIDE), hi, STRIDE)
            ii = ii[((ii + 0.5) * scale + rows0 >= row_range[0]) & ((ii + 0.5) * scale + rows0 < row_range[1])]
            jj = np.arange(reach + (reach % STRIDE), shape[1] - reach, STRIDE)
            jj = jj[((jj + 0.5) * scale >= col_range[0]) & ((jj + 0.5) * scale < col_range[1])]
            if not len(ii) or not len(jj):
                continue
            gi, gj = np.meshgrid(ii, jj, indexing="ij")
            gi, gj = gi.ravel(), gj.ravel()
            f = window_features(fields, gi, gj, radius)
            keep = f[:, FEATURES.index("valid")] >= MIN_VALID
            feats.append(f[keep])
            lev.append(np.full(int(keep.sum()), k))
            rad.append(np.full(int(keep.sum()), float(rp)))
            rws.append((gi[keep] + 0.5) * scale)
            cls.append((gj[keep] + 0.5) * scale)
    if not feats:
        return np.empty((0, len(FEATURES))), *(np.empty(0) for _ in range(4))
    return tuple(np.concatenate(a) for a in (feats, lev, rad, rws, cls))


def suppress(scores, rows, cols, radii, levels, *, threshold: float) -> list:
    """Non-maximum suppression of the windows scoring at least ``threshold``: highest score first (ties by level,
    radius, row, column), a window dropped when its centre is within :data:`NMS_DISTANCE` x the larger radius of a
    window kept. Returns :class:`Detection` s."""
    scores = np.asarray(scores, dtype=np.float64)
    idx = np.flatnonzero(scores >= threshold)
    order = idx[np.lexsort((np.asarray(cols)[idx], np.asarray(rows)[idx], np.asarray(radii)[idx],
                            np.asarray(levels)[idx], -scores[idx]))]
    kept: list = []
    kr, kc, krad = [], [], []
    for i in order:
        r, c, rad = float(rows[i]), float(cols[i]), float(radii[i])
        if kr:
            d = np.hypot(np.asarray(kr) - r, np.asarray(kc) - c)
            if np.any(d < NMS_DISTANCE * np.maximum(np.asarray(krad), rad)):
                continue
        kept.append(Detection(r, c, rad, float(scores[i]), int(levels[i])))
        kr.append(r)
        kc.append(c)
        krad.append(rad)
    return kept


def pad_frame(phase: np.ndarray, *, levels: int, halo_top: int, halo_bottom: int) -> tuple:
    """Phasors of a block's rows padded to the lattice: ``halo_top`` / ``halo_bottom`` rows of no data added where
    the block's read stopped at the raster's edge, columns padded by :func:`halo_px` on the left and to a multiple
    of 2^(levels + 1) plus the halo on the right. Returns ``(z, column pad)``."""
    unit = 2 ** (levels + 1)
    pad = halo_px(levels)
    z = phasors(phase)
    rows, cols = z.shape
    total_rows = halo_top + rows + halo_bottom
    extra_rows = (-total_rows) % unit
    right = pad + (-cols) % unit
    out = np.zeros((total_rows + extra_rows, pad + cols + right), dtype=np.complex128)
    out[halo_top:halo_top + rows, pad:pad + cols] = z
    return out, pad


def detect_block(block, inputs, *, model: dict, levels: int, min_radius_px: float = 0.0, max_radius_px=math.inf,
                 fringe_mm: float = 0.0) -> dict:
    """The candidate windows of one row block (engine block function): the windows centred in the block's rows,
    with the score of ``model`` (:func:`check_model`), for the non-maximum suppression over the whole raster.

    ``inputs["phase"]``: wrapped phase (rad), complex interferogram, or with ``fringe_mm`` > 0 a velocity (mm/yr)
    wrapped at ``fringe_mm`` per fringe. The block is read with :func:`halo_px` rows of halo (clipped at the edges);
    it may start at any row.
    Returns arrays ``score, row, col, radius, level`` (raster pixel-edge coordinates)."""
    raw = np.asarray(inputs["phase"])
    if raw.ndim == 3:
        raw = raw[0]
    if fringe_mm > 0:
        raw = 2.0 * math.pi * np.asarray(raw, dtype=np.float64) / fringe_mm
    # the array starts and ends on the pyramid's lattice (rows never read there are never in a window's reach)
    unit, halo = 2 ** (levels + 1), halo_px(levels)
    start = (block.row0 - halo) // unit * unit
    end = -(-(block.row1 + halo) // unit) * unit
    z, pad = pad_frame(raw, levels=levels, halo_top=block.read0 - start, halo_bottom=end - block.read1)
    rows0 = start
    f, lev, rad, rows, cols = frame_windows(z, levels=levels, rows0=rows0, row_range=(block.row0, block.row1),
                                            col_range=(pad, pad + raw.shape[1]), min_radius_px=min_radius_px,
                                            max_radius_px=max_radius_px)
    s = score(f, model) if len(f) else np.empty(0)
    return {"score": s, "row": rows + rows0, "col": cols - pad, "radius": rad, "level": lev}


def _hull(members) -> np.ndarray:
    """Convex hull (row, col vertices, closed, counter-clockwise on the map) of the circles ``members``."""
    from scipy.spatial import ConvexHull

    t = np.linspace(0.0, 2.0 * math.pi, 48, endpoint=False)
    pts = np.concatenate([np.column_stack([c + r_ * np.cos(t), -(r - r_ * np.sin(t))]) for r, c, r_ in members])
    hull = ConvexHull(pts)
    ring = pts[hull.vertices]  # counter-clockwise in (x = col, y = -row): on the map
    ring = np.vstack([ring, ring[:1]])
    return np.column_stack([-ring[:, 1], ring[:, 0]])


def merge(detections: list, *, factor: float = MERGE) -> list:
    """One detection per basin: detections whose centres are closer than ``factor`` x the sum of their radii are
    joined (single linkage, in the order given: best score first). A group keeps its best member's centre, score
    and level; its radius is that of a disk of the area of the members' convex hull; ``members`` lists them."""
    n = len(detections)
    sets = DisjointSets(n)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = detections[i], detections[j]
            if math.hypot(a.row - b.row, a.col - b.col) < factor * (a.radius_px + b.radius_px):
                sets.join(i, j)
    n_groups, label = sets.labels()
    groups: list = [[] for _ in range(n_groups)]
    for i in range(n):
        groups[label[i]].append(detections[i])
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        members = tuple((d.row, d.col, d.radius_px) for d in g)
        ring = _hull(members)
        x, y = ring[:, 1], -ring[:, 0]
        area = 0.5 * abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))
        best = g[0]
        out.append(Detection(best.row, best.col, math.sqrt(area / math.pi), best.score, best.level, members))
    return out


def detect_frame(phase: np.ndarray, model: dict, *, min_radius_px: float = 0.0, max_radius_px: float = math.inf,
                 levels=None, threshold=None) -> list:
    """Detections in one whole frame (wrapped phase or complex): the block function over one block, the
    suppression, then the fragments of one basin joined (:func:`merge`). ``threshold`` defaults to the model's."""
    from types import SimpleNamespace

    phase = np.asarray(phase)
    lv = n_levels(phase.shape) if levels is None else int(levels)
    blk = SimpleNamespace(row0=0, row1=phase.shape[0], read0=0, read1=phase.shape[0])
    out = detect_block(blk, {"phase": phase}, model=model, levels=lv, min_radius_px=min_radius_px,
                       max_radius_px=max_radius_px)
    kept = suppress(out["score"], out["row"], out["col"], out["radius"], out["level"],
                    threshold=model["threshold"] if threshold is None else threshold)
    return merge(kept, factor=model.get("merge", MERGE))


def match(detections: list, truth: list) -> tuple:
    """(true positives, false positives, missed) of detections against true basins ``(row, col, radius)``: a
    detection is true when its centre lies within half the basin's radius (at least 3 px) of a basin not matched
    yet (best scores first); the others, bait included, are false."""
    used = set()
    tp = fp = 0
    for d in sorted(detections, key=lambda d: -d.score):
        best, best_d = None, math.inf
        for i, (r, c, rad) in enumerate(truth):
            dist = math.hypot(d.row - r, d.col - c)
            if i not in used and dist <= max(0.5 * rad, 3.0) and dist < best_d:
                best, best_d = i, dist
        if best is None:
            fp += 1
        else:
            used.add(best)
            tp += 1
    return tp, fp, len(truth) - len(used)


def circle(det: Detection, n: int = 48) -> np.ndarray:
    """The outline of a detection: ``n + 1`` vertices (row, col), closed, counter-clockwise on the map: the circle of
    its radius, or for joined windows the convex hull of their circles."""
    if len(det.members) > 1:
        return _hull(det.members)
    t = np.linspace(0.0, 2.0 * math.pi, n + 1)
    t[-1] = 0.0
    return np.column_stack([det.row - det.radius_px * np.sin(t), det.col + det.radius_px * np.cos(t)])


# ------------------------------------------------------------------------------------------------- gradient maps
def anomaly_outlines(values: np.ndarray, *, min_pixels: int, k: float = 3.0) -> list:
    """Components of a positive map (phase-gradient magnitude) above median + k x 1.4826 MAD.

    Returns ``[(outline (m, 2) of (row, col) vertices, score, pixels)]``, largest score first: the outline is the
    convex hull of the component's pixel corners, the score the share of the map's valid pixels below the
    component's median value."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull

    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        raise GeohazardError("the map has no valid pixel")
    data = np.sort(v[ok])
    med = float(np.median(data))
    mad = 1.4826 * float(np.median(np.abs(data - med)))
    if not mad > 0:
        raise GeohazardError("the map is constant over more than half its pixels: no anomaly can stand out")
    labels, n = ndimage.label(ok & (v > med + k * mad), structure=np.ones((3, 3)))
    out = []
    for lab in range(1, n + 1):
        rr, cc = np.nonzero(labels == lab)
        if len(rr) < max(int(min_pixels), 1):
            continue
        corners = np.concatenate([np.column_stack([rr + dr, cc + dc]) for dr in (0, 1) for dc in (0, 1)])
        hull = ConvexHull(corners.astype(np.float64))
        ring = corners[hull.vertices].astype(np.float64)
        ring = np.vstack([ring, ring[:1]])
        share = float(np.searchsorted(data, np.median(v[rr, cc]), side="left")) / len(data)
        out.append((ring, share, len(rr)))
    out.sort(key=lambda t: (-t[1], -t[2], t[0][0, 0], t[0][0, 1]))
    return out
