"""Angle rasters checked like typed values: an incidence or heading raster holds what its content option
(INCIDENCE_UNITS, HEADING_UNITS) declares, by the producer's file names and metadata and by its values
(:mod:`...algorithms.formats.angle_rasters`), and gives angles within the plausible range. Called by the guard."""

from __future__ import annotations

import os

import numpy as np

from ...algorithms.errors import GeohazardError
from ...io.probe import band_min_max


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
    from ...algorithms.formats import angle_rasters
    from ...algorithms.geometry.los_blocks import incidence_to_degrees
    from ...algorithms.plausibility import INCIDENCE_DEG

    kind, labels = _content_setting(alg, parameters, context, "INCIDENCE_UNITS")
    for path in paths:
        mm = band_min_max(path)
        if mm is None:
            continue
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


def check_heading_raster(alg, parameters, context, name: str, paths) -> None:
    """Heading rasters hold what HEADING_UNITS declares (radians vs degrees, the producer's LOS azimuths)."""
    from ...algorithms.formats import angle_rasters

    kind, labels = _content_setting(alg, parameters, context, "HEADING_UNITS")
    for path in paths:
        mm = band_min_max(path)
        if mm is not None:
            angle_rasters.check_angle_raster(os.path.basename(path), mm[0], mm[1], kind, parameter=name,
                                             units_parameter="HEADING_UNITS" if labels else "", labels=labels,
                                             incidence=False,
                                             content=angle_rasters.content_of_file(path, _metadata(path)))


def _metadata(path: str) -> dict:
    from ...io.metadata import geotiff_metadata

    return next(geotiff_metadata([path]))[1]
