"""Metadata the rasters and HDF5 stacks carry: read for the rules that use it (the wavelength rule), and the
processing history every raster output carries (``PROCESSING_HISTORY``)."""

from __future__ import annotations

import os
from typing import Iterable, Optional

from osgeo import gdal

from ..algorithms.formats.stack_names import RASTER_EXT
from ..algorithms.formats.wavelength import WavelengthChoice, choose_wavelength, collect, single_wavelength


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


def wavelength_choice(user_m: Optional[float], *, rasters: Iterable[str] = (), attributes: Iterable = (),
                      parameter: str = "WAVELENGTH_M", log=None) -> WavelengthChoice:
    """The wavelength rule applied to ``user_m`` (the value the user gave, or None) and the metadata of
    ``rasters`` / ``attributes`` (``(name, mapping)`` pairs, e.g. a MintPy file's attributes); the choice
    and its warnings are logged on ``log`` (``push_info`` / ``push_warning``)."""
    found, problems = collect(list(geotiff_metadata(rasters)) + list(attributes))
    choice = choose_wavelength(user_m, found, parameter=parameter, problems=problems)
    if log is not None:
        log.push_info(choice.message)
        for w in choice.warnings:
            log.push_warning(w)
    return choice


def carried_wavelength(paths: Iterable[str]) -> dict:
    """``{"WAVELENGTH_M": value}`` for the outputs of a tool that keeps phase in radians (phase linking,
    unwrapping) when its inputs carry a wavelength, so the step that converts to millimetres later uses it;
    ``{}`` when they carry none; refused when they carry different ones
    (:func:`~algorithms.formats.wavelength.single_wavelength`)."""
    value = single_wavelength(*collect(list(geotiff_metadata(paths))))
    return {"WAVELENGTH_M": f"{value:.10g}"} if value is not None else {}


#: Dataset metadata item holding the processing history: one step per line, oldest first.
HISTORY_KEY = "PROCESSING_HISTORY"
#: Steps kept (the oldest are dropped beyond; a chain of a few dozen steps fits).
MAX_HISTORY_STEPS = 50


def _first_rasters(paths: Iterable[str], limit: int = 8) -> list:
    """Up to ``limit`` raster files among ``paths`` (a folder contributes its first raster by name)."""
    out = []
    for p in paths:
        if len(out) >= limit:
            break
        if os.path.isdir(p):
            names = sorted(n for n in os.listdir(p) if n.lower().endswith(RASTER_EXT))
            if names:
                out.append(os.path.join(p, names[0]))
        elif os.path.isfile(p) and p.lower().endswith(RASTER_EXT):
            out.append(p)
    return out


def inherited_history(input_paths: Iterable[str]) -> list:
    """The steps of the inputs' processing histories (first raster inputs read, steps in order, each once)."""
    steps: list = []
    for _, md in geotiff_metadata(_first_rasters(input_paths)):
        for line in (md.get(HISTORY_KEY) or "").splitlines():
            line = line.strip()
            if line and line not in steps:
                steps.append(line)
    return steps


def stamp_history(output_paths: Iterable[str], steps: list) -> int:
    """Write ``steps`` (oldest first) as the ``PROCESSING_HISTORY`` of every GeoTIFF among ``output_paths``;
    returns how many were stamped. Other formats are left as written, and so is a file that is a link (an
    output folder may link the inputs it keeps unchanged: writing there would change the input)."""
    text = "\n".join(steps[-MAX_HISTORY_STEPS:])
    n = 0
    for path in output_paths:
        if not path.lower().endswith((".tif", ".tiff")) or not os.path.isfile(path) or os.path.islink(path) \
                or os.stat(path).st_nlink > 1:
            continue
        ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_UPDATE)
        if ds is None:
            continue
        ds.SetMetadataItem(HISTORY_KEY, text)
        ds = None
        n += 1
    return n


def plugin_version() -> str:
    """The plugin's version from its metadata.txt ("" when it cannot be read)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metadata.txt")
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("version="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""
