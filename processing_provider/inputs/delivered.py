"""Raster parameters read as their producers deliver them: MintPy HDF5 results, GAMMA's headerless rasters and
rasters in metres.

* A raster parameter given a MintPy HDF5 result (``timeseries.h5``, ``velocity.h5``, ``geometryGeo.h5``,
  ``maskTempCoh.h5``, ``temporalCoherence.h5`` ...; or ``HDF5:"file.h5"://dataset`` for one dataset, the name
  QGIS gives a dataset picked in its dialog) is read through a GeoTIFF in mm / mm/yr / degrees, on the file's grid
  and CRS, dated, carrying the reference and scene values (:func:`fileio.formats.mintpy.as_geotiff`). It is written once
  per version of the file into QGIS's processing temporary folder, never beside the input. Which dataset of a geometry
  file is read follows the parameter: an incidence raster reads ``incidenceAngle``, a heading raster
  ``azimuthAngle``, a DEM ``height``, a slant-range raster ``slantRangeDistance``.
* A raster parameter given a GAMMA raster as GAMMA writes it (``20060619_utm.dem``, ``.inc``, ``.lv_theta``, a
  geocoded ``.unw`` ...: no header, big-endian) beside the DEM/MAP parameter file of its grid is read through a raw
  VRT on that grid (EQA or UTM), carrying the scene values of the image parameter files beside it (``*_slc.par``:
  incidence, heading, slant range, wavelength), so the geometry rule finds them (:mod:`...fileio.formats.gamma`).
* A displacement or velocity input of a tool (its ``MM_INPUTS``) whose metadata says m, m/yr, cm ... is read as
  millimetres through a scaled VRT in the same folder; one that declares no unit and whose values cannot be mm
  (:func:`~algorithms.formats.units.not_millimetres`) is warned about by name.
* Every single raster parameter that declares no no-data value and holds an undeclared one (-32768, -9999, the
  float32 / float64 extremes, :func:`~algorithms.formats.units.sentinel_values`) is read through a VRT that skips
  it, with a warning naming the input, the value and the ``gdal_edit`` line that declares it.
* Heights (every ``DEM`` and a tool's ``HEIGHT_INPUTS``) declared in feet, US survey feet, cm, mm or km (metadata
  ``UNIT``, band unit type, a compound CRS's vertical unit) are read as metres; a unit that is no length, or
  undeclared heights beyond any on Earth (:func:`~algorithms.formats.units.implausible_heights`), are refused.

Every tool reads its raster parameters through :func:`~.layers.raster_path`, the guard's probes and extents through
:func:`resolve`, so a tool takes these files unchanged; the log says what was read and converted
(:func:`announce`, once per run).
"""

from __future__ import annotations

import os
from typing import Optional

from qgis.core import QgsProcessing, QgsProcessingUtils, QgsRasterLayer

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.angle_rasters import HEADING_CONTENTS, content_band
from ...algorithms.formats.gamma import raster_ext
from ...algorithms.formats.units import beyond_millimetres, implausible_heights, not_millimetres, sentinel_message
from ...fileio.base.probe import band_view
from ...fileio.base.raster import RASTER_EXT, raster_info
from ...fileio.formats import gamma as gamma_io
from ...fileio.formats import mintpy as mintpy_io
from ...fileio.formats import units as units_io

#: What a raster parameter is for, by ID (the dataset of a MintPy geometry file it reads).
PURPOSES = {"INCIDENCE_RASTER": "incidence", "INCIDENCE_RASTER_2": "incidence", "INCIDENCE_RASTERS": "incidence",
            "HEADING_RASTER": "heading", "HEADING_RASTERS": "heading", "DEM": "dem",
            "SLANT_RANGE_RASTER": "slant_range"}


#: The GAMMA files a raster parameter of each purpose takes (extension, what it holds).
_GAMMA_KINDS = {"dem": ((".dem", ".hgt"), "heights"), "incidence": ((".inc", ".lv_theta"), "an incidence or "
                                                                    "look-vector elevation angle"),
                "heading": ((".lv_phi",), "a look-vector orientation angle")}


def scratch_folder() -> str:
    """The folder of converted inputs: QGIS's processing temporary folder (removed when QGIS exits)."""
    folder = os.path.join(QgsProcessingUtils.tempFolder(), "delivered")
    os.makedirs(folder, exist_ok=True)
    return folder


def is_product(value) -> bool:
    """The value names an HDF5 file or dataset (read as a MintPy result) or a GAMMA raster beside its DEM/MAP
    parameter file."""
    if isinstance(value, QgsRasterLayer):
        value = value.source()
    return mintpy_io.parse_source(value) is not None or is_gamma(value)


