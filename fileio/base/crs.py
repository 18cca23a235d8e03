"""Coordinate reference systems given as WKT text: two compared, one named for the log."""

from __future__ import annotations

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
    srs.AutoIdentifyEPSG()
    code = srs.GetAuthorityCode(None)
    return f"EPSG:{code}" if code else (srs.GetName() or "a custom CRS")
