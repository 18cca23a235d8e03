"""Acquisition-geometry parameters into plain values: the ascending + descending pair of a decomposition.

Two rasters on one grid, or two point layers gridded on square cells (EPSG:3035 by default, or a
TEMPLATE's grid), each with its heading/incidence (or per-point LOS fields) and standard deviation; the
solver's options, with the time-series route falling back to velocities on undated inputs.
"""

from __future__ import annotations

import functools

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.dates import dated_fields, is_date, parse_date
from ...algorithms.geometry import decomposition as _dec
from ...algorithms.geometry import distortion as _dist
from ...algorithms.geometry import los
from ...algorithms.progress import SubProgress
from ...fileio.base import blocks, raster, vector
from ...fileio.geometry import geometry
from . import values as _values
from .acquisition import heading_hint, incidence_hint, points_carry_los, scene_value, user_number
from .angles import incidence_kind

LOS_FIELDS = ["los_east", "los_north", "los_up", "incidence_angle", "track_angle"]


def _pairs(alg):
    rasters, points = (alg.ASC_RASTER, alg.DESC_RASTER), (alg.ASC_POINTS, alg.DESC_POINTS)
    return rasters, points


def pair_mode(alg, parameters) -> str:
    """"raster" or "points": which pair of inputs was given (exactly one complete pair)."""
    rasters, points = _pairs(alg)
    r = [bool(parameters.get(p)) for p in rasters]
    p = [bool(parameters.get(q)) for q in points]
    if all(r) and not any(p):
        return "raster"
    if all(p) and not any(r):
        return "points"
    if any(r) and any(p):
        raise GeohazardError("give either two rasters (ASC_RASTER, DESC_RASTER) or two point layers, not a mix")
    missing = [n for n, v in zip(rasters, r) if not v] if any(r) else \
        [n for n, v in zip(points, p) if not v] if any(p) else \
        ["ASC_RASTER/ASC_POINTS", "DESC_RASTER/DESC_POINTS"]
    raise GeohazardError(f"one geometry is missing: {', '.join(missing)}; decomposition needs ascending and "
                         "descending")


def check_pair(alg, parameters, context) -> None:
    """The pair is complete and consistent: rasters overlap on one grid; points get a projected grid."""
    if pair_mode(alg, parameters) == "raster":
        if parameters.get(alg.TEMPLATE):
            raise GeohazardError("TEMPLATE snaps the grid of point inputs; ASC_RASTER/DESC_RASTER keep their own "
                                 "grid")
        raster_infos(alg, parameters, context)
    else:
        crs = grid_crs(alg, parameters, context)
        if not crs.isValid() or crs.isGeographic():
            raise GeohazardError(f"GRID_CRS must be a projected CRS in metres, got {crs.authid() or 'none'}")
        template_grid(alg, parameters, context)
    if (parameters.get(alg.OUTPUT_EAST_TS) or parameters.get(alg.OUTPUT_UP_TS)) and \
            not alg.parameterAsBool(parameters, alg.TIME_SERIES, context):
        raise GeohazardError("time-series outputs need TIME_SERIES")


def options(alg, parameters, context, progress) -> tuple:
    """``(mode, solver options)``; the time-series route falls back to velocities on undated inputs."""
    mode = pair_mode(alg, parameters)
    v = _values.values(alg, parameters, context, alg.NORTH_VELOCITY, alg.WEIGHTING, alg.MAX_CONDITION,
                       alg.TIME_SERIES, alg.SPACING_DAYS, alg.MAX_GAP_DAYS)
    opts = dict(north=v.NORTH_VELOCITY, weighted=v.WEIGHTING == 1, max_condition=v.MAX_CONDITION,
                ts=v.TIME_SERIES, spacing=v.SPACING_DAYS, max_gap=float(v.MAX_GAP_DAYS))
    if opts["ts"] and not _inputs_dated(alg, parameters, context, mode):
        if parameters.get(alg.OUTPUT_EAST_TS) or parameters.get(alg.OUTPUT_UP_TS):
            raise GeohazardError("time-series outputs need dated inputs: fields YYYYMMDD/DYYYYMMDD of the points "
                                 "or band descriptions that are dates")
        opts["ts"] = False
        progress.push_warning("TIME_SERIES: the inputs carry no dates (fields YYYYMMDD/DYYYYMMDD, or band "
                              "descriptions that are dates); decomposing the velocities instead")
    progress.push_info("route: " + ("time series (EGMS L3 Ortho: 6-day interpolation, per-date least squares, "
                                    "velocity fitted afterwards)" if opts["ts"] else "velocities"))
    return mode, opts