def is_gamma(value) -> bool:
    """The value is the path of a GAMMA raster beside the DEM/MAP parameter file of its grid."""
    try:
        return isinstance(value, str) and gamma_io.raster_of(value) is not None
    except GeohazardError:
        return True  # an ambiguous grid: resolve() names it


def product_source(value) -> Optional[tuple]:
    """``(HDF5 file, dataset or None)`` of a MintPy value (a path, ``HDF5:"file"://dataset`` or a layer of one);
    None for anything else."""
    text = _source_text(value)
    return mintpy_io.parse_source(text) if text is not None else None


def _source_text(value) -> Optional[str]:
    if isinstance(value, QgsRasterLayer):
        return value.source()
    return value if isinstance(value, str) else None


def resolve(alg, name: str, value, *, notes: Optional[list] = None, warnings: Optional[list] = None) -> str:
    """The file a tool reads for the raster ``value`` of parameter ``name``: the converted GeoTIFF of a MintPy
    result, the millimetre VRT of a displacement input in metres, undeclared no data masked and heights in metres
    (:func:`as_read`), else the value's own path. ``notes`` (a list) receives the log lines, ``warnings`` the
    warnings."""
    text = _source_text(value)
    parsed = mintpy_io.parse_source(text) if text is not None else None
    if parsed is not None:
        conv = mintpy_io.as_geotiff(parsed[0], dataset=parsed[1], purpose=PURPOSES.get(name), name=name,
                                    folder=scratch_folder())
        if notes is not None:
            notes.extend(f"{name}: {n}" for n in conv.notes)
        return conv.path
    path = text or ""
    if path and is_gamma(path):
        ext = raster_ext(os.path.basename(path))
        want = _GAMMA_KINDS.get(PURPOSES.get(name, ""))
        if want and ext not in want[0]:
            raise GeohazardError(f"{name}: {os.path.basename(path)} is a GAMMA {ext} file, not {want[1]} "
                                 f"({', '.join(want[0])})")
        try:
            conv = gamma_io.as_vrt(path, scratch_folder(), label=name)
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: {exc}") from None
        if notes is not None:
            notes.append(conv[1][0])
            notes.extend(f"{name}: {n}" for n in conv[1][1:])
        path = conv[0]
    if path and os.path.isfile(path) and _single_raster(alg, name):
        path = as_read(alg, name, path, notes=notes, warnings=warnings)
    return path


def _single_raster(alg, name: str) -> bool:
    d = alg.parameterDefinition(name) if hasattr(alg, "parameterDefinition") else None
    return d is None or d.type() in ("raster", "layer")


def height_inputs(alg) -> tuple:
    """The raster parameters of ``alg`` holding heights (m): every ``DEM`` and its ``HEIGHT_INPUTS``."""
    return ("DEM",) + tuple(getattr(alg, "HEIGHT_INPUTS", ()))


def as_read(alg, name: str, path: str, *, notes: Optional[list] = None, warnings: Optional[list] = None) -> str:
    """The file a tool reads for the raster file ``path`` of parameter ``name``: undeclared no-data values
    (-32768, -9999, the float extremes: :func:`~algorithms.formats.units.sentinel_values`) read as no data, with a
    warning; heights (:func:`height_inputs`) in a declared unit other than metres read as metres, a unit that is
    no length or undeclared heights beyond any on Earth refused; a displacement or velocity (``MM_INPUTS``) in a
    declared m, m/yr, cm ... read as mm, mm/yr. Each a VRT in QGIS's temporary folder, never beside the input."""
    base = os.path.basename(path)
    found, cells = units_io.undeclared_nodata(path)
    if found and sum(n for _, n in found) >= cells:
        raise GeohazardError(f"{name}: every cell of {base} holds {', '.join(f'{v:g}' for v, _ in found)}, a value "
                             "software writes for 'no data': there is no valid pixel; nothing can be computed from it")
    if found:
        if warnings is not None:
            warnings.append(sentinel_message(f"{name}: {base}", found, total=cells))
        path = units_io.masked(path, scratch_folder(), found)
    if name in height_inputs(alg):
        factor, unit = units_io.height_factor(path)
        if factor is None:
            raise GeohazardError(f"{name}: {base} declares its unit as {unit!r}, which is no length: heights in "
                                 "metres are needed (or declare the right unit: gdal_edit -units m)")
        if factor != 1.0:
            path = units_io.view_vrt(path, scratch_folder(), tag="m", factor=factor, unit="m", converted_from=unit)
            if notes is not None:
                notes.append(f"{name}: {base} declares heights in {unit}: read as metres (x {factor:g})")
        elif not unit:
            problem = implausible_heights(*units_io.value_range(path), name=f"{name}: {base}")
            if problem:
                raise GeohazardError(problem)
    if name in getattr(alg, "MM_INPUTS", ()):
        scaled = units_io.scaled_to_mm(path, scratch_folder())
        if scaled is not None:
            if notes is not None:
                notes.append(f"{name}: {base} declares UNIT={scaled[2]}: read as {scaled[3]} (x {scaled[1]:g})")
            return scaled[0]
    return path


