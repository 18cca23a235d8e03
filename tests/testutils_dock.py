"""Synthetic rasters for the time-series dock: plain series, and a multi-sensor component group.

The group follows the convention of the multi-sensor decomposition's outputs (GDAL metadata,
default domain): ``TIMESERIES_COMPONENT`` = UP | EAST | LOS, ``TIMESERIES_SIGMA_OF`` = UP | EAST on
the sigma rasters, ``TIMESERIES_GROUP`` shared by one run, ``TIMESERIES_SOURCES`` = the LOS
series' paths joined by ``;``. Every value is a closed-form function of the date and the pixel
centre, so a test can say what any pick must read.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
from testutils import write_geotiff

#: 30 dates, 12 days apart (about a year of one Sentinel-1 track).
DATES = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * k) for k in range(30)]
#: UTM 33N grid of the group: 8 columns x 6 rows of 30 m.
GT_UTM = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)
SHAPE = (6, 8)
#: Ground-to-satellite unit vectors (east, up) of the LOS sources (two rasters, one point file).
ASC = (-0.62, 0.78)
DESC = (0.60, 0.80)
POINTS = (-0.45, 0.89)
#: Offset (m) of each point of the point source from its UTM pixel centre.
POINT_OFFSET = (7.0, -5.0)


def years(dates=DATES) -> np.ndarray:
    return np.array([(d - dates[0]).days for d in dates], dtype=np.float64) / 365.25


def up_mm(x, y, dates=DATES):
    """Up displacement (mm) at UTM ``x, y``: subsidence growing eastwards, an annual term."""
    t = years(dates)[:, None]
    x, y = np.atleast_1d(x)[None, :], np.atleast_1d(y)[None, :]
    return -(4.0 + (x - 500000.0) / 30.0) * t + 2.0 * np.sin(2 * np.pi * t) + 0.001 * (y - 4099800.0) * t


def east_mm(x, y, dates=DATES):
    t = years(dates)[:, None]
    x, y = np.atleast_1d(x)[None, :], np.atleast_1d(y)[None, :]
    return (1.5 + (4100000.0 - y) / 60.0) * t + 0.0 * x


def _grid(gt, shape):
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    x = gt[0] + (cols + 0.5) * gt[1]
    y = gt[3] + (rows + 0.5) * gt[5]
    return x.ravel(), y.ravel()


def set_metadata(path: str, **items) -> str:
    from osgeo import gdal

    ds = gdal.Open(path, gdal.GA_Update)
    ds.SetMetadata({k: str(v) for k, v in items.items()})
    ds.FlushCache()
    ds = None
    return path


def write_series_raster(path, cube, *, dates=DATES, geotransform=GT_UTM, epsg=32633, nodata=None, **metadata):
    out = write_geotiff(path, cube, geotransform=geotransform, epsg=epsg, nodata=nodata,
                        descriptions=[d.isoformat() for d in dates])
    if metadata:
        set_metadata(out, **metadata)
    return out


def write_points_source(path, x, y, unit_vector=POINTS) -> str:
    """A GeoPackage of LOS points (UTM 33N, ``pid`` and ``DYYYYMMDD`` fields) at ``x, y``."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("pid", ogr.OFTString))
    names = [d.strftime("D%Y%m%d") for d in DATES]
    for nm in names:
        lyr.CreateField(ogr.FieldDefn(nm, ogr.OFTReal))
    los = unit_vector[0] * east_mm(x, y) + unit_vector[1] * up_mm(x, y)
    for k, (xx, yy) in enumerate(zip(x, y)):
        feat = ogr.Feature(lyr.GetLayerDefn())
        feat.SetField("pid", f"P{k:03d}")
        for i, nm in enumerate(names):
            feat.SetField(nm, float(los[i, k]))
        feat.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({xx} {yy})"))
        lyr.CreateFeature(feat)
    ds = None
    return str(path)


