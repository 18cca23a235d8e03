"""The automatic reference of every stack tool, by one rule (the SBAS inversion, the stacking velocity and the
reference-point tool pick the pixel the same way): the reference the stack itself names (a MintPy ifgramStack.h5's
``REF_Y``/``REF_X``, a product's own) when that pixel has data in every interferogram, else the largest consistent
ground (:mod:`~..algorithms.timeseries.ground_reference`; inside the stable area when one is given). The log says
which pixel (row, column, map coordinates) and why."""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.errors import GeohazardError
from ...algorithms.progress import info, warn
from ...algorithms.timeseries.ground_reference import choose_ground_reference
from .stacks import StackInput, reference_values


def map_text(info, row: int, col: int) -> str:
    """``'x,y [AUTHID]'`` of a pixel's centre (the text a REFERENCE point parameter takes)."""
    x, y = info.pixel_centres(row, col)
    authid = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid() if info.crs_wkt else ""
    return f"{float(x)!r},{float(y)!r}" + (f" [{authid}]" if authid else "")


def automatic_reference(stack: StackInput, count, log=None, *, allowed=None):
    """``(row, col, ground choice or None)``: the stack's own reference, else the largest consistent ground.

    ``count`` and ``stack.ground`` come from the scan pass (:func:`~.stacks.scan_stack` with ``ground``);
    ``allowed`` (rows, cols) restricts the choice to a stable area. Logged on ``log`` (a progress with
    ``push_info``): the pixel, its map coordinates and the reason (a warning when no consistent ground exists)."""
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


def _stack_own_reference(stack: StackInput, count) -> Optional[tuple]:
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
