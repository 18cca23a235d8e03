"""Unwrapping with a prior model ("re-differential" or model-assisted unwrapping).

Where the phase changes by more than pi from one pixel to the next (a mining basin, a fast landslide), no unwrapper
can tell the cycles apart: the wrapped difference is the smaller of two candidates, always the wrong one. The remedy
of the mining-subsidence studies: subtract a model of the expected signal (a probability-integral basin, an offset-
tracking field, another sensor's low-passed deformation), unwrap the wrapped residual, whose fringes are sparse,
and add the model back::

    residual = wrap(phi - prior)        unwrapped = unwrap(residual) + prior

``unwrapped`` equals ``phi`` plus a whole number of cycles at every pixel (the prior only chooses which), so a
prior that is wrong by less than half a cycle per pixel in its gradient costs nothing.

The prior is given in radians in the interferogram's convention, in mm of line-of-sight displacement (positive
toward the satellite) or in mm/yr (times the pair's time span); millimetres become radians through the project's one
phase <-> mm rule (:mod:`algorithms.conventions`, phase grows with range: ``phase = -4 pi d / lambda``).

What the report says (:class:`PriorStats`): ``prior_share``, the share of the unwrapped field's gradient energy the
prior carried, ``1 - sum |grad(unwrapped - prior)|^2 / sum |grad(unwrapped)|^2`` (1: the residual is flat; 0: the
prior explained nothing; below 0: it added gradient), and ``residual_steepness``, the mean absolute wrapped
gradient of the residual over that of the input (below 1 when the prior flattens the fringes). A residual steeper
than the input (``residual_steepness > 1``) is what a prior of the wrong sign or unit does: flagged.
"""

from __future__ import annotations

import numpy as np

from .. import conventions
from ..errors import GeohazardError
from .unwrap import wrapped_phase

UNITS = ("rad", "mm", "mm/yr")
#: A residual whose mean wrapped gradient exceeds the input's by this factor is flagged (wrong sign or unit).
STEEPER_FACTOR = 1.0


def prior_scale(units: str, *, wavelength_m=None, span_years=None) -> float:
    """Radians of the interferogram per unit of the prior (``"rad"``, ``"mm"`` or ``"mm/yr"``).

    ``mm`` needs the wavelength (m); ``mm/yr`` also the pair's time span (years, later date minus earlier)."""
    if units == "rad":
        return 1.0
    if units not in UNITS:
        raise GeohazardError(f"PRIOR_UNITS must be one of {UNITS}, got {units!r}")
    if not (wavelength_m and wavelength_m > 0):
        raise GeohazardError(f"a prior in {units} needs the radar wavelength; the interferograms carry none")
    per_mm = float(conventions.los_mm_to_phase(1.0, wavelength_m))
    if units == "mm":
        return per_mm
    if span_years is None or not np.isfinite(span_years):
        raise GeohazardError("a prior in mm/yr needs the pair's time span (its dates)")
    return per_mm * float(span_years)


#: A prior in radians whose values stay within -pi..pi (this much beyond, for rounding) and jump by more than pi
#: between neighbours in at least this share of the pairs of neighbours is a wrapped phase, not a model.
WRAPPED_PRIOR_TOLERANCE = 0.05
WRAPPED_PRIOR_JUMPS = 0.001


def wrapped_prior_problem(prior_rad, name: str = "PRIOR") -> str:
    """Why ``prior_rad`` (a sample of rows of a prior in radians, NaN without value) cannot be a prior: a wrapped
    phase, confined to (-pi, pi] with fringes (jumps of more than pi between neighbours), would come back as the
    "unwrapped" output, since the residual wrap(phi - prior) is then flat. "" when it can."""
    a = np.asarray(prior_rad, dtype=np.float64)
    finite = np.isfinite(a)
    if not finite.any():
        return ""
    lo, hi = float(a[finite].min()), float(a[finite].max())
    if lo < -np.pi - WRAPPED_PRIOR_TOLERANCE or hi > np.pi + WRAPPED_PRIOR_TOLERANCE:
        return ""
    jumps = checked = 0
    for d in (np.diff(a, axis=0), np.diff(a, axis=1)):
        d = np.abs(d[np.isfinite(d)])
        jumps += int(np.count_nonzero(d > np.pi))
        checked += d.size
    if checked == 0 or jumps < max(2, WRAPPED_PRIOR_JUMPS * checked):
        return ""
    return (f"{name}: values stay within {lo:.3g}..{hi:.3g} rad and jump by more than pi between neighbours "
            f"{jumps} times: this is a wrapped phase, not a prior model. A prior must be unwrapped (the expected "
            "phase, e.g. a modelled basin or another result's unwrapped phase, or a displacement in mm with "
            "PRIOR_UNITS); a wrapped one would come back as the output unchanged")