def write_component_group(folder, *, group="run-42", with_sigma=True, points_source=False) -> dict:
    """Write up, east, their sigmas and the LOS sources into ``folder``; returns the paths.

    * ``up.tif``, ``east.tif``, ``sigma_up.tif``, ``sigma_east.tif``: UTM 33N, 8 x 6 pixels of 30 m.
    * ``asc_los.tif``: the same grid; ``desc_los.tif``: geographic (EPSG:4326) pixels of about
      10 m covering the same ground, so a pick is carried across CRSs; with ``points_source``
      also ``asc_points.gpkg``, one point per pixel, ``POINT_OFFSET`` from its centre.
    LOS = e * east + u * up at each source pixel's own centre (at each point).
    """
    os.makedirs(folder, exist_ok=True)
    n = len(DATES)
    x, y = _grid(GT_UTM, SHAPE)
    up = up_mm(x, y).reshape(n, *SHAPE)
    east = east_mm(x, y).reshape(n, *SHAPE)
    paths = {}
    paths["asc"] = write_series_raster(os.path.join(folder, "asc_los.tif"), ASC[0] * east + ASC[1] * up,
                                       TIMESERIES_COMPONENT="LOS")
    # a geographic grid over the same ground (33N central meridian 15E: x=500000 is lon 15)
    from pyproj import Transformer

    to_geo = Transformer.from_crs(32633, 4326, always_xy=True)
    to_utm = Transformer.from_crs(4326, 32633, always_xy=True)
    lon0, lat0 = to_geo.transform(GT_UTM[0] - 60.0, GT_UTM[3] + 60.0)
    lon1, lat1 = to_geo.transform(GT_UTM[0] + 30.0 * SHAPE[1] + 60.0, GT_UTM[3] - 30.0 * SHAPE[0] - 60.0)
    dlon, dlat = 1.2e-4, 0.9e-4
    geo_shape = (int(np.ceil((lat0 - lat1) / dlat)), int(np.ceil((lon1 - lon0) / dlon)))
    gt_geo = (lon0, dlon, 0.0, lat0, 0.0, -dlat)
    glon, glat = _grid(gt_geo, geo_shape)
    gx, gy = to_utm.transform(glon, glat)
    desc = DESC[0] * east_mm(gx, gy) + DESC[1] * up_mm(gx, gy)
    paths["desc"] = write_series_raster(os.path.join(folder, "desc_los.tif"), desc.reshape(n, *geo_shape),
                                        geotransform=gt_geo, epsg=4326, TIMESERIES_COMPONENT="LOS")
    sources = [paths["asc"], paths["desc"]]
    if points_source:
        paths["points"] = write_points_source(os.path.join(folder, "asc_points.gpkg"), x + POINT_OFFSET[0],
                                              y + POINT_OFFSET[1])
        sources.append(paths["points"])
    sources = ";".join(sources)
    paths["up"] = write_series_raster(os.path.join(folder, "up.tif"), up, TIMESERIES_COMPONENT="UP",
                                      TIMESERIES_GROUP=group, TIMESERIES_SOURCES=sources)
    paths["east"] = write_series_raster(os.path.join(folder, "east.tif"), east, TIMESERIES_COMPONENT="EAST",
                                        TIMESERIES_GROUP=group, TIMESERIES_SOURCES=sources)
    if with_sigma:
        t = years()[:, None, None]
        paths["sigma_up"] = write_series_raster(os.path.join(folder, "sigma_up.tif"), 0.5 + 1.5 * t + 0 * up,
                                                TIMESERIES_SIGMA_OF="UP", TIMESERIES_GROUP=group)
        paths["sigma_east"] = write_series_raster(os.path.join(folder, "sigma_east.tif"), 0.8 + 2.5 * t + 0 * up,
                                                  TIMESERIES_SIGMA_OF="EAST", TIMESERIES_GROUP=group)
    return paths


def los_truth(which: str, x_utm: float, y_utm: float) -> np.ndarray:
    e, u = {"asc": ASC, "desc": DESC, "points": POINTS}[which]
    return (e * east_mm(x_utm, y_utm) + u * up_mm(x_utm, y_utm))[:, 0]
