"""Metadata the rasters and HDF5 stacks carry, read for the rules that use it (the wavelength rule)."""

from __future__ import annotations

import os
from typing import Iterable, Optional

from osgeo import gdal

from ...algorithms.formats.wavelength import WavelengthChoice, choose_wavelength, collect, single_wavelength


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
