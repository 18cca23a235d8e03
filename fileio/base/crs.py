"""Coordinate reference systems given as WKT text: two compared, one named for the log; points moved between two
(PROJ's operation named for the log), and a CRS in metres for points given in degrees."""

from __future__ import annotations

import numpy as np
from osgeo import osr


def same_crs(a: str, b: str) -> bool:
    """True when two CRS texts (WKT) name one CRS; an empty text is only the same as another empty one."""
    if a == b:
        return True
    if not a or not b:
        return False
    sa, sb = osr.SpatialReference(), osr.SpatialReference()
    sa.ImportFromWkt(a)
    sb.ImportFromWkt(b)
    return bool(sa.IsSame(sb))


def crs_name(wkt: str) -> str:
    """A CRS text (WKT) for the log: its EPSG code when GDAL finds one, else its name."""
    if not wkt:
        return "no CRS"
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    try:
        srs.AutoIdentifyEPSG()
    except RuntimeError:  # GDAL's exceptions on (a QGIS process may turn them on): a CRS EPSG has no code for
        pass
    code = srs.GetAuthorityCode(None)
    return f"EPSG:{code}" if code else (srs.GetName() or "a custom CRS")


def transform_points(x, y, src_wkt: str, dst_wkt: str) -> tuple:
    """``(x, y, how)``: points moved from ``src_wkt`` to ``dst_wkt`` (PROJ's best operation, x = easting or
    longitude first) and what was done, for the log."""
    from pyproj import CRS, Transformer

    t = Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), always_xy=True)
    gx, gy = t.transform(np.asarray(x, np.float64), np.asarray(y, np.float64))
    how = f"from {crs_name(src_wkt)} to {crs_name(dst_wkt)} ({t.description or 'PROJ'})"
    return np.asarray(gx), np.asarray(gy), how


def metric_crs(x, y, wkt: str) -> str:
    """A CRS in metres for points given in ``wkt``: ``wkt`` itself when projected, else an azimuthal equidistant
    projection centred on the points (distances and azimuths true from its centre)."""
    from pyproj import CRS

    if not CRS.from_wkt(wkt).is_geographic:
        return wkt
    lon, lat = float(np.nanmedian(x)), float(np.nanmedian(y))
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m").to_wkt()
