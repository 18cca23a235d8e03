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
:func:`ramp_normal_block` gives the normal equations of every interferogram row by row
(:class:`FitSums` adds them in row order: the same totals for any block layout),
:func:`solve_normals` solves them, :func:`ramp_apply_block` subtracts the surfaces. Values stay in the
input's unit (a ramp is linear in the data).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..engine import Block
from ..errors import GeohazardError
from ..ordered import add_rows, row_sums, spd_condition, spd_solve
from ..unionfind import DisjointSets

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


#: Temporaries of :func:`row_power_sums` hold about ``CHUNK * 32`` values (~2 MB of float64).
CHUNK = 8192
#: Exponents ``(i, j)`` of ``x^i y^j`` of each design term, in :func:`ramp_design`'s order.
TERM_POWERS = {"linear": ((0, 0), (1, 0), (0, 1)),
               "quadratic": ((0, 0), (1, 0), (0, 1), (2, 0), (0, 2), (1, 1))}


def row_power_sums(v, data: np.ndarray, use: np.ndarray, *, w_powers: int, d_powers: int,
                   starts=(0,)) -> dict:
    """Power sums of each row of ``M`` images, per segment of columns: the partial sums of a fit's normal equations.

    Parameters
    ----------
    v : ndarray (cols,) or (rows, cols)
        The variable of the polynomial (a scaled coordinate, a scaled height), float64.
    data : ndarray (M, rows, cols)
        The images (float32 or float64); only the pixels of ``use`` count.
    use : ndarray (M, rows, cols) bool
    w_powers, d_powers : int
        Highest power of ``v`` summed alone and weighted by the data.
    starts : sequence of int
        First column of each segment (windows of columns; ``(0,)``: whole rows).

    Returns
    -------
    dict
        Per row (first axis), image and segment: ``sw`` ``(rows, M, S, w_powers + 1)`` sums of
        ``v^a``, ``sd`` ``(rows, M, S, d_powers + 1)`` sums of ``d v^a``, ``btb`` ``(rows, M, S)``
        sums of ``d^2`` and ``n`` ``(rows, M, S)`` pixel counts (int64), all float64 sums.

    Notes
    -----
    Each row is summed on its own (numpy's reduction over the row's columns), so the sums of a
    row do not depend on the block that holds it; added row by row in row order (:class:`FitSums`,
    :func:`algorithms.ordered.add_rows`) they give the same totals for any block layout.
    """
    m, rows, cols = data.shape
    starts = np.asarray(starts, np.intp)
    n_seg = starts.size
    v = np.asarray(v, np.float64)
    out = {"sw": np.empty((rows, m, n_seg, w_powers + 1)), "sd": np.empty((rows, m, n_seg, d_powers + 1)),
           "btb": np.empty((rows, m, n_seg)), "n": np.empty((rows, m, n_seg), np.int64)}
    step = max(1, CHUNK * 32 // max(1, m * cols))

    def seg_sums(a):
        return np.moveaxis(np.add.reduceat(a, starts, axis=-1), 1, 0)  # (r, M, S)

    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        u = use[:, r0:r1]
        d0 = np.where(u, data[:, r0:r1], 0).astype(np.float64, copy=False)
        w = u.astype(np.float64)
        vv = v[r0:r1] if v.ndim == 2 else v
        out["n"][r0:r1] = np.moveaxis(np.add.reduceat(u, starts, axis=-1, dtype=np.int64), 1, 0)
        out["btb"][r0:r1] = seg_sums(d0 * d0)
        vp = np.ones(vv.shape)
        for a in range(max(w_powers, d_powers) + 1):
            if a:
                vp = vp * vv
            if a <= w_powers:
                out["sw"][r0:r1, ..., a] = seg_sums(w * vp)
            if a <= d_powers:
                out["sd"][r0:r1, ..., a] = seg_sums(d0 * vp)
    return out


def ramp_normal_equations(block, data: np.ndarray, use: np.ndarray, kind: str) -> dict:
    """Normal equations of the surfaces ``kind`` for ``M`` images ``(M, rows, cols)`` of ``block`` with their own
    selections ``use`` ``(M, rows, cols)``, **row by row**: ``ata`` ``(rows, M, k, k)``, ``atb`` ``(rows, M, k)``,
    ``n`` ``(rows, M)`` (int64), ``btb`` ``(rows, M)`` (float64), to be added in row order (:class:`FitSums`).

    From the moments ``sum w x^i y^j`` and ``sum d x^i y^j``: ``x`` depends on the column only and ``y`` on
    the row, so each row's moments are its power sums in ``x`` (:func:`row_power_sums`) times powers of its
    ``y``."""
    powers = TERM_POWERS[kind]
    m, rows, cols = data.shape
    top = 2 * max(max(p) for p in powers)
    shape = (block.n_rows_total, block.n_cols)
    x = scaled_coordinates(np.zeros(1), np.arange(cols), shape)[0]
    y = scaled_coordinates(np.arange(block.row0, block.row1), np.zeros(1), shape)[1]
    ps = row_power_sums(x, data, use, w_powers=top, d_powers=top // 2)
    yp = y[:, None] ** np.arange(top + 1)[None, :]  # (rows, top + 1)
    mw = ps["sw"][:, :, 0, :, None] * yp[:, None, None, :]  # [r, m, i, j] = sum over the row of w x^i y^j
    md = ps["sd"][:, :, 0, :, None] * yp[:, None, None, :top // 2 + 1]
    i = np.array([p[0] for p in powers])
    j = np.array([p[1] for p in powers])
    return {"ata": mw[:, :, i[:, None] + i[None, :], j[:, None] + j[None, :]], "atb": md[:, :, i, j],
            "n": ps["n"][:, :, 0], "btb": ps["btb"][:, :, 0]}


def ramp_normal_block(block, inputs: dict, *, kind: str = "linear", coherence_threshold: float = 0.0,
                      with_all: bool = False) -> dict:
    """Block function of the fitting pass: normal equations of every interferogram, row by row.

    ``inputs["stack"]`` ``(M, rows, cols)`` (NaN = no data), optional ``inputs["mask"]``
    ``(rows, cols)``, ``inputs["quiet"]`` ``(rows, cols)`` (non-zero = outside the deforming areas,
    :func:`algorithms.corrections.deforming.deforming_areas`; it restricts every fit) and
    ``inputs["coherence"]`` ``(M, rows, cols)``. The block is read without halo. Returns the per-row
    arrays of :func:`ramp_normal_equations`, to be added in row order over the blocks (:class:`FitSums`);
    ``with_all``: also those of every coherent (quiet) pixel, mask or not (keys ``ata_all``, ``atb_all``,
    ``n_all``, ``btb_all``; :func:`guarded_ramps` measures the date-to-date scatter of the ramps on them).
    """
    _check_kind(kind)
    data = np.asarray(inputs["stack"])
    mask, quiet = inputs.get("mask"), inputs.get("quiet")
    if quiet is not None:
        quiet = np.asarray(quiet)
        quiet = np.isfinite(quiet) & (quiet != 0)
        mask = quiet if mask is None else quiet & (np.isfinite(np.asarray(mask)) & (np.asarray(mask) != 0))
    use = usable_pixels(data, mask=mask, coherence=inputs.get("coherence"), coherence_threshold=coherence_threshold)
    out = ramp_normal_equations(block, data, use, kind)
    if with_all:
        if inputs.get("mask") is None:
            out.update({f"{k}_all": np.array(v, copy=True) for k, v in out.items()})
        else:
            every = usable_pixels(data, mask=quiet, coherence=inputs.get("coherence"),
                                  coherence_threshold=coherence_threshold)
            out.update({f"{k}_all": v for k, v in ramp_normal_equations(block, data, every, kind).items()})
    return out


class FitSums:
    """Writer of a fitting pass of the stack corrections: per-row partial sums added in row order.

    The fitting block functions (:func:`ramp_normal_block`, the phase-elevation, closure and
    coherence sums) return one partial sum per row of the block (first axis), so the totals are
    the same bits for any block layout (:mod:`algorithms.ordered`). Blocks of whole interferograms
    (``block.files``, :func:`algorithms.engine.plan_file_groups`) give the totals of their files
    (second axis), put in file order. An output ``window_row`` (per row: its row of windows) sends
    each row's sums, one per window column (third axis), to the windows of that row.
    """

    def __init__(self, n_files: Optional[int] = None, n_window_rows: int = 1):
        self.n_files = n_files
        self.n_window_rows = int(n_window_rows)
        self.totals: dict = {}
        self.next_row = 0

    def __call__(self, block, out: dict) -> None:
        out = dict(out)
        wrow = out.pop("window_row", None)
        if block.files is None and block.row0 != self.next_row:
            raise ValueError(f"row partials must arrive in row order: expected row {self.next_row}, got {block.row0}")
        for k, v in out.items():
            v = np.asarray(v)
            if block.files is None:
                self.totals[k] = self._add(self.totals.get(k), v, wrow)
            else:
                f0, f1 = block.files
                part = self._add(None, v, wrow)
                if k not in self.totals:
                    self.totals[k] = np.zeros((self.n_files,) + part.shape[1:], part.dtype)
                self.totals[k][f0:f1] = part
        if block.files is None:
            self.next_row = block.row1

    def _add(self, total, v, wrow):
        if wrow is None:
            return add_rows(total, v)
        nwc = v.shape[2]
        if total is None:
            total = np.zeros((v.shape[1], self.n_window_rows * nwc) + v.shape[3:], v.dtype)
        wrow = np.asarray(wrow)
        for wr in np.unique(wrow):
            sl = slice(int(wr) * nwc, (int(wr) + 1) * nwc)
            run = v[wrow == wr]  # the block's rows of that row of windows, in order
            total[:, sl] = add_rows(total[:, sl], run)
        return total

    def result(self) -> dict:
        return dict(self.totals)


def sum_rows(parts: dict, n_window_rows: int = 1) -> dict:
    """The totals of one block's per-row sums (a block of whole images): :class:`FitSums` of that block alone."""
    rows = next(iter(v for k, v in parts.items() if k != "window_row")).shape[0]
    acc = FitSums(n_window_rows=n_window_rows)
    acc(Block(0, 0, rows, 0, rows, rows, 1), parts)
    return acc.result()


def add_normals(total: Optional[dict], part: dict) -> dict:
    """``total`` plus one row block's per-row normal equations (the next rows), added in row order."""
    return {k: add_rows(None if total is None else total[k], v) for k, v in part.items()}


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
    # scaled to a unit diagonal; conditioned and solved in a fixed order (no LAPACK: its last bits follow BLAS's
    # thread count, see algorithms.ordered)
    scale = np.sqrt(np.clip(np.diagonal(ata, axis1=1, axis2=2), 1e-300, None))
    an = ata / scale[:, :, None] / scale[:, None, :]
    fine = np.isfinite(an).all(axis=(1, 2))
    cond = np.full(m, np.inf)
    if fine.any():
        cond[fine] = spd_condition(an[fine])
    coef = np.full((m, k), np.nan)
    if fine.any():
        coef[fine] = spd_solve(an[fine], atb[fine] / scale[fine]) / scale[fine]
    for i in range(m):
        if n[i] < need:
            raise MaskTooSmallError(
                f"{mask_name}: interferogram {names[i]} has {int(n[i])} usable pixel(s) in the mask, at least "
                f"{need} are needed to fit the {what} ({k} coefficients); enlarge the stable area, lower the "
                "coherence threshold or drop this interferogram")
        if not cond[i] <= 1e10 or not np.isfinite(coef[i]).all():
            raise MaskTooSmallError(
                f"{mask_name}: the usable pixels of interferogram {names[i]} do not constrain a {what} "
                f"({k} coefficients): they lie on a line or a single point; use a larger or wider stable area")
    return coef


def fit_residual_rms(normals: dict, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RMS of the data on the mask before (about zero) and after removing the fitted surface, ``(M,)`` each."""
    n = np.maximum(normals["n"], 1)
    before = np.sqrt(normals["btb"] / n)
    # |b - A c|^2 = b'b - 2 c'A'b + c'A'A c, the terms added in a fixed order
    ata, atb = normals["ata"], normals["atb"]
    cab = np.zeros(coef.shape[0])
    cac = np.zeros(coef.shape[0])
    for k in range(coef.shape[1]):
        cab += coef[:, k] * atb[:, k]
        for q in range(coef.shape[1]):
            cac += coef[:, k] * ata[:, k, q] * coef[:, q]
    after2 = normals["btb"] - 2 * cab + cac
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
    m, k = coef.shape
    s = np.ones(m) if signs is None else np.asarray(signs, np.float64)
    ref, sec = np.asarray(ref_index, np.intp), np.asarray(sec_index, np.intp)
    b = s[:, None] * coef
    # normal equations of the network, each part of it on its own: the Laplacian (whole numbers, exact in any order)
    # and the right-hand side added interferogram by interferogram in order; solved in a fixed order
    # (algorithms.ordered.spd_solve: LAPACK's lstsq follows BLAS's thread count from ~60 dates on)
    lap = np.zeros((n_dates, n_dates))
    np.add.at(lap, (ref, ref), 1.0)
    np.add.at(lap, (sec, sec), 1.0)
    np.add.at(lap, (ref, sec), -1.0)
    np.add.at(lap, (sec, ref), -1.0)
    rhs = np.zeros((n_dates, k))
    for i in range(m):
        rhs[sec[i]] += b[i]
        rhs[ref[i]] -= b[i]
    per_date = np.zeros((n_dates, k))
    for part in _network_parts(ref, sec, n_dates):
        # the first date's part keeps it at 0; another part is solved with its first date at 0, then shifted to a
        # zero mean: the minimum-norm solution (the part's dates are free up to a common constant)
        free = part[1:]
        if free.size:
            per_date[free] = spd_solve(np.broadcast_to(lap[np.ix_(free, free)], (k, free.size, free.size)),
                                       np.ascontiguousarray(rhs[free].T)).T
        if part[0] != 0:
            per_date[part] -= row_sums(np.ascontiguousarray(per_date[part].T)) / part.size
    per_ifg = s[:, None] * (per_date[sec] - per_date[ref])
    return per_date, per_ifg


def _network_parts(ref: np.ndarray, sec: np.ndarray, n_dates: int) -> list:
    """The connected parts of a network of ``n_dates`` dates (a date in no pair is a part of its own), each as its
    dates in increasing order, the parts ordered by their first date."""
    sets = DisjointSets(n_dates)
    for a, b in zip(ref.tolist(), sec.tolist()):
        sets.join(a, b)
    n_parts, label = sets.labels()
    return [np.flatnonzero(label == k) for k in range(n_parts)]


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
    from the same block. The same bits as :func:`ramp_normal_block` added over row blocks
    (:class:`FitSums`), :func:`solve_normals` and :func:`ramp_apply_block` (the two-pass path).
    Returns ``corrected`` ``(M, rows, cols)`` float32, ``coef`` ``(M, k)`` and the normal equations.
    """
    data = np.asarray(inputs["stack"])
    f0 = block.files[0] if block.files is not None else 0
    normals = sum_rows(ramp_normal_block(block, inputs, kind=kind, coherence_threshold=coherence_threshold))
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
    stack = np.asarray(stack, np.float64)
    m, h, w = stack.shape
    blk = Block(0, 0, h, 0, h, h, w)
    inputs = {"stack": stack, "mask": mask, "coherence": coherence}
    normals = sum_rows(ramp_normal_block(blk, inputs, kind=kind, coherence_threshold=coherence_threshold))
    coef = solve_normals(normals, names=names or [str(i) for i in range(m)], min_pixels=min_pixels)
    if per_date is not None:
        ref, sec, n_dates, signs = per_date
        coef = per_date_coefficients(coef, ref, sec, n_dates, signs)[1]
    return ramp_apply_block(blk, {"stack": stack}, kind=kind, coef=coef)["corrected"], coef