#: A raster parameter whose content option says which band holds the quantity: (parameter, its content option).
CONTENT_OPTIONS = {"HEADING_RASTER": "HEADING_UNITS"}


def content_view(alg, parameters, context, name: str, path: str, notes: Optional[list] = None) -> str:
    """``path``, or a one-band view of the band the parameter's content option names (ISCE's two-band ``los``
    raster given as HEADING_RASTER with HEADING_UNITS "ISCE los band 2": band 2, the azimuth; band 1 is the
    incidence), in QGIS's processing temporary folder, so every reader, check and probe reads that band.
    ``notes`` receives the log line."""
    option = CONTENT_OPTIONS.get(name)
    d = alg.parameterDefinition(option) if option else None
    if d is None or not path or not os.path.isfile(path):
        return path
    content = HEADING_CONTENTS[alg.parameterAsEnum(parameters, option, context)]
    try:
        count = raster_info(path, name).count
    except Exception:  # noqa: BLE001 - the guard names an unreadable input
        return path
    band = content_band(content, count)
    if band == 1:
        return path
    if notes is not None:
        notes.append(f"{name}: {os.path.basename(path)} has {count} bands (ISCE's los: band 1 the incidence, band 2 "
                     f"the azimuth of the ground-to-satellite vector); band {band} is read, as {option} says")
    return band_view(path, band, scratch_folder())


def _dated(path: str) -> bool:
    try:
        info = raster_info(path, "raster")
    except Exception:  # noqa: BLE001 - the guard names an unreadable input
        return False
    return info.count > 1


def _raster_of_layer(value, context):
    """The raster layer or raster file a map-layer parameter's value names (a layer, a layer ID, a path), else
    None."""
    from qgis.core import QgsProcessingUtils

    if isinstance(value, QgsRasterLayer):
        return value
    if not isinstance(value, str) or not value:
        return None
    if context is not None:
        layer = QgsProcessingUtils.mapLayerFromString(value, context)
        return layer if isinstance(layer, QgsRasterLayer) else None
    return value if os.path.isfile(value) and value.lower().endswith(RASTER_EXT) else None


def announce(alg, parameters, feedback, context=None) -> None:
    """Log, once per run, what each MintPy result or raster in metres among the raster parameters is read as, and
    warn about a displacement input without a unit whose values cannot be millimetres."""
    if feedback is None:
        return
    own = set(getattr(alg, "FOLDER_INPUTS", ()))  # the stack tools' lists: an ifgramStack.h5 is theirs to read
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in ("raster", "multilayer", "layer") or d.name() in own:
            continue
        value = parameters.get(d.name())
        if d.type() == "layer":  # a map layer input (raster or points): its raster, if it is one
            value = _raster_of_layer(value, context)
            if value is None:
                continue
        if d.type() == "multilayer" and d.layerType() == QgsProcessing.SourceType.TypeFile:
            continue  # plain files (BASELINES: a MintPy .h5 of baselines), read by the tool, never as a raster

        if d.type() == "multilayer":
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if is_product(item):
                    notes = []
                    resolve(alg, d.name(), item, notes=notes)
                    for n in notes:
                        feedback.pushInfo(n)
            continue
        text = _source_text(value)
        if not text:
            continue
        notes: list = []
        warnings: list = []
        path = resolve(alg, d.name(), value, notes=notes, warnings=warnings)
        if context is not None:
            content_view(alg, parameters, context, d.name(), path, notes=notes)
        for n in notes:
            feedback.pushInfo(n)
        for w in warnings:
            feedback.pushWarning(w)
        if d.name() in getattr(alg, "MM_INPUTS", ()) and not notes and os.path.isfile(path) \
                and not units_io.declared_unit(path):
            assumed = "mm" if _dated(path) else "mm/yr"
            p99 = units_io.abs_percentile(path)
            label = f"{d.name()}: {os.path.basename(path)}"
            warning = not_millimetres(p99, name=label, assumed=assumed) or \
                beyond_millimetres(p99, name=label, assumed=assumed)
            if warning:
                feedback.pushWarning(warning)
