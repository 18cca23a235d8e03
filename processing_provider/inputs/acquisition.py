"""The acquisition geometry's parameters and their one rule (see algorithms/formats/geometry_meta.py).

A tool that needs a scene value (incidence, heading, slant range) gets it with :func:`resolve_geometry` (or
:func:`scene_value`): the value the user gave > the inputs' metadata > refusal, logged with its source, and a given
value that contradicts the metadata is a warning naming both. The acquisition geometry has no default: its
parameters are optional numbers left empty ("not set") unless typed, and a run whose geometry is neither typed nor
carried by its inputs stops saying what to type (:func:`incidence_hint`, :func:`heading_hint`). Modelling choices
(the look direction of a forward model) keep their defaults. A number parameter left at a declared default counts
as not given.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ...algorithms.corrections.dem_error import read_date_baselines
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.geometry_meta import Choice
from ...fileio.base.metadata import date_baselines_choice, geometry_choice, geotiff_metadata
from ...fileio.formats.baseline_geometry import baselines_geometry
from ...fileio.motion.points import raster_dates
from .aliases import given
from .feedback import FeedbackProgress
from .stacks import expand_file_inputs


def user_number(alg, parameters, pid: str, context) -> Optional[float]:
    """The number the user gave for ``pid``; ``None`` when it is empty or at the parameter's declared default."""
    if not given(parameters, pid):
        return None
    value = alg.parameterAsDouble(parameters, pid, context)
    default = alg.parameterDefinition(pid).defaultValue()
    try:
        if default is not None and float(default) == value:
            return None
    except (TypeError, ValueError):
        pass
    return value


def resolve_geometry(alg, parameters, pid: str, context, feedback, key: str, *, rasters: Iterable[str] = (),
                     attributes: Iterable = (), default: Optional[float] = None, default_label: str = "default",
                     why_needed: str = "", carried: bool = True) -> Choice:
    """Apply the geometry rule to the scene value ``key`` (``INCIDENCE_DEG`` ...) of parameter ``pid`` and the
    metadata of ``rasters`` / ``attributes``, log it, and record the value for the run's outputs to carry
    (``carried`` False: a value of another geometry than the outputs', never carried)."""
    choice = geometry_choice(key, user_number(alg, parameters, pid, context), rasters=rasters,
                             attributes=attributes, parameter=pid, default=default, default_label=default_label,
                             why_needed=why_needed, log=FeedbackProgress(feedback))
    if choice.from_metadata and given(parameters, pid):
        at_default = alg.parameterAsDouble(parameters, pid, context)
        if at_default != choice.value:
            FeedbackProgress(feedback).push_info(
                f"{pid} is at its default ({at_default:g}), which stands for 'not given': the value the inputs "
                f"carry ({choice.value:.10g}) is used; type another value to override it")
    record = getattr(alg, "record_used", None)
    if record is not None:
        where = "" if choice.source.startswith("given") else \
            f" (metadata: {choice.source.split('(', 1)[1].rstrip(')')})" if choice.from_metadata else " (default)"
        record(pid, f"{choice.value:.10g}{where}")
    carry = getattr(alg, "carry_geometry", None)
    if carried and carry is not None and (choice.from_metadata or choice.source.startswith("given")):
        carry(**{key: choice.value})
    return choice


def incidence_hint(pid: str, raster: str = "") -> str:
    """What to give when no incidence is typed or carried (the end of the refusal)."""
    alt = f", or give {raster} (per pixel; e.g. MintPy's geometryGeo.h5, ISCE's los.rdr, HyP3's lv_theta with its " \
        "content set)" if raster else ""
    return (f"type {pid} (degrees from the vertical: the product's metadata or documentation gives it; Sentinel-1 IW "
            f"30-46){alt}; the tool no longer assumes a geometry")


def slant_range_hint(pid: str, raster: str = "") -> str:
    """What to give when no slant range is typed or carried: ``pid`` is the number the user types (SLANT_RANGE_M,
    the same name in the Corrected SBAS model, whose SLANT_RANGE is its raster)."""
    alt = f" or give {raster} (per pixel; the Corrected SBAS model's SLANT_RANGE raster)" if raster else ""
    return (f"type {pid} (one value in metres from the antenna to the scene centre: the SLC header, HyP3's .txt "
            f"'Slant range center', LiCSAR's metadata.txt centre_range_m, MintPy's slantRangeDistance; Sentinel-1 IW "
            f"about 800-950 km){alt}")


