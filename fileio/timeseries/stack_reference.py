"""The reference pixel of every stack tool, by one rule: a point given (the pixel under it, valid in every
interferogram), else the reference the stack itself names (a MintPy ifgramStack.h5's ``REF_Y``/``REF_X``, a product's
own) when that pixel has data in every interferogram, else the largest consistent ground
(:mod:`~..algorithms.timeseries.ground_reference`: data in every interferogram, small loop closures, a stacking rate
near the scene's mode; inside the stable area when one is given), whose terms (the stack's loops, the pairs' spans and
each loop's constant) are read here from a sample of the stack's rows. The log says which pixel (row, column, map
coordinates) and why."""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.corrections.closure import network_triplets
from ...algorithms.errors import GeohazardError
from ...algorithms.progress import info, warn
from ...algorithms.timeseries.ground_reference import choose_ground_reference, closure_offsets

#: Rows of a stack read to find the constant part of each loop's closure: one band across the middle of the grid
#: (one read, one or two rows of the inputs' tiles decoded; the constant is the same at every pixel, and
#: deformation closes, so a band across the scene measures it as well as rows spread over the grid would).
CLOSURE_SAMPLE_ROWS = 32


def ground_terms(stack) -> tuple:
    """``(span_years, triplets, closure offsets)`` of a stack for the automatic reference's sums: no triplet gives
    an empty index; the offsets are each triplet's median closure over a band of :data:`CLOSURE_SAMPLE_ROWS` rows
    across the middle of the grid (:func:`~algorithms.timeseries.ground_reference.closure_offsets`)."""
    network = stack.network
    try:
        triplets = network_triplets(network.pairs).index
    except GeohazardError:  # a network without a closed loop: the closure says nothing
        triplets = np.zeros((0, 3), np.int64)
    offsets = np.zeros(0)
    if len(triplets):
        n = min(stack.info.height, CLOSURE_SAMPLE_ROWS)
        r0 = (stack.info.height - n) // 2
        offsets = closure_offsets(stack.read(r0, r0 + n)[0], triplets)
    return np.asarray(network.temporal_baseline_days, np.float64) / 365.25, triplets, offsets


def reference_values(stack, r: int, c: int) -> np.ndarray:
    """The stack's values (mm) at pixel ``(r, c)``, one per interferogram.

    Read once per stack and pixel (a tile of every input decoded: the reference check and the run both ask)."""
    key = (int(r), int(c))
    if key not in stack._pixels:
        ifg, _ = stack.read(r, r + 1, cols=(c, c + 1))  # one tile per file decoded, not a row of tiles
        stack._pixels[key] = ifg[:, 0, 0].copy()
    return stack._pixels[key].copy()


def map_text(info_, row: int, col: int) -> str:
    """``'x,y [AUTHID]'`` of a pixel's centre (the text a REFERENCE point parameter takes)."""
    x, y = info_.pixel_centres(row, col)
    authid = QgsCoordinateReferenceSystem.fromWkt(info_.crs_wkt).authid() if info_.crs_wkt else ""
    return f"{float(x)!r},{float(y)!r}" + (f" [{authid}]" if authid else "")


def reference_pixel(stack, point_xy: Optional[tuple], count, log=None) -> tuple:
    """``(row, col)`` of the REFERENCE point ``point_xy`` (map x, y in the stack's CRS), checked inside the grid and
    valid in every interferogram; None: the automatic choice (:func:`automatic_reference`, logged on ``log``).
    ``count``: the scan pass's valid interferograms per pixel (None: the pixel's values are read)."""
    if point_xy is None:
        return automatic_reference(stack, count, log)[:2]
    stack_info = stack.info
    x, y = point_xy
    row, col = stack_info.world_to_pixel(x, y)
    r, c = int(np.floor(row)), int(np.floor(col))
    if not (0 <= r < stack_info.height and 0 <= c < stack_info.width):
        raise GeohazardError(f"REFERENCE: the point ({x:.6f}, {y:.6f}) is outside the interferograms "
                             f"({stack_info.height} rows x {stack_info.width} columns)")
    n_valid = int(np.isfinite(reference_values(stack, r, c)).sum()) if count is None else int(count[r, c])
    if n_valid < stack.network.n_pairs:
        raise GeohazardError(f"REFERENCE: the point ({x:.6f}, {y:.6f}) (row {r}, column {c}) has no "
                             f"data in {stack.network.n_pairs - n_valid} of {stack.network.n_pairs} "
                             "interferograms; choose a pixel valid in all of them")
    return r, c


def automatic_reference(stack, count, log=None, *, allowed=None):
    """``(row, col, ground choice or None)``: the stack's own reference, else the largest consistent ground.

    ``count`` and ``stack.ground`` come from the scan pass (:func:`~.stacks.scan_stack` with ``ground``); ``allowed``
    (rows, cols) restricts the choice to a stable area. Logged on ``log`` (the progress protocol): the pixel, its map
    coordinates and the reason (a warning when no consistent ground exists)."""
    own = None if allowed is not None else _stack_own_reference(stack, count)
    if own is not None:
        info(log, f"REFERENCE: row {own[0]}, column {own[1]} ({map_text(stack.info, own[0], own[1])}): "
                  f"the stack's own reference, {own[2]}")
        return own[0], own[1], None
    if getattr(stack, "ground", None) is None or count is None:
        raise GeohazardError("automatic reference: the stack was not scanned for its consistent ground")

    choice = choose_ground_reference(count, stack.network.n_pairs, wavelength_mm=stack.wavelength_m * 1000.0,
                                     allowed=allowed, **stack.ground)
    where = f"row {choice.row}, column {choice.col} ({map_text(stack.info, choice.row, choice.col)})"
    if choice.warning:
        warn(log, f"REFERENCE: {where}: {choice.warning}")
    else:
        inside = " (chosen inside the stable area)" if allowed is not None else ""
        info(log, f"REFERENCE: {where}: {choice.describe()}{inside}")
    return choice.row, choice.col, choice


def _stack_own_reference(stack, count) -> Optional[tuple]:
    """``(row, col, where)`` of the reference the stack itself names (a MintPy ifgramStack.h5's ``REF_Y``/``REF_X``,
    set by MintPy's reference_point step, or a product's own: OPERA DISP-S1) when that pixel has data in every
    interferogram; else None."""
    attrs = getattr(stack.mintpy, "attrs", None) or {}
    where = f"REF_Y = {{r}}, REF_X = {{c}} of {os.path.basename(stack.info.path)} (MintPy's reference point)"
    try:
        r, c = int(attrs["REF_Y"]), int(attrs["REF_X"])
    except (KeyError, TypeError, ValueError):
        own = stack.product.own_reference() if stack.product is not None else None
        if own is None:  # nor a product naming its own (OPERA DISP-S1's corrections/reference_point)
            return None
        r, c, where = own
    if not (0 <= r < stack.info.height and 0 <= c < stack.info.width):
        return None
    n_valid = int(np.isfinite(reference_values(stack, r, c)).sum()) if count is None else int(count[r, c])
    if n_valid < stack.network.n_pairs:
        return None
    return r, c, where.format(r=r, c=c)
