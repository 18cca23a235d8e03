"""Offset-tracking parameters into plain values: an image pair with its correlation options, a stack of dated
offset pairs with its component bands."""

from __future__ import annotations

import os

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import date_to_str, parse_date_pairs
from ...algorithms.kinematics import offsets as _off
from ...fileio.base import raster
from .stacks import expand_raster_inputs
from .values import values


def tracking_options(alg, parameters, context) -> dict:
    """The correlation options of an image pair, checked by the core."""
    v = values(alg, parameters, context, alg.WINDOW, alg.SEARCH, alg.STEP, alg.SUBPIXEL, alg.HIGHPASS, alg.MIN_NCC,
               alg.MIN_PEAK_RATIO, alg.BAND_REFERENCE, alg.BAND_SECONDARY, alg.MEDIAN_TEST, alg.MEDIAN_THRESHOLD,
               alg.GEOMETRY, alg.RANGE_SPACING, alg.AZIMUTH_SPACING)
    o = dict(window=v.WINDOW, search=v.SEARCH, step=v.STEP, subpixel=_off.SUBPIXEL_METHODS[v.SUBPIXEL],
             highpass_px=v.HIGHPASS, min_ncc=v.MIN_NCC, min_peak_ratio=v.MIN_PEAK_RATIO)
    _off.check_options(o["window"], o["search"], o["step"], subpixel=o["subpixel"], min_ncc=o["min_ncc"],
                       min_peak_ratio=o["min_peak_ratio"])
    radar = v.GEOMETRY == 1
    o.update(band_ref=v.BAND_REFERENCE, band_sec=v.BAND_SECONDARY, median_test=v.MEDIAN_TEST,
             median_threshold=v.MEDIAN_THRESHOLD, radar=radar,
             pixel_x_m=v.RANGE_SPACING if radar else None, pixel_y_m=v.AZIMUTH_SPACING if radar else None)
    return o


def tracking_inputs(alg, parameters, context) -> tuple:
    """``(options, reference info, secondary info)`` of offset tracking: the bands exist, the window and
    search fit, the grids agree (or may be resampled), radar geometry has its pixel spacings."""
    o = tracking_options(alg, parameters, context)
    ref = alg.raster_info(parameters, alg.REFERENCE_IMAGE, context)
    sec = alg.raster_info(parameters, alg.SECONDARY, context)
    for name, info, band, b in ((alg.REFERENCE_IMAGE, ref, alg.BAND_REFERENCE, o["band_ref"]),
                                (alg.SECONDARY, sec, alg.BAND_SECONDARY, o["band_sec"])):
        if b > info.count:
            raise GeohazardError(f"{band}: {name} has {info.count} band(s), band {b} was asked for")
    need = o["window"] + 2 * o["search"]
    if ref.height < need or ref.width < need:
        raise GeohazardError(f"{alg.REFERENCE_IMAGE} has {ref.height} x {ref.width} pixels; WINDOW + 2 x SEARCH = "
                             f"{need} must fit in it")
    if not ref.same_grid(sec) and not alg.parameterAsBool(parameters, alg.RESAMPLE, context):
        raise GeohazardError(
            f"{alg.SECONDARY} is not on the same grid as {alg.REFERENCE_IMAGE} (size, origin, pixel size or CRS): "
            f"co-register them, or tick {alg.RESAMPLE} to resample the secondary onto the reference grid")
    if not ref.same_grid(sec) and (not ref.crs_wkt or not sec.crs_wkt):
        raise GeohazardError(f"{alg.RESAMPLE}: both images need a CRS to be resampled onto one grid")
    if o["radar"]:
        for p, value in ((alg.RANGE_SPACING, o["pixel_x_m"]), (alg.AZIMUTH_SPACING, o["pixel_y_m"])):
            if not value > 0:
                raise GeohazardError(f"{p}: radar geometry needs the pixel spacing in metres (> 0)")
    else:
        raster.require_projected(ref, alg.REFERENCE_IMAGE)
    if parameters.get(alg.STABLE_MASK):
        raster.check_same_grid([ref, alg.raster_info(parameters, alg.STABLE_MASK, context)],
                               [alg.REFERENCE_IMAGE, alg.STABLE_MASK])
    return o, ref, sec


def _dated_pairs(name: str, paths) -> tuple:
    """``(pairs in time order, signs)``: a pair given latest-first is read negated; a pair given twice is
    refused."""
    raw_pairs = parse_date_pairs(paths, name=name)
    pairs = [tuple(sorted(pr)) for pr in raw_pairs]
    if len(set(pairs)) != len(pairs):
        dup = sorted({p for p in pairs if pairs.count(p) > 1})[0]
        raise GeohazardError(f"{name}: the pair {date_to_str(dup[0])} - {date_to_str(dup[1])} is given twice")
    return pairs, [1.0 if pr[0] < pr[1] else -1.0 for pr in raw_pairs]


def offset_files(alg, parameters, context) -> dict:
    """The offset rasters of INPUTS, a folder expanded as the stack tools do (its dated rasters)."""
    return {alg.INPUTS: expand_raster_inputs(alg, parameters, alg.INPUTS, context, want="ifg")}


def offset_pairs(alg, parameters, context) -> tuple:
    """``(paths, pairs, signs, info, component bands, weight band)`` of a stack of offset pair rasters (or a
    folder of them) on one grid, dates in their names."""
    paths = offset_files(alg, parameters, context)[alg.INPUTS]
    if len(paths) < 2:
        raise GeohazardError(f"{alg.INPUTS}: give at least two offset rasters (pairs) or a folder of them, got "
                             f"{len(paths)}")
    pairs, signs = _dated_pairs(alg.INPUTS, paths)
    names = [os.path.basename(p) for p in paths]
    infos = [raster.raster_info(p, n) for p, n in zip(paths, names)]
    raster.check_same_grid(infos, names)
    text = alg.parameterAsString(parameters, alg.COMPONENTS, context) or "1,2"
    try:
        bands = [int(b) for b in text.replace(" ", "").split(",") if b]
    except ValueError:
        raise GeohazardError(f"{alg.COMPONENTS}: expected band numbers separated by commas, got {text!r}") from None
    wb = alg.parameterAsInt(parameters, alg.WEIGHT_BAND, context)
    for b in bands + ([wb] if wb else []):
        if not 1 <= b <= infos[0].count:
            raise GeohazardError(f"{alg.COMPONENTS}/{alg.WEIGHT_BAND}: band {b} asked for, the offset rasters "
                                 f"have {infos[0].count} band(s)")
    if not bands:
        raise GeohazardError(f"{alg.COMPONENTS}: give at least one band")
    return paths, pairs, signs, infos[0], bands, wb
