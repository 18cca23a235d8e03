"""Offset tracking: options, output grid, halo and block sizes (see :mod:`.` for the method)."""

from __future__ import annotations

import math
from typing import Optional

from ...engine import budget_rows
from ...errors import GeohazardError

SUBPIXEL_METHODS = ("dft", "parabolic", "gaussian")


#: Quality flags of each output cell (0 = valid offset).
FLAGS = {
    0: "valid",
    1: "outside the image or nodata in the window / search area",
    2: "no texture (reference or secondary window flat)",
    3: "correlation peak on the border of the search area",
    4: "correlation peak below the minimum NCC",
    5: "peak ratio below the minimum (ambiguous match)",
    6: "outlier (normalised median test)",
}


FLAG_VALID, FLAG_OUTSIDE, FLAG_FLAT, FLAG_BORDER, FLAG_LOW_NCC, FLAG_AMBIGUOUS, FLAG_OUTLIER = range(7)


#: Outputs of :func:`offset_block` (each ``(n_out_rows, n_out_cols)``).
BLOCK_OUTPUTS = ("dx", "dy", "ncc", "peak_ratio", "snr", "flag")


# --------------------------------------------------------------------------- options and grid
def check_options(window: int, search: int, step: int, *, subpixel: str = "dft", upsample: int = 10,
                  min_ncc: float = 0.2, min_peak_ratio: float = 1.1) -> None:
    """Raise a :class:`GeohazardError` naming the first option out of range."""
    if int(window) != window or window < 8:
        raise GeohazardError(f"window must be an integer of at least 8 pixels, got {window!r}")
    if int(search) != search or search < 1:
        raise GeohazardError(f"search must be an integer of at least 1 pixel, got {search!r}")
    if int(step) != step or step < 1:
        raise GeohazardError(f"step must be an integer of at least 1 pixel, got {step!r}")
    if subpixel not in SUBPIXEL_METHODS:
        raise GeohazardError(f"subpixel must be one of {SUBPIXEL_METHODS}, got {subpixel!r}")
    if int(upsample) != upsample or not 2 <= upsample <= 1000:
        raise GeohazardError(f"upsample must be an integer in 2..1000, got {upsample!r}")
    if not -1.0 <= min_ncc < 1.0:
        raise GeohazardError(f"min_ncc must be in [-1, 1), got {min_ncc!r}")
    if not min_peak_ratio >= 1.0:
        raise GeohazardError(f"min_peak_ratio must be >= 1, got {min_peak_ratio!r}")


def output_grid(n_rows: int, n_cols: int, *, window: int, step: int) -> tuple[int, int, float]:
    """Output grid size and origin shift: ``(n_out_rows, n_out_cols, shift_px)``.

    Output cell ``i`` has its window starting at reference row ``i*step + (step - window)//2``;
    its centre is ``i*step + step/2 + shift_px`` (pixel-corner coordinates), ``shift_px`` in
    ``{0, -0.5}``. The output raster's origin is the reference origin moved by ``shift_px``
    pixels along both axes, its pixel size ``step`` reference pixels.
    """
    w, st = int(window), int(step)
    shift = (st - w) // 2 + w / 2.0 - st / 2.0
    return -(-int(n_rows) // st), -(-int(n_cols) // st), float(shift)


def halo_rows(window: int, search: int, step: int, highpass_px: float = 0.0) -> int:
    """Rows of context a block needs above and below: ``window/2 + search``, one step of rounding
    and the high-pass filter's reach (4 sigma)."""
    return (int(window) + 1) // 2 + int(search) + int(step) + int(math.ceil(4.0 * max(0.0, highpass_px)))


#: Memory for the patch stacks of one batch of cells (FFT buffers included), bytes.
BATCH_BYTES = 48 * 2**20


def batch_cells(window: int, search: int) -> int:
    """Cells matched together: as many as fit :data:`BATCH_BYTES` (about 8 complex copies of a search area each)."""
    big = int(window) + 2 * int(search)
    return int(max(8, BATCH_BYTES // (big * big * 8 * 16)))


#: Memory per pixel of a block's rows: each image as read (float32), as float64, high-passed and the
#: filter's two temporaries (float64), and two masks.
BYTES_PER_PIXEL = 2 * (4 + 4 * 8 + 2)


def plan_options(*, window: int, search: int, step: int, highpass_px: float = 0.0) -> dict:
    """Keywords of :func:`~algorithms.engine.plan_blocks` for offset tracking: blocks of whole steps (at least
    one) read with the halo of :func:`halo_rows`; the budget pays for one batch of patches
    (:data:`BATCH_BYTES`) and ``(rows + 2 halo) x n_cols x`` :data:`BYTES_PER_PIXEL`."""
    return {"bytes_per_pixel": BYTES_PER_PIXEL, "halo": halo_rows(window, search, step, highpass_px),
            "tile_rows": int(step), "min_rows": int(step), "fixed_bytes": BATCH_BYTES}


def block_rows_for(n_cols: int, *, window: int, search: int, step: int, highpass_px: float = 0.0,
                   max_memory_mb: Optional[float] = None) -> int:
    """Rows per block: a multiple of ``step`` fitting the memory budget (at least one step), as
    :func:`plan_options` plans them (:func:`~algorithms.engine.budget_rows`)."""
    return budget_rows(n_cols, max_memory_mb=max_memory_mb,
                       **plan_options(window=window, search=search, step=step, highpass_px=highpass_px))