def _inputs_dated(alg, parameters, context, mode) -> bool:
    """True when both inputs carry at least two dates (dated fields, or dated band descriptions)."""
    rasters, points = _pairs(alg)
    if mode == "points":
        for key in points:
            src = alg.parameterAsSource(parameters, key, context)
            if src is None or len(dated_fields([f.name() for f in src.fields()])) < 2:
                return False
        return True
    for key in rasters:
        info = alg.raster_info(parameters, key, context)
        if info.count < 2 or not any(is_date(d) for d in info.descriptions):
            return False  # a velocity raster; partly dated bands are reported by raster_pair
    return True


def grid_crs(alg, parameters, context):
    crs = alg.parameterAsCrs(parameters, alg.GRID_CRS, context)
    return crs if crs.isValid() else QgsCoordinateReferenceSystem("EPSG:3035")


def template_grid(alg, parameters, context):
    """(grid, crs) of TEMPLATE, or (None, None) without one."""
    if not parameters.get(alg.TEMPLATE):
        return None, None
    info = alg.raster_info(parameters, alg.TEMPLATE, context)
    if not info.crs_wkt or info.is_geographic:
        raise GeohazardError("TEMPLATE must be in a projected CRS in metres (the grid of the points)")
    grid = _dec.grid_from_geotransform(info.geotransform, info.height, info.width, name="TEMPLATE")
    return grid, QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)


def _point_set(alg, parameters, context, progress, keys, crs, ts, i) -> dict:
    """One geometry's points: positions in ``crs``, velocity, std, LOS vectors and dated values."""
    pp, hp, ip = keys
    vfield = alg.parameterAsString(parameters, alg.VELOCITY_FIELD, context)
    sfield = alg.parameterAsString(parameters, alg.VELOCITY_STD_FIELD, context)
    src = alg.parameterAsSource(parameters, pp, context)
    if src is None:
        raise GeohazardError(f"{pp}: the layer could not be loaded")
    names = [f.name() for f in src.fields()]
    if vfield not in names:
        raise GeohazardError(f"{pp} has no field {vfield!r} (VELOCITY_FIELD)")
    fields = [vfield] + ([sfield] if sfield and sfield in names else []) + geometry.optional_fields(src, LOS_FIELDS)
    dated = dated_fields(names) if ts else []
    if ts and len(dated) < 2:
        raise GeohazardError(f"{pp} has {len(dated)} dated fields (YYYYMMDD or DYYYYMMDD); TIME_SERIES "
                             "needs at least two")
    pts = vector.read_points(src, fields + [n for n, _ in dated], name=pp, dest_crs=crs, context=context,
                             progress=SubProgress(progress, 25 * i, 25 * i + 20))
    need = not points_carry_los(src)
    head, inc = (scene_value(alg, parameters, pid, context, None, key, needed=need, hint=hint(pid))
                 for pid, key, hint in ((hp, gm.HEADING_KEY, heading_hint), (ip, gm.INCIDENCE_KEY, incidence_hint)))
    e, n, u, how = geometry.los_from_fields(pts, len(pts), head, inc, "right")
    progress.push_info(f"{pp}: {len(pts)} points, LOS vectors from {how}")
    return dict(x=pts.x, y=pts.y, v=pts.attributes[vfield], sigma=pts.attributes.get(sfield) if sfield else None,
                e=e, n=n, u=u, series=np.stack([pts.attributes[nm] for nm, _ in dated]) if dated else None,
                dates=[d for _, d in dated])


