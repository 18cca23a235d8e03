"""What the engine and the tools call: phase-link an SLC stack in memory, in row blocks, or as one engine block.

The arrays are numpy in and out: SLCs ``(n_dates, rows, cols)`` complex, the PS mask ``(rows, cols)`` bool, results
on the input grid (:class:`PhaseLinkResult`). The work is done by :func:`.kernel._phase_link_kernel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ...engine import plan_blocks
from ...errors import GeohazardError
from ...progress import iter_blocks
from . import vectorised  # noqa: F401 - registers the kernel's numpy form (as Python: the same bytes)
from .covariance import _log_mean
from .kernel import _chunks_and_tile, _phase_link_kernel
from .shp import SHP_METHODS, shp_inputs, shp_threshold

#: Estimator codes of the kernel.
METHODS = {"emi": 0, "evd": 1, "cevd": 2}


@dataclass
class PhaseLinkResult:
    """Outputs of :func:`phase_link` (all on the input grid)."""

    phase: np.ndarray  #: (n_dates, rows, cols) float32, radians, minus date 0; NaN = no data
    temporal_coherence: np.ndarray  #: (rows, cols) float32, 0..1
    shp_count: np.ndarray  #: (rows, cols) int32, neighbours used (incl. the pixel)


def _check_options(n_dates, shape, window, method, shp_method, alpha, beta, check_size=True):
    """The window ``(rows, cols)`` and the SHP test's threshold; a clear error naming a bad option."""
    if n_dates < 3:
        raise GeohazardError(f"phase linking needs at least 3 dates, got {n_dates}")
    wr, wc = (int(window[0]), int(window[1]))
    if wr < 1 or wc < 1 or wr % 2 == 0 or wc % 2 == 0:
        raise GeohazardError(f"window must be odd sizes (rows, cols) >= 1, got {tuple(window)}")
    if check_size and (wr > shape[0] or wc > shape[1]):
        raise GeohazardError(f"window {wr} x {wc} is larger than the image ({shape[0]} x {shape[1]} pixels)")
    if method not in METHODS:
        raise GeohazardError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if not 0 <= beta < 1:
        raise GeohazardError(f"beta (regularisation) must be in [0, 1), got {beta}")
    return wr, wc, shp_threshold(shp_method, alpha, n_dates)


def phase_link(slc, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt", alpha: float = 0.05,
               ps_mask=None, beta: float = 0.01, rows: Optional[tuple[int, int]] = None,
               ps_neighbours: bool = True) -> PhaseLinkResult:
    """Phase-link an in-memory SLC stack (or a block of one).

    Parameters
    ----------
    slc : ndarray, shape (n_dates, rows, cols), complex
        Coregistered SLCs; NaN or all-zero time series = no data.
    window : (rows, cols)
        Odd window size in pixels (e.g. (5, 11) for 1:2 azimuth:range spacing).
    method : {"emi", "evd", "cevd"}
        Estimator (see module docstring).
    shp_method : {"glrt", "ks", "rect"}
        Homogeneous-neighbour test; ``rect`` uses every valid neighbour.
    alpha : float
        Significance level of the SHP test.
    ps_mask : ndarray of bool, shape (rows, cols), optional
        Permanent scatterers: keep their own phase.
    beta : float
        Regularisation of ``|G|`` for EMI.
    rows : (start, stop), optional
        Only compute these rows (the others are context for the windows); outputs then
        have ``stop - start`` rows.
    ps_neighbours : bool
        True (default, as dolphin): PS pixels enter other pixels' windows when the SHP
        test accepts them; False: never.

    Returns
    -------
    PhaseLinkResult
    """
    arr = np.asarray(slc)
    if arr.ndim != 3:
        raise GeohazardError(f"slc must be (n_dates, rows, cols), got shape {arr.shape}")
    if not np.iscomplexobj(arr):
        raise GeohazardError(f"slc must be complex (SLC), got real values of dtype {arr.dtype}")
    n, nr, nc = arr.shape
    wr, wc, thr = _check_options(n, (nr, nc), window, method, shp_method, alpha, beta, rows is None)
    r0, r1 = rows if rows is not None else (0, nr)
    slc_t = np.ascontiguousarray(np.moveaxis(arr, 0, -1).astype(np.complex64))
    usable = np.all(np.isfinite(slc_t), axis=2) & np.any(slc_t != 0, axis=2)
    ps = np.zeros((nr, nc), bool) if ps_mask is None else np.asarray(ps_mask, bool).copy()
    if ps.shape != (nr, nc):
        raise GeohazardError(f"ps_mask has shape {ps.shape}, expected {(nr, nc)}")
    ps &= usable
    slc_t[~usable] = 0
    sorted_amp, mean_int = shp_inputs(slc_t, shp_method)
    phase = np.empty((n, r1 - r0, nc), np.float32)
    tcoh = np.empty((r1 - r0, nc), np.float32)
    count = np.empty((r1 - r0, nc), np.int32)
    # the GLRT's logarithms (on the numpy path the same function as Python: libm's log, the same bits)
    log_mean = _log_mean(mean_int) if shp_method == "glrt" else mean_int
    # compiled, or as Python (no numba, or the numpy path of a first run) its numpy form over tiles: the same bytes
    _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, log_mean, SHP_METHODS[shp_method], float(thr),
                       wr // 2, wc // 2, METHODS[method], float(beta), int(r0), int(r1), phase, tcoh, count,
                       bool(ps_neighbours), *_chunks_and_tile(r1 - r0, nc, n, wr, wc))
    return PhaseLinkResult(phase, tcoh, count)