def wrapped_phase_of(data) -> np.ndarray:
    """Wrapped phase (float64, NaN without value) of complex or phase rows."""
    arr = np.asarray(data)
    if np.iscomplexobj(arr):
        out = np.angle(arr).astype(np.float64)
        out[~np.isfinite(arr) | (arr == 0)] = np.nan
        return out
    return arr.astype(np.float64)


def wrapped_residual(data, prior_rad, name: str = "interferogram") -> np.ndarray:
    """``wrap(phi - prior)`` as float32 in [-pi, pi] (NaN where the interferogram has no value; a prior without
    value counts as 0: it says nothing there). An interferogram that is not wrapped is refused as by
    :func:`~algorithms.unwrap.unwrap.wrapped_phase`."""
    phi = wrapped_phase(data, name, allow_empty=True).astype(np.float64)
    prior = np.nan_to_num(np.asarray(prior_rad, np.float64), nan=0.0)
    return np.angle(np.exp(1j * (phi - prior))).astype(np.float32)


def add_back(unwrapped, prior_rad) -> np.ndarray:
    """The unwrapped residual plus the prior (float32; NaN stays NaN; a prior without value counts as 0)."""
    prior = np.nan_to_num(np.asarray(prior_rad, np.float64), nan=0.0)
    return (np.asarray(unwrapped, np.float64) + prior).astype(np.float32)


def _gradients(a):
    return np.diff(a, axis=1), np.diff(a, axis=0)


class PriorStats:
    """Sums over rows (added in row order) for the report of one interferogram unwrapped with a prior."""

    def __init__(self):
        self.energy_unw = self.energy_res = 0.0
        self.steep_in = self.steep_res = 0.0
        self.n_unw = self.n_in = 0

    def add(self, wrapped, prior_rad, unwrapped) -> None:
        """Rows of the input (complex or wrapped phase), the prior (rad) and the final unwrapped phase."""
        phi = wrapped_phase_of(wrapped)
        prior = np.nan_to_num(np.asarray(prior_rad, np.float64), nan=0.0)
        unw = np.asarray(unwrapped, np.float64)
        for g_unw, g_res in zip(_gradients(unw), _gradients(unw - prior)):
            ok = np.isfinite(g_unw)
            self.energy_unw += float(np.sum(g_unw[ok] ** 2))
            self.energy_res += float(np.sum(g_res[ok] ** 2))
            self.n_unw += int(ok.sum())
        res = phi - prior
        for g_in, g_res in zip(_gradients(phi), _gradients(res)):
            ok = np.isfinite(g_in)
            self.steep_in += float(np.sum(np.abs(np.angle(np.exp(1j * g_in[ok])))))
            self.steep_res += float(np.sum(np.abs(np.angle(np.exp(1j * g_res[ok])))))
            self.n_in += int(ok.sum())

    def result(self) -> dict:
        share = 1.0 - self.energy_res / self.energy_unw if self.energy_unw > 0 else float("nan")
        steep = self.steep_res / self.steep_in if self.steep_in > 0 else float("nan")
        return {"prior_share": share, "residual_steepness": steep,
                "prior_flagged": bool(np.isfinite(steep) and steep > STEEPER_FACTOR)}


def flag_message(pair: str, stats: dict) -> str:
    """The warning of an interferogram whose residual came out steeper than its input (empty when not)."""
    if not stats.get("prior_flagged"):
        return ""
    return (f"{pair}: the residual after removing the PRIOR is steeper than the interferogram itself (mean wrapped "
            f"gradient x{stats['residual_steepness']:.2f}): the prior looks like it has the wrong sign or unit "
            "(PRIOR_UNITS; mm are positive toward the satellite, radians in the interferogram's convention)")


def unwrap_with_prior(data, prior_rad, unwrap, **kwargs):
    """``unwrap(residual, **kwargs)`` (an unwrapper of arrays returning an object with ``unwrapped`` and
    ``stats``, e.g. :func:`~algorithms.unwrap.unwrap.unwrap_interferogram`) on the wrapped residual, with the
    prior added back and the prior's statistics in ``stats``."""
    data = np.asarray(data)
    prior = np.asarray(prior_rad, np.float64)
    if prior.shape != data.shape:
        raise GeohazardError(f"the prior has shape {prior.shape}, expected {data.shape} like the interferogram")
    res = unwrap(wrapped_residual(data, prior, kwargs.get("name", "interferogram")), **kwargs)
    res.unwrapped = add_back(res.unwrapped, prior)
    stats = PriorStats()
    stats.add(data, prior, res.unwrapped)
    res.stats.update(stats.result())
    return res