def point_sets(alg, parameters, context, progress, ts) -> tuple:
    """``(grid, CRS WKT, point sets)``: both geometries' points on the grid they are decomposed on."""
    tgrid, tcrs = template_grid(alg, parameters, context)
    crs = tcrs if tcrs is not None else grid_crs(alg, parameters, context)
    data = [_point_set(alg, parameters, context, progress, keys, crs, ts, i) for i, keys in enumerate(
        ((alg.ASC_POINTS, alg.ASC_HEADING, alg.ASC_INCIDENCE), (alg.DESC_POINTS, alg.DESC_HEADING,
                                                               alg.DESC_INCIDENCE)))]
    xs, ys = np.concatenate([d["x"] for d in data]), np.concatenate([d["y"] for d in data])
    v = _values.values(alg, parameters, context, alg.PIXEL_SIZE, alg.ORIGIN_X, alg.ORIGIN_Y)
    grid, n_out = _dec.points_grid(xs, ys, template=tgrid, cell_m=v.PIXEL_SIZE, origin_x=v.ORIGIN_X,
                                   origin_y=v.ORIGIN_Y)
    where = f"({grid.x0:.3f}, {grid.y0:.3f})"
    if tgrid is None:
        progress.push_info(f"grid: {grid.n_cols} x {grid.n_rows} cells of {v.PIXEL_SIZE:g} m, top-left corner "
                           f"{where} in {crs.authid()}")
        return grid, crs.toWkt(), data
    progress.push_info(f"grid from TEMPLATE: {grid.n_cols} x {grid.n_rows} cells of {grid.cell_m:g} m, "
                       f"top-left corner {where}, {crs.authid() or 'template CRS'}")
    if parameters.get(alg.PIXEL_SIZE) not in (None, "") and not np.isclose(v.PIXEL_SIZE, grid.cell_m):
        progress.push_warning(f"PIXEL_SIZE {v.PIXEL_SIZE:g} m is not used: TEMPLATE has {grid.cell_m:g} m cells")
    if n_out:
        progress.push_warning(f"{n_out} of {len(xs)} points lie outside TEMPLATE and were left out")
    return grid, crs.toWkt(), data


def raster_infos(alg, parameters, context) -> list:
    """The two rasters' :class:`RasterInfo`, checked to overlap on one grid."""
    rasters, _ = _pairs(alg)
    infos = [alg.raster_info(parameters, p, context) for p in rasters]
    raster.check_overlapping_grids(infos, list(rasters))
    return infos


def raster_pair(alg, parameters, context, opts, feedback=None) -> tuple:
    """``(info, block function, block sources, common dates)`` of the raster pair; each geometry's heading and
    incidence by the geometry rule (:func:`.acquisition.scene_value`: typed > the HEADING_DEG / INCIDENCE_DEG its
    raster carries > refusal)."""
    infos = raster_infos(alg, parameters, context)
    vecs, sig = [], []
    for info, (hp, ip, sp) in zip(infos, ((alg.ASC_HEADING, alg.ASC_INCIDENCE, alg.ASC_SIGMA),
                                          (alg.DESC_HEADING, alg.DESC_INCIDENCE, alg.DESC_SIGMA))):
        inc, head = (scene_value(alg, parameters, pid, context, feedback, key, needed=True, rasters=[info.path],
                                 hint=hint(pid))
                     for pid, key, hint in ((ip, gm.INCIDENCE_KEY, incidence_hint), (hp, gm.HEADING_KEY,
                                                                                     heading_hint)))
        vecs.append(los.los_unit_vector(inc, head))
        sig.append(alg.parameterAsDouble(parameters, sp, context))
    sigma = sig if all(s > 0 for s in sig) else None
    if opts["weighted"] and sigma is None:
        raise GeohazardError("inverse-variance WEIGHTING needs ASC_SIGMA and DESC_SIGMA > 0")
    common, date_lists = [], []
    if opts["ts"]:
        for info, name in zip(infos, _pairs(alg)[0]):
            try:
                date_lists.append([parse_date(d) for d in info.descriptions])
            except GeohazardError as exc:
                raise GeohazardError(f"{name}: TIME_SERIES needs one date per band description ({exc})") from None
        common = _dec.common_dates(date_lists[0], date_lists[1], spacing_days=opts["spacing"])
    func = functools.partial(_dec.decompose_block, vec=[[v[k] for v in vecs] for k in range(3)], sigma=sigma,
                             north=opts["north"], weighted=opts["weighted"], max_condition=opts["max_condition"],
                             date_lists=date_lists, common=common, max_gap=opts["max_gap"])
    sources = {k: blocks.raster_source(i.path, bands=None if opts["ts"] else [1], dtype=np.float64, name=n)
               for k, i, n in zip(("asc", "desc"), infos, _pairs(alg)[0])}
    return infos[0], func, sources, common


