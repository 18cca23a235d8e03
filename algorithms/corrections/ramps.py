"""Ramp removal from unwrapped interferograms: linear or quadratic surfaces fitted on a mask.

Orbital errors, ionospheric gradients and long-wavelength atmosphere appear in an
interferogram as a smooth ramp. This module fits, for every interferogram, a surface

* linear:    ``r = c0 + c1 x + c2 y``
* quadratic: ``r = c0 + c1 x + c2 y + c3 x^2 + c4 y^2 + c5 x y``

by least squares on the pixels of a mask (stable area, coherent pixels) and removes it
everywhere, as MintPy's ``remove_ramp`` (``mintpy.objects.ramp.deramp``). Coordinates are
the pixel's column ``x`` and row ``y`` scaled to -1..1 over the grid (the fitted surface
does not depend on the scaling; the normal equations stay well conditioned).

**Per interferogram**: each interferogram keeps its own surface. **Per date**: the
coefficients of the interferograms are inverted on the network for one surface per date
(``c_ifg = c_secondary - c_reference``, first date 0, least squares), and each interferogram
loses the difference of its two dates' surfaces: only the part of the ramps that is
consistent across the network is removed (a deformation signal that looks like a ramp in
one interferogram only survives).

The work is split into two block passes for the engine (:mod:`algorithms.engine`):
:func:`ramp_normal_block` accumulates the normal equations of every interferogram over a
block (the writer adds them up), :func:`solve_ramps` solves them, :func:`ramp_apply_block`
subtracts the surfaces. Values stay in the input's unit (a ramp is linear in the data).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError

RAMP_KINDS = ("linear", "quadratic")
N_TERMS = {"linear": 3, "quadratic": 6}


class MaskTooSmallError(GeohazardError):
    """A mask with too few usable pixels to fit the requested surface."""


def _check_kind(kind: str) -> int:
    if kind not in N_TERMS:
        raise GeohazardError(f"ramp type must be one of {', '.join(RAMP_KINDS)}, got {kind!r}")
    return N_TERMS[kind]


def scaled_coordinates(rows: np.ndarray, cols: np.ndarray, shape: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel rows/columns scaled to -1..1 over a grid of ``shape`` = (n_rows, n_cols)."""
    h, w = int(shape[0]), int(shape[1])
    x = 2.0 * np.asarray(cols, np.float64) / max(w - 1, 1) - 1.0
    y = 2.0 * np.asarray(rows, np.float64) / max(h - 1, 1) - 1.0
    return x, y


def ramp_design(x: np.ndarray, y: np.ndarray, kind: str = "linear") -> np.ndarray:
    """Design matrix ``(n, k)`` of the surface ``kind`` at scaled coordinates ``x``, ``y`` (1-D)."""
    _check_kind(kind)
    cols = [np.ones_like(x), x, y]
    if kind == "quadratic":
        cols += [x * x, y * y, x * y]
    return np.stack(cols, axis=1)


