"""Files of pstimeseries: the perpendicular baselines read for the stack's dates, the PS and DS points selected from the
amplitude dispersion and temporal coherence rasters, their phase read from the stack block by block, the arc network
solved (:mod:`..algorithms.psds.psi`) and the points written as a GeoPackage with their velocity, height error and
displacement series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import slc as baseline_files
from ...algorithms.progress import SubProgress, check_canceled, info
from ...algorithms.psds import psi
from ..base.runs import Outcome
from . import slc


@dataclass(frozen=True)
class Job:
    """A run as plain values: the phase stack as read (``stack``: :class:`.slc.SlcStack`), the rasters that select the
    points (``dispersion``, ``coherence``: paths, "" = not given) with their parameter IDs (``names``) and thresholds,
    the perpendicular baselines (``baselines``: the table or product file, read by the run for the stack's dates; "" =
    velocity only), the wavelength (m), ``geometry()`` the scene's slant range (m) and incidence (degrees) by the
    acquisition rule, asked once the baselines are read (NaN when no baselines need them), the reference pixel ``(row,
    col)`` (None = the best point), the arc limits (coherence, velocity mm/yr, height error m, length; None = no length
    limit), the latitude / longitude rasters of a radar-geometry stack ("" = none) and the output GeoPackage with its
    output ID."""

    stack: Any
    output: str
    wavelength_m: float
    dispersion: str = ""
    coherence: str = ""
    names: tuple = ("DISPERSION", "TEMPORAL_COHERENCE")
    dispersion_threshold: float = 0.25
    coherence_threshold: float = 0.8
    baselines: str = ""
    geometry: Callable = lambda: (float("nan"), float("nan"))
    reference: Optional[tuple] = None
    arc_coherence_min: float = 0.7
    max_velocity_mm_yr: float = 50.0
    max_height_error_m: float = 50.0
    max_arc_length: Optional[float] = None
    latitude: str = ""
    longitude: str = ""
    output_id: str = "OUTPUT"


def _reference_index(reference, rows, cols) -> Optional[int]:
    """The index among the selected points of the reference pixel ``(row, col)``; None for the automatic one."""
    if reference is None:
        return None
    hit = np.flatnonzero((rows == reference[0]) & (cols == reference[1]))
    if hit.size == 0:
        raise GeohazardError(f"reference pixel (row {reference[0]}, column {reference[1]}) is not a selected PS/DS "
                             "point")
    return int(hit[0])


def read_bperp(path: str, dates) -> Optional[np.ndarray]:
    """The perpendicular baselines (m) of ``dates`` relative to the first, from the table or product file ``path``
    (:func:`~...algorithms.formats.slc.read_baselines`); None without one ("")."""
    if not path:
        return None
    return baseline_files.baselines_for_dates(baseline_files.read_baselines(path), dates)


def run(job: Job, *, progress=None) -> Outcome:
    """Read the baselines, select the points, solve their arc network and write them; the counts said on
    ``progress``."""
    stack = job.stack
    bperp = read_bperp(job.baselines, stack.dates)  # a refusal of the baselines before the stack is read
    slant_range_m, incidence_deg = job.geometry()  # the geometry rule's refusal next, as its log lines
    grid = stack.info
    rows, cols, kinds, quality, phase = slc.ps_ds_points(
        stack, job.dispersion or None, job.coherence or None, dispersion_threshold=job.dispersion_threshold,
        coherence_threshold=job.coherence_threshold, names=job.names, progress=SubProgress(progress, 0, 30))
    info(progress, f"{(kinds == 'PS').sum()} PS and {(kinds == 'DS').sum()} DS points selected")
    x, y = grid.pixel_centres(rows, cols) if grid.has_georef else (cols + 0.5, rows + 0.5)
    res = psi.ps_time_series(
        phase, x, y, stack.dates, bperp_m=bperp, wavelength_m=job.wavelength_m,
        slant_range_m=slant_range_m, incidence_deg=incidence_deg,
        reference=_reference_index(job.reference, rows, cols), arc_coherence_min=job.arc_coherence_min,
        max_velocity_mm_yr=job.max_velocity_mm_yr, max_height_error_m=job.max_height_error_m,
        max_arc_length=job.max_arc_length, quality=quality, progress=SubProgress(progress, 30, 90))
    check_canceled(progress)
    info(progress, f"{int(res.arc_accepted.sum())} of {res.arcs.shape[0]} arcs accepted; {res.index.size} points "
                   f"kept; reference at row {rows[res.reference]}, column {cols[res.reference]}")
    slc.write_ps_points(job.output, grid, res, rows, cols, kinds, stack.dates, job.latitude or None,
                        job.longitude or None, has_bperp=bperp is not None,
                        progress=SubProgress(progress, 90, 100))
    return Outcome(outputs={job.output_id: job.output})
