"""Files of the strain-rate tool: east and north velocity or displacement rasters (their declared component and unit
checked, the quantity read from them) or
points in; dilatation, maximum shear, rotation and principal-axis rasters, or a point layer, out
(:mod:`..algorithms.geometry.strainrate`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import is_date
from ...algorithms.formats.units import (
    MM_CEILING,
    MM_FLOOR,
    sentinel_mask,
    sentinel_message,
    sentinel_values,
)
from ...algorithms.geometry import strainrate as sr
from ...algorithms.progress import info as say
from ...algorithms.progress import warn
from ..base import blocks, raster, vector
from ..base.crs import metric_crs, transform_points
from ..base.metadata import geotiff_metadata
from ..base.runs import Outcome
from ..display import styles

#: What a raster's metadata may declare as its component, per expected component.
_COMPONENTS = {"EAST": ("EAST", "E", "VE", "EAST-WEST", "EW", "DE"), "NORTH": ("NORTH", "N", "VN", "NORTH-SOUTH", "NS",
                                                                              "DN")}
_RATES = ("MM/YR", "MM/YEAR", "MMYR-1", "MM/A", "MM/Y")
_LENGTHS = ("MM", "MILLIMETRE", "MILLIMETER", "MILLIMETRES", "MILLIMETERS")
#: The input's quantity, by the tool's UNIT option: 0 what the files declare (else a rate), 1 a rate, 2 a
#: displacement.
UNIT_WORDS = ("declared", "rate", "displacement")


def declared(path: str) -> dict:
    """The raster's declared ``UNIT`` and ``COMPONENT`` (upper case; "" when absent) and whether its band is dated
    (``DATED``: a displacement since a reference date)."""
    md = next(iter(geotiff_metadata([path])), (path, {}))[1]
    upper = {str(k).upper(): str(v).strip().upper() for k, v in md.items()}
    info = raster.raster_info(path, "raster")
    dated = bool(info.descriptions) and is_date(str(info.descriptions[0] or "").strip())
    return {"UNIT": upper.get("UNIT") or upper.get("UNITS", ""), "DATED": dated,
            "COMPONENT": upper.get("COMPONENT") or upper.get("TIMESERIES_COMPONENT", "")}


def quantity_of(path: str, name: str, component: str) -> str:
    """``"rate"``, ``"displacement"`` or "" (nothing declared) of an east or north raster; refused when its
    metadata says another component or a unit that is neither mm/yr nor mm (read after any m, m/yr, cm conversion
    to mm)."""
    d = declared(path)
    if d["COMPONENT"] and d["COMPONENT"] not in _COMPONENTS[component]:
        raise GeohazardError(f"{name} declares COMPONENT={d['COMPONENT']}: expected the {component.lower()} "
                             "component (ascdescdecomposition's or multisensortimeseries' east / north output)")
    unit = d["UNIT"].replace(" ", "")
    if unit in _RATES:
        return "rate"
    if unit in _LENGTHS:
        return "displacement"
    if unit:
        raise GeohazardError(f"{name} declares UNIT={d['UNIT']}: expected a velocity (mm/yr) or a displacement "
                             "(mm); convert it first")
    return "displacement" if d["DATED"] else ""


def input_quantity(paths, names, choice: int, progress) -> bool:
    """True for rates (strain per year), False for displacements (strain): the quantity the rasters declare
    (:func:`quantity_of`), else UNIT's choice (``choice``: :data:`UNIT_WORDS`), else a rate, said on ``progress``;
    a declaration that contradicts the other raster or the choice refused naming both."""
    found = [quantity_of(p, n, c) for p, n, c in zip(paths, names, ("EAST", "NORTH"))]
    said = {q for q in found if q}
    if len(said) == 2:
        raise GeohazardError(f"{names[0]} declares a {found[0]} and {names[1]} a {found[1]}: give two velocities "
                             "(mm/yr) or two displacements (mm)")
    wanted = UNIT_WORDS[choice] if choice else ""
    if said and wanted and wanted not in said:
        raise GeohazardError(f"UNIT says {wanted} but {names[0]} and {names[1]} declare a {said.pop()}: set UNIT to "
                             f"what the files hold (or to \"{UNIT_WORDS[0]}\")")
    quantity = said.pop() if said else wanted or "rate"
    if not (found[0] or found[1]) and not wanted:
        say(progress, f"{names[0]} and {names[1]} declare no unit: read as velocities (mm/yr), giving strain rates; "
                       "set UNIT to displacement for the strain of displacements (mm)")
    return quantity == "rate"


def strain_rasters(east_path: str, north_path: str, outs: dict, *, names: tuple, sigma_m: float, run,
                   progress, context=None, unit_choice: int = 0) -> dict:
    """The strain rasters asked for (``outs``: key of :data:`sr.OUTPUTS` -> ``(output ID, path or "")``) from
    the velocity rasters, block by block with a halo as wide as the kernel; returns ``{output ID: path}``."""
    infos = [raster.raster_info(p, n) for p, n in ((east_path, names[0]), (north_path, names[1]))]
    raster.check_overlapping_grids(infos, list(names))
    for grid, name in zip(infos, names):
        raster.require_projected(grid, name)
    rate = input_quantity([east_path, north_path], names, unit_choice, progress)
    info = infos[0]
    gt = info.geotransform
    if gt[2] or gt[4]:
        raise GeohazardError(f"{names[0]} is a rotated grid; warp it north-up first")
    px, py = abs(gt[1]), abs(gt[5])
    sr.check_smoothing(sigma_m, px, py)
    wanted = {k: v for k, v in outs.items() if v[1]}
    if not wanted:
        raise GeohazardError(f"name at least one output: {', '.join(pid for pid, _ in outs.values())}")
    writers = {}
    specs = sr.output_specs(rate)
    for key, (_, path) in wanted.items():
        descs, unit = specs[key]
        meta = {"UNIT": unit, "QUANTITY": f"{'strain rate' if rate else 'strain'}: {key}",
                "SMOOTHING_M": f"{sigma_m:g}",
                "SIGN": {"dilatation": "positive = areal expansion", "rotation": "positive = counter-clockwise",
                         "max_shear": "(e1 - e2) / 2, never negative",
                         "principal": "azimuths clockwise from north; extension positive"}[key]}
        writers[key] = raster.RasterWriter.like(path, info, count=len(descs), descriptions=list(descs),
                                                metadata=meta)
    sources = {"east": blocks.raster_source(east_path, dtype=np.float64, name=names[0]),
               "north": blocks.raster_source(north_path, dtype=np.float64, name=names[1])}
    func = functools.partial(sr.strain_block, pixel_x_m=px, pixel_y_m=py, sigma_m=float(sigma_m),
                             wanted=tuple(wanted))
    blocks.run_blocks(run.plan(info.height, info.width, bytes_per_pixel=sr.BYTES_PER_PIXEL,
                               halo=max(sr.halo_rows(sigma_m, py), 1)), func, sources=sources, run=run,
                      progress=progress, writers=writers, background_write=True)
    result = {}
    for key, (pid, path) in wanted.items():
        if key == "principal":
            styles.style_raster_sequential(path, context=context, band=1, vmin=0.0, vmax=180.0)
        elif key == "max_shear":
            styles.style_raster_sequential(path, context=context)
        else:
            styles.style_raster_diverging(path, context=context)
        result[pid] = path
    return result


#: The fields of the point output, in order.
POINT_FIELDS = ("dilatation", "max_shear", "rotation", "e1", "e2", "azimuth_e1_deg", "azimuth_e2_deg")


def strain_points(source, *, name: str, east_field: str, north_field: str, sigma_m: float, out_path: str,
                  context=None, progress=None, unit_choice: int = 0) -> tuple:
    """Strain rates (strains, ``unit_choice`` 2: displacements) at the points of ``source`` (``east_field`` /
    ``north_field``, mm/yr or mm) written to ``out_path`` with the fields of :data:`POINT_FIELDS`; the points left
    without a fit counted by reason on ``progress``. Returns ``(path, number of points fitted)``."""
    if source is not None and not source.sourceCrs().isValid():
        raise GeohazardError(f"{name}: the layer has no CRS; assign it (Layer Properties > Source) so that distances "
                             "between the points are known")
    pts = vector.read_points(source, (east_field, north_field), name=name, context=context)
    sr.check_smoothing(sigma_m)
    wkt = vector.wkt_of(source.sourceCrs()) if source is not None else ""
    x, y = pts.x, pts.y
    if wkt and source.sourceCrs().isGeographic():  # GNSS in latitude / longitude: distances in metres
        metric = metric_crs(x, y, wkt)
        x, y, how = transform_points(x, y, wkt, metric)
        say(progress, f"{name}: positions in degrees projected {how}: a local azimuthal equidistant projection "
                      "centred on the network, for distances in metres (the output keeps the layer's CRS)")
    for key in (east_field, north_field):
        values = np.asarray(pts.attributes[key], np.float64)
        found = sentinel_values(values)
        if found:
            pts.attributes[key] = np.where(sentinel_mask(values, found), np.nan, values)
            warn(progress, sentinel_message(f"{name}: field {key}", found, total=values.size).replace(
                "gdal_edit -a_nodata", "a NULL instead of"))
    both = np.abs(np.r_[np.asarray(pts.attributes[east_field], np.float64),
                        np.asarray(pts.attributes[north_field], np.float64)])
    both = both[np.isfinite(both)]
    if both.size:
        assumed = "mm" if unit_choice == 2 else "mm/yr"
        p99 = float(np.percentile(both, 99.0))
        label = f"{name}: fields {east_field} and {north_field} are read as {assumed}, but"
        if p99 < MM_FLOOR:
            warn(progress, f"{label} 99 % of their values are within +-{p99:.3g} {assumed}, below what geodesy "
                           f"resolves: they look like {assumed.replace('mm', 'm')}; if so, multiply them by 1000 "
                           "(Field calculator) first")
        elif p99 > MM_CEILING[assumed]:
            warn(progress, f"{label} 1 % of their values exceed {p99:.4g} {assumed}: check their unit (micrometres? "
                           "another quantity?) and scale them to mm first")
    grad = sr.gradients_points(x, y, pts.attributes[east_field], pts.attributes[north_field], sigma_m=sigma_m)
    s = sr.strain_from_gradients(grad)
    fitted = int(np.isfinite(s["dilatation"]).sum())
    if fitted == 0:
        raise GeohazardError(sr.network_problem(x, y, sigma_m=sigma_m, name=name))
    reasons = np.asarray(grad["reason"])
    empty = {r: int(np.sum(reasons == r)) for r in (sr.MISSING, sr.FEW, sr.ON_A_LINE)}
    if any(empty.values()):
        parts = [f"{empty[sr.MISSING]} without both velocities"] if empty[sr.MISSING] else []
        if empty[sr.FEW]:
            parts.append(f"{empty[sr.FEW]} with fewer than 3 effective neighbours within {3 * sigma_m:g} m "
                         "(3 x SMOOTHING_M: raise it to reach them)")
        if empty[sr.ON_A_LINE]:
            parts.append(f"{empty[sr.ON_A_LINE]} whose neighbours lie on one line (a plane is not determined)")
        warn(progress, f"{name}: {len(reasons) - fitted} of {len(reasons)} points have no "
                       f"{'strain rate' if unit_choice != 2 else 'strain'} (empty fields): {'; '.join(parts)}")
    fields = {"fid_in": np.asarray(pts.fids, dtype=np.int64)}
    fields.update({k: s[k] for k in POINT_FIELDS})
    path = vector.write_vector(out_path, fields, crs_wkt=pts.crs.toWkt() if pts.crs else source.sourceCrs().toWkt(),
                               x=pts.x, y=pts.y)
    styles.style_vector_graduated(path, "dilatation", context=context)
    return path, fitted


@dataclass(frozen=True)
class Job:
    """A run as plain values: either the velocity rasters (``east``, ``north``: paths; ``outputs``: key of
    :data:`sr.OUTPUTS` -> ``(output ID, path or "")``) or the points (``points``: the feature source, its fields
    and ``points_output``), the smoothing (m), the input's quantity (``unit``: :data:`UNIT_WORDS`), the parameter
    IDs to name (``names``: east, north, points) and the
    run-wide knobs."""

    sigma_m: float
    names: dict
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)
    east: str = ""
    north: str = ""
    outputs: dict = field(default_factory=dict)
    points: Any = None
    east_field: str = ""
    north_field: str = ""
    points_output: str = ""
    points_output_id: str = "OUTPUT_POINTS"
    unit: int = 0


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The strain rates (or strains) of the job's points (:func:`strain_points`) or rasters
    (:func:`strain_rasters`)."""
    if job.points is not None:
        path, fitted = strain_points(job.points, name=job.names["points"], east_field=job.east_field,
                                     north_field=job.north_field, sigma_m=job.sigma_m, out_path=job.points_output,
                                     context=context, progress=progress, unit_choice=job.unit)
        what = "strains (nanostrain, from displacements in mm)" if job.unit == 2 else \
            "strain rates (nanostrain/yr, from velocities in mm/yr)"
        return Outcome(outputs={job.points_output_id: path}, notes=[f"{what.capitalize()} at {fitted} points"])
    return Outcome(outputs=strain_rasters(job.east, job.north, job.outputs, names=(job.names["east"],
                                                                                   job.names["north"]),
                                          sigma_m=job.sigma_m, run=job.settings, progress=progress, context=context,
                                          unit_choice=job.unit))
