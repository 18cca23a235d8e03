"""A raster's declared unit read, a raster in metres read as millimetres (a scaled VRT in the run's scratch area,
never beside the input), and the sample that tells whether undeclared values can be millimetres
(:mod:`~algorithms.formats.units`)."""

from __future__ import annotations

import hashlib
import os
from typing import Optional

import numpy as np
from osgeo import gdal

from ...algorithms.formats.units import length_unit
from ..base.probe import quiet_gdal_reads, raster_metadata

#: Pixels per band read to estimate the 99th percentile of |value| (an overview-sized decimation).
SAMPLE_SIDE = 512


def declared_unit(path: str) -> str:
    """The unit a raster declares: metadata ``UNIT`` / ``UNITS`` (dataset or first band), else its first band's
    unit type; "" when none."""
    with quiet_gdal_reads():
        ds = gdal.Open(path)
        if ds is None:
            return ""
        md = {k.upper(): v for k, v in raster_metadata(ds).items()}
        unit = md.get("UNIT") or md.get("UNITS") or (ds.GetRasterBand(1).GetUnitType() if ds.RasterCount else "")
        ds = None
    return str(unit or "").strip()


def abs_percentile(path: str, q: float = 99.0) -> Optional[float]:
    """The ``q``-th percentile of |value| over a decimated read of every band (no-data and NaN left out); None
    when no value is valid."""
    with quiet_gdal_reads():
        ds = gdal.Open(path)
        if ds is None:
            return None
        w, h = ds.RasterXSize, ds.RasterYSize
        bw, bh = min(w, SAMPLE_SIDE), min(h, SAMPLE_SIDE)
        vals = []
        for i in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(i)
            try:
                arr = band.ReadAsArray(0, 0, w, h, buf_xsize=bw, buf_ysize=bh).astype(np.float64)
            except RuntimeError:  # an unreadable file is named by the input guard, not here
                return None
            nd = band.GetNoDataValue()
            ok = np.isfinite(arr)
            if nd is not None and np.isfinite(nd):
                ok &= arr != nd
            vals.append(np.abs(arr[ok]))
        ds = None
    allv = np.concatenate(vals) if vals else np.zeros(0)
    return float(np.percentile(allv, q)) if allv.size else None


def scaled_to_mm(path: str, folder: str) -> Optional[tuple[str, float, str, str]]:
    """``(VRT path, factor, from unit, to unit)`` reading a raster whose declared unit is a length or rate other
    than mm / mm/yr as millimetres (``UNIT`` set to ``mm`` or ``mm/yr``; grid, bands, descriptions and other
    metadata kept); None when its unit needs no conversion. The VRT is written into ``folder``."""
    unit = declared_unit(path)
    conv = length_unit(unit)
    if conv is None or conv[0] == 1.0:
        return None
    factor, ours = conv
    st = os.stat(path)
    key = hashlib.sha1(f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    out = os.path.join(folder, f"mm_{os.path.splitext(os.path.basename(path))[0]}_{key}.vrt")
    if not os.path.isfile(out):
        with quiet_gdal_reads():
            src = gdal.Open(path)
            tmp = out + ".part.vrt"
            vrt = gdal.Translate(tmp, src, format="VRT", outputType=gdal.GDT_Float32,
                                 scaleParams=[[0.0, 1.0, 0.0, factor]])
            md = dict(vrt.GetMetadata() or {})
            for k in list(md):
                if k.upper() in ("UNIT", "UNITS"):
                    md.pop(k)
            md["UNIT"] = ours
            md["UNIT_CONVERTED_FROM"] = unit
            vrt.SetMetadata(md)
            for i in range(1, vrt.RasterCount + 1):
                band = vrt.GetRasterBand(i)
                band.SetMetadata({k: v for k, v in (band.GetMetadata() or {}).items()
                                  if k.upper() not in ("UNIT", "UNITS")})
                band.SetUnitType(ours)
            vrt = src = None
        os.replace(tmp, out)
    return out, factor, unit, ours
