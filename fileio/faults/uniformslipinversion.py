"""The run of uniformslipinversion: the LOS rasters read and quadtree-sampled, the uniform-slip fault found by a global
search (:func:`..algorithms.faults.inversion.invert_uniform_slip`) and written as a line, the Monte-Carlo
realisations as a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import ogr

from ...algorithms.faults.faults import mechanism
from ...algorithms.faults.inversion import UNIFORM_PARAMETERS, concat_samples, invert_uniform_slip
from ..base import vector
from ..base.runs import Outcome
from .faults import fault_fields, fit_values, read_los_datasets, trace_wkb

#: the table's columns after the search's parameters
DERIVED = ("strike_slip_m", "dip_slip_m", "slip_m", "rake_deg", "mw")


@dataclass(frozen=True)
class Job:
    """A run as plain values: the LOS rasters (``(parameter ID, path, incidence_deg, heading_deg)`` each), the
    quadtree's split threshold (mm), the search box (``(min, max)`` per parameter of
    :data:`~..algorithms.faults.inversion.UNIFORM_PARAMETERS`; None for the location: the first raster's extent),
    the rake bounds (None: free rake), the largest slip (m), the elastic constants, the search's sizes and seed, and
    the outputs' paths (``table`` empty: not written)."""

    los: tuple
    quadtree_std_mm: float
    bounds: tuple
    fault_output: str
    table_output: str = ""
    rake_range_deg: Optional[tuple] = None
    max_slip_m: float = 20.0
    shear_modulus_pa: float = 3.2e10
    poisson: float = 0.25
    n_monte_carlo: int = 20
    max_iterations: int = 60
    seed: int = 0


def search_box(bounds, info) -> list:
    """``bounds`` with the location's missing ranges (None) taken from the raster ``info``'s extent."""
    gt = info.geotransform
    extent = ((gt[0], gt[0] + info.width * gt[1]), tuple(sorted((gt[3], gt[3] + info.height * gt[5]))))
    return [tuple(extent[axis]) if b is None else tuple(b) for axis, b in enumerate(bounds)]


def run(job: Job, *, progress=None) -> Outcome:
    """The search and its outputs; the log gives the best fault, the mechanism found and the Monte-Carlo means and
    standard deviations; the run returns M0, Mw, the RMS and the variance reduction."""
    datasets = read_los_datasets(list(job.los), job.quadtree_std_mm)
    info = datasets[0][0]
    samples = concat_samples([d[5] for d in datasets])
    res = invert_uniform_slip(samples, search_box(job.bounds, info), rake_range_deg=job.rake_range_deg,
                              shear_modulus_pa=job.shear_modulus_pa, max_slip_m=job.max_slip_m, poisson=job.poisson,
                              n_monte_carlo=job.n_monte_carlo, maxiter=job.max_iterations, seed=job.seed,
                              progress=progress)
    f = res.fault
    notes = [f"best: {dict(zip(UNIFORM_PARAMETERS, np.round(res.params, 2)))}, slip {f.slip_m[0]:.3f} m, "
             f"RMS {res.rms_mm:.2f} mm",
             f"mechanism found ({'rake bounds' if job.rake_range_deg else 'free rake'}): "
             f"{mechanism(f, job.shear_modulus_pa)}"]
    names = list(UNIFORM_PARAMETERS) + list(DERIVED)
    if len(res.realisations) and progress is not None:
        for k, nm in enumerate(names):
            col = res.realisations[:, k]
            sd = col.std(ddof=1) if len(col) > 1 else 0.0
            progress.push_info(f"{nm}: mean {col.mean():.4g}, std {sd:.3g}")
    fields = fault_fields(f, np.array([100]))
    fields["mw"] = np.array([res.mw])
    vector.write_vector(job.fault_output, fields, crs_wkt=info.crs_wkt, wkb=trace_wkb(f, 0.0, 0.0),
                        geometry_type=ogr.wkbLineString)
    outputs = {"OUTPUT_FAULT": job.fault_output}
    if job.table_output and len(res.realisations):
        cols = {"realisation": np.arange(1, len(res.realisations) + 1, dtype=np.int64)}
        cols.update({nm: res.realisations[:, k] for k, nm in enumerate(names)})
        vector.write_vector(job.table_output, cols, wkb=[None] * len(res.realisations), geometry_type=ogr.wkbNone)
        outputs["OUTPUT_TABLE"] = job.table_output
    return Outcome(outputs=outputs, values=fit_values(res), notes=notes)