def heading_hint(pid: str, raster: str = "") -> str:
    """What to give when no heading is typed or carried."""
    alt = f", or give {raster} (per pixel; e.g. HyP3's lv_phi, ISCE's los.rdr band 2)" if raster else ""
    return (f"type {pid} (flight direction, degrees clockwise from north: about -12 for Sentinel-1 ascending, -168 "
            f"(= 192) descending; HyP3's .txt 'Heading', MintPy's HEADING){alt}; the tool no longer assumes a "
            "geometry")


def scene_value(alg, parameters, pid: str, context, feedback, key: str, *, needed: bool, rasters: Iterable[str] = (),
                hint: str = "", carried: bool = True, attributes: Iterable = ()) -> float:
    """The geometry rule with no default (:func:`resolve_geometry`): the typed value, else the inputs' metadata
    (``rasters``, then ``attributes``: ``(label, mapping)`` pairs such as what a BASELINES product states), else a
    refusal ending with ``hint``; NaN when the run does not need the value (``needed`` False: a raster or the
    points' own LOS fields give it)."""
    if not needed:
        return float("nan")
    return float(resolve_geometry(alg, parameters, pid, context, feedback, key, rasters=rasters,
                                  attributes=attributes, why_needed=hint, carried=carried).value)


def product_values(stated: Iterable, key: str, rasters: Iterable[str], parameter: str = "BASELINES") -> list:
    """The ``(label, metadata)`` pairs of ``stated`` (what a product given as ``parameter`` states of its geometry,
    :func:`...fileio.formats.baseline_geometry.baselines_geometry`) that give the scene value ``key``, for the geometry
    rule's ``attributes``; none when ``rasters`` carry it themselves (the inputs' own metadata comes first)."""
    q = gm.QUANTITIES[key]
    if gm.collect(q, geotiff_metadata(list(rasters)))[0]:
        return []
    return [(f"{parameter} {label}", md) for label, md in stated if any(k in md for k in q.keys)]


#: Point fields that give each point its own line of sight (EGMS los_east/los_north/los_up; incidence_angle with
#: track_angle).
LOS_FIELD_SETS = (("los_east", "los_north", "los_up"), ("incidence_angle", "track_angle"))


def points_carry_los(source) -> bool:
    """Whether a point source gives each point its line of sight (:data:`LOS_FIELD_SETS`)."""
    if source is None:
        return False
    names = {f.name() for f in source.fields()}
    return any(all(n in names for n in s) for s in LOS_FIELD_SETS)


def heading_and_incidence(alg, parameters, context, feedback, *, need_heading: bool, need_incidence: bool,
                          rasters: Iterable[str] = (), heading_pid: str = "HEADING", incidence_pid: str = "INCIDENCE",
                          heading_raster: str = "", incidence_raster: str = "", hint_prefix: str = "") -> tuple:
    """``(heading, incidence)`` degrees by :func:`scene_value` (NaN where not needed): typed > the metadata of
    ``rasters`` > refusal naming the parameter and, when given, the raster that can replace it."""
    rasters = list(rasters)
    head = scene_value(alg, parameters, heading_pid, context, feedback, gm.HEADING_KEY, needed=need_heading,
                       rasters=rasters, hint=hint_prefix + heading_hint(heading_pid, heading_raster))
    inc = scene_value(alg, parameters, incidence_pid, context, feedback, gm.INCIDENCE_KEY, needed=need_incidence,
                      rasters=rasters, hint=hint_prefix + incidence_hint(incidence_pid, incidence_raster))
    return head, inc


def series_baselines(alg, parameters, context, feedback, info, *, pid: str = "BASELINES", series: str = "INPUT"):
    """``(dates, baselines, stated)`` of the time series ``info`` (parameter ``series``): its dates, the
    perpendicular baseline of each date (m, the first at 0) from the files of ``pid`` or the series' metadata
    (:func:`...fileio.base.metadata.date_baselines_choice`: no default) and what a product given as ``pid`` states of
    its geometry (:func:`product_values`' ``stated``)."""
    dates = raster_dates(info, series)
    files = expand_file_inputs(parameters.get(pid))
    read = read_date_baselines(files, dates) if files else None
    bperp = date_baselines_choice(read, series_path=info.path, dates=dates, log=FeedbackProgress(feedback)).value
    return dates, bperp, baselines_geometry(files) if files else []
