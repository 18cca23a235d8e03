"""The run of importcoulombinput: a Coulomb 3.x .inp file read, its faults placed in the chosen CRS and written as
line layers (sources: faults with slip; receivers: the others) carrying the file's constants."""

from __future__ import annotations

from dataclasses import dataclass

from osgeo import ogr
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.faults import coulomb_inp, okada
from ...algorithms.faults.faults import moment
from ..base import vector
from ..base.runs import Outcome
from .faults import constant_fields, fault_fields, frame_on_earth, require_projected_crs, trace_ends, trace_wkb


@dataclass(frozen=True)
class Job:
    """A run as plain values: the .inp file, the CRS of its frame (an authority ID such as ``EPSG:32610``, or WKT),
    the frame's origin (map coordinates, m), the outputs' paths (``receivers`` empty: not written) and the parameter
    ID of the CRS."""

    path: str
    crs: str
    origin_east: float
    origin_north: float
    sources: str
    receivers: str = ""
    crs_id: str = "CRS"


def crs_from(definition: str) -> QgsCoordinateReferenceSystem:
    """A CRS from an authority ID (``EPSG:32610``) or WKT."""
    crs = QgsCoordinateReferenceSystem(definition)
    return crs if crs.isValid() else QgsCoordinateReferenceSystem.fromWkt(definition)


def run(job: Job, *, progress=None) -> Outcome:
    """The two layers; the log gives the file's constants, its regional stress and the sources' moment, and warns
    about a frame off the CRS's area of use and about point sources (not drawn as lines)."""
    crs = crs_from(job.crs)
    require_projected_crs(crs, job.crs_id)
    cin = coulomb_inp.read_coulomb_inp(job.path)
    e0, n0 = job.origin_east, job.origin_north
    where = frame_on_earth(crs, (e0, n0), *trace_ends(cin.faults, e0, n0))
    if where and progress is not None:
        progress.push_warning(where)
    notes = [f"Poisson {cin.poisson}, Young {cin.young_pa:.4g} Pa (shear modulus {cin.shear_modulus_pa:.4g} Pa), "
             f"friction {cin.friction} (written on every feature: fields shear_modulus_pa, poisson, friction), "
             f"calculation depth {cin.calc_depth_m / 1000.0:g} km (use it in DEPTHS), regional stress (azimuth, "
             f"plunge, Pa, compression +) {cin.regional}"]
    outputs = {}
    wkt = vector.wkt_of(crs)
    for key, path, mask in (("OUTPUT_SOURCES", job.sources, cin.is_source),
                            ("OUTPUT_RECEIVERS", job.receivers, ~cin.is_source)):
        if not path:
            continue
        points = mask & (cin.faults.kind == okada.KIND_POINT)
        if points.any() and progress is not None:
            progress.push_warning(f"{int(points.sum())} Kode 400 point source(s) are not written as lines; use the "
                                  ".inp file directly in the fault tools (COULOMB_INP)")
        mask = mask & ~points
        f = cin.faults.subset(mask)
        fields = {**fault_fields(f, cin.kode[mask]),
                  **constant_fields(len(f), shear_modulus_pa=cin.shear_modulus_pa, poisson=cin.poisson,
                                    friction=cin.friction)}
        vector.write_vector(path, fields, crs_wkt=wkt, wkb=trace_wkb(f, e0, n0), geometry_type=ogr.wkbLineString)
        outputs[key] = path
        if key == "OUTPUT_SOURCES" and len(f):
            m0, mw = moment(f, shear_modulus_pa=cin.shear_modulus_pa)
            notes.append(f"{len(f)} sources: M0 = {m0:.4g} N m, Mw = {mw:.2f}")
    return Outcome(outputs=outputs, notes=notes)
