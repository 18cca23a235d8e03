"""Angle rasters checked like typed values: an incidence or heading raster holds what its content option
(INCIDENCE_UNITS, HEADING_UNITS) declares, by the producer's file names and metadata and by its values
(:mod:`...algorithms.formats.angle_rasters`), and gives angles within the plausible range. Called by the guard."""

from __future__ import annotations

import os

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import angle_rasters
from ...algorithms.geometry.los_blocks import incidence_to_degrees
from ...algorithms.plausibility import INCIDENCE_DEG
from ...fileio.base.metadata import geotiff_metadata
from ...fileio.base.probe import band_min_max


def _content_setting(alg, parameters, context, units_pid: str) -> tuple:
    """``(declared index, option labels or None)`` of a raster content option (INCIDENCE_UNITS, HEADING_UNITS)."""
    d = alg.parameterDefinition(units_pid)
    if d is None:
        return 0, None
    return alg.parameterAsEnum(parameters, units_pid, context), tuple(d.options())


def check_incidence_raster(alg, parameters, context, name: str, paths) -> None:
    """Incidence rasters hold what INCIDENCE_UNITS declares (:func:`~algorithms.formats.angle_rasters.
    check_angle_raster`: the producer's file names and metadata, radians vs degrees, unit-vector components) and
    give incidence angles within the plausible range."""
    for path in paths:
        mm = band_min_max(path)
        if mm is None:
            continue
        kind, labels = _content_setting(alg, parameters, context, "INCIDENCE_UNITS")
        kind = incidence_kind(alg, parameters, context, path)[0]
        base = os.path.basename(path)
        angle_rasters.check_angle_raster(base, mm[0], mm[1], kind, parameter=name,
                                         units_parameter="INCIDENCE_UNITS" if labels else "", labels=labels,
                                         content=angle_rasters.content_of_file(path, _metadata(path)))
        ends = incidence_to_degrees(np.array(mm, float), kind)
        lo, hi = float(np.nanmin(ends)), float(np.nanmax(ends))
        if lo < INCIDENCE_DEG.low or hi > INCIDENCE_DEG.high:
            raise GeohazardError(
                f"{name}: {base} gives incidence angles from {lo:.6g} to {hi:.6g} deg, not "
                f"physically plausible: expected {INCIDENCE_DEG.low:g} to {INCIDENCE_DEG.high:g} deg "
                f"({INCIDENCE_DEG.usual}); check the raster and its content setting (INCIDENCE_UNITS)")


def incidence_kind(alg, parameters, context, path: str, feedback=None) -> tuple:
    """``(INCIDENCE_UNITS option, note)`` for the incidence raster ``path``: the option given; but left at its
    default (0, an incidence in degrees), a raster its producer's name or our metadata identifies (LiCSAR's
    ``<frame>.geo.U.tif``, HyP3's ``_lv_theta.tif``, :func:`~...algorithms.formats.angle_rasters.content_of_file`)
    is read as what it holds, and ``note`` (logged on ``feedback``) says so. A non-default option that contradicts
    the file is refused by :func:`check_incidence_raster`."""
    kind, labels = _content_setting(alg, parameters, context, "INCIDENCE_UNITS")
    if labels is None or kind != 0:
        return kind, ""
    mm = band_min_max(path)
    if mm is None:
        return kind, ""
    found = angle_rasters.recognised_incidence_kind(angle_rasters.content_of_file(path, _metadata(path)), *mm)
    if found is None:
        return kind, ""
    note = (f"INCIDENCE_UNITS: {os.path.basename(path)} is read as what its producer says it holds, "
            f"'{labels[found]}' (the option was left at its default, '{labels[0]}')")
    if feedback is not None:
        feedback.push_info(note) if hasattr(feedback, "push_info") else feedback.pushInfo(note)
    return found, note


def source_kind(alg, parameters, context, source, feedback=None) -> int:
    """:func:`incidence_kind` of a block-engine source of the incidence raster (0 without one)."""
    return incidence_kind(alg, parameters, context, source.path, feedback)[0] if source is not None else 0


def check_heading_raster(alg, parameters, context, name: str, paths) -> None:
    """Heading rasters hold what HEADING_UNITS declares (radians vs degrees, the producer's LOS azimuths)."""
    kind, labels = _content_setting(alg, parameters, context, "HEADING_UNITS")
    for path in paths:
        mm = band_min_max(path)
        if mm is not None:
            angle_rasters.check_angle_raster(os.path.basename(path), mm[0], mm[1], kind, parameter=name,
                                             units_parameter="HEADING_UNITS" if labels else "", labels=labels,
                                             incidence=False,
                                             content=angle_rasters.content_of_file(path, _metadata(path)))


def _metadata(path: str) -> dict:
    return next(geotiff_metadata([path]))[1]
