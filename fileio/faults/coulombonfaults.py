"""The run of coulombonfaults: the receiver traces cut into segments, the Coulomb stress change resolved on each at
every depth (:func:`..algorithms.faults.receivers.coulomb_on_receivers`), written as a GeoPackage of line
segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from osgeo import ogr

from ...algorithms.faults.receivers import coulomb_on_receivers, split_receivers
from ..base import vector
from ..base.runs import Outcome
from .faults import SourceFaults, read_fault_lines, read_source_faults, segment_wkb


@dataclass(frozen=True)
class Job:
    """A run as plain values: the source faults (read by the run, :func:`.faults.read_source_faults`), the receiver
    fault layer (``receivers``, read by the run in the sources' CRS ``crs``, its traces' dip, rake, top and bottom
    from its fields, else ``receiver_defaults``, NaN where unknown), the depths (m; None: each receiver's mid-depth),
    the elastic constants, friction, the stress unit's Pa, the output's path and CRS (WKT), and the parameter IDs to
    name (``receivers``, ``depths``)."""

    sources: SourceFaults
    receivers: Any
    receiver_defaults: dict
    crs: Any
    depths_m: tuple
    shear_modulus_pa: float
    poisson: float
    friction: float
    scale_pa: float
    output: str
    crs_wkt: str
    ids: dict


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """Segments and their stresses, written with the segments' own fields (strike, dip, rake, top, bottom)."""
    faults = read_source_faults(job.sources)
    traces, attributes, names, _ = read_fault_lines(job.receivers, name=job.ids["receivers"],
                                                    defaults=job.receiver_defaults, dest_crs=job.crs, context=context)
    seg = split_receivers(traces, attributes, names, name=job.ids["receivers"], progress=progress)
    fields = {**seg.fields(), **coulomb_on_receivers(
        seg, list(job.depths_m), faults.table(), shear_modulus_pa=job.shear_modulus_pa, poisson=job.poisson,
        friction=job.friction, scale_pa=job.scale_pa, depths_name=job.ids["depths"], progress=progress)}
    vector.write_vector(job.output, fields, crs_wkt=job.crs_wkt, wkb=segment_wkb(seg.p0, seg.p1),
                        geometry_type=ogr.wkbLineString)
    return Outcome(outputs={"OUTPUT": job.output})
