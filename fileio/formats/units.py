"""A raster's declared unit read, a raster in metres read as millimetres (a scaled VRT in the run's scratch area,
never beside the input), and the sample that tells whether undeclared values can be millimetres
(:mod:`~algorithms.formats.units`); undeclared no-data values found and masked (a VRT whose source skips them),
heights in feet, cm or mm read as metres."""

from __future__ import annotations

import hashlib
import os
from typing import Optional

import numpy as np
from osgeo import gdal

from ...algorithms.formats.units import SentinelScan, height_unit, length_unit
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


#: Rows read at a time by the no-data scan.
SCAN_ROWS = 512
_SCANS: dict = {}


def _stamp(path: str) -> str:
    st = os.stat(path)
    return f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}"


def undeclared_nodata(path: str) -> tuple:
    """``(found, cells)`` of a raster whose bands declare no no-data value: ``found`` the undeclared no-data values
    of its bands (:class:`~algorithms.formats.units.SentinelScan`: ``[(value, count)]``, empty when none, or when
    a band declares its no-data value) and ``cells`` the cells scanned. Every cell is read, row block by row block;
    the answer is kept per file version for the session (a run asks it several times)."""
    key = _stamp(path)
    if key in _SCANS:
        return _SCANS[key]
    found, cells = [], 0
    with quiet_gdal_reads():
        ds = gdal.Open(path)
        if ds is not None and ds.RasterCount and not any(
                ds.GetRasterBand(i).GetNoDataValue() is not None for i in range(1, ds.RasterCount + 1)) \
                and ds.GetRasterBand(1).DataType not in (gdal.GDT_Byte, gdal.GDT_CInt16, gdal.GDT_CInt32,
                                                          gdal.GDT_CFloat32, gdal.GDT_CFloat64):
            scan = SentinelScan()
            w, h = ds.RasterXSize, ds.RasterYSize
            try:
                for i in range(1, ds.RasterCount + 1):
                    band = ds.GetRasterBand(i)
                    for r0 in range(0, h, SCAN_ROWS):
                        scan.add(band.ReadAsArray(0, r0, w, min(SCAN_ROWS, h - r0)))
            except RuntimeError:  # an unreadable file: the input guard names it
                ds = None
                return [], 0
            found, cells = scan.found(), w * h * ds.RasterCount
        ds = None
    _SCANS[key] = (found, cells)
    return found, cells


def _key(path: str, extra: str) -> str:
    return hashlib.sha1(f"{_stamp(path)}|{extra}".encode()).hexdigest()[:16]