def acquisition_geometries(alg, parameters, context, feedback, info) -> list:
    """The first (and, with HEADING_2, the second) acquisition geometry of the distortion map: heading (or the
    scene heading of HEADING_RASTER), incidence number or raster (on the DEM grid, checked by the tool).

    The DEM's metadata (the image parameter file beside a GAMMA DEM) describes the first geometry: a typed value
    of the first geometry that differs from it is a warning; a typed value of the second geometry is another pass
    by design, never compared with it (nor carried by the outputs, which are the first geometry's). An empty
    INCIDENCE_2 takes the metadata's incidence, as the first geometry does."""
    look = alg.LOOKS[alg.parameterAsEnum(parameters, alg.LOOK, context)]
    kind = alg.parameterAsEnum(parameters, alg.INCIDENCE_UNITS, context)
    geos = []
    for suffix, name in (("", "first geometry"), ("_2", "second geometry")):
        if suffix and parameters.get(alg.HEADING_2) in (None, ""):
            continue
        inc_par = getattr(alg, "INCIDENCE_RASTER" + suffix)
        inc_path = alg.raster_path(parameters, inc_par, context) if parameters.get(inc_par) else None
        by_raster = not suffix and parameters.get(alg.HEADING_RASTER)
        def first_pass(pid, second=bool(suffix)):
            # the second geometry's typed values are not compared with the first pass's metadata
            return [] if second and user_number(alg, parameters, pid, context) is not None else [info.path]

        heading = scene_value(alg, parameters, "HEADING" + suffix, context, feedback, gm.HEADING_KEY,
                              needed=not by_raster, rasters=first_pass("HEADING" + suffix), carried=not suffix,
                              hint=heading_hint("HEADING" + suffix, "" if suffix else alg.HEADING_RASTER))
        heading = float(_dist.check_heading(heading, name="HEADING" + suffix))
        incidence = scene_value(alg, parameters, "INCIDENCE" + suffix, context, feedback, gm.INCIDENCE_KEY,
                                needed=not inc_path, rasters=first_pass("INCIDENCE" + suffix), carried=not suffix,
                                hint=incidence_hint("INCIDENCE" + suffix, inc_par))
        read_heading = None
        if by_raster:
            read_heading = geometry.heading_reader(alg.raster_path(parameters, alg.HEADING_RASTER, context),
                                                   alg.parameterAsEnum(parameters, alg.HEADING_UNITS, context),
                                                   alg.HEADING_RASTER, look)
            heading = geometry.scene_heading(read_heading, info.height)
            feedback.pushInfo(f"scene heading from {alg.HEADING_RASTER}: {heading:.3f} degrees")
        geos.append(_dist.AcquisitionGeometry(
            heading_deg=heading, read_heading=read_heading,
            incidence_deg=incidence,
            read_incidence=geometry.incidence_reader(
                inc_path, incidence_kind(alg, parameters, context, inc_path, feedback)[0] if inc_path else kind,
                inc_par), look=look, name=name))
    return geos
