"""Files of the strain-rate tool: east and north velocity rasters (their declared component and unit checked) or
points in; dilatation, maximum shear, rotation and principal-axis rasters, or a point layer, out
(:mod:`..algorithms.geometry.strainrate`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.geometry import strainrate as sr
from ..base import blocks, raster, vector
from ..base.metadata import geotiff_metadata
from ..base.runs import Outcome
from ..display import styles

#: What a velocity raster's metadata may declare as its component, per expected component.
_COMPONENTS = {"EAST": ("EAST", "E", "VE", "EAST-WEST", "EW"), "NORTH": ("NORTH", "N", "VN", "NORTH-SOUTH", "NS")}
_VELOCITY_UNITS = ("MM/YR", "MM/YEAR", "MM YR-1", "MM/A")


def declared(path: str) -> dict:
    """The raster's declared ``UNIT`` and ``COMPONENT`` (upper case; "" when absent)."""
    md = next(iter(geotiff_metadata([path])), (path, {}))[1]
    upper = {str(k).upper(): str(v).strip().upper() for k, v in md.items()}
    return {"UNIT": upper.get("UNIT") or upper.get("UNITS", ""),
            "COMPONENT": upper.get("COMPONENT") or upper.get("TIMESERIES_COMPONENT", "")}


def check_velocity_raster(info, name: str, component: str) -> None:
    """Refuse a raster whose metadata says it is another component or not a velocity in mm/yr (band 1 is
    read)."""
    d = declared(info.path)
    if d["COMPONENT"] and d["COMPONENT"] not in _COMPONENTS[component]:
        raise GeohazardError(f"{name} declares COMPONENT={d['COMPONENT']}: expected the {component.lower()} "
                             "velocity (ascdescdecomposition's or multisensortimeseries' east / north output)")
    if d["UNIT"] and d["UNIT"].replace(" ", "") not in {u.replace(" ", "") for u in _VELOCITY_UNITS}:
        raise GeohazardError(f"{name} declares UNIT={d['UNIT']}: expected a velocity in mm/yr (a displacement or "
                             "another unit would give strain, not strain rate, or a scaled one); convert it first")


def strain_rasters(east_path: str, north_path: str, outs: dict, *, names: tuple, sigma_m: float, run,
                   progress, context=None) -> dict:
    """The strain rasters asked for (``outs``: key of :data:`sr.OUTPUTS` -> ``(output ID, path or "")``) from
    the velocity rasters, block by block with a halo as wide as the kernel; returns ``{output ID: path}``."""
    infos = [raster.raster_info(p, n) for p, n in ((east_path, names[0]), (north_path, names[1]))]
    raster.check_overlapping_grids(infos, list(names))
    for info, name, comp in zip(infos, names, ("EAST", "NORTH")):
        raster.require_projected(info, name)
        check_velocity_raster(info, name, comp)
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
    for key, (_, path) in wanted.items():
        descs, unit = sr.OUTPUTS[key]
        meta = {"UNIT": unit, "QUANTITY": f"strain rate: {key}", "SMOOTHING_M": f"{sigma_m:g}",
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
                  context=None, progress=None) -> tuple:
    """Strain rates at the points of ``source`` (velocities in ``east_field`` / ``north_field``, mm/yr) written
    to ``out_path`` with the fields of :data:`POINT_FIELDS`; returns ``(path, number of points fitted)``."""
    if source is not None and (not source.sourceCrs().isValid() or source.sourceCrs().isGeographic()):
        raise GeohazardError(f"{name}: a projected CRS in metres is needed (got "
                             f"{source.sourceCrs().authid() or 'none'}); reproject the points first")
    pts = vector.read_points(source, (east_field, north_field), name=name, context=context)
    sr.check_smoothing(sigma_m)
    s = sr.strain_from_gradients(sr.gradients_points(pts.x, pts.y, pts.attributes[east_field],
                                                     pts.attributes[north_field], sigma_m=sigma_m))
    fitted = int(np.isfinite(s["dilatation"]).sum())
    if fitted == 0:
        raise GeohazardError(f"{name}: no point has enough neighbours within {3 * sigma_m:g} m (3 x SMOOTHING_M) "
                             "to fit a plane; raise SMOOTHING_M")
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
    and ``points_output``), the smoothing (m), the parameter IDs to name (``names``: east, north, points) and the
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


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The strain rates of the job's points (:func:`strain_points`) or rasters (:func:`strain_rasters`)."""
    if job.points is not None:
        path, fitted = strain_points(job.points, name=job.names["points"], east_field=job.east_field,
                                     north_field=job.north_field, sigma_m=job.sigma_m, out_path=job.points_output,
                                     context=context)
        return Outcome(outputs={job.points_output_id: path}, notes=[f"Strain rates at {fitted} points"])
    return Outcome(outputs=strain_rasters(job.east, job.north, job.outputs, names=(job.names["east"],
                                                                                   job.names["north"]),
                                          sigma_m=job.sigma_m, run=job.settings, progress=progress, context=context))