def phase_link_stack(read_rows: Callable[[int, int], np.ndarray], write_rows: Callable, *, shape,
                     n_dates: int, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                     alpha: float = 0.05, beta: float = 0.01, read_ps_rows: Optional[Callable] = None,
                     block_rows: int = 128, progress=None, ps_neighbours: bool = True) -> None:
    """Block-wise phase linking of a stack too big for memory.

    Parameters
    ----------
    read_rows : callable ``(start, stop) -> ndarray (n_dates, stop - start, cols)``
        Reads complex SLC rows.
    write_rows : callable ``(result: PhaseLinkResult, start, stop)``
        Receives the result for rows ``start:stop``.
    shape : (rows, cols)
        Image size.
    n_dates : int
        Number of dates.
    read_ps_rows : callable ``(start, stop) -> bool ndarray``, optional
        Reads the PS mask rows.
    block_rows : int
        Rows computed per block; ``window[0] // 2`` rows of context are read on each side.
    progress : optional
        Progress/cancel protocol (:mod:`algorithms.progress`), checked between blocks.

    Other parameters are those of :func:`phase_link`.
    """
    _check_options(n_dates, shape, window, method, shp_method, alpha, beta)
    overlap = int(window[0]) // 2
    for a, b, c0, c1 in iter_blocks(int(shape[0]), int(block_rows), overlap=overlap, progress=progress):
        block = read_rows(a, b)
        ps = read_ps_rows(a, b) if read_ps_rows is not None else None
        res = phase_link(block, window=window, method=method,
                         shp_method=shp_method, alpha=alpha, ps_mask=ps, beta=beta, rows=(c0 - a, c1 - a),
                         ps_neighbours=ps_neighbours)
        write_rows(res, c0, c1)


def phase_link_plan(shape, n_dates: int, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                    alpha: float = 0.05, beta: float = 0.01, block_rows: int = 128) -> list:
    """Validate the options and plan the row blocks of a block-engine phase-linking run.

    Each block reads ``window[0] // 2`` halo rows on each side (clipped at the image
    edges), the context :func:`phase_link_block` needs for the windows of its own rows.
    """
    _check_options(n_dates, shape, window, method, shp_method, alpha, beta)
    return plan_blocks(int(shape[0]), int(shape[1]), halo=int(window[0]) // 2, block_rows=int(block_rows))


def phase_link_work(shape, n_dates: int, window=(11, 11)) -> tuple[float, float]:
    """The two parts of a run's work, the units of the measured cost model (``compile_costs.json``'s ``work`` row,
    ``benchmarks/psds/work_costs.py``): the window sums and SHP tests, ``pixels x window pixels x dates^2``, and
    the linking of each pixel's ``N x N`` coherence matrix, ``pixels x dates^2`` (its iterations' matrix-vector
    steps; a fit on ``dates^3`` missed the measured runs by up to 34 %, on ``dates^2`` by at most 8 %)."""
    pixels = float(shape[0]) * float(shape[1])
    n = float(n_dates)
    return pixels * float(window[0]) * float(window[1]) * n * n, pixels * n * n


def phase_link_cost(shape, n_dates: int, window, row: dict) -> Optional[tuple[float, float]]:
    """Estimated CPU seconds ``(numpy path, compiled path)`` of a run from the measured cost model ``row``
    (``compile_costs.json``'s ``work`` row of ``phase_linking``: CPU-s per 1e9 units of each part of
    :func:`phase_link_work`); None when the row lacks a rate."""
    cov, link = phase_link_work(shape, n_dates, window)
    try:
        return tuple(1e-9 * (cov * float(row[f"{path}_cpu_s_per_gcov"]) + link * float(row[f"{path}_cpu_s_per_glink"]))
                     for path in ("numpy", "numba"))
    except (KeyError, TypeError, ValueError):
        return None


def phase_link_block(block, inputs: dict, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                     alpha: float = 0.05, beta: float = 0.01, ps_neighbours: bool = True) -> dict:
    """Block function of the engine (:mod:`algorithms.engine`): phase-link one row block.

    ``inputs["slc"]``: complex SLC rows ``(n_dates, read rows, cols)`` with the halo;
    ``inputs["ps_mask"]`` (optional): the PS raster over the same rows (finite and non-zero
    = PS). Returns ``phase``, ``temporal_coherence`` and ``shp_count`` of the block's own
    rows (see :class:`PhaseLinkResult`).
    """
    ps = inputs.get("ps_mask")
    if ps is not None:
        ps = np.isfinite(ps) & (ps != 0)
    res = phase_link(inputs["slc"], window=window, method=method, shp_method=shp_method, alpha=alpha,
                     ps_mask=ps, beta=beta, rows=(block.row0 - block.read0, block.row1 - block.read0),
                     ps_neighbours=ps_neighbours)
    return {"phase": res.phase, "temporal_coherence": res.temporal_coherence, "shp_count": res.shp_count}


def interferogram_pairs(n_dates: int, network: str = "single", *, neighbours: int = 3) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of an interferogram network.

    ``single``: ``(0, j)`` for every later date; ``nearest``: each date with its
    ``neighbours`` next dates (a sequential network for unwrapping and SBAS).
    """
    if network == "single":
        return [(0, j) for j in range(1, n_dates)]
    if network == "nearest":
        if neighbours < 1:
            raise GeohazardError(f"neighbours must be >= 1, got {neighbours}")
        return [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 1 + neighbours))]
    raise GeohazardError(f"network must be 'single' or 'nearest', got {network!r}")
