"""Pure block functions of the interferogram-stack raster tools, for the block engine (:mod:`algorithms.engine`).

``inputs`` hold the block's stack ``(n_ifg, rows, cols)`` in the order of the network;
outputs are the block's rasters. Conventions: LOS positive toward the satellite, mm and
mm/yr (:mod:`algorithms.conventions`).
"""

from __future__ import annotations

import numpy as np

from .phase_gradient import phase_gradient_stack
from .sbas import coherence_to_weight
from .stacking import stacking_velocity


def stacking_block(block, inputs, *, span_years, reference_mm=None, weighted: bool = False,
                   coherence_threshold: float = 0.0, looks: int = 10, min_count: int = 1) -> dict:
    """Weighted rate stacking of one block (:func:`algorithms.timeseries.stacking.stacking_velocity`).

    ``inputs["stack"]`` is ``(ifg_mm, coherence)``: LOS mm ``(M, rows, cols)`` and the
    coherence of the same pairs or ``None``. With coherence, weights are the inverse phase
    variance (``weighted``) or ones, and zero where coherence is below
    ``coherence_threshold``. Returns ``velocity``, ``velocity_std`` (mm/yr) and ``count`` (int16).
    """
    ifg, coh = inputs["stack"]
    w = None
    if coh is not None:
        w = coherence_to_weight(coh, looks=looks) if weighted else np.ones(coh.shape)
        w[~(coh >= coherence_threshold)] = 0.0
    v, s, n = stacking_velocity(ifg, span_years, weights=w, min_count=min_count, reference_mm=reference_mm)
    return {"velocity": v, "velocity_std": s, "count": n.astype(np.int16)}


def phase_gradient_block(block, inputs, *, span_years, wavelength_m: float, signs, min_count: int = 1) -> dict:
    """Phase-gradient stacking of one block (:func:`algorithms.timeseries.phase_gradient.phase_gradient_stack`).

    ``inputs["phase"]``: wrapped phase (radians) or complex interferograms ``(M, rows, cols)``
    read with one halo row (the row gradient needs the next row); ``signs`` (M,) flips each
    interferogram (complex: conjugate); optional ``inputs["coherence"]`` weights.
    Returns ``magnitude_mm_yr``, ``col_mm_yr`` and ``row_mm_yr`` of the block's rows.
    """
    top = block.row0 - block.read0  # the gradient looks one row down: drop the halo row above
    raw = inputs["phase"]
    phase = np.stack([(a if s > 0 else np.conj(a)) if np.iscomplexobj(a) else s * a
                      for a, s in zip(raw[:, top:], signs)])
    w = None
    if "coherence" in inputs:
        w = np.ascontiguousarray(inputs["coherence"][:, top:])
    res = phase_gradient_stack(phase, span_years, wavelength_m=wavelength_m, weights=w, min_count=min_count)
    n = block.rows
    return {k: res[k][:n] for k in ("magnitude_mm_yr", "col_mm_yr", "row_mm_yr")}