def view_vrt(path: str, folder: str, *, tag: str, nodata=None, factor: float = 1.0, unit: str = "",
             converted_from: str = "") -> str:
    """A VRT in ``folder`` reading ``path`` (every band, float) with the source value ``nodata`` skipped (read as
    no data, NaN) and values times ``factor``; ``unit`` (with ``converted_from``) replaces the declared unit. Grid,
    CRS, descriptions and other metadata kept; named after the file's version, so a later run reuses it."""
    out = os.path.join(folder, f"{tag}_{os.path.splitext(os.path.basename(path))[0]}_"
                               f"{_key(path, f'{nodata!r}|{factor!r}|{unit}')}.vrt")
    if os.path.isfile(out):
        return out
    with quiet_gdal_reads():
        src = gdal.Open(path)
        float64 = any(src.GetRasterBand(i).DataType in (gdal.GDT_Float64, gdal.GDT_Int32, gdal.GDT_UInt32)
                      for i in range(1, src.RasterCount + 1))
        dtype = gdal.GDT_Float64 if float64 else gdal.GDT_Float32
        vrt = gdal.GetDriverByName("VRT").Create("", src.RasterXSize, src.RasterYSize, 0)
        vrt.SetGeoTransform(src.GetGeoTransform())
        vrt.SetProjection(src.GetProjection())
        md = dict(src.GetMetadata() or {})
        if unit:
            for k in [k for k in md if k.upper() in ("UNIT", "UNITS")]:
                md.pop(k)
            md["UNIT"] = unit
            if converted_from:
                md["UNIT_CONVERTED_FROM"] = converted_from
        vrt.SetMetadata(md)
        real = os.path.realpath(path).replace("&", "&amp;").replace("<", "&lt;")
        for i in range(1, src.RasterCount + 1):
            sband = src.GetRasterBand(i)
            vrt.AddBand(dtype)
            band = vrt.GetRasterBand(i)
            band.SetNoDataValue(float("nan"))
            band.SetDescription(sband.GetDescription())
            bmd = dict(sband.GetMetadata() or {})
            if unit:
                bmd = {k: v for k, v in bmd.items() if k.upper() not in ("UNIT", "UNITS")}
                band.SetUnitType(unit)
            elif sband.GetUnitType():
                band.SetUnitType(sband.GetUnitType())
            band.SetMetadata(bmd)
            skip = "" if nodata is None else f"<NODATA>{float(nodata)!r}</NODATA>"
            band.SetMetadataItem("source_0", (
                f'<ComplexSource><SourceFilename relativeToVRT="0">{real}</SourceFilename>'
                f"<SourceBand>{i}</SourceBand>{skip}<ScaleOffset>0</ScaleOffset>"
                f"<ScaleRatio>{float(factor)!r}</ScaleRatio></ComplexSource>"), "new_vrt_sources")
        tmp = out + ".part.vrt"
        gdal.GetDriverByName("VRT").CreateCopy(tmp, vrt)
        vrt = src = None
    os.replace(tmp, out)
    return out


def masked(path: str, folder: str, found) -> str:
    """``path`` read with each undeclared no-data value of ``found`` (``[(value, count)]``) as no data: one VRT
    level per value (a VRT source skips one value)."""
    for value, _ in found:
        path = view_vrt(path, folder, tag="nodata", nodata=value)
    return path


def height_factor(path: str) -> tuple:
    """``(factor to metres, declared unit)`` of a raster of heights: its declared unit (metadata ``UNIT``, band
    unit type), else the vertical unit of a compound CRS; ``(None, unit)`` for a unit that is no length, ``(1.0,
    "")`` when nothing is declared."""
    unit = declared_unit(path)
    if not unit:
        with quiet_gdal_reads():
            ds = gdal.Open(path)
            wkt = ds.GetProjection() if ds is not None else ""
            ds = None
        if wkt:
            from osgeo import osr

            srs = osr.SpatialReference()
            if srs.ImportFromWkt(wkt) == 0 and srs.IsCompound():
                name = srs.GetAttrValue("COMPD_CS|VERT_CS|UNIT") or ""
                factor = srs.GetTargetLinearUnits("VERT_CS")
                if name and factor and abs(factor - 1.0) > 1e-9:
                    return float(factor), name
        return 1.0, ""
    return height_unit(unit), unit


def value_range(path: str, q: float = 0.1) -> tuple:
    """The ``q``-th and ``100 - q``-th percentiles of a decimated read of every band (no data and NaN left out);
    ``(nan, nan)`` when nothing is valid."""
    with quiet_gdal_reads():
        ds = gdal.Open(path)
        vals = []
        w, h = ds.RasterXSize, ds.RasterYSize
        bw, bh = min(w, SAMPLE_SIDE), min(h, SAMPLE_SIDE)
        for i in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(i)
            try:
                arr = band.ReadAsArray(0, 0, w, h, buf_xsize=bw, buf_ysize=bh).astype(np.float64)
            except RuntimeError:  # an unreadable file: the input guard names it
                return float("nan"), float("nan")
            nd = band.GetNoDataValue()
            ok = np.isfinite(arr)
            if nd is not None and np.isfinite(nd):
                ok &= arr != nd
            vals.append(arr[ok])
        ds = None
    allv = np.concatenate(vals) if vals else np.zeros(0)
    if not allv.size:
        return float("nan"), float("nan")
    return float(np.percentile(allv, q)), float(np.percentile(allv, 100.0 - q))
