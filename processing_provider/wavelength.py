"""The wavelength parameter of the phase tools and its one rule (see algorithms/formats/wavelength.py).

Every tool that converts phase to millimetres declares its wavelength with
:func:`wavelength_parameter` (optional, empty = "from the inputs' metadata, else
Sentinel-1") and gets the value with :func:`resolve_wavelength`, which logs which value
was used and where it came from.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional

from osgeo import gdal
from qgis.core import QgsProcessingParameterNumber

from ..algorithms.conventions import SENTINEL1_WAVELENGTH_M
from ..algorithms.formats.wavelength import WavelengthChoice, choose_wavelength, collect

HELP = ("<b>Wavelength</b> (m): leave empty to use the inputs' metadata (GeoTIFF WAVELENGTH_METRES / "
        "WAVELENGTH, MintPy attribute WAVELENGTH), else the Sentinel-1 C-band value "
        f"{SENTINEL1_WAVELENGTH_M:.8f} m; a value given here is used and any disagreement with the metadata "
        "is warned about. The log says which value was used and where it came from.")


def wavelength_parameter(alg, pid: str) -> QgsProcessingParameterNumber:
    """Optional wavelength (m) with no default: empty means metadata, else Sentinel-1."""
    return QgsProcessingParameterNumber(
        pid, alg.tr(f"Radar wavelength (m; empty = from the inputs' metadata, else Sentinel-1 "
                    f"{SENTINEL1_WAVELENGTH_M:.8f})"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=None, optional=True, minValue=1e-4)


def user_wavelength(alg, parameters, pid: str, context) -> Optional[float]:
    """The value the user gave, or ``None`` when the parameter is empty."""
    value = parameters.get(pid)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return alg.parameterAsDouble(parameters, pid, context)


def geotiff_metadata(paths: Iterable[str]):
    """``(file name, default-domain metadata dict)`` of each raster (header only)."""
    for path in paths:
        ds = gdal.Open(path)
        md = ds.GetMetadata() if ds is not None else {}
        band = ds.GetRasterBand(1) if ds is not None and ds.RasterCount else None
        if band is not None:
            md = {**(band.GetMetadata() or {}), **(md or {})}
        ds = None
        yield os.path.basename(path), md or {}


def resolve_wavelength(alg, parameters, pid: str, context, feedback, *, rasters: Iterable[str] = (),
                       attributes: Iterable = ()) -> WavelengthChoice:
    """Apply the rule to ``pid`` and the metadata of ``rasters`` / ``attributes`` and log it.

    ``attributes`` are ``(name, mapping)`` pairs (e.g. a MintPy file's attributes).
    """
    found, problems = collect(list(geotiff_metadata(rasters)) + list(attributes))
    choice = choose_wavelength(user_wavelength(alg, parameters, pid, context), found, parameter=pid,
                               problems=problems)
    if feedback is not None:
        feedback.pushInfo(choice.message)
        for w in choice.warnings:
            feedback.pushWarning(w)
    return choice


def carried_wavelength(paths: Iterable[str]) -> dict:
    """``{"WAVELENGTH_M": value}`` for the outputs of a tool that keeps phase in radians (phase linking,
    unwrapping) when its inputs carry a wavelength, so the step that converts to millimetres later uses it;
    ``{}`` when they carry none.

    Raises
    ------
    GeohazardError
        When the inputs carry different wavelengths (the files are named).
    """
    from ..algorithms.errors import GeohazardError

    found, problems = collect(list(geotiff_metadata(paths)))
    if problems:
        raise GeohazardError(problems[0])
    values = {round(v, 9) for _, v in found}
    if len(values) > 1:
        (a, va), (b, vb) = next((x, y) for x in found for y in found if round(x[1], 9) != round(y[1], 9))
        raise GeohazardError(f"the inputs carry different wavelengths: {a} = {va:.8g} m but {b} = {vb:.8g} m; a "
                             "stack must come from one sensor")
    return {"WAVELENGTH_M": f"{found[0][1]:.10g}"} if found else {}
