"""The run of slipinversion: the fault traces read in the LOS rasters' CRS, the LOS rasters read and
quadtree-sampled, the fault cut into patches and the slip inverted
(:func:`..algorithms.faults.inversion.invert_fault_slip`), the patches, samples, model, residual and L-curve
written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.faults import inversion
from ...algorithms.faults.faults import Faults, faults_from_traces, mechanism
from ..base.raster import raster_info
from ..base.runs import Outcome
from ..base.vector import wkt_of
from .faults import fit_values, read_fault_lines, read_los_datasets, write_slip_outputs

#: output ID -> the name :func:`.faults.write_slip_outputs` gives it
OUTPUT_NAMES = {"OUTPUT_PATCHES": "patches", "OUTPUT_SAMPLES": "samples", "OUTPUT_MODEL": "model",
                "OUTPUT_RESIDUAL": "residual", "OUTPUT_LCURVE": "lcurve"}


@dataclass(frozen=True)
class Job:
    """A run as plain values: the LOS rasters (``(parameter ID, path, incidence_deg, heading_deg)`` each), the
    quadtree's split threshold (mm), the fault traces (``fault``: the line layer's feature source, read by the run
    in the first raster's CRS; ``fault_name``: its parameter ID) with the dip (degrees) and the top and bottom depths
    (m) of the planes under them, the patch size (m), the dips of a dip search (None: the fault's own), the smoothing
    (0: the L-curve corner), the rake bounds (None: free rake), the largest slip (m), the ramp, the elastic
    constants and the outputs' paths by output ID (empty: not written)."""

    los: tuple
    quadtree_std_mm: float
    fault: Any
    dip_deg: float
    top_m: float
    bottom_m: float
    patch_length_m: float
    patch_width_m: float
    outputs: dict
    dips_deg: Optional[tuple] = None
    smoothing: float = 0.0
    rake_range_deg: Optional[tuple] = None
    max_slip_m: float = 50.0
    ramp: bool = True
    poisson: float = 0.25
    shear_modulus_pa: float = 3.2e10
    fault_name: str = "FAULT"


def read_faults(source, *, name: str, dip_deg: float, top_m: float, bottom_m: float, crs_wkt: str,
                context=None) -> Faults:
    """The fault model of the line layer ``source`` (parameter ``name``) in the CRS ``crs_wkt``: one plane per
    trace segment, dipping ``dip_deg`` from ``top_m`` to ``bottom_m`` (m; a trace's own dip, top and bottom fields
    are not read: this tool's depths are in m)."""
    defaults = {"dip": dip_deg, "slip": 0.0, "rake": 0.0, "top": top_m, "opening": 0.0, "bottom": bottom_m}
    traces, _, names, _ = read_fault_lines(source, name=name, defaults=defaults,
                                           dest_crs=QgsCoordinateReferenceSystem(crs_wkt), context=context)
    return faults_from_traces(traces, dip_deg=dip_deg, top_m=top_m, bottom_m=bottom_m, names=names)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The inversion and its outputs; the log gives the samples, the dip search's table, the fit and the mechanism
    found; the run returns M0, Mw, the RMS and the variance reduction. The fault is read first (a refusal of it
    comes before the rasters are read)."""
    first, path = job.los[0][:2]
    faults = read_faults(job.fault, name=job.fault_name, dip_deg=job.dip_deg, top_m=job.top_m,
                         bottom_m=job.bottom_m, crs_wkt=raster_info(path, first).crs_wkt, context=context)
    datasets = read_los_datasets(list(job.los), job.quadtree_std_mm)
    samples = inversion.concat_samples([d[5] for d in datasets])
    say = progress.push_info if progress is not None else (lambda text: None)
    say(f"{samples.east_m.size} quadtree samples from {len(datasets)} dataset(s)")
    opts = dict(rake_range_deg=job.rake_range_deg, max_slip_m=job.max_slip_m, ramp=job.ramp, poisson=job.poisson)
    dips = None if job.dips_deg is None else np.asarray(job.dips_deg, float)
    size = dict(patch_length_m=job.patch_length_m, patch_width_m=job.patch_width_m)
    inversion.check_problem_size(faults, **size, n_samples=samples.east_m.size, dips_deg=dips)
    res, patches, index, dip_table = inversion.invert_fault_slip(
        samples, faults, **opts, **size, smoothing=job.smoothing, shear_modulus_pa=job.shear_modulus_pa,
        dips_deg=dips, progress=progress)
    if dip_table is not None:
        for dip, rms, mw in dip_table:
            say(f"dip {dip:g}: RMS {rms:.3f} mm, Mw {mw:.3f}")
        say(f"best dip {dip_table[np.argmin(dip_table[:, 1]), 0]:g} degrees")
    notes = [f"{len(patches)} patches, M0 = {res.m0_nm:.4g} N m, RMS = {res.rms_mm:.2f} mm, variance reduction = "
             f"{100 * res.variance_reduction:.1f} %, smoothing = {res.smoothing:.4g}",
             f"mechanism found ({'rake bounds' if job.rake_range_deg else 'free rake'}): "
             f"{mechanism(res.patches, job.shear_modulus_pa)}"]
    paths = {name: job.outputs.get(oid, "") for oid, name in OUTPUT_NAMES.items()}
    crs_wkt = wkt_of(QgsCoordinateReferenceSystem(datasets[0][0].crs_wkt))
    written = write_slip_outputs(res, samples, patches, index, datasets[0], crs_wkt, paths, model_options=opts,
                                 log=progress)
    return Outcome(outputs={oid: written[name] for oid, name in OUTPUT_NAMES.items() if name in written},
                   values=fit_values(res), notes=notes)