def block_design(block, kind: str, start: int = 0, stop: Optional[int] = None) -> np.ndarray:
    """Design matrix of the block's core pixels ``start:stop`` (row-major over the block), ``(stop - start, k)``."""
    p = block.rows * block.n_cols
    stop = p if stop is None else min(int(stop), p)
    idx = np.arange(int(start), stop)
    x, y = scaled_coordinates(block.row0 + idx // block.n_cols, idx % block.n_cols, (block.n_rows_total, block.n_cols))
    return ramp_design(x, y, kind)


def usable_pixels(data: np.ndarray, *, mask: Optional[np.ndarray] = None, coherence: Optional[np.ndarray] = None,
                  coherence_threshold: float = 0.0) -> np.ndarray:
    """Pixels used in the fit, ``(M, rows, cols)`` bool: finite data, inside ``mask`` (non-zero, finite),
    coherence >= ``coherence_threshold`` where the coherence of the same interferogram is given."""
    ok = np.isfinite(data)
    if mask is not None:
        m = np.asarray(mask)
        ok &= (np.isfinite(m) & (m != 0))[None] if m.ndim == 2 else (np.isfinite(m) & (m != 0))
    if coherence is not None and coherence_threshold > 0:
        ok &= np.asarray(coherence) >= coherence_threshold
    return ok


#: Pixels per chunk of :func:`normal_equations` for many data vectors; with few, chunks hold up to
#: ``CHUNK * 32`` values of each buffer (~2 MB of float64: few Python steps, temporaries stay small).
CHUNK = 8192


def _chunk_pixels(m: int) -> int:
    return max(CHUNK, CHUNK * 32 // max(1, int(m)))
#: Exponents ``(i, j)`` of ``x^i y^j`` of each design term, in :func:`ramp_design`'s order.
TERM_POWERS = {"linear": ((0, 0), (1, 0), (0, 1)),
               "quadratic": ((0, 0), (1, 0), (0, 1), (2, 0), (0, 2), (1, 1))}


def _chunks(data: np.ndarray, use: np.ndarray, pixels: int):
    """``(start, stop, d0, w)`` over the last axis of ``data`` ``(M, p)`` in chunks of ``pixels``: float64 buffers
    (reused) of the data with 0 where ``use`` is False, and of ``use`` as 0/1."""
    m, p = data.shape
    c = max(1, min(int(pixels), p))
    d0 = np.empty((m, c))
    w = np.empty((m, c))
    for s in range(0, p, c):
        e = min(p, s + c)
        u = use[:, s:e]
        dc, wc = d0[:, :e - s], w[:, :e - s]
        dc.fill(0.0)
        np.copyto(dc, data[:, s:e], where=u)
        np.copyto(wc, u)
        yield s, e, dc, wc


def _finish(ata, atb, btb, use) -> dict:
    return {"ata": ata, "atb": atb, "n": np.count_nonzero(use, axis=1).astype(np.int64), "btb": btb}


def normal_equations(g, data: np.ndarray, use: np.ndarray) -> dict:
    """Normal equations of one design ``g`` ``(p, k)`` for ``M`` data vectors ``(M, p)`` with their own
    pixel selections ``use`` ``(M, p)``: ``ata (M, k, k)``, ``atb (M, k)``, ``n (M,)``, ``btb (M,)`` (float64).

    ``g`` may also be a callable ``g(start, stop) -> (stop - start, k)`` giving the design of the pixels
    ``start:stop`` (a design computed chunk by chunk is never held whole). The data (float32 or
    float64) are taken a chunk of pixels at a time into float64 buffers: every product and sum is
    float64 and no temporary has the data's size.
    """
    m = data.shape[0]
    design = g if callable(g) else (lambda s, e: g[s:e])
    ata = atb = None
    btb = np.zeros(m)
    c = _chunk_pixels(m)
    for s, e, dc, wc in _chunks(data, use, c):
        gc = np.asarray(design(s, e), np.float64)
        k = gc.shape[1]
        if ata is None:
            ata, atb = np.zeros((m, k, k)), np.zeros((m, k))
            iu = np.triu_indices(k)
            gg = np.empty((min(c, data.shape[1]), len(iu[0])))
        for t, (a, b) in enumerate(zip(*iu)):  # the products of design columns, upper triangle
            np.multiply(gc[:, a], gc[:, b], out=gg[:e - s, t])
        ata[:, iu[0], iu[1]] += wc @ gg[:e - s]
        atb += dc @ gc
        btb += np.einsum("ij,ij->i", dc, dc)
    ata[:, iu[1], iu[0]] = ata[:, iu[0], iu[1]]
    return _finish(ata, atb, btb, use)


def power_normal_equations(v: np.ndarray, data: np.ndarray, use: np.ndarray, order: int) -> dict:
    """Normal equations of the polynomial design ``[1, v, ..., v^order]`` (``v`` ``(p,)``) for ``M`` data vectors
    ``(M, p)`` with their own selections ``use`` ``(M, p)``: as :func:`normal_equations`, from the power sums
    ``sum w v^a`` (``a <= 2 order``) and ``sum d v^a`` (``a <= order``), float64."""
    m = data.shape[0]
    mw = np.zeros((m, 2 * order + 1))
    md = np.zeros((m, order + 1))
    btb = np.zeros(m)
    c = _chunk_pixels(m)
    vp = np.empty((min(c, data.shape[1]), 2 * order + 1))
    for s, e, dc, wc in _chunks(data, use, c):
        pw = vp[:e - s]
        pw[:, 0] = 1.0
        for a in range(1, 2 * order + 1):
            np.multiply(pw[:, a - 1], v[s:e], out=pw[:, a])
        mw += wc @ pw
        md += dc @ pw[:, :order + 1]
        btb += np.einsum("ij,ij->i", dc, dc)
    a = np.arange(order + 1)
    return _finish(mw[:, a[:, None] + a[None, :]], md, btb, use)


def ramp_normal_equations(block, data: np.ndarray, use: np.ndarray, kind: str) -> dict:
    """Normal equations of the surfaces ``kind`` for ``M`` images ``(M, rows, cols)`` of ``block`` with their own
    selections ``use`` ``(M, rows, cols)``: as :func:`normal_equations` with :func:`block_design`, but from the
    moments ``sum w x^i y^j`` and ``sum d x^i y^j``. ``x`` depends on the column only and ``y`` on the row,
    so each moment is a product of the image with a few column powers, then a sum over rows with row
    powers: the cost is two passes over the data, whatever the number of terms. Float64."""
    powers = TERM_POWERS[kind]
    m, rows, cols = data.shape
    top = 2 * max(max(p) for p in powers)
    shape = (block.n_rows_total, block.n_cols)
    x = scaled_coordinates(np.zeros(1), np.arange(cols), shape)[0]
    y = scaled_coordinates(np.arange(block.row0, block.row1), np.zeros(1), shape)[1]
    xp = x[:, None] ** np.arange(top + 1)[None, :]  # (cols, top + 1)
    yp = y[:, None] ** np.arange(top + 1)[None, :]  # (rows, top + 1)
    mw = np.zeros((m, top + 1, top + 1))  # [m, i, j] = sum w x^i y^j
    md = np.zeros((m, top + 1, top + 1))
    btb = np.zeros(m)
    step = max(1, CHUNK * 32 // max(1, m * cols))  # rows per chunk: ~2 MB float64 buffers
    d2 = data.reshape(m, -1)
    u2 = use.reshape(m, -1)
    for s, e, dc, wc in _chunks(d2, u2, step * cols):
        r0, r1 = s // cols, e // cols
        sw = (wc.reshape(m * (r1 - r0), cols) @ xp).reshape(m, r1 - r0, top + 1)  # row sums of w x^i
        sd = (dc.reshape(m * (r1 - r0), cols) @ xp).reshape(m, r1 - r0, top + 1)
        mw += np.einsum("mri,rj->mij", sw, yp[r0:r1])
        md += np.einsum("mri,rj->mij", sd, yp[r0:r1])
        btb += np.einsum("ij,ij->i", dc, dc)
    i = np.array([p[0] for p in powers])
    j = np.array([p[1] for p in powers])
    ata = mw[:, i[:, None] + i[None, :], j[:, None] + j[None, :]]
    return _finish(ata, md[:, i, j], btb, u2)


def ramp_normal_block(block, inputs: dict, *, kind: str = "linear", coherence_threshold: float = 0.0,
                      with_all: bool = False) -> dict:
    """Block function of the fitting pass: normal equations of every interferogram over the block.

    ``inputs["stack"]`` ``(M, rows, cols)`` (NaN = no data), optional ``inputs["mask"]``
    ``(rows, cols)`` and ``inputs["coherence"]`` ``(M, rows, cols)``. The block is read
    without halo. Returns the arrays of :func:`normal_equations`, to be summed over blocks;
    ``with_all``: also those of every coherent pixel, mask or not (keys ``ata_all``, ``atb_all``,
    ``n_all``, ``btb_all``; :func:`guarded_ramps` measures the date-to-date scatter of the ramps on them).
    """
    _check_kind(kind)
    data = np.asarray(inputs["stack"])
    use = usable_pixels(data, mask=inputs.get("mask"), coherence=inputs.get("coherence"),
                        coherence_threshold=coherence_threshold)
    out = ramp_normal_equations(block, data, use, kind)
    if with_all:
        if inputs.get("mask") is None:
            out.update({f"{k}_all": np.array(v, copy=True) for k, v in out.items()})
        else:
            every = usable_pixels(data, coherence=inputs.get("coherence"), coherence_threshold=coherence_threshold)
            out.update({f"{k}_all": v for k, v in ramp_normal_equations(block, data, every, kind).items()})
    return out


def add_normals(total: Optional[dict], part: dict) -> dict:
    """Sum of two sets of normal equations (the writer of the fitting pass)."""
    if total is None:
        return {k: np.array(v, copy=True) for k, v in part.items()}
    for k, v in part.items():
        total[k] += v
    return total


def solve_normals(normals: dict, *, names: Sequence[str], min_pixels: int, what: str = "ramp",
                  mask_name: str = "MASK") -> np.ndarray:
    """Least-squares coefficients ``(M, k)`` from summed normal equations.

    Raises
    ------
    MaskTooSmallError
        Naming the interferogram and ``mask_name`` when fewer than ``max(min_pixels, 3 k)``
        pixels were usable, or when the pixels do not constrain the surface (all on a line).
    """
    ata, atb, n = normals["ata"], normals["atb"], normals["n"]
    m, k = atb.shape
    need = max(int(min_pixels), 3 * k)
    coef = np.zeros((m, k))
    for i in range(m):
        if n[i] < need:
            raise MaskTooSmallError(
                f"{mask_name}: interferogram {names[i]} has {int(n[i])} usable pixel(s) in the mask, at least "
                f"{need} are needed to fit the {what} ({k} coefficients); enlarge the stable area, lower the "
                "coherence threshold or drop this interferogram")
        a = ata[i]
        scale = np.sqrt(np.clip(np.diag(a), 1e-300, None))
        an = a / scale[:, None] / scale[None, :]
        if np.linalg.cond(an) > 1e10:
            raise MaskTooSmallError(
                f"{mask_name}: the usable pixels of interferogram {names[i]} do not constrain a {what} "
                f"({k} coefficients): they lie on a line or a single point; use a larger or wider stable area")
        coef[i] = np.linalg.solve(an, atb[i] / scale) / scale
    return coef


def fit_residual_rms(normals: dict, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RMS of the data on the mask before (about zero) and after removing the fitted surface, ``(M,)`` each."""
    n = np.maximum(normals["n"], 1)
    before = np.sqrt(normals["btb"] / n)
    # |b - A c|^2 = b'b - 2 c'A'b + c'A'A c
    after2 = normals["btb"] - 2 * np.einsum("ik,ik->i", coef, normals["atb"]) \
        + np.einsum("ik,ikl,il->i", coef, normals["ata"], coef)
    return before, np.sqrt(np.clip(after2, 0, None) / n)


def per_date_coefficients(coef: np.ndarray, ref_index: np.ndarray, sec_index: np.ndarray, n_dates: int,
                          signs: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Network-consistent coefficients: one set per date, and their differences per interferogram.

    ``coef`` ``(M, k)`` are the coefficients of the files as they are; ``signs`` (+1/-1) turn a file
    into "secondary minus reference" with ``ref_index < sec_index`` dates (files named later-first).
    Returns ``(per_date (N, k) with the first date 0, per_ifg (M, k) in the files' orientation)``.
    The per-date system is solved by least squares (minimum norm when the network is
    disconnected, as the SBAS inversion).
    """
    coef = np.asarray(coef, np.float64)
    m = coef.shape[0]
    s = np.ones(m) if signs is None else np.asarray(signs, np.float64)
    a = np.zeros((m, n_dates))
    a[np.arange(m), ref_index] = -1.0
    a[np.arange(m), sec_index] = 1.0
    sol = np.linalg.lstsq(a[:, 1:], s[:, None] * coef, rcond=None)[0]
    per_date = np.vstack([np.zeros((1, coef.shape[1])), sol])
    per_ifg = s[:, None] * (a @ per_date)
    return per_date, per_ifg


def _surface_terms(block, coef: np.ndarray):
    """``(per_row, per_col, cross)`` of the surface ``coef`` over the block (float32): the surface is
    ``per_row[:, None] + per_col[None, :]`` plus, for a quadratic, the outer product of the two vectors of
    ``cross`` (``c_xy y`` and ``x``); ``cross`` is None for a linear ramp."""
    c = np.asarray(coef, np.float64)
    shape = (block.n_rows_total, block.n_cols)
    x = scaled_coordinates(np.zeros(1), np.arange(block.n_cols), shape)[0]
    y = scaled_coordinates(np.arange(block.row0, block.row1), np.zeros(1), shape)[1]
    per_row = c[0] + c[2] * y
    per_col = c[1] * x
    cross = None
    if c.size == 6:
        per_row = per_row + c[4] * y * y
        per_col = per_col + c[3] * x * x
        cross = ((c[5] * y).astype(np.float32), x.astype(np.float32))
    return per_row.astype(np.float32), per_col.astype(np.float32), cross


def ramp_apply_block(block, inputs: dict, *, kind: str, coef: np.ndarray) -> dict:
    """Block function of the correcting pass: ``stack - surface`` for every interferogram.

    ``coef`` ``(M, k)``: for every interferogram of the stack; a block of whole interferograms
    (``block.files``) takes the rows of its files. Returns ``{"corrected": (M, rows, cols) float32}``
    (NaN stays NaN).
    """
    _check_kind(kind)
    if block.files is not None:
        coef = np.asarray(coef)[block.files[0]:block.files[1]]
    return {"corrected": _subtract_surfaces(block, np.asarray(inputs["stack"]), coef)}


def _subtract_surfaces(block, data: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``data - surface`` of each image ``(M, rows, cols)`` with its coefficients ``coef`` ``(M, k)``, float32."""
    out = np.empty(data.shape, np.float32)
    for i in range(data.shape[0]):
        per_row, per_col, cross = _surface_terms(block, coef[i])
        o = out[i]
        np.subtract(data[i], per_col[None, :], out=o, dtype=np.float32)  # no surface array: two passes in place
        o -= per_row[:, None]
        if cross is not None:
            o -= np.multiply.outer(*cross)
    return out


def ramp_fit_apply_block(block, inputs: dict, *, kind: str = "linear", coherence_threshold: float = 0.0,
                         min_pixels: int = 100, names: Sequence[str], mask_name: str = "MASK") -> dict:
    """Block function of the one-read path: fit and remove the surfaces of whole interferograms.

    The block covers every row of the files ``block.files`` (:func:`algorithms.engine.plan_file_groups`),
    so each interferogram is read once: its normal equations, coefficients and corrected values come
    from the same block. Same values as :func:`ramp_normal_block` summed over row blocks,
    :func:`solve_normals` and :func:`ramp_apply_block` (the two-pass path, to float rounding).
    Returns ``corrected`` ``(M, rows, cols)`` float32, ``coef`` ``(M, k)`` and the normal equations.
    """
    data = np.asarray(inputs["stack"])
    f0 = block.files[0] if block.files is not None else 0
    normals = ramp_normal_block(block, inputs, kind=kind, coherence_threshold=coherence_threshold)
    coef = solve_normals(normals, names=list(names)[f0:f0 + data.shape[0]], min_pixels=min_pixels,
                         mask_name=mask_name)
    return {"corrected": _subtract_surfaces(block, data, coef), "coef": coef, **normals}


def remove_ramps(stack: np.ndarray, *, kind: str = "linear", mask: Optional[np.ndarray] = None,
                 coherence: Optional[np.ndarray] = None, coherence_threshold: float = 0.0, min_pixels: int = 100,
                 names: Optional[Sequence[str]] = None,
                 per_date: Optional[tuple] = None) -> tuple[np.ndarray, np.ndarray]:
    """In-memory convenience (scripts, tests): fit and remove the surfaces of a whole stack ``(M, rows, cols)``.

    ``per_date`` = ``(ref_index, sec_index, n_dates, signs)`` for the network-consistent mode.
    Returns ``(corrected, coefficients (M, k))``.
    """
    from ..engine import Block

    stack = np.asarray(stack, np.float64)
    m, h, w = stack.shape
    blk = Block(0, 0, h, 0, h, h, w)
    inputs = {"stack": stack, "mask": mask, "coherence": coherence}
    normals = ramp_normal_block(blk, inputs, kind=kind, coherence_threshold=coherence_threshold)
    coef = solve_normals(normals, names=names or [str(i) for i in range(m)], min_pixels=min_pixels)
    if per_date is not None:
        ref, sec, n_dates, signs = per_date
        coef = per_date_coefficients(coef, ref, sec, n_dates, signs)[1]
    return ramp_apply_block(blk, {"stack": stack}, kind=kind, coef=coef)["corrected"], coef
