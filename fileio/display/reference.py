"""A dated layer shown relative to a reference: the displacement of a chosen point (or the mean inside a polygon)
subtracted, date by date, from the whole map, as the time-series dock does for its curves.

* A time-series raster: a GDAL virtual raster over it (nothing copied) whose band ``k`` reads the raster's band
  ``k`` plus the offset ``-reference(date k)`` (GDAL's ``ComplexSource`` ``ScaleOffset``: GDAL applies it, so
  QGIS, the dock and any tool read the re-referenced values), styled and dated as a series (:mod:`.series`: its
  own range over all dates, its ``.qml`` and ``.qlr`` beside it).
* A point layer coloured by time (:mod:`.temporal`): its colour expression less the reference's value at the
  controller's time.

The reference is given as its dates and values (mm); a date of the layer between the reference's dates gets the
linear interpolation of its neighbours, a date outside them the nearest end (as the dock shifts its curves).
"""

from __future__ import annotations

import datetime as dt
import os
from xml.sax.saxutils import escape

import numpy as np

from ...algorithms.errors import GeohazardError


def reference_at(dates: list, ref_dates: list, ref_mm) -> np.ndarray:
    """The reference's displacement (mm) on ``dates``: interpolated between its valid dates."""
    ref = np.asarray(ref_mm, dtype=np.float64)
    ok = np.isfinite(ref)
    if not ok.any():
        raise GeohazardError("the reference has no valid displacement on any date")
    rd = np.array([d.toordinal() for d in ref_dates], dtype=np.float64)[ok]
    return np.interp(np.array([d.toordinal() for d in dates], dtype=np.float64), rd, ref[ok])


def referenced_raster(path: str, dates: list, offsets_mm, out_path: str) -> str:
    """A virtual raster ``out_path`` reading the series ``path`` (one band per date of ``dates``) less
    ``offsets_mm`` (one per band); returns ``out_path``."""
    from osgeo import gdal

    ds = gdal.Open(path)
    if ds is None:
        raise GeohazardError(f"{path}: cannot be opened")
    offsets = np.asarray(offsets_mm, dtype=np.float64)
    if ds.RasterCount != len(dates) or offsets.size != len(dates):
        raise GeohazardError(f"{os.path.basename(path)} has {ds.RasterCount} bands for {len(dates)} dates and "
                             f"{offsets.size} reference values")
    gt = ", ".join(repr(float(v)) for v in ds.GetGeoTransform())
    srs = escape(ds.GetProjection() or "")
    bands = []
    src = escape(os.path.abspath(path))
    for k in range(ds.RasterCount):
        band = ds.GetRasterBand(k + 1)
        nodata = band.GetNoDataValue()
        nd = "" if nodata is None else f"<NODATA>{float(nodata)!r}</NODATA>"
        bands.append(
            f'  <VRTRasterBand dataType="Float32" band="{k + 1}">\n'
            f"    <Description>{dates[k].isoformat()}</Description>\n"
            f"    <NoDataValue>nan</NoDataValue>\n"
            f"    <ComplexSource>\n"
            f'      <SourceFilename relativeToVRT="0">{src}</SourceFilename>\n'
            f"      <SourceBand>{k + 1}</SourceBand>\n"
            f"      <ScaleOffset>{-float(offsets[k])!r}</ScaleOffset>\n"
            f"      <ScaleRatio>1</ScaleRatio>\n"
            f"      {nd}\n"
            f"    </ComplexSource>\n"
            f"  </VRTRasterBand>\n")
    meta = ds.GetMetadata() or {}
    items = "".join(f'    <MDI key="{escape(k)}">{escape(str(v))}</MDI>\n' for k, v in sorted(meta.items()))
    text = (f'<VRTDataset rasterXSize="{ds.RasterXSize}" rasterYSize="{ds.RasterYSize}">\n'
            f"  <SRS>{srs}</SRS>\n  <GeoTransform>{gt}</GeoTransform>\n"
            f"  <Metadata>\n{items}  </Metadata>\n" + "".join(bands) + "</VRTDataset>\n")
    ds = None
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    return out_path


def reference_case(dates: list, offsets_mm) -> str:
    """An expression of the reference's value (mm) at ``@map_start_time``: the value of the latest date on or
    before it (the first date's before the series)."""
    offsets = np.asarray(offsets_mm, dtype=np.float64)
    cases = " ".join(f"WHEN @map_start_time >= to_datetime('{d.isoformat()}T00:00:00') THEN {float(v)!r}"
                     for d, v in reversed(list(zip(dates, offsets))))
    return f"CASE {cases} ELSE {float(offsets[0])!r} END"


def stamp(when: dt.datetime | None = None) -> str:
    """A file-name stamp for a re-referenced view (several may be made in one session)."""
    when = when or dt.datetime.now()
    return when.strftime("%Y%m%d_%H%M%S_%f")
