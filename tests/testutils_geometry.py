"""Helpers for the geometry tests: synthetic terrain and GAMMA raw rasters to GeoTIFF."""

from __future__ import annotations

import numpy as np


def plane(slope_deg, aspect_deg, n=9, dx=10.0, m=None):
    """Heights of a plane dipping ``slope_deg`` toward azimuth ``aspect_deg`` (row 0 = north)."""
    rows, cols = np.mgrid[0:(m or n), 0:n]
    east = cols * dx
    north = -rows * dx
    a = np.radians(aspect_deg)
    return -np.tan(np.radians(slope_deg)) * (east * np.sin(a) + north * np.cos(a))


def ridge(n_rows, n_cols, dx, *, look_azimuth_deg, crest_m, height_m, front_deg, back_deg):
    """A straight ridge whose crest runs perpendicular to the look azimuth.

    ``p`` is the ground-range coordinate (m) of each pixel centre along the look
    direction (x east, y north, origin at the top-left corner). Front face (toward the
    sensor, p < crest) dips ``front_deg``, back face ``back_deg``.
    Returns ``(dem, p)``.
    """
    rows, cols = np.mgrid[0:n_rows, 0:n_cols]
    x = (cols + 0.5) * dx
    y = -(rows + 0.5) * dx
    phi = np.radians(look_azimuth_deg)
    p = x * np.sin(phi) + y * np.cos(phi)
    h = np.where(p < crest_m, height_m - (crest_m - p) * np.tan(np.radians(front_deg)),
                 height_m - (p - crest_m) * np.tan(np.radians(back_deg)))
    return np.clip(h, 0.0, None), p


def read_gamma_par(path):
    """Key/value pairs of a GAMMA .par header."""
    out = {}
    with open(path) as fh:
        for line in fh:
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = v.split()[0] if v.split() else ""
    return out


def gamma_to_geotiff(raw_path, dem_par_path, out_path):
    """GAMMA big-endian REAL*4 raster on an EQA DEM grid -> GeoTIFF (EPSG:4326)."""
    from osgeo import gdal, osr

    par = read_gamma_par(dem_par_path)
    width, lines = int(par["width"]), int(par["nlines"])
    arr = np.fromfile(raw_path, dtype=">f4").reshape(lines, width).astype(np.float32)
    lat0, lon0 = float(par["corner_lat"]), float(par["corner_lon"])
    dlat, dlon = float(par["post_lat"]), float(par["post_lon"])
    ds = gdal.GetDriverByName("GTiff").Create(str(out_path), width, lines, 1, gdal.GDT_Float32)
    # GAMMA corner coordinates are pixel centres
    ds.SetGeoTransform((lon0 - dlon / 2, dlon, 0.0, lat0 - dlat / 2, 0.0, dlat))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(arr)
    ds = None
    return str(out_path)
